/* capid.c — the identity of a capture, for deterministic document ids.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "capid.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#define SAMPLE (1024 * 1024)

static void finish(GChecksum *c, char out[ES_CAPID_LEN + 1])
{
    g_strlcpy(out, g_checksum_get_string(c), ES_CAPID_LEN + 1);
    g_checksum_free(c);
}

static bool hash_range(GChecksum *c, FILE *fp, long off, size_t len, guchar *buf)
{
    if (fseek(fp, off, SEEK_SET) != 0)
        return false;
    size_t n = fread(buf, 1, len, fp);
    g_checksum_update(c, buf, (gssize)n);
    return n == len;
}

bool es_capid_file(const char *path, char out[ES_CAPID_LEN + 1])
{
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    guint64 size = (guint64)st.st_size;
    g_checksum_update(c, (const guchar *)&size, sizeof size);
    guchar *buf = g_malloc(SAMPLE);
    size_t first = size < SAMPLE ? (size_t)size : SAMPLE;
    bool ok = hash_range(c, fp, 0, first, buf);
    if (ok && size > SAMPLE)
        ok = hash_range(c, fp, (long)(size - MIN(size - SAMPLE, (guint64)SAMPLE)),
                        (size_t)MIN(size - SAMPLE, (guint64)SAMPLE), buf);
    g_free(buf);
    fclose(fp);
    finish(c, out);
    return ok;
}

void es_capid_live(const char *source, char out[ES_CAPID_LEN + 1])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    char *seed = g_strdup_printf("%s|%s|%d|%" G_GINT64_FORMAT "|%u", g_get_host_name(),
                                 source ? source : "", (int)getpid(), g_get_real_time(),
                                 g_random_int());
    g_checksum_update(c, (const guchar *)seed, (gssize)strlen(seed));
    g_free(seed);
    finish(c, out);
}
