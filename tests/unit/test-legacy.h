/*
 * test-legacy.h: what test-legacy.c and test-legacy-synth.c share: the
 * assertion macros, the helpers that decode a pickle file into records
 * and check them, and the synth_* tests main() calls.
 */
#ifndef BBM_TEST_LEGACY_H
#define BBM_TEST_LEGACY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pickle.h"
#include "record.h"

#define UPGRADE	"Upgrade from previous version"

#define is_time(got, want, ...) do {					\
	double g_ = (got), w_ = (want);					\
	if (!tap_ok(g_ == w_, __VA_ARGS__))				\
		printf("#   got %.6f, want %.6f (%s:%d)\n", g_, w_,	\
		    __FILE__, __LINE__);				\
} while (0)

#define is_notime(got, ...) ok(!bbm_time_isset(got), __VA_ARGS__)

/* test-legacy.c */
struct pickle	*tl_load(const char *, const char *);
int		 build_of(const char *, const char *, struct bbm_build *);
int		 builder_of(const char *, const char *, struct bbm_builder *);
const struct bbm_property *tl_prop(const struct bbm_property *, size_t,
		     const char *);
void		 check_prop(const struct bbm_property *, size_t, const char *,
		     const char *, const char *);
void		 check_log(const struct bbm_log *, enum bbm_log_kind,
		     const char *, const char *, int64_t);

/* test-legacy-synth.c */
void	 synth_build_v0(const char *);
void	 synth_build_v1(const char *);
void	 synth_build_v2(const char *);
void	 synth_build_v3(const char *);
void	 synth_build_v4(const char *);
void	 synth_builders(const char *);
void	 synth_changes(const char *);
void	 synth_robust(const char *);

#endif /* BBM_TEST_LEGACY_H */
