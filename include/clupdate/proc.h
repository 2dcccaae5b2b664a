/*
 * Running other programs: the one spawn API of clupdate.
 *
 * Shaped like git's run-command. A caller fills a struct clu_proc (an argv
 * vector, additions to the environment, a working directory, what the
 * child's stdin, stdout and stderr are, a timeout), calls clu_proc_run()
 * and reads a structured result: exit status or signal, whether it timed
 * out, how long it ran, and the captured output.
 *
 * A long command is run in three steps instead (git's start_command and
 * finish_command), so that the caller can watch it, renew a lock, report
 * progress, stop it, or run several at once:
 *
 *	clu_proc_start(&a, &err); clu_proc_start(&b, &err);
 *	while (clu_proc_poll(procs, 2, 1000) > 0)
 *		report_progress();        (or clu_proc_kill() on interruption)
 *	rc_a = clu_proc_finish(&a, &err_a); rc_b = clu_proc_finish(&b, &err_b);
 *
 * A proc goes through three states:
 *   set up    after clu_proc_init() and the clu_proc_arg*() calls;
 *             clu_proc_start() or clu_proc_run() may be called;
 *   started   after clu_proc_start() succeeded: clu_proc_poll(),
 *             clu_proc_kill(), clu_proc_done() and clu_proc_finish() may be
 *             called; the proc's fields must not be changed, nor
 *             proc->result and the captures read (they are being filled);
 *   finished  after clu_proc_finish(), clu_proc_run(), or a clu_proc_start()
 *             that failed: result and captures are final.
 * clu_proc_release() may be called in any state; on a started proc it kills
 * the child's process group, so that an error path can drop a proc
 * without leaving a child behind.
 *
 * Rules it enforces, so that no caller has to remember them:
 *
 *  - Never a shell command line built from data. Commands are argv vectors;
 *    node names, attribute values and paths are single arguments. The only
 *    shell is clu_proc_shell(), for the manifest's own command strings, and
 *    data reaches such a command through the environment only.
 *  - The child runs in a process group of its own, with default signal
 *    dispositions, an empty signal mask and no file descriptor other than
 *    0, 1 and 2. A timeout sends SIGTERM to the whole group, then SIGKILL
 *    after a grace period, so an installer's own children die with it.
 *  - Captured output is read from both pipes at once while stdin is being
 *    written (one poll loop), so a child that fills one pipe while we wait
 *    on the other cannot deadlock. Each capture is bounded (out.max,
 *    err.max) and says when it was cut (truncated): a caller that parses
 *    the output must refuse a truncated capture, not parse part of it.
 *
 * Thread safety: no global state. Several threads may run processes at once
 * (the probe thread does); every descriptor is opened with O_CLOEXEC so that
 * one thread's child never inherits another's pipes. A started proc belongs
 * to one thread at a time: only that thread polls, kills or finishes it.
 * The child dies when the thread that started it ends (PR_SET_PDEATHSIG is
 * per thread): start a proc in a thread that outlives it. The child's
 * environment is built from `environ` before fork(): the program must not
 * setenv() while another thread may be spawning. The library never
 * changes signal dispositions: a write to a child that closed its stdin
 * gives EPIPE, the SIGPIPE it raises is blocked and consumed in the writing
 * thread only, around the write.
 */
#ifndef CLUPDATE_PROC_H
#define CLUPDATE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "clupdate/err.h"

/* Default bound of one captured stream, in bytes. */
#define CLU_PROC_CAPTURE_MAX ((size_t)4 << 20)
/* Default time between SIGTERM and SIGKILL after a timeout. */
#define CLU_PROC_KILL_GRACE_MS 2000u
/*
 * How long output is still read once the child has exited, for descendants
 * that inherited its stdout/stderr (a daemon the installer restarted and that
 * did not close them). After that the pipes are closed and the run ends.
 */
#define CLU_PROC_LINGER_MS 200u

/* What one of the child's standard streams is. */
enum clu_proc_mode {
	CLU_PROC_DEFAULT = 0,  /* stdin: CLU_PROC_NULL; stdout, stderr: CLU_PROC_CAPTURE */
	CLU_PROC_NULL,         /* /dev/null */
	CLU_PROC_INHERIT,      /* the caller's own stream of the same number */
	CLU_PROC_FD,           /* the caller's descriptor `fd` (left open, not closed) */
	CLU_PROC_BUFFER,       /* stdin only: the bytes data[0..len) */
	CLU_PROC_CAPTURE,      /* stdout, stderr only: into a buffer (see clu_proc_output) */
	CLU_PROC_STDOUT,       /* stderr only: wherever stdout goes (2>&1) */
};

struct clu_proc_input {
	enum clu_proc_mode mode;
	int fd;                /* CLU_PROC_FD */
	const char *data;      /* CLU_PROC_BUFFER: borrowed, must outlive the run
				* (clu_proc_run(), or clu_proc_start() to _finish()) */
	size_t len;
};

struct clu_proc_output {
	enum clu_proc_mode mode;
	int fd;                /* CLU_PROC_FD */
	size_t max;            /* capture bound in bytes; 0: CLU_PROC_CAPTURE_MAX */
	bool keep_tail;        /* past the bound keep the last bytes, not the first */

	/* Filled by clu_proc_run() / clu_proc_finish() in CLU_PROC_CAPTURE mode;
	 * owned by the proc. */
	char *buf;             /* NUL-terminated (NULL-safe: "" after a run) */
	size_t len;            /* bytes kept in buf (<= max) */
	size_t total;          /* bytes the child wrote */
	bool truncated;        /* total > len: the head or the tail was dropped */
};

/* How a run ended. */
struct clu_proc_result {
	bool started;          /* the program was executed (exec succeeded) */
	pid_t pid;             /* the child's pid (and process group id); 0 if none */
	int exit_code;         /* its exit status; -1 when killed by a signal or not started */
	int signal;            /* the signal that killed it; 0 if it exited */
	bool timed_out;        /* the timeout expired and the group was killed */
	bool interrupted;      /* clu_proc_kill() stopped it before it exited */
	long long duration_ms; /* from fork to reaping, on the monotonic clock */
};

struct clu__proc_run;   /* private to lib/proc.c */

struct clu_proc {
	/* argv, via clu_proc_arg*() or clu_proc_shell(); NULL-terminated, owned. */
	char **argv;
	size_t argc, argv_alloc;
	/* Environment changes on top of the caller's environment, via
	 * clu_proc_env()/clu_proc_setenv(): "K=V" sets, "K" unsets. Owned. */
	char **env;
	size_t n_env, env_alloc;

	const char *name;      /* for messages; NULL: argv[0]. Borrowed. */
	const char *dir;       /* working directory of the child; NULL: ours. Borrowed. */
	struct clu_proc_input in;
	struct clu_proc_output out, err;
	unsigned timeout_ms;   /* 0: none */
	unsigned kill_grace_ms;        /* 0: CLU_PROC_KILL_GRACE_MS */
	/*
	 * Called about every watch_ms (0: never) while the command runs, from
	 * the thread that runs it, inside clu_proc_run(), clu_proc_poll() or
	 * clu_proc_finish(): for work that must go on meanwhile (renew a lock).
	 * It may run other processes and call clu_proc_kill() on any proc; it
	 * must not start, poll, finish or release a proc being driven.
	 */
	void (*watch)(void *ctx);
	void *watch_ctx;
	unsigned watch_ms;

	struct clu_proc_result result; /* filled by clu_proc_run() / _finish() */

	struct clu__proc_run *run;     /* private: the child between start and finish */
};

/* Zero *proc: no argv, default streams (stdin /dev/null, capture out/err). */
void clu_proc_init(struct clu_proc *proc);

/* Append one argument (copied). */
void clu_proc_arg(struct clu_proc *proc, const char *arg);
/* Append one argument built printf-style (e.g. "--timeout=%u"). */
void clu_proc_argf(struct clu_proc *proc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append every string of a NULL-terminated array (copied). */
void clu_proc_args(struct clu_proc *proc, const char *const *args);

/* Add an environment change: "NAME=VALUE" sets NAME, "NAME" unsets it. */
void clu_proc_env(struct clu_proc *proc, const char *assignment);
/* Set NAME to VALUE in the child's environment (both copied). */
void clu_proc_setenv(struct clu_proc *proc, const char *name, const char *value);

/*
 * Make the command `/bin/sh -c COMMAND`: for the manifest's own command
 * strings (installer, verify, hooks), which are shell by design. Never pass
 * a string built from data here; give the data to the command through
 * clu_proc_setenv() ("$CLU_NODE"). argv must still be empty (BUG otherwise).
 * The name for messages becomes the command itself unless already set.
 */
void clu_proc_shell(struct clu_proc *proc, const char *command);

/*
 * Run the command and wait for it (and its output) to finish, or for the
 * timeout to expire, which kills the child's whole process group (SIGTERM,
 * then SIGKILL after kill_grace_ms). proc->result and the captures of
 * proc->out and proc->err are filled in every case where the program
 * started. The same as clu_proc_start() then clu_proc_finish().
 *
 * Returns 0 when the program ran and exited with status 0. Otherwise
 * CLU_E_SPAWN with err saying why, naming the command:
 *   "cannot run 'crm_mon': No such file or directory"  (result.started false)
 *   "cannot run 'x': cannot change to directory '/nope': No such file or directory"
 *   "'crm_mon' exited with status 102: LAST LINE OF CAPTURED STDERR"
 *   "'crm_mon' killed by signal 9"
 *   "'crm_mon' timed out after 5000 ms"
 *   "'install.sh' was interrupted"                    (clu_proc_kill())
 * A caller that expects non-zero exit statuses (a probe, `verify`) tests
 * result.started and reads result.exit_code itself.
 *
 * A proc runs once: run it again only after clu_proc_release() and a new
 * set-up. An empty argv is a BUG().
 */
int clu_proc_run(struct clu_proc *proc, struct clu_err *err);

/*
 * Start the command: fork, set the child's streams up, exec, and return as
 * soon as the exec succeeded or failed, without waiting for the child. The
 * timeout and the watch period count from here.
 *
 * Returns 0 when the program runs: the proc is started, and must then be
 * finished with clu_proc_finish() (or dropped with clu_proc_release()).
 * Otherwise CLU_E_SPAWN with the "cannot run '...'" messages of
 * clu_proc_run(): the proc is finished (result.started false), and
 * clu_proc_finish() must not be called. Starting a proc twice, or with an
 * empty argv, is a BUG().
 */
int clu_proc_start(struct clu_proc *proc, struct clu_err *err);

/*
 * Drive the started procs among procs[0..n): write their stdin, read their
 * output, enforce their timeouts, call their watches when due and reap the
 * children that exit. Entries that are NULL, not started, or already done
 * are skipped, so a caller may keep one array for a whole wave. One thread
 * drives any number of procs this way, without a thread each.
 *
 * Returns when a proc becomes done during the call, when timeout_ms has
 * passed (-1: no limit; 0: one pass that does not sleep), or early when a
 * signal handler ran (EINTR), so that a caller whose handler set a flag
 * sees it at once. Returns how many of the procs are still running
 * (started and not done): loop while it is above 0. Never fails.
 */
int clu_proc_poll(struct clu_proc *const *procs, size_t n, int timeout_ms);

/*
 * Whether a started proc is done: its child was reaped and its output
 * collected, so that clu_proc_finish() returns at once. False for a proc
 * that is not started (or already finished).
 */
bool clu_proc_done(const struct clu_proc *proc);

/*
 * Whether proc is started: clu_proc_start() succeeded and clu_proc_finish()
 * (or clu_proc_release()) has not been called yet, done or not.
 */
bool clu_proc_running(const struct clu_proc *proc);

/*
 * Wait for a started proc to end, driving it as clu_proc_poll() does, fill
 * proc->result and the captures, and end the proc's run (the proc is
 * finished). Returns what clu_proc_run() would have returned for it, with
 * the same messages. Calling it on a proc that is not started is a BUG().
 */
int clu_proc_finish(struct clu_proc *proc, struct clu_err *err);

/*
 * Stop a started proc early (an interruption): SIGTERM to its process
 * group now, SIGKILL after kill_grace_ms; it does not wait, clu_proc_poll()
 * or clu_proc_finish() collects the child. result.interrupted is then set
 * and clu_proc_finish() fails with "'x' was interrupted". Does nothing on a
 * proc that is not started, already exited (whatever it left running in its
 * group, a restarted daemon, is not stopped), or already being stopped by
 * its timeout. Not for signal handlers: set a flag there, kill from the loop.
 */
void clu_proc_kill(struct clu_proc *proc);

/*
 * Free everything proc owns (argv, env, captures) and clu_proc_init() it.
 * On a started proc, first SIGKILL its process group and reap the child.
 */
void clu_proc_release(struct clu_proc *proc);

/*
 * Describe how a run ended, in one line without the command name, into
 * buf (always NUL-terminated) and return buf: "exited with status 3",
 * "killed by signal 9", "timed out after 5000 ms", "was interrupted",
 * "was not started".
 */
const char *clu_proc_describe(const struct clu_proc *proc, char *buf, size_t size);

#endif
