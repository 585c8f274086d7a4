/* search.c — every hit of a query, page by page, in constant memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "search.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "jsonw.h"

#define KEEP_ALIVE "5m"
#define FILTER_PATH "filter_path=pit_id,hits.hits._index,hits.hits._id,hits.hits._source,hits.hits.sort," \
                    "_shards.failures"

struct esd_search {
    esd_cluster *cl;
    char *target, *query, *sort, *source;
    unsigned page_size;
    char *pit;   /* point-in-time id, NULL without */
    char *after; /* sort values of the last hit, JSON text */
    bool done;
};

char *esd_sort_json(const esd_names *n, esd_order order)
{
    /* numeric_type mixes date and date_nanos indices; the capture id and
     * frame number (the parts of _id) break ties, so a position is unique
     * even without a point in time's _shard_doc. */
    const char *time = "{\"@timestamp\":{\"order\":\"asc\",\"numeric_type\":\"date_nanos\","
                       "\"unmapped_type\":\"date_nanos\"}},";
    return g_strdup_printf("[%s{\"%s\":{\"order\":\"asc\",\"unmapped_type\":\"keyword\"}},"
                           "{\"%s\":{\"order\":\"asc\",\"unmapped_type\":\"long\"}}]",
                           order == ESD_ORDER_TIME ? time : "", n->capture_id, n->frame_number);
}

static char *source_json(const esd_names *n)
{
    return g_strdup_printf("[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"@timestamp\"]", n->raw,
                           n->frame_len, n->cap_len, n->linktype, n->capture, n->capture_id, n->frame_number);
}

static bool has_pit(const es_server_info *i)
{
    if (i->opensearch)
        return i->major > 2 || (i->major == 2 && i->minor >= 4);
    return i->major > 7 || (i->major == 7 && i->minor >= 10);
}

/* Opens a point in time; false (with *error) only when the target does not
 * exist or the request failed for good; *pit stays NULL where the server
 * refuses points in time. */
static bool open_pit(esd_search *s, char **pit, char **error)
{
    const bool os = s->cl->info.opensearch;
    char *path = g_strdup_printf(os ? "/%s/_search/point_in_time?keep_alive=" KEEP_ALIVE : "/%s/_pit?keep_alive=" KEEP_ALIVE, s->target);
    esd_response r = {0};
    JsonParser *p = json_parser_new();
    bool ok = esd_client_request(s->cl->client, "POST", path, NULL, &r) && r.status != 404 && r.status < 500 && r.status != 401 && r.status != 403;
    if (!ok) {
        char *what = g_strdup_printf("opening a point in time on '%s'", s->target);
        *error = esd_problem(&r, what);
        g_free(what);
    } else if (r.status == 200 && json_parser_load_from_data(p, r.body->str, (gssize)r.body->len, NULL) &&
               JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        *pit = g_strdup(json_object_get_string_member_with_default(o, os ? "pit_id" : "id", NULL));
    }
    g_object_unref(p);
    esd_response_clear(&r);
    g_free(path);
    return ok;
}

esd_search *esd_search_open(esd_cluster *cl, const esd_search_conf *conf, char **error)
{
    esd_search *s = g_new0(esd_search, 1);
    s->cl = cl;
    s->target = g_strdup(conf->target);
    s->query = g_strdup(conf->query);
    s->sort = esd_sort_json(&cl->names, conf->order);
    s->source = source_json(&cl->names);
    s->page_size = conf->page_size ? conf->page_size : ESD_PAGE_SIZE;
    if (!conf->no_pit && has_pit(&cl->info) && !open_pit(s, &s->pit, error)) {
        esd_search_close(s);
        return NULL;
    }
    return s;
}

static char *page_body(const esd_search *s)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 512, 64u << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    jw_key(&w, "size");
    jw_uint(&w, s->page_size);
    jw_key(&w, "query");
    jw_raw(&w, s->query, strlen(s->query));
    jw_key(&w, "sort");
    jw_raw(&w, s->sort, strlen(s->sort));
    jw_key(&w, "_source");
    jw_raw(&w, s->source, strlen(s->source));
    jw_key(&w, "track_total_hits");
    jw_bool(&w, false);
    if (s->pit) {
        jw_key(&w, "pit");
        jw_begin_object(&w);
        jw_key(&w, "id");
        jw_string(&w, s->pit, strlen(s->pit));
        jw_key(&w, "keep_alive");
        jw_string(&w, KEEP_ALIVE, strlen(KEEP_ALIVE));
        jw_end_object(&w);
    }
    if (s->after) {
        jw_key(&w, "search_after");
        jw_raw(&w, s->after, strlen(s->after));
    }
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    return out.data;
}

static int64_t int_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return -1;
    return json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : -1;
}

static const char *str_member(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : NULL;
}

static void read_hit(const esd_names *names, JsonObject *h, esd_hit *hit)
{
    JsonObject *src = json_object_has_member(h, "_source") ? json_object_get_object_member(h, "_source") : NULL;
    hit->index = str_member(h, "_index");
    hit->id = str_member(h, "_id");
    hit->raw = str_member(src, names->raw);
    hit->frame_len = int_member(src, names->frame_len);
    hit->cap_len = int_member(src, names->cap_len);
    hit->linktype = int_member(src, names->linktype);
    hit->frame_number = int_member(src, names->frame_number);
    hit->timestamp = str_member(src, "@timestamp");
    hit->capture = str_member(src, names->capture);
    hit->capture_id = str_member(src, names->capture_id);
}

/* A shard failure is an error: its hits would silently be missing. */
static bool check_failures(JsonObject *root, char **error)
{
    JsonObject *sh = json_object_has_member(root, "_shards") ? json_object_get_object_member(root, "_shards") : NULL;
    JsonArray *f = sh && json_object_has_member(sh, "failures") ? json_object_get_array_member(sh, "failures") : NULL;
    if (!f || json_array_get_length(f) == 0)
        return true;
    JsonNode *first = json_array_get_element(f, 0);
    char *text = json_to_string(first, FALSE);
    *error = g_strdup_printf("%u shard(s) failed the search: %s", json_array_get_length(f), text);
    g_free(text);
    return false;
}

/* Calls cb on each hit of a parsed page and keeps the last sort values. */
static int deliver(esd_search *s, JsonObject *root, esd_hit_cb cb, void *ud, char **error)
{
    const char *pit = str_member(root, "pit_id");
    if (pit && s->pit && strcmp(pit, s->pit) != 0) {
        g_free(s->pit);
        s->pit = g_strdup(pit);
    }
    if (!check_failures(root, error))
        return -1;
    JsonObject *hits = json_object_has_member(root, "hits") ? json_object_get_object_member(root, "hits") : NULL;
    JsonArray *a = hits && json_object_has_member(hits, "hits") ? json_object_get_array_member(hits, "hits") : NULL;
    guint n = a ? json_array_get_length(a) : 0;
    for (guint i = 0; i < n; i++) {
        JsonObject *h = json_array_get_object_element(a, i);
        esd_hit hit;
        read_hit(&s->cl->names, h, &hit);
        if (!cb(ud, &hit))
            return -1;
        if (i + 1 == n && json_object_has_member(h, "sort")) {
            g_free(s->after);
            s->after = json_to_string(json_object_get_member(h, "sort"), FALSE);
        }
    }
    s->done = n == 0; /* a short page need not be the last one */
    return (int)n;
}

int esd_search_next(esd_search *s, esd_hit_cb cb, void *ud, char **error)
{
    if (s->done)
        return 0;
    char *body = page_body(s);
    char *path = s->pit ? g_strdup("/_search?" FILTER_PATH) : g_strdup_printf("/%s/_search?" FILTER_PATH, s->target);
    esd_response r = {0};
    JsonParser *p = json_parser_new();
    int n = -1;
    if (!esd_client_request(s->cl->client, "POST", path, body, &r) || r.status != 200) {
        char *what = g_strdup_printf("searching '%s'", s->target);
        *error = esd_problem(&r, what);
        g_free(what);
    } else if (!json_parser_load_from_data(p, r.body->str, (gssize)r.body->len, NULL) ||
               !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        *error = g_strdup_printf("%s: the search answer is not JSON", r.node);
    } else {
        n = deliver(s, json_node_get_object(json_parser_get_root(p)), cb, ud, error);
    }
    g_object_unref(p);
    esd_response_clear(&r);
    g_free(path);
    g_free(body);
    return n;
}

bool esd_search_has_pit(const esd_search *s)
{
    return s->pit != NULL;
}

void esd_search_close(esd_search *s)
{
    if (!s)
        return;
    if (s->pit) {
        const bool os = s->cl->info.opensearch;
        char *body = g_strdup_printf(os ? "{\"pit_id\":[\"%s\"]}" : "{\"id\":\"%s\"}", s->pit);
        esd_response r = {0};
        esd_client_request(s->cl->client, "DELETE", os ? "/_search/point_in_time" : "/_pit", body, &r);
        esd_response_clear(&r);
        g_free(body);
    }
    g_free(s->target);
    g_free(s->query);
    g_free(s->sort);
    g_free(s->source);
    g_free(s->pit);
    g_free(s->after);
    g_free(s);
}
