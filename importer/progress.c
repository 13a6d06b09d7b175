/*
 * progress.c: a one-line progress bar on stderr, redrawn at most ten times a
 * second, and warnings that print above it.
 */
#include "config.h"
#include "importer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int		 progress_enabled;
static int		 progress_drawn;
static const char	*progress_what;
static uint64_t		 progress_total;
static uint64_t		 progress_done;
static uint64_t		 progress_bytes;
static double		 progress_last;

static double
progress_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
progress_draw(void)
{
	char	 bar[31];
	size_t	 i, fill;

	fill = (progress_total == 0) ? 0 :
	    (size_t)(30 * progress_done / progress_total);
	for (i = 0; i < 30; i++)
		bar[i] = (i < fill) ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %" PRIu64 "/%" PRIu64 " %s, %.1f MB of logs ",
	    bar, progress_done, progress_total, progress_what,
	    (double)progress_bytes / 1e6);
	fflush(stderr);
	progress_drawn = 1;
}

void
progress_start(int enabled, const char *what, uint64_t total)
{
	progress_enabled = enabled;
	progress_what = what;
	progress_total = total;
	progress_done = progress_bytes = 0;
	progress_last = 0;
	if (progress_enabled)
		progress_draw();
}

void
progress_update(uint64_t done, uint64_t log_bytes)
{
	double	 now;

	progress_done = done;
	progress_bytes = log_bytes;
	if (!progress_enabled)
		return;
	now = progress_now();
	if (now - progress_last < 0.1 && done != progress_total)
		return;
	progress_last = now;
	progress_draw();
}

static void
progress_clear(void)
{
	if (progress_drawn) {
		fprintf(stderr, "\r\033[K");
		progress_drawn = 0;
	}
}

void
progress_end(void)
{
	if (progress_enabled) {
		progress_draw();
		fputc('\n', stderr);
		progress_drawn = 0;
	}
	progress_enabled = 0;
}

void
progress_warn(const char *fmt, ...)
{
	va_list	 ap;

	progress_clear();
	fprintf(stderr, "bbmirror-import: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (progress_enabled)
		progress_draw();
}
