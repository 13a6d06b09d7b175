/*
 * frame.h: the frame codec of the wire protocol (protocol.h,
 * doc/protocol.md): an incremental, bounded decoder for the byte stream,
 * parsing of one frame's envelope, and encoders for every message type.
 */
#ifndef BBM_FRAME_H
#define BBM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "util.h"

enum frame_status {
	FRAME_NEED_MORE,	/* all input consumed, no complete frame yet */
	FRAME_OK,		/* one complete frame */
	FRAME_ERROR,		/* the stream is unusable from here on */
};

/*
 * Decoder state. It buffers at most one frame: the length prefix is
 * checked against max before any of the payload is buffered, so a peer
 * cannot make it hold more than max + PROTOCOL_HEADER_SIZE bytes. offset
 * counts the stream bytes consumed, for error messages.
 */
struct frame_decoder {
	size_t		 max;
	uint64_t	 offset;
	unsigned char	 header[4];
	size_t		 have_header;
	uint32_t	 need;		/* payload length of the current frame */
	struct buf	 payload;
	int		 failed;
};

/* max 0 means PROTOCOL_FRAME_MAX. */
void	 frame_decoder_init(struct frame_decoder *, size_t max);
void	 frame_decoder_free(struct frame_decoder *);

/*
 * Consumes input bytes up to the end of one frame: *used gets how many of
 * the len bytes were consumed (call again with the rest). FRAME_OK: *payload
 * and *plen give the complete payload, valid until the next call.
 * FRAME_ERROR: *cause (caller frees) says why and at which stream offset
 * ("frame at offset N: length 0", "... length N exceeds the maximum M");
 * every later call fails too.
 */
enum frame_status frame_feed(struct frame_decoder *, const void *data,
	     size_t len, size_t *used, const char **payload, size_t *plen,
	     char **cause) WUR;

enum frame_type {
	FRAME_HELLO,
	FRAME_EVENT,
	FRAME_WELCOME,
	FRAME_ACK,
	FRAME_ERROR_MSG,
};

/*
 * One parsed frame. root is the envelope map; every pointer into it (and
 * the strings below, which are NUL-terminated copies) stays valid until
 * frame_msg_free.
 */
struct frame_msg {
	enum frame_type		 type;
	msgpack_unpacked	 unpacked;
	const msgpack_object	*root;

	/* hello */
	int64_t			 version;
	char			*master;
	char			*basedir;	/* NULL if absent */
	char			*token;		/* NULL if absent */
	char			*client;	/* NULL if absent */
	/* event */
	uint64_t		 seq;
	double			 time;		/* NaN if absent */
	char			*event;		/* event name */
	/* welcome (last_seq), ack (seq), error (message, seq or 0) */
	uint64_t		 last_seq;
	char			*message;
};

/*
 * Parses one payload (from frame_feed) into *msg. Checks the envelope only:
 * a map with string keys, a known "type", and for each type its required
 * keys with the right msgpack types (hello: version int and master a
 * non-empty str; event: seq a positive int, event a non-empty str, time a
 * number if present; welcome: version, last_seq; ack: seq; error: message).
 * Strings must be valid UTF-8. Returns 0, or -1 with *cause (caller frees)
 * naming the key ("event frame: key \"seq\": expected a positive integer,
 * got str"); msg needs frame_msg_free in both cases.
 */
int	 frame_parse(const char *payload, size_t len, struct frame_msg *msg,
	     char **cause) WUR;
void	 frame_msg_free(struct frame_msg *);

/*
 * The value of key in a msgpack map, or NULL if map is not a map or has no
 * such str key.
 */
const msgpack_object *frame_map_get(const msgpack_object *map,
	     const char *key);

/* A msgpack object's type in words ("str", "int"), for "got X" in errors. */
const char *frame_type_word(const msgpack_object *);

/*
 * Encoders: each appends one whole frame (header and payload) to out, which
 * must have room under its cap (they die if not: frames we make are small).
 * token, basedir, client may be NULL (the key is left out).
 */
void	 frame_pack_hello(struct buf *out, const char *master,
	     const char *basedir, const char *token, const char *client);
void	 frame_pack_welcome(struct buf *out, uint64_t last_seq);
void	 frame_pack_ack(struct buf *out, uint64_t seq);
void	 frame_pack_error(struct buf *out, const char *message, uint64_t seq);

/*
 * Re-frames a msgpack object already encoded (sbuf holds one msgpack value)
 * by prepending its header. For tools that build events with msgpack-c.
 */
void	 frame_pack_raw(struct buf *out, const void *payload, size_t len);

#endif /* BBM_FRAME_H */
