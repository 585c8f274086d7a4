/* pcapng.c — a streaming pcapng writer for rebuilt packets.
 *
 * Blocks are written in host byte order (the section header's byte-order
 * magic says which), each built whole in a scratch buffer first so a block
 * is either written completely or the writer is marked failed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pcapng.h"

#include <string.h>

#include <glib.h>

#include "version.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

struct pcapng_writer {
    FILE *out;
    GByteArray *block;
    GHashTable *ifaces; /* "linktype/source" -> interface id + 1 */
    unsigned n_ifaces;
    bool failed;
};

static void put32(GByteArray *b, uint32_t v)
{
    g_byte_array_append(b, (const guint8 *)&v, 4);
}
static void put16(GByteArray *b, uint16_t v)
{
    g_byte_array_append(b, (const guint8 *)&v, 2);
}

static void pad4(GByteArray *b)
{
    static const guint8 zero[4];
    g_byte_array_append(b, zero, (4 - b->len % 4) % 4);
}

/* An option; values are padded to 32 bits.  Longer values are cut to
 * what the 16-bit length can say. */
static void put_option(GByteArray *b, uint16_t code, const void *value, size_t len)
{
    if (len > 0xfff0)
        len = 0xfff0;
    put16(b, code);
    put16(b, (uint16_t)len);
    g_byte_array_append(b, value, (guint)len);
    pad4(b);
}

static void begin_block(GByteArray *b, uint32_t type)
{
    g_byte_array_set_size(b, 0);
    put32(b, type);
    put32(b, 0); /* total length, filled by end_block() */
}

/* Ends the options, fills both length fields and writes the block. */
static bool end_block(pcapng_writer *w, bool options)
{
    GByteArray *b = w->block;
    if (options)
        put_option(b, OPT_END, NULL, 0);
    uint32_t total = b->len + 4;
    memcpy(b->data + 4, &total, 4);
    put32(b, total);
    if (!w->failed && fwrite(b->data, 1, b->len, w->out) != b->len)
        w->failed = true;
    return !w->failed;
}

pcapng_writer *pcapng_writer_new(FILE *out)
{
    pcapng_writer *w = g_new0(pcapng_writer, 1);
    w->out = out;
    w->block = g_byte_array_new();
    w->ifaces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    begin_block(w->block, BT_SHB);
    put32(w->block, 0x1A2B3C4Du);
    put16(w->block, 1);
    put16(w->block, 0);
    const int64_t unknown_length = -1;
    g_byte_array_append(w->block, (const guint8 *)&unknown_length, 8);
    const char *app = "esdump " ES_PLUGIN_VERSION " (wireshark-es)";
    put_option(w->block, OPT_SHB_USERAPPL, app, strlen(app));
    if (!end_block(w, true)) {
        pcapng_writer_free(w);
        return NULL;
    }
    return w;
}

void pcapng_writer_free(pcapng_writer *w)
{
    if (!w)
        return;
    g_byte_array_free(w->block, TRUE);
    g_hash_table_destroy(w->ifaces);
    g_free(w);
}

/* The interface id of p's (linktype, source), describing it first if new. */
static bool interface_of(pcapng_writer *w, const pcapng_packet *p, uint32_t *id)
{
    char *key = g_strdup_printf("%u/%s", p->linktype, p->source ? p->source : "");
    gpointer found = g_hash_table_lookup(w->ifaces, key);
    if (found) {
        g_free(key);
        *id = GPOINTER_TO_UINT(found) - 1;
        return true;
    }
    *id = w->n_ifaces++;
    g_hash_table_insert(w->ifaces, key, GUINT_TO_POINTER(*id + 1));
    begin_block(w->block, BT_IDB);
    put16(w->block, (uint16_t)p->linktype);
    put16(w->block, 0);
    put32(w->block, 0); /* snap length: none */
    const char *name = p->source_name ? p->source_name : p->source;
    if (name && *name)
        put_option(w->block, OPT_IF_NAME, name, strlen(name));
    const guint8 tsresol = 9; /* 10^-9 s */
    put_option(w->block, OPT_IF_TSRESOL, &tsresol, 1);
    return end_block(w, true);
}

bool pcapng_writer_packet(pcapng_writer *w, const pcapng_packet *p)
{
    uint32_t id;
    if (w->failed || !interface_of(w, p, &id))
        return false;
    GByteArray *b = w->block;
    begin_block(b, BT_EPB);
    put32(b, id);
    put32(b, (uint32_t)(p->ts_ns >> 32));
    put32(b, (uint32_t)p->ts_ns);
    put32(b, p->cap_len);
    put32(b, p->orig_len);
    g_byte_array_append(b, p->data, p->cap_len);
    pad4(b);
    if (p->comment)
        put_option(b, OPT_COMMENT, p->comment, strlen(p->comment));
    return end_block(w, p->comment != NULL);
}

bool pcapng_writer_flush(pcapng_writer *w)
{
    if (!w->failed && fflush(w->out) != 0)
        w->failed = true;
    return !w->failed;
}

unsigned pcapng_writer_interfaces(const pcapng_writer *w)
{
    return w->n_ifaces;
}
