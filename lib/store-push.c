/*
 * store-push.c: what the HttpStatusPush ingest asks of the store besides
 * the records (store.h, "the push path"): the packets already applied
 * (table push_packets), and looking up a build or builder by the names a
 * packet uses. Portable SQL, run on the write connection, so that it sees
 * the open batch.
 *
 * Each statement is prepared on first use and kept in the store
 * (push_stmts, finalized by store_close), as the store's own are: one
 * runs for every packet, and a statement prepared per call would cost
 * PostgreSQL a round trip (and a pause of the writer's pipeline) each
 * time and leave a prepared statement behind in the session.
 */
#include "config.h"
#include "store.h"
#include "store-int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum store_push_sql {
	STORE_PUSH_SEEN,
	STORE_PUSH_BUILD,
	STORE_PUSH_NEWEST,
	STORE_PUSH_BUILDDIR,
};

static const struct {
	const char	*what;
	const char	*sql;
} store_push_defs[STORE_PUSH_NSQL] = {
	[STORE_PUSH_SEEN] = { "push_packets",
	    "INSERT INTO push_packets (master_id, digest, received_at) "
	    "VALUES ($1, $2, $3) ON CONFLICT (master_id, digest) DO NOTHING "
	    "RETURNING master_id" },
	[STORE_PUSH_BUILD] = { "builds",
	    "SELECT b.id, b.started_at FROM builds b "
	    "JOIN builders bl ON bl.id = b.builder_id "
	    "WHERE bl.master_id = $1 AND bl.name = $2 AND b.number = $3 "
	    "AND b.started_at IS NOT DISTINCT FROM $4 "
	    "ORDER BY b.id DESC LIMIT 1" },
	[STORE_PUSH_NEWEST] = { "builds",
	    "SELECT b.id, b.started_at FROM builds b "
	    "JOIN builders bl ON bl.id = b.builder_id "
	    "WHERE bl.master_id = $1 AND bl.name = $2 AND b.number = $3 "
	    "AND b.complete = 0 ORDER BY b.id DESC LIMIT 1" },
	[STORE_PUSH_BUILDDIR] = { "builders",
	    "SELECT builddir FROM builders WHERE master_id = $1 AND name = $2" },
};

/*
 * Statement q, prepared on first use and kept in the store; NULL with
 * *cause if refused. The caller resets it after its run.
 */
static struct store_stmt *
store_push_stmt(struct store *s, enum store_push_sql q, char **cause)
{
	char	*error;

	if (s->push_stmts[q] != NULL)
		return (s->push_stmts[q]);
	s->push_stmts[q] = s->be->prepare(s->conn, store_push_defs[q].sql,
	    &error);
	if (s->push_stmts[q] == NULL) {
		xasprintf(cause, "store: %s: preparing: %s",
		    store_push_defs[q].what, error);
		free(error);
	}
	return (s->push_stmts[q]);
}

int
store_push_seen(struct store *s, int64_t master_id, const char *digest,
    double now, int *seen, char **cause)
{
	struct store_stmt	*st;
	enum store_step		 rc;
	int			 own, rows = 0, error = -1;

	*seen = 0;
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	if ((st = store_push_stmt(s, STORE_PUSH_SEEN, cause)) == NULL)
		return (store_leave(s, own, -1, cause));
	s->be->bind_int64(st, 1, master_id);
	s->be->bind_text(st, 2, digest);
	store_bind_time(s, st, 3, now);
	while ((rc = s->be->step(st)) == STORE_STEP_ROW)
		rows++;
	if (rc == STORE_STEP_ERR)
		xasprintf(cause, "store: push_packets: insert: %s",
		    s->be->stmt_errmsg(st));
	else {
		*seen = (rows == 0);
		error = 0;
	}
	s->be->reset(st);
	return (store_leave(s, own, error, cause));
}

int
store_push_build(struct store *s, int64_t master_id, const char *builder,
    int64_t number, double started, int newest, int64_t *build_id,
    double *started_at, int *found, char **cause)
{
	struct store_stmt	*st;
	enum store_step		 rc;
	int			 error = -1;

	*found = 0;
	*build_id = 0;
	*started_at = NAN;
	if ((st = store_push_stmt(s, newest ? STORE_PUSH_NEWEST :
	    STORE_PUSH_BUILD, cause)) == NULL)
		return (-1);
	s->be->bind_int64(st, 1, master_id);
	s->be->bind_text(st, 2, builder);
	s->be->bind_int64(st, 3, number);
	if (!newest)
		store_bind_time(s, st, 4, started);
	rc = s->be->step(st);
	if (rc == STORE_STEP_ERR)
		xasprintf(cause, "store: builds: find: %s",
		    s->be->stmt_errmsg(st));
	else {
		if (rc == STORE_STEP_ROW) {
			*found = 1;
			*build_id = s->be->column_int64(st, 0);
			if (!s->be->column_is_null(st, 1))
				*started_at = s->be->column_double(st, 1);
		}
		error = 0;
	}
	s->be->reset(st);
	return (error);
}

int
store_push_builddir(struct store *s, int64_t master_id, const char *builder,
    char **builddir, char **cause)
{
	struct store_stmt	*st;
	enum store_step		 rc;
	const char		*v;
	int			 error = -1;

	*builddir = NULL;
	if ((st = store_push_stmt(s, STORE_PUSH_BUILDDIR, cause)) == NULL)
		return (-1);
	s->be->bind_int64(st, 1, master_id);
	s->be->bind_text(st, 2, builder);
	rc = s->be->step(st);
	if (rc == STORE_STEP_ERR)
		xasprintf(cause, "store: builders: find: %s",
		    s->be->stmt_errmsg(st));
	else {
		if (rc == STORE_STEP_ROW && (v = s->be->column_text(st,
		    0)) != NULL)
			*builddir = xstrdup(v);
		error = 0;
	}
	s->be->reset(st);
	return (error);
}
