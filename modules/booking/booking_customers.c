/*
 * booking_customers.c - customer names and reliability.
 *
 * The old system kept one text per customer, "Last, First", sometimes with
 * a suffix such as " ( Verschoben )" (rescheduled). A customer is
 * recognised by the folded key "last, first" (case and umlauts folded,
 * white space collapsed), so "MÜLLER,  hans" and "Müller, Hans ( Verschoben
 * )" are the same person.
 */
#include "booking.h"
#include "hub_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trims spaces and tabs at both ends of s[0..*n) in place; returns the new
 * start. */
static const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* Copies s[0..n) into out (size outlen), cutting at a UTF-8 boundary. */
static void copy_part(char *out, size_t outlen, const char *s, size_t n)
{
	if (outlen == 0)
		return;
	if (n >= outlen) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* do not split a character */
	}
	memcpy(out, s, n);
	out[n] = 0;
}

int booking_customer_split(const char *customer, char *last, size_t lastlen,
			   char *first, size_t firstlen)
{
	size_t n = customer ? strlen(customer) : 0;
	const char *s = customer ? customer : "";
	const char *comma;

	s = trim(s, &n);
	/* drop trailing "( ... )" groups */
	while (n > 0 && s[n - 1] == ')') {
		size_t open = n - 1;
		while (open > 0 && s[open] != '(')
			open--;
		if (s[open] != '(')
			break;
		n = open;
		s = trim(s, &n);
	}
	if (lastlen)
		last[0] = 0;
	if (firstlen)
		first[0] = 0;
	comma = memchr(s, ',', n);
	if (comma) {
		size_t ln = (size_t)(comma - s), fn = n - ln - 1;
		const char *l = trim(s, &ln), *f = trim(comma + 1, &fn);
		copy_part(last, lastlen, l, ln);
		copy_part(first, firstlen, f, fn);
	} else {
		copy_part(last, lastlen, s, n);
	}
	return lastlen && last[0] ? 0 : -1;
}

char *booking_customer_key(const char *last, const char *first)
{
	size_t ln = strlen(last ? last : ""), fn = strlen(first ? first : "");
	const char *l = trim(last ? last : "", &ln);
	const char *f = trim(first ? first : "", &fn);
	char *joined = malloc(ln + fn + 3), *key;

	if (!joined)
		return NULL;
	memcpy(joined, l, ln);
	memcpy(joined + ln, ", ", 2);
	memcpy(joined + ln + 2, f, fn);
	joined[ln + 2 + fn] = 0;
	key = hubkit_fold(joined);
	free(joined);
	return key;
}

const char *booking_risk(int no_shows)
{
	if (no_shows >= 3)
		return "high";
	if (no_shows >= 1)
		return "medium";
	return "none";
}
