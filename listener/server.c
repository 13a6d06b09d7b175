/*
 * server.c: bbmirrord's listening sockets and client connections.
 *
 * A connection goes AWAIT_HELLO -> READY -> CLOSING. Its bytes are fed to
 * a bounded frame decoder; each frame is parsed and, once the hello is
 * accepted, each event is decoded and handed to the writer. A protocol
 * error sends an error frame and closes the connection after its output
 * drains. A connection is never freed inside its own callback: conn_kill
 * stops its watchers and closes its socket, and an idle watcher frees it.
 */
#include "config.h"
#include "bbmirrord.h"
#include "http.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"

#define SERVER_READ_SIZE	(256 * 1024)
#define SERVER_OUT_MAX		(1024 * 1024)
#define SERVER_OUT_ROOM		(8 * 1024)	/* free for one frame */
#define SERVER_MESSAGE_MAX	1000
#define SERVER_CLOSE_WAIT	1.0
#define SERVER_STOP_WAIT	1.0
#define SERVER_DRAIN_MAX	(64 * 1024 * 1024)
#define SERVER_BACKLOG		128

static void	conn_read(struct conn *, int);
static void	conn_flush(struct conn *);
static void	conn_kill(struct conn *, const char *);

/* Logs the close of c with its counts and frees nothing. */
static void
conn_log_close(struct conn *c, const char *reason)
{
	log_info("%s: closed (%s): %" PRIu64 " events, %" PRIu64 " bytes",
	    c->name, reason, c->events, c->bytes);
}

/*
 * Closes c now: stops its watchers and closes its socket. The structure
 * stays on the list, marked dead, until the gc watcher frees it, so this
 * is safe inside c's own callbacks.
 */
static void
conn_kill(struct conn *c, const char *reason)
{
	struct server	*srv = c->srv;

	if (c->dead)
		return;
	conn_log_close(c, reason);
	ev_io_stop(srv->loop, &c->rio);
	ev_io_stop(srv->loop, &c->wio);
	ev_timer_stop(srv->loop, &c->close_timer);
	close(c->fd);
	c->fd = -1;
	c->dead = 1;
	c->state = CONN_CLOSING;
	srv->nconns--;
	metrics_connections(srv->nconns);
	ev_idle_start(srv->loop, &srv->gc);
}

/* Frees every dead connection; after a shutdown, ends the loop. */
static void
server_gc_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct server	*srv = w->data;
	struct conn	*c, *next;
	int		 alive = 0;

	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->dead) {
			alive++;
			continue;
		}
		TAILQ_REMOVE(&srv->conns, c, entry);
		frame_decoder_free(&c->dec);
		buf_free(&c->out);
		free(c->master);
		free(c->fail_reason);
		free(c->name);
		free(c);
	}
	ev_idle_stop(loop, w);
	if (srv->stopping && alive == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* The close timer: the peer did not take its last frames in time. */
static void
conn_close_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	conn_kill(w->data, "output not drained in time");
}

/*
 * Writes as much of c's output as the socket takes; watches for
 * writability while some remains. A CLOSING connection is closed once its
 * output is empty.
 */
static void
conn_flush(struct conn *c)
{
	struct server	*srv = c->srv;
	ssize_t		 n;
	char		 reason[128];

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(srv->loop, &c->wio);
			return;
		}
		if (n == -1) {
			snprintf(reason, sizeof reason, "write: %s",
			    strerror(errno));
			conn_kill(c, reason);
			return;
		}
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	ev_io_stop(srv->loop, &c->wio);
	if (c->state == CONN_CLOSING)
		conn_kill(c, c->fail_reason != NULL ? c->fail_reason :
		    "listener shutting down");
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_flush(w->data);
}

/*
 * Whether c's output can take one more frame of ours. A peer that does not
 * read its acks cannot hold more than SERVER_OUT_MAX of them: it is closed.
 */
static int
conn_room(struct conn *c)
{
	if (c->out.len + SERVER_OUT_ROOM <= SERVER_OUT_MAX)
		return (1);
	conn_kill(c, "peer does not read its acknowledgements");
	return (0);
}

void
server_conn_ack(struct conn *c, uint64_t seq)
{
	if (c->dead || !conn_room(c))
		return;
	frame_pack_ack(&c->out, seq);
	c->acked = seq;
	conn_flush(c);
}

void
server_conn_fail(struct conn *c, const char *message, uint64_t seq)
{
	struct server	*srv = c->srv;
	char		 msg[SERVER_MESSAGE_MAX + 1];

	if (c->dead || c->state == CONN_CLOSING)
		return;
	/* Acknowledge what c sent before the bad frame. */
	if (c->batch_events != 0 && !srv->stopping) {
		writer_commit(srv);
		if (c->dead || c->state == CONN_CLOSING)
			return;
	}
	snprintf(msg, sizeof msg, "%s", message);
	log_warnx("%s: %s", c->name, msg);
	c->state = CONN_CLOSING;
	c->fail_reason = xstrdup(msg);
	ev_io_stop(srv->loop, &c->rio);
	if (!conn_room(c))
		return;
	frame_pack_error(&c->out, msg, seq);
	ev_timer_set(&c->close_timer, SERVER_CLOSE_WAIT, 0.);
	ev_timer_start(srv->loop, &c->close_timer);
	conn_flush(c);
}

void
server_close_all(struct server *srv, const char *message)
{
	struct conn	*c;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (!c->dead && c->state != CONN_CLOSING)
			server_conn_fail(c, message, 0);
	}
}

/* Compares the token without leaking where it differs through timing. */
static int
server_token_ok(const struct server *srv, const char *token)
{
	const unsigned char	*want = (const unsigned char *)srv->token;
	const unsigned char	*got = (const unsigned char *)token;
	size_t			 wlen, glen, i;
	unsigned int		 diff;

	if (token == NULL)
		return (0);
	wlen = strlen(srv->token);
	glen = strlen(token);
	diff = (wlen != glen);
	for (i = 0; i < wlen; i++)
		diff |= want[i] ^ (glen == 0 ? 0xffU : got[i % glen]);
	return (diff == 0);
}

/*
 * A hello: checks the version and, on TCP, the token; replaces another
 * connection of the same master; registers the master and sends the
 * welcome with its last committed sequence number.
 */
static void
conn_hello(struct conn *c, const struct frame_msg *msg)
{
	struct server	*srv = c->srv;
	struct conn	*o;
	char		*cause, *name;
	int64_t		 id;
	uint64_t	 last;

	if (msg->version != PROTOCOL_VERSION) {
		xasprintf(&cause, "protocol version %" PRId64 " not supported; "
		    "this listener speaks %d", msg->version, PROTOCOL_VERSION);
		server_conn_fail(c, cause, 0);
		free(cause);
		return;
	}
	if (msg->master == NULL || *msg->master == '\0') {
		server_conn_fail(c, "hello: empty master name", 0);
		return;
	}
	if (c->tcp && !server_token_ok(srv, msg->token)) {
		server_conn_fail(c, "bad token", 0);
		return;
	}

	/* The welcome's last_seq must count every event applied so far. */
	if (live_in_batch(srv->live) && writer_commit(srv) != 0)
		return;
	TAILQ_FOREACH(o, &srv->conns, entry) {
		if (o != c && !o->dead && o->state == CONN_READY &&
		    strcmp(o->master, msg->master) == 0)
			server_conn_fail(o, "replaced by a new connection", 0);
	}

	if (live_master(srv->live, msg->master, msg->basedir, &id, &last,
	    &cause) != 0) {
		log_warnx("%s: master %s: %s", c->name, msg->master, cause);
		free(cause);
		server_conn_fail(c, "the listener cannot register this master "
		    "(database error)", 0);
		return;
	}
	c->master = xstrdup(msg->master);
	c->master_id = id;
	c->acked = last;
	c->state = CONN_READY;
	xasprintf(&name, "%s (%s)", c->master, c->name);
	free(c->name);
	c->name = name;
	bbmirrord_debug("%s: hello: client %s, basedir %s, last_seq %" PRIu64,
	    c->name, msg->client != NULL ? msg->client : "unknown",
	    msg->basedir != NULL ? msg->basedir : "unknown", last);
	frame_pack_welcome(&c->out, last);
	conn_flush(c);
}

/* One complete frame from c. */
static void
conn_frame(struct conn *c, const char *payload, size_t len)
{
	struct frame_msg	 msg;
	struct bbm_event	 ev;
	char			*cause;

	if (frame_parse(payload, len, &msg, &cause) != 0) {
		server_conn_fail(c, cause, 0);
		free(cause);
		frame_msg_free(&msg);
		return;
	}
	switch (msg.type) {
	case FRAME_HELLO:
		if (c->state == CONN_AWAIT_HELLO)
			conn_hello(c, &msg);
		else
			server_conn_fail(c, "a second hello on one connection",
			    0);
		break;
	case FRAME_EVENT:
		c->events++;
		if (c->state != CONN_READY) {
			xasprintf(&cause, "event %" PRIu64 " before hello",
			    msg.seq);
			server_conn_fail(c, cause, msg.seq);
			free(cause);
			break;
		}
		if (event_decode(&msg, &ev, &cause) != 0) {
			server_conn_fail(c, cause, msg.seq);
			free(cause);
		} else
			writer_apply(c, &ev);
		event_free(&ev);
		break;
	case FRAME_WELCOME:
		server_conn_fail(c, "unexpected welcome frame from a client",
		    0);
		break;
	case FRAME_ACK:
		server_conn_fail(c, "unexpected ack frame from a client", 0);
		break;
	case FRAME_ERROR_MSG:
		log_warnx("%s: error from the client: %s", c->name,
		    msg.message != NULL ? msg.message : "");
		server_conn_fail(c, "unexpected error frame from a client", 0);
		break;
	}
	frame_msg_free(&msg);
}

/* Feeds len bytes to c's decoder, handling every complete frame. */
static void
conn_input(struct conn *c, const char *data, size_t len)
{
	enum frame_status	 st;
	const char		*payload;
	size_t			 used, plen;
	char			*cause;

	while (len > 0 && !c->dead && c->state != CONN_CLOSING) {
		used = 0;
		st = frame_feed(&c->dec, data, len, &used, &payload, &plen,
		    &cause);
		if (st == FRAME_ERROR) {
			server_conn_fail(c, cause, 0);
			free(cause);
			return;
		}
		data += used;
		len -= used;
		if (st == FRAME_NEED_MORE)
			break;
		conn_frame(c, payload, plen);
	}
}

/*
 * Reads from c once, or with drain until the socket is empty (bounded):
 * the shutdown path takes what the clients sent before the signal.
 */
static void
conn_read(struct conn *c, int drain)
{
	struct server	*srv = c->srv;
	ssize_t		 n;
	size_t		 total = 0;
	char		 reason[128];

	do {
		n = recv(c->fd, srv->rbuf, SERVER_READ_SIZE, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			snprintf(reason, sizeof reason, "read: %s",
			    strerror(errno));
			conn_kill(c, reason);
			return;
		}
		if (n == 0) {
			if (c->dec.have_header != 0)
				conn_kill(c, "peer closed inside a frame");
			else
				conn_kill(c, "peer closed");
			return;
		}
		c->bytes += (uint64_t)n;
		total += (size_t)n;
		conn_input(c, srv->rbuf, (size_t)n);
	} while (drain && !c->dead && c->state != CONN_CLOSING &&
	    total < SERVER_DRAIN_MAX);
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_read(w->data, 0);
}

/* A new connection on fd, from the peer described by peer. */
static void
conn_new(struct server *srv, struct listener *l, int fd, const char *peer)
{
	struct conn	*c;
	int		 one = 1;

	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->id = ++srv->next_id;
	c->fd = fd;
	c->tcp = l->tcp;
	c->state = CONN_AWAIT_HELLO;
	xasprintf(&c->name, "#%" PRIu64 " %s", c->id, peer);
	frame_decoder_init(&c->dec, (size_t)srv->opts->max_frame);
	buf_init(&c->out, SERVER_OUT_MAX);
	if (c->tcp && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof one) == -1)
		log_warnx("%s: TCP_NODELAY: %s", c->name, strerror(errno));

	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	c->rio.data = c;
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	c->wio.data = c;
	ev_timer_init(&c->close_timer, conn_close_timer_cb, SERVER_CLOSE_WAIT,
	    0.);
	c->close_timer.data = c;
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	metrics_connections(srv->nconns);
	ev_io_start(srv->loop, &c->rio);
	bbmirrord_debug("%s: connected to %s", c->name, l->name);
}

/* "ADDR:PORT" of a socket address, numeric. */
static void
server_addr_name(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
	    NI_NUMERICHOST|NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "unknown");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, port);
	else
		snprintf(out, outlen, "%s:%s", host, port);
}

static void
server_accept_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server	*srv = w->data;
	size_t		 i;

	if (srv->stopping)
		return;
	for (i = 0; i < srv->nlisteners; i++)
		ev_io_start(loop, &srv->listeners[i].w);
}

static void
server_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener		*l = w->data;
	struct server		*srv = l->srv;
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	char			 peer[NI_MAXHOST + NI_MAXSERV + 8];
	size_t			 i;
	int			 fd;

	for (;;) {
		slen = sizeof ss;
		fd = accept4(l->fd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK|SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warnx("%s: accept: %s", l->name, strerror(errno));
			/* Out of descriptors: pause rather than spin. */
			for (i = 0; i < srv->nlisteners; i++)
				ev_io_stop(loop, &srv->listeners[i].w);
			ev_timer_set(&srv->accept_pause, 1., 0.);
			ev_timer_start(loop, &srv->accept_pause);
			return;
		}
		if (l->tcp)
			server_addr_name((struct sockaddr *)&ss, slen, peer,
			    sizeof peer);
		else
			snprintf(peer, sizeof peer, "local");
		conn_new(srv, l, fd, peer);
	}
}

static struct listener *
server_add_listener(struct server *srv, int fd, int tcp, const char *name,
    const char *unlink_path)
{
	struct listener	*l;

	srv->listeners = xreallocarray(srv->listeners, srv->nlisteners + 1,
	    sizeof *srv->listeners);
	l = &srv->listeners[srv->nlisteners++];
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->tcp = tcp;
	l->name = xstrdup(name);
	l->unlink_path = (unlink_path != NULL) ? xstrdup(unlink_path) : NULL;
	l->srv = srv;
	return (l);
}

/*
 * Listens on the UNIX socket path. A socket file left by a dead daemon is
 * removed; one another process answers on is refused.
 */
static int
server_listen_unix(struct server *srv, const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 mask;
	int			 fd, r;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "%s: socket path too long (%zu bytes, at most "
		    "%zu)", path, strlen(path), sizeof sun.sun_path - 1);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			xasprintf(cause, "%s: exists and is not a socket",
			    path);
			return (-1);
		}
		fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
		if (fd == -1) {
			xasprintf(cause, "socket: %s", strerror(errno));
			return (-1);
		}
		r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
		if (r == 0 || errno == EAGAIN || errno == EINPROGRESS) {
			close(fd);
			xasprintf(cause, "%s: another process is listening on "
			    "this socket (a running bbmirrord?)", path);
			return (-1);
		}
		if (errno != ECONNREFUSED && errno != ENOENT) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			close(fd);
			return (-1);
		}
		close(fd);
		if (unlink(path) == -1 && errno != ENOENT) {
			xasprintf(cause, "%s: removing the stale socket: %s",
			    path, strerror(errno));
			return (-1);
		}
		log_info("%s: removed a stale socket", path);
	} else if (errno != ENOENT) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}

	fd = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	mask = umask(0117);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(mask);
	if (r == -1) {
		xasprintf(cause, "%s: bind: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (chmod(path, 0660) == -1 || listen(fd, SERVER_BACKLOG) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	server_add_listener(srv, fd, 0, path, path);
	return (0);
}

/*
 * Splits "HOST:PORT", "[V6]:PORT" or ":PORT" / "*:PORT" (any address).
 * *host is NULL for any address. Caller frees *host and *port.
 */
static int
server_split_addr(const char *spec, char **host, char **port, char **cause)
{
	const char	*colon, *end;

	*host = *port = NULL;
	if (*spec == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':')
			goto bad;
		*host = xstrndup(spec + 1, (size_t)(end - spec - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			goto bad;
		if (colon != spec && !(colon == spec + 1 && *spec == '*'))
			*host = xstrndup(spec, (size_t)(colon - spec));
	}
	if (colon[1] == '\0')
		goto bad;
	*port = xstrdup(colon + 1);
	return (0);
bad:
	free(*host);
	*host = NULL;
	xasprintf(cause, "--tcp: %s: expected ADDR:PORT ([ADDR]:PORT for "
	    "IPv6, :PORT for every address)", spec);
	return (-1);
}

/* Opens one TCP listener on ai; returns 0 or an errno. */
static int
server_listen_tcp_one(struct server *srv, const struct addrinfo *ai,
    const char *name)
{
	int	 fd, one = 1, error;

	fd = socket(ai->ai_family, ai->ai_socktype|SOCK_NONBLOCK|SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return (errno);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof one) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SERVER_BACKLOG) == -1) {
		error = errno;
		close(fd);
		return (error);
	}
	server_add_listener(srv, fd, 1, name, NULL);
	return (0);
}

/*
 * Listens on every address spec (--tcp) resolves to; an address that
 * cannot be bound is an error only if none can.
 */
static int
server_listen_tcp(struct server *srv, const char *spec, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		*host, *port, name[NI_MAXHOST + NI_MAXSERV + 8];
	char		*last = NULL;
	int		 r, error, bound = 0;

	if (server_split_addr(spec, &host, &port, cause) != 0)
		return (-1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	r = getaddrinfo(host, port, &hints, &res);
	free(host);
	free(port);
	if (r != 0) {
		xasprintf(cause, "--tcp: %s: %s", spec, gai_strerror(r));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		server_addr_name(ai->ai_addr, ai->ai_addrlen, name,
		    sizeof name);
		if ((error = server_listen_tcp_one(srv, ai, name)) == 0) {
			bound++;
			continue;
		}
		free(last);
		xasprintf(&last, "%s: %s", name, strerror(error));
		log_warnx("--tcp: %s", last);
	}
	freeaddrinfo(res);
	if (bound == 0) {
		xasprintf(cause, "--tcp: %s", last != NULL ? last : spec);
		free(last);
		return (-1);
	}
	free(last);
	return (0);
}

static void
server_close_listeners(struct server *srv)
{
	struct listener	*l;
	size_t		 i;

	for (i = 0; i < srv->nlisteners; i++) {
		l = &srv->listeners[i];
		if (srv->loop != NULL)
			ev_io_stop(srv->loop, &l->w);
		if (l->fd != -1)
			close(l->fd);
		if (l->unlink_path != NULL)
			unlink(l->unlink_path);
		free(l->unlink_path);
		free(l->name);
	}
	free(srv->listeners);
	srv->listeners = NULL;
	srv->nlisteners = 0;
}

int
server_listen(struct server *srv, char **cause)
{
	const struct bbmirrord_options	*opts = srv->opts;

	TAILQ_INIT(&srv->conns);
	if (opts->socket != NULL &&
	    server_listen_unix(srv, opts->socket, cause) != 0)
		return (-1);
	if (opts->tcp != NULL &&
	    server_listen_tcp(srv, opts->tcp, cause) != 0) {
		server_close_listeners(srv);
		return (-1);
	}
	return (0);
}

char *
server_describe(struct server *srv)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	for (i = 0; i < srv->nlisteners; i++) {
		if (buf_addf(&b, "%s%s%s", i == 0 ? "" : ", ",
		    srv->listeners[i].tcp ? "tcp " : "",
		    srv->listeners[i].name) != 0)
			fatalx("server_describe: too long");
	}
	return (buf_steal(&b, NULL));
}

static void
server_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

void
server_start(struct server *srv)
{
	struct listener	*l;
	size_t		 i;

	srv->rbuf = xmalloc(SERVER_READ_SIZE);
	ev_idle_init(&srv->gc, server_gc_cb);
	srv->gc.data = srv;
	ev_timer_init(&srv->accept_pause, server_accept_pause_cb, 1., 0.);
	srv->accept_pause.data = srv;
	ev_timer_init(&srv->stop_timer, server_stop_timer_cb, SERVER_STOP_WAIT,
	    0.);
	srv->stop_timer.data = srv;
	for (i = 0; i < srv->nlisteners; i++) {
		l = &srv->listeners[i];
		ev_io_init(&l->w, server_accept_cb, l->fd, EV_READ);
		l->w.data = l;
		ev_io_start(srv->loop, &l->w);
	}
}

void
server_shutdown(struct server *srv)
{
	struct conn	*c;
	int		 alive = 0;

	if (srv->stopping)
		return;
	ev_timer_stop(srv->loop, &srv->accept_pause);
	server_close_listeners(srv);

	/* Take what the clients sent before the signal, then commit it. */
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (!c->dead && c->state != CONN_CLOSING)
			conn_read(c, 1);
	}
	writer_commit(srv);

	srv->stopping = 1;
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->dead)
			continue;
		ev_io_stop(srv->loop, &c->rio);
		c->state = CONN_CLOSING;
		conn_flush(c);
		if (!c->dead)
			alive++;
	}
	ev_idle_start(srv->loop, &srv->gc);
	if (alive != 0)
		ev_timer_start(srv->loop, &srv->stop_timer);
}

void
server_free(struct server *srv)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&srv->conns)) != NULL) {
		if (!c->dead)
			conn_kill(c, "listener shutting down");
		TAILQ_REMOVE(&srv->conns, c, entry);
		frame_decoder_free(&c->dec);
		buf_free(&c->out);
		free(c->master);
		free(c->fail_reason);
		free(c->name);
		free(c);
	}
	server_close_listeners(srv);
	if (srv->loop != NULL) {
		ev_idle_stop(srv->loop, &srv->gc);
		ev_timer_stop(srv->loop, &srv->accept_pause);
		ev_timer_stop(srv->loop, &srv->stop_timer);
	}
	free(srv->rbuf);
	srv->rbuf = NULL;
}
