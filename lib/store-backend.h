/*
 * store-backend.h: the thin interface between the store's portable logic
 * (store.c) and one SQL engine (store-sqlite.c; store-pgsql.c later).
 *
 * store.c writes every statement once, in SQL both engines accept, with
 * PostgreSQL-style placeholders $1, $2, ... (a placeholder may repeat and
 * may appear in any order). A backend only moves values in and out: it
 * holds no knowledge of the tables.
 *
 * Error model: binds never fail on their own; a backend remembers the
 * first bind error in the statement and reports it from step(). Whenever a
 * call fails, stmt_errmsg() (or the cause) says why, in the engine's words.
 */
#ifndef BBM_STORE_BACKEND_H
#define BBM_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* Opaque, defined by each backend. */
struct store_conn;
struct store_stmt;

enum store_step {
	STORE_STEP_ROW,		/* a result row is available */
	STORE_STEP_DONE,	/* the statement ran to completion */
	STORE_STEP_ERR,		/* failed: see stmt_errmsg */
};

struct store_backend {
	const char	*name;

	/*
	 * The schema migrations, in order: migrations[i] takes the schema
	 * from version i to version i + 1, for i < *nmigrations (a pointer,
	 * so that the generated count can initialise a constant table).
	 * Each is one script of several statements, run by exec() inside a
	 * transaction.
	 */
	const char *const	*migrations;
	const size_t		*nmigrations;

	/*
	 * Connects to the database named by url and sets the session up
	 * (pragmas, time zone...). Returns NULL and sets *cause on failure.
	 */
	struct store_conn	*(*open)(const char *, char **);
	/*
	 * Connects for reading only (query.h): never creates the database,
	 * and the session refuses writes (SQLite: query_only; PostgreSQL:
	 * default_transaction_read_only).
	 */
	struct store_conn	*(*open_read)(const char *, char **);
	void			 (*close)(struct store_conn *);

	/* Runs a script of one or more statements returning no rows. */
	int		 (*exec)(struct store_conn *, const char *, char **);
	/* *exists gets whether a table of that name exists. */
	int		 (*table_exists)(struct store_conn *, const char *,
			     int *exists, char **);

	/*
	 * Transactions. begin() takes the write lock at once, so two
	 * writers queue instead of failing on lock upgrade. rollback() is a
	 * no-op when no transaction is open.
	 */
	int		 (*begin)(struct store_conn *, char **);
	int		 (*commit)(struct store_conn *, char **);
	int		 (*rollback)(struct store_conn *);
	/*
	 * A read transaction (one snapshot), without any lock that would
	 * hold a writer back; ended by rollback().
	 */
	int		 (*begin_read)(struct store_conn *, char **);
	/*
	 * *version gets a number that changes when another connection has
	 * committed (see query_data_version).
	 */
	int		 (*data_version)(struct store_conn *, int64_t *version,
			     char **);
	/*
	 * on non-zero: a commit returns only once it is on disk; zero: the
	 * backend's default (durable against a crash of the process, not of
	 * the machine).
	 */
	int		 (*set_durable)(struct store_conn *, int, char **);

	/*
	 * Compiles one statement. The statement lives until finalize() and
	 * may be run any number of times: bind, step until DONE (or stop
	 * early), reset.
	 */
	struct store_stmt	*(*prepare)(struct store_conn *, const char *,
				     char **);
	/*
	 * Binds parameter $idx (1-based). bind_text with a NULL string and
	 * bind_blob with a NULL pointer bind SQL NULL; a non-NULL pointer
	 * with len 0 binds an empty blob. The value must stay valid until
	 * the statement is reset.
	 */
	void		 (*bind_int64)(struct store_stmt *, int, int64_t);
	void		 (*bind_double)(struct store_stmt *, int, double);
	void		 (*bind_text)(struct store_stmt *, int,
			     const char *);
	void		 (*bind_blob)(struct store_stmt *, int,
			     const void *, size_t);
	void		 (*bind_null)(struct store_stmt *, int);
	enum store_step	 (*step)(struct store_stmt *);
	/*
	 * Columns of the current row, 0-based. column_text returns NULL for
	 * SQL NULL; the string is valid until the next step or reset.
	 */
	int		 (*column_is_null)(struct store_stmt *, int);
	int64_t		 (*column_int64)(struct store_stmt *, int);
	double		 (*column_double)(struct store_stmt *, int);
	const char	*(*column_text)(struct store_stmt *, int);
	/*
	 * column_blob returns the bytes (NULL for SQL NULL or an empty
	 * value) and their number in *len; valid as column_text's.
	 */
	const void	*(*column_blob)(struct store_stmt *, int, size_t *);
	/* Readies the statement for another run and clears its bindings. */
	void		 (*reset)(struct store_stmt *);
	void		 (*finalize)(struct store_stmt *);
	/* Why the last step (or a bind before it) failed. */
	const char	*(*stmt_errmsg)(struct store_stmt *);
};

extern const struct store_backend store_sqlite_backend;
#ifdef HAVE_POSTGRESQL
extern const struct store_backend store_pgsql_backend;
/* Generated from the schema/pgsql migrations by schema/embed.sh. */
extern const char *const	schema_pgsql_migrations[];
extern const size_t		schema_pgsql_count;
#endif

/*
 * The backend for a database url: PostgreSQL for "postgresql://" and
 * "postgres://" (and libpq "key=value" strings: "host=...", "dbname=..."),
 * SQLite otherwise. NULL with *cause when the engine is not built in.
 */
const struct store_backend *store_backend_for(const char *url, char **cause);

/* Generated from the schema/sqlite migrations by schema/embed.sh. */
extern const char *const	schema_sqlite_migrations[];
extern const size_t		schema_sqlite_count;

#endif /* BBM_STORE_BACKEND_H */
