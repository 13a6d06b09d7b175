/*
 * live-log.c: the live logs of the live applier (live.c). A log being
 * written keeps its row's counters, the master's open output run and the
 * chunks written since the last commit; live_log_add and live_log_merge
 * are the master's LogFile.addEntry and merge(), so the log's file in the
 * log store holds byte for byte the stream of the master's own file. A
 * commit appends the chunks to the file as one zstd frame and writes the
 * row and the run to the database (live_logs), from which a log not in
 * memory is loaded on first use.
 */
#include "config.h"
#include "live.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live-int.h"
#include "logfile.h"

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
		live_undo_push(l, LIVE_UNDO_GONE, lg, NULL, 0);
	}
}

/*
 * The live log n of step of b: cached, else loaded from its row and its
 * live_logs state. *lgp is NULL when there is no row (*exists 0) or when
 * the row holds content this process is not writing (an import's, or a
 * live log finished before).
 */
int
live_log_get(struct live *l, struct live_build *b, int64_t step, int64_t n,
    struct live_log **lgp, int *exists, char **cause)
{
	struct store_live_log	 st;
	struct bbm_log		 row;
	struct live_log		*lg;
	int64_t			 id;
	int			 live, error = -1;

	*exists = 1;
	if ((*lgp = live_log_find(l, b->id, step, n)) != NULL)
		return (0);
	if (store_log_find(l->store, b->id, step, n, &id, exists,
	    cause) != 0)
		return (-1);
	if (!*exists)
		return (0);
	memset(&row, 0, sizeof row);
	memset(&st, 0, sizeof st);
	if (store_log_by_id(l->store, id, &row, exists, cause) != 0 ||
	    store_live_log_get(l->store, id, &st, &live, cause) != 0)
		goto out;
	error = 0;
	if (!*exists || (!live && row.state != BBM_LOG_NONE))
		goto out;

	lg = xcalloc(1, sizeof *lg);
	lg->build_id = b->id;
	lg->step = step;
	lg->number = n;
	lg->id = id;
	if (row.store_key != NULL) {
		lg->key = row.store_key;
		row.store_key = NULL;
	} else
		lg->key = logstore_key(b->master->name, b->builder, b->number,
		    b->started, step, (size_t)n,
		    row.name != NULL ? row.name : "");
	lg->t.state = row.state;
	lg->t.stored_bytes = row.stored_bytes;
	lg->t.text_bytes = row.text_bytes;
	lg->t.lines = row.lines;
	lg->t.complete = row.complete;
	lg->t.channel = live ? st.channel : -1;
	lg->t.run_bytes = live ? st.run_bytes : 0;
	lg->store_size = lg->file_size = live ? st.store_size : 0;
	buf_init(&lg->pending, 0);
	buf_init(&lg->out, 0);
	if (buf_add(&lg->pending, st.pending, st.pending_len) != 0) {
		xasprintf(cause, "log %" PRId64 ": run too long", id);
		live_log_free(lg);
		error = -1;
		goto out;
	}
	TAILQ_INSERT_TAIL(&l->logs, lg, entry);
	live_undo_push(l, LIVE_UNDO_LOG, lg, NULL, 0);
	l->last = *lgp = lg;
out:
	free(st.pending);
	record_log_free(&row);
	return (error);
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
	int		 found;

	dst->store_key = NULL;
	if (b == NULL)
		return (0);
	if ((lg = live_log_find(l, b->id, step, n)) == NULL)
		return (store_log_get(l->store, b->id, step, n, dst, &found,
		    cause));
	dst->state = lg->t.state;
	if (lg->t.state != BBM_LOG_NONE)
		dst->store_key = xstrdup(lg->key);
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

	if ((size_t)step < b->nsteps && b->steps[step] != NULL)
		st = live_step_copy(b->steps[step]);
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
	return (live_step_store(l, b, st, cause));

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
	lg->file_size = size;
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
	live_undo_push(l, LIVE_UNDO_TEXT, lg, sv, 0);
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

/* At commit: a dirty log's chunks, row and live state. */
int
live_log_save(struct live *l, struct live_log *lg, char **cause)
{
	struct store_live_log	 st;
	struct bbm_log		 row;

	if (live_log_write(l, lg, cause) != 0)
		return (-1);
	memset(&row, 0, sizeof row);
	row.state = lg->t.state;
	row.store_key = lg->key;
	row.stored_bytes = lg->t.stored_bytes;
	row.text_bytes = lg->t.text_bytes;
	row.lines = lg->t.lines;
	row.complete = lg->t.complete;
	if (store_log_update(l->store, lg->id, &row, cause) != 0)
		return (-1);
	if (lg->t.complete)
		return (store_live_log_delete(l->store, lg->id, cause));
	st.store_size = lg->file_size;
	st.channel = lg->t.channel;
	st.run_bytes = lg->t.run_bytes;
	st.pending = lg->pending.data;
	st.pending_len = lg->pending.len;
	return (store_live_log_put(l->store, lg->id, &st, cause));
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
		/* Its file appears at the commit, empty or not. */
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
