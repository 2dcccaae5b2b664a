/*
 * The mail store on the shared disk: the data a service pack may upgrade.
 *
 * A store is a directory with a FORMAT file naming its on-disk format:
 *
 *   format 1 (maild 1)     FORMAT "1", messages in mail/ID, a header of
 *                          "Maild-*: value" lines, a blank line, the message
 *   format 2 (maild 2, 3)  FORMAT "2", messages in mail2/BB/ID.msg (BB: a
 *                          hash bucket), a "MAILD2" line, "key value" lines
 *                          including the body's size, a blank line, the message
 *
 * Every message reaches the disk durably before store_deliver() returns:
 * written to tmp/, fsync'd, renamed into place (never over an existing
 * file), and the directory fsync'd. One process serves a store at a time
 * (an flock on STORE/LOCK), so a migration never races a daemon.
 *
 * Migration from format 1 to 2 is crash-safe: messages are copied into
 * mail2/ while FORMAT still says 1 (an old daemon can still open the store,
 * and ignores mail2/), FORMAT is then replaced atomically (the commit
 * point), and only then is mail/ removed. Re-running completes any step.
 */
#ifndef DEMO_STORE_H
#define DEMO_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define STORE_ID_SIZE 40         /* room for an id and its NUL */
#define STORE_MAX_MESSAGE (10u * 1024 * 1024)

enum {
	STORE_OK = 0,
	STORE_E_IO = -1,         /* the disk said no (errno in the message) */
	STORE_E_FORMAT = -2,     /* a format this program cannot open */
	STORE_E_BUSY = -3,       /* another process serves or migrates it */
	STORE_E_CORRUPT = -4,    /* a file that does not parse */
	STORE_E_NOT_FOUND = -5,  /* no such message */
};

enum store_mode {
	STORE_SERVE,             /* lock it; initialise it when empty */
	STORE_READ,              /* read-only, no lock: listing next to a daemon */
};

struct store {
	char *path;
	int format;              /* 1 or 2; 0 for an empty store opened to read */
	int dirfd;
	int tmpfd;               /* tmp/: files being written */
	int maildirfd;           /* mail/ (format 1) or mail2/ (format 2) */
	int lockfd;
	unsigned seq;            /* makes ids unique within one microsecond */
};

struct store_message {
	char id[STORE_ID_SIZE];
	char *from;              /* reverse path without <>; "" for the null sender */
	char **to;
	size_t n_to;
	char *received;          /* ISO time the message was accepted */
	const char *body;        /* points into raw */
	size_t body_len;
	char *raw;               /* the whole file */
};

/*
 * Read the format of the store at path into *format: 1, 2, or 0 when the
 * store is empty or does not exist yet. Takes no lock.
 */
int store_read_format(const char *path, int *format, char *err, size_t errsize);

/*
 * Open the store at path. STORE_SERVE creates the directory when missing,
 * takes the store's lock (STORE_E_BUSY when held), initialises an empty
 * store at `format`, and gives STORE_E_FORMAT when the store has another
 * format. STORE_READ opens any format in `readable` (a bit mask, 1 << N).
 * On error err says why, naming the store, and *store needs no closing.
 */
int store_open(struct store *store, const char *path, enum store_mode mode,
	       int format, unsigned readable, char *err, size_t errsize);
void store_close(struct store *store);

/*
 * Write one message durably and return its new id in id. The addresses are
 * already validated (no control characters). 0 or STORE_E_IO.
 */
int store_deliver(struct store *store, const char *from, char *const *to,
		  size_t n_to, const char *body, size_t body_len,
		  char id[STORE_ID_SIZE], char *err, size_t errsize);

/* The ids in the store, sorted (oldest first); the caller frees both. */
int store_list(struct store *store, char ***ids, size_t *n_ids,
	       char *err, size_t errsize);
void store_free_ids(char **ids, size_t n_ids);

/* Load and parse one message; store_message_release() frees it. */
int store_load(struct store *store, const char *id, struct store_message *msg,
	       char *err, size_t errsize);
void store_message_release(struct store_message *msg);

/*
 * Upgrade the store at path from format 1 to format 2, or finish an
 * interrupted upgrade; a no-op on a store already at 2 (or empty).
 * *migrated counts the messages copied by this call. Takes the lock.
 * The environment variable MAILD_TEST_CRASH (tests only) makes it _exit()
 * at a given point: "copy:N" after N copies, "commit" after the FORMAT
 * switch and before the cleanup.
 */
int store_migrate(const char *path, unsigned *migrated, char *err, size_t errsize);

/*
 * The reverse, for a rollback to maild 1: downgrade the store at path from
 * format 2 to format 1, or finish an interrupted downgrade; a no-op on a
 * store at 1 with nothing of format 2 left (or empty). *copied counts the
 * messages copied by this call. Takes the lock: the daemon must be
 * stopped. Crash-safe as store_migrate(): FORMAT switches to 1 only once
 * every message is in format 1, and the format-2 files go after that.
 */
int store_downgrade(const char *path, unsigned *copied, char *err, size_t errsize);

/* Whether text is a well-formed message id (guards paths built from it). */
bool store_id_valid(const char *text);

#endif
