/*
 * legacy.h: the legacy status model. Turns the decoded pickle trees
 * (pickle.h) of every Buildbot 0.7.x-0.8.x status class and persistence
 * version into the canonical records of record.h.
 *
 * Twisted's Versioned upgrades (spec 2.4, 2.6) are applied as pure data
 * normalisation: whichever generation wrote a pickle, the same build gives
 * the same record. Nothing here touches the file system; log contents that
 * live in files are left to the caller (struct bbm_log filename), contents
 * carried inside the pickle (pre-0.6.5 inline logs, HTML logs of <= 0.8.8)
 * come back in inline_chunks.
 *
 * The converters are tolerant: unknown classes and attributes are ignored
 * and an optional attribute of the wrong type takes its default. The trees
 * may be cyclic and may share nodes; every walk is bounded, and one record
 * may not expand to more than LEGACY_MAX_EXPANSION bytes (a few memo
 * references can otherwise stand for terabytes).
 */
#ifndef BBM_LEGACY_H
#define BBM_LEGACY_H

#include <stddef.h>

#include "pickle.h"
#include "record.h"

/* Bytes of record one pickle may expand to. */
#define LEGACY_MAX_EXPANSION	((size_t)256 << 20)
/* legacy_json: nesting rendered before "<recursion>". */
#define LEGACY_JSON_MAX_DEPTH	64
/* legacy_json: values rendered before the whole text is "<too large>". */
#define LEGACY_JSON_MAX_NODES	200000
#define LEGACY_JSON_MAX_BYTES	((size_t)64 << 20)
/* The master writes log chunks of at most this many text bytes. */
#define LEGACY_CHUNK_MAX	10000

/*
 * root: the decoded BuildStatus (file <N>). Fills *out (zeroed first; the
 * caller frees it with record_build_free; after an error it is empty).
 * builder_name stays NULL unless the properties carry buildername; slave
 * stays NULL without slavename. Log filenames that could leave the builder
 * directory ('/', "..") are dropped. Returns 0, or -1 with *cause (caller
 * frees) when the root is not a BuildStatus, its number is missing or not
 * a non-negative int, or the record (or the walk over shared nodes) would
 * exceed LEGACY_MAX_EXPANSION.
 */
int	 legacy_build(const struct pickle_value *root, struct bbm_build *out,
	     char **cause) WUR;

/*
 * One BuildStepStatus (as found in a build's steps) and one LogFile or
 * HTMLLogFile (as found in a step's logs), for the live path, which gets
 * them on their own: the same rules as inside legacy_build. index is the
 * step's index in its build (out->number) or the log's in its step.
 * Returns -1 with *cause when v is not of the class.
 */
int	 legacy_step_record(const struct pickle_value *v, size_t index,
	     struct bbm_step *out, char **cause) WUR;
int	 legacy_log_record(const struct pickle_value *v, struct bbm_log *out,
	     char **cause) WUR;

/* File `builder`: the BuilderStatus. Same conventions as legacy_build. */
int	 legacy_builder(const struct pickle_value *root,
	     struct bbm_builder *out, char **cause) WUR;

/*
 * changes.pck: root ChangeMaster. *out gets an array of *n changes (caller
 * frees each with record_change_free, then the array; *out is NULL when
 * *n is 0). Elements that are not Changes with a valid number are skipped.
 * Returns -1 with *cause when the root is not a ChangeMaster or its
 * `changes` is not a list.
 */
int	 legacy_changemaster(const struct pickle_value *root,
	     struct bbm_change **out, size_t *n, char **cause) WUR;

/* One Change. -1 with *cause if v is not a Change or has no valid number. */
int	 legacy_change(const struct pickle_value *v, struct bbm_change *out,
	     char **cause) WUR;

/*
 * A pickle value as compact JSON text with sorted keys (caller frees), for
 * property values and statistics: str -> string (UTF-8, else Latin-1),
 * unicode -> string, int -> integer, long beyond int64 -> string of its
 * digits, float -> real (NaN/Inf -> null), None -> null, bool -> true/false,
 * list/tuple/set -> array, dict -> object (non-string keys as their JSON
 * text), instance -> {"__class__": "module.Name", "state": <state>},
 * datetime/date/time -> ISO 8601 string, class reference -> "module.Name",
 * opaque call -> {"__call__": "module.Name", "args": <args>}. Cycles and
 * nesting beyond LEGACY_JSON_MAX_DEPTH render as "<recursion>"; a value
 * needing more than LEGACY_JSON_MAX_NODES nodes or LEGACY_JSON_MAX_BYTES of
 * strings renders as "<too large>" as a whole. NULL renders as null.
 */
char	*legacy_json(const struct pickle_value *);

/*
 * A pickle value as a UTF-8 string (caller frees), or NULL for None (and a
 * NULL pointer): str and unicode as in legacy_json, int and long as
 * decimal, float as the shortest decimal that reads back the same, bool
 * as "True"/"False" (Python's str()); anything else as its legacy_json text.
 */
char	*legacy_string(const struct pickle_value *);

#endif /* BBM_LEGACY_H */
