/*
 * http-api.c: GET /api/v1/..., the read-only JSON API (doc/api.md): the
 * request (routing, parameter checks, the read transaction, errors, the
 * ETag), statements, SQL assembled from fixed fragments with filters, and
 * keyset pages. http-api-values.c parses parameters and turns columns into
 * JSON; http-api-masters.c and http-api-builds.c hold the endpoints.
 *
 * Every value a client sends is parsed into a number or kept as a string
 * that is only ever bound as a statement parameter; SQL texts are put
 * together from fixed fragments only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http-api-int.h"

/* One endpoint: /api/v1/NAME[/{id}[/SUB]]. */
struct api_route {
	const char	*name;
	int		 has_id;
	const char	*sub;
	const char	*noun;		/* for messages: "build id" */
	const char	*params;	/* the parameters it takes */
	json_t		*(*fn)(struct api *, int64_t);
};

#define API_LIST_BUILDS	"builder master result branch since until slave " \
			"complete limit cursor"
#define API_LIST_CHANGES "master branch author repository project " \
			"revision since until limit cursor"

static json_t	*api_get_index(struct api *, int64_t);

static const struct api_route api_routes[] = {
	{ "", 0, NULL, NULL, "", api_get_index },
	{ "masters", 0, NULL, NULL, "", api_get_masters },
	{ "masters", 1, NULL, "master", "", api_get_master },
	{ "builders", 0, NULL, NULL, "master state", api_get_builders },
	{ "builders", 1, NULL, "builder", "", api_get_builder },
	{ "builds", 0, NULL, NULL, API_LIST_BUILDS, api_get_builds },
	{ "builds", 1, NULL, "build", "", api_get_build },
	{ "builds", 1, "steps", "build", "", api_get_build_steps },
	{ "steps", 1, NULL, "step", "", api_get_step },
	{ "logs", 1, NULL, "log", "", api_get_log },
	{ "changes", 0, NULL, NULL, API_LIST_CHANGES, api_get_changes },
	{ "changes", 1, NULL, "change", "", api_get_change },
	{ "slaves", 0, NULL, NULL, "master connected", api_get_slaves },
	{ "slaves", 1, NULL, "slave", "", api_get_slave },
};

/* --- errors and statements --------------------------------------------- */

void
api_fail(struct api *a, unsigned int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	if (a->status != 0)
		return;
	a->status = status;
	a->code = code;
	va_start(ap, fmt);
	xvasprintf(&a->message, fmt, ap);
	va_end(ap);
}

/*
 * A client's text as it may appear in a message: printable ASCII, other
 * bytes as '?', at most 64 bytes and "..." (caller frees).
 */
char *
api_quote(const char *s)
{
	char	*out;
	size_t	 i, n;

	n = strlen(s);
	out = xmalloc((n > 64 ? 64 : n) + 4);
	for (i = 0; i < n && i < 64; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n > 64) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return (out);
}

struct query_stmt *
api_prepare(struct api *a, const char *sql)
{
	struct query_stmt	*st;
	char			*cause;

	if ((st = query_prepare(a->db, sql, &cause)) == NULL) {
		api_fail(a, 500, "internal", "database: %s", cause);
		free(cause);
	}
	return (st);
}

enum query_step
api_step(struct api *a, struct query_stmt *st, const char *what)
{
	enum query_step	 r;

	if ((r = query_step(st)) == QUERY_ERR)
		api_fail(a, 500, "internal", "database: %s: %s", what,
		    query_errmsg(st));
	return (r);
}

struct query_stmt *
api_by_id(struct api *a, const char *sql, int64_t id)
{
	struct query_stmt	*st;

	if ((st = api_prepare(a, sql)) != NULL)
		query_bind_int64(st, 1, id);
	return (st);
}

json_t *
api_rows(struct api *a, struct query_stmt *st, const char *what,
    json_t *(*row)(struct query_stmt *))
{
	json_t		*rows;
	enum query_step	 r;

	if (st == NULL)
		return (NULL);
	rows = json_array();
	while ((r = api_step(a, st, what)) == QUERY_ROW)
		json_array_append_new(rows, row(st));
	query_reset(st);
	if (r == QUERY_ERR) {
		json_decref(rows);
		return (NULL);
	}
	return (rows);
}

json_t *
api_one(struct api *a, struct query_stmt *st, const char *noun, int64_t id,
    json_t *(*row)(struct query_stmt *))
{
	json_t		*o = NULL;
	enum query_step	 r;

	if (st == NULL)
		return (NULL);
	if ((r = api_step(a, st, noun)) == QUERY_ROW)
		o = row(st);
	else if (r == QUERY_DONE)
		api_fail(a, 404, "not_found", "%s %lld not found", noun,
		    (long long)id);
	query_reset(st);
	return (o);
}

void
api_sql_init(struct api_sql *s, const char *head)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->text, 64 * 1024);
	api_sql_add(s, head);
}

/* The fragments are ours and bounded: the cap is never reached. */
void
api_sql_add(struct api_sql *s, const char *fragment)
{
	if (buf_add(&s->text, fragment, strlen(fragment)) != 0)
		fatalx("api: SQL text too long");
}

void
api_sql_cond(struct api_sql *s, const char *cond)
{
	const char	*p;
	int		 n = s->n;
	char		 num[16];

	api_sql_add(s, s->conds++ == 0 ? " WHERE " : " AND ");
	for (p = cond; *p != '\0'; p++) {
		if (*p != '?') {
			if (buf_add(&s->text, p, 1) != 0)
				fatalx("api: SQL text too long");
			continue;
		}
		snprintf(num, sizeof num, "$%d", ++n);
		api_sql_add(s, num);
	}
}

static struct api_bind *
api_sql_next(struct api_sql *s)
{
	if (s->n >= API_BINDS)
		fatalx("api: too many parameters");
	return (&s->binds[s->n++]);
}

void
api_sql_int(struct api_sql *s, int64_t v)
{
	struct api_bind	*b = api_sql_next(s);

	b->type = API_BIND_INT;
	b->i = v;
}

void
api_sql_real(struct api_sql *s, double v)
{
	struct api_bind	*b = api_sql_next(s);

	b->type = API_BIND_REAL;
	b->d = v;
}

void
api_sql_text(struct api_sql *s, const char *v)
{
	struct api_bind	*b = api_sql_next(s);

	b->type = API_BIND_TEXT;
	b->s = v;
}

/* A copy of s to add more to (the binds' strings are shared). */
static void
api_sql_copy(struct api_sql *dst, const struct api_sql *src)
{
	*dst = *src;
	buf_init(&dst->text, 64 * 1024);
	api_sql_add(dst, src->text.data);
}

struct query_stmt *
api_sql_run(struct api *a, struct api_sql *s)
{
	struct query_stmt	*st;
	struct api_bind		*b;
	int			 i;

	st = api_prepare(a, s->text.data);
	buf_free(&s->text);
	if (st == NULL)
		return (NULL);
	for (i = 0; i < s->n; i++) {
		b = &s->binds[i];
		switch (b->type) {
		case API_BIND_INT:
			query_bind_int64(st, i + 1, b->i);
			break;
		case API_BIND_REAL:
			query_bind_double(st, i + 1, b->d);
			break;
		case API_BIND_TEXT:
			query_bind_text(st, i + 1, b->s);
			break;
		}
	}
	return (st);
}

/*
 * Adds the filters of the request's parameters to s, each a fixed
 * condition with the parsed value bound. 0, or -1 if a value is
 * malformed (s freed).
 */
int
api_filters(struct api *a, struct api_sql *s, const struct api_filter *f,
    size_t n)
{
	const char	*str;
	int64_t		 i;
	double		 d;
	int		 r = 0, flag;

	for (; n > 0 && r >= 0; f++, n--) {
		switch (f->type) {
		case API_FILTER_REF:
			if ((r = api_arg_ref(a, f->arg, &i, &str)) == 1) {
				api_sql_cond(s, str != NULL ? f->cond_name :
				    f->cond);
				if (str != NULL)
					api_sql_text(s, str);
				else
					api_sql_int(s, i);
			}
			break;
		case API_FILTER_TEXT:
			if ((r = api_arg_text(a, f->arg, &str)) == 1) {
				api_sql_cond(s, f->cond);
				api_sql_text(s, str);
			}
			break;
		case API_FILTER_TIME:
			if ((r = api_arg_time(a, f->arg, &d)) == 1) {
				api_sql_cond(s, f->cond);
				api_sql_real(s, d);
			}
			break;
		case API_FILTER_RESULT:
			if ((r = api_arg_result(a, f->arg, &i)) == 1) {
				api_sql_cond(s, f->cond);
				api_sql_int(s, i);
			}
			break;
		case API_FILTER_BOOL:
			if ((r = api_arg_bool(a, f->arg, &flag)) == 1) {
				api_sql_cond(s, f->cond);
				api_sql_int(s, flag);
			}
			break;
		}
	}
	if (r < 0) {
		buf_free(&s->text);
		return (-1);
	}
	return (0);
}

/* --- keyset pages ------------------------------------------------------ */

/* The last row a page holds, for its "next" cursor. */
struct api_last {
	int64_t		 n;	/* rows seen, the one past the page included */
	int		 has_t;
	double		 t;
	int64_t		 id;
};

/*
 * Runs q (freeing it), appending up to limit rows in all to items and
 * counting one more row beyond them, if any, in last->n. 0 or -1.
 */
static int
api_page_run(struct api *a, struct api_sql *q, json_t *items, int64_t limit,
    const struct api_keyset *k, struct api_last *last)
{
	struct query_stmt	*st;
	enum query_step		 r;

	if ((st = api_sql_run(a, q)) == NULL)
		return (-1);
	while ((r = api_step(a, st, k->kind)) == QUERY_ROW) {
		if (last->n++ == limit)
			break;
		json_array_append_new(items, k->row(st));
		last->has_t = !query_column_is_null(st, k->tno);
		last->t = query_column_double(st, k->tno);
		last->id = query_column_int64(st, k->idno);
	}
	query_reset(st);
	return (r == QUERY_ERR ? -1 : 0);
}

/*
 * The keyset page. The order is newest first by (tcol, idcol), rows of
 * unknown time (NULL) last, by id. Rather than one statement with an OR
 * for the NULL rows (which no index serves: each page would scan every row
 * before the cursor), a page is read with up to two statements, each a
 * range of an index: rows with a time up to the cursor, then, if the page
 * is not full yet, rows without one. Rows inserted between two pages never
 * shift the rows after a cursor, so none is seen twice or skipped.
 */
json_t *
api_page(struct api *a, struct api_sql *s, const struct api_keyset *k)
{
	struct api_cursor	 c;
	struct api_sql		 q;
	struct api_last		 last;
	json_t			*items, *body;
	int64_t			 limit;
	char			*sql;

	if (api_arg_limit(a, &limit) < 0 || api_arg_cursor(a, k->kind,
	    &c) < 0) {
		buf_free(&s->text);
		return (NULL);
	}
	memset(&last, 0, sizeof last);
	items = json_array();
	if (!c.set || c.has_t) {
		api_sql_copy(&q, s);
		if (c.set) {
			xasprintf(&sql, "%s <= ? AND (%s < ? OR %s < ?)",
			    k->tcol, k->tcol, k->idcol);
			api_sql_cond(&q, sql);
			api_sql_real(&q, c.t);
			api_sql_real(&q, c.t);
			api_sql_int(&q, c.id);
		} else {
			xasprintf(&sql, "%s IS NOT NULL", k->tcol);
			api_sql_cond(&q, sql);
		}
		free(sql);
		xasprintf(&sql, " ORDER BY %s DESC, %s DESC LIMIT $%d",
		    k->tcol, k->idcol, q.n + 1);
		api_sql_add(&q, sql);
		api_sql_int(&q, limit + 1);
		free(sql);
		if (api_page_run(a, &q, items, limit, k, &last) != 0)
			goto fail;
	}
	if (last.n <= limit) {
		api_sql_copy(&q, s);
		xasprintf(&sql, "%s IS NULL", k->tcol);
		api_sql_cond(&q, sql);
		free(sql);
		if (c.set && !c.has_t) {
			xasprintf(&sql, "%s < ?", k->idcol);
			api_sql_cond(&q, sql);
			api_sql_int(&q, c.id);
			free(sql);
		}
		xasprintf(&sql, " ORDER BY %s DESC LIMIT $%d", k->idcol,
		    q.n + 1);
		api_sql_add(&q, sql);
		api_sql_int(&q, limit + 1 - last.n);
		free(sql);
		if (api_page_run(a, &q, items, limit, k, &last) != 0)
			goto fail;
	}
	buf_free(&s->text);
	body = json_object();
	api_set(body, "items", items);
	if (last.n > limit) {
		sql = api_cursor_make(k->kind, last.has_t, last.t, last.id);
		api_set(body, "next", json_string(sql));
		free(sql);
	} else
		api_set(body, "next", json_null());
	return (body);

fail:
	buf_free(&s->text);
	json_decref(items);
	return (NULL);
}

/* --- the request ------------------------------------------------------- */

static json_t *
api_get_index(struct api *a, int64_t unused)
{
	static const char	*lists[] = { "masters", "builders", "builds",
				    "changes", "slaves" };
	json_t			*o, *links;
	size_t			 i;
	char			*url;

	o = json_object();
	api_set(o, "api", json_integer(1));
	api_set(o, "schema_version",
	    json_integer(query_schema_version(a->db)));
	links = json_object();
	for (i = 0; i < nitems(lists); i++) {
		xasprintf(&url, "/api/v1/%s", lists[i]);
		api_set(links, lists[i], json_string(url));
		free(url);
	}
	api_set(o, "links", links);
	return (o);
}

/* What the parameter check walks over. */
struct api_args {
	struct api	*a;
	const char	*allowed;
	uint32_t	 seen;
};

/* Index of key among the space-separated words of list, or -1. */
static int
api_word(const char *list, const char *key)
{
	size_t		 n = strlen(key);
	const char	*p = list;
	int		 i = 0;

	while (*p != '\0') {
		if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return (i);
		p += strcspn(p, " ");
		p += strspn(p, " ");
		i++;
	}
	return (-1);
}

/*
 * Every query parameter must be one the endpoint takes, given once, with a
 * non-empty value of at most API_ARG_MAX bytes and no NUL byte: a typo in
 * a filter is an error rather than a silently unfiltered list.
 */
static enum MHD_Result
api_check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct api_args	*c = cls;
	char		*q;
	int		 i;

	q = api_quote(key);
	if (strlen(key) != key_size ||
	    (i = api_word(c->allowed, key)) < 0) {
		if (*c->allowed == '\0')
			api_fail(c->a, 400, "bad_request", "unknown parameter "
			    "\"%s\": this endpoint takes none", q);
		else
			api_fail(c->a, 400, "bad_request", "unknown parameter "
			    "\"%s\": this endpoint takes %s", q, c->allowed);
	} else if (c->seen & (1U << i))
		api_fail(c->a, 400, "bad_request", "%s: given more than once",
		    q);
	else if (value == NULL || value_size == 0)
		api_fail(c->a, 400, "bad_request", "%s: empty value", q);
	else if (value_size > API_ARG_MAX)
		api_fail(c->a, 400, "bad_request", "%s: value longer than %d "
		    "bytes", q, API_ARG_MAX);
	else if (strlen(value) != value_size)
		api_fail(c->a, 400, "bad_request", "%s: value holds a NUL byte",
		    q);
	else
		c->seen |= 1U << i;
	free(q);
	return (c->a->status == 0 ? MHD_YES : MHD_NO);
}

/*
 * Finds the route of path ("", "/builds", "/builds/12/steps"...): *id gets
 * the id segment (NULL if none). NULL if no route has that shape.
 */
static const struct api_route *
api_route(const char *path, char **idseg)
{
	const struct api_route	*rt;
	char			*copy, *seg[4], *p;
	size_t			 n = 0, i, len;

	*idseg = NULL;
	copy = xstrdup(path);
	len = strlen(copy);
	if (len > 0 && copy[len - 1] == '/')
		copy[len - 1] = '\0';
	p = copy;
	if (*p == '/')
		p++;
	if (*p != '\0') {
		while (n < nitems(seg)) {
			seg[n++] = p;
			if ((p = strchr(p, '/')) == NULL)
				break;
			*p++ = '\0';
		}
		if (p != NULL) {
			free(copy);
			return (NULL);
		}
	}
	for (i = 0; i < nitems(api_routes); i++) {
		rt = &api_routes[i];
		if (n != (size_t)(rt->name[0] != '\0') + (rt->has_id != 0) +
		    (rt->sub != NULL))
			continue;
		if (n > 0 && strcmp(seg[0], rt->name) != 0)
			continue;
		if (rt->sub != NULL && strcmp(seg[2], rt->sub) != 0)
			continue;
		if (rt->has_id)
			*idseg = xstrdup(seg[1]);
		free(copy);
		return (rt);
	}
	free(copy);
	return (NULL);
}

/* FNV-1a, 128 bits: offset basis and prime 2^88 + 0x13b (in two halves). */
struct api_fnv128 {
	uint64_t	 hi;
	uint64_t	 lo;
};

static int
api_etag_feed(const char *buffer, size_t size, void *data)
{
	struct api_fnv128	*h = data;
	uint64_t		 ac, bc, lo;
	size_t			 i;

	for (i = 0; i < size; i++) {
		h->lo ^= (unsigned char)buffer[i];
		/* (hi, lo) * 0x13b + (lo << 88), modulo 2^128. */
		lo = h->lo;
		ac = (lo & 0xffffffffU) * 0x13b;
		bc = (lo >> 32) * 0x13b;
		h->lo = ac + (bc << 32);
		h->hi = h->hi * 0x13b + (bc >> 32) + (h->lo < ac) +
		    (lo << 24);
	}
	return (0);
}

/* The ETag of a body: FNV-1a 128 of its compact dump, in hex. */
static char *
api_etag(const json_t *body)
{
	struct api_fnv128	 h = { 0x6c62272e07bb0142ULL,
				     0x62b821756295c58dULL };
	char			*etag;

	json_dump_callback(body, api_etag_feed, &h, JSON_COMPACT);
	xasprintf(&etag, "%016llx%016llx", (unsigned long long)h.hi,
	    (unsigned long long)h.lo);
	return (etag);
}

enum MHD_Result
http_api_handle(struct http_req *req, const char *path)
{
	const struct api_route	*rt;
	struct api		 a;
	struct api_args		 args;
	struct http_thread	*t;
	json_t			*body = NULL;
	enum MHD_Result		 ret;
	int64_t			 id = 0;
	char			*idseg, *cause, *q, *etag;

	memset(&a, 0, sizeof a);
	a.req = req;
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		q = api_quote(req->method);
		ret = http_reply_error(req, 405, "method_not_allowed",
		    "%s: the API is read-only, only GET and HEAD are allowed",
		    q);
		free(q);
		return (ret);
	}
	if ((rt = api_route(path, &idseg)) == NULL) {
		q = api_quote(path);
		ret = http_reply_error(req, 404, "not_found",
		    "no such endpoint: /api/v1%s", q);
		free(q);
		return (ret);
	}
	if (idseg != NULL) {
		if (api_parse_int(idseg, 1, INT64_MAX, &id) != 0) {
			q = api_quote(idseg);
			api_fail(&a, 400, "bad_request", "%s id: expected a "
			    "positive integer, got \"%s\"", rt->noun, q);
			free(q);
		}
		free(idseg);
	}
	if (a.status == 0) {
		args.a = &a;
		args.allowed = rt->params;
		args.seen = 0;
		MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND,
		    api_check_arg, &args);
	}
	if (a.status == 0) {
		if ((t = http_thread_get(req, &cause)) == NULL) {
			api_fail(&a, 503, "unavailable", "database: %s",
			    cause);
			free(cause);
		} else if (query_begin(t->db, &cause) != 0) {
			api_fail(&a, 503, "unavailable", "database: %s",
			    cause);
			free(cause);
		} else {
			a.db = t->db;
			body = rt->fn(&a, id);
			query_end(t->db);
		}
	}
	if (a.status != 0) {
		json_decref(body);
		ret = http_reply_error(req, a.status, a.code, "%s",
		    a.message);
		free(a.message);
		return (ret);
	}
	etag = api_etag(body);
	ret = http_reply_json(req, 200, body, etag);
	free(etag);
	return (ret);
}
