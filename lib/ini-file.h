/*
 * The INI reader behind the update manifest (manifest.c) and the static
 * cluster description (static.c): one syntax, one set of value kinds and
 * one error format for both. A format describes its sections and keys in
 * tables; clu__ini_parse() reads a file against them, stores each value in
 * the format's structs, and records the sections it met, so that the
 * format can then check what spans keys and sections (a key required only
 * with another, an owner that must be a node of the file).
 *
 * The syntax, documented for users in doc/manifest.md and
 * doc/static-cluster.md: `[WORD]` or `[WORD "NAME"]` headers with nothing
 * after the `]`, `KEY = VALUE` lines, whole-line comments starting with
 * `#` or `;`, no inline comments (`#` and `;` in a value are part of it:
 * `command = stop ; install` keeps both), no continuation lines, lines of
 * any length ending in LF, CRLF or a lone CR, a UTF-8 BOM accepted, a NUL
 * byte refused, files of at most CLU__READ_MAX bytes (16 MiB). Every error
 * is one line, the first one met:
 *
 *   PATH:LINE: [SECTION] KEY: what is wrong (expected WHAT)
 */
#ifndef CLU_INI_FILE_H
#define CLU_INI_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "clupdate/err.h"

/* How a key's value is read and checked, and the type of its field. */
enum clu__ini_kind {
	CLU__INI_NAME,      /* char *: ASCII letters, digits, '.', '_', '-' */
	CLU__INI_NAMES,     /* char ** (NULL-terminated) and size_t at count_offset:
			       names separated by commas or blanks, each once */
	CLU__INI_VERSION,   /* char *: a name's characters and '+', '~', ':' */
	CLU__INI_COMMAND,   /* char *: shell text, kept as written */
	CLU__INI_BOOL,      /* bool: yes/no, true/false, on/off, 1/0, any case */
	CLU__INI_UINT,      /* unsigned: decimal digits, in [min, max] */
	CLU__INI_DURATION,  /* unsigned, in milliseconds: 500ms, 3s, 2m, 1h or
			       seconds, from 1 ms to 24 h */
	CLU__INI_CHOICE,    /* an enum (int-sized): one of choices' words */
	CLU__INI_CHECKED,   /* char *: accepted by check */
};

/* A word a CLU__INI_CHOICE key accepts, and the value it stands for. */
struct clu__ini_choice {
	const char *word;
	int value;
};

/* A key of a section. Tables of keys end with a key whose name is NULL. */
struct clu__ini_key {
	const char *name;
	enum clu__ini_kind kind;
	size_t offset;        /* of its field, in the struct its section fills */
	bool required;        /* see clu__ini_check_required() */
	unsigned min, max;    /* UINT: the range */
	size_t count_offset;  /* NAMES: of the size_t that counts the names */
	/*
	 * NAMES: what one name is, "group" in "'x' is not a valid group name"
	 * and "expected each group once" (NULL: a plain name).
	 * CHOICE: what the value is, "strategy" in "'x' is not a strategy".
	 */
	const char *noun;
	const struct clu__ini_choice *choices;  /* CHOICE: ends with a NULL word */
	/* CHECKED: NULL when text is good, else what is wrong ("is not an address"). */
	const char *(*check)(const char *text);
	/* The "(expected ...)" text, instead of the kind's; CHECKED needs one. */
	const char *expected;
};

/* At most this many keys per section. */
#define CLU__INI_MAX_KEYS 16

/* A kind of section: [word] once per file, or [word "NAME"] once per NAME. */
struct clu__ini_section_spec {
	const char *word;
	bool named;
	const struct clu__ini_key *keys;
};

/* A section header met in the file. */
struct clu__ini_section {
	unsigned kind;              /* index into the format's sections */
	char *name;                 /* named sections: NAME (owned by the reader) */
	int line;                   /* of the header */
	size_t index;               /* the format's own: set by its open() */
	int key_lines[CLU__INI_MAX_KEYS];  /* line of each key (by its index in
					      the spec's keys), 0 when absent */
};

struct clu__ini;

/* What one file format is; a static const table in its .c file. */
struct clu__ini_format {
	int code;      /* CLU_E_* of every error in the file's content */
	const struct clu__ini_section_spec *sections;
	size_t n_sections;

	/*
	 * A header [word] or [word "NAME"] was read and checked: make room
	 * for what it describes (append a node named sec->name, with its
	 * defaults) and set sec->index. NULL: nothing to do.
	 */
	void (*open)(struct clu__ini *ini, struct clu__ini_section *sec);
	/* The struct that sec's keys are stored in, at their offsets. */
	void *(*fields)(struct clu__ini *ini, const struct clu__ini_section *sec);

	/*
	 * Wording that differs between formats; the checks are the same.
	 * what: the file, as in "cannot read manifest 'PATH'" (NULL: "cannot
	 * read 'PATH'"). sections_expected: after an unknown section.
	 * header_expected: after a header without ']'. header_tail_raw: quote
	 * what follows a header's ']' from right after it, blanks included,
	 * rather than from its first non-blank.
	 */
	const char *what;
	const char *sections_expected;
	const char *header_expected;
	bool header_tail_raw;
	/*
	 * Report (with clu__ini_fail()) KEY = VALUE before any header: key is
	 * the key, line the line without its surrounding blanks. Returns false.
	 */
	bool (*key_before_sections)(struct clu__ini *ini, const char *key,
				    const char *line, size_t len);
	/*
	 * Report a named header, header_len bytes of text between its brackets,
	 * whose NAME an earlier one (first) already had. Returns false.
	 */
	bool (*duplicate_name)(struct clu__ini *ini, const struct clu__ini_section *first,
			       const char *header, size_t header_len);
};

/*
 * A file being read or read. Formats read format, user, lineno, sections
 * and failed; the rest is the reader's.
 */
struct clu__ini {
	const struct clu__ini_format *format;
	void *user;                 /* the format's, e.g. the manifest being filled */
	const char *path;
	struct clu_err *err;
	int lineno;                 /* of the line being read */
	struct clu__ini_section *sections;  /* in file order */
	size_t n_sections;
	bool failed;                /* an error is in err; later ones are dropped */

	size_t sections_alloc;
	char *text;                 /* the whole file */
	size_t len, pos;
	const char *line;           /* the current line, raw, without its line end */
	size_t line_len;
	const char *prev_key;       /* last key of the current section */
	GHashTable *seen;           /* "KIND\tNAME" of each section -> its index + 1 */
};

/*
 * Read the file at path (which must outlive ini) as format, into user's
 * structs: each value is checked by its key's kind and stored at the key's
 * offset in format->fields(); format->open() is called on each header.
 * Fills *ini, which the caller then releases with clu__ini_release(),
 * whatever the result; until then, ini->sections lists the sections read.
 *
 * Returns 0, CLU_E_IO ("cannot read manifest 'sp2.conf': No such file or
 * directory", "cannot read manifest '/dev/zero': File too large (expected
 * at most 16 MiB)") or format->code ("sp2.conf:7: [update] unknown key
 * 'stratgy', did you mean 'strategy'? (expected one of: ...)"), with the
 * message in *err (which may be NULL). After an error, user's structs hold
 * what was stored so far, for the caller to free.
 */
int clu__ini_parse(struct clu__ini *ini, const struct clu__ini_format *format,
		   void *user, const char *path, struct clu_err *err);

/* Free what *ini holds (its sections, the file's text). */
void clu__ini_release(struct clu__ini *ini);

/*
 * Record an error in the file, unless one is recorded already (the first
 * one wins): "PATH:LINE: [SECTION] KEY: message", where line 0 (nowhere
 * in particular) leaves out ":LINE", sec NULL the section and key NULL the
 * key. Returns false, so that checks can `return clu__ini_fail(...)`.
 */
bool clu__ini_fail(struct clu__ini *ini, int line, const struct clu__ini_section *sec,
		   const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Check that sec has every key its spec marks required; reports the first
 * one missing (at the header's line) and returns false.
 */
bool clu__ini_check_required(struct clu__ini *ini, const struct clu__ini_section *sec);

enum clu__ini_number {
	CLU__INI_NUMBER_OK,
	CLU__INI_NUMBER_INVALID,    /* not decimal digits alone */
	CLU__INI_NUMBER_RANGE,      /* digits, outside [min, max] */
};

/* A CLU__INI_UINT value: s in *out when it is a whole number in [min, max]. */
enum clu__ini_number clu__ini_parse_uint(const char *s, unsigned min, unsigned max,
					 unsigned *out);

/* A CLU__INI_DURATION value: "500ms", "3s", "2m", "1h" or seconds; 1 ms to 24 h. */
enum clu__ini_number clu__ini_parse_duration(const char *s, unsigned *ms);

/*
 * What key's value should be, for "(expected ...)": key->expected or its
 * kind's text ("yes or no", "a whole number from 1 to 1000"), written in
 * buf when it must be composed.
 */
const char *clu__ini_expected(const struct clu__ini_key *key, char *buf, size_t size);

/*
 * For a word that is none of names (n of them), a format's own list (the
 * updated groups, say): ", did you mean 'NAME'?" when one is close enough
 * to be a misspelling, else "", written in buf.
 */
const char *clu__ini_suggest(const char *word, char *const *names, size_t n, char *buf,
			     size_t size);

/* "a, b, c": names (n of them) for "(expected one of: ...)", cut with "..." to fit buf. */
const char *clu__ini_list(char *const *names, size_t n, char *buf, size_t size);

#endif
