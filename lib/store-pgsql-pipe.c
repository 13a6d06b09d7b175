/*
 * store-pgsql-pipe.c: pipelined writes for the PostgreSQL backend.
 *
 * A writer's transaction runs in libpq's pipeline mode. A statement that
 * returns no rows (INSERT, UPDATE or DELETE without RETURNING, SAVEPOINT)
 * is sent and not waited for: step() says DONE at once. A statement whose
 * rows the caller reads (SELECT, RETURNING, RELEASE and ROLLBACK TO, which
 * end a unit) is sent with a sync point, and the results of everything
 * sent before it are read first. An import stores a build in a few dozen
 * statements of which a handful return rows, so most of the round trips
 * (and the waits for the server, on a busy machine the larger part) go.
 *
 * The cost is where an error shows: a statement that was not waited for
 * fails at the next sync point, that is at the next statement that returns
 * rows, at the end of the unit (RELEASE) or at the commit, whose caller
 * gets the server's message and the start of the failed statement's SQL.
 * The store's callers write every unit (a build, a live event) between a
 * SAVEPOINT and a RELEASE, so a failure still undoes exactly its unit.
 *
 * Setting BBM_PGSQL_PIPELINE=0 in the environment turns pipelining off
 * (every statement waited for), to measure what it brings.
 */
#include "config.h"

#ifdef HAVE_POSTGRESQL

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store-pgsql-int.h"
#include "util.h"

/* Statements sent before the results are read anyway (bounds buffers). */
#define STORE_PGSQL_PIPE_MAX	256

/*
 * Whether a statement returns no rows, so that it may go without waiting:
 * INSERT, UPDATE and DELETE without RETURNING, and SAVEPOINT.
 */
int
store_pgsql_deferrable(const char *sql)
{
	static const char *const verbs[] = { "INSERT", "UPDATE", "DELETE" };
	const char	*p;
	size_t		 i, n;

	while (isspace((unsigned char)*sql))
		sql++;
	if (strncasecmp(sql, "SAVEPOINT", 9) == 0)
		return (1);
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		n = strlen(verbs[i]);
		if (strncasecmp(sql, verbs[i], n) == 0 &&
		    !isalnum((unsigned char)sql[n]))
			break;
	}
	if (i == sizeof verbs / sizeof verbs[0])
		return (0);
	for (p = sql; (p = strcasestr(p, "RETURNING")) != NULL; p += 9) {
		if ((p == sql || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[9]) && p[9] != '_')
			return (0);
	}
	return (1);
}

/*
 * Whether a statement undoes what failed (ROLLBACK TO SAVEPOINT): a
 * failure among the statements sent before it is what it undoes, so it
 * runs anyway.
 */
int
store_pgsql_undoes(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	return (strncasecmp(sql, "ROLLBACK", 8) == 0);
}

/* Forgets the pipeline (the connection is new, or gone). */
void
store_pgsql_pipe_reset(struct store_conn *c)
{
	c->pipeline = 0;
	c->npending = 0;
	free(c->deferred);
	c->deferred = NULL;
}

int
store_pgsql_pipe_enter(struct store_conn *c, char **cause)
{
#ifdef STORE_PGSQL_PIPELINE
	if (!c->can_pipeline || c->pipeline)
		return (0);
	if (PQenterPipelineMode(c->pg) != 1) {
		*cause = store_pgsql_message(c->pg, NULL);
		return (-1);
	}
	c->pipeline = 1;
#endif
	return (0);
}

#ifdef STORE_PGSQL_PIPELINE
/* Notes the first failure of a statement that was not waited for. */
static void
store_pgsql_defer_error(struct store_conn *c, const PGresult *res,
    const char *sql)
{
	char	*msg;

	if (c->deferred != NULL)
		return;
	msg = store_pgsql_message(c->pg, res);
	while (isspace((unsigned char)*sql))
		sql++;
	xasprintf(&c->deferred, "%s (by an earlier statement: %.60s%s)", msg,
	    sql, strlen(sql) > 60 ? "..." : "");
	free(msg);
}

/*
 * After a sync point was sent: reads the results of the pending
 * statements (noting the first failure), then, if cur is not NULL, the
 * result of the statement sent last (*cur, NULL if the connection broke),
 * then the sync point's.
 */
static void
store_pgsql_collect(struct store_conn *c, PGresult **cur)
{
	PGresult	*res;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < c->npending && !bad; i++) {
		while ((res = PQgetResult(c->pg)) != NULL) {
			if (PQresultStatus(res) == PGRES_FATAL_ERROR)
				store_pgsql_defer_error(c, res, c->pending[i]);
			PQclear(res);
		}
		if (PQstatus(c->pg) != CONNECTION_OK) {
			store_pgsql_defer_error(c, NULL, c->pending[i]);
			bad = 1;
		}
	}
	c->npending = 0;
	if (cur != NULL) {
		*cur = NULL;
		while (!bad && (res = PQgetResult(c->pg)) != NULL) {
			if (*cur == NULL)
				*cur = res;
			else
				PQclear(res);
		}
	}
	if (bad || PQstatus(c->pg) != CONNECTION_OK)
		return;
	if ((res = PQgetResult(c->pg)) != NULL)
		PQclear(res);	/* PGRES_PIPELINE_SYNC */
}

/* Remembers the SQL of a statement sent without waiting. */
static void
store_pgsql_push(struct store_conn *c, const char *sql)
{
	if (c->npending == c->spending) {
		c->spending = c->spending == 0 ? 64 : c->spending * 2;
		c->pending = xreallocarray(c->pending, c->spending,
		    sizeof *c->pending);
	}
	c->pending[c->npending++] = sql;
}
#endif

/*
 * Leaves pipeline mode after reading every result; a failure among them
 * stays in c->deferred, to be told at the next sync point.
 */
void
store_pgsql_pipe_pause(struct store_conn *c)
{
#ifdef STORE_PGSQL_PIPELINE
	if (!c->pipeline)
		return;
	if (PQstatus(c->pg) == CONNECTION_OK) {
		if (PQpipelineSync(c->pg) == 1)
			store_pgsql_collect(c, NULL);
		else if (c->deferred == NULL)
			c->deferred = store_pgsql_message(c->pg, NULL);
		/* Results left unread (a connection dying): start over. */
		if (PQexitPipelineMode(c->pg) != 1) {
			if (c->deferred == NULL)
				c->deferred = store_pgsql_message(c->pg, NULL);
			c->broken = 1;
		}
	} else
		c->broken = 1;
	c->pipeline = 0;
	c->npending = 0;
#endif
}

/*
 * Leaves pipeline mode after reading every result: -1 with *cause (if not
 * NULL; the message is dropped otherwise) when a statement sent without
 * waiting failed and no caller was told yet.
 */
int
store_pgsql_pipe_leave(struct store_conn *c, char **cause)
{
#ifdef STORE_PGSQL_PIPELINE
	store_pgsql_pipe_pause(c);
	if (c->deferred != NULL) {
		if (cause != NULL)
			*cause = c->deferred;
		else
			free(c->deferred);
		c->deferred = NULL;
		return (-1);
	}
#endif
	return (0);
}

/*
 * Runs a bound statement in the pipeline: sent and DONE for one that
 * returns no rows, otherwise sent with a sync point and its whole result
 * kept, once the pending statements' results are read; their failure is
 * its failure.
 */
enum store_step
store_pgsql_pipe_run(struct store_stmt *st)
{
#ifdef STORE_PGSQL_PIPELINE
	struct store_conn	*c = st->c;
	PGresult		*res = NULL;
	ExecStatusType		 rs;
	char			*error;

	if (PQsendQueryPrepared(c->pg, st->name, st->nparams, st->values,
	    st->lengths, st->formats, 0) != 1) {
		error = store_pgsql_message(c->pg, NULL);
		store_pgsql_fail(st, error, 0);
		free(error);
		return (STORE_STEP_ERR);
	}
	if (st->deferrable) {
		store_pgsql_push(c, st->sql);
		if (c->npending < STORE_PGSQL_PIPE_MAX)
			return (STORE_STEP_DONE);
	}
	if (PQpipelineSync(c->pg) != 1) {
		error = store_pgsql_message(c->pg, NULL);
		store_pgsql_fail(st, error, 0);
		free(error);
		return (STORE_STEP_ERR);
	}
	store_pgsql_collect(c, st->deferrable ? NULL : &res);
	if (c->deferred != NULL && st->undoes &&
	    PQstatus(c->pg) == CONNECTION_OK) {
		free(c->deferred);
		c->deferred = NULL;
		/* Skipped with the rest? The sync point lets it run now. */
		if (res == NULL ||
		    PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
			PQclear(res);
			res = NULL;
			if (PQsendQueryPrepared(c->pg, st->name, st->nparams,
			    st->values, st->lengths, st->formats, 0) == 1 &&
			    PQpipelineSync(c->pg) == 1)
				store_pgsql_collect(c, &res);
		}
	}
	if (c->deferred != NULL) {
		store_pgsql_fail(st, c->deferred, 0);
		free(c->deferred);
		c->deferred = NULL;
		PQclear(res);
		return (STORE_STEP_ERR);
	}
	if (st->deferrable)
		return (STORE_STEP_DONE);
	rs = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		error = store_pgsql_message(c->pg, res);
		store_pgsql_fail(st, error, 0);
		free(error);
		PQclear(res);
		return (STORE_STEP_ERR);
	}
	st->res = res;
	st->row = -1;
	return (STORE_STEP_DONE);
#else
	store_pgsql_fail(st, "pipelining is not built in", 0);
	return (STORE_STEP_ERR);
#endif
}

#endif /* HAVE_POSTGRESQL */
