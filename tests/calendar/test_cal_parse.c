/*
 * test_cal_parse.c - the calendar service without a network: base64url,
 * the outbox event id, RFC 3339 / all-day parsing on the DST days, the
 * parsers of Google's answers (good, malformed, truncated, wrong types),
 * the credentials file (parser and every way the file can be wrong), the
 * RS256 JWT (verified independently with `openssl dgst`) and the quota
 * governor's window.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "hub_time.h"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *g_dir;

/* UTC seconds of a civil UTC time, computed without hub_time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

/* ============================================================ base64url */

static void test_b64url(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
		 {"f", "Zg"},
		 {"fo", "Zm8"},
		 {"foo", "Zm9v"},
		 {"foob", "Zm9vYg"},
		 {"fooba", "Zm9vYmE"},
		 {"foobar", "Zm9vYmFy"}};
	const unsigned char bin[] = {0xfb, 0xff, 0xbf};
	char out[64];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = hub_cal_b64url((const unsigned char *)v[i].in,
					  strlen(v[i].in), out, sizeof(out));
		CHECK_INT(n, strlen(v[i].out));
		CHECK_STR(out, v[i].out);
	}
	/* the URL alphabet: '-' and '_' instead of '+' and '/' */
	hub_cal_b64url(bin, sizeof(bin), out, sizeof(out));
	CHECK_STR(out, "-_-_");
	CHECK_INT(hub_cal_b64url((const unsigned char *)"foobar", 6, out, 8),
		  0);
}

/* ============================================================= event id */

static void test_event_id(void)
{
	char a[HUB_CAL_EVENT_ID_LEN], b[HUB_CAL_EVENT_ID_LEN], cmd[256];
	char expect[80] = "";
	FILE *p;

	hub_cal_event_id_for("booking:42", a);
	hub_cal_event_id_for("booking:42", b);
	CHECK_STR(a, b);
	CHECK_INT(strlen(a), 43);
	CHECK(strncmp(a, "hub", 3) == 0);
	for (size_t i = 0; i < strlen(a); i++)
		CHECK((a[i] >= 'a' && a[i] <= 'v') ||
		      (a[i] >= '0' && a[i] <= '9'));
	hub_cal_event_id_for("booking:43", b);
	CHECK(strcmp(a, b) != 0);
	/* the id is "hub" + SHA-256 hex, computed independently */
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s' 'booking:42' | openssl dgst -sha256 -r");
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (p) {
		CHECK(fgets(expect, sizeof(expect), p) != NULL);
		pclose(p);
	}
	CHECK(strncmp(a + 3, expect, 40) == 0);
}

/* ==================================================== times and DST days */

static void test_when(void)
{
	int64_t t;
	int ad = -1;

	/* 2026-03-29: clocks go 02:00 -> 03:00 in Europe/Berlin */
	CHECK_INT(
	    hub_cal_parse_when("2026-03-29T01:30:00+01:00", NULL, &t, &ad), 0);
	CHECK_INT(t, utc(2026, 3, 29, 0, 30));
	CHECK_INT(ad, 0);
	CHECK_INT(
	    hub_cal_parse_when("2026-03-29T03:30:00+02:00", NULL, &t, &ad), 0);
	CHECK_INT(t, utc(2026, 3, 29, 1, 30));
	/* 2026-10-25: 02:30 happens twice */
	CHECK_INT(
	    hub_cal_parse_when("2026-10-25T02:30:00+02:00", NULL, &t, &ad), 0);
	CHECK_INT(t, utc(2026, 10, 25, 0, 30));
	CHECK_INT(
	    hub_cal_parse_when("2026-10-25T02:30:00+01:00", NULL, &t, &ad), 0);
	CHECK_INT(t, utc(2026, 10, 25, 1, 30));
	CHECK_INT(hub_cal_parse_when("2026-07-01T10:00:00Z", NULL, &t, &ad), 0);
	CHECK_INT(t, utc(2026, 7, 1, 10, 0));
	/* all-day: local midnight in the business zone */
	CHECK_INT(hub_cal_parse_when(NULL, "2026-03-29", &t, &ad), 0);
	CHECK_INT(ad, 1);
	CHECK_INT(t, utc(2026, 3, 28, 23, 0)); /* +01:00 */
	CHECK_INT(hub_cal_parse_when(NULL, "2026-03-30", &t, &ad), 0);
	CHECK_INT(t, utc(2026, 3, 29, 22, 0)); /* +02:00 */
	CHECK_INT(hub_cal_parse_when(NULL, "2026-10-25", &t, &ad), 0);
	CHECK_INT(t, utc(2026, 10, 24, 22, 0)); /* +02:00 */
	CHECK_INT(hub_cal_parse_when(NULL, "2026-10-26", &t, &ad), 0);
	CHECK_INT(t, utc(2026, 10, 25, 23, 0)); /* +01:00 */
	/* garbage */
	CHECK_INT(hub_cal_parse_when("2026-03-29T25:00:00Z", NULL, &t, &ad),
		  -1);
	CHECK_INT(hub_cal_parse_when("2026-03-29T10:00:00", NULL, &t, &ad), -1);
	CHECK_INT(hub_cal_parse_when(NULL, "2026-02-30", &t, &ad), -1);
	CHECK_INT(hub_cal_parse_when(NULL, NULL, &t, &ad), -1);
}

/* ============================================================ events page */

static const char page1[] =
    "{\"kind\":\"calendar#events\",\"items\":["
    "{\"id\":\"ev1\",\"status\":\"confirmed\",\"summary\":\"T1 bereit\","
    "\"colorId\":\"4\",\"updated\":\"2026-03-01T10:00:00.000Z\","
    "\"start\":{\"dateTime\":\"2026-03-29T09:00:00+02:00\",\"timeZone\":"
    "\"Europe/Berlin\"},\"end\":{\"dateTime\":\"2026-03-29T18:00:00+02:00\""
    "}},"
    "{\"id\":\"ev2\",\"summary\":\"Urlaub \\u00fcber Ostern\",\"start\":{"
    "\"date\":\"2026-03-29\"},\"end\":{\"date\":\"2026-03-30\"},"
    "\"extendedProperties\":{\"private\":{\"hub_key\":\"booking:7\"}}},"
    "{\"id\":\"ev3\",\"status\":\"cancelled\"}],"
    "\"nextPageToken\":\"CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA\"}";

static const char page2[] =
    "{\"items\":[{\"id\":\"ev4\",\"start\":{\"dateTime\":"
    "\"2026-10-25T02:30:00+01:00\"},\"end\":{\"dateTime\":"
    "\"2026-10-25T03:30:00+01:00\"}}],\"nextSyncToken\":"
    "\"CPDAlvWDx70CEPDAlvWDx70CGAU=\"}";

static void test_events_page(void)
{
	hub_cal_page pg = {0};
	char err[128];

	CHECK_INT(hub_cal_parse_events_page(page1, strlen(page1), &pg, err,
					    sizeof(err)),
		  0);
	CHECK_INT(pg.n, 3);
	CHECK_INT(pg.skipped, 0);
	CHECK_STR(pg.next_page_token, "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA");
	CHECK(pg.next_sync_token == NULL);
	if (pg.n == 3) {
		CHECK_STR(pg.items[0].id, "ev1");
		CHECK_STR(pg.items[0].summary, "T1 bereit");
		CHECK_STR(pg.items[0].color_id, "4");
		CHECK_STR(pg.items[0].updated, "2026-03-01T10:00:00.000Z");
		CHECK_INT(pg.items[0].start_utc, utc(2026, 3, 29, 7, 0));
		CHECK_INT(pg.items[0].end_utc, utc(2026, 3, 29, 16, 0));
		CHECK_INT(pg.items[0].all_day, 0);
		CHECK_STR(pg.items[1].summary, "Urlaub \xc3\xbc"
					       "ber Ostern");
		CHECK_INT(pg.items[1].all_day, 1);
		CHECK_STR(pg.items[1].hub_key, "booking:7");
		/* the DST day is 23 hours long */
		CHECK_INT(pg.items[1].end_utc - pg.items[1].start_utc,
			  23 * 3600);
		CHECK_INT(pg.items[2].cancelled, 1);
		CHECK_STR(pg.items[2].summary, "");
	}
	/* a second page appends and replaces the tokens */
	CHECK_INT(hub_cal_parse_events_page(page2, strlen(page2), &pg, err,
					    sizeof(err)),
		  0);
	CHECK_INT(pg.n, 4);
	CHECK(pg.next_page_token == NULL);
	CHECK_STR(pg.next_sync_token, "CPDAlvWDx70CEPDAlvWDx70CGAU=");
	if (pg.n == 4)
		CHECK_INT(pg.items[3].start_utc, utc(2026, 10, 25, 1, 30));
	hub_cal_page_free(&pg);
	CHECK(pg.items == NULL && pg.n == 0);
}

static void test_events_bad(void)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "<html><body>502</body></html>",
	    "[1,2,3]",
	    "{\"items\":{\"id\":\"x\"}}",
	    "{\"items\":\"nope\"}",
	    "{\"items\":[]} trailing",
	    "{\"items\":[{\"id\":\"a\",\"start\":{\"dateTime\":\"2026-",
	    "{\"items\":[],\"nextPageToken\":\"has space\"}",
	    "{\"items\":[],\"nextSyncToken\":\"\"}",
	};
	static const char wrong[] =
	    "{\"items\":[{\"id\":17,\"start\":\"tomorrow\",\"end\":[]},"
	    "{\"id\":\"okid1\",\"summary\":[1,2],\"colorId\":5,"
	    "\"start\":{\"dateTime\":12},\"end\":{\"dateTime\":true}},"
	    "{\"id\":\"okid2\",\"start\":{\"date\":\"2026-02-30\"},"
	    "\"end\":{\"date\":\"2026-03-01\"}},null,\"x\",[],"
	    "{\"id\":\"back\",\"start\":{\"dateTime\":\"2026-01-01T10:00:00Z\"}"
	    ","
	    "\"end\":{\"dateTime\":\"2026-01-01T09:00:00Z\"}},"
	    "{\"id\":\"good\",\"summary\":7,\"colorId\":[],"
	    "\"extendedProperties\":{\"private\":[]},"
	    "\"start\":{\"dateTime\":\"2026-01-01T10:00:00Z\"},"
	    "\"end\":{\"dateTime\":\"2026-01-01T11:00:00Z\"}}],"
	    "\"nextPageToken\":42,\"nextSyncToken\":{\"a\":1}}";
	char err[128];
	char *deep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hub_cal_page pg = {0};
		err[0] = '\0';
		CHECK_INT(hub_cal_parse_events_page(bad[i], strlen(bad[i]), &pg,
						    err, sizeof(err)),
			  -1);
		CHECK(err[0] != '\0');
		hub_cal_page_free(&pg);
	}
	/* wrong member types: each bad item is skipped, the good one kept
	 * with its wrongly typed extras treated as absent */
	{
		hub_cal_page pg = {0};
		CHECK_INT(hub_cal_parse_events_page(wrong, strlen(wrong), &pg,
						    err, sizeof(err)),
			  0);
		CHECK_INT(pg.n, 1);
		CHECK_INT(pg.skipped, 7);
		if (pg.n == 1) {
			CHECK_STR(pg.items[0].id, "good");
			CHECK_STR(pg.items[0].summary, "");
			CHECK_STR(pg.items[0].color_id, "");
			CHECK_STR(pg.items[0].hub_key, "");
		}
		CHECK(pg.next_page_token == NULL && pg.next_sync_token == NULL);
		hub_cal_page_free(&pg);
	}
	/* deep nesting stays bounded */
	deep = malloc(200002);
	if (deep) {
		hub_cal_page pg = {0};
		memset(deep, '[', 100000);
		memset(deep + 100000, ']', 100000);
		deep[200000] = '\0';
		CHECK_INT(hub_cal_parse_events_page(deep, 200000, &pg, err,
						    sizeof(err)),
			  -1);
		free(deep);
	}
	/* a body cut at every length never crashes nor leaks */
	for (size_t n = 0; n < strlen(page1); n++) {
		hub_cal_page pg = {0};
		int rc =
		    hub_cal_parse_events_page(page1, n, &pg, err, sizeof(err));
		CHECK(rc == -1);
		hub_cal_page_free(&pg);
	}
}

/* ============================================== token, error, freeBusy */

static void test_token_error(void)
{
	static const char good[] = "{\"access_token\":\"ya29.a0AfH6SM\","
				   "\"expires_in\":3599,\"token_type\":"
				   "\"Bearer\"}";
	static const char *const bad[] = {
	    "{\"access_token\":\"\",\"expires_in\":3599}",
	    "{\"access_token\":\"a b\",\"expires_in\":3599}",
	    "{\"access_token\":123,\"expires_in\":\"soon\",\"token_type\":[]}",
	    "{\"access_token\":\"x\",\"token_type\":\"mac\"}",
	    "{\"access_token\":\"x\",\"expires_in\":0}",
	    "{\"access_token\":\"x\",\"expires_in\":1e12}",
	    "{\"expires_in\":3599}",
	    "{\"access_token\":\"x\"",
	    "null",
	};
	char tok[64], err[128], reason[64], msg[128];
	long exp = 0;

	CHECK_INT(hub_cal_parse_token(good, strlen(good), tok, sizeof(tok),
				      &exp, err, sizeof(err)),
		  0);
	CHECK_STR(tok, "ya29.a0AfH6SM");
	CHECK_INT(exp, 3599);
	CHECK_INT(hub_cal_parse_token(good, strlen(good), tok, 5, &exp, err,
				      sizeof(err)),
		  -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(hub_cal_parse_token(bad[i], strlen(bad[i]), tok,
					      sizeof(tok), &exp, err,
					      sizeof(err)),
			  -1);

	{
		static const char api[] =
		    "{\"error\":{\"code\":403,\"message\":\"Rate Limit "
		    "Exceeded\",\"errors\":[{\"domain\":\"usageLimits\","
		    "\"reason\":\"rateLimitExceeded\",\"message\":\"Rate "
		    "Limit Exceeded\"}]}}";
		static const char oauth[] =
		    "{\"error\":\"invalid_grant\",\"error_description\":"
		    "\"Invalid JWT Signature.\"}";
		static const char status_only[] =
		    "{\"error\":{\"code\":410,\"status\":\"GONE\"}}";
		CHECK_INT(hub_cal_parse_error(api, strlen(api), reason,
					      sizeof(reason), msg, sizeof(msg)),
			  0);
		CHECK_STR(reason, "rateLimitExceeded");
		CHECK_STR(msg, "Rate Limit Exceeded");
		CHECK_INT(hub_cal_parse_error(oauth, strlen(oauth), reason,
					      sizeof(reason), msg, sizeof(msg)),
			  0);
		CHECK_STR(reason, "invalid_grant");
		CHECK_STR(msg, "Invalid JWT Signature.");
		CHECK_INT(hub_cal_parse_error(status_only, strlen(status_only),
					      reason, sizeof(reason), msg,
					      sizeof(msg)),
			  0);
		CHECK_STR(reason, "GONE");
		CHECK_INT(hub_cal_parse_error("<html>", 6, reason,
					      sizeof(reason), msg, sizeof(msg)),
			  -1);
		CHECK_STR(reason, "");
		CHECK_INT(hub_cal_parse_error("{\"error\":[1]}", 13, reason,
					      sizeof(reason), msg, sizeof(msg)),
			  -1);
	}
}

static void test_freebusy(void)
{
	static const char good[] =
	    "{\"kind\":\"calendar#freeBusy\",\"calendars\":{\"a@x\":{"
	    "\"busy\":[{\"start\":\"2026-03-29T07:00:00Z\",\"end\":"
	    "\"2026-03-29T08:00:00Z\"},{\"start\":\"2026-03-29T10:00:00+02:00"
	    "\",\"end\":\"2026-03-29T11:00:00+02:00\"}]},\"b@x\":{\"errors\":"
	    "[{\"domain\":\"global\",\"reason\":\"notFound\"}],\"busy\":[]}}}";
	static const char wrongtype[] =
	    "{\"calendars\":{\"a@x\":{\"busy\":{\"start\":1}}}}";
	hub_cal_busy *b = NULL;
	size_t n = 9;
	char err[128];

	CHECK_INT(hub_cal_parse_freebusy(good, strlen(good), "a@x", &b, &n, err,
					 sizeof(err)),
		  0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(b[0].start_utc, utc(2026, 3, 29, 7, 0));
		CHECK_INT(b[1].start_utc, utc(2026, 3, 29, 8, 0));
		CHECK_INT(b[1].end_utc, utc(2026, 3, 29, 9, 0));
	}
	free(b);
	CHECK_INT(hub_cal_parse_freebusy(good, strlen(good), "b@x", &b, &n, err,
					 sizeof(err)),
		  -1);
	CHECK_STR(err, "notFound");
	CHECK_INT(hub_cal_parse_freebusy(good, strlen(good), "c@x", &b, &n, err,
					 sizeof(err)),
		  -1);
	CHECK_INT(hub_cal_parse_freebusy(wrongtype, strlen(wrongtype), "a@x",
					 &b, &n, err, sizeof(err)),
		  -1);
	CHECK(b == NULL && n == 0);
	CHECK_INT(
	    hub_cal_parse_freebusy(good, 40, "a@x", &b, &n, err, sizeof(err)),
	    -1);
}

/* ========================================================== credentials */

static void test_creds_parse(void)
{
	static const char good[] =
	    "{\"type\":\"service_account\",\"client_email\":\"a@b.iam."
	    "gserviceaccount.com\",\"private_key\":\"-----BEGIN PRIVATE "
	    "KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n\","
	    "\"private_key_id\":\"abc\"}";
	static const struct {
		const char *json, *needle;
	} bad[] = {
	    {"", "empty"},
	    {"{", "not a JSON object"},
	    {"[]", "not a JSON object"},
	    {"{\"type\":\"authorized_user\"}", "service_account"},
	    {"{\"client_email\":\"a@b\"}", "\"type\" is missing"},
	    {"{\"type\":\"service_account\",\"private_key\":\"-----BEGIN "
	     "PRIVATE KEY-----\"}",
	     "\"client_email\" is missing"},
	    {"{\"type\":\"service_account\",\"client_email\":7,"
	     "\"private_key\":\"x\"}",
	     "\"client_email\" is not a string"},
	    {"{\"type\":\"service_account\",\"client_email\":\"nobody\","
	     "\"private_key\":\"-----BEGIN PRIVATE KEY-----\"}",
	     "not an address"},
	    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
	     "\"private_key\":12}",
	     "\"private_key\" is not a string"},
	    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
	     "\"private_key\":\"secretmaterial\"}",
	     "not a PEM private key"},
	    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
	     "\"private_key\":\"-----BEGIN PRIVATE KEY-----\","
	     "\"token_uri\":\"ftp://x\"}",
	     "token_uri"},
	    {"{\"type\":\"service_account\",\"client_email\":\"a@b\","
	     "\"private_key\":\"-----BEGIN PRIVATE KEY-----\","
	     "\"token_uri\":[]}",
	     "\"token_uri\" is not a string"},
	};
	hub_cal_creds c;
	char err[200];

	CHECK_INT(hub_cal_creds_parse(good, strlen(good), &c, err, sizeof(err)),
		  0);
	CHECK_STR(c.client_email, "a@b.iam.gserviceaccount.com");
	CHECK_STR(c.private_key_id, "abc");
	CHECK_STR(c.token_uri, HUB_CAL_DEFAULT_TOKEN_URI);
	CHECK(strstr(c.private_key, "MIIE") != NULL);
	hub_cal_creds_clear(&c);
	CHECK(c.private_key == NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(hub_cal_creds_parse(bad[i].json, strlen(bad[i].json),
					      &c, err, sizeof(err)),
			  -1);
		if (!strstr(err, bad[i].needle))
			fprintf(stderr, "case %zu: %s\n", i, err);
		CHECK(strstr(err, bad[i].needle) != NULL);
		CHECK(strstr(err, "secretmaterial") == NULL);
		CHECK(c.client_email == NULL && c.private_key == NULL);
	}
}

/* Starts google with credentials file `path`; returns init's result and
 * leaves its message in err. */
static int init_with_creds(const char *path, char *err, size_t errlen)
{
	hub_cal_config c;
	hub_cal_config_defaults(&c);
	snprintf(c.backend, sizeof(c.backend), "google");
	snprintf(c.api_base, sizeof(c.api_base), "http://127.0.0.1:9/x");
	snprintf(c.credentials_file, sizeof(c.credentials_file), "%s", path);
	err[0] = '\0';
	return hub_cal_init_with(&c, err, errlen);
}

static void test_creds_file(void)
{
	char path[512], err[512], cmd[1024], *pem;
	const char *token_uri = "https://oauth2.googleapis.com/token";

	/* the good file starts the service */
	snprintf(path, sizeof(path), "%s/creds.json", g_dir);
	snprintf(cmd, sizeof(cmd), "%s/key.pem", g_dir);
	CHECK_INT(ctu_write_creds(path, cmd, token_uri), 0);
	CHECK_INT(init_with_creds(path, err, sizeof(err)), 0);
	CHECK_STR(hub_cal_backend(), "google");
	hub_cal_shutdown();

	snprintf(path, sizeof(path), "%s/missing.json", g_dir);
	CHECK_INT(init_with_creds(path, err, sizeof(err)), -1);
	CHECK(strstr(err, path) && strstr(err, "No such file"));

	CHECK_INT(init_with_creds(g_dir, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a regular file") != NULL);

	snprintf(path, sizeof(path), "%s/empty.json", g_dir);
	ctu_write_file(path, "", 0600);
	CHECK_INT(init_with_creds(path, err, sizeof(err)), -1);
	CHECK(strstr(err, "empty") != NULL);

	snprintf(path, sizeof(path), "%s/trunc.json", g_dir);
	ctu_write_file(path, "{\"type\":\"service_account\",\"client_em", 0600);
	CHECK_INT(init_with_creds(path, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a JSON object") != NULL);

	/* a PEM that is not a key, an EC key, a too-short RSA key */
	snprintf(path, sizeof(path), "%s/garbage.pem", g_dir);
	ctu_write_file(path,
		       "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END "
		       "PRIVATE KEY-----\n",
		       0600);
	snprintf(cmd, sizeof(cmd), "%s/c1.json", g_dir);
	CHECK_INT(ctu_write_creds(cmd, path, token_uri), 0);
	CHECK_INT(init_with_creds(cmd, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot be parsed") != NULL);
	CHECK(strstr(err, "bm90IGEga2V5") == NULL);

	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey -algorithm EC -pkeyopt "
		 "ec_paramgen_curve:P-256 -out '%s/ec.pem' 2>/dev/null && "
		 "openssl genrsa -out '%s/small.pem' 1024 2>/dev/null",
		 g_dir, g_dir);
	CHECK_INT(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/ec.pem", g_dir);
	snprintf(cmd, sizeof(cmd), "%s/c2.json", g_dir);
	CHECK_INT(ctu_write_creds(cmd, path, token_uri), 0);
	CHECK_INT(init_with_creds(cmd, err, sizeof(err)), -1);
	CHECK(strstr(err, "must be RSA") != NULL);
	snprintf(path, sizeof(path), "%s/small.pem", g_dir);
	snprintf(cmd, sizeof(cmd), "%s/c3.json", g_dir);
	CHECK_INT(ctu_write_creds(cmd, path, token_uri), 0);
	CHECK_INT(init_with_creds(cmd, err, sizeof(err)), -1);
	CHECK(strstr(err, "2048") != NULL);

	/* no key material in any message */
	snprintf(path, sizeof(path), "%s/key.pem", g_dir);
	pem = ctu_read_file(path, NULL);
	CHECK(pem != NULL);
	if (pem) {
		char line[80];
		/* the second line of the PEM: base64 key bytes */
		const char *nl = strchr(pem, '\n');
		snprintf(line, sizeof(line), "%.40s", nl ? nl + 1 : pem);
		CHECK(strstr(err, line) == NULL);
		free(pem);
	}

	/* a token_uri in plain http to somewhere else */
	snprintf(path, sizeof(path), "%s/key.pem", g_dir);
	snprintf(cmd, sizeof(cmd), "%s/c4.json", g_dir);
	CHECK_INT(ctu_write_creds(cmd, path, "http://oauth2.example.com/token"),
		  0);
	CHECK_INT(init_with_creds(cmd, err, sizeof(err)), -1);
	CHECK(strstr(err, "token_uri") != NULL);
	CHECK_INT(hub_cal_url_allowed("https://oauth2.googleapis.com/token"),
		  1);
	CHECK_INT(hub_cal_url_allowed("http://127.0.0.1:8080/x"), 1);
	CHECK_INT(hub_cal_url_allowed("http://localhost/x"), 1);
	CHECK_INT(hub_cal_url_allowed("http://localhost.evil/x"), 0);
	CHECK_INT(hub_cal_url_allowed("ftp://127.0.0.1/x"), 0);
	CHECK_INT(hub_cal_url_allowed("https://"), 0);

	/* no credentials file at all */
	CHECK_INT(init_with_creds("", err, sizeof(err)), -1);
	CHECK(strstr(err, "credentials_file") != NULL);
	/* plain http to a non-loopback host is refused */
	{
		hub_cal_config c;
		hub_cal_config_defaults(&c);
		snprintf(c.backend, sizeof(c.backend), "google");
		snprintf(c.api_base, sizeof(c.api_base), "http://example.com");
		snprintf(c.credentials_file, sizeof(c.credentials_file),
			 "%s/creds.json", g_dir);
		CHECK_INT(hub_cal_init_with(&c, err, sizeof(err)), -1);
		CHECK(strstr(err, "https") != NULL);
		snprintf(c.api_base, sizeof(c.api_base),
			 "http://127.0.0.1.example.com/x");
		CHECK_INT(hub_cal_init_with(&c, err, sizeof(err)), -1);
		CHECK(strstr(err, "https") != NULL);
		snprintf(c.backend, sizeof(c.backend), "exchange");
		CHECK_INT(hub_cal_init_with(&c, err, sizeof(err)), -1);
		CHECK(strstr(err, "backend") != NULL);
		/* caldav needs its server URL, https or loopback http */
		snprintf(c.backend, sizeof(c.backend), "caldav");
		CHECK_INT(hub_cal_init_with(&c, err, sizeof(err)), -1);
		CHECK(strstr(err, "caldav_url") != NULL);
		snprintf(c.caldav_url, sizeof(c.caldav_url),
			 "http://dav.example.com/");
		CHECK_INT(hub_cal_init_with(&c, err, sizeof(err)), -1);
		CHECK(strstr(err, "https") != NULL);
	}
}

/* ================================================================== JWT */

/* Decodes base64url into out; returns the length or -1. */
static long b64url_dec(const char *s, size_t n, unsigned char *out, size_t cap)
{
	char buf[2048];
	size_t i, olen = 0;
	if (n + 4 > sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		buf[i++] = '=';
	if (mbedtls_base64_decode(out, cap, &olen, (unsigned char *)buf, i))
		return -1;
	return (long)olen;
}

static void test_jwt(void)
{
	mbedtls_pk_context pk;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	hub_cal_jwt_claims c = {
	    "kid123",	   CTU_EMAIL,
	    HUB_CAL_SCOPE, "https://oauth2.googleapis.com/token",
	    1774000000,	   1774003600};
	char path[512], err[128], *jwt = NULL, cmd[1400];
	unsigned char buf[1024];
	const char *d1, *d2;
	long n;

	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	snprintf(path, sizeof(path), "%s/key.pem", g_dir);
	CHECK_INT(mbedtls_pk_parse_keyfile(&pk, path, NULL), 0);
	CHECK_INT(
	    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0),
	    0);
	CHECK_INT(hub_cal_jwt_sign(&pk, mbedtls_ctr_drbg_random, &drbg, &c,
				   &jwt, err, sizeof(err)),
		  0);
	CHECK(jwt != NULL);
	if (!jwt)
		goto out;
	d1 = strchr(jwt, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	CHECK(d1 && d2 && !strchr(d2 + 1, '.'));
	CHECK(strpbrk(jwt, "+/=") == NULL);
	if (!d2)
		goto out;
	n = b64url_dec(jwt, (size_t)(d1 - jwt), buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR((char *)buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":"
			       "\"kid123\"}");
	n = b64url_dec(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR((char *)buf,
		  "{\"iss\":\"" CTU_EMAIL
		  "\",\"scope\":\"https://www.googleapis."
		  "com/auth/calendar\",\"aud\":\"https://oauth2.googleapis.com/"
		  "token\",\"iat\":1774000000,\"exp\":1774003600}");
	/* verify the signature with openssl, not with our own code */
	n = b64url_dec(d2 + 1, strlen(d2 + 1), buf, sizeof(buf));
	CHECK_INT(n, 256);
	{
		FILE *fp;
		snprintf(path, sizeof(path), "%s/jwt.sig", g_dir);
		fp = fopen(path, "wb");
		if (fp) {
			fwrite(buf, 1, (size_t)n, fp);
			fclose(fp);
		}
		snprintf(path, sizeof(path), "%s/jwt.in", g_dir);
		fp = fopen(path, "wb");
		if (fp) {
			fwrite(jwt, 1, (size_t)(d2 - jwt), fp);
			fclose(fp);
		}
	}
	snprintf(cmd, sizeof(cmd),
		 "openssl dgst -sha256 -verify '%s/pub.pem' -signature "
		 "'%s/jwt.sig' '%s/jwt.in' >/dev/null 2>&1",
		 g_dir, g_dir, g_dir);
	CHECK_INT(system(cmd), 0);
	/* a changed byte no longer verifies */
	snprintf(cmd, sizeof(cmd),
		 "printf X >> '%s/jwt.in' && openssl dgst -sha256 -verify "
		 "'%s/pub.pem' -signature '%s/jwt.sig' '%s/jwt.in' >/dev/null "
		 "2>&1",
		 g_dir, g_dir, g_dir, g_dir);
	CHECK(system(cmd) != 0);
	/* claims are checked: exp beyond an hour is refused */
	free(jwt);
	jwt = NULL;
	c.exp = c.iat + 3601;
	CHECK_INT(hub_cal_jwt_sign(&pk, mbedtls_ctr_drbg_random, &drbg, &c,
				   &jwt, err, sizeof(err)),
		  -1);
out:
	free(jwt);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
}

/* ================================================================ quota */

static void test_quota_window(void)
{
	int s[4];
	int64_t t0;

	CHECK_INT(hub_cal_quota_setup(3, 300), 0);
	CHECK_INT(hub_cal_quota_limit(), 3);
	t0 = hub_cal_mono_ms();
	for (int i = 0; i < 3; i++)
		CHECK_INT(hub_cal_quota_acquire(t0 + 10, &s[i]), HUB_CAL_OK);
	CHECK_INT(hub_cal_quota_in_use(), 3);
	/* all three in flight: the fourth cannot have a place */
	CHECK_INT(hub_cal_quota_acquire(hub_cal_mono_ms() + 50, &s[3]),
		  HUB_CAL_EQUOTA);
	CHECK(hub_cal_mono_ms() - t0 >= 50);
	for (int i = 0; i < 3; i++)
		hub_cal_quota_release(s[i]);
	/* released but still inside the window */
	CHECK_INT(hub_cal_quota_in_use(), 3);
	t0 = hub_cal_mono_ms();
	CHECK_INT(hub_cal_quota_acquire(t0 + 2000, &s[3]), HUB_CAL_OK);
	/* a place frees one window after its release, not before */
	CHECK(hub_cal_mono_ms() - t0 >= 280);
	CHECK(hub_cal_mono_ms() - t0 < 1500);
	hub_cal_quota_release(s[3]);
	hub_cal_quota_release(s[3]); /* a double release is ignored */
	hub_cal_quota_release(-1);
	hub_cal_quota_teardown();
	CHECK_INT(hub_cal_quota_acquire(hub_cal_mono_ms() + 10, &s[0]),
		  HUB_CAL_EQUOTA);
	CHECK_INT(hub_cal_quota_setup(0, 300), -1);
}

int main(void)
{
	hub_time_init("Europe/Berlin");
	g_dir = ctu_tmpdir();
	if (!g_dir || ctu_make_key(g_dir, 2048) != 0) {
		fprintf(stderr, "cannot make a test key (openssl)\n");
		return 1;
	}
	test_b64url();
	test_event_id();
	test_when();
	test_events_page();
	test_events_bad();
	test_token_error();
	test_freebusy();
	test_creds_parse();
	test_creds_file();
	test_jwt();
	test_quota_window();
	hub_cal_shutdown();
	ctu_rmrf(g_dir);
	free(g_dir);
	return check_report("calendar.parse");
}
