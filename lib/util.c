/*
 * util.c: allocation, capped buffers, logging and UTF-8 helpers.
 */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char	*log_program = "bbmirror";
static int		 log_quiet;
static int		 log_syslog;	/* log_open_syslog was called */
static int		 log_fd = -1;	/* log_open_file's file */
static char		*log_path;

static void	log_vwrite_to(int, const char *, va_list, const char *);

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("malloc %zu", size);
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatal("calloc %zu*%zu", n, size);
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		fatalx("reallocarray: %zu*%zu overflows", n, size);
	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = realloc(old, n * size)) == NULL)
		fatal("realloc %zu*%zu", n, size);
	return (p);
}

char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

char *
xstrndup(const char *s, size_t len)
{
	char	*p;

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 n;

	if ((n = vasprintf(ret, fmt, ap)) < 0)
		fatal("vasprintf");
	return (n);
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (n);
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = (max == 0) ? (size_t)1 << 30 : max;
}

int
buf_add(struct buf *b, const void *p, size_t len)
{
	size_t	 need, cap;

	if (len > b->max || b->len > b->max - len)
		return (-1);
	need = b->len + len + 1;
	if (need > b->cap) {
		cap = (b->cap == 0) ? 256 : b->cap;
		while (cap < need)
			cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		b->data = xreallocarray(b->data, 1, cap);
		b->cap = cap;
	}
	if (len != 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, r;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	r = buf_add(b, s, (size_t)n);
	free(s);
	return (r);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char	*p;

	if (b->data == NULL && buf_add(b, "", 0) != 0)
		fatalx("buf_steal: empty buffer refused");
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return (p);
}

void
log_set_program(const char *name)
{
	log_program = name;
}

void
log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite_to(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	log_vwrite_to(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite_to(LOG_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(2);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite_to(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(2);
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0.
 * Encoded surrogates (ED A0..BF xx) are valid only if surrogates is set:
 * Python 2 writes lone surrogates that way and reads them back.
 */
size_t
utf8_seq(const void *data, size_t n, int surrogates)
{
	const unsigned char	*p = data;
	uint32_t		 cp;
	size_t			 len, i;

	if (n == 0)
		return (0);
	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (!surrogates && cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (len);
}

int
utf8_valid(const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint64_t		 w;
	size_t			 i = 0, n;

	/* ASCII eight bytes at a time: most text of logs and events is. */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	for (; i < len; i += n) {
		if ((n = utf8_seq(p + i, len - i, 0)) == 0)
			return (0);
	}
	return (1);
}

char *
utf8_from_bytes(const void *data, size_t len, size_t *outlen)
{
	const unsigned char	*p = data;
	char			*out;
	size_t			 i, o;

	if (utf8_valid(data, len)) {
		out = xstrndup(data, len);
		o = len;
	} else {
		if (len > (SIZE_MAX - 1) / 2)
			fatalx("utf8_from_bytes: %zu bytes", len);
		out = xmalloc(len * 2 + 1);
		for (i = o = 0; i < len; i++) {
			if (p[i] < 0x80)
				out[o++] = (char)p[i];
			else {
				out[o++] = (char)(0xc0 | (p[i] >> 6));
				out[o++] = (char)(0x80 | (p[i] & 0x3f));
			}
		}
		out[o] = '\0';
	}
	if (outlen != NULL)
		*outlen = o;
	return (out);
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

uint64_t
fnv1a64(uint64_t h, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return (h);
}

int
read_file(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	struct stat	 st;
	struct buf	 b;
	char		 tmp[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: is a directory", path);
		close(fd);
		return (-1);
	}
	buf_init(&b, max);
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: offset %zu: %s", path, b.len,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (buf_add(&b, tmp, (size_t)n) != 0) {
			xasprintf(cause, "%s: larger than the limit of %zu bytes",
			    path, max);
			goto fail;
		}
	}
	close(fd);
	*data = buf_steal(&b, len);
	return (0);
fail:
	close(fd);
	buf_free(&b);
	return (-1);
}

/*
 * Writes one log line where the log goes: syslog (at priority) once
 * log_open_syslog was called, else the file of log_open_file (one write,
 * with a UTC timestamp, so lines of concurrent writers do not mix), else
 * stderr as "program: message".
 */
static void
log_vwrite_to(int priority, const char *fmt, va_list ap, const char *suffix)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		*msg, *line, stamp[32];
	int		 n;

	if (!log_syslog && log_fd == -1) {
		fprintf(stderr, "%s: ", log_program);
		vfprintf(stderr, fmt, ap);
		if (suffix != NULL)
			fprintf(stderr, ": %s", suffix);
		fputc('\n', stderr);
		return;
	}
	xvasprintf(&msg, fmt, ap);
	if (log_syslog) {
		if (suffix != NULL)
			syslog(priority, "%s: %s", msg, suffix);
		else
			syslog(priority, "%s", msg);
		free(msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = xasprintf(&line, "%s.%03ldZ %s: %s%s%s\n", stamp,
	    ts.tv_nsec / 1000000, log_program, msg, suffix != NULL ? ": " : "",
	    suffix != NULL ? suffix : "");
	if (write(log_fd, line, (size_t)n) != n) {
		/* Nowhere better to say it. */
		fputs(line, stderr);
	}
	free(line);
	free(msg);
}

void
log_open_syslog(const char *ident)
{
	openlog(ident, LOG_PID|LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

/* Opens path for appending, 0640. Returns the descriptor or -1. */
static int
log_open_fd(const char *path, char **cause)
{
	int	 fd;

	fd = open(path, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0640);
	if (fd == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	return (fd);
}

int
log_open_file(const char *path, char **cause)
{
	int	 fd;

	if ((fd = log_open_fd(path, cause)) == -1)
		return (-1);
	if (log_fd != -1)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = xstrdup(path);
	return (0);
}

int
log_reopen(char **cause)
{
	int	 fd;

	if (log_fd == -1)
		return (0);
	if ((fd = log_open_fd(log_path, cause)) == -1)
		return (-1);
	close(log_fd);
	log_fd = fd;
	return (0);
}
