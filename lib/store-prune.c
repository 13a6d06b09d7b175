/*
 * store-prune.c: what the pruner (prune.h) reads and changes in both of
 * bbmirror's stores: the database, through statements of its own on the
 * store's write connection, and the log store's disk (its usage, the size
 * of a key, removing a key and the blocks it shared).
 *
 * The database side: statements of its own (prepared on first use, kept
 * until store_prune_free), in SQL that SQLite and PostgreSQL both accept:
 * $n placeholders, CAST for every placeholder whose type the query does
 * not tell, CASE instead of a boolean column, row values for a bounded
 * DELETE.
 *
 * The walks go over builds by (finished_at, id), which the index
 * builds_finished_at gives in order (SQLite keeps the row id in every
 * index entry). A window query reads index entries only; a log query then
 * joins the steps and logs of the builds of one window, so no query looks
 * at more than a window of builds however much history has already been
 * pruned.
 */
#include "config.h"
#include "prune.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-int.h"

/* Depth of the log store's directories: packs/ and the key prefixes. */
#define PRUNE_DU_DEPTH		4

enum store_prune_sql {
	SP_GARBAGE,
	SP_GARBAGE_FORGET,
	SP_GARBAGE_EACH,
	SP_WINDOW,
	SP_AGED,
	SP_OLDEST,
	SP_TOMBSTONE,
	SP_PUSH,
	SP_MAX_ID,
	SP_NEW_MIN,
	SP_COUNT
};

/* The builds of one window: after ($1, $2), up to ($3, $4) inclusive. */
#define SP_IN_WINDOW							\
	"b.finished_at >= $1 AND (b.finished_at > $1 OR b.id > $2) "	\
	"AND b.finished_at <= $3 AND (b.finished_at < $3 OR b.id <= $4) "
/* A value per class of build (result 0..6, else), from $5 to $12. */
#define SP_BY_CLASS(type)						\
	"(CASE b.results WHEN 0 THEN CAST($5 AS " type ") "		\
	"WHEN 1 THEN CAST($6 AS " type ") WHEN 2 THEN CAST($7 AS " type ") " \
	"WHEN 3 THEN CAST($8 AS " type ") WHEN 4 THEN CAST($9 AS " type ") " \
	"WHEN 5 THEN CAST($10 AS " type ") "				\
	"WHEN 6 THEN CAST($11 AS " type ") "				\
	"ELSE CAST($12 AS " type ") END)"
/* Stored logs of those builds that no live writer holds. */
#define SP_LOGS_SELECT							\
	"SELECT l.id, l.store_key, b.finished_at, b.id FROM builds b "	\
	"JOIN steps s ON s.build_id = b.id "				\
	"JOIN logs l ON l.step_id = s.id WHERE "
#define SP_LOGS_TAIL							\
	"AND l.state = 'stored' AND l.store_key IS NOT NULL "		\
	"AND NOT EXISTS (SELECT 1 FROM live_logs ll "			\
	"WHERE ll.log_id = l.id) "					\
	"ORDER BY b.finished_at, b.id, l.id LIMIT $14"

static const struct store_prune_def {
	const char	*table;
	const char	*action;
	const char	*sql;
} store_prune_defs[SP_COUNT] = {
	[SP_GARBAGE] = { "log_garbage", "select",
	    "SELECT g.store_key, CASE WHEN EXISTS (SELECT 1 FROM logs l "
	    "WHERE l.store_key = g.store_key) THEN 1 ELSE 0 END "
	    "FROM log_garbage g WHERE g.store_key > $1 AND g.since < $2 "
	    "ORDER BY g.store_key LIMIT $3" },
	[SP_GARBAGE_FORGET] = { "log_garbage", "delete",
	    "DELETE FROM log_garbage WHERE store_key = $1" },
	[SP_GARBAGE_EACH] = { "log_garbage", "select",
	    "SELECT store_key FROM log_garbage" },
	[SP_WINDOW] = { "builds", "select window",
	    "SELECT b.finished_at, b.id FROM builds b "
	    "WHERE b.finished_at >= $1 AND (b.finished_at > $1 OR b.id > $2) "
	    "AND b.finished_at < $3 "
	    "ORDER BY b.finished_at, b.id LIMIT 1 OFFSET $4" },
	[SP_AGED] = { "logs", "select by age",
	    SP_LOGS_SELECT SP_IN_WINDOW
	    "AND " SP_BY_CLASS("BIGINT") " = $13 "
	    SP_LOGS_TAIL },
	[SP_OLDEST] = { "logs", "select by size",
	    SP_LOGS_SELECT SP_IN_WINDOW
	    "AND (CASE WHEN b.finished_at < " SP_BY_CLASS("DOUBLE PRECISION")
	    " THEN 0 ELSE 1 END) = $13 "
	    SP_LOGS_TAIL },
	/* The trigger logs_key_replaced files the key as garbage. */
	[SP_TOMBSTONE] = { "logs", "prune",
	    "UPDATE logs SET state = 'pruned', pruned_at = $3, "
	    "store_key = NULL WHERE id = $1 AND store_key = $2 "
	    "AND state = 'stored' RETURNING id" },
	[SP_PUSH] = { "push_packets", "delete",
	    "DELETE FROM push_packets WHERE received_at < $1 "
	    "AND (master_id, digest) IN (SELECT master_id, digest "
	    "FROM push_packets WHERE received_at < $1 "
	    "ORDER BY received_at LIMIT $2) RETURNING master_id" },
	[SP_MAX_ID] = { "builds", "select max(id)",
	    "SELECT COALESCE(max(id), 0) FROM builds" },
	/*
	 * "+ 0": min() over the last rows by id (a range of the primary
	 * key), not a walk of builds_finished_at from its first entry.
	 */
	[SP_NEW_MIN] = { "builds", "select new",
	    "SELECT min(finished_at + 0) FROM builds WHERE id > $1 "
	    "AND updated_at >= $2" },
};

struct store_prune {
	struct store		*s;
	struct store_stmt	*st[SP_COUNT];
};

struct store_prune *
store_prune_new(struct store *s)
{
	struct store_prune	*sp;

	sp = xcalloc(1, sizeof *sp);
	sp->s = s;
	return (sp);
}

void
store_prune_free(struct store_prune *sp)
{
	size_t	 i;

	if (sp == NULL)
		return;
	for (i = 0; i < SP_COUNT; i++) {
		if (sp->st[i] != NULL)
			sp->s->be->finalize(sp->st[i]);
	}
	free(sp);
}

void
prune_items_free(struct prune_item *items, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(items[i].key);
	free(items);
}

/* Statement q, prepared on first use; NULL with *cause if refused. */
static struct store_stmt *
store_prune_stmt(struct store_prune *sp, enum store_prune_sql q,
    char **cause)
{
	const struct store_prune_def	*def = &store_prune_defs[q];
	char				*error;

	if (sp->st[q] != NULL)
		return (sp->st[q]);
	sp->st[q] = sp->s->be->prepare(sp->s->conn, def->sql, &error);
	if (sp->st[q] == NULL) {
		xasprintf(cause, "store: %s: preparing %s: %s", def->table,
		    def->action, error);
		free(error);
	}
	return (sp->st[q]);
}

/* Reports the failure of statement q and resets it; returns -1. */
static int
store_prune_fail(struct store_prune *sp, enum store_prune_sql q,
    char **cause)
{
	const struct store_prune_def	*def = &store_prune_defs[q];

	xasprintf(cause, "store: %s: %s: %s", def->table, def->action,
	    sp->s->be->stmt_errmsg(sp->st[q]));
	sp->s->be->reset(sp->st[q]);
	return (-1);
}

/* Runs statement q to its end; *n (if not NULL) gets its row count. */
static int
store_prune_run(struct store_prune *sp, enum store_prune_sql q,
    uint64_t *n, char **cause)
{
	enum store_step	 rc;
	uint64_t	 rows = 0;

	while ((rc = sp->s->be->step(sp->st[q])) == STORE_STEP_ROW)
		rows++;
	if (rc == STORE_STEP_ERR)
		return (store_prune_fail(sp, q, cause));
	sp->s->be->reset(sp->st[q]);
	if (n != NULL)
		*n = rows;
	return (0);
}

int
store_prune_garbage(struct store_prune *sp, const char *after,
    double before, size_t max, struct prune_item **items, size_t *n,
    char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st;
	struct prune_item		*it;
	enum store_step			 rc = STORE_STEP_DONE;
	const char			*key;

	*items = NULL;
	*n = 0;
	if ((st = store_prune_stmt(sp, SP_GARBAGE, cause)) == NULL)
		return (-1);
	be->bind_text(st, 1, after);
	be->bind_double(st, 2, before);
	be->bind_int64(st, 3, (int64_t)max);
	*items = xcalloc(max == 0 ? 1 : max, sizeof **items);
	while (*n < max && (rc = be->step(st)) == STORE_STEP_ROW) {
		if ((key = be->column_text(st, 0)) == NULL)
			continue;
		it = &(*items)[(*n)++];
		it->key = xstrdup(key);
		it->referenced = be->column_int64(st, 1) != 0;
	}
	if (*n < max && rc == STORE_STEP_ERR) {
		prune_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return (store_prune_fail(sp, SP_GARBAGE, cause));
	}
	be->reset(st);
	return (0);
}

int
store_prune_garbage_forget(struct store_prune *sp, const char *key,
    char **cause)
{
	struct store_stmt	*st;

	if ((st = store_prune_stmt(sp, SP_GARBAGE_FORGET, cause)) == NULL)
		return (-1);
	sp->s->be->bind_text(st, 1, key);
	return (store_prune_run(sp, SP_GARBAGE_FORGET, NULL, cause));
}

int
store_prune_garbage_each(struct store_prune *sp,
    int (*fn)(const char *, void *), void *arg, char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st;
	enum store_step			 rc = STORE_STEP_DONE;
	const char			*key;

	if ((st = store_prune_stmt(sp, SP_GARBAGE_EACH, cause)) == NULL)
		return (-1);
	while ((rc = be->step(st)) == STORE_STEP_ROW) {
		key = be->column_text(st, 0);
		if (key != NULL && fn(key, arg) != 0)
			break;
	}
	if (rc == STORE_STEP_ERR)
		return (store_prune_fail(sp, SP_GARBAGE_EACH, cause));
	be->reset(st);
	return (0);
}

int
store_prune_window(struct store_prune *sp, const struct prune_pos *lo,
    double below, size_t n, struct prune_pos *hi, int *found, char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st;
	enum store_step			 rc = STORE_STEP_DONE;

	*found = 0;
	if (n == 0)
		n = 1;
	if ((st = store_prune_stmt(sp, SP_WINDOW, cause)) == NULL)
		return (-1);
	be->bind_double(st, 1, lo->t);
	be->bind_int64(st, 2, lo->id);
	be->bind_double(st, 3, below);
	be->bind_int64(st, 4, (int64_t)n - 1);
	rc = be->step(st);
	if (rc == STORE_STEP_ERR)
		return (store_prune_fail(sp, SP_WINDOW, cause));
	if (rc == STORE_STEP_ROW) {
		*found = 1;
		hi->t = be->column_double(st, 0);
		hi->id = be->column_int64(st, 1);
	}
	be->reset(st);
	return (0);
}

/* Binds a window's bounds ($1 to $4) and the limit ($14). */
static void
store_prune_bind_window(struct store_prune *sp, struct store_stmt *st,
    const struct prune_pos *lo, const struct prune_pos *hi, size_t max)
{
	const struct store_backend	*be = sp->s->be;

	be->bind_double(st, 1, lo->t);
	be->bind_int64(st, 2, lo->id);
	be->bind_double(st, 3, hi->t);
	be->bind_int64(st, 4, hi->id);
	be->bind_int64(st, 14, (int64_t)max);
}

/* Reads the rows of a log query (SP_AGED, SP_OLDEST) into *items. */
static int
store_prune_logs(struct store_prune *sp, enum store_prune_sql q,
    size_t max, struct prune_item **items, size_t *n, char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st = sp->st[q];
	struct prune_item		*it;
	enum store_step			 rc = STORE_STEP_DONE;
	const char			*key;

	*items = xcalloc(max == 0 ? 1 : max, sizeof **items);
	*n = 0;
	while (*n < max && (rc = be->step(st)) == STORE_STEP_ROW) {
		if ((key = be->column_text(st, 1)) == NULL)
			continue;
		it = &(*items)[(*n)++];
		it->id = be->column_int64(st, 0);
		it->key = xstrdup(key);
		it->pos.t = be->column_double(st, 2);
		it->pos.id = be->column_int64(st, 3);
	}
	if (*n < max && rc == STORE_STEP_ERR) {
		prune_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return (store_prune_fail(sp, q, cause));
	}
	be->reset(st);
	return (0);
}

int
store_prune_aged(struct store_prune *sp, const struct prune_pos *lo,
    const struct prune_pos *hi, const int64_t groups[PRUNE_NCLASSES],
    int64_t group, size_t max, struct prune_item **items, size_t *n,
    char **cause)
{
	struct store_stmt	*st;
	int			 i;

	*items = NULL;
	*n = 0;
	if ((st = store_prune_stmt(sp, SP_AGED, cause)) == NULL)
		return (-1);
	store_prune_bind_window(sp, st, lo, hi, max);
	for (i = 0; i < PRUNE_NCLASSES; i++)
		sp->s->be->bind_int64(st, 5 + i, groups[i]);
	sp->s->be->bind_int64(st, 13, group);
	return (store_prune_logs(sp, SP_AGED, max, items, n, cause));
}

int
store_prune_oldest(struct store_prune *sp, const struct prune_pos *lo,
    const struct prune_pos *hi, const double protect[PRUNE_NCLASSES],
    int kept, size_t max, struct prune_item **items, size_t *n,
    char **cause)
{
	struct store_stmt	*st;
	int			 i;

	*items = NULL;
	*n = 0;
	if ((st = store_prune_stmt(sp, SP_OLDEST, cause)) == NULL)
		return (-1);
	store_prune_bind_window(sp, st, lo, hi, max);
	for (i = 0; i < PRUNE_NCLASSES; i++)
		sp->s->be->bind_double(st, 5 + i, protect[i]);
	sp->s->be->bind_int64(st, 13, kept ? 1 : 0);
	return (store_prune_logs(sp, SP_OLDEST, max, items, n, cause));
}

int
store_prune_tombstone(struct store_prune *sp, int64_t id, const char *key,
    double at, int *done, char **cause)
{
	struct store_stmt	*st;
	uint64_t		 n;

	*done = 0;
	if ((st = store_prune_stmt(sp, SP_TOMBSTONE, cause)) == NULL)
		return (-1);
	sp->s->be->bind_int64(st, 1, id);
	sp->s->be->bind_text(st, 2, key);
	sp->s->be->bind_double(st, 3, at);
	if (store_prune_run(sp, SP_TOMBSTONE, &n, cause) != 0)
		return (-1);
	*done = (n != 0);
	return (0);
}

int
store_prune_push(struct store_prune *sp, double before, size_t max,
    uint64_t *n, char **cause)
{
	struct store_stmt	*st;

	*n = 0;
	if ((st = store_prune_stmt(sp, SP_PUSH, cause)) == NULL)
		return (-1);
	sp->s->be->bind_double(st, 1, before);
	sp->s->be->bind_int64(st, 2, (int64_t)max);
	return (store_prune_run(sp, SP_PUSH, n, cause));
}

int
store_prune_max_id(struct store_prune *sp, int64_t *id, char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st;
	enum store_step			 rc;

	*id = 0;
	if ((st = store_prune_stmt(sp, SP_MAX_ID, cause)) == NULL)
		return (-1);
	if ((rc = be->step(st)) == STORE_STEP_ERR)
		return (store_prune_fail(sp, SP_MAX_ID, cause));
	if (rc == STORE_STEP_ROW)
		*id = be->column_int64(st, 0);
	be->reset(st);
	return (0);
}

int
store_prune_new_min(struct store_prune *sp, int64_t after, double since,
    double *t, int *found, char **cause)
{
	const struct store_backend	*be = sp->s->be;
	struct store_stmt		*st;
	enum store_step			 rc;

	*found = 0;
	if ((st = store_prune_stmt(sp, SP_NEW_MIN, cause)) == NULL)
		return (-1);
	be->bind_int64(st, 1, after);
	be->bind_double(st, 2, since);
	if ((rc = be->step(st)) == STORE_STEP_ERR)
		return (store_prune_fail(sp, SP_NEW_MIN, cause));
	if (rc == STORE_STEP_ROW && !be->column_is_null(st, 0)) {
		*found = 1;
		*t = be->column_double(st, 0);
	}
	be->reset(st);
	return (0);
}

/* --- the log store's disk ------------------------------------------------- */

/* Adds the blocks of the regular files under directory fd (path). */
static int
prune_du(int fd, const char *path, int depth, uint64_t *total, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*sub;
	int		 cfd, rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)	/* renamed or removed */
				continue;
			xasprintf(cause, "%s/%s: %s", path, de->d_name,
			    strerror(errno));
			rc = -1;
		} else if (S_ISREG(sb.st_mode))
			*total += (uint64_t)sb.st_blocks * 512;
		else if (S_ISDIR(sb.st_mode) && depth > 1) {
			xasprintf(&sub, "%s/%s", path, de->d_name);
			cfd = openat(dirfd(d), de->d_name,
			    O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
			if (cfd == -1) {
				if (errno != ENOENT) {
					xasprintf(cause, "%s: %s", sub,
					    strerror(errno));
					rc = -1;
				}
			} else
				rc = prune_du(cfd, sub, depth - 1, total,
				    cause);
			free(sub);
		}
	}
	closedir(d);
	return (rc);
}

int
prune_disk_usage(const char *dir, uint64_t *bytes, char **cause)
{
	int	 fd;

	*bytes = 0;
	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return (-1);
	}
	return (prune_du(fd, dir, PRUNE_DU_DEPTH, bytes, cause));
}

uint64_t
prune_key_size(struct logstore *ls, const char *key)
{
	const char	*p;
	char		*end, *cause = NULL;
	uint64_t	 v;
	int64_t		 size;

	if (!logstore_key_valid(key))
		return (0);
	if (strncmp(key, "p/", 2) == 0) {
		/* "p/<name>/<offset>-<length>" */
		if ((p = strrchr(key, '-')) == NULL)
			return (0);
		errno = 0;
		v = strtoull(p + 1, &end, 10);
		return ((errno != 0 || *end != '\0') ? 0 : v);
	}
	if (logstore_stat(ls, key, &size, &cause) != 1 || size < 0) {
		free(cause);
		return (0);
	}
	return ((uint64_t)size);
}

/*
 * After a packed log's range was punched out of its pack: the file-system
 * blocks at the range's two ends, which it shares with its neighbours,
 * are punched out too once every byte in them is zero (the neighbours
 * went as well); without this, packs of logs smaller than a block would
 * never shrink. Punching a block of zeros leaves the pack's content as it
 * was, whoever else uses the block. A writer appending to the pack only
 * writes at or after the end of the last log it committed (this one
 * included), starting with a frame's magic number, so a block it writes
 * into is either not all zero or not yet wholly inside the file; such
 * blocks are left alone.
 */
static void
prune_punch_edges(struct logstore *ls, const char *key)
{
	const char	*slash, *dash;
	char		*name, *path, *buf, *end;
	uint64_t	 off, len, at[2];
	struct stat	 sb;
	size_t		 bs, i, j;
	int		 fd;

	if (!logstore_key_valid(key) || strncmp(key, "p/", 2) != 0 ||
	    (slash = strchr(key + 2, '/')) == NULL ||
	    (dash = strchr(slash, '-')) == NULL)
		return;
	off = strtoull(slash + 1, &end, 10);
	len = strtoull(dash + 1, &end, 10);
	name = xstrndup(key + 2, (size_t)(slash - key - 2));
	xasprintf(&path, "%s/packs/%s.pack", logstore_dir(ls), name);
	free(name);
	fd = open(path, O_RDWR|O_CLOEXEC|O_NONBLOCK);
	free(path);
	if (fd == -1)
		return;
	bs = 4096;
	if (fstat(fd, &sb) == 0 && sb.st_blksize >= 512 &&
	    sb.st_blksize <= (1 << 20))
		bs = (size_t)sb.st_blksize;
	buf = xmalloc(bs);
	at[0] = off / bs * bs;
	at[1] = (off + len - 1) / bs * bs;
	for (i = 0; i < 2 && len != 0; i++) {
		if (i == 1 && at[1] == at[0])
			break;
		if (pread(fd, buf, bs, (off_t)at[i]) != (ssize_t)bs)
			continue;
		for (j = 0; j < bs && buf[j] == 0; j++)
			;
		if (j == bs)
			(void)fallocate(fd, FALLOC_FL_PUNCH_HOLE|
			    FALLOC_FL_KEEP_SIZE, (off_t)at[i], (off_t)bs);
	}
	free(buf);
	close(fd);
}

int
prune_remove(struct logstore *ls, const char *key, uint64_t *size,
    char **cause)
{
	*size = prune_key_size(ls, key);
	if (logstore_remove(ls, key, cause) != 0)
		return (-1);
	if (strncmp(key, "p/", 2) == 0)
		prune_punch_edges(ls, key);
	return (0);
}
