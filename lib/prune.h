/*
 * prune.h: log pruning, independent of any event loop. The policy
 * (--log-max-age, --log-max-total-size, --log-keep) and the work, done in
 * small steps that each hold the database's write lock for one short
 * transaction, so that a daemon can interleave them with its own batches.
 *
 * What a run does, in this order, a batch per prune_step:
 *
 * 1. Garbage: log-store keys no row references any more (table
 *    log_garbage, filled by triggers when a log's store_key is replaced or
 *    its row deleted) whose grace period has passed are removed from the
 *    log store (logstore_remove: a packed log's range is punched out of
 *    its pack, a file log unlinked), then their rows deleted. A key that a
 *    logs row references again is only forgotten, never removed. Content
 *    is removed before its row is deleted: a crash in between leaves the
 *    row, and the next run removes the (already missing) key again.
 * 2. Age (with a maximum age): the logs of builds that finished longer
 *    ago than the maximum age, or than their keep rule's age, become
 *    tombstones.
 * 3. Size (with a maximum total size): while the log store is larger,
 *    the logs of the builds that finished first become tombstones; builds
 *    a keep rule still protects go last (see below).
 * 4. HttpStatusPush bookkeeping: push_packets rows older than the push
 *    window (30 days) are deleted.
 *
 * A tombstone keeps its row and counts: state 'pruned', pruned_at the
 * time of the run, store_key NULL. Clearing the key puts it into
 * log_garbage (the trigger), in the same transaction; the content itself
 * is removed by the garbage pass of a later run, once the grace period
 * (60 s) has passed, so that a reader that fetched the key just before
 * can finish. Content is thus never removed while a row points at it, and
 * a crash at any point leaves at worst garbage that the next run
 * collects.
 *
 * Only finished builds are pruned (builds.finished_at set; a build that
 * never finished, such as one a crashed master left behind, is never
 * pruned), only logs in state 'stored', and never a log that is still
 * being written (a live_logs row).
 *
 * Keep rules "RESULT=AGE" keep the logs of builds with that result at
 * least AGE (0 or "forever": always): the age pass prunes them after
 * max(AGE, maximum age); a rule shorter than the maximum age changes
 * nothing; without a maximum age there is no age pass, and the rules only
 * count against the size limit. There they protect while younger than
 * AGE: the size pass prunes every unprotected log first, oldest first,
 * and only then, if the store is still larger than the limit, protected
 * ones, oldest first (logged as a warning): the size limit is a hard
 * limit that keeps the disk from filling up.
 *
 * The store's size is measured once per run, when the size pass starts,
 * as the blocks allocated to its files (st_blocks, so holes punched into
 * packs count as freed), less the compressed size of the keys in
 * log_garbage (removed by a later run), then lowered by the compressed
 * size of each log it prunes. Removing a packed log punches its range out
 * of the pack and then the blocks at its two ends once they hold only
 * zeros (their other logs went too), so packs of logs smaller than a
 * block shrink as well. A block shared with a log that stays is not
 * freed: the disk usage falls a little less than the estimate, and the
 * next run, measuring again, prunes what is still needed.
 *
 * The walks over builds (by builds.finished_at, oldest first) look at
 * windows of at most 1000 builds per query and remember where they
 * stopped, across runs too, so a run costs what is new since the last
 * one, not the whole history. Builds written since the last run that
 * finished before where a walk stopped (a master's spool replayed after
 * an outage, an import beside the daemon) move the walk back: they are
 * looked for by updated_at among the builds added in the last 10 to 20
 * minutes. Anything else (an old build whose logs a re-import stored
 * again) is found by a full walk every rescan interval (an hour).
 */
#ifndef BBM_PRUNE_H
#define BBM_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "logstore.h"
#include "store.h"
#include "util.h"

/* Result codes 0 (success) to 6 (cancelled), spec section 4. */
#define PRUNE_NRESULTS		7
/* Classes of builds: one per result code, then "no result". */
#define PRUNE_NCLASSES		(PRUNE_NRESULTS + 1)
#define PRUNE_KEEP_NONE		(-1)	/* no keep rule for this result */
#define PRUNE_KEEP_FOREVER	0

#define PRUNE_BATCH_DEFAULT	100
#define PRUNE_GRACE_DEFAULT	60
#define PRUNE_PUSH_WINDOW_DEFAULT (30 * 86400)
#define PRUNE_RESCAN_DEFAULT	3600
/* Largest age accepted: 1000 years. */
#define PRUNE_AGE_MAX		(1000LL * 366 * 86400)

struct prune_policy {
	int64_t		 max_age;	/* seconds; 0: no age limit */
	uint64_t	 max_total_size; /* bytes; 0: no size limit */
	/* Per result code: PRUNE_KEEP_NONE, _FOREVER or seconds. */
	int64_t		 keep[PRUNE_NRESULTS];
	int64_t		 grace;		/* seconds before garbage goes */
	int64_t		 push_window;	/* seconds push_packets are kept */
	int64_t		 rescan;	/* seconds between full walks */
	size_t		 batch;		/* logs or keys per step, >= 1 */
};

/* No limits, no keep rules, the defaults above. */
void	 prune_policy_init(struct prune_policy *);

/*
 * Option values. Each returns 0, or -1 with *cause (caller frees) naming
 * option (as given, e.g. "--log-max-age") and the bad value or token.
 * Ages: a whole number of seconds, or followed by one unit s, m, h, d
 * or w ("90d", "12h", "30m", "45s", "2w"); "0" is no limit; at most
 * PRUNE_AGE_MAX. Sizes: a whole number of bytes, or followed by K, M, G,
 * T or P (powers of 1024; "B" or "iB" may follow: "20G", "500MiB"); "0"
 * is no limit. Keep rules: "RESULT=AGE[,RESULT=AGE...]", RESULT one of
 * success, warnings, failure, skipped, exception, retry, cancelled (each
 * at most once), AGE an age as above, "0" or "forever" for always; keep
 * gets every code's rule (PRUNE_KEEP_NONE for those not named).
 */
int	 prune_parse_age(const char *option, const char *value, int64_t *secs,
	     char **cause) WUR;
int	 prune_parse_size(const char *option, const char *value,
	     uint64_t *bytes, char **cause) WUR;
int	 prune_parse_keep(const char *option, const char *value,
	     int64_t keep[PRUNE_NRESULTS], char **cause) WUR;

/*
 * What runs did; prune_step adds to it (zero it before a run to get that
 * run's numbers).
 */
struct prune_report {
	uint64_t	 steps;
	uint64_t	 garbage_keys;	/* keys removed from the log store */
	uint64_t	 garbage_forgotten; /* garbage rows of reused keys */
	uint64_t	 remove_failed;	/* removals that failed (logged) */
	uint64_t	 bytes_freed;	/* compressed size of keys removed */
	uint64_t	 logs_aged;	/* tombstones made by the age pass */
	uint64_t	 logs_sized;	/* ... by the size pass */
	uint64_t	 logs_kept_sized; /* ... of them protected by a rule */
	uint64_t	 bytes_pruned;	/* compressed size of the tombstones */
	uint64_t	 push_deleted;	/* push_packets rows deleted */
	int64_t		 usage;		/* last measured size; -1 never */
	int		 over_limit;	/* the last size pass ended above */
	uint64_t	 max_step_work;	/* most logs plus keys in one step */
};

struct prune;

/*
 * A pruner working on store s and log store ls (used, not owned; both
 * must outlive it) with a copy of the policy. Never fails. Its statements
 * are prepared on s's connection: prune_free before store_close.
 */
struct prune	*prune_new(struct store *, struct logstore *,
		     const struct prune_policy *);
void		 prune_free(struct prune *);

/*
 * Starts a run at time now (epoch seconds; the daemon passes the clock,
 * tests may pass a later time). A run that was not finished is dropped.
 */
void		 prune_start(struct prune *, double now);
/*
 * Does one batch of the run: at most policy.batch logs or keys, in one
 * transaction of its own (none may be open on the store). Returns 1 if
 * the run has more to do, 0 once it is finished, -1 with *cause on a
 * database error (the run ends there; the next one starts over). A
 * failure to remove one key is logged and counted, not an error: its row
 * stays and a later run tries again.
 */
int		 prune_step(struct prune *, struct prune_report *,
		     char **cause) WUR;

/* --- store-prune.c: the log store's disk ----------------------------- */

/*
 * Bytes allocated to the regular files under dir (st_blocks * 512),
 * packs, log files and temporaries alike. -1 with *cause if dir cannot
 * be read.
 */
int		 prune_disk_usage(const char *dir, uint64_t *bytes,
		     char **cause) WUR;
/*
 * The compressed size of a key: a packed key's <length>, a file's size
 * (0 if it is gone or cannot be read).
 */
uint64_t	 prune_key_size(struct logstore *, const char *key);

/*
 * Removes key from the log store (logstore_remove) and, for a packed key,
 * the file-system blocks it shared with logs removed before it; *size
 * gets its compressed size (prune_key_size, before the removal).
 */
int		 prune_remove(struct logstore *, const char *key,
		     uint64_t *size, char **cause) WUR;

/* --- store-prune.c: the database, on the store's write connection ---- */

/*
 * A position in the walk over finished builds, ordered by (finished_at,
 * id). A walk's cursor is exclusive: it starts after (t, id).
 */
struct prune_pos {
	double		 t;
	int64_t		 id;
};

/* A log found by a walk, or a garbage key. key is malloc'd. */
struct prune_item {
	int64_t		 id;		/* logs.id; 0 for garbage */
	char		*key;
	int		 referenced;	/* garbage: a logs row uses key */
	struct prune_pos pos;		/* logs: the build's position */
};
void		 prune_items_free(struct prune_item *, size_t);

/*
 * The statements of store_prune_* live on the store's connection and
 * follow store.h's conventions (-1 with *cause naming the table; inside
 * the caller's transaction when one is open).
 */
struct store_prune;
struct store_prune *store_prune_new(struct store *);
void		 store_prune_free(struct store_prune *);

/*
 * Up to max rows of log_garbage in key order after key after ("" for the
 * first) whose since is before before; referenced set for keys a logs
 * row uses.
 */
int		 store_prune_garbage(struct store_prune *, const char *after,
		     double before, size_t max, struct prune_item **,
		     size_t *n, char **cause) WUR;
/* Deletes the log_garbage row of key. */
int		 store_prune_garbage_forget(struct store_prune *,
		     const char *key, char **cause) WUR;
/* Calls fn with every key of log_garbage (until fn returns non-zero). */
int		 store_prune_garbage_each(struct store_prune *,
		     int (*fn)(const char *, void *), void *,
		     char **cause) WUR;

/*
 * The walk's windows. store_prune_window: *found 1 and *hi the position
 * of the n-th finished build after lo that finished before below; *found
 * 0 if there are fewer.
 */
int		 store_prune_window(struct store_prune *,
		     const struct prune_pos *lo, double below, size_t n,
		     struct prune_pos *hi, int *found, char **cause) WUR;
/*
 * The stored, not running logs of the builds after lo up to hi
 * (inclusive), in walk order, at most max. store_prune_aged takes the
 * builds whose class (result code 0..6, else PRUNE_NRESULTS) maps to
 * group in groups[]; store_prune_oldest the builds a keep rule protects
 * (kept 1) or those it does not (kept 0), a build being protected when
 * its finished_at is not before protect[class].
 */
int		 store_prune_aged(struct store_prune *,
		     const struct prune_pos *lo, const struct prune_pos *hi,
		     const int64_t groups[PRUNE_NCLASSES], int64_t group,
		     size_t max, struct prune_item **, size_t *n,
		     char **cause) WUR;
int		 store_prune_oldest(struct store_prune *,
		     const struct prune_pos *lo, const struct prune_pos *hi,
		     const double protect[PRUNE_NCLASSES], int kept,
		     size_t max, struct prune_item **, size_t *n,
		     char **cause) WUR;
/*
 * Makes log id a tombstone (state 'pruned', pruned_at at, store_key
 * NULL) if it is still stored under key; *done says whether it was.
 */
int		 store_prune_tombstone(struct store_prune *, int64_t id,
		     const char *key, double at, int *done, char **cause) WUR;
/* The largest builds.id (0 with no build). */
int		 store_prune_max_id(struct store_prune *, int64_t *id,
		     char **cause) WUR;
/*
 * The earliest finished_at of the builds whose id is above after that
 * were written (updated_at) since since; *found 0 if none of them
 * finished.
 */
int		 store_prune_new_min(struct store_prune *, int64_t after,
		     double since, double *t, int *found, char **cause) WUR;
/*
 * Deletes at most max push_packets rows received before before; *n gets
 * how many.
 */
int		 store_prune_push(struct store_prune *, double before,
		     size_t max, uint64_t *n, char **cause) WUR;

#endif /* BBM_PRUNE_H */
