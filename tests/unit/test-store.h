/*
 * test-store.h: declarations shared by the files of the test-store
 * program: test-store.c (main, the reading connection, the record
 * builders, schema, masters and builders, builds, transactions, errors),
 * test-store-history.c (changes, buildsets, build requests, import file
 * state, log lookups) and test-store-live.c (the live path: stable step
 * and log ids, live bookkeeping, builder states, slaves, durability, the
 * migration from version 1).
 */
#ifndef BBM_TEST_STORE_H
#define BBM_TEST_STORE_H

#include <stdint.h>
#include <stdlib.h>

#include "record.h"
#include "store.h"
#include "util.h"

/*
 * test-store.c: queries on the second, plain connection to the store's
 * database (test-db.h). test_q_int returns the integer in the first column
 * of the first row, or -999 if none; test_q_text the text there (caller
 * frees), or NULL.
 */
int64_t	 test_q_int(const char *, ...) PRINTFLIKE(1, 2);
char	*test_q_text(const char *, ...) PRINTFLIKE(1, 2);
/* test-store.c: a store on database name (bails out on failure). */
struct store	*test_open(const char *);

/* Checks the text a query gives; name labels the test point. */
#define is_qstr(want, name, ...) do {					\
	char *got_ = test_q_text(__VA_ARGS__);				\
	is_str(got_, want, "%s", name);					\
	free(got_);							\
} while (0)

/*
 * test-store.c: records to store, every string allocated (free them with
 * the matching record_*_free). test_change fills c with change number,
 * revision and time when, its files src/a.c and file; test_build fills b
 * as its block comment tells; test_store_build stores b outside any
 * transaction as one test point labelled what and returns the id that
 * store_build gave (-1 if it gave none).
 */
void	 test_property(struct bbm_property *, const char *, const char *,
	     const char *);
void	 test_change(struct bbm_change *, int64_t, const char *, double,
	     const char *);
void	 test_build(struct bbm_build *, int64_t, double, size_t);
int64_t	 test_store_build(struct store *, int64_t, int64_t,
	     const struct bbm_build *, const char *);

/* test-store-history.c */
void	 test_changes(struct store *, int64_t);
void	 test_requests(struct store *, int64_t, int64_t);
void	 test_files_logs(struct store *, int64_t, int64_t);

/* test-store-live.c: uses the main store and reading connection. */
void	 test_live(struct store *, int64_t, int64_t);
/* test-store-engine.c: opens databases of its own. */
void	 test_live_files(void);

#endif /* BBM_TEST_STORE_H */
