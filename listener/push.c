/* push.c: placeholder (issue 4). */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

void
push_init(struct server *srv)
{
}

void
push_committed(struct server *srv, int ok)
{
}

void
push_shutdown(struct server *srv)
{
}
