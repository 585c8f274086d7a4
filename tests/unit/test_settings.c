/* test_settings.c — the settings table, parsing, bounds, sinks, index names.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

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
    g_assert_cmpstr(out, ==, "packets-2023.11.14"); /* UTC */
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
    es_settings_set(&s, es_opt_find("node"), "localhost", NULL);
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

static bool validate(const char *const *pairs, size_t n, es_settings *s, GError **err)
{
    es_settings_init(s);
    for (size_t i = 0; i < n; i += 2)
        g_assert_true(es_settings_set(s, es_opt_find(pairs[i]), pairs[i + 1], NULL));
    return es_settings_validate(s, err);
}

static void expect_invalid(const char *const *pairs, size_t n, const char *fragment)
{
    es_settings s;
    GError *err = NULL;
    g_assert_false(validate(pairs, n, &s, &err));
    if (!strstr(err->message, fragment))
        g_error("\"%s\" not in \"%s\"", fragment, err->message);
    g_assert_null(strstr(err->message, "hunter2"));
    g_error_free(err);
    es_settings_clear(&s);
}

#define INVALID(fragment, ...)                          \
    do {                                                \
        static const char *const p_[] = {__VA_ARGS__};  \
        expect_invalid(p_, G_N_ELEMENTS(p_), fragment); \
    } while (0)

/* Credentials never cross the network in clear text unless allowed; pins,
 * certificate files, cloud ids and URLs with credentials. */
static void test_transport_checks(void)
{
    INVALID("es.node: http://10.213.13.2:9200 is not on this machine", "node", "10.213.13.2", "user", "u");
    INVALID("es.allow_plain_http_auth=TRUE", "node", "http://h:1", "api_key", "id:key");
    INVALID("has credentials in it", "node", "https://elastic:hunter2@h:9200");
    INVALID("es.ca_fingerprint: invalid value", "node", "https://h", "ca_fingerprint", "79:01");
    INVALID("a pin needs https://", "node", "http://localhost",
            "ca_fingerprint", "79018e2c067e65cd351f4732633146343e2fdfa6034ef6417625d8789acf0fe4");
    INVALID("leave es.tls_verify TRUE", "node", "https://h", "tls_verify", "false",
            "ca_fingerprint", "79018e2c067e65cd351f4732633146343e2fdfa6034ef6417625d8789acf0fe4");
    INVALID("es.ca_file: cannot read /nonexistent/ca.pem", "node", "https://h", "ca_file", "/nonexistent/ca.pem");
    INVALID("es.ca_dir: cannot read /etc/hostname: not a directory", "node", "https://h", "ca_dir", "/etc/hostname");
    INVALID("es.api_key: not an API key", "node", "localhost", "api_key", "hunter2!");
    INVALID("es.cloud_id: not an Elastic Cloud id", "cloud_id", "x:hunter2");
    INVALID("es.secrets_file: cannot read /nonexistent", "node", "localhost", "secrets_file", "/nonexistent");

    static const char *const ok[][6] = {
        {"node", "localhost:9200", "user", "u", "password", "hunter2"},
        {"node", "http://[::1]:9200,127.0.0.1", "api_key", "id:k", "", ""},
        {"node", "http://h:1", "user", "u", "allow_plain_http_auth", "true"},
        {"node", "https://h:1", "user", "u", "ca_fingerprint",
         "79:01:8E:2C:06:7E:65:CD:35:1F:47:32:63:31:46:34:3E:2F:DF:A6:03:4E:F6:41:76:25:D8:78:9A:CF:0F:E4"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        es_settings s;
        GError *err = NULL;
        g_assert_true(validate(ok[i], *ok[i][4] ? 6 : 4, &s, &err));
        g_assert_no_error(err);
        es_settings_clear(&s);
    }
}

static void test_cloud_and_secrets_file(void)
{
    es_settings s;
    GError *err = NULL;
    char *dir = g_dir_make_tmp("settings-XXXXXX", NULL);
    char *file = g_build_filename(dir, "secrets", NULL);
    g_assert_true(g_file_set_contents(file, "user=filed\npassword=from-file\napi_key=\n", -1, NULL));
    g_chmod(file, 0600);
    const char *const pairs[] = {"cloud_id", "c:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyRhYmMkZGVm", "secrets_file", file,
                                 "user", "given"};
    g_setenv("ES_PASSWORD", "from-env", TRUE);
    g_assert_true(validate(pairs, G_N_ELEMENTS(pairs), &s, &err));
    g_assert_cmpstr(s.node, ==, "cloud:c:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyRhYmMkZGVm");
    g_assert_cmpstr(s.user, ==, "given");         /* a setting wins */
    g_assert_cmpstr(s.password, ==, "from-file"); /* then the file, then the environment */
    es_sink sink;
    g_assert_true(es_sink_parse(s.node, &sink, &err));
    g_assert_cmpstr(sink.urls[0], ==, "https://abc.eu-west-1.aws.found.io:443");
    es_sink_clear(&sink);
    es_settings_clear(&s);
    g_unsetenv("ES_PASSWORD");
    /* a host named "cloud" with a port is still a host */
    g_assert_true(es_sink_parse("cloud:9200", &sink, &err));
    g_assert_cmpstr(sink.urls[0], ==, "http://cloud:9200");
    es_sink_clear(&sink);
    g_chmod(file, 0644);
    const char *const open_file[] = {"node", "localhost", "secrets_file", file};
    g_assert_false(validate(open_file, 4, &s, &err));
    g_assert_nonnull(strstr(err->message, "chmod 600"));
    g_clear_error(&err);
    es_settings_clear(&s);
    g_unlink(file);
    g_rmdir(dir);
    g_free(file);
    g_free(dir);
}

/* Each kind of setting copied one at a time, as -X values over preferences. */
static void test_copy_opt(void)
{
    es_settings from, to;
    es_settings_init(&from);
    es_settings_init(&to);
    static const char *const sets[][2] = {
        {"raw", "FALSE"},
        {"bulk_docs", "7"},
        {"compression", "gzip"},
        {"node", "h:1"},
        {"password", "pw"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
        const es_opt_desc *d = es_opt_find(sets[i][0]);
        g_assert_true(es_settings_set(&from, d, sets[i][1], NULL));
        g_assert_false(es_settings_equal(&from, &to));
        es_settings_copy_opt(&to, &from, d);
    }
    g_assert_true(es_settings_equal(&from, &to));
    es_settings_clear(&from);
    g_assert_cmpstr(to.node, ==, "h:1"); /* its own copy */
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
    g_test_add_func("/settings/transport-checks", test_transport_checks);
    g_test_add_func("/settings/cloud-and-secrets-file", test_cloud_and_secrets_file);
    return g_test_run();
}
