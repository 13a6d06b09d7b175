/*
 * live-int.h: what the files of the live applier share: live.c (batches,
 * events, the caches of builders, builds and steps with their
 * write-behind, the undo journal) and live-log.c (step records as
 * store_step gets them, and the live logs: the master's log writer, their
 * text in the log store and in live_logs, their rows).
 */
#ifndef BBM_LIVE_INT_H
#define BBM_LIVE_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include "live.h"
#include "record.h"
#include "util.h"

/* The master's LogFile.chunkSize: the longest chunk it writes. */
#define LIVE_CHUNK	10000
/*
 * A running log's chunks stay in the database (live_logs.pending, in front
 * of the run) until a commit finds this many: short logs then never make a
 * file of their own, and go to a pack when they finish.
 */
#define LIVE_KEEP	((size_t)64 << 10)
/* A log's unwritten chunks are appended (one frame) beyond this. */
#define LIVE_FLUSH	((size_t)1 << 20)
/* Step and log indices above this are refused: they size arrays. */
#define LIVE_MAX_INDEX	10000

struct live_master {
	int64_t			 id;
	char			*name;
	enum bbm_origin		 origin;	/* what its rows say */
	uint64_t		 applied;	/* last seq of the batch */
	uint64_t		 committed;
	int			 born;		/* registered in the batch */
	TAILQ_ENTRY(live_master) entry;
};

struct live_builder {
	int64_t			 master_id;
	char			*name;
	int64_t			 id;
	TAILQ_ENTRY(live_builder) entry;
};

/*
 * A step of a build: the last record seen of it, and whether the database
 * still has an older one (the record is written at the commit, or before
 * something needs its rows: write-behind).
 */
struct live_step {
	struct bbm_step		*rec;		/* NULL: not seen */
	int			 dirty;
};

/* A build of the events: identity, row, its steps. */
struct live_build {
	struct live_master	*master;
	char			*builder;
	int64_t			 builder_id;
	int64_t			 number;
	double			 started;
	int64_t			 id;
	int			 finished;
	struct live_step	*steps;
	size_t			 nsteps;
	size_t			 ndirty;	/* steps to write */
	TAILQ_ENTRY(live_build)	 entry;
};

/* What an event may change in a log; saved before it does. */
struct live_text {
	enum bbm_log_state	 state;
	int64_t			 stored_bytes;	/* chunks written */
	int64_t			 text_bytes;	/* their text */
	int64_t			 lines;
	int			 complete;
	int			 channel;	/* of the open run, -1: none */
	int64_t			 run_bytes;	/* the run's length so far */
	int			 dirty;		/* to write at commit */
};

/*
 * A log this process writes. Its text is in three places: its file in the
 * log store (key; file_size bytes, store_size of them committed), chunks
 * not appended yet (out) and the master's open run (pending). Between
 * commits, out and pending are in its live_logs row. A finished log
 * without a file is written to a pack (key becomes its packed key).
 */
struct live_log {
	int64_t			 build_id;
	int64_t			 step;
	int64_t			 number;
	int64_t			 id;		/* the row; 0: not yet */
	char			*key;
	int			 file;		/* key's file exists */
	int			 packed;	/* key is a packed key */
	int			 live_row;	/* live_logs has a row */
	int			 synced;	/* the commit wrote its row */
	struct live_text	 t;
	int64_t			 store_size;	/* file size committed */
	int64_t			 file_size;	/* with the batch's frames */
	struct buf		 pending;	/* the run's unwritten text */
	struct buf		 out;		/* chunks not stored yet */
	TAILQ_ENTRY(live_log)	 entry;
};

enum live_undo_type {
	LIVE_UNDO_BUILDER,	/* ptr was added */
	LIVE_UNDO_BUILD,	/* ptr was added */
	LIVE_UNDO_LOG,		/* ptr was added */
	LIVE_UNDO_TEXT,		/* old (struct live_saved) is ptr's before */
	LIVE_UNDO_STEP,		/* old, flag: step index of build ptr */
	LIVE_UNDO_WRITTEN,	/* step index of build ptr was written */
	LIVE_UNDO_GONE,		/* log ptr was taken out of the cache */
	LIVE_UNDO_FINISHED,	/* build ptr was not finished */
};

struct live_undo {
	enum live_undo_type	 type;
	void			*ptr;
	void			*old;
	size_t			 index;
	int			 flag;
};

/* A log's text state before the event (LIVE_UNDO_TEXT). */
struct live_saved {
	struct live_text	 t;
	char			*pending;
	size_t			 pending_len;
	size_t			 out_len;
};

struct live {
	struct store		*store;
	struct logstore		*ls;
	int			 batch;
	struct live_stats	 stats;
	TAILQ_HEAD(, live_master) masters;
	TAILQ_HEAD(, live_builder) builders;
	TAILQ_HEAD(, live_build) builds;
	TAILQ_HEAD(, live_log)	 logs;
	struct live_log		*last;		/* the log found last */
	int			 applying;	/* inside live_apply */
	int			 unit;		/* its savepoint is open */
	struct live_undo	*undo;
	size_t			 nundo;
	size_t			 undo_size;
	struct buf		 blob;		/* a live_logs.pending */
};

/*
 * live.c. live_undo_push records a change to memory in the journal of the
 * event being applied (live_undo_end undoes or keeps them). live_unit
 * opens the event's savepoint: called before anything is written to the
 * database. live_build_get gives the build of an event (create: storing a
 * skeleton of its identity if the database has none; else *bp may be
 * NULL). live_step_put takes st as the record of its step (written later);
 * live_step_write writes step index of b if it is waiting.
 */
void		 live_undo_push(struct live *, enum live_undo_type, void *,
		     void *, size_t, int);
int		 live_unit(struct live *, char **);
int		 live_same_time(double, double);
int		 live_build_get(struct live *, struct live_master *,
		     const char *, int64_t, double, int, struct live_build **,
		     char **);
void		 live_step_free(struct bbm_step *);
int		 live_step_put(struct live *, struct live_build *,
		     struct bbm_step *, char **);
int		 live_step_write(struct live *, struct live_build *, size_t,
		     char **);

/*
 * live-log.c, step records. live_step_copy: a copy for the cache, without
 * log contents. live_shadow: what store_step is given for a step of b (its
 * logs' content columns from live_log_fill; free with live_shadow_free).
 * live_step_same: whether store_step would write the same. live_step_check:
 * what store_step would refuse.
 */
struct bbm_step	*live_step_copy(const struct bbm_step *);
void		 live_shadow_free(struct bbm_step *);
int		 live_shadow(struct live *, struct live_build *,
		     const struct bbm_step *, struct bbm_step *, char **);
int		 live_step_same(const struct bbm_step *,
		     const struct bbm_step *);
int		 live_step_check(const struct bbm_step *, char **);

/* live-log.c, live logs */
void		 live_log_free(struct live_log *);
void		 live_log_restore(struct live_log *, struct live_saved *);
struct live_log	*live_log_find(struct live *, int64_t, int64_t, int64_t);
int		 live_log_open(const struct live_log *);
void		 live_log_gone(struct live *, struct live_build *, int64_t,
		     const struct bbm_step *, size_t);
int		 live_log_get(struct live *, struct live_build *, int64_t,
		     int64_t, struct live_log **, int *, char **);
int		 live_log_fill(struct live *, struct live_build *, int64_t,
		     int64_t, struct bbm_log *, char **);
int		 live_log_finish(struct live *, struct live_log *,
		     const struct bbm_log *, char **);
int		 live_log_store(struct live *, struct live_log *, char **);
void		 live_log_synced(struct live *, struct live_build *, int64_t);
int		 live_log_save(struct live *, struct live_log *, char **);
int		 live_log_event(struct live *, struct live_master *,
		     const struct bbm_event *, char **);

#endif /* BBM_LIVE_INT_H */
