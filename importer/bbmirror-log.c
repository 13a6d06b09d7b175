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

#include "logread.h"
#include "logstore.h"
#include "query.h"
#include "record.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: bbmirror-log [options] LOG_ID\n\n"
	    "Writes the content of log LOG_ID (logs.id in the mirror database) to\n"
	    "standard output.\n\n"
	    "options:\n"
	    "  -d, --db PATH        mirror database: SQLite file or PostgreSQL\n"
	    "                       connection string [bbmirror.sqlite]\n"
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

/*
 * Writes the log's text (or its chunk stream) to stdout. Returns the exit
 * status: 0 written, 2 on a read or write error (logged).
 */
static int
log_write(struct logread *r)
{
	char		 buf[65536];
	char		*cause = NULL;
	ssize_t		 n;

	while ((n = logread_read(r, buf, sizeof buf, &cause)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_warnx("writing to stdout: %s", strerror(errno));
		free(cause);
		return (2);
	}
	if (n == -1) {
		log_warnx("%s", cause);
		free(cause);
		return (2);
	}
	return (0);
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
	struct query_db		*q;
	struct logstore		*ls;
	struct logread		*r;
	struct logread_info	 info;
	char			*cause = NULL, *ls_cause = NULL, *end;
	unsigned int		 mask = LOGREAD_TEXT;
	int64_t			 id;
	int			 ch, c, flags = 0, found, status;

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
			if ((c = log_parse_channel(optarg)) == -2) {
				log_warnx("--channel: %s is not 0, 1, 2, stdout,"
				    " stderr or header", optarg);
				return (2);
			}
			mask = LOGREAD_CHANNEL(c);
			break;
		case 'a':
			mask = LOGREAD_ALL;
			break;
		case 'r':
			flags |= LOGREAD_RAW;
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

	if ((q = query_open(db, 2, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		return (2);
	}
	/* Only a log with content in the log store needs it. */
	ls = logstore_open(dir, 0, &ls_cause);
	found = logread_open(q, ls, id, mask, 0, flags, &info, &r, &cause);
	query_close(q);
	if (found != 1) {
		if (found == 0)
			log_warnx("log %" PRId64 ": no such log in %s", id, db);
		else {
			log_warnx("%s", cause);
			if (ls == NULL)
				log_warnx("%s", ls_cause);
		}
		free(cause);
		free(ls_cause);
		if (ls != NULL)
			logstore_close(ls);
		return (2);
	}
	free(ls_cause);
	if ((info.state != BBM_LOG_STORED && !info.running) ||
	    (info.state != BBM_LOG_STORED && info.state != BBM_LOG_NONE)) {
		log_warnx("log %" PRId64 " (%s): %s", id, info.name != NULL ?
		    info.name : "", info.state == BBM_LOG_PRUNED ?
		    "pruned from the log store" : info.state ==
		    BBM_LOG_MISSING ? "the master's file was missing when it "
		    "was imported" : "no content yet");
		status = 1;
	} else
		status = log_write(r);
	logread_close(r);
	logread_info_free(&info);
	if (ls != NULL)
		logstore_close(ls);
	return (status);
}
