/* timefmt.c — RFC 3339 time text, UTC, nanoseconds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

size_t es_rfc3339(char *out, size_t outlen, const nstime_t *t)
{
    /* Frames arrive in time order: format each second once. */
    static __thread time_t cached_secs = (time_t)-1;
    static __thread char cached[24];
    static __thread size_t cached_len;

    if (t->nsecs < 0 || t->nsecs >= 1000000000 || outlen < 32)
        return 0;
    if (t->secs != cached_secs) {
        struct tm tm;
        time_t secs = t->secs;
        if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
            return 0;
        cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!cached_len)
            return 0;
        cached_secs = t->secs;
    }
    memcpy(out, cached, cached_len);
    int n = snprintf(out + cached_len, outlen - cached_len, ".%09dZ", t->nsecs);
    return cached_len + (size_t)n;
}
