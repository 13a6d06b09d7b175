/*
 * main.c: bbmirror-import command line. Every setting lives in one table;
 * getopt_long's options and --help are generated from it.
 */
#include "config.h"
#include "importer.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum import_opt_type {
	IMPORT_OPT_STRING,
	IMPORT_OPT_NUMBER,
	IMPORT_OPT_FLAG,
};

struct import_opt {
	const char		*name;
	int			 short_name;
	enum import_opt_type	 type;
	const char		*arg;		/* metavariable in --help */
	int64_t			 minimum;
	int64_t			 maximum;
	const char		*default_value;
	const char		*help;
};

static const struct import_opt import_opts[] = {
	{ "db", 'd', IMPORT_OPT_STRING, "PATH", 0, 0, "bbmirror.sqlite",
	  "mirror database: an SQLite file (created if needed) or a "
	  "PostgreSQL connection string (postgresql://..., host=... dbname=...)" },
	{ "logstore", 'l', IMPORT_OPT_STRING, "DIR", 0, 0, "logstore",
	  "directory holding the log contents (created if needed)" },
	{ "master", 'm', IMPORT_OPT_STRING, "NAME", 0, 0, NULL,
	  "name of the master (default: the basedir's last component)" },
	{ "jobs", 'j', IMPORT_OPT_NUMBER, "N", 1, 64, "2",
	  "threads decoding pickles and compressing logs" },
	{ "quiet", 'q', IMPORT_OPT_FLAG, NULL, 0, 0, NULL,
	  "no progress bar and no summary line; problems are still reported" },
	{ "help", 'h', IMPORT_OPT_FLAG, NULL, 0, 0, NULL,
	  "show this help and exit" },
	{ "version", 'V', IMPORT_OPT_FLAG, NULL, 0, 0, NULL,
	  "show the version and exit" },
};
#define NOPTS (sizeof import_opts / sizeof import_opts[0])

static void
usage(FILE *fp)
{
	const struct import_opt	*o;
	char			 left[64];
	size_t			 i;

	fprintf(fp, "usage: bbmirror-import [options] BASEDIR...\n\n"
	    "Imports the build history of Buildbot 0.7.x-0.8.x masters (build and\n"
	    "builder pickles, log files, changes.pck, state.sqlite) into the mirror\n"
	    "database. Safe to re-run: unchanged files are skipped.\n\n"
	    "options:\n");
	for (i = 0; i < NOPTS; i++) {
		o = &import_opts[i];
		if (o->arg != NULL)
			snprintf(left, sizeof left, "-%c, --%s %s",
			    o->short_name, o->name, o->arg);
		else
			snprintf(left, sizeof left, "-%c, --%s", o->short_name,
			    o->name);
		fprintf(fp, "  %-24s %s", left, o->help);
		if (o->default_value != NULL)
			fprintf(fp, " [%s]", o->default_value);
		if (o->type == IMPORT_OPT_NUMBER)
			fprintf(fp, " (%" PRId64 "-%" PRId64 ")", o->minimum,
			    o->maximum);
		fputc('\n', fp);
	}
	fprintf(fp, "\nexit status: 0 everything imported, 1 some files were "
	    "skipped or\nonly partly imported (see the messages), 2 the import "
	    "could not run.\n");
}

/* Parses a number option against its table bounds. */
static int
import_number(const struct import_opt *o, const char *s, int64_t *out,
    char **cause)
{
	char	*end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0) {
		xasprintf(cause, "--%s: not a number: %s", o->name, s);
		return (-1);
	}
	if (v < o->minimum || v > o->maximum) {
		xasprintf(cause, "--%s: %s is out of range (%" PRId64 "-%"
		    PRId64 ")", o->name, s, o->minimum, o->maximum);
		return (-1);
	}
	*out = v;
	return (0);
}

static void
import_set(struct import_options *opts, const struct import_opt *o,
    const char *arg)
{
	char	*cause;
	int64_t	 n;

	switch (o->short_name) {
	case 'd':
		opts->db = arg;
		break;
	case 'l':
		opts->logstore = arg;
		break;
	case 'm':
		opts->master = arg;
		break;
	case 'j':
		if (import_number(o, arg, &n, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			exit(2);
		}
		opts->jobs = n;
		break;
	case 'q':
		opts->quiet = 1;
		break;
	}
}

/* The master's name: the basedir's last path component. Caller frees. */
static char *
import_default_name(const char *basedir)
{
	char	 resolved[PATH_MAX], *copy, *name;

	if (realpath(basedir, resolved) == NULL)
		strncpy(resolved, basedir, sizeof resolved - 1);
	resolved[sizeof resolved - 1] = '\0';
	copy = xstrdup(resolved);
	name = xstrdup(basename(copy));
	free(copy);
	return (name);
}

int
main(int argc, char **argv)
{
	struct option		 longopts[NOPTS + 1];
	struct import_options	 opts;
	struct import_totals	 totals;
	char			 shortopts[3 * NOPTS + 1], *p, *cause, *name;
	size_t			 i;
	int			 ch, idx, status = 0;

	log_set_program("bbmirror-import");
	memset(&opts, 0, sizeof opts);
	memset(longopts, 0, sizeof longopts);
	p = shortopts;
	for (i = 0; i < NOPTS; i++) {
		longopts[i].name = import_opts[i].name;
		longopts[i].has_arg = (import_opts[i].type == IMPORT_OPT_FLAG) ?
		    no_argument : required_argument;
		longopts[i].val = import_opts[i].short_name;
		*p++ = (char)import_opts[i].short_name;
		if (import_opts[i].type != IMPORT_OPT_FLAG)
			*p++ = ':';
		if (import_opts[i].default_value != NULL)
			import_set(&opts, &import_opts[i],
			    import_opts[i].default_value);
	}
	*p = '\0';

	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return (0);
		}
		if (ch == 'V') {
			printf("bbmirror-import %s\n", PACKAGE_VERSION);
			return (0);
		}
		for (i = 0; i < NOPTS; i++) {
			if (import_opts[i].short_name == ch)
				break;
		}
		if (i == NOPTS) {
			usage(stderr);
			return (2);
		}
		import_set(&opts, &import_opts[i], optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		log_warnx("no master base directory given");
		usage(stderr);
		return (2);
	}
	if (opts.master != NULL && argc > 1) {
		log_warnx("--master names one master: give one BASEDIR with it");
		return (2);
	}
	opts.progress = !opts.quiet && isatty(STDERR_FILENO);
	log_set_quiet(opts.quiet);

	for (i = 0; i < (size_t)argc; i++) {
		memset(&totals, 0, sizeof totals);
		name = (opts.master != NULL) ? xstrdup(opts.master) :
		    import_default_name(argv[i]);
		if (import_master(&opts, argv[i], name, &totals, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			free(name);
			return (2);
		}
		if (!opts.quiet) {
			printf("%s: %" PRIu64 " builders, %" PRIu64 " builds "
			    "imported, %" PRIu64 " unchanged, %" PRIu64
			    " skipped; %" PRIu64 " steps, %" PRIu64 " logs (%.1f"
			    " MB, %" PRIu64 " missing), %" PRIu64 " changes, %"
			    PRIu64 " requests", name, totals.builders,
			    totals.builds, totals.unchanged, totals.failed,
			    totals.steps, totals.logs,
			    (double)totals.log_bytes / 1e6, totals.logs_missing,
			    totals.changes, totals.requests);
			if (totals.running != 0)
				printf("; %" PRIu64 " builds without a pickle "
				    "(running or crashed) left out",
				    totals.running);
			printf("\n");
		}
		if (totals.failed != 0 || totals.warnings != 0)
			status = 1;
		free(name);
	}
	return (status);
}
