/*
 * push.h: HttpStatusPush ingest (spec sections 5b and 5d): the requests an
 * unmodified Buildbot 0.8 master POSTs to a status server, turned into the
 * events of event.h so that they go through the same normaliser as the
 * plugin's events and the importer's pickles.
 *
 * A request body is an application/x-www-form-urlencoded form whose field
 * "packets" holds a JSON array of packets {id, event, timestamp, started,
 * project, payload}; other fields (extra_post_params) are ignored. Each
 * payload value is the asDict() of a status object passed through the
 * pusher's FilterOut, which drops every dict entry equal to '', False,
 * None, [], {} or 0: a missing key reads as 0, false, empty or null.
 *
 * The status objects an asDict describes (BuildStatus, BuildStepStatus,
 * LogFile, BuilderStatus, Change) are rebuilt as the state the pickler
 * would have saved, encoded as protocol.h encodes live objects
 * (push-build.c), and normalised by legacy.h (push-event.c). A pushed
 * build therefore gives the rows an import of its pickle gives for
 * everything asDict carries.
 * What asDict does not carry is inferred or left unknown: a log's file
 * name is computed as the master computes it (spec 1.3), a log whose name
 * ends in ".html" is an HTMLLogFile, a step with result SKIPPED was
 * skipped, the build's own text is its asDict text without the steps'
 * text2, and empty strings become NULL.
 *
 * Parsing (push_parse) is pure and runs in any thread. What needs the
 * packets before it (a step packet names its build by builder and number,
 * not by start time; log file names are unique within a build) is kept in
 * a struct push_state by the single thread that applies the events.
 */
#ifndef BBM_PUSH_H
#define BBM_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "record.h"
#include "util.h"

/* Packets accepted in one request (the master sends at most 200). */
#define PUSH_MAX_PACKETS	100000
/* Length of a packet digest: 32 hex digits and a NUL. */
#define PUSH_DIGEST_LEN		33
/* Builds (and builders) a struct push_state remembers. */
#define PUSH_STATE_BUILDS	1024

/* One packet of a request, checked and normalised. */
struct push_packet {
	size_t		 index;		/* position in the request, from 0 */
	int64_t		 id;		/* the pusher's id (repeats: spec 7) */
	char		*project;	/* c['title']; may be "" */
	double		 time;		/* timestamp, epoch seconds (UTC) */
	/*
	 * Hex digest of the packet's canonical JSON text (sorted keys,
	 * compact): packets with equal text are one packet.
	 */
	char		 digest[PUSH_DIGEST_LEN];
	/*
	 * The event (seq 0). Step events carry the builder and number of
	 * their build (its properties buildername and buildnumber), started
	 * NaN and log file names unique within the step only: see
	 * push_state_resolve. builderAdded also sets basedir.
	 */
	struct bbm_event ev;
	char		*basedir;	/* builderAdded: asDict's basedir */
};

struct push_request {
	struct push_packet	*packets;
	size_t			 npackets;
};

/* --- push.c: the request body ------------------------------------------ */

/*
 * Finds field name in the urlencoded form body[0..len) ('&'-separated
 * name=value pairs, '+' for a space, %XX escapes) and decodes its value
 * into *value (caller frees; NUL-terminated, *vlen bytes). Returns 1 if
 * found, 0 if the form has no such field (*value NULL), -1 with *cause
 * naming the offset of a malformed escape, a field given twice, or a
 * field name that is not UTF-8.
 */
int	 push_form_field(const char *body, size_t len, const char *name,
	     char **value, size_t *vlen, char **cause) WUR;

/*
 * Parses a request body into *req (zeroed first; free with
 * push_request_free in every case). Returns 0, or -1 with *cause (caller
 * frees) naming what is wrong: the form, a missing "packets" field,
 * invalid JSON (with line and column), not an array, more than
 * PUSH_MAX_PACKETS packets, or a packet by index, event and key
 * ("packet 3 (stepFinished): key \"payload.step.times\": expected an
 * array, got string").
 */
int	 push_parse(const char *body, size_t len, struct push_request *req,
	     char **cause) WUR;
/* The same from the JSON text of the packets field. */
int	 push_parse_packets(const char *json, size_t len,
	     struct push_request *req, char **cause) WUR;
void	 push_request_free(struct push_request *);

/*
 * "YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]" (Python's str() of a datetime,
 * UTC unless an offset follows) as epoch seconds; NaN if s is not one.
 */
double	 push_parse_time(const char *s);

/* --- push-event.c: one packet into an event ---------------------------- */

/*
 * Normalises packet (a JSON object, already checked to have the envelope
 * keys) into p->ev and p->basedir. event is the packet's event name, index
 * its position (for messages). An event name this version does not know,
 * and start and shutdown, give EVENT_UNKNOWN. Returns 0, or -1 with *cause
 * naming the packet, its event and the key.
 */
int	 push_build_event(const void *packet, const char *event, size_t index,
	     struct push_packet *p, char **cause) WUR;

/*
 * The master's base name for a log file (spec 1.3): "N-log-STEP-LOG" with
 * every character outside [A-Za-z0-9_.-] (a multibyte UTF-8 character
 * counting as one) replaced by '_', then "_0", "_1", ... appended while it
 * equals one of the ntaken names in taken. Caller frees.
 */
char	*push_log_filename(int64_t number, const char *step, const char *log,
	     char *const *taken, size_t ntaken);

/* --- push.c: what the packets before an event said --------------------- */

struct push_state;

struct push_state *push_state_new(void);
void	 push_state_free(struct push_state *);

/*
 * Completes a step event of master_id from the packets applied before it:
 * its build's start time (ev->started), its index when the packet has no
 * step_number (0.8.1 and older, or a step 0) and its build's step names
 * are known, and its log file names made unique within the build.
 * Returns 1 if the build is known, 0 if not (ev->started stays NaN: the
 * caller may look it up and call push_state_started, then resolve again).
 * Other events are left alone (returns 1).
 */
int	 push_state_resolve(struct push_state *, int64_t master_id,
	     struct bbm_event *);
/* Remembers the start time of a build (from the database). */
void	 push_state_started(struct push_state *, int64_t master_id,
	     const char *builder, int64_t number, double started);
/*
 * Records what an applied event says: a build's start time, step names
 * and log file names (buildStarted, step events), a builder's basedir
 * (builderAdded: basedir). buildFinished forgets the build.
 */
void	 push_state_update(struct push_state *, int64_t master_id,
	     const struct bbm_event *, const char *basedir);
/* The basedir builderAdded gave for builder, or NULL. */
const char *push_state_basedir(struct push_state *, int64_t master_id,
	     const char *builder);
/* Forgets everything (after a failed commit the master resends). */
void	 push_state_clear(struct push_state *);

#endif /* BBM_PUSH_H */
