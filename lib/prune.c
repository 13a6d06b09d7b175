/*
 * prune.c: log pruning (prune.h): the option parsers and the runs, a small
 * batch per prune_step. What the runs read and change in the database
 * and on the log store's disk is in store-prune.c.
 */
#include "config.h"
#include "prune.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record.h"

/* Builds per window query, and window queries per step. */
#define PRUNE_WINDOW		1000
#define PRUNE_WINDOWS_PER_STEP	8
/* Beyond any time a build may carry. */
#define PRUNE_FAR		1e300
/* push_packets rows per step, per log of the batch (they are tiny). */
#define PRUNE_PUSH_FACTOR	10
/*
 * Builds written since the last run are looked for among the rows added
 * since a run at least this long before (they may have been running
 * then), and at first among this many of the last rows.
 */
#define PRUNE_MARK_AGE		600.
#define PRUNE_MARK_ROWS		10000

enum prune_phase {
	PRUNE_BEGIN,
	PRUNE_GARBAGE,
	PRUNE_AGE,
	PRUNE_SIZE,
	PRUNE_PUSH,
	PRUNE_DONE,
};

enum prune_walk_kind {
	PRUNE_WALK_AGE,
	PRUNE_WALK_SIZE,
};

/* What one step may still do. */
struct prune_budget {
	size_t	 work;		/* logs made tombstones, keys collected */
	size_t	 windows;	/* window queries */
};

struct prune {
	struct store		*s;
	struct logstore		*ls;
	struct store_prune	*sp;
	struct prune_policy	 pol;

	/*
	 * The age pass walks once per distinct age: each class of build
	 * (result code, else "no result") belongs to the group of its age,
	 * or to none (-1: never pruned by age). Cursors stay across runs.
	 */
	int64_t			 groups[PRUNE_NCLASSES];
	int64_t			 group_age[PRUNE_NCLASSES];
	struct prune_pos	 group_cur[PRUNE_NCLASSES];
	size_t			 ngroups;
	/* The size pass: builds no rule protects (0), protected ones (1). */
	struct prune_pos	 size_cur[2];
	double			 rescanned;	/* cursors reset; 0 never */
	int			 fresh;		/* reset by this run */
	/*
	 * The largest builds.id at two earlier runs ([0] the older, at
	 * least PRUNE_MARK_AGE before [1] once there are two): rows after
	 * mark_id[0] are builds stored since, which may have finished
	 * before the cursors.
	 */
	int64_t			 mark_id[2];
	double			 mark_at[2];
	int			 marked;
	double			 last;		/* the last run's start */

	/* The run. */
	double			 now;
	enum prune_phase	 phase;
	char			*garbage_after;
	size_t			 group;
	int			 kept;
	int			 measured;
	int64_t			 usage;
	double			 protect[PRUNE_NCLASSES];
};

/* --- option values ----------------------------------------------------- */

void
prune_policy_init(struct prune_policy *pol)
{
	size_t	 i;

	memset(pol, 0, sizeof *pol);
	for (i = 0; i < PRUNE_NRESULTS; i++)
		pol->keep[i] = PRUNE_KEEP_NONE;
	pol->grace = PRUNE_GRACE_DEFAULT;
	pol->push_window = PRUNE_PUSH_WINDOW_DEFAULT;
	pol->rescan = PRUNE_RESCAN_DEFAULT;
	pol->batch = PRUNE_BATCH_DEFAULT;
}

/*
 * The decimal number at the start of s: 0 with *n and *end (the first
 * byte after it) set, -1 if s does not start with a digit, -2 if the
 * number does not fit.
 */
static int
prune_number(const char *s, uint64_t *n, const char **end)
{
	uint64_t	 v = 0;
	unsigned int	 d;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return (-2);
		v = v * 10 + d;
	}
	*n = v;
	*end = s;
	return (0);
}

/*
 * An age in seconds from s; NULL, or why s is not one (in why, which
 * holds len bytes).
 */
static const char *
prune_age_text(const char *s, int64_t *secs, char *why, size_t len)
{
	static const struct {
		char		 unit;
		uint64_t	 mult;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	uint64_t	 n, mult = 0;
	const char	*end;
	size_t		 i;
	int		 rc;

	if (*s == '\0')
		return ("empty age");
	if ((rc = prune_number(s, &n, &end)) == -1)
		return ("not an age (expected a number of seconds or a number "
		    "followed by s, m, h, d or w)");
	if (rc == -2)
		return ("too large");
	if (*end == '\0')
		mult = 1;
	else if (end[1] == '\0') {
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (units[i].unit == *end)
				mult = units[i].mult;
		}
	}
	if (mult == 0) {
		snprintf(why, len, "unknown unit \"%s\" (expected s, m, h, d "
		    "or w)", end);
		return (why);
	}
	if (n > (uint64_t)PRUNE_AGE_MAX / mult)
		return ("too large (at most 1000 years)");
	*secs = (int64_t)(n * mult);
	return (NULL);
}

int
prune_parse_age(const char *option, const char *value, int64_t *secs,
    char **cause)
{
	const char	*why;
	char		 buf[128];

	if ((why = prune_age_text(value, secs, buf, sizeof buf)) != NULL) {
		xasprintf(cause, "%s: \"%s\": %s", option, value, why);
		return (-1);
	}
	return (0);
}

int
prune_parse_size(const char *option, const char *value, uint64_t *bytes,
    char **cause)
{
	static const char	*units = "KMGTP";
	const char		*end, *u;
	uint64_t		 n, mult = 1;
	int			 rc;

	if (*value == '\0') {
		xasprintf(cause, "%s: empty size", option);
		return (-1);
	}
	if ((rc = prune_number(value, &n, &end)) != 0) {
		xasprintf(cause, "%s: \"%s\": %s", option, value, rc == -2 ?
		    "too large" : "not a size (expected a number of bytes, or "
		    "a number followed by K, M, G, T or P)");
		return (-1);
	}
	if (*end != '\0') {
		u = strchr(units, toupper((unsigned char)*end));
		if (u == NULL || (strcmp(end + 1, "") != 0 &&
		    strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0)) {
			xasprintf(cause, "%s: \"%s\": unknown unit \"%s\" "
			    "(expected K, M, G, T or P)", option, value, end);
			return (-1);
		}
		mult = 1ULL << (10 * (u - units + 1));
	}
	if (n > UINT64_MAX / mult || n * mult > (uint64_t)INT64_MAX) {
		xasprintf(cause, "%s: \"%s\": too large", option, value);
		return (-1);
	}
	*bytes = n * mult;
	return (0);
}

/* Parses one rule "RESULT=AGE" (rule is its own copy) into keep. */
static int
prune_parse_rule(const char *option, char *rule, int64_t *keep,
    char **cause)
{
	char		*eq, buf[128];
	const char	*why;
	int64_t		 age;
	int		 i, code = -1;

	if ((eq = strchr(rule, '=')) == NULL) {
		xasprintf(cause, "%s: \"%s\": expected RESULT=AGE", option,
		    rule);
		return (-1);
	}
	*eq = '\0';
	for (i = 0; i < PRUNE_NRESULTS; i++) {
		if (strcasecmp(rule, record_result_name(i)) == 0)
			code = i;
	}
	if (code == -1) {
		xasprintf(cause, "%s: \"%s=%s\": unknown result \"%s\" "
		    "(expected success, warnings, failure, skipped, "
		    "exception, retry or cancelled)", option, rule, eq + 1,
		    rule);
		return (-1);
	}
	if (keep[code] != PRUNE_KEEP_NONE) {
		xasprintf(cause, "%s: \"%s=%s\": %s has a rule already",
		    option, rule, eq + 1, rule);
		return (-1);
	}
	if (strcmp(eq + 1, "forever") == 0)
		age = PRUNE_KEEP_FOREVER;
	else if ((why = prune_age_text(eq + 1, &age, buf, sizeof buf)) !=
	    NULL) {
		xasprintf(cause, "%s: \"%s=%s\": %s", option, rule, eq + 1,
		    why);
		return (-1);
	}
	keep[code] = age;
	return (0);
}

int
prune_parse_keep(const char *option, const char *value,
    int64_t keep[PRUNE_NRESULTS], char **cause)
{
	const char	*p, *q, *e;
	char		*rule;
	int64_t		 k[PRUNE_NRESULTS];
	size_t		 i;
	int		 rc;

	for (i = 0; i < PRUNE_NRESULTS; i++)
		k[i] = PRUNE_KEEP_NONE;
	p = value;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		q = strchr(p, ',');
		e = (q != NULL) ? q : p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p) {
			xasprintf(cause, "%s: \"%s\": empty rule (expected "
			    "RESULT=AGE[,RESULT=AGE...])", option, value);
			return (-1);
		}
		rule = xstrndup(p, (size_t)(e - p));
		rc = prune_parse_rule(option, rule, k, cause);
		free(rule);
		if (rc != 0)
			return (-1);
		if (q == NULL)
			break;
		p = q + 1;
	}
	memcpy(keep, k, sizeof k);
	return (0);
}

/* --- runs -------------------------------------------------------------- */

/* The age after which the age pass prunes a class; 0: never. */
static int64_t
prune_class_age(const struct prune_policy *pol, size_t class)
{
	int64_t	 keep;

	if (pol->max_age == 0)
		return (0);
	if (class >= PRUNE_NRESULTS || pol->keep[class] == PRUNE_KEEP_NONE)
		return (pol->max_age);
	keep = pol->keep[class];
	if (keep == PRUNE_KEEP_FOREVER)
		return (0);
	return (keep > pol->max_age ? keep : pol->max_age);
}

static void
prune_reset_cursors(struct prune *p)
{
	size_t	 i;

	for (i = 0; i < PRUNE_NCLASSES; i++) {
		p->group_cur[i].t = -PRUNE_FAR;
		p->group_cur[i].id = 0;
	}
	for (i = 0; i < 2; i++) {
		p->size_cur[i].t = -PRUNE_FAR;
		p->size_cur[i].id = 0;
	}
}

struct prune *
prune_new(struct store *s, struct logstore *ls,
    const struct prune_policy *pol)
{
	struct prune	*p;
	size_t		 c, g;
	int64_t		 age;

	p = xcalloc(1, sizeof *p);
	p->s = s;
	p->ls = ls;
	p->sp = store_prune_new(s);
	p->pol = *pol;
	if (p->pol.batch == 0)
		p->pol.batch = 1;
	for (c = 0; c < PRUNE_NCLASSES; c++) {
		p->groups[c] = -1;
		if ((age = prune_class_age(&p->pol, c)) == 0)
			continue;
		for (g = 0; g < p->ngroups; g++) {
			if (p->group_age[g] == age)
				break;
		}
		if (g == p->ngroups)
			p->group_age[p->ngroups++] = age;
		p->groups[c] = (int64_t)g;
	}
	prune_reset_cursors(p);
	p->phase = PRUNE_DONE;
	p->garbage_after = xstrdup("");
	return (p);
}

void
prune_free(struct prune *p)
{
	if (p == NULL)
		return;
	store_prune_free(p->sp);
	free(p->garbage_after);
	free(p);
}

void
prune_start(struct prune *p, double now)
{
	const struct prune_policy	*pol = &p->pol;
	size_t				 c;
	int64_t				 keep;

	p->now = now;
	p->phase = PRUNE_BEGIN;
	p->fresh = 0;
	free(p->garbage_after);
	p->garbage_after = xstrdup("");
	p->group = 0;
	p->kept = 0;
	p->measured = 0;
	p->usage = 0;
	if (p->rescanned == 0 || now < p->rescanned ||
	    now - p->rescanned >= (double)pol->rescan) {
		prune_reset_cursors(p);
		p->rescanned = now;
		p->fresh = 1;
	}
	/* Protected: finished_at not before protect[class]. */
	for (c = 0; c < PRUNE_NCLASSES; c++) {
		keep = (c < PRUNE_NRESULTS) ? pol->keep[c] : PRUNE_KEEP_NONE;
		if (keep == PRUNE_KEEP_NONE ||
		    (keep != PRUNE_KEEP_FOREVER && pol->max_age != 0 &&
		    keep <= pol->max_age))
			p->protect[c] = PRUNE_FAR;
		else if (keep == PRUNE_KEEP_FOREVER)
			p->protect[c] = -PRUNE_FAR;
		else
			p->protect[c] = now - (double)keep;
	}
}

/* Moves every cursor back before time t (exclusive cursors: (t, 0)). */
static void
prune_rewind(struct prune *p, double t)
{
	size_t	 i;

	for (i = 0; i < p->ngroups; i++) {
		if (t <= p->group_cur[i].t) {
			p->group_cur[i].t = t;
			p->group_cur[i].id = 0;
		}
	}
	for (i = 0; i < 2; i++) {
		if (t <= p->size_cur[i].t) {
			p->size_cur[i].t = t;
			p->size_cur[i].id = 0;
		}
	}
}

/*
 * The run's start: builds written since the last run (a master's spool
 * sent after an outage, an import beside the daemon) may have finished
 * before where the walks stopped: the cursors go back to the earliest of
 * them. Only the rows added since the older mark are looked at, so an
 * old build written again (a re-import) waits for the next full walk.
 * Then the marks move on.
 */
static int
prune_begin(struct prune *p, char **cause)
{
	int64_t	 max;
	double	 t;
	int	 found;

	if (store_prune_max_id(p->sp, &max, cause) != 0)
		return (-1);
	if (!p->marked) {
		p->mark_id[0] = max > PRUNE_MARK_ROWS ? max - PRUNE_MARK_ROWS :
		    0;
		p->mark_at[0] = p->now;
		p->mark_id[1] = max;
		p->mark_at[1] = p->now;
		p->marked = 1;
	}
	/* A second of margin: updated_at and now are two clock readings. */
	if (!p->fresh && p->last != 0) {
		if (store_prune_new_min(p->sp, p->mark_id[0], p->last - 1., &t,
		    &found, cause) != 0)
			return (-1);
		if (found)
			prune_rewind(p, t);
	}
	p->last = p->now;
	if (p->now - p->mark_at[1] >= PRUNE_MARK_AGE ||
	    p->now < p->mark_at[1]) {
		p->mark_id[0] = p->mark_id[1];
		p->mark_at[0] = p->mark_at[1];
		p->mark_id[1] = max;
		p->mark_at[1] = p->now;
	}
	return (0);
}

/*
 * The garbage pass: removes up to a budget of collectible keys from the
 * log store, then forgets their rows in one transaction (keys a row uses
 * again are only forgotten). *done once the keys are exhausted.
 */
static int
prune_garbage(struct prune *p, struct prune_budget *b,
    struct prune_report *r, int *done, char **cause)
{
	struct prune_item	*items;
	size_t			 n, i;
	uint64_t		 size;
	char			*error = NULL;
	int			 forget = 0;

	if (store_prune_garbage(p->sp, p->garbage_after,
	    p->now - (double)p->pol.grace, b->work, &items, &n, cause) != 0)
		return (-1);
	if (n < b->work)
		*done = 1;
	if (n == 0) {
		free(items);
		return (0);
	}
	b->work -= n;
	free(p->garbage_after);
	p->garbage_after = xstrdup(items[n - 1].key);

	/* Content first: a crash before the rows go only repeats this. */
	for (i = 0; i < n; i++) {
		if (items[i].referenced) {
			r->garbage_forgotten++;
			forget++;
			continue;
		}
		if (!logstore_key_valid(items[i].key)) {
			log_warnx("pruner: forgetting invalid garbage key "
			    "\"%.*s\"", LOGSTORE_KEY_MAX, items[i].key);
			forget++;
			continue;
		}
		if (prune_remove(p->ls, items[i].key, &size, &error) != 0) {
			log_warnx("pruner: %s", error);
			free(error);
			error = NULL;
			r->remove_failed++;
			items[i].id = -1;	/* kept for a later run */
			continue;
		}
		r->garbage_keys++;
		r->bytes_freed += size;
		forget++;
	}
	if (forget != 0) {
		if (store_begin(p->s, cause) != 0)
			goto fail;
		for (i = 0; i < n; i++) {
			if (items[i].id != -1 && store_prune_garbage_forget(
			    p->sp, items[i].key, cause) != 0) {
				store_rollback(p->s);
				goto fail;
			}
		}
		if (store_commit(p->s, cause) != 0)
			goto fail;
	}
	prune_items_free(items, n);
	return (0);

fail:
	prune_items_free(items, n);
	return (-1);
}

/* Is the store small enough (the size walk stops there)? */
static int
prune_small_enough(const struct prune *p)
{
	return (p->usage <= (int64_t)p->pol.max_total_size);
}

/*
 * A walk, in one transaction: window after window from *pos toward below
 * (exclusive), makes tombstones of the logs the kind's query gives, until
 * the budget is spent (or, for the size walk, the store is small enough).
 * *pos moves past each window once every log it gave is a tombstone, when
 * they are committed, so the next step (or run) goes on from there; *end
 * is set when the walk reached below or the store is small enough.
 */
static int
prune_walk(struct prune *p, enum prune_walk_kind kind, struct prune_pos *pos,
    double below, struct prune_budget *b, struct prune_report *r, int *end,
    char **cause)
{
	struct prune_item	*items;
	struct prune_pos	 hi, c = *pos, *cur = &c;
	size_t			 n, i, want, made;
	uint64_t		 size;
	int			 found, done, stopped = 0, rc;

	if (store_begin(p->s, cause) != 0)
		return (-1);
	while (b->work > 0 && b->windows > 0 && !stopped) {
		if (kind == PRUNE_WALK_SIZE && prune_small_enough(p)) {
			*end = 1;
			break;
		}
		if (store_prune_window(p->sp, cur, below, PRUNE_WINDOW, &hi,
		    &found, cause) != 0)
			goto fail;
		if (!found) {
			hi.t = below;	/* inclusive, and no id is 0 */
			hi.id = 0;
		}
		b->windows--;
		want = b->work;
		if (kind == PRUNE_WALK_AGE)
			rc = store_prune_aged(p->sp, cur, &hi, p->groups,
			    (int64_t)p->group, want, &items, &n, cause);
		else
			rc = store_prune_oldest(p->sp, cur, &hi, p->protect,
			    p->kept, want, &items, &n, cause);
		if (rc != 0)
			goto fail;
		for (i = made = 0; i < n; i++) {
			if (kind == PRUNE_WALK_SIZE && prune_small_enough(p)) {
				stopped = 1;
				*end = 1;
				break;
			}
			size = prune_key_size(p->ls, items[i].key);
			if (store_prune_tombstone(p->sp, items[i].id,
			    items[i].key, p->now, &done, cause) != 0) {
				prune_items_free(items, n);
				goto fail;
			}
			if (!done)
				continue;
			made++;
			b->work--;
			r->bytes_pruned += size;
			if (kind == PRUNE_WALK_AGE)
				r->logs_aged++;
			else {
				r->logs_sized++;
				if (p->kept)
					r->logs_kept_sized++;
				p->usage -= (int64_t)size;
			}
		}
		prune_items_free(items, n);
		/* The window may hold more (unless it made none). */
		if (stopped || (n == want && made != 0))
			break;
		*cur = hi;
		if (!found) {
			*end = 1;
			break;
		}
	}
	if (store_commit(p->s, cause) != 0)
		return (-1);
	*pos = c;	/* only once its tombstones are committed */
	return (0);

fail:
	store_rollback(p->s);
	return (-1);
}

/* The age pass: one group's walk after the other. */
static int
prune_age(struct prune *p, struct prune_budget *b, struct prune_report *r,
    int *done, char **cause)
{
	double	 below;
	int	 end = 0;

	if (p->group >= p->ngroups) {
		*done = 1;
		return (0);
	}
	below = p->now - (double)p->group_age[p->group];
	if (prune_walk(p, PRUNE_WALK_AGE, &p->group_cur[p->group], below, b, r,
	    &end, cause) != 0)
		return (-1);
	if (end && ++p->group >= p->ngroups)
		*done = 1;
	return (0);
}

/* Adds the size of a pending garbage key to the run's usage. */
static int
prune_pending(const char *key, void *arg)
{
	struct prune	*p = arg;

	p->usage -= (int64_t)prune_key_size(p->ls, key);
	return (0);
}

/*
 * The size pass: measures the store once, then walks the unprotected
 * builds and, if the store is still too large, the protected ones.
 */
static int
prune_size(struct prune *p, struct prune_budget *b, struct prune_report *r,
    int *done, char **cause)
{
	uint64_t	 du;
	int		 end = 0;

	if (p->pol.max_total_size == 0) {
		*done = 1;
		return (0);
	}
	if (!p->measured) {
		if (prune_disk_usage(logstore_dir(p->ls), &du, cause) != 0)
			return (-1);
		r->usage = (int64_t)du;
		p->usage = (int64_t)du;
		if (store_prune_garbage_each(p->sp, prune_pending, p,
		    cause) != 0)
			return (-1);
		if (p->usage < 0)
			p->usage = 0;
		p->measured = 1;
	}
	if (prune_small_enough(p)) {
		r->over_limit = 0;
		*done = 1;
		return (0);
	}
	if (prune_walk(p, PRUNE_WALK_SIZE, &p->size_cur[p->kept], p->now, b, r,
	    &end, cause) != 0)
		return (-1);
	if (end) {
		if (prune_small_enough(p) || p->kept)
			*done = 1;
		else
			p->kept = 1;	/* the protected builds' turn */
	}
	if (*done)
		r->over_limit = !prune_small_enough(p);
	return (0);
}

/* Deletes a batch of push_packets rows older than the push window. */
static int
prune_push(struct prune *p, struct prune_budget *b, struct prune_report *r,
    int *done, char **cause)
{
	uint64_t	 n;
	size_t		 max = p->pol.batch * PRUNE_PUSH_FACTOR;

	if (p->pol.push_window <= 0) {
		*done = 1;
		return (0);
	}
	if (store_begin(p->s, cause) != 0)
		return (-1);
	if (store_prune_push(p->sp, p->now - (double)p->pol.push_window, max,
	    &n, cause) != 0) {
		store_rollback(p->s);
		return (-1);
	}
	if (store_commit(p->s, cause) != 0)
		return (-1);
	r->push_deleted += n;
	if (n < max)
		*done = 1;
	if (n != 0)
		b->windows = 0;		/* that was this step's batch */
	return (0);
}

int
prune_step(struct prune *p, struct prune_report *r, char **cause)
{
	struct prune_budget	 b;
	size_t			 work;
	int			 done, rc = 0;

	b.work = p->pol.batch;
	b.windows = PRUNE_WINDOWS_PER_STEP;
	r->steps++;
	/* Through the phases until one did something or the budget is spent. */
	while (p->phase != PRUNE_DONE && b.work == p->pol.batch &&
	    b.windows > 0) {
		done = 0;
		switch (p->phase) {
		case PRUNE_BEGIN:
			rc = prune_begin(p, cause);
			done = 1;
			break;
		case PRUNE_GARBAGE:
			rc = prune_garbage(p, &b, r, &done, cause);
			break;
		case PRUNE_AGE:
			rc = prune_age(p, &b, r, &done, cause);
			break;
		case PRUNE_SIZE:
			rc = prune_size(p, &b, r, &done, cause);
			break;
		case PRUNE_PUSH:
			rc = prune_push(p, &b, r, &done, cause);
			break;
		case PRUNE_DONE:
			break;
		}
		if (rc != 0) {
			p->phase = PRUNE_DONE;
			return (-1);
		}
		if (done)
			p->phase = (enum prune_phase)(p->phase + 1);
	}
	work = p->pol.batch - b.work;
	if (work > r->max_step_work)
		r->max_step_work = work;
	return (p->phase == PRUNE_DONE ? 0 : 1);
}
