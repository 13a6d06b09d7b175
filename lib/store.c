/*
 * store.c: writes canonical records (record.h) to the database. The logic
 * and every SQL statement live here, once, in SQL that SQLite and
 * PostgreSQL both accept ($n placeholders, ON CONFLICT ... DO UPDATE,
 * RETURNING, IS NOT DISTINCT FROM); a backend (store-backend.h) only moves
 * values in and out.
 *
 * Statements are prepared on first use and kept for the life of the
 * connection: the importer stores thousands of builds a second, each a few
 * dozen statement runs, so nothing is parsed twice and nothing asks the
 * database about its schema after the migrations.
 */
#include "config.h"
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-backend.h"

/* How far apart (s) a request's build time and our build's may be. */
#define STORE_REQUEST_WINDOW	60

enum store_sql {
	STORE_SQL_VERSION_GET,
	STORE_SQL_VERSION_ADD,
	STORE_SQL_MASTER_UPSERT,
	STORE_SQL_BUILDER_UPSERT,
	STORE_SQL_BUILDER_EVENTS_DELETE,
	STORE_SQL_BUILDER_EVENT_INSERT,
	STORE_SQL_BUILD_FIND,
	STORE_SQL_BUILD_INSERT,
	STORE_SQL_BUILD_UPDATE,
	STORE_SQL_STEPS_DELETE,
	STORE_SQL_STEP_INSERT,
	STORE_SQL_LOG_INSERT,
	STORE_SQL_LOG_GET,
	STORE_SQL_LOG_BY_ID,
	STORE_SQL_BUILD_PROPS_DELETE,
	STORE_SQL_BUILD_PROP_UPSERT,
	STORE_SQL_SOURCESTAMPS_DELETE,
	STORE_SQL_SOURCESTAMP_INSERT,
	STORE_SQL_SOURCESTAMP_CHANGE_LINK,
	STORE_SQL_BUILD_CHANGES_DELETE,
	STORE_SQL_BUILD_CHANGE_LINK,
	STORE_SQL_CHANGE_UPSERT,
	STORE_SQL_CHANGE_FILES_DELETE,
	STORE_SQL_CHANGE_FILE_INSERT,
	STORE_SQL_CHANGE_PROPS_DELETE,
	STORE_SQL_CHANGE_PROP_UPSERT,
	STORE_SQL_BUILDSET_UPSERT,
	STORE_SQL_BUILDSET_PROPS_DELETE,
	STORE_SQL_BUILDSET_PROP_UPSERT,
	STORE_SQL_BUILDREQUEST_UPSERT,
	STORE_SQL_BUILDREQUEST_NEAR,
	STORE_SQL_BUILDREQUEST_ANY,
	STORE_SQL_BUILDREQUEST_LINK,
	STORE_SQL_FILE_GET,
	STORE_SQL_FILE_PUT,
	STORE_SQL_COUNT
};

/* Every statement, with the table and action its error messages name. */
static const struct store_sql_def {
	const char	*table;
	const char	*action;
	const char	*sql;
} store_sql_defs[STORE_SQL_COUNT] = {
	[STORE_SQL_VERSION_GET] = { "schema_version", "select",
	    "SELECT COALESCE(MAX(version), 0) FROM schema_version" },
	[STORE_SQL_VERSION_ADD] = { "schema_version", "insert",
	    "INSERT INTO schema_version (version, applied_at) "
	    "VALUES ($1, $2)" },
	[STORE_SQL_MASTER_UPSERT] = { "masters", "upsert",
	    "INSERT INTO masters (name, basedir, created_at) "
	    "VALUES ($1, $2, $3) "
	    "ON CONFLICT (name) DO UPDATE SET "
	    "basedir = COALESCE(excluded.basedir, masters.basedir) "
	    "RETURNING id" },
	[STORE_SQL_BUILDER_UPSERT] = { "builders", "upsert",
	    "INSERT INTO builders (master_id, name, builddir, description, "
	    "category, tags, slavenames, origin, updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	    "ON CONFLICT (master_id, name) DO UPDATE SET "
	    "builddir = COALESCE(excluded.builddir, builders.builddir), "
	    "description = COALESCE(excluded.description, "
	    "builders.description), "
	    "category = COALESCE(excluded.category, builders.category), "
	    "tags = COALESCE(excluded.tags, builders.tags), "
	    "slavenames = COALESCE(excluded.slavenames, builders.slavenames), "
	    "origin = excluded.origin, updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDER_EVENTS_DELETE] = { "builder_events", "delete",
	    "DELETE FROM builder_events WHERE builder_id = $1" },
	[STORE_SQL_BUILDER_EVENT_INSERT] = { "builder_events", "insert",
	    "INSERT INTO builder_events (builder_id, number, started_at, "
	    "finished_at, text) VALUES ($1, $2, $3, $4, $5)" },
	[STORE_SQL_BUILD_FIND] = { "builds", "find",
	    "SELECT id FROM builds WHERE builder_id = $1 AND number = $2 "
	    "AND started_at IS NOT DISTINCT FROM $3 ORDER BY id LIMIT 1" },
	[STORE_SQL_BUILD_INSERT] = { "builds", "insert",
	    "INSERT INTO builds (builder_id, number, started_at, finished_at, "
	    "complete, results, text, reason, slave, blamelist, origin, "
	    "updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
	    "RETURNING id" },
	/* Same parameters as the insert; the identity doubles as a check. */
	[STORE_SQL_BUILD_UPDATE] = { "builds", "update",
	    "UPDATE builds SET finished_at = $4, complete = $5, results = $6, "
	    "text = $7, reason = $8, slave = $9, blamelist = $10, "
	    "origin = $11, updated_at = $12 "
	    "WHERE id = $13 AND builder_id = $1 AND number = $2 "
	    "AND started_at IS NOT DISTINCT FROM $3" },
	/* Their logs go with them (ON DELETE CASCADE). */
	[STORE_SQL_STEPS_DELETE] = { "steps", "delete",
	    "DELETE FROM steps WHERE build_id = $1" },
	/*
	 * Children find their parent by (build, number) rather than through
	 * RETURNING: SQLite builds a temporary table for every RETURNING run,
	 * which costs more than the index lookup.
	 */
	[STORE_SQL_STEP_INSERT] = { "steps", "insert",
	    "INSERT INTO steps (build_id, number, name, started_at, "
	    "finished_at, results, text, text2, urls, statistics, hidden, "
	    "skipped) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" },
	[STORE_SQL_LOG_INSERT] = { "logs", "insert",
	    "INSERT INTO logs (step_id, number, name, filename, kind, state, "
	    "store_key, stored_bytes, text_bytes, lines, complete) "
	    "VALUES ((SELECT id FROM steps WHERE build_id = $1 AND "
	    "number = $2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" },
	[STORE_SQL_LOG_GET] = { "logs", "select",
	    "SELECT l.state, l.store_key, l.stored_bytes, l.text_bytes, "
	    "l.lines, l.complete FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE s.build_id = $1 AND s.number = $2 AND l.number = $3" },
	/* The first six columns as LOG_GET's. */
	[STORE_SQL_LOG_BY_ID] = { "logs", "select",
	    "SELECT state, store_key, stored_bytes, text_bytes, lines, "
	    "complete, name, filename, kind FROM logs WHERE id = $1" },
	[STORE_SQL_BUILD_PROPS_DELETE] = { "build_properties", "delete",
	    "DELETE FROM build_properties WHERE build_id = $1" },
	/* A repeated name keeps the last value, as a Python dict would. */
	[STORE_SQL_BUILD_PROP_UPSERT] = { "build_properties", "insert",
	    "INSERT INTO build_properties (build_id, name, value, source) "
	    "VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (build_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	/* Their change links go with them (ON DELETE CASCADE). */
	[STORE_SQL_SOURCESTAMPS_DELETE] = { "sourcestamps", "delete",
	    "DELETE FROM sourcestamps WHERE build_id = $1" },
	[STORE_SQL_SOURCESTAMP_INSERT] = { "sourcestamps", "insert",
	    "INSERT INTO sourcestamps (build_id, number, branch, revision, "
	    "repository, project, codebase, patch_level, patch_body, "
	    "patch_subdir, patch_author, patch_comment) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" },
	[STORE_SQL_SOURCESTAMP_CHANGE_LINK] = { "sourcestamp_changes",
	    "insert",
	    "INSERT INTO sourcestamp_changes (sourcestamp_id, change_id) "
	    "VALUES ((SELECT id FROM sourcestamps WHERE build_id = $1 AND "
	    "number = $2), $3) ON CONFLICT DO NOTHING" },
	[STORE_SQL_BUILD_CHANGES_DELETE] = { "build_changes", "delete",
	    "DELETE FROM build_changes WHERE build_id = $1" },
	[STORE_SQL_BUILD_CHANGE_LINK] = { "build_changes", "insert",
	    "INSERT INTO build_changes (build_id, change_id) "
	    "VALUES ($1, $2) ON CONFLICT DO NOTHING" },
	/*
	 * The identity covers number, when, author, revision, branch and
	 * repository; of the rest, a source that lacks a field keeps what
	 * another gave.
	 */
	[STORE_SQL_CHANGE_UPSERT] = { "changes", "upsert",
	    "INSERT INTO changes (master_id, identity, number, author, "
	    "comments, branch, revision, revlink, category, repository, "
	    "project, codebase, when_at, is_dir, origin, updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16) "
	    "ON CONFLICT (master_id, identity) DO UPDATE SET "
	    "number = excluded.number, "
	    "author = COALESCE(excluded.author, changes.author), "
	    "comments = COALESCE(excluded.comments, changes.comments), "
	    "branch = COALESCE(excluded.branch, changes.branch), "
	    "revision = COALESCE(excluded.revision, changes.revision), "
	    "revlink = COALESCE(excluded.revlink, changes.revlink), "
	    "category = COALESCE(excluded.category, changes.category), "
	    "repository = COALESCE(excluded.repository, changes.repository), "
	    "project = COALESCE(excluded.project, changes.project), "
	    "codebase = COALESCE(excluded.codebase, changes.codebase), "
	    "when_at = COALESCE(excluded.when_at, changes.when_at), "
	    "is_dir = excluded.is_dir, origin = excluded.origin, "
	    "updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_CHANGE_FILES_DELETE] = { "change_files", "delete",
	    "DELETE FROM change_files WHERE change_id = $1" },
	[STORE_SQL_CHANGE_FILE_INSERT] = { "change_files", "insert",
	    "INSERT INTO change_files (change_id, filename) VALUES ($1, $2)" },
	[STORE_SQL_CHANGE_PROPS_DELETE] = { "change_properties", "delete",
	    "DELETE FROM change_properties WHERE change_id = $1" },
	[STORE_SQL_CHANGE_PROP_UPSERT] = { "change_properties", "insert",
	    "INSERT INTO change_properties (change_id, name, value, source) "
	    "VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (change_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	[STORE_SQL_BUILDSET_UPSERT] = { "buildsets", "upsert",
	    "INSERT INTO buildsets (master_id, bsid, external_idstring, "
	    "reason, submitted_at, complete, complete_at, results, origin, "
	    "updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	    "ON CONFLICT (master_id, bsid) DO UPDATE SET "
	    "external_idstring = excluded.external_idstring, "
	    "reason = excluded.reason, submitted_at = excluded.submitted_at, "
	    "complete = excluded.complete, complete_at = excluded.complete_at, "
	    "results = excluded.results, origin = excluded.origin, "
	    "updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDSET_PROPS_DELETE] = { "buildset_properties", "delete",
	    "DELETE FROM buildset_properties WHERE buildset_id = $1" },
	[STORE_SQL_BUILDSET_PROP_UPSERT] = { "buildset_properties", "insert",
	    "INSERT INTO buildset_properties (buildset_id, name, value, "
	    "source) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (buildset_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	[STORE_SQL_BUILDREQUEST_UPSERT] = { "buildrequests", "upsert",
	    "INSERT INTO buildrequests (master_id, brid, bsid, buildset_id, "
	    "builder_name, priority, submitted_at, claimed_at, claimed_by, "
	    "complete, complete_at, results, origin, updated_at) "
	    "VALUES ($1, $2, $3, "
	    "(SELECT id FROM buildsets WHERE master_id = $1 AND bsid = $3), "
	    "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
	    "ON CONFLICT (master_id, brid) DO UPDATE SET "
	    "bsid = excluded.bsid, buildset_id = excluded.buildset_id, "
	    "builder_name = excluded.builder_name, "
	    "priority = excluded.priority, "
	    "submitted_at = excluded.submitted_at, "
	    "claimed_at = excluded.claimed_at, "
	    "claimed_by = excluded.claimed_by, complete = excluded.complete, "
	    "complete_at = excluded.complete_at, results = excluded.results, "
	    "origin = excluded.origin, updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDREQUEST_NEAR] = { "builds", "find for request",
	    "SELECT b.id FROM builds b JOIN builders r ON r.id = b.builder_id "
	    "WHERE r.master_id = $1 AND r.name = $2 AND b.number = $3 "
	    "AND abs(b.started_at - $4) <= $5 "
	    "ORDER BY abs(b.started_at - $4), b.id LIMIT 1" },
	[STORE_SQL_BUILDREQUEST_ANY] = { "builds", "find for request",
	    "SELECT b.id FROM builds b JOIN builders r ON r.id = b.builder_id "
	    "WHERE r.master_id = $1 AND r.name = $2 AND b.number = $3 "
	    "ORDER BY b.id LIMIT 2" },
	[STORE_SQL_BUILDREQUEST_LINK] = { "build_requests", "insert",
	    "INSERT INTO build_requests (build_id, buildrequest_id) "
	    "VALUES ($1, $2) ON CONFLICT DO NOTHING" },
	[STORE_SQL_FILE_GET] = { "import_files", "select",
	    "SELECT size, mtime, digest, build_id FROM import_files "
	    "WHERE master_id = $1 AND path = $2" },
	[STORE_SQL_FILE_PUT] = { "import_files", "upsert",
	    "INSERT INTO import_files (master_id, path, size, mtime, digest, "
	    "build_id, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	    "ON CONFLICT (master_id, path) DO UPDATE SET "
	    "size = excluded.size, mtime = excluded.mtime, "
	    "digest = excluded.digest, build_id = excluded.build_id, "
	    "imported_at = excluded.imported_at" },
};

struct store {
	const struct store_backend	*be;
	struct store_conn		*conn;
	int				 version;
	int				 in_tx;
	struct store_stmt		*stmts[STORE_SQL_COUNT];
};

static const char *const store_log_kinds[] = {
	[BBM_LOG_TEXT] = "text",
	[BBM_LOG_HTML] = "html",
};
static const char *const store_log_states[] = {
	[BBM_LOG_NONE] = "none",
	[BBM_LOG_STORED] = "stored",
	[BBM_LOG_MISSING] = "missing",
	[BBM_LOG_PRUNED] = "pruned",
};
#define STORE_NITEMS(a) (sizeof (a) / sizeof (a)[0])

static double
store_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* The origin's name, or NULL (after setting *cause) if it is not one. */
static const char *
store_origin(enum bbm_origin origin, char **cause)
{
	if (origin != BBM_ORIGIN_IMPORT && origin != BBM_ORIGIN_LIVE &&
	    origin != BBM_ORIGIN_PUSH) {
		xasprintf(cause, "store: invalid origin %d", (int)origin);
		return (NULL);
	}
	return (record_origin_name(origin));
}

/*
 * The cached statement q, prepared on first use. Returns NULL and sets
 * *cause if the database refuses it.
 */
static struct store_stmt *
store_stmt(struct store *s, enum store_sql q, char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	char				*error;

	if (s->stmts[q] != NULL)
		return (s->stmts[q]);
	s->stmts[q] = s->be->prepare(s->conn, def->sql, &error);
	if (s->stmts[q] == NULL) {
		xasprintf(cause, "store: %s: preparing %s: %s", def->table,
		    def->action, error);
		free(error);
	}
	return (s->stmts[q]);
}

/*
 * Runs the bound statement q to completion and resets it. If first is not
 * NULL, it gets column 0 of the first row (untouched when there is none);
 * if nrows is not NULL, it gets the number of rows.
 */
static int
store_run(struct store *s, enum store_sql q, int64_t *first, int64_t *nrows,
    char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	struct store_stmt		*st = s->stmts[q];
	enum store_step			 rc;
	int64_t				 n = 0;

	while ((rc = s->be->step(st)) == STORE_STEP_ROW) {
		if (n++ == 0 && first != NULL)
			*first = s->be->column_int64(st, 0);
	}
	if (rc == STORE_STEP_ERR) {
		xasprintf(cause, "store: %s: %s: %s", def->table, def->action,
		    s->be->stmt_errmsg(st));
		s->be->reset(st);
		return (-1);
	}
	s->be->reset(st);
	if (nrows != NULL)
		*nrows = n;
	return (0);
}

/*
 * Steps the bound statement q once. With a row (*row = 1) the statement
 * stays positioned on it for the column calls, and the caller resets it;
 * otherwise it is reset here.
 */
static int
store_fetch(struct store *s, enum store_sql q, int *row, char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	struct store_stmt		*st = s->stmts[q];
	enum store_step			 rc;

	rc = s->be->step(st);
	*row = (rc == STORE_STEP_ROW);
	if (rc == STORE_STEP_ERR) {
		xasprintf(cause, "store: %s: %s: %s", def->table, def->action,
		    s->be->stmt_errmsg(st));
		s->be->reset(st);
		return (-1);
	}
	if (rc == STORE_STEP_DONE)
		s->be->reset(st);
	return (0);
}

/* Runs a statement that must return exactly one id (RETURNING id). */
static int
store_run_id(struct store *s, enum store_sql q, int64_t *id, char **cause)
{
	int64_t	 n;

	if (store_run(s, q, id, &n, cause) != 0)
		return (-1);
	if (n != 1) {
		xasprintf(cause, "store: %s: %s: %lld rows instead of one",
		    store_sql_defs[q].table, store_sql_defs[q].action,
		    (long long)n);
		return (-1);
	}
	return (0);
}

static void
store_bind_int(struct store *s, struct store_stmt *st, int idx, int64_t v)
{
	s->be->bind_int64(st, idx, v);
}

static void
store_bind_text(struct store *s, struct store_stmt *st, int idx,
    const char *v)
{
	s->be->bind_text(st, idx, v);
}

static void
store_bind_flag(struct store *s, struct store_stmt *st, int idx, int v)
{
	s->be->bind_int64(st, idx, v != 0);
}

/* Unknown times (NaN) are NULL; so are infinities, which mean nothing. */
static void
store_bind_time(struct store *s, struct store_stmt *st, int idx, double t)
{
	if (isfinite(t))
		s->be->bind_double(st, idx, t);
	else
		s->be->bind_null(st, idx);
}

static void
store_bind_result(struct store *s, struct store_stmt *st, int idx, int r)
{
	if (r < 0)
		s->be->bind_null(st, idx);
	else
		s->be->bind_int64(st, idx, r);
}

/* Binds an id, or NULL for ids <= 0 (row ids start at 1). */
static void
store_bind_id(struct store *s, struct store_stmt *st, int idx, int64_t id)
{
	if (id <= 0)
		s->be->bind_null(st, idx);
	else
		s->be->bind_int64(st, idx, id);
}

/* Runs the one-parameter statement q (a DELETE by parent id). */
static int
store_run_for(struct store *s, enum store_sql q, int64_t id, char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, id);
	return (store_run(s, q, NULL, NULL, cause));
}

/* Inserts a property of a parent row with the statement q. */
static int
store_property(struct store *s, enum store_sql q, int64_t parent,
    const struct bbm_property *p, char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, parent);
	store_bind_text(s, st, 2, p->name);
	store_bind_text(s, st, 3, p->value);
	store_bind_text(s, st, 4, p->source);
	return (store_run(s, q, NULL, NULL, cause));
}

/* Inserts the two ids of a link with the statement q. */
static int
store_link(struct store *s, enum store_sql q, int64_t a, int64_t b,
    char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, a);
	store_bind_int(s, st, 2, b);
	return (store_run(s, q, NULL, NULL, cause));
}

/*
 * Reads the schema version: 0 for a database without schema_version (new
 * or not ours yet).
 */
static int
store_read_version(struct store *s, int *version, char **cause)
{
	char	*error;
	int	 exists;
	int64_t	 v = 0;

	if (s->be->table_exists(s->conn, "schema_version", &exists,
	    &error) != 0) {
		xasprintf(cause, "store: schema_version: %s", error);
		free(error);
		return (-1);
	}
	if (exists) {
		if (store_stmt(s, STORE_SQL_VERSION_GET, cause) == NULL)
			return (-1);
		if (store_run(s, STORE_SQL_VERSION_GET, &v, NULL, cause) != 0)
			return (-1);
	}
	if (v < 0 || v > 1000000) {
		xasprintf(cause, "store: schema_version: invalid version %lld",
		    (long long)v);
		return (-1);
	}
	*version = (int)v;
	return (0);
}

/*
 * Brings the schema up to the newest version this program knows, one
 * migration per transaction. The version is read again under the write
 * lock, so two programs opening a new database at once do not both
 * migrate it.
 */
static int
store_migrate(struct store *s, char **cause)
{
	size_t			 known = *s->be->nmigrations;
	struct store_stmt	*st;
	char			*error;
	int			 v;

	if (store_read_version(s, &v, cause) != 0)
		return (-1);
	for (;;) {
		if ((size_t)v > known) {
			xasprintf(cause, "store: the database has schema "
			    "version %d, newer than this program knows (%zu): "
			    "upgrade bbmirror", v, known);
			return (-1);
		}
		if ((size_t)v == known)
			break;
		if (store_begin(s, cause) != 0)
			return (-1);
		if (store_read_version(s, &v, cause) != 0)
			goto fail;
		if ((size_t)v >= known) {
			store_rollback(s);
			continue;
		}
		if (s->be->exec(s->conn, s->be->migrations[v], &error) != 0) {
			xasprintf(cause, "store: migrating to schema version "
			    "%d: %s", v + 1, error);
			free(error);
			goto fail;
		}
		if ((st = store_stmt(s, STORE_SQL_VERSION_ADD, cause)) == NULL)
			goto fail;
		store_bind_int(s, st, 1, v + 1);
		s->be->bind_double(st, 2, store_now());
		if (store_run(s, STORE_SQL_VERSION_ADD, NULL, NULL, cause) != 0)
			goto fail;
		if (store_commit(s, cause) != 0)
			return (-1);
		v++;
	}
	s->version = v;
	return (0);

fail:
	store_rollback(s);
	return (-1);
}

struct store *
store_open(const char *url, char **cause)
{
	struct store	*s;

	if (url == NULL || *url == '\0') {
		xasprintf(cause, "store: no database given");
		return (NULL);
	}
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		xasprintf(cause, "store: %s: PostgreSQL is not supported by "
		    "this version of bbmirror yet; use an SQLite file", url);
		return (NULL);
	}

	s = xcalloc(1, sizeof *s);
	s->be = &store_sqlite_backend;
	if ((s->conn = s->be->open(url, cause)) == NULL) {
		free(s);
		return (NULL);
	}
	if (store_migrate(s, cause) != 0) {
		store_close(s);
		return (NULL);
	}
	return (s);
}

void
store_close(struct store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	store_rollback(s);
	for (i = 0; i < STORE_SQL_COUNT; i++) {
		if (s->stmts[i] != NULL)
			s->be->finalize(s->stmts[i]);
	}
	s->be->close(s->conn);
	free(s);
}

int
store_begin(struct store *s, char **cause)
{
	char	*error;

	if (s->in_tx) {
		xasprintf(cause, "store: begin: a transaction is already open");
		return (-1);
	}
	if (s->be->begin(s->conn, &error) != 0) {
		xasprintf(cause, "store: begin: %s", error);
		free(error);
		return (-1);
	}
	s->in_tx = 1;
	return (0);
}

int
store_commit(struct store *s, char **cause)
{
	char	*error;

	if (!s->in_tx) {
		xasprintf(cause, "store: commit: no transaction is open");
		return (-1);
	}
	if (s->be->commit(s->conn, &error) != 0) {
		xasprintf(cause, "store: commit: %s", error);
		free(error);
		store_rollback(s);
		return (-1);
	}
	s->in_tx = 0;
	return (0);
}

int
store_rollback(struct store *s)
{
	s->in_tx = 0;
	return (s->be->rollback(s->conn));
}

/*
 * A unit inside the open transaction (SAVEPOINT): it commits or rolls back
 * on its own while many units share one transaction's commit. Both SQLite
 * and PostgreSQL keep a rolled-back savepoint on the stack, so abort also
 * releases it.
 */
int
store_unit_begin(struct store *s, char **cause)
{
	char	*error;

	if (!s->in_tx) {
		xasprintf(cause, "store: savepoint: no transaction is open");
		return (-1);
	}
	if (s->be->exec(s->conn, "SAVEPOINT bbm_unit", &error) != 0) {
		xasprintf(cause, "store: savepoint: %s", error);
		free(error);
		return (-1);
	}
	return (0);
}

int
store_unit_end(struct store *s, char **cause)
{
	char	*error;

	if (s->be->exec(s->conn, "RELEASE SAVEPOINT bbm_unit", &error) != 0) {
		xasprintf(cause, "store: release savepoint: %s", error);
		free(error);
		return (-1);
	}
	return (0);
}

int
store_unit_abort(struct store *s)
{
	char	*error;

	if (s->be->exec(s->conn, "ROLLBACK TO SAVEPOINT bbm_unit; "
	    "RELEASE SAVEPOINT bbm_unit", &error) != 0) {
		free(error);
		return (-1);
	}
	return (0);
}

int
store_schema_version(struct store *s)
{
	return (s->version);
}

/*
 * For a call made outside a transaction, opens one of its own: *own says
 * whether store_leave must end it.
 */
static int
store_enter(struct store *s, int *own, char **cause)
{
	*own = 0;
	if (s->in_tx)
		return (0);
	if (store_begin(s, cause) != 0)
		return (-1);
	*own = 1;
	return (0);
}

/* Ends a call: commits or rolls back its own transaction. */
static int
store_leave(struct store *s, int own, int error, char **cause)
{
	if (!own)
		return (error);
	if (error != 0) {
		store_rollback(s);
		return (-1);
	}
	return (store_commit(s, cause));
}

int
store_master(struct store *s, const char *name, const char *basedir,
    int64_t *id, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (name == NULL || *name == '\0') {
		xasprintf(cause, "store: masters: a master needs a name");
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_MASTER_UPSERT, cause)) != NULL) {
		store_bind_text(s, st, 1, name);
		store_bind_text(s, st, 2, basedir);
		s->be->bind_double(st, 3, store_now());
		error = store_run_id(s, STORE_SQL_MASTER_UPSERT, id, cause);
	}
	return (store_leave(s, own, error, cause));
}

static int
store_builder1(struct store *s, int64_t master_id,
    const struct bbm_builder *b, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt		*st;
	const struct bbm_builder_event	*e;
	size_t				 i;

	if ((st = store_stmt(s, STORE_SQL_BUILDER_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, b->name);
	store_bind_text(s, st, 3, b->builddir);
	store_bind_text(s, st, 4, b->description);
	store_bind_text(s, st, 5, b->category);
	store_bind_text(s, st, 6, b->tags);
	store_bind_text(s, st, 7, b->slavenames);
	store_bind_text(s, st, 8, origin);
	s->be->bind_double(st, 9, store_now());
	if (store_run_id(s, STORE_SQL_BUILDER_UPSERT, id, cause) != 0)
		return (-1);
	if (!b->events_known)
		return (0);

	if (store_run_for(s, STORE_SQL_BUILDER_EVENTS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < b->nevents; i++) {
		e = &b->events[i];
		st = store_stmt(s, STORE_SQL_BUILDER_EVENT_INSERT, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, *id);
		store_bind_int(s, st, 2, (int64_t)i);
		store_bind_time(s, st, 3, e->started_at);
		store_bind_time(s, st, 4, e->finished_at);
		store_bind_text(s, st, 5, e->text);
		if (store_run(s, STORE_SQL_BUILDER_EVENT_INSERT, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_builder(struct store *s, int64_t master_id,
    const struct bbm_builder *b, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (b->name == NULL || *b->name == '\0') {
		xasprintf(cause, "store: builders: a builder needs a name");
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_builder1(s, master_id, b, o, id, cause);
	return (store_leave(s, own, error, cause));
}

/*
 * Upserts a change and replaces its files and properties; now is the
 * write's time.
 */
static int
store_change1(struct store *s, int64_t master_id, const struct bbm_change *c,
    const char *origin, double now, int64_t *id, char **cause)
{
	struct store_stmt	*st;
	char			*identity;
	size_t			 i;
	int			 error;

	if ((st = store_stmt(s, STORE_SQL_CHANGE_UPSERT, cause)) == NULL)
		return (-1);
	identity = record_change_identity(c);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, identity);
	store_bind_int(s, st, 3, c->number);
	store_bind_text(s, st, 4, c->author);
	store_bind_text(s, st, 5, c->comments);
	store_bind_text(s, st, 6, c->branch);
	store_bind_text(s, st, 7, c->revision);
	store_bind_text(s, st, 8, c->revlink);
	store_bind_text(s, st, 9, c->category);
	store_bind_text(s, st, 10, c->repository);
	store_bind_text(s, st, 11, c->project);
	store_bind_text(s, st, 12, c->codebase);
	store_bind_time(s, st, 13, c->when);
	store_bind_flag(s, st, 14, c->is_dir);
	store_bind_text(s, st, 15, origin);
	s->be->bind_double(st, 16, now);
	error = store_run_id(s, STORE_SQL_CHANGE_UPSERT, id, cause);
	free(identity);
	if (error != 0)
		return (-1);

	if (store_run_for(s, STORE_SQL_CHANGE_FILES_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < c->nfiles; i++) {
		st = store_stmt(s, STORE_SQL_CHANGE_FILE_INSERT, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, *id);
		store_bind_text(s, st, 2, c->files[i]);
		if (store_run(s, STORE_SQL_CHANGE_FILE_INSERT, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	if (store_run_for(s, STORE_SQL_CHANGE_PROPS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < c->nproperties; i++) {
		if (store_property(s, STORE_SQL_CHANGE_PROP_UPSERT, *id,
		    &c->properties[i], cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_change(struct store *s, int64_t master_id, const struct bbm_change *c,
    enum bbm_origin origin, int64_t *id, char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_change1(s, master_id, c, o, store_now(), id, cause);
	return (store_leave(s, own, error, cause));
}

/* Finds a build by identity: *id is set only when one is found. */
static int
store_find(struct store *s, int64_t builder_id, int64_t number,
    double started_at, int64_t *id, int *found, char **cause)
{
	struct store_stmt	*st;
	int64_t			 n;

	if ((st = store_stmt(s, STORE_SQL_BUILD_FIND, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, builder_id);
	store_bind_int(s, st, 2, number);
	store_bind_time(s, st, 3, started_at);
	if (store_run(s, STORE_SQL_BUILD_FIND, id, &n, cause) != 0)
		return (-1);
	*found = (n != 0);
	return (0);
}

int
store_build_find(struct store *s, int64_t builder_id, int64_t number,
    double started_at, int64_t *build_id, int *found, char **cause)
{
	return (store_find(s, builder_id, number, started_at, build_id, found,
	    cause));
}

/* Inserts a step of build_id and its logs. */
static int
store_step_insert(struct store *s, int64_t build_id,
    const struct bbm_step *step, char **cause)
{
	struct store_stmt	*st;
	const struct bbm_log	*l;
	size_t			 i;

	if ((st = store_stmt(s, STORE_SQL_STEP_INSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step->number);
	store_bind_text(s, st, 3, step->name);
	store_bind_time(s, st, 4, step->started_at);
	store_bind_time(s, st, 5, step->finished_at);
	store_bind_result(s, st, 6, step->results);
	store_bind_text(s, st, 7, step->text);
	store_bind_text(s, st, 8, step->text2);
	store_bind_text(s, st, 9, step->urls);
	store_bind_text(s, st, 10, step->statistics);
	store_bind_flag(s, st, 11, step->hidden);
	store_bind_flag(s, st, 12, step->skipped);
	if (store_run(s, STORE_SQL_STEP_INSERT, NULL, NULL, cause) != 0)
		return (-1);

	for (i = 0; i < step->nlogs; i++) {
		l = &step->logs[i];
		if ((size_t)l->kind >= STORE_NITEMS(store_log_kinds) ||
		    (size_t)l->state >= STORE_NITEMS(store_log_states)) {
			xasprintf(cause, "store: logs: step %lld log %zu: "
			    "invalid kind %d or state %d",
			    (long long)step->number, i, (int)l->kind,
			    (int)l->state);
			return (-1);
		}
		if ((st = store_stmt(s, STORE_SQL_LOG_INSERT, cause)) == NULL)
			return (-1);
		store_bind_int(s, st, 1, build_id);
		store_bind_int(s, st, 2, step->number);
		store_bind_int(s, st, 3, (int64_t)i);
		store_bind_text(s, st, 4, l->name);
		store_bind_text(s, st, 5, l->filename);
		store_bind_text(s, st, 6, store_log_kinds[l->kind]);
		store_bind_text(s, st, 7, store_log_states[l->state]);
		store_bind_text(s, st, 8, l->store_key);
		store_bind_int(s, st, 9, l->stored_bytes);
		store_bind_int(s, st, 10, l->text_bytes);
		store_bind_int(s, st, 11, l->lines);
		store_bind_flag(s, st, 12, l->complete);
		if (store_run(s, STORE_SQL_LOG_INSERT, NULL, NULL, cause) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Inserts a sourcestamp of build_id; change_ids are the row ids of the
 * build's changes, which its change indices point into (checked already).
 */
static int
store_sourcestamp_insert(struct store *s, int64_t build_id, size_t number,
    const struct bbm_sourcestamp *ss, const int64_t *change_ids,
    char **cause)
{
	struct store_stmt	*st;
	size_t			 i;

	st = store_stmt(s, STORE_SQL_SOURCESTAMP_INSERT, cause);
	if (st == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, (int64_t)number);
	store_bind_text(s, st, 3, ss->branch);
	store_bind_text(s, st, 4, ss->revision);
	store_bind_text(s, st, 5, ss->repository);
	store_bind_text(s, st, 6, ss->project);
	store_bind_text(s, st, 7, ss->codebase);
	if (ss->has_patch) {
		store_bind_int(s, st, 8, ss->patch_level);
		/* An empty patch is still a patch: bind "", not NULL. */
		s->be->bind_blob(st, 9, ss->patch_body != NULL ?
		    ss->patch_body : "", ss->patch_body != NULL ?
		    ss->patch_len : 0);
	} else {
		s->be->bind_null(st, 8);
		s->be->bind_null(st, 9);
	}
	store_bind_text(s, st, 10, ss->patch_subdir);
	store_bind_text(s, st, 11, ss->patch_author);
	store_bind_text(s, st, 12, ss->patch_comment);
	if (store_run(s, STORE_SQL_SOURCESTAMP_INSERT, NULL, NULL, cause) != 0)
		return (-1);

	for (i = 0; i < ss->nchanges; i++) {
		st = store_stmt(s, STORE_SQL_SOURCESTAMP_CHANGE_LINK, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, build_id);
		store_bind_int(s, st, 2, (int64_t)number);
		store_bind_int(s, st, 3, change_ids[ss->changes[i]]);
		if (store_run(s, STORE_SQL_SOURCESTAMP_CHANGE_LINK, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

/* Writes the build row: an update of id if found, else an insert. */
static int
store_build_row(struct store *s, int64_t builder_id,
    const struct bbm_build *b, const char *origin, double now, int found,
    int64_t *id, char **cause)
{
	struct store_stmt	*st;
	enum store_sql		 q;

	q = found ? STORE_SQL_BUILD_UPDATE : STORE_SQL_BUILD_INSERT;
	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, builder_id);
	store_bind_int(s, st, 2, b->number);
	store_bind_time(s, st, 3, b->started_at);
	store_bind_time(s, st, 4, b->finished_at);
	store_bind_flag(s, st, 5, b->complete);
	store_bind_result(s, st, 6, b->results);
	store_bind_text(s, st, 7, b->text);
	store_bind_text(s, st, 8, b->reason);
	store_bind_text(s, st, 9, b->slave);
	store_bind_text(s, st, 10, b->blamelist);
	store_bind_text(s, st, 11, origin);
	s->be->bind_double(st, 12, now);
	if (!found)
		return (store_run_id(s, q, id, cause));
	store_bind_int(s, st, 13, *id);
	return (store_run(s, q, NULL, NULL, cause));
}

static int
store_build1(struct store *s, int64_t master_id, int64_t builder_id,
    const struct bbm_build *b, const char *origin, int64_t *build_id,
    char **cause)
{
	const struct bbm_sourcestamp	*ss;
	int64_t				*change_ids = NULL, id;
	double				 now = store_now();
	size_t				 i, j;
	int				 found;

	/* Refuse a malformed record before writing anything. */
	for (i = 0; i < b->nsourcestamps; i++) {
		ss = &b->sourcestamps[i];
		for (j = 0; j < ss->nchanges; j++) {
			if (ss->changes[j] >= b->nchanges) {
				xasprintf(cause, "store: sourcestamps: build "
				    "%lld sourcestamp %zu names change %zu of "
				    "%zu", (long long)b->number, i,
				    ss->changes[j], b->nchanges);
				return (-1);
			}
		}
	}

	if (store_find(s, builder_id, b->number, b->started_at, &id, &found,
	    cause) != 0)
		return (-1);
	if (store_build_row(s, builder_id, b, origin, now, found, &id,
	    cause) != 0)
		return (-1);
	if (found) {
		if (store_run_for(s, STORE_SQL_STEPS_DELETE, id, cause) != 0 ||
		    store_run_for(s, STORE_SQL_BUILD_PROPS_DELETE, id,
		    cause) != 0 ||
		    store_run_for(s, STORE_SQL_SOURCESTAMPS_DELETE, id,
		    cause) != 0 ||
		    store_run_for(s, STORE_SQL_BUILD_CHANGES_DELETE, id,
		    cause) != 0)
			return (-1);
	}

	for (i = 0; i < b->nsteps; i++) {
		if (store_step_insert(s, id, &b->steps[i], cause) != 0)
			return (-1);
	}
	for (i = 0; i < b->nproperties; i++) {
		if (store_property(s, STORE_SQL_BUILD_PROP_UPSERT, id,
		    &b->properties[i], cause) != 0)
			return (-1);
	}
	if (b->nchanges != 0)
		change_ids = xreallocarray(NULL, b->nchanges,
		    sizeof *change_ids);
	for (i = 0; i < b->nchanges; i++) {
		if (store_change1(s, master_id, &b->changes[i], origin, now,
		    &change_ids[i], cause) != 0 ||
		    store_link(s, STORE_SQL_BUILD_CHANGE_LINK, id,
		    change_ids[i], cause) != 0)
			goto fail;
	}
	for (i = 0; i < b->nsourcestamps; i++) {
		if (store_sourcestamp_insert(s, id, i, &b->sourcestamps[i],
		    change_ids, cause) != 0)
			goto fail;
	}
	free(change_ids);
	*build_id = id;
	return (0);

fail:
	free(change_ids);
	return (-1);
}

int
store_build(struct store *s, int64_t master_id, int64_t builder_id,
    const struct bbm_build *b, enum bbm_origin origin, int64_t *build_id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_build1(s, master_id, builder_id, b, o, build_id, cause);
	return (store_leave(s, own, error, cause));
}

static int
store_buildset1(struct store *s, int64_t master_id,
    const struct bbm_buildset *bs, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt	*st;
	size_t			 i;

	if ((st = store_stmt(s, STORE_SQL_BUILDSET_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_int(s, st, 2, bs->bsid);
	store_bind_text(s, st, 3, bs->external_idstring);
	store_bind_text(s, st, 4, bs->reason);
	store_bind_time(s, st, 5, bs->submitted_at);
	store_bind_flag(s, st, 6, bs->complete);
	store_bind_time(s, st, 7, bs->complete_at);
	store_bind_result(s, st, 8, bs->results);
	store_bind_text(s, st, 9, origin);
	s->be->bind_double(st, 10, store_now());
	if (store_run_id(s, STORE_SQL_BUILDSET_UPSERT, id, cause) != 0)
		return (-1);

	if (store_run_for(s, STORE_SQL_BUILDSET_PROPS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < bs->nproperties; i++) {
		if (store_property(s, STORE_SQL_BUILDSET_PROP_UPSERT, *id,
		    &bs->properties[i], cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_buildset(struct store *s, int64_t master_id,
    const struct bbm_buildset *bs, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_buildset1(s, master_id, bs, o, id, cause);
	return (store_leave(s, own, error, cause));
}

/*
 * Finds our build for one of a request's builds: the nearest in start
 * time within the window or, when the request does not know the time, the
 * only build of that number. *build_id is 0 when there is none.
 */
static int
store_request_build(struct store *s, int64_t master_id,
    const char *builder_name, const struct bbm_request_build *rb,
    int64_t *build_id, char **cause)
{
	struct store_stmt	*st;
	enum store_sql		 q;
	int64_t			 n;

	*build_id = 0;
	if (isfinite(rb->started_at))
		q = STORE_SQL_BUILDREQUEST_NEAR;
	else
		q = STORE_SQL_BUILDREQUEST_ANY;
	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, builder_name);
	store_bind_int(s, st, 3, rb->number);
	if (q == STORE_SQL_BUILDREQUEST_NEAR) {
		s->be->bind_double(st, 4, rb->started_at);
		s->be->bind_double(st, 5, STORE_REQUEST_WINDOW);
	}
	if (store_run(s, q, build_id, &n, cause) != 0)
		return (-1);
	if (n != 1)
		*build_id = 0;
	return (0);
}

static int
store_buildrequest1(struct store *s, int64_t master_id,
    const struct bbm_buildrequest *br, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt	*st;
	int64_t			 build_id;
	size_t			 i;

	st = store_stmt(s, STORE_SQL_BUILDREQUEST_UPSERT, cause);
	if (st == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_int(s, st, 2, br->brid);
	store_bind_int(s, st, 3, br->bsid);
	store_bind_text(s, st, 4, br->builder_name);
	store_bind_int(s, st, 5, br->priority);
	store_bind_time(s, st, 6, br->submitted_at);
	store_bind_time(s, st, 7, br->claimed_at);
	store_bind_text(s, st, 8, br->claimed_by);
	store_bind_flag(s, st, 9, br->complete);
	store_bind_time(s, st, 10, br->complete_at);
	store_bind_result(s, st, 11, br->results);
	store_bind_text(s, st, 12, origin);
	s->be->bind_double(st, 13, store_now());
	if (store_run_id(s, STORE_SQL_BUILDREQUEST_UPSERT, id, cause) != 0)
		return (-1);

	if (br->builder_name == NULL)
		return (0);
	for (i = 0; i < br->nbuilds; i++) {
		if (store_request_build(s, master_id, br->builder_name,
		    &br->builds[i], &build_id, cause) != 0)
			return (-1);
		if (build_id == 0)
			continue;
		if (store_link(s, STORE_SQL_BUILDREQUEST_LINK, build_id, *id,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_buildrequest(struct store *s, int64_t master_id,
    const struct bbm_buildrequest *br, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_buildrequest1(s, master_id, br, o, id, cause);
	return (store_leave(s, own, error, cause));
}

int
store_file_get(struct store *s, int64_t master_id, const char *path,
    struct store_file_state *fs, int *found, char **cause)
{
	struct store_stmt	*st;
	const char		*digest;
	int			 row, error = 0;

	if ((st = store_stmt(s, STORE_SQL_FILE_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, path);
	if (store_fetch(s, STORE_SQL_FILE_GET, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);

	memset(fs, 0, sizeof *fs);
	fs->size = s->be->column_int64(st, 0);
	fs->mtime_ns = s->be->column_int64(st, 1);
	if ((digest = s->be->column_text(st, 2)) != NULL) {
		if (strlen(digest) >= sizeof fs->digest) {
			xasprintf(cause, "store: import_files: %s: digest too "
			    "long", path);
			error = -1;
		} else
			memcpy(fs->digest, digest, strlen(digest) + 1);
	}
	if (!s->be->column_is_null(st, 3))
		fs->build_id = s->be->column_int64(st, 3);
	s->be->reset(st);
	return (error);
}

int
store_file_put(struct store *s, int64_t master_id, const char *path,
    const struct store_file_state *fs, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (memchr(fs->digest, '\0', sizeof fs->digest) == NULL) {
		xasprintf(cause, "store: import_files: %s: digest not "
		    "terminated", path);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_FILE_PUT, cause)) != NULL) {
		store_bind_int(s, st, 1, master_id);
		store_bind_text(s, st, 2, path);
		store_bind_int(s, st, 3, fs->size);
		store_bind_int(s, st, 4, fs->mtime_ns);
		store_bind_text(s, st, 5, fs->digest[0] != '\0' ? fs->digest :
		    NULL);
		store_bind_id(s, st, 6, fs->build_id);
		s->be->bind_double(st, 7, store_now());
		error = store_run(s, STORE_SQL_FILE_PUT, NULL, NULL, cause);
	}
	return (store_leave(s, own, error, cause));
}

/* Index of name in a table of n names, or -1. */
static int
store_name_index(const char *const *names, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < n; i++) {
		if (strcmp(name, names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/*
 * Reads state, store_key, stored_bytes, text_bytes, lines and complete
 * from columns 0 to 5 of the current row into out.
 */
static int
store_log_columns(struct store *s, struct store_stmt *st, struct bbm_log *out,
    char **cause)
{
	const char	*state, *key;
	int		 i;

	state = s->be->column_text(st, 0);
	i = store_name_index(store_log_states, STORE_NITEMS(store_log_states),
	    state);
	if (i == -1) {
		xasprintf(cause, "store: logs: unknown state \"%s\"",
		    state != NULL ? state : "NULL");
		return (-1);
	}
	out->state = (enum bbm_log_state)i;
	key = s->be->column_text(st, 1);
	out->store_key = key != NULL ? xstrdup(key) : NULL;
	out->stored_bytes = s->be->column_int64(st, 2);
	out->text_bytes = s->be->column_int64(st, 3);
	out->lines = s->be->column_int64(st, 4);
	out->complete = s->be->column_int64(st, 5) != 0;
	return (0);
}

int
store_log_get(struct store *s, int64_t build_id, int64_t step_number,
    int64_t log_number, struct bbm_log *out, int *found, char **cause)
{
	struct store_stmt	*st;
	int			 row, error;

	if ((st = store_stmt(s, STORE_SQL_LOG_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step_number);
	store_bind_int(s, st, 3, log_number);
	if (store_fetch(s, STORE_SQL_LOG_GET, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);
	error = store_log_columns(s, st, out, cause);
	s->be->reset(st);
	return (error);
}

int
store_log_by_id(struct store *s, int64_t log_id, struct bbm_log *out,
    int *found, char **cause)
{
	struct store_stmt	*st;
	const char		*name, *filename, *kind;
	int			 row, i;

	if ((st = store_stmt(s, STORE_SQL_LOG_BY_ID, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, log_id);
	if (store_fetch(s, STORE_SQL_LOG_BY_ID, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);

	kind = s->be->column_text(st, 8);
	i = store_name_index(store_log_kinds, STORE_NITEMS(store_log_kinds),
	    kind);
	if (i == -1) {
		xasprintf(cause, "store: logs: unknown kind \"%s\"",
		    kind != NULL ? kind : "NULL");
		s->be->reset(st);
		return (-1);
	}
	if (store_log_columns(s, st, out, cause) != 0) {
		s->be->reset(st);
		return (-1);
	}
	out->kind = (enum bbm_log_kind)i;
	name = s->be->column_text(st, 6);
	out->name = name != NULL ? xstrdup(name) : NULL;
	filename = s->be->column_text(st, 7);
	out->filename = filename != NULL ? xstrdup(filename) : NULL;
	s->be->reset(st);
	return (0);
}
