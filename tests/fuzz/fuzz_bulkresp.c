/* fuzz_bulkresp.c — bulk responses and error bodies from a hostile or broken
 * server must never crash the parser.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>

#include <glib.h>

#include "esapi.h"

static void ignore(void *ud, uint32_t i, int status, const char *type, const char *reason)
{
    (void)ud;
    (void)i;
    (void)status;
    (void)type;
    (void)reason;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    es_server_info info;
    uint32_t n = size ? data[0] % 8 : 0;
    es_bulk_response_parse(s, size, n, ignore, NULL, NULL);
    es_server_parse(s, size, &info, NULL);
    g_free(es_error_summary(s, size));
    return 0;
}
