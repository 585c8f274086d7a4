/* fuzz_flows.c — the splitter's frame parser (splitter/flows.c) on
 * arbitrary frames.  The input: a link type choice, a Wireshark version
 * choice, then frames, each a 2-byte length and its bytes, given in turn
 * to one es_flows (conversations, reused port pairs and quotes carry from
 * frame to frame).  Every part must be below N.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned links[] = {1, 113, 276, 101, 0, 147};
    static const unsigned minors[] = {0, 4, 6};
    if (size < 2)
        return 0;
    const unsigned n = 3;
    unsigned link = links[data[0] % 6];
    es_flows *f = es_flows_new(n, 4, minors[data[1] % 3]);
    size_t pos = 2;
    while (pos + 2 <= size) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        len = len < size - pos ? len : size - pos;
        /* a copy of exactly len bytes, so any read past the frame is caught */
        uint8_t *frame = malloc(len ? len : 1);
        memcpy(frame, data + pos, len);
        unsigned part = es_flows_part(f, link, frame, len);
        free(frame);
        if (part >= n)
            abort();
        es_flows_elsewhere(f, ES_SPLIT_TCP, part);
        es_flows_frame_done(f);
        pos += len;
    }
    es_flows_free(f);
    return 0;
}
