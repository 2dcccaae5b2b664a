/*
 * Probe tests, against a small SMTP server run by the test on loopback that
 * can be taken down and brought back: a transaction acknowledged with a
 * queue id, a refused connection and a broken reply seen as down, and a
 * prober that journals exactly one down window with the ids it was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/probe.h"
#include "util.h"

struct server {
	int listen_fd;
	unsigned port;
	pthread_t thread;
	atomic_bool quit;
	atomic_bool broken;      /* answer MAIL with 451 */
	atomic_uint accepted;
};

static void say(int fd, const char *text)
{
	(void)!send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* One SMTP session, just enough of the protocol for a probe. */
static void session(struct server *s, int fd)
{
	char buf[4096];
	size_t len = 0;
	bool data = false;

	say(fd, "220 test ESMTP\r\n");
	for (;;) {
		char *nl;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);

		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strstr(buf, "\r\n"))) {
			size_t line = (size_t)(nl - buf) + 2;

			if (data) {
				if (line == 3 && buf[0] == '.') {
					char reply[64];

					snprintf(reply, sizeof(reply), "250 2.0.0 Ok: queued as T%u\r\n",
						 atomic_fetch_add(&s->accepted, 1));
					say(fd, reply);
					data = false;
				}
			} else if (!strncmp(buf, "EHLO", 4)) {
				say(fd, "250-test\r\n250 8BITMIME\r\n");
			} else if (!strncmp(buf, "MAIL", 4)) {
				say(fd, atomic_load(&s->broken) ? "451 4.3.0 try later\r\n" : "250 ok\r\n");
			} else if (!strncmp(buf, "RCPT", 4)) {
				say(fd, "250 ok\r\n");
			} else if (!strncmp(buf, "DATA", 4)) {
				say(fd, "354 go on\r\n");
				data = true;
			} else if (!strncmp(buf, "QUIT", 4)) {
				say(fd, "221 bye\r\n");
				return;
			}
			memmove(buf, buf + line, len - line + 1);
			len -= line;
		}
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->quit)) {
		struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
		int fd;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		session(s, fd);
		close(fd);
	}
	return NULL;
}

static void server_listen(struct server *s)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	int one = 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s->listen_fd, 16), 0);
	if (!s->port) {
		socklen_t len = sizeof(addr);

		getsockname(s->listen_fd, (struct sockaddr *)&addr, &len);
		s->port = ntohs(addr.sin_port);
	}
	atomic_store(&s->quit, false);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_down(struct server *s)
{
	atomic_store(&s->quit, true);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}

static const struct clu_probe_spec smtp_spec = {
	.name = "smtp", .type = CLU_PROBE_SMTP, .group = "mail", .address = ":0",
	.interval_ms = 20, .timeout_ms = 1000,
};

static void test_parse_address(void **state)
{
	struct clu_err err = CLU_ERR_INIT;
	char *host;
	unsigned port;
	(void)state;

	assert_int_equal(clu_probe_parse_address("10.0.0.1:25", &host, &port, &err), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(port, 25);
	free(host);
	assert_int_equal(clu_probe_parse_address(":2525", &host, &port, &err), 0);
	assert_null(host);
	assert_int_equal(port, 2525);
	assert_int_equal(clu_probe_parse_address("[::1]:25", &host, &port, &err), 0);
	assert_string_equal(host, "::1");
	free(host);
	assert_int_equal(clu_probe_parse_address("host", &host, &port, &err), CLU_E_USAGE);
	assert_int_equal(clu_probe_parse_address("h:99999", &host, &port, &err), CLU_E_USAGE);
	assert_null(host);
}

static void set_reply(struct clu_smtp_reply *r, const char *text)
{
	r->len = strlen(text);
	memcpy(r->buf, text, r->len);
}

/* A reply's code is its line's own three digits: a blank line is no 250. */
static void test_reply_code_is_the_line_own(void **state)
{
	struct clu_smtp_reply r = { 0 };
	int code = -1;
	(void)state;

	set_reply(&r, "\r\n250 ok\r\n");
	assert_true(clu_smtp_reply_parse(&r, &code, NULL, 0));
	assert_int_equal(code, 0);
	assert_true(clu_smtp_reply_parse(&r, &code, NULL, 0));
	assert_int_equal(code, 250);
	set_reply(&r, "25\n");
	assert_true(clu_smtp_reply_parse(&r, &code, NULL, 0));
	assert_int_equal(code, 0);
	set_reply(&r, "250-a\r\n451 no\r\n");
	assert_true(clu_smtp_reply_parse(&r, &code, NULL, 0));
	assert_int_equal(code, 451);
}

static void test_once(void **state)
{
	struct server s = { 0 };
	struct clu_probe_target t = { .spec = &smtp_spec, .host = "127.0.0.1" };
	struct clu_err err = CLU_ERR_INIT;
	char *id = NULL;
	(void)state;

	server_listen(&s);
	t.port = s.port;
	assert_int_equal(clu_probe_once(&t, 1000, &id, &err), 0);
	assert_string_equal(id, "T0");
	free(id);

	atomic_store(&s.broken, true);
	assert_int_equal(clu_probe_once(&t, 1000, &id, &err), CLU_E_SPAWN);
	assert_null(id);
	assert_string_equal(err.msg, "smtp MAIL: 451 4.3.0 try later");
	atomic_store(&s.broken, false);
	server_down(&s);

	assert_int_equal(clu_probe_once(&t, 1000, &id, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "connect: Connection refused");
}

static void test_prober_journals_one_window(void **state)
{
	char dir[] = "/tmp/clu-probe-XXXXXX";
	struct server s = { 0 };
	struct clu_probe_target t = { .spec = &smtp_spec, .host = "127.0.0.1" };
	struct clu_journal *journal;
	struct clu_run_begin begin = { .update = "u", .version = "2", .manifest_path = "m",
				       .manifest_text = "", .strategy = "in-place",
				       .cluster = "test", .plan_json = "{}", .n_steps = 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_prober *prober;
	struct clu_probe_stats *stats;
	struct clu_run_record run;
	int64_t run_id, down_at = 0, up_at = 0;
	size_t n, downs = 0, ups = 0, acked = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(clu_journal_open(&journal, dir, &err), 0);
	assert_int_equal(clu_journal_run_begin(journal, &begin, &run_id, &err), 0);
	server_listen(&s);
	t.port = s.port;

	assert_int_equal(clu_prober_start(&prober, &t, 1, journal, run_id, &err), 0);
	usleep(300000);
	server_down(&s);        /* the outage users would see */
	usleep(300000);
	server_listen(&s);
	usleep(300000);
	clu_prober_stop(prober, &stats, &n);
	server_down(&s);

	assert_int_equal(n, 1);
	assert_int_equal(stats[0].windows, 1);
	assert_true(stats[0].failures > 0);
	assert_true(stats[0].probes > stats[0].failures);
	assert_int_equal(stats[0].n_acknowledged, atomic_load(&s.accepted));

	assert_int_equal(clu_journal_run_load(journal, run_id, &run, &err), 0);
	for (size_t i = 0; i < run.n_events; i++) {
		if (!strcmp(run.events[i].kind, "probe-down")) {
			downs++;
			down_at = run.events[i].at_mono_ms;
			assert_string_equal(run.events[i].source, "smtp");
			assert_string_equal(run.events[i].group, "mail");
		} else if (!strcmp(run.events[i].kind, "probe-up")) {
			ups++;
			up_at = run.events[i].at_mono_ms;
		}
	}
	assert_int_equal(downs, 1);
	assert_int_equal(ups, 1);
	assert_true(up_at > down_at);
	/* Each acknowledged id was journalled as it came (a run killed with
	 * SIGKILL still tells them), in order, and none twice. */
	for (size_t i = 0, k = 0; i < run.n_events; i++) {
		if (strcmp(run.events[i].kind, "probe-acknowledged"))
			continue;
		assert_true(k < stats[0].n_acknowledged);
		assert_string_equal(run.events[i].detail, stats[0].acknowledged[k]);
		acked++;
		k++;
	}
	assert_int_equal(acked, stats[0].n_acknowledged);
	clu_run_record_release(&run);
	clu_probe_stats_free(stats, n);
	clu_journal_close(journal);
	{
		char *rm = clu__xasprintf("rm -rf '%s'", dir);

		assert_int_equal(system(rm), 0);
		free(rm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_address),
		cmocka_unit_test(test_reply_code_is_the_line_own),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_prober_journals_one_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
