/* flatten.c — one frame's protocol tree as flat, typed JSON members.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "flatten.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "compat.h"
#include "mapping.h"
#include "shape.h"
#include "timefmt.h"

/* key_of_hf values below zero */
#define K_UNKNOWN (-1) /* not looked at yet */
#define K_SKIP (-2)    /* excluded: left out with its subtree */
#define K_NOVALUE (-3) /* no value (protocol, label): children still walked */

/* How a member's values are written.  Fields registered more than once under
 * one name may have different types; if they disagree on the JSON kind, all
 * are written as strings so one name never holds numbers in one document and
 * strings in the next. */
typedef enum { KIND_NATIVE,
               KIND_STRING } value_kind;

/* The value names member last written for a key's single value, encoded
 * (a field mostly repeats its value from frame to frame: ip.proto.name). */
typedef struct name_memo {
    const header_field_info *hf; /* NULL: none yet */
    const void *strings;         /* hf's names when it was encoded */
    uint64_t value;
    char *member; /* "FIELD.name":"Name", NULL if the value has no name */
    size_t len;
} name_memo;

typedef struct key {
    char *encoded; /* "name" as a JSON string, quotes included */
    size_t len;
    value_kind kind;
    es_map_class cls;
    const char *name;   /* member name (underscored in that style) */
    const char *abbrev; /* Wireshark name it was created for (registry-owned), NULL: a value-name key */
    bool copy_source;   /* has a copy_to (so cannot be a copy target) */
    bool copy_target;   /* receives a copy_to (so cannot be a source) */
    bool nested;        /* under_a_field(name): never in a copy_to */
    int32_t copied_to;  /* last copy target registered, or -1 */
    int32_t name_key;   /* key of its value names (FIELD.name), or -1 */
    int32_t refused_to; /* last copy target refused for good, or -1 */
    name_memo memo;     /* when name_key >= 0 */
} key;

/* A frame's entries are es_shape_entry (shape.h): the node a member value
 * comes from, its key (-1: left out after all, see drop_learned()), the next
 * entry of the same key, whether it is the key's first. */

/* A repeat not registered as a copy (yet): the pair (source key << 32 |
 * target key), and the node with the entry it gets if it is kept. */
typedef struct candidate {
    int64_t pair;
    int32_t node;
    size_t entry;
} candidate;

/* The comparisons of one field with another that the walk makes, noted for
 * the frame's shape (es_shape_check.kind). */
enum { CHECK_REPEATS,  /* repeats_value(a, b) */
       CHECK_TWIN,     /* same_bytes(a, b) */
       CHECK_LENGTH }; /* b's length > 0 */

struct es_flattener {
    es_name_style style;
    es_schema *schema;
    unsigned max_bytes;
    bool resolved;           /* keep renderings of other fields as names */
    GHashTable *include;     /* protocol names, NULL: all */
    char **exclude;          /* field-name prefixes */
    const char *const *keep; /* field-name prefixes with a value (core profile), NULL: all */
    bool ecs;
    bool columns; /* the exporter writes _ws.col.*: never from the tree */
    bool value_names;

    int32_t *key_of_hf; /* by header_field_info id */
    size_t n_hf;
    GArray *keys;            /* of key */
    GHashTable *key_by_name; /* member name -> key index + 1 */
    GHashTable *copies;      /* (source key << 32 | target key) registered */
    GArray *candidates;      /* of candidate: this frame's unregistered repeats */

    /* per frame, reused: */
    field_info **nodes; /* the tree's, in preorder (collect()); NULL: no field */
    es_shape_sig *sig;  /* their shape */
    int32_t *end;       /* by node: the index after its subtree (find_ends()) */
    size_t n_nodes, cap_nodes;
    es_shape_entry *ent; /* the walk's entries */
    size_t n_ent, cap_ent;
    const es_shape_entry *entries; /* this frame's: ent, or a shape's */
    size_t n_entries;
    uint32_t *stamp; /* by key: frame generation that saw it */
    int32_t *tail;   /* by key: last entry this frame */
    size_t cap_keys;
    uint32_t gen;
    char scratch[64];

    es_shape_cache *shapes;
    uint32_t epoch;              /* moves on when a shape's walk may decide otherwise */
    GArray *checks;              /* of es_shape_check: the walk's comparisons this frame */
    bool noting;                 /* the walk notes them: its shape may be stored */
    GArray *open;                /* of int32_t: find_ends()'s parents */
    uint64_t remembered, walked; /* frames */

    /* a part of a split capture (es_flatten_split), NULL: off */
    es_frame_map *map;
    const es_frame_ref *ref; /* this frame's record */
    int hf_relative, hf_delta, hf_stream[ES_STREAM_KINDS];
    const nstime_t *relative, *delta; /* this frame's, NULL: the tree's */
};

/* The JSON kind a field type is written as. */
typedef enum { JK_NONE,
               JK_NUMBER,
               JK_BOOL,
               JK_STRING } json_kind;

static json_kind json_kind_of(enum ftenum t)
{
    switch (es_map_class_of(t)) {
    case ES_MAP_NONE:
        return JK_NONE;
    case ES_MAP_BOOLEAN:
        return JK_BOOL;
    case ES_MAP_LONG:
    case ES_MAP_ULONG:
    case ES_MAP_DOUBLE:
        return JK_NUMBER;
    default:
        return JK_STRING;
    }
}

/* Whether another registered field with a value has abbrev's underscore
 * name: one that differs from it only in which of its separators are '.'
 * and which '_' (mtp3mg.test.pattern, mtp3mg.test_pattern).  Asked once
 * per key, so a few lookups each instead of a pass over the registry;
 * names with more than 10 separators are not checked. */
static bool shares_underscore_name(const char *abbrev)
{
    size_t n = strlen(abbrev), at[10];
    unsigned k = 0;
    char variant[256];
    if (n >= sizeof variant)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (abbrev[i] != '.' && abbrev[i] != '_')
            continue;
        if (k == G_N_ELEMENTS(at))
            return false;
        at[k++] = i;
    }
    memcpy(variant, abbrev, n + 1);
    for (uint32_t bits = 0; bits < (1u << k); bits++) {
        for (unsigned j = 0; j < k; j++)
            variant[at[j]] = (bits >> j) & 1 ? '_' : '.';
        if (strcmp(variant, abbrev) == 0)
            continue;
        header_field_info *other = proto_registrar_get_byname(variant);
        if (other && json_kind_of(other->type) != JK_NONE)
            return true;
    }
    return false;
}

es_flattener *es_flattener_new(const es_settings *s, es_name_style style, es_schema *schema)
{
    es_flattener *f = g_new0(es_flattener, 1);
    f->style = style;
    f->schema = schema;
    f->max_bytes = s->max_bytes;
    f->resolved = s->resolved;
    f->keep = s->profile == ES_PROFILE_CORE ? es_core_fields : NULL;
    f->ecs = s->ecs;
    f->columns = s->columns;
    f->value_names = s->value_names;
    if (*s->protocols) {
        f->include = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        char **names = g_strsplit_set(s->protocols, ", ", -1);
        for (char **n = names; *n; n++)
            if (**n)
                g_hash_table_add(f->include, g_strdup(*n));
        g_strfreev(names);
    }
    char **ex = g_strsplit_set(s->exclude, ", ", -1);
    GPtrArray *kept = g_ptr_array_new();
    for (char **e = ex; *e; e++)
        if (**e)
            g_ptr_array_add(kept, g_strdup(*e));
    g_ptr_array_add(kept, NULL);
    f->exclude = (char **)g_ptr_array_free(kept, FALSE);
    g_strfreev(ex);
    f->keys = g_array_new(FALSE, FALSE, sizeof(key));
    f->key_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    f->copies = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    f->candidates = g_array_new(FALSE, FALSE, sizeof(candidate));
    f->shapes = es_shape_cache_new();
    f->checks = g_array_new(FALSE, FALSE, sizeof(es_shape_check));
    f->open = g_array_new(FALSE, FALSE, sizeof(int32_t));
    return f;
}

void es_flattener_free(es_flattener *f)
{
    if (!f)
        return;
    for (guint i = 0; i < f->keys->len; i++) {
        key *k = &g_array_index(f->keys, key, i);
        g_free(k->encoded);
        g_free((char *)k->name);
        g_free(k->memo.member);
    }
    g_array_free(f->keys, TRUE);
    g_hash_table_destroy(f->key_by_name);
    g_hash_table_destroy(f->copies);
    g_array_free(f->candidates, TRUE);
    if (f->include)
        g_hash_table_destroy(f->include);
    g_strfreev(f->exclude);
    g_free(f->key_of_hf);
    g_free(f->ent);
    g_free(f->nodes);
    g_free(f->sig);
    g_free(f->end);
    g_free(f->stamp);
    g_free(f->tail);
    es_shape_cache_free(f->shapes);
    g_array_free(f->checks, TRUE);
    g_array_free(f->open, TRUE);
    g_free(f);
}

/* Whether abbrev is one of the prefixes or below one (tcp.flags: tcp.flags.syn). */
static bool under_prefix(const char *const *prefixes, const char *abbrev)
{
    for (const char *const *e = prefixes; *e; e++) {
        size_t n = strlen(*e);
        if (strncmp(abbrev, *e, n) == 0 && (abbrev[n] == '\0' || abbrev[n] == '.' || (*e)[n - 1] == '.'))
            return true;
    }
    return false;
}

/* Elastic Common Schema fields fed from Wireshark's by copy_to: indexed
 * and searchable under both names, carried once in the document. */
static const struct {
    const char *field, *ecs;
} ecs_copies[] = {
    {"ip.src", "source.ip"},
    {"ipv6.src", "source.ip"},
    {"ip.dst", "destination.ip"},
    {"ipv6.dst", "destination.ip"},
    {"tcp.srcport", "source.port"},
    {"udp.srcport", "source.port"},
    {"sctp.srcport", "source.port"},
    {"tcp.dstport", "destination.port"},
    {"udp.dstport", "destination.port"},
    {"sctp.dstport", "destination.port"},
    {"frame.len", "network.bytes"},
};

/* Long strings people search by word ("Mozilla", "example"): a keyword for
 * exact match and aggregations, plus a text sub-field (NAME.text). */
static const char *const search_text[] = {
    "http.user_agent",
    "http.request.uri",
    "http.request.full_uri",
    "http.host",
    "http.referer",
    "http.server",
    "dns.qry.name",
    "dns.resp.name",
    "dns.cname",
    "tls.handshake.extensions_server_name",
    "imf.subject",
    "smtp.req.parameter",
    "sip.from.addr",
    "sip.to.addr",
    "_ws.expert.message",
    "frame.protocols",
};

void es_flatten_register_ecs(es_schema *schema)
{
    es_schema_add(schema, "source.ip", ES_MAP_IP);
    es_schema_add(schema, "destination.ip", ES_MAP_IP);
    es_schema_add(schema, "source.port", ES_MAP_LONG);
    es_schema_add(schema, "destination.port", ES_MAP_LONG);
    es_schema_add(schema, "network.bytes", ES_MAP_LONG);
}

/* How every field registered under hf's name is written and mapped. */
static value_kind family_kind(const header_field_info *hf, es_map_class *cls)
{
    while (hf->same_name_prev_id != -1) {
        header_field_info *prev = proto_registrar_get_nth((guint)hf->same_name_prev_id);
        if (!prev)
            break;
        hf = prev;
    }
    json_kind seen = JK_NONE;
    value_kind kind = KIND_NATIVE;
    *cls = ES_MAP_NONE;
    for (; hf; hf = hf->same_name_next) {
        json_kind k = json_kind_of(hf->type);
        if (k == JK_NONE)
            continue;
        if (seen != JK_NONE && k != seen)
            kind = KIND_STRING;
        seen = k;
        *cls = es_map_merge(*cls, es_map_class_of(hf->type));
    }
    if (kind == KIND_STRING)
        *cls = ES_MAP_KEYWORD;
    return kind;
}

static void grow_per_key(es_flattener *f, size_t need)
{
    if (need <= f->cap_keys)
        return;
    size_t cap = MAX(need, f->cap_keys * 2);
    f->stamp = g_renew(uint32_t, f->stamp, cap);
    f->tail = g_renew(int32_t, f->tail, cap);
    memset(f->stamp + f->cap_keys, 0, (cap - f->cap_keys) * sizeof *f->stamp);
    f->cap_keys = cap;
}

static bool under_a_field(const char *name);

/* Whether hf is left out (K_SKIP), has no value (K_NOVALUE), or gets a
 * key (K_UNKNOWN). */
static int32_t triage(es_flattener *f, const header_field_info *hf)
{
    if (!hf->abbrev || !*hf->abbrev || under_prefix((const char *const *)f->exclude, hf->abbrev))
        return K_SKIP;
    if (strcmp(hf->abbrev, "frame.number") == 0 || strcmp(hf->abbrev, "frame.cap_len") == 0)
        return K_SKIP; /* the exporter's metadata carries them */
    /* Wireshark 4.2+ registers its columns as fields; the exporter writes
     * them from the packet's columns, once. */
    if (f->columns && (strcmp(hf->abbrev, ES_COL_INFO) == 0 || strcmp(hf->abbrev, ES_COL_PROTOCOL) == 0))
        return K_SKIP;
    if ((hf->type == FT_ABSOLUTE_TIME && (strcmp(hf->abbrev, "frame.time") == 0 ||
                                          strcmp(hf->abbrev, "frame.time_utc") == 0)) ||
        strcmp(hf->abbrev, "frame.time_epoch") == 0) {
        /* The frame's arrival time (in any of its displays) is @timestamp
         * already: the name is mapped as an alias of it.  frame.time_epoch
         * too where it is a relative time (before 4.2): one index takes
         * documents of every version, and a number written into the alias
         * another version mapped would be refused. */
        char *alias = g_strdup(hf->abbrev);
        if (f->style == ES_NAMES_UNDERSCORE)
            g_strdelimit(alias, ".", '_');
        es_schema_add(f->schema, alias, ES_MAP_TIME_ALIAS);
        g_free(alias);
        return K_SKIP;
    }
    if (json_kind_of(hf->type) == JK_NONE || (f->keep && !under_prefix(f->keep, hf->abbrev)))
        return K_NOVALUE;
    if ((hf->type == FT_BYTES || hf->type == FT_UINT_BYTES) && f->max_bytes == 0)
        return K_SKIP;
    return K_UNKNOWN;
}

/* Type sets as bit masks (asked for every value written): the integer types
 * come first in enum ftenum, below 64 in every version. */
#define FT_BIT(t) (UINT64_C(1) << (t))
#define FT_SIGNED_SET                                                                              \
    (FT_BIT(FT_INT8) | FT_BIT(FT_INT16) | FT_BIT(FT_INT24) | FT_BIT(FT_INT32) | FT_BIT(FT_INT40) | \
     FT_BIT(FT_INT48) | FT_BIT(FT_INT56) | FT_BIT(FT_INT64))
#define FT_64_SET                                                                                       \
    (FT_BIT(FT_UINT40) | FT_BIT(FT_UINT48) | FT_BIT(FT_UINT56) | FT_BIT(FT_UINT64) | FT_BIT(FT_INT40) | \
     FT_BIT(FT_INT48) | FT_BIT(FT_INT56) | FT_BIT(FT_INT64))
#define FT_INTEGER_SET                                                                            \
    (FT_SIGNED_SET | FT_BIT(FT_CHAR) | FT_BIT(FT_UINT8) | FT_BIT(FT_UINT16) | FT_BIT(FT_UINT24) | \
     FT_BIT(FT_UINT32) | FT_BIT(FT_UINT40) | FT_BIT(FT_UINT48) | FT_BIT(FT_UINT56) | FT_BIT(FT_UINT64))
/* Read with es_fv_uint32(). */
#define FT_UINT32_SET                                                                                 \
    (FT_BIT(FT_CHAR) | FT_BIT(FT_UINT8) | FT_BIT(FT_UINT16) | FT_BIT(FT_UINT24) | FT_BIT(FT_UINT32) | \
     FT_BIT(FT_FRAMENUM) | FT_BIT(FT_IPXNET))
G_STATIC_ASSERT(FT_INT64 < 64 && FT_UINT64 < 64 && FT_CHAR < 64 && FT_FRAMENUM < 64 && FT_IPXNET < 64);

static inline bool in_set(enum ftenum t, uint64_t set)
{
    return (unsigned)t < 64 && (set >> (unsigned)t & 1);
}

static bool is_signed(enum ftenum t)
{
    return in_set(t, FT_SIGNED_SET);
}

static bool is_64(enum ftenum t)
{
    return in_set(t, FT_64_SET);
}

static bool is_integer(enum ftenum t)
{
    return in_set(t, FT_INTEGER_SET);
}

/* An integer field's value as 64 bits (a signed 32-bit one zero-extended,
 * as Wireshark looks its value strings up); FT_FRAMENUM too. */
static inline uint64_t integer_bits(fvalue_t *fv, enum ftenum t)
{
    if (is_64(t))
        return is_signed(t) ? (uint64_t)fvalue_get_sinteger64(fv) : es_fv_uint64(fv);
    return is_signed(t) ? (uint64_t)(uint32_t)fvalue_get_sinteger(fv) : es_fv_uint32(fv);
}

/* Whether Wireshark shows hf's values by name: an integer with value,
 * range or 64-bit strings.  Units (BASE_UNIT_STRING) and custom formats are
 * not names; booleans are left out: true/false is already their value, and
 * their strings mostly say "Set"/"Not set". */
static bool has_value_names(const header_field_info *hf)
{
    if (!hf->strings || (hf->display & BASE_UNIT_STRING) || FIELD_DISPLAY(hf->display) == BASE_CUSTOM)
        return false;
    return is_integer(hf->type);
}

static int32_t add_key(es_flattener *f, const char *abbrev, char *name, value_kind kind, es_map_class cls)
{
    key k;
    esbuf enc;
    esbuf_init(&enc, strlen(name) + 8, 4096);
    esbuf_putc(&enc, '"');
    jw_escape_into(&enc, name, strlen(name));
    esbuf_putc(&enc, '"');
    k.encoded = enc.data;
    k.len = enc.len;
    k.kind = kind;
    k.cls = cls;
    k.name = name;
    k.abbrev = abbrev;
    k.copy_source = k.copy_target = false;
    k.nested = under_a_field(name);
    k.copied_to = -1;
    k.name_key = -1;
    k.refused_to = -1;
    memset(&k.memo, 0, sizeof k.memo);
    es_schema_add(f->schema, name, cls);
    for (size_t i = 0; f->ecs && abbrev && i < G_N_ELEMENTS(ecs_copies); i++) {
        if (strcmp(abbrev, ecs_copies[i].field) == 0 && kind == KIND_NATIVE &&
            (cls == ES_MAP_IP || cls == ES_MAP_LONG)) {
            es_schema_copy_to(f->schema, name, ecs_copies[i].ecs);
            k.copy_source = true;
        }
    }
    g_array_append_val(f->keys, k);
    int32_t idx = (int32_t)f->keys->len - 1;
    g_hash_table_insert(f->key_by_name, (gpointer)k.name, GINT_TO_POINTER(idx + 1));
    grow_per_key(f, f->keys->len);
    return idx;
}

/* The key of k's value names: FIELD.name, or FIELD.value_name where a
 * Wireshark field is called FIELD.name (cip.port.name); -1 if both are
 * taken. */
static int32_t name_key_for(es_flattener *f, const char *abbrev)
{
    static const char *const suffixes[] = {".name", ".value_name"};
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        char *dotted = g_strconcat(abbrev, suffixes[i], NULL);
        if (under_prefix((const char *const *)f->exclude, dotted)) { /* es.exclude=dns.flags.rcode.name */
            g_free(dotted);
            return -1;
        }
        char *name = g_strdup(dotted);
        if (f->style == ES_NAMES_UNDERSCORE)
            g_strdelimit(name, ".", '_');
        bool free_name = !proto_registrar_get_byname(dotted) &&
                         !g_hash_table_contains(f->key_by_name, name);
        g_free(dotted);
        if (free_name)
            return add_key(f, NULL, name, KIND_NATIVE, ES_MAP_KEYWORD);
        g_free(name);
    }
    return -1;
}

/* Looks hf up for the first time: excluded, valueless, or which key. */
static int32_t classify(es_flattener *f, const header_field_info *hf)
{
    int32_t t = triage(f, hf);
    if (t != K_UNKNOWN)
        return t;
    char *name = g_strdup(hf->abbrev);
    if (f->style == ES_NAMES_UNDERSCORE)
        g_strdelimit(name, ".", '_');
    es_map_class cls;
    int32_t idx;
    gpointer found = g_hash_table_lookup(f->key_by_name, name);
    if (found) {
        idx = GPOINTER_TO_INT(found) - 1;
        key *k = &g_array_index(f->keys, key, idx);
        /* Another Wireshark name mapped onto the same member (underscore
         * style; shares_underscore_name() made it a keyword already unless
         * the name has more than 10 separators): strings. */
        bool other_name = !k->abbrev || strcmp(k->abbrev, hf->abbrev) != 0;
        if ((other_name || family_kind(hf, &cls) == KIND_STRING) && k->kind != KIND_STRING) {
            k->kind = KIND_STRING;
            k->cls = ES_MAP_KEYWORD;
            es_schema_add(f->schema, k->name, ES_MAP_KEYWORD);
        }
        g_free(name);
    } else {
        value_kind kind = family_kind(hf, &cls);
        for (size_t i = 0; cls == ES_MAP_KEYWORD && i < G_N_ELEMENTS(search_text); i++)
            if (strcmp(hf->abbrev, search_text[i]) == 0)
                cls = ES_MAP_SEARCH_TEXT;
        /* Keywords from the first frame on, before the other name appears. */
        if (f->style == ES_NAMES_UNDERSCORE && shares_underscore_name(hf->abbrev)) {
            kind = KIND_STRING;
            cls = ES_MAP_KEYWORD;
        }
        idx = add_key(f, hf->abbrev, name, kind, cls);
    }
    if (f->value_names && g_array_index(f->keys, key, idx).name_key < 0 && has_value_names(hf)) {
        int32_t nk = name_key_for(f, hf->abbrev);
        g_array_index(f->keys, key, idx).name_key = nk;
    }
    return idx;
}

static inline int32_t key_of(es_flattener *f, const header_field_info *hf)
{
    size_t id = (size_t)hf->id;
    if (G_UNLIKELY(id >= f->n_hf)) {
        size_t n = MAX(id + 1, f->n_hf * 2);
        n = MAX(n, 4096);
        f->key_of_hf = g_renew(int32_t, f->key_of_hf, n);
        for (size_t i = f->n_hf; i < n; i++)
            f->key_of_hf[i] = K_UNKNOWN;
        f->n_hf = n;
    }
    int32_t k = f->key_of_hf[id];
    if (G_UNLIKELY(k == K_UNKNOWN)) {
        k = f->key_of_hf[id] = classify(f, hf);
        f->epoch++; /* a new key may change another's kind, and so a copy_to */
    }
    return k;
}

/* The field of node i, NULL for none (i < 0: no node). */
static inline field_info *node_fi(const es_flattener *f, int32_t i)
{
    return i >= 0 ? f->nodes[i] : NULL;
}

/* Makes entry i node's, the last of key k so far this frame. */
static inline void link_entry(es_flattener *f, int32_t i, int32_t k, int32_t node)
{
    es_shape_entry *e = &f->ent[i];
    e->node = node;
    e->key = k;
    e->next = -1;
    e->first = f->stamp[k] != f->gen;
    if (e->first)
        f->stamp[k] = f->gen;
    else
        f->ent[f->tail[k]].next = i;
    f->tail[k] = i;
}

static void add_entry(es_flattener *f, int32_t k, int32_t node)
{
    if (G_UNLIKELY(f->n_ent == f->cap_ent)) {
        f->cap_ent = f->cap_ent ? f->cap_ent * 2 : 1024;
        f->ent = g_renew(es_shape_entry, f->ent, f->cap_ent);
    }
    link_entry(f, (int32_t)f->n_ent++, k, node);
}

/* A new frame generation: every key's entries of the last are forgotten. */
static void next_generation(es_flattener *f)
{
    if (++f->gen == 0) { /* generation wrapped: forget every stamp */
        memset(f->stamp, 0, f->cap_keys * sizeof *f->stamp);
        f->gen = 1;
    }
}

/* Notes a comparison between nodes a and b for the frame's shape; returns
 * its result. */
static bool noted(es_flattener *f, uint32_t kind, int32_t a, int32_t b, bool result)
{
    if (f->noting) {
        es_shape_check c = {kind, a, b, result};
        g_array_append_val(f->checks, c);
    }
    return result;
}

static bool is_text(enum ftenum t)
{
    return t == FT_STRING || t == FT_STRINGZ || t == FT_UINT_STRING || t == FT_STRINGZPAD ||
           t == FT_STRINGZTRUNC;
}

static inline bool same_bytes(const field_info *a, const field_info *b)
{
    return a->start == b->start && a->length == b->length && a->ds_tvb == b->ds_tvb;
}

/* Whether a is a typed (non-text) value over exactly the bytes of node b;
 * what a's header field decides is not noted. */
static bool twin_of(es_flattener *f, int32_t a, int32_t b)
{
    const field_info *fa = node_fi(f, a);
    return fa && !is_text(fa->hfinfo->type) && json_kind_of(fa->hfinfo->type) != JK_NONE &&
           noted(f, CHECK_TWIN, a, b, same_bytes(fa, f->nodes[b]));
}

#define RECENT 4 /* siblings a rendering is looked for among */

/* A generated or hidden text field over exactly the bytes of a typed field
 * just before it (its parent or a recent sibling) is a rendering of that
 * field as a name: eth.src_resolved, eth.src.oui_resolved, ip.src_host,
 * ip.host, tcp.flags.str.  The typed field already carries the value. */
static bool is_rendering(es_flattener *f, int32_t i, int32_t parent, const int32_t recent[RECENT])
{
    const field_info *fi = f->nodes[i];
    if (!is_text(fi->hfinfo->type) || !FI_GET_FLAG(fi, FI_GENERATED | FI_HIDDEN) ||
        !noted(f, CHECK_LENGTH, i, i, fi->length > 0))
        return false;
    if (twin_of(f, parent, i))
        return true;
    for (int r = 0; r < RECENT; r++)
        if (twin_of(f, recent[r], i))
            return true;
    return false;
}

/* Whether two fields of one type hold the same value. */
static bool same_value(field_info *a, field_info *b)
{
    fvalue_t *x = ES_FI_FV(a), *y = ES_FI_FV(b);
    size_t la, lb;
    const uint8_t *pa, *pb;
    enum ftenum t = a->hfinfo->type;
    if (is_integer(t) || t == FT_FRAMENUM)
        return integer_bits(x, t) == integer_bits(y, t);
    switch (t) {
    case FT_BOOLEAN:
    case FT_EUI64:
        return es_fv_uint64(x) == es_fv_uint64(y);
    case FT_IPv4:
        return es_fv_ipv4(x) == es_fv_ipv4(y);
    case FT_IPv6:
        return memcmp(es_fv_ipv6(x), es_fv_ipv6(y), 16) == 0;
    case FT_ETHER:
    case FT_BYTES:
    case FT_UINT_BYTES:
        pa = es_fv_bytes(x, &la);
        pb = es_fv_bytes(y, &lb);
        return la == lb && memcmp(pa, pb, la) == 0;
    case FT_STRING:
    case FT_STRINGZ:
    case FT_UINT_STRING:
    case FT_STRINGZPAD:
    case FT_STRINGZTRUNC:
        pa = (const uint8_t *)es_fv_string(x, &la);
        pb = (const uint8_t *)es_fv_string(y, &lb);
        return la == lb && memcmp(pa, pb, la) == 0;
    default:
        return false;
    }
}

/* b repeats a (another field of the same type, bits and value over the same
 * bytes, e.g. ip.addr beside ip.src), once their header fields allow it. */
static inline bool repeats_value(field_info *a, field_info *b)
{
    return a->length == b->length && a->start == b->start && b->length > 0 && a->ds_tvb == b->ds_tvb &&
           same_value(a, b);
}

/* Whether node b repeats node a; what their header fields decide is not
 * noted. */
static inline bool repeat_of(es_flattener *f, int32_t a, int32_t b)
{
    field_info *fa = node_fi(f, a), *fb = f->nodes[b];
    return fa && fa->hfinfo != fb->hfinfo && fa->hfinfo->type == fb->hfinfo->type &&
           fa->hfinfo->bitmask == fb->hfinfo->bitmask && noted(f, CHECK_REPEATS, a, b, repeats_value(fa, fb));
}

/* Whether node i (key k) is left out because it repeats a field that copies
 * into it: a hidden copy of a recent sibling, or a copy of its parent
 * (eth.addr under eth.src).  Elasticsearch then indexes the value under both
 * names from the mapping's copy_to, and the document carries it once.  A
 * repeat not known yet becomes a candidate (see learn_copies()). */
static bool fold_repeat(es_flattener *f, int32_t k, int32_t i, int32_t parent, const int32_t recent[RECENT])
{
    int32_t of = -1;
    if (repeat_of(f, parent, i))
        of = parent;
    for (int r = 0; of < 0 && FI_GET_FLAG(f->nodes[i], FI_HIDDEN) && r < RECENT; r++)
        if (repeat_of(f, recent[r], i))
            of = recent[r];
    if (of < 0)
        return false;
    int32_t src = key_of(f, f->nodes[of]->hfinfo);
    if (src < 0 || src == k)
        return false;
    key *ks = &g_array_index(f->keys, key, src);
    if (ks->copied_to == k)
        return true;
    candidate c = {(int64_t)src << 32 | (uint32_t)k, i, f->n_ent};
    if (ks->refused_to != k && g_hash_table_contains(f->copies, &c.pair)) {
        ks->copied_to = k;
        return true;
    }
    g_array_append_val(f->candidates, c);
    return false;
}

/* Whether a dotted name lies under another field with a value (eth.dst.ig
 * under eth.dst, eth.addr.oui under eth.addr): Elasticsearch takes such a
 * name for a multi-field of that field and refuses copy_to from or into it,
 * the whole template with it. */
static bool under_a_field(const char *name)
{
    char prefix[256];
    for (const char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
        size_t n = (size_t)(dot - name);
        if (n >= sizeof prefix)
            return true;
        memcpy(prefix, name, n);
        prefix[n] = '\0';
        header_field_info *hf = proto_registrar_get_byname(prefix);
        if (hf && json_kind_of(hf->type) != JK_NONE)
            return true;
    }
    return false;
}

/* Whether Elasticsearch refuses a copy_to from ks into kt, now and later:
 * it copies one level only, into a field of the same type (the flags only
 * ever get set; kinds change only with a new key). */
static bool never_a_copy(const key *ks, const key *kt)
{
    return ks->copy_target || kt->copy_source || ks->cls != kt->cls || ks->kind != kt->kind ||
           ks->cls == ES_MAP_BINARY || ks->nested || kt->nested;
}

/* Registers the copies seen in this frame into targets fed by two or more
 * different fields (ip.addr from ip.src and ip.dst, tcp.port, eth.lg): the
 * "source or destination" fields Wireshark adds beside each address or
 * port.  A field that merely equals its only neighbour this time (a URI
 * query and its one parameter) is not a copy and is never folded.  True if
 * it registered any. */
static bool learn_copies(es_flattener *f)
{
    const candidate *c = (const candidate *)(void *)f->candidates->data;
    guint n = f->candidates->len;
    bool learned = false;
    for (guint i = 0; i < n; i++) {
        int32_t target = (int32_t)(uint32_t)c[i].pair;
        key *ks = &g_array_index(f->keys, key, (guint)(c[i].pair >> 32));
        if (ks->refused_to == target) /* refused for good, and again each frame */
            continue;
        bool several = false;
        for (guint j = 0; j < n && !several; j++)
            several = (int32_t)(uint32_t)c[j].pair == target && c[j].pair >> 32 != c[i].pair >> 32;
        if (!several)
            continue;
        key *kt = &g_array_index(f->keys, key, (guint)target);
        if (never_a_copy(ks, kt)) {
            ks->refused_to = target; /* fold_repeat() need not look it up */
            continue;
        }
        if (g_hash_table_contains(f->copies, &c[i].pair))
            continue;
        es_schema_copy_to(f->schema, ks->name, kt->name);
        g_hash_table_add(f->copies, g_memdup2(&c[i].pair, sizeof c[i].pair));
        ks->copy_source = kt->copy_target = true;
        learned = true;
    }
    return learned;
}

/* Whether every repeat of this frame left unfolded is one Elasticsearch
 * never takes as a copy: the same frame again is then written the same. */
static bool only_refused(es_flattener *f)
{
    const candidate *c = (const candidate *)(void *)f->candidates->data;
    for (guint i = 0; i < f->candidates->len; i++)
        if (!never_a_copy(&g_array_index(f->keys, key, (guint)(c[i].pair >> 32)),
                          &g_array_index(f->keys, key, (guint)(uint32_t)c[i].pair)))
            return false;
    return true;
}

/* Leaves out this frame's entries of the copies it has just taught, so the
 * frame that teaches a copy_to carries the value once, as the frames after
 * it do (and a part of a split capture writes its first frames as the
 * single run does). */
static void drop_learned(es_flattener *f)
{
    const candidate *c = (const candidate *)(void *)f->candidates->data;
    for (guint i = 0; i < f->candidates->len; i++)
        if (c[i].entry < f->n_ent && f->ent[c[i].entry].node == c[i].node &&
            g_hash_table_contains(f->copies, &c[i].pair))
            f->ent[c[i].entry].key = -1;
    next_generation(f);
    size_t kept = 0;
    for (size_t i = 0; i < f->n_ent; i++)
        if (f->ent[i].key >= 0)
            link_entry(f, (int32_t)kept++, f->ent[i].key, f->ent[i].node);
    f->n_ent = kept;
}

/* The children of node parent (-1: the tree's top), nodes [first, end). */
static void walk(es_flattener *f, int32_t parent, int32_t first, int32_t end)
{
    const field_info *parent_fi = node_fi(f, parent);
    int32_t recent[RECENT] = {-1, -1, -1, -1};
    unsigned n_recent = 0;
    for (int32_t i = first; i < end; i = f->end[i]) {
        field_info *fi = f->nodes[i];
        bool children = f->end[i] > i + 1;
        if (fi) {
            const header_field_info *hf = fi->hfinfo;
            if (parent < 0 && f->include &&
                (hf->type != FT_PROTOCOL || !g_hash_table_contains(f->include, hf->abbrev)))
                continue;
            int32_t k = key_of(f, hf);
            if (k == K_SKIP)
                continue;
            if (!f->resolved && G_UNLIKELY(FI_GET_FLAG(fi, FI_GENERATED | FI_HIDDEN)) &&
                is_rendering(f, i, parent, recent))
                continue;
            bool folded = k >= 0 && (FI_GET_FLAG(fi, FI_HIDDEN) || parent_fi) &&
                          fold_repeat(f, k, i, parent, recent);
            recent[n_recent++ % RECENT] = i;
            /* Byte fields with a subtree (tcp.options) are containers: the
             * children carry the decoded values, es.raw the bytes. */
            if (k >= 0 && !folded && !(children && (hf->type == FT_BYTES || hf->type == FT_UINT_BYTES)))
                add_entry(f, k, i);
        }
        if (children)
            walk(f, i, i + 1, f->end[i]);
    }
}

static void grow_nodes(es_flattener *f)
{
    f->cap_nodes = f->cap_nodes ? f->cap_nodes * 2 : 1024;
    f->nodes = g_renew(field_info *, f->nodes, f->cap_nodes);
    f->sig = g_renew(es_shape_sig, f->sig, f->cap_nodes);
    f->end = g_renew(int32_t, f->end, f->cap_nodes);
}

/* A node's signature bits: its depth (a tree in preorder is its nodes and
 * their depths) and its flags. */
#define SIG_DEPTH 0x3fffffffu
#define SIG_FLAGS(fi) (FI_GET_FLAG(fi, FI_GENERATED | FI_HIDDEN) << 30)

/* Lists the nodes under root in preorder (f->nodes, f->sig, f->n_nodes);
 * returns the hash of their signatures.  Every frame's: no recursion, the
 * arrays and counts in locals, out of line so they stay in registers. */
static __attribute__((noinline)) uint64_t collect(es_flattener *f, proto_node *root)
{
    uint64_t hash = ES_SHAPE_SEED;
    size_t n = 0, cap = f->cap_nodes;
    field_info **nodes = f->nodes;
    es_shape_sig *sig = f->sig;
    uint32_t depth = 0;
    for (proto_node *c = root->first_child; c;) {
        if (G_UNLIKELY(n == cap)) {
            grow_nodes(f);
            cap = f->cap_nodes;
            nodes = f->nodes;
            sig = f->sig;
        }
        field_info *fi = PNODE_FINFO(c);
        sig[n].field = G_LIKELY(fi) ? fi->hfinfo->id : -1;
        sig[n].bits = SIG_FLAGS(fi) | (depth & SIG_DEPTH);
        hash = es_shape_mix(hash, &sig[n]);
        nodes[n++] = fi;
        if (c->first_child) {
            c = c->first_child;
            depth++;
            continue;
        }
        for (; !c->next && c->parent != root; depth--)
            c = c->parent;
        c = c->next;
    }
    f->n_nodes = n;
    return hash;
}

/* f->end from the signatures' depths, for the walk: a subtree ends at the
 * next node no deeper than its root. */
static void find_ends(es_flattener *f)
{
    GArray *open = f->open;
    g_array_set_size(open, 0);
    for (int32_t i = 0; i <= (int32_t)f->n_nodes; i++) {
        uint32_t depth = i < (int32_t)f->n_nodes ? f->sig[i].bits & SIG_DEPTH : 0;
        while (open->len) {
            int32_t top = g_array_index(open, int32_t, open->len - 1);
            if ((f->sig[top].bits & SIG_DEPTH) < depth)
                break;
            f->end[top] = i;
            g_array_set_size(open, open->len - 1);
        }
        g_array_append_val(open, i);
    }
}

/* Whether a comparison the walk made on a frame of this shape comes out the
 * same on this frame's nodes. */
static bool check_holds(const es_flattener *f, const es_shape_check *c)
{
    field_info *a = f->nodes[c->a], *b = f->nodes[c->b];
    bool result;
    if (c->kind == CHECK_REPEATS)
        result = repeats_value(a, b);
    else if (c->kind == CHECK_TWIN)
        result = same_bytes(a, b);
    else
        result = b->length > 0;
    return result == (c->result != 0);
}

/* This frame's entries from a frame of the same shape, if its comparisons
 * come out the same. */
static bool replay(es_flattener *f, uint64_t hash)
{
    const es_shape *s = es_shape_find(f->shapes, hash, f->epoch, f->sig, f->n_nodes);
    if (!s)
        return false;
    for (size_t i = 0; i < s->n_checks; i++)
        if (!check_holds(f, &s->checks[i]))
            return false;
    f->entries = s->entries;
    f->n_entries = s->n_entries;
    f->remembered++;
    return true;
}

/* The walk, for a frame whose shape was not remembered; kept for the next
 * frames of its shape when they will be written the same. */
static void walk_frame(es_flattener *f, uint64_t hash)
{
    f->walked++;
    bool wanted = es_shape_miss(f->shapes, hash);
    uint32_t epoch = f->epoch;
    f->n_ent = 0;
    next_generation(f);
    g_array_set_size(f->checks, 0);
    f->noting = wanted;
    find_ends(f);
    walk(f, -1, 0, (int32_t)f->n_nodes);
    if (G_UNLIKELY(f->candidates->len)) {
        if (learn_copies(f)) {
            drop_learned(f);
            f->epoch++;
        }
        wanted = wanted && only_refused(f);
        g_array_set_size(f->candidates, 0);
    }
    if (wanted && f->epoch == epoch)
        es_shape_store(f->shapes, hash, epoch, f->sig, f->n_nodes, f->ent, f->n_ent,
                       (const es_shape_check *)(void *)f->checks->data, f->checks->len);
    f->entries = f->ent;
    f->n_entries = f->n_ent;
}

static void write_mac(jsonw *w, const uint8_t *p, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    char buf[3 * 8];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf[o++] = ':';
        buf[o++] = hexd[p[i] >> 4];
        buf[o++] = hexd[p[i] & 15];
    }
    jw_string(w, buf, o);
}

/* Writes a number as a JSON number, or as a string for KIND_STRING keys. */
static void write_u64(es_flattener *f, jsonw *w, value_kind kind, uint64_t v)
{
    if (kind == KIND_NATIVE) {
        jw_uint(w, v);
        return;
    }
    size_t n = es_fmt_u64(f->scratch, v);
    jw_string(w, f->scratch, n);
}

static void write_i64(es_flattener *f, jsonw *w, value_kind kind, int64_t v)
{
    if (kind == KIND_NATIVE) {
        jw_int(w, v);
        return;
    }
    int n = g_snprintf(f->scratch, sizeof f->scratch, "%" G_GINT64_FORMAT, v);
    jw_string(w, f->scratch, (size_t)n);
}

static void write_integer(es_flattener *f, jsonw *w, value_kind kind, fvalue_t *fv, enum ftenum t)
{
    switch (t) {
    case FT_BOOLEAN: {
        bool b = es_fv_uint64(fv) != 0;
        if (kind == KIND_NATIVE)
            jw_bool(w, b);
        else
            jw_string(w, b ? "true" : "false", b ? 4 : 5);
        return;
    }
    case FT_UINT40:
    case FT_UINT48:
    case FT_UINT56:
    case FT_UINT64:
        write_u64(f, w, kind, es_fv_uint64(fv));
        return;
    case FT_INT8:
    case FT_INT16:
    case FT_INT24:
    case FT_INT32:
        write_i64(f, w, kind, fvalue_get_sinteger(fv));
        return;
    case FT_INT40:
    case FT_INT48:
    case FT_INT56:
    case FT_INT64:
        write_i64(f, w, kind, fvalue_get_sinteger64(fv));
        return;
    default: /* FT_CHAR, FT_UINT8..32, FT_FRAMENUM, FT_IPXNET */
        write_u64(f, w, kind, es_fv_uint32(fv));
        return;
    }
}

static bool write_relative(es_flattener *f, jsonw *w, value_kind kind, const nstime_t *tm)
{
    bool neg = tm->secs < 0 || tm->nsecs < 0;
    uint64_t secs = neg ? (uint64_t)(-(int64_t)tm->secs) : (uint64_t)tm->secs;
    uint32_t ns = (uint32_t)(tm->nsecs < 0 ? -tm->nsecs : tm->nsecs);
    if (kind == KIND_NATIVE)
        jw_fixed9(w, neg, secs, ns);
    else
        jw_string(w, f->scratch, (size_t)g_snprintf(f->scratch, sizeof f->scratch, "%s%" G_GUINT64_FORMAT ".%09u", neg ? "-" : "", secs, ns));
    return true;
}

/* The stream kind of a stream-index field (tcp.stream), else -1. */
static int stream_kind(const es_flattener *f, int hf_id)
{
    for (int k = 0; k < ES_STREAM_KINDS; k++)
        if (hf_id == f->hf_stream[k])
            return k;
    return -1;
}

/* In a part of a split capture, the values that are the original's rather
 * than the part's: frame numbers (through the map), stream indices and the
 * frame's times; *written false for a frame number the map does not have. */
static bool split_value(es_flattener *f, jsonw *w, value_kind kind, const field_info *fi, bool *written)
{
    const header_field_info *hf = fi->hfinfo;
    es_frame_ref ref;
    if (hf->type == FT_FRAMENUM) {
        uint32_t n = es_fv_uint32(ES_FI_FV((field_info *)fi));
        *written = n == 0 || es_frame_map_get(f->map, n, &ref, NULL);
        if (*written)
            write_u64(f, w, kind, n ? ref.number : 0);
        return true;
    }
    int stream = hf->type == FT_UINT32 ? stream_kind(f, hf->id) : -1;
    if (stream >= 0) {
        uint32_t local = es_fv_uint32(ES_FI_FV((field_info *)fi));
        write_u64(f, w, kind, es_frame_map_stream(f->map, (es_stream_kind)stream, local, f->ref));
        *written = true;
        return true;
    }
    const nstime_t *tm = hf->id == f->hf_relative ? f->relative : hf->id == f->hf_delta ? f->delta :
                                                                                          NULL;
    if (hf->type != FT_RELATIVE_TIME || !tm)
        return false;
    *written = write_relative(f, w, kind, tm);
    return true;
}

/* Floats and times; false for a value with no JSON form (NaN, a year
 * RFC 3339 cannot write). */
static bool write_real(es_flattener *f, jsonw *w, value_kind kind, fvalue_t *fv, enum ftenum t)
{
    if (t == FT_ABSOLUTE_TIME) {
        size_t n = es_rfc3339(f->scratch, sizeof f->scratch, es_fv_time(fv));
        if (n)
            jw_string(w, f->scratch, n);
        return n != 0;
    }
    if (t == FT_RELATIVE_TIME)
        return write_relative(f, w, kind, es_fv_time(fv));
    double d = fvalue_get_floating(fv);
    if (!isfinite(d))
        return false;
    if (kind == KIND_NATIVE)
        jw_double(w, d);
    else
        jw_string(w, f->scratch, (size_t)g_snprintf(f->scratch, sizeof f->scratch, "%.17g", d));
    return true;
}

/* IPv4, IPv6, MAC and EUI-64 addresses as text. */
static bool write_address(es_flattener *f, jsonw *w, fvalue_t *fv, enum ftenum t)
{
    size_t n = 0;
    uint8_t b[8];
    const uint8_t *p;
    switch (t) {
    case FT_IPv4: {
        uint32_t a = es_fv_ipv4(fv);
        for (int shift = 24; shift >= 0; shift -= 8) {
            n += es_fmt_u64(f->scratch + n, (a >> shift) & 255);
            f->scratch[n++] = '.';
        }
        jw_string(w, f->scratch, n - 1);
        return true;
    }
    case FT_IPv6:
        if (!inet_ntop(AF_INET6, es_fv_ipv6(fv), f->scratch, sizeof f->scratch))
            return false;
        jw_string(w, f->scratch, strlen(f->scratch));
        return true;
    case FT_ETHER:
        p = es_fv_bytes(fv, &n);
        write_mac(w, p, MIN(n, 8));
        return true;
    default: { /* FT_EUI64 */
        uint64_t v = es_fv_uint64(fv);
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)(v >> (56 - 8 * i));
        write_mac(w, b, 8);
        return true;
    }
    }
}

/* GUID, OID, SYSTEM_ID, FCWWN, AX25, VINES, IEEE 11073 floats: Wireshark's
 * own text for them (the 11073 floats as numbers). */
static bool write_repr(jsonw *w, value_kind kind, fvalue_t *fv, const header_field_info *hf)
{
    char *s = fvalue_to_string_repr(NULL, fv, FTREPR_DISPLAY, hf->display);
    if (!s)
        return false;
    bool ok = true;
    if (hf->type == FT_IEEE_11073_SFLOAT || hf->type == FT_IEEE_11073_FLOAT) {
        char *end;
        double d = g_ascii_strtod(s, &end);
        ok = *end == '\0' && isfinite(d);
        if (ok && kind == KIND_NATIVE)
            jw_double(w, d);
        else if (ok)
            jw_string(w, s, strlen(s));
    } else {
        jw_string(w, s, strlen(s));
    }
    wmem_free(NULL, s);
    return ok;
}

/* write_value() for everything but integers and booleans: kept out of line
 * so the common case does not pay for its frame. */
static __attribute__((noinline)) bool write_other(es_flattener *f, jsonw *w, value_kind kind, field_info *fi)
{
    fvalue_t *fv = ES_FI_FV(fi);
    const header_field_info *hf = fi->hfinfo;
    size_t len;
    switch (hf->type) {
    case FT_FLOAT:
    case FT_DOUBLE:
    case FT_RELATIVE_TIME:
    case FT_ABSOLUTE_TIME:
        return write_real(f, w, kind, fv, hf->type);
    case FT_STRING:
    case FT_STRINGZ:
    case FT_UINT_STRING:
    case FT_STRINGZPAD:
    case FT_STRINGZTRUNC: {
        const char *s = es_fv_string(fv, &len);
        jw_string(w, s, len);
        return true;
    }
    case FT_IPv4:
    case FT_IPv6:
    case FT_ETHER:
    case FT_EUI64:
        return write_address(f, w, fv, hf->type);
    case FT_BYTES:
    case FT_UINT_BYTES: {
        const uint8_t *p = es_fv_bytes(fv, &len);
        jw_hex(w, p, MIN(len, f->max_bytes));
        return true;
    }
    default:
        return write_repr(w, kind, fv, hf);
    }
}

/* Writes the value of fi; false if it has none worth writing (non-finite
 * float, or a value whose text representation is unavailable). */
static inline bool write_value(es_flattener *f, jsonw *w, value_kind kind, field_info *fi)
{
    enum ftenum t = fi->hfinfo->type;
    bool written;
    if (G_UNLIKELY(f->map != NULL) && split_value(f, w, kind, fi, &written))
        return written;
    if (in_set(t, FT_INTEGER_SET | FT_BIT(FT_BOOLEAN)) || t == FT_FRAMENUM || t == FT_IPXNET) {
        write_integer(f, w, kind, ES_FI_FV(fi), t);
        return true;
    }
    return write_other(f, w, kind, fi);
}

/* A field that occurs once with a 32-bit unsigned or boolean value, the
 * commonest member, written with its key in one call (it cannot fail, so
 * no mark to roll back to); false for every other member. */
static inline bool write_scalar_member(es_flattener *f, jsonw *w, const key *k, field_info *fi)
{
    enum ftenum t = fi->hfinfo->type;
    if (k->kind != KIND_NATIVE || G_UNLIKELY(f->map != NULL))
        return false;
    if (t == FT_BOOLEAN)
        jw_member_bool(w, k->encoded, k->len, es_fv_uint64(ES_FI_FV(fi)) != 0);
    else if (in_set(t, FT_UINT32_SET))
        jw_member_uint(w, k->encoded, k->len, es_fv_uint32(ES_FI_FV(fi)));
    else
        return false;
    return true;
}

/* The name Wireshark shows for fi's value, or NULL (no strings for its
 * field, or none for this value). */
static const char *value_name(const field_info *fi)
{
    const header_field_info *hf = fi->hfinfo;
    if (!has_value_names(hf))
        return NULL;
    fvalue_t *fv = ES_FI_FV((field_info *)fi);
    uint64_t v = integer_bits(fv, hf->type);
    bool wide = hf->display & BASE_VAL64_STRING || is_64(hf->type);
    if (hf->display & BASE_RANGE_STRING)
        return wide ? try_rval64_to_str(v, hf->strings) : try_rval_to_str((guint32)v, hf->strings);
    if (hf->display & BASE_EXT_STRING)
        return hf->display & BASE_VAL64_STRING ? try_val64_to_str_ext(v, (val64_string_ext *)hf->strings) : try_val_to_str_ext((guint32)v, (value_string_ext *)hf->strings);
    if (hf->display & BASE_VAL64_STRING)
        return try_val64_to_str(v, hf->strings);
    return try_val_to_str((guint32)v, hf->strings);
}

/* FIELD.name for a field that occurs once: the member encoded for its
 * last value, or encoded now. */
static void write_one_name(es_flattener *f, jsonw *w, key *k, const field_info *fi)
{
    const header_field_info *hf = fi->hfinfo;
    uint64_t v = integer_bits(ES_FI_FV((field_info *)fi), hf->type);
    name_memo *m = &k->memo;
    if (m->hf != hf || m->strings != hf->strings || m->value != v) {
        const key *nk = &g_array_index(f->keys, key, k->name_key);
        const char *name = value_name(fi);
        g_free(m->member);
        m->member = NULL;
        if (name) {
            esbuf b;
            jsonw mw;
            esbuf_init(&b, 64, 4096);
            jw_init(&mw, &b);
            jw_begin_object(&mw);
            jw_key_encoded(&mw, nk->encoded, nk->len);
            jw_string(&mw, name, strlen(name));
            jw_end_object(&mw);
            m->member = jw_members_of(&mw, &m->len);
            esbuf_free(&b);
        }
        m->hf = hf;
        m->strings = hf->strings;
        m->value = v;
    }
    if (m->member)
        jw_members_encoded(w, m->member, m->len);
}

/* The field of entry i. */
static inline field_info *entry_fi(const es_flattener *f, int32_t i)
{
    return f->nodes[f->entries[i].node];
}

/* FIELD.name beside a field shown by name: one name, or the names of its
 * values that have one, in the same order. */
static void write_names(es_flattener *f, jsonw *w, key *k, int32_t first)
{
    if (f->entries[first].next < 0) {
        write_one_name(f, w, k, entry_fi(f, first));
        return;
    }
    const key *nk = &g_array_index(f->keys, key, k->name_key);
    jw_mark before;
    jw_save(w, &before);
    jw_key_encoded(w, nk->encoded, nk->len);
    jw_begin_array(w);
    unsigned written = 0;
    for (int32_t j = first; j >= 0; j = f->entries[j].next) {
        const char *name = value_name(entry_fi(f, j));
        if (name) {
            jw_string(w, name, strlen(name));
            written++;
        }
    }
    jw_end_array(w);
    if (!written)
        jw_rollback(w, &before);
}

void es_flatten_split(es_flattener *f, es_frame_map *map, const es_frame_ref *ref, const nstime_t *relative,
                      const nstime_t *delta)
{
    if (map && !f->map) {
        f->hf_relative = proto_registrar_get_id_byname("frame.time_relative");
        f->hf_delta = proto_registrar_get_id_byname("frame.time_delta");
        f->hf_stream[ES_STREAM_TCP] = proto_registrar_get_id_byname("tcp.stream");
        f->hf_stream[ES_STREAM_UDP] = proto_registrar_get_id_byname("udp.stream");
    }
    f->map = map;
    f->ref = ref;
    f->relative = relative;
    f->delta = delta;
}

void es_flatten(es_flattener *f, proto_node *tree, jsonw *w)
{
    f->n_entries = 0;
    if (tree) {
        uint64_t hash = collect(f, tree);
        if (!replay(f, hash))
            walk_frame(f, hash);
    }
    for (size_t i = 0; i < f->n_entries; i++) {
        const es_shape_entry *e = &f->entries[i];
        if (!e->first)
            continue;
        key *k = &g_array_index(f->keys, key, e->key);
        field_info *fi = f->nodes[e->node];
        if (e->next < 0 && write_scalar_member(f, w, k, fi))
            goto names;
        jw_mark before;
        jw_save(w, &before);
        jw_key_encoded(w, k->encoded, k->len);
        if (e->next < 0) {
            if (!write_value(f, w, k->kind, fi))
                jw_rollback(w, &before);
        } else {
            jw_begin_array(w);
            unsigned written = 0;
            for (int32_t j = (int32_t)i; j >= 0; j = f->entries[j].next)
                written += write_value(f, w, k->kind, entry_fi(f, j));
            jw_end_array(w);
            if (!written)
                jw_rollback(w, &before);
        }
    names:
        if (k->name_key >= 0)
            write_names(f, w, k, (int32_t)i);
    }
}

void es_flatten_shape_counts(const es_flattener *f, uint64_t *remembered, uint64_t *walked)
{
    *remembered = f->remembered;
    *walked = f->walked;
}
