/* metrics.c: placeholder (issue 4). */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

void
metrics_init(void)
{
}

void
metrics_free(void)
{
}

void
metrics_event(const char *master, double event_time)
{
}

void
metrics_commit(uint64_t n, double seconds, int ok)
{
}

void
metrics_queue_depth(uint64_t n)
{
}

void
metrics_connections(uint64_t n)
{
}
