/*
 * logstore-read.c: reading logs back from the log store, from a file of its
 * own or from a range of a pack, as the master's chunk stream; and whether
 * a log exists, and its size (logstore_stat).
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

struct logstore_reader *
logstore_open_read(struct logstore *ls, const char *key, char **cause)
{
	return (logstore_open_read_at(ls, key, 0, cause));
}

struct logstore_reader *
logstore_open_read_at(struct logstore *ls, const char *key, int64_t at,
    char **cause)
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
	if (at != 0 && (packed || at < 0)) {
		xasprintf(cause, "%s: cannot read from offset %lld", key,
		    (long long)at);
		return (NULL);
	}
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
	if (at > st.st_size || (at != 0 && lseek(fd, (off_t)at,
	    SEEK_SET) == -1)) {
		xasprintf(cause, "%s: cannot read from offset %lld (%lld "
		    "bytes)", path, (long long)at, (long long)st.st_size);
		close(fd);
		free(path);
		return (NULL);
	}
	r = xcalloc(1, sizeof *r);
	r->ls = ls;
	r->path = path;
	r->fd = fd;
	r->dctx = logstore_dctx_get(ls);
	if (packed)
		logstore_packed_reader(r, &pk);
	else {
		r->inbuf_size = ZSTD_DStreamInSize();
		r->in_read = (uint64_t)at;
		/*
		 * A file is a sequence of frames, possibly none: a live log
		 * created before its first text (logstore_append_at) is
		 * empty, and reads as an empty log.
		 */
		r->boundary = 1;
	}
	r->inbuf = xmalloc(r->inbuf_size);
	r->in.src = r->inbuf;
	return (r);
}

int
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
 * Fills inbuf from the file, or from the rest of a packed log's range
 * (logstore_packed_read).
 */
static int
logstore_read_input(struct logstore_reader *r, char **cause)
{
	ssize_t	 n;

	if (r->packed) {
		if ((n = logstore_packed_read(r, cause)) == -1)
			return (-1);
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
 * call that returned 0 (frame complete and flushed). A packed log's frame
 * must fill its range exactly (logstore_packed_frame_end).
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
		if (r->packed && r->boundary &&
		    logstore_packed_frame_end(r, cause) != 0)
			return (-1);
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
	if (packed)
		return (logstore_packed_stat(&st, &pk, size));
	if (size != NULL)
		*size = (int64_t)st.st_size;
	return (1);
}
