/* test_secrets.c — cloud ids, API keys, secrets files, fingerprints,
 * loopback URLs and redaction.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "secrets.h"

static void test_cloud_id(void)
{
    GError *err = NULL;
    /* Elastic's documented example: no port, port 443. */
    char *url = es_cloud_id_url("my:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5NyQ0ZmE4"
                                "ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5Ng==",
                                &err);
    g_assert_no_error(err);
    g_assert_cmpstr(url, ==, "https://4fa8821e75634032bed1cf22110e2f97.eu-west-1.aws.found.io:443");
    g_free(url);
    /* host:port; the name is optional */
    url = es_cloud_id_url("dXMtY2VudHJhbDEuZ2NwLmNsb3VkLmVzLmlvOjkyNDMkYWJjMTIzJGRlZjQ1Ng==", &err);
    g_assert_cmpstr(url, ==, "https://abc123.us-central1.gcp.cloud.es.io:9243");
    g_free(url);
    static const char *const bad[] = {
        "",
        "name:",
        "name:!!!!",
        "bm9kb2xsYXI=" /* "nodollar" */,
        "aG9zdDo5OTk5OSR1dWlk" /* port 99999 */,
        "aG9zdCR1dS9pZA==" /* "host$uu/id" */,
        "JHV1aWQ=" /* "$uuid" */,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(es_cloud_id_url(bad[i], &err));
        g_assert_nonnull(strstr(err->message, "es.cloud_id"));
        g_clear_error(&err);
    }
}

static void test_api_key(void)
{
    GError *err = NULL;
    char *v = es_api_key_encoded("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw", &err);
    g_assert_cmpstr(v, ==, "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
    char *id = es_api_key_id(v);
    g_assert_cmpstr(id, ==, "VuaCfGcBCdbkQm-e5aOx");
    g_free(id);
    char *again = es_api_key_encoded(v, &err); /* the encoded form stays */
    g_assert_cmpstr(again, ==, v);
    g_free(again);
    g_free(v);
    id = es_api_key_id("abc:secret");
    g_assert_cmpstr(id, ==, "abc");
    g_free(id);
    g_assert_null(es_api_key_id("a2V5")); /* base64 of "key": no id */
    static const char *const bad[] = {"", ":s3cr3t", "id0:", "not base64!", "sp ace"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(es_api_key_encoded(bad[i], &err));
        g_assert_true(g_str_has_prefix(err->message, "es.api_key:"));
        if (*bad[i])
            g_assert_null(strstr(err->message, bad[i])); /* the key is never quoted */
        g_clear_error(&err);
    }
    char *who = es_credentials_identity("elastic", "");
    g_assert_cmpstr(who, ==, "user \"elastic\"");
    g_free(who);
    who = es_credentials_identity("elastic", "abc:secret"); /* the key wins */
    g_assert_cmpstr(who, ==, "API key id \"abc\"");
    g_assert_null(strstr(who, "secret"));
    g_free(who);
    g_assert_null(es_credentials_identity("", ""));
}

static void test_secrets_parse(void)
{
    static const char text[] = "# wireshark-es\n\nuser = elastic\nes.password=p=ss word \n api_key=id:k\n"
                               "client_key_password = k pass\n";
    es_secrets s;
    GError *err = NULL;
    g_assert_true(es_secrets_parse(text, strlen(text), "F", &s, &err));
    g_assert_cmpstr(s.user, ==, "elastic");
    g_assert_cmpstr(s.password, ==, "p=ss word");
    g_assert_cmpstr(s.api_key, ==, "id:k");
    g_assert_cmpstr(s.client_key_password, ==, "k pass");
    es_secrets_clear(&s);
    g_assert_null(s.password);
    g_assert_null(s.client_key_password);

    static const char bad[] = "user=u\npasswort=hunter2\n";
    g_assert_false(es_secrets_parse(bad, strlen(bad), "/etc/f", &s, &err));
    g_assert_nonnull(strstr(err->message, "/etc/f line 2"));
    g_assert_null(strstr(err->message, "hunter2"));
    g_assert_null(s.user);
    g_clear_error(&err);
}

static void test_secrets_file(void)
{
    char *dir = g_dir_make_tmp("secrets-XXXXXX", NULL);
    char *path = g_build_filename(dir, "es.secrets", NULL);
    g_assert_true(g_file_set_contents(path, "password=hunter2\n", -1, NULL));
    es_secrets s;
    GError *err = NULL;
    g_chmod(path, 0640);
    g_assert_false(es_secrets_read(path, &s, &err));
    char *fix = g_strdup_printf("chmod 600 %s", path);
    g_assert_nonnull(strstr(err->message, fix));
    g_assert_nonnull(strstr(err->message, "0640"));
    g_assert_null(strstr(err->message, "hunter2"));
    g_clear_error(&err);
    g_chmod(path, 0604);
    g_assert_false(es_secrets_read(path, &s, &err));
    g_clear_error(&err);
    g_chmod(path, 0600);
    g_assert_true(es_secrets_read(path, &s, &err));
    g_assert_cmpstr(s.password, ==, "hunter2");
    es_secrets_clear(&s);
    g_assert_false(es_secrets_read(dir, &s, &err)); /* not a regular file */
    g_clear_error(&err);
    g_unlink(path);
    g_assert_false(es_secrets_read(path, &s, &err));
    g_assert_nonnull(strstr(err->message, "cannot read"));
    g_clear_error(&err);
    g_rmdir(dir);
    g_free(fix);
    g_free(path);
    g_free(dir);
}

static const char PEM[] =
    "subject: CN=test-ca\n-----BEGIN CERTIFICATE-----\n"
    "MIIBejCCASCgAwIBAgITZRdDY7j4HsmJDB0hLuutNQN6NzAKBggqhkjOPQQDAjAS\n"
    "MRAwDgYDVQQDDAd0ZXN0LWNhMCAXDTI2MTIwMTIyMDQyOFoYDzIxMjYxMTA3MjIw\n"
    "NDI4WjASMRAwDgYDVQQDDAd0ZXN0LWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "QgAEO4jy9+vAn0cymJTh+6At6edb3FY45JYAsmZ/A7LptmsRcQyMYb9W0894zcVN\n"
    "N55xmfk/4j/+A0HJhiEaSxC8qKNTMFEwHQYDVR0OBBYEFE3QewwQ5lCJ+F6FpsKT\n"
    "uGyQRFErMB8GA1UdIwQYMBaAFE3QewwQ5lCJ+F6FpsKTuGyQRFErMA8GA1UdEwEB\n"
    "/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgUe6hUVrzJ7HWA2XZAdwN1TCpMUKr\n"
    "hxv0qLfq2rIlDFMCIQCWBmPbR4iXhYM3MODD7OPJ1WhXK2M4lwY5CLnN/o0VyQ==\n"
    "-----END CERTIFICATE-----\n";
/* openssl x509 -noout -fingerprint -sha256 */
static const char FP[] = "79:01:8E:2C:06:7E:65:CD:35:1F:47:32:63:31:46:34:3E:2F:DF:A6:03:4E:F6:41:76:25:D8:78:9A:CF:0F:E4";

static void test_fingerprint(void)
{
    uint8_t want[ES_SHA256_LEN], got[ES_SHA256_LEN], plain[ES_SHA256_LEN];
    g_assert_true(es_fingerprint_parse(FP, want));
    g_assert_true(es_fingerprint_parse("79018e2c067e65cd351f47326331"
                                       "46343e2fdfa6034ef6417625d8789acf0fe4",
                                       plain));
    g_assert_cmpmem(want, sizeof want, plain, sizeof plain);
    char *back = es_fingerprint_format(want);
    g_assert_cmpstr(back, ==, FP);
    g_free(back);
    g_assert_true(es_pem_sha256(PEM, got));
    g_assert_cmpmem(want, sizeof want, got, sizeof got);
    g_assert_false(es_pem_sha256("-----BEGIN CERTIFICATE-----\n", got));
    g_assert_false(es_pem_sha256("no certificate", got));
    static const char *const bad[] = {"", "79:01", "zz018e2c067e65cd351f4732633146343e2fdfa6034ef6417625d8789acf0fe4",
                                      "79018e2c067e65cd351f4732633146343e2fdfa6034ef6417625d8789acf0fe400"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(es_fingerprint_parse(bad[i], plain));
}

static void test_loopback(void)
{
    static const char *const local[] = {
        "http://localhost:9200",
        "http://LOCALHOST",
        "https://127.0.0.1:9200/",
        "http://127.1.2.3",
        "http://[::1]:9200",
        "http://user@127.0.0.1:9200",
        "http://[::ffff:127.0.0.1]:1",
    };
    static const char *const remote[] = {
        "http://localhost.evil.example:9200",
        "http://127.0.0.1.evil.example",
        "http://10.213.13.2:19805",
        "http://[::2]:9200",
        "http://127.0.0.1@evil.example/",
        "http://h",
        "nohost",
        "http://:9200",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(local); i++)
        g_assert_true(es_url_is_loopback(local[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(remote); i++)
        g_assert_false(es_url_is_loopback(remote[i]));
    char *host = es_url_host("https://u:p@[2001:db8::1]:9200/x");
    g_assert_cmpstr(host, ==, "2001:db8::1");
    g_free(host);
    g_assert_true(es_url_has_userinfo("https://u:p@h:1"));
    g_assert_true(es_url_has_userinfo("u:p@h:1"));
    g_assert_false(es_url_has_userinfo("https://h:1/path@x"));
}

static void test_redact(void)
{
    char **forms = es_secret_forms("elastic", "hunter2", "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
    /* password, base64 user:password, the key and its secret part */
    g_assert_cmpuint(g_strv_length(forms), ==, 4);
    g_assert_cmpstr(forms[1], ==, "ZWxhc3RpYzpodW50ZXIy");
    g_assert_cmpstr(forms[3], ==, "ui2lp2axTNmsyakw9tvNnw");
    GString *t = g_string_new("pw hunter2, hdr ZWxhc3RpYzpodW50ZXIy, key ui2lp2axTNmsyakw9tvNnw hunter2");
    g_string_insert_c(t, 2, '\0'); /* a NUL does not hide what follows */
    es_redact(t, forms);
    g_assert_null(memmem(t->str, t->len, "hunter2", 7));
    g_assert_null(memmem(t->str, t->len, "ui2lp2", 6));
    g_assert_nonnull(strstr(t->str + 3, "[redacted], hdr [redacted], key [redacted] [redacted]"));
    g_string_free(t, TRUE);
    g_strfreev(forms);
    forms = es_secret_forms("", "", "");
    g_assert_null(forms[0]);
    g_strfreev(forms);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/secrets/cloud-id", test_cloud_id);
    g_test_add_func("/secrets/api-key", test_api_key);
    g_test_add_func("/secrets/parse", test_secrets_parse);
    g_test_add_func("/secrets/file", test_secrets_file);
    g_test_add_func("/secrets/fingerprint", test_fingerprint);
    g_test_add_func("/secrets/loopback", test_loopback);
    g_test_add_func("/secrets/redact", test_redact);
    return g_test_run();
}
