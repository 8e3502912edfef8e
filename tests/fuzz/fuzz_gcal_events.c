/*
 * fuzz_gcal_events.c - libFuzzer target for the parser of Google's
 * events.list answers (hub_cal_parse_events_page), the event-id answer
 * and the freeBusy answer: any bytes, no crash, no leak, and every event
 * it accepts has an id and end >= start.
 */
#include "fuzz_stack.h"
#include "calendar/cal_parse.h"
#include "hub_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hub_time_init("Europe/Berlin");
	return 0;
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	hub_cal_page page = {0};
	hub_cal_busy *busy = NULL;
	size_t nbusy = 0;
	char err[128], id[64];
	const char *body = (const char *)data;

	/* twice into one page: the second call appends */
	if (hub_cal_parse_events_page(body, size, &page, err, sizeof(err)) == 0)
		hub_cal_parse_events_page(body, size, &page, err, sizeof(err));
	for (size_t i = 0; i < page.n; i++) {
		const hub_cal_gevent *e = &page.items[i];
		if (!e->id || !e->id[0] || !e->summary ||
		    (!e->cancelled && e->end_utc < e->start_utc))
			abort();
	}
	hub_cal_page_free(&page);
	hub_cal_parse_event_id(body, size, id, sizeof(id));
	if (hub_cal_parse_freebusy(body, size, "a@x", &busy, &nbusy, err,
				   sizeof(err)) == 0) {
		for (size_t i = 0; i < nbusy; i++)
			if (busy[i].end_utc < busy[i].start_utc)
				abort();
	}
	free(busy);
	return 0;
}

HUB_FUZZ_ON_WORKER_STACK
