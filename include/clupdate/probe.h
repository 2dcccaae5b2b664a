/*
 * Probes: the interruption users see, measured as they see it.
 *
 * Each probe of the manifest runs in a thread of its own for the whole
 * run, every interval (default 50 ms), against the group's service
 * address, from where clients stand (in a lab: the client namespace; a
 * thread enters a network namespace on its own, with setns()):
 *
 *   tcp      a connection is accepted
 *   smtp     a whole transaction: 220, EHLO, MAIL, RCPT, DATA, 250 with a
 *            queue id, QUIT; each acknowledged id is kept, to be checked
 *            in the store after the run (none may be missing), and
 *            journalled at once (event "probe-acknowledged", the id as its
 *            detail), so that a run killed with SIGKILL still tells which
 *            messages were promised before it died
 *   command  a command exits 0
 *
 * Every up/down transition is journalled at once as an event
 * ("probe-down"/"probe-up") with the monotonic instant at which the probe
 * that saw it began; so is the probe's start and stop. Times are
 * CLOCK_MONOTONIC, shared by every namespace of the machine and by the
 * executor's step records, so both merge into one timeline.
 */
#ifndef CLUPDATE_PROBE_H
#define CLUPDATE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/manifest.h"

/* What one probe thread needs: the spec and the resolved address. */
struct clu_probe_target {
	const struct clu_probe_spec *spec;   /* borrowed from the manifest */
	char *host;          /* IPv4 or IPv6 literal (tcp, smtp) */
	unsigned port;
	char *netns;         /* a network namespace file to probe from, or NULL */
};

struct clu_probe_stats {
	char *name;
	unsigned probes;     /* attempts made */
	unsigned failures;   /* attempts that saw the service down */
	unsigned windows;    /* down windows seen */
	char **acknowledged; /* smtp: queue ids acknowledged with 250 */
	size_t n_acknowledged;
	int64_t cpu_ns;      /* the thread's own CPU time */
	int64_t wall_ms;     /* how long it ran */
};

struct clu_prober;

/*
 * Start one thread per target, journalling into run_id. The targets are
 * copied. It returns once each probe has probed once (or its timeout and
 * interval have passed), so that what it looks at is known from the
 * start (clu_prober_look). Returns 0, or CLU_E_IO when a namespace cannot be opened or a
 * thread cannot start (then nothing runs).
 */
int clu_prober_start(struct clu_prober **prober, const struct clu_probe_target *targets,
		     size_t n, struct clu_journal *journal, int64_t run_id, struct clu_err *err);

/*
 * Stop every probe, wait for the threads, journal their stop, and hand back their
 * statistics (*stats: n entries, freed with clu_probe_stats_free). NULL is
 * fine.
 */
void clu_prober_stop(struct clu_prober *prober, struct clu_probe_stats **stats, size_t *n);
void clu_probe_stats_free(struct clu_probe_stats *stats, size_t n);

/* What a probe has seen so far, while it runs (see clu_prober_look). */
struct clu_probe_look {
	int64_t up_at;       /* monotonic start of the last probe that saw the service
				up; 0: none yet */
	bool down;           /* the last probe saw it down */
	int64_t longest_ms;  /* the longest outage so far, the one still going on
				counted up to now; measured as the report measures it
				(from the first probe that failed to the first that
				answered again) */
	int64_t outage_ms;   /* every outage so far added up, the one going on to now */
	unsigned windows;    /* outages so far (the one going on included) */
	size_t acknowledged; /* smtp: messages acknowledged with 250 so far */
};

/* What probe i (in the order of the targets given to start) has seen. */
void clu_prober_look(struct clu_prober *prober, size_t i, struct clu_probe_look *look);

/*
 * One probe, once, from the calling thread: 0 when the service answered
 * as it should, else CLU_E_SPAWN with why in err. For smtp, *queue_id
 * (may be NULL) receives the acknowledged id (caller frees).
 */
int clu_probe_once(const struct clu_probe_target *target, unsigned timeout_ms,
		   char **queue_id, struct clu_err *err);

/*
 * The SMTP probe's reply reader, on its own so that it can be tested and
 * fuzzed without a server (tests/fuzz/fuzz-smtp.c): what has been received
 * from the server and not yet consumed, as a probe's conversation keeps it.
 */
struct clu_smtp_reply {
	char buf[2048];      /* a reply line longer than this is refused */
	size_t len;
};

/*
 * Consume the whole lines at the start of r->buf, up to the last line of
 * a reply (a line whose fourth character is not '-': "250-SIZE" continues,
 * "250 ok" ends). Returns true when that last line was consumed, with its
 * code in *code (its first three characters, when they are digits; else
 * 0: a blank or garbled line is never a success). Returns
 * false when r->buf holds no last line yet: the continuation lines read so
 * far are consumed all the same, and the caller appends what it receives
 * next to r->buf (refusing the reply when r->len reaches sizeof(r->buf))
 * and calls again. last (NULL: not kept) receives the last line consumed,
 * line end included, cut to last_size - 1 bytes and NUL-terminated.
 */
bool clu_smtp_reply_parse(struct clu_smtp_reply *r, int *code, char *last, size_t last_size);

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (host NULL: the group's address). */
int clu_probe_parse_address(const char *address, char **host, unsigned *port,
			    struct clu_err *err);

#endif
