/*
 * Helpers shared by the demo mail service's programs (maild, smtp-send,
 * stamp): allocation that ends the program when memory runs out, a
 * growable byte buffer, complete reads and writes that survive EINTR and
 * short transfers, and the clocks the outage measurements are made with.
 * The demo programs are standalone: they do not link libclupdate, so that
 * a node needs nothing of clupdate to run the service.
 */
#ifndef DEMO_COMMON_H
#define DEMO_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer; always NUL-terminated after the first append. */
struct buf {
	char *bytes;
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *bytes, size_t len);
void buf_appendf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vappendf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Drop the first n bytes (the part a socket write has sent). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);

/* write()/read() all of len bytes, retrying on EINTR; 0 or -errno. */
int write_full(int fd, const void *bytes, size_t len);

/* CLOCK_MONOTONIC in milliseconds: shared by every namespace of a machine. */
int64_t mono_ms(void);
/* "2026-11-24T03:34:30.123Z" (UTC, milliseconds) into out. */
void real_iso(char *out, size_t size);

/*
 * Parse "IP:PORT", "[IPv6]:PORT" or ":PORT" (any address) into host and
 * port strings the caller frees. Returns 0 or -1 on bad syntax.
 */
int split_host_port(const char *spec, char **host, char **port);

/* Parse a decimal unsigned number within [min, max]; 0 or -1. */
int parse_uint(const char *text, unsigned long min, unsigned long max,
	       unsigned long *value);

#endif
