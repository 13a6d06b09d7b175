/* pruner.c: placeholder (issue 4). */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

int
pruner_init(struct server *srv, char **cause)
{
	return (0);
}

void
pruner_free(struct server *srv)
{
}
