/*
 * The mail store on the shared disk: formats 1 and 2, durable delivery,
 * listing, and the crash-safe migration from format 1 to 2. See store.h
 * for the layout and the guarantees.
 *
 * Everything works relative to directory descriptors opened once, so the
 * daemon may chdir("/") and a store path is never re-resolved midway.
 */
#include "store.h"
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FORMAT_FILE "FORMAT"
#define LOCK_FILE "LOCK"
#define TMP_DIR "tmp"
#define MAIL1_DIR "mail"
#define MAIL2_DIR "mail2"
#define MAIL2_MAGIC "MAILD2"

static int fail(char *err, size_t errsize, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errsize, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return code;
}

bool store_id_valid(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n >= STORE_ID_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((text[i] >= '0' && text[i] <= '9') ||
		      (text[i] >= 'A' && text[i] <= 'F')))
			return false;
	return true;
}

/* Format 2 spreads messages over 256 directories; FNV-1a of the id. */
static void bucket_of(const char *id, char bucket[3])
{
	uint32_t h = 2166136261u;

	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(bucket, 3, "%02x", (unsigned)(h & 0xff));
}

static int fsync_dir(int dirfd)
{
	/* Some file systems refuse fsync on directories; that is no error. */
	if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS)
		return -errno;
	return 0;
}

/* Open (creating it durably when asked) a subdirectory. */
static int open_subdir(int dirfd, const char *name, bool create)
{
	if (create) {
		if (mkdirat(dirfd, name, 0750) == 0) {
			int rc = fsync_dir(dirfd);
			if (rc < 0) {
				errno = -rc;
				return -1;
			}
		} else if (errno != EEXIST) {
			return -1;
		}
	}
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool subdir_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Write a file durably: into tmpfd/tmpname, fsync, rename to
 * destfd/destname, fsync the destination directory. With noreplace an
 * existing destination is left alone and -EEXIST returned: an id is never
 * reused and an acknowledged message never overwritten.
 */
static int install_file(int tmpfd, const char *tmpname, int destfd,
			const char *destname, const struct iovec *iov, int iovcnt,
			bool noreplace)
{
	int rc = 0;
	int fd = openat(tmpfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	for (int i = 0; i < iovcnt && rc == 0; i++)
		rc = write_full(fd, iov[i].iov_base, iov[i].iov_len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0) {
		if (noreplace) {
			if (renameat2(tmpfd, tmpname, destfd, destname, RENAME_NOREPLACE) < 0)
				rc = -errno;
		} else if (renameat(tmpfd, tmpname, destfd, destname) < 0) {
			rc = -errno;
		}
	}
	if (rc == 0)
		rc = fsync_dir(destfd);
	else
		unlinkat(tmpfd, tmpname, 0);
	return rc;
}

/* FORMAT lives in the store directory itself, written the same way. */
static int write_format(int dirfd, int format)
{
	char text[8];
	int len = snprintf(text, sizeof(text), "%d\n", format);
	struct iovec iov = { text, (size_t)len };

	return install_file(dirfd, FORMAT_FILE ".tmp", dirfd, FORMAT_FILE, &iov, 1, false);
}

static int read_format_at(int dirfd, const char *path, int *format,
			  char *err, size_t errsize)
{
	char text[16];
	int fd = openat(dirfd, FORMAT_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			return fail(err, errsize, STORE_E_IO, "cannot open '%s/%s': %s",
				    path, FORMAT_FILE, strerror(errno));
		/*
		 * Without FORMAT a store is new, unless it holds messages: then
		 * it was damaged, and guessing its format could destroy them.
		 */
		if (subdir_exists(dirfd, MAIL1_DIR) || subdir_exists(dirfd, MAIL2_DIR))
			return fail(err, errsize, STORE_E_CORRUPT,
				    "store '%s' holds messages but has no FORMAT file", path);
		*format = 0;
		return STORE_OK;
	}
	ssize_t n = read(fd, text, sizeof(text) - 1);
	int saved = errno;
	close(fd);
	if (n < 0)
		return fail(err, errsize, STORE_E_IO, "cannot read '%s/%s': %s",
			    path, FORMAT_FILE, strerror(saved));
	text[n] = '\0';
	if (strcmp(text, "1\n") == 0)
		*format = 1;
	else if (strcmp(text, "2\n") == 0)
		*format = 2;
	else
		return fail(err, errsize, STORE_E_FORMAT,
			    "store '%s' has an unknown format '%.*s' in %s", path,
			    (int)strcspn(text, "\n"), text, FORMAT_FILE);
	return STORE_OK;
}

int store_read_format(const char *path, int *format, char *err, size_t errsize)
{
	int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0) {
		if (errno == ENOENT) {
			*format = 0;
			return STORE_OK;
		}
		return fail(err, errsize, STORE_E_IO, "cannot open store '%s': %s",
			    path, strerror(errno));
	}
	int rc = read_format_at(dirfd, path, format, err, errsize);
	close(dirfd);
	return rc;
}

/* Leftovers of writes a crash interrupted: never acknowledged, so dropped. */
static void clean_tmp(int tmpfd)
{
	int fd = dup(tmpfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.')
			unlinkat(tmpfd, entry->d_name, 0);
	closedir(dir);
}

static int take_lock(int dirfd, const char *path, char *err, size_t errsize)
{
	int fd = openat(dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return fail(err, errsize, STORE_E_IO, "cannot open '%s/%s': %s",
			    path, LOCK_FILE, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;
		close(fd);
		if (saved == EWOULDBLOCK)
			return fail(err, errsize, STORE_E_BUSY,
				    "store '%s' is in use by another process", path);
		return fail(err, errsize, STORE_E_IO, "cannot lock '%s/%s': %s",
			    path, LOCK_FILE, strerror(saved));
	}
	return fd;
}

static void store_init_closed(struct store *store)
{
	memset(store, 0, sizeof(*store));
	store->dirfd = store->tmpfd = store->maildirfd = store->lockfd = -1;
}

void store_close(struct store *store)
{
	if (store->maildirfd >= 0)
		close(store->maildirfd);
	if (store->tmpfd >= 0)
		close(store->tmpfd);
	if (store->dirfd >= 0)
		close(store->dirfd);
	if (store->lockfd >= 0)
		close(store->lockfd);    /* releases the flock */
	free(store->path);
	store_init_closed(store);
}

int store_open(struct store *store, const char *path, enum store_mode mode,
	       int format, unsigned readable, char *err, size_t errsize)
{
	int rc;
	int found;

	store_init_closed(store);
	store->path = xstrdup(path);
	if (mode == STORE_SERVE && mkdir(path, 0750) < 0 && errno != EEXIST) {
		rc = fail(err, errsize, STORE_E_IO, "cannot create store '%s': %s",
			  path, strerror(errno));
		goto out;
	}
	store->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store->dirfd < 0) {
		rc = fail(err, errsize, STORE_E_IO, "cannot open store '%s': %s",
			  path, strerror(errno));
		goto out;
	}
	if (mode == STORE_SERVE) {
		rc = take_lock(store->dirfd, path, err, errsize);
		if (rc < 0)
			goto out;
		store->lockfd = rc;
	}
	rc = read_format_at(store->dirfd, path, &found, err, errsize);
	if (rc < 0)
		goto out;

	if (mode == STORE_READ) {
		if (found == 0)
			goto out;       /* empty: nothing to list */
		if (!(readable & (1u << found))) {
			rc = fail(err, errsize, STORE_E_FORMAT,
				  "store '%s' has format %d, which this maild cannot read",
				  path, found);
			goto out;
		}
		store->format = found;
		store->maildirfd = open_subdir(store->dirfd,
					       found == 1 ? MAIL1_DIR : MAIL2_DIR, false);
		if (store->maildirfd < 0)
			rc = fail(err, errsize, STORE_E_CORRUPT,
				  "store '%s' has no message directory: %s", path,
				  strerror(errno));
		goto out;
	}

	if (found != 0 && found != format) {
		rc = fail(err, errsize, STORE_E_FORMAT,
			  found > format
			  ? "store '%s' has format %d, but this maild reads only format %d:"
			    " it was upgraded by a newer maild; refusing to start"
			  : "store '%s' has format %d, but this maild reads only format %d:"
			    " run 'maild --migrate-store' first",
			  path, found, format);
		goto out;
	}
	store->format = format;
	store->tmpfd = open_subdir(store->dirfd, TMP_DIR, true);
	store->maildirfd = open_subdir(store->dirfd,
				       format == 1 ? MAIL1_DIR : MAIL2_DIR, true);
	if (store->tmpfd < 0 || store->maildirfd < 0) {
		rc = fail(err, errsize, STORE_E_IO, "cannot prepare store '%s': %s",
			  path, strerror(errno));
		goto out;
	}
	clean_tmp(store->tmpfd);
	/* FORMAT last: a store initialised halfway still counts as empty. */
	if (found == 0) {
		rc = write_format(store->dirfd, format);
		if (rc < 0) {
			rc = fail(err, errsize, STORE_E_IO,
				  "cannot write '%s/%s': %s", path, FORMAT_FILE,
				  strerror(-rc));
			goto out;
		}
	}
	rc = STORE_OK;
out:
	if (rc < 0)
		store_close(store);
	return rc;
}

/* The header of a message file; the body follows it unchanged. */
static void encode_header(struct buf *header, int format, const char *id,
			  const char *from, char *const *to, size_t n_to,
			  const char *received, size_t body_len)
{
	if (format == 1) {
		buf_appendf(header, "Maild-Id: %s\n", id);
		buf_appendf(header, "Maild-From: <%s>\n", from);
		for (size_t i = 0; i < n_to; i++)
			buf_appendf(header, "Maild-To: <%s>\n", to[i]);
		buf_appendf(header, "Maild-Received: %s\n\n", received);
		return;
	}
	buf_appendf(header, MAIL2_MAGIC "\nid %s\nfrom %s\n", id, from);
	for (size_t i = 0; i < n_to; i++)
		buf_appendf(header, "to %s\n", to[i]);
	buf_appendf(header, "received %s\nsize %zu\n\n", received, body_len);
}

/* Where a message of that id lives: a directory fd the caller closes. */
static int message_dir(struct store *store, int format, const char *id,
		       bool create, char *name, size_t namesize)
{
	if (format == 1) {
		snprintf(name, namesize, "%s", id);
		return dup(store->maildirfd);
	}
	char bucket[3];
	bucket_of(id, bucket);
	snprintf(name, namesize, "%s.msg", id);
	return open_subdir(store->maildirfd, bucket, create);
}

static int write_message(struct store *store, int format, const char *id,
			 const char *from, char *const *to, size_t n_to,
			 const char *received, const char *body, size_t body_len)
{
	struct buf header = { 0 };
	char name[STORE_ID_SIZE + 8];
	char tmpname[STORE_ID_SIZE + 8];
	int destfd = message_dir(store, format, id, true, name, sizeof(name));

	if (destfd < 0)
		return -errno;
	encode_header(&header, format, id, from, to, n_to, received, body_len);
	struct iovec iov[2] = {
		{ header.bytes, header.len },
		{ (void *)body, body_len },
	};
	snprintf(tmpname, sizeof(tmpname), "%s.tmp", id);
	int rc = install_file(store->tmpfd, tmpname, destfd, name, iov, 2, true);
	close(destfd);
	buf_release(&header);
	return rc;
}

int store_deliver(struct store *store, const char *from, char *const *to,
		  size_t n_to, const char *body, size_t body_len,
		  char id[STORE_ID_SIZE], char *err, size_t errsize)
{
	char received[40];
	int rc = -EEXIST;

	real_iso(received, sizeof(received));
	/* A clock stepped back can repeat an id: then take the next one. */
	for (int attempt = 0; attempt < 100 && rc == -EEXIST; attempt++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long us = (unsigned long long)ts.tv_sec * 1000000u +
					(unsigned long long)ts.tv_nsec / 1000u;
		snprintf(id, STORE_ID_SIZE, "%014llX%04X", us, store->seq++ & 0xffffu);
		rc = write_message(store, store->format, id, from, to, n_to,
				   received, body, body_len);
	}
	if (rc < 0)
		return fail(err, errsize, STORE_E_IO, "cannot write message to '%s': %s",
			    store->path, strerror(-rc));
	return STORE_OK;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the ids of the message files in dirfd (suffix stripped). */
static int collect_ids(int dirfd, const char *suffix, char ***ids, size_t *n,
		       size_t *alloc)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	size_t suffix_len = strlen(suffix);

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((entry = readdir(dir))) {
		size_t len = strlen(entry->d_name);
		if (entry->d_name[0] == '.' || len <= suffix_len ||
		    strcmp(entry->d_name + len - suffix_len, suffix) != 0)
			continue;
		char *id = xstrndup(entry->d_name, len - suffix_len);
		if (!store_id_valid(id)) {
			free(id);
			continue;
		}
		if (*n == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 64;
			*ids = xrealloc(*ids, *alloc * sizeof(**ids));
		}
		(*ids)[(*n)++] = id;
	}
	closedir(dir);
	return 0;
}

int store_list(struct store *store, char ***ids, size_t *n_ids,
	       char *err, size_t errsize)
{
	size_t alloc = 0;
	int rc = 0;

	*ids = NULL;
	*n_ids = 0;
	if (store->format == 0)
		return STORE_OK;
	if (store->format == 1) {
		rc = collect_ids(store->maildirfd, "", ids, n_ids, &alloc);
	} else {
		for (unsigned b = 0; b < 256 && rc == 0; b++) {
			char bucket[3];
			snprintf(bucket, sizeof(bucket), "%02x", b);
			int fd = open_subdir(store->maildirfd, bucket, false);
			if (fd < 0) {
				if (errno == ENOENT)
					continue;
				rc = -1;
				break;
			}
			rc = collect_ids(fd, ".msg", ids, n_ids, &alloc);
			close(fd);
		}
	}
	if (rc < 0) {
		int saved = errno;
		store_free_ids(*ids, *n_ids);
		*ids = NULL;
		*n_ids = 0;
		return fail(err, errsize, STORE_E_IO, "cannot list store '%s': %s",
			    store->path, strerror(saved));
	}
	if (*n_ids)
		qsort(*ids, *n_ids, sizeof(**ids), compare_ids);
	return STORE_OK;
}

void store_free_ids(char **ids, size_t n_ids)
{
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
}

void store_message_release(struct store_message *msg)
{
	for (size_t i = 0; i < msg->n_to; i++)
		free(msg->to[i]);
	free(msg->to);
	free(msg->from);
	free(msg->received);
	free(msg->raw);
	memset(msg, 0, sizeof(*msg));
}

static void add_recipient(struct store_message *msg, const char *addr, size_t len)
{
	msg->to = xrealloc(msg->to, (msg->n_to + 1) * sizeof(*msg->to));
	msg->to[msg->n_to++] = xstrndup(addr, len);
}

/* "<addr>" -> addr; anything else is not ours. */
static bool strip_brackets(const char *value, size_t len, const char **addr,
			   size_t *addr_len)
{
	if (len < 2 || value[0] != '<' || value[len - 1] != '>')
		return false;
	*addr = value + 1;
	*addr_len = len - 2;
	return true;
}

/* Parse msg->raw (raw_len bytes) of a file in the given format. */
static int parse_message(int format, size_t raw_len, struct store_message *msg)
{
	const char *p = msg->raw;
	const char *end = msg->raw + raw_len;
	bool have_size = false;
	unsigned long long size = 0;
	bool first = true;

	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -1;
		size_t len = (size_t)(nl - p);
		const char *line = p;
		p = nl + 1;
		if (len == 0)
			break;
		if (format == 2 && first) {
			if (len != strlen(MAIL2_MAGIC) || memcmp(line, MAIL2_MAGIC, len))
				return -1;
			first = false;
			continue;
		}
		first = false;
		const char *sep = memchr(line, format == 1 ? ':' : ' ', len);
		if (!sep)
			return -1;
		size_t key_len = (size_t)(sep - line);
		const char *value = sep + 1;
		if (format == 1 && value < nl && *value == ' ')
			value++;
		size_t value_len = (size_t)(nl - value);
		const char *addr;
		size_t addr_len;

#define KEY(k) (key_len == strlen(k) && memcmp(line, k, key_len) == 0)
		if (format == 1 ? KEY("Maild-Id") : KEY("id")) {
			if (value_len >= STORE_ID_SIZE)
				return -1;
			memcpy(msg->id, value, value_len);
			msg->id[value_len] = '\0';
		} else if (format == 1 && KEY("Maild-From")) {
			if (!strip_brackets(value, value_len, &addr, &addr_len))
				return -1;
			free(msg->from);
			msg->from = xstrndup(addr, addr_len);
		} else if (format == 2 && KEY("from")) {
			free(msg->from);
			msg->from = xstrndup(value, value_len);
		} else if (format == 1 && KEY("Maild-To")) {
			if (!strip_brackets(value, value_len, &addr, &addr_len))
				return -1;
			add_recipient(msg, addr, addr_len);
		} else if (format == 2 && KEY("to")) {
			add_recipient(msg, value, value_len);
		} else if (format == 1 ? KEY("Maild-Received") : KEY("received")) {
			free(msg->received);
			msg->received = xstrndup(value, value_len);
		} else if (format == 2 && KEY("size")) {
			char *num = xstrndup(value, value_len);
			char *stop;
			size = strtoull(num, &stop, 10);
			have_size = *num && !*stop;
			free(num);
			if (!have_size)
				return -1;
		} else {
			return -1;
		}
#undef KEY
	}
	if (!msg->id[0] || !msg->from || !msg->received || msg->n_to == 0)
		return -1;
	msg->body = p;
	msg->body_len = (size_t)(end - p);
	/* Format 2 records the size, so a truncated file is caught. */
	if (format == 2 && (!have_size || size != msg->body_len))
		return -1;
	return 0;
}

/* Read and parse the file name in dirfd, in the given format. */
static int load_file(int dirfd, const char *name, int format,
		     struct store_message *msg)
{
	struct buf raw = { 0 };
	char chunk[65536];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	if (fd < 0)
		return errno == ENOENT ? STORE_E_NOT_FOUND : STORE_E_IO;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			buf_release(&raw);
			return STORE_E_IO;
		}
		if (raw.len + (size_t)n > STORE_MAX_MESSAGE + 65536) {
			close(fd);
			buf_release(&raw);
			return STORE_E_CORRUPT;
		}
		buf_append(&raw, chunk, (size_t)n);
	}
	close(fd);
	if (!raw.bytes)
		buf_append(&raw, "", 0);
	msg->raw = raw.bytes;
	if (parse_message(format, raw.len, msg) < 0) {
		store_message_release(msg);
		return STORE_E_CORRUPT;
	}
	return STORE_OK;
}

int store_load(struct store *store, const char *id, struct store_message *msg,
	       char *err, size_t errsize)
{
	char name[STORE_ID_SIZE + 8];

	memset(msg, 0, sizeof(*msg));
	if (!store_id_valid(id))
		return fail(err, errsize, STORE_E_NOT_FOUND, "'%s' is not a message id", id);
	if (store->format == 0)
		return fail(err, errsize, STORE_E_NOT_FOUND,
			    "no message '%s' in empty store '%s'", id, store->path);
	int dirfd = message_dir(store, store->format, id, false, name, sizeof(name));
	if (dirfd < 0)
		return fail(err, errsize, STORE_E_NOT_FOUND, "no message '%s' in store '%s'",
			    id, store->path);
	int rc = load_file(dirfd, name, store->format, msg);
	close(dirfd);
	if (rc == STORE_E_NOT_FOUND)
		return fail(err, errsize, rc, "no message '%s' in store '%s'", id, store->path);
	if (rc == STORE_E_CORRUPT)
		return fail(err, errsize, rc, "message '%s' in store '%s' is damaged",
			    id, store->path);
	if (rc < 0)
		return fail(err, errsize, rc, "cannot read message '%s' in store '%s': %s",
			    id, store->path, strerror(errno));
	if (strcmp(msg->id, id) != 0) {
		store_message_release(msg);
		return fail(err, errsize, STORE_E_CORRUPT,
			    "message file '%s' in store '%s' names another id", id,
			    store->path);
	}
	return STORE_OK;
}

/* The test hook that simulates a crash at a chosen point of a migration. */
static void maybe_crash(const char *point, unsigned copies)
{
	const char *want = getenv("MAILD_TEST_CRASH");
	char text[32];

	if (!want)
		return;
	if (strcmp(point, "copy") == 0)
		snprintf(text, sizeof(text), "copy:%u", copies);
	else
		snprintf(text, sizeof(text), "%s", point);
	if (strcmp(want, text) == 0) {
		fprintf(stderr, "maild: MAILD_TEST_CRASH=%s: simulated crash\n", want);
		_exit(9);
	}
}

/* Remove what is left of format 1 once FORMAT says 2. */
static int remove_format1(struct store *store, char *err, size_t errsize)
{
	int fd = open_subdir(store->dirfd, MAIL1_DIR, false);

	if (fd < 0)
		return errno == ENOENT ? STORE_OK
			: fail(err, errsize, STORE_E_IO, "cannot open '%s/%s': %s",
			       store->path, MAIL1_DIR, strerror(errno));
	char **ids = NULL;
	size_t n = 0, alloc = 0;
	int rc = collect_ids(fd, "", &ids, &n, &alloc);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (unlinkat(fd, ids[i], 0) < 0 && errno != ENOENT)
			rc = -1;
	int saved = errno;
	store_free_ids(ids, n);
	close(fd);
	if (rc == 0 && unlinkat(store->dirfd, MAIL1_DIR, AT_REMOVEDIR) < 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0)
		return fail(err, errsize, STORE_E_IO,
			    "cannot remove format-1 files from '%s': %s",
			    store->path, strerror(saved));
	return fsync_dir(store->dirfd) < 0
		? fail(err, errsize, STORE_E_IO, "cannot sync '%s'", store->path)
		: STORE_OK;
}

/*
 * For a conversion of the store (open in store->dirfd) from format `from`:
 * take the lock, read the format into *format, and when it is `from`, open
 * the temporary directory, the destination (store->maildirfd: to_dir) and
 * the source (*from_fd: from_dir), the leftovers of a crashed write dropped.
 */
static int begin_conversion(struct store *store, int from, const char *from_dir,
			    const char *to_dir, int *from_fd, int *format, char *err,
			    size_t errsize)
{
	int rc = take_lock(store->dirfd, store->path, err, errsize);

	if (rc < 0)
		return rc;
	store->lockfd = rc;
	rc = read_format_at(store->dirfd, store->path, format, err, errsize);
	if (rc < 0 || *format != from)
		return rc;
	store->tmpfd = open_subdir(store->dirfd, TMP_DIR, true);
	store->maildirfd = open_subdir(store->dirfd, to_dir, true);
	*from_fd = open_subdir(store->dirfd, from_dir, true);
	if (store->tmpfd < 0 || store->maildirfd < 0 || *from_fd < 0)
		return fail(err, errsize, STORE_E_IO, "cannot prepare store '%s': %s",
			    store->path, strerror(errno));
	clean_tmp(store->tmpfd);
	return STORE_OK;
}

int store_migrate(const char *path, unsigned *migrated, char *err, size_t errsize)
{
	struct store store;
	int format;
	int old_fd = -1;
	char **ids = NULL;
	size_t n_ids = 0, alloc = 0;
	int rc;

	*migrated = 0;
	store_init_closed(&store);
	store.path = xstrdup(path);
	store.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store.dirfd < 0) {
		rc = fail(err, errsize, STORE_E_IO, "cannot open store '%s': %s",
			  path, strerror(errno));
		goto out;
	}
	/*
	 * A store already migrated needs no lock: the installer of a later
	 * node may find the daemon serving it, and that is fine.
	 */
	rc = read_format_at(store.dirfd, path, &format, err, errsize);
	if (rc < 0 || format == 0 ||
	    (format == 2 && !subdir_exists(store.dirfd, MAIL1_DIR)))
		goto out;
	rc = begin_conversion(&store, 1, MAIL1_DIR, MAIL2_DIR, &old_fd, &format, err, errsize);
	if (rc < 0 || format == 0)
		goto out;
	if (format == 1) {
		if (collect_ids(old_fd, "", &ids, &n_ids, &alloc) < 0) {
			rc = fail(err, errsize, STORE_E_IO, "cannot list '%s/%s': %s",
				  path, MAIL1_DIR, strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < n_ids; i++) {
			struct store_message msg;
			rc = load_file(old_fd, ids[i], 1, &msg);
			if (rc < 0) {
				rc = fail(err, errsize, rc,
					  "cannot migrate message '%s' of store '%s': %s",
					  ids[i], path, rc == STORE_E_CORRUPT ? "damaged file"
					  : strerror(errno));
				goto out;
			}
			/* The copy of an earlier, interrupted run is complete: keep it. */
			rc = write_message(&store, 2, msg.id, msg.from, msg.to, msg.n_to,
					   msg.received, msg.body, msg.body_len);
			store_message_release(&msg);
			if (rc < 0 && rc != -EEXIST) {
				rc = fail(err, errsize, STORE_E_IO,
					  "cannot write message '%s' to '%s': %s",
					  ids[i], path, strerror(-rc));
				goto out;
			}
			if (rc == 0)
				(*migrated)++;
			maybe_crash("copy", (unsigned)(i + 1));
		}
		/* The commit point: from here on only format 2 opens the store. */
		rc = write_format(store.dirfd, 2);
		if (rc < 0) {
			rc = fail(err, errsize, STORE_E_IO, "cannot write '%s/%s': %s",
				  path, FORMAT_FILE, strerror(-rc));
			goto out;
		}
		maybe_crash("commit", 0);
	}
	rc = remove_format1(&store, err, errsize);
out:
	if (old_fd >= 0)
		close(old_fd);
	store_free_ids(ids, n_ids);
	store_close(&store);
	return rc;
}

/* ---- downgrade (format 2 -> 1), for a rollback ---------------------------- */

/* Each id of format-2 bucket `bucket` (under mail2fd) into ids. */
static int collect_bucket(int mail2fd, unsigned bucket, char ***ids, size_t *n, size_t *alloc)
{
	char name[3];
	int fd, rc;

	snprintf(name, sizeof(name), "%02x", bucket);
	fd = open_subdir(mail2fd, name, false);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = collect_ids(fd, ".msg", ids, n, alloc);
	close(fd);
	return rc;
}

/* Copy every format-2 message into format 1 (a copy already made is kept). */
static int copy_down(struct store *store, int mail2fd, unsigned *copied, char *err,
		     size_t errsize)
{
	char **ids = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;

	for (unsigned b = 0; b < 256 && rc == 0; b++)
		rc = collect_bucket(mail2fd, b, &ids, &n, &alloc);
	if (rc < 0)
		rc = fail(err, errsize, STORE_E_IO, "cannot list '%s/%s': %s", store->path,
			  MAIL2_DIR, strerror(errno));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_message msg;
		char bucket[3], name[STORE_ID_SIZE + 8];
		int fd;

		bucket_of(ids[i], bucket);
		snprintf(name, sizeof(name), "%s.msg", ids[i]);
		fd = open_subdir(mail2fd, bucket, false);
		rc = fd < 0 ? STORE_E_IO : load_file(fd, name, 2, &msg);
		if (fd >= 0)
			close(fd);
		if (rc < 0) {
			rc = fail(err, errsize, rc, "cannot downgrade message '%s' of store '%s': %s",
				  ids[i], store->path, rc == STORE_E_CORRUPT ? "damaged file"
				  : strerror(errno));
			break;
		}
		rc = write_message(store, 1, msg.id, msg.from, msg.to, msg.n_to, msg.received,
				   msg.body, msg.body_len);
		store_message_release(&msg);
		if (rc < 0 && rc != -EEXIST) {
			rc = fail(err, errsize, STORE_E_IO, "cannot write message '%s' to '%s': %s",
				  ids[i], store->path, strerror(-rc));
			break;
		}
		*copied += rc == 0;
		rc = 0;
	}
	store_free_ids(ids, n);
	return rc;
}

/* Remove what is left of format 2 once FORMAT says 1. */
static int remove_format2(struct store *store, char *err, size_t errsize)
{
	int mail2fd = open_subdir(store->dirfd, MAIL2_DIR, false);
	int rc = 0;

	if (mail2fd < 0)
		return errno == ENOENT ? STORE_OK
			: fail(err, errsize, STORE_E_IO, "cannot open '%s/%s': %s",
			       store->path, MAIL2_DIR, strerror(errno));
	for (unsigned b = 0; b < 256 && rc == 0; b++) {
		char **ids = NULL, name[3], file[STORE_ID_SIZE + 8];
		size_t n = 0, alloc = 0;
		int fd;

		snprintf(name, sizeof(name), "%02x", b);
		if ((fd = open_subdir(mail2fd, name, false)) < 0) {
			rc = errno == ENOENT ? 0 : -1;
			continue;
		}
		rc = collect_ids(fd, ".msg", &ids, &n, &alloc);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			snprintf(file, sizeof(file), "%s.msg", ids[i]);
			if (unlinkat(fd, file, 0) < 0 && errno != ENOENT)
				rc = -1;
		}
		store_free_ids(ids, n);
		close(fd);
		if (rc == 0 && unlinkat(mail2fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			rc = -1;
	}
	int saved = errno;
	close(mail2fd);
	if (rc == 0 && unlinkat(store->dirfd, MAIL2_DIR, AT_REMOVEDIR) < 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0)
		return fail(err, errsize, STORE_E_IO, "cannot remove format-2 files from '%s': %s",
			    store->path, strerror(saved));
	return fsync_dir(store->dirfd) < 0
		? fail(err, errsize, STORE_E_IO, "cannot sync '%s'", store->path)
		: STORE_OK;
}

int store_downgrade(const char *path, unsigned *copied, char *err, size_t errsize)
{
	struct store store;
	int format, mail2fd = -1;
	int rc;

	*copied = 0;
	store_init_closed(&store);
	store.path = xstrdup(path);
	store.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store.dirfd < 0) {
		rc = fail(err, errsize, STORE_E_IO, "cannot open store '%s': %s", path,
			  strerror(errno));
		goto out;
	}
	rc = begin_conversion(&store, 2, MAIL2_DIR, MAIL1_DIR, &mail2fd, &format, err, errsize);
	if (rc < 0 || format == 0)
		goto out;
	if (format == 2) {
		if ((rc = copy_down(&store, mail2fd, copied, err, errsize)) < 0)
			goto out;
		/* The commit point: from here on only format 1 opens the store. */
		rc = write_format(store.dirfd, 1);
		if (rc < 0) {
			rc = fail(err, errsize, STORE_E_IO, "cannot write '%s/%s': %s", path,
				  FORMAT_FILE, strerror(-rc));
			goto out;
		}
		maybe_crash("commit", 0);
	}
	rc = remove_format2(&store, err, errsize);
out:
	if (mail2fd >= 0)
		close(mail2fd);
	store_close(&store);
	return rc;
}
