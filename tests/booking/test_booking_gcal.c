/*
 * test_booking_gcal.c - the booking module with the google calendar
 * backend, end to end: hubd talks to a fake Google Calendar API
 * (tests/calendar/fake_gcal) on loopback.
 *
 *   - availability from consultants' calendars (the marker rule: "T1
 *     bereit" events, a blocking appointment, a non-blocking colour) and
 *     from a weekly plan (plan.NAME), as GET /slots reports it
 *   - a booking becomes a central calendar event through the outbox:
 *     summary "Last, First", description + blank line + "[Booked by:
 *     USER]", offsets, colorId of the category; cancelling recolours it
 *   - the outcome sync reads colours of ended events back (11 no_show,
 *     2/7 appeared, 6 cancelled, others pending) for imported bookings
 *     (matched by start and customer) and by hub_key; app outcomes win
 */
#define _GNU_SOURCE
#include "booking_http_util.h"
#include "cal_test_util.h"
#include "check.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CENTRAL "central@group.calendar.google.com"
#define ANNA	"anna@group.calendar.google.com"
#define BEN	"ben@group.calendar.google.com"

static hubproc H;
static fake_gcal *G;
static bt_session alice, root;
static hub_date D, P1, P2;

static void at(hub_date d, int hh, int mm, char *out)
{
	bt_slot(d, hh, mm, out);
}

/* The names in a slot's consultants array as "A,B". */
static void names(const cJSON *slot, char *out, size_t n)
{
	const cJSON *it;
	size_t o = 0;
	out[0] = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(slot, "consultants")) o +=
	    (size_t)snprintf(out + o, n - o, "%s%s", o ? "," : "",
			     it->valuestring);
}

/* GET /slots for D; the slot at hh:00 (borrowed from *doc). */
static cJSON *slot_of(cJSON *doc, int hh)
{
	char want[40];
	cJSON *s;
	at(D, hh, 0, want);
	cJSON_ArrayForEach(
	    s, cJSON_GetObjectItem(
		   cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "days"), 0),
		   "slots"))
	{
		if (!strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(s, "start")),
			want))
			return s;
	}
	return NULL;
}

static void test_availability(void)
{
	char path[128], d[11], n[128];
	cJSON *doc = NULL, *s;
	int tries;

	hub_date_format(D, d);
	snprintf(path, sizeof(path), "/api/v1/slots?from=%s&to=%s", d, d);
	/* the first request names the calendars; the mirror fills soon */
	for (tries = 0; tries < 100; tries++) {
		cJSON_Delete(doc);
		doc = NULL;
		bt_req(&H, &alice, "GET", path, NULL, NULL, &doc, NULL);
		s = slot_of(doc, 11);
		names(s, n, sizeof(n));
		if (!strcmp(n, "Anna,Ben"))
			break;
		usleep(200000);
	}
	printf("availability: mirror ready after %.1f s\n", tries * 0.2);
	/* 09:00: Anna's dentist (colour 9) blocks; override 1 place */
	s = slot_of(doc, 9);
	names(s, n, sizeof(n));
	CHECK_STR(n, "Ben");
	CHECK_INT(cJSON_GetObjectItem(s, "capacity")->valueint, 1);
	/* 11:00: Anna's marker until 13:00; Ben's lunch is colour 4 */
	s = slot_of(doc, 11);
	names(s, n, sizeof(n));
	CHECK_STR(n, "Anna,Ben");
	CHECK_INT(cJSON_GetObjectItem(s, "capacity")->valueint, 6);
	/* 14:00 and 16:00: Cora's plan (14:00-18:00) */
	s = slot_of(doc, 14);
	names(s, n, sizeof(n));
	CHECK_STR(n, "Ben,Cora");
	s = slot_of(doc, 16);
	names(s, n, sizeof(n));
	CHECK_STR(n, "Ben,Cora");
	/* 18:00: Ben only; 20:00: Ben with the 20:00 override of 2 */
	s = slot_of(doc, 18);
	names(s, n, sizeof(n));
	CHECK_STR(n, "Ben");
	CHECK_INT(cJSON_GetObjectItem(s, "capacity")->valueint, 3);
	s = slot_of(doc, 20);
	CHECK_INT(cJSON_GetObjectItem(s, "capacity")->valueint, 2);
	cJSON_Delete(doc);
}

/* The fake's copy of the central event of booking id, or NULL. */
static cJSON *central_event(double id)
{
	char key[64], eid[HUB_CAL_EVENT_ID_LEN];
	char *txt;
	cJSON *j;
	snprintf(key, sizeof(key), "booking-%.0f", id);
	hub_cal_event_id_for(key, eid);
	txt = fake_gcal_event_json(G, CENTRAL, eid);
	j = txt ? cJSON_Parse(txt) : NULL;
	free(txt);
	return j;
}

static const char *sv(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return s ? s : "";
}

static void test_outbox(void)
{
	char s[40], body[512], path[128];
	cJSON *j = NULL, *ev = NULL;
	double id;
	int tries;

	at(D, 11, 0, s);
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"Jürgen\",\"last_name\":"
		 "\"Schäfer\",\"description\":\"Erstgespräch\\nRückfragen\","
		 "\"category\":\"top\",\"consultant\":\"Anna\"}",
		 s);
	CHECK_INT(bt_req(&H, &alice, "POST", "/api/v1/bookings", body, NULL, &j,
			 NULL),
		  201);
	id = j ? cJSON_GetObjectItem(j, "id")->valuedouble : 0;
	cJSON_Delete(j);
	for (tries = 0; tries < 150 && !ev; tries++) {
		ev = central_event(id);
		if (!ev)
			usleep(200000);
	}
	printf("outbox: event delivered after %.1f s\n", tries * 0.2);
	CHECK(ev != NULL);
	CHECK_STR(sv(ev, "summary"), "Schäfer, Jürgen");
	CHECK_STR(sv(ev, "description"),
		  "Erstgespräch\nRückfragen\n\n[Booked by: alice]");
	CHECK_STR(sv(ev, "colorId"), "7");
	CHECK_STR(sv(cJSON_GetObjectItem(ev, "start"), "dateTime"), s);
	at(D, 13, 0, s);
	CHECK_STR(sv(cJSON_GetObjectItem(ev, "end"), "dateTime"), s);
	CHECK_STR(sv(cJSON_GetObjectItem(ev, "start"), "timeZone"),
		  "Europe/Berlin");
	cJSON_Delete(ev);

	/* cancelling keeps the event, coloured "cancelled" (6) */
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/cancel", id);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"reason\":\"krank\"}",
			 NULL, NULL, NULL),
		  200);
	for (tries = 0; tries < 150; tries++) {
		ev = central_event(id);
		if (ev && !strcmp(sv(ev, "colorId"), "6"))
			break;
		cJSON_Delete(ev);
		ev = NULL;
		usleep(200000);
	}
	CHECK(ev != NULL);
	cJSON_Delete(ev);
}

/* Writes the old system's files with four past bookings. */
static int write_legacy(const char *dir)
{
	char path[600], line[512], d1[11], d2[11];
	FILE *f;
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/tracking", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tracking/bookings.jsonl", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	hub_date_format(P1, d1);
	hub_date_format(P2, d2);
	const struct {
		const char *id, *cust, *date, *time;
	} rows[] = {{"legacy-1", "Schäfer, Jürgen", d1, "09:00"},
		    {"legacy-2", "Müller, Hans", d1, "11:00"},
		    {"legacy-3", "Weiß, Eva", d2, "14:00"},
		    {"legacy-4", "Neu, Nina", d2, "16:00"},
		    {"legacy-5", "Alt, Anton", d2, "09:00"}};
	for (size_t i = 0; i < 5; i++) {
		snprintf(line, sizeof(line),
			 "{\"id\":\"%s\",\"customer\":\"%s\",\"date\":\"%s\","
			 "\"time\":\"%s\",\"user\":\"alice\","
			 "\"potential_type\":\"normal\",\"color_id\":\"2\"}\n",
			 rows[i].id, rows[i].cust, rows[i].date, rows[i].time);
		fputs(line, f);
	}
	return fclose(f);
}

/* The item with legacy id lid (borrowed), from GET /bookings of P2..P1. */
static cJSON *legacy(cJSON *list, const char *lid)
{
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
	{
		if (!strcmp(sv(it, "legacy_id"), lid))
			return it;
	}
	return NULL;
}

static cJSON *past_list(void)
{
	char path[160], a[11], b[11];
	cJSON *j = NULL;
	hub_date_format(P2, a);
	hub_date_format(P1, b);
	snprintf(path, sizeof(path), "/api/v1/bookings?from=%s&to=%s", a, b);
	bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL);
	return j;
}

static void test_outcome_sync(void)
{
	char dir[400], out[2048], s0[40], s1[40], path[160], ev[512];
	const char *argv[] = {HUBCTL_PATH,   "-c", H.conf,
			      "import-json", dir,  NULL};
	cJSON *list, *it;
	double l4 = 0, l5 = 0;
	int tries;

	snprintf(dir, sizeof(dir), "%s/old", H.dir);
	CHECK_INT(write_legacy(dir), 0);
	CHECK_INT(hubproc_run(argv, NULL, out, sizeof(out)), 0);
	list = past_list();
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 5);
	it = legacy(list, "legacy-4");
	l4 = it ? cJSON_GetObjectItem(it, "id")->valuedouble : 0;
	it = legacy(list, "legacy-5");
	l5 = it ? cJSON_GetObjectItem(it, "id")->valuedouble : 0;
	cJSON_Delete(list);
	/* legacy-4: decided in the app before the calendar says otherwise */
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/outcome", l4);
	CHECK_INT(bt_req(&H, &root, "POST", path, "{\"outcome\":\"appeared\"}",
			 NULL, NULL, NULL),
		  200);

	/* the central calendar as the consultants left it */
	at(P1, 9, 0, s0);
	at(P1, 11, 0, s1);
	fake_gcal_add(G, CENTRAL, "old1", "Schäfer, Jürgen", s0, s1, "11");
	at(P1, 13, 0, s0);
	fake_gcal_add(G, CENTRAL, "old2", "Müller, Hans ( Verschoben )", s1, s0,
		      "7");
	at(P2, 14, 0, s0);
	at(P2, 16, 0, s1);
	fake_gcal_add(G, CENTRAL, "old3", "Weiß, Eva", s0, s1, "5");
	at(P2, 18, 0, s0);
	fake_gcal_add(G, CENTRAL, "old4", "Neu, Nina", s1, s0, "11");
	/* an event the hub wrote, found by its hub_key */
	at(P2, 9, 0, s0);
	at(P2, 11, 0, s1);
	snprintf(ev, sizeof(ev),
		 "{\"id\":\"old5\",\"summary\":\"renamed by hand\",\"start\":"
		 "{\"dateTime\":\"%s\"},\"end\":{\"dateTime\":\"%s\"},"
		 "\"colorId\":\"6\",\"extendedProperties\":{\"private\":"
		 "{\"hub_key\":\"booking-%.0f\"}}}",
		 s0, s1, l5);
	fake_gcal_put_event(G, CENTRAL, ev);

	for (tries = 0; tries < 150; tries++) {
		list = past_list();
		it = legacy(list, "legacy-1");
		if (it && !strcmp(sv(it, "outcome"), "no_show") &&
		    !strcmp(sv(legacy(list, "legacy-5"), "outcome"),
			    "cancelled"))
			break;
		cJSON_Delete(list);
		list = NULL;
		usleep(200000);
	}
	printf("outcome sync: applied after %.1f s\n", tries * 0.2);
	CHECK(list != NULL);
	it = legacy(list, "legacy-1");
	CHECK_STR(sv(it, "outcome"), "no_show");
	CHECK_STR(sv(it, "outcome_source"), "calendar");
	it = legacy(list, "legacy-2");
	CHECK_STR(sv(it, "outcome"), "appeared");
	it = legacy(list, "legacy-3");
	CHECK_STR(sv(it, "outcome"), "pending"); /* colour 5 says nothing */
	it = legacy(list, "legacy-4");
	CHECK_STR(sv(it, "outcome"), "appeared"); /* the app's word */
	CHECK_STR(sv(it, "outcome_source"), "app");
	it = legacy(list, "legacy-5");
	CHECK_STR(sv(it, "outcome"), "cancelled");
	CHECK_STR(sv(it, "status"), "cancelled");
	cJSON_Delete(list);

	/* the module's health check reports the sync */
	{
		cJSON *h = NULL, *b;
		bt_req(&H, NULL, "GET", "/health", NULL, NULL, &h, NULL);
		b = cJSON_GetObjectItem(cJSON_GetObjectItem(h, "checks"),
					"booking");
		CHECK(b != NULL);
		CHECK(strstr(sv(b, "detail"), "outcome sync ok") != NULL);
		cJSON_Delete(h);
	}
}

int main(void)
{
	char *dir, key[300], pub[300], creds[300], conf[4096];
	char s0[40], s1[40];
	hub_date today;
	int rc;

	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	today = hub_date_today();
	D = bt_workday(hub_date_add(today, 3), BT_MON_THU);
	P1 = hub_date_add(today, -2);
	while (hub_date_weekday(P1) > 4 || booking_holiday_name("NW", P1))
		P1 = hub_date_add(P1, -1);
	P2 = hub_date_add(P1, -1);
	while (hub_date_weekday(P2) > 4 || booking_holiday_name("NW", P2))
		P2 = hub_date_add(P2, -1);

	dir = ctu_tmpdir();
	if (!dir || ctu_make_key(dir, 2048) != 0)
		return 1;
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	snprintf(creds, sizeof(creds), "%s/creds.json", dir);
	G = fake_gcal_start(pub, CTU_EMAIL);
	if (!G || ctu_write_creds(creds, key, fake_gcal_token_uri(G)) != 0)
		return 1;
	fake_gcal_add_calendar(G, CENTRAL);
	fake_gcal_add_calendar(G, ANNA);
	fake_gcal_add_calendar(G, BEN);
	at(D, 8, 0, s0);
	at(D, 13, 0, s1);
	fake_gcal_add(G, ANNA, "m1", "T1 bereit", s0, s1, NULL);
	at(D, 10, 0, s0);
	at(D, 10, 30, s1);
	fake_gcal_add(G, ANNA, "z1", "Zahnarzt", s0, s1, "9");
	at(D, 0, 0, s0);
	at(hub_date_add(D, 1), 0, 0, s1);
	fake_gcal_add(G, BEN, "m2", "T1 Bereit - Büro", s0, s1, "1");
	at(D, 12, 0, s0);
	at(D, 13, 0, s1);
	fake_gcal_add(G, BEN, "l1", "Mittag", s0, s1, "4");

	snprintf(conf, sizeof(conf),
		 "[server]\nlisten = 127.0.0.1:%%PORT%%\ndata_dir = %%DATA%%\n"
		 "module_dir = %%MODULES%%\nthreads = 16\nbootstrap_admin = "
		 "false\n"
		 /* the jobs' turns are logged at debug: a failed run keeps
		  * its directory, and the log then shows what each job did */
		 "log_level = debug\n"
		 "[calendar]\nbackend = google\napi_base = %s\n"
		 "credentials_file = %s\ncentral_calendar_id = %s\n"
		 "sync_interval_s = 10\nquota_per_minute = 1000\n"
		 "[ratelimit]\nlogin = 100/min\nlogin_account = "
		 "100/min\nbooking = 1000/min\napi = "
		 "10000/min\nadmin = 1000/min\n"
		 "[module.health]\npath = health.so\n"
		 "[module.booking]\npath = booking.so\n"
		 "consultants = Anna:%s,Ben:%s,Cora\n"
		 "plan.Cora = mon-thu 14:00-18:00\n"
		 "slots_cache_s = 0\noutcome_sync_interval_s = 1\n",
		 fake_gcal_api_base(G), creds, CENTRAL, ANNA, BEN);
	if (hubproc_start(&H, conf, NULL) != 0)
		return 1;
	rc = bt_user_add(&H, "alice", "staff") |
	     bt_user_add(&H, "root", "admin");
	if (rc == 0)
		rc =
		    bt_login(&H, "alice", &alice) | bt_login(&H, "root", &root);
	CHECK_INT(rc, 0);
	if (rc == 0) {
		test_availability();
		test_outbox();
		test_outcome_sync();
	}
	CHECK_INT(hubproc_stop(&H, 15), 0);
	if (check_failed == 0)
		hubproc_cleanup(&H);
	else
		fprintf(stderr, "kept %s for inspection\n", H.dir);
	fake_gcal_stop(G);
	ctu_rmrf(dir);
	free(dir);
	curl_global_cleanup();
	return check_report("booking_gcal");
}
