/*
 * store-build.c: writes a build and everything that hangs off it (steps
 * and their logs, properties, sourcestamps, change links), and reads back
 * its logs. Re-storing a build upserts its steps and logs in place, so
 * their row ids stay, and deletes those beyond the record's; the other
 * children are replaced. store_step writes one step the same way.
 */
#include "config.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "store-int.h"

static const char *const store_log_kinds[] = {
	[BBM_LOG_TEXT] = "text",
	[BBM_LOG_HTML] = "html",
};
static const char *const store_log_states[] = {
	[BBM_LOG_NONE] = "none",
	[BBM_LOG_STORED] = "stored",
	[BBM_LOG_MISSING] = "missing",
	[BBM_LOG_PRUNED] = "pruned",
};
#define STORE_NITEMS(a) (sizeof (a) / sizeof (a)[0])

/* Finds a build by identity: *id is set only when one is found. */
static int
store_find(struct store *s, int64_t builder_id, int64_t number,
    double started_at, int64_t *id, int *found, char **cause)
{
	struct store_stmt	*st;
	int64_t			 n;

	if ((st = store_stmt(s, STORE_SQL_BUILD_FIND, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, builder_id);
	store_bind_int(s, st, 2, number);
	store_bind_time(s, st, 3, started_at);
	if (store_run(s, STORE_SQL_BUILD_FIND, id, &n, cause) != 0)
		return (-1);
	*found = (n != 0);
	return (0);
}

int
store_build_find(struct store *s, int64_t builder_id, int64_t number,
    double started_at, int64_t *build_id, int *found, char **cause)
{
	return (store_find(s, builder_id, number, started_at, build_id, found,
	    cause));
}

const char *
store_log_state_name(enum bbm_log_state state)
{
	if ((size_t)state >= STORE_NITEMS(store_log_states))
		return (NULL);
	return (store_log_states[state]);
}

/* Refuses a step whose number or logs the schema cannot hold. */
static int
store_step_check(const struct bbm_step *step, char **cause)
{
	const struct bbm_log	*l;
	size_t			 i;

	if (step->number < 0) {
		xasprintf(cause, "store: steps: invalid step number %lld",
		    (long long)step->number);
		return (-1);
	}
	for (i = 0; i < step->nlogs; i++) {
		l = &step->logs[i];
		if ((size_t)l->kind >= STORE_NITEMS(store_log_kinds) ||
		    (size_t)l->state >= STORE_NITEMS(store_log_states)) {
			xasprintf(cause, "store: logs: step %lld log %zu: "
			    "invalid kind %d or state %d",
			    (long long)step->number, i, (int)l->kind,
			    (int)l->state);
			return (-1);
		}
	}
	return (0);
}

/* Upserts log number of step step_number of build_id. */
static int
store_log_upsert(struct store *s, int64_t build_id, int64_t step_number,
    size_t number, const struct bbm_log *l, char **cause)
{
	struct store_stmt	*st;

	if ((st = store_stmt(s, STORE_SQL_LOG_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step_number);
	store_bind_int(s, st, 3, (int64_t)number);
	store_bind_text(s, st, 4, l->name);
	store_bind_text(s, st, 5, l->filename);
	store_bind_text(s, st, 6, store_log_kinds[l->kind]);
	store_bind_text(s, st, 7, store_log_states[l->state]);
	store_bind_text(s, st, 8, l->store_key);
	store_bind_int(s, st, 9, l->stored_bytes);
	store_bind_int(s, st, 10, l->text_bytes);
	store_bind_int(s, st, 11, l->lines);
	store_bind_flag(s, st, 12, l->complete);
	return (store_run(s, STORE_SQL_LOG_UPSERT, NULL, NULL, cause));
}

/*
 * Upserts a step of build_id (checked by store_step_check) and its logs in
 * place. With stored set (the step may exist already) its logs beyond the
 * record's are deleted; a new build has none, and skipping the delete
 * keeps an import's cost at one statement a row.
 */
static int
store_step1(struct store *s, int64_t build_id, const struct bbm_step *step,
    int stored, char **cause)
{
	struct store_stmt	*st;
	size_t			 i;

	if ((st = store_stmt(s, STORE_SQL_STEP_UPSERT, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step->number);
	store_bind_text(s, st, 3, step->name);
	store_bind_time(s, st, 4, step->started_at);
	store_bind_time(s, st, 5, step->finished_at);
	store_bind_result(s, st, 6, step->results);
	store_bind_text(s, st, 7, step->text);
	store_bind_text(s, st, 8, step->text2);
	store_bind_text(s, st, 9, step->urls);
	store_bind_text(s, st, 10, step->statistics);
	store_bind_flag(s, st, 11, step->hidden);
	store_bind_flag(s, st, 12, step->skipped);
	if (store_run(s, STORE_SQL_STEP_UPSERT, NULL, NULL, cause) != 0)
		return (-1);

	for (i = 0; i < step->nlogs; i++) {
		if (store_log_upsert(s, build_id, step->number, i,
		    &step->logs[i], cause) != 0)
			return (-1);
	}
	if (!stored)
		return (0);
	if ((st = store_stmt(s, STORE_SQL_LOGS_DELETE_FROM, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step->number);
	store_bind_int(s, st, 3, (int64_t)step->nlogs);
	return (store_run(s, STORE_SQL_LOGS_DELETE_FROM, NULL, NULL, cause));
}

int
store_step(struct store *s, int64_t build_id, const struct bbm_step *step,
    int64_t *step_id, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (store_step_check(step, cause) != 0)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_step1(s, build_id, step, 1, cause);
	if (error == 0 && step_id != NULL) {
		error = -1;
		if ((st = store_stmt(s, STORE_SQL_STEP_ID, cause)) != NULL) {
			store_bind_int(s, st, 1, build_id);
			store_bind_int(s, st, 2, step->number);
			error = store_run_id(s, STORE_SQL_STEP_ID, step_id,
			    cause);
		}
	}
	return (store_leave(s, own, error, cause));
}

/*
 * Inserts a sourcestamp of build_id; change_ids are the row ids of the
 * build's changes, which its change indices point into (checked already).
 */
static int
store_sourcestamp_insert(struct store *s, int64_t build_id, size_t number,
    const struct bbm_sourcestamp *ss, const int64_t *change_ids,
    char **cause)
{
	struct store_stmt	*st;
	size_t			 i;

	st = store_stmt(s, STORE_SQL_SOURCESTAMP_INSERT, cause);
	if (st == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, (int64_t)number);
	store_bind_text(s, st, 3, ss->branch);
	store_bind_text(s, st, 4, ss->revision);
	store_bind_text(s, st, 5, ss->repository);
	store_bind_text(s, st, 6, ss->project);
	store_bind_text(s, st, 7, ss->codebase);
	if (ss->has_patch) {
		store_bind_int(s, st, 8, ss->patch_level);
		/* An empty patch is still a patch: bind "", not NULL. */
		s->be->bind_blob(st, 9, ss->patch_body != NULL ?
		    ss->patch_body : "", ss->patch_body != NULL ?
		    ss->patch_len : 0);
	} else {
		s->be->bind_null(st, 8);
		s->be->bind_null(st, 9);
	}
	store_bind_text(s, st, 10, ss->patch_subdir);
	store_bind_text(s, st, 11, ss->patch_author);
	store_bind_text(s, st, 12, ss->patch_comment);
	if (store_run(s, STORE_SQL_SOURCESTAMP_INSERT, NULL, NULL, cause) != 0)
		return (-1);

	for (i = 0; i < ss->nchanges; i++) {
		st = store_stmt(s, STORE_SQL_SOURCESTAMP_CHANGE_LINK, cause);
		if (st == NULL)
			return (-1);
		store_bind_int(s, st, 1, build_id);
		store_bind_int(s, st, 2, (int64_t)number);
		store_bind_int(s, st, 3, change_ids[ss->changes[i]]);
		if (store_run(s, STORE_SQL_SOURCESTAMP_CHANGE_LINK, NULL, NULL,
		    cause) != 0)
			return (-1);
	}
	return (0);
}

/* Writes the build row: an update of id if found, else an insert. */
static int
store_build_row(struct store *s, int64_t builder_id,
    const struct bbm_build *b, const char *origin, double now, int found,
    int64_t *id, char **cause)
{
	struct store_stmt	*st;
	enum store_sql		 q;

	q = found ? STORE_SQL_BUILD_UPDATE : STORE_SQL_BUILD_INSERT;
	if ((st = store_stmt(s, q, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, builder_id);
	store_bind_int(s, st, 2, b->number);
	store_bind_time(s, st, 3, b->started_at);
	store_bind_time(s, st, 4, b->finished_at);
	store_bind_flag(s, st, 5, b->complete);
	store_bind_result(s, st, 6, b->results);
	store_bind_text(s, st, 7, b->text);
	store_bind_text(s, st, 8, b->reason);
	store_bind_text(s, st, 9, b->slave);
	store_bind_text(s, st, 10, b->blamelist);
	store_bind_text(s, st, 11, origin);
	s->be->bind_double(st, 12, now);
	if (!found)
		return (store_run_id(s, q, id, cause));
	store_bind_int(s, st, 13, *id);
	return (store_run(s, q, NULL, NULL, cause));
}

static int
store_build1(struct store *s, int64_t master_id, int64_t builder_id,
    const struct bbm_build *b, const char *origin, int64_t *build_id,
    char **cause)
{
	const struct bbm_sourcestamp	*ss;
	int64_t				*change_ids = NULL, id;
	double				 now = store_now();
	size_t				 i, j;
	int				 found;

	/*
	 * Refuse a malformed record before writing anything. Steps are
	 * numbered by position, so the ones beyond the record's are exactly
	 * those numbered nsteps and up.
	 */
	for (i = 0; i < b->nsteps; i++) {
		if (b->steps[i].number != (int64_t)i) {
			xasprintf(cause, "store: steps: build %lld: step %zu "
			    "is numbered %lld (steps are numbered by position)",
			    (long long)b->number, i,
			    (long long)b->steps[i].number);
			return (-1);
		}
		if (store_step_check(&b->steps[i], cause) != 0)
			return (-1);
	}
	for (i = 0; i < b->nsourcestamps; i++) {
		ss = &b->sourcestamps[i];
		for (j = 0; j < ss->nchanges; j++) {
			if (ss->changes[j] >= b->nchanges) {
				xasprintf(cause, "store: sourcestamps: build "
				    "%lld sourcestamp %zu names change %zu of "
				    "%zu", (long long)b->number, i,
				    ss->changes[j], b->nchanges);
				return (-1);
			}
		}
	}

	if (store_find(s, builder_id, b->number, b->started_at, &id, &found,
	    cause) != 0)
		return (-1);
	if (store_build_row(s, builder_id, b, origin, now, found, &id,
	    cause) != 0)
		return (-1);
	if (found) {
		if (store_link(s, STORE_SQL_STEPS_DELETE_FROM, id,
		    (int64_t)b->nsteps, cause) != 0 ||
		    store_run_for(s, STORE_SQL_BUILD_PROPS_DELETE, id,
		    cause) != 0 ||
		    store_run_for(s, STORE_SQL_SOURCESTAMPS_DELETE, id,
		    cause) != 0 ||
		    store_run_for(s, STORE_SQL_BUILD_CHANGES_DELETE, id,
		    cause) != 0)
			return (-1);
	}

	for (i = 0; i < b->nsteps; i++) {
		if (store_step1(s, id, &b->steps[i], found, cause) != 0)
			return (-1);
	}
	for (i = 0; i < b->nproperties; i++) {
		if (store_property(s, STORE_SQL_BUILD_PROP_UPSERT, id,
		    &b->properties[i], cause) != 0)
			return (-1);
	}
	if (b->nchanges != 0)
		change_ids = xreallocarray(NULL, b->nchanges,
		    sizeof *change_ids);
	for (i = 0; i < b->nchanges; i++) {
		if (store_change1(s, master_id, &b->changes[i], origin, now,
		    &change_ids[i], cause) != 0 ||
		    store_link(s, STORE_SQL_BUILD_CHANGE_LINK, id,
		    change_ids[i], cause) != 0)
			goto fail;
	}
	for (i = 0; i < b->nsourcestamps; i++) {
		if (store_sourcestamp_insert(s, id, i, &b->sourcestamps[i],
		    change_ids, cause) != 0)
			goto fail;
	}
	free(change_ids);
	*build_id = id;
	return (0);

fail:
	free(change_ids);
	return (-1);
}

int
store_build(struct store *s, int64_t master_id, int64_t builder_id,
    const struct bbm_build *b, enum bbm_origin origin, int64_t *build_id,
    char **cause)
{
	const char	*o;
	int		 own, error;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_build1(s, master_id, builder_id, b, o, build_id, cause);
	return (store_leave(s, own, error, cause));
}

/* Index of name in a table of n names, or -1. */
static int
store_name_index(const char *const *names, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < n; i++) {
		if (strcmp(name, names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/*
 * Reads state, store_key, stored_bytes, text_bytes, lines and complete
 * from columns 0 to 5 of the current row into out.
 */
static int
store_log_columns(struct store *s, struct store_stmt *st, struct bbm_log *out,
    char **cause)
{
	const char	*state, *key;
	int		 i;

	state = s->be->column_text(st, 0);
	i = store_name_index(store_log_states, STORE_NITEMS(store_log_states),
	    state);
	if (i == -1) {
		xasprintf(cause, "store: logs: unknown state \"%s\"",
		    state != NULL ? state : "NULL");
		return (-1);
	}
	out->state = (enum bbm_log_state)i;
	key = s->be->column_text(st, 1);
	out->store_key = key != NULL ? xstrdup(key) : NULL;
	out->stored_bytes = s->be->column_int64(st, 2);
	out->text_bytes = s->be->column_int64(st, 3);
	out->lines = s->be->column_int64(st, 4);
	out->complete = s->be->column_int64(st, 5) != 0;
	return (0);
}

int
store_log_get(struct store *s, int64_t build_id, int64_t step_number,
    int64_t log_number, struct bbm_log *out, int *found, char **cause)
{
	struct store_stmt	*st;
	int			 row, error;

	if ((st = store_stmt(s, STORE_SQL_LOG_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step_number);
	store_bind_int(s, st, 3, log_number);
	if (store_fetch(s, STORE_SQL_LOG_GET, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);
	error = store_log_columns(s, st, out, cause);
	s->be->reset(st);
	return (error);
}

int
store_log_by_id(struct store *s, int64_t log_id, struct bbm_log *out,
    int *found, char **cause)
{
	struct store_stmt	*st;
	const char		*name, *filename, *kind;
	int			 row, i;

	if ((st = store_stmt(s, STORE_SQL_LOG_BY_ID, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, log_id);
	if (store_fetch(s, STORE_SQL_LOG_BY_ID, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);

	kind = s->be->column_text(st, 8);
	i = store_name_index(store_log_kinds, STORE_NITEMS(store_log_kinds),
	    kind);
	if (i == -1) {
		xasprintf(cause, "store: logs: unknown kind \"%s\"",
		    kind != NULL ? kind : "NULL");
		s->be->reset(st);
		return (-1);
	}
	if (store_log_columns(s, st, out, cause) != 0) {
		s->be->reset(st);
		return (-1);
	}
	out->kind = (enum bbm_log_kind)i;
	name = s->be->column_text(st, 6);
	out->name = name != NULL ? xstrdup(name) : NULL;
	filename = s->be->column_text(st, 7);
	out->filename = filename != NULL ? xstrdup(filename) : NULL;
	s->be->reset(st);
	return (0);
}
