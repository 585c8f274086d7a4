/* fastsink — the benchmark's counting sink (scripts/bench, scripts/bench-split):
 * answers like one Elasticsearch 8 node, fast enough not to be what is
 * measured (it runs on the cores the benchmark measures).  Bulk action lines
 * are read and every item gets a real per-item answer (201 created, 409 for
 * a `create` whose _id the index already has, 200 for `index` over one),
 * but document lines are neither parsed nor stored: only ids are kept.
 * `GET /` says Elasticsearch 8.19.9 (the exporter's server detection), index
 * template and mapping requests are acknowledged, `GET /_sink/stats`
 * counts.  With --store DIR the document of every created item is appended
 * to DIR/INDEX.ndjson as a line "_id<TAB>document" (scripts/bench-split
 * --compare reads them), each request's written before it is answered.
 *
 *   fastsink [--host 127.0.0.1] [--port 19710-19799] [--port-file F] [--store DIR]
 *
 * --port: a port, 0 (any free one) or a range A-B (the first free one);
 * --port-file gets the port once listening.  Stops on SIGTERM or SIGINT.
 * Anything that needs the documents (mappings, search) is for a real
 * engine: scripts/engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "buf.h"
#include "jsonw.h"
#include "sinkhttp.h"

typedef struct span {
    const char *p; /* NULL: none */
    size_t n;
} span;

typedef struct item {
    char op[8]; /* create, index, update or delete */
    span index, quoted_index;
    span id, quoted_id; /* none: an automatic _id */
    span doc;           /* none: no document line */
} item;

typedef struct sink_index {
    GHashTable *versions; /* quoted _id -> version */
    gint64 seq_no;
} sink_index;

typedef struct sink {
    GMutex lock;
    GHashTable *indices; /* name -> sink_index */
    GHashTable *files;   /* name -> FILE *, with a store */
    char *store;         /* directory, or NULL */
    guint64 auto_ids;
    guint64 requests, bytes, body_bytes, gzip_requests, bulk_requests;
    guint64 created, updated, conflicts, unsupported;
} sink;

static const char ROOT[] =
    "{\"name\":\"fastsink\",\"cluster_name\":\"wireshark-es\",\"cluster_uuid\":\"fastsink-0000000000000\","
    "\"version\":{\"number\":\"8.19.9\",\"build_flavor\":\"default\",\"build_type\":\"tar\","
    "\"build_hash\":\"f60dd5fdef48c4b6cf97721154cd49b3b4794fb0\",\"build_date\":\"2025-12-16T22:07:42Z\","
    "\"build_snapshot\":false,\"lucene_version\":\"9.12.2\",\"minimum_wire_compatibility_version\":\"7.17.0\","
    "\"minimum_index_compatibility_version\":\"7.0.0\"},\"tagline\":\"You Know, for Search\"}";

/* text as a JSON string: jsonw's escaping (of valid UTF-8, what
 * Python's json.dumps(ensure_ascii=False) writes, as the sink it replaced did) */
static void append_quoted(GString *out, const char *text, size_t n)
{
    esbuf escaped;
    esbuf_init(&escaped, n + 8, G_MAXSIZE / 2);
    jw_escape_into(&escaped, text, n);
    g_string_append_c(out, '"');
    g_string_append_len(out, escaped.data, (gssize)escaped.len);
    g_string_append_c(out, '"');
    esbuf_free(&escaped);
}

static void append_span(GString *out, span s)
{
    g_string_append_len(out, s.p, (gssize)s.n);
}

/* An error of the whole request, as Elasticsearch words it. */
static GString *es_error(const char *type, const char *reason, int status)
{
    GString *cause = g_string_new("{\"type\":");
    append_quoted(cause, type, strlen(type));
    g_string_append(cause, ",\"reason\":");
    append_quoted(cause, reason, strlen(reason));
    GString *out = g_string_new("{\"error\":{\"root_cause\":[");
    g_string_append_printf(out, "%s}],%s},\"status\":%d}", cause->str, cause->str + 1, status);
    g_string_free(cause, TRUE);
    return out;
}

/* ---- bulk bodies -------------------------------------------------- */

typedef struct lines {
    const char *p, *end;
    bool done;
} lines;

/* The next element of body.split(b"\n"): false after the last. */
static bool next_line(lines *ls, span *line)
{
    if (ls->done)
        return false;
    const char *nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
    line->p = ls->p;
    line->n = (size_t)((nl ? nl : ls->end) - ls->p);
    if (nl)
        ls->p = nl + 1;
    else
        ls->done = true;
    return true;
}

static bool blank(span line)
{
    for (size_t i = 0; i < line.n; i++)
        if (!g_ascii_isspace(line.p[i]))
            return false;
    return true;
}

static bool literal(const char **p, const char *end, const char *text)
{
    size_t n = strlen(text);
    if ((size_t)(end - *p) < n || memcmp(*p, text, n))
        return false;
    *p += n;
    return true;
}

/* A JSON string that needs no unescaping: its text and its quoted form. */
static bool plain_string(const char **p, const char *end, span *text, span *quoted)
{
    const char *q = *p;
    if (q >= end || *q != '"')
        return false;
    const char *start = ++q;
    while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q == start || q >= end || *q != '"')
        return false;
    *text = (span){start, (size_t)(q - start)};
    *quoted = (span){start - 1, text->n + 2};
    *p = q + 1;
    return true;
}

/* The exporter's action lines, {"create":{"_index":"NAME","_id":"ID"}} (or
 * "index"; a CR allowed at the end), read without a JSON parser. */
static bool plain_action(span line, item *it)
{
    const char *p = line.p, *end = line.p + line.n;
    if (end > p && end[-1] == '\r')
        end--;
    if (literal(&p, end, "{\"create\":{\"_index\":"))
        strcpy(it->op, "create");
    else if (literal(&p, end, "{\"index\":{\"_index\":"))
        strcpy(it->op, "index");
    else
        return false;
    return plain_string(&p, end, &it->index, &it->quoted_index) && literal(&p, end, ",\"_id\":") &&
           plain_string(&p, end, &it->id, &it->quoted_id) && literal(&p, end, "}}") && p == end;
}

/* text and its quoted form, kept in chunk */
static void set_name(span *text, span *quoted, const char *value, GStringChunk *chunk)
{
    text->n = strlen(value);
    text->p = g_string_chunk_insert_len(chunk, value, (gssize)text->n);
    GString *q = g_string_new(NULL);
    append_quoted(q, value, text->n);
    quoted->n = q->len;
    quoted->p = g_string_chunk_insert_len(chunk, q->str, (gssize)q->len);
    g_string_free(q, TRUE);
}

/* _index and _id of an action's metadata (_index of the path if none). */
static void read_meta(JsonObject *meta, const char *default_index, GStringChunk *chunk, item *it)
{
    JsonNode *index = json_object_get_member(meta, "_index");
    bool text = index && JSON_NODE_HOLDS_VALUE(index) && json_node_get_value_type(index) == G_TYPE_STRING;
    const char *name = text ? json_node_get_string(index) : NULL;
    if (!index)
        name = default_index;
    if (name)
        set_name(&it->index, &it->quoted_index, name, chunk);
    JsonNode *id = json_object_get_member(meta, "_id");
    if (!id || JSON_NODE_HOLDS_NULL(id))
        return;
    text = JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING;
    char *value = text ? g_strdup(json_node_get_string(id)) : json_to_string(id, FALSE);
    set_name(&it->id, &it->quoted_id, value, chunk);
    g_free(value);
}

/* Any other action line, parsed: {"OP": {metadata}} with OP create, index,
 * update or delete. */
static bool parsed_action(span line, const char *default_index, GStringChunk *chunk, item *it)
{
    JsonParser *parser = json_parser_new_immutable();
    bool parsed = json_parser_load_from_data(parser, line.p, (gssize)line.n, NULL);
    JsonNode *root = parsed ? json_parser_get_root(parser) : NULL;
    JsonObject *action = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    bool ok = action && json_object_get_size(action) == 1;
    if (ok) {
        GList *names = json_object_get_members(action);
        const char *op = names->data;
        JsonNode *meta = json_object_get_member(action, op);
        ok = (!strcmp(op, "create") || !strcmp(op, "index") || !strcmp(op, "update") || !strcmp(op, "delete")) &&
             JSON_NODE_HOLDS_OBJECT(meta);
        if (ok) {
            g_strlcpy(it->op, op, sizeof it->op);
            read_meta(json_node_get_object(meta), default_index, chunk, it);
        }
        g_list_free(names);
    }
    g_object_unref(parser);
    return ok;
}

/* The items of a bulk body, in order; NULL with *bad set to the number of
 * the first malformed action line. */
static GArray *bulk_items(const char *body, size_t len, const char *default_index, GStringChunk *chunk,
                          unsigned *bad)
{
    GArray *items = g_array_new(FALSE, TRUE, sizeof(item));
    lines ls = {body, body + len, false};
    span line;
    for (unsigned number = 1; next_line(&ls, &line); number++) {
        item it = {0};
        if (plain_action(line, &it)) {
            if (next_line(&ls, &it.doc))
                number++;
        } else if (blank(line)) {
            continue;
        } else if (!parsed_action(line, default_index, chunk, &it)) {
            *bad = number;
            g_array_free(items, TRUE);
            return NULL;
        } else if (strcmp(it.op, "delete") && next_line(&ls, &it.doc)) {
            number++;
        }
        g_array_append_val(items, it);
    }
    return items;
}

/* ---- answers ------------------------------------------------------ */

static void append_uint(GString *out, guint64 v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" G_GUINT64_FORMAT, v);
    g_string_append_len(out, digits, n);
}

static void keep_document(sink *s, const item *it, span id)
{
    char *name = g_strndup(it->index.p, it->index.n);
    FILE *f = g_hash_table_lookup(s->files, name);
    if (!f) {
        char *safe = g_strdup(name);
        for (char *c = safe; *c; c++)
            if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
                *c = '_';
        char *path = g_strdup_printf("%s/%s.ndjson", s->store, safe);
        f = fopen(path, "ab");
        if (!f)
            g_error("cannot open %s: %s", path, g_strerror(errno));
        g_hash_table_insert(s->files, g_strdup(name), f);
        g_free(path);
        g_free(safe);
    }
    size_t n = it->doc.n;
    while (n > 0 && it->doc.p[n - 1] == '\r')
        n--;
    fwrite(id.p, 1, id.n, f);
    fputc('\t', f);
    fwrite(it->doc.p, 1, n, f);
    fputc('\n', f);
    g_free(name);
}

static void answer_refused(sink *s, const item *it, GString *out)
{
    s->unsupported++;
    g_string_append_printf(out, "{\"%s\":{\"_index\":", it->op);
    append_span(out, it->quoted_index);
    g_string_append(out, ",\"_id\":");
    if (it->quoted_id.p)
        append_span(out, it->quoted_id);
    else
        g_string_append(out, "null");
    g_string_append_printf(out, ",\"status\":400,\"error\":{\"type\":\"illegal_argument_exception\","
                                "\"reason\":\"the fast sink keeps no documents: [%s] is for a real engine\"}}}",
                           it->op);
}

static void answer_conflict(sink *s, const item *it, span quoted_id, gint64 current, GString *out)
{
    s->conflicts++;
    g_string_append(out, "{\"create\":{\"_index\":");
    append_span(out, it->quoted_index);
    g_string_append(out, ",\"_id\":");
    append_span(out, quoted_id);
    g_string_append(out, ",\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",");
    g_string_append(out, "\"reason\":\"[");
    g_string_append_len(out, quoted_id.p + 1, (gssize)quoted_id.n - 2);
    g_string_append(out, "]: version conflict, document already exists (current version [");
    append_uint(out, (guint64)current);
    g_string_append(out, "])\",\"shard\":\"0\",\"index\":");
    append_span(out, it->quoted_index);
    g_string_append(out, "}}}");
}

static void answer_written(sink_index *index, const item *it, span quoted_id, gint64 version, GString *out)
{
    g_string_append(out, "{\"");
    g_string_append(out, it->op);
    g_string_append(out, "\":{\"_index\":");
    append_span(out, it->quoted_index);
    g_string_append(out, ",\"_id\":");
    append_span(out, quoted_id);
    g_string_append(out, ",\"_version\":");
    append_uint(out, (guint64)version);
    g_string_append(out, version == 1 ? ",\"result\":\"created\"" : ",\"result\":\"updated\"");
    g_string_append(out, ",\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},\"_seq_no\":");
    append_uint(out, (guint64)++index->seq_no);
    g_string_append(out, ",\"_primary_term\":1,\"status\":");
    g_string_append(out, version == 1 ? "201}}" : "200}}");
}

static sink_index *index_named(sink *s, span name)
{
    char *key = g_strndup(name.p, name.n);
    sink_index *index = g_hash_table_lookup(s->indices, key);
    if (index) {
        g_free(key);
        return index;
    }
    index = g_new0(sink_index, 1);
    index->versions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    index->seq_no = -1;
    g_hash_table_insert(s->indices, key, index);
    return index;
}

/* One item's answer; true if it is an error. */
static bool answer_item(sink *s, const item *it, sink_index *index, GString *out)
{
    if (strcmp(it->op, "create") && strcmp(it->op, "index")) {
        answer_refused(s, it, out);
        return true;
    }
    char automatic[40];
    span id = it->id, quoted_id = it->quoted_id;
    if (!quoted_id.p) {
        int n = snprintf(automatic, sizeof automatic, "\"fastsink%012" G_GUINT64_FORMAT "\"", ++s->auto_ids);
        quoted_id = (span){automatic, (size_t)n};
        id = (span){automatic + 1, (size_t)n - 2};
    }
    char *key = g_strndup(quoted_id.p, quoted_id.n);
    gint64 current = GPOINTER_TO_SIZE(g_hash_table_lookup(index->versions, key));
    if (current && !strcmp(it->op, "create")) {
        g_free(key);
        answer_conflict(s, it, quoted_id, current, out);
        return true;
    }
    g_hash_table_insert(index->versions, key, GSIZE_TO_POINTER((gsize)current + 1));
    if (s->store && !current && it->doc.p)
        keep_document(s, it, id);
    if (current)
        s->updated++;
    else
        s->created++;
    answer_written(index, it, quoted_id, current + 1, out);
    return false;
}

/* The answer to a bulk refused whole (a malformed action line, no items,
 * an item without an index), or NULL. */
static GString *refused_whole(const GArray *items, unsigned bad)
{
    if (!items) {
        char *reason = g_strdup_printf("Malformed action/metadata line [%u]", bad);
        GString *answer = es_error("illegal_argument_exception", reason, 400);
        g_free(reason);
        return answer;
    }
    bool missing = false;
    for (guint i = 0; i < items->len; i++)
        missing |= !g_array_index(items, item, i).index.p;
    const char *why = missing ? "Validation Failed: 1: index is missing;" : "Validation Failed: 1: no requests added;";
    if (!items->len || missing)
        return es_error("action_request_validation_exception", why, 400);
    return NULL;
}

static bool same_span(span a, span b)
{
    return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

/* Every item's answer, comma-separated, in order; *errors if any is an error. */
static GString *answer_items(sink *s, const GArray *items, bool *errors)
{
    GString *out = g_string_sized_new(items->len * 280 + 64);
    sink_index *index = NULL;
    g_mutex_lock(&s->lock);
    s->bulk_requests++;
    for (guint i = 0; i < items->len; i++) {
        const item *it = &g_array_index(items, item, i);
        if (!i || !same_span(it->index, it[-1].index))
            index = index_named(s, it->index);
        if (i)
            g_string_append_c(out, ',');
        *errors |= answer_item(s, it, index, out);
    }
    GHashTableIter iter;
    gpointer file;
    g_hash_table_iter_init(&iter, s->files);
    while (g_hash_table_iter_next(&iter, NULL, &file))
        fflush(file);
    g_mutex_unlock(&s->lock);
    return out;
}

static int bulk(sink *s, const sh_request *rq, const char *default_index, GString **answer)
{
    gint64 t0 = g_get_monotonic_time();
    GStringChunk *chunk = g_string_chunk_new(4096);
    unsigned bad = 0;
    GArray *items = bulk_items(rq->body, rq->body_len, default_index, chunk, &bad);
    int status = 400;
    if ((*answer = refused_whole(items, bad)))
        goto out;
    bool errors = false;
    *answer = answer_items(s, items, &errors);
    char *head = g_strdup_printf("{\"errors\":%s,\"took\":%d,\"items\":[", errors ? "true" : "false",
                                 (int)((g_get_monotonic_time() - t0) / 1000));
    g_string_prepend(*answer, head);
    g_string_append(*answer, "]}");
    g_free(head);
    status = 200;
out:
    if (items)
        g_array_free(items, TRUE);
    g_string_chunk_free(chunk);
    return status;
}

static GString *stats(sink *s)
{
    GString *out = g_string_new(NULL);
    g_mutex_lock(&s->lock);
    g_string_append_printf(out,
                           "{\"requests\":%" G_GUINT64_FORMAT ",\"bytes\":%" G_GUINT64_FORMAT
                           ",\"body_bytes\":%" G_GUINT64_FORMAT ",\"gzip_requests\":%" G_GUINT64_FORMAT
                           ",\"bulk_requests\":%" G_GUINT64_FORMAT ",\"created\":%" G_GUINT64_FORMAT
                           ",\"updated\":%" G_GUINT64_FORMAT ",\"conflicts\":%" G_GUINT64_FORMAT
                           ",\"unsupported\":%" G_GUINT64_FORMAT ",\"indices\":{",
                           s->requests, s->bytes, s->body_bytes, s->gzip_requests, s->bulk_requests, s->created,
                           s->updated, s->conflicts, s->unsupported);
    GHashTableIter iter;
    gpointer name, index;
    g_hash_table_iter_init(&iter, s->indices);
    for (bool first = true; g_hash_table_iter_next(&iter, &name, &index); first = false) {
        if (!first)
            g_string_append_c(out, ',');
        append_quoted(out, name, strlen(name));
        g_string_append_printf(out, ":%u", g_hash_table_size(((sink_index *)index)->versions));
    }
    g_mutex_unlock(&s->lock);
    g_string_append(out, "}}");
    return out;
}

/* ---- requests ----------------------------------------------------- */

static bool method_is(const sh_request *rq, const char *a, const char *b)
{
    return !strcmp(rq->method, a) || !strcmp(rq->method, b);
}

static GString *no_handler(const sh_request *rq)
{
    char *text = g_strdup_printf("no handler found for uri [%s] and method [%s]", rq->target, rq->method);
    GString *answer = g_string_new("{\"error\":");
    append_quoted(answer, text, strlen(text));
    g_string_append(answer, ",\"status\":400}");
    g_free(text);
    return answer;
}

/* The answer to a request of n path segments (first, second, last). */
static int answer(sink *s, const sh_request *rq, guint n, const char *first, const char *second,
                  const char *last, GString **out)
{
    bool template = n == 2 && !strcmp(first, "_index_template");
    if (!n && method_is(rq, "GET", "HEAD"))
        *out = g_string_new(ROOT);
    else if (!strcmp(last, "_bulk") && n <= 2 && method_is(rq, "POST", "PUT"))
        return bulk(s, rq, n == 2 ? first : NULL, out);
    else if (template && !strcmp(second, "_simulate") && !strcmp(rq->method, "POST"))
        *out = g_string_new("{\"template\":{\"settings\":{},\"mappings\":{},\"aliases\":{}},\"overlapping\":[]}");
    else if ((template || (n == 2 && !strcmp(second, "_mapping"))) && method_is(rq, "PUT", "POST"))
        *out = g_string_new("{\"acknowledged\":true}");
    else if (template) {
        char *reason = g_strdup_printf("index template matching [%s] not found", second);
        *out = es_error("resource_not_found_exception", reason, 404);
        g_free(reason);
        return 404;
    } else if (n == 2 && !strcmp(first, "_sink") && !strcmp(second, "stats"))
        *out = stats(s);
    else {
        *out = no_handler(rq);
        return 400;
    }
    return 200;
}

static int route(sink *s, const sh_request *rq, GString **out)
{
    char *path = g_strndup(rq->target, strcspn(rq->target, "?"));
    char **parts = g_strsplit(path, "/", -1);
    GPtrArray *segments = g_ptr_array_new();
    for (char **p = parts; *p; p++)
        if (**p)
            g_ptr_array_add(segments, *p);
    guint n = segments->len;
    int status = answer(s, rq, n, n ? segments->pdata[0] : "", n > 1 ? segments->pdata[1] : "",
                        n ? segments->pdata[n - 1] : "", out);
    g_ptr_array_free(segments, TRUE);
    g_strfreev(parts);
    g_free(path);
    return status;
}

typedef struct connection {
    sink *sink;
    sh_conn *conn;
} connection;

static gpointer serve(gpointer data)
{
    connection *cn = data;
    sink *s = cn->sink;
    sh_request rq;
    while (sh_read_request(cn->conn, &rq)) {
        g_mutex_lock(&s->lock);
        s->requests++;
        s->bytes += rq.wire_len;
        s->body_bytes += rq.body_len;
        s->gzip_requests += rq.encoded;
        g_mutex_unlock(&s->lock);
        GString *answer;
        int status = route(s, &rq, &answer);
        bool again = sh_send(cn->conn, status, answer->str, answer->len, rq.head) && !rq.close;
        g_string_free(answer, TRUE);
        sh_request_clear(&rq);
        if (!again)
            break;
    }
    sh_conn_free(cn->conn);
    g_free(cn);
    return NULL;
}

typedef struct listener {
    sink *sink;
    int fd;
} listener;

static gpointer accept_loop(gpointer data)
{
    listener *l = data;
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            g_usleep(10000); /* out of descriptors: do not spin */
            continue;
        }
        connection *cn = g_new(connection, 1);
        *cn = (connection){l->sink, sh_conn_new(fd)};
        g_thread_unref(g_thread_new("connection", serve, cn));
    }
    return NULL;
}

/* ---- command line ------------------------------------------------- */

static bool port_range(const char *text, unsigned *low, unsigned *high)
{
    char *end;
    guint64 a = g_ascii_strtoull(text, &end, 10), b = a;
    if (end == text || (*end && *end != '-'))
        return false;
    if (*end == '-') {
        const char *rest = end + 1;
        b = g_ascii_strtoull(rest, &end, 10);
        if (end == rest || *end)
            return false;
    }
    *low = (unsigned)a;
    *high = (unsigned)b;
    return a <= b && b <= 65535;
}

static void announce_port(const char *port_file, unsigned port)
{
    if (!port_file)
        return;
    char *tmp = g_strconcat(port_file, ".tmp", NULL), *text = g_strdup_printf("%u", port);
    GError *err = NULL;
    if (!g_file_set_contents(tmp, text, -1, &err) || g_rename(tmp, port_file) != 0)
        g_error("cannot write %s: %s", port_file, err ? err->message : g_strerror(errno));
    g_free(tmp);
    g_free(text);
}

typedef struct options {
    char *host, *ports, *port_file, *store;
    unsigned low, high;
} options;

static bool parse_options(int argc, char **argv, options *o)
{
    GOptionEntry entries[] = {
        {"host", 0, 0, G_OPTION_ARG_STRING, &o->host, "address to listen on (loopback only)", "HOST"},
        {"port", 0, 0, G_OPTION_ARG_STRING, &o->ports, "port, or a range A-B (the first free one); 0: any", "PORT"},
        {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &o->port_file, "where to write the port once listening", "F"},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &o->store, "keep the documents of created items in DIR/INDEX.ndjson",
         "DIR"},
        {NULL}};
    GOptionContext *ctx = g_option_context_new("- the benchmark's counting sink");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    bool ok = g_option_context_parse(ctx, &argc, &argv, &err) && argc == 1 &&
              port_range(o->ports ? o->ports : "0", &o->low, &o->high);
    if (!ok)
        fprintf(stderr, "fastsink: %s\n", err ? err->message : "usage: fastsink [--port A[-B]] [--port-file F] [--store D]");
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ok;
}

int main(int argc, char **argv)
{
    static options opts; /* as long as the process, as the sink: reachable at exit */
    static sink state;
    if (!parse_options(argc, argv, &opts))
        return 2;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* every thread inherits it; main waits for them */
    signal(SIGPIPE, SIG_IGN);
    char *why = NULL;
    unsigned port;
    int fd = sh_listen(opts.host ? opts.host : "127.0.0.1", opts.low, opts.high, &port, &why);
    if (fd < 0) {
        fprintf(stderr, "fastsink: %s\n", why);
        g_free(why);
        return 1;
    }
    sink *s = &state;
    g_mutex_init(&s->lock);
    s->indices = g_hash_table_new(g_str_hash, g_str_equal);
    s->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->store = opts.store;
    listener l = {s, fd};
    g_thread_unref(g_thread_new("accept", accept_loop, &l));
    announce_port(opts.port_file, port);
    int sig;
    sigwait(&stop, &sig);
    g_mutex_lock(&s->lock); /* no bulk half-written into a store file */
    return 0;
}
