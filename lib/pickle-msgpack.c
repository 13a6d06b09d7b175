/*
 * pickle-msgpack.c: pickle trees from msgpack values (the object encoding
 * of protocol.h), so that the status objects of live events go through
 * the same normaliser (legacy.h) as the build pickles.
 *
 * The tree is built in a pickle arena with the constructors of
 * pickle-tree.c, under the same limits as pickle_load: nesting (every
 * array, map and ext is a level) and arena bytes. Instance and class exts
 * carry a msgpack object of their own, as bytes. Those are read here
 * directly rather than unpacked by msgpack-c (whose zone per ext cost more
 * than the conversion): a first walk over the bytes accepts exactly what
 * msgpack_unpack_next would (one object, containers nested at most
 * PICKLE_MSGPACK_STACK deep, element counts the bytes can hold), then
 * the conversion reads them as msgpack-c would have typed them.
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
/* Containers msgpack-c opens at most (its MSGPACK_EMBED_STACK_SIZE). */
#define PICKLE_MSGPACK_STACK		32

struct pickle_msgpack {
	struct pickle_state	 st;
	size_t			 depth;
	char			*reason;	/* first error */
	char			*path;		/* built while unwinding */
	int			 path_cut;
};

/* The bytes of an ext's object, walked already (pickle_mp_walk). */
struct pickle_mp_raw {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
};

static struct pickle_value *pickle_mp_value(struct pickle_msgpack *,
		     const msgpack_object *);
static struct pickle_value *pickle_mp_raw_value(struct pickle_msgpack *,
		     struct pickle_mp_raw *);

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

/* --- the bytes of an ext ------------------------------------------------ */

static uint64_t
pickle_mp_be(const unsigned char *p, size_t n)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

/*
 * Walks the msgpack object at p[0..len) without allocating, accepting
 * what msgpack_unpack_next accepts: no byte 0xc1, every length within the
 * bytes, containers (empty ones too) opened at most PICKLE_MSGPACK_STACK
 * deep, and element counts the remaining bytes can hold (msgpack-c would
 * fail on those, allocating first). *end gets the offset after the object.
 * Returns 0, or -1 if msgpack-c would not give one object.
 */
static int
pickle_mp_walk(const unsigned char *p, size_t len, size_t *end)
{
	uint64_t	 left[PICKLE_MSGPACK_STACK + 1], n, items, size;
	size_t		 pos = 0, lb;
	int		 depth = 0, b, container;

	left[0] = 1;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (pos >= len)
			return (-1);
		b = p[pos++];
		items = size = 0;
		lb = 0;
		container = (b >= 0x80 && b <= 0x9f) ||
		    (b >= 0xdc && b <= 0xdf);
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3)
			;				/* int, nil, bool */
		else if (b <= 0x8f)
			items = 2 * (uint64_t)(b & 0x0f);
		else if (b <= 0x9f)
			items = b & 0x0f;
		else if (b <= 0xbf)
			size = b & 0x1f;
		else if (b >= 0xc4 && b <= 0xc6)	/* bin */
			lb = (size_t)1 << (b - 0xc4);
		else if (b >= 0xc7 && b <= 0xc9) {	/* ext: + type */
			lb = (size_t)1 << (b - 0xc7);
			size = 1;
		} else if (b == 0xca || b == 0xcb)	/* float */
			size = (b == 0xca) ? 4 : 8;
		else if (b >= 0xcc && b <= 0xd3)	/* uint, int */
			size = (uint64_t)1 << ((b - 0xcc) & 3);
		else if (b >= 0xd4 && b <= 0xd8)	/* fixext */
			size = ((uint64_t)1 << (b - 0xd4)) + 1;
		else if (b >= 0xd9 && b <= 0xdb)	/* str */
			lb = (size_t)1 << (b - 0xd9);
		else if (b >= 0xdc && b <= 0xdf)	/* array, map */
			lb = (b & 1) ? 4 : 2;
		else
			return (-1);			/* 0xc1 */
		if (lb != 0) {
			if (len - pos < lb)
				return (-1);
			n = pickle_mp_be(p + pos, lb);
			pos += lb;
			if (b >= 0xdc)
				items = b >= 0xde ? 2 * n : n;
			else
				size += n;
		}
		if (size > len - pos)
			return (-1);
		pos += (size_t)size;
		if (!container)
			continue;
		if (depth == PICKLE_MSGPACK_STACK || items > len - pos)
			return (-1);
		if (items != 0)
			left[++depth] = items;
	}
	*end = pos;
	return (0);
}

/*
 * Reads the next value of r into *o as msgpack-c types it: scalars whole
 * (str, bin and ext data point into r's bytes), arrays and maps as their
 * element count only (the elements follow in r). r was walked: every
 * length fits.
 */
static void
pickle_mp_raw_next(struct pickle_mp_raw *r, msgpack_object *o)
{
	const unsigned char	*p = r->p + r->pos;
	union {
		uint32_t	 i;
		float		 f;
	} f32;
	union {
		uint64_t	 i;
		double		 f;
	} f64;
	uint64_t		 u;
	size_t			 lb, n;
	int			 b = *p++;

	memset(o, 0, sizeof *o);
	if (b <= 0x7f) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = (uint64_t)b;
	} else if (b >= 0xe0) {
		o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o->via.i64 = (int64_t)b - 256;
	} else if (b <= 0x8f) {
		o->type = MSGPACK_OBJECT_MAP;
		o->via.map.size = b & 0x0f;
	} else if (b <= 0x9f) {
		o->type = MSGPACK_OBJECT_ARRAY;
		o->via.array.size = b & 0x0f;
	} else if (b <= 0xbf) {
		o->type = MSGPACK_OBJECT_STR;
		o->via.str.size = b & 0x1f;
		o->via.str.ptr = (const char *)p;
		p += o->via.str.size;
	} else if (b == 0xc0)
		o->type = MSGPACK_OBJECT_NIL;
	else if (b == 0xc2 || b == 0xc3) {
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = b == 0xc3;
	} else if (b == 0xca) {
		f32.i = (uint32_t)pickle_mp_be(p, 4);
		p += 4;
		o->type = MSGPACK_OBJECT_FLOAT32;
		o->via.f64 = f32.f;
	} else if (b == 0xcb) {
		f64.i = pickle_mp_be(p, 8);
		p += 8;
		o->type = MSGPACK_OBJECT_FLOAT64;
		o->via.f64 = f64.f;
	} else if (b >= 0xcc && b <= 0xd3) {
		n = (size_t)1 << ((b - 0xcc) & 3);
		u = pickle_mp_be(p, n);
		p += n;
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = u;
		if (b >= 0xd0 && n < 8 && (u >> (8 * n - 1)) != 0)
			u |= ~(uint64_t)0 << (8 * n);	/* sign-extend */
		if (b >= 0xd0 && (int64_t)u < 0) {
			o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
			o->via.i64 = (int64_t)u;
		}
	} else if (b >= 0xd4 && b <= 0xd8) {
		o->type = MSGPACK_OBJECT_EXT;
		o->via.ext.type = (int8_t)*p++;
		o->via.ext.size = (uint32_t)1 << (b - 0xd4);
		o->via.ext.ptr = (const char *)p;
		p += o->via.ext.size;
	} else {
		/* bin, ext, str, array, map with a length in front */
		if (b >= 0xc4 && b <= 0xc6)
			lb = (size_t)1 << (b - 0xc4);
		else if (b >= 0xc7 && b <= 0xc9)
			lb = (size_t)1 << (b - 0xc7);
		else if (b >= 0xd9 && b <= 0xdb)
			lb = (size_t)1 << (b - 0xd9);
		else
			lb = (b & 1) ? 4 : 2;
		n = (size_t)pickle_mp_be(p, lb);
		p += lb;
		if (b >= 0xc4 && b <= 0xc6) {
			o->type = MSGPACK_OBJECT_BIN;
			o->via.bin.size = (uint32_t)n;
			o->via.bin.ptr = (const char *)p;
			p += n;
		} else if (b >= 0xc7 && b <= 0xc9) {
			o->type = MSGPACK_OBJECT_EXT;
			o->via.ext.type = (int8_t)*p++;
			o->via.ext.size = (uint32_t)n;
			o->via.ext.ptr = (const char *)p;
			p += n;
		} else if (b >= 0xd9 && b <= 0xdb) {
			o->type = MSGPACK_OBJECT_STR;
			o->via.str.size = (uint32_t)n;
			o->via.str.ptr = (const char *)p;
			p += n;
		} else if (b <= 0xdd) {
			o->type = MSGPACK_OBJECT_ARRAY;
			o->via.array.size = (uint32_t)n;
		} else {
			o->type = MSGPACK_OBJECT_MAP;
			o->via.map.size = (uint32_t)n;
		}
	}
	r->pos = (size_t)(p - r->p);
}

/* The [module, name(, state)] array of an instance or class ext. */
static struct pickle_value *
pickle_mp_object(struct pickle_msgpack *mp, struct pickle_mp_raw *r,
    int instance)
{
	const char		*ext = instance ? "instance" : "class";
	struct pickle_value	*v, *state = NULL;
	msgpack_object		 a, o;
	char			*module, *name;
	size_t			 want = instance ? 3 : 2;

	pickle_mp_raw_next(r, &a);
	if (a.type != MSGPACK_OBJECT_ARRAY)
		return (pickle_mp_fail(mp, "%s ext: expected an array of %zu, "
		    "got msgpack type %d", ext, want, (int)a.type));
	if (a.via.array.size != want)
		return (pickle_mp_fail(mp, "%s ext: expected an array of %zu, "
		    "got one of %zu", ext, want, (size_t)a.via.array.size));
	pickle_mp_raw_next(r, &o);
	if ((module = pickle_mp_name(mp, &o, "module", ext)) == NULL)
		return (NULL);
	pickle_mp_raw_next(r, &o);
	if ((name = pickle_mp_name(mp, &o, "class name", ext)) == NULL)
		return (NULL);
	if (!instance) {
		if ((v = pickle_new(&mp->st, PICKLE_GLOBAL)) == NULL)
			return (pickle_mp_nomem(mp));
		v->u.obj.module = module;
		v->u.obj.name = name;
		return (v);
	}
	/* No state and a None state both leave the instance bare. */
	if (r->p[r->pos] != 0xc0 &&
	    (state = pickle_mp_raw_value(mp, r)) == NULL)
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
	struct pickle_mp_raw		 r;
	size_t				 end;

	if (e->type == PROTOCOL_EXT_LONG)
		return (pickle_mp_long(mp, e->ptr, e->size));
	if (e->type != PROTOCOL_EXT_INSTANCE && e->type != PROTOCOL_EXT_GLOBAL)
		return (pickle_mp_fail(mp, "ext type %d is unknown",
		    (int)e->type));
	r.p = (const unsigned char *)e->ptr;
	r.len = e->size;
	r.pos = 0;
	if (pickle_mp_walk(r.p, r.len, &end) != 0)
		return (pickle_mp_fail(mp, "ext type %d: malformed msgpack "
		    "data", (int)e->type));
	if (end != r.len)
		return (pickle_mp_fail(mp, "ext type %d: %zu bytes after the "
		    "object", (int)e->type, r.len - end));
	return (pickle_mp_object(mp, &r, e->type == PROTOCOL_EXT_INSTANCE));
}

/* Small maps gather their pairs here rather than in a malloc'd array. */
#define PICKLE_MSGPACK_PAIRS	32

/*
 * An array or map of n elements, from a msgpack object (o, r NULL) or
 * from the bytes of r (the elements follow its header).
 */
static struct pickle_value *
pickle_mp_array(struct pickle_msgpack *mp, const msgpack_object *o,
    struct pickle_mp_raw *r, size_t n)
{
	struct pickle_value	*v, *item;
	size_t			 i;

	if ((v = pickle_new(&mp->st, PICKLE_LIST)) == NULL ||
	    (n != 0 && pickle_seq_reserve(&mp->st, v, n) != 0))
		return (pickle_mp_nomem(mp));
	for (i = 0; i < n; i++) {
		if (r != NULL)
			item = pickle_mp_raw_value(mp, r);
		else
			item = pickle_mp_value(mp, &o->via.array.ptr[i]);
		if (item == NULL) {
			pickle_mp_path(mp, "[%zu]", i);
			return (NULL);
		}
		v->u.seq.items[v->u.seq.len++] = item;
	}
	return (v);
}

static struct pickle_value *
pickle_mp_map(struct pickle_msgpack *mp, const msgpack_object *o,
    struct pickle_mp_raw *r, size_t n)
{
	struct pickle_value	*v, **pairs, *small[2 * PICKLE_MSGPACK_PAIRS];
	msgpack_object		 key;
	size_t			 i, at = 0;

	if ((v = pickle_new(&mp->st, PICKLE_DICT)) == NULL)
		return (pickle_mp_nomem(mp));
	if (n == 0)
		return (v);
	pairs = small;
	if (n > PICKLE_MSGPACK_PAIRS)
		pairs = xreallocarray(NULL, n, 2 * sizeof *pairs);
	for (i = 0; i < n; i++) {
		if (r != NULL) {
			at = r->pos;
			pairs[2 * i] = pickle_mp_raw_value(mp, r);
		} else
			pairs[2 * i] = pickle_mp_value(mp,
			    &o->via.map.ptr[i].key);
		if (pairs[2 * i] == NULL) {
			pickle_mp_path(mp, "[key %zu]", i);
			goto fail;
		}
		if (r != NULL)
			pairs[2 * i + 1] = pickle_mp_raw_value(mp, r);
		else
			pairs[2 * i + 1] = pickle_mp_value(mp,
			    &o->via.map.ptr[i].val);
		if (pairs[2 * i + 1] == NULL) {
			if (r != NULL) {
				/* The key again, as an object. */
				r->pos = at;
				pickle_mp_raw_next(r, &key);
				pickle_mp_path_key(mp, &key);
			} else
				pickle_mp_path_key(mp, &o->via.map.ptr[i].key);
			goto fail;
		}
	}
	if (pickle_dict_add_pairs(&mp->st, v, pairs, n) != 0) {
		pickle_mp_nomem(mp);
		goto fail;
	}
	if (pairs != small)
		free(pairs);
	return (v);
fail:
	if (pairs != small)
		free(pairs);
	return (NULL);
}

/* A value that is not a container. */
static struct pickle_value *
pickle_mp_scalar(struct pickle_msgpack *mp, const msgpack_object *o)
{
	struct pickle_value	*v;
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
		if (!utf8_valid(o->via.str.ptr, o->via.str.size))
			return (pickle_mp_fail(mp, "str is not valid UTF-8"));
		v = pickle_new_str(&mp->st, PICKLE_UNICODE, o->via.str.ptr,
		    o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		v = pickle_new_str(&mp->st, PICKLE_BYTES, o->via.bin.ptr,
		    o->via.bin.size);
		break;
	default:
		return (pickle_mp_fail(mp, "msgpack type %d is unknown",
		    (int)o->type));
	}
	if (v == NULL)
		return (pickle_mp_nomem(mp));
	return (v);
}

/*
 * A value: a msgpack object (o, r NULL), or the next value of r's bytes
 * (read into o first).
 */
static struct pickle_value *
pickle_mp_any(struct pickle_msgpack *mp, const msgpack_object *o,
    struct pickle_mp_raw *r)
{
	struct pickle_value	*v;

	switch (o->type) {
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
	case MSGPACK_OBJECT_EXT:
		if (mp->depth >= mp->st.lim.max_depth)
			return (pickle_mp_fail(mp, "nesting limit of %zu "
			    "exceeded", mp->st.lim.max_depth));
		mp->depth++;
		if (o->type == MSGPACK_OBJECT_ARRAY)
			v = pickle_mp_array(mp, o, r, o->via.array.size);
		else if (o->type == MSGPACK_OBJECT_MAP)
			v = pickle_mp_map(mp, o, r, o->via.map.size);
		else
			v = pickle_mp_ext(mp, o);
		mp->depth--;
		return (v);
	default:
		return (pickle_mp_scalar(mp, o));
	}
}

static struct pickle_value *
pickle_mp_value(struct pickle_msgpack *mp, const msgpack_object *o)
{
	return (pickle_mp_any(mp, o, NULL));
}

static struct pickle_value *
pickle_mp_raw_value(struct pickle_msgpack *mp, struct pickle_mp_raw *r)
{
	msgpack_object	 o;

	pickle_mp_raw_next(r, &o);
	return (pickle_mp_any(mp, &o, r));
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
