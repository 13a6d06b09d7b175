/*
 * pickle.h: a safe decoder for Python 2 pickles, protocols 0 to 2.
 *
 * The decoder never executes anything: it turns the opcode stream into a
 * generic value tree. Instances become PICKLE_OBJECT nodes carrying their
 * class name and BUILD state; REDUCE is honoured only for a whitelist of
 * reconstructors (sets, copy_reg._reconstructor, datetime); any other call
 * becomes an opaque PICKLE_CALL node. The memo is resolved to pointers, so a
 * value reached twice is the same node and the tree may contain cycles
 * (walkers must bound their depth or track visited nodes).
 *
 * All nodes live in one arena owned by the struct pickle document.
 */
#ifndef BBM_PICKLE_H
#define BBM_PICKLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum pickle_type {
	PICKLE_NONE,
	PICKLE_BOOL,		/* u.i is 0 or 1 */
	PICKLE_INT,		/* u.i; fits in int64_t */
	PICKLE_LONG,		/* u.str: decimal text of an integer beyond int64 */
	PICKLE_FLOAT,		/* u.f */
	PICKLE_BYTES,		/* Python 2 str: u.str, raw bytes, NUL-terminated */
	PICKLE_UNICODE,		/* u.str: UTF-8, NUL-terminated */
	PICKLE_TUPLE,		/* u.seq */
	PICKLE_LIST,		/* u.seq */
	PICKLE_SET,		/* set, frozenset, sets.Set: u.seq */
	PICKLE_DICT,		/* u.dict, in insertion order */
	PICKLE_GLOBAL,		/* class or function reference: u.obj.module/name */
	PICKLE_OBJECT,		/* instance: u.obj (module, name, args, state) */
	PICKLE_CALL,		/* opaque REDUCE of a non-whitelisted callable:
				   u.obj.module/name = callable, args = its args */
};

struct pickle_value {
	enum pickle_type	 type;
	union {
		int64_t		 i;
		double		 f;
		struct {
			char	*ptr;
			size_t	 len;
		} str;
		struct {
			struct pickle_value	**items;
			size_t			  len;
			size_t			  cap;
		} seq;
		struct {
			struct pickle_value	**keys;
			struct pickle_value	**vals;
			size_t			  len;
			size_t			  cap;
		} dict;
		struct {
			char			*module;
			char			*name;
			/* Constructor args (a TUPLE) or NULL. */
			struct pickle_value	*args;
			/* BUILD state (usually a DICT) or NULL if none. */
			struct pickle_value	*state;
		} obj;
	} u;
};

/* Hard limits; a field of 0 takes the default in brackets. */
struct pickle_limits {
	size_t	 max_input;	/* bytes of pickle accepted [256 MiB] */
	size_t	 max_depth;	/* nesting of stack + mark stack [10000] */
	size_t	 max_memo;	/* memo index / entries [1M] */
	size_t	 max_alloc;	/* arena bytes for the whole tree [1 GiB] */
};

struct pickle {
	struct pickle_value	*root;
	/* Which protocol the stream declared (0 if no PROTO opcode). */
	int			 protocol;
	/* Private: arena bookkeeping. */
	void			*arena;
	size_t			 allocated;
};

/*
 * Decode len bytes at data. name is used only in error messages (a file
 * path, say). On success returns a document (caller frees with pickle_free).
 * On failure returns NULL and sets *cause (caller frees) to a message of the
 * form "NAME: offset N: opcode 0xNN 'c': reason". lim may be NULL.
 */
struct pickle	*pickle_load(const void *data, size_t len, const char *name,
		     const struct pickle_limits *lim, char **cause) WUR;
void		 pickle_free(struct pickle *);

/*
 * Writes a readable rendering of v to fp (debugging and tests), at most
 * maxdepth levels deep; shared nodes already printed show as "<ref>".
 */
void		 pickle_dump(FILE *, const struct pickle_value *, int maxdepth);

/* Returns the opcode name for error messages and tests ("BINUNICODE"). */
const char	*pickle_opcode_name(int opcode);

/*
 * Lookup helpers; all tolerate NULL and wrong types by returning NULL/0.
 *
 * pickle_dict_get: the value for a str or unicode key equal to key.
 * pickle_attr: the value of attribute key in an OBJECT's BUILD state dict.
 * pickle_is_class: whether v is an OBJECT of class module.name.
 * pickle_is_string: BYTES or UNICODE.
 */
struct pickle_value	*pickle_dict_get(const struct pickle_value *,
			     const char *key);
struct pickle_value	*pickle_attr(const struct pickle_value *,
			     const char *key);
int			 pickle_is_class(const struct pickle_value *,
			     const char *module, const char *name);
int			 pickle_is_string(const struct pickle_value *);

/*
 * Builds a document from a msgpack value encoded as protocol.h describes
 * (live frames): nil -> NONE, bool -> BOOL, int -> INT (a uint beyond
 * INT64_MAX -> LONG), float -> FLOAT, bin -> BYTES, str -> UNICODE (must be
 * valid UTF-8), array -> LIST, map -> DICT, ext PROTOCOL_EXT_INSTANCE ->
 * OBJECT (module, name, state; args NULL), ext PROTOCOL_EXT_GLOBAL ->
 * GLOBAL, ext PROTOCOL_EXT_LONG -> LONG (decimal digits, optional '-').
 * obj is a msgpack_object (declared void here to keep msgpack.h out of
 * this header). Nesting beyond lim->max_depth, or more than lim->max_alloc
 * bytes of tree, or a malformed ext or an unknown ext type fails: returns
 * NULL with *cause (caller frees) naming the path of the bad value
 * ("name: build.steps[3].logs[0]: ext type 9 is unknown"). lim may be NULL.
 */
struct pickle	*pickle_from_msgpack(const void *obj, const char *name,
		     const struct pickle_limits *lim, char **cause) WUR;

#endif /* BBM_PICKLE_H */
