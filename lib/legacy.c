/*
 * legacy.c: the legacy status model. Walks decoded BuildStatus,
 * BuilderStatus and ChangeMaster pickles and produces canonical records,
 * emulating Twisted's Versioned upgrades (spec 2.6) as data normalisation.
 *
 * The upgrades are driven by what the state holds rather than by the
 * persistenceVersion keys: every upgrade step only fills an attribute that
 * is absent or converts one older shape (sourceStamp tuple, plain property
 * dict, single slavename, category), so looking at the shape gives the same
 * result and also copes with hand-edited or mixed-generation pickles.
 *
 * The value conversions and the expansion budget they share live in
 * legacy-value.c.
 */
#include "config.h"
#include "legacy.h"
#include "legacy-int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Source Twisted's v2->v3 BuildStatus upgrade gives plain-dict properties. */
#define LEGACY_UPGRADE_SOURCE	"Upgrade from previous version"

/*
 * The changes of one build: deduplicated by record_change_identity through
 * an open-addressing table of indices (slot value = index + 1). mark/gen
 * deduplicate within one list (a source stamp naming a change twice).
 */
struct legacy_changeset {
	struct bbm_change	*changes;
	char			**ids;
	size_t			*mark;
	size_t			 n;
	size_t			 cap;
	size_t			*slots;
	size_t			 nslots;
	size_t			 gen;
};

/*
 * The status classes moved between these modules over the versions (0.8.4
 * split buildbot.status.builder); a class name is accepted from any of them.
 */
static const char *const legacy_status_modules[] = {
	"buildbot.status.builder",
	"buildbot.status.build",
	"buildbot.status.buildstep",
	"buildbot.status.logfile",
	"buildbot.status.event",
	"buildbot.status.testresult",
	NULL
};

int
legacy_is_status_class(const struct pickle_value *v, const char *name)
{
	size_t	 i;

	for (i = 0; legacy_status_modules[i] != NULL; i++) {
		if (pickle_is_class(v, legacy_status_modules[i], name))
			return (1);
	}
	return (0);
}

/* --- properties --------------------------------------------------------- */

struct legacy_propkey {
	const char	*name;
	size_t		 index;
};

static int
legacy_propkey_cmp(const void *a, const void *b)
{
	const struct legacy_propkey	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return (c);
	return (x->index < y->index ? -1 : x->index > y->index);
}

/*
 * One name once. A pickle may set a key twice (Python keeps the last
 * value, as pickle_dict_get does) and Python 2 can hold a str and a
 * unicode key that become the same UTF-8 name (non-ASCII str read as
 * Latin-1): keep the last in dict order.
 */
static void
legacy_properties_dedup(struct bbm_property *props, size_t *n)
{
	struct legacy_propkey	*keys;
	char			*drop;
	size_t			 i, o;

	if (*n < 2)
		return;
	keys = xcalloc(*n, sizeof *keys);
	drop = xcalloc(*n, 1);
	for (i = 0; i < *n; i++) {
		keys[i].name = props[i].name;
		keys[i].index = i;
	}
	qsort(keys, *n, sizeof *keys, legacy_propkey_cmp);
	for (i = 1; i < *n; i++) {
		if (strcmp(keys[i - 1].name, keys[i].name) == 0)
			drop[keys[i - 1].index] = 1;
	}
	for (i = o = 0; i < *n; i++) {
		if (drop[i])
			record_property_free(&props[i]);
		else
			props[o++] = props[i];
	}
	*n = o;
	free(drop);
	free(keys);
}

/*
 * Properties: a Properties instance (0.7.8+: name -> (value, source)) or
 * the plain dict of 0.7.3-0.7.7 builds (name -> value), which Twisted's
 * upgrade wraps with the source "Upgrade from previous version".
 */
static void
legacy_properties(struct legacy_ctx *ctx, const struct pickle_value *v,
    struct bbm_property **out, size_t *n)
{
	const struct pickle_value	*d, *val, *src;
	struct bbm_property		*p;
	size_t				 i;
	int				 plain;

	*out = NULL;
	*n = 0;
	if (v != NULL && v->type == PICKLE_DICT) {
		d = v;
		plain = 1;
	} else if (v != NULL && v->type == PICKLE_OBJECT) {
		d = pickle_attr(v, "properties");
		plain = 0;
	} else
		return;
	if (d == NULL || d->type != PICKLE_DICT || d->u.dict.len == 0)
		return;
	if (legacy_charge(ctx, d->u.dict.len, sizeof **out) != 0)
		return;
	*out = xcalloc(d->u.dict.len, sizeof **out);
	for (i = 0; i < d->u.dict.len && !ctx->over; i++) {
		val = d->u.dict.vals[i];
		src = NULL;
		/* (value, source); a list when it came over the wire. */
		if (!plain && legacy_is_seq(val) && val->u.seq.len == 2) {
			src = val->u.seq.items[1];
			val = val->u.seq.items[0];
		}
		p = &(*out)[*n];
		if (pickle_is_string(d->u.dict.keys[i]))
			p->name = legacy_keep(ctx,
			    legacy_string(d->u.dict.keys[i]));
		else
			p->name = legacy_keep(ctx,
			    legacy_json(d->u.dict.keys[i]));
		p->value = legacy_keep(ctx, legacy_json(val));
		if (plain)
			p->source = legacy_keep(ctx,
			    xstrdup(LEGACY_UPGRADE_SOURCE));
		else
			p->source = legacy_str(ctx, src, NULL);
		if (ctx->over || p->name == NULL || p->value == NULL) {
			record_property_free(p);
			continue;
		}
		(*n)++;
	}
	legacy_properties_dedup(*out, n);
}

/* --- changes ------------------------------------------------------------ */

/*
 * Fills *c from a Change instance. Returns -1 with *cause (if cause is not
 * NULL) when v is not a Change or its number is not an int; *c is then
 * empty. Over-budget copies leave fields NULL (the caller checks ctx).
 */
int
legacy_change_fill(struct legacy_ctx *ctx, const struct pickle_value *v,
    struct bbm_change *c, char **cause)
{
	const struct pickle_value	*num;
	struct legacy_strv		 sv;
	char				 what[256];

	memset(c, 0, sizeof *c);
	if (!pickle_is_class(v, "buildbot.changes.changes", "Change")) {
		if (cause != NULL) {
			legacy_describe(v, what, sizeof what);
			xasprintf(cause, "not a Change: %s", what);
		}
		return (-1);
	}
	num = pickle_attr(v, "number");
	if (num == NULL || num->type != PICKLE_INT) {
		if (cause != NULL) {
			legacy_describe(num, what, sizeof what);
			xasprintf(cause, "number is %s", what);
		}
		return (-1);
	}
	c->number = num->u.i;
	if (legacy_charge_state(ctx, v) != 0)
		return (0);
	c->author = legacy_attr_str(ctx, v, "who", NULL);
	c->comments = legacy_attr_str(ctx, v, "comments", NULL);
	c->branch = legacy_attr_str(ctx, v, "branch", NULL);
	c->revision = legacy_attr_str(ctx, v, "revision", NULL);
	c->revlink = legacy_attr_str(ctx, v, "revlink", "");
	c->category = legacy_attr_str(ctx, v, "category", NULL);
	c->repository = legacy_attr_str(ctx, v, "repository", "");
	c->project = legacy_attr_str(ctx, v, "project", "");
	c->codebase = legacy_attr_str(ctx, v, "codebase", "");
	c->when = legacy_time(pickle_attr(v, "when"));
	c->is_dir = legacy_flag(pickle_attr(v, "isdir"));
	legacy_strv_from(ctx, &sv, pickle_attr(v, "files"), 1);
	c->files = sv.v;
	c->nfiles = sv.n;
	legacy_properties(ctx, pickle_attr(v, "properties"), &c->properties,
	    &c->nproperties);
	return (0);
}

/* Hands the changes to the build and frees the lookup tables. */
static void
legacy_changeset_finish(struct legacy_changeset *set, struct bbm_build *out)
{
	size_t	 i;

	out->changes = set->changes;
	out->nchanges = set->n;
	for (i = 0; i < set->n; i++)
		free(set->ids[i]);
	free(set->ids);
	free(set->mark);
	free(set->slots);
	memset(set, 0, sizeof *set);
}

static size_t
legacy_changeset_slot(const struct legacy_changeset *set, const char *id)
{
	size_t	 slot;

	slot = fnv1a64(FNV1A64_INIT, id, strlen(id)) & (set->nslots - 1);
	while (set->slots[slot] != 0 &&
	    strcmp(set->ids[set->slots[slot] - 1], id) != 0)
		slot = (slot + 1) & (set->nslots - 1);
	return (slot);
}

static void
legacy_changeset_grow(struct legacy_changeset *set)
{
	size_t	 i;

	set->nslots = set->nslots == 0 ? 16 : set->nslots * 2;
	free(set->slots);
	set->slots = xcalloc(set->nslots, sizeof *set->slots);
	for (i = 0; i < set->n; i++)
		set->slots[legacy_changeset_slot(set, set->ids[i])] = i + 1;
}

/*
 * Adds the Change v to the build's set unless an equal change (same
 * record_change_identity; the same node always is) is already there.
 * Returns its index, or SIZE_MAX if v is not a usable Change.
 */
static size_t
legacy_changeset_add(struct legacy_ctx *ctx, struct legacy_changeset *set,
    const struct pickle_value *v)
{
	struct bbm_change	 c;
	char			*id;
	size_t			 slot;

	if (legacy_change_fill(ctx, v, &c, NULL) != 0)
		return (SIZE_MAX);
	if (ctx->over) {
		record_change_free(&c);
		return (SIZE_MAX);
	}
	id = record_change_identity(&c);
	if (set->nslots == 0 || set->n + 1 > set->nslots / 2)
		legacy_changeset_grow(set);
	slot = legacy_changeset_slot(set, id);
	if (set->slots[slot] != 0) {
		record_change_free(&c);
		free(id);
		return (set->slots[slot] - 1);
	}
	if (legacy_charge(ctx, 1, sizeof c + strlen(id) + 1) != 0) {
		record_change_free(&c);
		free(id);
		return (SIZE_MAX);
	}
	if (set->n == set->cap) {
		set->cap = set->cap == 0 ? 8 : set->cap * 2;
		set->changes = xreallocarray(set->changes, set->cap,
		    sizeof *set->changes);
		set->ids = xreallocarray(set->ids, set->cap, sizeof *set->ids);
		set->mark = xreallocarray(set->mark, set->cap,
		    sizeof *set->mark);
	}
	set->changes[set->n] = c;
	set->ids[set->n] = id;
	set->mark[set->n] = 0;
	set->slots[slot] = ++set->n;
	return (set->n - 1);
}

/*
 * Adds every Change of the list or tuple v to the set; *idx gets the
 * indices of those changes, each once, in list order (NULL if none).
 */
static void
legacy_changeset_list(struct legacy_ctx *ctx, struct legacy_changeset *set,
    const struct pickle_value *v, size_t **idx, size_t *nidx)
{
	size_t	 i, k;

	*idx = NULL;
	*nidx = 0;
	if (!legacy_is_seq(v) || v->u.seq.len == 0)
		return;
	if (legacy_charge(ctx, v->u.seq.len, sizeof **idx) != 0)
		return;
	*idx = xcalloc(v->u.seq.len, sizeof **idx);
	set->gen++;
	for (i = 0; i < v->u.seq.len && !ctx->over; i++) {
		k = legacy_changeset_add(ctx, set, v->u.seq.items[i]);
		if (k == SIZE_MAX || set->mark[k] == set->gen)
			continue;
		set->mark[k] = set->gen;
		(*idx)[(*nidx)++] = k;
	}
	if (*nidx == 0) {
		free(*idx);
		*idx = NULL;
	}
}

/* --- source stamps ------------------------------------------------------ */

/* patch: None or (level, diff[, subdir]); the diff stays raw bytes. */
static void
legacy_patch(struct legacy_ctx *ctx, const struct pickle_value *p,
    struct bbm_sourcestamp *ss)
{
	const struct pickle_value	*level, *diff;
	char				*s;

	if (!legacy_is_seq(p) || p->u.seq.len < 2)
		return;
	level = p->u.seq.items[0];
	diff = p->u.seq.items[1];
	if (!pickle_is_string(diff))
		return;
	if (legacy_charge(ctx, diff->u.str.len + 1, 1) != 0)
		return;
	ss->has_patch = 1;
	if (level != NULL && level->type == PICKLE_INT)
		ss->patch_level = level->u.i;
	else if (pickle_is_string(level)) {
		/* SourceStamp v1 upgrade: int(level). */
		s = legacy_string(level);
		ss->patch_level = strtoll(s, NULL, 10);
		free(s);
	}
	ss->patch_body = xmalloc(diff->u.str.len + 1);
	memcpy(ss->patch_body, diff->u.str.ptr, diff->u.str.len);
	ss->patch_body[diff->u.str.len] = '\0';
	ss->patch_len = diff->u.str.len;
	if (p->u.seq.len >= 3)
		ss->patch_subdir = legacy_str(ctx, p->u.seq.items[2], NULL);
}

static void
legacy_sourcestamp(struct legacy_ctx *ctx, struct legacy_changeset *set,
    const struct pickle_value *v, struct bbm_sourcestamp *ss)
{
	const struct pickle_value	*info;

	if (legacy_charge_state(ctx, v) != 0)
		return;
	ss->branch = legacy_attr_str(ctx, v, "branch", NULL);
	ss->revision = legacy_attr_str(ctx, v, "revision", NULL);
	/* SourceStamp v2 and v3 upgrades. */
	ss->repository = legacy_attr_str(ctx, v, "repository", "");
	ss->project = legacy_attr_str(ctx, v, "project", "");
	ss->codebase = legacy_attr_str(ctx, v, "codebase", "");
	legacy_patch(ctx, pickle_attr(v, "patch"), ss);
	info = pickle_attr(v, "patch_info");
	if (legacy_is_seq(info) && info->u.seq.len >= 2) {
		ss->patch_author = legacy_str(ctx, info->u.seq.items[0], NULL);
		ss->patch_comment = legacy_str(ctx, info->u.seq.items[1], NULL);
	}
	legacy_changeset_list(ctx, set, pickle_attr(v, "changes"),
	    &ss->changes, &ss->nchanges);
}

/*
 * The build's source stamps: `sources` (v4), `source` (v1-v3) or the
 * pre-0.7 `sourceStamp` tuple (maxChangeNumber, patch), which the v0->v1
 * upgrade turns into a stamp without branch or revision holding the
 * build's changes (bidx).
 */
static void
legacy_build_sources(struct legacy_ctx *ctx, struct legacy_changeset *set,
    const struct pickle_value *root, const size_t *bidx, size_t nbidx,
    struct bbm_build *out)
{
	const struct pickle_value	*sources, *one, *v0;
	const struct pickle_value	*const *items;
	struct bbm_sourcestamp		*ss;
	size_t				 i, n;

	sources = pickle_attr(root, "sources");
	one = pickle_attr(root, "source");
	v0 = pickle_attr(root, "sourceStamp");
	if (legacy_is_seq(sources)) {
		items = (const struct pickle_value *const *)
		    sources->u.seq.items;
		n = sources->u.seq.len;
	} else if (one != NULL && one->type == PICKLE_OBJECT) {
		items = &one;
		n = 1;
	} else if (legacy_is_seq(v0) && v0->u.seq.len >= 2) {
		if (legacy_charge(ctx, 1, sizeof *ss +
		    nbidx * sizeof *bidx) != 0)
			return;
		ss = out->sourcestamps = xcalloc(1, sizeof *ss);
		out->nsourcestamps = 1;
		ss->repository = legacy_keep(ctx, xstrdup(""));
		ss->project = legacy_keep(ctx, xstrdup(""));
		ss->codebase = legacy_keep(ctx, xstrdup(""));
		legacy_patch(ctx, v0->u.seq.items[1], ss);
		if (nbidx != 0) {
			ss->changes = xreallocarray(NULL, nbidx, sizeof *bidx);
			memcpy(ss->changes, bidx, nbidx * sizeof *bidx);
			ss->nchanges = nbidx;
		}
		return;
	} else
		return;
	if (n == 0 || legacy_charge(ctx, n, sizeof *ss) != 0)
		return;
	out->sourcestamps = xcalloc(n, sizeof *ss);
	for (i = 0; i < n && !ctx->over; i++) {
		if (!pickle_is_class(items[i], "buildbot.sourcestamp",
		    "SourceStamp"))
			continue;
		legacy_sourcestamp(ctx, set, items[i],
		    &out->sourcestamps[out->nsourcestamps++]);
	}
}

/* --- steps and logs ----------------------------------------------------- */

/* Appends text as chunks of the master's format on one channel. */
static int
legacy_chunks_add(struct buf *b, int channel, const char *p, size_t len)
{
	size_t	 n;

	while (len > 0) {
		n = len > LEGACY_CHUNK_MAX ? LEGACY_CHUNK_MAX : len;
		if (buf_addf(b, "%zu:%d", n + 1, channel) != 0 ||
		    buf_add(b, p, n) != 0 || buf_add(b, ",", 1) != 0)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * Inline content: the html of an HTMLLogFile (<= 0.8.8) as stderr chunks,
 * like the 0.8.9+ master writes it, or the (channel, text) entries of a
 * pre-0.6.5 LogFile. Malformed entries are skipped.
 */
static void
legacy_log_inline(struct legacy_ctx *ctx, const struct pickle_value *html,
    const struct pickle_value *entries, struct bbm_log *l)
{
	const struct pickle_value	*e, *ch, *text;
	struct buf			 b;
	size_t				 i, room;
	int				 r = 0;

	if (ctx->over)
		return;
	if ((room = LEGACY_MAX_EXPANSION - ctx->used) == 0) {
		ctx->over = 1;
		return;
	}
	buf_init(&b, room);
	if (html != NULL)
		r = legacy_chunks_add(&b, 1, html->u.str.ptr, html->u.str.len);
	else {
		for (i = 0; i < entries->u.seq.len && r == 0; i++) {
			e = entries->u.seq.items[i];
			if (!legacy_is_seq(e) || e->u.seq.len != 2)
				continue;
			ch = e->u.seq.items[0];
			text = e->u.seq.items[1];
			if (ch == NULL || ch->type != PICKLE_INT ||
			    ch->u.i < 0 || ch->u.i > 9 || !pickle_is_string(text))
				continue;
			r = legacy_chunks_add(&b, (int)ch->u.i, text->u.str.ptr,
			    text->u.str.len);
		}
	}
	if (r != 0) {
		ctx->over = 1;
		buf_free(&b);
		return;
	}
	l->inline_chunks = buf_steal(&b, &l->inline_len);
	if (legacy_charge(ctx, l->inline_len + 1, 1) != 0) {
		free(l->inline_chunks);
		l->inline_chunks = NULL;
		l->inline_len = 0;
	}
}

/*
 * The stored base name of the log file. Names the master cannot have
 * written and that would leave the builder directory are refused.
 */
static char *
legacy_log_filename(struct legacy_ctx *ctx, const struct pickle_value *v)
{
	char	*s;

	if (!pickle_is_string(v) || v->u.str.len == 0 ||
	    memchr(v->u.str.ptr, '\0', v->u.str.len) != NULL ||
	    memchr(v->u.str.ptr, '/', v->u.str.len) != NULL)
		return (NULL);
	s = legacy_string(v);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		free(s);
		return (NULL);
	}
	return (legacy_keep(ctx, s));
}

static void
legacy_log(struct legacy_ctx *ctx, const struct pickle_value *v,
    struct bbm_log *l)
{
	const struct pickle_value	*len, *html, *entries;

	if (legacy_charge_state(ctx, v) != 0)
		return;
	l->kind = legacy_is_status_class(v, "HTMLLogFile") ? BBM_LOG_HTML :
	    BBM_LOG_TEXT;
	l->state = BBM_LOG_NONE;
	l->name = legacy_attr_str(ctx, v, "name", NULL);
	l->filename = legacy_log_filename(ctx, pickle_attr(v, "filename"));
	len = pickle_attr(v, "length");
	l->length = (len != NULL && len->type == PICKLE_INT) ? len->u.i : -1;
	html = pickle_attr(v, "html");
	entries = pickle_attr(v, "entries");
	if (l->kind == BBM_LOG_HTML && pickle_is_string(html))
		legacy_log_inline(ctx, html, NULL, l);
	else if (l->kind == BBM_LOG_TEXT && l->filename == NULL &&
	    legacy_is_seq(entries) && entries->u.seq.len != 0)
		legacy_log_inline(ctx, NULL, entries, l);
}

/*
 * One BuildStepStatus; index is its position in the build's steps (the
 * stored step_number is 0 for every step upgraded from before 0.8.2).
 * BuildStepStatus v1-v4 upgrades are the "[] / {} / False when absent"
 * defaults below.
 */
static void
legacy_step(struct legacy_ctx *ctx, const struct pickle_value *v,
    size_t index, struct bbm_step *st)
{
	const struct pickle_value	*logs, *item;
	size_t				 i;

	st->number = (int64_t)index;
	if (legacy_charge_state(ctx, v) != 0)
		return;
	st->name = legacy_attr_str(ctx, v, "name", NULL);
	st->started_at = legacy_time(pickle_attr(v, "started"));
	st->finished_at = legacy_time(pickle_attr(v, "finished"));
	st->results = legacy_results(pickle_attr(v, "results"));
	st->text = legacy_strings_json(ctx, pickle_attr(v, "text"));
	st->text2 = legacy_strings_json(ctx, pickle_attr(v, "text2"));
	st->urls = legacy_dict_json(ctx, pickle_attr(v, "urls"), "{}");
	st->statistics = legacy_dict_json(ctx, pickle_attr(v, "statistics"),
	    "{}");
	st->hidden = legacy_flag(pickle_attr(v, "hidden"));
	st->skipped = legacy_flag(pickle_attr(v, "skipped"));
	logs = pickle_attr(v, "logs");
	if (!legacy_is_seq(logs) || logs->u.seq.len == 0 ||
	    legacy_charge(ctx, logs->u.seq.len, sizeof *st->logs) != 0)
		return;
	st->logs = xcalloc(logs->u.seq.len, sizeof *st->logs);
	for (i = 0; i < logs->u.seq.len && !ctx->over; i++) {
		item = logs->u.seq.items[i];
		if (legacy_is_status_class(item, "LogFile") ||
		    legacy_is_status_class(item, "HTMLLogFile"))
			legacy_log(ctx, item, &st->logs[st->nlogs++]);
	}
}

/* --- builds ------------------------------------------------------------- */

static void
legacy_build_steps(struct legacy_ctx *ctx, const struct pickle_value *root,
    struct bbm_build *out)
{
	const struct pickle_value	*steps, *item;
	size_t				 i;

	steps = pickle_attr(root, "steps");
	if (!legacy_is_seq(steps) || steps->u.seq.len == 0 ||
	    legacy_charge(ctx, steps->u.seq.len, sizeof *out->steps) != 0)
		return;
	out->steps = xcalloc(steps->u.seq.len, sizeof *out->steps);
	for (i = 0; i < steps->u.seq.len && !ctx->over; i++) {
		item = steps->u.seq.items[i];
		if (legacy_is_status_class(item, "BuildStepStatus"))
			legacy_step(ctx, item, i, &out->steps[out->nsteps++]);
	}
}

/* The builder's name, which a build knows only from its properties. */
static char *
legacy_build_buildername(struct legacy_ctx *ctx,
    const struct pickle_value *props)
{
	const struct pickle_value	*v;

	if (props != NULL && props->type == PICKLE_DICT)
		v = pickle_dict_get(props, "buildername");
	else {
		v = pickle_dict_get(pickle_attr(props, "properties"),
		    "buildername");
		if (legacy_is_seq(v) && v->u.seq.len == 2)
			v = v->u.seq.items[0];
		else
			v = NULL;
	}
	if (!pickle_is_string(v))
		return (NULL);
	return (legacy_keep(ctx, legacy_string(v)));
}

int
legacy_build(const struct pickle_value *root, struct bbm_build *out,
    char **cause)
{
	struct legacy_ctx		 ctx;
	struct legacy_changeset		 set;
	const struct pickle_value	*num, *fin;
	size_t				*bidx, nbidx;
	char				 what[256];

	memset(out, 0, sizeof *out);
	memset(&ctx, 0, sizeof ctx);
	memset(&set, 0, sizeof set);
	if (!legacy_is_status_class(root, "BuildStatus")) {
		legacy_describe(root, what, sizeof what);
		xasprintf(cause, "not a BuildStatus: %s", what);
		return (-1);
	}
	num = pickle_attr(root, "number");
	if (num == NULL || num->type != PICKLE_INT || num->u.i < 0) {
		if (num != NULL && num->type == PICKLE_INT)
			snprintf(what, sizeof what, "negative");
		else
			legacy_describe(num, what, sizeof what);
		xasprintf(cause, "number is %s", what);
		return (-1);
	}
	out->number = num->u.i;
	out->started_at = legacy_time(pickle_attr(root, "started"));
	/* <= 0.8.3 saved unfinished builds with finished = True. */
	fin = pickle_attr(root, "finished");
	out->finished_at = legacy_time(fin);
	out->complete = bbm_time_isset(out->finished_at) ||
	    (fin != NULL && fin->type == PICKLE_BOOL && fin->u.i);
	out->results = legacy_results(pickle_attr(root, "results"));
	out->text = legacy_strings_json(&ctx, pickle_attr(root, "text"));
	out->reason = legacy_attr_str(&ctx, root, "reason", NULL);
	out->slave = legacy_attr_str(&ctx, root, "slavename", NULL);
	out->blamelist = legacy_strings_json(&ctx,
	    pickle_attr(root, "blamelist"));
	legacy_build_steps(&ctx, root, out);
	legacy_properties(&ctx, pickle_attr(root, "properties"),
	    &out->properties, &out->nproperties);
	out->builder_name = legacy_build_buildername(&ctx,
	    pickle_attr(root, "properties"));
	legacy_changeset_list(&ctx, &set, pickle_attr(root, "changes"), &bidx,
	    &nbidx);
	legacy_build_sources(&ctx, &set, root, bidx, nbidx, out);
	free(bidx);
	legacy_changeset_finish(&set, out);
	if (ctx.over) {
		record_build_free(out);
		xasprintf(cause, "build %" PRId64 " expands beyond %zu bytes",
		    num->u.i, LEGACY_MAX_EXPANSION);
		return (-1);
	}
	return (0);
}

int
legacy_step_record(const struct pickle_value *v, size_t index,
    struct bbm_step *out, char **cause)
{
	struct legacy_ctx	 ctx;
	char			 what[256];

	memset(out, 0, sizeof *out);
	memset(&ctx, 0, sizeof ctx);
	if (!legacy_is_status_class(v, "BuildStepStatus")) {
		legacy_describe(v, what, sizeof what);
		xasprintf(cause, "not a BuildStepStatus: %s", what);
		return (-1);
	}
	legacy_step(&ctx, v, index, out);
	if (ctx.over) {
		record_step_free(out);
		xasprintf(cause, "step %zu expands beyond %zu bytes", index,
		    LEGACY_MAX_EXPANSION);
		return (-1);
	}
	return (0);
}

int
legacy_log_record(const struct pickle_value *v, struct bbm_log *out,
    char **cause)
{
	struct legacy_ctx	 ctx;
	char			 what[256];

	memset(out, 0, sizeof *out);
	memset(&ctx, 0, sizeof ctx);
	if (!legacy_is_status_class(v, "LogFile") &&
	    !legacy_is_status_class(v, "HTMLLogFile")) {
		legacy_describe(v, what, sizeof what);
		xasprintf(cause, "not a LogFile: %s", what);
		return (-1);
	}
	legacy_log(&ctx, v, out);
	if (ctx.over) {
		record_log_free(out);
		xasprintf(cause, "log expands beyond %zu bytes",
		    LEGACY_MAX_EXPANSION);
		return (-1);
	}
	return (0);
}
