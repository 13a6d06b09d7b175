/*
 * statedb.h: reading the history tables of a Buildbot 0.8.x master's
 * state.sqlite (changes, buildsets, build requests and their builds) into
 * canonical records. The database belongs to a master that may be running:
 * it is opened read-only, never created and never written.
 */
#ifndef BBM_STATEDB_H
#define BBM_STATEDB_H

#include "record.h"

struct statedb;

/*
 * Opens path (a master's BASEDIR/state.sqlite) read-only and detects its
 * schema: the table `version` (0.8.0-0.8.3) or `migrate_version`
 * (repository 'Buildbot', 0.8.4+). Returns NULL with *cause set (caller
 * frees) when the file is not a 0.8 master database; returns NULL with
 * *cause == NULL when there is no such file (an 0.7 master has none).
 */
struct statedb	*statedb_open(const char *path, char **cause) WUR;
void		 statedb_close(struct statedb *);
/* The master's database version: 5-6 (`version`) or 8-24 (migrate). */
int		 statedb_version(const struct statedb *);
/* The path given to statedb_open (owned by the statedb). */
const char	*statedb_path(const struct statedb *);

/*
 * Iterators over the history tables, in id order. Each returns 1 with *out
 * filled (caller frees it with the matching record_*_free), 0 at the end
 * (*out zeroed) and -1 with *cause set (caller frees; it names the file and
 * the table). After an error the next call retries the same row.
 */
int	statedb_next_change(struct statedb *, struct bbm_change *out,
	    char **cause) WUR;
int	statedb_next_buildset(struct statedb *, struct bbm_buildset *out,
	    char **cause) WUR;
int	statedb_next_buildrequest(struct statedb *,
	    struct bbm_buildrequest *out, char **cause) WUR;

#endif /* BBM_STATEDB_H */
