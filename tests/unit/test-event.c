/*
 * test-event.c: the live normaliser (event.h) and pickle_from_msgpack.
 *
 * The main check takes real build, builder and change pickles (the
 * synthetic ones of tests/data/legacy and the master directories in
 * $BBM_FIXTURES), re-encodes each decoded tree as msgpack the way the
 * plugin sends status objects (pk_value below), sends it as a
 * buildFinished, stepFinished, logStarted, builderAdded or changeAdded
 * event through the frame decoder, and compares what event_decode makes
 * with what legacy.c makes of the pickle itself, field by field: a build
 * seen live must give the records an import of it gives.
 *
 * The other cases are events written as JSON with ' for " and the objects
 * of mp_json standing for what JSON lacks: {'$bin': s} and {'$str': s}
 * (the Latin-1 bytes of s as bin or str), {'$uint': 'digits'},
 * {'$ext': [type, v]} (data: the bytes of a string v, else the msgpack of
 * v) and {'$inst': [module, name, state]} (ext 1).
 */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "legacy.h"
#include "pickle.h"
#include "protocol.h"
#include "record.h"
#include "tap.h"
#include "test-event.h"
#include "util.h"

const char	*srcdir = ".";

/* --- msgpack from JSON -------------------------------------------------- */

static size_t
latin1(const char *s, size_t len, char *out)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0xc2 && p[i] <= 0xc3 && i + 1 < len)
			out[o++] = (char)(((p[i] & 0x1f) << 6) |
			    (p[i + 1] & 0x3f)), i++;
		else
			out[o++] = (char)p[i];
	}
	return (o);
}

static void
mp_json(msgpack_packer *pk, json_t *j)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 in;
	json_t		*v, *d;
	const char	*k;
	char		*bytes;
	size_t		 i, n;

	if (json_is_object(j) && json_object_size(j) == 1) {
		if ((v = json_object_get(j, "$bin")) != NULL ||
		    (v = json_object_get(j, "$str")) != NULL) {
			bytes = xmalloc(json_string_length(v) + 1);
			n = latin1(json_string_value(v), json_string_length(v),
			    bytes);
			if (json_object_get(j, "$bin") != NULL)
				msgpack_pack_bin_with_body(pk, bytes, n);
			else
				msgpack_pack_str_with_body(pk, bytes, n);
			free(bytes);
			return;
		}
		if ((v = json_object_get(j, "$uint")) != NULL) {
			msgpack_pack_uint64(pk, strtoull(json_string_value(v),
			    NULL, 10));
			return;
		}
		d = json_object_get(j, "$inst");
		if ((v = json_object_get(j, "$ext")) != NULL || d != NULL) {
			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&in, &sb, msgpack_sbuffer_write);
			if (d == NULL)
				d = json_array_get(v, 1);
			if (json_is_string(d)) {
				bytes = xmalloc(json_string_length(d) + 1);
				n = latin1(json_string_value(d),
				    json_string_length(d), bytes);
				if (n != 0)
					msgpack_sbuffer_write(&sb, bytes, n);
				free(bytes);
			} else
				mp_json(&in, d);
			/* msgpack-c would memcpy from NULL. */
			msgpack_pack_ext_with_body(pk, sb.size != 0 ? sb.data :
			    "", sb.size,
			    v == NULL ? PROTOCOL_EXT_INSTANCE :
			    (int8_t)json_integer_value(json_array_get(v, 0)));
			msgpack_sbuffer_destroy(&sb);
			return;
		}
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach(j, k, v) {
			msgpack_pack_str_with_body(pk, k, strlen(k));
			mp_json(pk, v);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		for (i = 0; i < json_array_size(j); i++)
			mp_json(pk, json_array_get(j, i));
		break;
	case JSON_STRING:
		msgpack_pack_str_with_body(pk, json_string_value(j),
		    json_string_length(j));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		break;
	}
}

/* The msgpack of text (JSON with ' for "), in sb (caller destroys). */
static void
mp_text(msgpack_sbuffer *sb, const char *text)
{
	msgpack_packer	 pk;
	json_error_t	 err;
	json_t		*j;
	char		*t, *p;

	t = xstrdup(text);
	for (p = t; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	if ((j = json_loads(t, JSON_DECODE_ANY|JSON_ALLOW_NUL, &err)) == NULL)
		fatalx("bad test JSON: %s: %s", t, err.text);
	free(t);
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	mp_json(&pk, j);
	json_decref(j);
}


/* frame_parse + event_decode of one payload; 0 when both succeed. */
static int
dec_payload(struct dec *d, const char *payload, size_t len)
{
	d->cause = NULL;
	memset(&d->ev, 0, sizeof d->ev);
	if ((d->r = frame_parse(payload, len, &d->msg, &d->cause)) != 0)
		return (d->r);
	d->r = event_decode(&d->msg, &d->ev, &d->cause);
	return (d->r);
}

static int
dec_text(struct dec *d, const char *text)
{
	msgpack_sbuffer	 sb;

	mp_text(&sb, text);
	dec_payload(d, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return (d->r);
}

void
dec_done(struct dec *d)
{
	event_free(&d->ev);
	frame_msg_free(&d->msg);
	free(d->cause);
	d->cause = NULL;
}

/* --- pickle trees as the plugin sends them ------------------------------ */

#define PK_MAX_DEPTH	500

struct pk {
	const struct pickle_value	*anc[PK_MAX_DEPTH];
	size_t				 n;
};

static void	pk_value(struct pk *, msgpack_packer *,
		    const struct pickle_value *);

/* An ext whose data is the msgpack array of a class or an instance. */
static void
pk_ext(struct pk *c, msgpack_packer *pk, const struct pickle_value *v)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 in;
	int		 inst = v->type == PICKLE_OBJECT;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&in, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&in, inst ? 3 : 2);
	msgpack_pack_str_with_body(&in, v->u.obj.module,
	    strlen(v->u.obj.module));
	msgpack_pack_str_with_body(&in, v->u.obj.name, strlen(v->u.obj.name));
	if (inst && v->u.obj.state != NULL)
		pk_value(c, &in, v->u.obj.state);
	else if (inst)
		msgpack_pack_nil(&in);
	msgpack_pack_ext_with_body(pk, sb.data, sb.size, inst ?
	    PROTOCOL_EXT_INSTANCE : PROTOCOL_EXT_GLOBAL);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Packs v as protocol.h says the plugin does. A value that is one of its
 * own containers goes as nil; shared values are sent again each time.
 */
static void
pk_value(struct pk *c, msgpack_packer *pk, const struct pickle_value *v)
{
	size_t	 i;
	char	*repr;

	for (i = 0; i < c->n; i++) {
		if (c->anc[i] == v)
			break;
	}
	if (i < c->n || c->n == PK_MAX_DEPTH) {
		msgpack_pack_nil(pk);
		return;
	}
	c->anc[c->n++] = v;
	switch (v->type) {
	case PICKLE_NONE:
		msgpack_pack_nil(pk);
		break;
	case PICKLE_BOOL:
		if (v->u.i)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case PICKLE_INT:
		msgpack_pack_int64(pk, v->u.i);
		break;
	case PICKLE_LONG:
		msgpack_pack_ext_with_body(pk, v->u.str.ptr, v->u.str.len,
		    PROTOCOL_EXT_LONG);
		break;
	case PICKLE_FLOAT:
		msgpack_pack_double(pk, v->u.f);
		break;
	case PICKLE_BYTES:
		msgpack_pack_bin_with_body(pk, v->u.str.ptr, v->u.str.len);
		break;
	case PICKLE_UNICODE:
		msgpack_pack_str_with_body(pk, v->u.str.ptr, v->u.str.len);
		break;
	case PICKLE_TUPLE:
	case PICKLE_LIST:
	case PICKLE_SET:
		msgpack_pack_array(pk, v->u.seq.len);
		for (i = 0; i < v->u.seq.len; i++)
			pk_value(c, pk, v->u.seq.items[i]);
		break;
	case PICKLE_DICT:
		msgpack_pack_map(pk, v->u.dict.len);
		for (i = 0; i < v->u.dict.len; i++) {
			pk_value(c, pk, v->u.dict.keys[i]);
			pk_value(c, pk, v->u.dict.vals[i]);
		}
		break;
	case PICKLE_GLOBAL:
	case PICKLE_OBJECT:
		/* A datetime has no state to send: see datetime_gap. */
		if (v->type == PICKLE_GLOBAL ||
		    strcmp(v->u.obj.module, "datetime") != 0) {
			pk_ext(c, pk, v);
			break;
		}
		/* FALLTHROUGH */
	case PICKLE_CALL:
		xasprintf(&repr, "<%s.%s object>", v->u.obj.module,
		    v->u.obj.name);
		msgpack_pack_str_with_body(pk, repr, strlen(repr));
		free(repr);
		break;
	}
	c->n--;
}

/*
 * One event frame: the envelope of the JSON text head (a map missing its
 * closing brace) plus key: the msgpack of v. Appended to out.
 */
void
pk_event(struct buf *out, const char *head, const char *key,
    const struct pickle_value *v)
{
	msgpack_sbuffer	 sb, hs;
	msgpack_packer	 pk;
	struct pk	 c;
	char		*text;

	xasprintf(&text, "%s}", head);
	mp_text(&hs, text);
	free(text);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	/* A fixmap header: add one to its count and append the key. */
	if (((unsigned char)hs.data[0] & 0xf0) != 0x80 ||
	    (hs.data[0] & 0x0f) == 0x0f)
		fatalx("pk_event: head must be a small map");
	hs.data[0]++;
	msgpack_sbuffer_write(&sb, hs.data, hs.size);
	msgpack_pack_str_with_body(&pk, key, strlen(key));
	c.n = 0;
	pk_value(&c, &pk, v);
	frame_pack_raw(out, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&hs);
}

/* Decodes the one frame in b through the frame decoder. */
int
dec_frame(struct dec *d, const struct buf *b)
{
	struct frame_decoder	 fd;
	const char		*payload;
	size_t			 used, plen;

	memset(d, 0, sizeof *d);
	frame_decoder_init(&fd, 0);
	if (frame_feed(&fd, b->data, b->len, &used, &payload, &plen,
	    &d->cause) != FRAME_OK || used != b->len)
		d->r = -1;
	else
		dec_payload(d, payload, plen);
	frame_decoder_free(&fd);
	return (d->r);
}

/* --- every event type --------------------------------------------------- */

#define EV(name) "{'type':'event','seq':12,'time':1.25,'event':'" name "',"
#define ID "'builder':'b1','number':4,'started':1.5,"
#define STEP "{'$inst':['buildbot.status.buildstep','BuildStepStatus'," \
	"{'name':'compile','started':10.0,'finished':12.5,'results':" \
	"[0,['ok']],'text':['compile','ok'],'text2':[],'logs':[]}]}"
#define LOG "{'$inst':['buildbot.status.logfile','LogFile',{'name':" \
	"'stdio','filename':'4-log-compile-stdio','length':100}]}"
#define PROPS(x) "{'$inst':['buildbot.process.properties','Properties'," \
	"{'properties':{" x "}}]}"
#define BUILD "{'$inst':['buildbot.status.build','BuildStatus',{" \
	"'number':4,'started':1.5,'finished':null,'results':null,'steps':[" \
	STEP "],'properties':" PROPS("'buildername':['other','Builder']") \
	"}]}"
#define CHANGE "{'$inst':['buildbot.changes.changes','Change',{'number':" \
	"7,'who':'ann','comments':'fix','files':['a.c'],'when':100.5," \
	"'branch':'trunk','revision':'abc','properties':" \
	PROPS("'x':[1,'Change']") "}]}"
#define REQ "{'brid':5,'builder':'b1','submitted_at':2.5,'bsid':9}"
#define BSET "{'bsid':9,'reason':'force','external_idstring':null," \
	"'submitted_at':2.0,'complete':false,'complete_at':null," \
	"'results':null,'properties':{'branch':['trunk','Scheduler']," \
	"'n':[[1,{'a':null}],{'$bin':'Build'}]}}"

static void
events_valid(void)
{
	struct dec	 d;
	struct bbm_event *e = &d.ev;
	int		 i;

	ok(dec_text(&d, EV("builderAdded") "'builder':'b1','status':{'$inst':"
	    "['buildbot.status.builder','BuilderStatus',{'name':'x',"
	    "'category':'cat','slavenames':['s1','s2']}]}}") == 0 &&
	    e->type == EVENT_BUILDER_ADDED && e->seq == 12 && e->time == 1.25,
	    "builderAdded decodes");
	ok(e->builder_rec != NULL && strcmp(e->builder_rec->name, "b1") == 0 &&
	    strcmp(e->builder_rec->category, "cat") == 0 &&
	    strcmp(e->builder_rec->slavenames, "[\"s1\",\"s2\"]") == 0,
	    "builderAdded: builder name forced from the event");
	is_str(e->builder, "b1", "builderAdded: builder");
	dec_done(&d);
	ok(dec_text(&d, EV("builderChangedState") "'builder':'b1',"
	    "'state':'idle'}") == 0 && e->type == EVENT_BUILDER_STATE &&
	    strcmp(e->state, "idle") == 0, "builderChangedState");
	dec_done(&d);
	ok(dec_text(&d, EV("builderRemoved") "'builder':'b1'}") == 0 &&
	    e->type == EVENT_BUILDER_REMOVED && e->number == -1 &&
	    e->step == -1 && isnan(e->started), "builderRemoved");
	dec_done(&d);

	ok(dec_text(&d, EV("buildStarted") ID "'build':" BUILD "}") == 0 &&
	    e->type == EVENT_BUILD_STARTED && e->number == 4 &&
	    e->started == 1.5 && e->build != NULL, "buildStarted");
	if (e->build != NULL) {
		is_str(e->build->builder_name, "b1", "buildStarted: builder "
		    "name from the event, not the properties");
		ok(e->build->nsteps == 1 && e->build->nproperties == 1 &&
		    strcmp(e->build->steps[0].name, "compile") == 0,
		    "buildStarted: steps and properties");
		ok(e->build->nproperties == 1 &&
		    strcmp(e->build->properties[0].value, "\"other\"") == 0 &&
		    strcmp(e->build->properties[0].source, "Builder") == 0,
		    "buildStarted: (value, source) pairs survive the wire");
	}
	dec_done(&d);
	ok(dec_text(&d, EV("buildFinished") ID "'results':2,'build':" BUILD
	    "}") == 0 && e->type == EVENT_BUILD_FINISHED && e->results == 2,
	    "buildFinished");
	dec_done(&d);
	ok(dec_text(&d, EV("buildETAUpdate") ID "'eta':30.5}") == 0 &&
	    e->type == EVENT_BUILD_ETA && e->eta == 30.5, "buildETAUpdate");
	dec_done(&d);

	ok(dec_text(&d, EV("stepStarted") ID "'step':2,'status':" STEP "}") ==
	    0 && e->type == EVENT_STEP_STARTED && e->step == 2 &&
	    e->step_rec != NULL && e->step_rec->number == 2 &&
	    strcmp(e->step_rec->name, "compile") == 0 &&
	    e->step_rec->finished_at == 12.5, "stepStarted: step numbered by "
	    "the event's index");
	dec_done(&d);
	ok(dec_text(&d, EV("stepFinished") ID "'step':0,'status':" STEP ","
	    "'results':[3,['skipped']]}") == 0 &&
	    e->type == EVENT_STEP_FINISHED && e->results == 3 &&
	    e->step_rec != NULL, "stepFinished: results is the code");
	dec_done(&d);
	ok(dec_text(&d, EV("stepTextChanged") ID "'step':0,'status':" STEP ","
	    "'text':['a']}") == 0 && e->type == EVENT_STEP_TEXT &&
	    e->step_rec != NULL, "stepTextChanged");
	dec_done(&d);
	ok(dec_text(&d, EV("stepText2Changed") ID "'step':0,'status':" STEP
	    ",'text2':[]}") == 0 && e->type == EVENT_STEP_TEXT2,
	    "stepText2Changed");
	dec_done(&d);
	ok(dec_text(&d, EV("stepETAUpdate") ID "'step':1,'eta':null}") == 0 &&
	    e->type == EVENT_STEP_ETA && isnan(e->eta) && e->step == 1 &&
	    e->step_rec == NULL, "stepETAUpdate with a nil ETA");
	dec_done(&d);

	ok(dec_text(&d, EV("logStarted") ID "'step':1,'log':3,'status':" LOG
	    "}") == 0 && e->type == EVENT_LOG_STARTED && e->log == 3 &&
	    e->log_rec != NULL && e->log_rec->kind == BBM_LOG_TEXT &&
	    e->log_rec->length == 100 &&
	    strcmp(e->log_rec->filename, "4-log-compile-stdio") == 0,
	    "logStarted");
	dec_done(&d);
	ok(dec_text(&d, EV("logFinished") ID "'step':1,'log':0,'status':"
	    "{'$inst':['buildbot.status.builder','HTMLLogFile',{'name':"
	    "'err.html','html':'<b>x</b>'}]}}") == 0 &&
	    e->type == EVENT_LOG_FINISHED && e->log_rec != NULL &&
	    e->log_rec->kind == BBM_LOG_HTML && e->log_rec->inline_len == 12 &&
	    memcmp(e->log_rec->inline_chunks, "9:1<b>x</b>,", 12) == 0,
	    "logFinished of an HTML log carries its chunks");
	dec_done(&d);
	ok(dec_text(&d, EV("logChunk") ID "'step':1,'log':0,'channel':1,"
	    "'text':{'$bin':'hello\\n\\u00ff'},'more':true}") == 0 &&
	    e->type == EVENT_LOG_CHUNK && e->channel == 1 &&
	    e->chunk_len == 7 && memcmp(e->chunk_text, "hello\n\xff", 7) == 0 &&
	    e->chunk_more == 1, "logChunk: bin text, more");
	dec_done(&d);
	ok(dec_text(&d, EV("logChunk") ID "'step':1,'log':0,'channel':9,"
	    "'text':'caf\\u00e9'}") == 0 && e->channel == 9 &&
	    e->chunk_len == 5 && e->chunk_more == 0, "logChunk: str text");
	dec_done(&d);

	ok(dec_text(&d, EV("requestSubmitted") "'request':" REQ "}") == 0 &&
	    e->type == EVENT_REQUEST_SUBMITTED && e->request != NULL &&
	    e->request->brid == 5 && e->request->bsid == 9 &&
	    e->request->submitted_at == 2.5 &&
	    strcmp(e->request->builder_name, "b1") == 0 &&
	    e->request->results == BBM_NO_RESULT, "requestSubmitted");
	dec_done(&d);
	ok(dec_text(&d, EV("requestCancelled") "'builder':'b1','request':"
	    "{'brid':null,'builder':'b2','submitted_at':null,'bsid':null}}") ==
	    0 && e->type == EVENT_REQUEST_CANCELLED && e->request->brid == -1 &&
	    e->request->bsid == -1 && isnan(e->request->submitted_at) &&
	    strcmp(e->request->builder_name, "b2") == 0,
	    "requestCancelled: nil brid is -1, builder from the request");
	dec_done(&d);
	ok(dec_text(&d, EV("buildsetSubmitted") "'buildset':" BSET "}") == 0 &&
	    e->type == EVENT_BUILDSET_SUBMITTED && e->buildset != NULL &&
	    e->buildset->bsid == 9 && e->buildset->complete == 0 &&
	    e->buildset->results == BBM_NO_RESULT &&
	    e->buildset->external_idstring == NULL &&
	    strcmp(e->buildset->reason, "force") == 0 &&
	    e->buildset->nproperties == 2, "buildsetSubmitted");
	if (e->buildset != NULL && e->buildset->nproperties == 2) {
		is_str(e->buildset->properties[0].value, "\"trunk\"",
		    "buildset property value as JSON");
		is_str(e->buildset->properties[0].source, "Scheduler",
		    "buildset property source");
		is_str(e->buildset->properties[1].value, "[1,{\"a\":null}]",
		    "buildset property: nested value");
		is_str(e->buildset->properties[1].source, "Build",
		    "buildset property: bin source");
	}
	dec_done(&d);
	ok(dec_text(&d, EV("changeAdded") "'change':" CHANGE "}") == 0 &&
	    e->type == EVENT_CHANGE_ADDED && e->change != NULL &&
	    e->change->number == 7 && strcmp(e->change->author, "ann") == 0 &&
	    e->change->nfiles == 1 && e->change->nproperties == 1 &&
	    strcmp(e->change->properties[0].source, "Change") == 0,
	    "changeAdded");
	dec_done(&d);
	for (i = EVENT_SLAVE_CONNECTED; i <= EVENT_SLAVE_UNPAUSED; i++) {
		char	*t;

		xasprintf(&t, "{'type':'event','seq':3,'event':'%s','slave':"
		    "'s1'}", event_type_name(i));
		ok(dec_text(&d, t) == 0 && (int)e->type == i &&
		    strcmp(e->slave, "s1") == 0, "%s", event_type_name(i));
		dec_done(&d);
		free(t);
	}
	ok(dec_text(&d, "{'type':'event','seq':99,'event':'checkConfig',"
	    "'x':1}") == 0 && e->type == EVENT_UNKNOWN && e->seq == 99 &&
	    strcmp(e->name, "checkConfig") == 0, "an unknown event is no "
	    "error");
	dec_done(&d);
}

static const struct {
	const char	*json;
	const char	*cause;		/* a prefix of the message */
} bad_events[] = {
#define P(e) "event 12 (" e "): key "
	{ EV("stepFinished") ID "'step':'x','status':" STEP ",'results':"
	  "[0,[]]}", P("stepFinished") "\"step\": expected an integer >= 0, "
	  "got str" },
	{ EV("builderAdded") "'status':1}", P("builderAdded")
	  "\"builder\": missing" },
	{ EV("builderRemoved") "'builder':''}", P("builderRemoved")
	  "\"builder\": expected a non-empty str, got \"\"" },
	{ EV("builderRemoved") "'builder':{'$bin':'b'}}", P("builderRemoved")
	  "\"builder\": expected a non-empty str, got bin" },
	{ EV("builderRemoved") "'builder':{'$str':'\\u00ff'}}",
	  P("builderRemoved") "\"builder\": not valid UTF-8" },
	{ EV("builderRemoved") "'builder':'a\\u0000'}", P("builderRemoved")
	  "\"builder\": contains a NUL byte" },
	{ EV("builderAdded") "'builder':'b','status':{'$inst':['m','C',{}]}}",
	  P("builderAdded") "\"status\": not a BuilderStatus: an instance of "
	  "m.C" },
	{ EV("builderChangedState") "'builder':'b','state':3}",
	  P("builderChangedState") "\"state\": expected a non-empty str" },
	{ EV("buildStarted") "'builder':'b','started':1,'build':1}",
	  P("buildStarted") "\"number\": missing" },
	{ EV("buildStarted") "'builder':'b','number':-1,'started':1}",
	  P("buildStarted") "\"number\": expected an integer >= 0, got int" },
	{ EV("buildStarted") "'builder':'b','number':4}", P("buildStarted")
	  "\"started\": missing" },
	{ EV("buildStarted") "'builder':'b','number':4,'started':'x'}",
	  P("buildStarted") "\"started\": expected a number or nil, got str" },
	{ EV("buildStarted") ID "'x':1}", P("buildStarted") "\"build\": "
	  "missing" },
	{ EV("buildStarted") "'builder':'b','number':5,'started':1,'build':"
	  BUILD "}", P("buildStarted") "\"build\": number 4 differs from the "
	  "event's 5" },
	{ EV("buildStarted") ID "'build':{'$inst':['buildbot.status.build',"
	  "'BuildStatus',{'number':4,'steps':[{'$ext':[9,'']}]}]}}",
	  P("buildStarted") "\"build\": steps[0]: ext type 9 is unknown" },
	{ EV("buildFinished") ID "'results':'x','build':" BUILD "}",
	  P("buildFinished") "\"results\": expected an integer from 0 to " },
	{ EV("buildETAUpdate") ID "'eta':'soon'}", P("buildETAUpdate")
	  "\"eta\": expected a number or nil, got str" },
	{ EV("stepStarted") ID "'step':0}", P("stepStarted") "\"status\": "
	  "missing" },
	{ EV("stepStarted") ID "'step':0,'status':5}", P("stepStarted")
	  "\"status\": not a BuildStepStatus: an int" },
	{ EV("stepStarted") ID "'step':0,'status':" LOG "}", P("stepStarted")
	  "\"status\": not a BuildStepStatus: an instance of " },
	{ EV("stepStarted") ID "'step':0,'status':{'$inst':['m','C',{'name':"
	  "{'$str':'\\u00ff'}}]}}", P("stepStarted") "\"status\": name: str is "
	  "not valid UTF-8" },
	{ EV("stepFinished") ID "'step':0,'status':" STEP ",'results':3}",
	  P("stepFinished") "\"results\": expected an array [code, text2], "
	  "got int" },
	{ EV("stepFinished") ID "'step':0,'status':" STEP ",'results':[1]}",
	  P("stepFinished") "\"results\": expected an array [code, text2], "
	  "got 1 items" },
	{ EV("stepFinished") ID "'step':0,'status':" STEP ",'results':"
	  "['a',[]]}", P("stepFinished") "\"results\": code: expected an "
	  "integer >= 0, got str" },
	{ EV("stepFinished") ID "'step':0,'status':" STEP ",'results':"
	  "[1,'x']}", P("stepFinished") "\"results\": text2: expected an "
	  "array, got str" },
	{ EV("stepTextChanged") ID "'step':0,'status':" STEP ",'text':'x'}",
	  P("stepTextChanged") "\"text\": expected an array, got str" },
	{ EV("stepText2Changed") ID "'step':0,'status':" STEP "}",
	  P("stepText2Changed") "\"text2\": missing" },
	{ EV("stepETAUpdate") ID "'step':0}", P("stepETAUpdate") "\"eta\": "
	  "missing" },
	{ EV("logStarted") ID "'step':0,'log':'x'}", P("logStarted") "\"log\": "
	  "expected an integer >= 0, got str" },
	{ EV("logStarted") ID "'step':0,'log':0,'status':" STEP "}",
	  P("logStarted") "\"status\": not a LogFile: an instance of " },
	{ EV("logChunk") ID "'step':0,'log':0,'channel':10,'text':''}",
	  P("logChunk") "\"channel\": expected an integer from 0 to 9" },
	{ EV("logChunk") ID "'step':0,'log':0,'channel':-1,'text':''}",
	  P("logChunk") "\"channel\": expected an integer from 0 to 9, got "
	  "int" },
	{ EV("logChunk") ID "'step':0,'log':0,'text':''}", P("logChunk")
	  "\"channel\": missing" },
	{ EV("logChunk") ID "'step':0,'log':0,'channel':0,'text':5}",
	  P("logChunk") "\"text\": expected bin or str, got int" },
	{ EV("logChunk") ID "'step':0,'log':0,'channel':0,'text':{'$str':"
	  "'\\u00c3('}}", P("logChunk") "\"text\": not valid UTF-8" },
	{ EV("logChunk") ID "'step':0,'log':0,'channel':0,'text':'',"
	  "'more':1}", P("logChunk") "\"more\": expected a bool, got int" },
	{ EV("requestSubmitted") "'x':1}", P("requestSubmitted") "\"request\": "
	  "missing" },
	{ EV("requestSubmitted") "'request':5}", P("requestSubmitted")
	  "\"request\": expected a map, got int" },
	{ EV("requestSubmitted") "'request':{'brid':'x','builder':'b',"
	  "'submitted_at':1}}", P("requestSubmitted") "\"request.brid\": "
	  "expected an integer >= 0, got str" },
	{ EV("requestSubmitted") "'request':{'brid':1,'submitted_at':1}}",
	  P("requestSubmitted") "\"request.builder\": missing" },
	{ EV("requestSubmitted") "'request':{'brid':1,'builder':'b',"
	  "'submitted_at':[]}}", P("requestSubmitted") "\"request."
	  "submitted_at\": expected a number or nil, got array" },
	{ EV("requestCancelled") "'request':" REQ "}", P("requestCancelled")
	  "\"builder\": missing" },
	{ EV("buildsetSubmitted") "'buildset':{'submitted_at':1,"
	  "'complete_at':1,'complete':true}}", P("buildsetSubmitted")
	  "\"buildset.bsid\": missing" },
	{ EV("buildsetSubmitted") "'buildset':{'bsid':1,'submitted_at':1,"
	  "'complete_at':1,'complete':'x'}}", P("buildsetSubmitted")
	  "\"buildset.complete\": expected a bool, got str" },
	{ EV("buildsetSubmitted") "'buildset':{'bsid':1,'submitted_at':1,"
	  "'complete_at':1,'results':'x','complete':true}}",
	  P("buildsetSubmitted") "\"buildset.results\": expected an integer "
	  "from -1 to " },
	{ EV("buildsetSubmitted") "'buildset':{'bsid':1,'submitted_at':1,"
	  "'complete_at':1,'complete':true,'properties':[]}}",
	  P("buildsetSubmitted") "\"buildset.properties\": expected a map, got "
	  "array" },
	{ EV("buildsetSubmitted") "'buildset':{'bsid':1,'submitted_at':1,"
	  "'complete_at':1,'complete':true,'properties':{'a':'x'}}}",
	  P("buildsetSubmitted") "\"buildset.properties\": value 0 is not a "
	  "[value, source str] pair" },
	{ EV("changeAdded") "'x':1}", P("changeAdded") "\"change\": missing" },
	{ EV("changeAdded") "'change':5}", P("changeAdded") "\"change\": not "
	  "a Change: an int" },
	{ EV("slaveConnected") "'x':1}", P("slaveConnected") "\"slave\": "
	  "missing" },
	{ EV("slavePaused") "'slave':5}", P("slavePaused") "\"slave\": "
	  "expected a non-empty str, got int" },
#undef P
};

static void
events_bad(void)
{
	struct dec	 d;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
		r = dec_text(&d, bad_events[i].json);
		if (!ok(r != 0 && d.cause != NULL &&
		    strncmp(d.cause, bad_events[i].cause,
		    strlen(bad_events[i].cause)) == 0, "refused: %s",
		    bad_events[i].cause))
			tap_diag("got: %s", d.cause != NULL ? d.cause : "0");
		dec_done(&d);
	}

	/* A frame that is not an event. */
	ok(dec_text(&d, "{'type':'ack','seq':1}") == -1 && d.cause != NULL &&
	    strcmp(d.cause, "not an event frame") == 0, "event_decode refuses "
	    "an ack");
	dec_done(&d);
}

static void
event_names(void)
{
	int	 t, good = 1;

	for (t = EVENT_UNKNOWN; t <= EVENT_SLAVE_UNPAUSED; t++) {
		if ((int)event_type_from_name(event_type_name(t)) != t)
			good = 0;
	}
	ok(good, "event type names round trip");
	is_str(event_type_name(EVENT_BUILDER_STATE), "builderChangedState",
	    "builderChangedState name");
	is_str(event_type_name(EVENT_UNKNOWN), "unknown", "unknown name");
	ok(event_type_from_name("nope") == EVENT_UNKNOWN &&
	    event_type_from_name(NULL) == EVENT_UNKNOWN, "unknown names");
}

/* --- pickle_from_msgpack and the legacy wrappers ------------------------ */

static struct pickle *
pm(const char *text, const struct pickle_limits *lim, char **cause)
{
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	struct pickle		*p;

	mp_text(&sb, text);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, sb.data, sb.size, NULL) !=
	    MSGPACK_UNPACK_SUCCESS)
		fatalx("pm: %s", text);
	*cause = NULL;
	p = pickle_from_msgpack(&u.data, "t", lim, cause);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return (p);
}

static void
pm_values(void)
{
	static const enum pickle_type want[] = { PICKLE_NONE, PICKLE_BOOL,
	    PICKLE_BOOL, PICKLE_INT, PICKLE_INT, PICKLE_FLOAT, PICKLE_UNICODE,
	    PICKLE_BYTES, PICKLE_LONG, PICKLE_INT, PICKLE_LONG, PICKLE_INT,
	    PICKLE_GLOBAL, PICKLE_OBJECT, PICKLE_DICT, PICKLE_LIST };
	struct pickle_value	**it;
	struct pickle		*p;
	char			*cause;
	size_t			 i;
	int			 good;

	p = pm("[null,true,false,5,-5,1.5,'uni',{'$bin':'by'},{'$uint':"
	    "'18446744073709551615'},{'$ext':[3,'0123']},{'$ext':[3,"
	    "'-99999999999999999999']},{'$ext':[3,'-9223372036854775808']},"
	    "{'$ext':[2,['mod','Cls']]},{'$inst':['m','C',null]},{'k':'v'},[]]",
	    NULL, &cause);
	ok(p != NULL && p->root->type == PICKLE_LIST &&
	    p->root->u.seq.len == 16, "pm: a list of every kind");
	if (p == NULL || p->root->u.seq.len != 16) {
		pickle_free(p);
		return;
	}
	it = p->root->u.seq.items;
	for (i = 0, good = 1; i < 16; i++)
		good &= it[i]->type == want[i];
	ok(good, "pm: each msgpack type gives its pickle type");
	ok(it[1]->u.i == 1 && it[2]->u.i == 0 && it[3]->u.i == 5 &&
	    it[4]->u.i == -5 && it[5]->u.f == 1.5, "pm: scalar values");
	ok(it[6]->u.str.len == 3 && strcmp(it[6]->u.str.ptr, "uni") == 0 &&
	    it[7]->u.str.len == 2 && strcmp(it[7]->u.str.ptr, "by") == 0,
	    "pm: str and bin");
	is_str(it[8]->u.str.ptr, "18446744073709551615", "pm: uint64 beyond "
	    "int64 is a long");
	is_int(it[9]->u.i, 123, "pm: a small long ext is an int");
	is_str(it[10]->u.str.ptr, "-99999999999999999999", "pm: long ext");
	ok(it[11]->u.i == INT64_MIN, "pm: INT64_MIN from a long ext");
	ok(strcmp(it[12]->u.obj.module, "mod") == 0 &&
	    strcmp(it[12]->u.obj.name, "Cls") == 0, "pm: class ext");
	ok(strcmp(it[13]->u.obj.name, "C") == 0 && it[13]->u.obj.state ==
	    NULL && it[13]->u.obj.args == NULL, "pm: instance with nil state");
	ok(pickle_dict_get(it[14], "k") != NULL, "pm: map");
	pickle_free(p);
}

static const struct {
	const char	*json;
	const char	*cause;
} pm_bad[] = {
	{ "{'build':{'steps':[1,2,3,{'logs':[{'$ext':[9,'x']}]}]}}",
	  "t: build.steps[3].logs[0]: ext type 9 is unknown" },
	{ "{'$ext':[9,'']}", "t: ext type 9 is unknown" },
	{ "[{'$ext':[3,'12a']}]", "t: [0]: long ext: not a decimal integer" },
	{ "{'$ext':[3,'-']}", "t: long ext: no digits" },
	{ "{'$ext':[1,['m','C']]}", "t: instance ext: expected an array of 3, "
	  "got one of 2" },
	{ "{'$ext':[1,'\\u00c1']}", "t: ext type 1: malformed msgpack data" },
	{ "{'$ext':[1,'m']}", "t: instance ext: expected an array of 3, got "
	  "msgpack type 2" },
	{ "{'$ext':[1,'\\u0093\\u00a1m\\u00a1C\\u00c0\\u00c0']}",
	  "t: ext type 1: 1 bytes after the object" },
	{ "{'$ext':[2,[1,'C']]}", "t: class ext: module is not a non-empty "
	  "str" },
	{ "{'$ext':[2,['m','']]}", "t: class ext: class name is not a "
	  "non-empty str" },
	{ "{'$ext':[2,['m','a\\u0000']]}", "t: class ext: class name is not "
	  "valid UTF-8 without NUL" },
	{ "{'a b':{'$str':'\\u00ff'}}", "t: [?]: str is not valid UTF-8" },
	{ "{'$inst':['m','C',{'x':[{'$str':'\\u00ff'}]}]}",
	  "t: x[0]: str is not valid UTF-8" },
};

static void
pm_errors(void)
{
	struct pickle_limits	 lim;
	struct pickle		*p;
	char			*cause, *big;
	size_t			 i;

	for (i = 0; i < sizeof pm_bad / sizeof pm_bad[0]; i++) {
		p = pm(pm_bad[i].json, NULL, &cause);
		ok(p == NULL, "pm refuses %s", pm_bad[i].json);
		is_str(cause, pm_bad[i].cause, "pm message for %s",
		    pm_bad[i].json);
		free(cause);
	}
	memset(&lim, 0, sizeof lim);
	lim.max_depth = 3;
	p = pm("[[[1]]]", &lim, &cause);
	ok(p != NULL, "pm: nesting up to the limit");
	pickle_free(p);
	p = pm("[[[[1]]]]", &lim, &cause);
	is_str(cause, "t: [0][0][0]: nesting limit of 3 exceeded", "pm: "
	    "nesting beyond the limit");
	free(cause);
	lim.max_depth = 0;
	lim.max_alloc = 4096;
	big = xmalloc(6000);
	memset(big, 'a', 5000);
	memcpy(big, "['", 2);
	memcpy(big + 4998, "']", 3);
	p = pm(big, &lim, &cause);
	is_str(cause, "t: [0]: allocation limit of 4096 bytes exceeded",
	    "pm: the arena limit holds");
	free(cause);
	free(big);
}

static void
wrappers(void)
{
	struct pickle	*p;
	struct bbm_step	 st;
	struct bbm_log	 lg;
	char		*cause = NULL;

	p = pm("[5," LOG "," STEP "]", NULL, &cause);
	if (p == NULL)
		fatalx("wrappers: %s", cause);
	ok(legacy_step_record(p->root->u.seq.items[0], 0, &st, &cause) == -1,
	    "legacy_step_record refuses an int");
	is_str(cause, "not a BuildStepStatus: an int", "step wrapper message");
	free(cause);
	ok(legacy_step_record(p->root->u.seq.items[1], 0, &st, &cause) == -1,
	    "legacy_step_record refuses a LogFile");
	free(cause);
	ok(legacy_log_record(p->root->u.seq.items[2], &lg, &cause) == -1,
	    "legacy_log_record refuses a step");
	is_str(cause, "not a LogFile: an instance of "
	    "buildbot.status.buildstep.BuildStepStatus", "log wrapper message");
	free(cause);
	ok(legacy_step_record(p->root->u.seq.items[2], 6, &st, &cause) == 0 &&
	    st.number == 6 && st.results == 0, "legacy_step_record numbers by "
	    "index");
	record_step_free(&st);
	ok(legacy_log_record(p->root->u.seq.items[1], &lg, &cause) == 0 &&
	    lg.length == 100 && lg.state == BBM_LOG_NONE, "legacy_log_record");
	record_log_free(&lg);
	pickle_free(p);
}

int
main(void)
{
	const char	*s;

	if ((s = getenv("top_srcdir")) != NULL)
		srcdir = s;
	events_valid();
	events_bad();
	event_names();
	pm_values();
	pm_errors();
	wrappers();
	live_synthetic();
	live_fixtures();
	datetime_gap();
	return (tap_done());
}
