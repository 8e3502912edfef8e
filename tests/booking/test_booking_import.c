/*
 * test_booking_import.c - `hubctl import-json DIR` with the old system's
 * booking files, checked through the API of a running hubd:
 *
 *   - bookings.jsonl: "Last, First ( Verschoben )" names, naive and offset
 *     timestamps, potential types (recall -> callback), a booking off
 *     today's grid, one on the DST Sunday, umlauts
 *   - outcomes.jsonl: several lines for one booking (the last wins),
 *     completed = appeared, an outcome for a booking missing from
 *     bookings.jsonl
 *   - blocked_dates.json: a custom block that then blocks the day
 *   - customers' history and risk from the imported outcomes
 *   - importing again changes nothing; an outcome set in the app since is
 *     kept; bad input fails with "file:line: reason" and imports nothing
 */
#define _GNU_SOURCE
#include "booking_http_util.h"
#include "check.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static hubproc H;
static bt_session alice, bob, root;

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Makes DIR with tracking/; returns 0 or -1. */
static int make_dir(const char *dir)
{
	char t[600];
	snprintf(t, sizeof(t), "%s/tracking", dir);
	return (mkdir(dir, 0700) == 0 && mkdir(t, 0700) == 0) ? 0 : -1;
}

/* Runs hubctl import-json DIR; returns the exit status, output in out. */
static int import(const char *dir, char *out, size_t outlen)
{
	const char *argv[] = {HUBCTL_PATH,   "-c", H.conf,
			      "import-json", dir,  NULL};
	return hubproc_run(argv, NULL, out, outlen);
}

static const char bookings_jsonl[] =
    "{\"id\":\"2025-01-13_09:00_Schäfer,_Jürgen\",\"timestamp\":"
    "\"2025-01-10T14:03:11.123456+01:00\",\"customer\":\"Schäfer, "
    "Jürgen\",\"date\":\"2025-01-13\",\"time\":\"09:00\",\"weekday\":"
    "\"Monday\",\"week_number\":3,\"user\":\"alice\",\"potential_type\":"
    "\"top\",\"color_id\":\"7\",\"description_length\":0,"
    "\"has_description\":false,\"booking_lead_time\":3,"
    "\"booked_at_hour\":14,\"booked_on_weekday\":\"Friday\"}\n"
    "{\"id\":\"2025-01-20_11:00_Schäfer,_Jürgen_(_Verschoben_)\","
    "\"timestamp\":\"2025-01-14T09:00:00\",\"customer\":\"Schäfer, Jürgen "
    "( Verschoben )\",\"date\":\"2025-01-20\",\"time\":\"11:00\","
    "\"user\":\"bob\",\"potential_type\":\"normal\",\"color_id\":\"2\"}\n"
    "\r\n"
    "{\"id\":\"2025-02-03_14:00_Schäfer,_Jürgen\",\"timestamp\":"
    "\"2025-01-30T16:45:00+01:00\",\"customer\":\"Schäfer, Jürgen\","
    "\"date\":\"2025-02-03\",\"time\":\"14:00\",\"user\":\"alice\","
    "\"potential_type\":\"recall\",\"color_id\":\"3\"}\n"
    "{\"id\":\"2025-02-10_12:30_Schäfer,_Jürgen\",\"timestamp\":"
    "\"2025-02-01T08:00:00+01:00\",\"customer\":\"Schäfer, Jürgen\","
    "\"date\":\"2025-02-10\",\"time\":\"12:30\",\"user\":\"alice\","
    "\"potential_type\":\"closer_needed\",\"color_id\":5}\n"
    "{\"id\":\"2025-03-03_16:00_Müller,_Hans\",\"timestamp\":"
    "\"2025-02-28T10:00:00\",\"customer\":\"Müller, Hans\",\"date\":"
    "\"2025-03-03\",\"time\":\"16:00\",\"user\":\"alice\","
    "\"potential_type\":\"normal\",\"color_id\":\"2\"}\n"
    "{\"id\":\"2025-03-30_03:00_Weiß,_Eva\",\"timestamp\":"
    "\"2025-03-20T10:00:00+01:00\",\"customer\":\"Weiß, Eva\",\"date\":"
    "\"2025-03-30\",\"time\":\"03:00\",\"user\":\"bob\","
    "\"potential_type\":\"normal\",\"color_id\":\"2\"}\n";

static const char outcomes_jsonl[] =
    "{\"id\":\"2025-01-13_09:00_Schäfer,_Jürgen\",\"timestamp\":"
    "\"2025-01-13T12:00:00+01:00\",\"customer\":\"Schäfer, Jürgen\","
    "\"date\":\"2025-01-13\",\"time\":\"09:00\",\"outcome\":\"completed\","
    "\"color_id\":\"7\",\"potential_type\":\"top\",\"checked_at\":"
    "\"2025-01-13T12:00:00+01:00\",\"description\":\"\"}\n"
    "{\"id\":\"2025-01-20_11:00_Schäfer,_Jürgen_(_Verschoben_)\","
    "\"customer\":\"Schäfer, Jürgen ( Verschoben )\",\"date\":"
    "\"2025-01-20\",\"time\":\"11:00\",\"outcome\":\"no_show\","
    "\"color_id\":\"11\",\"checked_at\":\"2025-01-20T14:00:00+01:00\"}\n"
    "{\"id\":\"2025-02-03_14:00_Schäfer,_Jürgen\",\"customer\":\"Schäfer, "
    "Jürgen\",\"date\":\"2025-02-03\",\"time\":\"14:00\",\"outcome\":"
    "\"no_show\",\"color_id\":\"11\",\"description\":\"Rückruf "
    "vereinbart\",\"alert\":\"3 no-shows\"}\n"
    "{\"id\":\"2025-02-10_12:30_Schäfer,_Jürgen\",\"customer\":\"Schäfer, "
    "Jürgen\",\"date\":\"2025-02-10\",\"time\":\"12:30\",\"outcome\":"
    "\"cancelled\",\"color_id\":\"6\"}\n"
    "{\"id\":\"2025-03-03_16:00_Müller,_Hans\",\"customer\":\"Müller, "
    "Hans\",\"date\":\"2025-03-03\",\"time\":\"16:00\",\"outcome\":"
    "\"completed\",\"color_id\":\"2\"}\n"
    /* checked again later: the last line wins (no_show) */
    "{\"id\":\"2025-01-13_09:00_Schäfer,_Jürgen\",\"timestamp\":"
    "\"2025-01-14T08:00:00+01:00\",\"customer\":\"Schäfer, Jürgen\","
    "\"date\":\"2025-01-13\",\"time\":\"09:00\",\"outcome\":\"no_show\","
    "\"color_id\":\"11\",\"checked_at\":\"2025-01-14T08:00:00+01:00\"}\n"
    /* not in bookings.jsonl */
    "{\"id\":\"2025-04-07_09:00_Neu,_Nina\",\"customer\":\"Neu, Nina\","
    "\"date\":\"2025-04-07\",\"time\":\"09:00\",\"outcome\":"
    "\"completed\",\"color_id\":\"2\",\"potential_type\":\"top\"}\n";

/* Items of GET /bookings in 2025 as s. *json owned. */
static int list_2025(const bt_session *s, const char *filter, cJSON **json)
{
	char path[160];
	long st;
	snprintf(path, sizeof(path),
		 "/api/v1/bookings?from=2025-01-01&to=2025-12-31&limit=1000%s",
		 filter);
	st = bt_req(&H, s, "GET", path, NULL, NULL, json, NULL);
	return st == 200
		   ? cJSON_GetArraySize(cJSON_GetObjectItem(*json, "items"))
		   : -1;
}

/* The item with legacy id `lid` in a list (borrowed). */
static cJSON *by_legacy(cJSON *list, const char *lid)
{
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
	{
		const char *l =
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "legacy_id"));
		if (l && !strcmp(l, lid))
			return it;
	}
	return NULL;
}

static const char *sv(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return s ? s : "";
}

int main(void)
{
	char dir[400], bad[400], out[4096], blocks[512], fdate[11], path[160];
	hub_date future;
	cJSON *j = NULL, *it;
	int rc, n;

	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (bt_start(&H, "Anna:anna@example.com", "") != 0)
		return 1;
	rc = bt_user_add(&H, "alice", "staff") |
	     bt_user_add(&H, "bob", "staff") | bt_user_add(&H, "root", "admin");
	if (rc == 0)
		rc = bt_login(&H, "alice", &alice) | bt_login(&H, "bob", &bob) |
		     bt_login(&H, "root", &root);
	CHECK_INT(rc, 0);

	/* the old data directory */
	future = bt_workday(hub_date_add(hub_date_today(), 5), BT_MON_THU);
	hub_date_format(future, fdate);
	snprintf(blocks, sizeof(blocks),
		 "{\n  \"custom_blocks\": {\n    \"%s\": {\"reason\": "
		 "\"Betriebsferien\", \"added_by\": \"chef\", \"added_at\": "
		 "\"2025-12-01T10:00:00\"}\n  }\n}\n",
		 fdate);
	snprintf(dir, sizeof(dir), "%s/old", H.dir);
	CHECK_INT(make_dir(dir), 0);
	CHECK_INT(write_file(dir, "tracking/bookings.jsonl", bookings_jsonl),
		  0);
	CHECK_INT(write_file(dir, "tracking/outcomes.jsonl", outcomes_jsonl),
		  0);
	CHECK_INT(write_file(dir, "blocked_dates.json", blocks), 0);

	rc = import(dir, out, sizeof(out));
	CHECK_INT(rc, 0);
	if (rc != 0)
		fprintf(stderr, "import: %s\n", out);

	/* everything is there, as it was */
	n = list_2025(&root, "", &j);
	CHECK_INT(n, 7);
	it = by_legacy(j, "2025-01-13_09:00_Schäfer,_Jürgen");
	CHECK(it != NULL);
	CHECK_STR(sv(it, "outcome"), "no_show"); /* the last line */
	CHECK_STR(sv(it, "category"), "top");
	CHECK_STR(sv(it, "booked_by"), "alice");
	CHECK_STR(sv(it, "start"), "2025-01-13T09:00:00+01:00");
	CHECK_STR(sv(it, "created_at"), "2025-01-10T14:03:11+01:00");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(it, "imported")));
	it = by_legacy(j, "2025-01-20_11:00_Schäfer,_Jürgen_(_Verschoben_)");
	CHECK_STR(sv(it, "last_name"), "Schäfer");
	CHECK_STR(sv(it, "first_name"), "Jürgen");
	CHECK_STR(sv(it, "booked_by"), "bob");
	/* naive timestamps are business-zone wall time */
	CHECK_STR(sv(it, "created_at"), "2025-01-14T09:00:00+01:00");
	it = by_legacy(j, "2025-02-03_14:00_Schäfer,_Jürgen");
	CHECK_STR(sv(it, "category"), "callback");
	CHECK_STR(sv(it, "description"), "Rückruf vereinbart");
	it = by_legacy(j, "2025-02-10_12:30_Schäfer,_Jürgen");
	CHECK_STR(sv(it, "start"), "2025-02-10T12:30:00+01:00"); /* off grid */
	CHECK_STR(sv(it, "status"), "cancelled");
	CHECK_STR(sv(it, "outcome"), "cancelled");
	it = by_legacy(j, "2025-03-30_03:00_Weiß,_Eva");
	CHECK_STR(sv(it, "start"), "2025-03-30T03:00:00+02:00"); /* DST day */
	CHECK_STR(sv(it, "outcome"), "pending");
	it = by_legacy(j, "2025-04-07_09:00_Neu,_Nina");
	CHECK_STR(sv(it, "outcome"), "appeared");
	CHECK_STR(sv(it, "start"), "2025-04-07T09:00:00+02:00");
	it = by_legacy(j, "2025-03-03_16:00_Müller,_Hans");
	CHECK_STR(sv(it, "outcome"), "appeared");
	double mueller = it ? cJSON_GetObjectItem(it, "id")->valuedouble : 0;
	cJSON_Delete(j);

	/* staff see their imported history as their own ("mine") */
	CHECK_INT(list_2025(&bob, "&mine=1", &j), 2);
	cJSON_Delete(j);
	CHECK_INT(list_2025(&alice, "&mine=1", &j), 4);
	cJSON_Delete(j);
	/* and everyone's without the filter */
	CHECK_INT(list_2025(&bob, "", &j), 7);
	cJSON_Delete(j);

	/* the customer's record: 4 bookings, 3 no-shows: high risk */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers?q=sch%C3%A4fer",
			 NULL, NULL, &j, NULL),
		  200);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	CHECK_STR(sv(it, "name"), "Schäfer, Jürgen");
	CHECK_INT(cJSON_GetObjectItem(it, "bookings")->valueint, 4);
	CHECK_INT(cJSON_GetObjectItem(it, "no_show")->valueint, 3);
	CHECK_INT(cJSON_GetObjectItem(it, "cancelled")->valueint, 1);
	CHECK_INT(cJSON_GetObjectItem(it, "appeared")->valueint, 0);
	CHECK_STR(sv(it, "risk"), "high");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(it, "history")), 4);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers?q=Hans", NULL,
			 NULL, &j, NULL),
		  200);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
	CHECK_STR(sv(it, "risk"), "none");
	CHECK_INT(cJSON_GetObjectItem(it, "appeared")->valueint, 1);
	cJSON_Delete(j);

	/* the imported block blocks its day */
	snprintf(path, sizeof(path), "/api/v1/slots?from=%s&to=%s", fdate,
		 fdate);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, &j, NULL), 200);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "days"), 0);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(it, "blocked")));
	CHECK_STR(sv(it, "reason"), "Betriebsferien");
	cJSON_Delete(j);

	/* an outcome decided in the app since the import */
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/outcome", mueller);
	CHECK_INT(bt_req(&H, &root, "POST", path, "{\"outcome\":\"no_show\"}",
			 NULL, NULL, NULL),
		  200);

	/* importing again changes nothing */
	CHECK_INT(import(dir, out, sizeof(out)), 0);
	n = list_2025(&root, "", &j);
	CHECK_INT(n, 7);
	it = by_legacy(j, "2025-03-03_16:00_Müller,_Hans");
	CHECK_STR(sv(it, "outcome"), "no_show");
	CHECK_STR(sv(it, "outcome_source"), "app");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f", mueller);
	CHECK_INT(bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL), 200);
	/* imported once, outcome once: no second "imported" entry */
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "history")), 2);
	cJSON_Delete(j);

	/* bad input: one line, named, and nothing imported */
	snprintf(bad, sizeof(bad), "%s/bad1", H.dir);
	CHECK_INT(make_dir(bad), 0);
	write_file(bad, "tracking/bookings.jsonl",
		   "{\"id\":\"2025-05-05_09:00_Neu,_Otto\",\"customer\":\"Neu, "
		   "Otto\",\"date\":\"2025-05-05\",\"time\":\"09:00\"}\n"
		   "{\"id\": \"broken\",\n");
	CHECK_INT(import(bad, out, sizeof(out)), 1);
	CHECK(strstr(out, "tracking/bookings.jsonl:2:") != NULL);
	CHECK_INT(list_2025(&root, "", &j), 7);
	cJSON_Delete(j);

	snprintf(bad, sizeof(bad), "%s/bad2", H.dir);
	CHECK_INT(make_dir(bad), 0);
	write_file(
	    bad, "tracking/outcomes.jsonl",
	    "{\"id\":\"x\",\"customer\":\"A, B\",\"date\":\"2025-05-05\","
	    "\"time\":\"09:00\",\"outcome\":\"maybe\"}\n");
	CHECK_INT(import(bad, out, sizeof(out)), 1);
	CHECK(strstr(out, "tracking/outcomes.jsonl:1:") != NULL);
	CHECK(strstr(out, "maybe") != NULL);

	snprintf(bad, sizeof(bad), "%s/bad3", H.dir);
	CHECK_INT(make_dir(bad), 0);
	write_file(bad, "blocked_dates.json",
		   "{\"custom_blocks\": {\n \"2025-06-01\": {\"reason\": "
		   "\"ok\"},\n \"2025-13-01\": {\"reason\": \"x\"}}}\n");
	CHECK_INT(import(bad, out, sizeof(out)), 1);
	CHECK(strstr(out, "blocked_dates.json:3:") != NULL);

	snprintf(bad, sizeof(bad), "%s/bad4", H.dir);
	CHECK_INT(make_dir(bad), 0);
	write_file(
	    bad, "tracking/bookings.jsonl",
	    "{\"id\":\"a\",\"customer\":\"A, B\",\"date\":\"2025-03-30\","
	    "\"time\":\"02:30\"}\n");
	CHECK_INT(import(bad, out, sizeof(out)), 1);
	CHECK(strstr(out, "tracking/bookings.jsonl:1:") != NULL);
	CHECK(strstr(out, "DST") != NULL);
	CHECK_INT(list_2025(&root, "", &j), 7);
	cJSON_Delete(j);

	CHECK_INT(hubproc_stop(&H, 15), 0);
	if (check_failed == 0)
		hubproc_cleanup(&H);
	else
		fprintf(stderr, "kept %s for inspection\n", H.dir);
	curl_global_cleanup();
	return check_report("booking_import");
}
