/*
 * logstore.c: log contents as zstd frames under one directory, in shared
 * append-only pack files (finished logs) or one file per log (live logs).
 * This file holds the store itself, its keys, the per-log files (written
 * whole, appended to, appended to at a committed size), the writer
 * machinery both layouts share (the held-back buffer, raw tiny frames, the
 * zstd pump, the lent contexts) and removal; the readers and stat are in
 * logstore-read.c and what is specific to pack files in logstore-pack.c.
 */
#include "config.h"
#include "logstore.h"
#include "logstore-int.h"

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

#define LOGSTORE_SMALL	(64 * 1024)
#define LOGSTORE_TINY	2048
/* A raw frame's header (logstore_raw_frame) and at most TINY - 1 bytes. */
#define LOGSTORE_RAW_MAX	(4 + 1 + 2 + 3 + LOGSTORE_TINY)
/* logstore_append_at keeps its frame buffer for the next call up to this. */
#define LOGSTORE_FRAME_KEEP	(16 << 20)

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
	ls->pack_size = LOGSTORE_PACK_SIZE_DEFAULT;
	ls->pack_fd = -1;
	return (ls);
}

void
logstore_close(struct logstore *ls)
{
	if (ls == NULL)
		return;
	if (ls->cctx_busy || ls->dctx_busy || ls->pack_busy)
		fatalx("%s: %s still has an open writer or reader", __func__,
		    ls->dir);
	logstore_pack_drop(ls);
	ZSTD_freeCCtx(ls->cctx);
	free(ls->cout);
	free(ls->frame);
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
	struct logstore_packed_key	 pk;
	size_t				 len, i;
	char				 c;

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
	/* Only packs live there, so anything found in it is a pack. */
	if (strncmp(key, LOGSTORE_PACKS "/", sizeof LOGSTORE_PACKS) == 0)
		return (0);
	if (strncmp(key, "p/", 2) == 0)
		return (logstore_packed_parse(key, &pk) == 0);
	return (1);
}

int
logstore_key_packed(const char *key)
{
	return (strncmp(key, "p/", 2) == 0);
}

void
logstore_key_invalid(struct logstore *ls, const char *key, char **cause)
{
	xasprintf(cause, "%s: invalid log key \"%.*s\"", ls->dir,
	    LOGSTORE_KEY_MAX, key);
}

/* Builds <dir>/<key>.zst after checking the key is a file's. */
char *
logstore_path(struct logstore *ls, const char *key, char **cause)
{
	char	*path;

	if (!logstore_key_valid(key)) {
		logstore_key_invalid(ls, key, cause);
		return (NULL);
	}
	if (logstore_key_packed(key)) {
		xasprintf(cause, "%s: \"%s\" is a packed log, not a file",
		    ls->dir, key);
		return (NULL);
	}
	xasprintf(&path, "%s/%s%s", ls->dir, key, LOGSTORE_SUFFIX);
	return (path);
}

/*
 * Opens path with flags, creating the key's subdirectories if they are
 * missing. Returns the descriptor or -1 with errno set.
 */
int
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
int
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

/*
 * Lends the store's compression context, or a new one if it is in use.
 * *out (if out is not NULL) gets an output buffer of ZSTD_CStreamOutSize()
 * bytes that goes with it; both go back through logstore_cctx_put.
 */
static ZSTD_CCtx *
logstore_cctx_get(struct logstore *ls, unsigned char **out)
{
	ZSTD_CCtx	*cctx;

	if (!ls->cctx_busy) {
		if (ls->cctx == NULL && (ls->cctx = ZSTD_createCCtx()) == NULL)
			fatalx("ZSTD_createCCtx failed");
		ls->cctx_busy = 1;
		cctx = ls->cctx;
		if (out != NULL) {
			if (ls->cout == NULL)
				ls->cout = xmalloc(ZSTD_CStreamOutSize());
			*out = ls->cout;
		}
	} else {
		if ((cctx = ZSTD_createCCtx()) == NULL)
			fatalx("ZSTD_createCCtx failed");
		if (out != NULL)
			*out = xmalloc(ZSTD_CStreamOutSize());
	}
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, ls->level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	return (cctx);
}

static void
logstore_cctx_put(struct logstore *ls, ZSTD_CCtx *cctx, unsigned char *out)
{
	if (cctx == ls->cctx)
		ls->cctx_busy = 0;
	else {
		ZSTD_freeCCtx(cctx);
		free(out);
	}
}

ZSTD_DCtx *
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

void
logstore_dctx_put(struct logstore *ls, ZSTD_DCtx *dctx)
{
	if (dctx == ls->dctx)
		ls->dctx_busy = 0;
	else
		ZSTD_freeDCtx(dctx);
}

struct logstore_writer *
logstore_writer_new(struct logstore *ls, int fd, char *file)
{
	struct logstore_writer	*w;

	w = xcalloc(1, sizeof *w);
	w->ls = ls;
	w->file = file;
	w->fd = fd;
	w->cctx = logstore_cctx_get(ls, &w->out);
	w->out_size = ZSTD_CStreamOutSize();
	return (w);
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
	w = logstore_writer_new(ls, fd, tmp);
	w->path = path;
	return (w);
}

void
logstore_writer_free(struct logstore_writer *w)
{
	if (w->packed)
		w->ls->pack_busy = 0;
	else if (w->fd != -1)
		close(w->fd);
	logstore_cctx_put(w->ls, w->cctx, w->out);
	free(w->small);
	free(w->file);
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
	int		 e;

	if (w->failed) {
		xasprintf(cause, "%s: an earlier write failed", w->file);
		return (-1);
	}
	w->failed = 1;
	for (;;) {
		out.dst = w->out;
		out.size = w->out_size;
		out.pos = 0;
		r = ZSTD_compressStream2(w->cctx, &out, in, mode);
		if (ZSTD_isError(r)) {
			xasprintf(cause, "%s: zstd: %s", w->file,
			    ZSTD_getErrorName(r));
			return (-1);
		}
		if (out.pos != 0) {
			if (w->packed)
				e = logstore_pwrite_all(w->fd, w->out, out.pos,
				    w->off);
			else
				e = logstore_write_all(w->fd, w->out, out.pos);
			if (e != 0) {
				xasprintf(cause, "%s: %s", w->file,
				    strerror(errno));
				return (-1);
			}
			if (w->packed)
				w->off += out.pos;
		}
		if (mode == ZSTD_e_end ? r == 0 : in->pos == in->size) {
			w->failed = 0;
			return (0);
		}
	}
}

/* Starts streaming: what was held back goes to the compressor first. */
static int
logstore_writer_stream(struct logstore_writer *w, char **cause)
{
	ZSTD_inBuffer	 in;

	w->streaming = 1;
	if (w->small_len == 0)
		return (0);
	in.src = w->small;
	in.size = w->small_len;
	in.pos = 0;
	w->small_len = 0;
	return (logstore_writer_pump(w, &in, ZSTD_e_continue, cause));
}

int
logstore_write(struct logstore_writer *w, const void *data, size_t len,
    char **cause)
{
	ZSTD_inBuffer	 in;

	if (!w->streaming && !w->failed && len <= LOGSTORE_SMALL - w->small_len) {
		if (w->small == NULL)
			w->small = xmalloc(LOGSTORE_SMALL);
		memcpy(w->small + w->small_len, data, len);
		w->small_len += len;
		w->size += len;
		return (0);
	}
	if (!w->streaming && logstore_writer_stream(w, cause) != 0)
		return (-1);
	in.src = data;
	in.size = len;
	in.pos = 0;
	if (logstore_writer_pump(w, &in, ZSTD_e_continue, cause) != 0)
		return (-1);
	w->size += len;
	return (0);
}

/*
 * Builds in dst (LOGSTORE_RAW_MAX bytes) a zstd frame holding len bytes,
 * len < LOGSTORE_TINY, as one raw (stored) block (RFC 8878 section 3.1.1),
 * and returns its size: zstd spends some 50k instructions per frame on
 * entropy tables whatever its size, and data this short barely
 * compresses. Any zstd decoder reads the frame.
 */
static size_t
logstore_raw_frame(unsigned char *dst, const void *src, size_t len)
{
	size_t		 n = 0;
	uint32_t	 block;

	dst[n++] = 0x28;		/* magic number 0xFD2FB528, LE */
	dst[n++] = 0xb5;
	dst[n++] = 0x2f;
	dst[n++] = 0xfd;
	if (len < 256) {
		/* Single segment, 1-byte content size, no checksum. */
		dst[n++] = 0x20;
		dst[n++] = (unsigned char)len;
	} else {
		/* Single segment, 2-byte content size (minus 256). */
		dst[n++] = 0x60;
		dst[n++] = (unsigned char)((len - 256) & 0xff);
		dst[n++] = (unsigned char)((len - 256) >> 8);
	}
	block = 1 | (0 << 1) | ((uint32_t)len << 3);	/* last, raw, size */
	dst[n++] = (unsigned char)(block & 0xff);
	dst[n++] = (unsigned char)((block >> 8) & 0xff);
	dst[n++] = (unsigned char)((block >> 16) & 0xff);
	if (len != 0)
		memcpy(dst + n, src, len);
	return (n + len);
}

/* Writes a log shorter than LOGSTORE_TINY as one raw frame, in one write. */
static int
logstore_writer_raw(struct logstore_writer *w, char **cause)
{
	unsigned char	 frame[LOGSTORE_RAW_MAX];
	size_t		 n;
	int		 e;

	n = logstore_raw_frame(frame, w->small, w->small_len);
	w->failed = 1;
	if (w->packed) {
		if ((e = logstore_pwrite_all(w->fd, frame, n, w->off)) == 0)
			w->off += n;
	} else
		e = logstore_write_all(w->fd, frame, n);
	if (e != 0) {
		xasprintf(cause, "%s: %s", w->file, strerror(errno));
		return (-1);
	}
	w->failed = 0;
	w->streaming = 1;
	return (0);
}

/*
 * Ends the frame. A log that never left the held-back buffer is compressed
 * in one go with its size declared.
 */
int
logstore_writer_end(struct logstore_writer *w, char **cause)
{
	ZSTD_inBuffer	 in = { NULL, 0, 0 };
	size_t		 r;

	if (!w->streaming && !w->failed && w->small_len < LOGSTORE_TINY)
		return (logstore_writer_raw(w, cause));
	if (!w->streaming && !w->failed) {
		r = ZSTD_CCtx_setPledgedSrcSize(w->cctx, w->small_len);
		if (ZSTD_isError(r)) {
			xasprintf(cause, "%s: zstd: %s", w->file,
			    ZSTD_getErrorName(r));
			return (-1);
		}
		in.src = w->small;
		in.size = w->small_len;
		w->streaming = 1;
	}
	return (logstore_writer_pump(w, &in, ZSTD_e_end, cause));
}

uint64_t
logstore_writer_size(const struct logstore_writer *w)
{
	return (w->size);
}

int
logstore_commit(struct logstore_writer *w, char **cause)
{
	int		 fd;

	if (w->packed) {
		xasprintf(cause, "%s: a packed log is committed with "
		    "logstore_commit_packed", w->file);
		logstore_abort(w);
		return (-1);
	}
	if (logstore_writer_end(w, cause) != 0)
		goto fail;
	if (w->ls->sync && fsync(w->fd) == -1) {
		xasprintf(cause, "fsync %s: %s", w->file, strerror(errno));
		goto fail;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) == -1) {
		xasprintf(cause, "%s: %s", w->file, strerror(errno));
		goto fail;
	}
	if (rename(w->file, w->path) == -1) {
		xasprintf(cause, "rename %s: %s", w->file, strerror(errno));
		goto fail;
	}
	if (w->ls->sync && logstore_sync_dir(w->path, cause) != 0) {
		logstore_writer_free(w);
		return (-1);
	}
	logstore_writer_free(w);
	return (0);
fail:
	unlink(w->file);
	logstore_writer_free(w);
	return (-1);
}

void
logstore_abort(struct logstore_writer *w)
{
	if (w == NULL)
		return;
	if (w->packed)
		logstore_writer_cut(w);
	else
		unlink(w->file);
	logstore_writer_free(w);
}

/*
 * Compresses len bytes into one frame: a raw frame when short, else
 * ZSTD_compress2 with the store's level and context into the store's frame
 * buffer, which is kept for the next call (a live log appends every few
 * milliseconds; logstore_frame_trim bounds what is kept). *frame points
 * into buf (LOGSTORE_RAW_MAX bytes) or the store's buffer.
 */
static int
logstore_append_frame(struct logstore *ls, const char *path,
    const void *data, size_t len, unsigned char *buf,
    const unsigned char **frame, size_t *n, char **cause)
{
	ZSTD_CCtx	*cctx;
	size_t		 bound, r;

	if (len < LOGSTORE_TINY) {
		*n = logstore_raw_frame(buf, data, len);
		*frame = buf;
		return (0);
	}
	bound = ZSTD_compressBound(len);
	if (ZSTD_isError(bound) || bound == 0) {
		xasprintf(cause, "%s: %zu bytes is too much to append", path,
		    len);
		return (-1);
	}
	if (ls->frame_size < bound) {
		free(ls->frame);
		ls->frame = xmalloc(bound);
		ls->frame_size = bound;
	}
	cctx = logstore_cctx_get(ls, NULL);
	r = ZSTD_compress2(cctx, ls->frame, ls->frame_size, data, len);
	logstore_cctx_put(ls, cctx, NULL);
	if (ZSTD_isError(r)) {
		xasprintf(cause, "%s: zstd: %s", path, ZSTD_getErrorName(r));
		return (-1);
	}
	*frame = ls->frame;
	*n = r;
	return (0);
}

static void
logstore_frame_trim(struct logstore *ls)
{
	if (ls->frame_size > LOGSTORE_FRAME_KEEP) {
		free(ls->frame);
		ls->frame = NULL;
		ls->frame_size = 0;
	}
}

int
logstore_append(struct logstore *ls, const char *key, const void *data,
    size_t len, char **cause)
{
	unsigned char		 raw[LOGSTORE_RAW_MAX];
	const unsigned char	*frame;
	struct stat		 st;
	char			*path;
	size_t			 n;
	int			 fd, r = -1;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (-1);
	if (logstore_append_frame(ls, path, data, len, raw, &frame, &n,
	    cause) != 0)
		goto out;
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
	logstore_frame_trim(ls);
	free(path);
	return (r);
}

/*
 * Makes a new file's directory entries durable: its directory and each one
 * above it up to the store's, which logstore_open_file may have created.
 */
static int
logstore_sync_dirs(struct logstore *ls, const char *path, char **cause)
{
	char	*p, *slash;
	size_t	 top = strlen(ls->dir);
	int	 r = 0;

	p = xstrdup(path);
	while (r == 0 && (slash = strrchr(p, '/')) != NULL &&
	    (size_t)(slash - p) >= top) {
		r = logstore_sync_dir(p, cause);
		*slash = '\0';
	}
	free(p);
	return (r);
}

/*
 * Opens the file of a live log for logstore_append_at: *created says
 * whether it was made now (only when at is 0). Returns the descriptor, or
 * -1 with *cause.
 */
static int
logstore_append_open(struct logstore *ls, const char *key, char *path,
    int64_t at, int *created, char **cause)
{
	int	 fd;

	*created = 0;
	if ((fd = open(path, O_WRONLY|O_CLOEXEC)) != -1)
		return (fd);
	if (errno != ENOENT) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (at != 0) {
		xasprintf(cause, "log %s: file is missing, the database says "
		    "%lld bytes", key, (long long)at);
		return (-1);
	}
	fd = logstore_open_file(ls, path, O_WRONLY|O_CREAT|O_EXCL, cause);
	if (fd != -1)
		*created = 1;
	return (fd);
}

/*
 * The file is written at offset at (pwrite), not in append mode: anything
 * beyond at was written after the last commit and is cut away first. The
 * frame is compressed before the file is touched, so a compression error
 * changes nothing.
 */
int
logstore_append_at(struct logstore *ls, const char *key, int64_t at,
    const void *data, size_t len, int64_t *new_size, char **cause)
{
	unsigned char		 raw[LOGSTORE_RAW_MAX];
	const unsigned char	*frame = NULL;
	struct stat		 st;
	char			*path;
	size_t			 n = 0;
	int			 fd, created, cut = 0, r = -1;

	if ((path = logstore_path(ls, key, cause)) == NULL)
		return (-1);
	if (at < 0) {
		xasprintf(cause, "log %s: invalid size %lld", key,
		    (long long)at);
		goto out;
	}
	if (len != 0 && logstore_append_frame(ls, path, data, len, raw,
	    &frame, &n, cause) != 0)
		goto out;
	if ((fd = logstore_append_open(ls, key, path, at, &created,
	    cause)) == -1)
		goto out;
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (st.st_size < at) {
		xasprintf(cause, "log %s: file is %lld bytes, the database "
		    "says %lld", key, (long long)st.st_size, (long long)at);
		goto fail;
	}
	if (st.st_size > at) {
		if (ftruncate(fd, (off_t)at) == -1) {
			xasprintf(cause, "%s: cutting back to %lld bytes: %s",
			    path, (long long)at, strerror(errno));
			goto fail;
		}
		cut = 1;
	}
	if (n != 0 && logstore_pwrite_all(fd, frame, n, (uint64_t)at) != 0) {
		xasprintf(cause, "%s: writing %zu bytes at offset %lld: %s",
		    path, n, (long long)at, strerror(errno));
		/* Drop the partial frame so the log stays readable. */
		if (ftruncate(fd, (off_t)at) == -1)
			log_warnx("%s: ftruncate: %s", path, strerror(errno));
		goto fail;
	}
	if (ls->sync && (n != 0 || cut) && fdatasync(fd) == -1) {
		xasprintf(cause, "fdatasync %s: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (ls->sync && created && logstore_sync_dirs(ls, path, cause) != 0)
		goto out;
	*new_size = at + (int64_t)n;
	r = 0;
	goto out;

fail:
	close(fd);
out:
	logstore_frame_trim(ls);
	free(path);
	return (r);
}

int
logstore_remove(struct logstore *ls, const char *key, char **cause)
{
	char	*path;

	if (!logstore_key_valid(key)) {
		logstore_key_invalid(ls, key, cause);
		return (-1);
	}
	if (logstore_key_packed(key))
		return (logstore_remove_packed(ls, key, cause));
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
