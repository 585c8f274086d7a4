/* framemap.c — a part of a split capture mapped back to the original.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "framemap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capid.h"

#define READ_RECORDS 4096
#define ES_STREAM_GAP_MAX (1u << 20) /* unseen streams in a row remembered */

struct es_frame_map {
    FILE *fp;                         /* NULL for a map fed by es_frame_map_feed() */
    GArray *recs;                     /* of es_frame_ref, frame n at n - 1 */
    GArray *streams[ES_STREAM_KINDS]; /* of uint32_t: the original's index of local stream L at L */
    bool failed;                      /* the error was reported */
    char *path;
};

G_DEFINE_QUARK(es - framemap - error - quark, es_framemap_error)

static es_frame_map *map_new(FILE *fp, const char *path)
{
    es_frame_map *m = g_new0(es_frame_map, 1);
    m->fp = fp;
    m->path = g_strdup(path);
    m->recs = g_array_new(FALSE, FALSE, sizeof(es_frame_ref));
    for (int k = 0; k < ES_STREAM_KINDS; k++)
        m->streams[k] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    return m;
}

es_frame_map *es_frame_map_new_empty(void)
{
    return map_new(NULL, "(memory)");
}

es_frame_map *es_frame_map_open(const char *path, GError **err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        g_set_error(err, es_framemap_error_quark(), 1, "es.frame_map: cannot open %s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    return map_new(fp, path);
}

void es_frame_map_free(es_frame_map *m)
{
    if (!m)
        return;
    if (m->fp)
        fclose(m->fp);
    g_array_free(m->recs, TRUE);
    for (int k = 0; k < ES_STREAM_KINDS; k++)
        g_array_free(m->streams[k], TRUE);
    g_free(m->path);
    g_free(m);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static es_frame_ref decode(const uint8_t *p)
{
    es_frame_ref r = {le32(p), le32(p + 4), (int64_t)((uint64_t)le32(p + 8) | (uint64_t)le32(p + 12) << 32), {le32(p + 16), le32(p + 20)}};
    return r;
}

bool es_frame_map_feed(es_frame_map *m, const uint8_t *buf, size_t len, GError **err)
{
    for (size_t off = 0; off + ES_FRAMEMAP_RECORD <= len; off += ES_FRAMEMAP_RECORD) {
        es_frame_ref r = decode(buf + off);
        uint32_t last = m->recs->len ? g_array_index(m->recs, es_frame_ref, m->recs->len - 1).number : 0;
        if (r.number <= last || r.prev_nsecs >= 1000000000u) {
            g_set_error(err, es_framemap_error_quark(), 2, "es.frame_map: %s: record %u is invalid "
                                                           "(frame %u after %u, %u ns); accepted: rising frame numbers, ns below 10^9",
                        m->path, m->recs->len + 1, r.number, last, r.prev_nsecs);
            return false;
        }
        g_array_append_val(m->recs, r);
    }
    return true;
}

uint32_t es_frame_map_stream(es_frame_map *m, es_stream_kind kind, uint32_t local, const es_frame_ref *now)
{
    GArray *known = m->streams[kind];
    if (local >= known->len && local - known->len >= ES_STREAM_GAP_MAX) /* not from Wireshark's counter */
        return local + now->streams_elsewhere[kind];
    while (known->len <= local) {
        uint32_t original = known->len + now->streams_elsewhere[kind]; /* modulo 2^32: it may be "negative" */
        g_array_append_val(known, original);
    }
    return g_array_index(known, uint32_t, local);
}

/* Reads records until frame n is in or the map ends. */
static bool read_up_to(es_frame_map *m, uint32_t n, GError **err)
{
    uint8_t buf[READ_RECORDS * ES_FRAMEMAP_RECORD];
    while (m->fp && m->recs->len < n) {
        size_t want = MIN((size_t)(n - m->recs->len), (size_t)READ_RECORDS) * ES_FRAMEMAP_RECORD;
        size_t got = fread(buf, 1, want, m->fp);
        if (!es_frame_map_feed(m, buf, got - got % ES_FRAMEMAP_RECORD, err))
            return false;
        if (got < want) {
            g_set_error(err, es_framemap_error_quark(), 3, "es.frame_map: %s ends after %u frames%s; "
                                                           "frame %u and the following are not exported",
                        m->path, m->recs->len,
                        got % ES_FRAMEMAP_RECORD ? " and part of a record" : "", m->recs->len + 1);
            return false;
        }
    }
    if (m->recs->len < n) {
        g_set_error(err, es_framemap_error_quark(), 3, "es.frame_map: %s has %u frames; frame %u and "
                                                       "the following are not exported",
                    m->path, m->recs->len, m->recs->len + 1);
        return false;
    }
    return true;
}

bool es_frame_map_get(es_frame_map *m, uint32_t n, es_frame_ref *out, GError **err)
{
    if (n == 0 || (n > m->recs->len && m->failed))
        return false;
    if (n > m->recs->len && !read_up_to(m, n, err)) {
        m->failed = true;
        return false;
    }
    *out = g_array_index(m->recs, es_frame_ref, n - 1);
    return true;
}

uint32_t es_frame_map_number(const es_frame_map *m, uint32_t n)
{
    return n && n <= m->recs->len ? g_array_index(m->recs, es_frame_ref, n - 1).number : 0;
}

bool es_time_origin_parse(const char *s, int64_t *secs, int32_t *nsecs)
{
    const char *p = s;
    if (!g_ascii_isdigit(*p))
        return false;
    char *end;
    errno = 0;
    guint64 whole = g_ascii_strtoull(p, &end, 10);
    if (errno || whole > G_MAXINT64)
        return false;
    int32_t ns = 0;
    if (*end == '.') {
        int digits = 0;
        for (end++; g_ascii_isdigit(*end) && digits < 9; end++, digits++)
            ns = ns * 10 + (*end - '0');
        if (!digits)
            return false;
        for (; digits < 9; digits++)
            ns *= 10;
    }
    if (*end)
        return false;
    *secs = (int64_t)whole;
    *nsecs = ns;
    return true;
}

bool es_capture_id_valid(const char *s)
{
    if (strlen(s) != ES_CAPID_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}
