/*
 * The command table: every verb of clupdate, its one-line summary and its
 * help, plus the small helpers every command shares (error reporting,
 * finding the program's own files).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/err.h"
#include "cmd.h"

const struct cmd commands[] = {
	{ "plan", "show the ordered, checked plan for applying a service pack",
	  cmd_plan_help, cmd_plan },
	{ "lab", "run a real Pacemaker cluster on this machine for trials and tests",
	  cmd_lab_help, cmd_lab },
	{ NULL, NULL, NULL, NULL },
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cmd_print_help(const struct cmd *cmd)
{
	fputs(cmd->help, stdout);
}

int cmd_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("clupdate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
