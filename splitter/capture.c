/* capture.c — a pcap or pcapng file (gzipped or not), block by block.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "capture.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#define CHUNK (8u << 20)

typedef struct reader {
    gzFile in;
    uint8_t *buf;
    size_t len, cap;
    bool eof;
    const char *error; /* a read failed: why */
} reader;

/* Keeps the unread tail from pos and appends the next chunk; false at the
 * end of the file or on an error (r->error). */
static bool more(reader *r, size_t pos)
{
    if (pos) {
        memmove(r->buf, r->buf + pos, r->len - pos);
        r->len -= pos;
    }
    if (r->eof)
        return false;
    if (r->cap - r->len < CHUNK) {
        r->cap = r->len + CHUNK;
        r->buf = g_realloc(r->buf, r->cap);
    }
    int n = gzread(r->in, r->buf + r->len, CHUNK);
    if (n < 0) {
        int err;
        r->error = gzerror(r->in, &err);
        r->eof = true;
        return false;
    }
    r->len += (size_t)n;
    r->eof = n == 0;
    return n > 0;
}

static uint32_t u32(const uint8_t *p, bool little)
{
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 :
                    (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static unsigned u16(const uint8_t *p, bool little)
{
    return little ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[1] | (unsigned)p[0] << 8;
}

/* --- pcap ------------------------------------------------------------- */

typedef struct pcap_kind {
    uint32_t magic;
    size_t record;  /* record header bytes */
    uint64_t scale; /* fraction to ns */
} pcap_kind;

static const pcap_kind pcap_kinds[] = {{0xa1b2c3d4, 16, 1000}, {0xa1b23c4d, 16, 1}, {0xa1b2cd34, 24, 1000}};

static const pcap_kind *pcap_kind_of(const uint8_t *head, bool *little)
{
    for (int order = 0; order < 2; order++) {
        *little = order == 0;
        for (size_t i = 0; i < G_N_ELEMENTS(pcap_kinds); i++)
            if (u32(head, *little) == pcap_kinds[i].magic)
                return &pcap_kinds[i];
    }
    return NULL;
}

static es_capture_result read_pcap(reader *r, const es_capture_handler *h, const char **why)
{
    bool little;
    const pcap_kind *kind = pcap_kind_of(r->buf, &little);
    unsigned link = u32(r->buf + 20, little) & 0xFFFF; /* above: the FCS length */
    if (!h->other(h->data, r->buf, 24))
        return ES_CAPTURE_STOPPED;
    size_t pos = 24;
    for (;; pos = 0) {
        while (pos + kind->record <= r->len) {
            const uint8_t *rec = r->buf + pos;
            uint32_t incl = u32(rec + 8, little);
            if (pos + kind->record + incl > r->len)
                break;
            es_capture_frame fr = {link, rec + kind->record, incl, u32(rec, little),
                                   (uint64_t)u32(rec + 4, little) * kind->scale, rec, kind->record + incl};
            if (!h->frame(h->data, &fr, why))
                return ES_CAPTURE_STOPPED;
            pos += kind->record + incl;
        }
        if (!more(r, pos))
            return ES_CAPTURE_OK;
    }
}

/* --- pcapng ----------------------------------------------------------- */

typedef struct interface {
    unsigned link;
    unsigned exponent; /* if_tsresol's power */
    bool binary;       /* a power of 2, else of 10 */
    int64_t offset;    /* if_tsoffset, seconds */
} interface;

typedef struct section {
    bool little;
    GArray *interfaces;
} section;

static void add_interface(section *s, const uint8_t *block, size_t len)
{
    interface ifc = {u16(block + 8, s->little), 6, false, 0};
    size_t pos = 16;
    while (pos + 4 + 4 <= len) {
        unsigned code = u16(block + pos, s->little), olen = u16(block + pos + 2, s->little);
        if (code == 0)
            break;
        if (code == 9 && olen >= 1) {
            ifc.binary = block[pos + 4] & 0x80;
            ifc.exponent = block[pos + 4] & (ifc.binary ? 0x7F : 0xFF);
        } else if (code == 14 && olen >= 8) {
            uint64_t lo = u32(block + pos + 4, s->little), hi = u32(block + pos + 8, s->little);
            ifc.offset = (int64_t)(s->little ? hi << 32 | lo : lo << 32 | hi);
        }
        pos += 4 + (olen + 3u) / 4 * 4;
    }
    g_array_append_val(s->interfaces, ifc);
}

/* A frame's time from its interface's units; false if its seconds do
 * not fit in 64 bits. */
static bool frame_time(const interface *ifc, uint64_t ticks, int64_t *secs, uint64_t *nsecs)
{
    unsigned __int128 units = 1;
    for (unsigned i = 0; i < ifc->exponent; i++) {
        units *= ifc->binary ? 2 : 10;
        if (units > ((unsigned __int128)1 << 100)) { /* above ticks * 10^9: 0 s and 0 ns */
            *secs = ifc->offset;
            *nsecs = 0;
            return true;
        }
    }
    __int128 whole = (__int128)(ticks / units) + ifc->offset;
    if (whole > INT64_MAX || whole < INT64_MIN)
        return false;
    *secs = (int64_t)whole;
    *nsecs = (uint64_t)((ticks % units) * 1000000000u / units);
    return true;
}

/* One block at r->buf + pos of length blen (checked). */
static es_capture_result pcapng_block(section *s, const uint8_t *b, size_t blen, const es_capture_handler *h,
                                      const char **why)
{
    static char msg[96];
    unsigned btype = u32(b, s->little);
    if (btype == 2 || btype == 6) {
        uint32_t iface = u32(b + 8, s->little);
        if (btype == 2)
            iface &= s->little ? 0xFFFF : 0xFFFF0000;
        if (iface >= s->interfaces->len) {
            g_snprintf(msg, sizeof msg, "a frame names interface %u, not described", iface);
            *why = msg;
            return ES_CAPTURE_UNSPLITTABLE;
        }
        const interface *ifc = &g_array_index(s->interfaces, interface, iface);
        uint64_t ticks = (uint64_t)u32(b + 12, s->little) << 32 | u32(b + 16, s->little);
        /* a block too short for its header holds no packet bytes */
        size_t caplen = blen < 32 ? 0 : MIN((size_t)u32(b + 20, s->little), blen - 32);
        es_capture_frame fr = {ifc->link, b + 28, caplen, 0, 0, b, blen};
        if (!frame_time(ifc, ticks, &fr.secs, &fr.nsecs)) {
            *why = "a frame time out of range";
            return ES_CAPTURE_UNSPLITTABLE;
        }
        return h->frame(h->data, &fr, why) ? ES_CAPTURE_OK : ES_CAPTURE_STOPPED;
    }
    if (btype == 1)
        add_interface(s, b, blen);
    else if (btype == 3 || btype == 0x204 || btype == 0x208) {
        g_snprintf(msg, sizeof msg, "pcapng block type %#x (a frame without an interface time stamp)", btype);
        *why = msg;
        return ES_CAPTURE_UNSPLITTABLE;
    }
    return h->other(h->data, b, blen) ? ES_CAPTURE_OK : ES_CAPTURE_STOPPED;
}

static es_capture_result read_pcapng(reader *r, const es_capture_handler *h, const char **why)
{
    static char msg[64];
    section s = {true, g_array_new(FALSE, FALSE, sizeof(interface))};
    bool have_section = false;
    es_capture_result res = ES_CAPTURE_OK;
    for (size_t pos = 0; res == ES_CAPTURE_OK; pos = 0) {
        while (res == ES_CAPTURE_OK && pos + 28 <= r->len) {
            const uint8_t *b = r->buf + pos;
            if (memcmp(b, "\x0a\x0d\x0d\x0a", 4) == 0) {
                s.little = memcmp(b + 8, "\x4d\x3c\x2b\x1a", 4) == 0;
                g_array_set_size(s.interfaces, 0);
                have_section = true;
            }
            if (!have_section) {
                *why = "no section header block first";
                res = ES_CAPTURE_UNSPLITTABLE;
                break;
            }
            uint32_t blen = u32(b + 4, s.little);
            if (blen < 12 || blen % 4) {
                g_snprintf(msg, sizeof msg, "a block of length %u", blen);
                *why = msg;
                res = ES_CAPTURE_UNSPLITTABLE;
                break;
            }
            if (pos + blen > r->len)
                break;
            res = pcapng_block(&s, b, blen, h, why);
            pos += blen;
        }
        if (res != ES_CAPTURE_OK || !more(r, pos))
            break;
    }
    g_array_free(s.interfaces, TRUE);
    return res;
}

es_capture_result es_capture_read(const char *path, const es_capture_handler *h, const char **why)
{
    reader r = {gzopen(path, "rb"), NULL, 0, 0, false, NULL};
    if (!r.in) {
        *why = g_strerror(errno);
        return ES_CAPTURE_IO;
    }
    es_capture_result res;
    bool little;
    more(&r, 0);
    if (r.error) {
        res = ES_CAPTURE_IO;
    } else if (r.len >= 4 && memcmp(r.buf, "\x0a\x0d\x0d\x0a", 4) == 0) {
        res = read_pcapng(&r, h, why);
    } else if (r.len >= 24 && pcap_kind_of(r.buf, &little)) {
        res = read_pcap(&r, h, why);
    } else {
        *why = "not a pcap or pcapng file";
        res = ES_CAPTURE_UNSPLITTABLE;
    }
    static char error[128];
    if (r.error && res != ES_CAPTURE_UNSPLITTABLE) {
        g_strlcpy(error, r.error, sizeof error); /* gzerror()'s text lives until gzclose() */
        *why = error;
        res = ES_CAPTURE_IO;
    }
    gzclose(r.in);
    g_free(r.buf);
    return res;
}
