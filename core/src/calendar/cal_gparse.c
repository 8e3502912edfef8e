/*
 * cal_gparse.c - parsers for Google's JSON answers; see cal_parse.h.
 *
 * Google is trusted to speak its documented format but not to be
 * well-formed on every byte: a proxy may truncate a body, an outage page
 * may be HTML, a field may change type. Every member is therefore looked up
 * with its expected type, and anything else is treated as absent.
 */
#define _GNU_SOURCE
#include "calendar/cal_parse.h"

#include "hub_time.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ============================================================== helpers */

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

void hub_cal_copy_utf8(char *out, size_t outlen, const char *s)
{
	size_t n;
	if (!outlen)
		return;
	if (!s)
		s = "";
	n = strlen(s);
	if (n >= outlen) {
		n = outlen - 1;
		/* back off continuation bytes so no sequence is cut */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Parses `len` bytes as one JSON value followed only by white space.
 * Returns the tree (owned) or NULL. */
static cJSON *parse_json(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *root;
	if (!body || len == 0 || len > HUB_CAL_MAX_BODY)
		return NULL;
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root)
		return NULL;
	if (end) {
		for (; end < body + len; end++) {
			if (!isspace((unsigned char)*end)) {
				cJSON_Delete(root);
				return NULL;
			}
		}
	}
	return root;
}

/* A string member, or NULL when absent or of another type. */
static const char *str_member(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static const cJSON *obj_member(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsObject(v) ? v : NULL;
}

/* Replaces *slot with a copy of s (NULL clears). Returns 0 or -1. */
static int replace_str(char **slot, const char *s)
{
	char *copy = NULL;
	if (s) {
		copy = strdup(s);
		if (!copy)
			return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/* A token (page/sync/access) must be printable ASCII without spaces. */
static int token_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (c <= 0x20 || c >= 0x7F)
			return 0;
	}
	return n > 0 && n < HUB_CAL_MAX_TOKEN;
}

/* ============================================================== events */

int hub_cal_parse_when(const char *date_time, const char *date, int64_t *utc,
		       int *all_day)
{
	hub_date d;
	if (date_time) {
		if (hub_time_parse(date_time, utc) != 0)
			return -1;
		*all_day = 0;
		return 0;
	}
	if (!date || hub_date_parse(date, &d) != 0)
		return -1;
	/* Midnight never falls into a DST gap in the business zone today,
	 * but a zone that skips 00:00 (some did) starts the day at 01:00. */
	switch (hub_time_from_local(d, 0, 0, utc)) {
	case 0:
		break;
	case 1:
		if (hub_time_from_local(d, 1, 0, utc) != 0)
			return -1;
		break;
	default:
		return -1;
	}
	*all_day = 1;
	return 0;
}

/* Reads {"dateTime"} or {"date"} of member `name`. Returns 0 or -1. */
static int parse_when_member(const cJSON *ev, const char *name, int64_t *utc,
			     int *all_day)
{
	const cJSON *w = obj_member(ev, name);
	if (!w)
		return -1;
	return hub_cal_parse_when(str_member(w, "dateTime"),
				  str_member(w, "date"), utc, all_day);
}

static void gevent_free(hub_cal_gevent *e)
{
	free(e->id);
	free(e->summary);
	memset(e, 0, sizeof(*e));
}

/* Fills *out from one item. Returns 0, or -1 when the item is unusable. */
static int parse_event(const cJSON *item, hub_cal_gevent *out)
{
	const char *id, *status, *s;
	const cJSON *ext, *priv;
	int ad_start = 0, ad_end = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(item))
		return -1;
	id = str_member(item, "id");
	if (!id || !*id || strlen(id) > HUB_CAL_MAX_EVENT_ID)
		return -1;
	status = str_member(item, "status");
	out->cancelled = status && strcmp(status, "cancelled") == 0;
	if (!out->cancelled) {
		if (parse_when_member(item, "start", &out->start_utc,
				      &ad_start) != 0 ||
		    parse_when_member(item, "end", &out->end_utc, &ad_end) !=
			0 ||
		    out->end_utc < out->start_utc)
			return -1;
		out->all_day = ad_start && ad_end;
	}
	s = str_member(item, "colorId");
	hub_cal_copy_utf8(out->color_id, sizeof(out->color_id), s);
	s = str_member(item, "updated");
	hub_cal_copy_utf8(out->updated, sizeof(out->updated), s);
	ext = obj_member(item, "extendedProperties");
	priv = ext ? obj_member(ext, "private") : NULL;
	s = priv ? str_member(priv, "hub_key") : NULL;
	hub_cal_copy_utf8(out->hub_key, sizeof(out->hub_key), s);
	out->id = strdup(id);
	s = str_member(item, "summary");
	out->summary = strdup(s ? s : "");
	if (!out->id || !out->summary) {
		gevent_free(out);
		return -1;
	}
	return 0;
}

static int page_push(hub_cal_page *page, const hub_cal_gevent *e)
{
	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 64;
		hub_cal_gevent *p = realloc(page->items, cap * sizeof(*p));
		if (!p)
			return -1;
		page->items = p;
		page->cap = cap;
	}
	page->items[page->n++] = *e;
	return 0;
}

int hub_cal_parse_events_page(const char *body, size_t len, hub_cal_page *page,
			      char *err, size_t errlen)
{
	cJSON *root = parse_json(body, len);
	const cJSON *items, *item;
	const char *npt, *nst;
	int rc = 0;

	if (!cJSON_IsObject(root)) {
		set_err(err, errlen, "events answer is not a JSON object");
		rc = -1;
		goto out;
	}
	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	if (items && !cJSON_IsArray(items)) {
		set_err(err, errlen, "events answer: items is not an array");
		rc = -1;
		goto out;
	}
	npt = str_member(root, "nextPageToken");
	nst = str_member(root, "nextSyncToken");
	if ((npt && !token_ok(npt)) || (nst && !token_ok(nst))) {
		set_err(err, errlen,
			"events answer: malformed page/sync token");
		rc = -1;
		goto out;
	}
	cJSON_ArrayForEach(item, items)
	{
		hub_cal_gevent e;
		if (parse_event(item, &e) != 0) {
			page->skipped++;
			continue;
		}
		if (page_push(page, &e) != 0) {
			gevent_free(&e);
			set_err(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
	}
	if (replace_str(&page->next_page_token, npt) != 0 ||
	    replace_str(&page->next_sync_token, nst) != 0) {
		set_err(err, errlen, "out of memory");
		rc = -1;
	}
out:
	cJSON_Delete(root);
	return rc;
}

void hub_cal_page_free(hub_cal_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		gevent_free(&page->items[i]);
	free(page->items);
	free(page->next_page_token);
	free(page->next_sync_token);
	memset(page, 0, sizeof(*page));
}

/* ======================================================= token and error */

int hub_cal_parse_token(const char *body, size_t len, char *tok, size_t toklen,
			long *expires_in, char *err, size_t errlen)
{
	cJSON *root = parse_json(body, len);
	const cJSON *exp;
	const char *at, *type;
	int rc = -1;

	if (!cJSON_IsObject(root)) {
		set_err(err, errlen, "token answer is not a JSON object");
		goto out;
	}
	at = str_member(root, "access_token");
	if (!at || !token_ok(at) || strlen(at) >= toklen) {
		set_err(err, errlen, "token answer: no usable access_token");
		goto out;
	}
	type = str_member(root, "token_type");
	if (cJSON_GetObjectItemCaseSensitive(root, "token_type") &&
	    (!type || strcasecmp(type, "Bearer") != 0)) {
		set_err(err, errlen, "token answer: token_type is not Bearer");
		goto out;
	}
	exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (!exp) {
		*expires_in = 3600;
	} else if (cJSON_IsNumber(exp) && exp->valuedouble >= 1 &&
		   exp->valuedouble <= 86400) {
		*expires_in = (long)exp->valuedouble;
	} else {
		set_err(err, errlen, "token answer: bad expires_in");
		goto out;
	}
	snprintf(tok, toklen, "%s", at);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int hub_cal_parse_error(const char *body, size_t len, char *reason,
			size_t reasonlen, char *msg, size_t msglen)
{
	cJSON *root = parse_json(body, len);
	const cJSON *e, *errors, *first;
	int rc = -1;

	if (reasonlen)
		reason[0] = '\0';
	if (msglen)
		msg[0] = '\0';
	if (!cJSON_IsObject(root))
		goto out;
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsString(e) && e->valuestring) {
		/* OAuth form */
		hub_cal_copy_utf8(reason, reasonlen, e->valuestring);
		hub_cal_copy_utf8(msg, msglen,
				  str_member(root, "error_description"));
		rc = 0;
	} else if (cJSON_IsObject(e)) {
		hub_cal_copy_utf8(msg, msglen, str_member(e, "message"));
		errors = cJSON_GetObjectItemCaseSensitive(e, "errors");
		first = cJSON_IsArray(errors) ? cJSON_GetArrayItem(errors, 0)
					      : NULL;
		if (cJSON_IsObject(first))
			hub_cal_copy_utf8(reason, reasonlen,
					  str_member(first, "reason"));
		if (reasonlen && !reason[0])
			hub_cal_copy_utf8(reason, reasonlen,
					  str_member(e, "status"));
		rc = 0;
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* ============================================================= freeBusy */

int hub_cal_parse_freebusy(const char *body, size_t len,
			   const char *calendar_id, hub_cal_busy **out,
			   size_t *n, char *err, size_t errlen)
{
	cJSON *root = parse_json(body, len);
	const cJSON *cals, *cal, *errors, *busy, *b;
	hub_cal_busy *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	cals = cJSON_IsObject(root) ? obj_member(root, "calendars") : NULL;
	cal = cals && calendar_id ? obj_member(cals, calendar_id) : NULL;
	if (!cal) {
		set_err(err, errlen, "freeBusy answer: calendar missing");
		goto out;
	}
	errors = cJSON_GetObjectItemCaseSensitive(cal, "errors");
	if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
		const cJSON *e0 = cJSON_GetArrayItem(errors, 0);
		const char *r =
		    cJSON_IsObject(e0) ? str_member(e0, "reason") : NULL;
		set_err(err, errlen, r ? r : "freeBusy calendar error");
		goto out;
	}
	busy = cJSON_GetObjectItemCaseSensitive(cal, "busy");
	if (busy && !cJSON_IsArray(busy)) {
		set_err(err, errlen, "freeBusy answer: busy is not an array");
		goto out;
	}
	cJSON_ArrayForEach(b, busy)
	{
		hub_cal_busy iv;
		const char *s =
		    cJSON_IsObject(b) ? str_member(b, "start") : NULL;
		const char *e = cJSON_IsObject(b) ? str_member(b, "end") : NULL;
		if (!s || !e || hub_time_parse(s, &iv.start_utc) != 0 ||
		    hub_time_parse(e, &iv.end_utc) != 0 ||
		    iv.end_utc < iv.start_utc) {
			set_err(err, errlen, "freeBusy answer: bad interval");
			goto out;
		}
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			hub_cal_busy *p = realloc(v, nc * sizeof(*p));
			if (!p) {
				set_err(err, errlen, "out of memory");
				goto out;
			}
			v = p;
			cap = nc;
		}
		v[cnt++] = iv;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = 0;
out:
	free(v);
	cJSON_Delete(root);
	return rc;
}

int hub_cal_parse_event_id(const char *body, size_t len, char *out,
			   size_t outlen)
{
	cJSON *root = parse_json(body, len);
	const char *id = cJSON_IsObject(root) ? str_member(root, "id") : NULL;
	int rc = -1;
	if (id && *id && strlen(id) < outlen) {
		snprintf(out, outlen, "%s", id);
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}
