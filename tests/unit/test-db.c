/*
 * test-db.c: the engines of the store tests (test-db.h): SQLite files in
 * a temporary directory, a PostgreSQL database per run with a schema per
 * database name, and cached plain connections to read them back.
 */
#include "config.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif

#include "util.h"
#include "tap.h"
#include "test-db.h"

#define TEST_DB_CONNS	16

struct test_conn {
	enum test_engine	 engine;
	char			*name;
	sqlite3			*lite;
#ifdef HAVE_POSTGRESQL
	PGconn			*pg;
#endif
};

static char		 test_db_dir[256];
static enum test_engine	 test_db_current = TEST_SQLITE;
static struct test_conn	 test_db_conns[TEST_DB_CONNS];
static unsigned	 test_db_evict;
static int		 test_db_ready;
static int		 test_db_pg_ok;		/* the run's database exists */
static char		*test_db_pg_why;	/* why PostgreSQL is not used */
static int		 test_db_pg_said;
#ifdef HAVE_POSTGRESQL
static char		 test_db_pg_name[64];
static PGconn		*test_db_pg_run;	/* to the run's database */
#endif

static void	 test_db_close1(struct test_conn *);

#ifdef HAVE_POSTGRESQL
static void
test_db_quiet(void *arg, const PGresult *res)
{
}

/* Appends key='value' to b, quoted as libpq reads it. */
static void
test_db_kv(struct buf *b, const char *key, const char *value)
{
	const char	*p;

	if (buf_addf(b, "%s%s='", b->len > 0 ? " " : "", key) != 0)
		fatalx("test_db_kv");
	for (p = value; *p != '\0'; p++) {
		if ((*p == '\'' || *p == '\\') && buf_add(b, "\\", 1) != 0)
			fatalx("test_db_kv");
		if (buf_add(b, p, 1) != 0)
			fatalx("test_db_kv");
	}
	if (buf_add(b, "'", 1) != 0)
		fatalx("test_db_kv");
}

/*
 * BBM_TEST_PG with dbname replaced (NULL: kept) and, if schema is not
 * NULL, search_path set to it. Caller frees.
 */
static char *
test_db_conninfo(const char *dbname, const char *schema)
{
	PQconninfoOption	*opts, *o;
	struct buf		 b;
	char			*error = NULL, *options = NULL;

	opts = PQconninfoParse(getenv("BBM_TEST_PG"), &error);
	if (opts == NULL)
		fatalx("BBM_TEST_PG: %s", error != NULL ? error : "invalid");
	buf_init(&b, 0);
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "dbname") == 0 && dbname != NULL)
			continue;
		if (strcmp(o->keyword, "options") == 0) {
			options = xstrdup(o->val);
			continue;
		}
		test_db_kv(&b, o->keyword, o->val);
	}
	if (dbname != NULL)
		test_db_kv(&b, "dbname", dbname);
	if (schema != NULL) {
		free(error);
		xasprintf(&error, "%s%s-c search_path=%s", options != NULL ?
		    options : "", options != NULL ? " " : "", schema);
		test_db_kv(&b, "options", error);
	} else if (options != NULL)
		test_db_kv(&b, "options", options);
	free(options);
	free(error);
	PQconninfoFree(opts);
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}

/* Runs sql on a new connection to conninfo; -1 with *cause on failure. */
static int
test_db_admin(const char *conninfo, const char *sql, char **cause)
{
	PGconn		*pg;
	PGresult	*res;
	int		 rc = 0;

	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		xasprintf(cause, "%s", PQerrorMessage(pg));
		PQfinish(pg);
		return (-1);
	}
	PQsetNoticeReceiver(pg, test_db_quiet, NULL);
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "%s: %s", sql, PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	PQfinish(pg);
	return (rc);
}

/* A schema's name for a database name: t_ and its letters and digits. */
static void
test_db_schema(const char *name, char *out, size_t size)
{
	size_t	 i, n;

	n = (size_t)snprintf(out, size, "t_");
	for (i = 0; name[i] != '\0' && n + 1 < size; i++) {
		out[n++] = isalnum((unsigned char)name[i]) ?
		    (char)tolower((unsigned char)name[i]) : '_';
	}
	out[n] = '\0';
}
#endif

void
test_db_init(const char *prefix)
{
#ifdef HAVE_POSTGRESQL
	char	*conninfo, *sql, *cause = NULL;
	size_t	 i;
#endif

	snprintf(test_db_dir, sizeof test_db_dir, "/tmp/bbm-%s-XXXXXX",
	    prefix);
	if (mkdtemp(test_db_dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		exit(1);
	}
	test_db_ready = 1;
	atexit(test_db_done);
#ifndef HAVE_POSTGRESQL
	test_db_pg_why = xstrdup("this bbmirror was built without "
	    "PostgreSQL");
#else
	if (getenv("BBM_TEST_PG") == NULL || *getenv("BBM_TEST_PG") == '\0') {
		test_db_pg_why = xstrdup("BBM_TEST_PG is not set (a libpq "
		    "connection string to a server where databases may be "
		    "created)");
		return;
	}
	snprintf(test_db_pg_name, sizeof test_db_pg_name, "bbm_%s_%ld_%ld",
	    prefix, (long)getpid(), (long)time(NULL) % 100000);
	for (i = 0; test_db_pg_name[i] != '\0'; i++) {
		if (!isalnum((unsigned char)test_db_pg_name[i]))
			test_db_pg_name[i] = '_';
	}
	conninfo = test_db_conninfo(NULL, NULL);
	xasprintf(&sql, "CREATE DATABASE %s", test_db_pg_name);
	if (test_db_admin(conninfo, sql, &cause) != 0) {
		ok(0, "PostgreSQL at BBM_TEST_PG: create the test database");
		tap_diag("%s", cause);
		xasprintf(&test_db_pg_why, "BBM_TEST_PG: %s", cause);
		free(cause);
	} else
		test_db_pg_ok = 1;
	free(sql);
	free(conninfo);
#endif
}

void
test_db_done(void)
{
	size_t	 i;
	char	*cmd;
#ifdef HAVE_POSTGRESQL
	char	*conninfo, *sql, *cause = NULL;
#endif

	if (!test_db_ready)
		return;
	test_db_ready = 0;
	for (i = 0; i < TEST_DB_CONNS; i++) {
		if (test_db_conns[i].name != NULL)
			test_db_close1(&test_db_conns[i]);
	}
#ifdef HAVE_POSTGRESQL
	if (test_db_pg_run != NULL)
		PQfinish(test_db_pg_run);
	test_db_pg_run = NULL;
	if (test_db_pg_ok) {
		conninfo = test_db_conninfo(NULL, NULL);
		xasprintf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		    test_db_pg_name);
		if (test_db_admin(conninfo, sql, &cause) != 0) {
			printf("# could not drop %s: %s\n", test_db_pg_name,
			    cause);
			free(cause);
		}
		free(sql);
		free(conninfo);
		test_db_pg_ok = 0;
	}
#endif
	free(test_db_pg_why);
	test_db_pg_why = NULL;
	xasprintf(&cmd, "rm -rf '%s'", test_db_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", test_db_dir);
	free(cmd);
}

int
test_db_has(enum test_engine e)
{
	if (e == TEST_SQLITE)
		return (1);
	if (test_db_pg_ok)
		return (1);
	if (!test_db_pg_said) {
		test_db_pg_said = 1;
		ok(1, "PostgreSQL half # SKIP %s", test_db_pg_why != NULL ?
		    test_db_pg_why : "unavailable");
	}
	return (0);
}

void
test_db_use(enum test_engine e)
{
	test_db_current = e;
	tap_diag("---- engine: %s", test_db_engine_name());
}

enum test_engine
test_db_engine(void)
{
	return (test_db_current);
}

const char *
test_db_engine_name(void)
{
	return (test_db_current == TEST_SQLITE ? "sqlite" : "postgresql");
}

const char *
test_db_path(const char *name)
{
	static char	 path[512];

	snprintf(path, sizeof path, "%s/%s", test_db_dir, name);
	return (path);
}

const char *
test_db_url(const char *name)
{
#ifdef HAVE_POSTGRESQL
	static char	*url;
	char		 schema[64], *conninfo, *sql;

	PGresult	*res;

	if (test_db_current == TEST_PGSQL) {
		test_db_schema(name, schema, sizeof schema);
		if (test_db_pg_run == NULL) {
			conninfo = test_db_conninfo(test_db_pg_name, NULL);
			test_db_pg_run = PQconnectdb(conninfo);
			free(conninfo);
			if (PQstatus(test_db_pg_run) != CONNECTION_OK) {
				printf("Bail out! %s\n",
				    PQerrorMessage(test_db_pg_run));
				exit(1);
			}
			PQsetNoticeReceiver(test_db_pg_run, test_db_quiet,
			    NULL);
		}
		xasprintf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
		res = PQexec(test_db_pg_run, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			printf("Bail out! %s: %s\n", sql,
			    PQresultErrorMessage(res));
			exit(1);
		}
		PQclear(res);
		free(sql);
		free(url);
		url = test_db_conninfo(test_db_pg_name, schema);
		return (url);
	}
#endif
	return (test_db_path(name));
}

/* The cached connection for name under the current engine. */
static struct test_conn *
test_db_conn(const char *name)
{
	struct test_conn	*c, *free_slot = NULL;
	size_t			 i;

	for (i = 0; i < TEST_DB_CONNS; i++) {
		c = &test_db_conns[i];
		if (c->name == NULL) {
			if (free_slot == NULL)
				free_slot = c;
			continue;
		}
		if (c->engine == test_db_current && strcmp(c->name, name) == 0)
			return (c);
	}
	if ((c = free_slot) == NULL) {
		/* Full: the oldest goes (any may, they are only caches). */
		c = &test_db_conns[test_db_evict++ % TEST_DB_CONNS];
		test_db_close1(c);
	}
	c->engine = test_db_current;
#ifdef HAVE_POSTGRESQL
	if (c->engine == TEST_PGSQL) {
		c->pg = PQconnectdb(test_db_url(name));
		if (PQstatus(c->pg) != CONNECTION_OK) {
			printf("Bail out! %s: %s\n", name,
			    PQerrorMessage(c->pg));
			exit(1);
		}
		PQsetNoticeReceiver(c->pg, test_db_quiet, NULL);
		c->name = xstrdup(name);
		return (c);
	}
#endif
	if (sqlite3_open(test_db_path(name), &c->lite) != SQLITE_OK) {
		printf("Bail out! sqlite3_open %s\n", name);
		exit(1);
	}
	sqlite3_busy_timeout(c->lite, 10000);
	sqlite3_exec(c->lite, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	c->name = xstrdup(name);
	return (c);
}

static void
test_db_close1(struct test_conn *c)
{
	if (c->lite != NULL)
		sqlite3_close(c->lite);
	c->lite = NULL;
#ifdef HAVE_POSTGRESQL
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
#endif
	free(c->name);
	c->name = NULL;
}

void
test_db_close(const char *name)
{
	size_t	 i;

	for (i = 0; i < TEST_DB_CONNS; i++) {
		if (test_db_conns[i].name != NULL &&
		    strcmp(test_db_conns[i].name, name) == 0)
			test_db_close1(&test_db_conns[i]);
	}
}

void
test_db_drop(const char *name)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char			*sql;
	size_t			 i;
#ifdef HAVE_POSTGRESQL
	char			 schema[64];
#endif

	test_db_close(name);
#ifdef HAVE_POSTGRESQL
	if (test_db_current == TEST_PGSQL) {
		test_db_schema(name, schema, sizeof schema);
		xasprintf(&sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
		(void)test_db_exec(name, sql);
		free(sql);
		test_db_close(name);
		return;
	}
#endif
	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		xasprintf(&sql, "%s%s", test_db_path(name), suffixes[i]);
		unlink(sql);
		free(sql);
	}
}

/*
 * Runs sql on name's connection and calls row for each row's values
 * (NULL for SQL NULL), until it returns non-zero. -1 after a diagnostic
 * on error.
 */
static int
test_db_each(const char *name, const char *sql,
    int (*row)(void *, int, const char **), void *arg)
{
	struct test_conn	*c = test_db_conn(name);
	sqlite3_stmt		*st;
	const char		*v[32];
	int			 i, n, rc;
#ifdef HAVE_POSTGRESQL
	PGresult		*res;
	int			 r;

	if (c->engine == TEST_PGSQL) {
		res = PQexec(c->pg, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		    PQresultStatus(res) != PGRES_COMMAND_OK) {
			tap_diag("%s: %s", sql, PQresultErrorMessage(res));
			PQclear(res);
			return (-1);
		}
		n = PQnfields(res);
		if (n > 32)
			n = 32;
		for (r = 0; r < PQntuples(res); r++) {
			for (i = 0; i < n; i++) {
				v[i] = PQgetisnull(res, r, i) ? NULL :
				    PQgetvalue(res, r, i);
			}
			if (row(arg, n, v) != 0)
				break;
		}
		PQclear(res);
		return (0);
	}
#endif
	if (sqlite3_prepare_v2(c->lite, sql, -1, &st, NULL) != SQLITE_OK) {
		tap_diag("%s: %s", sql, sqlite3_errmsg(c->lite));
		return (-1);
	}
	n = sqlite3_column_count(st);
	if (n > 32)
		n = 32;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		if (row(arg, n, v) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		tap_diag("%s: %s", sql, sqlite3_errmsg(c->lite));
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (0);
}

static int
test_db_first(void *arg, int n, const char **v)
{
	char	**out = arg;

	if (n > 0 && v[0] != NULL)
		*out = xstrdup(v[0]);
	return (1);
}

char *
test_db_text(const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v = NULL;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	(void)test_db_each(name, sql, test_db_first, &v);
	free(sql);
	return (v);
}

int64_t
test_db_int(const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v = NULL;
	int64_t	 n = -999;
	double	 d;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	(void)test_db_each(name, sql, test_db_first, &v);
	free(sql);
	if (v == NULL)
		return (n);
	if (strcmp(v, "t") == 0)
		n = 1;
	else if (strcmp(v, "f") == 0)
		n = 0;
	else if (strpbrk(v, ".eE") != NULL) {
		d = strtod(v, NULL);
		n = (int64_t)d;
	} else
		n = strtoll(v, NULL, 10);
	free(v);
	return (n);
}

static int
test_db_none(void *arg, int n, const char **v)
{
	return (0);
}

int
test_db_exec(const char *name, const char *sql)
{
	struct test_conn	*c;
	char			*error = NULL;

	c = test_db_conn(name);
	if (c->engine == TEST_SQLITE) {
		if (sqlite3_exec(c->lite, sql, NULL, NULL, &error) !=
		    SQLITE_OK) {
			tap_diag("%s: %s", sql, error != NULL ? error :
			    sqlite3_errmsg(c->lite));
			sqlite3_free(error);
			return (-1);
		}
		return (0);
	}
	return (test_db_each(name, sql, test_db_none, NULL));
}

static int
test_db_line(void *arg, int n, const char **v)
{
	struct buf	*b = arg;
	int		 i;

	for (i = 0; i < n; i++) {
		if (buf_addf(b, "%s%s", i > 0 ? "|" : "",
		    v[i] != NULL ? v[i] : "NULL") != 0)
			fatalx("test_db_rows");
	}
	if (buf_add(b, "\n", 1) != 0)
		fatalx("test_db_rows");
	return (0);
}

char *
test_db_rows(const char *name, const char *sql)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_add(&b, "", 0) != 0 ||
	    test_db_each(name, sql, test_db_line, &b) != 0) {
		buf_free(&b);
		return (NULL);
	}
	if (b.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&b, NULL));
}
