/*
 * test-logfile-open.c: logfile_open's preference order (bz2, gz, raw; .tmp
 * ignored), missing logs and refused names, compressed, truncated, corrupt
 * and concatenated files, and every log of the master-0-7-5, v082 and
 * v087p1 fixtures.
 */
#include "config.h"

#include <sys/stat.h>

#include <bzlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "logfile.h"
#include "util.h"
#include "tap.h"
#include "test-logfile.h"

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		fatal("%s", path);
	if (len != 0 && fwrite(data, 1, len, f) != len)
		fatal("%s", path);
	if (fclose(f) != 0)
		fatal("%s", path);
}

static char *
bz2_compress(const void *data, size_t len, int level, size_t *outlen)
{
	unsigned int	 n;
	char		*out;

	n = (unsigned int)(len + len / 100 + 600);
	out = xmalloc(n);
	if (BZ2_bzBuffToBuffCompress(out, &n, (char *)(uintptr_t)data,
	    (unsigned int)len, level, 0, 0) != BZ_OK)
		fatalx("BZ2_bzBuffToBuffCompress");
	*outlen = n;
	return (out);
}

static char *
gz_compress(const void *data, size_t len, size_t *outlen)
{
	z_stream	 z;
	char		*out;
	size_t		 cap;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2");
	cap = deflateBound(&z, (uLong)len) + 64;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		fatalx("deflate");
	*outlen = z.total_out;
	deflateEnd(&z);
	return (out);
}

/* Reads the whole content with reads of bufsize bytes. */
static int
read_all(struct logfile *lf, size_t bufsize, struct buf *out, char **cause)
{
	char	*tmp;
	ssize_t	 n;

	buf_init(out, 256 << 20);
	tmp = xmalloc(bufsize);
	while ((n = logfile_read(lf, tmp, bufsize, cause)) > 0) {
		if (buf_add(out, tmp, (size_t)n) != 0)
			fatalx("content too large");
	}
	free(tmp);
	if (out->data == NULL && buf_add(out, "", 0) != 0)
		fatalx("buf_add");
	return (n == 0 ? 0 : -1);
}

/* Opens dir/name and checks the format and the content. */
static void
check_open(const char *dir, const char *name, enum logfile_format format,
    const char *want, const char *what)
{
	struct logfile	*lf;
	struct buf	 b;
	char		*cause = NULL;

	lf = logfile_open(dir, name, &cause);
	if (!ok(lf != NULL, "%s: opened", what)) {
		tap_diag("%s", cause != NULL ? cause : "missing");
		free(cause);
		return;
	}
	is_str(logfile_format_name(logfile_format(lf)),
	    logfile_format_name(format), "%s: format", what);
	ok(read_all(lf, 3, &b, &cause) == 0 && b.len == strlen(want) &&
	    memcmp(b.data, want, b.len) == 0, "%s: content", what);
	buf_free(&b);
	free(cause);
	logfile_close(lf);
}

static char *
join(const char *dir, const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", dir, name);
	return (path);
}

static void
put(const char *dir, const char *name, const void *data, size_t len)
{
	char	*path;

	path = join(dir, name);
	write_file(path, data, len);
	free(path);
}

static void
put_bz2(const char *dir, const char *name, const char *text)
{
	char	*z;
	size_t	 zlen;

	z = bz2_compress(text, strlen(text), 9, &zlen);
	put(dir, name, z, zlen);
	free(z);
}

static void
put_gz(const char *dir, const char *name, const char *text)
{
	char	*z;
	size_t	 zlen;

	z = gz_compress(text, strlen(text), &zlen);
	put(dir, name, z, zlen);
	free(z);
}

void
test_open_order(const char *tmp)
{
	static const char	*raw = "4:0raw,", *bz = "4:0bz2,";
	static const char	*gz = "3:0gz,", *tmpbz = "4:0tmp,";
	struct logfile		*lf;
	char			*cause, *path;
	const char		*name = "3-log-test-stdio";

	cause = (char *)1;
	lf = logfile_open(tmp, name, &cause);
	ok(lf == NULL && cause == NULL, "missing log: NULL without cause");

	put_bz2(tmp, "3-log-test-stdio.bz2.tmp", tmpbz);
	put_gz(tmp, "3-log-test-stdio.gz.tmp", tmpbz);
	cause = (char *)1;
	lf = logfile_open(tmp, name, &cause);
	ok(lf == NULL && cause == NULL, "only .tmp files: missing");

	put(tmp, name, raw, strlen(raw));
	check_open(tmp, name, LOGFILE_RAW, raw, "raw only (tmp ignored)");
	lf = logfile_open(tmp, name, &cause);
	path = join(tmp, name);
	is_str(lf != NULL ? logfile_path(lf) : NULL, path, "raw path");
	free(path);
	logfile_close(lf);

	put_gz(tmp, "3-log-test-stdio.gz", gz);
	check_open(tmp, name, LOGFILE_GZ, gz, "gz preferred to raw");

	put_bz2(tmp, "3-log-test-stdio.bz2", bz);
	check_open(tmp, name, LOGFILE_BZ2, bz, "bz2 preferred to gz and raw");
	lf = logfile_open(tmp, name, &cause);
	path = join(tmp, "3-log-test-stdio.bz2");
	is_str(lf != NULL ? logfile_path(lf) : NULL, path, "bz2 path");
	free(path);
	logfile_close(lf);

	path = join(tmp, name);
	unlink(path);
	free(path);
	check_open(tmp, name, LOGFILE_BZ2, bz, "bz2 without raw");

	put(tmp, "4-log-empty-stdio", "", 0);
	check_open(tmp, "4-log-empty-stdio", LOGFILE_RAW, "",
	    "zero-byte raw file is an empty log");

	path = join(tmp, "5-log-dir-stdio");
	if (mkdir(path, 0700) != 0)
		fatal("mkdir %s", path);
	lf = logfile_open(tmp, "5-log-dir-stdio", &cause);
	ok(lf == NULL && cause != NULL && strstr(cause, "not a regular") !=
	    NULL, "directory in place of a log: error");
	free(cause);
	rmdir(path);
	free(path);

	lf = logfile_open(tmp, "../3-log-test-stdio", &cause);
	ok(lf == NULL && cause != NULL, "name with ../ refused");
	free(cause);
	lf = logfile_open(tmp, "sub/3-log", &cause);
	ok(lf == NULL && cause != NULL, "name with / refused");
	free(cause);
	lf = logfile_open(tmp, "..", &cause);
	ok(lf == NULL && cause != NULL, "name .. refused");
	free(cause);
	lf = logfile_open(tmp, "", &cause);
	ok(lf == NULL && cause != NULL, "empty name refused");
	free(cause);

	path = join(tmp, "6-log-noperm-stdio");
	write_file(path, raw, strlen(raw));
	chmod(path, 0);
	if (geteuid() != 0) {
		lf = logfile_open(tmp, "6-log-noperm-stdio", &cause);
		ok(lf == NULL && cause != NULL &&
		    strstr(cause, "6-log-noperm-stdio") != NULL,
		    "unreadable log: error naming it");
		free(cause);
	}
	unlink(path);
	free(path);
}

/* A stream of chunks big enough for several bzip2 blocks and input reads. */
static char *
make_stream(size_t target, size_t *len)
{
	struct buf	 b;
	char		 text[300];
	uint32_t	 x = 12345;
	size_t		 n, i;

	buf_init(&b, 0);
	while (b.len < target) {
		x = x * 1103515245 + 12345;
		n = 1 + (x >> 8) % (sizeof text - 1);
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			text[i] = (x >> 24) % 7 == 0 ? '\n' :
			    (char)('a' + (x >> 16) % 26);
		}
		if (buf_addf(&b, "%zu:%u", n + 1, (x >> 4) % 3) != 0 ||
		    buf_add(&b, text, n) != 0 || buf_add(&b, ",", 1) != 0)
			fatalx("buf_add");
	}
	return (buf_steal(&b, len));
}

/*
 * Opens dir/name and expects reading it to fail with a cause containing
 * what; if prefix is not NULL, the bytes before the error must be a
 * non-empty prefix of it.
 */
static void
expect_error_after(const char *dir, const char *name, const char *what,
    const char *label, const char *prefix, size_t prefixlen)
{
	struct logfile	*lf;
	struct buf	 b;
	char		*cause = NULL;
	int		 r;

	if ((lf = logfile_open(dir, name, &cause)) == NULL) {
		ok(0, "%s: open", label);
		free(cause);
		return;
	}
	r = read_all(lf, 65536, &b, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, what) != NULL &&
	    strstr(cause, name) != NULL && strstr(cause, "offset ") != NULL,
	    "%s: \"%s\"", label, cause != NULL ? cause : "(no error)");
	if (prefix != NULL) {
		ok(b.len > 0 && b.len <= prefixlen &&
		    memcmp(b.data, prefix, b.len) == 0,
		    "%s: the %zu bytes before the damage came first", label,
		    b.len);
	}
	free(cause);
	cause = NULL;
	ok(logfile_read(lf, b.data, 1, &cause) == -1,
	    "%s: read after the error fails", label);
	free(cause);
	buf_free(&b);
	logfile_close(lf);
}

static void
expect_error(const char *dir, const char *name, const char *what,
    const char *label)
{
	expect_error_after(dir, name, what, label, NULL, 0);
}

void
test_compressed(const char *tmp)
{
	struct logfile		*lf;
	struct logfile_parser	 p;
	struct buf		 b, both;
	char			*stream, *bz, *gz, *cause = NULL, *joined;
	size_t			 len, bzlen, gzlen, half;
	static const size_t	 sizes[] = { 1, 7, 4096, 1 << 20 };
	size_t			 i;
	int			 r;

	stream = make_stream(3 << 20, &len);
	logfile_parser_init(&p);
	r = logfile_parser_feed(&p, stream, len, NULL, NULL, &cause);
	ok(r == 0 && p.chunks > 1000 && logfile_parser_tail(&p) == 0,
	    "generated stream parses (%zu bytes)", len);

	bz = bz2_compress(stream, len, 1, &bzlen);
	gz = gz_compress(stream, len, &gzlen);
	put(tmp, "big.bz2", bz, bzlen);
	put(tmp, "big2.gz", gz, gzlen);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (sizes[i] == 1 && len > (1 << 20))
			continue;
		lf = logfile_open(tmp, "big", &cause);
		r = lf != NULL ? read_all(lf, sizes[i], &b, &cause) : -1;
		ok(r == 0 && b.len == len && memcmp(b.data, stream, len) == 0,
		    "bz2 of %zu bytes (%zu compressed) with %zu-byte reads",
		    len, bzlen, sizes[i]);
		if (lf != NULL) {
			is_int(logfile_input_offset(lf), bzlen,
			    "bz2: whole file consumed");
			buf_free(&b);
		}
		logfile_close(lf);
		lf = logfile_open(tmp, "big2", &cause);
		r = lf != NULL ? read_all(lf, sizes[i], &b, &cause) : -1;
		ok(r == 0 && b.len == len && memcmp(b.data, stream, len) == 0,
		    "gz with %zu-byte reads", sizes[i]);
		if (lf != NULL)
			buf_free(&b);
		logfile_close(lf);
	}
	free(cause);
	cause = NULL;

	/* Truncation anywhere in the stream is an error, never a short log. */
	half = bzlen / 2;
	put(tmp, "trunc-bz.bz2", bz, half);
	expect_error_after(tmp, "trunc-bz", "truncated bzip2 stream",
	    "bz2 cut in half", stream, len);
	put(tmp, "trunc-bz-end.bz2", bz, bzlen - 1);
	expect_error(tmp, "trunc-bz-end", "truncated bzip2 stream",
	    "bz2 missing its last byte");
	put(tmp, "trunc-gz.gz", gz, gzlen / 2);
	expect_error_after(tmp, "trunc-gz", "truncated gzip stream",
	    "gz cut in half", stream, len);
	put(tmp, "trunc-gz-end.gz", gz, gzlen - 4);
	expect_error(tmp, "trunc-gz-end", "truncated gzip stream",
	    "gz missing its size trailer");
	put(tmp, "empty-bz.bz2", "", 0);
	expect_error(tmp, "empty-bz", "no bzip2 stream", "empty .bz2");
	put(tmp, "empty-gz.gz", "", 0);
	expect_error(tmp, "empty-gz", "no gzip stream", "empty .gz");

	bz[bzlen / 2] ^= 0x55;
	put(tmp, "corrupt.bz2", bz, bzlen);
	expect_error(tmp, "corrupt", "corrupt bzip2 data", "bz2 corrupted");
	bz[bzlen / 2] ^= 0x55;
	gz[gzlen - 6] ^= 0x01;
	put(tmp, "corrupt-gz.gz", gz, gzlen);
	expect_error(tmp, "corrupt-gz", "incorrect data check",
	    "gz with a bad CRC");
	gz[gzlen - 6] ^= 0x01;
	put(tmp, "notbz.bz2", "4:0raw,", 7);
	expect_error(tmp, "notbz", "not a bzip2 stream", "raw bytes in .bz2");

	free(bz);
	free(gz);
	free(stream);

	/* Concatenated streams read as one, as bzcat and gzip -d do. */
	/* bz holds the first stream, gz (reused) the second. */
	bz = bz2_compress("2:0a,", 5, 9, &bzlen);
	gz = bz2_compress("3:1bc,", 6, 9, &gzlen);
	buf_init(&both, 0);
	if (buf_add(&both, bz, bzlen) != 0 || buf_add(&both, gz, gzlen) != 0)
		fatalx("buf_add");
	put(tmp, "cat.bz2", both.data, both.len);
	check_open(tmp, "cat", LOGFILE_BZ2, "2:0a,3:1bc,",
	    "concatenated bz2 streams");
	if (buf_add(&both, "junk", 4) != 0)
		fatalx("buf_add");
	put(tmp, "junk.bz2", both.data, both.len);
	expect_error(tmp, "junk", "trailing garbage after bzip2 stream",
	    "bz2 with trailing garbage");
	free(bz);
	free(gz);
	buf_reset(&both);

	/* gz holds the first member, bz (reused) the second. */
	gz = gz_compress("2:0a,", 5, &gzlen);
	bz = gz_compress("3:1bc,", 6, &bzlen);
	if (buf_add(&both, gz, gzlen) != 0 || buf_add(&both, bz, bzlen) != 0)
		fatalx("buf_add");
	put(tmp, "cat.gz", both.data, both.len);
	check_open(tmp, "cat", LOGFILE_BZ2, "2:0a,3:1bc,",
	    "bz2 still preferred when both are concatenations");
	joined = join(tmp, "cat.bz2");
	unlink(joined);
	free(joined);
	check_open(tmp, "cat", LOGFILE_GZ, "2:0a,3:1bc,",
	    "concatenated gzip members");
	if (buf_add(&both, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) != 0)
		fatalx("buf_add");
	put(tmp, "zeros.gz", both.data, both.len);
	expect_error(tmp, "zeros", "trailing garbage after gzip stream",
	    "gz with trailing zeros");

	/* The same from memory. */
	lf = logfile_open_memory(gz, gzlen, LOGFILE_GZ, "mem");
	ok(read_all(lf, 2, &b, &cause) == 0 && b.len == 5 &&
	    memcmp(b.data, "2:0a,", 5) == 0, "gzip from memory");
	is_str(logfile_path(lf), "mem", "memory label");
	buf_free(&b);
	logfile_close(lf);
	lf = logfile_open_memory(gz, gzlen - 1, LOGFILE_GZ, "mem");
	r = read_all(lf, 64, &b, &cause);
	ok(r == -1 && cause != NULL &&
	    strncmp(cause, "mem: offset ", 12) == 0,
	    "truncated gzip from memory: \"%s\"", cause ? cause : "");
	free(cause);
	buf_free(&b);
	logfile_close(lf);
	free(gz);
	free(bz);
	buf_free(&both);
}

/* Expected totals, counted once with an independent Python script. */
struct fixture_log {
	const char		*dir;
	const char		*name;
	enum logfile_format	 format;
	uint64_t		 size;		/* decompressed bytes */
	uint64_t		 chunks;
	uint64_t		 ch[3];
	uint64_t		 lines;
};

static const struct fixture_log fixture_logs[] = {
	{ "master-0-7-5/tbdir", "0-log-shell-stdio", LOGFILE_RAW, 4137, 3,
	  { 12, 0, 4108 }, 1 },
	{ "v082/builder", "0-log-git-stdio", LOGFILE_BZ2, 18534, 7,
	  { 72, 89, 18332 }, 4 },
	{ "v082/builder", "0-log-shell-stdio", LOGFILE_BZ2, 4517, 1,
	  { 0, 0, 4510 }, 0 },
	{ "v082/builder", "0-log-shell_1-stdio", LOGFILE_BZ2, 4526, 3,
	  { 4, 0, 4506 }, 1 },
	{ "v082/builder", "1-log-git-err.text", LOGFILE_RAW, 223, 1,
	  { 217, 0, 0 }, 3 },
	{ "v082/builder", "1-log-git-stdio", LOGFILE_RAW, 260, 1,
	  { 0, 0, 254 }, 0 },
	{ "v082/builder", "2-log-git-stdio", LOGFILE_BZ2, 27753, 9,
	  { 179, 89, 27431 }, 5 },
	{ "v082/builder", "2-log-shell-interrupt", LOGFILE_RAW, 173, 1,
	  { 167, 0, 0 }, 1 },
	{ "v082/builder", "2-log-shell-stdio", LOGFILE_RAW, 4643, 1,
	  { 0, 0, 4636 }, 0 },
	{ "v082/builder", "3-log-git-stdio", LOGFILE_BZ2, 18534, 7,
	  { 72, 89, 18332 }, 4 },
	{ "v082/builder", "3-log-shell-stdio", LOGFILE_BZ2, 4517, 1,
	  { 0, 0, 4510 }, 0 },
	{ "v082/builder", "3-log-shell_1-stdio", LOGFILE_BZ2, 4526, 3,
	  { 4, 0, 4506 }, 1 },
	{ "v087p1/runtests", "0-log-git-stdio", LOGFILE_BZ2, 5028, 7,
	  { 81, 0, 4906 }, 3 },
	{ "v087p1/runtests", "0-log-shell-stdio", LOGFILE_BZ2, 22340, 5,
	  { 20711, 0, 1595 }, 331 },
	{ "v087p1/runtests", "1-log-git-stdio", LOGFILE_BZ2, 6807, 9,
	  { 111, 86, 6557 }, 5 },
	{ "v087p1/runtests", "1-log-shell-stdio", LOGFILE_BZ2, 22340, 5,
	  { 20711, 0, 1595 }, 331 },
};

/* Runs a shell command and returns its standard output. */
static int
command_output(const char *cmd, struct buf *out)
{
	FILE	*f;
	char	 tmp[65536];
	size_t	 n;

	buf_init(out, 64 << 20);
	if ((f = popen(cmd, "r")) == NULL)
		return (-1);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (buf_add(out, tmp, n) != 0)
			break;
	}
	return (pclose(f) == 0 ? 0 : -1);
}

void
test_fixtures(const char *tmp)
{
	const struct fixture_log	*fl;
	struct logfile			*lf;
	struct logfile_parser		 p;
	struct seen			 s;
	struct buf			 b, want;
	const char			*fixtures;
	char				*cmd, *dir, *cause = NULL;
	static const char		*tarballs[] = {
		"master-0-7-5", "v082", "v087p1"
	};
	size_t				 i;
	int				 r;

	fixtures = getenv("BBM_FIXTURES");
	if (fixtures == NULL || *fixtures == '\0') {
		tap_diag("BBM_FIXTURES not set: skipping the fixture logs");
		return;
	}
	for (i = 0; i < sizeof tarballs / sizeof tarballs[0]; i++) {
		xasprintf(&cmd, "tar xzf '%s/%s.tgz' -C '%s'", fixtures,
		    tarballs[i], tmp);
		r = system(cmd);
		free(cmd);
		if (r != 0) {
			tap_diag("cannot unpack %s/%s.tgz: skipping the "
			    "fixture logs", fixtures, tarballs[i]);
			return;
		}
	}
	for (i = 0; i < sizeof fixture_logs / sizeof fixture_logs[0]; i++) {
		fl = &fixture_logs[i];
		xasprintf(&dir, "%s/%s", tmp, fl->dir);
		lf = logfile_open(dir, fl->name, &cause);
		if (!ok(lf != NULL, "%s/%s: opened", fl->dir, fl->name)) {
			tap_diag("%s", cause != NULL ? cause : "missing");
			free(cause);
			cause = NULL;
			free(dir);
			continue;
		}
		is_str(logfile_format_name(logfile_format(lf)),
		    logfile_format_name(fl->format), "%s/%s: format",
		    fl->dir, fl->name);
		r = read_all(lf, 4096, &b, &cause);
		ok(r == 0, "%s/%s: read", fl->dir, fl->name);
		is_int(b.len, fl->size, "%s/%s: size", fl->dir, fl->name);

		seen_init(&s);
		logfile_parser_init(&p);
		r = logfile_parser_feed(&p, b.data, b.len, seen_cb, &s, &cause);
		ok(r == 0 && logfile_parser_tail(&p) == 0,
		    "%s/%s: parses completely", fl->dir, fl->name);
		is_int(p.chunks, fl->chunks, "%s/%s: chunks", fl->dir,
		    fl->name);
		ok(p.channel_bytes[0] == fl->ch[0] &&
		    p.channel_bytes[1] == fl->ch[1] &&
		    p.channel_bytes[2] == fl->ch[2] &&
		    p.text_bytes == fl->ch[0] + fl->ch[1] + fl->ch[2],
		    "%s/%s: channel totals %" PRIu64 "/%" PRIu64 "/%" PRIu64,
		    fl->dir, fl->name, p.channel_bytes[0], p.channel_bytes[1],
		    p.channel_bytes[2]);
		is_int(p.lines, fl->lines, "%s/%s: lines", fl->dir, fl->name);
		if (i == 0) {
			ok(s.text[0].len == 12 && memcmp(s.text[0].data,
			    "partly \xe2\x98\x81y\n", 12) == 0,
			    "0.7.5 stdout is the UTF-8 chunk");
		}
		if (fl->format == LOGFILE_BZ2) {
			xasprintf(&cmd, "bzcat '%s'", logfile_path(lf));
			r = command_output(cmd, &want);
			ok(r == 0 && want.len == b.len &&
			    memcmp(want.data, b.data, b.len) == 0,
			    "%s/%s: same bytes as bzcat", fl->dir, fl->name);
			buf_free(&want);
			free(cmd);
		} else {
			xasprintf(&cmd, "cat '%s/%s'", dir, fl->name);
			r = command_output(cmd, &want);
			ok(r == 0 && want.len == b.len &&
			    memcmp(want.data, b.data, b.len) == 0,
			    "%s/%s: same bytes as the file", fl->dir, fl->name);
			buf_free(&want);
			free(cmd);
		}
		seen_free(&s);
		buf_free(&b);
		free(cause);
		cause = NULL;
		logfile_close(lf);
		free(dir);
	}
}
