/*
 * store_sql.c - the portable SQL subset: a lint that names the first
 * engine-specific construct in a statement, and the rewrite of portable
 * SQL into PostgreSQL's dialect (placeholders and column types), and the
 * names of the storage result codes that both engines log.
 *
 * Both walk the text with one small scanner that steps over string
 * literals ('...'), quoted identifiers ("..."), and comments, so nothing
 * inside them is ever flagged or rewritten. The rules themselves are in
 * docs/STORAGE.md; keep the two in step.
 */
#define _GNU_SOURCE
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- scanner */

/* Length of the literal, quoted identifier or comment starting at s, or 0
 * when s starts none of them. */
static size_t skip_opaque(const char *s)
{
	const char *p;
	if (s[0] == '\'' || s[0] == '"') {
		char q = s[0];
		for (p = s + 1; *p; p++) {
			if (*p == q) {
				if (p[1] == q) {
					p++;
					continue;
				}
				return (size_t)(p + 1 - s);
			}
		}
		return strlen(s);
	}
	if (s[0] == '-' && s[1] == '-')
		return strcspn(s, "\n");
	if (s[0] == '/' && s[1] == '*') {
		p = strstr(s + 2, "*/");
		return p ? (size_t)(p + 2 - s) : strlen(s);
	}
	return 0;
}

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of the identifier/keyword at s (0 when none). */
static size_t word_len(const char *s)
{
	size_t n = 0;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (word_char(s[n]))
		n++;
	return n;
}

static int word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* The next word after position p (skipping blanks and comments); sets
 * *n. Returns NULL when the next token is not a word. */
static const char *next_word(const char *p, size_t *n)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if ((p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*'))
			p += skip_opaque(p);
		else
			break;
	}
	*n = word_len(p);
	return *n ? p : NULL;
}

/* Next non-blank character after p. */
static char next_char(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return *p;
}

/* ------------------------------------------------------------------ lint */

/* Words that are SQLite- or PostgreSQL-only wherever they appear. */
static const struct {
	const char *word, *why;
} bad_words[] = {
    {"AUTOINCREMENT", "AUTOINCREMENT is SQLite-only; INTEGER PRIMARY "
		      "KEY alone gives an id"},
    {"PRAGMA", "PRAGMA is SQLite-only"},
    {"GLOB", "GLOB is SQLite-only; use LIKE"},
    {"REGEXP", "REGEXP is engine-specific"},
    {"ROWID", "rowid is SQLite-only; declare an INTEGER PRIMARY KEY"},
    {"STRICT", "STRICT tables are SQLite-only"},
    {"VACUUM", "VACUUM is engine-specific"},
    {"ATTACH", "ATTACH is SQLite-only"},
    {"ILIKE", "ILIKE is PostgreSQL-only; compare folded text"},
};

/* Column types outside INTEGER/TEXT/REAL/BLOB, flagged in DDL where they
 * follow a column name (so a column called "timestamp" is fine). */
static const struct {
	const char *word, *why;
} bad_types[] = {
    {"DATETIME", "use INTEGER (UTC seconds) or TEXT (RFC 3339) for times"},
    {"TIMESTAMP", "use INTEGER (UTC seconds) or TEXT (RFC 3339) for times"},
    {"DATE", "use TEXT 'YYYY-MM-DD' for dates"},
    {"BOOLEAN", "use INTEGER 0/1 for booleans"},
    {"BOOL", "use INTEGER 0/1 for booleans"},
    {"VARCHAR", "use TEXT (length checks belong in CHECK or the code)"},
    {"SERIAL", "use INTEGER PRIMARY KEY"},
    {"BIGSERIAL", "use INTEGER PRIMARY KEY"},
    {"BYTEA", "use BLOB"},
    {"JSONB", "use TEXT holding JSON"},
    {"JSON", "use TEXT holding JSON"},
    {"NUMERIC", "use INTEGER (e.g. cents) or REAL"},
    {"DOUBLE", "use REAL"},
    {"FLOAT", "use REAL"},
};

/* Keywords after which a word is not a column type / a call. */
static const char *const structural[] = {
    "TABLE",  "INTO",	    "REFERENCES", "EXISTS", "ON",      "UPDATE",
    "FROM",   "JOIN",	    "INDEX",	  "COLUMN", "ADD",     "KEY",
    "UNIQUE", "CHECK",	    "SELECT",	  "WHERE",  "AND",     "OR",
    "NOT",    "BY",	    "SET",	  "AS",	    "DEFAULT", "RENAME",
    "TO",     "CONSTRAINT", "IS",	  "WHEN",   "THEN",    "ELSE",
    "CASE",   "IN",	    NULL};

/* Keywords after which "word(" names a table, not a function call. */
static const char *const table_intro[] = {
    "TABLE",  "INTO", "REFERENCES", "EXISTS", "ON",
    "UPDATE", "FROM", "JOIN",	    "INDEX",  NULL};

static int names_table(const char *w, size_t n)
{
	for (size_t i = 0; table_intro[i]; i++)
		if (word_is(w, n, table_intro[i]))
			return 1;
	return 0;
}

static int is_structural(const char *w, size_t n)
{
	for (size_t i = 0; w && structural[i]; i++)
		if (word_is(w, n, structural[i]))
			return 1;
	return 0;
}

/* Functions whose name or meaning differs between the engines. */
static const char *const bad_funcs[] = {"datetime",
					"date",
					"time",
					"julianday",
					"strftime",
					"unixepoch",
					"ifnull",
					"iif",
					"group_concat",
					"string_agg",
					"instr",
					"printf",
					"format",
					"char",
					"hex",
					"randomblob",
					"random",
					"last_insert_rowid",
					"changes",
					"total_changes",
					"typeof",
					"likelihood",
					"likely",
					"unlikely",
					"zeroblob",
					"json",
					"json_extract",
					"json_object",
					"json_array",
					"json_group_array",
					"sqlite_version",
					"now",
					"total",
					NULL};

/* Checks sql against the portable subset; see store.h. */
/* Checks the word p[0..n) against the word rules; prev[0..prevn) is the
 * word before it (NULL when a symbol came between), ddl is 1 in CREATE and
 * ALTER statements. Returns 0, or -1 with the reason in msg. */
static int lint_word(const char *p, size_t n, const char *prev, size_t prevn,
		     int ddl, char *msg, size_t msglen)
{
	for (size_t i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
		if (word_is(p, n, bad_words[i].word)) {
			snprintf(msg, msglen, "%s", bad_words[i].why);
			return -1;
		}
	for (size_t i = 0; ddl && prev && !is_structural(prev, prevn) &&
			   i < sizeof(bad_types) / sizeof(bad_types[0]);
	     i++)
		if (word_is(p, n, bad_types[i].word)) {
			snprintf(msg, msglen, "%.*s: %s", (int)n, p,
				 bad_types[i].why);
			return -1;
		}
	if (next_char(p + n) == '(' && !(prev && names_table(prev, prevn)))
		for (size_t i = 0; bad_funcs[i]; i++)
			if (word_is(p, n, bad_funcs[i])) {
				snprintf(msg, msglen,
					 "function %.*s() is not portable",
					 (int)n, p);
				return -1;
			}
	return 0;
}

/* The rules about a word and the ones after or before it. As lint_word. */
static int lint_phrase(const char *p, size_t n, const char *prev, size_t prevn,
		       char *msg, size_t msglen)
{
	if (word_is(p, n, "BIGINT")) {
		size_t n2, n3;
		const char *w2 = next_word(p + n, &n2);
		const char *w3 = w2 ? next_word(w2 + n2, &n3) : NULL;
		if (w3 && word_is(w2, n2, "PRIMARY") &&
		    word_is(w3, n3, "KEY")) {
			snprintf(msg, msglen,
				 "an id column is INTEGER PRIMARY KEY (BIGINT "
				 "PRIMARY KEY gets no ids in SQLite)");
			return -1;
		}
	}
	if (prev && word_is(prev, prevn, "INSERT") && word_is(p, n, "OR")) {
		snprintf(msg, msglen,
			 "INSERT OR ... is SQLite-only; use ON CONFLICT");
		return -1;
	}
	if (word_is(p, n, "REPLACE") && next_char(p + n) != '(') {
		snprintf(msg, msglen,
			 "REPLACE INTO is SQLite-only; use ON CONFLICT ... DO "
			 "UPDATE");
		return -1;
	}
	return 0;
}

/* Checks the symbol at p (quoting, placeholders, casts). As lint_word. */
static int lint_symbol(const char *p, char *msg, size_t msglen)
{
	switch (*p) {
	case '`':
		snprintf(msg, msglen,
			 "backtick quoting is not portable; use \"name\"");
		return -1;
	case '[':
		snprintf(msg, msglen,
			 "[name] quoting and arrays are not portable");
		return -1;
	case '?':
		if (isdigit((unsigned char)p[1])) {
			snprintf(msg, msglen,
				 "numbered placeholders ?N are not portable; "
				 "use ?");
			return -1;
		}
		return 0;
	case ':':
		if (p[1] == ':') {
			snprintf(msg, msglen,
				 "x::type casts are PostgreSQL-only; use "
				 "CAST(x AS type)");
			return -1;
		}
		/* fall through */
	case '@':
	case '$':
		if (word_char(p[1])) {
			snprintf(msg, msglen,
				 "%c-placeholders are not portable; use ?", *p);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Walks sql token by token. Returns 0, or -1 with the reason in msg. */
static int lint_walk(const char *sql, char *msg, size_t msglen)
{
	const char *p = sql, *prev = NULL, *first;
	size_t prevn = 0, fn;
	int ddl;

	first = next_word(sql, &fn);
	ddl = first &&
	      (word_is(first, fn, "CREATE") || word_is(first, fn, "ALTER"));
	while (*p) {
		size_t n = skip_opaque(p);
		if (n) {
			p += n;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		n = word_len(p);
		if (n) {
			if (lint_word(p, n, prev, prevn, ddl, msg, msglen) ||
			    lint_phrase(p, n, prev, prevn, msg, msglen))
				return -1;
			prev = p;
			prevn = n;
			p += n;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			while (word_char(*p) || *p == '.')
				p++;
			continue;
		}
		if (lint_symbol(p, msg, msglen) != 0)
			return -1;
		prev = NULL;
		p++;
	}
	return 0;
}

int hub_store_sql_lint(const char *sql, char *why, size_t whylen)
{
	char msg[160] = "";
	int rc = -1;

	if (!sql)
		snprintf(msg, sizeof(msg), "no SQL");
	else
		rc = lint_walk(sql, msg, sizeof(msg));
	if (why && whylen)
		snprintf(why, whylen, "%s", rc == 0 ? "" : msg);
	return rc;
}

/* ------------------------------------------------------ PostgreSQL rewrite */

typedef struct buf {
	char *p;
	size_t len, cap;
	int oom;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_str(buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Rewrites portable SQL for PostgreSQL; see store.h. */
char *hub_store_sql_to_pg(const char *sql)
{
	return hub_store_sql_to_pg_n(sql, NULL);
}

/* See store.h. */
char *hub_store_sql_to_pg_n(const char *sql, int *nparams)
{
	buf b = {NULL, 0, 0, 0};
	const char *p = sql;
	int nparam = 0;

	buf_add(&b, "", 0);
	while (p && *p) {
		size_t n = skip_opaque(p), n2, n3;
		const char *w2, *w3;
		if (n) {
			buf_add(&b, p, n);
			p += n;
			continue;
		}
		n = word_len(p);
		if (n) {
			if (word_is(p, n, "INTEGER")) {
				w2 = next_word(p + n, &n2);
				w3 = w2 ? next_word(w2 + n2, &n3) : NULL;
				if (w2 && w3 && word_is(w2, n2, "PRIMARY") &&
				    word_is(w3, n3, "KEY")) {
					buf_str(&b, "BIGINT GENERATED BY "
						    "DEFAULT AS IDENTITY "
						    "PRIMARY KEY");
					p = w3 + n3;
					w2 = next_word(p, &n2);
					if (w2 &&
					    word_is(w2, n2, "AUTOINCREMENT"))
						p = w2 + n2;
					continue;
				}
				buf_str(&b, "BIGINT");
			} else if (word_is(p, n, "REAL")) {
				buf_str(&b, "DOUBLE PRECISION");
			} else if (word_is(p, n, "BLOB")) {
				buf_str(&b, "BYTEA");
			} else {
				buf_add(&b, p, n);
			}
			p += n;
			continue;
		}
		if (*p == '?') {
			char num[16];
			snprintf(num, sizeof(num), "$%d", ++nparam);
			buf_str(&b, num);
			p++;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			n = 0;
			while (word_char(p[n]) || p[n] == '.')
				n++;
			buf_add(&b, p, n);
			p += n;
			continue;
		}
		buf_add(&b, p, 1);
		p++;
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (nparams)
		*nparams = nparam;
	return b.p;
}

/* The name of a HUB_DB_* code, for log lines (static text). */
const char *hub_store_rc_name(int rc)
{
	switch (rc) {
	case HUB_DB_OK:
		return "ok";
	case HUB_DB_ROW:
		return "row";
	case HUB_DB_DONE:
		return "done";
	case HUB_DB_ECONSTRAINT:
		return "constraint";
	case HUB_DB_EBUSY:
		return "busy";
	case HUB_DB_EFULL:
		return "full";
	case HUB_DB_EIO:
		return "io";
	case HUB_DB_EMISUSE:
		return "misuse";
	case HUB_DB_ENOTFOUND:
		return "not found";
	default:
		return "error";
	}
}
