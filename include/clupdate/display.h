/*
 * Showing text that comes from outside (node and group names, crm_mon's
 * messages, an installer's output, a journal written by another program)
 * to a person: on a terminal, in a runbook, in a one-line error message.
 * Such text must not be able to forge a line of a runbook (a newline) or
 * talk to the terminal (ESC and the other control characters), so every
 * writer of text for people passes it through clu_display().
 */
#ifndef CLUPDATE_DISPLAY_H
#define CLUPDATE_DISPLAY_H

#include <stddef.h>

/*
 * text with what a terminal would act on escaped: newline, carriage
 * return and tab as \n, \r and \t; the other control characters (C0, DEL,
 * and the C1 controls U+0080..U+009F, such as the 8-bit CSI) and bytes
 * that are not UTF-8 as \xNN (ESC is \x1b). Printable ASCII and valid
 * UTF-8 are kept as they are, and so is the backslash: the result is for
 * reading, not for decoding, and escaping twice changes nothing (a message
 * that quotes an escaped name can be escaped again when it is printed).
 *
 * max, when not 0, bounds the result to about max bytes: a longer one ends
 * with "..." (for quoting a value in a message). Returns a new string, to
 * be freed with free(); NULL when text is NULL.
 */
char *clu_display(const char *text, size_t max);

#endif
