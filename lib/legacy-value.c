/*
 * legacy-value.c: conversions of decoded pickle values for the legacy
 * status model: the expansion budget of one record, scalar, time and
 * result coercions, legacy_string and legacy_json, and the string-list
 * and JSON helpers the class normalisers of legacy.c build records with.
 */
#include "config.h"
#include "legacy.h"
#include "legacy-int.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Change.files may nest lists; real data nests one level at most. */
#define LEGACY_FILES_MAX_DEPTH	16
#define LEGACY_JSON_FLAGS	(JSON_COMPACT|JSON_SORT_KEYS|JSON_ENCODE_ANY)

/* Walk state of legacy_json: the current path, for cycle detection. */
struct legacy_walk {
	const struct pickle_value	*path[LEGACY_JSON_MAX_DEPTH];
	size_t				 depth;
	size_t				 nodes;
	size_t				 bytes;
	int				 too_large;
};

static json_t	*legacy_json_node(struct legacy_walk *,
		     const struct pickle_value *);

/*
 * Accounts for n objects of size bytes about to be copied out of the tree.
 * Returns -1 (and marks the record as over budget) when that would pass
 * LEGACY_MAX_EXPANSION; the callers then skip the copy.
 */
int
legacy_charge(struct legacy_ctx *ctx, size_t n, size_t size)
{
	size_t	 bytes;

	if (ctx->over)
		return (-1);
	if (size != 0 && n > SIZE_MAX / size) {
		ctx->over = 1;
		return (-1);
	}
	bytes = n * size;
	if (bytes > LEGACY_MAX_EXPANSION - ctx->used) {
		ctx->over = 1;
		return (-1);
	}
	ctx->used += bytes;
	return (0);
}

/* Charges a string the caller made; frees it and returns NULL when over. */
char *
legacy_keep(struct legacy_ctx *ctx, char *s)
{
	if (s == NULL)
		return (NULL);
	if (legacy_charge(ctx, strlen(s) + 1, 1) != 0) {
		free(s);
		return (NULL);
	}
	return (s);
}

/*
 * Every attribute lookup scans the object's state dict, and memo sharing
 * lets one object with a huge state be converted many times: charge the
 * scan so that the budget also bounds the work. Returns -1 when over.
 */
int
legacy_charge_state(struct legacy_ctx *ctx, const struct pickle_value *v)
{
	const struct pickle_value	*st = v->u.obj.state;

	if (st == NULL || st->type != PICKLE_DICT)
		return (legacy_charge(ctx, 0, 0));
	return (legacy_charge(ctx, st->u.dict.len, sizeof (void *)));
}

int
legacy_is_seq(const struct pickle_value *v)
{
	return (v != NULL && (v->type == PICKLE_LIST ||
	    v->type == PICKLE_TUPLE));
}

/* Words for a value's type in error messages ("an int", "a str"). */
void
legacy_describe(const struct pickle_value *v, char *out, size_t len)
{
	const char	*what;

	if (v == NULL) {
		snprintf(out, len, "missing");
		return;
	}
	switch (v->type) {
	case PICKLE_NONE:
		what = "None";
		break;
	case PICKLE_BOOL:
		what = "a bool";
		break;
	case PICKLE_INT:
		what = "an int";
		break;
	case PICKLE_LONG:
		what = "a long";
		break;
	case PICKLE_FLOAT:
		what = "a float";
		break;
	case PICKLE_BYTES:
		what = "a str";
		break;
	case PICKLE_UNICODE:
		what = "a unicode";
		break;
	case PICKLE_TUPLE:
		what = "a tuple";
		break;
	case PICKLE_LIST:
		what = "a list";
		break;
	case PICKLE_SET:
		what = "a set";
		break;
	case PICKLE_DICT:
		what = "a dict";
		break;
	case PICKLE_GLOBAL:
		snprintf(out, len, "the class %s.%s", v->u.obj.module,
		    v->u.obj.name);
		return;
	case PICKLE_OBJECT:
		snprintf(out, len, "an instance of %s.%s", v->u.obj.module,
		    v->u.obj.name);
		return;
	case PICKLE_CALL:
		snprintf(out, len, "a call of %s.%s", v->u.obj.module,
		    v->u.obj.name);
		return;
	default:
		what = "of an unknown type";
		break;
	}
	snprintf(out, len, "%s", what);
}

/* --- scalars ------------------------------------------------------------ */

/* Python's str() of a float: the shortest text that reads back the same. */
static char *
legacy_float_text(double f)
{
	char	 buf[64];
	int	 prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	if (isfinite(f) && strpbrk(buf, ".e") == NULL &&
	    strlen(buf) + 2 < sizeof buf)
		memcpy(buf + strlen(buf), ".0", 3);
	return (xstrdup(buf));
}

char *
legacy_string(const struct pickle_value *v)
{
	char	*s;

	if (v == NULL)
		return (NULL);
	switch (v->type) {
	case PICKLE_NONE:
		return (NULL);
	case PICKLE_BYTES:
	case PICKLE_UNICODE:
		return (utf8_from_bytes(v->u.str.ptr, v->u.str.len, NULL));
	case PICKLE_INT:
		xasprintf(&s, "%" PRId64, v->u.i);
		return (s);
	case PICKLE_LONG:
		return (xstrndup(v->u.str.ptr, v->u.str.len));
	case PICKLE_FLOAT:
		return (legacy_float_text(v->u.f));
	case PICKLE_BOOL:
		return (xstrdup(v->u.i ? "True" : "False"));
	default:
		return (legacy_json(v));
	}
}

/* Whether v is a scalar that has a natural string form. */
static int
legacy_is_scalar(const struct pickle_value *v)
{
	if (v == NULL)
		return (0);
	switch (v->type) {
	case PICKLE_BYTES:
	case PICKLE_UNICODE:
	case PICKLE_INT:
	case PICKLE_LONG:
	case PICKLE_FLOAT:
	case PICKLE_BOOL:
		return (1);
	default:
		return (0);
	}
}

/*
 * A string attribute value: a scalar as text, None as NULL, missing or of
 * another type as a copy of dflt (which may be NULL).
 */
char *
legacy_str(struct legacy_ctx *ctx, const struct pickle_value *v,
    const char *dflt)
{
	if (v != NULL && v->type == PICKLE_NONE)
		return (NULL);
	if (legacy_is_scalar(v))
		return (legacy_keep(ctx, legacy_string(v)));
	return (legacy_keep(ctx, dflt == NULL ? NULL : xstrdup(dflt)));
}

char *
legacy_attr_str(struct legacy_ctx *ctx, const struct pickle_value *obj,
    const char *key, const char *dflt)
{
	return (legacy_str(ctx, pickle_attr(obj, key), dflt));
}

/* Epoch seconds from a float or int; anything else is "no time". */
double
legacy_time(const struct pickle_value *v)
{
	if (v != NULL && v->type == PICKLE_FLOAT && isfinite(v->u.f))
		return (v->u.f);
	if (v != NULL && v->type == PICKLE_INT)
		return ((double)v->u.i);
	return (BBM_NO_TIME);
}

/*
 * A result code. <= 0.8.3 steps default to the tuple (None, []) and very
 * old ones stored (code, text): the first element is the code.
 */
int
legacy_results(const struct pickle_value *v)
{
	if (legacy_is_seq(v) && v->u.seq.len >= 1)
		v = v->u.seq.items[0];
	if (v == NULL)
		return (BBM_NO_RESULT);
	if (v->type == PICKLE_BOOL)
		return ((int)v->u.i);
	if (v->type == PICKLE_INT && v->u.i >= 0 && v->u.i <= INT_MAX)
		return ((int)v->u.i);
	return (BBM_NO_RESULT);
}

int
legacy_flag(const struct pickle_value *v)
{
	if (v != NULL && (v->type == PICKLE_BOOL || v->type == PICKLE_INT))
		return (v->u.i != 0);
	return (0);
}

/* --- JSON --------------------------------------------------------------- */

static json_t *
legacy_json_text(struct legacy_walk *w, const char *p, size_t len)
{
	json_t	*j;
	char	*s;
	size_t	 n;

	if (len > LEGACY_JSON_MAX_BYTES - w->bytes) {
		w->too_large = 1;
		return (json_null());
	}
	w->bytes += len;
	s = utf8_from_bytes(p, len, &n);
	j = json_stringn(s, n);
	free(s);
	return (j != NULL ? j : json_null());
}

/* "module.Name" of a class reference, as a JSON string. */
static json_t *
legacy_json_classname(struct legacy_walk *w, const struct pickle_value *v)
{
	json_t	*j;
	char	*s;

	xasprintf(&s, "%s.%s", v->u.obj.module, v->u.obj.name);
	j = legacy_json_text(w, s, strlen(s));
	free(s);
	return (j);
}

/*
 * datetime.datetime/date/time reduce to (packed bytes[, tzinfo]); render
 * them as Python's isoformat() without the zone. NULL if v is not one.
 */
static json_t *
legacy_json_datetime(const struct pickle_value *v)
{
	const struct pickle_value	*args, *b;
	const unsigned char		*p;
	char				 out[64];
	unsigned int			 usec;

	if (v->type != PICKLE_OBJECT && v->type != PICKLE_CALL)
		return (NULL);
	if (strcmp(v->u.obj.module, "datetime") != 0)
		return (NULL);
	args = v->u.obj.args;
	if (!legacy_is_seq(args) || args->u.seq.len < 1)
		return (NULL);
	b = args->u.seq.items[0];
	if (b == NULL || b->type != PICKLE_BYTES)
		return (NULL);
	p = (const unsigned char *)b->u.str.ptr;
	if (strcmp(v->u.obj.name, "datetime") == 0 && b->u.str.len == 10) {
		usec = ((unsigned int)p[7] << 16) | ((unsigned int)p[8] << 8) |
		    p[9];
		snprintf(out, sizeof out, "%04u-%02u-%02uT%02u:%02u:%02u",
		    ((unsigned int)p[0] << 8) | p[1], p[2], p[3], p[4], p[5],
		    p[6]);
	} else if (strcmp(v->u.obj.name, "date") == 0 && b->u.str.len == 4) {
		usec = 0;
		snprintf(out, sizeof out, "%04u-%02u-%02u",
		    ((unsigned int)p[0] << 8) | p[1], p[2], p[3]);
	} else if (strcmp(v->u.obj.name, "time") == 0 && b->u.str.len == 6) {
		usec = ((unsigned int)p[3] << 16) | ((unsigned int)p[4] << 8) |
		    p[5];
		snprintf(out, sizeof out, "%02u:%02u:%02u", p[0], p[1], p[2]);
	} else
		return (NULL);
	if (usec != 0)
		snprintf(out + strlen(out), sizeof out - strlen(out), ".%06u",
		    usec);
	return (json_string(out));
}

static json_t *
legacy_json_seq(struct legacy_walk *w, const struct pickle_value *v)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < v->u.seq.len && !w->too_large; i++)
		json_array_append_new(a, legacy_json_node(w, v->u.seq.items[i]));
	return (a);
}

static json_t *
legacy_json_dict(struct legacy_walk *w, const struct pickle_value *v)
{
	const struct pickle_value	*k;
	json_t				*o, *jk;
	char				*key, *dumped;
	size_t				 i;

	o = json_object();
	for (i = 0; i < v->u.dict.len && !w->too_large; i++) {
		k = v->u.dict.keys[i];
		if (pickle_is_string(k))
			key = utf8_from_bytes(k->u.str.ptr, k->u.str.len, NULL);
		else {
			jk = legacy_json_node(w, k);
			dumped = json_dumps(jk, LEGACY_JSON_FLAGS);
			json_decref(jk);
			key = xstrdup(dumped != NULL ? dumped : "null");
			free(dumped);
		}
		json_object_set_new(o, key, legacy_json_node(w, v->u.dict.vals[i]));
		free(key);
	}
	return (o);
}

static json_t *
legacy_json_object(struct legacy_walk *w, const struct pickle_value *v)
{
	json_t	*o, *j;

	if ((j = legacy_json_datetime(v)) != NULL)
		return (j);
	o = json_object();
	if (v->type == PICKLE_CALL) {
		json_object_set_new(o, "__call__", legacy_json_classname(w, v));
		json_object_set_new(o, "args", v->u.obj.args == NULL ?
		    json_null() : legacy_json_node(w, v->u.obj.args));
	} else {
		json_object_set_new(o, "__class__", legacy_json_classname(w, v));
		json_object_set_new(o, "state", v->u.obj.state == NULL ?
		    json_null() : legacy_json_node(w, v->u.obj.state));
	}
	return (o);
}

/* One node; containers go through the path check for cycles. */
static json_t *
legacy_json_node(struct legacy_walk *w, const struct pickle_value *v)
{
	json_t	*j;
	size_t	 i;

	if (w->too_large)
		return (json_null());
	if (++w->nodes > LEGACY_JSON_MAX_NODES) {
		w->too_large = 1;
		return (json_null());
	}
	if (v == NULL)
		return (json_null());
	switch (v->type) {
	case PICKLE_NONE:
		return (json_null());
	case PICKLE_BOOL:
		return (json_boolean(v->u.i));
	case PICKLE_INT:
		return (json_integer((json_int_t)v->u.i));
	case PICKLE_LONG:
		return (legacy_json_text(w, v->u.str.ptr, v->u.str.len));
	case PICKLE_FLOAT:
		j = isfinite(v->u.f) ? json_real(v->u.f) : NULL;
		return (j != NULL ? j : json_null());
	case PICKLE_BYTES:
	case PICKLE_UNICODE:
		return (legacy_json_text(w, v->u.str.ptr, v->u.str.len));
	case PICKLE_GLOBAL:
		return (legacy_json_classname(w, v));
	default:
		break;
	}
	if (w->depth >= LEGACY_JSON_MAX_DEPTH)
		return (json_string("<recursion>"));
	for (i = 0; i < w->depth; i++) {
		if (w->path[i] == v)
			return (json_string("<recursion>"));
	}
	w->path[w->depth++] = v;
	switch (v->type) {
	case PICKLE_TUPLE:
	case PICKLE_LIST:
	case PICKLE_SET:
		j = legacy_json_seq(w, v);
		break;
	case PICKLE_DICT:
		j = legacy_json_dict(w, v);
		break;
	case PICKLE_OBJECT:
	case PICKLE_CALL:
		j = legacy_json_object(w, v);
		break;
	default:
		j = json_null();
		break;
	}
	w->depth--;
	return (j);
}

char *
legacy_json(const struct pickle_value *v)
{
	struct legacy_walk	*w;
	json_t			*j;
	char			*s, *out;

	w = xcalloc(1, sizeof *w);
	j = legacy_json_node(w, v);
	if (w->too_large) {
		json_decref(j);
		j = json_string("<too large>");
	}
	free(w);
	s = json_dumps(j, LEGACY_JSON_FLAGS);
	json_decref(j);
	if (s == NULL)
		fatalx("legacy_json: json_dumps failed");
	out = xstrdup(s);
	free(s);
	return (out);
}

/* JSON of v, or a copy of dflt when v is missing or not a dict. */
char *
legacy_dict_json(struct legacy_ctx *ctx, const struct pickle_value *v,
    const char *dflt)
{
	if (ctx->over)
		return (NULL);
	if (v == NULL || v->type != PICKLE_DICT)
		return (legacy_keep(ctx, xstrdup(dflt)));
	return (legacy_keep(ctx, legacy_json(v)));
}

/* --- string lists ------------------------------------------------------- */

static void
legacy_strv_add(struct legacy_ctx *ctx, struct legacy_strv *sv,
    const struct pickle_value *v, int flatten, int depth)
{
	size_t	 i;
	char	*s;

	if (legacy_is_scalar(v)) {
		if ((s = legacy_keep(ctx, legacy_string(v))) == NULL)
			return;
		if (legacy_charge(ctx, 1, sizeof *sv->v) != 0) {
			free(s);
			return;
		}
		if (sv->n == sv->cap) {
			sv->cap = sv->cap == 0 ? 8 : sv->cap * 2;
			sv->v = xreallocarray(sv->v, sv->cap, sizeof *sv->v);
		}
		sv->v[sv->n++] = s;
		return;
	}
	/* Shared nested lists could make the walk, not the output, huge. */
	if (!flatten || !legacy_is_seq(v) || depth >= LEGACY_FILES_MAX_DEPTH ||
	    legacy_charge(ctx, v->u.seq.len, sizeof *sv->v) != 0)
		return;
	for (i = 0; i < v->u.seq.len && !ctx->over; i++)
		legacy_strv_add(ctx, sv, v->u.seq.items[i], flatten, depth + 1);
}

/*
 * The strings of a list, tuple or set (non-scalar elements skipped), or of
 * a lone scalar; with flatten, nested lists are walked too.
 */
void
legacy_strv_from(struct legacy_ctx *ctx, struct legacy_strv *sv,
    const struct pickle_value *v, int flatten)
{
	size_t	 i;

	memset(sv, 0, sizeof *sv);
	if (v == NULL)
		return;
	if (legacy_is_scalar(v)) {
		legacy_strv_add(ctx, sv, v, 0, 0);
		return;
	}
	if (!legacy_is_seq(v) && v->type != PICKLE_SET)
		return;
	for (i = 0; i < v->u.seq.len && !ctx->over; i++)
		legacy_strv_add(ctx, sv, v->u.seq.items[i], flatten, 1);
}

static void
legacy_strv_free(struct legacy_strv *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof *sv);
}

/* A JSON array of the strings of v ("[]" when v holds none). */
char *
legacy_strings_json(struct legacy_ctx *ctx, const struct pickle_value *v)
{
	struct legacy_strv	 sv;
	char			*s;

	legacy_strv_from(ctx, &sv, v, 0);
	s = ctx->over ? NULL : legacy_keep(ctx,
	    record_json_strings(sv.v, sv.n));
	legacy_strv_free(&sv);
	return (s);
}
