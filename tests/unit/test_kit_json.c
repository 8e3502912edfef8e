/*
 * test_kit_json.c - the kit's request helpers against a minimal fake host
 * table: malformed bodies, unknown fields, wrong types, lengths counted in
 * characters, invalid UTF-8, and name folding for customer search.
 */
#include "check.h"
#include "hub_kit.h"

#include <pthread.h>
#include <stdlib.h>

/* A request as the fake host sees it. */
struct hub_req {
	const char *body;
	int status;
	char code[64];
	char message[256];
	char *json;
};

static const char *f_body(hub_req *r, size_t *len)
{
	*len = strlen(r->body);
	return r->body;
}

static int f_error(hub_req *r, int status, const char *code, const char *msg,
		   const char *extra)
{
	(void)extra;
	r->status = status;
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->message, sizeof(r->message), "%s", msg);
	return 0;
}

static int f_json(hub_req *r, int status, const char *json)
{
	r->status = status;
	free(r->json);
	r->json = strdup(json);
	return 0;
}

static hub_api api;

static int read_body(const char *body, hub_req *r, cJSON **out)
{
	memset(r, 0, sizeof(*r));
	r->body = body;
	return hubkit_read_json(&api, r, out);
}

static void test_read(void)
{
	hub_req r;
	cJSON *o = NULL;
	CHECK_INT(read_body("{\"a\":1}", &r, &o), 0);
	CHECK(o != NULL);
	cJSON_Delete(o);
	CHECK_INT(read_body("  {\"a\":1}  \n", &r, &o), 0);
	cJSON_Delete(o);
	static const char *const bad[] = {"",		"{",	   "{\"a\":}",
					  "[1,2]",	"\"str\"", "{} {}",
					  "{\"a\":1}x", "null",	   "\xff\xfe"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(read_body(bad[i], &r, &o), -1);
		CHECK_INT(r.status, 400);
		CHECK_STR(r.code, "malformed_json");
		CHECK(o == NULL);
	}
}

static void test_fields(void)
{
	static const char *const allowed[] = {"first_name", "last_name",
					      "description", NULL};
	hub_req r;
	cJSON *o = NULL;
	const char *s;
	CHECK_INT(
	    read_body("{\"first_name\":\"J\xc3\xbcrgen\",\"extra\":1}", &r, &o),
	    0);
	CHECK_INT(hubkit_only_fields(&api, &r, o, allowed), -1);
	CHECK_INT(r.status, 422);
	CHECK_STR(r.code, "unknown_field");
	CHECK(strstr(r.message, "extra") != NULL);
	memset(&r, 0, sizeof(r));
	/* "Jürgen" is 6 characters (7 bytes): passes max 6 */
	CHECK_INT(hubkit_str_field(&api, &r, o, "first_name", 1, 1, 6, &s), 0);
	CHECK_STR(s, "J\xc3\xbcrgen");
	CHECK_INT(hubkit_str_field(&api, &r, o, "first_name", 1, 1, 5, &s), -1);
	CHECK_INT(r.status, 422);
	CHECK(strstr(r.message, "first_name") != NULL);
	CHECK_INT(hubkit_str_field(&api, &r, o, "last_name", 1, 1, 100, &s),
		  -1);
	CHECK(strstr(r.message, "required") != NULL);
	CHECK_INT(hubkit_str_field(&api, &r, o, "last_name", 0, 1, 100, &s), 0);
	CHECK(s == NULL);
	cJSON_Delete(o);

	CHECK_INT(read_body("{\"first_name\":42}", &r, &o), 0);
	CHECK_INT(hubkit_str_field(&api, &r, o, "first_name", 1, 1, 100, &s),
		  -1);
	CHECK(strstr(r.message, "must be a string") != NULL);
	cJSON_Delete(o);
	CHECK_INT(read_body("{\"first_name\":\"a\\u0001b\"}", &r, &o), 0);
	CHECK_INT(hubkit_str_field(&api, &r, o, "first_name", 1, 1, 100, &s),
		  -1);
	cJSON_Delete(o);
	CHECK_INT(read_body("{\"first_name\":\"\"}", &r, &o), 0);
	CHECK_INT(hubkit_str_field(&api, &r, o, "first_name", 1, 1, 100, &s),
		  -1);
	cJSON_Delete(o);
}

static void test_utf8_fold(void)
{
	CHECK_INT(hubkit_utf8_valid("abc", 3), 1);
	CHECK_INT(hubkit_utf8_valid("\xc3\xbc", 2), 1);
	CHECK_INT(hubkit_utf8_valid("\xc3", 1), 0);	    /* truncated */
	CHECK_INT(hubkit_utf8_valid("\xc0\xaf", 2), 0);	    /* overlong */
	CHECK_INT(hubkit_utf8_valid("\xed\xa0\x80", 3), 0); /* surrogate */
	CHECK_INT(hubkit_utf8_valid("\xf4\x90\x80\x80", 4), 0);
	CHECK_INT(hubkit_utf8_valid("\xf0\x9f\x98\x80", 4), 1);
	CHECK_INT(hubkit_utf8_count("M\xc3\xbcller"), 6);
	char *f = hubkit_fold("  M\xc3\xbcller,   J\xc3\xb6RG  ");
	CHECK_STR(f, "muller, jorg");
	free(f);
	f = hubkit_fold("Stra\xc3\x9f"
			"e \xc3\x84rger");
	CHECK_STR(f, "strasse arger");
	free(f);
	long long v;
	CHECK_INT(hubkit_parse_int("42", 1, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(hubkit_parse_int("0", 1, 100, &v), -1);
	CHECK_INT(hubkit_parse_int("4x", 1, 100, &v), -1);
	CHECK_INT(hubkit_parse_int("", 1, 100, &v), -1);
	CHECK_INT(hubkit_parse_int("99999999999999999999", 1, 100, &v), -1);
}

static void test_reply(void)
{
	hub_req r;
	memset(&r, 0, sizeof(r));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "k", "v\"");
	CHECK_INT(hubkit_reply_cjson(&api, &r, 201, o), 0);
	CHECK_INT(r.status, 201);
	CHECK_STR(r.json, "{\"k\":\"v\\\"\"}");
	free(r.json);
}

/* `{"a":` nested so that the text is `depth` levels deep. Owned. */
static char *nested(int depth, char open)
{
	char *b = malloc((size_t)depth * 6 + 16), *p = b;
	for (int i = 0; i < depth; i++) {
		if (open == '{')
			p += sprintf(p, i + 1 < depth ? "{\"a\":" : "{}");
		else
			*p++ = '[';
	}
	for (int i = 0; i + 1 < depth && open == '{'; i++)
		*p++ = '}';
	*p = 0;
	return b;
}

/* Deep bodies on a thread with exactly a worker's stack: refused before
 * cJSON recurses; the limit itself parses. */
static void *deep_on_worker_stack(void *arg)
{
	hub_req r;
	cJSON *o = NULL;
	char *b;
	(void)arg;
	b = nested(1000, '[');
	CHECK_INT(read_body(b, &r, &o), -1);
	CHECK_INT(r.status, 400);
	CHECK(strstr(r.message, "deeper than 32") != NULL);
	free(b);
	b = nested(200000, '[');
	CHECK_INT(read_body(b, &r, &o), -1);
	CHECK_INT(r.status, 400);
	free(b);
	b = nested(HUBKIT_JSON_MAX_DEPTH, '{');
	CHECK_INT(read_body(b, &r, &o), 0);
	cJSON_Delete(o);
	o = NULL;
	free(b);
	b = nested(HUBKIT_JSON_MAX_DEPTH + 1, '{');
	CHECK_INT(read_body(b, &r, &o), -1);
	CHECK_INT(r.status, 400);
	free(b);
	/* brackets inside strings do not count */
	CHECK_INT(read_body("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}",
			    &r, &o),
		  0);
	cJSON_Delete(o);
	return NULL;
}

static void test_deep(void)
{
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, HUBKIT_WORKER_STACK_BYTES);
	/* the checks' counters are not atomic: check only after the join */
	int rc = pthread_create(&t, &a, deep_on_worker_stack, NULL);
	if (rc == 0)
		pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	CHECK_INT(rc, 0);
}

/* \u0000 in any string: 422 naming the member; escaped backslashes and
 * other \u escapes are fine. */
static void test_nul(void)
{
	hub_req r;
	cJSON *o = NULL;
	char field[72];
	CHECK_INT(read_body("{\"username\":\"staff1\\u0000anything\"}", &r, &o),
		  -1);
	CHECK_INT(r.status, 422);
	CHECK_STR(r.code, "invalid_field");
	CHECK(strstr(r.message, "'username'") != NULL);
	CHECK_INT(read_body("{\"a\":1,\"items\":[\"x\",\"y\\u0000\"]}", &r, &o),
		  -1);
	CHECK(strstr(r.message, "'items'") != NULL);
	CHECK_INT(read_body("{\"k\\u0000\":1}", &r, &o), -1);
	CHECK_INT(r.status, 422);
	/* not a NUL: an escaped backslash before u0000, or \u0001 */
	CHECK_INT(read_body("{\"a\":\"\\\\u0000\"}", &r, &o), 0);
	CHECK_STR(cJSON_GetObjectItem(o, "a")->valuestring, "\\u0000");
	cJSON_Delete(o);
	CHECK_INT(read_body("{\"a\":\"\\u00e4\"}", &r, &o), 0);
	cJSON_Delete(o);
	/* bad JSON with a NUL is still 400 (400 ranks before 422) */
	CHECK_INT(read_body("{\"a\":\"\\u0000\"", &r, &o), -1);
	CHECK_INT(r.status, 400);
	CHECK_INT(
	    hubkit_json_scan("[\"\\u0000\"]", 10, 32, field, sizeof(field)),
	    HUBKIT_JSON_NUL);
	CHECK_STR(field, "");
}

int main(void)
{
	api.abi_version = HUB_ABI_VERSION;
	api.size = sizeof(api);
	api.req_body = f_body;
	api.reply_error = f_error;
	api.reply_json = f_json;
	test_read();
	test_fields();
	test_utf8_fold();
	test_reply();
	test_deep();
	test_nul();
	return check_report("kit_json");
}
