/*
 * test-frame.c: the frame codec (frame.h). The decoder is fed streams
 * byte by byte, whole and in uneven pieces, and the bad lengths it must
 * refuse; frame_parse gets every message type with every key missing or
 * of the wrong type, broken msgpack and bad strings; the encoders go
 * through decoder and parser and must come back as they went in.
 *
 * Envelopes are written as JSON and packed by mp_json below, with a few
 * objects standing for what JSON lacks: {"$bin": s} and {"$str": s} are
 * bin and str holding the Latin-1 bytes of s (so "\u00ff" is byte 0xff),
 * and {"$uint": "digits"} a uint64.
 */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "protocol.h"
#include "tap.h"
#include "util.h"

/* The code points (< 256) of UTF-8 text s as bytes; returns the length. */
static size_t
latin1(const char *s, size_t len, char *out)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0xc2 && p[i] <= 0xc3 && i + 1 < len)
			out[o++] = (char)(((p[i] & 0x1f) << 6) |
			    (p[i + 1] & 0x3f)), i++;
		else
			out[o++] = (char)p[i];
	}
	return (o);
}

static void
mp_json(msgpack_packer *pk, json_t *j)
{
	json_t		*v;
	const char	*k, *s;
	char		*bytes;
	size_t		 i, n;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (json_object_size(j) == 1 &&
		    ((v = json_object_get(j, "$bin")) != NULL ||
		    (v = json_object_get(j, "$str")) != NULL)) {
			s = json_string_value(v);
			bytes = xmalloc(json_string_length(v) + 1);
			n = latin1(s, json_string_length(v), bytes);
			if (json_object_get(j, "$bin") != NULL)
				msgpack_pack_bin_with_body(pk, bytes, n);
			else
				msgpack_pack_str_with_body(pk, bytes, n);
			free(bytes);
			return;
		}
		if (json_object_size(j) == 1 &&
		    (v = json_object_get(j, "$uint")) != NULL) {
			msgpack_pack_uint64(pk, strtoull(json_string_value(v),
			    NULL, 10));
			return;
		}
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach(j, k, v) {
			msgpack_pack_str_with_body(pk, k, strlen(k));
			mp_json(pk, v);
		}
		return;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		for (i = 0; i < json_array_size(j); i++)
			mp_json(pk, json_array_get(j, i));
		return;
	case JSON_STRING:
		msgpack_pack_str_with_body(pk, json_string_value(j),
		    json_string_length(j));
		return;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		return;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		return;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		return;
	}
}

/* The msgpack of JSON text, in sb (caller destroys). */
static void
mp_text(msgpack_sbuffer *sb, const char *text)
{
	msgpack_packer	 pk;
	json_error_t	 err;
	json_t		*j;

	j = json_loads(text, JSON_DECODE_ANY|JSON_ALLOW_NUL, &err);
	if (j == NULL)
		fatalx("bad test JSON: %s: %s", text, err.text);
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	mp_json(&pk, j);
	json_decref(j);
}

/* frame_parse on the msgpack of text; returns its result. */
static int
parse_text(const char *text, struct frame_msg *msg, char **cause)
{
	msgpack_sbuffer	 sb;
	int		 r;

	mp_text(&sb, text);
	*cause = NULL;
	r = frame_parse(sb.data, sb.size, msg, cause);
	msgpack_sbuffer_destroy(&sb);
	return (r);
}

/* --- the decoder -------------------------------------------------------- */

/* Three frames of each encoder in one stream. */
static void
make_stream(struct buf *b)
{
	buf_init(b, 0);
	frame_pack_hello(b, "m1", "/srv/m1", "secret", "test");
	frame_pack_welcome(b, 41);
	frame_pack_ack(b, 42);
	frame_pack_error(b, "bad thing", 7);
	frame_pack_hello(b, "m2", NULL, NULL, NULL);
	frame_pack_error(b, "no seq", 0);
}

/*
 * Feeds stream to a decoder in pieces of the sizes step gives (0: random
 * from a fixed seed) and parses each frame; returns how many frames were
 * parsed and checks their types in order.
 */
static int
feed_pieces(const struct buf *stream, size_t step, const char *name)
{
	static const enum frame_type want[] = { FRAME_HELLO, FRAME_WELCOME,
	    FRAME_ACK, FRAME_ERROR_MSG, FRAME_HELLO, FRAME_ERROR_MSG };
	struct frame_decoder	 d;
	struct frame_msg	 msg;
	enum frame_status	 st;
	const char		*payload;
	char			*cause = NULL;
	size_t			 pos = 0, piece, used, plen;
	unsigned int		 seed = 12345;
	int			 nframes = 0, good = 1;

	frame_decoder_init(&d, 0);
	while (pos < stream->len) {
		if (step == 0) {
			seed = seed * 1103515245 + 12345;
			piece = 1 + (seed >> 16) % 23;
		} else
			piece = step;
		if (piece > stream->len - pos)
			piece = stream->len - pos;
		while (piece > 0) {
			st = frame_feed(&d, stream->data + pos, piece, &used,
			    &payload, &plen, &cause);
			pos += used;
			piece -= used;
			if (st == FRAME_ERROR) {
				tap_diag("%s", cause);
				free(cause);
				good = 0;
				goto done;
			}
			if (st == FRAME_NEED_MORE) {
				if (piece != 0)
					good = 0;
				break;
			}
			if (frame_parse(payload, plen, &msg, &cause) != 0) {
				tap_diag("%s", cause);
				free(cause);
				good = 0;
			} else if (nframes >= 6 || msg.type != want[nframes])
				good = 0;
			frame_msg_free(&msg);
			nframes++;
		}
	}
done:
	ok(good && nframes == 6 && d.offset == stream->len,
	    "decoder, %s: 6 frames, offset %zu", name, stream->len);
	frame_decoder_free(&d);
	return (nframes);
}

static void
test_decoder_feeding(void)
{
	struct buf		 stream;
	struct frame_decoder	 d;
	const char		*payload;
	char			*cause = NULL;
	size_t			 used, plen;
	enum frame_status	 st;

	make_stream(&stream);
	feed_pieces(&stream, 1, "byte at a time");
	feed_pieces(&stream, 2, "two bytes at a time");
	feed_pieces(&stream, 0, "random pieces");
	feed_pieces(&stream, stream.len, "all at once");

	/* A whole frame in one input is handed out in place. */
	frame_decoder_init(&d, 0);
	st = frame_feed(&d, stream.data, stream.len, &used, &payload, &plen,
	    &cause);
	ok(st == FRAME_OK && payload == stream.data + 4 && used == plen + 4,
	    "decoder: a whole frame is not copied");
	ok(d.payload.len == 0, "decoder: nothing was buffered");
	st = frame_feed(&d, stream.data + used, 3, &used, &payload, &plen,
	    &cause);
	ok(st == FRAME_NEED_MORE && used == 3, "decoder: 3 header bytes "
	    "need more");
	st = frame_feed(&d, stream.data, 0, &used, &payload, &plen, &cause);
	ok(st == FRAME_NEED_MORE && used == 0, "decoder: empty input");
	frame_decoder_free(&d);
	buf_free(&stream);
}

static void
test_decoder_errors(void)
{
	struct frame_decoder	 d;
	struct buf		 b;
	const char		*payload;
	char			*cause = NULL, *want;
	size_t			 used, plen;
	enum frame_status	 st;
	static const unsigned char zero[] = { 0, 0, 0, 0, 0x80 };
	static const unsigned char big[] = { 0, 0, 0, 101, 0x80 };
	static const unsigned char huge[] = { 1, 0, 0, 1 };
	static const unsigned char exact[] = { 0, 0, 0, 3, 1, 2, 3 };

	frame_decoder_init(&d, 0);
	st = frame_feed(&d, zero, sizeof zero, &used, &payload, &plen, &cause);
	ok(st == FRAME_ERROR, "decoder: length 0 is an error");
	is_str(cause, "frame at offset 0: length 0", "decoder: length 0 "
	    "message");
	free(cause);
	st = frame_feed(&d, exact, sizeof exact, &used, &payload, &plen,
	    &cause);
	ok(st == FRAME_ERROR && used == 0, "decoder: fails again after an "
	    "error");
	free(cause);
	frame_decoder_free(&d);

	/* Error offsets name the frame's first byte in the stream. */
	buf_init(&b, 0);
	frame_pack_ack(&b, 1);
	if (buf_add(&b, zero, 4) != 0)
		fatalx("buf_add");
	frame_decoder_init(&d, 0);
	st = frame_feed(&d, b.data, b.len, &used, &payload, &plen, &cause);
	ok(st == FRAME_OK, "decoder: the frame before the bad one");
	plen = used;
	st = frame_feed(&d, b.data + plen, b.len - plen, &used, &payload,
	    &plen, &cause);
	ok(st == FRAME_ERROR, "decoder: second frame of length 0");
	xasprintf(&want, "frame at offset %zu: length 0", b.len - 4);
	is_str(cause, want, "decoder: error names the stream offset");
	free(want);
	free(cause);
	frame_decoder_free(&d);
	buf_free(&b);

	/* Over the maximum: refused from the header alone. */
	frame_decoder_init(&d, 100);
	st = frame_feed(&d, big, 4, &used, &payload, &plen, &cause);
	ok(st == FRAME_ERROR && used == 4, "decoder: 101 > max 100 refused "
	    "after the header");
	is_str(cause, "frame at offset 0: length 101 exceeds the maximum 100",
	    "decoder: oversize message");
	ok(d.payload.cap == 0, "decoder: nothing buffered for an oversize "
	    "frame");
	free(cause);
	frame_decoder_free(&d);

	frame_decoder_init(&d, 0);
	is_int(d.max, PROTOCOL_FRAME_MAX, "decoder: max 0 means the default");
	st = frame_feed(&d, huge, 4, &used, &payload, &plen, &cause);
	ok(st == FRAME_ERROR && d.payload.cap == 0, "decoder: 16 MiB + 1 "
	    "refused by default");
	free(cause);
	frame_decoder_free(&d);

	/* Exactly the maximum, arriving in two pieces, is accepted. */
	frame_decoder_init(&d, 3);
	st = frame_feed(&d, exact, 5, &used, &payload, &plen, &cause);
	ok(st == FRAME_NEED_MORE && used == 5, "decoder: max-sized frame, "
	    "first piece");
	st = frame_feed(&d, exact + 5, 2, &used, &payload, &plen, &cause);
	ok(st == FRAME_OK && plen == 3 && memcmp(payload, exact + 4, 3) == 0,
	    "decoder: max-sized frame, buffered payload");
	is_int(d.offset, 7, "decoder: offset counts every byte");
	frame_decoder_free(&d);
}

/* --- frame_parse -------------------------------------------------------- */

static void
test_parse_valid(void)
{
	struct frame_msg	 m;
	char			*cause;

	ok(parse_text("{\"type\":\"hello\",\"version\":1,\"master\":\"m\","
	    "\"basedir\":\"/b\",\"token\":\"t\",\"client\":\"c\"}", &m,
	    &cause) == 0, "parse: full hello");
	ok(m.type == FRAME_HELLO && m.version == 1, "parse: hello type and "
	    "version");
	is_str(m.master, "m", "parse: hello master");
	is_str(m.basedir, "/b", "parse: hello basedir");
	is_str(m.token, "t", "parse: hello token");
	is_str(m.client, "c", "parse: hello client");
	ok(m.root != NULL && frame_map_get(m.root, "token") != NULL,
	    "parse: root is the envelope");
	frame_msg_free(&m);

	ok(parse_text("{\"type\":\"hello\",\"version\":7,\"master\":\"m\","
	    "\"token\":null}", &m, &cause) == 0 && m.version == 7 &&
	    m.basedir == NULL && m.token == NULL && m.client == NULL,
	    "parse: minimal hello, nil optional key");
	frame_msg_free(&m);

	ok(parse_text("{\"type\":\"event\",\"seq\":5,\"time\":1.5,"
	    "\"event\":\"logChunk\",\"extra\":[1,2]}", &m, &cause) == 0,
	    "parse: event");
	ok(m.type == FRAME_EVENT && m.seq == 5 && m.time == 1.5,
	    "parse: event seq and time");
	is_str(m.event, "logChunk", "parse: event name");
	frame_msg_free(&m);
	ok(parse_text("{\"event\":\"x\",\"type\":\"event\",\"seq\":{\"$uint\":"
	    "\"18446744073709551615\"}}", &m, &cause) == 0 &&
	    m.seq == UINT64_MAX && isnan(m.time), "parse: event without "
	    "time, largest seq");
	frame_msg_free(&m);
	ok(parse_text("{\"type\":\"event\",\"seq\":1,\"time\":1290000000,"
	    "\"event\":\"x\"}", &m, &cause) == 0 && m.time == 1290000000.0,
	    "parse: integer time");
	frame_msg_free(&m);

	ok(parse_text("{\"type\":\"welcome\",\"version\":1,\"last_seq\":0}",
	    &m, &cause) == 0 && m.type == FRAME_WELCOME && m.last_seq == 0 &&
	    m.version == 1, "parse: welcome");
	frame_msg_free(&m);
	ok(parse_text("{\"type\":\"ack\",\"seq\":9}", &m, &cause) == 0 &&
	    m.type == FRAME_ACK && m.seq == 9, "parse: ack");
	frame_msg_free(&m);
	ok(parse_text("{\"type\":\"error\",\"message\":\"boom\",\"seq\":3}",
	    &m, &cause) == 0 && m.type == FRAME_ERROR_MSG && m.seq == 3,
	    "parse: error with seq");
	is_str(m.message, "boom", "parse: error message");
	frame_msg_free(&m);
	ok(parse_text("{\"type\":\"error\",\"message\":\"\"}", &m, &cause) ==
	    0 && m.seq == 0, "parse: error without seq");
	frame_msg_free(&m);

	/* frame_map_get on what is not a map or lacks the key. */
	ok(parse_text("{\"type\":\"ack\",\"seq\":9}", &m, &cause) == 0,
	    "parse: ack again");
	ok(frame_map_get(m.root, "nope") == NULL, "map_get: missing key");
	ok(frame_map_get(frame_map_get(m.root, "seq"), "x") == NULL,
	    "map_get: not a map");
	ok(frame_map_get(NULL, "x") == NULL, "map_get: NULL");
	frame_msg_free(&m);
}

static const struct {
	const char	*json;
	const char	*cause;
} bad_envelopes[] = {
	/* not a map, bad keys, bad type */
	{ "[1,2]", "frame: expected a map, got array" },
	{ "7", "frame: expected a map, got int" },
	{ "{\"seq\":1}", "frame: key \"type\": missing" },
	{ "{\"type\":1}", "frame: key \"type\": expected a str, got int" },
	{ "{\"type\":\"hullo\"}", "frame: unknown type \"hullo\"" },
	/* hello */
	{ "{\"type\":\"hello\",\"master\":\"m\"}",
	  "hello frame: key \"version\": missing" },
	{ "{\"type\":\"hello\",\"version\":\"1\",\"master\":\"m\"}",
	  "hello frame: key \"version\": expected an integer, got str" },
	{ "{\"type\":\"hello\",\"version\":1}",
	  "hello frame: key \"master\": missing" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":\"\"}",
	  "hello frame: key \"master\": expected a non-empty str, got \"\"" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":{\"$bin\":\"m\"}}",
	  "hello frame: key \"master\": expected a non-empty str, got bin" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":{\"$str\":"
	  "\"\\u00ff\"}}",
	  "hello frame: key \"master\": not valid UTF-8" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":\"a\\u0000b\"}",
	  "hello frame: key \"master\": contains a NUL byte" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":\"m\",\"basedir\":1}",
	  "hello frame: key \"basedir\": expected a str, got int" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":\"m\",\"token\":[]}",
	  "hello frame: key \"token\": expected a str, got array" },
	{ "{\"type\":\"hello\",\"version\":1,\"master\":\"m\",\"client\":true}",
	  "hello frame: key \"client\": expected a str, got bool" },
	{ "{\"type\":\"hello\",\"version\":{\"$uint\":\"9223372036854775808\"},"
	  "\"master\":\"m\"}",
	  "hello frame: key \"version\": 9223372036854775808 is out of range" },
	/* event */
	{ "{\"type\":\"event\",\"event\":\"x\"}",
	  "event frame: key \"seq\": missing" },
	{ "{\"type\":\"event\",\"seq\":\"1\",\"event\":\"x\"}",
	  "event frame: key \"seq\": expected a positive integer, got str" },
	{ "{\"type\":\"event\",\"seq\":0,\"event\":\"x\"}",
	  "event frame: key \"seq\": expected a positive integer, got 0" },
	{ "{\"type\":\"event\",\"seq\":-3,\"event\":\"x\"}",
	  "event frame: key \"seq\": expected a positive integer, got a "
	  "negative int" },
	{ "{\"type\":\"event\",\"seq\":1.0,\"event\":\"x\"}",
	  "event frame: key \"seq\": expected a positive integer, got float" },
	{ "{\"type\":\"event\",\"seq\":1}",
	  "event frame: key \"event\": missing" },
	{ "{\"type\":\"event\",\"seq\":1,\"event\":\"\"}",
	  "event frame: key \"event\": expected a non-empty str, got \"\"" },
	{ "{\"type\":\"event\",\"seq\":1,\"event\":5}",
	  "event frame: key \"event\": expected a non-empty str, got int" },
	{ "{\"type\":\"event\",\"seq\":1,\"event\":{\"$str\":\"\\u00c3(\"}}",
	  "event frame: key \"event\": not valid UTF-8" },
	{ "{\"type\":\"event\",\"seq\":1,\"event\":\"x\",\"time\":\"now\"}",
	  "event frame: key \"time\": expected a number, got str" },
	/* welcome, ack, error */
	{ "{\"type\":\"welcome\",\"last_seq\":0}",
	  "welcome frame: key \"version\": missing" },
	{ "{\"type\":\"welcome\",\"version\":1}",
	  "welcome frame: key \"last_seq\": missing" },
	{ "{\"type\":\"welcome\",\"version\":1,\"last_seq\":-1}",
	  "welcome frame: key \"last_seq\": expected an integer >= 0, got a "
	  "negative int" },
	{ "{\"type\":\"welcome\",\"version\":1,\"last_seq\":null}",
	  "welcome frame: key \"last_seq\": expected an integer >= 0, got "
	  "nil" },
	{ "{\"type\":\"ack\"}", "ack frame: key \"seq\": missing" },
	{ "{\"type\":\"ack\",\"seq\":[1]}",
	  "ack frame: key \"seq\": expected an integer >= 0, got array" },
	{ "{\"type\":\"error\"}", "error frame: key \"message\": missing" },
	{ "{\"type\":\"error\",\"message\":{}}",
	  "error frame: key \"message\": expected a str, got map" },
	{ "{\"type\":\"error\",\"message\":\"m\",\"seq\":\"2\"}",
	  "error frame: key \"seq\": expected an integer >= 0, got str" },
};

/* Payloads that are not one sound msgpack object. */
static const struct {
	const char	*bytes;
	size_t		 len;
	const char	*cause;
} bad_msgpack[] = {
	{ "\x81\xa4type\xa3" "ack\x01", 11, "frame: 1 trailing bytes after "
	  "the object" },
	{ "\x81\xa4type\xa3" "ac", 9, "frame: msgpack offset 6: truncated "
	  "msgpack object" },
	{ "\xc1", 1, "frame: msgpack offset 0: byte 0xc1 is not a msgpack "
	  "type" },
	{ "\xdd\x7f\xff\xff\xff", 5, "frame: msgpack offset 0: array of "
	  "2147483647 elements in 0 remaining bytes" },
	{ "\xdf\x00\x00\x10\x00\xc0\xc0", 7, "frame: msgpack offset 0: map of "
	  "4096 elements in 2 remaining bytes" },
	{ "\xc6\xff\xff\xff\xff", 5, "frame: msgpack offset 0: truncated "
	  "msgpack object" },
	{ "\x81\xa1x\xc7\x04\x01\x91\xdc\x00\x05", 10, "frame: msgpack offset "
	  "7: array of 5 elements in 0 remaining bytes" },
	{ "\x81\xa1x\xc7\x02\x01\xc0\xc0", 8, "frame: msgpack offset 3: 1 "
	  "bytes after the object in ext type 1" },
	{ "\x81\xa1x\xd4\x02\xc1", 6, "frame: msgpack offset 5: byte 0xc1 is "
	  "not a msgpack type" },
	{ "\x82\xa4type\xa3" "ack\x01\x02", 12, "frame: key 1 is int, not "
	  "str" },
	{ "\x81\xa1\xff\x01", 4, "frame: key 0 is not valid UTF-8" },
};

static void
test_parse_errors(void)
{
	struct frame_msg	 m;
	char			*cause, deep[40];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof bad_envelopes / sizeof bad_envelopes[0]; i++) {
		r = parse_text(bad_envelopes[i].json, &m, &cause);
		ok(r == -1 && cause != NULL, "parse refuses %s",
		    bad_envelopes[i].json);
		if (bad_envelopes[i].cause != NULL)
			is_str(cause, bad_envelopes[i].cause, "parse message "
			    "for %s", bad_envelopes[i].json);
		else if (cause != NULL)
			ok(strncmp(cause, "frame: key ", 11) == 0,
			    "parse message names the key: %s", cause);
		free(cause);
		frame_msg_free(&m);
	}
	for (i = 0; i < sizeof bad_msgpack / sizeof bad_msgpack[0]; i++) {
		cause = NULL;
		r = frame_parse(bad_msgpack[i].bytes, bad_msgpack[i].len, &m,
		    &cause);
		ok(r == -1, "parse refuses bad msgpack %zu", i);
		is_str(cause, bad_msgpack[i].cause, "bad msgpack %zu message",
		    i);
		free(cause);
		frame_msg_free(&m);
	}

	/* msgpack-c nests 32 containers; the scan agrees. */
	memset(deep, 0x91, sizeof deep);
	deep[32] = 0;
	cause = NULL;
	r = frame_parse(deep, 33, &m, &cause);
	is_str(cause, "frame: expected a map, got array", "32 nested arrays "
	    "unpack");
	free(cause);
	frame_msg_free(&m);
	deep[32] = (char)0x91;
	deep[33] = 0;
	cause = NULL;
	r = frame_parse(deep, 34, &m, &cause);
	is_str(cause, "frame: msgpack offset 32: containers nested deeper "
	    "than 32", "33 nested arrays refused");
	free(cause);
	frame_msg_free(&m);
	deep[32] = (char)0x90;
	cause = NULL;
	r = frame_parse(deep, 33, &m, &cause);
	is_str(cause, "frame: msgpack offset 32: containers nested deeper "
	    "than 32", "an empty array at depth 33 is refused too");
	free(cause);
	frame_msg_free(&m);
	cause = NULL;
	ok(frame_parse("", 0, &m, &cause) == -1 && cause != NULL,
	    "parse refuses an empty payload");
	free(cause);
	frame_msg_free(&m);
}

/* --- encoders ----------------------------------------------------------- */

/* Decodes and parses the one frame in b. */
static int
roundtrip(const struct buf *b, struct frame_msg *m)
{
	struct frame_decoder	 d;
	const char		*payload;
	char			*cause = NULL;
	size_t			 used, plen;
	int			 r = -1;

	frame_decoder_init(&d, 0);
	if (frame_feed(&d, b->data, b->len, &used, &payload, &plen,
	    &cause) == FRAME_OK && used == b->len)
		r = frame_parse(payload, plen, m, &cause);
	if (cause != NULL) {
		tap_diag("%s", cause);
		free(cause);
	}
	frame_decoder_free(&d);
	return (r);
}

static void
test_encoders(void)
{
	struct frame_msg	 m;
	struct buf		 b;
	msgpack_sbuffer		 sb;

	buf_init(&b, 0);
	frame_pack_hello(&b, "master \xe2\x98\x83", "/srv/m", "tok", "cli/1");
	ok(roundtrip(&b, &m) == 0 && m.type == FRAME_HELLO &&
	    m.version == PROTOCOL_VERSION, "pack: hello round trip");
	is_str(m.master, "master \xe2\x98\x83", "pack: hello master");
	is_str(m.basedir, "/srv/m", "pack: hello basedir");
	is_str(m.token, "tok", "pack: hello token");
	is_str(m.client, "cli/1", "pack: hello client");
	frame_msg_free(&m);
	buf_reset(&b);
	frame_pack_hello(&b, "m", NULL, NULL, NULL);
	ok(roundtrip(&b, &m) == 0 && m.basedir == NULL && m.token == NULL &&
	    m.client == NULL && m.root->via.map.size == 3,
	    "pack: hello leaves NULL keys out");
	frame_msg_free(&m);

	buf_reset(&b);
	frame_pack_welcome(&b, UINT64_MAX);
	ok(roundtrip(&b, &m) == 0 && m.type == FRAME_WELCOME &&
	    m.last_seq == UINT64_MAX && m.version == PROTOCOL_VERSION,
	    "pack: welcome round trip");
	frame_msg_free(&m);
	buf_reset(&b);
	frame_pack_ack(&b, 123456789012ULL);
	ok(roundtrip(&b, &m) == 0 && m.type == FRAME_ACK &&
	    m.seq == 123456789012ULL, "pack: ack round trip");
	frame_msg_free(&m);
	buf_reset(&b);
	frame_pack_error(&b, "event 3: nope", 3);
	ok(roundtrip(&b, &m) == 0 && m.type == FRAME_ERROR_MSG && m.seq == 3,
	    "pack: error round trip");
	is_str(m.message, "event 3: nope", "pack: error message");
	frame_msg_free(&m);
	buf_reset(&b);
	frame_pack_error(&b, "x", 0);
	ok(roundtrip(&b, &m) == 0 && m.seq == 0 &&
	    frame_map_get(m.root, "seq") == NULL, "pack: error without seq");
	frame_msg_free(&m);

	buf_reset(&b);
	mp_text(&sb, "{\"type\":\"event\",\"seq\":77,\"event\":\"slavePaused\","
	    "\"slave\":\"s1\"}");
	frame_pack_raw(&b, sb.data, sb.size);
	ok(b.len == sb.size + 4 && (unsigned char)b.data[3] == sb.size,
	    "pack: raw prepends the big-endian length");
	msgpack_sbuffer_destroy(&sb);
	ok(roundtrip(&b, &m) == 0 && m.type == FRAME_EVENT && m.seq == 77,
	    "pack: raw event round trip");
	is_str(m.event, "slavePaused", "pack: raw event name");
	frame_msg_free(&m);
	buf_free(&b);
}

int
main(void)
{
	test_decoder_feeding();
	test_decoder_errors();
	test_parse_valid();
	test_parse_errors();
	test_encoders();
	return (tap_done());
}
