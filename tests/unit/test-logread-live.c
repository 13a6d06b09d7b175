/*
 * test-logread-live.c: a live build driven through live.h, read back
 * through logread.h as it runs (test-logread.c has the model and the
 * checks): a running log whose text is in live_logs, then in a file of
 * its own with frames written after the last commit, then finished, then
 * moved to a pack; followers reopening at the offset (or position) they
 * reached must get the final text exactly; a live_logs row that does not
 * hold together is an error.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "live.h"
#include "logread.h"
#include "logstore.h"
#include "query.h"
#include "record.h"
#include "util.h"
#include "tap.h"
#include "test-logread.h"

static void
ev_new(struct env *e, struct bbm_event *ev, enum event_type type,
    const char *name, int64_t step, int64_t log)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->name = xstrdup(name);
	ev->seq = ++e->seq;
	ev->time = 1700000000 + (double)ev->seq;
	ev->builder = xstrdup("live");
	ev->number = 2;
	ev->started = STARTED;
	ev->step = step;
	ev->log = log;
	ev->eta = NAN;
	ev->results = -1;
}

static void
apply(struct env *e, struct bbm_event *ev)
{
	char	*cause = NULL;

	if (live_apply(e->l, e->master_id, ev, &cause) != LIVE_APPLIED)
		fatalx("%s: %s", ev->name, cause != NULL ? cause : "skipped");
	event_free(ev);
}

static void
batch(struct env *e)
{
	char	*cause = NULL;

	if (live_begin(e->l, &cause) != 0)
		fatalx("live_begin: %s", cause);
}

static void
commit(struct env *e)
{
	char	*cause = NULL;

	if (live_commit(e->l, &cause) != 0)
		fatalx("live_commit: %s", cause);
}

/* addEntry(channel, len random bytes) on log n, in pieces events. */
static void
entry(struct env *e, struct model *m, int64_t n, int channel, size_t len,
    size_t pieces)
{
	struct bbm_event	 ev;
	char			*t;
	size_t			 k, off = 0, part;

	t = mk_text(len);
	model_add(m, channel, t, len);
	for (k = 0; k < pieces; k++) {
		part = k == pieces - 1 ? len - off : (len - off) / 2;
		ev_new(e, &ev, EVENT_LOG_CHUNK, "logChunk", 0, n);
		ev.channel = channel;
		ev.chunk_text = t + off;
		ev.chunk_len = part;
		ev.chunk_more = k != pieces - 1;
		apply(e, &ev);
		off += part;
	}
	free(t);
}

static void
log_event(struct env *e, enum event_type type, const char *name, int64_t n,
    const char *logname, enum bbm_log_kind kind)
{
	struct bbm_event	 ev;

	ev_new(e, &ev, type, name, 0, n);
	ev.log_rec = xcalloc(1, sizeof *ev.log_rec);
	mk_log_rec(ev.log_rec, logname, kind);
	apply(e, &ev);
}

static int64_t
log_id(struct env *e, int64_t n)
{
	struct logread_info	 info;
	struct query_stmt	*st;
	char			*cause = NULL;
	int64_t			 id = -1;

	if ((st = query_prepare(e->q, "SELECT l.id FROM logs l JOIN steps s "
	    "ON s.id = l.step_id JOIN builds b ON b.id = s.build_id WHERE "
	    "b.number = 2 AND s.number = 0 AND l.number = $1", &cause)) ==
	    NULL)
		fatalx("%s", cause);
	query_bind_int64(st, 1, n);
	if (query_step(st) == QUERY_ROW)
		id = query_column_int64(st, 0);
	query_reset(st);
	if (id == -1 || logread_info(e->q, id, &info, &cause) != 1)
		fatalx("log %" PRId64 " not found", n);
	logread_info_free(&info);
	return (id);
}

/* A follower: reopens at the offset it reached and appends what is new. */
struct follower {
	int		 by_pos;	/* logread_reopen, else by offset */
	uint64_t	 offset;
	struct logread_pos pos;
	struct buf	 got;
	size_t		 opens;
};

static void
follow(struct env *e, struct follower *f, int64_t id)
{
	struct logread_info	 info;
	struct logread		*r;
	char			 tmp[3000], *cause = NULL;
	ssize_t			 n;
	int			 found;

	if (f->by_pos && f->opens != 0)
		found = logread_reopen(e->q, e->ls, id, &f->pos, &info, &r,
		    &cause);
	else
		found = logread_open(e->q, e->ls, id, LOGREAD_TEXT, f->offset,
		    0, &info, &r, &cause);
	if (found != 1)
		fatalx("follow: %s", cause);
	logread_info_free(&info);
	while ((n = logread_read(r, tmp, sizeof tmp, &cause)) > 0) {
		if (buf_add(&f->got, tmp, (size_t)n) != 0)
			fatalx("follow");
	}
	if (n < 0)
		fatalx("follow: %s", cause);
	f->offset = logread_offset(r);
	logread_pos(r, &f->pos);
	f->opens++;
	logread_close(r);
}

static void
follow_both(struct env *e, struct follower *f, int64_t id)
{
	follow(e, &f[0], id);
	follow(e, &f[1], id);
}

static void
check_live(struct env *e, int64_t id, struct model *m, const char *what)
{
	char	*raw;
	size_t	 len;

	check_masks(e, id, m, what);
	raw = model_raw(m, &len);
	check_raw(e, id, raw, len, what);
	free(raw);
}

/*
 * A position taken after the file part of a running log lets the log be
 * opened again without reading the file (moved away here) while its
 * committed size is the same; a plain open needs it.
 */
static void
test_skip(struct env *e, int64_t id, const char *key, const struct model *m)
{
	struct logread_info	 info;
	struct logread_pos	 pos;
	struct logread		*r;
	struct expect		 x;
	char			*path, *moved, *cause = NULL, tmp[4096];
	ssize_t			 n;
	int			 found;

	expect_make(&x, m, LOGREAD_TEXT);
	if (logread_open(e->q, e->ls, id, LOGREAD_TEXT, 0, 0, &info, &r,
	    &cause) != 1)
		fatalx("skip: %s", cause);
	logread_info_free(&info);
	while ((n = logread_read(r, tmp, sizeof tmp, &cause)) > 0)
		;
	logread_pos(r, &pos);
	logread_close(r);
	xasprintf(&path, "%s/%s.zst", e->dir, key);
	xasprintf(&moved, "%s.moved", path);
	if (rename(path, moved) != 0)
		fatal("rename %s", path);
	found = logread_reopen(e->q, e->ls, id, &pos, &info, &r, &cause);
	if (ok(found == 1, "reopen at a position: the file is not read")) {
		logread_info_free(&info);
		n = logread_read(r, tmp, sizeof tmp, &cause);
		ok(n == 0 && logread_offset(r) == x.len, "... nothing new "
		    "after %zu bytes", x.len);
		logread_close(r);
	} else {
		tap_diag("%s", cause);
		free(cause);
		cause = NULL;
	}
	pos.offset = 10;
	found = logread_reopen(e->q, e->ls, id, &pos, &info, &r, &cause);
	ok(found == -1, "reopen before the position's file part: the file "
	    "is needed");
	free(cause);
	cause = NULL;
	found = logread_open(e->q, e->ls, id, LOGREAD_TEXT, x.len, 0, &info,
	    &r, &cause);
	ok(found == -1 && strstr(cause, "no such log") != NULL,
	    "open by offset: the file is needed");
	free(cause);
	if (rename(moved, path) != 0)
		fatal("rename %s", moved);
	free(path);
	free(moved);
	expect_free(&x);
}

/*
 * After the file grew, a reopen reads only the frames appended since the
 * position: started at a wrong offset in the file, it fails.
 */
static void
test_grown(struct env *e, int64_t id, const struct logread_pos *before)
{
	struct logread_info	 info;
	struct logread_pos	 bad = *before;
	struct logread		*r;
	char			*cause = NULL, tmp[4096];
	ssize_t			 n = 0;
	int			 found;

	bad.store_size++;
	found = logread_reopen(e->q, e->ls, id, &bad, &info, &r, &cause);
	if (found == 1) {
		logread_info_free(&info);
		while ((n = logread_read(r, tmp, sizeof tmp, &cause)) > 0)
			;
		logread_close(r);
	}
	ok(before->store_size > 0 && (found == -1 || n == -1),
	    "a grown file is read from the position's frame on");
	free(cause);
}

void
test_live(struct env *e)
{
	struct bbm_event	 ev;
	struct follower		 f[2];
	struct logread_pos	 before;
	struct model		 m, m1, m2;
	struct expect		 x;
	struct logread_info	 info;
	struct logread		*r;
	char			*cause = NULL, *key, *data, *pkey;
	int64_t			 id, id1, id2, id3;
	size_t			 len;

	model_init(&m);
	model_init(&m1);
	model_init(&m2);
	memset(f, 0, sizeof f);
	buf_init(&f[0].got, 0);
	buf_init(&f[1].got, 0);
	f[1].by_pos = 1;

	batch(e);
	ev_new(e, &ev, EVENT_BUILD_STARTED, "buildStarted", -1, -1);
	ev.build = xcalloc(1, sizeof *ev.build);
	ev.build->builder_name = xstrdup("live");
	ev.build->number = 2;
	ev.build->started_at = STARTED;
	ev.build->finished_at = NAN;
	ev.build->results = -1;
	ev.build->nsteps = 1;
	ev.build->steps = xcalloc(1, sizeof *ev.build->steps);
	ev.build->steps[0].name = xstrdup("compile");
	ev.build->steps[0].started_at = NAN;
	ev.build->steps[0].finished_at = NAN;
	ev.build->steps[0].results = -1;
	apply(e, &ev);
	ev_new(e, &ev, EVENT_STEP_STARTED, "stepStarted", 0, -1);
	ev.step_rec = xcalloc(1, sizeof *ev.step_rec);
	ev.step_rec->name = xstrdup("compile");
	ev.step_rec->started_at = STARTED + 1;
	ev.step_rec->finished_at = NAN;
	ev.step_rec->results = -1;
	apply(e, &ev);
	log_event(e, EVENT_LOG_STARTED, "logStarted", 0, "stdio", BBM_LOG_TEXT);
	log_event(e, EVENT_LOG_STARTED, "logStarted", 1, "small",
	    BBM_LOG_TEXT);
	log_event(e, EVENT_LOG_STARTED, "logStarted", 2, "running",
	    BBM_LOG_TEXT);
	log_event(e, EVENT_LOG_STARTED, "logStarted", 3, "report.html",
	    BBM_LOG_HTML);
	commit(e);
	id = log_id(e, 0);
	id1 = log_id(e, 1);
	id2 = log_id(e, 2);
	id3 = log_id(e, 3);
	check_info(e, id, BBM_LOG_NONE, 1, 1, 0, "live, started");
	check_log(e, id, &m, LOGREAD_ALL, "live, started: empty");
	check_info(e, id3, BBM_LOG_NONE, 0, 1, 0, "live html, started");
	check_log(e, id3, &m2, LOGREAD_ALL, "live html, started: empty");
	follow_both(e, f, id);

	/* Text in live_logs only: chunks, then the open run. */
	batch(e);
	entry(e, &m, 0, 0, 6, 1);
	entry(e, &m, 0, 2, 9, 1);
	entry(e, &m, 0, 1, 4, 1);
	entry(e, &m, 0, 0, 12345, 2);
	entry(e, &m, 0, 0, 0, 1);
	entry(e, &m, 0, 0, 77, 1);
	entry(e, &m2, 2, 1, 300, 1);
	commit(e);
	check_info(e, id, BBM_LOG_NONE, 1, 1, (int64_t)(m.text.len +
	    m.run.len), "live, in live_logs");
	check_live(e, id, &m, "live, in live_logs");
	follow_both(e, f, id);

	/* Over 64 KiB: a file of its own. */
	batch(e);
	entry(e, &m, 0, 0, 3000, 1);
	entry(e, &m, 0, 1, 70001, 3);
	entry(e, &m, 0, 2, 10, 1);
	entry(e, &m, 0, 0, 20000, 1);
	entry(e, &m, 0, 0, 4321, 1);
	commit(e);
	check_info(e, id, BBM_LOG_STORED, 1, 1, (int64_t)(m.text.len +
	    m.run.len), "live, in a file");
	check_live(e, id, &m, "live, in a file");
	follow_both(e, f, id);

	/* A frame written after the last commit is not the log's yet. */
	if (logread_info(e->q, id, &info, &cause) != 1)
		fatalx("info: %s", cause);
	key = xstrdup(info.store_key);
	logread_info_free(&info);
	if (logstore_append(e->ls, key, "12:0uncommitted,", 16, &cause) != 0)
		fatalx("%s", cause);
	check_live(e, id, &m, "live, frame after the commit");
	test_skip(e, id, key, &m);
	batch(e);
	entry(e, &m, 0, 2, 9, 1);
	entry(e, &m, 0, 0, 500, 1);
	commit(e);
	check_live(e, id, &m, "live, more in live_logs after the frame");
	follow_both(e, f, id);
	before = f[1].pos;
	batch(e);
	entry(e, &m, 0, 1, 80000, 4);
	entry(e, &m, 0, 0, 15, 1);
	commit(e);
	check_live(e, id, &m, "live, the file grown again");
	test_grown(e, id, &before);
	follow_both(e, f, id);

	/* Finished: the file stays its key; the small log goes to a pack. */
	batch(e);
	entry(e, &m, 0, 0, 33, 1);
	entry(e, &m1, 1, 0, 50, 1);
	entry(e, &m1, 1, 1, 20, 1);
	log_event(e, EVENT_LOG_FINISHED, "logFinished", 0, "stdio",
	    BBM_LOG_TEXT);
	log_event(e, EVENT_LOG_FINISHED, "logFinished", 1, "small",
	    BBM_LOG_TEXT);
	entry(e, &m2, 2, 0, 20, 1);
	commit(e);
	model_merge(&m);
	model_merge(&m1);
	check_info(e, id, BBM_LOG_STORED, 0, 0, (int64_t)m.text.len,
	    "live, finished");
	check_live(e, id, &m, "live, finished");
	follow_both(e, f, id);
	check_info(e, id1, BBM_LOG_STORED, 0, 0, (int64_t)m1.text.len,
	    "live small, finished");
	check_live(e, id1, &m1, "live small, finished (packed)");
	ok(logread_info(e->q, id1, &info, &cause) == 1 &&
	    strncmp(info.store_key, "p/", 2) == 0, "live small: a packed key");
	logread_info_free(&info);

	/* Moved to a pack: the same text under another key. */
	data = get_stored(e, key, &len);
	pkey = put_packed(e, data, len);
	q_exec(e, "UPDATE logs SET store_key = '%s' WHERE id = %" PRId64,
	    pkey, id);
	check_live(e, id, &m, "live, moved to a pack");
	follow_both(e, f, id);
	expect_make(&x, &m, LOGREAD_TEXT);
	ok(f[0].got.len == x.len && memcmp(f[0].got.data, x.text, x.len) == 0,
	    "a follower reopening at its offset got the text exactly "
	    "(%zu bytes, %zu opens)", f[0].got.len, f[0].opens);
	ok(f[1].got.len == x.len && memcmp(f[1].got.data, x.text, x.len) == 0,
	    "a follower reopening at its position got the text exactly "
	    "(%zu bytes, %zu opens)", f[1].got.len, f[1].opens);
	expect_free(&x);
	free(data);
	free(pkey);
	free(key);

	/* The running log: what live_logs says must hold together. */
	check_info(e, id2, BBM_LOG_NONE, 1, 1, -1, "live running");
	check_live(e, id2, &m2, "live running");
	q_exec(e, "UPDATE live_logs SET run_bytes = 9999 WHERE log_id = %"
	    PRId64, id2);
	ok(logread_open(e->q, e->ls, id2, LOGREAD_TEXT, 0, 0, &info, &r,
	    &cause) == -1 && strstr(cause, "shorter than its run") != NULL,
	    "live_logs.pending shorter than its run: error");
	free(cause);
	cause = NULL;
	q_exec(e, "UPDATE live_logs SET run_bytes = 20 WHERE log_id = %"
	    PRId64, id2);
	check_live(e, id2, &m2, "live running, restored");
	q_exec(e, "UPDATE logs SET stored_bytes = stored_bytes + 5 WHERE id = %"
	    PRId64, id2);
	ok(logread_open(e->q, e->ls, id2, LOGREAD_TEXT, 0, 0, &info, &r,
	    &cause) == -1 && strstr(cause, "does not match") != NULL,
	    "stored_bytes that do not match live_logs: error");
	free(cause);
	ok(logread_open(e->q, e->ls, id3 + 1000, LOGREAD_TEXT, 0, 0, &info,
	    &r, &cause) == 0 && r == NULL, "open: no such log");

	buf_free(&f[0].got);
	buf_free(&f[1].got);
	model_free(&m);
	model_free(&m1);
	model_free(&m2);
}
