/*
 * fake_gcal.h - a fake Google Calendar API v3 and OAuth2 token endpoint
 * for the calendar tests, on civetweb, bound to 127.0.0.1 on a free port.
 *
 * It speaks what the client uses: POST /token (service-account JWT
 * bearer grant; the JWT's RS256 signature is verified with the public half
 * of the test key, its claims checked), and under /calendar/v3:
 * GET  calendars/{cal}/events     paging, syncToken, 410 for stale tokens,
 *                                  400 for syncToken with timeMin/Max/orderBy
 * POST calendars/{cal}/events     insert with client id (base32hex, 5-1024
 *                                  chars), 409 on a duplicate id
 * PATCH/DELETE calendars/{cal}/events/{id}   404, 410 on deleted
 * POST freeBusy
 * Every API request must carry a token the fake issued (else 401).
 *
 * Faults are queued per kind ("token", "list", "insert", "patch",
 * "delete", "freebusy", or NULL for any) and consumed by the next matching
 * requests. Every request is counted with its arrival time so a test can
 * ask for the largest number received in any window.
 */
#ifndef FAKE_GCAL_H
#define FAKE_GCAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct fake_gcal fake_gcal;

enum fake_fault {
	FAKE_OK = 0,
	FAKE_429,	   /* 429 rateLimitExceeded (+ Retry-After if set) */
	FAKE_403_RATE,	   /* 403 reason rateLimitExceeded */
	FAKE_403_USER,	   /* 403 reason userRateLimitExceeded */
	FAKE_403_FORBID,   /* 403 reason forbidden (not retryable) */
	FAKE_400,	   /* 400 reason invalid */
	FAKE_500,	   /* 500 backendError */
	FAKE_503,	   /* 503 */
	FAKE_HANG,	   /* sleep hang_ms, then 503, nothing done */
	FAKE_HANG_AFTER,   /* do the work, sleep hang_ms, then answer */
	FAKE_MALFORMED,	   /* 200 with broken JSON */
	FAKE_TRUNCATED,	   /* 200, Content-Length larger than the body sent */
	FAKE_WRONG_TYPES,  /* 200 with members of the wrong JSON types */
	FAKE_HTML,	   /* 200 text/html error page */
	FAKE_INVALID_GRANT /* token: 400 invalid_grant */
};

/* Starts the server. `pubkey_pem` is the path of the public key the JWT
 * must verify with; `client_email` the expected issuer. NULL on error. */
fake_gcal *fake_gcal_start(const char *pubkey_pem, const char *client_email);
void fake_gcal_stop(fake_gcal *f);

/* "http://127.0.0.1:PORT/calendar/v3" and ".../token" (static in f). */
const char *fake_gcal_api_base(fake_gcal *f);
const char *fake_gcal_token_uri(fake_gcal *f);

/* ---- data ---- */

/* Adds (or replaces) an event; `json` is an event resource with "id",
 * "start", "end" and anything else. Returns 0 or -1. */
int fake_gcal_put_event(fake_gcal *f, const char *cal, const char *json);
/* Adds a simple timed event [start, end) given as RFC 3339 texts. */
int fake_gcal_add(fake_gcal *f, const char *cal, const char *id,
		  const char *summary, const char *start, const char *end,
		  const char *color_id);
/* Marks an event cancelled (as a deletion in Google). Returns 0 or -1. */
int fake_gcal_cancel(fake_gcal *f, const char *cal, const char *id);
/* Makes a calendar known (freeBusy answers notFound for unknown ones). */
void fake_gcal_add_calendar(fake_gcal *f, const char *cal);
/* Events of a calendar, cancelled ones counted only when asked. */
int fake_gcal_count(fake_gcal *f, const char *cal, int with_cancelled);
/* The stored resource as JSON text (owned, free()), NULL if none. */
char *fake_gcal_event_json(fake_gcal *f, const char *cal, const char *id);
/* Every sync token issued so far answers 410 from now on. */
void fake_gcal_expire_sync_tokens(fake_gcal *f);
/* Largest page the server returns whatever maxResults says (default
 * 250). */
void fake_gcal_set_page_cap(fake_gcal *f, unsigned n);

/* ---- faults ---- */

/* The next `count` requests of `kind` (NULL = any) get `fault`. */
void fake_gcal_fault(fake_gcal *f, const char *kind, enum fake_fault fault,
		     int count);
/* Drops every queued fault. */
void fake_gcal_clear_faults(fake_gcal *f);
/* How long FAKE_HANG* sleeps (capped at 10 s). */
void fake_gcal_set_hang_ms(fake_gcal *f, unsigned ms);
/* Retry-After seconds sent with 429 (0 = none). */
void fake_gcal_set_retry_after(fake_gcal *f, unsigned s);
/* expires_in of issued tokens (default 3600). */
void fake_gcal_set_token_lifetime(fake_gcal *f, unsigned s);
/* Forgets every issued access token (API calls then get 401). */
void fake_gcal_revoke_tokens(fake_gcal *f);

/* ---- counters ---- */

/* Requests received of `kind` (NULL = all). */
unsigned fake_gcal_requests(fake_gcal *f, const char *kind);
/* Largest number of requests (all kinds) whose arrival times fall in any
 * window of `window_ms`. */
unsigned fake_gcal_max_in_window(fake_gcal *f, unsigned window_ms);
/* Token requests whose JWT failed verification. */
unsigned fake_gcal_jwt_failures(fake_gcal *f);
/* Query string of the most recent events.list (owned, free()). */
char *fake_gcal_last_list_query(fake_gcal *f);
/* Clears request counters and the arrival log. */
void fake_gcal_reset_counts(fake_gcal *f);

/* ---- internal, shared by fake_gcal*.c ---- */

struct mg_connection;
/* Answers `status` with a JSON body. */
void fake_reply(struct mg_connection *c, int status, const char *json);
/* Google's error envelope. */
void fake_reply_error(struct mg_connection *c, int status, const char *reason,
		      const char *message);
/* Handlers of the calendar data (fake_gcal_events.c); `cal` and `id`
 * decoded; f's data lock is taken inside. Each returns after answering. */
void fake_ev_list(fake_gcal *f, struct mg_connection *c, const char *cal,
		  const char *query);
void fake_ev_insert(fake_gcal *f, struct mg_connection *c, const char *cal,
		    const char *body);
void fake_ev_patch(fake_gcal *f, struct mg_connection *c, const char *cal,
		   const char *id, const char *body);
void fake_ev_delete(fake_gcal *f, struct mg_connection *c, const char *cal,
		    const char *id);
void fake_ev_freebusy(fake_gcal *f, struct mg_connection *c, const char *body);
/* Data store lifetime. */
void *fake_ev_new(void);
void fake_ev_free(void *store);
void *fake_gcal_store(fake_gcal *f);

#endif
