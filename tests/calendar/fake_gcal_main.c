/*
 * fake_gcal_main.c - the fake Google server as a program, for trying hubd
 * (or another area's integration test) against it:
 *
 *   fake_gcal PUBKEY_PEM CLIENT_EMAIL [EVENTS_JSON_LINES]
 *
 * Prints "api_base=URL" and "token_uri=URL" on stdout, loads events from
 * an optional file of lines "CALENDAR_ID<TAB>EVENT_RESOURCE_JSON", and
 * serves until SIGTERM or SIGINT; then prints the request counters.
 */
#define _GNU_SOURCE
#include "fake_gcal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int load_events(fake_gcal *f, const char *path)
{
	char line[8192];
	int n = 0;
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *tab = strchr(line, '\t');
		if (!tab || line[0] == '#')
			continue;
		*tab = '\0';
		if (fake_gcal_put_event(f, line, tab + 1) == 0)
			n++;
		else
			fprintf(stderr, "skipped an event of %s\n", line);
	}
	fclose(fp);
	return n;
}

int main(int argc, char **argv)
{
	fake_gcal *f;
	struct sigaction sa;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PUBKEY_PEM CLIENT_EMAIL [EVENTS]\n",
			argv[0]);
		return 2;
	}
	f = fake_gcal_start(argv[1], argv[2]);
	if (!f) {
		fprintf(stderr, "cannot start (public key readable?)\n");
		return 1;
	}
	if (argc > 3 && load_events(f, argv[3]) < 0) {
		fprintf(stderr, "cannot read %s\n", argv[3]);
		fake_gcal_stop(f);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("api_base=%s\ntoken_uri=%s\n", fake_gcal_api_base(f),
	       fake_gcal_token_uri(f));
	fflush(stdout);
	while (!g_stop)
		pause();
	printf("requests=%u token=%u list=%u insert=%u patch=%u delete=%u\n",
	       fake_gcal_requests(f, NULL), fake_gcal_requests(f, "token"),
	       fake_gcal_requests(f, "list"), fake_gcal_requests(f, "insert"),
	       fake_gcal_requests(f, "patch"), fake_gcal_requests(f, "delete"));
	fake_gcal_stop(f);
	return 0;
}
