/*
 * test-pickle-errors.c: the pickle decoder's failures: the error-path
 * table (rejected opcodes, malformed arguments, the limits), every strict
 * prefix of the valid pickles, and hostile sizes, depths and limits.
 *
 * Expected messages were derived by hand from the opcode bytes and checked
 * with Python 2.7's pickletools.dis; none comes from the decoder itself.
 */
#include "config.h"
#include "pickle.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "test-pickle.h"

static const struct pickle_limits	 lim_memo10 = { .max_memo = 10 };
static const struct pickle_limits	 lim_input1 = { .max_input = 1 };
static const struct pickle_limits	 lim_depth4 = { .max_depth = 4 };
static const struct pickle_limits	 lim_alloc1 = { .max_alloc = 1 };

/* Errors: the message must start with want (name, offset, opcode). */
struct error_case {
	const char			*name;
	const char			*in;
	size_t				 len;
	const struct pickle_limits	*lim;
	const char			*want;
	const char			*reason;
};

static const struct error_case error_cases[] = {
	{ "EXT1", B("\x80\x02\x82\x01."), NULL,
	    "t: offset 2: opcode 0x82 '\\x82' (EXT1): ", "extension registry" },
	{ "EXT2", B("\x83\x01\x00."), NULL,
	    "t: offset 0: opcode 0x83 '\\x83' (EXT2): ", "extension registry" },
	{ "EXT4", B("N\x84\x01\x00\x00\x00."), NULL,
	    "t: offset 1: opcode 0x84 '\\x84' (EXT4): ", "extension registry" },
	{ "PERSID", B("P1\n."), NULL, "t: offset 0: opcode 0x50 'P' (PERSID): ",
	    "persistent IDs are not supported" },
	{ "BINPERSID", B("NQ."), NULL,
	    "t: offset 1: opcode 0x51 'Q' (BINPERSID): ", "persistent IDs" },
	{ "unknown opcode", B("N\xff."), NULL,
	    "t: offset 1: opcode 0xff '\\xff' (unknown): ", "unknown opcode" },
	{ "unknown printable opcode", B("Z."), NULL,
	    "t: offset 0: opcode 0x5a 'Z' (unknown): ", "unknown opcode" },
	{ "protocol 3 opcode", B("\x80\x02" "C\x01" "a."), NULL,
	    "t: offset 2: opcode 0x43 'C' (SHORT_BINBYTES): ",
	    "protocol 3+ opcode not supported" },
	{ "PROTO 3", B("\x80\x03N."), NULL,
	    "t: offset 0: opcode 0x80 '\\x80' (PROTO): ",
	    "unsupported protocol 3" },
	{ "empty input", B(""), NULL, "t: offset 0: ",
	    "truncated: data ends without STOP" },
	{ "no STOP", B("N"), NULL, "t: offset 1: ", "data ends without STOP" },
	{ "STOP with two items", B("K\x01K\x02."), NULL,
	    "t: offset 4: opcode 0x2e '.' (STOP): ",
	    "stack holds 2 items, expected 1" },
	{ "STOP with an empty stack", B("."), NULL,
	    "t: offset 0: opcode 0x2e '.' (STOP): ", "stack holds 0 items" },
	{ "STOP with an open MARK", B("(N."), NULL,
	    "t: offset 2: opcode 0x2e '.' (STOP): ", "1 MARK still open" },
	{ "APPEND underflow", B("a."), NULL,
	    "t: offset 0: opcode 0x61 'a' (APPEND): ",
	    "stack underflow: needs 2 items, 0 available" },
	{ "APPEND across a MARK", B("](Na."), NULL,
	    "t: offset 3: opcode 0x61 'a' (APPEND): ",
	    "needs 2 items, 1 available above the MARK" },
	{ "POP underflow", B("0."), NULL,
	    "t: offset 0: opcode 0x30 '0' (POP): ", "stack underflow" },
	{ "DUP underflow", B("2."), NULL,
	    "t: offset 0: opcode 0x32 '2' (DUP): ", "stack underflow" },
	{ "TUPLE1 underflow", B("\x85."), NULL,
	    "t: offset 0: opcode 0x85 '\\x85' (TUPLE1): ",
	    "needs 1 item, 0 available" },
	{ "TUPLE3 underflow", B("NN\x87."), NULL,
	    "t: offset 2: opcode 0x87 '\\x87' (TUPLE3): ",
	    "needs 3 items, 2 available" },
	{ "SETITEM underflow", B("}Ns."), NULL,
	    "t: offset 2: opcode 0x73 's' (SETITEM): ",
	    "needs 3 items, 2 available" },
	{ "REDUCE underflow", B("R."), NULL,
	    "t: offset 0: opcode 0x52 'R' (REDUCE): ", "stack underflow" },
	{ "BUILD underflow", B("Nb."), NULL,
	    "t: offset 1: opcode 0x62 'b' (BUILD): ",
	    "needs 2 items, 1 available" },
	{ "NEWOBJ underflow", B("\x81."), NULL,
	    "t: offset 0: opcode 0x81 '\\x81' (NEWOBJ): ", "stack underflow" },
	{ "BINPUT on an empty stack", B("q\x00."), NULL,
	    "t: offset 0: opcode 0x71 'q' (BINPUT): ", "stack underflow" },
	{ "TUPLE without MARK", B("K\x01t."), NULL,
	    "t: offset 2: opcode 0x74 't' (TUPLE): ", "no MARK on the stack" },
	{ "LIST without MARK", B("l."), NULL,
	    "t: offset 0: opcode 0x6c 'l' (LIST): ", "no MARK" },
	{ "DICT without MARK", B("d."), NULL,
	    "t: offset 0: opcode 0x64 'd' (DICT): ", "no MARK" },
	{ "APPENDS without MARK", B("]e."), NULL,
	    "t: offset 1: opcode 0x65 'e' (APPENDS): ", "no MARK" },
	{ "SETITEMS without MARK", B("}u."), NULL,
	    "t: offset 1: opcode 0x75 'u' (SETITEMS): ", "no MARK" },
	{ "OBJ without MARK", B("o."), NULL,
	    "t: offset 0: opcode 0x6f 'o' (OBJ): ", "no MARK" },
	{ "INST without MARK", B("ifoo\nbar\n."), NULL,
	    "t: offset 0: opcode 0x69 'i' (INST): ", "no MARK" },
	{ "POP_MARK without MARK", B("1."), NULL,
	    "t: offset 0: opcode 0x31 '1' (POP_MARK): ", "no MARK" },
	{ "APPENDS with nothing below the MARK", B("(e."), NULL,
	    "t: offset 1: opcode 0x65 'e' (APPENDS): ",
	    "no list below the MARK" },
	{ "SETITEMS with nothing below the MARK", B("(u."), NULL,
	    "t: offset 1: opcode 0x75 'u' (SETITEMS): ",
	    "no dict below the MARK" },
	{ "OBJ without a class", B("(o."), NULL,
	    "t: offset 1: opcode 0x6f 'o' (OBJ): ", "no class above the MARK" },
	{ "GET of a missing key", B("g3\n."), NULL,
	    "t: offset 0: opcode 0x67 'g' (GET): ",
	    "memo key 3 is not defined" },
	{ "BINGET of a missing key", B("Nq\x00h\x05."), NULL,
	    "t: offset 3: opcode 0x68 'h' (BINGET): ",
	    "memo key 5 is not defined" },
	{ "LONG_BINGET of a missing key", B("j\x00\x01\x00\x00."), NULL,
	    "t: offset 0: opcode 0x6a 'j' (LONG_BINGET): ",
	    "memo key 256 is not defined" },
	{ "LONG_BINPUT beyond the default max_memo", B("Nr\x00\x00\x10\x00."),
	    NULL, "t: offset 1: opcode 0x72 'r' (LONG_BINPUT): ",
	    "memo key 1048576 exceeds the limit of 1048576" },
	{ "PUT of a huge text key", B("Np99999999999999999999999999\n."), NULL,
	    "t: offset 1: opcode 0x70 'p' (PUT): ", "memo key beyond" },
	{ "BINPUT beyond max_memo 10", B("Nq\x0a."), &lim_memo10,
	    "t: offset 1: opcode 0x71 'q' (BINPUT): ",
	    "memo key 10 exceeds the limit of 10" },
	{ "PUT of a negative key", B("Np-1\n."), NULL,
	    "t: offset 1: opcode 0x70 'p' (PUT): ", "invalid memo key" },
	{ "BINSTRING of 2 GiB on a short input, nothing allocated",
	    B("T\xff\xff\xff\x7f" "abc."), &lim_alloc1,
	    "t: offset 0: opcode 0x54 'T' (BINSTRING): ",
	    "truncated: needs 2147483647 bytes, 4 left" },
	{ "BINSTRING of 4 GiB", B("T\xff\xff\xff\xff" "abc."), &lim_alloc1,
	    "t: offset 0: opcode 0x54 'T' (BINSTRING): ",
	    "negative length -1" },
	{ "BINUNICODE of 1 GiB", B("X\x00\x00\x00\x40" "ab."), &lim_alloc1,
	    "t: offset 0: opcode 0x58 'X' (BINUNICODE): ",
	    "truncated: needs 1073741824 bytes, 3 left" },
	{ "SHORT_BINSTRING truncated", B("U\x05" "ab"), NULL,
	    "t: offset 0: opcode 0x55 'U' (SHORT_BINSTRING): ",
	    "truncated: needs 5 bytes, 2 left" },
	{ "LONG4 of 2 GiB", B("\x8b\xff\xff\xff\x7f\x00."), &lim_alloc1,
	    "t: offset 0: opcode 0x8b '\\x8b' (LONG4): ",
	    "truncated: needs 2147483647 bytes, 2 left" },
	{ "LONG4 negative length", B("\x8b\x00\x00\x00\x80."), NULL,
	    "t: offset 0: opcode 0x8b '\\x8b' (LONG4): ",
	    "negative length -2147483648" },
	{ "LONG1 truncated", B("\x8a\x05\x01."), NULL,
	    "t: offset 0: opcode 0x8a '\\x8a' (LONG1): ",
	    "truncated: needs 5 bytes, 2 left" },
	{ "BININT truncated", B("J\x01\x02"), NULL,
	    "t: offset 0: opcode 0x4a 'J' (BININT): ",
	    "truncated: needs 4 bytes, 2 left" },
	{ "BINFLOAT truncated", B("G?\xf8"), NULL,
	    "t: offset 0: opcode 0x47 'G' (BINFLOAT): ",
	    "truncated: needs 8 bytes, 2 left" },
	{ "text opcode without newline", B("I12"), NULL,
	    "t: offset 0: opcode 0x49 'I' (INT): ",
	    "truncated: no end of line" },
	{ "GLOBAL without its second line", B("cos\nsys"), NULL,
	    "t: offset 0: opcode 0x63 'c' (GLOBAL): ", "no end of line" },
	{ "GLOBAL with an empty name", B("cos\n\n."), NULL,
	    "t: offset 0: opcode 0x63 'c' (GLOBAL): ",
	    "empty module or class" },
	{ "INT not a number", B("I12a\n."), NULL,
	    "t: offset 0: opcode 0x49 'I' (INT): ", "invalid integer text" },
	{ "INT empty", B("I\n."), NULL, "t: offset 0: opcode 0x49 'I' (INT): ",
	    "invalid integer text" },
	{ "LONG not a number", B("L12x\n."), NULL,
	    "t: offset 0: opcode 0x4c 'L' (LONG): ", "invalid integer text" },
	{ "LONG bad octal", B("L08L\n."), NULL,
	    "t: offset 0: opcode 0x4c 'L' (LONG): ", "invalid integer text" },
	{ "FLOAT not a number", B("F1.5x\n."), NULL,
	    "t: offset 0: opcode 0x46 'F' (FLOAT): ", "invalid float text" },
	{ "FLOAT empty", B("F\n."), NULL,
	    "t: offset 0: opcode 0x46 'F' (FLOAT): ", "invalid float text" },
	{ "STRING unquoted", B("Sabc\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ", "string is not quoted" },
	{ "STRING mismatched quotes", B("S'abc\"\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ", "string is not quoted" },
	{ "STRING of one quote", B("S'\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ", "string is not quoted" },
	{ "STRING trailing backslash", B("S'ab\\'\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ",
	    "trailing \\ in string" },
	{ "STRING short \\x", B("S'\\x4'\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ", "invalid \\x escape" },
	{ "STRING bad \\x digit", B("S'\\xg0'\n."), NULL,
	    "t: offset 0: opcode 0x53 'S' (STRING): ", "invalid \\x escape" },
	{ "UNICODE truncated \\u", B("V\\u12\n."), NULL,
	    "t: offset 0: opcode 0x56 'V' (UNICODE): ",
	    "truncated \\u escape" },
	{ "UNICODE bad \\U digit", B("V\\U0001f60g\n."), NULL,
	    "t: offset 0: opcode 0x56 'V' (UNICODE): ", "invalid \\U escape" },
	{ "UNICODE \\U out of range", B("V\\U00110000\n."), NULL,
	    "t: offset 0: opcode 0x56 'V' (UNICODE): ", "out of range" },
	{ "BUILD on a list", B("]}b."), NULL,
	    "t: offset 2: opcode 0x62 'b' (BUILD): ", "BUILD on type list" },
	{ "BUILD on a dict", B("}}b."), NULL,
	    "t: offset 2: opcode 0x62 'b' (BUILD): ", "BUILD on type dict" },
	{ "APPEND to an int", B("K\x01K\x02" "a."), NULL,
	    "t: offset 4: opcode 0x61 'a' (APPEND): ",
	    "target is of type int, not list" },
	{ "SETITEM on a list", B("]NNs."), NULL,
	    "t: offset 3: opcode 0x73 's' (SETITEM): ",
	    "target is of type list, not dict" },
	{ "APPENDS to a tuple", B(")(Ne."), NULL,
	    "t: offset 3: opcode 0x65 'e' (APPENDS): ",
	    "target is of type tuple, not list" },
	{ "OBJ with a non-class", B("(K\x01o."), NULL,
	    "t: offset 3: opcode 0x6f 'o' (OBJ): ",
	    "class is of type int, not global" },
	{ "NEWOBJ with a non-class", B("K\x01)\x81."), NULL,
	    "t: offset 3: opcode 0x81 '\\x81' (NEWOBJ): ",
	    "class is of type int, not global" },
	{ "NEWOBJ args not a tuple", B("cfoo\nbar\nN\x81."), NULL,
	    "t: offset 10: opcode 0x81 '\\x81' (NEWOBJ): ",
	    "arguments are of type None, not tuple" },
	{ "REDUCE of a non-callable", B("K\x01)R."), NULL,
	    "t: offset 3: opcode 0x52 'R' (REDUCE): ",
	    "callable is of type int, not global" },
	{ "REDUCE args not a tuple", B("cfoo\nbar\nK\x01R."), NULL,
	    "t: offset 11: opcode 0x52 'R' (REDUCE): ",
	    "arguments are of type int, not tuple" },
	{ "DICT with an odd item count", B("(K\x01" "d."), NULL,
	    "t: offset 3: opcode 0x64 'd' (DICT): ",
	    "odd number of items (1)" },
	{ "SETITEMS with an odd item count", B("}(K\x01u."), NULL,
	    "t: offset 4: opcode 0x75 'u' (SETITEMS): ",
	    "odd number of items (1)" },
	{ "max_input", B("N."), &lim_input1, "t: offset 0: ",
	    "input of 2 bytes exceeds the limit of 1 bytes" },
	{ "max_depth: stack", B("]]]]]."), &lim_depth4,
	    "t: offset 4: opcode 0x5d ']' (EMPTY_LIST): ",
	    "nesting limit of 4 exceeded" },
	{ "max_depth: marks", B("(((((."), &lim_depth4,
	    "t: offset 4: opcode 0x28 '(' (MARK): ", "nesting limit of 4" },
	{ "max_depth: stack and marks", B("N(N(N."), &lim_depth4,
	    "t: offset 4: opcode 0x4e 'N' (NONE): ", "nesting limit of 4" },
	{ "max_alloc", B("N."), &lim_alloc1,
	    "t: offset 0: opcode 0x4e 'N' (NONE): ",
	    "allocation limit of 1 bytes exceeded" },
};

void
test_errors(void)
{
	const struct error_case	*c;
	struct pickle		*doc;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		c = &error_cases[i];
		doc = tp_load(c->in, c->len, c->lim, &cause);
		if (!ok(doc == NULL && tp_starts_with(cause, c->want) &&
		    strstr(cause + strlen(c->want), c->reason) != NULL,
		    "error: %s", c->name))
			tap_diag("got \"%s\"", cause ? cause : "(success)");
		pickle_free(doc);
		free(cause);
	}
}

/*
 * Every strict prefix of a valid pickle must fail cleanly, naming an
 * offset within the prefix. Returns the number of misbehaving prefixes.
 */
size_t
truncations_fail(const char *in, size_t len, const char *name)
{
	struct pickle	*doc;
	char		*cause, *p, *end;
	size_t		 n, bad = 0;
	unsigned long	 off;

	for (n = 0; n < len; n++) {
		doc = tp_load(in, n, NULL, &cause);
		p = (cause == NULL) ? NULL : strstr(cause, ": offset ");
		off = (p == NULL) ? ULONG_MAX : strtoul(p + 9, &end, 10);
		if (doc != NULL || !tp_starts_with(cause, "t: offset ") ||
		    off > n) {
			if (bad++ == 0)
				tap_diag("%s: prefix of %zu bytes: %s", name, n,
				    cause ? cause : "decoded");
		}
		pickle_free(doc);
		free(cause);
	}
	return (bad);
}

void
test_truncations(void)
{
	size_t	 i, bad = 0, n = 0;

	for (i = 0; i < scalar_ncases; i++) {
		if (scalar_cases[i].in[scalar_cases[i].len - 1] != '.')
			continue;
		bad += truncations_fail(scalar_cases[i].in,
		    scalar_cases[i].len, scalar_cases[i].name);
		n++;
	}
	for (i = 0; i < dump_ncases; i++) {
		bad += truncations_fail(dump_cases[i].in, dump_cases[i].len,
		    dump_cases[i].name);
		n++;
	}
	is_int(bad, 0, "every prefix of %zu valid pickles fails cleanly", n);
}

/* Writes n copies of the len bytes at unit into a new buffer at *p. */
static size_t
repeat(char *p, const char *unit, size_t len, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		memcpy(p + i * len, unit, len);
	return (n * len);
}

void
test_limits(void)
{
	struct pickle_limits	 lim;
	struct pickle		*doc;
	struct pickle_value	*v;
	char			*in, *cause, *s;
	size_t			 n, len, i, digits, sum;
	int			 good;

	/* 100000 MARKs, or EMPTY_LISTs, exceed the default depth 10000. */
	in = xmalloc(1300000);
	memset(in, '(', 100000);
	doc = tp_load(in, 100000, NULL, &cause);
	ok(doc == NULL && tp_starts_with(cause, "t: offset 10000: opcode 0x28 "
	    "'(' (MARK): nesting limit of 10000 exceeded"),
	    "100000 MARKs: %s", cause);
	free(cause);
	memset(in, ']', 100000);
	doc = tp_load(in, 100000, NULL, &cause);
	ok(doc == NULL && tp_starts_with(cause, "t: offset 10000: opcode 0x5d "
	    "']' (EMPTY_LIST): nesting limit of 10000 exceeded"),
	    "100000 EMPTY_LISTs: %s", cause);
	free(cause);

	/* 50 lists nested through APPEND fit max_depth 50; 51 do not. */
	memset(&lim, 0, sizeof lim);
	lim.max_depth = 50;
	len = repeat(in, "]", 1, 50);
	len += repeat(in + len, "a", 1, 49);
	in[len++] = '.';
	doc = tp_load(in, len, &lim, &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 3);
	is_str(s, "[[[...]]]", "50 nested lists within max_depth 50");
	free(s);
	pickle_free(doc);
	len = repeat(in, "]", 1, 51);
	len += repeat(in + len, "a", 1, 50);
	in[len++] = '.';
	doc = tp_load(in, len, &lim, &cause);
	ok(doc == NULL && tp_starts_with(cause, "t: offset 50: opcode 0x5d "),
	    "51 nested lists exceed max_depth 50: %s", cause);
	free(cause);

	/*
	 * A tree 100000 lists deep built with a constant stack (through the
	 * memo): it decodes, and pickle_dump stops at its maxdepth.
	 */
	len = 0;
	memcpy(in, "]q\x00q\x02" "0", 6);
	len = 6;
	len += repeat(in + len, "h\x00]q\x01" "a0h\x01q\x00" "0", 12, 100000);
	memcpy(in + len, "h\x02.", 3);
	len += 3;
	doc = tp_load(in, len, NULL, &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 10);
	is_str(s, "[[[[[[[[[[...]]]]]]]]]]", "100000-deep tree via the memo");
	free(s);
	for (v = doc ? doc->root : NULL, n = 0; v != NULL && v->u.seq.len == 1;
	    v = v->u.seq.items[0])
		n++;
	is_int(n, 100000, "100000-deep tree has the right depth");
	pickle_free(doc);

	/* A list appended to itself 100000 times: 800 KB of pointers. */
	memcpy(in, "]q\x00", 3);
	len = 3 + repeat(in + 3, "h\x00" "a", 3, 100000);
	in[len++] = '.';
	doc = tp_load(in, len, NULL, &cause);
	ok(doc != NULL && doc->root->u.seq.len == 100000 &&
	    doc->root->u.seq.items[99999] == doc->root,
	    "100000 APPENDs within the default limits");
	pickle_free(doc);
	memset(&lim, 0, sizeof lim);
	lim.max_alloc = 65536;
	doc = tp_load(in, len, &lim, &cause);
	ok(doc == NULL && strstr(cause, " (APPEND): allocation limit of 65536 "
	    "bytes exceeded") != NULL, "max_alloc 64 KiB: %s", cause);
	free(cause);

	/* A big string within limits, then beyond max_alloc. */
	memcpy(in, "T\xa0\x86\x01\x00", 5);
	memset(in + 5, 'x', 100000);
	in[100005] = '.';
	doc = tp_load(in, 100006, NULL, &cause);
	ok(doc != NULL && doc->root->type == PICKLE_BYTES &&
	    doc->root->u.str.len == 100000 && doc->root->u.str.ptr[99999] ==
	    'x' && doc->root->u.str.ptr[100000] == '\0',
	    "BINSTRING of 100000 bytes");
	pickle_free(doc);
	doc = tp_load(in, 100006, &lim, &cause);
	ok(doc == NULL && tp_starts_with(cause, "t: offset 0: opcode 0x54 'T' "
	    "(BINSTRING): allocation limit of 65536 bytes exceeded"),
	    "BINSTRING beyond max_alloc: %s", cause);
	free(cause);

	/*
	 * LONG4 of 256**8191 = 2**65528: floor(65528 log10 2) + 1 digits,
	 * ending in 6 (2**n ends in 6 when 4 divides n), digit sum = 4 mod 9
	 * (2**6 = 1 mod 9 and 65528 = 2 mod 6). Negated: 0xff on top.
	 */
	memcpy(in, "\x8b\x00\x20\x00\x00", 5);
	memset(in + 5, 0, 8191);
	in[5 + 8191] = '\x01';
	in[5 + 8192] = '.';
	doc = tp_load(in, 5 + 8193, NULL, &cause);
	v = doc ? doc->root : NULL;
	digits = (size_t)floor(65528 * log10(2.0)) + 1;
	good = v != NULL && v->type == PICKLE_LONG && v->u.str.len == digits &&
	    v->u.str.ptr[digits - 1] == '6';
	for (i = 0, sum = 0; good && i < digits; i++)
		sum += (size_t)(v->u.str.ptr[i] - '0');
	ok(good && sum % 9 == 4, "LONG4 2**65528 has %zu digits", digits);
	pickle_free(doc);
	in[5 + 8191] = '\xff';
	doc = tp_load(in, 5 + 8193, NULL, &cause);
	v = doc ? doc->root : NULL;
	ok(v != NULL && v->type == PICKLE_LONG && v->u.str.len == digits + 1 &&
	    v->u.str.ptr[0] == '-' && v->u.str.ptr[digits] == '6',
	    "LONG4 -2**65528");
	pickle_free(doc);
	memcpy(in, "\x8b\x01\x20\x00\x00", 5);
	memset(in + 5, 1, 8193);
	in[5 + 8193] = '.';
	doc = tp_load(in, 5 + 8194, NULL, &cause);
	ok(doc == NULL && tp_starts_with(cause, "t: offset 0: opcode 0x8b "
	    "'\\x8b' (LONG4): integer of 8193 bytes is too large"),
	    "LONG4 beyond 8192 bytes: %s", cause);
	free(cause);
	in[0] = 'L';
	memset(in + 1, '7', 30000);
	memcpy(in + 30001, "L\n.", 3);
	doc = tp_load(in, 30004, NULL, &cause);
	ok(doc == NULL && strstr(cause, "(LONG): integer of 30000 digits is "
	    "too large") != NULL, "LONG text of 30000 digits: %s", cause);
	free(cause);
	memcpy(in, "L0x", 3);
	memset(in + 3, 'f', 30000);
	memcpy(in + 30003, "L\n.", 3);
	doc = tp_load(in, 30006, NULL, &cause);
	ok(doc == NULL && strstr(cause, "(LONG): integer of 30000 digits is "
	    "too large") != NULL, "LONG hex text of 30000 digits: %s", cause);
	free(cause);

	/* The memo accepts keys up to max_memo - 1. */
	memset(&lim, 0, sizeof lim);
	lim.max_memo = 10;
	doc = tp_load(B("Nq\x09h\x09\x86."), &lim, &cause);
	ok(doc != NULL, "BINPUT 9 within max_memo 10");
	pickle_free(doc);
	doc = tp_load(B("Nr\xff\xff\x0f\x00j\xff\xff\x0f\x00\x86."), NULL,
	    &cause);
	ok(doc != NULL, "LONG_BINPUT 1048575 within the default max_memo");
	pickle_free(doc);

	/* max_input is exact. */
	memset(&lim, 0, sizeof lim);
	lim.max_input = 2;
	doc = tp_load(B("N."), &lim, &cause);
	ok(doc != NULL, "input of exactly max_input bytes");
	pickle_free(doc);

	free(in);
}
