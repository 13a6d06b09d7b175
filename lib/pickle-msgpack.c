/*
 * pickle-msgpack.c: pickle trees from msgpack values (the object encoding
 * of protocol.h), so that the status objects of live events go through
 * the same normaliser (legacy.h) as the build pickles.
 *
 * The tree is built in a pickle arena with the constructors of
 * pickle-tree.c, under the same limits as pickle_load: nesting (every
 * array, map and ext is a level) and arena bytes. Instance and class exts
 * carry a msgpack object of their own; each is unpacked with msgpack-c
 * when reached and its zone freed as soon as it is converted, so at most
 * one zone per ext level is alive. Their bytes are expected to have passed
 * frame_parse's structural check (frame.c), as every ext of a parsed frame
 * has: msgpack-c allocates the element count an array declares before
 * reading the elements.
 *
 * Errors name the path of the bad value: map keys that are strings as
 * ".key", array indices and other keys as "[n]". The path is assembled
 * while the recursion unwinds, so a successful conversion never builds it.
 */
#include "config.h"
#include "pickle.h"
#include "pickle-int.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* As pickle_load's defaults (pickle.c). */
#define PICKLE_MSGPACK_MAX_DEPTH	10000
#define PICKLE_MSGPACK_MAX_ALLOC	((size_t)1 << 30)
/* Digits of a long ext, as pickle-text.c accepts for LONG. */
#define PICKLE_MSGPACK_LONG_DIGITS	20000
/* Longest path kept in a message; the outermost part is cut. */
#define PICKLE_MSGPACK_PATH_MAX		512

struct pickle_msgpack {
	struct pickle_state	 st;
	size_t			 depth;
	char			*reason;	/* first error */
	char			*path;		/* built while unwinding */
	int			 path_cut;
};

static struct pickle_value *pickle_mp_value(struct pickle_msgpack *,
		     const msgpack_object *);

/* Records the first error; returns NULL for "return (pickle_mp_fail())". */
static struct pickle_value * PRINTFLIKE(2, 3)
pickle_mp_fail(struct pickle_msgpack *mp, const char *fmt, ...)
{
	va_list	 ap;

	if (mp->reason != NULL)
		return (NULL);
	va_start(ap, fmt);
	xvasprintf(&mp->reason, fmt, ap);
	va_end(ap);
	return (NULL);
}

/*
 * A constructor of pickle-tree.c failed: the only reason is the arena
 * limit. Its own message names a pickle offset, which means nothing here.
 */
static struct pickle_value *
pickle_mp_nomem(struct pickle_msgpack *mp)
{
	free(mp->st.cause);
	mp->st.cause = NULL;
	return (pickle_mp_fail(mp, "allocation limit of %zu bytes exceeded",
	    mp->st.lim.max_alloc));
}

/* Puts one path segment in front of the path built so far. */
static void PRINTFLIKE(2, 3)
pickle_mp_path(struct pickle_msgpack *mp, const char *fmt, ...)
{
	va_list	 ap;
	char	*seg, *p;

	if (mp->path_cut)
		return;
	va_start(ap, fmt);
	xvasprintf(&seg, fmt, ap);
	va_end(ap);
	if (mp->path != NULL &&
	    strlen(seg) + strlen(mp->path) > PICKLE_MSGPACK_PATH_MAX) {
		mp->path_cut = 1;
		free(seg);
		return;
	}
	xasprintf(&p, "%s%s", seg, mp->path != NULL ? mp->path : "");
	free(seg);
	free(mp->path);
	mp->path = p;
}

/* A map key as a path segment. */
static void
pickle_mp_path_key(struct pickle_msgpack *mp, const msgpack_object *k)
{
	const char	*p;
	size_t		 i, n;

	if (k->type == MSGPACK_OBJECT_STR || k->type == MSGPACK_OBJECT_BIN) {
		p = (k->type == MSGPACK_OBJECT_STR) ? k->via.str.ptr :
		    k->via.bin.ptr;
		n = (k->type == MSGPACK_OBJECT_STR) ? k->via.str.size :
		    k->via.bin.size;
		for (i = 0; i < n && i < 64; i++) {
			if (p[i] <= ' ' || p[i] > '~' || p[i] == '.' ||
			    p[i] == '[')
				break;
		}
		if (i == n && n != 0) {
			pickle_mp_path(mp, ".%.*s", (int)n, p);
			return;
		}
	}
	if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		pickle_mp_path(mp, "[%llu]", (unsigned long long)k->via.u64);
	else if (k->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		pickle_mp_path(mp, "[%lld]", (long long)k->via.i64);
	else
		pickle_mp_path(mp, "[?]");
}

/* A module or class name of an ext: a non-empty str without NUL. */
static char *
pickle_mp_name(struct pickle_msgpack *mp, const msgpack_object *o,
    const char *what, const char *ext)
{
	char	*s;

	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0) {
		pickle_mp_fail(mp, "%s ext: %s is not a non-empty str", ext,
		    what);
		return (NULL);
	}
	if (!utf8_valid(o->via.str.ptr, o->via.str.size) ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		pickle_mp_fail(mp, "%s ext: %s is not valid UTF-8 without NUL",
		    ext, what);
		return (NULL);
	}
	if ((s = pickle_strdup(&mp->st, o->via.str.ptr,
	    o->via.str.size)) == NULL)
		pickle_mp_nomem(mp);
	return (s);
}

/*
 * A long ext: decimal digits with an optional '-'. As the pickle decoder
 * does, a value that fits in int64_t becomes an INT.
 */
static struct pickle_value *
pickle_mp_long(struct pickle_msgpack *mp, const char *p, size_t n)
{
	struct pickle_value	*v;
	uint64_t		 u = 0;
	size_t			 i;
	int			 neg = 0;
	char			*s;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		p++;
		n--;
	}
	if (n == 0)
		return (pickle_mp_fail(mp, "long ext: no digits"));
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (pickle_mp_fail(mp, "long ext: not a decimal "
			    "integer"));
	}
	while (n > 1 && p[0] == '0') {
		p++;
		n--;
	}
	if (n > PICKLE_MSGPACK_LONG_DIGITS)
		return (pickle_mp_fail(mp, "long ext: integer of %zu digits "
		    "is too large", n));
	if (n <= 19) {
		for (i = 0; i < n; i++)
			u = u * 10 + (uint64_t)(p[i] - '0');
		if (!neg && u <= INT64_MAX)
			v = pickle_new_int(&mp->st, PICKLE_INT, (int64_t)u);
		else if (neg && u <= (uint64_t)INT64_MAX + 1)
			v = pickle_new_int(&mp->st, PICKLE_INT,
			    u == 0 ? 0 : -(int64_t)(u - 1) - 1);
		else
			goto text;
		return (v != NULL ? v : pickle_mp_nomem(mp));
	}
text:
	if ((v = pickle_new(&mp->st, PICKLE_LONG)) == NULL ||
	    (s = pickle_alloc(&mp->st, n + 2)) == NULL)
		return (pickle_mp_nomem(mp));
	i = 0;
	if (neg)
		s[i++] = '-';
	memcpy(s + i, p, n);
	s[i + n] = '\0';
	v->u.str.ptr = s;
	v->u.str.len = i + n;
	return (v);
}

/* The [module, name(, state)] array of an instance or class ext. */
static struct pickle_value *
pickle_mp_object(struct pickle_msgpack *mp, const msgpack_object *a,
    int instance)
{
	const char		*ext = instance ? "instance" : "class";
	struct pickle_value	*v, *state = NULL;
	char			*module, *name;
	size_t			 want = instance ? 3 : 2;

	if (a->type != MSGPACK_OBJECT_ARRAY)
		return (pickle_mp_fail(mp, "%s ext: expected an array of %zu, "
		    "got msgpack type %d", ext, want, (int)a->type));
	if (a->via.array.size != want)
		return (pickle_mp_fail(mp, "%s ext: expected an array of %zu, "
		    "got one of %zu", ext, want, (size_t)a->via.array.size));
	if ((module = pickle_mp_name(mp, &a->via.array.ptr[0], "module",
	    ext)) == NULL ||
	    (name = pickle_mp_name(mp, &a->via.array.ptr[1], "class name",
	    ext)) == NULL)
		return (NULL);
	if (!instance) {
		if ((v = pickle_new(&mp->st, PICKLE_GLOBAL)) == NULL)
			return (pickle_mp_nomem(mp));
		v->u.obj.module = module;
		v->u.obj.name = name;
		return (v);
	}
	/* No state and a None state both leave the instance bare. */
	if (a->via.array.ptr[2].type != MSGPACK_OBJECT_NIL &&
	    (state = pickle_mp_value(mp, &a->via.array.ptr[2])) == NULL)
		return (NULL);
	if ((v = pickle_new(&mp->st, PICKLE_OBJECT)) == NULL)
		return (pickle_mp_nomem(mp));
	v->u.obj.module = module;
	v->u.obj.name = name;
	v->u.obj.state = state;
	return (v);
}

static struct pickle_value *
pickle_mp_ext(struct pickle_msgpack *mp, const msgpack_object *o)
{
	const msgpack_object_ext	*e = &o->via.ext;
	msgpack_unpacked		 u;
	msgpack_unpack_return		 r;
	struct pickle_value		*v;
	size_t				 off = 0;

	if (e->type == PROTOCOL_EXT_LONG)
		return (pickle_mp_long(mp, e->ptr, e->size));
	if (e->type != PROTOCOL_EXT_INSTANCE && e->type != PROTOCOL_EXT_GLOBAL)
		return (pickle_mp_fail(mp, "ext type %d is unknown",
		    (int)e->type));
	msgpack_unpacked_init(&u);
	r = msgpack_unpack_next(&u, e->ptr, e->size, &off);
	if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES)
		v = pickle_mp_fail(mp, "ext type %d: malformed msgpack data",
		    (int)e->type);
	else if (off != e->size)
		v = pickle_mp_fail(mp, "ext type %d: %zu bytes after the "
		    "object", (int)e->type, (size_t)e->size - off);
	else
		v = pickle_mp_object(mp, &u.data,
		    e->type == PROTOCOL_EXT_INSTANCE);
	msgpack_unpacked_destroy(&u);
	return (v);
}

static struct pickle_value *
pickle_mp_array(struct pickle_msgpack *mp, const msgpack_object *o)
{
	struct pickle_value	*v, *item;
	size_t			 i, n = o->via.array.size;

	if ((v = pickle_new(&mp->st, PICKLE_LIST)) == NULL ||
	    (n != 0 && pickle_seq_reserve(&mp->st, v, n) != 0))
		return (pickle_mp_nomem(mp));
	for (i = 0; i < n; i++) {
		if ((item = pickle_mp_value(mp, &o->via.array.ptr[i])) ==
		    NULL) {
			pickle_mp_path(mp, "[%zu]", i);
			return (NULL);
		}
		v->u.seq.items[v->u.seq.len++] = item;
	}
	return (v);
}

static struct pickle_value *
pickle_mp_map(struct pickle_msgpack *mp, const msgpack_object *o)
{
	const msgpack_object_kv	*kv;
	struct pickle_value	*v, **pairs;
	size_t			 i, n = o->via.map.size;

	if ((v = pickle_new(&mp->st, PICKLE_DICT)) == NULL)
		return (pickle_mp_nomem(mp));
	if (n == 0)
		return (v);
	pairs = xreallocarray(NULL, n, 2 * sizeof *pairs);
	for (i = 0; i < n; i++) {
		kv = &o->via.map.ptr[i];
		if ((pairs[2 * i] = pickle_mp_value(mp, &kv->key)) == NULL) {
			pickle_mp_path(mp, "[key %zu]", i);
			goto fail;
		}
		if ((pairs[2 * i + 1] = pickle_mp_value(mp, &kv->val)) ==
		    NULL) {
			pickle_mp_path_key(mp, &kv->key);
			goto fail;
		}
	}
	if (pickle_dict_add_pairs(&mp->st, v, pairs, n) != 0) {
		pickle_mp_nomem(mp);
		goto fail;
	}
	free(pairs);
	return (v);
fail:
	free(pairs);
	return (NULL);
}

static struct pickle_value *
pickle_mp_value(struct pickle_msgpack *mp, const msgpack_object *o)
{
	struct pickle_value	*v;
	enum pickle_type	 t;
	const char		*p;
	char			*s;
	size_t			 n;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v = pickle_new(&mp->st, PICKLE_NONE);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v = pickle_new_int(&mp->st, PICKLE_BOOL, o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX) {
			v = pickle_new(&mp->st, PICKLE_LONG);
			if (v == NULL || (s = pickle_alloc(&mp->st, 24)) ==
			    NULL)
				return (pickle_mp_nomem(mp));
			n = (size_t)snprintf(s, 24, "%llu",
			    (unsigned long long)o->via.u64);
			v->u.str.ptr = s;
			v->u.str.len = n;
		} else
			v = pickle_new_int(&mp->st, PICKLE_INT,
			    (int64_t)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v = pickle_new_int(&mp->st, PICKLE_INT, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if ((v = pickle_new(&mp->st, PICKLE_FLOAT)) != NULL)
			v->u.f = o->via.f64;
		break;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
		if (o->type == MSGPACK_OBJECT_STR) {
			t = PICKLE_UNICODE;
			p = o->via.str.ptr;
			n = o->via.str.size;
			if (!utf8_valid(p, n))
				return (pickle_mp_fail(mp, "str is not valid "
				    "UTF-8"));
		} else {
			t = PICKLE_BYTES;
			p = o->via.bin.ptr;
			n = o->via.bin.size;
		}
		v = pickle_new_str(&mp->st, t, p, n);
		break;
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
	case MSGPACK_OBJECT_EXT:
		if (mp->depth >= mp->st.lim.max_depth)
			return (pickle_mp_fail(mp, "nesting limit of %zu "
			    "exceeded", mp->st.lim.max_depth));
		mp->depth++;
		if (o->type == MSGPACK_OBJECT_ARRAY)
			v = pickle_mp_array(mp, o);
		else if (o->type == MSGPACK_OBJECT_MAP)
			v = pickle_mp_map(mp, o);
		else
			v = pickle_mp_ext(mp, o);
		mp->depth--;
		return (v);
	default:
		return (pickle_mp_fail(mp, "msgpack type %d is unknown",
		    (int)o->type));
	}
	if (v == NULL)
		return (pickle_mp_nomem(mp));
	return (v);
}

struct pickle *
pickle_from_msgpack(const void *obj, const char *name,
    const struct pickle_limits *lim, char **cause)
{
	struct pickle_msgpack	 mp;
	struct pickle		*doc;
	struct pickle_value	*root;
	const char		*path;

	memset(&mp, 0, sizeof mp);
	mp.st.op = -1;
	mp.st.name = (name != NULL) ? name : "msgpack";
	mp.st.c_locale = (locale_t)0;
	if (lim != NULL)
		mp.st.lim = *lim;
	if (mp.st.lim.max_depth == 0)
		mp.st.lim.max_depth = PICKLE_MSGPACK_MAX_DEPTH;
	if (mp.st.lim.max_alloc == 0)
		mp.st.lim.max_alloc = PICKLE_MSGPACK_MAX_ALLOC;
	mp.st.next_chunk = PICKLE_CHUNK_MIN;
	doc = xcalloc(1, sizeof *doc);
	mp.st.doc = doc;

	root = pickle_mp_value(&mp, obj);
	free(mp.st.cause);
	if (root == NULL) {
		path = (mp.path == NULL) ? "" : mp.path;
		if (*path == '.')
			path++;
		if (*path == '\0')
			xasprintf(cause, "%s: %s", mp.st.name, mp.reason);
		else
			xasprintf(cause, "%s: %s%s: %s", mp.st.name,
			    mp.path_cut ? "..." : "", path, mp.reason);
		free(mp.reason);
		free(mp.path);
		pickle_free(doc);
		return (NULL);
	}
	free(mp.reason);
	free(mp.path);
	doc->root = root;
	return (doc);
}
