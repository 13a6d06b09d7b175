/*
 * pruner.c: bbmirrord's log pruner (lib/prune.h does the work). A timer
 * starts a run every --prune-interval seconds; a run is a sequence of
 * prune_step batches, each in a short transaction of its own on the
 * daemon's write connection, with a return to the loop between two of
 * them, so the ingest waits for at most one small batch. A step never
 * runs inside an ingest batch: the open batch is committed first (and
 * acknowledged, as a full one would be).
 *
 * Runs happen even with no limit set: they collect the log-store keys
 * that re-stored and deleted logs left behind (log_garbage) and the old
 * HttpStatusPush bookkeeping.
 *
 * The pruner removes content through a log store of its own on the same
 * directory, without --sync full's fdatasync after every removal: a
 * removal lost to a crash of the machine only leaves space unreclaimed,
 * and a hundred fdatasyncs would hold the ingest up for the whole batch.
 */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune.h"

/* The first run, this long after the start (or the interval if shorter). */
#define PRUNER_FIRST		10.
/* How long a step waits when an ingest batch could not be committed. */
#define PRUNER_RETRY		.1

struct pruner {
	struct server		*srv;
	struct prune		*prune;
	struct logstore		*ls;
	ev_timer		 tick;		/* every --prune-interval */
	ev_timer		 next;		/* the run's next step */
	int			 running;
	struct prune_report	 report;	/* of the run */
	double			 started;
	double			 longest;	/* the run's longest step */
	uint64_t		 runs;
	int			 over;		/* the last run ended above */
};

/* Parses the options into pol; -1 with *cause naming the bad one. */
static int
pruner_policy(const struct bbmirrord_options *opts,
    struct prune_policy *pol, char **cause)
{
	size_t	 i;

	prune_policy_init(pol);
	if (opts->log_max_age != NULL && prune_parse_age("--log-max-age",
	    opts->log_max_age, &pol->max_age, cause) != 0)
		return (-1);
	if (opts->log_max_total_size != NULL &&
	    prune_parse_size("--log-max-total-size", opts->log_max_total_size,
	    &pol->max_total_size, cause) != 0)
		return (-1);
	if (opts->log_keep != NULL && prune_parse_keep("--log-keep",
	    opts->log_keep, pol->keep, cause) != 0)
		return (-1);
	for (i = 0; i < PRUNE_NRESULTS; i++) {
		if (pol->keep[i] > 0 && pol->max_age != 0 &&
		    pol->keep[i] <= pol->max_age)
			log_warnx("--log-keep: the rule for %s is not longer "
			    "than --log-max-age: it changes nothing",
			    record_result_name((int)i));
	}
	return (0);
}

/* Ends the run: its summary line, and warnings about the size limit. */
static void
pruner_end(struct pruner *pr, const char *how)
{
	const struct prune_report	*r = &pr->report;
	const struct bbmirrord_options	*opts = pr->srv->opts;
	char				 usage[64];

	pr->running = 0;
	ev_timer_stop(pr->srv->loop, &pr->next);
	if (r->usage >= 0)
		snprintf(usage, sizeof usage, "; log store %" PRId64 " bytes",
		    r->usage);
	else
		*usage = '\0';
	bbmirrord_debug("pruner: run %" PRIu64 " %s: %" PRIu64 " logs "
	    "pruned (%" PRIu64 " by age, %" PRIu64 " by size), %" PRIu64
	    " bytes of them; %" PRIu64 " garbage keys removed, %" PRIu64
	    " bytes freed; %" PRIu64 " push entries deleted%s; %" PRIu64
	    " steps (at most %" PRIu64 " logs or keys each, the longest "
	    "%.1f ms) in %.3f s", pr->runs, how,
	    r->logs_aged + r->logs_sized, r->logs_aged, r->logs_sized,
	    r->bytes_pruned, r->garbage_keys, r->bytes_freed,
	    r->push_deleted, usage, r->steps, r->max_step_work,
	    pr->longest * 1000., ev_time() - pr->started);
	if (r->logs_kept_sized != 0)
		log_warnx("pruner: the log store was above "
		    "--log-max-total-size %s with only logs that --log-keep "
		    "protects left: pruned %" PRIu64 " of them, oldest first",
		    opts->log_max_total_size, r->logs_kept_sized);
	if (r->usage >= 0 && r->over_limit != pr->over) {
		if (r->over_limit)
			log_warnx("pruner: the log store (%" PRId64 " bytes) "
			    "is above --log-max-total-size %s and has no "
			    "finished log left to prune", r->usage,
			    opts->log_max_total_size);
		else
			log_info("pruner: the log store is below "
			    "--log-max-total-size %s again",
			    opts->log_max_total_size);
		pr->over = r->over_limit;
	}
}

/* One step of the run, then back to the loop. */
static void
pruner_next_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pruner		*pr = w->data;
	struct server		*srv = pr->srv;
	struct prune_report	 before;
	char			*cause = NULL;
	double			 t;
	int			 rc;

	if (srv->stopping) {
		pruner_end(pr, "stopped");
		return;
	}
	if (live_in_batch(srv->live))
		(void)writer_commit(srv);
	if (live_in_batch(srv->live)) {
		ev_timer_set(&pr->next, PRUNER_RETRY, 0.);
		ev_timer_start(loop, &pr->next);
		return;
	}
	before = pr->report;
	t = ev_time();
	rc = prune_step(pr->prune, &pr->report, &cause);
	if ((t = ev_time() - t) > pr->longest)
		pr->longest = t;
	metrics_pruned(pr->report.logs_aged + pr->report.logs_sized -
	    before.logs_aged - before.logs_sized,
	    pr->report.bytes_freed - before.bytes_freed);
	if (rc == -1) {
		log_warnx("pruner: %s", cause);
		free(cause);
		pruner_end(pr, "failed");
		return;
	}
	if (rc == 0) {
		pruner_end(pr, "done");
		return;
	}
	ev_timer_set(&pr->next, 0., 0.);
	ev_timer_start(loop, &pr->next);
}

/* Starts a run unless one is still going. */
static void
pruner_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pruner	*pr = w->data;

	if (pr->running || pr->srv->stopping)
		return;
	memset(&pr->report, 0, sizeof pr->report);
	pr->report.usage = -1;
	pr->running = 1;
	pr->runs++;
	pr->started = ev_time();
	pr->longest = 0;
	prune_start(pr->prune, ev_now(loop));
	ev_timer_set(&pr->next, 0., 0.);
	ev_timer_start(loop, &pr->next);
}

int
pruner_init(struct server *srv, char **cause)
{
	const struct bbmirrord_options	*opts = srv->opts;
	struct prune_policy		 pol;
	struct pruner			*pr;
	double				 interval, first;

	if (pruner_policy(opts, &pol, cause) != 0)
		return (-1);
	pr = xcalloc(1, sizeof *pr);
	pr->srv = srv;
	if ((pr->ls = logstore_open(opts->logstore, 0, cause)) == NULL) {
		free(pr);
		return (-1);
	}
	pr->prune = prune_new(srv->store, pr->ls, &pol);
	interval = (double)(opts->prune_interval > 0 ? opts->prune_interval :
	    60);
	first = interval < PRUNER_FIRST ? interval : PRUNER_FIRST;
	ev_timer_init(&pr->tick, pruner_tick_cb, first, interval);
	pr->tick.data = pr;
	ev_timer_init(&pr->next, pruner_next_cb, 0., 0.);
	pr->next.data = pr;
	ev_timer_start(srv->loop, &pr->tick);
	srv->pruner = pr;
	bbmirrord_debug("pruner: every %.0f s; max age %s, max total size "
	    "%s, keep %s", interval,
	    opts->log_max_age != NULL ? opts->log_max_age : "none",
	    opts->log_max_total_size != NULL ? opts->log_max_total_size :
	    "none", opts->log_keep != NULL ? opts->log_keep : "none");
	return (0);
}

void
pruner_free(struct server *srv)
{
	struct pruner	*pr = srv->pruner;

	if (pr == NULL)
		return;
	ev_timer_stop(srv->loop, &pr->tick);
	ev_timer_stop(srv->loop, &pr->next);
	prune_free(pr->prune);
	logstore_close(pr->ls);
	free(pr);
	srv->pruner = NULL;
}
