/* test_settings.c — the settings table, parsing, bounds, sinks, index names. */
#include <string.h>

#include <glib.h>

#include "settings.h"

static void test_defaults(void)
{
    g_assert_cmpuint(es_n_opts, <=, ES_N_OPTS_MAX);
    es_settings s;
    es_settings_init(&s);
    g_assert_false(s.enabled);
    g_assert_cmpstr(s.index, ==, "packets-%Y.%m.%d");
    g_assert_cmpuint(s.bulk_kib, ==, 5120);
    g_assert_cmpuint(s.bulk_age_ms, ==, 1000);
    g_assert_cmpuint(s.max_bytes, ==, 1024);
    g_assert_true(s.raw);
    g_assert_cmpint(s.name_style, ==, ES_NAMES_AUTO);
    /* every default lies within its bounds */
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        if (d->type == ES_OPT_UINT || d->type == ES_OPT_ENUM || d->type == ES_OPT_BOOL) {
            g_assert_cmpuint(d->def, >=, d->min);
            g_assert_cmpuint(d->def, <=, d->max);
        }
        g_assert_true(es_opt_find(d->name) == d);
    }
    es_settings_clear(&s);
}

static void test_parse(void)
{
    es_settings s;
    GError *err = NULL;
    es_settings_init(&s);
    g_assert_true(es_settings_set(&s, es_opt_find("bulk_docs"), "500", &err));
    g_assert_cmpuint(s.bulk_docs, ==, 500);
    g_assert_true(es_settings_set(&s, es_opt_find("raw"), "FALSE", &err));
    g_assert_false(s.raw);
    g_assert_true(es_settings_set(&s, es_opt_find("raw"), "on", &err));
    g_assert_true(s.raw);
    g_assert_true(es_settings_set(&s, es_opt_find("compression"), "GZIP", &err));
    g_assert_cmpint(s.compression, ==, ES_COMPRESS_GZIP);
    g_assert_true(es_settings_set(&s, es_opt_find("node"), "h:9200", &err));
    g_assert_cmpstr(s.node, ==, "h:9200");
    g_assert_no_error(err);
    es_settings_clear(&s);
}

static void expect_error(const char *name, const char *value, const char *fragment)
{
    es_settings s;
    GError *err = NULL;
    es_settings_init(&s);
    g_assert_false(es_settings_set(&s, es_opt_find(name), value, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, fragment));
    char *prefix = g_strdup_printf("es.%s:", name);
    g_assert_true(g_str_has_prefix(err->message, prefix));
    g_free(prefix);
    g_error_free(err);
    es_settings_clear(&s);
}

static void test_errors(void)
{
    expect_error("bulk_docs", "0", "a whole number from 1 to 100000");
    expect_error("bulk_docs", "100001", "from 1 to 100000");
    expect_error("bulk_docs", "12abc", "invalid value \"12abc\"");
    expect_error("bulk_docs", "-1", "invalid value");
    expect_error("raw", "maybe", "TRUE or FALSE");
    expect_error("compression", "brotli", "one of auto, off, gzip");
    expect_error("requests", "99", "from 1 to 16");
}

static void test_sink(void)
{
    es_sink s;
    GError *err = NULL;
    g_assert_true(es_sink_parse("localhost:9200", &s, &err));
    g_assert_cmpint(s.kind, ==, ES_SINK_HTTP);
    g_assert_cmpstr(s.urls[0], ==, "http://localhost:9200");
    g_assert_true(es_sink_is_loopback(&s));
    es_sink_clear(&s);

    g_assert_true(es_sink_parse("https://a.example:9243/, b , http://127.0.0.1:1", &s, &err));
    g_assert_cmpstr(s.urls[0], ==, "https://a.example:9243");
    g_assert_cmpstr(s.urls[1], ==, "http://b:9200");
    g_assert_cmpstr(s.urls[2], ==, "http://127.0.0.1:1");
    g_assert_null(s.urls[3]);
    g_assert_false(es_sink_is_loopback(&s));
    es_sink_clear(&s);

    g_assert_true(es_sink_parse("file:/tmp/x.ndjson", &s, &err));
    g_assert_cmpint(s.kind, ==, ES_SINK_FILE);
    g_assert_cmpstr(s.path, ==, "/tmp/x.ndjson");
    es_sink_clear(&s);

    g_assert_true(es_sink_parse("-", &s, &err));
    g_assert_cmpint(s.kind, ==, ES_SINK_STDOUT);
    es_sink_clear(&s);
    g_assert_no_error(err);

    g_assert_false(es_sink_parse("ftp://h:21", &s, &err));
    g_assert_nonnull(strstr(err->message, "es.node"));
    g_clear_error(&err);
    g_assert_false(es_sink_parse("", &s, &err));
    g_clear_error(&err);
    g_assert_false(es_sink_parse("file:", &s, &err));
    g_clear_error(&err);
}

static void test_index(void)
{
    char out[256];
    g_assert_true(es_index_format("packets-%Y.%m.%d", 1700000000, out, sizeof out));
    g_assert_cmpstr(out, ==, "packets-2023.11.14");   /* UTC */
    g_assert_true(es_index_format("pk-%Y.%m.%d-%H", 1700000000 + 3600 * 2, out, sizeof out));
    g_assert_cmpstr(out, ==, "pk-2023.11.15-00");
    g_assert_false(es_index_format("Packets", 0, out, sizeof out));
    g_assert_false(es_index_format("_packets", 0, out, sizeof out));
    g_assert_false(es_index_format("a b", 0, out, sizeof out));
    g_assert_false(es_index_format("a*", 0, out, sizeof out));

    es_settings s;
    GError *err = NULL;
    es_settings_init(&s);
    es_settings_set(&s, es_opt_find("node"), "h", NULL);
    es_settings_set(&s, es_opt_find("index"), "Bad-%Y", NULL);
    g_assert_false(es_settings_validate(&s, &err));
    g_assert_true(g_str_has_prefix(err->message, "es.index:"));
    g_clear_error(&err);
    es_settings_clear(&s);
}

static void test_secret_env(void)
{
    es_settings s;
    GError *err = NULL;
    es_settings_init(&s);
    es_settings_set(&s, es_opt_find("node"), "h", NULL);
    g_setenv("ES_API_KEY", "a2V5", TRUE);
    g_assert_true(es_settings_validate(&s, &err));
    g_assert_cmpstr(s.api_key, ==, "a2V5");
    g_unsetenv("ES_API_KEY");
    es_settings copy;
    es_settings_copy(&copy, &s);
    g_assert_cmpstr(copy.api_key, ==, "a2V5");
    g_assert_true(copy.node != s.node);
    g_assert_true(es_settings_equal(&copy, &s));
    es_settings_set(&copy, es_opt_find("bulk_docs"), "7", NULL);
    g_assert_false(es_settings_equal(&copy, &s));
    es_settings_clear(&copy);
    es_settings_clear(&s);
}

/* Each kind of setting copied one at a time, as -X values over preferences. */
static void test_copy_opt(void)
{
    es_settings from, to;
    es_settings_init(&from);
    es_settings_init(&to);
    static const char *const sets[][2] = {
        {"raw", "FALSE"}, {"bulk_docs", "7"}, {"compression", "gzip"}, {"node", "h:1"}, {"password", "pw"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
        const es_opt_desc *d = es_opt_find(sets[i][0]);
        g_assert_true(es_settings_set(&from, d, sets[i][1], NULL));
        g_assert_false(es_settings_equal(&from, &to));
        es_settings_copy_opt(&to, &from, d);
    }
    g_assert_true(es_settings_equal(&from, &to));
    es_settings_clear(&from);
    g_assert_cmpstr(to.node, ==, "h:1");   /* its own copy */
    es_settings_clear(&to);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/settings/copy-one", test_copy_opt);
    g_test_add_func("/settings/defaults", test_defaults);
    g_test_add_func("/settings/parse", test_parse);
    g_test_add_func("/settings/errors", test_errors);
    g_test_add_func("/settings/sink", test_sink);
    g_test_add_func("/settings/index", test_index);
    g_test_add_func("/settings/secret-env", test_secret_env);
    return g_test_run();
}
