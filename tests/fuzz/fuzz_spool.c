/* fuzz_spool.c — the spool reader: a directory holding a file left by an
 * earlier run (first line of the input: its name, the rest: its content)
 * is opened and its batches taken; every item handed out is a pair of
 * lines, and the batches hold no more than the file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "spool.h"

static char *dir;

static void empty_dir(void)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir)
        dir = g_dir_make_tmp("fuzz-spool-XXXXXX", NULL);
    const char *nl = memchr(data, '\n', size);
    size_t name_len = nl ? (size_t)(nl - (const char *)data) : 0;
    char *name = g_strndup((const char *)data, MIN(name_len, 64));
    g_strcanon(name, "0123456789-.abcdefghijklmnopqrstuvwxyz", '_');
    char *path = g_build_filename(dir, *name && strcmp(name, ".") && strcmp(name, "..") ? name : "x", NULL);
    const char *body = nl ? nl + 1 : (const char *)data;
    size_t len = size - (size_t)(body - (const char *)data);
    g_file_set_contents(path, body, (gssize)len, NULL);
    char *why = NULL;
    es_spool *sp = es_spool_open(dir, 1 << 20, &why);
    es_batch *b;
    size_t bytes = 0;
    while (sp && (b = es_spool_take(sp, 0))) {
        for (uint32_t i = 0; i < b->n_items; i++) {
            const char *p;
            size_t n;
            es_batch_item(b, i, &p, &n);
            if (n < 2 || p[n - 1] != '\n' || !memchr(p, '\n', n - 1))
                abort();
        }
        bytes += b->body.len;
        es_spool_release(sp, b->spool_id);
        es_spool_done(sp, b->spool_id);
        es_batch_free(b);
    }
    if (bytes > len)
        abort();
    es_spool_close(sp);
    g_free(why);
    empty_dir();
    g_free(path);
    g_free(name);
    return 0;
}
