/* timefmt.c — RFC 3339 time text, UTC, nanoseconds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "timefmt.h"

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
    char *p = out + cached_len;
    *p++ = '.';
    int ns = t->nsecs;
    for (int i = 8; i >= 0; i--) {
        p[i] = (char)('0' + ns % 10);
        ns /= 10;
    }
    p[9] = 'Z';
    p[10] = '\0';
    return cached_len + 11;
}
