/* dfvalue.c — one display-filter test written as a query clause.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dfvalue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfregex.h"
#include "timerange.h"

/* Byte arrays are indexed up to 1024 hex digits (the exporter's mapping). */
#define MAX_INDEXED_BYTES 512
#define EXACT_DOUBLE (1ULL << 53)

typedef enum { V_INT,
               V_DOUBLE,
               V_BOOL,
               V_STRING } vkind;

typedef struct value {
    vkind kind;
    bool negative;
    uint64_t magnitude;
    double d;
    bool b;
    char *s;
    bool cidr;
    const char *field; /* where to compare: t->field or its .exact */
    char *owned_field;
} value;

static void value_clear(value *v)
{
    g_free(v->s);
    g_free(v->owned_field);
}

void df_test_add_item(df_test *t, df_literal low, df_literal high)
{
    if (!t->items)
        t->items = g_array_new(FALSE, FALSE, sizeof(df_literal));
    g_array_append_val(t->items, low);
    g_array_append_val(t->items, high);
}

void df_test_clear(df_test *t)
{
    if (t->items)
        g_array_free(t->items, TRUE);
    t->items = NULL;
}

bool df_unescape(const char *src, size_t *i, GString *out)
{
    static const char from[] = "\\\"'abfnrtv", to[] = "\\\"'\a\b\f\n\r\t\v";
    const char *e = src + *i + 1;
    const char *hit = *e ? strchr(from, *e) : NULL;
    if (hit) {
        g_string_append_c(out, to[hit - from]);
        *i += 2;
        return true;
    }
    int n = 0, v = 0;
    if (*e == 'x') {
        for (e++; n < 2 && g_ascii_isxdigit(e[n]); n++)
            v = v * 16 + g_ascii_xdigit_value(e[n]);
        *i += 2 + (size_t)n;
    } else {
        for (; n < 3 && e[n] >= '0' && e[n] <= '7'; n++)
            v = v * 8 + (e[n] - '0');
        *i += 1 + (size_t)n;
    }
    if (n == 0 || v > 255)
        return false;
    g_string_append_c(out, (char)v);
    return true;
}

/* ---- literals ---- */

/* Wireshark's integer forms: decimal, 0x hex, 0 octal, 0b binary, '-'. */
static bool parse_integer(const char *s, bool *negative, uint64_t *mag)
{
    *negative = *s == '-';
    if (*negative)
        s++;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s += 2;
    else if (s[0] == '0' && s[1])
        base = 8, s += 1;
    if (!*s || !g_ascii_isxdigit(*s))
        return false;
    char *end;
    errno = 0;
    *mag = g_ascii_strtoull(s, &end, base);
    return !*end && errno == 0 && !(*negative && *mag > (uint64_t)INT64_MAX + 1);
}

/* Hex digits of a byte string: "00:1f:5b", "00-1F-5B", "001f.5bff", "001f5b"
 * (one separator kind, even digit groups).  NULL if it is not one. */
static char *parse_bytes(const char *s)
{
    GString *hex = g_string_new(NULL);
    char sep = 0;
    size_t group = 0;
    bool ok = false;
    for (const char *p = s;; p++) {
        if (g_ascii_isxdigit(*p)) {
            g_string_append_c(hex, g_ascii_tolower(*p));
            group++;
            continue;
        }
        if (group == 0 || group % 2)
            break;
        if (!*p) {
            ok = true;
            break;
        }
        if ((*p != ':' && *p != '-' && *p != '.') || (sep && sep != *p))
            break;
        sep = *p;
        group = 0;
    }
    if (!ok) {
        g_string_free(hex, TRUE);
        return NULL;
    }
    return g_string_free(hex, FALSE);
}

/* "00:1f:5b:ff:51:cb": how the exporter writes MAC and EUI-64 addresses. */
static char *colon_hex(const char *hex)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; hex[i]; i += 2)
        g_string_append_printf(s, "%s%.2s", i ? ":" : "", hex + i);
    return g_string_free(s, FALSE);
}

/* An address with an optional prefix length, host bits cleared. */
static char *parse_ip(const char *s, bool *cidr)
{
    const char *slash = strchr(s, '/');
    char *addr = g_strndup(s, slash ? (gsize)(slash - s) : strlen(s));
    guint8 bytes[16];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int bits = family == AF_INET6 ? 128 : 32;
    char *out = NULL;
    char *end = NULL;
    long prefix = slash ? strtol(slash + 1, &end, 10) : bits;
    if (inet_pton(family, addr, bytes) == 1 && (!slash || (*end == '\0' && slash[1] && prefix >= 0 && prefix <= bits))) {
        for (int i = (int)prefix; i < bits; i++)
            bytes[i / 8] &= (guint8) ~(0x80u >> (i % 8));
        char text[INET6_ADDRSTRLEN];
        inet_ntop(family, bytes, text, sizeof text);
        *cidr = slash != NULL;
        out = slash ? g_strdup_printf("%s/%ld", text, prefix) : g_strdup(text);
    }
    g_free(addr);
    return out;
}

/* "Nov 25, 2013 14:55:58.382163000" (Wireshark's own form) or the forms of
 * esd_time_parse(); local time unless a zone is given. */
static bool parse_time(const char *s, int64_t *ns)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4] = {0};
    int day, year, used = 0;
    char *err = NULL;
    if (sscanf(s, "%3s %d, %d %n", mon, &day, &year, &used) == 3 && used) {
        const char *m = strstr(months, mon);
        if (!m || (m - months) % 3)
            return false;
        char *iso = g_strdup_printf("%04d-%02d-%02d %s", year, (int)((m - months) / 3 + 1), day, s + used);
        bool ok = esd_time_parse(iso, 0, ns, &err);
        g_free(iso);
        g_free(err);
        return ok;
    }
    bool ok = !g_ascii_isalpha(*s) && esd_time_parse(s, 0, ns, &err);
    g_free(err);
    return ok;
}

/* ---- typing a literal by the field's mapping ---- */

static bool to_integer(const df_test *t, df_literal l, value *v, char **why)
{
    if (l.quoted || !parse_integer(l.text, &v->negative, &v->magnitude)) {
        *why = g_strdup_printf("'%s' is not an integer (%s holds numbers; value names are not in the index)",
                               l.text, t->name);
        return false;
    }
    v->kind = V_INT;
    return true;
}

static bool to_double(const df_test *t, df_literal l, value *v, char **why)
{
    char *end;
    v->d = g_ascii_strtod(l.text, &end);
    if (l.quoted || end == l.text || *end) {
        *why = g_strdup_printf("'%s' is not a number", l.text);
        return false;
    }
    v->kind = V_DOUBLE;
    return true;
}

/* 64-bit unsigned stored as double: equality on the exact digits of
 * NAME.exact, order only below 2^53 where the double is exact. */
static bool to_ulong(const df_test *t, df_literal l, bool ordered, value *v, char **why)
{
    if (!to_integer(t, l, v, why))
        return false;
    if (!ordered) {
        v->kind = V_STRING;
        v->s = g_strdup_printf("%s%" G_GUINT64_FORMAT, v->negative ? "-" : "", v->magnitude);
        v->field = v->owned_field = g_strconcat(t->field, ".exact", NULL);
        return true;
    }
    if (v->magnitude >= EXACT_DOUBLE) {
        *why = g_strdup_printf("%s is stored as a double: order comparisons are exact only below 2^53", t->name);
        return false;
    }
    return true;
}

static bool to_boolean(const df_test *t, df_literal l, bool ordered, value *v, char **why)
{
    v->kind = V_BOOL;
    if (!ordered && !l.quoted && (g_ascii_strcasecmp(l.text, "true") == 0 || g_ascii_strcasecmp(l.text, "false") == 0)) {
        v->b = g_ascii_strcasecmp(l.text, "true") == 0;
        return true;
    }
    if (!ordered && !l.quoted && parse_integer(l.text, &v->negative, &v->magnitude)) {
        v->b = v->magnitude != 0;
        return true;
    }
    if (ordered)
        *why = g_strdup_printf("%s is a boolean: compare it with == or !=", t->name);
    else
        *why = g_strdup_printf("'%s' is not a boolean (1, 0, True, False)", l.text);
    return false;
}

static bool to_ip(const df_test *t, df_literal l, bool ordered, value *v, char **why)
{
    v->kind = V_STRING;
    v->s = parse_ip(l.text, &v->cidr);
    if (!v->s) {
        *why = g_strdup_printf("'%s' is not an address or address block (host names are not resolved)", l.text);
        return false;
    }
    if (ordered && v->cidr) {
        *why = g_strdup_printf("'%s': an address block only goes with == or in", l.text);
        return false;
    }
    return true;
}

/* A bare word shaped like a MAC or EUI-64 address means that address in a
 * MAC field but the word itself in a string field; both are keywords in
 * the index, so it is taken only when the two readings are the same text. */
static bool to_keyword(const df_test *t, df_literal l, value *v, char **why)
{
    v->kind = V_STRING;
    v->s = g_strdup(l.text);
    char *hex = l.quoted ? NULL : parse_bytes(l.text);
    if (hex && (strlen(hex) == 12 || strlen(hex) == 16)) {
        char *canon = colon_hex(hex);
        bool same = strcmp(canon, l.text) == 0;
        if (!same)
            *why = g_strdup_printf("'%s' is ambiguous for %s (an address, or that text?): write the address as %s "
                                   "or the text in quotes",
                                   l.text, t->name, canon);
        g_free(canon);
        g_free(hex);
        return same;
    }
    g_free(hex);
    return true;
}

static bool to_bytes(const df_test *t, df_literal l, bool ordered, value *v, char **why)
{
    v->kind = V_STRING;
    if (l.quoted) {
        GString *hex = g_string_new(NULL);
        for (const char *p = l.text; *p; p++)
            g_string_append_printf(hex, "%02x", (guint8)*p);
        v->s = g_string_free(hex, FALSE);
    } else {
        v->s = parse_bytes(l.text);
    }
    if (!v->s)
        *why = g_strdup_printf("'%s' is not a byte string (00:1f:5b or \"text\")", l.text);
    else if (ordered)
        *why = g_strdup_printf("%s is a byte array: compare it with == or !=", t->name);
    else if (strlen(v->s) > 2 * MAX_INDEXED_BYTES)
        *why = g_strdup_printf("byte strings longer than %d bytes are not indexed", MAX_INDEXED_BYTES);
    return *why == NULL;
}

static bool to_date(const df_test *t, df_literal l, value *v, char **why)
{
    int64_t ns;
    if (!parse_time(l.text, &ns)) {
        *why = g_strdup_printf("'%s' is not a time (\"Nov 25, 2013 14:55:58.38\", \"2013-11-25 14:55:58\", "
                               "RFC 3339)",
                               l.text);
        return false;
    }
    v->kind = V_STRING;
    v->s = esd_time_format(ns);
    return true;
}

static bool is_other_field(const df_test *t, df_literal l, bool underscore, df_lookup lookup, void *ud)
{
    if (l.quoted || !(g_ascii_isalpha(l.text[0]) || l.text[0] == '_') || g_ascii_strcasecmp(l.text, "true") == 0 ||
        g_ascii_strcasecmp(l.text, "false") == 0)
        return false;
    char *name = df_index_name(l.text, underscore);
    bool field = lookup(ud, name) != DF_ABSENT;
    g_free(name);
    return field;
}

static bool convert(const df_test *t, df_literal l, bool ordered, value *v, char **why)
{
    memset(v, 0, sizeof *v);
    v->field = t->field;
    switch (t->type) {
    case DF_LONG: return to_integer(t, l, v, why);
    case DF_DOUBLE: return to_double(t, l, v, why);
    case DF_ULONG_DOUBLE: return to_ulong(t, l, ordered, v, why);
    case DF_BOOLEAN: return to_boolean(t, l, ordered, v, why);
    case DF_IP: return to_ip(t, l, ordered, v, why);
    case DF_KEYWORD: return to_keyword(t, l, v, why);
    case DF_BYTES: return to_bytes(t, l, ordered, v, why);
    case DF_DATE: return to_date(t, l, v, why);
    default: break;
    }
    *why = g_strdup_printf("%s cannot be compared with a value here", t->name);
    return false;
}

/* ---- clauses ---- */

static void write_value(jsonw *w, const value *v)
{
    switch (v->kind) {
    case V_INT:
        if (v->negative)
            jw_int(w, v->magnitude > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v->magnitude);
        else
            jw_uint(w, v->magnitude);
        break;
    case V_DOUBLE: jw_double(w, v->d); break;
    case V_BOOL: jw_bool(w, v->b); break;
    case V_STRING: jw_string(w, v->s, strlen(v->s)); break;
    }
}

/* {"kind":{field:{"member":value}}} or, with no member, {"kind":{field:value}} */
static void write_leaf(jsonw *w, const char *kind, const char *field, const char *member, const value *v)
{
    jw_begin_object(w);
    jw_key(w, kind);
    jw_begin_object(w);
    jw_key(w, field);
    if (member) {
        jw_begin_object(w);
        jw_key(w, member);
    }
    write_value(w, v);
    if (member)
        jw_end_object(w);
    jw_end_object(w);
    jw_end_object(w);
}

static void write_exists(jsonw *w, const char *field)
{
    jw_begin_object(w);
    jw_key(w, "exists");
    jw_begin_object(w);
    jw_key(w, "field");
    jw_string(w, field, strlen(field));
    jw_end_object(w);
    jw_end_object(w);
}

static void write_match_none(jsonw *w)
{
    jw_begin_object(w);
    jw_key(w, "match_none");
    jw_begin_object(w);
    jw_end_object(w);
    jw_end_object(w);
}

/* Opens {"bool":{"<clause>":[ and closes it with minimum_should_match
 * for "should". */
static void begin_bool(jsonw *w, const char *clause)
{
    jw_begin_object(w);
    jw_key(w, "bool");
    jw_begin_object(w);
    jw_key(w, clause);
    jw_begin_array(w);
}

static void end_bool(jsonw *w, bool should)
{
    jw_end_array(w);
    if (should) {
        jw_key(w, "minimum_should_match");
        jw_uint(w, 1);
    }
    jw_end_object(w);
    jw_end_object(w);
}

static const char *range_member(df_op op)
{
    switch (op) {
    case DF_OP_LT: return "lt";
    case DF_OP_GT: return "gt";
    case DF_OP_LE: return "lte";
    default: return "gte";
    }
}

/* Wireshark's != means: the field is there and none of its values is v. */
static void write_compare(jsonw *w, const df_test *t, df_op op, const value *v)
{
    if (op == DF_OP_EQ) {
        write_leaf(w, "term", v->field, NULL, v);
    } else if (op == DF_OP_NE) {
        begin_bool(w, "filter");
        write_exists(w, t->field);
        jw_end_array(w);
        jw_key(w, "must_not");
        jw_begin_array(w);
        write_leaf(w, "term", v->field, NULL, v);
        end_bool(w, false);
    } else {
        write_leaf(w, "range", v->field, range_member(op), v);
    }
}

static void write_between(jsonw *w, const char *field, const value *lo, const value *hi)
{
    jw_begin_object(w);
    jw_key(w, "range");
    jw_begin_object(w);
    jw_key(w, field);
    jw_begin_object(w);
    jw_key(w, "gte");
    write_value(w, lo);
    jw_key(w, "lte");
    write_value(w, hi);
    jw_end_object(w);
    jw_end_object(w);
    jw_end_object(w);
}

/* in {a, b, lo..hi}: any value of the field equals an item or lies in a
 * range. */
static bool write_in(jsonw *w, const df_test *t, char **why)
{
    begin_bool(w, "should");
    for (guint i = 0; i < t->items->len; i += 2) {
        df_literal lo = g_array_index(t->items, df_literal, i), hi = g_array_index(t->items, df_literal, i + 1);
        value a, b = {0};
        bool ok = convert(t, lo, hi.text != NULL, &a, why) && (!hi.text || convert(t, hi, true, &b, why));
        if (ok && hi.text)
            write_between(w, a.field, &a, &b);
        else if (ok)
            write_leaf(w, "term", a.field, NULL, &a);
        value_clear(&a);
        value_clear(&b);
        if (!ok)
            return false;
    }
    end_bool(w, true);
    return true;
}

static void escape_wildcard(GString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '*' || *s == '?' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
}

static bool write_contains(jsonw *w, const df_test *t, char **why)
{
    value v;
    if (t->type != DF_KEYWORD) {
        *why = g_strdup_printf("%s: contains is searched on string fields only (the index cuts byte arrays)", t->name);
        return false;
    }
    char *hex = t->value.quoted ? NULL : parse_bytes(t->value.text);
    g_free(hex);
    if (hex) {
        *why = g_strdup_printf("'%s' is ambiguous for contains (bytes, or that text?): quote the text", t->value.text);
        return false;
    }
    GString *pattern = g_string_new("*");
    escape_wildcard(pattern, t->value.text);
    g_string_append_c(pattern, '*');
    v = (value){.kind = V_STRING, .s = g_string_free(pattern, FALSE)};
    write_leaf(w, "wildcard", t->field, "value", &v);
    value_clear(&v);
    return true;
}

static bool write_matches(jsonw *w, const df_test *t, char **why)
{
    if (t->type != DF_KEYWORD) {
        *why = g_strdup_printf("%s: matches is searched on string fields only", t->name);
        return false;
    }
    bool caseless = true; /* Wireshark's matches ignores case unless (?-i) */
    char *re = df_regex_to_lucene(t->value.text, &caseless, why);
    if (!re)
        return false;
    jw_begin_object(w);
    jw_key(w, "regexp");
    jw_begin_object(w);
    jw_key(w, t->field);
    jw_begin_object(w);
    jw_key(w, "value");
    jw_string(w, re, strlen(re));
    jw_key(w, "flags");
    jw_string(w, "NONE", 4);
    jw_key(w, "case_insensitive");
    jw_bool(w, caseless);
    jw_end_object(w);
    jw_end_object(w);
    jw_end_object(w);
    g_free(re);
    return true;
}

/* A bare protocol name: it is in frame.protocols ("eth:ethertype:ip:tcp"). */
static bool write_protocol(jsonw *w, const df_test *t, bool underscore, df_lookup lookup, void *ud, char **why)
{
    char *fp = df_index_name("frame.protocols", underscore);
    bool ok = !strchr(t->name, '.') && lookup(ud, fp) == DF_KEYWORD;
    if (!ok) {
        *why = g_strdup_printf("%s has no value of its own in the index%s", t->name,
                               strchr(t->name, '.') ? ": test one of its fields" : " and frame.protocols is not indexed");
    } else {
        GString *re = g_string_new("(.*:)?");
        df_regex_append_literal(re, t->name);
        g_string_append(re, "(:.*)?");
        value v = {.kind = V_STRING, .s = g_string_free(re, FALSE)};
        write_leaf(w, "regexp", fp, "value", &v);
        value_clear(&v);
    }
    g_free(fp);
    return ok;
}

static bool refuse_type(const df_test *t, char **why)
{
    if (t->type == DF_CONFLICT)
        *why = g_strdup_printf("%s is mapped with different types in the indices searched", t->name);
    else if (t->type == DF_OTHER)
        *why = g_strdup_printf("%s is not mapped as a comparable type", t->name);
    else if (t->type == DF_PROTOCOL && t->op != DF_OP_EXISTS)
        *why = g_strdup_printf("%s is a protocol or a label without a value", t->name);
    return *why != NULL;
}

bool df_write_test(jsonw *w, const df_test *t, bool underscore, df_lookup lookup, void *ud, char **why)
{
    value v;
    *why = NULL;
    if (t->op != DF_OP_EXISTS && t->op != DF_OP_IN && is_other_field(t, t->value, underscore, lookup, ud)) {
        *why = g_strdup_printf("comparing %s with the field %s cannot be searched (only with values)", t->name,
                               t->value.text);
        return false;
    }
    if (t->type == DF_ABSENT) {
        write_match_none(w); /* no document has the field: nothing matches, as in Wireshark */
        return true;
    }
    if (refuse_type(t, why))
        return false;
    switch (t->op) {
    case DF_OP_EXISTS:
        if (t->type == DF_PROTOCOL)
            return write_protocol(w, t, underscore, lookup, ud, why);
        write_exists(w, t->field);
        return true;
    case DF_OP_IN: return write_in(w, t, why);
    case DF_OP_CONTAINS: return write_contains(w, t, why);
    case DF_OP_MATCHES: return write_matches(w, t, why);
    default: break;
    }
    bool ordered = t->op != DF_OP_EQ && t->op != DF_OP_NE;
    bool ok = convert(t, t->value, ordered, &v, why);
    if (ok)
        write_compare(w, t, t->op, &v);
    value_clear(&v);
    return ok;
}
