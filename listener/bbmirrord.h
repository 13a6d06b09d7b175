/*
 * bbmirrord.h: the private header of bbmirrord, the live listener. One
 * section per file: main.c (settings, logging, signals), server.c
 * (listening sockets and connections), writer.c (batches and acks).
 *
 * The daemon is a single-threaded libev loop. Connections decode frames
 * (frame.h) and events (event.h); the writer applies them through live.h
 * in batches and acknowledges each master's committed sequence number.
 */
#ifndef BBM_BBMIRRORD_H
#define BBM_BBMIRRORD_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "event.h"
#include "frame.h"
#include "live.h"
#include "logstore.h"
#include "store.h"
#include "util.h"

/* --- main.c ------------------------------------------------------------ */

/* The settings, once the command line and the config file are merged. */
struct bbmirrord_options {
	const char	*db;
	const char	*logstore;
	const char	*socket;	/* NULL: no UNIX socket */
	const char	*tcp;		/* NULL: no TCP listener */
	const char	*token_file;
	int64_t		 commit_events;
	int64_t		 commit_ms;
	int64_t		 max_frame;
	int		 sync_full;
	const char	*http;		/* NULL: no HTTP server */
	int64_t		 http_threads;
	int64_t		 http_timeout;
	int64_t		 http_max_connections;
	int		 read_only;
	const char	*master_basedir;
	const char	*log_max_age;
	const char	*log_max_total_size;
	const char	*log_keep;
	int64_t		 prune_interval;
	int		 syslog;
	const char	*log_file;
	int		 verbose;
	int		 quiet;
};

/* Logs at the verbose level (--verbose): connection hellos and closes. */
void	bbmirrord_debug(const char *, ...) PRINTFLIKE(1, 2);

/* --- writer.c ---------------------------------------------------------- */

/*
 * The open batch. A batch is committed when it holds commit_events events,
 * commit_ms after its first event (timer), or as soon as the loop has no
 * more input to read (idle): under load batches grow, alone an event is
 * acknowledged at once.
 */
struct writer {
	ev_timer	 timer;
	ev_idle		 idle;
	uint64_t	 events;	/* in the open batch */
	uint64_t	 commits;
	double		 started;	/* ev_time() the batch began */
};

struct server;
struct conn;

void	writer_init(struct server *);
void	writer_free(struct server *);
/* Applies one event of c (a READY connection), opening a batch if needed. */
void	writer_apply(struct conn *, const struct bbm_event *);
/*
 * Opens a batch if none is open. Returns 0, or -1 if the transaction
 * cannot begin (logged; every connection is closed).
 */
int	writer_batch(struct server *);
/*
 * Applies one event of master master_id (master: its name, for logs and
 * metrics) inside the open batch (writer_batch first). A failed event is
 * logged. Does not commit: the caller calls writer_check, which commits
 * once the batch is full.
 */
enum live_result writer_apply_event(struct server *, int64_t master_id,
	    const char *master, const struct bbm_event *);
/* Commits if the batch holds --commit-events events. */
void	writer_check(struct server *);
/*
 * Commits the open batch (if any) and sends every READY connection whose
 * master advanced an ack. On failure logs it and closes every connection.
 * Returns 0, or -1 if the commit failed.
 */
int	writer_commit(struct server *);

/* --- server.c ---------------------------------------------------------- */

enum conn_state {
	CONN_AWAIT_HELLO,
	CONN_READY,
	CONN_CLOSING,	/* not reading; closed once the output drains */
};

struct conn {
	struct server		*srv;
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	int			 fd;
	int			 tcp;
	char			*name;		/* for logs */
	enum conn_state		 state;
	int			 dead;	/* closed; freed by the gc */
	char			*fail_reason;	/* why it is CLOSING */

	ev_io			 rio;
	ev_io			 wio;
	ev_timer		 close_timer;

	struct frame_decoder	 dec;
	struct buf		 out;

	char			*master;
	int64_t			 master_id;
	uint64_t		 acked;	/* last seq acknowledged */
	uint64_t		 batch_events;	/* in the open batch */

	uint64_t		 events;	/* received */
	uint64_t		 bytes;		/* received */
};
TAILQ_HEAD(conn_list, conn);

struct listener {
	int		 fd;
	int		 tcp;
	char		*name;		/* "PATH" or "ADDR:PORT" */
	char		*unlink_path;	/* the UNIX socket we made */
	ev_io		 w;
	struct server	*srv;
};

struct server {
	struct ev_loop			*loop;
	const struct bbmirrord_options	*opts;
	char				*token;	/* NULL: no TCP */

	struct store			*store;
	struct logstore			*ls;
	struct live			*live;
	struct writer			 writer;

	struct listener			*listeners;
	size_t				 nlisteners;
	ev_timer			 accept_pause;

	struct conn_list		 conns;
	uint64_t			 nconns;	/* not dead */
	uint64_t			 next_id;
	char				*rbuf;
	ev_idle				 gc;

	int				 stopping;
	ev_timer			 stop_timer;

	struct http			*http;	/* NULL without --http */
	struct push_queue		*push;	/* push.c's state */
	struct pruner			*pruner;	/* pruner.c's state */
};

/*
 * Opens the listening sockets of the options (UNIX and TCP). Returns 0, or
 * -1 with *cause (caller frees), having closed whatever it opened.
 */
int	server_listen(struct server *, char **cause) WUR;
/* A description of the listeners for the startup line (caller frees). */
char	*server_describe(struct server *);
/* Starts accepting. */
void	server_start(struct server *);
/*
 * Shutdown (SIGTERM): stops accepting, reads what the clients have already
 * sent, commits, acknowledges and closes every connection; breaks the loop
 * once every connection is closed (at most a second later).
 */
void	server_shutdown(struct server *);
/* Frees every connection and closes the listeners. */
void	server_free(struct server *);
/*
 * Sends c an error frame and closes it once its output drains (at most a
 * second). Events of c already applied are committed and acknowledged
 * first.
 */
void	server_conn_fail(struct conn *, const char *message, uint64_t seq);
/* Fails every open connection with message. */
void	server_close_all(struct server *, const char *message);
/* Queues an ack of seq to c and tries to send it at once. */
void	server_conn_ack(struct conn *, uint64_t seq);

#endif /* BBM_BBMIRRORD_H */
