/*
 * logstore-int.h: private to the log store's own files (logstore.c, the
 * store, its per-log files, the writers and readers; logstore-pack.c, what
 * is specific to pack files), never included elsewhere: the state of a
 * store, a writer and a reader, and the helpers that cross the two files.
 * Each helper's contract is stated above its definition.
 */
#ifndef BBM_LOGSTORE_INT_H
#define BBM_LOGSTORE_INT_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>

#include <zstd.h>

#include "logstore.h"

#define LOGSTORE_PACKS		"packs"

struct logstore {
	char		*dir;
	int		 level;
	int		 sync;
	ZSTD_CCtx	*cctx;		/* lent to one writer or append */
	unsigned char	*cout;		/* output buffer lent with cctx */
	int		 cctx_busy;
	unsigned char	*frame;		/* logstore_append_at's output */
	size_t		 frame_size;
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

/* logstore.c */
int		 logstore_key_packed(const char *);
void		 logstore_key_invalid(struct logstore *, const char *,
		     char **);
char		*logstore_path(struct logstore *, const char *, char **);
int		 logstore_open_file(struct logstore *, char *, int, char **);
int		 logstore_sync_dir(const char *, char **);
ZSTD_DCtx	*logstore_dctx_get(struct logstore *);
void		 logstore_dctx_put(struct logstore *, ZSTD_DCtx *);
struct logstore_writer *logstore_writer_new(struct logstore *, int, char *);
void		 logstore_writer_free(struct logstore_writer *);
int		 logstore_writer_end(struct logstore_writer *, char **);

/* logstore-read.c */
int		 logstore_read_fail(struct logstore_reader *, const char *,
		     char **);

/* logstore-pack.c */
void		 logstore_pack_drop(struct logstore *);
int		 logstore_packed_parse(const char *,
		     struct logstore_packed_key *);
char		*logstore_packed_path(struct logstore *, const char *,
		     struct logstore_packed_key *, char **);
int		 logstore_pwrite_all(int, const void *, size_t, uint64_t);
void		 logstore_writer_cut(struct logstore_writer *);
void		 logstore_packed_reader(struct logstore_reader *,
		     const struct logstore_packed_key *);
ssize_t		 logstore_packed_read(struct logstore_reader *, char **);
int		 logstore_packed_frame_end(struct logstore_reader *, char **);
int		 logstore_packed_stat(const struct stat *,
		     const struct logstore_packed_key *, int64_t *);
int		 logstore_remove_packed(struct logstore *, const char *,
		     char **);

#endif
