/*
 * maild: the demo clustered mail service, an SMTP mail store daemon.
 *
 * It accepts mail over SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT, VRFY, HELP) and writes every message durably into the store
 * on the shared disk before it answers 250 to DATA: that reply is the
 * promise the update procedure must never break. One source is built as
 * three versions (-DMAILD_VERSION=1, 2, 3), the releases a service pack
 * moves a node between:
 *
 *   maild 1   store format 1; refuses a format-2 store (the danger clupdate
 *             guards against: an old node must never host upgraded data)
 *   maild 2   store format 2; --migrate-store upgrades a format-1 store
 *   maild 3   store format 2, so it can take over from maild 2
 *
 * One process serves all clients with a poll loop; messages are written
 * synchronously, so the reply to DATA always follows the fsync. SIGTERM
 * ends it cleanly: clients in a transaction get 421, nothing half-done is
 * ever acknowledged.
 *
 * Exit status: 0 ok, 1 error, 2 usage, 3 store format this version cannot
 * open, 4 store in use by another process.
 */
#include "common.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MAILD_VERSION
#error "build with -DMAILD_VERSION=1, 2 or 3"
#endif
#if MAILD_VERSION < 1 || MAILD_VERSION > 3
#error "MAILD_VERSION must be 1, 2 or 3"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

/* The store format this version writes (and the only one it serves). */
#define NATIVE_FORMAT (MAILD_VERSION == 1 ? 1 : 2)

enum {
	EXIT_USAGE = 2,
	EXIT_STORE_FORMAT = 3,
	EXIT_STORE_BUSY = 4,
};

/* RFC 5321 4.5.3.1: 512 octets for a command line, CRLF included. */
#define COMMAND_MAX 512
/* Input buffered per client; a longer data line is passed on in pieces. */
#define INPUT_MAX 4096
/* Stop reading a client whose replies it does not read (pipelining flood). */
#define OUTPUT_HIGH (64 * 1024)
#define RECIPIENTS_MAX 100
#define ADDRESS_MAX 254
#define CLIENTS_MAX 256
#define ERRORS_MAX 20

enum session_state {
	STATE_GREETED,           /* waiting for EHLO/HELO */
	STATE_READY,             /* no transaction */
	STATE_MAIL,              /* after MAIL FROM */
	STATE_RCPT,              /* at least one RCPT TO */
	STATE_DATA,              /* receiving the message after 354 */
};

struct client {
	int fd;
	char peer[INET6_ADDRSTRLEN + 8];
	enum session_state state;
	char input[INPUT_MAX];
	size_t input_len;
	bool discarding;         /* inside a command line that was too long */
	struct buf output;
	bool closing;            /* close once output is flushed */
	int64_t last_active_ms;
	unsigned errors;

	/* the transaction */
	char *from;
	char *to[RECIPIENTS_MAX];
	size_t n_to;
	struct buf message;
	bool message_too_big;
	bool midline;            /* a data line was passed on in pieces */
};

struct server {
	struct store store;
	int listen_fd;
	char hostname[256];
	struct client *clients[CLIENTS_MAX];
	size_t n_clients;
	unsigned idle_timeout_s;
	bool logging;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr (the log file once daemonised), with a timestamp. */
static void log_line(const char *fmt, ...)
{
	char when[40];
	struct buf line = { 0 };
	va_list ap;

	real_iso(when, sizeof(when));
	buf_appendf(&line, "%s maild[%d]: ", when, (int)getpid());
	va_start(ap, fmt);
	buf_vappendf(&line, fmt, ap);
	va_end(ap);
	buf_append(&line, "\n", 1);
	(void)write_full(STDERR_FILENO, line.bytes, line.len);
	buf_release(&line);
}

static void reply(struct client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct client *client, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(&client->output, fmt, ap);
	va_end(ap);
	buf_append(&client->output, "\r\n", 2);
}

static void transaction_reset(struct client *client)
{
	free(client->from);
	client->from = NULL;
	for (size_t i = 0; i < client->n_to; i++)
		free(client->to[i]);
	client->n_to = 0;
	buf_release(&client->message);
	client->message_too_big = false;
	client->midline = false;
	if (client->state > STATE_READY)
		client->state = STATE_READY;
}

/* A syntax or sequence error; too many of them and the client is dropped. */
static void reply_error(struct client *client, const char *text)
{
	reply(client, "%s", text);
	if (++client->errors >= ERRORS_MAX) {
		reply(client, "421 4.7.0 Error: too many errors");
		client->closing = true;
	}
}

/* Case-insensitive prefix match; returns what follows, or NULL. */
static const char *after_prefix(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(line, prefix, n) == 0 ? line + n : NULL;
}

/*
 * Parse "<path>" (after "FROM:" or "TO:", optional spaces before it) into
 * the address alone; *params points at what follows. Source routes
 * ("<@a,@b:user@c>") are accepted and dropped, as RFC 5321 allows.
 * Only printable ASCII is accepted: the address goes into a file header.
 */
static char *parse_path(const char *text, const char **params)
{
	while (*text == ' ')
		text++;
	if (*text != '<')
		return NULL;
	const char *close = strchr(text, '>');
	if (!close)
		return NULL;
	const char *addr = text + 1;
	if (*addr == '@') {
		const char *colon = memchr(addr, ':', (size_t)(close - addr));
		if (!colon)
			return NULL;
		addr = colon + 1;
	}
	size_t len = (size_t)(close - addr);
	if (len > ADDRESS_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (addr[i] <= ' ' || addr[i] > '~' || addr[i] == '<')
			return NULL;
	if (len > 0 && (addr[0] == '@' || addr[len - 1] == '@'))
		return NULL;
	if (close[1] != '\0' && close[1] != ' ')
		return NULL;
	*params = close + 1;
	return xstrndup(addr, len);
}

/* MAIL FROM parameters: SIZE= and BODY= (8BITMIME); others are refused. */
static bool check_mail_params(struct client *client, const char *params)
{
	char *copy = xstrdup(params);
	char *save = NULL;
	bool ok = true;

	for (char *param = strtok_r(copy, " ", &save); param && ok;
	     param = strtok_r(NULL, " ", &save)) {
		const char *value;
		unsigned long size;
		if ((value = after_prefix(param, "SIZE="))) {
			if (parse_uint(value, 0, ~0ul, &size) < 0) {
				reply_error(client, "501 5.5.4 Error: bad SIZE parameter");
				ok = false;
			} else if (size > STORE_MAX_MESSAGE) {
				reply(client, "552 5.3.4 Error: message size exceeds limit");
				ok = false;
			}
		} else if ((value = after_prefix(param, "BODY="))) {
			if (strcasecmp(value, "7BIT") && strcasecmp(value, "8BITMIME")) {
				reply_error(client, "501 5.5.4 Error: bad BODY parameter");
				ok = false;
			}
		} else {
			reply_error(client, "555 5.5.4 Error: unsupported parameter");
			ok = false;
		}
	}
	free(copy);
	return ok;
}

static void cmd_helo(struct server *server, struct client *client,
		     const char *arg, bool extended)
{
	if (!*arg || strchr(arg, ' ')) {
		reply_error(client, extended ? "501 5.5.4 Syntax: EHLO hostname"
				     : "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	transaction_reset(client);
	client->state = STATE_READY;
	if (!extended) {
		reply(client, "250 %s", server->hostname);
		return;
	}
	reply(client, "250-%s Hello %s", server->hostname, arg);
	reply(client, "250-PIPELINING");
	reply(client, "250-SIZE %u", STORE_MAX_MESSAGE);
	reply(client, "250-8BITMIME");
	reply(client, "250 ENHANCEDSTATUSCODES");
}

static void cmd_mail(struct client *client, const char *arg)
{
	const char *path = after_prefix(arg, "FROM:");
	const char *params;

	if (client->state == STATE_GREETED) {
		reply_error(client, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (client->state != STATE_READY) {
		reply_error(client, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	char *from = path ? parse_path(path, &params) : NULL;
	if (!from) {
		reply_error(client, "501 5.1.7 Syntax: MAIL FROM:<address>");
		return;
	}
	if (!check_mail_params(client, params)) {
		free(from);
		return;
	}
	client->from = from;
	client->state = STATE_MAIL;
	reply(client, "250 2.1.0 Ok");
}

static void cmd_rcpt(struct client *client, const char *arg)
{
	const char *path = after_prefix(arg, "TO:");
	const char *params;

	if (client->state != STATE_MAIL && client->state != STATE_RCPT) {
		reply_error(client, client->state == STATE_GREETED
			    ? "503 5.5.1 Error: send HELO/EHLO first"
			    : "503 5.5.1 Error: need MAIL command");
		return;
	}
	char *to = path ? parse_path(path, &params) : NULL;
	if (!to || !*to) {
		free(to);
		reply_error(client, "501 5.1.3 Syntax: RCPT TO:<address>");
		return;
	}
	while (*params == ' ')
		params++;
	if (*params) {
		free(to);
		reply_error(client, "555 5.5.4 Error: unsupported parameter");
		return;
	}
	if (client->n_to == RECIPIENTS_MAX) {
		free(to);
		reply(client, "452 4.5.3 Error: too many recipients");
		return;
	}
	client->to[client->n_to++] = to;
	client->state = STATE_RCPT;
	reply(client, "250 2.1.5 Ok");
}

static void cmd_data(struct client *client, const char *arg)
{
	if (*arg) {
		reply_error(client, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (client->state != STATE_RCPT) {
		reply_error(client, client->state == STATE_GREETED
			    ? "503 5.5.1 Error: send HELO/EHLO first"
			    : client->state == STATE_READY
			    ? "503 5.5.1 Error: need MAIL command"
			    : "503 5.5.1 Error: need RCPT command");
		return;
	}
	buf_reset(&client->message);
	client->message_too_big = false;
	client->midline = false;
	client->state = STATE_DATA;
	reply(client, "354 End data with <CR><LF>.<CR><LF>");
}

static void run_command(struct server *server, struct client *client,
			const char *line)
{
	const char *space = strchr(line, ' ');
	size_t verb_len = space ? (size_t)(space - line) : strlen(line);
	const char *arg = space ? space + 1 : "";
	char verb[16];

	if (verb_len >= sizeof(verb)) {
		reply_error(client, "500 5.5.2 Error: command not recognized");
		return;
	}
	memcpy(verb, line, verb_len);
	verb[verb_len] = '\0';
	while (*arg == ' ')
		arg++;

	if (!strcasecmp(verb, "EHLO")) {
		cmd_helo(server, client, arg, true);
	} else if (!strcasecmp(verb, "HELO")) {
		cmd_helo(server, client, arg, false);
	} else if (!strcasecmp(verb, "MAIL")) {
		cmd_mail(client, arg);
	} else if (!strcasecmp(verb, "RCPT")) {
		cmd_rcpt(client, arg);
	} else if (!strcasecmp(verb, "DATA")) {
		cmd_data(client, arg);
	} else if (!strcasecmp(verb, "RSET")) {
		if (*arg) {
			reply_error(client, "501 5.5.4 Syntax: RSET");
			return;
		}
		transaction_reset(client);
		reply(client, "250 2.0.0 Ok");
	} else if (!strcasecmp(verb, "NOOP")) {
		reply(client, "250 2.0.0 Ok");
	} else if (!strcasecmp(verb, "QUIT")) {
		if (*arg) {
			reply_error(client, "501 5.5.4 Syntax: QUIT");
			return;
		}
		reply(client, "221 2.0.0 Bye");
		client->closing = true;
	} else if (!strcasecmp(verb, "VRFY")) {
		if (!*arg)
			reply_error(client, "501 5.5.4 Syntax: VRFY address");
		else
			reply(client, "252 2.0.0 Cannot VRFY user; try RCPT to attempt delivery");
	} else if (!strcasecmp(verb, "HELP")) {
		reply(client, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
	} else if (!strcasecmp(verb, "EXPN") || !strcasecmp(verb, "TURN") ||
		   !strcasecmp(verb, "ETRN") || !strcasecmp(verb, "BDAT") ||
		   !strcasecmp(verb, "STARTTLS") || !strcasecmp(verb, "AUTH")) {
		reply_error(client, "502 5.5.1 Error: command not implemented");
	} else {
		reply_error(client, "500 5.5.2 Error: command not recognized");
	}
}

/* The end of DATA: write the message durably, then, and only then, 250. */
static void finish_message(struct server *server, struct client *client)
{
	char id[STORE_ID_SIZE];
	char err[512];

	if (client->message_too_big) {
		reply(client, "552 5.3.4 Error: message size exceeds limit");
	} else if (store_deliver(&server->store, client->from, client->to,
				 client->n_to, client->message.bytes ? client->message.bytes : "",
				 client->message.len, id, err, sizeof(err)) < 0) {
		log_line("%s", err);
		reply(client, "451 4.3.0 Error: local error in processing");
	} else {
		if (server->logging)
			log_line("queued %s from=<%s> rcpts=%zu size=%zu peer=%s", id,
				 client->from, client->n_to, client->message.len,
				 client->peer);
		reply(client, "250 2.0.0 Ok: queued as %s", id);
	}
	transaction_reset(client);
	client->state = STATE_READY;
}

static void message_append(struct client *client, const char *bytes, size_t len)
{
	if (client->message_too_big)
		return;
	if (client->message.len + len > STORE_MAX_MESSAGE) {
		/* Keep reading to the final dot, then refuse (552). */
		client->message_too_big = true;
		buf_release(&client->message);
		return;
	}
	buf_append(&client->message, bytes, len);
}

/*
 * One line of the message (without its line ending). At the start of a
 * line a lone "." ends the message, and a leading dot that the client
 * added (dot-stuffing, RFC 5321 4.5.2) is removed.
 */
static void data_line(struct server *server, struct client *client,
		      const char *line, size_t len)
{
	if (!client->midline) {
		if (len == 1 && line[0] == '.') {
			finish_message(server, client);
			return;
		}
		if (len > 0 && line[0] == '.') {
			line++;
			len--;
		}
	}
	client->midline = false;
	message_append(client, line, len);
	message_append(client, "\r\n", 2);
}

/* Part of a data line longer than the buffer: pass it on, keep going. */
static void data_piece(struct client *client, const char *piece, size_t len)
{
	if (!client->midline && len > 0 && piece[0] == '.') {
		piece++;
		len--;
	}
	client->midline = true;
	message_append(client, piece, len);
}

/* Handle every complete line in the client's input buffer. */
static void client_process(struct server *server, struct client *client)
{
	while (!client->closing && client->output.len < OUTPUT_HIGH) {
		char *lf = memchr(client->input, '\n', client->input_len);
		size_t used;

		if (!lf) {
			if (client->input_len < sizeof(client->input))
				break;
			if (client->state == STATE_DATA) {
				/* Keep the last byte: it may be the CR of a CRLF. */
				data_piece(client, client->input, client->input_len - 1);
				client->input[0] = client->input[client->input_len - 1];
				client->input_len = 1;
			} else {
				client->discarding = true;
				client->input_len = 0;
			}
			continue;
		}
		used = (size_t)(lf - client->input) + 1;
		size_t len = used - 1;
		if (len > 0 && client->input[len - 1] == '\r')
			len--;
		if (client->state == STATE_DATA) {
			data_line(server, client, client->input, len);
		} else if (client->discarding || len + 2 > COMMAND_MAX) {
			client->discarding = false;
			reply_error(client, "500 5.5.6 Error: line too long");
		} else if (memchr(client->input, '\0', len)) {
			reply_error(client, "500 5.5.2 Error: NUL in command");
		} else {
			char line[COMMAND_MAX];
			memcpy(line, client->input, len);
			line[len] = '\0';
			run_command(server, client, line);
		}
		memmove(client->input, client->input + used, client->input_len - used);
		client->input_len -= used;
	}
}

static void client_free(struct client *client)
{
	transaction_reset(client);
	buf_release(&client->output);
	if (client->fd >= 0)
		close(client->fd);
	free(client);
}

/* Send what the socket takes now; false when the client is gone. */
static bool client_flush(struct client *client)
{
	while (client->output.len > 0) {
		ssize_t n = send(client->fd, client->output.bytes, client->output.len,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		buf_consume(&client->output, (size_t)n);
	}
	return true;
}

static void server_accept(struct server *server)
{
	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof(addr);
	int fd = accept4(server->listen_fd, (struct sockaddr *)&addr, &addr_len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;         /* the client went away, or EMFILE: poll again */
	if (server->n_clients == CLIENTS_MAX) {
		static const char busy[] = "421 4.3.2 Too many connections, try again later\r\n";
		(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	struct client *client = xmalloc(sizeof(*client));
	memset(client, 0, sizeof(*client));
	client->fd = fd;
	client->last_active_ms = mono_ms();
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (addr.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&addr;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (addr.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(client->peer, sizeof(client->peer), "%s:%u", host, port);
	reply(client, "220 %s ESMTP clupdate maild " STR(MAILD_VERSION), server->hostname);
	server->clients[server->n_clients++] = client;
}

static void server_drop(struct server *server, size_t index)
{
	client_free(server->clients[index]);
	server->clients[index] = server->clients[--server->n_clients];
}

/* The poll loop, until SIGTERM or SIGINT. */
static void server_run(struct server *server, const sigset_t *run_mask)
{
	struct pollfd fds[CLIENTS_MAX + 1];

	while (!stop_requested) {
		size_t nfds = 0;

		/* Even when full: a client beyond the limit is told 421 at once. */
		fds[nfds++] = (struct pollfd){ .fd = server->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < server->n_clients; i++) {
			struct client *client = server->clients[i];
			short events = 0;
			if (!client->closing && client->output.len < OUTPUT_HIGH &&
			    client->input_len < sizeof(client->input))
				events |= POLLIN;
			if (client->output.len > 0)
				events |= POLLOUT;
			fds[nfds++] = (struct pollfd){ .fd = client->fd, .events = events };
		}
		struct timespec tick = { 1, 0 };
		int n = ppoll(fds, nfds, &tick, run_mask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_line("poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN)
			server_accept(server);

		int64_t now = mono_ms();
		/* Backwards: dropping a client moves the last one into its slot. */
		for (size_t i = nfds - 1; i >= 1; i--) {
			struct client *client = server->clients[i - 1];
			short revents = fds[i].revents;
			bool alive = true;

			if (revents & POLLIN) {
				ssize_t got = recv(client->fd, client->input + client->input_len,
						   sizeof(client->input) - client->input_len, 0);
				if (got > 0) {
					client->input_len += (size_t)got;
					client->last_active_ms = now;
				} else if (got == 0) {
					/* Half-closed: send the replies it may still read. */
					client->closing = true;
				} else if (errno != EINTR && errno != EAGAIN) {
					alive = false;     /* an unfinished message is dropped */
				}
			} else if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
				alive = false;
			}
			if (alive && server->idle_timeout_s &&
			    now - client->last_active_ms > (int64_t)server->idle_timeout_s * 1000) {
				/* A client that does not even read its 421 is dropped. */
				if (client->closing) {
					alive = false;
				} else {
					reply(client, "421 4.4.2 Error: timeout exceeded");
					client->closing = true;
					client->last_active_ms = now;
				}
			}
			/* Replies drained make room: handle lines already buffered. */
			while (alive) {
				client_process(server, client);
				size_t before = client->output.len;
				alive = client_flush(client);
				if (!alive || client->closing || client->output.len == before ||
				    client->output.len >= OUTPUT_HIGH)
					break;
			}
			if (!alive || (client->closing && client->output.len == 0))
				server_drop(server, i - 1);
		}
	}
	for (size_t i = 0; i < server->n_clients; i++) {
		reply(server->clients[i], "421 4.3.2 Service shutting down");
		(void)client_flush(server->clients[i]);
	}
	while (server->n_clients > 0)
		server_drop(server, server->n_clients - 1);
}

static int listen_on(const char *spec, char *err, size_t errsize)
{
	char *host = NULL, *port = NULL;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL;
	int fd = -1;

	if (split_host_port(spec, &host, &port) < 0) {
		snprintf(err, errsize, "bad listen address '%s' (want IP:PORT)", spec);
		goto out;
	}
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsize, "bad listen address '%s': %s", spec, gai_strerror(rc));
		goto out;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		goto out;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errsize, "cannot listen on '%s': %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	if (res)
		freeaddrinfo(res);
	free(host);
	free(port);
	return fd;
}

/* Write the pidfile atomically, so a reader never sees half a number. */
static int write_pidfile(const char *path)
{
	char tmp[4096];
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid());

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = write_full(fd, text, (size_t)len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Remove the pidfile only while it still names this process. */
static void remove_pidfile(const char *path)
{
	char text[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n > 0 && atoi(text) == (int)getpid())
		unlink(path);
}

static char *absolute_path(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	struct buf abs = { 0 };
	buf_appendf(&abs, "%s/%s", cwd, path);
	return abs.bytes;
}

static int store_exit_status(int rc)
{
	return rc == STORE_E_FORMAT ? EXIT_STORE_FORMAT
		: rc == STORE_E_BUSY ? EXIT_STORE_BUSY : EXIT_FAILURE;
}

struct options {
	const char *listen;
	const char *store;
	const char *pidfile;
	const char *log;
	bool foreground;
	unsigned idle_timeout_s;
	unsigned timeout_ms;
};

/*
 * Serve: open the store and the socket first, so every startup error is
 * reported to the caller (the OCF agent, the installer) with the exit
 * status; only then detach. The parent returns once the child is
 * listening and its pidfile written, so "started" means "accepting mail".
 */
static int serve(const struct options *opt)
{
	struct server server = { .listen_fd = -1, .idle_timeout_s = opt->idle_timeout_s,
				 .logging = true };
	char err[1024];
	/* Both are opened after the chdir("/") of a daemon. */
	char *pidfile = opt->pidfile ? absolute_path(opt->pidfile) : NULL;
	char *logfile = opt->log ? absolute_path(opt->log) : NULL;
	int ready[2] = { -1, -1 };
	int status = EXIT_FAILURE;
	sigset_t stop_signals, run_mask;

	/* Blocked except inside ppoll: a SIGTERM is never missed. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_signals, &run_mask);
	sigdelset(&run_mask, SIGTERM);
	sigdelset(&run_mask, SIGINT);
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	/*
	 * A daemon must not keep its starter's descriptors: the installer's
	 * output pipe, read by clupdate to the end, would never close.
	 */
	if (!opt->foreground)
		(void)close_range(3, ~0u, 0);
	gethostname(server.hostname, sizeof(server.hostname) - 1);
	if (!server.hostname[0])
		strcpy(server.hostname, "localhost");

	int rc = store_open(&server.store, opt->store, STORE_SERVE, NATIVE_FORMAT,
			    1u << NATIVE_FORMAT, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		free(pidfile);
		free(logfile);
		return store_exit_status(rc);
	}
	server.listen_fd = listen_on(opt->listen, err, sizeof(err));
	if (server.listen_fd < 0) {
		fprintf(stderr, "maild: %s\n", err);
		goto out;
	}

	if (!opt->foreground) {
		if (pipe2(ready, O_CLOEXEC) < 0) {
			fprintf(stderr, "maild: pipe: %s\n", strerror(errno));
			goto out;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "maild: fork: %s\n", strerror(errno));
			goto out;
		}
		if (pid > 0) {
			char byte = 0;
			close(ready[1]);
			ssize_t n;
			while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR)
				;
			close(ready[0]);
			/*
			 * The child shares the socket and the lock's open file;
			 * closing ours releases neither.
			 */
			close(server.listen_fd);
			store_close(&server.store);
			free(pidfile);
			free(logfile);
			return n == 1 && byte == 'R' ? 0 : EXIT_FAILURE;
		}
		close(ready[0]);
		setsid();
		/* Do not keep a store mount or a test's directory busy. */
		if (chdir("/") < 0)
			fprintf(stderr, "maild: chdir /: %s\n", strerror(errno));
	}
	if (pidfile && (rc = write_pidfile(pidfile)) < 0) {
		fprintf(stderr, "maild: cannot write pidfile '%s': %s\n", pidfile,
			strerror(-rc));
		goto out;
	}
	if (!opt->foreground) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = logfile ? open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
					 0640) : -1;
		if (logfile && log < 0)
			fprintf(stderr, "maild: cannot open log '%s': %s\n", logfile,
				strerror(errno));
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(log >= 0 ? log : null, STDERR_FILENO);
		if (log >= 0)
			close(log);
		close(null);
	}
	log_line("maild %d serving store '%s' (format %d) on %s", MAILD_VERSION,
		 opt->store, NATIVE_FORMAT, opt->listen);
	if (ready[1] >= 0) {
		(void)write_full(ready[1], "R", 1);
		close(ready[1]);
		ready[1] = -1;
	}
	server_run(&server, &run_mask);
	log_line("maild %d stopped", MAILD_VERSION);
	status = 0;
out:
	if (ready[1] >= 0)
		close(ready[1]);
	if (server.listen_fd >= 0)
		close(server.listen_fd);
	store_close(&server.store);
	/* Last: whoever sees it gone may unmount or migrate the store. */
	if (pidfile)
		remove_pidfile(pidfile);
	free(pidfile);
	free(logfile);
	return status;
}

static int list_store(const char *path)
{
	struct store store;
	char err[1024];
	char **ids;
	size_t n_ids;
	int status = 0;

	int rc = store_open(&store, path, STORE_READ, NATIVE_FORMAT,
			    1u << NATIVE_FORMAT, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return store_exit_status(rc);
	}
	rc = store_list(&store, &ids, &n_ids, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		store_close(&store);
		return EXIT_FAILURE;
	}
	/* Check each file parses: a listed id is a message that can be read. */
	for (size_t i = 0; i < n_ids; i++) {
		struct store_message msg;
		if (store_load(&store, ids[i], &msg, err, sizeof(err)) < 0) {
			fprintf(stderr, "maild: %s\n", err);
			status = EXIT_FAILURE;
			continue;
		}
		store_message_release(&msg);
		printf("%s\n", ids[i]);
	}
	store_free_ids(ids, n_ids);
	store_close(&store);
	if (fflush(stdout) != 0)
		status = EXIT_FAILURE;
	return status;
}

static int read_message(const char *path, const char *id)
{
	struct store store;
	struct store_message msg;
	char err[1024];

	int rc = store_open(&store, path, STORE_READ, NATIVE_FORMAT,
			    1u << NATIVE_FORMAT, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return store_exit_status(rc);
	}
	rc = store_load(&store, id, &msg, err, sizeof(err));
	store_close(&store);
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return EXIT_FAILURE;
	}
	int status = fwrite(msg.body, 1, msg.body_len, stdout) == msg.body_len &&
		fflush(stdout) == 0 ? 0 : EXIT_FAILURE;
	store_message_release(&msg);
	return status;
}

static int store_format(const char *path)
{
	char err[1024];
	int format;

	if (store_read_format(path, &format, err, sizeof(err)) < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return EXIT_FAILURE;
	}
	if (format == 0)
		puts("none");
	else
		printf("%d\n", format);
	return 0;
}

static int migrate(const char *path)
{
#if MAILD_VERSION >= 2
	char err[1024];
	unsigned migrated;
	int before;

	if (store_read_format(path, &before, err, sizeof(err)) < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return EXIT_FAILURE;
	}
	int rc = store_migrate(path, &migrated, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return store_exit_status(rc);
	}
	if (before == 0)
		printf("store '%s' is empty: nothing to migrate\n", path);
	else if (before == 2 && migrated == 0)
		printf("store '%s' is at format 2\n", path);
	else
		printf("store '%s' migrated from format 1 to format 2 (%u messages copied)\n",
		       path, migrated);
	return 0;
#else
	fprintf(stderr, "maild: maild 1 cannot migrate store '%s': it knows format 1 only\n",
		path);
	return EXIT_STORE_FORMAT;
#endif
}

/* --downgrade-store: format 2 back to 1, for a rollback to maild 1. */
static int downgrade(const char *path)
{
#if MAILD_VERSION >= 2
	char err[1024];
	unsigned copied;
	int before;

	if (store_read_format(path, &before, err, sizeof(err)) < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return EXIT_FAILURE;
	}
	int rc = store_downgrade(path, &copied, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "maild: %s\n", err);
		return store_exit_status(rc);
	}
	if (before == 0)
		printf("store '%s' is empty: nothing to downgrade\n", path);
	else
		printf("store '%s' is at format 1 (%u messages copied from format 2)\n", path,
		       copied);
	return 0;
#else
	fprintf(stderr, "maild: maild 1 cannot downgrade store '%s': it knows format 1 only\n",
		path);
	return EXIT_STORE_FORMAT;
#endif
}

/* A cheap health check for the OCF monitor: greeting, QUIT, 221. */
static int probe(const char *spec, unsigned timeout_ms)
{
	char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int fd = -1;
	int status = EXIT_FAILURE;
	char answer[1024];
	size_t got = 0;
	bool sent_quit = false;
	int64_t deadline = mono_ms() + timeout_ms;

	if (split_host_port(spec, &host, &port) < 0 ||
	    getaddrinfo(host ? host : "127.0.0.1", port, &hints, &res) != 0) {
		fprintf(stderr, "maild: bad probe address '%s' (want IP:PORT)\n", spec);
		free(host);
		free(port);
		return EXIT_USAGE;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
		       errno != EINPROGRESS)) {
		fprintf(stderr, "maild: probe '%s': %s\n", spec, strerror(errno));
		goto out;
	}
	for (;;) {
		int64_t left = deadline - mono_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (left <= 0) {
			fprintf(stderr, "maild: probe '%s': timed out\n", spec);
			goto out;
		}
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t r = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
		if (r <= 0) {
			fprintf(stderr, "maild: probe '%s': %s\n", spec,
				r == 0 ? "connection closed" : strerror(errno));
			goto out;
		}
		got += (size_t)r;
		answer[got] = '\0';
		char *end = strstr(answer, "\r\n");
		if (!end) {
			if (got == sizeof(answer) - 1)
				goto out;
			continue;
		}
		if (!sent_quit) {
			if (strncmp(answer, "220 ", 4) != 0) {
				fprintf(stderr, "maild: probe '%s': greeting '%.*s'\n", spec,
					(int)(end - answer), answer);
				goto out;
			}
			/* Tiny and on a fresh socket: the write never blocks. */
			if (send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL) != 6)
				goto out;
			sent_quit = true;
			got = 0;
			continue;
		}
		if (strncmp(answer, "221", 3) == 0)
			status = 0;
		else
			fprintf(stderr, "maild: probe '%s': QUIT answered '%.*s'\n", spec,
				(int)(end - answer), answer);
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	free(host);
	free(port);
	return status;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: maild --listen IP:PORT --store DIR [--pidfile FILE] [--log FILE]\n"
		"             [--foreground] [--idle-timeout SECONDS]\n"
		"       maild --list-store DIR | --read-message DIR ID | --store-format DIR\n"
		"       maild --migrate-store DIR | --probe IP:PORT [--timeout-ms N]\n"
		"       maild --version | --help\n"
		"\n"
		"The demo clustered mail service, version %d: an SMTP server that writes\n"
		"every message durably into store DIR (format %d) before it answers 250.\n"
		"It detaches once it listens, unless --foreground.\n"
		"\n"
		"  --list-store DIR     print the ids of the stored messages, one per line\n"
		"  --read-message DIR ID  print a stored message as received\n"
		"  --store-format DIR   print the store's format: 1, 2, or none (empty)\n"
		"  --migrate-store DIR  upgrade a format-1 store to format 2 (maild 2+)\n"
		"  --downgrade-store DIR  downgrade a format-2 store to format 1, for a\n"
		"                       rollback to maild 1 (maild 2+; the daemon stopped)\n"
		"  --probe IP:PORT      exit 0 when an SMTP server answers there\n"
		"\n"
		"Exit status: 0 ok, 1 error, 2 usage, 3 store format this version\n"
		"cannot open, 4 store in use by another process.\n",
		MAILD_VERSION, NATIVE_FORMAT);
}

int main(int argc, char **argv)
{
	enum { OPT_LIST = 256, OPT_READ, OPT_FORMAT, OPT_MIGRATE, OPT_DOWNGRADE, OPT_PROBE,
	       OPT_IDLE, OPT_TIMEOUT, OPT_VERSION };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'L' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "list-store", required_argument, NULL, OPT_LIST },
		{ "read-message", required_argument, NULL, OPT_READ },
		{ "store-format", required_argument, NULL, OPT_FORMAT },
		{ "migrate-store", required_argument, NULL, OPT_MIGRATE },
		{ "downgrade-store", required_argument, NULL, OPT_DOWNGRADE },
		{ "probe", required_argument, NULL, OPT_PROBE },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { .idle_timeout_s = 300, .timeout_ms = 2000 };
	int mode = 0;
	const char *mode_arg = NULL;
	unsigned long number;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': opt.listen = optarg; break;
		case 's': opt.store = optarg; break;
		case 'p': opt.pidfile = optarg; break;
		case 'L': opt.log = optarg; break;
		case 'f': opt.foreground = true; break;
		case OPT_IDLE:
			if (parse_uint(optarg, 0, 86400, &number) < 0) {
				fprintf(stderr, "maild: bad --idle-timeout '%s'\n", optarg);
				return EXIT_USAGE;
			}
			opt.idle_timeout_s = (unsigned)number;
			break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 1, 600000, &number) < 0) {
				fprintf(stderr, "maild: bad --timeout-ms '%s'\n", optarg);
				return EXIT_USAGE;
			}
			opt.timeout_ms = (unsigned)number;
			break;
		case OPT_LIST: case OPT_READ: case OPT_FORMAT: case OPT_MIGRATE: case OPT_DOWNGRADE:
		case OPT_PROBE: case OPT_VERSION:
			if (mode) {
				fprintf(stderr, "maild: give one of --list-store, --read-message,"
					" --store-format, --migrate-store, --probe, --version\n");
				return EXIT_USAGE;
			}
			mode = c;
			mode_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (mode == OPT_READ ? optind != argc - 1 : optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	switch (mode) {
	case OPT_VERSION:
		printf("%d\n", MAILD_VERSION);
		return 0;
	case OPT_LIST:
		return list_store(mode_arg);
	case OPT_READ:
		return read_message(mode_arg, argv[optind]);
	case OPT_FORMAT:
		return store_format(mode_arg);
	case OPT_MIGRATE:
		return migrate(mode_arg);
	case OPT_DOWNGRADE:
		return downgrade(mode_arg);
	case OPT_PROBE:
		return probe(mode_arg, opt.timeout_ms);
	}
	if (!opt.listen || !opt.store) {
		fprintf(stderr, "maild: --listen and --store are required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	return serve(&opt);
}
