/*
 * test-logfile.c: the chunk parser over a table of hand-made streams and
 * over every way of splitting a stream into feeds; main() runs these and
 * the logfile_open tests of test-logfile-open.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "util.h"
#include "tap.h"
#include "test-logfile.h"

void
seen_init(struct seen *s)
{
	int	 i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < LOGFILE_CHANNELS; i++)
		buf_init(&s->text[i], 0);
	buf_init(&s->all, 0);
}

void
seen_free(struct seen *s)
{
	int	 i;

	for (i = 0; i < LOGFILE_CHANNELS; i++)
		buf_free(&s->text[i]);
	buf_free(&s->all);
}

int
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
