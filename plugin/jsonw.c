/* jsonw.c — small state-checked JSON writer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "jsonw.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char jw_hex_digits[] = "0123456789abcdef";

enum {
    ST_TOP,       /* expecting the single top-level value */
    ST_DONE,      /* top-level value complete */
    ST_OBJ_FIRST, /* in an object, nothing written yet */
    ST_OBJ,       /* in an object, after a member */
    ST_OBJ_VALUE, /* in an object, after a key */
    ST_ARR_FIRST,
    ST_ARR,
};

void jw_init(jsonw *w, esbuf *out)
{
    w->out = out;
    w->depth = 0;
    w->state[0] = ST_TOP;
    w->error = false;
}

/* Checks that a value may come now, writes the separator and moves on.
 * Inline: every value of a document passes here. */
static inline bool value_prefix(jsonw *w)
{
    if (w->error)
        return false;
    uint8_t *st = &w->state[w->depth];
    switch (*st) {
    case ST_TOP:
        *st = ST_DONE;
        return true;
    case ST_OBJ_VALUE:
        *st = ST_OBJ;
        return true;
    case ST_ARR_FIRST:
        *st = ST_ARR;
        return true;
    case ST_ARR:
        esbuf_putc(w->out, ',');
        return true;
    default:
        w->error = true;
        return false;
    }
}

static void open_container(jsonw *w, char c, uint8_t st)
{
    if (w->depth >= JW_MAX_DEPTH) {
        w->error = true;
        return;
    }
    if (!value_prefix(w))
        return;
    esbuf_putc(w->out, c);
    w->state[++w->depth] = st;
}

static void close_container(jsonw *w, char c, uint8_t first, uint8_t other)
{
    if (w->error)
        return;
    uint8_t st = w->state[w->depth];
    if (w->depth == 0 || (st != first && st != other)) {
        w->error = true;
        return;
    }
    w->depth--;
    esbuf_putc(w->out, c);
}

void jw_begin_object(jsonw *w)
{
    open_container(w, '{', ST_OBJ_FIRST);
}
void jw_end_object(jsonw *w)
{
    close_container(w, '}', ST_OBJ_FIRST, ST_OBJ);
}
void jw_begin_array(jsonw *w)
{
    open_container(w, '[', ST_ARR_FIRST);
}
void jw_end_array(jsonw *w)
{
    close_container(w, ']', ST_ARR_FIRST, ST_ARR);
}

static bool key_prefix(jsonw *w)
{
    if (w->error)
        return false;
    uint8_t *st = &w->state[w->depth];
    if (*st == ST_OBJ)
        esbuf_putc(w->out, ',');
    else if (*st != ST_OBJ_FIRST) {
        w->error = true;
        return false;
    }
    *st = ST_OBJ_VALUE;
    return true;
}

void jw_key(jsonw *w, const char *name)
{
    if (!key_prefix(w))
        return;
    esbuf_putc(w->out, '"');
    jw_escape_into(w->out, name, strlen(name));
    esbuf_append(w->out, "\":", 2);
}

/* A member name's copy: most are 8 to 32 bytes, copied as two overlapping
 * words or vectors inline instead of a call to memcpy() per member. */
static inline void copy_key(char *dst, const char *src, size_t n)
{
    if (n >= 16 && n <= 32) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else {
        memcpy(dst, src, n);
    }
}

/* The hottest step of a document (once per member): the separator, the
 * key and the colon in one reservation, with room for extra bytes of value
 * after them; returns where the value goes, NULL on misuse or at the
 * buffer's limit.  The level moves to next; the caller sets the length. */
static inline char *member_start(jsonw *w, const char *encoded, size_t len, size_t extra, uint8_t next)
{
    if (w->error)
        return NULL;
    uint8_t *st = &w->state[w->depth];
    bool comma = *st == ST_OBJ;
    if (!comma && *st != ST_OBJ_FIRST) {
        w->error = true;
        return NULL;
    }
    if (!esbuf_reserve(w->out, len + 2 + extra))
        return NULL;
    *st = next;
    char *p = w->out->data + w->out->len;
    if (comma)
        *p++ = ',';
    copy_key(p, encoded, len);
    p[len] = ':';
    return p + len + 1;
}

void jw_key_encoded(jsonw *w, const char *encoded, size_t len)
{
    char *p = member_start(w, encoded, len, 0, ST_OBJ_VALUE);
    if (!p)
        return;
    *p = '\0';
    w->out->len = (size_t)(p - w->out->data);
}

void jw_members_encoded(jsonw *w, const char *members, size_t len)
{
    if (!key_prefix(w))
        return;
    esbuf_append(w->out, members, len);
    w->state[w->depth] = ST_OBJ;
}

char *jw_members_of(const jsonw *w, size_t *len)
{
    if (!jw_finish(w) || w->out->len < 2 || w->out->data[0] != '{')
        return NULL;
    *len = w->out->len - 2;
    return g_strndup(w->out->data + 1, *len);
}

void jw_member_uint(jsonw *w, const char *encoded, size_t len, uint64_t v)
{
    char *p = member_start(w, encoded, len, 21, ST_OBJ);
    if (!p)
        return;
    if (v < 10) /* flags, versions, counts: most members */
        *p++ = (char)('0' + v);
    else
        p += es_fmt_u64(p, v);
    *p = '\0';
    w->out->len = (size_t)(p - w->out->data);
}

void jw_member_bool(jsonw *w, const char *encoded, size_t len, bool v)
{
    char *p = member_start(w, encoded, len, 6, ST_OBJ);
    if (!p)
        return;
    memcpy(p, v ? "true\0" : "false", 6); /* both 6 bytes with their NUL */
    w->out->len = (size_t)(p - w->out->data) + (v ? 4 : 5);
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if it is invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Whether a byte of the word x goes into a JSON string escaped: below
 * 0x20, from 0x80, '"' or '\\' (x ^ c has a zero byte) leave a high bit
 * set.  A false alarm only sends the bytes to the careful path. */
static inline bool word_needs_escape(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((x - ones * 0x20) | x | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) != 0;
}

void jw_escape_into(esbuf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    const unsigned char *run = p;

    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            /* the plain run after an escape or a multibyte character (an
             * Info column's arrow) a word at a time */
            uint64_t x;
            if (end - p >= 8 && (memcpy(&x, p, 8), !word_needs_escape(x)))
                p += 8;
            else
                p++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(p, end);
            if (n) {
                p += n;
                continue;
            }
        }
        esbuf_append(out, run, (size_t)(p - run));
        switch (c) {
        case '"': esbuf_append(out, "\\\"", 2); break;
        case '\\': esbuf_append(out, "\\\\", 2); break;
        case '\n': esbuf_append(out, "\\n", 2); break;
        case '\r': esbuf_append(out, "\\r", 2); break;
        case '\t': esbuf_append(out, "\\t", 2); break;
        case '\b': esbuf_append(out, "\\b", 2); break;
        case '\f': esbuf_append(out, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', jw_hex_digits[c >> 4], jw_hex_digits[c & 15]};
                esbuf_append(out, u, 6);
            } else {
                esbuf_append(out, "\xEF\xBF\xBD", 3); /* U+FFFD */
            }
        }
        run = ++p;
    }
    esbuf_append(out, run, (size_t)(p - run));
}

static inline bool byte_is_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Copies to dst the bytes at the start of s that go into a JSON string as
 * they are (printable ASCII but '"' and '\\'), eight at a time, the last
 * eight of a string of eight or more overlapping the ones before; returns
 * how many.  Most strings are all plain. */
static size_t copy_plain(char *dst, const char *s, size_t len)
{
    uint64_t x;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&x, s + i, 8);
        if (word_needs_escape(x))
            break;
        memcpy(dst + i, &x, 8);
    }
    if (i + 8 > len && len >= 8) {
        memcpy(&x, s + len - 8, 8);
        if (!word_needs_escape(x)) {
            memcpy(dst + len - 8, &x, 8);
            return len;
        }
    }
    for (; i < len && byte_is_plain((unsigned char)s[i]); i++)
        dst[i] = s[i];
    return i;
}

/* Room for the quotes and the plain bytes reserved once; only what needs
 * escaping (rare) goes byte by byte. */
void jw_string(jsonw *w, const char *s, size_t len)
{
    if (!value_prefix(w) || !esbuf_reserve(w->out, len + 2))
        return;
    char *p = w->out->data + w->out->len;
    *p++ = '"';
    size_t plain = copy_plain(p, s, len);
    if (plain == len) {
        p[len] = '"';
        p[len + 1] = '\0';
        w->out->len += len + 2;
        return;
    }
    w->out->len += plain + 1;
    jw_escape_into(w->out, s + plain, len - plain);
    esbuf_putc(w->out, '"');
}

void jw_uint(jsonw *w, uint64_t v)
{
    if (!value_prefix(w) || !esbuf_reserve(w->out, 21))
        return;
    w->out->len += es_fmt_u64(w->out->data + w->out->len, v);
    w->out->data[w->out->len] = '\0';
}

void jw_int(jsonw *w, int64_t v)
{
    if (!value_prefix(w) || !esbuf_reserve(w->out, 22))
        return;
    uint64_t mag = (uint64_t)v;
    if (v < 0) {
        w->out->data[w->out->len++] = '-';
        mag = 0 - mag;
    }
    w->out->len += es_fmt_u64(w->out->data + w->out->len, mag);
    w->out->data[w->out->len] = '\0';
}

void jw_double(jsonw *w, double v)
{
    if (!value_prefix(w))
        return;
    if (!isfinite(v)) {
        esbuf_append(w->out, "null", 4);
        return;
    }
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.17g", v);
    esbuf_append(w->out, tmp, (size_t)n);
    if (!strpbrk(tmp, ".eE"))
        esbuf_append(w->out, ".0", 2);
}

void jw_fixed9(jsonw *w, bool negative, uint64_t whole, uint32_t nanos)
{
    if (!value_prefix(w) || !esbuf_reserve(w->out, 32))
        return;
    char *p = w->out->data + w->out->len;
    if (negative)
        *p++ = '-';
    p += es_fmt_u64(p, whole);
    /* Shortest exact form, always with a '.' so it is never taken for an
     * integer: 0.5 rather than 0.500000000, 3.0 rather than 3.000000000. */
    *p++ = '.';
    p += es_fmt_nanos(p, nanos);
    w->out->len = (size_t)(p - w->out->data);
    w->out->data[w->out->len] = '\0';
}

void jw_raw(jsonw *w, const char *json, size_t len)
{
    if (value_prefix(w))
        esbuf_append(w->out, json, len);
}

void jw_bool(jsonw *w, bool v)
{
    if (value_prefix(w))
        esbuf_append(w->out, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jsonw *w)
{
    if (value_prefix(w))
        esbuf_append(w->out, "null", 4);
}

/* Two base64 digits for each 12 bits, built once: a group of three bytes
 * is two lookups. */
static const uint16_t *base64_pairs(void)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static uint16_t pairs[4096];
    static gsize built;
    if (g_once_init_enter(&built)) {
        for (unsigned i = 0; i < 4096; i++)
            memcpy(&pairs[i], (const char[2]){digits[i >> 6], digits[i & 63]}, 2);
        g_once_init_leave(&built, 1);
    }
    return pairs;
}

void jw_base64(jsonw *w, const uint8_t *p, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!value_prefix(w) || !esbuf_reserve(w->out, (len + 2) / 3 * 4 + 2))
        return;
    const uint16_t *pairs = base64_pairs();
    char *o = w->out->data + w->out->len;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= len; i += 3, o += 4) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        memcpy(o, &pairs[v >> 12], 2);
        memcpy(o + 2, &pairs[v & 4095], 2);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o++ = '"';
    w->out->len = (size_t)(o - w->out->data);
    w->out->data[w->out->len] = '\0';
}

char *jw_encode_key(const char *name, size_t *len)
{
    size_t n = strlen(name);
    esbuf enc;
    /* Room for every byte escaped as \u00XX. */
    esbuf_init(&enc, n + 8, n * 6 + 8);
    esbuf_putc(&enc, '"');
    jw_escape_into(&enc, name, n);
    esbuf_putc(&enc, '"');
    *len = enc.len;
    return enc.data;
}

void jw_hex(jsonw *w, const uint8_t *p, size_t len)
{
    if (!value_prefix(w) || !esbuf_reserve(w->out, len * 2 + 2))
        return;
    char *o = w->out->data + w->out->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        *o++ = jw_hex_digits[p[i] >> 4];
        *o++ = jw_hex_digits[p[i] & 15];
    }
    *o++ = '"';
    w->out->len = (size_t)(o - w->out->data);
    w->out->data[w->out->len] = '\0';
}

void jw_save(const jsonw *w, jw_mark *m)
{
    m->len = w->out->len;
    m->depth = w->depth;
    m->state = w->state[w->depth];
}

void jw_rollback(jsonw *w, const jw_mark *m)
{
    esbuf_truncate(w->out, m->len);
    w->depth = m->depth;
    w->state[w->depth] = m->state;
    w->error = false;
}

bool jw_finish(const jsonw *w)
{
    return !w->error && !w->out->error && w->depth == 0 && w->state[0] == ST_DONE;
}
