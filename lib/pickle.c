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
 *
 * This file holds the machine itself: the dispatch of every opcode, the
 * stack, MARKs and memo, and the construction of error messages. The
 * value tree and its arena live in pickle-tree.c, the parsing of text and
 * numbers in pickle-text.c.
 */
#include "config.h"
#include "pickle.h"
#include "pickle-int.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PICKLE_DEFAULT_MAX_INPUT	((size_t)256 << 20)
#define PICKLE_DEFAULT_MAX_DEPTH	10000
#define PICKLE_DEFAULT_MAX_MEMO		((size_t)1 << 20)
#define PICKLE_DEFAULT_MAX_ALLOC	((size_t)1 << 30)

/*
 * Records the first error of a decode as "NAME: offset N: opcode 0xNN 'c'
 * (OPNAME): reason" (without the opcode part between opcodes) and returns
 * -1, so handlers can write "return (pickle_fail(...));".
 */
int PRINTFLIKE(2, 3)
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
 * Pushes v; a NULL v means its construction already failed (and recorded
 * why), which lets callers write "return (pickle_push(st, pickle_new(..)))".
 */
int
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
int
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
int
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

uint32_t
pickle_le32(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
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
