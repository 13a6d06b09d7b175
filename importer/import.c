/*
 * import.c: importing one master base directory: the scan, the builders,
 * planning what changed, changes.pck and state.sqlite. The build pipeline
 * (workers and the writer) is in import-build.c.
 *
 * Three phases. The scan (main thread) finds builder directories by their
 * content, stores each builder, and lists the build pickles whose size or
 * mtime changed since the last run. Workers then decode those pickles,
 * normalise them (lib/legacy.c) and stream every log into the log store;
 * they never touch the database. The main thread is the only writer: it
 * takes finished builds in order and stores each in its own transaction,
 * together with the file's new import state, so a build is either fully
 * there or not at all. Last come changes.pck and state.sqlite.
 */
#include "config.h"
#include "importer.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "legacy.h"
#include "logfile.h"
#include "logstore.h"
#include "pickle.h"
#include "store.h"

static int
import_is_number(const char *s)
{
	if (*s == '\0' || strlen(s) > 18)
		return (0);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (0);
	}
	return (1);
}

/* Whether name is "<N>-log-..."; *n gets N. */
static int
import_is_logfile(const char *name, uint64_t *n)
{
	const char	*p;

	for (p = name; *p >= '0' && *p <= '9'; p++)
		;
	if (p == name || p - name > 18 || strncmp(p, "-log-", 5) != 0)
		return (0);
	*n = strtoull(name, NULL, 10);
	return (1);
}

static int
import_cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return ((x > y) - (x < y));
}

static void
import_push_u64(uint64_t **v, size_t *n, uint64_t x)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = x;
}

/* Directories of a master that never hold builder status. */
static int
import_skip_dir(const char *name, int depth)
{
	if (name[0] == '.')
		return (1);
	if (depth == 0 && (strcmp(name, "public_html") == 0 ||
	    strcmp(name, "templates") == 0 ||
	    strncmp(name, "events_", 7) == 0))
		return (1);
	return (0);
}

/*
 * Walks dir (rel to the basedir) looking for builder directories: those
 * holding a `builder` pickle, build pickles or log files (spec 1.2: the
 * directory name is not stored anywhere, so content decides).
 */
static void
import_scan(struct import_ctx *ctx, const char *path, const char *rel,
    int depth)
{
	struct import_dir	 d;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*dp;
	char			*child, *childrel, **subdirs = NULL;
	size_t			 nsubdirs = 0, i;
	uint64_t		 n;

	if ((dp = opendir(path)) == NULL) {
		progress_warn("%s: %s (skipped)", path, strerror(errno));
		ctx->totals->warnings++;
		return;
	}
	memset(&d, 0, sizeof d);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (lstat(child, &sb) != 0) {
			free(child);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (!import_skip_dir(de->d_name, depth) &&
			    depth + 1 < IMPORT_MAX_DEPTH) {
				subdirs = xreallocarray(subdirs, nsubdirs + 1,
				    sizeof *subdirs);
				subdirs[nsubdirs++] = xstrdup(de->d_name);
			}
		} else if (S_ISREG(sb.st_mode)) {
			if (depth > 0 && strcmp(de->d_name, "builder") == 0)
				d.has_builder = 1;
			else if (depth > 0 && import_is_number(de->d_name))
				import_push_u64(&d.numbers, &d.nnumbers,
				    strtoull(de->d_name, NULL, 10));
			else if (depth > 0 && import_is_logfile(de->d_name, &n))
				import_push_u64(&d.lognumbers, &d.nlognumbers,
				    n);
		}
		free(child);
	}
	closedir(dp);

	if (d.has_builder || d.nnumbers != 0 || d.nlognumbers != 0) {
		qsort(d.numbers, d.nnumbers, sizeof *d.numbers, import_cmp_u64);
		qsort(d.lognumbers, d.nlognumbers, sizeof *d.lognumbers,
		    import_cmp_u64);
		d.path = xstrdup(path);
		d.rel = xstrdup(rel);
		ctx->dirs = xreallocarray(ctx->dirs, ctx->ndirs + 1,
		    sizeof *ctx->dirs);
		ctx->dirs[ctx->ndirs++] = d;
	}
	for (i = 0; i < nsubdirs; i++) {
		xasprintf(&child, "%s/%s", path, subdirs[i]);
		if (*rel == '\0')
			childrel = xstrdup(subdirs[i]);
		else
			xasprintf(&childrel, "%s/%s", rel, subdirs[i]);
		import_scan(ctx, child, childrel, depth + 1);
		free(child);
		free(childrel);
		free(subdirs[i]);
	}
	free(subdirs);
}

/*
 * Reads and decodes one pickle file. Returns the document, or NULL with
 * *cause. If digest is not NULL it gets the content's hex digest.
 */
struct pickle *
import_load_pickle(const char *path, char digest[65], char **cause)
{
	struct pickle	*p;
	uint64_t	 h1, h2;
	char		*data;
	size_t		 len;

	if (read_file(path, IMPORT_MAX_PICKLE, &data, &len, cause) != 0)
		return (NULL);
	if (digest != NULL) {
		h1 = fnv1a64(FNV1A64_INIT, data, len);
		h2 = fnv1a64(0x84222325cbf29ce4ULL, data, len);
		snprintf(digest, 65, "%016" PRIx64 "%016" PRIx64, h1, h2);
	}
	p = pickle_load(data, len, path, NULL, cause);
	free(data);
	return (p);
}

/*
 * Names and stores the builder of a directory: from its `builder` pickle,
 * else from the buildername property of its newest build, else the
 * directory itself.
 */
static int
import_builder(struct import_ctx *ctx, struct import_dir *d, char **cause)
{
	struct bbm_builder	 b;
	struct bbm_build	 build;
	struct pickle		*p;
	char			*path, *why = NULL;
	size_t			 i;

	memset(&b, 0, sizeof b);
	if (d->has_builder) {
		xasprintf(&path, "%s/builder", d->path);
		if ((p = import_load_pickle(path, NULL, &why)) != NULL) {
			if (legacy_builder(p->root, &b, &why) != 0) {
				record_builder_free(&b);
				memset(&b, 0, sizeof b);
			}
			pickle_free(p);
		}
		if (why != NULL) {
			progress_warn("%s: %s (builder details skipped)",
			    path, why);
			ctx->totals->warnings++;
			free(why);
			why = NULL;
		}
		free(path);
	}
	for (i = d->nnumbers; b.name == NULL && i > 0; i--) {
		xasprintf(&path, "%s/%" PRIu64, d->path, d->numbers[i - 1]);
		if ((p = import_load_pickle(path, NULL, &why)) != NULL) {
			memset(&build, 0, sizeof build);
			if (legacy_build(p->root, &build, &why) == 0 &&
			    build.builder_name != NULL) {
				b.name = build.builder_name;
				build.builder_name = NULL;
			}
			record_build_free(&build);
			pickle_free(p);
		}
		free(why);
		why = NULL;
		free(path);
		if (b.name == NULL && d->nnumbers - i >= 3)
			break;
	}
	if (b.name == NULL)
		b.name = xstrdup(d->rel);
	free(b.builddir);
	b.builddir = xstrdup(d->rel);
	d->builder_name = xstrdup(b.name);

	if (store_begin(ctx->store, cause) != 0 ||
	    store_builder(ctx->store, ctx->master_id, &b, BBM_ORIGIN_IMPORT,
	    &d->builder_id, cause) != 0 ||
	    store_commit(ctx->store, cause) != 0) {
		store_rollback(ctx->store);
		record_builder_free(&b);
		return (-1);
	}
	record_builder_free(&b);
	ctx->totals->builders++;
	return (0);
}

/* Lists the build pickles of a directory that need (re)importing. */
static int
import_plan_dir(struct import_ctx *ctx, struct import_dir *d, char **cause)
{
	struct store_file_state	 old;
	struct import_job	*job;
	struct stat		 sb;
	char			*path, *rel;
	size_t			 i, j;
	int			 found;

	for (i = 0; i < d->nnumbers; i++) {
		xasprintf(&path, "%s/%" PRIu64, d->path, d->numbers[i]);
		if (*d->rel == '\0')
			xasprintf(&rel, "%" PRIu64, d->numbers[i]);
		else
			xasprintf(&rel, "%s/%" PRIu64, d->rel, d->numbers[i]);
		if (stat(path, &sb) != 0) {
			free(path);
			free(rel);
			continue;
		}
		if (store_file_get(ctx->store, ctx->master_id, rel, &old,
		    &found, cause) != 0) {
			free(path);
			free(rel);
			return (-1);
		}
		if (found && old.size == (int64_t)sb.st_size &&
		    old.mtime_ns == (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec) {
			ctx->totals->unchanged++;
			free(path);
			free(rel);
			continue;
		}
		ctx->jobs = xreallocarray(ctx->jobs, ctx->njobs + 1,
		    sizeof *ctx->jobs);
		job = &ctx->jobs[ctx->njobs++];
		memset(job, 0, sizeof *job);
		job->dir = d;
		job->number = (int64_t)d->numbers[i];
		job->path = path;
		job->rel = rel;
		job->state.size = (int64_t)sb.st_size;
		job->state.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec;
		job->state.build_id = found ? old.build_id : 0;
		job->known = found;
		if (found)
			memcpy(job->old_digest, old.digest, sizeof old.digest);
	}
	/* Log files whose build has no pickle: running, or a crash. */
	for (i = j = 0; i < d->nlognumbers; i++) {
		if (i > 0 && d->lognumbers[i] == d->lognumbers[i - 1])
			continue;
		while (j < d->nnumbers && d->numbers[j] < d->lognumbers[i])
			j++;
		if (j == d->nnumbers || d->numbers[j] != d->lognumbers[i])
			ctx->totals->running++;
	}
	return (0);
}

/* Stores an array of changes, IMPORT_BATCH per transaction. */
static int
import_store_changes(struct import_ctx *ctx, struct bbm_change *c, size_t n,
    char **cause)
{
	int64_t	 id;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i % IMPORT_BATCH == 0 && store_begin(ctx->store, cause) != 0)
			return (-1);
		if (store_change(ctx->store, ctx->master_id, &c[i],
		    BBM_ORIGIN_IMPORT, &id, cause) != 0) {
			store_rollback(ctx->store);
			return (-1);
		}
		if ((i + 1 == n || (i + 1) % IMPORT_BATCH == 0) &&
		    store_commit(ctx->store, cause) != 0) {
			store_rollback(ctx->store);
			return (-1);
		}
	}
	ctx->totals->changes += n;
	return (0);
}

/* Whether a top-level file changed since the last run; *st gets its state. */
static int
import_file_changed(struct import_ctx *ctx, const char *rel,
    struct store_file_state *st, char **cause)
{
	struct store_file_state	 old;
	struct stat		 sb;
	char			*path;
	int			 found;

	xasprintf(&path, "%s/%s", ctx->basedir, rel);
	if (stat(path, &sb) != 0) {
		free(path);
		return (0);
	}
	free(path);
	memset(st, 0, sizeof *st);
	st->size = (int64_t)sb.st_size;
	st->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	if (store_file_get(ctx->store, ctx->master_id, rel, &old, &found,
	    cause) != 0)
		return (-1);
	if (found && old.size == st->size && old.mtime_ns == st->mtime_ns) {
		return (0);
	}
	return (1);
}

static int
import_mark_file(struct import_ctx *ctx, const char *rel,
    const struct store_file_state *st, char **cause)
{
	if (store_begin(ctx->store, cause) != 0 ||
	    store_file_put(ctx->store, ctx->master_id, rel, st, cause) != 0 ||
	    store_commit(ctx->store, cause) != 0) {
		store_rollback(ctx->store);
		return (-1);
	}
	return (0);
}

/* changes.pck (0.7) and changes.pck.old (what 0.8's upgrade left). */
static int
import_changes_pck(struct import_ctx *ctx, const char *rel, char **cause)
{
	struct store_file_state	 st;
	struct bbm_change	*changes = NULL;
	struct pickle		*p;
	char			*path, *why = NULL;
	size_t			 n = 0, i;
	int			 r;

	if ((r = import_file_changed(ctx, rel, &st, cause)) <= 0)
		return (r);
	xasprintf(&path, "%s/%s", ctx->basedir, rel);
	p = import_load_pickle(path, st.digest, &why);
	if (p != NULL && legacy_changemaster(p->root, &changes, &n, &why) != 0)
		n = 0;
	if (p != NULL)
		pickle_free(p);
	if (why != NULL) {
		progress_warn("%s: %s (changes skipped)", path, why);
		ctx->totals->failed++;
		free(why);
		free(path);
		for (i = 0; i < n; i++)
			record_change_free(&changes[i]);
		free(changes);
		return (0);
	}
	free(path);
	r = import_store_changes(ctx, changes, n, cause);
	for (i = 0; i < n; i++)
		record_change_free(&changes[i]);
	free(changes);
	if (r != 0)
		return (-1);
	return (import_mark_file(ctx, rel, &st, cause));
}

/* The history tables of a 0.8 master's state.sqlite. */
static int
import_statedb(struct import_ctx *ctx, char **cause)
{
	struct store_file_state	 st;
	struct statedb		*db;
	struct bbm_change	 c;
	struct bbm_buildset	 bs;
	struct bbm_buildrequest	 br;
	char			*path, *why = NULL;
	int64_t			 id;
	size_t			 n;
	int			 r;

	if ((r = import_file_changed(ctx, "state.sqlite", &st, cause)) <= 0)
		return (r);
	xasprintf(&path, "%s/state.sqlite", ctx->basedir);
	db = statedb_open(path, &why);
	free(path);
	if (db == NULL) {
		if (why != NULL) {
			progress_warn("%s (state.sqlite skipped)", why);
			ctx->totals->failed++;
			free(why);
		}
		return (0);
	}
	if (store_begin(ctx->store, cause) != 0)
		goto fail;
	n = 0;
	while ((r = statedb_next_change(db, &c, &why)) == 1) {
		r = store_change(ctx->store, ctx->master_id, &c,
		    BBM_ORIGIN_IMPORT, &id, cause);
		record_change_free(&c);
		if (r != 0)
			goto fail;
		ctx->totals->changes++;
		if (++n % IMPORT_BATCH == 0 && (store_commit(ctx->store,
		    cause) != 0 || store_begin(ctx->store, cause) != 0))
			goto fail;
	}
	if (r == -1)
		goto bad;
	while ((r = statedb_next_buildset(db, &bs, &why)) == 1) {
		r = store_buildset(ctx->store, ctx->master_id, &bs,
		    BBM_ORIGIN_IMPORT, &id, cause);
		record_buildset_free(&bs);
		if (r != 0)
			goto fail;
		if (++n % IMPORT_BATCH == 0 && (store_commit(ctx->store,
		    cause) != 0 || store_begin(ctx->store, cause) != 0))
			goto fail;
	}
	if (r == -1)
		goto bad;
	while ((r = statedb_next_buildrequest(db, &br, &why)) == 1) {
		r = store_buildrequest(ctx->store, ctx->master_id, &br,
		    BBM_ORIGIN_IMPORT, &id, cause);
		record_buildrequest_free(&br);
		if (r != 0)
			goto fail;
		ctx->totals->requests++;
		if (++n % IMPORT_BATCH == 0 && (store_commit(ctx->store,
		    cause) != 0 || store_begin(ctx->store, cause) != 0))
			goto fail;
	}
	if (r == -1)
		goto bad;
	if (store_file_put(ctx->store, ctx->master_id, "state.sqlite", &st,
	    cause) != 0 || store_commit(ctx->store, cause) != 0)
		goto fail;
	statedb_close(db);
	return (0);
bad:
	/* A bad row: what came before it stays, the rest is reported. */
	if (store_commit(ctx->store, cause) != 0) {
		store_rollback(ctx->store);
		statedb_close(db);
		free(why);
		return (-1);
	}
	progress_warn("%s (rest of state.sqlite skipped)", why);
	free(why);
	ctx->totals->failed++;
	statedb_close(db);
	return (0);
fail:
	store_rollback(ctx->store);
	statedb_close(db);
	return (-1);
}

static void
import_ctx_free(struct import_ctx *ctx)
{
	size_t	 i;

	for (i = 0; i < ctx->ndirs; i++) {
		free(ctx->dirs[i].path);
		free(ctx->dirs[i].rel);
		free(ctx->dirs[i].builder_name);
		free(ctx->dirs[i].numbers);
		free(ctx->dirs[i].lognumbers);
	}
	free(ctx->dirs);
	/* Jobs past ctx->written were never run (an early failure). */
	for (i = ctx->written; i < ctx->njobs; i++)
		import_job_free(&ctx->jobs[i]);
	free(ctx->jobs);
	pthread_mutex_destroy(&ctx->lock);
	pthread_cond_destroy(&ctx->cond);
}

int
import_master(const struct import_options *opts, const char *basedir,
    const char *master, struct import_totals *totals, char **cause)
{
	struct import_ctx	 ctx;
	struct stat		 sb;
	size_t			 i;
	int			 r = -1;

	if (stat(basedir, &sb) != 0) {
		xasprintf(cause, "%s: %s", basedir, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "%s: not a directory", basedir);
		return (-1);
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.opts = opts;
	ctx.basedir = basedir;
	ctx.master = master;
	ctx.totals = totals;
	pthread_mutex_init(&ctx.lock, NULL);
	pthread_cond_init(&ctx.cond, NULL);

	if ((ctx.store = store_open(opts->db, cause)) == NULL)
		goto out;
	if (store_begin(ctx.store, cause) != 0 ||
	    store_master(ctx.store, master, basedir, &ctx.master_id,
	    cause) != 0 || store_commit(ctx.store, cause) != 0) {
		store_rollback(ctx.store);
		goto out;
	}
	if (import_changes_pck(&ctx, "changes.pck", cause) != 0 ||
	    import_changes_pck(&ctx, "changes.pck.old", cause) != 0)
		goto out;

	import_scan(&ctx, basedir, "", 0);
	for (i = 0; i < ctx.ndirs; i++) {
		if (import_builder(&ctx, &ctx.dirs[i], cause) != 0 ||
		    import_plan_dir(&ctx, &ctx.dirs[i], cause) != 0)
			goto out;
	}
	import_run_jobs(&ctx);

	/* Requests link to builds, so they come after the builds. */
	if (import_statedb(&ctx, cause) != 0)
		goto out;
	r = 0;
out:
	if (ctx.store != NULL)
		store_close(ctx.store);
	import_ctx_free(&ctx);
	return (r);
}
