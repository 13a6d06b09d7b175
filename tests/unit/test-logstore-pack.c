/*
 * test-logstore-pack.c: packed logs (keys "p/<pack>/<offset>-<length>"):
 * key syntax, round trips, writers that end badly, tiny raw frames, pack
 * rotation, two stores on one directory, damaged packs and reopening.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "logstore.h"
#include "util.h"
#include "tap.h"
#include "test-logstore.h"

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

void
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

	r = ls_read_log(ls, key, 4096, &b, &cause);
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

void
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
	is_int(ls_count_entries(dir, "packs"), -1,
	    "no pack before a packed log");

	w = logstore_create_packed(ls, &cause);
	k_empty = NULL;
	ok(w != NULL && logstore_commit_packed(w, &k_empty, &cause) == 0,
	    "empty packed log committed");
	ok(k_empty != NULL && logstore_key_valid(k_empty) &&
	    key_parts(k_empty, name, sizeof name, &off, &len) && off == 0 &&
	    len > 0, "first key \"%s\": valid, at offset 0",
	    k_empty != NULL ? k_empty : "");
	is_int(ls_count_entries(dir, "packs"), 1, "one pack file");
	is_int(pack_size_of(dir, k_empty), len,
	    "the pack holds exactly the first frame");
	ok(ls_log_is(ls, k_empty, "", 0, 16), "empty packed log reads back");

	k_small = put_packed(ls, small, sizeof small - 1);
	ok(key_parts(k_small, name2, sizeof name2, &off2, &len2) &&
	    strcmp(name, name2) == 0 && off2 == off + len,
	    "small log follows in the same pack (%s)",
	    k_small != NULL ? k_small : "");
	ok(ls_log_is(ls, k_small, small, sizeof small - 1, 4096),
	    "small packed log reads back byte for byte");
	ok(ls_log_is(ls, k_small, small, sizeof small - 1, 1),
	    "small packed log reads back one byte at a time");
	ok(ls_log_is(ls, k_empty, "", 0, 16), "the empty one still reads");

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
	ok(ls_log_is(ls, k_big, big.data, big.len, 65536),
	    "20 MB packed log reads back byte for byte");
	ok(ls_log_is(ls, k_big, big.data, big.len, 1000003),
	    "20 MB packed log reads back with 1 MB reads");
	is_int(ls_stored_size(ls, k_big), len, "stat gives the frame's length");
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
		if (!ls_log_is(ls, keys[k], text, n, 4096))
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
void
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
	ok(ls_put_log(ls, "kk/file", "2:0f,", 5) == 0 &&
	    ls_log_is(ls, "kk/file", "2:0f,", 5, 64),
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
	ok(ls_log_is(ls, k2, "2:0b,", 5, 64) &&
	    ls_log_is(ls, key, "2:0a,", 5, 64),
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
	    strcmp(name, name2) == 0 && o == end && ls_log_is(ls, k2, "2:0c,",
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
	is_int(ls_count_entries(dir, "kk"), 1, "nor a temporary");

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
	ok(ls_log_is(ls, key, "2:0a,", 5, 64), "the log is untouched");
	free(path);
	free(key);
	free(buf);
}

/* A store moves on to a new pack once its pack reaches the pack size. */
void
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
	is_int(ls_count_entries(dir, "packs"), packs, "as many pack files");
	ok(biggest < (64 << 10) + (long long)sizeof piece + 100,
	    "a pack overshoots by at most one log (%lld bytes)", biggest);
	x = 99;
	for (k = 0; k < 40; k++) {
		noise(piece, sizeof piece, &x);
		if (!ls_log_is(ls, keys[k], piece, sizeof piece, 4096))
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
void
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
	is_int(ls_count_entries(dir, "packs"), 2, "two pack files");
	for (i = 0; i < 100; i++)
		memcpy(want + i * 7, "4:0aa\n,", 7);
	ok(ls_log_is(b, ka, want, 700, 4096), "a's log read through b");
	for (i = 0; i < 100; i++)
		memcpy(want + i * 7, "4:0bb\n,", 7);
	ok(ls_log_is(a, kb, want, 700, 4096), "b's log read through a");
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
	ok(ls_log_is(a, got, "3:0cc,", 6, 64), "the parent reads it");
	if (!key_parts(ka, na, sizeof na, &o, &l))
		fatalx("bad key");
	end = o + l;
	is_int(pack_size_of(dir, ka), end, "the parent's pack is untouched");
	kd = put_packed(a, "3:0dd,", 6);
	ok(key_parts(kd, nb, sizeof nb, &o, &l) && strcmp(na, nb) == 0 &&
	    o == end && ls_log_is(a, kd, "3:0dd,", 6, 64),
	    "the parent goes on in its own pack");
	free(kd);
	logstore_close(a);
	free(ka);
	free(kb);
	free(dir);
}

void
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
	ok(ls_log_is(ls, k[0], text, sizeof text, 4096) &&
	    ls_log_is(ls, k[2], text, 1000, 4096) &&
	    ls_log_is(ls, k[4], text, sizeof text, 4096),
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
	ok(ls_log_is(ls, k[2], text, 1000, 4096), "the log before it reads");
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
void
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
	ok(ls_log_is(ls, k1, "2:0a,", 5, 64) &&
	    ls_log_is(ls, k2, "2:0b,", 5, 64),
	    "a reopened store reads the old keys");
	k3 = put_packed(ls, "2:0c,", 5);
	ok(key_parts(k1, n1, sizeof n1, &o, &l) &&
	    key_parts(k3, n3, sizeof n3, &o, &l) && o == 0 &&
	    strcmp(n1, n3) != 0, "and starts a new pack (%s)",
	    k3 != NULL ? k3 : "");
	is_int(pack_size_of(dir, k2), size, "the old pack is not written");
	is_int(ls_count_entries(dir, "packs"), 2, "two packs");
	ok(ls_log_is(ls, k3, "2:0c,", 5, 64), "the new log reads back");
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
void
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
