/*
 * Unit tests of the spawn API (lib/proc.c): capture of both streams without
 * deadlock, bounds, stdin from a buffer, exit statuses, signals, timeouts
 * that kill the whole process group, the environment, the working
 * directory, descriptors and signal dispositions the child starts with,
 * and the exact error messages; then the start/poll/finish split: several
 * children driven by one loop, a timeout or a kill of one of them, the
 * watch and stdin while finishing, a started proc released.
 *
 * The test program doubles as a helper child: run as `test-proc --child
 * MODE ...` it writes, lists its descriptors, and so on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clupdate/proc.h"

static char self[4096];

/* ---- helper child modes ---- */

/* write OUT ERR: interleave OUT bytes of 'o' on stdout with ERR bytes of 'e'
 * on stderr, 4 KiB at a time, so a reader that waits on one pipe while the
 * other is full would deadlock. */
static int child_write(size_t out, size_t err)
{
	char o[4096], e[4096];

	memset(o, 'o', sizeof(o));
	memset(e, 'e', sizeof(e));
	while (out || err) {
		size_t n = out < sizeof(o) ? out : sizeof(o);
		size_t m = err < sizeof(e) ? err : sizeof(e);

		if (n && write(1, o, n) != (ssize_t)n)
			return 1;
		if (m && write(2, e, m) != (ssize_t)m)
			return 1;
		out -= n;
		err -= m;
	}
	return 0;
}

/* fds: print the descriptors open in this process, e.g. "0 1 2 ". */
static int child_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int list[64], n = 0;

	if (!d)
		return 1;
	while ((de = readdir(d)) && n < 64) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(d))
			list[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)          /* readdir order is not sorted */
		for (int j = i + 1; j < n; j++)
			if (list[j] < list[i]) {
				int t = list[i];

				list[i] = list[j];
				list[j] = t;
			}
	for (int i = 0; i < n; i++)
		printf("%d ", list[i]);
	return 0;
}

/* sigstate: print this process's blocked and ignored signal masks. */
static int child_sigstate(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7))
			fputs(line, stdout);
	fclose(f);
	return 0;
}

static int run_helper(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[2], "write"))
		return child_write(strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
	if (argc >= 3 && !strcmp(argv[2], "fds"))
		return child_fds();
	if (argc >= 3 && !strcmp(argv[2], "sigstate"))
		return child_sigstate();
	return 99;
}

/* ---- helpers ---- */

static void sh(struct clu_proc *proc, const char *script)
{
	clu_proc_init(proc);
	clu_proc_arg(proc, "/bin/sh");
	clu_proc_arg(proc, "-c");
	clu_proc_arg(proc, script);
}

static size_t count_byte(const char *buf, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == c;
	return n;
}

/* A process is gone when /proc has no entry or only a zombie left for
 * init to reap (this sandbox's init reaps about once a second). */
static bool process_dead(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return true;
	return p[2] == 'Z' || p[2] == 'X';
}

/* SIGKILL is delivered asynchronously: allow the kernel a moment. */
static bool process_gone(long pid)
{
	for (int i = 0; i < 100; i++) {
		if (process_dead(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CPU time this process used, in ms. */
static long long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* ---- tests ---- */

static void test_capture_and_status(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char how[64];

	(void)state;
	sh(&proc, "echo out; echo first >&2; echo 'last words' >&2; exit 3");
	proc.name = "three";
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'three' exited with status 3: last words");
	assert_true(proc.result.started);
	assert_int_equal(proc.result.exit_code, 3);
	assert_int_equal(proc.result.signal, 0);
	assert_false(proc.result.timed_out);
	assert_true(proc.result.pid > 0);
	assert_string_equal(proc.out.buf, "out\n");
	assert_int_equal(proc.out.len, 4);
	assert_string_equal(proc.err.buf, "first\nlast words\n");
	assert_false(proc.err.truncated);
	assert_string_equal(clu_proc_describe(&proc, how, sizeof(how)), "exited with status 3");
	clu_proc_release(&proc);

	sh(&proc, "exit 0");
	err = (struct clu_err)CLU_ERR_INIT;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(proc.result.exit_code, 0);
	assert_string_equal(proc.out.buf, "");
	assert_string_equal(proc.err.buf, "");
	assert_true(proc.result.duration_ms >= 0 && proc.result.duration_ms < 5000);
	clu_proc_release(&proc);

	/* Without a name the message names argv[0]; no stderr, no colon. */
	sh(&proc, "exit 7");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'/bin/sh' exited with status 7");
	clu_proc_release(&proc);
}

static void test_large_output_both_streams(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	const size_t out_bytes = 3u << 20, err_bytes = (5u << 20) / 2;

	(void)state;
	clu_proc_init(&proc);
	clu_proc_arg(&proc, self);
	clu_proc_args(&proc, (const char *const[]){ "--child", "write", NULL });
	clu_proc_argf(&proc, "%zu", out_bytes);
	clu_proc_argf(&proc, "%zu", err_bytes);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_false(proc.result.timed_out);
	assert_int_equal(proc.out.len, out_bytes);
	assert_int_equal(proc.out.total, out_bytes);
	assert_false(proc.out.truncated);
	assert_int_equal(count_byte(proc.out.buf, proc.out.len, 'o'), out_bytes);
	assert_int_equal(proc.err.len, err_bytes);
	assert_int_equal(count_byte(proc.err.buf, proc.err.len, 'e'), err_bytes);
	assert_int_equal(proc.out.buf[proc.out.len], '\0');
	clu_proc_release(&proc);
}

static void test_capture_bound_head_and_tail(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	/* seq 1 200000 writes 1288895 bytes. */
	sh(&proc, "seq 1 200000; seq 1 200000 >&2");
	proc.out.max = 1000;
	proc.err.max = 1000;
	proc.err.keep_tail = true;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_int_equal(proc.out.len, 1000);
	assert_int_equal(proc.out.total, 1288895);
	assert_true(proc.out.truncated);
	assert_int_equal(strncmp(proc.out.buf, "1\n2\n3\n", 6), 0);
	assert_int_equal(strlen(proc.out.buf), 1000);
	assert_int_equal(proc.err.len, 1000);
	assert_int_equal(proc.err.total, 1288895);
	assert_true(proc.err.truncated);
	assert_string_equal(proc.err.buf + 1000 - 14, "199999\n200000\n");
	/* The tail is exactly the last 1000 bytes: it starts mid-number or at
	 * a line boundary after "..." and holds 142 full lines + a partial. */
	assert_int_equal(strlen(proc.err.buf), 1000);
	assert_int_equal(count_byte(proc.err.buf, 1000, '\n'), 143);
	clu_proc_release(&proc);
}

/* Run `test-proc --child write OUT 0` with stdout bounded by max. */
static void run_writer(struct clu_proc *proc, size_t out_bytes, size_t max, bool keep_tail)
{
	struct clu_err err = CLU_ERR_INIT;

	clu_proc_init(proc);
	clu_proc_args(proc, (const char *const[]){ self, "--child", "write", NULL });
	clu_proc_argf(proc, "%zu", out_bytes);
	clu_proc_arg(proc, "0");
	proc->out.max = max;
	proc->out.keep_tail = keep_tail;
	proc->timeout_ms = 20000;
	assert_int_equal(clu_proc_run(proc, &err), 0);
}

/* The truncated flag is what callers that parse output rely on (the
 * backend refuses a partial crm_mon): exact at the bound, in both modes,
 * and with the default bound. */
static void test_capture_truncated_flag(void **state)
{
	struct clu_proc proc;

	(void)state;
	for (int tail = 0; tail < 2; tail++) {
		run_writer(&proc, 4096, 4096, tail);
		assert_int_equal(proc.out.len, 4096);
		assert_int_equal(proc.out.total, 4096);
		assert_false(proc.out.truncated);
		clu_proc_release(&proc);

		run_writer(&proc, 4097, 4096, tail);
		assert_int_equal(proc.out.len, 4096);
		assert_int_equal(proc.out.total, 4097);
		assert_true(proc.out.truncated);
		clu_proc_release(&proc);
	}
	run_writer(&proc, CLU_PROC_CAPTURE_MAX, 0, false);
	assert_false(proc.out.truncated);
	clu_proc_release(&proc);
	run_writer(&proc, CLU_PROC_CAPTURE_MAX + 1, 0, false);
	assert_int_equal(proc.out.len, CLU_PROC_CAPTURE_MAX);
	assert_true(proc.out.truncated);
	clu_proc_release(&proc);
}

static void test_stdin_buffer(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	size_t len = 3u << 20;
	char *data = malloc(len);

	(void)state;
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + i % 26);
	/* cat writes back while we still write: a blocking writer would
	 * deadlock on the full stdout pipe. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "cat");
	proc.in.mode = CLU_PROC_BUFFER;
	proc.in.data = data;
	proc.in.len = len;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_int_equal(proc.out.len, len);
	assert_memory_equal(proc.out.buf, data, len);
	clu_proc_release(&proc);

	/* A child that never reads its stdin: EPIPE, no SIGPIPE kills us. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "true");
	proc.in.mode = CLU_PROC_BUFFER;
	proc.in.data = data;
	proc.in.len = len;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	clu_proc_release(&proc);
	free(data);

	/* Default stdin is /dev/null: cat ends at once. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "cat");
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "");
	clu_proc_release(&proc);
}

static void test_signal(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char how[64];

	(void)state;
	sh(&proc, "kill -9 $$");
	proc.name = "suicide";
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'suicide' killed by signal 9");
	assert_true(proc.result.started);
	assert_int_equal(proc.result.signal, 9);
	assert_int_equal(proc.result.exit_code, -1);
	assert_false(proc.result.timed_out);
	assert_string_equal(clu_proc_describe(&proc, how, sizeof(how)), "killed by signal 9");
	clu_proc_release(&proc);
}

static void test_timeout_kills_group(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char how[64];
	long grandchild;

	(void)state;
	/* The grandchild holds stdout open; only killing the group ends it. */
	sh(&proc, "sleep 30 & echo $!; wait");
	proc.name = "sleeper";
	proc.timeout_ms = 300;
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'sleeper' timed out after 300 ms");
	assert_true(proc.result.timed_out);
	assert_int_equal(proc.result.signal, SIGTERM);
	assert_true(proc.result.duration_ms >= 300);
	assert_true(proc.result.duration_ms < 1900);   /* SIGTERM sufficed */
	assert_string_equal(clu_proc_describe(&proc, how, sizeof(how)), "timed out after 300 ms");
	grandchild = strtol(proc.out.buf, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(process_gone(grandchild));
	clu_proc_release(&proc);
}

static void test_timeout_sigkill_after_grace(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	long long cpu, wall;
	long grandchild;

	(void)state;
	/* The shell dies of SIGTERM, its child ignores SIGTERM: the group
	 * must still be SIGKILLed after the grace period. */
	sh(&proc, "(trap '' TERM; exec sleep 30) & echo $!; wait");
	proc.timeout_ms = 200;
	proc.kill_grace_ms = 800;
	cpu = cpu_ms();
	wall = now_ms();
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	wall = now_ms() - wall;
	cpu = cpu_ms() - cpu;
	assert_true(proc.result.timed_out);
	assert_int_equal(proc.result.signal, SIGTERM);
	grandchild = strtol(proc.out.buf, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(proc.result.duration_ms >= 200);
	assert_true(wall >= 1000);              /* waited for the grace period */
	assert_true(cpu < 250);                 /* without spinning */
	assert_true(process_gone(grandchild));
	clu_proc_release(&proc);

	/* A child that ignores SIGTERM itself. */
	sh(&proc, "trap '' TERM; sleep 30 & echo $!; wait; wait");
	proc.timeout_ms = 200;
	proc.kill_grace_ms = 300;
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_true(proc.result.timed_out);
	assert_int_equal(proc.result.signal, SIGKILL);
	assert_true(proc.result.duration_ms >= 500);
	assert_true(proc.result.duration_ms < 3000);
	grandchild = strtol(proc.out.buf, NULL, 10);
	assert_true(process_gone(grandchild));
	clu_proc_release(&proc);
}

static void test_child_exits_daemon_keeps_pipe(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	long daemon;

	(void)state;
	/* A service restarted by an installer that keeps stdout: the run ends
	 * shortly after the installer exits, and the service is not killed. */
	sh(&proc, "sleep 5 & echo $!; exit 0");
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_false(proc.result.timed_out);
	assert_true(proc.result.duration_ms < 4000);   /* not the daemon's 5 s */
	daemon = strtol(proc.out.buf, NULL, 10);
	assert_true(daemon > 1);
	assert_false(process_dead(daemon));
	kill((pid_t)daemon, SIGKILL);
	clu_proc_release(&proc);
}

static void test_environment(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	setenv("CLU_TEST_INHERITED", "kept", 1);
	setenv("CLU_TEST_UNSET", "gone?", 1);
	clu_proc_init(&proc);
	clu_proc_shell(&proc, "printf '%s|%s|%s|%s' \"$CLU_NODE\" \"$CLU_TEST_INHERITED\" "
			      "\"${CLU_TEST_UNSET-unset}\" \"$CLU_TWICE\"");
	/* Data with shell syntax in it stays data. */
	clu_proc_setenv(&proc, "CLU_NODE", "node one; echo pwned $(id)");
	clu_proc_env(&proc, "CLU_TEST_UNSET");
	clu_proc_setenv(&proc, "CLU_TWICE", "1");
	clu_proc_env(&proc, "CLU_TWICE=2");
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "node one; echo pwned $(id)|kept|unset|2");
	assert_string_equal(proc.argv[0], "/bin/sh");
	assert_string_equal(proc.argv[1], "-c");
	assert_null(proc.argv[3]);
	clu_proc_release(&proc);

	/* The shell's name for messages is the command itself. */
	clu_proc_init(&proc);
	clu_proc_shell(&proc, "exit 4");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'exit 4' exited with status 4");
	clu_proc_release(&proc);

	/* PATH of the child's environment is the one searched. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "true");
	clu_proc_setenv(&proc, "PATH", "/nonexistent");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run 'true': No such file or directory");
	clu_proc_release(&proc);
	unsetenv("CLU_TEST_INHERITED");
	unsetenv("CLU_TEST_UNSET");
}

static void test_missing_program(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char how[64];

	(void)state;
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "clupdate-no-such-program");
	clu_proc_arg(&proc, "--output-as=xml");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_int_equal(err.code, CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run 'clupdate-no-such-program': No such file or directory");
	assert_false(proc.result.started);
	assert_int_equal(proc.result.pid, 0);
	assert_string_equal(clu_proc_describe(&proc, how, sizeof(how)), "was not started");
	clu_proc_release(&proc);

	/* A path: execve() fails in the child, reported through the pipe. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "/nonexistent/crm_mon");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run '/nonexistent/crm_mon': No such file or directory");
	assert_false(proc.result.started);
	clu_proc_release(&proc);

	clu_proc_init(&proc);
	clu_proc_arg(&proc, "/etc/passwd");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run '/etc/passwd': Permission denied");
	clu_proc_release(&proc);
}

static void test_directory(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "pwd");
	proc.dir = "/usr/share";
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "/usr/share\n");
	clu_proc_release(&proc);

	clu_proc_init(&proc);
	clu_proc_arg(&proc, "pwd");
	proc.dir = "/nonexistent-dir";
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run 'pwd': cannot change to directory "
				     "'/nonexistent-dir': No such file or directory");
	assert_false(proc.result.started);
	clu_proc_release(&proc);
}

static void test_child_descriptors_and_signals(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_usr1, old_pipe;
	sigset_t block, old_mask;
	int leak = open("/dev/null", O_RDONLY);   /* deliberately without O_CLOEXEC */

	(void)state;
	assert_true(leak >= 0);
	clu_proc_init(&proc);
	clu_proc_args(&proc, (const char *const[]){ self, "--child", "fds", NULL });
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "0 1 2 ");
	clu_proc_release(&proc);
	close(leak);

	/* Ignored and blocked in the caller, default and unblocked in the child.
	 * SIGPIPE above all: a child that inherited it ignored would see EPIPE
	 * errors where a shell pipeline expects a quiet death. */
	sigaction(SIGUSR1, &ign, &old_usr1);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	clu_proc_init(&proc);
	clu_proc_args(&proc, (const char *const[]){ self, "--child", "sigstate", NULL });
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	clu_proc_release(&proc);

	sh(&proc, "kill -USR1 $$; echo survived");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_int_equal(proc.result.signal, SIGUSR1);
	assert_string_equal(proc.out.buf, "");
	clu_proc_release(&proc);
	sh(&proc, "kill -PIPE $$; echo survived");
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_int_equal(proc.result.signal, SIGPIPE);
	clu_proc_release(&proc);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
}

static void test_stream_modes(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char path[] = "/tmp/clu-test-proc-XXXXXX", buf[64] = "";
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	/* 2>&1 into the capture. */
	sh(&proc, "echo a; echo b >&2; echo c");
	proc.err.mode = CLU_PROC_STDOUT;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "a\nb\nc\n");
	assert_null(proc.err.buf);
	clu_proc_release(&proc);

	/* stdout to a descriptor of ours, stderr discarded. */
	sh(&proc, "echo to-file; echo noise >&2");
	proc.out.mode = CLU_PROC_FD;
	proc.out.fd = fd;
	proc.err.mode = CLU_PROC_NULL;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_null(proc.out.buf);
	clu_proc_release(&proc);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 8);
	assert_string_equal(buf, "to-file\n");
	assert_true(fcntl(fd, F_GETFD) >= 0);   /* still ours, still open */

	/* stdin from a descriptor. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "cat");
	proc.in.mode = CLU_PROC_FD;
	proc.in.fd = fd;
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "to-file\n");
	clu_proc_release(&proc);
	close(fd);
	unlink(path);
}

static void *run_many(void *arg)
{
	int *failures = arg;

	for (int i = 0; i < 20; i++) {
		struct clu_proc proc;
		struct clu_err err = CLU_ERR_INIT;

		clu_proc_init(&proc);
		clu_proc_args(&proc, (const char *const[]){ self, "--child", "write",
							    "200000", "100000", NULL });
		if (clu_proc_run(&proc, &err) != 0 || proc.out.len != 200000 ||
		    proc.err.len != 100000)
			(*failures)++;
		clu_proc_release(&proc);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[3];
	int failures[3] = { 0, 0, 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run_many, &failures[i]), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(failures[i], 0);
	}
}

/* The watch runs while the command does (a lock renewed under an installer), not after. */
struct watch_count {
	unsigned calls;
	const struct clu_proc *proc;
	bool child_alive_each_time;
};

static void count_watch(void *ctx)
{
	struct watch_count *w = ctx;

	w->calls++;
	if (w->proc->result.pid <= 0 || kill(w->proc->result.pid, 0) != 0)
		w->child_alive_each_time = false;
}

static void test_watch_while_running(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	struct watch_count w = { .child_alive_each_time = true };
	(void)state;

	clu_proc_init(&proc);
	clu_proc_shell(&proc, "sleep 0.5");
	proc.watch = count_watch;
	proc.watch_ctx = &w;
	proc.watch_ms = 100;
	w.proc = &proc;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_true(w.calls >= 2);
	assert_true(w.calls <= 6);
	assert_true(w.child_alive_each_time);
	clu_proc_release(&proc);

	/* watch_ms 0: never called. */
	w.calls = 0;
	clu_proc_init(&proc);
	w.proc = &proc;
	clu_proc_shell(&proc, "sleep 0.2");
	proc.watch = count_watch;
	proc.watch_ctx = &w;
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_int_equal(w.calls, 0);
	clu_proc_release(&proc);
}

/* ---- start, poll, kill, finish ---- */

static void test_start_finish(void **state)
{
	struct clu_proc proc, *procs[1] = { &proc };
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	sh(&proc, "echo out; echo 'last words' >&2; exit 2");
	proc.name = "two";
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	assert_int_equal(err.code, 0);
	assert_true(proc.result.started);
	assert_true(proc.result.pid > 0);
	assert_false(clu_proc_done(&proc));   /* only poll and finish reap */
	assert_int_equal(clu_proc_finish(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'two' exited with status 2: last words");
	assert_int_equal(proc.result.exit_code, 2);
	assert_string_equal(proc.out.buf, "out\n");
	assert_string_equal(proc.err.buf, "last words\n");
	assert_false(clu_proc_done(&proc));   /* finished: nothing to collect */
	assert_int_equal(clu_proc_poll(procs, 1, 0), 0);
	clu_proc_release(&proc);

	/* A start that fails is final: no finish, nothing to poll. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "clupdate-no-such-program");
	assert_int_equal(clu_proc_start(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "cannot run 'clupdate-no-such-program': "
				     "No such file or directory");
	assert_false(proc.result.started);
	assert_false(clu_proc_done(&proc));
	assert_int_equal(clu_proc_poll(procs, 1, 0), 0);
	clu_proc_kill(&proc);   /* harmless */
	clu_proc_release(&proc);
}

/* Nanoseconds of CLOCK_REALTIME written by `date +%s%N` into dir/name. */
static long long stamp_of(const char *dir, const char *name, int i)
{
	char path[128];
	long long ns = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%d", dir, name, i);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld", &ns), 1);
	fclose(f);
	return ns;
}

/*
 * A wave: three commands started at once and driven by one loop. At once
 * is checked as behaviour, not as a wall time: each command stamps when it
 * began and ended, and every one began before any ended.
 */
static void test_several_at_once(void **state)
{
	struct clu_proc procs[3], *wave[4] = { &procs[0], NULL, &procs[1], &procs[2] };
	struct clu_err err = CLU_ERR_INIT;
	char dir[] = "/tmp/test-proc-wave-XXXXXX";
	long long last_begin = 0, first_end = -1;
	int running, rounds = 0;
	char expect[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		char script[160];

		snprintf(script, sizeof(script), "date +%%s%%N >%s/begin%d; sleep 0.3; echo out%d; "
			 "echo err%d >&2; date +%%s%%N >%s/end%d", dir, i, i, i, dir, i);
		sh(&procs[i], script);
		assert_int_equal(clu_proc_start(&procs[i], &err), 0);
	}
	while ((running = clu_proc_poll(wave, 4, -1)) > 0) {
		assert_true(running < 3);   /* it returns when one is done */
		assert_true(++rounds < 3);
	}
	for (int i = 0; i < 3; i++) {
		assert_true(clu_proc_done(&procs[i]));
		assert_int_equal(clu_proc_finish(&procs[i], &err), 0);
		snprintf(expect, sizeof(expect), "out%d\n", i);
		assert_string_equal(procs[i].out.buf, expect);
		snprintf(expect, sizeof(expect), "err%d\n", i);
		assert_string_equal(procs[i].err.buf, expect);
		assert_true(procs[i].result.duration_ms >= 300);
		assert_true(procs[i].result.duration_ms < 3000);   /* the loop noticed each end */
	}
	for (int i = 0; i < 3; i++) {
		long long begin = stamp_of(dir, "begin", i), end = stamp_of(dir, "end", i);

		last_begin = begin > last_begin ? begin : last_begin;
		first_end = first_end < 0 || end < first_end ? end : first_end;
	}
	assert_true(last_begin < first_end);   /* one after another: the first ends first */
	for (int i = 0; i < 3; i++) {
		char path[128];

		clu_proc_release(&procs[i]);
		snprintf(path, sizeof(path), "%s/begin%d", dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/end%d", dir, i);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* One of two times out and is killed; the other goes on and succeeds. */
static void test_timeout_of_one(void **state)
{
	struct clu_proc slow, fine, *wave[2] = { &slow, &fine };
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	/* exec: no orphan whose zombie init reaps late keeps the group alive. */
	sh(&slow, "exec sleep 30");
	slow.name = "slow";
	slow.timeout_ms = 200;
	sh(&fine, "sleep 1; echo done");
	fine.timeout_ms = 20000;
	assert_int_equal(clu_proc_start(&slow, &err), 0);
	assert_int_equal(clu_proc_start(&fine, &err), 0);
	assert_int_equal(clu_proc_poll(wave, 2, -1), 1);
	assert_true(clu_proc_done(&slow));
	assert_false(clu_proc_done(&fine));
	assert_int_equal(clu_proc_finish(&slow, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'slow' timed out after 200 ms");
	assert_true(slow.result.timed_out);
	assert_int_equal(slow.result.signal, SIGTERM);

	err = (struct clu_err)CLU_ERR_INIT;
	assert_int_equal(clu_proc_finish(&fine, &err), 0);
	assert_false(fine.result.timed_out);
	assert_string_equal(fine.out.buf, "done\n");
	clu_proc_release(&slow);
	clu_proc_release(&fine);
}

static void test_poll_timeout(void **state)
{
	struct clu_proc proc, *procs[1] = { &proc };
	struct clu_err err = CLU_ERR_INIT;
	long long wall;

	(void)state;
	sh(&proc, "sleep 1");
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	wall = now_ms();
	assert_int_equal(clu_proc_poll(procs, 1, 0), 1);
	assert_int_equal(clu_proc_poll(procs, 1, 100), 1);
	wall = now_ms() - wall;
	assert_true(wall >= 100);
	assert_true(wall < 700);
	assert_false(clu_proc_done(&proc));
	assert_int_equal(clu_proc_finish(&proc, &err), 0);
	clu_proc_release(&proc);
}

static void test_kill_started(void **state)
{
	struct clu_proc proc, *procs[1] = { &proc };
	struct clu_err err = CLU_ERR_INIT;
	char how[64];
	long grandchild;

	(void)state;
	sh(&proc, "sleep 30 & echo $!; wait");
	proc.name = "installer";
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	/* Let the shell print the grandchild's pid before it is stopped. */
	while (!proc.out.len && clu_proc_poll(procs, 1, 20) > 0)
		;
	clu_proc_kill(&proc);
	clu_proc_kill(&proc);   /* twice: no second grace period */
	assert_int_equal(clu_proc_finish(&proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'installer' was interrupted");
	assert_true(proc.result.interrupted);
	assert_false(proc.result.timed_out);
	assert_int_equal(proc.result.signal, SIGTERM);
	assert_true(proc.result.duration_ms < 1900);   /* SIGTERM sufficed */
	assert_string_equal(clu_proc_describe(&proc, how, sizeof(how)), "was interrupted");
	grandchild = strtol(proc.out.buf, NULL, 10);
	assert_true(grandchild > 1);
	assert_true(process_gone(grandchild));
	clu_proc_release(&proc);

	/* Too late: a child that exited is not interrupted. */
	sh(&proc, "exit 0");
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	while (clu_proc_poll(procs, 1, -1) > 0)
		;
	clu_proc_kill(&proc);
	assert_int_equal(clu_proc_finish(&proc, &err), 0);
	assert_false(proc.result.interrupted);
	clu_proc_release(&proc);
}

/* Released while it runs: the group is killed and the child reaped. */
static void test_release_started(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	pid_t pid;

	(void)state;
	sh(&proc, "sleep 30");
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	pid = proc.result.pid;
	clu_proc_release(&proc);
	assert_null(proc.run);
	assert_true(process_gone(pid));
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);   /* already reaped */
}

/* The interruption of a real run: the watch sees a flag and stops the proc. */
struct stopper {
	unsigned calls;
	struct clu_proc *proc;
};

static void stop_on_third_call(void *ctx)
{
	struct stopper *s = ctx;

	if (++s->calls == 3)
		clu_proc_kill(s->proc);
}

static void test_watch_during_finish(void **state)
{
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	struct watch_count w = { .child_alive_each_time = true, .proc = &proc };
	struct stopper s = { .proc = &proc };
	long long wall;

	(void)state;
	sh(&proc, "sleep 0.5");
	proc.watch = count_watch;
	proc.watch_ctx = &w;
	proc.watch_ms = 100;
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	assert_int_equal(w.calls, 0);
	assert_int_equal(clu_proc_finish(&proc, &err), 0);
	assert_true(w.calls >= 2);
	assert_true(w.calls <= 6);
	assert_true(w.child_alive_each_time);
	clu_proc_release(&proc);

	sh(&proc, "exec sleep 30");
	proc.watch = stop_on_third_call;
	proc.watch_ctx = &s;
	proc.watch_ms = 50;
	wall = now_ms();
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	assert_int_equal(clu_proc_finish(&proc, &err), CLU_E_SPAWN);
	wall = now_ms() - wall;
	assert_true(s.calls >= 3);   /* called until the child is reaped */
	assert_true(proc.result.interrupted);
	assert_true(wall < 2000);
	clu_proc_release(&proc);
}

static void test_stdin_buffer_started(void **state)
{
	struct clu_proc cats[2], *wave[2] = { &cats[0], &cats[1] };
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	size_t len = 1u << 20;
	char *data[2] = { malloc(len), malloc(len) };
	sigset_t before, after;

	(void)state;
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	for (int c = 0; c < 2; c++) {
		for (size_t i = 0; i < len; i++)
			data[c][i] = (char)((c ? 'A' : 'a') + i % 26);
		clu_proc_init(&cats[c]);
		clu_proc_arg(&cats[c], "cat");
		cats[c].in.mode = CLU_PROC_BUFFER;
		cats[c].in.data = data[c];
		cats[c].in.len = len;
		assert_int_equal(clu_proc_start(&cats[c], &err), 0);
	}
	/* Both written to and read from at once, by one loop. */
	while (clu_proc_poll(wave, 2, -1) > 0)
		;
	for (int c = 0; c < 2; c++) {
		assert_int_equal(clu_proc_finish(&cats[c], &err), 0);
		assert_int_equal(cats[c].out.len, len);
		assert_memory_equal(cats[c].out.buf, data[c], len);
		clu_proc_release(&cats[c]);
	}

	/* A child that never reads: EPIPE, no SIGPIPE left behind. */
	clu_proc_init(&proc);
	clu_proc_arg(&proc, "true");
	proc.in.mode = CLU_PROC_BUFFER;
	proc.in.data = data[0];
	proc.in.len = len;
	assert_int_equal(clu_proc_start(&proc, &err), 0);
	assert_int_equal(clu_proc_finish(&proc, &err), 0);
	clu_proc_release(&proc);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
	free(data[0]);
	free(data[1]);
}

/*
 * A clupdate killed with SIGKILL leaves no child behind (parent-death
 * signal): a process that runs `sleep 60` through clu_proc_run() is
 * killed; the sleep must be gone soon after.
 */
static void test_child_dies_with_us(void **state)
{
	char path[] = "/tmp/clu-test-pdeath-XXXXXX";
	int fd = mkstemp(path), status;
	pid_t runner, sleeper = 0;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	runner = fork();
	if (runner == 0) {
		struct clu_proc proc;
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "echo $$ >%s; exec sleep 60", path);

		clu_proc_init(&proc);
		clu_proc_shell(&proc, cmd);
		clu_proc_run(&proc, NULL);
		_exit(0);
	}
	for (int i = 0; i < 250 && sleeper <= 0; i++) {
		FILE *f = fopen(path, "r");

		if (!f || fscanf(f, "%d", &sleeper) != 1)
			sleeper = 0;
		if (f)
			fclose(f);
		if (sleeper <= 0)
			usleep(20000);
	}
	assert_true(sleeper > 0);
	kill(runner, SIGKILL);
	waitpid(runner, &status, 0);
	if (!process_gone(sleeper)) {
		kill(sleeper, SIGKILL);
		fail_msg("'sleep' (pid %d) outlived the process that ran it", (int)sleeper);
	}
	unlink(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_and_status),
		cmocka_unit_test(test_large_output_both_streams),
		cmocka_unit_test(test_capture_bound_head_and_tail),
		cmocka_unit_test(test_capture_truncated_flag),
		cmocka_unit_test(test_stdin_buffer),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_sigkill_after_grace),
		cmocka_unit_test(test_child_exits_daemon_keeps_pipe),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_child_descriptors_and_signals),
		cmocka_unit_test(test_stream_modes),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_watch_while_running),
		cmocka_unit_test(test_child_dies_with_us),
		cmocka_unit_test(test_start_finish),
		cmocka_unit_test(test_several_at_once),
		cmocka_unit_test(test_timeout_of_one),
		cmocka_unit_test(test_poll_timeout),
		cmocka_unit_test(test_kill_started),
		cmocka_unit_test(test_release_started),
		cmocka_unit_test(test_watch_during_finish),
		cmocka_unit_test(test_stdin_buffer_started),
	};
	ssize_t n;

	if (argc >= 2 && !strcmp(argv[1], "--child"))
		return run_helper(argc, argv);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return 1;
	self[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
