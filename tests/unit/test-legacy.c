/*
 * test-legacy.c: the legacy status model on real master directories
 * ($BBM_FIXTURES), on the synthetic pickles of tests/data/legacy (one per
 * class generation the fixtures lack; see make-pickles.py there) and on
 * hand-built value trees for legacy_json/legacy_string.
 *
 * Every expected value was read off the pickles by hand (pickletools.dis
 * and the generator script), not produced by the code under test.
 *
 * This file holds main(), the helpers both files use, the real-fixture
 * checks and the legacy_json/legacy_string cases; the synthetic pickles,
 * malformed ones included, are checked in test-legacy-synth.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy.h"
#include "pickle.h"
#include "record.h"
#include "util.h"
#include "tap.h"
#include "test-legacy.h"

static const char	*srcdir = ".";

/* Decodes a pickle file; NULL (with a diagnostic) when that fails. */
struct pickle *
tl_load(const char *dir, const char *name)
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
	p = pickle_load(data, len, path, NULL, &cause);
	if (p == NULL) {
		tap_diag("%s", cause);
		free(cause);
	}
	free(data);
	free(path);
	return (p);
}

/* legacy_build on dir/name; returns 0 when it succeeded. */
int
build_of(const char *dir, const char *name, struct bbm_build *b)
{
	struct pickle	*p;
	char		*cause = NULL;
	int		 r;

	memset(b, 0, sizeof *b);
	if ((p = tl_load(dir, name)) == NULL) {
		ok(0, "%s decodes", name);
		return (-1);
	}
	r = legacy_build(p->root, b, &cause);
	ok(r == 0, "%s: legacy_build", name);
	if (r != 0) {
		tap_diag("%s", cause);
		free(cause);
	}
	pickle_free(p);
	return (r);
}

int
builder_of(const char *dir, const char *name, struct bbm_builder *b)
{
	struct pickle	*p;
	char		*cause = NULL;
	int		 r;

	memset(b, 0, sizeof *b);
	if ((p = tl_load(dir, name)) == NULL) {
		ok(0, "%s decodes", name);
		return (-1);
	}
	r = legacy_builder(p->root, b, &cause);
	ok(r == 0, "%s: legacy_builder", name);
	if (r != 0) {
		tap_diag("%s", cause);
		free(cause);
	}
	pickle_free(p);
	return (r);
}

const struct bbm_property *
tl_prop(const struct bbm_property *props, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(props[i].name, name) == 0)
			return (&props[i]);
	}
	return (NULL);
}

/* Checks one property's JSON value and source. */
void
check_prop(const struct bbm_property *props, size_t n, const char *name,
    const char *value, const char *source)
{
	const struct bbm_property	*p;

	p = tl_prop(props, n, name);
	ok(p != NULL, "property %s present", name);
	if (p == NULL)
		return;
	is_str(p->value, value, "property %s value", name);
	is_str(p->source, source, "property %s source", name);
}

void
check_log(const struct bbm_log *l, enum bbm_log_kind kind, const char *name,
    const char *filename, int64_t length)
{
	is_int(l->kind, kind, "log %s kind", name);
	is_str(l->name, name, "log %s name", name);
	is_str(l->filename, filename, "log %s filename", name);
	is_int(l->length, length, "log %s length", name);
	is_int(l->state, BBM_LOG_NONE, "log %s state untouched", name);
}

/* --- real fixtures ------------------------------------------------------ */

static void
fixture_075(const char *dir)
{
	struct bbm_build	 b;
	struct bbm_builder	 br;
	struct bbm_change	*c = NULL;
	struct pickle		*p;
	struct bbm_step		*st;
	char			*cause = NULL, *sub;
	size_t			 n = 0, i;

	xasprintf(&sub, "%s/master-0-7-5/tbdir", dir);
	if (build_of(sub, "0", &b) == 0) {
		is_int(b.number, 0, "0.7.5 build 0: number");
		is_time(b.started_at, 1289535988.280159, "0.7.5: started");
		is_time(b.finished_at, 1289535988.33068, "0.7.5: finished");
		is_int(b.complete, 1, "0.7.5: complete");
		is_int(b.results, BBM_SUCCESS, "0.7.5: SUCCESS");
		is_str(b.text, "[\"build\",\"successful\"]", "0.7.5: text");
		is_str(b.reason, "", "0.7.5: reason");
		is_str(b.slave, "bot", "0.7.5: slave");
		is_str(b.blamelist, "[\"dustin <dustin@v.igoro.us>\"]",
		    "0.7.5: blamelist");
		/* v2 plain property dict, upgraded with a fixed source. */
		is_str(b.builder_name, "tb", "0.7.5: builder name");
		is_int(b.nproperties, 5, "0.7.5: 5 properties");
		check_prop(b.properties, b.nproperties, "buildername",
		    "\"tb\"", UPGRADE);
		check_prop(b.properties, b.nproperties, "buildnumber", "0",
		    UPGRADE);
		check_prop(b.properties, b.nproperties, "branch", "null",
		    UPGRADE);
		is_int(b.nsteps, 1, "0.7.5: one step");
		if (b.nsteps == 1) {
			st = &b.steps[0];
			is_int(st->number, 0, "0.7.5 step: number");
			is_str(st->name, "shell", "0.7.5 step: name");
			is_time(st->started_at, 1289535988.280854,
			    "0.7.5 step: started");
			is_time(st->finished_at, 1289535988.329482,
			    "0.7.5 step: finished");
			is_int(st->results, 0, "0.7.5 step: results");
			is_str(st->text, "[\"echoed\"]", "0.7.5 step: text");
			is_str(st->text2, "[]", "0.7.5 step: text2");
			is_str(st->urls, "{}", "0.7.5 step: urls");
			is_str(st->statistics, "{}",
			    "0.7.5 step v1: statistics default");
			is_int(st->hidden, 0, "0.7.5 step: hidden default");
			is_int(st->nlogs, 1, "0.7.5 step: one log");
			if (st->nlogs == 1) {
				check_log(&st->logs[0], BBM_LOG_TEXT, "stdio",
				    "0-log-shell-stdio", 4120);
				ok(st->logs[0].inline_chunks == NULL,
				    "0.7.5 log: content is in the file");
			}
		}
		/* The Change is shared by build.changes and source.changes. */
		is_int(b.nchanges, 1, "0.7.5: one change (shared node)");
		if (b.nchanges == 1) {
			is_int(b.changes[0].number, 2, "0.7.5 change number");
			is_str(b.changes[0].author,
			    "dustin <dustin@v.igoro.us>", "0.7.5 change who");
			is_str(b.changes[0].revision, "1234",
			    "0.7.5 change revision");
			is_str(b.changes[0].branch, NULL, "0.7.5 change branch");
			is_str(b.changes[0].revlink, "",
			    "0.7.5 change revlink default");
			is_int(b.changes[0].nfiles, 1, "0.7.5 change files");
			if (b.changes[0].nfiles == 1)
				is_str(b.changes[0].files[0], "boring/path",
				    "0.7.5 change file");
		}
		is_int(b.nsourcestamps, 1, "0.7.5: one source stamp");
		if (b.nsourcestamps == 1) {
			is_str(b.sourcestamps[0].branch, NULL, "0.7.5 ss branch");
			is_str(b.sourcestamps[0].project, "",
			    "0.7.5 ss project default");
			is_str(b.sourcestamps[0].codebase, "",
			    "0.7.5 ss codebase default");
			is_int(b.sourcestamps[0].has_patch, 0, "0.7.5 ss patch");
			ok(b.sourcestamps[0].nchanges == 1 &&
			    b.sourcestamps[0].changes[0] == 0,
			    "0.7.5 ss changes -> [0]");
		}
	}
	record_build_free(&b);

	if (builder_of(sub, "builder", &br) == 0) {
		is_str(br.name, "tb", "0.7.5 builder name");
		is_str(br.category, NULL, "0.7.5 builder category");
		is_str(br.tags, NULL, "0.7.5 builder: no tags without category");
		is_str(br.slavenames, "[\"bot\"]", "0.7.5 builder slavenames");
		is_int(br.events_known, 1, "0.7.5 builder events known");
		is_int(br.nevents, 5, "0.7.5 builder: 5 events");
		if (br.nevents == 5) {
			is_time(br.events[0].started_at, 1289535979.984982,
			    "0.7.5 event 0 started");
			is_time(br.events[0].finished_at, 1289535979.984982,
			    "0.7.5 event 0: point event");
			is_str(br.events[0].text, "[\"builder\",\"created\"]",
			    "0.7.5 event 0 text");
			is_str(br.events[3].text, "[\"disconnect\",\"bot\"]",
			    "0.7.5 event 3 text");
			is_time(br.events[4].started_at, 1289535995.792445,
			    "0.7.5 event 4 started");
		}
	}
	record_builder_free(&br);
	free(sub);

	xasprintf(&sub, "%s/master-0-7-5", dir);
	if ((p = tl_load(sub, "changes.pck")) == NULL)
		ok(0, "0.7.5 changes.pck decodes");
	else {
		ok(legacy_changemaster(p->root, &c, &n, &cause) == 0,
		    "0.7.5 changes.pck: legacy_changemaster");
		is_int(n, 2, "0.7.5 changes.pck: 2 changes");
		if (n == 2) {
			is_int(c[0].number, 1, "change 1 number");
			is_str(c[0].author, "the snowman <\xe2\x98\x83"
			    "@norpole.net>", "change 1 UTF-8 author");
			is_str(c[0].comments, "shooting star or \xe2\x98\x84?",
			    "change 1 comments");
			is_str(c[0].branch, "\xe2\x98\x84", "change 1 branch");
			is_str(c[0].revision, "\xe2\x98\x85-devel",
			    "change 1 revision");
			is_time(c[0].when, 1289535985.272419, "change 1 when");
			is_int(c[0].nfiles, 2, "change 1: 2 files");
			if (c[0].nfiles == 2) {
				is_str(c[0].files[0], "\xe2\x98\x85"
				    "/funny_chars/in/a/path", "change 1 file 0");
				is_str(c[0].files[1], "normal/path",
				    "change 1 file 1");
			}
			is_int(c[1].number, 2, "change 2 number");
			is_str(c[1].comments, "on-branch change",
			    "change 2 comments");
			is_str(c[1].branch, NULL, "change 2 branch None");
		}
		for (i = 0; i < n; i++)
			record_change_free(&c[i]);
		free(c);
		free(cause);
		pickle_free(p);
	}
	free(sub);
}

static void
fixture_v082(const char *dir)
{
	struct bbm_build	 b;
	struct bbm_builder	 br;
	struct bbm_step		*st;
	struct bbm_log		*l;
	char			*sub;
	static const char	 html_head[] =
	    "2528:1\n<style type=\"text/css\">\n";

	xasprintf(&sub, "%s/v082/builder", dir);
	if (build_of(sub, "0", &b) == 0) {
		is_int(b.results, 0, "v082 build 0: SUCCESS");
		is_int(b.nsteps, 3, "v082 build 0: 3 steps");
		is_str(b.builder_name, "builder", "v082 build 0: builder name");
		is_int(b.nproperties, 9, "v082 build 0: 9 properties");
		check_prop(b.properties, b.nproperties, "got_revision",
		    "\"62f2d97cd93c682a24753c117f2cbcf9124295c1\"", "Source");
		check_prop(b.properties, b.nproperties, "slprop", "\"val\"",
		    "BuildSlave");
		is_str(b.reason, "The web-page 'force build' button was "
		    "pressed by '': \n", "v082 build 0: unicode reason");
		if (b.nsteps == 3) {
			is_str(b.steps[2].name, "shell_1", "v082 0: step 2 name");
			is_int(b.steps[2].number, 2, "v082 0: step 2 number");
			check_log(&b.steps[2].logs[0], BBM_LOG_TEXT, "stdio",
			    "0-log-shell_1-stdio", 4510);
			is_str(b.steps[1].text, "[\"'sleep\",\"10'\"]",
			    "v082 0: step 1 text");
		}
		is_int(b.nsourcestamps, 1, "v082 build 0: one stamp");
		if (b.nsourcestamps == 1) {
			is_str(b.sourcestamps[0].repository, "",
			    "v082 ss repository");
			is_str(b.sourcestamps[0].codebase, "",
			    "v082 ss codebase (v3 upgrade)");
		}
	}
	record_build_free(&b);

	if (build_of(sub, "1", &b) == 0) {
		is_int(b.number, 1, "v082 build 1: number");
		is_int(b.results, BBM_EXCEPTION, "v082 build 1: EXCEPTION");
		is_str(b.text, "[\"exception\"]", "v082 build 1: text");
		is_int(b.nchanges, 0, "v082 build 1: empty changes tuple");
		check_prop(b.properties, b.nproperties, "revision",
		    "\"None\"", "Source");
		is_int(b.nsteps, 3, "v082 build 1: 3 steps");
		if (b.nsteps == 3) {
			st = &b.steps[0];
			is_int(st->results, 4, "v082 1: git step EXCEPTION");
			is_str(st->text2, "[\"git\"]", "v082 1: git text2");
			is_int(st->nlogs, 3, "v082 1: git step has 3 logs");
			if (st->nlogs == 3) {
				check_log(&st->logs[0], BBM_LOG_TEXT, "stdio",
				    "1-log-git-stdio", 254);
				l = &st->logs[1];
				check_log(l, BBM_LOG_HTML, "err.html",
				    "1-log-git-err.html", -1);
				is_int(l->inline_len, 2527 + 7,
				    "err.html: one stderr chunk of 2527 bytes");
				ok(l->inline_chunks != NULL &&
				    strncmp(l->inline_chunks, html_head,
				    sizeof html_head - 1) == 0,
				    "err.html: chunk header and html start");
				ok(l->inline_chunks != NULL &&
				    l->inline_chunks[l->inline_len - 1] == ',',
				    "err.html: chunk ends with a comma");
				check_log(&st->logs[2], BBM_LOG_TEXT,
				    "err.text", "1-log-git-err.text", 217);
			}
			st = &b.steps[1];
			is_str(st->name, "shell", "v082 1: step 1 name");
			is_notime(st->started_at, "v082 1: step 1 never started");
			is_notime(st->finished_at, "v082 1: step 1 not finished");
			is_int(st->results, BBM_NO_RESULT,
			    "v082 1: step 1 no result");
			is_str(st->text, "[]", "v082 1: step 1 text default");
			is_int(st->nlogs, 0, "v082 1: step 1 no logs");
			is_int(b.steps[2].results, BBM_NO_RESULT,
			    "v082 1: step 2 no result");
			is_notime(b.steps[2].started_at,
			    "v082 1: step 2 never started");
		}
	}
	record_build_free(&b);

	if (build_of(sub, "2", &b) == 0) {
		is_int(b.results, BBM_RETRY, "v082 build 2: RETRY");
		is_str(b.text, "[\"build\",\"successful\"]",
		    "v082 build 2: text contradicts results");
		is_time(b.started_at, 1310337769.750705, "v082 2: started");
		is_time(b.finished_at, 1310337777.014677, "v082 2: finished");
		if (b.nsteps == 3) {
			st = &b.steps[1];
			is_int(st->results, BBM_RETRY, "v082 2: shell RETRY");
			is_str(st->text, "[\"'sleep\",\"10'\",\"failed\","
			    "\"slave\",\"lost\"]", "v082 2: shell text");
			is_int(st->nlogs, 2, "v082 2: shell has 2 logs");
			if (st->nlogs == 2)
				check_log(&st->logs[1], BBM_LOG_TEXT,
				    "interrupt", "2-log-shell-interrupt", 167);
		} else
			ok(0, "v082 build 2: 3 steps");
	}
	record_build_free(&b);

	if (build_of(sub, "3", &b) == 0) {
		is_int(b.number, 3, "v082 build 3: number");
		is_int(b.nsteps, 3, "v082 build 3: 3 steps");
		if (b.nsteps == 3)
			check_log(&b.steps[0].logs[0], BBM_LOG_TEXT, "stdio",
			    "3-log-git-stdio", 18493);
	}
	record_build_free(&b);

	if (builder_of(sub, "builder", &br) == 0) {
		is_str(br.name, "builder", "v082 builder name");
		is_str(br.category, "x7", "v082 builder category");
		is_str(br.tags, "[\"x7\"]", "v082 builder: v1->v2 tags");
		is_str(br.slavenames, "[\"example-slave\"]",
		    "v082 builder slavenames");
		is_int(br.nevents, 12, "v082 builder: 12 events");
		if (br.nevents == 12) {
			is_str(br.events[6].text, "[\"master\",\"started\"]",
			    "v082 event 6 text");
			is_time(br.events[6].started_at, 1310337764.689678,
			    "v082 event 6 started");
			is_time(br.events[11].finished_at, 1310337827.26833,
			    "v082 event 11 point event");
		}
	}
	record_builder_free(&br);
	free(sub);
}

static void
fixture_v087p1(const char *dir)
{
	struct bbm_build		 b;
	struct bbm_sourcestamp		*ss;
	char				*sub;

	xasprintf(&sub, "%s/v087p1/runtests", dir);
	if (build_of(sub, "0", &b) == 0) {
		is_str(b.builder_name, "runtests", "v087p1 0: builder name");
		is_str(b.reason, "A build was forced by 'jabroney "
		    "<jabroney@localhost>': Ticket 2439 (buil 1)",
		    "v087p1 0: reason");
		is_int(b.nproperties, 14, "v087p1 0: 14 properties");
		check_prop(b.properties, b.nproperties, "owners",
		    "[\"jabroney <jabroney@localhost>\"]", "A build was forced "
		    "by 'jabroney <jabroney@localhost>': Ticket 2439 (buil 1)");
		check_prop(b.properties, b.nproperties, "scheduler",
		    "\"force\"", "Scheduler");
		check_prop(b.properties, b.nproperties, "workdir",
		    "\"/Users/erik/buildbot-work/slave/runtests\"", "slave");
		is_int(b.nsourcestamps, 1, "v087p1 0: Build v4 sources");
		if (b.nsourcestamps == 1) {
			ss = &b.sourcestamps[0];
			is_str(ss->branch, "", "v087p1 ss branch");
			is_str(ss->revision, "", "v087p1 ss revision");
			is_str(ss->codebase, "", "v087p1 ss codebase");
			is_int(ss->has_patch, 0, "v087p1 ss no patch");
			is_str(ss->patch_author, NULL, "v087p1 patch_info None");
			is_int(ss->nchanges, 0, "v087p1 ss no changes");
		}
		is_int(b.nsteps, 2, "v087p1 0: 2 steps");
		if (b.nsteps == 2) {
			is_str(b.steps[1].text, "[\"'trial\",\"pyflakes'\"]",
			    "v087p1 0: shell text");
			is_int(b.steps[1].hidden, 0, "v087p1 0: hidden False");
			check_log(&b.steps[0].logs[0], BBM_LOG_TEXT, "stdio",
			    "0-log-git-stdio", 4987);
			check_log(&b.steps[1].logs[0], BBM_LOG_TEXT, "stdio",
			    "0-log-shell-stdio", 22306);
		}
	}
	record_build_free(&b);

	if (build_of(sub, "1", &b) == 0) {
		is_int(b.number, 1, "v087p1 1: number");
		is_time(b.started_at, 1363642156.631292, "v087p1 1: started");
		is_time(b.finished_at, 1363642157.623085, "v087p1 1: finished");
		check_prop(b.properties, b.nproperties, "reason",
		    "\"Ticket 2439 (build 2)\"", "Force Build Form");
		if (b.nsteps == 2)
			check_log(&b.steps[0].logs[0], BBM_LOG_TEXT, "stdio",
			    "1-log-git-stdio", 6754);
		else
			ok(0, "v087p1 1: 2 steps");
	}
	record_build_free(&b);
	free(sub);
}

static void
fixtures(void)
{
	static const char	*names[] = { "master-0-7-5", "v082", "v087p1" };
	const char		*fx;
	char			 tmpl[] = "/tmp/test-legacy.XXXXXX";
	char			*dflt = NULL, *cmd, *tgz;
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
	fixture_075(tmpl);
	fixture_v082(tmpl);
	fixture_v087p1(tmpl);
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpl);
	free(cmd);
	free(dflt);
}

/* --- legacy_json / legacy_string on hand-built trees -------------------- */

static struct pickle_value	*nodes[256];
static size_t			 nnodes;

static struct pickle_value *
node(enum pickle_type type)
{
	struct pickle_value	*v;

	if (nnodes == sizeof nodes / sizeof nodes[0])
		fatalx("too many test nodes");
	v = xcalloc(1, sizeof *v);
	v->type = type;
	nodes[nnodes++] = v;
	return (v);
}

static struct pickle_value *
n_int(int64_t i)
{
	struct pickle_value	*v = node(PICKLE_INT);

	v->u.i = i;
	return (v);
}

static struct pickle_value *
n_str(enum pickle_type type, const char *s, size_t len)
{
	struct pickle_value	*v = node(type);

	v->u.str.ptr = xstrndup(s, len);
	v->u.str.len = len;
	return (v);
}

static struct pickle_value *
n_float(double f)
{
	struct pickle_value	*v = node(PICKLE_FLOAT);

	v->u.f = f;
	return (v);
}

static struct pickle_value *
n_seq(enum pickle_type type, size_t n, struct pickle_value **items)
{
	struct pickle_value	*v = node(type);

	v->u.seq.items = xcalloc(n == 0 ? 1 : n, sizeof *items);
	if (n != 0)
		memcpy(v->u.seq.items, items, n * sizeof *items);
	v->u.seq.len = v->u.seq.cap = n;
	return (v);
}

static struct pickle_value *
n_dict(size_t n, struct pickle_value **keys, struct pickle_value **vals)
{
	struct pickle_value	*v = node(PICKLE_DICT);

	v->u.dict.keys = xcalloc(n == 0 ? 1 : n, sizeof *keys);
	v->u.dict.vals = xcalloc(n == 0 ? 1 : n, sizeof *vals);
	if (n != 0) {
		memcpy(v->u.dict.keys, keys, n * sizeof *keys);
		memcpy(v->u.dict.vals, vals, n * sizeof *vals);
	}
	v->u.dict.len = v->u.dict.cap = n;
	return (v);
}

static struct pickle_value *
n_obj(enum pickle_type type, const char *module, const char *name,
    struct pickle_value *args, struct pickle_value *state)
{
	struct pickle_value	*v = node(type);

	v->u.obj.module = xstrdup(module);
	v->u.obj.name = xstrdup(name);
	v->u.obj.args = args;
	v->u.obj.state = state;
	return (v);
}

static void
nodes_free(void)
{
	struct pickle_value	*v;
	size_t			 i;

	for (i = 0; i < nnodes; i++) {
		v = nodes[i];
		switch (v->type) {
		case PICKLE_LONG:
		case PICKLE_BYTES:
		case PICKLE_UNICODE:
			free(v->u.str.ptr);
			break;
		case PICKLE_TUPLE:
		case PICKLE_LIST:
		case PICKLE_SET:
			free(v->u.seq.items);
			break;
		case PICKLE_DICT:
			free(v->u.dict.keys);
			free(v->u.dict.vals);
			break;
		case PICKLE_GLOBAL:
		case PICKLE_OBJECT:
		case PICKLE_CALL:
			free(v->u.obj.module);
			free(v->u.obj.name);
			break;
		default:
			break;
		}
		free(v);
	}
	nnodes = 0;
}

static void
check_json(const struct pickle_value *v, const char *want, const char *what)
{
	char	*s;

	s = legacy_json(v);
	is_str(s, want, "legacy_json: %s", what);
	free(s);
}

static void
check_string(const struct pickle_value *v, const char *want, const char *what)
{
	char	*s;

	s = legacy_string(v);
	is_str(s, want, "legacy_string: %s", what);
	free(s);
}

static void
json_cases(void)
{
	struct pickle_value	*v, *k[4], *x[4], *deep, *self;
	int			 i;
	char			 want[1024];
	static const char	 dt[] = { 0x07, (char)0xdb, 7, 10, 22, 42, 23,
	    0, 0x01, (char)0xf4 };

	check_json(NULL, "null", "NULL pointer");
	check_json(node(PICKLE_NONE), "null", "None");
	v = node(PICKLE_BOOL);
	v->u.i = 1;
	check_json(v, "true", "True");
	check_string(v, "True", "True");
	check_json(n_int(-42), "-42", "int");
	check_string(n_int(INT64_MIN), "-9223372036854775808", "int64 min");
	check_json(n_str(PICKLE_LONG, "-36893488147419103232", 21),
	    "\"-36893488147419103232\"", "long as digits");
	check_json(n_float(0.25), "0.25", "float");
	check_json(n_float(NAN), "null", "NaN");
	check_json(n_float(-INFINITY), "null", "-Inf");
	check_string(n_float(1.5), "1.5", "float");
	check_string(n_float(3.0), "3.0", "integral float like Python");
	check_string(n_float(1289535988.280159), "1289535988.280159",
	    "epoch float");
	check_string(node(PICKLE_NONE), NULL, "None");
	check_json(n_str(PICKLE_BYTES, "caf\xe9", 4), "\"caf\xc3\xa9\"",
	    "Latin-1 str");
	check_json(n_str(PICKLE_BYTES, "\xe2\x98\x83", 3), "\"\xe2\x98\x83\"",
	    "UTF-8 str");
	check_json(n_str(PICKLE_BYTES, "a\"\\\n", 4), "\"a\\\"\\\\\\n\"",
	    "escapes");
	check_json(n_str(PICKLE_BYTES, "a\0b", 3), "\"a\\u0000b\"",
	    "embedded NUL");
	check_string(n_str(PICKLE_UNICODE, "\xc3\xa9", 2), "\xc3\xa9",
	    "unicode");

	k[0] = n_int(1);
	k[1] = n_int(2);
	k[2] = node(PICKLE_NONE);
	check_json(n_seq(PICKLE_TUPLE, 3, k), "[1,2,null]", "tuple");
	check_json(n_seq(PICKLE_SET, 0, k), "[]", "empty set");
	check_string(n_seq(PICKLE_LIST, 2, k), "[1,2]", "list as JSON text");

	k[0] = n_str(PICKLE_BYTES, "zeta", 4);
	k[1] = n_str(PICKLE_UNICODE, "alpha", 5);
	x[0] = n_int(7);
	k[2] = n_seq(PICKLE_TUPLE, 1, x);
	k[3] = node(PICKLE_NONE);
	x[0] = n_int(1);
	x[1] = n_int(2);
	x[2] = n_int(3);
	x[3] = n_int(4);
	check_json(n_dict(4, k, x),
	    "{\"[7]\":3,\"alpha\":2,\"null\":4,\"zeta\":1}",
	    "dict: sorted, non-string keys as JSON text");

	k[0] = n_str(PICKLE_BYTES, "n", 1);
	x[0] = n_int(1);
	check_json(n_obj(PICKLE_OBJECT, "m.od", "Cls", NULL,
	    n_dict(1, k, x)), "{\"__class__\":\"m.od.Cls\",\"state\":{\"n\":1}}",
	    "instance");
	check_json(n_obj(PICKLE_OBJECT, "m", "NoState", NULL, NULL),
	    "{\"__class__\":\"m.NoState\",\"state\":null}",
	    "instance without state");
	check_json(n_obj(PICKLE_GLOBAL, "__builtin__", "object", NULL, NULL),
	    "\"__builtin__.object\"", "class reference");
	x[0] = n_int(5);
	check_json(n_obj(PICKLE_CALL, "os", "system", n_seq(PICKLE_TUPLE, 1, x),
	    NULL), "{\"__call__\":\"os.system\",\"args\":[5]}", "opaque call");
	x[0] = n_str(PICKLE_BYTES, dt, sizeof dt);
	check_json(n_obj(PICKLE_OBJECT, "datetime", "datetime",
	    n_seq(PICKLE_TUPLE, 1, x), NULL), "\"2011-07-10T22:42:23.000500\"",
	    "datetime");
	x[0] = n_str(PICKLE_BYTES, dt, 4);
	check_json(n_obj(PICKLE_CALL, "datetime", "date",
	    n_seq(PICKLE_TUPLE, 1, x), NULL), "\"2011-07-10\"", "date");

	/* A list holding itself. */
	self = n_seq(PICKLE_LIST, 1, k);
	self->u.seq.items[0] = self;
	check_json(self, "[\"<recursion>\"]", "self-containing list");

	/* 70 nested lists: level 64 renders as "<recursion>". */
	deep = n_int(0);
	for (i = 0; i < 70; i++) {
		x[0] = deep;
		deep = n_seq(PICKLE_LIST, 1, x);
	}
	memset(want, '[', 64);
	memcpy(want + 64, "\"<recursion>\"", 13);
	memset(want + 77, ']', 64);
	want[141] = '\0';
	check_json(deep, want, "depth bound 64");

	/* A shared node twice in one list is no cycle. */
	x[0] = n_int(3);
	x[0] = n_seq(PICKLE_LIST, 1, x);
	x[1] = x[0];
	check_json(n_seq(PICKLE_LIST, 2, x), "[[3],[3]]", "shared node twice");

	/* 2**40 leaves through sharing. */
	x[0] = n_str(PICKLE_BYTES, "leaf", 4);
	deep = n_seq(PICKLE_LIST, 1, x);
	for (i = 0; i < 40; i++) {
		x[0] = x[1] = deep;
		deep = n_seq(PICKLE_LIST, 2, x);
	}
	check_json(deep, "\"<too large>\"", "expansion bound");
	nodes_free();
}

/*
 * Sharing lets a small tree stand for a huge record: 40 references to one
 * 8 MiB string in a build's text would be 320 MiB of output.
 */
static void
expansion_case(void)
{
	struct pickle_value	*k[2], *v[2], *refs[40], *big, *state, *root;
	struct bbm_build	 b;
	char			*s, *cause = NULL, want[128];
	size_t			 i, len = (size_t)8 << 20;

	s = xmalloc(len);
	memset(s, 'a', len);
	big = n_str(PICKLE_BYTES, s, len);
	free(s);
	for (i = 0; i < 40; i++)
		refs[i] = big;
	k[0] = n_str(PICKLE_BYTES, "number", 6);
	k[1] = n_str(PICKLE_BYTES, "text", 4);
	v[0] = n_int(3);
	v[1] = n_seq(PICKLE_LIST, 40, refs);
	state = n_dict(2, k, v);
	root = n_obj(PICKLE_OBJECT, "buildbot.status.builder", "BuildStatus",
	    NULL, state);
	ok(legacy_build(root, &b, &cause) == -1 && b.text == NULL,
	    "expansion: refused");
	snprintf(want, sizeof want, "build 3 expands beyond %zu bytes",
	    LEGACY_MAX_EXPANSION);
	is_str(cause, want, "expansion: cause");
	free(cause);
	record_build_free(&b);
	nodes_free();
}

int
main(void)
{
	const char	*s;
	char		*dir;

	if ((s = getenv("top_srcdir")) != NULL)
		srcdir = s;
	json_cases();
	expansion_case();
	xasprintf(&dir, "%s/tests/data/legacy", srcdir);
	synth_build_v0(dir);
	synth_build_v1(dir);
	synth_build_v2(dir);
	synth_build_v3(dir);
	synth_build_v4(dir);
	synth_builders(dir);
	synth_changes(dir);
	synth_robust(dir);
	free(dir);
	fixtures();
	return (tap_done());
}