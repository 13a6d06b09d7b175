/*
 * importer.h: bbmirror-import, private header. Sections per file.
 */
#ifndef BBM_IMPORTER_H
#define BBM_IMPORTER_H

#include <stdint.h>
#include <stdio.h>

#include <pthread.h>

#include "record.h"
#include "store.h"
#include "statedb.h"
#include "util.h"

/* main.c: the settings, from one option table. */
struct import_options {
	const char	*db;		/* database path or URL */
	const char	*logstore;	/* log store directory */
	const char	*master;	/* master name (one basedir only) */
	int64_t		 jobs;		/* worker threads */
	int		 quiet;
	int		 progress;	/* a progress bar on a terminal */
};

/* import.c */
struct import_totals {
	uint64_t	 builders;
	uint64_t	 builds;	/* stored (new or updated) */
	uint64_t	 unchanged;	/* skipped: file unchanged since last run */
	uint64_t	 failed;	/* skipped: bad pickle or store error */
	uint64_t	 running;	/* log files with no build pickle */
	uint64_t	 steps;
	uint64_t	 logs;
	uint64_t	 logs_missing;
	uint64_t	 log_bytes;	/* uncompressed chunk-stream bytes */
	uint64_t	 changes;
	uint64_t	 requests;
	uint64_t	 warnings;	/* problems reported but data kept */
};
/*
 * Imports one master base directory into the store at opts->db. Problems
 * with single files are reported on stderr and counted; returns -1 with
 * *cause only when the import as a whole cannot go on (database unusable,
 * basedir unreadable).
 */
int	import_master(const struct import_options *, const char *basedir,
	    const char *master, struct import_totals *, char **cause);

/* import.c and import-build.c: the state of one master's import. */
#define IMPORT_MAX_DEPTH	8		/* of builder directories */
#define IMPORT_MAX_PICKLE	((size_t)256 << 20)
#define IMPORT_WINDOW		64	/* jobs decoded ahead of the writer */
#define IMPORT_BATCH		500	/* changes/requests per transaction */
#define IMPORT_COMMIT_BUILDS	200	/* builds per transaction */
#define IMPORT_READ_SIZE	(256 * 1024)

struct import_dir {
	char		*path;		/* full path */
	char		*rel;		/* builddir, relative to basedir */
	char		*builder_name;
	int64_t		 builder_id;
	uint64_t	*numbers;	/* build pickles present */
	size_t		 nnumbers;
	uint64_t	*lognumbers;	/* builds that have log files */
	size_t		 nlognumbers;
	int		 has_builder;
};

struct import_job {
	struct import_dir	*dir;
	int64_t			 number;
	char			*path;
	char			*rel;
	struct store_file_state	 state;		/* the file now */
	int			 known;		/* imported before */
	char			 old_digest[65];

	/* Filled by the worker. */
	int			 done;
	int			 same;		/* content unchanged */
	char			*error;		/* the build is skipped */
	struct buf		 warnings;	/* kept, but worth saying */
	struct bbm_build	 build;
	uint64_t		 log_bytes;
};

struct import_ctx {
	const struct import_options	*opts;
	const char			*basedir;
	const char			*master;
	int64_t				 master_id;
	struct store			*store;
	struct import_totals		*totals;

	struct import_dir		*dirs;
	size_t				 ndirs;
	struct import_job		*jobs;
	size_t				 njobs;

	pthread_mutex_t			 lock;
	pthread_cond_t			 cond;
	size_t				 next;		/* next job to decode */
	size_t				 written;	/* jobs stored */
	int				 stop;

	int				 in_tx;		/* writer's transaction */
	size_t				 pending;	/* builds in it */
};

struct pickle;
struct pickle	*import_load_pickle(const char *path, char digest[65],
		     char **cause);
/* import-build.c */
void		 import_run_jobs(struct import_ctx *);
void		 import_job_free(struct import_job *);

/* progress.c: a one-line progress bar on stderr (only on a terminal). */
void	progress_start(int enabled, const char *what, uint64_t total);
void	progress_update(uint64_t done, uint64_t log_bytes);
void	progress_end(void);
/* Prints a message above the bar without garbling it. */
void	progress_warn(const char *, ...) PRINTFLIKE(1, 2);

#endif /* BBM_IMPORTER_H */
