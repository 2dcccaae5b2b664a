/*
 * Man pages generated from the command table (cmd.h): `clupdate help --man
 * VERB` prints clupdate-VERB(1) in roff, from the same entry that `clupdate
 * help VERB` prints as text, so the two cannot drift apart; `clupdate help
 * --man` prints the list of commands for clupdate(1) (the Makefile puts it
 * into doc/clupdate.1.in). The build writes every page into build/man.
 *
 * The entries' prose is plain text made for a terminal: paragraphs apart by
 * blank lines, indented lines for tables and examples, and in the epilogue
 * paragraphs that open with "examples:", "exit status: ...". Here the
 * plain lines are filled by roff, the indented ones kept as they are (no
 * fill), and an opening "word:" becomes a section heading.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Text as roff input: backslashes and minus signs escaped, no request by accident. */
static void put_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (i == 0 && (s[i] == '.' || s[i] == '\''))
			fputs("\\&", stdout);
		if (s[i] == '\\')
			fputs("\\e", stdout);
		else if (s[i] == '-')
			fputs("\\-", stdout);
		else
			fputc(s[i], stdout);
	}
}

static void put_line(const char *s)
{
	put_text(s, strlen(s));
	fputc('\n', stdout);
}

/* "exit status" of "exit status: 0 done, ..." (a heading), else 0. */
static size_t heading_length(const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && (islower((unsigned char)line[n]) || line[n] == ' '))
		n++;
	if (n == 0 || n >= len || line[n] != ':' || n > 20)
		return 0;
	return n + 1 < len && line[n + 1] != ' ' ? 0 : n;
}

/*
 * The prose of an entry (about, epilogue, an option's help). With
 * sections, a paragraph that opens with "word:" starts a section headed
 * WORD. Indented lines are kept as they are (.nf), the others filled.
 */
static void put_prose(const char *text, bool sections)
{
	bool first = true, verbatim = false;
	unsigned paragraphs = 0;

	while (*text) {
		size_t len = strcspn(text, "\n"), head;
		const char *next = text + len + (text[len] ? 1 : 0);

		if (len == 0) {
			if (verbatim)
				fputs(".fi\n", stdout);
			verbatim = false;
			first = true;
			text = next;
			continue;
		}
		head = sections && first ? heading_length(text, len) : 0;
		if (head) {
			fputs(".SH ", stdout);
			for (size_t i = 0; i < head; i++)
				fputc(toupper((unsigned char)text[i]), stdout);
			fputc('\n', stdout);
			text += head + 1;
			len -= head + 1;
			while (len && *text == ' ')
				text++, len--;
		} else if (first && (sections || paragraphs)) {
			fputs(sections ? ".PP\n" : ".sp\n", stdout);
		}
		paragraphs += first;
		first = false;
		if (len && (*text == ' ') != verbatim) {
			verbatim = !verbatim;
			fputs(verbatim ? ".nf\n" : ".fi\n", stdout);
		}
		if (len) {
			put_text(text, len);
			fputc('\n', stdout);
		}
		text = next;
	}
	if (verbatim)
		fputs(".fi\n", stdout);
}

static void put_title(const char *name, int section, const char *summary)
{
	char upper[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)name[i]);
	upper[i] = '\0';
	fputs(".TH ", stdout);
	put_text(upper, strlen(upper));
	printf(" %d \"\" \"clupdate %s\" \"%s\"\n.SH NAME\n", section, CLU_VERSION,
	       section == 1 ? "User Commands" : "File Formats");
	put_text(name, strlen(name));
	fputs(" \\- ", stdout);
	put_line(summary);
}

/*
 * "\fB--name\fR \fIARG\fR" as the options show an option; in the
 * synopsis without its letter, and not broken across lines.
 */
static void put_option(const struct cmd_option *o, bool synopsis)
{
	if (o->letter && !synopsis)
		printf("\\fB\\-%c\\fR, ", o->letter);
	fputs("\\fB\\-\\-", stdout);
	put_text(o->name, strlen(o->name));
	fputs("\\fR", stdout);
	if (o->arg == CMD_ARG_NONE)
		return;
	fputs(o->arg_optional ? "[=\\fI" : synopsis ? "\\ \\fI" : " \\fI", stdout);
	put_text(o->arg_name, strlen(o->arg_name));
	fputs(o->arg_optional ? "\\fR]" : "\\fR", stdout);
}

static void put_see_also(const struct cmd *cmd)
{
	fputs(".SH SEE ALSO\n.BR clupdate (1)", stdout);
	if (cmd->needs & CMD_MANIFEST)
		fputs(",\n.BR clupdate\\-manifest (5)", stdout);
	if (cmd->needs & CMD_TARGET)
		fputs(",\n.BR clupdate\\-static (5)", stdout);
	fputs("\n", stdout);
}

/* A command whose help is written by hand (lab): its usage lines, then prose. */
static void put_raw_page(const struct cmd *cmd)
{
	const char *text = cmd->help;

	fputs(".SH SYNOPSIS\n.nf\n", stdout);
	while (!strncmp(text, "usage: ", 7) || !strncmp(text, "       ", 7)) {
		size_t len = strcspn(text + 7, "\n");

		put_text(text + 7, len);
		fputc('\n', stdout);
		text += 7 + len + (text[7 + len] ? 1 : 0);
	}
	fputs(".fi\n.SH DESCRIPTION\n", stdout);
	put_prose(text, true);
}

static void put_page(const struct cmd *cmd)
{
	/* No hyphen breaks an option's name in two. */
	fputs(".SH SYNOPSIS\n.nh\n", stdout);
	printf(".B clupdate %s\n", cmd->name);
	if (cmd->operands) {
		fputs("\\fI", stdout);
		put_text(cmd->operands, strlen(cmd->operands));
		fputs("\\fR\n", stdout);
	}
	for (const struct cmd_option *o = cmd->options; o->name; o++) {
		fputs("[", stdout);
		put_option(o, true);
		fputs("]\n", stdout);
	}
	if (cmd->operands_after)
		put_line(cmd->operands_after);
	fputs(".hy\n.SH DESCRIPTION\n", stdout);
	put_prose(cmd->about, true);
	fputs(".SH OPTIONS\n", stdout);
	for (const struct cmd_option *o = cmd->options; o->name; o++) {
		fputs(".TP\n", stdout);
		put_option(o, false);
		fputc('\n', stdout);
		put_prose(o->help, false);
	}
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint this help (as \\fBclupdate help ",
	      stdout);
	put_text(cmd->name, strlen(cmd->name));
	fputs("\\fR) and exit\n", stdout);
	if (cmd->epilogue)
		put_prose(cmd->epilogue, true);
}

int cmd_print_man(const char *name)
{
	const struct cmd *cmd;
	char *page = NULL;

	if (!name) {
		for (const struct cmd *const *c = commands; *c; c++) {
			printf(".TP\n.BR clupdate\\-%s (1)\n", (*c)->name);
			put_line((*c)->summary);
		}
		return 0;
	}
	cmd = cmd_find(name);
	if (!cmd)
		return cmd_fail(CLU_E_USAGE, "no such command '%s' (see 'clupdate --help')", name);
	if (asprintf(&page, "clupdate-%s", cmd->name) < 0)
		return cmd_fail(CLU_E_IO, "out of memory");
	put_title(page, 1, cmd->summary);
	free(page);
	if (cmd->needs & CMD_RAW)
		put_raw_page(cmd);
	else
		put_page(cmd);
	put_see_also(cmd);
	return fflush(stdout) || ferror(stdout) ? cmd_fail(CLU_E_IO, "cannot write the page") : 0;
}
