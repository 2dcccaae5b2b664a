/*
 * Probes (see probe.h): threads that keep asking the service whether it
 * answers, and journal the instants its answer changes.
 *
 * A probe's connection attempt has a short connect timeout (twice the
 * interval, at least 100 ms): a service that does not accept a connection
 * on a LAN within that is down for its users, and a long timeout would
 * blur the instant it comes back. The rest of a transaction may take up
 * to the probe's timeout (a store that fsyncs is allowed to be slow).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clupdate/probe.h"
#include "clupdate/proc.h"
#include "util.h"

int clu_probe_parse_address(const char *address, char **host, unsigned *port,
			    struct clu_err *err)
{
	const char *colon;
	char *end;
	unsigned long value;

	*host = NULL;
	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close[1] != ':')
			return clu_err_set(err, CLU_E_USAGE, "bad probe address '%s' (expected "
					   "[V6]:PORT)", address);
		*host = clu__xstrndup(address + 1, (size_t)(close - address - 1));
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return clu_err_set(err, CLU_E_USAGE, "bad probe address '%s' (expected "
					   "HOST:PORT or :PORT)", address);
		if (colon != address)
			*host = clu__xstrndup(address, (size_t)(colon - address));
	}
	value = strtoul(colon + 1, &end, 10);
	if (*end || !value || value > 65535) {
		free(*host);
		*host = NULL;
		return clu_err_set(err, CLU_E_USAGE, "bad port in probe address '%s'", address);
	}
	*port = (unsigned)value;
	return 0;
}

/* ---- one probe -------------------------------------------------------- */

static int64_t remaining_ms(int64_t deadline)
{
	int64_t left = deadline - clu_now_mono_ms();

	return left > 0 ? left : 0;
}

/* Connect to host:port (numeric only: a probe never asks DNS) before deadline. */
static int connect_to(const struct clu_probe_target *t, int64_t deadline, struct clu_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char port[8];
	int fd = -1, rc, soerr = 0;
	socklen_t len = sizeof(soerr);
	struct pollfd pfd;

	snprintf(port, sizeof(port), "%u", t->port);
	rc = getaddrinfo(t->host, port, &hints, &ai);
	if (rc) {
		clu_err_set(err, CLU_E_SPAWN, "bad address '%s': %s", t->host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		clu_err_set(err, CLU_E_SPAWN, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		clu_err_set(err, CLU_E_SPAWN, "connect: %s", strerror(errno));
		goto fail;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	rc = poll(&pfd, 1, (int)remaining_ms(deadline));
	if (rc <= 0) {
		clu_err_set(err, CLU_E_SPAWN, "connect: no answer in time");
		goto fail;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr) {
		clu_err_set(err, CLU_E_SPAWN, "connect: %s", strerror(soerr));
		goto fail;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

struct conversation {
	int fd;
	int64_t deadline;
	struct clu_smtp_reply reply;
};

bool clu_smtp_reply_parse(struct clu_smtp_reply *r, int *code, char *last, size_t last_size)
{
	char *nl;

	while ((nl = memchr(r->buf, '\n', r->len))) {
		size_t line_len = (size_t)(nl - r->buf) + 1;
		bool more = line_len > 3 && r->buf[3] == '-';
		const char *d = r->buf;

		/* The code is the line's own first three digits, never what
		 * atoi() would find past a line end; anything else is 0. */
		*code = line_len > 3 && isdigit((unsigned char)d[0]) &&
			isdigit((unsigned char)d[1]) && isdigit((unsigned char)d[2]) ?
			(d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0') : 0;
		if (last) {
			size_t n = line_len < last_size ? line_len : last_size - 1;

			memcpy(last, r->buf, n);
			last[n] = '\0';
		}
		memmove(r->buf, nl + 1, r->len - line_len);
		r->len -= line_len;
		if (!more)
			return true;
	}
	return false;
}

/* Read one whole SMTP reply (continuation lines "250-..."); its code. */
static int smtp_reply(struct conversation *c, char *last, size_t last_size, struct clu_err *err)
{
	struct clu_smtp_reply *r = &c->reply;
	int code;

	while (!clu_smtp_reply_parse(r, &code, last, last_size)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (r->len == sizeof(r->buf))
			return clu_err_set(err, CLU_E_SPAWN, "smtp: reply line too long"), -1;
		if (poll(&pfd, 1, (int)remaining_ms(c->deadline)) <= 0)
			return clu_err_set(err, CLU_E_SPAWN, "smtp: no reply in time"), -1;
		n = recv(c->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
		if (n <= 0)
			return clu_err_set(err, CLU_E_SPAWN, "smtp: connection closed"), -1;
		r->len += (size_t)n;
	}
	return code;
}

static int smtp_send(struct conversation *c, const char *text, struct clu_err *err)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&pfd, 1, (int)remaining_ms(c->deadline)) <= 0)
			return clu_err_set(err, CLU_E_SPAWN, "smtp: cannot send in time");
		n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);
		if (n < 0)
			return clu_err_set(err, CLU_E_SPAWN, "smtp: send: %s", strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

/* Send a command and expect a reply code; "smtp: MAIL: 451 ..." otherwise. */
static int smtp_step(struct conversation *c, const char *what, const char *text, int want,
		     char *reply, size_t reply_size, struct clu_err *err)
{
	char line[512];
	int code;

	if (text && smtp_send(c, text, err))
		return CLU_E_SPAWN;
	code = smtp_reply(c, line, sizeof(line), err);
	if (code < 0)
		return CLU_E_SPAWN;
	if (code != want) {
		line[strcspn(line, "\r\n")] = '\0';
		return clu_err_set(err, CLU_E_SPAWN, "smtp %s: %s", what, line);
	}
	if (reply)
		snprintf(reply, reply_size, "%s", line);
	return 0;
}

static int smtp_transaction(struct conversation *c, const char *name, char **queue_id,
			    struct clu_err *err)
{
	static atomic_uint sequence;
	char reply[512], data[512];
	unsigned seq = atomic_fetch_add(&sequence, 1);
	char *id, *end;

	snprintf(data, sizeof(data),
		 "From: clupdate probe <probe@clupdate.invalid>\r\n"
		 "To: <probe@clupdate.invalid>\r\n"
		 "Subject: clupdate probe %s %u\r\n"
		 "\r\n"
		 "Sent by clupdate's probe to measure what users see.\r\n.\r\n", name, seq);
	if (smtp_step(c, "greeting", NULL, 220, NULL, 0, err) ||
	    smtp_step(c, "EHLO", "EHLO clupdate-probe\r\n", 250, NULL, 0, err) ||
	    smtp_step(c, "MAIL", "MAIL FROM:<probe@clupdate.invalid>\r\n", 250, NULL, 0, err) ||
	    smtp_step(c, "RCPT", "RCPT TO:<probe@clupdate.invalid>\r\n", 250, NULL, 0, err) ||
	    smtp_step(c, "DATA", "DATA\r\n", 354, NULL, 0, err) ||
	    smtp_step(c, "message", data, 250, reply, sizeof(reply), err))
		return CLU_E_SPAWN;
	/* "250 2.0.0 Ok: queued as ID": the id is the reply's last word. */
	reply[strcspn(reply, "\r\n")] = '\0';
	end = reply + strlen(reply);
	id = strrchr(reply, ' ');
	if (queue_id && id && id + 1 < end)
		*queue_id = clu__xstrdup(id + 1);
	/* A failed QUIT does not undo an acknowledged message. */
	smtp_step(c, "QUIT", "QUIT\r\n", 221, NULL, 0, NULL);
	return 0;
}

static int command_probe(const struct clu_probe_target *t, unsigned timeout_ms, struct clu_err *err)
{
	struct clu_proc proc;
	int ret;

	clu_proc_init(&proc);
	clu_proc_shell(&proc, t->spec->command);
	proc.timeout_ms = timeout_ms;
	proc.kill_grace_ms = 100;
	ret = clu_proc_run(&proc, err);
	clu_proc_release(&proc);
	return ret;
}

int clu_probe_once(const struct clu_probe_target *t, unsigned timeout_ms, char **queue_id,
		   struct clu_err *err)
{
	unsigned interval = t->spec->interval_ms ? t->spec->interval_ms : 50;
	unsigned connect_ms = 2 * interval < 100 ? 100 : 2 * interval;
	struct conversation c = { .fd = -1 };
	int64_t start = clu_now_mono_ms();
	int ret = 0;

	if (queue_id)
		*queue_id = NULL;
	if (t->spec->type == CLU_PROBE_COMMAND)
		return command_probe(t, timeout_ms, err);
	if (connect_ms > timeout_ms)
		connect_ms = timeout_ms;
	c.fd = connect_to(t, start + connect_ms, err);
	if (c.fd < 0)
		return CLU_E_SPAWN;
	c.deadline = start + timeout_ms;
	if (t->spec->type == CLU_PROBE_SMTP)
		ret = smtp_transaction(&c, t->spec->name, queue_id, err);
	close(c.fd);
	return ret;
}

/* ---- probe threads ---------------------------------------------------- */

struct probe {
	struct clu_probe_target target;
	struct clu_prober *owner;
	pthread_t thread;
	bool started;
	int netns_fd;
	struct clu_probe_stats stats;
	size_t ack_alloc;
	/* What the executor may look at while it runs (under the prober's lock). */
	int64_t up_at;          /* start of the last probe that answered; 0: none */
	int64_t down_since;     /* start of the current outage; 0: up (or not seen) */
	int64_t longest_ms;     /* the longest outage that has ended */
	int64_t outage_ms;      /* the outages that have ended, added up */
	unsigned windows;       /* outages begun */
	size_t acknowledged;    /* stats.n_acknowledged, as looked at */
	bool looked;            /* it has probed once */
};

struct clu_prober {
	struct probe *probes;
	size_t n;
	struct clu_journal *journal;
	int64_t run_id;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t first_look;   /* a probe has probed for the first time */
	bool stop;
};

static void journal_event(struct probe *p, int64_t at_mono, const char *kind, const char *detail)
{
	struct clu_err ignored = CLU_ERR_INIT;
	int64_t real = clu_now_real_ms() - (clu_now_mono_ms() - at_mono);

	/* A probe never stops the run: a journal error is the executor's to see. */
	clu_journal_event(p->owner->journal, p->owner->run_id, at_mono, real, kind,
			  p->target.spec->name, p->target.spec->group, detail, &ignored);
}

/* Sleep until the monotonic instant `until_ms`, or until asked to stop. */
static bool wait_until(struct clu_prober *pr, int64_t until_ms)
{
	struct timespec ts = { (time_t)(until_ms / 1000), (long)(until_ms % 1000) * 1000000L };
	bool stop;

	pthread_mutex_lock(&pr->lock);
	while (!pr->stop && pthread_cond_timedwait(&pr->wake, &pr->lock, &ts) != ETIMEDOUT)
		;
	stop = pr->stop;
	pthread_mutex_unlock(&pr->lock);
	return !stop;
}

static bool stopping(struct clu_prober *pr)
{
	bool stop;

	pthread_mutex_lock(&pr->lock);
	stop = pr->stop;
	pthread_mutex_unlock(&pr->lock);
	return stop;
}

/* After a probe that began at `at`: what clu_prober_look() tells. */
static void note_look(struct probe *p, int was_up, bool ok, int64_t at)
{
	pthread_mutex_lock(&p->owner->lock);
	if (ok) {
		p->up_at = at;
		if (p->down_since && at - p->down_since > p->longest_ms)
			p->longest_ms = at - p->down_since;
		if (p->down_since)
			p->outage_ms += at - p->down_since;
		p->down_since = 0;
	} else if (was_up != 0) {
		p->down_since = at;     /* the instant journalled as probe-down */
		p->windows++;
	}
	p->acknowledged = p->stats.n_acknowledged;
	if (!p->looked) {
		p->looked = true;
		pthread_cond_broadcast(&p->owner->first_look);
	}
	pthread_mutex_unlock(&p->owner->lock);
}

void clu_prober_look(struct clu_prober *pr, size_t i, struct clu_probe_look *look)
{
	const struct probe *p = &pr->probes[i];
	int64_t now = clu_now_mono_ms();

	pthread_mutex_lock(&pr->lock);
	look->up_at = p->up_at;
	look->down = p->down_since != 0;
	look->longest_ms = p->longest_ms;
	if (p->down_since && now - p->down_since > look->longest_ms)
		look->longest_ms = now - p->down_since;
	look->outage_ms = p->outage_ms + (p->down_since ? now - p->down_since : 0);
	look->windows = p->windows;
	look->acknowledged = p->acknowledged;
	pthread_mutex_unlock(&pr->lock);
}

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	const struct clu_probe_spec *spec = p->target.spec;
	unsigned interval = spec->interval_ms ? spec->interval_ms : 50;
	unsigned timeout = spec->timeout_ms ? spec->timeout_ms : 1000;
	int64_t begin = clu_now_mono_ms(), next = begin;
	int up = -1;
	struct timespec cpu;

	if (p->netns_fd >= 0 && setns(p->netns_fd, CLONE_NEWNET) != 0) {
		char *why = clu__xasprintf("cannot enter the network namespace '%s': %s",
					   p->target.netns, strerror(errno));

		journal_event(p, begin, "probe-error", why);
		free(why);
		return NULL;
	}
	journal_event(p, begin, "probe-start", NULL);
	while (!stopping(p->owner)) {
		struct clu_err err = CLU_ERR_INIT;
		int64_t at = clu_now_mono_ms();
		char *id = NULL;
		int ok = clu_probe_once(&p->target, timeout, &id, &err) == 0;

		p->stats.probes++;
		p->stats.failures += !ok;
		/* Journal changes only: a service up from the start is no event. */
		if (ok != up && !(up == -1 && ok)) {
			journal_event(p, at, ok ? "probe-up" : "probe-down", ok ? NULL : err.msg);
			p->stats.windows += !ok;
		}
		note_look(p, up, ok, at);
		up = ok;
		if (id) {
			/* Journalled at once: a run killed now still tells which
			 * messages its users were promised (a SIGKILL loses only
			 * an id whose 250 came in the last instant). */
			journal_event(p, clu_now_mono_ms(), "probe-acknowledged", id);
			CLU_ALLOC_GROW(p->stats.acknowledged, p->stats.n_acknowledged + 1, p->ack_alloc);
			p->stats.acknowledged[p->stats.n_acknowledged++] = id;
		}
		next += interval;
		if (next < clu_now_mono_ms())
			next = clu_now_mono_ms();   /* a slow probe: no burst to catch up */
		if (!wait_until(p->owner, next))
			break;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	p->stats.cpu_ns = (int64_t)cpu.tv_sec * 1000000000 + cpu.tv_nsec;
	p->stats.wall_ms = clu_now_mono_ms() - begin;
	return NULL;
}

/*
 * Wait until every probe has probed once (or could have: its timeout and
 * interval passed), so that the run's first step knows whether its
 * service answered before it.
 */
static void first_looks(struct clu_prober *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		struct probe *p = &pr->probes[i];
		const struct clu_probe_spec *spec = p->target.spec;
		int64_t until = clu_now_mono_ms() + (spec->timeout_ms ? spec->timeout_ms : 1000) +
				(spec->interval_ms ? spec->interval_ms : 50);
		struct timespec ts = { (time_t)(until / 1000), (long)(until % 1000) * 1000000L };

		pthread_mutex_lock(&pr->lock);
		while (!p->looked && pthread_cond_timedwait(&pr->first_look, &pr->lock, &ts) !=
		       ETIMEDOUT)
			;
		pthread_mutex_unlock(&pr->lock);
	}
}

int clu_prober_start(struct clu_prober **out, const struct clu_probe_target *targets,
		     size_t n, struct clu_journal *journal, int64_t run_id, struct clu_err *err)
{
	struct clu_prober *pr = clu__xcalloc(1, sizeof(*pr));
	pthread_condattr_t attr;
	int ret = 0;

	pr->journal = journal;
	pr->run_id = run_id;
	pr->n = n;
	pr->probes = clu__xcalloc(n ? n : 1, sizeof(*pr->probes));
	pthread_mutex_init(&pr->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pr->wake, &attr);
	pthread_cond_init(&pr->first_look, &attr);
	pthread_condattr_destroy(&attr);

	for (size_t i = 0; i < n; i++) {
		struct probe *p = &pr->probes[i];

		p->owner = pr;
		p->target.spec = targets[i].spec;
		p->target.host = clu__xstrdup_or_null(targets[i].host);
		p->target.port = targets[i].port;
		p->target.netns = clu__xstrdup_or_null(targets[i].netns);
		p->stats.name = clu__xstrdup(targets[i].spec->name);
		p->netns_fd = -1;
		if (p->target.netns) {
			p->netns_fd = open(p->target.netns, O_RDONLY | O_CLOEXEC);
			if (p->netns_fd < 0) {
				ret = clu_err_set(err, CLU_E_IO, "probe '%s': cannot open the network "
						  "namespace '%s': %s", p->stats.name, p->target.netns,
						  strerror(errno));
				break;
			}
		}
	}
	for (size_t i = 0; !ret && i < n; i++) {
		struct probe *p = &pr->probes[i];
		int rc = pthread_create(&p->thread, NULL, probe_main, p);

		if (rc)
			ret = clu_err_set(err, CLU_E_IO, "probe '%s': cannot start a thread: %s",
					  p->stats.name, strerror(rc));
		p->started = !rc;
	}
	if (ret) {
		clu_prober_stop(pr, NULL, NULL);
		pr = NULL;
	} else {
		first_looks(pr);
	}
	*out = pr;
	return ret;
}

void clu_prober_stop(struct clu_prober *pr, struct clu_probe_stats **stats, size_t *n)
{
	if (stats)
		*stats = NULL;
	if (n)
		*n = 0;
	if (!pr)
		return;
	pthread_mutex_lock(&pr->lock);
	pr->stop = true;
	pthread_cond_broadcast(&pr->wake);
	pthread_mutex_unlock(&pr->lock);
	for (size_t i = 0; i < pr->n; i++) {
		struct probe *p = &pr->probes[i];

		if (!p->started)
			continue;
		pthread_join(p->thread, NULL);
		{
			char *detail = clu__xasprintf("probes=%u failures=%u windows=%u cpu_ms=%lld",
						      p->stats.probes, p->stats.failures,
						      p->stats.windows, (long long)(p->stats.cpu_ns / 1000000));

			journal_event(p, clu_now_mono_ms(), "probe-stop", detail);
			free(detail);
		}
	}
	if (stats) {
		*stats = clu__xcalloc(pr->n ? pr->n : 1, sizeof(**stats));
		for (size_t i = 0; i < pr->n; i++) {
			(*stats)[i] = pr->probes[i].stats;
			memset(&pr->probes[i].stats, 0, sizeof(pr->probes[i].stats));
		}
		*n = pr->n;
	}
	for (size_t i = 0; i < pr->n; i++) {
		struct probe *p = &pr->probes[i];

		if (p->netns_fd >= 0)
			close(p->netns_fd);
		free(p->target.host);
		free(p->target.netns);
	}
	/* Statistics not handed over (emptied above when they were) go here. */
	for (size_t i = 0; i < pr->n; i++) {
		struct clu_probe_stats *s = &pr->probes[i].stats;

		for (size_t k = 0; k < s->n_acknowledged; k++)
			free(s->acknowledged[k]);
		free(s->acknowledged);
		free(s->name);
	}
	pthread_cond_destroy(&pr->wake);
	pthread_cond_destroy(&pr->first_look);
	pthread_mutex_destroy(&pr->lock);
	free(pr->probes);
	free(pr);
}

void clu_probe_stats_free(struct clu_probe_stats *stats, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < stats[i].n_acknowledged; k++)
			free(stats[i].acknowledged[k]);
		free(stats[i].acknowledged);
		free(stats[i].name);
	}
	free(stats);
}
