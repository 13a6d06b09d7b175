/*
 * test-logstore.c: keys, writing, committing, appending and reading back
 * logs in a store under a temporary directory, as files and in packs, and
 * the errors a damaged or missing log gives.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "logstore.h"
#include "util.h"
#include "tap.h"

static void
test_keys(void)
{
	static const struct {
		const char	*key;
		int		 valid;
	} cases[] = {
		{ "a3/a3d3655341960216-5-2-0", 1 },
		{ "a", 1 },
		{ "a.b", 1 },
		{ "a/b/c", 1 },
		{ "x_y-z.9", 1 },
		{ ".hidden", 1 },
		{ "", 0 },
		{ "/etc/passwd", 0 },
		{ "..", 0 },
		{ "../x", 0 },
		{ "a/../b", 0 },
		{ "a/..", 0 },
		{ "a..b", 0 },
		{ ".", 0 },
		{ "./a", 0 },
		{ "a/./b", 0 },
		{ "a/.", 0 },
		{ "a//b", 0 },
		{ "a/", 0 },
		{ "A", 0 },
		{ "a b", 0 },
		{ "a\\b", 0 },
		{ "a\nb", 0 },
		{ "%2e%2e/x", 0 },
		{ "a:b", 0 },
		{ "caf\xc3\xa9", 0 },
	};
	char	*key, *k2, *shown, *nl, long_key[LOGSTORE_KEY_MAX + 2];
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		shown = utf8_from_bytes(cases[i].key, strlen(cases[i].key),
		    NULL);
		if ((nl = strchr(shown, '\n')) != NULL)
			*nl = '|';
		is_int(logstore_key_valid(cases[i].key), cases[i].valid,
		    "key \"%s\" %s", shown,
		    cases[i].valid ? "accepted" : "refused");
		free(shown);
	}
	memset(long_key, 'k', sizeof long_key);
	long_key[LOGSTORE_KEY_MAX] = '\0';
	ok(logstore_key_valid(long_key), "key of %d bytes accepted",
	    LOGSTORE_KEY_MAX);
	long_key[LOGSTORE_KEY_MAX] = 'k';
	long_key[LOGSTORE_KEY_MAX + 1] = '\0';
	ok(!logstore_key_valid(long_key), "key of %d bytes refused",
	    LOGSTORE_KEY_MAX + 1);

	/* Hashes computed by hand with a Python FNV-1a over the same bytes. */
	key = logstore_key("master-1", "runtests", 5, 1300000000.25, 2, 0,
	    "stdio");
	is_str(key, "a3/a3d3655341960216-5-2-0", "key of a stdio log");
	ok(logstore_key_valid(key), "generated key is valid");
	free(key);
	key = logstore_key("", "", 0, 0.0, 0, 3, "");
	is_str(key, "bb/bb27dee363624ddb-0-0-3", "key of empty names");
	free(key);

	key = logstore_key("m", "b", 5, 1300000000.25, 2, 0, "stdio");
	k2 = logstore_key("m", "b", 5, 1300000000.250001, 2, 0, "stdio");
	ok(strcmp(key + 3, k2 + 3) != 0, "start time to the microsecond "
	    "changes the key");
	free(k2);
	k2 = logstore_key("m", "b", 5, 1300000000.25, 2, 0, "stdio_0");
	ok(strcmp(key, k2) != 0, "log name changes the key");
	free(k2);
	k2 = logstore_key("mb", "", 5, 1300000000.25, 2, 0, "stdio");
	ok(strcmp(key, k2) != 0, "separators keep master and builder apart");
	free(k2);
	k2 = logstore_key("m", "b", 5, 1300000000.25, 2, 0, "stdio");
	is_str(k2, key, "same log, same key");
	free(k2);
	free(key);
	key = logstore_key("m", "b", -1, -5.5, -2, 7, "x");
	ok(logstore_key_valid(key), "negative numbers give a valid key (%s)",
	    key);
	free(key);
}

/* Reads the whole log with reads of bufsize bytes; -1 and *cause on error. */
static int
read_log(struct logstore *ls, const char *key, size_t bufsize,
    struct buf *out, char **cause)
{
	struct logstore_reader	*r;
	char			*tmp;
	ssize_t			 n;

	buf_init(out, 64 << 20);
	if (buf_add(out, "", 0) != 0)
		fatalx("buf_add");
	if ((r = logstore_open_read(ls, key, cause)) == NULL)
		return (-1);
	tmp = xmalloc(bufsize);
	while ((n = logstore_read(r, tmp, bufsize, cause)) > 0) {
		if (buf_add(out, tmp, (size_t)n) != 0)
			fatalx("log too large");
	}
	free(tmp);
	logstore_close_read(r);
	return (n == 0 ? 0 : -1);
}

static int
log_is(struct logstore *ls, const char *key, const void *want, size_t len,
    size_t bufsize)
{
	struct buf	 b;
	char		*cause = NULL;
	int		 same;

	if (read_log(ls, key, bufsize, &b, &cause) != 0) {
		tap_diag("%s", cause);
		free(cause);
		buf_free(&b);
		return (0);
	}
	same = (b.len == len && memcmp(b.data, want, len) == 0);
	if (!same)
		tap_diag("read %zu bytes, want %zu", b.len, len);
	buf_free(&b);
	return (same);
}

static int
put_log(struct logstore *ls, const char *key, const void *data, size_t len)
{
	struct logstore_writer	*w;
	char			*cause = NULL;

	if ((w = logstore_create(ls, key, &cause)) == NULL ||
	    logstore_write(w, data, len, &cause) != 0 ||
	    logstore_commit(w, &cause) != 0) {
		tap_diag("%s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

static int64_t
stored_size(struct logstore *ls, const char *key)
{
	int64_t	 size = -1;
	char	*cause = NULL;

	if (logstore_stat(ls, key, &size, &cause) != 1) {
		free(cause);
		return (-1);
	}
	return (size);
}

/* Entries of dir/sub other than . and .., or -1 if it cannot be read. */
static int
count_entries(const char *dir, const char *sub)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	int		 n = 0;

	xasprintf(&path, "%s/%s", dir, sub);
	d = opendir(path);
	free(path);
	if (d == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

static void
touch(const char *path)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fclose(f) != 0)
		fatal("%s", path);
}

static void
test_open(const char *tmp)
{
	struct logstore	*ls;
	char		*dir, *cause = NULL;

	xasprintf(&dir, "%s/missing", tmp);
	ls = logstore_open(dir, 0, &cause);
	ok(ls == NULL && cause != NULL, "missing directory without create");
	free(cause);
	free(dir);

	xasprintf(&dir, "%s/deep/er/store", tmp);
	ls = logstore_open(dir, 1, &cause);
	ok(ls != NULL, "create makes every parent");
	is_str(ls != NULL ? logstore_dir(ls) : NULL, dir, "store directory");
	logstore_close(ls);
	ls = logstore_open(dir, 1, &cause);
	ok(ls != NULL, "create on an existing store");
	logstore_close(ls);
	free(dir);

	xasprintf(&dir, "%s/afile", tmp);
	touch(dir);
	ls = logstore_open(dir, 0, &cause);
	ok(ls == NULL && cause != NULL && strstr(cause, "not a directory"),
	    "a file is not a store");
	free(cause);
	free(dir);
}

static void
test_round_trip(struct logstore *ls, const char *dir)
{
	struct logstore_writer	*w;
	struct buf		 big;
	uint64_t		 x = 88172645463325252ULL;
	size_t			 n, i, j;
	char			*cause = NULL, *path;
	char			 piece[100000];
	static const char	 small[] = "6:0abcd\n,13:0partly \xe2\x98\x81y\n,1:0,";
	struct stat		 st;

	ok(put_log(ls, "aa/small", small, sizeof small - 1) == 0,
	    "small log written");
	ok(log_is(ls, "aa/small", small, sizeof small - 1, 4096),
	    "small log reads back byte for byte");
	ok(log_is(ls, "aa/small", small, sizeof small - 1, 1),
	    "small log reads back one byte at a time");
	xasprintf(&path, "%s/aa/small.zst", dir);
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "stored as <dir>/<key>.zst");
	ok(stored_size(ls, "aa/small") == (int64_t)st.st_size,
	    "stat gives the compressed size");
	free(path);

	w = logstore_create(ls, "aa/empty", &cause);
	ok(w != NULL && logstore_commit(w, &cause) == 0,
	    "empty log committed");
	is_int(logstore_stat(ls, "aa/empty", NULL, &cause), 1,
	    "empty log exists");
	ok(log_is(ls, "aa/empty", "", 0, 16), "empty log reads back empty");

	/* About 20 MB mixing compressible text and noise, in uneven writes. */
	buf_init(&big, 32 << 20);
	w = logstore_create(ls, "bb/big", &cause);
	for (i = 0; w != NULL && big.len < (20 << 20); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = (size_t)(x % sizeof piece);
		if (i % 3 == 0) {
			for (j = 0; j < n; j++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				piece[j] = (char)x;
			}
		} else {
			for (j = 0; j < n; j++)
				piece[j] = "chunk text\n"[(i + j) % 11];
		}
		if (buf_add(&big, piece, n) != 0 ||
		    logstore_write(w, piece, n, &cause) != 0)
			break;
	}
	ok(w != NULL && big.len >= (20 << 20) && logstore_writer_size(w) ==
	    big.len, "20 MB written in %zu writes", i);
	ok(w != NULL && logstore_commit(w, &cause) == 0, "20 MB committed");
	ok(log_is(ls, "bb/big", big.data, big.len, 65536),
	    "20 MB read back byte for byte");
	ok(log_is(ls, "bb/big", big.data, big.len, 1000003),
	    "20 MB read back with 1 MB reads");
	ok(stored_size(ls, "bb/big") < (int64_t)big.len,
	    "20 MB stored compressed (%lld bytes)",
	    (long long)stored_size(ls, "bb/big"));
	buf_free(&big);
	free(cause);
}

/* The writer a child dies holding (global, so still reachable then). */
static struct logstore_writer *volatile crashed;

static void
test_commit_abort(struct logstore *ls, const char *dir)
{
	struct logstore_writer	*w, *w2;
	struct logstore_reader	*r;
	char			*cause = NULL, *path;
	pid_t			 pid;
	int			 status;

	w = logstore_create(ls, "cc/pending", &cause);
	ok(w != NULL && logstore_write(w, "2:0a,", 5, &cause) == 0,
	    "writer started");
	is_int(logstore_stat(ls, "cc/pending", NULL, &cause), 0,
	    "uncommitted log is not visible");
	r = logstore_open_read(ls, "cc/pending", &cause);
	ok(r == NULL && cause != NULL && strstr(cause, "no such log"),
	    "uncommitted log cannot be read");
	free(cause);
	cause = NULL;
	is_int(count_entries(dir, "cc"), 1, "one temporary file meanwhile");

	/* Two writers at once: the second gets its own compressor. */
	w2 = logstore_create(ls, "cc/other", &cause);
	ok(w2 != NULL && logstore_write(w2, "3:1bc,", 6, &cause) == 0 &&
	    logstore_commit(w2, &cause) == 0, "second writer meanwhile");
	ok(logstore_commit(w, &cause) == 0, "first writer committed");
	ok(log_is(ls, "cc/pending", "2:0a,", 5, 64), "first log content");
	ok(log_is(ls, "cc/other", "3:1bc,", 6, 64), "second log content");
	is_int(count_entries(dir, "cc"), 2, "no temporary file left");

	ok(put_log(ls, "cc/pending", "2:2z,", 5) == 0 &&
	    log_is(ls, "cc/pending", "2:2z,", 5, 64),
	    "a new commit replaces the log");

	w = logstore_create(ls, "cc/pending", &cause);
	ok(w != NULL && logstore_write(w, "2:0q,", 5, &cause) == 0,
	    "writer to be aborted");
	logstore_abort(w);
	ok(log_is(ls, "cc/pending", "2:2z,", 5, 64),
	    "abort keeps the previous log");
	is_int(count_entries(dir, "cc"), 2, "abort removes the temporary");

	w = logstore_create(ls, "cd/aborted", &cause);
	logstore_abort(w);
	is_int(logstore_stat(ls, "cd/aborted", NULL, &cause), 0,
	    "aborted new log does not exist");

	/* A writer that dies before commit leaves only a temporary. */
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		crashed = logstore_create(ls, "ce/crash", &cause);
		if (crashed == NULL ||
		    logstore_write(crashed, "2:0a,", 5, &cause) != 0)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL, "child wrote and was killed");
	is_int(count_entries(dir, "ce"), 1, "the crash left a temporary");
	is_int(logstore_stat(ls, "ce/crash", NULL, &cause), 0,
	    "stale temporary is not a log");
	r = logstore_open_read(ls, "ce/crash", &cause);
	ok(r == NULL && cause != NULL, "stale temporary cannot be read");
	free(cause);
	cause = NULL;
	ok(put_log(ls, "ce/crash", "2:1b,", 5) == 0 &&
	    log_is(ls, "ce/crash", "2:1b,", 5, 64),
	    "the log can still be written after a crash");

	xasprintf(&path, "%s/cf", dir);
	mkdir(path, 0777);
	free(path);
	xasprintf(&path, "%s/cf/x.zst.tmp.1-0", dir);
	touch(path);
	free(path);
	is_int(logstore_stat(ls, "cf/x.zst.tmp.1-0", NULL, &cause), 0,
	    "a key named like a temporary does not find it");
	is_int(logstore_stat(ls, "cf/x", NULL, &cause), 0,
	    "nor does its log's key");
}

static void
test_append(struct logstore *ls)
{
	int64_t		 s1, s2;
	char		*cause = NULL;
	static const char want[] = "2:0a,3:1bc,1:0,";

	ok(logstore_append(ls, "dd/live", "2:0a,", 5, &cause) == 0,
	    "append creates the log");
	s1 = stored_size(ls, "dd/live");
	ok(logstore_append(ls, "dd/live", "3:1b", 4, &cause) == 0 &&
	    logstore_append(ls, "dd/live", "", 0, &cause) == 0 &&
	    logstore_append(ls, "dd/live", "c,1:0,", 6, &cause) == 0,
	    "three more frames, one empty");
	s2 = stored_size(ls, "dd/live");
	ok(s1 > 0 && s2 > s1, "the file grew (%lld then %lld bytes)",
	    (long long)s1, (long long)s2);
	ok(log_is(ls, "dd/live", want, sizeof want - 1, 4096),
	    "all frames read back in order");
	ok(log_is(ls, "dd/live", want, sizeof want - 1, 1),
	    "all frames read back one byte at a time");

	ok(put_log(ls, "dd/grown", "2:0a,", 5) == 0 &&
	    logstore_append(ls, "dd/grown", "2:0b,", 5, &cause) == 0 &&
	    log_is(ls, "dd/grown", "2:0a,2:0b,", 10, 64),
	    "append after a committed write");
	free(cause);
}

/* Cuts the stored file of key to len bytes (or flips byte -len-1). */
static void
damage(const char *dir, const char *key, off_t len)
{
	char	*path;
	FILE	*f;
	int	 c;

	xasprintf(&path, "%s/%s.zst", dir, key);
	if (len >= 0) {
		if (truncate(path, len) != 0)
			fatal("truncate %s", path);
	} else {
		if ((f = fopen(path, "r+b")) == NULL)
			fatal("%s", path);
		fseeko(f, -len - 1, SEEK_SET);
		c = fgetc(f);
		fseeko(f, -len - 1, SEEK_SET);
		fputc(c ^ 0x20, f);
		fclose(f);
	}
	free(path);
}

static void
test_damage(struct logstore *ls, const char *dir)
{
	struct buf	 b;
	char		 text[50000], *cause = NULL;
	int64_t		 size, cuts[5];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof text; i++)
		text[i] = (char)("0123456789\n"[i % 11] + (i / 997) % 3);
	if (put_log(ls, "ee/whole", text, sizeof text) != 0)
		fatalx("cannot write ee/whole");
	size = stored_size(ls, "ee/whole");
	cuts[0] = 0;
	cuts[1] = 1;
	cuts[2] = size / 2;
	cuts[3] = size - 1;
	cuts[4] = size - 4;
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		if (put_log(ls, "ee/cut", text, sizeof text) != 0)
			fatalx("cannot write ee/cut");
		damage(dir, "ee/cut", (off_t)cuts[i]);
		r = read_log(ls, "ee/cut", 4096, &b, &cause);
		ok(r == -1 && cause != NULL && strstr(cause, "ee/cut.zst") &&
		    strstr(cause, "offset "), "cut to %lld of %lld bytes: "
		    "\"%s\"", (long long)cuts[i], (long long)size,
		    cause ? cause : "no error");
		buf_free(&b);
		free(cause);
		cause = NULL;
	}

	if (put_log(ls, "ee/flip", text, sizeof text) != 0)
		fatalx("cannot write ee/flip");
	damage(dir, "ee/flip", -(size / 2) - 1);
	r = read_log(ls, "ee/flip", 4096, &b, &cause);
	ok(r == -1 && cause != NULL, "flipped byte detected: \"%s\"",
	    cause ? cause : "no error");
	buf_free(&b);
	free(cause);
	cause = NULL;

	/* A crash during an append leaves a partial last frame. */
	if (logstore_append(ls, "ee/live", "2:0a,", 5, &cause) != 0)
		fatalx("append: %s", cause);
	size = stored_size(ls, "ee/live");
	if (logstore_append(ls, "ee/live", text, sizeof text, &cause) != 0)
		fatalx("append: %s", cause);
	damage(dir, "ee/live", (off_t)(size + 10));
	r = read_log(ls, "ee/live", 4096, &b, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, "truncated") &&
	    b.len >= 5 && memcmp(b.data, "2:0a,", 5) == 0,
	    "partial appended frame: first frame read, then \"%s\"",
	    cause ? cause : "no error");
	buf_free(&b);
	free(cause);
}

static void
test_errors(struct logstore *ls)
{
	struct logstore_writer	*w;
	struct logstore_reader	*r;
	int64_t			 size = 42;
	char			*cause = NULL;

	r = logstore_open_read(ls, "ff/nothing", &cause);
	ok(r == NULL && cause != NULL && strcmp(cause,
	    "ff/nothing: no such log") == 0, "missing key: \"%s\"",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	is_int(logstore_stat(ls, "ff/nothing", &size, &cause), 0,
	    "stat of a missing key");
	is_int(size, 42, "stat of a missing key leaves size alone");
	is_int(logstore_remove(ls, "ff/nothing", &cause), 0,
	    "removing a missing key succeeds");

	w = logstore_create(ls, "../escape", &cause);
	ok(w == NULL && cause != NULL && strstr(cause, "invalid log key"),
	    "create refuses ../escape");
	free(cause);
	cause = NULL;
	r = logstore_open_read(ls, "/etc/passwd", &cause);
	ok(r == NULL && cause != NULL, "read refuses /etc/passwd");
	free(cause);
	cause = NULL;
	is_int(logstore_stat(ls, "a/../../x", NULL, &cause), -1,
	    "stat refuses a/../../x");
	free(cause);
	cause = NULL;
	is_int(logstore_remove(ls, "..", &cause), -1, "remove refuses ..");
	free(cause);
	cause = NULL;
	is_int(logstore_append(ls, "A", "x", 1, &cause), -1,
	    "append refuses A");
	free(cause);
	cause = NULL;

	ok(put_log(ls, "ff/gone", "2:0a,", 5) == 0, "log to remove");
	is_int(logstore_remove(ls, "ff/gone", &cause), 0, "removed");
	is_int(logstore_stat(ls, "ff/gone", NULL, &cause), 0,
	    "removed log no longer exists");
}

/*
 * Writes refused by the file system (RLIMIT_FSIZE stands in for a full
 * disk): a failed writer cannot commit, and a failed append leaves the log
 * as it was.
 */
static void
test_write_failure(struct logstore *ls, const char *dir)
{
	struct logstore_writer	*w;
	struct rlimit		 old, small;
	char			*noise, *cause = NULL;
	size_t			 i, len = 1 << 20;
	uint32_t		 x = 1;
	int			 r;

	noise = xmalloc(len);
	for (i = 0; i < len; i++) {
		x = x * 1664525 + 1013904223;
		noise[i] = (char)(x >> 24);
	}
	if (put_log(ls, "hh/live", "2:0a,", 5) != 0)
		fatalx("hh/live");
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("getrlimit");
	small = old;
	small.rlim_cur = 64 << 10;
	if (setrlimit(RLIMIT_FSIZE, &small) != 0)
		fatal("setrlimit");

	w = logstore_create(ls, "hh/full", &cause);
	r = (w == NULL) ? 0 : logstore_write(w, noise, len, &cause);
	ok(w != NULL && r == -1 && cause != NULL, "write past the limit "
	    "fails: \"%s\"", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	ok(w != NULL && logstore_write(w, "x", 1, &cause) == -1,
	    "the writer stays failed");
	free(cause);
	cause = NULL;
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("setrlimit");
	ok(w != NULL && logstore_commit(w, &cause) == -1 && cause != NULL,
	    "a failed writer cannot commit");
	free(cause);
	cause = NULL;
	is_int(logstore_stat(ls, "hh/full", NULL, &cause), 0,
	    "no log from the failed writer");
	is_int(count_entries(dir, "hh"), 1, "and no temporary left");

	if (setrlimit(RLIMIT_FSIZE, &small) != 0)
		fatal("setrlimit");
	r = logstore_append(ls, "hh/live", noise, len, &cause);
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("setrlimit");
	ok(r == -1 && cause != NULL, "append past the limit fails");
	free(cause);
	ok(log_is(ls, "hh/live", "2:0a,", 5, 64),
	    "the log is as it was before the failed append");
	signal(SIGXFSZ, SIG_DFL);
	free(noise);
}

static void
test_options(struct logstore *ls)
{
	struct logstore_reader	*r1, *r2;
	char			*text, *cause = NULL, b1[8], b2[8];
	size_t			 i, len = 1 << 20;
	int64_t			 fast, small;

	text = xmalloc(len);
	for (i = 0; i < len; i++)
		text[i] = "abcdefghij\n"[(i * i / 7) % 11];
	logstore_set_level(ls, 1);
	if (put_log(ls, "gg/fast", text, len) != 0)
		fatalx("gg/fast");
	logstore_set_level(ls, 19);
	logstore_set_sync(ls, 1);
	if (put_log(ls, "gg/small", text, len) != 0)
		fatalx("gg/small");
	ok(logstore_append(ls, "gg/synced", "2:0a,", 5, &cause) == 0,
	    "append with sync");
	logstore_set_sync(ls, 0);
	logstore_set_level(ls, 1000);
	ok(put_log(ls, "gg/clamped", "2:0a,", 5) == 0 &&
	    log_is(ls, "gg/clamped", "2:0a,", 5, 64),
	    "out of range level is clamped");
	logstore_set_level(ls, LOGSTORE_LEVEL_DEFAULT);
	fast = stored_size(ls, "gg/fast");
	small = stored_size(ls, "gg/small");
	ok(small > 0 && small < fast, "level 19 (%lld bytes) smaller than "
	    "level 1 (%lld)", (long long)small, (long long)fast);
	ok(log_is(ls, "gg/fast", text, len, 8192) &&
	    log_is(ls, "gg/small", text, len, 8192), "both read back");

	/* Two readers at once: the second gets its own decompressor. */
	r1 = logstore_open_read(ls, "gg/fast", &cause);
	r2 = logstore_open_read(ls, "gg/small", &cause);
	ok(r1 != NULL && r2 != NULL &&
	    logstore_read(r1, b1, sizeof b1, &cause) == sizeof b1 &&
	    logstore_read(r2, b2, sizeof b2, &cause) == sizeof b2 &&
	    memcmp(b1, text, sizeof b1) == 0 &&
	    memcmp(b2, text, sizeof b2) == 0, "two readers at once");
	logstore_close_read(r1);
	logstore_close_read(r2);
	free(text);
}

/* Fills p with len bytes of xorshift noise (incompressible) from *x. */
static void
noise(char *p, size_t len, uint64_t *x)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		p[i] = (char)*x;
	}
}

/*
 * A packed key's parts, read the way the header documents the shape
 * ("p/<name>/<offset>-<length>"); 0 if key does not look like that.
 */
static int
key_parts(const char *key, char *name, size_t namesize, long long *off,
    long long *len)
{
	const char	*slash;
	int		 end = 0;

	if (key == NULL || strncmp(key, "p/", 2) != 0 ||
	    (slash = strchr(key + 2, '/')) == NULL ||
	    (size_t)(slash - key - 2) >= namesize)
		return (0);
	memcpy(name, key + 2, (size_t)(slash - key - 2));
	name[slash - key - 2] = '\0';
	if (sscanf(slash + 1, "%lld-%lld%n", off, len, &end) != 2 ||
	    slash[1 + end] != '\0')
		return (0);
	return (1);
}

/* Path of the pack holding key (caller frees), or NULL. */
static char *
pack_of(const char *dir, const char *key)
{
	char		 name[256], *path;
	long long	 off, len;

	if (!key_parts(key, name, sizeof name, &off, &len))
		return (NULL);
	xasprintf(&path, "%s/packs/%s.pack", dir, name);
	return (path);
}

static long long
file_size(const char *path)
{
	struct stat	 st;

	if (path == NULL || stat(path, &st) != 0)
		return (-1);
	return ((long long)st.st_size);
}

static long long
pack_size_of(const char *dir, const char *key)
{
	char		*path;
	long long	 size;

	path = pack_of(dir, key);
	size = file_size(path);
	free(path);
	return (size);
}

/* Stores data as one packed log; its key (caller frees) or NULL. */
static char *
put_packed(struct logstore *ls, const void *data, size_t len)
{
	struct logstore_writer	*w;
	char			*cause = NULL, *key = NULL;

	if ((w = logstore_create_packed(ls, &cause)) == NULL)
		goto fail;
	if (logstore_write(w, data, len, &cause) != 0) {
		logstore_abort(w);
		goto fail;
	}
	if (logstore_commit_packed(w, &key, &cause) != 0)
		goto fail;
	return (key);
fail:
	tap_diag("%s", cause);
	free(cause);
	return (NULL);
}

/* A key like key with another offset and length (caller frees). */
static char *
other_range(const char *key, long long off, long long len)
{
	char		 name[256], *k;
	long long	 o, l;

	if (!key_parts(key, name, sizeof name, &o, &l))
		fatalx("not a packed key: %s", key != NULL ? key : "NULL");
	xasprintf(&k, "p/%s/%lld-%lld", name, off, len);
	return (k);
}

static void
test_packed_keys(void)
{
	static const struct {
		const char	*key;
		int		 valid;
	} cases[] = {
		{ "p/1700000000-4242-0/0-13", 1 },
		{ "p/0-0-0/0-1", 1 },
		{ "p/1-2-18446744073709551615/9223372036854775806-1", 1 },
		{ "p/9223372036854775807-9223372036854775807-3/0-"
		    "9223372036854775807", 1 },
		{ "p", 1 },
		{ "pp/x", 1 },
		{ "packs", 1 },
		{ "packsx/y", 1 },
		{ "p/", 0 },
		{ "p/1-2-3", 0 },
		{ "p/1-2-3/", 0 },
		{ "p/1-2-3/0", 0 },
		{ "p/1-2-3/0-", 0 },
		{ "p/1-2-3/-13", 0 },
		{ "p/1-2-3/0-0", 0 },
		{ "p/1-2/0-13", 0 },
		{ "p/1-2-3-4/0-13", 0 },
		{ "p/1-2-3/0-13-5", 0 },
		{ "p/1-2-3/0-13/x", 0 },
		{ "p/1-2-3/0/13", 0 },
		{ "p/x/1-2-3/0-13", 0 },
		{ "p/1-2-3/0-13.zst", 0 },
		{ "p/1-2-3.pack/0-13", 0 },
		{ "p/x-2-3/0-13", 0 },
		{ "p/1--3/0-13", 0 },
		{ "p/01-2-3/0-13", 0 },
		{ "p/1-02-3/0-13", 0 },
		{ "p/1-2-00/0-13", 0 },
		{ "p/1-2-3/00-13", 0 },
		{ "p/1-2-3/07-13", 0 },
		{ "p/1-2-3/0-013", 0 },
		{ "p/9223372036854775808-2-3/0-13", 0 },
		{ "p/1-9223372036854775808-3/0-13", 0 },
		{ "p/1-2-18446744073709551616/0-13", 0 },
		{ "p/1-2-99999999999999999999/0-13", 0 },
		{ "p/1-2-3/9223372036854775808-1", 0 },
		{ "p/1-2-3/0-9223372036854775808", 0 },
		{ "p/1-2-3/9223372036854775807-1", 0 },
		{ "p/1-2-3/4611686018427387904-4611686018427387904", 0 },
		{ "p/1-2-3/99999999999999999999-1", 0 },
		{ "p/../0-13", 0 },
		{ "p/1-2-3/../../x", 0 },
		{ "p/./1-2-3/0-13", 0 },
		{ "p//1-2-3/0-13", 0 },
		{ "p/1-2-3//0-13", 0 },
		{ "p/1-2-3/0-13/", 0 },
		{ "p/1-2-3/+0-13", 0 },
		{ "p/1-2-3/0x10-13", 0 },
		{ "p/1-2-3/0-1e3", 0 },
		{ "p/1-2-3/ 0-13", 0 },
		{ "P/1-2-3/0-13", 0 },
		{ "packs/1-2-3.pack", 0 },
		{ "packs/x", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		is_int(logstore_key_valid(cases[i].key), cases[i].valid,
		    "key \"%s\" %s", cases[i].key,
		    cases[i].valid ? "accepted" : "refused");
}

/* Reads key: it must fail with a message holding path, offset and what. */
static int
read_fails(struct logstore *ls, const char *key, const char *path,
    const char *what)
{
	struct buf	 b;
	char		*cause = NULL;
	int		 r, good;

	r = read_log(ls, key, 4096, &b, &cause);
	good = (r == -1 && cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, "offset ") != NULL && strstr(cause, what) != NULL);
	tap_diag("%s: \"%s\"", key, cause != NULL ? cause : "no error");
	buf_free(&b);
	free(cause);
	return (good);
}

/* Text for log number k of a batch: a chunk, then k % 7 noise pieces. */
static size_t
batch_text(size_t k, char *text, size_t size)
{
	uint64_t	 x = k + 1;
	size_t		 n, j;

	snprintf(text, size, "%zu:0log %zu\n,", k + 8, k);
	n = strlen(text);
	for (j = 0; j < k % 7 && n + 300 <= size; j++) {
		noise(text + n, 300, &x);
		n += 300;
	}
	return (n);
}

static void
test_packed_round_trip(struct logstore *ls, const char *dir)
{
	struct logstore_writer	*w;
	struct buf		 big;
	char			*k_empty, *k_small, *k_big, *cause = NULL;
	char			 name[256], name2[256], *piece, *path;
	char			*keys[300], text[3000];
	long long		 off, len, off2, len2, o, l, end;
	uint64_t		 x = 2463534242ULL;
	size_t			 n, i, k, j;
	int			 contiguous, distinct, reads;
	static const char	 small[] = "6:0abcd\n,13:0partly \xe2\x98\x81y\n,1:0,";

	is_int(logstore_sync(ls, &cause), 0, "sync with no pack yet");
	is_int(count_entries(dir, "packs"), -1, "no pack before a packed log");

	w = logstore_create_packed(ls, &cause);
	k_empty = NULL;
	ok(w != NULL && logstore_commit_packed(w, &k_empty, &cause) == 0,
	    "empty packed log committed");
	ok(k_empty != NULL && logstore_key_valid(k_empty) &&
	    key_parts(k_empty, name, sizeof name, &off, &len) && off == 0 &&
	    len > 0, "first key \"%s\": valid, at offset 0",
	    k_empty != NULL ? k_empty : "");
	is_int(count_entries(dir, "packs"), 1, "one pack file");
	is_int(pack_size_of(dir, k_empty), len,
	    "the pack holds exactly the first frame");
	ok(log_is(ls, k_empty, "", 0, 16), "empty packed log reads back");

	k_small = put_packed(ls, small, sizeof small - 1);
	ok(key_parts(k_small, name2, sizeof name2, &off2, &len2) &&
	    strcmp(name, name2) == 0 && off2 == off + len,
	    "small log follows in the same pack (%s)",
	    k_small != NULL ? k_small : "");
	ok(log_is(ls, k_small, small, sizeof small - 1, 4096),
	    "small packed log reads back byte for byte");
	ok(log_is(ls, k_small, small, sizeof small - 1, 1),
	    "small packed log reads back one byte at a time");
	ok(log_is(ls, k_empty, "", 0, 16), "the empty one still reads");

	/* About 20 MB: compressible text and noise in uneven writes. */
	piece = xmalloc(100000);
	buf_init(&big, 32 << 20);
	path = pack_of(dir, k_small);
	w = logstore_create_packed(ls, &cause);
	for (i = 0; w != NULL && big.len < (20 << 20); i++) {
		noise((char *)&n, sizeof n, &x);
		n %= 100000;
		if (i % 3 == 0)
			noise(piece, n, &x);
		else
			memset(piece, "abc\n"[i % 4], n);
		if (buf_add(&big, piece, n) != 0 ||
		    logstore_write(w, piece, n, &cause) != 0)
			break;
	}
	ok(w != NULL && big.len >= (20 << 20) &&
	    logstore_writer_size(w) == big.len, "20 MB written in %zu writes",
	    i);
	ok(file_size(path) > off2 + len2 + (1 << 20),
	    "a packed log streams into the pack as it is written");
	k_big = NULL;
	ok(w != NULL && logstore_commit_packed(w, &k_big, &cause) == 0,
	    "20 MB packed log committed");
	ok(key_parts(k_big, name2, sizeof name2, &off, &len) &&
	    strcmp(name, name2) == 0 && off == off2 + len2 &&
	    len < (long long)big.len && file_size(path) == off + len,
	    "its key (%s) spans the rest of the pack",
	    k_big != NULL ? k_big : "");
	ok(log_is(ls, k_big, big.data, big.len, 65536),
	    "20 MB packed log reads back byte for byte");
	ok(log_is(ls, k_big, big.data, big.len, 1000003),
	    "20 MB packed log reads back with 1 MB reads");
	is_int(stored_size(ls, k_big), len, "stat gives the frame's length");
	is_int(logstore_sync(ls, &cause), 0, "sync");
	buf_free(&big);
	free(piece);

	/* Many logs: back-to-back ranges, each read on its own. */
	contiguous = distinct = reads = 1;
	end = off + len;
	for (k = 0; k < 300; k++) {
		n = batch_text(k, text, sizeof text);
		keys[k] = put_packed(ls, text, n);
		if (!key_parts(keys[k], name2, sizeof name2, &o, &l) ||
		    strcmp(name2, name) != 0 || o != end)
			contiguous = 0;
		end = o + l;
		for (j = 0; j < k; j++) {
			if (keys[j] != NULL && keys[k] != NULL &&
			    strcmp(keys[j], keys[k]) == 0)
				distinct = 0;
		}
	}
	for (k = 300; k-- > 0;) {
		n = batch_text(k, text, sizeof text);
		if (!log_is(ls, keys[k], text, n, 4096))
			reads = 0;
		free(keys[k]);
	}
	ok(contiguous, "300 logs in the same pack, back to back");
	ok(distinct, "300 distinct keys");
	ok(reads, "each reads back on its own, last first");
	is_int(file_size(path), end, "the pack ends with the last log");
	free(path);
	free(k_empty);
	free(k_small);
	free(k_big);
	free(cause);
}

/*
 * Writers that end badly (abort, failed write, wrong commit) leave the pack
 * cut back to where their log began, and the next log starts there.
 */
static void
test_packed_abort(struct logstore *ls, const char *dir)
{
	struct logstore_writer	*w, *w2, *fw;
	struct rlimit		 old, lim;
	char			*key, *k2, *path, *cause = NULL, *buf;
	char			 name[256], name2[256];
	long long		 off, len, end, o, l;
	uint64_t		 x = 77;
	size_t			 blen = 1 << 20;
	int			 r;

	buf = xmalloc(blen);
	noise(buf, blen, &x);
	key = put_packed(ls, "2:0a,", 5);
	if (!key_parts(key, name, sizeof name, &off, &len))
		fatalx("no packed key");
	end = off + len;
	path = pack_of(dir, key);

	w = logstore_create_packed(ls, &cause);
	ok(w != NULL, "packed writer");
	w2 = logstore_create_packed(ls, &cause);
	ok(w2 == NULL && cause != NULL && strstr(cause, "already"),
	    "a second packed writer on the store is refused: \"%s\"",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	ok(put_log(ls, "kk/file", "2:0f,", 5) == 0 &&
	    log_is(ls, "kk/file", "2:0f,", 5, 64),
	    "a file log can be written meanwhile");
	ok(w != NULL && logstore_write(w, buf, blen, &cause) == 0 &&
	    file_size(path) > end, "1 MB went into the pack (%lld bytes)",
	    file_size(path));
	logstore_abort(w);
	is_int(file_size(path), end, "abort cuts the pack back");
	k2 = put_packed(ls, "2:0b,", 5);
	ok(key_parts(k2, name2, sizeof name2, &o, &l) &&
	    strcmp(name, name2) == 0 && o == end,
	    "the next log starts where the aborted one did (%s)",
	    k2 != NULL ? k2 : "");
	ok(log_is(ls, k2, "2:0b,", 5, 64) && log_is(ls, key, "2:0a,", 5, 64),
	    "and it and the one before read back");
	end = o + l;
	free(k2);

	/* A write the file system refuses (the limit stands in for ENOSPC). */
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("getrlimit");
	lim = old;
	lim.rlim_cur = (rlim_t)end + (64 << 10);
	w = logstore_create_packed(ls, &cause);
	if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
		fatal("setrlimit");
	r = (w == NULL) ? 0 : logstore_write(w, buf, blen, &cause);
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("setrlimit");
	signal(SIGXFSZ, SIG_DFL);
	ok(w != NULL && r == -1 && cause != NULL, "write past the limit "
	    "fails: \"%s\"", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	k2 = (char *)1;
	ok(w != NULL && logstore_commit_packed(w, &k2, &cause) == -1 &&
	    k2 == NULL && cause != NULL, "the failed writer cannot commit");
	free(cause);
	cause = NULL;
	is_int(file_size(path), end, "the pack is cut back");
	k2 = put_packed(ls, "2:0c,", 5);
	ok(key_parts(k2, name2, sizeof name2, &o, &l) &&
	    strcmp(name, name2) == 0 && o == end && log_is(ls, k2, "2:0c,",
	    5, 64), "the next log starts there and reads back");
	end = o + l;
	free(k2);

	/* Commit with the wrong function. */
	w = logstore_create_packed(ls, &cause);
	ok(w != NULL && logstore_write(w, buf, 1000, &cause) == 0 &&
	    logstore_commit(w, &cause) == -1 && cause != NULL,
	    "logstore_commit refuses a packed writer");
	free(cause);
	cause = NULL;
	is_int(file_size(path), end, "and cuts it back");
	fw = logstore_create(ls, "kk/wrong", &cause);
	k2 = (char *)1;
	ok(fw != NULL && logstore_commit_packed(fw, &k2, &cause) == -1 &&
	    k2 == NULL && cause != NULL,
	    "logstore_commit_packed refuses a file writer");
	free(cause);
	cause = NULL;
	is_int(logstore_stat(ls, "kk/wrong", NULL, &cause), 0,
	    "and leaves no log");
	is_int(count_entries(dir, "kk"), 1, "nor a temporary");

	/* Packed keys name no file. */
	w = logstore_create(ls, key, &cause);
	ok(w == NULL && cause != NULL && strstr(cause, "packed"),
	    "logstore_create refuses a packed key: \"%s\"",
	    cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	ok(logstore_append(ls, key, "x", 1, &cause) == -1 && cause != NULL,
	    "logstore_append refuses a packed key");
	free(cause);
	ok(log_is(ls, key, "2:0a,", 5, 64), "the log is untouched");
	free(path);
	free(key);
	free(buf);
}

/* A store moves on to a new pack once its pack reaches the pack size. */
static void
test_packed_rotation(const char *tmp)
{
	struct logstore	*ls;
	char		*dir, *cause = NULL, *keys[40], piece[10000];
	char		 name[256], prev[256];
	long long	 o, l, end = 0, biggest = 0;
	uint64_t	 x = 99;
	size_t		 k;
	int		 packs = 0, good = 1, reads = 1;

	xasprintf(&dir, "%s/rotation", tmp);
	if ((ls = logstore_open(dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	logstore_set_pack_size(ls, 64 << 10);
	prev[0] = '\0';
	for (k = 0; k < 40; k++) {
		noise(piece, sizeof piece, &x);
		keys[k] = put_packed(ls, piece, sizeof piece);
		if (!key_parts(keys[k], name, sizeof name, &o, &l)) {
			good = 0;
			continue;
		}
		if (k == 0 || end >= (64 << 10)) {
			if (o != 0 || strcmp(name, prev) == 0)
				good = 0;
			packs++;
		} else if (o != end || strcmp(name, prev) != 0)
			good = 0;
		end = o + l;
		if (end > biggest)
			biggest = end;
		snprintf(prev, sizeof prev, "%s", name);
	}
	ok(good, "every log lands in the current pack until it reaches "
	    "64 KiB, then at offset 0 of a new one");
	ok(packs >= 5, "%d packs for 40 logs of 10000 noise bytes", packs);
	is_int(count_entries(dir, "packs"), packs, "as many pack files");
	ok(biggest < (64 << 10) + (long long)sizeof piece + 100,
	    "a pack overshoots by at most one log (%lld bytes)", biggest);
	x = 99;
	for (k = 0; k < 40; k++) {
		noise(piece, sizeof piece, &x);
		if (!log_is(ls, keys[k], piece, sizeof piece, 4096))
			reads = 0;
		free(keys[k]);
	}
	ok(reads, "every key of every pack reads back");

	logstore_set_pack_size(ls, 1);
	keys[0] = put_packed(ls, "2:0a,", 5);
	keys[1] = put_packed(ls, "2:0b,", 5);
	ok(key_parts(keys[0], name, sizeof name, &o, &l) && o == 0 &&
	    key_parts(keys[1], prev, sizeof prev, &o, &l) && o == 0 &&
	    strcmp(name, prev) != 0, "pack size 1: a pack per log");
	logstore_set_pack_size(ls, 0);
	keys[2] = put_packed(ls, "2:0c,", 5);
	keys[3] = put_packed(ls, "2:0d,", 5);
	ok(key_parts(keys[2], name, sizeof name, &o, &l) &&
	    key_parts(keys[3], prev, sizeof prev, &o, &l) && o > 0 &&
	    strcmp(name, prev) == 0, "pack size 0: back to the default");
	for (k = 0; k < 4; k++)
		free(keys[k]);
	logstore_close(ls);
	free(dir);
}

/*
 * Two stores on one directory (two threads or processes) write their own
 * packs, and a store inherited by a child process does not write into its
 * parent's pack.
 */
static void
test_packed_two_stores(const char *tmp)
{
	struct logstore		*a, *b;
	struct logstore_writer	*wa, *wb;
	char			*dir, *cause = NULL, *ka = NULL, *kb = NULL;
	char			*kc, *kd, na[256], nb[256], pidpart[64];
	char			 got[256], want[700];
	long long		 o, l, end;
	ssize_t			 n;
	pid_t			 pid;
	int			 fds[2], status, i, wrote = 1;

	xasprintf(&dir, "%s/two", tmp);
	if ((a = logstore_open(dir, 1, &cause)) == NULL ||
	    (b = logstore_open(dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	wa = logstore_create_packed(a, &cause);
	wb = logstore_create_packed(b, &cause);
	for (i = 0; wa != NULL && wb != NULL && i < 100; i++) {
		if (logstore_write(wa, "4:0aa\n,", 7, &cause) != 0 ||
		    logstore_write(wb, "4:0bb\n,", 7, &cause) != 0)
			wrote = 0;
	}
	ok(wa != NULL && wb != NULL && wrote &&
	    logstore_commit_packed(wb, &kb, &cause) == 0 &&
	    logstore_commit_packed(wa, &ka, &cause) == 0,
	    "two stores write packed logs at the same time");
	ok(key_parts(ka, na, sizeof na, &o, &l) && o == 0 &&
	    key_parts(kb, nb, sizeof nb, &o, &l) && o == 0 &&
	    strcmp(na, nb) != 0, "each into its own pack (%s, %s)",
	    ka != NULL ? ka : "", kb != NULL ? kb : "");
	is_int(count_entries(dir, "packs"), 2, "two pack files");
	for (i = 0; i < 100; i++)
		memcpy(want + i * 7, "4:0aa\n,", 7);
	ok(log_is(b, ka, want, 700, 4096), "a's log read through b");
	for (i = 0; i < 100; i++)
		memcpy(want + i * 7, "4:0bb\n,", 7);
	ok(log_is(a, kb, want, 700, 4096), "b's log read through a");
	logstore_close(b);

	/* A child inheriting store a (and its open pack). */
	if (pipe(fds) != 0)
		fatal("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(fds[0]);
		kc = put_packed(a, "3:0cc,", 6);
		if (kc == NULL || write(fds[1], kc, strlen(kc)) == -1)
			_exit(1);
		free(kc);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], got, sizeof got - 1);
	close(fds[0]);
	got[n > 0 ? n : 0] = '\0';
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 && n > 0, "child wrote a packed log "
	    "through the inherited store: %s", got);
	snprintf(pidpart, sizeof pidpart, "-%ld-", (long)pid);
	ok(key_parts(got, nb, sizeof nb, &o, &l) && o == 0 &&
	    strcmp(nb, na) != 0 && strstr(nb, pidpart) != NULL,
	    "into a new pack of its own, named with its pid");
	ok(log_is(a, got, "3:0cc,", 6, 64), "the parent reads it");
	if (!key_parts(ka, na, sizeof na, &o, &l))
		fatalx("bad key");
	end = o + l;
	is_int(pack_size_of(dir, ka), end, "the parent's pack is untouched");
	kd = put_packed(a, "3:0dd,", 6);
	ok(key_parts(kd, nb, sizeof nb, &o, &l) && strcmp(na, nb) == 0 &&
	    o == end && log_is(a, kd, "3:0dd,", 6, 64),
	    "the parent goes on in its own pack");
	free(kd);
	logstore_close(a);
	free(ka);
	free(kb);
	free(dir);
}

static void
test_packed_damage(const char *tmp)
{
	struct logstore		*ls;
	struct logstore_reader	*r;
	struct stat		 st;
	char			*dir, *cause = NULL, *k[5], *bad, *path, *big;
	char			 text[50000], name[256];
	long long		 off[5], len[5], freed;
	int64_t			 size = 42;
	uint64_t		 x = 5;
	size_t			 i, blen = 2 << 20;

	xasprintf(&dir, "%s/damage", tmp);
	if ((ls = logstore_open(dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	for (i = 0; i < sizeof text; i++)
		text[i] = (char)("0123456789\n"[i % 11] + (i / 997) % 3);
	big = xmalloc(blen);
	noise(big, blen, &x);
	k[0] = put_packed(ls, text, sizeof text);
	k[1] = put_packed(ls, "2:0b,", 5);
	k[2] = put_packed(ls, text, 1000);
	k[3] = put_packed(ls, big, blen);
	k[4] = put_packed(ls, text, sizeof text);
	for (i = 0; i < 5; i++) {
		if (!key_parts(k[i], name, sizeof name, &off[i], &len[i]))
			fatalx("no packed key");
	}
	path = pack_of(dir, k[0]);

	bad = other_range(k[0], off[0], len[0] - 1);
	ok(read_fails(ls, bad, path, "truncated"), "length one short");
	free(bad);
	bad = other_range(k[0], off[0], len[0] + 1);
	ok(read_fails(ls, bad, path, "corrupt"), "length one long");
	free(bad);
	bad = other_range(k[0], off[0] + 1, len[0] - 1);
	ok(read_fails(ls, bad, path, "corrupt"), "offset one late");
	free(bad);
	bad = other_range(k[1], off[1] - 1, len[1] + 1);
	ok(read_fails(ls, bad, path, "corrupt"), "offset one early");
	free(bad);
	bad = other_range(k[4], off[4], len[4] + 1);
	ok(read_fails(ls, bad, path, "truncated"),
	    "length past the end of the pack");
	is_int(logstore_stat(ls, bad, NULL, &cause), 0,
	    "stat: a range past the end of the pack is no log");
	free(bad);
	bad = other_range(k[4], off[4] + len[4], 13);
	ok(read_fails(ls, bad, path, "truncated"),
	    "offset at the end of the pack");
	free(bad);
	r = logstore_open_read(ls, "p/1-2-3/0-13", &cause);
	ok(r == NULL && cause != NULL &&
	    strcmp(cause, "p/1-2-3/0-13: no such log") == 0,
	    "a key of a missing pack: \"%s\"", cause ? cause : "");
	free(cause);
	cause = NULL;
	is_int(logstore_stat(ls, k[2], &size, &cause), 1, "stat of a key");
	is_int(size, len[2], "gives the frame's length");
	size = 42;
	is_int(logstore_stat(ls, "p/1-2-3/0-13", &size, &cause), 0,
	    "stat of a key of a missing pack");
	is_int(size, 42, "leaves size alone");
	is_int(logstore_stat(ls, "p/1-2-3/0-0", NULL, &cause), -1,
	    "stat of an invalid packed key fails");
	free(cause);
	cause = NULL;

	/* Removing punches holes; neighbours stay readable. */
	is_int(logstore_remove(ls, k[1], &cause), 0, "remove a small log");
	ok(read_fails(ls, k[1], path, "corrupt"),
	    "reading it gives an error");
	if (stat(path, &st) != 0)
		fatal("%s", path);
	freed = (long long)st.st_blocks;
	is_int(logstore_remove(ls, k[3], &cause), 0, "remove a 2 MB log");
	if (stat(path, &st) != 0)
		fatal("%s", path);
	freed = (freed - (long long)st.st_blocks) * 512;
	ok(freed >= len[3] - 8192, "its space is freed (%lld of %lld bytes)",
	    freed, len[3]);
	is_int(file_size(path), off[4] + len[4], "the pack keeps its size");
	ok(read_fails(ls, k[3], path, "corrupt"),
	    "reading it gives an error");
	ok(log_is(ls, k[0], text, sizeof text, 4096) &&
	    log_is(ls, k[2], text, 1000, 4096) &&
	    log_is(ls, k[4], text, sizeof text, 4096),
	    "the logs around them still read back");
	is_int(logstore_remove(ls, k[1], &cause), 0, "remove it again");
	is_int(logstore_remove(ls, "p/1-2-3/0-13", &cause), 0,
	    "remove a key of a missing pack");
	is_int(logstore_remove(ls, "p/1-2-3/00-13", &cause), -1,
	    "remove an invalid packed key fails");
	free(cause);
	cause = NULL;

	/* A pack cut short (say, restored from a partial copy). */
	if (truncate(path, off[4] + len[4] / 2) != 0)
		fatal("truncate");
	ok(read_fails(ls, k[4], path, "truncated"), "pack cut in a frame");
	is_int(logstore_stat(ls, k[4], NULL, &cause), 0,
	    "stat: the cut log is no more");
	ok(log_is(ls, k[2], text, 1000, 4096), "the log before it reads");
	if (truncate(path, off[4] + 3) != 0)
		fatal("truncate");
	ok(read_fails(ls, k[4], path, "truncated"),
	    "pack cut in a frame header");
	if (truncate(path, off[4]) != 0)
		fatal("truncate");
	ok(read_fails(ls, k[4], path, "truncated"),
	    "pack cut where the frame starts");

	for (i = 0; i < 5; i++)
		free(k[i]);
	free(big);
	free(path);
	logstore_close(ls);
	free(dir);
}

/* Keys outlive the store: a reopened store reads them, writes a new pack. */
static void
test_packed_reopen(const char *tmp)
{
	struct logstore	*ls;
	char		*dir, *cause = NULL, *k1, *k2, *k3;
	char		 n1[256], n3[256];
	long long	 o, l, size;

	xasprintf(&dir, "%s/reopen", tmp);
	if ((ls = logstore_open(dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	logstore_set_sync(ls, 1);
	k1 = put_packed(ls, "2:0a,", 5);
	logstore_set_sync(ls, 0);
	k2 = put_packed(ls, "2:0b,", 5);
	ok(k1 != NULL && k2 != NULL && logstore_sync(ls, &cause) == 0,
	    "one log synced at commit, one by logstore_sync");
	logstore_close(ls);
	size = pack_size_of(dir, k2);

	if ((ls = logstore_open(dir, 0, &cause)) == NULL)
		fatalx("%s", cause);
	ok(log_is(ls, k1, "2:0a,", 5, 64) && log_is(ls, k2, "2:0b,", 5, 64),
	    "a reopened store reads the old keys");
	k3 = put_packed(ls, "2:0c,", 5);
	ok(key_parts(k1, n1, sizeof n1, &o, &l) &&
	    key_parts(k3, n3, sizeof n3, &o, &l) && o == 0 &&
	    strcmp(n1, n3) != 0, "and starts a new pack (%s)",
	    k3 != NULL ? k3 : "");
	is_int(pack_size_of(dir, k2), size, "the old pack is not written");
	is_int(count_entries(dir, "packs"), 2, "two packs");
	ok(log_is(ls, k3, "2:0c,", 5, 64), "the new log reads back");
	logstore_close(ls);
	free(k1);
	free(k2);
	free(k3);
	free(dir);
}

/*
 * Logs under 2 KiB are stored as zstd frames with one raw block, written
 * by logstore itself: zstd's own one-shot decoder (not the store's reader)
 * must read them back, with the content size declared, at every size
 * boundary of the frame header.
 */
static void
test_packed_tiny(struct logstore *ls, const char *dir)
{
	static const size_t	 sizes[] = { 0, 1, 255, 256, 257, 2047, 2048 };
	struct logstore_writer	*w;
	unsigned long long	 declared;
	char			*key, *cause = NULL, *path, name[64];
	char			 data[4096], frame[4096], out[4096];
	unsigned long long	 off, len;
	size_t			 i, j, got;
	FILE			*fp;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (j = 0; j < sizes[i]; j++)
			data[j] = (char)("0:log line\n"[j % 11] + (j / 11) % 3);
		if ((w = logstore_create_packed(ls, &cause)) == NULL ||
		    logstore_write(w, data, sizes[i], &cause) != 0 ||
		    logstore_commit_packed(w, &key, &cause) != 0) {
			ok(0, "tiny %zu: stored (%s)", sizes[i], cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (sscanf(key, "p/%63[^/]/%llu-%llu", name, &off, &len) != 3 ||
		    len > sizeof frame) {
			ok(0, "tiny %zu: key %s", sizes[i], key);
			free(key);
			continue;
		}
		xasprintf(&path, "%s/packs/%s.pack", dir, name);
		fp = fopen(path, "rb");
		got = 0;
		if (fp != NULL && fseek(fp, (long)off, SEEK_SET) == 0)
			got = fread(frame, 1, len, fp);
		if (fp != NULL)
			fclose(fp);
		declared = ZSTD_getFrameContentSize(frame, got);
		is_int(declared, sizes[i], "tiny %zu: frame declares its size",
		    sizes[i]);
		j = ZSTD_decompress(out, sizeof out, frame, got);
		ok(!ZSTD_isError(j) && j == sizes[i] &&
		    memcmp(out, data, sizes[i]) == 0,
		    "tiny %zu: zstd's own decoder reads it back", sizes[i]);
		free(path);
		free(key);
	}
}

int
main(void)
{
	struct logstore	*ls;
	char		 tmp[] = "/tmp/test-logstore.XXXXXX";
	char		*dir, *cmd, *cause = NULL;

	if (mkdtemp(tmp) == NULL)
		fatal("mkdtemp");
	test_keys();
	test_packed_keys();
	test_open(tmp);

	xasprintf(&dir, "%s/store", tmp);
	if ((ls = logstore_open(dir, 1, &cause)) == NULL)
		fatalx("%s", cause);
	test_round_trip(ls, dir);
	test_commit_abort(ls, dir);
	test_append(ls);
	test_damage(ls, dir);
	test_errors(ls);
	test_write_failure(ls, dir);
	test_options(ls);
	test_packed_round_trip(ls, dir);
	test_packed_abort(ls, dir);
	test_packed_tiny(ls, dir);
	logstore_close(ls);
	free(dir);
	test_packed_rotation(tmp);
	test_packed_two_stores(tmp);
	test_packed_damage(tmp);
	test_packed_reopen(tmp);

	xasprintf(&cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", tmp);
	free(cmd);
	return (tap_done());
}
