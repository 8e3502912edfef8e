/*
 * test_webhooks_unit.c - the webhook service's parts without a server:
 * the address classifier (every refused range and some public addresses),
 * URL form checks, the Standard Webhooks signature against the
 * convention's published example, and the guard at send time: with
 * allow_private off, wh_send refuses a loopback receiver before any byte
 * is sent; with it on, the receiver gets a request whose signature it
 * verifies on its own.
 */
#define _GNU_SOURCE
#include "check.h"
#include "hooks/wh_internal.h"
#include "wh_receiver.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static void test_classifier(void)
{
	static const char *const priv[] = {
	    "127.0.0.1",
	    "127.255.0.9",
	    "10.0.0.1",
	    "172.16.0.1",
	    "172.31.255.255",
	    "192.168.1.1",
	    "169.254.169.254",
	    "100.64.0.1",
	    "0.0.0.0",
	    "224.0.0.1",
	    "255.255.255.255",
	    "198.18.0.1",
	    "::",
	    "::1",
	    "fe80::1",
	    "fd12:3456::1",
	    "fc00::1",
	    "ff02::1",
	    "::ffff:10.0.0.1",
	    "::ffff:127.0.0.1",
	    "64:ff9b::a00:1",
	    "2002:7f00:1::",
	    "2001:db8::1",
	    "fec0::1",
	};
	static const char *const pub[] = {
	    "8.8.8.8",	    "1.1.1.1",	      "172.32.0.1",	"192.169.0.1",
	    "2a00:1450::1", "::ffff:8.8.4.4", "2606:4700::1111"};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		int r = wh_addr_is_private(priv[i]);
		if (r != 1)
			fprintf(stderr, "FAIL %s classified %d\n", priv[i], r);
		CHECK_INT(r, 1);
	}
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		int r = wh_addr_is_private(pub[i]);
		if (r != 0)
			fprintf(stderr, "FAIL %s classified %d\n", pub[i], r);
		CHECK_INT(r, 0);
	}
	CHECK_INT(wh_addr_is_private("example.com"), -1);
}

static void test_forms(void)
{
	char why[200];
	wh_target t;
	CHECK_INT(
	    wh_url_form_ok("https://hooks.example.com/x?a=1", why, sizeof(why)),
	    0);
	CHECK_INT(wh_url_form_ok("ftp://example.com/", why, sizeof(why)), -1);
	CHECK(strstr(why, "http") != NULL);
	CHECK_INT(wh_url_form_ok("https://u:p@example.com/", why, sizeof(why)),
		  -1);
	CHECK_INT(wh_url_form_ok("javascript:alert(1)", why, sizeof(why)), -1);
	CHECK_INT(wh_url_form_ok("", why, sizeof(why)), -1);
	/* a name resolving to loopback is refused by address */
	CHECK_INT(
	    wh_target_check("http://localhost:8080/", 0, &t, why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "loopback") != NULL);
	CHECK_INT(
	    wh_target_check("http://localhost:8080/", 1, &t, why, sizeof(why)),
	    0);
	CHECK(strncmp(t.resolve, "localhost:8080:", 15) == 0);
	CHECK_INT(t.port, 8080);
}

static void test_sign(void)
{
	char sig[80];
	/* the Standard Webhooks convention's example */
	CHECK_INT(wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			  "{\"test\": 2432232314}", sig, sizeof(sig)),
		  0);
	CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	CHECK_INT(wh_sign("nope", "m", 1, "{}", sig, sizeof(sig)), -1);
}

static void test_send_guard(void)
{
	receiver r;
	wh_config c = *wh_cfg();
	wh_result res;
	char url[96], secret[64];
	rcv_hit h;
	CHECK_INT(rcv_start(&r), 0);
	CHECK_INT(wh_secret_new(secret), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/in", r.port);
	c.allow_private = 0;
	c.timeout_ms = 2000;
	wh_cfg_set(&c);
	CHECK_INT(wh_send(url, secret, "msg_1", 1700000000, "{\"a\":1}", &res),
		  0);
	CHECK(strstr(res.error, "target refused") != NULL);
	CHECK_INT(res.status, 0);
	CHECK_INT(rcv_count(&r), 0);
	c.allow_private = 1;
	wh_cfg_set(&c);
	CHECK_INT(wh_send(url, secret, "msg_2", 1700000000, "{\"a\":2}", &res),
		  1);
	CHECK_INT(res.status, 200);
	CHECK_INT(rcv_count(&r), 1);
	h = r.hits[0];
	CHECK_STR(h.id, "msg_2");
	CHECK_STR(h.ts, "1700000000");
	CHECK(rcv_verify(&h, secret));
	r.mode = RCV_FAIL;
	CHECK_INT(wh_send(url, secret, "msg_3", 1700000000, "{}", &res), 0);
	CHECK_INT(res.status, 500);
	rcv_stop(&r);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_classifier();
	test_forms();
	test_sign();
	test_send_guard();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
