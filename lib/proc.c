/*
 * The spawn API (see proc.h). clu_proc_start() forks, has the child set
 * itself up and exec an argv vector, and returns once the exec is done.
 * clu_proc_poll() is one poll loop over any number of started procs: it
 * writes their stdin, drains their stdout and stderr, notices each child's
 * exit through a pidfd, enforces each timeout on the child's process group
 * and calls the watches. clu_proc_finish() drives one proc with it to the
 * end and turns the result into the error; clu_proc_run() is the two.
 *
 * A started proc's state lives in a struct clu__proc_run of its own, so that
 * the loop holds nothing but what one pass over the procs needs.
 *
 * Everything the child needs (the program's path, argv, the environment)
 * is prepared before fork(), because between fork() and exec() a child of a
 * multi-threaded process may only call async-signal-safe functions: no
 * malloc, no PATH search by execvp(). Failures in the child (chdir, dup2,
 * execve) come back to the parent through a close-on-exec pipe, so that
 * "cannot run 'x': ..." is an error of the run, not an exit status 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "clupdate/proc.h"
#include "util.h"

extern char **environ;

/* What failed in the child before exec; sent up the report pipe. */
enum child_stage { STAGE_STREAMS = 1, STAGE_CHDIR, STAGE_EXEC };

struct child_report {
	int stage;
	int error;
};

/* Everything the child uses, prepared by the parent before fork(). */
struct child_plan {
	const char *path;        /* resolved program */
	char *const *argv;
	char *const *envp;
	const char *dir;
	int src[3];              /* descriptor to become 0, 1, 2; -1: leave as is */
	bool err_to_out;         /* 2>&1 */
	int report_fd;
	pid_t parent;            /* us: the child dies with us */
};

/* Parent-side state of one captured (or written) pipe. */
struct stream {
	int fd;                  /* our end; -1 when closed or unused */
	struct clu_proc_output *output;   /* capture target (out/err) */
	size_t alloc;
};

/* A started proc, from clu_proc_start() to clu_proc_finish(). Times are
 * now_ms() values, -1 when not due. */
struct clu__proc_run {
	pid_t pid;               /* the child, leader of its process group */
	int pidfd;               /* readable once it exits; -1: poll waitpid() */
	int in_fd;               /* our end of its stdin (CLU_PROC_BUFFER) */
	size_t written;          /* bytes of in.data written so far */
	struct stream out, err;
	unsigned grace_ms;       /* SIGTERM to SIGKILL */
	long long start, deadline, kill_at, linger_until, watch_at;
	bool reaped;             /* its exit status is in proc->result */
	bool terminating;        /* SIGTERM sent (timeout or clu_proc_kill()) */
	bool killed;             /* SIGKILL sent */
	bool ended;              /* reaped, output collected: finish won't wait */
	/* Where its descriptors are in the current poll set; -1: not there. */
	int slot_in, slot_out, slot_err, slot_pid;
};

#define READ_CHUNK 65536

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void vec_push(char ***vec, size_t *n, size_t *alloc, char *owned)
{
	CLU_ALLOC_GROW(*vec, *n + 2, *alloc);
	(*vec)[(*n)++] = owned;
	(*vec)[*n] = NULL;
}

void clu_proc_init(struct clu_proc *proc)
{
	memset(proc, 0, sizeof(*proc));
	proc->in.fd = proc->out.fd = proc->err.fd = -1;
}

void clu_proc_arg(struct clu_proc *proc, const char *arg)
{
	vec_push(&proc->argv, &proc->argc, &proc->argv_alloc, clu__xstrdup(arg));
}

void clu_proc_argf(struct clu_proc *proc, const char *fmt, ...)
{
	va_list ap;
	char *arg;

	va_start(ap, fmt);
	if (vasprintf(&arg, fmt, ap) < 0)
		arg = clu__xstrdup(fmt);   /* unreachable in practice: out of memory */
	va_end(ap);
	vec_push(&proc->argv, &proc->argc, &proc->argv_alloc, arg);
}

void clu_proc_args(struct clu_proc *proc, const char *const *args)
{
	for (; *args; args++)
		clu_proc_arg(proc, *args);
}

void clu_proc_env(struct clu_proc *proc, const char *assignment)
{
	vec_push(&proc->env, &proc->n_env, &proc->env_alloc, clu__xstrdup(assignment));
}

void clu_proc_setenv(struct clu_proc *proc, const char *name, const char *value)
{
	vec_push(&proc->env, &proc->n_env, &proc->env_alloc,
		 clu__xasprintf("%s=%s", name, value));
}

void clu_proc_shell(struct clu_proc *proc, const char *command)
{
	if (proc->argc)
		BUG("clu_proc_shell() on a proc that already has arguments");
	clu_proc_arg(proc, "/bin/sh");
	clu_proc_arg(proc, "-c");
	clu_proc_arg(proc, command);
	if (!proc->name)
		proc->name = proc->argv[2];
}

static const char *proc_name(const struct clu_proc *proc)
{
	return proc->name ? proc->name : proc->argv[0];
}

const char *clu_proc_describe(const struct clu_proc *proc, char *buf, size_t size)
{
	const struct clu_proc_result *r = &proc->result;

	if (!r->started)
		snprintf(buf, size, "was not started");
	else if (r->timed_out)
		snprintf(buf, size, "timed out after %u ms", proc->timeout_ms);
	else if (r->interrupted)
		snprintf(buf, size, "was interrupted");
	else if (r->signal)
		snprintf(buf, size, "killed by signal %d", r->signal);
	else
		snprintf(buf, size, "exited with status %d", r->exit_code);
	return buf;
}

/* ---- environment and program lookup (parent, before fork) ---- */

static size_t name_len(const char *assignment)
{
	return strcspn(assignment, "=");
}

static bool same_name(const char *a, const char *b)
{
	size_t n = name_len(a);

	return n == name_len(b) && strncmp(a, b, n) == 0;
}

/*
 * The child's environment: ours, minus every name proc->env mentions, plus
 * the last "K=V" of each such name. The strings are borrowed; only the
 * array is allocated.
 */
static char **build_envp(const struct clu_proc *proc)
{
	char **envp = NULL;
	size_t n = 0, alloc = 0;

	for (char **e = environ; e && *e; e++) {
		bool changed = false;

		for (size_t i = 0; i < proc->n_env && !changed; i++)
			changed = same_name(*e, proc->env[i]);
		if (!changed) {
			CLU_ALLOC_GROW(envp, n + 2, alloc);
			envp[n++] = *e;
		}
	}
	for (size_t i = 0; i < proc->n_env; i++) {
		bool overridden = false;

		for (size_t j = i + 1; j < proc->n_env && !overridden; j++)
			overridden = same_name(proc->env[i], proc->env[j]);
		if (!overridden && strchr(proc->env[i], '=')) {
			CLU_ALLOC_GROW(envp, n + 2, alloc);
			envp[n++] = proc->env[i];
		}
	}
	CLU_ALLOC_GROW(envp, n + 1, alloc);
	envp[n] = NULL;
	return envp;
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * Find argv0 the way execvp() would, but in the parent and in the PATH of
 * the child's environment. Returns an allocated path, or NULL with errno
 * ENOENT (nowhere) or EACCES (found but not executable).
 */
static char *find_program(const char *argv0, char *const *envp)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	bool denied = false;

	if (strchr(argv0, '/'))
		return clu__xstrdup(argv0);   /* execve() itself says what is wrong */
	if (!*argv0) {
		errno = ENOENT;
		return NULL;
	}
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (1) {
		size_t len = strcspn(path, ":");
		char *candidate = len ? clu__xasprintf("%.*s/%s", (int)len, path, argv0)
				      : clu__xasprintf("./%s", argv0);

		if (is_executable_file(candidate))
			return candidate;
		if (access(candidate, F_OK) == 0)
			denied = true;
		free(candidate);
		if (!path[len])
			break;
		path += len + 1;
	}
	errno = denied ? EACCES : ENOENT;
	return NULL;
}

/* ---- the child (async-signal-safe calls only) ---- */

static _Noreturn void child_fail(int report_fd, int stage)
{
	struct child_report report = { stage, errno };
	ssize_t unused = write(report_fd, &report, sizeof(report));

	(void)unused;
	_exit(127);
}

static _Noreturn void run_child(const struct child_plan *plan)
{
	struct sigaction dfl;
	sigset_t none;
	int src[3];

	/* Default dispositions first, then unblock: no caller's handler may
	 * ever run in the child. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);   /* fails harmlessly for KILL, STOP */
	/*
	 * glibc refuses sigaction() for the real-time signals it reserves (32,
	 * 33), yet a parent may have them ignored (GNU make starts its recipes
	 * so), and an ignored signal stays ignored across exec. Ask the kernel
	 * directly: "default, no flags, empty mask" is an all-zero struct on
	 * every architecture, since SIG_DFL is 0.
	 */
	for (int sig = 32; sig < SIGRTMIN; sig++) {
		unsigned long zero[4] = { 0 };

		/* The kernel's sigset is 64 bits (8 bytes) on Linux, not glibc's 128. */
		syscall(SYS_rt_sigaction, sig, zero, NULL, (size_t)8);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Its own process group, so that a timeout kills its children too. */
	setpgid(0, 0);
	/*
	 * It does not outlive us: a clupdate killed with SIGKILL leaves no
	 * crmadmin or installer behind to race the next run. (If we died
	 * before this, our pid is no longer its parent.)
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != plan->parent)
		_exit(127);

	/* Move sources out of 0..2 first, so one dup2() cannot clobber the
	 * source of the next (a caller whose own stdin was closed gets pipes
	 * numbered from 0). */
	for (int i = 0; i < 3; i++) {
		src[i] = plan->src[i];
		if (src[i] >= 0 && src[i] < 3) {
			src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
			if (src[i] < 0)
				child_fail(plan->report_fd, STAGE_STREAMS);
		}
	}
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && dup2(src[i], i) < 0)
			child_fail(plan->report_fd, STAGE_STREAMS);
	if (plan->err_to_out && dup2(1, 2) < 0)
		child_fail(plan->report_fd, STAGE_STREAMS);

	if (plan->dir && chdir(plan->dir) < 0)
		child_fail(plan->report_fd, STAGE_CHDIR);

	/* Nothing but 0, 1, 2 survives exec, whatever other threads or
	 * libraries opened without O_CLOEXEC. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 4096; fd++)
			if (fd != plan->report_fd)
				close(fd);

	execve(plan->path, plan->argv, plan->envp);
	child_fail(plan->report_fd, STAGE_EXEC);
}

/* ---- captures and pipes (parent) ---- */

static void capture(struct stream *s, const char *data, size_t n)
{
	struct clu_proc_output *o = s->output;
	size_t max = o->max ? o->max : CLU_PROC_CAPTURE_MAX;

	o->total += n;
	if (!o->keep_tail) {
		if (n > max - o->len)
			n = max - o->len;
	} else if (n >= max) {
		/* Only the last max bytes of this chunk can survive. */
		data += n - max;
		n = max;
		o->len = 0;
	} else if (o->len + n > 2 * max) {
		/* Keep at most 2*max; compacting only then keeps appends O(1). */
		memmove(o->buf, o->buf + o->len - (max - n), max - n);
		o->len = max - n;
	}
	if (!n)
		return;
	CLU_ALLOC_GROW(o->buf, o->len + n + 1, s->alloc);
	memcpy(o->buf + o->len, data, n);
	o->len += n;
}

static void capture_finish(struct clu_proc_output *o)
{
	size_t max = o->max ? o->max : CLU_PROC_CAPTURE_MAX;

	if (o->len > max) {
		memmove(o->buf, o->buf + o->len - max, max);
		o->len = max;
	}
	if (!o->buf)
		o->buf = clu__xcalloc(1, 1);
	o->buf[o->len] = '\0';
	o->truncated = o->total > o->len;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read what is there; close on end of file or error. */
static void drain(struct stream *s)
{
	char chunk[READ_CHUNK];

	while (s->fd >= 0) {
		ssize_t n = read(s->fd, chunk, sizeof(chunk));

		if (n > 0) {
			capture(s, chunk, (size_t)n);
			if ((size_t)n < sizeof(chunk))
				return;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			close_fd(&s->fd);
		}
	}
}

/* Write what the pipe takes; close when all is written or the child
 * stopped reading (EPIPE). */
static void write_some(int *fd, const char *data, size_t len, size_t *done)
{
	while (*fd >= 0 && *done < len) {
		ssize_t n = write(*fd, data + *done, len - *done);

		if (n > 0)
			*done += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			close_fd(fd);
	}
	close_fd(fd);
}

static bool sigpipe_pending(void)
{
	sigset_t pending;

	sigpending(&pending);
	return sigismember(&pending, SIGPIPE) == 1;
}

/*
 * Write stdin. The SIGPIPE a write to a child that closed its stdin raises
 * is directed at this thread: block it around the writes and consume it,
 * so that neither the default action nor a handler of the caller sees it.
 */
static void feed(struct clu__proc_run *run, const struct clu_proc_input *in)
{
	sigset_t pipe_only, caller_mask;
	bool was_pending;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &caller_mask);
	was_pending = sigpipe_pending();
	write_some(&run->in_fd, in->data, in->len, &run->written);
	if (!was_pending && sigpipe_pending()) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&pipe_only, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
}

/* ---- one run's timeline (parent) ---- */

static bool group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

static void set_result(struct clu_proc_result *r, int status)
{
	if (WIFEXITED(status)) {
		r->exit_code = WEXITSTATUS(status);
		r->signal = 0;
	} else if (WIFSIGNALED(status)) {
		r->exit_code = -1;
		r->signal = WTERMSIG(status);
	}
}

/* The shorter of two poll() timeouts, where -1 is no limit. */
static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 || a < b ? a : b;
}

static int min_timeout(int current, long long until, long long now)
{
	long long left = until > now ? until - now : 0;

	if (left > 1000000)
		left = 1000000;
	return current < 0 || left < current ? (int)left : current;
}

static bool pipes_open(const struct clu__proc_run *run)
{
	return run->in_fd >= 0 || run->out.fd >= 0 || run->err.fd >= 0;
}

/* SIGTERM to the group now, SIGKILL after the grace period. */
static void terminate(struct clu__proc_run *run, long long now)
{
	kill(-run->pid, SIGTERM);
	run->terminating = true;
	run->kill_at = now + run->grace_ms;
}

/* The child is gone after a SIGTERM, but some of its group lives on: it
 * gets the rest of the grace period, then SIGKILL. */
static bool awaiting_group_kill(const struct clu__proc_run *run)
{
	return run->reaped && run->terminating && !run->killed && group_alive(run->pid);
}

/* Close our ends and seal the captures: nothing more comes from this run. */
static void end_run(struct clu__proc_run *run)
{
	close_fd(&run->in_fd);
	close_fd(&run->out.fd);
	close_fd(&run->err.fd);
	close_fd(&run->pidfd);
	if (run->out.output)
		capture_finish(run->out.output);
	if (run->err.output)
		capture_finish(run->err.output);
	run->ended = true;
}

/*
 * The steps of a run that time drives: the timeout's SIGTERM, the SIGKILL
 * after the grace period, and the end of the run once the child is reaped
 * and its output drained or lingered on long enough. The timeout applies
 * only while the child runs: descendants that keep its pipes after it
 * exited are lingered on, not killed. Returns whether the run has ended.
 */
static bool advance(struct clu_proc *proc, long long now)
{
	struct clu__proc_run *run = proc->run;

	if (run->ended)
		return true;
	if (!run->reaped && !run->terminating && run->deadline >= 0 && now >= run->deadline) {
		proc->result.timed_out = true;
		terminate(run, now);
	}
	if (run->terminating && !run->killed && now >= run->kill_at) {
		/* Their death is asynchronous: give the pipes they held the
		 * time to close. */
		if (run->reaped && group_alive(run->pid))
			run->linger_until = now + CLU_PROC_LINGER_MS;
		kill(-run->pid, SIGKILL);
		run->killed = true;
	}
	if (run->reaped && !awaiting_group_kill(run) &&
	    (!pipes_open(run) || now >= run->linger_until))
		end_run(run);
	return run->ended;
}

/* How long poll() may sleep before this run needs attention; -1: no limit. */
static int run_timeout(const struct clu__proc_run *run, long long now)
{
	int timeout = -1;

	if (!run->reaped && run->pidfd < 0)
		timeout = 10;   /* no pidfd: poll waitpid() */
	if (!run->reaped && !run->terminating && run->deadline >= 0)
		timeout = min_timeout(timeout, run->deadline, now);
	if (!run->reaped && run->watch_at >= 0)
		timeout = min_timeout(timeout, run->watch_at, now);
	if (run->terminating && !run->killed)
		timeout = min_timeout(timeout, run->kill_at, now);
	if (awaiting_group_kill(run)) {
		if (timeout < 0 || timeout > 20)
			timeout = 20;   /* watch for the group emptying */
	} else if (run->reaped) {
		timeout = min_timeout(timeout, run->linger_until, now);
	}
	return timeout;
}

static int add_pollfd(struct pollfd *pfd, nfds_t *n, int fd, short events)
{
	if (fd < 0)
		return -1;
	pfd[*n] = (struct pollfd){ .fd = fd, .events = events };
	return (int)(*n)++;
}

/* Put this run's descriptors (at most four) into the poll set. */
static void add_run_fds(struct clu__proc_run *run, struct pollfd *pfd, nfds_t *n)
{
	run->slot_in = add_pollfd(pfd, n, run->in_fd, POLLOUT);
	run->slot_out = add_pollfd(pfd, n, run->out.fd, POLLIN);
	run->slot_err = add_pollfd(pfd, n, run->err.fd, POLLIN);
	run->slot_pid = add_pollfd(pfd, n, run->reaped ? -1 : run->pidfd, POLLIN);
}

static bool ready(const struct pollfd *pfd, int slot)
{
	return slot >= 0 && pfd[slot].revents;
}

static void try_reap(struct clu_proc *proc)
{
	struct clu__proc_run *run = proc->run;
	int status;

	if (waitpid(run->pid, &status, WNOHANG) != run->pid)
		return;
	run->reaped = true;
	set_result(&proc->result, status);
	proc->result.duration_ms = now_ms() - run->start;
	run->linger_until = now_ms() + CLU_PROC_LINGER_MS;
	/* Nobody reads stdin any more. */
	close_fd(&run->in_fd);
}

/* After poll(): call the watch when due, move the data, reap the child. */
static void handle_events(struct clu_proc *proc, const struct pollfd *pfd)
{
	struct clu__proc_run *run = proc->run;

	if (!run->reaped && run->watch_at >= 0 && now_ms() >= run->watch_at) {
		proc->watch(proc->watch_ctx);
		run->watch_at = now_ms() + proc->watch_ms;
	}
	if (ready(pfd, run->slot_in))
		feed(run, &proc->in);
	if (ready(pfd, run->slot_out))
		drain(&run->out);
	if (ready(pfd, run->slot_err))
		drain(&run->err);
	if (!run->reaped && (run->slot_pid < 0 || ready(pfd, run->slot_pid)))
		try_reap(proc);
}

static bool is_running(const struct clu_proc *proc)
{
	return proc && proc->run && !proc->run->ended;
}

bool clu_proc_done(const struct clu_proc *proc)
{
	return proc->run && proc->run->ended;
}

bool clu_proc_running(const struct clu_proc *proc)
{
	return proc->run != NULL;
}

int clu_proc_poll(struct clu_proc *const *procs, size_t n, int timeout_ms)
{
	struct pollfd *pfd = clu__xcalloc(4 * n + 1, sizeof(*pfd));
	long long until = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int running, got = 0;

	for (bool polled = false;; polled = true) {
		long long now = now_ms();
		bool any_ended = false;
		int wait = until >= 0 ? min_timeout(-1, until, now) : -1;
		nfds_t nfds = 0;

		running = 0;
		for (size_t i = 0; i < n; i++) {
			if (!is_running(procs[i]))
				continue;
			if (advance(procs[i], now)) {
				any_ended = true;
				continue;
			}
			running++;
			add_run_fds(procs[i]->run, pfd, &nfds);
			wait = sooner(wait, run_timeout(procs[i]->run, now));
		}
		if (any_ended || !running || (polled && until >= 0 && now >= until))
			break;
		got = poll(pfd, nfds, wait);
		if (got < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		for (size_t i = 0; i < n; i++)
			if (is_running(procs[i]))
				handle_events(procs[i], pfd);
		if (got < 0)
			break;   /* a handler ran: let the caller look at what it did */
	}
	free(pfd);
	return running;
}

/* ---- setting the streams up ---- */

static int open_null(int flags)
{
	return open("/dev/null", flags | O_CLOEXEC);
}

/*
 * Set up the child's stdin. A descriptor the child receives goes in
 * plan->src[0]; one we opened for it also in *owned (closed after fork); our
 * end of a pipe in run->in_fd. Returns 0 or -1 with errno.
 */
static int setup_input(const struct clu_proc_input *in, struct child_plan *plan,
		       struct clu__proc_run *run, int *owned)
{
	int p[2];

	switch (in->mode) {
	case CLU_PROC_DEFAULT:
	case CLU_PROC_NULL:
		if ((*owned = plan->src[0] = open_null(O_RDONLY)) < 0)
			return -1;
		break;
	case CLU_PROC_INHERIT:
		break;
	case CLU_PROC_FD:
		if (in->fd < 0)
			BUG("stdin mode CLU_PROC_FD without a descriptor");
		plan->src[0] = in->fd;
		break;
	case CLU_PROC_BUFFER:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		*owned = plan->src[0] = p[0];
		run->in_fd = p[1];
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		break;
	default:
		BUG("stdin mode %d", (int)in->mode);
	}
	return 0;
}

/* The same for stdout (fd 1) or stderr (fd 2), captured into *s. */
static int setup_output(struct clu_proc_output *o, int fd, struct child_plan *plan,
			struct stream *s, int *owned)
{
	int p[2];

	switch (o->mode) {
	case CLU_PROC_NULL:
		if ((*owned = plan->src[fd] = open_null(O_WRONLY)) < 0)
			return -1;
		break;
	case CLU_PROC_INHERIT:
		break;
	case CLU_PROC_FD:
		if (o->fd < 0)
			BUG("output mode CLU_PROC_FD without a descriptor");
		plan->src[fd] = o->fd;
		break;
	case CLU_PROC_STDOUT:
		if (fd != 2)
			BUG("stdout mode CLU_PROC_STDOUT");
		plan->err_to_out = true;
		break;
	case CLU_PROC_DEFAULT:
	case CLU_PROC_CAPTURE:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		*owned = plan->src[fd] = p[1];
		s->fd = p[0];
		s->output = o;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		break;
	default:
		BUG("output mode %d", (int)o->mode);
	}
	return 0;
}

static int setup_streams(struct clu_proc *proc, struct child_plan *plan,
			 struct clu__proc_run *run, int owned[3])
{
	if (setup_input(&proc->in, plan, run, &owned[0]) < 0 ||
	    setup_output(&proc->out, 1, plan, &run->out, &owned[1]) < 0 ||
	    setup_output(&proc->err, 2, plan, &run->err, &owned[2]) < 0)
		return -1;
	return 0;
}

/* ---- starting ---- */

static const char *stage_text(int stage)
{
	switch (stage) {
	case STAGE_STREAMS: return "cannot set up its standard streams: ";
	case STAGE_CHDIR:   return "cannot change to directory ";
	default:            return "";
	}
}

/* Fork the child, which sets itself up and execs; fills run->pid. */
static int spawn(struct clu_proc *proc, const struct child_plan *plan,
		 struct clu__proc_run *run, struct clu_err *err)
{
	sigset_t all, caller_mask;
	pid_t pid;

	/* No caller's signal handler may run in the child before it resets
	 * them all: block everything across fork(). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &caller_mask);
	run->start = now_ms();
	pid = fork();
	if (pid == 0)
		run_child(plan);
	pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	if (pid < 0)
		return clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': fork: %s",
				   proc_name(proc), strerror(errno));
	setpgid(pid, pid);   /* also in the child: whichever runs first wins */
	run->pid = proc->result.pid = pid;
	return CLU_OK;
}

/*
 * Wait for the child to exec: the report pipe closes on exec, or brings
 * what failed before it (then the child is reaped and this is the error).
 */
static int await_exec(struct clu_proc *proc, struct clu__proc_run *run,
		      int report_fd, struct clu_err *err)
{
	struct child_report report;
	ssize_t got;
	int status;

	do
		got = read(report_fd, &report, sizeof(report));
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(report))
		return CLU_OK;
	while (waitpid(run->pid, &status, 0) < 0 && errno == EINTR)
		;
	proc->result.duration_ms = now_ms() - run->start;
	if (report.stage == STAGE_CHDIR)
		return clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s'%s': %s",
				   proc_name(proc), stage_text(report.stage),
				   proc->dir, strerror(report.error));
	return clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s%s",
			   proc_name(proc), stage_text(report.stage),
			   strerror(report.error));
}

static struct clu__proc_run *run_new(const struct clu_proc *proc)
{
	struct clu__proc_run *run = clu__xcalloc(1, sizeof(*run));

	run->pidfd = run->in_fd = run->out.fd = run->err.fd = -1;
	run->slot_in = run->slot_out = run->slot_err = run->slot_pid = -1;
	run->deadline = run->kill_at = run->watch_at = -1;
	run->grace_ms = proc->kill_grace_ms ? proc->kill_grace_ms : CLU_PROC_KILL_GRACE_MS;
	return run;
}

/* The child runs: from now on the poll loop watches it. */
static void begin_run(struct clu_proc *proc, struct clu__proc_run *run)
{
	run->pidfd = pidfd_open(run->pid, 0);
	fcntl(run->pidfd, F_SETFD, FD_CLOEXEC);   /* pidfd_open() sets it; be sure */
	if (proc->timeout_ms)
		run->deadline = run->start + proc->timeout_ms;
	if (proc->watch && proc->watch_ms)
		run->watch_at = run->start + proc->watch_ms;
	proc->result.started = true;
	proc->run = run;
}

int clu_proc_start(struct clu_proc *proc, struct clu_err *err)
{
	struct child_plan plan;
	int owned[3] = { -1, -1, -1 }, report[2] = { -1, -1 };
	struct clu__proc_run *run;
	char **envp, *path;
	int rc = CLU_OK;

	if (!proc->argc)
		BUG("clu_proc_start() without argv");
	if (proc->run)
		BUG("clu_proc_start() on a proc already started");
	memset(&proc->result, 0, sizeof(proc->result));
	proc->result.exit_code = -1;
	run = run_new(proc);

	envp = build_envp(proc);
	path = find_program(proc->argv[0], envp);
	plan = (struct child_plan){ .path = path, .argv = proc->argv, .envp = envp,
				    .dir = proc->dir, .src = { -1, -1, -1 },
				    .report_fd = -1, .parent = getpid() };
	if (!path || setup_streams(proc, &plan, run, owned) < 0 ||
	    pipe2(report, O_CLOEXEC) < 0) {
		rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s",
				 proc_name(proc), strerror(errno));
		goto out;
	}
	plan.report_fd = report[1];
	rc = spawn(proc, &plan, run, err);
	for (int i = 0; i < 3; i++)
		close_fd(&owned[i]);
	close_fd(&report[1]);
	if (!rc)
		rc = await_exec(proc, run, report[0], err);

out:
	for (int i = 0; i < 3; i++)
		close_fd(&owned[i]);
	close_fd(&report[0]);
	close_fd(&report[1]);
	free(path);
	free(envp);
	if (rc) {
		end_run(run);
		free(run);
	} else {
		begin_run(proc, run);
	}
	return rc;
}

/* ---- finishing ---- */

/* The last non-empty line of a capture, for error messages. */
static void last_line(const struct clu_proc_output *o, char *buf, size_t size)
{
	size_t end = o->len, begin;

	buf[0] = '\0';
	if (!o->buf)
		return;
	while (end > 0 && (o->buf[end - 1] == '\n' || o->buf[end - 1] == '\r' ||
			   o->buf[end - 1] == ' '))
		end--;
	begin = end;
	while (begin > 0 && o->buf[begin - 1] != '\n')
		begin--;
	snprintf(buf, size, "%.*s", (int)(end - begin), o->buf + begin);
}

int clu_proc_finish(struct clu_proc *proc, struct clu_err *err)
{
	const struct clu_proc_result *r = &proc->result;
	char how[64], line[256] = "";
	bool captured_err = proc->run && proc->run->err.output;

	if (!proc->run)
		BUG("clu_proc_finish() on a proc not started");
	while (clu_proc_poll(&proc, 1, -1) > 0)
		;
	free(proc->run);
	proc->run = NULL;
	if (!r->timed_out && !r->interrupted && !r->signal && !r->exit_code)
		return CLU_OK;
	if (!r->timed_out && !r->interrupted && captured_err)
		last_line(&proc->err, line, sizeof(line));
	return clu_err_set(err, CLU_E_SPAWN, "'%s' %s%s%s", proc_name(proc),
			   clu_proc_describe(proc, how, sizeof(how)),
			   *line ? ": " : "", line);
}

void clu_proc_kill(struct clu_proc *proc)
{
	struct clu__proc_run *run = proc->run;

	/* Once reaped, what is left of the group are daemons it started:
	 * not ours to stop. */
	if (!run || run->reaped || run->terminating)
		return;
	proc->result.interrupted = true;
	terminate(run, now_ms());
}

int clu_proc_run(struct clu_proc *proc, struct clu_err *err)
{
	int rc = clu_proc_start(proc, err);

	return rc ? rc : clu_proc_finish(proc, err);
}

/* A proc dropped while it runs: kill its group and reap it, leak nothing. */
static void abandon_run(struct clu__proc_run *run)
{
	if (!run->reaped || (run->terminating && !run->killed))
		kill(-run->pid, SIGKILL);
	while (!run->reaped && waitpid(run->pid, NULL, 0) < 0 && errno == EINTR)
		;
	end_run(run);
	free(run);
}

void clu_proc_release(struct clu_proc *proc)
{
	if (proc->run)
		abandon_run(proc->run);
	for (size_t i = 0; i < proc->argc; i++)
		free(proc->argv[i]);
	free(proc->argv);
	for (size_t i = 0; i < proc->n_env; i++)
		free(proc->env[i]);
	free(proc->env);
	free(proc->out.buf);
	free(proc->err.buf);
	clu_proc_init(proc);
}
