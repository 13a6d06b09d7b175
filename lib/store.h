/*
 * store.h: the one interface through which every source (the importer,
 * the live listener) writes canonical records (record.h) to the database.
 * The schema it writes is described in schema/README.md.
 *
 * Conventions:
 * - Functions return 0 on success, -1 on failure with *cause set to a
 *   message naming the table and the database's error (caller frees).
 * - A function called outside a transaction runs in one of its own. Inside
 *   the caller's transaction (store_begin), a failure leaves partial
 *   writes: the caller must store_rollback.
 * - Times: NaN (and any non-finite value) is stored as NULL. Results:
 *   negative values (BBM_NO_RESULT) are stored as NULL.
 * - Every row written carries the origin given (the source that last wrote
 *   it) and the time of the write.
 * - A struct store is one database connection, used by one thread at a
 *   time; statements are prepared once and kept until store_close.
 */
#ifndef BBM_STORE_H
#define BBM_STORE_H

#include <stdint.h>

#include "record.h"

struct store;

/*
 * Opens (creating if needed) the database named by url: a file path for
 * SQLite; "postgresql://..." and "postgres://..." name a PostgreSQL
 * database. Applies pending migrations, one transaction each, and refuses
 * a database whose schema is newer than this program knows. Returns NULL
 * and sets *cause on failure.
 */
struct store	*store_open(const char *url, char **cause) WUR;
/* Closes the connection, rolling back a transaction left open. */
void		 store_close(struct store *);

/*
 * Transactions. One transaction may be open at a time; store_begin takes
 * the write lock at once. store_commit rolls back when it fails.
 * store_rollback is safe to call when no transaction is open.
 */
int		 store_begin(struct store *, char **cause) WUR;
int		 store_commit(struct store *, char **cause) WUR;
int		 store_rollback(struct store *);
/* The schema version of the open database. */
/*
 * Units inside an open transaction (savepoints): store_unit_begin, then
 * store_unit_end to keep the unit's writes or store_unit_abort to undo just
 * them. Lets a writer group many builds into one commit while each build
 * stays all-or-nothing.
 */
int		 store_unit_begin(struct store *, char **cause) WUR;
int		 store_unit_end(struct store *, char **cause) WUR;
int		 store_unit_abort(struct store *);
int		 store_schema_version(struct store *);
/*
 * on non-zero: a commit returns only once it is on disk (SQLite:
 * synchronous=FULL; the default NORMAL survives a crash of the process but
 * not of the machine). For a listener that acknowledges after commit.
 * Refused inside a transaction.
 */
int		 store_set_durable(struct store *, int on, char **cause) WUR;

/*
 * Gets or creates the master called name; a non-NULL basedir replaces the
 * stored one. *id gets its row id.
 */
int		 store_master(struct store *, const char *name,
		     const char *basedir, int64_t *id, char **cause) WUR;

/*
 * Upserts a builder by (master_id, name). NULL fields of the record keep
 * the stored values (a builder seen only through a build has only a name).
 * When the record has events_known, its events replace the stored ones.
 */
int		 store_builder(struct store *, int64_t master_id,
		     const struct bbm_builder *, enum bbm_origin, int64_t *id,
		     char **cause) WUR;

/*
 * Upserts a whole build. Its identity is (builder, number, started_at),
 * where an unknown started_at matches only an unknown started_at. The
 * build row keeps its id and its links to build requests; its columns are
 * overwritten; its steps (numbered by position) and their logs are upserted
 * in place as by store_step, keeping their ids, and those beyond the
 * record's are deleted; its properties, sourcestamps and change links are
 * replaced by the record's. Changes are
 * upserted as by store_change. Meant to run in the caller's transaction,
 * one per build. *build_id gets the build's row id.
 */
int		 store_build(struct store *, int64_t master_id,
		     int64_t builder_id, const struct bbm_build *,
		     enum bbm_origin, int64_t *build_id, char **cause) WUR;

/*
 * Looks a build up by identity without writing: *found gets whether it
 * exists and *build_id its row id.
 */
int		 store_build_find(struct store *, int64_t builder_id,
		     int64_t number, double started_at, int64_t *build_id,
		     int *found, char **cause) WUR;

/*
 * Upserts a change by (master_id, record_change_identity); its files and
 * properties are replaced by the record's.
 */
int		 store_change(struct store *, int64_t master_id,
		     const struct bbm_change *, enum bbm_origin, int64_t *id,
		     char **cause) WUR;

/* Upserts a buildset by (master_id, bsid); its properties are replaced. */
int		 store_buildset(struct store *, int64_t master_id,
		     const struct bbm_buildset *, enum bbm_origin, int64_t *id,
		     char **cause) WUR;

/*
 * Upserts a build request by (master_id, brid), pointing it at the buildset
 * of its bsid if stored, and links it to our builds: for each (number,
 * started_at) of the record, the build of that builder and number whose
 * started_at is closest, within 60 s (with started_at unknown: the build of
 * that number if there is exactly one). Builds not yet stored are not
 * linked; storing the request again later adds the links, never removes.
 */
int		 store_buildrequest(struct store *, int64_t master_id,
		     const struct bbm_buildrequest *, enum bbm_origin,
		     int64_t *id, char **cause) WUR;

/*
 * Import bookkeeping: what a master file looked like when it was last
 * imported. mtime_ns is nanoseconds since the epoch; digest is a hex
 * digest or "" for none; build_id is 0 when the file gave no build.
 */
struct store_file_state {
	int64_t	 size;
	int64_t	 mtime_ns;
	char	 digest[65];
	int64_t	 build_id;
};
int		 store_file_get(struct store *, int64_t master_id,
		     const char *path, struct store_file_state *, int *found,
		     char **cause) WUR;
int		 store_file_put(struct store *, int64_t master_id,
		     const char *path, const struct store_file_state *,
		     char **cause) WUR;

/*
 * What the log row at (build, step number, log number) says, so that an
 * importer can skip re-storing an unchanged log. When found, fills out's
 * state, store_key (malloc'd or NULL; the caller frees it, the previous
 * value is overwritten without being freed), stored_bytes, text_bytes,
 * lines and complete; other fields are untouched.
 */
int		 store_log_get(struct store *, int64_t build_id,
		     int64_t step_number, int64_t log_number,
		     struct bbm_log *out, int *found, char **cause) WUR;

/*
 * The log row with that id (bbmirror-log's argument). When found, fills
 * out's name, filename (malloc'd or NULL), kind and the fields
 * store_log_get fills; the caller frees with record_log_free.
 */
int		 store_log_by_id(struct store *, int64_t log_id,
		     struct bbm_log *out, int *found, char **cause) WUR;

/* --- the live path (schema v2) ------------------------------------------ */

/*
 * Upserts one step of a build by (build_id, number): its columns are
 * overwritten, its logs are upserted by (step, number) in place (a log
 * keeps its row id) and its logs beyond the record's are deleted; other
 * steps are untouched. *step_id (if not NULL) gets the step's row id.
 * store_build follows the same rule for every step of the record, and
 * deletes the steps beyond the record's, so row ids of steps and logs stay
 * stable whichever source (live events, a later import) writes them last.
 */
int		 store_step(struct store *, int64_t build_id,
		     const struct bbm_step *, int64_t *step_id,
		     char **cause) WUR;

/*
 * The row id of the log at (build, step number, log number); *found says
 * whether it exists.
 */
int		 store_log_find(struct store *, int64_t build_id,
		     int64_t step_number, int64_t log_number, int64_t *log_id,
		     int *found, char **cause) WUR;

/*
 * Overwrites the content columns of log log_id (state, store_key,
 * stored_bytes, text_bytes, lines, complete) from the record; other columns
 * are untouched. A missing log_id is an error.
 */
int		 store_log_update(struct store *, int64_t log_id,
		     const struct bbm_log *, char **cause) WUR;

/*
 * A live log's private state (table live_logs): the compressed size of its
 * log-store file as of the last commit (a longer file is cut back to it
 * after a crash), and the master's current output run (spec section 3:
 * consecutive text on one channel, held until it is written as chunks):
 * its channel, its total length so far and the bytes not yet written.
 */
struct store_live_log {
	int64_t	 store_size;
	int	 channel;	/* -1: no run */
	int64_t	 run_bytes;
	char	*pending;	/* malloc'd, may be NULL when pending_len 0 */
	size_t	 pending_len;
};
/* found 0 leaves *out zeroed with channel -1; the caller frees pending. */
int		 store_live_log_get(struct store *, int64_t log_id,
		     struct store_live_log *out, int *found, char **cause) WUR;
int		 store_live_log_put(struct store *, int64_t log_id,
		     const struct store_live_log *, char **cause) WUR;
/* Deleting a missing row succeeds. */
int		 store_live_log_delete(struct store *, int64_t log_id,
		     char **cause) WUR;

/*
 * The last event sequence number applied for a master (table
 * live_masters; 0 when none). Written in the transaction that applies the
 * events, so it is exactly as durable as they are.
 */
int		 store_live_seq_get(struct store *, int64_t master_id,
		     uint64_t *seq, char **cause) WUR;
int		 store_live_seq_put(struct store *, int64_t master_id,
		     uint64_t seq, char **cause) WUR;

/*
 * The builder's current state ("offline", "idle", "building", "removed")
 * and when it was entered (NaN: unknown). The builder must exist.
 */
int		 store_builder_state(struct store *, int64_t builder_id,
		     const char *state, double at, char **cause) WUR;

enum store_slave_event {
	STORE_SLAVE_CONNECTED,
	STORE_SLAVE_DISCONNECTED,
	STORE_SLAVE_PAUSED,
	STORE_SLAVE_UNPAUSED,
};
/*
 * Upserts slave name of a master (table slaves) and applies the event:
 * connected sets connected = 1, connected_at = at, paused = 0;
 * disconnected sets connected = 0, disconnected_at = at; paused and
 * unpaused set paused. at NaN: unknown (the column keeps its value).
 */
int		 store_slave(struct store *, int64_t master_id,
		     const char *name, enum store_slave_event, double at,
		     enum bbm_origin, char **cause) WUR;

/* --- the push path (schema v3) ------------------------------------------ */

/*
 * Records that the HttpStatusPush packet with this digest (push.h) was
 * applied for master_id (table push_packets, received_at now). *seen gets
 * 1 if it was recorded already (nothing is written then), 0 if it is new.
 */
int		 store_push_seen(struct store *, int64_t master_id,
		     const char *digest, double now, int *seen,
		     char **cause) WUR;
/*
 * Looks up a build of master_id by builder name and number: the one
 * started at started (NaN: the one without a start time), or with newest
 * the last one stored of that number that has not finished, whatever its
 * start. *found says whether there is one; *build_id and *started_at (NaN
 * if unknown) get it.
 */
int		 store_push_build(struct store *, int64_t master_id,
		     const char *builder, int64_t number, double started,
		     int newest, int64_t *build_id, double *started_at,
		     int *found, char **cause) WUR;
/* The builddir of builder of master_id (*builddir malloc'd, NULL if none). */
int		 store_push_builddir(struct store *, int64_t master_id,
		     const char *builder, char **builddir, char **cause) WUR;

#endif /* BBM_STORE_H */
