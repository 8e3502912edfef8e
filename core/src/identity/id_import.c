/*
 * id_import.c - import of the old system's users (docs/DOMAIN.md "Taking over
 * the old system's data"):
 *
 *   user_passwords.json  {"name": "$2b$..." | "legacy plaintext", ...}
 *   user_2fa.json        {"name": {"secret": BASE32, "enabled": bool,
 *                                  "backup_codes": ["...", ...]}, ...}
 *
 * bcrypt and yescrypt hashes are kept as they are (bcrypt is re-hashed at
 * the next sign-in). Only an exact hash counts as one, so a password such
 * as "$ommer2019!" is a password, while a damaged or foreign crypt hash
 * is an error, never a password (looks_like_hash). Plaintext passwords
 * are hashed now (and must be changed at the next sign-in when they fail
 * today's policy); TOTP secrets are sealed with AES-256-GCM; backup codes are
 * stored as keyed hashes. The user "admin" becomes an admin, everyone else
 * staff (the old files hold no roles). Users that exist already are left
 * untouched, so importing twice changes nothing. Errors name the file and the
 * line of the entry.
 */
#define _GNU_SOURCE
#include "store/store.h"
#include "identity/id_internal.h"
#include "base/log.h"

#include <cjson/cJSON.h>
#include <mbedtls/platform_util.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ files */

/* Reads a whole file. 1 when it does not exist, 0 with *out owned, -1 on
 * error (message in err). */
static int slurp(const char *dir, const char *name, char **out, size_t *len,
		 char *err, size_t errlen)
{
	char path[4200];
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rbe");
	if (!fp) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s:0: %s", name, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 65536;
			if (cap > 64u * 1024 * 1024 ||
			    !(nb = realloc(buf, cap))) {
				free(buf);
				fclose(fp);
				snprintf(err, errlen, "%s:0: file too large",
					 name);
				return -1;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, fp);
		n += r;
		if (r == 0)
			break;
	}
	fclose(fp);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static int line_at(const char *text, const char *pos)
{
	int line = 1;
	for (const char *p = text; p < pos && *p; p++)
		if (*p == '\n')
			line++;
	return line;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < end ? p + 1 : end;
}

/* The line of each member of the top-level object, in document order (the
 * order cJSON keeps), for error messages. *lines owned (free). */
static size_t member_lines(const char *text, size_t len, int **lines)
{
	const char *p = text, *end = text + len;
	size_t n = 0, cap = 0;
	int depth = 0, expect_key = 1;
	*lines = NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	for (p++; p < end; p++) {
		if (*p == '"') {
			if (depth == 0 && expect_key) {
				if (n == cap) {
					int *nl;
					cap = cap ? cap * 2 : 64;
					nl = realloc(*lines, cap * sizeof(int));
					if (!nl)
						return n;
					*lines = nl;
				}
				(*lines)[n++] = line_at(text, p);
				expect_key = 0;
			}
			p = skip_string(p, end) - 1;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (depth-- == 0)
				break;
		} else if (*p == ',' && depth == 0) {
			expect_key = 1;
		}
	}
	return n;
}

/* Parses a file into a top-level object with member lines. 1: absent. */
static int load(const char *dir, const char *name, cJSON **root, int **lines,
		size_t *nlines, char **text, char *err, size_t errlen)
{
	size_t len = 0;
	const char *end = NULL;
	int rc = slurp(dir, name, text, &len, err, errlen);
	if (rc != 0)
		return rc;
	*root = cJSON_ParseWithLengthOpts(*text, len, &end, 0);
	if (!*root || !cJSON_IsObject(*root)) {
		snprintf(err, errlen, "%s:%d: %s", name,
			 line_at(*text, *root ? *text
					: end ? end
					      : *text),
			 *root ? "expected a JSON object" : "invalid JSON");
		cJSON_Delete(*root);
		*root = NULL;
		return -1;
	}
	*nlines = member_lines(*text, len, lines);
	return 0;
}

/* ============================================================ passwords */

/* A character of crypt(3)'s base-64 alphabet ("./0-9A-Za-z"). */
static int crypt64(char c)
{
	return c == '.' || c == '/' || (c >= '0' && c <= '9') ||
	       (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Number of crypt64 characters at the start of s. */
static size_t crypt64_span(const char *s)
{
	size_t n = 0;
	while (crypt64(s[n]))
		n++;
	return n;
}

/* A bcrypt hash exactly: "$2a$", "$2b$" or "$2y$", a two-digit cost from
 * 04 to 31, "$", then 53 characters (22 salt, 31 hash). */
static int is_bcrypt(const char *h)
{
	int cost;
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	return cost >= 4 && cost <= 31 && crypt64_span(h + 7) == 53;
}

/* A yescrypt hash exactly: "$y$" PARAMS "$" SALT "$" HASH, each part
 * non-empty crypt64 text, HASH 43 characters (256 bits). */
static int is_yescrypt(const char *h)
{
	size_t n;
	if (strncmp(h, "$y$", 3) != 0 || strlen(h) >= 256)
		return 0;
	h += 3;
	for (int part = 0; part < 2; part++) {
		if ((n = crypt64_span(h)) == 0 || h[n] != '$')
			return 0;
		h += n + 1;
	}
	return crypt64_span(h) == 43 && h[43] == 0;
}

/* 1 when v begins like a crypt(3) hash of a known scheme ("$2b$", "$6$",
 * "$y$", "$argon2id$", ...). Such a value that is not exactly a hash we
 * take is refused rather than taken as a password: it is a damaged or
 * foreign hash, and as a "password" the hash text itself would open the
 * account. Any other value, "$ommer2019!" included, is a password. */
static int looks_like_hash(const char *v)
{
	static const char ids[] = " 1 2 2a 2b 2x 2y 3 5 6 7 y gy md5 sha1 sm3 "
				  "sm3y argon2i argon2d argon2id scrypt pbkdf2 "
				  "pbkdf2-sha256 pbkdf2-sha512 ";
	const char *end;
	char id[24];
	size_t n;
	if (v[0] != '$' || !(end = strchr(v + 1, '$')))
		return 0;
	n = (size_t)(end - v - 1);
	if (n == 0 || n + 3 > sizeof(id))
		return 0;
	snprintf(id, sizeof(id), " %.*s ", (int)n, v + 1);
	return strstr(ids, id) != NULL;
}

static int import_passwords(hub_db *db, cJSON *root, const int *lines,
			    size_t nlines, int *added, char *err, size_t errlen)
{
	static const char f[] = "user_passwords.json";
	const cJSON *it;
	size_t i = 0;
	cJSON_ArrayForEach(it, root)
	{
		int line = i < nlines ? lines[i] : 0;
		const char *name = it->string, *v = it->valuestring;
		char key[64], hash[256];
		int must_change = 0, is_hash, rc;
		id_user u;
		i++;
		if (id_username_key(name, key, sizeof(key)) != 0) {
			snprintf(err, errlen, "%s:%d: invalid user name", f,
				 line);
			return -1;
		}
		if (!cJSON_IsString(it) || !v || !*v) {
			snprintf(err, errlen,
				 "%s:%d: password of '%s' must be a non-empty "
				 "string",
				 f, line, name);
			return -1;
		}
		is_hash = is_bcrypt(v) || is_yescrypt(v);
		if (!is_hash &&
		    (looks_like_hash(v) || strlen(v) > ID_PW_MAX_BYTES)) {
			snprintf(err, errlen, "%s:%d: '%s': %s", f, line, name,
				 looks_like_hash(v)
				     ? "unsupported or malformed "
				       "password hash"
				     : "password longer than 256 bytes");
			return -1;
		}
		rc = id_user_by_name(db, name, &u);
		if (rc == HUB_DB_OK)
			continue; /* imported before, or created here */
		if (rc != HUB_DB_ENOTFOUND) {
			snprintf(err, errlen, "%s:%d: storage error: %s", f,
				 line, hub_store_errmsg(db));
			return -1;
		}
		if (is_hash) {
			snprintf(hash, sizeof(hash), "%s", v);
		} else {
			if (id_pw_hash(v, hash, sizeof(hash)) != 0) {
				snprintf(
				    err, errlen,
				    "%s:%d: '%s': cannot hash the password", f,
				    line, name);
				return -1;
			}
			must_change = id_pw_policy(v) != NULL;
		}
		rc = id_user_insert(db, name,
				    strcmp(key, "admin") == 0 ? HUB_ROLE_ADMIN
							      : HUB_ROLE_STAFF,
				    hash, must_change, 0, NULL);
		if (rc == HUB_DB_OK)
			(*added)++;
		mbedtls_platform_zeroize(hash, sizeof(hash));
		if (rc != HUB_DB_OK) {
			snprintf(err, errlen, "%s:%d: '%s': storage error: %s",
				 f, line, name, hub_store_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/* ================================================================== 2FA */

static int import_codes(hub_db *db, int64_t uid, const cJSON *codes, int line,
			char *err, size_t errlen)
{
	static const char f[] = "user_2fa.json";
	const cJSON *c;
	if (!codes || cJSON_IsNull(codes))
		return 0;
	if (!cJSON_IsArray(codes)) {
		snprintf(err, errlen, "%s:%d: backup_codes must be a list", f,
			 line);
		return -1;
	}
	cJSON_ArrayForEach(c, codes)
	{
		const cJSON *code = c, *used = NULL;
		char norm[72];
		if (cJSON_IsObject(c)) {
			code = cJSON_GetObjectItemCaseSensitive(c, "code");
			used = cJSON_GetObjectItemCaseSensitive(c, "used");
		}
		if (!cJSON_IsString(code) || strlen(code->valuestring) > 64 ||
		    id_backup_normalise(code->valuestring, norm,
					sizeof(norm)) != 0) {
			snprintf(err, errlen,
				 "%s:%d: a backup code is not 6-64 letters and "
				 "digits",
				 f, line);
			return -1;
		}
		if (id_backup_store(db, uid, norm, cJSON_IsTrue(used)) !=
		    HUB_DB_OK) {
			snprintf(err, errlen, "%s:%d: storage error: %s", f,
				 line, hub_store_errmsg(db));
			return -1;
		}
	}
	return 0;
}

static int import_2fa(hub_db *db, cJSON *root, const int *lines, size_t nlines,
		      int *added, char *err, size_t errlen)
{
	static const char f[] = "user_2fa.json";
	const cJSON *it;
	size_t i = 0;
	cJSON_ArrayForEach(it, root)
	{
		int line = i < nlines ? lines[i] : 0;
		const cJSON *sec, *en;
		unsigned char raw[128];
		size_t n = 0;
		id_user u;
		int rc;
		i++;
		if (!cJSON_IsObject(it)) {
			snprintf(err, errlen,
				 "%s:%d: entry of '%s' must be an "
				 "object",
				 f, line, it->string ? it->string : "");
			return -1;
		}
		sec = cJSON_GetObjectItemCaseSensitive(it, "secret");
		en = cJSON_GetObjectItemCaseSensitive(it, "enabled");
		if (en && !cJSON_IsBool(en)) {
			snprintf(err, errlen,
				 "%s:%d: enabled must be true or "
				 "false",
				 f, line);
			return -1;
		}
		if (!cJSON_IsTrue(en))
			continue; /* never switched on: nothing to keep */
		if (!cJSON_IsString(sec) ||
		    id_base32_decode(sec->valuestring, raw, sizeof(raw), &n) !=
			0 ||
		    n < 10) {
			snprintf(err, errlen,
				 "%s:%d: secret must be base32 of at least 80 "
				 "bits",
				 f, line);
			return -1;
		}
		rc = id_user_by_name(db, it->string, &u);
		if (rc == HUB_DB_ENOTFOUND) {
			hub_logf(HUB_LOG_WARN, "identity",
				 "%s:%d: no user '%s'; entry skipped", f, line,
				 it->string);
			continue;
		}
		if (rc == HUB_DB_OK && !u.totp_enabled) {
			rc = id_2fa_store_secret(db, u.id, raw, n, 1);
			if (rc == HUB_DB_OK &&
			    import_codes(db, u.id,
					 cJSON_GetObjectItemCaseSensitive(
					     it, "backup_codes"),
					 line, err, errlen) != 0) {
				mbedtls_platform_zeroize(raw, sizeof(raw));
				return -1;
			}
			(*added) += rc == HUB_DB_OK;
		}
		mbedtls_platform_zeroize(raw, sizeof(raw));
		if (rc != HUB_DB_OK) {
			snprintf(err, errlen, "%s:%d: storage error: %s", f,
				 line, hub_store_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/* =============================================================== entry */

int hub_id_import(hub_db *db, const char *dir, char *err, size_t errlen)
{
	cJSON *root = NULL;
	int *lines = NULL, users = 0, twofa = 0, rc;
	size_t nlines = 0;
	char *text = NULL, det[96];

	if (!db || !dir || !g_idk.ready) {
		snprintf(err, errlen, "identity import: not initialised");
		return -1;
	}
	rc = load(dir, "user_passwords.json", &root, &lines, &nlines, &text,
		  err, errlen);
	if (rc == 0)
		rc = import_passwords(db, root, lines, nlines, &users, err,
				      errlen);
	cJSON_Delete(root);
	free(lines);
	if (text)
		mbedtls_platform_zeroize(text, strlen(text));
	free(text);
	root = NULL;
	lines = NULL;
	text = NULL;
	if (rc < 0)
		return -1;
	rc = load(dir, "user_2fa.json", &root, &lines, &nlines, &text, err,
		  errlen);
	if (rc == 0)
		rc = import_2fa(db, root, lines, nlines, &twofa, err, errlen);
	cJSON_Delete(root);
	free(lines);
	if (text)
		mbedtls_platform_zeroize(text, strlen(text));
	free(text);
	if (rc < 0)
		return -1;
	snprintf(det, sizeof(det), "%d users and %d 2FA secrets imported",
		 users, twofa);
	if (hub_id_audit(db, "import", NULL, NULL, "import.users", dir, det) !=
	    0) {
		snprintf(err, errlen, "identity import: audit: %s",
			 hub_store_errmsg(db));
		return -1;
	}
	return 0;
}
