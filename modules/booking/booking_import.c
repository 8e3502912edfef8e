/*
 * booking_import.c - `hubctl import-json DIR`: the old system's booking
 * data, inside the host's one import transaction.
 *
 *   DIR/blocked_dates.json      {"custom_blocks": {"YYYY-MM-DD":
 *                               {"reason", "added_by", "added_at"}}}
 *   DIR/tracking/bookings.jsonl one booking a line (see docs/DOMAIN.md)
 *   DIR/tracking/outcomes.jsonl one outcome check a line; the same booking
 *                               may appear on several lines and the last
 *                               one wins ("completed" = appeared)
 *
 * Idempotent: bookings are keyed by the old id (legacy_id), blocks by date,
 * so importing the same directory twice changes nothing the second time.
 * History is imported as it was: also bookings off today's grid and
 * cancelled ones. An outcome set in the app since is kept. Any bad input
 * stops the import with "file:line: reason" (the host rolls back).
 */
#include "booking_mod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE (512u << 20) /* refuse files over 512 MiB */

/* Reads a whole file. Returns 0 with *out (owned, NUL-terminated), 1 when
 * it does not exist, -1 with err otherwise. */
static int read_file(const char *path, const char *name, char **out,
		     size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	*out = NULL;
	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s:0: cannot open: %s", name,
			 strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    (unsigned long)sz > MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s:0: cannot read or too large", name);
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		snprintf(err, errlen, "%s:0: cannot read", name);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[sz] = 0;
	*out = buf;
	*len = (size_t)sz;
	return 0;
}

/* The line number of byte offset `off` in text. */
static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off && text[i]; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Parses an old-system timestamp: RFC 3339, or a naive ISO time
 * ("2025-01-10T09:12:33.123456") taken as business-zone wall time.
 * Returns 0 or -1. */
static int parse_stamp(const char *s, int64_t *utc)
{
	hub_date d;
	char date[11];
	int hh, mm, ss = 0;

	if (!s)
		return -1;
	if (hub_time_parse(s, utc) == 0)
		return 0;
	if (strlen(s) < 16)
		return -1;
	memcpy(date, s, 10);
	date[10] = 0;
	if (hub_date_parse(date, &d) != 0 || (s[10] != 'T' && s[10] != ' ') ||
	    sscanf(s + 11, "%2d:%2d:%2d", &hh, &mm, &ss) < 2 || hh > 23 ||
	    mm > 59 || ss > 59)
		return -1;
	if (hub_time_from_local(d, hh, mm, utc) != 0)
		return -1;
	*utc += ss;
	return 0;
}

/* A string member or NULL. */
static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ============================================================== blocks */

static int import_blocks(hub_db *db, const char *dir, int *count, char *err,
			 size_t errlen)
{
	char path[4200];
	const char *name = "blocked_dates.json";
	char *text = NULL;
	size_t len = 0;
	const char *end = NULL;
	cJSON *root = NULL, *blocks, *it;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = read_file(path, name, &text, &len, err, errlen);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!hubkit_utf8_valid(text, len)) {
		snprintf(err, errlen, "%s:1: not valid UTF-8", name);
		free(text);
		return -1;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		snprintf(err, errlen, "%s:%d: not valid JSON", name,
			 end ? line_of(text, (size_t)(end - text)) : 1);
		free(text);
		return -1;
	}
	blocks = cJSON_GetObjectItemCaseSensitive(root, "custom_blocks");
	if (blocks && !cJSON_IsObject(blocks)) {
		snprintf(err, errlen, "%s:1: custom_blocks is not an object",
			 name);
		rc = -1;
	}
	cJSON_ArrayForEach(it, blocks)
	{
		const char *key = it->string ? it->string : "";
		char needle[64];
		const char *at = NULL;
		hub_date d;
		int64_t added = 0;
		hub_stmt *st = NULL;
		int line;

		if (rc != 0)
			break;
		snprintf(needle, sizeof(needle), "\"%.20s\"", key);
		at = strstr(text, needle);
		line = at ? line_of(text, (size_t)(at - text)) : 1;
		if (hub_date_parse(key, &d) != 0) {
			snprintf(err, errlen, "%s:%d: '%.20s' is not a date",
				 name, line, key);
			rc = -1;
			break;
		}
		if (!cJSON_IsObject(it)) {
			snprintf(err, errlen, "%s:%d: %s: not an object", name,
				 line, key);
			rc = -1;
			break;
		}
		if (str_of(it, "added_at") &&
		    parse_stamp(str_of(it, "added_at"), &added) != 0) {
			snprintf(err, errlen, "%s:%d: %s: bad added_at", name,
				 line, key);
			rc = -1;
			break;
		}
		const char *reason = str_of(it, "reason");
		const char *by = str_of(it, "added_by");
		hubkit_arg args[] = {
		    HUBKIT_TEXT(key), HUBKIT_TEXT(reason ? reason : "blocked"),
		    HUBKIT_TEXT(by ? by : "import"), HUBKIT_INT(added)};
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "INSERT INTO booking_blocks (date, time, reason, "
		    "added_by, added_at) VALUES (?, '', ?, ?, ?) ON "
		    "CONFLICT (date, time) DO UPDATE SET reason = "
		    "excluded.reason, added_by = excluded.added_by, "
		    "added_at = excluded.added_at",
		    args, 4, &st);
		if (rc == HUB_DB_OK)
			rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE
				 ? HUB_DB_OK
				 : HUB_DB_ERROR;
		BOOKING_API->stmt_finalize(st);
		if (rc != HUB_DB_OK) {
			snprintf(err, errlen, "%s:%d: storage: %s", name, line,
				 BOOKING_API->db_errmsg(db));
			rc = -1;
			break;
		}
		(*count)++;
	}
	cJSON_Delete(root);
	free(text);
	return rc;
}

/* ============================================================ bookings */

/* Maps the old potential_type to a configured category. */
static const char *category_of(const char *type)
{
	const booking_colormap *c = &booking_m.cfg.categories;
	if (type && booking_category_color(c, type))
		return type;
	if (type && strcmp(type, "recall") == 0 &&
	    booking_category_color(c, "callback"))
		return "callback";
	return booking_category_color(c, "normal") ? "normal" : c->e[0].name;
}

/* Maps an old outcome; NULL when unknown. */
static const char *outcome_of(const char *o)
{
	if (!o)
		return NULL;
	if (strcmp(o, "completed") == 0 || strcmp(o, "appeared") == 0)
		return "appeared";
	if (strcmp(o, "no_show") == 0 || strcmp(o, "cancelled") == 0 ||
	    strcmp(o, "pending") == 0)
		return o;
	return NULL;
}

/* The booking row a line describes (bookings or outcomes line). Returns 0
 * or -1 with a reason in why. */
static int row_of_line(const cJSON *o, booking_row *r, char *why, size_t whylen)
{
	const char *id = str_of(o, "id"), *customer = str_of(o, "customer");
	const char *date = str_of(o, "date"), *tm = str_of(o, "time");
	const char *stamp = str_of(o, "timestamp");
	const char *type = str_of(o, "potential_type");
	const char *color = str_of(o, "color_id");
	const char *user = str_of(o, "user");
	const char *desc = str_of(o, "description");
	const cJSON *cv = cJSON_GetObjectItemCaseSensitive(o, "color_id");
	hub_date d;
	const char *p = tm;
	int minute;

	memset(r, 0, sizeof(*r));
	if (!id || !*id || strlen(id) >= sizeof(r->legacy_id)) {
		snprintf(why, whylen, "missing or overlong 'id'");
		return -1;
	}
	if (!customer ||
	    booking_customer_split(customer, r->last_name, sizeof(r->last_name),
				   r->first_name, sizeof(r->first_name)) != 0) {
		snprintf(why, whylen, "missing or empty 'customer'");
		return -1;
	}
	if (!date || hub_date_parse(date, &d) != 0) {
		snprintf(why, whylen, "'date' is not YYYY-MM-DD");
		return -1;
	}
	if (!tm || booking_hhmm_parse(&p, 0, &minute) != 0 || *p) {
		snprintf(why, whylen, "'time' is not HH:MM");
		return -1;
	}
	if (hub_time_from_local(d, minute / 60, minute % 60, &r->slot_start) !=
	    0) {
		snprintf(why, whylen,
			 "%s %s does not exist (skipped by the DST change)",
			 date, tm);
		return -1;
	}
	r->slot_end = r->slot_start + (int64_t)booking_m.cfg.slot_minutes * 60;
	if (stamp && parse_stamp(stamp, &r->created_at) != 0) {
		snprintf(why, whylen, "'timestamp' is not an ISO time");
		return -1;
	}
	if (!stamp)
		r->created_at = r->slot_start;
	snprintf(r->legacy_id, sizeof(r->legacy_id), "%s", id);
	snprintf(r->category, sizeof(r->category), "%s", category_of(type));
	if (cJSON_IsNumber(cv))
		snprintf(r->color_id, sizeof(r->color_id), "%d",
			 (int)cv->valuedouble);
	else if (color)
		snprintf(r->color_id, sizeof(r->color_id), "%.7s", color);
	else
		snprintf(r->color_id, sizeof(r->color_id), "%s",
			 booking_category_color(&booking_m.cfg.categories,
						r->category));
	snprintf(r->booked_by, sizeof(r->booked_by), "%s",
		 user && *user ? user : "unknown");
	snprintf(r->description, sizeof(r->description), "%s",
		 desc ? desc : "");
	snprintf(r->status, sizeof(r->status), "booked");
	snprintf(r->outcome, sizeof(r->outcome), "pending");
	snprintf(r->outcome_source, sizeof(r->outcome_source), "none");
	r->updated_at = (int64_t)time(NULL);
	return 0;
}

/* The id of the booking with legacy id `lid`, 0 when none, < 0 error. */
static int64_t legacy_lookup(hub_db *db, const char *lid, booking_row *cur)
{
	int rc = booking_db_select_one(
	    db, "SELECT " BOOKING_DB_COLS "WHERE b.legacy_id = ?",
	    (hubkit_arg[]){HUBKIT_TEXT(lid)}, 1, cur);
	if (rc == HUB_DB_ROW)
		return cur->id;
	if (rc == HUB_DB_DONE)
		return 0;
	return rc < 0 ? rc : HUB_DB_ERROR;
}

/* Updates the imported facts of an existing booking (not its outcome). */
static int update_facts(hub_db *db, const booking_row *r, int64_t id)
{
	hub_stmt *st = NULL;
	char *key = booking_customer_key(r->last_name, r->first_name);
	hubkit_arg args[] = {
	    HUBKIT_INT(r->slot_start),	HUBKIT_INT(r->slot_end),
	    HUBKIT_TEXT(r->first_name), HUBKIT_TEXT(r->last_name),
	    HUBKIT_TEXT(key),		HUBKIT_TEXT(r->category),
	    HUBKIT_TEXT(r->color_id),	HUBKIT_TEXT(r->booked_by),
	    HUBKIT_INT(r->created_at),	HUBKIT_INT(id)};
	int rc = key ? hubkit_prepare(BOOKING_SQL, db,
				      "UPDATE booking_bookings SET "
				      "slot_start = ?, slot_end = ?, "
				      "first_name = ?, last_name = ?, "
				      "customer_key = ?, category = ?, "
				      "color_id = ?, booked_by = ?, "
				      "created_at = ? WHERE id = ?",
				      args, 10, &st)
		     : HUB_DB_ERROR;
	if (rc == HUB_DB_OK)
		rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE ? HUB_DB_OK
							       : HUB_DB_ERROR;
	BOOKING_API->stmt_finalize(st);
	free(key);
	return rc;
}

/* Inserts a new imported booking with its history entry. */
static int insert_new(hub_db *db, booking_row *r)
{
	char detail[300];
	booking_buf b;
	int rc = booking_db_insert(db, r);
	if (rc != HUB_DB_OK)
		return rc;
	booking_buf_init(&b);
	booking_buf_puts(&b, "{\"legacy_id\":");
	booking_buf_json_str(&b, r->legacy_id);
	booking_buf_puts(&b, "}");
	snprintf(detail, sizeof(detail), "%s", b.oom ? "{}" : b.p);
	booking_buf_free(&b);
	return booking_db_history_add(db, r->id, r->created_at, "import",
				      "imported", detail);
}

/* Applies one line of bookings.jsonl (outcome == NULL) or outcomes.jsonl.
 * Returns HUB_DB_OK or an error. */
static int apply_line(hub_db *db, const cJSON *o, int is_outcome,
		      const char *outcome, char *why, size_t whylen)
{
	booking_row r, cur;
	int64_t id;
	int rc;

	if (row_of_line(o, &r, why, whylen) != 0)
		return HUB_DB_EMISUSE;
	id = legacy_lookup(db, r.legacy_id, &cur);
	if (id < 0)
		return (int)id;
	if (!is_outcome) {
		if (id == 0)
			return insert_new(db, &r);
		return update_facts(db, &r, id);
	}
	if (id == 0) {
		/* an outcome for a booking missing from bookings.jsonl */
		rc = insert_new(db, &r);
		if (rc != HUB_DB_OK)
			return rc;
		cur = r;
	}
	if (strcmp(cur.outcome_source, "app") == 0 ||
	    strcmp(cur.outcome_source, "calendar") == 0)
		return HUB_DB_OK; /* decided here since: keep */
	snprintf(cur.outcome, sizeof(cur.outcome), "%s", outcome);
	snprintf(cur.status, sizeof(cur.status), "%s",
		 strcmp(outcome, "cancelled") == 0 ? "cancelled" : "booked");
	snprintf(cur.outcome_source, sizeof(cur.outcome_source), "import");
	if (str_of(o, "checked_at") &&
	    parse_stamp(str_of(o, "checked_at"), &cur.outcome_at) != 0)
		cur.outcome_at = 0;
	if (!cur.outcome_at)
		cur.outcome_at = cur.slot_end;
	if (!cur.description[0] && str_of(o, "description")) {
		/* the outcome line carries the description the booking
		 * line only measured */
		hub_stmt *st = NULL;
		rc = hubkit_prepare(
		    BOOKING_SQL, db,
		    "UPDATE booking_bookings SET description = ? WHERE id = ?",
		    (hubkit_arg[]){HUBKIT_TEXT(str_of(o, "description")),
				   HUBKIT_INT(cur.id)},
		    2, &st);
		if (rc == HUB_DB_OK)
			rc = BOOKING_API->stmt_step(st) == HUB_DB_DONE
				 ? HUB_DB_OK
				 : HUB_DB_ERROR;
		BOOKING_API->stmt_finalize(st);
		if (rc != HUB_DB_OK)
			return rc;
	}
	return booking_db_update(db, &cur, "import");
}

/* Imports one JSON-lines file. */
static int import_jsonl(hub_db *db, const char *dir, const char *name,
			int is_outcome, int *count, char *err, size_t errlen)
{
	char path[4200], why[200];
	char *text = NULL, *line, *next;
	size_t len = 0;
	int rc, lineno = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = read_file(path, name, &text, &len, err, errlen);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	for (line = text; rc == 0 && line && *line; line = next) {
		cJSON *o;
		const char *outcome = NULL;
		size_t n;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = 0;
		if (strspn(line, " \t") == n)
			continue;
		if (!hubkit_utf8_valid(line, n)) {
			snprintf(err, errlen, "%s:%d: not valid UTF-8", name,
				 lineno);
			rc = -1;
			break;
		}
		o = cJSON_ParseWithLength(line, n);
		if (!o || !cJSON_IsObject(o)) {
			snprintf(err, errlen, "%s:%d: not a JSON object", name,
				 lineno);
			cJSON_Delete(o);
			rc = -1;
			break;
		}
		if (is_outcome) {
			outcome = outcome_of(str_of(o, "outcome"));
			if (!outcome) {
				snprintf(err, errlen,
					 "%s:%d: unknown outcome '%.20s' "
					 "(completed, no_show, cancelled)",
					 name, lineno,
					 str_of(o, "outcome")
					     ? str_of(o, "outcome")
					     : "");
				cJSON_Delete(o);
				rc = -1;
				break;
			}
		}
		why[0] = 0;
		rc = apply_line(db, o, is_outcome, outcome, why, sizeof(why));
		cJSON_Delete(o);
		if (rc != HUB_DB_OK) {
			if (why[0])
				snprintf(err, errlen, "%s:%d: %s", name, lineno,
					 why);
			else
				snprintf(err, errlen, "%s:%d: storage: %s",
					 name, lineno,
					 BOOKING_API->db_errmsg(db));
			rc = -1;
			break;
		}
		(*count)++;
	}
	free(text);
	return rc;
}

int booking_import(void *ud, hub_db *db, const char *dir, char *err,
		   size_t errlen)
{
	int blocks = 0, bookings = 0, outcomes = 0;
	char detail[160];
	(void)ud;

	if (import_blocks(db, dir, &blocks, err, errlen) != 0 ||
	    import_jsonl(db, dir, "tracking/bookings.jsonl", 0, &bookings, err,
			 errlen) != 0 ||
	    import_jsonl(db, dir, "tracking/outcomes.jsonl", 1, &outcomes, err,
			 errlen) != 0)
		return -1;
	snprintf(detail, sizeof(detail),
		 "%d blocked days, %d booking lines, %d outcome lines", blocks,
		 bookings, outcomes);
	if (BOOKING_API->audit(NULL, db, "booking.import", "import-json",
			       detail) != 0) {
		snprintf(err, errlen, "audit: %s", BOOKING_API->db_errmsg(db));
		return -1;
	}
	BOOKING_API->log(booking_m.ctx, HUB_LOG_INFO, "imported %s", detail);
	booking_changed();
	return 0;
}
