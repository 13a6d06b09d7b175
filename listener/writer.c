/*
 * writer.c: bbmirrord's batches. Every decoded event goes through
 * live_apply inside the open batch; the batch is committed when it holds
 * --commit-events events, --commit-ms after its first event, or as soon as
 * the loop finds no more input (an idle watcher), whichever comes first.
 * Alone, an event is committed and acknowledged at once; under load the
 * batches grow by themselves and the commits (fsyncs) are shared.
 */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

#include <inttypes.h>
#include <stdlib.h>

static void
writer_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	writer_commit(w->data);
}

static void
writer_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	writer_commit(w->data);
}

void
writer_init(struct server *srv)
{
	struct writer	*w = &srv->writer;

	ev_timer_init(&w->timer, writer_timer_cb,
	    (double)srv->opts->commit_ms / 1000., 0.);
	w->timer.data = srv;
	ev_idle_init(&w->idle, writer_idle_cb);
	w->idle.data = srv;
	w->events = 0;
	w->commits = 0;
}

void
writer_free(struct server *srv)
{
	struct writer	*w = &srv->writer;

	ev_timer_stop(srv->loop, &w->timer);
	ev_idle_stop(srv->loop, &w->idle);
}

/* Forgets every connection's share of the batch (committed or lost). */
static void
writer_reset(struct server *srv)
{
	struct conn	*c;

	srv->writer.events = 0;
	TAILQ_FOREACH(c, &srv->conns, entry)
		c->batch_events = 0;
}

int
writer_batch(struct server *srv)
{
	struct writer	*w = &srv->writer;
	char		*cause = NULL;

	if (live_in_batch(srv->live))
		return (0);
	if (live_begin(srv->live, &cause) != 0) {
		log_warnx("cannot begin a transaction: %s", cause);
		free(cause);
		writer_reset(srv);
		server_close_all(srv, "the listener cannot write to "
		    "its database; reconnect and resend");
		push_committed(srv, 0);
		return (-1);
	}
	w->events = 0;
	w->started = ev_time();
	ev_timer_set(&w->timer, (double)srv->opts->commit_ms / 1000., 0.);
	ev_timer_start(srv->loop, &w->timer);
	ev_idle_start(srv->loop, &w->idle);
	return (0);
}

enum live_result
writer_apply_event(struct server *srv, int64_t master_id, const char *master,
    const struct bbm_event *ev)
{
	struct writer		*w = &srv->writer;
	enum live_result	 r;
	char			*cause = NULL;

	r = live_apply(srv->live, master_id, ev, &cause);
	if (r == LIVE_FAILED) {
		log_warnx("%s: %s", master, cause != NULL ? cause :
		    "event failed");
		free(cause);
	}
	if (r != LIVE_DUPLICATE)
		metrics_event(master, ev->time);
	w->events++;
	metrics_queue_depth(w->events);
	return (r);
}

void
writer_check(struct server *srv)
{
	if (srv->writer.events >= (uint64_t)srv->opts->commit_events)
		writer_commit(srv);
}

void
writer_apply(struct conn *c, const struct bbm_event *ev)
{
	struct server	*srv = c->srv;

	if (writer_batch(srv) != 0)
		return;
	(void)writer_apply_event(srv, c->master_id, c->master, ev);
	c->batch_events++;
	writer_check(srv);
}

int
writer_commit(struct server *srv)
{
	struct writer	*w = &srv->writer;
	struct conn	*c;
	char		*cause;
	uint64_t	 seq, n = w->events;

	ev_timer_stop(srv->loop, &w->timer);
	ev_idle_stop(srv->loop, &w->idle);

	if (!live_in_batch(srv->live))
		return (0);
	if (live_commit(srv->live, &cause) != 0) {
		metrics_commit(n, ev_time() - w->started, 0);
		push_committed(srv, 0);
		log_warnx("commit of %" PRIu64 " events failed: %s; closing "
		    "every connection (clients resend from their last ack)",
		    w->events, cause);
		free(cause);
		writer_reset(srv);
		server_close_all(srv, "the listener could not commit; "
		    "reconnect and resend from the last acknowledged event");
		return (-1);
	}
	w->commits++;
	metrics_commit(n, ev_time() - w->started, 1);
	metrics_queue_depth(0);
	writer_reset(srv);
	push_committed(srv, 1);
	if (srv->http != NULL)
		http_notify(srv->http);
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->dead || c->state != CONN_READY)
			continue;
		seq = live_committed_seq(srv->live, c->master_id);
		if (seq > c->acked)
			server_conn_ack(c, seq);
	}
	return (0);
}
