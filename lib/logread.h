/*
 * logread.h: a log as its readers see it (the log server of bbmirrord,
 * bbmirror-log), read through a read-only query connection (query.h) and a
 * log store (logstore.h).
 *
 * A log's content is the master's chunk stream (spec section 3): chunks of
 * text tagged with a channel (0 stdout, 1 stderr, 2 header). A finished
 * log's stream is in the log store under logs.store_key. A log the live
 * listener is still writing (a row in live_logs) is: its log-store content
 * if it has a key (a file that only grows; only its first bytes are
 * committed, see logread_open), then the chunks of live_logs.pending, then
 * the master's open output run (the last run_bytes % 10000 bytes of
 * pending), shown as the chunk the master will write for it.
 *
 * Readers select channels with a mask and see the text of those channels
 * concatenated; offsets count bytes of that text. The text of a log only
 * grows (runs grow, chunks are appended; the open run's chunk boundaries
 * may still move), and it stays the same when the log moves to another key
 * (a live log packed when it finishes, a build imported again), so a
 * reader reopened at the offset it reached continues exactly where it left
 * off: that is how a follower tails a running log (logread_open again
 * whenever a commit may have added text).
 *
 * Memory: a reader holds one block of input and output whatever the log's
 * size (zstd streaming through logstore_read), plus a copy of the running
 * log's live_logs.pending (what the listener itself holds in memory).
 */
#ifndef BBM_LOGREAD_H
#define BBM_LOGREAD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "logstore.h"
#include "query.h"
#include "record.h"
#include "util.h"

/* Channel masks. */
#define LOGREAD_CHANNEL(c)	(1U << (c))
#define LOGREAD_STDOUT		LOGREAD_CHANNEL(0)
#define LOGREAD_STDERR		LOGREAD_CHANNEL(1)
#define LOGREAD_HEADER		LOGREAD_CHANNEL(2)
#define LOGREAD_TEXT		(LOGREAD_STDOUT|LOGREAD_STDERR)
#define LOGREAD_ALL		0x3ffU	/* every digit the format allows */

/* Longest piece logread_chunk returns; longer chunks come in parts. */
#define LOGREAD_PIECE_MAX	32768

/* Flags of logread_open. */
#define LOGREAD_RAW		0x1	/* the chunk stream itself, no mask */

/*
 * What the database says about a log, as of one snapshot. Strings are
 * malloc'd (NULL for SQL NULL); free with logread_info_free.
 */
struct logread_info {
	int64_t			 id;
	int64_t			 step_id;
	int64_t			 build_id;
	int64_t			 builder_id;
	int64_t			 master_id;
	int64_t			 number;	/* position in its step */
	int64_t			 step_number;
	int64_t			 build_number;
	char			*name;		/* log name, e.g. "stdio" */
	char			*step_name;
	char			*builder;
	char			*master;
	enum bbm_log_kind	 kind;
	enum bbm_log_state	 state;
	char			*store_key;
	double			 pruned_at;	/* NaN: not pruned, unknown */
	/*
	 * The row's counts. For a running log, text_bytes also counts the
	 * open run (the text a reader gets with every channel selected).
	 */
	int64_t			 stored_bytes;
	int64_t			 text_bytes;
	int64_t			 lines;
	int			 complete;	/* the log finished */
	int			 build_complete;
	int			 running;	/* a live_logs row: live */
};

/*
 * 1 if the log may still get text: neither it nor its build finished and
 * its content is not gone (state none or stored). A follower waits for
 * more text only while this holds.
 */
int	 logread_growing(const struct logread_info *);
void	 logread_info_free(struct logread_info *);
/* "none", "stored", "missing", "pruned". */
const char *logread_state_name(enum bbm_log_state);

/*
 * Looks log id up (one statement: one snapshot). Returns 1 and fills
 * *info (zeroed first), 0 if there is no such log, -1 with *cause (caller
 * frees). Works on schema version 2 (pruned_at is then NaN) and later.
 */
int	 logread_info(struct query_db *, int64_t id, struct logread_info *,
	     char **cause) WUR;

struct logread;

/*
 * Looks log id up as logread_info does and opens a reader of its content
 * from offset bytes of the text of the channels in mask (with LOGREAD_RAW:
 * from offset bytes of the chunk stream, mask ignored). The log row and
 * its live_logs row are read by one statement, so they are consistent.
 * ls may be NULL for a log without log-store content (an error
 * otherwise). Returns 1 with *info filled and *rp a reader (caller
 * closes; a log without content, missing or pruned gives an empty
 * reader), 0 if there is no such log (*rp NULL), -1 with *cause if the log
 * store cannot be read.
 *
 * A running log's file may hold frames the listener wrote after its last
 * commit: only the first stored_bytes minus pending-chunk bytes of its
 * stream are committed, and the reader stops there.
 */
int	 logread_open(struct query_db *, struct logstore *, int64_t id,
	     unsigned int mask, uint64_t offset, int flags,
	     struct logread_info *info, struct logread **rp,
	     char **cause) WUR;
void	 logread_close(struct logread *);

/*
 * Where a reader got to, for a follower to open the log again after it:
 * offset is the next byte of the selected text to read. The rest is what
 * the reader learnt of the log-store part of a running log (the committed
 * stream in its file): when the log is opened again with the same key,
 * logread_reopen does not read that part again, only the frames appended
 * to the file since (logstore_open_read_at), if any: a follower's cost is
 * the new text, not the log's size.
 */
struct logread_pos {
	uint64_t	 offset;
	unsigned int	 mask;
	/* Private to logread.c. */
	char		 key[LOGSTORE_KEY_MAX + 1];
	uint64_t	 store_stream;	/* committed stream bytes; 0: unknown */
	uint64_t	 store_seen;	/* selected text bytes in them */
	int64_t		 store_size;	/* compressed: the file's size then */
};
/* The position after everything returned so far. */
void	 logread_pos(const struct logread *, struct logread_pos *);
/*
 * Opens the log again from pos (see logread_pos), as logread_open with
 * pos->mask and pos->offset. Returns as logread_open does.
 */
int	 logread_reopen(struct query_db *, struct logstore *, int64_t id,
	     const struct logread_pos *, struct logread_info *info,
	     struct logread **rp, char **cause) WUR;

/*
 * Copies up to len bytes of the selected text (or of the stream, raw)
 * into buf. Returns the number of bytes (fewer than len only when a block
 * ends), 0 at the end, -1 with *cause naming the log, the key and the
 * fault (a corrupt or truncated log store entry, a stream that does not
 * parse); bytes before the fault are returned first.
 */
ssize_t	 logread_read(struct logread *, void *buf, size_t len,
	     char **cause) WUR;

/*
 * The next chunk of the selected channels, or part of one. text is valid
 * until the next call on the reader. A chunk longer than
 * LOGREAD_PIECE_MAX comes in several pieces; the first piece may be the
 * tail of a chunk that starts before the reader's offset. Not for
 * LOGREAD_RAW readers.
 */
struct logread_piece {
	int		 channel;
	const char	*text;
	size_t		 len;
	uint64_t	 offset;	/* of text[0], in the selected text */
	int		 first;		/* text starts its chunk */
	int		 last;		/* text ends its chunk */
};
/* Returns 1 with *piece, 0 at the end, -1 with *cause (as logread_read). */
int	 logread_chunk(struct logread *, struct logread_piece *,
	     char **cause) WUR;

/*
 * Selected text bytes (stream bytes, raw) the reader has gone past,
 * skipped or returned: after the end, the length of the selected text.
 * Reading to the end from an offset beyond it counts without copying.
 */
uint64_t logread_seen(const struct logread *);
/* Offset of the next byte logread_read or logread_chunk will return. */
uint64_t logread_offset(const struct logread *);

#endif /* BBM_LOGREAD_H */
