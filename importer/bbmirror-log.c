/*
 * bbmirror-log: writes one log's content from the mirror to stdout.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy.h"
#include "logfile.h"
#include "logstore.h"
#include "record.h"
#include "store.h"
#include "util.h"

struct log_output {
	int	 channel;	/* -1: channels 0 and 1 */
	int	 failed;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: bbmirror-log [options] LOG_ID\n\n"
	    "Writes the content of log LOG_ID (logs.id in the mirror database) to\n"
	    "standard output.\n\n"
	    "options:\n"
	    "  -d, --db PATH        mirror database [bbmirror.sqlite]\n"
	    "  -l, --logstore DIR   log store directory [logstore]\n"
	    "  -c, --channel N      only channel N: 0 stdout, 1 stderr, 2 header\n"
	    "                       (also: stdout, stderr, header) [0 and 1]\n"
	    "  -a, --all            every channel, headers included\n"
	    "  -r, --raw            the master's chunk stream, byte for byte\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n\n"
	    "exit status: 0 written, 1 the log has no content (missing or\n"
	    "pruned), 2 error.\n");
}

static int
log_parse_channel(const char *s)
{
	if (strcmp(s, "stdout") == 0 || strcmp(s, "0") == 0)
		return (0);
	if (strcmp(s, "stderr") == 0 || strcmp(s, "1") == 0)
		return (1);
	if (strcmp(s, "header") == 0 || strcmp(s, "2") == 0)
		return (2);
	return (-2);
}

static int
log_chunk_cb(void *arg, int channel, const char *text, size_t len,
    int chunk_end)
{
	struct log_output	*out = arg;

	if (out->channel == -1 && channel > 1)
		return (0);
	if (out->channel >= 0 && out->channel != 9 && channel != out->channel)
		return (0);
	if (len != 0 && fwrite(text, 1, len, stdout) != len) {
		out->failed = 1;
		return (-1);
	}
	return (0);
}

/* Bytes of the chunk stream: to stdout as they are (--raw) or parsed. */
static int
log_emit(struct log_output *out, struct logfile_parser *parser, int raw,
    const char *p, size_t len, char **cause)
{
	if (raw) {
		if (len != 0 && fwrite(p, 1, len, stdout) != len) {
			out->failed = 1;
			return (-1);
		}
		return (0);
	}
	return (logfile_parser_feed(parser, p, len, log_chunk_cb, out, cause));
}

/*
 * What a running live log holds outside the log store: pending is its
 * chunks, then the open run's last run_bytes % 10000 bytes on channel. The
 * run is shown as the chunk the master will write for it.
 */
static void
log_live(struct log_output *out, struct logfile_parser *parser, int raw,
    const struct store_live_log *live, char **cause)
{
	size_t	 open = 0, chunks;
	char	 head[32];
	int	 n;

	if (live->channel >= 0 && live->run_bytes > 0)
		open = (size_t)(live->run_bytes % LEGACY_CHUNK_MAX);
	if (open > live->pending_len)
		open = live->pending_len;
	chunks = live->pending_len - open;
	if (log_emit(out, parser, raw, live->pending, chunks, cause) != 0 ||
	    open == 0)
		return;
	if (!raw) {
		(void)log_chunk_cb(out, live->channel, live->pending + chunks,
		    open, 1);
		return;
	}
	n = snprintf(head, sizeof head, "%zu:%d", open + 1, live->channel);
	if (log_emit(out, parser, 1, head, (size_t)n, cause) == 0 &&
	    log_emit(out, parser, 1, live->pending + chunks, open,
	    cause) == 0)
		(void)log_emit(out, parser, 1, ",", 1, cause);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "logstore", required_argument, NULL, 'l' },
		{ "channel", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*db = "bbmirror.sqlite", *dir = "logstore";
	struct log_output	 out = { -1, 0 };
	struct logfile_parser	 parser;
	struct logstore_reader	*r;
	struct store		*st;
	struct store_live_log	 live;
	struct logstore		*ls = NULL;
	struct bbm_log		 log;
	char			*cause = NULL, *end, buf[65536];
	int64_t			 id;
	ssize_t			 n;
	int			 ch, raw = 0, found, live_found = 0;

	log_set_program("bbmirror-log");
	while ((ch = getopt_long(argc, argv, "d:l:c:arhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			dir = optarg;
			break;
		case 'c':
			if ((out.channel = log_parse_channel(optarg)) == -2) {
				log_warnx("--channel: %s is not 0, 1, 2, stdout,"
				    " stderr or header", optarg);
				return (2);
			}
			break;
		case 'a':
			out.channel = 9;
			break;
		case 'r':
			raw = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'V':
			printf("bbmirror-log %s\n", PACKAGE_VERSION);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return (2);
	}
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (*argv[optind] == '\0' || *end != '\0' || errno != 0 || id <= 0) {
		log_warnx("%s: not a log id (a positive number)", argv[optind]);
		return (2);
	}

	if ((st = store_open(db, &cause)) == NULL) {
		log_warnx("%s", cause);
		return (2);
	}
	memset(&log, 0, sizeof log);
	memset(&live, 0, sizeof live);
	live.channel = -1;
	if (store_log_by_id(st, id, &log, &found, &cause) != 0 ||
	    (found && !log.complete && store_live_log_get(st, id, &live,
	    &live_found, &cause) != 0)) {
		log_warnx("%s", cause);
		store_close(st);
		record_log_free(&log);
		return (2);
	}
	store_close(st);
	if (!found) {
		log_warnx("log %" PRId64 ": no such log in %s", id, db);
		return (2);
	}
	if (log.state != BBM_LOG_STORED && !live_found) {
		log_warnx("log %" PRId64 " (%s): %s", id, log.name,
		    log.state == BBM_LOG_PRUNED ? "pruned from the log store" :
		    log.state == BBM_LOG_MISSING ? "the master's file was "
		    "missing when it was imported" : "no content yet");
		record_log_free(&log);
		return (1);
	}
	logfile_parser_init(&parser);
	if (log.state == BBM_LOG_STORED) {
		if ((ls = logstore_open(dir, 0, &cause)) == NULL ||
		    (r = logstore_open_read(ls, log.store_key, &cause)) ==
		    NULL) {
			log_warnx("log %" PRId64 ": %s", id, cause);
			if (ls != NULL)
				logstore_close(ls);
			record_log_free(&log);
			free(live.pending);
			return (2);
		}
		while ((n = logstore_read(r, buf, sizeof buf, &cause)) > 0) {
			if (log_emit(&out, &parser, raw, buf, (size_t)n,
			    &cause) != 0)
				break;
		}
		logstore_close_read(r);
		logstore_close(ls);
	}
	/*
	 * A running live log: then the chunks still in live_logs, then the
	 * master's open run (schema/README.md, live_logs).
	 */
	if (live_found && cause == NULL && !out.failed)
		log_live(&out, &parser, raw, &live, &cause);
	free(live.pending);
	record_log_free(&log);
	if (fflush(stdout) != 0 || out.failed) {
		log_warnx("writing to stdout: %s", strerror(errno));
		free(cause);
		return (2);
	}
	if (cause != NULL) {
		log_warnx("log %" PRId64 ": %s", id, cause);
		free(cause);
		return (2);
	}
	return (0);
}
