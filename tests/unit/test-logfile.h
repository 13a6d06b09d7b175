/*
 * test-logfile.h: what the two files of the test-logfile program share:
 * the chunk callback that records what the parser delivered, and the
 * logfile_open tests main() runs.
 */
#ifndef BBM_TEST_LOGFILE_H
#define BBM_TEST_LOGFILE_H

#include <stdint.h>

#include "logfile.h"
#include "util.h"

/* test-logfile.c */

/* What the callback saw. */
struct seen {
	struct buf	 text[LOGFILE_CHANNELS];
	struct buf	 all;		/* every piece, in order */
	uint64_t	 calls;
	uint64_t	 ends;		/* calls with chunk_end */
	uint64_t	 stop_after;	/* return 1 on this chunk end (0 never) */
};

/* Clears s with empty, unbounded buffers; seen_free releases them. */
void	 seen_init(struct seen *);
void	 seen_free(struct seen *);
/* A logfile_parser callback collecting into arg, a struct seen. */
int	 seen_cb(void *, int, const char *, size_t, int);

/* test-logfile-open.c */
void	 test_open_order(const char *);
void	 test_compressed(const char *);
void	 test_fixtures(const char *);

#endif /* BBM_TEST_LOGFILE_H */
