/*
 * push-int.h: what the HttpStatusPush files share, private to them: push.c
 * (bodies, packets, the state), push-build.c (an asDict back into the
 * state the pickler would save, encoded as protocol.h encodes live
 * objects) and push-event.c (each event's payload, normalised). Each
 * function's contract is in the block comment of its definition.
 */
#ifndef BBM_PUSH_INT_H
#define BBM_PUSH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#include "push.h"

/* Converting one packet: what messages name. */
struct push_ctx {
	size_t		 index;
	const char	*event;
	char		**cause;
};

/* A msgpack buffer and its packer. */
struct push_buf {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
};

/* A map whose entries are packed before their number is known. */
struct push_map {
	struct push_buf	 body;
	uint32_t	 n;
};

/* The file names of the logs already in a build (malloc'd). */
struct push_taken {
	char	**v;
	size_t	 n;
	size_t	 cap;
};

/* push-build.c: messages */
const char	*push_word(const json_t *);
int		 push_fail(struct push_ctx *, const char *, const char *,
		     const char *, ...) PRINTFLIKE(4, 5);

/* push-build.c: msgpack */
void		 push_buf_init(struct push_buf *);
void		 push_buf_free(struct push_buf *);
void		 push_cstr(msgpack_packer *, const char *);
void		 push_map_init(struct push_map *);
msgpack_packer	*push_key(struct push_map *, const char *);
void		 push_instance(msgpack_packer *, const char *, const char *,
		     struct push_map *);

/* push-build.c: typed access to asDict values */
const json_t	*push_get(const json_t *, const char *);
int		 push_opt_str(struct push_ctx *, const json_t *, const char *,
		     const char *, const char **);
int		 push_req_str(struct push_ctx *, const json_t *, const char *,
		     const char *, const char **);
int		 push_int(struct push_ctx *, const json_t *, const char *,
		     const char *, int64_t, int64_t, int64_t *);
int		 push_bool(struct push_ctx *, const json_t *, const char *,
		     const char *, int *);
int		 push_typed(struct push_ctx *, const json_t *, const char *,
		     const char *, json_type, const json_t **);
int		 push_time_of(struct push_ctx *, const json_t *, const char *,
		     const char *, double *);
int		 push_strings(struct push_ctx *, const json_t *, const char *,
		     const char *, msgpack_packer *);
int		 push_put_strings(struct push_ctx *, const json_t *,
		     const char *, const char *, const char *,
		     struct push_map *);
int		 push_put_str(struct push_ctx *, const json_t *, const char *,
		     const char *, const char *, struct push_map *);

/* push-build.c: status objects */
void		 push_taken_free(struct push_taken *);
int		 push_change(struct push_ctx *, const json_t *, const char *,
		     msgpack_packer *);
int		 push_step(struct push_ctx *, const json_t *, const char *,
		     int64_t, struct push_taken *, msgpack_packer *,
		     const json_t **, int *);
int		 push_build(struct push_ctx *, const json_t *, const char *,
		     struct push_buf *);

#endif /* BBM_PUSH_INT_H */
