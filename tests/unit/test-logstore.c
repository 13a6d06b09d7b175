/*
 * test-logstore.c: keys, writing, committing, appending and reading back
 * logs stored as files under a temporary directory, and the errors a
 * damaged or missing log gives; main() runs these, the packed-log tests
 * of test-logstore-pack.c and the live-log tests of test-logstore-live.c.
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

#include "logstore.h"
#include "util.h"
#include "tap.h"
#include "test-logstore.h"

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
int
ls_read_log(struct logstore *ls, const char *key, size_t bufsize,
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

int
ls_log_is(struct logstore *ls, const char *key, const void *want, size_t len,
    size_t bufsize)
{
	struct buf	 b;
	char		*cause = NULL;
	int		 same;

	if (ls_read_log(ls, key, bufsize, &b, &cause) != 0) {
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

int
ls_put_log(struct logstore *ls, const char *key, const void *data, size_t len)
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

int64_t
ls_stored_size(struct logstore *ls, const char *key)
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
int
ls_count_entries(const char *dir, const char *sub)
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

	ok(ls_put_log(ls, "aa/small", small, sizeof small - 1) == 0,
	    "small log written");
	ok(ls_log_is(ls, "aa/small", small, sizeof small - 1, 4096),
	    "small log reads back byte for byte");
	ok(ls_log_is(ls, "aa/small", small, sizeof small - 1, 1),
	    "small log reads back one byte at a time");
	xasprintf(&path, "%s/aa/small.zst", dir);
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "stored as <dir>/<key>.zst");
	ok(ls_stored_size(ls, "aa/small") == (int64_t)st.st_size,
	    "stat gives the compressed size");
	free(path);

	w = logstore_create(ls, "aa/empty", &cause);
	ok(w != NULL && logstore_commit(w, &cause) == 0,
	    "empty log committed");
	is_int(logstore_stat(ls, "aa/empty", NULL, &cause), 1,
	    "empty log exists");
	ok(ls_log_is(ls, "aa/empty", "", 0, 16), "empty log reads back empty");

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
	ok(ls_log_is(ls, "bb/big", big.data, big.len, 65536),
	    "20 MB read back byte for byte");
	ok(ls_log_is(ls, "bb/big", big.data, big.len, 1000003),
	    "20 MB read back with 1 MB reads");
	ok(ls_stored_size(ls, "bb/big") < (int64_t)big.len,
	    "20 MB stored compressed (%lld bytes)",
	    (long long)ls_stored_size(ls, "bb/big"));
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
	is_int(ls_count_entries(dir, "cc"), 1, "one temporary file meanwhile");

	/* Two writers at once: the second gets its own compressor. */
	w2 = logstore_create(ls, "cc/other", &cause);
	ok(w2 != NULL && logstore_write(w2, "3:1bc,", 6, &cause) == 0 &&
	    logstore_commit(w2, &cause) == 0, "second writer meanwhile");
	ok(logstore_commit(w, &cause) == 0, "first writer committed");
	ok(ls_log_is(ls, "cc/pending", "2:0a,", 5, 64), "first log content");
	ok(ls_log_is(ls, "cc/other", "3:1bc,", 6, 64), "second log content");
	is_int(ls_count_entries(dir, "cc"), 2, "no temporary file left");

	ok(ls_put_log(ls, "cc/pending", "2:2z,", 5) == 0 &&
	    ls_log_is(ls, "cc/pending", "2:2z,", 5, 64),
	    "a new commit replaces the log");

	w = logstore_create(ls, "cc/pending", &cause);
	ok(w != NULL && logstore_write(w, "2:0q,", 5, &cause) == 0,
	    "writer to be aborted");
	logstore_abort(w);
	ok(ls_log_is(ls, "cc/pending", "2:2z,", 5, 64),
	    "abort keeps the previous log");
	is_int(ls_count_entries(dir, "cc"), 2, "abort removes the temporary");

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
	is_int(ls_count_entries(dir, "ce"), 1, "the crash left a temporary");
	is_int(logstore_stat(ls, "ce/crash", NULL, &cause), 0,
	    "stale temporary is not a log");
	r = logstore_open_read(ls, "ce/crash", &cause);
	ok(r == NULL && cause != NULL, "stale temporary cannot be read");
	free(cause);
	cause = NULL;
	ok(ls_put_log(ls, "ce/crash", "2:1b,", 5) == 0 &&
	    ls_log_is(ls, "ce/crash", "2:1b,", 5, 64),
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
	s1 = ls_stored_size(ls, "dd/live");
	ok(logstore_append(ls, "dd/live", "3:1b", 4, &cause) == 0 &&
	    logstore_append(ls, "dd/live", "", 0, &cause) == 0 &&
	    logstore_append(ls, "dd/live", "c,1:0,", 6, &cause) == 0,
	    "three more frames, one empty");
	s2 = ls_stored_size(ls, "dd/live");
	ok(s1 > 0 && s2 > s1, "the file grew (%lld then %lld bytes)",
	    (long long)s1, (long long)s2);
	ok(ls_log_is(ls, "dd/live", want, sizeof want - 1, 4096),
	    "all frames read back in order");
	ok(ls_log_is(ls, "dd/live", want, sizeof want - 1, 1),
	    "all frames read back one byte at a time");

	ok(ls_put_log(ls, "dd/grown", "2:0a,", 5) == 0 &&
	    logstore_append(ls, "dd/grown", "2:0b,", 5, &cause) == 0 &&
	    ls_log_is(ls, "dd/grown", "2:0a,2:0b,", 10, 64),
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
	int64_t		 size, cuts[4];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof text; i++)
		text[i] = (char)("0123456789\n"[i % 11] + (i / 997) % 3);
	if (ls_put_log(ls, "ee/whole", text, sizeof text) != 0)
		fatalx("cannot write ee/whole");
	size = ls_stored_size(ls, "ee/whole");
	cuts[0] = 1;
	cuts[1] = size / 2;
	cuts[2] = size - 1;
	cuts[3] = size - 4;
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		if (ls_put_log(ls, "ee/cut", text, sizeof text) != 0)
			fatalx("cannot write ee/cut");
		damage(dir, "ee/cut", (off_t)cuts[i]);
		r = ls_read_log(ls, "ee/cut", 4096, &b, &cause);
		ok(r == -1 && cause != NULL && strstr(cause, "ee/cut.zst") &&
		    strstr(cause, "offset "), "cut to %lld of %lld bytes: "
		    "\"%s\"", (long long)cuts[i], (long long)size,
		    cause ? cause : "no error");
		buf_free(&b);
		free(cause);
		cause = NULL;
	}

	/* No frame at all is an empty log (a live log before its text). */
	if (ls_put_log(ls, "ee/cut", text, sizeof text) != 0)
		fatalx("cannot write ee/cut");
	damage(dir, "ee/cut", 0);
	r = ls_read_log(ls, "ee/cut", 4096, &b, &cause);
	ok(r == 0 && b.len == 0, "cut to 0 bytes: an empty log");
	buf_free(&b);
	free(cause);
	cause = NULL;

	if (ls_put_log(ls, "ee/flip", text, sizeof text) != 0)
		fatalx("cannot write ee/flip");
	damage(dir, "ee/flip", -(size / 2) - 1);
	r = ls_read_log(ls, "ee/flip", 4096, &b, &cause);
	ok(r == -1 && cause != NULL, "flipped byte detected: \"%s\"",
	    cause ? cause : "no error");
	buf_free(&b);
	free(cause);
	cause = NULL;

	/* A crash during an append leaves a partial last frame. */
	if (logstore_append(ls, "ee/live", "2:0a,", 5, &cause) != 0)
		fatalx("append: %s", cause);
	size = ls_stored_size(ls, "ee/live");
	if (logstore_append(ls, "ee/live", text, sizeof text, &cause) != 0)
		fatalx("append: %s", cause);
	damage(dir, "ee/live", (off_t)(size + 10));
	r = ls_read_log(ls, "ee/live", 4096, &b, &cause);
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

	ok(ls_put_log(ls, "ff/gone", "2:0a,", 5) == 0, "log to remove");
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
	if (ls_put_log(ls, "hh/live", "2:0a,", 5) != 0)
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
	is_int(ls_count_entries(dir, "hh"), 1, "and no temporary left");

	if (setrlimit(RLIMIT_FSIZE, &small) != 0)
		fatal("setrlimit");
	r = logstore_append(ls, "hh/live", noise, len, &cause);
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("setrlimit");
	ok(r == -1 && cause != NULL, "append past the limit fails");
	free(cause);
	ok(ls_log_is(ls, "hh/live", "2:0a,", 5, 64),
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
	if (ls_put_log(ls, "gg/fast", text, len) != 0)
		fatalx("gg/fast");
	logstore_set_level(ls, 19);
	logstore_set_sync(ls, 1);
	if (ls_put_log(ls, "gg/small", text, len) != 0)
		fatalx("gg/small");
	ok(logstore_append(ls, "gg/synced", "2:0a,", 5, &cause) == 0,
	    "append with sync");
	logstore_set_sync(ls, 0);
	logstore_set_level(ls, 1000);
	ok(ls_put_log(ls, "gg/clamped", "2:0a,", 5) == 0 &&
	    ls_log_is(ls, "gg/clamped", "2:0a,", 5, 64),
	    "out of range level is clamped");
	logstore_set_level(ls, LOGSTORE_LEVEL_DEFAULT);
	fast = ls_stored_size(ls, "gg/fast");
	small = ls_stored_size(ls, "gg/small");
	ok(small > 0 && small < fast, "level 19 (%lld bytes) smaller than "
	    "level 1 (%lld)", (long long)small, (long long)fast);
	ok(ls_log_is(ls, "gg/fast", text, len, 8192) &&
	    ls_log_is(ls, "gg/small", text, len, 8192), "both read back");

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
	test_append_at(ls, dir);
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
