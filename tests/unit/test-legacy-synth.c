/*
 * test-legacy-synth.c: the legacy status model on the synthetic pickles of
 * tests/data/legacy: every BuildStatus/BuilderStatus/ChangeMaster class
 * version the real fixtures lack (see make-pickles.py there), and the
 * malformed ones legacy_build/legacy_builder must refuse or survive.
 *
 * Every expected value was read off the pickles by hand (pickletools.dis
 * and the generator script), not produced by the code under test.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "legacy.h"
#include "pickle.h"
#include "record.h"
#include "util.h"
#include "tap.h"
#include "test-legacy.h"

/* Appends s to the chunk stream b, cut at 10000 bytes, on channel. */
static void
chunk_expect(struct buf *b, int channel, const char *s, size_t len)
{
	size_t	 n;

	while (len > 0) {
		n = len > 10000 ? 10000 : len;
		if (buf_addf(b, "%zu:%d", n + 1, channel) != 0 ||
		    buf_add(b, s, n) != 0 || buf_add(b, ",", 1) != 0)
			fatalx("chunk_expect");
		s += n;
		len -= n;
	}
}

/* --- synthetic pickles -------------------------------------------------- */

void
synth_build_v0(const char *dir)
{
	struct bbm_build		 b;
	struct bbm_sourcestamp		*ss;
	struct bbm_log			*l;
	static const char		 chunks[] =
	    "10:2make all\n,8:0cc a.c\n,14:1a.c:1: error\n,";
	static const char		 diff[] =
	    "diff --git a/a.c\n+\xff\0x\n";

	if (build_of(dir, "build-v0.pck", &b) != 0)
		goto out;
	is_int(b.number, 7, "v0: number");
	is_int(b.results, BBM_FAILURE, "v0: results");
	is_str(b.text, "[\"failed\",\"compile\"]", "v0: tuple text");
	is_str(b.blamelist, "[\"alice\",\"bob\"]", "v0: blamelist");
	is_int(b.nproperties, 0, "v0: no properties");
	is_str(b.builder_name, NULL, "v0: builder name unknown");
	is_int(b.nchanges, 2, "v0: 2 changes from a tuple");
	if (b.nchanges == 2) {
		is_str(b.changes[0].author, "alice", "v0: change 0 author");
		is_int(b.changes[1].number, 5, "v0: change 1 number");
		is_time(b.changes[0].when, 1100000000.5, "v0: change 0 when");
	}
	/* v0->v1: sourceStamp (maxChangeNumber, patch). */
	is_int(b.nsourcestamps, 1, "v0: sourceStamp tuple -> one stamp");
	if (b.nsourcestamps == 1) {
		ss = &b.sourcestamps[0];
		is_str(ss->branch, NULL, "v0 ss: no branch");
		is_str(ss->revision, NULL, "v0 ss: no revision");
		is_int(ss->has_patch, 1, "v0 ss: patch");
		is_int(ss->patch_level, 1, "v0 ss: patch level");
		is_int(ss->patch_len, sizeof diff - 1, "v0 ss: patch length");
		ok(ss->patch_body != NULL && memcmp(ss->patch_body, diff,
		    sizeof diff - 1) == 0, "v0 ss: raw patch bytes");
		is_str(ss->patch_subdir, NULL, "v0 ss: no subdir");
		ok(ss->nchanges == 2 && ss->changes[0] == 0 &&
		    ss->changes[1] == 1, "v0 ss: the build's changes");
		is_str(ss->project, "", "v0 ss: project default");
	}
	is_int(b.nsteps, 3, "v0: 3 steps");
	if (b.nsteps != 3)
		goto out;
	is_str(b.steps[0].name, "compile", "v0 step 0: unversioned step");
	is_int(b.steps[0].results, 2, "v0 step 0: results");
	is_str(b.steps[0].urls, "{}", "v0 step 0: urls default");
	is_str(b.steps[0].statistics, "{}", "v0 step 0: statistics default");
	is_int(b.steps[0].nlogs, 1, "v0 step 0: one log");
	if (b.steps[0].nlogs == 1) {
		l = &b.steps[0].logs[0];
		check_log(l, BBM_LOG_TEXT, "stdio", NULL, 29);
		is_int(l->inline_len, sizeof chunks - 1, "inline log length");
		ok(l->inline_chunks != NULL && memcmp(l->inline_chunks, chunks,
		    sizeof chunks - 1) == 0, "inline log entries as chunks");
	}
	is_int(b.steps[1].results, BBM_NO_RESULT, "v0 step 1: (None, [])");
	is_notime(b.steps[1].started_at, "v0 step 1: never started");
	is_str(b.steps[1].text, "[]", "v0 step 1: text default");
	is_int(b.steps[2].results, BBM_EXCEPTION, "v0 step 2: (4, [...])");
	is_int(b.steps[2].number, 2, "v0 step 2: number");
out:
	record_build_free(&b);
}

void
synth_build_v1(const char *dir)
{
	struct bbm_build	 b;

	if (build_of(dir, "build-v1.pck", &b) != 0)
		goto out;
	is_int(b.number, 12, "v1: number");
	is_int(b.complete, 1, "v1: finished True is complete");
	is_notime(b.finished_at, "v1: finished True has no time");
	is_time(b.started_at, 1200000010.5, "v1: started");
	is_int(b.results, BBM_NO_RESULT, "v1: results None");
	is_str(b.text, "[]", "v1: empty text");
	is_str(b.reason, "forced \xe2\x98\x83", "v1: unicode reason");
	is_str(b.slave, "sl\xc3\xa4ve", "v1: unicode slave");
	is_int(b.nproperties, 0, "v1: no properties");
	is_int(b.nchanges, 1, "v1: shared change once");
	if (b.nchanges == 1) {
		is_str(b.changes[0].revision, "1234", "v1: int revision");
		is_str(b.changes[0].branch, "trunk", "v1: change branch");
		is_int(b.changes[0].is_dir, 1, "v1: isdir");
		is_time(b.changes[0].when, 1200000000.0, "v1: int when");
	}
	is_int(b.nsourcestamps, 1, "v1: source");
	if (b.nsourcestamps == 1) {
		is_str(b.sourcestamps[0].revision, "1234", "v1 ss: int revision");
		is_str(b.sourcestamps[0].branch, "trunk", "v1 ss: branch");
		is_str(b.sourcestamps[0].repository, "", "v1 ss: repository");
		ok(b.sourcestamps[0].nchanges == 1 &&
		    b.sourcestamps[0].changes[0] == 0, "v1 ss: changes -> [0]");
	}
	is_int(b.nsteps, 1, "v1: one step");
	if (b.nsteps == 1) {
		is_str(b.steps[0].urls, "{\"docs\":\"http://x/\"}", "v1: urls");
		is_str(b.steps[0].statistics, "{}", "v1: statistics default");
		is_notime(b.steps[0].finished_at, "v1 step: not finished");
		if (b.steps[0].nlogs == 1)
			check_log(&b.steps[0].logs[0], BBM_LOG_TEXT, "stdio",
			    "12-log-shell-stdio", 77);
		else
			ok(0, "v1 step: one log");
	}
out:
	record_build_free(&b);
}

void
synth_build_v2(const char *dir)
{
	struct bbm_build	 b;

	if (build_of(dir, "build-v2.pck", &b) != 0)
		goto out;
	is_int(b.nproperties, 4, "v2: 4 properties");
	check_prop(b.properties, b.nproperties, "buildername",
	    "\"old builder\"", UPGRADE);
	check_prop(b.properties, b.nproperties, "buildnumber", "3", UPGRADE);
	check_prop(b.properties, b.nproperties, "pair", "[1,\"x\"]", UPGRADE);
	check_prop(b.properties, b.nproperties, "branch", "null", UPGRADE);
	is_str(b.builder_name, "old builder", "v2: builder name");
	is_int(b.nchanges, 0, "v2: no changes");
	if (b.nsourcestamps == 1) {
		is_str(b.sourcestamps[0].revision, "abc", "v2 ss revision");
		is_int(b.sourcestamps[0].nchanges, 0, "v2 ss no changes");
	} else
		ok(0, "v2: one stamp");
	if (b.nsteps == 1) {
		is_int(b.steps[0].results, BBM_WARNINGS, "v2 step results");
		is_str(b.steps[0].statistics, "{\"ratio\":0.5,\"warnings\":3}",
		    "v2 step statistics");
	} else
		ok(0, "v2: one step");
out:
	record_build_free(&b);
}

void
synth_build_v3(const char *dir)
{
	struct bbm_build		 b;
	struct bbm_sourcestamp		*ss;
	struct bbm_log			*l;
	struct buf			 want, html;
	const struct bbm_property	*p;
	int				 i;

	buf_init(&want, 0);
	buf_init(&html, 0);
	if (build_of(dir, "build-v3.pck", &b) != 0)
		goto out;
	is_int(b.results, BBM_SKIPPED, "v3: SKIPPED");
	is_str(b.builder_name, "v3 builder", "v3: builder name");
	/* 13 keys; 'k\xe9y' and u'k\xe9y' are one name, the later wins. */
	is_int(b.nproperties, 12, "v3: 12 properties");
	check_prop(b.properties, b.nproperties, "k\xc3\xa9y",
	    "\"from unicode\"", "B");
	check_prop(b.properties, b.nproperties, "owners",
	    "[\"a@x\",\"b\xe2\x98\x83@x\"]", "Force Build Form");
	check_prop(b.properties, b.nproperties, "mapping",
	    "{\"2\":\"two\",\"[1,2]\":null,\"k\":1}", "Step");
	check_prop(b.properties, b.nproperties, "thing",
	    "{\"__class__\":\"mycompany.buildtools.Thing\",\"state\":"
	    "{\"size\":3,\"tags\":[\"t\"]}}", "Step");
	check_prop(b.properties, b.nproperties, "runtime_set", "[\"y\",\"x\"]",
	    "Build");
	check_prop(b.properties, b.nproperties, "big",
	    "\"1180591620717411303424\"", "Build");
	check_prop(b.properties, b.nproperties, "when",
	    "\"2011-07-10T22:42:23.000500\"", "SetProperty");
	check_prop(b.properties, b.nproperties, "latin1", "\"caf\xc3\xa9\"",
	    "Build");
	check_prop(b.properties, b.nproperties, "unicode_name",
	    "\"\xc3\xa9t\xc3\xa9\"", "Source");
	check_prop(b.properties, b.nproperties, "nan", "null", "Build");
	check_prop(b.properties, b.nproperties, "truth", "true", "Build");
	/* A distinct but equal Change node in source.changes counts once. */
	is_int(b.nchanges, 1, "v3: equal changes count once");
	if (b.nchanges == 1) {
		is_str(b.changes[0].comments, "dup",
		    "v3: build.changes wins");
		is_str(b.changes[0].repository, "git://r", "v3: repository");
		is_str(b.changes[0].revlink, "", "v3: revlink");
		is_int(b.changes[0].nproperties, 0, "v3: empty Properties");
	}
	if (b.nsourcestamps == 1) {
		ss = &b.sourcestamps[0];
		is_str(ss->project, "p", "v3 ss project");
		is_str(ss->codebase, "", "v3 ss codebase default");
		is_int(ss->has_patch, 1, "v3 ss patch");
		is_int(ss->patch_level, 0, "v3 ss patch level 0");
		is_int(ss->patch_len, 5, "v3 ss patch length");
		is_str(ss->patch_body, "diff\n", "v3 ss patch body");
		is_str(ss->patch_subdir, "sub/dir", "v3 ss patch subdir");
		ok(ss->nchanges == 1 && ss->changes[0] == 0,
		    "v3 ss changes -> [0]");
	} else
		ok(0, "v3: one stamp");
	is_int(b.nsteps, 2, "v3: 2 steps");
	if (b.nsteps != 2)
		goto out;
	is_int(b.steps[0].skipped, 1, "v3 step 0 skipped");
	is_int(b.steps[1].number, 1, "v3 step 1: index, not step_number 0");
	is_int(b.steps[0].nlogs, 1, "v3 step 0: one log");
	if (b.steps[0].nlogs == 1) {
		l = &b.steps[0].logs[0];
		check_log(l, BBM_LOG_HTML, "err.html", "40-log-git-err.html", -1);
		for (i = 0; i < 1200; i++) {
			if (buf_addf(&html, "<p>line %05d</p>\n", i) != 0)
				fatalx("buf");
		}
		chunk_expect(&want, 1, html.data, html.len);
		is_int(html.len, 21600, "v3 html is 21600 bytes");
		is_int(l->inline_len, want.len,
		    "v3 html: three stderr chunks (10000, 10000, 1600)");
		ok(l->inline_chunks != NULL && l->inline_len == want.len &&
		    memcmp(l->inline_chunks, want.data, want.len) == 0,
		    "v3 html chunk stream");
		ok(l->inline_chunks != NULL &&
		    strncmp(l->inline_chunks, "10001:1<p>line 00000", 20) == 0,
		    "v3 html first chunk header");
	}
	if (b.steps[1].nlogs == 1)
		check_log(&b.steps[1].logs[0], BBM_LOG_TEXT, "stdio",
		    "40-log-shell-stdio", 0);
	p = tl_prop(b.properties, b.nproperties, "buildername");
	ok(p != NULL && strcmp(p->source, "Builder") == 0,
	    "v3: Properties source kept");
out:
	buf_free(&want);
	buf_free(&html);
	record_build_free(&b);
}

void
synth_build_v4(const char *dir)
{
	struct bbm_build		 b;
	struct bbm_sourcestamp		*ss;

	if (build_of(dir, "build-v4.pck", &b) != 0)
		goto out;
	is_str(b.builder_name, "v4 builder", "v4: builder name");
	check_prop(b.properties, b.nproperties, "scheduler", "\"force\"",
	    "Scheduler");
	is_int(b.nsourcestamps, 2, "v4: two sources");
	if (b.nsourcestamps == 2) {
		ss = &b.sourcestamps[0];
		is_str(ss->branch, "master", "v4 ss0 branch");
		is_str(ss->codebase, "a", "v4 ss0 codebase");
		is_str(ss->repository, "git://a", "v4 ss0 repository");
		is_int(ss->patch_level, 1, "v4 ss0 patch level");
		is_int(ss->patch_len, 2, "v4 ss0 patch length");
		is_str(ss->patch_author, "pat", "v4 ss0 patch_info author");
		is_str(ss->patch_comment, "try this", "v4 ss0 patch_info comment");
		ss = &b.sourcestamps[1];
		is_str(ss->branch, NULL, "v4 ss1 branch None");
		is_str(ss->codebase, "b", "v4 ss1 codebase");
		is_int(ss->has_patch, 0, "v4 ss1 no patch");
		is_str(ss->patch_author, NULL, "v4 ss1 patch_info None");
	}
	is_int(b.nsteps, 1, "v4: one step");
	if (b.nsteps == 1) {
		is_int(b.steps[0].hidden, 1, "v4 step hidden");
		is_int(b.steps[0].nlogs, 2, "v4 step: 2 logs");
		if (b.steps[0].nlogs == 2) {
			check_log(&b.steps[0].logs[0], BBM_LOG_HTML,
			    "report.html", "5-log-html-report.html", 1234);
			ok(b.steps[0].logs[0].inline_chunks == NULL,
			    "0.8.9+ HTMLLogFile: content in the file");
			check_log(&b.steps[0].logs[1], BBM_LOG_TEXT, "stdio",
			    "5-log-html-stdio", 10);
		}
	}
out:
	record_build_free(&b);
}

void
synth_builders(const char *dir)
{
	struct bbm_builder	 br;

	if (builder_of(dir, "builder-v0.pck", &br) == 0) {
		is_str(br.name, "ancient", "builder v0 name");
		is_str(br.slavenames, "[\"oldslave\"]", "builder v0: slavename");
		is_str(br.tags, NULL, "builder v0: no tags");
		is_str(br.description, NULL, "builder v0: no description");
		is_int(br.nevents, 3, "builder v0: 3 events");
		if (br.nevents == 3) {
			is_time(br.events[0].finished_at, 1010.5,
			    "event with a float finished");
			is_str(br.events[0].text, "[\"build\",\"done\"]",
			    "event 0 text");
			is_notime(br.events[1].finished_at,
			    "event without finished");
			is_time(br.events[2].finished_at, 1030.0,
			    "point event finished = started");
		}
	}
	record_builder_free(&br);

	if (builder_of(dir, "builder-v2.pck", &br) == 0) {
		is_str(br.name, "modern \xe2\x98\x83", "builder v2 name");
		is_str(br.tags, "[\"linux\",\"x86\"]", "builder v2 tags");
		is_str(br.category, NULL, "builder v2 no category");
		is_str(br.description, "A builder", "builder v2 description");
		is_str(br.slavenames, "[\"s1\",\"s2\"]", "builder v2 slavenames");
		is_int(br.nevents, 1, "builder v2: non-Event skipped");
		if (br.nevents == 1)
			is_str(br.events[0].text, "[\"connect\",\"s1\"]",
			    "buildbot.status.event.Event text");
	}
	record_builder_free(&br);
}

void
synth_changes(const char *dir)
{
	struct pickle			*p;
	struct bbm_change		*c = NULL, one;
	const struct bbm_property	*pr;
	const struct pickle_value	*v;
	char				*cause = NULL;
	size_t				 n = 0, i;

	if ((p = tl_load(dir, "changes.pck")) == NULL) {
		ok(0, "changes.pck decodes");
		return;
	}
	ok(legacy_changemaster(p->root, &c, &n, &cause) == 0,
	    "changes.pck: legacy_changemaster");
	is_int(n, 2, "changes.pck: junk element skipped");
	if (n == 2) {
		is_str(c[0].author, "J\xc3\xb6rg <j@x>", "unicode who");
		is_str(c[0].comments, "snow \xe2\x98\x83\nline 2",
		    "unicode comments");
		is_str(c[0].revision, "42", "int revision");
		is_str(c[0].revlink, "http://rev/42", "revlink");
		is_str(c[0].category, "cat", "category");
		is_str(c[0].codebase, "cb", "codebase");
		is_time(c[0].when, 1500000000.25, "when");
		is_int(c[0].nfiles, 3, "nested files flattened");
		if (c[0].nfiles == 3) {
			is_str(c[0].files[0], "nested", "file 0");
			is_str(c[0].files[1], "deeper", "file 1");
			is_str(c[0].files[2], "top", "file 2");
		}
		is_int(c[0].nproperties, 2, "change properties");
		check_prop(c[0].properties, c[0].nproperties, "prop",
		    "\"val\"", "Change");
		pr = tl_prop(c[0].properties, c[0].nproperties, "obj");
		ok(pr != NULL && strcmp(pr->value, "{\"__class__\":"
		    "\"mycompany.buildtools.NewThing\",\"state\":"
		    "{\"answer\":42}}") == 0,
		    "_reconstructor instance as a property value");
		is_str(c[1].author, "\xc3\xa9t\xc3\xa9", "Latin-1 who");
		is_int(c[1].is_dir, 1, "isdir");
		is_int(c[1].nfiles, 0, "no files");
		is_int(c[1].nproperties, 0, "no properties attribute");
		is_str(c[1].revlink, "", "revlink default");
		is_str(c[1].project, "", "project default");
		is_str(c[1].category, NULL, "category absent");
		is_time(c[1].when, 1500000001.0, "int when");
	}
	for (i = 0; i < n; i++)
		record_change_free(&c[i]);
	free(c);
	free(cause);
	cause = NULL;

	ok(legacy_change(p->root, &one, &cause) == -1 && cause != NULL &&
	    strstr(cause, "not a Change") != NULL,
	    "legacy_change refuses a ChangeMaster");
	free(cause);
	cause = NULL;
	c = NULL;
	n = 0;
	pickle_free(p);

	if ((p = tl_load(dir, "build-v1.pck")) == NULL) {
		ok(0, "build-v1.pck decodes");
		return;
	}
	ok(legacy_changemaster(p->root, &c, &n, &cause) == -1 &&
	    cause != NULL && strstr(cause, "ChangeMaster") != NULL,
	    "legacy_changemaster refuses a BuildStatus");
	free(cause);
	cause = NULL;
	memset(&one, 0, sizeof one);
	v = pickle_attr(p->root, "changes");
	ok(v != NULL && v->type == PICKLE_LIST && v->u.seq.len == 1 &&
	    legacy_change(v->u.seq.items[0], &one, &cause) == 0,
	    "legacy_change on a build's Change");
	is_int(one.number, 9, "legacy_change number");
	is_str(one.author, "carol", "legacy_change author");
	record_change_free(&one);
	free(cause);
	pickle_free(p);
}


/* --- robustness --------------------------------------------------------- */

static void
expect_error(const char *dir, const char *name, int builder,
    const char *want)
{
	struct pickle		*p;
	struct bbm_build	 b;
	struct bbm_builder	 br;
	char			*cause = NULL;
	int			 r;

	if ((p = tl_load(dir, name)) == NULL) {
		ok(0, "%s decodes", name);
		return;
	}
	if (builder) {
		r = legacy_builder(p->root, &br, &cause);
		ok(r == -1 && br.name == NULL, "%s: legacy_builder fails",
		    name);
		record_builder_free(&br);
	} else {
		r = legacy_build(p->root, &b, &cause);
		ok(r == -1 && b.nsteps == 0 && b.text == NULL,
		    "%s: legacy_build fails with an empty record", name);
		record_build_free(&b);
	}
	is_str(cause, want, "%s: cause", name);
	free(cause);
	pickle_free(p);
}

void
synth_robust(const char *dir)
{
	struct bbm_build	 b;
	struct bbm_step		*st;
	time_t			 t0;

	expect_error(dir, "build-nonumber.pck", 0, "number is missing");
	expect_error(dir, "build-strnumber.pck", 0, "number is a str");
	expect_error(dir, "builder-v0.pck", 0, "not a BuildStatus: an "
	    "instance of buildbot.status.builder.BuilderStatus");
	expect_error(dir, "changes.pck", 0, "not a BuildStatus: an instance "
	    "of buildbot.changes.changes.ChangeMaster");
	expect_error(dir, "build-v2.pck", 1, "not a BuilderStatus: an "
	    "instance of buildbot.status.builder.BuildStatus");

	if (build_of(dir, "build-badtypes.pck", &b) == 0) {
		is_int(b.number, 8, "badtypes: number");
		is_notime(b.started_at, "badtypes: str started");
		is_notime(b.finished_at, "badtypes: list finished");
		is_int(b.complete, 0, "badtypes: not complete");
		is_int(b.results, BBM_NO_RESULT, "badtypes: str results");
		is_str(b.text, "[\"5\"]", "badtypes: int text is one word");
		is_str(b.reason, NULL, "badtypes: list reason");
		is_str(b.blamelist, "[\"bob\"]", "badtypes: str blamelist");
		is_str(b.slave, "3.5", "badtypes: float slavename as text");
		is_int(b.nsourcestamps, 0, "badtypes: str source");
		is_int(b.nchanges, 0, "badtypes: str changes");
		is_int(b.nproperties, 0, "badtypes: int properties");
		is_int(b.nsteps, 2, "badtypes: non-step skipped");
		if (b.nsteps == 2) {
			st = &b.steps[0];
			is_str(st->name, NULL, "badtypes step: None name");
			is_notime(st->started_at, "badtypes step: str started");
			is_int(st->results, BBM_NO_RESULT,
			    "badtypes step: str results");
			is_str(st->text, "[\"one word\"]",
			    "badtypes step: str text");
			is_str(st->text2, "[]", "badtypes step: None text2");
			is_str(st->urls, "{}", "badtypes step: list urls");
			is_str(st->statistics, "{}",
			    "badtypes step: str statistics");
			is_int(st->hidden, 0, "badtypes step: str hidden");
			is_int(st->nlogs, 0, "badtypes step: dict logs");
			st = &b.steps[1];
			is_int(st->number, 2, "badtypes: third step number 2");
			is_int(st->nlogs, 2, "badtypes: non-log skipped");
			if (st->nlogs == 2) {
				check_log(&st->logs[0], BBM_LOG_TEXT, "stdio",
				    NULL, -1);
				ok(st->logs[0].inline_chunks == NULL,
				    "badtypes: int filename, no entries");
				is_str(st->logs[1].inline_chunks, "4:0ok\n,",
				    "badtypes: bad entries skipped");
			}
		}
	}
	record_build_free(&b);

	t0 = time(NULL);
	if (build_of(dir, "build-cycle.pck", &b) == 0) {
		check_prop(b.properties, b.nproperties, "cyc",
		    "[\"<recursion>\"]", "Build");
		check_prop(b.properties, b.nproperties, "dcyc",
		    "{\"self\":\"<recursion>\"}", "Build");
		check_prop(b.properties, b.nproperties, "bomb",
		    "\"<too large>\"", "Build");
	}
	ok(time(NULL) - t0 < 30, "cyclic and shared values stay cheap");
	record_build_free(&b);
}
