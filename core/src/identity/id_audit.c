/*
 * id_audit.c - the audit log: who did what to what, when, from which
 * address and in which request (the caller says who, where and which;
 * this file knows no request object). Entries are append-only; they never hold
 * secrets (callers pass names and short facts, and the text is clipped
 * and cleaned of control characters here).
 */
#define _GNU_SOURCE
#include "identity/id_internal.h"
#include "hub_kit.h"

#include <stdio.h>
#include <string.h>

/* Copies `s` into out (outlen bytes) keeping whole UTF-8 characters,
 * replacing control characters with spaces and invalid bytes with '?'. */
static void clean_text(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p && o + 1 < outlen) {
		size_t n = 1;
		if (*p >= 0xC0 && *p < 0xE0)
			n = 2;
		else if (*p >= 0xE0 && *p < 0xF0)
			n = 3;
		else if (*p >= 0xF0)
			n = 4;
		if (n > 1 && hubkit_utf8_valid((const char *)p, n) &&
		    strnlen((const char *)p, n) == n) {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			out[o++] = ' ';
		else if (*p >= 0x80)
			out[o++] = '?';
		else
			out[o++] = (char)*p;
		p++;
	}
	out[o] = 0;
}

int hub_id_audit(hub_db *db, const char *actor, const char *client,
		 const char *request_id, const char *action, const char *target,
		 const char *detail)
{
	char a[96], act[64], tgt[256], det[512], cli[64], rid[80];
	if (!db)
		db = hub_store_db();
	if (!db || !action)
		return -1;
	clean_text(actor ? actor : "system", a, sizeof(a));
	clean_text(action, act, sizeof(act));
	clean_text(target, tgt, sizeof(tgt));
	clean_text(detail, det, sizeof(det));
	clean_text(client, cli, sizeof(cli));
	clean_text(request_id, rid, sizeof(rid));
	return id_sql(db,
		      "INSERT INTO audit_log (at, actor, action, target, "
		      "detail, client, request_id) VALUES (?, ?, ?, ?, ?, ?, "
		      "?)",
		      HUBKIT_ARGS(
			  HUBKIT_INT(id_now()), HUBKIT_TEXT(a),
			  HUBKIT_TEXT(act), HUBKIT_TEXT(target ? tgt : NULL),
			  HUBKIT_TEXT(detail ? det : NULL),
			  HUBKIT_TEXT(cli[0] ? cli : NULL),
			  HUBKIT_TEXT(rid[0] ? rid : NULL))) == HUB_DB_OK
		   ? 0
		   : -1;
}
