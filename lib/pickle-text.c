/*
 * pickle-text.c: parsing of the text and numbers inside pickle opcodes.
 *
 * Protocol 0 writes strings as repr() text (STRING with string-escape,
 * UNICODE with raw-unicode-escape) and numbers as decimal text; protocols
 * 1 and 2 write counted UTF-8 (BINUNICODE), IEEE doubles and integers of
 * any width in two's complement. The handlers here turn those payloads
 * into scalar nodes, converting big integers to decimal text, and push
 * them on the machine's stack.
 */
#include "config.h"
#include "pickle.h"
#include "pickle-int.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

/*
 * Integers wider than this are refused: turning binary into decimal is
 * quadratic, and no real status pickle holds anything near it (CPython
 * itself refuses int/str conversions beyond 4300 digits since 3.11).
 */
#define PICKLE_LONG_MAX_BYTES		8192
#define PICKLE_LONG_MAX_DIGITS		20000

/* Longest FLOAT text accepted (repr() of a double is at most 24 bytes). */
#define PICKLE_FLOAT_MAX_TEXT		256


static int
pickle_is_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v');
}

/*
 * An INT or LONG node for the decimal digits d[0..n) (validated by the
 * caller) with sign neg: INT when it fits in int64_t, else LONG text.
 */
static struct pickle_value *
pickle_int_digits(struct pickle_state *st, int neg, const char *d, size_t n)
{
	struct pickle_value	*v;
	uint64_t		 u = 0;
	size_t			 i;
	char			*s;

	while (n > 1 && d[0] == '0') {
		d++;
		n--;
	}
	if (n <= 19) {
		/* 19 digits always fit in a uint64_t. */
		for (i = 0; i < n; i++)
			u = u * 10 + (uint64_t)(d[i] - '0');
		if (!neg && u <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)u));
		if (neg && u <= (uint64_t)INT64_MAX + 1) {
			return (pickle_new_int(st, PICKLE_INT,
			    u == 0 ? 0 : -(int64_t)(u - 1) - 1));
		}
	}
	if (n > PICKLE_LONG_MAX_DIGITS) {
		pickle_fail(st, "integer of %zu digits is too large", n);
		return (NULL);
	}
	if ((v = pickle_new(st, PICKLE_LONG)) == NULL)
		return (NULL);
	if ((s = pickle_alloc(st, n + 2)) == NULL)
		return (NULL);
	i = 0;
	if (neg)
		s[i++] = '-';
	memcpy(s + i, d, n);
	i += n;
	s[i] = '\0';
	v->u.str.ptr = s;
	v->u.str.len = i;
	return (v);
}

/*
 * An INT or LONG node for the magnitude limbs[0..n) (base 2^32, least
 * significant first) and sign neg. The limbs are destroyed.
 */
static struct pickle_value *
pickle_int_limbs(struct pickle_state *st, int neg, uint32_t *limbs, size_t n)
{
	struct pickle_value	*v;
	uint32_t		*groups;
	uint64_t		 m, cur, rem;
	size_t			 ng, i, o, size;
	char			*s;
	int			 w;

	while (n > 0 && limbs[n - 1] == 0)
		n--;
	if (n <= 2) {
		m = (n > 0 ? limbs[0] : 0) | (n > 1 ? (uint64_t)limbs[1] << 32 :
		    0);
		if (!neg && m <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)m));
		if (neg && m <= (uint64_t)INT64_MAX + 1) {
			return (pickle_new_int(st, PICKLE_INT,
			    m == 0 ? 0 : -(int64_t)(m - 1) - 1));
		}
	}

	/* Base 10^9 digits, least significant first: 32 bits < 10 digits. */
	groups = xreallocarray(NULL, n * 10 / 9 + 2, sizeof *groups);
	ng = 0;
	while (n > 0) {
		rem = 0;
		for (i = n; i-- > 0;) {
			cur = (rem << 32) | limbs[i];
			limbs[i] = (uint32_t)(cur / 1000000000);
			rem = cur % 1000000000;
		}
		groups[ng++] = (uint32_t)rem;
		while (n > 0 && limbs[n - 1] == 0)
			n--;
	}

	size = ng * 9 + 2;
	if ((v = pickle_new(st, PICKLE_LONG)) == NULL ||
	    (s = pickle_alloc(st, size)) == NULL) {
		free(groups);
		return (NULL);
	}
	o = 0;
	if (neg)
		s[o++] = '-';
	w = snprintf(s + o, size - o, "%u", groups[ng - 1]);
	o += (size_t)w;
	for (i = ng - 1; i-- > 0;) {
		w = snprintf(s + o, size - o, "%09u", groups[i]);
		o += (size_t)w;
	}
	free(groups);
	pickle_trim(st, s, size, o + 1);
	v->u.str.ptr = s;
	v->u.str.len = o;
	return (v);
}

/* The integer stored as n bytes of little-endian two's complement. */
static struct pickle_value *
pickle_int_bytes(struct pickle_state *st, const unsigned char *p, size_t n)
{
	struct pickle_value	*v;
	uint32_t		*limbs;
	uint64_t		 u = 0;
	size_t			 i, k;
	unsigned int		 b, carry, ext;
	int			 neg;

	if (n == 0)
		return (pickle_new_int(st, PICKLE_INT, 0));
	neg = (p[n - 1] & 0x80) != 0;
	ext = neg ? 0xff : 0;

	/* Fast path: the value fits in int64_t after sign extension. */
	k = (n < 8) ? n : 8;
	for (i = k; i < n; i++) {
		if (p[i] != ext)
			break;
	}
	if (i == n && (n <= 8 || (p[7] & 0x80) == (ext & 0x80))) {
		for (i = 0; i < 8; i++)
			u |= (uint64_t)(i < k ? p[i] : ext) << (8 * i);
		if (u <= INT64_MAX)
			return (pickle_new_int(st, PICKLE_INT, (int64_t)u));
		return (pickle_new_int(st, PICKLE_INT,
		    -(int64_t)(~u) - 1));
	}

	limbs = xcalloc((n + 3) / 4, sizeof *limbs);
	carry = 1;
	for (i = 0; i < n; i++) {
		b = p[i];
		if (neg) {
			b = (~b & 0xff) + carry;
			carry = b >> 8;
			b &= 0xff;
		}
		limbs[i / 4] |= (uint32_t)b << (8 * (i % 4));
	}
	v = pickle_int_limbs(st, neg, limbs, (n + 3) / 4);
	free(limbs);
	return (v);
}

/*
 * Integer text as Python 2 int()/long(s, 0) reads it: blanks, a sign,
 * then decimal digits; with prefixed, non-decimal bases accepted only
 * when the caller allows them (LONG does, INT does not).
 */
static struct pickle_value *
pickle_int_text(struct pickle_state *st, const char *p, size_t len,
    int anybase)
{
	struct pickle_value	*v;
	uint32_t		*limbs;
	uint64_t		 cur;
	size_t			 i, n, nl, k;
	int			 neg = 0, base = 10, dv;

	while (len > 0 && pickle_is_blank((unsigned char)p[0])) {
		p++;
		len--;
	}
	while (len > 0 && pickle_is_blank((unsigned char)p[len - 1]))
		len--;
	if (len > 0 && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		p++;
		len--;
	}
	if (anybase && len >= 2 && p[0] == '0') {
		if (p[1] == 'x' || p[1] == 'X')
			base = 16;
		else if (p[1] == 'o' || p[1] == 'O')
			base = 8;
		else if (p[1] == 'b' || p[1] == 'B')
			base = 2;
		if (base != 10) {
			p += 2;
			len -= 2;
		} else {
			/* Python 2 reads a leading 0 as octal. */
			base = 8;
			p++;
			len--;
		}
	}
	if (len == 0 && base != 8)
		goto bad;
	for (i = 0; i < len; i++) {
		dv = hex_value((unsigned char)p[i]);
		if (dv < 0 || dv >= base)
			goto bad;
	}
	if (base == 10)
		return (pickle_int_digits(st, neg, p, len));

	while (len > 0 && p[0] == '0') {
		p++;
		len--;
	}
	if (len > PICKLE_LONG_MAX_DIGITS) {
		pickle_fail(st, "integer of %zu digits is too large", len);
		return (NULL);
	}
	/* Every digit adds at most 4 bits. */
	nl = len / 8 + 2;
	limbs = xcalloc(nl, sizeof *limbs);
	n = 0;
	for (i = 0; i < len; i++) {
		cur = (uint64_t)hex_value((unsigned char)p[i]);
		for (k = 0; k < n; k++) {
			cur += (uint64_t)limbs[k] * (uint64_t)base;
			limbs[k] = (uint32_t)cur;
			cur >>= 32;
		}
		if (cur != 0)
			limbs[n++] = (uint32_t)cur;
	}
	v = pickle_int_limbs(st, neg, limbs, n);
	free(limbs);
	return (v);

bad:
	pickle_fail(st, "invalid integer text");
	return (NULL);
}

/* Appends code point cp to out as UTF-8; surrogates get 3 bytes. */
static size_t
pickle_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/* Reads four hex digits at p (n available) into *cp. */
static int
pickle_hex4(const char *p, size_t n, uint32_t *cp)
{
	size_t	 i;
	int	 dv;

	if (n < 4)
		return (-1);
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((dv = hex_value((unsigned char)p[i])) < 0)
			return (-1);
		*cp = (*cp << 4) | (uint32_t)dv;
	}
	return (0);
}

/*
 * STRING: Python 2 repr() of a str, quoted with ' or ", decoded with the
 * string-escape rules (unknown escapes are kept with their backslash).
 */
int
pickle_op_string(struct pickle_state *st)
{
	struct pickle_value	*v;
	const char		*p;
	size_t			 len, i, o;
	char			*out;
	int			 c, dv, k;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Like cPickle: trailing blanks and control bytes are ignored. */
	while (len > 0 && (unsigned char)p[len - 1] <= ' ')
		len--;
	if (len < 2 || (p[0] != '\'' && p[0] != '"') || p[len - 1] != p[0])
		return (pickle_fail(st, "string is not quoted"));
	p++;
	len -= 2;

	if ((v = pickle_new(st, PICKLE_BYTES)) == NULL ||
	    (out = pickle_alloc(st, len + 1)) == NULL)
		return (-1);
	for (i = o = 0; i < len;) {
		c = (unsigned char)p[i++];
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		if (i == len)
			return (pickle_fail(st, "trailing \\ in string"));
		c = (unsigned char)p[i++];
		switch (c) {
		case '\\':
		case '\'':
		case '"':
			out[o++] = (char)c;
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'a':
			out[o++] = '\a';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'v':
			out[o++] = '\v';
			break;
		case 'x':
			if (len - i < 2 ||
			    hex_value((unsigned char)p[i]) < 0 ||
			    hex_value((unsigned char)p[i + 1]) < 0)
				return (pickle_fail(st, "invalid \\x escape"));
			out[o++] = (char)(hex_value((unsigned char)p[i]) *
			    16 + hex_value((unsigned char)p[i + 1]));
			i += 2;
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			/* Up to three octal digits; Python keeps 8 bits. */
			dv = c - '0';
			for (k = 0; k < 2 && i < len && p[i] >= '0' &&
			    p[i] <= '7'; k++)
				dv = dv * 8 + (p[i++] - '0');
			out[o++] = (char)(dv & 0xff);
			break;
		default:
			out[o++] = '\\';
			out[o++] = (char)c;
			break;
		}
	}
	out[o] = '\0';
	pickle_trim(st, out, len + 1, o + 1);
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (pickle_push(st, v));
}

/*
 * UNICODE: raw-unicode-escape text. Only \uXXXX and \UXXXXXXXX after an
 * odd run of backslashes are escapes; every other byte is a Latin-1 code
 * point. A \u surrogate pair is joined into one code point; lone
 * surrogates are kept (3-byte UTF-8, as Python 2 would write them).
 */
int
pickle_op_unicode(struct pickle_state *st)
{
	struct pickle_value	*v;
	const char		*p;
	size_t			 len, i, j, o, run, k, cnt;
	uint32_t		 cp, lo;
	char			*out;
	int			 dv;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Each input byte yields at most two output bytes. */
	if (len > (SIZE_MAX - 1) / 2)
		return (pickle_fail(st, "string too long"));
	if ((v = pickle_new(st, PICKLE_UNICODE)) == NULL ||
	    (out = pickle_alloc(st, 2 * len + 1)) == NULL)
		return (-1);
	for (i = o = 0; i < len;) {
		if (p[i] != '\\') {
			o += pickle_put_utf8(out + o, (unsigned char)p[i]);
			i++;
			continue;
		}
		for (j = i; j < len && p[j] == '\\'; j++)
			;
		run = j - i;
		if ((run & 1) == 0 || j == len ||
		    (p[j] != 'u' && p[j] != 'U')) {
			memset(out + o, '\\', run);
			o += run;
			i = j;
			continue;
		}
		memset(out + o, '\\', run - 1);
		o += run - 1;
		cnt = (p[j] == 'u') ? 4 : 8;
		i = j + 1;
		if (len - i < cnt)
			return (pickle_fail(st, "truncated \\%c escape", p[j]));
		cp = 0;
		for (k = 0; k < cnt; k++) {
			if ((dv = hex_value((unsigned char)p[i + k])) < 0) {
				return (pickle_fail(st, "invalid \\%c escape",
				    p[j]));
			}
			cp = (cp << 4) | (uint32_t)dv;
		}
		i += cnt;
		if (cp > 0x10ffff)
			return (pickle_fail(st, "\\U escape out of range"));
		if (cp >= 0xd800 && cp <= 0xdbff && len - i >= 6 &&
		    p[i] == '\\' && p[i + 1] == 'u' &&
		    pickle_hex4(p + i + 2, len - i - 2, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		o += pickle_put_utf8(out + o, cp);
	}
	out[o] = '\0';
	pickle_trim(st, out, 2 * len + 1, o + 1);
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (pickle_push(st, v));
}

/*
 * BINUNICODE payload: UTF-8 as Python 2 wrote it. Encoded surrogates are
 * kept; any other invalid byte becomes U+FFFD so the result stays UTF-8.
 */
static struct pickle_value *
pickle_new_utf8(struct pickle_state *st, const unsigned char *p, size_t len)
{
	struct pickle_value	*v;
	size_t			 i, n, size, o;
	char			*out;

	size = 0;
	for (i = 0; i < len; i += n) {
		if ((n = utf8_seq(p + i, len - i, 1)) == 0) {
			n = 1;
			size += 3;
		} else
			size += n;
	}
	if (size == len)
		return (pickle_new_str(st, PICKLE_UNICODE, p, len));

	if ((v = pickle_new(st, PICKLE_UNICODE)) == NULL ||
	    (out = pickle_alloc(st, size + 1)) == NULL)
		return (NULL);
	for (i = o = 0; i < len; i += n) {
		if ((n = utf8_seq(p + i, len - i, 1)) == 0) {
			n = 1;
			o += pickle_put_utf8(out + o, 0xfffd);
		} else {
			memcpy(out + o, p + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	v->u.str.ptr = out;
	v->u.str.len = o;
	return (v);
}

/* Reads a 4-byte length that Python 2 treats as signed. */
static int
pickle_read_len4(struct pickle_state *st, size_t *n)
{
	const unsigned char	*p;
	uint32_t		 u;

	if (pickle_read(st, 4, &p) != 0)
		return (-1);
	u = pickle_le32(p);
	if (u > INT32_MAX) {
		pickle_fail(st, "negative length %lld",
		    (long long)u - 0x100000000LL);
		return (-1);
	}
	*n = u;
	return (0);
}

int
pickle_op_float(struct pickle_state *st)
{
	const char	*p;
	char		 tmp[PICKLE_FLOAT_MAX_TEXT + 1], *end;
	size_t		 len;
	double		 d;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	if (len == 0 || len > PICKLE_FLOAT_MAX_TEXT ||
	    memchr(p, '\0', len) != NULL)
		return (pickle_fail(st, "invalid float text"));
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	/* repr() always writes '.', whatever the caller's locale says. */
	if (st->c_locale == (locale_t)0) {
		st->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
		if (st->c_locale == (locale_t)0)
			return (pickle_fail(st, "cannot create the C locale"));
	}
	d = strtod_l(tmp, &end, st->c_locale);
	while (end != tmp && pickle_is_blank((unsigned char)*end))
		end++;
	if (end == tmp || end != tmp + len)
		return (pickle_fail(st, "invalid float text"));
	if (pickle_push(st, pickle_new(st, PICKLE_FLOAT)) != 0)
		return (-1);
	st->stack[st->nstack - 1]->u.f = d;
	return (0);
}

int
pickle_op_binfloat(struct pickle_state *st)
{
	const unsigned char	*p;
	uint64_t		 u = 0;
	double			 d;
	int			 i;

	if (pickle_read(st, 8, &p) != 0)
		return (-1);
	for (i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	memcpy(&d, &u, sizeof d);
	if (pickle_push(st, pickle_new(st, PICKLE_FLOAT)) != 0)
		return (-1);
	st->stack[st->nstack - 1]->u.f = d;
	return (0);
}

int
pickle_op_int(struct pickle_state *st)
{
	const char	*p;
	size_t		 len;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* Protocol 0 spells True and False this way. */
	if (len == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1'))
		return (pickle_push(st, pickle_new_int(st, PICKLE_BOOL,
		    p[1] == '1')));
	return (pickle_push(st, pickle_int_text(st, p, len, 0)));
}

int
pickle_op_long(struct pickle_state *st)
{
	const char	*p;
	size_t		 len;

	if (pickle_line(st, &p, &len) != 0)
		return (-1);
	/* repr() of a Python 2 long ends in L. */
	if (len > 0 && (p[len - 1] == 'L' || p[len - 1] == 'l'))
		len--;
	return (pickle_push(st, pickle_int_text(st, p, len, 1)));
}

int
pickle_op_long_bin(struct pickle_state *st, size_t width)
{
	const unsigned char	*p;
	size_t			 n;

	if (width == 1) {
		if (pickle_read(st, 1, &p) != 0)
			return (-1);
		n = p[0];
	} else if (pickle_read_len4(st, &n) != 0)
		return (-1);
	if (st->len - st->pos < n)
		return (pickle_fail(st, "truncated: needs %zu bytes, %zu left",
		    n, st->len - st->pos));
	if (n > PICKLE_LONG_MAX_BYTES)
		return (pickle_fail(st, "integer of %zu bytes is too large",
		    n));
	if (pickle_read(st, n, &p) != 0)
		return (-1);
	return (pickle_push(st, pickle_int_bytes(st, p, n)));
}

int
pickle_op_binstring(struct pickle_state *st, enum pickle_type type,
    size_t width)
{
	const unsigned char	*p;
	size_t			 n;

	if (width == 1) {
		if (pickle_read(st, 1, &p) != 0)
			return (-1);
		n = p[0];
	} else if (pickle_read_len4(st, &n) != 0)
		return (-1);
	if (pickle_read(st, n, &p) != 0)
		return (-1);
	if (type == PICKLE_UNICODE)
		return (pickle_push(st, pickle_new_utf8(st, p, n)));
	return (pickle_push(st, pickle_new_str(st, type, p, n)));
}
