/*
 * test-push.c: HttpStatusPush ingest (push.h): the form and its "packets"
 * field, times, the master's log file names, bad bodies and the messages
 * that name them, FilterOut semantics, what each event becomes, the state
 * that completes step events, a pushed build against the same build read
 * from its pickle, every request a real 0.8.12 master sent ($BBM_FIXTURES),
 * the push_packets store functions (on each engine, test-db.h) and log
 * copies from a master's files.
 */
#include "config.h"
#include "push.h"

#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy.h"
#include "logcopy.h"
#include "logstore.h"
#include "pickle.h"
#include "store.h"
#include "tap.h"
#include "test-db.h"

static const char	*srcdir = ".";

/* A one-packet array of event with payload (JSON text). */
static char *
pkt(const char *event, const char *payload)
{
	char	*s;

	xasprintf(&s, "[{\"id\":7,\"event\":\"%s\",\"timestamp\":"
	    "\"2026-11-22 10:10:37.500476\",\"started\":\"2026-11-22 "
	    "10:10:37.423159\",\"project\":\"P\",\"payload\":%s}]", event,
	    payload);
	return (s);
}

/* Parses one packet; the event, or NULL (the request is freed by done). */
static struct bbm_event *
one(struct push_request *req, const char *event, const char *payload)
{
	char	*json, *cause = NULL;
	int	 r;

	json = pkt(event, payload);
	r = push_parse_packets(json, strlen(json), req, &cause);
	free(json);
	if (r != 0 || req->npackets != 1) {
		tap_diag("%s: %s", event, cause != NULL ? cause : "?");
		free(cause);
		return (NULL);
	}
	return (&req->packets[0].ev);
}

static void
form_cases(void)
{
	static const struct {
		const char	*body;
		int		 r;
		const char	*value;
	} cases[] = {
		{ "packets=%5B%5D", 1, "[]" },
		{ "a=1&packets=x+y%21&b=2", 1, "x y!" },
		{ "&&packets=%e2%98%83&", 1, "\xe2\x98\x83" },
		{ "packets", 1, "" },
		{ "packets=", 1, "" },
		{ "pack%65ts=1", 1, "1" },
		{ "packetsx=1&x=packets", 0, NULL },
		{ "", 0, NULL },
		{ "packets=%zz", -1, "offset 8" },
		{ "packets=%4", -1, "offset 8" },
		{ "packets=1&packets=2", -1, "given twice" },
		{ "%ff=1", -1, "not UTF-8" },
	};
	size_t	 i, n;
	char	*v, *cause;
	int	 r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		r = push_form_field(cases[i].body, strlen(cases[i].body),
		    "packets", &v, &n, &cause);
		is_int(r, cases[i].r, "form \"%s\": result", cases[i].body);
		if (r == 1)
			ok(n == strlen(cases[i].value) &&
			    strcmp(v, cases[i].value) == 0,
			    "form \"%s\": value", cases[i].body);
		else if (r < 0)
			ok(cause != NULL && strstr(cause, cases[i].value) !=
			    NULL, "form \"%s\": %s", cases[i].body, cause);
		free(v);
		free(cause);
	}
}

static void
time_cases(void)
{
	static const struct {
		const char	*s;
		double		 t;
	} cases[] = {
		{ "1970-01-01 00:00:00", 0 },
		{ "2026-11-22 10:10:37.500476", 1795342237.500476 },
		{ "2026-11-22 10:10:37", 1795342237 },
		{ "2012-05-28 18:17:26.836870+00:00", 1338229046.83687 },
		{ "2012-05-28 20:17:26+02:00", 1338229046 },
		{ "2000-02-29T12:00:00Z", 951825600 },
		{ "2026-11-22", NAN },
		{ "2026-13-22 10:10:37", NAN },
		{ "2026-11-22 10:10:37.", NAN },
		{ "2026-11-22 10:10:37 junk", NAN },
		{ "", NAN },
	};
	size_t	 i;
	double	 t;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = push_parse_time(cases[i].s);
		if (isnan(cases[i].t))
			ok(isnan(t), "time \"%s\" refused", cases[i].s);
		else
			ok(fabs(t - cases[i].t) < 1e-6, "time \"%s\": %.6f",
			    cases[i].s, t);
	}
}

static void
filename_cases(void)
{
	char	*taken[] = { "3-log-unit_test-stdio",
	    "3-log-unit_test-stdio_0" };
	char	*s;

	s = push_log_filename(12, "compile", "stdio", NULL, 0);
	is_str(s, "12-log-compile-stdio", "log file name");
	free(s);
	s = push_log_filename(0, "unit test", "err.html", NULL, 0);
	is_str(s, "0-log-unit_test-err.html", "space becomes _");
	free(s);
	s = push_log_filename(1, "caf\xc3\xa9 \xe2\x98\x83", "a/b", NULL, 0);
	is_str(s, "1-log-caf___-a_b", "one _ per character");
	free(s);
	s = push_log_filename(3, "unit_test", "stdio", taken, 1);
	is_str(s, "3-log-unit_test-stdio_0", "collision: _0");
	free(s);
	s = push_log_filename(3, "unit test", "stdio", taken, 2);
	is_str(s, "3-log-unit_test-stdio_1", "second collision: _1");
	free(s);
}

static void
bad_bodies(void)
{
	static const struct {
		const char	*what;
		const char	*body;
		const char	*want;
	} cases[] = {
		{ "raw JSON", "[]", "no \"packets\" field" },
		{ "bad escape", "packets=%5B%zz", "offset 11" },
		{ "no packets", "foo=1&bar=2", "no \"packets\" field" },
		{ "object", "packets=%7B%7D", "expected an array, got object" },
		{ "number", "packets=%5B1%5D", "packet 0: expected an object" },
		{ "truncated JSON", "packets=%5B%7B", "invalid JSON at line 1" },
		{ "invalid UTF-8", "packets=%5B%22%FF%22%5D", "invalid JSON" },
		{ "NUL", "packets=%5B%22a%5Cu0000%22%5D", "invalid JSON" },
		{ "duplicate key", "packets=%5B%7B%22a%22:1,%22a%22:2%7D%5D",
		    "invalid JSON" },
		{ "no event", "packets=%5B%7B%7D%5D",
		    "packet 0: key \"event\": missing" },
	};
	static const struct {
		const char	*event;
		const char	*payload;
		const char	*want;
	} pcases[] = {
		{ "buildStarted", "{\"build\":{\"builderName\":\"b\","
		    "\"times\":\"x\"}}", "packet 0 (buildStarted): key "
		    "\"payload.build.times\": expected an array, got string" },
		{ "buildStarted", "{\"build\":{\"times\":[1,null]}}",
		    "key \"payload.build.builderName\": missing" },
		{ "buildFinished", "{\"build\":{\"builderName\":\"b\","
		    "\"steps\":[{\"name\":\"s\",\"results\":\"x\"}]}}",
		    "key \"payload.build.steps[0].results\": expected an "
		    "array, got string" },
		{ "buildFinished", "{\"build\":{\"builderName\":\"b\","
		    "\"properties\":[[\"a\"]]}}",
		    "key \"payload.build.properties\": item 0" },
		{ "buildFinished", "{\"build\":{\"builderName\":\"b\","
		    "\"sourceStamps\":[{\"changes\":[{\"number\":\"1\"}]}]}}",
		    "payload.build.sourceStamps[0].changes[0].number\": "
		    "expected an integer, got string" },
		{ "stepFinished", "{\"properties\":[[\"buildnumber\",1,"
		    "\"Build\"]],\"step\":{\"name\":\"s\"}}",
		    "no buildername property" },
		{ "stepStarted", "{\"properties\":[],\"step\":[]}",
		    "key \"payload.step\": expected an object, got array" },
		{ "builderAdded", "{\"builder\":{}}",
		    "key \"payload.builderName\": missing" },
		{ "slaveConnected", "{\"slave\":{\"name\":3}}",
		    "key \"payload.slave.name\": expected a string, got integer" },
		{ "buildsetSubmitted", "{\"buildset\":{\"submitted_at\":\"x\"}}",
		    "key \"payload.buildset.submitted_at\": not a time" },
	};
	struct push_request	 req;
	size_t			 i;
	char			*cause, *json;
	int			 r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		r = push_parse(cases[i].body, strlen(cases[i].body), &req,
		    &cause);
		ok(r == -1 && cause != NULL && strstr(cause, cases[i].want) !=
		    NULL, "bad body (%s): %s", cases[i].what, cause);
		push_request_free(&req);
		free(cause);
	}
	for (i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
		cause = NULL;
		json = pkt(pcases[i].event, pcases[i].payload);
		r = push_parse_packets(json, strlen(json), &req, &cause);
		ok(r == -1 && cause != NULL && strstr(cause, pcases[i].want) !=
		    NULL, "bad packet (%s): %s", pcases[i].event, cause);
		push_request_free(&req);
		free(json);
		free(cause);
	}
	json = xstrdup("[{\"id\":1,\"event\":\"start\",\"timestamp\":\"now\","
	    "\"started\":\"2026-11-22 10:10:37\",\"project\":\"P\","
	    "\"payload\":{}}]");
	cause = NULL;
	r = push_parse_packets(json, strlen(json), &req, &cause);
	ok(r == -1 && strstr(cause, "key \"timestamp\": not a time") != NULL,
	    "bad timestamp: %s", cause);
	push_request_free(&req);
	free(cause);
	free(json);
}

/* FilterOut (spec 5b): what missing keys and emptied lists mean. */
static void
filterout_cases(void)
{
	struct push_request	 req;
	struct bbm_event	*ev;
	struct bbm_build	*b;

	ev = one(&req, "buildFinished", "{\"build\":{\"builderName\":\"b\","
	    "\"times\":[100.5,200.25],\"results\":2,\"text\":[\"failed\","
	    "\"compile\"],\"steps\":[{\"name\":\"compile\",\"isStarted\":"
	    "true,\"isFinished\":true,\"times\":[100.5,150],\"results\":[2,"
	    "[\"compile\"]]},{\"step_number\":1,\"name\":\"x\","
	    "\"isFinished\":true,\"results\":[3,null]},{\"step_number\":2,"
	    "\"name\":\"ok\",\"isFinished\":true,\"times\":[150,160]},"
	    "{\"step_number\":3,\"name\":\"later\"}],\"properties\":"
	    "[[\"buildnumber\",0,\"Build\"],[\"codebase\",\"\",\"Build\"],"
	    "[\"empty\",null,\"Step\"]]}}");
	if (ev != NULL && ev->build != NULL) {
		b = ev->build;
		is_int(b->number, 0, "number missing: 0");
		is_int(b->results, 2, "build results");
		is_int(ev->type, EVENT_BUILD_FINISHED, "buildFinished");
		is_int(b->complete, 1, "complete");
		is_str(b->text, "[\"failed\"]",
		    "build text without the steps' text2");
		is_int(b->nsteps, 4, "4 steps");
		if (b->nsteps == 4) {
			is_int(b->steps[0].results, 2, "step results kept");
			is_str(b->steps[0].text2, "[\"compile\"]", "text2");
			is_int(b->steps[1].results, 3, "[3, null]: SKIPPED");
			is_int(b->steps[1].skipped, 1, "SKIPPED: skipped");
			is_str(b->steps[1].text2, "[]", "null text2: []");
			is_int(b->steps[2].results, 0,
			    "finished step without results: SUCCESS");
			is_int(b->steps[3].results, -1,
			    "step not finished: no results");
			ok(!bbm_time_isset(b->steps[3].started_at),
			    "never started");
		}
		is_int(b->nproperties, 3, "3 properties");
		if (b->nproperties == 3) {
			is_str(b->properties[0].value, "0", "zero in a list kept");
			is_str(b->properties[1].value, "\"\"", "\"\" kept");
			is_str(b->properties[2].value, "null", "null kept");
		}
	}
	push_request_free(&req);

	ev = one(&req, "buildFinished", "{\"build\":{\"builderName\":\"b\","
	    "\"number\":4,\"times\":[1,2],\"text\":[\"build\","
	    "\"successful\"]}}");
	if (ev != NULL && ev->build != NULL) {
		is_int(ev->build->results, 0, "finished without results: 0");
		is_int(ev->number, 4, "event number");
		is_str(ev->build->text, "[\"build\",\"successful\"]", "text");
	}
	push_request_free(&req);

	ev = one(&req, "buildStarted", "{\"build\":{\"builderName\":\"b\","
	    "\"times\":[1795342239.538665,null]}}");
	if (ev != NULL && ev->build != NULL) {
		is_int(ev->build->results, -1, "running: no results");
		is_int(ev->build->complete, 0, "running: not complete");
		ok(ev->started == 1795342239.538665, "started exactly");
	}
	push_request_free(&req);
}

static void
event_cases(void)
{
	struct push_request	 req;
	struct bbm_event	*ev;

	ev = one(&req, "buildedRemoved", "{\"builderName\":\"old\"}");
	ok(ev != NULL && ev->type == EVENT_BUILDER_REMOVED &&
	    strcmp(ev->builder, "old") == 0 && strcmp(ev->name,
	    "buildedRemoved") == 0, "buildedRemoved: builderRemoved");
	push_request_free(&req);
	ev = one(&req, "start", "{\"status\":{\"title\":\"x\"}}");
	ok(ev != NULL && ev->type == EVENT_UNKNOWN, "start: ignored");
	push_request_free(&req);
	ev = one(&req, "somethingNew", "{}");
	ok(ev != NULL && ev->type == EVENT_UNKNOWN, "unknown event: ignored");
	push_request_free(&req);
	ev = one(&req, "builderChangedState", "{\"builderName\":\"b\","
	    "\"state\":\"idle\"}");
	ok(ev != NULL && ev->type == EVENT_BUILDER_STATE &&
	    strcmp(ev->state, "idle") == 0 && fabs(ev->time -
	    1795342237.500476) < 1e-6, "builderChangedState, time");
	push_request_free(&req);
	ev = one(&req, "builderAdded", "{\"builderName\":\"b\",\"builder\":"
	    "{\"basedir\":\"b_dir\",\"tags\":[\"t\"],\"slaves\":[\"s1\"],"
	    "\"state\":\"offline\"}}");
	if (ev != NULL && ev->builder_rec != NULL) {
		is_str(ev->builder_rec->name, "b", "builder name");
		is_str(ev->builder_rec->builddir, "b_dir", "builddir");
		is_str(req.packets[0].basedir, "b_dir", "basedir");
		is_str(ev->builder_rec->tags, "[\"t\"]", "tags");
		is_str(ev->builder_rec->slavenames, "[\"s1\"]", "slaves");
		is_int(ev->builder_rec->events_known, 0, "events kept");
	} else
		ok(0, "builderAdded");
	push_request_free(&req);
	ev = one(&req, "changeAdded", "{\"change\":{\"files\":[{\"name\":"
	    "\"a\"},{\"name\":\"b\"}],\"who\":\"me\",\"when\":1439632800,"
	    "\"rev\":\"abc\",\"properties\":[[\"p\",1,\"Change\"]]}}");
	if (ev != NULL && ev->change != NULL) {
		is_int(ev->change->number, 0, "change number missing: 0");
		is_int(ev->change->nfiles, 2, "files");
		is_str(ev->change->revision, "abc", "rev");
		is_str(ev->change->author, "me", "who");
		ok(ev->change->when == 1439632800, "when");
		is_int(ev->change->nproperties, 1, "change properties");
	} else
		ok(0, "changeAdded");
	push_request_free(&req);
	ev = one(&req, "buildsetSubmitted", "{\"buildset\":{\"bsid\":3,"
	    "\"reason\":\"r\",\"submitted_at\":\"2012-05-28 "
	    "18:17:26.836870+00:00\",\"results\":-1}}");
	ok(ev != NULL && ev->buildset != NULL && ev->buildset->bsid == 3 &&
	    ev->buildset->results == -1 && ev->buildset->complete == 0 &&
	    fabs(ev->buildset->submitted_at - 1338229046.83687) < 1e-6,
	    "buildsetSubmitted");
	push_request_free(&req);
	ev = one(&req, "buildsetSubmitted", "{\"buildset\":{\"bsid\":4,"
	    "\"complete\":true}}");
	ok(ev != NULL && ev->buildset->results == 0,
	    "complete buildset without results: SUCCESS");
	push_request_free(&req);
	ev = one(&req, "requestSubmitted", "{\"request\":{\"builderName\":"
	    "\"b\"}}");
	ok(ev != NULL && ev->request != NULL && ev->request->brid == -1 &&
	    strcmp(ev->request->builder_name, "b") == 0, "requestSubmitted");
	push_request_free(&req);
	ev = one(&req, "slaveConnected", "{\"slave\":{\"name\":\"bot1\","
	    "\"connected\":true}}");
	ok(ev != NULL && ev->type == EVENT_SLAVE_CONNECTED &&
	    strcmp(ev->slave, "bot1") == 0, "slaveConnected");
	push_request_free(&req);
	ev = one(&req, "slavePaused", "{\"slavename\":\"bot1\"}");
	ok(ev != NULL && ev->type == EVENT_SLAVE_PAUSED &&
	    strcmp(ev->slave, "bot1") == 0, "slavePaused");
	push_request_free(&req);
}

/* Step events get their build's start, index and unique file names. */
static void
state_cases(void)
{
	struct push_state	*st;
	struct push_request	 r1, r2, r3;
	struct bbm_event	*ev;

	st = push_state_new();
	ev = one(&r1, "buildStarted", "{\"build\":{\"builderName\":\"b\","
	    "\"number\":3,\"times\":[50.5,null],\"steps\":[{\"name\":"
	    "\"unit test\"},{\"step_number\":1,\"name\":\"unit_test\"}]}}");
	if (ev != NULL)
		push_state_update(st, 1, ev, NULL);
	ev = one(&r2, "stepFinished", "{\"properties\":[[\"buildername\","
	    "\"b\",\"Builder\"],[\"buildnumber\",3,\"Build\"]],\"step\":"
	    "{\"name\":\"unit test\",\"isFinished\":true,\"logs\":[[\"stdio\","
	    "null]]}}");
	if (ev != NULL) {
		ok(isnan(ev->started), "step event: start unknown alone");
		is_int(push_state_resolve(st, 2, ev), 0, "other master: unknown");
		is_int(push_state_resolve(st, 1, ev), 1, "build known");
		ok(ev->started == 50.5, "start from buildStarted");
		is_int(ev->step, 0, "step 0");
		is_str(ev->step_rec->logs[0].filename, "3-log-unit_test-stdio",
		    "file name");
		push_state_update(st, 1, ev, NULL);
	}
	/* No step_number: 0.8.1, found by name. */
	ev = one(&r3, "stepFinished", "{\"properties\":[[\"buildername\","
	    "\"b\",\"Builder\"],[\"buildnumber\",3,\"Build\"]],\"step\":"
	    "{\"name\":\"unit_test\",\"isFinished\":true,\"logs\":[[\"stdio\","
	    "null]]}}");
	if (ev != NULL) {
		is_int(push_state_resolve(st, 1, ev), 1, "second step resolved");
		is_int(ev->step, 1, "index by name");
		is_int(ev->step_rec->number, 1, "record index");
		is_str(ev->step_rec->logs[0].filename,
		    "3-log-unit_test-stdio_0", "unique within the build");
	}
	push_request_free(&r3);
	ev = one(&r3, "builderAdded", "{\"builderName\":\"b\",\"builder\":"
	    "{\"basedir\":\"bdir\"}}");
	if (ev != NULL)
		push_state_update(st, 1, ev, r3.packets[0].basedir);
	is_str(push_state_basedir(st, 1, "b"), "bdir", "basedir remembered");
	ok(push_state_basedir(st, 2, "b") == NULL, "per master");
	push_request_free(&r3);
	push_request_free(&r2);
	ev = one(&r2, "buildFinished", "{\"build\":{\"builderName\":\"b\","
	    "\"number\":3,\"times\":[50.5,60]}}");
	if (ev != NULL)
		push_state_update(st, 1, ev, NULL);
	push_request_free(&r2);
	ev = one(&r2, "stepStarted", "{\"properties\":[[\"buildername\","
	    "\"b\",\"Builder\"],[\"buildnumber\",3,\"Build\"]],\"step\":"
	    "{\"name\":\"x\"}}");
	if (ev != NULL)
		is_int(push_state_resolve(st, 1, ev), 0,
		    "buildFinished forgets the build");
	push_state_started(st, 1, "b", 3, 70.0);
	if (ev != NULL) {
		is_int(push_state_resolve(st, 1, ev), 1, "start from the db");
		ok(ev->started == 70.0, "that start");
	}
	push_request_free(&r2);
	push_request_free(&r1);
	push_state_free(st);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL || b == NULL ? a == b : strcmp(a, b) == 0);
}

static int
same_time(double a, double b)
{
	return (isnan(a) ? isnan(b) : a == b);
}

/* Field by field, what asDict carries. */
static void
compare_builds(const char *what, const struct bbm_build *x,
    const struct bbm_build *y)
{
	const struct bbm_step		*s, *t;
	const struct bbm_sourcestamp	*u, *v;
	size_t				 i, j;
	int				 same;

	ok(x->number == y->number && same_time(x->started_at,
	    y->started_at) && same_time(x->finished_at, y->finished_at) &&
	    x->complete == y->complete && x->results == y->results,
	    "%s: number, times, results", what);
	ok(same_str(x->text, y->text) && same_str(x->reason, y->reason) &&
	    same_str(x->slave, y->slave) && same_str(x->blamelist,
	    y->blamelist) && same_str(x->builder_name, y->builder_name),
	    "%s: text, reason, slave, blamelist, builder", what);
	/* Rows are keyed by name: the order does not matter. */
	same = x->nproperties == y->nproperties;
	for (i = 0; same && i < x->nproperties; i++) {
		for (j = 0; j < y->nproperties; j++) {
			if (same_str(x->properties[i].name,
			    y->properties[j].name))
				break;
		}
		same = j < y->nproperties && same_str(x->properties[i].value,
		    y->properties[j].value) && same_str(x->properties[i].source,
		    y->properties[j].source);
	}
	if (!ok(same, "%s: properties", what)) {
		for (i = 0; i < x->nproperties; i++)
			tap_diag("pushed %s = %s (%s)", x->properties[i].name,
			    x->properties[i].value, x->properties[i].source);
		for (i = 0; i < y->nproperties; i++)
			tap_diag("pickled %s = %s (%s)", y->properties[i].name,
			    y->properties[i].value, y->properties[i].source);
	}
	same = x->nsourcestamps == y->nsourcestamps;
	for (i = 0; same && i < x->nsourcestamps; i++) {
		u = &x->sourcestamps[i];
		v = &y->sourcestamps[i];
		same = same_str(u->branch, v->branch) && same_str(u->revision,
		    v->revision) && same_str(u->repository, v->repository) &&
		    same_str(u->project, v->project) && same_str(u->codebase,
		    v->codebase) && u->has_patch == v->has_patch &&
		    u->patch_level == v->patch_level && u->patch_len ==
		    v->patch_len && (u->patch_len == 0 || memcmp(u->patch_body,
		    v->patch_body, u->patch_len) == 0) &&
		    same_str(u->patch_subdir, v->patch_subdir) &&
		    same_str(u->patch_author, v->patch_author) &&
		    same_str(u->patch_comment, v->patch_comment) &&
		    u->nchanges == v->nchanges;
	}
	ok(same, "%s: source stamps", what);
	is_int(x->nchanges, y->nchanges, "%s: changes", what);
	same = x->nsteps == y->nsteps;
	for (i = 0; same && i < x->nsteps; i++) {
		s = &x->steps[i];
		t = &y->steps[i];
		same = s->number == t->number && same_str(s->name, t->name) &&
		    same_time(s->started_at, t->started_at) &&
		    same_time(s->finished_at, t->finished_at) &&
		    s->results == t->results && same_str(s->text, t->text) &&
		    same_str(s->text2, t->text2) && same_str(s->urls,
		    t->urls) && same_str(s->statistics, t->statistics) &&
		    s->hidden == t->hidden && s->skipped == t->skipped &&
		    s->nlogs == t->nlogs;
		for (j = 0; same && j < s->nlogs; j++)
			same = same_str(s->logs[j].name, t->logs[j].name) &&
			    same_str(s->logs[j].filename,
			    t->logs[j].filename) && s->logs[j].kind ==
			    t->logs[j].kind;
	}
	ok(same, "%s: steps and their logs", what);
}

/*
 * tests/data/legacy/build-v4.pck (make-pickles.py) as a 0.8.12 master
 * would have pushed it at buildFinished (asDict, FilterOut).
 */
static const char v4_asdict[] =
    "{\"build\":{\"builderName\":\"v4 builder\",\"number\":5,"
    "\"times\":[1400000000.0,1400000003.0],\"text\":[\"build\","
    "\"successful\"],\"reason\":\"The web-page\",\"slave\":\"sl4\","
    "\"properties\":[[\"buildername\",\"v4 builder\",\"Builder\"],"
    "[\"scheduler\",\"force\",\"Scheduler\"]],"
    "\"sourceStamps\":[{\"branch\":\"master\",\"revision\":\"abc123\","
    "\"hasPatch\":true,\"patch_level\":1,\"patch_body\":\"p1\","
    "\"patch_author\":\"pat\",\"patch_comment\":\"try this\","
    "\"project\":\"proj\",\"repository\":\"git://a\",\"codebase\":\"a\"},"
    "{\"project\":\"proj\",\"repository\":\"git://b\",\"codebase\":\"b\"}],"
    "\"logs\":[[\"report.html\",null],[\"stdio\",null]],"
    "\"steps\":[{\"name\":\"html\",\"text\":[\"html\"],\"isStarted\":true,"
    "\"isFinished\":true,\"times\":[1400000001.0,1400000002.0],"
    "\"hidden\":true,\"logs\":[[\"report.html\",\"http://x/report.html\"],"
    "[\"stdio\",\"http://x/stdio\"]]}]}}";

static void
pickle_equality(void)
{
	struct push_request	 req;
	struct bbm_event	*ev;
	struct bbm_build	 b;
	struct pickle		*p;
	char			*path, *data, *cause = NULL;
	size_t			 len;

	xasprintf(&path, "%s/tests/data/legacy/build-v4.pck", srcdir);
	if (read_file(path, 1 << 20, &data, &len, &cause) != 0) {
		ok(0, "read %s: %s", path, cause);
		free(cause);
		free(path);
		return;
	}
	p = pickle_load(data, len, path, NULL, &cause);
	free(data);
	free(path);
	if (p == NULL || legacy_build(p->root, &b, &cause) != 0) {
		ok(0, "build-v4.pck: %s", cause);
		free(cause);
		pickle_free(p);
		return;
	}
	pickle_free(p);
	if ((ev = one(&req, "buildFinished", v4_asdict)) != NULL)
		compare_builds("v4 pushed vs pickled", ev->build, &b);
	else
		ok(0, "v4 asDict parses");
	push_request_free(&req);
	record_build_free(&b);
}

/* Every request a real 0.8.12 master sent. */
static void
fixture_requests(void)
{
	const char		*fx;
	char			*path, *line = NULL, *cause, *body;
	size_t			 cap = 0, lines = 0, bad = 0, packets = 0, i;
	size_t			 steps = 0, builds = 0, zero = 0;
	struct push_request	 req;
	struct bbm_event	*ev;
	ssize_t			 n;
	FILE			*f;

	if ((fx = getenv("BBM_FIXTURES")) == NULL)
		fx = "../shared/fixtures";
	xasprintf(&path, "%s/httppush-packets.log", fx);
	if ((f = fopen(path, "r")) == NULL) {
		tap_diag("skipped: %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		/* time TAB path TAB length TAB body */
		body = line;
		for (i = 0; i < 3 && body != NULL; i++)
			if ((body = strchr(body, '\t')) != NULL)
				body++;
		lines++;
		cause = NULL;
		if (body == NULL || push_parse(body, strlen(body), &req,
		    &cause) != 0) {
			if (bad++ == 0)
				tap_diag("line %zu: %s", lines, cause);
			free(cause);
			push_request_free(&req);
			continue;
		}
		packets += req.npackets;
		for (i = 0; i < req.npackets; i++) {
			ev = &req.packets[i].ev;
			if (ev->step_rec != NULL && ev->builder != NULL &&
			    ev->number >= 0)
				steps++;
			if (ev->type == EVENT_BUILD_FINISHED &&
			    ev->build->complete && ev->build->results >= 0)
				builds++;
			if (ev->type == EVENT_BUILD_FINISHED &&
			    ev->build->number == 0 && ev->build->results == 0)
				zero++;
		}
		push_request_free(&req);
	}
	free(line);
	fclose(f);
	free(path);
	ok(lines > 0 && bad == 0, "fixture: %zu requests, %zu refused", lines,
	    bad);
	tap_diag("fixture: %zu packets, %zu step events, %zu finished builds",
	    packets, steps, builds);
	ok(steps > 0 && builds > 0, "fixture: steps placed, builds finished "
	    "with a result");
	ok(zero > 0, "fixture: build 0 with SUCCESS (both dropped) read back");
}

/* push_packets and the lookups, on a real database of the engine. */
static void
store_cases(void)
{
	struct store	*s;
	struct bbm_build b;
	char		*cause = NULL, *bd;
	int64_t		 mid, bid, id;
	double		 started;
	int		 seen, found;

	if ((s = store_open(test_db_url("push.sqlite"), &cause)) == NULL) {
		ok(0, "store_open: %s", cause);
		free(cause);
		return;
	}
	if (store_master(s, "m", NULL, &mid, &cause) != 0) {
		ok(0, "store_master: %s", cause);
		goto out;
	}
	ok(store_push_seen(s, mid, "d1", 10.0, &seen, &cause) == 0 &&
	    seen == 0, "a new digest");
	ok(store_push_seen(s, mid, "d1", 11.0, &seen, &cause) == 0 &&
	    seen == 1, "the same digest: seen");
	ok(store_push_seen(s, mid, "d2", 11.0, &seen, &cause) == 0 &&
	    seen == 0, "another digest");
	ok(store_push_seen(s, mid, "d1", 12.0, &seen, &cause) == 0 &&
	    seen == 1, "the first digest: still seen");
	is_int(test_db_int("push.sqlite", "SELECT count(*) FROM push_packets "
	    "WHERE master_id = %lld", (long long)mid), 2,
	    "two push_packets rows");
	/* In a batch, as the daemon applies them: undone with it. */
	ok(store_begin(s, &cause) == 0 &&
	    store_push_seen(s, mid, "d3", 13.0, &seen, &cause) == 0 &&
	    seen == 0 && store_push_seen(s, mid, "d3", 13.0, &seen,
	    &cause) == 0 && seen == 1 && store_push_seen(s, mid, "d1", 13.0,
	    &seen, &cause) == 0 && seen == 1,
	    "in a transaction: new, then seen; an old digest seen");
	store_rollback(s);
	ok(store_push_seen(s, mid, "d3", 14.0, &seen, &cause) == 0 &&
	    seen == 0, "a digest of a rolled back batch is new again");
	ok(store_begin(s, &cause) == 0 &&
	    store_push_seen(s, mid, "d4", 15.0, &seen, &cause) == 0 &&
	    seen == 0 && store_commit(s, &cause) == 0 &&
	    store_push_seen(s, mid, "d4", 16.0, &seen, &cause) == 0 &&
	    seen == 1, "a digest of a committed batch is seen");
	is_int(test_db_int("push.sqlite", "SELECT count(*) FROM push_packets "
	    "WHERE master_id = %lld AND received_at >= 14", (long long)mid), 2,
	    "their rows, with the time of their first sight");
	memset(&b, 0, sizeof b);
	b.builder_name = "bl";
	b.number = 3;
	b.started_at = 100.25;
	b.finished_at = BBM_NO_TIME;
	b.results = BBM_NO_RESULT;
	ok(store_builder(s, mid, &(struct bbm_builder){ .name = "bl",
	    .builddir = "bl_dir" }, BBM_ORIGIN_PUSH, &bid, &cause) == 0 &&
	    store_build(s, mid, bid, &b, BBM_ORIGIN_PUSH, &id, &cause) == 0,
	    "a build stored");
	ok(store_push_build(s, mid, "bl", 3, NAN, 1, &bid, &started, &found,
	    &cause) == 0 && found && bid == id && started == 100.25,
	    "newest build of a number");
	ok(store_push_build(s, mid, "bl", 3, 100.25, 0, &bid, &started,
	    &found, &cause) == 0 && found && bid == id, "build by identity");
	ok(store_push_build(s, mid, "bl", 3, NAN, 0, &bid, &started, &found,
	    &cause) == 0 && !found, "no build without a start");
	ok(store_push_build(s, mid, "bl", 4, NAN, 1, &bid, &started, &found,
	    &cause) == 0 && !found, "no build 4");
	ok(store_push_builddir(s, mid, "bl", &bd, &cause) == 0 && bd != NULL &&
	    strcmp(bd, "bl_dir") == 0, "builddir");
	free(bd);
	ok(store_push_builddir(s, mid, "none", &bd, &cause) == 0 && bd == NULL,
	    "no builder: no builddir");
out:
	free(cause);
	store_close(s);
	test_db_close("push.sqlite");
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, len, f) != len)
		fatal("%s", path);
	fclose(f);
}

/* Log copies from a builder directory, read back from the log store. */
static void
log_cases(const char *dir)
{
	static const char	 stream[] = "12:2echo hello\n,7:0hello\n,"
	    "5:1err\n,";
	struct logstore		*ls;
	struct logstore_reader	*r;
	struct bbm_log		 log;
	char			*p, *cause = NULL, *warning, buf[4096], out[256];
	ssize_t			 n;
	int			 rc;

	xasprintf(&p, "%s/ls", dir);
	if ((ls = logstore_open(p, 1, &cause)) == NULL)
		fatalx("%s", cause);
	free(p);
	xasprintf(&p, "%s/5-log-sh-stdio", dir);
	write_file(p, stream, sizeof stream - 1);
	free(p);
	xasprintf(&p, "%s/5-log-sh-cut", dir);
	write_file(p, stream, sizeof stream - 4);
	free(p);

	memset(&log, 0, sizeof log);
	log.filename = "5-log-sh-stdio";
	ok(logcopy_log(ls, dir, &log, buf, 7, &warning, &cause) == 0 &&
	    warning == NULL && log.state == BBM_LOG_STORED && log.complete,
	    "a raw log stored");
	is_int(log.stored_bytes, sizeof stream - 1, "stored bytes");
	is_int(log.text_bytes, 21, "text bytes");
	is_int(log.lines, 2, "lines of stdout and stderr");
	if (log.store_key != NULL && (r = logstore_open_read(ls,
	    log.store_key, &cause)) != NULL) {
		n = logstore_read(r, out, sizeof out, &cause);
		ok(n == (ssize_t)sizeof stream - 1 && memcmp(out, stream,
		    sizeof stream - 1) == 0, "the same bytes read back");
		logstore_close_read(r);
	} else
		ok(0, "read back: %s", cause);
	free(log.store_key);

	memset(&log, 0, sizeof log);
	log.filename = "5-log-sh-cut";
	rc = logcopy_log(ls, dir, &log, buf, sizeof buf, &warning, &cause);
	ok(rc == 0 && log.state == BBM_LOG_STORED && !log.complete &&
	    warning != NULL && strstr(warning, "ends inside a chunk") != NULL,
	    "a cut log: stored incomplete (%s)", warning != NULL ? warning :
	    "no warning");
	is_int(log.stored_bytes, sizeof stream - 4, "its bytes");
	free(warning);
	free(log.store_key);

	memset(&log, 0, sizeof log);
	log.filename = "5-log-sh-gone";
	ok(logcopy_log(ls, dir, &log, buf, sizeof buf, &warning,
	    &cause) == 0 && log.state == BBM_LOG_MISSING && warning == NULL &&
	    log.store_key == NULL, "no file: missing");
	memset(&log, 0, sizeof log);
	log.filename = "../etc";
	rc = logcopy_log(ls, dir, &log, buf, sizeof buf, &warning, &cause);
	ok(rc == 0 && log.state == BBM_LOG_MISSING && warning != NULL,
	    "a name leaving the directory: missing (%s)", warning != NULL ?
	    warning : "no warning");
	free(warning);
	free(cause);
	logstore_close(ls);
}

int
main(void)
{
	enum test_engine e;
	const char	*s;
	char		 dir[] = "/tmp/test-push.XXXXXX", *cmd;

	if ((s = getenv("top_srcdir")) != NULL)
		srcdir = s;
	form_cases();
	time_cases();
	filename_cases();
	bad_bodies();
	filterout_cases();
	event_cases();
	state_cases();
	pickle_equality();
	fixture_requests();
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	log_cases(dir);
	test_db_init("test-push");
	for (e = 0; e < TEST_ENGINES; e++) {
		if (!test_db_has(e))
			continue;
		test_db_use(e);
		store_cases();
	}
	test_db_done();
	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	free(cmd);
	return (tap_done());
}
