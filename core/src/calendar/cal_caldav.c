/*
 * cal_caldav.c - the `caldav` backend: consultants' collections and the
 * central collection on a CalDAV server ([calendar] caldav_url,
 * caldav_username, caldav_password_file; calendar ids are collection
 * paths below caldav_url).
 *
 *   list, full         REPORT calendar-query with a time-range (Depth 1),
 *                      plus the collection's DAV:sync-token when offered
 *   list, incremental  REPORT sync-collection (RFC 6578) from the stored
 *                      token; 403/409/412 (token no longer valid) -> full
 *                      resync. A server without sync-token gets a full
 *                      listing every run (the mirror is then replaced).
 *   upsert             PUT ID.ics with If-None-Match: * (a retry never
 *                      makes a second resource); when it exists, GET its
 *                      ETag and PUT with If-Match (a concurrent change
 *                      between the two answers 412 and is retried later)
 *   remove             DELETE; 404 counts as done
 *
 * Requests go through the quota governor; answers map to the backend
 * result codes (401/403 EAUTH or EPERM, 404, 409/412 ECONFLICT, 5xx and
 * transport errors ERETRY). XML through libxml2 (XPath with the DAV and
 * CalDAV namespaces), iCalendar through libical (cal_dav_ical.c). Mirror
 * event ids are resource names (what sync-collection reports on deletion).
 */
#define _GNU_SOURCE
#include "calendar/cal_caldav.h"

#include "base/log.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct {
	char base[512]; /* no trailing slash */
	char user[128];
	char password[256];
} g_dav;

int hub_cal_dav_setup(const char *base_url, const char *user,
		      const char *password_file, char *err, size_t errlen)
{
	FILE *f;
	size_t n;
	memset(&g_dav, 0, sizeof(g_dav));
	if (!base_url || !*base_url || !hub_cal_url_allowed(base_url)) {
		snprintf(err, errlen,
			 "[calendar] caldav_url must be https:// (plain http "
			 "only on loopback)");
		return -1;
	}
	snprintf(g_dav.base, sizeof(g_dav.base), "%s", base_url);
	n = strlen(g_dav.base);
	while (n > 0 && g_dav.base[n - 1] == '/')
		g_dav.base[--n] = 0;
	snprintf(g_dav.user, sizeof(g_dav.user), "%s", user ? user : "");
	if (password_file && *password_file) {
		f = fopen(password_file, "r");
		if (!f || !fgets(g_dav.password, sizeof(g_dav.password), f)) {
			if (f)
				fclose(f);
			snprintf(err, errlen,
				 "[calendar] caldav_password_file: cannot read "
				 "it");
			return -1;
		}
		fclose(f);
		g_dav.password[strcspn(g_dav.password, "\r\n")] = 0;
	}
	return 0;
}

void hub_cal_dav_teardown(void)
{
	mbedtls_platform_zeroize(&g_dav, sizeof(g_dav));
}

/* ============================================================ transport */

typedef struct dav_resp {
	long status;
	char *body;
	size_t len;
	char etag[256];
	char error[200];
} dav_resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	dav_resp *r = ud;
	size_t k = size * n;
	char *b;
	if (r->len + k > HUB_CAL_MAX_BODY)
		return 0;
	b = realloc(r->body, r->len + k + 1);
	if (!b)
		return 0;
	memcpy(b + r->len, p, k);
	r->body = b;
	r->len += k;
	b[r->len] = 0;
	return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	dav_resp *r = ud;
	size_t k = size * n;
	if (k > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		const char *v = p + 5;
		size_t l;
		while (*v == ' ')
			v++;
		l = strcspn(v, "\r\n");
		snprintf(r->etag, sizeof(r->etag), "%.*s", (int)l, v);
	}
	return k;
}

/* The URL of `path` (a collection path or a resource path). */
static void dav_url(const char *path, char *out, size_t outlen)
{
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		snprintf(out, outlen, "%s", path);
	else
		snprintf(out, outlen, "%s%s%s", g_dav.base,
			 path[0] == '/' ? "" : "/", path);
}

/* One exchange through the quota governor. hdrs: NULL-terminated. Maps
 * the status to a HUB_CAL_* code (2xx/207 OK). r->body owned. */
static int dav_call(const char *endpoint, const char *method, const char *url,
		    const char *body, const char *const *hdrs, dav_resp *r)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	struct curl_slist *h = NULL;
	char labels[96];
	CURL *c;
	CURLcode cc;
	int slot, rc;

	memset(r, 0, sizeof(*r));
	if (hub_cal_quota_acquire(hub_cal_mono_ms() + cfg->quota_wait_ms,
				  &slot) != HUB_CAL_OK) {
		snprintf(r->error, sizeof(r->error), "quota spent");
		return HUB_CAL_EQUOTA;
	}
	c = curl_easy_init();
	if (!c) {
		hub_cal_quota_release(slot);
		return HUB_CAL_ENOMEM;
	}
	for (int i = 0; hdrs && hdrs[i]; i++)
		h = curl_slist_append(h, hdrs[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->request_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, g_dav.user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, g_dav.password);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "business-hub/" HUB_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	hub_cal_quota_release(slot);
	if (!r->body)
		r->body = calloc(1, 1);
	if (cc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s %s: %s", method,
			 endpoint, curl_easy_strerror(cc));
	else if (r->status < 200 || r->status > 299)
		snprintf(r->error, sizeof(r->error), "%s %s: HTTP %ld", method,
			 endpoint, r->status);
	rc = cc != CURLE_OK			    ? HUB_CAL_ERETRY
	     : r->status >= 200 && r->status <= 299 ? HUB_CAL_OK
	     : r->status == 401			    ? HUB_CAL_EAUTH
	     : r->status == 404			    ? HUB_CAL_ENOTFOUND
	     : r->status == 409 || r->status == 412 ? HUB_CAL_ECONFLICT
	     : r->status == 429 || r->status >= 500 ? HUB_CAL_ERETRY
						    : HUB_CAL_EPERM;
	snprintf(labels, sizeof(labels), "endpoint=\"%s\",result=\"%s\"",
		 endpoint, hub_cal_rc_name(rc));
	hub_cal_metric("hub_calendar_requests_total", labels, 1);
	return rc;
}

static void resp_free(dav_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* ================================================================== XML */

static const xmlChar NS_D[] = "DAV:";
static const xmlChar NS_C[] = "urn:ietf:params:xml:ns:caldav";

/* Text of the first node matching xpath `q` relative to `node` (owned,
 * xmlFree), or NULL. */
static xmlChar *xp_text(xmlXPathContextPtr x, xmlNodePtr node, const char *q)
{
	xmlXPathObjectPtr o = xmlXPathNodeEval(node, (const xmlChar *)q, x);
	xmlChar *t = NULL;
	if (o && o->nodesetval && o->nodesetval->nodeNr > 0)
		t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	xmlXPathFreeObject(o);
	return t;
}

/* The resource name (last path segment) of href into out. */
static void res_name(const char *href, char *out, size_t outlen)
{
	const char *s = strrchr(href, '/');
	snprintf(out, outlen, "%s", s ? s + 1 : href);
}

/* Appends a cancelled item `id` (a resource that is gone). */
static int add_deleted(hub_cal_page *page, const char *id)
{
	hub_cal_gevent *g;
	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 16;
		hub_cal_gevent *p = realloc(page->items, cap * sizeof(*p));
		if (!p)
			return -1;
		page->items = p;
		page->cap = cap;
	}
	g = &page->items[page->n];
	memset(g, 0, sizeof(*g));
	g->id = strdup(id);
	g->summary = strdup("");
	g->cancelled = 1;
	if (!g->id || !g->summary) {
		free(g->id);
		free(g->summary);
		return -1;
	}
	page->n++;
	return 0;
}

/* Appends the events of a multistatus answer to page: responses with
 * calendar-data are read; with `deletions`, a response whose status is
 * 404 becomes a cancelled item (sync-collection). Stores the sync-token.
 * Returns HUB_CAL_OK or HUB_CAL_EPARSE. */
static int read_multistatus(const dav_resp *r, int64_t tmin, int64_t tmax,
			    int deletions, hub_cal_page *page)
{
	xmlDocPtr doc = xmlReadMemory(r->body, (int)r->len, "dav.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	xmlXPathContextPtr x = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr rs = NULL;
	xmlChar *tok;
	int rc = HUB_CAL_EPARSE;
	if (!x)
		goto out;
	xmlXPathRegisterNs(x, (const xmlChar *)"D", NS_D);
	xmlXPathRegisterNs(x, (const xmlChar *)"C", NS_C);
	rs = xmlXPathEvalExpression(
	    (const xmlChar *)"/D:multistatus/D:response", x);
	if (!rs)
		goto out;
	for (int i = 0; rs->nodesetval && i < rs->nodesetval->nodeNr; i++) {
		xmlNodePtr n = rs->nodesetval->nodeTab[i];
		xmlChar *href = xp_text(x, n, "D:href");
		xmlChar *data = xp_text(x, n, ".//C:calendar-data");
		xmlChar *st = xp_text(x, n, "D:status");
		char id[HUB_CAL_MAX_EVENT_ID];
		if (href) {
			res_name((const char *)href, id, sizeof(id));
			if (data && data[0]) {
				if (hub_cal_dav_ics_events((const char *)data,
							   id, tmin, tmax,
							   page) < 0)
					page->skipped++;
			} else if (deletions && st &&
				   strstr((const char *)st, " 404")) {
				if (add_deleted(page, id) != 0)
					page->skipped++;
			}
		}
		xmlFree(href);
		xmlFree(data);
		xmlFree(st);
	}
	tok = xp_text(x, xmlDocGetRootElement(doc), "//D:sync-token");
	if (tok && tok[0]) {
		free(page->next_sync_token);
		page->next_sync_token = strdup((const char *)tok);
	}
	xmlFree(tok);
	rc = HUB_CAL_OK;
out:
	xmlXPathFreeObject(rs);
	xmlXPathFreeContext(x);
	xmlFreeDoc(doc);
	return rc;
}

/* ================================================================= list */

/* "YYYYMMDDTHHMMSSZ" */
static void dav_time(int64_t t, char out[20])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 20, "%Y%m%dT%H%M%SZ", &tm);
}

/* The collection's DAV:sync-token (Depth 0 PROPFIND) into page, when the
 * server offers one. */
static void collection_token(const char *url, hub_cal_page *page)
{
	static const char q[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:sync-token/></D:prop>"
	    "</D:propfind>";
	const char *h[] = {
	    "Depth: 0", "Content-Type: application/xml; charset=utf-8", NULL};
	dav_resp r;
	if (dav_call("propfind", "PROPFIND", url, q, h, &r) == HUB_CAL_OK)
		read_multistatus(&r, 0, 0, 0, page);
	resp_free(&r);
}

static int dav_list(const char *calendar_id, const char *sync_token,
		    int64_t tmin, int64_t tmax, hub_cal_page *out, char *err,
		    size_t errlen)
{
	const hub_cal_config *cfg = hub_cal_cfg();
	const char *h[] = {
	    "Depth: 1", "Content-Type: application/xml; charset=utf-8", NULL};
	char url[1024], a[20], b[20], *q = NULL;
	int64_t now = hub_cal_now();
	dav_resp r = {0};
	int rc;

	dav_url(calendar_id, url, sizeof(url));
	if (strlen(url) < sizeof(url) - 1 && url[strlen(url) - 1] != '/')
		strcat(url, "/");
	memset(out, 0, sizeof(*out));
	if (sync_token) {
		/* the window for expanding recurring events */
		tmin = now - (int64_t)cfg->sync_past_days * 86400;
		tmax = now + (int64_t)cfg->sync_future_days * 86400;
		if (asprintf(&q,
			     "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
			     "<D:sync-collection xmlns:D=\"DAV:\" "
			     "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
			     "<D:sync-token>%s</D:sync-token>"
			     "<D:sync-level>1</D:sync-level><D:prop>"
			     "<D:getetag/><C:calendar-data/></D:prop>"
			     "</D:sync-collection>",
			     sync_token) < 0)
			return HUB_CAL_ENOMEM;
		if (strpbrk(sync_token, "<>&")) {
			free(q);
			return HUB_CAL_EGONE;
		}
		rc = dav_call("sync-collection", "REPORT", url, q, h, &r);
		if (rc == HUB_CAL_ECONFLICT || rc == HUB_CAL_EPERM)
			rc = HUB_CAL_EGONE; /* token not valid: resync */
	} else {
		collection_token(url, out);
		dav_time(tmin, a);
		dav_time(tmax, b);
		if (asprintf(&q,
			     "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
			     "<C:calendar-query xmlns:D=\"DAV:\" "
			     "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
			     "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
			     "<C:filter><C:comp-filter name=\"VCALENDAR\">"
			     "<C:comp-filter name=\"VEVENT\">"
			     "<C:time-range start=\"%s\" end=\"%s\"/>"
			     "</C:comp-filter></C:comp-filter></C:filter>"
			     "</C:calendar-query>",
			     a, b) < 0)
			return HUB_CAL_ENOMEM;
		rc = dav_call("calendar-query", "REPORT", url, q, h, &r);
	}
	free(q);
	if (rc == HUB_CAL_OK)
		rc = read_multistatus(&r, tmin, tmax, sync_token != NULL, out);
	if (rc == HUB_CAL_OK && !out->next_sync_token)
		/* no sync-token on this server: every run lists in full */
		out->next_sync_token = strdup("");
	if (rc != HUB_CAL_OK)
		snprintf(err, errlen, "%s",
			 r.error[0] ? r.error : "unreadable multistatus");
	resp_free(&r);
	return rc;
}

/* =============================================================== writes */

/* The URL of resource ID.ics in collection calendar_id. */
static void res_url(const char *calendar_id, const char *event_id, char *out,
		    size_t outlen)
{
	char coll[1024];
	size_t n;
	dav_url(calendar_id, coll, sizeof(coll));
	n = strlen(coll);
	snprintf(out, outlen, "%s%s%s.ics", coll,
		 n && coll[n - 1] == '/' ? "" : "/", event_id);
}

static int dav_upsert(const char *calendar_id, const char *event_id,
		      const char *hub_key, const char *event_json, int known,
		      char *err, size_t errlen)
{
	char url[1024], match[300], *ics;
	const char *create[] = {"Content-Type: text/calendar; charset=utf-8",
				"If-None-Match: *", NULL};
	const char *update[] = {"Content-Type: text/calendar; charset=utf-8",
				match, NULL};
	dav_resp r;
	int rc;
	(void)known;
	ics = hub_cal_dav_ics_from_json(event_json, event_id, hub_key);
	if (!ics) {
		snprintf(err, errlen, "event resource not convertible");
		return HUB_CAL_EPERM;
	}
	res_url(calendar_id, event_id, url, sizeof(url));
	rc = dav_call("put", "PUT", url, ics, create, &r);
	if (rc == HUB_CAL_ECONFLICT) {
		/* it exists (an earlier attempt or an update): take its ETag
		 * and replace exactly that version */
		resp_free(&r);
		rc = dav_call("get", "GET", url, NULL, NULL, &r);
		if (rc == HUB_CAL_OK && r.etag[0]) {
			snprintf(match, sizeof(match), "If-Match: %s", r.etag);
			resp_free(&r);
			rc = dav_call("put", "PUT", url, ics, update, &r);
			if (rc == HUB_CAL_ECONFLICT)
				rc = HUB_CAL_ERETRY; /* changed meanwhile */
		} else if (rc == HUB_CAL_OK) {
			snprintf(r.error, sizeof(r.error),
				 "GET: answer without ETag");
			rc = HUB_CAL_EPARSE;
		}
	}
	if (rc != HUB_CAL_OK)
		snprintf(err, errlen, "%s", r.error);
	resp_free(&r);
	free(ics);
	return rc;
}

static int dav_remove(const char *calendar_id, const char *event_id, char *err,
		      size_t errlen)
{
	char url[1024];
	dav_resp r;
	int rc;
	res_url(calendar_id, event_id, url, sizeof(url));
	rc = dav_call("delete", "DELETE", url, NULL, NULL, &r);
	if (rc == HUB_CAL_ENOTFOUND)
		rc = HUB_CAL_OK;
	if (rc != HUB_CAL_OK)
		snprintf(err, errlen, "%s", r.error);
	resp_free(&r);
	return rc;
}

const hub_cal_backend_ops hub_cal_ops_caldav = {"caldav", 1, dav_list,
						dav_upsert, dav_remove};
