/*
 * fake_gcal_events.c - the fake server's calendar data and the events
 * and freeBusy endpoints, following the documented behaviour of Calendar
 * API v3: client-chosen ids (base32hex, 5-1024 characters) unique per
 * calendar also after deletion (409), deletions kept as cancelled events
 * (an incremental sync reports them; a second delete gets 410), page and
 * sync tokens, 410 for a sync token the server no longer honours, and 400
 * for a syncToken combined with timeMin, timeMax or orderBy. Only the last
 * page carries nextSyncToken, and none comes when orderBy is given.
 */
#define _GNU_SOURCE
#include "fake_gcal.h"

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fev {
	char *cal, *id;
	cJSON *res; /* the resource as served */
	int cancelled;
	unsigned long version; /* store version of the last change */
	unsigned long seq;     /* creation order */
	int64_t start, end;    /* UTC seconds, for windows and freeBusy */
} fev;

typedef struct evstore {
	pthread_mutex_t lock;
	fev *v;
	size_t n, cap;
	unsigned long version, seq;
	unsigned epoch; /* bumped by fake_gcal_expire_sync_tokens */
	unsigned page_cap;
	char *cals[256]; /* known calendars */
	size_t ncals;
} evstore;

/* ================================================================ time */

/* RFC 3339 date-time with Z or offset, or a date (as 00:00 UTC). */
static int parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, oh = 0, om = 0;
	int64_t off = 0;
	const char *p;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	p = s + n;
	if (*p == 'T') {
		if (sscanf(p, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		p += n;
		if (*p == '.')
			while (*++p >= '0' && *p <= '9')
				;
		if (*p == 'Z')
			off = 0;
		else if ((*p == '+' || *p == '-') &&
			 sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
			off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		else
			return -1;
	} else if (*p) {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
}

static void fmt_utc(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads "start"/"end" of a resource. Returns 0 or -1. */
static int when(const cJSON *res, const char *name, int64_t *out)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(res, name);
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(w, "dateTime");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(w, "date");
	if (cJSON_IsString(dt))
		return parse_time(dt->valuestring, out);
	if (cJSON_IsString(d))
		return parse_time(d->valuestring, out);
	return -1;
}

/* =============================================================== store */

void *fake_ev_new(void)
{
	evstore *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->page_cap = 250;
	s->epoch = 1;
	return s;
}

void fake_ev_free(void *store)
{
	evstore *s = store;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].cal);
		free(s->v[i].id);
		cJSON_Delete(s->v[i].res);
	}
	for (size_t i = 0; i < s->ncals; i++)
		free(s->cals[i]);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static fev *find(evstore *s, const char *cal, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].cal, cal) == 0 &&
		    strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	return NULL;
}

static void know_cal(evstore *s, const char *cal)
{
	for (size_t i = 0; i < s->ncals; i++)
		if (strcmp(s->cals[i], cal) == 0)
			return;
	if (s->ncals < 256)
		s->cals[s->ncals++] = strdup(cal);
}

static int cal_known(evstore *s, const char *cal)
{
	for (size_t i = 0; i < s->ncals; i++)
		if (strcmp(s->cals[i], cal) == 0)
			return 1;
	return 0;
}

static void stamp(evstore *s, fev *e)
{
	char t[32];
	fmt_utc((int64_t)time(NULL), t, sizeof(t));
	cJSON_DeleteItemFromObjectCaseSensitive(e->res, "updated");
	cJSON_AddStringToObject(e->res, "updated", t);
	e->version = ++s->version;
}

/* Stores `res` (taken) as event id of cal. Lock held. Returns the event
 * or NULL (bad times). */
static fev *store_put(evstore *s, const char *cal, const char *id, cJSON *res)
{
	int64_t a, b;
	fev *e;
	if (when(res, "start", &a) != 0 || when(res, "end", &b) != 0) {
		cJSON_Delete(res);
		return NULL;
	}
	e = find(s, cal, id);
	if (!e) {
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 64;
			fev *p = realloc(s->v, nc * sizeof(*p));
			if (!p) {
				cJSON_Delete(res);
				return NULL;
			}
			s->v = p;
			s->cap = nc;
		}
		e = &s->v[s->n++];
		memset(e, 0, sizeof(*e));
		e->cal = strdup(cal);
		e->id = strdup(id);
		e->seq = ++s->seq;
	} else {
		cJSON_Delete(e->res);
	}
	e->res = res;
	e->start = a;
	e->end = b;
	e->cancelled = 0;
	cJSON_DeleteItemFromObjectCaseSensitive(res, "id");
	cJSON_AddStringToObject(res, "id", id);
	if (!cJSON_GetObjectItemCaseSensitive(res, "status"))
		cJSON_AddStringToObject(res, "status", "confirmed");
	if (!cJSON_GetObjectItemCaseSensitive(res, "kind"))
		cJSON_AddStringToObject(res, "kind", "calendar#event");
	know_cal(s, cal);
	stamp(s, e);
	return e;
}

int fake_gcal_put_event(fake_gcal *f, const char *cal, const char *json)
{
	evstore *s = fake_gcal_store(f);
	cJSON *res = cJSON_Parse(json);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(res, "id");
	char idbuf[1100];
	int rc;
	if (!cJSON_IsString(id)) {
		cJSON_Delete(res);
		return -1;
	}
	snprintf(idbuf, sizeof(idbuf), "%s", id->valuestring);
	pthread_mutex_lock(&s->lock);
	rc = store_put(s, cal, idbuf, res) ? 0 : -1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int fake_gcal_add(fake_gcal *f, const char *cal, const char *id,
		  const char *summary, const char *start, const char *end,
		  const char *color_id)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"id\":\"%s\",\"summary\":\"%s\",\"start\":{\"dateTime\":"
		 "\"%s\"},\"end\":{\"dateTime\":\"%s\"}%s%s%s}",
		 id, summary, start, end, color_id ? ",\"colorId\":\"" : "",
		 color_id ? color_id : "", color_id ? "\"" : "");
	return fake_gcal_put_event(f, cal, buf);
}

/* Marks cancelled. Lock held. */
static void cancel(evstore *s, fev *e)
{
	e->cancelled = 1;
	cJSON_DeleteItemFromObjectCaseSensitive(e->res, "status");
	cJSON_AddStringToObject(e->res, "status", "cancelled");
	stamp(s, e);
}

int fake_gcal_cancel(fake_gcal *f, const char *cal, const char *id)
{
	evstore *s = fake_gcal_store(f);
	fev *e;
	int rc = -1;
	pthread_mutex_lock(&s->lock);
	e = find(s, cal, id);
	if (e && !e->cancelled) {
		cancel(s, e);
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void fake_gcal_add_calendar(fake_gcal *f, const char *cal)
{
	evstore *s = fake_gcal_store(f);
	pthread_mutex_lock(&s->lock);
	know_cal(s, cal);
	pthread_mutex_unlock(&s->lock);
}

int fake_gcal_count(fake_gcal *f, const char *cal, int with_cancelled)
{
	evstore *s = fake_gcal_store(f);
	int n = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].cal, cal) == 0 &&
		    (with_cancelled || !s->v[i].cancelled))
			n++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

char *fake_gcal_event_json(fake_gcal *f, const char *cal, const char *id)
{
	evstore *s = fake_gcal_store(f);
	char *out = NULL;
	fev *e;
	pthread_mutex_lock(&s->lock);
	e = find(s, cal, id);
	if (e)
		out = cJSON_PrintUnformatted(e->res);
	pthread_mutex_unlock(&s->lock);
	return out;
}

void fake_gcal_expire_sync_tokens(fake_gcal *f)
{
	evstore *s = fake_gcal_store(f);
	pthread_mutex_lock(&s->lock);
	s->epoch++;
	pthread_mutex_unlock(&s->lock);
}

void fake_gcal_set_page_cap(fake_gcal *f, unsigned n)
{
	evstore *s = fake_gcal_store(f);
	pthread_mutex_lock(&s->lock);
	s->page_cap = n ? n : 1;
	pthread_mutex_unlock(&s->lock);
}

/* ========================================================= events.list */

static int by_start(const void *a, const void *b)
{
	const fev *x = *(const fev *const *)a, *y = *(const fev *const *)b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int by_seq(const void *a, const void *b)
{
	const fev *x = *(const fev *const *)a, *y = *(const fev *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* mg_get_var into buf; 1 when present. */
static int qvar(const char *q, const char *name, char *buf, size_t n)
{
	return q && mg_get_var(q, strlen(q), name, buf, n) >= 0;
}

void fake_ev_list(fake_gcal *f, struct mg_connection *c, const char *cal,
		  const char *q)
{
	evstore *s = fake_gcal_store(f);
	char sync[256], page[256], tmin[64], tmax[64], order[32], single[16];
	char mr[16], deleted[16], tok[96];
	int has_sync = qvar(q, "syncToken", sync, sizeof(sync));
	int has_page = qvar(q, "pageToken", page, sizeof(page));
	int has_min = qvar(q, "timeMin", tmin, sizeof(tmin));
	int has_max = qvar(q, "timeMax", tmax, sizeof(tmax));
	int has_order = qvar(q, "orderBy", order, sizeof(order));
	int is_single = qvar(q, "singleEvents", single, sizeof(single)) &&
			strcmp(single, "true") == 0;
	int show_del = qvar(q, "showDeleted", deleted, sizeof(deleted)) &&
		       strcmp(deleted, "true") == 0;
	unsigned long since = 0, snap, offset = 0;
	unsigned epoch = 0, max_results = 250, pe = 0;
	int64_t a = INT64_MIN, b = INT64_MAX;
	fev **sel = NULL;
	size_t nsel = 0, end;
	cJSON *out, *items;
	char *text;

	if (qvar(q, "maxResults", mr, sizeof(mr)))
		max_results = (unsigned)strtoul(mr, NULL, 10);
	if (max_results < 1 || max_results > 2500) {
		fake_reply_error(c, 400, "invalid", "Invalid maxResults");
		return;
	}
	if (has_sync && (has_min || has_max || has_order)) {
		fake_reply_error(c, 400, "invalid",
				 "Sync token cannot be used with timeMin, "
				 "timeMax or orderBy");
		return;
	}
	if (has_order && (strcmp(order, "startTime") != 0 || !is_single)) {
		fake_reply_error(c, 400, "invalid",
				 "orderBy startTime needs singleEvents");
		return;
	}
	if ((has_min && parse_time(tmin, &a) != 0) ||
	    (has_max && parse_time(tmax, &b) != 0)) {
		fake_reply_error(c, 400, "invalid", "Bad timeMin/timeMax");
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (has_sync && (sscanf(sync, "s%lue%u", &since, &epoch) != 2 ||
			 epoch != s->epoch)) {
		pthread_mutex_unlock(&s->lock);
		fake_reply_error(c, 410, "fullSyncRequired",
				 "Sync token is no longer valid, a full sync "
				 "is required.");
		return;
	}
	snap = s->version;
	if (has_page &&
	    (sscanf(page, "p%luv%lue%u", &offset, &snap, &pe) != 3 ||
	     pe != s->epoch)) {
		pthread_mutex_unlock(&s->lock);
		fake_reply_error(c, 400, "invalid", "Invalid page token");
		return;
	}
	sel = calloc(s->n + 1, sizeof(*sel));
	for (size_t i = 0; sel && i < s->n; i++) {
		fev *e = &s->v[i];
		if (strcmp(e->cal, cal) != 0)
			continue;
		if (has_sync) {
			if (e->version <= since)
				continue;
		} else if ((e->cancelled && !show_del) || e->end <= a ||
			   e->start >= b) {
			continue;
		}
		sel[nsel++] = e;
	}
	if (sel)
		qsort(sel, nsel, sizeof(*sel), has_order ? by_start : by_seq);
	if (max_results > s->page_cap)
		max_results = s->page_cap;
	end = offset + max_results < nsel ? offset + max_results : nsel;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "kind", "calendar#events");
	cJSON_AddStringToObject(out, "summary", cal);
	items = cJSON_AddArrayToObject(out, "items");
	for (size_t i = offset; i < end; i++)
		cJSON_AddItemToArray(items, cJSON_Duplicate(sel[i]->res, 1));
	if (end < nsel) {
		snprintf(tok, sizeof(tok), "p%zuv%lue%u", end, snap, s->epoch);
		cJSON_AddStringToObject(out, "nextPageToken", tok);
	} else if (!has_order) {
		snprintf(tok, sizeof(tok), "s%lue%u", snap, s->epoch);
		cJSON_AddStringToObject(out, "nextSyncToken", tok);
	}
	pthread_mutex_unlock(&s->lock);
	text = cJSON_PrintUnformatted(out);
	fake_reply(c, 200, text);
	free(text);
	cJSON_Delete(out);
	free(sel);
}

/* ===================================================== insert, patch, del */

static int id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 5 || n > 1024)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'v') ||
		      (id[i] >= '0' && id[i] <= '9')))
			return 0;
	return 1;
}

/* Answers when c is not NULL (FAKE_HANG_AFTER does the work silently). */
static void answer(struct mg_connection *c, int status, const char *reason,
		   const char *msg)
{
	if (c)
		fake_reply_error(c, status, reason, msg);
}

static void answer_res(struct mg_connection *c, const cJSON *res)
{
	char *t;
	if (!c)
		return;
	t = cJSON_PrintUnformatted(res);
	fake_reply(c, 200, t);
	free(t);
}

void fake_ev_insert(fake_gcal *f, struct mg_connection *c, const char *cal,
		    const char *body)
{
	evstore *s = fake_gcal_store(f);
	cJSON *res = cJSON_Parse(body);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(res, "id");
	char idbuf[1100];
	fev *e;

	if (!cJSON_IsObject(res) || !cJSON_IsString(id) ||
	    !id_ok(id->valuestring)) {
		cJSON_Delete(res);
		answer(c, 400, "invalid", "Invalid resource id value.");
		return;
	}
	snprintf(idbuf, sizeof(idbuf), "%s", id->valuestring);
	pthread_mutex_lock(&s->lock);
	if (find(s, cal, idbuf)) {
		pthread_mutex_unlock(&s->lock);
		cJSON_Delete(res);
		answer(c, 409, "duplicate",
		       "The requested identifier already exists.");
		return;
	}
	e = store_put(s, cal, idbuf, res);
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		answer(c, 400, "required", "Missing start or end time.");
		return;
	}
	answer_res(c, e->res);
	pthread_mutex_unlock(&s->lock);
}

void fake_ev_patch(fake_gcal *f, struct mg_connection *c, const char *cal,
		   const char *id, const char *body)
{
	evstore *s = fake_gcal_store(f);
	cJSON *p = cJSON_Parse(body), *m, *res;
	fev *e;

	if (!cJSON_IsObject(p)) {
		cJSON_Delete(p);
		answer(c, 400, "parseError", "Parse Error");
		return;
	}
	pthread_mutex_lock(&s->lock);
	e = find(s, cal, id);
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		cJSON_Delete(p);
		answer(c, 404, "notFound", "Not Found");
		return;
	}
	res = cJSON_Duplicate(e->res, 1);
	cJSON_ArrayForEach(m, p)
	{
		if (strcmp(m->string, "id") == 0)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(res, m->string);
		cJSON_AddItemToObject(res, m->string, cJSON_Duplicate(m, 1));
	}
	cJSON_Delete(p);
	{
		const cJSON *st =
		    cJSON_GetObjectItemCaseSensitive(res, "status");
		int cancelled = cJSON_IsString(st) &&
				strcmp(st->valuestring, "cancelled") == 0;
		e = store_put(s, cal, id, res);
		if (e && cancelled)
			e->cancelled = 1;
	}
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		answer(c, 400, "invalid", "Invalid start or end.");
		return;
	}
	answer_res(c, e->res);
	pthread_mutex_unlock(&s->lock);
}

void fake_ev_delete(fake_gcal *f, struct mg_connection *c, const char *cal,
		    const char *id)
{
	evstore *s = fake_gcal_store(f);
	fev *e;
	pthread_mutex_lock(&s->lock);
	e = find(s, cal, id);
	if (!e) {
		pthread_mutex_unlock(&s->lock);
		answer(c, 404, "notFound", "Not Found");
		return;
	}
	if (e->cancelled) {
		pthread_mutex_unlock(&s->lock);
		answer(c, 410, "deleted", "Resource has been deleted");
		return;
	}
	cancel(s, e);
	pthread_mutex_unlock(&s->lock);
	if (c)
		mg_printf(c, "HTTP/1.1 204 No Content\r\nContent-Length: "
			     "0\r\nConnection: close\r\n\r\n");
}

/* ============================================================ freeBusy */

void fake_ev_freebusy(fake_gcal *f, struct mg_connection *c, const char *body)
{
	evstore *s = fake_gcal_store(f);
	cJSON *q = cJSON_Parse(body), *out, *cals, *it;
	const cJSON *tmin = cJSON_GetObjectItemCaseSensitive(q, "timeMin");
	const cJSON *tmax = cJSON_GetObjectItemCaseSensitive(q, "timeMax");
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(q, "items");
	int64_t a, b;
	char *text, t1[32], t2[32];

	if (!cJSON_IsString(tmin) || !cJSON_IsString(tmax) ||
	    !cJSON_IsArray(items) || parse_time(tmin->valuestring, &a) != 0 ||
	    parse_time(tmax->valuestring, &b) != 0) {
		cJSON_Delete(q);
		fake_reply_error(c, 400, "invalid", "Bad freeBusy query");
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "kind", "calendar#freeBusy");
	cJSON_AddStringToObject(out, "timeMin", tmin->valuestring);
	cJSON_AddStringToObject(out, "timeMax", tmax->valuestring);
	cals = cJSON_AddObjectToObject(out, "calendars");
	pthread_mutex_lock(&s->lock);
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		cJSON *one, *busy;
		if (!cJSON_IsString(id))
			continue;
		one = cJSON_AddObjectToObject(cals, id->valuestring);
		busy = cJSON_AddArrayToObject(one, "busy");
		if (!cal_known(s, id->valuestring)) {
			cJSON *errs = cJSON_AddArrayToObject(one, "errors");
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "domain", "global");
			cJSON_AddStringToObject(e, "reason", "notFound");
			cJSON_AddItemToArray(errs, e);
			continue;
		}
		for (size_t i = 0; i < s->n; i++) {
			fev *e = &s->v[i];
			const cJSON *tr = cJSON_GetObjectItemCaseSensitive(
			    e->res, "transparency");
			cJSON *iv;
			if (strcmp(e->cal, id->valuestring) != 0 ||
			    e->cancelled || e->end <= a || e->start >= b ||
			    (cJSON_IsString(tr) &&
			     strcmp(tr->valuestring, "transparent") == 0))
				continue;
			iv = cJSON_CreateObject();
			fmt_utc(e->start, t1, sizeof(t1));
			fmt_utc(e->end, t2, sizeof(t2));
			cJSON_AddStringToObject(iv, "start", t1);
			cJSON_AddStringToObject(iv, "end", t2);
			cJSON_AddItemToArray(busy, iv);
		}
	}
	pthread_mutex_unlock(&s->lock);
	text = cJSON_PrintUnformatted(out);
	fake_reply(c, 200, text);
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(q);
}
