/*
 * test_id_totp.c - TOTP against RFC 6238's published SHA-1 test vectors
 * (8 digits, Appendix B) and against the `oathtool` command (an outside
 * implementation) at fixed times and now; the +-1 step window; base32;
 * the otpauth URI; the QR code SVG.
 */
#define _GNU_SOURCE
#include "check.h"
#include "identity/id_internal.h"

#include <liboath/oath.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned char rfc_seed[] = "12345678901234567890";

static void test_rfc6238(void)
{
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {{59, "94287082"},	   {1111111109, "07081804"},
		 {1111111111, "14050471"}, {1234567890, "89005924"},
		 {2000000000, "69279037"}, {20000000000LL, "65353130"}};
	char out[16];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(
		    id_totp_code(rfc_seed, 20, (uint64_t)(v[i].t / 30), 8, out),
		    0);
		CHECK_STR(out, v[i].code);
	}
	/* 6 digits are the last 6 of the 8 (RFC 4226 truncation) */
	CHECK_INT(id_totp_code(rfc_seed, 20, 1234567890 / 30, 6, out), 0);
	CHECK_STR(out, "005924");
	CHECK_INT(id_totp_code(rfc_seed, 20, 1, 5, out), -1);
}

/* Runs oathtool for base32 `b32` at `when` (0 = now). */
static int oathtool(const char *b32, int64_t when, char *out, size_t n)
{
	char cmd[256];
	FILE *p;
	int ok;
	if (when)
		snprintf(cmd, sizeof(cmd), "oathtool --totp -b -N @%lld %s",
			 (long long)when, b32);
	else
		snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s", b32);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	ok = fgets(out, (int)n, p) != NULL;
	pclose(p);
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

static void test_oathtool(void)
{
	unsigned char secret[20];
	char b32[64], theirs[32], ours[16];
	uint64_t step;
	int matched = 0;

	for (int k = 0; k < 5; k++) {
		int64_t t = 1000000000LL + k * 987654321LL;
		CHECK_INT(hub_random(secret, sizeof(secret)), 0);
		CHECK_INT(id_base32_encode(secret, 20, b32, sizeof(b32)), 0);
		CHECK_INT(oathtool(b32, t, theirs, sizeof(theirs)), 0);
		CHECK_INT(id_totp_code(secret, 20, (uint64_t)t / 30, 6, ours),
			  0);
		CHECK_STR(ours, theirs);
		/* and the validator accepts it at that time, at that step */
		CHECK_INT(id_totp_match(secret, 20, t, theirs, &step), 1);
		CHECK_INT(step, t / 30);
	}
	/* now: a code oathtool makes at the current time validates here */
	for (int attempt = 0; attempt < 3 && !matched; attempt++) {
		int64_t before = time(NULL);
		CHECK_INT(oathtool(b32, 0, theirs, sizeof(theirs)), 0);
		if (time(NULL) / 30 != before / 30)
			continue; /* crossed a step boundary: try again */
		matched = id_totp_match(secret, 20, before, theirs, &step);
		CHECK_INT(step, before / 30);
	}
	CHECK(matched);
}

static void test_window(void)
{
	unsigned char s[20];
	char code[16];
	uint64_t step;
	int64_t t = 1700000015; /* mid-step */
	memcpy(s, rfc_seed, 20);
	/* previous, current and next step accepted; two away refused */
	for (int d = -3; d <= 3; d++) {
		CHECK_INT(id_totp_code(s, 20, (uint64_t)(t / 30 + d), 6, code),
			  0);
		int ok = id_totp_match(s, 20, t, code, &step);
		if (d >= -1 && d <= 1) {
			CHECK_INT(ok, 1);
			CHECK_INT(step, t / 30 + d);
		} else {
			CHECK_INT(ok, 0);
		}
	}
	CHECK_INT(id_totp_match(s, 20, t, "12345", &step), 0);
	CHECK_INT(id_totp_match(s, 20, t, "1234567", &step), 0);
	CHECK_INT(id_totp_match(s, 20, t, "12a456", &step), 0);
	CHECK_INT(id_totp_match(s, 20, t, "", &step), 0);
	CHECK_INT(id_totp_match(s, 20, t, NULL, &step), 0);
}

static void test_base32_uri_qr(void)
{
	unsigned char raw[32];
	char b32[64], uri[512];
	size_t n = 0;
	char *svg;
	/* RFC 4648 vector */
	CHECK_INT(id_base32_encode((const unsigned char *)"foobar", 6, b32,
				   sizeof(b32)),
		  0);
	CHECK_STR(b32, "MZXW6YTBOI");
	CHECK_INT(id_base32_decode("mzxw 6ytb oi==", raw, sizeof(raw), &n), 0);
	CHECK_INT(n, 6);
	CHECK(memcmp(raw, "foobar", 6) == 0);
	CHECK_INT(id_base32_decode("MZ1!", raw, sizeof(raw), &n), -1);
	CHECK_INT(id_base32_encode(raw, 20, b32, 10), -1);

	snprintf(g_idc.issuer, sizeof(g_idc.issuer), "Business Hub");
	CHECK_INT(
	    id_totp_uri("anna müller", "JBSWY3DPEHPK3PXP", uri, sizeof(uri)),
	    0);
	CHECK_STR(uri, "otpauth://totp/Business%20Hub:anna%20m%C3%BCller?"
		       "secret=JBSWY3DPEHPK3PXP&issuer=Business%20Hub&"
		       "algorithm=SHA1&digits=6&period=30");
	svg = id_qr_svg(uri);
	CHECK(svg != NULL);
	CHECK(svg && strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"",
			     39) == 0);
	CHECK(svg && strstr(svg, "<path fill=\"#000\" d=\"M") != NULL);
	CHECK(svg && strcmp(svg + strlen(svg) - 6, "</svg>") == 0);
	free(svg);
}

int main(void)
{
	oath_init();
	test_rfc6238();
	test_oathtool();
	test_window();
	test_base32_uri_qr();
	oath_done();
	return check_report("identity.totp");
}
