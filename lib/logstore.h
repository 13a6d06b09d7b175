/*
 * logstore.h: where bbmirror keeps log contents (the database holds only
 * their keys and sizes).
 *
 * A log's content is the master's chunk stream (spec section 3) byte for
 * byte, so channels and chunk boundaries survive, compressed with zstd. It
 * lives in one of two layouts, told apart by its key:
 *
 * - Packed (finished logs, everything the importer stores): one zstd frame
 *   in a shared pack file <dir>/packs/<name>.pack, a plain concatenation of
 *   complete frames, one per log. The key "p/<name>/<offset>-<length>"
 *   gives the frame's byte offset and compressed length in the pack, so a
 *   read needs no index. <name> is "<unix seconds>-<pid>-<sequence>", unique
 *   across processes and threads without coordination; a pack is created
 *   (O_EXCL) and appended to only by the struct logstore that made it, which
 *   moves to a new pack once the current one reaches the pack size (a log is
 *   never split, so a pack can exceed it by one log). A pack is never
 *   written again after its creator closes it: a reopened store starts a
 *   new one. Packs avoid one file per log, whose creation dominates an
 *   import's cost and leaves operators with millions of inodes.
 *
 * - One file per log (live logs that grow): <dir>/<key>.zst, a sequence of
 *   complete zstd frames, one for a log written in one go, one more for each
 *   logstore_append. Files are written under a temporary name (which never
 *   ends in ".zst") and renamed into place, so a crash leaves no partial log
 *   under a key.
 *
 * Crashes and durability: a process that dies in the middle of a packed log
 * leaves a partial frame at the end of its pack that no key references; it
 * is harmless and never read. Nothing is fsynced unless logstore_set_sync(1)
 * is set (every commit then waits for its data) or logstore_sync is called
 * (for callers that make a batch durable before committing its keys to a
 * database). A pack is flushed when its store moves on to the next one, so
 * logstore_sync covers every packed log the store has committed.
 *
 * A struct logstore and everything opened from it are not thread-safe: the
 * store keeps one zstd compression and one decompression context that its
 * writers and readers borrow, and its current pack. A multi-threaded
 * importer opens one struct logstore per worker thread on the same
 * directory; that is safe, because each then writes its own pack, temporary
 * names are unique per process and call, and renames are atomic.
 */
#ifndef BBM_LOGSTORE_H
#define BBM_LOGSTORE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Keys coming from outside are refused beyond this length. */
#define LOGSTORE_KEY_MAX		200
#define LOGSTORE_LEVEL_DEFAULT		3
#define LOGSTORE_PACK_SIZE_DEFAULT	(256ULL << 20)

struct logstore;
struct logstore_writer;
struct logstore_reader;

/*
 * Opens the store in directory dir, creating it (and its parents) first if
 * create is non-zero. Returns NULL with *cause (caller frees) if dir is not
 * a usable directory. No pack is created until the first packed log.
 */
struct logstore *logstore_open(const char *dir, int create, char **cause);
/*
 * Closes the current pack for good and frees the store; every writer and
 * reader of it must be closed first.
 */
void	 logstore_close(struct logstore *);
/* zstd level for new frames (clamped to zstd's range); default 3. */
void	 logstore_set_level(struct logstore *, int);
/* Non-zero: fsync files and directories before a commit returns. */
void	 logstore_set_sync(struct logstore *, int);
/*
 * Size at which the store moves to a new pack for its next packed log;
 * 0 restores LOGSTORE_PACK_SIZE_DEFAULT.
 */
void	 logstore_set_pack_size(struct logstore *, uint64_t);
const char *logstore_dir(const struct logstore *);

/*
 * A stable, path-safe key for one log written to its own file:
 * "<2 hex>/<16 hex>-<build number>-<step number>-<log index>", where the 16
 * hex digits are the FNV-1a 64 of master name, builder name, build number,
 * build start time (printed "%.6f"), step number and log name, each followed
 * by a NUL byte, and the 2 hex digits are its first two (they spread keys
 * over 256 subdirectories). Caller frees.
 */
char	*logstore_key(const char *master, const char *builder,
	     int64_t build_number, double build_started, int64_t step_number,
	     size_t log_index, const char *log_name);

/*
 * 1 if key is acceptable from outside (the database, HTTP): 1 to
 * LOGSTORE_KEY_MAX bytes of [0-9a-z_./-], no "..", no leading '/', no empty
 * or "." component, not under "packs/" (the packs' own directory). A key
 * starting "p/" must have exactly the packed shape
 * "p/<n>-<n>-<n>/<offset>-<length>": decimal numbers without leading zeros,
 * the first two and offset + length within INT64_MAX, length at least 1.
 * Every function taking a key checks it.
 */
int	 logstore_key_valid(const char *key);

/*
 * Starts writing the log key to its own file, as one zstd frame in a
 * temporary file. Returns NULL with *cause on error (a packed key is
 * refused). The log appears (replacing any previous one) only when
 * logstore_commit succeeds.
 */
struct logstore_writer *logstore_create(struct logstore *, const char *key,
	     char **cause);
/*
 * Starts a log at the end of the store's current pack (creating or rotating
 * the pack first if needed). Its bytes go straight to the pack as they are
 * compressed. One packed writer per store at a time: a second is refused
 * with *cause. Returns NULL with *cause on error.
 */
struct logstore_writer *logstore_create_packed(struct logstore *,
	     char **cause);
/*
 * Both kinds of writer. After a failed write the writer can only be aborted
 * (commit fails).
 */
int	 logstore_write(struct logstore_writer *, const void *, size_t,
	     char **cause) WUR;
/*
 * Ends the frame of a writer from logstore_create and renames the file into
 * place. Frees the writer whether it succeeds or not (on failure the
 * temporary file is removed).
 */
int	 logstore_commit(struct logstore_writer *, char **cause) WUR;
/*
 * Ends the frame of a writer from logstore_create_packed; on success *key
 * (caller frees) gets the log's key. Frees the writer in every case; on
 * failure *key is NULL and the pack is cut back (ftruncate) to where the
 * log began, so no partial frame stays.
 */
int	 logstore_commit_packed(struct logstore_writer *, char **key,
	     char **cause) WUR;
/*
 * Frees the writer, removing its temporary file or cutting the pack back to
 * where its log began (the next packed log starts there).
 */
void	 logstore_abort(struct logstore_writer *);
/* Uncompressed bytes written so far. */
uint64_t logstore_writer_size(const struct logstore_writer *);

/*
 * Flushes (fdatasync) the packed logs the store has committed so far, and
 * the directory entries of new packs. Returns 0, or -1 with *cause.
 */
int	 logstore_sync(struct logstore *, char **cause) WUR;

/*
 * Appends len bytes as one new zstd frame to the file of log key, creating
 * it if needed (for live logs that grow; a packed key is refused). If the
 * write fails the file is cut back to its previous size; a crash in the
 * middle can leave a partial frame, which the reader reports as a truncated
 * log.
 */
int	 logstore_append(struct logstore *, const char *key, const void *,
	     size_t, char **cause) WUR;

/*
 * Like logstore_append, for a writer that records the file's size in a
 * database: the file of key is first cut back to at bytes if it is longer
 * (frames a crashed process wrote after its last commit), then len bytes
 * are appended as one zstd frame (len 0 appends nothing) and *new_size
 * gets the file's size. A file shorter than at is an error ("log KEY: file
 * is N bytes, the database says M"): committed data was lost. at 0 with no
 * file creates it. With logstore_set_sync(1) the data is fdatasync'd (and
 * a new file's directory) before it returns.
 */
int	 logstore_append_at(struct logstore *, const char *key, int64_t at,
	     const void *, size_t, int64_t *new_size, char **cause) WUR;

/*
 * Reads back the stored chunk stream: all frames of a file in order, or the
 * single frame of a packed key (read in large blocks; memory use does not
 * depend on the log's size). open_read returns NULL with *cause if the key
 * is invalid or has no log file or pack ("no such log"). logstore_read
 * returns bytes read, 0 at the end, or -1 with *cause naming the file or
 * pack and the offset: "truncated" (a frame or the pack ends early),
 * "corrupt" (zstd's error, or for a packed key a frame that ends before
 * <length>). Bytes decoded before an error are returned first. A file with
 * no frame (a live log before its first text) reads as an empty log.
 */
struct logstore_reader *logstore_open_read(struct logstore *, const char *key,
	     char **cause);
/*
 * Like logstore_open_read for a log in a file of its own, reading its
 * frames from byte at of the file, which must be where a frame starts
 * (the file's size after an append: a live_logs.store_size). 0 reads the
 * whole file. A packed key, or at beyond the end of the file, is refused.
 */
struct logstore_reader *logstore_open_read_at(struct logstore *,
	     const char *key, int64_t at, char **cause);
ssize_t	 logstore_read(struct logstore_reader *, void *, size_t,
	     char **cause) WUR;
void	 logstore_close_read(struct logstore_reader *);

/*
 * 1 if the log key exists (*size, if not NULL, gets the compressed size:
 * the file's, or <length> of a packed key), 0 if it does not, -1 with
 * *cause on error or an invalid key. A packed key exists if its pack holds
 * offset + length bytes; a removed packed log still does (its range reads
 * as zeros, which the reader reports as corrupt): the database, not the
 * store, knows which packed keys are live.
 */
int	 logstore_stat(struct logstore *, const char *key, int64_t *size,
	     char **cause) WUR;
/*
 * Removes the log key; removing a missing log succeeds. A packed log's
 * range is punched out of its pack (the space is freed where the file
 * system supports it; elsewhere this succeeds and frees nothing). Packs are
 * never unlinked here: another process may still be appending to one.
 */
int	 logstore_remove(struct logstore *, const char *key, char **cause) WUR;

#endif /* BBM_LOGSTORE_H */
