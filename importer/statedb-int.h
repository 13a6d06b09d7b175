/*
 * statedb-int.h: private declarations shared by the state.sqlite reader's
 * own files: statedb.c (opening, schema detection, the snapshot and the
 * prepared statements) and statedb-read.c (reading the records). Included
 * only by those files, after statedb.h; the contracts are in the block
 * comments of the definitions.
 */
#ifndef BBM_STATEDB_INT_H
#define BBM_STATEDB_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "statedb.h"

enum statedb_stmt {
	STATEDB_CHANGE,
	STATEDB_CHANGE_FILES,
	STATEDB_CHANGE_PROPERTIES,
	STATEDB_BUILDSET,
	STATEDB_BUILDSET_PROPERTIES,
	STATEDB_REQUEST,
	STATEDB_REQUEST_BUILDS,
	STATEDB_NSTMT
};

/* The table each statement reads, for error messages (statedb.c). */
extern const char *const statedb_tables[STATEDB_NSTMT];

struct statedb {
	sqlite3		*db;
	char		*path;
	int		 version;
	sqlite3_stmt	*stmt[STATEDB_NSTMT];
	int64_t		 last_change;
	int64_t		 last_buildset;
	int64_t		 last_request;
	/* The snapshot taken at open: parents beyond these are left for
	 * the next run, so every parent read has its children copied. */
	int64_t		 max_change;
	int64_t		 max_buildset;
	int64_t		 max_request;
	/* Where each child table is read: the master's, or an indexed copy. */
	char		*child[4];
	struct statedb_queue {
		void	*items;		/* records read, not handed out yet */
		size_t	 n;
		size_t	 head;
		char	*error;		/* to report once they are handed out */
	}		 changes, buildsets, requests;
};

/* statedb.c: errors and read transactions */
void	 statedb_error(struct statedb *, const char *, char **);
int	 statedb_begin(struct statedb *, const char *, char **);
int	 statedb_end(struct statedb *, int, const char *, char **);

#endif /* BBM_STATEDB_INT_H */
