/*
 * query.h: read-only SQL access to a mirror database, for readers: the
 * HTTP API and log server of bbmirrord, the pruner's scans, tools. The
 * engines and the placeholder rules are store-backend.h's (SQL written
 * once, $1, $2 ... placeholders, accepted by SQLite and PostgreSQL alike),
 * but a query connection never writes and never migrates: SQLite is opened
 * without create and with query_only, PostgreSQL with
 * default_transaction_read_only.
 *
 * A struct query_db is one connection used by one thread at a time.
 * Statements are prepared once per connection and cached by their SQL
 * text (at most QUERY_CACHE of them; the least recently used is finalized
 * beyond that), so a handler may build its SQL from a fixed set of
 * fragments and call query_prepare for every request.
 *
 * Errors: functions returning int return 0 or -1 with *cause (caller
 * frees) naming the database and the engine's message.
 */
#ifndef BBM_QUERY_H
#define BBM_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define QUERY_CACHE	64

struct query_db;
struct query_stmt;

enum query_step {
	QUERY_ROW,
	QUERY_DONE,
	QUERY_ERR,	/* see query_errmsg */
};

/*
 * Opens url (as store_open names databases) for reading. Refuses a file
 * that does not exist, a database without bbmirror's schema ("not a
 * bbmirror database"), one whose schema is older than min_version ("schema
 * version 2, this reader needs 3: start bbmirrord or bbmirror-import once
 * to migrate it") or newer than this program knows.
 */
struct query_db	*query_open(const char *url, int min_version, char **cause)
		     WUR;
void		 query_close(struct query_db *);
int		 query_schema_version(const struct query_db *);
/* "sqlite" or "postgresql". */
const char	*query_engine(const struct query_db *);

/*
 * A read transaction: every statement between begin and end sees one
 * snapshot (the API's responses are consistent across their queries).
 * query_end never fails; it is a no-op without a transaction.
 */
int		 query_begin(struct query_db *, char **cause) WUR;
void		 query_end(struct query_db *);

/*
 * A number that changes whenever another connection has committed since
 * the last call (SQLite's data_version; PostgreSQL: the snapshot's xmax).
 * Followers of a running log poll it when no in-process writer tells them
 * about commits. Spurious changes are allowed; missed ones are not.
 */
int		 query_data_version(struct query_db *, int64_t *,
		     char **cause) WUR;

/*
 * Returns the cached statement for sql (preparing it on first use), reset
 * and with no bindings. Owned by the connection: never finalized by the
 * caller; valid until query_close or until QUERY_CACHE other SQL texts
 * have been prepared after it (the least recently prepared is evicted), so
 * a request may use up to QUERY_CACHE statements at once.
 */
struct query_stmt *query_prepare(struct query_db *, const char *sql,
		     char **cause) WUR;
void		 query_bind_int64(struct query_stmt *, int, int64_t);
void		 query_bind_double(struct query_stmt *, int, double);
/* A NULL string binds SQL NULL. The string must outlive the run. */
void		 query_bind_text(struct query_stmt *, int, const char *);
void		 query_bind_null(struct query_stmt *, int);
enum query_step	 query_step(struct query_stmt *);
int		 query_column_is_null(struct query_stmt *, int);
int64_t		 query_column_int64(struct query_stmt *, int);
double		 query_column_double(struct query_stmt *, int);
/* NULL for SQL NULL; valid until the next step or reset. */
const char	*query_column_text(struct query_stmt *, int);
/* Readies the statement for another run and clears its bindings. */
void		 query_reset(struct query_stmt *);
const char	*query_errmsg(struct query_stmt *);

#endif /* BBM_QUERY_H */
