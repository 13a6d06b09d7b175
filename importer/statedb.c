/*
 * statedb.c: the history tables of a Buildbot 0.8.x state.sqlite as
 * canonical records: opening the file read-only, detecting its schema,
 * taking the snapshot the import reads and preparing the statements. The
 * records themselves are read in statedb-read.c.
 *
 * The master may be running and writing the same file, so every record is
 * read in its own short read transaction: the row and its children (files,
 * properties, builds) come from one snapshot, and no lock is held between
 * calls while the caller stores the record. Iteration is by key ("id >
 * last"), which keeps the order stable and lets a failed call be retried.
 */
#include "config.h"
#include "statedb.h"
#include "statedb-int.h"

#include <sys/stat.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define STATEDB_BUSY_MS		5000

/* The table each statement reads, for error messages. */
const char *const statedb_tables[STATEDB_NSTMT] = {
	"changes",
	"change_files",
	"change_properties",
	"buildsets",
	"buildset_properties",
	"buildrequests",
	"builds",
};

/*
 * Builds a read-only URI for path. Every byte outside the unreserved set
 * is percent-encoded so that '?', '#' and '%' in a directory name cannot
 * be taken for URI syntax. Caller frees.
 */
static char *
statedb_uri(const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	static const char	 query[] = "?mode=ro&immutable=0";
	const unsigned char	*p;
	char			*uri, *o;
	size_t			 len;

	len = strlen(path);
	if (len > (SIZE_MAX - sizeof query - 8) / 3)
		fatalx("statedb_uri: path too long");
	uri = o = xmalloc(len * 3 + sizeof query + 8);
	/* "file://" + "/abs" names an absolute path with an empty authority. */
	o = stpcpy(o, path[0] == '/' ? "file://" : "file:");
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
	}
	strcpy(o, query);
	return (uri);
}

/* Sets *cause to "FILE: TABLE: sqlite message" (TABLE may be NULL). */
void
statedb_error(struct statedb *sd, const char *table, char **cause)
{
	if (table != NULL)
		xasprintf(cause, "%s: %s: %s", sd->path, table,
		    sqlite3_errmsg(sd->db));
	else
		xasprintf(cause, "%s: %s", sd->path, sqlite3_errmsg(sd->db));
}

/* Starts the read transaction of one record. */
int
statedb_begin(struct statedb *sd, const char *table, char **cause)
{
	if (sqlite3_exec(sd->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		statedb_error(sd, table, cause);
		return (-1);
	}
	return (0);
}

/* Ends it: COMMIT after success (releases the lock), ROLLBACK on error. */
int
statedb_end(struct statedb *sd, int ok, const char *table, char **cause)
{
	if (!ok) {
		if (sqlite3_get_autocommit(sd->db) == 0)
			sqlite3_exec(sd->db, "ROLLBACK", NULL, NULL, NULL);
		return (-1);
	}
	if (sqlite3_exec(sd->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		statedb_error(sd, table, cause);
		if (sqlite3_get_autocommit(sd->db) == 0)
			sqlite3_exec(sd->db, "ROLLBACK", NULL, NULL, NULL);
		return (-1);
	}
	return (0);
}

/* Whether table exists: 1, 0, or -1 with *cause (not a database ...). */
static int
statedb_has_table(struct statedb *sd, const char *table, char **cause)
{
	sqlite3_stmt	*s;
	int		 r;

	if (sqlite3_prepare_v2(sd->db, "SELECT 1 FROM sqlite_master WHERE "
	    "type = 'table' AND name = ?1", -1, &s, NULL) != SQLITE_OK) {
		statedb_error(sd, NULL, cause);
		return (-1);
	}
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		r = 1;
		break;
	case SQLITE_DONE:
		r = 0;
		break;
	default:
		statedb_error(sd, NULL, cause);
		r = -1;
		break;
	}
	sqlite3_finalize(s);
	return (r);
}

/* Whether table has column: 1, 0, or -1 with *cause. */
static int
statedb_has_column(struct statedb *sd, const char *table, const char *column,
    char **cause)
{
	sqlite3_stmt		*s;
	char			*sql;
	const unsigned char	*name;
	int			 r, found = 0;

	xasprintf(&sql, "PRAGMA table_info(\"%s\")", table);
	r = sqlite3_prepare_v2(sd->db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK) {
		statedb_error(sd, table, cause);
		return (-1);
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		name = sqlite3_column_text(s, 1);
		if (name != NULL && sqlite3_stricmp((const char *)name,
		    column) == 0)
			found = 1;
	}
	if (r != SQLITE_DONE) {
		statedb_error(sd, table, cause);
		found = -1;
	}
	sqlite3_finalize(s);
	return (found);
}

/*
 * Reads the schema version: `migrate_version` (0.8.4+; it replaced the
 * `version` table, which the upgrade drops) or `version` (0.8.0-0.8.3).
 * Migrate versions 1-6 carry over the old numbers, so a master interrupted
 * in its first migrate upgrade still has a readable 0.8.3 schema.
 */
static int
statedb_detect(struct statedb *sd, char **cause)
{
	sqlite3_stmt	*s;
	const char	*sql, *table;
	int		 r, migrate, max;

	if ((migrate = statedb_has_table(sd, "migrate_version", cause)) == -1)
		return (-1);
	if (migrate) {
		table = "migrate_version";
		sql = "SELECT version FROM migrate_version WHERE "
		    "repository_id = 'Buildbot'";
		max = 24;
	} else {
		if ((r = statedb_has_table(sd, "version", cause)) == -1)
			return (-1);
		if (r == 0) {
			xasprintf(cause, "%s: no version or migrate_version "
			    "table: not a Buildbot 0.8 database", sd->path);
			return (-1);
		}
		table = "version";
		sql = "SELECT version FROM version";
		max = 6;
	}
	if (sqlite3_prepare_v2(sd->db, sql, -1, &s, NULL) != SQLITE_OK) {
		statedb_error(sd, table, cause);
		return (-1);
	}
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
		sd->version = sqlite3_column_int(s, 0);
	else if (r == SQLITE_ROW || r == SQLITE_DONE)
		sd->version = 0;
	else {
		statedb_error(sd, table, cause);
		sqlite3_finalize(s);
		return (-1);
	}
	sqlite3_finalize(s);
	if (r == SQLITE_DONE) {
		xasprintf(cause, "%s: %s: no %sversion row", sd->path, table,
		    migrate ? "'Buildbot' " : "");
		return (-1);
	}
	if (sd->version < 1 || sd->version > max) {
		xasprintf(cause, "%s: %s: unknown version %d (Buildbot 0.8 "
		    "has 1-%d)", sd->path, table, sd->version, max);
		return (-1);
	}
	return (0);
}

/*
 * Child tables, read by their parent's id. Masters older than Buildbot's
 * migration 017 (0.8.6) have no index on these columns, so one lookup per
 * parent would scan the whole table: quadratic in the history.
 */
static const struct {
	const char	*table;
	const char	*column;
} statedb_children[] = {
	{ "change_files", "changeid" },
	{ "change_properties", "changeid" },
	{ "buildset_properties", "buildsetid" },
	{ "builds", "brid" },
};
#define STATEDB_NCHILDREN \
	(sizeof statedb_children / sizeof statedb_children[0])

/* Whether an index of table starts with column: 1, 0, or -1 with *cause. */
static int
statedb_indexed(struct statedb *sd, const char *table, const char *column,
    char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 r, found = 0;

	xasprintf(&sql, "SELECT 1 FROM pragma_index_list('%s') AS l, "
	    "pragma_index_info(l.name) AS i WHERE i.seqno = 0 AND "
	    "i.name = '%s'", table, column);
	r = sqlite3_prepare_v2(sd->db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK) {
		statedb_error(sd, table, cause);
		return (-1);
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		found = 1;
		break;
	case SQLITE_DONE:
		break;
	default:
		statedb_error(sd, table, cause);
		found = -1;
		break;
	}
	sqlite3_finalize(s);
	return (found);
}

/* The largest id of table (0 if empty) into *max; 0 or -1 with *cause. */
static int
statedb_max_id(struct statedb *sd, const char *table, const char *column,
    int64_t *max, char **cause)
{
	sqlite3_stmt	*s;
	char		*sql;
	int		 r;

	xasprintf(&sql, "SELECT coalesce(max(%s), 0) FROM %s", column, table);
	r = sqlite3_prepare_v2(sd->db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		statedb_error(sd, table, cause);
		sqlite3_finalize(s);
		return (-1);
	}
	*max = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (0);
}

/*
 * Takes the snapshot the import reads: in one read transaction, the
 * parents' largest ids and an indexed TEMP copy of every child table the
 * master did not index (the master's database is never written).
 */
static int
statedb_snapshot(struct statedb *sd, char **cause)
{
	const char	*table, *column;
	char		*sql, *error = NULL;
	size_t		 i;
	int		 indexed;

	if (statedb_begin(sd, "snapshot", cause) != 0)
		return (-1);
	if (statedb_max_id(sd, "changes", "changeid", &sd->max_change,
	    cause) != 0 ||
	    statedb_max_id(sd, "buildsets", "id", &sd->max_buildset,
	    cause) != 0 ||
	    statedb_max_id(sd, "buildrequests", "id", &sd->max_request,
	    cause) != 0)
		goto fail;
	for (i = 0; i < STATEDB_NCHILDREN; i++) {
		table = statedb_children[i].table;
		column = statedb_children[i].column;
		if ((indexed = statedb_indexed(sd, table, column, cause)) == -1)
			goto fail;
		if (indexed) {
			sd->child[i] = xstrdup(table);
			continue;
		}
		xasprintf(&sql, "CREATE TEMP TABLE bbm_%s AS SELECT * FROM "
		    "main.%s ORDER BY rowid; CREATE INDEX temp.bbm_%s_parent "
		    "ON bbm_%s (%s)", table, table, table, table, column);
		if (sqlite3_exec(sd->db, sql, NULL, NULL, &error) !=
		    SQLITE_OK) {
			xasprintf(cause, "%s: copying %s: %s", sd->path, table,
			    error);
			sqlite3_free(error);
			free(sql);
			goto fail;
		}
		free(sql);
		xasprintf(&sd->child[i], "temp.bbm_%s", table);
	}
	return (statedb_end(sd, 1, "snapshot", cause));
fail:
	statedb_end(sd, 0, "snapshot", cause);
	return (-1);
}

/*
 * Prepares the readers for the columns this schema has: project and
 * codebase are optional in changes (a column Buildbot had not added yet
 * reads as '', the default its migrations give it and the value a pickled
 * Change of that version normalises to, so both sources agree); build request claims moved from
 * buildrequests.claimed_at/claimed_by_name to buildrequest_claims (joined
 * to objects for the master's name) in migrate 011.
 */
static int
statedb_prepare(struct statedb *sd, char **cause)
{
	const char	*sql[STATEDB_NSTMT], *claim, *claim_join;
	char		*change_sql, *request_sql, *child_sql[4];
	int		 project, codebase, old_claims, claims, objects, i;
	int		 r = -1;

	if ((project = statedb_has_column(sd, "changes", "project",
	    cause)) == -1 ||
	    (codebase = statedb_has_column(sd, "changes", "codebase",
	    cause)) == -1 ||
	    (old_claims = statedb_has_column(sd, "buildrequests", "claimed_at",
	    cause)) == -1 ||
	    (claims = statedb_has_table(sd, "buildrequest_claims",
	    cause)) == -1 ||
	    (objects = statedb_has_table(sd, "objects", cause)) == -1)
		return (-1);

	if (old_claims) {
		claim = "r.claimed_at, r.claimed_by_name";
		claim_join = "";
	} else if (claims && objects) {
		claim = "c.claimed_at, o.name";
		claim_join = " LEFT JOIN buildrequest_claims AS c ON "
		    "c.brid = r.id LEFT JOIN objects AS o ON o.id = c.objectid";
	} else if (claims) {
		claim = "c.claimed_at, NULL";
		claim_join = " LEFT JOIN buildrequest_claims AS c ON "
		    "c.brid = r.id";
	} else {
		claim = "NULL, NULL";
		claim_join = "";
	}
	if (statedb_snapshot(sd, cause) != 0)
		return (-1);
	xasprintf(&change_sql, "SELECT changeid, author, comments, is_dir, "
	    "branch, revision, revlink, when_timestamp, category, repository, "
	    "%s, %s FROM changes WHERE changeid > ?1 AND changeid <= ?2 "
	    "ORDER BY changeid LIMIT 1",
	    project ? "project" : "''", codebase ? "codebase" : "''");
	/* Claims are unique per request; the ORDER BY keeps a stray one out. */
	xasprintf(&request_sql, "SELECT r.id, r.buildsetid, r.buildername, "
	    "r.priority, r.submitted_at, %s, r.complete, r.complete_at, "
	    "r.results FROM buildrequests AS r%s WHERE r.id > ?1 AND "
	    "r.id <= ?2 ORDER BY r.id%s LIMIT 1", claim, claim_join,
	    claim_join[0] != '\0' ? ", c.rowid" : "");

	sql[STATEDB_CHANGE] = change_sql;
	xasprintf(&child_sql[0], "SELECT filename FROM %s WHERE changeid = ?1 "
	    "ORDER BY rowid", sd->child[0]);
	xasprintf(&child_sql[1], "SELECT property_name, property_value FROM "
	    "%s WHERE changeid = ?1 ORDER BY rowid", sd->child[1]);
	xasprintf(&child_sql[2], "SELECT property_name, property_value FROM "
	    "%s WHERE buildsetid = ?1 ORDER BY rowid", sd->child[2]);
	xasprintf(&child_sql[3], "SELECT number, start_time, finish_time "
	    "FROM %s WHERE brid = ?1 ORDER BY id", sd->child[3]);
	sql[STATEDB_CHANGE_FILES] = child_sql[0];
	sql[STATEDB_CHANGE_PROPERTIES] = child_sql[1];
	sql[STATEDB_BUILDSET] = "SELECT id, external_idstring, reason, "
	    "submitted_at, complete, complete_at, results FROM buildsets "
	    "WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT 1";
	sql[STATEDB_BUILDSET_PROPERTIES] = child_sql[2];
	sql[STATEDB_REQUEST] = request_sql;
	sql[STATEDB_REQUEST_BUILDS] = child_sql[3];

	for (i = 0; i < STATEDB_NSTMT; i++) {
		if (sqlite3_prepare_v3(sd->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &sd->stmt[i], NULL) !=
		    SQLITE_OK) {
			statedb_error(sd, statedb_tables[i], cause);
			goto out;
		}
	}
	/* The snapshot's bounds stay bound across resets. */
	sqlite3_bind_int64(sd->stmt[STATEDB_CHANGE], 2, sd->max_change);
	sqlite3_bind_int64(sd->stmt[STATEDB_BUILDSET], 2, sd->max_buildset);
	sqlite3_bind_int64(sd->stmt[STATEDB_REQUEST], 2, sd->max_request);
	r = 0;
out:
	free(change_sql);
	free(request_sql);
	for (i = 0; i < 4; i++)
		free(child_sql[i]);
	return (r);
}

/*
 * Opens path read-only; see statedb.h. A missing file is not an error
 * (0.7 masters have none); anything else that keeps us from reading it as
 * a 0.8 database is. The stat comes first because SQLite would otherwise
 * report a missing file as a generic "unable to open".
 */
struct statedb *
statedb_open(const char *path, char **cause)
{
	struct statedb	*sd;
	struct stat	 sb;
	char		*uri;
	int		 rc;

	*cause = NULL;
	sd = xcalloc(1, sizeof *sd);
	sd->path = xstrdup(path);
	if (stat(sd->path, &sb) != 0) {
		if (errno != ENOENT)
			xasprintf(cause, "%s: %s", sd->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", sd->path);
		goto fail;
	}

	uri = statedb_uri(sd->path);
	rc = sqlite3_open_v2(uri, &sd->db, SQLITE_OPEN_READONLY|SQLITE_OPEN_URI,
	    NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "%s: %s", sd->path, sd->db != NULL ?
		    sqlite3_errmsg(sd->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(sd->db, STATEDB_BUSY_MS);
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	/* Reading history must not run functions from the file's schema. */
	sqlite3_db_config(sd->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
#endif

	if (statedb_detect(sd, cause) != 0 || statedb_prepare(sd, cause) != 0)
		goto fail;
	return (sd);

fail:
	statedb_close(sd);
	return (NULL);
}

static void
statedb_free_change(void *p)
{
	record_change_free(p);
}

static void
statedb_free_buildset(void *p)
{
	record_buildset_free(p);
}

static void
statedb_free_buildrequest(void *p)
{
	record_buildrequest_free(p);
}

/* Frees the records of q that were never handed out. */
static void
statedb_queue_free(struct statedb_queue *q, size_t size, void (*fn)(void *))
{
	for (; q->head < q->n; q->head++)
		fn((char *)q->items + q->head * size);
	free(q->items);
	free(q->error);
}

void
statedb_close(struct statedb *sd)
{
	int	 i;

	if (sd == NULL)
		return;
	statedb_queue_free(&sd->changes, sizeof (struct bbm_change),
	    statedb_free_change);
	statedb_queue_free(&sd->buildsets, sizeof (struct bbm_buildset),
	    statedb_free_buildset);
	statedb_queue_free(&sd->requests, sizeof (struct bbm_buildrequest),
	    statedb_free_buildrequest);
	for (i = 0; i < STATEDB_NSTMT; i++)
		sqlite3_finalize(sd->stmt[i]);
	for (i = 0; i < 4; i++)
		free(sd->child[i]);
	if (sd->db != NULL)
		sqlite3_close(sd->db);
	free(sd->path);
	free(sd);
}

int
statedb_version(const struct statedb *sd)
{
	return (sd->version);
}

const char *
statedb_path(const struct statedb *sd)
{
	return (sd->path);
}
