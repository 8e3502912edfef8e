/*
 * test_cal_caldav.c - the caldav backend against a real Radicale (Debian's
 * `radicale`, started here on a free loopback port with a throwaway folder
 * and plain htpasswd auth):
 *   - availability: a consultant's events mirrored with the right UTC
 *     times on the DST days of 2026 (zoned, all-day and a weekly series
 *     across the switch), COLOR mapped to Google colour ids;
 *   - incremental sync with sync-collection (RFC 6578): an added and a
 *     deleted event;
 *   - central events through the outbox: PUT with If-None-Match, an update
 *     through If-Match (still one resource), DELETE;
 *   - the server goes away: sync and outbox fail, the mirror is kept, the
 *     health check turns degraded; it comes back: both catch up.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"
#include "check.h"

#include "hub_time.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g_dir;
static int g_port;
static pid_t g_pid;

/* ============================================================ Radicale */

static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p = -1;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		p = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return p;
}

/* A request to Radicale as user hub. Returns the status (0 on a transport
 * error); *body owned when body is not NULL. */
static long raw(const char *method, const char *path, const char *data,
		const char *hdr, char **body)
{
	char url[512];
	long st = 0;
	FILE *mem;
	size_t len = 0;
	char *buf = NULL;
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", g_port, path);
	mem = open_memstream(&buf, &len);
	h = curl_slist_append(h, "Content-Type: text/calendar; charset=utf-8");
	if (hdr)
		h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_USERPWD, "hub:hub-secret");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (data)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	fclose(mem);
	if (body)
		*body = buf;
	else
		free(buf);
	return st;
}

static int radicale_start(void)
{
	char conf[512], users[512], text[1024];
	snprintf(users, sizeof(users), "%s/users", g_dir);
	snprintf(conf, sizeof(conf), "%s/radicale.conf", g_dir);
	snprintf(text, sizeof(text),
		 "[server]\nhosts = 127.0.0.1:%d\n"
		 "[auth]\ntype = htpasswd\nhtpasswd_filename = %s\n"
		 "htpasswd_encryption = plain\n"
		 "[storage]\nfilesystem_folder = %s/collections\n"
		 "[rights]\ntype = owner_only\n"
		 "[logging]\nlevel = warning\n",
		 g_port, users, g_dir);
	if (ctu_write_file(users, "hub:hub-secret\n", 0600) != 0 ||
	    ctu_write_file(conf, text, 0600) != 0)
		return -1;
	g_pid = fork();
	if (g_pid == 0) {
		execlp("radicale", "radicale", "--config", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (raw("PROPFIND", "/hub/", NULL, "Depth: 0", NULL) == 207)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void radicale_stop(void)
{
	if (g_pid > 0) {
		kill(g_pid, SIGKILL);
		waitpid(g_pid, NULL, 0);
		g_pid = 0;
	}
}

/* ======================================================= the service */

static int start(void)
{
	hub_cal_config c;
	char err[256], pw[512];
	hub_cal_config_defaults(&c);
	snprintf(c.backend, sizeof(c.backend), "caldav");
	snprintf(c.caldav_url, sizeof(c.caldav_url), "http://127.0.0.1:%d/",
		 g_port);
	snprintf(c.caldav_username, sizeof(c.caldav_username), "hub");
	snprintf(pw, sizeof(pw), "%s/dav-password", g_dir);
	ctu_write_file(pw, "hub-secret\n", 0600);
	snprintf(c.caldav_password_file, sizeof(c.caldav_password_file), "%s",
		 pw);
	snprintf(c.central_calendar_id, sizeof(c.central_calendar_id),
		 "hub/central");
	c.sync_past_days = 400; /* the DST days of 2026 stay in the window */
	c.sync_future_days = 400;
	c.request_timeout_ms = 3000;
	c.retry_budget_ms = 6000;
	ctu_api_reset();
	if (hub_cal_init_with(&c, err, sizeof(err)) != 0 ||
	    hub_cal_migrate(err, sizeof(err)) != 0) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	return hub_cal_register(NULL, ctu_api());
}

static int run_job(const char *name, char *err, size_t n)
{
	const hub_job *j = ctu_job(name);
	err[0] = 0;
	return j ? j->fn(j->userdata, err, n) : -99;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	hub_time_parse(rfc3339, &t);
	return t;
}

#define VTZ                                                                    \
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\n"          \
	"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"            \
	"DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-"       \
	"1SU\r\n"                                                              \
	"END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n"             \
	"TZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n"        \
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"          \
	"END:VTIMEZONE\r\n"

/* PUTs a one-event calendar object /hub/anna/NAME.ics. */
static long put_event(const char *name, const char *props)
{
	char path[128], text[2048];
	snprintf(path, sizeof(path), "/hub/anna/%s.ics", name);
	snprintf(text, sizeof(text),
		 "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" VTZ
		 "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n%s"
		 "END:VEVENT\r\nEND:VCALENDAR\r\n",
		 name, props);
	return raw("PUT", path, text, NULL, NULL);
}

/* The mirrored event of `anna` with id (or id prefix) `id`, or NULL. */
static const hub_cal_event *find(const hub_cal_event *ev, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strncmp(ev[i].id, id, strlen(id)) == 0)
			return &ev[i];
	return NULL;
}

static int count_prefix(const hub_cal_event *ev, int n, const char *id)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += strncmp(ev[i].id, id, strlen(id)) == 0;
	return k;
}

static void test_availability(void)
{
	hub_cal_event *ev = NULL;
	const hub_cal_event *e;
	char err[512];
	int n;
	CHECK_INT(raw("MKCALENDAR", "/hub/anna/", NULL, NULL, NULL), 201);
	CHECK_INT(raw("MKCALENDAR", "/hub/central/", NULL, NULL, NULL), 201);
	CHECK_INT(put_event("spring",
			    "SUMMARY:T1 verfügbar\r\n"
			    "DTSTART;TZID=Europe/Berlin:20260329T090000\r\n"
			    "DTEND;TZID=Europe/Berlin:20260329T110000\r\n"
			    "COLOR:red\r\n"),
		  201);
	CHECK_INT(put_event("autumn",
			    "SUMMARY:Kunde\r\n"
			    "DTSTART;TZID=Europe/Berlin:20261025T090000\r\n"
			    "DTEND;TZID=Europe/Berlin:20261025T110000\r\n"),
		  201);
	CHECK_INT(put_event("allday", "SUMMARY:Urlaub\r\n"
				      "DTSTART;VALUE=DATE:20260329\r\n"
				      "DTEND;VALUE=DATE:20260330\r\n"),
		  201);
	CHECK_INT(put_event("weekly",
			    "SUMMARY:T2 verfügbar\r\n"
			    "DTSTART;TZID=Europe/Berlin:20260322T100000\r\n"
			    "DTEND;TZID=Europe/Berlin:20260322T120000\r\n"
			    "RRULE:FREQ=WEEKLY;COUNT=3\r\n"),
		  201);
	/* the first read registers the id; the sync job mirrors it */
	CHECK_INT(hub_cal_events("hub/anna", at("2026-01-01T00:00:00Z"),
				 at("2027-01-01T00:00:00Z"), &ev),
		  0);
	hub_cal_free(ev);
	CHECK_INT(run_job("calendar_ids", err, sizeof(err)), 0);
	CHECK_INT(run_job("calendar_sync", err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "sync: %s\n", err);
	n = hub_cal_events("hub/anna", at("2026-01-01T00:00:00Z"),
			   at("2027-01-01T00:00:00Z"), &ev);
	CHECK_INT(n, 6);
	e = find(ev, n, "spring.ics");
	CHECK(e && e->start_utc == at("2026-03-29T07:00:00Z") &&
	      e->end_utc == at("2026-03-29T09:00:00Z"));
	CHECK(e && strcmp(e->summary, "T1 verfügbar") == 0);
	CHECK(e && strcmp(e->color_id, "11") == 0);
	e = find(ev, n, "autumn.ics");
	CHECK(e && e->start_utc == at("2026-10-25T08:00:00Z") &&
	      e->end_utc == at("2026-10-25T10:00:00Z"));
	e = find(ev, n, "allday.ics");
	CHECK(e && e->all_day && e->start_utc == at("2026-03-28T23:00:00Z"));
	CHECK_INT(count_prefix(ev, n, "weekly.ics#"), 3);
	/* the series crosses the switch: 10:00 local is 09:00Z, then 08:00Z */
	{
		int64_t want[] = {at("2026-03-22T09:00:00Z"),
				  at("2026-03-29T08:00:00Z"),
				  at("2026-04-05T08:00:00Z")};
		int hits = 0;
		for (int i = 0; i < n; i++)
			for (int k = 0; k < 3; k++)
				hits +=
				    strncmp(ev[i].id, "weekly.ics#", 11) == 0 &&
				    ev[i].start_utc == want[k];
		CHECK_INT(hits, 3);
	}
	hub_cal_free(ev);
}

static void test_incremental(void)
{
	hub_cal_event *ev = NULL;
	char err[512];
	int n;
	double inc = ctu_metric("hub_calendar_syncs_total",
				"kind=\"incremental\",result=\"ok\"");
	CHECK_INT(raw("DELETE", "/hub/anna/autumn.ics", NULL, NULL, NULL), 200);
	CHECK_INT(put_event("late",
			    "SUMMARY:Neu\r\n"
			    "DTSTART;TZID=Europe/Berlin:20261207T090000\r\n"
			    "DTEND;TZID=Europe/Berlin:20261207T100000\r\n"),
		  201);
	CHECK_INT(run_job("calendar_sync", err, sizeof(err)), 0);
	CHECK(ctu_metric("hub_calendar_syncs_total",
			 "kind=\"incremental\",result=\"ok\"") > inc);
	n = hub_cal_events("hub/anna", at("2026-01-01T00:00:00Z"),
			   at("2027-01-01T00:00:00Z"), &ev);
	CHECK_INT(n, 6);
	CHECK(find(ev, n, "autumn.ics") == NULL);
	CHECK(find(ev, n, "late.ics") != NULL &&
	      find(ev, n, "late.ics")->start_utc == at("2026-12-07T08:00:00Z"));
	hub_cal_free(ev);
}

static const char ev1[] =
    "{\"summary\":\"Müller, Eva\",\"description\":\"Beratung\","
    "\"start\":{\"dateTime\":\"2026-03-29T09:00:00+02:00\",\"timeZone\":"
    "\"Europe/Berlin\"},\"end\":{\"dateTime\":\"2026-03-29T11:00:00+02:00\","
    "\"timeZone\":\"Europe/Berlin\"},\"colorId\":\"5\"}";
static const char ev2[] =
    "{\"summary\":\"Müller, Eva (verlegt)\",\"start\":{\"dateTime\":"
    "\"2026-03-30T09:00:00+02:00\"},\"end\":{\"dateTime\":"
    "\"2026-03-30T11:00:00+02:00\"},\"colorId\":\"5\"}";

/* Number of resources in the central collection. */
static int central_count(void)
{
	char *b = NULL;
	int k = 0;
	if (raw("PROPFIND", "/hub/central/", NULL, "Depth: 1", &b) == 207)
		for (char *p = b; (p = strstr(p, ".ics<")) != NULL; p++)
			k++;
	free(b);
	return k;
}

static void test_central(void)
{
	char err[512], id[HUB_CAL_EVENT_ID_LEN], path[128], *b = NULL;
	hub_db *db = hub_store_db();
	hub_cal_event_id_for("booking-7", id);
	snprintf(path, sizeof(path), "/hub/central/%s.ics", id);
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking-7", ev1),
		  HUB_DB_OK);
	CHECK_INT(run_job("calendar_outbox", err, sizeof(err)), 0);
	CHECK_INT(raw("GET", path, NULL, NULL, &b), 200);
	CHECK(b && strstr(b, "SUMMARY:Müller\\, Eva") &&
	      strstr(b, "X-HUB-KEY:booking-7") &&
	      strstr(b, "DTSTART:20260329T070000Z"));
	free(b);
	/* the same key again (a retry or a change): If-Match, one resource */
	CHECK_INT(hub_cal_outbox_put(db, "upsert", "booking-7", ev2),
		  HUB_DB_OK);
	CHECK_INT(run_job("calendar_outbox", err, sizeof(err)), 0);
	CHECK_INT(raw("GET", path, NULL, NULL, &b), 200);
	CHECK(b && strstr(b, "verlegt") && strstr(b, "20260330T070000Z"));
	free(b);
	CHECK_INT(central_count(), 1);
	/* the central calendar is mirrored too, with our key and colour */
	{
		hub_cal_event *ev = NULL;
		int n;
		CHECK_INT(run_job("calendar_sync", err, sizeof(err)), 0);
		n = hub_cal_events("hub/central", at("2026-03-01T00:00:00Z"),
				   at("2026-05-01T00:00:00Z"), &ev);
		CHECK_INT(n, 1);
		CHECK(n == 1 && strcmp(ev[0].hub_key, "booking-7") == 0 &&
		      strcmp(ev[0].color_id, "5") == 0);
		hub_cal_free(ev);
	}
	CHECK_INT(hub_cal_outbox_put(db, "delete", "booking-7", NULL),
		  HUB_DB_OK);
	CHECK_INT(run_job("calendar_outbox", err, sizeof(err)), 0);
	CHECK_INT(raw("GET", path, NULL, NULL, NULL), 404);
	CHECK_INT(central_count(), 0);
}

static void test_outage(void)
{
	hub_cal_event *ev = NULL;
	hub_health_result h;
	char err[512], id[HUB_CAL_EVENT_ID_LEN], path[128];
	int n;
	radicale_stop();
	CHECK(run_job("calendar_sync", err, sizeof(err)) != 0);
	n = hub_cal_events("hub/anna", at("2026-01-01T00:00:00Z"),
			   at("2027-01-01T00:00:00Z"), &ev);
	CHECK_INT(n, 6); /* the mirror is kept */
	hub_cal_free(ev);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_DEGRADED);
	CHECK_INT(
	    hub_cal_outbox_put(hub_store_db(), "upsert", "booking-8", ev1),
	    HUB_DB_OK);
	run_job("calendar_outbox", err, sizeof(err));
	/* back on the same folder: both catch up */
	CHECK_INT(radicale_start(), 0);
	CHECK_INT(put_event("after",
			    "SUMMARY:Danach\r\n"
			    "DTSTART;TZID=Europe/Berlin:20261208T090000\r\n"
			    "DTEND;TZID=Europe/Berlin:20261208T100000\r\n"),
		  201);
	CHECK_INT(run_job("calendar_sync", err, sizeof(err)), 0);
	n = hub_cal_events("hub/anna", at("2026-01-01T00:00:00Z"),
			   at("2027-01-01T00:00:00Z"), &ev);
	CHECK_INT(n, 7);
	hub_cal_free(ev);
	hub_cal_test_set_clock_offset(3600); /* past the outbox backoff */
	CHECK_INT(run_job("calendar_outbox", err, sizeof(err)), 0);
	hub_cal_test_set_clock_offset(0);
	hub_cal_event_id_for("booking-8", id);
	snprintf(path, sizeof(path), "/hub/central/%s.ics", id);
	CHECK_INT(raw("GET", path, NULL, NULL, NULL), 200);
	ctu_health(&h);
	CHECK_INT(h.status, HUB_HEALTH_OK);
	if (h.status != HUB_HEALTH_OK)
		fprintf(stderr, "health: %s\n", h.detail);
}

int main(void)
{
	char err[512];
	hub_time_init("Europe/Berlin");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	g_dir = ctu_tmpdir();
	g_port = free_port();
	if (!g_dir || g_port <= 0 || radicale_start() != 0) {
		fprintf(stderr, "radicale did not start\n");
		radicale_stop();
		return 1;
	}
	if (hub_store_open(g_dir, err, sizeof(err)) != 0 || start() != 0) {
		radicale_stop();
		return 1;
	}
	test_availability();
	test_incremental();
	test_central();
	test_outage();
	hub_cal_shutdown();
	ctu_api_reset();
	hub_store_close();
	radicale_stop();
	ctu_rmrf(g_dir);
	free(g_dir);
	return check_report("calendar.caldav");
}
