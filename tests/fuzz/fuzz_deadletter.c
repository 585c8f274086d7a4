/* fuzz_deadletter.c — the dead-letter writer splits each bulk item it is
 * given into action and document: any bytes, any length, up to its size
 * limit and past it; what it counts must add up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "deadletter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static es_deadletter *d;
    static char *dir;
    static uint64_t calls;
    if (!dir)
        dir = g_dir_make_tmp("fuzz-dead-XXXXXX", NULL);
    if (!d || calls % 4096 == 0) {
        /* A fresh file now and then: the limit is reached and left again. */
        if (d && es_deadletter_path(d))
            g_unlink(es_deadletter_path(d));
        es_deadletter_free(d);
        d = es_deadletter_new(dir, 256 * 1024);
    }
    calls++;
    uint64_t before = es_deadletter_written(d) + es_deadletter_lost(d);
    int status = size ? data[0] * 3 : 0;
    es_deadletter_add(d, (const char *)data, size, status, size > 1 ? "x\"\n\t" : NULL, "r\\\x01");
    if (es_deadletter_written(d) + es_deadletter_lost(d) != before + 1)
        abort();
    return 0;
}
