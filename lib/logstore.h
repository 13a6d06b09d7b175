/*
 * logstore.h: where bbmirror keeps log contents (the database holds only
 * their keys and sizes).
 *
 * Each log is one file <dir>/<key>.zst holding the master's chunk stream
 * (spec section 3) byte for byte, so channels and chunk boundaries survive,
 * compressed as a sequence of complete zstd frames: one frame for a log
 * written in one go, one more for each logstore_append of a live log.
 * Files are written under a temporary name (which never ends in ".zst")
 * and renamed into place, so a crash leaves no partial log under a key.
 *
 * A struct logstore and everything opened from it are not thread-safe: the
 * store keeps one zstd compression and one decompression context that its
 * writers and readers borrow. A multi-threaded importer opens one struct
 * logstore per worker thread on the same directory; that is safe, because
 * temporary names are unique per process and call and renames are atomic.
 */
#ifndef BBM_LOGSTORE_H
#define BBM_LOGSTORE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Keys coming from outside are refused beyond this length. */
#define LOGSTORE_KEY_MAX	200
#define LOGSTORE_LEVEL_DEFAULT	3

struct logstore;
struct logstore_writer;
struct logstore_reader;

/*
 * Opens the store in directory dir, creating it (and its parents) first if
 * create is non-zero. Returns NULL with *cause (caller frees) if dir is not
 * a usable directory.
 */
struct logstore *logstore_open(const char *dir, int create, char **cause);
/* Frees the store; every writer and reader of it must be closed first. */
void	 logstore_close(struct logstore *);
/* zstd level for new frames (clamped to zstd's range); default 3. */
void	 logstore_set_level(struct logstore *, int);
/* Non-zero: fsync files and directories before a commit returns. */
void	 logstore_set_sync(struct logstore *, int);
const char *logstore_dir(const struct logstore *);

/*
 * A stable, path-safe key for one log:
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
 * or "." component. Every function taking a key checks it.
 */
int	 logstore_key_valid(const char *key);

/*
 * Starts writing the log key as one zstd frame to a temporary file. Returns
 * NULL with *cause on error. The log appears (replacing any previous one)
 * only when logstore_commit succeeds.
 */
struct logstore_writer *logstore_create(struct logstore *, const char *key,
	     char **cause);
/* After a failed write the writer can only be aborted (commit fails). */
int	 logstore_write(struct logstore_writer *, const void *, size_t,
	     char **cause) WUR;
/*
 * Ends the frame and renames the file into place. Frees the writer whether
 * it succeeds or not (on failure the temporary file is removed).
 */
int	 logstore_commit(struct logstore_writer *, char **cause) WUR;
/* Removes the temporary file and frees the writer. */
void	 logstore_abort(struct logstore_writer *);
/* Uncompressed bytes written so far. */
uint64_t logstore_writer_size(const struct logstore_writer *);

/*
 * Appends len bytes as one new zstd frame to the log key, creating it if
 * needed (for live logs that grow). If the write fails the file is cut back
 * to its previous size; a crash in the middle can leave a partial frame,
 * which the reader reports as a truncated log.
 */
int	 logstore_append(struct logstore *, const char *key, const void *,
	     size_t, char **cause) WUR;

/*
 * Reads back the stored chunk stream (all frames in order). open_read
 * returns NULL with *cause if the key is invalid or has no log ("no such
 * log"). logstore_read returns bytes read, 0 at the end, or -1 with *cause
 * (path, offset, zstd's error, or "truncated zstd frame").
 */
struct logstore_reader *logstore_open_read(struct logstore *, const char *key,
	     char **cause);
ssize_t	 logstore_read(struct logstore_reader *, void *, size_t,
	     char **cause) WUR;
void	 logstore_close_read(struct logstore_reader *);

/*
 * 1 if the log key exists (*size, if not NULL, gets the compressed file
 * size), 0 if it does not, -1 with *cause on error or an invalid key.
 */
int	 logstore_stat(struct logstore *, const char *key, int64_t *size,
	     char **cause) WUR;
/* Removes the log key; removing a missing log succeeds. */
int	 logstore_remove(struct logstore *, const char *key, char **cause) WUR;

#endif /* BBM_LOGSTORE_H */
