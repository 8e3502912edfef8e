/*
 * hub_json_scan.c - a flat pass over JSON text before cJSON sees it: the
 * nesting depth is checked here, without recursion, so that cJSON's
 * recursive descent never goes deeper than HUBKIT_JSON_MAX_DEPTH frames on
 * a worker's stack; and a \u0000 escape inside any string (which cJSON
 * would decode into a C string, silently cutting it short) is found and
 * named by the member it belongs to. See hub_kit.h.
 */
#include "hub_kit.h"

#include <string.h>

/* Copies the raw text of a string token (without quotes) into field,
 * cut at 64 bytes and at the first backslash escape. */
static void copy_key(char *field, size_t fieldlen, const char *s, size_t n)
{
	size_t o = 0;
	if (!field || fieldlen == 0)
		return;
	for (size_t i = 0; i < n && o + 1 < fieldlen && o < 64; i++) {
		if (s[i] == '\\')
			break;
		field[o++] = s[i];
	}
	field[o] = 0;
}

/* Scans the string token whose opening quote is at text[*i]; leaves *i on
 * the closing quote (or at len when unterminated). Returns 1 when it
 * holds a \u0000 escape. */
static int scan_string(const char *text, size_t len, size_t *i)
{
	int nul = 0;
	size_t p = *i + 1;
	while (p < len && text[p] != '"') {
		if (text[p] == '\\' && p + 1 < len) {
			if (text[p + 1] == 'u' && p + 5 < len &&
			    !memcmp(text + p + 2, "0000", 4))
				nul = 1;
			p += 2;
			continue;
		}
		p++;
	}
	*i = p;
	return nul;
}

/* 1 when the next non-blank byte from text[i] on is ':'. */
static int colon_follows(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' ||
			   text[i] == '\n' || text[i] == '\r'))
		i++;
	return i < len && text[i] == ':';
}

int hubkit_json_scan(const char *text, size_t len, int max_depth, char *field,
		     size_t fieldlen)
{
	int depth = 0;
	const char *key = "";
	size_t keylen = 0;

	if (field && fieldlen)
		field[0] = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return HUBKIT_JSON_TOO_DEEP;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == '"') {
			size_t start = i + 1;
			int nul = scan_string(text, len, &i);
			size_t n = i - start;
			int is_key = i < len && colon_follows(text, len, i + 1);
			if (is_key) {
				key = text + start;
				keylen = n;
			}
			if (nul) {
				copy_key(field, fieldlen, key, keylen);
				return HUBKIT_JSON_NUL;
			}
		}
	}
	return 0;
}
