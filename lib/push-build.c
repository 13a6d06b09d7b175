/*
 * push-build.c: a payload's asDict() (spec 5d) back into the state the
 * pickler would have saved for the status object it describes, encoded
 * as protocol.h encodes the plugin's live objects (an instance is an ext
 * holding [module, class, state]). push-event.c makes the pickle tree of
 * it (pickle_from_msgpack) and has legacy.h normalise that tree, exactly
 * as for a plugin's event or a build pickle. Only what asDict cannot say
 * is decided here:
 *
 * - FilterOut (spec 5b) dropped every entry equal to '', False, None, [],
 *   {} or 0, and turned an empty list inside a list into null: a missing
 *   key is 0, false, empty or unknown, and a null where a list belongs is
 *   an empty list. A finished build or step without results is SUCCESS.
 * - asDict's build text is the build's text followed by every step's
 *   text2: those are taken off again.
 * - Log file names are computed as the master computes them (spec 1.3),
 *   unique within the build; a log named "*.html" is an HTMLLogFile; a step
 *   whose result is SKIPPED was skipped.
 * - Keys whose absence the normaliser reads as a default (a source
 *   stamp's repository, project, codebase) are left out when missing, so
 *   they get the very default an old pickle gets.
 */
#include "config.h"
#include "push.h"
#include "push-int.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "protocol.h"

/*
 * Nesting of a free-form value (a property's value, urls, statistics)
 * kept as it is; deeper containers become "<recursion>", as legacy_json
 * renders them. An instance's bytes may nest at most 32 containers
 * (pickle-msgpack.c), a few of which the status object itself uses.
 */
#define PUSH_VALUE_DEPTH	24

#define PUSH_BUILD	"buildbot.status.build"
#define PUSH_STEP		"buildbot.status.buildstep"
#define PUSH_LOGFILE	"buildbot.status.logfile"

/* --- messages ----------------------------------------------------------- */

const char *
push_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("object");
	case JSON_ARRAY:
		return ("array");
	case JSON_STRING:
		return ("string");
	case JSON_INTEGER:
		return ("integer");
	case JSON_REAL:
		return ("real");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("boolean");
	default:
		return ("null");
	}
}

/* "packet 3 (stepFinished): key \"payload.step.times\": reason"; -1. */
int PRINTFLIKE(4, 5)
push_fail(struct push_ctx *pb, const char *path, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	xasprintf(pb->cause, "packet %zu (%s): key \"%s%s%s\": %s", pb->index,
	    pb->event, path, key != NULL ? "." : "", key != NULL ? key : "",
	    reason);
	free(reason);
	return (-1);
}

/* --- msgpack ------------------------------------------------------------ */

void
push_buf_init(struct push_buf *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

void
push_buf_free(struct push_buf *b)
{
	msgpack_sbuffer_destroy(&b->sb);
}

static void
push_str(msgpack_packer *pk, const char *s, size_t len)
{
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

void
push_cstr(msgpack_packer *pk, const char *s)
{
	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		push_str(pk, s, strlen(s));
}

void
push_map_init(struct push_map *m)
{
	push_buf_init(&m->body);
	m->n = 0;
}

/* Packs key; the caller packs its value with the returned packer. */
msgpack_packer *
push_key(struct push_map *m, const char *key)
{
	push_cstr(&m->body.pk, key);
	m->n++;
	return (&m->body.pk);
}

/* Writes m as a map to out and frees it. */
static void
push_map_put(msgpack_packer *out, struct push_map *m)
{
	msgpack_pack_map(out, m->n);
	if (m->body.sb.size != 0)
		out->callback(out->data, m->body.sb.data, m->body.sb.size);
	push_buf_free(&m->body);
}

/* Writes an instance of module.cls whose state is m (freed) to out. */
void
push_instance(msgpack_packer *out, const char *module, const char *cls,
    struct push_map *m)
{
	struct push_buf	 inner;

	push_buf_init(&inner);
	msgpack_pack_array(&inner.pk, 3);
	push_cstr(&inner.pk, module);
	push_cstr(&inner.pk, cls);
	push_map_put(&inner.pk, m);
	msgpack_pack_ext_with_body(out, inner.sb.data, inner.sb.size,
	    PROTOCOL_EXT_INSTANCE);
	push_buf_free(&inner);
}

/* Any JSON value as the plugin would send it. */
static void
push_json(msgpack_packer *pk, const json_t *v, int depth)
{
	const char	*key;
	json_t		*item;
	size_t		 i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= PUSH_VALUE_DEPTH) {
			push_cstr(pk, "<recursion>");
			break;
		}
		if (json_is_array(v)) {
			msgpack_pack_array(pk, json_array_size(v));
			json_array_foreach(v, i, item)
				push_json(pk, item, depth + 1);
			break;
		}
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach((json_t *)v, key, item) {
			push_cstr(pk, key);
			push_json(pk, item, depth + 1);
		}
		break;
	case JSON_STRING:
		push_str(pk, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(v));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

/* --- typed access to asDict values -------------------------------------- */

/* The value of key: NULL when missing or null (FilterOut's absence). */
const json_t *
push_get(const json_t *o, const char *key)
{
	const json_t	*v;

	if ((v = json_object_get(o, key)) == NULL || json_is_null(v))
		return (NULL);
	return (v);
}

/* A string or nothing; *out points into the JSON. */
int
push_opt_str(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, const char **out)
{
	const json_t	*v;

	*out = NULL;
	if ((v = push_get(o, key)) == NULL)
		return (0);
	if (!json_is_string(v))
		return (push_fail(pb, path, key, "expected a string, got %s",
		    push_word(v)));
	*out = json_string_value(v);
	return (0);
}

int
push_req_str(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, const char **out)
{
	if (push_opt_str(pb, o, path, key, out) != 0)
		return (-1);
	if (*out == NULL)
		return (push_fail(pb, path, key, "missing"));
	return (0);
}

/* An integer in [min, max]; missing is 0. */
int
push_int(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	const json_t	*v;

	*out = 0;
	if ((v = push_get(o, key)) == NULL)
		return (0);
	if (!json_is_integer(v))
		return (push_fail(pb, path, key, "expected an integer, got %s",
		    push_word(v)));
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return (push_fail(pb, path, key, "expected an integer from %"
		    PRId64 " to %" PRId64, min, max));
	return (0);
}

/* A boolean (or 0/1); missing is false. */
int
push_bool(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, int *out)
{
	const json_t	*v;

	*out = 0;
	if ((v = push_get(o, key)) == NULL)
		return (0);
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_integer(v))
		*out = json_integer_value(v) != 0;
	else
		return (push_fail(pb, path, key, "expected a boolean, got %s",
		    push_word(v)));
	return (0);
}

/* A container of one type, or NULL when missing. */
int
push_typed(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, json_type type, const json_t **out)
{
	*out = push_get(o, key);
	if (*out != NULL && json_typeof(*out) != type)
		return (push_fail(pb, path, key, "expected an %s, got %s",
		    type == JSON_ARRAY ? "array" : "object", push_word(*out)));
	return (0);
}

/* A number or null (time, NaN for None). */
int
push_time_of(struct push_ctx *pb, const json_t *v, const char *path,
    const char *key, double *out)
{
	*out = NAN;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_number(v))
		return (push_fail(pb, path, key, "expected a number or null, "
		    "got %s", push_word(v)));
	*out = json_number_value(v);
	return (0);
}

/* times: [start, end], each a number or null; missing: both unknown. */
static int
push_times(struct push_ctx *pb, const json_t *o, const char *path,
    double *start, double *end)
{
	const json_t	*t;

	*start = *end = NAN;
	if (push_typed(pb, o, path, "times", JSON_ARRAY, &t) != 0)
		return (-1);
	if (t == NULL)
		return (0);
	if (json_array_size(t) != 2)
		return (push_fail(pb, path, "times", "expected [start, end], got "
		    "%zu items", json_array_size(t)));
	if (push_time_of(pb, json_array_get(t, 0), path, "times[0]",
	    start) != 0 || push_time_of(pb, json_array_get(t, 1), path,
	    "times[1]", end) != 0)
		return (-1);
	return (0);
}

/* Packs a time: NaN as None. */
static void
push_pack_time(msgpack_packer *pk, double t)
{
	if (isnan(t))
		msgpack_pack_nil(pk);
	else
		msgpack_pack_double(pk, t);
}

/* A list of strings (a null element: an emptied entry, skipped). */
int
push_strings(struct push_ctx *pb, const json_t *a, const char *path,
    const char *key, msgpack_packer *pk)
{
	const json_t	*v;
	size_t		 i, n = 0;

	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			n++;
		else if (!json_is_null(v))
			return (push_fail(pb, path, key, "item %zu: expected a "
			    "string, got %s", i, push_word(v)));
	}
	msgpack_pack_array(pk, n);
	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			push_str(pk, json_string_value(v), json_string_length(v));
	}
	return (0);
}

/* Packs key = a list of strings from the array under key ([] if none). */
int
push_put_strings(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, const char *attr, struct push_map *m)
{
	const json_t	*a;

	if (push_typed(pb, o, path, key, JSON_ARRAY, &a) != 0)
		return (-1);
	if (a == NULL) {
		msgpack_pack_array(push_key(m, attr), 0);
		return (0);
	}
	return (push_strings(pb, a, path, key, push_key(m, attr)));
}

/* Packs attr = the string under key, when there is one. */
int
push_put_str(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, const char *attr, struct push_map *m)
{
	const char	*s;

	if (push_opt_str(pb, o, path, key, &s) != 0)
		return (-1);
	if (s != NULL)
		push_cstr(push_key(m, attr), s);
	return (0);
}

/* --- objects ------------------------------------------------------------- */

/*
 * properties [[name, value, source], ...] as a Properties instance
 * (name -> [value, source]).
 */
static int
push_properties(struct push_ctx *pb, const json_t *a, const char *path,
    msgpack_packer *out)
{
	struct push_map	 props, st;
	const json_t	*e, *name, *src;
	size_t		 i;

	push_map_init(&props);
	json_array_foreach(a, i, e) {
		if (json_is_null(e))
			continue;
		if (!json_is_array(e) || json_array_size(e) < 2 ||
		    json_array_size(e) > 3 ||
		    !json_is_string(name = json_array_get(e, 0))) {
			push_buf_free(&props.body);
			return (push_fail(pb, path, NULL, "item %zu: expected "
			    "[name, value, source]", i));
		}
		src = json_array_get(e, 2);
		if (src != NULL && !json_is_string(src) && !json_is_null(src)) {
			push_buf_free(&props.body);
			return (push_fail(pb, path, NULL, "item %zu: source: "
			    "expected a string, got %s", i, push_word(src)));
		}
		msgpack_pack_array(push_key(&props, json_string_value(name)), 2);
		push_json(&props.body.pk, json_array_get(e, 1), 0);
		push_cstr(&props.body.pk, src != NULL && json_is_string(src) ?
		    json_string_value(src) : NULL);
	}
	push_map_init(&st);
	push_map_put(push_key(&st, "properties"), &props);
	push_instance(out, "buildbot.process.properties", "Properties", &st);
	return (0);
}

/* Packs attr = a Properties instance from the list under key, if any. */
static int
push_put_properties(struct push_ctx *pb, const json_t *o, const char *path,
    const char *key, struct push_map *m)
{
	const json_t	*a;
	char		*sub;
	int		 r;

	if (push_typed(pb, o, path, key, JSON_ARRAY, &a) != 0)
		return (-1);
	if (a == NULL)
		return (0);
	xasprintf(&sub, "%s.%s", path, key);
	r = push_properties(pb, a, sub, push_key(m, "properties"));
	free(sub);
	return (r);
}

/* A Change (asDict of changes.Change). */
int
push_change(struct push_ctx *pb, const json_t *c, const char *path,
    msgpack_packer *out)
{
	struct push_map	 m;
	const json_t	*files, *f, *name;
	const char	*rev;
	double		 when;
	int64_t		 number;
	size_t		 i, n = 0;

	push_map_init(&m);
	if (!json_is_object(c)) {
		push_buf_free(&m.body);
		return (push_fail(pb, path, NULL, "expected an object, got %s",
		    push_word(c)));
	}
	if (push_int(pb, c, path, "number", 0, INT64_MAX, &number) != 0 ||
	    push_time_of(pb, push_get(c, "when"), path, "when", &when) != 0 ||
	    push_opt_str(pb, c, path, "revision", &rev) != 0 ||
	    push_typed(pb, c, path, "files", JSON_ARRAY, &files) != 0)
		goto fail;
	msgpack_pack_int64(push_key(&m, "number"), number);
	push_pack_time(push_key(&m, "when"), when);
	if (rev == NULL && push_opt_str(pb, c, path, "rev", &rev) != 0)
		goto fail;
	if (rev != NULL)
		push_cstr(push_key(&m, "revision"), rev);
	if (push_put_str(pb, c, path, "who", "who", &m) != 0 ||
	    push_put_str(pb, c, path, "comments", "comments", &m) != 0 ||
	    push_put_str(pb, c, path, "branch", "branch", &m) != 0 ||
	    push_put_str(pb, c, path, "revlink", "revlink", &m) != 0 ||
	    push_put_str(pb, c, path, "category", "category", &m) != 0 ||
	    push_put_str(pb, c, path, "repository", "repository", &m) != 0 ||
	    push_put_str(pb, c, path, "project", "project", &m) != 0 ||
	    push_put_str(pb, c, path, "codebase", "codebase", &m) != 0)
		goto fail;
	/* files: [{"name": ...}] (<= 0.8.5 also "url"), or plain names. */
	for (i = 0; files != NULL && i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		name = json_is_object(f) ? push_get(f, "name") : f;
		if (name != NULL && !json_is_string(name)) {
			push_fail(pb, path, "files", "item %zu: expected a name",
			    i);
			goto fail;
		}
		n += name != NULL;
	}
	msgpack_pack_array(push_key(&m, "files"), n);
	for (i = 0; files != NULL && i < json_array_size(files); i++) {
		f = json_array_get(files, i);
		name = json_is_object(f) ? push_get(f, "name") : f;
		if (name != NULL)
			push_str(&m.body.pk, json_string_value(name),
			    json_string_length(name));
	}
	if (push_put_properties(pb, c, path, "properties", &m) != 0)
		goto fail;
	push_instance(out, "buildbot.changes.changes", "Change", &m);
	return (0);
fail:
	push_buf_free(&m.body);
	return (-1);
}

/* A list of Changes from the array under key. */
static int
push_changes(struct push_ctx *pb, const json_t *o, const char *path,
    struct push_map *m)
{
	const json_t	*a, *c;
	msgpack_packer	*pk;
	char		*sub;
	size_t		 i, n = 0;
	int		 r = 0;

	if (push_typed(pb, o, path, "changes", JSON_ARRAY, &a) != 0)
		return (-1);
	for (i = 0; a != NULL && i < json_array_size(a); i++)
		n += !json_is_null(json_array_get(a, i));
	pk = push_key(m, "changes");
	msgpack_pack_array(pk, n);
	for (i = 0; a != NULL && i < json_array_size(a) && r == 0; i++) {
		if (json_is_null(c = json_array_get(a, i)))
			continue;
		xasprintf(&sub, "%s.changes[%zu]", path, i);
		r = push_change(pb, c, sub, pk);
		free(sub);
	}
	return (r);
}

/* A SourceStamp. */
static int
push_sourcestamp(struct push_ctx *pb, const json_t *s, const char *path,
    msgpack_packer *out)
{
	struct push_map	 m;
	const char	*body, *subdir, *author, *comment;
	int64_t		 level;
	int		 has;

	push_map_init(&m);
	if (!json_is_object(s)) {
		push_buf_free(&m.body);
		return (push_fail(pb, path, NULL, "expected an object, got %s",
		    push_word(s)));
	}
	if (push_put_str(pb, s, path, "branch", "branch", &m) != 0 ||
	    push_put_str(pb, s, path, "revision", "revision", &m) != 0 ||
	    push_put_str(pb, s, path, "repository", "repository", &m) != 0 ||
	    push_put_str(pb, s, path, "project", "project", &m) != 0 ||
	    push_put_str(pb, s, path, "codebase", "codebase", &m) != 0 ||
	    push_bool(pb, s, path, "hasPatch", &has) != 0 ||
	    push_int(pb, s, path, "patch_level", INT64_MIN, INT64_MAX,
	    &level) != 0 ||
	    push_opt_str(pb, s, path, "patch_body", &body) != 0 ||
	    push_opt_str(pb, s, path, "patch_subdir", &subdir) != 0 ||
	    push_opt_str(pb, s, path, "patch_author", &author) != 0 ||
	    push_opt_str(pb, s, path, "patch_comment", &comment) != 0)
		goto fail;
	/* An empty patch body was dropped by FilterOut. */
	if (has || body != NULL) {
		msgpack_pack_array(push_key(&m, "patch"), 3);
		msgpack_pack_int64(&m.body.pk, level);
		push_cstr(&m.body.pk, body != NULL ? body : "");
		push_cstr(&m.body.pk, subdir);
	}
	if (author != NULL || comment != NULL) {
		msgpack_pack_array(push_key(&m, "patch_info"), 2);
		push_cstr(&m.body.pk, author);
		push_cstr(&m.body.pk, comment);
	}
	if (push_changes(pb, s, path, &m) != 0)
		goto fail;
	push_instance(out, "buildbot.sourcestamp", "SourceStamp", &m);
	return (0);
fail:
	push_buf_free(&m.body);
	return (-1);
}

/* A list of names of the logs of a step: [[name, url], ...]. */
static int
push_log_names(struct push_ctx *pb, const json_t *step, const char *path,
    const json_t **logs)
{
	const json_t	*e;
	size_t		 i;

	if (push_typed(pb, step, path, "logs", JSON_ARRAY, logs) != 0)
		return (-1);
	for (i = 0; *logs != NULL && i < json_array_size(*logs); i++) {
		e = json_array_get(*logs, i);
		if (!json_is_array(e) || json_array_size(e) < 1 ||
		    !json_is_string(json_array_get(e, 0)))
			return (push_fail(pb, path, "logs", "item %zu: expected "
			    "[name, url]", i));
	}
	return (0);
}

/* 1 if a log name says HTMLLogFile (asDict does not tell the class). */
static int
push_log_is_html(const char *name)
{
	size_t	 n = strlen(name);

	return (n >= 5 && strcmp(name + n - 5, ".html") == 0);
}

void
push_taken_free(struct push_taken *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

/*
 * A BuildStepStatus of build number, its logs' file names made unique
 * against taken (which gets them). *text2 gets the step's text2 list (an
 * array of the JSON, or NULL) and *code its result (-1 for None).
 */
int
push_step(struct push_ctx *pb, const json_t *s, const char *path,
    int64_t number, struct push_taken *taken, msgpack_packer *out,
    const json_t **text2, int *code)
{
	struct push_map	 m, lm;
	const json_t	*results, *logs, *c, *v;
	const char	*name, *lname;
	double		 start, end;
	int		 finished, hidden;
	size_t		 i;
	char		*fn;

	*text2 = NULL;
	*code = -1;
	push_map_init(&m);
	if (!json_is_object(s)) {
		push_buf_free(&m.body);
		return (push_fail(pb, path, NULL, "expected an object, got %s",
		    push_word(s)));
	}
	if (push_opt_str(pb, s, path, "name", &name) != 0 ||
	    push_times(pb, s, path, &start, &end) != 0 ||
	    push_bool(pb, s, path, "isFinished", &finished) != 0 ||
	    push_bool(pb, s, path, "hidden", &hidden) != 0 ||
	    push_typed(pb, s, path, "results", JSON_ARRAY, &results) != 0 ||
	    push_log_names(pb, s, path, &logs) != 0)
		goto fail;
	if (results != NULL) {
		c = json_array_get(results, 0);
		if (json_array_size(results) > 2 || (c != NULL &&
		    !json_is_null(c) && (!json_is_integer(c) ||
		    json_integer_value(c) < 0 ||
		    json_integer_value(c) > INT_MAX))) {
			push_fail(pb, path, "results", "expected [code, text2]");
			goto fail;
		}
		if (c != NULL && json_is_integer(c))
			*code = (int)json_integer_value(c);
		v = json_array_get(results, 1);
		if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
			push_fail(pb, path, "results", "text2: expected an "
			    "array, got %s", push_word(v));
			goto fail;
		}
		*text2 = json_is_array(v) ? v : NULL;
	} else if (finished)
		*code = BBM_SUCCESS;	/* [0, []] was dropped whole */
	if (name == NULL)
		name = "";
	push_cstr(push_key(&m, "name"), name);
	push_pack_time(push_key(&m, "started"), start);
	push_pack_time(push_key(&m, "finished"), end);
	if (*code < 0)
		msgpack_pack_nil(push_key(&m, "results"));
	else
		msgpack_pack_int(push_key(&m, "results"), *code);
	if (push_put_strings(pb, s, path, "text", "text", &m) != 0)
		goto fail;
	if (*text2 == NULL)
		msgpack_pack_array(push_key(&m, "text2"), 0);
	else if (push_strings(pb, *text2, path, "results[1]",
	    push_key(&m, "text2")) != 0)
		goto fail;
	if (push_typed(pb, s, path, "urls", JSON_OBJECT, &v) != 0 ||
	    push_typed(pb, s, path, "statistics", JSON_OBJECT, &c) != 0)
		goto fail;
	if (v != NULL)
		push_json(push_key(&m, "urls"), v, 0);
	if (c != NULL)
		push_json(push_key(&m, "statistics"), c, 0);
	if (hidden)
		msgpack_pack_true(push_key(&m, "hidden"));
	if (*code == BBM_SKIPPED)
		msgpack_pack_true(push_key(&m, "skipped"));
	msgpack_pack_array(push_key(&m, "logs"), logs != NULL ?
	    json_array_size(logs) : 0);
	for (i = 0; logs != NULL && i < json_array_size(logs); i++) {
		lname = json_string_value(json_array_get(json_array_get(logs,
		    i), 0));
		fn = push_log_filename(number, name, lname, taken->v,
		    taken->n);
		push_map_init(&lm);
		push_cstr(push_key(&lm, "name"), lname);
		push_cstr(push_key(&lm, "filename"), fn);
		push_instance(&m.body.pk, PUSH_LOGFILE, push_log_is_html(lname) ?
		    "HTMLLogFile" : "LogFile", &lm);
		if (taken->n == taken->cap) {
			taken->cap = taken->cap == 0 ? 16 : taken->cap * 2;
			taken->v = xreallocarray(taken->v, taken->cap,
			    sizeof *taken->v);
		}
		taken->v[taken->n++] = fn;
	}
	push_instance(out, PUSH_STEP, "BuildStepStatus", &m);
	return (0);
fail:
	push_buf_free(&m.body);
	return (-1);
}

/*
 * The build's own text: asDict's text without the steps' text2 that
 * BuildStatus.getText() appended (kept whole if it does not end so).
 */
static void
push_build_text(const json_t *text, const json_t *text2s, msgpack_packer *pk)
{
	const json_t	*v;
	size_t		 n, k, i;

	n = text != NULL ? json_array_size(text) : 0;
	k = json_array_size(text2s);
	if (k <= n) {
		for (i = 0; i < k; i++) {
			if (!json_equal(json_array_get(text, n - k + i),
			    json_array_get(text2s, i)))
				break;
		}
		if (i == k)
			n -= k;
	}
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		v = json_array_get(text, i);
		if (json_is_string(v))
			push_str(pk, json_string_value(v), json_string_length(v));
		else
			msgpack_pack_nil(pk);
	}
}

/* The BuildStatus an asDict describes, as a pickle tree in *doc. */
int
push_build(struct push_ctx *pb, const json_t *b, const char *path,
    struct push_buf *out)
{
	struct push_map	 m;
	struct push_buf	 steps;
	struct push_taken	 taken;
	const json_t	*a, *text, *text2, *ss;
	double		 start, end;
	int64_t		 number, results;
	char		*sub;
	size_t		 i;
	json_t		*text2s;
	int		 code, r;

	push_map_init(&m);
	push_buf_init(&steps);
	memset(&taken, 0, sizeof taken);
	text2s = json_array();
	if (push_int(pb, b, path, "number", 0, INT64_MAX, &number) != 0 ||
	    push_times(pb, b, path, &start, &end) != 0 ||
	    push_int(pb, b, path, "results", 0, INT_MAX, &results) != 0 ||
	    push_typed(pb, b, path, "steps", JSON_ARRAY, &a) != 0 ||
	    push_typed(pb, b, path, "text", JSON_ARRAY, &text) != 0)
		goto fail;
	msgpack_pack_array(&steps.pk, a != NULL ? json_array_size(a) : 0);
	for (i = 0; a != NULL && i < json_array_size(a); i++) {
		xasprintf(&sub, "%s.steps[%zu]", path, i);
		r = push_step(pb, json_array_get(a, i), sub, number, &taken,
		    &steps.pk, &text2, &code);
		free(sub);
		if (r != 0)
			goto fail;
		if (text2 != NULL)
			json_array_extend(text2s, (json_t *)text2);
	}
	msgpack_pack_int64(push_key(&m, "number"), number);
	push_pack_time(push_key(&m, "started"), start);
	push_pack_time(push_key(&m, "finished"), end);
	/* SUCCESS is 0, which FilterOut drops; a running build has None. */
	if (isnan(end) && push_get(b, "results") == NULL)
		msgpack_pack_nil(push_key(&m, "results"));
	else
		msgpack_pack_int64(push_key(&m, "results"), results);
	push_build_text(text, text2s, push_key(&m, "text"));
	if (push_put_str(pb, b, path, "reason", "reason", &m) != 0 ||
	    push_put_str(pb, b, path, "slave", "slavename", &m) != 0 ||
	    push_put_strings(pb, b, path, "blame", "blamelist", &m) != 0 ||
	    push_put_properties(pb, b, path, "properties", &m) != 0)
		goto fail;
	/* 0.8.7+: sourceStamps; before: one sourceStamp. */
	if (push_typed(pb, b, path, "sourceStamps", JSON_ARRAY, &a) != 0)
		goto fail;
	if (a != NULL) {
		msgpack_pack_array(push_key(&m, "sources"), json_array_size(a));
		for (i = 0; i < json_array_size(a); i++) {
			xasprintf(&sub, "%s.sourceStamps[%zu]", path, i);
			r = push_sourcestamp(pb, json_array_get(a, i), sub,
			    &m.body.pk);
			free(sub);
			if (r != 0)
				goto fail;
		}
	} else if ((ss = push_get(b, "sourceStamp")) != NULL) {
		xasprintf(&sub, "%s.sourceStamp", path);
		r = push_sourcestamp(pb, ss, sub, push_key(&m, "source"));
		free(sub);
		if (r != 0)
			goto fail;
	}
	push_key(&m, "steps");
	m.body.pk.callback(m.body.pk.data, steps.sb.data, steps.sb.size);
	push_instance(&out->pk, PUSH_BUILD, "BuildStatus", &m);
	push_buf_free(&steps);
	push_taken_free(&taken);
	json_decref(text2s);
	return (0);
fail:
	push_buf_free(&m.body);
	push_buf_free(&steps);
	push_taken_free(&taken);
	json_decref(text2s);
	return (-1);
}

