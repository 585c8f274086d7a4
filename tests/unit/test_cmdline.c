/* test_cmdline.c — -X es.* parsing and the capture source from argv.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "capid.h"
#include "cmdline.h"

static void test_xopts(void)
{
    char *argv[] = {"tshark", "-r", "f.pcap", "-X", "es.node=host:9200", "-Xes.index:idx-%Y",
                    "-X", "lua_script:x.lua", "-X", "es.raw=false", "-q", NULL};
    GPtrArray *o = es_cmdline_xopts(argv);
    g_assert_cmpuint(o->len, ==, 3);
    es_xopt *x = o->pdata[0];
    g_assert_cmpstr(x->name, ==, "node");
    g_assert_cmpstr(x->value, ==, "host:9200");
    x = o->pdata[1];
    g_assert_cmpstr(x->name, ==, "index");
    g_assert_cmpstr(x->value, ==, "idx-%Y");
    x = o->pdata[2];
    g_assert_cmpstr(x->name, ==, "raw");
    g_assert_cmpstr(x->value, ==, "false");
    es_xopts_free(o);

    char *colon[] = {"tshark", "-X", "es.node:http://h:9200", NULL};
    o = es_cmdline_xopts(colon);
    x = o->pdata[0];
    g_assert_cmpstr(x->name, ==, "node");
    g_assert_cmpstr(x->value, ==, "http://h:9200");
    es_xopts_free(o);
}

static void test_sets_node(void)
{
    char *a[] = {"tshark", "-o", "es.node:h:9200", NULL};
    char *b[] = {"tshark", "-X", "es.node=h", NULL};
    char *c[] = {"tshark", "-o", "es.index:x", "-X", "es.nodes=1", NULL};
    g_assert_true(es_cmdline_sets_node(a));
    g_assert_true(es_cmdline_sets_node(b));
    g_assert_false(es_cmdline_sets_node(c));
}

static void test_source(void)
{
    bool is_file;
    char *a[] = {"tshark", "-n", "-Y", "-r x", "-r", "/tmp/a.pcap", NULL};
    char *s = es_cmdline_source(a, &is_file);
    g_assert_cmpstr(s, ==, "/tmp/a.pcap");
    g_assert_true(is_file);
    g_free(s);
    char *b[] = {"tshark", "-i", "lo", "-ieth0", "-X", "es.node=h:1", NULL};
    s = es_cmdline_source(b, &is_file);
    g_assert_cmpstr(s, ==, "lo,eth0");
    g_assert_false(is_file);
    g_free(s);
    char *c[] = {"wireshark", NULL};
    g_assert_null(es_cmdline_source(c, &is_file));
    g_assert_true(es_cmdline_is_gui(c));
    g_assert_false(es_cmdline_is_gui(a));
}

/* A program started with no arguments at all (argv holds only NULL), or
 * ending in an option without its argument (both found by fuzz_cmdline). */
static void test_no_arguments(void)
{
    char *argv[] = {NULL};
    GPtrArray *opts = es_cmdline_xopts(argv);
    g_assert_cmpuint(opts->len, ==, 0);
    es_xopts_free(opts);
    g_assert_false(es_cmdline_sets_node(argv));
    bool is_file = true;
    g_assert_null(es_cmdline_source(argv, &is_file));
    g_assert_false(es_cmdline_is_gui(argv));
    /* An option that takes an argument, last, without it. */
    char *trailing[] = {"tshark", "-r", "f.pcap", "-Y", NULL};
    char *src = es_cmdline_source(trailing, &is_file);
    g_assert_cmpstr(src, ==, "f.pcap");
    g_free(src);
}

static void test_quiet(void)
{
    char *a[] = {"tshark", "-r", "x.pcap", "-q", NULL};
    char *b[] = {"tshark", "-nQ", "-r", "x.pcap", NULL};
    char *c[] = {"tshark", "-r", "-q", "-Y", "ip", NULL}; /* a file named -q */
    char *d[] = {"tshark", "-X", "es.node=h", "-rq.pcap", "-o", "x:-q", NULL};
    char *e[] = {"tshark", "--", "-q", NULL};
    g_assert_true(es_cmdline_quiet(a));
    g_assert_true(es_cmdline_quiet(b));
    g_assert_false(es_cmdline_quiet(c));
    g_assert_false(es_cmdline_quiet(d));
    g_assert_false(es_cmdline_quiet(e));
}

static void test_capid(void)
{
    char *dir = g_dir_make_tmp("capid-XXXXXX", NULL);
    char *f1 = g_build_filename(dir, "a.pcap", NULL);
    char *f2 = g_build_filename(dir, "copy.pcap", NULL);
    char *f3 = g_build_filename(dir, "other.pcap", NULL);
    GString *big = g_string_new(NULL);
    for (int i = 0; i < 300000; i++)
        g_string_append_printf(big, "%d,", i);
    g_file_set_contents(f1, big->str, (gssize)big->len, NULL);
    g_file_set_contents(f2, big->str, (gssize)big->len, NULL);
    big->str[big->len - 2] ^= 1; /* differs only in the last MiB */
    g_file_set_contents(f3, big->str, (gssize)big->len, NULL);
    char id1[ES_CAPID_LEN + 1], id2[ES_CAPID_LEN + 1], id3[ES_CAPID_LEN + 1];
    g_assert_true(es_capid_file(f1, id1));
    g_assert_true(es_capid_file(f2, id2));
    g_assert_true(es_capid_file(f3, id3));
    g_assert_cmpuint(strlen(id1), ==, ES_CAPID_LEN);
    g_assert_cmpstr(id1, ==, id2);
    g_assert_cmpstr(id1, !=, id3);
    g_assert_false(es_capid_file(dir, id3));
    char l1[ES_CAPID_LEN + 1], l2[ES_CAPID_LEN + 1];
    es_capid_live("lo", l1);
    es_capid_live("lo", l2);
    g_assert_cmpstr(l1, !=, l2);
    g_remove(f1);
    g_remove(f2);
    g_remove(f3);
    g_rmdir(dir);
    g_free(f1);
    g_free(f2);
    g_free(f3);
    g_free(dir);
    g_string_free(big, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cmdline/xopts", test_xopts);
    g_test_add_func("/cmdline/sets-node", test_sets_node);
    g_test_add_func("/cmdline/source", test_source);
    g_test_add_func("/cmdline/no-arguments", test_no_arguments);
    g_test_add_func("/cmdline/quiet", test_quiet);
    g_test_add_func("/capid/file-and-live", test_capid);
    return g_test_run();
}
