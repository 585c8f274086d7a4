/* cluster.c — what esdump learns from the cluster before searching.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "cluster.h"

#include <string.h>

#include <json-glib/json-glib.h>

static const esd_names dotted = {
    "es.raw",
    "frame.len",
    "frame.cap_len",
    "es.linktype",
    "es.capture",
    "es.capture_id",
    "frame.number",
    "tcp.stream",
    "udp.stream",
};
static const esd_names underscored = {
    "es_raw",
    "frame_len",
    "frame_cap_len",
    "es_linktype",
    "es_capture",
    "es_capture_id",
    "frame_number",
    "tcp_stream",
    "udp_stream",
};

/* "type: reason" of the first root cause (a search's "all shards failed"
 * says nothing), else of the error itself. */
static char *error_reason(const GString *body)
{
    JsonParser *p = json_parser_new();
    char *out = NULL;
    if (json_parser_load_from_data(p, body->str, (gssize)body->len, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        JsonNode *e = json_object_get_member(o, "error");
        JsonObject *eo = e && JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        JsonNode *rc = eo ? json_object_get_member(eo, "root_cause") : NULL;
        JsonArray *a = rc && JSON_NODE_HOLDS_ARRAY(rc) ? json_node_get_array(rc) : NULL;
        JsonObject *first = a && json_array_get_length(a) ? json_array_get_object_element(a, 0) : NULL;
        if (first)
            out = g_strdup_printf("%s: %s", json_object_get_string_member_with_default(first, "type", "error"),
                                  json_object_get_string_member_with_default(first, "reason", ""));
    }
    g_object_unref(p);
    return out ? out : es_error_summary(body->str, body->len);
}

char *esd_problem(const esd_response *r, const char *what)
{
    if (r->status == 0)
        return g_strdup_printf("%s: no node answered (%s)", what, r->body ? r->body->str : "");
    char *reason = error_reason(r->body);
    char *msg;
    if (r->status == 401 && r->who)
        msg = g_strdup_printf("%s: %s refused the credentials of %s (HTTP 401, %s): check the password "
                              "(ES_PASSWORD, --secrets-file) or the API key (ES_API_KEY)",
                              what, r->node, r->who,
                              reason);
    else if (r->status == 401)
        msg = g_strdup_printf("%s: %s wants credentials (HTTP 401, %s): give --user with its password "
                              "(ES_PASSWORD or --secrets-file), or --api-key (ES_API_KEY)",
                              what, r->node, reason);
    else if (r->status == 403)
        msg = g_strdup_printf("%s: %s refused a request of %s (HTTP 403, %s): it may not read this index "
                              "(it needs the read and view_index_metadata privileges)",
                              what, r->node,
                              r->who ? r->who : "an anonymous user", reason);
    else
        msg = g_strdup_printf("%s: %s answered HTTP %ld: %s%s", what, r->node, r->status, reason,
                              r->status / 100 == 3 ? " (redirects are not followed: give the cluster's own URL)" : "");
    g_free(reason);
    return msg;
}

bool esd_cluster_detect(esd_client *client, esd_style style, esd_cluster *out, char **error)
{
    esd_response r = {0};
    bool ok = false;
    memset(out, 0, sizeof *out);
    out->client = client;
    if (!esd_client_request(client, "GET", "/", NULL, &r) || r.status != 200) {
        *error = esd_problem(&r, "asking the cluster what it is (GET /)");
        goto out;
    }
    GError *gerr = NULL;
    if (!es_server_parse(r.body->str, r.body->len, &out->info, &gerr)) {
        *error = g_strdup_printf("%s is not Elasticsearch or OpenSearch: %s", r.node, gerr->message);
        g_error_free(gerr);
        goto out;
    }
    out->underscore = style == ESD_STYLE_AUTO ? es_server_name_style(&out->info) == ES_NAMES_UNDERSCORE : style == ESD_STYLE_UNDERSCORE;
    out->names = out->underscore ? underscored : dotted;
    ok = true;
out:
    esd_response_clear(&r);
    return ok;
}

struct esd_fields {
    char sep;            /* '.' or '_' between a protocol and its fields */
    GHashTable *types;   /* name -> df_type */
    GHashTable *aliases; /* name -> path */
    unsigned indices;
};

static df_type type_of(JsonObject *prop)
{
    const char *t = json_object_get_string_member_with_default(prop, "type", "object");
    static const struct {
        const char *name;
        df_type type;
    } table[] = {
        {"long", DF_LONG},
        {"integer", DF_LONG},
        {"short", DF_LONG},
        {"byte", DF_LONG},
        {"unsigned_long", DF_LONG},
        {"double", DF_DOUBLE},
        {"float", DF_DOUBLE},
        {"half_float", DF_DOUBLE},
        {"scaled_float", DF_DOUBLE},
        {"boolean", DF_BOOLEAN},
        {"ip", DF_IP},
        {"date", DF_DATE},
        {"date_nanos", DF_DATE},
        {"keyword", DF_KEYWORD},
        {"constant_keyword", DF_KEYWORD},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        if (strcmp(t, table[i].name) != 0)
            continue;
        /* The exporter maps byte arrays as keywords indexed up to 1024
         * characters, every other keyword up to 8191 (schema.c). */
        if (table[i].type == DF_KEYWORD && json_object_get_int_member_with_default(prop, "ignore_above", 0) == 1024)
            return DF_BYTES;
        if (table[i].type == DF_DOUBLE && json_object_has_member(prop, "fields") &&
            json_object_has_member(json_object_get_object_member(prop, "fields"), "exact"))
            return DF_ULONG_DOUBLE;
        return table[i].type;
    }
    return DF_OTHER;
}

static void add_type(esd_fields *f, const char *name, df_type t)
{
    gpointer old;
    if (g_hash_table_lookup_extended(f->types, name, NULL, &old) && GPOINTER_TO_INT(old) != (int)t)
        t = GPOINTER_TO_INT(old) == DF_PROTOCOL ? t : (t == DF_PROTOCOL ? (df_type)GPOINTER_TO_INT(old) : DF_CONFLICT);
    g_hash_table_insert(f->types, g_strdup(name), GINT_TO_POINTER(t));
}

/* Every proper prefix of a name up to a separator is a protocol (or a
 * parent field) for the bare-name test. */
static void add_prefixes(esd_fields *f, const char *name)
{
    for (const char *p = name + 1; *p; p++)
        if (*p == f->sep) {
            char *prefix = g_strndup(name, (gsize)(p - name));
            if (!g_hash_table_contains(f->types, prefix))
                g_hash_table_insert(f->types, prefix, GINT_TO_POINTER(DF_PROTOCOL));
            else
                g_free(prefix);
        }
}

static void walk_properties(esd_fields *f, JsonObject *props, const char *parent);

static void add_property(esd_fields *f, const char *name, JsonObject *prop)
{
    if (json_object_has_member(prop, "properties")) {
        walk_properties(f, json_object_get_object_member(prop, "properties"), name);
        return;
    }
    const char *t = json_object_get_string_member_with_default(prop, "type", "");
    if (strcmp(t, "alias") == 0)
        g_hash_table_insert(f->aliases, g_strdup(name),
                            g_strdup(json_object_get_string_member_with_default(prop, "path", "")));
    else
        add_type(f, name, type_of(prop));
    add_prefixes(f, name);
}

static void walk_properties(esd_fields *f, JsonObject *props, const char *parent)
{
    GList *names = json_object_get_members(props);
    for (GList *l = names; l; l = l->next) {
        JsonNode *n = json_object_get_member(props, l->data);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        char *name = parent ? g_strconcat(parent, ".", l->data, NULL) : g_strdup(l->data);
        add_property(f, name, json_node_get_object(n));
        g_free(name);
    }
    g_list_free(names);
}

static void add_index_mapping(JsonObject *o, const char *index, JsonNode *n, gpointer ud)
{
    esd_fields *f = ud;
    f->indices++;
    JsonObject *m = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    m = m && json_object_has_member(m, "mappings") ? json_object_get_object_member(m, "mappings") : NULL;
    if (m && json_object_has_member(m, "properties"))
        walk_properties(f, json_object_get_object_member(m, "properties"), NULL);
}

esd_fields *esd_fields_fetch(esd_cluster *cl, const char *target, bool allow_none, char **error)
{
    esd_fields *f = g_new0(esd_fields, 1);
    f->sep = cl->underscore ? '_' : '.';
    f->types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->aliases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char *path = g_strdup_printf("/%s/_mapping", target);
    esd_response r = {0};
    JsonParser *p = json_parser_new();
    bool ok = false;
    if (!esd_client_request(cl->client, "GET", path, NULL, &r) || r.status != 200) {
        char *what = g_strdup_printf("reading the fields of '%s'", target);
        *error = esd_problem(&r, what);
        g_free(what);
        goto out;
    }
    if (!json_parser_load_from_data(p, r.body->str, (gssize)r.body->len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        *error = g_strdup_printf("%s: the mapping of '%s' is not JSON", r.node, target);
        goto out;
    }
    json_object_foreach_member(json_node_get_object(json_parser_get_root(p)), add_index_mapping, f);
    if (f->indices == 0 && !allow_none) {
        *error = g_strdup_printf("no index matches '%s' on %s", target, r.node);
        goto out;
    }
    ok = true;
out:
    g_object_unref(p);
    esd_response_clear(&r);
    g_free(path);
    if (!ok) {
        esd_fields_free(f);
        return NULL;
    }
    return f;
}

void esd_fields_free(esd_fields *f)
{
    if (!f)
        return;
    g_hash_table_destroy(f->types);
    g_hash_table_destroy(f->aliases);
    g_free(f);
}

df_type esd_fields_type(void *fields, const char *name)
{
    esd_fields *f = fields;
    const char *target = g_hash_table_lookup(f->aliases, name);
    gpointer t;
    if (g_hash_table_lookup_extended(f->types, target ? target : name, NULL, &t))
        return (df_type)GPOINTER_TO_INT(t);
    return DF_ABSENT;
}

static void add_target(GPtrArray *out, GHashTable *seen, const char *name)
{
    if (*name == '.' || g_hash_table_contains(seen, name))
        return;
    g_hash_table_add(seen, g_strdup(name));
    g_ptr_array_add(out, g_strdup(name));
}

/* "packets-2024.01.31" -> "packets-*": the exporter's daily indices. */
static char *dated_family(const char *index)
{
    size_t n = strlen(index);
    if (n < 11 || !g_regex_match_simple("-[0-9]{4}[.-][0-9]{2}[.-][0-9]{2}$", index, 0, 0))
        return NULL;
    return g_strdup_printf("%.*s*", (int)(n - 10), index);
}

/* The `member` of each object of an array answer (_cat/...), or of the
 * array under `within` ({"data_streams":[...]}).  False when the request
 * failed, with *error when error is not NULL. */
static bool add_names(esd_cluster *cl, const char *path, const char *within, const char *member,
                      GPtrArray *out, GHashTable *seen, char **error)
{
    esd_response r = {0};
    JsonParser *p = json_parser_new();
    bool ok = esd_client_request(cl->client, "GET", path, NULL, &r) && r.status == 200;
    if (!ok && error)
        *error = esd_problem(&r, "listing the indices");
    if (ok && json_parser_load_from_data(p, r.body->str, (gssize)r.body->len, NULL)) {
        JsonNode *root = json_parser_get_root(p);
        if (within && JSON_NODE_HOLDS_OBJECT(root))
            root = json_object_get_member(json_node_get_object(root), within);
        JsonArray *a = root && JSON_NODE_HOLDS_ARRAY(root) ? json_node_get_array(root) : NULL;
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
            JsonObject *o = json_array_get_object_element(a, i);
            const char *name = o ? json_object_get_string_member_with_default(o, member, NULL) : NULL;
            char *family = name ? dated_family(name) : NULL;
            if (family)
                add_target(out, seen, family);
            if (name)
                add_target(out, seen, name);
            g_free(family);
        }
    }
    g_object_unref(p);
    esd_response_clear(&r);
    return ok;
}

char **esd_cluster_targets(esd_cluster *cl, char **error)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char **targets = NULL;
    if (!add_names(cl, "/_cat/indices?format=json&h=index&s=index", NULL, "index", out, seen, error))
        goto out;
    /* Data streams and aliases need not exist (no x-pack, old servers). */
    add_names(cl, "/_data_stream", "data_streams", "name", out, seen, NULL);
    add_names(cl, "/_cat/aliases?format=json&h=alias&s=alias", NULL, "alias", out, seen, NULL);
    g_ptr_array_set_free_func(out, NULL);
    g_ptr_array_add(out, NULL);
    targets = (char **)g_ptr_array_free(out, FALSE);
    out = NULL;
out:
    if (out)
        g_ptr_array_free(out, TRUE);
    g_hash_table_destroy(seen);
    return targets;
}
