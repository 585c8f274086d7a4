/* fuzz_bulkok.c — the all-successful fast path of bulk responses.
 *
 * Byte 0 even: the rest is a raw body (seeds: real _bulk responses of
 * Elasticsearch 8), scanned with an item count from byte 1: it must stay
 * inside the buffer.  Byte 0 odd: the rest describes a response written as
 * Elasticsearch writes it under the exporter's filter_path (per item a
 * status, an error type and reason from the input; "errors" as the server
 * claims it), and the fast path must say "all ok" exactly when the response
 * lists the claimed number of items, all 2xx — a server claiming
 * "errors":false for failed items included.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "esapi.h"
#include "jsonw.h"

static const int statuses[] = {201, 200, 409, 429, 400, 500, 503, 404};

/* The response and whether every item is 2xx; n_out items. */
static bool write_response(const uint8_t *d, size_t size, esbuf *out, uint32_t *n_out, bool *claim_ok)
{
    jsonw w;
    jw_init(&w, out);
    uint32_t n = size ? d[0] % 64 : 0;
    bool all_ok = true, lie = size > 1 && (d[1] & 1);
    size_t i = 2;
    int st[64];
    for (uint32_t k = 0; k < n; k++)
        all_ok &= (st[k] = statuses[i < size ? d[i++] % 8 : 0]) < 300;
    jw_begin_object(&w);
    jw_key(&w, "errors");
    jw_bool(&w, !all_ok && !lie);
    jw_key(&w, "items");
    jw_begin_array(&w);
    for (uint32_t k = 0; k < n; k++) {
        size_t len = i < size ? d[i++] % 16 : 0;
        len = MIN(len, size - MIN(i, size));
        jw_begin_object(&w);
        jw_key(&w, "create");
        jw_begin_object(&w);
        jw_key(&w, "status");
        jw_int(&w, st[k]);
        if (st[k] >= 300) {
            jw_key(&w, "error");
            jw_begin_object(&w);
            jw_key(&w, "type");
            jw_string(&w, "mapper_parsing_exception", 24);
            jw_key(&w, "reason");
            jw_string(&w, (const char *)d + i, len); /* server text: any bytes */
            jw_end_object(&w);
        }
        i += len;
        jw_end_object(&w);
        jw_end_object(&w);
    }
    jw_end_array(&w);
    jw_end_object(&w);
    *n_out = n;
    *claim_ok = all_ok;
    return jw_finish(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!(data[0] & 1)) {
        /* A copy of exactly the body: reading past it is caught. */
        char *body = g_malloc(MAX(size - 2, 1));
        memcpy(body, data + 2, size - 2);
        es_bulk_response_all_ok(body, size - 2, data[1]);
        g_free(body);
        return 0;
    }
    esbuf out;
    esbuf_init(&out, 256, 1 << 20);
    uint32_t n;
    bool all_ok;
    if (write_response(data + 1, size - 1, &out, &n, &all_ok)) {
        int delta = (int)(data[1] % 3) - 1; /* claim one item fewer, as many, one more */
        uint32_t claimed = (uint32_t)MAX((int)n + delta, 0);
        bool want = all_ok && claimed == n;
        if (es_bulk_response_all_ok(out.data, out.len, claimed) != want)
            abort();
    }
    esbuf_free(&out);
    return 0;
}
