/*
 * analytics_lists.c - the sliced figures: per booker, per consultant (as
 * JSON lists or CSV with format=csv), the weekday x start time heatmap
 * and the weekly trend (ISO weeks of the slots' local dates).
 */
#include "analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================ keyed rows */

/* Counts per key (booker name or consultant id): a growing array and
 * an open-addressing index into it (power-of-two size, at least twice
 * the keys), since a year brings tens of thousands of (slot, key) rows. */
typedef struct an_keyed {
	char key[104];
	char name[104];
	an_counts c;
} an_keyed;

typedef struct an_keys {
	an_keyed *v;
	size_t n, cap;
	int32_t *idx; /* -1 = empty; else an index into v */
	size_t nidx;
	int oom;
} an_keys;

static size_t key_hash(const char *s)
{
	size_t h = 1469598103u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Rebuilds the index at twice the capacity. Returns 0 or -1. */
static int key_grow(an_keys *k)
{
	size_t n = k->nidx ? k->nidx * 2 : 256;
	int32_t *idx = malloc(n * sizeof(*idx));
	an_keyed *nv = realloc(k->v, n / 2 * sizeof(*nv));
	if (nv)
		k->v = nv;
	if (!idx || !nv) {
		free(idx);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = -1;
	for (size_t i = 0; i < k->n; i++) {
		size_t h = key_hash(k->v[i].key) & (n - 1);
		while (idx[h] >= 0)
			h = (h + 1) & (n - 1);
		idx[h] = (int32_t)i;
	}
	free(k->idx);
	k->idx = idx;
	k->nidx = n;
	k->cap = n / 2;
	return 0;
}

/* The entry of `key`, made when new; NULL (and oom) without memory. */
static an_keyed *key_find(an_keys *k, const char *key)
{
	size_t h;
	if (k->n + 1 > k->nidx / 2 && key_grow(k) != 0) {
		k->oom = 1;
		return NULL;
	}
	for (h = key_hash(key) & (k->nidx - 1); k->idx[h] >= 0;
	     h = (h + 1) & (k->nidx - 1))
		if (strcmp(k->v[k->idx[h]].key, key) == 0)
			return &k->v[k->idx[h]];
	k->idx[h] = (int32_t)k->n;
	memset(&k->v[k->n], 0, sizeof(k->v[0]));
	snprintf(k->v[k->n].key, sizeof(k->v[0].key), "%s", key);
	return &k->v[k->n++];
}

static void keys_free(an_keys *k)
{
	free(k->v);
	free(k->idx);
}

static void keyed_row(void *ud, int64_t slot, const char *key,
		      const an_counts *c)
{
	an_keyed *e = key_find(ud, key);
	(void)slot;
	if (e)
		an_counts_add(&e->c, c);
}

static int by_bookings(const void *a, const void *b)
{
	const an_keyed *x = a, *y = b;
	if (x->c.bookings != y->c.bookings)
		return x->c.bookings > y->c.bookings ? -1 : 1;
	return strcmp(x->name[0] ? x->name : x->key,
		      y->name[0] ? y->name : y->key);
}

/* ================================================================ CSV */

/* A growing text; oom set when memory ran out. */
typedef struct an_text {
	char *p;
	size_t len, cap;
	int oom;
} an_text;

static void text_put(an_text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t nc = (t->cap + n + 1) * 2;
		char *np = realloc(t->p, nc);
		if (!np) {
			t->oom = 1;
			return;
		}
		t->p = np;
		t->cap = nc;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

/* Appends one CSV field: quoted when needed, and a leading = + - @
 * defused with ' so spreadsheets do not run it as a formula. */
static void csv_field(an_text *t, const char *s)
{
	int quote = strpbrk(s, ",\";\r\n") != NULL;
	if (quote)
		text_put(t, "\"", 1);
	if (s[0] && strchr("=+-@", s[0]))
		text_put(t, "'", 1);
	for (; *s; s++)
		text_put(t, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	if (quote)
		text_put(t, "\"", 1);
}

static void rate_text(char *out, size_t n, int64_t num, int64_t den)
{
	if (den > 0)
		snprintf(out, n, "%.4f", (double)num / (double)den);
	else
		out[0] = 0;
}

/* Answers the rows of k as CSV (first column named `first`) in a file
 * named `file`. */
static int reply_csv(hub_req *req, const an_keys *k, const char *first,
		     const char *file)
{
	an_text t = {0};
	char line[256], disp[128];
	int rc;

	snprintf(line, sizeof(line),
		 "%s,bookings,appeared,no_show,cancelled,pending,"
		 "appearance_rate,no_show_rate\r\n",
		 first);
	text_put(&t, line, strlen(line));
	for (size_t i = 0; i < k->n; i++) {
		const an_counts *c = &k->v[i].c;
		char ar[16], nr[16];
		int64_t dec = c->appeared + c->no_show;
		csv_field(&t, k->v[i].name[0] ? k->v[i].name : k->v[i].key);
		rate_text(ar, sizeof(ar), c->appeared, dec);
		rate_text(nr, sizeof(nr), c->no_show, dec);
		snprintf(line, sizeof(line),
			 ",%lld,%lld,%lld,%lld,%lld,%s,%s\r\n",
			 (long long)c->bookings, (long long)c->appeared,
			 (long long)c->no_show, (long long)c->cancelled,
			 (long long)(c->bookings - c->appeared - c->no_show -
				     c->cancelled),
			 ar, nr);
		text_put(&t, line, strlen(line));
	}
	if (t.oom) {
		free(t.p);
		return an_api->reply_error(req, 503, "unavailable",
					   "out of memory", NULL);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", file);
	an_api->reply_header(req, "Content-Disposition", disp);
	rc = an_api->reply(req, 200, "text/csv; charset=utf-8", t.p, t.len);
	free(t.p);
	return rc;
}

/* =========================================================== the lists */

/* Sorts k by bookings and answers it as CSV (column `col`, file name
 * `file`) or as {"from","to","items","next_cursor"} with item(it, e)
 * naming each entry. Frees k. Returns the reply's result. */
static int reply_list(hub_req *req, const an_query *q, an_keys *k,
		      const char *col, const char *file,
		      void (*item)(cJSON *it, const an_keyed *e))
{
	cJSON *o, *items;
	int rc;

	qsort(k->v, k->n, sizeof(*k->v), by_bookings);
	if (q->csv) {
		rc = reply_csv(req, k, col, file);
		keys_free(k);
		return rc;
	}
	o = cJSON_CreateObject();
	an_put_dates(o, &q->cur);
	items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < k->n; i++) {
		cJSON *it = cJSON_CreateObject();
		item(it, &k->v[i]);
		an_put_figures(it, &k->v[i].c);
		cJSON_AddItemToArray(items, it);
	}
	cJSON_AddNullToObject(o, "next_cursor");
	keys_free(k);
	return hubkit_reply_cjson(an_api, req, 200, o);
}

static void booker_item(cJSON *it, const an_keyed *e)
{
	cJSON_AddStringToObject(it, "booker", e->key);
}

/* 0: bookings assigned to no consultant (imported history) */
static void consultant_item(cJSON *it, const an_keyed *e)
{
	long long id = atoll(e->key);
	if (id > 0) {
		cJSON_AddNumberToObject(it, "id", (double)id);
		cJSON_AddStringToObject(it, "name", e->name);
	} else {
		cJSON_AddNullToObject(it, "id");
		cJSON_AddNullToObject(it, "name");
	}
}

/* ============================================================== bookers */

int an_h_bookers(hub_req *req, void *ud)
{
	an_query q;
	an_keys k = {0};
	int rc;
	(void)ud;

	if (an_begin(req, &q) != 0)
		return 0;
	rc = an_scan(q.db, q.cur.a, q.cur.b, &q.f, AN_GROUP_BOOKER, keyed_row,
		     &k);
	if (rc != HUB_DB_OK || k.oom) {
		keys_free(&k);
		return an_storage_failed(req);
	}
	return reply_list(req, &q, &k, "booker", "bookers.csv", booker_item);
}

/* ========================================================== consultants */

/* Adds every consultant record (name; active ones even without bookings)
 * to k; a consultant user sees only their own. */
static int add_names(an_query *q, an_keys *k)
{
	hub_stmt *st = NULL;
	int rc = an_api->db_prepare(
	    q->db, "SELECT id, name, active FROM booking_consultants", &st);
	while (rc == HUB_DB_OK) {
		int s = an_api->stmt_step(st);
		int64_t id;
		char key[32];
		an_keyed *e = NULL;
		if (s != HUB_DB_ROW) {
			rc = s == HUB_DB_DONE ? HUB_DB_OK : s;
			break;
		}
		id = an_api->col_int(st, 0);
		if (q->f.consultant != 0 && id != q->f.consultant)
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)id);
		for (size_t i = 0; i < k->n && !e; i++)
			if (strcmp(k->v[i].key, key) == 0)
				e = &k->v[i];
		if (!e && an_api->col_int(st, 2))
			e = key_find(k, key); /* active, without bookings */
		if (e)
			snprintf(e->name, sizeof(e->name), "%s",
				 an_api->col_text(st, 1));
	}
	an_api->stmt_finalize(st);
	return rc;
}

int an_h_consultants(hub_req *req, void *ud)
{
	an_query q;
	an_keys k = {0};
	int rc;
	(void)ud;

	if (an_begin(req, &q) != 0)
		return 0;
	rc = an_scan(q.db, q.cur.a, q.cur.b, &q.f, AN_GROUP_CONSULTANT,
		     keyed_row, &k);
	if (rc == HUB_DB_OK)
		rc = add_names(&q, &k);
	if (rc != HUB_DB_OK || k.oom) {
		keys_free(&k);
		return an_storage_failed(req);
	}
	return reply_list(req, &q, &k, "consultant", "consultants.csv",
			  consultant_item);
}
