/*
 * cal_jwt.c - base64url and the RS256-signed JWT of Google's
 * service-account flow: header {"alg":"RS256","typ":"JWT","kid"}, claims
 * {"iss","scope","aud","iat","exp"}, signature RSASSA-PKCS1-v1_5 over
 * SHA-256 of "base64url(header).base64url(claims)".
 */
#define _GNU_SOURCE
#include "calendar/cal_internal.h"

#include <cjson/cJSON.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t hub_cal_b64url(const unsigned char *in, size_t n, char *out,
		      size_t outlen)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t need = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0), o = 0, i = 0;

	if (outlen < need + 1)
		return 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* Appends base64url(text) to buf at *pos. Returns 0 or -1. */
static int append_b64(char *buf, size_t cap, size_t *pos, const char *text)
{
	size_t w = hub_cal_b64url((const unsigned char *)text, strlen(text),
				  buf + *pos, cap - *pos);
	if (w == 0 && *text)
		return -1;
	*pos += w;
	return 0;
}

/* Serialises one JSON object unformatted. Owned; NULL on failure. */
static char *header_json(const char *kid)
{
	cJSON *h = cJSON_CreateObject();
	char *s = NULL;
	if (h && cJSON_AddStringToObject(h, "alg", "RS256") &&
	    cJSON_AddStringToObject(h, "typ", "JWT") &&
	    (!kid || !*kid || cJSON_AddStringToObject(h, "kid", kid)))
		s = cJSON_PrintUnformatted(h);
	cJSON_Delete(h);
	return s;
}

static char *claims_json(const hub_cal_jwt_claims *c)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;
	if (o && cJSON_AddStringToObject(o, "iss", c->iss) &&
	    cJSON_AddStringToObject(o, "scope", c->scope) &&
	    cJSON_AddStringToObject(o, "aud", c->aud) &&
	    cJSON_AddNumberToObject(o, "iat", (double)c->iat) &&
	    cJSON_AddNumberToObject(o, "exp", (double)c->exp))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

int hub_cal_jwt_sign(mbedtls_pk_context *pk,
		     int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
		     const hub_cal_jwt_claims *c, char **out, char *err,
		     size_t errlen)
{
	unsigned char hash[32];
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen = 0, cap, pos = 0;
	char *hdr = NULL, *clm = NULL, *buf = NULL;
	int rc = -1;

	*out = NULL;
	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_RSA)) {
		snprintf(err, errlen, "JWT: the key is not an RSA key");
		return -1;
	}
	if (!c->iss || !c->scope || !c->aud || c->exp <= c->iat ||
	    c->exp - c->iat > 3600) {
		snprintf(err, errlen, "JWT: bad claims");
		return -1;
	}
	hdr = header_json(c->kid);
	clm = claims_json(c);
	if (!hdr || !clm) {
		snprintf(err, errlen, "JWT: out of memory");
		goto out;
	}
	cap = (strlen(hdr) + strlen(clm) + sizeof(sig)) * 4 / 3 + 16;
	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "JWT: out of memory");
		goto out;
	}
	if (append_b64(buf, cap, &pos, hdr) != 0)
		goto overflow;
	buf[pos++] = '.';
	if (append_b64(buf, cap, &pos, clm) != 0)
		goto overflow;
	if (mbedtls_sha256_ret((const unsigned char *)buf, pos, hash, 0) != 0 ||
	    mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig,
			    &siglen, f_rng, p_rng) != 0) {
		snprintf(err, errlen, "JWT: signing failed");
		goto out;
	}
	buf[pos++] = '.';
	if (hub_cal_b64url(sig, siglen, buf + pos, cap - pos) == 0)
		goto overflow;
	*out = buf;
	buf = NULL;
	rc = 0;
	goto out;
overflow:
	snprintf(err, errlen, "JWT: buffer too small");
out:
	free(buf);
	free(hdr);
	free(clm);
	return rc;
}
