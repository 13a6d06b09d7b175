/*
 * test-logread.c: reading logs as readers see them (logread.h) from real
 * databases on each engine (test-db.h) and a real log store in a temporary
 * directory: an imported build stored through store.h (packed logs, a log
 * in a file of its own, HTML, truncated, empty, missing and pruned logs)
 * and a live build driven through live.h (test-logread-live.c). Every
 * read is compared with an independent model of the chunk stream the
 * master wrote, from offsets at every chunk boundary (every offset of
 * short logs), for every channel selection, as text and as chunks. This
 * file holds main(), the model, the checks and the imported build.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "logread.h"
#include "logstore.h"
#include "query.h"
#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"
#include "test-logread.h"

static uint32_t	 rng = 7;

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 1103515245 + 12345;
	return ((rng >> 8) % n);
}

/* Random bytes: lines, some above 127 (not always UTF-8), some NULs. */
char *
mk_text(size_t len)
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
		else if (r == 4 && rnd(5) == 0)
			s[i] = '\0';
		else
			s[i] = alpha[rnd(sizeof alpha - 1)];
	}
	s[len] = '\0';
	return (s);
}

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	buf_init(&m->stream, 0);
	buf_init(&m->text, 0);
	buf_init(&m->run, 0);
}

void
model_free(struct model *m)
{
	buf_free(&m->stream);
	buf_free(&m->text);
	buf_free(&m->run);
	free(m->chunks);
}

/* One complete chunk "<len>:<channel><text>,". */
static void
model_chunk(struct model *m, int channel, const char *p, size_t len)
{
	if (buf_addf(&m->stream, "%zu:%d", len + 1, channel) != 0 ||
	    buf_add(&m->stream, p, len) != 0 ||
	    buf_add(&m->stream, ",", 1) != 0 ||
	    buf_add(&m->text, p, len) != 0)
		fatalx("model_chunk");
	m->chunks = xreallocarray(m->chunks, m->nchunks + 1,
	    sizeof *m->chunks);
	m->chunks[m->nchunks].end = m->text.len;
	m->chunks[m->nchunks++].channel = channel;
}

/* The master's merge(). */
void
model_merge(struct model *m)
{
	size_t	 off, n;

	for (off = 0; m->open && off < m->run.len; off += n) {
		n = m->run.len - off > 10000 ? 10000 : m->run.len - off;
		model_chunk(m, m->channel, m->run.data + off, n);
	}
	buf_reset(&m->run);
	m->open = 0;
}

/* The master's addEntry(). */
void
model_add(struct model *m, int channel, const char *p, size_t len)
{
	if (m->open && m->channel != channel)
		model_merge(m);
	m->open = 1;
	m->channel = channel;
	if (buf_add(&m->run, p, len) != 0)
		fatalx("model_add");
	if (m->run.len >= 10000)
		model_merge(m);
}

/* The stream a reader shows: the chunks, then the open run as one. */
char *
model_raw(const struct model *m, size_t *len)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_add(&b, m->stream.data, m->stream.len) != 0 ||
	    (m->open && m->run.len != 0 && (buf_addf(&b, "%zu:%d",
	    m->run.len + 1, m->channel) != 0 || buf_add(&b, m->run.data,
	    m->run.len) != 0 || buf_add(&b, ",", 1) != 0)))
		fatalx("model_raw");
	return (buf_steal(&b, len));
}

static void
expect_add(struct expect *x, size_t *cap, int channel, const char *p,
    size_t len)
{
	while (x->len + len + 1 > *cap) {
		*cap = *cap == 0 ? 4096 : *cap * 2;
		x->text = xreallocarray(x->text, *cap, 1);
		x->chan = xreallocarray(x->chan, *cap, 1);
		x->isend = xreallocarray(x->isend, *cap, 1);
	}
	memcpy(x->text + x->len, p, len);
	memset(x->chan + x->len, channel, len);
	memset(x->isend + x->len + 1, 0, len);
	x->len += len;
	x->isend[x->len] = 1;
}

/* The selection mask of m (with its open run as a chunk). */
void
expect_make(struct expect *x, const struct model *m, unsigned int mask)
{
	size_t	 i, start = 0, cap = 0;

	memset(x, 0, sizeof *x);
	expect_add(x, &cap, 0, "", 0);
	x->isend[0] = 1;
	for (i = 0; i < m->nchunks; i++) {
		if (mask & LOGREAD_CHANNEL(m->chunks[i].channel))
			expect_add(x, &cap, m->chunks[i].channel,
			    m->text.data + start, m->chunks[i].end - start);
		start = m->chunks[i].end;
	}
	if (m->open && m->run.len != 0 &&
	    (mask & LOGREAD_CHANNEL(m->channel)))
		expect_add(x, &cap, m->channel, m->run.data, m->run.len);
}

void
expect_free(struct expect *x)
{
	free(x->text);
	free(x->chan);
	free(x->isend);
}

/*
 * Reads log id of e from off with mask as text (reads of bs bytes) and
 * as chunks, comparing with x. Returns 0, or -1 with *why (caller frees).
 */
static int
check_at(struct env *e, int64_t id, const struct expect *x,
    unsigned int mask, uint64_t off, size_t bs, char **why)
{
	struct logread_info	 info;
	struct logread_piece	 p;
	struct logread		*r;
	struct buf		 got;
	char			*cause = NULL, *tmp;
	size_t			 from, pos, i;
	ssize_t			 n;
	int			 ret;

	from = off < x->len ? (size_t)off : x->len;
	if (logread_open(e->q, e->ls, id, mask, off, 0, &info, &r,
	    &cause) != 1) {
		xasprintf(why, "open at %" PRIu64 ": %s", off,
		    cause != NULL ? cause : "not found");
		free(cause);
		return (-1);
	}
	logread_info_free(&info);
	tmp = xmalloc(bs);
	buf_init(&got, 0);
	while ((n = logread_read(r, tmp, bs, &cause)) > 0) {
		if ((size_t)n > bs || buf_add(&got, tmp, (size_t)n) != 0)
			fatalx("check_at");
	}
	free(tmp);
	if (n == -1 || got.len != x->len - from || (got.len != 0 &&
	    memcmp(got.data, x->text + from, got.len) != 0) ||
	    logread_seen(r) != x->len || logread_offset(r) !=
	    (off > x->len ? off : x->len)) {
		xasprintf(why, "text from %" PRIu64 " (reads of %zu): got %zu "
		    "bytes, want %zu; seen %" PRIu64 ", offset %" PRIu64 "%s%s",
		    off, bs, got.len, x->len - from, logread_seen(r),
		    logread_offset(r), n == -1 ? ": " : "",
		    n == -1 ? cause : "");
		free(cause);
		buf_free(&got);
		logread_close(r);
		return (-1);
	}
	buf_free(&got);
	logread_close(r);

	if (logread_open(e->q, e->ls, id, mask, off, 0, &info, &r,
	    &cause) != 1)
		fatalx("reopen: %s", cause);
	logread_info_free(&info);
	pos = from;
	while ((ret = logread_chunk(r, &p, &cause)) == 1) {
		if (p.len == 0 || p.len > LOGREAD_PIECE_MAX ||
		    p.offset != pos || pos + p.len > x->len ||
		    memcmp(p.text, x->text + pos, p.len) != 0 ||
		    (p.last && !x->isend[pos + p.len]) ||
		    (p.first && !x->isend[pos]))
			break;
		for (i = 0; i < p.len; i++) {
			if (x->chan[pos + i] != p.channel ||
			    (i != 0 && x->isend[pos + i]))
				break;
		}
		if (i != p.len)
			break;
		pos += p.len;
	}
	logread_close(r);
	if (ret != 0 || pos != x->len) {
		xasprintf(why, "chunks from %" PRIu64 ": stopped at %zu of "
		    "%zu (piece at %" PRIu64 ", %zu bytes, channel %d, first "
		    "%d, last %d)%s%s", off, pos, x->len, p.offset, p.len,
		    p.channel, p.first, p.last, ret == -1 ? ": " : "",
		    ret == -1 ? cause : "");
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * One test point: log id read with mask from every offset of a short
 * log, else from every chunk boundary (and one byte either side), every
 * run chunk boundary and a spread of others.
 */
void
check_log(struct env *e, int64_t id, const struct model *m,
    unsigned int mask, const char *what)
{
	static const size_t	 sizes[] = { 1, 7, 4096, 65536 };
	struct expect		 x;
	char			*why = NULL;
	size_t			 i, k, bs, off, tries = 0;
	int			 failed = 0;

	expect_make(&x, m, mask);
	for (i = 0; i <= x.len + 1 && !failed; i++) {
		if (x.len > 3000 && i > 1 && i + 1 < x.len &&
		    !x.isend[i] && !x.isend[i - 1] && !x.isend[i + 1] &&
		    i % (x.len / 16 + 1) != 0)
			continue;
		off = i;
		for (k = 0; k < 2 && !failed; k++) {
			bs = sizes[(i + k) % 4];
			if (bs == 1 && x.len - (off < x.len ? off : x.len) >
			    5000)
				bs = 4093;
			if (check_at(e, id, &x, mask, off, bs, &why) != 0)
				failed = 1;
			tries++;
			if (x.len > 3000)
				break;
		}
	}
	if (!failed && check_at(e, id, &x, mask, UINT64_MAX, 4096, &why) != 0)
		failed = 1;
	if (!ok(!failed, "%s: mask 0x%x, %zu bytes, %zu reads", what, mask,
	    x.len, tries))
		tap_diag("%s", why);
	free(why);
	expect_free(&x);
}

/* Every selection of log id. */
void
check_masks(struct env *e, int64_t id, const struct model *m,
    const char *what)
{
	static const unsigned int masks[] = { LOGREAD_TEXT, LOGREAD_ALL,
	    LOGREAD_STDOUT, LOGREAD_STDERR, LOGREAD_HEADER };
	size_t	 i;

	for (i = 0; i < sizeof masks / sizeof masks[0]; i++)
		check_log(e, id, m, masks[i], what);
}

/* The stream (LOGREAD_RAW) of log id from offset off is want[off:]. */
void
check_raw(struct env *e, int64_t id, const char *want, size_t len,
    const char *what)
{
	struct logread_info	 info;
	struct logread		*r;
	struct buf		 got;
	char			 tmp[5000], *cause = NULL;
	size_t			 offs[] = { 0, 1, len / 2, len, len + 1 }, i, k;
	ssize_t			 n;
	int			 failed = 0;

	for (i = 0; i < sizeof offs / sizeof offs[0] && !failed; i++) {
		if (logread_open(e->q, e->ls, id, LOGREAD_HEADER, offs[i],
		    LOGREAD_RAW, &info, &r, &cause) != 1)
			fatalx("raw: %s", cause);
		logread_info_free(&info);
		buf_init(&got, 0);
		while ((n = logread_read(r, tmp, sizeof tmp, &cause)) > 0) {
			if (buf_add(&got, tmp, (size_t)n) != 0)
				fatalx("raw");
		}
		logread_close(r);
		k = offs[i] < len ? offs[i] : len;
		if (n != 0 || got.len != len - k || (got.len != 0 &&
		    memcmp(got.data, want + k, got.len) != 0)) {
			failed = 1;
			tap_diag("raw from %zu: %zu bytes, want %zu %s",
			    offs[i], got.len, len - (offs[i] < len ? offs[i] :
			    len), n == -1 ? cause : "");
			free(cause);
		}
		buf_free(&got);
	}
	ok(!failed, "%s: the chunk stream (raw), %zu bytes", what, len);
}

/* The info of log id: its state, whether it runs, grows, its length. */
void
check_info(struct env *e, int64_t id, enum bbm_log_state state, int running,
    int growing, int64_t text_bytes, const char *what)
{
	struct logread_info	 info;
	char			*cause = NULL;
	int			 found;

	found = logread_info(e->q, id, &info, &cause);
	if (!ok(found == 1 && info.state == state && info.running == running &&
	    logread_growing(&info) == growing && (text_bytes == -1 ||
	    info.text_bytes == text_bytes) && info.id == id, "%s: info "
	    "(state %s, running %d, growing %d)", what,
	    logread_state_name(state), running, growing))
		tap_diag("found %d, state %s, running %d, growing %d, text %"
		    PRId64 " (want %" PRId64 ") %s", found,
		    logread_state_name(info.state), info.running,
		    found == 1 ? logread_growing(&info) : -1, info.text_bytes,
		    text_bytes, cause != NULL ? cause : "");
	free(cause);
	if (found == 1)
		logread_info_free(&info);
}

/*
 * Runs a statement on the database, through a connection of its own as
 * another program would (dies on error).
 */
void
q_exec(struct env *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	if (test_db_exec(e->db, sql) != 0)
		fatalx("%s: failed", sql);
	free(sql);
}

char *
put_packed(struct env *e, const void *p, size_t len)
{
	struct logstore_writer	*w;
	char			*key, *cause = NULL;

	if ((w = logstore_create_packed(e->ls, &cause)) == NULL ||
	    (len != 0 && logstore_write(w, p, len, &cause) != 0) ||
	    logstore_commit_packed(w, &key, &cause) != 0)
		fatalx("put_packed: %s", cause);
	return (key);
}

/* The whole content of key, as the log store gives it (caller frees). */
char *
get_stored(struct env *e, const char *key, size_t *len)
{
	struct logstore_reader	*r;
	struct buf		 b;
	char			 tmp[8192], *cause = NULL;
	ssize_t			 n;

	if ((r = logstore_open_read(e->ls, key, &cause)) == NULL)
		fatalx("get_stored: %s", cause);
	buf_init(&b, 0);
	while ((n = logstore_read(r, tmp, sizeof tmp, &cause)) > 0) {
		if (buf_add(&b, tmp, (size_t)n) != 0)
			fatalx("get_stored");
	}
	if (n < 0)
		fatalx("get_stored: %s", cause);
	logstore_close_read(r);
	return (buf_steal(&b, len));
}

static void
env_open(struct env *e)
{
	uint64_t	 last;
	char		*cause = NULL;

	memset(e, 0, sizeof *e);
	rng = 7;	/* the same data on every engine */
	snprintf(e->db, sizeof e->db, "mirror.db");
	snprintf(e->dir, sizeof e->dir, "%s-logs",
	    test_db_path(test_db_engine_name()));
	if ((e->s = store_open(test_db_url(e->db), &cause)) == NULL ||
	    (e->ls = logstore_open(e->dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	e->l = live_new(e->s, e->ls);
	if (live_master(e->l, MASTER, "/srv/master", &e->master_id, &last,
	    &cause) != 0 ||
	    (e->q = query_open(test_db_url(e->db), 3, &cause)) == NULL)
		fatalx("%s", cause);
}

static void
env_close(struct env *e)
{
	query_close(e->q);
	live_free(e->l);
	store_close(e->s);
	logstore_close(e->ls);
	test_db_close(e->db);
}

/* Random chunks on every channel, as a master's file might hold them. */
static void
mk_chunks(struct model *m, size_t n, int big)
{
	char	*t;
	size_t	 i, len;
	int	 ch;

	for (i = 0; i < n; i++) {
		ch = (int)rnd(3);
		len = rnd(10) == 0 ? 0 : 1 + rnd(i % 7 == 0 ? 9000 : 120);
		if (big && i == n / 2)
			len = 40000;	/* longer than a piece */
		t = mk_text(len);
		model_chunk(m, ch, t, len);
		free(t);
	}
}

void
mk_log_rec(struct bbm_log *lg, const char *name, enum bbm_log_kind kind)
{
	memset(lg, 0, sizeof *lg);
	lg->name = xstrdup(name);
	xasprintf(&lg->filename, "1-log-compile-%s", name);
	lg->kind = kind;
	lg->length = -1;
}

/* The content columns of a log record for a stored stream. */
static void
set_stored(struct bbm_log *lg, char *key, const struct model *m)
{
	lg->state = BBM_LOG_STORED;
	lg->store_key = key;
	lg->stored_bytes = (int64_t)m->stream.len;
	lg->text_bytes = (int64_t)m->text.len;
	lg->complete = 1;
}

#define NIMP	7

/*
 * An imported build: packed logs, one in a file of its own, HTML, a log
 * cut inside a chunk, an empty one, a missing and a pruned one.
 */
static void
test_imported(struct env *e)
{
	static const char *const names[NIMP] = { "stdio", "file", "report.html",
	    "cut", "empty", "gone", "pruned" };
	struct bbm_builder	 bl;
	struct bbm_build	 b;
	struct bbm_step		*st;
	struct model		 m[NIMP];
	char			*cause = NULL, *key, *raw;
	int64_t			 builder_id, build_id, id[NIMP];
	size_t			 i;
	int			 found;

	memset(&bl, 0, sizeof bl);
	bl.name = "imp";
	if (store_builder(e->s, e->master_id, &bl, BBM_ORIGIN_IMPORT,
	    &builder_id, &cause) != 0)
		fatalx("%s", cause);
	memset(&b, 0, sizeof b);
	b.builder_name = xstrdup("imp");
	b.number = 1;
	b.started_at = STARTED;
	b.finished_at = STARTED + 60;
	b.complete = 1;
	b.results = 0;
	b.text = xstrdup("[]");
	b.nsteps = 1;
	b.steps = st = xcalloc(1, sizeof *st);
	st->name = xstrdup("compile");
	st->started_at = STARTED;
	st->finished_at = STARTED + 50;
	st->results = 0;
	st->text = xstrdup("[\"compile\"]");
	st->nlogs = NIMP;
	st->logs = xcalloc(NIMP, sizeof *st->logs);
	for (i = 0; i < NIMP; i++) {
		model_init(&m[i]);
		mk_log_rec(&st->logs[i], names[i], i == 2 ? BBM_LOG_HTML :
		    BBM_LOG_TEXT);
	}
	mk_chunks(&m[0], 80, 1);
	set_stored(&st->logs[0], put_packed(e, m[0].stream.data,
	    m[0].stream.len), &m[0]);
	mk_chunks(&m[1], 30, 0);
	key = logstore_key(MASTER, "imp", 1, STARTED, 0, 1, "file");
	if (logstore_append(e->ls, key, m[1].stream.data, m[1].stream.len,
	    &cause) != 0)
		fatalx("%s", cause);
	set_stored(&st->logs[1], key, &m[1]);
	model_chunk(&m[2], 1, "<html><b>report</b></html>\n", 27);
	set_stored(&st->logs[2], put_packed(e, m[2].stream.data,
	    m[2].stream.len), &m[2]);
	/* A master that died inside a chunk: its text so far is shown. */
	mk_chunks(&m[3], 5, 0);
	raw = xmalloc(m[3].stream.len + 20);
	memcpy(raw, m[3].stream.data, m[3].stream.len);
	memcpy(raw + m[3].stream.len, "20:0partial", 11);
	set_stored(&st->logs[3], put_packed(e, raw, m[3].stream.len + 11),
	    &m[3]);
	st->logs[3].complete = 0;
	free(raw);
	set_stored(&st->logs[4], put_packed(e, "", 0), &m[4]);
	st->logs[5].state = BBM_LOG_MISSING;
	mk_chunks(&m[6], 3, 0);
	set_stored(&st->logs[6], put_packed(e, m[6].stream.data,
	    m[6].stream.len), &m[6]);
	if (store_build(e->s, e->master_id, builder_id, &b, BBM_ORIGIN_IMPORT,
	    &build_id, &cause) != 0)
		fatalx("store_build: %s", cause);
	for (i = 0; i < NIMP; i++) {
		if (store_log_find(e->s, build_id, 0, (int64_t)i, &id[i],
		    &found, &cause) != 0 || !found)
			fatalx("store_log_find %zu: %s", i, cause);
	}
	record_build_free(&b);
	q_exec(e, "UPDATE logs SET state = 'pruned', store_key = NULL, "
	    "pruned_at = 1700000500.25 WHERE id = %" PRId64, id[6]);

	check_info(e, id[0], BBM_LOG_STORED, 0, 0, (int64_t)m[0].text.len,
	    "packed");
	check_masks(e, id[0], &m[0], "packed");
	check_raw(e, id[0], m[0].stream.data, m[0].stream.len, "packed");
	check_masks(e, id[1], &m[1], "file");
	check_raw(e, id[1], m[1].stream.data, m[1].stream.len, "file");
	check_log(e, id[2], &m[2], LOGREAD_TEXT, "html");
	check_info(e, id[3], BBM_LOG_STORED, 0, 0, -1, "cut");
	model_chunk(&m[3], 0, "partial", 7);	/* the text the reader sees */
	check_log(e, id[3], &m[3], LOGREAD_ALL, "cut");
	check_log(e, id[4], &m[4], LOGREAD_ALL, "empty");
	check_info(e, id[5], BBM_LOG_MISSING, 0, 0, 0, "missing");
	check_log(e, id[5], &m[5], LOGREAD_ALL, "missing: empty");
	check_info(e, id[6], BBM_LOG_PRUNED, 0, 0, -1, "pruned");
	check_log(e, id[6], &m[5], LOGREAD_ALL, "pruned: empty");
	{
		struct logread_info	 info;

		ok(logread_info(e->q, id[6], &info, &cause) == 1 &&
		    info.pruned_at == 1700000500.25 && info.kind ==
		    BBM_LOG_TEXT && strcmp(info.name, "pruned") == 0 &&
		    strcmp(info.step_name, "compile") == 0 &&
		    strcmp(info.builder, "imp") == 0 &&
		    strcmp(info.master, MASTER) == 0 &&
		    info.build_number == 1 && info.step_number == 0 &&
		    info.number == 6 && info.build_complete,
		    "pruned: pruned_at, names and numbers");
		logread_info_free(&info);
		ok(logread_info(e->q, id[2], &info, &cause) == 1 &&
		    info.kind == BBM_LOG_HTML && isnan(info.pruned_at),
		    "html: kind html, no pruned_at");
		logread_info_free(&info);
		ok(logread_info(e->q, id[6] + 1000, &info, &cause) == 0,
		    "info: no such log");
	}
	/* A key whose file is gone, a packed key that is not a frame. */
	q_exec(e, "UPDATE logs SET store_key = 'ab/0000000000000000-1-0-9' "
	    "WHERE id = %" PRId64, id[4]);
	{
		struct logread_info	 info;
		struct logread		*r;

		ok(logread_open(e->q, e->ls, id[4], LOGREAD_TEXT, 0, 0, &info,
		    &r, &cause) == -1 && strstr(cause, "no such log") != NULL,
		    "a key without a file: error");
		free(cause);
		cause = NULL;
	}
	for (i = 0; i < NIMP; i++)
		model_free(&m[i]);
}

int
main(void)
{
	struct env		 e;
	enum test_engine	 en;

	test_db_init("test-logread");
	for (en = 0; en < TEST_ENGINES; en++) {
		if (!test_db_has(en))
			continue;
		test_db_use(en);
		env_open(&e);
		test_imported(&e);
		test_live(&e);
		env_close(&e);
	}
	test_db_done();
	return (tap_done());
}
