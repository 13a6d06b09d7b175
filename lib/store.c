/*
 * store.c: the store's connection and what its record writers share. Every
 * SQL statement lives here, once, in SQL that SQLite and PostgreSQL both
 * accept ($n placeholders, ON CONFLICT ... DO UPDATE, RETURNING, IS NOT
 * DISTINCT FROM); a backend (store-backend.h) only moves values in and
 * out. This file opens and migrates the database, runs transactions and
 * savepoint units, and writes masters and builders; builds are written by
 * store-build.c, changes, buildsets and build requests by store-history.c,
 * the live path's rows and both sources' bookkeeping (the importer's file
 * states, the listener's sequence numbers and live logs) by store-live.c.
 *
 * Statements are prepared on first use and kept for the life of the
 * connection: the importer stores thousands of builds a second, each a few
 * dozen statement runs, so nothing is parsed twice and nothing asks the
 * database about its schema after the migrations.
 */
#include "config.h"
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-int.h"

/*
 * Every statement, indexed by enum store_sql (store-int.h), with the
 * table and action its error messages name.
 */
static const struct store_sql_def {
	const char	*table;
	const char	*action;
	const char	*sql;
} store_sql_defs[STORE_SQL_COUNT] = {
	[STORE_SQL_VERSION_GET] = { "schema_version", "select",
	    "SELECT COALESCE(MAX(version), 0) FROM schema_version" },
	[STORE_SQL_VERSION_ADD] = { "schema_version", "insert",
	    "INSERT INTO schema_version (version, applied_at) "
	    "VALUES ($1, $2)" },
	[STORE_SQL_MASTER_UPSERT] = { "masters", "upsert",
	    "INSERT INTO masters (name, basedir, created_at) "
	    "VALUES ($1, $2, $3) "
	    "ON CONFLICT (name) DO UPDATE SET "
	    "basedir = COALESCE(excluded.basedir, masters.basedir) "
	    "RETURNING id" },
	[STORE_SQL_BUILDER_UPSERT] = { "builders", "upsert",
	    "INSERT INTO builders (master_id, name, builddir, description, "
	    "category, tags, slavenames, origin, updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	    "ON CONFLICT (master_id, name) DO UPDATE SET "
	    "builddir = COALESCE(excluded.builddir, builders.builddir), "
	    "description = COALESCE(excluded.description, "
	    "builders.description), "
	    "category = COALESCE(excluded.category, builders.category), "
	    "tags = COALESCE(excluded.tags, builders.tags), "
	    "slavenames = COALESCE(excluded.slavenames, builders.slavenames), "
	    "origin = excluded.origin, updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDER_EVENTS_DELETE] = { "builder_events", "delete",
	    "DELETE FROM builder_events WHERE builder_id = $1" },
	[STORE_SQL_BUILDER_EVENT_INSERT] = { "builder_events", "insert",
	    "INSERT INTO builder_events (builder_id, number, started_at, "
	    "finished_at, text) VALUES ($1, $2, $3, $4, $5)" },
	[STORE_SQL_BUILD_FIND] = { "builds", "find",
	    "SELECT id FROM builds WHERE builder_id = $1 AND number = $2 "
	    "AND started_at IS NOT DISTINCT FROM $3 ORDER BY id LIMIT 1" },
	[STORE_SQL_BUILD_INSERT] = { "builds", "insert",
	    "INSERT INTO builds (builder_id, number, started_at, finished_at, "
	    "complete, results, text, reason, slave, blamelist, origin, "
	    "updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
	    "RETURNING id" },
	/* Same parameters as the insert; the identity doubles as a check. */
	[STORE_SQL_BUILD_UPDATE] = { "builds", "update",
	    "UPDATE builds SET finished_at = $4, complete = $5, results = $6, "
	    "text = $7, reason = $8, slave = $9, blamelist = $10, "
	    "origin = $11, updated_at = $12 "
	    "WHERE id = $13 AND builder_id = $1 AND number = $2 "
	    "AND started_at IS NOT DISTINCT FROM $3" },
	/*
	 * Steps and logs are upserted in place, so that their ids stay (the
	 * live path's rows point at logs); the ones beyond the record's are
	 * then deleted, a step's logs with it (ON DELETE CASCADE).
	 */
	[STORE_SQL_STEP_UPSERT] = { "steps", "upsert",
	    "INSERT INTO steps (build_id, number, name, started_at, "
	    "finished_at, results, text, text2, urls, statistics, hidden, "
	    "skipped) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
	    "ON CONFLICT (build_id, number) DO UPDATE SET "
	    "name = excluded.name, started_at = excluded.started_at, "
	    "finished_at = excluded.finished_at, results = excluded.results, "
	    "text = excluded.text, text2 = excluded.text2, "
	    "urls = excluded.urls, statistics = excluded.statistics, "
	    "hidden = excluded.hidden, skipped = excluded.skipped" },
	[STORE_SQL_STEP_ID] = { "steps", "select",
	    "SELECT id FROM steps WHERE build_id = $1 AND number = $2" },
	[STORE_SQL_STEPS_DELETE_FROM] = { "steps", "delete",
	    "DELETE FROM steps WHERE build_id = $1 AND number >= $2" },
	/*
	 * Children find their parent by (build, number) rather than through
	 * RETURNING: SQLite builds a temporary table for every RETURNING run,
	 * which costs more than the index lookup.
	 */
	[STORE_SQL_LOG_UPSERT] = { "logs", "upsert",
	    "INSERT INTO logs (step_id, number, name, filename, kind, state, "
	    "store_key, stored_bytes, text_bytes, lines, complete) "
	    "VALUES ((SELECT id FROM steps WHERE build_id = $1 AND "
	    "number = $2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
	    "ON CONFLICT (step_id, number) DO UPDATE SET "
	    "name = excluded.name, filename = excluded.filename, "
	    "kind = excluded.kind, state = excluded.state, "
	    "store_key = excluded.store_key, "
	    "stored_bytes = excluded.stored_bytes, "
	    "text_bytes = excluded.text_bytes, lines = excluded.lines, "
	    "complete = excluded.complete" },
	[STORE_SQL_LOGS_DELETE_FROM] = { "logs", "delete",
	    "DELETE FROM logs WHERE step_id = (SELECT id FROM steps "
	    "WHERE build_id = $1 AND number = $2) AND number >= $3" },
	[STORE_SQL_LOG_GET] = { "logs", "select",
	    "SELECT l.state, l.store_key, l.stored_bytes, l.text_bytes, "
	    "l.lines, l.complete FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE s.build_id = $1 AND s.number = $2 AND l.number = $3" },
	/* The first six columns as LOG_GET's. */
	[STORE_SQL_LOG_BY_ID] = { "logs", "select",
	    "SELECT state, store_key, stored_bytes, text_bytes, lines, "
	    "complete, name, filename, kind FROM logs WHERE id = $1" },
	[STORE_SQL_LOG_FIND] = { "logs", "find",
	    "SELECT l.id FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE s.build_id = $1 AND s.number = $2 AND l.number = $3" },
	/* RETURNING tells a missing log from an update. */
	[STORE_SQL_LOG_UPDATE] = { "logs", "update",
	    "UPDATE logs SET state = $2, store_key = $3, stored_bytes = $4, "
	    "text_bytes = $5, lines = $6, complete = $7 WHERE id = $1 "
	    "RETURNING id" },
	[STORE_SQL_BUILD_PROPS_DELETE] = { "build_properties", "delete",
	    "DELETE FROM build_properties WHERE build_id = $1" },
	/* A repeated name keeps the last value, as a Python dict would. */
	[STORE_SQL_BUILD_PROP_UPSERT] = { "build_properties", "insert",
	    "INSERT INTO build_properties (build_id, name, value, source) "
	    "VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (build_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	/* Their change links go with them (ON DELETE CASCADE). */
	[STORE_SQL_SOURCESTAMPS_DELETE] = { "sourcestamps", "delete",
	    "DELETE FROM sourcestamps WHERE build_id = $1" },
	[STORE_SQL_SOURCESTAMP_INSERT] = { "sourcestamps", "insert",
	    "INSERT INTO sourcestamps (build_id, number, branch, revision, "
	    "repository, project, codebase, patch_level, patch_body, "
	    "patch_subdir, patch_author, patch_comment) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)" },
	[STORE_SQL_SOURCESTAMP_CHANGE_LINK] = { "sourcestamp_changes",
	    "insert",
	    "INSERT INTO sourcestamp_changes (sourcestamp_id, change_id) "
	    "VALUES ((SELECT id FROM sourcestamps WHERE build_id = $1 AND "
	    "number = $2), $3) ON CONFLICT DO NOTHING" },
	[STORE_SQL_BUILD_CHANGES_DELETE] = { "build_changes", "delete",
	    "DELETE FROM build_changes WHERE build_id = $1" },
	[STORE_SQL_BUILD_CHANGE_LINK] = { "build_changes", "insert",
	    "INSERT INTO build_changes (build_id, change_id) "
	    "VALUES ($1, $2) ON CONFLICT DO NOTHING" },
	/*
	 * The identity covers number, when, author, revision, branch and
	 * repository; of the rest, a source that lacks a field keeps what
	 * another gave.
	 */
	[STORE_SQL_CHANGE_UPSERT] = { "changes", "upsert",
	    "INSERT INTO changes (master_id, identity, number, author, "
	    "comments, branch, revision, revlink, category, repository, "
	    "project, codebase, when_at, is_dir, origin, updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16) "
	    "ON CONFLICT (master_id, identity) DO UPDATE SET "
	    "number = excluded.number, "
	    "author = COALESCE(excluded.author, changes.author), "
	    "comments = COALESCE(excluded.comments, changes.comments), "
	    "branch = COALESCE(excluded.branch, changes.branch), "
	    "revision = COALESCE(excluded.revision, changes.revision), "
	    "revlink = COALESCE(excluded.revlink, changes.revlink), "
	    "category = COALESCE(excluded.category, changes.category), "
	    "repository = COALESCE(excluded.repository, changes.repository), "
	    "project = COALESCE(excluded.project, changes.project), "
	    "codebase = COALESCE(excluded.codebase, changes.codebase), "
	    "when_at = COALESCE(excluded.when_at, changes.when_at), "
	    "is_dir = excluded.is_dir, origin = excluded.origin, "
	    "updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_CHANGE_FILES_DELETE] = { "change_files", "delete",
	    "DELETE FROM change_files WHERE change_id = $1" },
	[STORE_SQL_CHANGE_FILE_INSERT] = { "change_files", "insert",
	    "INSERT INTO change_files (change_id, filename) VALUES ($1, $2)" },
	[STORE_SQL_CHANGE_PROPS_DELETE] = { "change_properties", "delete",
	    "DELETE FROM change_properties WHERE change_id = $1" },
	[STORE_SQL_CHANGE_PROP_UPSERT] = { "change_properties", "insert",
	    "INSERT INTO change_properties (change_id, name, value, source) "
	    "VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (change_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	[STORE_SQL_BUILDSET_UPSERT] = { "buildsets", "upsert",
	    "INSERT INTO buildsets (master_id, bsid, external_idstring, "
	    "reason, submitted_at, complete, complete_at, results, origin, "
	    "updated_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	    "ON CONFLICT (master_id, bsid) DO UPDATE SET "
	    "external_idstring = excluded.external_idstring, "
	    "reason = excluded.reason, submitted_at = excluded.submitted_at, "
	    "complete = excluded.complete, complete_at = excluded.complete_at, "
	    "results = excluded.results, origin = excluded.origin, "
	    "updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDSET_PROPS_DELETE] = { "buildset_properties", "delete",
	    "DELETE FROM buildset_properties WHERE buildset_id = $1" },
	[STORE_SQL_BUILDSET_PROP_UPSERT] = { "buildset_properties", "insert",
	    "INSERT INTO buildset_properties (buildset_id, name, value, "
	    "source) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (buildset_id, name) DO UPDATE SET "
	    "value = excluded.value, source = excluded.source" },
	[STORE_SQL_BUILDREQUEST_UPSERT] = { "buildrequests", "upsert",
	    "INSERT INTO buildrequests (master_id, brid, bsid, buildset_id, "
	    "builder_name, priority, submitted_at, claimed_at, claimed_by, "
	    "complete, complete_at, results, origin, updated_at) "
	    "VALUES ($1, $2, $3, "
	    "(SELECT id FROM buildsets WHERE master_id = $1 AND bsid = $3), "
	    "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
	    "ON CONFLICT (master_id, brid) DO UPDATE SET "
	    "bsid = excluded.bsid, buildset_id = excluded.buildset_id, "
	    "builder_name = excluded.builder_name, "
	    "priority = excluded.priority, "
	    "submitted_at = excluded.submitted_at, "
	    "claimed_at = excluded.claimed_at, "
	    "claimed_by = excluded.claimed_by, complete = excluded.complete, "
	    "complete_at = excluded.complete_at, results = excluded.results, "
	    "origin = excluded.origin, updated_at = excluded.updated_at "
	    "RETURNING id" },
	[STORE_SQL_BUILDREQUEST_NEAR] = { "builds", "find for request",
	    "SELECT b.id FROM builds b JOIN builders r ON r.id = b.builder_id "
	    "WHERE r.master_id = $1 AND r.name = $2 AND b.number = $3 "
	    "AND abs(b.started_at - $4) <= $5 "
	    "ORDER BY abs(b.started_at - $4), b.id LIMIT 1" },
	[STORE_SQL_BUILDREQUEST_ANY] = { "builds", "find for request",
	    "SELECT b.id FROM builds b JOIN builders r ON r.id = b.builder_id "
	    "WHERE r.master_id = $1 AND r.name = $2 AND b.number = $3 "
	    "ORDER BY b.id LIMIT 2" },
	[STORE_SQL_BUILDREQUEST_LINK] = { "build_requests", "insert",
	    "INSERT INTO build_requests (build_id, buildrequest_id) "
	    "VALUES ($1, $2) ON CONFLICT DO NOTHING" },
	[STORE_SQL_FILE_GET] = { "import_files", "select",
	    "SELECT size, mtime, digest, build_id FROM import_files "
	    "WHERE master_id = $1 AND path = $2" },
	[STORE_SQL_FILE_PUT] = { "import_files", "upsert",
	    "INSERT INTO import_files (master_id, path, size, mtime, digest, "
	    "build_id, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	    "ON CONFLICT (master_id, path) DO UPDATE SET "
	    "size = excluded.size, mtime = excluded.mtime, "
	    "digest = excluded.digest, build_id = excluded.build_id, "
	    "imported_at = excluded.imported_at" },
	[STORE_SQL_LIVE_LOG_GET] = { "live_logs", "select",
	    "SELECT store_size, channel, run_bytes, pending FROM live_logs "
	    "WHERE log_id = $1" },
	[STORE_SQL_LIVE_LOG_PUT] = { "live_logs", "upsert",
	    "INSERT INTO live_logs (log_id, store_size, channel, run_bytes, "
	    "pending) VALUES ($1, $2, $3, $4, $5) "
	    "ON CONFLICT (log_id) DO UPDATE SET "
	    "store_size = excluded.store_size, channel = excluded.channel, "
	    "run_bytes = excluded.run_bytes, pending = excluded.pending" },
	[STORE_SQL_LIVE_LOG_DELETE] = { "live_logs", "delete",
	    "DELETE FROM live_logs WHERE log_id = $1" },
	[STORE_SQL_LIVE_SEQ_GET] = { "live_masters", "select",
	    "SELECT last_seq FROM live_masters WHERE master_id = $1" },
	[STORE_SQL_LIVE_SEQ_PUT] = { "live_masters", "upsert",
	    "INSERT INTO live_masters (master_id, last_seq, updated_at) "
	    "VALUES ($1, $2, $3) ON CONFLICT (master_id) DO UPDATE SET "
	    "last_seq = excluded.last_seq, updated_at = excluded.updated_at" },
	[STORE_SQL_BUILDER_STATE] = { "builders", "update state",
	    "UPDATE builders SET state = $2, state_at = $3, updated_at = $4 "
	    "WHERE id = $1 RETURNING id" },
	/*
	 * A NULL $3 to $6 keeps the stored value (a new row: not connected,
	 * not paused, times unknown), so one statement serves every event.
	 */
	[STORE_SQL_SLAVE_UPSERT] = { "slaves", "upsert",
	    "INSERT INTO slaves (master_id, name, connected, paused, "
	    "connected_at, disconnected_at, origin, updated_at) "
	    "VALUES ($1, $2, COALESCE($3, 0), COALESCE($4, 0), $5, $6, $7, "
	    "$8) ON CONFLICT (master_id, name) DO UPDATE SET "
	    "connected = COALESCE($3, slaves.connected), "
	    "paused = COALESCE($4, slaves.paused), "
	    "connected_at = COALESCE($5, slaves.connected_at), "
	    "disconnected_at = COALESCE($6, slaves.disconnected_at), "
	    "origin = excluded.origin, updated_at = excluded.updated_at" },
	/*
	 * Units are prepared like the rest: a savepoint per live event run
	 * through exec() was 12% of the listener's instructions (parsing).
	 */
	[STORE_SQL_UNIT_BEGIN] = { "savepoint", "begin",
	    "SAVEPOINT bbm_unit" },
	[STORE_SQL_UNIT_END] = { "savepoint", "release",
	    "RELEASE SAVEPOINT bbm_unit" },
	[STORE_SQL_UNIT_ABORT] = { "savepoint", "rollback",
	    "ROLLBACK TO SAVEPOINT bbm_unit" },
};

double
store_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* The origin's name, or NULL (after setting *cause) if it is not one. */
const char *
store_origin(enum bbm_origin origin, char **cause)
{
	if (origin != BBM_ORIGIN_IMPORT && origin != BBM_ORIGIN_LIVE &&
	    origin != BBM_ORIGIN_PUSH) {
		xasprintf(cause, "store: invalid origin %d", (int)origin);
		return (NULL);
	}
	return (record_origin_name(origin));
}

/*
 * The cached statement q, prepared on first use. Returns NULL and sets
 * *cause if the database refuses it.
 */
struct store_stmt *
store_stmt(struct store *s, enum store_sql q, char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	char				*error;

	if (s->stmts[q] != NULL)
		return (s->stmts[q]);
	s->stmts[q] = s->be->prepare(s->conn, def->sql, &error);
	if (s->stmts[q] == NULL) {
		xasprintf(cause, "store: %s: preparing %s: %s", def->table,
		    def->action, error);
		free(error);
	}
	return (s->stmts[q]);
}

/*
 * Runs the bound statement q to completion and resets it. If first is not
 * NULL, it gets column 0 of the first row (untouched when there is none);
 * if nrows is not NULL, it gets the number of rows.
 */
int
store_run(struct store *s, enum store_sql q, int64_t *first, int64_t *nrows,
    char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	struct store_stmt		*st = s->stmts[q];
	enum store_step			 rc;
	int64_t				 n = 0;

	while ((rc = s->be->step(st)) == STORE_STEP_ROW) {
		if (n++ == 0 && first != NULL)
			*first = s->be->column_int64(st, 0);
	}
	if (rc == STORE_STEP_ERR) {
		xasprintf(cause, "store: %s: %s: %s", def->table, def->action,
		    s->be->stmt_errmsg(st));
		s->be->reset(st);
		return (-1);
	}
	s->be->reset(st);
	if (nrows != NULL)
		*nrows = n;
	return (0);
}

/*
 * Steps the bound statement q once. With a row (*row = 1) the statement
 * stays positioned on it for the column calls, and the caller resets it;
 * otherwise it is reset here.
 */
int
store_fetch(struct store *s, enum store_sql q, int *row, char **cause)
{
	const struct store_sql_def	*def = &store_sql_defs[q];
	struct store_stmt		*st = s->stmts[q];
	enum store_step			 rc;

	rc = s->be->step(st);
	*row = (rc == STORE_STEP_ROW);
	if (rc == STORE_STEP_ERR) {
		xasprintf(cause, "store: %s: %s: %s", def->table, def->action,
		    s->be->stmt_errmsg(st));
		s->be->reset(st);
		return (-1);
	}
	if (rc == STORE_STEP_DONE)
		s->be->reset(st);
	return (0);
}

/* Runs a statement that must return exactly one id (RETURNING id). */
int
store_run_id(struct store *s, enum store_sql q, int64_t *id, char **cause)
{
	int64_t	 n;

	if (store_run(s, q, id, &n, cause) != 0)
		return (-1);
	if (n != 1) {
		xasprintf(cause, "store: %s: %s: %lld rows instead of one",
		    store_sql_defs[q].table, store_sql_defs[q].action,
		    (long long)n);
		return (-1);
	}
	return (0);
}

void
store_bind_int(struct store *s, struct store_stmt *st, int idx, int64_t v)
{
	s->be->bind_int64(st, idx, v);
}

void
store_bind_text(struct store *s, struct store_stmt *st, int idx,
    const char *v)
{
	s->be->bind_text(st, idx, v);
}

void
store_bind_flag(struct store *s, struct store_stmt *st, int idx, int v)
{
	s->be->bind_int64(st, idx, v != 0);
}

/* Unknown times (NaN) are NULL; so are infinities, which mean nothing. */
void
store_bind_time(struct store *s, struct store_stmt *st, int idx, double t)
{
	if (isfinite(t))
		s->be->bind_double(st, idx, t);
	else
		s->be->bind_null(st, idx);
}

void
store_bind_result(struct store *s, struct store_stmt *st, int idx, int r)
{
	if (r < 0)
		s->be->bind_null(st, idx);
	else
		s->be->bind_int64(st, idx, r);
}

/* Binds an id, or NULL for ids <= 0 (row ids start at 1). */
void
store_bind_id(struct store *s, struct store_stmt *st, int idx, int64_t id)
{
	if (id <= 0)
		s->be->bind_null(st, idx);
	else
		s->be->bind_int64(st, idx, id);
}

/* Runs the one-parameter statement q (a DELETE by parent id). */
int
store_run_for(struct store *s, enum store_sql q, int64_t id, char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, id);
	return (store_run(s, q, NULL, NULL, cause));
}

/* Inserts a property of a parent row with the statement q. */
int
store_property(struct store *s, enum store_sql q, int64_t parent,
    const struct bbm_property *p, char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, parent);
	store_bind_text(s, st, 2, p->name);
	store_bind_text(s, st, 3, p->value);
	store_bind_text(s, st, 4, p->source);
	return (store_run(s, q, NULL, NULL, cause));
}

/*
 * Runs the two-parameter statement q: a link's insert (two ids), or a
 * delete by parent id and number.
 */
int
store_link(struct store *s, enum store_sql q, int64_t a, int64_t b,
    char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, a);
	store_bind_int(s, st, 2, b);
	return (store_run(s, q, NULL, NULL, cause));
}

struct store *
store_open(const char *url, char **cause)
{
	struct store	*s;

	if (url == NULL || *url == '\0') {
		xasprintf(cause, "store: no database given");
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	if ((s->be = store_backend_for(url, cause)) == NULL) {
		free(s);
		return (NULL);
	}
	if ((s->conn = s->be->open(url, cause)) == NULL) {
		free(s);
		return (NULL);
	}
	if (store_migrate(s, cause) != 0) {
		store_close(s);
		return (NULL);
	}
	return (s);
}

void
store_close(struct store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	store_rollback(s);
	for (i = 0; i < STORE_SQL_COUNT; i++) {
		if (s->stmts[i] != NULL)
			s->be->finalize(s->stmts[i]);
	}
	for (i = 0; i < STORE_PUSH_NSQL; i++) {
		if (s->push_stmts[i] != NULL)
			s->be->finalize(s->push_stmts[i]);
	}
	s->be->close(s->conn);
	free(s->changes);
	free(s);
}

int
store_begin(struct store *s, char **cause)
{
	char	*error;

	if (s->in_tx) {
		xasprintf(cause, "store: begin: a transaction is already open");
		return (-1);
	}
	if (s->be->begin(s->conn, &error) != 0) {
		xasprintf(cause, "store: begin: %s", error);
		free(error);
		return (-1);
	}
	s->in_tx = 1;
	return (0);
}

int
store_commit(struct store *s, char **cause)
{
	char	*error;

	if (!s->in_tx) {
		xasprintf(cause, "store: commit: no transaction is open");
		return (-1);
	}
	if (s->be->commit(s->conn, &error) != 0) {
		xasprintf(cause, "store: commit: %s", error);
		free(error);
		store_rollback(s);
		return (-1);
	}
	s->in_tx = 0;
	return (0);
}

int
store_rollback(struct store *s)
{
	store_change_cache_clear(s);
	s->in_tx = 0;
	return (s->be->rollback(s->conn));
}

/*
 * A unit inside the open transaction (SAVEPOINT): it commits or rolls back
 * on its own while many units share one transaction's commit. Both SQLite
 * and PostgreSQL keep a rolled-back savepoint on the stack, so abort also
 * releases it.
 */
int
store_unit_begin(struct store *s, char **cause)
{
	if (!s->in_tx) {
		xasprintf(cause, "store: savepoint: no transaction is open");
		return (-1);
	}
	/*
	 * The unit's end and abort are prepared now, while the transaction
	 * is sound: PostgreSQL prepares nothing but a rollback in a
	 * transaction a failed statement aborted.
	 */
	if (store_stmt(s, STORE_SQL_UNIT_BEGIN, cause) == NULL ||
	    store_stmt(s, STORE_SQL_UNIT_END, cause) == NULL ||
	    store_stmt(s, STORE_SQL_UNIT_ABORT, cause) == NULL)
		return (-1);
	return (store_run(s, STORE_SQL_UNIT_BEGIN, NULL, NULL, cause));
}

int
store_unit_end(struct store *s, char **cause)
{
	if (store_stmt(s, STORE_SQL_UNIT_END, cause) == NULL)
		return (-1);
	return (store_run(s, STORE_SQL_UNIT_END, NULL, NULL, cause));
}

int
store_unit_abort(struct store *s)
{
	char	*cause = NULL;
	int	 error;

	store_change_cache_clear(s);
	error = -1;
	if (store_stmt(s, STORE_SQL_UNIT_ABORT, &cause) != NULL &&
	    store_stmt(s, STORE_SQL_UNIT_END, &cause) != NULL &&
	    store_run(s, STORE_SQL_UNIT_ABORT, NULL, NULL, &cause) == 0)
		error = store_run(s, STORE_SQL_UNIT_END, NULL, NULL, &cause);
	free(cause);
	return (error);
}

int
store_schema_version(struct store *s)
{
	return (s->version);
}

/* SQLite refuses to change it inside a transaction; so does the store. */
int
store_set_durable(struct store *s, int on, char **cause)
{
	char	*error;

	if (s->in_tx) {
		xasprintf(cause, "store: durable commits cannot be %s inside "
		    "a transaction", on ? "set" : "cleared");
		return (-1);
	}
	if (s->be->set_durable(s->conn, on, &error) != 0) {
		xasprintf(cause, "store: %s durable commits: %s",
		    on ? "setting" : "clearing", error);
		free(error);
		return (-1);
	}
	return (0);
}

/*
 * For a call made outside a transaction, opens one of its own: *own says
 * whether store_leave must end it.
 */
int
store_enter(struct store *s, int *own, char **cause)
{
	*own = 0;
	if (s->in_tx)
		return (0);
	if (store_begin(s, cause) != 0)
		return (-1);
	*own = 1;
	return (0);
}

/* Ends a call: commits or rolls back its own transaction. */
int
store_leave(struct store *s, int own, int error, char **cause)
{
	if (!own)
		return (error);
	if (error != 0) {
		store_rollback(s);
		return (-1);
	}
	return (store_commit(s, cause));
}

int
store_master(struct store *s, const char *name, const char *basedir,
    int64_t *id, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (name == NULL || *name == '\0') {
		xasprintf(cause, "store: masters: a master needs a name");
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_MASTER_UPSERT, cause)) != NULL) {
		store_bind_text(s, st, 1, name);
		store_bind_text(s, st, 2, basedir);
		s->be->bind_double(st, 3, store_now());
		error = store_run_id(s, STORE_SQL_MASTER_UPSERT, id, cause);
	}
	return (store_leave(s, own, error, cause));
}

static int
store_builder1(struct store *s, int64_t master_id,
    const struct bbm_builder *b, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt		*st;
	const struct bbm_builder_event	*e;
	size_t				 i;

	if ((st = store_stmt(s, STORE_SQL_BUILDER_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, b->name);
	store_bind_text(s, st, 3, b->builddir);
	store_bind_text(s, st, 4, b->description);
	store_bind_text(s, st, 5, b->category);
	store_bind_text(s, st, 6, b->tags);
	store_bind_text(s, st, 7, b->slavenames);
	store_bind_text(s, st, 8, origin);
	s->be->bind_double(st, 9, store_now());
	if (store_run_id(s, STORE_SQL_BUILDER_UPSERT, id, cause) != 0)
		return (-1);
	if (!b->events_known)
		return (0);

	if (store_run_for(s, STORE_SQL_BUILDER_EVENTS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < b->nevents; i++) {
		e = &b->events[i];
		st = store_stmt(s, STORE_SQL_BUILDER_EVENT_INSERT, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, *id);
		store_bind_int(s, st, 2, (int64_t)i);
		store_bind_time(s, st, 3, e->started_at);
		store_bind_time(s, st, 4, e->finished_at);
		store_bind_text(s, st, 5, e->text);
		if (store_run(s, STORE_SQL_BUILDER_EVENT_INSERT, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_builder(struct store *s, int64_t master_id,
    const struct bbm_builder *b, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (b->name == NULL || *b->name == '\0') {
		xasprintf(cause, "store: builders: a builder needs a name");
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_builder1(s, master_id, b, o, id, cause);
	return (store_leave(s, own, error, cause));
}
