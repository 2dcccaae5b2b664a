/*
 * Library-internal helpers: allocation that ends the program when memory
 * runs out (as git, tmux and Pacemaker do; the journal is what makes that
 * safe), BUG() for broken invariants of the code itself, growable arrays
 * and small string helpers. Not part of the public contract.
 */
#ifndef CLU_UTIL_H
#define CLU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void *clu__xmalloc(size_t size);
void *clu__xcalloc(size_t n, size_t size);
void *clu__xrealloc(void *ptr, size_t size);
char *clu__xstrdup(const char *s);
char *clu__xstrndup(const char *s, size_t n);
/* NULL-safe: returns NULL for NULL. */
char *clu__xstrdup_or_null(const char *s);
char *clu__xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grow array `a` (of `alloc` elements) so it holds at least `n` elements,
 * zeroing the new ones.
 */
#define CLU_ALLOC_GROW(a, n, alloc) do { \
	if ((size_t)(n) > (alloc)) { \
		size_t old_ = (alloc); \
		(alloc) = (alloc) ? (alloc) * 2 : 8; \
		if ((alloc) < (size_t)(n)) (alloc) = (n); \
		(a) = clu__xrealloc((a), (alloc) * sizeof(*(a))); \
		memset((a) + old_, 0, ((alloc) - old_) * sizeof(*(a))); \
	} \
} while (0)

/* A bug in clupdate itself, never bad input: report and abort. */
#define BUG(...) clu__bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void clu__bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline bool clu__streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}

/* A NULL-terminated vector of owned strings. */
struct clu__strv {
	char **v;      /* NULL-terminated; NULL when empty */
	size_t n;
	size_t alloc;
};
void clu__strv_push(struct clu__strv *sv, const char *s);
void clu__strv_release(struct clu__strv *sv);
bool clu__strv_has(const struct clu__strv *sv, const char *s);

/* v[0..n) joined with sep between them, newly allocated ("" when n is 0). */
char *clu__join(char *const *v, size_t n, const char *sep);

/*
 * The most a manifest, a static cluster file, a crm_mon capture or a lab's
 * lab.env may hold: 16 MiB, thousands of times what a real one needs, and
 * little enough to hold in memory.
 */
#define CLU__READ_MAX ((size_t)16 << 20)

/*
 * Read the whole file at path, of at most max bytes (max < SIZE_MAX), into
 * a NUL-terminated buffer the caller frees, its length in *len (len may be
 * NULL). Reads no more than max + 1 bytes, whatever the file is (/dev/zero,
 * a pipe): a longer one gives NULL with errno EFBIG. NULL and errno on any
 * other failure.
 */
char *clu__read_file(const char *path, size_t max, size_t *len);

/* Sleep ms milliseconds, the whole of them even when a signal interrupts. */
void clu__sleep_ms(unsigned ms);

#endif
