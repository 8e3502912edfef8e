/*
 * cal_creds.c - the Google service-account key file (JSON) parser; see
 * cal_parse.h. Key material never reaches an error message or a log.
 */
#define _GNU_SOURCE
#include "calendar/cal_parse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREDS_MAX_BYTES (64u * 1024u)

/* Looks up member `name`. *out = copy or NULL when absent. Returns 0, or
 * -1 with err naming the member when it has the wrong type or is empty. */
static int take_str(const cJSON *root, const char *name, int required,
		    char **out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "credentials: member \"%s\" is missing",
			 name);
		return -1;
	}
	if (!cJSON_IsString(v) || !v->valuestring) {
		snprintf(err, errlen,
			 "credentials: member \"%s\" is not a string", name);
		return -1;
	}
	if (required && !v->valuestring[0]) {
		snprintf(err, errlen, "credentials: member \"%s\" is empty",
			 name);
		return -1;
	}
	*out = strdup(v->valuestring);
	if (!*out) {
		snprintf(err, errlen, "credentials: out of memory");
		return -1;
	}
	return 0;
}

/* Plain-text sanity of an e-mail like issuer (no control characters). */
static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7F)
			return 0;
	return at && at != s && at[1] && strlen(s) < 320;
}

/* cJSON holds its own copy of the key text: wipe it before freeing. */
static void wipe_key_member(cJSON *root)
{
	cJSON *v =
	    root ? cJSON_GetObjectItemCaseSensitive(root, "private_key") : NULL;
	if (cJSON_IsString(v) && v->valuestring)
		explicit_bzero(v->valuestring, strlen(v->valuestring));
}

int hub_cal_creds_parse(const char *json, size_t len, hub_cal_creds *out,
			char *err, size_t errlen)
{
	cJSON *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!json || len == 0) {
		snprintf(err, errlen, "credentials: file is empty");
		return -1;
	}
	if (len > CREDS_MAX_BYTES) {
		snprintf(err, errlen,
			 "credentials: file is larger than %u bytes",
			 CREDS_MAX_BYTES);
		return -1;
	}
	root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen,
			 "credentials: not a JSON object (is it the service "
			 "account key file Google issued?)");
		goto out;
	}
	if (take_str(root, "type", 1, &out->type, err, errlen) != 0)
		goto out;
	if (strcmp(out->type, "service_account") != 0) {
		snprintf(err, errlen,
			 "credentials: type must be \"service_account\"");
		goto out;
	}
	if (take_str(root, "client_email", 1, &out->client_email, err,
		     errlen) != 0 ||
	    take_str(root, "private_key", 1, &out->private_key, err, errlen) !=
		0 ||
	    take_str(root, "private_key_id", 0, &out->private_key_id, err,
		     errlen) != 0 ||
	    take_str(root, "token_uri", 0, &out->token_uri, err, errlen) != 0)
		goto out;
	if (!email_ok(out->client_email)) {
		snprintf(err, errlen,
			 "credentials: client_email is not an address");
		goto out;
	}
	if (strncmp(out->private_key, "-----BEGIN ", 11) != 0 ||
	    !strstr(out->private_key, "PRIVATE KEY-----")) {
		snprintf(err, errlen,
			 "credentials: private_key is not a PEM private key");
		goto out;
	}
	if (!out->private_key_id && !(out->private_key_id = strdup(""))) {
		snprintf(err, errlen, "credentials: out of memory");
		goto out;
	}
	if (!out->token_uri || !out->token_uri[0]) {
		free(out->token_uri);
		out->token_uri = strdup(HUB_CAL_DEFAULT_TOKEN_URI);
		if (!out->token_uri) {
			snprintf(err, errlen, "credentials: out of memory");
			goto out;
		}
	}
	if (strncmp(out->token_uri, "https://", 8) != 0 &&
	    strncmp(out->token_uri, "http://", 7) != 0) {
		snprintf(err, errlen,
			 "credentials: token_uri must be an http(s) URL");
		goto out;
	}
	for (const char *p = out->token_uri; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7F) {
			snprintf(err, errlen,
				 "credentials: token_uri contains spaces or "
				 "control characters");
			goto out;
		}
	}
	rc = 0;
out:
	wipe_key_member(root);
	cJSON_Delete(root);
	if (rc != 0)
		hub_cal_creds_clear(out);
	return rc;
}

void hub_cal_creds_clear(hub_cal_creds *c)
{
	if (!c)
		return;
	if (c->private_key) {
		explicit_bzero(c->private_key, strlen(c->private_key));
		free(c->private_key);
	}
	free(c->type);
	free(c->client_email);
	free(c->private_key_id);
	free(c->token_uri);
	memset(c, 0, sizeof(*c));
}
