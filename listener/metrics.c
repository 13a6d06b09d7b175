/*
 * metrics.c: the daemon's counters, GET /metrics (the Prometheus text
 * exposition format, version 0.0.4) and GET /healthz.
 *
 * The counters are one global structure under a mutex: the libev thread
 * feeds ingest (events, commits, queue depth, connections, pruning), the
 * HTTP threads feed requests, and a scrape reads everything at once.
 * Feeding never allocates except the first time a master or a (route,
 * status) pair is seen; both tables are capped, so a flood of names cannot
 * grow them without bound.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bbmirrord.h"
#include "http.h"

/* Upper bounds of the commit latency buckets (seconds); +Inf follows. */
static const double metrics_bounds[] = {
	.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10
};
#define METRICS_NBUCKETS (sizeof metrics_bounds / sizeof metrics_bounds[0])

/* Beyond these, new masters and (route, status) pairs are not tracked. */
#define METRICS_MAX_MASTERS	1024
#define METRICS_MAX_HTTP	256
/* The largest /metrics answer. */
#define METRICS_TEXT_MAX	(8 << 20)

struct metrics_master {
	char		*name;
	double		 last_event;	/* NaN: no event time known */
};

struct metrics_http {
	char		*route;
	unsigned int	 status;
	uint64_t	 n;
};

static struct {
	pthread_mutex_t		 mtx;
	double			 start_time;

	uint64_t		 events;
	uint64_t		 commits;
	uint64_t		 commit_failures;
	uint64_t		 buckets[METRICS_NBUCKETS];
	uint64_t		 commit_count;
	double			 commit_sum;
	uint64_t		 queue_depth;
	uint64_t		 connections;

	struct metrics_master	*masters;
	size_t			 nmasters;
	size_t			 last;	/* masters[] hit last */

	struct metrics_http	*http;
	size_t			 nhttp;

	uint64_t		 pruned_logs;
	uint64_t		 pruned_bytes;
} metrics = { .mtx = PTHREAD_MUTEX_INITIALIZER };

static double
metrics_wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

void
metrics_init(void)
{
	pthread_mutex_lock(&metrics.mtx);
	metrics.start_time = metrics_wall();
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_free(void)
{
	size_t	i;

	pthread_mutex_lock(&metrics.mtx);
	for (i = 0; i < metrics.nmasters; i++)
		free(metrics.masters[i].name);
	free(metrics.masters);
	metrics.masters = NULL;
	metrics.nmasters = metrics.last = 0;
	for (i = 0; i < metrics.nhttp; i++)
		free(metrics.http[i].route);
	free(metrics.http);
	metrics.http = NULL;
	metrics.nhttp = 0;
	pthread_mutex_unlock(&metrics.mtx);
}

/* The entry of master (added if there is room), or NULL; under the lock. */
static struct metrics_master *
metrics_master(const char *name)
{
	struct metrics_master	*m;
	size_t			 i;

	if (metrics.last < metrics.nmasters &&
	    strcmp(metrics.masters[metrics.last].name, name) == 0)
		return (&metrics.masters[metrics.last]);
	for (i = 0; i < metrics.nmasters; i++) {
		if (strcmp(metrics.masters[i].name, name) == 0) {
			metrics.last = i;
			return (&metrics.masters[i]);
		}
	}
	if (metrics.nmasters == METRICS_MAX_MASTERS)
		return (NULL);
	metrics.masters = xreallocarray(metrics.masters,
	    metrics.nmasters + 1, sizeof *metrics.masters);
	m = &metrics.masters[metrics.nmasters];
	m->name = xstrdup(name);
	m->last_event = NAN;
	metrics.last = metrics.nmasters++;
	return (m);
}

/*
 * The lag is measured from the newest event time seen, so an event that
 * arrives late does not make the master look further behind.
 */
void
metrics_event(const char *master, double event_time)
{
	struct metrics_master	*m;

	pthread_mutex_lock(&metrics.mtx);
	metrics.events++;
	if (master != NULL && (m = metrics_master(master)) != NULL &&
	    !isnan(event_time) &&
	    (isnan(m->last_event) || event_time > m->last_event))
		m->last_event = event_time;
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_commit(uint64_t n, double seconds, int ok)
{
	size_t	i;

	pthread_mutex_lock(&metrics.mtx);
	if (!ok)
		metrics.commit_failures++;
	else {
		metrics.commits++;
		for (i = 0; i < METRICS_NBUCKETS; i++) {
			if (seconds <= metrics_bounds[i]) {
				metrics.buckets[i]++;
				break;
			}
		}
		metrics.commit_count++;
		metrics.commit_sum += seconds;
	}
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_queue_depth(uint64_t n)
{
	pthread_mutex_lock(&metrics.mtx);
	metrics.queue_depth = n;
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_connections(uint64_t n)
{
	pthread_mutex_lock(&metrics.mtx);
	metrics.connections = n;
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_http(const char *route, unsigned int status)
{
	struct metrics_http	*e;
	size_t			 i;

	pthread_mutex_lock(&metrics.mtx);
	for (i = 0; i < metrics.nhttp; i++) {
		e = &metrics.http[i];
		if (e->status == status && strcmp(e->route, route) == 0) {
			e->n++;
			goto out;
		}
	}
	if (metrics.nhttp < METRICS_MAX_HTTP) {
		metrics.http = xreallocarray(metrics.http, metrics.nhttp + 1,
		    sizeof *metrics.http);
		e = &metrics.http[metrics.nhttp++];
		e->route = xstrdup(route);
		e->status = status;
		e->n = 1;
	}
out:
	pthread_mutex_unlock(&metrics.mtx);
}

void
metrics_pruned(uint64_t logs, uint64_t bytes)
{
	pthread_mutex_lock(&metrics.mtx);
	metrics.pruned_logs += logs;
	metrics.pruned_bytes += bytes;
	pthread_mutex_unlock(&metrics.mtx);
}

/* --- the exposition ---------------------------------------------------- */

/* A struct buf that remembers a failed add instead of returning it. */
struct metrics_out {
	struct buf	b;
	int		full;
};

static void PRINTFLIKE(2, 3)
metrics_addf(struct metrics_out *o, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (!o->full && buf_add(&o->b, s, n) != 0)
		o->full = 1;
	free(s);
}

/* A label value: backslash, double quote and newline escaped. */
static void
metrics_label(struct metrics_out *o, const char *v)
{
	const char	*p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\\')
			metrics_addf(o, "\\\\");
		else if (*p == '"')
			metrics_addf(o, "\\\"");
		else if (*p == '\n')
			metrics_addf(o, "\\n");
		else
			metrics_addf(o, "%c", *p);
	}
}

static void
metrics_head(struct metrics_out *o, const char *name, const char *type,
    const char *help)
{
	metrics_addf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
metrics_counter(struct metrics_out *o, const char *name, const char *help,
    uint64_t v)
{
	metrics_head(o, name, "counter", help);
	metrics_addf(o, "%s %llu\n", name, (unsigned long long)v);
}

static void
metrics_gauge(struct metrics_out *o, const char *name, const char *help,
    uint64_t v)
{
	metrics_head(o, name, "gauge", help);
	metrics_addf(o, "%s %llu\n", name, (unsigned long long)v);
}

/* Everything, under the lock. */
static void
metrics_write(struct metrics_out *o, int read_only)
{
	struct metrics_master	*m;
	struct metrics_http	*e;
	uint64_t		 cum = 0;
	double			 now = metrics_wall();
	size_t			 i;

	metrics_head(o, "bbmirror_build_info", "gauge",
	    "The running bbmirrord's version.");
	metrics_addf(o, "bbmirror_build_info{version=\"");
	metrics_label(o, PACKAGE_VERSION);
	metrics_addf(o, "\",read_only=\"%d\"} 1\n", read_only);
	metrics_head(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch in seconds.");
	metrics_addf(o, "process_start_time_seconds %.3f\n",
	    metrics.start_time);

	metrics_counter(o, "bbmirror_events_total",
	    "Live events applied to the database.", metrics.events);
	metrics_counter(o, "bbmirror_commits_total",
	    "Batches committed.", metrics.commits);
	metrics_counter(o, "bbmirror_commit_failures_total",
	    "Batches whose commit failed.", metrics.commit_failures);

	metrics_head(o, "bbmirror_commit_seconds", "histogram",
	    "Time from a batch's first event to its commit.");
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		cum += metrics.buckets[i];
		metrics_addf(o, "bbmirror_commit_seconds_bucket{le=\"%g\"} "
		    "%llu\n", metrics_bounds[i], (unsigned long long)cum);
	}
	metrics_addf(o, "bbmirror_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)metrics.commit_count);
	metrics_addf(o, "bbmirror_commit_seconds_sum %.9f\n",
	    metrics.commit_sum);
	metrics_addf(o, "bbmirror_commit_seconds_count %llu\n",
	    (unsigned long long)metrics.commit_count);

	metrics_gauge(o, "bbmirror_batch_events",
	    "Events in the open batch, not yet committed.",
	    metrics.queue_depth);
	metrics_gauge(o, "bbmirror_connections",
	    "Open ingest (plugin) connections.", metrics.connections);

	metrics_head(o, "bbmirror_last_event_timestamp_seconds", "gauge",
	    "Time of the newest event applied for a master (master clock).");
	for (i = 0; i < metrics.nmasters; i++) {
		m = &metrics.masters[i];
		if (isnan(m->last_event))
			continue;
		metrics_addf(o, "bbmirror_last_event_timestamp_seconds"
		    "{master=\"");
		metrics_label(o, m->name);
		metrics_addf(o, "\"} %.6f\n", m->last_event);
	}
	metrics_head(o, "bbmirror_replication_lag_seconds", "gauge",
	    "Now minus the time of the newest event applied for a master.");
	for (i = 0; i < metrics.nmasters; i++) {
		m = &metrics.masters[i];
		if (isnan(m->last_event))
			continue;
		metrics_addf(o, "bbmirror_replication_lag_seconds{master=\"");
		metrics_label(o, m->name);
		metrics_addf(o, "\"} %.6f\n", now - m->last_event);
	}

	metrics_head(o, "bbmirror_http_requests_total", "counter",
	    "HTTP requests answered, by route and status code.");
	for (i = 0; i < metrics.nhttp; i++) {
		e = &metrics.http[i];
		metrics_addf(o, "bbmirror_http_requests_total{route=\"");
		metrics_label(o, e->route);
		metrics_addf(o, "\",code=\"%u\"} %llu\n", e->status,
		    (unsigned long long)e->n);
	}

	metrics_counter(o, "bbmirror_logs_pruned_total",
	    "Logs whose content the pruner removed.", metrics.pruned_logs);
	metrics_counter(o, "bbmirror_log_bytes_pruned_total",
	    "Bytes of log store freed by the pruner.", metrics.pruned_bytes);
}

enum MHD_Result
metrics_handle(struct http_req *req)
{
	struct metrics_out	o;
	enum MHD_Result		ret;

	buf_init(&o.b, METRICS_TEXT_MAX);
	o.full = 0;
	pthread_mutex_lock(&metrics.mtx);
	metrics_write(&o, req->h->srv == NULL);
	pthread_mutex_unlock(&metrics.mtx);
	if (o.full)
		ret = http_reply_error(req, 500, "internal",
		    "the metrics exceed %d bytes", METRICS_TEXT_MAX);
	else
		ret = http_reply_text(req, 200,
		    "text/plain; version=0.0.4; charset=utf-8", o.b.data);
	buf_free(&o.b);
	return (ret);
}

/*
 * Healthy: this thread's database connection opens and answers a query
 * that reads the file (the schema version). Anything else is 503.
 */
enum MHD_Result
metrics_health(struct http_req *req)
{
	struct http_thread	*t;
	struct query_stmt	*qs;
	char			*cause;
	json_t			*body;
	int64_t			 version;
	enum MHD_Result		 ret;

	if ((t = http_thread_get(req, &cause)) == NULL)
		goto fail;
	qs = query_prepare(t->db, "SELECT max(version) FROM schema_version",
	    &cause);
	if (qs == NULL)
		goto fail;
	switch (query_step(qs)) {
	case QUERY_ROW:
		if (!query_column_is_null(qs, 0))
			break;
		/* FALLTHROUGH */
	case QUERY_DONE:
		xasprintf(&cause, "%s: no schema version recorded",
		    req->h->opts->db);
		query_reset(qs);
		goto fail;
	case QUERY_ERR:
		xasprintf(&cause, "%s: reading the schema version: %s",
		    req->h->opts->db, query_errmsg(qs));
		query_reset(qs);
		goto fail;
	}
	version = query_column_int64(qs, 0);
	query_reset(qs);
	body = json_pack("{s:s,s:s,s:s,s:I,s:b}", "status", "ok",
	    "database", "ok", "engine", query_engine(t->db),
	    "schema_version", (json_int_t)version,
	    "read_only", req->h->srv == NULL);
	return (http_reply_json(req, 200, body, NULL));
fail:
	ret = http_reply_error(req, 503, "unavailable", "%s", cause);
	free(cause);
	return (ret);
}
