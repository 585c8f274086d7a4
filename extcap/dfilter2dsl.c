/* dfilter2dsl.c — Wireshark display filters as Elasticsearch query DSL.
 *
 * A lexer, a recursive-descent parser building a small tree (precedence as
 * in Wireshark: ! above && above ||), and a writer that types each test by
 * the field's mapping.  The regular-expression part lives in dfregex.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "dfilter2dsl.h"

#include <string.h>

#include <glib.h>

#include "dfvalue.h"
#include "jsonw.h"

typedef enum {
    T_END,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_RANGE,
    T_AND,
    T_OR,
    T_NOT,
    T_EQ,
    T_NE,
    T_LT,
    T_GT,
    T_LE,
    T_GE,
    T_CONTAINS,
    T_MATCHES,
    T_IN,
    T_WORD,
    T_STRING,
    T_UNSUPPORTED,
} tkind;

typedef struct token {
    tkind kind;
    char *text; /* word or unescaped string */
    size_t pos; /* offset in the filter */
    size_t len; /* length of the source text */
} token;

typedef enum { N_AND,
               N_OR,
               N_NOT,
               N_TEST } nkind;

typedef struct node {
    nkind kind;
    struct node *a, *b;
    /* tests */
    const token *field;
    tkind op;           /* T_END: the field exists */
    const token *value; /* comparisons, contains, matches */
    GPtrArray *items;   /* in: pairs of tokens (low, high or NULL) */
} node;

typedef struct parser {
    const char *src;
    GPtrArray *tokens;
    guint next;
    GPtrArray *nodes; /* every node, freed at the end */
    char *error;
    bool unsupported; /* failed on display-filter syntax esdump cannot search */
} parser;

/* ---- lexer ---- */

static const struct {
    const char *text;
    tkind kind;
} symbols[] = {
    {"===", T_UNSUPPORTED},
    {"!==", T_UNSUPPORTED},
    {"==", T_EQ},
    {"!=", T_NE},
    {"~=", T_UNSUPPORTED},
    {"<=", T_LE},
    {">=", T_GE},
    {"&&", T_AND},
    {"||", T_OR},
    {"^^", T_UNSUPPORTED},
    {"..", T_RANGE},
    {"<", T_LT},
    {">", T_GT},
    {"!", T_NOT},
    {"(", T_LPAREN},
    {")", T_RPAREN},
    {"{", T_LBRACE},
    {"}", T_RBRACE},
    {",", T_COMMA},
    {"&", T_UNSUPPORTED},
    {"[", T_UNSUPPORTED},
    {"$", T_UNSUPPORTED},
    {"@", T_UNSUPPORTED},
    {"+", T_UNSUPPORTED},
    {"*", T_UNSUPPORTED},
    {"/", T_UNSUPPORTED},
    {"%", T_UNSUPPORTED},
    {"|", T_UNSUPPORTED},
    {"]", T_UNSUPPORTED},
    {"~", T_UNSUPPORTED},
};

static const struct {
    const char *word;
    tkind kind;
} keywords[] = {
    {"and", T_AND},
    {"or", T_OR},
    {"not", T_NOT},
    {"eq", T_EQ},
    {"ne", T_NE},
    {"lt", T_LT},
    {"gt", T_GT},
    {"le", T_LE},
    {"ge", T_GE},
    {"contains", T_CONTAINS},
    {"matches", T_MATCHES},
    {"in", T_IN},
    {"xor", T_UNSUPPORTED},
    {"any", T_UNSUPPORTED},
    {"all", T_UNSUPPORTED},
};

static bool word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
}

static void add_token(parser *p, tkind kind, char *text, size_t pos, size_t len)
{
    token *t = g_new0(token, 1);
    *t = (token){kind, text, pos, len};
    g_ptr_array_add(p->tokens, t);
}

static bool fail(parser *p, size_t pos, size_t len, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail(parser *p, size_t pos, size_t len, const char *fmt, ...)
{
    if (p->error)
        return false;
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (len)
        p->error = g_strdup_printf("at '%.*s' (column %zu): %s", (int)len, p->src + pos, pos + 1, why);
    else
        p->error = g_strdup_printf("at the end: %s", why);
    g_free(why);
    return false;
}

/* A quoted string ("..." with C escapes, or r"..." raw) at *i. */
static bool lex_string(parser *p, size_t *i, bool raw)
{
    size_t start = *i;
    size_t j = *i + (raw ? 2 : 1);
    GString *s = g_string_new(NULL);
    while (p->src[j] && p->src[j] != '"') {
        if (p->src[j] == '\\' && p->src[j + 1]) {
            if (raw) {
                g_string_append_len(s, p->src + j, 2);
                j += 2;
                continue;
            }
            if (!df_unescape(p->src, &j, s)) {
                g_string_free(s, TRUE);
                return fail(p, j, 2, "unknown escape sequence");
            }
            continue;
        }
        g_string_append_c(s, p->src[j++]);
    }
    if (p->src[j] != '"') {
        g_string_free(s, TRUE);
        return fail(p, start, j - start, "the string is not closed");
    }
    *i = j + 1;
    add_token(p, T_STRING, g_string_free(s, FALSE), start, *i - start);
    return true;
}

/* A word; "80..90" is split into its bounds and the range. */
static void lex_word(parser *p, size_t *i)
{
    size_t start = *i, j = *i;
    while (word_char(p->src[j]))
        j++;
    const char *dots = g_strstr_len(p->src + start, (gssize)(j - start), "..");
    if (dots && dots > p->src + start && dots + 2 < p->src + j)
        j = (size_t)(dots - p->src);
    *i = j;
    char *w = g_strndup(p->src + start, j - start);
    tkind kind = T_WORD;
    for (size_t k = 0; k < G_N_ELEMENTS(keywords); k++)
        if (g_ascii_strcasecmp(w, keywords[k].word) == 0)
            kind = keywords[k].kind;
    add_token(p, kind, w, start, j - start);
}

/* Tokens lexed so far stay in p->tokens when lexing fails. */
static bool lex(parser *p)
{
    size_t i = 0;
    while (p->src[i]) {
        char c = p->src[i];
        if (g_ascii_isspace(c)) {
            i++;
        } else if (c == '"' || (c == 'r' && p->src[i + 1] == '"')) {
            if (!lex_string(p, &i, c == 'r'))
                return false;
        } else if (word_char(c) && !(c == '.' && p->src[i + 1] == '.')) {
            lex_word(p, &i);
        } else {
            size_t k = 0;
            while (k < G_N_ELEMENTS(symbols) && strncmp(p->src + i, symbols[k].text, strlen(symbols[k].text)) != 0)
                k++;
            if (k == G_N_ELEMENTS(symbols))
                return fail(p, i, 1, "unexpected character");
            size_t n = strlen(symbols[k].text);
            add_token(p, symbols[k].kind, g_strndup(p->src + i, n), i, n);
            i += n;
        }
    }
    add_token(p, T_END, g_strdup(""), i, 0);
    return true;
}

/* ---- parser ---- */

static const token *peek(parser *p)
{
    return p->tokens->pdata[p->next];
}
static const token *take(parser *p)
{
    const token *t = peek(p);
    if (t->kind != T_END) p->next++;
    return t;
}

static bool unsupported(parser *p, const token *t)
{
    p->unsupported = true;
    static const struct {
        const char *text;
        const char *why;
    } why[] = {
        {"[", "slices (field[0:2]) cannot be searched: the index holds whole values"},
        {"&", "bitwise & has no Elasticsearch query; compare the flag fields instead (tcp.flags.syn == 1)"},
        {"$", "field references cannot be searched: Elasticsearch compares a field with values only"},
        {"===", "=== (all equal) cannot be searched exactly"},
        {"!==", "!== (any not equal) cannot be searched exactly"},
        {"~=", "~= (any not equal) cannot be searched exactly"},
        {"^^", "xor is not a Wireshark 4.0 operator; write (a && !b) || (!a && b)"},
        {"xor", "xor is not a Wireshark 4.0 operator; write (a && !b) || (!a && b)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(why); i++)
        if (strcmp(t->text, why[i].text) == 0)
            return fail(p, t->pos, t->len, "%s", why[i].why);
    return fail(p, t->pos, t->len, "not supported here (arithmetic, functions and quantifiers cannot be searched)");
}

static node *new_node(parser *p, nkind kind, node *a, node *b)
{
    node *n = g_new0(node, 1);
    n->kind = kind;
    n->a = a;
    n->b = b;
    g_ptr_array_add(p->nodes, n);
    return n;
}

static node *parse_or(parser *p);

static bool is_value(const token *t)
{
    return t->kind == T_WORD || t->kind == T_STRING;
}

static const token *expect_value(parser *p)
{
    const token *t = take(p);
    if (t->kind == T_UNSUPPORTED)
        return unsupported(p, t), NULL;
    if (!is_value(t))
        return fail(p, t->pos, t->len, "a value was expected"), NULL;
    if (peek(p)->kind == T_LPAREN || peek(p)->kind == T_UNSUPPORTED) {
        unsupported(p, peek(p));
        return NULL;
    }
    return t;
}

/* in { v, lo..hi, ... }: commas or spaces between items. */
static bool parse_set(parser *p, node *n)
{
    const token *open = take(p);
    if (open->kind != T_LBRACE)
        return fail(p, open->pos, open->len, "'in' needs a set: {80, 443, 8000..8080}");
    n->items = g_ptr_array_new();
    while (peek(p)->kind != T_RBRACE) {
        const token *lo = expect_value(p), *hi = NULL;
        if (!lo)
            return false;
        if (peek(p)->kind == T_RANGE) {
            take(p);
            if (!(hi = expect_value(p)))
                return false;
        }
        g_ptr_array_add(n->items, (gpointer)lo);
        g_ptr_array_add(n->items, (gpointer)hi);
        if (peek(p)->kind == T_COMMA)
            take(p);
        else if (peek(p)->kind == T_END)
            return fail(p, peek(p)->pos, 0, "the set is not closed with '}'");
    }
    take(p);
    if (n->items->len == 0)
        return fail(p, open->pos, open->len, "the set is empty");
    return true;
}

static node *parse_test(parser *p)
{
    const token *f = take(p);
    if (f->kind == T_UNSUPPORTED)
        return unsupported(p, f), NULL;
    if (f->kind != T_WORD || !(g_ascii_isalpha(f->text[0]) || f->text[0] == '_') || strpbrk(f->text, ":/"))
        return fail(p, f->pos, f->len, "a field name was expected"), NULL;
    if (peek(p)->kind == T_LPAREN || peek(p)->kind == T_UNSUPPORTED)
        return unsupported(p, peek(p)), NULL;
    node *n = new_node(p, N_TEST, NULL, NULL);
    n->field = f;
    tkind op = peek(p)->kind;
    if (op < T_EQ || op > T_IN)
        return n; /* a bare field */
    take(p);
    n->op = op;
    if (op == T_IN)
        return parse_set(p, n) ? n : NULL;
    n->value = expect_value(p);
    return n->value ? n : NULL;
}

static node *parse_unary(parser *p)
{
    const token *t = peek(p);
    if (t->kind == T_NOT) {
        take(p);
        node *a = parse_unary(p);
        return a ? new_node(p, N_NOT, a, NULL) : NULL;
    }
    if (t->kind == T_LPAREN) {
        take(p);
        node *a = parse_or(p);
        if (!a)
            return NULL;
        const token *close = take(p);
        if (close->kind != T_RPAREN)
            return fail(p, close->pos, close->len, "')' was expected"), NULL;
        return a;
    }
    return parse_test(p);
}

static node *parse_binary(parser *p, tkind op, node *(*operand)(parser *))
{
    node *a = operand(p);
    while (a && peek(p)->kind == op) {
        take(p);
        node *b = operand(p);
        a = b ? new_node(p, op == T_AND ? N_AND : N_OR, a, b) : NULL;
    }
    return a;
}

static node *parse_and(parser *p)
{
    return parse_binary(p, T_AND, parse_unary);
}
static node *parse_or(parser *p)
{
    return parse_binary(p, T_OR, parse_and);
}

static node *parse(parser *p)
{
    if (!lex(p))
        return NULL;
    if (peek(p)->kind == T_END)
        return fail(p, 0, 0, "the filter is empty"), NULL;
    node *root = parse_or(p);
    const token *rest = peek(p);
    if (root && rest->kind != T_END) {
        if (rest->kind == T_UNSUPPORTED)
            unsupported(p, rest);
        else
            fail(p, rest->pos, rest->len, "unexpected here (a missing && or ||?)");
        return NULL;
    }
    return root;
}

static void token_free(gpointer t)
{
    g_free(((token *)t)->text);
    g_free(t);
}

static void node_free(gpointer n)
{
    if (((node *)n)->items)
        g_ptr_array_free(((node *)n)->items, TRUE);
    g_free(n);
}

static void parser_init(parser *p, const char *src)
{
    memset(p, 0, sizeof *p);
    p->src = src;
    p->tokens = g_ptr_array_new_with_free_func(token_free);
    p->nodes = g_ptr_array_new_with_free_func(node_free);
}

static void parser_clear(parser *p)
{
    g_ptr_array_free(p->nodes, TRUE);
    g_ptr_array_free(p->tokens, TRUE);
    g_free(p->error);
}

bool df_syntax_ok(const char *filter, char **error)
{
    parser p;
    parser_init(&p, filter ? filter : "");
    bool ok = parse(&p) != NULL;
    if (!ok && error)
        *error = g_strdup_printf("display filter %s", p.error);
    parser_clear(&p);
    return ok;
}

/* "ip.addr:10.0.0.1", "_exists_:x": a query string's field:value. */
static bool field_colon(const char *w)
{
    const char *colon = strchr(w, ':');
    if (!colon || !(g_ascii_isalpha(*w) || *w == '_'))
        return false;
    return memchr(w, '.', (size_t)(colon - w)) || strncmp(w, "_exists_:", 9) == 0;
}

/* A filter with a syntax error is still one when it has the operators of
 * one (==, &&, ...) and no field:value of a query string. */
static bool has_filter_operators(const parser *p)
{
    bool op = false;
    for (guint i = 0; i < p->tokens->len; i++) {
        const token *t = p->tokens->pdata[i];
        if (t->kind == T_WORD && field_colon(t->text))
            return false;
        op = op || (t->len == 2 && strchr("=!<>&|", p->src[t->pos]) && t->kind != T_WORD);
    }
    return op;
}

bool df_is_filter(const char *filter)
{
    parser p;
    parser_init(&p, filter ? filter : "");
    bool yes = parse(&p) != NULL || p.unsupported || has_filter_operators(&p);
    parser_clear(&p);
    return yes;
}

/* ---- writer ---- */

typedef struct writer {
    parser *p;
    jsonw w;
    bool underscore;
    df_lookup lookup;
    void *ud;
} writer;

static bool write_node(writer *wr, const node *n);

/* flatten: the kind whose operands join this clause list, -1 for none. */
static bool write_bool(writer *wr, const char *clause, const node *a, const node *b, int flatten)
{
    jsonw *w = &wr->w;
    jw_begin_object(w);
    jw_key(w, "bool");
    jw_begin_object(w);
    jw_key(w, clause);
    jw_begin_array(w);
    /* a && b && c: one clause list rather than nested bools */
    const node *stack[64];
    int top = 0;
    stack[top++] = b;
    stack[top++] = a;
    bool ok = true;
    while (top && ok) {
        const node *n = stack[--top];
        if (n && (int)n->kind == flatten && top < 62) {
            stack[top++] = n->b;
            stack[top++] = n->a;
        } else if (n) {
            ok = write_node(wr, n);
        }
    }
    jw_end_array(w);
    if (strcmp(clause, "should") == 0) {
        jw_key(w, "minimum_should_match");
        jw_uint(w, 1);
    }
    jw_end_object(w);
    jw_end_object(w);
    return ok;
}

static df_op op_of(tkind k)
{
    switch (k) {
    case T_EQ: return DF_OP_EQ;
    case T_NE: return DF_OP_NE;
    case T_LT: return DF_OP_LT;
    case T_GT: return DF_OP_GT;
    case T_LE: return DF_OP_LE;
    case T_GE: return DF_OP_GE;
    case T_CONTAINS: return DF_OP_CONTAINS;
    case T_MATCHES: return DF_OP_MATCHES;
    case T_IN: return DF_OP_IN;
    default: return DF_OP_EXISTS;
    }
}

static bool write_node(writer *wr, const node *n)
{
    switch (n->kind) {
    case N_AND: return write_bool(wr, "filter", n->a, n->b, N_AND);
    case N_OR: return write_bool(wr, "should", n->a, n->b, N_OR);
    case N_NOT: return write_bool(wr, "must_not", n->a, NULL, -1);
    case N_TEST: break;
    }
    char *name = df_index_name(n->field->text, wr->underscore);
    df_test t = {.name = n->field->text, .field = name, .type = wr->lookup(wr->ud, name), .op = op_of(n->op)};
    bool ok = true;
    if (n->value)
        t.value = (df_literal){n->value->text, n->value->kind == T_STRING};
    for (guint i = 0; n->items && i < n->items->len; i += 2) {
        const token *lo = n->items->pdata[i], *hi = n->items->pdata[i + 1];
        df_literal l = {lo->text, lo->kind == T_STRING}, h = {hi ? hi->text : NULL, hi && hi->kind == T_STRING};
        df_test_add_item(&t, l, h);
    }
    char *why = NULL;
    if (!df_write_test(&wr->w, &t, wr->underscore, wr->lookup, wr->ud, &why)) {
        const token *at = n->value ? n->value : n->field;
        ok = fail(wr->p, n->field->pos, at->pos + at->len - n->field->pos, "%s", why);
    }
    g_free(why);
    df_test_clear(&t);
    g_free(name);
    return ok;
}

bool df_translate(const char *filter, bool underscore, df_lookup lookup, void *ud, char **dsl, char **error)
{
    parser p;
    parser_init(&p, filter ? filter : "");
    node *root = parse(&p);
    esbuf out;
    writer wr = {.p = &p, .underscore = underscore, .lookup = lookup, .ud = ud};
    esbuf_init(&out, 256, 16u << 20);
    jw_init(&wr.w, &out);
    bool ok = root && write_node(&wr, root) && jw_finish(&wr.w);
    if (ok) {
        *dsl = out.data;
    } else {
        *error = g_strdup_printf("display filter %s", p.error ? p.error : "too large");
        esbuf_free(&out);
    }
    parser_clear(&p);
    return ok;
}

char *df_index_name(const char *name, bool underscore)
{
    char *out = g_strdup(name);
    if (!underscore)
        return out;
    size_t n = strlen(out), keep = n;
    /* multi-fields of the exporter's mapping keep their dot */
    if (g_str_has_suffix(out, ".text") || g_str_has_suffix(out, ".exact"))
        keep = (size_t)(strrchr(out, '.') - out);
    for (size_t i = 0; i < keep; i++)
        if (out[i] == '.')
            out[i] = '_';
    return out;
}
