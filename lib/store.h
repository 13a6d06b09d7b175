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
 * overwritten, and its steps, logs, properties, sourcestamps and change
 * links are replaced by the record's (step and log ids change). Changes are
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

#endif /* BBM_STORE_H */
