/*
 * `clupdate complete WHAT ...`: the words the bash completion
 * (completion/clupdate) offers, taken from where clupdate keeps them, so
 * that a new command, option, cluster kind or run needs no edit there:
 *
 *   complete commands                  every command, one a line
 *   complete options VERB [SUB]        VERB's options ("--name"); for the
 *                                      lab (its help written by hand): its
 *                                      subcommands, or SUB's options, read
 *                                      from the help's usage lines
 *   complete argument VERB OPTION      what OPTION takes: its words (text
 *                                      json xml), or @file, @dir, @cluster,
 *                                      @lab, @none
 *   complete operand VERB              what VERB's operands are: @manifest,
 *                                      @run or @none
 *   complete clusters                  the kinds of --cluster: "pacemaker",
 *                                      "lab:", ... (CLU_TARGETS_EXPECTED)
 *   complete runs [STATE_DIR]          "last" and the journal's run ids,
 *                                      newest first (none without a journal)
 *
 * Not listed in --help: it is the completion's interface, not the user's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/output.h"
#include "clupdate/target.h"
#include "cmd.h"

/* Each "usage: clupdate lab SUB ..." line of a hand-written help, in turn. */
static const char *next_usage_line(const char *text, const char **sub, size_t *sub_len)
{
	while (*text) {
		const char *line = text, *word;
		size_t len = strcspn(line, "\n");

		text = line + len + (line[len] ? 1 : 0);
		if (strncmp(line, "usage: ", 7) && strncmp(line, "       ", 7))
			continue;
		word = strstr(line, "clupdate ");
		if (!word || word > line + len)
			continue;
		word += strlen("clupdate ");
		word += strcspn(word, " \n");   /* the verb */
		word += strspn(word, " ");
		*sub = word;
		*sub_len = strcspn(word, " \n");
		return text;
	}
	return NULL;
}

/* The "--name" words of the usage line of SUB (NULL: the subcommands). */
static void raw_options(const struct cmd *cmd, const char *sub)
{
	const char *line = cmd->help, *word;
	size_t len;

	while ((line = next_usage_line(line, &word, &len))) {
		const char *end = word + strcspn(word, "\n");

		if (!sub) {
			printf("%.*s\n", (int)len, word);
			continue;
		}
		if (strlen(sub) != len || strncmp(sub, word, len))
			continue;
		for (const char *o = word; (o = strstr(o, "--")) && o < end; o += 2) {
			size_t n = strspn(o + 2, "abcdefghijklmnopqrstuvwxyz-");

			if (n)
				printf("--%.*s\n", (int)n, o + 2);
		}
	}
}

/*
 * A hand-written option's argument: "--fencing none|lab" gives "none lab",
 * "[--from-cib FILE]" gives @file.
 */
static void raw_argument(const struct cmd *cmd, const char *option)
{
	char needle[64];
	const char *at;

	if (!strcmp(option, "--name") && !strcmp(cmd->name, "lab")) {
		puts("@lab");
		return;
	}
	snprintf(needle, sizeof(needle), "%s ", option);
	at = strstr(cmd->help, needle);
	if (at && !strncmp(at + strlen(needle), "FILE]", 5)) {
		puts("@file");
		return;
	}
	if (!at || !strchr(at + strlen(needle), '|') ||
	    strchr(at + strlen(needle), '|') > at + strcspn(at, "]\n")) {
		puts("@none");
		return;
	}
	at += strlen(needle);
	for (size_t n = strcspn(at, "|]\n"); ; n = strcspn(at, "|]\n")) {
		printf("%.*s\n", (int)n, at);
		if (at[n] != '|')
			break;
		at += n + 1;
	}
}

static void argument(const struct cmd *cmd, const char *option)
{
	static const char *const kinds[] = {
		[CMD_ARG_NONE] = "@none", [CMD_ARG_STRING] = "@none", [CMD_ARG_PATH] = "@file",
		[CMD_ARG_DIR] = "@dir", [CMD_ARG_CLUSTER] = "@cluster",
		[CMD_ARG_SECONDS] = "@none", [CMD_ARG_MILLISECONDS] = "@none",
		[CMD_ARG_DURATION] = "@none",
	};

	if (cmd->needs & CMD_RAW) {
		raw_argument(cmd, option);
		return;
	}
	for (const struct cmd_option *o = cmd->options; o->name; o++) {
		if (strncmp(option, "--", 2) || strcmp(option + 2, o->name))
			continue;
		if (o->arg == CMD_ARG_FORMAT) {
			static const char *const formats[] = { "text", "json", "xml", "html" };

			for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
				if (clu_format_parse(formats[f]) != CLU_FORMAT_HTML ||
				    cmd_html_allowed(cmd))
					puts(formats[f]);
		} else if (o->arg == CMD_ARG_STRATEGY) {
			for (int s = 0; s <= CLU_STRATEGY_AUTO; s++)
				puts(clu_strategy_name(s));
		} else {
			puts(kinds[o->arg]);
		}
		return;
	}
	puts("@none");
}

/* "pacemaker", "lab:", ... from the list every --cluster error shows. */
static void clusters(void)
{
	const char *s = CLU_TARGETS_EXPECTED;

	for (size_t n; *s; s += n, s += strspn(s, " ")) {
		size_t kind = strcspn(s, ":, ");

		n = strcspn(s, " ");
		if (!strncmp(s, "or ", 3))
			continue;
		printf("%.*s%s\n", (int)kind, s, s[kind] == ':' ? ":" : "");
	}
}

static int runs(const char *state_dir)
{
	struct clu_journal *journal = NULL;
	struct clu_run_record *list = NULL;
	struct clu_err err = CLU_ERR_INIT;
	char *db = NULL;
	size_t n = 0;

	puts("last");
	/* Completing must not create a journal, nor complain about one. */
	if (asprintf(&db, "%s/journal.db", state_dir) < 0 || access(db, R_OK)) {
		free(db);
		return 0;
	}
	free(db);
	if (!clu_journal_open(&journal, state_dir, &err) &&
	    !clu_journal_runs(journal, &list, &n, &err))
		for (size_t i = 0; i < n; i++)
			printf("%lld\n", (long long)list[i].id);
	clu_run_records_free(list, n);
	clu_journal_close(journal);
	return 0;
}

int cmd_complete(int argc, char **argv)
{
	const struct cmd *cmd = argc >= 3 ? cmd_find(argv[2]) : NULL;
	const char *what = argc >= 2 ? argv[1] : "";

	if (!strcmp(what, "commands")) {
		for (const struct cmd *const *c = commands; *c; c++)
			puts((*c)->name);
		puts("help");
	} else if (!strcmp(what, "clusters")) {
		clusters();
	} else if (!strcmp(what, "runs")) {
		return runs(argc >= 3 ? argv[2] : CLU_STATE_DIR);
	} else if (!strcmp(what, "options") && cmd && (cmd->needs & CMD_RAW)) {
		raw_options(cmd, argc >= 4 ? argv[3] : NULL);
	} else if (!strcmp(what, "options") && cmd) {
		for (const struct cmd_option *o = cmd->options; o->name; o++)
			printf("--%s\n", o->name);
		puts("--help");
	} else if (!strcmp(what, "argument") && cmd && argc >= 4) {
		argument(cmd, argv[3]);
	} else if (!strcmp(what, "operand") && cmd) {
		puts(cmd->needs & CMD_MANIFEST ? "@manifest" : cmd->operand &&
		     !strcmp(cmd->operand, "RUN") ? "@run" : "@none");
	} else {
		return cmd_fail(CLU_E_USAGE, "complete: expected commands, options VERB, argument "
				"VERB OPTION, operand VERB, clusters or runs [STATE_DIR]");
	}
	return fflush(stdout) ? clu_exit_status(CLU_E_IO) : 0;
}
