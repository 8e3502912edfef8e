/*
 * cal_google.c - Google Calendar API v3 calls and the `google` backend.
 *
 * events.list always asks for singleEvents=true (recurring events come
 * expanded, as the mirror needs them). A full sync lists a time window
 * without orderBy, because Google only hands out a nextSyncToken when no
 * orderBy is given; an incremental sync passes only the syncToken (it
 * cannot be combined with timeMin, timeMax or orderBy). Writes use an
 * event id we choose ourselves, so a retry after a timeout can never
 * create a second event: insert answers 409 when the first attempt got
 * through, and we patch instead.
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include "base/log.h"
#include "hub_time.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAGES 2000 /* a server that pages forever is stopped here */

/* ================================================================= URLs */

/* Appends the percent-encoding of s (RFC 3986 unreserved kept). Returns 0
 * or -1 when it does not fit. */
static int put_enc(char *out, size_t cap, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			   c == '_' || c == '~';
		if (*pos + (keep ? 1 : 3) >= cap)
			return -1;
		if (keep) {
			out[(*pos)++] = (char)c;
		} else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[c >> 4];
			out[(*pos)++] = hex[c & 15];
		}
	}
	out[*pos] = '\0';
	return 0;
}

static int put_raw(char *out, size_t cap, size_t *pos, const char *s)
{
	size_t n = strlen(s);
	if (*pos + n >= cap)
		return -1;
	memcpy(out + *pos, s, n + 1);
	*pos += n;
	return 0;
}

/* "{base}/calendars/{cal}/events[/{event}]". Owned; NULL on failure. */
static char *events_url(const char *cal, const char *event_id, size_t extra)
{
	size_t cap = strlen(hub_cal_cfg()->api_base) + 3 * strlen(cal) +
		     (event_id ? 3 * strlen(event_id) : 0) + extra + 64;
	size_t pos = 0;
	char *u = malloc(cap);
	if (!u)
		return NULL;
	if (put_raw(u, cap, &pos, hub_cal_cfg()->api_base) != 0 ||
	    put_raw(u, cap, &pos, "/calendars/") != 0 ||
	    put_enc(u, cap, &pos, cal) != 0 ||
	    put_raw(u, cap, &pos, "/events") != 0 ||
	    (event_id && (put_raw(u, cap, &pos, "/") != 0 ||
			  put_enc(u, cap, &pos, event_id) != 0))) {
		free(u);
		return NULL;
	}
	return u;
}

/* Appends "&name=enc(value)". Returns 0 or -1. */
static int put_param(char *u, size_t cap, size_t *pos, const char *name,
		     const char *value)
{
	if (put_raw(u, cap, pos, "&") != 0 || put_raw(u, cap, pos, name) != 0 ||
	    put_raw(u, cap, pos, "=") != 0)
		return -1;
	return put_enc(u, cap, pos, value);
}

/* ================================================================ calls */

/* Runs one request and copies its failure text into err. */
static int call(const char *endpoint, const char *method, const char *url,
		const char *body, hub_cal_http_resp *rs, char *err,
		size_t errlen)
{
	hub_cal_http_req rq = {0};
	int rc;
	rq.endpoint = endpoint;
	rq.method = method;
	rq.url = url;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.content_type = "application/json";
	rq.token = &hub_cal_token_cache;
	rc = hub_cal_http_call(&rq, rs);
	if (rc != HUB_CAL_OK)
		snprintf(err, errlen, "%s: %s", endpoint,
			 rs->error[0] ? rs->error : hub_cal_rc_name(rc));
	return rc;
}

/* Builds the URL of one events.list page. Owned; NULL on failure. */
static char *list_url(const char *cal, const hub_cal_list_opts *o,
		      const char *page_token)
{
	size_t extra = 128 + (o->sync_token ? 3 * strlen(o->sync_token) : 0) +
		       (page_token ? 3 * strlen(page_token) : 0);
	char *u = events_url(cal, NULL, extra), num[16], t[32];
	size_t pos, cap;
	int bad = 0;
	if (!u)
		return NULL;
	pos = strlen(u);
	cap = pos + extra;
	snprintf(num, sizeof(num), "%u",
		 o->max_results ? o->max_results : hub_cal_cfg()->page_size);
	bad |= put_raw(u, cap, &pos, "?singleEvents=true") != 0;
	bad |= put_param(u, cap, &pos, "maxResults", num) != 0;
	if (o->sync_token) {
		bad |= put_param(u, cap, &pos, "syncToken", o->sync_token) != 0;
	} else {
		if (o->time_min) {
			hub_time_format_utc(o->time_min, t);
			bad |= put_param(u, cap, &pos, "timeMin", t) != 0;
		}
		if (o->time_max) {
			hub_time_format_utc(o->time_max, t);
			bad |= put_param(u, cap, &pos, "timeMax", t) != 0;
		}
		if (o->order_by_start)
			bad |= put_param(u, cap, &pos, "orderBy",
					 "startTime") != 0;
	}
	if (page_token)
		bad |= put_param(u, cap, &pos, "pageToken", page_token) != 0;
	if (bad) {
		free(u);
		return NULL;
	}
	return u;
}

int hub_cal_g_list(const char *calendar_id, const hub_cal_list_opts *o,
		   hub_cal_page *out, char *err, size_t errlen)
{
	char *page_token = NULL;
	int rc = HUB_CAL_OK;

	memset(out, 0, sizeof(*out));
	for (int pages = 0;; pages++) {
		hub_cal_http_resp rs;
		char *url;
		if (pages == MAX_PAGES) {
			snprintf(err, errlen, "events.list: more than %d pages",
				 MAX_PAGES);
			rc = HUB_CAL_EPARSE;
			break;
		}
		url = list_url(calendar_id, o, page_token);
		if (!url) {
			snprintf(err, errlen, "events.list: URL too long");
			rc = HUB_CAL_EPERM;
			break;
		}
		rc = call("events.list", "GET", url, NULL, &rs, err, errlen);
		free(url);
		if (rc == HUB_CAL_OK &&
		    hub_cal_parse_events_page(rs.body, rs.len, out, err,
					      errlen) != 0)
			rc = HUB_CAL_EPARSE;
		hub_cal_http_resp_free(&rs);
		if (rc != HUB_CAL_OK)
			break;
		if (!out->next_page_token)
			break;
		if (page_token &&
		    strcmp(page_token, out->next_page_token) == 0) {
			snprintf(err, errlen,
				 "events.list: the same page token twice");
			rc = HUB_CAL_EPARSE;
			break;
		}
		free(page_token);
		page_token = strdup(out->next_page_token);
		if (!page_token) {
			rc = HUB_CAL_ENOMEM;
			break;
		}
	}
	free(page_token);
	if (rc != HUB_CAL_OK)
		hub_cal_page_free(out);
	else if (out->skipped) {
		hub_logf(HUB_LOG_WARN, "calendar",
			 "events.list: %zu unusable event(s) ignored",
			 out->skipped);
		hub_cal_metric("hub_calendar_skipped_events_total", NULL,
			       (double)out->skipped);
	}
	return rc;
}

int hub_cal_g_insert(const char *calendar_id, const char *body, char *err,
		     size_t errlen)
{
	hub_cal_http_resp rs;
	char *url = events_url(calendar_id, NULL, 0);
	int rc;
	if (!url)
		return HUB_CAL_ENOMEM;
	rc = call("events.insert", "POST", url, body, &rs, err, errlen);
	free(url);
	hub_cal_http_resp_free(&rs);
	return rc;
}

int hub_cal_g_patch(const char *calendar_id, const char *event_id,
		    const char *body, char *err, size_t errlen)
{
	hub_cal_http_resp rs;
	char *url = events_url(calendar_id, event_id, 0);
	int rc;
	if (!url)
		return HUB_CAL_ENOMEM;
	rc = call("events.patch", "PATCH", url, body, &rs, err, errlen);
	free(url);
	hub_cal_http_resp_free(&rs);
	return rc;
}

int hub_cal_g_delete(const char *calendar_id, const char *event_id, char *err,
		     size_t errlen)
{
	hub_cal_http_resp rs;
	char *url = events_url(calendar_id, event_id, 0);
	int rc;
	if (!url)
		return HUB_CAL_ENOMEM;
	rc = call("events.delete", "DELETE", url, NULL, &rs, err, errlen);
	free(url);
	hub_cal_http_resp_free(&rs);
	if (rc == HUB_CAL_ENOTFOUND || rc == HUB_CAL_EGONE)
		rc = HUB_CAL_OK; /* already deleted */
	return rc;
}

int hub_cal_g_freebusy(const char *calendar_id, int64_t from_utc,
		       int64_t to_utc, hub_cal_busy **out, size_t *n, char *err,
		       size_t errlen)
{
	hub_cal_http_resp rs = {0};
	cJSON *q = cJSON_CreateObject(), *items, *it;
	char tmin[32], tmax[32], *body = NULL, *url = NULL;
	size_t cap = strlen(hub_cal_cfg()->api_base) + 16;
	int rc = HUB_CAL_ENOMEM;

	*out = NULL;
	*n = 0;
	hub_time_format_utc(from_utc, tmin);
	hub_time_format_utc(to_utc, tmax);
	if (!q || !cJSON_AddStringToObject(q, "timeMin", tmin) ||
	    !cJSON_AddStringToObject(q, "timeMax", tmax) ||
	    !(items = cJSON_AddArrayToObject(q, "items")) ||
	    !(it = cJSON_CreateObject()))
		goto out;
	cJSON_AddItemToArray(items, it);
	if (!cJSON_AddStringToObject(it, "id", calendar_id))
		goto out;
	body = cJSON_PrintUnformatted(q);
	url = malloc(cap);
	if (!body || !url)
		goto out;
	snprintf(url, cap, "%s/freeBusy", hub_cal_cfg()->api_base);
	rc = call("freeBusy.query", "POST", url, body, &rs, err, errlen);
	if (rc == HUB_CAL_OK &&
	    hub_cal_parse_freebusy(rs.body, rs.len, calendar_id, out, n, err,
				   errlen) != 0)
		rc = HUB_CAL_EPARSE;
out:
	if (rc == HUB_CAL_ENOMEM)
		snprintf(err, errlen, "freeBusy.query: out of memory");
	hub_cal_http_resp_free(&rs);
	cJSON_Delete(q);
	free(body);
	free(url);
	return rc;
}

/* ========================================================== event body */

char *hub_cal_event_body(const char *event_json, const char *event_id,
			 const char *hub_key, int for_insert)
{
	cJSON *ev = event_json ? cJSON_Parse(event_json) : NULL;
	cJSON *ext, *priv;
	char *s = NULL;

	if (!cJSON_IsObject(ev))
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(ev, "id");
	if (for_insert && !cJSON_AddStringToObject(ev, "id", event_id))
		goto out;
	ext = cJSON_GetObjectItemCaseSensitive(ev, "extendedProperties");
	if (!cJSON_IsObject(ext)) {
		cJSON_DeleteItemFromObjectCaseSensitive(ev,
							"extendedProperties");
		ext = cJSON_AddObjectToObject(ev, "extendedProperties");
	}
	priv = ext ? cJSON_GetObjectItemCaseSensitive(ext, "private") : NULL;
	if (ext && !cJSON_IsObject(priv)) {
		cJSON_DeleteItemFromObjectCaseSensitive(ext, "private");
		priv = cJSON_AddObjectToObject(ext, "private");
	}
	if (!priv)
		goto out;
	cJSON_DeleteItemFromObjectCaseSensitive(priv, "hub_key");
	if (!cJSON_AddStringToObject(priv, "hub_key", hub_key))
		goto out;
	if (!for_insert && !cJSON_GetObjectItemCaseSensitive(ev, "status") &&
	    !cJSON_AddStringToObject(ev, "status", "confirmed"))
		goto out;
	s = cJSON_PrintUnformatted(ev);
out:
	cJSON_Delete(ev);
	return s;
}

/* ============================================================== backend */

static int g_list(const char *calendar_id, const char *sync_token, int64_t tmin,
		  int64_t tmax, hub_cal_page *out, char *err, size_t errlen)
{
	hub_cal_list_opts o = {0};
	o.sync_token = sync_token;
	if (!sync_token) {
		o.time_min = tmin;
		o.time_max = tmax;
	}
	return hub_cal_g_list(calendar_id, &o, out, err, errlen);
}

/* Insert; when the id exists already (an earlier attempt got through, or
 * the event was written before) patch it instead. */
static int g_upsert(const char *calendar_id, const char *event_id,
		    const char *hub_key, const char *event_json, int known,
		    char *err, size_t errlen)
{
	char *ins = NULL, *upd = NULL;
	int rc = HUB_CAL_ENOMEM;

	ins = hub_cal_event_body(event_json, event_id, hub_key, 1);
	upd = hub_cal_event_body(event_json, event_id, hub_key, 0);
	if (!ins || !upd) {
		snprintf(err, errlen, "event_json is not a JSON object");
		rc = HUB_CAL_EPERM;
		goto out;
	}
	if (known) {
		rc = hub_cal_g_patch(calendar_id, event_id, upd, err, errlen);
		if (rc != HUB_CAL_ENOTFOUND)
			goto out;
	}
	rc = hub_cal_g_insert(calendar_id, ins, err, errlen);
	if (rc == HUB_CAL_ECONFLICT) {
		hub_cal_metric("hub_calendar_insert_conflicts_total", NULL, 1);
		rc = hub_cal_g_patch(calendar_id, event_id, upd, err, errlen);
	}
out:
	free(ins);
	free(upd);
	return rc;
}

static int g_remove(const char *calendar_id, const char *event_id, char *err,
		    size_t errlen)
{
	return hub_cal_g_delete(calendar_id, event_id, err, errlen);
}

const hub_cal_backend_ops hub_cal_ops_google = {
    .name = "google",
    .remote = 1,
    .list = g_list,
    .upsert = g_upsert,
    .remove = g_remove,
};
