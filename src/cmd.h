/*
 * The command table of the front end: each `clupdate VERB` is one entry,
 * implemented in src/cmd-VERB.c. main() dispatches, `clupdate help VERB`
 * prints the entry's help.
 */
#ifndef CLU_CMD_H
#define CLU_CMD_H

struct cmd {
	const char *name;
	const char *summary;     /* one line for `clupdate --help` */
	const char *help;        /* the whole help of `clupdate help VERB` */
	int (*run)(int argc, char **argv);   /* returns the exit status */
};

extern const struct cmd commands[];

const struct cmd *cmd_find(const char *name);

/* Print a command's help on stdout. */
void cmd_print_help(const struct cmd *cmd);

/*
 * Report an error on stderr as "clupdate: MESSAGE" and return the exit
 * status for code.
 */
int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The directory of this executable (for finding lab/ and build/demo/). */
const char *cmd_self_dir(void);

int cmd_plan(int argc, char **argv);
int cmd_lab(int argc, char **argv);

extern const char cmd_plan_help[];
extern const char cmd_lab_help[];

#endif
