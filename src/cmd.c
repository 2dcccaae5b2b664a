/*
 * The command table and the machinery every command shares (cmd.h): one
 * parser built from a command's entry, one opener for what it needs, the
 * help generated from the entry, and the small helpers (error reporting,
 * option values, signals, runs and reports from the journal).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/report.h"
#include "clupdate/display.h"
#include "cmd.h"

const struct cmd *const commands[] = {
	&cmd_plan_entry, &cmd_apply_entry, &cmd_rollback_entry, &cmd_resume_entry,
	&cmd_abort_entry, &cmd_status_entry, &cmd_history_entry, &cmd_show_entry, &cmd_report_entry, &cmd_probe_entry, &cmd_lab_entry,
	NULL,
};

const struct cmd_option cmd_journal_options[] = {
	CMD_OPTION_STATE_DIR("where the journal lives (default /var/lib/clupdate)"),
	CMD_OPTION_OUTPUT_AS("text (default), json or xml"),
	CMD_OPTION_END,
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *const *c = commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* Where help's option descriptions start. */
#define HELP_GUTTER 21
/* Where the usage line wraps. */
#define USAGE_WIDTH 79

bool cmd_html_allowed(const struct cmd *cmd)
{
	return !strcmp(cmd->name, "report") || !strcmp(cmd->name, "probe");
}

/* "[--name ARG]" as the usage line shows it, newly allocated. */
static char *usage_word(const struct cmd *cmd, const struct cmd_option *o)
{
	const char *arg = o->arg_name;
	char *word = NULL;
	int n;

	if (o->arg == CMD_ARG_FORMAT)
		arg = cmd_html_allowed(cmd) ? "text|json|xml|html" : "text|json|xml";
	if (o->arg == CMD_ARG_NONE)
		n = asprintf(&word, "[--%s]", o->name);
	else
		n = asprintf(&word, o->arg_optional ? "[--%s[=%s]]" : "[--%s %s]", o->name, arg);
	return n < 0 ? NULL : word;
}

void cmd_print_help(const struct cmd *cmd)
{
	char *head = NULL;
	size_t indent, column;

	if (cmd->needs & CMD_RAW) {
		fputs(cmd->help, stdout);
		return;
	}
	if (asprintf(&head, "usage: clupdate %s%s%s", cmd->name, cmd->operands ? " " : "",
		     cmd->operands ? cmd->operands : "") < 0)
		return;
	fputs(head, stdout);
	/* Continuation lines line up under the first option. */
	indent = column = strlen(head) + 1;
	free(head);
	for (const struct cmd_option *o = cmd->options; ; o++) {
		char *word = o->name ? usage_word(cmd, o) : cmd->operands_after ?
			strdup(cmd->operands_after) : NULL;

		if (!word)
			break;
		if (column > indent && column + strlen(word) > USAGE_WIDTH) {
			printf("\n%*s%s", (int)indent, "", word);
			column = indent + strlen(word) + 1;
		} else {
			printf(" %s", word);
			column += strlen(word) + 1;
		}
		free(word);
		if (!o->name)
			break;
	}
	fputs("\n\n", stdout);
	fputs(cmd->about, stdout);
	if (cmd->options[0].name)
		fputs("\noptions:\n", stdout);
	for (const struct cmd_option *o = cmd->options; o->name; o++) {
		int n = printf("  --%s%s%s%s", o->name, o->arg == CMD_ARG_NONE ? "" :
			       o->arg_optional ? "[=" : " ", o->arg == CMD_ARG_NONE ? "" : o->arg_name,
			       o->arg_optional ? "]" : "");

		/* A long option name gets its description on the same line anyway. */
		printf("%*s", n < HELP_GUTTER ? HELP_GUTTER - n : 1, "");
		for (const char *line = o->help; *line; ) {
			size_t len = strcspn(line, "\n");

			if (line != o->help)
				printf("%*s", HELP_GUTTER, "");
			printf("%.*s\n", (int)len, line);
			line += len + (line[len] ? 1 : 0);
		}
	}
	if (cmd->epilogue) {
		fputc('\n', stdout);
		fputs(cmd->epilogue, stdout);
	}
}

/* The options' values before parsing. */
static void options_init(struct cmd_options *o, const char *verb)
{
	memset(o, 0, sizeof(*o));
	o->verb = verb;
	o->cluster = "pacemaker";
	o->format = CLU_FORMAT_TEXT;
	o->strategy = -1;
	o->duration_ms = 10000;
	o->settle_ms = 1000;
}

/* Check and store one option's argument (NULL: none given). */
static int set_option(const struct cmd *cmd, const struct cmd_option *o, const char *arg,
		      struct cmd_options *opt)
{
	char *field = (char *)opt + o->field;

	if (o->given)
		*(bool *)((char *)opt + o->given) = true;
	if (!arg && o->arg != CMD_ARG_NONE)
		return 0;       /* an optional argument left out */
	switch (o->arg) {
	case CMD_ARG_NONE:
		*(bool *)field = true;
		return 0;
	case CMD_ARG_STRING:
	case CMD_ARG_PATH:
	case CMD_ARG_DIR:
	case CMD_ARG_CLUSTER:
		*(const char **)field = arg;
		return 0;
	case CMD_ARG_FORMAT:
		return cmd_format_option(cmd->name, arg, cmd_html_allowed(cmd), (int *)field);
	case CMD_ARG_STRATEGY:
		return cmd_strategy_option(cmd->name, arg, (int *)field);
	case CMD_ARG_SECONDS:
		return cmd_seconds_option(cmd->name, o->name, arg, o->max, (unsigned *)field);
	case CMD_ARG_MILLISECONDS:
		return cmd_milliseconds_option(cmd->name, o->name, arg, o->max, (unsigned *)field);
	case CMD_ARG_DURATION:
		if (clu_duration_parse(arg, (unsigned *)field))
			return cmd_fail(CLU_E_USAGE, "%s: bad --%s '%s' (expected a duration from "
					"1 ms to 24 h: 500ms, 90s, 10m, 2h)", cmd->name, o->name, arg);
		return 0;
	}
	return 0;
}

static int operand_error(const struct cmd *cmd)
{
	if (!cmd->max_operands)
		return cmd_fail(CLU_E_USAGE, "%s: takes no operand (see 'clupdate help %s')",
				cmd->name, cmd->name);
	return cmd_fail(CLU_E_USAGE, "%s: expected %s %s (see 'clupdate help %s')", cmd->name,
			cmd->min_operands == cmd->max_operands ? "one" : "a", cmd->operand,
			cmd->name);
}

int cmd_parse(const struct cmd *cmd, int argc, char **argv, struct cmd_ctx *ctx)
{
	struct option longs[32];
	char shorts[2 * 32 + 2] = "h", *s = shorts + 1;
	size_t n = 0, operands;
	int opt, index, status;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	options_init(&ctx->opt, cmd->name);
	for (const struct cmd_option *o = cmd->options; o->name; o++, n++) {
		if (n >= sizeof(longs) / sizeof(longs[0]) - 2)
			abort();        /* a table this long is a bug of ours */
		longs[n] = (struct option){ o->name, o->arg == CMD_ARG_NONE ? no_argument :
					    o->arg_optional ? optional_argument : required_argument,
					    NULL, 256 + (int)n };
		if (o->letter) {
			*s++ = o->letter;
			if (o->arg != CMD_ARG_NONE)
				*s++ = ':';
		}
	}
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';

	opterr = 0;
	optind = 1;
	/* Options stop at "--" (getopt consumes it): a CMD's own options stay its own. */
	while ((opt = getopt_long(argc, argv, shorts, longs, &index)) != -1) {
		const struct cmd_option *o = NULL;

		if (opt == 'h') {
			cmd_print_help(cmd);
			return 0;
		}
		if (opt >= 256)
			o = &cmd->options[opt - 256];
		for (const struct cmd_option *l = cmd->options; !o && l->name; l++)
			if (l->letter && l->letter == opt)
				o = l;
		if (!o)
			return cmd_fail(CLU_E_USAGE, "%s: unknown option '%s' (see 'clupdate help %s')",
					cmd->name, argv[optind - 1], cmd->name);
		status = set_option(cmd, o, optarg, &ctx->opt);
		if (status)
			return status;
	}
	operands = (size_t)(argc - optind);
	if (operands < cmd->min_operands || operands > cmd->max_operands)
		return operand_error(cmd);
	ctx->opt.operands = argv + optind;
	ctx->opt.n_operands = operands;
	if ((cmd->needs & CMD_ASKS) && !ctx->opt.yes && !ctx->opt.dry_run &&
	    !isatty(STDIN_FILENO))
		return cmd_fail(CLU_E_USAGE, "%s: stdin is not a terminal, so clupdate cannot "
				"ask before changing the cluster: pass --yes", cmd->name);
	return -1;
}

int cmd_open(struct cmd_ctx *ctx, struct clu_err *err)
{
	const struct cmd *cmd = ctx->cmd;
	struct cmd_options *o = &ctx->opt;
	int ret = 0;

	if (cmd->needs & CMD_MANIFEST) {
		ret = clu_manifest_load(&ctx->manifest, o->operands[0], err);
		if (ret)
			return ret;
		ctx->have_manifest = true;
	}
	if (cmd->needs & CMD_TARGET) {
		ret = clu_target_open(&ctx->target, o->cluster, ctx->have_manifest ?
				      ctx->manifest.version_attribute : NULL, o->ssh_config, err);
		if (ret)
			return ret;
		ctx->have_target = true;
		if ((cmd->needs & CMD_LIVE) && !ctx->target.live)
			return clu_err_set(err, CLU_E_USAGE, "%s: '%s' is a saved state, not a "
					   "running cluster (use --cluster pacemaker, lab:NAME or "
					   "ssh:HOST)", cmd->name, o->cluster);
	}
	if (cmd->needs & CMD_JOURNAL) {
		if (!o->state_dir && (cmd->needs & CMD_SCRATCH_JOURNAL)) {
			snprintf(ctx->scratch, sizeof(ctx->scratch), "/tmp/clupdate-%.16s-XXXXXX",
				 cmd->name);
			if (!mkdtemp(ctx->scratch)) {
				ctx->scratch[0] = '\0';
				return clu_err_set(err, CLU_E_IO, "cannot make a scratch directory: %s",
						   strerror(errno));
			}
			o->state_dir = ctx->scratch;
		} else if (!o->state_dir) {
			o->state_dir = CLU_STATE_DIR;
		}
		ret = clu_journal_open(&ctx->journal, o->state_dir, err);
	}
	return ret;
}

void cmd_close(struct cmd_ctx *ctx)
{
	clu_journal_close(ctx->journal);
	ctx->journal = NULL;
	if (ctx->scratch[0]) {
		static const char *const files[] = { "journal.db", "journal.db-wal", "journal.db-shm" };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char *path = NULL;

			if (asprintf(&path, "%s/%s", ctx->scratch, files[i]) > 0) {
				unlink(path);
				free(path);
			}
		}
		rmdir(ctx->scratch);
		ctx->scratch[0] = '\0';
	}
	if (ctx->have_target)
		clu_target_release(&ctx->target);
	if (ctx->have_manifest)
		clu_manifest_release(&ctx->manifest);
	ctx->have_target = ctx->have_manifest = false;
}

int cmd_execute(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_ctx ctx;
	struct clu_err err = CLU_ERR_INIT;
	int status, ret;

	if (cmd->needs & CMD_RAW)
		return cmd->run_raw(argc, argv);
	status = cmd_parse(cmd, argc, argv, &ctx);
	if (status >= 0)
		return status;
	ret = cmd_open(&ctx, &err);
	if (ret) {
		if (cmd->needs & CMD_ENVELOPE)
			clu_output_finish(clu_output_new(ctx.opt.format, stdout, cmd->name), ret,
					  err.msg);
		cmd_close(&ctx);
		return cmd_fail(ret, "%s", err.msg);
	}
	status = cmd->run(&ctx);
	cmd_close(&ctx);
	return status;
}

int cmd_fail(int code, const char *fmt, ...)
{
	va_list ap;
	char *message, *shown;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	/* Messages quote names and output from outside: no control character
	 * reaches the terminal raw. */
	shown = clu_display(message ? message : "out of memory", 0);
	fprintf(stderr, "clupdate: %s\n", shown);
	free(shown);
	free(message);
	return clu_exit_status(code);
}

const char *cmd_self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		strcpy(dir, ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	return dir;
}

int cmd_run_id(struct clu_journal *journal, const char *operand, int64_t *id,
	       struct clu_err *err)
{
	char *end;
	int ret;

	if (!strcmp(operand, "last")) {
		ret = clu_journal_last_run(journal, id, err);
		if (!ret && !*id)
			ret = clu_err_set(err, CLU_E_USAGE, "the journal has no run yet");
		return ret;
	}
	*id = strtoll(operand, &end, 10);
	if (*end || *id <= 0)
		return clu_err_set(err, CLU_E_USAGE, "'%s' is not a run id (see 'clupdate history')",
				   operand);
	return 0;
}

int cmd_print_report(struct clu_journal *journal, int64_t id, int format, struct clu_err *err)
{
	struct clu_run_record run;
	struct clu_report report;
	struct clu_output *out = clu_output_new(format, stdout, "report");
	int ret = clu_journal_run_load(journal, id, &run, err);

	if (!ret) {
		ret = clu_report_make(&report, &run, err);
		if (!ret) {
			clu_output_report(out, &report);
			clu_report_release(&report);
		}
		clu_run_record_release(&run);
	}
	if (clu_output_finish(out, ret, ret ? err->msg : NULL) && !ret)
		ret = clu_err_set(err, CLU_E_IO, "cannot write the report");
	return ret;
}

int cmd_format_option(const char *verb, const char *arg, bool html_ok, int *format)
{
	*format = clu_format_parse(arg);
	if (*format < 0 || (*format == CLU_FORMAT_HTML && !html_ok))
		return cmd_fail(CLU_E_USAGE, "%s: unknown output format '%s' (expected text, json%s)",
				verb, arg, html_ok ? ", xml or html" : " or xml");
	return 0;
}

/*
 * One rule for every number of seconds or milliseconds on the command
 * line: digits only (no sign, no unit, no space), within [min, max].
 */
static int whole_number_option(const char *verb, const char *option, const char *arg,
			       const char *unit, unsigned min, unsigned max, unsigned long *value)
{
	char *end = NULL;

	errno = 0;
	*value = arg && *arg >= '0' && *arg <= '9' ? strtoul(arg, &end, 10) : 0;
	if (!end || *end || errno || *value < min || *value > max)
		return cmd_fail(CLU_E_USAGE, "%s: bad --%s '%s' (expected whole %s from %u to %u)",
				verb, option, arg ? arg : "", unit, min, max);
	return 0;
}

int cmd_seconds_option(const char *verb, const char *option, const char *arg, unsigned max,
		       unsigned *ms)
{
	unsigned long seconds;
	int status = whole_number_option(verb, option, arg, "seconds", 1, max, &seconds);

	if (!status)
		*ms = (unsigned)seconds * 1000;
	return status;
}

int cmd_milliseconds_option(const char *verb, const char *option, const char *arg,
			    unsigned max, unsigned *ms)
{
	unsigned long value;
	int status = whole_number_option(verb, option, arg, "milliseconds", 0, max, &value);

	if (!status)
		*ms = (unsigned)value;
	return status;
}

int cmd_strategy_option(const char *verb, const char *arg, int *strategy)
{
	*strategy = clu_strategy_parse(arg);
	if (*strategy < 0)
		return cmd_fail(CLU_E_USAGE, "%s: unknown strategy '%s' (expected in-place, rolling "
				"or auto)", verb, arg);
	return 0;
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile sig_atomic_t *cmd_stop_on_signals(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigaction(stops[i], &sa, NULL);
	return &stop_requested;
}

int cmd_print_run(struct cmd_ctx *ctx, int64_t id, bool full, int ret, struct clu_err *err)
{
	struct clu_output *out = clu_output_new(ctx->opt.format, stdout, ctx->cmd->name);
	struct clu_run_record run;

	if (!ret && id) {
		ret = clu_journal_run_load(ctx->journal, id, &run, err);
		if (!ret) {
			clu_output_run(out, &run, full);
			clu_run_record_release(&run);
		}
	}
	clu_output_finish(out, ret, ret ? err->msg : NULL);
	return ret;
}
