/*
 * util.h: small utilities shared by every bbmirror program: allocation that
 * dies on failure, a capped growable buffer for anything sized by input,
 * logging, and string conversion to UTF-8.
 */
#ifndef BBM_UTIL_H
#define BBM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define WUR __attribute__((warn_unused_result))
#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/* Allocation: internal sizes only; these print a message and exit on failure. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list);

/*
 * A growable byte buffer that refuses to grow past max (0 means 1 GiB).
 * data is always NUL-terminated after a successful add, so text can be used
 * as a C string. buf_add returns -1, leaving the buffer unchanged, when the
 * result would exceed max.
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};
void	 buf_init(struct buf *, size_t max);
int	 buf_add(struct buf *, const void *, size_t) WUR;
int	 buf_addf(struct buf *, const char *, ...) PRINTFLIKE(2, 3) WUR;
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/* Hands the data to the caller (caller frees) and empties the buffer. */
char	*buf_steal(struct buf *, size_t *len);

/* Logging to stderr (or syslog once log_open_syslog is called). */
void	 log_set_program(const char *);
void	 log_set_quiet(int);
void	 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatal(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatalx(const char *, ...) PRINTFLIKE(1, 2);
/*
 * Where the log goes instead of stderr. log_open_syslog: syslog under
 * ident, facility daemon (warnings at LOG_WARNING, fatal at LOG_ERR, the
 * rest at LOG_INFO). log_open_file: appends timestamped lines to path
 * (created 0640); -1 with *cause (caller frees) if it cannot be opened,
 * the log staying where it was. log_reopen: opens the same path again
 * (after a rotation moved the file; for SIGHUP); 0 when no file is in use.
 */
void	 log_open_syslog(const char *ident);
int	 log_open_file(const char *path, char **cause) WUR;
int	 log_reopen(char **cause) WUR;

/*
 * Strings from legacy data have no declared encoding: valid UTF-8 is kept,
 * anything else is read as Latin-1. Returns a NUL-terminated UTF-8 copy
 * (caller frees); *outlen (if not NULL) gets its length. Embedded NUL bytes
 * are kept in the length but make the C-string view shorter.
 */
char	*utf8_from_bytes(const void *, size_t, size_t *outlen);
int	 utf8_valid(const void *, size_t);
/* Length of the UTF-8 sequence at the start of n bytes, 0 if invalid. */
size_t	 utf8_seq(const void *, size_t n, int surrogates);

/* The value (0 to 15) of the hexadecimal digit c, or -1 if it is not one. */
int	 hex_value(int c);

/* 64-bit FNV-1a, for stable keys; chain by passing the previous result. */
#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a64(uint64_t, const void *, size_t);

/* Read a whole file into memory, refusing files larger than max bytes. */
int	 read_file(const char *path, size_t max, char **data, size_t *len,
	     char **cause) WUR;

#endif /* BBM_UTIL_H */
