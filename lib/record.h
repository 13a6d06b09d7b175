/*
 * record.h: the canonical records. Every source (pickle files, plugin
 * frames, HttpStatusPush packets, the 0.8 state.sqlite) is normalised into
 * these structures, and the store writes exactly these to the database:
 * this is the one place that says what a row holds.
 *
 * Conventions:
 * - Every char * is NUL-terminated UTF-8 owned by the record (malloc'd);
 *   NULL means SQL NULL.
 * - Fields documented as JSON hold compact JSON text produced by
 *   record_json_* (jansson, sorted keys), so equal data gives equal text.
 * - Times are epoch seconds as double; BBM_NO_TIME (NaN) means NULL.
 * - Result codes are Buildbot's integers (record_result_name);
 *   BBM_NO_RESULT (-1) means NULL.
 */
#ifndef BBM_RECORD_H
#define BBM_RECORD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BBM_NO_TIME	((double)NAN)
#define BBM_NO_RESULT	(-1)
#define bbm_time_isset(t) (!isnan(t))

enum bbm_result {
	BBM_SUCCESS = 0,
	BBM_WARNINGS = 1,
	BBM_FAILURE = 2,
	BBM_SKIPPED = 3,
	BBM_EXCEPTION = 4,
	BBM_RETRY = 5,
	BBM_CANCELLED = 6,
};

/* Where a row came from; stored in every table's origin column. */
enum bbm_origin {
	BBM_ORIGIN_IMPORT,	/* "import": pickle/log files, state.sqlite */
	BBM_ORIGIN_LIVE,	/* "live": plugin frames */
	BBM_ORIGIN_PUSH,	/* "push": HttpStatusPush packets */
};

struct bbm_property {
	char	*name;
	char	*value;		/* JSON */
	char	*source;
};

struct bbm_change {
	int64_t			 number;	/* the master's number: NOT unique */
	char			*author;
	char			*comments;
	char			*branch;
	char			*revision;
	char			*revlink;
	char			*category;
	char			*repository;
	char			*project;
	char			*codebase;
	double			 when;
	int			 is_dir;
	char			**files;
	size_t			 nfiles;
	struct bbm_property	*properties;
	size_t			 nproperties;
};

struct bbm_sourcestamp {
	char	*branch;
	char	*revision;
	char	*repository;
	char	*project;
	char	*codebase;
	int	 has_patch;
	int64_t	 patch_level;
	char	*patch_body;		/* bytes, may not be UTF-8 */
	size_t	 patch_len;
	char	*patch_subdir;
	char	*patch_author;
	char	*patch_comment;
	/* Indices into the owning build's changes array. */
	size_t	*changes;
	size_t	 nchanges;
};

enum bbm_log_kind {
	BBM_LOG_TEXT,
	BBM_LOG_HTML,
};

/* What the log store holds for a log; filled by whoever stored the content. */
enum bbm_log_state {
	BBM_LOG_NONE,		/* nothing stored yet (live log not started) */
	BBM_LOG_STORED,		/* content in the log store under store_key */
	BBM_LOG_MISSING,	/* the master's file was absent (pruned by it) */
	BBM_LOG_PRUNED,		/* we pruned it: a tombstone */
};

struct bbm_log {
	char			*name;
	char			*filename;	/* base name in the builder dir */
	enum bbm_log_kind	 kind;
	/*
	 * Content carried inside the record itself (old inline logs, HTML
	 * logs of <= 0.8.8), already in the master's chunk format; NULL when
	 * the content lives in the master's log file.
	 */
	char			*inline_chunks;
	size_t			 inline_len;
	int64_t			 length;	/* the pickle's length, -1 unknown */

	/* Filled after the content went to the log store. */
	enum bbm_log_state	 state;
	char			*store_key;
	int64_t			 stored_bytes;	/* master chunk-stream bytes */
	int64_t			 text_bytes;	/* payload bytes, all channels */
	int64_t			 lines;		/* newlines in channels 0 and 1 */
	int			 complete;
};

struct bbm_step {
	int64_t		 number;	/* index in the build's steps */
	char		*name;
	double		 started_at;
	double		 finished_at;
	int		 results;
	char		*text;		/* JSON array of strings */
	char		*text2;		/* JSON array of strings */
	char		*urls;		/* JSON object name -> url */
	char		*statistics;	/* JSON object */
	int		 hidden;
	int		 skipped;
	struct bbm_log	*logs;
	size_t		 nlogs;
};

struct bbm_build {
	char			*builder_name;
	int64_t			 number;
	double			 started_at;
	double			 finished_at;
	int			 complete;	/* finished, even at unknown time */
	int			 results;
	char			*text;		/* JSON array of strings */
	char			*reason;
	char			*slave;
	char			*blamelist;	/* JSON array of strings */
	struct bbm_step		*steps;
	size_t			 nsteps;
	struct bbm_property	*properties;
	size_t			 nproperties;
	struct bbm_sourcestamp	*sourcestamps;
	size_t			 nsourcestamps;
	struct bbm_change	*changes;
	size_t			 nchanges;
};

struct bbm_builder_event {
	double	 started_at;
	double	 finished_at;
	char	*text;			/* JSON array of strings */
};

struct bbm_builder {
	char				*name;
	char				*builddir;	/* relative to basedir */
	char				*description;
	char				*category;
	char				*tags;		/* JSON array or NULL */
	char				*slavenames;	/* JSON array */
	/* events_known: the record carries the builder's event list. */
	int				 events_known;
	struct bbm_builder_event	*events;
	size_t				 nevents;
};

/* 0.8 state.sqlite history: buildsets, build requests and their builds. */
struct bbm_buildset {
	int64_t			 bsid;
	char			*external_idstring;
	char			*reason;
	double			 submitted_at;
	int			 complete;
	double			 complete_at;
	int			 results;
	struct bbm_property	*properties;
	size_t			 nproperties;
};

struct bbm_buildrequest {
	int64_t	 brid;
	int64_t	 bsid;
	char	*builder_name;
	int64_t	 priority;
	double	 submitted_at;
	double	 claimed_at;
	char	*claimed_by;
	int	 complete;
	double	 complete_at;
	int	 results;
	/* The master's builds rows for this request (number, times). */
	struct bbm_request_build {
		int64_t	 number;
		double	 started_at;
		double	 finished_at;
	}	*builds;
	size_t	 nbuilds;
};

void		 record_property_free(struct bbm_property *);
void		 record_change_free(struct bbm_change *);
void		 record_sourcestamp_free(struct bbm_sourcestamp *);
void		 record_log_free(struct bbm_log *);
void		 record_step_free(struct bbm_step *);
void		 record_build_free(struct bbm_build *);
void		 record_builder_free(struct bbm_builder *);
void		 record_buildset_free(struct bbm_buildset *);
void		 record_buildrequest_free(struct bbm_buildrequest *);

/* "success", "warnings", ... or NULL for an unknown code. */
const char	*record_result_name(int);
/* "import", "live", "push". */
const char	*record_origin_name(enum bbm_origin);

/*
 * Stable identity of a change across sources (change numbers are reused by
 * masters): hex digest of number, when (whole seconds), author, revision,
 * branch, repository. Caller frees.
 */
char		*record_change_identity(const struct bbm_change *);

/*
 * JSON text helpers (caller frees the result). record_json_strings makes a
 * JSON array from n UTF-8 strings.
 */
char		*record_json_strings(char *const *, size_t);

#endif /* BBM_RECORD_H */
