/*
 * legacy-builder.c: the legacy model of what is not a build: the builder
 * pickle (BuilderStatus and its events) and changes.pck (ChangeMaster and
 * its Changes). Same rules and conventions as legacy.c (legacy.h).
 */
#include "config.h"
#include "legacy.h"
#include "legacy-int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- builders ----------------------------------------------------------- */

static void
legacy_builder_events(struct legacy_ctx *ctx, const struct pickle_value *v,
    struct bbm_builder *out)
{
	const struct pickle_value	*item, *fin;
	struct bbm_builder_event	*e;
	size_t				 i;

	if (!legacy_is_seq(v) || v->u.seq.len == 0 ||
	    legacy_charge(ctx, v->u.seq.len, sizeof *out->events) != 0)
		return;
	out->events = xcalloc(v->u.seq.len, sizeof *out->events);
	for (i = 0; i < v->u.seq.len && !ctx->over; i++) {
		item = v->u.seq.items[i];
		if (!legacy_is_status_class(item, "Event") ||
		    legacy_charge_state(ctx, item) != 0)
			continue;
		e = &out->events[out->nevents++];
		e->started_at = legacy_time(pickle_attr(item, "started"));
		/* Point events store finished = 0. */
		fin = pickle_attr(item, "finished");
		if (fin != NULL && fin->type == PICKLE_INT && fin->u.i == 0)
			e->finished_at = e->started_at;
		else
			e->finished_at = legacy_time(fin);
		e->text = legacy_strings_json(ctx, pickle_attr(item, "text"));
	}
}

int
legacy_builder(const struct pickle_value *root, struct bbm_builder *out,
    char **cause)
{
	struct legacy_ctx		 ctx;
	const struct pickle_value	*tags, *names;
	char				 what[256];

	memset(out, 0, sizeof *out);
	memset(&ctx, 0, sizeof ctx);
	if (!legacy_is_status_class(root, "BuilderStatus")) {
		legacy_describe(root, what, sizeof what);
		xasprintf(cause, "not a BuilderStatus: %s", what);
		return (-1);
	}
	out->name = legacy_attr_str(&ctx, root, "name", NULL);
	out->category = legacy_attr_str(&ctx, root, "category", NULL);
	out->description = legacy_attr_str(&ctx, root, "description", NULL);
	/* BuilderStatus v1->v2: tags = [category] if category else None. */
	tags = pickle_attr(root, "tags");
	if (tags != NULL) {
		if (legacy_is_seq(tags))
			out->tags = legacy_strings_json(&ctx, tags);
	} else if (out->category != NULL && *out->category != '\0')
		out->tags = legacy_keep(&ctx,
		    record_json_strings(&out->category, 1));
	/* BuilderStatus v0->v1: slavenames = [slavename]. */
	names = pickle_attr(root, "slavenames");
	if (names == NULL)
		names = pickle_attr(root, "slavename");
	out->slavenames = legacy_strings_json(&ctx, names);
	legacy_builder_events(&ctx, pickle_attr(root, "events"), out);
	out->events_known = 1;
	if (ctx.over) {
		record_builder_free(out);
		xasprintf(cause, "builder expands beyond %zu bytes",
		    LEGACY_MAX_EXPANSION);
		return (-1);
	}
	return (0);
}

/* --- changes.pck -------------------------------------------------------- */

int
legacy_change(const struct pickle_value *v, struct bbm_change *out,
    char **cause)
{
	struct legacy_ctx	 ctx;

	memset(&ctx, 0, sizeof ctx);
	if (legacy_change_fill(&ctx, v, out, cause) != 0)
		return (-1);
	if (ctx.over) {
		record_change_free(out);
		xasprintf(cause, "change expands beyond %zu bytes",
		    LEGACY_MAX_EXPANSION);
		return (-1);
	}
	return (0);
}

int
legacy_changemaster(const struct pickle_value *root, struct bbm_change **out,
    size_t *n, char **cause)
{
	struct legacy_ctx		 ctx;
	const struct pickle_value	*changes;
	struct bbm_change		*c;
	size_t				 i;
	char				 what[256];

	*out = NULL;
	*n = 0;
	memset(&ctx, 0, sizeof ctx);
	if (!pickle_is_class(root, "buildbot.changes.changes",
	    "ChangeMaster")) {
		legacy_describe(root, what, sizeof what);
		xasprintf(cause, "not a ChangeMaster: %s", what);
		return (-1);
	}
	changes = pickle_attr(root, "changes");
	if (!legacy_is_seq(changes)) {
		legacy_describe(changes, what, sizeof what);
		xasprintf(cause, "changes is %s", what);
		return (-1);
	}
	if (changes->u.seq.len == 0)
		return (0);
	if (legacy_charge(&ctx, changes->u.seq.len, sizeof *c) != 0)
		goto over;
	c = xcalloc(changes->u.seq.len, sizeof *c);
	for (i = 0; i < changes->u.seq.len && !ctx.over; i++) {
		if (legacy_change_fill(&ctx, changes->u.seq.items[i], &c[*n],
		    NULL) == 0)
			(*n)++;
	}
	*out = c;
	if (ctx.over) {
		for (i = 0; i < *n; i++)
			record_change_free(&c[i]);
		free(c);
		*out = NULL;
		*n = 0;
		goto over;
	}
	if (*n == 0) {
		free(c);
		*out = NULL;
	}
	return (0);
over:
	xasprintf(cause, "changes expand beyond %zu bytes",
	    LEGACY_MAX_EXPANSION);
	return (-1);
}
