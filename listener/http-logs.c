/*
 * http-logs.c: GET /logs/{id}, the log server (doc/logs.md): a log's text
 * for the channels asked (stdout and stderr by default), byte ranges,
 * the channel-tagged chunks as JSON lines, and following a running log
 * like tail -f.
 *
 * Every response is produced by a content reader (lib/logread.h) that
 * libmicrohttpd calls for one block at a time, so a request holds a few
 * blocks of memory whatever the log's size. A connection stays on one
 * pool thread, so the reader uses that thread's database connection and
 * log store (http_thread_get) in every call.
 *
 * Following: the reader sends what the log has from the offset asked,
 * then closes its log reader, keeping its position (logread_reopen skips
 * what it has read of the log's file). If the log may still grow it waits
 * in the follow hub (http_follow_wait) with the generation taken before
 * its last snapshot; a commit after that snapshot bumps the generation,
 * so no text is missed: the reader opens the log again at the offset it
 * reached (offsets count bytes of the selected text, which only grows)
 * and sends the rest. The stream ends when the log is complete, its build finished,
 * or it is pruned or deleted, or when the server stops.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bbmirrord.h"
#include "http.h"
#include "logread.h"

/* Bytes libmicrohttpd asks the content reader for at once. */
#define HTTP_LOGS_BLOCK		(32 << 10)
/* The JSON of one piece of at most LOGREAD_PIECE_MAX bytes fits. */
#define HTTP_LOGS_LINE_MAX	(8 * LOGREAD_PIECE_MAX + 1024)

/* One request's state (the handler's con_cls). */
struct http_logs {
	struct http		*h;
	struct http_thread	*t;
	int64_t			 id;
	unsigned int		 mask;
	int			 chunks;	/* format=chunks */
	int			 follow;
	uint64_t		 offset;	/* the next text byte to send */
	uint64_t		 left;		/* bytes still to send */
	struct logread		*r;
	struct logread_pos	 pos;		/* where r got to */
	int			 has_pos;
	uint64_t		 gen;		/* taken before r's snapshot */
	int			 growing;	/* r's log may still grow */
	struct http_follower	 fw;
	struct buf		 line;		/* format=chunks: to send */
	size_t			 line_off;
	int			 failed;
};

/* A Range header's one byte range. */
struct http_logs_range {
	int		 suffix;	/* "-N": the last first bytes */
	uint64_t	 first;
	uint64_t	 last;		/* UINT64_MAX: to the end */
};

void
http_logs_free(void *state)
{
	struct http_logs	*st = state;

	if (st == NULL)
		return;
	http_follow_cancel(st->h, &st->fw);
	logread_close(st->r);
	buf_free(&st->line);
	free(st);
}

/*
 * The log id of the path: a positive decimal number without leading
 * zeros that fits an int64_t, and nothing else.
 */
static int
http_logs_id(const char *s, int64_t *id)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (s[0] < '1' || s[0] > '9' || strlen(s) > 19)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return (-1);
	*id = (int64_t)v;
	return (0);
}

/*
 * ?channel=: a comma-separated list of stdout, stderr, header and all.
 * Returns the mask, or 0 if the list is empty or names something else.
 */
static unsigned int
http_logs_channels(const char *s)
{
	static const struct {
		const char	*name;
		unsigned int	 mask;
	} names[] = {
		{ "stdout", LOGREAD_STDOUT },
		{ "stderr", LOGREAD_STDERR },
		{ "header", LOGREAD_HEADER },
		{ "all", LOGREAD_ALL },
	};
	unsigned int	 mask = 0;
	size_t		 n, i;

	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (strlen(names[i].name) == n &&
			    strncmp(s, names[i].name, n) == 0)
				break;
		}
		if (i == sizeof names / sizeof names[0])
			return (0);
		mask |= names[i].mask;
		if (s[n] == '\0')
			return (mask);
		s += n + 1;
	}
}

/* Decimal digits at *sp, saturating at UINT64_MAX. 0 if there are none. */
static int
http_logs_number(const char **sp, uint64_t *v)
{
	const char	*s = *sp;
	unsigned int	 d;

	*v = 0;
	if (*s < '0' || *s > '9')
		return (0);
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + d;
	}
	*sp = s;
	return (1);
}

/*
 * Parses a Range header (RFC 9110 section 14.2). Returns 1 with *rg for
 * one byte range; 0 when the header is to be ignored and the whole text
 * sent: another unit, a syntax error, or several ranges (a server may
 * answer those with the whole representation).
 */
static int
http_logs_range(const char *s, struct http_logs_range *rg)
{
	memset(rg, 0, sizeof *rg);
	s += strspn(s, " \t");
	if (strncasecmp(s, "bytes", 5) != 0)
		return (0);
	s += 5;
	s += strspn(s, " \t");
	if (*s++ != '=')
		return (0);
	s += strspn(s, " \t");
	if (*s == '-') {
		s++;
		rg->suffix = 1;
		if (!http_logs_number(&s, &rg->last))
			return (0);
	} else {
		if (!http_logs_number(&s, &rg->first) || *s++ != '-')
			return (0);
		rg->last = UINT64_MAX;
		if (*s >= '0' && *s <= '9') {
			(void)http_logs_number(&s, &rg->last);
			if (rg->last < rg->first)
				return (0);
		}
	}
	s += strspn(s, " \t");
	/* Empty list elements are allowed; another range is not served. */
	while (*s == ',') {
		s++;
		s += strspn(s, " \t");
	}
	return (*s == '\0');
}

/* Base64 (RFC 4648, with padding) of len bytes; caller frees. */
static char *
http_logs_base64(const unsigned char *p, size_t len)
{
	static const char	 digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	o = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = digits[v >> 18];
		*o++ = digits[(v >> 12) & 63];
		*o++ = digits[(v >> 6) & 63];
		*o++ = digits[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = digits[v >> 18];
		*o++ = digits[(v >> 12) & 63];
		*o++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

/*
 * Bytes at p (n > 0) that start an invalid UTF-8 sequence: the maximal
 * prefix of a well-formed sequence (at least 1), which a decoder replaces
 * with one U+FFFD (the Unicode standard's "maximal subpart" practice, as
 * browsers and Python decode).
 */
static size_t
http_logs_bad_seq(const unsigned char *p, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return (1);
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need && i < n; i++) {
		if (p[i] < lo || p[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return (i);
}

/* The text with each invalid UTF-8 sequence as U+FFFD; caller frees. */
static char *
http_logs_fffd(const char *p, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 i = 0, o = 0, n;

	out = xmalloc(len * 3 + 1);
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, 0)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += http_logs_bad_seq((const unsigned char *)p + i,
			    len - i);
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*outlen = o;
	return (out);
}

/*
 * One piece as a JSON line in st->line: {"channel", "offset", "text"},
 * "bytes_b64" (the exact bytes) when the text is not valid UTF-8 (its
 * invalid bytes are then U+FFFD in "text"), "continued" when the piece
 * does not start its chunk, "more" when the chunk goes on in the next.
 */
static int
http_logs_json(struct http_logs *st, const struct logread_piece *p)
{
	json_t	*o, *text;
	char	*s, *fixed, *b64;
	size_t	 len;
	int	 error;

	o = json_object();
	json_object_set_new(o, "channel", json_integer(p->channel));
	json_object_set_new(o, "offset", json_integer((json_int_t)p->offset));
	if ((text = json_stringn(p->text, p->len)) == NULL) {
		fixed = http_logs_fffd(p->text, p->len, &len);
		text = json_stringn(fixed, len);
		free(fixed);
		b64 = http_logs_base64((const unsigned char *)p->text, p->len);
		json_object_set_new(o, "bytes_b64", json_string(b64));
		free(b64);
	}
	json_object_set_new(o, "text", text);
	if (!p->first)
		json_object_set_new(o, "continued", json_true());
	if (!p->last)
		json_object_set_new(o, "more", json_true());
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return (-1);
	buf_reset(&st->line);
	st->line_off = 0;
	error = buf_add(&st->line, s, strlen(s)) != 0 ||
	    buf_add(&st->line, "\n", 1) != 0;
	free(s);
	return (error ? -1 : 0);
}

/*
 * Up to max bytes of what st's log reader has: text, or JSON lines (as
 * many as fit). Returns the bytes, 0 when the reader has nothing more, -1
 * on error (logged; after some bytes, they are returned first and
 * st->failed set).
 */
static ssize_t
http_logs_produce(struct http_logs *st, char *buf, size_t max)
{
	struct logread_piece	 p;
	char			*cause = NULL;
	ssize_t			 n;
	size_t			 len, done = 0;
	int			 ret;

	if (!st->chunks) {
		if ((uint64_t)max > st->left)
			max = (size_t)st->left;
		if ((n = logread_read(st->r, buf, max, &cause)) > 0) {
			st->offset += (uint64_t)n;
			st->left -= (uint64_t)n;
		}
		if (n == -1) {
			log_warnx("http: log %" PRId64 ": %s", st->id, cause);
			free(cause);
		}
		return (n);
	}
	for (;;) {
		len = st->line.len - st->line_off;
		if (len > max - done)
			len = max - done;
		if (len != 0)
			memcpy(buf + done, st->line.data + st->line_off, len);
		st->line_off += len;
		done += len;
		if (done == max)
			return ((ssize_t)done);
		if ((ret = logread_chunk(st->r, &p, &cause)) == 1 &&
		    http_logs_json(st, &p) == 0) {
			st->offset = p.offset + p.len;
			continue;
		}
		if (ret == 0)
			return ((ssize_t)done);
		if (ret == -1) {
			log_warnx("http: log %" PRId64 ": %s", st->id, cause);
			free(cause);
		} else
			log_warnx("http: log %" PRId64 ": offset %" PRIu64
			    ": cannot encode a chunk", st->id, p.offset);
		if (done == 0)
			return (-1);
		st->failed = 1;
		return ((ssize_t)done);
	}
}

/*
 * Opens st's log again at the offset reached, taking the generation
 * first. Returns 1, 0 if the log is gone, -1 on error (logged).
 */
static int
http_logs_reopen(struct http_logs *st)
{
	struct logread_info	 info;
	struct http_req		 req;
	char			*cause = NULL;
	int			 found;

	/*
	 * libmicrohttpd keeps a connection on one pool thread; should that
	 * ever change, use the calling thread's connection, not another's.
	 */
	if (pthread_getspecific(st->h->key) != st->t) {
		memset(&req, 0, sizeof req);
		req.h = st->h;
		req.conn = st->fw.conn;
		if ((st->t = http_thread_get(&req, &cause)) == NULL) {
			log_warnx("http: log %" PRId64 ": %s", st->id, cause);
			free(cause);
			return (-1);
		}
	}
	st->gen = http_generation(st->h);
	if (st->has_pos)
		found = logread_reopen(st->t->db, st->t->ls, st->id, &st->pos,
		    &info, &st->r, &cause);
	else
		found = logread_open(st->t->db, st->t->ls, st->id, st->mask,
		    st->offset, 0, &info, &st->r, &cause);
	if (found == -1) {
		log_warnx("http: log %" PRId64 ": %s", st->id, cause);
		free(cause);
		return (-1);
	}
	if (found == 1) {
		st->growing = logread_growing(&info);
		logread_info_free(&info);
	}
	return (found);
}

/* libmicrohttpd's content reader: see the comment at the top. */
static ssize_t
http_logs_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_logs	*st = cls;
	ssize_t			 n;

	if (st->failed)
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	for (;;) {
		if (st->left == 0 && st->line_off == st->line.len)
			return (MHD_CONTENT_READER_END_OF_STREAM);
		if (st->r == NULL) {
			if (!st->follow)
				return (MHD_CONTENT_READER_END_OF_STREAM);
			switch (http_logs_reopen(st)) {
			case 0:
				return (MHD_CONTENT_READER_END_OF_STREAM);
			case -1:
				st->failed = 1;
				return (MHD_CONTENT_READER_END_WITH_ERROR);
			}
		}
		if ((n = http_logs_produce(st, buf, max)) > 0)
			return (n);
		if (n == -1) {
			st->failed = 1;
			return (MHD_CONTENT_READER_END_WITH_ERROR);
		}
		logread_pos(st->r, &st->pos);
		st->has_pos = 1;
		logread_close(st->r);
		st->r = NULL;
		if (!st->follow || !st->growing)
			return (MHD_CONTENT_READER_END_OF_STREAM);
		switch (http_follow_wait(st->h, &st->fw, st->gen)) {
		case 1:
			return (0);
		case 0:
			break;
		default:
			return (MHD_CONTENT_READER_END_OF_STREAM);
		}
	}
}

/*
 * The length of the selected text of log id now, counted without copying:
 * 1, 0 if the log is gone, -1 with *cause.
 */
static int
http_logs_length(struct http_logs *st, uint64_t *len, char **cause)
{
	struct logread_info	 info;
	struct logread		*r;
	char			 dummy[1];
	ssize_t			 n;
	int			 found;

	found = logread_open(st->t->db, st->t->ls, st->id, st->mask,
	    UINT64_MAX, 0, &info, &r, cause);
	if (found != 1)
		return (found);
	logread_info_free(&info);
	n = logread_read(r, dummy, sizeof dummy, cause);
	*len = logread_seen(r);
	logread_close(r);
	return (n == 0 ? 1 : -1);
}

/*
 * A Range request: sets st->offset and st->left and adds the headers of
 * a 206 to resp-to-be (*status 206), or answers 416 itself (returns 1 with
 * *ret). Returns 0 to go on, 1 when answered.
 */
static int
http_logs_ranged(struct http_req *req, struct http_logs *st,
    const struct http_logs_range *rg, unsigned int *status, char *crange,
    size_t crange_size, enum MHD_Result *ret)
{
	uint64_t	 len, first, last;
	char		*cause = NULL, msg[160], value[64];
	int		 found;

	if ((found = http_logs_length(st, &len, &cause)) != 1) {
		if (found == 0)
			*ret = http_reply_error(req, MHD_HTTP_NOT_FOUND,
			    "not_found", "no log %" PRId64, st->id);
		else {
			log_warnx("http: log %" PRId64 ": %s", st->id, cause);
			*ret = http_reply_error(req,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			    "log %" PRId64 " cannot be read", st->id);
		}
		free(cause);
		return (1);
	}
	if (rg->suffix) {
		if (rg->last == 0 || len == 0)
			goto unsatisfiable;
		first = len - (rg->last < len ? rg->last : len);
		last = len - 1;
	} else {
		if (rg->first >= len)
			goto unsatisfiable;
		first = rg->first;
		last = rg->last < len - 1 ? rg->last : len - 1;
	}
	st->offset = first;
	st->left = last - first + 1;
	*status = MHD_HTTP_PARTIAL_CONTENT;
	snprintf(crange, crange_size, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
	    first, last, len);
	return (0);

unsatisfiable:
	snprintf(value, sizeof value, "bytes */%" PRIu64, len);
	snprintf(msg, sizeof msg, "log %" PRId64 ": the range is outside its "
	    "%" PRIu64 " bytes", st->id, len);
	*ret = http_reply_error_extra(req, MHD_HTTP_RANGE_NOT_SATISFIABLE,
	    "range_not_satisfiable", json_pack("{s:I}", "length",
	    (json_int_t)len), MHD_HTTP_HEADER_CONTENT_RANGE, value, msg);
	return (1);
}

/* What http_logs_known found wrong with the query arguments. */
struct http_logs_argcheck {
	const char	*bad;		/* the first bad argument's name */
	const char	*why;
	unsigned int	 seen;		/* bit per known argument */
};

/* The known arguments, each at most once, of at most 1024 bytes. */
static enum MHD_Result
http_logs_known(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	static const char *const known[] = { "channel", "format", "follow",
	    "offset" };
	struct http_logs_argcheck	*c = cls;
	size_t				 i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(key, known[i]) == 0)
			break;
	}
	if (i == sizeof known / sizeof known[0])
		c->why = "unknown argument";
	else if (c->seen & (1U << i))
		c->why = "argument given twice";
	else if (value != NULL && strlen(value) > 1024)
		c->why = "argument longer than 1024 bytes";
	else {
		c->seen |= 1U << i;
		return (MHD_YES);
	}
	c->bad = key;
	return (MHD_NO);
}

/*
 * The arguments of the request into st. Returns 0, or 1 when answered
 * (400) with *ret.
 */
static int
http_logs_args(struct http_req *req, const char *path, struct http_logs *st,
    int *has_offset, enum MHD_Result *ret)
{
	struct http_logs_argcheck	 c;
	const char			*s;
	int64_t				 v;
	int				 r;

	if (http_logs_id(path, &st->id) != 0) {
		*ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST,
		    "bad_request", "\"%.40s%s\" is not a log id (a positive "
		    "decimal number)", path, strlen(path) > 40 ? "..." : "");
		return (1);
	}
	memset(&c, 0, sizeof c);
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
	    http_logs_known, &c);
	if (c.bad != NULL) {
		*ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST,
		    "bad_request", "%s: \"%.40s%s\" (known: channel, format, "
		    "follow, offset)", c.why, c.bad, strlen(c.bad) > 40 ?
		    "..." : "");
		return (1);
	}
	st->mask = LOGREAD_TEXT;
	if ((s = http_arg(req, "channel")) != NULL &&
	    (st->mask = http_logs_channels(s)) == 0) {
		*ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST,
		    "bad_request", "argument channel: \"%.40s%s\" is not a "
		    "list of stdout, stderr, header or all", s,
		    strlen(s) > 40 ? "..." : "");
		return (1);
	}
	if ((s = http_arg(req, "format")) != NULL) {
		if (strcmp(s, "chunks") == 0)
			st->chunks = 1;
		else if (strcmp(s, "text") != 0) {
			*ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST,
			    "bad_request", "argument format: \"%.40s%s\" is "
			    "not text or chunks", s, strlen(s) > 40 ? "..." :
			    "");
			return (1);
		}
	}
	if ((r = http_arg_int(req, "follow", 0, 1, &v, ret)) == -1)
		return (1);
	st->follow = (r == 1 && v == 1);
	if ((r = http_arg_int(req, "offset", 0, INT64_MAX, &v, ret)) == -1)
		return (1);
	*has_offset = (r == 1);
	st->offset = r == 1 ? (uint64_t)v : 0;
	return (0);
}

/*
 * The first answer on a log that has no text to give: pruned (410) or
 * missing (404). Returns 1 when answered.
 */
static int
http_logs_gone(struct http_req *req, const struct logread_info *info,
    enum MHD_Result *ret)
{
	char	 msg[160];
	json_t	*extra;

	if (info->state == BBM_LOG_PRUNED) {
		snprintf(msg, sizeof msg, "log %" PRId64 " was pruned: only "
		    "its metadata remains", info->id);
		extra = json_pack("{s:o}", "pruned_at", isnan(info->pruned_at) ?
		    json_null() : json_real(info->pruned_at));
		*ret = http_reply_error_extra(req, MHD_HTTP_GONE, "pruned",
		    extra, NULL, NULL, msg);
		return (1);
	}
	if (info->state == BBM_LOG_MISSING) {
		snprintf(msg, sizeof msg, "log %" PRId64 ": the master's log "
		    "file was gone when the build was mirrored", info->id);
		*ret = http_reply_error_extra(req, MHD_HTTP_NOT_FOUND,
		    "missing", NULL, NULL, NULL, msg);
		return (1);
	}
	return (0);
}

enum MHD_Result
http_logs_handle(struct http_req *req, const char *path, void **state)
{
	struct http_logs	*st;
	struct http_logs_range	 rg;
	struct logread_info	 info;
	struct MHD_Response	*resp;
	const char		*range, *type;
	char			*cause = NULL, crange[96];
	unsigned int		 status = MHD_HTTP_OK;
	int			 has_offset = 0, found, ranged = 0;
	enum MHD_Result		 ret;

	st = xcalloc(1, sizeof *st);
	st->h = req->h;
	st->fw.conn = req->conn;
	st->left = UINT64_MAX;
	buf_init(&st->line, HTTP_LOGS_LINE_MAX);
	if (http_logs_args(req, path, st, &has_offset, &ret) != 0) {
		http_logs_free(st);
		return (ret);
	}
	if ((st->t = http_thread_get(req, &cause)) == NULL) {
		log_warnx("http: %s", cause);
		free(cause);
		http_logs_free(st);
		return (http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "unavailable", "the database cannot be read now"));
	}

	/* Range: only for plain text from the start, without follow. */
	range = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_RANGE);
	if (range != NULL && !st->chunks && !st->follow && !has_offset &&
	    MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_RANGE) == NULL && http_logs_range(range, &rg))
		ranged = 1;

	st->gen = http_generation(st->h);
	found = logread_open(st->t->db, st->t->ls, st->id, st->mask,
	    st->offset, 0, &info, &st->r, &cause);
	if (found != 1) {
		if (found == 0)
			ret = http_reply_error(req, MHD_HTTP_NOT_FOUND,
			    "not_found", "no log %" PRId64, st->id);
		else {
			log_warnx("http: log %" PRId64 ": %s", st->id, cause);
			ret = http_reply_error(req,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			    "log %" PRId64 " cannot be read", st->id);
		}
		free(cause);
		http_logs_free(st);
		return (ret);
	}
	if (http_logs_gone(req, &info, &ret)) {
		logread_info_free(&info);
		http_logs_free(st);
		return (ret);
	}
	st->growing = logread_growing(&info);
	if (st->chunks)
		type = "application/x-ndjson";
	else if (info.kind == BBM_LOG_HTML)
		type = "text/html; charset=utf-8";
	else
		type = "text/plain; charset=utf-8";
	logread_info_free(&info);

	if (ranged) {
		/* Counted first: the reader's newer snapshot has the range. */
		logread_close(st->r);
		st->r = NULL;
		if (http_logs_ranged(req, st, &rg, &status, crange,
		    sizeof crange, &ret)) {
			http_logs_free(st);
			return (ret);
		}
		if ((found = http_logs_reopen(st)) != 1) {
			ret = found == 0 ? http_reply_error(req,
			    MHD_HTTP_NOT_FOUND, "not_found", "no log %" PRId64,
			    st->id) : http_reply_error(req,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			    "log %" PRId64 " cannot be read", st->id);
			http_logs_free(st);
			return (ret);
		}
	}

	resp = MHD_create_response_from_callback(status ==
	    MHD_HTTP_PARTIAL_CONTENT ? st->left : MHD_SIZE_UNKNOWN,
	    HTTP_LOGS_BLOCK, http_logs_read, st, NULL);
	if (resp == NULL)
		fatalx("http-logs: cannot create a response");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* A log's HTML is the master's: never let it script this origin. */
	if (!st->chunks)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, "sandbox");
	if (!st->chunks && !st->follow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES,
		    "bytes");
	if (status == MHD_HTTP_PARTIAL_CONTENT)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
		    crange);
	*state = st;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return (ret);
}
