/*
 * test-logread.h: declarations shared by the two files of the test-logread
 * program: test-logread.c (main, the environment, the model of a log and
 * the checks, the imported build) and test-logread-live.c (a live build).
 */
#ifndef BBM_TEST_LOGREAD_H
#define BBM_TEST_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "logread.h"
#include "record.h"
#include "util.h"

#define MASTER		"m1"
#define STARTED		1700000000.5

/*
 * A store, log store, live applier and reader on the current engine: db
 * is the database's name (test-db.h), dir the log store's directory.
 */
struct env {
	char		 db[64];	/* its name (test-db.h) */
	char		 dir[256];
	struct store	*s;
	struct logstore	*ls;
	struct live	*l;
	struct query_db	*q;
	int64_t		 master_id;
	uint64_t	 seq;
};

/*
 * The model of one log: the complete chunks the master wrote (its file),
 * each chunk's channel and end, and the master's open run (addEntry
 * coalesces text on one channel; merge() writes it as chunks of at most
 * 10000 bytes).
 */
struct chunkpos {
	size_t	 end;		/* in text */
	int	 channel;
};
struct model {
	struct buf	 stream;
	struct buf	 text;		/* every channel */
	struct chunkpos	*chunks;
	size_t		 nchunks;
	int		 open;
	int		 channel;
	struct buf	 run;
};

/* What a reader of a selection must give. */
struct expect {
	char		*text;
	char		*chan;
	size_t		 len;
	char		*isend;	/* len + 1 flags: chunk ends */
};

/*
 * test-logread.c. mk_text: len random bytes (caller frees). The model:
 * model_add is the master's addEntry, model_merge its merge(), model_raw
 * the stream a reader shows (caller frees). expect_make: what a reader of
 * a selection must give. The checks are test points: check_log reads a
 * log from many offsets, check_masks with every selection, check_raw its
 * stream, check_info its info. q_exec runs a statement on the database
 * through a connection of its own (dies on error); put_packed stores a
 * packed log (its key, caller frees), get_stored reads a key back (caller
 * frees); mk_log_rec fills a log record.
 */
char		*mk_text(size_t);
void		 model_init(struct model *);
void		 model_free(struct model *);
void		 model_merge(struct model *);
void		 model_add(struct model *, int, const char *, size_t);
char		*model_raw(const struct model *, size_t *);
void		 expect_make(struct expect *, const struct model *,
		     unsigned int);
void		 expect_free(struct expect *);
void		 check_log(struct env *, int64_t, const struct model *,
		     unsigned int, const char *);
void		 check_masks(struct env *, int64_t, const struct model *,
		     const char *);
void		 check_raw(struct env *, int64_t, const char *, size_t,
		     const char *);
void		 check_info(struct env *, int64_t, enum bbm_log_state, int,
		     int, int64_t, const char *);
void		 q_exec(struct env *, const char *, ...) PRINTFLIKE(2, 3);
char		*put_packed(struct env *, const void *, size_t);
char		*get_stored(struct env *, const char *, size_t *);
void		 mk_log_rec(struct bbm_log *, const char *,
		     enum bbm_log_kind);

/* test-logread-live.c: the live build's tests. */
void		 test_live(struct env *);

#endif /* BBM_TEST_LOGREAD_H */
