/*
 * test-store-engine.c: what each engine does its own way, for
 * test-store.c: durable commits (SQLite: syncs counted through a VFS;
 * PostgreSQL: the session's synchronous_commit), the migration of a
 * version 1 database, and on PostgreSQL the connection lost and made
 * again, writers at once (no duplicate rows), two programs migrating a new
 * database at once, and the read-only connections of query.h.
 */
#include "config.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "record.h"
#include "store.h"
#include "store-backend.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-store.h"

/*
 * A VFS that forwards to the default one and counts xSync calls on its
 * files: a durable commit syncs the WAL, a NORMAL one does not.
 */
struct test_file {
	sqlite3_file	 base;
	sqlite3_file	*real;
};
static sqlite3_vfs	*test_real_vfs;
static sqlite3_vfs	 test_vfs;
static int		 test_syncs;

#define TEST_REAL(f) (((struct test_file *)(f))->real)

static int
test_f_close(sqlite3_file *f)
{
	return (TEST_REAL(f)->pMethods->xClose(TEST_REAL(f)));
}

static int
test_f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return (TEST_REAL(f)->pMethods->xRead(TEST_REAL(f), p, n, off));
}

static int
test_f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	return (TEST_REAL(f)->pMethods->xWrite(TEST_REAL(f), p, n, off));
}

static int
test_f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return (TEST_REAL(f)->pMethods->xTruncate(TEST_REAL(f), size));
}

static int
test_f_sync(sqlite3_file *f, int flags)
{
	test_syncs++;
	return (TEST_REAL(f)->pMethods->xSync(TEST_REAL(f), flags));
}

static int
test_f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return (TEST_REAL(f)->pMethods->xFileSize(TEST_REAL(f), size));
}

static int
test_f_lock(sqlite3_file *f, int lock)
{
	return (TEST_REAL(f)->pMethods->xLock(TEST_REAL(f), lock));
}

static int
test_f_unlock(sqlite3_file *f, int lock)
{
	return (TEST_REAL(f)->pMethods->xUnlock(TEST_REAL(f), lock));
}

static int
test_f_reserved(sqlite3_file *f, int *out)
{
	return (TEST_REAL(f)->pMethods->xCheckReservedLock(TEST_REAL(f), out));
}

static int
test_f_control(sqlite3_file *f, int op, void *arg)
{
	return (TEST_REAL(f)->pMethods->xFileControl(TEST_REAL(f), op, arg));
}

static int
test_f_sector(sqlite3_file *f)
{
	return (TEST_REAL(f)->pMethods->xSectorSize(TEST_REAL(f)));
}

static int
test_f_device(sqlite3_file *f)
{
	return (TEST_REAL(f)->pMethods->xDeviceCharacteristics(TEST_REAL(f)));
}

static int
test_f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
    void volatile **p)
{
	return (TEST_REAL(f)->pMethods->xShmMap(TEST_REAL(f), pg, pgsz, extend,
	    p));
}

static int
test_f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return (TEST_REAL(f)->pMethods->xShmLock(TEST_REAL(f), off, n, flags));
}

static void
test_f_shm_barrier(sqlite3_file *f)
{
	TEST_REAL(f)->pMethods->xShmBarrier(TEST_REAL(f));
}

static int
test_f_shm_unmap(sqlite3_file *f, int del)
{
	return (TEST_REAL(f)->pMethods->xShmUnmap(TEST_REAL(f), del));
}

static int
test_f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return (TEST_REAL(f)->pMethods->xFetch(TEST_REAL(f), off, n, p));
}

static int
test_f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return (TEST_REAL(f)->pMethods->xUnfetch(TEST_REAL(f), off, p));
}

static const sqlite3_io_methods test_io = {
	3, test_f_close, test_f_read, test_f_write, test_f_truncate,
	test_f_sync, test_f_size, test_f_lock, test_f_unlock, test_f_reserved,
	test_f_control, test_f_sector, test_f_device, test_f_shm_map,
	test_f_shm_lock, test_f_shm_barrier, test_f_shm_unmap, test_f_fetch,
	test_f_unfetch,
};

static int
test_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
    int flags, int *out)
{
	struct test_file	*t = (struct test_file *)f;
	int			 rc;

	(void)vfs;
	t->real = (sqlite3_file *)(t + 1);
	rc = test_real_vfs->xOpen(test_real_vfs, name, t->real, flags, out);
	t->base.pMethods = t->real->pMethods != NULL ? &test_io : NULL;
	return (rc);
}

static void
test_durable_sqlite(const char *name)
{
	struct store	*s;
	char		*cause = NULL;
	int64_t		 id;
	int		 n, rc;

	test_real_vfs = sqlite3_vfs_find(NULL);
	test_vfs = *test_real_vfs;
	test_vfs.zName = "bbm-test-count";
	test_vfs.szOsFile = (int)sizeof (struct test_file) +
	    test_real_vfs->szOsFile;
	test_vfs.xOpen = test_vfs_open;
	test_vfs.pNext = NULL;
	if (sqlite3_vfs_register(&test_vfs, 1) != SQLITE_OK) {
		ok(0, "sqlite3_vfs_register");
		return;
	}
	s = test_open(name);
	n = test_syncs;
	rc = store_master(s, "d1", NULL, &id, &cause);
	ok(rc == 0 && test_syncs == n, "by default a commit does not sync "
	    "(%d syncs)", test_syncs - n);

	ok(store_set_durable(s, 1, &cause) == 0, "store_set_durable on");
	n = test_syncs;
	rc = store_master(s, "d2", NULL, &id, &cause);
	ok(rc == 0 && test_syncs > n, "a durable commit syncs (%d syncs)",
	    test_syncs - n);
	n = test_syncs;
	ok(store_begin(s, &cause) == 0 &&
	    store_master(s, "d3", NULL, &id, &cause) == 0 &&
	    test_syncs == n && store_commit(s, &cause) == 0 &&
	    test_syncs > n, "in a batch: the sync comes with the commit");

	ok(store_begin(s, &cause) == 0 &&
	    store_set_durable(s, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, "transaction") != NULL,
	    "not changed inside a transaction");
	store_rollback(s);
	free(cause);
	cause = NULL;
	ok(store_set_durable(s, 0, &cause) == 0, "store_set_durable off");
	n = test_syncs;
	rc = store_master(s, "d4", NULL, &id, &cause);
	ok(rc == 0 && test_syncs == n, "back to commits without a sync");
	store_close(s);
	free(cause);
	sqlite3_vfs_unregister(&test_vfs);
}

/*
 * A database as version 1 of bbmirror left it (the released migration
 * 001, run through a plain connection, and a few rows) is brought to the
 * current version by store_open; its rows and their ids stay and the live
 * path works on them.
 */
static void
test_migrate(const char *name)
{
	static const char *const rows =
	    "INSERT INTO schema_version VALUES (1, 1700000000);"
	    "INSERT INTO masters (id, name, created_at) "
	    "VALUES (3, 'old', 1);"
	    "INSERT INTO builders (id, master_id, name, origin, updated_at) "
	    "VALUES (7, 3, 'b1', 'import', 1);"
	    "INSERT INTO builds (id, builder_id, number, started_at, complete, "
	    "origin, updated_at) VALUES (70, 7, 3, 3000.0, 1, 'import', 1);"
	    "INSERT INTO steps (id, build_id, number, name, hidden, skipped) "
	    "VALUES (700, 70, 0, 'step0', 0, 0);"
	    "INSERT INTO logs (id, step_id, number, name, kind, state, "
	    "stored_bytes, text_bytes, lines, complete) "
	    "VALUES (7000, 700, 0, 'stdio', 'text', 'none', 0, 0, 0, 0);";
	const char		*v1, *tables;
	size_t			 count;
	struct store_live_log	 ll;
	struct bbm_build	 b;
	struct store		*s;
	char			*cause = NULL;
	int64_t			 id;
	int			 rc;

	count = schema_sqlite_count;
	v1 = schema_sqlite_migrations[0];
	tables = "SELECT count(*) FROM sqlite_master WHERE name IN "
	    "('slaves', 'live_masters', 'live_logs')";
#ifdef HAVE_POSTGRESQL
	if (test_db_engine() == TEST_PGSQL) {
		count = schema_pgsql_count;
		v1 = schema_pgsql_migrations[0];
		tables = "SELECT count(*) FROM information_schema.tables "
		    "WHERE table_schema = current_schema() AND table_name IN "
		    "('slaves', 'live_masters', 'live_logs')";
	}
#endif
	(void)test_db_url(name);
	ok(count >= 3, "three migrations are compiled in");
	ok(test_db_exec(name, v1) == 0 && test_db_exec(name, rows) == 0,
	    "a version 1 database with a build");
	is_int(test_db_int(name, "%s", tables), 0, "it has no live tables");

	s = test_open(name);
	is_int(store_schema_version(s), 3, "store_open migrates it to 3");
	is_int(test_db_int(name, "SELECT count(*) FROM schema_version WHERE "
	    "version IN (1, 2, 3)"), 3, "schema_version: 1 kept, 2, 3 added");
	is_int(test_db_int(name, "SELECT count(*) FROM builders WHERE id = 7 "
	    "AND name = 'b1' AND state IS NULL AND state_at IS NULL"), 1,
	    "the old builder is there, without a state");
	is_int(test_db_int(name, "%s", tables), 3, "the new tables exist");

	memset(&ll, 0, sizeof ll);
	ll.channel = -1;
	ok(store_live_log_put(s, 7000, &ll, &cause) == 0 &&
	    store_builder_state(s, 7, "idle", 5.0, &cause) == 0 &&
	    store_slave(s, 3, "sl", STORE_SLAVE_CONNECTED, 5.0,
	    BBM_ORIGIN_LIVE, &cause) == 0 &&
	    store_live_seq_put(s, 3, 42, &cause) == 0,
	    "the live path writes into the migrated database");

	test_build(&b, 3, 3000.0, 1);
	rc = store_build(s, 3, 7, &b, BBM_ORIGIN_IMPORT, &id, &cause);
	ok(rc == 0 && id == 70, "storing the old build finds it");
	is_int(test_db_int(name, "SELECT count(*) FROM steps s JOIN logs l ON "
	    "l.step_id = s.id WHERE s.id = 700 AND l.id = 7000 AND "
	    "l.store_key = 'key-3-0-0' AND s.text = '[\"compile\"]'"), 1,
	    "its old step and log keep their ids, with the new content");
	is_int(test_db_int(name, "SELECT count(*) FROM live_logs WHERE "
	    "log_id = 7000"), 1, "and the live_logs row stays");
	record_build_free(&b);
	store_close(s);
	test_db_close(name);
	free(cause);
}

#ifdef HAVE_POSTGRESQL
/* name's url with an application_name, to find its session (caller frees). */
static char *
test_pg_url(const char *name, const char *app)
{
	char	*url;

	xasprintf(&url, "%s application_name=%s", test_db_url(name), app);
	return (url);
}

/*
 * Ends the server sessions named app, waiting for them to be gone, as a
 * restart or a network cut would; returns how many there were.
 */
static int64_t
test_pg_kill(const char *name, const char *app)
{
	return (test_db_int(name, "SELECT count(*) FROM (SELECT "
	    "pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE "
	    "application_name = '%s' AND pid <> pg_backend_pid()) AS t", app));
}

/* The text a statement gives on a backend connection (caller frees). */
static char *
test_pg_value(struct store_conn *c, const char *sql)
{
	const struct store_backend	*be = &store_pgsql_backend;
	struct store_stmt		*st;
	char				*error, *v = NULL;

	if ((st = be->prepare(c, sql, &error)) == NULL) {
		tap_diag("%s: %s", sql, error);
		free(error);
		return (NULL);
	}
	if (be->step(st) == STORE_STEP_ROW && be->column_text(st, 0) != NULL)
		v = xstrdup(be->column_text(st, 0));
	else
		tap_diag("%s: %s", sql, be->stmt_errmsg(st));
	be->finalize(st);
	return (v);
}

/* synchronous_commit follows set_durable, across reconnections too. */
static void
test_durable_pgsql(const char *name)
{
	const struct store_backend	*be = &store_pgsql_backend;
	struct store_conn		*c;
	struct store			*s;
	char				*url, *v, *cause = NULL;

	url = test_pg_url(name, "bbm_durable");
	if ((c = be->open(url, &cause)) == NULL) {
		ok(0, "open %s: %s", name, cause);
		free(cause);
		free(url);
		return;
	}
	v = test_pg_value(c, "SHOW synchronous_commit");
	is_str(v, "off", "by default a commit does not wait for the disk");
	free(v);
	ok(be->set_durable(c, 1, &cause) == 0, "set_durable on");
	v = test_pg_value(c, "SHOW synchronous_commit");
	is_str(v, "on", "a durable commit waits for the disk");
	free(v);
	is_int(test_pg_kill(name, "bbm_durable"), 1, "session terminated");
	ok(be->begin(c, &cause) == 0, "begin reconnects");
	v = test_pg_value(c, "SHOW synchronous_commit");
	is_str(v, "on", "the new session is durable too");
	free(v);
	ok(be->commit(c, &cause) == 0, "commit");
	be->close(c);
	free(url);

	s = test_open(name);
	ok(store_set_durable(s, 1, &cause) == 0, "store_set_durable on");
	ok(store_begin(s, &cause) == 0 &&
	    store_set_durable(s, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, "transaction") != NULL,
	    "not changed inside a transaction");
	store_rollback(s);
	free(cause);
	cause = NULL;
	ok(store_set_durable(s, 0, &cause) == 0, "store_set_durable off");
	store_close(s);
}

/*
 * The server ends the store's session (as a restart would): the next
 * transaction reconnects; a transaction it cut fails and leaves nothing.
 */
static void
test_reconnect(const char *name)
{
	struct store	*s;
	char		*url, *cause = NULL;
	int64_t		 id, id1;
	int		 rc;

	url = test_pg_url(name, "bbm_victim");
	if ((s = store_open(url, &cause)) == NULL) {
		ok(0, "store_open: %s", cause);
		free(cause);
		free(url);
		return;
	}
	ok(store_master(s, "r1", NULL, &id1, &cause) == 0, "a write");
	is_int(test_pg_kill(name, "bbm_victim"), 1, "session terminated");
	rc = store_master(s, "r1", NULL, &id, &cause);
	ok(rc == 0 && id == id1, "the next transaction reconnects "
	    "and prepares its statements again");
	if (rc != 0)
		tap_diag("%s", cause);

	ok(store_begin(s, &cause) == 0 &&
	    store_master(s, "r2", NULL, &id, &cause) == 0, "a transaction");
	is_int(test_pg_kill(name, "bbm_victim"), 1, "session terminated");
	rc = store_master(s, "r3", NULL, &id, &cause);
	ok(rc == -1 && cause != NULL, "a statement on the lost connection "
	    "fails");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	store_rollback(s);
	if (!ok(store_master(s, "r3", NULL, &id, &cause) == 0,
	    "after the rollback, the next transaction reconnects")) {
		tap_diag("%s", cause);
		free(cause);
		cause = NULL;
	}

	ok(store_begin(s, &cause) == 0 &&
	    store_master(s, "r4", NULL, &id, &cause) == 0, "another one");
	is_int(test_pg_kill(name, "bbm_victim"), 1, "session terminated");
	ok(store_commit(s, &cause) == -1 && cause != NULL,
	    "its commit fails");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	if (!ok(store_master(s, "r5", NULL, &id, &cause) == 0, "and then a "
	    "write works again")) {
		tap_diag("%s", cause);
		free(cause);
		cause = NULL;
	}
	is_int(test_db_int(name, "SELECT count(*) FROM masters WHERE name IN "
	    "('r1', 'r3', 'r5')"), 3, "the committed writes are there");
	is_int(test_db_int(name, "SELECT count(*) FROM masters WHERE name IN "
	    "('r2', 'r4')"), 0, "the cut transactions left nothing");
	store_close(s);
	free(url);
}

#define TEST_WRITERS	3
#define TEST_BUILDS	30
struct test_writer {
	const char	*url;
	int		 failed;
	char		*cause;
};

/*
 * One writer of test_concurrent: the same builds (with changes shared by
 * all of them) as the other writers, a transaction each.
 */
static void *
test_writer_run(void *arg)
{
	struct test_writer	*w = arg;
	struct bbm_builder	 bl;
	struct bbm_build	 b;
	struct store		*s;
	int64_t			 master, builder, id;
	int			 i;

	if ((s = store_open(w->url, &w->cause)) == NULL) {
		w->failed++;
		return (NULL);
	}
	memset(&bl, 0, sizeof bl);
	bl.name = (char *)"b1";
	if (store_master(s, "conc", NULL, &master, &w->cause) != 0 ||
	    store_builder(s, master, &bl, BBM_ORIGIN_LIVE, &builder,
	    &w->cause) != 0) {
		w->failed++;
		store_close(s);
		return (NULL);
	}
	for (i = 0; i < TEST_BUILDS && w->failed == 0; i++) {
		/* Every fifth build has no start time: NULL identity. */
		test_build(&b, i, i % 5 == 4 ? BBM_NO_TIME : 1000.0 + i, 2);
		if (store_build(s, master, builder, &b, BBM_ORIGIN_IMPORT, &id,
		    &w->cause) != 0)
			w->failed++;
		record_build_free(&b);
	}
	store_close(s);
	return (NULL);
}

/*
 * Writers storing the same builds at once (several bbmirrord and
 * importers on one database) end with each row once: no duplicate build
 * from two find-then-insert runs, no change file written twice.
 */
static void
test_concurrent(const char *name)
{
	struct test_writer	 w[TEST_WRITERS];
	pthread_t		 t[TEST_WRITERS];
	char			*url;
	int			 i, failed = 0;

	url = xstrdup(test_db_url(name));
	memset(w, 0, sizeof w);
	for (i = 0; i < TEST_WRITERS; i++) {
		w[i].url = url;
		if (pthread_create(&t[i], NULL, test_writer_run, &w[i]) != 0)
			fatalx("pthread_create");
	}
	for (i = 0; i < TEST_WRITERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failed) {
			tap_diag("writer %d: %s", i, w[i].cause);
			failed++;
		}
		free(w[i].cause);
	}
	is_int(failed, 0, "%d writers stored %d builds each at once",
	    TEST_WRITERS, TEST_BUILDS);
	is_int(test_db_int(name, "SELECT count(*) FROM builds"), TEST_BUILDS,
	    "each build once");
	is_int(test_db_int(name, "SELECT count(*) FROM (SELECT DISTINCT "
	    "builder_id, number, started_at FROM builds) AS t"), TEST_BUILDS,
	    "no two rows share an identity");
	is_int(test_db_int(name, "SELECT count(*) FROM steps"),
	    2 * TEST_BUILDS, "each step once");
	is_int(test_db_int(name, "SELECT count(*) FROM changes"), 2,
	    "the two shared changes once");
	is_int(test_db_int(name, "SELECT count(*) FROM change_files"), 4,
	    "their files once");
	is_int(test_db_int(name, "SELECT count(*) FROM sourcestamps"),
	    TEST_BUILDS, "one sourcestamp a build");
	free(url);
}

struct test_opener {
	const char	*url;
	int		 version;
	char		*cause;
};

static void *
test_opener_run(void *arg)
{
	struct test_opener	*o = arg;
	struct store		*s;

	if ((s = store_open(o->url, &o->cause)) != NULL) {
		o->version = store_schema_version(s);
		store_close(s);
	}
	return (NULL);
}

/* Two programs opening a new database at once migrate it once. */
static void
test_first_use(const char *name)
{
	struct test_opener	 o[2];
	pthread_t		 t[2];
	char			*url;
	int			 i;

	url = xstrdup(test_db_url(name));
	memset(o, 0, sizeof o);
	for (i = 0; i < 2; i++) {
		o[i].url = url;
		if (pthread_create(&t[i], NULL, test_opener_run, &o[i]) != 0)
			fatalx("pthread_create");
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (!ok(o[i].version == 3, "opener %d: version 3", i))
			tap_diag("%s", o[i].cause);
		free(o[i].cause);
	}
	is_int(test_db_int(name, "SELECT count(*) FROM schema_version"), 3,
	    "each migration applied once");
	free(url);
}

/* A query's first integer, or -999. */
static int64_t
test_query_int(struct query_db *q, const char *sql)
{
	struct query_stmt	*st;
	char			*cause = NULL;
	int64_t			 v = -999;

	if ((st = query_prepare(q, sql, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
		return (v);
	}
	if (query_step(st) == QUERY_ROW)
		v = query_column_int64(st, 0);
	else
		tap_diag("%s: %s", sql, query_errmsg(st));
	query_reset(st);
	return (v);
}

/*
 * query.h over PostgreSQL: a data version that moves with commits,
 * snapshots, a session that refuses writes, reconnection.
 */
static void
test_query(const char *name)
{
	struct query_db		*q;
	struct query_stmt	*st;
	struct store		*s;
	char			*url, *cause = NULL;
	int64_t			 v1, v2, n, id;

	url = test_pg_url(name, "bbm_reader");
	if ((q = query_open(url, 3, &cause)) == NULL) {
		ok(0, "query_open: %s", cause);
		free(cause);
		free(url);
		return;
	}
	is_str(query_engine(q), "postgresql", "query_engine");
	is_int(query_schema_version(q), 3, "query_schema_version");
	s = test_open(name);
	ok(query_data_version(q, &v1, &cause) == 0, "query_data_version");
	ok(store_master(s, "dv", NULL, &id, &cause) == 0 &&
	    query_data_version(q, &v2, &cause) == 0 && v1 != v2,
	    "a commit changes the data version");

	n = test_query_int(q, "SELECT count(*) FROM masters");
	ok(query_begin(q, &cause) == 0, "query_begin");
	is_int(test_query_int(q, "SELECT count(*) FROM masters"), n,
	    "count in the snapshot");
	ok(store_master(s, "dv2", NULL, &id, &cause) == 0, "another commit");
	is_int(test_query_int(q, "SELECT count(*) FROM masters"), n,
	    "the snapshot does not see it");
	query_end(q);
	is_int(test_query_int(q, "SELECT count(*) FROM masters"), n + 1,
	    "after query_end it does");

	st = query_prepare(q, "INSERT INTO masters (name, created_at) "
	    "VALUES ($1, 0)", &cause);
	if (st != NULL) {
		query_bind_text(st, 1, "intruder");
		ok(query_step(st) == QUERY_ERR &&
		    strstr(query_errmsg(st), "read-only") != NULL,
		    "the reader's session refuses writes");
		tap_diag("%s", query_errmsg(st));
		query_reset(st);
	} else {
		ok(0, "prepare an insert: %s", cause);
		free(cause);
		cause = NULL;
	}

	is_int(test_pg_kill(name, "bbm_reader"), 1, "session terminated");
	ok(query_begin(q, &cause) == 0, "query_begin reconnects");
	is_int(test_query_int(q, "SELECT count(*) FROM masters"), n + 1,
	    "a cached statement runs in the new session");
	query_end(q);
	query_close(q);
	store_close(s);
	free(url);

	q = query_open(test_db_url("empty.db"), 1, &cause);
	ok(q == NULL && cause != NULL && strstr(cause, "not a bbmirror") !=
	    NULL, "a schema without bbmirror's tables is refused");
	free(cause);
	query_close(q);
}
#endif

/*
 * A write that fails inside a unit (on PostgreSQL it may be told only at
 * the unit's end: it was sent without waiting) is undone with its unit,
 * and the transaction goes on.
 */
static void
test_units(const char *name)
{
	struct store	*s;
	char		*cause = NULL;
	int64_t		 id;
	int		 rc;

	s = test_open(name);
	ok(store_begin(s, &cause) == 0 &&
	    store_master(s, "u1", NULL, &id, &cause) == 0, "a transaction");
	ok(store_unit_begin(s, &cause) == 0, "a unit");
	rc = store_live_seq_put(s, 99999, 1, &cause);
	tap_diag("write of a missing master: %d (%s)", rc, cause != NULL ?
	    cause : "not told yet");
	free(cause);
	cause = NULL;
	ok(store_unit_abort(s) == 0, "aborting the unit with a failed write");
	ok(store_master(s, "u2", NULL, &id, &cause) == 0 &&
	    store_commit(s, &cause) == 0, "the transaction goes on and commits");
	is_int(test_db_int(name, "SELECT count(*) FROM masters WHERE name IN "
	    "('u1', 'u2')"), 2, "its writes are there");
	is_int(test_db_int(name, "SELECT count(*) FROM live_masters"), 0,
	    "the failed one is not");

	ok(store_begin(s, &cause) == 0 && store_unit_begin(s, &cause) == 0,
	    "another unit");
	rc = store_live_seq_put(s, 99999, 1, &cause);
	if (rc == 0)
		rc = store_unit_end(s, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "live_masters") != NULL,
	    "its failed write is told, at the latest by store_unit_end");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	ok(store_unit_abort(s) == 0 &&
	    store_master(s, "u3", NULL, &id, &cause) == 0 &&
	    store_commit(s, &cause) == 0, "undone, and the transaction commits");
	is_int(test_db_int(name, "SELECT count(*) FROM masters WHERE "
	    "name = 'u3'"), 1, "with its other writes");
	store_close(s);
	test_db_close(name);
	free(cause);
}

/* Tests on databases of their own. */
void
test_live_files(void)
{
	if (test_db_engine() == TEST_SQLITE)
		test_durable_sqlite("durable.db");
#ifdef HAVE_POSTGRESQL
	else
		test_durable_pgsql("durable.db");
#endif
	test_migrate("v1.db");
	test_units("units.db");
#ifdef HAVE_POSTGRESQL
	if (test_db_engine() != TEST_PGSQL)
		return;
	test_reconnect("reconnect.db");
	test_concurrent("concurrent.db");
	test_first_use("race.db");
	test_query("store.db");
#endif
}
