/*
 * metrics_help.c - the HELP line of every metric /metrics shows. Names
 * without an entry (a module's own) get a generic line, so the exposition
 * always carries HELP and TYPE for each family.
 */
#include "http/http.h"

#include <string.h>

static const struct {
	const char *name;
	const char *help;
} g_help[] = {
    {"hub_build_info", "Version of the running hubd (always 1)."},
    {"hub_uptime_seconds", "Seconds since hubd started."},
    {"hub_metrics_dropped_total",
     "Metric updates dropped because the metric table was full."},
    {"hub_http_request_duration_seconds",
     "HTTP request latency by route pattern and status code."},
    {"hub_rate_limited_total", "Requests answered 429 by the rate limiter."},
    {"hub_store_transactions_total",
     "Storage transactions run (db_transaction, not nested ones)."},
    {"hub_store_tx_retries_total",
     "Storage transactions run again after a conflict, deadlock or busy "
     "lock."},
    {"hub_store_tx_gave_up_total",
     "Storage transactions given up still busy after the last attempt."},
    {"hub_error_reports_total",
     "Error reports by result (sent, retried, sampled_out, "
     "dropped_queue_full, refused, dropped_at_exit)."},
    {"hub_bookings_total", "Bookings made, changed or cancelled."},
    {"hub_bookings_rejected_total", "Booking attempts refused, by reason."},
    {"hub_booking_outcomes_synced_total",
     "Booking outcomes taken over from the central calendar."},
    {"hub_calendar_credentials_broken",
     "1 when Google refused the service-account credentials."},
    {"hub_calendar_full_resyncs_total",
     "Full calendar resyncs after an expired sync token."},
    {"hub_calendar_giveups_total",
     "Calendar requests given up after all retries."},
    {"hub_calendar_insert_conflicts_total",
     "Calendar inserts that found the event already there."},
    {"hub_calendar_mirrored_calendars", "Calendars kept in the mirror."},
    {"hub_calendar_outbox_attempts_total",
     "Calendar write attempts from the outbox, by result."},
    {"hub_calendar_outbox_backlog", "Calendar writes waiting in the outbox."},
    {"hub_calendar_outbox_failed",
     "Calendar writes Google refused for good (last 7 days)."},
    {"hub_calendar_outbox_oldest_age_seconds",
     "Age of the oldest calendar write waiting in the outbox."},
    {"hub_calendar_outbox_queued_total",
     "Calendar writes queued in the outbox."},
    {"hub_calendar_quota_acquired_total",
     "Google requests admitted by the quota governor."},
    {"hub_calendar_quota_exhausted_total",
     "Google requests delayed or refused because the quota was used up."},
    {"hub_calendar_quota_in_use",
     "Google requests in the current 60-second quota window."},
    {"hub_calendar_quota_limit",
     "Google requests allowed in any 60-second window."},
    {"hub_calendar_requests_total", "Requests sent to the calendar API."},
    {"hub_calendar_retries_total", "Calendar API requests retried."},
    {"hub_calendar_skipped_events_total",
     "Calendar events skipped while syncing (malformed)."},
    {"hub_calendar_synced_events_total", "Calendar events mirrored."},
    {"hub_calendar_syncs_total", "Calendar sync runs, by result."},
    {"hub_noshow_rate_7d",
     "Share of bookings of the last 7 days that ended as no-show."},
    {"hub_disk_free_bytes",
     "Free bytes on the file system of the data directory."},
    {"hub_disk_size_bytes",
     "Size in bytes of the file system of the data directory."},
    {"hub_process_resident_memory_bytes", "Resident memory of hubd."},
    {"hub_cache_sweeps_total", "Runs of the cache sweep job."},
    {"hub_cache_swept_total", "Expired cache entries removed by the sweep."},
};

const char *hub_metric_help(const char *name)
{
	for (size_t i = 0; i < sizeof(g_help) / sizeof(g_help[0]); i++)
		if (!strcmp(g_help[i].name, name))
			return g_help[i].help;
	return NULL;
}
