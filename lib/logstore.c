/*
 * logstore.c: log contents as zstd frames under one directory, in shared
 * append-only pack files (finished logs) or one file per log (live logs).
 */
#include "config.h"
#include "logstore.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#define LOGSTORE_SUFFIX		".zst"
#define LOGSTORE_PACKS		"packs"
#define LOGSTORE_PACK_SUFFIX	".pack"
/* Packed logs are read with preads of up to this many bytes. */
#define LOGSTORE_PACK_READ	(256 << 10)
#define LOGSTORE_PACK_CUT	"truncated: the pack ends here"

#define LOGSTORE_SMALL	(64 * 1024)
#define LOGSTORE_TINY	2048

struct logstore {
	char		*dir;
	int		 level;
	int		 sync;
	ZSTD_CCtx	*cctx;		/* lent to one writer or append */
	unsigned char	*cout;		/* output buffer lent with cctx */
	int		 cctx_busy;
	ZSTD_DCtx	*dctx;		/* lent to one reader */
	int		 dctx_busy;

	uint64_t	 pack_size;	/* move on once a pack reaches it */
	char		*pack_name;	/* current pack, NULL before the first */
	char		*pack_path;
	int		 pack_fd;
	pid_t		 pack_pid;	/* the process that created the pack */
	uint64_t	 pack_off;	/* end of its last committed frame */
	int		 pack_busy;	/* a packed writer is open */
	int		 pack_dirty;	/* committed frames not yet flushed */
	int		 pack_new;	/* directory entries not yet flushed */
};

struct logstore_writer {
	struct logstore	*ls;
	char		*path;		/* final file; NULL if packed */
	char		*file;		/* written file: temporary or pack */
	int		 fd;		/* the store's pack_fd if packed */
	int		 packed;
	uint64_t	 start;		/* packed: offset of the frame */
	uint64_t	 off;		/* packed: offset of the next byte */
	ZSTD_CCtx	*cctx;
	unsigned char	*out;
	size_t		 out_size;
	uint64_t	 size;
	int		 failed;	/* output lost: never commit */
	/*
	 * The first LOGSTORE_SMALL bytes are held back: a log that ends
	 * within them is compressed knowing its size, so zstd sizes its
	 * tables to the log instead of initialising full-size ones for
	 * every frame (which dominated the cost of small logs).
	 */
	unsigned char	*small;
	size_t		 small_len;
	int		 streaming;
};

struct logstore_reader {
	struct logstore	*ls;
	char		*path;
	int		 fd;
	int		 packed;
	uint64_t	 start;		/* packed: the frame's range */
	uint64_t	 end;
	ZSTD_DCtx	*dctx;
	unsigned char	*inbuf;
	size_t		 inbuf_size;
	ZSTD_inBuffer	 in;
	uint64_t	 in_read;	/* file offset after inbuf's bytes */
	int		 eof;
	int		 boundary;	/* the last frame ended */
	int		 failed;
	int		 short_pack;	/* packed: the pack ended early */
	char		*pending;	/* error after a short read */
};

/* A packed key taken apart. */
struct logstore_packed_key {
	char		 name[LOGSTORE_KEY_MAX + 1];
	uint64_t	 off;
	uint64_t	 len;
};

/* Distinguishes temporaries of the writers of one process. */
static uint64_t	 logstore_tmp_counter;
/* Distinguishes the packs of one process (the sequence in their names). */
static uint64_t	 logstore_pack_counter;

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

/*
 * Forgets the current pack; it is never written again. The caller has
 * flushed it if that was needed.
 */
static void
logstore_pack_drop(struct logstore *ls)
{
	if (ls->pack_fd != -1 && close(ls->pack_fd) == -1)
		log_warnx("%s: %s", ls->pack_path, strerror(errno));
	ls->pack_fd = -1;
	free(ls->pack_name);
	ls->pack_name = NULL;
	free(ls->pack_path);
	ls->pack_path = NULL;
	ls->pack_off = 0;
	ls->pack_dirty = 0;
	ls->pack_new = 0;
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

void
logstore_set_pack_size(struct logstore *ls, uint64_t size)
{
	ls->pack_size = (size == 0) ? LOGSTORE_PACK_SIZE_DEFAULT : size;
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

/*
 * Reads a decimal number at s, no larger than max, written as the store
 * writes numbers (no sign, no leading zero unless it is "0"). Returns the
 * first byte after it, or NULL.
 */
static const char *
logstore_parse_number(const char *s, uint64_t max, uint64_t *value)
{
	uint64_t	 v = 0, d;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' &&
	    s[1] <= '9'))
		return (NULL);
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (uint64_t)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return (NULL);
		v = v * 10 + d;
	}
	*value = v;
	return (s);
}

/*
 * Takes apart "p/<seconds>-<pid>-<sequence>/<offset>-<length>", exactly as
 * logstore_commit_packed builds it. Returns 0, or -1 if key has any other
 * shape. A range must be a non-empty span of a file (offset + length fit an
 * off_t).
 */
static int
logstore_packed_parse(const char *key, struct logstore_packed_key *pk)
{
	const char	*p, *name;
	uint64_t	 v;

	if (strncmp(key, "p/", 2) != 0)
		return (-1);
	name = p = key + 2;
	if ((p = logstore_parse_number(p, INT64_MAX, &v)) == NULL ||
	    *p++ != '-')
		return (-1);
	if ((p = logstore_parse_number(p, INT64_MAX, &v)) == NULL ||
	    *p++ != '-')
		return (-1);
	if ((p = logstore_parse_number(p, UINT64_MAX, &v)) == NULL ||
	    *p != '/')
		return (-1);
	if ((size_t)(p - name) >= sizeof pk->name)
		return (-1);
	memcpy(pk->name, name, (size_t)(p - name));
	pk->name[p - name] = '\0';
	p++;
	if ((p = logstore_parse_number(p, INT64_MAX, &pk->off)) == NULL ||
	    *p++ != '-')
		return (-1);
	if ((p = logstore_parse_number(p, INT64_MAX - pk->off,
	    &pk->len)) == NULL || *p != '\0' || pk->len == 0)
		return (-1);
	return (0);
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

static int
logstore_key_packed(const char *key)
{
	return (strncmp(key, "p/", 2) == 0);
}

static void
logstore_key_invalid(struct logstore *ls, const char *key, char **cause)
{
	xasprintf(cause, "%s: invalid log key \"%.*s\"", ls->dir,
	    LOGSTORE_KEY_MAX, key);
}

/* Builds <dir>/<key>.zst after checking the key is a file's. */
static char *
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
 * Builds the path of a packed key's pack; pk gets the key's parts. Returns
 * NULL with *cause if key is not a packed key (one that parses is valid).
 */
static char *
logstore_packed_path(struct logstore *ls, const char *key,
    struct logstore_packed_key *pk, char **cause)
{
	char	*path;

	if (logstore_packed_parse(key, pk) != 0) {
		logstore_key_invalid(ls, key, cause);
		return (NULL);
	}
	xasprintf(&path, "%s/%s/%s%s", ls->dir, LOGSTORE_PACKS, pk->name,
	    LOGSTORE_PACK_SUFFIX);
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

/* Writes all of data at offset off; -1 with errno set on error. */
static int
logstore_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
	const unsigned char	*p = data;
	ssize_t			 n;

	if (len > INT64_MAX - off) {
		errno = EFBIG;
		return (-1);
	}
	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0) {
			errno = EIO;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
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

static struct logstore_writer *
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

/* Flushes the current pack and, once, the directory entries leading to it. */
static int
logstore_pack_flush(struct logstore *ls, char **cause)
{
	char	*packs;
	int	 r;

	if (fdatasync(ls->pack_fd) == -1) {
		xasprintf(cause, "fdatasync %s: %s", ls->pack_path,
		    strerror(errno));
		return (-1);
	}
	if (ls->pack_new) {
		if (logstore_sync_dir(ls->pack_path, cause) != 0)
			return (-1);
		xasprintf(&packs, "%s/%s", ls->dir, LOGSTORE_PACKS);
		r = logstore_sync_dir(packs, cause);
		free(packs);
		if (r != 0)
			return (-1);
		ls->pack_new = 0;
	}
	ls->pack_dirty = 0;
	return (0);
}

/*
 * Creates a new pack named "<unix seconds>-<pid>-<sequence>". O_EXCL makes
 * the name this store's alone even if a pid comes back within a second.
 */
static int
logstore_pack_new(struct logstore *ls, char **cause)
{
	char		*packs, *name, *path;
	time_t		 now;
	uint64_t	 n;
	int		 fd, tries;

	xasprintf(&packs, "%s/%s", ls->dir, LOGSTORE_PACKS);
	if (mkdir(packs, 0777) == -1 && errno != EEXIST) {
		xasprintf(cause, "mkdir %s: %s", packs, strerror(errno));
		free(packs);
		return (-1);
	}
	if ((now = time(NULL)) < 0)
		now = 0;
	for (tries = 0;; tries++) {
		n = __atomic_fetch_add(&logstore_pack_counter, 1,
		    __ATOMIC_RELAXED);
		xasprintf(&name, "%lld-%ld-%" PRIu64, (long long)now,
		    (long)getpid(), n);
		xasprintf(&path, "%s/%s%s", packs, name, LOGSTORE_PACK_SUFFIX);
		fd = open(path, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666);
		if (fd != -1)
			break;
		if (errno != EEXIST || tries == 100) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			free(path);
			free(name);
			free(packs);
			return (-1);
		}
		free(path);
		free(name);
	}
	free(packs);
	ls->pack_name = name;
	ls->pack_path = path;
	ls->pack_fd = fd;
	ls->pack_pid = getpid();
	ls->pack_off = 0;
	ls->pack_dirty = 0;
	ls->pack_new = 1;
	return (0);
}

/*
 * Pack writes use pwrite at the tracked end of the last committed frame
 * rather than O_APPEND: a log that fails is simply overwritten by the next
 * one even if cutting it back failed, and offsets never depend on the
 * file's size. A store inherited across fork() leaves its parent's pack
 * alone and starts its own (a pack has one writer, ever). Moving on from a
 * full pack flushes it if it holds unflushed logs, so that logstore_sync
 * only ever has the current pack to flush.
 */
struct logstore_writer *
logstore_create_packed(struct logstore *ls, char **cause)
{
	struct logstore_writer	*w;
	int			 r = 0;

	if (ls->pack_busy) {
		xasprintf(cause, "%s: a packed log is already being written "
		    "to %s", ls->dir, ls->pack_path);
		return (NULL);
	}
	if (ls->pack_fd != -1 && ls->pack_pid != getpid())
		logstore_pack_drop(ls);
	if (ls->pack_fd != -1 && ls->pack_off >= ls->pack_size) {
		if (ls->pack_dirty || ls->pack_new)
			r = logstore_pack_flush(ls, cause);
		logstore_pack_drop(ls);
		if (r != 0)
			return (NULL);
	}
	if (ls->pack_fd == -1 && logstore_pack_new(ls, cause) != 0)
		return (NULL);
	w = logstore_writer_new(ls, ls->pack_fd, xstrdup(ls->pack_path));
	w->packed = 1;
	w->start = w->off = ls->pack_off;
	ls->pack_busy = 1;
	return (w);
}

static void
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

/* Drops a packed writer's bytes: the pack ends where its log began. */
static void
logstore_writer_cut(struct logstore_writer *w)
{
	if (ftruncate(w->fd, (off_t)w->start) == -1)
		log_warnx("%s: ftruncate: %s", w->file, strerror(errno));
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
 * Writes a log shorter than LOGSTORE_TINY as a zstd frame holding one raw
 * (stored) block (RFC 8878 section 3.1.1): zstd spends some 50k
 * instructions per frame on entropy tables whatever its size, and a log
 * this short barely compresses. Any zstd decoder reads the frame.
 */
static int
logstore_writer_raw(struct logstore_writer *w, char **cause)
{
	unsigned char	 hdr[4 + 1 + 2 + 3 + LOGSTORE_TINY];
	size_t		 n = 0, len = w->small_len;
	uint32_t	 block;
	int		 e;

	hdr[n++] = 0x28;		/* magic number 0xFD2FB528, LE */
	hdr[n++] = 0xb5;
	hdr[n++] = 0x2f;
	hdr[n++] = 0xfd;
	if (len < 256) {
		/* Single segment, 1-byte content size, no checksum. */
		hdr[n++] = 0x20;
		hdr[n++] = (unsigned char)len;
	} else {
		/* Single segment, 2-byte content size (minus 256). */
		hdr[n++] = 0x60;
		hdr[n++] = (unsigned char)((len - 256) & 0xff);
		hdr[n++] = (unsigned char)((len - 256) >> 8);
	}
	block = 1 | (0 << 1) | ((uint32_t)len << 3);	/* last, raw, size */
	hdr[n++] = (unsigned char)(block & 0xff);
	hdr[n++] = (unsigned char)((block >> 8) & 0xff);
	hdr[n++] = (unsigned char)((block >> 16) & 0xff);

	/* One write for the whole frame. */
	if (len != 0)
		memcpy(hdr + n, w->small, len);
	n += len;
	w->failed = 1;
	if (w->packed) {
		if ((e = logstore_pwrite_all(w->fd, hdr, n, w->off)) == 0)
			w->off += n;
	} else
		e = logstore_write_all(w->fd, hdr, n);
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
static int
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

int
logstore_commit_packed(struct logstore_writer *w, char **key, char **cause)
{
	struct logstore	*ls = w->ls;

	*key = NULL;
	if (!w->packed) {
		xasprintf(cause, "%s: not a packed log", w->file);
		logstore_abort(w);
		return (-1);
	}
	if (logstore_writer_end(w, cause) != 0)
		goto fail;
	if (ls->sync && logstore_pack_flush(ls, cause) != 0)
		goto fail;
	if (!ls->sync)
		ls->pack_dirty = 1;
	ls->pack_off = w->off;
	xasprintf(key, "p/%s/%" PRIu64 "-%" PRIu64, ls->pack_name, w->start,
	    w->off - w->start);
	logstore_writer_free(w);
	return (0);
fail:
	logstore_writer_cut(w);
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

int
logstore_sync(struct logstore *ls, char **cause)
{
	if (ls->pack_fd == -1 || ls->pack_pid != getpid())
		return (0);
	if (!ls->pack_dirty && !ls->pack_new)
		return (0);
	return (logstore_pack_flush(ls, cause));
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
	cctx = logstore_cctx_get(ls, NULL);
	n = ZSTD_compress2(cctx, frame, bound, data, len);
	logstore_cctx_put(ls, cctx, NULL);
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

/*
 * A packed log is read with one pread per block of its range, into a
 * buffer no larger than the range (most logs are small), starting at
 * in_read = its offset so that error offsets are the pack's.
 */
struct logstore_reader *
logstore_open_read(struct logstore *ls, const char *key, char **cause)
{
	struct logstore_packed_key	 pk;
	struct logstore_reader		*r;
	struct stat			 st;
	char				*path;
	int				 fd, packed;

	if (!logstore_key_valid(key)) {
		logstore_key_invalid(ls, key, cause);
		return (NULL);
	}
	packed = logstore_key_packed(key);
	if (packed)
		path = logstore_packed_path(ls, key, &pk, cause);
	else
		path = logstore_path(ls, key, cause);
	if (path == NULL)
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
	if (packed) {
		r->packed = 1;
		r->start = r->in_read = pk.off;
		r->end = pk.off + pk.len;
		r->inbuf_size = LOGSTORE_PACK_READ;
		if (pk.len < r->inbuf_size)
			r->inbuf_size = (size_t)pk.len;
	} else
		r->inbuf_size = ZSTD_DStreamInSize();
	r->inbuf = xmalloc(r->inbuf_size);
	r->in.src = r->inbuf;
	return (r);
}

static int
logstore_read_fail(struct logstore_reader *r, const char *what, char **cause)
{
	uint64_t	 at;

	at = r->in_read - (r->in.size - r->in.pos);
	if (r->packed)
		xasprintf(cause, "%s: offset %" PRIu64 ": %s (log of %" PRIu64
		    " bytes at offset %" PRIu64 ")", r->path, at, what,
		    r->end - r->start, r->start);
	else
		xasprintf(cause, "%s: offset %" PRIu64 ": %s", r->path, at,
		    what);
	r->failed = 1;
	return (-1);
}

/*
 * Fills inbuf from the file, or from the rest of a packed log's range. A
 * pread of a regular file comes up short only at its end, which for a
 * packed log means the pack was cut: that is remembered, so a frame that
 * then seems to end early is reported as the truncation it is.
 */
static int
logstore_read_input(struct logstore_reader *r, char **cause)
{
	size_t	 want, got = 0;
	ssize_t	 n;

	if (r->packed) {
		want = r->inbuf_size;
		if (r->end - r->in_read < want)
			want = (size_t)(r->end - r->in_read);
		while (got < want) {
			n = pread(r->fd, r->inbuf + got, want - got,
			    (off_t)(r->in_read + got));
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				return (logstore_read_fail(r, strerror(errno),
				    cause));
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (got < want)
			r->short_pack = 1;
		if (got == 0 && want != 0)
			return (logstore_read_fail(r, LOGSTORE_PACK_CUT,
			    cause));
		n = (ssize_t)got;
	} else {
		do
			n = read(r->fd, r->inbuf, r->inbuf_size);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return (logstore_read_fail(r, strerror(errno), cause));
	}
	if (n == 0)
		r->eof = 1;
	r->in.size = (size_t)n;
	r->in.pos = 0;
	r->in_read += (uint64_t)n;
	return (0);
}

/*
 * zstd's streaming decoder moves from one frame to the next by itself; the
 * only thing it cannot tell is whether the input ended at a frame boundary,
 * so that is tracked here: the end of input is clean only right after a
 * call that returned 0 (frame complete and flushed). A packed log is one
 * frame filling its range exactly: the decoder stops at the end of a frame,
 * so any input left then is data that does not belong to the log.
 */
static int
logstore_read_frames(struct logstore_reader *r, ZSTD_outBuffer *out,
    char **cause)
{
	size_t		 ret, before_in, before_out;
	char		*what;

	while (out->pos < out->size) {
		if (r->in.pos == r->in.size && !r->eof &&
		    logstore_read_input(r, cause) != 0)
			return (-1);
		if (r->in.pos == r->in.size && r->eof && r->boundary)
			break;
		before_in = r->in.pos;
		before_out = out->pos;
		ret = ZSTD_decompressStream(r->dctx, out, &r->in);
		if (ZSTD_isError(ret)) {
			xasprintf(&what, "corrupt zstd data: %s",
			    ZSTD_getErrorName(ret));
			logstore_read_fail(r, what, cause);
			free(what);
			return (-1);
		}
		r->boundary = (ret == 0);
		if (r->packed && r->boundary && r->in.pos == r->in.size &&
		    r->in_read != r->end && r->short_pack)
			return (logstore_read_fail(r, LOGSTORE_PACK_CUT, cause));
		if (r->packed && r->boundary && (r->in.pos != r->in.size ||
		    r->in_read != r->end))
			return (logstore_read_fail(r, "corrupt: the frame "
			    "ends before the log", cause));
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
	struct logstore_packed_key	 pk;
	struct stat			 st;
	char				*path;
	int				 packed;

	if (!logstore_key_valid(key)) {
		logstore_key_invalid(ls, key, cause);
		return (-1);
	}
	packed = logstore_key_packed(key);
	if (packed)
		path = logstore_packed_path(ls, key, &pk, cause);
	else
		path = logstore_path(ls, key, cause);
	if (path == NULL)
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
	if (packed) {
		if (!S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < pk.off + pk.len)
			return (0);
		if (size != NULL)
			*size = (int64_t)pk.len;
		return (1);
	}
	if (size != NULL)
		*size = (int64_t)st.st_size;
	return (1);
}

/*
 * Punches the packed log's range out of its pack. A file system without
 * hole punching keeps the bytes: the log is still gone for the database,
 * which is what removal promises.
 */
static int
logstore_remove_packed(struct logstore *ls, const char *key, char **cause)
{
	struct logstore_packed_key	 pk;
	char				*path;
	int				 fd, r = 0;

	if ((path = logstore_packed_path(ls, key, &pk, cause)) == NULL)
		return (-1);
	if ((fd = open(path, O_WRONLY|O_CLOEXEC|O_NONBLOCK)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			free(path);
			return (0);
		}
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE,
	    (off_t)pk.off, (off_t)pk.len) == -1 && errno != EOPNOTSUPP &&
	    errno != ENOSYS) {
		xasprintf(cause, "%s: punching out %" PRIu64 " bytes at "
		    "offset %" PRIu64 ": %s", path, pk.len, pk.off,
		    strerror(errno));
		r = -1;
	}
	if (r == 0 && ls->sync && fdatasync(fd) == -1) {
		xasprintf(cause, "fdatasync %s: %s", path, strerror(errno));
		r = -1;
	}
	close(fd);
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
