/*
 * test-pickle.h: what test-pickle.c and test-pickle-errors.c share:
 * the valid-opcode tables, the decoding helpers and the test functions
 * main() calls from test-pickle-errors.c.
 */
#ifndef BBM_TEST_PICKLE_H
#define BBM_TEST_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "pickle.h"

/* A byte string literal and its length (literals may hold NUL bytes). */
#define B(s) s, sizeof(s) - 1
#define S(x) .s = x, .slen = sizeof(x) - 1

/* Scalars: one opcode stream, the expected type and value. */
struct scalar_case {
	const char		*name;
	const char		*in;
	size_t			 len;
	enum pickle_type	 type;
	int64_t			 i;		/* BOOL, INT */
	double			 f;		/* FLOAT */
	const char		*s;		/* BYTES, UNICODE, LONG */
	size_t			 slen;
};

/* Structures: the expected pickle_dump rendering (maxdepth 20). */
struct dump_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*want;
};

/* test-pickle.c */
extern const struct scalar_case	 scalar_cases[];
extern const size_t		 scalar_ncases;
extern const struct dump_case	 dump_cases[];
extern const size_t		 dump_ncases;

struct pickle	*tp_load(const char *, size_t, const struct pickle_limits *,
		     char **);
char		*tp_dump_str(const struct pickle_value *, int);
int		 tp_starts_with(const char *, const char *);

/* test-pickle-errors.c */
size_t	 truncations_fail(const char *, size_t, const char *);
void	 test_errors(void);
void	 test_truncations(void);
void	 test_limits(void);

#endif /* BBM_TEST_PICKLE_H */
