/*
 * hub_sql.c - see hub_sql.h.
 */
#include "hub_sql.h"

hubkit_sql_ops hubkit_sql_ops_of(const hub_api *api)
{
	hubkit_sql_ops ops = {api->db_prepare,	   api->stmt_bind_text,
			      api->stmt_bind_int,  api->stmt_bind_null,
			      api->stmt_bind_blob, api->stmt_finalize};
	return ops;
}

/* Binds one parameter at index idx. Returns a HUB_DB_* code. */
static int bind_one(const hubkit_sql_ops *ops, hub_stmt *st, int idx,
		    const hubkit_arg *a)
{
	switch (a->kind) {
	case 'i':
		return ops->bind_int(st, idx, a->i);
	case 't':
		return a->p ? ops->bind_text(st, idx, a->p)
			    : ops->bind_null(st, idx);
	case 'b':
		return a->p ? ops->bind_blob(st, idx, a->p, a->n)
			    : ops->bind_null(st, idx);
	case 'n':
		return ops->bind_null(st, idx);
	default:
		return HUB_DB_EMISUSE;
	}
}

int hubkit_prepare(const hubkit_sql_ops *ops, hub_db *db, const char *sql,
		   const hubkit_arg *args, int n, hub_stmt **st)
{
	int rc;
	*st = NULL;
	if (!db)
		return HUB_DB_ERROR;
	rc = ops->prepare(db, sql, st);
	for (int i = 0; rc == HUB_DB_OK && i < n; i++)
		rc = bind_one(ops, *st, i + 1, &args[i]);
	if (rc != HUB_DB_OK) {
		ops->finalize(*st);
		*st = NULL;
	}
	return rc;
}
