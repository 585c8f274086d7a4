/* dfilter2dsl.h — Wireshark display filters as Elasticsearch query DSL.
 *
 * Translates the display-filter language (Wireshark 4.x) into one query
 * object: comparisons (== != < > <= >= and eq ne lt gt le ge), `in {…}`
 * with values and ranges (`{80, 443, 8000..8080}`; spaces also separate),
 * `contains`, `matches`, addresses and CIDR blocks, a bare field (it
 * exists) or protocol (it is in frame.protocols), && || ^^ ! and their
 * words, parentheses.  Each value is typed by the field's mapping in the
 * index, which the caller looks up (names are given in the index's own
 * style: dotted, or underscore when `underscore` is set).  Wireshark's
 * semantics are kept: `a != v` is true when a exists and none of its
 * values is v; a test on a field no document has matches nothing.
 *
 * What cannot be translated exactly (slices, functions, field-to-field
 * comparisons, bitwise &, value names, a regular expression Lucene cannot
 * express, ...) is refused with a message naming the part; the filter is
 * never approximated.  Plain C + glib.
 *
 *   char *dsl = NULL, *err = NULL;
 *   if (!df_translate("ip.addr == 10.0.0.0/8 && tcp.flags.syn == 1", false, lookup, ud, &dsl, &err))
 *       fprintf(stderr, "%s\n", err);        // "... at 'x': ..."
 *   g_free(dsl); g_free(err);               // both owned by the caller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_DFILTER2DSL_H
#define ESD_DFILTER2DSL_H

#include <stdbool.h>

/* A field's type as the index maps it (the classes the exporter writes). */
typedef enum {
    DF_ABSENT,       /* not in the mapping: no document has it */
    DF_LONG,         /* integers */
    DF_DOUBLE,       /* floats, relative times */
    DF_ULONG_DOUBLE, /* 64-bit unsigned stored as double, digits in NAME.exact */
    DF_BOOLEAN,
    DF_IP,
    DF_KEYWORD,  /* strings, MAC addresses, ... */
    DF_BYTES,    /* byte arrays as lowercase hex */
    DF_DATE,     /* absolute times */
    DF_PROTOCOL, /* no field of its own, but the prefix of mapped fields */
    DF_OTHER,    /* binary, text, ...: not comparable here */
    DF_CONFLICT, /* mapped differently in the indices searched */
} df_type;

/* The type of a field, by its name in the index's style. */
typedef df_type (*df_lookup)(void *ud, const char *name);

/* Translates filter into a query object (JSON text) in *dsl, or returns
 * false with a message in *error.  Both are the caller's to g_free(). */
bool df_translate(const char *filter, bool underscore, df_lookup lookup, void *ud,
                  char **dsl, char **error);

/* A Wireshark field name in the index's style: dots become underscores
 * when underscore is set, except before a .text or .exact sub-field.
 * g_free(). */
char *df_index_name(const char *name, bool underscore);

/* Whether filter is well-formed display-filter syntax (no lookup, no
 * translation): Wireshark's capture-filter check.  *error (optional) says why
 * not. */
bool df_syntax_ok(const char *filter, char **error);

/* Whether filter is written in the display-filter language, translatable
 * or not (it parses; or fails on a construct such as a slice that only
 * display filters have; or has their operators, ==, &&, ..., and no
 * field:value): how "auto" tells it from a query string, so that a broken
 * display filter gets a display-filter error. */
bool df_is_filter(const char *filter);

#endif
