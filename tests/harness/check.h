/*
 * check.h - the test harness used by every C test: CHECK macros that count
 * and report, and a closing line "N passed, N failed" that ctest's output
 * and CI read. Header-only; include once per test executable.
 */
#ifndef HUB_CHECK_H
#define HUB_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,          \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long check_a_ = (long long)(a),                           \
			  check_b_ = (long long)(b);                           \
		if (check_a_ == check_b_) {                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(                                               \
			    stderr, "FAIL %s:%d: %s == %s (%lld vs %lld)\n",   \
			    __FILE__, __LINE__, #a, #b, check_a_, check_b_);   \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *check_a_ = (a), *check_b_ = (b);                   \
		if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) { \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr,                                        \
				"FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n",   \
				__FILE__, __LINE__, #a, #b,                    \
				check_a_ ? check_a_ : "(null)",                \
				check_b_ ? check_b_ : "(null)");               \
		}                                                              \
	} while (0)

/* Prints the closing line and returns the process exit code. */
static inline int check_report(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
	return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif
