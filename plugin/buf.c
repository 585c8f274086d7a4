/* buf.c — growable byte buffer with a hard size limit.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "buf.h"

#include <glib.h>

void esbuf_init(esbuf *b, size_t initial, size_t limit)
{
    if (initial > limit)
        initial = limit;
    b->data = g_malloc(initial + 1);
    b->data[0] = '\0';
    b->len = 0;
    b->cap = initial;
    b->limit = limit;
    b->error = false;
}

void esbuf_free(esbuf *b)
{
    g_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool esbuf_grow(esbuf *b, size_t n)
{
    if (n > b->limit - b->len) {
        b->error = true;
        return false;
    }
    size_t want = b->len + n;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > b->limit / 2 ? b->limit : cap * 2;
    b->data = g_realloc(b->data, cap + 1);
    b->cap = cap;
    return true;
}

static const char pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v, v > 0: from its bit length (log10(2) ~ 1233 / 4096),
 * one comparison to correct it. */
static size_t decimal_length(uint64_t v)
{
    static const uint64_t powers[] = {1u,
                                      10u,
                                      100u,
                                      1000u,
                                      10000u,
                                      100000u,
                                      1000000u,
                                      10000000u,
                                      100000000u,
                                      1000000000u,
                                      10000000000u,
                                      100000000000u,
                                      1000000000000u,
                                      10000000000000u,
                                      100000000000000u,
                                      1000000000000000u,
                                      10000000000000000u,
                                      100000000000000000u,
                                      1000000000000000000u,
                                      10000000000000000000u};
    unsigned bits = 64 - (unsigned)__builtin_clzll(v);
    size_t n = (bits * 1233u) >> 12; /* floor(log10(2^bits)): the length or one less */
    return n + (v >= powers[n]);
}

/* Writes the digits straight into out, two at a time from the last. */
size_t es_fmt_u64(char *out, uint64_t v)
{
    if (v < 10) {
        out[0] = (char)('0' + v);
        return 1;
    }
    size_t n = decimal_length(v);
    char *o = out + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        o -= 2;
        memcpy(o, pairs + 2 * r, 2);
    }
    if (v >= 10)
        memcpy(o - 2, pairs + 2 * v, 2);
    else
        o[-1] = (char)('0' + v);
    return n;
}

size_t es_fmt_nanos(char *out, uint32_t nanos)
{
    uint32_t v = nanos % 1000000000u;
    for (int i = 7; i >= 1; i -= 2) {
        memcpy(out + i, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    out[0] = (char)('0' + v);
    size_t n = 9;
    while (n > 1 && out[n - 1] == '0')
        n--;
    return n;
}
