/* parts.c — the parts of a split capture and their frame maps, written.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "parts.h"

#include <errno.h>
#include <unistd.h>

#include <glib.h>

#define PIPE_EVERY 2047        /* frames & this == 0: flush a pipe's part */
#define FILE_BUFFER (1u << 20) /* a file's part is flushed past this */

typedef struct part {
    int fd[2]; /* map, capture; -1: gone */
    GByteArray *buf[2];
    uint64_t frames;
} part;

struct es_parts {
    unsigned n;
    bool pipes;
    part *part;
};

es_parts *es_parts_new(unsigned n, const int *caps, const int *maps, bool pipes)
{
    es_parts *p = g_new0(es_parts, 1);
    p->n = n;
    p->pipes = pipes;
    p->part = g_new0(part, n);
    for (unsigned k = 0; k < n; k++) {
        p->part[k].fd[0] = maps[k];
        p->part[k].fd[1] = caps[k];
        for (int i = 0; i < 2; i++)
            p->part[k].buf[i] = g_byte_array_sized_new(FILE_BUFFER + 65536);
    }
    return p;
}

static bool write_all(int fd, const uint8_t *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        data += w;
        len -= (size_t)w;
    }
    return true;
}

/* Map first, then capture; a reader gone (EPIPE) closes the part. */
static es_parts_result flush(es_parts *p, unsigned k)
{
    part *pt = &p->part[k];
    for (int i = 0; i < 2; i++) {
        if (pt->fd[i] >= 0 && !write_all(pt->fd[i], pt->buf[i]->data, pt->buf[i]->len)) {
            if (errno != EPIPE)
                return ES_PARTS_ERROR;
            for (int j = 0; j < 2; j++) {
                if (pt->fd[j] >= 0)
                    close(pt->fd[j]);
                pt->fd[j] = -1;
            }
        }
        g_byte_array_set_size(pt->buf[i], 0);
    }
    for (unsigned j = 0; j < p->n; j++)
        if (p->part[j].fd[0] >= 0 || p->part[j].fd[1] >= 0)
            return ES_PARTS_OK;
    return ES_PARTS_GONE;
}

void es_parts_to_all(es_parts *p, const uint8_t *block, size_t len)
{
    for (unsigned k = 0; k < p->n; k++)
        g_byte_array_append(p->part[k].buf[1], block, (guint)len);
}

es_parts_result es_parts_frame(es_parts *p, unsigned k, const uint8_t record[ES_SPLIT_RECORD],
                               const uint8_t *block, size_t len)
{
    part *pt = &p->part[k];
    g_byte_array_append(pt->buf[0], record, ES_SPLIT_RECORD);
    g_byte_array_append(pt->buf[1], block, (guint)len);
    pt->frames++;
    if (p->pipes ? !(pt->frames & PIPE_EVERY) : pt->buf[1]->len >= FILE_BUFFER)
        return flush(p, k);
    return ES_PARTS_OK;
}

uint64_t es_parts_frames(const es_parts *p, unsigned k)
{
    return p->part[k].frames;
}

es_parts_result es_parts_close(es_parts *p)
{
    es_parts_result res = ES_PARTS_OK;
    for (unsigned k = 0; k < p->n; k++) {
        if (flush(p, k) == ES_PARTS_ERROR)
            res = ES_PARTS_ERROR;
        for (int i = 0; i < 2; i++) {
            if (p->part[k].fd[i] >= 0 && close(p->part[k].fd[i]) != 0 && res == ES_PARTS_OK)
                res = ES_PARTS_ERROR;
            g_byte_array_free(p->part[k].buf[i], TRUE);
        }
    }
    g_free(p->part);
    g_free(p);
    return res;
}
