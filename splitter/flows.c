/* flows.c — which part of a split capture each frame goes to, and the
 * TCP and UDP streams Wireshark begins.
 *
 * Each function is named after, and does what, the method or function of
 * scripts/wireshark_es_split.py of the same name does; "data" is the
 * frame, offsets are into it and every read is checked against its length.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "flows.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#define CACHE_MAX (1u << 20)     /* directional flows remembered: emptied when full */
#define FRAGMENTS_MAX (1u << 16) /* datagrams whose fragments are followed */
#define DEPTH_MAX 4              /* tunnels within tunnels looked into */

/* Byte strings as hash keys: addresses, ports, protocols. */
typedef struct bkey {
    uint8_t len;
    uint8_t b[47];
} bkey;

typedef struct conv {
    uint64_t parts;   /* bit mask of the parts whose run has seen it */
    uint32_t base[2]; /* each direction's base sequence number */
    uint8_t has_base[2];
    uint8_t closed; /* a RST or FIN/ACK seen */
    uint32_t index; /* its stream in the single run */
} conv;

typedef struct fixed {
    int kind;
    unsigned part;
} fixed;

struct es_flows {
    unsigned n;
    bool closing;       /* Wireshark 4.4+: SYN/ACK, and SYN after RST or FIN/ACK */
    unsigned tcp_quote; /* bytes of a quoted TCP header that number its stream */
    uint8_t tcp_slow[256];
    GHashTable *flows;     /* bkey -> part + 1 */
    GHashTable *fragments; /* bkey -> part + 1 */
    GHashTable *convs;     /* bkey -> conv */
    uint32_t total[ES_SPLIT_KINDS];
    uint32_t own[ES_SPLIT_KINDS][ES_SPLIT_MAX_PARTS];
    uint32_t elsewhere[ES_SPLIT_KINDS][ES_SPLIT_MAX_PARTS];
    GArray *fix; /* of fixed: counts to put back after this frame */
};

typedef struct frame {
    const uint8_t *data;
    size_t len;
} frame;

static guint bkey_hash(gconstpointer p)
{
    const bkey *k = p;
    guint h = 2166136261u;
    for (unsigned i = 0; i < k->len; i++)
        h = (h ^ k->b[i]) * 16777619u;
    return h;
}

static gboolean bkey_equal(gconstpointer a, gconstpointer b)
{
    const bkey *x = a, *y = b;
    return x->len == y->len && memcmp(x->b, y->b, x->len) == 0;
}

static void bkey_add(bkey *k, const uint8_t *p, size_t n)
{
    memcpy(k->b + k->len, p, n);
    k->len = (uint8_t)(k->len + n);
}

static unsigned u16_at(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t u32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

es_flows *es_flows_new(unsigned n, unsigned major, unsigned minor)
{
    es_flows *f = g_new0(es_flows, 1);
    unsigned version = major * 1000 + minor;
    f->n = n;
    f->closing = version >= 4004;
    f->tcp_quote = version >= 4006 ? 14 : 16;
    for (unsigned flags = 0; flags < 256; flags++)
        f->tcp_slow[flags] = f->closing ? (flags & 0x06) || (flags & 0x11) == 0x11 : (flags & 0x12) == 0x02;
    f->flows = g_hash_table_new_full(bkey_hash, bkey_equal, g_free, NULL);
    f->fragments = g_hash_table_new_full(bkey_hash, bkey_equal, g_free, NULL);
    f->convs = g_hash_table_new_full(bkey_hash, bkey_equal, g_free, g_free);
    f->fix = g_array_new(FALSE, FALSE, sizeof(fixed));
    return f;
}

void es_flows_free(es_flows *f)
{
    if (!f)
        return;
    g_hash_table_destroy(f->flows);
    g_hash_table_destroy(f->fragments);
    g_hash_table_destroy(f->convs);
    g_array_free(f->fix, TRUE);
    g_free(f);
}

uint32_t es_flows_elsewhere(const es_flows *f, int kind, unsigned part)
{
    return f->elsewhere[kind][part];
}

/* --- Streams ---------------------------------------------------------- */

/* The conversation's state, counted as begun where it is new. */
static conv *seen(es_flows *f, int kind, const bkey *key, unsigned part)
{
    conv *c = g_hash_table_lookup(f->convs, key);
    uint32_t *own = f->own[kind];
    if (!c) {
        c = g_new0(conv, 1);
        c->parts = UINT64_C(1) << part;
        c->index = f->total[kind]++;
        g_hash_table_insert(f->convs, g_memdup2(key, sizeof *key), c);
        own[part]++;
        for (unsigned k = 0; k < f->n; k++)
            f->elsewhere[kind][k] = f->total[kind] - own[k];
    } else if (!(c->parts >> part & 1)) { /* a conversation of another part */
        c->parts |= UINT64_C(1) << part;
        f->elsewhere[kind][part] = c->index - own[part];
        own[part]++;
        fixed fx = {kind, part};
        g_array_append_val(f->fix, fx);
    }
    return c;
}

void es_flows_frame_done(es_flows *f)
{
    for (guint i = 0; i < f->fix->len; i++) {
        fixed *fx = &g_array_index(f->fix, fixed, i);
        f->elsewhere[fx->kind][fx->part] = f->total[fx->kind] - f->own[fx->kind][fx->part];
    }
    g_array_set_size(f->fix, 0);
}

/* Whether a SYN begins a new conversation on a known port pair. */
static bool reused(const es_flows *f, const conv *c, int way, uint32_t seq, unsigned flags)
{
    if (!c->has_base[way])
        return false;
    if (f->closing)
        return c->base[way] != seq || c->closed;
    return c->base[way] != seq && !(flags & 0x10);
}

/* header: the TCP header's first 14 bytes; way: the direction. */
static void tcp(es_flows *f, const bkey *key, int way, const uint8_t *header, unsigned part, bool quoted)
{
    uint32_t seq = u32_at(header + 4), ack = u32_at(header + 8);
    unsigned flags = header[13];
    conv *c = g_hash_table_lookup(f->convs, key);
    if (c && (flags & 0x02) && reused(f, c, way, seq, flags))
        g_hash_table_remove(f->convs, key);
    c = seen(f, ES_SPLIT_TCP, key, part);
    if (quoted)
        return;
    if (!c->has_base[way]) {
        c->base[way] = flags & 0x02 ? seq : seq - 1;
        c->has_base[way] = 1;
    }
    if ((flags & 0x10) && !c->has_base[1 - way]) {
        c->base[1 - way] = ack - 1;
        c->has_base[1 - way] = 1;
    }
    if ((flags & 0x04) || (flags & 0x11) == 0x11)
        c->closed = 1;
}

/* --- Splitter --------------------------------------------------------- */

/* The conversation either way round: protocol, then the lower and the
 * higher of (address, port) of each side; *way: whether this side is the
 * higher. */
static void conversation_key(bkey *key, int *way, unsigned proto, const uint8_t *addrs, size_t alen,
                             const uint8_t *ports)
{
    uint8_t a[18], b[18];
    memcpy(a, addrs, alen);
    memcpy(a + alen, ports, 2);
    memcpy(b, addrs + alen, alen);
    memcpy(b + alen, ports + 2, 2);
    int cmp = memcmp(a, b, alen + 2);
    key->len = 0;
    key->b[key->len++] = (uint8_t)proto;
    bkey_add(key, cmp <= 0 ? a : b, alen + 2);
    bkey_add(key, cmp <= 0 ? b : a, alen + 2);
    *way = cmp > 0;
}

static unsigned crc_part(const es_flows *f, const uint8_t *p, size_t n)
{
    return (unsigned)(crc32(0, p, (uInt)n) % f->n);
}

static unsigned pair_part(const es_flows *f, const uint8_t *addrs, size_t alen)
{
    uint8_t pair[32];
    bool swap = memcmp(addrs, addrs + alen, alen) > 0;
    memcpy(pair, addrs + (swap ? alen : 0), alen);
    memcpy(pair + alen, addrs + (swap ? 0 : alen), alen);
    return crc_part(f, pair, 2 * alen);
}

/* The offset of the IP packet in the Ethernet frame at off (VLAN tags
 * skipped), or -1. */
static long ether_ip(const frame *fr, size_t off)
{
    off += 12;
    if (fr->len < off + 2)
        return -1;
    unsigned etype = u16_at(fr->data + off);
    while ((etype == 0x8100 || etype == 0x88a8 || etype == 0x9100) && fr->len >= off + 6) {
        off += 4;
        etype = u16_at(fr->data + off);
    }
    return etype == 0x0800 || etype == 0x86DD ? (long)(off + 2) : -1;
}

/* Past the IPv6 header at off and its hop-by-hop, routing and
 * destination options headers: the payload's offset, *nh its protocol. */
static size_t ipv6_payload(const frame *fr, size_t off, unsigned *nh)
{
    size_t l4 = off + 40;
    *nh = fr->data[off + 6];
    while ((*nh == 0 || *nh == 43 || *nh == 60) && fr->len >= l4 + 8) {
        size_t next = l4 + 8 + (size_t)fr->data[l4 + 1] * 8;
        *nh = fr->data[l4];
        l4 = next;
    }
    return l4;
}

typedef struct ip_info {
    int proto; /* -1: an IPv6 fragment */
    const uint8_t *addrs;
    size_t l4, alen;
} ip_info;

/* The IP packet at off; false if none, or not a first fragment. */
static bool ip_header(const frame *fr, size_t off, ip_info *ip)
{
    const uint8_t *d = fr->data;
    if (fr->len < off + 20)
        return false;
    unsigned version = d[off] >> 4;
    if (version == 4) {
        if ((d[off + 6] & 0x1F) || d[off + 7])
            return false;
        *ip = (ip_info){d[off + 9], d + off + 12, off + (d[off] & 15u) * 4, 4};
        return true;
    }
    if (version != 6 || fr->len < off + 40)
        return false;
    unsigned nh;
    size_t l4 = ipv6_payload(fr, off, &nh);
    *ip = (ip_info){nh == 44 ? -1 : (int)nh, d + off + 8, l4, 16};
    return true;
}

/* Where a GRE packet's payload starts: an IP packet (the offset), an
 * Ethernet frame (minus the offset), 0: other payloads. */
static long gre_payload(const frame *fr, size_t off)
{
    if (fr->len < off + 4)
        return 0;
    unsigned flags = u16_at(fr->data + off), ptype = u16_at(fr->data + off + 2);
    if (flags & 7)
        return 0;
    long at = (long)off + 4 + 4 * __builtin_popcount(flags & 0xB000);
    return ptype == 0x0800 || ptype == 0x86DD ? at : ptype == 0x6558 ? -at :
                                                                       0;
}

/* The offset of the IP packet a GTP-U T-PDU carries, else 0. */
static long gtpu_payload(const frame *fr, size_t off)
{
    const uint8_t *d = fr->data;
    unsigned flags = d[off];
    if (flags >> 5 != 1 || d[off + 1] != 0xFF)
        return 0;
    if (!(flags & 7))
        return (long)off + 8;
    if (fr->len < off + 12)
        return 0;
    unsigned ext = flags & 4 ? d[off + 11] : 0;
    off += 12;
    while (ext && fr->len > off) {
        size_t size = (size_t)d[off] * 4;
        if (!size || fr->len < off + size)
            return 0;
        ext = d[off + size - 1];
        off += size;
    }
    return (long)off;
}

static int tunnel_kind(unsigned port)
{
    switch (port) {
    case 4789:
    case 4790:
    case 6081:
    case 2152:
        return (int)port;
    default:
        return 0;
    }
}

/* For a UDP datagram at l4 to or from a tunnel's port: where the tunnelled
 * IP packet (offset) or Ethernet frame (minus it) starts; 0: none. */
static long udp_tunnel(const frame *fr, size_t l4)
{
    if (fr->len < l4 + 16)
        return 0;
    unsigned a = u16_at(fr->data + l4), b = u16_at(fr->data + l4 + 2);
    unsigned low = MIN(a, b), high = MAX(a, b);
    unsigned port = tunnel_kind(low) || low < 1024 ? low : high;
    size_t off = l4 + 8;
    const uint8_t *d = fr->data;
    switch (tunnel_kind(port)) {
    case 4789: /* VXLAN */
        return -(long)(off + 8);
    case 6081: { /* Geneve */
        unsigned ptype = u16_at(d + off + 2);
        long at = (long)(off + 8 + (d[off] & 0x3Fu) * 4);
        return ptype == 0x0800 || ptype == 0x86DD ? at : ptype == 0x6558 ? -at :
                                                                           0;
    }
    case 4790: /* VXLAN-GPE */
        return d[off + 3] == 1 || d[off + 3] == 2 ? (long)(off + 8) : d[off + 3] == 3 ? -(long)(off + 8) :
                                                                                        0;
    case 2152:
        return gtpu_payload(fr, off);
    default:
        return 0;
    }
}

static void inner(es_flows *f, const frame *fr, size_t off, unsigned part, int depth, bool quote);

/* A TCP or UDP header at l4: the stream it may begin. */
static void begins(es_flows *f, const frame *fr, size_t l4, unsigned proto, const bkey *key, int way,
                   unsigned part)
{
    if (proto == 6 && fr->len >= l4 + 20)
        tcp(f, key, way, fr->data + l4, part, false);
    else if (proto == 17 && fr->len >= l4 + 8 && (fr->data[l4 + 4] || fr->data[l4 + 5] >= 8))
        seen(f, ES_SPLIT_UDP, key, part);
}

/* The packet a tunnel carries at off: IP, or (off below 0) Ethernet at -off. */
static void tunnelled(es_flows *f, const frame *fr, long off, unsigned part, int depth)
{
    if (off < 0)
        off = ether_ip(fr, (size_t)-off);
    if (off > 0)
        inner(f, fr, (size_t)off, part, depth, false);
}

/* The conversations of the packets a frame carries at l4 (proto's
 * payload): quoted by an ICMP error, or tunnelled. */
static void carried(es_flows *f, const frame *fr, size_t l4, int proto, unsigned part, int depth)
{
    long off;
    if (proto == 1 || proto == 58) {
        unsigned type = fr->len > l4 ? fr->data[l4] : 0;
        bool error = proto == 1 ? type == 3 || type == 4 || type == 5 || type == 11 || type == 12 :
                                  type >= 1 && type <= 4;
        if (fr->len > l4 && error)
            inner(f, fr, l4 + 8, part, depth, true);
        return;
    }
    if (proto == 4 || proto == 41)
        off = (long)l4;
    else if (proto == 47)
        off = gre_payload(fr, l4);
    else if (proto == 17)
        off = udp_tunnel(fr, l4);
    else
        return;
    tunnelled(f, fr, off, part, depth);
}

/* The conversations of the IP packet at off inside a frame of part
 * (tunnelled, or quoted by an ICMP error: headers only). */
static void inner(es_flows *f, const frame *fr, size_t off, unsigned part, int depth, bool quote)
{
    ip_info ip;
    if (!ip_header(fr, off, &ip) || depth > DEPTH_MAX)
        return;
    if ((ip.proto == 6 || ip.proto == 17) && fr->len >= ip.l4 + 8) {
        bkey key;
        int way;
        conversation_key(&key, &way, (unsigned)ip.proto, ip.addrs, ip.alen, fr->data + ip.l4);
        if (!quote || ip.proto == 17)
            begins(f, fr, ip.l4, (unsigned)ip.proto, &key, way, part);
        else if (fr->len >= ip.l4 + f->tcp_quote)
            tcp(f, &key, way, fr->data + ip.l4, part, true);
    }
    if (!quote)
        carried(f, fr, ip.l4, ip.proto, part, depth + 1);
}

static void remember(GHashTable *table, unsigned max, const bkey *key, unsigned part)
{
    if (g_hash_table_size(table) >= max)
        g_hash_table_remove_all(table);
    g_hash_table_insert(table, g_memdup2(key, sizeof *key), GUINT_TO_POINTER(part + 1));
}

static unsigned flow_part(es_flows *f, const frame *fr, size_t l4, int proto, const uint8_t *addrs,
                          size_t alen)
{
    if ((proto != 6 && proto != 17 && proto != 132) || fr->len < l4 + 4) {
        unsigned part = pair_part(f, addrs, alen);
        carried(f, fr, l4, proto, part, 0);
        return part;
    }
    bkey key = {0};
    bkey_add(&key, addrs, 2 * alen);
    bkey_add(&key, fr->data + l4, 4);
    key.b[key.len++] = (uint8_t)proto;
    gpointer known = g_hash_table_lookup(f->flows, &key);
    long tunnel = proto == 17 ? udp_tunnel(fr, l4) : 0;
    unsigned part = known ? GPOINTER_TO_UINT(known) - 1 : 0;
    if (!known || tunnel || (proto == 6 && fr->len > l4 + 13 && f->tcp_slow[fr->data[l4 + 13]])) {
        bkey conversation;
        int way;
        conversation_key(&conversation, &way, (unsigned)proto, addrs, alen, fr->data + l4);
        if (!known) {
            part = crc_part(f, conversation.b, conversation.len);
            remember(f->flows, CACHE_MAX, &key, part);
        }
        begins(f, fr, l4, (unsigned)proto, &conversation, way, part);
        if (tunnel)
            tunnelled(f, fr, tunnel, part, 0);
    }
    return part;
}

/* A datagram's fragments go where its first fragment went. */
static unsigned fragment_part(es_flows *f, const bkey *key, bool first, const frame *fr, size_t l4, int proto,
                              const uint8_t *addrs, size_t alen)
{
    gpointer known = g_hash_table_lookup(f->fragments, key);
    if (known)
        return GPOINTER_TO_UINT(known) - 1;
    if (g_hash_table_size(f->fragments) >= FRAGMENTS_MAX)
        g_hash_table_remove_all(f->fragments);
    unsigned part = first ? flow_part(f, fr, l4, proto, addrs, alen) : pair_part(f, addrs, alen);
    g_hash_table_insert(f->fragments, g_memdup2(key, sizeof *key), GUINT_TO_POINTER(part + 1));
    return part;
}

static unsigned ipv4_part(es_flows *f, const frame *fr, size_t off)
{
    const uint8_t *d = fr->data;
    size_t l4 = off + (d[off] & 15u) * 4;
    unsigned proto = d[off + 9], frag = u16_at(d + off + 6);
    if (!(frag & 0x3FFF))
        return flow_part(f, fr, l4, (int)proto, d + off + 12, 4);
    bkey key = {0};
    key.b[key.len++] = 4;
    bkey_add(&key, d + off + 12, 8);
    key.b[key.len++] = (uint8_t)proto;
    bkey_add(&key, d + off + 4, 2);
    return fragment_part(f, &key, !(frag & 0x1FFF), fr, l4, (int)proto, d + off + 12, 4);
}

static unsigned ipv6_part(es_flows *f, const frame *fr, size_t off)
{
    const uint8_t *d = fr->data;
    unsigned nh;
    size_t l4 = ipv6_payload(fr, off, &nh);
    if (nh != 44 || fr->len < l4 + 8)
        return flow_part(f, fr, l4, (int)nh, d + off + 8, 16);
    unsigned frag = u16_at(d + l4 + 2), proto = d[l4];
    bkey key = {0};
    key.b[key.len++] = 6;
    bkey_add(&key, d + off + 8, 32);
    key.b[key.len++] = (uint8_t)proto;
    bkey_add(&key, d + l4 + 4, 4);
    return fragment_part(f, &key, !(frag & 0xFFF8), fr, l4 + 8, (int)proto, d + off + 8, 16);
}

static unsigned ip_part(es_flows *f, const frame *fr, size_t off)
{
    if (fr->len < off + 20)
        return 0;
    unsigned version = fr->data[off] >> 4;
    if (version == 4)
        return ipv4_part(f, fr, off);
    if (version == 6 && fr->len >= off + 40)
        return ipv6_part(f, fr, off);
    return 0;
}

unsigned es_flows_part(es_flows *f, unsigned link, const uint8_t *data, size_t len)
{
    frame fr = {data, len};
    if (len < 20)
        return 0;
    switch (link) {
    case 1: { /* Ethernet */
        long off = ether_ip(&fr, 0);
        return off < 0 ? 0 : ip_part(f, &fr, (size_t)off);
    }
    case 113:   /* Linux cooked */
    case 276: { /* Linux cooked v2 */
        unsigned etype = u16_at(data + (link == 113 ? 14 : 0));
        return etype == 0x0800 || etype == 0x86DD ? ip_part(f, &fr, link == 113 ? 16 : 20) : 0;
    }
    case 101:
    case 228:
    case 229:
    case 12:
    case 14: /* raw IP */
        return ip_part(f, &fr, 0);
    case 0:
    case 108: /* BSD loopback */
        return ip_part(f, &fr, 4);
    default:
        return 0;
    }
}
