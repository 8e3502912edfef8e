/*
 * analytics_schema.c - the rollups the figures are read from.
 *
 * Three tables of counts per slot start (UTC seconds, so no time zone
 * arithmetic happens in SQL; the local day, weekday, time and ISO week
 * of a slot are computed in C when reading):
 *
 *   analytics_slot        (slot_start, category)
 *   analytics_consultant  (slot_start, consultant_id)  0 = none assigned
 *   analytics_booker      (slot_start, booked_by)
 *
 * each with bookings, appeared, no_show, cancelled and lead_s (the sum of
 * slot start minus booking time). A few thousand slot starts a year keep
 * a year's figures to thousands of rows however many bookings there are.
 *
 * Triggers on booking_bookings keep them: every insert, delete and change
 * of the columns that count (slot, category, consultant, booker, booking
 * time, status, outcome) adds the new row's contribution and takes the
 * old one's away in the same statement, so the rollups are right inside
 * the transaction that changed a booking, whoever wrote it (the API, the
 * outcome sync, the import). The migration fills them from the bookings
 * already there. A later booking migration that rebuilds booking_bookings
 * must recreate these triggers (migration of this module).
 */
#include "analytics.h"

/* ------------------------------------------------------------- pieces */

#define AN_COUNT_COLS                                                          \
	" bookings INTEGER NOT NULL DEFAULT 0,"                                \
	" appeared INTEGER NOT NULL DEFAULT 0,"                                \
	" no_show INTEGER NOT NULL DEFAULT 0,"                                 \
	" cancelled INTEGER NOT NULL DEFAULT 0,"                               \
	" lead_s INTEGER NOT NULL DEFAULT 0,"

/* The tables; X is " WITHOUT ROWID" on SQLite (each table is then its
 * primary key's b-tree: a range of slots is one contiguous read and an
 * upsert touches one b-tree) and "" on PostgreSQL. */
#define AN_TABLES(X)                                                           \
	"CREATE TABLE analytics_slot ("                                        \
	" slot_start INTEGER NOT NULL,"                                        \
	" category TEXT NOT NULL," AN_COUNT_COLS                               \
	" PRIMARY KEY (slot_start, category))" X ";"                           \
	"CREATE TABLE analytics_consultant ("                                  \
	" slot_start INTEGER NOT NULL,"                                        \
	" consultant_id INTEGER NOT NULL," AN_COUNT_COLS                       \
	" PRIMARY KEY (slot_start, consultant_id))" X ";"                      \
	"CREATE TABLE analytics_booker ("                                      \
	" slot_start INTEGER NOT NULL,"                                        \
	" booked_by TEXT NOT NULL," AN_COUNT_COLS                              \
	" PRIMARY KEY (slot_start, booked_by))" X ";"

/* 1 when booking row R (NEW or OLD) counts as appeared, no_show,
 * cancelled; else 0. */
#define AN_APPEARED(R)                                                         \
	"CASE WHEN " R ".status <> 'cancelled' AND " R ".outcome <> "          \
	"'cancelled' AND " R ".outcome = 'appeared' THEN 1 ELSE 0 END"
#define AN_NOSHOW(R)                                                           \
	"CASE WHEN " R ".status <> 'cancelled' AND " R ".outcome <> "          \
	"'cancelled' AND " R ".outcome = 'no_show' THEN 1 ELSE 0 END"
#define AN_CANCELLED(R)                                                        \
	"CASE WHEN " R ".status = 'cancelled' OR " R ".outcome = "             \
	"'cancelled' THEN 1 ELSE 0 END"

/* What an outcome or status change alone moves (OLD to NEW). */
#define AN_DELTA                                                                         \
	"0, (" AN_APPEARED("NEW") ") - (" AN_APPEARED("OLD") "), (" AN_NOSHOW(           \
	    "NEW") ") - (" AN_NOSHOW("OLD") "), (" AN_CANCELLED("NEW") ") - "            \
								       "(" AN_CANCELLED( \
									   "O"           \
									   "L"           \
									   "D") "), 0"

/* The counts of one booking row R (NEW or OLD) times sign S ("1"/"-1"). */
#define AN_VALUES(R, S)                                                        \
	S ", " S " * (" AN_APPEARED(R) "), " S " * (" AN_NOSHOW(               \
	    R) "), " S " * (" AN_CANCELLED(R) "), " S " * (" R                 \
					      ".slot_start - " R               \
					      ".created_at)"

#define AN_SET(T)                                                              \
	" DO UPDATE SET bookings = " T ".bookings + excluded.bookings,"        \
	" appeared = " T ".appeared + excluded.appeared,"                      \
	" no_show = " T ".no_show + excluded.no_show,"                         \
	" cancelled = " T ".cancelled + excluded.cancelled,"                   \
	" lead_s = " T ".lead_s + excluded.lead_s;"

/* The three upserts of values V for the keys of booking row R. */
#define AN_UPSERTS_V(R, V)                                                     \
	" INSERT INTO analytics_slot (slot_start, category, bookings,"         \
	" appeared, no_show, cancelled, lead_s) VALUES (" R ".slot_start, " R  \
	".category, " V ") ON CONFLICT (slot_start, category)" AN_SET(         \
	    "analytics_slot") " INSERT INTO analytics_consultant "             \
			      "(slot_start, consultant_id,"                    \
			      " bookings, appeared, no_show, cancelled, "      \
			      "lead_s) VALUES (" R ".slot_start, COALESCE(" R  \
			      ".consultant_id, 0), " V                         \
			      ") ON CONFLICT (slot_start, "                    \
			      "consultant_id)" AN_SET(                         \
				  "analytics_consultant") " INSERT INTO "      \
							  "analytics_booker "  \
							  "(slot_start, "      \
							  "booked_by, "        \
							  "bookings,"          \
							  " appeared, "        \
							  "no_show, "          \
							  "cancelled, "        \
							  "lead_s) VALUES (" R \
							  ".slot_start, " R    \
							  ".booked_by, " V     \
							  ") ON CONFLICT "     \
							  "(slot_start, "      \
							  "booked_by)" AN_SET( \
							      "analytics_"     \
							      "booker")
#define AN_UPSERTS(R, S) AN_UPSERTS_V(R, AN_VALUES(R, S))

/* The keys of a booking row did not change (SQLite; NULL-safe). */
#define AN_SAME_KEYS_SQ                                                        \
	"OLD.slot_start IS NEW.slot_start AND OLD.category IS NEW.category"    \
	" AND OLD.consultant_id IS NEW.consultant_id AND OLD.booked_by IS "    \
	"NEW.booked_by AND OLD.created_at IS NEW.created_at"
#define AN_SAME_KEYS_PG                                                        \
	"OLD.slot_start = NEW.slot_start AND OLD.category = NEW.category AND " \
	"OLD.consultant_id IS NOT DISTINCT FROM NEW.consultant_id AND "        \
	"OLD.booked_by = NEW.booked_by AND OLD.created_at = NEW.created_at"

#define AN_SUMS                                                                \
	" COUNT(*), SUM(CASE WHEN status <> 'cancelled' AND outcome <> "       \
	"'cancelled' AND outcome = 'appeared' THEN 1 ELSE 0 END),"             \
	" SUM(CASE WHEN status <> 'cancelled' AND outcome <> 'cancelled' AND " \
	"outcome = 'no_show' THEN 1 ELSE 0 END),"                              \
	" SUM(CASE WHEN status = 'cancelled' OR outcome = 'cancelled' THEN 1 " \
	"ELSE 0 END), SUM(slot_start - created_at)"

/* Fills the rollups from the bookings already there. */
#define AN_BACKFILL                                                            \
	"INSERT INTO analytics_slot (slot_start, category, bookings,"          \
	" appeared, no_show, cancelled, lead_s) SELECT slot_start, "           \
	"category," AN_SUMS                                                    \
	" FROM booking_bookings GROUP BY slot_start, category;"                \
	"INSERT INTO analytics_consultant (slot_start, consultant_id,"         \
	" bookings, appeared, no_show, cancelled, lead_s) SELECT slot_start,"  \
	" COALESCE(consultant_id, 0)," AN_SUMS " FROM booking_bookings"        \
	" GROUP BY slot_start, COALESCE(consultant_id, 0);"                    \
	"INSERT INTO analytics_booker (slot_start, booked_by, bookings,"       \
	" appeared, no_show, cancelled, lead_s) SELECT slot_start, "           \
	"booked_by," AN_SUMS                                                   \
	" FROM booking_bookings GROUP BY slot_start, booked_by;"

#define AN_WATCHED                                                             \
	"slot_start, category, consultant_id, booked_by, created_at, status, " \
	"outcome"

/* ========================================================== migrations */

/* Updates: a change of a key moves the booking's counts from the old
 * keys to the new (subtract, add); a change of status or outcome alone
 * (the common case: outcomes, cancellations) adds the difference once;
 * anything else (a description, a note) costs nothing. */
static const char mig1_sqlite[] = AN_TABLES(" WITHOUT ROWID") AN_BACKFILL
    "CREATE TRIGGER analytics_roll_ins AFTER INSERT ON booking_bookings"
    " BEGIN" AN_UPSERTS(
	"NEW",
	"1") " END;"
	     "CREATE TRIGGER analytics_roll_del AFTER DELETE ON "
	     "booking_bookings"
	     " BEGIN" AN_UPSERTS(
		 "OLD",
		 "-1") " END;"
		       "CREATE TRIGGER analytics_roll_move AFTER UPDATE "
		       "OF " AN_WATCHED
		       " ON booking_bookings WHEN NOT (" AN_SAME_KEYS_SQ
		       ") BEGIN" AN_UPSERTS("OLD", "-1") AN_UPSERTS(
			   "NEW",
			   "1") " END;"
				"CREATE TRIGGER analytics_roll_outcome AFTER "
				"UPDATE OF status, outcome"
				" ON booking_bookings WHEN " AN_SAME_KEYS_SQ
				" AND (OLD.status IS NOT NEW.status OR "
				"OLD.outcome IS NOT NEW.outcome)"
				" BEGIN" AN_UPSERTS_V("NEW", AN_DELTA) " END;";

static const char mig1_pg[] = AN_TABLES("") AN_BACKFILL
    "CREATE FUNCTION analytics_roll() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " IF TG_OP = 'UPDATE' AND " AN_SAME_KEYS_PG " THEN"
    "  IF OLD.status IS DISTINCT FROM NEW.status OR OLD.outcome IS DISTINCT"
    "  FROM NEW.outcome THEN" AN_UPSERTS_V(
	"NEW",
	AN_DELTA) " END IF;"
		  "  RETURN NULL;"
		  " END IF;"
		  " IF TG_OP <> 'INSERT' THEN" AN_UPSERTS(
		      "OLD",
		      "-1") " END IF;"
			    " IF TG_OP <> 'DELETE' THEN" AN_UPSERTS(
				"NEW",
				"1") " END IF;"
				     " RETURN NULL; END $$;"
				     "CREATE TRIGGER analytics_roll_ins AFTER "
				     "INSERT OR DELETE ON "
				     "booking_bookings FOR EACH ROW EXECUTE "
				     "FUNCTION analytics_roll();"
				     "CREATE TRIGGER analytics_roll_upd AFTER "
				     "UPDATE OF " AN_WATCHED
				     " ON booking_bookings FOR EACH ROW "
				     "EXECUTE FUNCTION analytics_roll();";

int an_schema_register(hub_ctx *ctx)
{
	return an_api->migration(ctx, 1, mig1_sqlite, mig1_pg);
}
