/* conncheck.c — "Test connection": what each configured node says.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "conncheck.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "esapi.h"
#include "http.h"
#include "schema.h"
#include "secrets.h"

/* Why a node gave no HTTP answer, in the words a user acts on. */
static void describe_transport(GString *out, const es_http_result *res)
{
    if (res->refused)
        g_string_append_printf(out, "PROBLEM %s: TLS: %s (see es.ca_file, es.ca_fingerprint, "
                                    "es.tls_verify)\n",
                               res->node, res->error);
    else
        g_string_append_printf(out, "PROBLEM %s: unreachable: %s (check es.node: host name, port, "
                                    "http or https)\n",
                               res->node, res->error);
}

static void describe_auth_refusal(GString *out, const es_settings *s, const es_http_result *res)
{
    char *who = es_credentials_identity(s->user, s->api_key);
    char *why = es_error_summary(res->body->str, res->body->len);
    if (!who)
        g_string_append_printf(out, "PROBLEM %s: HTTP %ld: the cluster wants credentials: set es.user "
                                    "and its password, or es.api_key (%s)\n",
                               res->node, res->status, why);
    else
        g_string_append_printf(out, "PROBLEM %s: HTTP %ld: the credentials of %s are refused%s (%s)\n",
                               res->node, res->status, who,
                               res->status == 403 ? " (missing privilege)" : "", why);
    g_free(why);
    g_free(who);
}

/* GET /: false (with the problem written) unless the node answered with
 * what an Elasticsearch or OpenSearch node says. */
static bool check_root(GString *out, es_http *h, const es_settings *s, unsigned timeout_s)
{
    es_http_result res;
    es_http_request(h, "GET", "/", NULL, 0, timeout_s, &res);
    if (res.transport_error) {
        describe_transport(out, &res);
        return false;
    }
    if (res.status == 401 || res.status == 403) {
        describe_auth_refusal(out, s, &res);
        return false;
    }
    es_server_info info;
    if (res.status != 200 || !es_server_parse(res.body->str, res.body->len, &info, NULL)) {
        char *why = es_error_summary(res.body->str, res.body->len);
        g_string_append_printf(out, "PROBLEM %s: HTTP %ld to GET /, not an Elasticsearch or OpenSearch "
                                    "node (%s)\n",
                               res.node, res.status, why);
        g_free(why);
        return false;
    }
    char *who = es_credentials_identity(s->user, s->api_key);
    g_string_append_printf(out, "OK %s: %s %s; %s%s\n", res.node, info.opensearch ? "OpenSearch" : "Elasticsearch",
                           info.version, who ? "credentials accepted for " : "no credentials needed",
                           who ? who : "");
    g_free(who);
    return true;
}

/* Whether a flat-settings answer sets one of the write blocks. */
static const char *block_in(const es_http_result *res, const char *prefix)
{
    static const char *const blocks[] = {"read_only\":\"true", "read_only_allow_delete\":\"true",
                                         "write\":\"true", NULL};
    if (res->transport_error || res->status != 200)
        return NULL;
    for (size_t i = 0; blocks[i]; i++) {
        char *key = g_strdup_printf("%s.blocks.%s", prefix, blocks[i]);
        bool found = strstr(res->body->str, key) != NULL;
        g_free(key);
        if (found)
            return blocks[i];
    }
    return NULL;
}

static void check_blocks(GString *out, es_http *h, const es_settings *s, unsigned timeout_s)
{
    es_http_result res;
    es_http_request(h, "GET", "/_cluster/settings?flat_settings=true", NULL, 0, timeout_s, &res);
    const char *block = block_in(&res, "cluster");
    if (block) {
        g_string_append_printf(out, "  PROBLEM read-only: the cluster has cluster.blocks.%.*s set: "
                                    "documents are refused\n",
                               (int)strcspn(block, "\""), block);
        return;
    }
    char *glob = es_index_glob(es_settings_target(s));
    char *path = g_strdup_printf("/%s/_settings/index.blocks.*?flat_settings=true&allow_no_indices=true", glob);
    es_http_request(h, "GET", path, NULL, 0, timeout_s, &res);
    block = block_in(&res, "index");
    if (block)
        g_string_append_printf(out, "  PROBLEM read-only: an index of %s has index.blocks.%.*s set: "
                                    "documents are refused\n",
                               glob, (int)strcspn(block, "\""), block);
    else
        g_string_append_printf(out, "  writable: no read-only block on the cluster or %s\n", glob);
    g_free(path);
    g_free(glob);
}

/* The index patterns of the first template in a GET _index_template
 * answer, comma-joined; NULL if there are none. */
static char *template_patterns(const char *body)
{
    JsonParser *parser = json_parser_new();
    char *out = NULL;
    if (json_parser_load_from_data(parser, body, -1, NULL)) {
        JsonNode *n = json_path_query("$.index_templates[0].index_template.index_patterns[*]",
                                      json_parser_get_root(parser), NULL);
        JsonArray *a = n ? json_node_get_array(n) : NULL;
        GString *joined = g_string_new(NULL);
        for (guint i = 0; a && i < json_array_get_length(a); i++)
            g_string_append_printf(joined, "%s%s", i ? "," : "", json_array_get_string_element(a, i));
        out = joined->len ? g_string_free(joined, FALSE) : (g_string_free(joined, TRUE), NULL);
        if (n)
            json_node_unref(n);
    }
    g_object_unref(parser);
    return out;
}

/* Present, and for the pattern documents go to; or why not. */
static void describe_template(GString *out, const es_settings *s, const char *name, const char *body,
                              es_schema *schema)
{
    char *want = es_index_glob(es_settings_target(s)); /* as es_template_body() writes it */
    char *have = template_patterns(body);
    if (g_strcmp0(have, want) == 0)
        g_string_append_printf(out, "  template %s: present, %zu fields\n", name, es_schema_fields(schema));
    else
        g_string_append_printf(out, "  PROBLEM template %s differs: it applies to %s, documents go to %s\n", name,
                               have ? have : "no index pattern", want);
    g_free(have);
    g_free(want);
}

static void check_template(GString *out, es_http *h, const es_settings *s, unsigned timeout_s)
{
    char *name = es_template_name(es_settings_target(s));
    char *path = g_strdup_printf("/_index_template/%s", name);
    es_http_result res;
    es_http_request(h, "GET", path, NULL, 0, timeout_s, &res);
    es_schema *schema = es_schema_new();
    if (!res.transport_error && res.status == 200) {
        es_template_seed(res.body->str, res.body->len, schema); /* its fields, if it has any */
        describe_template(out, s, name, res.body->str, schema);
    } else if (!res.transport_error && res.status == 404)
        g_string_append_printf(out, "  template %s: missing%s\n", name,
                               s->template ? " (the first export installs it)" : " and es.template is off");
    else
        g_string_append_printf(out, "  template %s: could not be read (HTTP %ld)\n", name, res.status);
    es_schema_free(schema);
    g_free(path);
    g_free(name);
}

char *es_conncheck_run(const es_settings *s, unsigned timeout_s)
{
    GString *out = g_string_new(NULL);
    es_sink sink = {0};
    GError *err = NULL;
    if (!es_sink_parse(s->node, &sink, &err)) {
        g_string_append_printf(out, "PROBLEM %s\n", err->message);
        g_error_free(err);
        return g_string_free(out, FALSE);
    }
    if (sink.kind != ES_SINK_HTTP)
        g_string_append_printf(out, "OK es.node writes to %s: no cluster to test\n",
                               sink.kind == ES_SINK_FILE ? sink.path : "standard output");
    for (size_t i = 0; sink.kind == ES_SINK_HTTP && sink.urls[i]; i++) {
        char *one[] = {sink.urls[i], NULL};
        es_sink node = {ES_SINK_HTTP, one, NULL};
        es_http *h = es_http_new(s, &node, 1, false);
        if (check_root(out, h, s, timeout_s)) {
            check_blocks(out, h, s, timeout_s);
            check_template(out, h, s, timeout_s);
        }
        es_http_free(h);
    }
    es_sink_clear(&sink);
    return g_string_free(out, FALSE);
}
