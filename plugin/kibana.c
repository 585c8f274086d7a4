/* kibana.c — the Kibana Discover address for a capture.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "kibana.h"

#include <stdbool.h>
#include <string.h>

#include <json-glib/json-glib.h>

/* A rison string: always quoted ('...'), with ! and ' escaped by !. */
static void rison_string(GString *out, const char *s)
{
    g_string_append_c(out, '\'');
    for (; *s; s++) {
        if (*s == '!' || *s == '\'')
            g_string_append_c(out, '!');
        g_string_append_c(out, *s);
    }
    g_string_append_c(out, '\'');
}

static void rison_node(GString *out, JsonNode *node);

static void rison_object(GString *out, JsonObject *obj)
{
    g_string_append_c(out, '(');
    GList *members = json_object_get_members(obj);
    for (GList *m = members; m; m = m->next) {
        if (m != members)
            g_string_append_c(out, ',');
        rison_string(out, m->data);
        g_string_append_c(out, ':');
        rison_node(out, json_object_get_member(obj, m->data));
    }
    g_list_free(members);
    g_string_append_c(out, ')');
}

static void rison_value(GString *out, JsonNode *node)
{
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_STRING)
        rison_string(out, json_node_get_string(node));
    else if (t == G_TYPE_BOOLEAN)
        g_string_append(out, json_node_get_boolean(node) ? "!t" : "!f");
    else if (t == G_TYPE_INT64)
        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
    else
        g_string_append_printf(out, "%.17g", json_node_get_double(node));
}

static void rison_node(GString *out, JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
        rison_object(out, json_node_get_object(node));
        break;
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        g_string_append(out, "!(");
        for (guint i = 0; i < json_array_get_length(a); i++) {
            if (i)
                g_string_append_c(out, ',');
            rison_node(out, json_array_get_element(a, i));
        }
        g_string_append_c(out, ')');
        break;
    }
    case JSON_NODE_NULL:
        g_string_append(out, "!n");
        break;
    case JSON_NODE_VALUE:
        rison_value(out, node);
        break;
    }
}

char *es_rison_from_json(const char *json)
{
    JsonParser *parser = json_parser_new();
    char *out = NULL;
    if (json_parser_load_from_data(parser, json, -1, NULL)) {
        GString *s = g_string_new(NULL);
        rison_node(s, json_parser_get_root(parser));
        out = g_string_free(s, FALSE);
    }
    g_object_unref(parser);
    return out;
}

/* RFC 3339 UTC with milliseconds; to_end rounds up so the last frame is in. */
static char *iso_time(double secs, bool to_end)
{
    gint64 ms = (gint64)(secs * 1000); /* capture times are after 1970 */
    if (to_end && (double)ms < secs * 1000)
        ms++;
    GDateTime *t = g_date_time_new_from_unix_utc(ms / 1000);
    char *day = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
    char *out = g_strdup_printf("%s.%03dZ", day, (int)(ms % 1000));
    g_free(day);
    g_date_time_unref(t);
    return out;
}

/* Rison's own punctuation stays readable; anything else is escaped. */
static void append_escaped(GString *url, const char *rison)
{
    char *escaped = g_uri_escape_string(rison, "!'()*,:_-.~@$", FALSE);
    g_string_append(url, escaped);
    g_free(escaped);
}

char *es_kibana_discover_url(const char *base, const char *data_view, double from_s, double to_s,
                             const char *dsl, const char *filter_text)
{
    char *from = iso_time(from_s, false), *to = iso_time(to_s, true);
    char *g = g_strdup_printf("(time:(from:'%s',to:'%s'))", from, to);
    GString *a = g_string_new("(index:");
    rison_string(a, data_view);
    char *query = dsl ? es_rison_from_json(dsl) : NULL;
    if (query) {
        g_string_append(a, ",filters:!((meta:(alias:");
        rison_string(a, filter_text);
        g_string_append(a, ",disabled:!f,negate:!f,type:custom,index:");
        rison_string(a, data_view);
        g_string_append_printf(a, "),query:%s))", query);
    }
    g_string_append_c(a, ')');
    size_t n = strlen(base);
    GString *url = g_string_new(NULL);
    g_string_append_printf(url, "%.*s/app/discover#/?_g=", (int)(n && base[n - 1] == '/' ? n - 1 : n), base);
    append_escaped(url, g);
    g_string_append(url, "&_a=");
    append_escaped(url, a->str);
    g_free(query);
    g_string_free(a, TRUE);
    g_free(g);
    g_free(from);
    g_free(to);
    return g_string_free(url, FALSE);
}
