/*
 * test_log_ring.c - the in-memory ring of log records (base/log.c) behind
 * GET /api/v1/admin/logs: newest first, bounded to its fixed size while 8
 * threads log at once (no record torn or duplicated), filters by level,
 * time and text, paging, request ids, and credentials masked.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "check.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define THREADS 8
#define PER	2000

static void *writer(void *p)
{
	int id = (int)(intptr_t)p;
	char rid[32];
	snprintf(rid, sizeof(rid), "req-%d", id);
	hub_log_set_request(rid);
	for (int i = 0; i < PER; i++)
		hub_logf(i % 10 == 0 ? HUB_LOG_WARN : HUB_LOG_INFO, "t",
			 "writer %d line %d", id, i);
	hub_log_set_request(NULL);
	return NULL;
}

/* The items of a query as a cJSON array (owned by *root). */
static cJSON *query(int level, int64_t since, const char *q, uint64_t before,
		    size_t limit, uint64_t *next, cJSON **root)
{
	char *s = hub_log_ring_query(level, since, q, before, limit, next);
	*root = s ? cJSON_Parse(s) : NULL;
	free(s);
	CHECK(cJSON_IsArray(*root));
	return *root;
}

static void scrub_case(const char *in, const char *secret, const char *kept)
{
	char buf[480];
	snprintf(buf, sizeof(buf), "%s", in);
	hub_log_scrub(buf);
	if (strstr(buf, secret) || !strstr(buf, kept))
		fprintf(stderr, "scrub: '%s' -> '%s'\n", in, buf);
	CHECK(strstr(buf, secret) == NULL);
	CHECK(strstr(buf, kept) != NULL);
	CHECK(strstr(buf, "***") != NULL);
}

int main(void)
{
	pthread_t t[THREADS];
	cJSON *root = NULL, *it;
	uint64_t next = 0, prev = UINT64_MAX;
	int n = 0, order_bad = 0, shape_bad = 0;
	struct timeval tv;

	hub_log_open("/dev/null");
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	/* bounded: at most the ring's 2048, newest first, well formed */
	query(HUB_LOG_DEBUG, 0, NULL, 0, 1000, &next, &root);
	CHECK(next != 0);
	cJSON_Delete(root);
	{
		uint64_t before = 0;
		do {
			query(HUB_LOG_DEBUG, 0, NULL, before, 1000, &next,
			      &root);
			cJSON_ArrayForEach(it, root)
			{
				uint64_t seq =
				    (uint64_t)cJSON_GetObjectItem(it, "seq")
					->valuedouble;
				const char *m = cJSON_GetStringValue(
				    cJSON_GetObjectItem(it, "message"));
				const char *r = cJSON_GetStringValue(
				    cJSON_GetObjectItem(it, "request_id"));
				int w = -1, l = -1;
				order_bad += seq >= prev;
				prev = seq;
				/* the message and request id of one record
				 * belong together (no torn slot) */
				shape_bad += !m || !r ||
					     sscanf(m, "writer %d line %d", &w,
						    &l) != 2 ||
					     strcmp(r + 4, "") == 0 ||
					     atoi(r + 4) != w;
				n++;
			}
			cJSON_Delete(root);
			before = next;
		} while (next);
	}
	CHECK_INT(n, 2048);
	CHECK_INT(order_bad, 0);
	CHECK_INT(shape_bad, 0);

	/* level is a minimum */
	query(HUB_LOG_WARN, 0, NULL, 0, 1000, &next, &root);
	n = 0;
	cJSON_ArrayForEach(it, root)
	{
		n++;
		CHECK_STR(
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "level")),
		    "warn");
	}
	CHECK(n > 100);
	cJSON_Delete(root);

	/* text and time */
	hub_logf(HUB_LOG_ERROR, "billing", "The Needle is here");
	query(HUB_LOG_DEBUG, 0, "needle", 0, 10, &next, &root);
	CHECK_INT(cJSON_GetArraySize(root), 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
		      cJSON_GetArrayItem(root, 0), "module")),
		  "billing");
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(root, 0), "request_id") ==
	      NULL);
	cJSON_Delete(root);
	gettimeofday(&tv, NULL);
	query(HUB_LOG_DEBUG, (int64_t)tv.tv_sec * 1000 + 60000, NULL, 0, 10,
	      &next, &root);
	CHECK_INT(cJSON_GetArraySize(root), 0);
	CHECK(next == 0);
	cJSON_Delete(root);

	/* credentials never reach the ring */
	hub_logf(HUB_LOG_INFO, "t", "connect postgresql://hub:Pa55word@db/hub");
	query(HUB_LOG_DEBUG, 0, "postgresql", 0, 1, &next, &root);
	{
		char *s = cJSON_PrintUnformatted(root);
		CHECK(s && !strstr(s, "Pa55word") && strstr(s, "hub:***@db"));
		free(s);
	}
	cJSON_Delete(root);
	scrub_case("Authorization: Bearer abcdef123456", "abcdef123456",
		   "Bearer ***");
	scrub_case("login password=hunter2 ok", "hunter2", "login");
	scrub_case("token: tok_998877 for x", "tok_998877", "for x");
	scrub_case("sentry dsn=https://k3y@o.ingest/1 set", "k3y", "set");
	scrub_case("cookie hub_session=deadbeef; path", "deadbeef", "path");
	scrub_case("secret_key=AAAABBBB", "AAAABBBB", "secret_key=");
	{
		char plain[480] = "booking 42 created for Anna";
		hub_log_scrub(plain);
		CHECK_STR(plain, "booking 42 created for Anna");
	}
	return check_report("log_ring");
}
