/*
 * test-util.c: capped buffers, UTF-8 conversion, hashing, read_file, and the
 * record helpers (result names, change identity, JSON arrays).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "tap.h"
#include "util.h"

static void
test_buf(void)
{
	struct buf	 b;
	char		*s;
	size_t		 len;

	buf_init(&b, 10);
	ok(buf_add(&b, "hello", 5) == 0, "buf: add within the cap");
	ok(buf_add(&b, "world", 5) == 0, "buf: add up to exactly the cap");
	ok(buf_add(&b, "!", 1) == -1, "buf: one byte past the cap is refused");
	is_int(b.len, 10, "buf: a refused add leaves the length");
	is_str(b.data, "helloworld", "buf: content NUL-terminated");
	buf_reset(&b);
	ok(buf_addf(&b, "%d-%s", 42, "x") == 0 && strcmp(b.data, "42-x") == 0,
	    "buf: addf formats");
	s = buf_steal(&b, &len);
	is_int(len, 4, "buf: steal hands over the length");
	ok(b.data == NULL && b.len == 0, "buf: steal empties the buffer");
	free(s);
	buf_init(&b, 4);
	ok(buf_addf(&b, "%s", "too long") == -1, "buf: addf respects the cap");
	buf_free(&b);
	buf_init(&b, 0);
	ok(buf_add(&b, NULL, 0) == 0 && b.data != NULL && b.data[0] == '\0',
	    "buf: an empty add still gives a C string");
	buf_free(&b);
}

static void
test_utf8(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
		int		 valid;
		const char	*name;
	} cases[] = {
		{ "plain", 5, "plain", 1, "ASCII" },
		{ "\xe2\x98\x83", 3, "\xe2\x98\x83", 1, "snowman kept" },
		{ "caf\xe9", 4, "caf\xc3\xa9", 0, "Latin-1 e-acute converted" },
		{ "\xc0\xaf", 2, "\xc3\x80\xc2\xaf", 0, "overlong slash as Latin-1" },
		{ "\xed\xa0\x80", 3, "\xc3\xad\xc2\xa0\xc2\x80", 0,
		  "surrogate as Latin-1" },
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", 1, "4-byte emoji" },
		{ "\xe2\x98", 2, "\xc3\xa2\xc2\x98", 0, "truncated sequence" },
		{ "", 0, "", 1, "empty" },
	};
	size_t	 i, len;
	char	*s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		is_int(utf8_valid(cases[i].in, cases[i].len), cases[i].valid,
		    "utf8_valid: %s", cases[i].name);
		s = utf8_from_bytes(cases[i].in, cases[i].len, &len);
		is_str(s, cases[i].out, "utf8_from_bytes: %s", cases[i].name);
		is_int(len, strlen(cases[i].out), "utf8_from_bytes length: %s",
		    cases[i].name);
		free(s);
	}
}

static void
test_fnv(void)
{
	/* Published FNV-1a 64 test vectors. */
	is_int((long long)fnv1a64(FNV1A64_INIT, "", 0),
	    (long long)0xcbf29ce484222325ULL, "fnv1a64 of nothing");
	is_int((long long)fnv1a64(FNV1A64_INIT, "a", 1),
	    (long long)0xaf63dc4c8601ec8cULL, "fnv1a64 of 'a'");
	is_int((long long)fnv1a64(FNV1A64_INIT, "foobar", 6),
	    (long long)0x85944171f73967e8ULL, "fnv1a64 of 'foobar'");
	is_int((long long)fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3),
	    (long long)0x85944171f73967e8ULL, "fnv1a64 chains");
}

static void
test_read_file(void)
{
	char	 dir[] = "/tmp/bbm-util-XXXXXX", path[64], *data, *cause;
	size_t	 len;
	FILE	*fp;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/f", dir);
	fp = fopen(path, "w");
	fputs("0123456789", fp);
	fclose(fp);
	ok(read_file(path, 100, &data, &len, &cause) == 0 && len == 10 &&
	    memcmp(data, "0123456789", 10) == 0, "read_file reads it all");
	free(data);
	ok(read_file(path, 9, &data, &len, &cause) == -1 &&
	    strstr(cause, "limit of 9 bytes") != NULL,
	    "read_file refuses a file over the limit");
	free(cause);
	ok(read_file(dir, 100, &data, &len, &cause) == -1 &&
	    strstr(cause, "directory") != NULL, "read_file refuses a directory");
	free(cause);
	unlink(path);
	ok(read_file(path, 100, &data, &len, &cause) == -1 &&
	    strstr(cause, path) != NULL, "read_file names a missing file");
	free(cause);
	rmdir(dir);
}

static void
test_record(void)
{
	struct bbm_change	 a, b;
	char			*ia, *ib, *j;
	char			*words[] = { "build", "successful", NULL };
	char			*quote[] = { "say \"hi\"\n" };

	is_str(record_result_name(0), "success", "result 0");
	is_str(record_result_name(5), "retry", "result 5");
	is_str(record_result_name(6), "cancelled", "result 6 (0.9's)");
	ok(record_result_name(7) == NULL && record_result_name(-1) == NULL,
	    "unknown results have no name");
	is_str(record_origin_name(BBM_ORIGIN_LIVE), "live", "origin live");

	memset(&a, 0, sizeof a);
	a.number = 108;
	a.when = 1300000000.25;
	a.author = "dustin";
	a.revision = "abc";
	b = a;
	b.when = 1300000000.0;
	ia = record_change_identity(&a);
	ib = record_change_identity(&b);
	is_int(strlen(ia), 32, "change identity is 128 bits of hex");
	is_str(ia, ib, "change identity ignores fractions of a second");
	free(ib);
	b.revision = "def";
	ib = record_change_identity(&b);
	ok(strcmp(ia, ib) != 0, "a reused number with another revision "
	    "is another change");
	free(ib);
	b.revision = "abc";
	b.branch = "";
	ib = record_change_identity(&b);
	ok(strcmp(ia, ib) != 0, "an empty branch differs from no branch");
	free(ib);
	free(ia);

	j = record_json_strings(words, 2);
	is_str(j, "[\"build\",\"successful\"]", "JSON array of words");
	free(j);
	j = record_json_strings(words, 3);
	is_str(j, "[\"build\",\"successful\",null]", "NULL becomes null");
	free(j);
	j = record_json_strings(quote, 1);
	is_str(j, "[\"say \\\"hi\\\"\\n\"]", "JSON escapes");
	free(j);
	j = record_json_strings(NULL, 0);
	is_str(j, "[]", "empty array");
	free(j);
}

int
main(void)
{
	test_buf();
	test_utf8();
	test_fnv();
	test_read_file();
	test_record();
	return (tap_done());
}
