/* qstring.c — query strings with Wireshark's field names.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qstring.h"

#include <string.h>

#include <glib.h>

static bool field_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '@' || c == '*' || c == '-';
}

/* Copies a quoted phrase or a regular expression, escapes included. */
static const char *copy_delimited(GString *out, const char *p)
{
    char end = *p;
    g_string_append_c(out, *p++);
    while (*p && *p != end) {
        if (*p == '\\' && p[1])
            g_string_append_c(out, *p++);
        g_string_append_c(out, *p++);
    }
    if (*p)
        g_string_append_c(out, *p++);
    return p;
}

static bool is_cidr(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash || slash == s || slash + 1 == s + n)
        return false;
    for (const char *c = s; c < slash; c++)
        if (!g_ascii_isxdigit(*c) && *c != '.' && *c != ':')
            return false;
    for (const char *c = slash + 1; c < s + n; c++)
        if (!g_ascii_isdigit(*c))
            return false;
    return true;
}

/* The value after "field:": a bare term is checked for a CIDR block and,
 * on a boolean field, for 1/0. */
static const char *copy_value(GString *out, const char *p, df_type type)
{
    if (*p == '"' || *p == '/')
        return copy_delimited(out, p);
    size_t n = 0;
    while (p[n] && !g_ascii_isspace(p[n]) && p[n] != ')' && p[n] != '(' && !(p[n] == '\\' && p[n + 1]))
        n++;
    if (type == DF_BOOLEAN && n == 1 && (*p == '1' || *p == '0')) {
        g_string_append(out, *p == '1' ? "true" : "false");
    } else if (is_cidr(p, n)) {
        const char *slash = memchr(p, '/', n);
        g_string_append_len(out, p, slash - p);
        g_string_append(out, "\\/");
        g_string_append_len(out, slash + 1, (gssize)(n - (size_t)(slash + 1 - p)));
    } else {
        g_string_append_len(out, p, (gssize)n);
    }
    return p + n;
}

/* The field of _exists_:NAME, renamed. */
static const char *copy_field(GString *out, const char *p, bool underscore)
{
    size_t n = 0;
    while (field_char(p[n]))
        n++;
    char *name = g_strndup(p, n);
    char *renamed = df_index_name(name, underscore);
    g_string_append(out, renamed);
    g_free(renamed);
    g_free(name);
    return p + n;
}

char *qs_rewrite(const char *query, bool underscore, df_lookup lookup, void *ud)
{
    GString *out = g_string_new(NULL);
    const char *p = query;
    bool token_start = true;
    while (*p) {
        if (*p == '"' || (*p == '/' && token_start)) {
            p = copy_delimited(out, p);
            token_start = false;
            continue;
        }
        if (*p == '\\' && p[1]) {
            g_string_append_len(out, p, 2);
            p += 2;
            token_start = false;
            continue;
        }
        size_t n = 0;
        while (token_start && field_char(p[n]))
            n++;
        if (n && p[n] == ':') {
            char *name = g_strndup(p, n);
            char *field = df_index_name(name, underscore);
            g_string_append_printf(out, "%s:", field);
            p += n + 1;
            df_type t = lookup ? lookup(ud, field) : DF_ABSENT;
            p = strcmp(name, "_exists_") == 0 ? copy_field(out, p, underscore) : copy_value(out, p, t);
            g_free(field);
            g_free(name);
            token_start = false;
            continue;
        }
        token_start = g_ascii_isspace(*p) || *p == '(' || *p == '+' || *p == '-' || *p == '!';
        g_string_append_c(out, *p++);
    }
    return g_string_free(out, FALSE);
}
