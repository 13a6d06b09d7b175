/*
 * push-event.c: one HttpStatusPush packet into an event (push.h,
 * push_build_event): which event a name is (0.8.0-0.8.5's buildedRemoved
 * is builderRemoved; start, shutdown and the events an unmodified master
 * never sends write nothing), what each payload holds (spec 5b, 5d), and
 * the normalisation of the status objects push-build.c rebuilt, through
 * pickle_from_msgpack and legacy.h as for the plugin's events.
 *
 * What asDict does not say: a builder's event list (kept as stored), the
 * builder directory (asDict gives its base name), a step packet's build
 * (named by the properties buildername and buildnumber; its start time
 * and index come from push_state_resolve), a request's ids (0.8.4+ sends
 * only the builder: such a request writes nothing).
 */
#include "config.h"
#include "push.h"
#include "push-int.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "pickle.h"

/* As event.c's limits for a live status object. */
static const struct pickle_limits push_limits = {
	.max_depth = 1000,
	.max_alloc = (size_t)256 << 20,
};

#define PUSH_BUILDER	"buildbot.status.builder"

/* --- from msgpack to records -------------------------------------------- */

/* The pickle tree of the one object packed in b; NULL with *cause. */
static struct pickle *
push_ev_tree(struct push_ctx *pb, const struct push_buf *b, const char *path)
{
	msgpack_unpacked	 u;
	struct pickle		*doc;
	char			*why = NULL;
	size_t			 off = 0;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, b->sb.data, b->sb.size, &off) !=
	    MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&u);
		push_fail(pb, path, NULL, "too deeply nested");
		return (NULL);
	}
	doc = pickle_from_msgpack(&u.data, path, &push_limits, &why);
	msgpack_unpacked_destroy(&u);
	if (doc == NULL) {
		push_fail(pb, path, NULL, "%s", why);
		free(why);
	}
	return (doc);
}

/* buildStarted, buildFinished: the build. */
static int
push_ev_build(struct push_ctx *pb, const json_t *payload, struct bbm_event *ev)
{
	const json_t	*b;
	const char	*builder;
	struct push_buf	 buf;
	struct pickle	*doc;
	char		*why = NULL;
	int		 r;

	if (push_typed(pb, payload, "payload", "build", JSON_OBJECT, &b) != 0)
		return (-1);
	if (b == NULL)
		return (push_fail(pb, "payload", "build", "missing"));
	if (push_req_str(pb, b, "payload.build", "builderName", &builder) != 0)
		return (-1);
	push_buf_init(&buf);
	if (push_build(pb, b, "payload.build", &buf) != 0) {
		push_buf_free(&buf);
		return (-1);
	}
	doc = push_ev_tree(pb, &buf, "payload.build");
	push_buf_free(&buf);
	if (doc == NULL)
		return (-1);
	ev->build = xcalloc(1, sizeof *ev->build);
	r = legacy_build(doc->root, ev->build, &why);
	pickle_free(doc);
	if (r != 0) {
		push_fail(pb, "payload", "build", "%s", why);
		free(why);
		return (-1);
	}
	ev->builder = xstrdup(builder);
	free(ev->build->builder_name);
	ev->build->builder_name = xstrdup(builder);
	ev->number = ev->build->number;
	ev->started = ev->build->started_at;
	ev->results = ev->build->results;
	return (0);
}

/*
 * The build of a step event, from its properties: buildername and
 * buildnumber (the packet does not name the build otherwise).
 */
static int
push_ev_step_build(struct push_ctx *pb, const json_t *props,
    struct bbm_event *ev)
{
	const json_t	*e, *name, *v;
	size_t		 i;

	json_array_foreach(props, i, e) {
		if (!json_is_array(e) || !json_is_string(name =
		    json_array_get(e, 0)))
			continue;
		v = json_array_get(e, 1);
		if (strcmp(json_string_value(name), "buildername") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return (push_fail(pb, "payload", "properties",
				    "buildername: expected a string"));
			free(ev->builder);
			ev->builder = xstrdup(json_string_value(v));
		} else if (strcmp(json_string_value(name),
		    "buildnumber") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return (push_fail(pb, "payload", "properties",
				    "buildnumber: expected an integer >= 0"));
			ev->number = json_integer_value(v);
		}
	}
	if (ev->builder == NULL || ev->number < 0)
		return (push_fail(pb, "payload", "properties", "no %s property: "
		    "the step's build is unknown", ev->builder == NULL ?
		    "buildername" : "buildnumber"));
	return (0);
}

/* stepStarted, stepFinished (and the text events, never sent). */
static int
push_ev_step(struct push_ctx *pb, const json_t *payload, struct bbm_event *ev)
{
	const json_t	*props, *s, *text2;
	struct push_buf	 buf;
	struct push_taken	 taken;
	struct pickle	*doc;
	char		*why = NULL;
	int64_t		 index;
	int		 code, r;

	if (push_typed(pb, payload, "payload", "properties", JSON_ARRAY,
	    &props) != 0 || push_typed(pb, payload, "payload", "step",
	    JSON_OBJECT, &s) != 0)
		return (-1);
	if (props == NULL)
		return (push_fail(pb, "payload", "properties", "missing"));
	if (s == NULL)
		return (push_fail(pb, "payload", "step", "missing"));
	if (push_ev_step_build(pb, props, ev) != 0 ||
	    push_int(pb, s, "payload.step", "step_number", 0, INT_MAX,
	    &index) != 0)
		return (-1);
	push_buf_init(&buf);
	memset(&taken, 0, sizeof taken);
	r = push_step(pb, s, "payload.step", ev->number, &taken, &buf.pk,
	    &text2, &code);
	push_taken_free(&taken);
	if (r != 0) {
		push_buf_free(&buf);
		return (-1);
	}
	doc = push_ev_tree(pb, &buf, "payload.step");
	push_buf_free(&buf);
	if (doc == NULL)
		return (-1);
	ev->step = index;
	ev->step_rec = xcalloc(1, sizeof *ev->step_rec);
	r = legacy_step_record(doc->root, (size_t)index, ev->step_rec, &why);
	pickle_free(doc);
	if (r != 0) {
		push_fail(pb, "payload", "step", "%s", why);
		free(why);
		return (-1);
	}
	ev->results = code < 0 ? BBM_NO_RESULT : code;
	return (0);
}

/* builderAdded: the builder, without the event list asDict lacks. */
static int
push_ev_builder(struct push_ctx *pb, const json_t *payload,
    struct bbm_event *ev, struct push_packet *p)
{
	const json_t	*b, *a;
	const char	*basedir;
	struct push_map	 m;
	struct push_buf	 buf;
	struct pickle	*doc;
	char		*why = NULL;
	int		 r;

	if (push_typed(pb, payload, "payload", "builder", JSON_OBJECT, &b) != 0)
		return (-1);
	if (b == NULL)
		return (push_fail(pb, "payload", "builder", "missing"));
	push_map_init(&m);
	push_cstr(push_key(&m, "name"), ev->builder);
	if (push_put_str(pb, b, "payload.builder", "category", "category",
	    &m) != 0 || push_opt_str(pb, b, "payload.builder", "basedir",
	    &basedir) != 0 || push_typed(pb, b, "payload.builder", "tags",
	    JSON_ARRAY, &a) != 0)
		goto fail;
	if (a != NULL && push_strings(pb, a, "payload.builder", "tags",
	    push_key(&m, "tags")) != 0)
		goto fail;
	if (push_put_strings(pb, b, "payload.builder", "slaves", "slavenames",
	    &m) != 0)
		goto fail;
	push_buf_init(&buf);
	push_instance(&buf.pk, PUSH_BUILDER, "BuilderStatus", &m);
	doc = push_ev_tree(pb, &buf, "payload.builder");
	push_buf_free(&buf);
	if (doc == NULL)
		return (-1);
	ev->builder_rec = xcalloc(1, sizeof *ev->builder_rec);
	r = legacy_builder(doc->root, ev->builder_rec, &why);
	pickle_free(doc);
	if (r != 0) {
		push_fail(pb, "payload", "builder", "%s", why);
		free(why);
		return (-1);
	}
	/* asDict has no event list: keep the stored one. */
	ev->builder_rec->events_known = 0;
	free(ev->builder_rec->events);
	ev->builder_rec->events = NULL;
	ev->builder_rec->nevents = 0;
	free(ev->builder_rec->name);
	ev->builder_rec->name = xstrdup(ev->builder);
	/* asDict gives the directory's base name. */
	if (basedir != NULL && *basedir != '\0' && strcmp(basedir, ".") != 0 &&
	    strcmp(basedir, "..") != 0 && strchr(basedir, '/') == NULL) {
		ev->builder_rec->builddir = xstrdup(basedir);
		p->basedir = xstrdup(basedir);
	}
	return (0);
fail:
	push_buf_free(&m.body);
	return (-1);
}

/* changeAdded: the change. */
static int
push_ev_change(struct push_ctx *pb, const json_t *payload, struct bbm_event *ev)
{
	const json_t	*c;
	struct push_buf	 buf;
	struct pickle	*doc;
	char		*why = NULL;
	int		 r;

	if (push_typed(pb, payload, "payload", "change", JSON_OBJECT, &c) != 0)
		return (-1);
	if (c == NULL)
		return (push_fail(pb, "payload", "change", "missing"));
	push_buf_init(&buf);
	if (push_change(pb, c, "payload.change", &buf.pk) != 0) {
		push_buf_free(&buf);
		return (-1);
	}
	doc = push_ev_tree(pb, &buf, "payload.change");
	push_buf_free(&buf);
	if (doc == NULL)
		return (-1);
	ev->change = xcalloc(1, sizeof *ev->change);
	r = legacy_change(doc->root, ev->change, &why);
	pickle_free(doc);
	if (r != 0) {
		push_fail(pb, "payload", "change", "%s", why);
		free(why);
		return (-1);
	}
	return (0);
}

/* A time of a buildset: a datetime string, a number, or nothing. */
static int
push_ev_bs_time(struct push_ctx *pb, const json_t *o, const char *key,
    double *out)
{
	const json_t	*v;

	*out = NAN;
	if ((v = push_get(o, key)) == NULL)
		return (0);
	if (json_is_string(v)) {
		*out = push_parse_time(json_string_value(v));
		if (isnan(*out))
			return (push_fail(pb, "payload.buildset", key, "not a "
			    "time"));
		return (0);
	}
	return (push_time_of(pb, v, "payload.buildset", key, out));
}

/* buildsetSubmitted (0.8.6+): the buildset. */
static int
push_ev_buildset(struct push_ctx *pb, const json_t *payload,
    struct bbm_event *ev)
{
	const json_t		*o;
	struct bbm_buildset	*bs;
	const char		*s;
	int64_t			 results;

	if (push_typed(pb, payload, "payload", "buildset", JSON_OBJECT, &o) != 0)
		return (-1);
	if (o == NULL)
		return (push_fail(pb, "payload", "buildset", "missing"));
	bs = ev->buildset = xcalloc(1, sizeof *bs);
	bs->results = BBM_NO_RESULT;
	if (push_int(pb, o, "payload.buildset", "bsid", 0, INT64_MAX,
	    &bs->bsid) != 0 || push_bool(pb, o, "payload.buildset", "complete",
	    &bs->complete) != 0 || push_ev_bs_time(pb, o, "submitted_at",
	    &bs->submitted_at) != 0 || push_ev_bs_time(pb, o, "complete_at",
	    &bs->complete_at) != 0 || push_int(pb, o, "payload.buildset",
	    "results", -1, INT_MAX, &results) != 0)
		return (-1);
	/* Incomplete: -1. Complete and SUCCESS: 0, dropped. */
	if (results >= 0 && (results > 0 || bs->complete))
		bs->results = (int)results;
	if (push_opt_str(pb, o, "payload.buildset", "reason", &s) != 0)
		return (-1);
	bs->reason = s != NULL ? xstrdup(s) : NULL;
	if (push_opt_str(pb, o, "payload.buildset", "external_idstring",
	    &s) != 0)
		return (-1);
	bs->external_idstring = s != NULL ? xstrdup(s) : NULL;
	return (0);
}

/* requestSubmitted: 0.8.4+ says only the builder (no brid: ignored). */
static int
push_ev_request(struct push_ctx *pb, const json_t *payload,
    struct bbm_event *ev)
{
	const json_t		*o;
	struct bbm_buildrequest	*br;
	const char		*s;

	if (push_typed(pb, payload, "payload", "request", JSON_OBJECT, &o) != 0)
		return (-1);
	br = ev->request = xcalloc(1, sizeof *br);
	br->brid = br->bsid = -1;
	br->submitted_at = br->claimed_at = br->complete_at = BBM_NO_TIME;
	br->results = BBM_NO_RESULT;
	if (o == NULL)
		return (0);
	if (push_opt_str(pb, o, "payload.request", "builderName", &s) != 0)
		return (-1);
	br->builder_name = s != NULL ? xstrdup(s) : NULL;
	return (0);
}

int
push_build_event(const void *packet, const char *event, size_t index,
    struct push_packet *p, char **cause)
{
	struct bbm_event	*ev = &p->ev;
	const json_t		*payload, *o;
	const char		*s;
	struct push_ctx		 pb;

	payload = json_object_get(packet, "payload");
	pb.index = index;
	pb.event = event;
	pb.cause = cause;
	ev->name = xstrdup(event);
	ev->time = p->time;
	/* 0.8.0-0.8.5 misspell builderRemoved. */
	if (strcmp(event, "buildedRemoved") == 0)
		ev->type = EVENT_BUILDER_REMOVED;
	else
		ev->type = event_type_from_name(event);
	switch (ev->type) {
	case EVENT_BUILDER_ADDED:
	case EVENT_BUILDER_STATE:
	case EVENT_BUILDER_REMOVED:
		if (push_req_str(&pb, payload, "payload", "builderName",
		    &s) != 0)
			return (-1);
		ev->builder = xstrdup(s);
		if (ev->type == EVENT_BUILDER_ADDED)
			return (push_ev_builder(&pb, payload, ev, p));
		if (ev->type == EVENT_BUILDER_REMOVED)
			return (0);
		if (push_req_str(&pb, payload, "payload", "state", &s) != 0)
			return (-1);
		ev->state = xstrdup(s);
		return (0);
	case EVENT_BUILD_STARTED:
	case EVENT_BUILD_FINISHED:
		return (push_ev_build(&pb, payload, ev));
	case EVENT_STEP_STARTED:
	case EVENT_STEP_FINISHED:
	case EVENT_STEP_TEXT:
	case EVENT_STEP_TEXT2:
		return (push_ev_step(&pb, payload, ev));
	case EVENT_CHANGE_ADDED:
		return (push_ev_change(&pb, payload, ev));
	case EVENT_BUILDSET_SUBMITTED:
		return (push_ev_buildset(&pb, payload, ev));
	case EVENT_REQUEST_SUBMITTED:
		return (push_ev_request(&pb, payload, ev));
	case EVENT_SLAVE_CONNECTED:
		if (push_typed(&pb, payload, "payload", "slave", JSON_OBJECT,
		    &o) != 0)
			return (-1);
		if (o == NULL)
			return (push_fail(&pb, "payload", "slave", "missing"));
		if (push_req_str(&pb, o, "payload.slave", "name", &s) != 0)
			return (-1);
		ev->slave = xstrdup(s);
		return (0);
	case EVENT_SLAVE_DISCONNECTED:
	case EVENT_SLAVE_PAUSED:
	case EVENT_SLAVE_UNPAUSED:
		if (push_req_str(&pb, payload, "payload", "slavename", &s) != 0)
			return (-1);
		ev->slave = xstrdup(s);
		return (0);
	default:
		/*
		 * start, shutdown, and what an unmodified master never sends
		 * (ETA updates, log events without a log name,
		 * requestCancelled): nothing to write.
		 */
		ev->type = EVENT_UNKNOWN;
		return (0);
	}
}

/* --- log file names ------------------------------------------------------ */

char *
push_log_filename(int64_t number, const char *step, const char *log,
    char *const *taken, size_t ntaken)
{
	struct buf	 b;
	char		*base, *s, *out;
	size_t		 i, n, len, k;
	unsigned int	 suffix;
	int		 c;

	xasprintf(&base, "%" PRId64 "-log-%s-%s", number, step, log);
	len = strlen(base);
	s = xmalloc(len + 1);
	for (i = k = 0; i < len; i += n) {
		c = (unsigned char)base[i];
		n = 1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')
			s[k++] = (char)c;
		else {
			/* A UTF-8 character is one '_' (Python's unicode). */
			if (c >= 0x80 && (n = utf8_seq(base + i, len - i,
			    0)) == 0)
				n = 1;
			s[k++] = '_';
		}
	}
	s[k] = '\0';
	free(base);
	buf_init(&b, 0);
	for (suffix = 0;; suffix++) {
		buf_reset(&b);
		if ((suffix == 0 ? buf_addf(&b, "%s", s) : buf_addf(&b,
		    "%s_%u", s, suffix - 1)) != 0)
			fatalx("push_log_filename: out of buffer");
		for (i = 0; i < ntaken; i++) {
			if (taken[i] != NULL && strcmp(taken[i], b.data) == 0)
				break;
		}
		if (i == ntaken)
			break;
	}
	free(s);
	out = buf_steal(&b, NULL);
	return (out);
}
