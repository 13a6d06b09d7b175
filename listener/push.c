/*
 * push.c: POST /push, HttpStatusPush ingest (http.h, push.h).
 *
 * A pool thread of libmicrohttpd reads the body (at most HTTP_BODY_MAX
 * bytes), parses it into events (a bad body is answered 400 and changes
 * nothing), suspends the connection and queues a job for the libev thread
 * (a mutex and an ev_async). The libev thread, which alone owns the
 * database, applies each packet not applied before (table push_packets,
 * by digest) through the writer's batch, as the plugin's events are, with
 * sequence numbers after the master's last committed one. Once the batch
 * holding the job commits, push_committed answers it 200 with the counts;
 * if the batch fails, 503, and the master sends the packets again.
 *
 * With --master-basedir, a finished step's logs (and at the end of the
 * build, any log still without content) are read from the master's own
 * files (logcopy_log) and their rows written in the same batch.
 *
 * The master is named by the packets' "project" (c['title']) unless the
 * URL says /push?master=NAME. One daemon may take pushes from several
 * masters; --master-basedir is the base directory of each of them.
 */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "logcopy.h"

/* Bytes read from a log file at a time. */
#define PUSH_READ_SIZE	(256 * 1024)

/* Where a job is. */
enum push_where {
	PUSH_QUEUED,		/* for the libev thread */
	PUSH_APPLIED,		/* in the open batch */
	PUSH_ANSWERED,		/* status set, connection resumed */
};

/* One request's packets, from the pool thread to the libev thread. */
struct push_job {
	TAILQ_ENTRY(push_job)	 entry;
	struct MHD_Connection	*conn;
	struct push_request	 req;
	char			*master;	/* ?master=, or NULL */
	enum push_where		 where;
	unsigned int		 status;
	const char		*message;	/* of a status other than 200 */
	int			 error;		/* a store error: answer 503 */
	size_t			 applied;
	size_t			 duplicates;
	size_t			 failed;
};
TAILQ_HEAD(push_jobs, push_job);

/* A master the pushes named, with the next sequence number to use. */
struct push_master {
	char			*name;
	int64_t			 id;
	uint64_t		 seq;
	TAILQ_ENTRY(push_master) entry;
};

struct push_queue {
	struct server		*srv;
	pthread_mutex_t		 mtx;
	struct push_jobs	 queued;	/* waiting for the libev thread */
	struct push_jobs	 applied;	/* in the open batch */
	int			 stopping;
	ev_async		 async;

	/* The libev thread's own. */
	TAILQ_HEAD(, push_master) masters;
	struct push_state	*state;
	char			*buffer;
};

/* The request's state (MHD's con_cls, through http.c). */
struct push_rstate {
	struct buf		 body;
	int			 too_big;
	struct push_job		*job;
};

/* --- the pool threads --------------------------------------------------- */

static void
push_job_free(struct push_job *job)
{
	push_request_free(&job->req);
	free(job->master);
	free(job);
}

void
push_free_state(void *state)
{
	struct push_rstate	*rs = state;

	if (rs == NULL)
		return;
	buf_free(&rs->body);
	/* A job is answered (off the lists) before its request ends. */
	if (rs->job != NULL)
		push_job_free(rs->job);
	free(rs);
}

/* 1 if the request's Content-Type is a urlencoded form (or absent). */
static int
push_content_type(struct http_req *req)
{
	const char	*ct;
	size_t		 n = strlen("application/x-www-form-urlencoded");

	ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL)
		return (1);
	return (strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '));
}

/* The first call: refusals that need no body. */
static enum MHD_Result
push_start(struct http_req *req, struct push_rstate **rsp, void **state)
{
	const char	*cl;
	char		*end;
	unsigned long long n;

	if (!push_content_type(req))
		return (http_reply_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "bad_request", "Content-Type must be application/"
		    "x-www-form-urlencoded (HttpStatusPush's form)"));
	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		n = strtoull(cl, &end, 10);
		if (*end == '\0' && n > HTTP_BODY_MAX)
			return (http_reply_error(req,
			    MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large",
			    "a body of %llu bytes: at most %d are accepted", n,
			    HTTP_BODY_MAX));
	}
	*rsp = xcalloc(1, sizeof **rsp);
	buf_init(&(*rsp)->body, HTTP_BODY_MAX);
	*state = *rsp;
	return (MHD_YES);
}

/* The answer of a job the libev thread is done with. */
static enum MHD_Result
push_answer(struct http_req *req, struct push_job *job)
{
	json_t	*body;

	if (job->status != MHD_HTTP_OK)
		return (http_reply_error(req, job->status, "unavailable",
		    "%s; send the packets again", job->message != NULL ?
		    job->message : "not stored"));
	body = json_pack("{s:b,s:I,s:I,s:I,s:I}", "ok", 1, "packets",
	    (json_int_t)job->req.npackets, "applied", (json_int_t)job->applied,
	    "duplicates", (json_int_t)job->duplicates, "failed",
	    (json_int_t)job->failed);
	return (http_reply_json(req, MHD_HTTP_OK, body, NULL));
}

/*
 * The last call: parse, check the master names, queue the job and suspend
 * the connection until the libev thread resumes it.
 */
static enum MHD_Result
push_submit(struct http_req *req, struct push_rstate *rs)
{
	struct push_queue	*q = req->h->srv->push;
	struct push_job		*job;
	const char		*master, *name;
	char			*cause = NULL;
	size_t			 i;
	enum MHD_Result		 ret;

	if (rs->too_big)
		return (http_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
		    "payload_too_large", "the body is larger than %d bytes",
		    HTTP_BODY_MAX));
	job = xcalloc(1, sizeof *job);
	if (push_parse(rs->body.data != NULL ? rs->body.data : "",
	    rs->body.len, &job->req, &cause) != 0) {
		ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
		    "%s", cause);
		free(cause);
		push_job_free(job);
		return (ret);
	}
	buf_free(&rs->body);
	master = http_arg(req, "master");
	if (master != NULL && (*master == '\0' ||
	    !utf8_valid(master, strlen(master)))) {
		push_job_free(job);
		return (http_reply_error(req, MHD_HTTP_BAD_REQUEST,
		    "bad_request", "?master= needs a name"));
	}
	for (i = 0; master == NULL && i < job->req.npackets; i++) {
		name = job->req.packets[i].project;
		if (*name == '\0') {
			push_job_free(job);
			return (http_reply_error(req, MHD_HTTP_BAD_REQUEST,
			    "bad_request", "packet %zu: key \"project\" is "
			    "empty: name the master with /push?master=NAME",
			    i));
		}
	}
	job->master = master != NULL ? xstrdup(master) : NULL;
	job->conn = req->conn;
	rs->job = job;

	pthread_mutex_lock(&q->mtx);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mtx);
		return (http_reply_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "unavailable", "the server is shutting down"));
	}
	/* Suspended before the libev thread can see it (and resume it). */
	MHD_suspend_connection(req->conn);
	job->where = PUSH_QUEUED;
	TAILQ_INSERT_TAIL(&q->queued, job, entry);
	pthread_mutex_unlock(&q->mtx);
	ev_async_send(q->srv->loop, &q->async);
	return (MHD_YES);
}

enum MHD_Result
push_handle(struct http_req *req, const char *upload_data,
    size_t *upload_data_size, void **state)
{
	struct push_rstate	*rs = *state;
	struct push_queue	*q = req->h->srv->push;
	int			 done;

	if (rs == NULL)
		return (push_start(req, &rs, state));
	if (*upload_data_size != 0) {
		/* Past the cap the rest is read and dropped: 413 at the end. */
		if (!rs->too_big && buf_add(&rs->body, upload_data,
		    *upload_data_size) != 0) {
			rs->too_big = 1;
			buf_free(&rs->body);
		}
		*upload_data_size = 0;
		return (MHD_YES);
	}
	if (rs->job == NULL)
		return (push_submit(req, rs));
	pthread_mutex_lock(&q->mtx);
	done = (rs->job->where == PUSH_ANSWERED);
	pthread_mutex_unlock(&q->mtx);
	if (!done)
		return (MHD_YES);
	return (push_answer(req, rs->job));
}

/* --- the libev thread ---------------------------------------------------- */

/*
 * Answers job (on a list, under q->mtx): takes it off its list and
 * resumes its connection, whose pool thread then replies.
 */
static void
push_finish_locked(struct push_queue *q, struct push_job *job,
    unsigned int status, const char *message)
{
	if (job->where == PUSH_ANSWERED)
		return;
	TAILQ_REMOVE(job->where == PUSH_APPLIED ? &q->applied : &q->queued,
	    job, entry);
	job->status = status;
	job->message = message;
	job->where = PUSH_ANSWERED;
	MHD_resume_connection(job->conn);
}

/* Forgets the masters registered so far (the cache push_master keeps). */
static void
push_masters_clear(struct push_queue *q)
{
	struct push_master	*m;

	while ((m = TAILQ_FIRST(&q->masters)) != NULL) {
		TAILQ_REMOVE(&q->masters, m, entry);
		free(m->name);
		free(m);
	}
}

void
push_committed(struct server *srv, int ok)
{
	struct push_queue	*q = srv->push;
	struct push_job		*job;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	while ((job = TAILQ_FIRST(&q->applied)) != NULL) {
		if (ok && !job->error)
			push_finish_locked(q, job, MHD_HTTP_OK, NULL);
		else
			push_finish_locked(q, job, MHD_HTTP_SERVICE_UNAVAILABLE,
			    job->error ? "the database refused a packet" :
			    "the batch could not be committed");
	}
	pthread_mutex_unlock(&q->mtx);
	if (ok)
		return;
	/* Rows written in the batch (a new master's) are gone. */
	push_masters_clear(q);
}

/* The master called name: registered once, then cached. */
static struct push_master *
push_master(struct push_queue *q, const char *name)
{
	struct server		*srv = q->srv;
	struct push_master	*m;
	char			*cause = NULL;
	uint64_t		 seq;
	int64_t			 id;

	TAILQ_FOREACH(m, &q->masters, entry) {
		if (strcmp(m->name, name) == 0)
			return (m);
	}
	if (live_master(srv->live, name, srv->opts->master_basedir, &id, &seq,
	    &cause) != 0) {
		log_warnx("push: master %s: %s", name, cause);
		free(cause);
		return (NULL);
	}
	/* Its rows say where they came from. */
	live_master_origin(srv->live, id, BBM_ORIGIN_PUSH);
	m = xcalloc(1, sizeof *m);
	m->name = xstrdup(name);
	m->id = id;
	m->seq = seq;
	TAILQ_INSERT_TAIL(&q->masters, m, entry);
	return (m);
}

/* Buildbot's safeTranslate (spec 1.2): the default builddir of a name. */
static char *
push_safe_translate(const char *name)
{
	static const char	 bad[] = "\t !#$%&'()*+,./:;<=>?@[\\]^{|}~";
	char			*s, *p;

	s = xstrdup(name);
	for (p = s; *p != '\0'; p++) {
		if (strchr(bad, *p) != NULL)
			*p = '_';
	}
	return (s);
}

/*
 * The builder directory of a build's logs: the basedir builderAdded gave,
 * else the builddir stored (an import's), else the default for its name.
 * Caller frees; NULL if the path would leave the master's directory.
 */
static char *
push_builder_dir(struct push_queue *q, struct push_master *m,
    const char *builder)
{
	struct server	*srv = q->srv;
	const char	*base;
	char		*dir = NULL, *path, *cause = NULL;

	if ((base = push_state_basedir(q->state, m->id, builder)) != NULL)
		dir = xstrdup(base);
	else if (store_push_builddir(srv->store, m->id, builder, &dir,
	    &cause) != 0) {
		log_warnx("push: %s", cause);
		free(cause);
	}
	if (dir == NULL)
		dir = push_safe_translate(builder);
	if (*dir == '\0' || *dir == '/' || strcmp(dir, "..") == 0 ||
	    strncmp(dir, "../", 3) == 0 || strstr(dir, "/../") != NULL ||
	    (strlen(dir) >= 3 && strcmp(dir + strlen(dir) - 3, "/..") == 0)) {
		free(dir);
		return (NULL);
	}
	xasprintf(&path, "%s/%s", srv->opts->master_basedir, dir);
	free(dir);
	return (path);
}

/* One log's content from its file; 0 (a problem is only logged). */
static void
push_copy(struct push_queue *q, struct push_master *m, const char *dir,
    struct bbm_log *log)
{
	char	*warning = NULL, *cause = NULL;

	if (logcopy_log(q->srv->ls, dir, log, q->buffer, PUSH_READ_SIZE,
	    &warning, &cause) != 0) {
		log_warnx("push: %s: %s: %s", m->name, log->filename != NULL ?
		    log->filename : "log", cause);
		free(cause);
		return;
	}
	if (warning != NULL) {
		log_warnx("push: %s: %s", m->name, warning);
		free(warning);
	}
}

/*
 * stepFinished: the step's logs from the master's files, written with the
 * step (store_step keeps row ids); logs stored complete already are kept.
 */
static int
push_step_logs(struct push_queue *q, struct push_master *m,
    struct bbm_event *ev, int64_t build_id, const char *dir, char **cause)
{
	struct store	*s = q->srv->store;
	struct bbm_step	*rec = ev->step_rec;
	struct bbm_log	*log, row;
	size_t		 i;
	int		 found;

	for (i = 0; i < rec->nlogs; i++) {
		log = &rec->logs[i];
		memset(&row, 0, sizeof row);
		if (store_log_get(s, build_id, ev->step, (int64_t)i, &row,
		    &found, cause) != 0)
			return (-1);
		if (found && row.state == BBM_LOG_STORED && row.complete) {
			free(log->store_key);
			log->store_key = row.store_key;
			log->state = row.state;
			log->stored_bytes = row.stored_bytes;
			log->text_bytes = row.text_bytes;
			log->lines = row.lines;
			log->complete = row.complete;
			continue;
		}
		free(row.store_key);
		push_copy(q, m, dir, log);
	}
	return (store_step(s, build_id, rec, NULL, cause));
}

/* buildFinished: every log of the build still without content. */
static int
push_build_logs(struct push_queue *q, struct push_master *m,
    const struct bbm_event *ev, int64_t build_id, const char *dir,
    char **cause)
{
	struct store		*s = q->srv->store;
	const struct bbm_step	*st;
	struct bbm_log		 log;
	int64_t			 id;
	size_t			 i, j;
	int			 found, error;

	for (i = 0; i < ev->build->nsteps; i++) {
		st = &ev->build->steps[i];
		for (j = 0; j < st->nlogs; j++) {
			if (store_log_find(s, build_id, (int64_t)i, (int64_t)j,
			    &id, &found, cause) != 0)
				return (-1);
			if (!found)
				continue;
			memset(&log, 0, sizeof log);
			if (store_log_get(s, build_id, (int64_t)i, (int64_t)j,
			    &log, &found, cause) != 0)
				return (-1);
			free(log.store_key);
			log.store_key = NULL;
			if (log.state != BBM_LOG_NONE)
				continue;
			log.filename = st->logs[j].filename;
			log.name = st->logs[j].name;
			push_copy(q, m, dir, &log);
			error = 0;
			if (log.state != BBM_LOG_NONE)
				error = store_log_update(s, id, &log, cause);
			free(log.store_key);
			if (error != 0)
				return (-1);
		}
	}
	return (0);
}

/*
 * With --master-basedir, after a stepFinished or buildFinished was
 * applied: the logs' contents, in a unit of their own. A failure is
 * logged; the event stays applied.
 */
static void
push_logs(struct push_queue *q, struct push_master *m, struct bbm_event *ev)
{
	struct store	*s = q->srv->store;
	char		*dir, *cause = NULL;
	double		 started;
	int64_t		 build_id;
	int		 found, error;

	if (ev->builder == NULL ||
	    (dir = push_builder_dir(q, m, ev->builder)) == NULL)
		return;
	if (store_push_build(s, m->id, ev->builder, ev->number, ev->started,
	    0, &build_id, &started, &found, &cause) != 0 || !found ||
	    store_unit_begin(s, &cause) != 0)
		goto out;
	if (ev->type == EVENT_STEP_FINISHED)
		error = push_step_logs(q, m, ev, build_id, dir, &cause);
	else
		error = push_build_logs(q, m, ev, build_id, dir, &cause);
	if (error == 0)
		error = store_unit_end(s, &cause);
	if (error != 0)
		(void)store_unit_abort(s);
out:
	if (cause != NULL) {
		log_warnx("push: %s: logs of %s build %" PRId64 ": %s",
		    m->name, ev->builder, ev->number, cause);
		free(cause);
	}
	free(dir);
}

/*
 * Completes a step event: its build's start time from the packets before
 * it, else from the database (the newest unfinished build of that
 * number). Returns 0 if the build is not known: its buildStarted packet
 * was lost (the pusher drops packets: spec 5b), and a build made from the
 * step's identity alone would have no start time, hence be another build
 * than the one its buildFinished describes in full.
 */
static int
push_resolve(struct push_queue *q, struct push_master *m,
    struct bbm_event *ev)
{
	char	*cause = NULL;
	double	 started;
	int64_t	 id;
	int	 found;

	if (push_state_resolve(q->state, m->id, ev))
		return (1);
	if (store_push_build(q->srv->store, m->id, ev->builder, ev->number,
	    NAN, 1, &id, &started, &found, &cause) != 0) {
		log_warnx("push: %s: %s", m->name, cause);
		free(cause);
		return (0);
	}
	if (!found)
		return (0);
	push_state_started(q->state, m->id, ev->builder, ev->number, started);
	return (push_state_resolve(q->state, m->id, ev));
}

/*
 * Applies one packet of job in the open batch. Returns -1 when the batch
 * is gone (every applied job has been answered 503).
 */
static int
push_packet(struct push_queue *q, struct push_job *job,
    struct push_packet *p)
{
	struct server		*srv = q->srv;
	struct push_master	*m;
	struct bbm_event	*ev = &p->ev;
	enum live_result	 r;
	char			*cause = NULL;
	int			 seen;

	if ((m = push_master(q, job->master != NULL ? job->master :
	    p->project)) == NULL) {
		job->error = 1;
		return (0);
	}
	if (store_push_seen(srv->store, m->id, p->digest, ev_now(srv->loop),
	    &seen, &cause) != 0) {
		log_warnx("push: %s: %s", m->name, cause);
		free(cause);
		job->error = 1;
		return (0);
	}
	if (seen) {
		job->duplicates++;
		return (0);
	}
	if (!push_resolve(q, m, ev)) {
		bbmirrord_debug("push: %s: %s of %s build %" PRId64 ": the "
		    "build's start is unknown (its buildStarted was lost): "
		    "skipped", m->name, ev->name, ev->builder, ev->number);
		job->applied++;
		return (0);
	}
	ev->seq = ++m->seq;
	r = writer_apply_event(srv, m->id, m->name, ev);
	if (!live_in_batch(srv->live)) {
		push_committed(srv, 0);
		return (-1);
	}
	if (r == LIVE_FAILED) {
		job->failed++;
		return (0);
	}
	job->applied++;
	if (r != LIVE_APPLIED)
		return (0);
	push_state_update(q->state, m->id, ev, p->basedir);
	if (srv->opts->master_basedir != NULL &&
	    (ev->type == EVENT_STEP_FINISHED ||
	    ev->type == EVENT_BUILD_FINISHED))
		push_logs(q, m, ev);
	return (0);
}

/* Applies a job's packets; it is answered once their batch commits. */
static void
push_apply(struct push_queue *q, struct push_job *job)
{
	struct server	*srv = q->srv;
	size_t		 i;

	if (writer_batch(srv) != 0) {
		pthread_mutex_lock(&q->mtx);
		push_finish_locked(q, job, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the database cannot begin a transaction");
		pthread_mutex_unlock(&q->mtx);
		return;
	}
	pthread_mutex_lock(&q->mtx);
	TAILQ_REMOVE(&q->queued, job, entry);
	TAILQ_INSERT_TAIL(&q->applied, job, entry);
	job->where = PUSH_APPLIED;
	pthread_mutex_unlock(&q->mtx);
	for (i = 0; i < job->req.npackets && !job->error; i++) {
		if (push_packet(q, job, &job->req.packets[i]) != 0)
			return;
	}
	writer_check(srv);
}

static void
push_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct push_queue	*q = w->data;
	struct push_job		*job;

	for (;;) {
		pthread_mutex_lock(&q->mtx);
		job = TAILQ_FIRST(&q->queued);
		pthread_mutex_unlock(&q->mtx);
		if (job == NULL)
			break;
		push_apply(q, job);
	}
}

void
push_init(struct server *srv)
{
	struct push_queue	*q;

	q = xcalloc(1, sizeof *q);
	q->srv = srv;
	pthread_mutex_init(&q->mtx, NULL);
	TAILQ_INIT(&q->queued);
	TAILQ_INIT(&q->applied);
	TAILQ_INIT(&q->masters);
	q->state = push_state_new();
	q->buffer = xmalloc(PUSH_READ_SIZE);
	ev_async_init(&q->async, push_async_cb);
	q->async.data = q;
	ev_async_start(srv->loop, &q->async);
	srv->push = q;
}

/*
 * Answers every push 503 and refuses new ones. Called by http_stop while
 * libmicrohttpd still runs (it must not stop with suspended connections)
 * and by main once it has stopped: that second call frees the queue.
 */
void
push_shutdown(struct server *srv)
{
	struct push_queue	*q = srv->push;
	struct push_job		*job;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mtx);
	q->stopping = 1;
	while ((job = TAILQ_FIRST(&q->applied)) != NULL)
		push_finish_locked(q, job, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the server is shutting down");
	while ((job = TAILQ_FIRST(&q->queued)) != NULL)
		push_finish_locked(q, job, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the server is shutting down");
	pthread_mutex_unlock(&q->mtx);
	if (srv->http != NULL)
		return;
	ev_async_stop(srv->loop, &q->async);
	push_masters_clear(q);
	push_state_free(q->state);
	free(q->buffer);
	pthread_mutex_destroy(&q->mtx);
	free(q);
	srv->push = NULL;
}
