/*
 * http-api-masters.c: the masters, builders and slaves of the JSON API
 * (doc/api.md): what the masters' configurations hold, as whole lists, and
 * each with its counts, state and latest build.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http-api-int.h"

/* --- masters ----------------------------------------------------------- */

#define API_MASTER_SQL							\
	"SELECT m.id, m.name, m.basedir, m.created_at, lm.last_seq, "	\
	"lm.updated_at FROM masters m "					\
	"LEFT JOIN live_masters lm ON lm.master_id = m.id"

static json_t *
api_master_json(struct query_stmt *st)
{
	json_t	*o, *live;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "name", api_col_text(st, 1));
	api_set(o, "basedir", api_col_text(st, 2));
	api_set(o, "created_at", api_col_time(st, 3));
	if (query_column_is_null(st, 4))
		live = json_null();
	else {
		live = json_object();
		api_set(live, "last_seq", api_col_int(st, 4));
		api_set(live, "updated_at", api_col_time(st, 5));
	}
	api_set(o, "live", live);
	api_set(o, "url", api_url("masters", query_column_int64(st, 0)));
	return (o);
}

/*
 * A whole list (masters, builders, slaves: as many as the masters'
 * configurations hold): {"items": [...]}.
 */
static json_t *
api_list(struct api *a, struct query_stmt *st, const char *what,
    json_t *(*row)(struct query_stmt *))
{
	json_t	*rows, *body;

	if ((rows = api_rows(a, st, what, row)) == NULL)
		return (NULL);
	body = json_object();
	api_set(body, "items", rows);
	return (body);
}

/*
 * api_list of the rows of sql narrowed by the request's arguments as the n
 * filters say, in the order order ("ORDER BY ..." with a leading space)
 * gives; NULL having failed the request.
 */
static json_t *
api_list_filtered(struct api *a, const char *sql, const struct api_filter *f,
    size_t n, const char *order, const char *what,
    json_t *(*row)(struct query_stmt *))
{
	struct api_sql		 s;
	struct query_stmt	*st;

	api_sql_init(&s, sql);
	if (api_filters(a, &s, f, n) != 0)
		return (NULL);
	api_sql_add(&s, order);
	if ((st = api_sql_run(a, &s)) == NULL)
		return (NULL);
	return (api_list(a, st, what, row));
}

/* A count(*) query of one id parameter; -1 having failed the request. */
static int64_t
api_count(struct api *a, const char *sql, int64_t id)
{
	struct query_stmt	*st;
	int64_t			 n = -1;

	if ((st = api_by_id(a, sql, id)) == NULL)
		return (-1);
	if (api_step(a, st, "count") == QUERY_ROW)
		n = query_column_int64(st, 0);
	query_reset(st);
	return (n);
}

json_t *
api_get_masters(struct api *a, int64_t unused)
{
	return (api_list(a, api_prepare(a, API_MASTER_SQL " ORDER BY m.id"),
	    "masters", api_master_json));
}

json_t *
api_get_master(struct api *a, int64_t id)
{
	json_t	*o, *counts;
	int64_t	 builders, changes, slaves, connected;

	if ((o = api_one(a, api_by_id(a, API_MASTER_SQL " WHERE m.id = $1",
	    id), "master", id, api_master_json)) == NULL)
		return (NULL);
	builders = api_count(a, "SELECT count(*) FROM builders "
	    "WHERE master_id = $1", id);
	changes = api_count(a, "SELECT count(*) FROM changes "
	    "WHERE master_id = $1", id);
	slaves = api_count(a, "SELECT count(*) FROM slaves "
	    "WHERE master_id = $1", id);
	connected = api_count(a, "SELECT count(*) FROM slaves "
	    "WHERE master_id = $1 AND connected = 1", id);
	if (a->status != 0) {
		json_decref(o);
		return (NULL);
	}
	counts = json_object();
	api_set(counts, "builders", json_integer(builders));
	api_set(counts, "changes", json_integer(changes));
	api_set(counts, "slaves", json_integer(slaves));
	api_set(counts, "slaves_connected", json_integer(connected));
	api_set(o, "counts", counts);
	return (o);
}

/* --- builders ---------------------------------------------------------- */

#define API_BUILDER_SQL							\
	"SELECT bl.id, bl.master_id, m.name, bl.name, bl.builddir, "	\
	"bl.description, bl.category, bl.tags, bl.slavenames, bl.state, " \
	"bl.state_at, bl.origin, bl.updated_at FROM builders bl "	\
	"JOIN masters m ON m.id = bl.master_id"

static json_t *
api_builder_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "master_id", api_col_int(st, 1));
	api_set(o, "master", api_col_text(st, 2));
	api_set(o, "name", api_col_text(st, 3));
	api_set(o, "builddir", api_col_text(st, 4));
	api_set(o, "description", api_col_text(st, 5));
	api_set(o, "category", api_col_text(st, 6));
	api_set(o, "tags", api_col_json(st, 7));
	api_set(o, "slavenames", api_col_json(st, 8));
	api_set(o, "state", api_col_text(st, 9));
	api_set(o, "state_at", api_col_time(st, 10));
	api_set(o, "origin", api_col_text(st, 11));
	api_set(o, "updated_at", api_col_time(st, 12));
	api_set(o, "url", api_url("builders", query_column_int64(st, 0)));
	return (o);
}

json_t *
api_get_builders(struct api *a, int64_t unused)
{
	static const struct api_filter	 filters[] = {
		{ "master", API_FILTER_REF, "bl.master_id = ?", "m.name = ?" },
		{ "state", API_FILTER_TEXT, "bl.state = ?", NULL },
	};

	return (api_list_filtered(a, API_BUILDER_SQL, filters,
	    nitems(filters), " ORDER BY bl.id", "builders", api_builder_json));
}

static json_t *
api_builder_event_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "started_at", api_col_time(st, 0));
	api_set(o, "finished_at", api_col_time(st, 1));
	api_set(o, "text", api_col_json(st, 2));
	return (o);
}

json_t *
api_get_builder(struct api *a, int64_t id)
{
	struct query_stmt	*st;
	json_t			*o, *builds, *events, *last = json_null();
	enum query_step		 r;
	int64_t			 total = 0, running = 0;
	char			*url;

	if ((o = api_one(a, api_by_id(a, API_BUILDER_SQL " WHERE bl.id = $1",
	    id), "builder", id, api_builder_json)) == NULL)
		return (NULL);

	if ((st = api_by_id(a, "SELECT count(*), COALESCE(sum(CASE WHEN "
	    "complete = 0 THEN 1 ELSE 0 END), 0) FROM builds "
	    "WHERE builder_id = $1", id)) == NULL)
		goto fail;
	if ((r = api_step(a, st, "builds")) == QUERY_ROW) {
		total = query_column_int64(st, 0);
		running = query_column_int64(st, 1);
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;
	if ((st = api_by_id(a, "SELECT " API_BUILD_COLUMNS API_BUILD_FROM
	    " WHERE b.builder_id = $1 ORDER BY b.started_at DESC NULLS LAST,"
	    " b.id DESC LIMIT 1", id)) == NULL)
		goto fail;
	if ((r = api_step(a, st, "last build")) == QUERY_ROW) {
		json_decref(last);
		last = api_build_json(st);
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;
	builds = json_object();
	api_set(builds, "total", json_integer(total));
	api_set(builds, "running", json_integer(running));
	xasprintf(&url, "/api/v1/builds?builder=%lld", (long long)id);
	api_set(builds, "url", json_string(url));
	free(url);
	api_set(builds, "last", last);
	last = NULL;
	api_set(o, "builds", builds);

	if ((events = api_rows(a, api_by_id(a, "SELECT started_at, "
	    "finished_at, text FROM builder_events WHERE builder_id = $1 "
	    "ORDER BY number", id), "builder events",
	    api_builder_event_json)) == NULL)
		goto fail;
	api_set(o, "events", events);
	return (o);

fail:
	json_decref(last);
	json_decref(o);
	return (NULL);
}

/* --- slaves ------------------------------------------------------------ */

#define API_SLAVE_SQL							\
	"SELECT s.id, s.master_id, m.name, s.name, s.connected, s.paused, " \
	"s.connected_at, s.disconnected_at, s.origin, s.updated_at "	\
	"FROM slaves s JOIN masters m ON m.id = s.master_id"

static json_t *
api_slave_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "master_id", api_col_int(st, 1));
	api_set(o, "master", api_col_text(st, 2));
	api_set(o, "name", api_col_text(st, 3));
	api_set(o, "connected", api_col_bool(st, 4));
	api_set(o, "paused", api_col_bool(st, 5));
	api_set(o, "connected_at", api_col_time(st, 6));
	api_set(o, "disconnected_at", api_col_time(st, 7));
	api_set(o, "origin", api_col_text(st, 8));
	api_set(o, "updated_at", api_col_time(st, 9));
	api_set(o, "url", api_url("slaves", query_column_int64(st, 0)));
	return (o);
}

json_t *
api_get_slaves(struct api *a, int64_t unused)
{
	static const struct api_filter	 filters[] = {
		{ "master", API_FILTER_REF, "s.master_id = ?", "m.name = ?" },
		{ "connected", API_FILTER_BOOL, "s.connected = ?", NULL },
	};

	return (api_list_filtered(a, API_SLAVE_SQL, filters, nitems(filters),
	    " ORDER BY s.id", "slaves", api_slave_json));
}

json_t *
api_get_slave(struct api *a, int64_t id)
{
	return (api_one(a, api_by_id(a, API_SLAVE_SQL " WHERE s.id = $1", id),
	    "slave", id, api_slave_json));
}

/* --- builds ------------------------------------------------------------ */
