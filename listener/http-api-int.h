/*
 * http-api-int.h: what the files of the JSON API (doc/api.md) share.
 *   http-api.c         the request (routing, parameter checks, errors, the
 *                      snapshot, the ETag), statements, SQL assembled from
 *                      fixed fragments, filters, keyset pages;
 *   http-api-values.c  parameters parsed (ids, times, results, cursors)
 *                      and columns turned into JSON;
 *   http-api-masters.c masters, builders, slaves;
 *   http-api-builds.c  builds, steps, logs, changes.
 *
 * A handler gets the request (struct api) inside one read transaction and
 * returns the response body (a new reference), or NULL having recorded an
 * error with api_fail; http-api.c replies after the transaction ended.
 */
#ifndef BBM_HTTP_API_INT_H
#define BBM_HTTP_API_INT_H

#include <stdint.h>

#include <jansson.h>

#include "http.h"
#include "query.h"
#include "util.h"

/* Limits documented in doc/api.md. */
#define API_LIMIT_DEFAULT	50
#define API_LIMIT_MAX		1000
#define API_ARG_MAX		1024	/* bytes of one parameter value */
#define API_BINDS		16
#define API_TIME_MAX		253402300800.0	/* 10000-01-01T00:00:00Z */

#define nitems(a)		(sizeof (a) / sizeof (a)[0])

/* One request. */
struct api {
	struct http_req		*req;
	struct query_db		*db;
	unsigned int		 status;	/* an error: 4xx/5xx; else 0 */
	const char		*code;
	char			*message;
};

/* A query assembled from fixed fragments; values only ever bound. */
enum api_bind_type {
	API_BIND_INT,
	API_BIND_REAL,
	API_BIND_TEXT,
};
struct api_bind {
	enum api_bind_type	 type;
	int64_t			 i;
	double			 d;
	const char		*s;
};
struct api_sql {
	struct buf		 text;
	struct api_bind		 binds[API_BINDS];
	int			 n;
	int			 conds;
};

/* A position in a list ordered newest first by (time, id). */
struct api_cursor {
	int			 set;	/* 0: the first page */
	int			 has_t;	/* 0: time is NULL */
	double			 t;
	int64_t			 id;
};

/* --- http-api.c: errors and statements --------------------------------- */

/* Records the error the request answers with (the first one wins). */
void		 api_fail(struct api *, unsigned int status, const char *code,
		     const char *fmt, ...) PRINTFLIKE(4, 5);
/* A sanitized copy of a client's text for a message (caller frees). */
char		*api_quote(const char *);
/* The cached statement for sql, or NULL having failed the request. */
struct query_stmt *api_prepare(struct api *, const char *sql);
/* query_step; QUERY_ERR fails the request (500 naming what). */
enum query_step	 api_step(struct api *, struct query_stmt *,
		     const char *what);
/* A statement of one id parameter: prepared, bound, or NULL. */
struct query_stmt *api_by_id(struct api *, const char *sql, int64_t id);
/*
 * The rows of st as row() gives them, in an array; api_one: the one row,
 * or a 404 naming noun and id. st may be NULL (a failed prepare). NULL
 * having failed the request.
 */
json_t		*api_rows(struct api *, struct query_stmt *, const char *what,
		     json_t *(*row)(struct query_stmt *));
json_t		*api_one(struct api *, struct query_stmt *, const char *noun,
		     int64_t id, json_t *(*row)(struct query_stmt *));

void		 api_sql_init(struct api_sql *, const char *head);
void		 api_sql_add(struct api_sql *, const char *fragment);
/*
 * Adds a condition (WHERE, then AND) in which each '?' becomes the next
 * $n; the caller adds one bind per '?' with api_sql_int/real/text.
 */
void		 api_sql_cond(struct api_sql *, const char *cond);
void		 api_sql_int(struct api_sql *, int64_t);
void		 api_sql_real(struct api_sql *, double);
void		 api_sql_text(struct api_sql *, const char *);
/* A filter: parameter arg, parsed by type, adds cond with its value. */
enum api_filter_type {
	API_FILTER_REF,		/* id: cond; name: cond_name */
	API_FILTER_TEXT,
	API_FILTER_TIME,
	API_FILTER_RESULT,
	API_FILTER_BOOL,
};
struct api_filter {
	const char		*arg;
	enum api_filter_type	 type;
	const char		*cond;		/* one '?' */
	const char		*cond_name;
};
/*
 * Adds the filters of the request's parameters to s. 0, or -1 if a value
 * is malformed (the request failed with a 400 naming it; s freed).
 */
int		 api_filters(struct api *, struct api_sql *,
		     const struct api_filter *, size_t);
/* Prepares and binds; NULL having failed the request. Frees the text. */
struct query_stmt *api_sql_run(struct api *, struct api_sql *);

/* A list paged by keyset: its order and how a row reads. */
struct api_keyset {
	const char	*kind;		/* "builds": the cursor's kind */
	const char	*tcol;		/* "b.started_at" */
	const char	*idcol;		/* "b.id" */
	int		 tno;		/* their column numbers */
	int		 idno;
	json_t		*(*row)(struct query_stmt *);
};
/*
 * A page of the rows s selects (a SELECT with its filters, freed here),
 * after the request's cursor, limit of them, newest first:
 * {"items": [...], "next": cursor or null}. NULL having failed the
 * request (a bad limit or cursor too).
 */
json_t		*api_page(struct api *, struct api_sql *,
		     const struct api_keyset *);

/* --- http-api-values.c: columns to JSON -------------------------------- */

json_t		*api_col_text(struct query_stmt *, int);
json_t		*api_col_int(struct query_stmt *, int);
json_t		*api_col_bool(struct query_stmt *, int);
json_t		*api_col_time(struct query_stmt *, int);
/* A JSON column as the value it holds (null for SQL NULL). */
json_t		*api_col_json(struct query_stmt *, int);
/* A result code's name (spec section 4), or null. */
json_t		*api_col_result(struct query_stmt *, int);
/* "/api/v1/KIND/ID" (or "/logs/ID" for kind NULL) as a JSON string. */
json_t		*api_url(const char *kind, int64_t id);
/* Sets key to value in obj, stealing value. */
void		 api_set(json_t *obj, const char *key, json_t *value);

/* --- http-api-values.c: parameters ------------------------------------- */

/* A decimal integer in [min, max] (at most 18 digits); 0 or -1. */
int		 api_parse_int(const char *, int64_t min, int64_t max,
		     int64_t *out);

/*
 * Each parser returns 1 when the parameter is present and valid (*out
 * set), 0 when absent, -1 when malformed (the request failed with a 400
 * naming it).
 */
int		 api_arg_id(struct api *, const char *name, int64_t *);
/* A reference by id (digits: *id) or by name (*name). */
int		 api_arg_ref(struct api *, const char *name, int64_t *id,
		     const char **str);
int		 api_arg_text(struct api *, const char *name, const char **);
int		 api_arg_bool(struct api *, const char *name, int *);
/* Epoch seconds or ISO 8601 (UTC unless an offset is given). */
int		 api_arg_time(struct api *, const char *name, double *);
/* A result name or code. */
int		 api_arg_result(struct api *, const char *name, int64_t *);
/* limit (default API_LIMIT_DEFAULT, 1..API_LIMIT_MAX); -1 if malformed. */
int		 api_arg_limit(struct api *, int64_t *);
/* cursor for a list of kind ("builds", "changes"); -1 if malformed. */
int		 api_arg_cursor(struct api *, const char *kind,
		     struct api_cursor *);
/*
 * The cursor of a row (caller frees); api_arg_cursor reads it back, for
 * lists of that kind only.
 */
char		*api_cursor_make(const char *kind, int has_t, double t,
		     int64_t id);

/* --- http-api-masters.c ------------------------------------------------ */

json_t		*api_get_masters(struct api *, int64_t);
json_t		*api_get_master(struct api *, int64_t);
json_t		*api_get_builders(struct api *, int64_t);
json_t		*api_get_builder(struct api *, int64_t);
json_t		*api_get_slaves(struct api *, int64_t);
json_t		*api_get_slave(struct api *, int64_t);

/* --- http-api-builds.c ------------------------------------------------- */

/* The columns and joins api_build_json reads (column 0 on). */
#define API_BUILD_COLUMNS						\
	"b.id, b.builder_id, bl.name, bl.master_id, m.name, b.number, "	\
	"b.started_at, b.finished_at, b.complete, b.results, b.text, "	\
	"b.reason, b.slave, b.blamelist, b.origin, b.updated_at"
#define API_BUILD_FROM							\
	" FROM builds b JOIN builders bl ON bl.id = b.builder_id"	\
	" JOIN masters m ON m.id = bl.master_id"
json_t		*api_build_json(struct query_stmt *);

json_t		*api_get_builds(struct api *, int64_t);
json_t		*api_get_build(struct api *, int64_t);
json_t		*api_get_build_steps(struct api *, int64_t);
json_t		*api_get_step(struct api *, int64_t);
json_t		*api_get_log(struct api *, int64_t);
json_t		*api_get_changes(struct api *, int64_t);
json_t		*api_get_change(struct api *, int64_t);

#endif /* BBM_HTTP_API_INT_H */
