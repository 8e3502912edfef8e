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

#define AN_TABLES                                                              \
	"CREATE TABLE analytics_slot ("                                        \
	" slot_start INTEGER NOT NULL,"                                        \
	" category TEXT NOT NULL," AN_COUNT_COLS                               \
	" PRIMARY KEY (slot_start, category));"                                \
	"CREATE TABLE analytics_consultant ("                                  \
	" slot_start INTEGER NOT NULL,"                                        \
	" consultant_id INTEGER NOT NULL," AN_COUNT_COLS                       \
	" PRIMARY KEY (slot_start, consultant_id));"                           \
	"CREATE TABLE analytics_booker ("                                      \
	" slot_start INTEGER NOT NULL,"                                        \
	" booked_by TEXT NOT NULL," AN_COUNT_COLS                              \
	" PRIMARY KEY (slot_start, booked_by));"

/* The counts of one booking row R (NEW or OLD) times sign S ("1"/"-1"). */
#define AN_VALUES(R, S)                                                        \
	S ", CASE WHEN " R ".status <> 'cancelled' AND " R ".outcome <> "      \
	  "'cancelled' AND " R ".outcome = 'appeared' THEN " S " ELSE 0 END,"  \
	  " CASE WHEN " R ".status <> 'cancelled' AND " R ".outcome <> "       \
	  "'cancelled' AND " R ".outcome = 'no_show' THEN " S " ELSE 0 END,"   \
	  " CASE WHEN " R ".status = 'cancelled' OR " R ".outcome = "          \
	  "'cancelled' THEN " S " ELSE 0 END, " S " * (" R ".slot_start - " R  \
	  ".created_at)"

#define AN_SET(T)                                                              \
	" DO UPDATE SET bookings = " T ".bookings + excluded.bookings,"        \
	" appeared = " T ".appeared + excluded.appeared,"                      \
	" no_show = " T ".no_show + excluded.no_show,"                         \
	" cancelled = " T ".cancelled + excluded.cancelled,"                   \
	" lead_s = " T ".lead_s + excluded.lead_s;"

/* The three upserts for booking row R with sign S. */
#define AN_UPSERTS(R, S)                                                                                                                                   \
	" INSERT INTO analytics_slot (slot_start, category, bookings,"                                                                                     \
	" appeared, no_show, cancelled, lead_s) VALUES (" R ".slot_start, " R ".category, " AN_VALUES(R, S) ") ON CONFLICT (slot_start, category)" AN_SET( \
	    "analytics_slot") " INSERT INTO analytics_consultant "                                                                                         \
			      "(slot_start, consultant_id,"                                                                                                \
			      " bookings, appeared, no_show, cancelled, "                                                                                  \
			      "lead_s) VALUES (" R ".slot_start, COALESCE(" R                                                                              \
			      ".consultant_id, 0), " AN_VALUES(                                                                                            \
				  R,                                                                                                                       \
				  S) ") ON CONFLICT (slot_start, "                                                                                         \
				     "consultant_id)" AN_SET("analytics_"                                                                                  \
							     "consultant") " "                                                                             \
									   "I"                                                                             \
									   "N"                                                                             \
									   "S"                                                                             \
									   "E"                                                                             \
									   "R"                                                                             \
									   "T"                                                                             \
									   " "                                                                             \
									   "I"                                                                             \
									   "N"                                                                             \
									   "T"                                                                             \
									   "O"                                                                             \
									   " "                                                                             \
									   "a"                                                                             \
									   "n"                                                                             \
									   "a"                                                                             \
									   "l"                                                                             \
									   "y"                                                                             \
									   "t"                                                                             \
									   "i"                                                                             \
									   "c"                                                                             \
									   "s"                                                                             \
									   "_"                                                                             \
									   "b"                                                                             \
									   "o"                                                                             \
									   "o"                                                                             \
									   "k"                                                                             \
									   "e"                                                                             \
									   "r"                                                                             \
									   " "                                                                             \
									   "("                                                                             \
									   "s"                                                                             \
									   "l"                                                                             \
									   "o"                                                                             \
									   "t"                                                                             \
									   "_"                                                                             \
									   "s"                                                                             \
									   "t"                                                                             \
									   "a"                                                                             \
									   "r"                                                                             \
									   "t"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "b"                                                                             \
									   "o"                                                                             \
									   "o"                                                                             \
									   "k"                                                                             \
									   "e"                                                                             \
									   "d"                                                                             \
									   "_"                                                                             \
									   "b"                                                                             \
									   "y"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "b"                                                                             \
									   "o"                                                                             \
									   "o"                                                                             \
									   "k"                                                                             \
									   "i"                                                                             \
									   "n"                                                                             \
									   "g"                                                                             \
									   "s"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "a"                                                                             \
									   "p"                                                                             \
									   "p"                                                                             \
									   "e"                                                                             \
									   "a"                                                                             \
									   "r"                                                                             \
									   "e"                                                                             \
									   "d"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "n"                                                                             \
									   "o"                                                                             \
									   "_"                                                                             \
									   "s"                                                                             \
									   "h"                                                                             \
									   "o"                                                                             \
									   "w"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "c"                                                                             \
									   "a"                                                                             \
									   "n"                                                                             \
									   "c"                                                                             \
									   "e"                                                                             \
									   "l"                                                                             \
									   "l"                                                                             \
									   "e"                                                                             \
									   "d"                                                                             \
									   ","                                                                             \
									   " "                                                                             \
									   "l"                                                                             \
									   "e"                                                                             \
									   "a"                                                                             \
									   "d"                                                                             \
									   "_"                                                                             \
									   "s"                                                                             \
									   ")"                                                                             \
									   " "                                                                             \
									   "V"                                                                             \
									   "A"                                                                             \
									   "L"                                                                             \
									   "U"                                                                             \
									   "E"                                                                             \
									   "S"                                                                             \
									   " "                                                                             \
									   "(" R                                                                           \
									   "."                                                                             \
									   "s"                                                                             \
									   "l"                                                                             \
									   "o"                                                                             \
									   "t"                                                                             \
									   "_"                                                                             \
									   "s"                                                                             \
									   "t"                                                                             \
									   "a"                                                                             \
									   "r"                                                                             \
									   "t"                                                                             \
									   ","                                                                             \
									   " " R                                                                           \
									   "."                                                                             \
									   "b"                                                                             \
									   "o"                                                                             \
									   "o"                                                                             \
									   "k"                                                                             \
									   "e"                                                                             \
									   "d"                                                                             \
									   "_"                                                                             \
									   "b"                                                                             \
									   "y"                                                                             \
									   ","                                                                             \
									   " " AN_VALUES(R, S) ") ON CONFLICT (slot_start, booked_by)" AN_SET(             \
									       "analytics_booker")

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

static const char mig1_sqlite[] = AN_TABLES AN_BACKFILL
    "CREATE TRIGGER analytics_roll_ins AFTER INSERT ON booking_bookings"
    " BEGIN" AN_UPSERTS(
	"NEW", "1") " END;"
		    "CREATE TRIGGER analytics_roll_del AFTER DELETE ON "
		    "booking_bookings"
		    " BEGIN" AN_UPSERTS(
			"OLD", "-1") " END;"
				     "CREATE TRIGGER analytics_roll_upd AFTER "
				     "UPDATE OF " AN_WATCHED
				     " ON booking_bookings BEGIN" AN_UPSERTS(
					 "OLD", "-1")
					 AN_UPSERTS("NEW", "1") " END;";

static const char mig1_pg[] = AN_TABLES AN_BACKFILL
    "CREATE FUNCTION analytics_roll() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " IF TG_OP <> 'INSERT' THEN" AN_UPSERTS(
	"OLD", "-1") " END IF;"
		     " IF TG_OP <> 'DELETE' THEN" AN_UPSERTS(
			 "NEW", "1") " END IF;"
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
