/*
 * http-listen.c: the HTTP server's listening socket. bbmirrord opens and
 * binds it itself and hands it to libmicrohttpd, so that an error names
 * its cause ("Address already in use") and port 0 tells the real port.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bbmirrord.h"
#include "http.h"

/* "ADDR:PORT" or "[ADDR]:PORT" of a bound address (caller frees). */
static char *
http_describe(const struct sockaddr *sa)
{
	char	 host[INET6_ADDRSTRLEN], *s;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		xasprintf(&s, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		xasprintf(&s, "%s:%u", host, ntohs(s4->sin_port));
	}
	return (s);
}

/*
 * Splits spec into a host (NULL: every address) and a port. Accepts
 * "ADDR:PORT", "[ADDR]:PORT", ":PORT" and "PORT" (loopback).
 */
static int
http_split(const char *spec, char **host, unsigned int *port, char **cause)
{
	const char	*p, *ps;
	char		*end;
	unsigned long	 n;

	*host = NULL;
	if (*spec == '[') {
		if ((p = strchr(spec, ']')) == NULL || p[1] != ':')
			goto bad;
		*host = xstrndup(spec + 1, p - spec - 1);
		ps = p + 2;
	} else if ((p = strrchr(spec, ':')) != NULL) {
		if (memchr(spec, ':', p - spec) != NULL) {
			xasprintf(cause, "--http: %s: write an IPv6 address "
			    "in brackets, [ADDR]:PORT", spec);
			return (-1);
		}
		if (p != spec)
			*host = xstrndup(spec, p - spec);
		ps = p + 1;
	} else {
		*host = xstrdup("127.0.0.1");
		ps = spec;
	}
	if (*host != NULL && **host == '\0')
		goto bad;
	if (*ps < '0' || *ps > '9')
		goto bad;
	errno = 0;
	n = strtoul(ps, &end, 10);
	if (*end != '\0' || errno != 0 || n > 65535)
		goto bad;
	*port = n;
	return (0);
bad:
	free(*host);
	*host = NULL;
	xasprintf(cause, "--http: %s: expected ADDR:PORT, [ADDR]:PORT, "
	    ":PORT (every address) or PORT (loopback), with PORT 0-65535",
	    spec);
	return (-1);
}

/*
 * Opens, binds and listens on opts->http. Returns the socket, or -1 with
 * *cause naming the address and the system's reason.
 */
int
http_listen(const char *spec, char **desc, char **cause)
{
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*s6 = (void *)&ss;
	struct sockaddr_in	*s4 = (void *)&ss;
	socklen_t		 sslen;
	char			*host;
	unsigned int		 port;
	int			 fd, r, one = 1, zero = 0, any;

	if (http_split(spec, &host, &port, cause) != 0)
		return (-1);
	memset(&ss, 0, sizeof ss);
	any = (host == NULL);
	if (any) {
		/* Both families on one socket where IPv6 exists. */
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		sslen = sizeof *s6;
	} else {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((r = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
			xasprintf(cause, "--http: %s: cannot resolve %s: %s",
			    spec, host, gai_strerror(r));
			free(host);
			return (-1);
		}
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		sslen = ai->ai_addrlen;
		freeaddrinfo(ai);
		if (ss.ss_family == AF_INET6)
			s6->sin6_port = htons(port);
		else
			s4->sin_port = htons(port);
	}
	free(host);

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 && any && errno == EAFNOSUPPORT) {
		memset(&ss, 0, sizeof ss);
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons(port);
		sslen = sizeof *s4;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	}
	if (fd == -1) {
		xasprintf(cause, "--http: %s: socket: %s", spec,
		    strerror(errno));
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    any ? &zero : &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		xasprintf(cause, "--http: cannot listen on %s: %s", spec,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	sslen = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		xasprintf(cause, "--http: %s: getsockname: %s", spec,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	*desc = http_describe((struct sockaddr *)&ss);
	return (fd);
}

