/*
 * test-pickle.c: the pickle decoder against hand-written opcode streams
 * (every opcode of protocols 0-2, every error path, the limits) and
 * against the real master directories in $BBM_FIXTURES.
 *
 * Expected values were derived by hand from the opcode bytes and checked
 * with Python 2.7's pickletools.dis; none comes from the decoder itself.
 *
 * This file holds main(), the valid-opcode tables (scalars, structures)
 * and their runners, memo sharing, lookups, pickle_dump's format and the
 * fixture walk; test-pickle-errors.c holds the error paths, the
 * truncations and the limits.
 */
#include "config.h"
#include "pickle.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "test-pickle.h"

struct pickle *
tp_load(const char *in, size_t len, const struct pickle_limits *lim,
    char **cause)
{
	*cause = NULL;
	return (pickle_load(in, len, "t", lim, cause));
}

/* pickle_dump output as a string (caller frees). */
char *
tp_dump_str(const struct pickle_value *v, int depth)
{
	char	*s;
	size_t	 len;
	FILE	*fp;

	if ((fp = open_memstream(&s, &len)) == NULL)
		fatal("open_memstream");
	pickle_dump(fp, v, depth);
	fclose(fp);
	return (s);
}

int
tp_starts_with(const char *s, const char *prefix)
{
	return (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0);
}

const struct scalar_case scalar_cases[] = {
	{ "NONE", B("N."), PICKLE_NONE, .i = 0 },
	{ "NEWTRUE", B("\x80\x02\x88."), PICKLE_BOOL, .i = 1 },
	{ "NEWFALSE", B("\x80\x02\x89."), PICKLE_BOOL, .i = 0 },
	{ "INT I01 is True", B("I01\n."), PICKLE_BOOL, .i = 1 },
	{ "INT I00 is False", B("I00\n."), PICKLE_BOOL, .i = 0 },
	{ "INT I1 is an int", B("I1\n."), PICKLE_INT, .i = 1 },
	{ "INT", B("I42\n."), PICKLE_INT, .i = 42 },
	{ "INT negative", B("I-7\n."), PICKLE_INT, .i = -7 },
	{ "INT \\r\\n", B("I12\r\n."), PICKLE_INT, .i = 12 },
	{ "INT with blanks", B("I 7 \n."), PICKLE_INT, .i = 7 },
	{ "INT int64 max", B("I9223372036854775807\n."), PICKLE_INT,
	    .i = INT64_MAX },
	{ "INT int64 min", B("I-9223372036854775808\n."), PICKLE_INT,
	    .i = INT64_MIN },
	{ "INT overflow is a long", B("I9223372036854775808\n."),
	    PICKLE_LONG, S("9223372036854775808") },
	{ "INT underflow is a long", B("I-9223372036854775809\n."),
	    PICKLE_LONG, S("-9223372036854775809") },
	{ "INT leading zeros", B("I00018446744073709551616\n."), PICKLE_LONG,
	    S("18446744073709551616") },
	{ "BININT -1", B("J\xff\xff\xff\xff."), PICKLE_INT, .i = -1 },
	{ "BININT min", B("J\x00\x00\x00\x80."), PICKLE_INT, .i = INT32_MIN },
	{ "BININT little-endian", B("J\x01\x02\x03\x04."), PICKLE_INT,
	    .i = 0x04030201 },
	{ "BININT1 unsigned", B("K\xff."), PICKLE_INT, .i = 255 },
	{ "BININT2 unsigned", B("M\x01\x02."), PICKLE_INT, .i = 0x0201 },
	{ "BININT2 max", B("M\xff\xff."), PICKLE_INT, .i = 65535 },
	{ "LONG", B("L123L\n."), PICKLE_INT, .i = 123 },
	{ "LONG negative", B("L-5L\n."), PICKLE_INT, .i = -5 },
	{ "LONG \\r\\n", B("L7L\r\n."), PICKLE_INT, .i = 7 },
	{ "LONG 2**64", B("L18446744073709551616L\n."), PICKLE_LONG,
	    S("18446744073709551616") },
	{ "LONG -2**64", B("L-18446744073709551616L\n."), PICKLE_LONG,
	    S("-18446744073709551616") },
	{ "LONG hex (base 0)", B("L0x10L\n."), PICKLE_INT, .i = 16 },
	{ "LONG leading 0 is octal", B("L010L\n."), PICKLE_INT, .i = 8 },
	{ "LONG binary", B("L-0b101L\n."), PICKLE_INT, .i = -5 },
	{ "LONG 0o prefix", B("L0o17L\n."), PICKLE_INT, .i = 15 },
	{ "LONG lowercase l", B("L5l\n."), PICKLE_INT, .i = 5 },
	{ "LONG hex beyond int64", B("L0x10000000000000000L\n."), PICKLE_LONG,
	    S("18446744073709551616") },
	{ "LONG1 empty is 0", B("\x8a\x00."), PICKLE_INT, .i = 0 },
	{ "LONG1 -1", B("\x8a\x01\xff."), PICKLE_INT, .i = -1 },
	{ "LONG1 -32768", B("\x8a\x02\x00\x80."), PICKLE_INT, .i = -32768 },
	{ "LONG1 255", B("\x8a\x02\xff\x00."), PICKLE_INT, .i = 255 },
	{ "LONG1 int64 max", B("\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f."),
	    PICKLE_INT, .i = INT64_MAX },
	{ "LONG1 int64 min", B("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."),
	    PICKLE_INT, .i = INT64_MIN },
	{ "LONG1 2**63",
	    B("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00."), PICKLE_LONG,
	    S("9223372036854775808") },
	{ "LONG1 -2**63-1",
	    B("\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff."), PICKLE_LONG,
	    S("-9223372036854775809") },
	{ "LONG1 2**64",
	    B("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."), PICKLE_LONG,
	    S("18446744073709551616") },
	{ "LONG1 non-minimal 1",
	    B("\x8a\x0a\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00."), PICKLE_INT,
	    .i = 1 },
	{ "LONG1 non-minimal -2",
	    B("\x8a\x0a\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xff."), PICKLE_INT,
	    .i = -2 },
	{ "LONG1 2**70",
	    B("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40."), PICKLE_LONG,
	    S("1180591620717411303424") },
	{ "LONG1 -2**70",
	    B("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xc0."), PICKLE_LONG,
	    S("-1180591620717411303424") },
	{ "LONG4", B("\x8b\x02\x00\x00\x00\x01\x01."), PICKLE_INT, .i = 257 },
	{ "LONG4 empty", B("\x8b\x00\x00\x00\x00."), PICKLE_INT, .i = 0 },
	{ "LONG4 2**200", B("\x8b\x1a\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01."),
	    PICKLE_LONG,
	    S("16069380442589902755419620923411626025222029937827928353"
	    "01376") },
	{ "LONG4 -2**200-1", B("\x8b\x1a\x00\x00\x00"
	    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe."),
	    PICKLE_LONG,
	    S("-1606938044258990275541962092341162602522202993782792835"
	    "301377") },
	{ "FLOAT", B("F1.5\n."), PICKLE_FLOAT, .f = 1.5 },
	{ "FLOAT negative \\r\\n", B("F-0.25\r\n."), PICKLE_FLOAT, .f = -0.25 },
	{ "FLOAT exponent", B("F1e+100\n."), PICKLE_FLOAT, .f = 1e100 },
	{ "FLOAT repr", B("F1289535985.272419\n."), PICKLE_FLOAT,
	    .f = 1289535985.272419 },
	{ "BINFLOAT 1.5", B("G?\xf8\x00\x00\x00\x00\x00\x00."), PICKLE_FLOAT,
	    .f = 1.5 },
	{ "BINFLOAT -2.5", B("G\xc0\x04\x00\x00\x00\x00\x00\x00."),
	    PICKLE_FLOAT, .f = -2.5 },
	{ "STRING", B("S'abc'\n."), PICKLE_BYTES, S("abc") },
	{ "STRING double quotes", B("S\"it's\"\n."), PICKLE_BYTES, S("it's") },
	{ "STRING empty", B("S''\n."), PICKLE_BYTES, S("") },
	{ "STRING named escapes",
	    B("S'\\\\ \\' \\\" \\n \\r \\t \\a \\b \\f \\v'\n."), PICKLE_BYTES,
	    S("\\ ' \" \n \r \t \a \b \f \v") },
	{ "STRING octal escapes", B("S'\\101\\7\\0018\\777'\n."), PICKLE_BYTES,
	    S("A\x07\x01" "8\xff") },
	{ "STRING hex escapes", B("S'\\xe2\\x98\\x83\\xFF\\x00'\n."),
	    PICKLE_BYTES, S("\xe2\x98\x83\xff\x00") },
	{ "STRING unknown escapes kept", B("S'\\q\\N'\n."), PICKLE_BYTES,
	    S("\\q\\N") },
	{ "STRING \\r\\n", B("S'a b'\r\n."), PICKLE_BYTES, S("a b") },
	{ "BINSTRING with NUL", B("T\x03\x00\x00\x00" "a\x00" "b."),
	    PICKLE_BYTES, S("a\x00" "b") },
	{ "SHORT_BINSTRING", B("U\x02hi."), PICKLE_BYTES, S("hi") },
	{ "SHORT_BINSTRING empty", B("U\x00."), PICKLE_BYTES, S("") },
	{ "UNICODE", B("Vabc\n."), PICKLE_UNICODE, S("abc") },
	{ "UNICODE escapes and Latin-1 bytes",
	    B("V\\u20ac\\U0001f600\xe9\\\\u0041\\\\\\u0042\n."), PICKLE_UNICODE,
	    S("\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\\\\u0041\\\\B") },
	{ "UNICODE surrogate pair joined", B("V\\ud83d\\ude00\n."),
	    PICKLE_UNICODE, S("\xf0\x9f\x98\x80") },
	{ "UNICODE lone surrogate kept", B("V\\ud800x\n."), PICKLE_UNICODE,
	    S("\xed\xa0\x80x") },
	{ "UNICODE raw high bytes", B("V\xff\x80\n."), PICKLE_UNICODE,
	    S("\xc3\xbf\xc2\x80") },
	{ "UNICODE lone backslash", B("Va\\b\n."), PICKLE_UNICODE, S("a\\b") },
	{ "UNICODE \\r\\n", B("Vab\r\n."), PICKLE_UNICODE, S("ab") },
	{ "BINUNICODE", B("X\x03\x00\x00\x00\xe2\x82\xac."), PICKLE_UNICODE,
	    S("\xe2\x82\xac") },
	{ "BINUNICODE surrogate kept", B("X\x03\x00\x00\x00\xed\xa0\x80."),
	    PICKLE_UNICODE, S("\xed\xa0\x80") },
	{ "BINUNICODE invalid byte replaced",
	    B("X\x03\x00\x00\x00" "a\xff" "b."), PICKLE_UNICODE,
	    S("a\xef\xbf\xbd" "b") },
	{ "BINUNICODE cut sequence replaced", B("X\x02\x00\x00\x00\xe2\x82."),
	    PICKLE_UNICODE, S("\xef\xbf\xbd\xef\xbf\xbd") },
	{ "bytes after STOP are ignored", B("K\x05.garbage"), PICKLE_INT,
	    .i = 5 },
};
const size_t scalar_ncases = sizeof scalar_cases / sizeof scalar_cases[0];

static void
test_scalars(void)
{
	const struct scalar_case	*c;
	const struct pickle_value	*v;
	struct pickle			*doc;
	char				*cause;
	size_t				 i;
	int				 good;

	for (i = 0; i < sizeof scalar_cases / sizeof scalar_cases[0]; i++) {
		c = &scalar_cases[i];
		if ((doc = tp_load(c->in, c->len, NULL, &cause)) == NULL) {
			ok(0, "%s", c->name);
			tap_diag("%s", cause);
			free(cause);
			continue;
		}
		v = doc->root;
		good = v->type == c->type;
		switch (c->type) {
		case PICKLE_BOOL:
		case PICKLE_INT:
			good = good && v->u.i == c->i;
			break;
		case PICKLE_FLOAT:
			good = good && v->u.f == c->f;
			break;
		case PICKLE_BYTES:
		case PICKLE_UNICODE:
		case PICKLE_LONG:
			good = good && v->u.str.len == c->slen &&
			    memcmp(v->u.str.ptr, c->s, c->slen) == 0 &&
			    v->u.str.ptr[c->slen] == '\0';
			break;
		default:
			break;
		}
		if (!ok(good, "%s", c->name)) {
			cause = tp_dump_str(v, 3);
			tap_diag("type %d, got %s", v->type, cause);
			free(cause);
		}
		pickle_free(doc);
	}
}

const struct dump_case dump_cases[] = {
	{ "MARK LIST PUT APPEND", B("(lp0\nI1\naI2\na."), "[1, 2]" },
	{ "EMPTY_LIST BINPUT MARK APPENDS", B("]q\x00(K\x01K\x02" "e."),
	    "[1, 2]" },
	{ "APPENDS of nothing", B("](e."), "[]" },
	{ "TUPLE", B("(I1\nS'a'\nt."), "(1, 'a')" },
	{ "TUPLE empty", B("(t."), "()" },
	{ "EMPTY_TUPLE", B(")."), "()" },
	{ "TUPLE1", B("K\x01\x85."), "(1,)" },
	{ "TUPLE2", B("K\x01K\x02\x86."), "(1, 2)" },
	{ "TUPLE3", B("K\x01K\x02K\x03\x87."), "(1, 2, 3)" },
	{ "DICT and SETITEM", B("(dp0\nS'a'\nI1\ns."), "{'a': 1}" },
	{ "DICT with items", B("(S'a'\nI1\nS'b'\nI2\nd."), "{'a': 1, 'b': 2}" },
	{ "EMPTY_DICT SETITEMS", B("}q\x00(U\x01" "aK\x01U\x01" "bK\x02u."),
	    "{'a': 1, 'b': 2}" },
	{ "dict with non-string keys", B("}(K\x01N)K\x02u."),
	    "{1: None, (): 2}" },
	{ "POP", B("K\x01K\x02" "0\x85."), "(1,)" },
	{ "POP of a bare MARK drops it", B("K\x01(0\x85."), "(1,)" },
	{ "POP_MARK", B("K\x01(K\x02K\x03" "1\x85."), "(1,)" },
	{ "DUP shares the node", B("]2K\x01" "a\x86."), "([1], <ref>)" },
	{ "GET and PUT (text)", B("(lp5\nI7\nag5\n\x86."), "([7], <ref>)" },
	{ "BINGET", B("]q\x07h\x07\x86."), "([], <ref>)" },
	{ "LONG_BINPUT LONG_BINGET",
	    B("]r\x10\x27\x00\x00j\x10\x27\x00\x00\x86."),
	    "([], <ref>)" },
	{ "PUT overwrites", B("K\x01q\x00K\x02q\x00h\x00\x87."), "(1, 2, 2)" },
	{ "GLOBAL", B("cos\nsystem\n."), "<global os.system>" },
	{ "GLOBAL \\r\\n", B("cos\r\nsystem\r\n."), "<global os.system>" },
	{ "INST (old-style, protocol 0)", B("(i__main__\nOld\n(dS'x'\nI1\nsb."),
	    "<__main__.Old() {'x': 1}>" },
	{ "INST with args", B("(I1\nS'a'\ni__main__\nP\n."),
	    "<__main__.P(1, 'a')>" },
	{ "OBJ (old-style, protocol 2), state holds itself",
	    B("\x80\x02(c__main__\nOld\nq\x01oq\x02}q\x03U\x02meq\x04h\x02sb."),
	    "<__main__.Old() {'me': <ref>}>" },
	{ "OBJ with args", B("(c__main__\nP\nK\x01K\x02o."),
	    "<__main__.P(1, 2)>" },
	{ "NEWOBJ",
	    B("\x80\x02" "c__main__\nC\nq\x01)\x81q\x02}q\x03U\x01xK\x01sb."),
	    "<__main__.C() {'x': 1}>" },
	{ "NEWOBJ with args", B("c__main__\nC\nK\x05\x85\x81."),
	    "<__main__.C(5)>" },
	{ "REDUCE set", B("\x80\x02" "c__builtin__\nset\nq\x01]q\x02K\x01"
	    "a\x85Rq\x03."), "set([1])" },
	{ "REDUCE frozenset, protocol 0",
	    B("c__builtin__\nfrozenset\np1\n((lp2\nI2\natRp3\n."), "set([2])" },
	{ "REDUCE builtins.set", B("cbuiltins\nset\n(K\x01K\x02t\x85R."),
	    "set([1, 2])" },
	{ "REDUCE set()", B("c__builtin__\nset\n)R."), "set([])" },
	{ "REDUCE sets.Set", B("csets\nSet\n]K\x03" "a\x85R."), "set([3])" },
	{ "REDUCE sets.ImmutableSet", B("csets\nImmutableSet\nK\x01\x85\x85R."),
	    "set([1])" },
	{ "sets.Set, protocol 0 (_reconstructor + BUILD)",
	    B("ccopy_reg\n_reconstructor\np1\n(csets\nSet\np2\nc__builtin__\n"
	    "object\np3\nNtRp4\n((dp5\nI1\nI01\nsI2\nI01\nstb."),
	    "set([1, 2])" },
	{ "sets.Set, protocol 2 (NEWOBJ + BUILD)",
	    B("\x80\x02" "csets\nSet\nq\x01)\x81q\x02}q\x03(K\x01\x88K\x02\x88"
	    "u\x85" "b."), "set([1, 2])" },
	{ "copy_reg._reconstructor",
	    B("ccopy_reg\n_reconstructor\np1\n(c__main__\nC\np2\nc__builtin__\n"
	    "object\np3\nNtRp4\n(dp5\nS'x'\nI1\nsb."),
	    "<__main__.C() {'x': 1}>" },
	{ "copyreg._reconstructor keeps a base state",
	    B("ccopyreg\n_reconstructor\n(c__main__\nD\nc__builtin__\ndict\n"
	    "(dS'a'\nI1\nstR."), "<__main__.D({'a': 1})>" },
	{ "REDUCE datetime.datetime",
	    B("\x80\x02" "cdatetime\ndatetime\nq\x01U\n\x07\xdb\x07\n\x0c\x00"
	    "\x01\x00\x00\x05\x85Rq\x02."),
	    "<datetime.datetime('\\x07\\xdb\\x07\\n\\x0c\\x00\\x01\\x00\\x00"
	    "\\x05')>" },
	{ "REDUCE datetime.date, protocol 0",
	    B("cdatetime\ndate\np1\n(S'\\x07\\xdb\\x07\\n'\ntRp2\n."),
	    "<datetime.date('\\x07\\xdb\\x07\\n')>" },
	{ "datetime with other args is a CALL",
	    B("cdatetime\ndatetime\n(I2011\nI7\nI10\ntR."),
	    "<call datetime.datetime(2011, 7, 10)>" },
	{ "os.system is an opaque CALL",
	    B("cposix\nsystem\n(S'echo pwned'\ntR."),
	    "<call posix.system('echo pwned')>" },
	{ "REDUCE with None args", B("cfoo\nbar\nNR."), "<call foo.bar()>" },
	{ "BUILD on a CALL", B("cfoo\nbar\n)R}U\x01" "aK\x01sb."),
	    "<call foo.bar() {'a': 1}>" },
	{ "BUILD (None, slots)", B("c__main__\nS\n)\x81N}U\x01" "aK\x01s\x86"
	    "b."), "<__main__.S() {'a': 1}>" },
	{ "BUILD (dict, slots) merged", B("c__main__\nS\n)\x81}U\x01"
	    "aK\x01s}U\x01" "bK\x02s\x86" "b."),
	    "<__main__.S() {'a': 1, 'b': 2}>" },
	{ "BUILD twice updates the state", B("c__main__\nC\n)\x81}U\x01"
	    "aK\x01sb}U\x01" "bK\x02sb."), "<__main__.C() {'a': 1, 'b': 2}>" },
	{ "BUILD with a non-dict state", B("c__main__\nC\n)\x81K\x07" "b."),
	    "<__main__.C() 7>" },
	{ "dict subclass: items dropped, class kept",
	    B("\x80\x02" "c__main__\nD\nq\x01)\x81q\x02U\x01" "aK\x01s}q\x03"
	    "b."), "<__main__.D() {}>" },
	{ "list subclass: items dropped, class kept",
	    B("c__main__\nL\n)\x81(K\x01K\x02" "eK\x03" "a."),
	    "<__main__.L()>" },
	{ "list containing itself", B("]q\x00h\x00" "a."), "[<ref>]" },
	{ "\\r\\n line ends", B("(lp0\r\nS'a'\r\naI1\r\na."), "['a', 1]" },
	{ "PROTO 1", B("\x80\x01N."), "None" },
};
const size_t dump_ncases = sizeof dump_cases / sizeof dump_cases[0];

static void
test_dumps(void)
{
	const struct dump_case	*c;
	struct pickle		*doc;
	char			*cause, *got;
	size_t			 i;

	for (i = 0; i < sizeof dump_cases / sizeof dump_cases[0]; i++) {
		c = &dump_cases[i];
		if ((doc = tp_load(c->in, c->len, NULL, &cause)) == NULL) {
			ok(0, "%s", c->name);
			tap_diag("%s", cause);
			free(cause);
			continue;
		}
		got = tp_dump_str(doc->root, 20);
		is_str(got, c->want, "%s", c->name);
		free(got);
		pickle_free(doc);
	}
}

/* Memo sharing and cycles resolve to the very same node. */
static void
test_sharing(void)
{
	struct pickle		*doc;
	struct pickle_value	*v, *a;
	char			*cause;

	doc = tp_load(B("]2\x86."), NULL, &cause);
	ok(doc != NULL && doc->root->u.seq.items[0] ==
	    doc->root->u.seq.items[1], "DUP pushes the same node");
	pickle_free(doc);

	doc = tp_load(B("(lp5\nI7\nag5\n\x86."), NULL, &cause);
	ok(doc != NULL && doc->root->u.seq.items[0] ==
	    doc->root->u.seq.items[1] &&
	    doc->root->u.seq.items[0]->u.seq.len == 1,
	    "text GET returns the PUT node, with items appended after PUT");
	pickle_free(doc);

	doc = tp_load(B("\x80\x02(c__main__\nOld\nq\x01oq\x02}q\x03U\x02meq\x04"
	    "h\x02sb."), NULL, &cause);
	ok(doc != NULL && pickle_attr(doc->root, "me") == doc->root,
	    "an object whose state holds itself");
	ok(doc != NULL && doc->protocol == 2, "PROTO 2 recorded");
	ok(doc != NULL && pickle_is_class(doc->root, "__main__", "Old") &&
	    doc->root->u.obj.args != NULL &&
	    doc->root->u.obj.args->type == PICKLE_TUPLE &&
	    doc->root->u.obj.args->u.seq.len == 0,
	    "OBJ has an empty args tuple");
	pickle_free(doc);

	doc = tp_load(B("]q\x00h\x00" "a."), NULL, &cause);
	ok(doc != NULL && doc->root->u.seq.len == 1 &&
	    doc->root->u.seq.items[0] == doc->root, "a list inside itself");
	pickle_free(doc);

	/* The set is referenced by memo before BUILD turns it into a set. */
	doc = tp_load(B("\x80\x02" "csets\nSet\nq\x01)\x81q\x02}q\x03(K\x01\x88"
	    "K\x02\x88u\x85" "bh\x02\x86."), NULL, &cause);
	ok(doc != NULL && doc->root->u.seq.items[0] ==
	    doc->root->u.seq.items[1] &&
	    doc->root->u.seq.items[1]->type == PICKLE_SET,
	    "memo references see a sets.Set become a set");
	pickle_free(doc);

	doc = tp_load(B("(lp0\nI1\na."), NULL, &cause);
	ok(doc != NULL && doc->protocol == 0, "no PROTO: protocol 0");
	pickle_free(doc);

	doc = tp_load(B("cfoo\nbar\nNR."), NULL, &cause);
	v = (doc == NULL) ? NULL : doc->root;
	ok(v != NULL && v->type == PICKLE_CALL && v->u.obj.args == NULL &&
	    v->u.obj.state == NULL, "REDUCE with None args: CALL without args");
	pickle_free(doc);

	doc = tp_load(B("cposix\nsystem\n(S'touch /tmp/pwned'\ntR."), NULL,
	    &cause);
	v = (doc == NULL) ? NULL : doc->root;
	a = (v == NULL) ? NULL : v->u.obj.args;
	ok(v != NULL && v->type == PICKLE_CALL &&
	    strcmp(v->u.obj.module, "posix") == 0 &&
	    strcmp(v->u.obj.name, "system") == 0 && a != NULL &&
	    a->type == PICKLE_TUPLE && a->u.seq.len == 1 &&
	    strcmp(a->u.seq.items[0]->u.str.ptr, "touch /tmp/pwned") == 0 &&
	    access("/tmp/pwned", F_OK) == -1,
	    "posix.system becomes an opaque CALL and never runs");
	pickle_free(doc);
}

static void
test_lookups(void)
{
	struct pickle		*doc, *obj;
	struct pickle_value	*v;
	char			*cause;

	/* {u'key': 1, 'key': 2, 1: 3} */
	doc = tp_load(B("}(X\x03\x00\x00\x00keyK\x01U\x03keyK\x02K\x01K\x03u."),
	    NULL, &cause);
	v = pickle_dict_get(doc ? doc->root : NULL, "key");
	ok(v != NULL && v->type == PICKLE_INT && v->u.i == 2,
	    "dict_get: a repeated key finds its last value");
	ok(pickle_dict_get(doc ? doc->root : NULL, "ke") == NULL,
	    "dict_get: no prefix match");
	ok(pickle_dict_get(doc ? doc->root : NULL, "1") == NULL,
	    "dict_get: non-string keys never match");
	pickle_free(doc);

	doc = tp_load(B("}X\x03\x00\x00\x00keyK\x07s."), NULL, &cause);
	v = pickle_dict_get(doc ? doc->root : NULL, "key");
	ok(v != NULL && v->u.i == 7, "dict_get: unicode key");
	ok(pickle_dict_get(NULL, "key") == NULL, "dict_get: NULL dict");
	ok(pickle_attr(doc ? doc->root : NULL, "key") == NULL,
	    "attr: a dict is not an object");
	ok(pickle_is_string(doc ? doc->root->u.dict.keys[0] : NULL),
	    "is_string: unicode");
	ok(!pickle_is_string(doc ? doc->root->u.dict.vals[0] : NULL),
	    "is_string: int");
	ok(!pickle_is_string(NULL), "is_string: NULL");
	pickle_free(doc);

	obj = tp_load(B("(i__main__\nOld\n(dS'x'\nS'y'\nsb."), NULL, &cause);
	v = pickle_attr(obj ? obj->root : NULL, "x");
	ok(v != NULL && v->type == PICKLE_BYTES && strcmp(v->u.str.ptr,
	    "y") == 0, "attr: state dict value");
	ok(pickle_attr(obj ? obj->root : NULL, "z") == NULL,
	    "attr: missing attribute");
	ok(pickle_is_class(obj ? obj->root : NULL, "__main__", "Old"),
	    "is_class: match");
	ok(!pickle_is_class(obj ? obj->root : NULL, "__main__", "Ol"),
	    "is_class: other name");
	ok(!pickle_is_class(obj ? obj->root : NULL, "__mai", "Old"),
	    "is_class: other module");
	ok(!pickle_is_class(NULL, "__main__", "Old"), "is_class: NULL");
	pickle_free(obj);

	obj = tp_load(B("c__main__\nOld\n."), NULL, &cause);
	ok(!pickle_is_class(obj ? obj->root : NULL, "__main__", "Old"),
	    "is_class: a GLOBAL is not an instance");
	pickle_free(obj);

	obj = tp_load(B("(i__main__\nOld\n."), NULL, &cause);
	ok(obj != NULL && obj->root->u.obj.state == NULL &&
	    pickle_attr(obj->root, "x") == NULL, "attr: object without state");
	pickle_free(obj);

	is_str(pickle_opcode_name('X'), "BINUNICODE", "opcode name X");
	is_str(pickle_opcode_name(0x81), "NEWOBJ", "opcode name 0x81");
	is_str(pickle_opcode_name('('), "MARK", "opcode name (");
	is_str(pickle_opcode_name(0xff), "unknown", "opcode name 0xff");
	is_str(pickle_opcode_name(-1), "unknown", "opcode name -1");
	is_str(pickle_opcode_name(256), "unknown", "opcode name 256");
}

static void
test_dump_format(void)
{
	struct pickle	*doc;
	char		*cause, *s;

	doc = tp_load(B("U\x04" "\x00'\\\n."), NULL, &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 5);
	is_str(s, "'\\x00\\'\\\\\\n'", "dump: str escapes");
	free(s);
	pickle_free(doc);

	doc = tp_load(B("X\x04\x00\x00\x00\xe2\x82\xac'."), NULL, &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 5);
	is_str(s, "u'\xe2\x82\xac\\''", "dump: unicode printed as UTF-8");
	free(s);
	pickle_free(doc);

	doc = tp_load(B("](K\x01]]e."), NULL, &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 0);
	is_str(s, "...", "dump: maxdepth 0");
	free(s);
	s = tp_dump_str(doc ? doc->root : NULL, 1);
	is_str(s, "[1, ..., ...]", "dump: maxdepth 1");
	free(s);
	pickle_free(doc);

	doc = tp_load(B("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00."), NULL,
	    &cause);
	s = tp_dump_str(doc ? doc->root : NULL, 0);
	is_str(s, "9223372036854775808L", "dump: long");
	free(s);
	pickle_free(doc);

	s = tp_dump_str(NULL, 3);
	is_str(s, "NULL", "dump: NULL");
	free(s);
}

/* Recursively decodes every builder, build and changes.pck under dir. */
static void
walk_fixture(const char *dir, size_t *count, size_t *bad, size_t *badtrunc)
{
	struct pickle	*doc;
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		*path, *data, *cause;
	const char	*cls;
	size_t		 len, i;
	int		 proto;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			walk_fixture(path, count, bad, badtrunc);
			free(path);
			continue;
		}
		for (i = 0; de->d_name[i] >= '0' && de->d_name[i] <= '9'; i++)
			;
		if (strcmp(de->d_name, "changes.pck") == 0) {
			cls = "ChangeMaster";
			proto = 0;
		} else if (strcmp(de->d_name, "builder") == 0) {
			cls = "BuilderStatus";
			proto = 2;
		} else if (i > 0 && de->d_name[i] == '\0') {
			cls = "BuildStatus";
			proto = 2;
		} else {
			free(path);
			continue;
		}
		(*count)++;
		if (read_file(path, 0, &data, &len, &cause) != 0) {
			tap_diag("%s", cause);
			free(cause);
			(*bad)++;
			free(path);
			continue;
		}
		doc = tp_load(data, len, NULL, &cause);
		if (doc == NULL || doc->protocol != proto ||
		    doc->root->type != PICKLE_OBJECT ||
		    strcmp(doc->root->u.obj.name, cls) != 0) {
			tap_diag("%s: %s", path, cause ? cause : "wrong root");
			(*bad)++;
		}
		pickle_free(doc);
		free(cause);
		*badtrunc += truncations_fail(data, len, path);
		free(data);
		free(path);
	}
	closedir(d);
}

static struct pickle *
load_file(const char *dir, const char *rel)
{
	struct pickle	*doc;
	char		*path, *data, *cause;
	size_t		 len;

	xasprintf(&path, "%s/%s", dir, rel);
	if (read_file(path, 0, &data, &len, &cause) != 0) {
		tap_diag("%s", cause);
		free(cause);
		free(path);
		return (NULL);
	}
	if ((doc = pickle_load(data, len, path, NULL, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
	}
	free(data);
	free(path);
	return (doc);
}

/* The string value of v, or "" if v is not a string. */
static const char *
str(const struct pickle_value *v)
{
	return (pickle_is_string(v) ? v->u.str.ptr : "");
}

static int64_t
num(const struct pickle_value *v)
{
	return ((v != NULL && v->type == PICKLE_INT) ? v->u.i : -999);
}

static size_t
seqlen(const struct pickle_value *v)
{
	return ((v != NULL && (v->type == PICKLE_LIST ||
	    v->type == PICKLE_TUPLE || v->type == PICKLE_SET)) ?
	    v->u.seq.len : 0);
}

static struct pickle_value *
item(const struct pickle_value *v, size_t i)
{
	return ((i < seqlen(v)) ? v->u.seq.items[i] : NULL);
}

static void
check_master_075(const char *dir)
{
	struct pickle		*doc;
	struct pickle_value	*r, *ch, *c0, *c1, *ev, *src, *who;

	/* changes.pck (protocol 0): ChangeMaster holding two Changes. */
	doc = load_file(dir, "changes.pck");
	r = doc ? doc->root : NULL;
	ok(pickle_is_class(r, "buildbot.changes.changes", "ChangeMaster"),
	    "0.7.5 changes.pck: root is a ChangeMaster");
	is_str(str(pickle_attr(r, "name")), "changemaster",
	    "0.7.5 changes.pck: name");
	is_int(num(pickle_attr(r, "nextNumber")), 3,
	    "0.7.5 changes.pck: nextNumber");
	ch = pickle_attr(r, "changes");
	is_int(seqlen(ch), 2, "0.7.5 changes.pck: 2 changes");
	c0 = item(ch, 0);
	c1 = item(ch, 1);
	ok(pickle_is_class(c0, "buildbot.changes.changes", "Change") &&
	    pickle_is_class(c1, "buildbot.changes.changes", "Change"),
	    "0.7.5 changes.pck: both are Changes");
	is_str(str(pickle_attr(c0, "who")),
	    "the snowman <\xe2\x98\x83@norpole.net>",
	    "0.7.5 changes.pck: \\x escapes decode to UTF-8 bytes");
	is_str(str(item(pickle_attr(c0, "files"), 0)),
	    "\xe2\x98\x85/funny_chars/in/a/path",
	    "0.7.5 changes.pck: files[0]");
	is_str(str(pickle_attr(c0, "branch")), "\xe2\x98\x84",
	    "0.7.5 changes.pck: branch");
	ok(pickle_attr(c0, "when") != NULL &&
	    pickle_attr(c0, "when")->type == PICKLE_FLOAT &&
	    pickle_attr(c0, "when")->u.f == 1289535985.272419,
	    "0.7.5 changes.pck: FLOAT when");
	ok(pickle_attr(c0, "isdir") != NULL &&
	    pickle_attr(c0, "isdir")->type == PICKLE_INT,
	    "0.7.5 changes.pck: I0 is an int, not a bool");
	is_int(num(pickle_attr(c1, "number")), 2,
	    "0.7.5 changes.pck: second number");
	ok(pickle_attr(c1, "branch") != NULL &&
	    pickle_attr(c1, "branch")->type == PICKLE_NONE,
	    "0.7.5 changes.pck: second branch is None");
	ok(pickle_attr(c0, "links") != NULL &&
	    pickle_attr(c0, "links") == pickle_attr(c1, "links"),
	    "0.7.5 changes.pck: both Changes share one links list");
	pickle_free(doc);

	doc = load_file(dir, "tbdir/builder");
	r = doc ? doc->root : NULL;
	ok(pickle_is_class(r, "buildbot.status.builder", "BuilderStatus"),
	    "0.7.5 builder: BuilderStatus");
	is_str(str(pickle_attr(r, "name")), "tb", "0.7.5 builder: name");
	ev = pickle_attr(r, "events");
	is_int(seqlen(ev), 5, "0.7.5 builder: 5 events");
	is_str(str(item(pickle_attr(item(ev, 4), "text"), 1)), "shutdown",
	    "0.7.5 builder: last event is master shutdown");
	pickle_free(doc);

	doc = load_file(dir, "tbdir/0");
	r = doc ? doc->root : NULL;
	ok(pickle_is_class(r, "buildbot.status.builder", "BuildStatus"),
	    "0.7.5 build 0: BuildStatus");
	is_int(num(pickle_attr(r, "number")), 0, "0.7.5 build 0: number");
	is_int(seqlen(pickle_attr(r, "steps")), 1, "0.7.5 build 0: one step");
	is_str(str(pickle_attr(item(pickle_attr(r, "steps"), 0), "name")),
	    "shell", "0.7.5 build 0: step name");
	src = pickle_attr(r, "source");
	c0 = item(pickle_attr(src, "changes"), 0);
	is_str(str(pickle_attr(c0, "comments")), "on-branch change",
	    "0.7.5 build 0: the source stamp's change");
	who = pickle_attr(c0, "who");
	ok(who != NULL && who == item(pickle_attr(r, "blamelist"), 0),
	    "0.7.5 build 0: Change.who is the blamelist's string node");
	pickle_free(doc);
}

static void
check_v082(const char *dir)
{
	struct pickle		*doc;
	struct pickle_value	*r, *steps, *logs, *rt, *pr, *ps;
	size_t			 i, back;

	doc = load_file(dir, "builder/builder");
	r = doc ? doc->root : NULL;
	is_str(str(pickle_attr(r, "category")), "x7", "v082 builder: category");
	is_int(seqlen(pickle_attr(r, "events")), 12, "v082 builder: 12 events");
	pickle_free(doc);

	doc = load_file(dir, "builder/1");
	r = doc ? doc->root : NULL;
	is_int(num(pickle_attr(r, "results")), 4, "v082 build 1: results 4");
	is_str(str(item(pickle_attr(r, "text"), 0)), "exception",
	    "v082 build 1: text");
	ok(pickle_attr(r, "reason") != NULL &&
	    pickle_attr(r, "reason")->type == PICKLE_UNICODE &&
	    strcmp(str(pickle_attr(r, "reason")), "The web-page 'force build' "
	    "button was pressed by '': \n") == 0,
	    "v082 build 1: unicode reason");
	steps = pickle_attr(r, "steps");
	is_int(seqlen(steps), 3, "v082 build 1: 3 steps");
	is_str(str(pickle_attr(item(steps, 2), "name")), "shell_1",
	    "v082 build 1: third step");
	logs = pickle_attr(item(steps, 0), "logs");
	ok(seqlen(logs) == 3 &&
	    pickle_is_class(item(logs, 0), "buildbot.status.builder",
	    "LogFile") &&
	    pickle_is_class(item(logs, 1), "buildbot.status.builder",
	    "HTMLLogFile") &&
	    pickle_is_class(item(logs, 2), "buildbot.status.builder",
	    "LogFile"),
	    "v082 build 1: LogFile, HTMLLogFile, LogFile");
	ok(pickle_attr(item(logs, 1), "html") != NULL &&
	    pickle_attr(item(logs, 1), "html")->u.str.len == 2527 &&
	    tp_starts_with(str(pickle_attr(item(logs, 1), "html")), "\n<style"),
	    "v082 build 1: HTMLLogFile html (BINSTRING of 2527 bytes)");
	rt = pickle_attr(pickle_attr(r, "properties"), "runtime");
	ok(rt != NULL && rt->type == PICKLE_SET && seqlen(rt) == 1 &&
	    strcmp(str(item(rt, 0)), "revision") == 0,
	    "v082 build 1: Properties.runtime is set(['revision'])");
	pr = pickle_attr(r, "progress");
	ps = pickle_attr(pr, "steps");
	back = 0;
	for (i = 0; ps != NULL && ps->type == PICKLE_DICT && i < ps->u.dict.len;
	    i++) {
		if (pickle_attr(ps->u.dict.vals[i], "buildProgress") == pr)
			back++;
	}
	ok(pr != NULL && back == 3,
	    "v082 build 1: each StepProgress points back to its BuildProgress");
	ok(pickle_attr(pickle_dict_get(ps, "git"), "buildProgress") != NULL &&
	    pickle_attr(pickle_attr(pickle_dict_get(ps, "git"),
	    "buildProgress"), "steps") == ps,
	    "v082 build 1: the cycle sees BuildProgress state set later");
	ok(pickle_attr(r, "changes") != NULL &&
	    pickle_attr(r, "changes")->type == PICKLE_TUPLE &&
	    seqlen(pickle_attr(r, "changes")) == 0,
	    "v082 build 1: changes is an empty tuple");
	pickle_free(doc);
}

static void
check_v087p1(const char *dir)
{
	struct pickle		*doc;
	struct pickle_value	*r, *ss, *lk, *w;

	doc = load_file(dir, "runtests/0");
	r = doc ? doc->root : NULL;
	is_int(seqlen(pickle_attr(r, "steps")), 2, "v087p1 build 0: 2 steps");
	ok(pickle_is_class(item(pickle_attr(item(pickle_attr(r, "steps"), 0),
	    "logs"), 0), "buildbot.status.logfile", "LogFile"),
	    "v087p1 build 0: buildbot.status.logfile.LogFile");
	is_str(str(pickle_attr(r, "reason")), "A build was forced by "
	    "'jabroney <jabroney@localhost>': Ticket 2439 (buil 1)",
	    "v087p1 build 0: reason");
	ss = item(pickle_attr(r, "sources"), 0);
	ok(pickle_is_class(ss, "buildbot.sourcestamp", "SourceStamp"),
	    "v087p1 build 0: sources[0] is a SourceStamp");
	lk = pickle_attr(ss, "_addSourceStampToDatabase_lock");
	w = pickle_attr(lk, "waiting");
	ok(pickle_is_class(lk, "twisted.internet.defer", "DeferredLock") &&
	    seqlen(lk->u.obj.args) == 0 && w != NULL &&
	    w->type == PICKLE_LIST && w->u.seq.len == 0,
	    "v087p1 build 0: NEWOBJ DeferredLock with state {'waiting': []}");
	pickle_free(doc);
}

static void
test_fixtures(void)
{
	static const char	*tarballs[] = { "master-0-7-5", "v082",
	    "v087p1" };
	static const size_t	 expect[] = { 3, 5, 2 };
	const char		*fx;
	char			 tmpl[] = "/tmp/test-pickle.XXXXXX";
	char			*cmd, *tgz, *top;
	size_t			 i, count, bad, badtrunc;
	struct stat		 sb;

	if ((fx = getenv("BBM_FIXTURES")) == NULL || stat(fx, &sb) != 0) {
		ok(1, "fixtures # SKIP BBM_FIXTURES not set or missing");
		return;
	}
	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	for (i = 0; i < sizeof tarballs / sizeof tarballs[0]; i++) {
		xasprintf(&tgz, "%s/%s.tgz", fx, tarballs[i]);
		if (stat(tgz, &sb) != 0) {
			ok(1, "%s # SKIP %s missing", tarballs[i], tgz);
			free(tgz);
			continue;
		}
		xasprintf(&cmd, "tar xzf '%s' -C '%s'", tgz, tmpl);
		if (system(cmd) != 0) {
			ok(0, "%s: %s", tarballs[i], cmd);
			free(cmd);
			free(tgz);
			continue;
		}
		free(cmd);
		free(tgz);

		xasprintf(&top, "%s/%s", tmpl, tarballs[i]);
		count = bad = badtrunc = 0;
		walk_fixture(top, &count, &bad, &badtrunc);
		ok(count == expect[i] && bad == 0, "%s: %zu pickles decode "
		    "with the expected root class and protocol", tarballs[i],
		    count);
		is_int(badtrunc, 0, "%s: every prefix of every pickle fails "
		    "cleanly", tarballs[i]);
		if (i == 0)
			check_master_075(top);
		else if (i == 1)
			check_v082(top);
		else
			check_v087p1(top);
		free(top);
	}
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpl);
	free(cmd);
}

int
main(void)
{
	test_scalars();
	test_dumps();
	test_errors();
	test_truncations();
	test_sharing();
	test_lookups();
	test_dump_format();
	test_limits();
	test_fixtures();
	return (tap_done());
}