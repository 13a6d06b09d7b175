/*
 * logstore-pack.c: what the log store does only for pack files: naming,
 * creating, rotating and flushing packs, packed writers and their commit,
 * cutting a pack back after a failed log, packed keys, and the packed side
 * of reading, stat and removal (hole punching).
 */
#include "config.h"
#include "logstore.h"
#include "logstore-int.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOGSTORE_PACK_SUFFIX	".pack"
/* Packed logs are read with preads of up to this many bytes. */
#define LOGSTORE_PACK_READ	(256 << 10)
#define LOGSTORE_PACK_CUT	"truncated: the pack ends here"

/* Distinguishes the packs of one process (the sequence in their names). */
static uint64_t	 logstore_pack_counter;

/*
 * Forgets the current pack; it is never written again. The caller has
 * flushed it if that was needed.
 */
void
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
logstore_set_pack_size(struct logstore *ls, uint64_t size)
{
	ls->pack_size = (size == 0) ? LOGSTORE_PACK_SIZE_DEFAULT : size;
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
int
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

/*
 * Builds the path of a packed key's pack; pk gets the key's parts. Returns
 * NULL with *cause if key is not a packed key (one that parses is valid).
 */
char *
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

/* Writes all of data at offset off; -1 with errno set on error. */
int
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

/* Drops a packed writer's bytes: the pack ends where its log began. */
void
logstore_writer_cut(struct logstore_writer *w)
{
	if (ftruncate(w->fd, (off_t)w->start) == -1)
		log_warnx("%s: ftruncate: %s", w->file, strerror(errno));
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

int
logstore_sync(struct logstore *ls, char **cause)
{
	if (ls->pack_fd == -1 || ls->pack_pid != getpid())
		return (0);
	if (!ls->pack_dirty && !ls->pack_new)
		return (0);
	return (logstore_pack_flush(ls, cause));
}

/*
 * Sets r up to read the packed log pk: a packed log is read with one pread
 * per block of its range, into a buffer no larger than the range (most
 * logs are small), starting at in_read = its offset so that error offsets
 * are the pack's.
 */
void
logstore_packed_reader(struct logstore_reader *r,
    const struct logstore_packed_key *pk)
{
	r->packed = 1;
	r->start = r->in_read = pk->off;
	r->end = pk->off + pk->len;
	r->inbuf_size = LOGSTORE_PACK_READ;
	if (pk->len < r->inbuf_size)
		r->inbuf_size = (size_t)pk->len;
}

/*
 * Fills r's inbuf from the rest of its packed log's range; returns the
 * bytes read, or -1 with the reader failed. A pread of a regular file comes
 * up short only at its end, which for a packed log means the pack was cut:
 * that is remembered, so a frame that then seems to end early is reported
 * as the truncation it is.
 */
ssize_t
logstore_packed_read(struct logstore_reader *r, char **cause)
{
	size_t	 want, got = 0;
	ssize_t	 n;

	want = r->inbuf_size;
	if (r->end - r->in_read < want)
		want = (size_t)(r->end - r->in_read);
	while (got < want) {
		n = pread(r->fd, r->inbuf + got, want - got,
		    (off_t)(r->in_read + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (logstore_read_fail(r, strerror(errno), cause));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got < want)
		r->short_pack = 1;
	if (got == 0 && want != 0)
		return (logstore_read_fail(r, LOGSTORE_PACK_CUT, cause));
	return ((ssize_t)got);
}

/*
 * Checks a packed log's frame, which has just ended: a packed log is one
 * frame filling its range exactly, and the decoder stops at the end of a
 * frame, so any input left then is data that does not belong to the log.
 * Returns 0, or -1 with the reader failed.
 */
int
logstore_packed_frame_end(struct logstore_reader *r, char **cause)
{
	if (r->in.pos == r->in.size && r->in_read != r->end && r->short_pack)
		return (logstore_read_fail(r, LOGSTORE_PACK_CUT, cause));
	if (r->in.pos != r->in.size || r->in_read != r->end)
		return (logstore_read_fail(r, "corrupt: the frame "
		    "ends before the log", cause));
	return (0);
}

/*
 * Tells whether the packed log pk is still in its pack, whose stat is st
 * (a pack cut back no longer holds it): 1 with *size (if size is not NULL)
 * its compressed length, or 0.
 */
int
logstore_packed_stat(const struct stat *st,
    const struct logstore_packed_key *pk, int64_t *size)
{
	if (!S_ISREG(st->st_mode) ||
	    (uint64_t)st->st_size < pk->off + pk->len)
		return (0);
	if (size != NULL)
		*size = (int64_t)pk->len;
	return (1);
}

/*
 * Punches the packed log's range out of its pack. A file system without
 * hole punching keeps the bytes: the log is still gone for the database,
 * which is what removal promises.
 */
int
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
