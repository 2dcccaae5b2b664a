/*
 * Escaping outside text for people (see display.h): one pass over the
 * bytes, keeping printable ASCII and well-formed UTF-8 other than the C1
 * controls, escaping the rest.
 */
#include <stdio.h>
#include <string.h>

#include "clupdate/display.h"
#include "util.h"

/*
 * Length of the well-formed UTF-8 sequence at s of a code point that is
 * not a control (U+0080..U+009F); 0 when there is none there. Overlong
 * forms, surrogates and code points past U+10FFFF are not well formed.
 */
static size_t utf8_length(const unsigned char *s)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xc2)
		lo = 0xa0;          /* C2 80..C2 9F: the C1 controls */
	else if (s[0] == 0xe0)
		lo = 0xa0;          /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;          /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;          /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;          /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

char *clu_display(const char *text, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out, *o;

	if (!text)
		return NULL;
	/* Most text is printable ASCII that fits: a copy, without the walk below. */
	for (s = (const unsigned char *)text; *s >= 0x20 && *s < 0x7f; s++)
		;
	if (!*s && (!max || (size_t)(s - (const unsigned char *)text) <= max))
		return clu__xstrdup(text);
	s = (const unsigned char *)text;
	/* At most 4 bytes out per byte in, and room for "...". */
	out = o = clu__xmalloc(strlen(text) * 4 + 4);
	while (*s) {
		size_t n = utf8_length(s);
		char escaped[5];

		if (*s >= 0x20 && *s < 0x7f) {
			escaped[0] = (char)*s;
			escaped[1] = '\0';
			n = 1;
		} else if (n) {
			memcpy(escaped, s, n);
			escaped[n] = '\0';
		} else {
			if (*s == '\n')
				strcpy(escaped, "\\n");
			else if (*s == '\r')
				strcpy(escaped, "\\r");
			else if (*s == '\t')
				strcpy(escaped, "\\t");
			else
				snprintf(escaped, sizeof(escaped), "\\x%02x", *s);
			n = 1;
		}
		if (max && (size_t)(o - out) + strlen(escaped) > max) {
			memcpy(o, "...", 3);
			o += 3;
			break;
		}
		o = stpcpy(o, escaped);
		s += n;
	}
	*o = '\0';
	return out;
}
