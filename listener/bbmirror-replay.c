/*
 * bbmirror-replay.c: sends recorded events (a plugin spool, or a file
 * made by bench/gen-events.py) to bbmirrord, the way the plugin does:
 * hello, welcome, the events after the listener's last_seq, then waits
 * until the last one is acknowledged. A plain blocking client: one poll()
 * loop reads acknowledgements while it writes, so neither side can stall
 * the other. Recordings are read in large blocks, a frame at a time.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "protocol.h"
#include "util.h"

#define REPLAY_BLOCK		(1024 * 1024)	/* recording reads */
#define REPLAY_OUT_HIGH		(1024 * 1024)	/* queued, then written */
#define REPLAY_FRAME_MAX	268435456
#define REPLAY_TOKEN_MAX	65536
#define REPLAY_HIST		2400	/* 1% buckets from 1 us */
#define REPLAY_HIST_BASE	1.01

enum replay_opt_type {
	REPLAY_OPT_STRING,
	REPLAY_OPT_NUMBER,
	REPLAY_OPT_FLAG,
};

struct replay_opt {
	const char		*name;
	int			 short_name;
	enum replay_opt_type	 type;
	const char		*arg;
	int64_t			 minimum;
	int64_t			 maximum;
	const char		*default_value;
	const char		*help;
};

static const struct replay_opt replay_opts[] = {
	{ "socket", 's', REPLAY_OPT_STRING, "PATH", 0, 0, "bbmirrord.sock",
	  "bbmirrord's UNIX socket" },
	{ "tcp", 't', REPLAY_OPT_STRING, "HOST:PORT", 0, 0, NULL,
	  "connect over TCP instead" },
	{ "token-file", 'T', REPLAY_OPT_STRING, "FILE", 0, 0, NULL,
	  "send the first line of FILE as the token" },
	{ "master", 'm', REPLAY_OPT_STRING, "NAME", 0, 0, NULL,
	  "master name to send (default: the recording's)" },
	{ "rate", 'r', REPLAY_OPT_NUMBER, "N", 0, 100000000, "0",
	  "events per second, 0 for as fast as possible" },
	{ "stats", 0, REPLAY_OPT_FLAG, NULL, 0, 0, NULL,
	  "print one JSON line of measurements at the end" },
	{ "quiet", 'q', REPLAY_OPT_FLAG, NULL, 0, 0, NULL,
	  "no summary line; errors are still reported" },
	{ "help", 'h', REPLAY_OPT_FLAG, NULL, 0, 0, NULL,
	  "show this help and exit" },
	{ "version", 'V', REPLAY_OPT_FLAG, NULL, 0, 0, NULL,
	  "show the version and exit" },
};
#define NOPTS (sizeof replay_opts / sizeof replay_opts[0])
#define REPLAY_LONG_ONLY 256

struct replay_options {
	const char	*socket;
	const char	*tcp;
	const char	*token_file;
	const char	*master;
	int64_t		 rate;
	int		 stats;
	int		 quiet;
};

/* An event sent and not yet acknowledged. */
struct replay_flight {
	uint64_t	 seq;
	uint64_t	 end;	/* stream position after its last byte */
	double		 sent;	/* when that byte was written, or 0 */
};

struct replay {
	const struct replay_options *opts;
	int		 fd;
	char		*token;
	const char	*file;		/* the recording being read */

	struct buf	 out;		/* queued for the socket */
	size_t		 out_off;	/* written part of out */
	uint64_t	 queued;	/* stream bytes queued, ever */
	uint64_t	 written;	/* stream bytes written, ever */

	struct frame_decoder in;	/* from the listener */
	int		 welcomed;
	uint64_t	 last_seq;	/* the welcome's */
	uint64_t	 acked;

	struct replay_flight *fl;	/* ring of events in flight */
	size_t		 fl_head, fl_len, fl_cap, fl_stamped;

	int		 have_hello;
	uint64_t	 events, bytes, skipped, max_seq;
	double		 start, end;
	uint64_t	 hist[REPLAY_HIST];
	uint64_t	 hist_n;
};

static double
replay_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
replay_usage(FILE *fp)
{
	const struct replay_opt	*o;
	char			 left[64];
	size_t			 i;

	fprintf(fp, "usage: bbmirror-replay [options] RECORDING...\n\n"
	    "Sends recorded events (frames of the bbmirror protocol, the first "
	    "a hello)\nto bbmirrord and waits until they are acknowledged. "
	    "Events the listener\nalready has are skipped.\n\noptions:\n");
	for (i = 0; i < NOPTS; i++) {
		o = &replay_opts[i];
		if (o->short_name != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    o->short_name, o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		fprintf(fp, "  %-24s %s", left, o->help);
		if (o->default_value != NULL)
			fprintf(fp, " [%s]", o->default_value);
		fputc('\n', fp);
	}
	fprintf(fp, "\nexit status: 0 everything acknowledged, 1 an error "
	    "(listener, connection\nor recording), 2 bad usage.\n");
}

/* Reports an error of the run and exits 1. */
static __attribute__((noreturn)) void
replay_die(struct replay *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (r != NULL && r->welcomed)
		log_warnx("%s (acknowledged up to %" PRIu64 ", %" PRIu64
		    " events sent)", s, r->acked, r->events);
	else
		log_warnx("%s", s);
	free(s);
	exit(1);
}

/* Records one acknowledgement latency in the histogram. */
static void
replay_hist_add(struct replay *r, double seconds)
{
	double	 us = seconds * 1e6;
	size_t	 i = 0;

	if (us > 1.)
		i = (size_t)(log(us) / log(REPLAY_HIST_BASE));
	if (i >= REPLAY_HIST)
		i = REPLAY_HIST - 1;
	r->hist[i]++;
	r->hist_n++;
}

/* The p quantile of the latencies, in milliseconds (1% resolution). */
static double
replay_hist_quantile(const struct replay *r, double p)
{
	uint64_t	 want, sum = 0;
	size_t		 i;

	if (r->hist_n == 0)
		return (0.);
	want = (uint64_t)ceil(p * (double)r->hist_n);
	if (want == 0)
		want = 1;
	for (i = 0; i < REPLAY_HIST; i++) {
		sum += r->hist[i];
		if (sum >= want)
			break;
	}
	if (i == 0)
		return (0.001);
	return (pow(REPLAY_HIST_BASE, (double)i + 0.5) / 1000.);
}

static void
replay_flight_push(struct replay *r, uint64_t seq, uint64_t end)
{
	struct replay_flight	*f;
	size_t			 i, n;

	if (r->fl_len == r->fl_cap) {
		n = (r->fl_cap == 0) ? 1024 : r->fl_cap * 2;
		f = xreallocarray(NULL, n, sizeof *f);
		for (i = 0; i < r->fl_len; i++)
			f[i] = r->fl[(r->fl_head + i) % r->fl_cap];
		free(r->fl);
		r->fl = f;
		r->fl_cap = n;
		r->fl_head = 0;
	}
	f = &r->fl[(r->fl_head + r->fl_len) % r->fl_cap];
	f->seq = seq;
	f->end = end;
	f->sent = 0.;
	r->fl_len++;
}

/* Stamps the events whose last byte has now been written. */
static void
replay_flight_stamp(struct replay *r, double now)
{
	struct replay_flight	*f;

	while (r->fl_stamped < r->fl_len) {
		f = &r->fl[(r->fl_head + r->fl_stamped) % r->fl_cap];
		if (f->end > r->written)
			break;
		f->sent = now;
		r->fl_stamped++;
	}
}

/* An ack of seq: every event <= seq is done; measures each one. */
static void
replay_flight_ack(struct replay *r, uint64_t seq, double now)
{
	struct replay_flight	*f;

	while (r->fl_len > 0) {
		f = &r->fl[r->fl_head];
		if (f->seq > seq)
			break;
		replay_hist_add(r, f->sent > 0. ? now - f->sent : 0.);
		r->fl_head = (r->fl_head + 1) % r->fl_cap;
		r->fl_len--;
		if (r->fl_stamped > 0)
			r->fl_stamped--;
	}
}

/* One frame from the listener. */
static void
replay_incoming(struct replay *r, const char *payload, size_t len)
{
	struct frame_msg	 msg;
	char			*cause;

	if (frame_parse(payload, len, &msg, &cause) != 0)
		replay_die(r, "bad frame from the listener: %s", cause);
	switch (msg.type) {
	case FRAME_WELCOME:
		if (r->welcomed)
			replay_die(r, "unexpected second welcome");
		r->welcomed = 1;
		r->last_seq = r->acked = msg.last_seq;
		break;
	case FRAME_ACK:
		if (!r->welcomed)
			replay_die(r, "ack before the welcome");
		if (msg.seq > r->acked)
			r->acked = msg.seq;
		replay_flight_ack(r, msg.seq, replay_now());
		break;
	case FRAME_ERROR_MSG:
		if (msg.seq != 0)
			replay_die(r, "listener error at event %" PRIu64 ": %s",
			    msg.seq, msg.message);
		replay_die(r, "listener error: %s", msg.message);
	default:
		replay_die(r, "unexpected frame from the listener");
	}
	frame_msg_free(&msg);
}

/* Reads what the listener sent; dies on end of file. */
static void
replay_read(struct replay *r)
{
	char			 data[65536];
	const char		*p = data, *payload;
	enum frame_status	 st;
	ssize_t			 n;
	size_t			 used, len, plen;
	char			*cause;

	n = recv(r->fd, data, sizeof data, 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n == -1)
		replay_die(r, "read from the listener: %s", strerror(errno));
	if (n == 0)
		replay_die(r, "the listener closed the connection");
	len = (size_t)n;
	while (len > 0) {
		st = frame_feed(&r->in, p, len, &used, &payload, &plen, &cause);
		if (st == FRAME_ERROR)
			replay_die(r, "from the listener: %s", cause);
		p += used;
		len -= used;
		if (st == FRAME_OK)
			replay_incoming(r, payload, plen);
	}
}

/*
 * After a failed write, the listener may have sent an error frame before
 * closing: read it (a second at most) so the user learns why.
 */
static __attribute__((noreturn)) void
replay_write_failed(struct replay *r, int error)
{
	struct pollfd	 pfd;

	pfd.fd = r->fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 1000) > 0)
		replay_read(r);
	replay_die(r, "write to the listener: %s", strerror(error));
}

/* Writes what the socket takes of the queued output. */
static void
replay_write(struct replay *r)
{
	ssize_t	 n;

	while (r->out_off < r->out.len) {
		n = send(r->fd, r->out.data + r->out_off,
		    r->out.len - r->out_off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1)
			replay_write_failed(r, errno);
		r->out_off += (size_t)n;
		r->written += (uint64_t)n;
	}
	replay_flight_stamp(r, replay_now());
	if (r->out_off == r->out.len) {
		buf_reset(&r->out);
		r->out_off = 0;
	} else if (r->out_off > REPLAY_OUT_HIGH) {
		memmove(r->out.data, r->out.data + r->out_off,
		    r->out.len - r->out_off);
		r->out.len -= r->out_off;
		r->out_off = 0;
	}
}

/*
 * One round of the loop: waits up to timeout ms (-1: until something
 * happens) for the socket, reads acknowledgements, writes output.
 */
static void
replay_pump(struct replay *r, int timeout)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = r->fd;
	pfd.events = POLLIN;
	if (r->out_off < r->out.len)
		pfd.events |= POLLOUT;
	n = poll(&pfd, 1, timeout);
	if (n == -1 && errno != EINTR)
		replay_die(r, "poll: %s", strerror(errno));
	if (n <= 0)
		return;
	if (pfd.revents & (POLLIN|POLLHUP|POLLERR))
		replay_read(r);
	if (pfd.revents & POLLOUT)
		replay_write(r);
}

/* Connects to a UNIX socket path or a TCP HOST:PORT; dies if it cannot. */
static int
replay_connect(const struct replay_options *opts)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	char			*host, *port, *colon;
	int			 fd = -1, r, error = 0, one = 1;

	if (opts->tcp == NULL) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(opts->socket) >= sizeof sun.sun_path)
			replay_die(NULL, "%s: socket path too long",
			    opts->socket);
		memcpy(sun.sun_path, opts->socket, strlen(opts->socket) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
			replay_die(NULL, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
			replay_die(NULL, "%s: %s", opts->socket,
			    strerror(errno));
		return (fd);
	}

	if (opts->tcp[0] == '[' && (colon = strstr(opts->tcp, "]:")) != NULL) {
		host = xstrndup(opts->tcp + 1, (size_t)(colon - opts->tcp - 1));
		port = xstrdup(colon + 2);
	} else if ((colon = strrchr(opts->tcp, ':')) != NULL &&
	    colon != opts->tcp && colon[1] != '\0') {
		host = xstrndup(opts->tcp, (size_t)(colon - opts->tcp));
		port = xstrdup(colon + 1);
	} else
		replay_die(NULL, "--tcp: %s: expected HOST:PORT", opts->tcp);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0)
		replay_die(NULL, "--tcp: %s: %s", opts->tcp, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype|SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			error = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		error = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	free(host);
	free(port);
	if (fd == -1)
		replay_die(NULL, "%s: %s", opts->tcp, strerror(error));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return (fd);
}

/*
 * The recording's hello: connects, says hello (with our token and, if
 * given, the master name of --master) and waits for the welcome.
 */
static void
replay_hello(struct replay *r, const struct frame_msg *msg)
{
	r->fd = replay_connect(r->opts);
	if (fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK) == -1)
		replay_die(NULL, "fcntl: %s", strerror(errno));
	frame_pack_hello(&r->out, r->opts->master != NULL ? r->opts->master :
	    msg->master, msg->basedir, r->token,
	    "bbmirror-replay " PACKAGE_VERSION);
	r->queued = r->out.len;
	while (!r->welcomed)
		replay_pump(r, -1);
	r->start = replay_now();
}

/* Waits until the queued output is below max bytes. */
static void
replay_drain(struct replay *r, size_t max)
{
	replay_write(r);
	while (r->out.len - r->out_off > max)
		replay_pump(r, -1);
}

/* Paces the events at --rate: waits for the time of event n. */
static void
replay_pace(struct replay *r)
{
	double	 due, now;

	due = r->start + (double)r->events / (double)r->opts->rate;
	replay_drain(r, 0);
	while ((now = replay_now()) < due)
		replay_pump(r, (int)ceil((due - now) * 1000.));
}

/* One frame of the recording, which starts at offset of r->file. */
static void
replay_frame(struct replay *r, const char *payload, size_t len,
    uint64_t offset)
{
	struct frame_msg	 msg;
	char			*cause;

	if (frame_parse(payload, len, &msg, &cause) != 0)
		replay_die(r, "%s: frame at offset %" PRIu64 ": %s", r->file,
		    offset, cause);
	if (!r->have_hello) {
		if (msg.type != FRAME_HELLO)
			replay_die(r, "%s: offset %" PRIu64 ": a recording "
			    "starts with a hello frame", r->file, offset);
		r->have_hello = 1;
		replay_hello(r, &msg);
	} else if (msg.type == FRAME_EVENT) {
		if (msg.seq <= r->last_seq)
			r->skipped++;
		else {
			if (r->opts->rate > 0)
				replay_pace(r);
			frame_pack_raw(&r->out, payload, len);
			r->queued += PROTOCOL_HEADER_SIZE + len;
			replay_flight_push(r, msg.seq, r->queued);
			r->events++;
			r->bytes += PROTOCOL_HEADER_SIZE + len;
			if (msg.seq > r->max_seq)
				r->max_seq = msg.seq;
			if (r->out.len - r->out_off >= REPLAY_OUT_HIGH)
				replay_drain(r, REPLAY_OUT_HIGH / 2);
		}
	} else if (msg.type != FRAME_HELLO)
		replay_die(r, "%s: frame at offset %" PRIu64 ": a recording "
		    "holds hello and event frames only", r->file, offset);
	frame_msg_free(&msg);
}

/* Streams one recording file, a block at a time. */
static void
replay_file(struct replay *r, const char *path)
{
	struct frame_decoder	 dec;
	enum frame_status	 st;
	char			*block, *cause;
	const char		*p, *payload;
	size_t			 len, used, plen;
	ssize_t			 n;
	int			 fd;

	r->file = path;
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1)
		replay_die(r, "%s: %s", path, strerror(errno));
	block = xmalloc(REPLAY_BLOCK);
	frame_decoder_init(&dec, REPLAY_FRAME_MAX);
	for (;;) {
		n = read(fd, block, REPLAY_BLOCK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			replay_die(r, "%s: offset %" PRIu64 ": %s", path,
			    dec.offset, strerror(errno));
		if (n == 0)
			break;
		p = block;
		len = (size_t)n;
		while (len > 0) {
			st = frame_feed(&dec, p, len, &used, &payload, &plen,
			    &cause);
			if (st == FRAME_ERROR)
				replay_die(r, "%s: %s", path, cause);
			p += used;
			len -= used;
			if (st == FRAME_OK)
				replay_frame(r, payload, plen, dec.offset -
				    plen - PROTOCOL_HEADER_SIZE);
		}
	}
	if (dec.have_header != 0)
		replay_die(r, "%s: truncated frame at offset %" PRIu64, path,
		    dec.offset - dec.have_header - dec.payload.len);
	if (!r->have_hello)
		replay_die(r, "%s: empty recording (no hello frame)", path);
	frame_decoder_free(&dec);
	free(block);
	close(fd);
}

static void
replay_print_stats(struct replay *r)
{
	double	 secs = r->end - r->start;

	if (secs <= 0.)
		secs = 1e-9;
	printf("{\"events\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
	    "\"events_per_s\":%.1f,\"mb_per_s\":%.3f,\"ack_p50_ms\":%.3f,"
	    "\"ack_p99_ms\":%.3f,\"skipped\":%" PRIu64 ",\"last_seq\":%" PRIu64
	    "}\n", r->events, r->bytes, r->end - r->start,
	    (double)r->events / secs, (double)r->bytes / 1e6 / secs,
	    replay_hist_quantile(r, 0.5), replay_hist_quantile(r, 0.99),
	    r->skipped, r->acked);
}

/* The token: the first line of path. */
static char *
replay_token(const char *path)
{
	char	*data, *token, *cause;
	size_t	 len;

	if (read_file(path, REPLAY_TOKEN_MAX, &data, &len, &cause) != 0) {
		log_warnx("--token-file: %s", cause);
		exit(2);
	}
	token = xstrndup(data, strcspn(data, "\r\n"));
	free(data);
	return (token);
}

static void
replay_set(struct replay_options *opts, const struct replay_opt *o,
    const char *arg)
{
	char		*end;
	long long	 n;

	switch (o->short_name) {
	case 's':
		opts->socket = arg;
		break;
	case 't':
		opts->tcp = arg;
		break;
	case 'T':
		opts->token_file = arg;
		break;
	case 'm':
		if (*arg == '\0') {
			log_warnx("--master: empty name");
			exit(2);
		}
		opts->master = arg;
		break;
	case 'r':
		errno = 0;
		n = strtoll(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0) {
			log_warnx("--rate: not a number: %s", arg);
			exit(2);
		}
		if (n < o->minimum || n > o->maximum) {
			log_warnx("--rate: %s is out of range (%" PRId64 "-%"
			    PRId64 ")", arg, o->minimum, o->maximum);
			exit(2);
		}
		opts->rate = n;
		break;
	case 'q':
		opts->quiet = 1;
		break;
	case 0:
		opts->stats = 1;
		break;
	}
}

int
main(int argc, char **argv)
{
	struct option		 longopts[NOPTS + 1];
	struct replay_options	 opts;
	struct replay		 r;
	char			 shortopts[3 * NOPTS + 1], *p;
	size_t			 i;
	int			 ch, idx;

	log_set_program("bbmirror-replay");
	memset(&opts, 0, sizeof opts);
	memset(longopts, 0, sizeof longopts);
	p = shortopts;
	for (i = 0; i < NOPTS; i++) {
		longopts[i].name = replay_opts[i].name;
		longopts[i].has_arg = (replay_opts[i].type ==
		    REPLAY_OPT_FLAG) ? no_argument : required_argument;
		longopts[i].val = (replay_opts[i].short_name != 0) ?
		    replay_opts[i].short_name : REPLAY_LONG_ONLY + (int)i;
		if (replay_opts[i].default_value != NULL)
			replay_set(&opts, &replay_opts[i],
			    replay_opts[i].default_value);
		if (replay_opts[i].short_name == 0)
			continue;
		*p++ = (char)replay_opts[i].short_name;
		if (replay_opts[i].type != REPLAY_OPT_FLAG)
			*p++ = ':';
	}
	*p = '\0';

	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) !=
	    -1) {
		if (ch == 'h') {
			replay_usage(stdout);
			return (0);
		}
		if (ch == 'V') {
			printf("bbmirror-replay %s\n", PACKAGE_VERSION);
			return (0);
		}
		for (i = 0; i < NOPTS; i++) {
			if (longopts[i].val == ch)
				break;
		}
		if (i == NOPTS) {
			fprintf(stderr, "try 'bbmirror-replay --help'\n");
			return (2);
		}
		replay_set(&opts, &replay_opts[i], optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		log_warnx("no recording given");
		fprintf(stderr, "try 'bbmirror-replay --help'\n");
		return (2);
	}
	log_set_quiet(opts.quiet);
	signal(SIGPIPE, SIG_IGN);

	memset(&r, 0, sizeof r);
	r.opts = &opts;
	r.fd = -1;
	if (opts.token_file != NULL)
		r.token = replay_token(opts.token_file);
	buf_init(&r.out, 0);
	frame_decoder_init(&r.in, 0);

	for (i = 0; i < (size_t)argc; i++)
		replay_file(&r, argv[i]);
	replay_drain(&r, 0);
	while (r.acked < r.max_seq)
		replay_pump(&r, -1);
	r.end = replay_now();
	close(r.fd);

	log_info("%" PRIu64 " events sent (%.1f MB) in %.3f s, %" PRIu64
	    " skipped, acknowledged up to %" PRIu64, r.events,
	    (double)r.bytes / 1e6, r.end - r.start, r.skipped, r.acked);
	if (opts.stats)
		replay_print_stats(&r);
	frame_decoder_free(&r.in);
	buf_free(&r.out);
	free(r.fl);
	free(r.token);
	return (0);
}
