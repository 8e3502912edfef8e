/*
 * id_sql.c - "run this statement with these parameters" in one call for
 * the identity files, over the kit's prepare-and-bind (hub_sql.h).
 */
#include "identity/id_internal.h"

const hubkit_sql_ops id_sql_ops = {hub_store_prepare,  hub_stmt_bind_text,
				   hub_stmt_bind_int,  hub_stmt_bind_null,
				   hub_stmt_bind_blob, hub_stmt_finalize};

int id_sql(hub_db *db, const char *sql, const hubkit_arg *args, int n)
{
	hub_stmt *st;
	int rc = hubkit_prepare(&id_sql_ops, db, sql, args, n, &st);
	if (rc != HUB_DB_OK)
		return rc;
	rc = hub_stmt_step(st);
	while (rc == HUB_DB_ROW)
		rc = hub_stmt_step(st);
	hub_stmt_finalize(st);
	return rc == HUB_DB_DONE ? HUB_DB_OK : rc;
}

int id_sql_int(hub_db *db, int64_t *out, const char *sql,
	       const hubkit_arg *args, int n)
{
	hub_stmt *st;
	int rc = hubkit_prepare(&id_sql_ops, db, sql, args, n, &st);
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
