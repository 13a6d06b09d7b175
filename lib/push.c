/*
 * push.c: HttpStatusPush request bodies (push.h): the urlencoded form, the
 * JSON array of packets, each packet's envelope and digest; and the state
 * the applying thread keeps about the builds and builders the packets
 * described (push_state_*). The payloads are normalised in push-build.c.
 */
#include "config.h"
#include "push.h"
#include "push-int.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* --- the form ----------------------------------------------------------- */

/*
 * Decodes one urlencoded name or value, p[0..n) found at offset off of the
 * body, into a NUL-terminated copy (caller frees).
 */
static int
push_unescape(const char *p, size_t n, size_t off, char **out, size_t *outlen,
    char **cause)
{
	char	*s;
	size_t	 i, o = 0;
	int	 hi, lo;

	s = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '+')
			s[o++] = ' ';
		else if (p[i] != '%')
			s[o++] = p[i];
		else {
			if (n - i < 3 ||
			    (hi = hex_value((unsigned char)p[i + 1])) < 0 ||
			    (lo = hex_value((unsigned char)p[i + 2])) < 0) {
				xasprintf(cause, "form: offset %zu: '%%' is not "
				    "followed by two hex digits", off + i);
				free(s);
				return (-1);
			}
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	s[o] = '\0';
	*out = s;
	*outlen = o;
	return (0);
}

int
push_form_field(const char *body, size_t len, const char *name, char **value,
    size_t *vlen, char **cause)
{
	const char	*p, *end, *amp, *eq;
	char		*key;
	size_t		 klen, off;
	int		 found = 0, same;

	*value = NULL;
	*vlen = 0;
	for (p = body, end = body + len; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		off = (size_t)(p - body);
		if (amp == p)
			continue;	/* "a=1&&b=2" */
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (push_unescape(p, (size_t)(eq - p), off, &key, &klen,
		    cause) != 0)
			goto fail;
		if (!utf8_valid(key, klen)) {
			xasprintf(cause, "form: offset %zu: a field name is "
			    "not UTF-8", off);
			free(key);
			goto fail;
		}
		same = (klen == strlen(name) && strcmp(key, name) == 0);
		free(key);
		if (!same)
			continue;
		if (found) {
			xasprintf(cause, "form: offset %zu: field \"%s\" "
			    "given twice", off, name);
			goto fail;
		}
		found = 1;
		if (eq == amp)
			eq = amp - 1;	/* "packets" alone: empty value */
		if (push_unescape(eq + 1, (size_t)(amp - eq - 1),
		    (size_t)(eq + 1 - body), value, vlen, cause) != 0)
			goto fail;
	}
	return (found);
fail:
	free(*value);
	*value = NULL;
	*vlen = 0;
	return (-1);
}

/* --- times -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
push_days(int64_t y, int64_t m, int64_t d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* n decimal digits at *p as an int; -1 if they are not digits. */
static int
push_digits(const char **p, int n)
{
	int	 v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return (-1);
		v = v * 10 + (*(*p)++ - '0');
	}
	return (v);
}

double
push_parse_time(const char *s)
{
	const char	*p = s;
	double		 frac = 0, scale = 0.1, t;
	int		 y, mo, d, h, mi, sec, oh, om, sign;

	if (s == NULL)
		return (NAN);
	if ((y = push_digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = push_digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = push_digits(&p, 2)) < 1 || d > 31 ||
	    (*p != ' ' && *p != 'T') || *++p == '\0' ||
	    (h = push_digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = push_digits(&p, 2)) < 0 || mi > 59 || *p++ != ':' ||
	    (sec = push_digits(&p, 2)) < 0 || sec > 60)
		return (NAN);
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return (NAN);
		while (*p >= '0' && *p <= '9') {
			frac += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	t = (double)(push_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) +
	    frac;
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = (*p++ == '+') ? 1 : -1;
		if ((oh = push_digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' ||
		    (om = push_digits(&p, 2)) < 0 || om > 59)
			return (NAN);
		t -= sign * (oh * 3600 + om * 60);
	}
	return (*p == '\0' ? t : NAN);
}

/* --- packets ------------------------------------------------------------ */

/* The string under key, or -1 with *cause naming the packet and key. */
static int
push_envelope_str(const json_t *pk, size_t index, const char *event,
    const char *key, const char **out, char **cause)
{
	const json_t	*v;

	if ((v = json_object_get(pk, key)) == NULL) {
		xasprintf(cause, "packet %zu%s%s%s: key \"%s\": missing",
		    index, event != NULL ? " (" : "", event != NULL ? event :
		    "", event != NULL ? ")" : "", key);
		return (-1);
	}
	if (!json_is_string(v)) {
		xasprintf(cause, "packet %zu%s%s%s: key \"%s\": expected a "
		    "string, got %s", index, event != NULL ? " (" : "",
		    event != NULL ? event : "", event != NULL ? ")" : "", key,
		    push_word(v));
		return (-1);
	}
	*out = json_string_value(v);
	return (0);
}

/* Hex digest of the packet's canonical text. */
static void
push_digest(const json_t *pk, char out[PUSH_DIGEST_LEN])
{
	char		*s;
	size_t		 n;
	uint64_t	 h1, h2;

	if ((s = json_dumps(pk, JSON_SORT_KEYS|JSON_COMPACT)) == NULL)
		fatalx("push: json_dumps failed");
	n = strlen(s);
	h1 = fnv1a64(FNV1A64_INIT, s, n);
	h2 = fnv1a64(0x84222325cbf29ce4ULL, s, n);
	free(s);
	snprintf(out, PUSH_DIGEST_LEN, "%016" PRIx64 "%016" PRIx64, h1, h2);
}

/* Checks packet index's envelope and normalises its payload into p. */
static int
push_packet(const json_t *pk, size_t index, struct push_packet *p,
    char **cause)
{
	const char	*event, *ts, *started, *project;
	const json_t	*v;

	p->index = index;
	p->ev.number = p->ev.step = p->ev.log = -1;
	p->ev.time = p->ev.started = p->ev.eta = NAN;
	if (!json_is_object(pk)) {
		xasprintf(cause, "packet %zu: expected an object, got %s",
		    index, push_word(pk));
		return (-1);
	}
	if (push_envelope_str(pk, index, NULL, "event", &event, cause) != 0)
		return (-1);
	if (*event == '\0') {
		xasprintf(cause, "packet %zu: key \"event\": empty", index);
		return (-1);
	}
	if ((v = json_object_get(pk, "id")) == NULL || !json_is_integer(v)) {
		xasprintf(cause, "packet %zu (%s): key \"id\": %s%s", index,
		    event, v == NULL ? "missing" : "expected an integer, got ",
		    v == NULL ? "" : push_word(v));
		return (-1);
	}
	p->id = json_integer_value(v);
	if (push_envelope_str(pk, index, event, "timestamp", &ts,
	    cause) != 0 || push_envelope_str(pk, index, event, "started",
	    &started, cause) != 0 || push_envelope_str(pk, index, event,
	    "project", &project, cause) != 0)
		return (-1);
	p->time = push_parse_time(ts);
	if (isnan(p->time) || isnan(push_parse_time(started))) {
		xasprintf(cause, "packet %zu (%s): key \"%s\": not a time "
		    "\"YYYY-MM-DD HH:MM:SS[.ffffff]\"", index, event,
		    isnan(p->time) ? "timestamp" : "started");
		return (-1);
	}
	p->project = xstrdup(project);
	if ((v = json_object_get(pk, "payload")) == NULL ||
	    !json_is_object(v)) {
		xasprintf(cause, "packet %zu (%s): key \"payload\": %s%s",
		    index, event, v == NULL ? "missing" : "expected an object, "
		    "got ", v == NULL ? "" : push_word(v));
		return (-1);
	}
	push_digest(pk, p->digest);
	return (push_build_event(pk, event, index, p, cause));
}

int
push_parse_packets(const char *text, size_t len, struct push_request *req,
    char **cause)
{
	json_t		*root;
	json_error_t	 jerr;
	size_t		 i, n;

	memset(req, 0, sizeof *req);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		xasprintf(cause, "packets: invalid JSON at line %d column %d: "
		    "%s", jerr.line, jerr.column, jerr.text);
		return (-1);
	}
	if (!json_is_array(root)) {
		xasprintf(cause, "packets: expected an array, got %s",
		    push_word(root));
		json_decref(root);
		return (-1);
	}
	if ((n = json_array_size(root)) > PUSH_MAX_PACKETS) {
		xasprintf(cause, "packets: %zu packets, more than the %d "
		    "accepted in one request", n, PUSH_MAX_PACKETS);
		json_decref(root);
		return (-1);
	}
	if (n != 0)
		req->packets = xcalloc(n, sizeof *req->packets);
	for (i = 0; i < n; i++) {
		req->npackets++;
		if (push_packet(json_array_get(root, i), i, &req->packets[i],
		    cause) != 0) {
			json_decref(root);
			return (-1);
		}
	}
	json_decref(root);
	return (0);
}

int
push_parse(const char *body, size_t len, struct push_request *req,
    char **cause)
{
	char	*json;
	size_t	 jlen;
	int	 r;

	memset(req, 0, sizeof *req);
	if ((r = push_form_field(body, len, "packets", &json, &jlen,
	    cause)) < 0)
		return (-1);
	if (r == 0) {
		xasprintf(cause, "form: no \"packets\" field");
		return (-1);
	}
	r = push_parse_packets(json, jlen, req, cause);
	free(json);
	return (r);
}

void
push_request_free(struct push_request *req)
{
	size_t	 i;

	for (i = 0; i < req->npackets; i++) {
		event_free(&req->packets[i].ev);
		free(req->packets[i].project);
		free(req->packets[i].basedir);
	}
	free(req->packets);
	memset(req, 0, sizeof *req);
}

/* --- the state ------------------------------------------------------------ */

/* A step of a remembered build: its name and its logs' file names. */
struct push_step_names {
	char	*name;
	char	**files;
	size_t	 nfiles;
};

struct push_build_info {
	int64_t			 master_id;
	char			*builder;
	int64_t			 number;
	double			 started;
	struct push_step_names	*steps;
	size_t			 nsteps;
	TAILQ_ENTRY(push_build_info) entry;
};

struct push_builder_info {
	int64_t			 master_id;
	char			*name;
	char			*basedir;
	TAILQ_ENTRY(push_builder_info) entry;
};

struct push_state {
	TAILQ_HEAD(, push_build_info)	 builds;
	size_t				 nbuilds;
	TAILQ_HEAD(, push_builder_info)	 builders;
	size_t				 nbuilders;
};

struct push_state *
push_state_new(void)
{
	struct push_state	*st;

	st = xcalloc(1, sizeof *st);
	TAILQ_INIT(&st->builds);
	TAILQ_INIT(&st->builders);
	return (st);
}

static void
push_step_names_clear(struct push_step_names *sn)
{
	size_t	 i;

	for (i = 0; i < sn->nfiles; i++)
		free(sn->files[i]);
	free(sn->files);
	free(sn->name);
	memset(sn, 0, sizeof *sn);
}

static void
push_build_info_free(struct push_state *st, struct push_build_info *b)
{
	size_t	 i;

	TAILQ_REMOVE(&st->builds, b, entry);
	st->nbuilds--;
	for (i = 0; i < b->nsteps; i++)
		push_step_names_clear(&b->steps[i]);
	free(b->steps);
	free(b->builder);
	free(b);
}

void
push_state_clear(struct push_state *st)
{
	struct push_builder_info	*br;

	while (!TAILQ_EMPTY(&st->builds))
		push_build_info_free(st, TAILQ_FIRST(&st->builds));
	while ((br = TAILQ_FIRST(&st->builders)) != NULL) {
		TAILQ_REMOVE(&st->builders, br, entry);
		free(br->name);
		free(br->basedir);
		free(br);
	}
	st->nbuilders = 0;
}

void
push_state_free(struct push_state *st)
{
	if (st == NULL)
		return;
	push_state_clear(st);
	free(st);
}

static struct push_build_info *
push_build_find(struct push_state *st, int64_t master_id, const char *builder,
    int64_t number)
{
	struct push_build_info	*b;

	if (builder == NULL)
		return (NULL);
	TAILQ_FOREACH(b, &st->builds, entry) {
		if (b->master_id == master_id && b->number == number &&
		    strcmp(b->builder, builder) == 0)
			return (b);
	}
	return (NULL);
}

/* The build's entry, made (the oldest forgotten beyond the cap) if new. */
static struct push_build_info *
push_build_add(struct push_state *st, int64_t master_id, const char *builder,
    int64_t number, double started)
{
	struct push_build_info	*b;

	if ((b = push_build_find(st, master_id, builder, number)) != NULL) {
		if (!isnan(started) && b->started != started) {
			/* Another build of that number: a new start. */
			push_build_info_free(st, b);
			b = NULL;
		} else
			return (b);
	}
	if (st->nbuilds >= PUSH_STATE_BUILDS)
		push_build_info_free(st, TAILQ_FIRST(&st->builds));
	b = xcalloc(1, sizeof *b);
	b->master_id = master_id;
	b->builder = xstrdup(builder);
	b->number = number;
	b->started = started;
	TAILQ_INSERT_TAIL(&st->builds, b, entry);
	st->nbuilds++;
	return (b);
}

/* Sets what b knows of step index from a step record. */
static void
push_build_step(struct push_build_info *b, size_t index,
    const struct bbm_step *rec)
{
	struct push_step_names	*sn;
	size_t			 i;

	if (index > 10000)
		return;
	if (index >= b->nsteps) {
		b->steps = xreallocarray(b->steps, index + 1,
		    sizeof *b->steps);
		memset(b->steps + b->nsteps, 0, (index + 1 - b->nsteps) *
		    sizeof *b->steps);
		b->nsteps = index + 1;
	}
	sn = &b->steps[index];
	push_step_names_clear(sn);
	if (rec->name != NULL)
		sn->name = xstrdup(rec->name);
	if (rec->nlogs != 0)
		sn->files = xcalloc(rec->nlogs, sizeof *sn->files);
	for (i = 0; i < rec->nlogs; i++) {
		if (rec->logs[i].filename != NULL)
			sn->files[sn->nfiles++] =
			    xstrdup(rec->logs[i].filename);
	}
}

static int
push_is_step_event(const struct bbm_event *ev)
{
	switch (ev->type) {
	case EVENT_STEP_STARTED:
	case EVENT_STEP_FINISHED:
	case EVENT_STEP_TEXT:
	case EVENT_STEP_TEXT2:
		return (ev->step_rec != NULL);
	default:
		return (0);
	}
}

int
push_state_resolve(struct push_state *st, int64_t master_id,
    struct bbm_event *ev)
{
	struct push_build_info	*b;
	struct bbm_step		*rec = ev->step_rec;
	char			**taken = NULL;
	size_t			 i, j, ntaken = 0, cap = 0;

	if (!push_is_step_event(ev))
		return (1);
	if ((b = push_build_find(st, master_id, ev->builder,
	    ev->number)) == NULL)
		return (0);
	ev->started = b->started;
	/* step_number 0 is dropped by FilterOut, and 0.8.1 has none. */
	if (ev->step == 0 && rec->name != NULL) {
		for (i = 0; i < b->nsteps; i++) {
			if (b->steps[i].name != NULL &&
			    strcmp(b->steps[i].name, rec->name) == 0) {
				ev->step = (int64_t)i;
				rec->number = (int64_t)i;
				break;
			}
		}
	}
	/* The logs of the steps before this one were there first. */
	for (i = 0; i < b->nsteps && i < (size_t)ev->step; i++)
		cap += b->steps[i].nfiles;
	cap += rec->nlogs;
	if (cap != 0)
		taken = xcalloc(cap, sizeof *taken);
	for (i = 0; i < b->nsteps && i < (size_t)ev->step; i++) {
		for (j = 0; j < b->steps[i].nfiles; j++)
			taken[ntaken++] = b->steps[i].files[j];
	}
	for (i = 0; i < rec->nlogs; i++) {
		if (rec->logs[i].name == NULL)
			continue;
		free(rec->logs[i].filename);
		rec->logs[i].filename = push_log_filename(ev->number,
		    rec->name != NULL ? rec->name : "", rec->logs[i].name,
		    taken, ntaken);
		taken[ntaken++] = rec->logs[i].filename;
	}
	free(taken);
	return (1);
}

void
push_state_started(struct push_state *st, int64_t master_id,
    const char *builder, int64_t number, double started)
{
	push_build_add(st, master_id, builder, number, started);
}

/* Sets the basedir of a builder (the oldest forgotten beyond the cap). */
static void
push_state_builder(struct push_state *st, int64_t master_id,
    const char *name, const char *basedir)
{
	struct push_builder_info	*br;

	TAILQ_FOREACH(br, &st->builders, entry) {
		if (br->master_id == master_id && strcmp(br->name, name) == 0)
			break;
	}
	if (br == NULL) {
		if (st->nbuilders >= PUSH_STATE_BUILDS) {
			br = TAILQ_FIRST(&st->builders);
			TAILQ_REMOVE(&st->builders, br, entry);
			free(br->name);
			free(br->basedir);
			free(br);
			st->nbuilders--;
		}
		br = xcalloc(1, sizeof *br);
		br->master_id = master_id;
		br->name = xstrdup(name);
		TAILQ_INSERT_TAIL(&st->builders, br, entry);
		st->nbuilders++;
	}
	free(br->basedir);
	br->basedir = basedir != NULL ? xstrdup(basedir) : NULL;
}

void
push_state_update(struct push_state *st, int64_t master_id,
    const struct bbm_event *ev, const char *basedir)
{
	struct push_build_info	*b;
	size_t			 i;

	switch (ev->type) {
	case EVENT_BUILDER_ADDED:
		if (ev->builder != NULL)
			push_state_builder(st, master_id, ev->builder, basedir);
		break;
	case EVENT_BUILD_STARTED:
		if (ev->build == NULL || ev->builder == NULL)
			break;
		b = push_build_add(st, master_id, ev->builder,
		    ev->build->number, ev->build->started_at);
		b->started = ev->build->started_at;
		for (i = 0; i < ev->build->nsteps; i++)
			push_build_step(b, i, &ev->build->steps[i]);
		break;
	case EVENT_BUILD_FINISHED:
		if (ev->build != NULL && (b = push_build_find(st, master_id,
		    ev->builder, ev->build->number)) != NULL)
			push_build_info_free(st, b);
		break;
	default:
		if (!push_is_step_event(ev) || ev->step < 0 ||
		    (b = push_build_find(st, master_id, ev->builder,
		    ev->number)) == NULL)
			break;
		push_build_step(b, (size_t)ev->step, ev->step_rec);
		break;
	}
}

const char *
push_state_basedir(struct push_state *st, int64_t master_id,
    const char *builder)
{
	struct push_builder_info	*br;

	TAILQ_FOREACH(br, &st->builders, entry) {
		if (br->master_id == master_id &&
		    strcmp(br->name, builder) == 0)
			return (br->basedir);
	}
	return (NULL);
}
