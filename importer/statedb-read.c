/*
 * statedb-read.c: reading the history tables of a state.sqlite into
 * canonical records: the batching queues behind the statedb_next_*
 * iterators, one reader per table with its children (files, properties,
 * builds), and the conversions of column values.
 */
#include "config.h"
#include "statedb.h"
#include "statedb-int.h"

#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Children of one row (files, properties, builds): a sanity cap. */
#define STATEDB_MAX_CHILDREN	1000000

/*
 * Records are read STATEDB_BATCH at a time in one read transaction, then
 * handed out one by one: the master's database is locked only while
 * reading, never while the caller stores what it got.
 */
#define STATEDB_BATCH	256

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
