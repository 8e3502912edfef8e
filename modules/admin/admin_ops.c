/*
 * admin_ops.c - backups (GET|POST /api/v1/admin/backups, GET
 * /backups/{name} to download, POST /backups/{name}/verify), scheduled jobs
 * (GET /jobs, POST /jobs/{name}/run) and the calendar outbox (GET /outbox,
 * POST /outbox/{id}/retry).
 *
 * A backup is named by its bare file name; the host accepts only names of
 * its own listing, so "../x", "%2e%2e/hub.db" or an absolute path is a
 * 404 like any other unknown name.
 */
#include "admin_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================== backups */

int admin_h_backups(hub_req *req, void *ud)
{
	char err[256] = "";
	char *text = admin_api->backup_list(err, sizeof(err));
	(void)ud;
	if (!text)
		return admin_api->reply_error(req, 503, "backup", err, NULL);
	return admin_reply_text(req, 200, text, 1, NULL, "backups");
}

int admin_h_backup_create(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	char err[256] = "";
	char *text = A->backup_create(err, sizeof(err));
	cJSON *o;
	(void)ud;
	if (!text) {
		A->log(admin_ctx, HUB_LOG_ERROR,
		       "backup from the console failed: %s", err);
		return A->reply_error(req, 503, "backup", err, NULL);
	}
	o = cJSON_Parse(text);
	A->audit(req, A->db(), "backup.create",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
		 "made and verified");
	cJSON_Delete(o);
	return admin_reply_text(req, 201, text, 0, NULL, "backup");
}

int admin_h_backup_get(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	const char *name = A->req_param(req, "name");
	char err[256] = "", disp[160];
	size_t len = 0;
	int notfound = 0;
	char *data = A->backup_read(name, &len, err, sizeof(err), &notfound);
	(void)ud;
	if (!data && notfound)
		return A->reply_error(req, 404, "not_found", "no such backup",
				      NULL);
	if (!data)
		return A->reply_error(req, 503, "backup", err, NULL);
	/* a listed name is "hub-<time>.db": safe inside quotes */
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	A->reply_header(req, "Content-Disposition", disp);
	A->audit(req, A->db(), "backup.download", name, NULL);
	A->reply(req, 200, "application/octet-stream", data, len);
	A->free_text(data);
	return 0;
}

int admin_h_backup_verify(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	const char *name = A->req_param(req, "name");
	char err[256] = "", out[512], esc[300];
	int rc = A->backup_verify(name, err, sizeof(err));
	cJSON *s;
	(void)ud;
	if (rc == -2)
		return A->reply_error(req, 404, "not_found", "no such backup",
				      NULL);
	if (rc == -1)
		return A->reply_error(req, 503, "backup", err, NULL);
	A->audit(req, A->db(), "backup.verify", name,
		 rc == 0 ? "sound" : "damaged");
	s = cJSON_CreateString(rc == 0 ? "" : err);
	esc[0] = 0;
	if (s && !cJSON_PrintPreallocated(s, esc, sizeof(esc), 0))
		snprintf(esc, sizeof(esc), "\"\"");
	cJSON_Delete(s);
	snprintf(out, sizeof(out), "{\"name\":\"%s\",\"verified\":%s%s%s}",
		 name, rc == 0 ? "true" : "false",
		 rc == 0 ? "" : ",\"error\":", rc == 0 ? "" : esc);
	return A->reply_json(req, 200, out);
}

/* ================================================================= jobs */

/* The host's job status as the published list items. */
static cJSON *job_item(const cJSON *j)
{
	cJSON *o = cJSON_CreateObject();
	const char *res =
	    cJSON_GetStringValue(cJSON_GetObjectItem(j, "last_result"));
	static const char *const copy[] = {"name",	 "schedule", "last_run",
					   "last_error", "next_run", "running",
					   "runs",	 "failures", NULL};
	if (!o)
		return NULL;
	for (int i = 0; copy[i]; i++) {
		cJSON *v = cJSON_GetObjectItem(j, copy[i]);
		cJSON_AddItemToObject(
		    o, copy[i], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
	}
	cJSON_AddItemToObject(
	    o, "module", cJSON_Duplicate(cJSON_GetObjectItem(j, "owner"), 1));
	if (res && !strcmp(res, "ok"))
		cJSON_AddStringToObject(o, "last_status", "ok");
	else if (res && !strcmp(res, "error"))
		cJSON_AddStringToObject(o, "last_status", "failed");
	else
		cJSON_AddNullToObject(o, "last_status");
	return o;
}

/* The host's jobs as a cJSON array (owned), or NULL. */
static cJSON *host_jobs(void)
{
	char *t = admin_api->jobs_status();
	cJSON *arr = t ? cJSON_Parse(t) : NULL;
	admin_api->free_text(t);
	return arr;
}

int admin_h_jobs(hub_req *req, void *ud)
{
	cJSON *arr = host_jobs(), *o, *items, *j;
	(void)ud;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return admin_api->reply_error(req, 503, "unavailable",
					      "job status unavailable", NULL);
	}
	o = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(o, "items");
	cJSON_ArrayForEach(j, arr) cJSON_AddItemToArray(items, job_item(j));
	cJSON_AddNullToObject(o, "next_cursor");
	cJSON_Delete(arr);
	return hubkit_reply_cjson(admin_api, req, 200, o);
}

int admin_h_job_run(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	const char *name = A->req_param(req, "name");
	const char *mod = A->req_query(req, "module");
	const char *owner = NULL;
	cJSON *arr = host_jobs(), *j;
	char target[160], out[256];
	int found = 0;
	(void)ud;
	cJSON_ArrayForEach(j, arr)
	{
		const char *n =
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "name"));
		const char *o =
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "owner"));
		if (n && o && name && !strcmp(n, name) &&
		    (!mod || !strcmp(mod, o))) {
			owner = o;
			found++;
		}
	}
	if (found > 1) {
		cJSON_Delete(arr);
		return A->reply_error(req, 409, "ambiguous",
				      "several modules have a job of that "
				      "name: add ?module=",
				      NULL);
	}
	if (!found || A->job_run(owner, name) != 0) {
		cJSON_Delete(arr);
		return A->reply_error(req, 404, "not_found", "no such job",
				      NULL);
	}
	snprintf(target, sizeof(target), "%s/%s", owner, name);
	cJSON_Delete(arr);
	A->audit(req, A->db(), "job.run", target, "run now");
	snprintf(out, sizeof(out), "{\"job\":\"%s\",\"queued\":true}", target);
	return A->reply_json(req, 202, out);
}

/* =============================================================== outbox */

int admin_h_outbox(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	const char *state = A->req_query(req, "state");
	const char *cur = A->req_query(req, "cursor");
	long long limit, after = 0;
	int64_t next = 0;
	char cbuf[32];
	char *text;
	(void)ud;
	if (state && *state && strcmp(state, "pending") != 0 &&
	    strcmp(state, "failed") != 0)
		return hubkit_invalid(A, req, "state",
				      "must be pending or failed");
	if (cur && hubkit_parse_int(cur, 1, INT64_MAX, &after) != 0)
		return hubkit_invalid(A, req, "cursor",
				      "is not a cursor of this list");
	if (admin_limit(req, &limit) != 0)
		return 0;
	text = A->outbox_list(state && *state ? state : NULL, after, (int)limit,
			      &next);
	snprintf(cbuf, sizeof(cbuf), "%lld", (long long)next);
	return admin_reply_text(req, 200, text, 1, next ? cbuf : NULL,
				"the outbox");
}

int admin_h_outbox_retry(hub_req *req, void *ud)
{
	const hub_api *A = admin_api;
	long long id;
	char target[48], out[96];
	int rc;
	(void)ud;
	if (hubkit_parse_int(A->req_param(req, "id"), 1, INT64_MAX, &id) != 0)
		return A->reply_error(req, 404, "not_found",
				      "no such undelivered write", NULL);
	rc = A->outbox_retry(id);
	if (rc == HUB_DB_ENOTFOUND)
		return A->reply_error(req, 404, "not_found",
				      "no such undelivered write", NULL);
	if (rc != HUB_DB_OK)
		return A->reply_error(req, 503, "storage",
				      "storage unavailable", NULL);
	snprintf(target, sizeof(target), "outbox %lld", id);
	A->audit(req, A->db(), "outbox.retry", target, "queued again");
	snprintf(out, sizeof(out), "{\"id\":%lld,\"queued\":true}", id);
	return A->reply_json(req, 202, out);
}

int admin_h_calendar_sync(hub_req *req, void *ud)
{
	(void)ud;
	return admin_reply_text(req, 200, admin_api->calendar_sync(), 1, NULL,
				"the calendar sync state");
}
