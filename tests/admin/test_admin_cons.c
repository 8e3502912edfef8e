/*
 * test_admin_cons.c - consultants in the database (see test_admin.h):
 * the admin API with good and bad input, changes showing in GET /slots at
 * once (also a change another server writes to the shared database),
 * blocking a slot by "start" or "time", and 20 threads booking one slot
 * while an admin edits consultants (capacity stays exact).
 */
#define _GNU_SOURCE
#include "test_admin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hub_date D; /* a Monday-to-Thursday workday a week or more ahead */

/* The id of consultant `name` from the admin list, or 0. */
static int64_t cons_id(const char *name)
{
	cJSON *j = NULL, *it;
	int64_t id = 0;
	if (bt_req(&H, &root, "GET", "/api/v1/admin/consultants", NULL, NULL,
		   &j, NULL) == 200)
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) if (
		    !strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
			name)) id =
		    (int64_t)cJSON_GetObjectItem(it, "id")->valuedouble;
	cJSON_Delete(j);
	return id;
}

/* The listing of slot D hh:00: capacity, booked and (when names is not
 * NULL) the consultants joined by ','. Returns 0 or -1. */
static int slot_info(int hh, int *cap, int *booked, char *names, size_t n)
{
	char path[120], d[11], start[40];
	cJSON *j = NULL, *s;
	int rc = -1;
	hub_date_format(D, d);
	bt_slot(D, hh, 0, start);
	snprintf(path, sizeof(path), "/api/v1/slots?from=%s&to=%s", d, d);
	if (bt_req(&H, &alice, "GET", path, NULL, NULL, &j, NULL) != 200)
		return -1;
	cJSON_ArrayForEach(
	    s,
	    cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(j, "days"), 0), "slots"))
	{
		cJSON *c;
		if (strcmp(
			cJSON_GetStringValue(cJSON_GetObjectItem(s, "start")),
			start) != 0)
			continue;
		*cap = (int)cJSON_GetObjectItem(s, "capacity")->valuedouble;
		*booked = (int)cJSON_GetObjectItem(s, "booked")->valuedouble;
		if (names) {
			names[0] = 0;
			cJSON_ArrayForEach(
			    c, cJSON_GetObjectItem(s, "consultants"))
			{
				strncat(names, c->valuestring,
					n - strlen(names) - 2);
				strcat(names, ",");
			}
		}
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/* ==================================================================== api */

void test_consultants_api(void)
{
	char body[600], path[80], longname[301];
	cJSON *j = NULL;
	int64_t anna = cons_id("Anna"), cid;

	/* the configuration seeded the empty table */
	CHECK(anna > 0 && cons_id("Ben") > 0);
	CHECK_INT(bt_req(&H, &root, "GET", "/api/v1/admin/consultants", NULL,
			 NULL, &j, NULL),
		  200);
	{
		cJSON *a =
		    cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
		static const char *const keys[] = {
		    "id",	"name",	  "calendar_id", "email",
		    "capacity", "active", NULL};
		for (int k = 0; keys[k]; k++)
			CHECK(cJSON_GetObjectItem(a, keys[k]) != NULL);
	}
	cJSON_Delete(j);

	/* bad input: 422 naming the field, nothing stored */
	memset(longname, 'x', 300);
	longname[300] = 0;
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", longname);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants", body,
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'name'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"capacity\":-1}", NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'capacity'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"capacity\":1001}", NULL, NULL,
			 NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"capacity\":1.5}", NULL, NULL,
			 NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"\"}", NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"capacity\":2}", NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'name'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"email\":\"no-at\"}", NULL, &j,
			 NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'email'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"active\":\"yes\"}", NULL, NULL,
			 NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"colour\":1}", NULL, &j, NULL),
		  422);
	CHECK_STR(bt_err_code(j), "unknown_field");
	cJSON_Delete(j);
	CHECK_INT(cons_id("Cleo"), 0);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Anna\"}", NULL, NULL, NULL),
		  409);

	/* good input */
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/consultants",
			 "{\"name\":\"Cleo\",\"calendar_id\":\"cleo@example."
			 "com\",\"email\":\"cleo@example.com\",\"capacity\":2,"
			 "\"active\":false}",
			 NULL, &j, NULL),
		  201);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "calendar_id")),
		  "cleo@example.com");
	CHECK_INT(cJSON_GetObjectItem(j, "capacity")->valuedouble, 2);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "active")));
	cJSON_Delete(j);
	cid = cons_id("Cleo");
	CHECK(cid > 0);
	/* inactive ones are listed for admins, not in the public list */
	CHECK_INT(bt_req(&H, &alice, "GET", "/api/v1/consultants", NULL, NULL,
			 NULL, NULL),
		  200);

	/* PATCH: unknown ids, bad fields, a rename */
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/consultants/999999",
			 "{\"capacity\":1}", NULL, NULL, NULL),
		  404);
	CHECK_INT(bt_req(&H, &root, "PATCH", "/api/v1/admin/consultants/abc",
			 "{\"capacity\":1}", NULL, NULL, NULL),
		  404);
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)cid);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":-1}", NULL,
			 &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'capacity'") != NULL);
	cJSON_Delete(j);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", longname);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, body, NULL, NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"name\":\"Ben\"}", NULL,
			 NULL, NULL),
		  409);
	CHECK_INT(bt_req(&H, &root, "PATCH", path,
			 "{\"name\":\"Cleo Neu\",\"capacity\":0}", NULL, &j,
			 NULL),
		  200);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")),
		  "Cleo Neu");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "email")),
		  "cleo@example.com");
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &alice, "PATCH", path, "{\"capacity\":1}", NULL,
			 NULL, NULL),
		  403);
}

/* =================================================== slots, at once */

void test_consultants_in_slots(void)
{
	char path[80], names[256];
	int cap = 0, booked = 0;
	int64_t ben = cons_id("Ben"), cleo = cons_id("Cleo Neu");

	D = bt_workday(hub_date_add(hub_date_today(), 8), BT_MON_THU);
	/* 11:00 has no capacity override: 2 consultants x 3 */
	CHECK_INT(slot_info(11, &cap, &booked, names, sizeof(names)), 0);
	CHECK_INT(cap, 6);
	CHECK_STR(names, "Anna,Ben,");
	/* the listing is cached now; a change must show at once */
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)ben);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":5}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(cap, 8);
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)cleo);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"active\":true}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(slot_info(11, &cap, &booked, names, sizeof(names)), 0);
	CHECK_INT(cap, 11);
	CHECK(strstr(names, "Cleo Neu") != NULL);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"active\":false}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(slot_info(11, &cap, &booked, names, sizeof(names)), 0);
	CHECK_INT(cap, 8);
	/* another server changes the shared database (its transaction bumps
	 * the stored generation): this server's cache notices at once */
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0); /* cached */
	CHECK_INT(ta_sql("BEGIN; UPDATE booking_consultants SET capacity = 1 "
			 "WHERE name = 'Ben'; UPDATE booking_meta SET value = "
			 "value + 1 WHERE name = 'admin_gen'; COMMIT;"),
		  0);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(cap, 4);
	/* back to the defaults for the tests that follow */
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)ben);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":0}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(cap, 6);
}

/* ========================================================= blocking */

void test_blocks_start(void)
{
	char body[300], start[40], d[11], path[120];
	hub_date d2 = bt_workday(hub_date_add(D, 1), BT_MON_THU);
	cJSON *j = NULL;
	int cap, booked;

	hub_date_format(d2, d);
	bt_slot(d2, 14, 0, start);
	/* by start: the slot of that instant */
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"reason\":\"Schulung\"}", start);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", body,
			 NULL, &j, NULL),
		  201);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "date")), d);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "time")),
		  "14:00");
	cJSON_Delete(j);
	/* by date and time: the same slot again is a conflict */
	snprintf(body, sizeof(body),
		 "{\"date\":\"%s\",\"time\":\"14:00\",\"reason\":\"x\"}", d);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", body,
			 NULL, NULL, NULL),
		  409);
	snprintf(body, sizeof(body),
		 "{\"date\":\"%s\",\"time\":\"16:00\",\"reason\":\"x\"}", d);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", body,
			 NULL, NULL, NULL),
		  201);
	/* bad: not a slot start, a date that disagrees, garbage */
	bt_slot(d2, 14, 30, start);
	snprintf(body, sizeof(body), "{\"start\":\"%s\",\"reason\":\"x\"}",
		 start);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", body,
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'start'") != NULL);
	cJSON_Delete(j);
	bt_slot(d2, 18, 0, start);
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"date\":\"2031-01-01\",\"reason\":\"x\"}",
		 start);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates", body,
			 NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'date'") != NULL);
	cJSON_Delete(j);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates",
			 "{\"start\":\"tomorrow\",\"reason\":\"x\"}", NULL,
			 NULL, NULL),
		  422);
	CHECK_INT(bt_req(&H, &root, "POST", "/api/v1/admin/blocked-dates",
			 "{\"reason\":\"x\"}", NULL, &j, NULL),
		  422);
	CHECK(strstr(bt_err_msg(j), "'date'") != NULL);
	cJSON_Delete(j);
	/* the listing shows both slots blocked, the day itself open */
	{
		hub_date keep = D;
		D = d2;
		CHECK_INT(slot_info(14, &cap, &booked, NULL, 0), 0);
		D = keep;
	}
	snprintf(path, sizeof(path), "/api/v1/slots?from=%s&to=%s", d, d);
	CHECK_INT(bt_req(&H, &alice, "GET", path, NULL, NULL, &j, NULL), 200);
	{
		cJSON *day =
		    cJSON_GetArrayItem(cJSON_GetObjectItem(j, "days"), 0);
		cJSON *s;
		int blocked = 0;
		CHECK(cJSON_IsFalse(cJSON_GetObjectItem(day, "blocked")));
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(day, "slots"))
		    blocked += cJSON_IsTrue(cJSON_GetObjectItem(s, "blocked"));
		CHECK_INT(blocked, 2);
	}
	cJSON_Delete(j);
}

/* ======================================================= concurrency */

typedef struct booker {
	int i, round;
	long status;
} booker;

static volatile int g_stop;

static void *book_one(void *p)
{
	booker *b = p;
	char body[256], start[40];
	bt_slot(D, 11, 0, start);
	snprintf(body, sizeof(body),
		 "{\"start\":\"%s\",\"first_name\":\"R%d\",\"last_name\":"
		 "\"Kunde%02d\"}",
		 start, b->round, b->i);
	b->status = bt_req(&H, &alice, "POST", "/api/v1/bookings", body, NULL,
			   NULL, NULL);
	return NULL;
}

/* Keeps editing consultants (names, calendars, e-mail; capacities set to
 * the values they have) until g_stop. */
static void *edit_loop(void *p)
{
	char path[80], body[200];
	int64_t anna = cons_id("Anna"), ben = cons_id("Ben");
	int n = 0;
	(void)p;
	while (!g_stop) {
		snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
			 (long long)(n % 2 ? anna : ben));
		snprintf(body, sizeof(body),
			 "{\"email\":\"e%d@example.com\",\"calendar_id\":"
			 "\"cal-%d\",\"capacity\":%d}",
			 n, n, n % 2 ? 2 : 3);
		bt_req(&H, &root, "PATCH", path, body, NULL, NULL, NULL);
		n++;
	}
	return NULL;
}

/* 20 bookings of one slot at once: exactly the capacity succeed. */
static void storm(int round, int *ok, int *full)
{
	pthread_t t[20], ed;
	booker b[20];
	g_stop = 0;
	pthread_create(&ed, NULL, edit_loop, NULL);
	for (int i = 0; i < 20; i++) {
		b[i].i = i;
		b[i].round = round;
		b[i].status = 0;
		pthread_create(&t[i], NULL, book_one, &b[i]);
	}
	for (int i = 0; i < 20; i++)
		pthread_join(t[i], NULL);
	g_stop = 1;
	pthread_join(ed, NULL);
	*ok = *full = 0;
	for (int i = 0; i < 20; i++) {
		*ok += b[i].status == 201;
		*full += b[i].status == 409;
	}
}

void test_concurrent_booking(void)
{
	char path[80];
	int ok, full, cap = 0, booked = 0;
	int64_t anna = cons_id("Anna"), ben = cons_id("Ben");

	/* Anna 2 places, Ben 3: five in the slot */
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)anna);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":2}", NULL,
			 NULL, NULL),
		  200);
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)ben);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":3}", NULL,
			 NULL, NULL),
		  200);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(cap, 5);
	CHECK_INT(booked, 0);
	storm(1, &ok, &full);
	CHECK_INT(ok, 5);
	CHECK_INT(full, 15);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(booked, 5);
	CHECK_INT(cap, 5);
	/* a second storm on the full slot: nobody gets in */
	storm(2, &ok, &full);
	CHECK_INT(ok, 0);
	CHECK_INT(full, 20);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(booked, 5);
	/* more capacity: exactly the new places are taken */
	snprintf(path, sizeof(path), "/api/v1/admin/consultants/%lld",
		 (long long)anna);
	CHECK_INT(bt_req(&H, &root, "PATCH", path, "{\"capacity\":4}", NULL,
			 NULL, NULL),
		  200);
	g_stop = 1;
	{
		pthread_t t[20];
		booker b[20];
		ok = 0;
		for (int i = 0; i < 20; i++) {
			b[i].i = i;
			b[i].round = 3;
			pthread_create(&t[i], NULL, book_one, &b[i]);
		}
		for (int i = 0; i < 20; i++) {
			pthread_join(t[i], NULL);
			ok += b[i].status == 201;
		}
	}
	CHECK_INT(ok, 2);
	CHECK_INT(slot_info(11, &cap, &booked, NULL, 0), 0);
	CHECK_INT(booked, 7);
	CHECK_INT(cap, 7);
}
