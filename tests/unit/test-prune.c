/*
 * test-prune.c: log pruning (prune.h) against real databases on each
 * engine (test-db.h) and a real log store in a temporary directory: the
 * option parsers, the age
 * pass with keep rules, tombstones, the grace period, content really
 * removed (pack blocks punched out), garbage from re-keyed logs, reused
 * keys, running logs, the size pass's order and its keep rules, bounded
 * steps over thousands of builds, the walks' cursors and their rescan,
 * crash safety, push_packets, and the disk usage measure.
 */
#include "config.h"

#include <sys/stat.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logstore.h"
#include "prune.h"
#include "record.h"
#include "store.h"
#include "util.h"
#include "tap.h"
#include "test-db.h"

#define DAY	86400.0
#define GRACE	(PRUNE_GRACE_DEFAULT + 1)

static struct store	*S;
static struct logstore	*LS;
static char		 DB[64];	/* its name, for plain queries */
static int64_t		 master_id, builder_id;
static double		 NOW;
static uint64_t		 rnd = 0x9e3779b97f4a7c15ULL;

static double
now_real(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * A time past the grace period of every garbage row filed so far (the
 * triggers stamp them with the real clock).
 */
static double
later(void)
{
	return (floor(now_real()) + GRACE + 1);
}

/*
 * Opens database "name" of the current engine and a log store of its own
 * in the temporary directory.
 */
static void
setup(const char *name)
{
	struct bbm_builder	 b;
	char			*dir, *cause = NULL;

	snprintf(DB, sizeof DB, "%s.db", name);
	xasprintf(&dir, "%s-%s-logs", test_db_path(test_db_engine_name()),
	    name);
	memset(&b, 0, sizeof b);
	b.name = "b1";
	if ((S = store_open(test_db_url(DB), &cause)) == NULL ||
	    (LS = logstore_open(dir, 1, &cause)) == NULL ||
	    store_master(S, "m1", NULL, &master_id, &cause) != 0 ||
	    store_builder(S, master_id, &b, BBM_ORIGIN_IMPORT, &builder_id,
	    &cause) != 0) {
		printf("Bail out! %s: %s\n", name, cause);
		exit(1);
	}
	free(dir);
	NOW = floor(now_real());
}

static void
teardown(void)
{
	test_db_close(DB);
	logstore_close(LS);
	store_close(S);
}

/* The integer of a query on the current database, or -999. */
static int64_t PRINTFLIKE(1, 2)
q_int(const char *fmt, ...)
{
	va_list		 ap;
	char		*sql;
	int64_t		 v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_int(DB, "%s", sql);
	free(sql);
	return (v);
}

/* The text of column 0 of the first row (caller frees), or NULL. */
static char * PRINTFLIKE(1, 2)
q_text(const char *fmt, ...)
{
	va_list		 ap;
	char		*sql, *v;

	va_start(ap, fmt);
	xvasprintf(&sql, fmt, ap);
	va_end(ap);
	v = test_db_text(DB, "%s", sql);
	free(sql);
	return (v);
}

/* len bytes of incompressible (random) or compressible text. */
static char *
content(size_t len, int random)
{
	char	*p = xmalloc(len + 1);
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (random) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			p[i] = (char)(rnd & 0xff);
		} else
			p[i] = "abcdefgh\n"[i % 9];
	}
	p[len] = '\0';
	return (p);
}

/* Writes a packed log of len bytes; returns its key (caller frees). */
static char *
put_packed(size_t len, int random)
{
	struct logstore_writer	*w;
	char			*data, *key = NULL, *cause = NULL;

	data = content(len, random);
	if ((w = logstore_create_packed(LS, &cause)) == NULL ||
	    logstore_write(w, data, len, &cause) != 0 ||
	    logstore_commit_packed(w, &key, &cause) != 0) {
		printf("Bail out! packed log: %s\n", cause);
		exit(1);
	}
	free(data);
	return (key);
}

/* Writes a log in a file of its own under key. */
static void
put_file(const char *key, size_t len)
{
	struct logstore_writer	*w;
	char			*data, *cause = NULL;

	data = content(len, 1);
	if ((w = logstore_create(LS, key, &cause)) == NULL ||
	    logstore_write(w, data, len, &cause) != 0 ||
	    logstore_commit(w, &cause) != 0) {
		printf("Bail out! file log: %s\n", cause);
		exit(1);
	}
	free(data);
}

/*
 * Stores build number (one step, nlogs packed logs of len bytes each)
 * that finished at finished (NaN: running) with results; returns its id.
 */
static int64_t
add_build(int64_t number, double finished, int results, size_t nlogs,
    size_t len, int random)
{
	struct bbm_build	 b;
	struct bbm_step		*st;
	struct bbm_log		*l;
	char			*cause = NULL;
	int64_t			 id = -1;
	size_t			 i;

	memset(&b, 0, sizeof b);
	b.builder_name = xstrdup("b1");
	b.number = number;
	b.started_at = isnan(finished) ? NOW - 100 * DAY : finished - 60;
	b.finished_at = finished;
	b.complete = !isnan(finished);
	b.results = results;
	b.nsteps = 1;
	b.steps = xcalloc(1, sizeof *b.steps);
	st = &b.steps[0];
	st->name = xstrdup("compile");
	st->started_at = b.started_at;
	st->finished_at = finished;
	st->results = results;
	st->nlogs = nlogs;
	st->logs = xcalloc(nlogs, sizeof *st->logs);
	for (i = 0; i < nlogs; i++) {
		l = &st->logs[i];
		l->name = xstrdup(i == 0 ? "stdio" : "err");
		l->kind = BBM_LOG_TEXT;
		l->length = -1;
		l->state = BBM_LOG_STORED;
		l->store_key = put_packed(len, random);
		l->stored_bytes = (int64_t)len;
		l->text_bytes = (int64_t)len - 7;
		l->lines = 11;
		l->complete = 1;
	}
	if (store_begin(S, &cause) != 0 ||
	    store_build(S, master_id, builder_id, &b, BBM_ORIGIN_IMPORT, &id,
	    &cause) != 0 || store_commit(S, &cause) != 0) {
		printf("Bail out! build %lld: %s\n", (long long)number, cause);
		exit(1);
	}
	record_build_free(&b);
	return (id);
}

static int64_t
log_id(int64_t build, int n)
{
	return (q_int("SELECT l.id FROM logs l JOIN steps s ON s.id = "
	    "l.step_id WHERE s.build_id = %lld AND l.number = %d",
	    (long long)build, n));
}

static char *
log_key(int64_t id)
{
	return (q_text("SELECT store_key FROM logs WHERE id = %lld",
	    (long long)id));
}

static char *
log_state(int64_t id)
{
	return (q_text("SELECT state FROM logs WHERE id = %lld",
	    (long long)id));
}

/* Checks the state of log id. */
static void
is_state(int64_t id, const char *want, const char *name)
{
	char	*s = log_state(id);

	is_str(s, want, "%s", name);
	free(s);
}

/* 1 if key reads back whole (len bytes), 0 if reading it fails. */
static int
readable(const char *key, size_t len)
{
	struct logstore_reader	*r;
	char			 buf[65536], *cause = NULL;
	ssize_t			 n;
	size_t			 total = 0;

	if ((r = logstore_open_read(LS, key, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	while ((n = logstore_read(r, buf, sizeof buf, &cause)) > 0)
		total += (size_t)n;
	logstore_close_read(r);
	free(cause);
	return (n == 0 && total == len);
}

/* Runs a whole run at now; returns prune_step's last result. */
static int
run(struct prune *p, double now, struct prune_report *r)
{
	char	*cause = NULL;
	int	 rc;

	memset(r, 0, sizeof *r);
	r->usage = -1;
	prune_start(p, now);
	while ((rc = prune_step(p, r, &cause)) == 1)
		;
	if (rc == -1) {
		tap_diag("prune_step: %s", cause);
		free(cause);
	}
	return (rc);
}

static void
test_parsers(void)
{
	static const struct {
		const char	*in;
		int64_t		 secs;	/* -1: refused */
		const char	*why;
	} ages[] = {
		{ "90d", 90 * 86400, NULL }, { "12h", 12 * 3600, NULL },
		{ "30m", 1800, NULL }, { "45s", 45, NULL },
		{ "2w", 14 * 86400, NULL }, { "3600", 3600, NULL },
		{ "0", 0, NULL }, { "", -1, "empty" },
		{ "abc", -1, "not an age" },
		{ "30x", -1, "unknown unit \"x\"" },
		{ "5dd", -1, "unknown unit \"dd\"" },
		{ "-5", -1, "not an age" },
		{ " 5", -1, "not an age" }, { "1.5d", -1, "unknown unit" },
		{ "99999999999999999999", -1, "too large" },
		{ "1000000000w", -1, "too large" }, { "30D", -1, "unit" },
	};
	static const struct {
		const char	*in;
		int64_t		 bytes;	/* -1: refused */
	} sizes[] = {
		{ "20G", 20LL << 30 }, { "500M", 500LL << 20 },
		{ "1T", 1LL << 40 }, { "1024", 1024 }, { "0", 0 },
		{ "4k", 4096 }, { "2MiB", 2LL << 20 }, { "3GB", 3LL << 30 },
		{ "", -1 }, { "20X", -1 }, { "abc", -1 }, { "5GBB", -1 },
		{ "99999999999T", -1 }, { "99999999999999999999", -1 },
		{ "-1G", -1 }, { "1.5G", -1 },
	};
	int64_t		 secs, keep[PRUNE_NRESULTS];
	uint64_t	 bytes;
	char		*cause;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof ages / sizeof ages[0]; i++) {
		cause = NULL;
		secs = -2;
		rc = prune_parse_age("--log-max-age", ages[i].in, &secs,
		    &cause);
		if (ages[i].secs >= 0)
			ok(rc == 0 && secs == ages[i].secs,
			    "age \"%s\" is %lld", ages[i].in,
			    (long long)ages[i].secs);
		else {
			ok(rc == -1 && cause != NULL &&
			    strncmp(cause, "--log-max-age: \"", 16) == 0 &&
			    strstr(cause, ages[i].in) != NULL &&
			    strstr(cause, ages[i].why) != NULL,
			    "age \"%s\" refused: %s", ages[i].in,
			    cause ? cause : "(none)");
		}
		free(cause);
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		cause = NULL;
		rc = prune_parse_size("--log-max-total-size", sizes[i].in,
		    &bytes, &cause);
		if (sizes[i].bytes >= 0)
			ok(rc == 0 && bytes == (uint64_t)sizes[i].bytes,
			    "size \"%s\" is %lld", sizes[i].in,
			    (long long)sizes[i].bytes);
		else
			ok(rc == -1 && cause != NULL &&
			    strncmp(cause, "--log-max-total-size: ", 22) == 0 &&
			    (*sizes[i].in == '\0' ||
			    strstr(cause, sizes[i].in) != NULL),
			    "size \"%s\" refused: %s", sizes[i].in,
			    cause ? cause : "(none)");
		free(cause);
	}

	cause = NULL;
	rc = prune_parse_keep("--log-keep", "failure=90d, exception=forever",
	    keep, &cause);
	ok(rc == 0 && keep[BBM_FAILURE] == 90 * 86400 &&
	    keep[BBM_EXCEPTION] == PRUNE_KEEP_FOREVER &&
	    keep[BBM_SUCCESS] == PRUNE_KEEP_NONE &&
	    keep[BBM_CANCELLED] == PRUNE_KEEP_NONE,
	    "keep rules failure=90d, exception=forever");
	free(cause);
	cause = NULL;
	rc = prune_parse_keep("--log-keep", "Cancelled=0,retry=12h", keep,
	    &cause);
	ok(rc == 0 && keep[BBM_CANCELLED] == PRUNE_KEEP_FOREVER &&
	    keep[BBM_RETRY] == 12 * 3600, "keep rules: names in any case, "
	    "0 is forever");
	free(cause);
	{
		static const struct {
			const char	*in;
			const char	*why;
		} bad[] = {
			{ "failur=90d", "unknown result \"failur\"" },
			{ "failure", "\"failure\": expected RESULT=AGE" },
			{ "failure=9x", "\"failure=9x\": unknown unit" },
			{ "failure=", "\"failure=\": empty age" },
			{ "failure=1d,failure=2d", "has a rule already" },
			{ "failure=90d,", "empty rule" },
			{ ",failure=90d", "empty rule" },
			{ "", "empty rule" },
			{ "success=1d,warnings=abc", "\"warnings=abc\": not" },
		};

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			cause = NULL;
			keep[0] = 12345;
			rc = prune_parse_keep("--log-keep", bad[i].in, keep,
			    &cause);
			ok(rc == -1 && cause != NULL && keep[0] == 12345 &&
			    strncmp(cause, "--log-keep: ", 12) == 0 &&
			    strstr(cause, bad[i].why) != NULL,
			    "keep \"%s\" refused: %s", bad[i].in,
			    cause ? cause : "(none)");
			free(cause);
		}
	}
}

/* The pack file of a packed key and its allocated bytes. */
static long long
pack_blocks(const char *key)
{
	struct stat	 sb;
	char		*path, *name;
	long long	 v = -1;

	name = xstrdup(key + 2);
	*strchr(name, '/') = '\0';
	xasprintf(&path, "%s/packs/%s.pack", logstore_dir(LS), name);
	if (stat(path, &sb) == 0)
		v = (long long)sb.st_blocks * 512;
	free(path);
	free(name);
	return (v);
}

static void
test_age(void)
{
	struct prune_policy	 pol;
	struct prune_report	 r;
	struct prune		*p;
	struct store_live_log	 ll;
	char			*cause = NULL, *k;
	char			*ka0, *ka1, *kc, *kf0, *kf1, *kh, *kd;
	int64_t			 a, b, c, d, e, f, g, h, m;
	long long		 before, after;
	size_t			 len = 200000;

	setup("age");
	a = add_build(1, NOW - 40 * DAY, BBM_SUCCESS, 2, len, 1);
	b = add_build(2, NOW - 40 * DAY, BBM_FAILURE, 1, len, 1);
	c = add_build(3, NOW - 100 * DAY, BBM_FAILURE, 1, len, 1);
	d = add_build(4, NOW - 1 * DAY, BBM_SUCCESS, 1, len, 1);
	e = add_build(5, NAN, BBM_NO_RESULT, 1, len, 1);
	f = add_build(6, NOW - 50 * DAY, BBM_SUCCESS, 2, len, 1);
	g = add_build(7, NOW - 400 * DAY, BBM_EXCEPTION, 1, len, 1);
	h = add_build(8, NOW - 40 * DAY, BBM_NO_RESULT, 1, len, 1);
	m = add_build(9, NOW - 40 * DAY, BBM_SUCCESS, 1, 100, 0);
	/* f's second log is still being written. */
	memset(&ll, 0, sizeof ll);
	ll.channel = -1;
	ok(store_live_log_put(S, log_id(f, 1), &ll, &cause) == 0,
	    "a live_logs row for a log of an old build");
	free(cause);
	cause = NULL;
	/* A log the master had lost stays as it is. */
	q_int("UPDATE logs SET state = 'missing' WHERE id = %lld RETURNING 1",
	    (long long)log_id(m, 0));

	ka0 = log_key(log_id(a, 0));
	ka1 = log_key(log_id(a, 1));
	kc = log_key(log_id(c, 0));
	kf0 = log_key(log_id(f, 0));
	kf1 = log_key(log_id(f, 1));
	kh = log_key(log_id(h, 0));
	kd = log_key(log_id(d, 0));
	before = pack_blocks(ka0);

	prune_policy_init(&pol);
	pol.max_age = 30 * 86400;
	ok(prune_parse_keep("--log-keep", "failure=90d,exception=forever",
	    pol.keep, &cause) == 0, "keep rules parsed");
	p = prune_new(S, LS, &pol);
	is_int(run(p, NOW, &r), 0, "the run finishes");
	is_int(r.logs_aged, 5, "five logs pruned by age");
	is_int(r.garbage_keys, 0, "nothing removed within the grace period");
	is_state(log_id(a, 0), "pruned",
	    "an old success build's log is a tombstone");
	is_int(q_int("SELECT count(*) FROM logs WHERE state = 'pruned' AND "
	    "pruned_at = %.0f AND store_key IS NULL", NOW), 5,
	    "tombstones: state pruned, pruned_at the run's time, no key");
	is_int(q_int("SELECT count(*) FROM logs WHERE state = 'pruned' AND "
	    "stored_bytes = %zu AND text_bytes = %zu AND lines = 11 AND "
	    "complete = 1", len, len - 7), 5, "tombstones keep their counts");
	is_int(q_int("SELECT count(*) FROM logs l JOIN steps s ON s.id = "
	    "l.step_id WHERE s.build_id IN (%lld, %lld, %lld, %lld) AND "
	    "l.state = 'stored'", (long long)b, (long long)d, (long long)e,
	    (long long)g), 4, "kept: failure younger than 90d, a recent build, "
	    "a running build, exception kept forever");
	is_state(log_id(c, 0), "pruned",
	    "a failure older than 90 days is pruned");
	is_state(log_id(h, 0), "pruned",
	    "a build without a result follows the max age");
	k = log_key(log_id(f, 1));
	is_str(k, kf1, "a running log of an old build keeps its key");
	free(k);
	is_int(q_int("SELECT count(*) FROM logs WHERE state = 'missing'"), 1,
	    "a missing log stays missing");
	is_int(q_int("SELECT count(*) FROM log_garbage WHERE store_key IN "
	    "('%s', '%s', '%s', '%s', '%s')", ka0, ka1, kc, kf0, kh), 5,
	    "the pruned keys are garbage now");
	ok(readable(ka0, len) && readable(kc, len),
	    "their content stays for the grace period");

	/* A restart: nothing remembers the run but the database. */
	prune_free(p);
	is_int(run(p = prune_new(S, LS, &pol), NOW + 30, &r), 0,
	    "a run within the grace period");
	is_int(r.garbage_keys + r.logs_aged, 0, "does nothing");
	is_int(run(p, later(), &r), 0, "a run after the grace period");
	is_int(r.garbage_keys, 5, "collects the five keys");
	is_int(r.bytes_freed, prune_key_size(LS, ka0) +
	    prune_key_size(LS, ka1) + prune_key_size(LS, kc) +
	    prune_key_size(LS, kf0) + prune_key_size(LS, kh),
	    "bytes freed: their compressed sizes");
	is_int(q_int("SELECT count(*) FROM log_garbage"), 0,
	    "log_garbage is empty");
	ok(!readable(ka0, len) && !readable(ka1, len) && !readable(kc, len) &&
	    !readable(kh, len), "the pruned content is gone (reads fail)");
	ok(readable(kd, len) && readable(kf1, len),
	    "the kept content is intact");
	after = pack_blocks(ka0);
	tap_diag("pack %s: %lld bytes allocated before, %lld after", ka0,
	    before, after);
	if (after < before)
		ok(before - after >= 4 * (long long)len,
		    "the pack's blocks are freed (hole punching)");
	else
		ok(1, "# SKIP this file system does not punch holes");

	/* Time passes: the failure of 40 days ago turns 91 days old. */
	is_int(run(p, NOW + 51 * DAY, &r), 0, "a run 51 days later");
	is_int(r.logs_aged, 2, "prunes the failure and the recent build");
	is_state(log_id(b, 0), "pruned", "the failure's keep rule ran out");
	is_state(log_id(g, 0), "stored", "exception=forever still kept");
	is_state(log_id(e, 0), "stored", "the running build still untouched");
	prune_free(p);

	free(ka0);
	free(ka1);
	free(kc);
	free(kf0);
	free(kf1);
	free(kh);
	free(kd);
	free(cause);
	teardown();
}

static void
test_garbage(void)
{
	struct prune_policy	 pol;
	struct prune_report	 r;
	struct prune		*p;
	struct bbm_log		 l;
	char			*cause = NULL, *k1, *k2, *kr, *kgone;
	char			*fkey, *nkey;
	int64_t			 b, l0, l1;
	int			 rc;

	setup("garbage");
	b = add_build(1, NOW - 3600, BBM_SUCCESS, 2, 5000, 0);
	l0 = log_id(b, 0);
	l1 = log_id(b, 1);
	k1 = log_key(l0);

	/* Re-keyed: a new key for log 0 makes the old one garbage. */
	memset(&l, 0, sizeof l);
	l.state = BBM_LOG_STORED;
	l.store_key = k2 = put_packed(6000, 0);
	l.stored_bytes = 6000;
	l.complete = 1;
	ok(store_log_update(S, l0, &l, &cause) == 0, "log 0 stored again "
	    "under a new key");
	is_int(q_int("SELECT count(*) FROM log_garbage WHERE store_key = "
	    "'%s'", k1), 1, "its old key is garbage");

	/* A key someone uses again, wrongly left in log_garbage. */
	kr = log_key(l1);
	(void)test_db_exec(DB, "INSERT INTO log_garbage SELECT store_key, 0 "
	    "FROM logs WHERE number = 1");
	/* Garbage already removed by a run that died before its commit. */
	kgone = put_packed(3000, 0);
	rc = logstore_remove(LS, kgone, &cause);
	ok(rc == 0, "content of a garbage key removed, its row left");
	free(cause);
	cause = NULL;
	q_int("INSERT INTO log_garbage VALUES ('%s', 0) RETURNING 1", kgone);
	/* A live log's file, replaced when the log was packed. */
	fkey = logstore_key("m1", "b1", 1, NOW, 0, 2, "stdio");
	put_file(fkey, 70000);
	q_int("INSERT INTO log_garbage VALUES ('%s', %.0f) RETURNING 1", fkey,
	    NOW - 10);
	/* And a key no log store would accept. */
	q_int("INSERT INTO log_garbage VALUES ('../../etc/passwd', 0) "
	    "RETURNING 1");

	/* No limit at all: garbage is still collected. */
	prune_policy_init(&pol);
	p = prune_new(S, LS, &pol);
	is_int(run(p, NOW, &r), 0, "a run without limits");
	is_int(r.logs_aged + r.logs_sized, 0, "prunes no log");
	is_int(r.garbage_keys, 1, "removes the old garbage only");
	is_int(r.garbage_forgotten, 1, "forgets the reused key");
	ok(readable(kr, 5000), "the reused key's content is intact");
	ok(readable(k1, 5000), "the re-keyed log's old content stays "
	    "within the grace period");
	ok(logstore_stat(LS, fkey, NULL, &cause) == 1,
	    "so does the young file");
	is_int(q_int("SELECT count(*) FROM log_garbage"), 2,
	    "two young keys left in log_garbage");

	is_int(run(p, later(), &r), 0, "a run after the grace period");
	is_int(r.garbage_keys, 2, "removes both");
	ok(!readable(k1, 5000), "the old content is gone");
	ok(readable(k2, 6000), "the new key reads back");
	ok(logstore_stat(LS, fkey, NULL, &cause) == 0, "the file is unlinked");
	is_int(q_int("SELECT count(*) FROM log_garbage"), 0,
	    "log_garbage is empty");
	nkey = log_key(l0);
	is_str(nkey, k2, "the log keeps its new key");
	free(nkey);
	prune_free(p);

	free(k1);
	free(k2);
	free(kr);
	free(kgone);
	free(fkey);
	free(cause);
	teardown();
}

static void
test_size(void)
{
	struct prune_policy	 pol;
	struct prune_report	 r;
	struct prune		*p;
	char			*cause = NULL, *s;
	int64_t			 ids[10];
	uint64_t		 du, du2, one;
	size_t			 i, len = 150000;
	int			 pruned;

	setup("size");
	for (i = 0; i < 10; i++)
		ids[i] = add_build((int64_t)i + 1, NOW - (double)(20 - i) * DAY,
		    i == 1 ? BBM_FAILURE : i == 3 ? BBM_WARNINGS :
		    BBM_SUCCESS, 1, len, 1);
	ok(prune_disk_usage(logstore_dir(LS), &du, &cause) == 0,
	    "disk usage measured");
	s = log_key(log_id(ids[0], 0));
	one = prune_key_size(LS, s);
	free(s);
	tap_diag("log store: %llu bytes, %llu per log",
	    (unsigned long long)du, (unsigned long long)one);

	prune_policy_init(&pol);
	pol.max_total_size = du - (uint64_t)(4.5 * (double)one);
	pol.keep[BBM_FAILURE] = PRUNE_KEEP_FOREVER;
	pol.keep[BBM_WARNINGS] = 30 * 86400;	/* 17 days old: protected */
	p = prune_new(S, LS, &pol);
	is_int(run(p, NOW, &r), 0, "a run with a size limit");
	is_int(r.usage, (int64_t)du, "it measured the store");
	is_int(r.logs_sized, 5, "five logs pruned");
	is_int(r.logs_kept_sized, 0, "none protected by a keep rule");
	is_int(r.over_limit, 0, "below the limit");
	pruned = 1;
	for (i = 0; i < 10; i++) {
		s = log_state(log_id(ids[i], 0));
		if (strcmp(s, (i == 0 || i == 2 || (i >= 4 && i <= 6)) ?
		    "pruned" : "stored") != 0)
			pruned = 0;
		free(s);
	}
	ok(pruned, "the oldest builds went first, the protected ones "
	    "skipped");
	is_int(run(p, NOW + 10, &r), 0, "a run again");
	is_int(r.logs_sized, 0, "the pending garbage counts as freed: "
	    "nothing more is pruned");
	is_int(run(p, later(), &r), 0, "a run after the grace period");
	is_int(r.garbage_keys, 5, "collects the five keys");
	ok(prune_disk_usage(logstore_dir(LS), &du2, &cause) == 0,
	    "disk usage measured again");
	tap_diag("log store: %llu bytes after, limit %llu",
	    (unsigned long long)du2, (unsigned long long)pol.max_total_size);
	if (du2 < du)
		ok(du2 <= pol.max_total_size, "the store is below the limit");
	else
		ok(1, "# SKIP this file system does not punch holes");
	prune_free(p);

	/* A limit only the protected logs' removal can meet. */
	pol.max_total_size = 1;
	p = prune_new(S, LS, &pol);
	is_int(run(p, later(), &r), 0, "a run with a tiny limit");
	is_int(r.logs_sized, 5, "every log left is pruned");
	is_int(r.logs_kept_sized, 2, "the protected ones last");
	is_int(q_int("SELECT count(*) FROM logs WHERE state = 'stored'"), 0,
	    "no log stays");
	tap_diag("over the limit after it: %d", r.over_limit);
	prune_free(p);
	free(cause);
	teardown();
}

static void
test_batches(void)
{
	struct prune_policy	 pol;
	struct prune_report	 r;
	struct prune		*p;
	char			*cause = NULL, *s;
	struct bbm_log		 l;
	long long		 before, after;
	char			*key;
	double			 t0, t1, tl;
	int64_t			 late, running;
	size_t			 i, n = 2500;

	setup("batches");
	for (i = 0; i < n; i++)
		(void)add_build((int64_t)i + 1, NOW - 40 * DAY + (double)i,
		    (int)(i % 7), 1, 300, 1);
	key = log_key(log_id(1, 0));
	before = pack_blocks(key);
	/* Push dedup entries: three old, two recent. */
	for (i = 0; i < 5; i++)
		q_int("INSERT INTO push_packets VALUES (%lld, 'd%zu', %.0f) "
		    "RETURNING 1", (long long)master_id, i,
		    NOW - (i < 3 ? 31 : 1) * DAY);

	prune_policy_init(&pol);
	pol.max_age = 30 * 86400;
	pol.batch = 7;
	p = prune_new(S, LS, &pol);
	t0 = now_real();
	is_int(run(p, NOW, &r), 0, "a run over 2500 builds");
	t1 = now_real();
	is_int(r.logs_aged, n, "every log pruned");
	ok(r.max_step_work <= 7, "no step did more than the batch (%llu)",
	    (unsigned long long)r.max_step_work);
	ok(r.steps >= n / 7, "in %llu steps", (unsigned long long)r.steps);
	tap_diag("%zu logs made tombstones in %.3f s: %.0f logs/s, %llu steps",
	    n, t1 - t0, (double)n / (t1 - t0), (unsigned long long)r.steps);
	is_int(r.push_deleted, 3, "old push_packets rows deleted");
	is_int(q_int("SELECT count(*) FROM push_packets"), 2,
	    "the recent ones stay");

	t0 = now_real();
	tl = later();
	is_int(run(p, tl, &r), 0, "collecting the garbage");
	t1 = now_real();
	is_int(r.garbage_keys, n, "every key removed");
	ok(r.max_step_work <= 7, "no step did more than the batch (%llu)",
	    (unsigned long long)r.max_step_work);
	tap_diag("%zu keys removed in %.3f s: %.0f keys/s", n, t1 - t0,
	    (double)n / (t1 - t0));
	after = pack_blocks(key);
	tap_diag("their pack: %lld bytes allocated before, %lld after",
	    before, after);
	if (before > 65536 && after < before)
		ok(after <= 8192, "logs smaller than a block: the blocks they "
		    "shared are freed too");
	else
		ok(1, "# SKIP this file system does not punch holes");
	free(key);

	/*
	 * From here on a daemon's runs, at the real time: the builds that
	 * are written between two runs are found by their updated_at.
	 */
	prune_free(p);
	p = prune_new(S, LS, &pol);
	is_int(run(p, now_real(), &r), 0, "a daemon's first run");
	is_int(run(p, now_real(), &r), 0, "a run with nothing new");
	is_int(r.steps, 1, "is one step");

	/* A master's spool (or an import) stores an old build late. */
	late = add_build(9999, NOW - 45 * DAY, BBM_SUCCESS, 1, 300, 0);
	is_int(run(p, now_real(), &r), 0, "a run after an old build came late");
	is_state(log_id(late, 0), "pruned",
	    "the late build is found behind the cursor");
	/* A build stored running, finished since with an old time. */
	running = add_build(10000, NAN, BBM_NO_RESULT, 1, 300, 0);
	is_int(run(p, now_real(), &r), 0, "a run while it runs");
	is_state(log_id(running, 0), "stored", "a running build is left alone");
	q_int("UPDATE builds SET finished_at = %.0f, complete = 1, "
	    "results = 0, updated_at = %.3f WHERE id = %lld RETURNING 1",
	    NOW - 50 * DAY, now_real(), (long long)running);
	is_int(run(p, now_real(), &r), 0, "a run after it finished");
	is_state(log_id(running, 0), "pruned", "it is found once finished");

	/* A re-import gives a pruned log content again. */
	memset(&l, 0, sizeof l);
	l.state = BBM_LOG_STORED;
	l.store_key = put_packed(300, 0);
	l.stored_bytes = 300;
	l.complete = 1;
	ok(store_log_update(S, log_id(7, 0), &l, &cause) == 0,
	    "a pruned log stored again (a re-import)");
	free(l.store_key);
	is_int(run(p, now_real(), &r), 0, "a run right after");
	s = log_state(log_id(7, 0));
	tap_diag("the re-imported log before a full walk: %s", s);
	free(s);
	is_int(run(p, now_real() + (double)pol.rescan + 1, &r), 0,
	    "a run after the rescan interval");
	is_state(log_id(7, 0), "pruned", "the full walk prunes it again");
	prune_free(p);
	free(cause);
	teardown();
}

static void
test_usage(void)
{
	char		*dir, *path, *cause = NULL;
	uint64_t	 du;
	FILE		*f;
	size_t		 i;
	char		 block[4096];
	int		 rc;

	memset(block, 'x', sizeof block);
	xasprintf(&dir, "%s", test_db_path("du"));
	mkdir(dir, 0755);
	xasprintf(&path, "%s/ab", dir);
	mkdir(path, 0755);
	free(path);
	xasprintf(&path, "%s/ab/file.zst", dir);
	f = fopen(path, "w");
	for (i = 0; i < 16; i++)
		fwrite(block, 1, sizeof block, f);
	fclose(f);
	free(path);
	du = 0;
	rc = prune_disk_usage(dir, &du, &cause);
	ok(rc == 0 && du >= 65536 && du < 65536 + 65536,
	    "disk usage of a 64 KiB file: %llu", (unsigned long long)du);
	free(cause);
	cause = NULL;
	xasprintf(&path, "%s/nope", dir);
	rc = prune_disk_usage(path, &du, &cause);
	ok(rc == -1 && cause != NULL && strstr(cause, "nope") != NULL,
	    "a missing directory: %s", cause ? cause : "(none)");
	free(cause);
	free(path);
	free(dir);

	setup("keys");
	is_int(prune_key_size(LS, "p/1-2-3/100-4096"), 4096,
	    "a packed key's size is its length");
	is_int(prune_key_size(LS, "ab/cd"), 0, "a missing file's size is 0");
	is_int(prune_key_size(LS, "../x"), 0, "an invalid key's size is 0");
	teardown();
}

int
main(void)
{
	enum test_engine	 e;

	test_db_init("test-prune");
	test_parsers();
	test_usage();
	for (e = 0; e < TEST_ENGINES; e++) {
		if (!test_db_has(e))
			continue;
		test_db_use(e);
		test_age();
		test_garbage();
		test_size();
		test_batches();
	}
	test_db_done();
	return (tap_done());
}
