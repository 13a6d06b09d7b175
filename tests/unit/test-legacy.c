/*
 * test-legacy.c: the legacy status model on real master directories
 * ($BBM_FIXTURES), on the synthetic pickles of tests/data/legacy (one per
 * class generation the fixtures lack; see make-pickles.py there) and on
 * hand-built value trees for legacy_json/legacy_string.
 *
 * Every expected value was read off the pickles by hand (pickletools.dis
 * and the generator script), not produced by the code under test.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "legacy.h"
#include "pickle.h"
#include "record.h"
#include "util.h"
#include "tap.h"

#define UPGRADE	"Upgrade from previous version"

#define is_time(got, want, ...) do {					\
	double g_ = (got), w_ = (want);					\
	if (!tap_ok(g_ == w_, __VA_ARGS__))				\
		printf("#   got %.6f, want %.6f (%s:%d)\n", g_, w_,	\
		    __FILE__, __LINE__);				\
} while (0)

#define is_notime(got, ...) ok(!bbm_time_isset(got), __VA_ARGS__)

static const char	*srcdir = ".";

/* Decodes a pickle file; NULL (with a diagnostic) when that fails. */
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
static int
build_of(const char *dir, const char *name, struct bbm_build *b)
{
	struct pickle	*p;
	char		*cause = NULL;
	int		 r;

	memset(b, 0, sizeof *b);
	if ((p = load(dir, name)) == NULL) {
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

static int
builder_of(const char *dir, const char *name, struct bbm_builder *b)
{
	struct pickle	*p;
	char		*cause = NULL;
	int		 r;

	memset(b, 0, sizeof *b);
	if ((p = load(dir, name)) == NULL) {
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

static const struct bbm_property *
prop(const struct bbm_property *props, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(props[i].name, name) == 0)
			return (&props[i]);
	}
	return (NULL);
}

/* Checks one property's JSON value and source. */
static void
check_prop(const struct bbm_property *props, size_t n, const char *name,
    const char *value, const char *source)
{
	const struct bbm_property	*p;

	p = prop(props, n, name);
	ok(p != NULL, "property %s present", name);
	if (p == NULL)
		return;
	is_str(p->value, value, "property %s value", name);
	is_str(p->source, source, "property %s source", name);
}

static void
check_log(const struct bbm_log *l, enum bbm_log_kind kind, const char *name,
    const char *filename, int64_t length)
{
	is_int(l->kind, kind, "log %s kind", name);
	is_str(l->name, name, "log %s name", name);
	is_str(l->filename, filename, "log %s filename", name);
	is_int(l->length, length, "log %s length", name);
	is_int(l->state, BBM_LOG_NONE, "log %s state untouched", name);
}

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
	if ((p = load(sub, "changes.pck")) == NULL)
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

/* --- synthetic pickles -------------------------------------------------- */

static void
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

static void
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

static void
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

static void
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
	p = prop(b.properties, b.nproperties, "buildername");
	ok(p != NULL && strcmp(p->source, "Builder") == 0,
	    "v3: Properties source kept");
out:
	buf_free(&want);
	buf_free(&html);
	record_build_free(&b);
}

static void
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

static void
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

static void
synth_changes(const char *dir)
{
	struct pickle			*p;
	struct bbm_change		*c = NULL, one;
	const struct bbm_property	*pr;
	const struct pickle_value	*v;
	char				*cause = NULL;
	size_t				 n = 0, i;

	if ((p = load(dir, "changes.pck")) == NULL) {
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
		pr = prop(c[0].properties, c[0].nproperties, "obj");
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

	if ((p = load(dir, "build-v1.pck")) == NULL) {
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

	if ((p = load(dir, name)) == NULL) {
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

static void
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
