/*
 * store-pgsql-int.h: private to the PostgreSQL backend's files
 * (store-pgsql.c: connections, transactions and statements;
 * store-pgsql-pipe.c: pipelined writes). Never included elsewhere.
 */
#ifndef BBM_STORE_PGSQL_INT_H
#define BBM_STORE_PGSQL_INT_H

#include <libpq-fe.h>
#include <stddef.h>

#include "store-backend.h"

#ifdef LIBPQ_HAS_PIPELINING
#define STORE_PGSQL_PIPELINE	1
#endif

struct store_conn {
	PGconn		*pg;
	char		*url;
	int		 read_only;
	int		 durable;
	unsigned	 session;	/* bumped at every (re)connection */
	unsigned	 names;		/* statement names given so far */
	double		 retry_at;	/* no reconnection attempt before */
	double		 backoff;
	char		*lost;		/* why the last reconnection failed */
	int		 broken;	/* unusable: made again at begin */

	/*
	 * Pipelining (store-pgsql-pipe.c): on for a writer's transaction.
	 * pending holds the SQL of the statements sent whose results are
	 * not read yet, in order; deferred the first failure among them
	 * not yet reported to a caller.
	 */
	int		 can_pipeline;
	int		 pipeline;
	const char	**pending;
	size_t		 npending;
	size_t		 spending;
	char		*deferred;
};

struct store_pgsql_blob {
	unsigned char	*data;		/* PQunescapeBytea's, or NULL */
	size_t		 len;
};

struct store_stmt {
	struct store_conn	*c;
	char			*sql;
	char			 name[24];
	unsigned		 session;	/* prepared in; 0: not yet */
	int			 deferrable;	/* returns no rows: may be sent
						   without waiting */
	int			 undoes;	/* ROLLBACK TO: runs even after
						   a failure not yet told */
	int			 nparams;
	const char		**values;
	int			*lengths;
	int			*formats;
	char			(*numbers)[32];	/* text of numeric params */
	int			 ran;		/* since the last reset */
	PGresult		*res;
	int			 row;		/* current row, -1 before */
	struct store_pgsql_blob	*blobs;		/* decoded bytea per column */
	int			 nblobs;
	char			*error;		/* first failure since reset */
};

/* store-pgsql.c */
char		*store_pgsql_message(PGconn *, const PGresult *);
void		 store_pgsql_fail(struct store_stmt *, const char *, int);

/* store-pgsql-pipe.c */
int		 store_pgsql_deferrable(const char *);
int		 store_pgsql_undoes(const char *);
int		 store_pgsql_pipe_enter(struct store_conn *, char **);
void		 store_pgsql_pipe_pause(struct store_conn *);
int		 store_pgsql_pipe_leave(struct store_conn *, char **);
void		 store_pgsql_pipe_reset(struct store_conn *);
enum store_step	 store_pgsql_pipe_run(struct store_stmt *);

#endif /* BBM_STORE_PGSQL_INT_H */
