/*
 * protocol.h: the wire protocol between the master-side plugin (plugin/)
 * and bbmirrord. doc/protocol.md is its description for humans; this
 * header and that document change together.
 *
 * BUMP PROTOCOL_VERSION ON ANY INCOMPATIBLE CHANGE to the framing, the
 * envelope keys, the object encoding or the meaning of an event's keys.
 * Adding a new event name or a new optional key is compatible (a listener
 * skips event names it does not know).
 *
 * Framing: a frame is a 4-byte big-endian unsigned payload length followed
 * by that many bytes holding exactly one msgpack object, a map with string
 * keys (the envelope). Lengths of 0 or above the receiver's maximum
 * (PROTOCOL_FRAME_MAX by default) are errors. A recording (a spool file of
 * the plugin, input of bbmirror-replay) is a plain concatenation of frames
 * whose first frame is a hello.
 *
 * Python objects travel as msgpack values: None nil, bool, int (beyond
 * int64: ext PROTOCOL_EXT_LONG holding its decimal digits), float (float64),
 * Python 2 str (bytes) as bin, unicode as str, list/tuple/set as array, dict
 * as map, an instance as ext PROTOCOL_EXT_INSTANCE whose data is a msgpack
 * array [module (str), class name (str), state], where state is what the
 * pickler would save (__getstate__() or __dict__), and a class or function
 * as ext PROTOCOL_EXT_GLOBAL holding [module, name]. Anything else is sent
 * as the str of its repr(); sets are sorted; a BuilderStatus is sent as
 * its attributes minus what its __getstate__ removes (that method saves
 * running builds as a side effect). A value that refers back to one of its
 * containers is sent as nil. Converted on arrival into the pickle tree of
 * pickle.h, these go through the same normaliser (legacy.h) as the build
 * pickles, so a build seen live and the same build imported from its
 * pickle give the same rows.
 */
#ifndef BBM_PROTOCOL_H
#define BBM_PROTOCOL_H

#define PROTOCOL_VERSION	1

/* Frame sizes. */
#define PROTOCOL_HEADER_SIZE	4
#define PROTOCOL_FRAME_MAX	(16U << 20)	/* default maximum payload */
/* The plugin splits log text into logChunk events of at most this. */
#define PROTOCOL_CHUNK_SPLIT	1000000

/* msgpack ext type codes. */
#define PROTOCOL_EXT_INSTANCE	1
#define PROTOCOL_EXT_GLOBAL	2
#define PROTOCOL_EXT_LONG	3

/*
 * Envelope keys and message types. Client (plugin, replay) to listener:
 *   {"type": "hello", "version": 1, "master": str, "basedir": str,
 *    "token": str (required on TCP, else optional), "client": str}
 *   {"type": "event", "seq": uint >= 1, "time": float (epoch seconds when
 *    the master made the call), "event": name, ...keys of that event}
 * Listener to client:
 *   {"type": "welcome", "version": 1, "last_seq": uint}
 *   {"type": "ack", "seq": uint}         every event <= seq is committed
 *   {"type": "error", "message": str, "seq": uint (the offending event,
 *    when there is one)}              the listener then closes
 */
#define PROTOCOL_KEY_TYPE	"type"
#define PROTOCOL_KEY_VERSION	"version"
#define PROTOCOL_KEY_MASTER	"master"
#define PROTOCOL_KEY_BASEDIR	"basedir"
#define PROTOCOL_KEY_TOKEN	"token"
#define PROTOCOL_KEY_CLIENT	"client"
#define PROTOCOL_KEY_SEQ	"seq"
#define PROTOCOL_KEY_TIME	"time"
#define PROTOCOL_KEY_EVENT	"event"
#define PROTOCOL_KEY_LAST_SEQ	"last_seq"
#define PROTOCOL_KEY_MESSAGE	"message"

#define PROTOCOL_TYPE_HELLO	"hello"
#define PROTOCOL_TYPE_EVENT	"event"
#define PROTOCOL_TYPE_WELCOME	"welcome"
#define PROTOCOL_TYPE_ACK	"ack"
#define PROTOCOL_TYPE_ERROR	"error"

/*
 * Event keys (besides the envelope). Build identity on every build, step
 * and log event: "builder" (str), "number" (int), "started" (float, the
 * BuildStatus' started; nil if unknown). Step events add "step" (int, the
 * step's index in the build's steps); log events add "log" (int, the log's
 * index in its step's logs).
 *
 *   builderAdded        builder, status (BuilderStatus instance)
 *   builderChangedState builder, state ("offline", "idle", "building")
 *   builderRemoved      builder
 *   buildStarted        builder, number, started, build (BuildStatus)
 *   buildFinished       builder, number, started, build, results (int)
 *   buildETAUpdate      builder, number, started, eta (float)
 *   stepStarted         ..., step, status (BuildStepStatus)
 *   stepFinished        ..., step, status, results ([code, text2])
 *   stepTextChanged     ..., step, status, text (list)
 *   stepText2Changed    ..., step, status, text2 (list)
 *   stepETAUpdate       ..., step, eta (float or nil)
 *   logStarted          ..., step, log, status (LogFile or HTMLLogFile)
 *   logChunk            ..., step, log, channel (int 0-9), text (bin),
 *                       more (bool, optional: the text continues in the
 *                       next logChunk, the same master call split at
 *                       PROTOCOL_CHUNK_SPLIT)
 *   logFinished         ..., step, log, status (an HTMLLogFile without
 *                       html in its state, 0.8.9+, has its file's chunks
 *                       sent as logChunk on channel 1 just before)
 *   requestSubmitted    request: map {brid (int or nil), builder (str),
 *                       submitted_at (float or nil), bsid (int or nil)}
 *   requestCancelled    builder, request (same map)
 *   buildsetSubmitted   buildset: map {bsid, reason, external_idstring,
 *                       submitted_at, complete, complete_at, results,
 *                       properties (map name -> [value, source])}
 *   changeAdded         change (Change instance)
 *   slaveConnected, slaveDisconnected, slavePaused, slaveUnpaused
 *                       slave (str)
 */
#define PROTOCOL_KEY_BUILDER	"builder"
#define PROTOCOL_KEY_NUMBER	"number"
#define PROTOCOL_KEY_STARTED	"started"
#define PROTOCOL_KEY_STEP	"step"
#define PROTOCOL_KEY_LOG	"log"
#define PROTOCOL_KEY_STATUS	"status"
#define PROTOCOL_KEY_BUILD	"build"
#define PROTOCOL_KEY_RESULTS	"results"
#define PROTOCOL_KEY_STATE	"state"
#define PROTOCOL_KEY_ETA	"eta"
#define PROTOCOL_KEY_TEXT	"text"
#define PROTOCOL_KEY_TEXT2	"text2"
#define PROTOCOL_KEY_CHANNEL	"channel"
#define PROTOCOL_KEY_MORE	"more"
#define PROTOCOL_KEY_REQUEST	"request"
#define PROTOCOL_KEY_BUILDSET	"buildset"
#define PROTOCOL_KEY_CHANGE	"change"
#define PROTOCOL_KEY_SLAVE	"slave"

#endif /* BBM_PROTOCOL_H */
