/*
 * booking_http_util.c - see booking_http_util.h.
 */
#define _GNU_SOURCE
#include "booking_http_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bt_start(hubproc *h, const char *consultants, const char *extra)
{
	char conf[4096];
	snprintf(conf, sizeof(conf),
		 "[server]\n"
		 "listen = 127.0.0.1:%%PORT%%\n"
		 "data_dir = %%DATA%%\n"
		 "module_dir = %%MODULES%%\n"
		 "threads = 64\n"
		 "timezone = Europe/Berlin\n"
		 "bootstrap_admin = false\n"
		 "[calendar]\n"
		 "backend = local\n"
		 "[ratelimit]\n"
		 "login = 1000/min\n"
		 "login_account = 1000/min\n"
		 "booking = 100000/min\n"
		 "api = 100000/min\n"
		 "admin = 100000/min\n"
		 "[module.health]\n"
		 "path = health.so\n"
		 "[module.booking]\n"
		 "path = booking.so\n"
		 "consultants = %s\n"
		 "%s\n",
		 consultants, extra ? extra : "");
	return hubproc_start(h, conf, NULL);
}

int bt_user_add(const hubproc *h, const char *name, const char *role)
{
	char pw[96], out[2048];
	const char *argv[] = {HUBCTL_PATH, "-c",     h->conf, "user", "add",
			      name,	   "--role", role,    NULL};
	int rc;
	snprintf(pw, sizeof(pw), "pw-%s-Secret1\n", name);
	rc = hubproc_run(argv, pw, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "hubctl user add %s: %d: %s\n", name, rc, out);
	return rc == 0 ? 0 : -1;
}

int bt_login(const hubproc *h, const char *name, bt_session *s)
{
	char body[256], url[128], cookie[512];
	const char *hdr[] = {"Content-Type: application/json", NULL};
	http_res res;
	cJSON *j;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(body, sizeof(body),
		 "{\"username\":\"%s\",\"password\":\"pw-%s-Secret1\"}", name,
		 name);
	snprintf(url, sizeof(url), "%s/api/v1/auth/login", h->base);
	if (http_do("POST", url, hdr, body, strlen(body), &res) != 0)
		return -1;
	if (res.status == 200 &&
	    http_header(&res, "Set-Cookie", cookie, sizeof(cookie))) {
		char *semi = strchr(cookie, ';');
		if (semi)
			*semi = 0;
		snprintf(s->cookie, sizeof(s->cookie), "%s", cookie);
		j = cJSON_Parse(res.body);
		if (j && cJSON_IsString(cJSON_GetObjectItem(j, "csrf_token"))) {
			snprintf(
			    s->csrf, sizeof(s->csrf), "%s",
			    cJSON_GetObjectItem(j, "csrf_token")->valuestring);
			rc = 0;
		}
		cJSON_Delete(j);
	}
	if (rc != 0)
		fprintf(stderr, "login %s: %ld %s\n", name, res.status,
			res.body ? res.body : "");
	http_free(&res);
	return rc;
}

long bt_req(const hubproc *h, const bt_session *s, const char *method,
	    const char *path, const char *body, const char *hdr, cJSON **json,
	    http_res *keep)
{
	char url[1024], cookie[300], csrf[128];
	const char *hdrs[6];
	int n = 0;
	http_res res;
	long status;

	snprintf(url, sizeof(url), "%s%s", h->base, path);
	if (s) {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", s->csrf);
		hdrs[n++] = cookie;
		hdrs[n++] = csrf;
	}
	if (body)
		hdrs[n++] = "Content-Type: application/json";
	if (hdr)
		hdrs[n++] = hdr;
	hdrs[n] = NULL;
	if (json)
		*json = NULL;
	if (http_do(method, url, hdrs, body, body ? strlen(body) : 0, &res) !=
	    0)
		return -1;
	status = res.status;
	if (json && res.body)
		*json = cJSON_Parse(res.body);
	if (keep)
		*keep = res;
	else
		http_free(&res);
	return status;
}

const char *bt_err_code(const cJSON *j)
{
	const cJSON *e = cJSON_GetObjectItem(j, "error");
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(e, "code"));
	return s ? s : "";
}

const char *bt_err_msg(const cJSON *j)
{
	const cJSON *e = cJSON_GetObjectItem(j, "error");
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(e, "message"));
	return s ? s : "";
}

hub_date bt_workday(hub_date from, unsigned mask)
{
	hub_date d = from;
	for (int i = 0; i < 60; i++, d = hub_date_add(d, 1))
		if ((mask & (1u << hub_date_weekday(d))) &&
		    !booking_holiday_name("NW", d))
			return d;
	return d;
}

void bt_slot(hub_date d, int hh, int mm, char *out)
{
	int64_t t = 0;
	hub_time_from_local(d, hh, mm, &t);
	hub_time_format(t, out);
}
