/*
 * live-log.c: the live logs of the live applier (live.c), and the step
 * records it caches and gives store_step (whose logs' content columns are
 * the live logs' state).
 *
 * A log being written keeps its row's counters, the master's open output
 * run and the chunks not yet in the log store; live_log_add and
 * live_log_merge are the master's LogFile.addEntry and merge(), so the log
 * store holds byte for byte the stream of the master's own file. A commit
 * keeps the chunks in the database (live_logs, in front of the run) while
 * they are short, appends them to the log's file of its own as one zstd
 * frame once they reach LIVE_KEEP, and writes a finished log without a
 * file to a pack, as the importer does: most logs never make a file (whose
 * creation costs more than everything else a log costs). A log not in
 * memory is loaded from its rows on first use.
 */
#include "config.h"
#include "live.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live-int.h"
#include "logfile.h"

/* --- step records: the cache's copies, what store_step is given ------- */

static char *
live_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* A copy of a step record for the cache, without log contents. */
struct bbm_step *
live_step_copy(const struct bbm_step *src)
{
	struct bbm_step	*st;
	struct bbm_log	*lg;
	size_t		 i;

	st = xcalloc(1, sizeof *st);
	st->number = src->number;
	st->name = live_strdup(src->name);
	st->started_at = src->started_at;
	st->finished_at = src->finished_at;
	st->results = src->results;
	st->text = live_strdup(src->text);
	st->text2 = live_strdup(src->text2);
	st->urls = live_strdup(src->urls);
	st->statistics = live_strdup(src->statistics);
	st->hidden = src->hidden;
	st->skipped = src->skipped;
	if (src->nlogs != 0)
		st->logs = xcalloc(src->nlogs, sizeof *st->logs);
	st->nlogs = src->nlogs;
	for (i = 0; i < src->nlogs; i++) {
		lg = &st->logs[i];
		lg->name = live_strdup(src->logs[i].name);
		lg->filename = live_strdup(src->logs[i].filename);
		lg->kind = src->logs[i].kind;
		lg->length = src->logs[i].length;
	}
	return (st);
}

void
live_shadow_free(struct bbm_step *dst)
{
	size_t	 i;

	for (i = 0; i < dst->nlogs; i++)
		free(dst->logs[i].store_key);
	free(dst->logs);
}

/*
 * dst: a shallow copy of step src to store, with logs of its own whose
 * content columns come from live_log_fill. Free with live_shadow_free.
 */
int
live_shadow(struct live *l, struct live_build *b, const struct bbm_step *src,
    struct bbm_step *dst, char **cause)
{
	size_t	 i;

	*dst = *src;
	dst->logs = NULL;
	if (src->nlogs != 0)
		dst->logs = xcalloc(src->nlogs, sizeof *dst->logs);
	for (i = 0; i < src->nlogs; i++) {
		dst->logs[i] = src->logs[i];
		if (live_log_fill(l, b, src->number, (int64_t)i, &dst->logs[i],
		    cause) != 0) {
			live_shadow_free(dst);
			dst->logs = NULL;
			dst->nlogs = 0;
			return (-1);
		}
	}
	return (0);
}

static int
live_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* 1 if store_step would write the same columns for a as for b. */
int
live_step_same(const struct bbm_step *a, const struct bbm_step *b)
{
	const struct bbm_log	*x, *y;
	size_t			 i;

	if (a->number != b->number || a->results != b->results ||
	    a->hidden != b->hidden || a->skipped != b->skipped ||
	    a->nlogs != b->nlogs ||
	    !live_same_time(a->started_at, b->started_at) ||
	    !live_same_time(a->finished_at, b->finished_at) ||
	    !live_same_str(a->name, b->name) ||
	    !live_same_str(a->text, b->text) ||
	    !live_same_str(a->text2, b->text2) ||
	    !live_same_str(a->urls, b->urls) ||
	    !live_same_str(a->statistics, b->statistics))
		return (0);
	for (i = 0; i < a->nlogs; i++) {
		x = &a->logs[i];
		y = &b->logs[i];
		if (x->kind != y->kind || x->length != y->length ||
		    !live_same_str(x->name, y->name) ||
		    !live_same_str(x->filename, y->filename))
			return (0);
	}
	return (1);
}

/*
 * What store_step refuses (store-build.c), refused when the record
 * arrives: its write comes later, and must not fail then because of it.
 */
int
live_step_check(const struct bbm_step *st, char **cause)
{
	size_t	 i;

	if (st->number < 0 || st->number > LIVE_MAX_INDEX) {
		xasprintf(cause, "step %" PRId64 " out of range", st->number);
		return (-1);
	}
	for (i = 0; i < st->nlogs; i++) {
		if (st->logs[i].kind != BBM_LOG_TEXT &&
		    st->logs[i].kind != BBM_LOG_HTML) {
			xasprintf(cause, "step %" PRId64 " log %zu: invalid "
			    "kind %d", st->number, i, (int)st->logs[i].kind);
			return (-1);
		}
	}
	return (0);
}

/* --- live logs ---------------------------------------------------------- */

void
live_log_free(struct live_log *lg)
{
	free(lg->key);
	buf_free(&lg->pending);
	buf_free(&lg->out);
	free(lg);
}

/* Restores a log's text state saved by live_log_touch. */
void
live_log_restore(struct live_log *lg, struct live_saved *sv)
{
	lg->t = sv->t;
	buf_reset(&lg->pending);
	if (buf_add(&lg->pending, sv->pending, sv->pending_len) != 0)
		fatalx("live: cannot restore a log's run");
	lg->out.len = sv->out_len;
	if (lg->out.data != NULL)
		lg->out.data[lg->out.len] = '\0';
}

struct live_log *
live_log_find(struct live *l, int64_t build_id, int64_t step, int64_t n)
{
	struct live_log	*lg = l->last;

	if (lg != NULL && lg->build_id == build_id && lg->step == step &&
	    lg->number == n)
		return (lg);
	TAILQ_FOREACH(lg, &l->logs, entry) {
		if (lg->build_id == build_id && lg->step == step &&
		    lg->number == n) {
			l->last = lg;
			return (lg);
		}
	}
	return (NULL);
}

/* A running log: text is being written to its file. */
int
live_log_open(const struct live_log *lg)
{
	return (lg->t.state == BBM_LOG_STORED && !lg->t.complete);
}

/* Takes the logs of build b that match out of the cache (rows deleted). */
void
live_log_gone(struct live *l, struct live_build *b, int64_t step,
    const struct bbm_step *steps, size_t nsteps)
{
	struct live_log	*lg, *next;
	int		 gone;

	for (lg = TAILQ_FIRST(&l->logs); lg != NULL; lg = next) {
		next = TAILQ_NEXT(lg, entry);
		if (lg->build_id != b->id || (step != -1 && lg->step != step))
			continue;
		if (step != -1)
			gone = (size_t)lg->number >= steps->nlogs;
		else
			gone = (size_t)lg->step >= nsteps ||
			    (size_t)lg->number >= steps[lg->step].nlogs;
		if (!gone)
			continue;
		TAILQ_REMOVE(&l->logs, lg, entry);
		if (l->last == lg)
			l->last = NULL;
		live_undo_push(l, LIVE_UNDO_GONE, lg, NULL, 0, 0);
	}
}

static struct live_log *
live_log_new(struct live *l, struct live_build *b, int64_t step, int64_t n,
    int64_t id, const char *name)
{
	struct live_log	*lg;

	lg = xcalloc(1, sizeof *lg);
	lg->build_id = b->id;
	lg->step = step;
	lg->number = n;
	lg->id = id;
	lg->key = logstore_key(b->master->name, b->builder, b->number,
	    b->started, step, (size_t)n, name != NULL ? name : "");
	lg->t.channel = -1;
	buf_init(&lg->pending, 0);
	buf_init(&lg->out, 0);
	return (lg);
}

/*
 * live_logs.pending holds the chunks not in the log store yet followed by
 * the unwritten bytes of the open run: run_bytes modulo LIVE_CHUNK of them
 * (live_log_add writes every whole chunk of a run at once), none without a
 * run. A row of a version that kept only the run reads the same way.
 */
static int
live_log_unblob(struct live_log *lg, const char *p, size_t len)
{
	size_t	 run = 0;

	if (lg->t.channel != -1)
		run = (size_t)(lg->t.run_bytes % LIVE_CHUNK);
	if (len < run)
		return (-1);
	if (buf_add(&lg->out, p, len - run) != 0 ||
	    buf_add(&lg->pending, p + len - run, run) != 0)
		return (-1);
	return (0);
}

static void
live_log_add_cache(struct live *l, struct live_log *lg)
{
	TAILQ_INSERT_TAIL(&l->logs, lg, entry);
	live_undo_push(l, LIVE_UNDO_LOG, lg, NULL, 0, 0);
	l->last = lg;
}

/*
 * The live log n of step of b: cached, else loaded from its row and its
 * live_logs state. *lgp is NULL when there is no row (*exists 0) or when
 * the row holds content this process is not writing (an import's, or a
 * live log finished before).
 *
 * A step whose record waits to be written (live_step_put) is what its
 * rows will be: a log beyond its record has no row, and a log of it the
 * database does not have yet is new (its id is looked up once its step is
 * written). When the database has the row, the step is written first, so
 * the row is current.
 */
int
live_log_get(struct live *l, struct live_build *b, int64_t step, int64_t n,
    struct live_log **lgp, int *exists, char **cause)
{
	struct store_live_log	 st;
	struct bbm_log		 row;
	struct live_log		*lg;
	struct live_step	*ls = NULL;
	int64_t			 id;
	int			 live, error = -1;

	*exists = 1;
	if ((*lgp = live_log_find(l, b->id, step, n)) != NULL)
		return (0);
	if ((size_t)step < b->nsteps && b->steps[step].dirty)
		ls = &b->steps[step];
	if (ls != NULL && (size_t)n >= ls->rec->nlogs) {
		*exists = 0;
		return (0);
	}
	if (store_log_find(l->store, b->id, step, n, &id, exists,
	    cause) != 0)
		return (-1);
	if (ls != NULL && !*exists) {
		*exists = 1;
		*lgp = lg = live_log_new(l, b, step, n, 0,
		    ls->rec->logs[n].name);
		live_log_add_cache(l, lg);
		return (0);
	}
	if (!*exists)
		return (0);
	if (ls != NULL && live_step_write(l, b, (size_t)step, cause) != 0)
		return (-1);
	memset(&row, 0, sizeof row);
	memset(&st, 0, sizeof st);
	if (store_log_by_id(l->store, id, &row, exists, cause) != 0 ||
	    store_live_log_get(l->store, id, &st, &live, cause) != 0)
		goto out;
	error = 0;
	if (!*exists || (!live && row.state != BBM_LOG_NONE))
		goto out;

	lg = live_log_new(l, b, step, n, id, row.name);
	if (row.store_key != NULL) {
		free(lg->key);
		lg->key = row.store_key;
		row.store_key = NULL;
	}
	/* A running log is stored, whether its file exists yet or not. */
	lg->live_row = live;
	lg->t.state = live ? BBM_LOG_STORED : row.state;
	lg->file = live && row.state == BBM_LOG_STORED;
	lg->t.stored_bytes = row.stored_bytes;
	lg->t.text_bytes = row.text_bytes;
	lg->t.lines = row.lines;
	lg->t.complete = row.complete;
	lg->t.channel = live ? st.channel : -1;
	lg->t.run_bytes = live ? st.run_bytes : 0;
	lg->store_size = lg->file_size = live ? st.store_size : 0;
	if (live_log_unblob(lg, st.pending, st.pending_len) != 0) {
		xasprintf(cause, "log %" PRId64 ": live_logs.pending holds "
		    "%zu bytes, shorter than its run", id, st.pending_len);
		live_log_free(lg);
		error = -1;
		goto out;
	}
	live_log_add_cache(l, lg);
	*lgp = lg;
out:
	free(st.pending);
	record_log_free(&row);
	return (error);
}

/*
 * The state and key a log's row says: a stored log whose text is all in
 * its live_logs row (no file, not packed yet) has none yet.
 */
static enum bbm_log_state
live_log_state(const struct live_log *lg, const char **key)
{
	*key = NULL;
	if (lg->t.state == BBM_LOG_NONE || (lg->t.state == BBM_LOG_STORED &&
	    !lg->file && !lg->packed))
		return (BBM_LOG_NONE);
	*key = lg->key;
	return (lg->t.state);
}

/*
 * Sets the content columns of dst (log n of step of build b, which may be
 * NULL when not stored yet) to the live state, else to its row's.
 * dst->store_key is then malloc'd or NULL: the caller frees it.
 */
int
live_log_fill(struct live *l, struct live_build *b, int64_t step, int64_t n,
    struct bbm_log *dst, char **cause)
{
	struct live_log	*lg;
	const char	*key;
	int		 found;

	dst->store_key = NULL;
	if (b == NULL)
		return (0);
	if ((lg = live_log_find(l, b->id, step, n)) == NULL)
		return (store_log_get(l->store, b->id, step, n, dst, &found,
		    cause));
	dst->state = live_log_state(lg, &key);
	if (key != NULL)
		dst->store_key = xstrdup(key);
	dst->stored_bytes = lg->t.stored_bytes;
	dst->text_bytes = lg->t.text_bytes;
	dst->lines = lg->t.lines;
	dst->complete = lg->t.complete;
	return (0);
}

/*
 * Writes the row of log n of step of b, through its step as store_step
 * does: rec is the log's record, or NULL for a log known only by its
 * index. The step is the last record seen of it, else rebuilt from its
 * log rows; its own columns are then unknown until the next step event.
 */
static int
live_log_row(struct live *l, struct live_build *b, int64_t step, int64_t n,
    const struct bbm_log *rec, char **cause)
{
	struct bbm_step	*st;
	struct bbm_log	*lg, row;
	int64_t		 id;
	int		 found;

	if ((size_t)step < b->nsteps && b->steps[step].rec != NULL)
		st = live_step_copy(b->steps[step].rec);
	else {
		st = xcalloc(1, sizeof *st);
		st->number = step;
		st->started_at = st->finished_at = BBM_NO_TIME;
		st->results = BBM_NO_RESULT;
		for (;;) {
			if (store_log_find(l->store, b->id, step,
			    (int64_t)st->nlogs, &id, &found, cause) != 0)
				goto fail;
			if (!found || st->nlogs > LIVE_MAX_INDEX)
				break;
			memset(&row, 0, sizeof row);
			if (store_log_by_id(l->store, id, &row, &found,
			    cause) != 0) {
				record_log_free(&row);
				goto fail;
			}
			free(row.store_key);
			row.store_key = NULL;
			row.state = BBM_LOG_NONE;
			st->logs = xreallocarray(st->logs, st->nlogs + 1,
			    sizeof *st->logs);
			st->logs[st->nlogs++] = row;
		}
	}
	if ((size_t)n >= st->nlogs) {
		st->logs = xreallocarray(st->logs, (size_t)n + 1,
		    sizeof *st->logs);
		memset(st->logs + st->nlogs, 0,
		    ((size_t)n + 1 - st->nlogs) * sizeof *st->logs);
		for (; st->nlogs <= (size_t)n; st->nlogs++)
			st->logs[st->nlogs].length = -1;
	}
	if (rec != NULL) {
		lg = &st->logs[n];
		record_log_free(lg);
		lg->name = rec->name != NULL ? xstrdup(rec->name) : NULL;
		lg->filename = rec->filename != NULL ?
		    xstrdup(rec->filename) : NULL;
		lg->kind = rec->kind;
		lg->length = rec->length;
	}
	return (live_step_put(l, b, st, cause));

fail:
	live_step_free(st);
	return (-1);
}

/* Appends a log's unwritten chunks to its file as one frame. */
static int
live_log_write(struct live *l, struct live_log *lg, char **cause)
{
	int64_t	 size;

	if (logstore_append_at(l->ls, lg->key, lg->file_size,
	    lg->out.data != NULL ? lg->out.data : "", lg->out.len, &size,
	    cause) != 0)
		return (-1);
	lg->file = 1;
	lg->file_size = size;
	buf_free(&lg->out);
	return (0);
}

/*
 * Writes a finished log that has no file as one frame in the log store's
 * pack, as the importer stores logs: its key becomes the packed key.
 */
static int
live_log_pack(struct live *l, struct live_log *lg, char **cause)
{
	struct logstore_writer	*w;
	char			*key;

	if ((w = logstore_create_packed(l->ls, cause)) == NULL)
		return (-1);
	if (lg->out.len != 0 && logstore_write(w, lg->out.data, lg->out.len,
	    cause) != 0) {
		logstore_abort(w);
		return (-1);
	}
	if (logstore_commit_packed(w, &key, cause) != 0)
		return (-1);
	free(lg->key);
	lg->key = key;
	lg->packed = 1;
	buf_free(&lg->out);
	return (0);
}

/*
 * Saves a log's text state in the journal before an event first changes
 * it. Chunks beyond LIVE_FLUSH are appended to its file first: that
 * changes nothing the database knows (it keeps the committed size).
 */
static int
live_log_touch(struct live *l, struct live_log *lg, char **cause)
{
	struct live_saved	*sv;
	size_t			 i;

	for (i = 0; i < l->nundo; i++) {
		if (l->undo[i].type == LIVE_UNDO_TEXT && l->undo[i].ptr == lg)
			return (0);
	}
	if (lg->out.len >= LIVE_FLUSH && live_log_write(l, lg, cause) != 0)
		return (-1);
	sv = xcalloc(1, sizeof *sv);
	sv->t = lg->t;
	if (lg->pending.len != 0) {
		sv->pending = xmalloc(lg->pending.len);
		memcpy(sv->pending, lg->pending.data, lg->pending.len);
	}
	sv->pending_len = lg->pending.len;
	sv->out_len = lg->out.len;
	live_undo_push(l, LIVE_UNDO_TEXT, lg, sv, 0, 0);
	return (0);
}

/* Adds one chunk "<len>:<channel><text>," to the log's output. */
static int
live_log_emit(struct live_log *lg, int channel, const char *text, size_t len)
{
	const char	*p = text, *end = text + len;
	char		 hdr[32];
	int		 n;

	n = snprintf(hdr, sizeof hdr, "%zu:%d", len + 1, channel);
	if (buf_add(&lg->out, hdr, (size_t)n) != 0 ||
	    buf_add(&lg->out, text, len) != 0 ||
	    buf_add(&lg->out, ",", 1) != 0)
		return (-1);
	lg->t.stored_bytes += n + (int64_t)len + 1;
	lg->t.text_bytes += (int64_t)len;
	if (channel == LOGFILE_STDOUT || channel == LOGFILE_STDERR) {
		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lg->t.lines++;
			p++;
		}
	}
	return (0);
}

/* The master's merge(): writes the run as chunks and closes it. */
static int
live_log_merge(struct live_log *lg)
{
	size_t	 off, n;

	for (off = 0; off < lg->pending.len; off += n) {
		n = lg->pending.len - off;
		if (n > LIVE_CHUNK)
			n = LIVE_CHUNK;
		if (live_log_emit(lg, lg->t.channel, lg->pending.data + off,
		    n) != 0)
			return (-1);
	}
	buf_reset(&lg->pending);
	lg->t.channel = -1;
	lg->t.run_bytes = 0;
	return (0);
}

/*
 * One piece of the master's addEntry(channel, text); more: the entry
 * continues in the next piece. Whole chunks at the start of the run are
 * written at once (merge() would cut the same ones), so at most
 * LIVE_CHUNK - 1 bytes wait in pending.
 */
static int
live_log_add(struct live_log *lg, int channel, const char *text, size_t len,
    int more)
{
	struct buf	*p = &lg->pending;
	size_t		 n;

	if (lg->t.channel != -1 && lg->t.channel != channel &&
	    live_log_merge(lg) != 0)
		return (-1);
	if (lg->t.channel == -1) {
		lg->t.channel = channel;
		lg->t.run_bytes = 0;
	}
	lg->t.run_bytes += (int64_t)len;
	while (len > 0 || p->len >= LIVE_CHUNK) {
		if (p->len >= LIVE_CHUNK) {
			if (live_log_emit(lg, channel, p->data,
			    LIVE_CHUNK) != 0)
				return (-1);
			memmove(p->data, p->data + LIVE_CHUNK,
			    p->len - LIVE_CHUNK);
			p->len -= LIVE_CHUNK;
		} else if (p->len == 0 && len >= LIVE_CHUNK) {
			if (live_log_emit(lg, channel, text, LIVE_CHUNK) != 0)
				return (-1);
			text += LIVE_CHUNK;
			len -= LIVE_CHUNK;
		} else {
			n = LIVE_CHUNK - p->len;
			if (n > len)
				n = len;
			if (buf_add(p, text, n) != 0)
				return (-1);
			text += n;
			len -= n;
		}
	}
	if (!more && lg->t.run_bytes >= LIVE_CHUNK)
		return (live_log_merge(lg));
	return (0);
}

/*
 * logFinished (and buildFinished for a log left open): the run is written
 * and the log complete; an HTML log with inline content (rec) stores it
 * whole. An HTML log without is left as it is: its content is only in the
 * master's file.
 */
int
live_log_finish(struct live *l, struct live_log *lg, const struct bbm_log *rec,
    char **cause)
{
	struct logfile_parser	 p;

	if (rec != NULL && rec->kind == BBM_LOG_HTML) {
		if (rec->inline_chunks == NULL)
			return (0);
		logfile_parser_init(&p);
		if (logfile_parser_feed(&p, rec->inline_chunks,
		    rec->inline_len, NULL, NULL, cause) != 0)
			return (-1);
		if (logfile_parser_tail(&p) != 0) {
			xasprintf(cause, "HTML log ends inside a chunk");
			return (-1);
		}
		if (live_log_touch(l, lg, cause) != 0)
			return (-1);
		if (buf_add(&lg->out, rec->inline_chunks,
		    rec->inline_len) != 0)
			goto toobig;
		lg->t.stored_bytes += (int64_t)p.offset;
		lg->t.text_bytes += (int64_t)p.text_bytes;
		lg->t.lines += (int64_t)p.lines;
	} else {
		if (live_log_touch(l, lg, cause) != 0)
			return (-1);
		if (live_log_merge(lg) != 0)
			goto toobig;
	}
	lg->t.state = BBM_LOG_STORED;
	lg->t.complete = 1;
	lg->t.dirty = 1;
	return (0);

toobig:
	xasprintf(cause, "log %s: too much text buffered", lg->key);
	return (-1);
}

/*
 * At commit, first: a dirty log's chunks go to the log store once there
 * are LIVE_KEEP of them or the log is finished (to its file if it has one,
 * else to a pack); until then they stay in memory and in live_logs.
 */
int
live_log_store(struct live *l, struct live_log *lg, char **cause)
{
	if (lg->t.complete && lg->t.state == BBM_LOG_STORED && !lg->file &&
	    !lg->packed)
		return (live_log_pack(l, lg, cause));
	if ((lg->t.complete || lg->out.len >= LIVE_KEEP) && !lg->packed)
		return (live_log_write(l, lg, cause));
	return (0);
}

/*
 * At commit: the write of step of b wrote the rows of its cached logs as
 * they are (their text is stored already): live_log_save skips them.
 */
void
live_log_synced(struct live *l, struct live_build *b, int64_t step)
{
	struct live_log	*lg;

	TAILQ_FOREACH(lg, &l->logs, entry) {
		if (lg->build_id == b->id && lg->step == step)
			lg->synced = 1;
	}
}

/*
 * At commit, once the waiting steps are written: a dirty log's row (unless
 * its step's write just wrote it as it is) and its live_logs row.
 */
int
live_log_save(struct live *l, struct live_log *lg, char **cause)
{
	struct store_live_log	 st;
	struct bbm_log		 row;
	const char		*key;
	int			 found;

	if (lg->id == 0 && (!lg->synced || !lg->t.complete)) {
		if (store_log_find(l->store, lg->build_id, lg->step,
		    lg->number, &lg->id, &found, cause) != 0)
			return (-1);
		if (!found) {
			xasprintf(cause, "log %s: no row", lg->key);
			return (-1);
		}
	}
	if (!lg->synced) {
		memset(&row, 0, sizeof row);
		row.state = live_log_state(lg, &key);
		row.store_key = (char *)key;
		row.stored_bytes = lg->t.stored_bytes;
		row.text_bytes = lg->t.text_bytes;
		row.lines = lg->t.lines;
		row.complete = lg->t.complete;
		if (store_log_update(l->store, lg->id, &row, cause) != 0)
			return (-1);
	}
	if (lg->t.complete) {
		if (!lg->live_row)
			return (0);
		return (store_live_log_delete(l->store, lg->id, cause));
	}
	st.store_size = lg->file_size;
	st.channel = lg->t.channel;
	st.run_bytes = lg->t.run_bytes;
	st.pending = lg->pending.data;
	st.pending_len = lg->pending.len;
	if (lg->out.len != 0) {
		buf_reset(&l->blob);
		if (buf_add(&l->blob, lg->out.data, lg->out.len) != 0 ||
		    buf_add(&l->blob, lg->pending.data, lg->pending.len) != 0) {
			xasprintf(cause, "log %s: too much text buffered",
			    lg->key);
			return (-1);
		}
		st.pending = l->blob.data;
		st.pending_len = l->blob.len;
	}
	if (store_live_log_put(l->store, lg->id, &st, cause) != 0)
		return (-1);
	lg->live_row = 1;
	return (0);
}

/*
 * logStarted, logChunk, logFinished: 1 when there is nothing to write
 * (the log's content is not this process's to write, or it is complete).
 */
int
live_log_event(struct live *l, struct live_master *m,
    const struct bbm_event *ev, char **cause)
{
	struct live_build	*b;
	struct live_log		*lg;
	int			 exists;

	if (ev->step < 0 || ev->step > LIVE_MAX_INDEX || ev->log < 0 ||
	    ev->log > LIVE_MAX_INDEX) {
		xasprintf(cause, "step %" PRId64 " log %" PRId64 " out of "
		    "range", ev->step, ev->log);
		return (-1);
	}
	if (live_build_get(l, m, ev->builder, ev->number, ev->started, 1, &b,
	    cause) != 0)
		return (-1);
	if (ev->type == EVENT_LOG_STARTED) {
		if (ev->log_rec == NULL) {
			xasprintf(cause, "no log status");
			return (-1);
		}
		if (live_log_row(l, b, ev->step, ev->log, ev->log_rec,
		    cause) != 0 || live_log_get(l, b, ev->step, ev->log, &lg,
		    &exists, cause) != 0)
			return (-1);
		if (lg == NULL || lg->t.state != BBM_LOG_NONE ||
		    ev->log_rec->kind != BBM_LOG_TEXT)
			return (0);
		/* Its live_logs row appears at the commit. */
		if (live_log_touch(l, lg, cause) != 0)
			return (-1);
		lg->t.state = BBM_LOG_STORED;
		lg->t.dirty = 1;
		return (0);
	}

	if (live_log_get(l, b, ev->step, ev->log, &lg, &exists, cause) != 0)
		return (-1);
	/*
	 * A log not started here gets its row first (the logFinished of an
	 * HTML log carries its record).
	 */
	if (!exists && (live_log_row(l, b, ev->step, ev->log, ev->log_rec,
	    cause) != 0 || live_log_get(l, b, ev->step, ev->log, &lg, &exists,
	    cause) != 0))
		return (-1);
	if (lg == NULL || lg->t.complete)
		return (1);
	if (ev->type == EVENT_LOG_FINISHED)
		return (live_log_finish(l, lg, ev->log_rec, cause));
	if (ev->channel < 0 || ev->channel >= LOGFILE_CHANNELS ||
	    (ev->chunk_text == NULL && ev->chunk_len != 0)) {
		xasprintf(cause, "channel %d out of range or no text",
		    ev->channel);
		return (-1);
	}
	if (live_log_touch(l, lg, cause) != 0)
		return (-1);
	lg->t.state = BBM_LOG_STORED;
	lg->t.dirty = 1;
	if (live_log_add(lg, ev->channel, ev->chunk_text, ev->chunk_len,
	    ev->chunk_more) != 0) {
		xasprintf(cause, "log %s: too much text buffered", lg->key);
		return (-1);
	}
	return (0);
}
