/*
 * test-event-live.c: the main check of test-event (see test-event.c): real
 * build, builder and change pickles re-encoded the way the plugin sends
 * them give, through the frame decoder and event_decode, the records
 * legacy.c makes of the pickles themselves.
 */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
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

static char	 diff[256];

static int
str_eq(const char *a, const char *b)
{
	return ((a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0);
}

static int
time_eq(double a, double b)
{
	return ((isnan(a) && isnan(b)) || a == b);
}

static int
bytes_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return (alen == blen && (alen == 0 || (a != NULL && b != NULL &&
	    memcmp(a, b, alen) == 0)));
}

/* Records the first difference ("steps[2].name") and returns 1. */
static int
differs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
differs(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(diff, sizeof diff, fmt, ap);
	va_end(ap);
	return (1);
}

#define CMP_STR(a, b, ...) if (!str_eq(a, b)) return (differs(__VA_ARGS__))
#define CMP_INT(a, b, ...) if ((a) != (b)) return (differs(__VA_ARGS__))
#define CMP_TIME(a, b, ...) if (!time_eq(a, b)) return (differs(__VA_ARGS__))

static int
cmp_props(const struct bbm_property *a, size_t na,
    const struct bbm_property *b, size_t nb, const char *where)
{
	size_t	 i;

	CMP_INT(na, nb, "%s: count %zu != %zu", where, na, nb);
	for (i = 0; i < na; i++) {
		CMP_STR(a[i].name, b[i].name, "%s[%zu].name", where, i);
		CMP_STR(a[i].value, b[i].value, "%s[%zu].value %s != %s",
		    where, i, a[i].value, b[i].value);
		CMP_STR(a[i].source, b[i].source, "%s[%zu].source", where, i);
	}
	return (0);
}

static int
cmp_change(const struct bbm_change *a, const struct bbm_change *b, size_t i)
{
	size_t	 k;
	char	 w[64];

	CMP_INT(a->number, b->number, "changes[%zu].number", i);
	CMP_STR(a->author, b->author, "changes[%zu].author", i);
	CMP_STR(a->comments, b->comments, "changes[%zu].comments", i);
	CMP_STR(a->branch, b->branch, "changes[%zu].branch", i);
	CMP_STR(a->revision, b->revision, "changes[%zu].revision", i);
	CMP_STR(a->revlink, b->revlink, "changes[%zu].revlink", i);
	CMP_STR(a->category, b->category, "changes[%zu].category", i);
	CMP_STR(a->repository, b->repository, "changes[%zu].repository", i);
	CMP_STR(a->project, b->project, "changes[%zu].project", i);
	CMP_STR(a->codebase, b->codebase, "changes[%zu].codebase", i);
	CMP_TIME(a->when, b->when, "changes[%zu].when", i);
	CMP_INT(a->is_dir, b->is_dir, "changes[%zu].is_dir", i);
	CMP_INT(a->nfiles, b->nfiles, "changes[%zu].nfiles", i);
	for (k = 0; k < a->nfiles; k++)
		CMP_STR(a->files[k], b->files[k], "changes[%zu].files[%zu]", i,
		    k);
	snprintf(w, sizeof w, "changes[%zu].properties", i);
	return (cmp_props(a->properties, a->nproperties, b->properties,
	    b->nproperties, w));
}

static int
cmp_log(const struct bbm_log *a, const struct bbm_log *b, const char *w)
{
	CMP_STR(a->name, b->name, "%s.name", w);
	CMP_STR(a->filename, b->filename, "%s.filename", w);
	CMP_INT(a->kind, b->kind, "%s.kind", w);
	if (!bytes_eq(a->inline_chunks, a->inline_len, b->inline_chunks,
	    b->inline_len))
		return (differs("%s.inline_chunks", w));
	CMP_INT(a->length, b->length, "%s.length", w);
	CMP_INT(a->state, b->state, "%s.state", w);
	CMP_STR(a->store_key, b->store_key, "%s.store_key", w);
	CMP_INT(a->stored_bytes, b->stored_bytes, "%s.stored_bytes", w);
	CMP_INT(a->text_bytes, b->text_bytes, "%s.text_bytes", w);
	CMP_INT(a->lines, b->lines, "%s.lines", w);
	CMP_INT(a->complete, b->complete, "%s.complete", w);
	return (0);
}

static int
cmp_step(const struct bbm_step *a, const struct bbm_step *b, const char *w)
{
	size_t	 i;
	char	 lw[64];

	CMP_INT(a->number, b->number, "%s.number", w);
	CMP_STR(a->name, b->name, "%s.name", w);
	CMP_TIME(a->started_at, b->started_at, "%s.started_at", w);
	CMP_TIME(a->finished_at, b->finished_at, "%s.finished_at", w);
	CMP_INT(a->results, b->results, "%s.results", w);
	CMP_STR(a->text, b->text, "%s.text", w);
	CMP_STR(a->text2, b->text2, "%s.text2", w);
	CMP_STR(a->urls, b->urls, "%s.urls", w);
	CMP_STR(a->statistics, b->statistics, "%s.statistics", w);
	CMP_INT(a->hidden, b->hidden, "%s.hidden", w);
	CMP_INT(a->skipped, b->skipped, "%s.skipped", w);
	CMP_INT(a->nlogs, b->nlogs, "%s.nlogs", w);
	for (i = 0; i < a->nlogs; i++) {
		snprintf(lw, sizeof lw, "%s.logs[%zu]", w, i);
		if (cmp_log(&a->logs[i], &b->logs[i], lw))
			return (1);
	}
	return (0);
}

static int
cmp_sourcestamp(const struct bbm_sourcestamp *a,
    const struct bbm_sourcestamp *b, size_t i)
{
	size_t	 k;

	CMP_STR(a->branch, b->branch, "sourcestamps[%zu].branch", i);
	CMP_STR(a->revision, b->revision, "sourcestamps[%zu].revision", i);
	CMP_STR(a->repository, b->repository, "sourcestamps[%zu].repo", i);
	CMP_STR(a->project, b->project, "sourcestamps[%zu].project", i);
	CMP_STR(a->codebase, b->codebase, "sourcestamps[%zu].codebase", i);
	CMP_INT(a->has_patch, b->has_patch, "sourcestamps[%zu].patch", i);
	CMP_INT(a->patch_level, b->patch_level, "sourcestamps[%zu].level", i);
	if (!bytes_eq(a->patch_body, a->patch_len, b->patch_body,
	    b->patch_len))
		return (differs("sourcestamps[%zu].patch_body", i));
	CMP_STR(a->patch_subdir, b->patch_subdir, "sourcestamps[%zu].sub", i);
	CMP_STR(a->patch_author, b->patch_author, "sourcestamps[%zu].pa", i);
	CMP_STR(a->patch_comment, b->patch_comment, "sourcestamps[%zu].pc",
	    i);
	CMP_INT(a->nchanges, b->nchanges, "sourcestamps[%zu].nchanges", i);
	for (k = 0; k < a->nchanges; k++)
		CMP_INT(a->changes[k], b->changes[k],
		    "sourcestamps[%zu].changes[%zu]", i, k);
	return (0);
}

/* 0 when the builds are equal, else 1 with diff naming the first field. */
static int
cmp_build(const struct bbm_build *a, const struct bbm_build *b)
{
	size_t	 i;
	char	 w[64];

	CMP_STR(a->builder_name, b->builder_name, "builder_name");
	CMP_INT(a->number, b->number, "number");
	CMP_TIME(a->started_at, b->started_at, "started_at");
	CMP_TIME(a->finished_at, b->finished_at, "finished_at");
	CMP_INT(a->complete, b->complete, "complete");
	CMP_INT(a->results, b->results, "results");
	CMP_STR(a->text, b->text, "text");
	CMP_STR(a->reason, b->reason, "reason");
	CMP_STR(a->slave, b->slave, "slave");
	CMP_STR(a->blamelist, b->blamelist, "blamelist");
	CMP_INT(a->nsteps, b->nsteps, "nsteps");
	for (i = 0; i < a->nsteps; i++) {
		snprintf(w, sizeof w, "steps[%zu]", i);
		if (cmp_step(&a->steps[i], &b->steps[i], w))
			return (1);
	}
	if (cmp_props(a->properties, a->nproperties, b->properties,
	    b->nproperties, "properties"))
		return (1);
	CMP_INT(a->nsourcestamps, b->nsourcestamps, "nsourcestamps");
	for (i = 0; i < a->nsourcestamps; i++) {
		if (cmp_sourcestamp(&a->sourcestamps[i], &b->sourcestamps[i],
		    i))
			return (1);
	}
	CMP_INT(a->nchanges, b->nchanges, "nchanges");
	for (i = 0; i < a->nchanges; i++) {
		if (cmp_change(&a->changes[i], &b->changes[i], i))
			return (1);
	}
	return (0);
}

static int
cmp_builder(const struct bbm_builder *a, const struct bbm_builder *b)
{
	size_t	 i;

	CMP_STR(a->name, b->name, "name");
	CMP_STR(a->builddir, b->builddir, "builddir");
	CMP_STR(a->description, b->description, "description");
	CMP_STR(a->category, b->category, "category");
	CMP_STR(a->tags, b->tags, "tags");
	CMP_STR(a->slavenames, b->slavenames, "slavenames");
	CMP_INT(a->events_known, b->events_known, "events_known");
	CMP_INT(a->nevents, b->nevents, "nevents");
	for (i = 0; i < a->nevents; i++) {
		CMP_TIME(a->events[i].started_at, b->events[i].started_at,
		    "events[%zu].started_at", i);
		CMP_TIME(a->events[i].finished_at, b->events[i].finished_at,
		    "events[%zu].finished_at", i);
		CMP_STR(a->events[i].text, b->events[i].text,
		    "events[%zu].text", i);
	}
	return (0);
}

/* --- live records equal imported ones ----------------------------------- */

static struct pickle *
load(const char *dir, const char *name)
{
	struct pickle	*p;
	char		*path, *data, *cause;
	size_t		 len;

	xasprintf(&path, "%s/%s", dir, name);
	if (read_file(path, 0, &data, &len, &cause) != 0) {
		tap_diag("%s", cause);
		free(cause);
		free(path);
		return (NULL);
	}
	if ((p = pickle_load(data, len, path, NULL, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
	}
	free(data);
	free(path);
	return (p);
}

static int
is_named(const struct pickle_value *v, const char *name)
{
	return (v != NULL && v->type == PICKLE_OBJECT &&
	    strcmp(v->u.obj.name, name) == 0);
}

/* The items of a list or tuple v (none for anything else). */
static size_t
seq_len(const struct pickle_value *v)
{
	if (v == NULL || (v->type != PICKLE_LIST && v->type != PICKLE_TUPLE))
		return (0);
	return (v->u.seq.len);
}

/*
 * A datetime is pickled by REDUCE, without state, so protocol.h can only
 * send it as the str of its repr(); legacy_json renders the pickled one
 * as ISO 8601. Both sides of the comparison get the repr text in place of
 * the datetime property values (see datetime_gap for the difference).
 */
static void
datetime_props(struct pickle_value *root)
{
	struct pickle_value	*d, *pair, *v;
	size_t			 i;

	d = pickle_attr(pickle_attr(root, "properties"), "properties");
	for (i = 0; d != NULL && d->type == PICKLE_DICT &&
	    i < d->u.dict.len; i++) {
		pair = d->u.dict.vals[i];
		if (seq_len(pair) != 2)
			continue;
		v = pair->u.seq.items[0];
		if (v->type != PICKLE_OBJECT ||
		    strcmp(v->u.obj.module, "datetime") != 0)
			continue;
		v->type = PICKLE_UNICODE;
		v->u.str.ptr = (char *)"datetime.datetime(2011, 7, 10, 22, 42)";
		v->u.str.len = strlen(v->u.str.ptr);
	}
}

/* The head of a build, step or log event of want (see pk_event). */
static char *
live_head(const char *event, const char *builder, const struct bbm_build *b)
{
	char	*head, started[64];

	if (isnan(b->started_at))
		snprintf(started, sizeof started, "null");
	else
		snprintf(started, sizeof started, "%.17g", b->started_at);
	xasprintf(&head, "{'type':'event','seq':%lld,'time':1290000000.25,"
	    "'event':'%s','builder':'%s','number':%lld,'started':%s",
	    (long long)b->number + 1, event, builder, (long long)b->number,
	    started);
	return (head);
}

/* stepFinished and logStarted for every step and log of the build. */
static void
live_steps(const char *label, const char *builder, const struct pickle *p,
    const struct bbm_build *want)
{
	const struct pickle_value	*steps, *logs, *st, *lg;
	struct buf			 b;
	struct dec			 d;
	char				*head, *h, w[64];
	size_t				 i, j, k = 0, m, nlogs = 0;
	int				 bad = 0, badlog = 0;

	steps = pickle_attr(p->root, "steps");
	head = live_head("stepFinished", builder, want);
	for (i = 0; i < seq_len(steps); i++) {
		if (!is_named(st = steps->u.seq.items[i], "BuildStepStatus"))
			continue;
		buf_init(&b, 0);
		xasprintf(&h, "%s,'step':%zu,'results':[%d,['x']]", head, i,
		    k < want->nsteps && want->steps[k].results >= 0 ?
		    want->steps[k].results : 0);
		pk_event(&b, h, "status", st);
		free(h);
		snprintf(w, sizeof w, "steps[%zu]", k);
		diff[0] = '\0';
		if (dec_frame(&d, &b) != 0 || k >= want->nsteps ||
		    cmp_step(d.ev.step_rec, &want->steps[k], w)) {
			if (!bad++)
				tap_diag("%s: step %zu: %s", label, i,
				    d.cause != NULL ? d.cause : diff);
		}
		dec_done(&d);
		logs = pickle_attr(st, "logs");
		for (j = m = 0; j < seq_len(logs) && k < want->nsteps; j++) {
			lg = logs->u.seq.items[j];
			if (!is_named(lg, "LogFile") &&
			    !is_named(lg, "HTMLLogFile"))
				continue;
			buf_reset(&b);
			xasprintf(&h, "{'type':'event','seq':3,'event':"
			    "'logStarted','builder':'b','number':%lld,"
			    "'started':null,'step':%zu,'log':%zu",
			    (long long)want->number, i, j);
			pk_event(&b, h, "status", lg);
			free(h);
			snprintf(w, sizeof w, "steps[%zu].logs[%zu]", k, m);
			diff[0] = '\0';
			if (dec_frame(&d, &b) != 0 ||
			    m >= want->steps[k].nlogs || cmp_log(d.ev.log_rec,
			    &want->steps[k].logs[m], w)) {
				if (!badlog++)
					tap_diag("%s: log %zu/%zu: %s", label,
					    i, j, d.cause != NULL ? d.cause :
					    diff);
			}
			dec_done(&d);
			m++;
			nlogs++;
		}
		buf_free(&b);
		k++;
	}
	free(head);
	ok(!bad && k == want->nsteps, "%s: %zu steps by stepFinished equal "
	    "the imported ones", label, k);
	ok(!badlog, "%s: %zu logs by logStarted equal the imported ones",
	    label, nlogs);
}

/*
 * buildFinished with the build pickle dir/name must give legacy_build's
 * record (or its error), then its steps and logs one by one.
 */
static void
live_build(const char *dir, const char *name, const char *label)
{
	struct bbm_build	 want;
	struct pickle		*p;
	struct buf		 b;
	struct dec		 d;
	char			*why = NULL, *head, *h, *builder;
	int			 r;

	if ((p = load(dir, name)) == NULL) {
		ok(0, "%s decodes", label);
		return;
	}
	datetime_props(p->root);
	r = legacy_build(p->root, &want, &why);
	builder = xstrdup(r == 0 && want.builder_name != NULL ?
	    want.builder_name : "live-builder");
	head = live_head("buildFinished", builder, &want);
	xasprintf(&h, "%s,'results':%d", head, r == 0 && want.results >= 0 ?
	    want.results : 0);
	buf_init(&b, 0);
	pk_event(&b, h, "build", p->root);
	dec_frame(&d, &b);
	if (r != 0) {
		ok(d.r != 0 && d.cause != NULL && strstr(d.cause, why) != NULL,
		    "%s: the event fails as the import does (%s)", label, why);
		if (d.cause != NULL)
			tap_diag("%s", d.cause);
	} else {
		ok(d.r == 0 && d.ev.type == EVENT_BUILD_FINISHED &&
		    d.ev.build != NULL, "%s: buildFinished decodes", label);
		if (d.r != 0)
			tap_diag("%s", d.cause);
		free(want.builder_name);
		want.builder_name = xstrdup(builder);
		diff[0] = '\0';
		if (!ok(d.ev.build != NULL && !cmp_build(d.ev.build, &want),
		    "%s: live build equals the imported one", label))
			tap_diag("differs at %s", diff);
		live_steps(label, builder, p, &want);
	}
	dec_done(&d);
	buf_free(&b);
	free(h);
	free(head);
	free(builder);
	free(why);
	record_build_free(&want);
	pickle_free(p);
}

/* builderAdded with the builder pickle dir/name. */
static void
live_builder(const char *dir, const char *name, const char *label)
{
	struct bbm_builder	 want;
	struct pickle		*p;
	struct buf		 b;
	struct dec		 d;
	char			*why = NULL;

	if ((p = load(dir, name)) == NULL) {
		ok(0, "%s decodes", label);
		return;
	}
	if (legacy_builder(p->root, &want, &why) != 0)
		fatalx("%s: %s", label, why);
	buf_init(&b, 0);
	pk_event(&b, "{'type':'event','seq':1,'event':'builderAdded',"
	    "'builder':'live-name'", "status", p->root);
	dec_frame(&d, &b);
	free(want.name);
	want.name = xstrdup("live-name");
	diff[0] = '\0';
	if (!ok(d.r == 0 && d.ev.builder_rec != NULL &&
	    !cmp_builder(d.ev.builder_rec, &want), "%s: builderAdded equals "
	    "the imported builder", label))
		tap_diag("%s", d.r == 0 ? diff : d.cause);
	dec_done(&d);
	buf_free(&b);
	record_builder_free(&want);
	pickle_free(p);
}

/* changeAdded with every Change of the ChangeMaster in dir/name. */
static void
live_changes(const char *dir, const char *name, const char *label)
{
	const struct pickle_value	*changes;
	struct bbm_change		 want;
	struct pickle			*p;
	struct buf			 b;
	struct dec			 d;
	char				*why;
	size_t				 i, good = 0;
	int				 r;

	if ((p = load(dir, name)) == NULL) {
		ok(0, "%s decodes", label);
		return;
	}
	changes = pickle_attr(p->root, "changes");
	for (i = 0; i < seq_len(changes); i++) {
		why = NULL;
		r = legacy_change(changes->u.seq.items[i], &want, &why);
		buf_init(&b, 0);
		pk_event(&b, "{'type':'event','seq':1,'event':'changeAdded'",
		    "change", changes->u.seq.items[i]);
		dec_frame(&d, &b);
		diff[0] = '\0';
		if (r == 0 ? d.r == 0 && !cmp_change(d.ev.change, &want, i) :
		    d.r != 0 && strstr(d.cause, why) != NULL)
			good++;
		else
			tap_diag("%s: change %zu: %s", label, i,
			    d.cause != NULL ? d.cause : diff);
		dec_done(&d);
		buf_free(&b);
		record_change_free(&want);
		free(why);
	}
	ok(good == seq_len(changes) && good > 0,
	    "%s: %zu changeAdded events equal the imported changes", label,
	    good);
	pickle_free(p);
}

void
live_synthetic(void)
{
	static const char	*builds[] = { "build-v0.pck", "build-v1.pck",
	    "build-v2.pck", "build-v3.pck", "build-v4.pck",
	    "build-badtypes.pck", "build-nonumber.pck",
	    "build-strnumber.pck" };
	char			*dir;
	size_t			 i;

	xasprintf(&dir, "%s/tests/data/legacy", srcdir);
	for (i = 0; i < sizeof builds / sizeof builds[0]; i++)
		live_build(dir, builds[i], builds[i]);
	live_builder(dir, "builder-v0.pck", "builder-v0.pck");
	live_builder(dir, "builder-v2.pck", "builder-v2.pck");
	live_changes(dir, "changes.pck", "changes.pck");
	free(dir);
}

void
live_fixtures(void)
{
	static const char	*names[] = { "master-0-7-5", "v082", "v087p1" };
	const char		*fx;
	char			 tmpl[] = "/tmp/test-event.XXXXXX";
	char			*dflt = NULL, *cmd, *tgz, *dir;
	size_t			 i;

	if ((fx = getenv("BBM_FIXTURES")) == NULL) {
		xasprintf(&dflt, "%s/../shared/fixtures", srcdir);
		fx = dflt;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		xasprintf(&tgz, "%s/%s.tgz", fx, names[i]);
		if (access(tgz, R_OK) != 0) {
			ok(1, "fixtures # SKIP %s not readable (set "
			    "BBM_FIXTURES)", tgz);
			free(tgz);
			free(dflt);
			return;
		}
		free(tgz);
	}
	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		xasprintf(&cmd, "tar xzf '%s/%s.tgz' -C '%s'", fx, names[i],
		    tmpl);
		if (system(cmd) != 0)
			fatalx("%s failed", cmd);
		free(cmd);
	}
	xasprintf(&dir, "%s/master-0-7-5/tbdir", tmpl);
	live_build(dir, "0", "0.7.5 build 0");
	live_builder(dir, "builder", "0.7.5 builder");
	free(dir);
	xasprintf(&dir, "%s/master-0-7-5", tmpl);
	live_changes(dir, "changes.pck", "0.7.5 changes.pck");
	free(dir);
	xasprintf(&dir, "%s/v082/builder", tmpl);
	live_build(dir, "0", "v082 build 0");
	live_build(dir, "1", "v082 build 1");
	live_build(dir, "2", "v082 build 2");
	live_build(dir, "3", "v082 build 3");
	live_builder(dir, "builder", "v082 builder");
	free(dir);
	xasprintf(&dir, "%s/v087p1/runtests", tmpl);
	live_build(dir, "0", "v087p1 build 0");
	live_build(dir, "1", "v087p1 build 1");
	free(dir);
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpl);
	free(cmd);
	free(dflt);
}

/*
 * The known gap: a datetime is pickled by REDUCE, without state, so the
 * plugin can only send the str of its repr() (protocol.h), where the import
 * renders ISO 8601. Asserted as it is, so that a protocol change that
 * closes the gap shows up here.
 */
void
datetime_gap(void)
{
	const struct bbm_property *a, *w;
	struct bbm_build	 want;
	struct pickle		*p;
	struct buf		 b;
	struct dec		 d;
	char			*dir, *why = NULL;
	size_t			 i, ndiff = 0, at = 0;

	xasprintf(&dir, "%s/tests/data/legacy", srcdir);
	if ((p = load(dir, "build-v3.pck")) == NULL ||
	    legacy_build(p->root, &want, &why) != 0)
		fatalx("build-v3.pck: %s", why);
	buf_init(&b, 0);
	pk_event(&b, "{'type':'event','seq':1,'event':'buildStarted',"
	    "'builder':'b','number':40,'started':null", "build", p->root);
	if (dec_frame(&d, &b) != 0 ||
	    d.ev.build->nproperties != want.nproperties)
		fatalx("build-v3.pck live: %s", d.cause);
	for (i = 0; i < want.nproperties; i++) {
		a = &d.ev.build->properties[i];
		w = &want.properties[i];
		if (!str_eq(a->value, w->value)) {
			ndiff++;
			at = i;
		}
	}
	a = &d.ev.build->properties[at];
	w = &want.properties[at];
	ok(ndiff == 1 && strncmp(w->value, "\"2011-07-10T", 12) == 0 &&
	    strcmp(a->value, "\"<datetime.datetime object>\"") == 0,
	    "datetime property: live value is the repr text, imported is ISO "
	    "8601 (protocol gap)");
	dec_done(&d);
	buf_free(&b);
	record_build_free(&want);
	pickle_free(p);
	free(dir);
}
