/*
 * live.h: applies live events (event.h) to the mirror through the one
 * store interface (store.h), and their log text to the log store
 * (logstore.h). Used by bbmirrord; independent of any event loop.
 *
 * Transactions and sequence numbers: the caller opens a batch
 * (live_begin), applies events in the order each master sent them, and
 * commits (live_commit). Each master's last applied sequence number is
 * written in the same transaction, so once a batch has committed, its
 * events are durable and a resent event (seq <= the committed one) is
 * skipped, never applied twice. Each event that writes is applied in a
 * unit of its own (a savepoint; an event that writes nothing needs none):
 * an event that fails leaves no partial rows.
 *
 * What each event writes:
 * - builderAdded: the builder (store_builder); builderChangedState and
 *   builderRemoved: store_builder_state ("removed").
 * - buildStarted and buildFinished: the whole build (store_build); its logs
 *   keep the content columns the live log state gives them.
 * - step events with a status: the step (store_step), written once at the
 *   commit (or earlier when a log needs its rows). ETA updates write
 *   nothing.
 * - logStarted: the log row (with the step); logChunk: the text, written
 *   as the master writes its log file (consecutive text on one channel is
 *   coalesced and written as chunks of at most 10000 bytes when the channel
 *   changes, the run reaches 10000 bytes, or the log finishes), so the log
 *   store holds byte for byte the stream of the master's own file and the
 *   log row the same counts as an import of it; the unwritten run is kept
 *   in live_logs at every commit. logFinished: the run is written and the
 *   log marked complete; an HTML log's content is stored whole.
 * - requests, buildsets, changes, slaves: store_buildrequest, store_buildset,
 *   store_change, store_slave.
 * A build, step or log event for a build the database does not have yet
 * (the master started it before the plugin was loaded) creates the build
 * row from the identity it carries.
 *
 * A running live log's text is kept in live_logs (the chunks not yet in the
 * log store, then the open run) until it reaches LIVE_KEEP (64 KiB), then
 * appended to a file of its own in the log store (logstore_append_at,
 * keyed by logstore_key); a finished log that never got a file goes to a
 * pack like an imported one. Short logs thus cost no file creation, and a
 * running log is read from its file plus live_logs (bbmirror-log does).
 */
#ifndef BBM_LIVE_H
#define BBM_LIVE_H

#include <stdint.h>

#include "event.h"
#include "logstore.h"
#include "store.h"

struct live;

/* Uses (does not own) store and ls. Never fails. */
struct live	*live_new(struct store *, struct logstore *);
/* Rolls back an open batch. */
void		 live_free(struct live *);

/*
 * Registers the master of a connection (store_master, in a transaction of
 * its own if no batch is open) and returns its row id and the last
 * committed sequence number.
 */
int		 live_master(struct live *, const char *name,
		     const char *basedir, int64_t *master_id,
		     uint64_t *last_seq, char **cause) WUR;

/* Opens a batch (a transaction). */
int		 live_begin(struct live *, char **cause) WUR;
/* 1 if a batch is open. */
int		 live_in_batch(const struct live *);

enum live_result {
	LIVE_APPLIED,
	LIVE_DUPLICATE,		/* seq <= the master's last applied: skipped */
	LIVE_IGNORED,		/* nothing to write (ETA, unknown event) */
	LIVE_FAILED,		/* *cause set; the event's unit was undone */
};

/*
 * Applies one event of master_id inside the open batch. LIVE_FAILED
 * leaves the batch usable (the other events stay); the event's seq still
 * counts as applied (resending it would fail again), and *cause names the
 * event and seq.
 */
enum live_result live_apply(struct live *, int64_t master_id,
		     const struct bbm_event *, char **cause);

/*
 * Writes the buffered log text of the batch to the log store, the
 * live_logs state and each master's last sequence number, then commits.
 * On failure everything of the batch is rolled back, the in-memory state
 * (caches of builds and live logs) is dropped so that it is reloaded from
 * the database, and -1 is returned with *cause: the caller must make the
 * senders resend from their last acknowledged event.
 */
int		 live_commit(struct live *, char **cause) WUR;
/* Rolls back the open batch and drops the in-memory state. */
void		 live_rollback(struct live *);

/*
 * The origin the rows of a master known to live_master are written with:
 * BBM_ORIGIN_LIVE unless set (the HttpStatusPush ingest sets
 * BBM_ORIGIN_PUSH).
 */
void		 live_master_origin(struct live *, int64_t master_id,
		     enum bbm_origin);

/* The last committed sequence number of a master known to live_master. */
uint64_t	 live_committed_seq(const struct live *, int64_t master_id);

/* Counters since live_new, for logs and benchmarks. */
struct live_stats {
	uint64_t	 events;	/* applied */
	uint64_t	 duplicates;
	uint64_t	 ignored;
	uint64_t	 failed;
	uint64_t	 commits;
	uint64_t	 log_bytes;	/* chunk text received */
};
void		 live_get_stats(const struct live *, struct live_stats *);

#endif /* BBM_LIVE_H */
