/*
 * statedb.c: the history tables of a Buildbot 0.8.x state.sqlite as
 * canonical records.
 *
 * The master may be running and writing the same file, so every record is
 * read in its own short read transaction: the row and its children (files,
 * properties, builds) come from one snapshot, and no lock is held between
 * calls while the caller stores the record. Iteration is by key ("id >
 * last"), which keeps the order stable and lets a failed call be retried.
 */
#include "config.h"
#include "statedb.h"

#include <sys/stat.h>

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define STATEDB_BUSY_MS		5000
/* Children of one row (files, properties, builds): a sanity cap. */
#define STATEDB_MAX_CHILDREN	1000000

enum statedb_stmt {
	STATEDB_CHANGE,
	STATEDB_CHANGE_FILES,
	STATEDB_CHANGE_PROPERTIES,
	STATEDB_BUILDSET,
	STATEDB_BUILDSET_PROPERTIES,
	STATEDB_REQUEST,
	STATEDB_REQUEST_BUILDS,
	STATEDB_NSTMT
};

/* The table each statement reads, for error messages. */
static const char *const statedb_tables[STATEDB_NSTMT] = {
	"changes",
	"change_files",
	"change_properties",
	"buildsets",
	"buildset_properties",
	"buildrequests",
	"builds",
};

struct statedb {
	sqlite3		*db;
	char		*path;
	int		 version;
	sqlite3_stmt	*stmt[STATEDB_NSTMT];
	int64_t		 last_change;
	int64_t		 last_buildset;
	int64_t		 last_request;
	/* The snapshot taken at open: parents beyond these are left for
	 * the next run, so every parent read has its children copied. */
	int64_t		 max_change;
	int64_t		 max_buildset;
	int64_t		 max_request;
	/* Where each child table is read: the master's, or an indexed copy. */
	char		*child[4];
	struct statedb_queue {
		void	*items;		/* records read, not handed out yet */
		size_t	 n;
		size_t	 head;
		char	*error;		/* to report once they are handed out */
	}		 changes, buildsets, requests;
};

/*
 * Records are read STATEDB_BATCH at a time in one read transaction, then
 * handed out one by one: the master's database is locked only while
 * reading, never while the caller stores what it got.
 */
#define STATEDB_BATCH	256

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
static void
statedb_error(struct statedb *sd, const char *table, char **cause)
{
	if (table != NULL)
		xasprintf(cause, "%s: %s: %s", sd->path, table,
		    sqlite3_errmsg(sd->db));
	else
		xasprintf(cause, "%s: %s", sd->path, sqlite3_errmsg(sd->db));
}

/*
 * Steps statement idx. Returns 1 on a row, 0 when done (the statement is
 * reset) and -1 with *cause set (the statement is reset).
 */
static int
statedb_step(struct statedb *sd, enum statedb_stmt idx, char **cause)
{
	sqlite3_stmt	*s = sd->stmt[idx];

	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		return (1);
	case SQLITE_DONE:
		sqlite3_reset(s);
		return (0);
	default:
		statedb_error(sd, statedb_tables[idx], cause);
		sqlite3_reset(s);
		return (-1);
	}
}

/*
 * A string column as UTF-8 (caller frees), NULL for SQL NULL. Python 2
 * masters stored byte strings as TEXT or BLOB with no declared encoding,
 * so the bytes go through utf8_from_bytes whatever the storage class.
 */
static char *
statedb_text(sqlite3_stmt *s, int col)
{
	const void	*p;
	int		 n;

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return (NULL);
	p = sqlite3_column_blob(s, col);
	n = sqlite3_column_bytes(s, col);
	if (p == NULL || n <= 0) {
		if (sqlite3_errcode(sqlite3_db_handle(s)) == SQLITE_NOMEM)
			fatalx("sqlite3: out of memory");
		return (xstrdup(""));
	}
	return (utf8_from_bytes(p, (size_t)n, NULL));
}

/* A time column: epoch seconds, REAL or INTEGER; NULL is BBM_NO_TIME. */
static double
statedb_time(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return (BBM_NO_TIME);
	return (sqlite3_column_double(s, col));
}

/* A results column: NULL and negative values (-1: pending) are none. */
static int
statedb_results(sqlite3_stmt *s, int col)
{
	int64_t	 v;

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return (BBM_NO_RESULT);
	v = sqlite3_column_int64(s, col);
	if (v < 0 || v > INT_MAX)
		return (BBM_NO_RESULT);
	return ((int)v);
}

/* A boolean column (complete, is_dir): NULL is false. */
static int
statedb_flag(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return (0);
	return (sqlite3_column_int64(s, col) != 0);
}

/* Compact JSON with sorted keys, the text every normaliser produces. */
static char *
statedb_json(const json_t *j)
{
	char	*s, *out;

	s = json_dumps(j, JSON_COMPACT|JSON_SORT_KEYS|JSON_ENCODE_ANY);
	if (s == NULL)
		fatalx("statedb: json_dumps failed");
	out = xstrdup(s);
	free(s);
	return (out);
}

/*
 * Fills p from a property row. The master stores json.dumps((value,
 * source)); a value that is not such a pair (a two-element list whose
 * second element is a string) is the value itself, from fallback_source.
 * Text that is not JSON at all could not have been read back by the
 * master either; it is kept as a JSON string rather than lost.
 */
static void
statedb_property(struct bbm_property *p, sqlite3_stmt *s,
    const char *fallback_source)
{
	json_t		*j, *source;
	json_error_t	 error;
	char		*text;
	size_t		 len;
	const void	*raw;
	int		 n;

	p->name = statedb_text(s, 0);
	if (p->name == NULL)
		p->name = xstrdup("");

	if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
		p->value = xstrdup("null");
		p->source = xstrdup(fallback_source);
		return;
	}
	raw = sqlite3_column_blob(s, 1);
	n = sqlite3_column_bytes(s, 1);
	text = utf8_from_bytes(raw != NULL ? raw : "", n > 0 ? (size_t)n : 0,
	    &len);
	j = json_loadb(text, len, JSON_DECODE_ANY|JSON_ALLOW_NUL, &error);
	if (j == NULL) {
		j = json_stringn(text, len);
		p->value = statedb_json(j);
		p->source = xstrdup(fallback_source);
	} else if (json_is_array(j) && json_array_size(j) == 2 &&
	    json_is_string(source = json_array_get(j, 1))) {
		p->value = statedb_json(json_array_get(j, 0));
		p->source = xstrdup(json_string_value(source));
	} else {
		p->value = statedb_json(j);
		p->source = xstrdup(fallback_source);
	}
	json_decref(j);
	free(text);
}

/*
 * Reads the properties of row id through statement idx into *props and *n
 * (appending; the caller's record owns them). Returns 0 or -1 with *cause.
 */
static int
statedb_properties(struct statedb *sd, enum statedb_stmt idx, int64_t id,
    const char *fallback_source, struct bbm_property **props, size_t *n,
    char **cause)
{
	sqlite3_stmt	*s = sd->stmt[idx];
	size_t		 cap = 0;
	int		 r;

	sqlite3_bind_int64(s, 1, id);
	while ((r = statedb_step(sd, idx, cause)) == 1) {
		if (*n == STATEDB_MAX_CHILDREN) {
			sqlite3_reset(s);
			xasprintf(cause, "%s: %s: more than %d properties for "
			    "id %lld", sd->path, statedb_tables[idx],
			    STATEDB_MAX_CHILDREN, (long long)id);
			return (-1);
		}
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			*props = xreallocarray(*props, cap, sizeof **props);
		}
		memset(&(*props)[*n], 0, sizeof **props);
		statedb_property(&(*props)[(*n)++], s, fallback_source);
	}
	return (r);
}

/* Starts the read transaction of one record. */
static int
statedb_begin(struct statedb *sd, const char *table, char **cause)
{
	if (sqlite3_exec(sd->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		statedb_error(sd, table, cause);
		return (-1);
	}
	return (0);
}

/* Ends it: COMMIT after success (releases the lock), ROLLBACK on error. */
static int
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

/* Reads the files of change id into c. Returns 0 or -1 with *cause. */
static int
statedb_change_files(struct statedb *sd, int64_t id, struct bbm_change *c,
    char **cause)
{
	sqlite3_stmt	*s = sd->stmt[STATEDB_CHANGE_FILES];
	size_t		 cap = 0;
	char		*name;
	int		 r;

	sqlite3_bind_int64(s, 1, id);
	while ((r = statedb_step(sd, STATEDB_CHANGE_FILES, cause)) == 1) {
		if (c->nfiles == STATEDB_MAX_CHILDREN) {
			sqlite3_reset(s);
			xasprintf(cause, "%s: change_files: more than %d files "
			    "for change %lld", sd->path, STATEDB_MAX_CHILDREN,
			    (long long)id);
			return (-1);
		}
		if ((name = statedb_text(s, 0)) == NULL)
			name = xstrdup("");
		if (c->nfiles == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			c->files = xreallocarray(c->files, cap,
			    sizeof *c->files);
		}
		c->files[c->nfiles++] = name;
	}
	return (r);
}

typedef int (*statedb_read_fn)(struct statedb *, void *, char **);

/*
 * Hands out the next record of q, reading the next batch (one read
 * transaction) when q is empty. Records read before an error are handed
 * out first; the error comes after them, and the call after that retries
 * from the first unread row.
 */
static int
statedb_next(struct statedb *sd, struct statedb_queue *q, size_t size,
    const char *table, statedb_read_fn read_fn, void *out, char **cause)
{
	char	*item;
	int	 r = 0;

	if (q->head == q->n && q->error == NULL) {
		q->head = q->n = 0;
		if (q->items == NULL)
			q->items = xcalloc(STATEDB_BATCH, size);
		if (statedb_begin(sd, table, cause) != 0)
			return (-1);
		while (q->n < STATEDB_BATCH) {
			item = (char *)q->items + q->n * size;
			if ((r = read_fn(sd, item, &q->error)) != 1)
				break;
			q->n++;
		}
		if (statedb_end(sd, r != -1, table, r == -1 ? NULL :
		    &q->error) != 0 && r != -1)
			r = -1;
	}
	if (q->head < q->n) {
		memcpy(out, (char *)q->items + q->head++ * size, size);
		return (1);
	}
	memset(out, 0, size);
	if (q->error != NULL) {
		*cause = q->error;
		q->error = NULL;
		return (-1);
	}
	return (0);
}

/*
 * Next change by changeid: changeid is the master's change number, files
 * come from change_files and properties from change_properties, both in
 * insertion order. See statedb.h for the return convention.
 */
static int
statedb_read_change(struct statedb *sd, void *arg, char **cause)
{
	struct bbm_change	*c = arg;
	sqlite3_stmt	*s = sd->stmt[STATEDB_CHANGE];
	int		 r;

	memset(c, 0, sizeof *c);
	sqlite3_bind_int64(s, 1, sd->last_change);
	if ((r = statedb_step(sd, STATEDB_CHANGE, cause)) != 1)
		goto out;

	c->number = sqlite3_column_int64(s, 0);
	c->author = statedb_text(s, 1);
	c->comments = statedb_text(s, 2);
	c->is_dir = statedb_flag(s, 3);
	c->branch = statedb_text(s, 4);
	c->revision = statedb_text(s, 5);
	c->revlink = statedb_text(s, 6);
	c->when = statedb_time(s, 7);
	c->category = statedb_text(s, 8);
	c->repository = statedb_text(s, 9);
	c->project = statedb_text(s, 10);
	c->codebase = statedb_text(s, 11);
	sqlite3_reset(s);

	if (statedb_change_files(sd, c->number, c, cause) != 0 ||
	    statedb_properties(sd, STATEDB_CHANGE_PROPERTIES, c->number,
	    "Change", &c->properties, &c->nproperties, cause) != 0)
		r = -1;
out:
	if (r != 1) {
		record_change_free(c);
		return (r);
	}
	sd->last_change = c->number;
	return (1);
}

int
statedb_next_change(struct statedb *sd, struct bbm_change *out, char **cause)
{
	return (statedb_next(sd, &sd->changes, sizeof *out, "changes",
	    statedb_read_change, out, cause));
}

/*
 * Next buildset by id, with its properties. A bare (non-pair) property
 * value has no source in the row; it is attributed to "BuildSet".
 */
static int
statedb_read_buildset(struct statedb *sd, void *arg, char **cause)
{
	struct bbm_buildset	*bs = arg;
	sqlite3_stmt	*s = sd->stmt[STATEDB_BUILDSET];
	int		 r;

	memset(bs, 0, sizeof *bs);
	sqlite3_bind_int64(s, 1, sd->last_buildset);
	if ((r = statedb_step(sd, STATEDB_BUILDSET, cause)) != 1)
		goto out;

	bs->bsid = sqlite3_column_int64(s, 0);
	bs->external_idstring = statedb_text(s, 1);
	bs->reason = statedb_text(s, 2);
	bs->submitted_at = statedb_time(s, 3);
	bs->complete = statedb_flag(s, 4);
	bs->complete_at = statedb_time(s, 5);
	bs->results = statedb_results(s, 6);
	sqlite3_reset(s);

	if (statedb_properties(sd, STATEDB_BUILDSET_PROPERTIES, bs->bsid,
	    "BuildSet", &bs->properties, &bs->nproperties, cause) != 0)
		r = -1;
out:
	if (r != 1) {
		record_buildset_free(bs);
		return (r);
	}
	sd->last_buildset = bs->bsid;
	return (1);
}

int
statedb_next_buildset(struct statedb *sd, struct bbm_buildset *out, char **cause)
{
	return (statedb_next(sd, &sd->buildsets, sizeof *out, "buildsets",
	    statedb_read_buildset, out, cause));
}

/* Reads the builds rows of request id into br. Returns 0 or -1. */
static int
statedb_request_builds(struct statedb *sd, int64_t id,
    struct bbm_buildrequest *br, char **cause)
{
	sqlite3_stmt			*s = sd->stmt[STATEDB_REQUEST_BUILDS];
	struct bbm_request_build	*b;
	size_t				 cap = 0;
	int				 r;

	sqlite3_bind_int64(s, 1, id);
	while ((r = statedb_step(sd, STATEDB_REQUEST_BUILDS, cause)) == 1) {
		if (br->nbuilds == STATEDB_MAX_CHILDREN) {
			sqlite3_reset(s);
			xasprintf(cause, "%s: builds: more than %d builds for "
			    "request %lld", sd->path, STATEDB_MAX_CHILDREN,
			    (long long)id);
			return (-1);
		}
		if (br->nbuilds == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			br->builds = xreallocarray(br->builds, cap,
			    sizeof *br->builds);
		}
		b = &br->builds[br->nbuilds++];
		b->number = sqlite3_column_int64(s, 0);
		b->started_at = statedb_time(s, 1);
		b->finished_at = statedb_time(s, 2);
	}
	return (r);
}

/*
 * Next build request by id, with its claim and its builds rows. An
 * unclaimed request has claimed_at 0 (old schema) or no claim row: both
 * are BBM_NO_TIME.
 */
static int
statedb_read_buildrequest(struct statedb *sd, void *arg, char **cause)
{
	struct bbm_buildrequest	*br = arg;
	sqlite3_stmt	*s = sd->stmt[STATEDB_REQUEST];
	int		 r;

	memset(br, 0, sizeof *br);
	sqlite3_bind_int64(s, 1, sd->last_request);
	if ((r = statedb_step(sd, STATEDB_REQUEST, cause)) != 1)
		goto out;

	br->brid = sqlite3_column_int64(s, 0);
	br->bsid = sqlite3_column_int64(s, 1);
	br->builder_name = statedb_text(s, 2);
	br->priority = sqlite3_column_int64(s, 3);
	br->submitted_at = statedb_time(s, 4);
	br->claimed_at = statedb_time(s, 5);
	if (br->claimed_at == 0)
		br->claimed_at = BBM_NO_TIME;
	br->claimed_by = statedb_text(s, 6);
	br->complete = statedb_flag(s, 7);
	br->complete_at = statedb_time(s, 8);
	br->results = statedb_results(s, 9);
	sqlite3_reset(s);

	if (statedb_request_builds(sd, br->brid, br, cause) != 0)
		r = -1;
out:
	if (r != 1) {
		record_buildrequest_free(br);
		return (r);
	}
	sd->last_request = br->brid;
	return (1);
}

int
statedb_next_buildrequest(struct statedb *sd, struct bbm_buildrequest *out, char **cause)
{
	return (statedb_next(sd, &sd->requests, sizeof *out, "buildrequests",
	    statedb_read_buildrequest, out, cause));
}
