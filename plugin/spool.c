/* spool.c — sealed bulk batches kept on disk while the cluster is away.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spool.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "statedir.h"

typedef struct entry {
    uint64_t id;
    uint32_t docs;
    uint64_t bytes;
    bool taken;
} entry;

struct es_spool {
    char *dir;
    uint64_t max_bytes, bytes, docs, next_id;
    GArray *files; /* of entry, oldest first */
};

static char *file_path(const es_spool *sp, const entry *e)
{
    char name[64];
    g_snprintf(name, sizeof name, "%020" PRIu64 "-%" PRIu32 ".ndjson", e->id, e->docs);
    return g_build_filename(sp->dir, name, NULL);
}

static gint by_id(gconstpointer a, gconstpointer b)
{
    uint64_t x = ((const entry *)a)->id, y = ((const entry *)b)->id;
    return x < y ? -1 : x > y;
}

es_spool *es_spool_open(const char *dir, uint64_t max_bytes, char **err)
{
    if (g_mkdir_with_parents(dir, 0700) != 0 || access(dir, W_OK) != 0) {
        *err = g_strdup_printf("cannot use the spool directory %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        *err = g_strdup_printf("cannot read the spool directory %s", dir);
        return NULL;
    }
    es_spool *sp = g_new0(es_spool, 1);
    sp->dir = g_strdup(dir);
    sp->max_bytes = max_bytes;
    sp->files = g_array_new(FALSE, FALSE, sizeof(entry));
    const char *name;
    while ((name = g_dir_read_name(d))) {
        entry e = {0};
        char tail[16];
        if (sscanf(name, "%20" SCNu64 "-%" SCNu32 "%15s", &e.id, &e.docs, tail) != 3 ||
            strcmp(tail, ".ndjson") != 0)
            continue; /* temporary files of a crashed run, anything else */
        char *path = g_build_filename(dir, name, NULL);
        GStatBuf st;
        if (g_stat(path, &st) == 0) {
            e.bytes = (uint64_t)st.st_size;
            g_array_append_val(sp->files, e);
            sp->bytes += e.bytes;
            sp->docs += e.docs;
            sp->next_id = MAX(sp->next_id, e.id + 1);
        }
        g_free(path);
    }
    g_dir_close(d);
    g_array_sort(sp->files, by_id);
    /* New files sort after every earlier run's, whatever the clock did. */
    sp->next_id = MAX(sp->next_id, (uint64_t)g_get_real_time());
    return sp;
}

void es_spool_close(es_spool *sp)
{
    if (!sp)
        return;
    g_array_free(sp->files, TRUE);
    g_free(sp->dir);
    g_free(sp);
}

bool es_spool_put(es_spool *sp, const es_batch *b)
{
    if (sp->bytes + b->body.len > sp->max_bytes)
        return false;
    entry e = {sp->next_id++, b->n_items, b->body.len, false};
    char *path = file_path(sp, &e);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    bool ok = g_file_set_contents(tmp, b->body.data, (gssize)b->body.len, NULL) &&
              g_rename(tmp, path) == 0;
    if (ok) {
        g_array_append_val(sp->files, e);
        sp->bytes += e.bytes;
        sp->docs += e.docs;
    } else {
        g_unlink(tmp);
    }
    g_free(tmp);
    g_free(path);
    return ok;
}

static entry *find(es_spool *sp, uint64_t id, guint *at)
{
    for (guint i = 0; i < sp->files->len; i++) {
        entry *e = &g_array_index(sp->files, entry, i);
        if (e->id == id) {
            *at = i;
            return e;
        }
    }
    return NULL;
}

es_batch *es_spool_take(es_spool *sp, size_t limit)
{
    for (guint i = 0; i < sp->files->len; i++) {
        entry *e = &g_array_index(sp->files, entry, i);
        if (e->taken)
            continue;
        char *path = file_path(sp, e);
        char *text = NULL;
        gsize len = 0;
        bool read = g_file_get_contents(path, &text, &len, NULL);
        g_free(path);
        if (!read) {
            /* Gone or unreadable: nothing to send from it. */
            sp->bytes -= e->bytes;
            sp->docs -= e->docs;
            g_array_remove_index(sp->files, i--);
            continue;
        }
        es_batch *b = es_batch_new(len, MAX(limit, len));
        /* Items are pairs of lines: action, document. */
        const char *p = text, *end = text + len;
        while (p < end) {
            const char *nl1 = memchr(p, '\n', (size_t)(end - p));
            const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
            if (!nl2)
                break;
            es_batch_append(b, p, (size_t)(nl2 + 1 - p));
            p = nl2 + 1;
        }
        g_free(text);
        b->spool_id = e->id;
        e->taken = true;
        return b;
    }
    return NULL;
}

void es_spool_done(es_spool *sp, uint64_t spool_id)
{
    guint at;
    entry *e = find(sp, spool_id, &at);
    if (!e)
        return;
    char *path = file_path(sp, e);
    g_unlink(path);
    g_free(path);
    sp->bytes -= e->bytes;
    sp->docs -= e->docs;
    g_array_remove_index(sp->files, at);
}

void es_spool_release(es_spool *sp, uint64_t spool_id)
{
    guint at;
    entry *e = find(sp, spool_id, &at);
    if (e)
        e->taken = false;
}

bool es_spool_pending(const es_spool *sp)
{
    for (guint i = 0; i < sp->files->len; i++)
        if (!g_array_index(sp->files, entry, i).taken)
            return true;
    return false;
}

unsigned es_spool_files(const es_spool *sp)
{
    return sp->files->len;
}

uint64_t es_spool_docs(const es_spool *sp)
{
    return sp->docs;
}

const char *es_spool_dir(const es_spool *sp)
{
    return sp->dir;
}

char *es_spool_default_dir(const char *node_url)
{
    char *node = g_strdup(node_url);
    g_strcanon(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", '_');
    char *dir = es_state_dir("spool", node);
    g_free(node);
    return dir;
}
