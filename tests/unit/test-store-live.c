/*
 * test-store-live.c: the live path of the store (schema version 2): step
 * and log ids that stay when a build or a step is stored again, log
 * lookups and content updates by id, the listener's bookkeeping
 * (live_logs, live_masters) and its cascades, builder states and slaves.
 * Durable commits and the migration of a version 1 database are in
 * test-store-engine.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "store-backend.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-store.h"

/* The ids of a build's steps and logs, in order, as "s:l,l;s:l;..." text. */
static char *
test_ids(int64_t build_id)
{
	return (test_q_text(TEST_SQL("SELECT group_concat(x, ';') FROM "
	    "(SELECT s.id || ':' || coalesce((SELECT group_concat(id, ',') "
	    "FROM (SELECT l.id FROM logs l WHERE l.step_id = s.id ORDER BY "
	    "l.number)), '') AS x FROM steps s WHERE s.build_id = %lld "
	    "ORDER BY s.number)", "SELECT string_agg(s.id || ':' || "
	    "coalesce((SELECT string_agg(l.id::text, ',' ORDER BY l.number) "
	    "FROM logs l WHERE l.step_id = s.id), ''), ';' ORDER BY "
	    "s.number) FROM steps s WHERE s.build_id = %lld"),
	    (long long)build_id));
}

static int64_t
test_step_id(int64_t build_id, int number)
{
	return (test_q_int("SELECT id FROM steps WHERE build_id = %lld AND "
	    "number = %d", (long long)build_id, number));
}

static int64_t
test_log_id(int64_t build_id, int step, int number)
{
	return (test_q_int("SELECT l.id FROM logs l JOIN steps s ON "
	    "s.id = l.step_id WHERE s.build_id = %lld AND s.number = %d AND "
	    "l.number = %d", (long long)build_id, step, number));
}

/* A live_logs row for log_id, stored outside any transaction. */
static int
test_live_row(struct store *s, int64_t log_id)
{
	struct store_live_log	 ll;
	char			*cause = NULL;
	int			 rc;

	memset(&ll, 0, sizeof ll);
	ll.store_size = 10;
	ll.channel = 0;
	ll.run_bytes = 3;
	ll.pending = xstrdup("abc");
	ll.pending_len = 3;
	rc = store_live_log_put(s, log_id, &ll, &cause);
	if (rc != 0)
		tap_diag("%s", cause);
	free(ll.pending);
	free(cause);
	return (rc);
}

/* store_build again and store_build changed: step and log ids stay. */
static void
test_stable_build(struct store *s, int64_t master, int64_t builder,
    int64_t *build_id)
{
	struct bbm_build	 b;
	struct bbm_step		*st;
	char			*ids, *ids2;
	int64_t			 id, s0, s1, l00, l10;

	test_build(&b, 60, 6000.0, 3);
	id = test_store_build(s, master, builder, &b, "build 60");
	*build_id = id;
	ids = test_ids(id);
	s0 = test_step_id(id, 0);
	s1 = test_step_id(id, 1);
	l00 = test_log_id(id, 0, 0);
	l10 = test_log_id(id, 1, 0);
	ok(test_store_build(s, master, builder, &b, "build 60 again") == id,
	    "same build id");
	ids2 = test_ids(id);
	is_str(ids2, ids, "same step and log ids (%s)", ids);
	free(ids2);
	ok(test_live_row(s, l10) == 0, "a live_logs row for step 1 log 0");

	/* Step 2 gone, step 0 loses its HTML log, step 1 changes. */
	record_step_free(&b.steps[2]);
	b.nsteps = 2;
	record_log_free(&b.steps[0].logs[1]);
	b.steps[0].nlogs = 1;
	st = &b.steps[1];
	free(st->text);
	st->text = xstrdup("[\"compile\",\"again\"]");
	free(st->logs[0].store_key);
	st->logs[0].store_key = xstrdup("key-new");
	st->logs[0].stored_bytes = 555;
	test_store_build(s, master, builder, &b, "build 60 shrunk");
	is_int(test_step_id(id, 0), s0, "step 0 keeps its id");
	is_int(test_step_id(id, 1), s1, "step 1 keeps its id");
	is_int(test_log_id(id, 0, 0), l00, "log 0/0 keeps its id");
	is_int(test_log_id(id, 1, 0), l10, "log 1/0 keeps its id");
	is_int(test_q_int("SELECT count(*) FROM steps WHERE build_id = %lld",
	    (long long)id), 2, "the step beyond the record's is deleted");
	is_int(test_q_int("SELECT count(*) FROM logs l JOIN steps s ON "
	    "s.id = l.step_id WHERE s.build_id = %lld", (long long)id), 2,
	    "so are its log and the log beyond step 0's");
	is_qstr("[\"compile\",\"again\"]", "step columns overwritten",
	    "SELECT text FROM steps WHERE id = %lld", (long long)s1);
	is_qstr("key-new", "log columns overwritten",
	    "SELECT store_key FROM logs WHERE id = %lld AND "
	    "stored_bytes = 555", (long long)l10);
	is_int(test_q_int("SELECT count(*) FROM live_logs WHERE log_id = "
	    "%lld", (long long)l10), 1, "its live_logs row stays");
	record_build_free(&b);

	/* Grown again: the new rows are new, the old ones stay. */
	test_build(&b, 60, 6000.0, 3);
	test_store_build(s, master, builder, &b, "build 60 grown");
	ids2 = test_ids(id);
	ok(ids2 != NULL && strncmp(ids2, ids, strlen(ids)) != 0 &&
	    test_step_id(id, 0) == s0 && test_log_id(id, 1, 0) == l10 &&
	    test_step_id(id, 2) > s1 && test_log_id(id, 0, 1) > l10,
	    "grown: old ids kept, new rows added (%s)", ids2);
	free(ids2);
	free(ids);
	record_build_free(&b);
}

/* store_step upserts one step; the others stay as they are. */
static void
test_step(struct store *s, int64_t master, int64_t builder, int64_t build_id)
{
	struct bbm_build	 b;
	struct bbm_step		*st;
	struct bbm_log		*l;
	char			*before, *after, *cause = NULL;
	int64_t			 step_id, s1, l10, s0, results;
	int			 rc;

	test_build(&b, 60, 6000.0, 3);
	st = &b.steps[1];
	s0 = test_step_id(build_id, 0);
	s1 = test_step_id(build_id, 1);
	l10 = test_log_id(build_id, 1, 0);
	before = test_q_text(TEST_SQL("SELECT group_concat(id || name, ',') "
	    "FROM steps WHERE build_id = %lld AND number <> 1",
	    "SELECT string_agg(id || name, ',' ORDER BY number) FROM steps "
	    "WHERE build_id = %lld AND number <> 1"), (long long)build_id);

	/* A second log and a result: the step and its first log stay. */
	st->results = BBM_WARNINGS;
	st->logs = xreallocarray(st->logs, 2, sizeof *st->logs);
	l = &st->logs[1];
	memset(l, 0, sizeof *l);
	l->name = xstrdup("warnings");
	l->kind = BBM_LOG_TEXT;
	l->state = BBM_LOG_NONE;
	st->nlogs = 2;
	step_id = -1;
	rc = store_step(s, build_id, st, &step_id, &cause);
	ok(rc == 0 && step_id == s1, "store_step gives the step's id");
	is_int(test_q_int("SELECT results FROM steps WHERE id = %lld",
	    (long long)s1), BBM_WARNINGS, "its columns are overwritten");
	is_int(test_log_id(build_id, 1, 0), l10, "log 1/0 keeps its id");
	is_qstr("warnings", "the new log is there",
	    "SELECT name FROM logs WHERE step_id = %lld AND number = 1 "
	    "AND state = 'none' AND stored_bytes = 0", (long long)s1);
	after = test_q_text(TEST_SQL("SELECT group_concat(id || name, ',') "
	    "FROM steps WHERE build_id = %lld AND number <> 1",
	    "SELECT string_agg(id || name, ',' ORDER BY number) FROM steps "
	    "WHERE build_id = %lld AND number <> 1"), (long long)build_id);
	is_str(after, before, "the other steps are untouched");
	free(after);
	free(before);
	ok(test_live_row(s, l10) == 0, "a live_logs row for log 1/0");

	/* No logs: the step's logs go, and their live_logs rows with them. */
	record_log_free(&st->logs[0]);
	record_log_free(&st->logs[1]);
	st->nlogs = 0;
	rc = store_step(s, build_id, st, NULL, &cause);
	ok(rc == 0, "store_step without logs (no id wanted)");
	is_int(test_q_int("SELECT count(*) FROM logs WHERE step_id = %lld",
	    (long long)s1), 0, "its logs are deleted");
	is_int(test_q_int("SELECT count(*) FROM live_logs WHERE log_id = "
	    "%lld", (long long)l10), 0, "and the live_logs row of one");
	is_int(test_step_id(build_id, 1), s1, "the step keeps its id");

	/* A step the build did not have; store_build then deletes it. */
	st->number = 5;
	rc = store_step(s, build_id, st, &step_id, &cause);
	ok(rc == 0 && step_id == test_step_id(build_id, 5) && step_id > s1,
	    "store_step adds step 5");
	st->number = 1;
	test_store_build(s, master, builder, &b, "build 60 from the record");
	ok(test_step_id(build_id, 5) == -999 &&
	    test_step_id(build_id, 0) == s0 && test_step_id(build_id, 1) == s1,
	    "store_build deletes step 5 and keeps the others");

	/* In the caller's transaction: undone by its rollback. */
	results = test_q_int("SELECT results FROM steps WHERE id = %lld",
	    (long long)s1);
	st->results = BBM_EXCEPTION;
	ok(store_begin(s, &cause) == 0 &&
	    store_step(s, build_id, st, NULL, &cause) == 0,
	    "store_step in a transaction");
	store_rollback(s);
	is_int(test_q_int("SELECT results FROM steps WHERE id = %lld",
	    (long long)s1), results, "rolled back with it");

	st->number = -1;
	ok(store_step(s, build_id, st, NULL, &cause) == -1 && cause != NULL &&
	    strstr(cause, "steps") != NULL, "a negative number is refused");
	free(cause);
	cause = NULL;
	st->number = 1;
	ok(store_step(s, 987654, st, NULL, &cause) == -1 && cause != NULL &&
	    strcasestr(cause, "FOREIGN KEY") != NULL,
	    "a step of a missing build is refused by the foreign key");
	free(cause);
	record_build_free(&b);
}

static void
test_log_find_update(struct store *s, int64_t build_id)
{
	struct bbm_log	 l;
	char		*cause = NULL;
	int64_t		 id = -1, want;
	int		 found = -1, rc;

	want = test_log_id(build_id, 0, 1);
	rc = store_log_find(s, build_id, 0, 1, &id, &found, &cause);
	ok(rc == 0 && found == 1 && id == want, "store_log_find: log 0/1");
	rc = store_log_find(s, build_id, 0, 2, &id, &found, &cause);
	ok(rc == 0 && found == 0, "store_log_find: no log 0/2");
	rc = store_log_find(s, build_id, 9, 0, &id, &found, &cause);
	ok(rc == 0 && found == 0, "store_log_find: no step 9");

	memset(&l, 0, sizeof l);
	l.name = xstrdup("ignored");
	l.kind = BBM_LOG_TEXT;
	l.state = BBM_LOG_STORED;
	l.store_key = xstrdup("ab/0123456789abcdef-60-0-1");
	l.stored_bytes = 1000;
	l.text_bytes = 900;
	l.lines = 12;
	l.complete = 0;
	rc = store_log_update(s, want, &l, &cause);
	ok(rc == 0, "store_log_update");
	is_qstr("stored ab/0123456789abcdef-60-0-1 1000 900 12 0",
	    "the content columns are the record's",
	    "SELECT state || ' ' || store_key || ' ' || stored_bytes || ' ' || "
	    "text_bytes || ' ' || lines || ' ' || complete FROM logs "
	    "WHERE id = %lld", (long long)want);
	is_qstr("report html 60-log-step0-1", "name, kind, filename untouched",
	    "SELECT name || ' ' || kind || ' ' || filename FROM logs "
	    "WHERE id = %lld", (long long)want);

	l.state = BBM_LOG_NONE;
	free(l.store_key);
	l.store_key = NULL;
	rc = store_log_update(s, want, &l, &cause);
	is_int(test_q_int("SELECT count(*) FROM logs WHERE id = %lld AND "
	    "state = 'none' AND store_key IS NULL", (long long)want), 1,
	    "a NULL store_key is stored as NULL");

	rc = store_log_update(s, 99999999, &l, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "logs") != NULL &&
	    strstr(cause, "99999999") != NULL, "a missing log is an error");
	tap_diag("%s", cause != NULL ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	l.state = 42;
	rc = store_log_update(s, want, &l, &cause);
	ok(rc == -1 && cause != NULL, "an invalid state is refused");
	free(cause);
	record_log_free(&l);
}

static void
test_live_logs(struct store *s, int64_t build_id)
{
	struct store_live_log	 ll, got;
	char			*cause = NULL;
	int64_t			 log_id;
	int			 found = -1, rc;
	static const char	 pending[] = "2:0a,\0\xff\n tail";

	log_id = test_log_id(build_id, 2, 0);
	memset(&got, 0x55, sizeof got);
	rc = store_live_log_get(s, log_id, &got, &found, &cause);
	ok(rc == 0 && found == 0 && got.store_size == 0 &&
	    got.channel == -1 && got.run_bytes == 0 && got.pending == NULL &&
	    got.pending_len == 0, "no row: not found, zeroed, channel -1");

	memset(&ll, 0, sizeof ll);
	ll.store_size = 4321;
	ll.channel = 1;
	ll.run_bytes = 123456;
	ll.pending = xmalloc(sizeof pending - 1);
	memcpy(ll.pending, pending, sizeof pending - 1);
	ll.pending_len = sizeof pending - 1;
	ok(store_live_log_put(s, log_id, &ll, &cause) == 0,
	    "store_live_log_put");
	rc = store_live_log_get(s, log_id, &got, &found, &cause);
	ok(rc == 0 && found == 1 && got.store_size == 4321 &&
	    got.channel == 1 && got.run_bytes == 123456,
	    "read back: size, channel, run length");
	ok(got.pending_len == sizeof pending - 1 && got.pending != NULL &&
	    memcmp(got.pending, pending, got.pending_len) == 0,
	    "pending bytes exact, NUL and 0xff too");
	free(got.pending);
	is_qstr(TEST_SQL("blob 1", "bytea 1"), "pending is a blob",
	    TEST_SQL("SELECT typeof(pending) || ' ' || channel FROM live_logs "
	    "WHERE log_id = %lld", "SELECT pg_typeof(pending)::text || ' ' || "
	    "channel FROM live_logs WHERE log_id = %lld"), (long long)log_id);

	/* No run: channel and pending are NULL. */
	ll.channel = -1;
	ll.run_bytes = 0;
	ll.pending_len = 0;
	ll.store_size = 5000;
	ok(store_live_log_put(s, log_id, &ll, &cause) == 0,
	    "store_live_log_put again, no run");
	is_int(test_q_int("SELECT count(*) FROM live_logs WHERE log_id = "
	    "%lld AND channel IS NULL AND pending IS NULL AND "
	    "store_size = 5000", (long long)log_id), 1,
	    "upserted: no channel and no pending are NULL");
	rc = store_live_log_get(s, log_id, &got, &found, &cause);
	ok(rc == 0 && found && got.channel == -1 && got.pending == NULL &&
	    got.pending_len == 0 && got.store_size == 5000,
	    "read back: channel -1, no pending");
	free(ll.pending);

	ll.pending = NULL;
	ll.pending_len = 3;
	ok(store_live_log_put(s, log_id, &ll, &cause) == -1 && cause != NULL,
	    "pending bytes without a buffer are refused");
	free(cause);
	cause = NULL;
	ll.pending_len = 0;
	ll.channel = 10;
	rc = store_live_log_put(s, log_id, &ll, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "live_logs") != NULL &&
	    strcasestr(cause, "CHECK") != NULL, "channel 10 fails the CHECK");
	free(cause);
	cause = NULL;
	ll.channel = 0;
	rc = store_live_log_put(s, 99999999, &ll, &cause);
	ok(rc == -1 && cause != NULL &&
	    strcasestr(cause, "FOREIGN KEY") != NULL,
	    "a missing log fails the foreign key");
	free(cause);
	cause = NULL;

	ok(store_live_log_delete(s, log_id, &cause) == 0,
	    "store_live_log_delete");
	rc = store_live_log_get(s, log_id, &got, &found, &cause);
	ok(rc == 0 && !found, "the row is gone");
	ok(store_live_log_delete(s, log_id, &cause) == 0,
	    "deleting a missing row succeeds");

	/* Deleting a log deletes its row (the reader enforces cascades). */
	ok(test_live_row(s, log_id) == 0, "a live_logs row again");
	is_int(test_q_int("DELETE FROM logs WHERE id = %lld RETURNING id",
	    (long long)log_id), log_id, "the log is deleted");
	is_int(test_q_int("SELECT count(*) FROM live_logs WHERE log_id = "
	    "%lld", (long long)log_id), 0, "and its live_logs row with it");
}

static void
test_seq(struct store *s, int64_t master)
{
	char		*cause = NULL;
	uint64_t	 seq = 77;
	int		 rc;

	rc = store_live_seq_get(s, master, &seq, &cause);
	ok(rc == 0 && seq == 0, "no sequence number yet: 0");
	ok(store_live_seq_put(s, master, 5, &cause) == 0 &&
	    store_live_seq_get(s, master, &seq, &cause) == 0 && seq == 5,
	    "put 5, get 5");
	ok(store_live_seq_put(s, master, 1ULL << 40, &cause) == 0 &&
	    store_live_seq_get(s, master, &seq, &cause) == 0 &&
	    seq == 1ULL << 40, "put 2^40, get it back");
	is_int(test_q_int("SELECT count(*) FROM live_masters WHERE "
	    "master_id = %lld AND last_seq = %llu AND updated_at > 1500000000",
	    (long long)master, 1ULL << 40), 1, "one live_masters row");

	ok(store_begin(s, &cause) == 0 &&
	    store_live_seq_put(s, master, 9, &cause) == 0, "put 9 in a batch");
	store_rollback(s);
	ok(store_live_seq_get(s, master, &seq, &cause) == 0 &&
	    seq == 1ULL << 40, "rolled back with the batch");

	rc = store_live_seq_put(s, master, (uint64_t)INT64_MAX + 1, &cause);
	ok(rc == -1 && cause != NULL, "a number beyond INT64_MAX is refused");
	free(cause);
	cause = NULL;
	rc = store_live_seq_put(s, 99999, 1, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "live_masters") != NULL,
	    "an unknown master fails, naming live_masters");
	free(cause);
}

static void
test_builder_state(struct store *s, int64_t builder)
{
	char	*cause = NULL;
	int	 rc;

	ok(store_builder_state(s, builder, "building", 1234.5, &cause) == 0,
	    "store_builder_state building");
	is_qstr("building", "state stored",
	    "SELECT state FROM builders WHERE id = %lld AND state_at = 1234.5",
	    (long long)builder);
	ok(store_builder_state(s, builder, "idle", BBM_NO_TIME, &cause) == 0,
	    "idle at an unknown time");
	is_int(test_q_int("SELECT count(*) FROM builders WHERE id = %lld AND "
	    "state = 'idle' AND state_at IS NULL", (long long)builder), 1,
	    "an unknown time is NULL");
	ok(store_builder_state(s, builder, "removed", 2000.0, &cause) == 0 &&
	    store_builder_state(s, builder, "offline", 2001.0, &cause) == 0,
	    "removed, then offline");
	is_qstr("offline", "the last state wins",
	    "SELECT state FROM builders WHERE id = %lld", (long long)builder);

	ok(store_builder_state(s, builder, "waiting", 1.0, &cause) == 0,
	    "a state bbmirror does not know is kept as sent");
	is_qstr("waiting", "and stored", "SELECT state FROM builders WHERE "
	    "id = %lld", (long long)builder);
	ok(store_builder_state(s, builder, "offline", 2001.0, &cause) == 0,
	    "back to offline");
	rc = store_builder_state(s, 99999, "idle", 1.0, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "99999") != NULL,
	    "a missing builder is an error");
	free(cause);
	cause = NULL;
	rc = store_builder_state(s, builder, NULL, 1.0, &cause);
	ok(rc == -1 && cause != NULL, "no state is refused");
	free(cause);
	is_qstr("offline", "and the failures changed nothing",
	    "SELECT state FROM builders WHERE id = %lld", (long long)builder);
}

/* The slave's columns as "connected paused connected_at disconnected_at". */
static char *
test_slave_row(int64_t master, const char *name)
{
	return (test_q_text(TEST_SQL("SELECT connected || ' ' || paused || "
	    "' ' || coalesce(connected_at, '-') || ' ' || "
	    "coalesce(disconnected_at, '-') || ' ' || origin FROM slaves "
	    "WHERE master_id = %lld AND name = '%s'", "SELECT connected || "
	    "' ' || paused || ' ' || "
	    "coalesce(to_char(connected_at, 'FM999999990.0999'), '-') || ' ' "
	    "|| coalesce(to_char(disconnected_at, 'FM999999990.0999'), '-') "
	    "|| ' ' || origin FROM slaves WHERE master_id = %lld AND "
	    "name = '%s'"), (long long)master, name));
}

static void
test_slaves(struct store *s, int64_t master)
{
	static const struct {
		enum store_slave_event	 ev;
		double			 at;
		const char		*want;
	} steps[] = {
		{ STORE_SLAVE_CONNECTED, 100.0, "1 0 100.0 - live" },
		{ STORE_SLAVE_PAUSED, 150.0, "1 1 100.0 - live" },
		{ STORE_SLAVE_DISCONNECTED, 200.5, "0 1 100.0 200.5 live" },
		{ STORE_SLAVE_CONNECTED, BBM_NO_TIME, "1 0 100.0 200.5 live" },
		{ STORE_SLAVE_PAUSED, BBM_NO_TIME, "1 1 100.0 200.5 live" },
		{ STORE_SLAVE_UNPAUSED, 300.0, "1 0 100.0 200.5 live" },
		{ STORE_SLAVE_DISCONNECTED, BBM_NO_TIME,
		    "0 0 100.0 200.5 live" },
		{ STORE_SLAVE_CONNECTED, 400.0, "1 0 400.0 200.5 live" },
	};
	char		*row, *cause = NULL;
	size_t		 i;
	int64_t		 id;
	int		 rc;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		rc = store_slave(s, master, "slave1", steps[i].ev, steps[i].at,
		    BBM_ORIGIN_LIVE, &cause);
		row = test_slave_row(master, "slave1");
		ok(rc == 0, "slave event %zu", i);
		is_str(row, steps[i].want, "slave after event %zu", i);
		free(row);
	}
	id = test_q_int("SELECT id FROM slaves WHERE name = 'slave1'");
	is_int(test_q_int("SELECT count(*) FROM slaves"), 1,
	    "one row for slave1");

	ok(store_slave(s, master, "slave2", STORE_SLAVE_UNPAUSED, 10.0,
	    BBM_ORIGIN_PUSH, &cause) == 0, "a slave first seen unpaused");
	row = test_slave_row(master, "slave2");
	is_str(row, "0 0 - - push", "not connected, not paused, no times");
	free(row);
	ok(store_slave(s, master, "slave1", STORE_SLAVE_PAUSED, 1.0,
	    BBM_ORIGIN_LIVE, &cause) == 0 &&
	    test_q_int("SELECT id FROM slaves WHERE name = 'slave1'") == id,
	    "slave1 keeps its id");

	rc = store_slave(s, master, "slave1", (enum store_slave_event)9, 1.0,
	    BBM_ORIGIN_LIVE, &cause);
	ok(rc == -1 && cause != NULL, "an unknown event is refused");
	free(cause);
	cause = NULL;
	rc = store_slave(s, master, "", STORE_SLAVE_CONNECTED, 1.0,
	    BBM_ORIGIN_LIVE, &cause);
	ok(rc == -1 && cause != NULL, "a slave without a name is refused");
	free(cause);
	cause = NULL;
	rc = store_slave(s, master, "slave1", STORE_SLAVE_CONNECTED, 1.0, 7,
	    &cause);
	ok(rc == -1 && cause != NULL, "an invalid origin is refused");
	free(cause);
	cause = NULL;
	rc = store_slave(s, 99999, "slave1", STORE_SLAVE_CONNECTED, 1.0,
	    BBM_ORIGIN_LIVE, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "slaves") != NULL,
	    "an unknown master fails, naming slaves");
	free(cause);
}

void
test_live(struct store *s, int64_t master, int64_t builder)
{
	int64_t	 build_id;

	test_stable_build(s, master, builder, &build_id);
	test_step(s, master, builder, build_id);
	test_log_find_update(s, build_id);
	test_live_logs(s, build_id);
	test_seq(s, master);
	test_builder_state(s, builder);
	test_slaves(s, master);
}
