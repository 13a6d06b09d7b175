/*
 * test-query.c: lib/query.c, the readers' connections, against real
 * databases on each engine (test-db.h: SQLite files in a temporary
 * directory; PostgreSQL when BBM_TEST_PG is set): what is refused at open,
 * that nothing can be written through a reader, one snapshot per read
 * transaction while a writer (a struct store, as in bbmirrord) commits
 * beside it, the data version, and the statement cache and its eviction.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* Whether a table is there, in SQL for the current engine. */
#define HAS_TABLE(t) TEST_SQL(						\
	"SELECT count(*) FROM sqlite_master WHERE name = '" t "'",	\
	"SELECT CASE WHEN to_regclass('" t "') IS NULL THEN 0 ELSE 1 END")

/*
 * A new bbmirror database "name" (the current schema); its url (caller
 * frees), or NULL.
 */
static char *
test_create(const char *name)
{
	struct store	*s;
	char		*url, *cause;

	url = xstrdup(test_db_url(name));
	if ((s = store_open(url, &cause)) == NULL) {
		tap_diag("store_open %s: %s", name, cause);
		free(cause);
		free(url);
		return (NULL);
	}
	store_close(s);
	return (url);
}

/* The single integer a query gives through a reader, or -999. */
static int64_t
test_int(struct query_db *db, const char *sql)
{
	struct query_stmt	*st;
	char			*cause;
	int64_t			 v = -999;

	if ((st = query_prepare(db, sql, &cause)) == NULL) {
		tap_diag("prepare %s: %s", sql, cause);
		free(cause);
		return (v);
	}
	if (query_step(st) == QUERY_ROW)
		v = query_column_int64(st, 0);
	query_reset(st);
	return (v);
}

/* Checks that query_open refuses path, with a message holding want. */
static void
test_refused(const char *path, int min_version, const char *want,
    const char *name)
{
	struct query_db	*db;
	char		*cause = NULL;

	db = query_open(path, min_version, &cause);
	if (!ok(db == NULL && cause != NULL && strstr(cause, want) != NULL,
	    "refused: %s", name))
		tap_diag("cause: %s", cause != NULL ? cause : "(none)");
	query_close(db);
	free(cause);
}

/* What only SQLite refuses: files that are not bbmirror databases. */
static void
test_open_sqlite(void)
{
	struct stat	 sb;
	char		*missing, *foreign, *empty, *garbage;
	FILE		*f;

	missing = xstrdup(test_db_path("missing.sqlite"));
	test_refused(missing, 1, "missing.sqlite", "a file that does not "
	    "exist (named)");
	ok(stat(missing, &sb) == -1, "... and it is not created");

	foreign = xstrdup(test_db_path("foreign.sqlite"));
	if (test_db_exec("foreign.sqlite", "CREATE TABLE t (x INTEGER)") == 0)
		test_refused(foreign, 1, "not a bbmirror database",
		    "a SQLite file without bbmirror's schema");
	else
		ok(0, "foreign database created");
	test_db_close("foreign.sqlite");

	empty = xstrdup(test_db_path("empty.sqlite"));
	if ((f = fopen(empty, "w")) != NULL)
		fclose(f);
	test_refused(empty, 1, "not a bbmirror database", "an empty file");

	garbage = xstrdup(test_db_path("garbage.sqlite"));
	if ((f = fopen(garbage, "w")) != NULL) {
		fputs("this is not a database, but it is long enough to be "
		    "mistaken for a header if nobody checked the magic bytes "
		    "at its start..................................", f);
		fclose(f);
	}
	test_refused(garbage, 1, "garbage.sqlite", "a file that is not SQLite "
	    "(named)");
	free(missing);
	free(foreign);
	free(empty);
	free(garbage);
}

/*
 * What only PostgreSQL refuses: a server that is not there, a database
 * that does not exist, a schema without bbmirror's tables (or with other
 * tables).
 */
static void
test_open_pgsql(void)
{
	char	*url;

	test_refused("host=/nonexistent/bbm-sock dbname=x", 1,
	    "/nonexistent/bbm-sock", "postgresql: no server (the socket "
	    "named)");
	xasprintf(&url, "%s dbname=bbm_no_such_database",
	    test_db_url("nodb"));
	test_refused(url, 1, "bbm_no_such_database", "postgresql: a "
	    "database that does not exist (named)");
	free(url);
	url = xstrdup(test_db_url("empty"));
	test_refused(url, 1, "not a bbmirror database",
	    "postgresql: a schema without tables");
	free(url);
	url = xstrdup(test_db_url("foreign"));
	if (test_db_exec("foreign", "CREATE TABLE t (x INTEGER)") == 0)
		test_refused(url, 1, "not a bbmirror database",
		    "postgresql: a schema without bbmirror's tables");
	else
		ok(0, "foreign schema created");
	free(url);
}

static void
test_open(void)
{
	struct query_db	*db;
	char		*good, *old, *new, *cause = NULL, *sql;
	int		 current;

	test_refused(NULL, 1, "no database given", "no url");
	test_refused("", 1, "no database given", "empty url");
	if (test_db_engine() == TEST_SQLITE)
		test_open_sqlite();
	else
		test_open_pgsql();

	if ((good = test_create("good.sqlite")) == NULL) {
		ok(0, "database created");
		return;
	}
	db = query_open(good, 1, &cause);
	if (!ok(db != NULL, "a bbmirror database opens"))
		tap_diag("%s", cause);
	free(cause);
	cause = NULL;
	free(good);
	if (db == NULL)
		return;
	current = query_schema_version(db);
	ok(current >= 3, "schema version %d (3 or later)", current);
	is_str(query_engine(db), test_db_engine_name(), "engine name");
	query_close(db);

	/* Schema too old for the reader: version 2 with a reader needing 3. */
	if ((old = test_create("old.sqlite")) != NULL &&
	    test_db_exec("old.sqlite", "DELETE FROM schema_version "
	    "WHERE version > 2") == 0)
		test_refused(old, 3, "schema version 2, this reader needs 3",
		    "a schema older than the reader needs");
	else
		ok(0, "old database made");
	db = old != NULL ? query_open(old, 2, &cause) : NULL;
	ok(db != NULL, "... but a reader needing only 2 takes it");
	free(cause);
	cause = NULL;
	query_close(db);

	/* A schema newer than this program knows. */
	xasprintf(&sql, "INSERT INTO schema_version (version, applied_at) "
	    "VALUES (%d, 0)", current + 1);
	if ((new = test_create("new.sqlite")) != NULL &&
	    test_db_exec("new.sqlite", sql) == 0)
		test_refused(new, 1, "newer than this program knows",
		    "a schema newer than the program knows");
	else
		ok(0, "new database made");
	free(sql);
	free(old);
	free(new);
}

/* Nothing is written through a reader, whatever the statement. */
static void
test_read_only(void)
{
	static const char	*writes[] = {
		"INSERT INTO masters (name, created_at) VALUES ('x', 0)",
		"UPDATE result_codes SET name = 'ok' WHERE code = 0",
		"DELETE FROM result_codes",
		"CREATE TABLE evil (x INTEGER)",
		"DROP TABLE builds",
	};
	struct query_db		*db;
	struct query_stmt	*st;
	char			*path, *cause = NULL;
	size_t			 i;
	enum query_step		 r;

	if ((path = test_create("ro.sqlite")) == NULL ||
	    (db = query_open(path, 3, &cause)) == NULL) {
		ok(0, "read-only database opened: %s", cause);
		free(cause);
		free(path);
		return;
	}
	for (i = 0; i < nitems(writes); i++) {
		st = query_prepare(db, writes[i], &cause);
		if (st == NULL) {
			/* Refused at prepare: as good as at step. */
			ok(cause != NULL, "write refused: %s", writes[i]);
			free(cause);
			cause = NULL;
			continue;
		}
		r = query_step(st);
		if (!ok(r == QUERY_ERR, "write fails: %s", writes[i]))
			tap_diag("step gave %d", (int)r);
		else
			ok(strstr(query_errmsg(st), "readonly") != NULL ||
			    strstr(query_errmsg(st), "read-only") != NULL ||
			    strstr(query_errmsg(st), "query_only") != NULL,
			    "... saying why: %s", query_errmsg(st));
		query_reset(st);
	}
	/* Inside a read transaction too. */
	if (query_begin(db, &cause) == 0) {
		st = query_prepare(db, writes[0], &cause);
		ok(st == NULL || query_step(st) == QUERY_ERR,
		    "write fails inside a read transaction");
		query_end(db);
	} else
		ok(0, "begin: %s", cause);
	free(cause);
	cause = NULL;
	is_int(test_int(db, "SELECT count(*) FROM masters"), 0,
	    "no master was inserted");
	is_int(test_int(db, "SELECT count(*) FROM result_codes"), 7,
	    "result_codes intact");
	is_int(test_int(db, "SELECT count(*) FROM builds"), 0,
	    "builds table still there");
	query_close(db);

	/* And a plain connection sees the same. */
	db = query_open(path, 3, &cause);
	ok(db != NULL && test_int(db, HAS_TABLE("evil")) == 0,
	    "no table was created");
	query_close(db);
	free(cause);
	free(path);
}

/*
 * One snapshot per read transaction while a writer commits, the data
 * version, a statement left mid-run by the handler.
 */
static void
test_snapshot(void)
{
	struct query_db	*db;
	struct query_stmt	*st;
	struct store		*w;
	char			*path, *cause = NULL;
	int64_t			 id, v1, v2, v3, v4;

	path = xstrdup(test_db_url("snap.sqlite"));
	db = NULL;
	if ((w = store_open(path, &cause)) == NULL ||
	    (db = query_open(path, 3, &cause)) == NULL) {
		ok(0, "snapshot databases opened: %s", cause);
		free(cause);
		store_close(w);
		free(path);
		return;
	}
	ok(store_master(w, "m1", NULL, &id, &cause) == 0, "writer: master 1");

	ok(query_data_version(db, &v1, &cause) == 0, "data version read");
	ok(query_begin(db, &cause) == 0, "read transaction begun");
	ok(query_begin(db, &cause) == -1 && cause != NULL &&
	    strstr(cause, "already open") != NULL,
	    "a second begin is refused");
	free(cause);
	cause = NULL;
	is_int(test_int(db, "SELECT count(*) FROM masters"), 1,
	    "snapshot: one master");
	ok(store_master(w, "m2", NULL, &id, &cause) == 0,
	    "writer commits beside the open read transaction");
	is_int(test_int(db, "SELECT count(*) FROM masters"), 1,
	    "snapshot: still one master after the writer's commit");
	is_int(test_int(db, "SELECT count(*) FROM masters WHERE name = 'm2'"),
	    0, "snapshot: a new statement does not see it either");
	query_end(db);
	query_end(db);
	ok(1, "query_end twice is harmless");
	is_int(test_int(db, "SELECT count(*) FROM masters"), 2,
	    "after query_end: both masters");
	ok(query_data_version(db, &v2, &cause) == 0 && v2 != v1,
	    "data version changed after another connection's commit");
	/*
	 * PostgreSQL's version is the cluster's snapshot: any transaction
	 * of the cluster (autovacuum, parallel tests) may change it, which
	 * the contract allows.
	 */
	ok(query_data_version(db, &v3, &cause) == 0, "data version read "
	    "again");
	if (test_db_engine() == TEST_SQLITE)
		ok(v3 == v2, "data version unchanged without a commit");
	else
		tap_diag("data version %s without a commit of this test",
		    v3 == v2 ? "unchanged" : "changed");

	/* A statement left mid-run does not pin the snapshot past query_end. */
	ok(query_begin(db, &cause) == 0, "read transaction begun again");
	st = query_prepare(db, "SELECT name FROM masters ORDER BY id",
	    &cause);
	ok(st != NULL && query_step(st) == QUERY_ROW &&
	    strcmp(query_column_text(st, 0), "m1") == 0,
	    "a statement stopped after its first row");
	query_end(db);
	ok(store_master(w, "m3", NULL, &id, &cause) == 0,
	    "writer commits a third master");
	ok(query_begin(db, &cause) == 0, "a new read transaction");
	is_int(test_int(db, "SELECT count(*) FROM masters"), 3,
	    "... sees the commit made after the previous one ended");
	query_end(db);
	ok(query_data_version(db, &v4, &cause) == 0 && v4 != v3,
	    "data version changed again");

	free(cause);
	query_close(db);
	store_close(w);
	free(path);
}

/* Binds and columns of every type; placeholders repeated and reordered. */
static void
test_binds(void)
{
	struct query_db		*db;
	struct query_stmt	*st;
	char			*path, *cause = NULL;
	const char		*evil = "x'); DROP TABLE builds;--";

	if ((path = test_create("binds.sqlite")) == NULL ||
	    (db = query_open(path, 3, &cause)) == NULL) {
		ok(0, "binds database opened: %s", cause);
		free(cause);
		free(path);
		return;
	}
	/* PostgreSQL gives a placeholder one type: cast it where needed. */
	st = query_prepare(db, "SELECT $2, CAST($1 AS BIGINT), $3, $4, "
	    "CAST($1 AS BIGINT) + 1", &cause);
	if (!ok(st != NULL, "placeholders out of order and repeated")) {
		tap_diag("%s", cause);
		goto out;
	}
	query_bind_int64(st, 1, INT64_C(1) << 40);
	query_bind_text(st, 2, evil);
	query_bind_double(st, 3, 1700000000.25);
	query_bind_null(st, 4);
	ok(query_step(st) == QUERY_ROW, "a row");
	is_str(query_column_text(st, 0), evil, "text bound as a value");
	is_int(query_column_int64(st, 1), INT64_C(1) << 40, "int64");
	ok(query_column_double(st, 2) == 1700000000.25, "double exact");
	ok(query_column_is_null(st, 3) && query_column_text(st, 3) == NULL,
	    "NULL: is_null, and a NULL text");
	is_int(query_column_int64(st, 4), (INT64_C(1) << 40) + 1,
	    "a placeholder used twice");
	ok(query_step(st) == QUERY_DONE, "done");
	query_reset(st);
	/* After reset the bindings are gone: $1 is NULL. */
	ok(query_step(st) == QUERY_ROW && query_column_is_null(st, 1),
	    "reset clears the bindings");
	query_reset(st);
	st = query_prepare(db, "SELECT count(*) FROM masters WHERE name = $1",
	    &cause);
	query_bind_text(st, 1, "1 OR 1=1");
	ok(st != NULL && query_step(st) == QUERY_ROW &&
	    query_column_int64(st, 0) == 0, "SQL in a bound value is a value");
	query_reset(st);
	is_int(test_int(db, HAS_TABLE("builds")), 1, "builds table intact");

	st = query_prepare(db, "SELEKT nonsense", &cause);
	ok(st == NULL && cause != NULL && strstr(cause, path) != NULL,
	    "a syntax error is refused at prepare, naming the database");
	free(cause);
	cause = NULL;
	st = query_prepare(db, "SELECT * FROM no_such_table", &cause);
	ok(st == NULL && cause != NULL && strstr(cause, "no_such_table"),
	    "an unknown table is refused, named");
out:
	free(cause);
	query_close(db);
	free(path);
}

/* The statement cache: hits, QUERY_CACHE statements at once, eviction. */
static void
test_cache(void)
{
	struct query_db		*db;
	struct query_stmt	*st, *first, *held[QUERY_CACHE];
	char			*path, *cause = NULL, *sql[QUERY_CACHE + 8];
	size_t			 i, n = QUERY_CACHE + 8, good;

	if ((path = test_create("cache.sqlite")) == NULL ||
	    (db = query_open(path, 3, &cause)) == NULL) {
		ok(0, "cache database opened: %s", cause);
		free(cause);
		free(path);
		return;
	}
	for (i = 0; i < n; i++)
		xasprintf(&sql[i], "SELECT %zu + $1", i);

	first = query_prepare(db, sql[0], &cause);
	st = query_prepare(db, sql[0], &cause);
	ok(first != NULL && st == first, "the same SQL gives the cached "
	    "statement");

	/* QUERY_CACHE statements held mid-run at once all stay valid. */
	good = 0;
	for (i = 0; i < QUERY_CACHE; i++) {
		held[i] = query_prepare(db, sql[i], &cause);
		if (held[i] == NULL)
			break;
		query_bind_int64(held[i], 1, 1000);
		if (query_step(held[i]) != QUERY_ROW)
			break;
	}
	for (i = 0; i < QUERY_CACHE; i++) {
		if (held[i] != NULL &&
		    query_column_int64(held[i], 0) == (int64_t)(i + 1000))
			good++;
	}
	is_int(good, QUERY_CACHE, "%d statements in use at once, each with "
	    "its own row", QUERY_CACHE);
	for (i = 0; i < QUERY_CACHE; i++)
		query_reset(held[i]);

	/* One more SQL text evicts the least recently prepared: sql[0]. */
	st = query_prepare(db, sql[QUERY_CACHE], &cause);
	ok(st == held[0], "statement %d takes the least recently used slot",
	    QUERY_CACHE + 1);
	st = query_prepare(db, sql[QUERY_CACHE - 1], &cause);
	ok(st == held[QUERY_CACHE - 1], "a recent statement is still cached");

	/* Every text beyond still runs right, evicted ones prepared again. */
	good = 0;
	for (i = 0; i < n; i++) {
		st = query_prepare(db, sql[(i * 7) % n], &cause);
		if (st == NULL)
			continue;
		query_bind_int64(st, 1, 5);
		if (query_step(st) == QUERY_ROW &&
		    query_column_int64(st, 0) == (int64_t)((i * 7) % n + 5))
			good++;
		query_reset(st);
	}
	is_int(good, n, "%zu texts through a cache of %d: every result right",
	    n, QUERY_CACHE);
	st = query_prepare(db, sql[0], &cause);
	query_bind_int64(st, 1, 1);
	ok(st != NULL && query_step(st) == QUERY_ROW &&
	    query_column_int64(st, 0) == 1, "an evicted statement prepared "
	    "again runs");
	query_reset(st);

	for (i = 0; i < n; i++)
		free(sql[i]);
	free(cause);
	query_close(db);
	free(path);
}

/* Every test on the engine selected. */
static void
test_engine(void)
{
	test_open();
	test_read_only();
	test_snapshot();
	test_binds();
	test_cache();
}

int
main(void)
{
	enum test_engine	 e;

	log_set_quiet(1);
	test_db_init("test-query");
	for (e = 0; e < TEST_ENGINES; e++) {
		if (!test_db_has(e))
			continue;
		test_db_use(e);
		test_engine();
	}
	test_db_done();
	return (tap_done());
}
