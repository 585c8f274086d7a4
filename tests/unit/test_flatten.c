/* test_flatten.c — flatten.c's decisions, on protocol trees built by hand.
 *
 * epan is initialised once (every dissector registered, none run); each case
 * adds items of real registered fields to an empty tree over a small byte
 * array, flattens it and compares the document.  Every flatten also checks
 * that each member name reached the schema before the document did.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <epan/epan_dissect.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>

#include "flatten.h"
#include "wsinit.h"

static epan_t *session;
static gint ett_test = -1;

/* Bytes 6..11: a MAC address, 12..19: two IPv4 addresses, 20..23: data. */
static const guint8 packet[64] = {
    0, 0, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    192, 0, 2, 1, 198, 51, 100, 7, 0xde, 0xad, 0xbe, 0xef};

typedef struct {
    epan_dissect_t *edt;
    tvbuff_t *tvb;
} frame;

typedef struct {
    es_settings s;
    es_schema *schema;
    es_flattener *f;
} run;

static int hf_id(const char *name)
{
    int id = proto_registrar_get_id_byname(name);
    if (id < 0)
        g_error("field %s is not registered", name);
    return id;
}

/* A value placed under hf's bitmask, as proto_tree_add_uint() expects it. */
static guint32 under_mask(int id, guint32 v)
{
    guint64 mask = proto_registrar_get_nth((guint)id)->bitmask;
    return mask ? v << g_bit_nth_lsf((gulong)mask, -1) : v;
}

static void frame_init(frame *fr)
{
    fr->edt = epan_dissect_new(session, TRUE, TRUE);
    fr->tvb = tvb_new_real_data(packet, sizeof packet, sizeof packet);
}

static void frame_clear(frame *fr)
{
    epan_dissect_free(fr->edt);
    tvb_free(fr->tvb);
}

static proto_tree *top(frame *fr)
{
    return fr->edt->tree;
}

/* A protocol item over [start, start + len) and its subtree. */
static proto_tree *add_proto(frame *fr, proto_tree *t, const char *name, int start, int len)
{
    proto_item *pi = proto_tree_add_item(t, hf_id(name), fr->tvb, start, len, ENC_NA);
    return proto_item_add_subtree(pi, ett_test);
}

static proto_item *add_uint(frame *fr, proto_tree *t, const char *name, int start, int len, guint32 v)
{
    int id = hf_id(name);
    return proto_tree_add_uint(t, id, fr->tvb, start, len, under_mask(id, v));
}

static proto_item *add_ipv4(frame *fr, proto_tree *t, const char *name, int start)
{
    guint32 addr;
    memcpy(&addr, packet + start, 4); /* network order, as the bytes */
    return proto_tree_add_ipv4(t, hf_id(name), fr->tvb, start, 4, addr);
}

static void run_init(run *r, es_name_style style, const char *const *opts)
{
    es_settings_init(&r->s);
    for (; opts && *opts; opts += 2) {
        GError *err = NULL;
        const es_opt_desc *d = es_opt_find(opts[0]);
        g_assert_nonnull(d);
        g_assert_true(es_settings_set(&r->s, d, opts[1], &err));
        g_assert_no_error(err);
    }
    r->schema = es_schema_new();
    if (r->s.ecs) /* as the exporter does before the first frame */
        es_flatten_register_ecs(r->schema);
    r->f = es_flattener_new(&r->s, style, r->schema);
}

static void run_clear(run *r)
{
    es_flattener_free(r->f);
    es_schema_free(r->schema);
    es_settings_clear(&r->s);
}

/* The schema's fields as one JSON object: name -> mapping. */
static JsonObject *schema_object(run *r, JsonParser *p)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 256, 1 << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_schema_write(r->schema, 0, es_schema_count(r->schema), &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    g_assert_true(json_parser_load_from_data(p, out.data, (gssize)out.len, NULL));
    esbuf_free(&out);
    return json_node_get_object(json_parser_get_root(p));
}

/* The mapping type the schema gives name, or NULL if it has no entry. */
static char *schema_type(run *r, const char *name)
{
    JsonParser *p = json_parser_new();
    JsonObject *o = schema_object(r, p);
    char *type = NULL;
    if (json_object_has_member(o, name))
        type = g_strdup(json_object_get_string_member(json_object_get_object_member(o, name), "type"));
    g_object_unref(p);
    return type;
}

static void assert_in_schema(run *r, const char *doc)
{
    JsonParser *dp = json_parser_new(), *sp = json_parser_new();
    g_assert_true(json_parser_load_from_data(dp, doc, -1, NULL));
    JsonObject *schema = schema_object(r, sp);
    GList *names = json_object_get_members(json_node_get_object(json_parser_get_root(dp)));
    for (GList *n = names; n; n = n->next)
        if (!json_object_has_member(schema, n->data))
            g_error("%s is in the document but not in the schema", (const char *)n->data);
    g_list_free(names);
    g_object_unref(dp);
    g_object_unref(sp);
}

/* The document of fr's tree (a JSON object), checked against the schema. */
static char *flatten(run *r, frame *fr)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 256, 1 << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_flatten(r->f, fr->edt->tree, &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    char *doc = g_strndup(out.data, out.len);
    esbuf_free(&out);
    assert_in_schema(r, doc);
    return doc;
}

static void assert_doc(run *r, frame *fr, const char *want)
{
    char *doc = flatten(r, fr);
    g_assert_cmpstr(doc, ==, want);
    g_free(doc);
}

static void assert_type(run *r, const char *name, const char *want)
{
    char *type = schema_type(r, name);
    g_assert_cmpstr(type, ==, want);
    g_free(type);
}

/* Each field type's JSON form; protocols and text labels carry no member
 * but their children are walked. */
static void test_types(void)
{
    static const ws_in6_addr v6 = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    nstime_t delta = {1, 500000001}; /* nanoseconds exact, no double rounding */
    run r;
    frame fr;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "frame", 0, 64);
    add_uint(&fr, t, "frame.len", 0, 0, 60);
    proto_tree_add_time(t, hf_id("frame.time_delta"), fr.tvb, 0, 0, &delta);
    t = add_proto(&fr, top(&fr), "eth", 0, 14);
    proto_tree_add_ether(t, hf_id("eth.src"), fr.tvb, 6, 6, packet + 6);
    t = add_proto(&fr, top(&fr), "ip", 12, 8);
    add_ipv4(&fr, t, "ip.src", 12);
    proto_tree_add_ipv6(t, hf_id("ipv6.src"), fr.tvb, 24, 16, &v6);
    proto_tree *label = proto_tree_add_subtree(t, fr.tvb, 12, 4, ett_test, NULL, "A label");
    add_uint(&fr, label, "ip.ttl", 0, 1, 64);
    t = add_proto(&fr, top(&fr), "tcp", 20, 20);
    proto_tree_add_boolean(t, hf_id("tcp.flags.syn"), fr.tvb, 20, 2, under_mask(hf_id("tcp.flags.syn"), 1));
    proto_tree_add_boolean(t, hf_id("tcp.flags.ack"), fr.tvb, 20, 2, 0);
    proto_tree_add_int(t, hf_id("dns.extraneous.length"), fr.tvb, 20, 4, -5);
    proto_tree_add_uint64(t, hf_id("tcp.options.mptcp.sendkey"), fr.tvb, 20, 8, G_MAXUINT64);
    proto_tree_add_string(t, hf_id("http.host"), fr.tvb, 20, 4, "a\"b\\c\n");
    proto_tree_add_bytes(t, hf_id("data.data"), fr.tvb, 20, 4, packet + 20);
    assert_doc(&r, &fr,
               "{\"frame.len\":60,\"frame.time_delta\":1.500000001,\"eth.src\":\"aa:bb:cc:dd:ee:ff\","
               "\"ip.src\":\"192.0.2.1\",\"ipv6.src\":\"2001:db8::1\",\"ip.ttl\":64,"
               "\"tcp.flags.syn\":true,\"tcp.flags.ack\":false,\"dns.extraneous.length\":-5,"
               "\"tcp.options.mptcp.sendkey\":18446744073709551615,\"http.host\":\"a\\\"b\\\\c\\n\","
               "\"data.data\":\"deadbeef\"}");
    assert_type(&r, "frame.len", "long");
    assert_type(&r, "tcp.options.mptcp.sendkey", "unsigned_long");
    assert_type(&r, "ip.src", "ip");
    assert_type(&r, "ipv6.src", "ip");
    assert_type(&r, "tcp.flags.syn", "boolean");
    assert_type(&r, "frame.time_delta", "double");
    assert_type(&r, "eth.src", "keyword");
    assert_type(&r, "data.data", "keyword");
    assert_type(&r, "frame", NULL);
    assert_type(&r, "ip", NULL);
    frame_clear(&fr);
    run_clear(&r);
}

/* frame.number and frame.cap_len are the exporter's metadata, frame.time and
 * frame.time_epoch are @timestamp (aliases in the schema), the default
 * es.exclude leaves out the viewer's state. */
static void test_metadata_fields(void)
{
    nstime_t when = {1700000000, 0};
    run r;
    frame fr;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "frame", 0, 64);
    add_uint(&fr, t, "frame.number", 0, 0, 7);
    add_uint(&fr, t, "frame.cap_len", 0, 0, 64);
    proto_tree_add_time(t, hf_id("frame.time"), fr.tvb, 0, 0, &when);
    /* a relative time before Wireshark 4.2, an absolute time after */
    proto_tree_add_time(t, hf_id("frame.time_epoch"), fr.tvb, 0, 0, &when);
    proto_tree_add_boolean(t, hf_id("frame.marked"), fr.tvb, 0, 0, 1);
    add_uint(&fr, t, "frame.len", 0, 0, 64);
    assert_doc(&r, &fr, "{\"frame.len\":64}");
    assert_type(&r, "frame.time", "alias");
    assert_type(&r, "frame.time_epoch", "alias");
    assert_type(&r, "frame.number", NULL);
    assert_type(&r, "frame.marked", NULL);
    frame_clear(&fr);
    run_clear(&r);
}

/* The same field twice: one member, an array in tree order, where the
 * field first occurs. */
static void test_repeat_array(void)
{
    run r;
    frame fr;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "tcp", 20, 20);
    add_uint(&fr, t, "tcp.port", 20, 2, 443);
    add_uint(&fr, t, "tcp.srcport", 20, 2, 443);
    add_uint(&fr, t, "tcp.port", 22, 2, 80);
    add_uint(&fr, t, "tcp.port", 24, 2, 8080);
    assert_doc(&r, &fr, "{\"tcp.port\":[443,80,8080],\"tcp.srcport\":443}");
    frame_clear(&fr);
    run_clear(&r);
}

/* ip.src, ip.dst and a hidden ip.addr repeating each. */
static void add_ip_pair(frame *fr, guint32 second_addr_value)
{
    proto_tree *t = add_proto(fr, top(fr), "ip", 12, 8);
    add_ipv4(fr, t, "ip.src", 12);
    proto_item_set_hidden(add_ipv4(fr, t, "ip.addr", 12));
    add_ipv4(fr, t, "ip.dst", 16);
    proto_item_set_hidden(proto_tree_add_ipv4(t, hf_id("ip.addr"), fr->tvb, 16, 4, second_addr_value));
}

static char *ip_pair_doc(run *r, guint32 second_addr_value)
{
    frame fr;
    frame_init(&fr);
    add_ip_pair(&fr, second_addr_value);
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

/* A hidden field fed by two others over their bytes (ip.addr) becomes
 * their copy_to and is left out, from the frame that shows it (so every
 * frame's document is the same, whichever frame comes first); a repeat
 * whose value differs is never folded. */
static void test_repeat_copy_to(void)
{
    guint32 dst, other = g_htonl(0x0a000001);
    memcpy(&dst, packet + 16, 4);
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    char *doc = ip_pair_doc(&r, dst);
    g_assert_cmpstr(doc, ==, "{\"ip.src\":\"192.0.2.1\",\"ip.dst\":\"198.51.100.7\"}");
    g_free(doc);
    JsonParser *p = json_parser_new();
    JsonObject *ip_src = json_object_get_object_member(schema_object(&r, p), "ip.src");
    JsonArray *copies = json_object_get_array_member(ip_src, "copy_to");
    gboolean found = FALSE;
    for (guint i = 0; copies && i < json_array_get_length(copies); i++)
        found |= g_strcmp0(json_array_get_string_element(copies, i), "ip.addr") == 0;
    g_assert_true(found);
    g_object_unref(p);
    doc = ip_pair_doc(&r, dst);
    g_assert_cmpstr(doc, ==, "{\"ip.src\":\"192.0.2.1\",\"ip.dst\":\"198.51.100.7\"}");
    g_free(doc);
    doc = ip_pair_doc(&r, other);
    g_assert_cmpstr(doc, ==, "{\"ip.src\":\"192.0.2.1\",\"ip.dst\":\"198.51.100.7\",\"ip.addr\":\"10.0.0.1\"}");
    g_free(doc);
    run_clear(&r);
}

/* A field that repeats only one other (one source) is not a copy: it stays. */
static void test_repeat_single_source(void)
{
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    for (int i = 0; i < 2; i++) {
        frame fr;
        frame_init(&fr);
        proto_tree *t = add_proto(&fr, top(&fr), "ip", 12, 8);
        add_ipv4(&fr, t, "ip.src", 12);
        proto_item_set_hidden(add_ipv4(&fr, t, "ip.addr", 12));
        assert_doc(&r, &fr, "{\"ip.src\":\"192.0.2.1\",\"ip.addr\":\"192.0.2.1\"}");
        frame_clear(&fr);
    }
    run_clear(&r);
}

static uint64_t remembered(run *r)
{
    uint64_t hits, walked;
    es_flatten_shape_counts(r->f, &hits, &walked);
    return hits;
}

/* Frames of one tree shape: from the third on the walk is remembered, and
 * every document carries its own frame's values. */
static void test_shape_values(void)
{
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    for (guint32 i = 0; i < 6; i++) {
        frame fr;
        frame_init(&fr);
        proto_tree *t = add_proto(&fr, top(&fr), "ip", 12, 8);
        add_uint(&fr, t, "ip.ttl", 8, 1, 60 + i);
        add_uint(&fr, t, "ip.proto", 9, 1, i % 2 ? 17 : 6);
        char *want = g_strdup_printf("{\"ip.ttl\":%u,\"ip.proto\":%u,\"ip.proto.name\":\"%s\"}", 60 + i,
                                     i % 2 ? 17 : 6, i % 2 ? "UDP" : "TCP");
        assert_doc(&r, &fr, want);
        g_free(want);
        frame_clear(&fr);
    }
    g_assert_cmpuint(remembered(&r), ==, 4);
    run_clear(&r);
}

/* A remembered shape whose comparisons come out otherwise (ip.addr no
 * longer repeating ip.dst) is walked again, and back. */
static void test_shape_checks(void)
{
    guint32 dst, other = g_htonl(0x0a000001);
    memcpy(&dst, packet + 16, 4);
    static const char folded[] = "{\"ip.src\":\"192.0.2.1\",\"ip.dst\":\"198.51.100.7\"}";
    static const char kept[] = "{\"ip.src\":\"192.0.2.1\",\"ip.dst\":\"198.51.100.7\",\"ip.addr\":\"10.0.0.1\"}";
    const guint32 seconds[] = {dst, dst, dst, dst, other, dst, other, other, other};
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(seconds); i++) {
        char *doc = ip_pair_doc(&r, seconds[i]);
        g_assert_cmpstr(doc, ==, seconds[i] == dst ? folded : kept);
        g_free(doc);
    }
    g_assert_cmpuint(remembered(&r), >=, 3);
    run_clear(&r);
}

/* eth.dst and eth.src, each with eth.addr under it (under: folded into a
 * copy_to) or beside it (the same fields in the same order: kept). */
static char *eth_doc(run *r, bool under)
{
    frame fr;
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "eth", 0, 14);
    for (int at = 0; at <= 6; at += 6) {
        proto_item *pi = proto_tree_add_ether(t, hf_id(at ? "eth.src" : "eth.dst"), fr.tvb, at, 6, packet + at);
        proto_tree *sub = under ? proto_item_add_subtree(pi, ett_test) : t;
        proto_tree_add_ether(sub, hf_id("eth.addr"), fr.tvb, at, 6, packet + at);
    }
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

/* Trees of the same fields in the same order but nested otherwise, or
 * flagged otherwise, are other shapes. */
static void test_shape_structure(void)
{
    static const char folded[] = "{\"eth.dst\":\"00:00:00:00:00:00\",\"eth.src\":\"aa:bb:cc:dd:ee:ff\"}";
    static const char kept[] = "{\"eth.dst\":\"00:00:00:00:00:00\",\"eth.addr\":[\"00:00:00:00:00:00\","
                               "\"aa:bb:cc:dd:ee:ff\"],\"eth.src\":\"aa:bb:cc:dd:ee:ff\"}";
    const bool under[] = {true, true, true, true, false, false, false, true, false};
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(under); i++) {
        char *doc = eth_doc(&r, under[i]);
        g_assert_cmpstr(doc, ==, under[i] ? folded : kept);
        g_free(doc);
    }
    g_assert_cmpuint(remembered(&r), >=, 3);
    for (int hidden = 1; hidden >= 0; hidden--) { /* hidden first: the copies are learned */
        for (int i = 0; i < 3; i++) {
            frame fr;
            frame_init(&fr);
            proto_tree *t = add_proto(&fr, top(&fr), "ip", 12, 8);
            add_ipv4(&fr, t, "ip.dst", 16);
            proto_item *pi = add_ipv4(&fr, t, "ip.addr", 16);
            if (hidden)
                proto_item_set_hidden(pi);
            add_ipv4(&fr, t, "ip.src", 12);
            proto_item_set_hidden(add_ipv4(&fr, t, "ip.addr", 12));
            assert_doc(&r, &fr, hidden ? "{\"ip.dst\":\"198.51.100.7\",\"ip.src\":\"192.0.2.1\"}" : "{\"ip.dst\":\"198.51.100.7\",\"ip.addr\":\"198.51.100.7\","
                                                                                                    "\"ip.src\":\"192.0.2.1\"}");
            frame_clear(&fr);
        }
    }
    run_clear(&r);
}

/* eth.src with a generated text field over its bytes (eth.src_resolved). */
static char *resolved_doc(run *r, bool generated)
{
    frame fr;
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "eth", 0, 14);
    proto_tree_add_ether(t, hf_id("eth.src"), fr.tvb, 6, 6, packet + 6);
    proto_item *pi = proto_tree_add_string(t, hf_id("eth.src_resolved"), fr.tvb, 6, 6, "Vendor_dd:ee:ff");
    if (generated)
        proto_item_set_generated(pi);
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

/* A generated rendering of a typed field as a name is left out unless
 * es.resolved; a text field that is not generated stays. */
static void test_renderings(void)
{
    static const char *const resolved[] = {"resolved", "true", NULL};
    static const char both[] = "{\"eth.src\":\"aa:bb:cc:dd:ee:ff\",\"eth.src_resolved\":\"Vendor_dd:ee:ff\"}";
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    char *doc = resolved_doc(&r, true);
    g_assert_cmpstr(doc, ==, "{\"eth.src\":\"aa:bb:cc:dd:ee:ff\"}");
    g_free(doc);
    doc = resolved_doc(&r, false);
    g_assert_cmpstr(doc, ==, both);
    g_free(doc);
    run_clear(&r);
    run_init(&r, ES_NAMES_DOTTED, resolved);
    doc = resolved_doc(&r, true);
    g_assert_cmpstr(doc, ==, both);
    g_free(doc);
    run_clear(&r);
}

/* dns.flags.rcode values, each its own item. */
static char *rcode_doc(run *r, const guint32 *values, size_t n)
{
    frame fr;
    frame_init(&fr);
    proto_tree *t = add_proto(&fr, top(&fr), "dns", 0, 12);
    for (size_t i = 0; i < n; i++)
        add_uint(&fr, t, "dns.flags.rcode", 2, 2, values[i]);
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

static void assert_rcodes(const char *const *opts, const guint32 *values, size_t n, const char *want)
{
    run r;
    run_init(&r, ES_NAMES_DOTTED, opts);
    char *doc = rcode_doc(&r, values, n);
    g_assert_cmpstr(doc, ==, want);
    g_free(doc);
    run_clear(&r);
}

/* FIELD.name beside an integer shown by name: only for the values that
 * have one, off with es.value_names=false or when es.exclude names it. */
static void test_value_names(void)
{
    static const char *const off[] = {"value_names", "false", NULL};
    static const char *const excluded[] = {"exclude", "dns.flags.rcode.name", NULL};
    static const guint32 nxdomain[] = {3}, unnamed[] = {12}, three[] = {3, 12, 5};
    assert_rcodes(NULL, nxdomain, 1, "{\"dns.flags.rcode\":3,\"dns.flags.rcode.name\":\"No such name\"}");
    assert_rcodes(NULL, unnamed, 1, "{\"dns.flags.rcode\":12}");
    assert_rcodes(NULL, three, 3,
                  "{\"dns.flags.rcode\":[3,12,5],\"dns.flags.rcode.name\":[\"No such name\",\"Refused\"]}");
    assert_rcodes(off, nxdomain, 1, "{\"dns.flags.rcode\":3}");
    assert_rcodes(excluded, nxdomain, 1, "{\"dns.flags.rcode\":3}");
}

/* One run, frame after frame: each name is its own frame's value's (the
 * last name is kept encoded), none where the value has none. */
static void test_value_names_frames(void)
{
    static const guint32 values[] = {3, 3, 5, 12, 5, 3};
    static const char *const want[] = {"No such name", "No such name", "Refused", NULL, "Refused",
                                       "No such name"};
    run r;
    run_init(&r, ES_NAMES_DOTTED, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        char *doc = rcode_doc(&r, &values[i], 1);
        char *expect = want[i] ? g_strdup_printf("{\"dns.flags.rcode\":%u,\"dns.flags.rcode.name\":\"%s\"}",
                                                 values[i], want[i]) :
                                 g_strdup_printf("{\"dns.flags.rcode\":%u}", values[i]);
        g_assert_cmpstr(doc, ==, expect);
        g_free(expect);
        g_free(doc);
    }
    run_clear(&r);
}

/* The first registered field matching want(), or NULL. */
static header_field_info *find_field(bool (*want)(const header_field_info *))
{
    void *pc, *fc;
    for (int p = proto_get_first_protocol(&pc); p != -1; p = proto_get_next_protocol(&pc))
        for (header_field_info *hf = proto_get_first_protocol_field(p, &fc); hf;
             hf = proto_get_next_protocol_field(p, &fc))
            if (hf->abbrev && want(hf))
                return hf;
    return NULL;
}

static bool is_small_uint(const header_field_info *hf)
{
    return hf->type == FT_UINT8 || hf->type == FT_UINT16 || hf->type == FT_UINT32;
}

static bool has_unit(const header_field_info *hf)
{
    return is_small_uint(hf) && hf->strings && (hf->display & BASE_UNIT_STRING) && !hf->bitmask;
}

/* An integer with plain value strings whose FIELD.name is another field. */
static bool name_collides(const header_field_info *hf)
{
    if (!is_small_uint(hf) || !hf->strings ||
        (hf->display & (BASE_RANGE_STRING | BASE_EXT_STRING | BASE_VAL64_STRING | BASE_UNIT_STRING)) ||
        FIELD_DISPLAY(hf->display) == BASE_CUSTOM)
        return false;
    char *name = g_strconcat(hf->abbrev, ".name", NULL), *alt = g_strconcat(hf->abbrev, ".value_name", NULL);
    bool collides = proto_registrar_get_byname(name) && !proto_registrar_get_byname(alt);
    g_free(name);
    g_free(alt);
    return collides;
}

static char *one_field_doc(run *r, header_field_info *hf, guint32 v)
{
    frame fr;
    frame_init(&fr);
    proto_tree_add_uint(top(&fr), hf->id, fr.tvb, 0, 0, under_mask(hf->id, v)); /* this one of its name's fields */
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

/* Booleans and units get no FIELD.name; where FIELD.name is a registered
 * field (cip.port.name), the names go to FIELD.value_name. */
static void test_value_name_keys(void)
{
    static const char *const all[] = {"exclude", "", NULL};
    run r;
    run_init(&r, ES_NAMES_DOTTED, all);
    frame fr;
    frame_init(&fr);
    proto_tree_add_boolean(top(&fr), hf_id("tcp.flags.syn"), fr.tvb, 0, 2, under_mask(hf_id("tcp.flags.syn"), 1));
    assert_doc(&r, &fr, "{\"tcp.flags.syn\":true}");
    frame_clear(&fr);
    header_field_info *unit = find_field(has_unit);
    g_assert_nonnull(unit);
    char *doc = one_field_doc(&r, unit, 7), *want = g_strdup_printf("{\"%s\":7}", unit->abbrev);
    g_assert_cmpstr(doc, ==, want);
    g_free(doc);
    g_free(want);
    header_field_info *hf = find_field(name_collides);
    g_assert_nonnull(hf);
    g_test_message("FIELD.name taken: %s", hf->abbrev);
    const value_string *vs = hf->strings;
    doc = one_field_doc(&r, hf, vs->value);
    want = g_strdup_printf("{\"%s\":%u,\"%s.value_name\":\"%s\"}", hf->abbrev, vs->value, hf->abbrev, vs->strptr);
    g_assert_cmpstr(doc, ==, want);
    g_free(doc);
    g_free(want);
    run_clear(&r);
}

/* A TCP header: tcp.srcport, tcp.flags with tcp.flags.syn below it, and
 * tcp.options (bytes) with tcp.option_kind below it. */
static void add_tcp(frame *fr, proto_tree *parent)
{
    proto_tree *t = add_proto(fr, parent, "tcp", 20, 20);
    add_uint(fr, t, "tcp.srcport", 20, 2, 443);
    proto_item *flags = add_uint(fr, t, "tcp.flags", 32, 2, 0x002);
    proto_tree *ft = proto_item_add_subtree(flags, ett_test);
    proto_tree_add_boolean(ft, hf_id("tcp.flags.syn"), fr->tvb, 32, 2, under_mask(hf_id("tcp.flags.syn"), 1));
    proto_item *opts = proto_tree_add_bytes(t, hf_id("tcp.options"), fr->tvb, 36, 4, packet + 36);
    add_uint(fr, proto_item_add_subtree(opts, ett_test), "tcp.option_kind", 36, 1, 2);
}

/* The frame, eth, ip and tcp layers the settings cases walk. */
static char *layers_doc(run *r)
{
    frame fr;
    frame_init(&fr);
    add_uint(&fr, top(&fr), "frame.len", 0, 0, 64);
    proto_tree *t = add_proto(&fr, top(&fr), "eth", 0, 14);
    proto_tree_add_ether(t, hf_id("eth.src"), fr.tvb, 6, 6, packet + 6);
    t = add_proto(&fr, top(&fr), "ip", 12, 8);
    add_ipv4(&fr, t, "ip.src", 12);
    add_uint(&fr, t, "ip.checksum", 12, 2, 0x1234);
    proto_tree_add_bytes(t, hf_id("data.data"), fr.tvb, 20, 4, packet + 20);
    add_tcp(&fr, top(&fr));
    char *doc = flatten(r, &fr);
    frame_clear(&fr);
    return doc;
}

static void assert_layers(es_name_style style, const char *const *opts, const char *want)
{
    run r;
    run_init(&r, style, opts);
    char *doc = layers_doc(&r);
    g_assert_cmpstr(doc, ==, want);
    g_free(doc);
    run_clear(&r);
}

/* Byte fields with a subtree are containers: only their children go. */
static void test_defaults(void)
{
    assert_layers(ES_NAMES_DOTTED, NULL,
                  "{\"frame.len\":64,\"eth.src\":\"aa:bb:cc:dd:ee:ff\",\"ip.src\":\"192.0.2.1\","
                  "\"ip.checksum\":4660,\"data.data\":\"deadbeef\",\"tcp.srcport\":443,\"tcp.flags\":2,"
                  "\"tcp.flags.syn\":true,\"tcp.option_kind\":2,"
                  "\"tcp.option_kind.name\":\"Maximum Segment Size\"}");
}

/* es.exclude leaves a field out with its subtree; prefixes match at dots. */
static void test_exclude(void)
{
    static const char *const opts[] = {"exclude", "tcp.flags, eth", NULL};
    assert_layers(ES_NAMES_DOTTED, opts,
                  "{\"frame.len\":64,\"ip.src\":\"192.0.2.1\",\"ip.checksum\":4660,\"data.data\":\"deadbeef\","
                  "\"tcp.srcport\":443,\"tcp.option_kind\":2,"
                  "\"tcp.option_kind.name\":\"Maximum Segment Size\"}");
}

/* An es.exclude prefix matches whole name parts, or anything after a
 * trailing dot. */
static void test_exclude_prefixes(void)
{
    static const char *const part[] = {"exclude", "eth.src,tcp.", NULL};
    run r;
    run_init(&r, ES_NAMES_DOTTED, part);
    char *doc = resolved_doc(&r, false);
    g_assert_cmpstr(doc, ==, "{\"eth.src_resolved\":\"Vendor_dd:ee:ff\"}");
    g_free(doc);
    frame fr;
    frame_init(&fr);
    add_tcp(&fr, top(&fr));
    assert_doc(&r, &fr, "{}");
    frame_clear(&fr);
    run_clear(&r);
}

/* es.ecs: the ECS names are copy_to targets of Wireshark's in the mapping,
 * never members of the document. */
static void test_ecs_copies(void)
{
    static const char *const off[] = {"ecs", "false", NULL};
    static const char *const doc = "{\"frame.len\":64,\"eth.src\":\"aa:bb:cc:dd:ee:ff\",\"ip.src\":\"192.0.2.1\","
                                   "\"ip.checksum\":4660,\"data.data\":\"deadbeef\",\"tcp.srcport\":443,\"tcp.flags\":2,"
                                   "\"tcp.flags.syn\":true,\"tcp.option_kind\":2,"
                                   "\"tcp.option_kind.name\":\"Maximum Segment Size\"}";
    for (int ecs = 1; ecs >= 0; ecs--) {
        run r;
        run_init(&r, ES_NAMES_DOTTED, ecs ? NULL : off);
        char *got = layers_doc(&r);
        g_assert_cmpstr(got, ==, doc);
        g_free(got);
        JsonParser *p = json_parser_new();
        JsonObject *schema = schema_object(&r, p);
        JsonObject *ip_src = json_object_get_object_member(schema, "ip.src");
        JsonObject *srcport = json_object_get_object_member(schema, "tcp.srcport");
        g_assert_cmpint(json_object_has_member(ip_src, "copy_to"), ==, ecs);
        g_assert_cmpint(json_object_has_member(srcport, "copy_to"), ==, ecs);
        if (ecs) {
            JsonArray *to = json_object_get_array_member(ip_src, "copy_to");
            g_assert_cmpstr(json_array_get_string_element(to, 0), ==, "source.ip");
            to = json_object_get_array_member(srcport, "copy_to");
            g_assert_cmpstr(json_array_get_string_element(to, 0), ==, "source.port");
        }
        g_object_unref(p);
        run_clear(&r);
    }
}

/* es.protocols keeps the top-level protocols named, and nothing else at the top. */
static void test_protocols(void)
{
    static const char *const opts[] = {"protocols", "ip,tcp", NULL};
    assert_layers(ES_NAMES_DOTTED, opts,
                  "{\"ip.src\":\"192.0.2.1\",\"ip.checksum\":4660,\"data.data\":\"deadbeef\",\"tcp.srcport\":443,"
                  "\"tcp.flags\":2,\"tcp.flags.syn\":true,\"tcp.option_kind\":2,"
                  "\"tcp.option_kind.name\":\"Maximum Segment Size\"}");
}

/* es.max_bytes cuts byte arrays; 0 leaves them out of documents and schema. */
static void test_max_bytes(void)
{
    static const char *const two[] = {"max_bytes", "2", NULL}, *const none[] = {"max_bytes", "0", NULL};
    assert_layers(ES_NAMES_DOTTED, two,
                  "{\"frame.len\":64,\"eth.src\":\"aa:bb:cc:dd:ee:ff\",\"ip.src\":\"192.0.2.1\","
                  "\"ip.checksum\":4660,\"data.data\":\"dead\",\"tcp.srcport\":443,\"tcp.flags\":2,"
                  "\"tcp.flags.syn\":true,\"tcp.option_kind\":2,"
                  "\"tcp.option_kind.name\":\"Maximum Segment Size\"}");
    run r;
    run_init(&r, ES_NAMES_DOTTED, none);
    char *doc = layers_doc(&r);
    g_assert_null(strstr(doc, "data.data"));
    g_free(doc);
    assert_type(&r, "data.data", NULL);
    assert_type(&r, "ip.src", "ip");
    run_clear(&r);
}

/* es.profile=core keeps only the core fields' values (tcp.flags brings
 * its bits); the others' children are still walked. */
static void test_core_profile(void)
{
    static const char *const opts[] = {"profile", "core", NULL};
    assert_layers(ES_NAMES_DOTTED, opts,
                  "{\"frame.len\":64,\"eth.src\":\"aa:bb:cc:dd:ee:ff\",\"ip.src\":\"192.0.2.1\","
                  "\"tcp.srcport\":443,\"tcp.flags\":2,\"tcp.flags.syn\":true}");
}

/* Underscore names for Elasticsearch before 8.3, in documents, value names
 * and the schema (frame.time's alias too). */
static void test_underscore_names(void)
{
    static const guint32 nxdomain[] = {3};
    nstime_t when = {1700000000, 0};
    assert_layers(ES_NAMES_UNDERSCORE, NULL,
                  "{\"frame_len\":64,\"eth_src\":\"aa:bb:cc:dd:ee:ff\",\"ip_src\":\"192.0.2.1\","
                  "\"ip_checksum\":4660,\"data_data\":\"deadbeef\",\"tcp_srcport\":443,\"tcp_flags\":2,"
                  "\"tcp_flags_syn\":true,\"tcp_option_kind\":2,"
                  "\"tcp_option_kind_name\":\"Maximum Segment Size\"}");
    run r;
    run_init(&r, ES_NAMES_UNDERSCORE, NULL);
    char *doc = rcode_doc(&r, nxdomain, 1);
    g_assert_cmpstr(doc, ==, "{\"dns_flags_rcode\":3,\"dns_flags_rcode_name\":\"No such name\"}");
    g_free(doc);
    frame fr;
    frame_init(&fr);
    proto_tree_add_time(top(&fr), hf_id("frame.time"), fr.tvb, 0, 0, &when);
    assert_doc(&r, &fr, "{}");
    frame_clear(&fr);
    assert_type(&r, "frame_time", "alias");
    assert_type(&r, "dns.flags.rcode", NULL);
    run_clear(&r);
}

/* Two Wireshark names that meet under one underscore member, an integer and
 * bytes: the member is a keyword and both values strings, from the first
 * frame on, even one with only the integer. */
static void test_underscore_collision(void)
{
    run r;
    run_init(&r, ES_NAMES_UNDERSCORE, NULL);
    frame first;
    frame_init(&first);
    add_uint(&first, top(&first), "mtp3mg.test.pattern", 20, 2, 5);
    assert_doc(&r, &first, "{\"mtp3mg_test_pattern\":\"5\"}");
    frame_clear(&first);
    assert_type(&r, "mtp3mg_test_pattern", "keyword");
    for (int i = 0; i < 2; i++) {
        frame fr;
        frame_init(&fr);
        add_uint(&fr, top(&fr), "mtp3mg.test.pattern", 20, 2, 5);
        proto_tree_add_item(top(&fr), hf_id("mtp3mg.test_pattern"), fr.tvb, 20, 4, ENC_NA);
        assert_doc(&r, &fr, "{\"mtp3mg_test_pattern\":[\"5\",\"deadbeef\"]}");
        frame_clear(&fr);
    }
    assert_type(&r, "mtp3mg_test_pattern", "keyword");
    run_clear(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    session = es_test_epan_init(argv[0]);
    gint *etts[] = {&ett_test};
    proto_register_subtree_array(etts, 1);
    g_test_add_func("/flatten/types", test_types);
    g_test_add_func("/flatten/metadata-fields", test_metadata_fields);
    g_test_add_func("/flatten/repeat/array", test_repeat_array);
    g_test_add_func("/flatten/repeat/copy-to", test_repeat_copy_to);
    g_test_add_func("/flatten/repeat/single-source", test_repeat_single_source);
    g_test_add_func("/flatten/repeat/renderings", test_renderings);
    g_test_add_func("/flatten/shape/values", test_shape_values);
    g_test_add_func("/flatten/shape/checks", test_shape_checks);
    g_test_add_func("/flatten/shape/structure", test_shape_structure);
    g_test_add_func("/flatten/value-names", test_value_names);
    g_test_add_func("/flatten/value-names-frames", test_value_names_frames);
    g_test_add_func("/flatten/value-name-keys", test_value_name_keys);
    g_test_add_func("/flatten/settings/defaults", test_defaults);
    g_test_add_func("/flatten/settings/exclude", test_exclude);
    g_test_add_func("/flatten/settings/exclude-prefixes", test_exclude_prefixes);
    g_test_add_func("/flatten/settings/protocols", test_protocols);
    g_test_add_func("/flatten/settings/ecs", test_ecs_copies);
    g_test_add_func("/flatten/settings/max-bytes", test_max_bytes);
    g_test_add_func("/flatten/settings/core-profile", test_core_profile);
    g_test_add_func("/flatten/names/underscore", test_underscore_names);
    g_test_add_func("/flatten/names/underscore-collision", test_underscore_collision);
    int rc = g_test_run();
    es_test_epan_cleanup(session);
    return rc;
}
