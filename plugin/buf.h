/* buf.h — growable byte buffer with a hard size limit.
 *
 * Modelled on curl's dynbuf: every buffer has a cap; an append that would
 * pass it sets a sticky error flag and leaves the content unchanged, so the
 * caller can check once at the end instead of after every append.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_BUF_H
#define ES_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct esbuf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;   /* allocated bytes, excluding the NUL */
    size_t limit; /* len never exceeds this */
    bool error;   /* set by an append that hit the limit or failed to grow */
} esbuf;

void esbuf_init(esbuf *b, size_t initial, size_t limit);
void esbuf_free(esbuf *b);

/* Slow path of esbuf_reserve(): grows so that n more bytes fit. */
bool esbuf_grow(esbuf *b, size_t n);

/* Makes room for n more bytes; false (and the error flag) if that would pass
 * the limit. */
static inline bool esbuf_reserve(esbuf *b, size_t n)
{
    if (b->error)
        return false;
    if (b->cap - b->len >= n)
        return true;
    return esbuf_grow(b, n);
}

static inline void esbuf_append(esbuf *b, const void *p, size_t n)
{
    if (!esbuf_reserve(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void esbuf_putc(esbuf *b, char c)
{
    if (!esbuf_reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

static inline void esbuf_puts(esbuf *b, const char *s)
{
    esbuf_append(b, s, strlen(s));
}

/* Drops everything after len and clears the error flag: the rollback used
 * when a record is abandoned half-written. */
static inline void esbuf_truncate(esbuf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
    b->error = false;
}

/* Decimal text of v; returns the number of characters written to out (which
 * must hold 21 bytes). */
size_t es_fmt_u64(char *out, uint64_t v);
/* The digits of nanos / 1e9 after the point, the shortest exact form but
 * at least one (500000000: "5", 0: "0", 1: "000000001"); writes 9 bytes
 * into out, no NUL, returns how many are the fraction. */
size_t es_fmt_nanos(char *out, uint32_t nanos);

#endif
