/*
 * tap.h: minimal TAP producer for the C unit tests (automake's tap-driver
 * reads it). Every check prints "ok N - name" or "not ok N - name" with a
 * diagnostic; tap_done() prints the plan and returns the exit status. The
 * counters live in tap.c, so one test program may span several files.
 */
#ifndef BBM_TAP_H
#define BBM_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int	tap_ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	tap_diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tap_skip_all(const char *);
int	tap_done(void);

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!tap_ok(g_ == w_, __VA_ARGS__))				\
		printf("#   got %lld, want %lld (%s:%d)\n", g_, w_,	\
		    __FILE__, __LINE__);				\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int eq_ = (g_ == NULL || w_ == NULL) ? g_ == w_ :		\
	    strcmp(g_, w_) == 0;					\
	if (!tap_ok(eq_, __VA_ARGS__))					\
		printf("#   got \"%s\", want \"%s\" (%s:%d)\n",	\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)",		\
		    __FILE__, __LINE__);				\
} while (0)

#endif /* BBM_TAP_H */
