/*
 * query.c: read-only connections (query.h) over the store backends
 * (store-backend.h), with a per-connection cache of prepared statements.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "store-backend.h"

struct query_stmt {
	const struct store_backend	*be;
	struct store_stmt		*st;
};

struct query_slot {
	char			*sql;
	struct query_stmt	 qs;
	uint64_t		 used;	/* query_db.clock when last prepared */
};

struct query_db {
	const struct store_backend	*be;
	struct store_conn		*conn;
	char				*url;
	int				 version;
	int				 in_tx;
	uint64_t			 clock;
	struct query_slot		 slots[QUERY_CACHE];
};

/*
 * Reads the schema version through a plain statement: 0 when the
 * schema_version table is missing.
 */
static int
query_read_version(struct query_db *db, int *version, char **cause)
{
	struct store_stmt	*st;
	char			*error;
	int			 exists;
	int64_t			 v = 0;

	if (db->be->table_exists(db->conn, "schema_version", &exists,
	    &error) != 0) {
		xasprintf(cause, "%s: schema_version: %s", db->url, error);
		free(error);
		return (-1);
	}
	if (exists) {
		st = db->be->prepare(db->conn,
		    "SELECT COALESCE(MAX(version), 0) FROM schema_version",
		    &error);
		if (st == NULL) {
			xasprintf(cause, "%s: schema_version: %s", db->url,
			    error);
			free(error);
			return (-1);
		}
		switch (db->be->step(st)) {
		case STORE_STEP_ROW:
			v = db->be->column_int64(st, 0);
			break;
		case STORE_STEP_DONE:
			break;
		case STORE_STEP_ERR:
			xasprintf(cause, "%s: schema_version: %s", db->url,
			    db->be->stmt_errmsg(st));
			db->be->finalize(st);
			return (-1);
		}
		db->be->finalize(st);
	}
	*version = (int)((v < 0 || v > 1000000) ? -1 : v);
	return (0);
}

struct query_db *
query_open(const char *url, int min_version, char **cause)
{
	struct query_db	*db;
	size_t		 known;
	char		*error;

	if (url == NULL || *url == '\0') {
		xasprintf(cause, "no database given");
		return (NULL);
	}
	db = xcalloc(1, sizeof *db);
	db->url = xstrdup(url);
	if ((db->be = store_backend_for(url, cause)) == NULL)
		goto fail;
	if ((db->conn = db->be->open_read(url, &error)) == NULL) {
		xasprintf(cause, "%s", error);
		free(error);
		goto fail;
	}
	if (query_read_version(db, &db->version, cause) != 0)
		goto fail;
	known = *db->be->nmigrations;
	if (db->version <= 0) {
		xasprintf(cause, "%s: not a bbmirror database (no schema "
		    "version)", url);
		goto fail;
	}
	if ((size_t)db->version > known) {
		xasprintf(cause, "%s: schema version %d, newer than this "
		    "program knows (%zu): upgrade bbmirror", url, db->version,
		    known);
		goto fail;
	}
	if (db->version < min_version) {
		xasprintf(cause, "%s: schema version %d, this reader needs "
		    "%d: start bbmirrord or bbmirror-import once to migrate it",
		    url, db->version, min_version);
		goto fail;
	}
	return (db);

fail:
	query_close(db);
	return (NULL);
}

void
query_close(struct query_db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	query_end(db);
	for (i = 0; i < QUERY_CACHE; i++) {
		if (db->slots[i].qs.st != NULL)
			db->be->finalize(db->slots[i].qs.st);
		free(db->slots[i].sql);
	}
	if (db->conn != NULL)
		db->be->close(db->conn);
	free(db->url);
	free(db);
}

int
query_schema_version(const struct query_db *db)
{
	return (db->version);
}

const char *
query_engine(const struct query_db *db)
{
	return (db->be->name);
}

int
query_begin(struct query_db *db, char **cause)
{
	char	*error;

	if (db->in_tx) {
		xasprintf(cause, "%s: a read transaction is already open",
		    db->url);
		return (-1);
	}
	if (db->be->begin_read(db->conn, &error) != 0) {
		xasprintf(cause, "%s: begin: %s", db->url, error);
		free(error);
		return (-1);
	}
	db->in_tx = 1;
	return (0);
}

void
query_end(struct query_db *db)
{
	size_t	 i;

	if (!db->in_tx)
		return;
	/* A statement left mid-run would keep the snapshot open. */
	for (i = 0; i < QUERY_CACHE; i++) {
		if (db->slots[i].qs.st != NULL)
			db->be->reset(db->slots[i].qs.st);
	}
	(void)db->be->rollback(db->conn);
	db->in_tx = 0;
}

int
query_data_version(struct query_db *db, int64_t *version, char **cause)
{
	char	*error;

	if (db->be->data_version(db->conn, version, &error) != 0) {
		xasprintf(cause, "%s: data version: %s", db->url, error);
		free(error);
		return (-1);
	}
	return (0);
}

/*
 * The cache is a small array searched linearly: handlers use a few dozen
 * statements, and a search costs less than one step of any of them.
 */
struct query_stmt *
query_prepare(struct query_db *db, const char *sql, char **cause)
{
	struct query_slot	*slot, *victim = NULL;
	struct store_stmt	*st;
	char			*error;
	size_t			 i;

	db->clock++;
	for (i = 0; i < QUERY_CACHE; i++) {
		slot = &db->slots[i];
		if (slot->sql != NULL && strcmp(slot->sql, sql) == 0) {
			slot->used = db->clock;
			db->be->reset(slot->qs.st);
			return (&slot->qs);
		}
		if (victim == NULL || slot->sql == NULL ||
		    (victim->sql != NULL && slot->used < victim->used))
			victim = slot;
	}
	if ((st = db->be->prepare(db->conn, sql, &error)) == NULL) {
		xasprintf(cause, "%s: %s", db->url, error);
		free(error);
		return (NULL);
	}
	if (victim->qs.st != NULL)
		db->be->finalize(victim->qs.st);
	free(victim->sql);
	victim->sql = xstrdup(sql);
	victim->qs.be = db->be;
	victim->qs.st = st;
	victim->used = db->clock;
	return (&victim->qs);
}

void
query_bind_int64(struct query_stmt *qs, int idx, int64_t v)
{
	qs->be->bind_int64(qs->st, idx, v);
}

void
query_bind_double(struct query_stmt *qs, int idx, double v)
{
	qs->be->bind_double(qs->st, idx, v);
}

void
query_bind_text(struct query_stmt *qs, int idx, const char *v)
{
	qs->be->bind_text(qs->st, idx, v);
}

void
query_bind_null(struct query_stmt *qs, int idx)
{
	qs->be->bind_null(qs->st, idx);
}

enum query_step
query_step(struct query_stmt *qs)
{
	switch (qs->be->step(qs->st)) {
	case STORE_STEP_ROW:
		return (QUERY_ROW);
	case STORE_STEP_DONE:
		return (QUERY_DONE);
	case STORE_STEP_ERR:
		break;
	}
	return (QUERY_ERR);
}

int
query_column_is_null(struct query_stmt *qs, int col)
{
	return (qs->be->column_is_null(qs->st, col));
}

int64_t
query_column_int64(struct query_stmt *qs, int col)
{
	return (qs->be->column_int64(qs->st, col));
}

double
query_column_double(struct query_stmt *qs, int col)
{
	return (qs->be->column_double(qs->st, col));
}

const char *
query_column_text(struct query_stmt *qs, int col)
{
	return (qs->be->column_text(qs->st, col));
}

void
query_reset(struct query_stmt *qs)
{
	qs->be->reset(qs->st);
}

const char *
query_errmsg(struct query_stmt *qs)
{
	return (qs->be->stmt_errmsg(qs->st));
}
