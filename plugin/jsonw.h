/* jsonw.h — small state-checked JSON writer.
 *
 * The only code in the project that writes JSON syntax.  Modelled on
 * Wireshark's wsutil/json_dumper: every call is checked against a per-level
 * state, and a misuse sets a sticky error flag instead of writing broken
 * JSON.  Strings are escaped and validated as UTF-8 (invalid sequences become
 * U+FFFD, NUL becomes \u0000: nothing is silently dropped), and non-finite
 * numbers are written as null, so the output is always valid JSON.
 *
 *   esbuf out; jsonw w;
 *   esbuf_init(&out, 256, 1 << 20);
 *   jw_init(&w, &out);
 *   jw_begin_object(&w);
 *   jw_key(&w, "ip.src");  jw_string(&w, "10.0.0.1", 8);
 *   jw_end_object(&w);
 *   if (!jw_finish(&w)) ...   // misuse or buffer limit
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_JSONW_H
#define ES_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JW_MAX_DEPTH 32

typedef struct jsonw {
    esbuf *out;
    unsigned depth;
    uint8_t state[JW_MAX_DEPTH + 1];
    bool error;
} jsonw;

/* A saved position: jw_rollback() returns the writer and its buffer to it. */
typedef struct jw_mark {
    size_t len;
    unsigned depth;
    uint8_t state;
} jw_mark;

void jw_init(jsonw *w, esbuf *out);

void jw_begin_object(jsonw *w);
void jw_end_object(jsonw *w);
void jw_begin_array(jsonw *w);
void jw_end_array(jsonw *w);

/* Member name, escaped here. */
void jw_key(jsonw *w, const char *name);
/* Member name already encoded as a complete JSON string ("..." with quotes,
 * no colon), e.g. precomputed once per field. */
void jw_key_encoded(jsonw *w, const char *encoded, size_t len);

/* Complete members already encoded by another writer ("a":1,"b":"x": no
 * leading or trailing comma), written as the next members of the object:
 * members every document repeats, encoded once. */
void jw_members_encoded(jsonw *w, const char *members, size_t len);
/* The members of the one object w's buffer holds, braces left out, as a
 * new string of *len bytes for jw_members_encoded(); NULL if w did not
 * finish it. */
char *jw_members_of(const jsonw *w, size_t *len);

/* A whole member, encoded key and number or boolean, in one call: the
 * commonest members of a document, without a call per token. */
void jw_member_uint(jsonw *w, const char *encoded, size_t len, uint64_t v);
void jw_member_bool(jsonw *w, const char *encoded, size_t len, bool v);

void jw_string(jsonw *w, const char *s, size_t len);
void jw_uint(jsonw *w, uint64_t v);
void jw_int(jsonw *w, int64_t v);
/* Shortest text that reads back as the same double, always with a '.' or an
 * exponent so Elasticsearch never guesses "long"; null if not finite. */
void jw_double(jsonw *w, double v);
/* An exact decimal number given as sign, integer part and nanoseconds,
 * written in its shortest form with at least one fraction digit. */
void jw_fixed9(jsonw *w, bool negative, uint64_t whole, uint32_t nanos);
/* A value that is JSON text already, written as it is: only for text this
 * writer produced (the lines of a bulk item). */
void jw_raw(jsonw *w, const char *json, size_t len);
void jw_bool(jsonw *w, bool v);
void jw_null(jsonw *w);
/* Byte strings as JSON strings of base64 or lowercase hex. */
void jw_base64(jsonw *w, const uint8_t *p, size_t len);
void jw_hex(jsonw *w, const uint8_t *p, size_t len);

/* Lower-case hex digits, for whoever writes hex (\u escapes, bytes). */
extern const char jw_hex_digits[];

void jw_save(const jsonw *w, jw_mark *m);
void jw_rollback(jsonw *w, const jw_mark *m);

/* True when exactly one complete top-level value was written without error. */
bool jw_finish(const jsonw *w);

/* Appends s as a JSON string body (no quotes) to out: the escaping used by
 * jw_string(), for callers that precompute encoded keys. */
void jw_escape_into(esbuf *out, const char *s, size_t len);

/* A member name encoded once for jw_key_encoded(): the JSON string with its
 * quotes, NUL-terminated, its length in *len.  Free with g_free(). */
char *jw_encode_key(const char *name, size_t *len);

#endif
