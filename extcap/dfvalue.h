/* dfvalue.h — one display-filter test written as a query clause, its value
 * typed by the field's mapping (the inside of dfilter2dsl).
 *
 *   df_test t = {.name = "tcp.port", .field = "tcp.port", .type = DF_LONG,
 *                .op = DF_OP_EQ, .value = {"80", false}};
 *   if (!df_write_test(&w, &t, false, lookup, ud, &why)) ... why (g_free) ...
 *   df_test_clear(&t);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_DFVALUE_H
#define ESD_DFVALUE_H

#include <stdbool.h>

#include <glib.h>

#include "dfilter2dsl.h"
#include "jsonw.h"

typedef enum {
    DF_OP_EXISTS,
    DF_OP_EQ,
    DF_OP_NE,
    DF_OP_LT,
    DF_OP_GT,
    DF_OP_LE,
    DF_OP_GE,
    DF_OP_CONTAINS,
    DF_OP_MATCHES,
    DF_OP_IN,
} df_op;

/* A value as written: a quoted string (unescaped) or a bare word. */
typedef struct df_literal {
    const char *text;
    bool quoted;
} df_literal;

typedef struct df_test {
    const char *name;  /* as the filter writes it */
    const char *field; /* in the index's style */
    df_type type;
    df_op op;
    df_literal value; /* comparisons, contains, matches */
    GArray *items;    /* in: pairs of df_literal (high.text NULL: one value) */
} df_test;

void df_test_add_item(df_test *t, df_literal low, df_literal high);
void df_test_clear(df_test *t);

/* Writes t as one query object; false with *why (g_free) when it cannot be
 * translated exactly. */
bool df_write_test(jsonw *w, const df_test *t, bool underscore, df_lookup lookup, void *ud, char **why);

/* Reads the escape sequence at src[*i] ('\\' ...) of a quoted string into
 * out, advancing *i; false for an unknown one. */
bool df_unescape(const char *src, size_t *i, GString *out);

#endif
