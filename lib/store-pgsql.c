/* store-pgsql.c: placeholder until the PostgreSQL store lands (issue 5). */
#include "config.h"

#include "store-backend.h"
#include "util.h"

#ifdef HAVE_POSTGRESQL
static const size_t	store_pgsql_none = 0;

static struct store_conn *
store_pgsql_open(const char *url, char **cause)
{
	xasprintf(cause, "%s: the PostgreSQL store is not written yet", url);
	return (NULL);
}

const struct store_backend store_pgsql_backend = {
	.name = "postgresql",
	.nmigrations = &store_pgsql_none,
	.open = store_pgsql_open,
	.open_read = store_pgsql_open,
};
#endif
