/*
 * http.h: bbmirrord's HTTP side, private to the daemon. One section per
 * file:
 *   http.c       the server (libmicrohttpd), routing, per-thread reader
 *                connections, the follow hub, the reaper of slow clients;
 *   http-reply.c replies, error objects, query arguments;
 *   http-listen.c the listening socket;
 *   http-logs.c  GET /logs/{id}: text, channels, ranges, chunks, follow;
 *   http-api.c,  GET /api/v1/...: the read-only JSON API (doc/api.md);
 *   http-api-*.c
 *   push.c       POST /push: HttpStatusPush ingest through the writer;
 *   metrics.c    /metrics (Prometheus text) and /healthz, and the
 *                counters the rest of the daemon feeds;
 *   pruner.c     the log pruner's timer (lib/prune.h does the work).
 *
 * Threads. The ingest (server.c, writer.c, push completion, the pruner)
 * runs in the libev thread and owns the write connection. The HTTP server
 * runs in libmicrohttpd's own thread pool (--http-threads); every pool
 * thread lazily opens its own read-only database connection (query.h) and
 * its own struct logstore, so no request ever shares or blocks the
 * writer's. The only state both sides touch is: the follow hub (a
 * generation counter and the suspended followers, under a mutex), the push
 * queue (a mutex and an ev_async), and the metrics (a mutex).
 */
#ifndef BBM_HTTP_H
#define BBM_HTTP_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdint.h>

#include <ev.h>
#include <jansson.h>
#include <microhttpd.h>

#include "logstore.h"
#include "push.h"
#include "query.h"
#include "util.h"

struct server;
struct bbmirrord_options;

/* The oldest schema the readers understand (logs.pruned_at). */
#define HTTP_SCHEMA_MIN		3
/* Largest request body accepted (POST /push); HttpStatusPush sends <1 MiB. */
#define HTTP_BODY_MAX		(8 << 20)

/* --- http.c ------------------------------------------------------------ */

/* What one pool thread owns; created on its first request. */
struct http_thread {
	struct query_db		*db;
	struct logstore		*ls;
};

/*
 * One request, handed to the endpoint handlers. state is the handler's own
 * per-request pointer (MHD's con_cls): NULL on the first call; a handler
 * that keeps state sets it and frees it in its free callback.
 */
struct http;
struct http_req {
	struct http		*h;
	struct MHD_Connection	*conn;
	const char		*method;
	const char		*url;		/* path only, decoded by MHD */
	struct http_thread	*t;		/* NULL until http_thread_get */
};

/*
 * A follower waiting for a log to grow. Registered by http_follow_wait
 * (which suspends its connection) and resumed by http_notify or
 * http_stop.
 */
struct http_follower {
	TAILQ_ENTRY(http_follower)	 entry;
	struct MHD_Connection		*conn;
	int				 waiting;
};
TAILQ_HEAD(http_follower_list, http_follower);

struct http {
	struct MHD_Daemon		*mhd;
	const struct bbmirrord_options	*opts;
	struct server			*srv;	/* the ingest; its store is
						   not for HTTP threads */
	char				*listen_desc;	/* "127.0.0.1:8010" */
	pthread_key_t			 key;	/* struct http_thread */

	/* The follow hub. */
	pthread_mutex_t			 mtx;
	uint64_t			 generation;
	struct http_follower_list	 waiting;
	int				 stopping;

	/* --read-only: watches the database for other writers' commits. */
	pthread_t			 poller;
	int				 poller_started;
};

/*
 * Starts the HTTP server on opts->http ("ADDR:PORT", "[ADDR]:PORT", or
 * ":PORT" for every address; loopback is the default address when only a
 * port is given as "PORT"). srv may be NULL (--read-only): then a poller
 * thread bumps the generation when the database changes. Returns NULL with
 * *cause (caller frees) if the address is bad or busy.
 */
struct http	*http_start(const struct bbmirrord_options *, struct server *,
		     char **cause);
/*
 * Stops the server: every follower ends its stream, pending pushes are
 * answered 503, MHD's threads are joined, per-thread connections closed.
 */
void		 http_stop(struct http *);

/*
 * http-listen.c: opens, binds and listens on spec (--http's syntax); *desc
 * (caller frees) gets the bound address ("127.0.0.1:8010", the real port
 * for port 0). Returns the socket, or -1 with *cause naming the address and
 * the system's reason.
 */
int		 http_listen(const char *spec, char **desc, char **cause);

/*
 * The calling pool thread's reader state, opening its connection and log
 * store on first use. NULL with *cause if the database cannot be opened
 * (the handler replies 503).
 */
struct http_thread *http_thread_get(struct http_req *, char **cause);

/*
 * Replies. Each queues a complete response on req->conn and returns MHD's
 * result for the access handler to return. http_reply_json steals the
 * reference to body and, when etag is not NULL, sends it as a strong ETag
 * (quoted here) and answers 304 with no body when the request's
 * If-None-Match matches. Error objects are
 *   {"error": {"status": 404, "code": "not_found", "message": "..."}}
 * with code one of bad_request, not_found, method_not_allowed,
 * range_not_satisfiable, payload_too_large, unavailable, internal.
 */
enum MHD_Result	 http_reply_json(struct http_req *, unsigned int status,
		     json_t *body, const char *etag);
enum MHD_Result	 http_reply_error(struct http_req *, unsigned int status,
		     const char *code, const char *fmt, ...) PRINTFLIKE(4, 5);
/*
 * http_reply_error_extra: an error object for msg (taken as it is) with
 * more members (extra, stolen; may be NULL) and one more header (name may
 * be NULL): a 410's pruned_at, a 416's length and Content-Range.
 */
enum MHD_Result	 http_reply_error_extra(struct http_req *, unsigned int status,
		     const char *code, json_t *extra, const char *name,
		     const char *value, const char *msg);
enum MHD_Result	 http_reply_text(struct http_req *, unsigned int status,
		     const char *content_type, const char *text);

/*
 * A query argument (?name=value), or NULL. http_arg_int parses a decimal
 * integer in [min, max]: returns 1 if present and valid (*out set), 0 if
 * absent, -1 if malformed (and replies 400 itself naming the argument:
 * the handler then returns *ret).
 */
const char	*http_arg(struct http_req *, const char *name);
int		 http_arg_int(struct http_req *, const char *name, int64_t min,
		     int64_t max, int64_t *out, enum MHD_Result *ret);

/* The follow hub. */
/* The current generation (changes after every commit that may matter). */
uint64_t	 http_generation(struct http *);
/*
 * Called by a content reader that has nothing new to send: if the
 * generation is still seen, registers f and suspends f->conn (returns 1:
 * the reader must return 0); if it moved on, returns 0 (read again). When
 * the server is stopping returns -1 (end the stream).
 */
int		 http_follow_wait(struct http *, struct http_follower *,
		     uint64_t seen);
/* Removes f if it is registered (a request that ends early). */
void		 http_follow_cancel(struct http *, struct http_follower *);
/* Bumps the generation and resumes every waiting follower. Thread-safe. */
void		 http_notify(struct http *);

/* --- http-logs.c ------------------------------------------------------- */

/* GET /logs/{id}[?channel=...&format=chunks&follow=1&offset=N]. */
enum MHD_Result	 http_logs_handle(struct http_req *, const char *id,
		     void **state);
void		 http_logs_free(void *state);

/* --- http-api.c -------------------------------------------------------- */

/* GET /api/v1/... (path is what follows "/api/v1"). */
enum MHD_Result	 http_api_handle(struct http_req *, const char *path);

/* --- push.c ------------------------------------------------------------ */

/*
 * POST /push. Called by http.c for every call of the access handler of a
 * POST /push request (the body arrives over several calls:
 * *upload_data_size bytes at upload_data, consumed by setting it to 0);
 * state is the request's own pointer. The handler parses the packets,
 * queues them to the libev thread, suspends the connection and, once the
 * batch holding them has committed (or failed), replies 200 (or 4xx/503).
 */
enum MHD_Result	 push_handle(struct http_req *, const char *upload_data,
		     size_t *upload_data_size, void **state);
void		 push_free_state(void *state);
/* libev side: the async watcher that takes queued pushes into the writer. */
void		 push_init(struct server *);
/*
 * Called by writer_commit once a commit succeeded (ok 1) or failed (ok 0):
 * answers every push whose packets were in that batch.
 */
void		 push_committed(struct server *, int ok);
/* Answers every queued or applied push 503 (shutdown). */
void		 push_shutdown(struct server *);

/* --- metrics.c --------------------------------------------------------- */

/*
 * Counters. Fed from the libev thread (events, commits, lag) and from the
 * HTTP threads (requests); read by GET /metrics. Every function is
 * thread-safe and cheap (a mutex, no allocation on the hot path).
 */
void		 metrics_init(void);
void		 metrics_free(void);
/* An event received for master, not a duplicate (its time, NaN if unknown). */
void		 metrics_event(const char *master, double event_time);
/* A commit of n events that took seconds; ok 0 for a failed commit. */
void		 metrics_commit(uint64_t n, double seconds, int ok);
/* The open batch's size (events not yet committed). */
void		 metrics_queue_depth(uint64_t n);
/* Open ingest connections (plugin connections). */
void		 metrics_connections(uint64_t n);
/* An HTTP request answered with status, by route ("logs", "api", ...). */
void		 metrics_http(const char *route, unsigned int status);
/* Logs pruned and bytes freed by the pruner. */
void		 metrics_pruned(uint64_t logs, uint64_t bytes);
/* GET /metrics, GET /healthz. */
enum MHD_Result	 metrics_handle(struct http_req *);
enum MHD_Result	 metrics_health(struct http_req *);

/* --- pruner.c ---------------------------------------------------------- */

/*
 * Parses the pruning options (--log-max-age, --log-max-total-size,
 * --log-keep) and starts the pruning timer if any is set. Returns 0, or -1
 * with *cause naming the option and what is wrong with its value.
 */
int		 pruner_init(struct server *, char **cause);
void		 pruner_free(struct server *);

#endif /* BBM_HTTP_H */
