/*
 * smtp-send: a small SMTP client that sends test messages to the demo mail
 * service and prints the id of each message the server acknowledged.
 *
 * Tests use it to put mail into a store; as a load generator during an
 * update (--count 0 --keep-going) it prints exactly the ids the server
 * promised to keep, so that a later `maild --list-store` can prove none
 * was lost. The message body is dot-stuffed on the way out (RFC 5321
 * 4.5.2), with line endings normalised to CRLF.
 *
 * Exit status: 0 every message acknowledged, 1 a message failed (with
 * --keep-going: at least one did), 2 usage.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 8192

struct options {
	const char *host;
	const char *port;
	unsigned long count;      /* 0: until --duration-ms ends or a signal */
	const char *from;
	const char **to;
	size_t n_to;
	const char *helo;
	const char *subject;
	struct buf body_file;     /* --body-file contents, when given */
	bool have_body_file;
	unsigned long interval_ms;
	unsigned long duration_ms;
	unsigned long timeout_ms;
	bool keep_going;
	bool new_connection;
	bool verbose;
};

struct session {
	int fd;
	struct buf input;
	const struct options *opt;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The failure of one message, reported on stderr. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
	va_list ap;

	fputs("smtp-send: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool wait_for(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

static int session_connect(struct session *s, const struct options *opt)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(opt->host, opt->port, &hints, &res);

	s->fd = -1;
	s->opt = opt;
	buf_reset(&s->input);
	if (rc != 0) {
		complain("cannot resolve '%s': %s", opt->host, gai_strerror(rc));
		return -1;
	}
	int64_t deadline = mono_ms() + (int64_t)opt->timeout_ms;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline))) {
			int error = 0;
			socklen_t len = sizeof(error);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
			if (error == 0) {
				s->fd = fd;
				break;
			}
			errno = error;
		} else if (errno == EINPROGRESS) {
			errno = ETIMEDOUT;
		}
		int saved = errno;
		close(fd);
		errno = saved;
	}
	freeaddrinfo(res);
	if (s->fd < 0) {
		complain("cannot connect to %s port %s: %s", opt->host, opt->port,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void session_close(struct session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int session_write(struct session *s, const char *bytes, size_t len)
{
	int64_t deadline = mono_ms() + (int64_t)s->opt->timeout_ms;

	while (len > 0) {
		ssize_t n = send(s->fd, bytes, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_for(s->fd, POLLOUT, deadline))
				continue;
			complain("cannot send to %s port %s: %s", s->opt->host, s->opt->port,
				 errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
		bytes += n;
		len -= (size_t)n;
	}
	return 0;
}

static int command(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int command(struct session *s, const char *fmt, ...)
{
	struct buf line = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(&line, fmt, ap);
	va_end(ap);
	if (s->opt->verbose)
		fprintf(stderr, "> %s\n", line.bytes);
	buf_append(&line, "\r\n", 2);
	int rc = session_write(s, line.bytes, line.len);
	buf_release(&line);
	return rc;
}

/*
 * Read one reply (all its lines: "250-..." up to "250 ...") and return its
 * code, with the text of the last line in text. -1 on a broken connection.
 */
static int read_reply(struct session *s, char *text, size_t textsize)
{
	int64_t deadline = mono_ms() + (int64_t)s->opt->timeout_ms;

	for (;;) {
		char *lf;
		while ((lf = memchr(s->input.bytes ? s->input.bytes : "", '\n', s->input.len))) {
			size_t len = (size_t)(lf - s->input.bytes);
			size_t used = len + 1;
			if (len > 0 && s->input.bytes[len - 1] == '\r')
				len--;
			if (s->opt->verbose)
				fprintf(stderr, "< %.*s\n", (int)len, s->input.bytes);
			if (len < 3 || s->input.bytes[0] < '2' || s->input.bytes[0] > '5') {
				complain("%s port %s: bad reply line '%.*s'", s->opt->host,
					 s->opt->port, (int)len, s->input.bytes);
				return -1;
			}
			bool last = len == 3 || s->input.bytes[3] == ' ';
			int code = atoi(s->input.bytes);
			snprintf(text, textsize, "%.*s", (int)len, s->input.bytes);
			buf_consume(&s->input, used);
			if (last)
				return code;
		}
		if (s->input.len > REPLY_MAX) {
			complain("%s port %s: reply line too long", s->opt->host, s->opt->port);
			return -1;
		}
		if (!wait_for(s->fd, POLLIN, deadline)) {
			complain("%s port %s: no reply within %lu ms", s->opt->host,
				 s->opt->port, s->opt->timeout_ms);
			return -1;
		}
		char chunk[4096];
		ssize_t n = recv(s->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			complain("%s port %s: %s", s->opt->host, s->opt->port,
				 n == 0 ? "connection closed by the server" : strerror(errno));
			return -1;
		}
		buf_append(&s->input, chunk, (size_t)n);
	}
}

/* Send a command and insist on a reply of the given class (2 or 3). */
static int expect(struct session *s, int class, char *text, size_t textsize)
{
	int code = read_reply(s, text, textsize);

	if (code < 0)
		return -1;
	if (code / 100 != class) {
		complain("%s port %s: unexpected reply '%s'", s->opt->host, s->opt->port, text);
		return -1;
	}
	return 0;
}

/* The message as sent: CRLF line endings, dot-stuffed, final CRLF.CRLF. */
static void encode_message(struct buf *wire, const char *body, size_t len)
{
	bool line_start = true;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (line_start && c == '.')
			buf_append(wire, ".", 1);
		if (c == '\n') {
			if (i == 0 || body[i - 1] != '\r')
				buf_append(wire, "\r", 1);
			buf_append(wire, "\n", 1);
			line_start = true;
			continue;
		}
		buf_append(wire, &c, 1);
		line_start = false;
	}
	if (!line_start)
		buf_append(wire, "\r\n", 2);
	buf_append(wire, ".\r\n", 3);
}

static void default_body(struct buf *body, const struct options *opt,
			 unsigned long number)
{
	char date[40];

	real_iso(date, sizeof(date));
	buf_appendf(body, "From: <%s>\nTo: <%s>\n", opt->from, opt->to[0]);
	buf_appendf(body, "Subject: %s %lu\n", opt->subject, number);
	buf_appendf(body, "Date: %s\n", date);
	buf_appendf(body, "Message-ID: <%d.%lu.%lld@smtp-send>\n\n", (int)getpid(),
		    number, (long long)mono_ms());
	buf_appendf(body, "Test message %lu from smtp-send (pid %d).\n", number,
		    (int)getpid());
	/* A line that must be dot-stuffed, so every message exercises it. */
	buf_appendf(body, ".leading dot, sent as ..\n.\nend\n");
}

/* One transaction; prints the queued id. -1 means the session is unusable. */
static int send_one(struct session *s, const struct options *opt, unsigned long number)
{
	char text[REPLY_MAX];
	struct buf body = { 0 }, wire = { 0 };
	int rc = -1;

	if (command(s, "MAIL FROM:<%s>", opt->from) < 0 || expect(s, 2, text, sizeof(text)) < 0)
		goto out;
	for (size_t i = 0; i < opt->n_to; i++)
		if (command(s, "RCPT TO:<%s>", opt->to[i]) < 0 ||
		    expect(s, 2, text, sizeof(text)) < 0)
			goto out;
	if (command(s, "DATA") < 0 || expect(s, 3, text, sizeof(text)) < 0)
		goto out;
	if (opt->have_body_file)
		encode_message(&wire, opt->body_file.bytes ? opt->body_file.bytes : "",
			       opt->body_file.len);
	else {
		default_body(&body, opt, number);
		encode_message(&wire, body.bytes, body.len);
	}
	if (session_write(s, wire.bytes, wire.len) < 0 || expect(s, 2, text, sizeof(text)) < 0)
		goto out;
	const char *queued = strstr(text, "queued as ");
	printf("%s\n", queued ? queued + strlen("queued as ") : text);
	fflush(stdout);
	rc = 0;
out:
	buf_release(&body);
	buf_release(&wire);
	return rc;
}

static int session_open(struct session *s, const struct options *opt)
{
	char text[REPLY_MAX];

	if (session_connect(s, opt) < 0)
		return -1;
	if (expect(s, 2, text, sizeof(text)) < 0 ||
	    command(s, "EHLO %s", opt->helo) < 0 || expect(s, 2, text, sizeof(text)) < 0) {
		session_close(s);
		return -1;
	}
	return 0;
}

static void session_quit(struct session *s)
{
	char text[REPLY_MAX];

	if (s->fd < 0)
		return;
	if (command(s, "QUIT") == 0)
		(void)read_reply(s, text, sizeof(text));
	session_close(s);
}

static void pause_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_requested)
		;
}

static int read_body_file(struct options *opt, const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (!in) {
		complain("cannot open body file '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		buf_append(&opt->body_file, chunk, n);
	bool failed = ferror(in);
	if (in != stdin)
		fclose(in);
	if (failed) {
		complain("cannot read body file '%s'", path);
		return -1;
	}
	opt->have_body_file = true;
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: smtp-send HOST PORT [--count N] [--from ADDR] [--to ADDR]...\n"
	      "                 [--body-file FILE|-] [--subject TEXT] [--helo NAME]\n"
	      "                 [--interval-ms N] [--duration-ms N] [--timeout-ms N]\n"
	      "                 [--keep-going] [--new-connection] [--verbose]\n"
	      "\n"
	      "Send test messages over SMTP and print the id of each one the server\n"
	      "acknowledged (\"250 ... queued as ID\"), one per line.\n"
	      "\n"
	      "  --count N        messages to send (default 1); 0 sends until\n"
	      "                   --duration-ms has passed or SIGTERM/SIGINT\n"
	      "  --keep-going     after a failure, report it, reconnect and go on\n"
	      "  --new-connection one SMTP session per message\n"
	      "  --verbose        show the conversation on stderr\n"
	      "\n"
	      "Exit status: 0 all acknowledged, 1 a message failed, 2 usage.\n", out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "subject", required_argument, NULL, 's' },
		{ "helo", required_argument, NULL, 'H' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "new-connection", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = {
		.count = 1, .from = "clupdate-test@localhost", .helo = "smtp-send",
		.subject = "clupdate test message", .timeout_ms = 5000,
	};
	const char *body_path = NULL;
	int status = 2;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		unsigned long *number = NULL;
		unsigned long min = 0, max = 1ul << 31;
		switch (c) {
		case 'c': number = &opt.count; break;
		case 'i': number = &opt.interval_ms; break;
		case 'd': number = &opt.duration_ms; break;
		case 'T': number = &opt.timeout_ms; min = 1; break;
		case 'f': opt.from = optarg; break;
		case 't':
			opt.to = xrealloc(opt.to, (opt.n_to + 1) * sizeof(*opt.to));
			opt.to[opt.n_to++] = optarg;
			break;
		case 'b': body_path = optarg; break;
		case 's': opt.subject = optarg; break;
		case 'H': opt.helo = optarg; break;
		case 'k': opt.keep_going = true; break;
		case 'n': opt.new_connection = true; break;
		case 'v': opt.verbose = true; break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
		if (number && parse_uint(optarg, min, max, number) < 0) {
			complain("bad number '%s' for --%s", optarg,
				 c == 'c' ? "count" : c == 'i' ? "interval-ms"
				 : c == 'd' ? "duration-ms" : "timeout-ms");
			goto out;
		}
	}
	if (optind != argc - 2) {
		usage(stderr);
		goto out;
	}
	opt.host = argv[optind];
	opt.port = argv[optind + 1];
	unsigned long port;
	if (parse_uint(opt.port, 1, 65535, &port) < 0) {
		complain("bad port '%s'", opt.port);
		goto out;
	}
	if (opt.n_to == 0) {
		opt.to = xmalloc(sizeof(*opt.to));
		opt.to[opt.n_to++] = "postmaster@localhost";
	}
	if (opt.count == 0 && opt.duration_ms == 0 && !opt.keep_going) {
		complain("--count 0 needs --duration-ms or --keep-going (runs until a signal)");
		goto out;
	}
	if (body_path && read_body_file(&opt, body_path) < 0) {
		status = 1;
		goto out;
	}

	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct session s = { .fd = -1 };
	unsigned long sent = 0, failed = 0;
	int64_t end = opt.duration_ms ? mono_ms() + (int64_t)opt.duration_ms : 0;
	for (unsigned long number = 1; !stop_requested; number++) {
		if (opt.count && number > opt.count)
			break;
		if (end && mono_ms() >= end)
			break;
		if (number > 1 && opt.interval_ms)
			pause_ms(opt.interval_ms);
		if ((s.fd >= 0 || session_open(&s, &opt) == 0) && send_one(&s, &opt, number) == 0) {
			sent++;
			if (opt.new_connection)
				session_quit(&s);
			continue;
		}
		/* After any failure the session's state is unknown: start afresh. */
		session_close(&s);
		failed++;
		if (!opt.keep_going)
			break;
		/* The server is down or refusing: do not spin while it comes back. */
		if (!opt.interval_ms)
			pause_ms(20);
	}
	session_quit(&s);
	buf_release(&s.input);
	if (opt.keep_going || failed)
		fprintf(stderr, "smtp-send: %lu acknowledged, %lu failed\n", sent, failed);
	status = failed ? 1 : 0;
out:
	free(opt.to);
	buf_release(&opt.body_file);
	return status;
}
