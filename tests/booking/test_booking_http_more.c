/*
 * test_booking_http_more.c - the later groups of the booking API test
 * (see test_booking_http.c): slot_full alternatives, cancel / reschedule /
 * outcome with history, lists and paging per role, the consultant role,
 * customers, blocked dates and the CSV export.
 */
#define _GNU_SOURCE
#include "check.h"
#include "test_booking_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ====================================================== full + changes */

void test_full_and_alternatives(void)
{
	char s[40], b[512], want[40];
	cJSON *j = NULL, *alt;

	/* D1 11:00 is full now (test_concurrency) */
	bt_slot(D1, 11, 0, s);
	body_for(b, sizeof(b), s, "Zuviel");
	CHECK_INT(
	    bt_req(&H, &alice, "POST", "/api/v1/bookings", b, NULL, &j, NULL),
	    409);
	CHECK_STR(bt_err_code(j), "slot_full");
	alt = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"),
				  "alternatives");
	CHECK(cJSON_IsArray(alt));
	CHECK_INT(cJSON_GetArraySize(alt), 5);
	/* same day, nearest first: 09:00 (2h before, 2 places) ties with
	 * 14:00 (3h after)? no: 09:00 is 2 h away, 14:00 3 h */
	bt_slot(D1, 9, 0, want);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(alt, 0)), want);
	bt_slot(D1, 14, 0, want);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(alt, 1)), want);
	cJSON_Delete(j);
}

void test_changes(void)
{
	char s[40], s2[40], b[512], path[128];
	cJSON *j = NULL;
	int64_t id = 0, other = 0;

	bt_slot(D2, 14, 0, s);
	CHECK_INT(book(&alice, s, "Wechsel", &id), 201);
	CHECK_INT(book(&bob, s, "Fremd", &other), 201);
	/* a colleague's booking: staff see and change every booking */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld", (long long)other);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, NULL, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/outcome",
		 (long long)other);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"outcome\":\"pending\"}",
			 NULL, NULL, NULL),
		  200);
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/bookings/999999", NULL,
			 NULL, NULL, NULL),
		  404);
	/* reschedule: a full slot, then a free one */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/reschedule",
		 (long long)id);
	bt_slot(D2, 9, 0, s2); /* full since test_precedence */
	snprintf(b, sizeof(b), "{\"start\":\"%s\"}", s2);
	CHECK_INT(bt_req(&H, &alice, "POST", path, b, NULL, &j, NULL), 409);
	CHECK_STR(bt_err_code(j), "slot_full");
	cJSON_Delete(j);
	snprintf(b, sizeof(b), "{\"start\":\"%s\"}", s);
	CHECK_INT(bt_req(&H, &alice, "POST", path, b, NULL, &j, NULL), 422);
	cJSON_Delete(j);
	bt_slot(D2, 18, 0, s2);
	snprintf(b, sizeof(b), "{\"start\":\"%s\"}", s2);
	CHECK_INT(bt_req(&H, &alice, "POST", path, b, NULL, &j, NULL), 200);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "start")), s2);
	cJSON_Delete(j);
	CHECK_INT(slot_int(s2, "booked"), 1);
	/* outcome: invalid, not yet started */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/outcome",
		 (long long)id);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"outcome\":\"great\"}",
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'outcome'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"outcome\":\"no_show\"}",
			 NULL, NULL, NULL),
		  422);
	/* cancel: reason required, then cancelled, then 409 */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/cancel",
		 (long long)id);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{}", NULL, &j, NULL), 422);
	CHECK(strstr(bt_err_msg(j), "'reason'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "POST", path,
			 "{\"reason\":\"Kunde krank\"}", NULL, &j, NULL),
		  200);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")),
		  "cancelled");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "outcome")),
		  "cancelled");
	cJSON_Delete(j);
	CHECK_INT(slot_int(s2, "booked"), 0);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"reason\":\"again\"}",
			 NULL, NULL, NULL),
		  409);
	/* history kept: created, rescheduled, cancelled */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld", (long long)id);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, &j, NULL), 200);
	{
		cJSON *h = cJSON_GetObjectItem(j, "history");
		CHECK_INT(cJSON_GetArraySize(h), 3);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			      cJSON_GetArrayItem(h, 1), "action")),
			  "rescheduled");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			      cJSON_GetArrayItem(h, 2), "action")),
			  "cancelled");
	}
	cJSON_Delete(j);
	/* back to pending re-books the (free) slot */
	snprintf(path, sizeof(path), "/api/v1/bookings/%lld/outcome",
		 (long long)id);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"outcome\":\"pending\"}",
			 NULL, &j, NULL),
		  200);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")),
		  "booked");
	cJSON_Delete(j);
	CHECK_INT(slot_int(s2, "booked"), 1);
}

/* =============================================================== lists */

/* Counts items of GET path as s, following next_cursor with limit 3;
 * checks that no id repeats. */
static int count_all(const bt_session *s, const char *query)
{
	char path[512], cursor[64] = "";
	int n = 0, pages = 0;
	double last_id = 0;
	for (;;) {
		cJSON *j = NULL, *it;
		const char *next;
		snprintf(path, sizeof(path), "/api/v1/bookings?limit=3%s%s%s",
			 query, cursor[0] ? "&cursor=" : "", cursor);
		if (bt_req(&H, s, "GET", path, NULL, NULL, &j, NULL) != 200) {
			cJSON_Delete(j);
			return -1;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
		{
			double id = cJSON_GetObjectItem(it, "id")->valuedouble;
			CHECK(id != last_id);
			last_id = id;
			n++;
		}
		next =
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "next_cursor"));
		pages++;
		if (!next || pages > 100) {
			cJSON_Delete(j);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", next);
		cJSON_Delete(j);
	}
	return n;
}

void test_lists(void)
{
	cJSON *j = NULL, *it;
	int a, b, all, mine_root;

	a = count_all(&alice, "&mine=1");
	b = count_all(&bob, "&mine=1");
	all = count_all(&root, "");
	mine_root = count_all(&root, "&mine=1");
	/* bob: Voll1, Voll2, the idempotent one, Fremd, and 0-5 racers */
	CHECK(b >= 4);
	CHECK(a >= 4);
	CHECK_INT(all, a + b);
	CHECK_INT(mine_root, 0);
	/* staff see every booking; "mine" is a filter */
	CHECK_INT(count_all(&alice, ""), all);
	CHECK_INT(bt_req(&H, &alice, "GET",
			 "/api/v1/bookings?limit=1000&mine=1", NULL, NULL, &j,
			 NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) CHECK_STR(
	    cJSON_GetStringValue(cJSON_GetObjectItem(it, "booked_by")),
	    "alice");
	cJSON_Delete(j);
	/* filters */
	CHECK_INT(count_all(&root, "&outcome=cancelled") >= 0, 1);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/bookings?outcome=maybe",
			 NULL, NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/bookings?limit=0", NULL,
			 NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/bookings?limit=1001", NULL,
			 NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/bookings?cursor=zzz", NULL,
			 NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/bookings?consultant=Nobody",
			 NULL, NULL, NULL, NULL),
		  422);
	{
		char q[64], d[11];
		hub_date_format(D1, d);
		snprintf(q, sizeof(q), "&from=%s&to=%s", d, d);
		/* D1: 11:00 full (6), 16:00 (2 idempotency), + 09:00? */
		CHECK(count_all(&root, q) >= 8);
	}
}

/* ====================================================== consultant role */

/* A consultant linked to Anna's record sees the bookings assigned to
 * Anna, may record their outcome, and sees no one else's. */
void test_consultant_role(void)
{
	bt_session carl;
	char s[40], b[512], path[128];
	cJSON *j = NULL, *it;
	double anna = 0, mine_id = 0, other_id = 0;
	int seen_other = 0, n = 0;

	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/consultants", NULL, NULL,
			 &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		if (!strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
			"Anna"))
			anna = cJSON_GetObjectItem(it, "id")->valuedouble;
	}
	cJSON_Delete(j);
	CHECK(anna > 0);
	if (bt_user_add(&H, "carl", "consultant") != 0)
		return;
	snprintf(b, sizeof(b), "{\"consultant_id\":%.0f}", anna);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/users/carl", b,
			 NULL, NULL, NULL),
		  200);
	if (bt_login(&H, "carl", &carl) != 0)
		return;
	bt_slot(D4, 11, 0, s);
	snprintf(b, sizeof(b),
		 "{\"start\":\"%s\",\"first_name\":\"Ida\",\"last_name\":"
		 "\"Annas\",\"consultant\":\"Anna\"}",
		 s);
	CHECK_INT(
	    bt_req(&H, &alice, "POST", "/api/v1/bookings", b, NULL, &j, NULL),
	    201);
	mine_id = j ? cJSON_GetObjectItem(j, "id")->valuedouble : 0;
	cJSON_Delete(j);
	/* a booking assigned to someone else ("any" ones are assigned) */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/bookings?limit=1000", NULL,
			 NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		const char *c =
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "consultant"));
		if (!other_id && (!c || strcmp(c, "Anna") != 0))
			other_id = cJSON_GetObjectItem(it, "id")->valuedouble;
	}
	cJSON_Delete(j);
	CHECK(other_id > 0);
	/* the list: only Anna's */
	CHECK_INT(bt_req(&H, &carl, "GET", "/api/v1/bookings?limit=1000", NULL,
			 NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		n++;
		if (strcmp(cJSON_GetStringValue(
			       cJSON_GetObjectItem(it, "consultant")),
			   "Anna") != 0)
			seen_other++;
	}
	cJSON_Delete(j);
	CHECK(n >= 1);
	CHECK_INT(seen_other, 0);
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f", mine_id);
	CHECK_INT(bt_req(&H, &carl, "GET", path, NULL, NULL, NULL, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f", other_id);
	CHECK_INT(bt_req(&H, &carl, "GET", path, NULL, NULL, NULL, NULL), 403);
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/outcome", mine_id);
	CHECK_INT(bt_req(&H, &carl, "POST", path, "{\"outcome\":\"pending\"}",
			 NULL, NULL, NULL),
		  200);
	/* no admin routes */
	CHECK_INT(bt_req(&H, &carl, "GET", "/api/v1/admin/blocked-dates", NULL,
			 NULL, NULL, NULL),
		  403);
}

/* =========================================================== customers */

void test_customers(void)
{
	cJSON *j = NULL, *c;
	char s[40];

	bt_slot(D4, 9, 0, s);
	{
		char b[256];
		snprintf(b, sizeof(b),
			 "{\"start\":\"%s\",\"first_name\":\"Jürgen\","
			 "\"last_name\":\"Schäfer\"}",
			 s);
		CHECK_INT(bt_req(&H, &alice, "POST", "/api/v1/bookings", b,
				 NULL, NULL, NULL),
			  201);
	}
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers?q=s", NULL, NULL,
			 &j, NULL),
		  422);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers", NULL, NULL,
			 NULL, NULL),
		  422);
	/* case and umlauts folded: "SCHAFER" finds Schäfer */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers?q=SCHAFER", NULL,
			 NULL, &j, NULL),
		  200);
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "name")),
		  "Schäfer, Jürgen");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "risk")), "none");
	CHECK(cJSON_GetObjectItem(c, "bookings")->valueint >= 1);
	cJSON_Delete(j);
	/* "Last, First" typed with umlauts in the query */
	CHECK_INT(bt_req(&H, &alice, "GET",
			 "/api/v1/customers?q=Sch%C3%A4fer,%20J%C3%BCr", NULL,
			 NULL, &j, NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	cJSON_Delete(j);
	/* LIKE wildcards in the query are literal */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/customers?q=%25%25", NULL,
			 NULL, &j, NULL),
		  200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 0);
	cJSON_Delete(j);
}

/* =============================================================== admin */

void test_admin(void)
{
	cJSON *j = NULL, *it;
	char b[256], path[128], date[11];
	int year = hub_date_today().y, holidays = 0, custom = 0;
	http_res res;

	hub_date_format(D4, date);
	/* a single slot */
	snprintf(
	    b, sizeof(b),
	    "{\"date\":\"%s\",\"reason\":\"Teammeeting\",\"time\":\"18:00\"}",
	    date);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", b,
			 NULL, &j, NULL),
		  201);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", b,
			 NULL, &j, NULL),
		  409);
	CHECK_STR(bt_err_code(j), "exists");
	cJSON_Delete(j);
	{
		char s[40];
		bt_slot(D4, 18, 0, s);
		body_for(b, sizeof(b), s, "Gesperrt");
		expect_err(b, 409, "blocked", NULL);
		bt_slot(D4, 20, 0, s);
		CHECK_INT(book(&alice, s, "Daneben", NULL), 201);
	}
	snprintf(b, sizeof(b),
		 "{\"date\":\"%s\",\"reason\":\"x\",\"time\":\"18:30\"}", date);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", b,
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'time'") != NULL);
	cJSON_Delete(j);
	snprintf(b, sizeof(b), "{\"date\":\"%d-12-25\",\"reason\":\"x\"}",
		 year);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", b,
			 NULL, &j, NULL),
		  409);
	CHECK_STR(bt_err_code(j), "holiday");
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates",
			 "{\"date\":\"2026-13-01\",\"reason\":\"x\"}", NULL, &j,
			 NULL),
		  422);
	cJSON_Delete(j);
	/* the list: holidays of this and next year, not deletable */
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/blocked-dates", NULL,
			 NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItem(it, "holiday"))) {
			holidays++;
			CHECK(cJSON_IsFalse(
			    cJSON_GetObjectItem(it, "deletable")));
		} else {
			custom++;
		}
	}
	CHECK_INT(holidays, 22); /* NW: 11 a year */
	CHECK(custom >= 1);
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/api/v1/admin/blocked-dates/%d-12-25",
		 year);
	CHECK_INT(bt_req(&H, &root, "DELETE", path, NULL, NULL, &j, NULL), 409);
	cJSON_Delete(j);
	snprintf(path, sizeof(path),
		 "/api/v1/admin/blocked-dates/%s?time=18:00", date);
	CHECK_INT(bt_req(&H, &root, "DELETE", path, NULL, NULL, NULL, NULL),
		  204);
	CHECK_INT(bt_req(&H, &root, "DELETE", path, NULL, NULL, NULL, NULL),
		  404);

	/* CSV export: quoting and formula-injection protection */
	{
		char s[40];
		bt_slot(D4, 14, 0, s);
		snprintf(b, sizeof(b),
			 "{\"start\":\"%s\",\"first_name\":\"=HYPERLINK(1)\","
			 "\"last_name\":\"Komma, \\\"Zitat\\\"\"}",
			 s);
		CHECK_INT(bt_req(&H, &alice, "POST", "/api/v1/bookings", b,
				 NULL, NULL, NULL),
			  201);
	}
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/admin/export/bookings.csv",
			 NULL, NULL, NULL, NULL),
		  403);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/export/bookings.csv",
			 NULL, NULL, NULL, &res),
		  200);
	{
		char ct[128];
		http_header(&res, "Content-Type", ct, sizeof(ct));
		CHECK(strncmp(ct, "text/csv", 8) == 0);
		CHECK(res.body && strncmp(res.body, "id,start,end,", 13) == 0);
		CHECK(res.body && strstr(res.body, "\"Komma, \"\"Zitat\"\"\""));
		CHECK(res.body && strstr(res.body, "\"'=HYPERLINK(1)\""));
		CHECK(res.body && !strstr(res.body, ",=HYPERLINK"));
	}
	http_free(&res);
}

void more_counts(int *passed, int *failed)
{
	*passed = check_passed;
	*failed = check_failed;
}
