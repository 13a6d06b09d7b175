/*
 * event.c: the live normaliser. Checks the keys of one event frame
 * (protocol.h) and turns it into a struct bbm_event.
 *
 * Status objects (BuildStatus, BuildStepStatus, LogFile, BuilderStatus,
 * Change) become pickle trees (pickle_from_msgpack) and are normalised by
 * legacy.c, the code that reads the build pickles: a build seen live and
 * the same build imported later give the same records. Only the identity
 * keys of the event override what the status says (a build's builder
 * name, which its pickle does not carry).
 */
#include "config.h"
#include "event.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "pickle.h"
#include "protocol.h"

/* Limits for a status object: Python cannot nest deeper than this. */
static const struct pickle_limits event_limits = {
	.max_depth = 1000,
	.max_alloc = (size_t)256 << 20,
};

/* What an event carries besides the envelope. */
#define EVENT_BUILDER	0x01	/* "builder" */
#define EVENT_BUILD	0x02	/* "number", "started" */
#define EVENT_STEP	0x04	/* "step" */
#define EVENT_LOG	0x08	/* "log" */
#define EVENT_STATUS	0x10	/* "status" (required) */
#define EVENT_ETA	0x20	/* "eta" */

static const struct {
	const char	*name;
	enum event_type	 type;
	int		 keys;
} event_table[] = {
	{ "unknown", EVENT_UNKNOWN, 0 },
	{ "builderAdded", EVENT_BUILDER_ADDED, EVENT_BUILDER|EVENT_STATUS },
	{ "builderChangedState", EVENT_BUILDER_STATE, EVENT_BUILDER },
	{ "builderRemoved", EVENT_BUILDER_REMOVED, EVENT_BUILDER },
	{ "buildStarted", EVENT_BUILD_STARTED, EVENT_BUILDER|EVENT_BUILD },
	{ "buildFinished", EVENT_BUILD_FINISHED, EVENT_BUILDER|EVENT_BUILD },
	{ "buildETAUpdate", EVENT_BUILD_ETA,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_ETA },
	{ "stepStarted", EVENT_STEP_STARTED,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_STATUS },
	{ "stepFinished", EVENT_STEP_FINISHED,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_STATUS },
	{ "stepTextChanged", EVENT_STEP_TEXT,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_STATUS },
	{ "stepText2Changed", EVENT_STEP_TEXT2,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_STATUS },
	{ "stepETAUpdate", EVENT_STEP_ETA,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_ETA },
	{ "logStarted", EVENT_LOG_STARTED,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_LOG|EVENT_STATUS },
	{ "logChunk", EVENT_LOG_CHUNK,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_LOG },
	{ "logFinished", EVENT_LOG_FINISHED,
	    EVENT_BUILDER|EVENT_BUILD|EVENT_STEP|EVENT_LOG|EVENT_STATUS },
	{ "requestSubmitted", EVENT_REQUEST_SUBMITTED, 0 },
	{ "requestCancelled", EVENT_REQUEST_CANCELLED, EVENT_BUILDER },
	{ "buildsetSubmitted", EVENT_BUILDSET_SUBMITTED, 0 },
	{ "changeAdded", EVENT_CHANGE_ADDED, 0 },
	{ "slaveConnected", EVENT_SLAVE_CONNECTED, 0 },
	{ "slaveDisconnected", EVENT_SLAVE_DISCONNECTED, 0 },
	{ "slavePaused", EVENT_SLAVE_PAUSED, 0 },
	{ "slaveUnpaused", EVENT_SLAVE_UNPAUSED, 0 },
};
#define EVENT_NTYPES (sizeof event_table / sizeof event_table[0])

const char *
event_type_name(enum event_type type)
{
	size_t	 i;

	for (i = 0; i < EVENT_NTYPES; i++) {
		if (event_table[i].type == type)
			return (event_table[i].name);
	}
	return ("unknown");
}

enum event_type
event_type_from_name(const char *name)
{
	size_t	 i;

	/* "unknown" is not a name the protocol has. */
	for (i = 1; name != NULL && i < EVENT_NTYPES; i++) {
		if (strcmp(event_table[i].name, name) == 0)
			return (event_table[i].type);
	}
	return (EVENT_UNKNOWN);
}

/* Decoding one event: where messages come from and what they name. */
struct event_ctx {
	const struct frame_msg	*msg;
	struct bbm_event	*ev;
	const msgpack_object	*map;	/* the map keys are looked up in */
	const char		*in;	/* its key ("buildset"), or NULL */
	char			**cause;
};

/* "event 12 (stepFinished): key \"step\": reason"; returns -1. */
static int PRINTFLIKE(3, 4)
event_fail(struct event_ctx *c, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	xasprintf(c->cause, "event %" PRIu64 " (%s): key \"%s%s%s\": %s",
	    c->msg->seq, c->ev->name, c->in != NULL ? c->in : "",
	    c->in != NULL ? "." : "", key, reason);
	free(reason);
	return (-1);
}

/*
 * The value of key: NULL when missing (an error if required). A nil
 * value counts as missing when nullable.
 */
static int
event_get(struct event_ctx *c, const char *key, int required, int nullable,
    const msgpack_object **o)
{
	*o = frame_map_get(c->map, key);
	if (*o != NULL && nullable && (*o)->type == MSGPACK_OBJECT_NIL)
		*o = NULL;
	else if (*o == NULL && required)
		return (event_fail(c, key, "missing"));
	return (0);
}

/* A non-empty str (a copy in *out; NULL when absent and optional). */
static int
event_str(struct event_ctx *c, const char *key, int required, char **out)
{
	const msgpack_object	*o;

	*out = NULL;
	if (event_get(c, key, required, !required, &o) != 0 || o == NULL)
		return (o == NULL && required ? -1 : 0);
	if (o->type != MSGPACK_OBJECT_STR || (required && o->via.str.size == 0))
		return (event_fail(c, key, "expected a %sstr, got %s",
		    required ? "non-empty " : "", o->type ==
		    MSGPACK_OBJECT_STR ? "\"\"" : frame_type_word(o)));
	if (!utf8_valid(o->via.str.ptr, o->via.str.size))
		return (event_fail(c, key, "not valid UTF-8"));
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return (event_fail(c, key, "contains a NUL byte"));
	*out = xstrndup(o->via.str.ptr, o->via.str.size);
	return (0);
}

/*
 * An integer in [min, max]; nil gives dflt when nullable. Absent is an
 * error unless nullable.
 */
static int
event_int(struct event_ctx *c, const char *key, int nullable, int64_t min,
    int64_t max, int64_t dflt, int64_t *out)
{
	const msgpack_object	*o;
	int64_t			 v;

	*out = dflt;
	if (event_get(c, key, !nullable, nullable, &o) != 0)
		return (-1);
	if (o == NULL)
		return (0);
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= (uint64_t)max)
		v = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		v = o->via.i64;
	else
		v = min - 1;
	if ((o->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER) || v < min) {
		if (min == 0 && max == INT64_MAX)
			return (event_fail(c, key, "expected an integer >= 0, "
			    "got %s", frame_type_word(o)));
		return (event_fail(c, key, "expected an integer from %" PRId64
		    " to %" PRId64 ", got %s", min, max, frame_type_word(o)));
	}
	if (v > max)
		return (event_fail(c, key, "expected an integer from %" PRId64
		    " to %" PRId64, min, max));
	*out = v;
	return (0);
}

/* A time or ETA: a number, or nil for NaN. Required to be present. */
static int
event_number(struct event_ctx *c, const char *key, double *out)
{
	const msgpack_object	*o;

	*out = NAN;
	if (event_get(c, key, 1, 0, &o) != 0)
		return (-1);
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return (0);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return (0);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return (0);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return (0);
	default:
		return (event_fail(c, key, "expected a number or nil, got %s",
		    frame_type_word(o)));
	}
}

/* A value of one msgpack type (ARRAY, MAP, ...), required. */
static int
event_typed(struct event_ctx *c, const char *key, msgpack_object_type type,
    const char *word, const msgpack_object **o)
{
	if (event_get(c, key, 1, 0, o) != 0)
		return (-1);
	if ((*o)->type != type)
		return (event_fail(c, key, "expected %s, got %s", word,
		    frame_type_word(*o)));
	return (0);
}

/*
 * The pickle tree of a status object (caller frees), NULL on error. The
 * tree is named by its key; a message gets the event's name in front only
 * when there is one ("event 12 (stepStarted): key \"status\": ...").
 */
static struct pickle *
event_pickle(struct event_ctx *c, const char *key, const msgpack_object *o)
{
	struct pickle	*doc;
	char		*why = NULL;
	size_t		 n = strlen(key);

	doc = pickle_from_msgpack(o, key, &event_limits, &why);
	if (doc != NULL)
		return (doc);
	/* why is "<key>: reason". */
	xasprintf(c->cause, "event %" PRIu64 " (%s): key \"%s\"%s",
	    c->msg->seq, c->ev->name, key, strncmp(why, key, n) == 0 ?
	    why + n : why);
	free(why);
	return (NULL);
}

/* The status object under key, normalised by the legacy function of ev. */
static int
event_status(struct event_ctx *c, const char *key)
{
	struct bbm_event	*ev = c->ev;
	const msgpack_object	*o;
	struct pickle		*doc;
	char			*why = NULL;
	int			 r;

	if (event_get(c, key, 1, 0, &o) != 0 ||
	    (doc = event_pickle(c, key, o)) == NULL)
		return (-1);
	switch (ev->type) {
	case EVENT_BUILDER_ADDED:
		ev->builder_rec = xcalloc(1, sizeof *ev->builder_rec);
		if ((r = legacy_builder(doc->root, ev->builder_rec, &why)) ==
		    0) {
			free(ev->builder_rec->name);
			ev->builder_rec->name = xstrdup(ev->builder);
		}
		break;
	case EVENT_BUILD_STARTED:
	case EVENT_BUILD_FINISHED:
		ev->build = xcalloc(1, sizeof *ev->build);
		r = legacy_build(doc->root, ev->build, &why);
		if (r == 0 && ev->build->number != ev->number) {
			xasprintf(&why, "number %" PRId64 " differs from the "
			    "event's %" PRId64, ev->build->number, ev->number);
			r = -1;
		} else if (r == 0) {
			free(ev->build->builder_name);
			ev->build->builder_name = xstrdup(ev->builder);
		}
		break;
	case EVENT_LOG_STARTED:
	case EVENT_LOG_FINISHED:
		ev->log_rec = xcalloc(1, sizeof *ev->log_rec);
		r = legacy_log_record(doc->root, ev->log_rec, &why);
		break;
	case EVENT_CHANGE_ADDED:
		ev->change = xcalloc(1, sizeof *ev->change);
		r = legacy_change(doc->root, ev->change, &why);
		break;
	default:
		ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
		r = legacy_step_record(doc->root, (size_t)ev->step,
		    ev->step_rec, &why);
		break;
	}
	pickle_free(doc);
	if (r != 0) {
		event_fail(c, key, "%s", why);
		free(why);
	}
	return (r);
}

/* buildsetSubmitted's properties: name -> [value, source]. */
static int
event_buildset_props(struct event_ctx *c, struct bbm_buildset *bs)
{
	const msgpack_object	*o;
	const struct pickle_value *d, *pair, *src;
	struct bbm_property	*p;
	struct pickle		*doc;
	size_t			 i;

	if (event_get(c, "properties", 0, 1, &o) != 0 || o == NULL)
		return (0);
	if (o->type != MSGPACK_OBJECT_MAP)
		return (event_fail(c, "properties", "expected a map, got %s",
		    frame_type_word(o)));
	if ((doc = event_pickle(c, "buildset.properties", o)) == NULL)
		return (-1);
	d = doc->root;
	bs->properties = xcalloc(d->u.dict.len + 1, sizeof *bs->properties);
	for (i = 0; i < d->u.dict.len; i++) {
		pair = d->u.dict.vals[i];
		if (!pickle_is_string(d->u.dict.keys[i])) {
			pickle_free(doc);
			return (event_fail(c, "properties", "name %zu is not "
			    "a string", i));
		}
		if (pair->type != PICKLE_LIST || pair->u.seq.len != 2 ||
		    ((src = pair->u.seq.items[1])->type != PICKLE_NONE &&
		    !pickle_is_string(src))) {
			pickle_free(doc);
			return (event_fail(c, "properties", "value %zu is not "
			    "a [value, source str] pair", i));
		}
		p = &bs->properties[bs->nproperties++];
		p->name = legacy_string(d->u.dict.keys[i]);
		p->value = legacy_json(pair->u.seq.items[0]);
		p->source = legacy_string(src);
	}
	pickle_free(doc);
	return (0);
}

static int
event_buildset(struct event_ctx *c)
{
	struct bbm_buildset	*bs;
	const msgpack_object	*o;
	int64_t			 v;

	if (event_typed(c, PROTOCOL_KEY_BUILDSET, MSGPACK_OBJECT_MAP, "a map",
	    &o) != 0)
		return (-1);
	bs = c->ev->buildset = xcalloc(1, sizeof *bs);
	c->map = o;
	c->in = PROTOCOL_KEY_BUILDSET;
	if (event_int(c, "bsid", 0, 0, INT64_MAX, 0, &bs->bsid) != 0 ||
	    event_str(c, "reason", 0, &bs->reason) != 0 ||
	    event_str(c, "external_idstring", 0,
	    &bs->external_idstring) != 0 ||
	    event_number(c, "submitted_at", &bs->submitted_at) != 0 ||
	    event_number(c, "complete_at", &bs->complete_at) != 0 ||
	    event_int(c, "results", 1, -1, INT_MAX, -1, &v) != 0)
		return (-1);
	bs->results = (v < 0) ? BBM_NO_RESULT : (int)v;
	if (event_get(c, "complete", 1, 0, &o) != 0)
		return (-1);
	if (o->type == MSGPACK_OBJECT_BOOLEAN)
		bs->complete = o->via.boolean;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		bs->complete = o->via.u64 != 0;
	else if (o->type != MSGPACK_OBJECT_NIL)
		return (event_fail(c, "complete", "expected a bool, got %s",
		    frame_type_word(o)));
	return (event_buildset_props(c, bs));
}

static int
event_request(struct event_ctx *c)
{
	struct bbm_buildrequest	*br;
	const msgpack_object	*o;

	if (event_typed(c, PROTOCOL_KEY_REQUEST, MSGPACK_OBJECT_MAP, "a map",
	    &o) != 0)
		return (-1);
	br = c->ev->request = xcalloc(1, sizeof *br);
	br->claimed_at = br->complete_at = BBM_NO_TIME;
	br->results = BBM_NO_RESULT;
	c->map = o;
	c->in = PROTOCOL_KEY_REQUEST;
	return (event_int(c, "brid", 1, 0, INT64_MAX, -1, &br->brid) != 0 ||
	    event_int(c, "bsid", 1, 0, INT64_MAX, -1, &br->bsid) != 0 ||
	    event_str(c, PROTOCOL_KEY_BUILDER, 1, &br->builder_name) != 0 ||
	    event_number(c, "submitted_at", &br->submitted_at) != 0 ? -1 : 0);
}

/* stepFinished's results: [code, text2]. */
static int
event_step_results(struct event_ctx *c)
{
	const msgpack_object	*o, *code, *text2;

	if (event_typed(c, PROTOCOL_KEY_RESULTS, MSGPACK_OBJECT_ARRAY,
	    "an array [code, text2]", &o) != 0)
		return (-1);
	if (o->via.array.size != 2)
		return (event_fail(c, PROTOCOL_KEY_RESULTS, "expected an array "
		    "[code, text2], got %u items", o->via.array.size));
	code = &o->via.array.ptr[0];
	text2 = &o->via.array.ptr[1];
	if (code->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    code->via.u64 > INT_MAX)
		return (event_fail(c, PROTOCOL_KEY_RESULTS, "code: expected an "
		    "integer >= 0, got %s", frame_type_word(code)));
	if (text2->type != MSGPACK_OBJECT_ARRAY &&
	    text2->type != MSGPACK_OBJECT_NIL)
		return (event_fail(c, PROTOCOL_KEY_RESULTS, "text2: expected "
		    "an array, got %s", frame_type_word(text2)));
	c->ev->results = (int)code->via.u64;
	return (0);
}

static int
event_log_chunk(struct event_ctx *c)
{
	struct bbm_event	*ev = c->ev;
	const msgpack_object	*o;
	int64_t			 ch;

	if (event_int(c, PROTOCOL_KEY_CHANNEL, 0, 0, 9, 0, &ch) != 0 ||
	    event_get(c, PROTOCOL_KEY_TEXT, 1, 0, &o) != 0)
		return (-1);
	ev->channel = (int)ch;
	if (o->type == MSGPACK_OBJECT_BIN) {
		ev->chunk_text = o->via.bin.ptr;
		ev->chunk_len = o->via.bin.size;
	} else if (o->type == MSGPACK_OBJECT_STR) {
		if (!utf8_valid(o->via.str.ptr, o->via.str.size))
			return (event_fail(c, PROTOCOL_KEY_TEXT, "not valid "
			    "UTF-8"));
		ev->chunk_text = o->via.str.ptr;
		ev->chunk_len = o->via.str.size;
	} else
		return (event_fail(c, PROTOCOL_KEY_TEXT, "expected bin or str, "
		    "got %s", frame_type_word(o)));
	if (event_get(c, PROTOCOL_KEY_MORE, 0, 1, &o) != 0 || o == NULL)
		return (0);
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return (event_fail(c, PROTOCOL_KEY_MORE, "expected a bool, got "
		    "%s", frame_type_word(o)));
	ev->chunk_more = o->via.boolean;
	return (0);
}

/* The keys particular to ev->type (identity keys are already done). */
static int
event_keys(struct event_ctx *c)
{
	struct bbm_event	*ev = c->ev;
	const msgpack_object	*o;
	int64_t			 v;

	switch (ev->type) {
	case EVENT_BUILDER_ADDED:
		return (event_status(c, PROTOCOL_KEY_STATUS));
	case EVENT_BUILDER_STATE:
		return (event_str(c, PROTOCOL_KEY_STATE, 1, &ev->state));
	case EVENT_BUILD_FINISHED:
		if (event_int(c, PROTOCOL_KEY_RESULTS, 0, 0, INT_MAX, 0,
		    &v) != 0)
			return (-1);
		ev->results = (int)v;
		/* FALLTHROUGH */
	case EVENT_BUILD_STARTED:
		return (event_status(c, PROTOCOL_KEY_BUILD));
	case EVENT_STEP_FINISHED:
		if (event_step_results(c) != 0)
			return (-1);
		return (event_status(c, PROTOCOL_KEY_STATUS));
	case EVENT_STEP_TEXT:
	case EVENT_STEP_TEXT2:
		if (event_typed(c, ev->type == EVENT_STEP_TEXT ?
		    PROTOCOL_KEY_TEXT : PROTOCOL_KEY_TEXT2,
		    MSGPACK_OBJECT_ARRAY, "an array", &o) != 0)
			return (-1);
		/* FALLTHROUGH */
	case EVENT_STEP_STARTED:
	case EVENT_LOG_STARTED:
	case EVENT_LOG_FINISHED:
		return (event_status(c, PROTOCOL_KEY_STATUS));
	case EVENT_LOG_CHUNK:
		return (event_log_chunk(c));
	case EVENT_REQUEST_SUBMITTED:
	case EVENT_REQUEST_CANCELLED:
		return (event_request(c));
	case EVENT_BUILDSET_SUBMITTED:
		return (event_buildset(c));
	case EVENT_CHANGE_ADDED:
		return (event_status(c, PROTOCOL_KEY_CHANGE));
	case EVENT_SLAVE_CONNECTED:
	case EVENT_SLAVE_DISCONNECTED:
	case EVENT_SLAVE_PAUSED:
	case EVENT_SLAVE_UNPAUSED:
		return (event_str(c, PROTOCOL_KEY_SLAVE, 1, &ev->slave));
	default:
		return (0);
	}
}

int
event_decode(const struct frame_msg *msg, struct bbm_event *ev, char **cause)
{
	struct event_ctx	 c;
	size_t			 i;
	int			 keys;

	memset(ev, 0, sizeof *ev);
	ev->number = ev->step = ev->log = -1;
	ev->time = ev->started = ev->eta = NAN;
	ev->seq = msg->seq;
	ev->time = msg->time;
	ev->name = xstrdup(msg->event != NULL ? msg->event : "");
	if (msg->type != FRAME_EVENT || msg->root == NULL) {
		xasprintf(cause, "not an event frame");
		return (-1);
	}
	ev->type = event_type_from_name(ev->name);
	if (ev->type == EVENT_UNKNOWN)
		return (0);
	for (i = 0; event_table[i].type != ev->type; i++)
		;
	keys = event_table[i].keys;

	c.msg = msg;
	c.ev = ev;
	c.map = msg->root;
	c.in = NULL;
	c.cause = cause;
	if ((keys & EVENT_BUILDER) &&
	    event_str(&c, PROTOCOL_KEY_BUILDER, 1, &ev->builder) != 0)
		return (-1);
	if ((keys & EVENT_BUILD) &&
	    (event_int(&c, PROTOCOL_KEY_NUMBER, 0, 0, INT64_MAX, -1,
	    &ev->number) != 0 ||
	    event_number(&c, PROTOCOL_KEY_STARTED, &ev->started) != 0))
		return (-1);
	if ((keys & EVENT_STEP) && event_int(&c, PROTOCOL_KEY_STEP, 0, 0,
	    INT64_MAX, -1, &ev->step) != 0)
		return (-1);
	if ((keys & EVENT_LOG) && event_int(&c, PROTOCOL_KEY_LOG, 0, 0,
	    INT64_MAX, -1, &ev->log) != 0)
		return (-1);
	if ((keys & EVENT_ETA) && event_number(&c, PROTOCOL_KEY_ETA,
	    &ev->eta) != 0)
		return (-1);
	return (event_keys(&c));
}

void
event_free(struct bbm_event *ev)
{
	free(ev->name);
	free(ev->builder);
	free(ev->state);
	free(ev->slave);
	if (ev->builder_rec != NULL) {
		record_builder_free(ev->builder_rec);
		free(ev->builder_rec);
	}
	if (ev->build != NULL) {
		record_build_free(ev->build);
		free(ev->build);
	}
	if (ev->step_rec != NULL) {
		record_step_free(ev->step_rec);
		free(ev->step_rec);
	}
	if (ev->log_rec != NULL) {
		record_log_free(ev->log_rec);
		free(ev->log_rec);
	}
	if (ev->change != NULL) {
		record_change_free(ev->change);
		free(ev->change);
	}
	if (ev->buildset != NULL) {
		record_buildset_free(ev->buildset);
		free(ev->buildset);
	}
	if (ev->request != NULL) {
		record_buildrequest_free(ev->request);
		free(ev->request);
	}
	memset(ev, 0, sizeof *ev);
}
