/*
 * test-live.c: the live applier (live.h) against real databases, on each
 * engine (test-db.h), and a real log store in a temporary directory.
 * Events are built as struct bbm_event values. This file holds main(),
 * the environment, reading the database and the log store back, events
 * other than builds and failing events; test-live-build.c a build driven
 * through events.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "live.h"
#include "logstore.h"
#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-live.h"

void
ev_init(struct bbm_event *ev, enum event_type type, const char *name,
    uint64_t seq)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->name = xstrdup(name);
	ev->seq = seq;
	ev->time = 1700000000 + (double)seq;
	ev->number = ev->step = ev->log = -1;
	ev->started = ev->eta = NAN;
	ev->results = -1;
}

/* The identity of our build, step and log. */
void
ev_ident(struct bbm_event *ev, int64_t step, int64_t log)
{
	ev->builder = xstrdup(BUILDER);
	ev->number = NUMBER;
	ev->started = STARTED;
	ev->step = step;
	ev->log = log;
}

void
ev_free(struct bbm_event *ev)
{
	free(ev->name);
	free(ev->builder);
	free(ev->state);
	free(ev->slave);
	if (ev->builder_rec != NULL)
		record_builder_free(ev->builder_rec);
	if (ev->build != NULL)
		record_build_free(ev->build);
	if (ev->step_rec != NULL)
		record_step_free(ev->step_rec);
	if (ev->log_rec != NULL)
		record_log_free(ev->log_rec);
	if (ev->change != NULL)
		record_change_free(ev->change);
	if (ev->buildset != NULL)
		record_buildset_free(ev->buildset);
	if (ev->request != NULL)
		record_buildrequest_free(ev->request);
	free(ev->builder_rec);
	free(ev->build);
	free(ev->step_rec);
	free(ev->log_rec);
	free(ev->change);
	free(ev->buildset);
	free(ev->request);
}

void
env_open(struct env *e, const char *name)
{
	char	*cause = NULL;

	snprintf(e->db, sizeof e->db, "%s.db", name);
	snprintf(e->dir, sizeof e->dir, "%s%s-%s.logs", test_db_path(""),
	    test_db_engine_name(), name);
	if ((e->s = store_open(test_db_url(e->db), &cause)) == NULL ||
	    (e->ls = logstore_open(e->dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	e->l = live_new(e->s, e->ls);
	if (live_master(e->l, MASTER, "/srv/master", &e->master_id,
	    &e->last_seq, &cause) != 0)
		fatalx("live_master: %s", cause);
}

void
env_close(struct env *e)
{
	live_free(e->l);
	store_close(e->s);
	logstore_close(e->ls);
}

/*
 * The rows of the database's builds as text: every column but ids,
 * origin, updated_at and store_key, parents by their numbers. Values are
 * quoted by the engine (quote, quote_nullable): dumps compare on one
 * engine.
 */
char *
dump(const char *name)
{
	static const char *const skip[] = { "id", "origin", "updated_at",
	    "store_key", "build_id", "step_id", "builder_id", "master_id",
	    "change_id", "sourcestamp_id", NULL };
	static const struct {
		const char	*table, *alias, *prefix, *from, *order;
	} t[] = {
		{ "builds", "b", "r.name", "builds b JOIN builders r ON "
		    "r.id = b.builder_id", "r.name, b.number" },
		{ "steps", "s", "b.number", "steps s JOIN builds b ON "
		    "b.id = s.build_id", "b.number, s.number" },
		{ "logs", "l", "b.number, s.number", "logs l JOIN steps s ON "
		    "s.id = l.step_id JOIN builds b ON b.id = s.build_id",
		    "b.number, s.number, l.number" },
		{ "build_properties", "p", "b.number", "build_properties p "
		    "JOIN builds b ON b.id = p.build_id", "b.number, p.name" },
		{ "sourcestamps", "ss", "b.number", "sourcestamps ss JOIN "
		    "builds b ON b.id = ss.build_id", "b.number, ss.number" },
		{ "changes", "c", "b.number", "build_changes bc JOIN builds b "
		    "ON b.id = bc.build_id JOIN changes c ON "
		    "c.id = bc.change_id", "b.number, c.identity" },
		{ "changes", "c", "ss.number", "sourcestamp_changes x JOIN "
		    "sourcestamps ss ON ss.id = x.sourcestamp_id JOIN changes "
		    "c ON c.id = x.change_id", "ss.number, c.identity" },
	};
	struct buf	 sql, out;
	char		*q, *cols, *col, *rows, *next;
	size_t		 i, k;

	buf_init(&out, 0);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		buf_init(&sql, 0);
		if (buf_addf(&sql, "SELECT '%s', %s", t[i].table,
		    t[i].prefix) != 0)
			fatalx("sql");
		xasprintf(&q, TEST_SQL("SELECT name FROM "
		    "pragma_table_info('%s')",
		    "SELECT column_name FROM information_schema.columns WHERE "
		    "table_schema = current_schema() AND table_name = '%s' "
		    "ORDER BY ordinal_position"), t[i].table);
		if ((cols = test_db_rows(name, q)) == NULL)
			fatalx("%s", q);
		free(q);
		for (col = cols; *col != '\0'; col = next) {
			next = col + strcspn(col, "\n");
			if (*next != '\0')
				*next++ = '\0';
			for (k = 0; skip[k] != NULL; k++) {
				if (strcmp(skip[k], col) == 0)
					break;
			}
			if (skip[k] == NULL && buf_addf(&sql, TEST_SQL(
			    ", quote(%s.%s)", ", quote_nullable(%s.%s)"),
			    t[i].alias, col) != 0)
				fatalx("sql");
		}
		free(cols);
		if (buf_addf(&sql, " FROM %s ORDER BY %s", t[i].from,
		    t[i].order) != 0)
			fatalx("sql");
		if ((rows = test_db_rows(name, sql.data)) == NULL)
			fatalx("%s", sql.data);
		if (buf_add(&out, rows, strlen(rows)) != 0)
			fatalx("dump");
		free(rows);
		buf_free(&sql);
	}
	if (out.data == NULL)
		return (xstrdup(""));
	return (buf_steal(&out, NULL));
}

/* An integer the query gives on database name, -999 if none. */
int64_t PRINTFLIKE(2, 3)
q_int(const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;
	int64_t	 v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_int(name, "%s", sql);
	free(sql);
	return (v);
}

/* Text the query gives (caller frees), NULL if none. */
char * PRINTFLIKE(2, 3)
q_text(const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_text(name, "%s", sql);
	free(sql);
	return (v);
}

/* Runs a statement on database name (dies on error). */
void
q_exec(const char *name, const char *sql)
{
	if (test_db_exec(name, sql) != 0)
		fatalx("%s: failed", sql);
}

/* Checks two dumps are equal, showing the first line that differs. */
void
same_dump(const char *got, const char *want, const char *what)
{
	size_t	 i, line = 1, start = 0;

	for (i = 0; got[i] != '\0' && got[i] == want[i]; i++) {
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
	}
	if (!ok(got[i] == want[i], "%s: rows as imported", what))
		tap_diag("line %zu: got \"%.*s\", want \"%.*s\"", line,
		    (int)strcspn(got + start, "\n"), got + start,
		    (int)strcspn(want + start, "\n"), want + start);
}

/* Reads log key back from the store (caller frees), NULL on error. */
char *
read_log(struct logstore *ls, const char *key, size_t *len)
{
	struct logstore_reader	*r;
	struct buf		 b;
	char			 tmp[8192], *cause = NULL;
	ssize_t			 n;

	if ((r = logstore_open_read(ls, key, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
		return (NULL);
	}
	buf_init(&b, 0);
	while ((n = logstore_read(r, tmp, sizeof tmp, &cause)) > 0) {
		if (buf_add(&b, tmp, (size_t)n) != 0)
			fatalx("read_log");
	}
	logstore_close_read(r);
	if (n < 0) {
		tap_diag("%s", cause);
		free(cause);
		buf_free(&b);
		return (NULL);
	}
	return (buf_steal(&b, len));
}

/* Applies one event in the open batch of e, checking its result. */
static void
one(struct env *e, struct bbm_event *ev, enum live_result want,
    const char *what)
{
	enum live_result	 r;
	char			*cause = NULL;

	r = live_apply(e->l, e->master_id, ev, &cause);
	is_int(r, want, "%s", what);
	if (r == LIVE_FAILED) {
		if (want != LIVE_FAILED)
			tap_diag("%s", cause);
		else
			ok(cause != NULL && strstr(cause, ev->name) != NULL,
			    "%s: the message names the event", what);
		free(cause);
	}
	ev_free(ev);
	memset(ev, 0, sizeof *ev);
}

/* The next event of a test, in its variables ev and seq. */
#define EV(type, name) ev_init(&ev, type, name, ++seq)

/* (5) Events other than builds; ignored ones. */
static void
test_misc(void)
{
	struct bbm_event	 ev;
	struct env		 e;
	char			*cause = NULL;
	uint64_t		 seq = 0;

	env_open(&e, "misc");
	ev_init(&ev, EVENT_SLAVE_CONNECTED, "slaveConnected", 1);
	ok(live_apply(e.l, e.master_id, &ev, &cause) == LIVE_FAILED &&
	    cause != NULL, "no batch: failed");
	free(cause);
	ev_free(&ev);
	if (live_begin(e.l, &cause) != 0)
		fatalx("%s", cause);
	ok(live_in_batch(e.l), "batch open");
	ok(live_begin(e.l, &cause) == -1, "a second batch is refused");
	free(cause);

	EV(EVENT_UNKNOWN, "someFutureEvent");
	one(&e, &ev, LIVE_IGNORED, "unknown event ignored");
	EV(EVENT_SLAVE_CONNECTED, "slaveConnected");
	ev.slave = xstrdup("bot1");
	one(&e, &ev, LIVE_APPLIED, "slaveConnected");
	EV(EVENT_SLAVE_PAUSED, "slavePaused");
	ev.slave = xstrdup("bot1");
	one(&e, &ev, LIVE_APPLIED, "slavePaused");
	EV(EVENT_SLAVE_UNPAUSED, "slaveUnpaused");
	ev.slave = xstrdup("bot1");
	one(&e, &ev, LIVE_APPLIED, "slaveUnpaused");
	EV(EVENT_SLAVE_CONNECTED, "slaveConnected");
	ev.slave = xstrdup("bot2");
	one(&e, &ev, LIVE_APPLIED, "slaveConnected bot2");
	EV(EVENT_SLAVE_DISCONNECTED, "slaveDisconnected");
	ev.slave = xstrdup("bot2");
	one(&e, &ev, LIVE_APPLIED, "slaveDisconnected bot2");
	EV(EVENT_BUILDER_ADDED, "builderAdded");
	ev.builder_rec = xcalloc(1, sizeof *ev.builder_rec);
	ev.builder_rec->name = xstrdup("deploy");
	ev.builder_rec->category = xstrdup("ops");
	one(&e, &ev, LIVE_APPLIED, "builderAdded");
	EV(EVENT_BUILDER_STATE, "builderChangedState");
	ev.builder = xstrdup("deploy");
	ev.state = xstrdup("offline");
	one(&e, &ev, LIVE_APPLIED, "builderChangedState");
	EV(EVENT_BUILDER_REMOVED, "builderRemoved");
	ev.builder = xstrdup("deploy");
	one(&e, &ev, LIVE_APPLIED, "builderRemoved");
	EV(EVENT_CHANGE_ADDED, "changeAdded");
	ev.change = xcalloc(1, sizeof *ev.change);
	ev.change->number = 12;
	ev.change->author = xstrdup("bob");
	ev.change->revision = xstrdup("f00d");
	ev.change->when = STARTED;
	one(&e, &ev, LIVE_APPLIED, "changeAdded");
	EV(EVENT_BUILDSET_SUBMITTED, "buildsetSubmitted");
	ev.buildset = xcalloc(1, sizeof *ev.buildset);
	ev.buildset->bsid = 4;
	ev.buildset->reason = xstrdup("forced");
	ev.buildset->submitted_at = ev.buildset->complete_at = NAN;
	ev.buildset->results = -1;
	one(&e, &ev, LIVE_APPLIED, "buildsetSubmitted");
	EV(EVENT_REQUEST_SUBMITTED, "requestSubmitted");
	ev.request = xcalloc(1, sizeof *ev.request);
	ev.request->brid = 9;
	ev.request->bsid = 4;
	ev.request->builder_name = xstrdup("deploy");
	ev.request->submitted_at = ev.request->claimed_at = NAN;
	ev.request->complete_at = NAN;
	ev.request->results = -1;
	one(&e, &ev, LIVE_APPLIED, "requestSubmitted");
	EV(EVENT_REQUEST_SUBMITTED, "requestSubmitted");
	ev.request = xcalloc(1, sizeof *ev.request);
	ev.request->brid = -1;
	ev.request->builder_name = xstrdup("deploy");
	one(&e, &ev, LIVE_IGNORED, "requestSubmitted without brid ignored");
	EV(EVENT_BUILD_ETA, "buildETAUpdate");
	ev_ident(&ev, -1, -1);
	one(&e, &ev, LIVE_IGNORED, "buildETAUpdate ignored");
	EV(EVENT_STEP_ETA, "stepETAUpdate");
	ev_ident(&ev, 0, -1);
	one(&e, &ev, LIVE_IGNORED, "stepETAUpdate ignored");
	EV(EVENT_STEP_TEXT, "stepTextChanged");
	ev_ident(&ev, 0, -1);
	one(&e, &ev, LIVE_IGNORED, "step event without status ignored");
	ev_init(&ev, EVENT_SLAVE_CONNECTED, "slaveConnected", 3);
	ev.slave = xstrdup("bot3");
	one(&e, &ev, LIVE_DUPLICATE, "an old seq is a duplicate");
	ok(live_commit(e.l, &cause) == 0, "misc: committed");

	is_int(q_int(e.db, "SELECT connected * 10 + paused FROM slaves "
	    "WHERE name = 'bot1'"), 10, "slave bot1 connected, not paused");
	is_int(q_int(e.db, "SELECT connected FROM slaves WHERE name = "
	    "'bot2'"), 0, "slave bot2 disconnected");
	is_int(q_int(e.db, "SELECT count(*) FROM slaves WHERE name = 'bot3'"),
	    0, "duplicate not applied");
	is_int(q_int(e.db, "SELECT count(*) FROM builders WHERE name = "
	    "'deploy' AND category = 'ops' AND origin = 'live'"), 1,
	    "builder row");
	is_int(q_int(e.db, "SELECT count(*) FROM changes WHERE number = 12 "
	    "AND author = 'bob'"), 1, "change row");
	is_int(q_int(e.db, "SELECT count(*) FROM buildrequests r JOIN "
	    "buildsets s ON s.id = r.buildset_id WHERE r.brid = 9 AND "
	    "s.bsid = 4"), 1, "build request row, linked to its buildset");
	is_int(q_int(e.db, "SELECT count(*) FROM buildrequests"), 1,
	    "one build request");
	is_int(q_int(e.db, "SELECT count(*) FROM builds"), 0,
	    "ETA updates make no build");
	is_int(live_committed_seq(e.l, e.master_id), seq, "misc: seq");
	env_close(&e);
}

/*
 * (6) Failing events leave no rows and no stale caches; the batch's other
 * events commit.
 */
static void
test_failing(void)
{
	struct live_stats	 st;
	struct bbm_event	 ev;
	struct env		 e;
	char			*cause = NULL, *data, *key;
	size_t			 len;
	uint64_t		 seq = 0;

	env_open(&e, "failing");
	if (live_begin(e.l, &cause) != 0)
		fatalx("%s", cause);
	EV(EVENT_BUILD_STARTED, "buildStarted");
	ev_ident(&ev, -1, -1);
	free(ev.builder);
	ev.builder = xstrdup("broken");
	ev.build = mk_build(0, 1);
	one(&e, &ev, LIVE_FAILED, "store_build refuses the build");
	EV(EVENT_BUILDER_STATE, "builderChangedState");
	ev.builder = xstrdup("broken");
	ev.state = xstrdup("idle");
	one(&e, &ev, LIVE_APPLIED, "the builder is usable after it");
	EV(EVENT_LOG_CHUNK, "logChunk");
	ev_ident(&ev, 0, 0);
	ev.channel = 12;
	ev.chunk_text = "x";
	ev.chunk_len = 1;
	one(&e, &ev, LIVE_FAILED, "a chunk on channel 12 fails");
	EV(EVENT_STEP_STARTED, "stepStarted");
	ev_ident(&ev, -5, -1);
	ev.step_rec = xcalloc(1, sizeof *ev.step_rec);
	mk_step(ev.step_rec, 0, 1, 0);
	one(&e, &ev, LIVE_FAILED, "a negative step index fails");
	ok(live_commit(e.l, &cause) == 0, "failing: the batch commits");
	is_int(q_int(e.db, "SELECT count(*) FROM builds"), 0,
	    "failing: no build row");
	is_int(q_int(e.db, "SELECT count(*) FROM builders WHERE name = "
	    "'broken'"), 1, "failing: builder row");
	is_int(live_committed_seq(e.l, e.master_id), 4,
	    "failing: the failed events count as applied");

	if (live_begin(e.l, &cause) != 0)
		fatalx("%s", cause);
	EV(EVENT_LOG_CHUNK, "logChunk");
	ev_ident(&ev, 0, 0);
	ev.channel = 1;
	ev.chunk_text = "late\n";
	ev.chunk_len = 5;
	one(&e, &ev, LIVE_APPLIED, "a chunk of an unknown build");
	EV(EVENT_LOG_FINISHED, "logFinished");
	ev_ident(&ev, 0, 0);
	one(&e, &ev, LIVE_APPLIED, "its logFinished");
	ok(live_commit(e.l, &cause) == 0, "failing: second batch commits");
	is_int(q_int(e.db, "SELECT count(*) FROM builds WHERE complete = 0 "
	    "AND number = %d", NUMBER), 1, "skeleton build row");
	is_int(q_int(e.db, "SELECT lines * 100 + text_bytes * 10 + complete "
	    "FROM logs"), 151, "its log row");
	key = q_text(e.db, "SELECT store_key FROM logs");
	data = key != NULL ? read_log(e.ls, key, &len) : NULL;
	ok(data != NULL && len == 9 && memcmp(data, "6:1late\n,", 9) == 0,
	    "its log content");
	free(data);
	free(key);
	live_get_stats(e.l, &st);
	ok(st.failed == 3 && st.events == 3 && st.commits == 2,
	    "failing: stats");
	env_close(&e);
}

/* A logStarted, logChunk or logFinished of our build's step 1, log 0. */
static void
ev_log(struct bbm_event *ev, enum event_type type, const char *name,
    uint64_t seq, int channel, const char *text)
{
	ev_init(ev, type, name, seq);
	ev_ident(ev, 1, 0);
	if (type == EVENT_LOG_CHUNK) {
		ev->channel = channel;
		ev->chunk_text = text;
		ev->chunk_len = strlen(text);
		return;
	}
	ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
	ev->log_rec->name = xstrdup("stdio");
	ev->log_rec->filename = xstrdup("7-log-compile-stdio");
	ev->log_rec->length = -1;
}

/* A step event of step 1 with its first nlogs logs; text its text. */
static void
ev_step(struct bbm_event *ev, enum event_type type, const char *name,
    uint64_t seq, size_t nlogs, const char *text)
{
	ev_init(ev, type, name, seq);
	ev_ident(ev, 1, -1);
	ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
	mk_step(ev->step_rec, 1, 1, nlogs);
	if (text != NULL) {
		free(ev->step_rec->text);
		ev->step_rec->text = xstrdup(text);
	}
}

static void
begin(struct env *e)
{
	char	*cause = NULL;

	if (live_begin(e->l, &cause) != 0)
		fatalx("live_begin: %s", cause);
}

static void
commit(struct env *e, const char *what)
{
	char	*cause = NULL;

	if (!ok(live_commit(e->l, &cause) == 0, "%s: committed", what)) {
		tap_diag("%s", cause);
		free(cause);
	}
}

/*
 * (7) Steps are written at the commit (or when a log needs their rows),
 * and a running log's text stays in live_logs (chunks, then the run)
 * until it is long or finished: across restarts, and when an event that
 * wrote a waiting step fails.
 */
static void
test_behind(void)
{
	struct bbm_event	 ev;
	struct env		 e;
	enum live_result	 r;
	char			*cause = NULL, *key, *data, *s;
	size_t			 len;
	uint64_t		 seq = 0;

	env_open(&e, "behind");
	begin(&e);
	EV(EVENT_BUILD_STARTED, "buildStarted");
	ev_ident(&ev, -1, -1);
	ev.build = mk_build(0, 0);
	one(&e, &ev, LIVE_APPLIED, "behind: buildStarted");
	ev_step(&ev, EVENT_STEP_STARTED, "stepStarted", ++seq, 0, NULL);
	one(&e, &ev, LIVE_APPLIED, "behind: stepStarted");
	ev_log(&ev, EVENT_LOG_STARTED, "logStarted", ++seq, 0, NULL);
	one(&e, &ev, LIVE_APPLIED, "behind: logStarted");
	ev_step(&ev, EVENT_STEP_TEXT, "stepTextChanged", ++seq, 1,
	    "[\"compile\",\"1\"]");
	one(&e, &ev, LIVE_APPLIED, "behind: stepTextChanged");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 0, "a\n");
	one(&e, &ev, LIVE_APPLIED, "behind: a chunk");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 1, "b\n");
	one(&e, &ev, LIVE_APPLIED, "behind: a chunk on another channel");
	commit(&e, "behind");
	s = q_text(e.db, TEST_SQL("SELECT s.text || '|' || l.state || '|' "
	    "|| quote(l.store_key) || '|' || l.stored_bytes || '|' || "
	    "quote(v.pending) || '|' || v.channel || '|' || v.run_bytes || "
	    "'|' || v.store_size FROM logs l JOIN steps s ON s.id = "
	    "l.step_id JOIN live_logs v ON v.log_id = l.id",
	    "SELECT s.text || '|' || l.state || '|' || "
	    "quote_nullable(l.store_key) || '|' || l.stored_bytes || '|X''' "
	    "|| upper(encode(v.pending, 'hex')) || '''|' || v.channel || '|' "
	    "|| v.run_bytes || '|' || v.store_size FROM logs l JOIN steps s "
	    "ON s.id = l.step_id JOIN live_logs v ON v.log_id = l.id"));
	is_str(s, "[\"compile\",\"1\"]|none|NULL|6|X'333A30610A2C620A'|1|2|0",
	    "behind: the step's last text; the chunk and the run in "
	    "live_logs, no key");
	free(s);
	env_close(&e);

	/*
	 * After a restart (the first record of a step not cached is written
	 * at once, the next waits): a chunk that fails after its log needed
	 * the waiting step's rows (written, then undone) does not lose it.
	 */
	env_open(&e, "behind");
	begin(&e);
	ev_step(&ev, EVENT_STEP_TEXT, "stepTextChanged", ++seq, 1,
	    "[\"compile\",\"1b\"]");
	one(&e, &ev, LIVE_APPLIED, "behind: stepTextChanged after a restart");
	ev_step(&ev, EVENT_STEP_TEXT, "stepTextChanged", ++seq, 1,
	    "[\"compile\",\"2\"]");
	one(&e, &ev, LIVE_APPLIED, "behind: stepTextChanged, waiting");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 12, "x");
	one(&e, &ev, LIVE_FAILED, "behind: a chunk on channel 12");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 1, "c\n");
	one(&e, &ev, LIVE_APPLIED, "behind: the run goes on");
	ev_log(&ev, EVENT_LOG_FINISHED, "logFinished", ++seq, 0, NULL);
	one(&e, &ev, LIVE_APPLIED, "behind: logFinished");
	commit(&e, "behind, restarted");
	s = q_text(e.db, "SELECT s.text || '|' || l.state || '|' || "
	    "l.stored_bytes || '|' || l.text_bytes || '|' || l.lines || '|' "
	    "|| l.complete FROM logs l JOIN steps s ON s.id = l.step_id");
	is_str(s, "[\"compile\",\"2\"]|stored|14|6|3|1", "behind: the "
	    "waiting step written, the log finished");
	free(s);
	is_int(q_int(e.db, "SELECT count(*) FROM live_logs"), 0,
	    "behind: no live state left");
	key = q_text(e.db, "SELECT store_key FROM logs");
	ok(key != NULL && strncmp(key, "p/", 2) == 0, "behind: a short log "
	    "is packed (%s)", key != NULL ? key : "NULL");
	data = key != NULL ? read_log(e.ls, key, &len) : NULL;
	ok(data != NULL && len == 14 && memcmp(data, "3:0a\n,5:1b\nc\n,",
	    14) == 0, "behind: its content");
	free(data);
	free(key);
	env_close(&e);

	/*
	 * A step record with fewer logs is written at once: the rows of the
	 * logs it dropped go (with their live state), and a later chunk of
	 * one starts it afresh.
	 */
	env_open(&e, "shrink");
	seq = 0;
	begin(&e);
	ev_step(&ev, EVENT_STEP_STARTED, "stepStarted", ++seq, 1, NULL);
	one(&e, &ev, LIVE_APPLIED, "shrink: stepStarted");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 0, "old\n");
	one(&e, &ev, LIVE_APPLIED, "shrink: a chunk");
	commit(&e, "shrink");
	begin(&e);
	ev_step(&ev, EVENT_STEP_TEXT, "stepTextChanged", ++seq, 0, NULL);
	one(&e, &ev, LIVE_APPLIED, "shrink: the step without its log");
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 0, "new\n");
	one(&e, &ev, LIVE_APPLIED, "shrink: a chunk of the dropped log");
	commit(&e, "shrink, again");
	s = q_text(e.db, TEST_SQL("SELECT l.text_bytes || '|' || "
	    "quote(v.pending) FROM logs l JOIN live_logs v ON "
	    "v.log_id = l.id", "SELECT l.text_bytes || '|X''' || "
	    "upper(encode(v.pending, 'hex')) || '''' FROM logs l JOIN "
	    "live_logs v ON v.log_id = l.id"));
	is_str(s, "0|X'6E65770A'", "shrink: the log started afresh");
	free(s);
	env_close(&e);

	/* A live_logs row shorter than its run is refused. */
	env_open(&e, "short");
	seq = 0;
	begin(&e);
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 0, "abc");
	one(&e, &ev, LIVE_APPLIED, "short: a chunk");
	commit(&e, "short");
	env_close(&e);
	q_exec(e.db, TEST_SQL("UPDATE live_logs SET pending = x'61'",
	    "UPDATE live_logs SET pending = '\\x61'::bytea"));
	env_open(&e, "short");
	begin(&e);
	ev_log(&ev, EVENT_LOG_CHUNK, "logChunk", ++seq, 0, "d");
	r = live_apply(e.l, e.master_id, &ev, &cause);
	ok(r == LIVE_FAILED && cause != NULL &&
	    strstr(cause, "shorter than its run") != NULL, "short: refused: "
	    "%s", cause != NULL ? cause : "");
	free(cause);
	ev_free(&ev);
	live_rollback(e.l);
	env_close(&e);
}

int
main(void)
{
	enum test_engine	 e;

	test_db_init("test-live");
	for (e = 0; e < TEST_ENGINES; e++) {
		if (!test_db_has(e))
			continue;
		test_db_use(e);
		test_builds();
		test_misc();
		test_failing();
		test_behind();
	}
	test_db_done();
	return (tap_done());
}
