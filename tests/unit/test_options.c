/* test_options.c — esdump's connection settings: where each comes from
 * and the checks the plugin makes too.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "client.h"
#include "options.h"

#define PIN "79:01:8E:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC"

static const char *const ENV[] = {"ES_USER", "ES_PASSWORD", "ES_API_KEY", "ES_SECRETS_FILE", "ES_CA_FILE",
                                  "ES_CA_DIR", "ES_CA_FINGERPRINT", "ES_CLIENT_CERT", "ES_CLIENT_KEY",
                                  "ES_CLIENT_KEY_PASSWORD"};

/* esd_opts_parse of the NULL-terminated arguments after the interface;
 * the error (or NULL) in *error. */
static bool parse(esd_opts *o, char **error, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, "esdump");
    g_ptr_array_add(argv, "--extcap-interface=esdump");
    va_list ap;
    va_start(ap, error);
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(argv, a);
    va_end(ap);
    *error = NULL;
    bool ok = esd_opts_parse(o, (int)argv->len, (char **)argv->pdata, error);
    g_ptr_array_free(argv, TRUE);
    return ok;
}

static void clean_environment(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ENV); i++)
        g_unsetenv(ENV[i]);
}

static void test_plain_http_credentials(void)
{
    esd_opts o;
    char *err;
    clean_environment();
    g_assert_false(parse(&o, &err, "--node", "10.0.0.5:9200", "--user", "u", "--password", "hunter2", NULL));
    g_assert_nonnull(strstr(err, "--node: http://10.0.0.5:9200 is not on this machine"));
    g_assert_nonnull(strstr(err, "--allow-plain-http-auth"));
    g_assert_null(strstr(err, "hunter2"));
    g_free(err);
    esd_opts_clear(&o);
    g_setenv("ES_API_KEY", "id:key", TRUE);
    g_assert_false(parse(&o, &err, "--node", "https://a:9200,http://b", NULL));
    g_assert_nonnull(strstr(err, "http://b is not on this machine and the credentials (the API key)"));
    g_free(err);
    esd_opts_clear(&o);
    /* this machine, or allowed explicitly, or no credentials: fine */
    const char *const nodes[] = {"localhost:9200", "http://127.0.0.3:9200", "http://[::1]:9200"};
    for (size_t i = 0; i < G_N_ELEMENTS(nodes); i++) {
        g_assert_true(parse(&o, &err, "--node", nodes[i], NULL));
        esd_opts_clear(&o);
    }
    g_assert_true(parse(&o, &err, "--node", "http://10.0.0.5:9200", "--allow-plain-http-auth", NULL));
    g_assert_cmpstr(o.api_key, ==, "aWQ6a2V5"); /* id:key encoded */
    esd_opts_clear(&o);
    clean_environment();
    g_assert_true(parse(&o, &err, "--node", "http://10.0.0.5:9200", NULL));
    esd_opts_clear(&o);
}

static void test_nodes(void)
{
    esd_opts o;
    char *err;
    clean_environment();
    char *id = g_base64_encode((const guchar *)"eu-west-1.aws.found.io$abc123$kib", 33);
    char *cloud = g_strconcat("name:", id, NULL);
    g_assert_true(parse(&o, &err, "--cloud-id", cloud, NULL));
    g_assert_cmpstr(o.node, ==, "https://abc123.eu-west-1.aws.found.io:443");
    esd_opts_clear(&o);
    char *node = g_strconcat("cloud:", cloud, ",es2", NULL);
    g_assert_true(parse(&o, &err, "--node", node, NULL));
    g_assert_cmpstr(o.node, ==, "https://abc123.eu-west-1.aws.found.io:443,http://es2:9200");
    esd_opts_clear(&o);
    g_assert_false(parse(&o, &err, "--node", "https://elastic:hunter2@es1:9200", NULL));
    g_assert_nonnull(strstr(err, "\"...@es1:9200\" has credentials in it"));
    g_assert_null(strstr(err, "hunter2"));
    g_free(err);
    esd_opts_clear(&o);
    g_free(node);
    g_free(cloud);
    g_free(id);
}

static void test_pin(void)
{
    esd_opts o;
    char *err;
    clean_environment();
    g_setenv("ES_CA_FINGERPRINT", PIN, TRUE);
    g_assert_true(parse(&o, &err, "--node", "https://es1:9200", NULL));
    g_assert_cmpstr(o.ca_fingerprint, ==, PIN);
    esd_opts_clear(&o);
    g_assert_false(parse(&o, &err, "--node", "https://es1:9200", "--insecure", NULL));
    g_assert_nonnull(strstr(err, "--ca-fingerprint: the pinned CA verifies"));
    g_free(err);
    esd_opts_clear(&o);
    g_assert_false(parse(&o, &err, "--node", "es1", NULL));
    g_assert_nonnull(strstr(err, "http://es1:9200 is plain http://; a pin needs https://"));
    g_free(err);
    esd_opts_clear(&o);
    g_assert_false(parse(&o, &err, "--node", "https://es1:9200", "--ca-fingerprint", "79:01", NULL));
    g_assert_nonnull(strstr(err, "--ca-fingerprint: invalid value \"79:01\""));
    g_free(err);
    esd_opts_clear(&o);
    clean_environment();
}

static char *secrets_file(const char *text, int mode)
{
    char *path = NULL;
    int fd = g_file_open_tmp("esdump-XXXXXX.secrets", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (int)strlen(text));
    close(fd);
    g_chmod(path, mode);
    return path;
}

static void test_secrets_and_environment(void)
{
    esd_opts o;
    char *err;
    clean_environment();
    char *path = secrets_file("user = u1\npassword = p1\nclient_key_password = k1\n", 0600);
    g_setenv("ES_PASSWORD", "from-env", TRUE);
    char *dir = g_path_get_dirname(path);
    g_setenv("ES_CLIENT_KEY", path, TRUE); /* files that exist: they are checked */
    g_setenv("ES_CA_DIR", dir, TRUE);
    /* the command line, then the file, then the environment */
    g_assert_true(parse(&o, &err, "--node", "https://es1:9200", "--user", "u0", "--secrets-file", path, NULL));
    g_assert_cmpstr(o.user, ==, "u0");
    g_assert_cmpstr(o.password, ==, "p1");
    g_assert_cmpstr(o.client_key_password, ==, "k1");
    esd_client_conf cc;
    esd_opts_client_conf(&o, &cc);
    g_assert_cmpstr(cc.client_key, ==, path);
    g_assert_cmpstr(cc.ca_dir, ==, dir);
    g_assert_cmpstr(cc.client_key_password, ==, "k1");
    g_assert_cmpstr(cc.user, ==, "u0");
    esd_opts_clear(&o);
    g_chmod(path, 0640);
    g_setenv("ES_SECRETS_FILE", path, TRUE);
    g_assert_false(parse(&o, &err, "--node", "https://es1:9200", NULL));
    char *want = g_strdup_printf("--secrets-file: %s can be read or written by other users (mode 0640); it must "
                                 "be a file only its owner can read: chmod 600 %s",
                                 path, path);
    g_assert_cmpstr(err, ==, want);
    g_free(want);
    g_free(err);
    esd_opts_clear(&o);
    g_chmod(path, 0600);
    g_setenv("ES_CA_FILE", dir, TRUE);
    g_assert_false(parse(&o, &err, "--node", "https://es1:9200", NULL));
    g_assert_nonnull(strstr(err, "--ca-file: cannot read"));
    g_assert_nonnull(strstr(err, "not a regular file"));
    g_free(err);
    esd_opts_clear(&o);
    g_unlink(path);
    g_free(path);
    g_free(dir);
    clean_environment();
}

/* The dialog opens whatever the settings; the cluster is then not asked. */
static void test_config_with_a_refused_setting(void)
{
    esd_opts o;
    char *err;
    clean_environment();
    g_assert_true(parse(&o, &err, "--extcap-config", "--node", "http://10.0.0.5:9200", "--user", "u", NULL));
    g_assert_nonnull(strstr(o.connection_error, "is not on this machine"));
    esd_opts_clear(&o);
    g_assert_true(parse(&o, &err, "--extcap-config", "--node", "http://127.0.0.1:9200", "--user", "u", NULL));
    g_assert_null(o.connection_error);
    esd_opts_clear(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/plain-http-credentials", test_plain_http_credentials);
    g_test_add_func("/options/nodes", test_nodes);
    g_test_add_func("/options/pin", test_pin);
    g_test_add_func("/options/secrets-and-environment", test_secrets_and_environment);
    g_test_add_func("/options/config-with-a-refused-setting", test_config_with_a_refused_setting);
    return g_test_run();
}
