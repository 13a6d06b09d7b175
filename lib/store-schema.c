/*
 * store-schema.c: which engine a database url names, and bringing a
 * database's schema up to the version this program knows (one migration
 * per transaction, refusing a newer schema).
 */
#include "config.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/*
 * Reads the schema version: 0 for a database without schema_version (new
 * or not ours yet).
 */
static int
store_read_version(struct store *s, int *version, char **cause)
{
	char	*error;
	int	 exists;
	int64_t	 v = 0;

	if (s->be->table_exists(s->conn, "schema_version", &exists,
	    &error) != 0) {
		xasprintf(cause, "store: schema_version: %s", error);
		free(error);
		return (-1);
	}
	if (exists) {
		if (store_stmt(s, STORE_SQL_VERSION_GET, cause) == NULL)
			return (-1);
		if (store_run(s, STORE_SQL_VERSION_GET, &v, NULL, cause) != 0)
			return (-1);
	}
	if (v < 0 || v > 1000000) {
		xasprintf(cause, "store: schema_version: invalid version %lld",
		    (long long)v);
		return (-1);
	}
	*version = (int)v;
	return (0);
}

/*
 * Brings the schema up to the newest version this program knows, one
 * migration per transaction. The version is read again under the write
 * lock, so two programs opening a new database at once do not both
 * migrate it.
 */
int
store_migrate(struct store *s, char **cause)
{
	size_t			 known = *s->be->nmigrations;
	struct store_stmt	*st;
	char			*error;
	int			 v;

	if (store_read_version(s, &v, cause) != 0)
		return (-1);
	for (;;) {
		if ((size_t)v > known) {
			xasprintf(cause, "store: the database has schema "
			    "version %d, newer than this program knows (%zu): "
			    "upgrade bbmirror", v, known);
			return (-1);
		}
		if ((size_t)v == known)
			break;
		if (store_begin(s, cause) != 0)
			return (-1);
		if (store_read_version(s, &v, cause) != 0)
			goto fail;
		if ((size_t)v >= known) {
			store_rollback(s);
			continue;
		}
		if (s->be->exec(s->conn, s->be->migrations[v], &error) != 0) {
			xasprintf(cause, "store: migrating to schema version "
			    "%d: %s", v + 1, error);
			free(error);
			goto fail;
		}
		if ((st = store_stmt(s, STORE_SQL_VERSION_ADD, cause)) == NULL)
			goto fail;
		store_bind_int(s, st, 1, v + 1);
		s->be->bind_double(st, 2, store_now());
		if (store_run(s, STORE_SQL_VERSION_ADD, NULL, NULL, cause) != 0)
			goto fail;
		if (store_commit(s, cause) != 0)
			return (-1);
		v++;
	}
	s->version = v;
	return (0);

fail:
	store_rollback(s);
	return (-1);
}

/*
 * PostgreSQL urls ("postgresql://", "postgres://") and libpq keyword
 * strings (a "host=", "dbname=", "service=" or "user=" keyword) go to the
 * PostgreSQL backend; anything else is an SQLite file name.
 */
const struct store_backend *
store_backend_for(const char *url, char **cause)
{
	static const char *const	 pg[] = { "postgresql://",
	    "postgres://", "host=", "dbname=", "service=", "user=" };
	size_t				 i;

	for (i = 0; i < sizeof pg / sizeof pg[0]; i++) {
		if (strncmp(url, pg[i], strlen(pg[i])) != 0)
			continue;
#ifdef HAVE_POSTGRESQL
		return (&store_pgsql_backend);
#else
		xasprintf(cause, "store: %s: this bbmirror was built without "
		    "PostgreSQL (configure --with-postgresql, libpq-dev)",
		    url);
		return (NULL);
#endif
	}
	return (&store_sqlite_backend);
}
