/* fuzz_jsonw.c — drives the JSON writer with arbitrary calls and strings;
 * whatever it accepts must be valid JSON (checked with json-glib).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 64, 1 << 16);
    jw_init(&w, &out);
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        size_t n = size - i < (op >> 4) ? size - i : (op >> 4);
        const char *s = (const char *)data + i;
        switch (op & 15) {
        case 0: jw_begin_object(&w); break;
        case 1: jw_end_object(&w); break;
        case 2: jw_begin_array(&w); break;
        case 3: jw_end_array(&w); break;
        case 4: {
            char *k = g_strndup(s, n);
            jw_key(&w, k);
            g_free(k);
            i += n;
            break;
        }
        case 5:
            jw_string(&w, s, n);
            i += n;
            break;
        case 6: {
            uint64_t v = 0;
            memcpy(&v, s, n < 8 ? n : 8);
            jw_uint(&w, v);
            i += n;
            break;
        }
        case 7: {
            int64_t v = 0;
            memcpy(&v, s, n < 8 ? n : 8);
            jw_int(&w, v);
            i += n;
            break;
        }
        case 8: {
            double v = 0;
            memcpy(&v, s, n < 8 ? n : 8);
            jw_double(&w, v);
            i += n;
            break;
        }
        case 9: jw_bool(&w, n & 1); break;
        case 10:
            jw_base64(&w, (const uint8_t *)s, n);
            i += n;
            break;
        case 11:
            jw_hex(&w, (const uint8_t *)s, n);
            i += n;
            break;
        case 12: jw_fixed9(&w, n & 1, n * 1000003u, (uint32_t)(n * 7919u % 1000000000u)); break;
        case 13:
        case 14: {
            /* a whole member: the key from the bytes, the value from their length */
            char *name = g_strndup(s, n);
            size_t len;
            char *k = jw_encode_key(name, &len);
            if (op & 1)
                jw_member_uint(&w, k, len, (uint64_t)n << (n * 4 % 64));
            else
                jw_member_bool(&w, k, len, n & 1);
            g_free(k);
            g_free(name);
            i += n;
            break;
        }
        default: jw_null(&w); break;
        }
    }
    if (jw_finish(&w)) {
        JsonParser *p = json_parser_new();
        if (!json_parser_load_from_data(p, out.data, (gssize)out.len, NULL))
            __builtin_trap();
        g_object_unref(p);
        if (!g_utf8_validate(out.data, (gssize)out.len, NULL))
            __builtin_trap();
    }
    esbuf_free(&out);
    return 0;
}
