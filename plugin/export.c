/* export.c — the exporter's life cycle and its tap listener.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include <epan/epan.h>
#include <epan/column-utils.h>
#include <epan/epan_dissect.h>
#include <epan/plugin_if.h>
#include <epan/tap.h>
#include <wiretap/pcap-encap.h>
#include <wiretap/wtap.h>
#include <wsutil/report_message.h>

#include "bulk.h"
#include "capid.h"
#include "cmdline.h"
#include "esapi.h"
#include "flatten.h"
#include "framemap.h"
#include "jsonw.h"
#include "progress.h"
#include "queue.h"
#include "schema.h"
#include "sender.h"
#include "stats.h"
#include "timefmt.h"

#define MAX_ITEM (32u << 20) /* largest bulk item (action + document) */

/* A member name encoded as a JSON string, with its length. */
typedef struct ekey {
    char *s;
    size_t n;
} ekey;

/* The ECS members of one combination of layers, encoded. */
typedef struct ecs_slot {
    uint64_t key; /* top protocol id, transport and type, as write_ecs() packs them */
    ekey members; /* .s NULL: none yet */
} ecs_slot;
#define ECS_SLOTS_LOG2 5

/* Everything that delivers documents; lives from the first frame to
 * shutdown or a change of settings. */
typedef struct pipeline {
    es_settings settings;
    es_sink sink;
    es_stats stats;
    es_queue *q;
    es_batcher *batcher;
    es_sender *sender;
    es_schema *schema;
    es_flattener *flat;
    es_progress *progress; /* tshark on a terminal: the live line */
    es_name_style style;
    esbuf rec;
    int64_t started_us;
    bool failed; /* could not start: frames are counted as dropped */
    /* metadata member names, encoded as JSON strings */
    ekey k_timestamp, k_capture, k_capture_id, k_host, k_frame, k_linktype, k_caplen, k_raw;
    ekey k_create, k_id;                                         /* the action line's */
    ekey k_net_type, k_net_transport, k_net_protocol, k_dataset; /* ECS; .s NULL when off */
    ekey k_col_info, k_col_protocol;                             /* es.columns; .s NULL when off */
    int proto_data, proto_ip, proto_ipv6, proto_transport[8];    /* ECS layers, -1 if absent */
    ecs_slot ecs[1 << ECS_SLOTS_LOG2];
    /* index name of the last second seen */
    gint64 index_secs;
    char index[256];
    ekey index_member; /* the action line's "_index":"NAME", for that index */
    /* the members every document of the capture repeats, encoded once */
    ekey constant;
    unsigned constant_for;    /* exporter.capture_gen it was encoded for, 0: none */
    uint32_t num;             /* the frame's number: the original's in a split capture */
    nstime_t relative, delta; /* a split capture's frame times, for the flattener */
    es_frame_ref ref;         /* and the frame's map record */
} pipeline;

static struct {
    char **argv;
    bool gui;
    es_settings wanted; /* the settings configured; a pipeline starts with them */
    bool enabled;
    bool tap_on;
    char *filter;       /* display filter set on the tap */
    pipeline *pipeline; /* NULL until the first frame */

    /* the capture being read */
    bool capid_known;
    unsigned capture_gen; /* counts identify_capture() */
    char capid[ES_CAPID_LEN + 1];
    char *source; /* file name or interfaces */
    /* frames exported from that capture: Wireshark re-runs taps on every
     * filter change, and those frames need not be sent again */
    char exported_capid[ES_CAPID_LEN + 1];
    GByteArray *exported; /* bit per frame number */
    /* a part of a split capture (es.frame_map); NULL: a whole capture */
    char *map_path;
    es_frame_map *map;
    bool has_origin;
    nstime_t origin; /* es.time_origin */

    GHashTable *linktype_of_encap;
    char host[256];
} exporter;

/* A metadata member: registered in the schema, returned encoded. */
static ekey member_key(pipeline *p, const char *key, es_map_class cls)
{
    es_schema_add(p->schema, key, cls);
    ekey k;
    k.s = jw_encode_key(key, &k.n);
    return k;
}

static ekey meta_key(pipeline *p, const char *name, es_map_class cls)
{
    return member_key(p, es_meta_key(p->style, name), cls);
}

static void pipeline_free_keys(pipeline *p)
{
    g_free(p->k_timestamp.s);
    g_free(p->k_create.s);
    g_free(p->k_id.s);
    g_free(p->index_member.s);
    g_free(p->constant.s);
    g_free(p->k_capture.s);
    g_free(p->k_capture_id.s);
    g_free(p->k_host.s);
    g_free(p->k_net_type.s);
    g_free(p->k_net_transport.s);
    g_free(p->k_net_protocol.s);
    g_free(p->k_dataset.s);
    g_free(p->k_frame.s);
    g_free(p->k_linktype.s);
    g_free(p->k_caplen.s);
    g_free(p->k_raw.s);
    g_free(p->k_col_info.s);
    g_free(p->k_col_protocol.s);
}

void es_export_fail(const char *msg)
{
    if (exporter.gui) {
        report_failure("Elasticsearch export: %s", msg);
        return;
    }
    fprintf(stderr, "tshark: %s\n", msg);
    exit(1);
}

static const struct {
    const char *proto, *ecs;
} ecs_transports[] = {
    {"tcp", "tcp"},
    {"udp", "udp"},
    {"sctp", "sctp"},
    {"icmp", "icmp"},
    {"icmpv6", "ipv6-icmp"},
    {"igmp", "igmp"},
    {"gre", "gre"},
    {"esp", "esp"},
};

/* The protocol ids write_ecs() compares a frame's layers with, looked up
 * once: comparing names cost a few dozen strcmp() a frame. */
static void resolve_ecs_protocols(pipeline *p)
{
    p->proto_data = proto_get_id_by_filter_name("data");
    p->proto_ip = proto_get_id_by_filter_name("ip");
    p->proto_ipv6 = proto_get_id_by_filter_name("ipv6");
    for (size_t i = 0; i < G_N_ELEMENTS(ecs_transports); i++)
        p->proto_transport[i] = proto_get_id_by_filter_name(ecs_transports[i].proto);
}

/* The sink, the queue, the batcher, the schema and the sender thread;
 * false (err set) if they cannot start. */
static bool start_delivery(pipeline *p, const es_settings *s, GError **err)
{
    if (!es_sink_parse(s->node, &p->sink, err))
        return false;
    es_batcher_limits lim = {
        .max_bytes = (size_t)s->bulk_kib * 1024,
        .max_docs = s->bulk_docs,
        .max_age_us = (int64_t)s->bulk_age_ms * 1000,
        .max_item = MAX_ITEM,
    };
    p->q = es_queue_new(s->queue, es_batch_free);
    p->batcher = es_batcher_new(&lim, p->q);
    p->schema = es_schema_new();
    /* tshark -i: a live capture, which must never wait for the cluster. */
    bool is_file = true;
    g_free(exporter.gui ? NULL : es_cmdline_source(exporter.argv, &is_file));
    bool live = !exporter.gui && !is_file;
    p->sender = es_sender_start(s, &p->sink, live, p->q, p->batcher, p->schema, &p->stats, &p->style, err);
    return p->sender != NULL;
}

/* The metadata members, registered in the schema, their names encoded
 * once.  Written even when the frame protocol is not exported
 * (es.protocols): the frame's identity and what es.raw holds. */
static void add_meta_keys(pipeline *p, const es_settings *s)
{
    p->k_timestamp = member_key(p, "@timestamp", ES_MAP_TIMESTAMP);
    p->k_create.s = jw_encode_key("create", &p->k_create.n);
    p->k_id.s = jw_encode_key("_id", &p->k_id.n);
    p->k_capture = meta_key(p, "capture", ES_MAP_KEYWORD);
    p->k_capture_id = meta_key(p, "capture_id", ES_MAP_KEYWORD);
    if (s->ecs) {
        /* The sensor's name under its ECS name; Wireshark fields feed
         * source.ip and the like through copy_to (flatten.c). */
        p->k_host = member_key(p, "observer.hostname", ES_MAP_KEYWORD);
        p->k_net_type = member_key(p, "network.type", ES_MAP_KEYWORD);
        p->k_net_transport = member_key(p, "network.transport", ES_MAP_KEYWORD);
        p->k_net_protocol = member_key(p, "network.protocol", ES_MAP_KEYWORD);
        resolve_ecs_protocols(p);
        es_flatten_register_ecs(p->schema);
        /* One value for every document: kept in the mapping where the
         * cluster has constant_keyword (Elasticsearch with dotted names,
         * with x-pack). */
        if (p->style == ES_NAMES_DOTTED && !(es_schema_lacks(p->schema) & ES_LACKS_CONSTANT_KEYWORD))
            es_schema_add_constant(p->schema, "event.dataset", ES_DATASET);
        else
            p->k_dataset = member_key(p, "event.dataset", ES_MAP_KEYWORD);
    } else {
        p->k_host = meta_key(p, "host", ES_MAP_KEYWORD);
    }
    bool dotted = p->style != ES_NAMES_UNDERSCORE;
    p->k_frame = member_key(p, dotted ? "frame.number" : "frame_number", ES_MAP_LONG);
    p->k_linktype = meta_key(p, "linktype", ES_MAP_LONG);
    p->k_caplen = member_key(p, dotted ? "frame.cap_len" : "frame_cap_len", ES_MAP_LONG);
    p->k_raw = meta_key(p, "raw", ES_MAP_BINARY);
    if (s->columns) {
        /* Info as keyword (what Discover shows, sorts and aggregates) with a
         * text sub-field for words: _ws.col.info.text:retransmission */
        p->k_col_info = member_key(p, dotted ? ES_COL_INFO : "_ws_col_info", ES_MAP_SEARCH_TEXT);
        p->k_col_protocol = member_key(p, dotted ? ES_COL_PROTOCOL : "_ws_col_protocol", ES_MAP_KEYWORD);
    }
}

static pipeline *pipeline_start(const es_settings *s)
{
    pipeline *p = g_new0(pipeline, 1);
    GError *err = NULL;
    es_settings_copy(&p->settings, s);
    es_stats_init(&p->stats);
    p->started_us = g_get_monotonic_time();
    p->index_secs = G_MININT64;
    /* New settings may mean a new destination: send every frame again. */
    g_byte_array_set_size(exporter.exported, 0);
    esbuf_init(&p->rec, 64 * 1024, MAX_ITEM);
    if (!start_delivery(p, s, &err)) {
        es_export_fail(err->message);
        g_error_free(err);
        p->failed = true;
        return p;
    }
    add_meta_keys(p, s);
    p->flat = es_flattener_new(s, p->style, p->schema);
    if (!exporter.gui && es_progress_wanted(es_cmdline_quiet(exporter.argv)))
        p->progress = es_progress_start(&p->stats);
    return p;
}

/* es.dump_template: the template with every field of the run, to install
 * by hand (scripts/put-template). */
static void dump_template(pipeline *p, const es_server_info *info)
{
    char *body = es_template_body(info, p->style, &p->settings, p->schema);
    GError *err = NULL;
    if (!g_file_set_contents(p->settings.dump_template, body, -1, &err)) {
        fprintf(stderr, "wireshark-es: es.dump_template: %s\n", err->message);
        g_error_free(err);
    } else {
        char *name = es_template_name(es_settings_target(&p->settings));
        fprintf(stderr, "wireshark-es: index template %s (%zu fields) written to %s\n", name,
                es_schema_fields(p->schema), p->settings.dump_template);
        g_free(name);
    }
    g_free(body);
}

static void pipeline_stop(pipeline *p)
{
    if (!p)
        return;
    if (p->sender) {
        es_server_info info;
        es_sender_stop(p->sender, p->settings.flush_timeout_s, &info);
        es_progress_stop(p->progress);
        if (*p->settings.dump_template)
            dump_template(p, &info);
        double secs = (double)(g_get_monotonic_time() - p->started_us) / G_USEC_PER_SEC;
        GString *line = g_string_new("wireshark-es: ");
        es_stats_summary(&p->stats, secs, line);
        fprintf(stderr, "%s\n", line->str);
        /* In Wireshark nobody reads stderr: say where documents wait. */
        if (exporter.gui && (p->stats.dead_letter || p->stats.spool))
            report_warning("Elasticsearch export: %s", line->str);
        g_string_free(line, TRUE);
    }
    es_flattener_free(p->flat);
    es_schema_free(p->schema);
    es_batcher_free(p->batcher);
    es_queue_free(p->q);
    es_sink_clear(&p->sink);
    es_settings_clear(&p->settings);
    es_stats_clear(&p->stats);
    esbuf_free(&p->rec);
    for (size_t i = 0; i < G_N_ELEMENTS(p->ecs); i++)
        g_free(p->ecs[i].members.s);
    pipeline_free_keys(p);
    g_free(p);
}

/* A part of a split capture: its time origin and map (settings checked).
 * The map is opened with the settings, before the capture: when both are
 * pipes, wireshark-es-index opens the map's first. */
static void open_split(const es_settings *s)
{
    int64_t secs;
    int32_t ns;
    exporter.has_origin = *s->time_origin && es_time_origin_parse(s->time_origin, &secs, &ns);
    if (exporter.has_origin) {
        exporter.origin.secs = (time_t)secs;
        exporter.origin.nsecs = ns;
    }
    if (g_strcmp0(s->frame_map, exporter.map_path) == 0)
        return;
    es_frame_map_free(exporter.map);
    exporter.map = NULL;
    g_free(exporter.map_path);
    exporter.map_path = g_strdup(s->frame_map);
    GError *err = NULL;
    if (*s->frame_map && !(exporter.map = es_frame_map_open(s->frame_map, &err))) {
        es_export_fail(err->message);
        g_error_free(err);
    }
}

/* The capture's identity and name, worked out at its first frame. */
static void identify_capture(const es_settings *s)
{
    bool is_file = false;
    char *path = NULL;
    ws_info_t *info = NULL;
    plugin_if_get_ws_info(&info);
    if (info && info->cf_filename) {
        path = g_strdup(info->cf_filename);
        is_file = true;
    } else {
        path = es_cmdline_source(exporter.argv, &is_file);
    }
    g_free(exporter.source);
    exporter.source = *s->capture_name ? g_strdup(s->capture_name) :
                      path             ? g_path_get_basename(path) :
                                         g_strdup("unknown");
    if (*s->capture_id)
        g_strlcpy(exporter.capid, s->capture_id, sizeof exporter.capid);
    else if (!is_file || !es_capid_file(path, exporter.capid))
        es_capid_live(path, exporter.capid);
    g_free(path);
    exporter.capid_known = true;
    exporter.capture_gen++;

    if (strcmp(exporter.capid, exporter.exported_capid) != 0) {
        g_byte_array_set_size(exporter.exported, 0);
        g_strlcpy(exporter.exported_capid, exporter.capid, sizeof exporter.exported_capid);
    }
}

static bool already_done(uint32_t num)
{
    return num / 8 < exporter.exported->len && (exporter.exported->data[num / 8] >> (num % 8)) & 1;
}

static void mark_done(uint32_t num)
{
    if (num / 8 >= exporter.exported->len) {
        guint old = exporter.exported->len;
        g_byte_array_set_size(exporter.exported, MAX(num / 8 + 1, old * 2));
        memset(exporter.exported->data + old, 0, exporter.exported->len - old);
    }
    exporter.exported->data[num / 8] |= (guint8)(1u << (num % 8));
}

static int linktype_of(int encap)
{
    gpointer v = g_hash_table_lookup(exporter.linktype_of_encap, GINT_TO_POINTER(encap));
    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

/* The members w's buffer holds, kept encoded in k (.s NULL if w could not
 * write them); w's buffer is freed. */
static void keep_members(ekey *k, jsonw *w)
{
    g_free(k->s);
    k->s = jw_members_of(w, &k->n);
    esbuf_free(w->out);
}

/* The action line's "_index":"NAME" for p->index. */
static void encode_index(pipeline *p)
{
    esbuf b;
    jsonw w;
    esbuf_init(&b, 512, 4096);
    jw_init(&w, &b);
    jw_begin_object(&w);
    jw_key(&w, "_index");
    jw_string(&w, p->index, strlen(p->index));
    jw_end_object(&w);
    keep_members(&p->index_member, &w);
}

/* The capture's name and id and the sensor's name, as members; a capture
 * name is the user's, as long as a document may be. */
static void encode_constant(pipeline *p)
{
    esbuf b;
    jsonw w;
    esbuf_init(&b, 512, MAX_ITEM);
    jw_init(&w, &b);
    jw_begin_object(&w);
    jw_key_encoded(&w, p->k_capture.s, p->k_capture.n);
    jw_string(&w, exporter.source, strlen(exporter.source));
    jw_key_encoded(&w, p->k_capture_id.s, p->k_capture_id.n);
    jw_string(&w, exporter.capid, ES_CAPID_LEN);
    jw_key_encoded(&w, p->k_host.s, p->k_host.n);
    jw_string(&w, exporter.host, strlen(exporter.host));
    jw_end_object(&w);
    keep_members(&p->constant, &w);
    p->constant_for = exporter.capture_gen;
}

/* The frame's index (its name changes with the frame's day or month), its
 * member encoded again when the name changes. */
static void index_for(pipeline *p, gint64 secs)
{
    if (secs == p->index_secs && p->index_member.s)
        return;
    char before[sizeof p->index];
    g_strlcpy(before, p->index, sizeof before);
    if (!es_index_format(es_settings_target(&p->settings), secs, p->index, sizeof p->index))
        es_index_format(es_settings_target(&p->settings), 0, p->index, sizeof p->index);
    p->index_secs = secs;
    if (!p->index_member.s || strcmp(before, p->index) != 0)
        encode_index(p);
}

static void write_action(pipeline *p, jsonw *w, const packet_info *pinfo)
{
    char id[ES_CAPID_LEN + 24];
    memcpy(id, exporter.capid, ES_CAPID_LEN);
    id[ES_CAPID_LEN] = '-';
    size_t n = ES_CAPID_LEN + 1 + es_fmt_u64(id + ES_CAPID_LEN + 1, p->num);
    jw_begin_object(w);
    jw_key_encoded(w, p->k_create.s, p->k_create.n);
    jw_begin_object(w);
    jw_members_encoded(w, p->index_member.s, p->index_member.n);
    jw_key_encoded(w, p->k_id.s, p->k_id.n);
    jw_string(w, id, n);
    jw_end_object(w);
    jw_end_object(w);
}

static void write_meta(pipeline *p, jsonw *w, packet_info *pinfo, epan_dissect_t *edt)
{
    char ts[40];
    size_t n;
    /* date_nanos holds 1970 to 2262: a frame time outside (a broken clock)
     * leaves only frame.time_relative */
    if (pinfo->abs_ts.secs >= 0 && pinfo->abs_ts.secs < 9200000000LL &&
        (n = es_rfc3339(ts, sizeof ts, &pinfo->abs_ts))) {
        jw_key_encoded(w, p->k_timestamp.s, p->k_timestamp.n);
        jw_string(w, ts, n);
    }
    jw_members_encoded(w, p->constant.s, p->constant.n);
    jw_member_uint(w, p->k_frame.s, p->k_frame.n, p->num);

    const wtap_rec *rec = pinfo->rec;
    if (rec && rec->rec_type == REC_TYPE_PACKET) {
        int lt = linktype_of(rec->rec_header.packet_header.pkt_encap);
        if (lt >= 0)
            jw_member_uint(w, p->k_linktype.s, p->k_linktype.n, (uint64_t)lt);
    }
    if (edt->tvb) {
        guint caplen = tvb_captured_length(edt->tvb);
        jw_member_uint(w, p->k_caplen.s, p->k_caplen.n, caplen);
        if (p->settings.raw) {
            jw_key_encoded(w, p->k_raw.s, p->k_raw.n);
            jw_base64(w, tvb_get_ptr(edt->tvb, 0, (gint)caplen), caplen);
        }
    }
}

/* The ECS members for a frame's layers: network.type, .transport and
 * .protocol (the highest layer), and event.dataset, encoded into slot. */
static void encode_ecs(pipeline *p, ecs_slot *slot, int type, int transport, int top)
{
    esbuf b;
    jsonw w;
    esbuf_init(&b, 256, 4096);
    jw_init(&w, &b);
    jw_begin_object(&w);
    if (type >= 0) {
        jw_key_encoded(&w, p->k_net_type.s, p->k_net_type.n);
        jw_string(&w, type ? "ipv6" : "ipv4", 4);
    }
    if (transport >= 0) {
        jw_key_encoded(&w, p->k_net_transport.s, p->k_net_transport.n);
        jw_string(&w, ecs_transports[transport].ecs, strlen(ecs_transports[transport].ecs));
    }
    if (top >= 0) {
        const char *name = proto_get_protocol_filter_name(top);
        jw_key_encoded(&w, p->k_net_protocol.s, p->k_net_protocol.n);
        jw_string(&w, name, strlen(name));
    }
    if (p->k_dataset.s) {
        jw_key_encoded(&w, p->k_dataset.s, p->k_dataset.n);
        jw_string(&w, ES_DATASET, strlen(ES_DATASET));
    }
    jw_end_object(&w);
    keep_members(&slot->members, &w);
}

/* ECS network.type, network.transport and network.protocol from the
 * frame's protocol layers; the members of each combination are encoded
 * once (a small cache: most captures have a handful). */
static void write_ecs(pipeline *p, jsonw *w, packet_info *pinfo)
{
    G_STATIC_ASSERT(G_N_ELEMENTS(ecs_transports) == G_N_ELEMENTS(p->proto_transport));
    int type = -1, transport = -1, top = -1;
    for (wmem_list_frame_t *l = pinfo->layers ? wmem_list_head(pinfo->layers) : NULL; l;
         l = wmem_list_frame_next(l)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(l));
        const char *name = id == p->proto_data ? NULL : proto_get_protocol_filter_name(id);
        if (!name || (name[0] == '_' && strncmp(name, "_ws.", 4) == 0))
            continue;
        top = id;
        if (type < 0 && (id == p->proto_ip || id == p->proto_ipv6))
            type = id == p->proto_ipv6;
        for (int i = 0; transport < 0 && i < (int)G_N_ELEMENTS(ecs_transports); i++)
            if (id == p->proto_transport[i])
                transport = i;
    }
    uint64_t key = (uint64_t)(uint32_t)top << 16 | (uint64_t)(uint8_t)transport << 8 | (uint8_t)type;
    ecs_slot *slot = &p->ecs[(key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - ECS_SLOTS_LOG2)];
    if (!slot->members.s || slot->key != key) {
        encode_ecs(p, slot, type, transport, top);
        slot->key = key;
    }
    if (slot->members.s && slot->members.n)
        jw_members_encoded(w, slot->members.s, slot->members.n);
}

/* The summary line's Protocol and Info columns, as dissectors set them
 * (they are ready when taps run; addresses and times are not). */
static void write_columns(pipeline *p, jsonw *w, packet_info *pinfo)
{
    const char *proto = col_get_text(pinfo->cinfo, COL_PROTOCOL);
    const char *info = col_get_text(pinfo->cinfo, COL_INFO);
    if (proto && *proto) {
        jw_key_encoded(w, p->k_col_protocol.s, p->k_col_protocol.n);
        jw_string(w, proto, strlen(proto));
    }
    if (info && *info) {
        jw_key_encoded(w, p->k_col_info.s, p->k_col_info.n);
        jw_string(w, info, strlen(info));
    }
}

/* The frame's bulk item (action line, document line) into p->rec; false
 * if it could not be written whole. */
static bool write_item(pipeline *p, packet_info *pinfo, epan_dissect_t *edt)
{
    jsonw w;
    index_for(p, (gint64)pinfo->abs_ts.secs);
    if (p->constant_for != exporter.capture_gen)
        encode_constant(p);
    if (!p->index_member.s || !p->constant.s)
        return false;
    esbuf_truncate(&p->rec, 0);
    jw_init(&w, &p->rec);
    write_action(p, &w, pinfo);
    esbuf_putc(&p->rec, '\n');
    jw_init(&w, &p->rec);
    jw_begin_object(&w);
    write_meta(p, &w, pinfo, edt);
    if (p->k_net_type.s)
        write_ecs(p, &w, pinfo);
    if (p->k_col_info.s && pinfo->cinfo)
        write_columns(p, &w, pinfo);
    es_flatten(p->flat, edt->tree, &w);
    jw_end_object(&w);
    esbuf_putc(&p->rec, '\n');
    return jw_finish(&w);
}

/* The frame's number and times in the original capture: p->num, and the
 * flattener's; false (reported once) for a frame the map does not have. */
static bool original_frame(pipeline *p, const packet_info *pinfo)
{
    p->num = pinfo->num;
    if (!exporter.map) {
        es_flatten_split(p->flat, NULL, NULL, NULL, NULL);
        return true;
    }
    GError *err = NULL;
    if (!es_frame_map_get(exporter.map, pinfo->num, &p->ref, &err)) {
        if (err) /* the first such frame: the later ones only count */
            es_stats_reason(&p->stats, err->message);
        g_clear_error(&err);
        return false;
    }
    p->num = p->ref.number;
    nstime_t prev = {(time_t)p->ref.prev_secs, (int)p->ref.prev_nsecs};
    nstime_delta(&p->delta, &pinfo->abs_ts, &prev);
    if (exporter.has_origin)
        nstime_delta(&p->relative, &pinfo->abs_ts, &exporter.origin);
    es_flatten_split(p->flat, exporter.map, &p->ref, exporter.has_origin ? &p->relative : NULL, &p->delta);
    return true;
}

static tap_packet_status on_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt,
                                   const void *data, tap_flags_t flags)
{
    (void)tapdata;
    (void)data;
    (void)flags;
    if (!exporter.pipeline)
        exporter.pipeline = pipeline_start(&exporter.wanted);
    pipeline *p = exporter.pipeline;
    es_stats_add(&p->stats.frames, 1);
    if (p->failed) {
        es_stats_add(&p->stats.dropped, 1);
        return TAP_PACKET_DONT_REDRAW;
    }
    if (!exporter.capid_known)
        identify_capture(&p->settings);
    if (!original_frame(p, pinfo)) {
        es_stats_add(&p->stats.dropped, 1);
        return TAP_PACKET_DONT_REDRAW;
    }
    if (already_done(p->num)) {
        es_stats_add(&p->stats.skipped, 1);
        return TAP_PACKET_DONT_REDRAW;
    }

    if (!write_item(p, pinfo, edt)) {
        es_stats_add(&p->stats.dropped, 1);
        es_stats_reason(&p->stats, p->rec.error ? "document larger than 32 MiB" :
                                                  "document could not be written");
        return TAP_PACKET_DONT_REDRAW;
    }

    unsigned lost = 0;
    es_add_result r = es_batcher_add(p->batcher, p->rec.data, p->rec.len,
                                     g_get_monotonic_time(), INT64_MAX, &lost);
    /* Wake the sender only for a new batch: a wakeup is a syscall, and
     * batches that age out are picked up by its own timer. */
    if (r == ES_ADD_QUEUED)
        es_sender_notify(p->sender);
    if (r == ES_ADD_OK || r == ES_ADD_QUEUED)
        es_stats_add(&p->stats.docs, 1);
    if (lost) {
        es_stats_add(&p->stats.dropped, lost);
        es_stats_reason(&p->stats, "sender stopped");
    }
    mark_done(p->num);
    return TAP_PACKET_DONT_REDRAW;
}

static void on_reset(void *tapdata)
{
    (void)tapdata;
}

/* Registered without a filter: display filters cannot be compiled yet when
 * plugins are handed off; es_export_file_opened() sets it. */
static void tap_register(void)
{
    /* TL_REQUIRES_ERROR_PACKETS: a frame whose dissection ended with an
     * exception inside a quoted packet (ICMP error, SCTP PKTDROP) is still
     * flagged as an error packet when its frame tap is queued. */
    guint flags = TL_REQUIRES_PROTO_TREE | TL_REQUIRES_ERROR_PACKETS |
                  (exporter.wanted.columns ? TL_REQUIRES_COLUMNS : 0);
    GString *err = register_tap_listener("frame", &exporter, NULL, flags, on_reset, on_packet, NULL, NULL);
    if (err) {
        es_export_fail(err->str);
        g_string_free(err, TRUE);
        return;
    }
    /* Without it tshark builds a tree with most fields left out. */
    epan_set_always_visible(TRUE);
    exporter.tap_on = true;
    g_free(exporter.filter);
    exporter.filter = NULL;
}

static void apply_filter(void)
{
    const char *want = exporter.wanted.filter;
    if (!exporter.tap_on || g_strcmp0(want, exporter.filter ? exporter.filter : "") == 0)
        return;
    GString *err = set_tap_dfilter(&exporter, *want ? want : NULL);
    if (err) {
        char *msg = g_strdup_printf("es.filter: %s", err->str);
        g_string_free(err, TRUE);
        es_export_fail(msg);
        g_free(msg);
        return;
    }
    g_free(exporter.filter);
    exporter.filter = g_strdup(want);
}

static void tap_unregister(void)
{
    if (!exporter.tap_on)
        return;
    remove_tap_listener(&exporter);
    epan_set_always_visible(FALSE);
    exporter.tap_on = false;
}

void es_export_init(char **argv)
{
    exporter.argv = argv;
    exporter.gui = es_cmdline_is_gui(argv);
    es_settings_init(&exporter.wanted);
    exporter.exported = g_byte_array_new();
    g_strlcpy(exporter.host, g_get_host_name(), sizeof exporter.host);
    exporter.linktype_of_encap = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int dlt = 0; dlt < 300; dlt++) {
        int encap = wtap_pcap_encap_to_wtap_encap(dlt);
        if (encap > 0 && !g_hash_table_contains(exporter.linktype_of_encap, GINT_TO_POINTER(encap)))
            g_hash_table_insert(exporter.linktype_of_encap, GINT_TO_POINTER(encap), GINT_TO_POINTER(dlt + 1));
    }
}

void es_export_configure(const es_settings *s, bool enabled)
{
    bool changed = !es_settings_equal(s, &exporter.wanted);
    if (exporter.pipeline && (changed || !enabled)) {
        pipeline_stop(exporter.pipeline);
        exporter.pipeline = NULL;
    }
    /* The columns flag is fixed at registration. */
    bool reregister = exporter.tap_on && enabled && s->columns != exporter.wanted.columns;
    if (exporter.tap_on && (!enabled || reregister))
        tap_unregister();
    es_settings_clear(&exporter.wanted);
    es_settings_copy(&exporter.wanted, s);
    exporter.enabled = enabled;
    open_split(s);
    if (enabled && !exporter.tap_on)
        tap_register();
    if (reregister)
        apply_filter();
}

void es_export_state_get(es_export_state *out)
{
    memset(out, 0, sizeof *out);
    out->enabled = exporter.enabled;
    out->settings = exporter.pipeline ? &exporter.pipeline->settings : &exporter.wanted;
    if (exporter.pipeline) {
        out->stats = &exporter.pipeline->stats;
        out->sender = exporter.pipeline->sender;
        out->seconds = (double)(g_get_monotonic_time() - exporter.pipeline->started_us) / G_USEC_PER_SEC;
    }
    if (exporter.capid_known) {
        out->capture = exporter.source;
        out->capture_id = exporter.capid;
    }
}

void es_export_now(const es_settings *s, void (*retap)(void *ud), void *ud)
{
    es_settings before;
    es_settings_copy(&before, &exporter.wanted);
    bool was_enabled = exporter.enabled;
    es_export_configure(s, true);
    apply_filter();
    if (!exporter.pipeline)
        exporter.pipeline = pipeline_start(&exporter.wanted);
    retap(ud);
    if (was_enabled) {
        es_export_configure(&before, true);
    } else {
        /* Export stays off for later passes; the pipeline delivers what
         * the pass produced until the settings change or Wireshark exits. */
        tap_unregister();
        es_settings_clear(&exporter.wanted);
        es_settings_copy(&exporter.wanted, &before);
        exporter.enabled = false;
    }
    es_settings_clear(&before);
}

void es_export_file_opened(void)
{
    exporter.capid_known = false;
    apply_filter();
    /* Started here rather than at the first frame so that an empty capture
     * still connects, writes its (empty) output and reports. */
    if (exporter.enabled && !exporter.pipeline)
        exporter.pipeline = pipeline_start(&exporter.wanted);
}

void es_export_shutdown(void)
{
    tap_unregister();
    pipeline_stop(exporter.pipeline);
    exporter.pipeline = NULL;
    es_settings_clear(&exporter.wanted);
    g_byte_array_free(exporter.exported, TRUE);
    exporter.exported = NULL;
    g_free(exporter.source);
    exporter.source = NULL;
    es_frame_map_free(exporter.map);
    exporter.map = NULL;
    g_free(exporter.map_path);
    exporter.map_path = NULL;
    g_free(exporter.filter);
    exporter.filter = NULL;
    if (exporter.linktype_of_encap)
        g_hash_table_destroy(exporter.linktype_of_encap);
    exporter.linktype_of_encap = NULL;
}
