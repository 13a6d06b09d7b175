/*
 * pickle-int.h: private declarations shared by the pickle decoder's own
 * files: pickle.c (the opcode machine), pickle-tree.c (the value tree and
 * its arena) and pickle-text.c (parsing of text and numbers). Included
 * only by those files, after pickle.h; the contracts are in the block
 * comments of the definitions.
 */
#ifndef BBM_PICKLE_INT_H
#define BBM_PICKLE_INT_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include "pickle.h"

/* Dispatched in pickle.c, named by the table in pickle-tree.c. */
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

/* Arena block sizes: the smallest, and where doubling stops. */
#define PICKLE_CHUNK_MIN		4096
#define PICKLE_CHUNK_MAX		((size_t)4 << 20)

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

/* pickle.c: errors, the stack and the input */
int		 pickle_fail(struct pickle_state *, const char *, ...)
		     PRINTFLIKE(2, 3);
int		 pickle_push(struct pickle_state *, struct pickle_value *);
int		 pickle_read(struct pickle_state *, size_t,
		     const unsigned char **);
int		 pickle_line(struct pickle_state *, const char **, size_t *);
uint32_t	 pickle_le32(const unsigned char *);

/* pickle-tree.c: names for messages */
extern const char *const pickle_opnames[256];
const char	*pickle_type_name(enum pickle_type);

/* pickle-tree.c: the arena and node constructors */
void		*pickle_alloc(struct pickle_state *, size_t);
void		 pickle_trim(struct pickle_state *, void *, size_t, size_t);
struct pickle_value *pickle_new(struct pickle_state *, enum pickle_type);
struct pickle_value *pickle_new_int(struct pickle_state *, enum pickle_type,
		     int64_t);
char		*pickle_strdup(struct pickle_state *, const void *, size_t);
struct pickle_value *pickle_new_str(struct pickle_state *, enum pickle_type,
		     const void *, size_t);
struct pickle_value *pickle_new_seq(struct pickle_state *, enum pickle_type,
		     struct pickle_value *const *, size_t);
struct pickle_value *pickle_new_object(struct pickle_state *, char *, char *,
		     struct pickle_value *const *, size_t);
int		 pickle_seq_reserve(struct pickle_state *,
		     struct pickle_value *, size_t);
int		 pickle_dict_add_pairs(struct pickle_state *,
		     struct pickle_value *, struct pickle_value *const *,
		     size_t);
struct pickle_value *pickle_dict_merge(struct pickle_state *,
		     const struct pickle_value *, const struct pickle_value *);
struct pickle_value *pickle_reduce_known(struct pickle_state *,
		     struct pickle_value *, struct pickle_value *, int *);

/* pickle-text.c: opcodes whose payload is text or a number */
int		 pickle_op_string(struct pickle_state *);
int		 pickle_op_unicode(struct pickle_state *);
int		 pickle_op_binstring(struct pickle_state *, enum pickle_type,
		     size_t);
int		 pickle_op_int(struct pickle_state *);
int		 pickle_op_long(struct pickle_state *);
int		 pickle_op_long_bin(struct pickle_state *, size_t);
int		 pickle_op_float(struct pickle_state *);
int		 pickle_op_binfloat(struct pickle_state *);

#endif /* BBM_PICKLE_INT_H */
