/*
 * store-pgsql.c: the PostgreSQL implementation of the store backend
 * (store-backend.h), over libpq. It knows nothing of the tables: store.c
 * owns the SQL, written once with $n placeholders that PostgreSQL reads
 * natively.
 *
 * Statements are prepared once per session (PQprepare) under names of
 * their own and run with PQexecPrepared: parameters go as text (numbers
 * printed exactly: 17 significant digits for doubles), blobs in binary;
 * results come as text and are converted on demand. A whole result is
 * fetched at once, so several statements may be stepped interleaved on
 * one connection, as the store and query.c do.
 *
 * Writers: begin() opens a READ COMMITTED transaction and takes a
 * transaction-level advisory lock, one per database schema: like SQLite's
 * BEGIN IMMEDIATE, it makes every bbmirror writer of the database (several
 * bbmirrord, importers) run its transactions one after the other, so the
 * store's find-then-insert sequences (builds by identity, a change's files)
 * can neither duplicate rows nor lose updates, and two writers never
 * deadlock. Readers are never blocked (MVCC).
 *
 * Inside a writer's transaction, statements that return no rows are sent
 * without waiting for them (libpq's pipeline mode, store-pgsql-pipe.c).
 *
 * A lost connection (PostgreSQL restarted, a network cut) fails the
 * statement that hit it; the next begin() reconnects, with a backoff
 * between attempts from 0.1 s to 10 s, and prepares the statements again
 * in the new session. Session settings (synchronous_commit, read-only)
 * are applied again too.
 */
#include "config.h"
#include "store-backend.h"

#ifdef HAVE_POSTGRESQL

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-pgsql-int.h"
#include "util.h"

/* Reconnection attempts are spaced from MIN to MAX seconds, doubling. */
#define STORE_PGSQL_BACKOFF_MIN	0.1
#define STORE_PGSQL_BACKOFF_MAX	10.0
/* How long begin() waits for another writer's lock, as SQLite's busy wait. */
#define STORE_PGSQL_LOCK_TIMEOUT "30s"
/* The advisory lock's first key ("bbmr"); the second is the schema's hash. */
#define STORE_PGSQL_LOCK_CLASS	1650617714
#define STORE_PGSQL_BYTEA_OID	17
#define STORE_PGSQL_STR1(x)	#x
#define STORE_PGSQL_STR(x)	STORE_PGSQL_STR1(x)

static void
store_pgsql_notice(void *arg, const PGresult *res)
{
	/* NOTICEs (e.g. "relation exists, skipping") are not errors. */
}

static double
store_pgsql_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * The server's message for a failed result (or the connection's when
 * there is no result), on one line: the primary message, the detail if
 * any, and the SQLSTATE. Caller frees.
 */
char *
store_pgsql_message(PGconn *pg, const PGresult *res)
{
	const char	*primary, *detail, *state;
	char		*msg, *p, *q;

	primary = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (primary == NULL) {
		msg = xstrdup(res != NULL && *PQresultErrorMessage(res) !=
		    '\0' ? PQresultErrorMessage(res) : PQerrorMessage(pg));
		if (*msg == '\0') {
			free(msg);
			msg = xstrdup("unknown PostgreSQL error");
		}
	} else {
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		xasprintf(&msg, "%s%s%s [%s]", primary,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "",
		    state != NULL ? state : "?");
	}
	/* libpq's own messages span lines, indented with tabs. */
	for (p = q = msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			if (q > msg && q[-1] != ' ')
				*q++ = ' ';
		} else
			*q++ = *p;
	}
	while (q > msg && q[-1] == ' ')
		q--;
	*q = '\0';
	return (msg);
}

/*
 * Runs one command (or a script) through the simple query protocol and
 * checks that it succeeded; with tag not NULL, also that the last command
 * was that one (a COMMIT of a failed transaction answers ROLLBACK).
 */
static int
store_pgsql_command(struct store_conn *c, const char *sql, const char *tag,
    char **cause)
{
	PGresult	*res;
	ExecStatusType	 st;

	res = PQexec(c->pg, sql);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		*cause = store_pgsql_message(c->pg, res);
		PQclear(res);
		return (-1);
	}
	if (tag != NULL && strcmp(PQcmdStatus(res), tag) != 0) {
		xasprintf(cause, "the transaction was rolled back (%s): an "
		    "earlier statement failed", PQcmdStatus(res));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return (0);
}

/*
 * Connects (or connects again) and sets the session up: UTF-8, exact
 * float output from older servers too, no NOTICE chatter, commits not
 * waiting for the disk unless durable, and read-only for readers.
 */
static int
store_pgsql_connect(struct store_conn *c, char **cause)
{
	char	*setup, *error;

	if (c->pg != NULL)
		PQfinish(c->pg);
	store_pgsql_pipe_reset(c);
	c->broken = 0;
	c->pg = PQconnectdb(c->url);
	if (c->pg == NULL) {
		xasprintf(cause, "out of memory");
		return (-1);
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		*cause = store_pgsql_message(c->pg, NULL);
		return (-1);
	}
	PQsetNoticeReceiver(c->pg, store_pgsql_notice, NULL);
	if (PQsetClientEncoding(c->pg, "UTF8") != 0) {
		*cause = store_pgsql_message(c->pg, NULL);
		c->broken = 1;
		return (-1);
	}
	xasprintf(&setup, "SET client_min_messages = warning; "
	    "SET extra_float_digits = 3; SET synchronous_commit = %s; "
	    "SET default_transaction_read_only = %s",
	    c->durable ? "on" : "off", c->read_only ? "on" : "off");
	if (store_pgsql_command(c, setup, NULL, &error) != 0) {
		xasprintf(cause, "setting the session up: %s", error);
		free(error);
		free(setup);
		c->broken = 1;
		return (-1);
	}
	free(setup);
	c->session++;
	return (0);
}

/*
 * Makes sure the connection is up, reconnecting if it was lost and the
 * backoff allows. Only called outside a transaction.
 */
static int
store_pgsql_alive(struct store_conn *c, char **cause)
{
	double	 now;
	char	*error = NULL;

	if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK)
		return (0);
	now = store_pgsql_clock();
	if (now < c->retry_at) {
		xasprintf(cause, "the connection to PostgreSQL was lost; "
		    "reconnecting in %.1f s (last attempt: %s)",
		    c->retry_at - now, c->lost != NULL ? c->lost : "none");
		return (-1);
	}
	if (store_pgsql_connect(c, &error) != 0) {
		c->backoff = c->backoff == 0 ? STORE_PGSQL_BACKOFF_MIN :
		    fmin(c->backoff * 2, STORE_PGSQL_BACKOFF_MAX);
		c->retry_at = store_pgsql_clock() + c->backoff;
		free(c->lost);
		c->lost = error;
		xasprintf(cause, "the connection to PostgreSQL was lost and "
		    "could not be made again (next attempt in %.1f s): %s",
		    c->backoff, error);
		return (-1);
	}
	c->backoff = 0;
	c->retry_at = 0;
	free(c->lost);
	c->lost = NULL;
	return (0);
}

static void
store_pgsql_close(struct store_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	store_pgsql_pipe_reset(c);
	free(c->pending);
	free(c->url);
	free(c->lost);
	free(c);
}

static struct store_conn *
store_pgsql_open1(const char *url, int read_only, char **cause)
{
	struct store_conn	*c;
	char			*error = NULL;

	c = xcalloc(1, sizeof *c);
	c->url = xstrdup(url);
	c->read_only = read_only;
	c->can_pipeline = !read_only &&
	    (getenv("BBM_PGSQL_PIPELINE") == NULL ||
	    strcmp(getenv("BBM_PGSQL_PIPELINE"), "0") != 0);
	if (store_pgsql_connect(c, &error) != 0) {
		xasprintf(cause, "postgresql: %s", error);
		free(error);
		store_pgsql_close(c);
		return (NULL);
	}
	return (c);
}

/* url is any libpq connection string: a URI or "key=value" pairs. */
static struct store_conn *
store_pgsql_open(const char *url, char **cause)
{
	return (store_pgsql_open1(url, 0, cause));
}

static struct store_conn *
store_pgsql_open_read(const char *url, char **cause)
{
	return (store_pgsql_open1(url, 1, cause));
}

/*
 * Runs a script (the migrations, inside the store's transaction). A lost
 * connection is not made again here: it would lose the transaction.
 */
static int
store_pgsql_exec(struct store_conn *c, const char *sql, char **cause)
{
	int	 pipeline = c->pipeline;

	if (store_pgsql_pipe_leave(c, cause) != 0)
		return (-1);
	if (store_pgsql_command(c, sql, NULL, cause) != 0)
		return (-1);
	return (pipeline ? store_pgsql_pipe_enter(c, cause) : 0);
}

/* Rolls back what cmd may have begun, on a live connection. */
static void
store_pgsql_abort(struct store_conn *c)
{
	char	*error = NULL;

	if (c->broken || PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		return;
	if (store_pgsql_command(c, "ROLLBACK", NULL, &error) != 0)
		free(error);
}

/*
 * Opens a transaction with cmd: when the connection turns out to be lost
 * (the server restarted while we were idle), reconnects once and tries
 * again, since nothing of a transaction was lost yet.
 */
static int
store_pgsql_begin1(struct store_conn *c, const char *cmd, char **cause)
{
	char	*error = NULL;

	if (store_pgsql_alive(c, cause) != 0)
		return (-1);
	if (store_pgsql_command(c, cmd, NULL, &error) == 0)
		return (0);
	if (PQstatus(c->pg) == CONNECTION_OK) {
		*cause = error;
		store_pgsql_abort(c);
		return (-1);
	}
	free(error);
	c->retry_at = 0;
	if (store_pgsql_alive(c, cause) != 0)
		return (-1);
	if (store_pgsql_command(c, cmd, NULL, cause) != 0) {
		store_pgsql_abort(c);
		return (-1);
	}
	return (0);
}

/* Then sends the transaction's statements through a pipeline. */
static int
store_pgsql_begin(struct store_conn *c, char **cause)
{
	if (store_pgsql_begin1(c, "BEGIN; SET LOCAL lock_timeout = '"
	    STORE_PGSQL_LOCK_TIMEOUT "'; SELECT pg_advisory_xact_lock("
	    STORE_PGSQL_STR(STORE_PGSQL_LOCK_CLASS) ", "
	    "hashtext(COALESCE(current_schema(), '')))", cause) != 0)
		return (-1);
	if (store_pgsql_pipe_enter(c, cause) != 0) {
		store_pgsql_abort(c);
		return (-1);
	}
	return (0);
}

static int
store_pgsql_begin_read(struct store_conn *c, char **cause)
{
	return (store_pgsql_begin1(c,
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cause));
}

/* A statement sent without waiting that failed fails the commit. */
static int
store_pgsql_commit(struct store_conn *c, char **cause)
{
	if (store_pgsql_pipe_leave(c, cause) != 0) {
		store_pgsql_abort(c);
		return (-1);
	}
	return (store_pgsql_command(c, "COMMIT", "COMMIT", cause));
}

static int
store_pgsql_rollback(struct store_conn *c)
{
	char	*error = NULL;

	(void)store_pgsql_pipe_leave(c, NULL);
	if (c->pg == NULL || c->broken || PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		return (0);
	if (store_pgsql_command(c, "ROLLBACK", NULL, &error) != 0) {
		free(error);
		return (-1);
	}
	return (0);
}

/*
 * The snapshot (xmin, xmax and the transactions in progress) changes
 * whenever any transaction of the cluster committed or began writing, so
 * its digest is a data version: spurious changes (other databases,
 * transactions that roll back) but no missed commit. Outside a read
 * transaction only, where each statement takes a new snapshot.
 */
static int
store_pgsql_data_version(struct store_conn *c, int64_t *version,
    char **cause)
{
	PGresult	*res;
	const char	*v;

	if (store_pgsql_alive(c, cause) != 0)
		return (-1);
	res = PQexec(c->pg, "SELECT txid_current_snapshot()::text");
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		*cause = store_pgsql_message(c->pg, res);
		PQclear(res);
		return (-1);
	}
	v = PQgetvalue(res, 0, 0);
	*version = (int64_t)(fnv1a64(fnv1a64(FNV1A64_INIT, &c->session,
	    sizeof c->session), v, strlen(v)) >> 1);
	PQclear(res);
	return (0);
}

/* Outside a transaction (store.c sees to it): may reconnect. */
static int
store_pgsql_set_durable(struct store_conn *c, int on, char **cause)
{
	if (store_pgsql_alive(c, cause) != 0)
		return (-1);
	if (store_pgsql_command(c, on ? "SET synchronous_commit = on" :
	    "SET synchronous_commit = off", NULL, cause) != 0)
		return (-1);
	c->durable = on;
	return (0);
}

/*
 * Tells whether a table of that name is reachable unqualified (as the
 * store's statements name it): the current schema and the rest of the
 * search_path.
 */
static int
store_pgsql_table_exists(struct store_conn *c, const char *name,
    int *exists, char **cause)
{
	PGresult	*res;
	const char	*values[1];
	int		 pipeline = c->pipeline;

	if (store_pgsql_pipe_leave(c, cause) != 0)
		return (-1);
	values[0] = name;
	res = PQexecParams(c->pg, "SELECT to_regclass($1) IS NOT NULL", 1,
	    NULL, values, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		*cause = store_pgsql_message(c->pg, res);
		PQclear(res);
		return (-1);
	}
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return (pipeline ? store_pgsql_pipe_enter(c, cause) : 0);
}

/* Frees the result and the decoded blobs of the current run. */
static void
store_pgsql_clear(struct store_stmt *st)
{
	int	 i;

	for (i = 0; i < st->nblobs; i++) {
		if (st->blobs[i].data != NULL)
			PQfreemem(st->blobs[i].data);
		st->blobs[i].data = NULL;
	}
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->ran = 0;
}

static void
store_pgsql_finalize(struct store_stmt *st)
{
	PGresult	*res;
	char		 sql[64];

	if (st == NULL)
		return;
	store_pgsql_clear(st);
	/*
	 * Query connections (read-only) evict statements from their cache:
	 * free the server's copy. A writer's live as long as its session.
	 */
	if (st->c->read_only && st->session != 0 &&
	    st->session == st->c->session && !st->c->broken &&
	    PQstatus(st->c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(st->c->pg) == PQTRANS_IDLE) {
		snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
		res = PQexec(st->c->pg, sql);
		PQclear(res);
	}
	free(st->sql);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->numbers);
	free(st->blobs);
	free(st->error);
	free(st);
}

/* Prepares st in the current session. */
static int
store_pgsql_prepare1(struct store_stmt *st, char **cause)
{
	struct store_conn	*c = st->c;
	PGresult		*res;
	int			 n, pipeline = c->pipeline;

	/*
	 * Prepared outside the pipeline (rare: once a session). A failure
	 * of the statements sent before stays to be told; the transaction
	 * it aborted refuses to prepare anything but a ROLLBACK TO.
	 */
	store_pgsql_pipe_pause(c);
	res = PQprepare(c->pg, st->name, st->sql, 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (c->deferred != NULL) {
			*cause = c->deferred;
			c->deferred = NULL;
		} else
			*cause = store_pgsql_message(c->pg, res);
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	res = PQdescribePrepared(c->pg, st->name);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		*cause = store_pgsql_message(c->pg, res);
		PQclear(res);
		return (-1);
	}
	n = PQnparams(res);
	PQclear(res);
	if (st->session != 0 && n != st->nparams) {
		xasprintf(cause, "the statement has %d parameters now, %d "
		    "before", n, st->nparams);
		return (-1);
	}
	if (st->session == 0 && n > 0) {
		st->nparams = n;
		st->values = xcalloc(n, sizeof *st->values);
		st->lengths = xcalloc(n, sizeof *st->lengths);
		st->formats = xcalloc(n, sizeof *st->formats);
		st->numbers = xcalloc(n, sizeof *st->numbers);
	}
	st->session = c->session;
	return (pipeline ? store_pgsql_pipe_enter(c, cause) : 0);
}

/*
 * Prepares one statement under a name of its own. A statement prepared
 * on a connection that is down is prepared when it first runs.
 */
static struct store_stmt *
store_pgsql_prepare(struct store_conn *c, const char *sql, char **cause)
{
	struct store_stmt	*st;

	st = xcalloc(1, sizeof *st);
	st->c = c;
	st->sql = xstrdup(sql);
	st->row = -1;
	st->deferrable = !c->read_only && store_pgsql_deferrable(sql);
	st->undoes = store_pgsql_undoes(sql);
	snprintf(st->name, sizeof st->name, "bbm_%u", ++c->names);
	if (store_pgsql_prepare1(st, cause) != 0) {
		st->session = 0;
		store_pgsql_finalize(st);
		return (NULL);
	}
	return (st);
}

/* Remembers the first failure of a run, for stmt_errmsg. */
void
store_pgsql_fail(struct store_stmt *st, const char *what, int idx)
{
	if (st->error != NULL)
		return;
	if (idx > 0)
		xasprintf(&st->error, "$%d: %s", idx, what);
	else
		st->error = xstrdup(what);
}

/* The slot of $idx, or -1 (after noting the error) when absent. */
static int
store_pgsql_slot(struct store_stmt *st, int idx)
{
	if (idx < 1 || idx > st->nparams) {
		store_pgsql_fail(st, "no such placeholder", idx);
		return (-1);
	}
	return (idx - 1);
}

static void
store_pgsql_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
	int	 i;

	if ((i = store_pgsql_slot(st, idx)) == -1)
		return;
	snprintf(st->numbers[i], sizeof st->numbers[i], "%lld", (long long)v);
	st->values[i] = st->numbers[i];
	st->formats[i] = 0;
}

/* 17 significant digits give the double back exactly. */
static void
store_pgsql_bind_double(struct store_stmt *st, int idx, double v)
{
	int	 i;

	if ((i = store_pgsql_slot(st, idx)) == -1)
		return;
	if (isnan(v))
		snprintf(st->numbers[i], sizeof st->numbers[i], "NaN");
	else if (isinf(v))
		snprintf(st->numbers[i], sizeof st->numbers[i], "%sInfinity",
		    v < 0 ? "-" : "");
	else
		snprintf(st->numbers[i], sizeof st->numbers[i], "%.17g", v);
	st->values[i] = st->numbers[i];
	st->formats[i] = 0;
}

static void
store_pgsql_bind_text(struct store_stmt *st, int idx, const char *v)
{
	int	 i;

	if ((i = store_pgsql_slot(st, idx)) == -1)
		return;
	st->values[i] = v;
	st->formats[i] = 0;
}

/* Blobs go in binary: the bytes as they are, NUL and all. */
static void
store_pgsql_bind_blob(struct store_stmt *st, int idx, const void *v,
    size_t len)
{
	int	 i;

	if ((i = store_pgsql_slot(st, idx)) == -1)
		return;
	if (len > INT32_MAX) {
		store_pgsql_fail(st, "blob too large", idx);
		return;
	}
	st->values[i] = v == NULL ? NULL : len == 0 ? "" : v;
	st->lengths[i] = (int)len;
	st->formats[i] = 1;
}

static void
store_pgsql_bind_null(struct store_stmt *st, int idx)
{
	int	 i;

	if ((i = store_pgsql_slot(st, idx)) == -1)
		return;
	st->values[i] = NULL;
	st->formats[i] = 0;
}

/* Runs the bound statement and keeps its whole result. */
static enum store_step
store_pgsql_run(struct store_stmt *st)
{
	struct store_conn	*c = st->c;
	ExecStatusType		 rs;
	char			*error = NULL;

	if (c->broken || PQstatus(c->pg) != CONNECTION_OK) {
		store_pgsql_fail(st, "the connection to PostgreSQL was lost "
		    "(it is made again at the next transaction)", 0);
		return (STORE_STEP_ERR);
	}
	if (st->session != c->session) {
		if (store_pgsql_prepare1(st, &error) != 0) {
			store_pgsql_fail(st, error, 0);
			free(error);
			return (STORE_STEP_ERR);
		}
	}
	if (c->pipeline)
		return (store_pgsql_pipe_run(st));
	st->res = PQexecPrepared(c->pg, st->name, st->nparams, st->values,
	    st->lengths, st->formats, 0);
	rs = st->res != NULL ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		error = store_pgsql_message(c->pg, st->res);
		store_pgsql_fail(st, error, 0);
		free(error);
		PQclear(st->res);
		st->res = NULL;
		return (STORE_STEP_ERR);
	}
	st->row = -1;
	return (STORE_STEP_DONE);
}

static enum store_step
store_pgsql_step(struct store_stmt *st)
{
	int	 i;

	if (st->error != NULL)
		return (STORE_STEP_ERR);
	if (!st->ran) {
		st->ran = 1;
		if (store_pgsql_run(st) == STORE_STEP_ERR)
			return (STORE_STEP_ERR);
		if (st->res == NULL)
			return (STORE_STEP_DONE);	/* sent, not waited */
	} else if (st->res == NULL)
		return (STORE_STEP_DONE);
	else {
		for (i = 0; i < st->nblobs; i++) {
			if (st->blobs[i].data != NULL)
				PQfreemem(st->blobs[i].data);
			st->blobs[i].data = NULL;
		}
	}
	if (st->row + 1 >= PQntuples(st->res)) {
		st->row = PQntuples(st->res);
		return (STORE_STEP_DONE);
	}
	st->row++;
	return (STORE_STEP_ROW);
}

/* The current row's value of col, or NULL for SQL NULL or no row. */
static const char *
store_pgsql_value(struct store_stmt *st, int col)
{
	if (st->res == NULL || st->row < 0 || st->row >= PQntuples(st->res) ||
	    col < 0 || col >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, col))
		return (NULL);
	return (PQgetvalue(st->res, st->row, col));
}

static int
store_pgsql_column_is_null(struct store_stmt *st, int col)
{
	return (store_pgsql_value(st, col) == NULL);
}

/*
 * Numbers come as text; booleans as t and f, read as 1 and 0 as SQLite
 * gives them. A fractional value is truncated, as sqlite3_column_int64
 * does.
 */
static double
store_pgsql_column_double(struct store_stmt *st, int col)
{
	const char	*v;

	if ((v = store_pgsql_value(st, col)) == NULL)
		return (0);
	if (v[0] == 't' && v[1] == '\0')
		return (1);
	if (v[0] == 'f' && v[1] == '\0')
		return (0);
	return (strtod(v, NULL));
}

static int64_t
store_pgsql_column_int64(struct store_stmt *st, int col)
{
	const char	*v;
	double		 d;

	if ((v = store_pgsql_value(st, col)) == NULL)
		return (0);
	if (strpbrk(v, ".eEnNtf") == NULL)
		return (strtoll(v, NULL, 10));
	d = store_pgsql_column_double(st, col);
	if (isnan(d))
		return (0);
	if (d >= 9223372036854775807.0)
		return (INT64_MAX);
	if (d <= -9223372036854775808.0)
		return (INT64_MIN);
	return ((int64_t)d);
}

static const char *
store_pgsql_column_text(struct store_stmt *st, int col)
{
	return (store_pgsql_value(st, col));
}

/* bytea comes as text (hex or escape format): decoded once per row. */
static const void *
store_pgsql_column_blob(struct store_stmt *st, int col, size_t *len)
{
	struct store_pgsql_blob	*b;
	const char		*v;

	*len = 0;
	if ((v = store_pgsql_value(st, col)) == NULL)
		return (NULL);
	if (PQftype(st->res, col) != STORE_PGSQL_BYTEA_OID) {
		*len = (size_t)PQgetlength(st->res, st->row, col);
		return (*len == 0 ? NULL : v);
	}
	if (col >= st->nblobs) {
		st->blobs = xreallocarray(st->blobs, col + 1,
		    sizeof *st->blobs);
		memset(st->blobs + st->nblobs, 0,
		    (col + 1 - st->nblobs) * sizeof *st->blobs);
		st->nblobs = col + 1;
	}
	b = &st->blobs[col];
	if (b->data == NULL) {
		b->data = PQunescapeBytea((const unsigned char *)v, &b->len);
		if (b->data == NULL)
			fatalx("store-pgsql: out of memory decoding bytea");
	}
	*len = b->len;
	return (b->len == 0 ? NULL : b->data);
}

static void
store_pgsql_reset(struct store_stmt *st)
{
	int	 i;

	store_pgsql_clear(st);
	for (i = 0; i < st->nparams; i++) {
		st->values[i] = NULL;
		st->lengths[i] = 0;
		st->formats[i] = 0;
	}
	free(st->error);
	st->error = NULL;
}

static const char *
store_pgsql_stmt_errmsg(struct store_stmt *st)
{
	if (st->error != NULL)
		return (st->error);
	return ("no error");
}

const struct store_backend store_pgsql_backend = {
	.name = "postgresql",
	.migrations = schema_pgsql_migrations,
	.nmigrations = &schema_pgsql_count,
	.open = store_pgsql_open,
	.open_read = store_pgsql_open_read,
	.close = store_pgsql_close,
	.exec = store_pgsql_exec,
	.table_exists = store_pgsql_table_exists,
	.begin = store_pgsql_begin,
	.commit = store_pgsql_commit,
	.rollback = store_pgsql_rollback,
	.begin_read = store_pgsql_begin_read,
	.data_version = store_pgsql_data_version,
	.set_durable = store_pgsql_set_durable,
	.prepare = store_pgsql_prepare,
	.bind_int64 = store_pgsql_bind_int64,
	.bind_double = store_pgsql_bind_double,
	.bind_text = store_pgsql_bind_text,
	.bind_blob = store_pgsql_bind_blob,
	.bind_null = store_pgsql_bind_null,
	.step = store_pgsql_step,
	.column_is_null = store_pgsql_column_is_null,
	.column_int64 = store_pgsql_column_int64,
	.column_double = store_pgsql_column_double,
	.column_text = store_pgsql_column_text,
	.column_blob = store_pgsql_column_blob,
	.reset = store_pgsql_reset,
	.finalize = store_pgsql_finalize,
	.stmt_errmsg = store_pgsql_stmt_errmsg,
};

#endif /* HAVE_POSTGRESQL */
