/*
 * test_booking_phonedesk.c - the booking rules the phone desk needs, over
 * real HTTP against a real hubd (SQLite file, two consultants with 3
 * places each):
 *   - staff see and change every booking; "mine=1" is a filter;
 *   - GET /bookings?q= finds customers with case and umlauts folded;
 *   - 409 duplicate (with the existing booking) for the same customer in
 *     the same slot, unless "allow_duplicate": true; a cancelled booking
 *     does not count;
 *   - "any available" bookings get a consultant: fewest in the slot
 *     first, so the places fill evenly, and nobody beyond their own
 *     capacity; a chosen consultant is kept;
 *   - storms: 40 concurrent requests for "any" on one slot, and a mix of
 *     "any" and an explicit consultant: exactly the free places booked,
 *     each consultant's capacity exact;
 *   - a consultant sees the bookings assigned to them.
 */
#define _GNU_SOURCE
#include "booking_http_util.h"
#include "check.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hubproc H;
static bt_session alice, bob, root;
static hub_date D1, D2;

/* Books `last`, `first` into slot s as session u, with `extra` members
 * (",\"consultant\":\"Anna\"" or ""). Returns the status; *json owned. */
static long book(const bt_session *u, const char *s, const char *first,
		 const char *last, const char *extra, cJSON **json)
{
	char b[512];
	snprintf(b, sizeof(b),
		 "{\"start\":\"%s\",\"first_name\":\"%s\",\"last_name\":\"%s\""
		 "%s}",
		 s, first, last, extra ? extra : "");
	return bt_req(&H, u, "POST", "/api/v1/bookings", b, NULL, json, NULL);
}

static const char *str(const cJSON *o, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
	return v ? v : "";
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(o, name);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Number of items GET path answers for session u (-1 on error). */
static int count(const bt_session *u, const char *path)
{
	cJSON *j = NULL;
	int n = -1;
	if (bt_req(&H, u, "GET", path, NULL, NULL, &j, NULL) == 200)
		n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "items"));
	cJSON_Delete(j);
	return n;
}

/* Active bookings of consultant `name` in slot s (from the list). */
static int cons_in_slot(const char *s, const char *name)
{
	char path[200];
	cJSON *j = NULL, *it;
	int n = 0;
	snprintf(
	    path, sizeof(path),
	    "/api/v1/bookings?from=%.10s&to=%.10s&status=booked&limit=1000", s,
	    s);
	if (bt_req(&H, &root, "GET", path, NULL, NULL, &j, NULL) != 200)
		return -1;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		if (!strcmp(str(it, "start"), s) &&
		    !strcmp(str(it, "consultant"), name))
			n++;
	}
	cJSON_Delete(j);
	return n;
}

/* ====================================================== staff, search */

static void test_staff_and_search(void)
{
	char s[40], path[160];
	cJSON *j = NULL;
	double id;
	bt_slot(D1, 9, 0, s);
	CHECK_INT(book(&bob, s, "Hans", "Müller", NULL, &j), 201);
	id = num(j, "id");
	cJSON_Delete(j);
	CHECK_INT(book(&bob, s, "Jörg", "Schäfer", NULL, NULL), 201);
	/* alice (staff) sees and changes bob's booking */
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f", id);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, NULL, NULL), 200);
	CHECK(count(&alice, "/api/v1/bookings?limit=1000") >= 2);
	CHECK_INT(count(&alice, "/api/v1/bookings?limit=1000&mine=1"), 0);
	CHECK_INT(count(&bob, "/api/v1/bookings?limit=1000&mine=1"), 2);
	/* ?q= folds case and umlauts, every word must match */
	CHECK_INT(count(&alice, "/api/v1/bookings?q=muller"), 1);
	CHECK_INT(count(&alice, "/api/v1/bookings?q=M%C3%9CLLER%2C%20ha"), 1);
	CHECK_INT(count(&alice, "/api/v1/bookings?q=schafer%20jorg"), 1);
	CHECK_INT(count(&alice, "/api/v1/bookings?q=sch%C3%A4fer&mine=1"), 0);
	CHECK_INT(count(&alice, "/api/v1/bookings?q=nobody"), 0);
	CHECK_INT(count(&alice, "/api/v1/bookings?q=100%25"),
		  0); /* LIKE-safe */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/bookings?q=", NULL, NULL,
			 &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'q'") != NULL);
	cJSON_Delete(j);
	/* alice cancels bob's booking */
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/cancel", id);
	CHECK_INT(bt_req(&H, &alice, "POST", path,
			 "{\"reason\":\"called back\"}", NULL, &j, NULL),
		  200);
	CHECK_STR(str(j, "status"), "cancelled");
	cJSON_Delete(j);
}

/* ========================================================= duplicates */

static void test_duplicate(void)
{
	char s[40], s2[40];
	cJSON *j = NULL, *ex;
	double first;
	bt_slot(D1, 14, 0, s);
	bt_slot(D1, 16, 0, s2);
	CHECK_INT(book(&alice, s, "Dora", "Doppel", NULL, &j), 201);
	first = num(j, "id");
	cJSON_Delete(j);
	/* same customer, same slot, names folded: 409 with the booking */
	CHECK_INT(book(&bob, s, "DORA", "doppel", NULL, &j), 409);
	CHECK_STR(bt_err_code(j), "duplicate");
	ex = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "existing");
	CHECK(ex && num(ex, "id") == first);
	CHECK_STR(str(ex, "customer"), "Doppel, Dora");
	cJSON_Delete(j);
	/* another slot is no duplicate */
	CHECK_INT(book(&bob, s2, "Dora", "Doppel", NULL, NULL), 201);
	/* confirmed: booked again */
	CHECK_INT(
	    book(&bob, s, "Dora", "Doppel", ",\"allow_duplicate\":true", &j),
	    201);
	CHECK(num(j, "id") != first);
	cJSON_Delete(j);
	CHECK_INT(
	    book(&bob, s, "Dora", "Doppel", ",\"allow_duplicate\":\"yes\"", &j),
	    422);
	CHECK(strstr(bt_err_msg(j), "allow_duplicate") != NULL);
	cJSON_Delete(j);
	CHECK_INT(
	    book(&bob, s, "Dora", "Doppel", ",\"allow_duplicate\":false", &j),
	    409);
	cJSON_Delete(j);
}

/* A customer alone in a slot after her booking was cancelled books anew. */
static void test_duplicate_cancelled(void)
{
	char s[40], path[160];
	cJSON *j = NULL;
	bt_slot(D1, 18, 0, s);
	CHECK_INT(book(&alice, s, "Cleo", "Storno", NULL, &j), 201);
	snprintf(path, sizeof(path), "/api/v1/bookings/%.0f/cancel",
		 num(j, "id"));
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "POST", path, "{\"reason\":\"ill\"}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(book(&alice, s, "Cleo", "Storno", NULL, NULL), 201);
}

/* ========================================================= assignment */

static void test_assignment(void)
{
	char s[40], last[32];
	cJSON *j = NULL;
	int anna = 0, ben = 0;
	bt_slot(D1, 11, 0, s); /* both available, 3 places each */
	for (int i = 0; i < 6; i++) {
		snprintf(last, sizeof(last), "Zuteilung%d", i);
		CHECK_INT(book(&alice, s, "Any", last, NULL, &j), 201);
		if (!strcmp(str(j, "consultant"), "Anna"))
			anna++;
		else if (!strcmp(str(j, "consultant"), "Ben"))
			ben++;
		/* fewest in the slot first: never more than one apart */
		CHECK(abs(anna - ben) <= 1);
		cJSON_Delete(j);
	}
	CHECK_INT(anna, 3);
	CHECK_INT(ben, 3);
	CHECK_INT(book(&alice, s, "Any", "Zuviel", NULL, &j), 409);
	CHECK_STR(bt_err_code(j), "slot_full");
	cJSON_Delete(j);
	CHECK_INT(cons_in_slot(s, "Anna"), 3);
	CHECK_INT(cons_in_slot(s, "Ben"), 3);
	/* a chosen consultant is kept */
	bt_slot(D2, 16, 0, s);
	CHECK_INT(book(&alice, s, "Wahl", "Ben", ",\"consultant\":\"Ben\"", &j),
		  201);
	CHECK_STR(str(j, "consultant"), "Ben");
	cJSON_Delete(j);
	/* the next "any" goes to the one with fewer in the slot */
	CHECK_INT(book(&alice, s, "Any", "Naechste", NULL, &j), 201);
	CHECK_STR(str(j, "consultant"), "Anna");
	cJSON_Delete(j);
}

/* ============================================================= storms */

#define NTHREADS 40

typedef struct racer {
	const char *start;
	int idx;
	int mixed; /* odd racers ask for Anna explicitly */
	long status;
	char consultant[32];
	pthread_barrier_t *bar;
} racer;

static void *race(void *p)
{
	racer *r = p;
	char last[32];
	cJSON *j = NULL;
	snprintf(last, sizeof(last), "Sturm%02d", r->idx);
	pthread_barrier_wait(r->bar);
	r->status =
	    book(r->idx % 2 ? &alice : &bob, r->start, "Storm", last,
		 r->mixed && r->idx % 2 ? ",\"consultant\":\"Anna\"" : "", &j);
	snprintf(r->consultant, sizeof(r->consultant), "%s",
		 j ? str(j, "consultant") : "");
	cJSON_Delete(j);
	return NULL;
}

static void storm(const char *s, int mixed)
{
	pthread_t th[NTHREADS];
	racer rs[NTHREADS];
	pthread_barrier_t bar;
	int ok = 0, full = 0, other = 0, anna = 0, ben = 0;

	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		rs[i] = (racer){s, i, mixed, 0, "", &bar};
		pthread_create(&th[i], NULL, race, &rs[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].status == 201) {
			ok++;
			anna += !strcmp(rs[i].consultant, "Anna");
			ben += !strcmp(rs[i].consultant, "Ben");
		} else if (rs[i].status == 409) {
			full++;
		} else {
			other++;
		}
	}
	pthread_barrier_destroy(&bar);
	printf("storm%s: %d threads: %d x 201 (Anna %d, Ben %d), %d x 409, "
	       "%d other\n",
	       mixed ? " (mixed)" : "", NTHREADS, ok, anna, ben, full, other);
	CHECK_INT(ok, 6);
	CHECK_INT(anna, 3);
	CHECK_INT(ben, 3);
	CHECK_INT(full, NTHREADS - 6);
	CHECK_INT(other, 0);
	/* what the database holds agrees */
	CHECK_INT(cons_in_slot(s, "Anna"), 3);
	CHECK_INT(cons_in_slot(s, "Ben"), 3);
}

static void test_storms(void)
{
	char s[40];
	bt_slot(D2, 11, 0, s);
	storm(s, 0);
	bt_slot(D2, 14, 0, s);
	storm(s, 1);
}

/* ======================================================== consultants */

static void test_consultant_schedule(void)
{
	bt_session carl;
	cJSON *j = NULL, *it;
	char b[64];
	double anna_id = 0;
	int n = 0, foreign = 0;
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/consultants", NULL, NULL,
			 &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		if (!strcmp(str(it, "name"), "Anna"))
			anna_id = num(it, "id");
	}
	cJSON_Delete(j);
	if (bt_user_add(&H, "carl", "consultant") != 0) {
		CHECK(0);
		return;
	}
	snprintf(b, sizeof(b), "{\"consultant_id\":%.0f}", anna_id);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/users/carl", b,
			 NULL, NULL, NULL),
		  200);
	if (bt_login(&H, "carl", &carl) != 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(bt_req(&H, &carl, "GET", "/api/v1/bookings?limit=1000", NULL,
			 NULL, &j, NULL),
		  200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		n++;
		foreign += strcmp(str(it, "consultant"), "Anna") != 0;
	}
	cJSON_Delete(j);
	/* the "any" bookings assigned to Anna: 3 + 3 + 3 + 1 at least */
	CHECK(n >= 10);
	CHECK_INT(foreign, 0);
}

int main(void)
{
	hub_date today;
	int rc;
	if (hub_time_init("Europe/Berlin") != 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	today = hub_date_today();
	D1 = bt_workday(hub_date_add(today, 3), BT_MON_THU);
	D2 = bt_workday(hub_date_add(D1, 1), BT_MON_THU);
	if (bt_start(&H, "Anna:anna@example.com,Ben:ben@example.com", "") !=
	    0) {
		fprintf(stderr, "hubd did not start\n");
		return 1;
	}
	rc = bt_user_add(&H, "alice", "staff") |
	     bt_user_add(&H, "bob", "staff") | bt_user_add(&H, "root", "admin");
	if (rc == 0)
		rc = bt_login(&H, "alice", &alice) | bt_login(&H, "bob", &bob) |
		     bt_login(&H, "root", &root);
	CHECK_INT(rc, 0);
	if (rc == 0) {
		test_staff_and_search();
		test_duplicate();
		test_duplicate_cancelled();
		test_assignment();
		test_storms();
		test_consultant_schedule();
	}
	CHECK_INT(hubproc_stop(&H, 15), 0);
	hubproc_cleanup(&H);
	curl_global_cleanup();
	return check_report("booking.phonedesk");
}
