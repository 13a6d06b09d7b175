/*
 * store-sqlite.c: the SQLite implementation of the store backend
 * (store-backend.h). It knows nothing of the tables: store.c owns the SQL.
 *
 * Placeholders are written $1, $2, ... for PostgreSQL's sake. SQLite reads
 * "$1" as a named parameter and numbers named parameters in order of first
 * appearance, so each statement carries a map from $n to SQLite's index,
 * built once when it is prepared.
 */
#include "config.h"
#include "store-backend.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* How long a writer waits for another's lock before failing, in ms. */
#define STORE_SQLITE_BUSY_MS	30000
/* Placeholders are ours: a small bound keeps the $n map small. */
#define STORE_SQLITE_MAX_PARAM	999

struct store_conn {
	sqlite3	*db;
};

struct store_stmt {
	sqlite3		*db;
	sqlite3_stmt	*stmt;
	int		*map;	/* map[n]: SQLite index of $n, 0 none */
	int		 nmap;	/* largest n */
	char		*error;	/* first failure since reset */
};

static void
store_sqlite_close(struct store_conn *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	free(c);
}

static int
store_sqlite_exec(struct store_conn *c, const char *sql, char **cause)
{
	char	*error = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &error) != SQLITE_OK) {
		xasprintf(cause, "%s", error != NULL ? error :
		    sqlite3_errmsg(c->db));
		sqlite3_free(error);
		return (-1);
	}
	return (0);
}

/*
 * Opens (creating if needed) the SQLite database at path url and sets up
 * the session: wait for locks rather than fail, WAL so that readers never
 * block the writer, NORMAL sync (durable at checkpoints, never corrupt),
 * and foreign keys, which the schema's cascades rely on. A store is used by
 * one thread at a time, so SQLite's own locking is left out (NOMUTEX).
 */
static struct store_conn *
store_sqlite_open(const char *url, char **cause)
{
	struct store_conn	*c;
	sqlite3_stmt		*stmt;
	char			*error;
	int			 fk;

	c = xcalloc(1, sizeof *c);
	if (sqlite3_open_v2(url, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "sqlite: %s: %s", url, c->db != NULL ?
		    sqlite3_errmsg(c->db) : "out of memory");
		store_sqlite_close(c);
		return (NULL);
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_SQLITE_BUSY_MS);
	/*
	 * WAL lets readers run beside the writer. The page cache is sized
	 * for a writer's working set (the indexes of a long import), and
	 * temp_store keeps the savepoint journal of each build (a unit, see
	 * store_unit_begin) in memory instead of a temporary file.
	 */
	if (store_sqlite_exec(c, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
	    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
	    &error) != 0) {
		xasprintf(cause, "sqlite: %s: %s", url, error);
		free(error);
		store_sqlite_close(c);
		return (NULL);
	}

	/* A build without foreign keys silently ignores the pragma. */
	fk = 0;
	if (sqlite3_prepare_v2(c->db, "PRAGMA foreign_keys", -1, &stmt,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			fk = sqlite3_column_int(stmt, 0);
		sqlite3_finalize(stmt);
	}
	if (fk != 1) {
		xasprintf(cause, "sqlite: %s: foreign keys cannot be enabled "
		    "(SQLite built without them?)", url);
		store_sqlite_close(c);
		return (NULL);
	}
	return (c);
}

/*
 * Opens the existing database at path url for reading: no create, and
 * query_only so that nothing written through this connection can reach
 * the file. A reader waits for locks only briefly (WAL readers block only
 * during recovery).
 */
static struct store_conn *
store_sqlite_open_read(const char *url, char **cause)
{
	struct store_conn	*c;
	char			*error;

	c = xcalloc(1, sizeof *c);
	if (sqlite3_open_v2(url, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		xasprintf(cause, "sqlite: %s: %s", url, c->db != NULL ?
		    sqlite3_errmsg(c->db) : "out of memory");
		store_sqlite_close(c);
		return (NULL);
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_SQLITE_BUSY_MS);
	if (store_sqlite_exec(c, "PRAGMA query_only = 1; "
	    "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;",
	    &error) != 0) {
		xasprintf(cause, "sqlite: %s: %s", url, error);
		free(error);
		store_sqlite_close(c);
		return (NULL);
	}
	return (c);
}

static int
store_sqlite_begin_read(struct store_conn *c, char **cause)
{
	return (store_sqlite_exec(c, "BEGIN DEFERRED", cause));
}

static int
store_sqlite_data_version(struct store_conn *c, int64_t *version,
    char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sqlite3_prepare_v2(c->db, "PRAGMA data_version", -1, &stmt,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(c->db));
		return (-1);
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		xasprintf(cause, "%s", sqlite3_errmsg(c->db));
		sqlite3_finalize(stmt);
		return (-1);
	}
	*version = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return (0);
}

static int
store_sqlite_table_exists(struct store_conn *c, const char *name,
    int *exists, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master "
	    "WHERE type = 'table' AND name = ?1", -1, &stmt,
	    NULL) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(c->db));
		return (-1);
	}
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		xasprintf(cause, "%s", sqlite3_errmsg(c->db));
		sqlite3_finalize(stmt);
		return (-1);
	}
	*exists = (rc == SQLITE_ROW);
	sqlite3_finalize(stmt);
	return (0);
}

static int
store_sqlite_begin(struct store_conn *c, char **cause)
{
	return (store_sqlite_exec(c, "BEGIN IMMEDIATE", cause));
}

static int
store_sqlite_commit(struct store_conn *c, char **cause)
{
	return (store_sqlite_exec(c, "COMMIT", cause));
}

static int
store_sqlite_rollback(struct store_conn *c)
{
	char	*error;

	if (sqlite3_get_autocommit(c->db))
		return (0);
	if (store_sqlite_exec(c, "ROLLBACK", &error) != 0) {
		free(error);
		return (-1);
	}
	return (0);
}

/*
 * FULL syncs the WAL at every commit; NORMAL (set at open) only at
 * checkpoints, so a commit may be lost to a power failure but never
 * corrupts the database.
 */
static int
store_sqlite_set_durable(struct store_conn *c, int on, char **cause)
{
	return (store_sqlite_exec(c, on ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", cause));
}

/*
 * Parses a parameter name "$n" (n a decimal number from 1 to
 * STORE_SQLITE_MAX_PARAM, no sign or leading zero); returns n, or -1 for
 * anything else.
 */
static int
store_sqlite_param(const char *name)
{
	const char	*p;
	int		 n;

	if (name == NULL || name[0] != '$' || name[1] < '1' || name[1] > '9')
		return (-1);
	n = 0;
	for (p = name + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		n = n * 10 + (*p - '0');
		if (n > STORE_SQLITE_MAX_PARAM)
			return (-1);
	}
	return (n);
}

static void
store_sqlite_finalize(struct store_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->stmt);
	free(st->map);
	free(st->error);
	free(st);
}

/*
 * Compiles one statement (trailing whitespace and semicolons only after
 * it) and builds its $n map. The statement is marked persistent: the store
 * keeps it for the life of the connection.
 */
static struct store_stmt *
store_sqlite_prepare(struct store_conn *c, const char *sql, char **cause)
{
	struct store_stmt	*st;
	const char		*tail, *name;
	int			 count, i, n;

	st = xcalloc(1, sizeof *st);
	st->db = c->db;
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->stmt, &tail) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(c->db));
		store_sqlite_finalize(st);
		return (NULL);
	}
	if (st->stmt == NULL) {
		xasprintf(cause, "empty statement");
		store_sqlite_finalize(st);
		return (NULL);
	}
	tail += strspn(tail, " \t\r\n;");
	if (*tail != '\0') {
		xasprintf(cause, "more than one statement");
		store_sqlite_finalize(st);
		return (NULL);
	}

	count = sqlite3_bind_parameter_count(st->stmt);
	for (i = 1; i <= count; i++) {
		name = sqlite3_bind_parameter_name(st->stmt, i);
		if ((n = store_sqlite_param(name)) == -1) {
			xasprintf(cause, "placeholder %s is not of the form $n",
			    name != NULL ? name : "?");
			store_sqlite_finalize(st);
			return (NULL);
		}
		if (n > st->nmap) {
			st->map = xreallocarray(st->map, n + 1,
			    sizeof *st->map);
			memset(st->map + st->nmap + 1, 0,
			    (n - st->nmap) * sizeof *st->map);
			st->nmap = n;
		}
		st->map[n] = i;
	}
	return (st);
}

/* Remembers the first failure of a run, for stmt_errmsg. */
static void
store_sqlite_fail(struct store_stmt *st, const char *what, int idx)
{
	if (st->error != NULL)
		return;
	if (idx > 0)
		xasprintf(&st->error, "$%d: %s", idx, what);
	else
		st->error = xstrdup(what);
}

/* SQLite's index of $idx, or 0 (after noting the error) when absent. */
static int
store_sqlite_index(struct store_stmt *st, int idx)
{
	if (idx < 1 || idx > st->nmap || st->map[idx] == 0) {
		store_sqlite_fail(st, "no such placeholder", idx);
		return (0);
	}
	return (st->map[idx]);
}

static void
store_sqlite_check(struct store_stmt *st, int rc, int idx)
{
	if (rc != SQLITE_OK)
		store_sqlite_fail(st, sqlite3_errstr(rc), idx);
}

static void
store_sqlite_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
	int	 i;

	if ((i = store_sqlite_index(st, idx)) != 0)
		store_sqlite_check(st, sqlite3_bind_int64(st->stmt, i, v), idx);
}

static void
store_sqlite_bind_double(struct store_stmt *st, int idx, double v)
{
	int	 i;

	if ((i = store_sqlite_index(st, idx)) != 0)
		store_sqlite_check(st, sqlite3_bind_double(st->stmt, i, v),
		    idx);
}

static void
store_sqlite_bind_text(struct store_stmt *st, int idx, const char *v)
{
	int	 i, rc;

	if ((i = store_sqlite_index(st, idx)) == 0)
		return;
	if (v == NULL)
		rc = sqlite3_bind_null(st->stmt, i);
	else
		rc = sqlite3_bind_text(st->stmt, i, v, -1, SQLITE_STATIC);
	store_sqlite_check(st, rc, idx);
}

static void
store_sqlite_bind_blob(struct store_stmt *st, int idx, const void *v,
    size_t len)
{
	int	 i, rc;

	if ((i = store_sqlite_index(st, idx)) == 0)
		return;
	if (v == NULL)
		rc = sqlite3_bind_null(st->stmt, i);
	else if (len == 0)
		rc = sqlite3_bind_zeroblob(st->stmt, i, 0);
	else
		rc = sqlite3_bind_blob64(st->stmt, i, v, len, SQLITE_STATIC);
	store_sqlite_check(st, rc, idx);
}

static void
store_sqlite_bind_null(struct store_stmt *st, int idx)
{
	int	 i;

	if ((i = store_sqlite_index(st, idx)) != 0)
		store_sqlite_check(st, sqlite3_bind_null(st->stmt, i), idx);
}

static enum store_step
store_sqlite_step(struct store_stmt *st)
{
	int	 rc;

	if (st->error != NULL)
		return (STORE_STEP_ERR);
	rc = sqlite3_step(st->stmt);
	if (rc == SQLITE_ROW)
		return (STORE_STEP_ROW);
	if (rc == SQLITE_DONE)
		return (STORE_STEP_DONE);
	store_sqlite_fail(st, sqlite3_errmsg(st->db), 0);
	return (STORE_STEP_ERR);
}

static int
store_sqlite_column_is_null(struct store_stmt *st, int col)
{
	return (sqlite3_column_type(st->stmt, col) == SQLITE_NULL);
}

static int64_t
store_sqlite_column_int64(struct store_stmt *st, int col)
{
	return (sqlite3_column_int64(st->stmt, col));
}

static double
store_sqlite_column_double(struct store_stmt *st, int col)
{
	return (sqlite3_column_double(st->stmt, col));
}

static const char *
store_sqlite_column_text(struct store_stmt *st, int col)
{
	return ((const char *)sqlite3_column_text(st->stmt, col));
}

static const void *
store_sqlite_column_blob(struct store_stmt *st, int col, size_t *len)
{
	const void	*p;
	int		 n;

	/* The pointer first: it may convert the value, changing its size. */
	p = sqlite3_column_blob(st->stmt, col);
	n = sqlite3_column_bytes(st->stmt, col);
	if (p == NULL || n <= 0) {
		*len = 0;
		return (NULL);
	}
	*len = (size_t)n;
	return (p);
}

/*
 * Bindings are cleared too: values are bound without copying, and the
 * records they point into may be freed before the next run.
 */
static void
store_sqlite_reset(struct store_stmt *st)
{
	sqlite3_reset(st->stmt);
	sqlite3_clear_bindings(st->stmt);
	free(st->error);
	st->error = NULL;
}

static const char *
store_sqlite_stmt_errmsg(struct store_stmt *st)
{
	if (st->error != NULL)
		return (st->error);
	return (sqlite3_errmsg(st->db));
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.migrations = schema_sqlite_migrations,
	.nmigrations = &schema_sqlite_count,
	.open = store_sqlite_open,
	.open_read = store_sqlite_open_read,
	.close = store_sqlite_close,
	.exec = store_sqlite_exec,
	.table_exists = store_sqlite_table_exists,
	.begin = store_sqlite_begin,
	.commit = store_sqlite_commit,
	.rollback = store_sqlite_rollback,
	.begin_read = store_sqlite_begin_read,
	.data_version = store_sqlite_data_version,
	.set_durable = store_sqlite_set_durable,
	.prepare = store_sqlite_prepare,
	.bind_int64 = store_sqlite_bind_int64,
	.bind_double = store_sqlite_bind_double,
	.bind_text = store_sqlite_bind_text,
	.bind_blob = store_sqlite_bind_blob,
	.bind_null = store_sqlite_bind_null,
	.step = store_sqlite_step,
	.column_is_null = store_sqlite_column_is_null,
	.column_int64 = store_sqlite_column_int64,
	.column_double = store_sqlite_column_double,
	.column_text = store_sqlite_column_text,
	.column_blob = store_sqlite_column_blob,
	.reset = store_sqlite_reset,
	.finalize = store_sqlite_finalize,
	.stmt_errmsg = store_sqlite_stmt_errmsg,
};
