/*
 * store-history.c: writes what leads to builds: changes (with their files
 * and properties), buildsets (with their properties) and build requests,
 * linking each request to the builds it produced.
 */
#include "config.h"
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* How far apart (s) a request's build time and our build's may be. */
#define STORE_REQUEST_WINDOW	60

void
store_change_cache_clear(struct store *s)
{
	if (s->changes != NULL)
		memset(s->changes, 0, STORE_CHANGE_CACHE * sizeof *s->changes);
}

static void
store_digest_add(uint64_t h[2], const void *p, size_t len)
{
	static const char	 sep = '\0';

	h[0] = fnv1a64(fnv1a64(h[0], p, len), &sep, 1);
	h[1] = fnv1a64(fnv1a64(h[1], p, len), &sep, 1);
}

static void
store_digest_str(uint64_t h[2], const char *s)
{
	static const char	 null_mark = '\001';

	if (s == NULL)
		store_digest_add(h, &null_mark, 1);
	else
		store_digest_add(h, s, strlen(s));
}

/* A digest of everything store_change1 writes for c. */
static void
store_change_digest(const struct bbm_change *c, int64_t master_id,
    const char *origin, uint64_t h[2])
{
	size_t	 i;

	h[0] = FNV1A64_INIT;
	h[1] = 0x84222325cbf29ce4ULL;
	store_digest_add(h, &master_id, sizeof master_id);
	store_digest_str(h, origin);
	store_digest_add(h, &c->number, sizeof c->number);
	store_digest_add(h, &c->when, sizeof c->when);
	store_digest_add(h, &c->is_dir, sizeof c->is_dir);
	store_digest_str(h, c->author);
	store_digest_str(h, c->comments);
	store_digest_str(h, c->branch);
	store_digest_str(h, c->revision);
	store_digest_str(h, c->revlink);
	store_digest_str(h, c->category);
	store_digest_str(h, c->repository);
	store_digest_str(h, c->project);
	store_digest_str(h, c->codebase);
	store_digest_add(h, &c->nfiles, sizeof c->nfiles);
	for (i = 0; i < c->nfiles; i++)
		store_digest_str(h, c->files[i]);
	store_digest_add(h, &c->nproperties, sizeof c->nproperties);
	for (i = 0; i < c->nproperties; i++) {
		store_digest_str(h, c->properties[i].name);
		store_digest_str(h, c->properties[i].value);
		store_digest_str(h, c->properties[i].source);
	}
}

/*
 * Upserts a change and replaces its files and properties; now is the
 * write's time. A change this connection already wrote with the same
 * content is not written again.
 */
int
store_change1(struct store *s, int64_t master_id, const struct bbm_change *c,
    const char *origin, double now, int64_t *id, char **cause)
{
	struct store_change_slot	*slot;
	struct store_stmt		*st;
	uint64_t			 digest[2];
	char				*identity;
	size_t				 i;
	int				 error;

	if (s->changes == NULL)
		s->changes = xcalloc(STORE_CHANGE_CACHE, sizeof *s->changes);
	store_change_digest(c, master_id, origin, digest);
	slot = &s->changes[digest[0] % STORE_CHANGE_CACHE];
	if (slot->id != 0 && slot->digest[0] == digest[0] &&
	    slot->digest[1] == digest[1]) {
		*id = slot->id;
		return (0);
	}
	if ((st = store_stmt(s, STORE_SQL_CHANGE_UPSERT, cause)) == NULL)
		return (-1);
	identity = record_change_identity(c);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, identity);
	store_bind_int(s, st, 3, c->number);
	store_bind_text(s, st, 4, c->author);
	store_bind_text(s, st, 5, c->comments);
	store_bind_text(s, st, 6, c->branch);
	store_bind_text(s, st, 7, c->revision);
	store_bind_text(s, st, 8, c->revlink);
	store_bind_text(s, st, 9, c->category);
	store_bind_text(s, st, 10, c->repository);
	store_bind_text(s, st, 11, c->project);
	store_bind_text(s, st, 12, c->codebase);
	store_bind_time(s, st, 13, c->when);
	store_bind_flag(s, st, 14, c->is_dir);
	store_bind_text(s, st, 15, origin);
	s->be->bind_double(st, 16, now);
	error = store_run_id(s, STORE_SQL_CHANGE_UPSERT, id, cause);
	free(identity);
	if (error != 0)
		return (-1);

	if (store_run_for(s, STORE_SQL_CHANGE_FILES_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < c->nfiles; i++) {
		st = store_stmt(s, STORE_SQL_CHANGE_FILE_INSERT, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, *id);
		store_bind_text(s, st, 2, c->files[i]);
		if (store_run(s, STORE_SQL_CHANGE_FILE_INSERT, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	if (store_run_for(s, STORE_SQL_CHANGE_PROPS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < c->nproperties; i++) {
		if (store_property(s, STORE_SQL_CHANGE_PROP_UPSERT, *id,
		    &c->properties[i], cause) != 0)
			return (-1);
	}
	slot->digest[0] = digest[0];
	slot->digest[1] = digest[1];
	slot->id = *id;
	return (0);
}

int
store_change(struct store *s, int64_t master_id, const struct bbm_change *c,
    enum bbm_origin origin, int64_t *id, char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_change1(s, master_id, c, o, store_now(), id, cause);
	return (store_leave(s, own, error, cause));
}

static int
store_buildset1(struct store *s, int64_t master_id,
    const struct bbm_buildset *bs, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt	*st;
	size_t			 i;

	if ((st = store_stmt(s, STORE_SQL_BUILDSET_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_int(s, st, 2, bs->bsid);
	store_bind_text(s, st, 3, bs->external_idstring);
	store_bind_text(s, st, 4, bs->reason);
	store_bind_time(s, st, 5, bs->submitted_at);
	store_bind_flag(s, st, 6, bs->complete);
	store_bind_time(s, st, 7, bs->complete_at);
	store_bind_result(s, st, 8, bs->results);
	store_bind_text(s, st, 9, origin);
	s->be->bind_double(st, 10, store_now());
	if (store_run_id(s, STORE_SQL_BUILDSET_UPSERT, id, cause) != 0)
		return (-1);

	if (store_run_for(s, STORE_SQL_BUILDSET_PROPS_DELETE, *id, cause) != 0)
		return (-1);
	for (i = 0; i < bs->nproperties; i++) {
		if (store_property(s, STORE_SQL_BUILDSET_PROP_UPSERT, *id,
		    &bs->properties[i], cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_buildset(struct store *s, int64_t master_id,
    const struct bbm_buildset *bs, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_buildset1(s, master_id, bs, o, id, cause);
	return (store_leave(s, own, error, cause));
}

/*
 * Finds our build for one of a request's builds: the nearest in start
 * time within the window or, when the request does not know the time, the
 * only build of that number. *build_id is 0 when there is none.
 */
static int
store_request_build(struct store *s, int64_t master_id,
    const char *builder_name, const struct bbm_request_build *rb,
    int64_t *build_id, char **cause)
{
	struct store_stmt	*st;
	enum store_sql		 q;
	int64_t			 n;

	*build_id = 0;
	if (isfinite(rb->started_at))
		q = STORE_SQL_BUILDREQUEST_NEAR;
	else
		q = STORE_SQL_BUILDREQUEST_ANY;
	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, builder_name);
	store_bind_int(s, st, 3, rb->number);
	if (q == STORE_SQL_BUILDREQUEST_NEAR) {
		s->be->bind_double(st, 4, rb->started_at);
		s->be->bind_double(st, 5, STORE_REQUEST_WINDOW);
	}
	if (store_run(s, q, build_id, &n, cause) != 0)
		return (-1);
	if (n != 1)
		*build_id = 0;
	return (0);
}

static int
store_buildrequest1(struct store *s, int64_t master_id,
    const struct bbm_buildrequest *br, const char *origin, int64_t *id,
    char **cause)
{
	struct store_stmt	*st;
	int64_t			 build_id;
	size_t			 i;

	st = store_stmt(s, STORE_SQL_BUILDREQUEST_UPSERT, cause);
	if (st == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_int(s, st, 2, br->brid);
	store_bind_int(s, st, 3, br->bsid);
	store_bind_text(s, st, 4, br->builder_name);
	store_bind_int(s, st, 5, br->priority);
	store_bind_time(s, st, 6, br->submitted_at);
	store_bind_time(s, st, 7, br->claimed_at);
	store_bind_text(s, st, 8, br->claimed_by);
	store_bind_flag(s, st, 9, br->complete);
	store_bind_time(s, st, 10, br->complete_at);
	store_bind_result(s, st, 11, br->results);
	store_bind_text(s, st, 12, origin);
	s->be->bind_double(st, 13, store_now());
	if (store_run_id(s, STORE_SQL_BUILDREQUEST_UPSERT, id, cause) != 0)
		return (-1);

	if (br->builder_name == NULL)
		return (0);
	for (i = 0; i < br->nbuilds; i++) {
		if (store_request_build(s, master_id, br->builder_name,
		    &br->builds[i], &build_id, cause) != 0)
			return (-1);
		if (build_id == 0)
			continue;
		if (store_link(s, STORE_SQL_BUILDREQUEST_LINK, build_id, *id,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

int
store_buildrequest(struct store *s, int64_t master_id,
    const struct bbm_buildrequest *br, enum bbm_origin origin, int64_t *id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_buildrequest1(s, master_id, br, o, id, cause);
	return (store_leave(s, own, error, cause));
}
