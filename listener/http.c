/* http.c: placeholder until the HTTP server lands (issue 4). */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

struct http *
http_start(const struct bbmirrord_options *opts, struct server *srv,
    char **cause)
{
	xasprintf(cause, "--http: the HTTP server is not written yet");
	return (NULL);
}

void
http_stop(struct http *h)
{
}

void
http_notify(struct http *h)
{
}
