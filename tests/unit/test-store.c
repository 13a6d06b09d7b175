/*
 * test-store.c: the store against real databases, on each engine
 * (test-db.h): SQLite files in a temporary directory, and PostgreSQL when
 * BBM_TEST_PG names a server. Every expectation is read back with a
 * second, plain connection, so the test checks what a user querying the
 * database sees.
 *
 * This file holds main(), the reading connection and the record builders,
 * opening and the schema, masters and builders, builds, transactions and
 * errors; test-store-history.c holds changes, buildsets, build requests
 * and their links to builds, import file state and log lookups;
 * test-store-live.c the live path of schema version 2.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-store.h"

/* The database the reading connection queries. */
static const char	*test_name = "store.db";

/* The integer in the first column of the first row, or -999 if none. */
int64_t PRINTFLIKE(1, 2)
test_q_int(const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;
	int64_t	 v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_int(test_name, "%s", sql);
	free(sql);
	return (v);
}

/* The text of the first column of the first row (caller frees), or NULL. */
char * PRINTFLIKE(1, 2)
test_q_text(const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_text(test_name, "%s", sql);
	free(sql);
	return (v);
}

void
test_property(struct bbm_property *p, const char *name, const char *value,
    const char *source)
{
	p->name = xstrdup(name);
	p->value = xstrdup(value);
	p->source = xstrdup(source);
}

void
test_change(struct bbm_change *c, int64_t number, const char *revision,
    double when, const char *file)
{
	memset(c, 0, sizeof *c);
	c->number = number;
	c->author = xstrdup("alice");
	c->comments = xstrdup("fix the frobnicator");
	c->branch = xstrdup("trunk");
	c->revision = xstrdup(revision);
	c->when = when;
	c->nfiles = 2;
	c->files = xcalloc(c->nfiles, sizeof *c->files);
	c->files[0] = xstrdup("src/a.c");
	c->files[1] = xstrdup(file);
	c->nproperties = 1;
	c->properties = xcalloc(1, sizeof *c->properties);
	test_property(&c->properties[0], "ticket", "\"42\"", "Change");
}

/*
 * A build of builder "b1" with nsteps steps (step 0 has a text and an HTML
 * log, the others one text log each), two properties, changes r1 and r2,
 * and one sourcestamp with a binary patch that names change r2.
 */
void
test_build(struct bbm_build *b, int64_t number, double started_at,
    size_t nsteps)
{
	struct bbm_step		*st;
	struct bbm_log		*l;
	struct bbm_sourcestamp	*ss;
	char			 buf[64];
	size_t			 i, j;

	memset(b, 0, sizeof *b);
	b->builder_name = xstrdup("b1");
	b->number = number;
	b->started_at = started_at;
	b->finished_at = started_at + 60;
	b->complete = 1;
	b->results = BBM_FAILURE;
	b->text = xstrdup("[\"failed\",\"compile\"]");
	b->reason = xstrdup("scheduler");
	b->slave = xstrdup("slave1");
	b->blamelist = xstrdup("[\"alice\"]");

	b->nsteps = nsteps;
	b->steps = xcalloc(nsteps, sizeof *b->steps);
	for (i = 0; i < nsteps; i++) {
		st = &b->steps[i];
		st->number = (int64_t)i;
		snprintf(buf, sizeof buf, "step%zu", i);
		st->name = xstrdup(buf);
		st->started_at = started_at + (double)i;
		st->finished_at = started_at + (double)i + 0.5;
		st->results = i + 1 == nsteps ? BBM_FAILURE : BBM_SUCCESS;
		st->text = xstrdup("[\"compile\"]");
		st->urls = xstrdup("{}");
		st->nlogs = i == 0 ? 2 : 1;
		st->logs = xcalloc(st->nlogs, sizeof *st->logs);
		for (j = 0; j < st->nlogs; j++) {
			l = &st->logs[j];
			l->name = xstrdup(j == 0 ? "stdio" : "report");
			snprintf(buf, sizeof buf, "%lld-log-step%zu-%zu",
			    (long long)number, i, j);
			l->filename = xstrdup(buf);
			l->kind = j == 0 ? BBM_LOG_TEXT : BBM_LOG_HTML;
			l->length = -1;
			l->state = BBM_LOG_STORED;
			snprintf(buf, sizeof buf, "key-%lld-%zu-%zu",
			    (long long)number, i, j);
			l->store_key = xstrdup(buf);
			l->stored_bytes = 100 + (int64_t)j;
			l->text_bytes = 80;
			l->lines = 4;
			l->complete = 1;
		}
	}

	b->nproperties = 2;
	b->properties = xcalloc(2, sizeof *b->properties);
	snprintf(buf, sizeof buf, "%lld", (long long)number);
	test_property(&b->properties[0], "buildnumber", buf, "Build");
	test_property(&b->properties[1], "branch", "\"trunk\"", "Build");

	b->nchanges = 2;
	b->changes = xcalloc(2, sizeof *b->changes);
	test_change(&b->changes[0], 1, "r1", 900.0, "src/b.c");
	test_change(&b->changes[1], 2, "r2", 950.25, "src/c.c");

	b->nsourcestamps = 1;
	b->sourcestamps = xcalloc(1, sizeof *b->sourcestamps);
	ss = &b->sourcestamps[0];
	ss->branch = xstrdup("trunk");
	ss->revision = xstrdup("r2");
	ss->has_patch = 1;
	ss->patch_level = 1;
	ss->patch_len = 6;
	ss->patch_body = xmalloc(ss->patch_len);
	memcpy(ss->patch_body, "\xff\0diff", ss->patch_len);
	ss->patch_subdir = xstrdup("sub");
	ss->nchanges = 1;
	ss->changes = xcalloc(1, sizeof *ss->changes);
	ss->changes[0] = 1;
}

/* Stores a build outside any transaction (the store opens its own). */
int64_t
test_store_build(struct store *s, int64_t master, int64_t builder,
    const struct bbm_build *b, const char *what)
{
	int64_t	 id = -1;
	char	*cause = NULL;
	int	 rc;

	rc = store_build(s, master, builder, b, BBM_ORIGIN_IMPORT, &id, &cause);
	if (!ok(rc == 0, "%s: store_build", what))
		tap_diag("%s", cause);
	free(cause);
	return (id);
}

struct store *
test_open(const char *name)
{
	struct store	*s;
	char		*cause = NULL;

	s = store_open(test_db_url(name), &cause);
	if (!ok(s != NULL, "store_open %s", name)) {
		tap_diag("%s", cause);
		free(cause);
		printf("Bail out! cannot open the store\n");
		exit(1);
	}
	return (s);
}

static void
test_schema(void)
{
	static const char *const tables[] = {
		"schema_version", "result_codes", "masters", "builders",
		"builder_events", "builds", "steps", "logs",
		"build_properties", "sourcestamps", "changes", "change_files",
		"change_properties", "build_changes", "sourcestamp_changes",
		"buildsets", "buildset_properties", "buildrequests",
		"build_requests", "import_files", "slaves", "live_masters",
		"live_logs", "log_garbage", "push_packets",
	};
	struct store	*s;
	char		*cause = NULL, *name;
	size_t		 i;
	int		 code, good;
	FILE		*f;

	test_name = "schema.db";
	s = test_open("schema.db");
	is_int(store_schema_version(s), 3, "new database is at version 3");
	store_close(s);

	is_int(test_q_int("SELECT count(*) FROM schema_version"), 3,
	    "one schema_version row per migration");
	is_int(test_q_int("SELECT max(version) FROM schema_version"), 3,
	    "schema_version says 3");
	is_int(test_q_int(TEST_SQL("SELECT count(*) FROM "
	    "pragma_table_info('builders') WHERE name = 'state' OR "
	    "name = 'state_at'", "SELECT count(*) FROM "
	    "information_schema.columns WHERE table_schema = current_schema() "
	    "AND table_name = 'builders' AND column_name IN ('state', "
	    "'state_at')")), 2, "builders has state and state_at");
	ok(test_q_int("SELECT min(applied_at) FROM schema_version") >
	    1500000000, "applied_at is an epoch time");
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		is_int(test_q_int(TEST_SQL("SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name = '%s'", "SELECT count(*) "
		    "FROM information_schema.tables WHERE table_schema = "
		    "current_schema() AND table_name = '%s'"), tables[i]), 1,
		    "table %s exists", tables[i]);
	}
	if (test_db_engine() == TEST_SQLITE)
		is_qstr("wal", "journal mode is WAL", "PRAGMA journal_mode");
	else {
		is_qstr("double precision", "times are double precision",
		    "SELECT data_type FROM information_schema.columns WHERE "
		    "table_schema = current_schema() AND "
		    "table_name = 'builds' AND column_name = 'started_at'");
		is_qstr("bigint", "ids are bigint",
		    "SELECT data_type FROM information_schema.columns WHERE "
		    "table_schema = current_schema() AND "
		    "table_name = 'logs' AND column_name = 'id'");
		is_qstr("bytea", "blobs are bytea",
		    "SELECT data_type FROM information_schema.columns WHERE "
		    "table_schema = current_schema() AND "
		    "table_name = 'live_logs' AND column_name = 'pending'");
		is_int(test_q_int("SELECT count(*) FROM pg_trigger t JOIN "
		    "pg_class c ON c.oid = t.tgrelid WHERE c.relname = 'logs' "
		    "AND c.relnamespace = current_schema()::regnamespace AND "
		    "NOT t.tgisinternal"), 4, "the four triggers of logs");
	}

	/* Spec section 4: codes 0 to 6, named as record_result_name. */
	is_int(test_q_int("SELECT count(*) FROM result_codes"), 7,
	    "seven result codes");
	good = 1;
	for (code = 0; code <= 6; code++) {
		name = test_q_text("SELECT name FROM result_codes WHERE "
		    "code = %d", code);
		if (name == NULL || strcmp(name, record_result_name(code)) != 0)
			good = 0;
		free(name);
	}
	ok(good, "result code names match record_result_name");
	is_qstr("cancelled", "code 6 is cancelled",
	    "SELECT name FROM result_codes WHERE code = 6");

	s = test_open("schema.db");
	is_int(store_schema_version(s), 3, "reopen: still version 3");
	store_close(s);
	is_int(test_q_int("SELECT count(*) FROM schema_version"), 3,
	    "reopen adds no schema_version row");

	/* A database from a newer bbmirror is refused, not downgraded. */
	test_db_exec("schema.db", "INSERT INTO schema_version VALUES (4, 0)");
	s = store_open(test_db_url("schema.db"), &cause);
	ok(s == NULL, "schema version 4 is refused");
	ok(cause != NULL && strstr(cause, "newer") != NULL,
	    "refusal says the schema is newer");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	store_close(s);
	test_db_close("schema.db");
	test_name = "store.db";

#ifdef HAVE_POSTGRESQL
	s = store_open("postgresql://localhost:1/bbm", &cause);
	ok(s == NULL && cause != NULL && strstr(cause, "postgresql") != NULL,
	    "postgresql:// with no server: the error names the engine");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	s = store_open("host=/nonexistent/socket/dir dbname=bbm", &cause);
	ok(s == NULL && cause != NULL, "a libpq key=value string is "
	    "PostgreSQL's too");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
#else
	s = store_open("postgresql://localhost/bbm", &cause);
	ok(s == NULL && cause != NULL && strstr(cause, "PostgreSQL") != NULL,
	    "postgresql:// is refused with a clear message");
	free(cause);
	cause = NULL;
	s = store_open("postgres://localhost/bbm", &cause);
	ok(s == NULL && cause != NULL, "postgres:// is refused");
	free(cause);
	cause = NULL;
#endif

	if (test_db_engine() != TEST_SQLITE)
		return;
	if ((f = fopen(test_db_path("garbage.db"), "w")) != NULL) {
		for (i = 0; i < 64; i++)
			fputs("this is not an SQLite database file\n", f);
		fclose(f);
	}
	s = store_open(test_db_path("garbage.db"), &cause);
	ok(s == NULL && cause != NULL, "a file that is not a database fails");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
}

static void
test_masters_builders(struct store *s, int64_t *master, int64_t *builder)
{
	struct bbm_builder	 b;
	int64_t			 id, id2, m2;
	char			*cause = NULL;
	int			 rc;

	rc = store_master(s, "m1", "/srv/m1", master, &cause);
	ok(rc == 0 && *master > 0, "store_master creates m1");
	rc = store_master(s, "m1", NULL, &id, &cause);
	ok(rc == 0 && id == *master, "store_master gets m1 again");
	is_qstr("/srv/m1", "NULL basedir keeps the stored one",
	    "SELECT basedir FROM masters WHERE id = %lld", (long long)id);
	rc = store_master(s, "m1", "/srv/m1b", &id, &cause);
	ok(rc == 0 && id == *master, "same id with a new basedir");
	is_qstr("/srv/m1b", "basedir updated",
	    "SELECT basedir FROM masters WHERE id = %lld", (long long)id);
	rc = store_master(s, "m2", NULL, &m2, &cause);
	ok(rc == 0 && m2 != *master, "m2 is another master");
	is_int(test_q_int("SELECT count(*) FROM masters"), 2, "two masters");
	ok(store_master(s, "", NULL, &id, &cause) == -1 && cause != NULL,
	    "a master without a name is refused");
	free(cause);
	cause = NULL;

	memset(&b, 0, sizeof b);
	b.name = xstrdup("b1");
	b.builddir = xstrdup("b1dir");
	b.description = xstrdup("the first builder");
	b.category = xstrdup("linux");
	b.slavenames = xstrdup("[\"slave1\",\"slave2\"]");
	b.events_known = 1;
	b.nevents = 2;
	b.events = xcalloc(2, sizeof *b.events);
	b.events[0].started_at = 100.0;
	b.events[0].finished_at = 101.0;
	b.events[0].text = xstrdup("[\"connect\",\"slave1\"]");
	b.events[1].started_at = 200.0;
	b.events[1].finished_at = BBM_NO_TIME;
	b.events[1].text = xstrdup("[\"idle\"]");
	rc = store_builder(s, *master, &b, BBM_ORIGIN_IMPORT, builder, &cause);
	ok(rc == 0 && *builder > 0, "store_builder creates b1");
	is_int(test_q_int("SELECT count(*) FROM builder_events WHERE "
	    "builder_id = %lld", (long long)*builder), 2, "two events");
	is_int(test_q_int("SELECT count(*) FROM builder_events WHERE "
	    "finished_at IS NULL"), 1, "an unknown event time is NULL");
	record_builder_free(&b);

	/* Seen only through a build: a name and nothing else. */
	memset(&b, 0, sizeof b);
	b.name = xstrdup("b1");
	rc = store_builder(s, *master, &b, BBM_ORIGIN_LIVE, &id, &cause);
	ok(rc == 0 && id == *builder, "name-only record finds b1");
	is_qstr("b1dir", "builddir kept",
	    "SELECT builddir FROM builders WHERE id = %lld", (long long)id);
	is_qstr("[\"slave1\",\"slave2\"]", "slavenames kept",
	    "SELECT slavenames FROM builders WHERE id = %lld", (long long)id);
	is_qstr("live", "origin is the last writer's",
	    "SELECT origin FROM builders WHERE id = %lld", (long long)id);
	is_int(test_q_int("SELECT count(*) FROM builder_events"), 2,
	    "events kept when not known");

	b.events_known = 1;
	b.nevents = 1;
	b.events = xcalloc(1, sizeof *b.events);
	b.events[0].started_at = 300.0;
	b.events[0].finished_at = 301.0;
	b.events[0].text = xstrdup("[\"build\"]");
	rc = store_builder(s, *master, &b, BBM_ORIGIN_LIVE, &id, &cause);
	ok(rc == 0 && id == *builder, "b1 again with one event");
	is_int(test_q_int("SELECT count(*) FROM builder_events"), 1,
	    "events replaced as a whole");
	is_int(test_q_int("SELECT started_at FROM builder_events"), 300,
	    "the new event is stored");

	rc = store_builder(s, m2, &b, BBM_ORIGIN_IMPORT, &id2, &cause);
	ok(rc == 0 && id2 != *builder, "b1 of m2 is another builder");
	record_builder_free(&b);

	/* The foreign key is enforced and the error names the table. */
	memset(&b, 0, sizeof b);
	b.name = xstrdup("orphan");
	rc = store_builder(s, 9999, &b, BBM_ORIGIN_IMPORT, &id, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "builders") != NULL &&
	    strcasestr(cause, "FOREIGN KEY") != NULL,
	    "unknown master: error names the table and the SQL error");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	record_builder_free(&b);
}

static void
test_builds(struct store *s, int64_t master, int64_t builder)
{
	struct bbm_build	 b;
	int64_t			 id, id2, id3;
	char			*cause = NULL;
	int			 found;

	test_build(&b, 5, 1000.5, 3);
	id = test_store_build(s, master, builder, &b, "build 5");
	is_int(test_q_int("SELECT count(*) FROM builds"), 1, "one build");
	is_int(test_q_int("SELECT count(*) FROM steps"), 3, "three steps");
	is_int(test_q_int("SELECT count(*) FROM logs"), 4, "four logs");
	is_int(test_q_int("SELECT count(*) FROM build_properties"), 2,
	    "two properties");
	is_int(test_q_int("SELECT count(*) FROM changes"), 2, "two changes");
	is_int(test_q_int("SELECT count(*) FROM change_files"), 4,
	    "four change files");
	is_int(test_q_int("SELECT count(*) FROM change_properties"), 2,
	    "two change properties");
	is_int(test_q_int("SELECT count(*) FROM build_changes WHERE "
	    "build_id = %lld", (long long)id), 2, "two build_changes");
	is_int(test_q_int("SELECT count(*) FROM sourcestamps"), 1,
	    "one sourcestamp");
	is_qstr("r2", "sourcestamp_changes links the sourcestamp to r2",
	    "SELECT c.revision FROM sourcestamp_changes sc "
	    "JOIN sourcestamps ss ON ss.id = sc.sourcestamp_id "
	    "JOIN changes c ON c.id = sc.change_id WHERE ss.build_id = %lld",
	    (long long)id);
	is_int(test_q_int("SELECT count(*) FROM sourcestamp_changes"), 1,
	    "one sourcestamp_changes row");

	is_int(test_q_int("SELECT results FROM builds WHERE id = %lld",
	    (long long)id), BBM_FAILURE, "build results");
	is_qstr("failure", "results join result_codes",
	    "SELECT r.name FROM builds b JOIN result_codes r "
	    "ON r.code = b.results WHERE b.id = %lld", (long long)id);
	ok(test_q_int("SELECT started_at = 1000.5 AND finished_at = 1060.5 "
	    "FROM builds WHERE id = %lld", (long long)id) == 1,
	    "fractional times kept");
	is_qstr("[\"failed\",\"compile\"]", "text is the JSON array",
	    "SELECT text FROM builds WHERE id = %lld", (long long)id);
	is_qstr("slave1", "slave", "SELECT slave FROM builds");
	is_qstr("import", "origin", "SELECT origin FROM builds");
	is_qstr("html", "step 0 log 1 is HTML",
	    "SELECT l.kind FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE s.number = 0 AND l.number = 1");
	is_qstr("key-5-2-0", "store_key of step 2 log 0",
	    "SELECT l.store_key FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE s.number = 2 AND l.number = 0");
	is_qstr("stored", "log state", "SELECT state FROM logs LIMIT 1");
	is_qstr(TEST_SQL("blob", "bytea"), "patch body is a blob",
	    TEST_SQL("SELECT typeof(patch_body) FROM sourcestamps",
	    "SELECT pg_typeof(patch_body)::text FROM sourcestamps"));
	is_qstr("FF00646966660A", "patch bytes kept, NUL and non-UTF-8 too",
	    TEST_SQL("SELECT hex(patch_body || x'0A') FROM sourcestamps",
	    "SELECT upper(encode(patch_body || '\\x0a'::bytea, 'hex')) "
	    "FROM sourcestamps"));
	is_int(test_q_int("SELECT patch_level FROM sourcestamps"), 1,
	    "patch level");
	is_int(test_q_int("SELECT count(*) FROM changes WHERE "
	    "when_at = 950.25"), 1, "change time kept");

	/* The same record again: same id, not a row more. */
	id2 = test_store_build(s, master, builder, &b, "build 5 again");
	is_int(id2, id, "re-store gives the same id");
	is_int(test_q_int("SELECT count(*) FROM builds"), 1, "still one build");
	is_int(test_q_int("SELECT count(*) FROM steps"), 3,
	    "still three steps");
	is_int(test_q_int("SELECT count(*) FROM logs"), 4, "still four logs");
	is_int(test_q_int("SELECT count(*) FROM build_properties"), 2,
	    "still two properties");
	is_int(test_q_int("SELECT count(*) FROM changes"), 2,
	    "still two changes");
	is_int(test_q_int("SELECT count(*) FROM change_files"), 4,
	    "still four change files");
	is_int(test_q_int("SELECT count(*) FROM build_changes"), 2,
	    "still two build_changes");
	is_int(test_q_int("SELECT count(*) FROM sourcestamps"), 1,
	    "still one sourcestamp");
	is_int(test_q_int("SELECT count(*) FROM sourcestamp_changes"), 1,
	    "still one sourcestamp_changes");

	/* Last step gone, a property changed: children replaced exactly. */
	record_step_free(&b.steps[2]);
	b.nsteps = 2;
	free(b.properties[1].value);
	b.properties[1].value = xstrdup("\"release\"");
	b.results = BBM_SUCCESS;
	id2 = test_store_build(s, master, builder, &b, "build 5 changed");
	is_int(id2, id, "changed build keeps its id");
	is_int(test_q_int("SELECT count(*) FROM steps"), 2, "two steps left");
	is_int(test_q_int("SELECT max(number) FROM steps"), 1,
	    "the removed step is gone");
	is_int(test_q_int("SELECT count(*) FROM logs"), 3, "its log went too");
	is_int(test_q_int("SELECT count(*) FROM logs WHERE step_id NOT IN "
	    "(SELECT id FROM steps)"), 0, "no orphan logs");
	is_qstr("\"release\"", "property value replaced",
	    "SELECT value FROM build_properties WHERE name = 'branch'");
	is_int(test_q_int("SELECT count(*) FROM build_properties"), 2,
	    "still two properties");
	is_int(test_q_int("SELECT results FROM builds WHERE id = %lld",
	    (long long)id), BBM_SUCCESS, "results updated");
	record_build_free(&b);

	/* A number reused after a crash: another started_at, another row. */
	test_build(&b, 5, 5000.0, 1);
	id3 = test_store_build(s, master, builder, &b, "build 5 reused");
	ok(id3 != id, "a reused number is another build");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 5"), 2,
	    "two builds numbered 5");
	is_int(test_q_int("SELECT count(*) FROM changes"), 2,
	    "the second build shares both changes");
	is_int(test_q_int("SELECT count(*) FROM build_changes bc "
	    "JOIN changes c ON c.id = bc.change_id WHERE c.revision = 'r2'"), 2,
	    "change r2 is linked to both builds");
	ok(store_build_find(s, builder, 5, 5000.0, &id2, &found,
	    &cause) == 0 && found && id2 == id3, "store_build_find");
	ok(store_build_find(s, builder, 5, 5000.5, &id2, &found,
	    &cause) == 0 && !found, "store_build_find: no such start time");
	record_build_free(&b);

	/* Unknown times and results are NULL; a NULL started_at matches. */
	test_build(&b, 7, BBM_NO_TIME, 1);
	b.results = BBM_NO_RESULT;
	b.complete = 0;
	b.steps[0].results = BBM_NO_RESULT;
	b.steps[0].finished_at = BBM_NO_TIME;
	id = test_store_build(s, master, builder, &b, "build 7 no times");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE id = %lld AND "
	    "started_at IS NULL AND finished_at IS NULL AND results IS NULL "
	    "AND complete = 0", (long long)id), 1,
	    "NaN times and no result are NULL");
	is_int(test_q_int("SELECT count(*) FROM steps WHERE build_id = %lld "
	    "AND results IS NULL AND started_at IS NULL AND "
	    "finished_at IS NULL", (long long)id), 1,
	    "step: NaN times and no result are NULL");
	id2 = test_store_build(s, master, builder, &b, "build 7 again");
	is_int(id2, id, "unknown started_at matches unknown started_at");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 7"), 1,
	    "one build 7");
	record_build_free(&b);
	test_build(&b, 7, 7000.0, 1);
	id2 = test_store_build(s, master, builder, &b, "build 7 known time");
	ok(id2 != id, "a known started_at does not match an unknown one");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 7"), 2,
	    "two builds 7");
	record_build_free(&b);

	/* A malformed record is refused before anything is written. */
	test_build(&b, 8, 8000.0, 1);
	b.sourcestamps[0].changes[0] = 2;
	ok(store_build(s, master, builder, &b, BBM_ORIGIN_IMPORT, &id,
	    &cause) == -1 && cause != NULL &&
	    strstr(cause, "sourcestamps") != NULL,
	    "a sourcestamp naming a missing change is refused");
	free(cause);
	cause = NULL;
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 8"), 0,
	    "and nothing of it is stored");
	ok(store_build(s, master, builder, &b, 42, &id, &cause) == -1,
	    "an invalid origin is refused");
	free(cause);
	record_build_free(&b);
}

static void
test_rollback(struct store *s, int64_t master, int64_t builder)
{
	struct bbm_build	 b;
	int64_t			 id, steps, changes;
	char			*cause = NULL;
	int			 rc;

	steps = test_q_int("SELECT count(*) FROM steps");
	changes = test_q_int("SELECT count(*) FROM changes");
	is_int(store_rollback(s), 0, "rollback without a transaction");

	test_build(&b, 42, 4200.0, 3);
	free(b.changes[0].revision);
	b.changes[0].revision = xstrdup("r42");
	ok(store_begin(s, &cause) == 0, "store_begin");
	ok(store_begin(s, &cause) == -1, "a second begin is refused");
	free(cause);
	cause = NULL;
	rc = store_build(s, master, builder, &b, BBM_ORIGIN_IMPORT, &id,
	    &cause);
	ok(rc == 0, "store_build in a transaction");
	is_int(store_rollback(s), 0, "store_rollback");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 42"), 0,
	    "rolled back: no build");
	is_int(test_q_int("SELECT count(*) FROM steps"), steps,
	    "rolled back: no steps");
	is_int(test_q_int("SELECT count(*) FROM changes"), changes,
	    "rolled back: no change");

	ok(store_begin(s, &cause) == 0, "begin again");
	rc = store_build(s, master, builder, &b, BBM_ORIGIN_IMPORT, &id,
	    &cause);
	ok(rc == 0 && store_commit(s, &cause) == 0, "store and commit");
	is_int(test_q_int("SELECT count(*) FROM builds WHERE number = 42"), 1,
	    "committed: the build is there");
	ok(store_commit(s, &cause) == -1, "commit without a transaction");
	free(cause);
	record_build_free(&b);
}

/* Errors name the table; a second connection sees the same rows. */
static void
test_errors(struct store *s, int64_t master, int64_t builder)
{
	struct bbm_build	 b;
	struct store		*s2;
	int64_t			 id, builds;
	char			*cause = NULL;
	int			 rc;

	builds = test_q_int("SELECT count(*) FROM builds");
	test_build(&b, 50, 5050.0, 2);
	b.steps[1].number = 0;
	rc = store_build(s, master, builder, &b, BBM_ORIGIN_IMPORT, &id,
	    &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "steps") != NULL &&
	    strstr(cause, "numbered by position") != NULL,
	    "two steps numbered 0: the error names steps and the rule");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	is_int(test_q_int("SELECT count(*) FROM builds"), builds,
	    "the failed build left no row");
	record_build_free(&b);

	s2 = test_open("store.db");
	rc = store_master(s2, "m1", NULL, &id, &cause);
	ok(rc == 0 && id == master, "a second store on the file finds m1");
	store_close(s2);
	free(cause);
}

/* Every test on the engine selected. */
static void
test_engine(void)
{
	struct store	*s;
	int64_t		 master, builder;

	test_schema();
	s = test_open("store.db");
	test_masters_builders(s, &master, &builder);
	test_builds(s, master, builder);
	test_changes(s, master);
	test_requests(s, master, builder);
	test_files_logs(s, master, builder);
	test_live(s, master, builder);
	test_rollback(s, master, builder);
	test_errors(s, master, builder);
	store_close(s);
	test_db_close("store.db");
	test_live_files();
}

int
main(void)
{
	enum test_engine	 e;

	test_db_init("test-store");
	for (e = 0; e < TEST_ENGINES; e++) {
		if (!test_db_has(e))
			continue;
		test_db_use(e);
		test_engine();
	}
	test_db_done();
	return (tap_done());
}
