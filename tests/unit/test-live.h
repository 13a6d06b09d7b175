/*
 * test-live.h: declarations shared by the two files of the test-live
 * program: test-live.c (main, the environment, reading the database and
 * the log store back, events other than builds, failing events) and
 * test-live-build.c (a build driven through events).
 */
#ifndef BBM_TEST_LIVE_H
#define BBM_TEST_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "live.h"
#include "logstore.h"
#include "record.h"
#include "store.h"
#include "util.h"

#define MASTER		"m1"
#define BUILDER		"runtests"
#define NUMBER		7
#define STARTED		1700000000.25

/*
 * A store, log store and live applier: db is the database's name
 * (test-db.h), dir the log store's directory.
 */
struct env {
	char		 db[256];
	char		 dir[256];
	struct store	*s;
	struct logstore	*ls;
	struct live	*l;
	int64_t		 master_id;
	uint64_t	 last_seq;
};

/*
 * test-live.c. env_open opens (or reopens) the environment called name
 * on the current engine and registers master MASTER.
 * ev_init fills ev (zeroed first) as an event type with that name and
 * seq; ev_ident adds the identity of build NUMBER of BUILDER and a step
 * and log index; ev_free frees what they allocated. dump gives the rows
 * of database name's builds as text (caller frees); q_int and q_text what
 * a query gives on it (-999 or NULL if nothing); q_exec runs a statement
 * on it; same_dump is a test point;
 * read_log reads a log back (caller frees; NULL on error).
 */
void		 env_open(struct env *, const char *);
void		 env_close(struct env *);
void		 ev_init(struct bbm_event *, enum event_type, const char *,
		     uint64_t);
void		 ev_ident(struct bbm_event *, int64_t, int64_t);
void		 ev_free(struct bbm_event *);
char		*dump(const char *);
int64_t		 q_int(const char *, const char *, ...) PRINTFLIKE(2, 3);
char		*q_text(const char *, const char *, ...) PRINTFLIKE(2, 3);
void		 q_exec(const char *, const char *);
void		 same_dump(const char *, const char *, const char *);
char		*read_log(struct logstore *, const char *, size_t *);

/*
 * test-live-build.c. mk_build: the build as buildStarted (final 0) or
 * buildFinished (final 1) shows it; bad: with a sourcestamp store_build
 * refuses. mk_step: step index in phase 0 (not started), 1 (running with
 * its first nlogs logs) or 2 (finished). test_builds runs the tests of a
 * whole build.
 */
struct bbm_build *mk_build(int, int);
void		 mk_step(struct bbm_step *, size_t, int, size_t);
void		 test_builds(void);

#endif /* BBM_TEST_LIVE_H */
