/* query.c — the Elasticsearch query of one esdump run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "query.h"

#include <string.h>

#include "jsonw.h"
#include "qstring.h"
#include "timerange.h"

static bool is_display_filter(const char *text, const char *syntax)
{
    if (strcmp(syntax, "auto") == 0)
        return df_is_filter(text);
    return strcmp(syntax, "display-filter") == 0;
}

static char *query_string(const char *text, const esd_cluster *cl, esd_fields *fields)
{
    char *q = qs_rewrite(text, cl->underscore, esd_fields_type, fields);
    esbuf out;
    jsonw w;
    esbuf_init(&out, 128, 16u << 20);
    jw_init(&w, &out);
    jw_begin_object(&w);
    jw_key(&w, "query_string");
    jw_begin_object(&w);
    jw_key(&w, "query");
    jw_string(&w, q, strlen(q));
    jw_end_object(&w);
    jw_end_object(&w);
    g_assert(jw_finish(&w));
    g_free(q);
    return out.data;
}

char *esd_query_user(const char *text, const char *syntax, const esd_cluster *cl, esd_fields *fields,
                     char **error)
{
    if (!is_display_filter(text, syntax))
        return query_string(text, cl, fields);
    char *dsl = NULL;
    if (!df_translate(text, cl->underscore, esd_fields_type, fields, &dsl, error))
        return NULL;
    return dsl;
}

static void time_range(jsonw *w, const char *from, const char *to)
{
    jw_begin_object(w);
    jw_key(w, "range");
    jw_begin_object(w);
    jw_key(w, "@timestamp");
    jw_begin_object(w);
    if (from) {
        jw_key(w, "gte");
        jw_string(w, from, strlen(from));
    }
    if (to) {
        jw_key(w, "lte");
        jw_string(w, to, strlen(to));
    }
    jw_key(w, "format");
    jw_string(w, "strict_date_optional_time_nanos", 31);
    jw_end_object(w);
    jw_end_object(w);
    jw_end_object(w);
}

static void replay_filter(jsonw *w, const esd_names *n, const char *capture)
{
    const char *fields[] = {n->capture_id, n->capture};
    jw_begin_object(w);
    jw_key(w, "bool");
    jw_begin_object(w);
    jw_key(w, "should");
    jw_begin_array(w);
    for (int i = 0; i < 2; i++) {
        jw_begin_object(w);
        jw_key(w, "term");
        jw_begin_object(w);
        jw_key(w, fields[i]);
        jw_string(w, capture, strlen(capture));
        jw_end_object(w);
        jw_end_object(w);
    }
    jw_end_array(w);
    jw_key(w, "minimum_should_match");
    jw_uint(w, 1);
    jw_end_object(w);
    jw_end_object(w);
}

/* Bound text (RFC 3339) of a time option, NULL when unset. */
static bool bound(const char *text, const char *name, int64_t now_ns, char **out, char **error)
{
    *out = NULL;
    if (!text || !*text)
        return true;
    int64_t ns;
    char *why = NULL;
    if (!esd_time_parse(text, now_ns, &ns, &why)) {
        *error = g_strdup_printf("--%s: %s", name, why);
        g_free(why);
        return false;
    }
    *out = esd_time_format(ns < 0 ? 0 : ns); /* @timestamp (date_nanos) starts in 1970 */
    return true;
}

static bool blank(const char *text)
{
    if (!text)
        return true;
    while (g_ascii_isspace(*text))
        text++;
    return !*text;
}

static bool add_user(GPtrArray *parts, const char *text, const char *what, const esd_opts *o,
                     const esd_cluster *cl, esd_fields *fields, char **error)
{
    if (blank(text))
        return true;
    char *why = NULL;
    char *q = esd_query_user(text, o->syntax, cl, fields, &why);
    if (!q) {
        *error = g_strdup_printf("%s: %s", what, why);
        g_free(why);
        return false;
    }
    g_ptr_array_add(parts, q);
    return true;
}

static char *all_of(GPtrArray *parts)
{
    if (parts->len == 0)
        return g_strdup("{\"match_all\":{}}");
    GString *s = g_string_new("{\"bool\":{\"filter\":[");
    for (guint i = 0; i < parts->len; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", (char *)parts->pdata[i]);
    g_string_append(s, "]}}");
    return g_string_free(s, FALSE);
}

static char *one_part(void (*write)(jsonw *, const void *, const void *), const void *a, const void *b)
{
    esbuf out;
    jsonw w;
    esbuf_init(&out, 128, 1u << 20);
    jw_init(&w, &out);
    write(&w, a, b);
    g_assert(jw_finish(&w));
    return out.data;
}

static void write_range(jsonw *w, const void *from, const void *to)
{
    time_range(w, from, to);
}
static void write_replay(jsonw *w, const void *names, const void *capture)
{
    replay_filter(w, names, capture);
}

char *esd_query_build(const esd_opts *o, const esd_cluster *cl, esd_fields *fields, int64_t now_ns,
                      char **error)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    char *from = NULL, *to = NULL, *query = NULL;
    if (!add_user(parts, o->query, "--query", o, cl, fields, error) ||
        !add_user(parts, o->capture_filter, "capture filter", o, cl, fields, error) ||
        !bound(o->from, "from", now_ns, &from, error) || !bound(o->to, "to", now_ns, &to, error))
        goto out;
    if (from || to)
        g_ptr_array_add(parts, one_part(write_range, from, to));
    if (o->replay && *o->replay)
        g_ptr_array_add(parts, one_part(write_replay, &cl->names, o->replay));
    query = all_of(parts);
out:
    g_free(from);
    g_free(to);
    g_ptr_array_free(parts, TRUE);
    return query;
}

char *esd_query_since(const char *query, int64_t from_ns)
{
    char *from = esd_time_format(from_ns);
    char *range = one_part(write_range, from, NULL);
    char *q = g_strdup_printf("{\"bool\":{\"filter\":[%s,%s]}}", query, range);
    g_free(range);
    g_free(from);
    return q;
}
