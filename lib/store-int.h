/*
 * store-int.h: private to the store's own files (store.c, store-build.c,
 * store-history.c, store-live.c, store-schema.c, store-prune.c,
 * store-push.c), never included elsewhere: the connection's state, the
 * names of the statements (their SQL is in store.c's table, so that every
 * statement stays in one place; the pruner's and the push path's own
 * statements are kept in their files) and the helpers the record writers
 * share.
 * Each helper's contract is stated above its definition.
 */
#ifndef BBM_STORE_INT_H
#define BBM_STORE_INT_H

#include <stdint.h>

#include "store.h"
#include "store-backend.h"

enum store_sql {
	STORE_SQL_VERSION_GET,
	STORE_SQL_VERSION_ADD,
	STORE_SQL_MASTER_UPSERT,
	STORE_SQL_BUILDER_UPSERT,
	STORE_SQL_BUILDER_EVENTS_DELETE,
	STORE_SQL_BUILDER_EVENT_INSERT,
	STORE_SQL_BUILD_FIND,
	STORE_SQL_BUILD_INSERT,
	STORE_SQL_BUILD_UPDATE,
	STORE_SQL_STEP_UPSERT,
	STORE_SQL_STEP_ID,
	STORE_SQL_STEPS_DELETE_FROM,
	STORE_SQL_LOG_UPSERT,
	STORE_SQL_LOGS_DELETE_FROM,
	STORE_SQL_LOG_GET,
	STORE_SQL_LOG_BY_ID,
	STORE_SQL_LOG_FIND,
	STORE_SQL_LOG_UPDATE,
	STORE_SQL_BUILD_PROPS_DELETE,
	STORE_SQL_BUILD_PROP_UPSERT,
	STORE_SQL_SOURCESTAMPS_DELETE,
	STORE_SQL_SOURCESTAMP_INSERT,
	STORE_SQL_SOURCESTAMP_CHANGE_LINK,
	STORE_SQL_BUILD_CHANGES_DELETE,
	STORE_SQL_BUILD_CHANGE_LINK,
	STORE_SQL_CHANGE_UPSERT,
	STORE_SQL_CHANGE_FILES_DELETE,
	STORE_SQL_CHANGE_FILE_INSERT,
	STORE_SQL_CHANGE_PROPS_DELETE,
	STORE_SQL_CHANGE_PROP_UPSERT,
	STORE_SQL_BUILDSET_UPSERT,
	STORE_SQL_BUILDSET_PROPS_DELETE,
	STORE_SQL_BUILDSET_PROP_UPSERT,
	STORE_SQL_BUILDREQUEST_UPSERT,
	STORE_SQL_BUILDREQUEST_NEAR,
	STORE_SQL_BUILDREQUEST_ANY,
	STORE_SQL_BUILDREQUEST_LINK,
	STORE_SQL_FILE_GET,
	STORE_SQL_FILE_PUT,
	STORE_SQL_LIVE_LOG_GET,
	STORE_SQL_LIVE_LOG_PUT,
	STORE_SQL_LIVE_LOG_DELETE,
	STORE_SQL_LIVE_SEQ_GET,
	STORE_SQL_LIVE_SEQ_PUT,
	STORE_SQL_BUILDER_STATE,
	STORE_SQL_SLAVE_UPSERT,
	STORE_SQL_UNIT_BEGIN,
	STORE_SQL_UNIT_END,
	STORE_SQL_UNIT_ABORT,
	STORE_SQL_COUNT
};

/*
 * Changes already written by this connection, by a digest of their whole
 * content (master and origin included): builds share changes, and an
 * identical upsert is a no-op, so a hit skips it. Direct-mapped; cleared
 * by any rollback, which may have undone a cached row.
 */
#define STORE_CHANGE_CACHE	4096
struct store_change_slot {
	uint64_t	 digest[2];
	int64_t		 id;
};

/* The push path's own statements (store-push.c), prepared on first use. */
#define STORE_PUSH_NSQL		4

struct store {
	const struct store_backend	*be;
	struct store_conn		*conn;
	int				 version;
	int				 in_tx;
	struct store_stmt		*stmts[STORE_SQL_COUNT];
	struct store_stmt		*push_stmts[STORE_PUSH_NSQL];
	struct store_change_slot	*changes;
};

/* store-history.c */
void			 store_change_cache_clear(struct store *);

/* store.c */
double			 store_now(void);
const char		*store_origin(enum bbm_origin, char **);
struct store_stmt	*store_stmt(struct store *, enum store_sql, char **);
int			 store_run(struct store *, enum store_sql, int64_t *,
			     int64_t *, char **);
int			 store_fetch(struct store *, enum store_sql, int *,
			     char **);
int			 store_run_id(struct store *, enum store_sql,
			     int64_t *, char **);
void			 store_bind_int(struct store *,
			     struct store_stmt *, int, int64_t);
void			 store_bind_text(struct store *,
			     struct store_stmt *, int, const char *);
void			 store_bind_flag(struct store *,
			     struct store_stmt *, int, int);
void			 store_bind_time(struct store *,
			     struct store_stmt *, int, double);
void			 store_bind_result(struct store *,
			     struct store_stmt *, int, int);
void			 store_bind_id(struct store *,
			     struct store_stmt *, int, int64_t);
int			 store_run_for(struct store *, enum store_sql,
			     int64_t, char **);
int			 store_property(struct store *, enum store_sql,
			     int64_t, const struct bbm_property *, char **);
int			 store_link(struct store *, enum store_sql, int64_t,
			     int64_t, char **);
int			 store_enter(struct store *, int *, char **);
int			 store_leave(struct store *, int, int, char **);

/* store-schema.c */
int			 store_migrate(struct store *, char **);

/* store-build.c */
const char		*store_log_state_name(enum bbm_log_state);

/* store-history.c */
int			 store_change1(struct store *, int64_t,
			     const struct bbm_change *, const char *, double,
			     int64_t *, char **);

#endif
