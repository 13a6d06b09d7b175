/*
 * logstore.c: log contents as zstd-compressed files under one directory.
 */
#include "config.h"
#include "logstore.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#define LOGSTORE_SUFFIX		".zst"

struct logstore {
	char		*dir;
	int		 level;
	int		 sync;
	ZSTD_CCtx	*cctx;		/* lent to one writer or append */
	int		 cctx_busy;
	ZSTD_DCtx	*dctx;		/* lent to one reader */
	int		 dctx_busy;
};

struct logstore_writer {
	struct logstore	*ls;
	char		*path;
	char		*tmp;
	int		 fd;
	ZSTD_CCtx	*cctx;
	unsigned char	*out;
	size_t		 out_size;
	uint64_t	 size;
	int		 failed;	/* output lost: never commit */
};

struct logstore_reader {
	struct logstore	*ls;
	char		*path;
	int		 fd;
	ZSTD_DCtx	*dctx;
	unsigned char	*inbuf;
	size_t		 inbuf_size;
	ZSTD_inBuffer	 in;
	uint64_t	 in_read;	/* file bytes read into inbuf */
	int		 eof;
	int		 boundary;	/* the last frame ended */
	int		 failed;
	char		*pending;	/* error after a short read */
};

/* Distinguishes temporaries of the writers of one process. */
static uint64_t	 logstore_tmp_counter;

/*
 * Creates every missing directory of path from byte offset from on (the
 * part before it is known to exist). Modifies path temporarily.
 */
static int
logstore_mkdirs(char *path, size_t from, int last, char **cause)
{
	char	*p;

	for (p = path + from; (p = strchr(p, '/')) != NULL; p++) {
		if (p == path)
			continue;
		*p = '\0';
		if (mkdir(path, 0777) == -1 && errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", path, strerror(errno));
			*p = '/';
			return (-1);
		}
		*p = '/';
	}
	if (last && mkdir(path, 0777) == -1 && errno != EEXIST) {
		xasprintf(cause, "mkdir %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

struct logstore *
logstore_open(const char *dir, int create, char **cause)
{
	struct logstore	*ls;
	struct stat	 st;
	char		*path;

	path = xstrdup(dir);
	if (create && logstore_mkdirs(path, 0, 1, cause) != 0) {
		free(path);
		return (NULL);
	}
	if (stat(path, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (NULL);
	}
	if (!S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: not a directory", path);
		free(path);
		return (NULL);
	}
	ls = xcalloc(1, sizeof *ls);
	ls->dir = path;
	ls->level = LOGSTORE_LEVEL_DEFAULT;
	return (ls);
}

void
logstore_close(struct logstore *ls)
{
	if (ls == NULL)
		return;
	if (ls->cctx_busy || ls->dctx_busy)
		fatalx("%s: %s still has an open writer or reader", __func__,
		    ls->dir);
	ZSTD_freeCCtx(ls->cctx);
	ZSTD_freeDCtx(ls->dctx);
	free(ls->dir);
	free(ls);
}

void
logstore_set_level(struct logstore *ls, int level)
{
	if (level < ZSTD_minCLevel())
		level = ZSTD_minCLevel();
	if (level > ZSTD_maxCLevel())
		level = ZSTD_maxCLevel();
	ls->level = level;
}

void
logstore_set_sync(struct logstore *ls, int sync)
{
	ls->sync = sync;
}

const char *
logstore_dir(const struct logstore *ls)
{
	return (ls->dir);
}

char *
logstore_key(const char *master, const char *builder, int64_t build_number,
    double build_started, int64_t step_number, size_t log_index,
    const char *log_name)
{
	char		 num[64], *key;
	uint64_t	 h = FNV1A64_INIT;

	h = fnv1a64(h, master, strlen(master) + 1);
	h = fnv1a64(h, builder, strlen(builder) + 1);
	snprintf(num, sizeof num, "%" PRId64, build_number);
	h = fnv1a64(h, num, strlen(num) + 1);
	snprintf(num, sizeof num, "%.6f", build_started);
	h = fnv1a64(h, num, strlen(num) + 1);
	snprintf(num, sizeof num, "%" PRId64, step_number);
	h = fnv1a64(h, num, strlen(num) + 1);
	h = fnv1a64(h, log_name, strlen(log_name) + 1);
	xasprintf(&key, "%02x/%016" PRIx64 "-%" PRId64 "-%" PRId64 "-%zu",
	    (unsigned int)(h >> 56), h, build_number, step_number, log_index);
	return (key);
}

int
logstore_key_valid(const char *key)
{
	size_t	 len, i;
	char	 c;

	len = strlen(key);
	if (len == 0 || len > LOGSTORE_KEY_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		c = key[i];
		if ((c < '0' || c > '9') && (c < 'a' || c > 'z') &&
		    c != '_' && c != '.' && c != '/' && c != '-')
			return (0);
	}
	if (key[0] == '/' || key[len - 1] == '/')
		return (0);
	if (strstr(key, "..") != NULL || strstr(key, "//") != NULL)
		return (0);
	if (strcmp(key, ".") == 0 || strncmp(key, "./", 2) == 0 ||
	    strstr(key, "/./") != NULL ||
	    (len >= 2 && strcmp(key + len - 2, "/.") == 0))
		return (0);
	return (1);
}

/* Builds <dir>/<key>.zst after checking the key. */
static char *
logstore_path(struct logstore *ls, const char *key, char **cause)
{
	char	*path;

	if (!logstore_key_valid(key)) {
		xasprintf(cause, "%s: invalid log key \"%.*s\"", ls->dir,
		    LOGSTORE_KEY_MAX, key);
		return (NULL);
	}
	xasprintf(&path, "%s/%s%s", ls->dir, key, LOGSTORE_SUFFIX);
	return (path);
}

/*
 * Opens path with flags, creating the key's subdirectories if they are
 * missing. Returns the descriptor or -1 with errno set.
 */
static int
logstore_open_file(struct logstore *ls, char *path, int flags, char **cause)
{
	int	 fd, saved;

	fd = open(path, flags|O_CLOEXEC, 0666);
	if (fd != -1 || errno != ENOENT || (flags & O_CREAT) == 0)
		goto out;
	if (logstore_mkdirs(path, strlen(ls->dir) + 1, 0, cause) != 0)
		return (-1);
	fd = open(path, flags|O_CLOEXEC, 0666);
out:
	if (fd == -1) {
		saved = errno;
		xasprintf(cause, "%s: %s", path, strerror(saved));
		errno = saved;
	}
	return (fd);
}

static int
logstore_write_all(int fd, const void *data, size_t len)
{
	const unsigned char	*p = data;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Makes a rename or a new file in path's directory durable. */
static int
logstore_sync_dir(const char *path, char **cause)
{
	char	*dir, *slash;
	int	 fd, r;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return (-1);
	}
	if ((r = fsync(fd)) == -1)
		xasprintf(cause, "fsync %s: %s", dir, strerror(errno));
	close(fd);
	free(dir);
	return (r);
}

/* Lends the store's compression context, or a new one if it is in use. */
static ZSTD_CCtx *
logstore_cctx_get(struct logstore *ls)
{
	ZSTD_CCtx	*cctx;

	if (!ls->cctx_busy) {
		if (ls->cctx == NULL && (ls->cctx = ZSTD_createCCtx()) == NULL)
			fatalx("ZSTD_createCCtx failed");
		ls->cctx_busy = 1;
		cctx = ls->cctx;
	} else if ((cctx = ZSTD_createCCtx()) == NULL)
		fatalx("ZSTD_createCCtx failed");
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, ls->level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	return (cctx);
}

static void
logstore_cctx_put(struct logstore *ls, ZSTD_CCtx *cctx)
{
	if (cctx == ls->cctx)
		ls->cctx_busy = 0;
	else
		ZSTD_freeCCtx(cctx);
}

static ZSTD_DCtx *
logstore_dctx_get(struct logstore *ls)
{
	ZSTD_DCtx	*dctx;

	if (!ls->dctx_busy) {
		if (ls->dctx == NULL && (ls->dctx = ZSTD_createDCtx()) == NULL)
			fatalx("ZSTD_createDCtx failed");
		ls->dctx_busy = 1;
		dctx = ls->dctx;
	} else if ((dctx = ZSTD_createDCtx()) == NULL)
		fatalx("ZSTD_createDCtx failed");
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
	return (dctx);
}

static void
logstore_dctx_put(struct logstore *ls, ZSTD_DCtx *dctx)
{
	if (dctx == ls->dctx)
		ls->dctx_busy = 0;
	else
		ZSTD_freeDCtx(dctx);
}

/*
 * The temporary name is the final one plus ".tmp.<pid>-<n>": it never ends
 * in ".zst", so nothing looking up a key can see a stale one, and it sits in
 * the same directory, so the rename is atomic.
 */
struct logstore_writer *
logstore_create(struct logstore *ls, const char *key, char **cause)
{
	struct logstore_writer	*w;
	char			*path, *tmp;
	uint64_t		 n;
	int			 fd, tries;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (NULL);
	for (tries = 0;; tries++) {
		n = __atomic_fetch_add(&logstore_tmp_counter, 1,
		    __ATOMIC_RELAXED);
		xasprintf(&tmp, "%s.tmp.%ld-%" PRIu64, path, (long)getpid(),
		    n);
		fd = logstore_open_file(ls, tmp, O_WRONLY|O_CREAT|O_EXCL,
		    cause);
		if (fd != -1)
			break;
		free(tmp);
		if (errno != EEXIST || tries == 100) {
			free(path);
			return (NULL);
		}
		free(*cause);
		*cause = NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->ls = ls;
	w->path = path;
	w->tmp = tmp;
	w->fd = fd;
	w->cctx = logstore_cctx_get(ls);
	w->out_size = ZSTD_CStreamOutSize();
	w->out = xmalloc(w->out_size);
	return (w);
}

static void
logstore_writer_free(struct logstore_writer *w)
{
	if (w->fd != -1)
		close(w->fd);
	logstore_cctx_put(w->ls, w->cctx);
	free(w->out);
	free(w->tmp);
	free(w->path);
	free(w);
}

/*
 * Runs the compressor over in with mode, writing whatever it produces. A
 * failure loses compressed output, so the writer is marked failed and can
 * no longer be committed.
 */
static int
logstore_writer_pump(struct logstore_writer *w, ZSTD_inBuffer *in,
    ZSTD_EndDirective mode, char **cause)
{
	ZSTD_outBuffer	 out;
	size_t		 r;

	if (w->failed) {
		xasprintf(cause, "%s: an earlier write failed", w->tmp);
		return (-1);
	}
	w->failed = 1;
	for (;;) {
		out.dst = w->out;
		out.size = w->out_size;
		out.pos = 0;
		r = ZSTD_compressStream2(w->cctx, &out, in, mode);
		if (ZSTD_isError(r)) {
			xasprintf(cause, "%s: zstd: %s", w->tmp,
			    ZSTD_getErrorName(r));
			return (-1);
		}
		if (out.pos != 0 &&
		    logstore_write_all(w->fd, w->out, out.pos) != 0) {
			xasprintf(cause, "%s: %s", w->tmp, strerror(errno));
			return (-1);
		}
		if (mode == ZSTD_e_end ? r == 0 : in->pos == in->size) {
			w->failed = 0;
			return (0);
		}
	}
}

int
logstore_write(struct logstore_writer *w, const void *data, size_t len,
    char **cause)
{
	ZSTD_inBuffer	 in;

	in.src = data;
	in.size = len;
	in.pos = 0;
	if (logstore_writer_pump(w, &in, ZSTD_e_continue, cause) != 0)
		return (-1);
	w->size += len;
	return (0);
}

uint64_t
logstore_writer_size(const struct logstore_writer *w)
{
	return (w->size);
}

int
logstore_commit(struct logstore_writer *w, char **cause)
{
	ZSTD_inBuffer	 in = { NULL, 0, 0 };
	int		 fd;

	if (logstore_writer_pump(w, &in, ZSTD_e_end, cause) != 0)
		goto fail;
	if (w->ls->sync && fsync(w->fd) == -1) {
		xasprintf(cause, "fsync %s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) == -1) {
		xasprintf(cause, "%s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (rename(w->tmp, w->path) == -1) {
		xasprintf(cause, "rename %s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (w->ls->sync && logstore_sync_dir(w->path, cause) != 0) {
		logstore_writer_free(w);
		return (-1);
	}
	logstore_writer_free(w);
	return (0);
fail:
	unlink(w->tmp);
	logstore_writer_free(w);
	return (-1);
}

void
logstore_abort(struct logstore_writer *w)
{
	if (w == NULL)
		return;
	unlink(w->tmp);
	logstore_writer_free(w);
}

int
logstore_append(struct logstore *ls, const char *key, const void *data,
    size_t len, char **cause)
{
	ZSTD_CCtx	*cctx;
	struct stat	 st;
	void		*frame;
	char		*path;
	size_t		 bound, n;
	int		 fd, r = -1;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (-1);
	bound = ZSTD_compressBound(len);
	if (ZSTD_isError(bound) || bound == 0) {
		xasprintf(cause, "%s: %zu bytes is too much to append", path,
		    len);
		free(path);
		return (-1);
	}
	frame = xmalloc(bound);
	cctx = logstore_cctx_get(ls);
	n = ZSTD_compress2(cctx, frame, bound, data, len);
	logstore_cctx_put(ls, cctx);
	if (ZSTD_isError(n)) {
		xasprintf(cause, "%s: zstd: %s", path, ZSTD_getErrorName(n));
		goto out;
	}
	fd = logstore_open_file(ls, path, O_WRONLY|O_CREAT|O_APPEND, cause);
	if (fd == -1)
		goto out;
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (logstore_write_all(fd, frame, n) != 0 ||
	    (ls->sync && fsync(fd) == -1)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		/* Drop the partial frame so the log stays readable. */
		if (ftruncate(fd, st.st_size) == -1)
			log_warnx("%s: ftruncate: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (ls->sync && st.st_size == 0 && logstore_sync_dir(path, cause) != 0)
		goto out;
	r = 0;
out:
	free(frame);
	free(path);
	return (r);
}

struct logstore_reader *
logstore_open_read(struct logstore *ls, const char *key, char **cause)
{
	struct logstore_reader	*r;
	struct stat		 st;
	char			*path;
	int			 fd;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (NULL);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NONBLOCK)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			xasprintf(cause, "%s: no such log", key);
		else
			xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		free(path);
		return (NULL);
	}
	r = xcalloc(1, sizeof *r);
	r->ls = ls;
	r->path = path;
	r->fd = fd;
	r->dctx = logstore_dctx_get(ls);
	r->inbuf_size = ZSTD_DStreamInSize();
	r->inbuf = xmalloc(r->inbuf_size);
	r->in.src = r->inbuf;
	return (r);
}

static int
logstore_read_fail(struct logstore_reader *r, const char *what, char **cause)
{
	xasprintf(cause, "%s: offset %" PRIu64 ": %s", r->path,
	    r->in_read - (r->in.size - r->in.pos), what);
	r->failed = 1;
	return (-1);
}

/*
 * zstd's streaming decoder moves from one frame to the next by itself; the
 * only thing it cannot tell is whether the file ended at a frame boundary,
 * so that is tracked here: the end of input is clean only right after a
 * call that returned 0 (frame complete and flushed).
 */
static int
logstore_read_frames(struct logstore_reader *r, ZSTD_outBuffer *out,
    char **cause)
{
	size_t		 ret, before_in, before_out;
	ssize_t		 n;

	while (out->pos < out->size) {
		if (r->in.pos == r->in.size && !r->eof) {
			do
				n = read(r->fd, r->inbuf, r->inbuf_size);
			while (n == -1 && errno == EINTR);
			if (n == -1)
				return (logstore_read_fail(r, strerror(errno),
				    cause));
			if (n == 0)
				r->eof = 1;
			r->in.size = (size_t)n;
			r->in.pos = 0;
			r->in_read += (uint64_t)n;
		}
		if (r->in.pos == r->in.size && r->eof && r->boundary)
			break;
		before_in = r->in.pos;
		before_out = out->pos;
		ret = ZSTD_decompressStream(r->dctx, out, &r->in);
		if (ZSTD_isError(ret))
			return (logstore_read_fail(r, ZSTD_getErrorName(ret),
			    cause));
		r->boundary = (ret == 0);
		if (r->in.pos == before_in && out->pos == before_out &&
		    r->in.pos == r->in.size && r->eof && !r->boundary)
			return (logstore_read_fail(r, "truncated zstd frame",
			    cause));
	}
	return (0);
}

/*
 * Bytes decoded before an error are returned first, so a consumer sees
 * everything up to the damage; the error comes with the next call.
 */
ssize_t
logstore_read(struct logstore_reader *r, void *buf, size_t len,
    char **cause)
{
	ZSTD_outBuffer	 out;

	if (r->pending != NULL) {
		*cause = r->pending;
		r->pending = NULL;
		return (-1);
	}
	if (r->failed) {
		xasprintf(cause, "%s: read after an earlier error", r->path);
		return (-1);
	}
	out.dst = buf;
	out.size = len;
	out.pos = 0;
	if (logstore_read_frames(r, &out, cause) != 0) {
		if (out.pos == 0)
			return (-1);
		r->pending = *cause;
		*cause = NULL;
	}
	return ((ssize_t)out.pos);
}

void
logstore_close_read(struct logstore_reader *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	logstore_dctx_put(r->ls, r->dctx);
	free(r->pending);
	free(r->inbuf);
	free(r->path);
	free(r);
}

int
logstore_stat(struct logstore *ls, const char *key, int64_t *size,
    char **cause)
{
	struct stat	 st;
	char		*path;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (-1);
	if (stat(path, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			free(path);
			return (0);
		}
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	if (size != NULL)
		*size = (int64_t)st.st_size;
	return (1);
}

int
logstore_remove(struct logstore *ls, const char *key, char **cause)
{
	char	*path;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (-1);
	if (unlink(path) == -1 && errno != ENOENT && errno != ENOTDIR) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	return (0);
}
