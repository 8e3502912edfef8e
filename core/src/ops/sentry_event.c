/*
 * sentry_event.c - what an error report looks like on the wire: DSN
 * parsing, the X-Sentry-Auth header, scrubbing, and the envelope (one
 * header line, one item header line, the event JSON).
 */
#define _GNU_SOURCE
#include "base/conf.h"
#include "identity/identity.h"
#include "ops/sentry.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE 4096 /* bytes of message text kept */
#define MAX_FRAMES  64

/* Process-wide settings read by hub_sentry_configure. */
static struct {
	pthread_mutex_t lock;
	int have_dsn;
	hub_sentry_dsn dsn;
	char environment[64];
	char release[64];
	char server_name[128];
} g_cfg = {.lock = PTHREAD_MUTEX_INITIALIZER};

int hub_sentry_parse_dsn(const char *text, hub_sentry_dsn *out)
{
	const char *sep, *cred, *at, *host, *slash;
	size_t keylen;
	if (!text || !out)
		return -1;
	sep = strstr(text, "://");
	if (!sep ||
	    (strncmp(text, "http://", 7) && strncmp(text, "https://", 8)))
		return -1;
	cred = sep + 3;
	at = strchr(cred, '@');
	if (!at || at == cred)
		return -1;
	host = at + 1;
	slash = strrchr(host, '/');
	if (!slash || slash == host || !slash[1])
		return -1;
	for (const char *p = slash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	const char *colon = memchr(cred, ':', (size_t)(at - cred));
	keylen = (size_t)((colon ? colon : at) - cred);
	if (keylen == 0 || keylen >= sizeof(out->public_key))
		return -1;
	for (size_t i = 0; i < keylen; i++)
		if (!isalnum((unsigned char)cred[i]) && cred[i] != '-' &&
		    cred[i] != '_')
			return -1;
	memcpy(out->public_key, cred, keylen);
	out->public_key[keylen] = 0;
	if ((size_t)snprintf(out->endpoint, sizeof(out->endpoint),
			     "%.*s%.*s/api/%s/envelope/", (int)(cred - text),
			     text, (int)(slash - host), host,
			     slash + 1) >= sizeof(out->endpoint))
		return -1;
	if ((size_t)snprintf(out->dsn, sizeof(out->dsn), "%.*s%s@%s",
			     (int)(cred - text), text, out->public_key,
			     host) >= sizeof(out->dsn))
		return -1;
	return 0;
}

int hub_sentry_auth_header(const hub_sentry_dsn *d, char *out, size_t outlen)
{
	int n = snprintf(out, outlen,
			 "X-Sentry-Auth: Sentry sentry_version=7, "
			 "sentry_key=%s, sentry_client=hub/%s",
			 d->public_key, HUB_VERSION);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ------------------------------------------------------------- scrubbing */

static const char *const secret_words[] = {
    "password", "passwd", "pwd",	   "secret",	 "token", "totp",
    "otp",	"cookie", "authorization", "session",	 "csrf",  "api_key",
    "apikey",	"key",	  "auth",	   "credential", NULL};

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Length of a secret word starting at s (and not inside a longer word on
 * its left), or 0. */
static size_t secret_word_at(const char *start, const char *s)
{
	if (s > start && isalpha((unsigned char)s[-1]))
		return 0;
	for (size_t i = 0; secret_words[i]; i++) {
		size_t n = strlen(secret_words[i]);
		if (!strncasecmp(s, secret_words[i], n)) {
			/* let "tokens", "session_id", "api_key_x" count too */
			while (word_char(s[n]))
				n++;
			return n;
		}
	}
	return 0;
}

/* Length of the value part after a secret word: skips quotes, spaces and
 * one '=' or ':' (returns 0 when there is none), then the value up to a
 * delimiter. *skip gets the bytes before the value. */
static size_t secret_value_at(const char *s, size_t *skip)
{
	size_t i = 0, v;
	while (s[i] == '"' || s[i] == '\'' || s[i] == ' ')
		i++;
	if (s[i] != '=' && s[i] != ':')
		return 0;
	i++;
	while (s[i] == ' ' || s[i] == '"' || s[i] == '\'')
		i++;
	/* "Authorization: Bearer X" - the scheme word is part of it */
	if (!strncasecmp(s + i, "bearer ", 7))
		i += 7;
	else if (!strncasecmp(s + i, "basic ", 6))
		i += 6;
	*skip = i;
	for (v = 0; s[i + v] && !strchr(" \t\r\n&;,\"'}{)(<>", s[i + v]); v++)
		;
	return v;
}

/* Appends n bytes to the growing output. */
static void put(char *out, size_t *o, const char *s, size_t n)
{
	memcpy(out + *o, s, n);
	*o += n;
}

char *hub_sentry_scrub(const char *in)
{
	static const char mark[] = "[scrubbed]";
	size_t len = in ? strlen(in) : 0, o = 0;
	/* each redaction replaces at least one byte by 10 */
	char *out = malloc(len * (sizeof(mark)) + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		const char *s = in + i;
		size_t w = secret_word_at(in, s), skip = 0, v;
		if (w && (v = secret_value_at(s + w, &skip)) > 0) {
			put(out, &o, s, w + skip);
			put(out, &o, mark, sizeof(mark) - 1);
			i += w + skip + v;
			continue;
		}
		if ((!strncasecmp(s, "bearer ", 7) ||
		     !strncasecmp(s, "basic ", 6)) &&
		    (i == 0 || !isalpha((unsigned char)s[-1]))) {
			size_t k = s[1] == 'e' || s[1] == 'E' ? 7 : 6;
			for (v = 0;
			     s[k + v] && !isspace((unsigned char)s[k + v]); v++)
				;
			if (v) {
				put(out, &o, s, k);
				put(out, &o, mark, sizeof(mark) - 1);
				i += k + v;
				continue;
			}
		}
		/* long opaque runs: session ids, API tokens, TOTP secrets */
		if (i == 0 || !word_char(s[-1])) {
			for (v = 0; word_char(s[v]) || s[v] == '.' ||
				    s[v] == '+' || s[v] == '/' || s[v] == '=';
			     v++)
				;
			int digits = 0, letters = 0;
			for (size_t k = 0; k < v; k++) {
				digits += isdigit((unsigned char)s[k]) != 0;
				letters += isalpha((unsigned char)s[k]) != 0;
			}
			if (v >= 20 && digits && letters &&
			    !memchr(s, '/', v)) {
				put(out, &o, mark, sizeof(mark) - 1);
				i += v;
				continue;
			}
			if (v > 0) {
				put(out, &o, s, v);
				i += v;
				continue;
			}
		}
		out[o++] = in[i++];
	}
	out[o] = 0;
	return out;
}

/* ----------------------------------------------------------- the event */

static void new_event_id(char id[33])
{
	unsigned char b[16];
	if (hub_random(b, sizeof(b)) != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long x = (unsigned long long)ts.tv_nsec ^
				       ((unsigned long long)getpid() << 32) ^
				       (unsigned long long)ts.tv_sec;
		for (int i = 0; i < 16; i++, x = x * 6364136223846793005ULL + 1)
			b[i] = (unsigned char)(x >> 56);
	}
	/* a version-4 UUID in Sentry's 32-digit form */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
}

static void rfc3339(long long t, char *out, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One frame from a backtrace_symbols line such as
 * "/usr/lib/hub/hubd(hub_dispatch+0x1a4) [0x55d4c2a1b2c3]". */
static cJSON *frame_of(const char *line)
{
	cJSON *f = cJSON_CreateObject();
	char pkg[256] = "", fn[128] = "", addr[32] = "";
	const char *lp = strchr(line, '('), *rp = lp ? strchr(lp, ')') : NULL;
	const char *lb = strrchr(line, '['), *rb = lb ? strchr(lb, ']') : NULL;
	if (!f)
		return NULL;
	snprintf(pkg, sizeof(pkg), "%.*s",
		 (int)(lp ? (size_t)(lp - line) : strcspn(line, " [")), line);
	if (lp && rp) {
		size_t n = strcspn(lp + 1, "+)");
		snprintf(fn, sizeof(fn), "%.*s", (int)n, lp + 1);
	}
	if (lb && rb)
		snprintf(addr, sizeof(addr), "%.*s", (int)(rb - lb - 1),
			 lb + 1);
	if (pkg[0])
		cJSON_AddStringToObject(f, "package", pkg);
	cJSON_AddStringToObject(f, "function", fn[0] ? fn : "<unknown>");
	if (!strncmp(addr, "0x", 2))
		cJSON_AddStringToObject(f, "instruction_addr", addr);
	cJSON_AddBoolToObject(f, "in_app",
			      strstr(pkg, "hub") != NULL ||
				  strstr(pkg, ".so") == NULL);
	return f;
}

static void add_exception(cJSON *ev, const hub_sentry_info *in,
			  const char *value)
{
	cJSON *exc = cJSON_AddObjectToObject(ev, "exception");
	cJSON *vals = exc ? cJSON_AddArrayToObject(exc, "values") : NULL;
	cJSON *one = cJSON_CreateObject();
	if (!vals || !one) {
		cJSON_Delete(one);
		return;
	}
	cJSON_AddItemToArray(vals, one);
	cJSON_AddStringToObject(one, "type", in->exc_type);
	if (value)
		cJSON_AddStringToObject(one, "value", value);
	cJSON *mech = cJSON_AddObjectToObject(one, "mechanism");
	if (mech) {
		cJSON_AddStringToObject(mech, "type", "signalhandler");
		cJSON_AddBoolToObject(mech, "handled", 0);
	}
	if (!in->nframes)
		return;
	cJSON *st = cJSON_AddObjectToObject(one, "stacktrace");
	cJSON *frames = st ? cJSON_AddArrayToObject(st, "frames") : NULL;
	size_t n = in->nframes > MAX_FRAMES ? MAX_FRAMES : in->nframes;
	/* Sentry wants the outermost call first */
	for (size_t i = n; frames && i-- > 0;) {
		cJSON *f = frame_of(in->frames[i]);
		if (f)
			cJSON_AddItemToArray(frames, f);
	}
}

static void add_tag(cJSON *tags, const char *k, const char *v)
{
	char buf[200];
	if (!v || !*v || !strcmp(v, "-"))
		return;
	/* tag values are short (Sentry keeps 200 characters) */
	snprintf(buf, sizeof(buf), "%s", v);
	cJSON_AddStringToObject(tags, k, buf);
}

/* Builds the event object; NULL when out of memory. */
static cJSON *build_event(const hub_sentry_info *in, const char *id)
{
	char ts[32], msgbuf[MAX_MESSAGE + 1], st[16];
	cJSON *ev = cJSON_CreateObject(), *tags, *sdk;
	char *msg = NULL, *val = NULL;
	if (!ev)
		return NULL;
	rfc3339(in->time_s ? in->time_s : (long long)time(NULL), ts,
		sizeof(ts));
	snprintf(msgbuf, sizeof(msgbuf), "%s", in->message ? in->message : "");
	msg = hub_sentry_scrub(msgbuf);
	val = in->exc_value ? hub_sentry_scrub(in->exc_value) : NULL;
	pthread_mutex_lock(&g_cfg.lock);
	cJSON_AddStringToObject(ev, "event_id", id);
	cJSON_AddStringToObject(ev, "timestamp", ts);
	cJSON_AddStringToObject(ev, "platform", "c");
	cJSON_AddStringToObject(ev, "level", in->level ? in->level : "error");
	cJSON_AddStringToObject(ev, "logger", in->logger ? in->logger : "hub");
	cJSON_AddStringToObject(ev, "server_name", g_cfg.server_name);
	cJSON_AddStringToObject(ev, "release",
				in->release ? in->release : g_cfg.release);
	cJSON_AddStringToObject(ev, "environment", g_cfg.environment);
	pthread_mutex_unlock(&g_cfg.lock);
	cJSON *m = cJSON_AddObjectToObject(ev, "message");
	if (m)
		cJSON_AddStringToObject(m, "formatted", msg ? msg : "");
	tags = cJSON_AddObjectToObject(ev, "tags");
	if (tags) {
		add_tag(tags, "kind", in->kind);
		add_tag(tags, "route", in->route);
		add_tag(tags, "method", in->method);
		add_tag(tags, "request_id", in->request_id);
		add_tag(tags, "module", in->module);
		if (in->status > 0) {
			snprintf(st, sizeof(st), "%d", in->status);
			add_tag(tags, "status", st);
		}
	}
	if (in->exc_type)
		add_exception(ev, in, val);
	sdk = cJSON_AddObjectToObject(ev, "sdk");
	if (sdk) {
		cJSON_AddStringToObject(sdk, "name", "hub");
		cJSON_AddStringToObject(sdk, "version", HUB_VERSION);
	}
	free(msg);
	free(val);
	return ev;
}

char *hub_sentry_envelope(const hub_sentry_info *in, char event_id[33],
			  size_t *len)
{
	char ts[32], *payload = NULL, *out = NULL, dsn[512];
	cJSON *ev;
	size_t plen, cap;
	new_event_id(event_id);
	ev = build_event(in, event_id);
	if (ev)
		payload = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	if (!payload)
		return NULL;
	plen = strlen(payload);
	rfc3339((long long)time(NULL), ts, sizeof(ts));
	pthread_mutex_lock(&g_cfg.lock);
	snprintf(dsn, sizeof(dsn), "%s", g_cfg.have_dsn ? g_cfg.dsn.dsn : "");
	pthread_mutex_unlock(&g_cfg.lock);
	cap = plen + strlen(dsn) + 256;
	out = malloc(cap);
	if (out) {
		int n =
		    snprintf(out, cap,
			     "{\"event_id\":\"%s\",\"sent_at\":\"%s\"%s%s%s}\n"
			     "{\"type\":\"event\",\"length\":%zu,"
			     "\"content_type\":\"application/json\"}\n"
			     "%s\n",
			     event_id, ts, dsn[0] ? ",\"dsn\":\"" : "", dsn,
			     dsn[0] ? "\"" : "", plen, payload);
		if (n < 0 || (size_t)n >= cap) {
			free(out);
			out = NULL;
		} else if (len) {
			*len = (size_t)n;
		}
	}
	free(payload);
	return out;
}

/* ------------------------------------------------------- configuration */

int hub_sentry_configure(char *err, size_t errlen)
{
	const char *dsn = hub_conf_get("sentry", "dsn");
	const char *env = hub_conf_get("sentry", "environment");
	const char *rel = hub_conf_get("sentry", "release");
	const char *srv = hub_conf_get("sentry", "server_name");
	hub_sentry_dsn d;
	char host[128] = "";
	int have;
	if (!dsn || !*dsn) /* the older spelling */
		dsn = hub_conf_get("server", "sentry_dsn");
	have = dsn && *dsn;
	if (have && hub_sentry_parse_dsn(dsn, &d) != 0) {
		snprintf(err, errlen,
			 "%s:%d: [sentry] key 'dsn': not a DSN "
			 "(https://KEY@HOST/PROJECT_ID)",
			 hub_conf_path(), hub_conf_line("sentry", "dsn"));
		return -1;
	}
	if (!srv && gethostname(host, sizeof(host) - 1) == 0)
		srv = host;
	pthread_mutex_lock(&g_cfg.lock);
	g_cfg.have_dsn = have;
	if (have)
		g_cfg.dsn = d;
	snprintf(g_cfg.environment, sizeof(g_cfg.environment), "%s",
		 env && *env ? env : "production");
	if (rel && *rel)
		snprintf(g_cfg.release, sizeof(g_cfg.release), "%s", rel);
	else
		snprintf(g_cfg.release, sizeof(g_cfg.release), "hub@%s",
			 HUB_VERSION);
	snprintf(g_cfg.server_name, sizeof(g_cfg.server_name), "%s",
		 srv && *srv ? srv : "unknown");
	pthread_mutex_unlock(&g_cfg.lock);
	return have;
}

int hub_sentry_current_dsn(hub_sentry_dsn *out)
{
	int have;
	pthread_mutex_lock(&g_cfg.lock);
	have = g_cfg.have_dsn;
	if (have)
		*out = g_cfg.dsn;
	pthread_mutex_unlock(&g_cfg.lock);
	return have;
}
