/*
 * event.h: the live normaliser. Turns one parsed event frame (frame.h) of
 * the wire protocol (protocol.h) into a struct bbm_event carrying canonical
 * records (record.h).
 *
 * The status objects inside an event (BuildStatus, BuildStepStatus,
 * LogFile, BuilderStatus, Change) arrive as the state the pickler would
 * save; they are converted into the pickle tree of pickle.h
 * (pickle_from_msgpack) and normalised by the very functions that read the
 * build pickles (legacy.h). That is what makes a build seen live and the
 * same build imported later give the same rows.
 */
#ifndef BBM_EVENT_H
#define BBM_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "record.h"

enum event_type {
	EVENT_UNKNOWN,		/* a name this version does not know */
	EVENT_BUILDER_ADDED,
	EVENT_BUILDER_STATE,	/* builderChangedState */
	EVENT_BUILDER_REMOVED,
	EVENT_BUILD_STARTED,
	EVENT_BUILD_FINISHED,
	EVENT_BUILD_ETA,
	EVENT_STEP_STARTED,
	EVENT_STEP_FINISHED,
	EVENT_STEP_TEXT,	/* stepTextChanged */
	EVENT_STEP_TEXT2,	/* stepText2Changed */
	EVENT_STEP_ETA,
	EVENT_LOG_STARTED,
	EVENT_LOG_CHUNK,
	EVENT_LOG_FINISHED,
	EVENT_REQUEST_SUBMITTED,
	EVENT_REQUEST_CANCELLED,
	EVENT_BUILDSET_SUBMITTED,
	EVENT_CHANGE_ADDED,
	EVENT_SLAVE_CONNECTED,
	EVENT_SLAVE_DISCONNECTED,
	EVENT_SLAVE_PAUSED,
	EVENT_SLAVE_UNPAUSED,
};

/*
 * One event. Which members are set depends on type (see protocol.h for the
 * keys); everything not set is NULL / 0 / NaN. Owned by the event (freed
 * by event_free), except chunk_text, which points into the frame_msg and
 * is valid only as long as it.
 */
struct bbm_event {
	enum event_type		 type;
	char			*name;		/* the event name as sent */
	uint64_t		 seq;
	double			 time;		/* NaN if not sent */

	/* Builder events and build identity of build/step/log events. */
	char			*builder;
	int64_t			 number;	/* -1 when not a build event */
	double			 started;	/* NaN if unknown */
	int64_t			 step;		/* step index, -1 if none */
	int64_t			 log;		/* log index, -1 if none */

	/* builderChangedState: "offline", "idle", "building", ... */
	char			*state;
	/* slave events */
	char			*slave;
	/* buildETAUpdate, stepETAUpdate: seconds, NaN for None */
	double			 eta;
	/* buildFinished: int code; stepFinished: the code of results */
	int			 results;

	/*
	 * builderAdded: the builder (name forced to "builder"). buildStarted,
	 * buildFinished: the whole build (builder_name forced to "builder").
	 * Step events with a status: the step, its number set to the index.
	 * Log events with a status: the log (legacy rules; HTML logs carry
	 * inline_chunks).
	 */
	struct bbm_builder	*builder_rec;
	struct bbm_build	*build;
	struct bbm_step		*step_rec;
	struct bbm_log		*log_rec;

	/* logChunk */
	int			 channel;
	const char		*chunk_text;
	size_t			 chunk_len;
	int			 chunk_more;

	struct bbm_change	*change;
	struct bbm_buildset	*buildset;
	struct bbm_buildrequest	*request;
};

/*
 * Normalises msg (a FRAME_EVENT) into *ev (zeroed first). An unknown event
 * name is not an error: ev->type is EVENT_UNKNOWN with seq and name set.
 * Returns -1 with *cause (caller frees) naming the event, its seq and the
 * key when a known event lacks a key, a key has the wrong type, a string
 * is not valid UTF-8, an index or channel is out of range, or the status
 * object does not normalise ("event 12 (stepFinished): key \"step\":
 * expected an integer >= 0, got str"). ev needs event_free in both cases.
 */
int		 event_decode(const struct frame_msg *msg, struct bbm_event *ev,
		     char **cause) WUR;
void		 event_free(struct bbm_event *);

/* The protocol's name for a type ("buildStarted"); "unknown" for UNKNOWN. */
const char	*event_type_name(enum event_type);
/* The type for a name, EVENT_UNKNOWN if none. */
enum event_type	 event_type_from_name(const char *);

#endif /* BBM_EVENT_H */
