/*
 * main.c: bbmirrord's settings, logging, signals and life cycle.
 *
 * Every setting lives in one table: getopt_long's options, the config file
 * (-c FILE: "name = value" lines, the long option names) and --help are all
 * generated from it. The command line wins over the file.
 */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"
#include "prune.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAIN_TOKEN_MAX		65536
#define MAIN_CONFIG_MAX		(1024 * 1024)

enum main_opt_type {
	MAIN_OPT_STRING,
	MAIN_OPT_NUMBER,
	MAIN_OPT_FLAG,
	MAIN_OPT_CHOICE,	/* one of the words of arg, split on '|' */
};

struct main_opt {
	const char		*name;
	int			 short_name;	/* 0: long only */
	enum main_opt_type	 type;
	const char		*arg;	/* metavariable in --help */
	int64_t			 minimum;
	int64_t			 maximum;
	const char		*default_value;
	const char		*help;
};

static const struct main_opt main_opts[] = {
	{ "config", 'c', MAIN_OPT_STRING, "FILE", 0, 0, NULL,
	  "read settings from FILE (\"name = value\" lines)" },
	{ "db", 'd', MAIN_OPT_STRING, "PATH", 0, 0, "bbmirror.sqlite",
	  "mirror database: an SQLite file (created if needed) or a "
	  "PostgreSQL connection string (postgresql://..., host=... dbname=...)" },
	{ "logstore", 'l', MAIN_OPT_STRING, "DIR", 0, 0, "logstore",
	  "directory holding the log contents (created if needed)" },
	{ "socket", 's', MAIN_OPT_STRING, "PATH", 0, 0, "bbmirrord.sock",
	  "UNIX socket to listen on; \"none\" for none" },
	{ "tcp", 't', MAIN_OPT_STRING, "ADDR:PORT", 0, 0, "none",
	  "TCP address to listen on (needs --token-file)" },
	{ "token-file", 'T', MAIN_OPT_STRING, "FILE", 0, 0, NULL,
	  "file whose first line is the token TCP clients must send" },
	{ "commit-events", 0, MAIN_OPT_NUMBER, "N", 1, 1000000, "2000",
	  "commit once a batch holds N events" },
	{ "commit-ms", 0, MAIN_OPT_NUMBER, "N", 1, 10000, "5",
	  "commit at most N ms after a batch's first event" },
	{ "max-frame", 0, MAIN_OPT_NUMBER, "BYTES", 1024, 268435456,
	  "16777216", "largest frame accepted" },
	{ "sync", 0, MAIN_OPT_CHOICE, "full|normal", 0, 0, "full",
	  "full: acknowledge only what is on disk; normal: what survives "
	  "a crash of the process" },
	{ "http", 0, MAIN_OPT_STRING, "ADDR:PORT", 0, 0, "none",
	  "serve logs, the JSON API, /push and /metrics over HTTP "
	  "(\"PORT\" alone: loopback)" },
	{ "http-threads", 0, MAIN_OPT_NUMBER, "N", 1, 256, "4",
	  "HTTP worker threads, each with its own read-only connection" },
	{ "http-timeout", 0, MAIN_OPT_NUMBER, "SECONDS", 1, 3600, "30",
	  "close an HTTP connection idle (or trickling) this long" },
	{ "http-max-connections", 0, MAIN_OPT_NUMBER, "N", 4, 65536, "1024",
	  "HTTP connections at once, log followers included" },
	{ "read-only", 0, MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "serve an existing database over --http without ingesting" },
	{ "master-basedir", 0, MAIN_OPT_STRING, "DIR", 0, 0, NULL,
	  "base directory of the master pushing to /push: its log files "
	  "are read when steps finish" },
	{ "log-max-age", 0, MAIN_OPT_STRING, "AGE", 0, 0, NULL,
	  "prune the logs of builds finished longer ago (\"30d\", \"12h\")" },
	{ "log-max-total-size", 0, MAIN_OPT_STRING, "SIZE", 0, 0, NULL,
	  "prune the oldest logs while the log store is larger (\"20G\")" },
	{ "log-keep", 0, MAIN_OPT_STRING, "RULES", 0, 0, NULL,
	  "keep some builds' logs longer: RESULT=AGE,... "
	  "(\"failure=90d,exception=90d\")" },
	{ "prune-interval", 0, MAIN_OPT_NUMBER, "SECONDS", 1, 86400, "60",
	  "how often the pruner runs" },
	{ "syslog", 0, MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "log to syslog (facility daemon) instead of stderr" },
	{ "log-file", 0, MAIN_OPT_STRING, "FILE", 0, 0, NULL,
	  "log to FILE instead of stderr (reopened on SIGHUP)" },
	{ "verbose", 'v', MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "also log each connection's hello" },
	{ "quiet", 'q', MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "log warnings and errors only" },
	{ "help", 'h', MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "show this help and exit" },
	{ "version", 'V', MAIN_OPT_FLAG, NULL, 0, 0, NULL,
	  "show the version and exit" },
};
#define NOPTS (sizeof main_opts / sizeof main_opts[0])
/* getopt_long's value for an option without a short name. */
#define MAIN_LONG_ONLY 256

/* The value of each option and where it came from, for messages. */
struct main_values {
	const char	*value[NOPTS];
	char		*where[NOPTS];	/* "--name", "FILE:LINE: name" */
	char		*file_data;	/* the config file's text */
};

static int	 main_verbose;

void
bbmirrord_debug(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (!main_verbose)
		return;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	log_info("%s", s);
	free(s);
}

static void
main_usage(FILE *fp)
{
	const struct main_opt	*o;
	char			 left[64];
	size_t			 i;

	fprintf(fp, "usage: bbmirrord [options]\n\n"
	    "Receives the status events of Buildbot masters (sent by the\n"
	    "bbmirror plugin) and writes them to the mirror database;\n"
	    "serves logs and a JSON API over HTTP (--http).\n\n"
	    "options:\n");
	for (i = 0; i < NOPTS; i++) {
		o = &main_opts[i];
		if (o->short_name != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    o->short_name, o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		fprintf(fp, "  %-28s %s", left, o->help);
		if (o->default_value != NULL)
			fprintf(fp, " [%s]", o->default_value);
		if (o->type == MAIN_OPT_NUMBER)
			fprintf(fp, " (%" PRId64 "-%" PRId64 ")", o->minimum,
			    o->maximum);
		fputc('\n', fp);
	}
	fprintf(fp, "\nSIGTERM or SIGINT: commit, acknowledge and exit 0; "
	    "SIGHUP: reopen --log-file.\nexit status: 0 stopped by a signal, "
	    "1 could not start, 2 bad usage.\n");
}

static int
main_opt_index(const char *name)
{
	size_t	 i;

	for (i = 0; i < NOPTS; i++) {
		if (strcmp(main_opts[i].name, name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Removes leading and trailing blanks of s in place. */
static char *
main_trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		end--;
	*end = '\0';
	return (s);
}

/*
 * Reads the config file path: "name = value" lines, '#' starting a
 * comment line, blank lines ignored. Settings already given on the command
 * line are kept. Returns 0, or -1 with *cause naming the file and line.
 */
static int
main_read_config(struct main_values *v, const char *path, char **cause)
{
	char	*data, *line, *next, *eq, *name, *value;
	size_t	 len;
	int	 idx, lineno = 0;
	int	 from_file[NOPTS] = { 0 };

	if (read_file(path, MAIN_CONFIG_MAX, &data, &len, cause) != 0)
		return (-1);
	if (memchr(data, '\0', len) != NULL) {
		xasprintf(cause, "%s: not a text file", path);
		free(data);
		return (-1);
	}
	v->file_data = data;
	for (line = data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = main_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			xasprintf(cause, "%s:%d: expected \"name = value\"",
			    path, lineno);
			return (-1);
		}
		*eq = '\0';
		name = main_trim(line);
		value = main_trim(eq + 1);
		idx = main_opt_index(name);
		if (idx == -1) {
			xasprintf(cause, "%s:%d: unknown setting \"%s\"", path,
			    lineno, name);
			return (-1);
		}
		if (strcmp(name, "config") == 0 || strcmp(name, "help") == 0 ||
		    strcmp(name, "version") == 0) {
			xasprintf(cause, "%s:%d: \"%s\" cannot be set in a "
			    "config file", path, lineno, name);
			return (-1);
		}
		if (*value == '\0') {
			xasprintf(cause, "%s:%d: %s: empty value", path, lineno,
			    name);
			return (-1);
		}
		if (v->value[idx] != NULL && !from_file[idx])
			continue;	/* the command line wins */
		from_file[idx] = 1;
		v->value[idx] = value;
		free(v->where[idx]);
		xasprintf(&v->where[idx], "%s:%d: %s", path, lineno, name);
	}
	return (0);
}

/* A number option's value checked against the table's bounds. */
static int
main_number(const struct main_opt *o, const char *where, const char *s,
    int64_t *out, char **cause)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0) {
		xasprintf(cause, "%s: not a number: %s", where, s);
		return (-1);
	}
	if (n < o->minimum || n > o->maximum) {
		xasprintf(cause, "%s: %s is out of range (%" PRId64 "-%" PRId64
		    ")", where, s, o->minimum, o->maximum);
		return (-1);
	}
	*out = n;
	return (0);
}

/* A flag's value: from the command line "yes"; in a file yes/no. */
static int
main_flag(const char *where, const char *s, int *out, char **cause)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*out = 0;
	else {
		xasprintf(cause, "%s: expected yes or no, got %s", where, s);
		return (-1);
	}
	return (0);
}

/* A choice's value: one of the '|'-separated words of the table's arg. */
static int
main_choice(const struct main_opt *o, const char *where, const char *s,
    char **cause)
{
	const char	*p = o->arg, *end;
	size_t		 len = strlen(s);

	for (;;) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && strncmp(p, s, len) == 0)
			return (0);
		if (*end == '\0')
			break;
		p = end + 1;
	}
	xasprintf(cause, "%s: expected one of %s, got %s", where, o->arg, s);
	return (-1);
}

/*
 * Converts every value (or default) through the table into opts. Returns
 * 0, or -1 with *cause naming the option or file line.
 */
static int
main_convert(struct main_values *v, struct bbmirrord_options *opts,
    char **cause)
{
	const struct main_opt	*o;
	const char		*s, *where, *p;
	int64_t			 n = 0, age, keep[PRUNE_NRESULTS];
	uint64_t		 size;
	int			 flag = 0;
	size_t			 i;

	for (i = 0; i < NOPTS; i++) {
		o = &main_opts[i];
		s = (v->value[i] != NULL) ? v->value[i] : o->default_value;
		if (s == NULL)
			continue;
		if (v->where[i] == NULL)
			xasprintf(&v->where[i], "--%s", o->name);
		where = v->where[i];
		switch (o->type) {
		case MAIN_OPT_NUMBER:
			if (main_number(o, where, s, &n, cause) != 0)
				return (-1);
			break;
		case MAIN_OPT_FLAG:
			if (main_flag(where, s, &flag, cause) != 0)
				return (-1);
			break;
		case MAIN_OPT_CHOICE:
			if (main_choice(o, where, s, cause) != 0)
				return (-1);
			break;
		case MAIN_OPT_STRING:
			if (*s == '\0') {
				xasprintf(cause, "%s: empty value", where);
				return (-1);
			}
			break;
		}

		if (strcmp(o->name, "db") == 0)
			opts->db = s;
		else if (strcmp(o->name, "logstore") == 0)
			opts->logstore = s;
		else if (strcmp(o->name, "socket") == 0)
			opts->socket = (strcmp(s, "none") == 0) ? NULL : s;
		else if (strcmp(o->name, "tcp") == 0)
			opts->tcp = (strcmp(s, "none") == 0) ? NULL : s;
		else if (strcmp(o->name, "token-file") == 0)
			opts->token_file = s;
		else if (strcmp(o->name, "commit-events") == 0)
			opts->commit_events = n;
		else if (strcmp(o->name, "commit-ms") == 0)
			opts->commit_ms = n;
		else if (strcmp(o->name, "max-frame") == 0)
			opts->max_frame = n;
		else if (strcmp(o->name, "sync") == 0)
			opts->sync_full = (strcmp(s, "full") == 0);
		else if (strcmp(o->name, "http") == 0)
			opts->http = (strcmp(s, "none") == 0) ? NULL : s;
		else if (strcmp(o->name, "http-threads") == 0)
			opts->http_threads = n;
		else if (strcmp(o->name, "http-timeout") == 0)
			opts->http_timeout = n;
		else if (strcmp(o->name, "http-max-connections") == 0)
			opts->http_max_connections = n;
		else if (strcmp(o->name, "read-only") == 0)
			opts->read_only = flag;
		else if (strcmp(o->name, "master-basedir") == 0)
			opts->master_basedir = s;
		else if (strcmp(o->name, "log-max-age") == 0)
			opts->log_max_age = s;
		else if (strcmp(o->name, "log-max-total-size") == 0)
			opts->log_max_total_size = s;
		else if (strcmp(o->name, "log-keep") == 0)
			opts->log_keep = s;
		else if (strcmp(o->name, "prune-interval") == 0)
			opts->prune_interval = n;
		else if (strcmp(o->name, "syslog") == 0)
			opts->syslog = flag;
		else if (strcmp(o->name, "log-file") == 0)
			opts->log_file = s;
		else if (strcmp(o->name, "verbose") == 0)
			opts->verbose = flag;
		else if (strcmp(o->name, "quiet") == 0)
			opts->quiet = flag;
	}
	if (opts->syslog && opts->log_file != NULL) {
		xasprintf(cause, "--syslog and --log-file: choose one");
		return (-1);
	}
	if (opts->verbose && opts->quiet) {
		xasprintf(cause, "--verbose and --quiet: choose one");
		return (-1);
	}
	/* Checked here too, so that a bad value creates no database. */
	if (opts->log_max_age != NULL &&
	    prune_parse_age("--log-max-age", opts->log_max_age, &age, cause) != 0)
		return (-1);
	if (opts->log_max_total_size != NULL && prune_parse_size(
	    "--log-max-total-size", opts->log_max_total_size, &size, cause) != 0)
		return (-1);
	if (opts->log_keep != NULL &&
	    prune_parse_keep("--log-keep", opts->log_keep, keep, cause) != 0)
		return (-1);
	if (opts->read_only) {
		if (opts->http == NULL) {
			xasprintf(cause, "--read-only needs --http: there is "
			    "nothing else to serve");
			return (-1);
		}
		/* A reader takes no socket: any number run beside one writer. */
		opts->socket = NULL;
		opts->tcp = NULL;
		return (0);
	}
	if (opts->socket == NULL && opts->tcp == NULL) {
		xasprintf(cause, "nothing to listen on: --socket is none and "
		    "no --tcp given");
		return (-1);
	}
	if (opts->tcp != NULL && ((p = strrchr(opts->tcp, ':')) == NULL ||
	    p[1] == '\0')) {
		xasprintf(cause, "--tcp: %s: expected ADDR:PORT ([ADDR]:PORT "
		    "for IPv6, :PORT for every address)", opts->tcp);
		return (-1);
	}
	if (opts->tcp != NULL && opts->token_file == NULL) {
		xasprintf(cause, "--tcp needs --token-file: refusing to accept "
		    "TCP connections without a token");
		return (-1);
	}
	return (0);
}

/* The token: the first line of path, which must not be empty. */
static char *
main_read_token(const char *path, char **cause)
{
	char	*data, *token;
	size_t	 len, n;

	if (read_file(path, MAIN_TOKEN_MAX, &data, &len, cause) != 0)
		return (NULL);
	n = strcspn(data, "\r\n");
	token = xstrndup(data, n);
	free(data);
	if (*token == '\0' || strlen(token) != n) {
		xasprintf(cause, "%s: the first line (the token) is empty",
		    path);
		free(token);
		return (NULL);
	}
	return (token);
}

/*
 * Parses argv and the config file into opts. Exits 0 for --help and
 * --version, 2 on a usage error.
 */
static void
main_parse(int argc, char **argv, struct main_values *v,
    struct bbmirrord_options *opts)
{
	struct option	 longopts[NOPTS + 1];
	char		 shortopts[3 * NOPTS + 1], *p, *cause;
	const char	*config = NULL;
	size_t		 i;
	int		 ch, idx;

	memset(longopts, 0, sizeof longopts);
	p = shortopts;
	*p++ = ':';	/* report a missing argument as ':' */
	for (i = 0; i < NOPTS; i++) {
		longopts[i].name = main_opts[i].name;
		longopts[i].has_arg = (main_opts[i].type == MAIN_OPT_FLAG) ?
		    no_argument : required_argument;
		longopts[i].val = (main_opts[i].short_name != 0) ?
		    main_opts[i].short_name : MAIN_LONG_ONLY + (int)i;
		if (main_opts[i].short_name == 0)
			continue;
		*p++ = (char)main_opts[i].short_name;
		if (main_opts[i].type != MAIN_OPT_FLAG)
			*p++ = ':';
	}
	*p = '\0';

	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) !=
	    -1) {
		if (ch == '?' || ch == ':') {
			if (ch == ':')
				log_warnx("%s: missing argument",
				    argv[optind - 1]);
			else if (optopt >= MAIN_LONG_ONLY ||
			    (optopt != 0 && strncmp(argv[optind - 1], "--",
			    2) == 0))
				log_warnx("%s: takes no argument",
				    argv[optind - 1]);
			else if (optopt != 0)
				log_warnx("unknown option -%c", optopt);
			else
				log_warnx("unknown option %s",
				    argv[optind - 1]);
			fprintf(stderr, "try 'bbmirrord --help'\n");
			exit(2);
		}
		if (ch == 'h') {
			main_usage(stdout);
			exit(0);
		}
		if (ch == 'V') {
			printf("bbmirrord %s\n", PACKAGE_VERSION);
			exit(0);
		}
		for (i = 0; i < NOPTS; i++) {
			if (longopts[i].val == ch)
				break;
		}
		if (i == NOPTS)
			fatalx("getopt_long returned %d", ch);
		if (ch == 'c') {
			config = optarg;
			continue;
		}
		v->value[i] = (main_opts[i].type == MAIN_OPT_FLAG) ? "yes" :
		    optarg;
	}
	if (optind != argc) {
		log_warnx("unexpected argument: %s", argv[optind]);
		fprintf(stderr, "try 'bbmirrord --help'\n");
		exit(2);
	}
	if ((config != NULL && main_read_config(v, config, &cause) != 0) ||
	    main_convert(v, opts, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		exit(2);
	}
}

/* The HTTP server's address for the startup line. */
static const char *
main_http_desc(struct server *srv)
{
	return (srv->http->listen_desc != NULL ? srv->http->listen_desc :
	    srv->opts->http);
}

static void
main_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server	*srv = w->data;
	char		*cause;

	switch (w->signum) {
	case SIGHUP:
		if (log_reopen(&cause) != 0) {
			log_warnx("SIGHUP: %s", cause);
			free(cause);
		} else if (srv->opts->log_file != NULL)
			log_info("reopened %s", srv->opts->log_file);
		else
			log_info("reopened");
		break;
	case SIGTERM:
	case SIGINT:
		if (!srv->stopping)
			log_info("%s: shutting down",
			    w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
		if (srv->opts->read_only) {
			srv->stopping = 1;
			ev_break(loop, EVBREAK_ALL);
		} else
			server_shutdown(srv);
		break;
	}
}

/*
 * Opens the database and the log store; if either cannot be, removes the
 * socket and exits 1.
 */
static void
main_open(struct server *srv, const struct bbmirrord_options *opts)
{
	char	*cause;

	if ((srv->store = store_open(opts->db, &cause)) == NULL)
		goto fail;
	if (store_set_durable(srv->store, opts->sync_full, &cause) != 0)
		goto fail;
	if ((srv->ls = logstore_open(opts->logstore, 1, &cause)) == NULL)
		goto fail;
	logstore_set_sync(srv->ls, opts->sync_full);
	srv->live = live_new(srv->store, srv->ls);
	return;
fail:
	log_warnx("%s", cause);
	free(cause);
	server_free(srv);
	exit(1);
}

int
main(int argc, char **argv)
{
	struct main_values		 v;
	struct bbmirrord_options	 opts;
	struct server			 srv;
	struct live_stats		 st;
	ev_signal			 sigs[3];
	const int			 signums[3] = {
	    SIGTERM, SIGINT, SIGHUP };
	char				*cause, *where;
	size_t				 i;

	log_set_program("bbmirrord");
	memset(&v, 0, sizeof v);
	memset(&opts, 0, sizeof opts);
	main_parse(argc, argv, &v, &opts);
	main_verbose = opts.verbose;
	log_set_quiet(opts.quiet);
	memset(&srv, 0, sizeof srv);
	srv.opts = &opts;
	if (opts.tcp != NULL &&
	    (srv.token = main_read_token(opts.token_file, &cause)) == NULL) {
		log_warnx("--token-file: %s", cause);
		exit(2);
	}
	if (opts.log_file != NULL &&
	    log_open_file(opts.log_file, &cause) != 0) {
		log_warnx("--log-file: %s", cause);
		exit(2);
	}
	if (opts.syslog)
		log_open_syslog("bbmirrord");
	signal(SIGPIPE, SIG_IGN);

	metrics_init();
	srv.loop = ev_default_loop(EVFLAG_AUTO);
	if (srv.loop == NULL)
		fatalx("cannot initialise libev");
	if (!opts.read_only) {
		/* Listen first: a second daemon must not touch the database. */
		if (server_listen(&srv, &cause) != 0) {
			log_warnx("%s", cause);
			exit(1);
		}
		main_open(&srv, &opts);
		writer_init(&srv);
		push_init(&srv);
		if (pruner_init(&srv, &cause) != 0) {
			log_warnx("%s", cause);
			free(cause);
			server_free(&srv);
			exit(2);
		}
		server_start(&srv);
	}
	if (opts.http != NULL && (srv.http = http_start(&opts,
	    opts.read_only ? NULL : &srv, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		if (!opts.read_only)
			server_free(&srv);
		exit(1);
	}
	for (i = 0; i < 3; i++) {
		ev_signal_init(&sigs[i], main_signal_cb, signums[i]);
		sigs[i].data = &srv;
		ev_signal_start(srv.loop, &sigs[i]);
	}
	if (opts.read_only) {
		log_info("bbmirrord %s: serving %s read-only on http://%s/ "
		    "(log store %s)", PACKAGE_VERSION, opts.db,
		    main_http_desc(&srv), opts.logstore);
	} else {
		where = server_describe(&srv);
		log_info("bbmirrord %s: listening on %s%s%s (database %s, log "
		    "store %s, sync %s)", PACKAGE_VERSION, where,
		    srv.http != NULL ? ", http://" : "",
		    srv.http != NULL ? main_http_desc(&srv) : "", opts.db,
		    opts.logstore, opts.sync_full ? "full" : "normal");
		free(where);
	}

	ev_run(srv.loop, 0);

	if (srv.http != NULL) {
		http_stop(srv.http);
		srv.http = NULL;
	}
	for (i = 0; i < 3; i++)
		ev_signal_stop(srv.loop, &sigs[i]);
	if (!opts.read_only) {
		/* A batch is open only if the loop stopped without a signal. */
		if (live_in_batch(srv.live))
			(void)writer_commit(&srv);
		push_shutdown(&srv);
		pruner_free(&srv);
		writer_free(&srv);
		server_free(&srv);
		live_get_stats(srv.live, &st);
		log_info("stopped: %" PRIu64 " events applied, %" PRIu64
		    " ignored, %" PRIu64 " duplicates, %" PRIu64 " failed, %"
		    PRIu64 " commits", st.events, st.ignored, st.duplicates,
		    st.failed, st.commits);
		live_free(srv.live);
		logstore_close(srv.ls);
		store_close(srv.store);
	} else
		log_info("stopped");
	metrics_free();
	ev_loop_destroy(srv.loop);
	free(srv.token);
	for (i = 0; i < NOPTS; i++)
		free(v.where[i]);
	free(v.file_data);
	return (0);
}
