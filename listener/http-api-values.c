/*
 * http-api-values.c: values in and out of the JSON API (doc/api.md): query
 * parameters parsed into ids, times, results, flags, limits and cursors
 * (any other value stays a string, only ever bound), and columns turned
 * into JSON values.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http-api-int.h"

/* Spec section 4: the result codes' names. */
static const char *const api_results[] = {
	"success", "warnings", "failure", "skipped", "exception", "retry",
	"cancelled",
};

/* --- columns to JSON --------------------------------------------------- */

/* A string; text that is not UTF-8 (never written so) is read as Latin-1. */
static json_t *
api_string(const char *s)
{
	json_t	*j;
	char	*u;

	if ((j = json_string(s)) == NULL) {
		u = utf8_from_bytes(s, strlen(s), NULL);
		if ((j = json_string(u)) == NULL)
			j = json_null();
		free(u);
	}
	return (j);
}

json_t *
api_col_text(struct query_stmt *st, int col)
{
	const char	*s;

	if ((s = query_column_text(st, col)) == NULL)
		return (json_null());
	return (api_string(s));
}

json_t *
api_col_int(struct query_stmt *st, int col)
{
	if (query_column_is_null(st, col))
		return (json_null());
	return (json_integer(query_column_int64(st, col)));
}

json_t *
api_col_bool(struct query_stmt *st, int col)
{
	if (query_column_is_null(st, col))
		return (json_null());
	return (json_boolean(query_column_int64(st, col) != 0));
}

json_t *
api_col_time(struct query_stmt *st, int col)
{
	json_t	*j;

	if (query_column_is_null(st, col))
		return (json_null());
	if ((j = json_real(query_column_double(st, col))) == NULL)
		j = json_null();
	return (j);
}

/*
 * The schema's JSON columns hold JSON text (lib/record.c writes it); a
 * value that does not parse (never written so) is given as a string rather
 * than lost.
 */
json_t *
api_col_json(struct query_stmt *st, int col)
{
	const char	*s;
	json_t		*j;
	json_error_t	 error;

	if ((s = query_column_text(st, col)) == NULL)
		return (json_null());
	if ((j = json_loads(s, JSON_DECODE_ANY, &error)) == NULL)
		j = api_string(s);
	return (j);
}

json_t *
api_col_result(struct query_stmt *st, int col)
{
	int64_t	 r;

	if (query_column_is_null(st, col))
		return (json_null());
	r = query_column_int64(st, col);
	if (r < 0 || (size_t)r >= nitems(api_results))
		return (json_null());
	return (json_string(api_results[r]));
}

json_t *
api_url(const char *kind, int64_t id)
{
	if (kind == NULL)
		return (json_sprintf("/logs/%lld", (long long)id));
	return (json_sprintf("/api/v1/%s/%lld", kind, (long long)id));
}

void
api_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		value = json_null();
	json_object_set_new(obj, key, value);
}

/* --- parameters -------------------------------------------------------- */

int
api_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char	*p = s;
	int64_t		 v = 0;
	int		 neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p == '\0' || strlen(p) > 18)
		return (-1);
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
api_arg_id(struct api *a, const char *name, int64_t *out)
{
	const char	*s;
	char		*q;

	if ((s = http_arg(a->req, name)) == NULL)
		return (0);
	if (api_parse_int(s, 1, INT64_MAX, out) != 0) {
		q = api_quote(s);
		api_fail(a, 400, "bad_request", "%s: expected an id (a "
		    "positive integer), got \"%s\"", name, q);
		free(q);
		return (-1);
	}
	return (1);
}

int
api_arg_ref(struct api *a, const char *name, int64_t *id, const char **str)
{
	const char	*s;

	*str = NULL;
	*id = 0;
	if ((s = http_arg(a->req, name)) == NULL)
		return (0);
	if (strspn(s, "0123456789") == strlen(s))
		return (api_arg_id(a, name, id));
	*str = s;
	return (1);
}

int
api_arg_text(struct api *a, const char *name, const char **out)
{
	return ((*out = http_arg(a->req, name)) != NULL);
}

int
api_arg_bool(struct api *a, const char *name, int *out)
{
	const char	*s;
	char		*q;

	if ((s = http_arg(a->req, name)) == NULL)
		return (0);
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*out = 0;
	else {
		q = api_quote(s);
		api_fail(a, 400, "bad_request", "%s: expected 1, 0, true or "
		    "false, got \"%s\"", name, q);
		free(q);
		return (-1);
	}
	return (1);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t
api_days(int64_t y, int64_t m, int64_t d)
{
	int64_t	 era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return (era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy -
	    719468);
}

/* n digits at *p as a number (advancing *p), or -1. */
static int64_t
api_digits(const char **p, int n)
{
	int64_t	 v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return (-1);
		v = v * 10 + (*(*p)++ - '0');
	}
	return (v);
}

/*
 * ISO 8601 in UTC: YYYY-MM-DD, optionally followed by T (or a space)
 * HH:MM[:SS[.fraction]] and Z or an offset +HH:MM / -HH:MM; no offset is
 * UTC. 0 or -1.
 */
static int
api_parse_iso(const char *s, double *out)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				     30, 31, 30, 31 };
	const char		*p = s;
	int64_t			 y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	double			 frac = 0, scale = 0.1;
	int			 sign;

	if ((y = api_digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = api_digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = api_digits(&p, 2)) < 1 || d > mdays[mo - 1])
		return (-1);
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return (-1);
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = api_digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
		    (mi = api_digits(&p, 2)) < 0 || mi > 59)
			return (-1);
		if (*p == ':') {
			p++;
			if ((sec = api_digits(&p, 2)) < 0 || sec > 59)
				return (-1);
			if (*p == '.') {
				if (!isdigit((unsigned char)*++p))
					return (-1);
				for (; isdigit((unsigned char)*p); p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if ((oh = api_digits(&p, 2)) < 0 || oh > 23)
				return (-1);
			if (*p == ':')
				p++;
			if ((om = api_digits(&p, 2)) < 0 || om > 59)
				return (-1);
			h -= sign * oh;
			mi -= sign * om;
		}
	}
	if (*p != '\0')
		return (-1);
	*out = (double)(api_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec) + frac;
	return (0);
}

int
api_arg_time(struct api *a, const char *name, double *out)
{
	const char	*s, *p;
	char		*q;

	if ((s = http_arg(a->req, name)) == NULL)
		return (0);
	/* Epoch seconds: digits, an optional fraction; strtod only then. */
	p = s + strspn(s, "0123456789");
	if (p != s && *p != '-' && strlen(s) <= 24) {
		if (*p == '.' && isdigit((unsigned char)p[1]))
			p += 1 + strspn(p + 1, "0123456789");
		if (*p == '\0') {
			errno = 0;
			*out = strtod(s, NULL);
			if (errno == 0 && *out < API_TIME_MAX)
				return (1);
		}
	} else if (strlen(s) <= 40 && api_parse_iso(s, out) == 0 &&
	    *out >= 0 && *out < API_TIME_MAX)
		return (1);
	q = api_quote(s);
	api_fail(a, 400, "bad_request", "%s: expected epoch seconds or an "
	    "ISO 8601 time (2024-01-31T12:00:00Z) from 1970 to 9999, got "
	    "\"%s\"", name, q);
	free(q);
	return (-1);
}

int
api_arg_result(struct api *a, const char *name, int64_t *out)
{
	const char	*s;
	char		*q;
	size_t		 i;

	if ((s = http_arg(a->req, name)) == NULL)
		return (0);
	for (i = 0; i < nitems(api_results); i++) {
		if (strcmp(s, api_results[i]) == 0) {
			*out = (int64_t)i;
			return (1);
		}
	}
	if (api_parse_int(s, 0, INT32_MAX, out) == 0)
		return (1);
	q = api_quote(s);
	api_fail(a, 400, "bad_request", "%s: expected a result name (success, "
	    "warnings, failure, skipped, exception, retry, cancelled) or a "
	    "code, got \"%s\"", name, q);
	free(q);
	return (-1);
}

int
api_arg_limit(struct api *a, int64_t *out)
{
	const char	*s;
	char		*q;

	*out = API_LIMIT_DEFAULT;
	if ((s = http_arg(a->req, "limit")) == NULL)
		return (0);
	if (api_parse_int(s, 1, API_LIMIT_MAX, out) == 0)
		return (1);
	if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 30 &&
	    strspn(s, "0") != strlen(s))
		api_fail(a, 400, "bad_request", "limit: %s is over the maximum "
		    "%d", s, API_LIMIT_MAX);
	else {
		q = api_quote(s);
		api_fail(a, 400, "bad_request", "limit: expected a number from "
		    "1 to %d, got \"%s\"", API_LIMIT_MAX, q);
		free(q);
	}
	return (-1);
}

/*
 * Cursors are "T.ID.CHECK": T the time's IEEE 754 bits in 16 hex digits
 * (exact, so the keyset compares equal) or "n" for NULL, ID the row id,
 * CHECK 8 hex digits of a digest of kind and the rest, so that a cursor of
 * another list or a mistyped one is refused instead of misread.
 */
static uint32_t
api_cursor_check(const char *kind, const char *body, size_t len)
{
	uint64_t	 h;

	h = fnv1a64(FNV1A64_INIT, kind, strlen(kind));
	h = fnv1a64(h, ":", 1);
	return ((uint32_t)fnv1a64(h, body, len));
}

char *
api_cursor_make(const char *kind, int has_t, double t, int64_t id)
{
	uint64_t	 bits;
	char		*body, *out;

	if (has_t) {
		memcpy(&bits, &t, sizeof bits);
		xasprintf(&body, "%016llx.%lld", (unsigned long long)bits,
		    (long long)id);
	} else
		xasprintf(&body, "n.%lld", (long long)id);
	xasprintf(&out, "%s.%08x", body, api_cursor_check(kind, body,
	    strlen(body)));
	free(body);
	return (out);
}

int
api_arg_cursor(struct api *a, const char *kind, struct api_cursor *c)
{
	const char	*s, *dot, *end;
	char		*q, tbuf[17], idbuf[20];
	uint64_t	 bits;
	unsigned long	 check;
	size_t		 tlen;

	memset(c, 0, sizeof *c);
	if ((s = http_arg(a->req, "cursor")) == NULL)
		return (0);
	if ((dot = strchr(s, '.')) == NULL ||
	    (end = strrchr(s, '.')) == dot)
		goto bad;
	tlen = dot - s;
	if (strlen(end + 1) != 8 || strspn(end + 1, "0123456789abcdef") != 8)
		goto bad;
	check = strtoul(end + 1, NULL, 16);
	if (check != api_cursor_check(kind, s, end - s))
		goto bad;
	if ((size_t)(end - dot - 1) >= sizeof idbuf)
		goto bad;
	memcpy(idbuf, dot + 1, end - dot - 1);
	idbuf[end - dot - 1] = '\0';
	if (api_parse_int(idbuf, 1, INT64_MAX, &c->id) != 0)
		goto bad;
	if (tlen == 1 && s[0] == 'n')
		c->has_t = 0;
	else if (tlen == 16 && strspn(s, "0123456789abcdef") >= 16) {
		memcpy(tbuf, s, 16);
		tbuf[16] = '\0';
		bits = strtoull(tbuf, NULL, 16);
		memcpy(&c->t, &bits, sizeof c->t);
		if (!isfinite(c->t))
			goto bad;
		c->has_t = 1;
	} else
		goto bad;
	c->set = 1;
	return (1);

bad:
	q = api_quote(s);
	api_fail(a, 400, "bad_request", "cursor: \"%s\" is not a cursor of "
	    "this list (pass the \"next\" value of the previous page)", q);
	free(q);
	return (-1);
}
