/* esapi.c — what the exporter knows of the Elasticsearch REST API.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* memmem */
#include "esapi.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "version.h"

static JsonNode *parse(const char *body, size_t len, GError **err)
{
    JsonParser *p = json_parser_new_immutable();
    JsonNode *root = NULL;
    if (json_parser_load_from_data(p, body, (gssize)len, err))
        root = json_node_ref(json_parser_get_root(p));
    g_object_unref(p);
    return root;
}

bool es_server_parse(const char *body, size_t len, es_server_info *out, GError **err)
{
    memset(out, 0, sizeof *out);
    JsonNode *root = parse(body, len, err);
    if (!root)
        return false;
    bool ok = false;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonObject *v = o && json_object_has_member(o, "version") ?
                        json_object_get_object_member(o, "version") :
                        NULL;
    const char *number = v && json_object_has_member(v, "number") ?
                             json_object_get_string_member(v, "number") :
                             NULL;
    if (number && sscanf(number, "%d.%d", &out->major, &out->minor) == 2) {
        g_strlcpy(out->version, number, sizeof out->version);
        const char *dist = json_object_has_member(v, "distribution") ?
                               json_object_get_string_member(v, "distribution") :
                               NULL;
        out->opensearch = dist && strcmp(dist, "opensearch") == 0;
        ok = true;
    } else {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "not an Elasticsearch or OpenSearch node (no version.number in GET /)");
    }
    json_node_unref(root);
    return ok;
}

es_name_style es_server_name_style(const es_server_info *info)
{
    if (!info->opensearch && (info->major > 8 || (info->major == 8 && info->minor >= 3)))
        return ES_NAMES_DOTTED;
    return ES_NAMES_UNDERSCORE;
}

typedef struct item_ctx {
    es_bulk_item_cb cb;
    void *ud;
    uint32_t n;
} item_ctx;

static void on_item(JsonArray *arr, guint i, JsonNode *node, gpointer user)
{
    item_ctx *c = user;
    (void)arr;
    JsonObject *wrap = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    GList *members = wrap ? json_object_get_values(wrap) : NULL;
    JsonNode *inner = members ? members->data : NULL;
    g_list_free(members);
    int status = 0;
    const char *type = NULL, *reason = NULL;
    if (inner && JSON_NODE_HOLDS_OBJECT(inner)) {
        JsonObject *r = json_node_get_object(inner);
        status = (int)json_object_get_int_member_with_default(r, "status", 0);
        JsonNode *e = json_object_get_member(r, "error");
        if (e && JSON_NODE_HOLDS_OBJECT(e)) {
            JsonObject *eo = json_node_get_object(e);
            type = json_object_get_string_member_with_default(eo, "type", NULL);
            reason = json_object_get_string_member_with_default(eo, "reason", NULL);
        }
    }
    c->cb(c->ud, i, status, type, reason);
    c->n++;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static const char *expect(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    p = skip_ws(p, end);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* Past a 2xx status number at p (after the ':'), or NULL. */
static const char *ok_status(const char *p, const char *end)
{
    p = skip_ws(p, end);
    if (end - p < 3 || p[0] != '2' || !g_ascii_isdigit(p[1]) || !g_ascii_isdigit(p[2]) ||
        (end - p > 3 && g_ascii_isdigit(p[3])))
        return NULL;
    return p + 3;
}

bool es_bulk_response_all_ok(const char *body, size_t len, uint32_t n_items)
{
    const char *end = body + len, *p = body;
    if (!(p = expect(p, end, "{")) || !(p = expect(p, end, "\"errors\"")) ||
        !(p = expect(p, end, ":")) || !(p = expect(p, end, "false")))
        return false;
    /* A body cut short is not believed: it ends with the items' "]}". */
    const char *tail = end;
    while (tail > p && g_ascii_isspace(tail[-1]))
        tail--;
    if (tail == p || *--tail != '}')
        return false;
    while (tail > p && g_ascii_isspace(tail[-1]))
        tail--;
    if (tail == p || tail[-1] != ']')
        return false;
    /* Item statuses are numbers, and no string in a successful response
     * (index names, ids) can hold an unescaped quote: counting the member
     * name counts the items.  Each must be 2xx: a server claiming
     * "errors":false for a failed item (found by fuzz_bulkok) is not
     * believed. */
    uint32_t seen = 0;
    static const char key[] = "\"status\"";
    /* memmem, not g_strstr_len: this scans every bulk response, a
     * hundred bytes an item, and glibc's skips far faster. */
    while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
        p = skip_ws(p + sizeof key - 1, end);
        if (p == end || *p != ':')
            continue; /* a "status" string (an index of that name), not a member */
        if (!(p = ok_status(p + 1, end)) || ++seen > n_items)
            return false;
    }
    return seen == n_items;
}

bool es_bulk_response_parse(const char *body, size_t len, uint32_t n_items,
                            es_bulk_item_cb cb, void *ud, GError **err)
{
    JsonNode *root = parse(body, len, err);
    if (!root)
        return false;
    bool ok = false;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *items = o ? json_object_get_member(o, "items") : NULL;
    if (items && JSON_NODE_HOLDS_ARRAY(items) &&
        json_array_get_length(json_node_get_array(items)) == n_items) {
        item_ctx c = {cb, ud, 0};
        json_array_foreach_element(json_node_get_array(items), on_item, &c);
        ok = true;
    } else {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "bulk response does not list the %u items sent", n_items);
    }
    json_node_unref(root);
    return ok;
}

/* The innermost caused_by of an error object: Elasticsearch wraps the
 * reason a template is refused in two or three generic layers. */
static JsonObject *root_cause(JsonObject *error)
{
    for (int depth = 0; depth < 8; depth++) {
        JsonNode *c = json_object_get_member(error, "caused_by");
        if (!c || !JSON_NODE_HOLDS_OBJECT(c))
            break;
        error = json_node_get_object(c);
    }
    return error;
}

static char *describe_error(JsonObject *eo)
{
    const char *type = json_object_get_string_member_with_default(eo, "type", "error");
    const char *reason = json_object_get_string_member_with_default(eo, "reason", "");
    JsonObject *cause = root_cause(eo);
    if (cause == eo)
        return g_strdup_printf("%s: %s", type, reason);
    return g_strdup_printf("%s: %s (caused by %s: %s)", type, reason,
                           json_object_get_string_member_with_default(cause, "type", "error"),
                           json_object_get_string_member_with_default(cause, "reason", ""));
}

/* A non-JSON body (a proxy's HTML page) for one line of a message: its
 * <title> if it has one, else its start; control characters (a terminal
 * escape from a hostile server) become spaces. */
static char *text_summary(const char *body, size_t len)
{
    const char *t = body ? g_strstr_len(body, (gssize)MIN(len, 4096), "<title>") : NULL;
    const char *end = t ? g_strstr_len(t, (gssize)(len - (size_t)(t - body)), "</title>") : NULL;
    if (end) {
        len = (size_t)(end - t - 7);
        body = t + 7;
    }
    char *raw = g_strndup(body ? body : "", MIN(len, 200));
    char *out = g_utf8_make_valid(raw, -1);
    g_free(raw);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return g_strstrip(out);
}

bool es_error_is_block(const char *body, size_t len)
{
    /* Cheap first: most error bodies are not blocks. */
    if (!body || !g_strstr_len(body, (gssize)len, "cluster_block_exception"))
        return false;
    JsonNode *root = parse(body, len, NULL);
    bool block = false;
    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
        JsonNode *e = json_object_get_member(json_node_get_object(root), "error");
        if (e && JSON_NODE_HOLDS_OBJECT(e))
            block = g_strcmp0(json_object_get_string_member_with_default(json_node_get_object(e), "type",
                                                                         NULL),
                              "cluster_block_exception") == 0;
    }
    if (root)
        json_node_unref(root);
    return block;
}

char *es_error_summary(const char *body, size_t len)
{
    JsonNode *root = parse(body, len, NULL);
    char *out = NULL;
    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
        JsonNode *e = json_object_get_member(json_node_get_object(root), "error");
        if (e && JSON_NODE_HOLDS_OBJECT(e))
            out = describe_error(json_node_get_object(e));
        else if (e && JSON_NODE_HOLDS_VALUE(e))
            out = g_strdup(json_node_get_string(e));
    }
    if (root)
        json_node_unref(root);
    if (!out)
        out = text_summary(body, len);
    return out;
}

/* The F of "<before>F<after>" in text: a name without brackets or quotes. */
static char *bracketed(const char *text, size_t len, const char *before, const char *after)
{
    const char *start = g_strstr_len(text, (gssize)len, before);
    if (!start)
        return NULL;
    start += strlen(before);
    const char *end = start;
    const char *stop = text + len;
    while (end < stop && *end != ']' && *end != '[' && *end != '"' && *end != '\\')
        end++;
    size_t after_len = strlen(after);
    if (end == start || (size_t)(stop - end) < after_len || memcmp(end, after, after_len) != 0)
        return NULL;
    return g_strndup(start, (gsize)(end - start));
}

char *es_mapping_conflict_field(const char *text, size_t len)
{
    if (!text)
        return NULL;
    char *field = bracketed(text, len, "mapper [", "] cannot be changed from type [");
    return field ? field : bracketed(text, len, "Mapper for [", "] conflicts with existing mapper");
}

static char *pattern_prefix(const char *index_pattern)
{
    const char *pct = strchr(index_pattern, '%');
    return g_strndup(index_pattern, pct ? (gsize)(pct - index_pattern) : strlen(index_pattern));
}

char *es_template_name(const char *index_pattern)
{
    char *prefix = pattern_prefix(index_pattern);
    size_t n = strlen(prefix);
    while (n && strchr("-._", prefix[n - 1]))
        prefix[--n] = '\0';
    char *name = g_strdup_printf("wireshark-es-%s", *prefix ? prefix : "packets");
    g_free(prefix);
    return name;
}

const char *es_meta_key(es_name_style style, const char *name)
{
    /* Interned: called once per field name when keys are prepared. */
    char *key = g_strdup_printf("es%c%s", style == ES_NAMES_UNDERSCORE ? '_' : '.', name);
    const char *interned = g_intern_string(key);
    g_free(key);
    return interned;
}

bool es_template_shadowed(const char *body, size_t len, const char *name)
{
    JsonNode *root = parse(body, len, NULL);
    if (!root)
        return false;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *list = o ? json_object_get_member(o, "overlapping") : NULL;
    bool shadowed = false;
    if (list && JSON_NODE_HOLDS_ARRAY(list)) {
        JsonArray *a = json_node_get_array(list);
        for (guint i = 0; i < json_array_get_length(a) && !shadowed; i++) {
            JsonNode *t = json_array_get_element(a, i);
            shadowed = JSON_NODE_HOLDS_OBJECT(t) &&
                       g_strcmp0(json_object_get_string_member_with_default(json_node_get_object(t), "name", NULL),
                                 name) == 0;
        }
    }
    json_node_unref(root);
    return shadowed;
}

char *es_index_glob(const char *index_pattern)
{
    char *prefix = pattern_prefix(index_pattern);
    char *glob = g_strdup_printf("%s*", prefix);
    g_free(prefix);
    return glob;
}

char *es_mapping_body(es_schema *schema, size_t from, size_t to, es_name_style style,
                      const char *const *except)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 4096, 64u << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    if (style == ES_NAMES_DOTTED) {
        jw_key(&w, "subobjects");
        jw_bool(&w, false);
    }
    jw_key(&w, "properties");
    jw_begin_object(&w);
    es_schema_write_except(schema, from, to, except, &w);
    jw_end_object(&w);
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    return out.data;
}

/* The index settings: a wide field limit, ILM where it is wanted and had. */
static void write_index_settings(jsonw *w, const es_server_info *info, const es_settings *st,
                                 es_schema *schema)
{
    bool unknown = info->major == 0 && !info->opensearch;
    jw_key(w, "settings");
    jw_begin_object(w);
    jw_key(w, "index.mapping.total_fields.limit");
    jw_uint(w, 20000);
    if (unknown || (!info->opensearch && (info->major > 8 || (info->major == 8 && info->minor >= 14)))) {
        /* Never reject a document for one field too many (ES 8.14+). */
        jw_key(w, "index.mapping.total_fields.ignore_dynamic_beyond_limit");
        jw_bool(w, true);
    }
    if (*st->ilm_policy && !info->opensearch && !(es_schema_lacks(schema) & ES_LACKS_ILM)) {
        jw_key(w, "index.lifecycle.name");
        jw_string(w, st->ilm_policy, strlen(st->ilm_policy));
    }
    jw_end_object(w);
}

/* One dynamic template: values of JSON type json_type get mapping type
 * es_type (ignore_above when not 0). */
static void write_dynamic_template(jsonw *w, const char *name, const char *json_type, const char *es_type,
                                   unsigned ignore_above)
{
    jw_begin_object(w);
    jw_key(w, name);
    jw_begin_object(w);
    jw_key(w, "match_mapping_type");
    jw_string(w, json_type, strlen(json_type));
    jw_key(w, "mapping");
    jw_begin_object(w);
    jw_key(w, "type");
    jw_string(w, es_type, strlen(es_type));
    if (ignore_above) {
        jw_key(w, "ignore_above");
        jw_uint(w, ignore_above);
    }
    jw_end_object(w);
    jw_end_object(w);
    jw_end_object(w);
}

static void write_template_mappings(jsonw *w, es_name_style style, es_schema *schema)
{
    jw_key(w, "mappings");
    jw_begin_object(w);
    if (style == ES_NAMES_DOTTED) {
        jw_key(w, "subobjects");
        jw_bool(w, false);
    }
    /* Every field is mapped ahead of its first document; these only catch
     * what nothing foresaw, without guessing types from text. */
    jw_key(w, "date_detection");
    jw_bool(w, false);
    jw_key(w, "numeric_detection");
    jw_bool(w, false);
    jw_key(w, "dynamic_templates");
    jw_begin_array(w);
    write_dynamic_template(w, "strings_as_keywords", "string", "keyword", 8191);
    write_dynamic_template(w, "floats_as_doubles", "double", "double", 0);
    jw_end_array(w);
    jw_key(w, "properties");
    jw_begin_object(w);
    es_schema_write(schema, 0, es_schema_count(schema), w);
    jw_end_object(w);
    jw_end_object(w);
}

char *es_template_body(const es_server_info *info, es_name_style style, const es_settings *st,
                       es_schema *schema)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 4096, 64u << 20);
    jw_init(&w, &out);

    char *glob = es_index_glob(es_settings_target(st));
    jw_begin_object(&w);
    jw_key(&w, "index_patterns");
    jw_begin_array(&w);
    jw_string(&w, glob, strlen(glob));
    jw_end_array(&w);
    g_free(glob);
    jw_key(&w, "priority");
    jw_uint(&w, 200);
    if (*st->data_stream && !(es_schema_lacks(schema) & ES_LACKS_DATA_STREAM)) {
        jw_key(&w, "data_stream");
        jw_begin_object(&w);
        jw_end_object(&w);
    }
    jw_key(&w, "template");
    jw_begin_object(&w);
    write_index_settings(&w, info, st, schema);
    write_template_mappings(&w, style, schema);
    jw_end_object(&w);

    jw_key(&w, "_meta");
    jw_begin_object(&w);
    jw_key(&w, "managed_by");
    jw_string(&w, "wireshark-es", 12);
    jw_key(&w, "version");
    jw_string(&w, ES_PLUGIN_VERSION, strlen(ES_PLUGIN_VERSION));
    jw_end_object(&w);
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    return out.data;
}

static es_map_class class_of_mapping(const char *name, JsonObject *d)
{
    return es_map_class_of_mapping(name, json_object_get_string_member_with_default(d, "type", ""),
                                   json_object_has_member(d, "fields"),
                                   json_object_get_int_member_with_default(d, "ignore_above", 0));
}

char *es_probe_body(unsigned features)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 256, 4096);
    jw_init(&w, &out);
    jw_begin_object(&w);
    jw_key(&w, "index_patterns");
    jw_begin_array(&w);
    jw_string(&w, "wireshark-es-probe-*", 20);
    jw_end_array(&w);
    if (features & ES_LACKS_DATA_STREAM) {
        jw_key(&w, "data_stream");
        jw_begin_object(&w);
        jw_end_object(&w);
    }
    jw_key(&w, "template");
    jw_begin_object(&w);
    if (features & ES_LACKS_ILM) {
        jw_key(&w, "settings");
        jw_begin_object(&w);
        jw_key(&w, "index.lifecycle.name");
        jw_string(&w, "probe", 5);
        jw_end_object(&w);
    }
    jw_key(&w, "mappings");
    jw_begin_object(&w);
    jw_key(&w, "properties");
    jw_begin_object(&w);
    if (features & ES_LACKS_UNSIGNED_LONG) {
        jw_key(&w, "u");
        es_map_property(&w, ES_MAP_ULONG, 0);
    }
    if (features & ES_LACKS_CONSTANT_KEYWORD) {
        jw_key(&w, "c");
        es_map_property(&w, ES_MAP_CONSTANT, 0);
    }
    jw_end_object(&w);
    jw_end_object(&w);
    jw_end_object(&w);
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    return out.data;
}

static void seed_properties(JsonObject *props, const char *prefix, es_schema *schema)
{
    GList *names = json_object_get_members(props);
    for (GList *l = names; l; l = l->next) {
        JsonNode *n = json_object_get_member(props, l->data);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        JsonObject *d = json_node_get_object(n);
        char *path = g_strconcat(prefix, l->data, NULL);
        if (json_object_has_member(d, "properties") && !json_object_has_member(d, "type")) {
            char *sub = g_strconcat(path, ".", NULL);
            seed_properties(json_object_get_object_member(d, "properties"), sub, schema);
            g_free(sub);
        } else {
            es_map_class c = class_of_mapping(path, d);
            /* An alias must point where ours do; anything else is not ours. */
            if (c == ES_MAP_TIME_ALIAS &&
                g_strcmp0(json_object_get_string_member_with_default(d, "path", ""), "@timestamp") != 0)
                c = ES_MAP_NONE;
            if (c != ES_MAP_NONE) {
                GPtrArray *copy = g_ptr_array_new();
                JsonNode *ct = json_object_get_member(d, "copy_to");
                if (ct && JSON_NODE_HOLDS_ARRAY(ct)) {
                    JsonArray *a = json_node_get_array(ct);
                    for (guint i = 0; i < json_array_get_length(a); i++)
                        if (JSON_NODE_HOLDS_VALUE(json_array_get_element(a, i)))
                            g_ptr_array_add(copy, (gpointer)json_array_get_string_element(a, i));
                } else if (ct && JSON_NODE_HOLDS_VALUE(ct)) {
                    g_ptr_array_add(copy, (gpointer)json_node_get_string(ct));
                }
                g_ptr_array_add(copy, NULL);
                es_schema_seed(schema, path, c, copy->len > 1 ? (char **)copy->pdata : NULL,
                               json_object_get_string_member_with_default(d, "value", NULL));
                g_ptr_array_free(copy, TRUE);
            }
        }
        g_free(path);
    }
    g_list_free(names);
}

bool es_template_seed(const char *body, size_t len, es_schema *schema)
{
    JsonNode *root = parse(body, len, NULL);
    if (!root)
        return false;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *list = o ? json_object_get_member(o, "index_templates") : NULL;
    JsonObject *props = NULL;
    if (list && JSON_NODE_HOLDS_ARRAY(list) && json_array_get_length(json_node_get_array(list)) > 0) {
        JsonNode *t = json_array_get_element(json_node_get_array(list), 0);
        const char *path[] = {"index_template", "template", "mappings", "properties"};
        JsonObject *cur = JSON_NODE_HOLDS_OBJECT(t) ? json_node_get_object(t) : NULL;
        for (size_t i = 0; cur && i < G_N_ELEMENTS(path); i++) {
            JsonNode *n = json_object_get_member(cur, path[i]);
            cur = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        }
        props = cur;
    }
    if (props)
        seed_properties(props, "", schema);
    json_node_unref(root);
    return props != NULL;
}
