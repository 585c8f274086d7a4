/* test_jsonw.c — the JSON writer: escaping, numbers, arrays, state checks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "jsonw.h"

typedef struct fixture {
    esbuf out;
    jsonw w;
} fixture;

static void setup(fixture *f, size_t limit)
{
    esbuf_init(&f->out, 16, limit);
    jw_init(&f->w, &f->out);
}

static void check_string(const char *in, size_t len, const char *expected)
{
    fixture f;
    setup(&f, 1 << 20);
    jw_string(&f.w, in, len);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, expected);
    esbuf_free(&f.out);
}

static void test_escape(void)
{
    check_string("plain", 5, "\"plain\"");
    check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    check_string("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    check_string("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    check_string("a\0b", 3, "\"a\\u0000b\"");
    check_string("</script>", 9, "\"</script>\"");
}

/* One byte that must be escaped (or a UTF-8 sequence) at every position of
 * strings across the 8-byte words jw_string() scans at a time. */
static void test_escape_positions(void)
{
    static const struct {
        const char *in, *out;
    } specials[] = {{"\"", "\\\""}, {"\\", "\\\\"}, {"\x1f", "\\u001f"}, {"\x7f", "\x7f"}, {" ", " "}, {"\xc3\xa9", "\xc3\xa9"}, {"\xff", "\xef\xbf\xbd"}};
    for (size_t len = 1; len <= 24; len++)
        for (size_t at = 0; at < len; at++)
            for (size_t i = 0; i < G_N_ELEMENTS(specials); i++) {
                GString *in = g_string_new(NULL), *out = g_string_new("\"");
                for (size_t j = 0; j < len; j++) {
                    g_string_append(in, j == at ? specials[i].in : "x");
                    g_string_append(out, j == at ? specials[i].out : "x");
                }
                g_string_append_c(out, '"');
                check_string(in->str, in->len, out->str);
                g_string_free(in, TRUE);
                g_string_free(out, TRUE);
            }
}

static void test_utf8(void)
{
    check_string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15,
                 "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* invalid: lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF */
    check_string("\x80", 1, "\"\xef\xbf\xbd\"");
    check_string("a\xc3", 2, "\"a\xef\xbf\xbd\"");
    check_string("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xff", 1, "\"\xef\xbf\xbd\"");
}

static void test_numbers(void)
{
    fixture f;
    setup(&f, 1 << 20);
    jw_begin_array(&f.w);
    jw_uint(&f.w, 0);
    jw_uint(&f.w, UINT64_MAX);
    jw_int(&f.w, INT64_MIN);
    jw_int(&f.w, -1);
    jw_double(&f.w, 1.0);
    jw_double(&f.w, 0.1);
    jw_double(&f.w, 1e300);
    jw_double(&f.w, NAN);
    jw_double(&f.w, INFINITY);
    jw_fixed9(&f.w, false, 12, 345);
    jw_fixed9(&f.w, true, 0, 500000000);
    jw_fixed9(&f.w, false, 7, 0);
    jw_fixed9(&f.w, false, 0, 1);
    jw_fixed9(&f.w, false, 1, 999999999);
    jw_fixed9(&f.w, false, 2, 100000000);
    jw_fixed9(&f.w, false, 3, 10);
    jw_bool(&f.w, true);
    jw_null(&f.w);
    jw_end_array(&f.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==,
                    "[0,18446744073709551615,-9223372036854775808,-1,1.0,0.1,1e+300,null,null,"
                    "12.000000345,-0.5,7.0,0.000000001,1.999999999,2.1,3.00000001,true,null]");
    esbuf_free(&f.out);
}

static void test_double_roundtrip(void)
{
    double vals[] = {0.1 + 0.2, 1.0 / 3, 123456789.123456789, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
        fixture f;
        setup(&f, 1 << 10);
        jw_double(&f.w, vals[i]);
        g_assert_true(jw_finish(&f.w));
        g_assert_cmpfloat(g_ascii_strtod(f.out.data, NULL), ==, vals[i]);
        esbuf_free(&f.out);
    }
}

static void test_object(void)
{
    fixture f;
    setup(&f, 1 << 20);
    jw_begin_object(&f.w);
    jw_key(&f.w, "ip.src");
    jw_string(&f.w, "10.0.0.1", 8);
    jw_key_encoded(&f.w, "\"tcp.port\"", 10);
    jw_begin_array(&f.w);
    jw_uint(&f.w, 80);
    jw_uint(&f.w, 443);
    jw_end_array(&f.w);
    jw_key(&f.w, "raw");
    jw_base64(&f.w, (const uint8_t *)"\x00\xff\x10\x20", 4);
    jw_key(&f.w, "hex");
    jw_hex(&f.w, (const uint8_t *)"\x00\xab", 2);
    jw_key(&f.w, "k\"q");
    jw_begin_object(&f.w);
    jw_end_object(&f.w);
    jw_end_object(&f.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==,
                    "{\"ip.src\":\"10.0.0.1\",\"tcp.port\":[80,443],\"raw\":\"AP8QIA==\","
                    "\"hex\":\"00ab\",\"k\\\"q\":{}}");
    esbuf_free(&f.out);
}

static void test_base64_lengths(void)
{
    const char *expect[] = {"\"\"", "\"YQ==\"", "\"YWI=\"", "\"YWJj\"", "\"YWJjZA==\""};
    for (size_t n = 0; n < G_N_ELEMENTS(expect); n++) {
        fixture f;
        setup(&f, 64);
        jw_base64(&f.w, (const uint8_t *)"abcd", n);
        g_assert_true(jw_finish(&f.w));
        g_assert_cmpstr(f.out.data, ==, expect[n]);
        esbuf_free(&f.out);
    }
}

/* Every byte value in every position of a group, against GLib's encoder. */
static void test_base64_glib(void)
{
    uint8_t bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 7 + i / 256);
    for (size_t len = 0; len <= sizeof bytes; len += len < 16 ? 1 : 37) {
        fixture f;
        setup(&f, 1024);
        jw_base64(&f.w, bytes, len);
        g_assert_true(jw_finish(&f.w));
        gchar *want = g_base64_encode(bytes, len);
        g_assert_cmpuint(f.out.len, ==, strlen(want) + 2);
        g_assert_cmpmem(f.out.data + 1, f.out.len - 2, want, strlen(want));
        g_free(want);
        esbuf_free(&f.out);
    }
}

static void test_misuse(void)
{
    fixture f;
    /* value where a key is expected */
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_uint(&f.w, 1);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
    /* key outside an object */
    setup(&f, 1 << 10);
    jw_begin_array(&f.w);
    jw_key(&f.w, "x");
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
    /* mismatched close */
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_end_array(&f.w);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
    /* unfinished, and two top-level values */
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_uint(&f.w, 1);
    jw_uint(&f.w, 2);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "1");
    esbuf_free(&f.out);
    /* key missing its value */
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "a");
    jw_end_object(&f.w);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
}

static void test_depth(void)
{
    fixture f;
    setup(&f, 1 << 10);
    for (int i = 0; i < JW_MAX_DEPTH + 1; i++)
        jw_begin_array(&f.w);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
}

/* jw_member_uint/bool write what jw_key_encoded and a value call write, and
 * are checked the same way. */
static void test_members(void)
{
    fixture f, g;
    setup(&f, 1 << 10);
    setup(&g, 1 << 10);
    jw_begin_object(&f.w);
    jw_member_uint(&f.w, "\"a\"", 3, 0);
    jw_member_bool(&f.w, "\"b\"", 3, true);
    jw_member_uint(&f.w, "\"c\"", 3, UINT64_MAX);
    jw_member_bool(&f.w, "\"d\"", 3, false);
    jw_end_object(&f.w);
    jw_begin_object(&g.w);
    jw_key_encoded(&g.w, "\"a\"", 3);
    jw_uint(&g.w, 0);
    jw_key_encoded(&g.w, "\"b\"", 3);
    jw_bool(&g.w, true);
    jw_key_encoded(&g.w, "\"c\"", 3);
    jw_uint(&g.w, UINT64_MAX);
    jw_key_encoded(&g.w, "\"d\"", 3);
    jw_bool(&g.w, false);
    jw_end_object(&g.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{\"a\":0,\"b\":true,\"c\":18446744073709551615,\"d\":false}");
    g_assert_cmpstr(f.out.data, ==, g.out.data);
    g_assert_cmpuint(f.out.len, ==, strlen(f.out.data));
    esbuf_free(&f.out);
    esbuf_free(&g.out);
    /* a member in an array, or after a key, is misuse */
    setup(&f, 1 << 10);
    jw_begin_array(&f.w);
    jw_member_bool(&f.w, "\"a\"", 3, true);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "[");
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "a");
    jw_member_uint(&f.w, "\"b\"", 3, 1);
    g_assert_false(jw_finish(&f.w));
    esbuf_free(&f.out);
    /* past the buffer's limit nothing is half-written */
    setup(&f, 12);
    jw_begin_object(&f.w);
    jw_member_uint(&f.w, "\"abc\"", 5, 1);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{");
    esbuf_free(&f.out);
}

static void test_limit(void)
{
    fixture f;
    setup(&f, 8);
    jw_string(&f.w, "0123456789", 10);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpuint(f.out.len, <=, 8);
    esbuf_free(&f.out);
}

/* Pre-encoded members go where the next member would, comma or not. */
static void test_members_encoded(void)
{
    fixture f;
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_members_encoded(&f.w, "\"a\":1,\"b\":\"x\"", 13);
    jw_member_uint(&f.w, "\"c\"", 3, 2);
    jw_members_encoded(&f.w, "\"d\":true", 8);
    jw_end_object(&f.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{\"a\":1,\"b\":\"x\",\"c\":2,\"d\":true}");
    esbuf_free(&f.out);
    /* in an array, or after a key, they are misuse and write nothing */
    setup(&f, 1 << 10);
    jw_begin_array(&f.w);
    jw_members_encoded(&f.w, "\"a\":1", 5);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "[");
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "k");
    jw_members_encoded(&f.w, "\"a\":1", 5);
    g_assert_false(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{\"k\":");
    esbuf_free(&f.out);
}

/* An object's members copied out, braces left off; none from a writer that
 * did not finish. */
static void test_members_of(void)
{
    fixture f;
    size_t len = 99;
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "a");
    jw_string(&f.w, "x}", 2);
    jw_member_uint(&f.w, "\"b\"", 3, 7);
    jw_end_object(&f.w);
    char *m = jw_members_of(&f.w, &len);
    g_assert_cmpstr(m, ==, "\"a\":\"x}\",\"b\":7");
    g_assert_cmpuint(len, ==, strlen(m));
    g_free(m);
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_end_object(&f.w);
    m = jw_members_of(&f.w, &len);
    g_assert_cmpstr(m, ==, "");
    g_assert_cmpuint(len, ==, 0);
    g_free(m);
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "a");
    g_assert_null(jw_members_of(&f.w, &len));
    esbuf_free(&f.out);
    setup(&f, 1 << 10);
    jw_begin_array(&f.w);
    jw_end_array(&f.w);
    g_assert_null(jw_members_of(&f.w, &len));
    esbuf_free(&f.out);
}

static void test_rollback(void)
{
    fixture f;
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_key(&f.w, "a");
    jw_uint(&f.w, 1);
    jw_mark m;
    jw_save(&f.w, &m);
    jw_key(&f.w, "b");
    jw_begin_array(&f.w);
    jw_uint(&f.w, 2);
    jw_rollback(&f.w, &m);
    jw_key(&f.w, "c");
    jw_bool(&f.w, false);
    jw_end_object(&f.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{\"a\":1,\"c\":false}");
    esbuf_free(&f.out);

    /* rolling back the first member leaves no stray comma */
    setup(&f, 1 << 10);
    jw_begin_object(&f.w);
    jw_save(&f.w, &m);
    jw_key(&f.w, "x");
    jw_rollback(&f.w, &m);
    jw_key(&f.w, "y");
    jw_uint(&f.w, 3);
    jw_end_object(&f.w);
    g_assert_true(jw_finish(&f.w));
    g_assert_cmpstr(f.out.data, ==, "{\"y\":3}");
    esbuf_free(&f.out);
}

/* es_fmt_u64() writes what printf() does. */
static void assert_fmt_u64(uint64_t v)
{
    char buf[21];
    size_t n = es_fmt_u64(buf, v);
    buf[n] = '\0';
    char *expect = g_strdup_printf("%" G_GUINT64_FORMAT, v);
    g_assert_cmpstr(buf, ==, expect);
    g_free(expect);
}

static void test_fmt_u64(void)
{
    uint64_t vals[] = {0, 9, 10, 99, 100, 101,
                       999, 1000, 12345, 4294967295u, 4294967296u, UINT64_MAX, UINT64_MAX - 1,
                       10000000000000000000u, 9999999999999999999u, 1000000000000000000u};
    for (size_t i = 0; i < G_N_ELEMENTS(vals); i++)
        assert_fmt_u64(vals[i]);
    /* every length, at both of its ends */
    for (uint64_t p = 10; p <= UINT64_MAX / 10; p *= 10) {
        assert_fmt_u64(p - 1);
        assert_fmt_u64(p);
        assert_fmt_u64(p + 1);
        assert_fmt_u64(p * 10 - 1);
    }
}

static void test_encode_key(void)
{
    size_t len;
    char *k = jw_encode_key("ip.src", &len);
    g_assert_cmpstr(k, ==, "\"ip.src\"");
    g_assert_cmpuint(len, ==, 8);
    g_free(k);
    k = jw_encode_key("a\"b\\c\x01", &len);
    g_assert_cmpstr(k, ==, "\"a\\\"b\\\\c\\u0001\"");
    g_assert_cmpuint(len, ==, strlen(k));
    /* Written with jw_key_encoded, it is the member jw_key writes. */
    esbuf a, b;
    jsonw w;
    esbuf_init(&a, 64, 4096);
    esbuf_init(&b, 64, 4096);
    jw_init(&w, &a);
    jw_begin_object(&w);
    jw_key_encoded(&w, k, len);
    jw_uint(&w, 1);
    jw_end_object(&w);
    jw_init(&w, &b);
    jw_begin_object(&w);
    jw_key(&w, "a\"b\\c\x01");
    jw_uint(&w, 1);
    jw_end_object(&w);
    g_assert_cmpstr(a.data, ==, b.data);
    esbuf_free(&a);
    esbuf_free(&b);
    g_free(k);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jsonw/encode-key", test_encode_key);
    g_test_add_func("/jsonw/escape", test_escape);
    g_test_add_func("/jsonw/escape-positions", test_escape_positions);
    g_test_add_func("/jsonw/utf8", test_utf8);
    g_test_add_func("/jsonw/numbers", test_numbers);
    g_test_add_func("/jsonw/double-roundtrip", test_double_roundtrip);
    g_test_add_func("/jsonw/object", test_object);
    g_test_add_func("/jsonw/base64", test_base64_lengths);
    g_test_add_func("/jsonw/base64-glib", test_base64_glib);
    g_test_add_func("/jsonw/misuse", test_misuse);
    g_test_add_func("/jsonw/depth", test_depth);
    g_test_add_func("/jsonw/limit", test_limit);
    g_test_add_func("/jsonw/members", test_members);
    g_test_add_func("/jsonw/members-encoded", test_members_encoded);
    g_test_add_func("/jsonw/members-of", test_members_of);
    g_test_add_func("/jsonw/rollback", test_rollback);
    g_test_add_func("/buf/fmt-u64", test_fmt_u64);
    return g_test_run();
}
