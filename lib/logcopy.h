/*
 * logcopy.h: one log's content from a master's files (or from the inline
 * chunks of a pickle) into the log store, with the log record's content
 * columns filled from what was copied. bbmirror-import (build pickles) and
 * bbmirrord --master-basedir (HttpStatusPush, whose packets carry no log
 * text) both store logs through this one function, so a log imported and
 * the same log pushed are the same bytes and the same row.
 */
#ifndef BBM_LOGCOPY_H
#define BBM_LOGCOPY_H

#include <stddef.h>

#include "record.h"
#include "util.h"

struct logstore;

/*
 * Copies the content of log (its inline chunks, or the file log->filename
 * in builder directory dir: .bz2, .gz, then raw, spec 1.5) into the log
 * store ls as one packed log, counted by the chunk parser, and fills the
 * log's content columns: state BBM_LOG_STORED, store_key (malloc'd; a
 * previous key is freed), stored_bytes, text_bytes, lines, complete.
 *
 * A log without a file name, or whose file cannot be opened: state
 * BBM_LOG_MISSING, nothing else touched (a file that is not there at all
 * is no warning: pruned by the master). A read or parse error keeps what
 * was read before it, stored as an incomplete log; so does a stream that
 * ends inside a chunk. buffer is scratch space of size bytes.
 *
 * Problems worth reporting are returned in *warning, one line naming the
 * file and offset (caller frees; NULL if none). Returns 0, or -1 with
 * *cause (caller frees) when the log store failed: then *warning is NULL
 * and the log is left as it was.
 */
int	 logcopy_log(struct logstore *ls, const char *dir, struct bbm_log *log,
	     char *buffer, size_t size, char **warning, char **cause) WUR;

#endif /* BBM_LOGCOPY_H */
