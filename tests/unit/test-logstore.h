/*
 * test-logstore.h: what the files of the test-logstore program share.
 * The helpers carry an ls_ prefix: they are exported within this one test
 * program only and must not be taken for a module of lib/.
 */
#ifndef BBM_TEST_LOGSTORE_H
#define BBM_TEST_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "logstore.h"
#include "util.h"

/* test-logstore.c: helpers over a store. */

/* Reads key whole in reads of bufsize into out (caller frees); -1, *cause. */
int	 ls_read_log(struct logstore *, const char *, size_t, struct buf *,
	     char **);
/* 1 if key reads back as exactly want/len (a diagnostic if not), else 0. */
int	 ls_log_is(struct logstore *, const char *, const void *, size_t,
	     size_t);
/* Writes and commits key as a file log; 0, or -1 with a diagnostic. */
int	 ls_put_log(struct logstore *, const char *, const void *, size_t);
/* The stored size logstore_stat gives for key, or -1. */
int64_t	 ls_stored_size(struct logstore *, const char *);
/* Entries of dir/sub other than . and .., or -1 if it cannot be read. */
int	 ls_count_entries(const char *, const char *);

/* test-logstore-pack.c: packed logs. */
void	 test_packed_keys(void);
void	 test_packed_round_trip(struct logstore *, const char *);
void	 test_packed_abort(struct logstore *, const char *);
void	 test_packed_tiny(struct logstore *, const char *);
void	 test_packed_rotation(const char *);
void	 test_packed_two_stores(const char *);
void	 test_packed_damage(const char *);
void	 test_packed_reopen(const char *);

/* test-logstore-live.c: logstore_append_at. */
void	 test_append_at(struct logstore *, const char *);

#endif /* BBM_TEST_LOGSTORE_H */
