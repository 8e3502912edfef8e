/*
 * test_id_crypto.c - the DRBG (distinct outputs, threads, fork), the
 * constant-time comparison, key derivation and AES-256-GCM sealing
 * (round trip, tampering, wrong binding, wrong key).
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "check.h"
#include "base/conf.h"
#include "identity/id_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS	   8
#define PER_THREAD 2000

static unsigned char g_out[THREADS][PER_THREAD][16];

static void *rng_worker(void *arg)
{
	long t = (long)arg;
	for (int i = 0; i < PER_THREAD; i++)
		if (hub_random(g_out[t][i], 16) != 0)
			return (void *)1;
	return NULL;
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_random(void)
{
	pthread_t th[THREADS];
	int failed = 0, dups = 0;
	unsigned char big[5000];
	for (long t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, rng_worker, (void *)t);
	for (int t = 0; t < THREADS; t++) {
		void *r;
		pthread_join(th[t], &r);
		failed += r != NULL;
	}
	CHECK_INT(failed, 0);
	/* 16000 16-byte values from 8 threads: all distinct */
	qsort(g_out, THREADS * PER_THREAD, 16, cmp16);
	for (int i = 1; i < THREADS * PER_THREAD; i++)
		dups += memcmp(((unsigned char *)g_out) + 16 * (i - 1),
			       ((unsigned char *)g_out) + 16 * i, 16) == 0;
	CHECK_INT(dups, 0);
	/* larger than one DRBG request, and not all zero */
	memset(big, 0, sizeof(big));
	CHECK_INT(hub_random(big, sizeof(big)), 0);
	int nonzero = 0;
	for (size_t i = sizeof(big) - 100; i < sizeof(big); i++)
		nonzero += big[i] != 0;
	CHECK(nonzero > 50);
}

static void test_fork(void)
{
	unsigned char parent[16], child[16];
	int fds[2];
	pid_t pid;
	CHECK_INT(pipe(fds), 0);
	hub_random(parent, 1); /* seeded before the fork */
	pid = fork();
	if (pid == 0) {
		hub_random(child, sizeof(child));
		if (write(fds[1], child, sizeof(child)) != 16)
			_exit(1);
		_exit(0);
	}
	hub_random(parent, sizeof(parent));
	CHECK_INT(read(fds[0], child, sizeof(child)), 16);
	waitpid(pid, NULL, 0);
	CHECK(memcmp(parent, child, 16) != 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_ct(void)
{
	CHECK(hub_ct_streq("abc", "abc"));
	CHECK(hub_ct_streq("", ""));
	CHECK(!hub_ct_streq("abc", "abd"));
	CHECK(!hub_ct_streq("abc", "abcd"));
	CHECK(!hub_ct_streq("abcd", "abc"));
	CHECK(!hub_ct_streq("abc", ""));
	CHECK(!hub_ct_streq(NULL, "abc"));
	CHECK(!hub_ct_streq("abc", NULL));
	CHECK(!hub_ct_streq(NULL, NULL));
}

static void test_seal(void)
{
	const char secret[] = "12345678901234567890";
	unsigned char *blob = NULL, *pt = NULL, *blob2 = NULL;
	size_t n = 0, m = 0, n2 = 0;

	CHECK_INT(id_keys_derive("key one, long enough", 20), 0);
	CHECK_INT(id_seal(secret, 20, "user:1", &blob, &n), 0);
	CHECK_INT(n, 1 + 12 + 20 + 16);
	CHECK(memmem(blob, n, secret, 20) == NULL);
	CHECK_INT(id_open(blob, n, "user:1", &pt, &m), 0);
	CHECK_INT(m, 20);
	CHECK(pt && memcmp(pt, secret, 20) == 0);
	free(pt);
	/* fresh nonce each time */
	CHECK_INT(id_seal(secret, 20, "user:1", &blob2, &n2), 0);
	CHECK(n2 == n && memcmp(blob, blob2, n) != 0);
	free(blob2);
	/* bound to its user */
	CHECK_INT(id_open(blob, n, "user:2", &pt, &m), -1);
	CHECK(pt == NULL);
	/* any flipped bit is detected */
	for (size_t i = 0; i < n; i++) {
		blob[i] ^= 0x01;
		CHECK_INT(id_open(blob, n, "user:1", &pt, &m), -1);
		blob[i] ^= 0x01;
	}
	CHECK_INT(id_open(blob, n - 1, "user:1", &pt, &m), -1);
	CHECK_INT(id_open(blob, 5, "user:1", &pt, &m), -1);
	/* another key cannot open it */
	unsigned char k1[32];
	memcpy(k1, g_idk.totp, 32);
	CHECK_INT(id_keys_derive("key two, long enough", 20), 0);
	CHECK(memcmp(k1, g_idk.totp, 32) != 0);
	CHECK(memcmp(g_idk.totp, g_idk.csrf, 32) != 0);
	CHECK(memcmp(g_idk.csrf, g_idk.backup, 32) != 0);
	CHECK_INT(id_open(blob, n, "user:1", &pt, &m), -1);
	free(blob);
}

static void test_hex(void)
{
	char h[65], r1[65], r2[65], s[40];
	id_sha256_hex("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff6"
		     "1f20015ad");
	CHECK_INT(id_random_hex(32, r1), 0);
	CHECK_INT(id_random_hex(32, r2), 0);
	CHECK_INT(strlen(r1), 64);
	CHECK(strcmp(r1, r2) != 0);
	CHECK_INT(id_random_chars("ab", 32, s), 0);
	CHECK_INT(strspn(s, "ab"), 32);
	CHECK(strchr(s, 'a') && strchr(s, 'b'));
}

/* Without HUB_SECRET_KEY a random key file is made once, mode 0600, and
 * refused when others can read it. */
static void test_key_file(void)
{
	char dir[] = "/tmp/hubid-key-XXXXXX", conf[256], path[300], err[256];
	unsigned char k1[32];
	struct stat st;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "[server]\ndata_dir = %s\n", dir);
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	unsetenv("HUB_SECRET_KEY");
	CHECK_INT(hub_conf_load_string("k.conf", conf, err, sizeof(err)), 0);
	CHECK_INT(hub_id_init(err, sizeof(err)), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	      st.st_size == 65);
	memcpy(k1, g_idk.totp, 32);
	hub_id_shutdown();
	CHECK_INT(hub_id_init(err, sizeof(err)), 0); /* same file, same key */
	CHECK(memcmp(k1, g_idk.totp, 32) == 0);
	hub_id_shutdown();
	chmod(path, 0644);
	CHECK_INT(hub_id_init(err, sizeof(err)), -1);
	CHECK(strstr(err, "chmod 600") != NULL);
	unlink(path);
	rmdir(dir);
	hub_conf_free();
	/* a short configured key is refused */
	CHECK_INT(hub_conf_load_string("k.conf",
				       "[server]\nsecret_key = short\n", err,
				       sizeof(err)),
		  0);
	CHECK_INT(hub_id_init(err, sizeof(err)), -1);
	CHECK(strstr(err, "at least 16") != NULL);
	hub_conf_free();
}

int main(void)
{
	test_random();
	test_fork();
	test_ct();
	test_seal();
	test_hex();
	test_key_file();
	return check_report("identity.crypto");
}
