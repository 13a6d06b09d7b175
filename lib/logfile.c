/*
 * logfile.c: the master's log chunk parser and the reader of raw, bzip2 and
 * gzip log files.
 */
#include "config.h"
#include "logfile.h"

#include <sys/stat.h>

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

/*
 * Compressed input is read in blocks this large: big enough that read(2)
 * costs nothing next to decompression, small enough to stay in cache.
 */
#define LOGFILE_INBUF		(256 * 1024)

/* Both libraries count in unsigned int; larger spans are fed in pieces. */
#define LOGFILE_STEP_MAX	((size_t)1 << 30)

struct logfile {
	enum logfile_format	 format;
	char			*path;
	int			 fd;		/* -1 when reading from memory */

	unsigned char		*inbuf;		/* compressed formats, fd only */
	const unsigned char	*in;		/* input not yet consumed */
	size_t			 in_avail;
	uint64_t		 in_used;	/* input bytes consumed */
	int			 in_eof;	/* nothing left to read */

	int			 active;	/* inside a compressed stream */
	uint64_t		 streams;	/* streams started */
	uint64_t		 stream_start;	/* input offset of the current */
	uint64_t		 stream_out;	/* its output bytes so far */
	int			 failed;
	char			*pending;	/* error after a short read */
	int			 done;

	bz_stream		 bz;
	z_stream		 z;
	int			 z_ready;	/* inflateInit2 done */
};

static const struct {
	const char		*suffix;
	enum logfile_format	 format;
} logfile_order[] = {
	{ ".bz2", LOGFILE_BZ2 },
	{ ".gz", LOGFILE_GZ },
	{ "", LOGFILE_RAW },
};

void
logfile_parser_init(struct logfile_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = LOGFILE_PARSE_LENGTH;
}

/* Puts the parser in the failed state and builds *cause at the offset. */
static int PRINTFLIKE(3, 4)
logfile_parser_fail(struct logfile_parser *p, char **cause, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(cause, "offset %" PRIu64 ": %s", p->offset, msg);
	free(msg);
	p->state = LOGFILE_PARSE_FAILED;
	return (-1);
}

static uint64_t
logfile_count_lines(const unsigned char *s, size_t len)
{
	const unsigned char	*end = s + len, *nl;
	uint64_t		 n = 0;

	while (s < end && (nl = memchr(s, '\n', end - s)) != NULL) {
		n++;
		s = nl + 1;
	}
	return (n);
}

/*
 * The parser is a byte-level state machine for the framing; chunk text is
 * passed through in whole spans straight from the caller's buffer, which
 * is where nearly all the bytes are.
 */
int
logfile_parser_feed(struct logfile_parser *p, const void *data, size_t len,
    logfile_chunk_cb cb, void *arg, char **cause)
{
	const unsigned char	*s = data, *end = s + len;
	size_t			 n;
	unsigned char		 c;
	int			 last;

	if (p->state == LOGFILE_PARSE_FAILED) {
		xasprintf(cause, "offset %" PRIu64 ": stream already failed",
		    p->offset);
		return (-1);
	}
	while (s < end) {
		switch (p->state) {
		case LOGFILE_PARSE_LENGTH:
			c = *s;
			if (c == ':') {
				if (p->digits == 0) {
					return (logfile_parser_fail(p, cause,
					    "chunk has no length digits"));
				}
				if (p->length == 0) {
					return (logfile_parser_fail(p, cause,
					    "chunk length is 0 (no channel)"));
				}
				p->state = LOGFILE_PARSE_CHANNEL;
			} else if (c >= '0' && c <= '9') {
				if (p->digits == LOGFILE_MAX_DIGITS) {
					return (logfile_parser_fail(p, cause,
					    "chunk length has more than %d "
					    "digits", LOGFILE_MAX_DIGITS));
				}
				p->length = p->length * 10 + (c - '0');
				p->digits++;
			} else {
				return (logfile_parser_fail(p, cause,
				    "byte 0x%02x where a chunk length digit "
				    "was expected", c));
			}
			s++;
			p->offset++;
			break;
		case LOGFILE_PARSE_CHANNEL:
			c = *s;
			if (c < '0' || c > '9') {
				return (logfile_parser_fail(p, cause,
				    "channel byte 0x%02x is not a digit", c));
			}
			p->channel = c - '0';
			p->left = p->length - 1;
			s++;
			p->offset++;
			if (p->left != 0) {
				p->state = LOGFILE_PARSE_TEXT;
				break;
			}
			p->state = LOGFILE_PARSE_COMMA;
			if (cb != NULL && cb(arg, p->channel, "", 0, 1) != 0) {
				return (logfile_parser_fail(p, cause,
				    "stopped by consumer"));
			}
			break;
		case LOGFILE_PARSE_TEXT:
			n = (size_t)(end - s);
			if (n > p->left)
				n = (size_t)p->left;
			if (p->channel == LOGFILE_STDOUT ||
			    p->channel == LOGFILE_STDERR)
				p->pending_lines += logfile_count_lines(s, n);
			p->left -= n;
			p->offset += n;
			last = (p->left == 0);
			if (last)
				p->state = LOGFILE_PARSE_COMMA;
			if (cb != NULL &&
			    cb(arg, p->channel, (const char *)s, n, last) != 0) {
				return (logfile_parser_fail(p, cause,
				    "stopped by consumer"));
			}
			s += n;
			break;
		case LOGFILE_PARSE_COMMA:
			if (*s != ',') {
				return (logfile_parser_fail(p, cause,
				    "byte 0x%02x where ',' ending the chunk "
				    "at offset %" PRIu64 " was expected", *s,
				    p->boundary));
			}
			s++;
			p->offset++;
			p->chunks++;
			p->channel_bytes[p->channel] += p->length - 1;
			p->text_bytes += p->length - 1;
			p->lines += p->pending_lines;
			p->pending_lines = 0;
			p->boundary = p->offset;
			p->length = 0;
			p->digits = 0;
			p->state = LOGFILE_PARSE_LENGTH;
			break;
		case LOGFILE_PARSE_FAILED:
			fatalx("%s: impossible state", __func__);
		}
	}
	return (0);
}

uint64_t
logfile_parser_tail(const struct logfile_parser *p)
{
	return (p->offset - p->boundary);
}

/*
 * Names come from pickles; anything that could leave the builder directory
 * is refused. A ".." inside a name ("a..b") is harmless without a '/'.
 */
static int
logfile_name_valid(const char *name)
{
	if (*name == '\0' || strchr(name, '/') != NULL)
		return (0);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (0);
	return (1);
}

static struct logfile *
logfile_new(enum logfile_format format, char *path, int fd)
{
	struct logfile	*lf;

	lf = xcalloc(1, sizeof *lf);
	lf->format = format;
	lf->path = path;
	lf->fd = fd;
	return (lf);
}

/*
 * The master compresses a finished log by writing <name>.bz2.tmp, renaming
 * it to <name>.bz2 and unlinking <name>. A lookup that races with this can
 * miss the .bz2 (not yet renamed) and then the raw file (just unlinked), so
 * when nothing is found the three names are tried once more.
 */
struct logfile *
logfile_open(const char *dir, const char *name, char **cause)
{
	struct logfile	*lf;
	struct stat	 st;
	char		*path;
	size_t		 i;
	int		 attempt, fd;

	*cause = NULL;
	if (!logfile_name_valid(name)) {
		xasprintf(cause, "%s: log file name \"%s\" is not a plain file "
		    "name", dir, name);
		return (NULL);
	}
	for (attempt = 0; attempt < 2; attempt++) {
		for (i = 0; i < sizeof logfile_order / sizeof logfile_order[0];
		    i++) {
			xasprintf(&path, "%s/%s%s", dir, name,
			    logfile_order[i].suffix);
			fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK);
			if (fd == -1 && errno == ENOENT) {
				free(path);
				continue;
			}
			if (fd == -1) {
				xasprintf(cause, "%s: %s", path,
				    strerror(errno));
				free(path);
				return (NULL);
			}
			if (fstat(fd, &st) == -1)
				xasprintf(cause, "%s: %s", path,
				    strerror(errno));
			else if (!S_ISREG(st.st_mode))
				xasprintf(cause, "%s: not a regular file",
				    path);
			if (*cause != NULL) {
				close(fd);
				free(path);
				return (NULL);
			}
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			lf = logfile_new(logfile_order[i].format, path, fd);
			if (lf->format != LOGFILE_RAW)
				lf->inbuf = xmalloc(LOGFILE_INBUF);
			return (lf);
		}
	}
	return (NULL);
}

struct logfile *
logfile_open_memory(const void *data, size_t len, enum logfile_format format,
    const char *label)
{
	struct logfile	*lf;

	lf = logfile_new(format, xstrdup(label), -1);
	lf->in = data;
	lf->in_avail = len;
	lf->in_eof = 1;
	return (lf);
}

/* Marks the file failed and builds *cause naming path and input offset. */
static ssize_t PRINTFLIKE(3, 4)
logfile_fail(struct logfile *lf, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s: offset %" PRIu64 ": %s", lf->path, lf->in_used,
	    msg);
	free(msg);
	lf->failed = 1;
	return (-1);
}

/*
 * Refills the input block once it has been consumed. Never called for
 * memory input, which is all available (in_eof) from the start.
 */
static int
logfile_fill(struct logfile *lf, char **cause)
{
	ssize_t	 n;

	do
		n = read(lf->fd, lf->inbuf, LOGFILE_INBUF);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return ((int)logfile_fail(lf, cause, "%s", strerror(errno)));
	if (n == 0)
		lf->in_eof = 1;
	lf->in = lf->inbuf;
	lf->in_avail = (size_t)n;
	return (0);
}

static void
logfile_consume(struct logfile *lf, size_t n)
{
	lf->in += n;
	lf->in_avail -= n;
	lf->in_used += n;
}

static ssize_t
logfile_read_raw(struct logfile *lf, unsigned char *out, size_t len,
    char **cause)
{
	ssize_t	 n;

	if (lf->fd == -1) {
		if (len > lf->in_avail)
			len = lf->in_avail;
		memcpy(out, lf->in, len);
		logfile_consume(lf, len);
		return ((ssize_t)len);
	}
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	do
		n = read(lf->fd, out, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (logfile_fail(lf, cause, "%s", strerror(errno)));
	lf->in_used += (uint64_t)n;
	return (n);
}

static const char *
logfile_bz2_error(int r)
{
	switch (r) {
	case BZ_DATA_ERROR:
		return ("corrupt bzip2 data");
	case BZ_DATA_ERROR_MAGIC:
		return ("not a bzip2 stream");
	case BZ_MEM_ERROR:
		return ("out of memory in bzip2");
	case BZ_PARAM_ERROR:
		return ("bzip2 parameter error");
	default:
		return ("bzip2 error");
	}
}

/*
 * Decompresses straight into the caller's buffer until it is full or the
 * input ends. Each stream has its own BZ2_bzDecompressInit because libbz2
 * cannot be reset; a new stream starts wherever the previous one ended.
 */
static ssize_t
logfile_read_bz2(struct logfile *lf, unsigned char *out, size_t len,
    size_t *donep, char **cause)
{
	size_t		 done = 0, in_n, out_n, used, made;
	int		 r;

	while (done < len) {
		if (lf->in_avail == 0 && !lf->in_eof &&
		    logfile_fill(lf, cause) != 0)
			return (-1);
		if (!lf->active) {
			if (lf->in_avail == 0) {
				if (lf->streams == 0) {
					return (logfile_fail(lf, cause,
					    "empty file, no bzip2 stream"));
				}
				lf->done = 1;
				break;
			}
			memset(&lf->bz, 0, sizeof lf->bz);
			if ((r = BZ2_bzDecompressInit(&lf->bz, 0, 0)) != BZ_OK) {
				return (logfile_fail(lf, cause, "%s",
				    logfile_bz2_error(r)));
			}
			lf->active = 1;
			lf->streams++;
			lf->stream_start = lf->in_used;
			lf->stream_out = 0;
		}
		in_n = lf->in_avail < LOGFILE_STEP_MAX ? lf->in_avail :
		    LOGFILE_STEP_MAX;
		out_n = len - done < LOGFILE_STEP_MAX ? len - done :
		    LOGFILE_STEP_MAX;
		lf->bz.next_in = (char *)(uintptr_t)lf->in;
		lf->bz.avail_in = (unsigned int)in_n;
		lf->bz.next_out = (char *)out + done;
		lf->bz.avail_out = (unsigned int)out_n;
		r = BZ2_bzDecompress(&lf->bz);
		used = in_n - lf->bz.avail_in;
		made = out_n - lf->bz.avail_out;
		logfile_consume(lf, used);
		done += made;
		*donep = done;
		lf->stream_out += made;
		if (r == BZ_STREAM_END) {
			BZ2_bzDecompressEnd(&lf->bz);
			lf->active = 0;
			continue;
		}
		if (r != BZ_OK) {
			BZ2_bzDecompressEnd(&lf->bz);
			lf->active = 0;
			if (r == BZ_DATA_ERROR_MAGIC && lf->streams > 1) {
				return (logfile_fail(lf, cause, "trailing "
				    "garbage after bzip2 stream"));
			}
			return (logfile_fail(lf, cause, "%s (stream at offset "
			    "%" PRIu64 ")", logfile_bz2_error(r),
			    lf->stream_start));
		}
		if (used == 0 && made == 0 && (lf->in_avail != 0 ||
		    lf->in_eof)) {
			BZ2_bzDecompressEnd(&lf->bz);
			lf->active = 0;
			return (logfile_fail(lf, cause, "%s bzip2 stream "
			    "(started at offset %" PRIu64 ")",
			    lf->in_avail == 0 ? "truncated" : "stalled in",
			    lf->stream_start));
		}
	}
	return ((ssize_t)done);
}

/*
 * As logfile_read_bz2 for gzip; inflateReset starts each further member.
 * A member whose first bytes are not a gzip header is trailing garbage.
 */
static ssize_t
logfile_read_gz(struct logfile *lf, unsigned char *out, size_t len,
    size_t *donep, char **cause)
{
	size_t		 done = 0, in_n, out_n, used, made;
	int		 r;

	while (done < len) {
		if (lf->in_avail == 0 && !lf->in_eof &&
		    logfile_fill(lf, cause) != 0)
			return (-1);
		if (!lf->active) {
			if (lf->in_avail == 0) {
				if (lf->streams == 0) {
					return (logfile_fail(lf, cause,
					    "empty file, no gzip stream"));
				}
				lf->done = 1;
				break;
			}
			if (!lf->z_ready) {
				memset(&lf->z, 0, sizeof lf->z);
				r = inflateInit2(&lf->z, 16 + MAX_WBITS);
				if (r != Z_OK) {
					return (logfile_fail(lf, cause,
					    "inflateInit2 failed (%d)", r));
				}
				lf->z_ready = 1;
			} else if (inflateReset(&lf->z) != Z_OK)
				return (logfile_fail(lf, cause, "inflateReset"));
			lf->active = 1;
			lf->streams++;
			lf->stream_start = lf->in_used;
			lf->stream_out = 0;
		}
		in_n = lf->in_avail < LOGFILE_STEP_MAX ? lf->in_avail :
		    LOGFILE_STEP_MAX;
		out_n = len - done < LOGFILE_STEP_MAX ? len - done :
		    LOGFILE_STEP_MAX;
		lf->z.next_in = lf->in;
		lf->z.avail_in = (uInt)in_n;
		lf->z.next_out = out + done;
		lf->z.avail_out = (uInt)out_n;
		r = inflate(&lf->z, Z_NO_FLUSH);
		used = in_n - lf->z.avail_in;
		made = out_n - lf->z.avail_out;
		logfile_consume(lf, used);
		done += made;
		*donep = done;
		lf->stream_out += made;
		if (r == Z_STREAM_END) {
			lf->active = 0;
			continue;
		}
		if (r == Z_OK || r == Z_BUF_ERROR) {
			if (used == 0 && made == 0 && (lf->in_avail != 0 ||
			    lf->in_eof)) {
				lf->active = 0;
				return (logfile_fail(lf, cause, "%s gzip stream "
				    "(started at offset %" PRIu64 ")",
				    lf->in_avail == 0 ? "truncated" :
				    "stalled in", lf->stream_start));
			}
			continue;
		}
		lf->active = 0;
		if (r == Z_DATA_ERROR && lf->streams > 1 &&
		    lf->stream_out == 0 && lf->z.total_in < 10) {
			return (logfile_fail(lf, cause, "trailing garbage after "
			    "gzip stream"));
		}
		return (logfile_fail(lf, cause, "%s (stream at offset %" PRIu64
		    ")", lf->z.msg != NULL ? lf->z.msg : "gzip error",
		    lf->stream_start));
	}
	return ((ssize_t)done);
}

/*
 * Bytes decompressed before an error are returned first, so a consumer sees
 * everything up to the damage; the error comes with the next call.
 */
ssize_t
logfile_read(struct logfile *lf, void *buf, size_t len, char **cause)
{
	size_t	 done = 0;
	ssize_t	 n = -1;

	if (lf->pending != NULL) {
		*cause = lf->pending;
		lf->pending = NULL;
		return (-1);
	}
	if (lf->failed) {
		xasprintf(cause, "%s: read after an earlier error", lf->path);
		return (-1);
	}
	if (lf->done || len == 0)
		return (0);
	switch (lf->format) {
	case LOGFILE_RAW:
		return (logfile_read_raw(lf, buf, len, cause));
	case LOGFILE_BZ2:
		n = logfile_read_bz2(lf, buf, len, &done, cause);
		break;
	case LOGFILE_GZ:
		n = logfile_read_gz(lf, buf, len, &done, cause);
		break;
	}
	if (n == -1 && done != 0) {
		lf->pending = *cause;
		*cause = NULL;
		return ((ssize_t)done);
	}
	return (n);
}

enum logfile_format
logfile_format(const struct logfile *lf)
{
	return (lf->format);
}

const char *
logfile_format_name(enum logfile_format format)
{
	switch (format) {
	case LOGFILE_RAW:
		return ("raw");
	case LOGFILE_BZ2:
		return ("bz2");
	case LOGFILE_GZ:
		return ("gz");
	}
	return ("unknown");
}

const char *
logfile_path(const struct logfile *lf)
{
	return (lf->path);
}

uint64_t
logfile_input_offset(const struct logfile *lf)
{
	return (lf->in_used);
}

void
logfile_close(struct logfile *lf)
{
	if (lf == NULL)
		return;
	if (lf->active && lf->format == LOGFILE_BZ2)
		BZ2_bzDecompressEnd(&lf->bz);
	if (lf->z_ready)
		inflateEnd(&lf->z);
	if (lf->fd != -1)
		close(lf->fd);
	free(lf->pending);
	free(lf->inbuf);
	free(lf->path);
	free(lf);
}
