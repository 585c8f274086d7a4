/* test_mapping.c — the mapping of every Wireshark field type, and merges.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "mapping.h"

static void test_every_type(void)
{
    /* Written out independently of mapping.c: one row per ftenum value. */
    static const struct {
        enum ftenum t;
        es_map_class c;
    } table[] = {
        {FT_NONE, ES_MAP_NONE},
        {FT_PROTOCOL, ES_MAP_NONE},
        {FT_BOOLEAN, ES_MAP_BOOLEAN},
        {FT_CHAR, ES_MAP_LONG},
        {FT_UINT8, ES_MAP_LONG},
        {FT_UINT16, ES_MAP_LONG},
        {FT_UINT24, ES_MAP_LONG},
        {FT_UINT32, ES_MAP_LONG},
        {FT_UINT40, ES_MAP_LONG},
        {FT_UINT48, ES_MAP_LONG},
        {FT_UINT56, ES_MAP_LONG},
        {FT_UINT64, ES_MAP_ULONG},
        {FT_INT8, ES_MAP_LONG},
        {FT_INT16, ES_MAP_LONG},
        {FT_INT24, ES_MAP_LONG},
        {FT_INT32, ES_MAP_LONG},
        {FT_INT40, ES_MAP_LONG},
        {FT_INT48, ES_MAP_LONG},
        {FT_INT56, ES_MAP_LONG},
        {FT_INT64, ES_MAP_LONG},
        {FT_IEEE_11073_SFLOAT, ES_MAP_DOUBLE},
        {FT_IEEE_11073_FLOAT, ES_MAP_DOUBLE},
        {FT_FLOAT, ES_MAP_DOUBLE},
        {FT_DOUBLE, ES_MAP_DOUBLE},
        {FT_ABSOLUTE_TIME, ES_MAP_DATE},
        {FT_RELATIVE_TIME, ES_MAP_DOUBLE},
        {FT_STRING, ES_MAP_KEYWORD},
        {FT_STRINGZ, ES_MAP_KEYWORD},
        {FT_UINT_STRING, ES_MAP_KEYWORD},
        {FT_ETHER, ES_MAP_KEYWORD},
        {FT_BYTES, ES_MAP_BYTES},
        {FT_UINT_BYTES, ES_MAP_BYTES},
        {FT_IPv4, ES_MAP_IP},
        {FT_IPv6, ES_MAP_IP},
        {FT_IPXNET, ES_MAP_LONG},
        {FT_FRAMENUM, ES_MAP_LONG},
        {FT_GUID, ES_MAP_KEYWORD},
        {FT_OID, ES_MAP_KEYWORD},
        {FT_EUI64, ES_MAP_KEYWORD},
        {FT_AX25, ES_MAP_KEYWORD},
        {FT_VINES, ES_MAP_KEYWORD},
        {FT_REL_OID, ES_MAP_KEYWORD},
        {FT_SYSTEM_ID, ES_MAP_KEYWORD},
        {FT_STRINGZPAD, ES_MAP_KEYWORD},
        {FT_FCWWN, ES_MAP_KEYWORD},
        {FT_STRINGZTRUNC, ES_MAP_KEYWORD},
    };
    bool seen[FT_NUM_TYPES] = {false};
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        g_assert_cmpint(es_map_class_of(table[i].t), ==, table[i].c);
        seen[table[i].t] = true;
    }
    /* the table covers every type this Wireshark has */
    for (int t = 0; t < FT_NUM_TYPES; t++)
        g_assert_true(seen[t]);
}

static void test_merge(void)
{
    g_assert_cmpint(es_map_merge(ES_MAP_LONG, ES_MAP_LONG), ==, ES_MAP_LONG);
    g_assert_cmpint(es_map_merge(ES_MAP_NONE, ES_MAP_IP), ==, ES_MAP_IP);
    g_assert_cmpint(es_map_merge(ES_MAP_LONG, ES_MAP_NONE), ==, ES_MAP_LONG);
    g_assert_cmpint(es_map_merge(ES_MAP_LONG, ES_MAP_ULONG), ==, ES_MAP_DOUBLE);
    g_assert_cmpint(es_map_merge(ES_MAP_LONG, ES_MAP_DOUBLE), ==, ES_MAP_DOUBLE);
    g_assert_cmpint(es_map_merge(ES_MAP_DATE, ES_MAP_KEYWORD), ==, ES_MAP_KEYWORD);
    g_assert_cmpint(es_map_merge(ES_MAP_BOOLEAN, ES_MAP_LONG), ==, ES_MAP_KEYWORD);
    g_assert_cmpint(es_map_merge(ES_MAP_IP, ES_MAP_BYTES), ==, ES_MAP_KEYWORD);
}

static void test_properties(void)
{
    static const struct {
        es_map_class c;
        const char *json;
    } rows[] = {
        {ES_MAP_LONG, "{\"type\":\"long\"}"},
        {ES_MAP_ULONG, "{\"type\":\"unsigned_long\"}"},
        {ES_MAP_DOUBLE, "{\"type\":\"double\"}"},
        {ES_MAP_BOOLEAN, "{\"type\":\"boolean\"}"},
        {ES_MAP_DATE, "{\"type\":\"date_nanos\",\"ignore_malformed\":true}"},
        {ES_MAP_TIMESTAMP, "{\"type\":\"date_nanos\"}"},
        {ES_MAP_IP, "{\"type\":\"ip\"}"},
        {ES_MAP_KEYWORD, "{\"type\":\"keyword\",\"ignore_above\":8191}"},
        {ES_MAP_BYTES, "{\"type\":\"keyword\",\"ignore_above\":1024}"},
        {ES_MAP_SEARCH_TEXT, "{\"type\":\"keyword\",\"ignore_above\":8191,\"fields\":{\"text\":{\"type\":\"text\"}}}"},
        {ES_MAP_BINARY, "{\"type\":\"binary\"}"},
        {ES_MAP_TIME_ALIAS, "{\"type\":\"alias\",\"path\":\"@timestamp\"}"},
        {ES_MAP_CONSTANT, "{\"type\":\"constant_keyword\"}"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        esbuf out;
        jsonw w;
        esbuf_init(&out, 64, 4096);
        jw_init(&w, &out);
        es_map_property(&w, rows[i].c, 0);
        g_assert_true(jw_finish(&w));
        g_assert_cmpstr(out.data, ==, rows[i].json);
        esbuf_free(&out);
    }
}

static void test_schema(void)
{
    es_schema *s = es_schema_new();
    es_schema_add(s, "a.b", ES_MAP_LONG);
    es_schema_add(s, "c", ES_MAP_IP);
    g_assert_cmpuint(es_schema_count(s), ==, 2);
    esbuf out;
    jsonw w;
    esbuf_init(&out, 64, 4096);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_schema_write(s, 1, 5, &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    g_assert_cmpstr(out.data, ==, "{\"c\":{\"type\":\"ip\"}}");
    esbuf_free(&out);
    es_schema_free(s);
}

/* A cluster without x-pack: unsigned_long and constant_keyword fall back
 * to types that keep every digit and every document. */
static void test_fallbacks(void)
{
    es_schema *s = es_schema_new();
    es_schema_add(s, "gquic.cid", ES_MAP_ULONG);
    es_schema_add_constant(s, "event.dataset", "wireshark.packet");
    es_schema_set_lacks(s, ES_LACKS_UNSIGNED_LONG | ES_LACKS_CONSTANT_KEYWORD);
    g_assert_cmpuint(es_schema_lacks(s), ==, ES_LACKS_UNSIGNED_LONG | ES_LACKS_CONSTANT_KEYWORD);
    esbuf out;
    jsonw w;
    esbuf_init(&out, 64, 4096);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_schema_write(s, 0, es_schema_count(s), &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    g_assert_cmpstr(out.data, ==,
                    "{\"gquic.cid\":{\"type\":\"double\",\"fields\":{\"exact\":{\"type\":\"keyword\"}}},"
                    "\"event.dataset\":{\"type\":\"keyword\",\"ignore_above\":8191}}");
    esbuf_free(&out);
    es_schema_free(s);
}

static char *write_range(es_schema *s, size_t from, size_t to)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 64, 4096);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_schema_write(s, from, to, &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    return out.data;
}

/* A copy_to re-registers its source; a range holding both entries writes
 * only the newer one (no duplicate key), a later range only the change. */
static void test_schema_copy_to(void)
{
    es_schema *s = es_schema_new();
    es_schema_add(s, "ip.src", ES_MAP_IP);
    es_schema_add(s, "ip.addr", ES_MAP_IP);
    g_assert_false(es_schema_copy_to(s, "ip.src", "nowhere"));
    g_assert_true(es_schema_copy_to(s, "ip.src", "ip.addr"));
    g_assert_false(es_schema_copy_to(s, "ip.src", "ip.addr"));
    g_assert_cmpuint(es_schema_count(s), ==, 3);
    g_assert_cmpuint(es_schema_fields(s), ==, 2);
    char *all = write_range(s, 0, 3);
    g_assert_cmpstr(all, ==, "{\"ip.addr\":{\"type\":\"ip\"},"
                             "\"ip.src\":{\"type\":\"ip\",\"copy_to\":[\"ip.addr\"]}}");
    es_schema_add(s, "ip.dst", ES_MAP_IP);
    g_assert_true(es_schema_copy_to(s, "ip.dst", "ip.addr"));
    es_schema_add_constant(s, "event.dataset", "wireshark.packet");
    g_assert_false(es_schema_copy_to(s, "ip.src", "ip.host")); /* target not registered */
    char *later = write_range(s, 3, es_schema_count(s));
    g_assert_cmpstr(later, ==, "{\"ip.dst\":{\"type\":\"ip\",\"copy_to\":[\"ip.addr\"]},"
                               "\"event.dataset\":{\"type\":\"constant_keyword\",\"value\":\"wireshark.packet\"}}");
    g_free(all);
    g_free(later);
    es_schema_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mapping/every-type", test_every_type);
    g_test_add_func("/mapping/schema-copy-to", test_schema_copy_to);
    g_test_add_func("/mapping/merge", test_merge);
    g_test_add_func("/mapping/properties", test_properties);
    g_test_add_func("/mapping/schema", test_schema);
    g_test_add_func("/mapping/fallbacks", test_fallbacks);
    return g_test_run();
}
