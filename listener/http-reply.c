/*
 * http-reply.c: what the HTTP handlers answer with: JSON bodies (jansson,
 * compact, with an ETag and 304 for a matching If-None-Match), error
 * objects, plain text, and the query arguments they read. Every reply
 * says "Cache-Control: no-cache": the mirror changes with every commit.
 * Also the fallbacks that stand for an endpoint file that is missing.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Queues resp (adding the common headers) and drops our reference. */
static enum MHD_Result
http_queue(struct http_req *req, unsigned int status,
    struct MHD_Response *resp, const char *content_type)
{
	enum MHD_Result	ret;

	if (resp == NULL)
		fatalx("http: cannot create a response");
	if (content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

/* Whether If-None-Match (a list of entity tags, or *) matches etag. */
static int
http_etag_match(const char *inm, const char *etag)
{
	const char	*p = inm, *q;
	size_t		 n = strlen(etag);

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return (0);
		if (*p == '*')
			return (1);
		if (strncmp(p, "W/", 2) == 0)	/* weak comparison */
			p += 2;
		if (*p != '"') {
			p += strcspn(p, ",");
			continue;
		}
		if ((q = strchr(p + 1, '"')) == NULL)
			return (0);
		if ((size_t)(q - p - 1) == n && memcmp(p + 1, etag, n) == 0)
			return (1);
		p = q + 1;
	}
}

/* Whether s may go between the quotes of an entity tag. */
static int
http_etag_valid(const char *s)
{
	const unsigned char	*p;

	if (*s == '\0')
		return (0);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x21 || *p == '"' || *p == 0x7f)
			return (0);
	}
	return (1);
}

/*
 * A response holding body's compact text and a final newline (nicer in a
 * terminal, harmless to parsers); steals body. NULL if body is NULL or
 * cannot be encoded.
 */
static struct MHD_Response *
http_json_response(json_t *body)
{
	struct MHD_Response	*resp;
	char			*text;
	size_t			 len;

	text = (body != NULL) ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return (NULL);
	len = strlen(text);
	text = xreallocarray(text, len + 2, 1);
	text[len++] = '\n';
	text[len] = '\0';
	resp = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		fatalx("http: cannot create a response");
	return (resp);
}

enum MHD_Result
http_reply_json(struct http_req *req, unsigned int status, json_t *body,
    const char *etag)
{
	struct MHD_Response	*resp;
	const char		*inm;
	char			*quoted = NULL;

	if ((resp = http_json_response(body)) == NULL)
		return (http_reply_error(req, 500, "internal",
		    "the response could not be encoded"));
	if (etag != NULL && http_etag_valid(etag))
		xasprintf(&quoted, "\"%s\"", etag);
	inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (quoted != NULL && status == MHD_HTTP_OK && inm != NULL &&
	    http_etag_match(inm, etag)) {
		MHD_destroy_response(resp);
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, quoted);
		free(quoted);
		return (http_queue(req, MHD_HTTP_NOT_MODIFIED, resp, NULL));
	}
	if (quoted != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, quoted);
		free(quoted);
	}
	return (http_queue(req, status, resp, "application/json"));
}

/* msg is made UTF-8: messages may quote the client's bytes. */
enum MHD_Result
http_reply_error_extra(struct http_req *req, unsigned int status,
    const char *code, json_t *extra, const char *name, const char *value,
    const char *msg)
{
	struct MHD_Response	*resp;
	json_t			*err;
	char			*m;

	m = utf8_from_bytes(msg, strlen(msg), NULL);
	err = json_pack("{s:i,s:s,s:s}", "status", (int)status, "code", code,
	    "message", m);
	free(m);
	if (err == NULL)
		fatalx("http: cannot encode an error object");
	if (extra != NULL) {
		json_object_update(err, extra);
		json_decref(extra);
	}
	if ((resp = http_json_response(json_pack("{s:o}", "error",
	    err))) == NULL)
		fatalx("http: cannot encode an error object");
	if (name != NULL)
		MHD_add_response_header(resp, name, value);
	return (http_queue(req, status, resp, "application/json"));
}

/*
 * Error objects. A 405 carries the Allow header HTTP requires: POST for
 * /push, GET and HEAD for every other resource.
 */
enum MHD_Result
http_reply_error(struct http_req *req, unsigned int status, const char *code,
    const char *fmt, ...)
{
	va_list			 ap;
	char			*msg;
	const char		*allow = NULL;
	enum MHD_Result		 ret;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		allow = strcmp(req->url, "/push") == 0 ? "POST" : "GET, HEAD";
	ret = http_reply_error_extra(req, status, code, NULL,
	    allow != NULL ? MHD_HTTP_HEADER_ALLOW : NULL, allow, msg);
	free(msg);
	return (ret);
}

enum MHD_Result
http_reply_text(struct http_req *req, unsigned int status,
    const char *content_type, const char *text)
{
	struct MHD_Response	*resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	return (http_queue(req, status, resp, content_type));
}

/* --- arguments --------------------------------------------------------- */

const char *
http_arg(struct http_req *req, const char *name)
{
	return (MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    name));
}

int
http_arg_int(struct http_req *req, const char *name, int64_t min,
    int64_t max, int64_t *out, enum MHD_Result *ret)
{
	const char	*s, *p;
	char		*end;
	long long	 n;

	if ((s = http_arg(req, name)) == NULL)
		return (0);
	p = (*s == '-') ? s + 1 : s;
	if (*p >= '0' && *p <= '9') {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*end == '\0' && errno == 0 && n >= min && n <= max) {
			*out = n;
			return (1);
		}
	}
	*ret = http_reply_error(req, MHD_HTTP_BAD_REQUEST, "bad_request",
	    "argument %s: \"%.40s%s\" is not an integer from %lld to %lld",
	    name, s, strlen(s) > 40 ? "..." : "", (long long)min,
	    (long long)max);
	return (-1);
}

/*
 * Fallbacks for the endpoint files, so that the daemon links while one of
 * them is missing; the real definitions replace these.
 */
__attribute__((weak)) enum MHD_Result
http_logs_handle(struct http_req *req, const char *id, void **state)
{
	return (http_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "internal",
	    "this bbmirrord was built without the log server"));
}

__attribute__((weak)) void
http_logs_free(void *state)
{
}

__attribute__((weak)) enum MHD_Result
http_api_handle(struct http_req *req, const char *path)
{
	return (http_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "internal",
	    "this bbmirrord was built without the JSON API"));
}

__attribute__((weak)) enum MHD_Result
push_handle(struct http_req *req, const char *upload_data,
    size_t *upload_data_size, void **state)
{
	if (*upload_data_size != 0 || *state == NULL) {
		/* Read the body; reply once it is all in. */
		*upload_data_size = 0;
		*state = req;
		return (MHD_YES);
	}
	return (http_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, "internal",
	    "this bbmirrord was built without HttpStatusPush ingest"));
}

__attribute__((weak)) void
push_free_state(void *state)
{
}
