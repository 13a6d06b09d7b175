/*
 * pickle-tree.c: the value tree of the pickle decoder.
 *
 * Every node of a document lives in one arena of growing blocks, freed
 * all at once by pickle_free. This file holds that arena, the node
 * constructors the opcode machine calls (among them the rebuilding of
 * the few whitelisted REDUCE callables), the lookup helpers walkers use,
 * pickle_dump, and the names of types and opcodes used in messages.
 */
#include "config.h"
#include "pickle.h"
#include "pickle-int.h"

#include <stdlib.h>
#include <string.h>

const char *const pickle_opnames[256] = {
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

/* One arena block; its data follows the header, 8-byte aligned. */
struct pickle_chunk {
	struct pickle_chunk	*next;
	size_t			 size;
	size_t			 used;
};
#define PICKLE_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define PICKLE_CHUNK_HDR PICKLE_ALIGN(sizeof(struct pickle_chunk))
#define PICKLE_CHUNK_DATA(c) ((unsigned char *)(c) + PICKLE_CHUNK_HDR)

const char *
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
 * Arena allocation: returns size bytes (8-byte aligned, uninitialised)
 * that live until pickle_free, or NULL with the error recorded when the
 * document would exceed max_alloc. Requests larger than a quarter of a
 * block get a block of their own so they do not waste the current one.
 */
void *
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
void
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

struct pickle_value *
pickle_new(struct pickle_state *st, enum pickle_type type)
{
	struct pickle_value	*v;

	if ((v = pickle_alloc(st, sizeof *v)) == NULL)
		return (NULL);
	memset(v, 0, sizeof *v);
	v->type = type;
	return (v);
}

struct pickle_value *
pickle_new_int(struct pickle_state *st, enum pickle_type type, int64_t i)
{
	struct pickle_value	*v;

	if ((v = pickle_new(st, type)) != NULL)
		v->u.i = i;
	return (v);
}

/* A copy of len bytes at p, NUL-terminated, in the arena. */
char *
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
struct pickle_value *
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
struct pickle_value *
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

/*
 * The capacity for len + extra items of isz bytes, growing cap by doubling
 * from at least 4; -1 (with the allocation-limit error) on overflow.
 */
static int
pickle_grow(struct pickle_state *st, size_t len, size_t cap, size_t extra,
    size_t isz, size_t *newcap)
{
	size_t	 need;

	if (extra > SIZE_MAX / isz - len)
		return (pickle_fail(st, "allocation limit of %zu bytes "
		    "exceeded", st->lim.max_alloc));
	need = len + extra;
	cap = (cap < 4) ? 4 : cap;
	while (cap < need)
		cap = (cap > SIZE_MAX / isz / 2) ? need : cap * 2;
	*newcap = cap;
	return (0);
}

/* Makes room for extra more items in a sequence; -1 on limit. */
int
pickle_seq_reserve(struct pickle_state *st, struct pickle_value *v,
    size_t extra)
{
	struct pickle_value	**items;
	size_t			  cap = 0, isz = sizeof *items;

	if (extra <= v->u.seq.cap - v->u.seq.len)
		return (0);
	if (pickle_grow(st, v->u.seq.len, v->u.seq.cap, extra, isz, &cap) != 0)
		return (-1);
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
	size_t			  cap = 0, isz = sizeof *keys;

	if (extra <= v->u.dict.cap - v->u.dict.len)
		return (0);
	if (pickle_grow(st, v->u.dict.len, v->u.dict.cap, extra, isz,
	    &cap) != 0)
		return (-1);
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
int
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
struct pickle_value *
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

/* An OBJECT of class module.name whose args are items[0..n). */
struct pickle_value *
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

/*
 * The value of a whitelisted REDUCE, or NULL (nothing recorded) when fn is
 * not whitelisted or args do not have the shape its rebuild expects; the
 * caller then keeps an opaque CALL. *err is set when allocation failed.
 */
struct pickle_value *
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
