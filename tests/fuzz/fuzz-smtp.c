/*
 * Fuzz target: the SMTP probe's reply reader (clu_smtp_reply_parse(),
 * lib/probe.c). The input is what a server sends, from its greeting on.
 * It is delivered as the probe's conversation receives it, appended to the
 * reply buffer and parsed until a reply is whole, with the probe's own
 * refusal of a line that fills the buffer; twice over: in the largest
 * pieces the buffer takes, and byte by byte, so that every line is also
 * met cut at every point.
 *
 * The buffer's bytes beyond what was received are poisoned for
 * AddressSanitizer (as if they were outside the buffer): in the probe they
 * hold an earlier reply's bytes, and reading them is reading what the
 * server did not send.
 *
 * Covers: lib/probe.c:clu_smtp_reply_parse
 */
#include <stdlib.h>
#include <string.h>

#include "clupdate/probe.h"
#include "fuzz.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif

#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(r) ASAN_POISON_MEMORY_REGION((r)->buf + (r)->len, sizeof((r)->buf) - (r)->len)
#define UNPOISON(r) ASAN_UNPOISON_MEMORY_REGION((r)->buf, sizeof((r)->buf))
#else
#define POISON(r) ((void)(r))
#define UNPOISON(r) ((void)(r))
#endif

static void converse(const uint8_t *data, size_t size, size_t piece)
{
	/* On the heap, as in no other object: an overrun past it is seen too. */
	struct clu_smtp_reply *r = calloc(1, sizeof(*r));
	char last[512];    /* the size the probe's smtp_step() gives */
	size_t sent = 0;
	int code;

	if (!r)
		abort();
	for (;;) {
		size_t n;
		bool whole;

		POISON(r);
		whole = clu_smtp_reply_parse(r, &code, last, sizeof(last));
		UNPOISON(r);
		if (whole)
			continue;
		if (r->len == sizeof(r->buf) || sent == size)
			break;    /* "reply line too long", "connection closed" */
		n = size - sent;
		if (n > piece)
			n = piece;
		if (n > sizeof(r->buf) - r->len)
			n = sizeof(r->buf) - r->len;
		memcpy(r->buf + r->len, data + sent, n);
		r->len += n;
		sent += n;
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	converse(data, size, sizeof(((struct clu_smtp_reply *)0)->buf));
	converse(data, size, 1);
	return 0;
}
