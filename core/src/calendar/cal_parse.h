/*
 * cal_parse.h - parsers for what Google sends back (event pages, token
 * answers, error envelopes, freeBusy answers) and for the service-account
 * credentials file. Pure functions over bytes: no I/O, no globals, so the
 * fuzz targets (tests/fuzz/fuzz_gcal_*.c) link them alone.
 *
 * Every parser accepts any byte string, including truncated or malformed
 * JSON and members of the wrong type: it either fills its output or returns
 * -1 with a short reason in err. Strings it returns are owned by the output
 * structure and released by the matching *_free / *_clear function.
 */
#ifndef HUB_CAL_PARSE_H
#define HUB_CAL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds on what we accept from the network. */
#define HUB_CAL_MAX_BODY     (16u * 1024u * 1024u) /* one HTTP answer */
#define HUB_CAL_MAX_TOKEN    4096 /* access / page / sync token */
#define HUB_CAL_MAX_EVENT_ID 1024 /* Google's own limit */

/* One event of an events.list answer. */
typedef struct hub_cal_gevent {
	char *id;	   /* owned; never NULL in a parsed event */
	char *summary;	   /* owned; "" when absent */
	char color_id[8];  /* "" when absent */
	char hub_key[64];  /* extendedProperties.private.hub_key or "" */
	char updated[40];  /* RFC 3339 as sent, "" when absent */
	int64_t start_utc; /* UTC seconds; 0 for a cancelled event */
	int64_t end_utc;   /* exclusive */
	int all_day;	   /* start/end were dates, not date-times */
	int cancelled;	   /* status "cancelled": remove from the mirror */
} hub_cal_gevent;

/* Events collected from one or more pages of events.list. */
typedef struct hub_cal_page {
	hub_cal_gevent *items; /* owned array of n */
	size_t n, cap;
	char *next_page_token; /* owned, NULL when absent */
	char *next_sync_token; /* owned, NULL when absent */
	size_t skipped;	       /* items ignored as malformed */
} hub_cal_page;

/* Parses one events.list answer and APPENDS its events to page->items;
 * replaces next_page_token / next_sync_token with this answer's values.
 * Items that are not usable (no id, unparsable times, end before start)
 * are skipped and counted in page->skipped. Returns 0, or -1 with err set
 * when the body is not a JSON object or `items` is present but not an
 * array (the page must not be trusted at all then). */
int hub_cal_parse_events_page(const char *body, size_t len, hub_cal_page *page,
			      char *err, size_t errlen);

/* Releases everything a page holds and zeroes it. Accepts NULL. */
void hub_cal_page_free(hub_cal_page *page);

/* Parses Google's "start"/"end" object text members: `date_time` (RFC 3339
 * with offset) or `date` (YYYY-MM-DD, local midnight in the business zone).
 * Returns 0 with *utc and *all_day, or -1. Exposed for the tests. */
int hub_cal_parse_when(const char *date_time, const char *date, int64_t *utc,
		       int *all_day);

/* Parses a token endpoint answer {"access_token","expires_in",
 * "token_type"}. Copies the token into tok (NUL-terminated) and the
 * lifetime into *expires_in (seconds, 1..86400; 3600 when absent).
 * Returns 0, or -1 with err set (missing/empty token, token too long or
 * with characters outside the printable ASCII range, token_type other
 * than Bearer, bad expires_in). */
int hub_cal_parse_token(const char *body, size_t len, char *tok, size_t toklen,
			long *expires_in, char *err, size_t errlen);

/* Reads a Google error answer: the API form {"error":{"code","message",
 * "errors":[{"reason"}]}} or the OAuth form {"error":"invalid_grant",
 * "error_description"}. Copies the first reason (or the OAuth error code)
 * into reason and the message into msg (both NUL-terminated, "" when
 * unknown). Returns 0 when an error object was found, -1 otherwise. */
int hub_cal_parse_error(const char *body, size_t len, char *reason,
			size_t reasonlen, char *msg, size_t msglen);

/* One busy interval of a freeBusy answer. */
typedef struct hub_cal_busy {
	int64_t start_utc, end_utc;
} hub_cal_busy;

/* Parses a freeBusy.query answer for calendar `calendar_id`. *out is an
 * owned array (free()) of *n intervals (NULL when none). Returns 0, or -1
 * with err set (malformed answer, the calendar missing from the answer, or
 * a per-calendar error such as "notFound", copied into err). */
int hub_cal_parse_freebusy(const char *body, size_t len,
			   const char *calendar_id, hub_cal_busy **out,
			   size_t *n, char *err, size_t errlen);

/* Reads the "id" member of an event resource answer into out. Returns 0,
 * or -1 when absent, not a string, empty or too long for out. */
int hub_cal_parse_event_id(const char *body, size_t len, char *out,
			   size_t outlen);

/* A Google service-account key file, as Google issues it. */
typedef struct hub_cal_creds {
	char *type;	      /* "service_account" */
	char *client_email;   /* the JWT issuer */
	char *private_key;    /* PEM text, secret */
	char *private_key_id; /* JWT "kid"; "" when absent */
	char *token_uri;      /* default https://oauth2.googleapis.com/token */
} hub_cal_creds;

#define HUB_CAL_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"

/* Parses the JSON text of a credentials file into *out (all strings
 * owned). Returns 0, or -1 with a reason naming the offending member in
 * err; *out is left cleared on failure. Never copies key material into
 * err. */
int hub_cal_creds_parse(const char *json, size_t len, hub_cal_creds *out,
			char *err, size_t errlen);

/* Wipes the private key and frees every string. Accepts NULL. */
void hub_cal_creds_clear(hub_cal_creds *c);

/* Copies at most outlen-1 bytes of s into out without cutting a UTF-8
 * sequence in half; always NUL-terminates (outlen > 0). */
void hub_cal_copy_utf8(char *out, size_t outlen, const char *s);

#endif
