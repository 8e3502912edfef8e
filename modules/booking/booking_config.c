/*
 * booking_config.c - the module's settings, from text to booking_config:
 * consultants in the old system's "Name:calendar_id,..." format, weekly
 * plans, colour maps, and every number docs/DOMAIN.md gives a default for.
 *
 * Nothing here talks to the host: values are read through a callback, so
 * the same code runs in module init and in unit tests.
 */
#include "booking.h"
#include "hub_kit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[] = {"pending", "appeared", "no_show",
					    "cancelled", NULL};

int booking_outcome_valid(const char *s)
{
	for (int i = 0; s && outcome_names[i]; i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return 1;
	return 0;
}

/* ========================================================= colour maps */

/* Copies the trimmed token s[0..n) into out; -1 when empty or too long. */
static int token(const char *s, size_t n, char *out, size_t outlen)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, s, n);
	out[n] = 0;
	return 0;
}

static int is_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int is_color(const char *s)
{
	long long v;
	return hubkit_parse_int(s, 1, 63, &v) == 0 && s[0] != '0' &&
	       s[0] != '+';
}

/* Parses "a=b, c=d" into pairs; `name_first` says which side is the name.
 * Names must be words; colours 1..63. */
static int parse_map(const char *text, booking_colormap *m, int name_first,
		     char *err, size_t errlen)
{
	const char *p = text ? text : "";

	memset(m, 0, sizeof(*m));
	while (*p) {
		size_t n = strcspn(p, ",;");
		const char *eq = memchr(p, '=', n);
		char a[32], b[32];
		char *name = name_first ? a : b, *color = name_first ? b : a;

		if (n == 0 || strspn(p, " \t") == n) {
			p += n + (p[n] ? 1 : 0);
			continue;
		}
		if (!eq || token(p, (size_t)(eq - p), a, sizeof(a)) != 0 ||
		    token(eq + 1, n - (size_t)(eq - p) - 1, b, sizeof(b)) !=
			0) {
			snprintf(
			    err, errlen, "expected '%s' at '%.20s'",
			    name_first ? "name=colorId" : "colorId=outcome", p);
			return -1;
		}
		if (!is_word(name) || !is_color(color)) {
			snprintf(err, errlen, "bad entry '%s=%s'", a, b);
			return -1;
		}
		if (m->n == BOOKING_MAX_COLORMAP) {
			snprintf(err, errlen, "more than %d entries",
				 BOOKING_MAX_COLORMAP);
			return -1;
		}
		snprintf(m->e[m->n].name, sizeof(m->e[0].name), "%s", name);
		snprintf(m->e[m->n].color, sizeof(m->e[0].color), "%.7s",
			 color);
		m->n++;
		p += n + (p[n] ? 1 : 0);
	}
	return 0;
}

int booking_categories_parse(const char *text, booking_colormap *m, char *err,
			     size_t errlen)
{
	if (parse_map(text, m, 1, err, errlen) != 0)
		return -1;
	for (int i = 0; i < m->n; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(m->e[i].name, m->e[j].name) == 0) {
				snprintf(err, errlen, "category '%s' twice",
					 m->e[i].name);
				return -1;
			}
	if (m->n == 0) {
		snprintf(err, errlen, "at least one category is needed");
		return -1;
	}
	return 0;
}

int booking_outcomes_parse(const char *text, booking_colormap *m, char *err,
			   size_t errlen)
{
	if (parse_map(text, m, 0, err, errlen) != 0)
		return -1;
	for (int i = 0; i < m->n; i++) {
		if (!booking_outcome_valid(m->e[i].name)) {
			snprintf(err, errlen,
				 "'%s' is not an outcome (pending, appeared, "
				 "no_show, cancelled)",
				 m->e[i].name);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(m->e[i].color, m->e[j].color) == 0) {
				snprintf(err, errlen, "colorId %s twice",
					 m->e[i].color);
				return -1;
			}
	}
	return 0;
}

const char *booking_category_color(const booking_colormap *m, const char *name)
{
	for (int i = 0; name && i < m->n; i++)
		if (strcmp(m->e[i].name, name) == 0)
			return m->e[i].color;
	return NULL;
}

const char *booking_outcome_of_color(const booking_colormap *m,
				     const char *color)
{
	for (int i = 0; color && i < m->n; i++)
		if (strcmp(m->e[i].color, color) == 0)
			return m->e[i].name;
	return "pending";
}

const char *booking_color_for_outcome(const booking_colormap *m,
				      const char *outcome,
				      const char *cat_color)
{
	if (strcmp(outcome, "pending") == 0 ||
	    strcmp(booking_outcome_of_color(m, cat_color), outcome) == 0)
		return cat_color;
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, outcome) == 0)
			return m->e[i].color;
	return cat_color;
}

/* ========================================================= consultants */

int booking_consultants_parse(const char *text, booking_consultant_cfg **out,
			      int *n, char *err, size_t errlen)
{
	const char *p = text ? text : "";
	booking_consultant_cfg *v = NULL;
	int cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ","), nl;
		const char *colon = memchr(p, ':', len);
		booking_consultant_cfg c;

		memset(&c, 0, sizeof(c));
		if (strspn(p, " \t") == len) {
			p += len + (p[len] ? 1 : 0);
			continue;
		}
		nl = colon ? (size_t)(colon - p) : len;
		if (token(p, nl, c.name, sizeof(c.name)) != 0 ||
		    !hubkit_utf8_valid(c.name, strlen(c.name))) {
			snprintf(err, errlen,
				 "entry %d: empty, overlong or invalid name",
				 cnt + 1);
			goto fail;
		}
		if (colon) {
			const char *r = colon + 1;
			size_t rl = len - nl - 1;
			while (rl > 0 && isspace((unsigned char)*r)) {
				r++;
				rl--;
			}
			while (rl > 0 && isspace((unsigned char)r[rl - 1]))
				rl--;
			if (rl >= sizeof(c.calendar_id)) {
				snprintf(err, errlen,
					 "entry %d: overlong calendar id",
					 cnt + 1);
				goto fail;
			}
			memcpy(c.calendar_id, r, rl);
			c.calendar_id[rl] = 0;
		}
		for (int i = 0; i < cnt; i++)
			if (strcmp(v[i].name, c.name) == 0) {
				snprintf(err, errlen, "consultant '%s' twice",
					 c.name);
				goto fail;
			}
		if (cnt == cap) {
			int ncap = cap ? cap * 2 : 8;
			booking_consultant_cfg *nv =
			    realloc(v, sizeof(*v) * (size_t)ncap);
			if (!nv) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = c;
		p += len + (p[len] ? 1 : 0);
	}
	*out = v;
	*n = cnt;
	return 0;
fail:
	free(v);
	return -1;
}

int booking_plans_parse(const char *text, booking_plan_cfg **out, int *n,
			char *err, size_t errlen)
{
	const char *p = text ? text : "";
	booking_plan_cfg *v = NULL;
	int cnt = 0;

	*out = NULL;
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ";");
		const char *colon = memchr(p, ':', len);
		char body[512], perr[160];
		booking_plan_cfg *nv;

		if (strspn(p, " \t") == len) {
			p += len + (p[len] ? 1 : 0);
			continue;
		}
		nv = realloc(v, sizeof(*v) * (size_t)(cnt + 1));
		if (!nv) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		v = nv;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		if (!colon || token(p, (size_t)(colon - p), v[cnt].name,
				    sizeof(v[cnt].name)) != 0) {
			snprintf(err, errlen,
				 "entry %d: expected 'Name: mon-thu "
				 "09:00-22:00, ...'",
				 cnt + 1);
			goto fail;
		}
		if (len - (size_t)(colon - p) - 1 >= sizeof(body)) {
			snprintf(err, errlen, "entry %d: too long", cnt + 1);
			goto fail;
		}
		memcpy(body, colon + 1, len - (size_t)(colon - p) - 1);
		body[len - (size_t)(colon - p) - 1] = 0;
		if (booking_plan_parse(body, &v[cnt].plan, perr,
				       sizeof(perr)) != 0) {
			snprintf(err, errlen, "plan of '%s': %s", v[cnt].name,
				 perr);
			goto fail;
		}
		cnt++;
		p += len + (p[len] ? 1 : 0);
	}
	*out = v;
	*n = cnt;
	return 0;
fail:
	free(v);
	return -1;
}

/* ============================================================ loading */

/* Reads integer setting `key` in [lo, hi] with default def. */
static int get_int(booking_setting_fn get, void *ud, const char *key,
		   long long lo, long long hi, long long def, int *out,
		   char *err, size_t errlen)
{
	const char *s = get(ud, key);
	long long v = def;
	if (s && *s && hubkit_parse_int(s, lo, hi, &v) != 0) {
		snprintf(err, errlen,
			 "setting '%s': '%.32s' is not a number "
			 "%lld..%lld",
			 key, s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* The value of `key`, or def when unset. */
static const char *get_str(booking_setting_fn get, void *ud, const char *key,
			   const char *def)
{
	const char *s = get(ud, key);
	return s ? s : def;
}

/* The numeric settings. Returns 0, or -1 with a message in err. */
static int load_numbers(booking_config *cfg, booking_setting_fn get, void *ud,
			char *err, size_t errlen)
{
	int rc = get_int(get, ud, "slot_minutes", 5, 1440, 120,
			 &cfg->slot_minutes, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "horizon_days", 1, 3660, 56,
			     &cfg->horizon_days, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "min_notice_min", 0, 525600, 0,
			     &cfg->min_notice_min, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "capacity_per_consultant", 0, 1000, 3,
			     &cfg->capacity_default, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "outcome_sync_days", 1, 366, 14,
			     &cfg->sync_days, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "slots_cache_s", 0, 3600, 5,
			     &cfg->slots_cache_s, err, errlen);
	if (rc == 0)
		rc = get_int(get, ud, "idempotency_ttl_h", 1, 24 * 365, 24,
			     &cfg->idem_ttl_h, err, errlen);
	return rc;
}

/* The rules of the calendar: grid, capacity overrides, marker and
 * colours. *key names the setting being read; returns 0, or -1 with the
 * reason in why. */
static int load_rules(booking_config *cfg, booking_setting_fn get, void *ud,
		      const char **key, char *why, size_t whylen)
{
	*key = "grid";
	int rc =
	    booking_grid_parse(get_str(get, ud, *key, BOOKING_DEFAULT_GRID),
			       &cfg->grid, why, whylen);
	if (rc == 0) {
		*key = "capacity_overrides";
		rc = booking_capacity_parse(
		    get_str(get, ud, *key, BOOKING_DEFAULT_OVERRIDES),
		    &cfg->overrides, why, whylen);
	}
	if (rc == 0) {
		*key = "marker_pattern";
		rc = booking_marker_parse(
		    get_str(get, ud, *key, BOOKING_DEFAULT_MARKER),
		    &cfg->marker, why, whylen);
	}
	if (rc == 0) {
		*key = "non_blocking_colors";
		rc = booking_colors_parse(
		    get_str(get, ud, *key, BOOKING_DEFAULT_NON_BLOCKING),
		    &cfg->non_blocking, why, whylen);
	}
	if (rc == 0) {
		*key = "category_colors";
		rc = booking_categories_parse(
		    get_str(get, ud, *key, BOOKING_DEFAULT_CATEGORIES),
		    &cfg->categories, why, whylen);
	}
	if (rc == 0) {
		*key = "outcome_colors";
		rc = booking_outcomes_parse(
		    get_str(get, ud, *key, BOOKING_DEFAULT_OUTCOMES),
		    &cfg->outcomes, why, whylen);
	}
	return rc;
}

/* The state's holidays and the central calendar. As load_rules. */
static int load_place(booking_config *cfg, booking_setting_fn get, void *ud,
		      const char **key, char *why, size_t whylen)
{
	const char *s;
	*key = "state";
	s = get_str(get, ud, *key, "NW");
	if (!booking_state_valid(s)) {
		snprintf(why, whylen,
			 "'%.8s' is not a German state code (BW BY BE "
			 "BB HB HH HE MV NI NW RP SL SN ST SH TH)",
			 s);
		return -1;
	}
	snprintf(cfg->state, sizeof(cfg->state), "%s", s);
	*key = "central_calendar_id";
	s = get_str(get, ud, *key, "");
	if (strlen(s) >= sizeof(cfg->central_calendar)) {
		snprintf(why, whylen, "too long");
		return -1;
	}
	snprintf(cfg->central_calendar, sizeof(cfg->central_calendar), "%s", s);
	return 0;
}

/* The consultants and their weekly plans. As load_rules. */
static int load_people(booking_config *cfg, booking_setting_fn get, void *ud,
		       const char **key, char *why, size_t whylen)
{
	*key = "consultants";
	int rc = booking_consultants_parse(get_str(get, ud, *key, ""),
					   &cfg->consultants,
					   &cfg->nconsultants, why, whylen);
	if (rc == 0) {
		*key = "plans";
		rc =
		    booking_plans_parse(get_str(get, ud, *key, ""), &cfg->plans,
					&cfg->nplans, why, whylen);
	}
	return rc;
}

int booking_config_load(booking_config *cfg, booking_setting_fn get, void *ud,
			char *err, size_t errlen)
{
	char why[200];
	const char *key = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	why[0] = 0;
	rc = load_numbers(cfg, get, ud, err, errlen);
	if (rc == 0) {
		rc = load_rules(cfg, get, ud, &key, why, sizeof(why));
		if (rc == 0)
			rc = load_place(cfg, get, ud, &key, why, sizeof(why));
		if (rc == 0)
			rc = load_people(cfg, get, ud, &key, why, sizeof(why));
		if (rc != 0)
			snprintf(err, errlen, "setting '%s': %s", key, why);
	}
	if (rc != 0)
		booking_config_free(cfg);
	return rc;
}

int booking_config_add_plan(booking_config *cfg, const char *name,
			    const char *text, char *err, size_t errlen)
{
	booking_plan plan;
	booking_plan_cfg *nv;

	if (!name || !*name || strlen(name) >= BOOKING_NAME_MAX) {
		snprintf(err, errlen, "bad consultant name in plan key");
		return -1;
	}
	if (booking_plan_parse(text, &plan, err, errlen) != 0)
		return -1;
	for (int i = 0; i < cfg->nplans; i++)
		if (strcmp(cfg->plans[i].name, name) == 0) {
			cfg->plans[i].plan = plan;
			return 0;
		}
	nv = realloc(cfg->plans, sizeof(*nv) * (size_t)(cfg->nplans + 1));
	if (!nv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->plans = nv;
	memset(&nv[cfg->nplans], 0, sizeof(nv[0]));
	snprintf(nv[cfg->nplans].name, sizeof(nv[0].name), "%s", name);
	nv[cfg->nplans].plan = plan;
	cfg->nplans++;
	return 0;
}

int booking_config_add_consultant(booking_config *cfg, const char *name,
				  const char *calendar_id, char *err,
				  size_t errlen)
{
	booking_consultant_cfg *nv;
	const char *id = calendar_id ? calendar_id : "";

	while (*id == ' ' || *id == '\t')
		id++;
	if (!name || !*name || strlen(name) >= BOOKING_NAME_MAX ||
	    !hubkit_utf8_valid(name, strlen(name)) || strchr(name, ',') ||
	    strchr(name, ':')) {
		snprintf(err, errlen, "bad consultant name");
		return -1;
	}
	if (strlen(id) >= BOOKING_CALID_MAX) {
		snprintf(err, errlen, "overlong calendar id");
		return -1;
	}
	for (int i = 0; i < cfg->nconsultants; i++)
		if (strcmp(cfg->consultants[i].name, name) == 0) {
			snprintf(err, errlen, "consultant '%s' twice", name);
			return -1;
		}
	nv = realloc(cfg->consultants,
		     sizeof(*nv) * (size_t)(cfg->nconsultants + 1));
	if (!nv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->consultants = nv;
	memset(&nv[cfg->nconsultants], 0, sizeof(nv[0]));
	snprintf(nv[cfg->nconsultants].name, sizeof(nv[0].name), "%s", name);
	snprintf(nv[cfg->nconsultants].calendar_id, sizeof(nv[0].calendar_id),
		 "%s", id);
	cfg->nconsultants++;
	return 0;
}

const booking_plan *booking_config_plan(const booking_config *cfg,
					const char *name)
{
	for (int i = 0; name && i < cfg->nplans; i++)
		if (strcmp(cfg->plans[i].name, name) == 0)
			return &cfg->plans[i].plan;
	return NULL;
}

void booking_config_free(booking_config *cfg)
{
	free(cfg->consultants);
	free(cfg->plans);
	cfg->consultants = NULL;
	cfg->plans = NULL;
	cfg->nconsultants = cfg->nplans = 0;
}
