/* conversations.c — a query widened to whole TCP and UDP streams.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "conversations.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "jsonw.h"

typedef struct streams {
    GHashTable *by_capture; /* capture id -> GArray of gint64 stream numbers */
    unsigned count;
} streams;

static char *agg_body(const esd_names *n, const char *field, const char *query, const char *after)
{
    return g_strdup_printf("{\"size\":0,\"query\":%s,\"aggs\":{\"s\":{\"composite\":{\"size\":1000,"
                           "\"sources\":[{\"c\":{\"terms\":{\"field\":\"%s\"}}},{\"n\":{\"terms\":{\"field\":\"%s\"}}}]"
                           "%s%s}}}}",
                           query, n->capture_id, field, after ? ",\"after\":" : "", after ? after : "");
}

static void add_stream(streams *st, const char *capture, gint64 stream)
{
    GArray *a = g_hash_table_lookup(st->by_capture, capture);
    if (!a) {
        a = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_hash_table_insert(st->by_capture, g_strdup(capture), a);
    }
    g_array_append_val(a, stream);
    st->count++;
}

/* Adds one page of buckets; *after becomes the next page's key (NULL at
 * the end). */
static void read_buckets(streams *st, JsonObject *root, char **after)
{
    g_clear_pointer(after, g_free);
    JsonObject *aggs = json_object_has_member(root, "aggregations") ? json_object_get_object_member(root, "aggregations") : NULL;
    JsonObject *s = aggs && json_object_has_member(aggs, "s") ? json_object_get_object_member(aggs, "s") : NULL;
    JsonArray *b = s && json_object_has_member(s, "buckets") ? json_object_get_array_member(s, "buckets") : NULL;
    guint n = b ? json_array_get_length(b) : 0;
    for (guint i = 0; i < n; i++) {
        JsonObject *key = json_object_get_object_member(json_array_get_object_element(b, i), "key");
        const char *capture = json_object_get_string_member_with_default(key, "c", NULL);
        if (capture)
            add_stream(st, capture, json_object_get_int_member_with_default(key, "n", -1));
    }
    if (n && json_object_has_member(s, "after_key"))
        *after = json_to_string(json_object_get_member(s, "after_key"), FALSE);
}

static bool collect(esd_cluster *cl, const char *target, const char *field, const char *query,
                    streams *st, char **error)
{
    char *path = g_strdup_printf("/%s/_search?filter_path=aggregations,_shards.failures", target);
    char *after = NULL;
    bool ok = true;
    do {
        char *body = agg_body(&cl->names, field, query, after);
        esd_response r = {0};
        JsonParser *p = json_parser_new();
        ok = esd_client_request(cl->client, "POST", path, body, &r) && r.status == 200 &&
             json_parser_load_from_data(p, r.body->str, (gssize)r.body->len, NULL) &&
             JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p));
        if (ok)
            read_buckets(st, json_node_get_object(json_parser_get_root(p)), &after);
        else
            *error = esd_problem(&r, "collecting the streams of the matches");
        g_object_unref(p);
        esd_response_clear(&r);
        g_free(body);
        if (ok && st->count > ESD_MAX_STREAMS) {
            *error = g_strdup_printf("whole conversations: the matches belong to more than %d streams; "
                                     "narrow the query",
                                     ESD_MAX_STREAMS);
            ok = false;
        }
    } while (ok && after);
    g_free(after);
    g_free(path);
    return ok;
}

/* {"bool":{"filter":[{"term":{capture_id:C}},{"terms":{field:[...]}}]}} */
static void write_capture_streams(jsonw *w, const esd_names *n, const char *field, const char *capture,
                                  GArray *numbers)
{
    jw_begin_object(w);
    jw_key(w, "bool");
    jw_begin_object(w);
    jw_key(w, "filter");
    jw_begin_array(w);
    jw_begin_object(w);
    jw_key(w, "term");
    jw_begin_object(w);
    jw_key(w, n->capture_id);
    jw_string(w, capture, strlen(capture));
    jw_end_object(w);
    jw_end_object(w);
    jw_begin_object(w);
    jw_key(w, "terms");
    jw_begin_object(w);
    jw_key(w, field);
    jw_begin_array(w);
    for (guint i = 0; i < numbers->len; i++)
        jw_int(w, g_array_index(numbers, gint64, i));
    jw_end_array(w);
    jw_end_object(w);
    jw_end_object(w);
    jw_end_array(w);
    jw_end_object(w);
    jw_end_object(w);
}

static void write_streams(jsonw *w, const esd_names *n, const char *field, streams *st)
{
    GHashTableIter it;
    gpointer capture, numbers;
    g_hash_table_iter_init(&it, st->by_capture);
    while (g_hash_table_iter_next(&it, &capture, &numbers))
        write_capture_streams(w, n, field, capture, numbers);
}

static streams *streams_new(void)
{
    streams *st = g_new0(streams, 1);
    st->by_capture = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
    return st;
}

static void streams_free(streams *st)
{
    g_hash_table_destroy(st->by_capture);
    g_free(st);
}

char *esd_conversations(esd_cluster *cl, const char *target, const char *query, char **error)
{
    streams *tcp = streams_new(), *udp = streams_new();
    char *wide = NULL;
    if (!collect(cl, target, cl->names.tcp_stream, query, tcp, error) ||
        !collect(cl, target, cl->names.udp_stream, query, udp, error))
        goto out;
    esbuf out;
    jsonw w;
    esbuf_init(&out, 1024, 256u << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    jw_key(&w, "bool");
    jw_begin_object(&w);
    jw_key(&w, "should");
    jw_begin_array(&w);
    jw_raw(&w, query, strlen(query));
    write_streams(&w, &cl->names, cl->names.tcp_stream, tcp);
    write_streams(&w, &cl->names, cl->names.udp_stream, udp);
    jw_end_array(&w);
    jw_key(&w, "minimum_should_match");
    jw_uint(&w, 1);
    jw_end_object(&w);
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    wide = out.data;
out:
    streams_free(tcp);
    streams_free(udp);
    return wide;
}
