/* Unit tests of the dead-letter file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "deadletter.h"

static char *make_dir(void)
{
    char *dir = g_dir_make_tmp("es-dead-XXXXXX", NULL);
    g_assert_nonnull(dir);
    return dir;
}

static char *only_file(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name = g_dir_read_name(d);
    g_assert_nonnull(name);
    char *path = g_build_filename(dir, name, NULL);
    g_assert_null(g_dir_read_name(d));
    g_dir_close(d);
    return path;
}

/* One line per document: the error, the action and the document as they
 * were, the file created only when something is written. */
static void test_lines(void)
{
    char *dir = make_dir();
    char *sub = g_build_filename(dir, "a", "b", NULL);
    es_deadletter *d = es_deadletter_new(sub, 1 << 20);
    g_assert_null(es_deadletter_path(d));
    g_assert_false(g_file_test(sub, G_FILE_TEST_EXISTS));
    const char *item = "{\"create\":{\"_index\":\"p\",\"_id\":\"x-1\"}}\n{\"ip.src\":\"10.0.0.1\",\"s\":\"a\\\"b\"}\n";
    g_assert_true(es_deadletter_add(d, item, strlen(item), 400, "document_parsing_exception", "bad \"field\""));
    g_assert_true(es_deadletter_add(d, item, strlen(item), 0, NULL, NULL));
    g_assert_false(es_deadletter_add(d, "no newline", 10, 400, "x", "y"));
    g_assert_cmpuint(es_deadletter_written(d), ==, 2);
    g_assert_cmpuint(es_deadletter_lost(d), ==, 1);
    char *path = only_file(sub);
    g_assert_cmpstr(path, ==, es_deadletter_path(d));
    char *text;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_cmpstr(lines[2], ==, "");
    JsonParser *p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, lines[0], -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    JsonObject *err = json_object_get_object_member(o, "error");
    g_assert_cmpint(json_object_get_int_member(err, "status"), ==, 400);
    g_assert_cmpstr(json_object_get_string_member(err, "reason"), ==, "bad \"field\"");
    JsonObject *doc = json_object_get_object_member(o, "document");
    g_assert_cmpstr(json_object_get_string_member(doc, "s"), ==, "a\"b");
    JsonObject *act = json_object_get_object_member(json_object_get_object_member(o, "action"), "create");
    g_assert_cmpstr(json_object_get_string_member(act, "_id"), ==, "x-1");
    g_object_unref(p);
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    es_deadletter_free(d);
    g_free(sub);
    g_free(dir);
}

/* The size limit: what would pass it is counted, not written. */
static void test_limit(void)
{
    char *dir = make_dir();
    es_deadletter *d = es_deadletter_new(dir, 200);
    const char *item = "{\"create\":{\"_id\":\"x-1\"}}\n{\"a\":1}\n";
    unsigned ok = 0;
    for (int i = 0; i < 10; i++)
        ok += es_deadletter_add(d, item, strlen(item), 400, "t", "r");
    g_assert_cmpuint(ok, >, 0);
    g_assert_cmpuint(ok, <, 10);
    g_assert_cmpuint(es_deadletter_written(d) + es_deadletter_lost(d), ==, 10);
    GStatBuf st;
    g_assert_cmpint(g_stat(es_deadletter_path(d), &st), ==, 0);
    g_assert_cmpint(st.st_size, <=, 200);
    es_deadletter_free(d);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/deadletter/lines", test_lines);
    g_test_add_func("/deadletter/limit", test_limit);
    return g_test_run();
}
