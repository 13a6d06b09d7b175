/*
 * fuzz-frame.c: libFuzzer target for the wire codec and the live
 * normaliser. Each input is a byte stream (a recording: frames with their
 * length prefixes) fed to a frame decoder in pieces whose sizes come from
 * the input itself, so a run is reproducible; every frame is parsed, every
 * event frame decoded into records, and everything freed.
 *
 * Besides the sanitizers' findings it aborts when a failure does not
 * explain itself, and when msgpack-c refuses a payload that frame.c's
 * structural pre-check let through (the two must agree, or the pre-check
 * no longer protects msgpack-c's allocations).
 */
#include "config.h"
#include "event.h"
#include "frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reads the bytes an event points into, so ASan sees a bad pointer. */
static unsigned int
fuzz_touch(const struct bbm_event *ev)
{
	unsigned int	 sum = 0;
	size_t		 i;

	for (i = 0; i < ev->chunk_len; i++)
		sum += (unsigned char)ev->chunk_text[i];
	if (ev->build != NULL && ev->build->builder_name != NULL)
		sum += (unsigned int)strlen(ev->build->builder_name);
	if (ev->step_rec != NULL && ev->step_rec->text != NULL)
		sum += (unsigned int)strlen(ev->step_rec->text);
	if (ev->log_rec != NULL)
		sum += (unsigned int)ev->log_rec->inline_len;
	return (sum);
}

static void
fuzz_frame(const char *payload, size_t len)
{
	struct frame_msg	 msg;
	struct bbm_event	 ev;
	char			*cause = NULL;
	volatile unsigned int	 sink = 0;

	if (frame_parse(payload, len, &msg, &cause) != 0) {
		if (cause == NULL ||
		    strncmp(cause, "frame: msgpack-c refused", 24) == 0)
			abort();
		free(cause);
		frame_msg_free(&msg);
		return;
	}
	if (msg.type == FRAME_EVENT) {
		if (event_decode(&msg, &ev, &cause) != 0) {
			if (cause == NULL)
				abort();
			free(cause);
		} else
			sink = fuzz_touch(&ev);
		event_free(&ev);
	}
	(void)sink;
	frame_msg_free(&msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder	 d;
	enum frame_status	 st;
	const char		*payload;
	char			*cause = NULL;
	size_t			 pos = 0, piece, used, plen, i;
	uint32_t		 seed = 2166136261U;

	for (i = 0; i < size && i < 64; i++)
		seed = (seed ^ data[i]) * 16777619U;
	frame_decoder_init(&d, 1 << 20);
	while (pos < size) {
		seed = seed * 1103515245U + 12345U;
		piece = (seed >> 16) % 4 == 0 ? size - pos :
		    1 + (seed >> 16) % 97;
		if (piece > size - pos)
			piece = size - pos;
		while (piece > 0) {
			st = frame_feed(&d, data + pos, piece, &used, &payload,
			    &plen, &cause);
			if (used > piece)
				abort();
			pos += used;
			piece -= used;
			if (st == FRAME_ERROR) {
				if (cause == NULL)
					abort();
				free(cause);
				goto done;
			}
			if (st == FRAME_NEED_MORE) {
				if (piece != 0)
					abort();
				break;
			}
			fuzz_frame(payload, plen);
		}
	}
done:
	frame_decoder_free(&d);
	return (0);
}
