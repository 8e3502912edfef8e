/*
 * cal_test_util.h - shared set-up of the calendar tests: a scratch
 * directory, an RSA test key made at test time with `openssl genrsa`
 * (never committed), a Google-format credentials file, a recording host
 * API table for hub_cal_register, and a default service configuration
 * pointing at the fake Google server.
 */
#ifndef CAL_TEST_UTIL_H
#define CAL_TEST_UTIL_H

#include "calendar/cal_internal.h"
#include "fake_gcal.h"

#define CTU_EMAIL "hub-test@hub-project.iam.gserviceaccount.com"

/* A new scratch directory (owned string, free()); NULL on failure. */
char *ctu_tmpdir(void);
/* Removes a directory tree. */
void ctu_rmrf(const char *dir);
/* Writes `text` to path with `mode`. Returns 0 or -1. */
int ctu_write_file(const char *path, const char *text, int mode);
/* Reads a file (owned, NUL-terminated); NULL on failure. */
char *ctu_read_file(const char *path, size_t *len);

/* Makes dir/key.pem (PKCS#8, as Google issues) and dir/pub.pem with
 * `openssl genrsa` (bits). Returns 0 or -1. */
int ctu_make_key(const char *dir, int bits);
/* Writes dir/creds.json: a service-account key file for CTU_EMAIL with
 * the PEM of key_pem and token_uri. Returns 0 or -1. */
int ctu_write_creds(const char *path, const char *key_pem,
		    const char *token_uri);

/* Fills c for the google backend against fake f with credentials file
 * `creds` and small timeouts suitable for tests. */
void ctu_config(hub_cal_config *c, fake_gcal *f, const char *creds);

/* A host API table whose job/health_check/metric_add record what the
 * calendar registers and counts (other members NULL). */
const hub_api *ctu_api(void);
/* Sum of metric `name` over label sets containing `labels_part` (NULL =
 * all). */
double ctu_metric(const char *name, const char *labels_part);
/* The registered job `name` (NULL when not registered). */
const hub_job *ctu_job(const char *name);
/* Runs the registered check "calendar". */
void ctu_health(hub_health_result *out);
/* Forgets recorded jobs and checks (metrics are kept). */
void ctu_api_reset(void);

#endif
