/*
 * logcopy.c: one log's content into the log store (logcopy.h), shared by
 * bbmirror-import (the logs of build pickles) and bbmirrord
 * --master-basedir (HttpStatusPush packets never carry log text).
 *
 * One packed log, counted by the chunk parser; incomplete when the stream
 * ends inside a chunk or cannot be read to the end, keeping what was read
 * before the problem.
 */
#include "config.h"
#include "logcopy.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "logstore.h"

/* The parser only counts. */
static int
logcopy_chunk(void *arg, int channel, const char *text, size_t len,
    int chunk_end)
{
	return (0);
}

/*
 * The contract is in logcopy.h. The parser only counts what it is fed;
 * the bytes stored are the decompressed stream as read, whatever it says.
 */
int
logcopy_log(struct logstore *ls, const char *dir, struct bbm_log *log,
    char *buffer, size_t size, char **warning, char **cause)
{
	struct logfile_parser	 parser;
	struct logstore_writer	*w;
	struct logfile		*lf = NULL;
	char			*why = NULL, *key = NULL;
	const char		*what;
	ssize_t			 n;
	int			 ok = 1;

	*warning = NULL;
	if (log->inline_chunks == NULL && log->filename == NULL) {
		log->state = BBM_LOG_MISSING;
		return (0);
	}
	if (log->inline_chunks == NULL) {
		if ((lf = logfile_open(dir, log->filename, &why)) == NULL) {
			/* No file at all is no warning: pruned. */
			*warning = why;
			log->state = BBM_LOG_MISSING;
			return (0);
		}
	}
	/* A packed log: a file per log would spend an import's time
	 * creating inodes. */
	if ((w = logstore_create_packed(ls, cause)) == NULL) {
		if (lf != NULL)
			logfile_close(lf);
		return (-1);
	}
	what = lf != NULL ? logfile_path(lf) : log->name;
	logfile_parser_init(&parser);
	if (lf == NULL) {
		if (logfile_parser_feed(&parser, log->inline_chunks,
		    log->inline_len, logcopy_chunk, NULL, &why) != 0 ||
		    logstore_write(w, log->inline_chunks, log->inline_len,
		    &why) != 0)
			ok = 0;
	} else {
		for (;;) {
			if ((n = logfile_read(lf, buffer, size, &why)) <= 0) {
				ok = (n == 0);
				break;
			}
			if (logfile_parser_feed(&parser, buffer, (size_t)n,
			    logcopy_chunk, NULL, &why) != 0 ||
			    logstore_write(w, buffer, (size_t)n, &why) != 0) {
				ok = 0;
				break;
			}
		}
	}
	if (!ok) {
		/* Decompression errors name the file already. */
		if (strstr(why, what != NULL ? what : "") != NULL)
			xasprintf(warning, "%s (kept the %" PRIu64 " bytes "
			    "before it)", why, parser.offset);
		else
			xasprintf(warning, "%s: %s (kept the %" PRIu64 " bytes "
			    "before it)", what != NULL ? what : "log", why,
			    parser.offset);
		free(why);
	} else if (logfile_parser_tail(&parser) != 0)
		xasprintf(warning, "%s: ends inside a chunk (%" PRIu64 " bytes "
		    "after offset %" PRIu64 "): stored as incomplete",
		    what != NULL ? what : "log", logfile_parser_tail(&parser),
		    parser.offset - logfile_parser_tail(&parser));
	if (lf != NULL)
		logfile_close(lf);
	if (logstore_commit_packed(w, &key, cause) != 0) {
		free(*warning);
		*warning = NULL;
		return (-1);
	}
	free(log->store_key);
	log->store_key = key;
	log->state = BBM_LOG_STORED;
	log->stored_bytes = (int64_t)parser.offset;
	log->text_bytes = (int64_t)parser.text_bytes;
	log->lines = (int64_t)parser.lines;
	log->complete = ok && logfile_parser_tail(&parser) == 0;
	return (0);
}

