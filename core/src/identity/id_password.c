/*
 * id_password.c - password hashing with crypt(3) from libxcrypt.
 *
 * New hashes are yescrypt ("$y$", libxcrypt's default cost). Imported
 * bcrypt hashes ("$2b$", "$2a$", "$2y$") verify and are flagged for
 * re-hashing. Nothing else is ever treated as a hash: crypt() would
 * happily run DES on an arbitrary "salt", so a stored value must carry one
 * of the accepted prefixes before it is handed to crypt_r.
 *
 * struct crypt_data is 32 KiB, too big for small worker stacks, so it is
 * allocated per call.
 *
 * yescrypt is memory-hard: each hash touches 16 MiB. At most as many run
 * at once as the machine has processors (more would not finish sooner,
 * only add memory): 8 logins at the same moment on 32 worker threads took
 * hubd's RSS from 31 to 133 MB before this gate.
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"
#include "hub_kit.h"

#include <crypt.h>
#include <mbedtls/platform_util.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A yescrypt hash of a random password, verified against when the user is
 * unknown or disabled so that answer takes as long as a real check. */
static char g_dummy[256];

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int running, limit;
} g_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

/* Runs crypt_r once a slot of the gate is free. */
static const char *gated_crypt(const char *pw, const char *setting,
			       struct crypt_data *cd)
{
	const char *h;
	pthread_mutex_lock(&g_gate.lock);
	if (g_gate.limit == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		g_gate.limit = n < 1 ? 1 : n > 16 ? 16 : (int)n;
	}
	while (g_gate.running >= g_gate.limit)
		pthread_cond_wait(&g_gate.cond, &g_gate.lock);
	g_gate.running++;
	pthread_mutex_unlock(&g_gate.lock);
	h = crypt_r(pw, setting, cd);
	pthread_mutex_lock(&g_gate.lock);
	g_gate.running--;
	pthread_cond_signal(&g_gate.cond);
	pthread_mutex_unlock(&g_gate.lock);
	return h;
}

int id_pw_is_hash(const char *stored)
{
	if (!stored)
		return 0;
	return strncmp(stored, "$y$", 3) == 0 ||
	       strncmp(stored, "$2b$", 4) == 0 ||
	       strncmp(stored, "$2a$", 4) == 0 ||
	       strncmp(stored, "$2y$", 4) == 0;
}

int id_pw_needs_rehash(const char *stored)
{
	return !stored || strncmp(stored, "$y$", 3) != 0;
}

int id_pw_hash(const char *pw, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char salt[32];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (!pw || strlen(pw) > ID_PW_MAX_BYTES)
		return -1;
	if (hub_random(salt, sizeof(salt)) != 0 ||
	    !crypt_gensalt_rn("$y$", 0, (const char *)salt, sizeof(salt),
			      setting, sizeof(setting)))
		return -1;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -1;
	h = gated_crypt(pw, setting, cd);
	if (h && strncmp(h, "$y$", 3) == 0 && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	mbedtls_platform_zeroize(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int id_pw_verify(const char *pw, const char *stored)
{
	struct crypt_data *cd;
	const char *h;
	int ok = 0;

	if (!pw || !id_pw_is_hash(stored) || strlen(pw) > ID_PW_MAX_BYTES)
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return 0;
	h = gated_crypt(pw, stored, cd);
	/* crypt_r answers a "*0"/"*1" failure token on a bad setting */
	if (h && h[0] == '$')
		ok = hub_ct_streq(h, stored);
	mbedtls_platform_zeroize(cd, sizeof(*cd));
	free(cd);
	return ok;
}

void id_pw_dummy_verify(const char *pw)
{
	(void)id_pw_verify(pw ? pw : "", g_dummy);
}

int id_pw_init(void)
{
	char pw[33];
	int rc;
	if (g_dummy[0])
		return 0;
	if (id_random_hex(16, pw) != 0)
		return -1;
	rc = id_pw_hash(pw, g_dummy, sizeof(g_dummy));
	mbedtls_platform_zeroize(pw, sizeof(pw));
	return rc;
}

const char *id_pw_policy(const char *pw)
{
	size_t n;
	if (!pw)
		return "is required";
	n = strlen(pw);
	if (n > ID_PW_MAX_BYTES)
		return "must be at most 256 bytes";
	if (!hubkit_utf8_valid(pw, n))
		return "is not valid UTF-8";
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "contains control characters";
	if (hubkit_utf8_count(pw) < ID_PW_MIN_CHARS)
		return "must be at least 10 characters";
	return NULL;
}
