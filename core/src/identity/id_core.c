/*
 * id_core.c - start-up and shutdown of the identity subsystem: reads the
 * [auth], [server] and [ratelimit] settings, loads (or creates) the secret
 * key and derives the sub-keys, and owns the injectable clock.
 *
 * Key hierarchy: the secret key (HUB_SECRET_KEY / [server] secret_key, or
 * the random <data_dir>/secret.key) is only input keying material; HKDF-
 * SHA256 derives one 256-bit key per purpose, so no key is used for two
 * things and the raw secret never leaves this file.
 */
#define _GNU_SOURCE
#include "base/log.h"
#include "store/store.h"
#include "identity/id_internal.h"
#include "base/conf.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include <liboath/oath.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

id_config g_idc;
id_keys g_idk;

static int64_t (*g_clock)(void); /* NULL = time() */
static int g_oath_ready;	 /* oath_init succeeded */

/* ================================================================ clock */

int64_t id_now(void)
{
	return g_clock ? g_clock() : (int64_t)time(NULL);
}

void hub_id_set_clock(int64_t (*now_s)(void))
{
	g_clock = now_s;
}

/* ============================================================== settings */

int id_parse_lock_schedule(const char *text, id_lock_schedule *out)
{
	const char *p = text;
	id_lock_schedule s;
	memset(&s, 0, sizeof(s));
	while (*p) {
		char *end;
		unsigned long f, secs;
		if (s.n == ID_LOCK_STEPS)
			return -1;
		while (*p == ' ')
			p++;
		errno = 0;
		f = strtoul(p, &end, 10);
		if (end == p || *end != ':' || errno || f == 0 || f > 1000000)
			return -1;
		p = end + 1;
		secs = strtoul(p, &end, 10);
		if (end == p || errno || secs == 0 || secs > 86400UL * 365)
			return -1;
		if (s.n > 0 && f <= s.fails[s.n - 1])
			return -1;
		s.fails[s.n] = (unsigned)f;
		s.secs[s.n] = (unsigned)secs;
		s.n++;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	if (s.n == 0)
		return -1;
	*out = s;
	return 0;
}

static int read_settings(char *err, size_t errlen)
{
	const char *v;
	g_idc.session_absolute_s =
	    hub_conf_int("auth", "session_absolute_s", 8 * 3600);
	g_idc.session_idle_s = hub_conf_int("auth", "session_idle_s", 3600);
	g_idc.require_2fa = hub_conf_bool("auth", "require_2fa", 0);
	v = hub_conf_get("server", "tls_certificate");
	g_idc.cookie_secure =
	    hub_conf_bool("server", "cookie_secure", 0) || (v && *v);
	v = hub_conf_get("auth", "totp_issuer");
	snprintf(g_idc.issuer, sizeof(g_idc.issuer), "%s",
		 v && *v ? v : "Business Hub");
	if (g_idc.session_absolute_s <= 0 || g_idc.session_idle_s <= 0) {
		snprintf(err, errlen, "[auth] session lifetimes must be > 0");
		return -1;
	}
	v = hub_conf_get("auth", "lockout_account");
	if (id_parse_lock_schedule(v ? v : "5:900,10:3600,15:86400",
				   &g_idc.lock_account) != 0) {
		snprintf(err, errlen,
			 "[auth] lockout_account: expected N:SECONDS,...");
		return -1;
	}
	v = hub_conf_get("auth", "lockout_address");
	if (id_parse_lock_schedule(v ? v : "20:900,40:3600,60:86400",
				   &g_idc.lock_address) != 0) {
		snprintf(err, errlen,
			 "[auth] lockout_address: expected N:SECONDS,...");
		return -1;
	}
	return 0;
}

static int configure_rates(char *err, size_t errlen)
{
	static const char *const classes[] = {"login", "login_account",
					      "booking", "api", "admin"};
	long long max_keys = hub_conf_int("ratelimit", "max_keys", 16384);
	if (max_keys < 1 || hub_rate_configure((size_t)max_keys) != 0) {
		snprintf(err, errlen, "[ratelimit] max_keys: cannot allocate");
		return -1;
	}
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		const char *v = hub_conf_get("ratelimit", classes[i]);
		if (v && hub_rate_set_class(classes[i], v) != 0) {
			snprintf(err, errlen,
				 "[ratelimit] %s: '%s' is not a rate such as "
				 "5/min",
				 classes[i], v);
			return -1;
		}
	}
	return 0;
}

/* ============================================================ the key */

int id_keys_derive(const void *ikm, size_t n)
{
	static const unsigned char salt[] = "business-hub identity v1";
	const mbedtls_md_info_t *md =
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	struct {
		const char *info;
		unsigned char *out;
	} sub[] = {{"totp-secret-aes-gcm", g_idk.totp},
		   {"csrf-hmac", g_idk.csrf},
		   {"backup-code-hmac", g_idk.backup},
		   {"key-check", g_idk.check}};
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (mbedtls_hkdf(md, salt, sizeof(salt) - 1, ikm, n,
				 (const unsigned char *)sub[i].info,
				 strlen(sub[i].info), sub[i].out, 32) != 0)
			return -1;
	g_idk.ready = 1;
	return 0;
}

/* Reads the key file; 0 and the bytes in buf, 1 when it does not exist,
 * -1 on error (message in err). */
static int read_key_file(const char *path, char *buf, size_t buflen, char *err,
			 size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "%s: readable by others; chmod 600 it",
			 path);
		return -1;
	}
	n = read(fd, buf, buflen - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	if (n < 32) {
		snprintf(err, errlen, "%s: key too short", path);
		return -1;
	}
	return 0;
}

/* Creates the key file atomically (temp file + link), so two processes
 * starting together agree on one key. Returns 0 or -1. */
static int create_key_file(const char *path, char *err, size_t errlen)
{
	char tmp[4200], hex[65];
	int fd, rc = -1;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (id_random_hex(32, hex) != 0) {
		snprintf(err, errlen, "no entropy for the secret key");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	hex[64] = '\n';
	if (write(fd, hex, 65) == 65 && fsync(fd) == 0)
		rc = 0;
	close(fd);
	mbedtls_platform_zeroize(hex, sizeof(hex));
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	unlink(tmp);
	if (rc != 0 && !err[0])
		snprintf(err, errlen, "%s: cannot write", tmp);
	return rc;
}

static int load_key(char *err, size_t errlen)
{
	const char *k = hub_conf_get("server", "secret_key");
	const char *dir = hub_conf_get("server", "data_dir");
	char path[4096], buf[512];
	int rc;

	if (k && *k) {
		if (strlen(k) < 16) {
			snprintf(err, errlen,
				 "HUB_SECRET_KEY / [server] secret_key must "
				 "be at least 16 bytes");
			return -1;
		}
		return id_keys_derive(k, strlen(k));
	}
	if (hub_store_data_dir()) {
		/* the data directory the store resolved and created */
		snprintf(path, sizeof(path), "%s/secret.key",
			 hub_store_data_dir());
	} else if (dir && *dir) {
		snprintf(path, sizeof(path), "%s/secret.key", dir);
	} else {
		snprintf(err, errlen,
			 "no secret key: set HUB_SECRET_KEY or [server] "
			 "data_dir");
		return -1;
	}
	rc = read_key_file(path, buf, sizeof(buf), err, errlen);
	if (rc == 1) {
		err[0] = 0;
		if (create_key_file(path, err, errlen) != 0)
			return -1;
		rc = read_key_file(path, buf, sizeof(buf), err, errlen);
	}
	if (rc != 0)
		return -1;
	rc = id_keys_derive(buf, strlen(buf));
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return rc;
}

/* ===================================================== init / shutdown */

/* Reads the settings, seeds the DRBG, loads the key, prepares the dummy
 * password hash and the rate limiter. Returns 0, or -1 with a message. */
int hub_id_init(char *err, size_t errlen)
{
	unsigned char probe[16];
	if (errlen)
		err[0] = 0;
	if (read_settings(err, errlen) != 0)
		return -1;
	if (hub_random(probe, sizeof(probe)) != 0) {
		snprintf(err, errlen, "cannot seed the random generator");
		return -1;
	}
	if (!g_oath_ready) {
		if (oath_init() != OATH_OK) {
			snprintf(err, errlen, "liboath failed to initialise");
			return -1;
		}
		g_oath_ready = 1;
	}
	if (load_key(err, errlen) != 0)
		return -1;
	if (id_pw_init() != 0) {
		snprintf(err, errlen,
			 "password hashing (yescrypt) unavailable");
		return -1;
	}
	return configure_rates(err, errlen);
}

/* Wipes the keys and frees the rate limiter. */
void hub_id_shutdown(void)
{
	mbedtls_platform_zeroize(&g_idk, sizeof(g_idk));
	hub_rate_set_backend(NULL);
	hub_rate_configure(0);
	if (g_oath_ready) {
		oath_done();
		g_oath_ready = 0;
	}
}
