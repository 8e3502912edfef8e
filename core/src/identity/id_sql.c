/*
 * id_sql.c - small helpers over the storage API so the identity files can
 * say "run this statement with these parameters" in one call. Every
 * parameter is bound, never formatted into the SQL text.
 *
 * Parameter types: 'i' int64_t, 't' const char * (NULL binds NULL),
 * 'b' const void *, size_t (a NULL pointer binds NULL), 'n' NULL.
 */
#include "identity/id_internal.h"

#include <stdarg.h>

int id_bindv(hub_stmt *st, const char *types, va_list ap)
{
	int rc = HUB_DB_OK;
	for (int i = 0; types[i] && rc == HUB_DB_OK; i++) {
		int idx = i + 1;
		switch (types[i]) {
		case 'i':
			rc = hub_stmt_bind_int(st, idx, va_arg(ap, int64_t));
			break;
		case 't': {
			const char *s = va_arg(ap, const char *);
			rc = s ? hub_stmt_bind_text(st, idx, s)
			       : hub_stmt_bind_null(st, idx);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = p ? hub_stmt_bind_blob(st, idx, p, n)
			       : hub_stmt_bind_null(st, idx);
			break;
		}
		case 'n':
			rc = hub_stmt_bind_null(st, idx);
			break;
		default:
			rc = HUB_DB_EMISUSE;
		}
	}
	return rc;
}

/* id_prepare over a va_list: *st is NULL unless it returns HUB_DB_OK. */
static int prepare_v(hub_db *db, hub_stmt **st, const char *sql,
		     const char *types, va_list ap)
{
	int rc;
	*st = NULL;
	if (!db)
		return HUB_DB_ERROR;
	rc = hub_store_prepare(db, sql, st);
	if (rc == HUB_DB_OK)
		rc = id_bindv(*st, types, ap);
	if (rc != HUB_DB_OK) {
		hub_stmt_finalize(*st);
		*st = NULL;
	}
	return rc;
}

int id_prepare(hub_db *db, hub_stmt **st, const char *sql, const char *types,
	       ...)
{
	va_list ap;
	int rc;
	va_start(ap, types);
	rc = prepare_v(db, st, sql, types, ap);
	va_end(ap);
	return rc;
}

int id_sql(hub_db *db, const char *sql, const char *types, ...)
{
	hub_stmt *st;
	va_list ap;
	int rc;
	va_start(ap, types);
	rc = prepare_v(db, &st, sql, types, ap);
	va_end(ap);
	if (rc != HUB_DB_OK)
		return rc;
	rc = hub_stmt_step(st);
	while (rc == HUB_DB_ROW)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

int id_sql_int(hub_db *db, int64_t *out, const char *sql, const char *types,
	       ...)
{
	hub_stmt *st;
	va_list ap;
	int rc;
	va_start(ap, types);
	rc = prepare_v(db, &st, sql, types, ap);
	va_end(ap);
	if (rc != HUB_DB_OK)
		return rc;
	rc = hub_stmt_step(st);
	if (rc == HUB_DB_ROW) {
		*out = hub_col_int(st, 0);
		rc = HUB_DB_OK;
	} else if (rc == HUB_DB_DONE) {
		rc = HUB_DB_ENOTFOUND;
	}
	hub_stmt_finalize(st);
	return rc;
}
