/*
 * test_admin.h - the admin console's HTTP tests against a real hubd
 * (booking and admin modules, SQLite in a temporary data directory):
 * shared state and the parts in test_admin_ops.c and test_admin_cons.c.
 */
#ifndef TEST_ADMIN_H
#define TEST_ADMIN_H

#include "booking_http_util.h"
#include "check.h"

extern hubproc H;
extern bt_session root, alice, carl;

/* Runs SQL on the server's database file from this process, as another
 * server of a cluster would (SQLite WAL: concurrent with hubd). Returns 0
 * or -1. */
int ta_sql(const char *sql);

/* A request as `s` whose X-CSRF-Token is left out. */
long ta_no_csrf(const bt_session *s, const char *method, const char *path,
		const char *body);

/* An API request with "Authorization: Bearer TOKEN". */
long ta_bearer(const char *token, const char *method, const char *path,
	       const char *body, cJSON **json);

void test_roles(void);
void test_logs(void);
void test_backups(void);
void test_jobs(void);
void test_outbox(void);
void test_config_settings(void);
void test_disabled_user(void);
void test_audit_trail(void);

void test_consultants_api(void);
void test_consultants_in_slots(void);
void test_blocks_start(void);
void test_concurrent_booking(void);

#endif
