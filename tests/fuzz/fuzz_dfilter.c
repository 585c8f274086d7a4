/* fuzz_dfilter.c — any text given to the display-filter translator, the
 * query-string rewriter or the regular-expression translator must neither
 * crash them nor, when accepted, give anything but valid JSON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dfilter2dsl.h"
#include "dfregex.h"
#include "qstring.h"

/* Every type, chosen by the name, so all typing paths are reached. */
static df_type lookup(void *ud, const char *name)
{
    (void)ud;
    return (df_type)(g_str_hash(name) % (DF_CONFLICT + 1));
}

static void must_be_json(const char *text)
{
    JsonParser *p = json_parser_new();
    if (!json_parser_load_from_data(p, text, -1, NULL))
        __builtin_trap();
    g_object_unref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    char *dsl = NULL, *err = NULL;
    if (df_translate(text, size % 2, lookup, NULL, &dsl, &err))
        must_be_json(dsl);
    else if (!err)
        __builtin_trap();
    g_free(dsl);
    g_free(err);
    err = NULL;
    (void)df_syntax_ok(text, &err);
    g_free(err);
    (void)df_is_filter(text);
    g_free(qs_rewrite(text, size % 3 == 0, lookup, NULL));
    bool caseless = true;
    err = NULL;
    g_free(df_regex_to_lucene(text, &caseless, &err));
    g_free(err);
    g_free(text);
    return 0;
}
