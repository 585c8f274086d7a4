/* Unit tests of the on-disk spool.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "spool.h"

static es_batch *batch_of(const char *tag, unsigned n)
{
    es_batch *b = es_batch_new(1024, 1 << 20);
    for (unsigned i = 0; i < n; i++) {
        char *item = g_strdup_printf("{\"create\":{\"_id\":\"%s-%u\"}}\n{\"n\":%u}\n", tag, i, i);
        g_assert_true(es_batch_append(b, item, strlen(item)));
        g_free(item);
    }
    return b;
}

static char *first_id(const es_batch *b)
{
    const char *p;
    size_t len;
    es_batch_item(b, 0, &p, &len);
    return g_strndup(p, len);
}

/* Oldest first; a released file comes back before newer ones; a file done
 * is gone; a second opening finds what is left, in order, and appends after. */
static void test_order(void)
{
    char *dir = g_dir_make_tmp("es-spool-XXXXXX", NULL);
    char *err = NULL;
    es_spool *sp = es_spool_open(dir, 1 << 20, &err);
    g_assert_nonnull(sp);
    for (unsigned i = 0; i < 3; i++) {
        char tag[8];
        g_snprintf(tag, sizeof tag, "b%u", i);
        es_batch *b = batch_of(tag, i + 1);
        g_assert_true(es_spool_put(sp, b));
        es_batch_free(b);
    }
    g_assert_cmpuint(es_spool_files(sp), ==, 3);
    g_assert_cmpuint(es_spool_docs(sp), ==, 6);
    es_batch *a = es_spool_take(sp, 0);
    g_assert_cmpuint(a->n_items, ==, 1);
    char *id = first_id(a);
    g_assert_nonnull(strstr(id, "b0-0"));
    g_free(id);
    es_batch *b = es_spool_take(sp, 0);
    g_assert_cmpuint(b->n_items, ==, 2);
    es_spool_release(sp, a->spool_id); /* not delivered: first again */
    es_spool_done(sp, b->spool_id);    /* delivered: gone */
    es_batch_free(a);
    es_batch_free(b);
    g_assert_true(es_spool_pending(sp));
    g_assert_cmpuint(es_spool_docs(sp), ==, 4);
    es_spool_close(sp);

    sp = es_spool_open(dir, 1 << 20, &err);
    g_assert_cmpuint(es_spool_files(sp), ==, 2);
    es_batch *later = batch_of("b3", 1);
    g_assert_true(es_spool_put(sp, later));
    es_batch_free(later);
    const char *want[] = {"b0-0", "b2-0", "b3-0"};
    for (unsigned i = 0; i < 3; i++) {
        es_batch *t = es_spool_take(sp, 0);
        g_assert_nonnull(t);
        id = first_id(t);
        g_assert_nonnull(strstr(id, want[i]));
        g_free(id);
        es_spool_done(sp, t->spool_id);
        es_batch_free(t);
    }
    g_assert_null(es_spool_take(sp, 0));
    g_assert_false(es_spool_pending(sp));
    g_assert_cmpuint(es_spool_files(sp), ==, 0);
    es_spool_close(sp);
    g_rmdir(dir);
    g_free(dir);
}

/* The limit: a batch that would pass it is refused, nothing half-written. */
static void test_limit(void)
{
    char *dir = g_dir_make_tmp("es-spool-XXXXXX", NULL);
    char *err = NULL;
    es_batch *b = batch_of("x", 4);
    es_spool *sp = es_spool_open(dir, b->body.len * 2, &err);
    g_assert_true(es_spool_put(sp, b));
    g_assert_true(es_spool_put(sp, b));
    g_assert_false(es_spool_put(sp, b));
    g_assert_cmpuint(es_spool_files(sp), ==, 2);
    GDir *d = g_dir_open(dir, 0, NULL);
    unsigned n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    g_assert_cmpuint(n, ==, 2);
    es_batch_free(b);
    es_spool_close(sp);
    g_free(dir);
}

static void test_unusable_dir(void)
{
    char *err = NULL;
    g_assert_null(es_spool_open("/proc/no/such/dir", 1024, &err));
    g_assert_nonnull(strstr(err, "/proc/no/such/dir"));
    g_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spool/order", test_order);
    g_test_add_func("/spool/limit", test_limit);
    g_test_add_func("/spool/unusable-dir", test_unusable_dir);
    return g_test_run();
}
