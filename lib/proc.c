/*
 * The spawn API (see proc.h): fork, set the child up, exec an argv vector,
 * then one poll loop that writes stdin, drains stdout and stderr, notices
 * the child's exit through a pidfd and enforces the timeout on the child's
 * process group.
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

void clu_proc_release(struct clu_proc *proc)
{
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

/* ---- the parent's loop ---- */

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
 * stopped reading (EPIPE: SIGPIPE is blocked in this thread). */
static void feed(int *fd, const char *data, size_t len, size_t *done)
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

static int min_timeout(int current, long long until, long long now)
{
	long long left = until > now ? until - now : 0;

	if (left > 1000000)
		left = 1000000;
	return current < 0 || left < current ? (int)left : current;
}

/*
 * Run the loop until the child is reaped and its output is drained (or
 * lingered on long enough), enforcing the timeout.
 */
static void supervise(struct clu_proc *proc, pid_t pid, int pidfd,
		      int *in_fd, struct stream *out, struct stream *err,
		      long long start)
{
	unsigned grace = proc->kill_grace_ms ? proc->kill_grace_ms : CLU_PROC_KILL_GRACE_MS;
	long long deadline = proc->timeout_ms ? start + proc->timeout_ms : -1;
	long long kill_at = -1, linger_until = -1;
	long long watch_at = proc->watch && proc->watch_ms ? start + proc->watch_ms : -1;
	bool reaped = false, killed = false;
	size_t written = 0;

	while (1) {
		struct pollfd pfd[4];
		int n = 0, timeout = -1, in_i = -1, out_i = -1, err_i = -1, pid_i = -1;
		long long now = now_ms();
		bool pipes_open = *in_fd >= 0 || out->fd >= 0 || err->fd >= 0;
		/* Timed out, the child is gone, but some of its group lives on:
		 * it gets the rest of the grace period, then SIGKILL. */
		bool waiting_kill = false;

		if (reaped) {
			waiting_kill = proc->result.timed_out && !killed && group_alive(pid);
			if (!waiting_kill && (!pipes_open || now >= linger_until))
				break;
			if (waiting_kill && now >= kill_at) {
				kill(-pid, SIGKILL);
				killed = true;
				/* Their death is asynchronous: give the pipes
				 * they held the time to close. */
				linger_until = now + CLU_PROC_LINGER_MS;
				continue;
			}
		}
		if (!proc->result.timed_out && deadline >= 0 && now >= deadline) {
			proc->result.timed_out = true;
			kill(-pid, SIGTERM);
			kill_at = now + grace;
		}
		if (proc->result.timed_out && !killed && now >= kill_at) {
			kill(-pid, SIGKILL);
			killed = true;
		}

		if (*in_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = *in_fd, .events = POLLOUT };
			in_i = n++;
		}
		if (out->fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = out->fd, .events = POLLIN };
			out_i = n++;
		}
		if (err->fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = err->fd, .events = POLLIN };
			err_i = n++;
		}
		if (!reaped && pidfd >= 0) {
			pfd[n] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
			pid_i = n++;
		}
		if (!reaped && pidfd < 0)
			timeout = 10;   /* no pidfd: poll waitpid() */
		if (!proc->result.timed_out && deadline >= 0)
			timeout = min_timeout(timeout, deadline, now);
		if (proc->result.timed_out && !killed)
			timeout = min_timeout(timeout, kill_at, now);
		if (reaped)
			timeout = min_timeout(timeout, waiting_kill ? kill_at : linger_until, now);
		if (waiting_kill && timeout > 20)
			timeout = 20;   /* watch for the group emptying */
		if (!reaped && watch_at >= 0)
			timeout = min_timeout(timeout, watch_at, now);

		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		if (!reaped && watch_at >= 0 && now_ms() >= watch_at) {
			proc->watch(proc->watch_ctx);
			watch_at = now_ms() + proc->watch_ms;
		}

		if (in_i >= 0 && pfd[in_i].revents)
			feed(in_fd, proc->in.data, proc->in.len, &written);
		if (out_i >= 0 && pfd[out_i].revents)
			drain(out);
		if (err_i >= 0 && pfd[err_i].revents)
			drain(err);
		if (!reaped && (pid_i < 0 || pfd[pid_i].revents)) {
			int status;
			pid_t got = waitpid(pid, &status, WNOHANG);

			if (got == pid) {
				reaped = true;
				set_result(&proc->result, status);
				proc->result.duration_ms = now_ms() - start;
				linger_until = now_ms() + CLU_PROC_LINGER_MS;
				/* Nobody reads stdin any more. */
				close_fd(in_fd);
			}
		}
	}
}

/* ---- setting the streams up ---- */

static int open_null(int flags)
{
	return open("/dev/null", flags | O_CLOEXEC);
}

/*
 * Decide each child stream; open the pipes and /dev/null. Descriptors the
 * child receives go in plan->src (closed by the caller after fork, except the
 * caller's own); our ends in *in_fd, out->fd, err->fd. Returns 0 or -1 with
 * errno.
 */
static int setup_streams(struct clu_proc *proc, struct child_plan *plan,
			 int *in_fd, struct stream *out, struct stream *err,
			 int owned[3])
{
	struct clu_proc_output *outputs[2] = { &proc->out, &proc->err };
	struct stream *streams[2] = { out, err };
	int p[2];

	switch (proc->in.mode) {
	case CLU_PROC_DEFAULT:
	case CLU_PROC_NULL:
		if ((owned[0] = plan->src[0] = open_null(O_RDONLY)) < 0)
			return -1;
		break;
	case CLU_PROC_INHERIT:
		break;
	case CLU_PROC_FD:
		if (proc->in.fd < 0)
			BUG("stdin mode CLU_PROC_FD without a descriptor");
		plan->src[0] = proc->in.fd;
		break;
	case CLU_PROC_BUFFER:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		owned[0] = plan->src[0] = p[0];
		*in_fd = p[1];
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		break;
	default:
		BUG("stdin mode %d", (int)proc->in.mode);
	}

	for (int i = 0; i < 2; i++) {
		struct clu_proc_output *o = outputs[i];

		switch (o->mode) {
		case CLU_PROC_NULL:
			if ((owned[i + 1] = plan->src[i + 1] = open_null(O_WRONLY)) < 0)
				return -1;
			break;
		case CLU_PROC_INHERIT:
			break;
		case CLU_PROC_FD:
			if (o->fd < 0)
				BUG("output mode CLU_PROC_FD without a descriptor");
			plan->src[i + 1] = o->fd;
			break;
		case CLU_PROC_STDOUT:
			if (i != 1)
				BUG("stdout mode CLU_PROC_STDOUT");
			plan->err_to_out = true;
			break;
		case CLU_PROC_DEFAULT:
		case CLU_PROC_CAPTURE:
			if (pipe2(p, O_CLOEXEC) < 0)
				return -1;
			owned[i + 1] = plan->src[i + 1] = p[1];
			streams[i]->fd = p[0];
			streams[i]->output = o;
			fcntl(p[0], F_SETFL, O_NONBLOCK);
			break;
		default:
			BUG("output mode %d", (int)o->mode);
		}
	}
	return 0;
}

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

static const char *stage_text(int stage)
{
	switch (stage) {
	case STAGE_STREAMS: return "cannot set up its standard streams: ";
	case STAGE_CHDIR:   return "cannot change to directory ";
	default:            return "";
	}
}

int clu_proc_run(struct clu_proc *proc, struct clu_err *err)
{
	struct child_plan plan = { .src = { -1, -1, -1 }, .report_fd = -1 };
	struct stream out = { .fd = -1 }, errs = { .fd = -1 };
	int owned[3] = { -1, -1, -1 }, report[2] = { -1, -1 };
	int in_fd = -1, pidfd = -1, rc = CLU_OK;
	sigset_t pipe_only, all, caller_mask, mask_with_pipe;
	bool pipe_was_pending = false;
	struct child_report child_report;
	char **envp = NULL;
	char *path = NULL;
	long long start;
	ssize_t got;
	pid_t pid;

	if (!proc->argc)
		BUG("clu_proc_run() without argv");
	memset(&proc->result, 0, sizeof(proc->result));
	proc->result.exit_code = -1;

	/* SIGPIPE from writing stdin is this thread's business only. */
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &caller_mask);
	pthread_sigmask(SIG_BLOCK, NULL, &mask_with_pipe);
	{
		sigset_t pending;

		sigpending(&pending);
		pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
	}

	envp = build_envp(proc);
	path = find_program(proc->argv[0], envp);
	if (!path) {
		rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s",
				 proc_name(proc), strerror(errno));
		goto out;
	}
	plan.path = path;
	plan.argv = proc->argv;
	plan.envp = envp;
	plan.dir = proc->dir;

	if (setup_streams(proc, &plan, &in_fd, &out, &errs, owned) < 0 ||
	    pipe2(report, O_CLOEXEC) < 0) {
		rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s",
				 proc_name(proc), strerror(errno));
		goto out;
	}
	plan.report_fd = report[1];
	plan.parent = getpid();

	/* No caller's signal handler may run in the child before it resets
	 * them all: block everything across fork(). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	start = now_ms();
	pid = fork();
	if (pid == 0)
		run_child(&plan);
	pthread_sigmask(SIG_SETMASK, &mask_with_pipe, NULL);
	if (pid < 0) {
		rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': fork: %s",
				 proc_name(proc), strerror(errno));
		goto out;
	}
	setpgid(pid, pid);   /* also in the child: whichever runs first wins */
	proc->result.pid = pid;

	for (int i = 0; i < 3; i++)
		close_fd(&owned[i]);
	close_fd(&report[1]);
	do
		got = read(report[0], &child_report, sizeof(child_report));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(child_report)) {
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		proc->result.duration_ms = now_ms() - start;
		if (child_report.stage == STAGE_CHDIR)
			rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s'%s': %s",
					 proc_name(proc), stage_text(child_report.stage),
					 proc->dir, strerror(child_report.error));
		else
			rc = clu_err_set(err, CLU_E_SPAWN, "cannot run '%s': %s%s",
					 proc_name(proc), stage_text(child_report.stage),
					 strerror(child_report.error));
		goto out;
	}
	proc->result.started = true;

	pidfd = pidfd_open(pid, 0);
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);   /* pidfd_open() sets it; be sure */
	supervise(proc, pid, pidfd, &in_fd, &out, &errs, start);

	if (proc->result.timed_out || proc->result.signal || proc->result.exit_code) {
		char how[64], line[256] = "";

		if (errs.output)
			capture_finish(errs.output);
		if (!proc->result.timed_out && errs.output)
			last_line(errs.output, line, sizeof(line));
		rc = clu_err_set(err, CLU_E_SPAWN, "'%s' %s%s%s", proc_name(proc),
				 clu_proc_describe(proc, how, sizeof(how)),
				 *line ? ": " : "", line);
	}

out:
	close_fd(&in_fd);
	close_fd(&out.fd);
	close_fd(&errs.fd);
	close_fd(&pidfd);
	close_fd(&report[0]);
	close_fd(&report[1]);
	for (int i = 0; i < 3; i++)
		close_fd(&owned[i]);
	if (out.output)
		capture_finish(out.output);
	if (errs.output)
		capture_finish(errs.output);
	free(path);
	free(envp);
	if (!pipe_was_pending) {
		struct timespec zero = { 0, 0 };
		sigset_t pending;

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) == 1)
			sigtimedwait(&pipe_only, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	return rc;
}
