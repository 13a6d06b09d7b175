/*
 * store-live.c: what the live listener writes besides whole builds and
 * steps (log contents by log id, builder states, slaves), and the
 * bookkeeping of both sources: the importer's file states (import_files)
 * and the listener's last sequence numbers and live logs (live_masters,
 * live_logs). The SQL is in store.c's table, as everywhere in the store.
 */
#include "config.h"
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

int
store_file_get(struct store *s, int64_t master_id, const char *path,
    struct store_file_state *fs, int *found, char **cause)
{
	struct store_stmt	*st;
	const char		*digest;
	int			 row, error = 0;

	if ((st = store_stmt(s, STORE_SQL_FILE_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	store_bind_text(s, st, 2, path);
	if (store_fetch(s, STORE_SQL_FILE_GET, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);

	memset(fs, 0, sizeof *fs);
	fs->size = s->be->column_int64(st, 0);
	fs->mtime_ns = s->be->column_int64(st, 1);
	if ((digest = s->be->column_text(st, 2)) != NULL) {
		if (strlen(digest) >= sizeof fs->digest) {
			xasprintf(cause, "store: import_files: %s: digest too "
			    "long", path);
			error = -1;
		} else
			memcpy(fs->digest, digest, strlen(digest) + 1);
	}
	if (!s->be->column_is_null(st, 3))
		fs->build_id = s->be->column_int64(st, 3);
	s->be->reset(st);
	return (error);
}

int
store_file_put(struct store *s, int64_t master_id, const char *path,
    const struct store_file_state *fs, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (memchr(fs->digest, '\0', sizeof fs->digest) == NULL) {
		xasprintf(cause, "store: import_files: %s: digest not "
		    "terminated", path);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_FILE_PUT, cause)) != NULL) {
		store_bind_int(s, st, 1, master_id);
		store_bind_text(s, st, 2, path);
		store_bind_int(s, st, 3, fs->size);
		store_bind_int(s, st, 4, fs->mtime_ns);
		store_bind_text(s, st, 5, fs->digest[0] != '\0' ? fs->digest :
		    NULL);
		store_bind_id(s, st, 6, fs->build_id);
		s->be->bind_double(st, 7, store_now());
		error = store_run(s, STORE_SQL_FILE_PUT, NULL, NULL, cause);
	}
	return (store_leave(s, own, error, cause));
}

int
store_log_find(struct store *s, int64_t build_id, int64_t step_number,
    int64_t log_number, int64_t *log_id, int *found, char **cause)
{
	struct store_stmt	*st;
	int64_t			 n;

	if ((st = store_stmt(s, STORE_SQL_LOG_FIND, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, build_id);
	store_bind_int(s, st, 2, step_number);
	store_bind_int(s, st, 3, log_number);
	if (store_run(s, STORE_SQL_LOG_FIND, log_id, &n, cause) != 0)
		return (-1);
	*found = (n != 0);
	return (0);
}

int
store_log_update(struct store *s, int64_t log_id, const struct bbm_log *l,
    char **cause)
{
	struct store_stmt	*st;
	const char		*state;
	int64_t			 id, n;
	int			 own, error;

	if ((state = store_log_state_name(l->state)) == NULL) {
		xasprintf(cause, "store: logs: log %lld: invalid state %d",
		    (long long)log_id, (int)l->state);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_LOG_UPDATE, cause)) != NULL) {
		store_bind_int(s, st, 1, log_id);
		store_bind_text(s, st, 2, state);
		store_bind_text(s, st, 3, l->store_key);
		store_bind_int(s, st, 4, l->stored_bytes);
		store_bind_int(s, st, 5, l->text_bytes);
		store_bind_int(s, st, 6, l->lines);
		store_bind_flag(s, st, 7, l->complete);
		error = store_run(s, STORE_SQL_LOG_UPDATE, &id, &n, cause);
		if (error == 0 && n != 1) {
			xasprintf(cause, "store: logs: update: no log %lld",
			    (long long)log_id);
			error = -1;
		}
	}
	return (store_leave(s, own, error, cause));
}

int
store_live_log_get(struct store *s, int64_t log_id,
    struct store_live_log *out, int *found, char **cause)
{
	struct store_stmt	*st;
	const void		*p;
	size_t			 len;
	int			 row;

	memset(out, 0, sizeof *out);
	out->channel = -1;
	if ((st = store_stmt(s, STORE_SQL_LIVE_LOG_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, log_id);
	if (store_fetch(s, STORE_SQL_LIVE_LOG_GET, &row, cause) != 0)
		return (-1);
	*found = row;
	if (!row)
		return (0);

	out->store_size = s->be->column_int64(st, 0);
	if (!s->be->column_is_null(st, 1))
		out->channel = (int)s->be->column_int64(st, 1);
	out->run_bytes = s->be->column_int64(st, 2);
	if ((p = s->be->column_blob(st, 3, &len)) != NULL) {
		out->pending = xmalloc(len);
		memcpy(out->pending, p, len);
		out->pending_len = len;
	}
	s->be->reset(st);
	return (0);
}

/*
 * No pending bytes are stored as NULL, so that a log without a run has
 * nothing in that column; the channel's range is the schema's to check.
 */
int
store_live_log_put(struct store *s, int64_t log_id,
    const struct store_live_log *ll, char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (ll->pending == NULL && ll->pending_len != 0) {
		xasprintf(cause, "store: live_logs: log %lld: %zu pending "
		    "bytes without a buffer", (long long)log_id,
		    ll->pending_len);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_LIVE_LOG_PUT, cause)) != NULL) {
		store_bind_int(s, st, 1, log_id);
		store_bind_int(s, st, 2, ll->store_size);
		if (ll->channel == -1)
			s->be->bind_null(st, 3);
		else
			store_bind_int(s, st, 3, ll->channel);
		store_bind_int(s, st, 4, ll->run_bytes);
		if (ll->pending_len == 0)
			s->be->bind_null(st, 5);
		else
			s->be->bind_blob(st, 5, ll->pending, ll->pending_len);
		error = store_run(s, STORE_SQL_LIVE_LOG_PUT, NULL, NULL, cause);
	}
	return (store_leave(s, own, error, cause));
}

int
store_live_log_delete(struct store *s, int64_t log_id, char **cause)
{
	int	 own, error;

	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = store_run_for(s, STORE_SQL_LIVE_LOG_DELETE, log_id, cause);
	return (store_leave(s, own, error, cause));
}

int
store_live_seq_get(struct store *s, int64_t master_id, uint64_t *seq,
    char **cause)
{
	struct store_stmt	*st;
	int64_t			 v = 0;

	if ((st = store_stmt(s, STORE_SQL_LIVE_SEQ_GET, cause)) == NULL)
		return (-1);
	store_bind_int(s, st, 1, master_id);
	if (store_run(s, STORE_SQL_LIVE_SEQ_GET, &v, NULL, cause) != 0)
		return (-1);
	if (v < 0) {
		xasprintf(cause, "store: live_masters: master %lld: invalid "
		    "sequence number %lld", (long long)master_id,
		    (long long)v);
		return (-1);
	}
	*seq = (uint64_t)v;
	return (0);
}

/* SQL integers are signed: a sequence number beyond INT64_MAX is refused. */
int
store_live_seq_put(struct store *s, int64_t master_id, uint64_t seq,
    char **cause)
{
	struct store_stmt	*st;
	int			 own, error;

	if (seq > INT64_MAX) {
		xasprintf(cause, "store: live_masters: master %lld: sequence "
		    "number %llu is too large", (long long)master_id,
		    (unsigned long long)seq);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_LIVE_SEQ_PUT, cause)) != NULL) {
		store_bind_int(s, st, 1, master_id);
		store_bind_int(s, st, 2, (int64_t)seq);
		s->be->bind_double(st, 3, store_now());
		error = store_run(s, STORE_SQL_LIVE_SEQ_PUT, NULL, NULL, cause);
	}
	return (store_leave(s, own, error, cause));
}

/* The schema checks the state's name; the update must find the builder. */
int
store_builder_state(struct store *s, int64_t builder_id, const char *state,
    double at, char **cause)
{
	struct store_stmt	*st;
	int64_t			 id, n;
	int			 own, error;

	if (state == NULL) {
		xasprintf(cause, "store: builders: builder %lld: no state",
		    (long long)builder_id);
		return (-1);
	}
	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_BUILDER_STATE, cause)) != NULL) {
		store_bind_int(s, st, 1, builder_id);
		store_bind_text(s, st, 2, state);
		store_bind_time(s, st, 3, at);
		s->be->bind_double(st, 4, store_now());
		error = store_run(s, STORE_SQL_BUILDER_STATE, &id, &n, cause);
		if (error == 0 && n != 1) {
			xasprintf(cause, "store: builders: update state: no "
			    "builder %lld", (long long)builder_id);
			error = -1;
		}
	}
	return (store_leave(s, own, error, cause));
}

/*
 * One upsert serves every event: NULL for connected, paused or a time
 * keeps the stored value (store.c, STORE_SQL_SLAVE_UPSERT).
 */
int
store_slave(struct store *s, int64_t master_id, const char *name,
    enum store_slave_event ev, double at, enum bbm_origin origin,
    char **cause)
{
	struct store_stmt	*st;
	const char		*o;
	int			 own, error, connected, paused;
	double			 connected_at, disconnected_at;

	if ((o = store_origin(origin, cause)) == NULL)
		return (-1);
	if (name == NULL || *name == '\0') {
		xasprintf(cause, "store: slaves: a slave needs a name");
		return (-1);
	}
	connected = paused = -1;
	connected_at = disconnected_at = BBM_NO_TIME;
	switch (ev) {
	case STORE_SLAVE_CONNECTED:
		connected = 1;
		paused = 0;
		connected_at = at;
		break;
	case STORE_SLAVE_DISCONNECTED:
		connected = 0;
		disconnected_at = at;
		break;
	case STORE_SLAVE_PAUSED:
		paused = 1;
		break;
	case STORE_SLAVE_UNPAUSED:
		paused = 0;
		break;
	default:
		xasprintf(cause, "store: slaves: %s: invalid event %d", name,
		    (int)ev);
		return (-1);
	}

	if (store_enter(s, &own, cause) != 0)
		return (-1);
	error = -1;
	if ((st = store_stmt(s, STORE_SQL_SLAVE_UPSERT, cause)) != NULL) {
		store_bind_int(s, st, 1, master_id);
		store_bind_text(s, st, 2, name);
		if (connected == -1)
			s->be->bind_null(st, 3);
		else
			store_bind_int(s, st, 3, connected);
		if (paused == -1)
			s->be->bind_null(st, 4);
		else
			store_bind_int(s, st, 4, paused);
		store_bind_time(s, st, 5, connected_at);
		store_bind_time(s, st, 6, disconnected_at);
		store_bind_text(s, st, 7, o);
		s->be->bind_double(st, 8, store_now());
		error = store_run(s, STORE_SQL_SLAVE_UPSERT, NULL, NULL, cause);
	}
	return (store_leave(s, own, error, cause));
}
