/*
 * booking_json.c - a booking as API JSON and as a calendar event.
 */
#include "booking.h"

#include <stdio.h>
#include <string.h>

void booking_customer_text(const booking_row *r, char *out, size_t outlen)
{
	if (r->first_name[0])
		snprintf(out, outlen, "%s, %s", r->last_name, r->first_name);
	else
		snprintf(out, outlen, "%s", r->last_name);
}

void booking_row_json(booking_buf *b, const booking_row *r)
{
	char customer[2 * BOOKING_NAME_BYTES + 4];

	booking_buf_printf(b, "{\"id\":%lld,\"start\":", (long long)r->id);
	booking_buf_json_time(b, r->slot_start);
	booking_buf_puts(b, ",\"end\":");
	booking_buf_json_time(b, r->slot_end);
	booking_buf_puts(b, ",\"first_name\":");
	booking_buf_json_str(b, r->first_name);
	booking_buf_puts(b, ",\"last_name\":");
	booking_buf_json_str(b, r->last_name);
	booking_buf_puts(b, ",\"customer\":");
	booking_customer_text(r, customer, sizeof(customer));
	booking_buf_json_str(b, customer);
	booking_buf_puts(b, ",\"description\":");
	booking_buf_json_str(b, r->description);
	booking_buf_puts(b, ",\"category\":");
	booking_buf_json_str(b, r->category);
	if (r->consultant_id > 0) {
		booking_buf_printf(b, ",\"consultant_id\":%lld,\"consultant\":",
				   (long long)r->consultant_id);
		booking_buf_json_str(b, r->consultant);
	} else {
		booking_buf_puts(b,
				 ",\"consultant_id\":null,\"consultant\":null");
	}
	booking_buf_puts(b, ",\"booked_by\":");
	booking_buf_json_str(b, r->booked_by);
	booking_buf_puts(b, ",\"created_at\":");
	booking_buf_json_time(b, r->created_at);
	booking_buf_puts(b, ",\"status\":");
	booking_buf_json_str(b, r->status);
	booking_buf_puts(b, ",\"outcome\":");
	booking_buf_json_str(b, r->outcome);
	booking_buf_puts(b, ",\"outcome_source\":");
	booking_buf_json_str(b, r->outcome_source);
	if (r->outcome_at > 0) {
		booking_buf_puts(b, ",\"outcome_at\":");
		booking_buf_json_time(b, r->outcome_at);
	}
	if (r->cancel_reason[0]) {
		booking_buf_puts(b, ",\"cancel_reason\":");
		booking_buf_json_str(b, r->cancel_reason);
	}
	booking_buf_printf(b, ",\"imported\":%s",
			   r->legacy_id[0] ? "true" : "false");
	if (r->legacy_id[0]) {
		booking_buf_puts(b, ",\"legacy_id\":");
		booking_buf_json_str(b, r->legacy_id);
	}
	booking_buf_puts(b, ",\"updated_at\":");
	booking_buf_json_time(b, r->updated_at);
	booking_buf_puts(b, "}");
}

void booking_event_json(booking_buf *b, const booking_row *r,
			const booking_config *cfg)
{
	char summary[2 * BOOKING_NAME_BYTES + 4];
	const char *cat = booking_category_color(&cfg->categories, r->category);
	const char *color;

	if (!cat)
		cat = r->color_id[0] ? r->color_id : "";
	color = booking_color_for_outcome(&cfg->outcomes, r->outcome, cat);
	booking_customer_text(r, summary, sizeof(summary));
	booking_buf_puts(b, "{\"summary\":");
	booking_buf_json_str(b, summary);
	booking_buf_puts(b, ",\"description\":");
	{
		booking_buf d;
		booking_buf_init(&d);
		booking_buf_printf(&d, "%s\n\n[Booked by: %s]", r->description,
				   r->booked_by);
		booking_buf_json_str(b, d.p ? d.p : "");
		booking_buf_free(&d);
	}
	booking_buf_puts(b, ",\"start\":{\"dateTime\":");
	booking_buf_json_time(b, r->slot_start);
	booking_buf_puts(b, ",\"timeZone\":");
	booking_buf_json_str(b, hub_time_zone());
	booking_buf_puts(b, "},\"end\":{\"dateTime\":");
	booking_buf_json_time(b, r->slot_end);
	booking_buf_puts(b, ",\"timeZone\":");
	booking_buf_json_str(b, hub_time_zone());
	booking_buf_puts(b, "}");
	if (color && *color) {
		booking_buf_puts(b, ",\"colorId\":");
		booking_buf_json_str(b, color);
	}
	booking_buf_puts(b, "}");
}

void booking_event_key(int64_t id, char *out)
{
	snprintf(out, 32, "booking-%lld", (long long)id);
}
