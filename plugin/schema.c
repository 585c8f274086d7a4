/* schema.c — the fields the exporter has written so far, with their mapping.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "schema.h"

#include <glib.h>
#include <string.h>

typedef struct field {
    char *name;
    es_map_class cls;
    char **copy_to; /* NULL-terminated, or NULL */
    char *value;    /* ES_MAP_CONSTANT */
    size_t newer;   /* index of the entry that replaces this one, or 0 */
} field;

struct es_schema {
    GMutex lock;
    GArray *fields;
    GHashTable *latest; /* name -> index + 1 of its newest entry */
    unsigned lacks;     /* es_lack */
};

es_map_class es_map_merge(es_map_class a, es_map_class b)
{
    if (a == b || b == ES_MAP_NONE)
        return a;
    if (a == ES_MAP_NONE)
        return b;
    bool num_a = a == ES_MAP_LONG || a == ES_MAP_ULONG || a == ES_MAP_DOUBLE;
    bool num_b = b == ES_MAP_LONG || b == ES_MAP_ULONG || b == ES_MAP_DOUBLE;
    /* Signed and unsigned 64-bit values together fit only a double. */
    if (num_a && num_b)
        return ES_MAP_DOUBLE;
    return ES_MAP_KEYWORD;
}

/* The one table of Elasticsearch field types, read both ways: a class's
 * mapping is written from its row (es_map_property), and a mapping read
 * back from a cluster is the class of the first row it fits
 * (es_map_class_of_mapping).  Rows of one type are told apart by a
 * sub-field, the field's name or ignore_above, in this order. */
typedef struct type_row {
    es_map_class cls;
    const char *type;
    unsigned ignore_above;     /* 0: none */
    bool told_by_ignore_above; /* fits only a mapping with this ignore_above */
    const char *sub_field;     /* a sub-field of type sub_type; fits only mappings with "fields" */
    const char *sub_type;
    const char *only_name; /* fits only the field of this name */
    bool ignore_malformed;
    const char *alias_path;
    bool ulong_fallback; /* ES_MAP_ULONG's row on a cluster without unsigned_long */
} type_row;

static const type_row TYPES[] = {
    {.cls = ES_MAP_LONG, .type = "long"},
    {.cls = ES_MAP_ULONG, .type = "unsigned_long"},
    /* unsigned_long where the cluster has none: a double keeps range
     * queries, the keyword sub-field keeps the digits a double would round. */
    {.cls = ES_MAP_ULONG, .type = "double", .sub_field = "exact", .sub_type = "keyword", .ulong_fallback = true},
    {.cls = ES_MAP_DOUBLE, .type = "double"},
    {.cls = ES_MAP_BOOLEAN, .type = "boolean"},
    {.cls = ES_MAP_TIMESTAMP, .type = "date_nanos", .only_name = "@timestamp"},
    /* Wireshark times can be anything (year 1900, 2106): a value
     * date_nanos cannot hold is left out instead of failing the frame. */
    {.cls = ES_MAP_DATE, .type = "date_nanos", .ignore_malformed = true},
    {.cls = ES_MAP_IP, .type = "ip"},
    {.cls = ES_MAP_BINARY, .type = "binary"},
    {.cls = ES_MAP_TIME_ALIAS, .type = "alias", .alias_path = "@timestamp"},
    {.cls = ES_MAP_CONSTANT, .type = "constant_keyword"},
    {.cls = ES_MAP_SEARCH_TEXT, .type = "keyword", .ignore_above = 8191, .sub_field = "text", .sub_type = "text"},
    {.cls = ES_MAP_BYTES, .type = "keyword", .ignore_above = 1024, .told_by_ignore_above = true},
    /* Lucene's term limit is 32766 bytes of UTF-8. */
    {.cls = ES_MAP_KEYWORD, .type = "keyword", .ignore_above = 8191},
};

static const type_row *row_of_class(es_map_class c, unsigned lacks)
{
    if (c == ES_MAP_CONSTANT && (lacks & ES_LACKS_CONSTANT_KEYWORD))
        c = ES_MAP_KEYWORD;
    if (c == ES_MAP_NONE)
        c = ES_MAP_KEYWORD;
    bool fallback = c == ES_MAP_ULONG && (lacks & ES_LACKS_UNSIGNED_LONG);
    for (size_t i = 0; i < G_N_ELEMENTS(TYPES); i++)
        if (TYPES[i].cls == c && TYPES[i].ulong_fallback == fallback)
            return &TYPES[i];
    g_assert_not_reached();
}

static void write_type(jsonw *w, const char *t)
{
    jw_key(w, "type");
    jw_string(w, t, strlen(t));
}

static void map_members(jsonw *w, es_map_class c, unsigned lacks)
{
    const type_row *r = row_of_class(c, lacks);
    write_type(w, r->type);
    if (r->ignore_malformed) {
        jw_key(w, "ignore_malformed");
        jw_bool(w, true);
    }
    if (r->alias_path) {
        jw_key(w, "path");
        jw_string(w, r->alias_path, strlen(r->alias_path));
    }
    if (r->ignore_above) {
        jw_key(w, "ignore_above");
        jw_uint(w, r->ignore_above);
    }
    if (r->sub_field) {
        jw_key(w, "fields");
        jw_begin_object(w);
        jw_key(w, r->sub_field);
        jw_begin_object(w);
        write_type(w, r->sub_type);
        jw_end_object(w);
        jw_end_object(w);
    }
}

es_map_class es_map_class_of_mapping(const char *name, const char *type, bool has_fields, int64_t ignore_above)
{
    for (size_t i = 0; i < G_N_ELEMENTS(TYPES); i++) {
        const type_row *r = &TYPES[i];
        if (strcmp(r->type, type) == 0 && (!r->sub_field || has_fields) &&
            (!r->only_name || strcmp(r->only_name, name) == 0) &&
            (!r->told_by_ignore_above || ignore_above == r->ignore_above))
            return r->cls;
    }
    return ES_MAP_NONE;
}

void es_map_property(jsonw *w, es_map_class c, unsigned lacks)
{
    jw_begin_object(w);
    map_members(w, c, lacks);
    jw_end_object(w);
}

es_schema *es_schema_new(void)
{
    es_schema *s = g_new0(es_schema, 1);
    g_mutex_init(&s->lock);
    s->fields = g_array_new(FALSE, FALSE, sizeof(field));
    s->latest = g_hash_table_new(g_str_hash, g_str_equal);
    return s;
}

void es_schema_free(es_schema *s)
{
    if (!s)
        return;
    for (guint i = 0; i < s->fields->len; i++) {
        g_free(g_array_index(s->fields, field, i).name);
        g_strfreev(g_array_index(s->fields, field, i).copy_to);
        g_free(g_array_index(s->fields, field, i).value);
    }
    g_hash_table_destroy(s->latest);
    g_array_free(s->fields, TRUE);
    g_mutex_clear(&s->lock);
    g_free(s);
}

/* Appends an entry for name; an older entry of the same name is replaced
 * (mapping updates carry the whole definition of a field). */
static void append(es_schema *s, const char *name, es_map_class c, char **copy_to, const char *value)
{
    field f = {g_strdup(name), c, copy_to, g_strdup(value), 0};
    gpointer old = g_hash_table_lookup(s->latest, name);
    if (old)
        g_array_index(s->fields, field, GPOINTER_TO_SIZE(old) - 1).newer = s->fields->len;
    g_array_append_val(s->fields, f);
    g_hash_table_insert(s->latest, g_array_index(s->fields, field, s->fields->len - 1).name,
                        GSIZE_TO_POINTER(s->fields->len));
}

void es_schema_add(es_schema *s, const char *name, es_map_class c)
{
    g_mutex_lock(&s->lock);
    gpointer at = g_hash_table_lookup(s->latest, name);
    const field *f = at ? &g_array_index(s->fields, field, GPOINTER_TO_SIZE(at) - 1) : NULL;
    /* Known already (from the installed template): keep its copy_to. */
    if (!f)
        append(s, name, c, NULL, NULL);
    else if (f->cls != c)
        append(s, name, c, g_strdupv(f->copy_to), NULL);
    g_mutex_unlock(&s->lock);
}

void es_schema_seed(es_schema *s, const char *name, es_map_class c, char **copy_to, const char *value)
{
    g_mutex_lock(&s->lock);
    if (!g_hash_table_contains(s->latest, name))
        append(s, name, c, g_strdupv(copy_to), value);
    g_mutex_unlock(&s->lock);
}

void es_schema_add_constant(es_schema *s, const char *name, const char *value)
{
    g_mutex_lock(&s->lock);
    append(s, name, ES_MAP_CONSTANT, NULL, value);
    g_mutex_unlock(&s->lock);
}

bool es_schema_copy_to(es_schema *s, const char *from, const char *to)
{
    g_mutex_lock(&s->lock);
    gpointer at = g_hash_table_lookup(s->latest, from);
    bool added = false;
    if (at && g_hash_table_contains(s->latest, to)) {
        const field *f = &g_array_index(s->fields, field, GPOINTER_TO_SIZE(at) - 1);
        size_t n = f->copy_to ? g_strv_length(f->copy_to) : 0;
        if (!f->copy_to || !g_strv_contains((const char *const *)f->copy_to, to)) {
            char **targets = g_new0(char *, n + 2);
            for (size_t i = 0; i < n; i++)
                targets[i] = g_strdup(f->copy_to[i]);
            targets[n] = g_strdup(to);
            append(s, from, f->cls, targets, f->value);
            added = true;
        }
    }
    g_mutex_unlock(&s->lock);
    return added;
}

void es_schema_set_lacks(es_schema *s, unsigned lacks)
{
    g_mutex_lock(&s->lock);
    s->lacks = lacks;
    g_mutex_unlock(&s->lock);
}

unsigned es_schema_lacks(es_schema *s)
{
    g_mutex_lock(&s->lock);
    unsigned lacks = s->lacks;
    g_mutex_unlock(&s->lock);
    return lacks;
}

size_t es_schema_count(es_schema *s)
{
    g_mutex_lock(&s->lock);
    size_t n = s->fields->len;
    g_mutex_unlock(&s->lock);
    return n;
}

size_t es_schema_fields(es_schema *s)
{
    g_mutex_lock(&s->lock);
    size_t n = g_hash_table_size(s->latest);
    g_mutex_unlock(&s->lock);
    return n;
}

void es_schema_write(es_schema *s, size_t from, size_t to, jsonw *w)
{
    es_schema_write_except(s, from, to, NULL, w);
}

void es_schema_write_except(es_schema *s, size_t from, size_t to, const char *const *except, jsonw *w)
{
    g_mutex_lock(&s->lock);
    for (size_t i = from; i < to && i < s->fields->len; i++) {
        const field *f = &g_array_index(s->fields, field, i);
        if (f->newer && f->newer < to)
            continue; /* a later entry in this range says more */
        if (except && g_strv_contains(except, f->name))
            continue;
        jw_key(w, f->name);
        jw_begin_object(w);
        map_members(w, f->cls, s->lacks);
        /* A constant_keyword's value; a plain keyword takes none. */
        if (f->value && !(f->cls == ES_MAP_CONSTANT && (s->lacks & ES_LACKS_CONSTANT_KEYWORD))) {
            jw_key(w, "value");
            jw_string(w, f->value, strlen(f->value));
        }
        if (f->copy_to) {
            jw_key(w, "copy_to");
            jw_begin_array(w);
            for (char **t = f->copy_to; *t; t++)
                jw_string(w, *t, strlen(*t));
            jw_end_array(w);
        }
        jw_end_object(w);
    }
    g_mutex_unlock(&s->lock);
}
