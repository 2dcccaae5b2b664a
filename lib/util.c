/*
 * Library-internal helpers (see util.h): checked allocation, BUG(),
 * string vectors and whole-file reads.
 */
#include <errno.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static _Noreturn void out_of_memory(size_t size)
{
	/* The library never prints, except here: there is nothing else left. */
	fprintf(stderr, "clupdate: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *clu__xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory(size);
	return p;
}

void *clu__xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory(n * size);
	return p;
}

void *clu__xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		out_of_memory(size);
	return p;
}

char *clu__xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory(strlen(s) + 1);
	return p;
}

char *clu__xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		out_of_memory(n + 1);
	return p;
}

char *clu__xstrdup_or_null(const char *s)
{
	return s ? clu__xstrdup(s) : NULL;
}

char *clu__xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory(strlen(fmt));
	va_end(ap);
	return s;
}

void clu__bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "clupdate: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void clu__strv_push(struct clu__strv *sv, const char *s)
{
	CLU_ALLOC_GROW(sv->v, sv->n + 2, sv->alloc);
	sv->v[sv->n++] = clu__xstrdup(s);
	sv->v[sv->n] = NULL;
}

void clu__strv_release(struct clu__strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

bool clu__strv_has(const struct clu__strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

char *clu__join(char *const *v, size_t n, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	char *out, *q;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + (i ? seplen : 0);
	q = out = clu__xmalloc(len);
	for (size_t i = 0; i < n; i++) {
		if (i) {
			memcpy(q, sep, seplen);
			q += seplen;
		}
		q = stpcpy(q, v[i]);
	}
	*q = '\0';
	return out;
}

char *clu__read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, alloc = 0, got, want;

	if (!f)
		return NULL;
	do {
		CLU_ALLOC_GROW(buf, n + 4097, alloc);
		want = alloc - n - 1;
		if (want > max + 1 - n)
			want = max + 1 - n;
		got = fread(buf + n, 1, want, f);
		n += got;
	} while (got > 0 && n <= max);
	if (ferror(f) || n > max) {
		int saved = n > max ? EFBIG : errno ? errno : EIO;

		fclose(f);
		free(buf);
		errno = saved;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void clu__sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
