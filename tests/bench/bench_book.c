/*
 * bench_book.c - booking throughput: THREADS threads POST /api/v1/bookings
 * over keep-alive connections, each thread on its own slots (thread t
 * takes slots t, t+THREADS, ...), PER_SLOT bookings per slot, for every
 * slot of the default grid in [FROM, FROM+DAYS). Prints bookings per
 * second and latency percentiles. Used by bench_slots.sh, which also uses
 * it to fill the benchmark week with realistic bookings.
 *
 *   bench_book BASE COOKIE CSRF THREADS FROM DAYS PER_SLOT
 */
#define _GNU_SOURCE
#include "booking.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
	int tid;
	long ok, full, other;
	double *lat; /* seconds, one per request */
	int nlat;
} job;

static const char *g_base, *g_cookie, *g_csrf;
static char (*g_slots)[40];
static int g_nslots, g_threads, g_per_slot;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *p)
{
	job *j = p;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], ck[512], cs[160], body[256];
	int k = 0;

	snprintf(url, sizeof(url), "%s/api/v1/bookings", g_base);
	snprintf(ck, sizeof(ck), "Cookie: %s", g_cookie);
	snprintf(cs, sizeof(cs), "X-CSRF-Token: %s", g_csrf);
	h = curl_slist_append(h, ck);
	h = curl_slist_append(h, cs);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	for (int s = j->tid; s < g_nslots; s += g_threads) {
		for (int i = 0; i < g_per_slot; i++, k++) {
			long code = 0;
			double t0;
			snprintf(
			    body, sizeof(body),
			    "{\"start\":\"%s\",\"first_name\":\"Bench\","
			    "\"last_name\":\"Kunde %d-%d\",\"description\":"
			    "\"Lastprofil\",\"category\":\"%s\"}",
			    g_slots[s], j->tid, k, k % 3 ? "normal" : "top");
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			t0 = now_s();
			if (curl_easy_perform(c) == CURLE_OK)
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
						  &code);
			j->lat[j->nlat++] = now_s() - t0;
			if (code == 201)
				j->ok++;
			else if (code == 409)
				j->full++;
			else
				j->other++;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	hub_date from, today;
	booking_grid g;
	char err[200];
	int days, total = 0;
	double t0, secs, *all;
	long ok = 0, full = 0, other = 0;

	if (argc != 8) {
		fprintf(stderr, "usage: bench_book BASE COOKIE CSRF THREADS "
				"FROM DAYS PER_SLOT\n");
		return 2;
	}
	g_base = argv[1];
	g_cookie = argv[2];
	g_csrf = argv[3];
	g_threads = atoi(argv[4]);
	days = atoi(argv[6]);
	g_per_slot = atoi(argv[7]);
	if (hub_time_init("Europe/Berlin") != 0 ||
	    hub_date_parse(argv[5], &from) != 0 || g_threads < 1 ||
	    g_threads > 64 || days < 1 || days > 60 || g_per_slot < 1 ||
	    booking_grid_parse(BOOKING_DEFAULT_GRID, &g, err, sizeof(err)) != 0)
		return 2;
	today = hub_date_today();
	g_slots = calloc((size_t)days * BOOKING_MAX_TIMES, sizeof(*g_slots));
	for (int d = 0; d < days; d++) {
		booking_slot_time st[BOOKING_MAX_TIMES];
		hub_date day = hub_date_add(from, d);
		int n;
		if (hub_date_diff(day, today) <= 0 ||
		    booking_holiday_name("NW", day))
			continue;
		n = booking_grid_day(&g, day, st, BOOKING_MAX_TIMES);
		for (int i = 0; i < n; i++)
			hub_time_format(st[i].start, g_slots[g_nslots++]);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_t th[64];
	job jobs[64];
	memset(jobs, 0, sizeof(jobs));
	t0 = now_s();
	for (int t = 0; t < g_threads; t++) {
		jobs[t].tid = t;
		jobs[t].lat = calloc((size_t)(g_nslots / g_threads + 1) *
					 (size_t)g_per_slot,
				     sizeof(double));
		pthread_create(&th[t], NULL, run, &jobs[t]);
	}
	for (int t = 0; t < g_threads; t++)
		pthread_join(th[t], NULL);
	secs = now_s() - t0;
	for (int t = 0; t < g_threads; t++)
		total += jobs[t].nlat;
	all = calloc((size_t)total + 1, sizeof(double));
	total = 0;
	for (int t = 0; t < g_threads; t++) {
		memcpy(all + total, jobs[t].lat,
		       sizeof(double) * (size_t)jobs[t].nlat);
		total += jobs[t].nlat;
		ok += jobs[t].ok;
		full += jobs[t].full;
		other += jobs[t].other;
		free(jobs[t].lat);
	}
	qsort(all, (size_t)total, sizeof(double), cmp);
	printf("bench book: %d threads, %d slots, %d requests in %.2f s: "
	       "%.0f bookings/s (201: %ld, 409: %ld, other: %ld), p50 %.2f "
	       "ms, p99 %.2f ms\n",
	       g_threads, g_nslots, total, secs, (double)ok / secs, ok, full,
	       other, total ? all[total / 2] * 1000 : 0,
	       total ? all[(int)(total * 0.99)] * 1000 : 0);
	free(all);
	free(g_slots);
	curl_global_cleanup();
	return other == 0 ? 0 : 1;
}
