/*
 * live.c: applies live events to the mirror (live.h).
 *
 * Memory holds caches of what the database says (builder and build row
 * ids, the last record seen of each step) and the state of the logs being
 * written: their counters, the master's open output run and the chunks
 * not in the log store yet. Everything can be rebuilt from the database
 * (tables steps, logs and live_logs), which a commit brings in line with
 * memory, so a failed commit simply drops the caches.
 *
 * Steps are written behind: a step event only replaces the cached record
 * and marks it waiting; the commit writes each waiting step once (and
 * nothing if the record did not change), before the log rows, or an event
 * writes it first when it needs the step's rows in the database. A record
 * is checked as store_step would check it when it arrives, so that its
 * write cannot fail later because of it.
 *
 * Each event keeps an undo journal of what it changed in memory; a failed
 * event replays it backwards, so memory matches the rolled back unit. The
 * unit (a savepoint) is opened by the event's first write: most events
 * (step changes, log text) write nothing until the commit.
 * This file holds batches, events, the caches of builders, builds and
 * steps and the journal; live-log.c the live logs and step records.
 */
#include "config.h"
#include "live.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "live-int.h"

/* Equal times; NaN (unknown) equals only NaN. */
int
live_same_time(double a, double b)
{
	if (isnan(a) || isnan(b))
		return (isnan(a) && isnan(b));
	return (a == b);
}

void
live_step_free(struct bbm_step *st)
{
	if (st != NULL) {
		record_step_free(st);
		free(st);
	}
}

static void
live_builder_free(struct live_builder *br)
{
	free(br->name);
	free(br);
}

static void
live_build_free(struct live_build *b)
{
	size_t	 i;

	for (i = 0; i < b->nsteps; i++)
		live_step_free(b->steps[i].rec);
	free(b->steps);
	free(b->builder);
	free(b);
}

/* Sets whether step index of b waits to be written. */
static void
live_step_dirty(struct live_build *b, size_t index, int dirty)
{
	struct live_step	*ls = &b->steps[index];

	if (ls->dirty && !dirty)
		b->ndirty--;
	else if (!ls->dirty && dirty)
		b->ndirty++;
	ls->dirty = dirty;
}

/*
 * Forgets the caches and the logs' unwritten state, and the batch's
 * sequence numbers: the database is the truth again.
 */
static void
live_drop(struct live *l)
{
	struct live_master	*m, *mnext;
	struct live_builder	*br;
	struct live_build	*b;
	struct live_log		*lg;

	while ((br = TAILQ_FIRST(&l->builders)) != NULL) {
		TAILQ_REMOVE(&l->builders, br, entry);
		live_builder_free(br);
	}
	while ((b = TAILQ_FIRST(&l->builds)) != NULL) {
		TAILQ_REMOVE(&l->builds, b, entry);
		live_build_free(b);
	}
	while ((lg = TAILQ_FIRST(&l->logs)) != NULL) {
		TAILQ_REMOVE(&l->logs, lg, entry);
		live_log_free(lg);
	}
	l->last = NULL;
	for (m = TAILQ_FIRST(&l->masters); m != NULL; m = mnext) {
		mnext = TAILQ_NEXT(m, entry);
		if (m->born) {
			/* Its row went with the batch. */
			TAILQ_REMOVE(&l->masters, m, entry);
			free(m->name);
			free(m);
			continue;
		}
		m->applied = m->committed;
	}
}

struct live *
live_new(struct store *s, struct logstore *ls)
{
	struct live	*l;

	l = xcalloc(1, sizeof *l);
	l->store = s;
	l->ls = ls;
	TAILQ_INIT(&l->masters);
	TAILQ_INIT(&l->builders);
	TAILQ_INIT(&l->builds);
	TAILQ_INIT(&l->logs);
	buf_init(&l->blob, 0);
	return (l);
}

void
live_free(struct live *l)
{
	struct live_master	*m;

	if (l == NULL)
		return;
	live_rollback(l);
	while ((m = TAILQ_FIRST(&l->masters)) != NULL) {
		TAILQ_REMOVE(&l->masters, m, entry);
		free(m->name);
		free(m);
	}
	free(l->undo);
	buf_free(&l->blob);
	free(l);
}

static struct live_master *
live_master_find(const struct live *l, int64_t id)
{
	struct live_master	*m;

	TAILQ_FOREACH(m, &l->masters, entry) {
		if (m->id == id)
			return (m);
	}
	return (NULL);
}

int
live_master(struct live *l, const char *name, const char *basedir,
    int64_t *master_id, uint64_t *last_seq, char **cause)
{
	struct live_master	*m;
	uint64_t		 seq;
	int64_t			 id;

	if (store_master(l->store, name, basedir, &id, cause) != 0 ||
	    store_live_seq_get(l->store, id, &seq, cause) != 0)
		return (-1);
	if ((m = live_master_find(l, id)) == NULL) {
		m = xcalloc(1, sizeof *m);
		m->id = id;
		m->name = xstrdup(name);
		m->origin = BBM_ORIGIN_LIVE;
		m->applied = seq;
		m->born = l->batch;
		TAILQ_INSERT_TAIL(&l->masters, m, entry);
	} else if (m->applied < seq)
		m->applied = seq;
	m->committed = seq;
	*master_id = id;
	*last_seq = seq;
	return (0);
}

int
live_begin(struct live *l, char **cause)
{
	if (l->batch) {
		xasprintf(cause, "live: a batch is already open");
		return (-1);
	}
	if (store_begin(l->store, cause) != 0)
		return (-1);
	l->batch = 1;
	return (0);
}

int
live_in_batch(const struct live *l)
{
	return (l->batch);
}

void
live_master_origin(struct live *l, int64_t master_id, enum bbm_origin origin)
{
	struct live_master	*m;

	TAILQ_FOREACH(m, &l->masters, entry) {
		if (m->id == master_id)
			m->origin = origin;
	}
}

uint64_t
live_committed_seq(const struct live *l, int64_t master_id)
{
	struct live_master	*m;

	m = live_master_find(l, master_id);
	return (m != NULL ? m->committed : 0);
}

void
live_get_stats(const struct live *l, struct live_stats *st)
{
	*st = l->stats;
}

void
live_undo_push(struct live *l, enum live_undo_type type, void *ptr,
    void *old, size_t index, int flag)
{
	struct live_undo	*u;

	if (l->nundo == l->undo_size) {
		l->undo_size = l->undo_size == 0 ? 16 : l->undo_size * 2;
		l->undo = xreallocarray(l->undo, l->undo_size, sizeof *l->undo);
	}
	u = &l->undo[l->nundo++];
	u->type = type;
	u->ptr = ptr;
	u->old = old;
	u->index = index;
	u->flag = flag;
}

/*
 * Opens the savepoint of the event being applied, once: events that write
 * nothing to the database (most step events and log chunks) need none.
 */
int
live_unit(struct live *l, char **cause)
{
	if (!l->applying || l->unit)
		return (0);
	if (store_unit_begin(l->store, cause) != 0)
		return (-1);
	l->unit = 1;
	return (0);
}

/*
 * Ends the journal of an event: failed, its changes to memory are undone
 * (backwards); else what it replaced is freed.
 */
static void
live_undo_end(struct live *l, int failed)
{
	struct live_undo	*u;
	struct live_build	*b;
	struct live_saved	*sv;
	size_t			 i;

	for (i = l->nundo; i-- > 0;) {
		u = &l->undo[i];
		switch (u->type) {
		case LIVE_UNDO_BUILDER:
			if (failed) {
				TAILQ_REMOVE(&l->builders,
				    (struct live_builder *)u->ptr, entry);
				live_builder_free(u->ptr);
			}
			break;
		case LIVE_UNDO_BUILD:
			if (failed) {
				TAILQ_REMOVE(&l->builds,
				    (struct live_build *)u->ptr, entry);
				live_build_free(u->ptr);
			}
			break;
		case LIVE_UNDO_LOG:
			if (failed) {
				TAILQ_REMOVE(&l->logs,
				    (struct live_log *)u->ptr, entry);
				live_log_free(u->ptr);
			}
			break;
		case LIVE_UNDO_TEXT:
			sv = u->old;
			if (failed)
				live_log_restore(u->ptr, sv);
			free(sv->pending);
			free(sv);
			break;
		case LIVE_UNDO_STEP:
			b = u->ptr;
			if (failed) {
				live_step_free(b->steps[u->index].rec);
				b->steps[u->index].rec = u->old;
				live_step_dirty(b, u->index, u->flag);
			} else
				live_step_free(u->old);
			break;
		case LIVE_UNDO_WRITTEN:
			if (failed)
				live_step_dirty(u->ptr, u->index, 1);
			break;
		case LIVE_UNDO_GONE:
			if (failed)
				TAILQ_INSERT_TAIL(&l->logs,
				    (struct live_log *)u->ptr, entry);
			else
				live_log_free(u->ptr);
			break;
		case LIVE_UNDO_FINISHED:
			if (failed)
				((struct live_build *)u->ptr)->finished = 0;
			break;
		}
	}
	l->nundo = 0;
	if (failed)
		l->last = NULL;
}

static struct live_builder *
live_builder_find(struct live *l, struct live_master *m, const char *name)
{
	struct live_builder	*br;

	TAILQ_FOREACH(br, &l->builders, entry) {
		if (br->master_id == m->id && strcmp(br->name, name) == 0)
			return (br);
	}
	return (NULL);
}

static void
live_builder_add(struct live *l, struct live_master *m, const char *name,
    int64_t id)
{
	struct live_builder	*br;

	br = xcalloc(1, sizeof *br);
	br->master_id = m->id;
	br->name = xstrdup(name);
	br->id = id;
	TAILQ_INSERT_TAIL(&l->builders, br, entry);
	live_undo_push(l, LIVE_UNDO_BUILDER, br, NULL, 0, 0);
}

/*
 * The builder row id of name: cached, else upserted with a record holding
 * only the name (which keeps the other stored columns).
 */
static int
live_builder_id(struct live *l, struct live_master *m, const char *name,
    int64_t *id, char **cause)
{
	struct live_builder	*br;
	struct bbm_builder	 rec;
	int			 error;

	if (name == NULL) {
		xasprintf(cause, "no builder name");
		return (-1);
	}
	if ((br = live_builder_find(l, m, name)) != NULL) {
		*id = br->id;
		return (0);
	}
	if (live_unit(l, cause) != 0)
		return (-1);
	memset(&rec, 0, sizeof rec);
	rec.name = xstrdup(name);
	error = store_builder(l->store, m->id, &rec, m->origin, id,
	    cause);
	free(rec.name);
	if (error != 0)
		return (-1);
	live_builder_add(l, m, name, *id);
	return (0);
}

static struct live_build *
live_build_find(struct live *l, struct live_master *m, const char *builder,
    int64_t number, double started)
{
	struct live_build	*b;

	TAILQ_FOREACH(b, &l->builds, entry) {
		if (b->master == m && b->number == number &&
		    live_same_time(b->started, started) &&
		    strcmp(b->builder, builder) == 0)
			return (b);
	}
	return (NULL);
}

static struct live_build *
live_build_add(struct live *l, struct live_master *m, const char *builder,
    int64_t builder_id, int64_t number, double started, int64_t id)
{
	struct live_build	*b;

	b = xcalloc(1, sizeof *b);
	b->master = m;
	b->builder = xstrdup(builder);
	b->builder_id = builder_id;
	b->number = number;
	b->started = started;
	b->id = id;
	TAILQ_INSERT_TAIL(&l->builds, b, entry);
	live_undo_push(l, LIVE_UNDO_BUILD, b, NULL, 0, 0);
	return (b);
}

/*
 * The build of an event: cached, else found in the database, else (with
 * create) stored as a skeleton made of its identity. *bp is NULL when the
 * build is not stored and create is 0.
 */
int
live_build_get(struct live *l, struct live_master *m, const char *builder,
    int64_t number, double started, int create, struct live_build **bp,
    char **cause)
{
	struct bbm_build	 rec;
	int64_t			 builder_id, id;
	int			 found, error;

	if (builder == NULL || number < 0) {
		xasprintf(cause, "no build identity");
		return (-1);
	}
	if ((*bp = live_build_find(l, m, builder, number, started)) != NULL)
		return (0);
	if (live_builder_id(l, m, builder, &builder_id, cause) != 0 ||
	    store_build_find(l->store, builder_id, number, started, &id,
	    &found, cause) != 0)
		return (-1);
	if (!found && !create)
		return (0);
	if (!found) {
		if (live_unit(l, cause) != 0)
			return (-1);
		memset(&rec, 0, sizeof rec);
		rec.builder_name = xstrdup(builder);
		rec.number = number;
		rec.started_at = started;
		rec.finished_at = BBM_NO_TIME;
		rec.results = BBM_NO_RESULT;
		error = store_build(l->store, m->id, builder_id, &rec,
		    m->origin, &id, cause);
		free(rec.builder_name);
		if (error != 0)
			return (-1);
	}
	*bp = live_build_add(l, m, builder, builder_id, number, started, id);
	return (0);
}

/*
 * Replaces the cached record of step index of b (st may be NULL) and sets
 * whether it waits to be written.
 */
static void
live_step_set(struct live *l, struct live_build *b, size_t index,
    struct bbm_step *st, int dirty)
{
	struct live_step	*ls;

	if (index >= b->nsteps) {
		if (st == NULL)
			return;
		b->steps = xreallocarray(b->steps, index + 1,
		    sizeof *b->steps);
		memset(b->steps + b->nsteps, 0,
		    (index + 1 - b->nsteps) * sizeof *b->steps);
		b->nsteps = index + 1;
	}
	ls = &b->steps[index];
	live_undo_push(l, LIVE_UNDO_STEP, b, ls->rec, index, ls->dirty);
	ls->rec = st;
	live_step_dirty(b, index, dirty);
}

/*
 * Takes st (a record of live_step_copy) as the record of its step of b.
 * It is written later (live_step_write), or never if it is the record
 * cached already. A record that may have fewer logs than the database
 * (fewer than the cached one, or none cached) is written now, as
 * store_step deletes the rows of the logs beyond it: a later event for
 * such a log then finds no row, as it would have before write-behind.
 */
int
live_step_put(struct live *l, struct live_build *b, struct bbm_step *st,
    char **cause)
{
	const struct bbm_step	*old = NULL;
	size_t			 index = (size_t)st->number;
	int			 now;

	if (live_step_check(st, cause) != 0) {
		live_step_free(st);
		return (-1);
	}
	if (index < b->nsteps)
		old = b->steps[index].rec;
	if (old != NULL && live_step_same(old, st)) {
		live_step_free(st);
		return (0);
	}
	now = old == NULL || st->nlogs < old->nlogs;
	live_step_set(l, b, index, st, 1);
	live_log_gone(l, b, st->number, st, 0);
	if (now)
		return (live_step_write(l, b, index, cause));
	return (0);
}

/*
 * Writes step index of b (store_step) if its record waits: at the commit,
 * or inside an event that needs its rows (the event's savepoint is opened
 * first and the write journaled).
 */
int
live_step_write(struct live *l, struct live_build *b, size_t index,
    char **cause)
{
	struct bbm_step	 shadow;
	int		 error;

	if (index >= b->nsteps || !b->steps[index].dirty)
		return (0);
	if (live_unit(l, cause) != 0 || live_shadow(l, b, b->steps[index].rec,
	    &shadow, cause) != 0)
		return (-1);
	error = store_step(l->store, b->id, &shadow, NULL, cause);
	live_shadow_free(&shadow);
	if (error != 0)
		return (-1);
	live_step_dirty(b, index, 0);
	if (l->applying)
		live_undo_push(l, LIVE_UNDO_WRITTEN, b, NULL, index, 0);
	else
		live_log_synced(l, b, (int64_t)index);
	return (0);
}

/* buildStarted, buildFinished. */
static int
live_build_event(struct live *l, struct live_master *m,
    const struct bbm_event *ev, char **cause)
{
	const struct bbm_build	*rec = ev->build;
	struct live_build	*b;
	struct live_log		*lg;
	struct bbm_build	 shadow;
	int64_t			 builder_id, id;
	size_t			 i, j;
	int			 exists, error = -1;

	if (rec == NULL) {
		xasprintf(cause, "no build status");
		return (-1);
	}
	if (live_build_get(l, m, ev->builder, rec->number, rec->started_at, 0,
	    &b, cause) != 0)
		return (-1);
	for (i = 0; b != NULL && ev->type == EVENT_BUILD_FINISHED &&
	    i < rec->nsteps; i++) {
		for (j = 0; j < rec->steps[i].nlogs; j++) {
			if (live_log_get(l, b, (int64_t)i, (int64_t)j, &lg,
			    &exists, cause) != 0)
				return (-1);
			if (lg != NULL && live_log_open(lg) &&
			    live_log_finish(l, lg, NULL, cause) != 0)
				return (-1);
		}
	}
	if (b != NULL)
		builder_id = b->builder_id;
	else if (live_builder_id(l, m, ev->builder, &builder_id, cause) != 0)
		return (-1);

	shadow = *rec;
	shadow.steps = NULL;
	if (rec->nsteps != 0)
		shadow.steps = xcalloc(rec->nsteps, sizeof *shadow.steps);
	for (i = 0; i < rec->nsteps; i++) {
		if (live_shadow(l, b, &rec->steps[i], &shadow.steps[i],
		    cause) != 0)
			goto out;
	}
	if (live_unit(l, cause) != 0 || store_build(l->store, m->id,
	    builder_id, &shadow, m->origin, &id, cause) != 0)
		goto out;
	if (b == NULL)
		b = live_build_add(l, m, ev->builder, builder_id, rec->number,
		    rec->started_at, id);
	for (i = 0; i < rec->nsteps || i < b->nsteps; i++)
		live_step_set(l, b, i, i < rec->nsteps ?
		    live_step_copy(&rec->steps[i]) : NULL, 0);
	live_log_gone(l, b, -1, rec->steps, rec->nsteps);
	if (ev->type == EVENT_BUILD_FINISHED && !b->finished) {
		live_undo_push(l, LIVE_UNDO_FINISHED, b, NULL, 0, 0);
		b->finished = 1;
	}
	error = 0;
out:
	for (i = 0; i < rec->nsteps; i++)
		live_shadow_free(&shadow.steps[i]);
	free(shadow.steps);
	return (error);
}

/* Step events: 1 when there is nothing to write. */
static int
live_step_event(struct live *l, struct live_master *m,
    const struct bbm_event *ev, char **cause)
{
	struct live_build	*b;
	struct bbm_step		*st;

	if (ev->step < 0 || ev->step > LIVE_MAX_INDEX) {
		xasprintf(cause, "step %" PRId64 " out of range", ev->step);
		return (-1);
	}
	if (ev->step_rec == NULL)
		return (1);
	if (live_build_get(l, m, ev->builder, ev->number, ev->started, 1, &b,
	    cause) != 0)
		return (-1);
	st = live_step_copy(ev->step_rec);
	st->number = ev->step;
	return (live_step_put(l, b, st, cause));
}

/* Applies one event: 0 applied, 1 nothing to write, -1 failed. */
static int
live_event(struct live *l, struct live_master *m, const struct bbm_event *ev,
    char **cause)
{
	int64_t			 id;
	const char		*state;
	enum store_slave_event	 se;

	switch (ev->type) {
	case EVENT_UNKNOWN:
	case EVENT_BUILD_ETA:
	case EVENT_STEP_ETA:
		return (1);
	case EVENT_BUILD_STARTED:
	case EVENT_BUILD_FINISHED:
		return (live_build_event(l, m, ev, cause));
	case EVENT_STEP_STARTED:
	case EVENT_STEP_FINISHED:
	case EVENT_STEP_TEXT:
	case EVENT_STEP_TEXT2:
		return (live_step_event(l, m, ev, cause));
	case EVENT_LOG_STARTED:
	case EVENT_LOG_CHUNK:
	case EVENT_LOG_FINISHED:
		return (live_log_event(l, m, ev, cause));
	default:
		break;
	}
	/* The other events write at once. */
	if (live_unit(l, cause) != 0)
		return (-1);
	switch (ev->type) {
	case EVENT_BUILDER_ADDED:
		if (ev->builder_rec == NULL || ev->builder_rec->name == NULL) {
			xasprintf(cause, "no builder status");
			return (-1);
		}
		if (store_builder(l->store, m->id, ev->builder_rec,
		    m->origin, &id, cause) != 0)
			return (-1);
		if (live_builder_find(l, m, ev->builder_rec->name) == NULL)
			live_builder_add(l, m, ev->builder_rec->name, id);
		return (0);
	case EVENT_BUILDER_STATE:
	case EVENT_BUILDER_REMOVED:
		state = ev->type == EVENT_BUILDER_STATE ? ev->state : "removed";
		if (state == NULL) {
			xasprintf(cause, "no state");
			return (-1);
		}
		if (live_builder_id(l, m, ev->builder, &id, cause) != 0)
			return (-1);
		return (store_builder_state(l->store, id, state, ev->time,
		    cause));
	case EVENT_REQUEST_SUBMITTED:
	case EVENT_REQUEST_CANCELLED:
		if (ev->request == NULL) {
			xasprintf(cause, "no request");
			return (-1);
		}
		if (ev->request->brid < 0)
			return (1);
		return (store_buildrequest(l->store, m->id, ev->request,
		    m->origin, &id, cause));
	case EVENT_BUILDSET_SUBMITTED:
		if (ev->buildset == NULL) {
			xasprintf(cause, "no buildset");
			return (-1);
		}
		return (store_buildset(l->store, m->id, ev->buildset,
		    m->origin, &id, cause));
	case EVENT_CHANGE_ADDED:
		if (ev->change == NULL) {
			xasprintf(cause, "no change");
			return (-1);
		}
		return (store_change(l->store, m->id, ev->change,
		    m->origin, &id, cause));
	case EVENT_SLAVE_CONNECTED:
	case EVENT_SLAVE_DISCONNECTED:
	case EVENT_SLAVE_PAUSED:
	case EVENT_SLAVE_UNPAUSED:
		if (ev->slave == NULL) {
			xasprintf(cause, "no slave name");
			return (-1);
		}
		if (ev->type == EVENT_SLAVE_CONNECTED)
			se = STORE_SLAVE_CONNECTED;
		else if (ev->type == EVENT_SLAVE_DISCONNECTED)
			se = STORE_SLAVE_DISCONNECTED;
		else if (ev->type == EVENT_SLAVE_PAUSED)
			se = STORE_SLAVE_PAUSED;
		else
			se = STORE_SLAVE_UNPAUSED;
		return (store_slave(l->store, m->id, ev->slave, se, ev->time,
		    m->origin, cause));
	default:
		return (1);
	}
}

enum live_result
live_apply(struct live *l, int64_t master_id, const struct bbm_event *ev,
    char **cause)
{
	struct live_master	*m;
	const char		*name = ev->name != NULL ? ev->name : "event";
	char			*why = NULL;
	int			 r;

	m = live_master_find(l, master_id);
	if (!l->batch || m == NULL) {
		xasprintf(cause, "live: event %" PRIu64 " (%s): %s", ev->seq,
		    name, !l->batch ? "no batch open" : "unknown master");
		l->stats.failed++;
		return (LIVE_FAILED);
	}
	if (ev->seq <= m->applied) {
		l->stats.duplicates++;
		return (LIVE_DUPLICATE);
	}
	m->applied = ev->seq;

	/* The event's savepoint is opened by its first write (live_unit). */
	l->applying = 1;
	l->unit = 0;
	r = live_event(l, m, ev, &why);
	if (r != -1 && l->unit && store_unit_end(l->store, &why) != 0)
		r = -1;
	l->applying = 0;
	if (r < 0) {
		live_undo_end(l, 1);
		if (l->unit && store_unit_abort(l->store) != 0) {
			l->unit = 0;
			/* The transaction is gone: so is the batch. */
			live_rollback(l);
			xasprintf(cause, "live: event %" PRIu64 " (%s): %s "
			    "(the batch was rolled back)", ev->seq, name, why);
		} else
			xasprintf(cause, "live: event %" PRIu64 " (%s): %s",
			    ev->seq, name, why);
		l->unit = 0;
		free(why);
		l->stats.failed++;
		return (LIVE_FAILED);
	}
	live_undo_end(l, 0);
	l->unit = 0;
	if (r == 1) {
		l->stats.ignored++;
		return (LIVE_IGNORED);
	}
	l->stats.events++;
	if (ev->type == EVENT_LOG_CHUNK)
		l->stats.log_bytes += ev->chunk_len;
	return (LIVE_APPLIED);
}

int
live_commit(struct live *l, char **cause)
{
	struct live_master	*m;
	struct live_build	*b, *bnext;
	struct live_log		*lg, *next;
	size_t			 i;

	if (!l->batch) {
		xasprintf(cause, "live: no batch open");
		return (-1);
	}
	/*
	 * The logs' text first (a finished log gets its key), then the
	 * waiting steps (they make the rows of new logs, and write those of
	 * their cached logs as they are now), then the other log rows.
	 */
	TAILQ_FOREACH(lg, &l->logs, entry) {
		if (lg->t.dirty && live_log_store(l, lg, cause) != 0)
			goto fail;
	}
	TAILQ_FOREACH(b, &l->builds, entry) {
		for (i = 0; b->ndirty != 0 && i < b->nsteps; i++) {
			if (live_step_write(l, b, i, cause) != 0)
				goto fail;
		}
	}
	TAILQ_FOREACH(lg, &l->logs, entry) {
		if (lg->t.dirty && live_log_save(l, lg, cause) != 0)
			goto fail;
	}
	TAILQ_FOREACH(m, &l->masters, entry) {
		if (m->applied != m->committed &&
		    store_live_seq_put(l->store, m->id, m->applied, cause) != 0)
			goto fail;
	}
	if (store_commit(l->store, cause) != 0)
		goto fail;
	l->batch = 0;
	l->stats.commits++;
	TAILQ_FOREACH(m, &l->masters, entry) {
		m->committed = m->applied;
		m->born = 0;
	}
	/* Keep only what the next events are likely to need. */
	for (lg = TAILQ_FIRST(&l->logs); lg != NULL; lg = next) {
		next = TAILQ_NEXT(lg, entry);
		lg->store_size = lg->file_size;
		lg->t.dirty = 0;
		lg->synced = 0;
		if (!live_log_open(lg)) {
			TAILQ_REMOVE(&l->logs, lg, entry);
			live_log_free(lg);
		}
	}
	for (b = TAILQ_FIRST(&l->builds); b != NULL; b = bnext) {
		bnext = TAILQ_NEXT(b, entry);
		if (b->finished) {
			TAILQ_REMOVE(&l->builds, b, entry);
			live_build_free(b);
		}
	}
	l->last = NULL;
	return (0);

fail:
	live_rollback(l);
	return (-1);
}

void
live_rollback(struct live *l)
{
	if (l->batch)
		store_rollback(l->store);
	l->batch = 0;
	live_drop(l);
}
