/*
 * test_booking_http.h - shared by test_booking_http.c and
 * test_booking_http_more.c (one test program against one hubd).
 */
#ifndef TEST_BOOKING_HTTP_H
#define TEST_BOOKING_HTTP_H

#include "booking_http_util.h"

extern hubproc H;
extern bt_session alice, bob, root;
extern hub_date D1, D2, D3, D4; /* future Monday-Thursdays */

/* A booking body for `start` and a last name. */
void body_for(char *out, size_t n, const char *start, const char *last);
/* Books as s; returns the status and the new id in *id (0 on failure). */
long book(const bt_session *s, const char *start, const char *last,
	  int64_t *id);
/* The slot object of `start` from GET /slots (owned by *rootp). */
cJSON *find_slot(const char *start, cJSON **rootp);
/* An integer member of the slot at `start`, or -1. */
int slot_int(const char *start, const char *field);
/* POSTs body as alice; checks status, code and that the message names
 * `field` (when not NULL). */
void expect_err(const char *body, long status, const char *code,
		const char *field);

/* test_booking_http_more.c: the later groups, and their check counts
 * (check.h counts per file). */
void test_full_and_alternatives(void);
void test_changes(void);
void test_lists(void);
void test_consultant_role(void);
void test_customers(void);
void test_admin(void);
void more_counts(int *passed, int *failed);

#endif
