/*
 * Transport tests: shell quoting, the local and netns command lines, and
 * the ssh transport against a real OpenSSH server that the test starts on
 * loopback (its own host key, client key, known_hosts and ssh_config in a
 * temporary directory): arguments with spaces, quotes and '$' arrive
 * verbatim, data reaches shell commands through the environment, a master
 * connection is reused and closed on release, and a host key that does not
 * match is refused (StrictHostKeyChecking). On a cluster node (local
 * transport) other nodes' commands go over ssh, and the check before any
 * change catches an ssh_config that reaches the wrong machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/transport.h"
#include "util.h"

static void test_shell_quote(void **state)
{
	char *q;
	(void)state;

	q = clu_shell_quote("plain");
	assert_string_equal(q, "'plain'");
	free(q);
	q = clu_shell_quote("it's $HOME; rm -rf /");
	assert_string_equal(q, "'it'\\''s $HOME; rm -rf /'");
	free(q);
	q = clu_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
}

static void test_local_runs_argv_and_env(void **state)
{
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	assert_int_equal(clu_transport_init_local(&t, NULL, NULL, &err), 0);
	clu_proc_init(&proc);
	assert_int_equal(clu_transport_shell(&t, NULL, &proc, "printf '%s' \"$CLU_NODE\"",
					     (const char *const[]){ "CLU_NODE=n 1; x", NULL }, &err), 0);
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "n 1; x");
	clu_proc_release(&proc);
	clu_transport_release(&t);
}

/*
 * The netns transport enters exactly the lab node's three namespaces, as
 * the lab's layout file names them (tests/fixtures/lab/demo/layout).
 */
static void test_netns_command_line(void **state)
{
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	setenv("CLU_LAB_ROOT", "tests/fixtures/lab", 1);
	assert_int_equal(clu_transport_init_netns(&t, "demo", &err), 0);
	clu_proc_init(&proc);
	assert_int_equal(clu_transport_command(&t, "n2", &proc,
					       (const char *const[]){ "crm_mon", "-1", NULL }, &err), 0);
	assert_int_equal(proc.argc, 8);
	assert_string_equal(proc.argv[0], "nsenter");
	assert_string_equal(proc.argv[1], "--net=/run/netns/clu-demo-n2");
	assert_string_equal(proc.argv[2], "--mount=/var/lib/clupdate-lab/demo/ns/n2.mnt");
	assert_string_equal(proc.argv[3], "--uts=/var/lib/clupdate-lab/demo/ns/n2.uts");
	assert_string_equal(proc.argv[4], "--wd=/");
	assert_string_equal(proc.argv[5], "--");
	assert_string_equal(proc.argv[6], "crm_mon");
	clu_proc_release(&proc);

	/* A node the lab does not have, and a name that is not a host name. */
	clu_proc_init(&proc);
	assert_int_equal(clu_transport_command(&t, "n7", &proc,
					       (const char *const[]){ "true", NULL }, &err), CLU_E_USAGE);
	assert_string_equal(err.msg, "lab 'demo' has no node 'n7'");
	clu_proc_release(&proc);
	clu_proc_init(&proc);
	assert_int_equal(clu_transport_command(&t, "-oProxyCommand=x", &proc,
					       (const char *const[]){ "true", NULL }, &err), CLU_E_USAGE);
	clu_proc_release(&proc);
	clu_transport_release(&t);

	assert_int_equal(clu_transport_init_netns(&t, "nolab", &err), CLU_E_IO);
	assert_non_null(strstr(err.msg, "no lab 'nolab' is running"));
	unsetenv("CLU_LAB_ROOT");
}

/* ---- a real sshd on loopback ------------------------------------------ */

struct sshd {
	char dir[64];
	pid_t pid;
	int port;
	char *config;       /* the client's ssh_config */
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* Test set-up only: the paths are the test's own temporary directory. */
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool accepts(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int start_sshd(void **state)
{
	struct sshd *s = clu__xcalloc(1, sizeof(*s));
	char *path, *text;

	strcpy(s->dir, "/tmp/clu-sshd-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	if (access("/usr/sbin/sshd", X_OK) != 0) {
		fprintf(stderr, "test-transport: /usr/sbin/sshd is missing "
			"(Debian's openssh-server; scripts/install-deps installs it)\n");
		return -1;
	}
	mkdir("/run/sshd", 0755);   /* sshd's privilege separation directory */
	if (sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f host_key && "
	       "ssh-keygen -q -t ed25519 -N '' -f client_key && "
	       "cp client_key.pub authorized_keys && chmod 600 authorized_keys", s->dir))
		return -1;
	s->port = 20000 + (int)(getpid() % 20000);
	path = clu__xasprintf("%s/sshd_config", s->dir);
	text = clu__xasprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\n"
			      "AuthorizedKeysFile %s/authorized_keys\nPidFile none\n"
			      "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
			      "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
			      "LogLevel ERROR\n", s->port, s->dir, s->dir);
	write_file(path, text);
	free(text);
	free(path);
	/* known_hosts with the real host key, and a client config naming node n1. */
	if (sh("cd %s && printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 host_key.pub)\" >known_hosts",
	       s->dir, s->port))
		return -1;
	s->config = clu__xasprintf("%s/ssh_config", s->dir);
	text = clu__xasprintf("Host n1 wrongkey\n  HostName 127.0.0.1\n  Port %d\n  User root\n"
			      "  IdentityFile %s/client_key\n  IdentitiesOnly yes\n"
			      "Host n1\n  UserKnownHostsFile %s/known_hosts\n"
			      "Host wrongkey\n  UserKnownHostsFile %s/other_known_hosts\n",
			      s->port, s->dir, s->dir, s->dir);
	write_file(s->config, text);
	free(text);
	sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f other && "
	   "printf '[127.0.0.1]:%d %%s\\n' \"$(cut -d' ' -f1,2 other.pub)\" >other_known_hosts",
	   s->dir, s->port);

	s->pid = fork();
	if (s->pid == 0) {
		char *cfg = clu__xasprintf("%s/sshd_config", s->dir);

		/* sshd re-executes itself, so argv[0] must be its absolute path. */
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	/* Wait until it accepts connections (at most 5 s). */
	for (int i = 0; i < 100 && !accepts(s->port); i++)
		usleep(50000);
	*state = s;
	return 0;
}

static int stop_sshd(void **state)
{
	struct sshd *s = *state;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	sh("rm -rf '%s'", s->dir);
	free(s->config);
	free(s);
	return 0;
}

static void test_ssh_runs_commands(void **state)
{
	struct sshd *s = *state;
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char *control = clu__xasprintf("%s/control", s->dir);
	char *socket_ls = clu__xasprintf("test -n \"$(ls -A %s)\"", control);

	assert_int_equal(clu_transport_init_ssh(&t, s->config, control, &err), 0);

	/* Arguments reach the remote program verbatim, one each. */
	clu_proc_init(&proc);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_transport_command(&t, "n1", &proc, (const char *const[]){
		"printf", "%s|", "a b", "it's", "$HOME", "; echo pwned", NULL }, &err), 0);
	if (clu_proc_run(&proc, &err))
		fail_msg("ssh failed: %s (stderr: %s)", err.msg, proc.err.buf);
	assert_string_equal(proc.out.buf, "a b|it's|$HOME|; echo pwned|");
	clu_proc_release(&proc);

	/* The master connection stays up for the next command. */
	assert_int_equal(sh("%s", socket_ls), 0);

	/* Data reaches a manifest command through the environment. */
	clu_proc_init(&proc);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_transport_shell(&t, "n1", &proc, "printf '%s/%s' \"$CLU_NODE\" \"$CLU_VERSION\"",
					     (const char *const[]){ "CLU_NODE=n1", "CLU_VERSION=2 'beta'", NULL },
					     &err), 0);
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "n1/2 'beta'");
	clu_proc_release(&proc);

	/* A remote failure is the remote exit status. */
	clu_proc_init(&proc);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_transport_shell(&t, "n1", &proc, "exit 7", NULL, &err), 0);
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_int_equal(proc.result.exit_code, 7);
	clu_proc_release(&proc);

	/* Release ends the master connection. */
	clu_transport_release(&t);
	assert_int_not_equal(sh("%s", socket_ls), 0);
	free(socket_ls);
	free(control);
}

static void test_ssh_refuses_unknown_host_key(void **state)
{
	struct sshd *s = *state;
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	char *control = clu__xasprintf("%s/control2", s->dir);

	assert_int_equal(clu_transport_init_ssh(&t, s->config, control, &err), 0);
	clu_proc_init(&proc);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_transport_command(&t, "wrongkey", &proc,
					       (const char *const[]){ "true", NULL }, &err), 0);
	assert_int_equal(clu_proc_run(&proc, &err), CLU_E_SPAWN);
	assert_int_equal(proc.result.exit_code, 255);
	assert_non_null(strstr(proc.err.buf, "REMOTE HOST IDENTIFICATION HAS CHANGED"));
	clu_proc_release(&proc);
	clu_transport_release(&t);
	free(control);
}

/*
 * clupdate on a cluster node (local transport): that node's commands run
 * here, every other node's over ssh, never here. $SSH_CONNECTION tells
 * which way a command went.
 */
static void test_local_sends_other_nodes_over_ssh(void **state)
{
	struct sshd *s = *state;
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	const char *where = "printf '%s' \"${SSH_CONNECTION:+ssh}\"";
	char *control = clu__xasprintf("%s/control3", s->dir);

	assert_int_equal(clu_transport_init_local(&t, "here", s->config, &err), 0);
	free(t.control_dir);
	t.control_dir = control;
	assert_true(clu_transport_is_here(&t, "here"));
	assert_true(clu_transport_is_here(&t, NULL));
	assert_false(clu_transport_is_here(&t, "n1"));

	clu_proc_init(&proc);
	assert_int_equal(clu_transport_shell(&t, "here", &proc, where, NULL, &err), 0);
	assert_int_equal(clu_proc_run(&proc, &err), 0);
	assert_string_equal(proc.out.buf, "");
	clu_proc_release(&proc);

	clu_proc_init(&proc);
	proc.timeout_ms = 20000;
	assert_int_equal(clu_transport_shell(&t, "n1", &proc, where, NULL, &err), 0);
	assert_string_equal(proc.argv[0], "ssh");
	if (clu_proc_run(&proc, &err))
		fail_msg("ssh failed: %s (stderr: %s)", err.msg, proc.err.buf);
	assert_string_equal(proc.out.buf, "ssh");
	clu_proc_release(&proc);

	/* Names that ssh or a shell would read as more than a host are refused. */
	for (const char *const *bad = (const char *const[]){ "-oProxyCommand=id", "n3;$(id)",
							     "root@n1", "n%h", "n 1", "", NULL };
	     *bad; bad++) {
		clu_proc_init(&proc);
		assert_int_equal(clu_transport_shell(&t, *bad, &proc, "true", NULL, &err),
				 CLU_E_USAGE);
		clu_proc_release(&proc);
	}
	clu_transport_release(&t);
}

/* A control directory that is a symlink is refused (lstat, not stat). */
static void test_ssh_control_dir_symlink_refused(void **state)
{
	char dir[] = "/tmp/clu-control-XXXXXX";
	struct clu_transport t;
	struct clu_err err = CLU_ERR_INIT;
	char *real, *link;
	(void)state;

	assert_non_null(mkdtemp(dir));
	real = clu__xasprintf("%s/real", dir);
	link = clu__xasprintf("%s/link", dir);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(clu_transport_init_ssh(&t, NULL, link, &err), CLU_E_IO);
	assert_non_null(strstr(err.msg, "not a symlink"));
	assert_int_equal(clu_transport_init_ssh(&t, NULL, real, &err), 0);
	clu_transport_release(&t);
	unlink(link);
	rmdir(real);
	rmdir(dir);
	free(real);
	free(link);
}

/* A local transport that does not know its node runs nothing for a node. */
static void test_local_without_self_refuses_nodes(void **state)
{
	struct clu_transport t;
	struct clu_proc proc;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	assert_int_equal(clu_transport_init_local(&t, NULL, NULL, &err), 0);
	clu_proc_init(&proc);
	assert_int_equal(clu_transport_shell(&t, "n2", &proc, "true", NULL, &err), CLU_E_USAGE);
	assert_non_null(strstr(err.msg, "'n2'"));
	clu_proc_release(&proc);
	clu_transport_release(&t);
}

/*
 * The check before any change: the machine reached for a node must call
 * itself by that node's name. Through the test's sshd, "n1" is this very
 * machine (which is not called n1): refused, naming both; this machine's
 * own name mapped to loopback passes.
 */
static void test_check_node_names_the_machine(void **state)
{
	struct sshd *s = *state;
	struct clu_transport t;
	struct clu_err err = CLU_ERR_INIT;
	char host[256] = "";
	char *control = clu__xasprintf("%s/control4", s->dir);
	char *config = clu__xasprintf("%s/ssh_config_self", s->dir);
	char *text;

	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	text = clu__xasprintf("Include %s\nHost %s\n  HostName 127.0.0.1\n  Port %d\n"
			      "  User root\n  IdentityFile %s/client_key\n  IdentitiesOnly yes\n"
			      "  UserKnownHostsFile %s/known_hosts\n", s->config, host, s->port,
			      s->dir, s->dir);
	write_file(config, text);
	free(text);
	assert_int_equal(clu_transport_init_ssh(&t, config, control, &err), 0);
	assert_int_equal(clu_transport_check_node(&t, "n1", &err), CLU_E_CLUSTER);
	assert_non_null(strstr(err.msg, "node 'n1' is not the machine"));
	assert_non_null(strstr(err.msg, host));
	if (strcmp(host, "n1") && !strchr(host, '.'))
		assert_int_equal(clu_transport_check_node(&t, host, &err), 0);
	clu_transport_release(&t);
	/* Unreachable: says how to fix it. (A control directory of its own: a
	 * master connection to the same address would be reused.) */
	free(control);
	control = clu__xasprintf("%s/control5", s->dir);
	assert_int_equal(clu_transport_init_ssh(&t, config, control, &err), 0);
	assert_int_equal(clu_transport_check_node(&t, "wrongkey", &err), CLU_E_SPAWN);
	assert_non_null(strstr(err.msg, "cannot reach node 'wrongkey' over ssh"));
	assert_non_null(strstr(err.msg, "--ssh-config"));
	clu_transport_release(&t);
	free(config);
	free(control);
}

int main(void)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_local_runs_argv_and_env),
		cmocka_unit_test(test_netns_command_line),
		cmocka_unit_test(test_local_without_self_refuses_nodes),
		cmocka_unit_test(test_ssh_control_dir_symlink_refused),
	};
	const struct CMUnitTest ssh[] = {
		cmocka_unit_test(test_ssh_runs_commands),
		cmocka_unit_test(test_ssh_refuses_unknown_host_key),
		cmocka_unit_test(test_local_sends_other_nodes_over_ssh),
		cmocka_unit_test(test_check_node_names_the_machine),
	};
	int failed = cmocka_run_group_tests_name("transport", local, NULL, NULL);

	failed += cmocka_run_group_tests_name("ssh against a real sshd", ssh, start_sshd, stop_sshd);
	return failed;
}
