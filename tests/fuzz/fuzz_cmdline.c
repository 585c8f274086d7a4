/* fuzz_cmdline.c — the -X reader over an argument list (arguments separated
 * by NUL bytes, as in /proc/self/cmdline).  Every option it returns must be
 * an es.* setting found in the arguments.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < size && args->len < 64;) {
        size_t n = strnlen((const char *)data + i, size - i);
        g_ptr_array_add(args, g_strndup((const char *)data + i, n));
        i += n + 1;
    }
    g_ptr_array_add(args, NULL);
    char **argv = (char **)args->pdata;
    GPtrArray *opts = es_cmdline_xopts(argv);
    for (guint i = 0; i < opts->len; i++) {
        es_xopt *o = opts->pdata[i];
        if (strpbrk(o->name, "=:"))
            abort();
    }
    es_xopts_free(opts);
    es_cmdline_sets_node(argv);
    bool is_file;
    g_free(es_cmdline_source(argv, &is_file));
    es_cmdline_is_gui(argv);
    g_ptr_array_free(args, TRUE);
    return 0;
}
