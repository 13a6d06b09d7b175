/*
 * test-logstore-live.c: logstore_append_at, the live listener's way of
 * growing a log file in step with the size its database committed: frames
 * appended and read back, a crashed writer's leftovers cut back, a file
 * shorter than the database says refused, empty appends, failures that
 * leave the file as it was.
 */
#include "config.h"

#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logstore.h"
#include "util.h"
#include "tap.h"
#include "test-logstore.h"

/* Appends raw bytes to the file of key, as a crashed writer leaves them. */
static void
ls_leftover(const char *dir, const char *key, const void *data, size_t len)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s.zst", dir, key);
	if ((f = fopen(path, "ab")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fatal("%s", path);
	free(path);
}

static void
ls_add(struct buf *b, const void *data, size_t len)
{
	if (buf_add(b, data, len) != 0)
		fatalx("buf_add");
}

/* logstore_append_at as one call; -1 (with a diagnostic) on failure. */
static int64_t
ls_append_at(struct logstore *ls, const char *key, int64_t at,
    const void *data, size_t len)
{
	int64_t	 size = -1;
	char	*cause = NULL;

	if (logstore_append_at(ls, key, at, data, len, &size, &cause) != 0) {
		tap_diag("append_at %s at %lld: %s", key, (long long)at,
		    cause);
		free(cause);
		return (-1);
	}
	return (size);
}

/* Chunk-stream text: compressible, with a pattern shifting every 997. */
static char *
ls_text(size_t len)
{
	char	*text;
	size_t	 i;

	text = xmalloc(len);
	for (i = 0; i < len; i++)
		text[i] = (char)("0123456789\n"[i % 11] + (i / 997) % 3);
	return (text);
}

static void
test_append_at_basic(struct logstore *ls, const char *dir)
{
	struct buf	 want;
	char		*text, *msg, *cause = NULL;
	int64_t		 s1, s2, s3, s4, size;
	int		 r;
	static const char crash[] = "\x28\xb5\x2f\xfd\x20\x40garbage";

	buf_init(&want, 64 << 20);
	s1 = ls_append_at(ls, "aa/live", 0, "2:0a,", 5);
	ok(s1 > 0, "at 0 with no file creates it (%lld bytes)",
	    (long long)s1);
	is_int(ls_stored_size(ls, "aa/live"), s1,
	    "new size is the file's size");
	ok(ls_log_is(ls, "aa/live", "2:0a,", 5, 4096), "it reads back");
	ls_add(&want, "2:0a,", 5);

	text = ls_text(200000);
	s2 = ls_append_at(ls, "aa/live", s1, text, 200000);
	ok(s2 > s1 && s2 < s1 + 20000, "a 200000-byte frame is compressed "
	    "(%lld bytes)", (long long)(s2 - s1));
	is_int(ls_stored_size(ls, "aa/live"), s2, "the file has that size");
	ls_add(&want, text, 200000);
	ok(ls_log_is(ls, "aa/live", want.data, want.len, 4096),
	    "both frames read back in order");
	ok(ls_log_is(ls, "aa/live", want.data, want.len, 1),
	    "and one byte at a time");

	is_int(ls_append_at(ls, "aa/live", s2, NULL, 0), s2,
	    "len 0 appends nothing");
	is_int(ls_stored_size(ls, "aa/live"), s2, "the file is unchanged");

	/* A crash after the last commit: a partial frame past s2. */
	ls_leftover(dir, "aa/live", crash, sizeof crash - 1);
	ok(ls_stored_size(ls, "aa/live") > s2, "a crashed writer's leftover");
	ok(!ls_log_is(ls, "aa/live", want.data, want.len, 4096),
	    "makes the log unreadable");
	s3 = ls_append_at(ls, "aa/live", s2, "4:1bcd,", 7);
	ok(s3 > s2 && s3 - s2 < (int64_t)sizeof crash + 20,
	    "append_at at the committed size succeeds");
	is_int(ls_stored_size(ls, "aa/live"), s3, "the leftover was cut back");
	ls_add(&want, "4:1bcd,", 7);
	ok(ls_log_is(ls, "aa/live", want.data, want.len, 4096),
	    "and the log reads back whole");

	/* The same with nothing to append. */
	ls_leftover(dir, "aa/live", text, 3000);
	is_int(ls_append_at(ls, "aa/live", s3, "", 0), s3,
	    "len 0 after a crash: the committed size");
	is_int(ls_stored_size(ls, "aa/live"), s3, "the leftover was cut back");
	ok(ls_log_is(ls, "aa/live", want.data, want.len, 4096),
	    "the log reads back whole");

	/* The database says more than the file holds: committed data lost. */
	size = -7;
	ok(logstore_append_at(ls, "aa/live", s3 + 100, "2:0x,", 5, &size,
	    &cause) == -1, "a file shorter than the database says is refused");
	xasprintf(&msg, "log aa/live: file is %lld bytes, the database says "
	    "%lld", (long long)s3, (long long)(s3 + 100));
	is_str(cause, msg, "the message gives both sizes");
	free(msg);
	free(cause);
	cause = NULL;
	is_int(size, -7, "no new size on failure");
	is_int(ls_stored_size(ls, "aa/live"), s3, "the file is untouched");

	r = logstore_append_at(ls, "aa/gone", 10, "2:0x,", 5, &size, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, "aa/gone") &&
	    strstr(cause, "missing"), "a missing file with at > 0: \"%s\"",
	    cause != NULL ? cause : "no error");
	free(cause);
	cause = NULL;
	is_int(ls_stored_size(ls, "aa/gone"), -1, "and it is not created");

	/* at 0 over an existing file: everything in it was uncommitted. */
	s4 = ls_append_at(ls, "aa/live", 0, "2:0z,", 5);
	ok(s4 > 0 && s4 < s1 + 8, "at 0 over a file starts it again");
	ok(ls_log_is(ls, "aa/live", "2:0z,", 5, 4096),
	    "only the new frame is left");

	is_int(ls_append_at(ls, "ab/empty", 0, NULL, 0), 0,
	    "at 0 and len 0 with no file: size 0");
	is_int(ls_stored_size(ls, "ab/empty"), 0, "an empty file exists");
	ok(ls_log_is(ls, "ab/empty", "", 0, 64), "and reads back empty");

	free(text);
	buf_free(&want);
}

/* Sizes around the raw-frame limit, incompressible data, many frames. */
static void
test_append_at_many(struct logstore *ls)
{
	static const size_t	 sizes[] = {
		1, 255, 256, 257, 2047, 2048, 2049, 65536, 100000, 0, 3,
	};
	struct buf		 want;
	char			*noise;
	uint32_t		 x = 7;
	int64_t			 at = 0, next;
	size_t			 i, j, off = 0, total = 0, len = 300000;
	int			 good = 1;

	noise = xmalloc(len);
	for (i = 0; i < len; i++) {
		x = x * 1664525 + 1013904223;
		noise[i] = (char)(x >> 24);
	}
	buf_init(&want, 64 << 20);
	for (j = 0; j < 3; j++) {
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			if (off + sizes[i] > len)
				off = 0;
			next = ls_append_at(ls, "ac/many", at, noise + off,
			    sizes[i]);
			if (next < at)
				good = 0;
			at = next;
			ls_add(&want, noise + off, sizes[i]);
			off += sizes[i];
			total += sizes[i];
		}
	}
	ok(good, "33 appends of 0 to 100000 bytes");
	is_int(ls_stored_size(ls, "ac/many"), at, "the file has the last size");
	ok(at > (int64_t)total, "incompressible data costs a little more "
	    "(%lld for %zu bytes)", (long long)at, total);
	ok(ls_log_is(ls, "ac/many", want.data, want.len, 4096),
	    "every frame reads back in order");
	ok(ls_log_is(ls, "ac/many", want.data, want.len, 777),
	    "with reads of another size too");

	/* A few MB in one call, as a busy log gives between commits. */
	buf_free(&want);
	free(noise);
	noise = ls_text(3 << 20);
	at = ls_append_at(ls, "ac/big", 0, noise, 3 << 20);
	ok(at > 0 && at < (1 << 20), "3 MB in one frame (%lld bytes)",
	    (long long)at);
	next = ls_append_at(ls, "ac/big", at, noise, 1 << 20);
	ok(next > at, "then 1 MB more");
	buf_init(&want, 64 << 20);
	ls_add(&want, noise, 3 << 20);
	ls_add(&want, noise, 1 << 20);
	ok(ls_log_is(ls, "ac/big", want.data, want.len, 65536),
	    "4 MB read back");
	buf_free(&want);
	free(noise);
}

static void
test_append_at_errors(struct logstore *ls, const char *dir)
{
	struct rlimit	 old, small;
	char		*noise, *cause = NULL, *key;
	int64_t		 at, size = -7;
	uint32_t	 x = 3;
	size_t		 i, len = 1 << 20;
	int		 r;

	ok(logstore_append_at(ls, "p/1-2-3/0-10", 0, "x", 1, &size,
	    &cause) == -1 && cause != NULL, "a packed key is refused");
	free(cause);
	cause = NULL;
	ok(logstore_append_at(ls, "../x", 0, "x", 1, &size, &cause) == -1 &&
	    cause != NULL && strstr(cause, "invalid"),
	    "an invalid key is refused");
	free(cause);
	cause = NULL;
	ok(logstore_append_at(ls, "ad/neg", -1, "x", 1, &size, &cause) == -1 &&
	    cause != NULL, "a negative size is refused");
	free(cause);
	cause = NULL;
	is_int(ls_stored_size(ls, "ad/neg"), -1, "and creates nothing");

	/* A write that fails leaves the file at the committed size. */
	at = ls_append_at(ls, "ad/full", 0, "2:0a,", 5);
	noise = xmalloc(len);
	for (i = 0; i < len; i++) {
		x = x * 1664525 + 1013904223;
		noise[i] = (char)(x >> 24);
	}
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("getrlimit");
	small = old;
	small.rlim_cur = 64 << 10;
	if (setrlimit(RLIMIT_FSIZE, &small) != 0)
		fatal("setrlimit");
	r = logstore_append_at(ls, "ad/full", at, noise, len, &size, &cause);
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		fatal("setrlimit");
	signal(SIGXFSZ, SIG_DFL);
	ok(r == -1 && cause != NULL && strstr(cause, "offset"),
	    "a write past the file size limit fails: \"%s\"",
	    cause != NULL ? cause : "no error");
	free(cause);
	cause = NULL;
	is_int(ls_stored_size(ls, "ad/full"), at,
	    "the partial frame was cut back");
	ok(ls_log_is(ls, "ad/full", "2:0a,", 5, 64),
	    "the log is as it was");
	free(noise);

	/* Sync mode: a new file in a new directory, then more frames. */
	logstore_set_sync(ls, 1);
	key = xstrdup("ae/synced");
	at = ls_append_at(ls, key, 0, "2:0a,", 5);
	at = ls_append_at(ls, key, at, "2:0b,", 5);
	ok(at > 0 && ls_log_is(ls, key, "2:0a,2:0b,", 10, 64),
	    "with sync on, appends are written and read back");
	is_int(ls_count_entries(dir, "ae"), 1, "one file, no temporary");
	logstore_set_sync(ls, 0);
	free(key);
}

void
test_append_at(struct logstore *ls, const char *dir)
{
	test_append_at_basic(ls, dir);
	test_append_at_many(ls);
	test_append_at_errors(ls, dir);
}
