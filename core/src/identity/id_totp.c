/*
 * id_totp.c - RFC 6238 TOTP (HMAC-SHA1, 30 s steps) through liboath, the
 * base32 form of secrets, the otpauth:// URI authenticator apps scan and
 * its QR code as SVG (libqrencode).
 *
 * Codes are compared in constant time (liboath's validate callback with
 * our own comparison); the step that matched is returned so the caller
 * can refuse replays (id_twofa.c).
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"

#include <liboath/oath.h>
#include <qrencode.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ codes */

int id_totp_code(const unsigned char *secret, size_t n, uint64_t step,
		 unsigned digits, char *out)
{
	if (digits < 6 || digits > 8)
		return -1;
	return oath_totp_generate2((const char *)secret, n,
				   (time_t)(step * ID_TOTP_STEP), ID_TOTP_STEP,
				   0, digits, 0, out) == OATH_OK
		   ? 0
		   : -1;
}

/* liboath's comparison callback: 0 when equal, like strcmp. */
static int ct_cmp(void *handle, const char *test_otp)
{
	return hub_ct_streq((const char *)handle, test_otp) ? 0 : 1;
}

int id_totp_match(const unsigned char *secret, size_t n, int64_t now,
		  const char *code, uint64_t *step)
{
	int pos = 0;
	uint64_t counter = 0;
	int rc;
	if (!code || strlen(code) != ID_TOTP_DIGITS)
		return 0;
	for (const char *p = code; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	rc = oath_totp_validate4_callback(
	    (const char *)secret, n, (time_t)now, ID_TOTP_STEP, 0,
	    ID_TOTP_DIGITS, 1, &pos, &counter, 0, ct_cmp, (void *)code);
	if (rc < 0)
		return 0;
	*step = counter;
	return 1;
}

/* ============================================================== base32 */

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int id_base32_encode(const unsigned char *in, size_t n, char *out,
		     size_t outlen)
{
	size_t o = 0;
	unsigned buf = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = b32_alpha[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (o + 1 >= outlen)
			return -1;
		out[o++] = b32_alpha[(buf << (5 - bits)) & 31];
	}
	out[o] = 0;
	return 0;
}

int id_base32_decode(const char *in, unsigned char *out, size_t outlen,
		     size_t *n)
{
	size_t o = 0;
	unsigned buf = 0, bits = 0;
	for (const char *p = in; *p; p++) {
		int c = toupper((unsigned char)*p), v;
		if (c == ' ' || c == '-' || c == '=')
			continue;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	*n = o;
	return 0;
}

/* ========================================================= otpauth URI */

static int pct_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				return -1;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = 0;
	return 0;
}

int id_totp_uri(const char *user, const char *b32, char *out, size_t outlen)
{
	char iss[200], usr[200];
	int n;
	if (pct_encode(g_idc.issuer[0] ? g_idc.issuer : "Business Hub", iss,
		       sizeof(iss)) != 0 ||
	    pct_encode(user, usr, sizeof(usr)) != 0)
		return -1;
	n = snprintf(out, outlen,
		     "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
		     "&digits=%d&period=%d",
		     iss, usr, b32, iss, ID_TOTP_DIGITS, ID_TOTP_STEP);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* ============================================================= QR code */

char *id_qr_svg(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *svg = NULL;
	size_t cap, len = 0;
	int w, quiet = 4, size, ok = 1;

	if (!qr)
		return NULL;
	w = qr->width;
	size = w + 2 * quiet;
	/* worst case: one run per module */
	cap = 512 + (size_t)w * (size_t)w * 24;
	svg = malloc(cap);
	if (!svg) {
		QRcode_free(qr);
		return NULL;
	}
#define SVG_PUT(...)                                                           \
	do {                                                                   \
		int n_ = snprintf(svg + len, cap - len, __VA_ARGS__);          \
		if (n_ < 0 || (size_t)n_ >= cap - len)                         \
			ok = 0;                                                \
		else                                                           \
			len += (size_t)n_;                                     \
	} while (0)
	SVG_PUT(
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
	    "%d\" width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" "
	    "role=\"img\" aria-label=\"QR code for the authenticator "
	    "app\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"",
	    size, size, size * 6, size * 6, size, size);
	for (int y = 0; y < w && ok; y++) {
		int x = 0;
		while (x < w && ok) {
			int run = 0;
			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			if (run) {
				SVG_PUT("M%d %dh%dv1h-%dz", x + quiet,
					y + quiet, run, run);
				x += run;
			} else {
				x++;
			}
		}
	}
	SVG_PUT("\"/></svg>");
#undef SVG_PUT
	QRcode_free(qr);
	if (!ok) {
		free(svg);
		return NULL;
	}
	return svg;
}
