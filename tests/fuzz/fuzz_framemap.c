/* fuzz_framemap.c — frame maps and time origins from arbitrary bytes.
 * A map takes records up to the first invalid one; what it took must be
 * what es_frame_map_get() and es_frame_map_number() give back, rising, and
 * nothing past it; stream indices it gives are learned once.  A time origin that parses has nanoseconds below 10^9.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

#include "framemap.h"

static void frame_map(const uint8_t *data, size_t size)
{
    es_frame_map *m = es_frame_map_new_empty();
    GError *err = NULL;
    bool ok = es_frame_map_feed(m, data, size - size % ES_FRAMEMAP_RECORD, &err);
    if (ok == (err != NULL))
        abort();
    g_clear_error(&err);
    uint32_t n = 0, last = 0;
    es_frame_ref r;
    while (es_frame_map_get(m, n + 1, &r, NULL)) {
        n++;
        if (r.number <= last || r.prev_nsecs >= 1000000000u || es_frame_map_number(m, n) != r.number)
            abort();
        last = r.number;
        /* a stream's index is learned once, from the record it was first seen in */
        uint32_t local = r.prev_nsecs % 64;
        es_frame_ref fresh = r;
        fresh.streams_elsewhere[ES_STREAM_TCP]++;
        uint32_t original = es_frame_map_stream(m, ES_STREAM_TCP, local, &r);
        if (es_frame_map_stream(m, ES_STREAM_TCP, local, &fresh) != original)
            abort();
    }
    if (ok && n != size / ES_FRAMEMAP_RECORD)
        abort();
    if (es_frame_map_number(m, n + 1) != 0 || es_frame_map_get(m, n + 1, &r, NULL))
        abort();
    es_frame_map_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (data[0] & 1) {
        frame_map(data + 1, size - 1);
        return 0;
    }
    char *text = g_strndup((const char *)data + 1, size - 1);
    int64_t secs;
    int32_t ns;
    if (es_time_origin_parse(text, &secs, &ns) && (secs < 0 || ns < 0 || ns >= 1000000000))
        abort();
    g_free(text);
    return 0;
}
