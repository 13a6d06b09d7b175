/*
 * logread.c: reading a log as its readers see it (logread.h): the row and
 * its live state from the database, the stream from the log store, the
 * running log's tail from live_logs, through the one chunk parser
 * (logfile.h).
 *
 * A reader pulls stream bytes from its sources in order (the log store,
 * then the tail built from live_logs) and feeds them to the parser a block
 * at a time; the parser's callback keeps the text of the selected
 * channels, past the start offset, as records (one per chunk, or per
 * piece of a long chunk) in one output block. logread_read drains the
 * block as plain text, logread_chunk record by record. A feed never holds
 * more stream bytes than the block has room for (text is never longer than
 * the stream it comes from), so memory stays at a few blocks.
 */
#include "config.h"
#include "logread.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "logfile.h"

#define LOGREAD_IN	65536	/* stream bytes read from the store at once */
#define LOGREAD_FEED	16384	/* stream bytes fed to the parser at once */
#define LOGREAD_OUT	(2 * LOGREAD_PIECE_MAX + LOGREAD_FEED)

/* The text of one chunk (or of a piece of it) in the output block. */
struct logread_rec {
	int		 channel;
	size_t		 off;		/* in out */
	size_t		 len;
	uint64_t	 offset;	/* in the selected text */
	int		 first;
	int		 last;
	int		 closed;	/* no more text joins it */
};

struct logread {
	int64_t			 id;
	char			*key;		/* for messages; may be NULL */
	int			 raw;
	unsigned int		 mask;
	uint64_t		 start;		/* the offset asked for */
	uint64_t		 seen;		/* selected bytes gone past */

	/* Sources: the log store, then the tail. */
	struct logstore_reader	*lr;
	/*
	 * A running log's store part: its committed stream bytes, those
	 * still to read, the selected text bytes among them, and whether
	 * it was all read (or skipped: logread_reopen).
	 */
	int			 limited;	/* store_left applies */
	uint64_t		 store_left;
	uint64_t		 store_stream;
	uint64_t		 store_seen;
	int64_t			 store_size;	/* compressed */
	int			 store_done;
	char			*tail;		/* pending chunks, the open run */
	size_t			 tail_len;
	int			 tail_used;
	unsigned char		*in;
	const unsigned char	*src;		/* the current source block */
	size_t			 src_off;
	size_t			 src_len;
	int			 eof;		/* every source read */
	char			*error;		/* reported once out drains */

	/* The parser and its output. */
	struct logfile_parser	 parser;
	int			 in_chunk;	/* the chunk began earlier */
	char			*out;
	size_t			 out_off;	/* out[out_off, out_len) is */
	size_t			 out_len;	/* text not returned yet */
	struct logread_rec	*recs;
	size_t			 rec_off;	/* recs[rec_off, nrecs) */
	size_t			 nrecs;
	size_t			 rec_size;
};

/* The SQL: with or without logs.pruned_at (v3), with or without pending. */
#define LOGREAD_SQL_HEAD						\
	"SELECT l.id, l.step_id, s.build_id, b.builder_id, bl.master_id, " \
	"l.number, s.number, b.number, l.name, s.name, bl.name, m.name, " \
	"l.kind, l.state, l.store_key, l.stored_bytes, l.text_bytes, "	\
	"l.lines, l.complete, b.complete, "
#define LOGREAD_SQL_LIVE						\
	", ll.log_id, ll.channel, ll.run_bytes, ll.store_size, "	\
	"length(ll.pending)"
#define LOGREAD_SQL_TAIL						\
	" FROM logs l JOIN steps s ON s.id = l.step_id "		\
	"JOIN builds b ON b.id = s.build_id "				\
	"JOIN builders bl ON bl.id = b.builder_id "			\
	"JOIN masters m ON m.id = bl.master_id "			\
	"LEFT JOIN live_logs ll ON ll.log_id = l.id WHERE l.id = $1"
static const char *const logread_sql[2][2] = {
	{
		LOGREAD_SQL_HEAD "NULL" LOGREAD_SQL_LIVE LOGREAD_SQL_TAIL,
		LOGREAD_SQL_HEAD "NULL" LOGREAD_SQL_LIVE ", ll.pending"
		    LOGREAD_SQL_TAIL,
	},
	{
		LOGREAD_SQL_HEAD "l.pruned_at" LOGREAD_SQL_LIVE
		    LOGREAD_SQL_TAIL,
		LOGREAD_SQL_HEAD "l.pruned_at" LOGREAD_SQL_LIVE ", ll.pending"
		    LOGREAD_SQL_TAIL,
	},
};
enum {
	COL_ID, COL_STEP_ID, COL_BUILD_ID, COL_BUILDER_ID, COL_MASTER_ID,
	COL_NUMBER, COL_STEP_NUMBER, COL_BUILD_NUMBER, COL_NAME, COL_STEP_NAME,
	COL_BUILDER, COL_MASTER, COL_KIND, COL_STATE, COL_KEY, COL_STORED,
	COL_TEXT, COL_LINES, COL_COMPLETE, COL_BUILD_COMPLETE, COL_PRUNED_AT,
	COL_LIVE, COL_CHANNEL, COL_RUN_BYTES, COL_STORE_SIZE, COL_PENDING_LEN,
	COL_PENDING
};

/* What live_logs says of a running log. */
struct logread_live {
	int		 channel;	/* -1: no open run */
	int64_t		 run_bytes;
	int64_t		 store_size;	/* the file's committed size */
	size_t		 pending_len;
	char		*pending;	/* malloc'd when fetched */
};

int
logread_growing(const struct logread_info *info)
{
	return (!info->complete && !info->build_complete &&
	    (info->state == BBM_LOG_NONE || info->state == BBM_LOG_STORED));
}

void
logread_info_free(struct logread_info *info)
{
	free(info->name);
	free(info->step_name);
	free(info->builder);
	free(info->master);
	free(info->store_key);
	memset(info, 0, sizeof *info);
}

const char *
logread_state_name(enum bbm_log_state state)
{
	switch (state) {
	case BBM_LOG_NONE:
		return ("none");
	case BBM_LOG_STORED:
		return ("stored");
	case BBM_LOG_MISSING:
		return ("missing");
	case BBM_LOG_PRUNED:
		return ("pruned");
	}
	return ("unknown");
}

static char *
logread_column_str(struct query_stmt *st, int col)
{
	const char	*s;

	if ((s = query_column_text(st, col)) == NULL)
		return (NULL);
	return (xstrdup(s));
}

/*
 * The bytes of a BLOB column whose length (length() in the SQL) is len,
 * malloc'd into *out. query.h has no accessor for BLOBs: SQLite gives a
 * BLOB's bytes unchanged through its text accessor, PostgreSQL gives a
 * bytea as text in its hex output format ("\x4142").
 */
static int
logread_blob(struct query_db *db, struct query_stmt *st, int col, size_t len,
    char **out, char **cause)
{
	const char	*s;
	size_t		 i;
	int		 hi, lo;

	*out = NULL;
	if (len == 0)
		return (0);
	if ((s = query_column_text(st, col)) == NULL) {
		xasprintf(cause, "live_logs.pending: NULL with %zu bytes", len);
		return (-1);
	}
	if (strcmp(query_engine(db), "postgresql") != 0) {
		*out = xmalloc(len);
		memcpy(*out, s, len);
		return (0);
	}
	if (s[0] != '\\' || s[1] != 'x' || strlen(s) != 2 + 2 * len) {
		xasprintf(cause, "live_logs.pending: not a bytea of %zu bytes",
		    len);
		return (-1);
	}
	*out = xmalloc(len);
	for (i = 0; i < len; i++) {
		hi = hex_value((unsigned char)s[2 + 2 * i]);
		lo = hex_value((unsigned char)s[3 + 2 * i]);
		if (hi == -1 || lo == -1) {
			free(*out);
			*out = NULL;
			xasprintf(cause, "live_logs.pending: bad hex at byte "
			    "%zu", i);
			return (-1);
		}
		(*out)[i] = (char)(hi << 4 | lo);
	}
	return (0);
}

/*
 * The lookup of logread_info and logread_open: the row into *info and,
 * for a running log, its live_logs state into *live (pending fetched only
 * when want_pending). Returns 1, 0 (no such log) or -1.
 */
static int
logread_fetch(struct query_db *db, int64_t id, struct logread_info *info,
    struct logread_live *live, int want_pending, char **cause)
{
	struct query_stmt	*st;
	const char		*s;
	int64_t			 n;
	char			*error = NULL;

	memset(info, 0, sizeof *info);
	memset(live, 0, sizeof *live);
	live->channel = -1;
	info->pruned_at = NAN;
	if ((st = query_prepare(db, logread_sql[query_schema_version(db) >= 3]
	    [want_pending != 0], cause)) == NULL)
		return (-1);
	query_bind_int64(st, 1, id);
	switch (query_step(st)) {
	case QUERY_DONE:
		query_reset(st);
		return (0);
	case QUERY_ERR:
		xasprintf(cause, "log %" PRId64 ": %s", id, query_errmsg(st));
		query_reset(st);
		return (-1);
	case QUERY_ROW:
		break;
	}
	info->id = query_column_int64(st, COL_ID);
	info->step_id = query_column_int64(st, COL_STEP_ID);
	info->build_id = query_column_int64(st, COL_BUILD_ID);
	info->builder_id = query_column_int64(st, COL_BUILDER_ID);
	info->master_id = query_column_int64(st, COL_MASTER_ID);
	info->number = query_column_int64(st, COL_NUMBER);
	info->step_number = query_column_int64(st, COL_STEP_NUMBER);
	info->build_number = query_column_int64(st, COL_BUILD_NUMBER);
	info->name = logread_column_str(st, COL_NAME);
	info->step_name = logread_column_str(st, COL_STEP_NAME);
	info->builder = logread_column_str(st, COL_BUILDER);
	info->master = logread_column_str(st, COL_MASTER);
	s = query_column_text(st, COL_KIND);
	info->kind = (s != NULL && strcmp(s, "html") == 0) ? BBM_LOG_HTML :
	    BBM_LOG_TEXT;
	s = query_column_text(st, COL_STATE);
	if (s == NULL)
		s = "";
	if (strcmp(s, "stored") == 0)
		info->state = BBM_LOG_STORED;
	else if (strcmp(s, "missing") == 0)
		info->state = BBM_LOG_MISSING;
	else if (strcmp(s, "pruned") == 0)
		info->state = BBM_LOG_PRUNED;
	else if (strcmp(s, "none") == 0)
		info->state = BBM_LOG_NONE;
	else
		xasprintf(&error, "unknown state \"%s\"", s);
	info->store_key = logread_column_str(st, COL_KEY);
	info->stored_bytes = query_column_int64(st, COL_STORED);
	info->text_bytes = query_column_int64(st, COL_TEXT);
	info->lines = query_column_int64(st, COL_LINES);
	info->complete = query_column_int64(st, COL_COMPLETE) != 0;
	info->build_complete = query_column_int64(st, COL_BUILD_COMPLETE) != 0;
	if (!query_column_is_null(st, COL_PRUNED_AT))
		info->pruned_at = query_column_double(st, COL_PRUNED_AT);
	info->running = !query_column_is_null(st, COL_LIVE);
	if (info->running && error == NULL) {
		if (!query_column_is_null(st, COL_CHANNEL))
			live->channel = (int)query_column_int64(st,
			    COL_CHANNEL);
		live->run_bytes = query_column_int64(st, COL_RUN_BYTES);
		live->store_size = query_column_int64(st, COL_STORE_SIZE);
		n = query_column_is_null(st, COL_PENDING_LEN) ? 0 :
		    query_column_int64(st, COL_PENDING_LEN);
		if (live->channel < -1 || live->channel >= LOGFILE_CHANNELS ||
		    live->run_bytes < 0 || n < 0)
			xasprintf(&error, "live_logs: channel %d, run_bytes %"
			    PRId64 ", pending %" PRId64 " bytes: out of range",
			    live->channel, live->run_bytes, n);
		else {
			live->pending_len = (size_t)n;
			if (want_pending)
				(void)logread_blob(db, st, COL_PENDING,
				    live->pending_len, &live->pending, &error);
		}
		/* The open run is text the row does not count yet. */
		if (live->channel != -1 && error == NULL)
			info->text_bytes += live->run_bytes % LEGACY_CHUNK_MAX;
	}
	query_reset(st);
	if (error != NULL) {
		xasprintf(cause, "log %" PRId64 ": %s", id, error);
		free(error);
		free(live->pending);
		live->pending = NULL;
		logread_info_free(info);
		return (-1);
	}
	return (1);
}

int
logread_info(struct query_db *db, int64_t id, struct logread_info *info,
    char **cause)
{
	struct logread_live	live;

	return (logread_fetch(db, id, info, &live, 0, cause));
}

/*
 * A running log's sources: the committed part of its store content, then
 * the tail (the chunks of pending, then the open run as one chunk).
 */
static int
logread_live_sources(struct logread *r, const struct logread_info *info,
    struct logread_live *live, char **cause)
{
	size_t	 open = 0, chunks;
	char	 head[32];
	int	 n;

	if (live->channel != -1)
		open = (size_t)(live->run_bytes % LEGACY_CHUNK_MAX);
	if (open > live->pending_len) {
		xasprintf(cause, "log %" PRId64 ": live_logs.pending holds %zu "
		    "bytes, shorter than its run", r->id, live->pending_len);
		return (-1);
	}
	chunks = live->pending_len - open;
	if (info->stored_bytes < 0 || (uint64_t)info->stored_bytes < chunks ||
	    (info->state != BBM_LOG_STORED &&
	    (uint64_t)info->stored_bytes != chunks)) {
		xasprintf(cause, "log %" PRId64 ": stored_bytes %" PRId64
		    " does not match live_logs (%zu bytes of chunks%s)", r->id,
		    info->stored_bytes, chunks, info->state != BBM_LOG_STORED ?
		    ", no log-store content" : "");
		return (-1);
	}
	r->limited = 1;
	r->store_left = (uint64_t)info->stored_bytes - chunks;
	r->store_size = live->store_size;
	if (open == 0) {
		r->tail = live->pending;
		r->tail_len = live->pending_len;
		live->pending = NULL;
		return (0);
	}
	n = snprintf(head, sizeof head, "%zu:%d", open + 1, live->channel);
	r->tail_len = chunks + (size_t)n + open + 1;
	r->tail = xmalloc(r->tail_len);
	memcpy(r->tail, live->pending, chunks);
	memcpy(r->tail + chunks, head, (size_t)n);
	memcpy(r->tail + chunks + n, live->pending + chunks, open);
	r->tail[r->tail_len - 1] = ',';
	return (0);
}

/*
 * logread_open and logread_reopen: with pos, the store part is skipped
 * when pos says what it holds (the same key and committed bytes).
 */
static int
logread_open_pos(struct query_db *db, struct logstore *ls, int64_t id,
    unsigned int mask, uint64_t offset, int flags,
    const struct logread_pos *pos, struct logread_info *info,
    struct logread **rp, char **cause)
{
	struct logread		*r;
	struct logread_live	 live;
	char			*error = NULL;
	int			 found, skip;

	*rp = NULL;
	if ((found = logread_fetch(db, id, info, &live, 1, cause)) != 1)
		return (found);
	r = xcalloc(1, sizeof *r);
	r->id = id;
	r->raw = (flags & LOGREAD_RAW) != 0;
	r->mask = mask & LOGREAD_ALL;
	r->start = offset;
	logfile_parser_init(&r->parser);
	if (info->store_key != NULL)
		r->key = xstrdup(info->store_key);
	if (info->state == BBM_LOG_STORED && info->store_key == NULL) {
		xasprintf(cause, "log %" PRId64 ": stored without a key", id);
		goto fail;
	}
	if (info->running && (info->state == BBM_LOG_NONE ||
	    info->state == BBM_LOG_STORED) &&
	    logread_live_sources(r, info, &live, cause) != 0)
		goto fail;
	/*
	 * pos read the first pos->store_stream bytes of the same file: skip
	 * them, reading only the frames appended since, if any.
	 */
	skip = pos != NULL && r->limited && r->key != NULL &&
	    pos->store_stream != 0 && pos->store_stream <= r->store_left &&
	    pos->store_size > 0 && strcmp(pos->key, r->key) == 0 &&
	    pos->offset >= pos->store_seen;
	if (skip && pos->store_stream == r->store_left) {
		r->store_stream = pos->store_stream;
		r->seen = r->store_seen = pos->store_seen;
		r->store_left = 0;
		r->store_done = 1;
	} else if (skip) {
		if (ls == NULL || (r->lr = logstore_open_read_at(ls, r->key,
		    pos->store_size, &error)) == NULL) {
			xasprintf(cause, "log %" PRId64 ": %s", id, error !=
			    NULL ? error : "no log store");
			free(error);
			goto fail;
		}
		r->in = xmalloc(LOGREAD_IN);
		r->store_stream = r->store_left;
		r->store_left -= pos->store_stream;
		r->seen = pos->store_seen;
	} else if (info->state == BBM_LOG_STORED) {
		if (ls == NULL) {
			xasprintf(cause, "log %" PRId64 ": no log store to "
			    "read %s from", id, info->store_key);
			goto fail;
		}
		if ((r->lr = logstore_open_read(ls, info->store_key,
		    &error)) == NULL) {
			xasprintf(cause, "log %" PRId64 ": %s", id, error);
			free(error);
			goto fail;
		}
		r->in = xmalloc(LOGREAD_IN);
		r->store_stream = r->store_left;
	}
	free(live.pending);
	if (!r->raw)
		r->out = xmalloc(LOGREAD_OUT);
	*rp = r;
	return (1);

fail:
	free(live.pending);
	logread_close(r);
	logread_info_free(info);
	return (-1);
}

int
logread_open(struct query_db *db, struct logstore *ls, int64_t id,
    unsigned int mask, uint64_t offset, int flags, struct logread_info *info,
    struct logread **rp, char **cause)
{
	return (logread_open_pos(db, ls, id, mask, offset, flags, NULL, info,
	    rp, cause));
}

int
logread_reopen(struct query_db *db, struct logstore *ls, int64_t id,
    const struct logread_pos *pos, struct logread_info *info,
    struct logread **rp, char **cause)
{
	return (logread_open_pos(db, ls, id, pos->mask, pos->offset, 0, pos,
	    info, rp, cause));
}

void
logread_pos(const struct logread *r, struct logread_pos *pos)
{
	memset(pos, 0, sizeof *pos);
	pos->offset = logread_offset(r);
	pos->mask = r->mask;
	if (r->raw || !r->limited || !r->store_done || r->key == NULL ||
	    strlen(r->key) > LOGSTORE_KEY_MAX)
		return;
	memcpy(pos->key, r->key, strlen(r->key) + 1);
	pos->store_stream = r->store_stream;
	pos->store_seen = r->store_seen;
	pos->store_size = r->store_size;
}

void
logread_close(struct logread *r)
{
	if (r == NULL)
		return;
	logstore_close_read(r->lr);
	free(r->key);
	free(r->tail);
	free(r->in);
	free(r->error);
	free(r->out);
	free(r->recs);
	free(r);
}

/*
 * Makes the next block of the stream the current source: from the log
 * store (no further than its committed bytes), then the tail. At the end
 * sets eof. Returns 0, or -1 with *cause.
 */
static int
logread_input(struct logread *r, char **cause)
{
	size_t	 want = LOGREAD_IN;
	ssize_t	 n;
	char	*error = NULL;

	r->src_off = r->src_len = 0;
	if (r->lr != NULL) {
		if (r->limited && r->store_left < want)
			want = (size_t)r->store_left;
		if (want != 0) {
			if ((n = logstore_read(r->lr, r->in, want,
			    &error)) == -1) {
				xasprintf(cause, "log %" PRId64 ": %s", r->id,
				    error);
				free(error);
				return (-1);
			}
			if (n > 0) {
				r->src = r->in;
				r->src_len = (size_t)n;
				if (r->limited)
					r->store_left -= (uint64_t)n;
				return (0);
			}
		}
		if (r->limited && r->store_left != 0) {
			xasprintf(cause, "log %" PRId64 ": %s: the log store "
			    "holds %" PRIu64 " bytes fewer than the database "
			    "says", r->id, r->key, r->store_left);
			return (-1);
		}
		logstore_close_read(r->lr);
		r->lr = NULL;
		/* Every store byte was fed: the parser is past them. */
		r->store_done = 1;
		r->store_seen = r->seen;
	}
	if (r->tail != NULL && !r->tail_used) {
		r->tail_used = 1;
		r->src = (const unsigned char *)r->tail;
		r->src_len = r->tail_len;
		if (r->src_len != 0)
			return (0);
	}
	r->eof = 1;
	return (0);
}

/* A new record, open, at the end of the output. */
static struct logread_rec *
logread_rec_new(struct logread *r, int channel)
{
	struct logread_rec	*rec;

	if (r->nrecs == r->rec_size) {
		r->rec_size = r->rec_size == 0 ? 16 : r->rec_size * 2;
		r->recs = xreallocarray(r->recs, r->rec_size, sizeof *r->recs);
	}
	rec = &r->recs[r->nrecs++];
	memset(rec, 0, sizeof *rec);
	rec->channel = channel;
	rec->off = r->out_len;
	rec->offset = r->seen;
	rec->first = !r->in_chunk;
	return (rec);
}

/*
 * The parser's callback: text of a selected channel past the start offset
 * goes to the output, joining the chunk's open record (a new one every
 * LOGREAD_PIECE_MAX bytes).
 */
static int
logread_cb(void *arg, int channel, const char *text, size_t len,
    int chunk_end)
{
	struct logread		*r = arg;
	struct logread_rec	*rec = NULL;
	uint64_t		 skip;
	size_t			 n;

	if ((r->mask & LOGREAD_CHANNEL(channel)) == 0)
		return (0);
	if (r->seen < r->start) {
		skip = r->start - r->seen;
		if (skip > len)
			skip = len;
		r->seen += skip;
		text += skip;
		len -= (size_t)skip;
		if (skip != 0)
			r->in_chunk = 1;
	}
	if (r->nrecs > r->rec_off && !r->recs[r->nrecs - 1].closed)
		rec = &r->recs[r->nrecs - 1];
	while (len > 0) {
		/* Split lazily: a full record may still be its chunk's last. */
		if (rec != NULL && rec->len == LOGREAD_PIECE_MAX) {
			rec->closed = 1;
			rec = NULL;
		}
		if (rec == NULL)
			rec = logread_rec_new(r, channel);
		n = LOGREAD_PIECE_MAX - rec->len;
		if (n > len)
			n = len;
		memcpy(r->out + r->out_len, text, n);
		r->out_len += n;
		rec->len += n;
		r->seen += n;
		text += n;
		len -= n;
		r->in_chunk = 1;
	}
	if (chunk_end) {
		if (rec != NULL) {
			rec->last = 1;
			rec->closed = 1;
		}
		r->in_chunk = 0;
	}
	return (0);
}

/* Moves what is left of the output to the front of its block. */
static void
logread_compact(struct logread *r)
{
	size_t	 i;

	if (r->rec_off == r->nrecs) {
		r->rec_off = r->nrecs = 0;
		r->out_off = r->out_len = 0;
		return;
	}
	if (r->out_off != 0) {
		memmove(r->out, r->out + r->out_off, r->out_len - r->out_off);
		r->out_len -= r->out_off;
		for (i = r->rec_off; i < r->nrecs; i++)
			r->recs[i].off -= r->out_off;
		r->out_off = 0;
	}
	if (r->rec_off != 0) {
		memmove(r->recs, r->recs + r->rec_off,
		    (r->nrecs - r->rec_off) * sizeof *r->recs);
		r->nrecs -= r->rec_off;
		r->rec_off = 0;
	}
}

/*
 * Feeds the parser one more block of the stream. Returns 0 (possibly with
 * eof set), or -1 with *cause.
 */
static int
logread_fill(struct logread *r, char **cause)
{
	size_t	 n;
	char	*error = NULL;

	if (r->src_off == r->src_len) {
		if (logread_input(r, cause) != 0)
			return (-1);
		if (r->eof)
			return (0);
	}
	logread_compact(r);
	n = r->src_len - r->src_off;
	if (n > LOGREAD_FEED)
		n = LOGREAD_FEED;
	if (n > LOGREAD_OUT - r->out_len)
		n = LOGREAD_OUT - r->out_len;
	if (n == 0)
		fatalx("%s: no room in the output block", __func__);
	if (logfile_parser_feed(&r->parser, r->src + r->src_off, n, logread_cb,
	    r, &error) != 0) {
		xasprintf(cause, "log %" PRId64 ": chunk stream%s%s: %s", r->id,
		    r->key != NULL ? " of " : "", r->key != NULL ? r->key : "",
		    error);
		free(error);
		return (-1);
	}
	r->src_off += n;
	return (0);
}

/*
 * Fills until the output holds something (logread_read, whole: any text;
 * else a closed record) or the stream ends. An error is kept until the
 * text before it has been returned. Returns 1 when there is output, 0 at
 * the end, -1 with *cause.
 */
static int
logread_wait(struct logread *r, int whole, char **cause)
{
	for (;;) {
		if (whole ? r->out_off < r->out_len : (r->rec_off < r->nrecs &&
		    r->recs[r->rec_off].closed))
			return (1);
		if (r->error != NULL || r->eof) {
			/* A stream cut inside a chunk: its text so far. */
			if (r->rec_off < r->nrecs &&
			    !r->recs[r->nrecs - 1].closed) {
				r->recs[r->nrecs - 1].closed = 1;
				continue;
			}
			r->rec_off = r->nrecs;
			if (r->error == NULL)
				return (0);
			*cause = r->error;
			r->error = NULL;
			r->eof = 1;
			xasprintf(&r->error, "log %" PRId64 ": read after an "
			    "error", r->id);
			return (-1);
		}
		if (logread_fill(r, &r->error) != 0 && r->error == NULL)
			fatalx("%s: error without a message", __func__);
	}
}

/* The raw stream from the offset, without the parser. */
static ssize_t
logread_read_raw(struct logread *r, void *buf, size_t len, char **cause)
{
	uint64_t	 skip;
	size_t		 n;

	for (;;) {
		if (r->src_off == r->src_len) {
			if (r->eof)
				return (0);
			if (logread_input(r, cause) != 0)
				return (-1);
			continue;
		}
		n = r->src_len - r->src_off;
		if (r->seen < r->start) {
			skip = r->start - r->seen;
			if (skip > n)
				skip = n;
			r->seen += skip;
			r->src_off += (size_t)skip;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(buf, r->src + r->src_off, n);
		r->src_off += n;
		r->seen += n;
		return ((ssize_t)n);
	}
}

ssize_t
logread_read(struct logread *r, void *buf, size_t len, char **cause)
{
	struct logread_rec	*rec;
	size_t			 done = 0, n;
	int			 ret;

	if (r->raw)
		return (logread_read_raw(r, buf, len, cause));
	if (len == 0)
		return (0);
	if ((ret = logread_wait(r, 1, cause)) != 1)
		return (ret);
	while (done < len && r->rec_off < r->nrecs) {
		rec = &r->recs[r->rec_off];
		n = len - done;
		if (n > rec->len)
			n = rec->len;
		memcpy((char *)buf + done, r->out + rec->off, n);
		done += n;
		rec->off += n;
		rec->len -= n;
		rec->offset += n;
		if (n != 0)
			rec->first = 0;
		r->out_off = rec->off;
		/* An open record stays: more of its chunk may come. */
		if (rec->len == 0 && rec->closed)
			r->rec_off++;
		else if (rec->len == 0)
			break;
	}
	return ((ssize_t)done);
}

int
logread_chunk(struct logread *r, struct logread_piece *piece, char **cause)
{
	struct logread_rec	*rec;
	int			 ret;

	if (r->raw)
		fatalx("%s: a raw reader has no chunks", __func__);
	if ((ret = logread_wait(r, 0, cause)) != 1)
		return (ret);
	rec = &r->recs[r->rec_off++];
	piece->channel = rec->channel;
	piece->text = r->out + rec->off;
	piece->len = rec->len;
	piece->offset = rec->offset;
	piece->first = rec->first;
	piece->last = rec->last;
	r->out_off = rec->off + rec->len;
	return (1);
}

uint64_t
logread_seen(const struct logread *r)
{
	return (r->seen);
}

uint64_t
logread_offset(const struct logread *r)
{
	if (r->seen < r->start)
		return (r->start);
	if (r->raw)
		return (r->seen);
	return (r->seen - (r->out_len - r->out_off));
}
