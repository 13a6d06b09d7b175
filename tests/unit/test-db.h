/*
 * test-db.h: the engines a store test runs on, and a plain connection to
 * read (and poke) what the store wrote, as a user querying it would.
 *
 * SQLite databases are files of a temporary directory. PostgreSQL is used
 * when BBM_TEST_PG holds a libpq connection string (a URI or key=value
 * pairs) naming a server where the user may create databases: the run gets
 * a database of its own (dropped at exit), and each database name of the
 * test a schema of it (the store's url sets search_path), so tests run in
 * parallel without seeing each other. Without BBM_TEST_PG (or without
 * libpq at build time) the PostgreSQL half is one skipped test point.
 *
 * A database is named as a file ("store.db"); test_db_url maps it to what
 * store_open takes under the current engine.
 */
#ifndef BBM_TEST_DB_H
#define BBM_TEST_DB_H

#include <stdint.h>

#include "util.h"

enum test_engine {
	TEST_SQLITE,
	TEST_PGSQL,
};
#define TEST_ENGINES	2

/*
 * Creates the temporary directory (prefix names it) and, if BBM_TEST_PG is
 * set, the PostgreSQL database; a server that cannot be reached is a
 * failed test point. Registers test_db_done with atexit.
 */
void		 test_db_init(const char *prefix);
/* Closes every reading connection, drops the database, removes files. */
void		 test_db_done(void);
/*
 * Whether the engine is available. For PostgreSQL, when it is not, emits
 * one skipped test point saying why (once).
 */
int		 test_db_has(enum test_engine);
/* Selects the engine of the calls below, and prints it as a diagnostic. */
void		 test_db_use(enum test_engine);
enum test_engine test_db_engine(void);
const char	*test_db_engine_name(void);
/* Chooses between two spellings of an SQL text by the current engine. */
#define TEST_SQL(sqlite, pgsql) \
	(test_db_engine() == TEST_SQLITE ? (sqlite) : (pgsql))

/* The directory's path for a file name (static buffer). */
const char	*test_db_path(const char *name);
/*
 * The url of database name under the current engine (a static buffer,
 * valid until the next call). For PostgreSQL, creates its schema.
 */
const char	*test_db_url(const char *name);
/*
 * Queries on database name, through a connection cached per name: the
 * integer of the first column of the first row (-999 if none; booleans
 * are 0 and 1, fractions truncated), its text (caller frees; NULL if
 * none), or a statement's success (0, or -1 after a diagnostic). SQLite
 * connections are opened with foreign keys on, as the store's.
 */
int64_t		 test_db_int(const char *name, const char *fmt, ...)
		     PRINTFLIKE(2, 3);
char		*test_db_text(const char *name, const char *fmt, ...)
		     PRINTFLIKE(2, 3);
int		 test_db_exec(const char *name, const char *sql);
/* Closes the cached connection of name (e.g. before removing it). */
void		 test_db_close(const char *name);
/*
 * Removes database name under the current engine (SQLite: its files;
 * PostgreSQL: its schema), so that the next store_open starts afresh.
 */
void		 test_db_drop(const char *name);
/*
 * The rows a query gives as text, one line each, columns separated by |,
 * NULL as "NULL" (caller frees); NULL on error after a diagnostic.
 */
char		*test_db_rows(const char *name, const char *sql);

#endif /* BBM_TEST_DB_H */
