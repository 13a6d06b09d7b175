/*
 * legacy-int.h: private declarations shared by legacy.c (the class
 * normalisers) and legacy-value.c (the pickle value conversions and the
 * expansion budget). Included only by the legacy module's own .c files,
 * after legacy.h; the contracts are in the block comments of the
 * definitions in legacy-value.c.
 */
#ifndef BBM_LEGACY_INT_H
#define BBM_LEGACY_INT_H

#include <stddef.h>

#include "legacy.h"

/* Bookkeeping for one record: bytes of output it has cost so far. */
struct legacy_ctx {
	size_t	 used;
	int	 over;
};

/* A growable array of strings. */
struct legacy_strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

/* legacy-value.c: the expansion budget */
int	 legacy_charge(struct legacy_ctx *, size_t, size_t);
char	*legacy_keep(struct legacy_ctx *, char *);
int	 legacy_charge_state(struct legacy_ctx *, const struct pickle_value *);

/* legacy-value.c: value tests and scalar coercions */
int	 legacy_is_seq(const struct pickle_value *);
void	 legacy_describe(const struct pickle_value *, char *, size_t);
char	*legacy_str(struct legacy_ctx *, const struct pickle_value *,
	     const char *);
char	*legacy_attr_str(struct legacy_ctx *, const struct pickle_value *,
	     const char *, const char *);
double	 legacy_time(const struct pickle_value *);
int	 legacy_results(const struct pickle_value *);
int	 legacy_flag(const struct pickle_value *);

/* legacy-value.c: JSON and string lists */
char	*legacy_dict_json(struct legacy_ctx *, const struct pickle_value *,
	     const char *);
void	 legacy_strv_from(struct legacy_ctx *, struct legacy_strv *,
	     const struct pickle_value *, int);
char	*legacy_strings_json(struct legacy_ctx *,
	     const struct pickle_value *);

/* legacy.c: shared with legacy-builder.c */
int	 legacy_is_status_class(const struct pickle_value *, const char *);
int	 legacy_change_fill(struct legacy_ctx *, const struct pickle_value *,
	     struct bbm_change *, char **);

#endif /* BBM_LEGACY_INT_H */
