/* timerange.h — the times esdump reads: time-range bounds typed by a user,
 * and the @timestamp of documents.
 *
 * Times are nanoseconds since 1970 (UTC) in an int64_t.  Plain C + glib.
 *
 *   int64_t from;
 *   char *err = NULL;
 *   if (!esd_time_parse("last 15 minutes", esd_time_now(), &from, &err)) ...
 *   char *text = esd_time_format(from);      // "2024-01-31T10:15:00.000000000Z", g_free()
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_TIMERANGE_H
#define ESD_TIMERANGE_H

#include <stdbool.h>
#include <stdint.h>

int64_t esd_time_now(void);

/* The years a date may have: those whose every instant an int64_t of
 * nanoseconds holds. */
#define ESD_TIME_YEAR_MIN 1678
#define ESD_TIME_YEAR_MAX 2261

/* A bound: "now"; "last 15 minutes" or "15 minutes ago" (units s, m, h, d,
 * w and their words); "now-15m"; RFC 3339 ("2024-01-31T10:00:00Z", an
 * offset, up to 9 fraction digits); "2024-01-31 10:00[:00[.frac]]" in local
 * time; or seconds since 1970 (what Wireshark's timestamp options pass).
 * Dates from ESD_TIME_YEAR_MIN to ESD_TIME_YEAR_MAX.
 * False with *error (g_free) naming what was not understood. */
bool esd_time_parse(const char *text, int64_t now_ns, int64_t *out_ns, char **error);

/* RFC 3339 with an offset or Z, exactly (no local time): @timestamp. */
bool esd_time_rfc3339(const char *text, int64_t *out_ns);

/* RFC 3339 UTC with nine fraction digits; g_free(). */
char *esd_time_format(int64_t ns);

#endif
