/*
 * cal_test_util.c - see cal_test_util.h.
 */
#define _GNU_SOURCE
#include "cal_test_util.h"

#include "sched/sched.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ================================================================ files */

char *ctu_tmpdir(void)
{
	char tmpl[] = "/tmp/hubcal-XXXXXX";
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void ctu_rmrf(const char *dir)
{
	if (dir && strncmp(dir, "/tmp/hubcal-", 12) == 0)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int ctu_write_file(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text), off = 0;
	if (fd < 0)
		return -1;
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	fchmod(fd, (mode_t)mode);
	return close(fd);
}

char *ctu_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

/* ================================================================= keys */

int ctu_make_key(const char *dir, int bits)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "openssl genrsa -out '%s/key.pem' %d 2>/dev/null && "
		 "openssl rsa -in '%s/key.pem' -pubout -out '%s/pub.pem' "
		 "2>/dev/null && chmod 600 '%s/key.pem'",
		 dir, bits, dir, dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

int ctu_write_creds(const char *path, const char *key_pem,
		    const char *token_uri)
{
	char *pem = ctu_read_file(key_pem, NULL), *text = NULL;
	cJSON *o = cJSON_CreateObject();
	int rc = -1;
	if (pem && o && cJSON_AddStringToObject(o, "type", "service_account") &&
	    cJSON_AddStringToObject(o, "project_id", "hub-project") &&
	    cJSON_AddStringToObject(
		o, "private_key_id",
		"0123456789abcdef0123456789abcdef01234567") &&
	    cJSON_AddStringToObject(o, "private_key", pem) &&
	    cJSON_AddStringToObject(o, "client_email", CTU_EMAIL) &&
	    cJSON_AddStringToObject(o, "client_id", "123456789012345678901") &&
	    cJSON_AddStringToObject(
		o, "auth_uri", "https://accounts.google.com/o/oauth2/auth") &&
	    cJSON_AddStringToObject(o, "token_uri", token_uri) &&
	    (text = cJSON_Print(o)))
		rc = ctu_write_file(path, text, 0600);
	free(pem);
	free(text);
	cJSON_Delete(o);
	return rc;
}

void ctu_config(hub_cal_config *c, fake_gcal *f, const char *creds)
{
	hub_cal_config_defaults(c);
	snprintf(c->backend, sizeof(c->backend), "google");
	snprintf(c->api_base, sizeof(c->api_base), "%s", fake_gcal_api_base(f));
	snprintf(c->credentials_file, sizeof(c->credentials_file), "%s", creds);
	snprintf(c->central_calendar_id, sizeof(c->central_calendar_id),
		 "central@group.calendar.google.com");
	/* generous against a loaded CI machine; tests that need a timeout
	 * to fire set their own */
	c->request_timeout_ms = 5000;
	c->connect_timeout_ms = 2000;
	c->retry_budget_ms = 15000;
	c->backoff_base_ms = 50;
	c->backoff_max_ms = 400;
	c->quota_wait_ms = 5000;
}

/* ============================================================= fake host */

static struct {
	pthread_mutex_t lock;
	hub_job jobs[8];
	int njobs;
	hub_check_fn check;
	void *check_ud;
	struct {
		char name[96];
		char labels[160];
		double v;
	} m[256];
	int nm;
} g_host = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int fake_job(hub_ctx *ctx, const hub_job *job)
{
	(void)ctx;
	if (g_host.njobs == 8)
		return -1;
	g_host.jobs[g_host.njobs++] = *job;
	/* known to the (not started) scheduler, so kicks find it */
	return hub_sched_add("core", job);
}

static int fake_check(hub_ctx *ctx, const char *name, hub_check_fn fn, void *ud,
		      unsigned budget_ms)
{
	(void)ctx;
	(void)budget_ms;
	if (strcmp(name, "calendar") != 0)
		return -1;
	g_host.check = fn;
	g_host.check_ud = ud;
	return 0;
}

static void fake_metric(const char *name, const char *labels, double d)
{
	int i;
	pthread_mutex_lock(&g_host.lock);
	for (i = 0; i < g_host.nm; i++)
		if (strcmp(g_host.m[i].name, name) == 0 &&
		    strcmp(g_host.m[i].labels, labels ? labels : "") == 0)
			break;
	if (i == g_host.nm && g_host.nm < 256) {
		snprintf(g_host.m[i].name, sizeof(g_host.m[i].name), "%s",
			 name);
		snprintf(g_host.m[i].labels, sizeof(g_host.m[i].labels), "%s",
			 labels ? labels : "");
		g_host.m[i].v = 0;
		g_host.nm++;
	}
	if (i < 256)
		g_host.m[i].v += d;
	pthread_mutex_unlock(&g_host.lock);
}

const hub_api *ctu_api(void)
{
	static hub_api api;
	api.abi_version = HUB_ABI_VERSION;
	api.size = sizeof(api);
	api.job = fake_job;
	api.health_check = fake_check;
	api.metric_add = fake_metric;
	return &api;
}

double ctu_metric(const char *name, const char *labels_part)
{
	double sum = 0;
	pthread_mutex_lock(&g_host.lock);
	for (int i = 0; i < g_host.nm; i++)
		if (strcmp(g_host.m[i].name, name) == 0 &&
		    (!labels_part || strstr(g_host.m[i].labels, labels_part)))
			sum += g_host.m[i].v;
	pthread_mutex_unlock(&g_host.lock);
	return sum;
}

const hub_job *ctu_job(const char *name)
{
	for (int i = 0; i < g_host.njobs; i++)
		if (strcmp(g_host.jobs[i].name, name) == 0)
			return &g_host.jobs[i];
	return NULL;
}

void ctu_health(hub_health_result *out)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	if (g_host.check)
		g_host.check(g_host.check_ud, out);
}

void ctu_api_reset(void)
{
	hub_sched_remove_owner("core");
	g_host.njobs = 0;
	g_host.check = NULL;
}
