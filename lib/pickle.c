/*
 * pickle.c: a safe decoder for Python 2 pickles, protocols 0 to 2.
 *
 * The opcode stream drives a small stack machine that builds a value tree
 * in an arena; nothing is ever imported or executed. Every length field is
 * checked against the remaining input before anything is allocated, the
 * stack, the mark stack and the memo are capped, and the arena refuses to
 * grow past max_alloc, so a hostile file costs at most the configured
 * limits. The machine follows CPython's unpickler where it matters (memo
 * sharing, MARK handling, BUILD merging) and is stricter where CPython
 * would run code: REDUCE only rebuilds a short whitelist of types.
 */
#include "config.h"
#include "pickle.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum pickle_opcode {
	PICKLE_OP_MARK = '(',
	PICKLE_OP_STOP = '.',
	PICKLE_OP_POP = '0',
	PICKLE_OP_POP_MARK = '1',
	PICKLE_OP_DUP = '2',
	PICKLE_OP_FLOAT = 'F',
	PICKLE_OP_INT = 'I',
	PICKLE_OP_BININT = 'J',
	PICKLE_OP_BININT1 = 'K',
	PICKLE_OP_LONG = 'L',
	PICKLE_OP_BININT2 = 'M',
	PICKLE_OP_NONE = 'N',
	PICKLE_OP_PERSID = 'P',
	PICKLE_OP_BINPERSID = 'Q',
	PICKLE_OP_REDUCE = 'R',
	PICKLE_OP_STRING = 'S',
	PICKLE_OP_BINSTRING = 'T',
	PICKLE_OP_SHORT_BINSTRING = 'U',
	PICKLE_OP_UNICODE = 'V',
	PICKLE_OP_BINUNICODE = 'X',
	PICKLE_OP_APPEND = 'a',
	PICKLE_OP_BUILD = 'b',
	PICKLE_OP_GLOBAL = 'c',
	PICKLE_OP_DICT = 'd',
	PICKLE_OP_EMPTY_DICT = '}',
	PICKLE_OP_APPENDS = 'e',
	PICKLE_OP_GET = 'g',
	PICKLE_OP_BINGET = 'h',
	PICKLE_OP_INST = 'i',
	PICKLE_OP_LONG_BINGET = 'j',
	PICKLE_OP_LIST = 'l',
	PICKLE_OP_EMPTY_LIST = ']',
	PICKLE_OP_OBJ = 'o',
	PICKLE_OP_PUT = 'p',
	PICKLE_OP_BINPUT = 'q',
	PICKLE_OP_LONG_BINPUT = 'r',
	PICKLE_OP_SETITEM = 's',
	PICKLE_OP_TUPLE = 't',
	PICKLE_OP_EMPTY_TUPLE = ')',
	PICKLE_OP_SETITEMS = 'u',
	PICKLE_OP_BINFLOAT = 'G',
	PICKLE_OP_PROTO = 0x80,
	PICKLE_OP_NEWOBJ = 0x81,
	PICKLE_OP_EXT1 = 0x82,
	PICKLE_OP_EXT2 = 0x83,
	PICKLE_OP_EXT4 = 0x84,
	PICKLE_OP_TUPLE1 = 0x85,
	PICKLE_OP_TUPLE2 = 0x86,
	PICKLE_OP_TUPLE3 = 0x87,
	PICKLE_OP_NEWTRUE = 0x88,
	PICKLE_OP_NEWFALSE = 0x89,
	PICKLE_OP_LONG1 = 0x8a,
	PICKLE_OP_LONG4 = 0x8b,
	/* Protocol 3 and later: named only to make errors readable. */
	PICKLE_OP_BINBYTES = 'B',
	PICKLE_OP_SHORT_BINBYTES = 'C',
	PICKLE_OP_SHORT_BINUNICODE = 0x8c,
	PICKLE_OP_BINUNICODE8 = 0x8d,
	PICKLE_OP_BINBYTES8 = 0x8e,
	PICKLE_OP_EMPTY_SET = 0x8f,
	PICKLE_OP_ADDITEMS = 0x90,
	PICKLE_OP_FROZENSET = 0x91,
	PICKLE_OP_NEWOBJ_EX = 0x92,
	PICKLE_OP_STACK_GLOBAL = 0x93,
	PICKLE_OP_MEMOIZE = 0x94,
	PICKLE_OP_FRAME = 0x95,
	PICKLE_OP_BYTEARRAY8 = 0x96,
	PICKLE_OP_NEXT_BUFFER = 0x97,
	PICKLE_OP_READONLY_BUFFER = 0x98,
};

static const char *const pickle_opnames[256] = {
	[PICKLE_OP_MARK] = "MARK",
	[PICKLE_OP_STOP] = "STOP",
	[PICKLE_OP_POP] = "POP",
	[PICKLE_OP_POP_MARK] = "POP_MARK",
	[PICKLE_OP_DUP] = "DUP",
	[PICKLE_OP_FLOAT] = "FLOAT",
	[PICKLE_OP_INT] = "INT",
	[PICKLE_OP_BININT] = "BININT",
	[PICKLE_OP_BININT1] = "BININT1",
	[PICKLE_OP_LONG] = "LONG",
	[PICKLE_OP_BININT2] = "BININT2",
	[PICKLE_OP_NONE] = "NONE",
	[PICKLE_OP_PERSID] = "PERSID",
	[PICKLE_OP_BINPERSID] = "BINPERSID",
	[PICKLE_OP_REDUCE] = "REDUCE",
	[PICKLE_OP_STRING] = "STRING",
	[PICKLE_OP_BINSTRING] = "BINSTRING",
	[PICKLE_OP_SHORT_BINSTRING] = "SHORT_BINSTRING",
	[PICKLE_OP_UNICODE] = "UNICODE",
	[PICKLE_OP_BINUNICODE] = "BINUNICODE",
	[PICKLE_OP_APPEND] = "APPEND",
	[PICKLE_OP_BUILD] = "BUILD",
	[PICKLE_OP_GLOBAL] = "GLOBAL",
	[PICKLE_OP_DICT] = "DICT",
	[PICKLE_OP_EMPTY_DICT] = "EMPTY_DICT",
	[PICKLE_OP_APPENDS] = "APPENDS",
	[PICKLE_OP_GET] = "GET",
	[PICKLE_OP_BINGET] = "BINGET",
	[PICKLE_OP_INST] = "INST",
	[PICKLE_OP_LONG_BINGET] = "LONG_BINGET",
	[PICKLE_OP_LIST] = "LIST",
	[PICKLE_OP_EMPTY_LIST] = "EMPTY_LIST",
	[PICKLE_OP_OBJ] = "OBJ",
	[PICKLE_OP_PUT] = "PUT",
	[PICKLE_OP_BINPUT] = "BINPUT",
	[PICKLE_OP_LONG_BINPUT] = "LONG_BINPUT",
	[PICKLE_OP_SETITEM] = "SETITEM",
	[PICKLE_OP_TUPLE] = "TUPLE",
	[PICKLE_OP_EMPTY_TUPLE] = "EMPTY_TUPLE",
	[PICKLE_OP_SETITEMS] = "SETITEMS",
	[PICKLE_OP_BINFLOAT] = "BINFLOAT",
	[PICKLE_OP_PROTO] = "PROTO",
	[PICKLE_OP_NEWOBJ] = "NEWOBJ",
	[PICKLE_OP_EXT1] = "EXT1",
	[PICKLE_OP_EXT2] = "EXT2",
	[PICKLE_OP_EXT4] = "EXT4",
	[PICKLE_OP_TUPLE1] = "TUPLE1",
	[PICKLE_OP_TUPLE2] = "TUPLE2",
	[PICKLE_OP_TUPLE3] = "TUPLE3",
	[PICKLE_OP_NEWTRUE] = "NEWTRUE",
	[PICKLE_OP_NEWFALSE] = "NEWFALSE",
	[PICKLE_OP_LONG1] = "LONG1",
	[PICKLE_OP_LONG4] = "LONG4",
	[PICKLE_OP_BINBYTES] = "BINBYTES",
	[PICKLE_OP_SHORT_BINBYTES] = "SHORT_BINBYTES",
	[PICKLE_OP_SHORT_BINUNICODE] = "SHORT_BINUNICODE",
	[PICKLE_OP_BINUNICODE8] = "BINUNICODE8",
	[PICKLE_OP_BINBYTES8] = "BINBYTES8",
	[PICKLE_OP_EMPTY_SET] = "EMPTY_SET",
	[PICKLE_OP_ADDITEMS] = "ADDITEMS",
	[PICKLE_OP_FROZENSET] = "FROZENSET",
	[PICKLE_OP_NEWOBJ_EX] = "NEWOBJ_EX",
	[PICKLE_OP_STACK_GLOBAL] = "STACK_GLOBAL",
	[PICKLE_OP_MEMOIZE] = "MEMOIZE",
	[PICKLE_OP_FRAME] = "FRAME",
	[PICKLE_OP_BYTEARRAY8] = "BYTEARRAY8",
	[PICKLE_OP_NEXT_BUFFER] = "NEXT_BUFFER",
	[PICKLE_OP_READONLY_BUFFER] = "READONLY_BUFFER",
};

#define PICKLE_DEFAULT_MAX_INPUT	((size_t)256 << 20)
#define PICKLE_DEFAULT_MAX_DEPTH	10000
#define PICKLE_DEFAULT_MAX_MEMO		((size_t)1 << 20)
#define PICKLE_DEFAULT_MAX_ALLOC	((size_t)1 << 30)

/*
 * Integers wider than this are refused: turning binary into decimal is
 * quadratic, and no real status pickle holds anything near it (CPython
 * itself refuses int/str conversions beyond 4300 digits since 3.11).
 */
#define PICKLE_LONG_MAX_BYTES		8192
#define PICKLE_LONG_MAX_DIGITS		20000

/* Longest FLOAT text accepted (repr() of a double is at most 24 bytes). */
#define PICKLE_FLOAT_MAX_TEXT		256

#define PICKLE_CHUNK_MIN		4096
#define PICKLE_CHUNK_MAX		((size_t)4 << 20)

/* One arena block; its data follows the header, 8-byte aligned. */
struct pickle_chunk {
	struct pickle_chunk	*next;
	size_t			 size;
	size_t			 used;
};
#define PICKLE_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define PICKLE_CHUNK_HDR PICKLE_ALIGN(sizeof(struct pickle_chunk))
#define PICKLE_CHUNK_DATA(c) ((unsigned char *)(c) + PICKLE_CHUNK_HDR)

/* Decoder state for one pickle_load call. */
struct pickle_state {
	const unsigned char	 *data;
	size_t			  len;
	size_t			  pos;		/* next byte to read */
	size_t			  off;		/* offset of the current op */
	int			  op;		/* current opcode; -1 between */
	const char		 *name;
	struct pickle		 *doc;
	struct pickle_limits	  lim;

	struct pickle_chunk	 *chunk;	/* current arena block */
	size_t			  next_chunk;

	struct pickle_value	**stack;
	size_t			  nstack;
	size_t			  stackcap;
	size_t			 *marks;	/* stack heights at each MARK */
	size_t			  nmarks;
	size_t			  markcap;
	struct pickle_value	**memo;		/* indexed by memo key */
	size_t			  memocap;

	locale_t		  c_locale;
	char			 *cause;
};

static const char *
pickle_type_name(enum pickle_type type)
{
	switch (type) {
	case PICKLE_NONE:
		return ("None");
	case PICKLE_BOOL:
		return ("bool");
	case PICKLE_INT:
		return ("int");
	case PICKLE_LONG:
		return ("long");
	case PICKLE_FLOAT:
		return ("float");
	case PICKLE_BYTES:
		return ("str");
	case PICKLE_UNICODE:
		return ("unicode");
	case PICKLE_TUPLE:
		return ("tuple");
	case PICKLE_LIST:
		return ("list");
	case PICKLE_SET:
		return ("set");
	case PICKLE_DICT:
		return ("dict");
	case PICKLE_GLOBAL:
		return ("global");
	case PICKLE_OBJECT:
		return ("object");
	case PICKLE_CALL:
		return ("call");
	}
	return ("?");
}

const char *
pickle_opcode_name(int opcode)
{
	if (opcode < 0 || opcode > 255 || pickle_opnames[opcode] == NULL)
		return ("unknown");
	return (pickle_opnames[opcode]);
}

/*
 * Records the first error of a decode as "NAME: offset N: opcode 0xNN 'c'
 * (OPNAME): reason" (without the opcode part between opcodes) and returns
 * -1, so handlers can write "return (pickle_fail(...));".
 */
static int PRINTFLIKE(2, 3)
pickle_fail(struct pickle_state *st, const char *fmt, ...)
{
	va_list	 ap;
	char	*reason, ch[8];

	if (st->cause != NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	if (st->op < 0) {
		xasprintf(&st->cause, "%s: offset %zu: %s", st->name, st->off,
		    reason);
	} else {
		if (st->op >= 0x20 && st->op < 0x7f)
			snprintf(ch, sizeof ch, "%c", st->op);
		else
			snprintf(ch, sizeof ch, "\\x%02x",
			    (unsigned int)(st->op & 0xff));
		xasprintf(&st->cause, "%s: offset %zu: opcode 0x%02x '%s' "
		    "(%s): %s", st->name, st->off, st->op, ch,
		    pickle_opcode_name(st->op), reason);
	}
	free(reason);
	return (-1);
}

/*
 * Arena allocation: returns size bytes (8-byte aligned, uninitialised)
 * that live until pickle_free, or NULL with the error recorded when the
 * document would exceed max_alloc. Requests larger than a quarter of a
 * block get a block of their own so they do not waste the current one.
 */
static void *
pickle_alloc(struct pickle_state *st, size_t size)
{
	struct pickle_chunk	*c = st->chunk, *nc;
	size_t			 csize, left;
	int			 big;

	if (size > SIZE_MAX / 2)
		goto toobig;
	size = (size == 0) ? 8 : PICKLE_ALIGN(size);
	if (c != NULL && c->size - c->used >= size) {
		c->used += size;
		return (PICKLE_CHUNK_DATA(c) + c->used - size);
	}

	csize = st->next_chunk;
	big = size > csize / 4;
	if (big)
		csize = size;
	left = st->lim.max_alloc - st->doc->allocated;
	if (left < PICKLE_CHUNK_HDR || left - PICKLE_CHUNK_HDR < size)
		goto toobig;
	if (csize > left - PICKLE_CHUNK_HDR)
		csize = left - PICKLE_CHUNK_HDR;

	nc = xmalloc(PICKLE_CHUNK_HDR + csize);
	nc->size = csize;
	nc->used = size;
	st->doc->allocated += PICKLE_CHUNK_HDR + csize;
	if (big && c != NULL) {
		nc->next = c->next;
		c->next = nc;
	} else {
		nc->next = c;
		st->chunk = nc;
		st->doc->arena = nc;
		if (st->next_chunk < PICKLE_CHUNK_MAX)
			st->next_chunk *= 2;
	}
	return (PICKLE_CHUNK_DATA(nc));

toobig:
	pickle_fail(st, "allocation limit of %zu bytes exceeded",
	    st->lim.max_alloc);
	return (NULL);
}

/*
 * Grows an arena block from oldsize to newsize bytes, in place when it is
 * the most recent allocation, else by copying (the old copy is wasted
 * until pickle_free; geometric growth keeps that bounded). NULL on limit.
 */
static void *
pickle_realloc(struct pickle_state *st, void *old, size_t oldsize,
    size_t newsize)
{
	struct pickle_chunk	*c = st->chunk;
	unsigned char		*p = old;
	size_t			 oa, na;

	if (newsize > SIZE_MAX / 2) {
		pickle_fail(st, "allocation limit of %zu bytes exceeded",
		    st->lim.max_alloc);
		return (NULL);
	}
	oa = (oldsize == 0) ? 8 : PICKLE_ALIGN(oldsize);
	na = (newsize == 0) ? 8 : PICKLE_ALIGN(newsize);
	if (p != NULL && c != NULL && na >= oa &&
	    p + oa == PICKLE_CHUNK_DATA(c) + c->used &&
	    c->size - c->used >= na - oa) {
		c->used += na - oa;
		return (p);
	}
	if ((p = pickle_alloc(st, newsize)) == NULL)
		return (NULL);
	if (old != NULL && oldsize != 0)
		memcpy(p, old, oldsize < newsize ? oldsize : newsize);
	return (p);
}

/* Gives back the unused tail of the most recent allocation. */
static void
pickle_trim(struct pickle_state *st, void *p, size_t oldsize, size_t newsize)
{
	struct pickle_chunk	*c = st->chunk;
	size_t			 oa, na;

	oa = (oldsize == 0) ? 8 : PICKLE_ALIGN(oldsize);
	na = (newsize == 0) ? 8 : PICKLE_ALIGN(newsize);
	if (c != NULL && na < oa &&
	    (unsigned char *)p + oa == PICKLE_CHUNK_DATA(c) + c->used)
		c->used -= oa - na;
}

static struct pickle_value *
pickle_new(struct pickle_state *st, enum pickle_type type)
{
	struct pickle_value	*v;

	if ((v = pickle_alloc(st, sizeof *v)) == NULL)
		return (NULL);
	memset(v, 0, sizeof *v);
	v->type = type;
	return (v);
}

static struct pickle_value *
pickle_new_int(struct pickle_state *st, enum pickle_type type, int64_t i)
{
	struct pickle_value	*v;

	if ((v = pickle_new(st, type)) != NULL)
		v->u.i = i;
	return (v);
}

/* A copy of len bytes at p, NUL-terminated, in the arena. */
static char *
pickle_strdup(struct pickle_state *st, const void *p, size_t len)
{
	char	*s;

	if (len == SIZE_MAX || (s = pickle_alloc(st, len + 1)) == NULL)
		return (NULL);
	if (len != 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return (s);
}

/* A BYTES, UNICODE or LONG node holding a copy of len bytes at p. */
static struct pickle_value *
pickle_new_str(struct pickle_state *st, enum pickle_type type, const void *p,
    size_t len)
{
	struct pickle_value	*v;

	if ((v = pickle_new(st, type)) == NULL)
		return (NULL);
	if ((v->u.str.ptr = pickle_strdup(st, p, len)) == NULL)
		return (NULL);
	v->u.str.len = len;
	return (v);
}

/* A TUPLE, LIST or SET node holding a copy of n item pointers. */
static struct pickle_value *
pickle_new_seq(struct pickle_state *st, enum pickle_type type,
    struct pickle_value *const *items, size_t n)
{
	struct pickle_value	*v;

	if ((v = pickle_new(st, type)) == NULL)
		return (NULL);
	if (n == 0)
		return (v);
	if (n > SIZE_MAX / sizeof *items) {
		pickle_fail(st, "allocation limit of %zu bytes exceeded",
		    st->lim.max_alloc);
		return (NULL);
	}
	v->u.seq.items = pickle_alloc(st, n * sizeof *items);
	if (v->u.seq.items == NULL)
		return (NULL);
	memcpy(v->u.seq.items, items, n * sizeof *items);
	v->u.seq.len = v->u.seq.cap = n;
	return (v);
}

/* Makes room for extra more items in a sequence; -1 on limit. */
static int
pickle_seq_reserve(struct pickle_state *st, struct pickle_value *v,
    size_t extra)
{
	struct pickle_value	**items;
	size_t			  need, cap, isz = sizeof *items;

	if (extra <= v->u.seq.cap - v->u.seq.len)
		return (0);
	if (extra > SIZE_MAX / isz - v->u.seq.len)
		return (pickle_fail(st, "allocation limit of %zu bytes "
		    "exceeded", st->lim.max_alloc));
	need = v->u.seq.len + extra;
	cap = (v->u.seq.cap < 4) ? 4 : v->u.seq.cap;
	while (cap < need)
		cap = (cap > SIZE_MAX / isz / 2) ? need : cap * 2;
	items = pickle_realloc(st, v->u.seq.items, v->u.seq.cap * isz,
	    cap * isz);
	if (items == NULL)
		return (-1);
	v->u.seq.items = items;
	v->u.seq.cap = cap;
	return (0);
}

/* Makes room for extra more pairs in a dict; -1 on limit. */
static int
pickle_dict_reserve(struct pickle_state *st, struct pickle_value *v,
    size_t extra)
{
	struct pickle_value	**keys, **vals;
	size_t			  need, cap, isz = sizeof *keys;

	if (extra <= v->u.dict.cap - v->u.dict.len)
		return (0);
	if (extra > SIZE_MAX / isz - v->u.dict.len)
		return (pickle_fail(st, "allocation limit of %zu bytes "
		    "exceeded", st->lim.max_alloc));
	need = v->u.dict.len + extra;
	cap = (v->u.dict.cap < 4) ? 4 : v->u.dict.cap;
	while (cap < need)
		cap = (cap > SIZE_MAX / isz / 2) ? need : cap * 2;
	keys = pickle_realloc(st, v->u.dict.keys, v->u.dict.cap * isz,
	    cap * isz);
	if (keys == NULL)
		return (-1);
	v->u.dict.keys = keys;
	vals = pickle_realloc(st, v->u.dict.vals, v->u.dict.cap * isz,
	    cap * isz);
	if (vals == NULL)
		return (-1);
	v->u.dict.vals = vals;
	v->u.dict.cap = cap;
	return (0);
}

/* Appends n key/value pairs given interleaved (k0 v0 k1 v1 ...). */
static int
pickle_dict_add_pairs(struct pickle_state *st, struct pickle_value *d,
    struct pickle_value *const *kv, size_t n)
{
	size_t	 i;

	if (pickle_dict_reserve(st, d, n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		d->u.dict.keys[d->u.dict.len] = kv[2 * i];
		d->u.dict.vals[d->u.dict.len] = kv[2 * i + 1];
		d->u.dict.len++;
	}
	return (0);
}

/* A new DICT holding the pairs of a followed by those of b. */
static struct pickle_value *
pickle_dict_merge(struct pickle_state *st, const struct pickle_value *a,
    const struct pickle_value *b)
{
	struct pickle_value	*d;
	size_t			 n, isz = sizeof *d->u.dict.keys;

	if ((d = pickle_new(st, PICKLE_DICT)) == NULL)
		return (NULL);
	n = a->u.dict.len + b->u.dict.len;
	if (n == 0)
		return (d);
	if (pickle_dict_reserve(st, d, n) != 0)
		return (NULL);
	if (a->u.dict.len != 0) {
		memcpy(d->u.dict.keys, a->u.dict.keys, a->u.dict.len * isz);
		memcpy(d->u.dict.vals, a->u.dict.vals, a->u.dict.len * isz);
	}
	if (b->u.dict.len != 0) {
		memcpy(d->u.dict.keys + a->u.dict.len, b->u.dict.keys,
		    b->u.dict.len * isz);
		memcpy(d->u.dict.vals + a->u.dict.len, b->u.dict.vals,
		    b->u.dict.len * isz);
	}
	d->u.dict.len = n;
	return (d);
}

/*
 * Pushes v; a NULL v means its construction already failed (and recorded
 * why), which lets callers write "return (pickle_push(st, pickle_new(..)))".
 */
static int
pickle_push(struct pickle_state *st, struct pickle_value *v)
{
	size_t	 cap;

	if (v == NULL)
		return (-1);
	if (st->nstack + st->nmarks >= st->lim.max_depth)
		return (pickle_fail(st, "nesting limit of %zu exceeded",
		    st->lim.max_depth));
	if (st->nstack == st->stackcap) {
		cap = (st->stackcap == 0) ? 64 : st->stackcap * 2;
		st->stack = xreallocarray(st->stack, cap, sizeof *st->stack);
		st->stackcap = cap;
	}
	st->stack[st->nstack++] = v;
	return (0);
}

/* Stack height of the innermost MARK: nothing below it may be popped. */
static size_t
pickle_fence(const struct pickle_state *st)
{
	return ((st->nmarks == 0) ? 0 : st->marks[st->nmarks - 1]);
}

/* Checks that n items lie above the innermost MARK. */
static int
pickle_need(struct pickle_state *st, size_t n)
{
	size_t	 have = st->nstack - pickle_fence(st);

	if (have < n)
		return (pickle_fail(st, "stack underflow: needs %zu item%s, "
		    "%zu available%s", n, n == 1 ? "" : "s", have,
		    st->nmarks == 0 ? "" : " above the MARK"));
	return (0);
}

/* Pops the innermost MARK, giving the stack height it recorded. */
static int
pickle_pop_mark(struct pickle_state *st, size_t *mark)
{
	if (st->nmarks == 0) {
		pickle_fail(st, "no MARK on the stack");
		return (-1);
	}
	*mark = st->marks[--st->nmarks];
	return (0);
}

/* Hands out the next n input bytes, or fails if fewer remain. */
static int
pickle_read(struct pickle_state *st, size_t n, const unsigned char **p)
{
	if (st->len - st->pos < n) {
		pickle_fail(st, "truncated: needs %zu bytes, %zu left", n,
		    st->len - st->pos);
		return (-1);
	}
	*p = st->data + st->pos;
	st->pos += n;
	return (0);
}

/*
 * Hands out the text up to the next newline (excluded, as is a \r before
 * it: protocol-0 files written in text mode on Windows end lines with
 * \r\n and Buildbot reads them with universal newlines).
 */
static int
pickle_line(struct pickle_state *st, const char **p, size_t *len)
{
	const unsigned char	*s = st->data + st->pos, *nl;

	nl = memchr(s, '\n', st->len - st->pos);
	if (nl == NULL) {
		pickle_fail(st, "truncated: no end of line");
		return (-1);
	}
	*p = (const char *)s;
	*len = (size_t)(nl - s);
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	st->pos = (size_t)(nl - st->data) + 1;
	return (0);
}

static uint32_t
pickle_le32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static int
pickle_is_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v');
}

static int
pickle_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * An INT or LONG node for the decimal digits d[0..n) (validated by the
 * caller) with sign neg: INT when it fits in int64_t, else LONG text.
 */
static struct pickle_value *
pickle_int_digits(struct pickle_state *st, int neg, const char *d, size_t n)
{
	struct pickle_value	*v;
	uint64_t		 u = 0;
	size_t			 i;
	char			*s;

	while (n > 1 && d[0] == '0') {
		d++;
		n--;
	}
	if (n <= 19) {
		/* 19 digits always fit in a uint64_t. */
		for (i = 0; i < n; i++)
			u = u * 10 + (uint64_t)(d[i] - '0');
		if (!neg && u <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)u));
		if (neg && u <= (uint64_t)INT64_MAX + 1) {
			return (pickle_new_int(st, PICKLE_INT,
			    u == 0 ? 0 : -(int64_t)(u - 1) - 1));
		}
	}
	if (n > PICKLE_LONG_MAX_DIGITS) {
		pickle_fail(st, "integer of %zu digits is too large", n);
		return (NULL);
	}
	if ((v = pickle_new(st, PICKLE_LONG)) == NULL)
		return (NULL);
	if ((s = pickle_alloc(st, n + 2)) == NULL)
		return (NULL);
	i = 0;
	if (neg)
		s[i++] = '-';
	memcpy(s + i, d, n);
	i += n;
	s[i] = '\0';
	v->u.str.ptr = s;
	v->u.str.len = i;
	return (v);
}

/*
 * An INT or LONG node for the magnitude limbs[0..n) (base 2^32, least
 * significant first) and sign neg. The limbs are destroyed.
 */
static struct pickle_value *
pickle_int_limbs(struct pickle_state *st, int neg, uint32_t *limbs, size_t n)
{
	struct pickle_value	*v;
	uint32_t		*groups;
	uint64_t		 m, cur, rem;
	size_t			 ng, i, o, size;
	char			*s;
	int			 w;

	while (n > 0 && limbs[n - 1] == 0)
		n--;
	if (n <= 2) {
		m = (n > 0 ? limbs[0] : 0) | (n > 1 ? (uint64_t)limbs[1] << 32 :
		    0);
		if (!neg && m <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)m));
		if (neg && m <= (uint64_t)INT64_MAX + 1) {
			return (pickle_new_int(st, PICKLE_INT,
			    m == 0 ? 0 : -(int64_t)(m - 1) - 1));
		}
	}

	/* Base 10^9 digits, least significant first: 32 bits < 10 digits. */
	groups = xreallocarray(NULL, n * 10 / 9 + 2, sizeof *groups);
	ng = 0;
	while (n > 0) {
		rem = 0;
		for (i = n; i-- > 0;) {
			cur = (rem << 32) | limbs[i];
			limbs[i] = (uint32_t)(cur / 1000000000);
			rem = cur % 1000000000;
		}
		groups[ng++] = (uint32_t)rem;
		while (n > 0 && limbs[n - 1] == 0)
			n--;
	}

	size = ng * 9 + 2;
	if ((v = pickle_new(st, PICKLE_LONG)) == NULL ||
	    (s = pickle_alloc(st, size)) == NULL) {
		free(groups);
		return (NULL);
	}
	o = 0;
	if (neg)
		s[o++] = '-';
	w = snprintf(s + o, size - o, "%u", groups[ng - 1]);
	o += (size_t)w;
	for (i = ng - 1; i-- > 0;) {
		w = snprintf(s + o, size - o, "%09u", groups[i]);
		o += (size_t)w;
	}
	free(groups);
	pickle_trim(st, s, size, o + 1);
	v->u.str.ptr = s;
	v->u.str.len = o;
	return (v);
}

/* The integer stored as n bytes of little-endian two's complement. */
static struct pickle_value *
pickle_int_bytes(struct pickle_state *st, const unsigned char *p, size_t n)
{
	struct pickle_value	*v;
	uint32_t		*limbs;
	uint64_t		 u = 0;
	size_t			 i, k;
	unsigned int		 b, carry, ext;
	int			 neg;

	if (n == 0)
		return (pickle_new_int(st, PICKLE_INT, 0));
	neg = (p[n - 1] & 0x80) != 0;
	ext = neg ? 0xff : 0;

	/* Fast path: the value fits in int64_t after sign extension. */
	k = (n < 8) ? n : 8;
	for (i = k; i < n; i++) {
		if (p[i] != ext)
			break;
	}
	if (i == n && (n <= 8 || (p[7] & 0x80) == (ext & 0x80))) {
		for (i = 0; i < 8; i++)
			u |= (uint64_t)(i < k ? p[i] : ext) << (8 * i);
		if (u <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)u));
		return (pickle_new_int(st, PICKLE_INT,
		    -(int64_t)(~u) - 1));
	}

	limbs = xcalloc((n + 3) / 4, sizeof *limbs);
	carry = 1;
	for (i = 0; i < n; i++) {
		b = p[i];
		if (neg) {
			b = (~b & 0xff) + carry;
			carry = b >> 8;
			b &= 0xff;
		}
		limbs[i / 4] |= (uint32_t)b << (8 * (i % 4));
	}
	v = pickle_int_limbs(st, neg, limbs, (n + 3) / 4);
	free(limbs);
	return (v);
}

/*
 * Integer text as Python 2 int()/long(s, 0) reads it: blanks, a sign,
 * then decimal digits; with prefixed, non-decimal bases accepted only
 * when the caller allows them (LONG does, INT does not).
 */
static struct pickle_value *
pickle_int_text(struct pickle_state *st, const char *p, size_t len,
    int anybase)
{
	struct pickle_value	*v;
	uint32_t		*limbs;
	uint64_t		 cur;
	size_t			 i, n, nl, k;
	int			 neg = 0, base = 10, dv;

	while (len > 0 && pickle_is_blank((unsigned char)p[0])) {
		p++;
		len--;
	}
	while (len > 0 && pickle_is_blank((unsigned char)p[len - 1]))
		len--;
	if (len > 0 && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		p++;
		len--;
	}
	if (anybase && len >= 2 && p[0] == '0') {
		if (p[1] == 'x' || p[1] == 'X')
			base = 16;
		else if (p[1] == 'o' || p[1] == 'O')
			base = 8;
		else if (p[1] == 'b' || p[1] == 'B')
			base = 2;
		if (base != 10) {
			p += 2;
			len -= 2;
		} else {
			/* Python 2 reads a leading 0 as octal. */
			base = 8;
			p++;
			len--;
		}
	}
	if (len == 0 && base != 8)
		goto bad;
	for (i = 0; i < len; i++) {
		dv = pickle_hexval((unsigned char)p[i]);
		if (dv < 0 || dv >= base)
			goto bad;
	}
	if (base == 10)
		return (pickle_int_digits(st, neg, p, len));

	while (len > 0 && p[0] == '0') {
		p++;
		len--;
	}
	if (len > PICKLE_LONG_MAX_DIGITS) {
		pickle_fail(st, "integer of %zu digits is too large", len);
		return (NULL);
	}
	/* Every digit adds at most 4 bits. */
	nl = len / 8 + 2;
	limbs = xcalloc(nl, sizeof *limbs);
	n = 0;
	for (i = 0; i < len; i++) {
		cur = (uint64_t)pickle_hexval((unsigned char)p[i]);
		for (k = 0; k < n; k++) {
			cur += (uint64_t)limbs[k] * (uint64_t)base;
			limbs[k] = (uint32_t)cur;
			cur >>= 32;
		}
		if (cur != 0)
			limbs[n++] = (uint32_t)cur;
	}
	v = pickle_int_limbs(st, neg, limbs, n);
	free(limbs);
	return (v);

bad:
	pickle_fail(st, "invalid integer text");
	return (NULL);
}

/* Appends code point cp to out as UTF-8; surrogates get 3 bytes. */
static size_t
pickle_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/*
 * Length of the UTF-8 sequence at p (n bytes available), or 0 if it is
 * invalid. Encoded surrogates (ED A0..BF xx) are accepted because Python
 * 2 writes lone surrogates that way and reads them back.
 */
static size_t
pickle_utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t	 cp;
	size_t		 len, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff)
		return (0);
	return (len);
}

/* Reads four hex digits at p (n available) into *cp. */
static int
pickle_hex4(const char *p, size_t n, uint32_t *cp)
{
	size_t	 i;
	int	 dv;

	if (n < 4)
		return (-1);
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((dv = pickle_hexval((unsigned char)p[i])) < 0)
			return (-1);
		*cp = (*cp << 4) | (uint32_t)dv;
	}
	return (0);
}

/*
 * STRING: Python 2 repr() of a str, quoted with ' or ", decoded with the
 * string-escape rules (unknown escapes are kept with their backslash).
 */
static int
pickle_op_string(struct pickle_state *st)
{
	struct pickle_value	*v;
	const char		*p;
	size_t			 len, i, o;
	char			*out;
	int			 c, dv, k;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Like cPickle: trailing blanks and control bytes are ignored. */
	while (len > 0 && (unsigned char)p[len - 1] <= ' ')
		len--;
	if (len < 2 || (p[0] != '\'' && p[0] != '"') || p[len - 1] != p[0])
		return (pickle_fail(st, "string is not quoted"));
	p++;
	len -= 2;

	if ((v = pickle_new(st, PICKLE_BYTES)) == NULL ||
	    (out = pickle_alloc(st, len + 1)) == NULL)
		return (-1);
	for (i = o = 0; i < len;) {
		c = (unsigned char)p[i++];
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		if (i == len)
			return (pickle_fail(st, "trailing \\ in string"));
		c = (unsigned char)p[i++];
		switch (c) {
		case '\\':
		case '\'':
		case '"':
			out[o++] = (char)c;
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'a':
			out[o++] = '\a';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'v':
			out[o++] = '\v';
			break;
		case 'x':
			if (len - i < 2 ||
			    pickle_hexval((unsigned char)p[i]) < 0 ||
			    pickle_hexval((unsigned char)p[i + 1]) < 0)
				return (pickle_fail(st, "invalid \\x escape"));
			out[o++] = (char)(pickle_hexval((unsigned char)p[i]) *
			    16 + pickle_hexval((unsigned char)p[i + 1]));
			i += 2;
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			/* Up to three octal digits; Python keeps 8 bits. */
			dv = c - '0';
			for (k = 0; k < 2 && i < len && p[i] >= '0' &&
			    p[i] <= '7'; k++)
				dv = dv * 8 + (p[i++] - '0');
			out[o++] = (char)(dv & 0xff);
			break;
		default:
			out[o++] = '\\';
			out[o++] = (char)c;
			break;
		}
	}
	out[o] = '\0';
	pickle_trim(st, out, len + 1, o + 1);
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (pickle_push(st, v));
}

/*
 * UNICODE: raw-unicode-escape text. Only \uXXXX and \UXXXXXXXX after an
 * odd run of backslashes are escapes; every other byte is a Latin-1 code
 * point. A \u surrogate pair is joined into one code point; lone
 * surrogates are kept (3-byte UTF-8, as Python 2 would write them).
 */
static int
pickle_op_unicode(struct pickle_state *st)
{
	struct pickle_value	*v;
	const char		*p;
	size_t			 len, i, j, o, run, k, cnt;
	uint32_t		 cp, lo;
	char			*out;
	int			 dv;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Each input byte yields at most two output bytes. */
	if (len > (SIZE_MAX - 1) / 2)
		return (pickle_fail(st, "string too long"));
	if ((v = pickle_new(st, PICKLE_UNICODE)) == NULL ||
	    (out = pickle_alloc(st, 2 * len + 1)) == NULL)
		return (-1);
	for (i = o = 0; i < len;) {
		if (p[i] != '\\') {
			o += pickle_put_utf8(out + o, (unsigned char)p[i]);
			i++;
			continue;
		}
		for (j = i; j < len && p[j] == '\\'; j++)
			;
		run = j - i;
		if ((run & 1) == 0 || j == len ||
		    (p[j] != 'u' && p[j] != 'U')) {
			memset(out + o, '\\', run);
			o += run;
			i = j;
			continue;
		}
		memset(out + o, '\\', run - 1);
		o += run - 1;
		cnt = (p[j] == 'u') ? 4 : 8;
		i = j + 1;
		if (len - i < cnt)
			return (pickle_fail(st, "truncated \\%c escape", p[j]));
		cp = 0;
		for (k = 0; k < cnt; k++) {
			if ((dv = pickle_hexval((unsigned char)p[i + k])) < 0) {
				return (pickle_fail(st, "invalid \\%c escape",
				    p[j]));
			}
			cp = (cp << 4) | (uint32_t)dv;
		}
		i += cnt;
		if (cp > 0x10ffff)
			return (pickle_fail(st, "\\U escape out of range"));
		if (cp >= 0xd800 && cp <= 0xdbff && len - i >= 6 &&
		    p[i] == '\\' && p[i + 1] == 'u' &&
		    pickle_hex4(p + i + 2, len - i - 2, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		o += pickle_put_utf8(out + o, cp);
	}
	out[o] = '\0';
	pickle_trim(st, out, 2 * len + 1, o + 1);
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (pickle_push(st, v));
}

/*
 * BINUNICODE payload: UTF-8 as Python 2 wrote it. Encoded surrogates are
 * kept; any other invalid byte becomes U+FFFD so the result stays UTF-8.
 */
static struct pickle_value *
pickle_new_utf8(struct pickle_state *st, const unsigned char *p, size_t len)
{
	struct pickle_value	*v;
	size_t			 i, n, size, o;
	char			*out;

	size = 0;
	for (i = 0; i < len; i += n) {
		if ((n = pickle_utf8_seq(p + i, len - i)) == 0) {
			n = 1;
			size += 3;
		} else
			size += n;
	}
	if (size == len)
		return (pickle_new_str(st, PICKLE_UNICODE, p, len));

	if ((v = pickle_new(st, PICKLE_UNICODE)) == NULL ||
	    (out = pickle_alloc(st, size + 1)) == NULL)
		return (NULL);
	for (i = o = 0; i < len; i += n) {
		if ((n = pickle_utf8_seq(p + i, len - i)) == 0) {
			n = 1;
			o += pickle_put_utf8(out + o, 0xfffd);
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (v);
}

/* Reads a 4-byte length that Python 2 treats as signed. */
static int
pickle_read_len4(struct pickle_state *st, size_t *n)
{
	const unsigned char	*p;
	uint32_t		 u;

	if (pickle_read(st, 4, &p) != 0)
		return (-1);
	u = pickle_le32(p);
	if (u > INT32_MAX) {
		pickle_fail(st, "negative length %lld",
		    (long long)u - 0x100000000LL);
		return (-1);
	}
	*n = u;
	return (0);
}

/* Reads a module\nname\n pair (GLOBAL, INST) into arena strings. */
static int
pickle_read_global(struct pickle_state *st, char **module, char **name)
{
	const char	*m, *n;
	size_t		 mlen, nlen;

	if (pickle_line(st, &m, &mlen) != 0 || pickle_line(st, &n, &nlen) != 0)
		return (-1);
	if (mlen == 0 || nlen == 0)
		return (pickle_fail(st, "empty module or class name"));
	if (memchr(m, '\0', mlen) != NULL || memchr(n, '\0', nlen) != NULL)
		return (pickle_fail(st, "NUL byte in module or class name"));
	if ((*module = pickle_strdup(st, m, mlen)) == NULL ||
	    (*name = pickle_strdup(st, n, nlen)) == NULL)
		return (-1);
	return (0);
}

/* An OBJECT of class module.name whose args are items[0..n). */
static struct pickle_value *
pickle_new_object(struct pickle_state *st, char *module, char *name,
    struct pickle_value *const *items, size_t n)
{
	struct pickle_value	*v, *args;

	if ((args = pickle_new_seq(st, PICKLE_TUPLE, items, n)) == NULL ||
	    (v = pickle_new(st, PICKLE_OBJECT)) == NULL)
		return (NULL);
	v->u.obj.module = module;
	v->u.obj.name = name;
	v->u.obj.args = args;
	return (v);
}

/* Reads a memo key: decimal text, one byte or four bytes. */
static int
pickle_memo_key(struct pickle_state *st, size_t *key)
{
	const unsigned char	*b;
	const char		*p;
	size_t			 len, i, k;
	int			 over = 0;

	switch (st->op) {
	case PICKLE_OP_GET:
	case PICKLE_OP_PUT:
		if (pickle_line(st, &p, &len) != 0)
			return (-1);
		if (len == 0)
			return (pickle_fail(st, "empty memo key"));
		k = 0;
		for (i = 0; i < len; i++) {
			if (p[i] < '0' || p[i] > '9')
				return (pickle_fail(st, "invalid memo key"));
			if (over)
				continue;
			/* Stop counting once the key is out of range. */
			if (k >= st->lim.max_memo || k > (SIZE_MAX - 9) / 10)
				over = 1;
			else
				k = k * 10 + (size_t)(p[i] - '0');
		}
		break;
	case PICKLE_OP_BINGET:
	case PICKLE_OP_BINPUT:
		if (pickle_read(st, 1, &b) != 0)
			return (-1);
		k = b[0];
		break;
	default:
		if (pickle_read(st, 4, &b) != 0)
			return (-1);
		k = pickle_le32(b);
		break;
	}
	if (k >= st->lim.max_memo) {
		pickle_fail(st, "memo key %s%zu exceeds the limit of %zu",
		    over ? "beyond " : "", k, st->lim.max_memo);
		return (-1);
	}
	*key = k;
	return (0);
}

static int
pickle_op_get(struct pickle_state *st)
{
	size_t	 key;

	if (pickle_memo_key(st, &key) != 0)
		return (-1);
	if (key >= st->memocap || st->memo[key] == NULL)
		return (pickle_fail(st, "memo key %zu is not defined", key));
	return (pickle_push(st, st->memo[key]));
}

static int
pickle_op_put(struct pickle_state *st)
{
	size_t	 key, cap;

	if (pickle_memo_key(st, &key) != 0 || pickle_need(st, 1) != 0)
		return (-1);
	if (key >= st->memocap) {
		cap = (st->memocap == 0) ? 64 : st->memocap;
		while (cap <= key && cap < st->lim.max_memo)
			cap *= 2;
		if (cap > st->lim.max_memo)
			cap = st->lim.max_memo;
		st->memo = xreallocarray(st->memo, cap, sizeof *st->memo);
		memset(st->memo + st->memocap, 0,
		    (cap - st->memocap) * sizeof *st->memo);
		st->memocap = cap;
	}
	st->memo[key] = st->stack[st->nstack - 1];
	return (0);
}

/* LIST, TUPLE: the items above the innermost MARK become one sequence. */
static int
pickle_op_seq_mark(struct pickle_state *st, enum pickle_type type)
{
	struct pickle_value	*v;
	size_t			 mark;

	if (pickle_pop_mark(st, &mark) != 0)
		return (-1);
	v = pickle_new_seq(st, type, st->stack + mark, st->nstack - mark);
	st->nstack = mark;
	return (pickle_push(st, v));
}

/* TUPLE1, TUPLE2, TUPLE3. */
static int
pickle_op_tuple_n(struct pickle_state *st, size_t n)
{
	struct pickle_value	*v;

	if (pickle_need(st, n) != 0)
		return (-1);
	v = pickle_new_seq(st, PICKLE_TUPLE, st->stack + st->nstack - n, n);
	st->nstack -= n;
	return (pickle_push(st, v));
}

/*
 * Checks the target of APPEND(S)/SETITEM(S). Instances of list or dict
 * subclasses receive their items this way; an opaque node has nowhere to
 * keep them, so *drop is set and the items are discarded (the class name
 * and state survive, as for any unknown class).
 */
static int
pickle_check_target(struct pickle_state *st, const struct pickle_value *t,
    enum pickle_type want, int *drop)
{
	*drop = 0;
	if (t->type == want)
		return (0);
	if (t->type == PICKLE_OBJECT || t->type == PICKLE_CALL) {
		*drop = 1;
		return (0);
	}
	return (pickle_fail(st, "target is of type %s, not %s",
	    pickle_type_name(t->type), pickle_type_name(want)));
}

static int
pickle_op_append(struct pickle_state *st)
{
	struct pickle_value	*list, *x;
	int			 drop;

	if (pickle_need(st, 2) != 0)
		return (-1);
	x = st->stack[st->nstack - 1];
	list = st->stack[st->nstack - 2];
	if (pickle_check_target(st, list, PICKLE_LIST, &drop) != 0)
		return (-1);
	st->nstack--;
	if (drop)
		return (0);
	if (pickle_seq_reserve(st, list, 1) != 0)
		return (-1);
	list->u.seq.items[list->u.seq.len++] = x;
	return (0);
}

static int
pickle_op_appends(struct pickle_state *st)
{
	struct pickle_value	*list;
	size_t			 mark, n;
	int			 drop;

	if (pickle_pop_mark(st, &mark) != 0)
		return (-1);
	if (mark <= pickle_fence(st))
		return (pickle_fail(st, "stack underflow: no list below the "
		    "MARK"));
	list = st->stack[mark - 1];
	if (pickle_check_target(st, list, PICKLE_LIST, &drop) != 0)
		return (-1);
	n = st->nstack - mark;
	if (!drop && n != 0) {
		if (pickle_seq_reserve(st, list, n) != 0)
			return (-1);
		memcpy(list->u.seq.items + list->u.seq.len, st->stack + mark,
		    n * sizeof *st->stack);
		list->u.seq.len += n;
	}
	st->nstack = mark;
	return (0);
}

static int
pickle_op_dict(struct pickle_state *st)
{
	struct pickle_value	*d;
	size_t			 mark, n;

	if (pickle_pop_mark(st, &mark) != 0)
		return (-1);
	n = st->nstack - mark;
	if (n % 2 != 0)
		return (pickle_fail(st, "odd number of items (%zu) for a dict",
		    n));
	if ((d = pickle_new(st, PICKLE_DICT)) == NULL ||
	    pickle_dict_add_pairs(st, d, st->stack + mark, n / 2) != 0)
		return (-1);
	st->nstack = mark;
	return (pickle_push(st, d));
}

static int
pickle_op_setitem(struct pickle_state *st)
{
	struct pickle_value	*d;
	int			 drop;

	if (pickle_need(st, 3) != 0)
		return (-1);
	d = st->stack[st->nstack - 3];
	if (pickle_check_target(st, d, PICKLE_DICT, &drop) != 0)
		return (-1);
	if (!drop && pickle_dict_add_pairs(st, d, st->stack + st->nstack - 2,
	    1) != 0)
		return (-1);
	st->nstack -= 2;
	return (0);
}

static int
pickle_op_setitems(struct pickle_state *st)
{
	struct pickle_value	*d;
	size_t			 mark, n;
	int			 drop;

	if (pickle_pop_mark(st, &mark) != 0)
		return (-1);
	if (mark <= pickle_fence(st))
		return (pickle_fail(st, "stack underflow: no dict below the "
		    "MARK"));
	d = st->stack[mark - 1];
	if (pickle_check_target(st, d, PICKLE_DICT, &drop) != 0)
		return (-1);
	n = st->nstack - mark;
	if (n % 2 != 0)
		return (pickle_fail(st, "odd number of items (%zu) for a dict",
		    n));
	if (!drop && pickle_dict_add_pairs(st, d, st->stack + mark,
	    n / 2) != 0)
		return (-1);
	st->nstack = mark;
	return (0);
}

static int
pickle_op_inst(struct pickle_state *st)
{
	struct pickle_value	*v;
	char			*module, *name;
	size_t			 mark;

	if (pickle_read_global(st, &module, &name) != 0 ||
	    pickle_pop_mark(st, &mark) != 0)
		return (-1);
	v = pickle_new_object(st, module, name, st->stack + mark,
	    st->nstack - mark);
	st->nstack = mark;
	return (pickle_push(st, v));
}

static int
pickle_op_obj(struct pickle_state *st)
{
	struct pickle_value	*cls, *v;
	size_t			 mark;

	if (pickle_pop_mark(st, &mark) != 0)
		return (-1);
	if (st->nstack == mark)
		return (pickle_fail(st, "stack underflow: no class above the "
		    "MARK"));
	cls = st->stack[mark];
	if (cls->type != PICKLE_GLOBAL)
		return (pickle_fail(st, "class is of type %s, not global",
		    pickle_type_name(cls->type)));
	v = pickle_new_object(st, cls->u.obj.module, cls->u.obj.name,
	    st->stack + mark + 1, st->nstack - mark - 1);
	st->nstack = mark;
	return (pickle_push(st, v));
}

static int
pickle_op_newobj(struct pickle_state *st)
{
	struct pickle_value	*cls, *args, *v;

	if (pickle_need(st, 2) != 0)
		return (-1);
	cls = st->stack[st->nstack - 2];
	args = st->stack[st->nstack - 1];
	if (cls->type != PICKLE_GLOBAL)
		return (pickle_fail(st, "class is of type %s, not global",
		    pickle_type_name(cls->type)));
	if (args->type != PICKLE_TUPLE)
		return (pickle_fail(st, "arguments are of type %s, not tuple",
		    pickle_type_name(args->type)));
	if ((v = pickle_new(st, PICKLE_OBJECT)) == NULL)
		return (-1);
	v->u.obj.module = cls->u.obj.module;
	v->u.obj.name = cls->u.obj.name;
	v->u.obj.args = args;
	st->nstack -= 2;
	return (pickle_push(st, v));
}

/*
 * The value of a whitelisted REDUCE, or NULL (nothing recorded) when fn is
 * not whitelisted or args do not have the shape its rebuild expects; the
 * caller then keeps an opaque CALL. *err is set when allocation failed.
 */
static struct pickle_value *
pickle_reduce_known(struct pickle_state *st, struct pickle_value *fn,
    struct pickle_value *args, int *err)
{
	struct pickle_value	*v, *a0 = NULL, *cls, *state;
	size_t			 nargs = 0;
	const char		*m = fn->u.obj.module, *n = fn->u.obj.name;
	int			 builtin, dt;

	*err = 0;
	if (args->type == PICKLE_TUPLE) {
		nargs = args->u.seq.len;
		if (nargs > 0)
			a0 = args->u.seq.items[0];
	}
	builtin = strcmp(m, "__builtin__") == 0 || strcmp(m, "builtins") == 0;

	if ((builtin && (strcmp(n, "set") == 0 ||
	    strcmp(n, "frozenset") == 0)) || (strcmp(m, "sets") == 0 &&
	    (strcmp(n, "Set") == 0 || strcmp(n, "ImmutableSet") == 0))) {
		if (args->type != PICKLE_TUPLE || nargs > 1)
			return (NULL);
		if (nargs == 0)
			v = pickle_new(st, PICKLE_SET);
		else if (a0->type == PICKLE_LIST || a0->type == PICKLE_TUPLE ||
		    a0->type == PICKLE_SET) {
			v = pickle_new_seq(st, PICKLE_SET, a0->u.seq.items,
			    a0->u.seq.len);
		} else
			return (NULL);
		*err = v == NULL;
		return (v);
	}

	if ((strcmp(m, "copy_reg") == 0 || strcmp(m, "copyreg") == 0) &&
	    strcmp(n, "_reconstructor") == 0) {
		if (nargs != 3 || a0->type != PICKLE_GLOBAL)
			return (NULL);
		cls = a0;
		state = args->u.seq.items[2];
		/*
		 * state is the value of a builtin base (the dict of a dict
		 * subclass, say): keep it as the single constructor argument.
		 */
		v = pickle_new_object(st, cls->u.obj.module, cls->u.obj.name,
		    &state, state->type == PICKLE_NONE ? 0 : 1);
		*err = v == NULL;
		return (v);
	}

	dt = strcmp(n, "datetime") == 0;
	if (strcmp(m, "datetime") == 0 && (dt || strcmp(n, "date") == 0)) {
		if (nargs < 1 || nargs > 2 || a0->type != PICKLE_BYTES ||
		    a0->u.str.len != (dt ? 10U : 4U))
			return (NULL);
		if ((v = pickle_new(st, PICKLE_OBJECT)) == NULL) {
			*err = 1;
			return (NULL);
		}
		v->u.obj.module = fn->u.obj.module;
		v->u.obj.name = fn->u.obj.name;
		v->u.obj.args = args;
		return (v);
	}
	return (NULL);
}

static int
pickle_op_reduce(struct pickle_state *st)
{
	struct pickle_value	*fn, *args, *v;
	int			 err;

	if (pickle_need(st, 2) != 0)
		return (-1);
	fn = st->stack[st->nstack - 2];
	args = st->stack[st->nstack - 1];
	if (fn->type != PICKLE_GLOBAL)
		return (pickle_fail(st, "callable is of type %s, not global",
		    pickle_type_name(fn->type)));
	if (args->type != PICKLE_TUPLE && args->type != PICKLE_NONE)
		return (pickle_fail(st, "arguments are of type %s, not tuple",
		    pickle_type_name(args->type)));
	v = pickle_reduce_known(st, fn, args, &err);
	if (err)
		return (-1);
	if (v == NULL) {
		if ((v = pickle_new(st, PICKLE_CALL)) == NULL)
			return (-1);
		v->u.obj.module = fn->u.obj.module;
		v->u.obj.name = fn->u.obj.name;
		v->u.obj.args = (args->type == PICKLE_TUPLE) ? args : NULL;
	}
	st->nstack -= 2;
	return (pickle_push(st, v));
}

/*
 * BUILD: gives the instance on the stack its state. As in CPython, a
 * (dict, slots) pair is merged into one dict and a second BUILD updates
 * the first state (into a new dict: the old one may be shared). A
 * sets.Set instance, whose state is (data_dict,), becomes a SET.
 */
static int
pickle_op_build(struct pickle_state *st)
{
	struct pickle_value	*obj, *state, *a, *b, *d;

	if (pickle_need(st, 2) != 0)
		return (-1);
	state = st->stack[st->nstack - 1];
	obj = st->stack[st->nstack - 2];
	if (obj->type != PICKLE_OBJECT && obj->type != PICKLE_CALL)
		return (pickle_fail(st, "BUILD on type %s: only instances "
		    "take state", pickle_type_name(obj->type)));
	st->nstack--;

	if (state->type == PICKLE_TUPLE && state->u.seq.len == 2) {
		a = state->u.seq.items[0];
		b = state->u.seq.items[1];
		if ((a->type == PICKLE_DICT || a->type == PICKLE_NONE) &&
		    (b->type == PICKLE_DICT || b->type == PICKLE_NONE) &&
		    (a->type == PICKLE_DICT || b->type == PICKLE_DICT)) {
			if (a->type != PICKLE_DICT)
				state = b;
			else if (b->type != PICKLE_DICT)
				state = a;
			else if ((state = pickle_dict_merge(st, a, b)) == NULL)
				return (-1);
		}
	}

	if (obj->type == PICKLE_OBJECT && strcmp(obj->u.obj.module, "sets") ==
	    0 && (strcmp(obj->u.obj.name, "Set") == 0 ||
	    strcmp(obj->u.obj.name, "ImmutableSet") == 0) &&
	    state->type == PICKLE_TUPLE && state->u.seq.len == 1 &&
	    state->u.seq.items[0]->type == PICKLE_DICT) {
		d = state->u.seq.items[0];
		if ((a = pickle_new_seq(st, PICKLE_SET, d->u.dict.keys,
		    d->u.dict.len)) == NULL)
			return (-1);
		/* In place: memo references must see the set too. */
		*obj = *a;
		return (0);
	}

	if (obj->u.obj.state != NULL && obj->u.obj.state->type == PICKLE_DICT &&
	    state->type == PICKLE_DICT) {
		if ((state = pickle_dict_merge(st, obj->u.obj.state,
		    state)) == NULL)
			return (-1);
	}
	obj->u.obj.state = state;
	return (0);
}

static int
pickle_op_float(struct pickle_state *st)
{
	const char	*p;
	char		 tmp[PICKLE_FLOAT_MAX_TEXT + 1], *end;
	size_t		 len;
	double		 d;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	if (len == 0 || len > PICKLE_FLOAT_MAX_TEXT ||
	    memchr(p, '\0', len) != NULL)
		return (pickle_fail(st, "invalid float text"));
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	/* repr() always writes '.', whatever the caller's locale says. */
	if (st->c_locale == (locale_t)0) {
		st->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
		if (st->c_locale == (locale_t)0)
			return (pickle_fail(st, "cannot create the C locale"));
	}
	d = strtod_l(tmp, &end, st->c_locale);
	while (end != tmp && pickle_is_blank((unsigned char)*end))
		end++;
	if (end == tmp || end != tmp + len)
		return (pickle_fail(st, "invalid float text"));
	if (pickle_push(st, pickle_new(st, PICKLE_FLOAT)) != 0)
		return (-1);
	st->stack[st->nstack - 1]->u.f = d;
	return (0);
}

static int
pickle_op_binfloat(struct pickle_state *st)
{
	const unsigned char	*p;
	uint64_t		 u = 0;
	double			 d;
	int			 i;

	if (pickle_read(st, 8, &p) != 0)
		return (-1);
	for (i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	memcpy(&d, &u, sizeof d);
	if (pickle_push(st, pickle_new(st, PICKLE_FLOAT)) != 0)
		return (-1);
	st->stack[st->nstack - 1]->u.f = d;
	return (0);
}

static int
pickle_op_int(struct pickle_state *st)
{
	const char	*p;
	size_t		 len;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Protocol 0 spells True and False this way. */
	if (len == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1'))
		return (pickle_push(st, pickle_new_int(st, PICKLE_BOOL,
		    p[1] == '1')));
	return (pickle_push(st, pickle_int_text(st, p, len, 0)));
}

static int
pickle_op_long(struct pickle_state *st)
{
	const char	*p;
	size_t		 len;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* repr() of a Python 2 long ends in L. */
	if (len > 0 && (p[len - 1] == 'L' || p[len - 1] == 'l'))
		len--;
	return (pickle_push(st, pickle_int_text(st, p, len, 1)));
}

static int
pickle_op_long_bin(struct pickle_state *st, size_t width)
{
	const unsigned char	*p;
	size_t			 n;

	if (width == 1) {
		if (pickle_read(st, 1, &p) != 0)
			return (-1);
		n = p[0];
	} else if (pickle_read_len4(st, &n) != 0)
		return (-1);
	if (st->len - st->pos < n)
		return (pickle_fail(st, "truncated: needs %zu bytes, %zu left",
		    n, st->len - st->pos));
	if (n > PICKLE_LONG_MAX_BYTES)
		return (pickle_fail(st, "integer of %zu bytes is too large",
		    n));
	if (pickle_read(st, n, &p) != 0)
		return (-1);
	return (pickle_push(st, pickle_int_bytes(st, p, n)));
}

static int
pickle_op_binstring(struct pickle_state *st, enum pickle_type type,
    size_t width)
{
	const unsigned char	*p;
	size_t			 n;

	if (width == 1) {
		if (pickle_read(st, 1, &p) != 0)
			return (-1);
		n = p[0];
	} else if (pickle_read_len4(st, &n) != 0)
		return (-1);
	if (pickle_read(st, n, &p) != 0)
		return (-1);
	if (type == PICKLE_UNICODE)
		return (pickle_push(st, pickle_new_utf8(st, p, n)));
	return (pickle_push(st, pickle_new_str(st, type, p, n)));
}

static int
pickle_op_global(struct pickle_state *st)
{
	struct pickle_value	*v;
	char			*module, *name;

	if (pickle_read_global(st, &module, &name) != 0 ||
	    (v = pickle_new(st, PICKLE_GLOBAL)) == NULL)
		return (-1);
	v->u.obj.module = module;
	v->u.obj.name = name;
	return (pickle_push(st, v));
}

static int
pickle_op_stop(struct pickle_state *st)
{
	if (st->nmarks != 0)
		return (pickle_fail(st, "%zu MARK%s still open", st->nmarks,
		    st->nmarks == 1 ? "" : "s"));
	if (st->nstack != 1)
		return (pickle_fail(st, "stack holds %zu items, expected 1",
		    st->nstack));
	st->doc->root = st->stack[0];
	return (0);
}

/* Runs the opcode stream until STOP or the first error. */
static int
pickle_run(struct pickle_state *st)
{
	const unsigned char	*p;
	size_t			 mark, cap;
	int			 r;

	for (;;) {
		st->off = st->pos;
		st->op = -1;
		if (st->pos == st->len)
			return (pickle_fail(st, "truncated: data ends without "
			    "STOP"));
		st->op = st->data[st->pos++];

		switch (st->op) {
		case PICKLE_OP_STOP:
			return (pickle_op_stop(st));
		case PICKLE_OP_PROTO:
			if (pickle_read(st, 1, &p) != 0)
				return (-1);
			if (p[0] > 2)
				return (pickle_fail(st, "unsupported protocol "
				    "%u", p[0]));
			st->doc->protocol = p[0];
			r = 0;
			break;
		case PICKLE_OP_MARK:
			if (st->nstack + st->nmarks >= st->lim.max_depth)
				return (pickle_fail(st, "nesting limit of %zu "
				    "exceeded", st->lim.max_depth));
			if (st->nmarks == st->markcap) {
				cap = (st->markcap == 0) ? 16 : st->markcap * 2;
				st->marks = xreallocarray(st->marks, cap,
				    sizeof *st->marks);
				st->markcap = cap;
			}
			st->marks[st->nmarks++] = st->nstack;
			r = 0;
			break;
		case PICKLE_OP_POP:
			/* As in CPython, POP of a bare MARK drops the MARK. */
			r = 0;
			if (st->nmarks != 0 && st->nstack == pickle_fence(st))
				st->nmarks--;
			else if ((r = pickle_need(st, 1)) == 0)
				st->nstack--;
			break;
		case PICKLE_OP_POP_MARK:
			if ((r = pickle_pop_mark(st, &mark)) == 0)
				st->nstack = mark;
			break;
		case PICKLE_OP_DUP:
			if ((r = pickle_need(st, 1)) == 0)
				r = pickle_push(st, st->stack[st->nstack - 1]);
			break;
		case PICKLE_OP_NONE:
			r = pickle_push(st, pickle_new(st, PICKLE_NONE));
			break;
		case PICKLE_OP_NEWTRUE:
		case PICKLE_OP_NEWFALSE:
			r = pickle_push(st, pickle_new_int(st, PICKLE_BOOL,
			    st->op == PICKLE_OP_NEWTRUE));
			break;
		case PICKLE_OP_INT:
			r = pickle_op_int(st);
			break;
		case PICKLE_OP_BININT:
			if ((r = pickle_read(st, 4, &p)) == 0)
				r = pickle_push(st, pickle_new_int(st,
				    PICKLE_INT, (int32_t)pickle_le32(p)));
			break;
		case PICKLE_OP_BININT1:
			if ((r = pickle_read(st, 1, &p)) == 0)
				r = pickle_push(st, pickle_new_int(st,
				    PICKLE_INT, p[0]));
			break;
		case PICKLE_OP_BININT2:
			if ((r = pickle_read(st, 2, &p)) == 0)
				r = pickle_push(st, pickle_new_int(st,
				    PICKLE_INT, p[0] | p[1] << 8));
			break;
		case PICKLE_OP_LONG:
			r = pickle_op_long(st);
			break;
		case PICKLE_OP_LONG1:
			r = pickle_op_long_bin(st, 1);
			break;
		case PICKLE_OP_LONG4:
			r = pickle_op_long_bin(st, 4);
			break;
		case PICKLE_OP_FLOAT:
			r = pickle_op_float(st);
			break;
		case PICKLE_OP_BINFLOAT:
			r = pickle_op_binfloat(st);
			break;
		case PICKLE_OP_STRING:
			r = pickle_op_string(st);
			break;
		case PICKLE_OP_BINSTRING:
			r = pickle_op_binstring(st, PICKLE_BYTES, 4);
			break;
		case PICKLE_OP_SHORT_BINSTRING:
			r = pickle_op_binstring(st, PICKLE_BYTES, 1);
			break;
		case PICKLE_OP_UNICODE:
			r = pickle_op_unicode(st);
			break;
		case PICKLE_OP_BINUNICODE:
			r = pickle_op_binstring(st, PICKLE_UNICODE, 4);
			break;
		case PICKLE_OP_EMPTY_LIST:
			r = pickle_push(st, pickle_new(st, PICKLE_LIST));
			break;
		case PICKLE_OP_EMPTY_TUPLE:
			r = pickle_push(st, pickle_new(st, PICKLE_TUPLE));
			break;
		case PICKLE_OP_EMPTY_DICT:
			r = pickle_push(st, pickle_new(st, PICKLE_DICT));
			break;
		case PICKLE_OP_LIST:
			r = pickle_op_seq_mark(st, PICKLE_LIST);
			break;
		case PICKLE_OP_TUPLE:
			r = pickle_op_seq_mark(st, PICKLE_TUPLE);
			break;
		case PICKLE_OP_TUPLE1:
			r = pickle_op_tuple_n(st, 1);
			break;
		case PICKLE_OP_TUPLE2:
			r = pickle_op_tuple_n(st, 2);
			break;
		case PICKLE_OP_TUPLE3:
			r = pickle_op_tuple_n(st, 3);
			break;
		case PICKLE_OP_DICT:
			r = pickle_op_dict(st);
			break;
		case PICKLE_OP_APPEND:
			r = pickle_op_append(st);
			break;
		case PICKLE_OP_APPENDS:
			r = pickle_op_appends(st);
			break;
		case PICKLE_OP_SETITEM:
			r = pickle_op_setitem(st);
			break;
		case PICKLE_OP_SETITEMS:
			r = pickle_op_setitems(st);
			break;
		case PICKLE_OP_GET:
		case PICKLE_OP_BINGET:
		case PICKLE_OP_LONG_BINGET:
			r = pickle_op_get(st);
			break;
		case PICKLE_OP_PUT:
		case PICKLE_OP_BINPUT:
		case PICKLE_OP_LONG_BINPUT:
			r = pickle_op_put(st);
			break;
		case PICKLE_OP_GLOBAL:
			r = pickle_op_global(st);
			break;
		case PICKLE_OP_INST:
			r = pickle_op_inst(st);
			break;
		case PICKLE_OP_OBJ:
			r = pickle_op_obj(st);
			break;
		case PICKLE_OP_NEWOBJ:
			r = pickle_op_newobj(st);
			break;
		case PICKLE_OP_REDUCE:
			r = pickle_op_reduce(st);
			break;
		case PICKLE_OP_BUILD:
			r = pickle_op_build(st);
			break;
		case PICKLE_OP_EXT1:
		case PICKLE_OP_EXT2:
		case PICKLE_OP_EXT4:
			return (pickle_fail(st, "extension registry codes are "
			    "not supported"));
		case PICKLE_OP_PERSID:
		case PICKLE_OP_BINPERSID:
			return (pickle_fail(st, "persistent IDs are not "
			    "supported"));
		default:
			if (pickle_opnames[st->op] != NULL)
				return (pickle_fail(st, "protocol 3+ opcode "
				    "not supported (Python 2 pickles use "
				    "protocols 0 to 2)"));
			return (pickle_fail(st, "unknown opcode"));
		}
		if (r != 0)
			return (-1);
	}
}

struct pickle *
pickle_load(const void *data, size_t len, const char *name,
    const struct pickle_limits *lim, char **cause)
{
	struct pickle_state	 st;
	struct pickle		*doc;
	int			 r;

	memset(&st, 0, sizeof st);
	st.data = data;
	st.len = len;
	st.op = -1;
	st.name = (name != NULL) ? name : "pickle";
	st.c_locale = (locale_t)0;
	if (lim != NULL)
		st.lim = *lim;
	if (st.lim.max_input == 0)
		st.lim.max_input = PICKLE_DEFAULT_MAX_INPUT;
	if (st.lim.max_depth == 0)
		st.lim.max_depth = PICKLE_DEFAULT_MAX_DEPTH;
	if (st.lim.max_memo == 0)
		st.lim.max_memo = PICKLE_DEFAULT_MAX_MEMO;
	if (st.lim.max_alloc == 0)
		st.lim.max_alloc = PICKLE_DEFAULT_MAX_ALLOC;

	if (len > st.lim.max_input) {
		xasprintf(cause, "%s: offset 0: input of %zu bytes exceeds the "
		    "limit of %zu bytes", st.name, len, st.lim.max_input);
		return (NULL);
	}

	/* A tree takes a few times its pickle; start with one such block. */
	st.next_chunk = PICKLE_CHUNK_MIN;
	while (st.next_chunk < PICKLE_CHUNK_MAX / 4 && st.next_chunk < len * 3)
		st.next_chunk *= 2;

	/* Never NULL, so that stack + mark is always defined. */
	st.stackcap = 64;
	st.stack = xreallocarray(NULL, st.stackcap, sizeof *st.stack);

	doc = xcalloc(1, sizeof *doc);
	st.doc = doc;
	r = pickle_run(&st);

	free(st.stack);
	free(st.marks);
	free(st.memo);
	if (st.c_locale != (locale_t)0)
		freelocale(st.c_locale);
	if (r != 0) {
		*cause = st.cause;
		pickle_free(doc);
		return (NULL);
	}
	return (doc);
}

void
pickle_free(struct pickle *doc)
{
	struct pickle_chunk	*c, *next;

	if (doc == NULL)
		return;
	for (c = doc->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

struct pickle_value *
pickle_dict_get(const struct pickle_value *d, const char *key)
{
	const struct pickle_value	*k;
	size_t				 i, klen;

	if (d == NULL || d->type != PICKLE_DICT || key == NULL)
		return (NULL);
	klen = strlen(key);
	/* Backwards, so that a repeated key finds its last value. */
	for (i = d->u.dict.len; i-- > 0;) {
		k = d->u.dict.keys[i];
		if ((k->type == PICKLE_BYTES || k->type == PICKLE_UNICODE) &&
		    k->u.str.len == klen && memcmp(k->u.str.ptr, key,
		    klen) == 0)
			return (d->u.dict.vals[i]);
	}
	return (NULL);
}

struct pickle_value *
pickle_attr(const struct pickle_value *v, const char *key)
{
	if (v == NULL || v->type != PICKLE_OBJECT)
		return (NULL);
	return (pickle_dict_get(v->u.obj.state, key));
}

int
pickle_is_class(const struct pickle_value *v, const char *module,
    const char *name)
{
	if (v == NULL || v->type != PICKLE_OBJECT || module == NULL ||
	    name == NULL)
		return (0);
	return (strcmp(v->u.obj.module, module) == 0 &&
	    strcmp(v->u.obj.name, name) == 0);
}

int
pickle_is_string(const struct pickle_value *v)
{
	return (v != NULL && (v->type == PICKLE_BYTES ||
	    v->type == PICKLE_UNICODE));
}

/* Pointer set for pickle_dump: which containers were already printed. */
struct pickle_seen {
	const void	**slots;
	size_t		  cap;
	size_t		  n;
};

/* Adds p; returns 1 if it was already there. */
static int
pickle_seen_add(struct pickle_seen *s, const void *p)
{
	const void	**old;
	size_t		  i, oldcap, h;

	if (s->n * 2 >= s->cap) {
		old = s->slots;
		oldcap = s->cap;
		s->cap = (oldcap == 0) ? 64 : oldcap * 2;
		s->slots = xcalloc(s->cap, sizeof *s->slots);
		s->n = 0;
		for (i = 0; i < oldcap; i++) {
			if (old[i] != NULL)
				pickle_seen_add(s, old[i]);
		}
		free(old);
	}
	h = (size_t)(((uintptr_t)p >> 3) * 0x9e3779b97f4a7c15ULL);
	for (i = h & (s->cap - 1); s->slots[i] != NULL;
	    i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i] == p)
			return (1);
	}
	s->slots[i] = p;
	s->n++;
	return (0);
}

static void
pickle_dump_str(FILE *fp, const struct pickle_value *v)
{
	const unsigned char	*p = (const unsigned char *)v->u.str.ptr;
	size_t			 i;
	int			 uni = v->type == PICKLE_UNICODE;

	if (uni)
		fputc('u', fp);
	fputc('\'', fp);
	for (i = 0; i < v->u.str.len; i++) {
		switch (p[i]) {
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\'':
			fputs("\\'", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			/* UTF-8 of unicode text is printed as it is. */
			if (p[i] < 0x20 || p[i] == 0x7f ||
			    (!uni && p[i] >= 0x80))
				fprintf(fp, "\\x%02x", p[i]);
			else
				fputc(p[i], fp);
			break;
		}
	}
	fputc('\'', fp);
}

static void	pickle_dump_value(FILE *, const struct pickle_value *, int,
		    struct pickle_seen *);

static void
pickle_dump_items(FILE *fp, struct pickle_value *const *items, size_t n,
    int depth, struct pickle_seen *seen)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i != 0)
			fputs(", ", fp);
		pickle_dump_value(fp, items[i], depth, seen);
	}
}

static void
pickle_dump_value(FILE *fp, const struct pickle_value *v, int depth,
    struct pickle_seen *seen)
{
	size_t	 i;

	if (v == NULL) {
		fputs("NULL", fp);
		return;
	}
	switch (v->type) {
	case PICKLE_NONE:
		fputs("None", fp);
		return;
	case PICKLE_BOOL:
		fputs(v->u.i ? "True" : "False", fp);
		return;
	case PICKLE_INT:
		fprintf(fp, "%lld", (long long)v->u.i);
		return;
	case PICKLE_LONG:
		fprintf(fp, "%sL", v->u.str.ptr);
		return;
	case PICKLE_FLOAT:
		fprintf(fp, "%.17g", v->u.f);
		return;
	case PICKLE_BYTES:
	case PICKLE_UNICODE:
		pickle_dump_str(fp, v);
		return;
	case PICKLE_GLOBAL:
		fprintf(fp, "<global %s.%s>", v->u.obj.module, v->u.obj.name);
		return;
	default:
		break;
	}

	if (depth <= 0) {
		fputs("...", fp);
		return;
	}
	if (pickle_seen_add(seen, v)) {
		fputs("<ref>", fp);
		return;
	}
	depth--;
	switch (v->type) {
	case PICKLE_TUPLE:
		fputc('(', fp);
		pickle_dump_items(fp, v->u.seq.items, v->u.seq.len, depth,
		    seen);
		fputs(v->u.seq.len == 1 ? ",)" : ")", fp);
		break;
	case PICKLE_LIST:
		fputc('[', fp);
		pickle_dump_items(fp, v->u.seq.items, v->u.seq.len, depth,
		    seen);
		fputc(']', fp);
		break;
	case PICKLE_SET:
		fputs("set([", fp);
		pickle_dump_items(fp, v->u.seq.items, v->u.seq.len, depth,
		    seen);
		fputs("])", fp);
		break;
	case PICKLE_DICT:
		fputc('{', fp);
		for (i = 0; i < v->u.dict.len; i++) {
			if (i != 0)
				fputs(", ", fp);
			pickle_dump_value(fp, v->u.dict.keys[i], depth, seen);
			fputs(": ", fp);
			pickle_dump_value(fp, v->u.dict.vals[i], depth, seen);
		}
		fputc('}', fp);
		break;
	case PICKLE_OBJECT:
	case PICKLE_CALL:
		fprintf(fp, "<%s%s.%s(", v->type == PICKLE_CALL ? "call " : "",
		    v->u.obj.module, v->u.obj.name);
		if (v->u.obj.args != NULL &&
		    v->u.obj.args->type == PICKLE_TUPLE)
			pickle_dump_items(fp, v->u.obj.args->u.seq.items,
			    v->u.obj.args->u.seq.len, depth, seen);
		else if (v->u.obj.args != NULL)
			pickle_dump_value(fp, v->u.obj.args, depth, seen);
		fputc(')', fp);
		if (v->u.obj.state != NULL) {
			fputc(' ', fp);
			pickle_dump_value(fp, v->u.obj.state, depth, seen);
		}
		fputc('>', fp);
		break;
	default:
		break;
	}
}

void
pickle_dump(FILE *fp, const struct pickle_value *v, int maxdepth)
{
	struct pickle_seen	 seen;

	memset(&seen, 0, sizeof seen);
	pickle_dump_value(fp, v, maxdepth, &seen);
	free(seen.slots);
}
