/*
 * record.c: freeing canonical records, result and origin names, change
 * identity and the JSON helpers every normaliser shares.
 */
#include "config.h"
#include "record.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const record_results[] = {
	"success", "warnings", "failure", "skipped", "exception", "retry",
	"cancelled",
};

const char *
record_result_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof record_results /
	    sizeof record_results[0])
		return (NULL);
	return (record_results[code]);
}

const char *
record_origin_name(enum bbm_origin origin)
{
	switch (origin) {
	case BBM_ORIGIN_IMPORT:
		return ("import");
	case BBM_ORIGIN_LIVE:
		return ("live");
	case BBM_ORIGIN_PUSH:
		return ("push");
	}
	return ("import");
}

static void
record_properties_free(struct bbm_property *props, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		record_property_free(&props[i]);
	free(props);
}

void
record_property_free(struct bbm_property *p)
{
	free(p->name);
	free(p->value);
	free(p->source);
	memset(p, 0, sizeof *p);
}

void
record_change_free(struct bbm_change *c)
{
	size_t	 i;

	free(c->author);
	free(c->comments);
	free(c->branch);
	free(c->revision);
	free(c->revlink);
	free(c->category);
	free(c->repository);
	free(c->project);
	free(c->codebase);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	record_properties_free(c->properties, c->nproperties);
	memset(c, 0, sizeof *c);
}

void
record_sourcestamp_free(struct bbm_sourcestamp *ss)
{
	free(ss->branch);
	free(ss->revision);
	free(ss->repository);
	free(ss->project);
	free(ss->codebase);
	free(ss->patch_body);
	free(ss->patch_subdir);
	free(ss->patch_author);
	free(ss->patch_comment);
	free(ss->changes);
	memset(ss, 0, sizeof *ss);
}

void
record_log_free(struct bbm_log *l)
{
	free(l->name);
	free(l->filename);
	free(l->inline_chunks);
	free(l->store_key);
	memset(l, 0, sizeof *l);
}

void
record_step_free(struct bbm_step *s)
{
	size_t	 i;

	free(s->name);
	free(s->text);
	free(s->text2);
	free(s->urls);
	free(s->statistics);
	for (i = 0; i < s->nlogs; i++)
		record_log_free(&s->logs[i]);
	free(s->logs);
	memset(s, 0, sizeof *s);
}

void
record_build_free(struct bbm_build *b)
{
	size_t	 i;

	free(b->builder_name);
	free(b->text);
	free(b->reason);
	free(b->slave);
	free(b->blamelist);
	for (i = 0; i < b->nsteps; i++)
		record_step_free(&b->steps[i]);
	free(b->steps);
	record_properties_free(b->properties, b->nproperties);
	for (i = 0; i < b->nsourcestamps; i++)
		record_sourcestamp_free(&b->sourcestamps[i]);
	free(b->sourcestamps);
	for (i = 0; i < b->nchanges; i++)
		record_change_free(&b->changes[i]);
	free(b->changes);
	memset(b, 0, sizeof *b);
}

void
record_builder_free(struct bbm_builder *b)
{
	size_t	 i;

	free(b->name);
	free(b->builddir);
	free(b->description);
	free(b->category);
	free(b->tags);
	free(b->slavenames);
	for (i = 0; i < b->nevents; i++)
		free(b->events[i].text);
	free(b->events);
	memset(b, 0, sizeof *b);
}

void
record_buildset_free(struct bbm_buildset *bs)
{
	free(bs->external_idstring);
	free(bs->reason);
	record_properties_free(bs->properties, bs->nproperties);
	memset(bs, 0, sizeof *bs);
}

void
record_buildrequest_free(struct bbm_buildrequest *br)
{
	free(br->builder_name);
	free(br->claimed_by);
	free(br->builds);
	memset(br, 0, sizeof *br);
}

/* Adds one identity field; NULL is distinct from the empty string. */
static void
record_identity_add(uint64_t h[2], const char *s)
{
	static const char	 null_mark = '\001', sep = '\0';

	if (s == NULL) {
		h[0] = fnv1a64(h[0], &null_mark, 1);
		h[1] = fnv1a64(h[1], &null_mark, 1);
	} else {
		h[0] = fnv1a64(h[0], s, strlen(s));
		h[1] = fnv1a64(h[1], s, strlen(s));
	}
	h[0] = fnv1a64(h[0], &sep, 1);
	h[1] = fnv1a64(h[1], &sep, 1);
}

/*
 * Masters reuse change numbers (a restart without saving changes.pck, a
 * lost state.sqlite), so a change is known by its content: the number plus
 * when (whole seconds: the 0.8 database rounds it), author, revision,
 * branch and repository. Two 64-bit FNV-1a lanes with different seeds make
 * a 128-bit key.
 */
char *
record_change_identity(const struct bbm_change *c)
{
	uint64_t	 h[2] = { FNV1A64_INIT, 0x84222325cbf29ce4ULL };
	char		 num[64], when[64], *out;

	snprintf(num, sizeof num, "%" PRId64, c->number);
	if (bbm_time_isset(c->when))
		snprintf(when, sizeof when, "%.0f", c->when);
	record_identity_add(h, num);
	record_identity_add(h, bbm_time_isset(c->when) ? when : NULL);
	record_identity_add(h, c->author);
	record_identity_add(h, c->revision);
	record_identity_add(h, c->branch);
	record_identity_add(h, c->repository);
	xasprintf(&out, "%016" PRIx64 "%016" PRIx64, h[0], h[1]);
	return (out);
}

char *
record_json_strings(char *const *strings, size_t n)
{
	json_t	*a;
	char	*s, *out;
	size_t	 i;

	a = json_array();
	for (i = 0; i < n; i++) {
		if (strings[i] == NULL)
			json_array_append_new(a, json_null());
		else
			json_array_append_new(a, json_string(strings[i]));
	}
	s = json_dumps(a, JSON_COMPACT|JSON_ENCODE_ANY);
	json_decref(a);
	if (s == NULL)
		fatalx("record_json_strings: json_dumps failed");
	out = xstrdup(s);
	free(s);
	return (out);
}
