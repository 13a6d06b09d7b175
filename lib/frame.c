/*
 * frame.c: the frame codec of the wire protocol (protocol.h,
 * doc/protocol.md).
 *
 * The decoder is a small state machine over the byte stream: four header
 * bytes, then the payload. The length is checked against the maximum
 * before a single payload byte is buffered, and a payload that arrives
 * whole in one read is handed out in place, without a copy.
 *
 * frame_parse unpacks one payload with msgpack-c. msgpack-c allocates the
 * element array of an array or map as soon as it reads its header, so a
 * five-byte payload declaring four billion elements would cost a 96 GB
 * allocation: every payload (and every instance or class ext inside it,
 * which pickle_from_msgpack unpacks later) is first walked by frame_scan,
 * which refuses counts the remaining bytes cannot hold and nesting msgpack-c
 * would refuse anyway. Only then is it unpacked and the envelope checked.
 */
#include "config.h"
#include "frame.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* Containers msgpack-c nests at most in one object. */
#define FRAME_MSGPACK_DEPTH	32
/* Instance and class exts nested inside each other at most. */
#define FRAME_EXT_DEPTH		1000
/* Room for a frame's objects in its zone's first block, besides its bytes. */
#define FRAME_ZONE_EXTRA	2048
/* A payload buffer larger than this is released between frames. */
#define FRAME_KEEP_BUFFER	((size_t)1 << 20)

void
frame_decoder_init(struct frame_decoder *d, size_t max)
{
	memset(d, 0, sizeof *d);
	d->max = (max == 0) ? PROTOCOL_FRAME_MAX : max;
	buf_init(&d->payload, d->max);
}

void
frame_decoder_free(struct frame_decoder *d)
{
	buf_free(&d->payload);
	memset(d, 0, sizeof *d);
}

/*
 * Marks the stream failed at the frame starting at start and returns
 * FRAME_ERROR with *cause set.
 */
static enum frame_status PRINTFLIKE(4, 5)
frame_fail(struct frame_decoder *d, uint64_t start, char **cause,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	xasprintf(cause, "frame at offset %" PRIu64 ": %s", start, reason);
	free(reason);
	d->failed = 1;
	return (FRAME_ERROR);
}

enum frame_status
frame_feed(struct frame_decoder *d, const void *data, size_t len,
    size_t *used, const char **payload, size_t *plen, char **cause)
{
	const unsigned char	*p = data;
	size_t			 n = 0, take;
	uint64_t		 start;

	*used = 0;
	if (d->failed)
		return (frame_fail(d, d->offset, cause, "the stream has "
		    "already failed"));

	if (d->have_header < PROTOCOL_HEADER_SIZE) {
		if (d->have_header == 0) {
			/* The previous payload was handed out: drop it. */
			if (d->payload.cap > FRAME_KEEP_BUFFER)
				buf_free(&d->payload);
			buf_reset(&d->payload);
		}
		take = PROTOCOL_HEADER_SIZE - d->have_header;
		if (take > len)
			take = len;
		if (take != 0)
			memcpy(d->header + d->have_header, p, take);
		d->have_header += take;
		d->offset += take;
		n = take;
		*used = n;
		if (d->have_header < PROTOCOL_HEADER_SIZE)
			return (FRAME_NEED_MORE);
		d->need = (uint32_t)d->header[0] << 24 |
		    (uint32_t)d->header[1] << 16 |
		    (uint32_t)d->header[2] << 8 | (uint32_t)d->header[3];
		start = d->offset - PROTOCOL_HEADER_SIZE;
		if (d->need == 0)
			return (frame_fail(d, start, cause, "length 0"));
		if (d->need > d->max)
			return (frame_fail(d, start, cause, "length %" PRIu32
			    " exceeds the maximum %zu", d->need, d->max));
	}

	/* The whole payload is in this input: no copy. */
	if (d->payload.len == 0 && len - n >= d->need) {
		*payload = (const char *)p + n;
		*plen = d->need;
		d->offset += d->need;
		*used = n + d->need;
		d->have_header = 0;
		return (FRAME_OK);
	}

	take = d->need - d->payload.len;
	if (take > len - n)
		take = len - n;
	if (buf_add(&d->payload, p + n, take) != 0) {
		start = d->offset - d->payload.len - PROTOCOL_HEADER_SIZE;
		return (frame_fail(d, start, cause, "payload does not fit "
		    "the maximum %zu", d->max));
	}
	d->offset += take;
	*used = n + take;
	if (d->payload.len < d->need)
		return (FRAME_NEED_MORE);
	*payload = d->payload.data;
	*plen = d->need;
	d->have_header = 0;
	return (FRAME_OK);
}

/* --- the structural pre-check of msgpack bytes -------------------------- */

static uint64_t
frame_be(const unsigned char *p, size_t n)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

/*
 * Walks the one msgpack object at p[0..len) without allocating: every
 * length must fit the remaining bytes, an array or map may not declare
 * more elements than bytes remain (each takes at least one), containers
 * nest at most FRAME_MSGPACK_DEPTH deep, and the data of an instance or
 * class ext must itself be one such object (extdepth bounds that
 * recursion). *end gets the offset after the object. Returns 0, or -1 with
 * *cause (caller frees) naming the offset plus base.
 */
static int
frame_scan(const unsigned char *p, size_t len, size_t base, int extdepth,
    size_t *end, char **cause)
{
	uint64_t	 left[FRAME_MSGPACK_DEPTH + 1], n, items, size;
	size_t		 pos = 0, at = 0, lb, inner;
	int		 depth = 0, b, ismap, hasext, ext, container;

	left[0] = 1;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if ((at = pos) >= len)
			goto truncated;
		b = p[pos++];
		items = size = 0;
		lb = 0;
		ismap = hasext = 0;
		container = (b >= 0x80 && b <= 0x9f) ||
		    (b >= 0xdc && b <= 0xdf);
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 ||
		    b == 0xc3)
			;				/* int, nil, bool */
		else if (b <= 0x8f) {
			items = 2 * (uint64_t)(b & 0x0f);
			ismap = 1;
		} else if (b <= 0x9f)
			items = b & 0x0f;
		else if (b <= 0xbf)
			size = b & 0x1f;
		else if (b >= 0xc4 && b <= 0xc6)	/* bin */
			lb = (size_t)1 << (b - 0xc4);
		else if (b >= 0xc7 && b <= 0xc9) {	/* ext */
			lb = (size_t)1 << (b - 0xc7);
			hasext = 1;
		} else if (b == 0xca || b == 0xcb)	/* float */
			size = (b == 0xca) ? 4 : 8;
		else if (b >= 0xcc && b <= 0xd3)	/* uint, int */
			size = (uint64_t)1 << ((b - 0xcc) & 3);
		else if (b >= 0xd4 && b <= 0xd8) {	/* fixext */
			size = (uint64_t)1 << (b - 0xd4);
			hasext = 1;
		} else if (b >= 0xd9 && b <= 0xdb)	/* str */
			lb = (size_t)1 << (b - 0xd9);
		else if (b >= 0xdc && b <= 0xdf) {	/* array, map */
			lb = (b & 1) ? 4 : 2;
			ismap = b >= 0xde;
		} else {
			xasprintf(cause, "offset %zu: byte 0xc1 is not a "
			    "msgpack type", base + at);
			return (-1);
		}
		if (lb != 0) {
			if (len - pos < lb)
				goto truncated;
			n = frame_be(p + pos, lb);
			pos += lb;
			if (b >= 0xdc)
				items = ismap ? 2 * n : n;
			else
				size = n;
		}
		ext = -1;
		if (hasext) {
			if (pos >= len)
				goto truncated;
			ext = (signed char)p[pos++];
		}
		if (size > len - pos)
			goto truncated;
		if (ext == PROTOCOL_EXT_INSTANCE ||
		    ext == PROTOCOL_EXT_GLOBAL) {
			if (extdepth >= FRAME_EXT_DEPTH) {
				xasprintf(cause, "offset %zu: exts nested "
				    "deeper than %d", base + at,
				    FRAME_EXT_DEPTH);
				return (-1);
			}
			if (frame_scan(p + pos, (size_t)size, base + pos,
			    extdepth + 1, &inner, cause) != 0)
				return (-1);
			if (inner != size) {
				xasprintf(cause, "offset %zu: %zu bytes after "
				    "the object in ext type %d", base + at,
				    (size_t)size - inner, ext);
				return (-1);
			}
		}
		pos += (size_t)size;
		if (!container)
			continue;
		/* msgpack-c counts empty containers too. */
		if (depth == FRAME_MSGPACK_DEPTH) {
			xasprintf(cause, "offset %zu: containers nested "
			    "deeper than %d", base + at, FRAME_MSGPACK_DEPTH);
			return (-1);
		}
		if (items == 0)
			continue;
		if (items > len - pos) {
			xasprintf(cause, "offset %zu: %s of %" PRIu64 " "
			    "elements in %zu remaining bytes", base + at,
			    ismap ? "map" : "array", ismap ? items / 2 : items,
			    len - pos);
			return (-1);
		}
		left[++depth] = items;
	}
	*end = pos;
	return (0);

truncated:
	xasprintf(cause, "offset %zu: truncated msgpack object", base + at);
	return (-1);
}

/* --- envelopes ---------------------------------------------------------- */

const msgpack_object *
frame_map_get(const msgpack_object *map, const char *key)
{
	const msgpack_object_kv	*kv;
	size_t			 klen, i;

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP || key == NULL)
		return (NULL);
	klen = strlen(key);
	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == klen &&
		    memcmp(kv->key.via.str.ptr, key, klen) == 0)
			return (&kv->val);
	}
	return (NULL);
}

const char *
frame_type_word(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return ("nil");
	case MSGPACK_OBJECT_BOOLEAN:
		return ("bool");
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return ("int");
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return ("float");
	case MSGPACK_OBJECT_STR:
		return ("str");
	case MSGPACK_OBJECT_BIN:
		return ("bin");
	case MSGPACK_OBJECT_ARRAY:
		return ("array");
	case MSGPACK_OBJECT_MAP:
		return ("map");
	case MSGPACK_OBJECT_EXT:
		return ("ext");
	}
	return ("?");
}

/* Checking one envelope: its map and the word for messages ("event"). */
struct frame_check {
	const msgpack_object	*root;
	const char		*what;
	char			**cause;
};

static int PRINTFLIKE(3, 4)
frame_key_fail(struct frame_check *c, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*reason;

	va_start(ap, fmt);
	xvasprintf(&reason, fmt, ap);
	va_end(ap);
	xasprintf(c->cause, "%s frame: key \"%s\": %s", c->what, key, reason);
	free(reason);
	return (-1);
}

/*
 * A str value as a NUL-terminated copy. Missing (or nil) gives *out NULL,
 * an error only when required; nonempty refuses "".
 */
static int
frame_key_str(struct frame_check *c, const char *key, int required,
    int nonempty, char **out)
{
	const msgpack_object	*o;
	const char		*p;
	size_t			 n;

	*out = NULL;
	o = frame_map_get(c->root, key);
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL) {
		if (required)
			return (frame_key_fail(c, key, "missing"));
		return (0);
	}
	if (o->type != MSGPACK_OBJECT_STR)
		return (frame_key_fail(c, key, "expected %s, got %s",
		    nonempty ? "a non-empty str" : "a str",
		    frame_type_word(o)));
	p = o->via.str.ptr;
	n = o->via.str.size;
	if (nonempty && n == 0)
		return (frame_key_fail(c, key, "expected a non-empty str, "
		    "got \"\""));
	if (!utf8_valid(p, n))
		return (frame_key_fail(c, key, "not valid UTF-8"));
	if (memchr(p, '\0', n) != NULL)
		return (frame_key_fail(c, key, "contains a NUL byte"));
	*out = xstrndup(p, n);
	return (0);
}

/*
 * An integer value. min 1 asks for a positive one, 0 for one >= 0 (both
 * as uint64_t in *u); min -1 for any int64_t (in *i).
 */
static int
frame_key_int(struct frame_check *c, const char *key, int required, int min,
    uint64_t *u, int64_t *i)
{
	const msgpack_object	*o;
	const char		*want;

	want = (min == 1) ? "a positive integer" : (min == 0) ?
	    "an integer >= 0" : "an integer";
	o = frame_map_get(c->root, key);
	if (o == NULL || (!required && o->type == MSGPACK_OBJECT_NIL)) {
		if (required)
			return (frame_key_fail(c, key, "missing"));
		return (0);
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && min < 0) {
		*i = o->via.i64;
		return (0);
	}
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (frame_key_fail(c, key, "expected %s, got %s", want,
		    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ?
		    "a negative int" : frame_type_word(o)));
	if (min < 0) {
		if (o->via.u64 > INT64_MAX)
			return (frame_key_fail(c, key, "%" PRIu64 " is out "
			    "of range", o->via.u64));
		*i = (int64_t)o->via.u64;
		return (0);
	}
	if (min == 1 && o->via.u64 == 0)
		return (frame_key_fail(c, key, "expected %s, got 0", want));
	*u = o->via.u64;
	return (0);
}

/* The checks of each message type on its keys. */
static int
frame_parse_type(struct frame_msg *msg, struct frame_check *c)
{
	const msgpack_object	*o;

	switch (msg->type) {
	case FRAME_HELLO:
		if (frame_key_int(c, PROTOCOL_KEY_VERSION, 1, -1, NULL,
		    &msg->version) != 0 ||
		    frame_key_str(c, PROTOCOL_KEY_MASTER, 1, 1,
		    &msg->master) != 0 ||
		    frame_key_str(c, PROTOCOL_KEY_BASEDIR, 0, 0,
		    &msg->basedir) != 0 ||
		    frame_key_str(c, PROTOCOL_KEY_TOKEN, 0, 0,
		    &msg->token) != 0 ||
		    frame_key_str(c, PROTOCOL_KEY_CLIENT, 0, 0,
		    &msg->client) != 0)
			return (-1);
		return (0);
	case FRAME_EVENT:
		if (frame_key_int(c, PROTOCOL_KEY_SEQ, 1, 1, &msg->seq,
		    NULL) != 0 ||
		    frame_key_str(c, PROTOCOL_KEY_EVENT, 1, 1,
		    &msg->event) != 0)
			return (-1);
		o = frame_map_get(c->root, PROTOCOL_KEY_TIME);
		if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
			return (0);
		if (o->type == MSGPACK_OBJECT_FLOAT32 ||
		    o->type == MSGPACK_OBJECT_FLOAT64)
			msg->time = o->via.f64;
		else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			msg->time = (double)o->via.u64;
		else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			msg->time = (double)o->via.i64;
		else
			return (frame_key_fail(c, PROTOCOL_KEY_TIME,
			    "expected a number, got %s", frame_type_word(o)));
		return (0);
	case FRAME_WELCOME:
		if (frame_key_int(c, PROTOCOL_KEY_VERSION, 1, -1, NULL,
		    &msg->version) != 0 ||
		    frame_key_int(c, PROTOCOL_KEY_LAST_SEQ, 1, 0,
		    &msg->last_seq, NULL) != 0)
			return (-1);
		return (0);
	case FRAME_ACK:
		return (frame_key_int(c, PROTOCOL_KEY_SEQ, 1, 0, &msg->seq,
		    NULL));
	case FRAME_ERROR_MSG:
		if (frame_key_str(c, PROTOCOL_KEY_MESSAGE, 1, 0,
		    &msg->message) != 0 ||
		    frame_key_int(c, PROTOCOL_KEY_SEQ, 0, 0, &msg->seq,
		    NULL) != 0)
			return (-1);
		return (0);
	}
	return (-1);
}

static const struct {
	const char		*name;
	enum frame_type		 type;
} frame_types[] = {
	{ PROTOCOL_TYPE_HELLO, FRAME_HELLO },
	{ PROTOCOL_TYPE_EVENT, FRAME_EVENT },
	{ PROTOCOL_TYPE_WELCOME, FRAME_WELCOME },
	{ PROTOCOL_TYPE_ACK, FRAME_ACK },
	{ PROTOCOL_TYPE_ERROR, FRAME_ERROR_MSG },
};

int
frame_parse(const char *payload, size_t len, struct frame_msg *msg,
    char **cause)
{
	struct frame_check	 c;
	const msgpack_object	*root, *o;
	msgpack_unpack_return	 r;
	msgpack_zone		*zone;
	char			*copy, *why;
	size_t			 i, end, off = 0;

	memset(msg, 0, sizeof *msg);
	msgpack_unpacked_init(&msg->unpacked);
	msg->time = NAN;

	if (frame_scan((const unsigned char *)payload, len, 0, 0, &end,
	    &why) != 0) {
		xasprintf(cause, "frame: msgpack %s", why);
		free(why);
		return (-1);
	}
	if (end != len) {
		xasprintf(cause, "frame: %zu trailing bytes after the object",
		    len - end);
		return (-1);
	}

	/*
	 * The objects point into the bytes: the zone owns a copy, in its
	 * first block with room for the envelope's objects (one allocation
	 * where msgpack_unpack_next would make three and a copy a fourth).
	 */
	if ((zone = msgpack_zone_new(len + FRAME_ZONE_EXTRA)) == NULL ||
	    (copy = msgpack_zone_malloc_no_align(zone, len)) == NULL)
		fatalx("msgpack_zone_new failed");
	memcpy(copy, payload, len);
	msg->unpacked.zone = zone;
	r = msgpack_unpack(copy, len, &off, zone, &msg->unpacked.data);
	if (r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES) {
		xasprintf(cause, "frame: msgpack-c refused the object (%d)",
		    (int)r);
		return (-1);
	}
	root = msg->root = &msg->unpacked.data;

	if (root->type != MSGPACK_OBJECT_MAP) {
		xasprintf(cause, "frame: expected a map, got %s",
		    frame_type_word(root));
		return (-1);
	}
	for (i = 0; i < root->via.map.size; i++) {
		o = &root->via.map.ptr[i].key;
		if (o->type != MSGPACK_OBJECT_STR) {
			xasprintf(cause, "frame: key %zu is %s, not str", i,
			    frame_type_word(o));
			return (-1);
		}
		if (!utf8_valid(o->via.str.ptr, o->via.str.size)) {
			xasprintf(cause, "frame: key %zu is not valid UTF-8",
			    i);
			return (-1);
		}
	}

	o = frame_map_get(root, PROTOCOL_KEY_TYPE);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
		xasprintf(cause, "frame: key \"type\": %s%s",
		    o == NULL ? "missing" : "expected a str, got ",
		    o == NULL ? "" : frame_type_word(o));
		return (-1);
	}
	for (i = 0; i < sizeof frame_types / sizeof frame_types[0]; i++) {
		if (strlen(frame_types[i].name) == o->via.str.size &&
		    memcmp(frame_types[i].name, o->via.str.ptr,
		    o->via.str.size) == 0)
			break;
	}
	if (i == sizeof frame_types / sizeof frame_types[0]) {
		xasprintf(cause, "frame: unknown type \"%.*s\"",
		    o->via.str.size > 64 ? 64 : (int)o->via.str.size,
		    o->via.str.ptr);
		return (-1);
	}
	msg->type = frame_types[i].type;
	c.root = root;
	c.what = frame_types[i].name;
	c.cause = cause;
	return (frame_parse_type(msg, &c));
}

void
frame_msg_free(struct frame_msg *msg)
{
	msgpack_unpacked_destroy(&msg->unpacked);
	free(msg->master);
	free(msg->basedir);
	free(msg->token);
	free(msg->client);
	free(msg->event);
	free(msg->message);
	memset(msg, 0, sizeof *msg);
}

/* --- encoders ----------------------------------------------------------- */

void
frame_pack_raw(struct buf *out, const void *payload, size_t len)
{
	unsigned char	 hdr[PROTOCOL_HEADER_SIZE];

	if (len == 0 || len > UINT32_MAX)
		fatalx("frame_pack_raw: payload of %zu bytes", len);
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (buf_add(out, hdr, sizeof hdr) != 0 ||
	    buf_add(out, payload, len) != 0)
		fatalx("frame_pack_raw: %zu bytes do not fit the buffer", len);
}

static void
frame_pack_str(msgpack_packer *pk, const char *s)
{
	if (msgpack_pack_str_with_body(pk, s, strlen(s)) != 0)
		fatalx("msgpack_pack_str failed");
}

/* Packs "key": str (if s is not NULL). */
static void
frame_pack_kv_str(msgpack_packer *pk, const char *key, const char *s)
{
	if (s == NULL)
		return;
	frame_pack_str(pk, key);
	frame_pack_str(pk, s);
}

static void
frame_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t u)
{
	frame_pack_str(pk, key);
	if (msgpack_pack_uint64(pk, u) != 0)
		fatalx("msgpack_pack_uint64 failed");
}

/* Starts an envelope map of n keys, "type" first. */
static void
frame_pack_start(msgpack_sbuffer *sb, msgpack_packer *pk, const char *type,
    size_t n)
{
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
	if (msgpack_pack_map(pk, n) != 0)
		fatalx("msgpack_pack_map failed");
	frame_pack_kv_str(pk, PROTOCOL_KEY_TYPE, type);
}

static void
frame_pack_end(struct buf *out, msgpack_sbuffer *sb)
{
	frame_pack_raw(out, sb->data, sb->size);
	msgpack_sbuffer_destroy(sb);
}

void
frame_pack_hello(struct buf *out, const char *master, const char *basedir,
    const char *token, const char *client)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	frame_pack_start(&sb, &pk, PROTOCOL_TYPE_HELLO, 3 + (basedir != NULL) +
	    (token != NULL) + (client != NULL));
	frame_pack_kv_uint(&pk, PROTOCOL_KEY_VERSION, PROTOCOL_VERSION);
	frame_pack_kv_str(&pk, PROTOCOL_KEY_MASTER, master != NULL ? master :
	    "");
	frame_pack_kv_str(&pk, PROTOCOL_KEY_BASEDIR, basedir);
	frame_pack_kv_str(&pk, PROTOCOL_KEY_TOKEN, token);
	frame_pack_kv_str(&pk, PROTOCOL_KEY_CLIENT, client);
	frame_pack_end(out, &sb);
}

void
frame_pack_welcome(struct buf *out, uint64_t last_seq)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	frame_pack_start(&sb, &pk, PROTOCOL_TYPE_WELCOME, 3);
	frame_pack_kv_uint(&pk, PROTOCOL_KEY_VERSION, PROTOCOL_VERSION);
	frame_pack_kv_uint(&pk, PROTOCOL_KEY_LAST_SEQ, last_seq);
	frame_pack_end(out, &sb);
}

void
frame_pack_ack(struct buf *out, uint64_t seq)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	frame_pack_start(&sb, &pk, PROTOCOL_TYPE_ACK, 2);
	frame_pack_kv_uint(&pk, PROTOCOL_KEY_SEQ, seq);
	frame_pack_end(out, &sb);
}

void
frame_pack_error(struct buf *out, const char *message, uint64_t seq)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	frame_pack_start(&sb, &pk, PROTOCOL_TYPE_ERROR, seq != 0 ? 3 : 2);
	frame_pack_kv_str(&pk, PROTOCOL_KEY_MESSAGE, message != NULL ? message :
	    "");
	if (seq != 0)
		frame_pack_kv_uint(&pk, PROTOCOL_KEY_SEQ, seq);
	frame_pack_end(out, &sb);
}
