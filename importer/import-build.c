/*
 * import-build.c: the build pipeline of bbmirror-import. Worker threads
 * decode build pickles, normalise them and copy their logs into the log
 * store; they never touch the database. The main thread is the only writer:
 * it stores the finished builds in order, one savepoint each, several
 * builds to a commit.
 */
#include "config.h"
#include "importer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "logcopy.h"
#include "logstore.h"
#include "pickle.h"
#include "store.h"

/* Adds a formatted warning to a job (reported later by the writer). */
static void PRINTFLIKE(2, 3)
import_job_warn(struct import_job *job, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (buf_add(&job->warnings, s, strlen(s)) != 0 ||
	    buf_add(&job->warnings, "\n", 1) != 0) {
		/* The buffer is capped: further warnings are dropped. */
	}
	free(s);
}

/*
 * Copies one log's content into the log store (logcopy_log) and counts its
 * bytes. Problems are the job's warnings; a log the log store failed to
 * take is missing.
 */
static void
import_log(struct logstore *ls, struct import_job *job, struct bbm_log *log,
    char *buffer)
{
	char	*warning = NULL, *cause = NULL;

	if (logcopy_log(ls, job->dir->path, log, buffer, IMPORT_READ_SIZE,
	    &warning, &cause) != 0) {
		import_job_warn(job, "log store: %s", cause);
		free(cause);
		log->state = BBM_LOG_MISSING;
		return;
	}
	if (warning != NULL) {
		import_job_warn(job, "%s", warning);
		free(warning);
	}
	if (log->state == BBM_LOG_STORED)
		job->log_bytes += (uint64_t)log->stored_bytes;
}

/* Decodes one build pickle and stores its logs: the workers' unit. */
static void
import_decode(struct import_ctx *ctx, struct logstore *ls,
    struct import_job *job, char *buffer)
{
	struct pickle	*p;
	struct bbm_step	*step;
	char		*cause = NULL;
	size_t		 i, j;

	buf_init(&job->warnings, 64 * 1024);
	if ((p = import_load_pickle(job->path, job->state.digest,
	    &cause)) == NULL) {
		job->error = cause;
		return;
	}
	if (job->known && strcmp(job->state.digest, job->old_digest) == 0) {
		job->same = 1;
		pickle_free(p);
		return;
	}
	if (legacy_build(p->root, &job->build, &cause) != 0) {
		xasprintf(&job->error, "%s: %s", job->path, cause);
		free(cause);
		pickle_free(p);
		return;
	}
	pickle_free(p);
	if (job->build.number != job->number)
		import_job_warn(job, "%s: the pickle says build %" PRId64
		    " (kept under the file's number)", job->path,
		    job->build.number);
	job->build.number = job->number;
	free(job->build.builder_name);
	job->build.builder_name = xstrdup(job->dir->builder_name);
	for (i = 0; i < job->build.nsteps; i++) {
		step = &job->build.steps[i];
		for (j = 0; j < step->nlogs; j++)
			import_log(ls, job, &step->logs[j], buffer);
	}
}

/*
 * Flushes a worker's pack to disk before closing it, so the logs of an
 * import that finished are on disk, not only in the page cache.
 */
static void
import_logstore_close(struct logstore *ls)
{
	char	*cause;

	if (logstore_sync(ls, &cause) != 0) {
		log_warnx("log store: %s", cause);
		free(cause);
	}
	logstore_close(ls);
}

/* Worker thread: decodes jobs in order, at most IMPORT_WINDOW ahead. */
static void *
import_worker(void *arg)
{
	struct import_ctx	*ctx = arg;
	struct logstore		*ls;
	struct import_job	*job;
	char			*cause, *buffer;
	size_t			 i;

	buffer = xmalloc(IMPORT_READ_SIZE);
	if ((ls = logstore_open(ctx->opts->logstore, 1, &cause)) == NULL)
		fatalx("%s", cause);
	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		while (!ctx->stop && ctx->next < ctx->njobs &&
		    ctx->next >= ctx->written + IMPORT_WINDOW)
			pthread_cond_wait(&ctx->cond, &ctx->lock);
		if (ctx->stop || ctx->next >= ctx->njobs) {
			pthread_mutex_unlock(&ctx->lock);
			break;
		}
		i = ctx->next++;
		pthread_mutex_unlock(&ctx->lock);

		job = &ctx->jobs[i];
		import_decode(ctx, ls, job, buffer);

		pthread_mutex_lock(&ctx->lock);
		job->done = 1;
		pthread_cond_broadcast(&ctx->cond);
		pthread_mutex_unlock(&ctx->lock);
	}
	import_logstore_close(ls);
	free(buffer);
	return (NULL);
}

/* Prints a job's warnings, one per line. */
static void
import_report(struct import_ctx *ctx, struct import_job *job)
{
	char	*line, *next;

	if (job->warnings.len == 0)
		return;
	for (line = job->warnings.data; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		progress_warn("%s", line);
		ctx->totals->warnings++;
	}
}

/*
 * The writer's transaction: opened on demand, committed every
 * IMPORT_COMMIT_BUILDS builds and at the end of the run.
 */
static int
import_tx(struct import_ctx *ctx, char **cause)
{
	if (ctx->in_tx)
		return (0);
	if (store_begin(ctx->store, cause) != 0)
		return (-1);
	ctx->in_tx = 1;
	ctx->pending = 0;
	return (0);
}

static int
import_tx_commit(struct import_ctx *ctx, char **cause)
{
	if (!ctx->in_tx)
		return (0);
	ctx->in_tx = 0;
	ctx->pending = 0;
	return (store_commit(ctx->store, cause));
}

/*
 * Stores one decoded build as one unit: a savepoint inside the writer's
 * open transaction, so a failing build is undone alone while the commit is
 * shared by up to IMPORT_COMMIT_BUILDS builds (a commit per build would
 * cap SQLite at about a thousand builds a second).
 */
static void
import_store_job(struct import_ctx *ctx, struct import_job *job)
{
	struct import_totals	*t = ctx->totals;
	int64_t			 build_id = job->state.build_id;
	char			*cause = NULL;
	size_t			 i, j;

	import_report(ctx, job);
	if (job->error != NULL) {
		progress_warn("%s (build skipped)", job->error);
		t->failed++;
		return;
	}
	if (import_tx(ctx, &cause) != 0 ||
	    store_unit_begin(ctx->store, &cause) != 0)
		goto fail;
	if (!job->same && store_build(ctx->store, ctx->master_id,
	    job->dir->builder_id, &job->build, BBM_ORIGIN_IMPORT, &build_id,
	    &cause) != 0)
		goto abort;
	job->state.build_id = build_id;
	if (store_file_put(ctx->store, ctx->master_id, job->rel, &job->state,
	    &cause) != 0)
		goto abort;
	if (store_unit_end(ctx->store, &cause) != 0)
		goto abort;
	ctx->pending++;
	if (job->same) {
		t->unchanged++;
		return;
	}
	t->builds++;
	t->steps += job->build.nsteps;
	t->log_bytes += job->log_bytes;
	for (i = 0; i < job->build.nsteps; i++) {
		t->logs += job->build.steps[i].nlogs;
		for (j = 0; j < job->build.steps[i].nlogs; j++) {
			if (job->build.steps[i].logs[j].state ==
			    BBM_LOG_MISSING)
				t->logs_missing++;
		}
	}
	return;
abort:
	if (store_unit_abort(ctx->store) != 0) {
		/*
		 * The transaction itself is gone, with the builds stored in
		 * it since the last commit; their files still look new, so
		 * the next run imports them. Start a new transaction.
		 */
		store_rollback(ctx->store);
		progress_warn("the %zu builds stored since the last commit "
		    "were rolled back; the next run imports them",
		    ctx->pending);
		ctx->in_tx = 0;
		ctx->pending = 0;
	}
fail:
	progress_warn("%s: %s (build skipped)", job->path, cause);
	free(cause);
	t->failed++;
}

void
import_job_free(struct import_job *job)
{
	free(job->path);
	free(job->rel);
	free(job->error);
	buf_free(&job->warnings);
	record_build_free(&job->build);
}

/* Runs the jobs: workers decode, this thread stores in order. */
void
import_run_jobs(struct import_ctx *ctx)
{
	struct import_job	*job;
	pthread_t		*threads = NULL;
	struct logstore		*ls = NULL;
	char			*cause, *buffer = NULL;
	size_t			 i, nthreads;
	uint64_t		 log_bytes = 0;

	nthreads = (ctx->opts->jobs > 1) ? (size_t)ctx->opts->jobs : 0;
	if (nthreads > ctx->njobs)
		nthreads = ctx->njobs;
	progress_start(ctx->opts->progress, "builds", ctx->njobs);
	if (nthreads == 0) {
		buffer = xmalloc(IMPORT_READ_SIZE);
		if ((ls = logstore_open(ctx->opts->logstore, 1, &cause)) ==
		    NULL)
			fatalx("%s", cause);
	} else {
		threads = xcalloc(nthreads, sizeof *threads);
		for (i = 0; i < nthreads; i++) {
			if (pthread_create(&threads[i], NULL, import_worker,
			    ctx) != 0)
				fatalx("pthread_create failed");
		}
	}
	for (i = 0; i < ctx->njobs; i++) {
		job = &ctx->jobs[i];
		if (nthreads == 0)
			import_decode(ctx, ls, job, buffer);
		else {
			pthread_mutex_lock(&ctx->lock);
			while (!job->done)
				pthread_cond_wait(&ctx->cond, &ctx->lock);
			pthread_mutex_unlock(&ctx->lock);
		}
		import_store_job(ctx, job);
		if (ctx->pending >= IMPORT_COMMIT_BUILDS || i + 1 == ctx->njobs) {
			if (import_tx_commit(ctx, &cause) != 0) {
				progress_warn("commit: %s (the builds since the "
				    "last commit will be imported next run)",
				    cause);
				free(cause);
				ctx->totals->failed++;
			}
		}
		log_bytes += job->log_bytes;
		import_job_free(job);

		pthread_mutex_lock(&ctx->lock);
		ctx->written = i + 1;
		pthread_cond_broadcast(&ctx->cond);
		pthread_mutex_unlock(&ctx->lock);
		progress_update(i + 1, log_bytes);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (ls != NULL)
		import_logstore_close(ls);
	free(buffer);
	progress_end();
}

