/*
 * fuzz-push.c: libFuzzer target for HttpStatusPush ingest without a
 * database: the request body parser (the urlencoded form, the JSON array
 * of packets, each packet's envelope) and the conversion of every packet
 * into an event (asDict back into status objects, the normaliser), then
 * the state that completes step events (start times, step indices, log
 * file names), as the daemon's libev thread uses it.
 *
 * The first byte chooses the entry: odd, the rest is the JSON text of the
 * "packets" field; even, a whole form body. Besides the sanitizers'
 * findings it aborts when a refusal does not explain itself and when an
 * accepted packet gives an event whose records break their invariants.
 */
#include "config.h"
#include "push.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reads the records an event holds, so ASan sees a bad pointer. */
static unsigned int
fuzz_touch(const struct bbm_event *ev)
{
	const struct bbm_step	*st;
	unsigned int		 sum = 0;
	size_t			 i, j;

	if (ev->builder != NULL)
		sum += (unsigned int)strlen(ev->builder);
	if (ev->build != NULL) {
		if (ev->build->text == NULL || ev->build->number < 0)
			abort();
		for (i = 0; i < ev->build->nsteps; i++) {
			st = &ev->build->steps[i];
			if (st->number != (int64_t)i)
				abort();
			for (j = 0; j < st->nlogs; j++) {
				/* A name the master can have written. */
				if (st->logs[j].filename == NULL ||
				    strchr(st->logs[j].filename, '/') != NULL)
					abort();
				sum += (unsigned int)strlen(st->logs[j].filename);
			}
		}
		for (i = 0; i < ev->build->nproperties; i++)
			sum += (unsigned int)strlen(ev->build->properties[i].value);
	}
	if (ev->step_rec != NULL) {
		if (ev->builder == NULL || ev->number < 0 || ev->step < 0)
			abort();
		sum += (unsigned int)strlen(ev->step_rec->text);
	}
	if (ev->builder_rec != NULL && ev->builder_rec->events_known)
		abort();
	if (ev->change != NULL)
		sum += (unsigned int)ev->change->nfiles;
	return (sum);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct push_request	 req;
	struct push_state	*st;
	struct push_packet	*p;
	char			*cause = NULL;
	volatile unsigned int	 sink = 0;
	size_t			 i;
	int			 r;

	if (size == 0)
		return (0);
	if (data[0] & 1)
		r = push_parse_packets((const char *)data + 1, size - 1, &req,
		    &cause);
	else
		r = push_parse((const char *)data + 1, size - 1, &req, &cause);
	if (r != 0) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		push_request_free(&req);
		return (0);
	}
	st = push_state_new();
	for (i = 0; i < req.npackets; i++) {
		p = &req.packets[i];
		if (strlen(p->digest) != PUSH_DIGEST_LEN - 1 || isnan(p->time))
			abort();
		sink += fuzz_touch(&p->ev);
		/* Two masters: the state keeps them apart. */
		if (push_state_resolve(st, (int64_t)(i & 1), &p->ev) == 0)
			push_state_started(st, (int64_t)(i & 1), p->ev.builder,
			    p->ev.number, (double)i);
		(void)push_state_resolve(st, (int64_t)(i & 1), &p->ev);
		push_state_update(st, (int64_t)(i & 1), &p->ev, p->basedir);
		sink += fuzz_touch(&p->ev);
		if (p->ev.builder != NULL)
			(void)push_state_basedir(st, (int64_t)(i & 1),
			    p->ev.builder);
	}
	(void)sink;
	push_state_free(st);
	push_request_free(&req);
	return (0);
}
