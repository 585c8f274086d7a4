/* dfregex.c — PCRE expressions of `matches` as Lucene expressions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dfregex.h"

#include <string.h>

#define LUCENE_SPECIAL ".?+*|{}[]()\"\\#@&<>~^$"
#define SPACE_CHARS " \t\n\r\f\v"

typedef struct rx {
    const char *src;
    size_t i;
    GString *out;
    char *why;
    bool end_anchor; /* ended with $ */
    bool caseless;
} rx;

static void lit(GString *o, char c)
{
    if (strchr(LUCENE_SPECIAL, c))
        g_string_append_c(o, '\\');
    g_string_append_c(o, c);
}

void df_regex_append_literal(GString *out, const char *s)
{
    for (; *s; s++)
        lit(out, *s);
}

static bool refuse(rx *r, const char *what)
{
    if (!r->why)
        r->why = g_strdup_printf("the regular expression's %s (at offset %zu) has no exact Lucene equivalent",
                                 what, r->i);
    return false;
}

/* \xhh, \x{h..}, \0oo and the control escapes: the character (< 256), or
 * -1 when the escape is not one of them. */
static int char_escape(rx *r)
{
    const char *e = r->src + r->i + 1;
    static const char from[] = "ntrfvae", to[] = "\n\t\r\f\v\a\033";
    const char *hit = *e ? strchr(from, *e) : NULL;
    if (hit) {
        r->i += 2;
        return to[hit - from];
    }
    int v = 0, n = 0;
    if (*e == 'x') {
        bool braces = e[1] == '{';
        const char *d = e + 1 + braces;
        for (; n < (braces ? 2 : 2) && g_ascii_isxdigit(d[n]); n++)
            v = v * 16 + g_ascii_xdigit_value(d[n]);
        if (braces && d[n] != '}')
            return -1;
        r->i += 2 + (size_t)braces * 2 + (size_t)n;
        return v;
    }
    if (*e == '0') {
        for (n = 1; n < 3 && e[n] >= '0' && e[n] <= '7'; n++)
            v = v * 8 + (e[n] - '0');
        r->i += 1 + (size_t)n;
        return v;
    }
    return -1;
}

/* Class shorthands: the members of \d \w \s, NULL for others. */
static const char *shorthand(char c)
{
    switch (g_ascii_tolower(c)) {
    case 'd': return "0-9";
    case 'w': return "0-9A-Za-z_";
    case 's': return SPACE_CHARS;
    default: return NULL;
    }
}

static void class_members(GString *o, const char *members)
{
    for (; *members; members++) {
        if (*members == '-') /* the shorthands use '-' for ranges only */
            g_string_append_c(o, '-');
        else if (!g_ascii_isalnum(*members) && *members != '_')
            g_string_append_printf(o, "\\%c", *members);
        else
            g_string_append_c(o, *members);
    }
}

static bool escape_outside(rx *r)
{
    char c = r->src[r->i + 1];
    const char *members = shorthand(c);
    if (members) {
        g_string_append_printf(r->out, "[%s", g_ascii_isupper(c) ? "^" : "");
        class_members(r->out, members);
        g_string_append_c(r->out, ']');
        r->i += 2;
        return true;
    }
    if (!g_ascii_isalnum(c) && c) {
        lit(r->out, c);
        r->i += 2;
        return true;
    }
    int v = char_escape(r);
    if (v < 0)
        return refuse(r, "escape \\ with a letter or digit (\\b, \\1, \\p, ...)");
    lit(r->out, (char)v);
    return true;
}

/* One member of a class at r->i: a character (*c) or a shorthand, whose
 * members are written out at once (*c = -1). */
static bool class_char(rx *r, int *c)
{
    const char *s = r->src;
    if (s[r->i] == '[' && s[r->i + 1] == ':')
        return refuse(r, "POSIX class [:name:]");
    if (s[r->i] != '\\') {
        *c = (guint8)s[r->i++];
        return true;
    }
    char e = s[r->i + 1];
    const char *members = shorthand(e);
    if (members && g_ascii_isupper(e))
        return refuse(r, "negated shorthand inside a class");
    if (members) {
        class_members(r->out, members);
        r->i += 2;
        *c = -1;
    } else if (e && !g_ascii_isalnum(e)) {
        *c = (guint8)e;
        r->i += 2;
    } else if ((*c = char_escape(r)) < 0) {
        return refuse(r, "escape inside a class");
    }
    return true;
}

static void class_literal(GString *o, int c)
{
    if (!g_ascii_isalnum(c) && c < 0x80)
        g_string_append_c(o, '\\');
    g_string_append_c(o, (char)c);
}

/* Lucene's case_insensitive folds single characters, not ranges: the
 * other case of the letters of lo-hi is added to the class. */
static void other_case(GString *o, int lo, int hi)
{
    static const int bases[] = {'a', 'A'};
    for (int k = 0; k < 2; k++) {
        int a = MAX(lo, bases[k]), b = MIN(hi, bases[k] + 25);
        if (a <= b)
            g_string_append_printf(o, "%c-%c", a ^ 0x20, b ^ 0x20);
    }
}

/* [...] with ranges, escapes and \d \w \s inside. */
static bool char_class(rx *r)
{
    const char *s = r->src;
    GString *folded = g_string_new(NULL);
    g_string_append_c(r->out, '[');
    r->i++;
    if (s[r->i] == '^')
        g_string_append_c(r->out, '^'), r->i++;
    bool first = true, ok = true;
    while (ok && s[r->i] && (s[r->i] != ']' || first)) {
        int lo, hi;
        first = false;
        if (!(ok = class_char(r, &lo)) || lo < 0)
            continue;
        hi = lo;
        if (s[r->i] == '-' && s[r->i + 1] && s[r->i + 1] != ']') {
            r->i++;
            ok = class_char(r, &hi) && (hi >= lo || refuse(r, "range in a class"));
        }
        if (ok && (lo >= 0x80 || hi >= 0x80) && hi != lo)
            ok = refuse(r, "range of non-ASCII characters");
        class_literal(r->out, lo);
        if (hi != lo) {
            g_string_append_c(r->out, '-');
            class_literal(r->out, hi);
        }
        if (r->caseless)
            other_case(folded, lo, hi);
    }
    if (ok && s[r->i] != ']')
        ok = refuse(r, "unclosed class");
    g_string_append_printf(r->out, "%s]", folded->str);
    g_string_free(folded, TRUE);
    if (ok)
        r->i++;
    return ok;
}

/* "(" and its PCRE forms: (?: and named groups become plain groups. */
static bool group_open(rx *r)
{
    const char *s = r->src + r->i;
    size_t skip = 1;
    if (s[1] == '?') {
        if (s[2] == ':')
            skip = 3;
        else if ((s[2] == 'P' && s[3] == '<') || (s[2] == '<' && g_ascii_isalpha(s[3])) || s[2] == '\'') {
            const char *end = strpbrk(s + 3, ">'");
            if (!end)
                return refuse(r, "group name");
            skip = (size_t)(end - s) + 1;
        } else {
            return refuse(r, "(? group (look-around, flags inside, ...)");
        }
    }
    g_string_append_c(r->out, '(');
    r->i += skip;
    return true;
}

/* {n}, {n,}, {n,m}: length of a quantifier at s, 0 if it is a literal '{'. */
static size_t brace_quantifier(const char *s)
{
    size_t n = 1;
    size_t digits = strspn(s + n, "0123456789");
    if (!digits)
        return 0;
    n += digits;
    if (s[n] == ',')
        n += 1 + strspn(s + n + 1, "0123456789");
    return s[n] == '}' ? n + 1 : 0;
}

/* After a quantifier: a lazy '?' is dropped, a possessive '+' refused. */
static bool quantifier_suffix(rx *r)
{
    if (r->src[r->i] == '?')
        r->i++;
    else if (r->src[r->i] == '+')
        return refuse(r, "possessive quantifier");
    return true;
}

static bool atom(rx *r)
{
    const char *s = r->src;
    char c = s[r->i];
    size_t q;
    switch (c) {
    case '\\': return escape_outside(r);
    case '[': return char_class(r);
    case '(': return group_open(r);
    case ')':
    case '|':
        g_string_append_c(r->out, c);
        r->i++;
        return true;
    case '.':
        g_string_append(r->out, "[^\n]");
        r->i++;
        return true;
    case '*':
    case '+':
    case '?':
        g_string_append_c(r->out, c);
        r->i++;
        return quantifier_suffix(r);
    case '{':
        if ((q = brace_quantifier(s + r->i)) == 0)
            break;
        g_string_append_len(r->out, s + r->i, (gssize)q);
        r->i += q;
        return quantifier_suffix(r);
    case '^': return refuse(r, "^ not at the start");
    case '$':
        if (s[r->i + 1])
            return refuse(r, "$ not at the end");
        g_string_append(r->out, "\n?"); /* PCRE's $ also matches before a final newline */
        r->end_anchor = true;
        r->i++;
        return true;
    default: break;
    }
    lit(r->out, c);
    r->i++;
    return true;
}

char *df_regex_to_lucene(const char *pcre, bool *caseless, char **why)
{
    rx r = {.src = pcre, .out = g_string_new(NULL)};
    if (g_str_has_prefix(pcre, "(?i)") || g_str_has_prefix(pcre, "(?-i)")) {
        *caseless = pcre[2] == 'i';
        r.i = *caseless ? 4 : 5;
    }
    r.caseless = *caseless;
    /* The group keeps a top-level | inside the anchoring .* */
    bool anchored = pcre[r.i] == '^';
    if (anchored)
        r.i++;
    g_string_append(r.out, anchored ? "(" : ".*(");
    while (pcre[r.i] && atom(&r))
        ;
    g_string_append_c(r.out, ')');
    if (r.why) {
        *why = r.why;
        g_string_free(r.out, TRUE);
        return NULL;
    }
    if (!r.end_anchor)
        g_string_append(r.out, ".*");
    return g_string_free(r.out, FALSE);
}
