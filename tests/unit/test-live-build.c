/*
 * test-live-build.c: a build driven through live events, its log text
 * checked against an independent model of the master's
 * LogFile.addEntry/merge and its rows against store_build of the final
 * build with its logs stored as the importer stores them; in one batch,
 * a commit per event, across restarts, crashes and failing commits.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "live.h"
#include "logfile.h"
#include "logstore.h"
#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-live.h"

#define MAXLOGS		8

static uint32_t	 rng;

/* A log of a scenario and the model of the master writing it. */
struct tlog {
	int64_t		 step;
	int64_t		 index;
	int		 html;
	struct buf	 stream;	/* what the master's file holds */
	int		 open;
	int		 channel;
	struct buf	 run;
};

struct scen {
	struct bbm_event *ev;
	size_t		 nev;
	struct tlog	 logs[MAXLOGS];
	size_t		 nlogs;
	char		**texts;
	size_t		 ntexts;
	int		 bad_finish;	/* variant: a failing buildFinished */
};

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 1103515245 + 12345;
	return ((rng >> 8) % n);
}

/* The master's merge(): the run as chunks of at most 10000 bytes. */
static void
ref_merge(struct tlog *t)
{
	size_t	 off, n;
	char	 hdr[32];

	for (off = 0; t->open && off < t->run.len; off += n) {
		n = t->run.len - off > 10000 ? 10000 : t->run.len - off;
		snprintf(hdr, sizeof hdr, "%zu:%d", n + 1, t->channel);
		if (buf_add(&t->stream, hdr, strlen(hdr)) != 0 ||
		    buf_add(&t->stream, t->run.data + off, n) != 0 ||
		    buf_add(&t->stream, ",", 1) != 0)
			fatalx("ref_merge");
	}
	buf_reset(&t->run);
	t->open = 0;
}

/* The master's addEntry(channel, text). */
static void
ref_add(struct tlog *t, int channel, const char *text, size_t len)
{
	if (t->open && t->channel != channel)
		ref_merge(t);
	t->open = 1;
	t->channel = channel;
	if (buf_add(&t->run, text, len) != 0)
		fatalx("ref_add");
	if (t->run.len >= 10000)
		ref_merge(t);
}

static struct bbm_event *
ev_add(struct scen *sc, enum event_type type, const char *name)
{
	sc->ev = xreallocarray(sc->ev, sc->nev + 1, sizeof *sc->ev);
	ev_init(&sc->ev[sc->nev], type, name, sc->nev + 1);
	return (&sc->ev[sc->nev++]);
}

static struct bbm_event *
ev_build(struct scen *sc, enum event_type type, const char *name,
    int64_t step, int64_t log)
{
	struct bbm_event	*ev;

	ev = ev_add(sc, type, name);
	ev_ident(ev, step, log);
	return (ev);
}

static void
scen_free(struct scen *sc)
{
	size_t	 i;

	for (i = 0; i < sc->nev; i++)
		ev_free(&sc->ev[i]);
	free(sc->ev);
	for (i = 0; i < sc->ntexts; i++)
		free(sc->texts[i]);
	free(sc->texts);
	for (i = 0; i < sc->nlogs; i++) {
		buf_free(&sc->logs[i].stream);
		buf_free(&sc->logs[i].run);
	}
	memset(sc, 0, sizeof *sc);
}

/* The steps of the build: name, logs (name, html). */
static const struct {
	const char	*name;
	const char	*logs[3];
	int		 entries[3];	/* addEntry calls of each log */
} steps[] = {
	{ "git", { "stdio" }, { 40 } },
	{ "compile", { "stdio", "warnings" }, { 60, 12 } },
	{ "report", { "stdio", "report.html" }, { 20, 0 } },
	{ "idle", { "stdio" }, { 0 } },
	{ "never", { NULL }, { 0 } },
};
#define NSTEPS (sizeof steps / sizeof steps[0])
#define HTML "<html><body>report &amp; more</body></html>\n"

static size_t
step_nlogs(size_t i)
{
	size_t	 n;

	for (n = 0; n < 3 && steps[i].logs[n] != NULL; n++)
		;
	return (n);
}

static void
mk_log(struct bbm_log *lg, size_t step, size_t j)
{
	char	*s;

	memset(lg, 0, sizeof *lg);
	lg->name = xstrdup(steps[step].logs[j]);
	xasprintf(&lg->filename, "%d-log-%s-%s", NUMBER, steps[step].name,
	    lg->name);
	lg->length = -1;
	if (strstr(lg->name, ".html") != NULL) {
		lg->kind = BBM_LOG_HTML;
		xasprintf(&s, "%zu:1%s,", strlen(HTML) + 1, HTML);
		lg->inline_chunks = s;
		lg->inline_len = strlen(s);
	}
}

/*
 * Step i as the master shows it: phase 0 not started, 1 running with its
 * first nlogs logs, 2 finished with all.
 */
void
mk_step(struct bbm_step *st, size_t i, int phase, size_t nlogs)
{
	size_t	 j;

	memset(st, 0, sizeof *st);
	st->number = (int64_t)i;
	st->name = xstrdup(steps[i].name);
	st->started_at = st->finished_at = NAN;
	st->results = -1;
	st->urls = xstrdup("{}");
	st->statistics = xstrdup("{}");
	if (phase >= 1) {
		st->started_at = STARTED + 10 * (double)i;
		xasprintf(&st->text, "[\"%s\",\"running\"]", steps[i].name);
	}
	if (phase == 2) {
		free(st->text);
		st->finished_at = st->started_at + 5;
		st->results = i == 1 ? 1 : 0;
		xasprintf(&st->text, "[\"%s\"]", steps[i].name);
		st->text2 = xstrdup(i == 1 ? "[\"warnings\"]" : "[]");
		nlogs = step_nlogs(i);
	}
	if (nlogs != 0)
		st->logs = xcalloc(nlogs, sizeof *st->logs);
	for (j = 0; j < nlogs; j++)
		mk_log(&st->logs[j], i, j);
	st->nlogs = nlogs;
}

struct bbm_build *
mk_build(int final, int bad)
{
	struct bbm_build	*b;
	struct bbm_sourcestamp	*ss;
	struct bbm_change	*c;
	size_t			 i;

	b = xcalloc(1, sizeof *b);
	b->builder_name = xstrdup(BUILDER);
	b->number = NUMBER;
	b->started_at = STARTED;
	b->finished_at = final ? STARTED + 100 : NAN;
	b->complete = final;
	b->results = final ? 1 : -1;
	b->text = xstrdup(final ? "[\"warnings\"]" : "[]");
	b->reason = xstrdup("scheduler");
	b->slave = xstrdup("bot1");
	b->blamelist = xstrdup("[\"alice\"]");
	b->nsteps = NSTEPS;
	b->steps = xcalloc(NSTEPS, sizeof *b->steps);
	for (i = 0; i < NSTEPS; i++)
		mk_step(&b->steps[i], i, final && i < NSTEPS - 1 ? 2 : 0, 0);
	b->nproperties = final ? 2 : 1;
	b->properties = xcalloc(2, sizeof *b->properties);
	b->properties[0].name = xstrdup("buildername");
	b->properties[0].value = xstrdup("\"" BUILDER "\"");
	b->properties[0].source = xstrdup("Builder");
	if (final) {
		b->properties[1].name = xstrdup("got_revision");
		b->properties[1].value = xstrdup("\"abc123\"");
		b->properties[1].source = xstrdup("Git");
	}
	b->nchanges = 1;
	b->changes = c = xcalloc(1, sizeof *c);
	c->number = 3;
	c->author = xstrdup("alice");
	c->revision = xstrdup("abc123");
	c->branch = xstrdup("trunk");
	c->when = STARTED - 60;
	b->nsourcestamps = 1;
	b->sourcestamps = ss = xcalloc(1, sizeof *ss);
	ss->branch = xstrdup("trunk");
	ss->revision = xstrdup("abc123");
	ss->nchanges = 1;
	ss->changes = xcalloc(1, sizeof *ss->changes);
	ss->changes[0] = bad ? 5 : 0;	/* bad: store_build refuses it */
	return (b);
}

/* Random text of len bytes: lines, some bytes above 127, some NULs. */
static char *
mk_text(struct scen *sc, size_t len)
{
	static const char	 alpha[] = "abcdefghij klmnopqrstuvwxyz";
	char			*s;
	size_t			 i;
	uint32_t		 r;

	s = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		r = rnd(100);
		if (r < 3)
			s[i] = '\n';
		else if (r == 3)
			s[i] = (char)(128 + rnd(128));
		else if (r == 4 && rnd(10) == 0)
			s[i] = '\0';
		else
			s[i] = alpha[rnd(sizeof alpha - 1)];
	}
	s[len] = '\0';
	sc->texts = xreallocarray(sc->texts, sc->ntexts + 1,
	    sizeof *sc->texts);
	sc->texts[sc->ntexts++] = s;
	return (s);
}

/* One addEntry call of log t, sent as one or several logChunk events. */
static void
emit_entry(struct scen *sc, struct tlog *t, int channel, size_t len,
    size_t npieces)
{
	struct bbm_event	*ev;
	const char		*text;
	size_t			 k, off = 0, n;

	text = mk_text(sc, len);
	ref_add(t, channel, text, len);
	for (k = 0; k < npieces; k++) {
		n = (k == npieces - 1) ? len - off : rnd((uint32_t)(len -
		    off) + 1);
		ev = ev_build(sc, EVENT_LOG_CHUNK, "logChunk", t->step,
		    t->index);
		ev->channel = channel;
		ev->chunk_text = text + off;
		ev->chunk_len = n;
		ev->chunk_more = k != npieces - 1;
		off += n;
	}
}

/* A random entry; the first ones of a log are the awkward cases. */
static void
random_entry(struct scen *sc, struct tlog *t, size_t k)
{
	static const struct {
		int	 channel;
		size_t	 len;
		size_t	 pieces;
	} fixed[] = {
		{ 0, 3, 1 }, { 1, 0, 1 }, { 0, 3, 1 },	/* empty run between */
		{ 2, 1, 1 }, { 0, 9999, 1 }, { 0, 1, 1 }, /* exactly 10000 */
		{ 0, 5, 1 }, { 0, 3, 1 },
		{ 2, 25000, 3 }, { 2, 50, 1 },		/* split in pieces */
		{ 0, 10000, 2 }, { 1, 5000, 1 }, { 1, 5000, 2 },
		{ 1, 12000, 4 }, { 1, 8, 1 }, { 0, 0, 1 }, { 0, 7, 1 },
	};
	uint32_t	 r;
	size_t		 len;
	int		 channel;

	if (k < sizeof fixed / sizeof fixed[0] && t->step == 1 &&
	    t->index == 0) {
		emit_entry(sc, t, fixed[k].channel, fixed[k].len,
		    fixed[k].pieces);
		return;
	}
	r = rnd(100);
	channel = r < 60 ? 0 : (r < 85 ? 1 : 2);
	r = rnd(100);
	if (r < 5)
		len = 0;
	else if (r < 65)
		len = 1 + rnd(200);
	else if (r < 85)
		len = 200 + rnd(4800);
	else
		len = 5000 + rnd(25000);
	emit_entry(sc, t, channel, len, len > 1000 && rnd(2) ? 2 + rnd(3) : 1);
}

/*
 * The build driven through events, with the reference streams of its
 * logs. Variant bad_finish: a log is left open and a buildFinished that
 * store_build refuses comes before the real one.
 */
static void
scen_build(struct scen *sc, int bad_finish)
{
	struct bbm_event	*ev;
	struct tlog		*t, *tl[3];
	size_t			 i, j, nl, left[3], k[3], total;

	memset(sc, 0, sizeof *sc);
	sc->bad_finish = bad_finish;
	rng = 42;
	ev = ev_add(sc, EVENT_BUILDER_ADDED, "builderAdded");
	ev->builder = xstrdup(BUILDER);
	ev->builder_rec = xcalloc(1, sizeof *ev->builder_rec);
	ev->builder_rec->name = xstrdup(BUILDER);
	ev->builder_rec->builddir = xstrdup(BUILDER);
	ev->builder_rec->slavenames = xstrdup("[\"bot1\"]");
	ev = ev_add(sc, EVENT_BUILDER_STATE, "builderChangedState");
	ev->builder = xstrdup(BUILDER);
	ev->state = xstrdup("building");
	ev = ev_build(sc, EVENT_BUILD_STARTED, "buildStarted", -1, -1);
	ev->build = mk_build(0, 0);
	ev = ev_build(sc, EVENT_BUILD_ETA, "buildETAUpdate", -1, -1);
	ev->eta = 30;

	for (i = 0; i < NSTEPS - 1; i++) {
		ev = ev_build(sc, EVENT_STEP_STARTED, "stepStarted", (int64_t)i,
		    -1);
		ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
		mk_step(ev->step_rec, i, 1, 0);
		ev_build(sc, EVENT_STEP_ETA, "stepETAUpdate", (int64_t)i, -1);
		nl = step_nlogs(i);
		total = 0;
		for (j = 0; j < nl; j++) {
			t = tl[j] = &sc->logs[sc->nlogs++];
			t->step = (int64_t)i;
			t->index = (int64_t)j;
			buf_init(&t->stream, 0);
			buf_init(&t->run, 0);
			ev = ev_build(sc, EVENT_LOG_STARTED, "logStarted",
			    (int64_t)i, (int64_t)j);
			ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
			mk_log(ev->log_rec, i, j);
			if (ev->log_rec->kind == BBM_LOG_HTML) {
				t->html = 1;
				if (buf_add(&t->stream,
				    ev->log_rec->inline_chunks,
				    ev->log_rec->inline_len) != 0)
					fatalx("html");
				ev = ev_build(sc, EVENT_LOG_FINISHED,
				    "logFinished", (int64_t)i, (int64_t)j);
				ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
				mk_log(ev->log_rec, i, j);
			}
			left[j] = steps[i].entries[j];
			k[j] = 0;
			total += left[j];
		}
		/* The step's logs are written at the same time. */
		for (; total > 0; total--) {
			do
				j = rnd((uint32_t)nl);
			while (left[j] == 0);
			random_entry(sc, tl[j], k[j]++);
			left[j]--;
			if (total == 7) {
				ev = ev_build(sc, EVENT_STEP_TEXT,
				    "stepTextChanged", (int64_t)i, -1);
				ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
				mk_step(ev->step_rec, i, 1, nl);
			}
		}
		for (j = 0; j < nl; j++) {
			if (bad_finish && i == 1 && j == 0)
				continue;
			ref_merge(tl[j]);
			if (tl[j]->html)
				continue;
			ev = ev_build(sc, EVENT_LOG_FINISHED, "logFinished",
			    (int64_t)i, (int64_t)j);
			ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
			mk_log(ev->log_rec, i, j);
		}
		if (bad_finish && i == 1)
			continue;	/* the step is left running too */
		ev = ev_build(sc, EVENT_STEP_FINISHED, "stepFinished",
		    (int64_t)i, -1);
		ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
		mk_step(ev->step_rec, i, 2, 0);
	}
	if (bad_finish) {
		/* It finishes the open log before failing: undone. */
		ev = ev_build(sc, EVENT_BUILD_FINISHED, "buildFinished", -1,
		    -1);
		ev->build = mk_build(1, 1);
		for (j = 0; j < 3; j++)
			random_entry(sc, &sc->logs[1], 100 + j);
		ref_merge(&sc->logs[1]);
	}
	ev = ev_build(sc, EVENT_BUILD_FINISHED, "buildFinished", -1, -1);
	ev->build = mk_build(1, 0);
	ev = ev_add(sc, EVENT_BUILDER_STATE, "builderChangedState");
	ev->builder = xstrdup(BUILDER);
	ev->state = xstrdup("idle");
}

/*
 * Applies events [from, to) in batches of every events (0: one batch),
 * counting the results in n[]. Returns 0, or -1 if a commit failed.
 */
static int
apply(struct env *e, struct scen *sc, size_t from, size_t to, size_t every,
    size_t n[4])
{
	enum live_result	 r;
	char			*cause = NULL;
	size_t			 i, inbatch = 0;

	memset(n, 0, 4 * sizeof *n);
	for (i = from; i < to; i++) {
		if (!live_in_batch(e->l) && live_begin(e->l, &cause) != 0)
			fatalx("live_begin: %s", cause);
		r = live_apply(e->l, e->master_id, &sc->ev[i], &cause);
		n[r]++;
		if (r == LIVE_FAILED) {
			if (!sc->bad_finish)
				tap_diag("%s", cause);
			free(cause);
			cause = NULL;
		}
		if (every != 0 && ++inbatch == every) {
			inbatch = 0;
			if (live_commit(e->l, &cause) != 0)
				goto fail;
		}
	}
	if (live_in_batch(e->l) && live_commit(e->l, &cause) != 0)
		goto fail;
	return (0);
fail:
	tap_diag("commit failed: %s", cause);
	free(cause);
	return (-1);
}

/*
 * The database a build import would give: store_build of the final
 * record, its logs' columns filled as the importer fills them from the
 * master's files (the reference streams).
 */
static char *
ref_dump(struct scen *sc)
{
	struct bbm_builder	 br;
	struct bbm_build	*b;
	struct bbm_log		*lg;
	struct logfile_parser	 p;
	struct tlog		*t;
	struct store		*s;
	char			*cause = NULL, *d;
	int64_t			 master_id, builder_id, build_id;
	size_t			 i;

	test_db_drop("ref.db");
	if ((s = store_open(test_db_url("ref.db"), &cause)) == NULL)
		fatalx("%s", cause);
	memset(&br, 0, sizeof br);
	br.name = BUILDER;
	b = mk_build(1, 0);
	for (i = 0; i < sc->nlogs; i++) {
		t = &sc->logs[i];
		lg = &b->steps[t->step].logs[t->index];
		logfile_parser_init(&p);
		if (logfile_parser_feed(&p, t->stream.data, t->stream.len,
		    NULL, NULL, &cause) != 0)
			fatalx("reference stream: %s", cause);
		lg->state = BBM_LOG_STORED;
		lg->store_key = xstrdup("p/1-1-1/0-1");
		lg->stored_bytes = (int64_t)p.offset;
		lg->text_bytes = (int64_t)p.text_bytes;
		lg->lines = (int64_t)p.lines;
		lg->complete = 1;
	}
	if (store_master(s, MASTER, NULL, &master_id, &cause) != 0 ||
	    store_builder(s, master_id, &br, BBM_ORIGIN_IMPORT, &builder_id,
	    &cause) != 0 || store_build(s, master_id, builder_id, b,
	    BBM_ORIGIN_IMPORT, &build_id, &cause) != 0)
		fatalx("reference: %s", cause);
	record_build_free(b);
	free(b);
	store_close(s);
	d = dump("ref.db");
	test_db_drop("ref.db");
	return (d);
}

/*
 * Checks every log's key and content, and that no live state is left. A
 * log is in a file of its own (its logstore_key) if its text ever reached
 * the live applier's 64 KiB, else packed as the importer stores logs, and
 * a packed log left no file behind.
 */
static void
check_logs(struct env *e, struct scen *sc, const char *what)
{
	struct tlog	*t;
	char		*key, *want, *data, *cause = NULL;
	size_t		 i, len, bad = 0, badkey = 0;
	int		 packed;

	for (i = 0; i < sc->nlogs; i++) {
		t = &sc->logs[i];
		key = q_text(e->db, "SELECT l.store_key FROM logs l JOIN "
		    "steps s ON s.id = l.step_id WHERE s.number = %lld AND "
		    "l.number = %lld", (long long)t->step,
		    (long long)t->index);
		want = logstore_key(MASTER, BUILDER, NUMBER, STARTED, t->step,
		    (size_t)t->index, steps[t->step].logs[t->index]);
		data = key != NULL ? read_log(e->ls, key, &len) : NULL;
		packed = key != NULL && strncmp(key, "p/", 2) == 0;
		if (key == NULL || (!packed && strcmp(key, want) != 0) ||
		    data == NULL || len != t->stream.len || (len != 0 &&
		    memcmp(data, t->stream.data, len) != 0)) {
			tap_diag("log %lld/%lld: key %s (want %s or packed), "
			    "%zu bytes (want %zu)", (long long)t->step,
			    (long long)t->index, key, want,
			    data != NULL ? len : 0, t->stream.len);
			bad++;
		}
		if ((packed && logstore_stat(e->ls, want, NULL, &cause) != 0) ||
		    (!packed && t->stream.len < (64 << 10))) {
			tap_diag("log %lld/%lld: key %s, a file %s", (long long)
			    t->step, (long long)t->index, key, packed ?
			    "left behind" : "for a short log");
			badkey++;
		}
		free(cause);
		cause = NULL;
		free(key);
		free(want);
		free(data);
	}
	ok(bad == 0, "%s: the %zu logs hold the master's streams", what,
	    sc->nlogs);
	ok(badkey == 0, "%s: short logs packed, no file left behind", what);
	is_int(q_int(e->db, "SELECT count(*) FROM live_logs"), 0,
	    "%s: no live log state left", what);
}

/* Checks the database and log store of e against the reference. */
static void
check_all(struct env *e, struct scen *sc, const char *ref, const char *what)
{
	char	*d;

	d = dump(e->db);
	same_dump(d, ref, what);
	free(d);
	check_logs(e, sc, what);
}

static size_t
count_type(struct scen *sc, enum event_type a, enum event_type b)
{
	size_t	 i, n = 0;

	for (i = 0; i < sc->nev; i++)
		n += sc->ev[i].type == a || sc->ev[i].type == b;
	return (n);
}

/* (1), (2): the whole build, committing every so many events. */
static void
test_drive(struct scen *sc, const char *ref, size_t every, const char *what)
{
	struct live_stats	 st;
	struct env		 e;
	size_t			 i, n[4], text = 0;

	for (i = 0; i < sc->nev; i++)
		text += sc->ev[i].chunk_len;
	env_open(&e, what);
	ok(apply(&e, sc, 0, sc->nev, every, n) == 0, "%s: committed", what);
	is_int(n[LIVE_FAILED], sc->bad_finish, "%s: failed events", what);
	is_int(n[LIVE_DUPLICATE], 0, "%s: no duplicates", what);
	is_int(n[LIVE_IGNORED], count_type(sc, EVENT_BUILD_ETA,
	    EVENT_STEP_ETA), "%s: ETA updates ignored", what);
	check_all(&e, sc, ref, what);
	live_get_stats(e.l, &st);
	is_int(st.log_bytes, text, "%s: log bytes counted", what);
	is_int(st.events, n[LIVE_APPLIED], "%s: events counted", what);
	is_int(live_committed_seq(e.l, e.master_id), sc->nev,
	    "%s: last seq committed", what);
	env_close(&e);
}

/*
 * The index of the k-th event of type for log (step, log); with more,
 * counting only chunks that continue in the next.
 */
static size_t
ev_index(struct scen *sc, enum event_type type, int64_t step, int64_t log,
    int more, size_t k)
{
	struct bbm_event	*ev;
	size_t			 i;

	for (i = 0; i < sc->nev; i++) {
		ev = &sc->ev[i];
		if (ev->type == type && ev->step == step && ev->log == log &&
		    (!more || ev->chunk_more) && k-- == 0)
			return (i);
	}
	fatalx("no such event");
}

/* (3): a restart after event cut, then everything sent again. */
static void
test_restart(struct scen *sc, const char *ref)
{
	struct env	 e;
	char		 what[64];
	size_t		 c, cut, n[4];

	for (c = 1; c < 12; c++) {
		/* Between the pieces of one addEntry; before a logStarted. */
		if (c < 8)
			cut = sc->nev * c / 8 + c;
		else if (c < 11)
			cut = ev_index(sc, EVENT_LOG_CHUNK, 1, 0, 1, c - 8) + 1;
		else
			cut = ev_index(sc, EVENT_LOG_STARTED, 1, 1, 0, 0);
		snprintf(what, sizeof what, "restart after %zu", cut);
		env_open(&e, what);
		if (apply(&e, sc, 0, cut, 5, n) != 0)
			fatalx("%s", what);
		env_close(&e);
		/*
		 * A running log has a file of its own and says so, or keeps
		 * its text in live_logs and has no key yet.
		 */
		is_int(q_int(e.db, "SELECT count(*) FROM logs l JOIN "
		    "live_logs v ON v.log_id = l.id WHERE NOT ((l.state = "
		    "'none' AND l.store_key IS NULL AND v.store_size = 0) OR "
		    "(l.state = 'stored' AND l.store_key NOT LIKE 'p/%%' AND "
		    "v.store_size > 0))"), 0, "%s: running logs' rows", what);
		env_open(&e, what);
		is_int(e.last_seq, cut, "%s: welcome seq", what);
		if (c == 11) {
			/* Not knowing the step, it keeps its other logs. */
			if (apply(&e, sc, 0, cut + 1, 0, n) != 0)
				fatalx("%s", what);
			is_int(q_int(e.db, "SELECT count(*) FROM logs l JOIN "
			    "steps s ON s.id = l.step_id JOIN live_logs v ON "
			    "v.log_id = l.id WHERE s.number = 1 AND "
			    "l.number = 0 AND l.name = 'stdio'"), 1, "%s: the "
			    "step's first log kept, running", what);
			cut++;
		}
		ok(apply(&e, sc, 0, sc->nev, 3, n) == 0 &&
		    n[LIVE_DUPLICATE] == cut && n[LIVE_FAILED] == 0,
		    "%s: the first %zu resent are duplicates", what, cut);
		check_all(&e, sc, ref, what);
		ok(apply(&e, sc, 0, sc->nev, 0, n) == 0 &&
		    n[LIVE_DUPLICATE] == sc->nev, "%s: all resent again are "
		    "duplicates", what);
		check_all(&e, sc, ref, what);
		env_close(&e);
	}
}

/*
 * (4) A crash: frames written after the last commit (by a flush, or an
 * append whose commit never happened), then everything sent again.
 */
static void
test_crash(struct scen *sc, const char *ref)
{
	struct env	 e;
	enum live_result r;
	char		*key, *cause = NULL, path[300];
	int64_t		 size0, size1;
	size_t		 i, cut, n[4];
	int		 fd;

	cut = ev_index(sc, EVENT_LOG_CHUNK, 1, 0, 0, 30);
	env_open(&e, "crash");
	if (apply(&e, sc, 0, cut, 0, n) != 0)
		fatalx("crash");
	key = logstore_key(MASTER, BUILDER, NUMBER, STARTED, 1, 0, "stdio");
	ok(logstore_stat(e.ls, key, &size0, &cause) == 1 &&
	    logstore_append(e.ls, key, "9:0garbage,", 11, &cause) == 0 &&
	    logstore_stat(e.ls, key, &size1, &cause) == 1 && size1 > size0,
	    "crash: a frame beyond the committed size");
	if (live_begin(e.l, &cause) != 0)
		fatalx("%s", cause);
	for (i = cut; i < cut + 40; i++) {
		r = live_apply(e.l, e.master_id, &sc->ev[i], &cause);
		if (r != LIVE_APPLIED && r != LIVE_IGNORED)
			fatalx("crash: %s", cause);
	}
	env_close(&e);		/* never committed */
	env_open(&e, "crash");
	is_int(e.last_seq, cut, "crash: welcome seq");
	ok(apply(&e, sc, 0, sc->nev, 0, n) == 0 && n[LIVE_DUPLICATE] == cut,
	    "crash: resent");
	check_all(&e, sc, ref, "crash");
	env_close(&e);

	/* A failing commit: the pack the logs go to cannot be made. */
	env_open(&e, "commitfail");
	snprintf(path, sizeof path, "%s/packs", e.dir);
	if ((fd = creat(path, 0666)) == -1)
		fatal("%s", path);
	close(fd);
	ok(apply(&e, sc, 0, sc->nev, 0, n) == -1, "commit fails: -1");
	ok(!live_in_batch(e.l) && live_committed_seq(e.l, e.master_id) == 0,
	    "commit fails: batch gone, seq not committed");
	unlink(path);
	is_int(q_int(e.db, "SELECT count(*) FROM builds"), 0,
	    "commit fails: no build row");
	ok(apply(&e, sc, 0, sc->nev, 0, n) == 0 && n[LIVE_DUPLICATE] == 0,
	    "commit fails: resent");
	check_all(&e, sc, ref, "commit fails");
	env_close(&e);
	free(key);
}

/*
 * (4) Chunks beyond the flush size are appended before the commit; a
 * rollback leaves them in the file, and the next append cuts them off.
 */
static void
test_flush(void)
{
	struct bbm_event	*ev;
	struct scen		 sc;
	struct tlog		*t;
	struct env		 e;
	char			*key, *cause = NULL;
	int64_t			 size0, size1;
	size_t			 i, n[4];

	memset(&sc, 0, sizeof sc);
	rng = 7;
	ev = ev_build(&sc, EVENT_BUILD_STARTED, "buildStarted", -1, -1);
	ev->build = mk_build(0, 0);
	ev = ev_build(&sc, EVENT_STEP_STARTED, "stepStarted", 0, -1);
	ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
	mk_step(ev->step_rec, 0, 1, 0);
	ev = ev_build(&sc, EVENT_LOG_STARTED, "logStarted", 0, 0);
	ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
	mk_log(ev->log_rec, 0, 0);
	ev = ev_build(&sc, EVENT_STEP_TEXT, "stepTextChanged", 0, -1);
	ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
	mk_step(ev->step_rec, 0, 1, 1);
	t = &sc.logs[sc.nlogs++];
	buf_init(&t->stream, 0);
	buf_init(&t->run, 0);
	for (i = 0; i < 100; i++)
		emit_entry(&sc, t, (int)rnd(2), 10000 + rnd(20000), 1 + rnd(3));
	ref_merge(t);
	ev = ev_build(&sc, EVENT_LOG_FINISHED, "logFinished", 0, 0);
	ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
	mk_log(ev->log_rec, 0, 0);

	env_open(&e, "flush");
	if (apply(&e, &sc, 0, 3, 0, n) != 0)
		fatalx("flush");
	key = logstore_key(MASTER, BUILDER, NUMBER, STARTED, 0, 0, "stdio");
	size0 = 0;
	ok(logstore_stat(e.ls, key, &size0, &cause) == 0, "flush: a started "
	    "log has no file yet");
	if (live_begin(e.l, &cause) != 0)
		fatalx("flush: %s", cause);
	for (i = 3; i < sc.nev - 1; i++) {
		if (live_apply(e.l, e.master_id, &sc.ev[i], &cause) !=
		    LIVE_APPLIED)
			fatalx("flush: %s", cause);
	}
	ok(logstore_stat(e.ls, key, &size1, &cause) == 1 && size1 > size0,
	    "flush: frames appended before the commit (%lld bytes)",
	    (long long)size1);
	live_rollback(e.l);
	ok(!live_in_batch(e.l) && live_committed_seq(e.l, e.master_id) == 3,
	    "flush: rolled back");
	ok(apply(&e, &sc, 0, sc.nev, 0, n) == 0 && n[LIVE_DUPLICATE] == 3 &&
	    n[LIVE_APPLIED] == sc.nev - 3, "flush: resent");
	check_logs(&e, &sc, "flush");
	env_close(&e);
	free(key);
	scen_free(&sc);
}

/* The build tests: (1) to (4). */
void
test_builds(void)
{
	struct scen	 sc;
	char		*ref;

	scen_build(&sc, 0);
	ref = ref_dump(&sc);
	test_drive(&sc, ref, 0, "one batch");
	test_drive(&sc, ref, 1, "a commit per event");
	test_drive(&sc, ref, 7, "a commit every 7 events");
	test_restart(&sc, ref);
	test_crash(&sc, ref);
	free(ref);
	scen_free(&sc);

	scen_build(&sc, 1);
	ref = ref_dump(&sc);
	test_drive(&sc, ref, 0, "failing buildFinished");
	test_drive(&sc, ref, 1, "failing buildFinished, a commit per event");
	free(ref);
	scen_free(&sc);

	test_flush();
}
