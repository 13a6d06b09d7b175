/*
 * test-logfile.c: the chunk parser over a table of hand-made streams, the
 * preference order and decompression of logfile_open, and every log of the
 * master-0-7-5, v082 and v087p1 fixtures.
 */
#include "config.h"

#include <sys/stat.h>

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "logfile.h"
#include "util.h"
#include "tap.h"

/* What the callback saw. */
struct seen {
	struct buf	 text[LOGFILE_CHANNELS];
	struct buf	 all;		/* every piece, in order */
	uint64_t	 calls;
	uint64_t	 ends;		/* calls with chunk_end */
	uint64_t	 stop_after;	/* return 1 on this chunk end (0 never) */
};

static void
seen_init(struct seen *s)
{
	int	 i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < LOGFILE_CHANNELS; i++)
		buf_init(&s->text[i], 0);
	buf_init(&s->all, 0);
}

static void
seen_free(struct seen *s)
{
	int	 i;

	for (i = 0; i < LOGFILE_CHANNELS; i++)
		buf_free(&s->text[i]);
	buf_free(&s->all);
}

static int
seen_cb(void *arg, int channel, const char *text, size_t len, int chunk_end)
{
	struct seen	*s = arg;

	if (channel < 0 || channel >= LOGFILE_CHANNELS)
		fatalx("channel %d out of range", channel);
	if (buf_add(&s->text[channel], text, len) != 0 ||
	    buf_add(&s->all, text, len) != 0)
		fatalx("buffer full");
	s->calls++;
	if (chunk_end) {
		s->ends++;
		if (s->stop_after != 0 && s->ends == s->stop_after)
			return (1);
	}
	return (0);
}

struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 ok;
	uint64_t	 chunks;
	uint64_t	 ch[3];		/* channel 0, 1, 2 bytes */
	uint64_t	 other;		/* bytes on channels 3-9 */
	uint64_t	 lines;
	uint64_t	 tail;
	const char	*err;		/* prefix of cause when !ok */
	const char	*all;		/* text delivered, in order */
};

static const struct parse_case parse_cases[] = {
	{ "empty stream", "", 0, 1, 0, { 0, 0, 0 }, 0, 0, 0, NULL, "" },
	{ "empty chunk", "1:0,", 0, 1, 1, { 0, 0, 0 }, 0, 0, 0, NULL, "" },
	{ "three channels", "6:0abcd\n,6:1ef\ngh,3:2x\n,", 0, 1, 3,
	  { 5, 5, 2 }, 0, 2, 0, NULL, "abcd\nef\nghx\n" },
	{ "channels 3 to 9", "2:3a,2:9\n,1:5,", 0, 1, 3, { 0, 0, 0 }, 2, 0,
	  0, NULL, "a\n" },
	{ "fixture UTF-8 chunk", "13:0partly \xe2\x98\x81y\n,", 0, 1, 1,
	  { 12, 0, 0 }, 0, 1, 0, NULL, "partly \xe2\x98\x81y\n" },
	{ "NUL bytes in text", "4:1a\0b,", 7, 1, 1, { 0, 3, 0 }, 0, 0, 0,
	  NULL, NULL },
	{ "10 digits", "0000000002:0a,", 0, 1, 1, { 1, 0, 0 }, 0, 0, 0, NULL,
	  "a" },
	{ "11 digits", "00000000002:0a,", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 10: chunk length has more than 10 digits", NULL },
	{ "huge declared length", "9999999999:0abc", 0, 1, 0, { 0, 0, 0 },
	  0, 0, 15, NULL, "abc" },
	{ "letter in length", "1x:0,", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 1: byte 0x78 where a chunk length digit", NULL },
	{ "plus sign", "+1:0,", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 0: byte 0x2b", NULL },
	{ "no digits", ":0,", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 0: chunk has no length digits", NULL },
	{ "length 0", "1:0,0:,", 0, 0, 1, { 0, 0, 0 }, 0, 0, 0,
	  "offset 5: chunk length is 0", NULL },
	{ "missing comma", "2:0a;", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 4: byte 0x3b where ','", NULL },
	{ "length too short", "2:0ab,", 0, 0, 0, { 0, 0, 0 }, 0, 0, 0,
	  "offset 4: byte 0x62 where ','", NULL },
	{ "channel not a digit", "2:0a,2:xa,", 0, 0, 1, { 1, 0, 0 }, 0, 0, 0,
	  "offset 7: channel byte 0x78 is not a digit", NULL },
	{ "garbage after chunk", "1:0,\n", 0, 0, 1, { 0, 0, 0 }, 0, 0, 0,
	  "offset 4: byte 0x0a", NULL },
	{ "tail in length", "2:0a,12", 0, 1, 1, { 1, 0, 0 }, 0, 0, 2, NULL,
	  "a" },
	{ "tail in text", "2:0a,4:1b\nc", 0, 1, 1, { 1, 0, 0 }, 0, 0, 6,
	  NULL, "ab\nc" },
	{ "tail before comma", "2:0a,2:1\n", 0, 1, 1, { 1, 0, 0 }, 0, 0, 4,
	  NULL, "a\n" },
	{ "tail after colon", "2:0a,5:", 0, 1, 1, { 1, 0, 0 }, 0, 0, 2,
	  NULL, "a" },
};

static size_t
case_len(const struct parse_case *c)
{
	return (c->len != 0 ? c->len : strlen(c->in));
}

/* Feeds in as pieces split at the offsets in cuts (ascending). */
static int
parse_pieces(struct logfile_parser *p, struct seen *s, const char *in,
    size_t len, const size_t *cuts, size_t ncuts, char **cause)
{
	size_t	 i, from = 0, to;

	logfile_parser_init(p);
	for (i = 0; i <= ncuts; i++) {
		to = (i < ncuts) ? cuts[i] : len;
		if (logfile_parser_feed(p, in + from, to - from, seen_cb, s,
		    cause) != 0)
			return (-1);
		from = to;
	}
	return (0);
}

static int
same_counters(const struct logfile_parser *a, const struct logfile_parser *b)
{
	return (a->offset == b->offset && a->chunks == b->chunks &&
	    a->text_bytes == b->text_bytes && a->lines == b->lines &&
	    memcmp(a->channel_bytes, b->channel_bytes,
	    sizeof a->channel_bytes) == 0 &&
	    logfile_parser_tail(a) == logfile_parser_tail(b));
}

static void
test_parse_table(void)
{
	const struct parse_case	*c;
	struct logfile_parser	 p;
	struct seen		 s;
	char			*cause;
	size_t			 i, len;
	uint64_t		 other;
	int			 r, k;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		c = &parse_cases[i];
		len = case_len(c);
		seen_init(&s);
		cause = NULL;
		r = parse_pieces(&p, &s, c->in, len, NULL, 0, &cause);
		is_int(r, c->ok ? 0 : -1, "%s: result", c->name);
		if (!c->ok) {
			ok(cause != NULL &&
			    strncmp(cause, c->err, strlen(c->err)) == 0,
			    "%s: cause \"%s\"", c->name,
			    cause != NULL ? cause : "(null)");
		} else {
			is_int(p.offset, len, "%s: offset", c->name);
			is_int(logfile_parser_tail(&p), c->tail, "%s: tail",
			    c->name);
		}
		free(cause);
		is_int(p.chunks, c->chunks, "%s: chunks", c->name);
		is_int(p.channel_bytes[0], c->ch[0], "%s: stdout bytes",
		    c->name);
		is_int(p.channel_bytes[1], c->ch[1], "%s: stderr bytes",
		    c->name);
		is_int(p.channel_bytes[2], c->ch[2], "%s: header bytes",
		    c->name);
		for (other = 0, k = 3; k < LOGFILE_CHANNELS; k++)
			other += p.channel_bytes[k];
		is_int(other, c->other, "%s: bytes on channels 3-9", c->name);
		is_int(p.text_bytes, c->ch[0] + c->ch[1] + c->ch[2] + c->other,
		    "%s: text_bytes", c->name);
		is_int(p.lines, c->lines, "%s: lines", c->name);
		if (c->ok && c->all != NULL) {
			ok(s.all.len == strlen(c->all) && (s.all.len == 0 ||
			    memcmp(s.all.data, c->all, s.all.len) == 0),
			    "%s: text delivered", c->name);
		}
		if (c->ok && c->tail == 0)
			is_int(s.ends, c->chunks, "%s: chunk ends", c->name);
		seen_free(&s);
	}
}

/*
 * Every way of cutting a stream into two or three feeds (and one byte at a
 * time) must give what a single feed gives, including the pieces of text.
 */
static void
test_parse_splits(void)
{
	static const char	 in[] = "6:0abcd\n,1:0,13:0partly \xe2\x98\x81y"
	    "\n,10:1err\nline\n,3:2hd,2:0a,12:0";
	struct logfile_parser	 whole, p;
	struct seen		 sw, s;
	char			*cause = NULL;
	size_t			 len = sizeof in - 1, i, j, cuts[2];
	size_t			*bytes;
	int			 bad = 0, r;

	seen_init(&sw);
	r = parse_pieces(&whole, &sw, in, len, NULL, 0, &cause);
	is_int(r, 0, "split stream: one feed");
	is_int(whole.chunks, 6, "split stream: chunks");
	is_int(whole.channel_bytes[0], 5 + 12 + 1, "split stream: stdout");
	is_int(whole.channel_bytes[1], 9, "split stream: stderr");
	is_int(whole.channel_bytes[2], 2, "split stream: header");
	is_int(whole.lines, 1 + 1 + 2, "split stream: lines");
	is_int(logfile_parser_tail(&whole), 4, "split stream: tail");

	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j++) {
			seen_init(&s);
			cuts[0] = i;
			cuts[1] = j;
			r = parse_pieces(&p, &s, in, len, cuts, 2, &cause);
			if (r != 0 || !same_counters(&p, &whole) ||
			    s.all.len != sw.all.len ||
			    memcmp(s.all.data, sw.all.data, s.all.len) != 0 ||
			    s.ends != sw.ends ||
			    s.text[1].len != sw.text[1].len) {
				if (bad++ == 0)
					tap_diag("differs when cut at %zu, %zu",
					    i, j);
			}
			free(cause);
			cause = NULL;
			seen_free(&s);
		}
	}
	is_int(bad, 0, "split stream: every two-cut split agrees");

	bytes = xreallocarray(NULL, len, sizeof *bytes);
	for (i = 0; i < len; i++)
		bytes[i] = i;
	seen_init(&s);
	r = parse_pieces(&p, &s, in, len, bytes, len, &cause);
	ok(r == 0 && same_counters(&p, &whole), "split stream: byte by byte");
	ok(s.calls > sw.calls, "split stream: text came in more pieces");
	ok(s.all.len == sw.all.len &&
	    memcmp(s.all.data, sw.all.data, s.all.len) == 0,
	    "split stream: same text byte by byte");
	free(bytes);
	seen_free(&s);
	seen_free(&sw);
}

static void
test_parse_stop(void)
{
	struct logfile_parser	 p;
	struct seen		 s;
	char			*cause = NULL;
	int			 r;

	seen_init(&s);
	s.stop_after = 2;
	logfile_parser_init(&p);
	r = logfile_parser_feed(&p, "2:0a,2:0b,2:0c,", 15, seen_cb, &s,
	    &cause);
	is_int(r, -1, "consumer stop: fails");
	ok(cause != NULL && strstr(cause, "stopped by consumer") != NULL,
	    "consumer stop: cause \"%s\"", cause != NULL ? cause : "");
	is_int(s.ends, 2, "consumer stop: no more calls");
	free(cause);
	cause = NULL;
	r = logfile_parser_feed(&p, "2:0d,", 5, seen_cb, &s, &cause);
	is_int(r, -1, "consumer stop: feed after failure fails");
	free(cause);
	seen_free(&s);

	/* A NULL callback only counts. */
	logfile_parser_init(&p);
	r = logfile_parser_feed(&p, "3:1\n\n,", 6, NULL, NULL, &cause);
	ok(r == 0 && p.chunks == 1 && p.lines == 2 &&
	    p.channel_bytes[1] == 2, "NULL callback counts");
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		fatal("%s", path);
	if (len != 0 && fwrite(data, 1, len, f) != len)
		fatal("%s", path);
	if (fclose(f) != 0)
		fatal("%s", path);
}

static char *
bz2_compress(const void *data, size_t len, int level, size_t *outlen)
{
	unsigned int	 n;
	char		*out;

	n = (unsigned int)(len + len / 100 + 600);
	out = xmalloc(n);
	if (BZ2_bzBuffToBuffCompress(out, &n, (char *)(uintptr_t)data,
	    (unsigned int)len, level, 0, 0) != BZ_OK)
		fatalx("BZ2_bzBuffToBuffCompress");
	*outlen = n;
	return (out);
}

static char *
gz_compress(const void *data, size_t len, size_t *outlen)
{
	z_stream	 z;
	char		*out;
	size_t		 cap;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2");
	cap = deflateBound(&z, (uLong)len) + 64;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		fatalx("deflate");
	*outlen = z.total_out;
	deflateEnd(&z);
	return (out);
}

/* Reads the whole content with reads of bufsize bytes. */
static int
read_all(struct logfile *lf, size_t bufsize, struct buf *out, char **cause)
{
	char	*tmp;
	ssize_t	 n;

	buf_init(out, 256 << 20);
	tmp = xmalloc(bufsize);
	while ((n = logfile_read(lf, tmp, bufsize, cause)) > 0) {
		if (buf_add(out, tmp, (size_t)n) != 0)
			fatalx("content too large");
	}
	free(tmp);
	if (out->data == NULL && buf_add(out, "", 0) != 0)
		fatalx("buf_add");
	return (n == 0 ? 0 : -1);
}

/* Opens dir/name and checks the format and the content. */
static void
check_open(const char *dir, const char *name, enum logfile_format format,
    const char *want, const char *what)
{
	struct logfile	*lf;
	struct buf	 b;
	char		*cause = NULL;

	lf = logfile_open(dir, name, &cause);
	if (!ok(lf != NULL, "%s: opened", what)) {
		tap_diag("%s", cause != NULL ? cause : "missing");
		free(cause);
		return;
	}
	is_str(logfile_format_name(logfile_format(lf)),
	    logfile_format_name(format), "%s: format", what);
	ok(read_all(lf, 3, &b, &cause) == 0 && b.len == strlen(want) &&
	    memcmp(b.data, want, b.len) == 0, "%s: content", what);
	buf_free(&b);
	free(cause);
	logfile_close(lf);
}

static char *
join(const char *dir, const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", dir, name);
	return (path);
}

static void
put(const char *dir, const char *name, const void *data, size_t len)
{
	char	*path;

	path = join(dir, name);
	write_file(path, data, len);
	free(path);
}

static void
put_bz2(const char *dir, const char *name, const char *text)
{
	char	*z;
	size_t	 zlen;

	z = bz2_compress(text, strlen(text), 9, &zlen);
	put(dir, name, z, zlen);
	free(z);
}

static void
put_gz(const char *dir, const char *name, const char *text)
{
	char	*z;
	size_t	 zlen;

	z = gz_compress(text, strlen(text), &zlen);
	put(dir, name, z, zlen);
	free(z);
}

static void
test_open_order(const char *tmp)
{
	static const char	*raw = "4:0raw,", *bz = "4:0bz2,";
	static const char	*gz = "3:0gz,", *tmpbz = "4:0tmp,";
	struct logfile		*lf;
	char			*cause, *path;
	const char		*name = "3-log-test-stdio";

	cause = (char *)1;
	lf = logfile_open(tmp, name, &cause);
	ok(lf == NULL && cause == NULL, "missing log: NULL without cause");

	put_bz2(tmp, "3-log-test-stdio.bz2.tmp", tmpbz);
	put_gz(tmp, "3-log-test-stdio.gz.tmp", tmpbz);
	cause = (char *)1;
	lf = logfile_open(tmp, name, &cause);
	ok(lf == NULL && cause == NULL, "only .tmp files: missing");

	put(tmp, name, raw, strlen(raw));
	check_open(tmp, name, LOGFILE_RAW, raw, "raw only (tmp ignored)");
	lf = logfile_open(tmp, name, &cause);
	path = join(tmp, name);
	is_str(lf != NULL ? logfile_path(lf) : NULL, path, "raw path");
	free(path);
	logfile_close(lf);

	put_gz(tmp, "3-log-test-stdio.gz", gz);
	check_open(tmp, name, LOGFILE_GZ, gz, "gz preferred to raw");

	put_bz2(tmp, "3-log-test-stdio.bz2", bz);
	check_open(tmp, name, LOGFILE_BZ2, bz, "bz2 preferred to gz and raw");
	lf = logfile_open(tmp, name, &cause);
	path = join(tmp, "3-log-test-stdio.bz2");
	is_str(lf != NULL ? logfile_path(lf) : NULL, path, "bz2 path");
	free(path);
	logfile_close(lf);

	path = join(tmp, name);
	unlink(path);
	free(path);
	check_open(tmp, name, LOGFILE_BZ2, bz, "bz2 without raw");

	put(tmp, "4-log-empty-stdio", "", 0);
	check_open(tmp, "4-log-empty-stdio", LOGFILE_RAW, "",
	    "zero-byte raw file is an empty log");

	path = join(tmp, "5-log-dir-stdio");
	if (mkdir(path, 0700) != 0)
		fatal("mkdir %s", path);
	lf = logfile_open(tmp, "5-log-dir-stdio", &cause);
	ok(lf == NULL && cause != NULL && strstr(cause, "not a regular") !=
	    NULL, "directory in place of a log: error");
	free(cause);
	rmdir(path);
	free(path);

	lf = logfile_open(tmp, "../3-log-test-stdio", &cause);
	ok(lf == NULL && cause != NULL, "name with ../ refused");
	free(cause);
	lf = logfile_open(tmp, "sub/3-log", &cause);
	ok(lf == NULL && cause != NULL, "name with / refused");
	free(cause);
	lf = logfile_open(tmp, "..", &cause);
	ok(lf == NULL && cause != NULL, "name .. refused");
	free(cause);
	lf = logfile_open(tmp, "", &cause);
	ok(lf == NULL && cause != NULL, "empty name refused");
	free(cause);

	path = join(tmp, "6-log-noperm-stdio");
	write_file(path, raw, strlen(raw));
	chmod(path, 0);
	if (geteuid() != 0) {
		lf = logfile_open(tmp, "6-log-noperm-stdio", &cause);
		ok(lf == NULL && cause != NULL &&
		    strstr(cause, "6-log-noperm-stdio") != NULL,
		    "unreadable log: error naming it");
		free(cause);
	}
	unlink(path);
	free(path);
}

/* A stream of chunks big enough for several bzip2 blocks and input reads. */
static char *
make_stream(size_t target, size_t *len)
{
	struct buf	 b;
	char		 text[300];
	uint32_t	 x = 12345;
	size_t		 n, i;

	buf_init(&b, 0);
	while (b.len < target) {
		x = x * 1103515245 + 12345;
		n = 1 + (x >> 8) % (sizeof text - 1);
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			text[i] = (x >> 24) % 7 == 0 ? '\n' :
			    (char)('a' + (x >> 16) % 26);
		}
		if (buf_addf(&b, "%zu:%u", n + 1, (x >> 4) % 3) != 0 ||
		    buf_add(&b, text, n) != 0 || buf_add(&b, ",", 1) != 0)
			fatalx("buf_add");
	}
	return (buf_steal(&b, len));
}

/*
 * Opens dir/name and expects reading it to fail with a cause containing
 * what; if prefix is not NULL, the bytes before the error must be a
 * non-empty prefix of it.
 */
static void
expect_error_after(const char *dir, const char *name, const char *what,
    const char *label, const char *prefix, size_t prefixlen)
{
	struct logfile	*lf;
	struct buf	 b;
	char		*cause = NULL;
	int		 r;

	if ((lf = logfile_open(dir, name, &cause)) == NULL) {
		ok(0, "%s: open", label);
		free(cause);
		return;
	}
	r = read_all(lf, 65536, &b, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, what) != NULL &&
	    strstr(cause, name) != NULL && strstr(cause, "offset ") != NULL,
	    "%s: \"%s\"", label, cause != NULL ? cause : "(no error)");
	if (prefix != NULL) {
		ok(b.len > 0 && b.len <= prefixlen &&
		    memcmp(b.data, prefix, b.len) == 0,
		    "%s: the %zu bytes before the damage came first", label,
		    b.len);
	}
	free(cause);
	cause = NULL;
	ok(logfile_read(lf, b.data, 1, &cause) == -1,
	    "%s: read after the error fails", label);
	free(cause);
	buf_free(&b);
	logfile_close(lf);
}

static void
expect_error(const char *dir, const char *name, const char *what,
    const char *label)
{
	expect_error_after(dir, name, what, label, NULL, 0);
}

static void
test_compressed(const char *tmp)
{
	struct logfile		*lf;
	struct logfile_parser	 p;
	struct buf		 b, both;
	char			*stream, *bz, *gz, *cause = NULL, *joined;
	size_t			 len, bzlen, gzlen, half;
	static const size_t	 sizes[] = { 1, 7, 4096, 1 << 20 };
	size_t			 i;
	int			 r;

	stream = make_stream(3 << 20, &len);
	logfile_parser_init(&p);
	r = logfile_parser_feed(&p, stream, len, NULL, NULL, &cause);
	ok(r == 0 && p.chunks > 1000 && logfile_parser_tail(&p) == 0,
	    "generated stream parses (%zu bytes)", len);

	bz = bz2_compress(stream, len, 1, &bzlen);
	gz = gz_compress(stream, len, &gzlen);
	put(tmp, "big.bz2", bz, bzlen);
	put(tmp, "big2.gz", gz, gzlen);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (sizes[i] == 1 && len > (1 << 20))
			continue;
		lf = logfile_open(tmp, "big", &cause);
		r = lf != NULL ? read_all(lf, sizes[i], &b, &cause) : -1;
		ok(r == 0 && b.len == len && memcmp(b.data, stream, len) == 0,
		    "bz2 of %zu bytes (%zu compressed) with %zu-byte reads",
		    len, bzlen, sizes[i]);
		if (lf != NULL) {
			is_int(logfile_input_offset(lf), bzlen,
			    "bz2: whole file consumed");
			buf_free(&b);
		}
		logfile_close(lf);
		lf = logfile_open(tmp, "big2", &cause);
		r = lf != NULL ? read_all(lf, sizes[i], &b, &cause) : -1;
		ok(r == 0 && b.len == len && memcmp(b.data, stream, len) == 0,
		    "gz with %zu-byte reads", sizes[i]);
		if (lf != NULL)
			buf_free(&b);
		logfile_close(lf);
	}
	free(cause);
	cause = NULL;

	/* Truncation anywhere in the stream is an error, never a short log. */
	half = bzlen / 2;
	put(tmp, "trunc-bz.bz2", bz, half);
	expect_error_after(tmp, "trunc-bz", "truncated bzip2 stream",
	    "bz2 cut in half", stream, len);
	put(tmp, "trunc-bz-end.bz2", bz, bzlen - 1);
	expect_error(tmp, "trunc-bz-end", "truncated bzip2 stream",
	    "bz2 missing its last byte");
	put(tmp, "trunc-gz.gz", gz, gzlen / 2);
	expect_error_after(tmp, "trunc-gz", "truncated gzip stream",
	    "gz cut in half", stream, len);
	put(tmp, "trunc-gz-end.gz", gz, gzlen - 4);
	expect_error(tmp, "trunc-gz-end", "truncated gzip stream",
	    "gz missing its size trailer");
	put(tmp, "empty-bz.bz2", "", 0);
	expect_error(tmp, "empty-bz", "no bzip2 stream", "empty .bz2");
	put(tmp, "empty-gz.gz", "", 0);
	expect_error(tmp, "empty-gz", "no gzip stream", "empty .gz");

	bz[bzlen / 2] ^= 0x55;
	put(tmp, "corrupt.bz2", bz, bzlen);
	expect_error(tmp, "corrupt", "corrupt bzip2 data", "bz2 corrupted");
	bz[bzlen / 2] ^= 0x55;
	gz[gzlen - 6] ^= 0x01;
	put(tmp, "corrupt-gz.gz", gz, gzlen);
	expect_error(tmp, "corrupt-gz", "incorrect data check",
	    "gz with a bad CRC");
	gz[gzlen - 6] ^= 0x01;
	put(tmp, "notbz.bz2", "4:0raw,", 7);
	expect_error(tmp, "notbz", "not a bzip2 stream", "raw bytes in .bz2");

	free(bz);
	free(gz);
	free(stream);

	/* Concatenated streams read as one, as bzcat and gzip -d do. */
	/* bz holds the first stream, gz (reused) the second. */
	bz = bz2_compress("2:0a,", 5, 9, &bzlen);
	gz = bz2_compress("3:1bc,", 6, 9, &gzlen);
	buf_init(&both, 0);
	if (buf_add(&both, bz, bzlen) != 0 || buf_add(&both, gz, gzlen) != 0)
		fatalx("buf_add");
	put(tmp, "cat.bz2", both.data, both.len);
	check_open(tmp, "cat", LOGFILE_BZ2, "2:0a,3:1bc,",
	    "concatenated bz2 streams");
	if (buf_add(&both, "junk", 4) != 0)
		fatalx("buf_add");
	put(tmp, "junk.bz2", both.data, both.len);
	expect_error(tmp, "junk", "trailing garbage after bzip2 stream",
	    "bz2 with trailing garbage");
	free(bz);
	free(gz);
	buf_reset(&both);

	/* gz holds the first member, bz (reused) the second. */
	gz = gz_compress("2:0a,", 5, &gzlen);
	bz = gz_compress("3:1bc,", 6, &bzlen);
	if (buf_add(&both, gz, gzlen) != 0 || buf_add(&both, bz, bzlen) != 0)
		fatalx("buf_add");
	put(tmp, "cat.gz", both.data, both.len);
	check_open(tmp, "cat", LOGFILE_BZ2, "2:0a,3:1bc,",
	    "bz2 still preferred when both are concatenations");
	joined = join(tmp, "cat.bz2");
	unlink(joined);
	free(joined);
	check_open(tmp, "cat", LOGFILE_GZ, "2:0a,3:1bc,",
	    "concatenated gzip members");
	if (buf_add(&both, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) != 0)
		fatalx("buf_add");
	put(tmp, "zeros.gz", both.data, both.len);
	expect_error(tmp, "zeros", "trailing garbage after gzip stream",
	    "gz with trailing zeros");

	/* The same from memory. */
	lf = logfile_open_memory(gz, gzlen, LOGFILE_GZ, "mem");
	ok(read_all(lf, 2, &b, &cause) == 0 && b.len == 5 &&
	    memcmp(b.data, "2:0a,", 5) == 0, "gzip from memory");
	is_str(logfile_path(lf), "mem", "memory label");
	buf_free(&b);
	logfile_close(lf);
	lf = logfile_open_memory(gz, gzlen - 1, LOGFILE_GZ, "mem");
	r = read_all(lf, 64, &b, &cause);
	ok(r == -1 && cause != NULL &&
	    strncmp(cause, "mem: offset ", 12) == 0,
	    "truncated gzip from memory: \"%s\"", cause ? cause : "");
	free(cause);
	buf_free(&b);
	logfile_close(lf);
	free(gz);
	free(bz);
	buf_free(&both);
}

/* Expected totals, counted once with an independent Python script. */
struct fixture_log {
	const char		*dir;
	const char		*name;
	enum logfile_format	 format;
	uint64_t		 size;		/* decompressed bytes */
	uint64_t		 chunks;
	uint64_t		 ch[3];
	uint64_t		 lines;
};

static const struct fixture_log fixture_logs[] = {
	{ "master-0-7-5/tbdir", "0-log-shell-stdio", LOGFILE_RAW, 4137, 3,
	  { 12, 0, 4108 }, 1 },
	{ "v082/builder", "0-log-git-stdio", LOGFILE_BZ2, 18534, 7,
	  { 72, 89, 18332 }, 4 },
	{ "v082/builder", "0-log-shell-stdio", LOGFILE_BZ2, 4517, 1,
	  { 0, 0, 4510 }, 0 },
	{ "v082/builder", "0-log-shell_1-stdio", LOGFILE_BZ2, 4526, 3,
	  { 4, 0, 4506 }, 1 },
	{ "v082/builder", "1-log-git-err.text", LOGFILE_RAW, 223, 1,
	  { 217, 0, 0 }, 3 },
	{ "v082/builder", "1-log-git-stdio", LOGFILE_RAW, 260, 1,
	  { 0, 0, 254 }, 0 },
	{ "v082/builder", "2-log-git-stdio", LOGFILE_BZ2, 27753, 9,
	  { 179, 89, 27431 }, 5 },
	{ "v082/builder", "2-log-shell-interrupt", LOGFILE_RAW, 173, 1,
	  { 167, 0, 0 }, 1 },
	{ "v082/builder", "2-log-shell-stdio", LOGFILE_RAW, 4643, 1,
	  { 0, 0, 4636 }, 0 },
	{ "v082/builder", "3-log-git-stdio", LOGFILE_BZ2, 18534, 7,
	  { 72, 89, 18332 }, 4 },
	{ "v082/builder", "3-log-shell-stdio", LOGFILE_BZ2, 4517, 1,
	  { 0, 0, 4510 }, 0 },
	{ "v082/builder", "3-log-shell_1-stdio", LOGFILE_BZ2, 4526, 3,
	  { 4, 0, 4506 }, 1 },
	{ "v087p1/runtests", "0-log-git-stdio", LOGFILE_BZ2, 5028, 7,
	  { 81, 0, 4906 }, 3 },
	{ "v087p1/runtests", "0-log-shell-stdio", LOGFILE_BZ2, 22340, 5,
	  { 20711, 0, 1595 }, 331 },
	{ "v087p1/runtests", "1-log-git-stdio", LOGFILE_BZ2, 6807, 9,
	  { 111, 86, 6557 }, 5 },
	{ "v087p1/runtests", "1-log-shell-stdio", LOGFILE_BZ2, 22340, 5,
	  { 20711, 0, 1595 }, 331 },
};

/* Runs a shell command and returns its standard output. */
static int
command_output(const char *cmd, struct buf *out)
{
	FILE	*f;
	char	 tmp[65536];
	size_t	 n;

	buf_init(out, 64 << 20);
	if ((f = popen(cmd, "r")) == NULL)
		return (-1);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (buf_add(out, tmp, n) != 0)
			break;
	}
	return (pclose(f) == 0 ? 0 : -1);
}

static void
test_fixtures(const char *tmp)
{
	const struct fixture_log	*fl;
	struct logfile			*lf;
	struct logfile_parser		 p;
	struct seen			 s;
	struct buf			 b, want;
	const char			*fixtures;
	char				*cmd, *dir, *cause = NULL;
	static const char		*tarballs[] = {
		"master-0-7-5", "v082", "v087p1"
	};
	size_t				 i;
	int				 r;

	fixtures = getenv("BBM_FIXTURES");
	if (fixtures == NULL || *fixtures == '\0') {
		tap_diag("BBM_FIXTURES not set: skipping the fixture logs");
		return;
	}
	for (i = 0; i < sizeof tarballs / sizeof tarballs[0]; i++) {
		xasprintf(&cmd, "tar xzf '%s/%s.tgz' -C '%s'", fixtures,
		    tarballs[i], tmp);
		r = system(cmd);
		free(cmd);
		if (r != 0) {
			tap_diag("cannot unpack %s/%s.tgz: skipping the "
			    "fixture logs", fixtures, tarballs[i]);
			return;
		}
	}
	for (i = 0; i < sizeof fixture_logs / sizeof fixture_logs[0]; i++) {
		fl = &fixture_logs[i];
		xasprintf(&dir, "%s/%s", tmp, fl->dir);
		lf = logfile_open(dir, fl->name, &cause);
		if (!ok(lf != NULL, "%s/%s: opened", fl->dir, fl->name)) {
			tap_diag("%s", cause != NULL ? cause : "missing");
			free(cause);
			cause = NULL;
			free(dir);
			continue;
		}
		is_str(logfile_format_name(logfile_format(lf)),
		    logfile_format_name(fl->format), "%s/%s: format",
		    fl->dir, fl->name);
		r = read_all(lf, 4096, &b, &cause);
		ok(r == 0, "%s/%s: read", fl->dir, fl->name);
		is_int(b.len, fl->size, "%s/%s: size", fl->dir, fl->name);

		seen_init(&s);
		logfile_parser_init(&p);
		r = logfile_parser_feed(&p, b.data, b.len, seen_cb, &s, &cause);
		ok(r == 0 && logfile_parser_tail(&p) == 0,
		    "%s/%s: parses completely", fl->dir, fl->name);
		is_int(p.chunks, fl->chunks, "%s/%s: chunks", fl->dir,
		    fl->name);
		ok(p.channel_bytes[0] == fl->ch[0] &&
		    p.channel_bytes[1] == fl->ch[1] &&
		    p.channel_bytes[2] == fl->ch[2] &&
		    p.text_bytes == fl->ch[0] + fl->ch[1] + fl->ch[2],
		    "%s/%s: channel totals %" PRIu64 "/%" PRIu64 "/%" PRIu64,
		    fl->dir, fl->name, p.channel_bytes[0], p.channel_bytes[1],
		    p.channel_bytes[2]);
		is_int(p.lines, fl->lines, "%s/%s: lines", fl->dir, fl->name);
		if (i == 0) {
			ok(s.text[0].len == 12 && memcmp(s.text[0].data,
			    "partly \xe2\x98\x81y\n", 12) == 0,
			    "0.7.5 stdout is the UTF-8 chunk");
		}
		if (fl->format == LOGFILE_BZ2) {
			xasprintf(&cmd, "bzcat '%s'", logfile_path(lf));
			r = command_output(cmd, &want);
			ok(r == 0 && want.len == b.len &&
			    memcmp(want.data, b.data, b.len) == 0,
			    "%s/%s: same bytes as bzcat", fl->dir, fl->name);
			buf_free(&want);
			free(cmd);
		} else {
			xasprintf(&cmd, "cat '%s/%s'", dir, fl->name);
			r = command_output(cmd, &want);
			ok(r == 0 && want.len == b.len &&
			    memcmp(want.data, b.data, b.len) == 0,
			    "%s/%s: same bytes as the file", fl->dir, fl->name);
			buf_free(&want);
			free(cmd);
		}
		seen_free(&s);
		buf_free(&b);
		free(cause);
		cause = NULL;
		logfile_close(lf);
		free(dir);
	}
}

int
main(void)
{
	char	 tmp[] = "/tmp/test-logfile.XXXXXX";
	char	*cmd;

	if (mkdtemp(tmp) == NULL)
		fatal("mkdtemp");
	test_parse_table();
	test_parse_splits();
	test_parse_stop();
	test_open_order(tmp);
	test_compressed(tmp);
	test_fixtures(tmp);
	xasprintf(&cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", tmp);
	free(cmd);
	return (tap_done());
}
