/* fuzz_settings.c — settings from text (-X es.NAME=VALUE lines), the sink
 * parser (es.node), index names and the cross-setting checks.  Whatever
 * validates must give a sink that parses again.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    char **lines = g_strsplit(text, "\n", 32);
    es_settings s;
    es_settings_init(&s);
    for (char **l = lines; *l; l++) {
        char *eq = strchr(*l, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const es_opt_desc *d = es_opt_find(*l);
        GError *err = NULL;
        if (d && !es_settings_set(&s, d, eq + 1, &err))
            g_error_free(err);
    }
    /* No file reads: the secrets file is its own target. */
    es_settings_set_string(&s, es_opt_find("secrets_file"), "");
    char name[512];
    es_index_format(s.index, (gint64)size * 86400, name, sizeof name);
    GError *err = NULL;
    if (es_settings_validate(&s, &err)) {
        es_sink sink;
        if (!es_sink_parse(s.node, &sink, NULL))
            abort();
        es_sink_is_loopback(&sink);
        es_sink_clear(&sink);
    } else {
        g_error_free(err);
    }
    es_settings copy;
    es_settings_copy(&copy, &s);
    if (!es_settings_equal(&copy, &s))
        abort();
    es_settings_clear(&copy);
    es_settings_clear(&s);
    g_strfreev(lines);
    g_free(text);
    return 0;
}
