/* test_esapi.c — server detection, bulk responses, the index template.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "esapi.h"

static void test_server(void)
{
    es_server_info info;
    GError *err = NULL;
    const char *es8 = "{\"name\":\"n\",\"version\":{\"number\":\"8.15.3\",\"build_flavor\":\"default\"},"
                      "\"tagline\":\"You Know, for Search\"}";
    g_assert_true(es_server_parse(es8, strlen(es8), &info, &err));
    g_assert_false(info.opensearch);
    g_assert_cmpint(info.major, ==, 8);
    g_assert_cmpint(info.minor, ==, 15);
    g_assert_cmpint(es_server_name_style(&info), ==, ES_NAMES_DOTTED);

    const char *es82 = "{\"version\":{\"number\":\"8.2.0\"}}";
    g_assert_true(es_server_parse(es82, strlen(es82), &info, &err));
    g_assert_cmpint(es_server_name_style(&info), ==, ES_NAMES_UNDERSCORE);

    const char *os = "{\"version\":{\"distribution\":\"opensearch\",\"number\":\"2.17.0\"}}";
    g_assert_true(es_server_parse(os, strlen(os), &info, &err));
    g_assert_true(info.opensearch);
    g_assert_cmpint(es_server_name_style(&info), ==, ES_NAMES_UNDERSCORE);

    g_assert_false(es_server_parse("{\"ok\":1}", 8, &info, &err));
    g_clear_error(&err);
    g_assert_false(es_server_parse("<html>", 6, &info, &err));
    g_clear_error(&err);
}

typedef struct seen {
    int status[8];
    char *type[8];
    unsigned n;
} seen;

static void collect(void *ud, uint32_t i, int status, const char *type, const char *reason)
{
    seen *s = ud;
    g_assert_cmpuint(i, ==, s->n);
    s->status[i] = status;
    s->type[i] = g_strdup(type);
    s->n++;
}

static void test_bulk_response(void)
{
    const char *body =
        "{\"errors\":true,\"items\":["
        "{\"create\":{\"status\":201}},"
        "{\"create\":{\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":\"r\"}}},"
        "{\"create\":{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"busy\"}}},"
        "{\"index\":{\"status\":400,\"error\":{\"type\":\"document_parsing_exception\",\"reason\":\"bad\"}}}]}";
    seen s = {0};
    GError *err = NULL;
    g_assert_true(es_bulk_response_parse(body, strlen(body), 4, collect, &s, &err));
    g_assert_cmpuint(s.n, ==, 4);
    g_assert_cmpint(s.status[0], ==, 201);
    g_assert_null(s.type[0]);
    g_assert_cmpint(s.status[1], ==, 409);
    g_assert_cmpint(s.status[2], ==, 429);
    g_assert_cmpstr(s.type[3], ==, "document_parsing_exception");
    for (unsigned i = 0; i < s.n; i++)
        g_free(s.type[i]);

    seen t = {0};
    g_assert_false(es_bulk_response_parse(body, strlen(body), 3, collect, &t, &err));
    g_clear_error(&err);
    g_assert_false(es_bulk_response_parse("{\"errors\":false}", 16, 1, collect, &t, &err));
    g_clear_error(&err);
    g_assert_false(es_bulk_response_parse("garbage", 7, 1, collect, &t, &err));
    g_clear_error(&err);
}

static void test_mapping_conflict(void)
{
    /* A whole PUT _mapping answer (Elasticsearch 8, OpenSearch). */
    const char *e = "{\"error\":{\"root_cause\":[{\"type\":\"illegal_argument_exception\",\"reason\":"
                    "\"mapper [enip.sinaddr] cannot be changed from type [keyword] to [ip]\"}],"
                    "\"type\":\"illegal_argument_exception\",\"reason\":\"mapper [enip.sinaddr] cannot be "
                    "changed from type [keyword] to [ip]\"},\"status\":400}";
    char *f = es_mapping_conflict_field(e, strlen(e));
    g_assert_cmpstr(f, ==, "enip.sinaddr");
    g_free(f);
    /* A bulk item's reason, and Elasticsearch 7's wording of a parameter. */
    e = "mapper [tls.quic.parameter.max_udp_payload_size] cannot be changed from type [long] to [double]";
    f = es_mapping_conflict_field(e, strlen(e));
    g_assert_cmpstr(f, ==, "tls.quic.parameter.max_udp_payload_size");
    g_free(f);
    e = "Mapper for [http_host] conflicts with existing mapper:\n\tCannot update parameter [ignore_above]";
    f = es_mapping_conflict_field(e, strlen(e));
    g_assert_cmpstr(f, ==, "http_host");
    g_free(f);
    /* Not a conflict; cut short; an empty or quoted name; NULL. */
    const char *no[] = {"failed to parse field [ip.src] of type [ip]", "mapper [a.b] cannot be changed from",
                        "mapper [] cannot be changed from type [long] to [ip]",
                        "mapper [a\"b] cannot be changed from type [long] to [ip]"};
    for (size_t i = 0; i < G_N_ELEMENTS(no); i++)
        g_assert_null(es_mapping_conflict_field(no[i], strlen(no[i])));
    g_assert_null(es_mapping_conflict_field(NULL, 0));
    /* Only the first len bytes are read. */
    e = "mapper [a.b] cannot be changed from type [long] to [ip]";
    g_assert_null(es_mapping_conflict_field(e, 20));
}

static void test_template_shadowed(void)
{
    /* _simulate_index lists the matching templates that lose. */
    const char *lost = "{\"template\":{\"mappings\":{}},\"overlapping\":[{\"name\":\"other\",\"index_patterns\":"
                       "[\"x*\"]},{\"name\":\"wireshark-es-hp\",\"index_patterns\":[\"hp-*\"]}]}";
    g_assert_true(es_template_shadowed(lost, strlen(lost), "wireshark-es-hp"));
    g_assert_false(es_template_shadowed(lost, strlen(lost), "wireshark-es-packets"));
    const char *won = "{\"template\":{\"mappings\":{}},\"overlapping\":[{\"name\":\"user-low\"}]}";
    g_assert_false(es_template_shadowed(won, strlen(won), "wireshark-es-hp"));
    const char *odd[] = {"{\"template\":{}}", "{\"overlapping\":{}}", "{\"overlapping\":[1,{\"name\":2}]}", "[]", "<html>"};
    for (size_t i = 0; i < G_N_ELEMENTS(odd); i++)
        g_assert_false(es_template_shadowed(odd[i], strlen(odd[i]), "wireshark-es-hp"));
}

static void test_error_summary(void)
{
    const char *e = "{\"error\":{\"root_cause\":[],\"type\":\"illegal_argument_exception\","
                    "\"reason\":\"The bulk request must be terminated by a newline [\\\\n]\"},\"status\":400}";
    char *s = es_error_summary(e, strlen(e));
    g_assert_cmpstr(s, ==, "illegal_argument_exception: The bulk request must be terminated by a newline [\\n]");
    g_free(s);
    /* A refused template: the reason is two causes down. */
    e = "{\"error\":{\"type\":\"illegal_argument_exception\",\"reason\":\"template after composition is invalid\","
        "\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"invalid composite mappings\","
        "\"caused_by\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"no [unsigned_long]\"}}},\"status\":400}";
    s = es_error_summary(e, strlen(e));
    g_assert_cmpstr(s, ==, "illegal_argument_exception: template after composition is invalid "
                           "(caused by mapper_parsing_exception: no [unsigned_long])");
    g_free(s);
    s = es_error_summary("Bad Gateway", 11);
    g_assert_cmpstr(s, ==, "Bad Gateway");
    g_free(s);
    /* A proxy's page: its title; a hostile server's escapes: spaces. */
    e = "<html>\r\n<head><title>401 Authorization Required</title></head><body>...";
    s = es_error_summary(e, strlen(e));
    g_assert_cmpstr(s, ==, "401 Authorization Required");
    g_free(s);
    s = es_error_summary("\x1b[2Jgone\n\xff", 10);
    g_assert_cmpstr(s, ==, "[2Jgone \xef\xbf\xbd");
    g_free(s);
}

static JsonObject *object_at(JsonNode *root, const char *path)
{
    JsonObject *o = json_node_get_object(root);
    char **parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p && o; p++)
        o = json_object_has_member(o, *p) ? json_object_get_object_member(o, *p) : NULL;
    g_strfreev(parts);
    return o;
}

static void test_template(void)
{
    es_server_info es8 = {.major = 8, .minor = 15};
    es_schema *schema = es_schema_new();
    es_schema_add(schema, "@timestamp", ES_MAP_TIMESTAMP);
    es_schema_add(schema, "es.raw", ES_MAP_BINARY);
    es_schema_add(schema, "gquic.cid", ES_MAP_ULONG);
    es_settings st;
    es_settings_init(&st);
    char *body = es_template_body(&es8, ES_NAMES_DOTTED, &st, schema);
    JsonParser *p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, body, -1, NULL));
    JsonNode *root = json_parser_get_root(p);
    JsonArray *pats = json_object_get_array_member(json_node_get_object(root), "index_patterns");
    g_assert_cmpstr(json_array_get_string_element(pats, 0), ==, "packets-*");
    JsonObject *m = object_at(root, "template/mappings");
    g_assert_false(json_object_get_boolean_member(m, "subobjects"));
    g_assert_false(json_object_get_boolean_member(m, "date_detection"));
    JsonObject *ts = object_at(root, "template/mappings/properties/@timestamp");
    g_assert_cmpstr(json_object_get_string_member(ts, "type"), ==, "date_nanos");
    g_assert_false(json_object_has_member(ts, "ignore_malformed"));
    g_assert_null(object_at(root, "data_stream"));
    JsonObject *raw = object_at(root, "template/mappings/properties/es.raw");
    g_assert_cmpstr(json_object_get_string_member(raw, "type"), ==, "binary");
    JsonObject *cid = object_at(root, "template/mappings/properties/gquic.cid");
    g_assert_cmpstr(json_object_get_string_member(cid, "type"), ==, "unsigned_long");
    JsonObject *st_obj = object_at(root, "template/settings");
    g_assert_true(json_object_get_boolean_member(st_obj, "index.mapping.total_fields.ignore_dynamic_beyond_limit"));
    g_object_unref(p);
    g_free(body);

    es_server_info os = {.opensearch = true, .major = 2, .minor = 17};
    es_schema *under = es_schema_new();
    es_schema_add(under, "es_raw", ES_MAP_BINARY);
    es_settings_set_string(&st, es_opt_find("ilm_policy"), "pcap-30d");
    body = es_template_body(&os, ES_NAMES_UNDERSCORE, &st, under);
    g_assert_null(strstr(body, "subobjects"));
    g_assert_null(strstr(body, "lifecycle")); /* ILM is Elasticsearch's */
    g_assert_null(strstr(body, "ignore_dynamic_beyond_limit"));
    g_assert_nonnull(strstr(body, "\"es_raw\":{\"type\":\"binary\"}"));
    g_free(body);
    es_schema_free(under);

    /* A data stream: its own name as pattern, a data-stream template, ILM. */
    es_settings_set_string(&st, es_opt_find("data_stream"), "logs-wireshark-default");
    body = es_template_body(&es8, ES_NAMES_DOTTED, &st, schema);
    p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, body, -1, NULL));
    root = json_parser_get_root(p);
    pats = json_object_get_array_member(json_node_get_object(root), "index_patterns");
    g_assert_cmpstr(json_array_get_string_element(pats, 0), ==, "logs-wireshark-default*");
    g_assert_nonnull(object_at(root, "data_stream"));
    st_obj = object_at(root, "template/settings");
    g_assert_cmpstr(json_object_get_string_member(st_obj, "index.lifecycle.name"), ==, "pcap-30d");
    g_object_unref(p);
    g_free(body);
    es_settings_clear(&st);

    body = es_mapping_body(schema, 2, 3, ES_NAMES_DOTTED, NULL);
    g_assert_cmpstr(body, ==, "{\"subobjects\":false,\"properties\":{\"gquic.cid\":{\"type\":\"unsigned_long\"}}}");
    g_free(body);
    body = es_mapping_body(schema, 2, 3, ES_NAMES_UNDERSCORE, NULL);
    g_assert_cmpstr(body, ==, "{\"properties\":{\"gquic.cid\":{\"type\":\"unsigned_long\"}}}");
    g_free(body);
    /* A field an index maps otherwise is left out of its update. */
    const char *conflicts[] = {"gquic.cid", NULL};
    body = es_mapping_body(schema, 2, 3, ES_NAMES_UNDERSCORE, conflicts);
    g_assert_cmpstr(body, ==, "{\"properties\":{}}");
    g_free(body);
    es_schema_free(schema);
    char *glob = es_index_glob("pk-%Y");
    g_assert_cmpstr(glob, ==, "pk-*");
    g_free(glob);

    char *name = es_template_name("packets-%Y.%m.%d");
    g_assert_cmpstr(name, ==, "wireshark-es-packets");
    g_free(name);
    name = es_template_name("lab.pcaps_");
    g_assert_cmpstr(name, ==, "wireshark-es-lab.pcaps");
    g_free(name);
}

static void test_bulk_all_ok(void)
{
    const char *ok = " {\"errors\" : false,\"items\":[{\"create\":{\"status\":201}},"
                     "{\"index\":{\"status\":200}}]}";
    g_assert_true(es_bulk_response_all_ok(ok, strlen(ok), 2));
    g_assert_false(es_bulk_response_all_ok(ok, strlen(ok), 1));
    g_assert_false(es_bulk_response_all_ok(ok, strlen(ok), 3));
    g_assert_false(es_bulk_response_all_ok(ok, 20, 2)); /* cut short */
    const char *errors = "{\"errors\":true,\"items\":[{\"create\":{\"status\":201}}]}";
    g_assert_false(es_bulk_response_all_ok(errors, strlen(errors), 1));
    const char *took = "{\"took\":3,\"errors\":false,\"items\":[{\"create\":{\"status\":201}}]}";
    g_assert_false(es_bulk_response_all_ok(took, strlen(took), 1)); /* left to the parser */
    const char *escaped = "{\"errors\":false,\"items\":[{\"create\":{\"_id\":\"a\\\"status\\\"\","
                          "\"status\":201}}]}";
    g_assert_true(es_bulk_response_all_ok(escaped, strlen(escaped), 1));
    /* Unfiltered, as Elasticsearch 8.19 writes it: an index named "status" is no item. */
    const char *named = "{\"errors\":false,\"took\":0,\"items\":[{\"create\":{\"_index\":\"status\","
                        "\"result\":\"created\",\"status\":201}}]}\n";
    g_assert_true(es_bulk_response_all_ok(named, strlen(named), 1));
    g_assert_false(es_bulk_response_all_ok(named, strlen(named), 2));
    /* "errors":false with a failed item (found by fuzz_bulkok): parsed item by item. */
    const char *lie = "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},{\"create\":{\"status\":429}}]}";
    g_assert_false(es_bulk_response_all_ok(lie, strlen(lie), 2));
    const char *big = "{\"errors\":false,\"items\":[{\"create\":{\"status\":2010}}]}";
    g_assert_false(es_bulk_response_all_ok(big, strlen(big), 1));
    const char *cut = "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}}";
    g_assert_false(es_bulk_response_all_ok(cut, strlen(cut), 1));
    g_assert_false(es_bulk_response_all_ok(cut, strlen("{\"errors\":false,\"items\":[{\"create\":{\"status\""), 1));
}

/* An installed template's fields come back with their copy_to and values;
 * the run's own registrations keep them. */
static void test_template_seed(void)
{
    const char *body =
        "{\"index_templates\":[{\"name\":\"wireshark-es-packets\",\"index_template\":{"
        "\"index_patterns\":[\"packets-*\"],\"template\":{\"mappings\":{\"properties\":{"
        "\"ip.src\":{\"type\":\"ip\",\"copy_to\":[\"ip.addr\",\"source.ip\"]},"
        "\"ip.addr\":{\"type\":\"ip\"},\"tcp.payload\":{\"type\":\"keyword\",\"ignore_above\":1024},"
        "\"event\":{\"properties\":{\"dataset\":{\"type\":\"constant_keyword\",\"value\":\"wireshark.packet\"}}},"
        "\"frame.time\":{\"type\":\"alias\",\"path\":\"@timestamp\"},"
        "\"http.user_agent\":{\"type\":\"keyword\",\"ignore_above\":8191,\"fields\":{\"text\":{\"type\":\"text\"}}},"
        "\"geo\":{\"type\":\"geo_point\"}}}}}}]}";
    es_schema *schema = es_schema_new();
    es_schema_add(schema, "tcp.payload", ES_MAP_BYTES);
    g_assert_true(es_template_seed(body, strlen(body), schema));
    g_assert_cmpuint(es_schema_fields(schema), ==, 6); /* not geo: not a type of ours */
    es_schema_add(schema, "ip.src", ES_MAP_IP);        /* the run meets it: nothing lost */
    esbuf out;
    jsonw w;
    esbuf_init(&out, 64, 1 << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    es_schema_write(schema, 0, es_schema_count(schema), &w);
    jw_end_object(&w);
    g_assert_true(jw_finish(&w));
    g_assert_nonnull(strstr(out.data, "\"ip.src\":{\"type\":\"ip\",\"copy_to\":[\"ip.addr\",\"source.ip\"]}"));
    g_assert_nonnull(strstr(out.data, "\"event.dataset\":{\"type\":\"constant_keyword\",\"value\":\"wireshark.packet\"}"));
    g_assert_nonnull(strstr(out.data, "\"frame.time\":{\"type\":\"alias\",\"path\":\"@timestamp\"}"));
    g_assert_null(strstr(out.data, "geo"));
    g_assert_nonnull(strstr(out.data, "\"http.user_agent\":{\"type\":\"keyword\",\"ignore_above\":8191,"
                                      "\"fields\":{\"text\":{\"type\":\"text\"}}}"));
    esbuf_free(&out);
    g_assert_false(es_template_seed("{\"index_templates\":[]}", 22, schema));
    g_assert_false(es_template_seed("nonsense", 8, schema));
    es_schema_free(schema);
}

/* Every class's mapping, read back, is that class again (the type table
 * read both ways); what a cluster lacking a type gets reads as the class
 * it stands for. */
static void test_type_table_round_trip(void)
{
    unsigned lacks_sets[] = {0, ES_LACKS_UNSIGNED_LONG | ES_LACKS_CONSTANT_KEYWORD};
    for (size_t l = 0; l < G_N_ELEMENTS(lacks_sets); l++) {
        for (es_map_class c = ES_MAP_NONE; c <= ES_MAP_CONSTANT; c++) {
            esbuf out;
            jsonw w;
            esbuf_init(&out, 64, 4096);
            jw_init(&w, &out);
            es_map_property(&w, c, lacks_sets[l]);
            g_assert_true(jw_finish(&w));
            JsonNode *n = json_from_string(out.data, NULL);
            JsonObject *o = json_node_get_object(n);
            const char *name = c == ES_MAP_TIMESTAMP ? "@timestamp" : "f";
            es_map_class back = es_map_class_of_mapping(
                name, json_object_get_string_member(o, "type"), json_object_has_member(o, "fields"),
                json_object_get_int_member_with_default(o, "ignore_above", 0));
            es_map_class want = c;
            if (c == ES_MAP_NONE || (c == ES_MAP_CONSTANT && lacks_sets[l]))
                want = ES_MAP_KEYWORD;
            g_assert_cmpint(back, ==, want);
            json_node_unref(n);
            esbuf_free(&out);
        }
    }
    /* A keyword another tool mapped, with its own ignore_above. */
    g_assert_cmpint(es_map_class_of_mapping("f", "keyword", false, 256), ==, ES_MAP_KEYWORD);
    g_assert_cmpint(es_map_class_of_mapping("f", "text", false, 0), ==, ES_MAP_NONE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/esapi/server", test_server);
    g_test_add_func("/esapi/bulk-response", test_bulk_response);
    g_test_add_func("/esapi/bulk-response-all-ok", test_bulk_all_ok);
    g_test_add_func("/esapi/template-seed", test_template_seed);
    g_test_add_func("/esapi/type-table-round-trip", test_type_table_round_trip);
    g_test_add_func("/esapi/error-summary", test_error_summary);
    g_test_add_func("/esapi/mapping-conflict", test_mapping_conflict);
    g_test_add_func("/esapi/template-shadowed", test_template_shadowed);
    g_test_add_func("/esapi/template", test_template);
    return g_test_run();
}
