/* deadletter.c — the file where documents that did not reach the cluster go.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "deadletter.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
#include "statedir.h"

struct es_deadletter {
    char *dir, *path;
    FILE *f;
    bool failed; /* could not create the file: stop trying */
    uint64_t max_bytes, bytes, written, lost;
    esbuf line;
};

es_deadletter *es_deadletter_new(const char *dir, uint64_t max_bytes)
{
    es_deadletter *d = g_new0(es_deadletter, 1);
    d->dir = g_strdup(dir);
    d->max_bytes = max_bytes;
    esbuf_init(&d->line, 4096, 64u << 20);
    return d;
}

void es_deadletter_free(es_deadletter *d)
{
    if (!d)
        return;
    if (d->f)
        fclose(d->f);
    esbuf_free(&d->line);
    g_free(d->dir);
    g_free(d->path);
    g_free(d);
}

static bool open_file(es_deadletter *d)
{
    if (g_mkdir_with_parents(d->dir, 0700) != 0) {
        fprintf(stderr, "wireshark-es: cannot create the dead-letter directory %s: %s\n", d->dir,
                g_strerror(errno));
        return false;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    char *name = g_strdup_printf("wireshark-es-%s-%d.ndjson", stamp, (int)getpid());
    d->path = g_build_filename(d->dir, name, NULL);
    g_free(name);
    d->f = fopen(d->path, "wb");
    if (!d->f) {
        fprintf(stderr, "wireshark-es: cannot write the dead-letter file %s: %s\n", d->path,
                g_strerror(errno));
        return false;
    }
    return true;
}

bool es_deadletter_add(es_deadletter *d, const char *item, size_t len, int status, const char *type,
                       const char *reason)
{
    const char *nl = memchr(item, '\n', len);
    size_t doc_len = nl ? len - (size_t)(nl + 1 - item) : 0;
    while (doc_len && (nl[doc_len] == '\n' || nl[doc_len] == '\r'))
        doc_len--;
    if (!nl || !doc_len || d->failed || (!d->f && !open_file(d))) {
        d->failed = d->failed || (nl && doc_len);
        d->lost++;
        return false;
    }
    esbuf_truncate(&d->line, 0);
    jsonw w;
    jw_init(&w, &d->line);
    jw_begin_object(&w);
    jw_key(&w, "error");
    jw_begin_object(&w);
    jw_key(&w, "status");
    jw_int(&w, status);
    jw_key(&w, "type");
    jw_string(&w, type ? type : "error", strlen(type ? type : "error"));
    jw_key(&w, "reason");
    jw_string(&w, reason ? reason : "", strlen(reason ? reason : ""));
    jw_end_object(&w);
    /* Both lines were written by our own writer: valid JSON as they are. */
    jw_key(&w, "action");
    jw_raw(&w, item, (size_t)(nl - item));
    jw_key(&w, "document");
    jw_raw(&w, nl + 1, doc_len);
    jw_end_object(&w);
    esbuf_putc(&d->line, '\n');
    if (!jw_finish(&w) || d->bytes + d->line.len > d->max_bytes ||
        fwrite(d->line.data, 1, d->line.len, d->f) != d->line.len || fflush(d->f) != 0) {
        d->lost++;
        return false;
    }
    d->bytes += d->line.len;
    d->written++;
    return true;
}

const char *es_deadletter_path(const es_deadletter *d)
{
    return d->written ? d->path : NULL;
}

uint64_t es_deadletter_written(const es_deadletter *d)
{
    return d->written;
}

uint64_t es_deadletter_lost(const es_deadletter *d)
{
    return d->lost;
}

char *es_deadletter_default_dir(void)
{
    return es_state_dir("dead-letter", NULL);
}
