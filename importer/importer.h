/*
 * importer.h: bbmirror-import, private header. Sections per file.
 */
#ifndef BBM_IMPORTER_H
#define BBM_IMPORTER_H

#include <stdint.h>
#include <stdio.h>

#include "record.h"
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

/* progress.c: a one-line progress bar on stderr (only on a terminal). */
void	progress_start(int enabled, const char *what, uint64_t total);
void	progress_update(uint64_t done, uint64_t log_bytes);
void	progress_end(void);
/* Prints a message above the bar without garbling it. */
void	progress_warn(const char *, ...) PRINTFLIKE(1, 2);

#endif /* BBM_IMPORTER_H */
