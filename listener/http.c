/*
 * http.c: bbmirrord's HTTP server. libmicrohttpd parses HTTP and runs a
 * pool of threads; this file opens the listening socket, routes requests to
 * the endpoint files, gives every pool thread its own read-only database
 * connection and log store, and runs the follow hub that wakes suspended
 * log followers after each commit. Replies, error objects and query
 * arguments are http-reply.c's.
 *
 * Hostile clients. libmicrohttpd bounds each connection's memory (headers
 * beyond HTTP_CONN_MEMORY get a 4xx) and closes connections idle for
 * --http-timeout seconds, but a client that sends its header one byte at a
 * time is never idle. A reaper thread therefore shuts down every
 * connection that has not delivered a whole request header (or a whole
 * request body) within --http-timeout seconds of its start or of its
 * previous request.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bbmirrord.h"
#include "http.h"

/* Memory per connection: bounds the request header. */
#define HTTP_CONN_MEMORY	(32 << 10)
/* Reaper rounds between wake-ups of idle followers (10 s; 2 s read-only). */
#define HTTP_WAKE_TICKS	100

/* How often the reaper and the --read-only poller look (milliseconds). */
#define HTTP_POLL_MS		20
/* How long http_stop lets requests in progress finish (milliseconds). */
#define HTTP_STOP_MS		2000
/* At most this many libmicrohttpd messages are logged per minute. */
#define HTTP_LOG_BURST		20

enum http_route {
	HTTP_ROUTE_UNKNOWN,
	HTTP_ROUTE_HEALTHZ,
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_LOGS,
	HTTP_ROUTE_API,
	HTTP_ROUTE_PUSH,
};
static const char *http_route_names[] = {
	"unknown", "healthz", "metrics", "logs", "api", "push"
};

/* Where a connection is, for the reaper. */
enum http_phase {
	HTTP_PHASE_HEADER,	/* waiting for a whole request header */
	HTTP_PHASE_BODY,	/* receiving a request body */
	HTTP_PHASE_ANSWER,	/* the handlers have it */
};

/* One TCP connection (libmicrohttpd's socket context). */
struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	int			 fd;
	enum http_phase		 phase;
	double			 since;	/* when the phase began */
	int			 reaped;
};
TAILQ_HEAD(http_conn_list, http_conn);

/* One request (libmicrohttpd's con_cls). */
struct http_request {
	struct http_req		 req;
	enum http_route		 route;
	const char		*rest;	/* the path after the route */
	void			*state;	/* the handler's */
	unsigned int		 status; /* 0 until a reply is queued */
	uint64_t		 calls;	/* of the handler */
	struct http_conn	*hc;
};

/* struct http and what only this file sees. */
struct http_priv {
	/* First: http_start returns &pub. */
	struct http		 pub;

	/* conns and active, under cmtx. */
	pthread_mutex_t		 cmtx;
	struct http_conn_list	 conns;
	uint64_t		 active;	/* requests not completed */

	pthread_t		 reaper;
	int			 reaper_started;

	/*
	 * The waker: resumes the waiting followers after a commit, so that
	 * the writer's thread only bumps the generation and signals (waking
	 * 200 followers is 200 resumes, each a lock and a write).
	 */
	pthread_t		 waker;
	int			 waker_started;
	pthread_cond_t		 wcond;		/* under pub.mtx */
	int			 wake_pending;

	/* The log limiter. */
	pthread_mutex_t		 lmtx;
	time_t			 log_window;
	unsigned int		 log_count;
	uint64_t		 log_dropped;
};

static double
http_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
http_sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

static int
http_stopping(struct http *h)
{
	int	stopping;

	pthread_mutex_lock(&h->mtx);
	stopping = h->stopping;
	pthread_mutex_unlock(&h->mtx);
	return (stopping);
}

/*
 * libmicrohttpd's messages, to our log. A flood of bad clients must not
 * flood the log: past HTTP_LOG_BURST messages a minute the rest are
 * counted and reported once the minute is over.
 */
static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_priv	*hp = cls;
	char			*msg;
	size_t			 len;
	time_t			 now = time(NULL);
	uint64_t		 dropped = 0;
	int			 show = 1;

	pthread_mutex_lock(&hp->lmtx);
	if (now - hp->log_window >= 60) {
		dropped = hp->log_dropped;
		hp->log_window = now;
		hp->log_count = 0;
		hp->log_dropped = 0;
	}
	if (hp->log_count >= HTTP_LOG_BURST) {
		hp->log_dropped++;
		show = 0;
	} else
		hp->log_count++;
	pthread_mutex_unlock(&hp->lmtx);

	if (dropped != 0)
		log_warnx("http: %llu more messages were not logged",
		    (unsigned long long)dropped);
	if (!show)
		return;
	xvasprintf(&msg, fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	log_warnx("http: %s", msg);
	free(msg);
}

static void
http_mhd_panic(void *cls, const char *file, unsigned int line,
    const char *reason)
{
	fatalx("http: libmicrohttpd: %s:%u: %s", file != NULL ? file : "?",
	    line, reason != NULL ? reason : "panic");
}

/* --- connections and the reaper -------------------------------------- */

/* libmicrohttpd's connection start and close: the reaper's list. */
static void
http_notify_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct http_priv		*hp = cls;
	struct http_conn		*hc;
	const union MHD_ConnectionInfo	*ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL)
			return;
		hc = xcalloc(1, sizeof *hc);
		hc->fd = ci->connect_fd;
		hc->phase = HTTP_PHASE_HEADER;
		hc->since = http_now();
		pthread_mutex_lock(&hp->cmtx);
		TAILQ_INSERT_TAIL(&hp->conns, hc, entry);
		pthread_mutex_unlock(&hp->cmtx);
		*socket_context = hc;
		return;
	}
	if ((hc = *socket_context) == NULL)
		return;
	/* Removed before libmicrohttpd closes the descriptor. */
	pthread_mutex_lock(&hp->cmtx);
	TAILQ_REMOVE(&hp->conns, hc, entry);
	pthread_mutex_unlock(&hp->cmtx);
	free(hc);
	*socket_context = NULL;
}

static void
http_set_phase(struct http_priv *hp, struct http_conn *hc,
    enum http_phase phase)
{
	if (hc == NULL)
		return;
	pthread_mutex_lock(&hp->cmtx);
	if (hc->phase != phase) {
		hc->phase = phase;
		hc->since = http_now();
	}
	pthread_mutex_unlock(&hp->cmtx);
}

/*
 * Shuts down (without closing: the descriptor stays libmicrohttpd's)
 * every connection that spent longer than --http-timeout on a request
 * header or body. libmicrohttpd then sees the connection end and closes
 * it. The list lock is held across shutdown(), and a connection leaves the
 * list before its descriptor is closed, so a reused descriptor is never
 * hit.
 */
static void
http_reap(struct http_priv *hp)
{
	struct http_conn	*hc;
	double			 limit, now = http_now();

	limit = (double)hp->pub.opts->http_timeout;
	pthread_mutex_lock(&hp->cmtx);
	TAILQ_FOREACH(hc, &hp->conns, entry) {
		if (hc->reaped || hc->phase == HTTP_PHASE_ANSWER ||
		    now - hc->since < limit)
			continue;
		(void)shutdown(hc->fd, SHUT_RDWR);
		hc->reaped = 1;
	}
	pthread_mutex_unlock(&hp->cmtx);
}

/*
 * The reaper thread; with --read-only it also watches the database for
 * the writer's commits (query_data_version) and wakes followers when it
 * changes.
 */
static void *
http_reaper(void *arg)
{
	struct http_priv	*hp = arg;
	struct http		*h = &hp->pub;
	struct query_db		*db = NULL;
	char			*cause;
	int64_t			 v, last = 0;
	int			 failed = 0, retry = 0;
	unsigned int		 ticks = 0;

	while (!http_stopping(h)) {
		http_reap(hp);
		/*
		 * Now and then wake every follower even without a commit: a
		 * follower whose client went away is only noticed by MHD when
		 * it runs again.
		 */
		if (++ticks % HTTP_WAKE_TICKS == 0)
			http_notify(h);
		if (h->srv != NULL) {
			http_sleep_ms(HTTP_POLL_MS * 5);
			continue;
		}
		if (db == NULL && retry-- <= 0) {
			db = query_open(h->opts->db, HTTP_SCHEMA_MIN, &cause);
			if (db == NULL) {
				if (!failed)
					log_warnx("http: %s (retrying)",
					    cause);
				free(cause);
				failed = 1;
				retry = 1000 / HTTP_POLL_MS;
			} else {
				if (failed)
					log_info("http: database readable "
					    "again");
				failed = 0;
				if (query_data_version(db, &last,
				    &cause) != 0)
					goto fail;
				http_notify(h);
			}
		}
		if (db != NULL) {
			if (query_data_version(db, &v, &cause) != 0)
				goto fail;
			if (v != last) {
				last = v;
				http_notify(h);
			}
		}
		http_sleep_ms(HTTP_POLL_MS);
		continue;
fail:
		log_warnx("http: %s", cause);
		free(cause);
		query_close(db);
		db = NULL;
		failed = 1;
		retry = 1000 / HTTP_POLL_MS;
	}
	if (db != NULL)
		query_close(db);
	return (NULL);
}

/* --- per-thread reader state ------------------------------------------ */

static void
http_thread_free(void *arg)
{
	struct http_thread	*t = arg;

	if (t->ls != NULL)
		logstore_close(t->ls);
	if (t->db != NULL)
		query_close(t->db);
	free(t);
}

struct http_thread *
http_thread_get(struct http_req *req, char **cause)
{
	struct http		*h = req->h;
	struct http_thread	*t;

	if ((t = pthread_getspecific(h->key)) == NULL) {
		t = xcalloc(1, sizeof *t);
		if (pthread_setspecific(h->key, t) != 0)
			fatalx("pthread_setspecific failed");
	}
	/* A failure is not remembered: the next request tries again. */
	if (t->db == NULL &&
	    (t->db = query_open(h->opts->db, HTTP_SCHEMA_MIN, cause)) == NULL)
		return (NULL);
	if (t->ls == NULL &&
	    (t->ls = logstore_open(h->opts->logstore, 0, cause)) == NULL)
		return (NULL);
	req->t = t;
	return (t);
}

/* --- the follow hub ---------------------------------------------------- */

uint64_t
http_generation(struct http *h)
{
	uint64_t	g;

	pthread_mutex_lock(&h->mtx);
	g = h->generation;
	pthread_mutex_unlock(&h->mtx);
	return (g);
}

/*
 * The connection is suspended under the hub's lock, so http_notify (which
 * takes it too) resumes only connections whose suspension is complete.
 */
int
http_follow_wait(struct http *h, struct http_follower *f, uint64_t seen)
{
	int	r;

	pthread_mutex_lock(&h->mtx);
	if (h->stopping)
		r = -1;
	else if (h->generation != seen)
		r = 0;
	else {
		if (!f->waiting) {
			TAILQ_INSERT_TAIL(&h->waiting, f, entry);
			f->waiting = 1;
		}
		MHD_suspend_connection(f->conn);
		r = 1;
	}
	pthread_mutex_unlock(&h->mtx);
	return (r);
}

void
http_follow_cancel(struct http *h, struct http_follower *f)
{
	pthread_mutex_lock(&h->mtx);
	if (f->waiting) {
		TAILQ_REMOVE(&h->waiting, f, entry);
		f->waiting = 0;
	}
	pthread_mutex_unlock(&h->mtx);
}

/* Resumes every waiting follower; the caller holds h->mtx. */
static void
http_wake_locked(struct http *h)
{
	struct http_follower	*f;

	while ((f = TAILQ_FIRST(&h->waiting)) != NULL) {
		TAILQ_REMOVE(&h->waiting, f, entry);
		f->waiting = 0;
		MHD_resume_connection(f->conn);
	}
}

void
http_notify(struct http *h)
{
	struct http_priv	*hp = (struct http_priv *)h;

	pthread_mutex_lock(&h->mtx);
	h->generation++;
	if (hp->waker_started) {
		hp->wake_pending = 1;
		pthread_cond_signal(&hp->wcond);
	} else
		http_wake_locked(h);
	pthread_mutex_unlock(&h->mtx);
}

/* The waker thread: resumes the followers each time http_notify asks. */
static void *
http_waker(void *arg)
{
	struct http_priv	*hp = arg;
	struct http		*h = &hp->pub;

	pthread_mutex_lock(&h->mtx);
	while (!h->stopping) {
		while (!hp->wake_pending && !h->stopping)
			pthread_cond_wait(&hp->wcond, &h->mtx);
		hp->wake_pending = 0;
		http_wake_locked(h);
	}
	pthread_mutex_unlock(&h->mtx);
	return (NULL);
}

/* --- routing ----------------------------------------------------------- */

static enum http_route
http_route_of(const char *url, const char **rest)
{
	*rest = "";
	if (strcmp(url, "/healthz") == 0)
		return (HTTP_ROUTE_HEALTHZ);
	if (strcmp(url, "/metrics") == 0)
		return (HTTP_ROUTE_METRICS);
	if (strncmp(url, "/logs/", 6) == 0) {
		*rest = url + 6;
		return (HTTP_ROUTE_LOGS);
	}
	if (strncmp(url, "/api/v1", 7) == 0 &&
	    (url[7] == '\0' || url[7] == '/')) {
		*rest = url + 7;
		return (HTTP_ROUTE_API);
	}
	if (strcmp(url, "/push") == 0)
		return (HTTP_ROUTE_PUSH);
	return (HTTP_ROUTE_UNKNOWN);
}

/*
 * Refusals that need no handler (unknown path, wrong method, shutting
 * down, /push on a reader). Returns 1 with *ret set if the request was
 * answered.
 */
static int
http_refuse(struct http_priv *hp, struct http_request *r,
    enum MHD_Result *ret)
{
	struct http_req	*req = &r->req;
	const char	*m = req->method;
	int		 get;

	get = (strcmp(m, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(m, MHD_HTTP_METHOD_HEAD) == 0);
	if (r->route == HTTP_ROUTE_UNKNOWN) {
		*ret = http_reply_error(req, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such resource: %.200s", req->url);
	} else if (r->route == HTTP_ROUTE_PUSH &&
	    strcmp(m, MHD_HTTP_METHOD_POST) != 0) {
		*ret = http_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "%.20s /push: only POST is allowed",
		    m);
	} else if (r->route != HTTP_ROUTE_PUSH && !get) {
		*ret = http_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "%.20s %.200s: only GET and HEAD "
		    "are allowed", m, req->url);
	} else if (http_stopping(&hp->pub)) {
		*ret = http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "unavailable", "the server is shutting down");
	} else if (r->route == HTTP_ROUTE_PUSH && hp->pub.srv == NULL) {
		*ret = http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "unavailable", "this bbmirrord is --read-only: send "
		    "HttpStatusPush requests to the one that ingests");
	} else
		return (0);
	return (1);
}

/*
 * libmicrohttpd calls this first when a request's header is in, then for
 * each piece of its body, then once more with none. A reply queued in the
 * first call makes libmicrohttpd close the connection afterwards (it will
 * not read the body), so only refusals of requests that may carry a body
 * are answered then; GET and HEAD are answered from the second call,
 * keeping the connection alive. /push sees every call (push.c reads the
 * body).
 */
static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_priv		*hp = cls;
	struct http_request		*r = *con_cls;
	struct http_req			*req;
	const union MHD_ConnectionInfo	*ci;
	enum MHD_Result			 ret = MHD_YES;
	int				 get;

	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->req.h = &hp->pub;
		r->req.conn = conn;
		r->req.method = method;
		r->req.url = url;
		r->route = http_route_of(url, &r->rest);
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if (ci != NULL)
			r->hc = ci->socket_context;
		*con_cls = r;
		pthread_mutex_lock(&hp->cmtx);
		hp->active++;
		pthread_mutex_unlock(&hp->cmtx);
		http_set_phase(hp, r->hc, r->route == HTTP_ROUTE_PUSH ?
		    HTTP_PHASE_BODY : HTTP_PHASE_ANSWER);
		get = (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
		if ((get && r->route != HTTP_ROUTE_PUSH) ||
		    http_refuse(hp, r, &ret))
			goto done;
	} else if (r->status != 0 && r->route != HTTP_ROUTE_PUSH) {
		/* Answered already: ignore the rest of a body. */
		*upload_data_size = 0;
		return (MHD_YES);
	} else if (r->calls == 0 && http_refuse(hp, r, &ret))
		goto done;
	r->calls++;
	req = &r->req;
	req->t = pthread_getspecific(hp->pub.key);

	switch (r->route) {
	case HTTP_ROUTE_HEALTHZ:
		ret = metrics_health(req);
		break;
	case HTTP_ROUTE_METRICS:
		ret = metrics_handle(req);
		break;
	case HTTP_ROUTE_LOGS:
		ret = http_logs_handle(req, r->rest, &r->state);
		break;
	case HTTP_ROUTE_API:
		ret = http_api_handle(req, r->rest);
		break;
	case HTTP_ROUTE_PUSH:
		if (r->calls > 1 && *upload_data_size == 0)
			http_set_phase(hp, r->hc, HTTP_PHASE_ANSWER);
		ret = push_handle(req, upload_data, upload_data_size,
		    &r->state);
		break;
	default:
		ret = MHD_NO;
		break;
	}
done:
	if (r->status == 0) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_HTTP_STATUS);
		if (ci != NULL)
			r->status = ci->http_status;
	}
	return (ret);
}

/* The end of a request: the handler's state, the metrics, the reaper. */
static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_priv	*hp = cls;
	struct http_request	*r = *con_cls;

	if (r == NULL)
		return;
	if (r->state != NULL) {
		if (r->route == HTTP_ROUTE_LOGS)
			http_logs_free(r->state);
		else if (r->route == HTTP_ROUTE_PUSH)
			push_free_state(r->state);
	}
	if (r->status != 0)
		metrics_http(http_route_names[r->route], r->status);
	/* The next request on this connection must arrive in time too. */
	http_set_phase(hp, r->hc, HTTP_PHASE_HEADER);
	pthread_mutex_lock(&hp->cmtx);
	hp->active--;
	pthread_mutex_unlock(&hp->cmtx);
	free(r);
	*con_cls = NULL;
}

/* --- start and stop ---------------------------------------------------- */

/*
 * Percent-decoding of the path and the query arguments, in place, as MHD's
 * own except that "%00" stays as it is: a NUL would cut the string short,
 * and "/logs/1%00junk" must not be read as "/logs/1". Returns the new
 * length.
 */
static size_t
http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char		*r = s, *w = s;
	int		 hi, lo;

	while (*r != '\0') {
		if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 &&
		    (lo = hex_value(r[2])) >= 0 && (hi != 0 || lo != 0)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return ((size_t)(w - s));
}

struct http *
http_start(const struct bbmirrord_options *opts, struct server *srv,
    char **cause)
{
	struct http_priv	*hp;
	struct http		*h;
	unsigned int		 flags;
	sigset_t		 all, old;
	int			 fd;
	char			*desc;

	if (opts->http_max_connections < opts->http_threads) {
		xasprintf(cause, "--http-max-connections %lld is less than "
		    "--http-threads %lld",
		    (long long)opts->http_max_connections,
		    (long long)opts->http_threads);
		return (NULL);
	}
	if ((fd = http_listen(opts->http, &desc, cause)) == -1)
		return (NULL);

	hp = xcalloc(1, sizeof *hp);
	h = &hp->pub;
	h->opts = opts;
	h->srv = srv;
	h->listen_desc = desc;
	pthread_mutex_init(&h->mtx, NULL);
	pthread_cond_init(&hp->wcond, NULL);
	pthread_mutex_init(&hp->cmtx, NULL);
	pthread_mutex_init(&hp->lmtx, NULL);
	TAILQ_INIT(&h->waiting);
	TAILQ_INIT(&hp->conns);
	if (pthread_key_create(&h->key, http_thread_free) != 0)
		fatalx("pthread_key_create failed");
	MHD_set_panic_func(http_mhd_panic, NULL);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	else
		flags |= MHD_USE_POLL;

	/* Signals are the libev thread's: none for ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, http_access, hp,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, hp,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)opts->http_threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opts->http_timeout,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)opts->http_max_connections,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, hp,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, hp,
	    MHD_OPTION_END);
	if (h->mhd != NULL) {
		if (pthread_create(&hp->reaper, NULL, http_reaper, hp) != 0)
			fatalx("cannot create the HTTP reaper thread");
		hp->reaper_started = 1;
		if (pthread_create(&hp->waker, NULL, http_waker, hp) != 0)
			fatalx("cannot create the HTTP waker thread");
		hp->waker_started = 1;
		h->poller = hp->reaper;
		h->poller_started = (srv == NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->mhd == NULL) {
		xasprintf(cause, "--http %s: libmicrohttpd could not start "
		    "(see the messages above)", opts->http);
		close(fd);
		pthread_key_delete(h->key);
		pthread_cond_destroy(&hp->wcond);
		pthread_mutex_destroy(&h->mtx);
		pthread_mutex_destroy(&hp->cmtx);
		pthread_mutex_destroy(&hp->lmtx);
		free(desc);
		free(hp);
		return (NULL);
	}
	return (h);
}

/*
 * Stops accepting, ends every follower's stream, has pushes answered,
 * lets requests in progress finish for up to HTTP_STOP_MS, then stops
 * libmicrohttpd (whose threads close their reader connections as they
 * exit). libmicrohttpd must not be stopped with a suspended connection:
 * followers are resumed here and refuse to wait again (h->stopping), and
 * push_shutdown resumes every push.
 */
void
http_stop(struct http *h)
{
	struct http_priv	*hp = (struct http_priv *)h;
	MHD_socket		 fd;
	uint64_t		 active;
	int			 waited;

	fd = MHD_quiesce_daemon(h->mhd);
	pthread_mutex_lock(&h->mtx);
	h->stopping = 1;
	h->generation++;
	http_wake_locked(h);
	pthread_cond_signal(&hp->wcond);
	pthread_mutex_unlock(&h->mtx);
	if (h->srv != NULL)
		push_shutdown(h->srv);
	if (hp->reaper_started)
		pthread_join(hp->reaper, NULL);
	if (hp->waker_started)
		pthread_join(hp->waker, NULL);

	for (waited = 0; waited < HTTP_STOP_MS; waited += 10) {
		pthread_mutex_lock(&hp->cmtx);
		active = hp->active;
		pthread_mutex_unlock(&hp->cmtx);
		if (active == 0)
			break;
		http_sleep_ms(10);
	}
	MHD_stop_daemon(h->mhd);
	/* A quiesced socket is ours to close; otherwise MHD closed it. */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);

	pthread_key_delete(h->key);
	pthread_cond_destroy(&hp->wcond);
	pthread_mutex_destroy(&h->mtx);
	pthread_mutex_destroy(&hp->cmtx);
	pthread_mutex_destroy(&hp->lmtx);
	free(h->listen_desc);
	free(hp);
}
