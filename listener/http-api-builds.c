/*
 * http-api-builds.c: the builds, steps, logs and changes of the JSON API
 * (doc/api.md): lists with their filters, and each build with everything
 * it holds. The request and the helpers are in http-api.c and
 * http-api-values.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http-api-int.h"

/* --- builds ------------------------------------------------------------ */

json_t *
api_build_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "builder_id", api_col_int(st, 1));
	api_set(o, "builder", api_col_text(st, 2));
	api_set(o, "master_id", api_col_int(st, 3));
	api_set(o, "master", api_col_text(st, 4));
	api_set(o, "number", api_col_int(st, 5));
	api_set(o, "started_at", api_col_time(st, 6));
	api_set(o, "finished_at", api_col_time(st, 7));
	api_set(o, "complete", api_col_bool(st, 8));
	api_set(o, "results", api_col_int(st, 9));
	api_set(o, "result", api_col_result(st, 9));
	api_set(o, "text", api_col_json(st, 10));
	api_set(o, "reason", api_col_text(st, 11));
	api_set(o, "slave", api_col_text(st, 12));
	api_set(o, "blamelist", api_col_json(st, 13));
	api_set(o, "origin", api_col_text(st, 14));
	api_set(o, "updated_at", api_col_time(st, 15));
	api_set(o, "url", api_url("builds", query_column_int64(st, 0)));
	return (o);
}

/* GET /builds: the filters, then the keyset page on (started_at, id). */
json_t *
api_get_builds(struct api *a, int64_t unused)
{
	static const struct api_filter	 filters[] = {
		{ "builder", API_FILTER_REF, "b.builder_id = ?",
		  "bl.name = ?" },
		{ "master", API_FILTER_REF, "bl.master_id = ?", "m.name = ?" },
		{ "result", API_FILTER_RESULT, "b.results = ?", NULL },
		{ "branch", API_FILTER_TEXT, "b.id IN (SELECT ss.build_id "
		  "FROM sourcestamps ss WHERE ss.branch = ?)", NULL },
		{ "since", API_FILTER_TIME, "b.started_at >= ?", NULL },
		{ "until", API_FILTER_TIME, "b.started_at < ?", NULL },
		{ "slave", API_FILTER_TEXT, "b.slave = ?", NULL },
		{ "complete", API_FILTER_BOOL, "b.complete = ?", NULL },
	};
	static const struct api_keyset	 keyset = { "builds",
		"b.started_at", "b.id", 6, 0, api_build_json };
	struct api_sql			 s;

	api_sql_init(&s, "SELECT " API_BUILD_COLUMNS API_BUILD_FROM);
	if (api_filters(a, &s, filters, nitems(filters)) != 0)
		return (NULL);
	return (api_page(a, &s, &keyset));
}

#define API_STEP_COLUMNS						\
	"s.id, s.build_id, s.number, s.name, s.started_at, "		\
	"s.finished_at, s.results, s.text, s.text2, s.urls, "		\
	"s.statistics, s.hidden, s.skipped"

static json_t *
api_step_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "build_id", api_col_int(st, 1));
	api_set(o, "number", api_col_int(st, 2));
	api_set(o, "name", api_col_text(st, 3));
	api_set(o, "started_at", api_col_time(st, 4));
	api_set(o, "finished_at", api_col_time(st, 5));
	api_set(o, "results", api_col_int(st, 6));
	api_set(o, "result", api_col_result(st, 6));
	api_set(o, "text", api_col_json(st, 7));
	api_set(o, "text2", api_col_json(st, 8));
	api_set(o, "urls", api_col_json(st, 9));
	api_set(o, "statistics", api_col_json(st, 10));
	api_set(o, "hidden", api_col_bool(st, 11));
	api_set(o, "skipped", api_col_bool(st, 12));
	api_set(o, "url", api_url("steps", query_column_int64(st, 0)));
	return (o);
}

#define API_LOG_COLUMNS							\
	"l.id, l.step_id, l.number, l.name, l.filename, l.kind, l.state, " \
	"l.text_bytes, l.lines, l.complete, l.pruned_at"

static json_t *
api_log_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "step_id", api_col_int(st, 1));
	api_set(o, "number", api_col_int(st, 2));
	api_set(o, "name", api_col_text(st, 3));
	api_set(o, "filename", api_col_text(st, 4));
	api_set(o, "kind", api_col_text(st, 5));
	api_set(o, "state", api_col_text(st, 6));
	api_set(o, "text_bytes", api_col_int(st, 7));
	api_set(o, "lines", api_col_int(st, 8));
	api_set(o, "complete", api_col_bool(st, 9));
	api_set(o, "pruned_at", api_col_time(st, 10));
	api_set(o, "url", api_url(NULL, query_column_int64(st, 0)));
	api_set(o, "api_url", api_url("logs", query_column_int64(st, 0)));
	return (o);
}

/*
 * The steps of build id (or the one step id when one is 1), each with its
 * logs: two statements, steps and then every log of those steps in the
 * same order, merged. NULL having failed the request.
 */
static json_t *
api_steps(struct api *a, int64_t id, int one)
{
	struct query_stmt	*st;
	json_t			*steps, *step = NULL, *logs = NULL;
	enum query_step		 r;
	int64_t			 step_id;
	size_t			 i = 0;

	if ((st = api_by_id(a, one ?
	    "SELECT " API_STEP_COLUMNS " FROM steps s WHERE s.id = $1" :
	    "SELECT " API_STEP_COLUMNS " FROM steps s WHERE s.build_id = $1 "
	    "ORDER BY s.number", id)) == NULL)
		return (NULL);
	steps = json_array();
	while ((r = api_step(a, st, "steps")) == QUERY_ROW) {
		step = api_step_json(st);
		api_set(step, "logs", json_array());
		json_array_append_new(steps, step);
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;

	if ((st = api_by_id(a, one ?
	    "SELECT " API_LOG_COLUMNS " FROM logs l WHERE l.step_id = $1 "
	    "ORDER BY l.number" :
	    "SELECT " API_LOG_COLUMNS " FROM logs l JOIN steps s ON "
	    "s.id = l.step_id WHERE s.build_id = $1 "
	    "ORDER BY s.number, l.number", id)) == NULL)
		goto fail;
	while ((r = api_step(a, st, "logs")) == QUERY_ROW) {
		step_id = query_column_int64(st, 1);
		/* Both lists are in step order: walk the steps along. */
		while (i < json_array_size(steps) && json_integer_value(
		    json_object_get(json_array_get(steps, i), "id")) !=
		    step_id)
			i++;
		if (i == json_array_size(steps))
			break;
		logs = json_object_get(json_array_get(steps, i), "logs");
		json_array_append_new(logs, api_log_json(st));
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;
	return (steps);

fail:
	json_decref(steps);
	return (NULL);
}

/* Properties as {"name": {"value": ..., "source": ...}}. */
static json_t *
api_properties(struct api *a, const char *sql, int64_t id)
{
	struct query_stmt	*st;
	json_t			*props, *p;
	enum query_step		 r;

	if ((st = api_by_id(a, sql, id)) == NULL)
		return (NULL);
	props = json_object();
	while ((r = api_step(a, st, "properties")) == QUERY_ROW) {
		p = json_object();
		api_set(p, "value", api_col_json(st, 1));
		api_set(p, "source", api_col_text(st, 2));
		api_set(props, query_column_text(st, 0), p);
	}
	query_reset(st);
	if (r == QUERY_ERR) {
		json_decref(props);
		return (NULL);
	}
	return (props);
}

#define API_CHANGE_COLUMNS						\
	"c.id, c.master_id, m.name, c.number, c.author, c.comments, "	\
	"c.branch, c.revision, c.revlink, c.category, c.repository, "	\
	"c.project, c.codebase, c.when_at, c.is_dir, c.origin, "	\
	"c.updated_at"
#define API_CHANGE_NCOLUMNS	17
#define API_CHANGE_FROM							\
	" FROM changes c JOIN masters m ON m.id = c.master_id"

static json_t *
api_change_json(struct query_stmt *st)
{
	json_t	*o;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "master_id", api_col_int(st, 1));
	api_set(o, "master", api_col_text(st, 2));
	api_set(o, "number", api_col_int(st, 3));
	api_set(o, "author", api_col_text(st, 4));
	api_set(o, "comments", api_col_text(st, 5));
	api_set(o, "branch", api_col_text(st, 6));
	api_set(o, "revision", api_col_text(st, 7));
	api_set(o, "revlink", api_col_text(st, 8));
	api_set(o, "category", api_col_text(st, 9));
	api_set(o, "repository", api_col_text(st, 10));
	api_set(o, "project", api_col_text(st, 11));
	api_set(o, "codebase", api_col_text(st, 12));
	api_set(o, "when_at", api_col_time(st, 13));
	api_set(o, "is_dir", api_col_bool(st, 14));
	api_set(o, "origin", api_col_text(st, 15));
	api_set(o, "updated_at", api_col_time(st, 16));
	api_set(o, "url", api_url("changes", query_column_int64(st, 0)));
	return (o);
}

#define API_SOURCESTAMP_COLUMNS						\
	"ss.id, ss.number, ss.branch, ss.revision, ss.repository, "	\
	"ss.project, ss.codebase, ss.patch_level, length(ss.patch_body), " \
	"ss.patch_subdir, ss.patch_author, ss.patch_comment"

static json_t *
api_sourcestamp_json(struct query_stmt *st)
{
	json_t	*o, *patch;

	o = json_object();
	api_set(o, "number", api_col_int(st, 1));
	api_set(o, "branch", api_col_text(st, 2));
	api_set(o, "revision", api_col_text(st, 3));
	api_set(o, "repository", api_col_text(st, 4));
	api_set(o, "project", api_col_text(st, 5));
	api_set(o, "codebase", api_col_text(st, 6));
	if (query_column_is_null(st, 8))
		patch = json_null();
	else {
		patch = json_object();
		api_set(patch, "level", api_col_int(st, 7));
		api_set(patch, "bytes", api_col_int(st, 8));
		api_set(patch, "subdir", api_col_text(st, 9));
		api_set(patch, "author", api_col_text(st, 10));
		api_set(patch, "comment", api_col_text(st, 11));
	}
	api_set(o, "patch", patch);
	return (o);
}

/*
 * A sourcestamp's changes are read in one statement for the whole build
 * (ordered by sourcestamp number) and given to each sourcestamp by its
 * row id, which is stable within the snapshot.
 */
static json_t *
api_sourcestamps(struct api *a, int64_t build_id)
{
	struct query_stmt	*st;
	json_t			*list, *ss, *changes;
	enum query_step		 r;
	int64_t			*ids, ssid;
	size_t			 n = 0, i = 0;

	if ((st = api_by_id(a, "SELECT " API_SOURCESTAMP_COLUMNS
	    " FROM sourcestamps ss WHERE ss.build_id = $1 ORDER BY ss.number",
	    build_id)) == NULL)
		return (NULL);
	list = json_array();
	ids = NULL;
	while ((r = api_step(a, st, "sourcestamps")) == QUERY_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = query_column_int64(st, 0);
		ss = api_sourcestamp_json(st);
		api_set(ss, "changes", json_array());
		json_array_append_new(list, ss);
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;
	if ((st = api_by_id(a, "SELECT " API_CHANGE_COLUMNS ", ss.id"
	    " FROM sourcestamps ss JOIN sourcestamp_changes sc ON "
	    "sc.sourcestamp_id = ss.id JOIN changes c ON c.id = sc.change_id "
	    "JOIN masters m ON m.id = c.master_id WHERE ss.build_id = $1 "
	    "ORDER BY ss.number, c.id", build_id)) == NULL)
		goto fail;
	while ((r = api_step(a, st, "sourcestamp changes")) == QUERY_ROW) {
		ssid = query_column_int64(st, API_CHANGE_NCOLUMNS);
		while (i < n && ids[i] != ssid)
			i++;
		if (i == n)
			break;
		changes = json_object_get(json_array_get(list, i), "changes");
		json_array_append_new(changes, api_change_json(st));
	}
	query_reset(st);
	if (r == QUERY_ERR)
		goto fail;
	free(ids);
	return (list);

fail:
	free(ids);
	json_decref(list);
	return (NULL);
}

static json_t *
api_request_json(struct query_stmt *st)
{
	json_t	*o, *bs;

	o = json_object();
	api_set(o, "id", api_col_int(st, 0));
	api_set(o, "brid", api_col_int(st, 1));
	api_set(o, "bsid", api_col_int(st, 2));
	api_set(o, "builder_name", api_col_text(st, 4));
	api_set(o, "priority", api_col_int(st, 5));
	api_set(o, "submitted_at", api_col_time(st, 6));
	api_set(o, "claimed_at", api_col_time(st, 7));
	api_set(o, "claimed_by", api_col_text(st, 8));
	api_set(o, "complete", api_col_bool(st, 9));
	api_set(o, "complete_at", api_col_time(st, 10));
	api_set(o, "results", api_col_int(st, 11));
	api_set(o, "result", api_col_result(st, 11));
	if (query_column_is_null(st, 3))
		bs = json_null();
	else {
		bs = json_object();
		api_set(bs, "id", api_col_int(st, 3));
		api_set(bs, "external_idstring", api_col_text(st, 12));
		api_set(bs, "reason", api_col_text(st, 13));
		api_set(bs, "submitted_at", api_col_time(st, 14));
		api_set(bs, "complete", api_col_bool(st, 15));
		api_set(bs, "complete_at", api_col_time(st, 16));
		api_set(bs, "results", api_col_int(st, 17));
		api_set(bs, "result", api_col_result(st, 17));
	}
	api_set(o, "buildset", bs);
	return (o);
}

/* GET /builds/{id}: the build and everything it holds, one snapshot. */
json_t *
api_get_build(struct api *a, int64_t id)
{
	json_t	*o, *v;

	if ((o = api_one(a, api_by_id(a, "SELECT " API_BUILD_COLUMNS
	    API_BUILD_FROM " WHERE b.id = $1", id), "build", id,
	    api_build_json)) == NULL)
		return (NULL);

	if ((v = api_steps(a, id, 0)) == NULL)
		goto fail;
	api_set(o, "steps", v);
	if ((v = api_properties(a, "SELECT name, value, source FROM "
	    "build_properties WHERE build_id = $1 ORDER BY name", id)) == NULL)
		goto fail;
	api_set(o, "properties", v);
	if ((v = api_sourcestamps(a, id)) == NULL)
		goto fail;
	api_set(o, "sourcestamps", v);
	if ((v = api_rows(a, api_by_id(a, "SELECT " API_CHANGE_COLUMNS
	    API_CHANGE_FROM " JOIN build_changes bc ON bc.change_id = c.id "
	    "WHERE bc.build_id = $1 ORDER BY c.id", id), "changes",
	    api_change_json)) == NULL)
		goto fail;
	api_set(o, "changes", v);
	if ((v = api_rows(a, api_by_id(a, "SELECT br.id, br.brid, br.bsid, "
	    "br.buildset_id, br.builder_name, br.priority, br.submitted_at, "
	    "br.claimed_at, br.claimed_by, br.complete, br.complete_at, "
	    "br.results, "
	    "bs.external_idstring, bs.reason, bs.submitted_at, bs.complete, "
	    "bs.complete_at, bs.results FROM build_requests x "
	    "JOIN buildrequests br ON br.id = x.buildrequest_id "
	    "LEFT JOIN buildsets bs ON bs.id = br.buildset_id "
	    "WHERE x.build_id = $1 ORDER BY br.id", id), "requests",
	    api_request_json)) == NULL)
		goto fail;
	api_set(o, "requests", v);
	return (o);

fail:
	json_decref(o);
	return (NULL);
}

static json_t *
api_true_json(struct query_stmt *st)
{
	return (json_true());
}

/* GET /builds/{id}/steps. */
json_t *
api_get_build_steps(struct api *a, int64_t id)
{
	json_t	*o, *steps;

	if ((o = api_one(a, api_by_id(a, "SELECT 1 FROM builds WHERE "
	    "id = $1", id), "build", id, api_true_json)) == NULL)
		return (NULL);
	json_decref(o);
	if ((steps = api_steps(a, id, 0)) == NULL)
		return (NULL);
	o = json_object();
	api_set(o, "items", steps);
	return (o);
}

/* GET /steps/{id}. */
json_t *
api_get_step(struct api *a, int64_t id)
{
	json_t	*steps, *o;

	if ((steps = api_steps(a, id, 1)) == NULL)
		return (NULL);
	if (json_array_size(steps) == 0) {
		api_fail(a, 404, "not_found", "step %lld not found",
		    (long long)id);
		json_decref(steps);
		return (NULL);
	}
	o = json_incref(json_array_get(steps, 0));
	json_decref(steps);
	return (o);
}

/* GET /logs/{id}: the log's metadata, where it belongs. */
json_t *
api_get_log(struct api *a, int64_t id)
{
	struct query_stmt	*st;
	json_t			*o = NULL, *step;
	enum query_step		 r;

	if ((st = api_by_id(a, "SELECT " API_LOG_COLUMNS ", s.build_id, "
	    "s.number, s.name FROM logs l JOIN steps s ON s.id = l.step_id "
	    "WHERE l.id = $1", id)) == NULL)
		return (NULL);
	if ((r = api_step(a, st, "log")) == QUERY_ROW) {
		o = api_log_json(st);
		api_set(o, "build_id", api_col_int(st, 11));
		step = json_object();
		api_set(step, "id", api_col_int(st, 1));
		api_set(step, "number", api_col_int(st, 12));
		api_set(step, "name", api_col_text(st, 13));
		api_set(o, "step", step);
	} else if (r == QUERY_DONE)
		api_fail(a, 404, "not_found", "log %lld not found",
		    (long long)id);
	query_reset(st);
	return (o);
}

/* --- changes ----------------------------------------------------------- */

/* GET /changes: the filters, then the keyset page on (when_at, id). */
json_t *
api_get_changes(struct api *a, int64_t unused)
{
	static const struct api_filter	 filters[] = {
		{ "master", API_FILTER_REF, "c.master_id = ?", "m.name = ?" },
		{ "branch", API_FILTER_TEXT, "c.branch = ?", NULL },
		{ "author", API_FILTER_TEXT, "c.author = ?", NULL },
		{ "repository", API_FILTER_TEXT, "c.repository = ?", NULL },
		{ "project", API_FILTER_TEXT, "c.project = ?", NULL },
		{ "revision", API_FILTER_TEXT, "c.revision = ?", NULL },
		{ "since", API_FILTER_TIME, "c.when_at >= ?", NULL },
		{ "until", API_FILTER_TIME, "c.when_at < ?", NULL },
	};
	static const struct api_keyset	 keyset = { "changes", "c.when_at",
		"c.id", 13, 0, api_change_json };
	struct api_sql			 s;

	api_sql_init(&s, "SELECT " API_CHANGE_COLUMNS API_CHANGE_FROM);
	if (api_filters(a, &s, filters, nitems(filters)) != 0)
		return (NULL);
	return (api_page(a, &s, &keyset));
}

static json_t *
api_filename_json(struct query_stmt *st)
{
	return (api_col_text(st, 0));
}

/* GET /changes/{id}: the change, its files, properties and builds. */
json_t *
api_get_change(struct api *a, int64_t id)
{
	json_t	*o, *v;

	if ((o = api_one(a, api_by_id(a, "SELECT " API_CHANGE_COLUMNS
	    API_CHANGE_FROM " WHERE c.id = $1", id), "change", id,
	    api_change_json)) == NULL)
		return (NULL);
	if ((v = api_rows(a, api_by_id(a, "SELECT filename FROM change_files "
	    "WHERE change_id = $1 ORDER BY filename", id), "change files",
	    api_filename_json)) == NULL)
		goto fail;
	api_set(o, "files", v);
	if ((v = api_properties(a, "SELECT name, value, source FROM "
	    "change_properties WHERE change_id = $1 ORDER BY name",
	    id)) == NULL)
		goto fail;
	api_set(o, "properties", v);
	if ((v = api_rows(a, api_by_id(a, "SELECT " API_BUILD_COLUMNS
	    API_BUILD_FROM " JOIN build_changes bc ON bc.build_id = b.id "
	    "WHERE bc.change_id = $1 ORDER BY b.started_at DESC NULLS LAST, "
	    "b.id DESC", id), "change builds", api_build_json)) == NULL)
		goto fail;
	api_set(o, "builds", v);
	return (o);

fail:
	json_decref(o);
	return (NULL);
}
