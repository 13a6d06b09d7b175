/*
 * fuzz-logfile.c: libFuzzer target for the log chunk parser and the bzip2
 * and gzip readers.
 *
 * The input is parsed in one feed and again in two feeds split at a point
 * taken from its first byte; both must agree and the counters must add up.
 * An input starting with a gzip or bzip2 magic is also decompressed from
 * memory (output capped) and the result parsed the same way.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "util.h"

/* Decompression bombs stop here; the parser is checked on what came out. */
#define FUZZ_OUTPUT_MAX	(4 << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_seen {
	uint64_t	 delivered;
	uint64_t	 ends;
	uint64_t	 newlines;	/* on channels 0 and 1 */
	unsigned int	 sum;		/* touches every byte handed over */
};

static int
fuzz_cb(void *arg, int channel, const char *text, size_t len, int chunk_end)
{
	struct fuzz_seen	*s = arg;
	size_t			 i;

	if (channel < 0 || channel >= LOGFILE_CHANNELS)
		abort();
	if (len == 0 && !chunk_end)
		abort();
	for (i = 0; i < len; i++) {
		s->sum += (unsigned char)text[i];
		if (text[i] == '\n' && channel <= LOGFILE_STDERR)
			s->newlines++;
	}
	s->delivered += len;
	if (chunk_end)
		s->ends++;
	return (0);
}

static void
fuzz_check(const struct logfile_parser *p, const struct fuzz_seen *s, int r)
{
	uint64_t	 sum = 0;
	int		 i;

	for (i = 0; i < LOGFILE_CHANNELS; i++)
		sum += p->channel_bytes[i];
	if (sum != p->text_bytes)
		abort();
	if (p->lines > s->newlines || p->text_bytes > s->delivered)
		abort();
	if (p->chunks > s->ends || logfile_parser_tail(p) > p->offset)
		abort();
	/* Text past the last comma belongs to the incomplete tail. */
	if (r == 0 && s->delivered - p->text_bytes > logfile_parser_tail(p))
		abort();
}

/* Parses data in one feed and in two; returns what the single feed did. */
static int
fuzz_parse(const uint8_t *data, size_t len, size_t cut)
{
	struct logfile_parser	 whole, split;
	struct fuzz_seen	 sw, ss;
	char			*cause = NULL;
	int			 r1, r2;

	memset(&sw, 0, sizeof sw);
	memset(&ss, 0, sizeof ss);
	logfile_parser_init(&whole);
	r1 = logfile_parser_feed(&whole, data, len, fuzz_cb, &sw, &cause);
	if ((r1 == 0) != (cause == NULL))
		abort();
	free(cause);
	cause = NULL;
	fuzz_check(&whole, &sw, r1);

	logfile_parser_init(&split);
	r2 = logfile_parser_feed(&split, data, cut, fuzz_cb, &ss, &cause);
	if (r2 == 0)
		r2 = logfile_parser_feed(&split, data + cut, len - cut, fuzz_cb,
		    &ss, &cause);
	free(cause);
	fuzz_check(&split, &ss, r2);

	if (r1 != r2 || whole.offset != split.offset ||
	    whole.chunks != split.chunks ||
	    whole.text_bytes != split.text_bytes ||
	    whole.lines != split.lines ||
	    memcmp(whole.channel_bytes, split.channel_bytes,
	    sizeof whole.channel_bytes) != 0 ||
	    sw.delivered != ss.delivered || sw.ends != ss.ends ||
	    sw.sum != ss.sum)
		abort();
	if (r1 == 0 && whole.offset != len)
		abort();
	return (r1);
}

static void
fuzz_decompress(const uint8_t *data, size_t len, enum logfile_format format)
{
	struct logfile	*lf;
	struct buf	 out;
	char		 tmp[4096], *cause = NULL;
	ssize_t		 n;

	buf_init(&out, FUZZ_OUTPUT_MAX);
	lf = logfile_open_memory(data, len, format, "fuzz");
	while ((n = logfile_read(lf, tmp, sizeof tmp, &cause)) > 0) {
		if ((size_t)n > sizeof tmp)
			abort();
		if (buf_add(&out, tmp, (size_t)n) != 0)
			break;
	}
	if ((n == -1) != (cause != NULL))
		abort();
	if (logfile_input_offset(lf) > len)
		abort();
	free(cause);
	logfile_close(lf);
	if (out.len != 0)
		(void)fuzz_parse((const uint8_t *)out.data, out.len,
		    out.len / 2);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t	 cut;

	cut = (len == 0) ? 0 : (size_t)data[0] * len / 256;
	(void)fuzz_parse(data, len, cut);
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		fuzz_decompress(data, len, LOGFILE_GZ);
	if (len >= 3 && memcmp(data, "BZh", 3) == 0)
		fuzz_decompress(data, len, LOGFILE_BZ2);
	return (0);
}
