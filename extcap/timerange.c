/* timerange.c — the times esdump reads.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "timerange.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define NS 1000000000LL

int64_t esd_time_now(void)
{
    return g_get_real_time() * 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!g_ascii_isdigit(**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

typedef struct civil {
    int y, mo, d, h, mi, s;
    int64_t frac_ns;
} civil;

/* "YYYY-MM-DD?HH:MM[:SS[.f]]" where ? is 'T' or ' '; *p left after it. */
static bool parse_civil(const char **p, civil *c)
{
    memset(c, 0, sizeof *c);
    if (!digits(p, 4, &c->y) || *(*p)++ != '-' || !digits(p, 2, &c->mo) || *(*p)++ != '-' ||
        !digits(p, 2, &c->d) || (**p != 'T' && **p != 't' && **p != ' '))
        return false;
    (*p)++;
    if (!digits(p, 2, &c->h) || *(*p)++ != ':' || !digits(p, 2, &c->mi))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!digits(p, 2, &c->s))
            return false;
        if (**p == '.' || **p == ',') {
            int64_t scale = NS;
            for ((*p)++; g_ascii_isdigit(**p); (*p)++)
                if (scale > 1) {
                    scale /= 10;
                    c->frac_ns += (**p - '0') * scale;
                }
        }
    }
    /* Nanoseconds since 1970 in an int64_t reach 1677-09-21 to 2262-04-11. */
    return c->y >= ESD_TIME_YEAR_MIN && c->y <= ESD_TIME_YEAR_MAX && c->mo >= 1 && c->mo <= 12 && c->d >= 1 &&
           c->d <= 31 && c->h <= 23 && c->mi <= 59 && c->s <= 60;
}

static int64_t civil_utc_ns(const civil *c)
{
    int64_t days = days_from_civil(c->y, (unsigned)c->mo, (unsigned)c->d);
    return ((days * 24 + c->h) * 60 + c->mi) * 60 * NS + (int64_t)c->s * NS + c->frac_ns;
}

/* "Z", "+HH:MM", "-HHMM": the offset in seconds east of UTC. */
static bool parse_offset(const char *p, int64_t *east_s)
{
    if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
        *east_s = 0;
        return true;
    }
    if (p[0] != '+' && p[0] != '-')
        return false;
    const int sign = *p++ == '-' ? -1 : 1;
    int h, m;
    if (!digits(&p, 2, &h))
        return false;
    if (*p == ':')
        p++;
    if (!digits(&p, 2, &m) || *p)
        return false;
    *east_s = sign * (h * 3600 + m * 60);
    return true;
}

bool esd_time_rfc3339(const char *text, int64_t *out_ns)
{
    civil c;
    int64_t east;
    const char *p = text;
    if (!parse_civil(&p, &c) || !parse_offset(p, &east))
        return false;
    *out_ns = civil_utc_ns(&c) - east * NS;
    return true;
}

static bool parse_local(const char *text, int64_t *out_ns)
{
    civil c;
    const char *p = text;
    if (!parse_civil(&p, &c) || *p)
        return false;
    GTimeZone *tz = g_time_zone_new_local();
    GDateTime *dt = g_date_time_new(tz, c.y, c.mo, c.d, c.h, c.mi, c.s);
    g_time_zone_unref(tz);
    if (!dt)
        return false;
    *out_ns = g_date_time_to_unix(dt) * NS + c.frac_ns;
    g_date_time_unref(dt);
    return true;
}

static int64_t unit_ns(const char *u)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"s", NS},
        {"sec", NS},
        {"second", NS},
        {"m", 60 * NS},
        {"min", 60 * NS},
        {"minute", 60 * NS},
        {"h", 3600 * NS},
        {"hour", 3600 * NS},
        {"d", 86400 * NS},
        {"day", 86400 * NS},
        {"w", 7 * 86400 * NS},
        {"week", 7 * 86400 * NS},
    };
    size_t n = strlen(u);
    if (n > 1 && u[n - 1] == 's' && strcmp(u, "s") != 0)
        n--; /* plural */
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
        if (strlen(units[i].name) == n && g_ascii_strncasecmp(u, units[i].name, n) == 0)
            return units[i].ns;
    return 0;
}

/* "last 15 minutes", "15 minutes ago", "now-15m", "last hour". */
static bool parse_relative(const char *text, int64_t now_ns, int64_t *out_ns)
{
    g_autoptr(GMatchInfo) m = NULL;
    g_autoptr(GRegex) re = g_regex_new("^(?:last\\s+(\\d+)?\\s*([a-z]+)|(\\d+)\\s*([a-z]+)\\s+ago|"
                                       "now\\s*-\\s*(\\d+)\\s*([a-z]+))$",
                                       G_REGEX_CASELESS, 0, NULL);
    if (!g_regex_match(re, text, 0, &m))
        return false;
    for (int g = 1; g <= 5; g += 2) {
        g_autofree char *count = g_match_info_fetch(m, g);
        g_autofree char *unit = g_match_info_fetch(m, g + 1);
        if (!unit || !*unit)
            continue;
        int64_t u = unit_ns(unit);
        int64_t n = count && *count ? g_ascii_strtoll(count, NULL, 10) : 1;
        if (!u || n < 0 || n > INT64_MAX / u)
            return false;
        *out_ns = now_ns - n * u;
        return true;
    }
    return false;
}

static bool parse_epoch(const char *text, int64_t *out_ns)
{
    char *end;
    double s = g_ascii_strtod(text, &end);
    if (end == text || *end || s < 0 || s > 9.2e9)
        return false;
    *out_ns = (int64_t)(s * 1e9);
    return true;
}

bool esd_time_parse(const char *text, int64_t now_ns, int64_t *out_ns, char **error)
{
    g_autofree char *t = g_strstrip(g_strdup(text));
    if (g_ascii_strcasecmp(t, "now") == 0) {
        *out_ns = now_ns;
        return true;
    }
    if (parse_relative(t, now_ns, out_ns) || esd_time_rfc3339(t, out_ns) || parse_local(t, out_ns) ||
        parse_epoch(t, out_ns))
        return true;
    *error = g_strdup_printf("'%s' is not a time: write e.g. 'last 15 minutes', 'now-2h', "
                             "'2024-01-31 10:00:00' (local time), '2024-01-31T10:00:00Z' or seconds since 1970",
                             text);
    return false;
}

char *esd_time_format(int64_t ns)
{
    int64_t secs = ns / NS, frac = ns % NS;
    if (frac < 0) {
        frac += NS;
        secs--;
    }
    GDateTime *dt = g_date_time_new_from_unix_utc(secs);
    if (!dt)
        return g_strdup("1970-01-01T00:00:00.000000000Z");
    char *date = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
    char *out = g_strdup_printf("%s.%09" G_GINT64_FORMAT "Z", date, frac);
    g_free(date);
    g_date_time_unref(dt);
    return out;
}
