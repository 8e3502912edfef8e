/*
 * id_crypto.c - the cryptographic primitives of the identity subsystem:
 * one CTR-DRBG for the process, SHA-256 and HMAC, AES-256-GCM sealing of
 * secrets at rest, hex helpers and constant-time comparison.
 *
 * The DRBG is seeded once from the system entropy source (pthread_once)
 * and guarded by one mutex; a forked child reseeds so parent and child
 * never share a random stream.
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ DRBG */

static pthread_once_t g_rng_once = PTHREAD_ONCE_INIT; /* seeds once */

static struct {
	pthread_mutex_t lock; /* guards ctr and entropy */
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context ctr;
	int ok; /* seeding succeeded */
} g_rng;

static const char rng_pers[] = "business-hub identity drbg";

static void rng_after_fork(void)
{
	pthread_mutex_init(&g_rng.lock, NULL);
	if (g_rng.ok && mbedtls_ctr_drbg_reseed(
			    &g_rng.ctr, (const unsigned char *)"fork", 4) != 0)
		g_rng.ok = 0;
}

static void rng_seed(void)
{
	pthread_mutex_init(&g_rng.lock, NULL);
	mbedtls_entropy_init(&g_rng.entropy);
	mbedtls_ctr_drbg_init(&g_rng.ctr);
	g_rng.ok = mbedtls_ctr_drbg_seed(&g_rng.ctr, mbedtls_entropy_func,
					 &g_rng.entropy,
					 (const unsigned char *)rng_pers,
					 sizeof(rng_pers) - 1) == 0;
	if (g_rng.ok) {
		mbedtls_ctr_drbg_set_prediction_resistance(
		    &g_rng.ctr, MBEDTLS_CTR_DRBG_PR_OFF);
		pthread_atfork(NULL, NULL, rng_after_fork);
	}
}

/* Fills buf with n random bytes. Thread-safe. Returns 0 or -1 (entropy
 * source unavailable). */
int hub_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	int rc = 0;
	pthread_once(&g_rng_once, rng_seed);
	if (!g_rng.ok)
		return -1;
	pthread_mutex_lock(&g_rng.lock);
	while (n > 0 && rc == 0) {
		size_t chunk = n > MBEDTLS_CTR_DRBG_MAX_REQUEST
				   ? MBEDTLS_CTR_DRBG_MAX_REQUEST
				   : n;
		rc = mbedtls_ctr_drbg_random(&g_rng.ctr, p, chunk);
		p += chunk;
		n -= chunk;
	}
	pthread_mutex_unlock(&g_rng.lock);
	return rc == 0 ? 0 : -1;
}

int id_random_hex(size_t n, char *out)
{
	unsigned char buf[64];
	if (n > sizeof(buf) || hub_random(buf, n) != 0)
		return -1;
	id_hex(buf, n, out);
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return 0;
}

int id_random_chars(const char *alphabet, size_t len, char *out)
{
	size_t k = strlen(alphabet), i = 0;
	/* rejection sampling: no modulo bias */
	unsigned limit = 256 - (256 % (unsigned)k);
	unsigned char buf[64];
	if (k == 0 || k > 256)
		return -1;
	while (i < len) {
		if (hub_random(buf, sizeof(buf)) != 0)
			return -1;
		for (size_t j = 0; j < sizeof(buf) && i < len; j++)
			if (buf[j] < limit)
				out[i++] = alphabet[buf[j] % k];
	}
	out[len] = 0;
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return 0;
}

/* ============================================================ compares */

/* Constant-time equality of two strings: the time depends only on the
 * length of `a`. NULL never equals anything. */
int hub_ct_streq(const char *a, const char *b)
{
	size_t la, lb;
	const char *c;
	unsigned char d;
	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	d = la != lb;
	c = la == lb ? b : a;
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ c[i]);
	return d == 0;
}

/* ========================================================== hashes */

void id_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 15];
	}
	out[2 * n] = 0;
}

void id_sha256_hex(const void *s, size_t n, char out[65])
{
	unsigned char h[32];
	mbedtls_sha256_ret(s, n, h, 0);
	id_hex(h, sizeof(h), out);
}

void id_hmac_hex(const unsigned char key[32], const void *s, size_t n,
		 char out[65])
{
	unsigned char h[32];
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, 32,
			s, n, h);
	id_hex(h, sizeof(h), out);
}

/* =================================================== AES-256-GCM */

#define SEAL_VERSION 1
#define SEAL_NONCE   12
#define SEAL_TAG     16

int id_seal(const void *pt, size_t ptlen, const char *aad, unsigned char **out,
	    size_t *outlen)
{
	mbedtls_gcm_context gcm;
	size_t n = 1 + SEAL_NONCE + ptlen + SEAL_TAG;
	unsigned char *b;
	int rc = -1;

	*out = NULL;
	if (!g_idk.ready)
		return -1;
	b = malloc(n);
	if (!b)
		return -1;
	b[0] = SEAL_VERSION;
	mbedtls_gcm_init(&gcm);
	if (hub_random(b + 1, SEAL_NONCE) == 0 &&
	    mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, g_idk.totp, 256) ==
		0 &&
	    mbedtls_gcm_crypt_and_tag(
		&gcm, MBEDTLS_GCM_ENCRYPT, ptlen, b + 1, SEAL_NONCE,
		(const unsigned char *)aad, strlen(aad), pt, b + 1 + SEAL_NONCE,
		SEAL_TAG, b + 1 + SEAL_NONCE + ptlen) == 0)
		rc = 0;
	mbedtls_gcm_free(&gcm);
	if (rc == 0) {
		*out = b;
		*outlen = n;
	} else {
		free(b);
	}
	return rc;
}

int id_open(const void *blob, size_t bloblen, const char *aad,
	    unsigned char **out, size_t *outlen)
{
	const unsigned char *b = blob;
	mbedtls_gcm_context gcm;
	unsigned char *pt;
	size_t n;
	int rc = -1;

	*out = NULL;
	if (!g_idk.ready || !b || bloblen < 1 + SEAL_NONCE + SEAL_TAG ||
	    b[0] != SEAL_VERSION)
		return -1;
	n = bloblen - 1 - SEAL_NONCE - SEAL_TAG;
	pt = malloc(n + 1);
	if (!pt)
		return -1;
	mbedtls_gcm_init(&gcm);
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, g_idk.totp, 256) ==
		0 &&
	    mbedtls_gcm_auth_decrypt(&gcm, n, b + 1, SEAL_NONCE,
				     (const unsigned char *)aad, strlen(aad),
				     b + 1 + SEAL_NONCE + n, SEAL_TAG,
				     b + 1 + SEAL_NONCE, pt) == 0)
		rc = 0;
	mbedtls_gcm_free(&gcm);
	if (rc == 0) {
		pt[n] = 0;
		*out = pt;
		*outlen = n;
	} else {
		mbedtls_platform_zeroize(pt, n + 1);
		free(pt);
	}
	return rc;
}
