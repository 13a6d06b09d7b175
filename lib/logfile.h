/*
 * logfile.h: reading the log files a Buildbot master writes next to its
 * build pickles (spec sections 1.3, 1.5 and 3).
 *
 * A log file is a sequence of chunks "<len>:<channel><text>," (a netstring
 * whose payload starts with one channel digit: 0 stdout, 1 stderr, 2
 * header), stored raw or wrapped in bzip2 or gzip. The parser is
 * incremental and never buffers text: it hands pieces of chunk text to a
 * callback straight from the caller's input, so its memory use does not
 * depend on the input. logfile_open/logfile_read give the decompressed
 * stream of one log, decompressing straight into the caller's buffer.
 */
#ifndef BBM_LOGFILE_H
#define BBM_LOGFILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Channels as the master numbers them; any digit 0-9 is accepted. */
#define LOGFILE_STDOUT	0
#define LOGFILE_STDERR	1
#define LOGFILE_HEADER	2
#define LOGFILE_CHANNELS 10

/* The master asserts this; longer length prefixes are corruption. */
#define LOGFILE_MAX_DIGITS 10

/*
 * Called with each piece of chunk text as it arrives. A chunk's text may come
 * in several calls; chunk_end is 1 on its last piece (an empty chunk "1:0,"
 * gives one call with len 0 and chunk_end 1). The terminating ',' is checked
 * after the last piece, so a consumer may see chunk_end and then an error.
 * A non-zero return stops the parser.
 */
typedef int (*logfile_chunk_cb)(void *arg, int channel, const char *text,
    size_t len, int chunk_end);

enum logfile_parser_state {
	LOGFILE_PARSE_LENGTH,
	LOGFILE_PARSE_CHANNEL,
	LOGFILE_PARSE_TEXT,
	LOGFILE_PARSE_COMMA,
	LOGFILE_PARSE_FAILED
};

/*
 * Parser state. The counters are public and cover complete chunks only
 * (text of a chunk whose ',' has not been seen yet is not counted), so after
 * a feed they describe exactly the stream up to offset - tail.
 */
struct logfile_parser {
	uint64_t	 offset;	/* bytes consumed */
	uint64_t	 chunks;	/* complete chunks */
	uint64_t	 channel_bytes[LOGFILE_CHANNELS];
	uint64_t	 text_bytes;	/* sum of channel_bytes */
	uint64_t	 lines;		/* '\n' bytes on channels 0 and 1 */

	/* Private. */
	enum logfile_parser_state state;
	uint64_t	 boundary;	/* offset after the last complete chunk */
	uint64_t	 length;	/* declared length of the current chunk */
	uint64_t	 left;		/* text bytes still to come */
	unsigned int	 digits;
	int		 channel;
	uint64_t	 pending_lines;	/* of the current chunk */
};

void	 logfile_parser_init(struct logfile_parser *);

/*
 * Feeds len bytes of the stream, calling cb (if not NULL) with chunk text.
 * Returns 0, or -1 with *cause (caller frees) naming the stream offset and
 * the fault: a byte that is not a length digit, more than
 * LOGFILE_MAX_DIGITS digits, a length of 0, a channel that is not a digit,
 * a missing ',', or "stopped by consumer" when cb returned non-zero. After
 * an error every further feed fails.
 */
int	 logfile_parser_feed(struct logfile_parser *, const void *, size_t,
	     logfile_chunk_cb, void *arg, char **cause) WUR;

/*
 * Bytes of an incomplete trailing chunk (0 when the stream so far ends on a
 * chunk boundary). After the last feed, a non-zero tail means the log is
 * still being written or the master died mid-write; the complete chunks
 * before it (offset - tail bytes) are good.
 */
uint64_t logfile_parser_tail(const struct logfile_parser *);

enum logfile_format {
	LOGFILE_RAW,
	LOGFILE_BZ2,
	LOGFILE_GZ
};

struct logfile;

/*
 * Opens the content of the log with base name name (as stored in the
 * LogFile pickle) in builder directory dir, preferring <name>.bz2, then
 * <name>.gz, then <name>, as the master does; *.tmp files are never read.
 * Returns NULL with *cause == NULL when none of the three exists (the log
 * was pruned or never written), NULL with *cause set (caller frees) when a
 * file exists but cannot be opened or name is not a plain file name ('/',
 * "." or ".." are refused: names come from pickles). Close with
 * logfile_close.
 */
struct logfile *logfile_open(const char *dir, const char *name, char **cause);

/*
 * Reads a compressed or raw stream held in memory, for tests and fuzzing.
 * data is not copied and must outlive the struct logfile; label is used in
 * messages in place of a path.
 */
struct logfile *logfile_open_memory(const void *data, size_t len,
	     enum logfile_format, const char *label);

/*
 * Reads up to len bytes of the decompressed chunk stream into buf. Returns
 * the number of bytes read (less than len only near the end), 0 at the end
 * of the content, or -1 with *cause (caller frees) naming the file, the
 * offset in the file and the fault (e.g. "truncated bzip2 stream"). A
 * compressed file may hold several concatenated streams (as bzcat and
 * gzip -d accept); anything else after a stream is an error.
 */
ssize_t	 logfile_read(struct logfile *, void *buf, size_t len,
	     char **cause) WUR;

enum logfile_format logfile_format(const struct logfile *);
const char	*logfile_format_name(enum logfile_format);
/* The file actually opened (or the label); owned by the struct logfile. */
const char	*logfile_path(const struct logfile *);
/* Bytes of the file (compressed input) consumed so far, for progress. */
uint64_t	 logfile_input_offset(const struct logfile *);
void		 logfile_close(struct logfile *);

#endif /* BBM_LOGFILE_H */
