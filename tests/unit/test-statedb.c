/*
 * test-statedb.c: reading a 0.8 master's state.sqlite. Three parts: the
 * real fixtures (v082: `version` 6; v087p1: migrate 22), databases built
 * here with the 0.8 DDL (every field and storage class), and errors.
 * Expected values come from the sqlite3 CLI output of the fixtures and
 * from the rows inserted in test-statedb-crafted.c, never from the code
 * under test.
 *
 * This file holds main(), the helpers that build a database and read one
 * back against a table of expected records, the fixtures, a master busy
 * writing, odd paths and the errors. test-statedb-crafted.c holds the
 * hand-written v6 and m22 databases and the tests that read them whole.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "../../importer/statedb.h"
#include "tap.h"
#include "test-statedb.h"

static char	*tmpdir;

/* Times are stored with microseconds; NaN (NULL) only matches NaN. */
static void
is_time(double got, double want, const char *what, const char *label)
{
	int	 eq;

	if (isnan(want) || isnan(got))
		eq = isnan(want) && isnan(got);
	else
		eq = fabs(got - want) < 5e-6;
	if (!ok(eq, "%s: %s", label, what))
		tap_diag("got %.6f, want %.6f", got, want);
}

static void
check_props(const struct bbm_property *got, size_t ngot,
    const struct want_prop *want, size_t nwant, const char *label)
{
	size_t	 i;

	is_int(ngot, nwant, "%s: property count", label);
	for (i = 0; i < ngot && i < nwant; i++) {
		is_str(got[i].name, want[i].name, "%s: property %zu name",
		    label, i);
		is_str(got[i].value, want[i].value, "%s: property %s value",
		    label, want[i].name);
		is_str(got[i].source, want[i].source, "%s: property %s source",
		    label, want[i].name);
	}
}

/* Reads every change and compares with want[0..n-1], then the end. */
void
sdb_check_changes(struct statedb *sd, const struct want_change *want, size_t n,
    const char *label)
{
	struct bbm_change	 c;
	char			*cause = NULL, l[128];
	size_t			 i, j;
	int			 r;

	for (i = 0; i <= n; i++) {
		r = statedb_next_change(sd, &c, &cause);
		if (i == n) {
			is_int(r, 0, "%s: end of changes after %zu", label, n);
			record_change_free(&c);
			break;
		}
		snprintf(l, sizeof l, "%s: change %lld", label,
		    (long long)want[i].number);
		if (r != 1) {
			ok(0, "%s: read (%s)", l, cause ? cause : "end");
			free(cause);
			return;
		}
		is_int(c.number, want[i].number, "%s: number", l);
		is_str(c.author, want[i].author, "%s: author", l);
		is_str(c.comments, want[i].comments, "%s: comments", l);
		is_int(c.is_dir, want[i].is_dir, "%s: is_dir", l);
		is_str(c.branch, want[i].branch, "%s: branch", l);
		is_str(c.revision, want[i].revision, "%s: revision", l);
		is_str(c.revlink, want[i].revlink, "%s: revlink", l);
		is_time(c.when, want[i].when, "when", l);
		is_str(c.category, want[i].category, "%s: category", l);
		is_str(c.repository, want[i].repository, "%s: repository", l);
		is_str(c.project, want[i].project, "%s: project", l);
		is_str(c.codebase, want[i].codebase, "%s: codebase", l);
		is_int(c.nfiles, want[i].nfiles, "%s: file count", l);
		for (j = 0; j < c.nfiles && j < want[i].nfiles; j++)
			is_str(c.files[j], want[i].files[j], "%s: file %zu", l,
			    j);
		check_props(c.properties, c.nproperties, want[i].props,
		    want[i].nprops, l);
		record_change_free(&c);
	}
}

void
sdb_check_buildsets(struct statedb *sd, const struct want_buildset *want,
    size_t n, const char *label)
{
	struct bbm_buildset	 bs;
	char			*cause = NULL, l[128];
	size_t			 i;
	int			 r;

	for (i = 0; i <= n; i++) {
		r = statedb_next_buildset(sd, &bs, &cause);
		if (i == n) {
			is_int(r, 0, "%s: end of buildsets after %zu", label, n);
			record_buildset_free(&bs);
			break;
		}
		snprintf(l, sizeof l, "%s: buildset %lld", label,
		    (long long)want[i].bsid);
		if (r != 1) {
			ok(0, "%s: read (%s)", l, cause ? cause : "end");
			free(cause);
			return;
		}
		is_int(bs.bsid, want[i].bsid, "%s: bsid", l);
		is_str(bs.external_idstring, want[i].external_idstring,
		    "%s: external_idstring", l);
		is_str(bs.reason, want[i].reason, "%s: reason", l);
		is_time(bs.submitted_at, want[i].submitted_at, "submitted_at",
		    l);
		is_int(bs.complete, want[i].complete, "%s: complete", l);
		is_time(bs.complete_at, want[i].complete_at, "complete_at", l);
		is_int(bs.results, want[i].results, "%s: results", l);
		check_props(bs.properties, bs.nproperties, want[i].props,
		    want[i].nprops, l);
		record_buildset_free(&bs);
	}
}

void
sdb_check_requests(struct statedb *sd, const struct want_request *want,
    size_t n, const char *label)
{
	struct bbm_buildrequest	 br;
	char			*cause = NULL, l[128];
	size_t			 i, j;
	int			 r;

	for (i = 0; i <= n; i++) {
		r = statedb_next_buildrequest(sd, &br, &cause);
		if (i == n) {
			is_int(r, 0, "%s: end of requests after %zu", label, n);
			record_buildrequest_free(&br);
			break;
		}
		snprintf(l, sizeof l, "%s: request %lld", label,
		    (long long)want[i].brid);
		if (r != 1) {
			ok(0, "%s: read (%s)", l, cause ? cause : "end");
			free(cause);
			return;
		}
		is_int(br.brid, want[i].brid, "%s: brid", l);
		is_int(br.bsid, want[i].bsid, "%s: bsid", l);
		is_str(br.builder_name, want[i].builder_name,
		    "%s: builder_name", l);
		is_int(br.priority, want[i].priority, "%s: priority", l);
		is_time(br.submitted_at, want[i].submitted_at, "submitted_at",
		    l);
		is_time(br.claimed_at, want[i].claimed_at, "claimed_at", l);
		is_str(br.claimed_by, want[i].claimed_by, "%s: claimed_by", l);
		is_int(br.complete, want[i].complete, "%s: complete", l);
		is_time(br.complete_at, want[i].complete_at, "complete_at", l);
		is_int(br.results, want[i].results, "%s: results", l);
		is_int(br.nbuilds, want[i].nbuilds, "%s: builds count", l);
		for (j = 0; j < br.nbuilds && j < want[i].nbuilds; j++) {
			is_int(br.builds[j].number, want[i].builds[j].number,
			    "%s: build %zu number", l, j);
			is_time(br.builds[j].started_at,
			    want[i].builds[j].started_at, "build start", l);
			is_time(br.builds[j].finished_at,
			    want[i].builds[j].finished_at, "build finish", l);
		}
		record_buildrequest_free(&br);
	}
}

/* Creates DIR (under tmpdir) holding a state.sqlite built from sql. */
char *
sdb_make_db(const char *name, const char *sql)
{
	sqlite3	*db;
	char	*dir, *path, *err = NULL;

	xasprintf(&dir, "%s/%s", tmpdir, name);
	if (mkdir(dir, 0700) != 0)
		fatal("mkdir %s", dir);
	xasprintf(&path, "%s/state.sqlite", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		fatalx("sqlite3_open %s", path);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fatalx("%s: %s", name, err);
	sqlite3_close(db);
	free(path);
	return (dir);
}

/* Opens the state.sqlite of master basedir dir. */
struct statedb *
sdb_open_dir(const char *dir, char **cause)
{
	struct statedb	*sd;
	char		*path;

	xasprintf(&path, "%s/state.sqlite", dir);
	sd = statedb_open(path, cause);
	free(path);
	return (sd);
}

/* The whole state.sqlite of dir, to prove reading never changed it. */
char *
sdb_slurp_db(const char *dir, size_t *len)
{
	char	*path, *data, *cause;

	xasprintf(&path, "%s/state.sqlite", dir);
	if (read_file(path, 64 << 20, &data, len, &cause) != 0)
		fatalx("%s", cause);
	free(path);
	return (data);
}

/* Whether basedir holds any file besides state.sqlite (journal, wal). */
static int
db_side_files(const char *dir)
{
	static const char *const suffix[] = { "-journal", "-wal", "-shm" };
	struct stat	 sb;
	char		*path;
	size_t		 i;
	int		 found = 0;

	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		xasprintf(&path, "%s/state.sqlite%s", dir, suffix[i]);
		if (stat(path, &sb) == 0)
			found = 1;
		free(path);
	}
	return (found);
}

/* --- the fixtures -------------------------------------------------------- */

static void
test_v082(const char *dir)
{
	static const char	 reason[] =
	    "The web-page 'force build' button was pressed by '': \n";
	static const char	 master[] =
	    "euclid:/home/dustin/code/buildbot/t/buildbot/sand27/master";
	static const struct want_buildset bs[] = {
		{ 1, NULL, reason, 1310337746.78193, 1, 1310337757.079962,
		  0, 0, { { NULL, NULL, NULL } } },
		{ 2, NULL, reason, 1310337747.321115, 1, 1310337757.180381,
		  2, 0, { { NULL, NULL, NULL } } },
		{ 3, NULL, reason, 1310337748.897329, 1, 1310337757.180381,
		  2, 0, { { NULL, NULL, NULL } } },
		{ 4, NULL, reason, 1310337749.669986, 1, 1310337757.180381,
		  2, 0, { { NULL, NULL, NULL } } },
		{ 5, NULL, reason, 1310337769.7324, 1, 1310337789.396373,
		  0, 0, { { NULL, NULL, NULL } } },
		{ 6, NULL, reason, 1310337773.735349, 1, 1310337789.396373,
		  0, 0, { { NULL, NULL, NULL } } },
		{ 7, NULL, reason, 1310337774.886245, 1, 1310337789.396373,
		  0, 0, { { NULL, NULL, NULL } } },
	};
	/* Requests 2-4 were merged into build 1; request 5 ran twice. */
	static const struct want_request br[] = {
		{ 1, 1, "builder", 0, 1310337746.78193, 1310337746.792956,
		  master, 1, 1310337757.079962, 0, 1,
		  { { 0, 1310337746.801796, 1310337757.077122 } } },
		{ 2, 2, "builder", 0, 1310337747.321115, 1310337757.086639,
		  master, 1, 1310337757.180381, 4, 1,
		  { { 1, 1310337757.126009, 1310337757.178266 } } },
		{ 3, 3, "builder", 0, 1310337748.897329, 1310337757.086639,
		  master, 1, 1310337757.180381, 4, 1,
		  { { 1, 1310337757.129249, 1310337757.178266 } } },
		{ 4, 4, "builder", 0, 1310337749.669986, 1310337757.086639,
		  master, 1, 1310337757.180381, 4, 1,
		  { { 1, 1310337757.134829, 1310337757.178266 } } },
		{ 5, 5, "builder", 0, 1310337769.7324, 1310337779.203964,
		  master, 1, 1310337789.396373, 0, 2,
		  { { 2, 1310337769.746721, 1310337777.03319 },
		    { 3, 1310337779.245976, 1310337789.393991 } } },
		{ 6, 6, "builder", 0, 1310337773.735349, 1310337779.203964,
		  master, 1, 1310337789.396373, 0, 1,
		  { { 3, 1310337779.249921, 1310337789.393991 } } },
		{ 7, 7, "builder", 0, 1310337774.886245, 1310337779.203964,
		  master, 1, 1310337789.396373, 0, 1,
		  { { 3, 1310337779.252183, 1310337789.393991 } } },
	};
	struct statedb	*sd;
	char		*cause = NULL, *before, *after;
	size_t		 blen, alen;

	before = sdb_slurp_db(dir, &blen);
	sd = sdb_open_dir(dir, &cause);
	if (!ok(sd != NULL, "v082: open")) {
		tap_diag("%s", cause);
		free(cause);
		free(before);
		return;
	}
	is_int(statedb_version(sd), 6, "v082: version table says 6");
	sdb_check_changes(sd, NULL, 0, "v082");
	sdb_check_buildsets(sd, bs, sizeof bs / sizeof bs[0], "v082");
	sdb_check_requests(sd, br, sizeof br / sizeof br[0], "v082");
	statedb_close(sd);

	after = sdb_slurp_db(dir, &alen);
	ok(blen == alen && memcmp(before, after, blen) == 0,
	    "v082: state.sqlite unchanged by reading");
	ok(!db_side_files(dir), "v082: no journal or wal file left");
	free(before);
	free(after);
}

static void
test_v087p1(const char *dir)
{
	static const char	 master[] =
	    "Eriks-MacBook-Air.local:/Users/erik/buildbot-work/master";
	static const struct want_buildset bs[] = {
		{ 1, NULL, "A build was forced by 'jabroney "
		  "<jabroney@localhost>': Ticket 2439 (buil 1)",
		  1363642117.621136, 1, 1363642119.901694, 0, 3, {
			{ "owner", "\"jabroney <jabroney@localhost>\"",
			  "Force Build Form" },
			{ "reason", "\"Ticket 2439 (buil 1)\"",
			  "Force Build Form" },
			{ "scheduler", "\"force\"", "Scheduler" } } },
		{ 2, NULL, "A build was forced by 'jabroney "
		  "<jabroney@localhost>': Ticket 2439 (build 2)",
		  1363642156.590369, 1, 1363642157.651662, 0, 3, {
			{ "owner", "\"jabroney <jabroney@localhost>\"",
			  "Force Build Form" },
			{ "reason", "\"Ticket 2439 (build 2)\"",
			  "Force Build Form" },
			{ "scheduler", "\"force\"", "Scheduler" } } },
	};
	/* Claims live in buildrequest_claims; object 2 is the master. */
	static const struct want_request br[] = {
		{ 1, 1, "runtests", 0, 1363642117.621136, 1363642117.64191,
		  master, 1, 1363642119.88611, 0, 1,
		  { { 0, 1363642117.661166, 1363642119.889439 } } },
		{ 2, 2, "runtests", 0, 1363642156.590369, 1363642156.606164,
		  master, 1, 1363642157.63084, 0, 1,
		  { { 1, 1363642156.6256, 1363642157.634557 } } },
	};
	struct statedb	*sd;
	char		*cause = NULL, *before, *after;
	size_t		 blen, alen;

	before = sdb_slurp_db(dir, &blen);
	sd = sdb_open_dir(dir, &cause);
	if (!ok(sd != NULL, "v087p1: open")) {
		tap_diag("%s", cause);
		free(cause);
		free(before);
		return;
	}
	is_int(statedb_version(sd), 22, "v087p1: migrate_version 22");
	sdb_check_changes(sd, NULL, 0, "v087p1");
	sdb_check_buildsets(sd, bs, sizeof bs / sizeof bs[0], "v087p1");
	sdb_check_requests(sd, br, sizeof br / sizeof br[0], "v087p1");
	statedb_close(sd);

	after = sdb_slurp_db(dir, &alen);
	ok(blen == alen && memcmp(before, after, blen) == 0,
	    "v087p1: state.sqlite unchanged by reading");
	ok(!db_side_files(dir), "v087p1: no journal or wal file left");
	free(before);
	free(after);
}

static void
test_fixtures(void)
{
	const char	*fixtures = getenv("BBM_FIXTURES");
	static const char *const names[] = { "v082", "v087p1" };
	struct stat	 sb;
	char		*tgz, *cmd, *dir;
	size_t		 i;

	if (fixtures == NULL || *fixtures == '\0') {
		ok(1, "fixtures # SKIP BBM_FIXTURES is not set");
		return;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		xasprintf(&tgz, "%s/%s.tgz", fixtures, names[i]);
		if (stat(tgz, &sb) != 0) {
			ok(1, "%s # SKIP %s is absent", names[i], tgz);
			free(tgz);
			continue;
		}
		xasprintf(&cmd, "tar xzf '%s' -C '%s'", tgz, tmpdir);
		if (!ok(system(cmd) == 0, "%s: unpack", names[i])) {
			free(cmd);
			free(tgz);
			continue;
		}
		xasprintf(&dir, "%s/%s", tmpdir, names[i]);
		if (i == 0)
			test_v082(dir);
		else
			test_v087p1(dir);
		free(dir);
		free(cmd);
		free(tgz);
	}
}

/* --- databases built here: a busy master, odd paths ---------------------- */

/*
 * A master in the middle of a write transaction (RESERVED lock) must not
 * stop the reader, which sees only committed rows.
 */
static void
test_concurrent(void)
{
	struct statedb		*sd;
	struct bbm_change	 c;
	sqlite3			*w;
	char			*dir, *sql, *path, *cause = NULL;
	int			 r;

	xasprintf(&sql, "%s%s", v6_ddl, v6_rows);
	dir = sdb_make_db("busy", sql);
	free(sql);
	xasprintf(&path, "%s/state.sqlite", dir);
	if (sqlite3_open(path, &w) != SQLITE_OK ||
	    sqlite3_exec(w, "BEGIN IMMEDIATE; INSERT INTO changes VALUES (2,"
	    " 'x', 'y', 0, NULL, NULL, NULL, 1, NULL, '', '')", NULL, NULL,
	    NULL) != SQLITE_OK)
		fatalx("writer: %s", sqlite3_errmsg(w));

	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "busy: open while a writer holds RESERVED")) {
		r = statedb_next_change(sd, &c, &cause);
		ok(r == 1 && c.number == 1, "busy: first change is 1");
		record_change_free(&c);
		r = statedb_next_change(sd, &c, &cause);
		ok(r == 1 && c.number == 3,
		    "busy: uncommitted change 2 is not seen");
		record_change_free(&c);
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(w);
	free(path);
	free(dir);
}

/*
 * A basedir whose name holds URI syntax characters, and a relative path
 * (the m22 database of test_crafted, from inside tmpdir).
 */
static void
test_odd_path(void)
{
	struct statedb	*sd;
	char		*dir, *sql, *cause = NULL, *cwd;

	xasprintf(&sql, "%s%s", m22_ddl, m22_rows);
	dir = sdb_make_db("we?ird%20#dir", sql);
	free(sql);
	sd = sdb_open_dir(dir, &cause);
	if (ok(sd != NULL, "odd path: open %s", dir)) {
		is_int(statedb_version(sd), 22, "odd path: version");
		sdb_check_requests(sd, m22_requests, 3, "odd path");
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	free(dir);

	if ((cwd = getcwd(NULL, 0)) == NULL || chdir(tmpdir) != 0)
		fatal("chdir %s", tmpdir);
	cause = NULL;
	sd = statedb_open("m22/state.sqlite", &cause);
	if (ok(sd != NULL, "relative path: open")) {
		sdb_check_changes(sd, m22_changes, 1, "relative path");
		statedb_close(sd);
	} else {
		tap_diag("%s", cause);
		free(cause);
	}
	if (chdir(cwd) != 0)
		fatal("chdir %s", cwd);
	free(cwd);
}

/* --- errors -------------------------------------------------------------- */

/* Opening dir must fail with a message naming its file and holding what. */
static void
expect_error(const char *dir, const char *what, const char *label)
{
	struct statedb	*sd;
	char		*cause = NULL, *path;

	xasprintf(&path, "%s/state.sqlite", dir);
	sd = sdb_open_dir(dir, &cause);
	ok(sd == NULL, "%s: refused", label);
	ok(cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, what) != NULL, "%s: cause names the file and \"%s\"",
	    label, what);
	if (cause != NULL)
		tap_diag("%s", cause);
	statedb_close(sd);
	free(cause);
	free(path);
}

static void
test_errors(void)
{
	struct statedb	*sd;
	struct stat	 sb;
	FILE		*f;
	char		*dir, *path, *cause = NULL, *sql;
	int		 i;

	/* No state.sqlite: an 0.7 master, not an error, and nothing made. */
	xasprintf(&dir, "%s/empty", tmpdir);
	if (mkdir(dir, 0700) != 0)
		fatal("mkdir");
	cause = NULL;
	sd = sdb_open_dir(dir, &cause);
	ok(sd == NULL && cause == NULL, "missing: NULL without a cause");
	xasprintf(&path, "%s/state.sqlite", dir);
	ok(stat(path, &sb) != 0 && errno == ENOENT,
	    "missing: state.sqlite not created");
	free(path);
	free(dir);

	/* Nor is a basedir that does not exist. */
	xasprintf(&path, "%s/nowhere/state.sqlite", tmpdir);
	cause = NULL;
	sd = statedb_open(path, &cause);
	ok(sd == NULL && cause == NULL, "no basedir: NULL without a cause");
	free(path);

	/* A file that is not SQLite. */
	xasprintf(&dir, "%s/notdb", tmpdir);
	if (mkdir(dir, 0700) != 0)
		fatal("mkdir");
	xasprintf(&path, "%s/state.sqlite", dir);
	if ((f = fopen(path, "w")) == NULL)
		fatal("fopen");
	for (i = 0; i < 200; i++)
		fputs("this is not a database\n", f);
	fclose(f);
	free(path);
	expect_error(dir, "not a database", "not a database");
	free(dir);

	/* A path through a regular file is an error, not an absence. */
	xasprintf(&path, "%s/notdb/state.sqlite/state.sqlite", tmpdir);
	sd = statedb_open(path, &cause);
	ok(sd == NULL && cause != NULL && strstr(cause, path) != NULL,
	    "path through a file: refused with a cause");
	if (cause != NULL)
		tap_diag("%s", cause);
	free(cause);
	free(path);

	/* An empty file is an empty database: no version table. */
	xasprintf(&dir, "%s/zero", tmpdir);
	if (mkdir(dir, 0700) != 0)
		fatal("mkdir");
	xasprintf(&path, "%s/state.sqlite", dir);
	if ((f = fopen(path, "w")) == NULL)
		fatal("fopen");
	fclose(f);
	expect_error(dir, "no version", "empty file");
	ok(stat(path, &sb) == 0 && sb.st_size == 0,
	    "empty file: still empty");
	free(path);
	free(dir);

	/* state.sqlite is a directory. */
	xasprintf(&dir, "%s/isdir", tmpdir);
	xasprintf(&path, "%s/state.sqlite", dir);
	if (mkdir(dir, 0700) != 0 || mkdir(path, 0700) != 0)
		fatal("mkdir");
	expect_error(dir, "not a regular file", "directory");
	free(path);
	free(dir);

	dir = sdb_make_db("noversion", "CREATE TABLE foo (x INTEGER);");
	expect_error(dir, "no version or migrate_version", "no version table");
	free(dir);

	dir = sdb_make_db("norow", "CREATE TABLE migrate_version (repository_id"
	    " VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER);"
	    "INSERT INTO migrate_version VALUES ('other', NULL, 3);");
	expect_error(dir, "'Buildbot'", "migrate_version without Buildbot");
	free(dir);

	dir = sdb_make_db("v09", "CREATE TABLE migrate_version (repository_id"
	    " VARCHAR(250) NOT NULL, repository_path TEXT, version INTEGER);"
	    "INSERT INTO migrate_version VALUES ('Buildbot', NULL, 44);");
	expect_error(dir, "unknown version 44", "0.9 migrate version");
	free(dir);

	dir = sdb_make_db("emptyversion", "CREATE TABLE version (version"
	    " INTEGER NOT NULL);");
	expect_error(dir, "no version row", "empty version table");
	free(dir);

	/* The version is fine but a history table is missing. */
	xasprintf(&sql, "%s DROP TABLE buildrequests;", v6_ddl);
	dir = sdb_make_db("nobr", sql);
	free(sql);
	expect_error(dir, "buildrequests", "missing buildrequests");
	free(dir);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/test-statedb.XXXXXX", *cmd;

	if ((tmpdir = mkdtemp(tmpl)) == NULL)
		fatal("mkdtemp");
	test_fixtures();
	test_crafted();
	test_indexed();
	test_snapshot();
	test_concurrent();
	test_odd_path();
	test_errors();

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	free(cmd);
	return (tap_done());
}
