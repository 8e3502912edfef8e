/*
 * hub_sql.h - prepare-and-bind in one call (kit), for the core's identity
 * service and for modules alike. Every parameter is bound, never formatted
 * into the SQL text.
 *
 * The kit links against no storage code: the caller hands over the few
 * storage functions it needs as a hubkit_sql_ops table (a module fills one
 * from its hub_api with hubkit_sql_ops_of; the core fills one from
 * store/store.h).
 */
#ifndef HUB_SQL_H
#define HUB_SQL_H

#include "hub/module.h"

#include <stddef.h>
#include <stdint.h>

/* The storage calls that prepare-and-bind uses. */
typedef struct hubkit_sql_ops {
	int (*prepare)(hub_db *db, const char *sql, hub_stmt **out);
	int (*bind_text)(hub_stmt *st, int idx, const char *s);
	int (*bind_int)(hub_stmt *st, int idx, int64_t v);
	int (*bind_null)(hub_stmt *st, int idx);
	int (*bind_blob)(hub_stmt *st, int idx, const void *p, size_t n);
	void (*finalize)(hub_stmt *st);
} hubkit_sql_ops;

/* The storage calls of a module's API table. */
hubkit_sql_ops hubkit_sql_ops_of(const hub_api *api);

/* One parameter: an integer, a text, a blob or NULL. */
typedef struct hubkit_arg {
	char kind; /* 'i' integer, 't' text, 'b' blob, 'n' NULL */
	int64_t i;
	const void *p; /* text or blob; NULL binds NULL */
	size_t n;      /* blob length */
} hubkit_arg;

#define HUBKIT_INT(v)	  ((hubkit_arg){'i', (int64_t)(v), NULL, 0})
#define HUBKIT_TEXT(s)	  ((hubkit_arg){'t', 0, (const char *)(s), 0})
#define HUBKIT_BLOB(p, n) ((hubkit_arg){'b', 0, (p), (n)})
#define HUBKIT_NULL	  ((hubkit_arg){'n', 0, NULL, 0})

/* Expands to "array, count" for a list of HUBKIT_* parameters, e.g.
 * hubkit_prepare(ops, db, sql, HUBKIT_ARGS(HUBKIT_INT(id)), &st). */
#define HUBKIT_ARGS(...)                                                       \
	(const hubkit_arg[]){__VA_ARGS__},                                     \
	    (int)(sizeof((hubkit_arg[]){__VA_ARGS__}) / sizeof(hubkit_arg))

/* Prepares sql into *st and binds args[0..n) to parameters 1..n in order
 * (args may be NULL when n is 0). Returns HUB_DB_OK with *st owned by the
 * caller (hand it back with ops->finalize); otherwise the first error
 * (HUB_DB_ERROR when db is NULL) with *st finalized and set to NULL. */
int hubkit_prepare(const hubkit_sql_ops *ops, hub_db *db, const char *sql,
		   const hubkit_arg *args, int n, hub_stmt **st);

#endif
