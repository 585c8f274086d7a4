/* test_bulk.c — batches, the batcher's sealing rules, the bounded queue.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "bulk.h"
#include "queue.h"

#define ITEM "{\"create\":{\"_id\":\"x\"}}\n{\"a\":1}\n"

static es_batcher_limits limits(size_t bytes, unsigned docs, int64_t age_us)
{
    es_batcher_limits l = {.max_bytes = bytes, .max_docs = docs, .max_age_us = age_us, .max_item = 1024};
    return l;
}

static void test_batch_items(void)
{
    es_batch *b = es_batch_new(16, 1024);
    g_assert_true(es_batch_append(b, "one\n", 4));
    g_assert_true(es_batch_append(b, "two2\n", 5));
    g_assert_cmpuint(b->n_items, ==, 2);
    const char *p;
    size_t len;
    es_batch_item(b, 1, &p, &len);
    g_assert_cmpuint(len, ==, 5);
    g_assert_cmpint(memcmp(p, "two2\n", 5), ==, 0);
    g_assert_false(es_batch_append(b, p, 2000)); /* over the limit: unchanged */
    g_assert_cmpuint(b->n_items, ==, 2);
    g_assert_cmpuint(b->body.len, ==, 9);
    es_batch_free(b);
}

static void test_seal_by_docs(void)
{
    es_queue *q = es_queue_new(10, es_batch_free);
    es_batcher_limits l = limits(1 << 20, 3, G_USEC_PER_SEC);
    es_batcher *bt = es_batcher_new(&l, q);
    unsigned lost = 0;
    for (int i = 0; i < 7; i++)
        g_assert_cmpint(es_batcher_add(bt, ITEM, strlen(ITEM), 0, INT64_MAX, &lost), ==,
                        i % 3 == 2 ? ES_ADD_QUEUED : ES_ADD_OK);
    g_assert_cmpuint(es_queue_length(q), ==, 2);
    es_batch *b = es_queue_pop(q, 0);
    g_assert_cmpuint(b->n_items, ==, 3);
    es_batch_free(b);
    es_batch *rest = es_batcher_take(bt, 0, true);
    g_assert_nonnull(rest);
    g_assert_cmpuint(rest->n_items, ==, 1);
    es_batch_free(rest);
    g_assert_null(es_batcher_take(bt, 0, true));
    g_assert_cmpuint(lost, ==, 0);
    es_batcher_free(bt);
    es_queue_free(q);
}

static void test_seal_by_bytes(void)
{
    es_queue *q = es_queue_new(10, es_batch_free);
    size_t n = strlen(ITEM);
    es_batcher_limits l = limits(n * 2 + n / 2, 1000, G_USEC_PER_SEC);
    es_batcher *bt = es_batcher_new(&l, q);
    unsigned lost = 0;
    for (int i = 0; i < 5; i++)
        es_batcher_add(bt, ITEM, n, 0, INT64_MAX, &lost);
    /* two fit in 2.5 items' bytes; the third starts a new batch */
    g_assert_cmpuint(es_queue_length(q), ==, 2);
    es_batch *b = es_queue_pop(q, 0);
    g_assert_cmpuint(b->n_items, ==, 2);
    g_assert_cmpuint(b->body.len, <=, l.max_bytes);
    es_batch_free(b);
    es_batcher_free(bt);
    es_queue_free(q);
}

static void test_seal_by_age(void)
{
    es_queue *q = es_queue_new(10, es_batch_free);
    es_batcher_limits l = limits(1 << 20, 1000, 1000);
    es_batcher *bt = es_batcher_new(&l, q);
    unsigned lost = 0;
    es_batcher_add(bt, ITEM, strlen(ITEM), 100, INT64_MAX, &lost);
    g_assert_null(es_batcher_take(bt, 600, false)); /* too young */
    es_batch *b = es_batcher_take(bt, 1100, false);
    g_assert_nonnull(b);
    es_batch_free(b);
    /* an add that finds the current batch too old seals it first */
    es_batcher_add(bt, ITEM, strlen(ITEM), 2000, INT64_MAX, &lost);
    es_batcher_add(bt, ITEM, strlen(ITEM), 3500, INT64_MAX, &lost);
    g_assert_cmpuint(es_queue_length(q), ==, 1);
    es_batcher_free(bt);
    es_queue_free(q);
}

static void test_too_large(void)
{
    es_queue *q = es_queue_new(1, es_batch_free);
    es_batcher_limits l = limits(1 << 20, 1000, G_USEC_PER_SEC);
    es_batcher *bt = es_batcher_new(&l, q);
    char big[2048];
    memset(big, 'x', sizeof big);
    unsigned lost = 0;
    g_assert_cmpint(es_batcher_add(bt, big, sizeof big, 0, INT64_MAX, &lost), ==, ES_ADD_TOO_LARGE);
    g_assert_null(es_batcher_take(bt, 0, true));
    es_batcher_free(bt);
    es_queue_free(q);
}

static void test_full_queue_deadline(void)
{
    es_queue *q = es_queue_new(1, es_batch_free);
    es_batcher_limits l = limits(1 << 20, 1, G_USEC_PER_SEC);
    es_batcher *bt = es_batcher_new(&l, q);
    unsigned lost = 0;
    g_assert_cmpint(es_batcher_add(bt, ITEM, strlen(ITEM), 0, INT64_MAX, &lost), ==, ES_ADD_QUEUED);
    int64_t deadline = g_get_monotonic_time() + 20000;
    g_assert_cmpint(es_batcher_add(bt, ITEM, strlen(ITEM), 0, deadline, &lost), ==, ES_ADD_CLOSED);
    g_assert_cmpuint(lost, ==, 1);
    g_assert_cmpint(g_get_monotonic_time(), >=, deadline);
    es_batcher_free(bt);
    es_queue_free(q);
}

static gpointer consumer(gpointer data)
{
    es_queue *q = data;
    uintptr_t sum = 0;
    void *item;
    while ((item = es_queue_pop(q, INT64_MAX)))
        sum += (uintptr_t)item;
    return (gpointer)sum;
}

static void test_queue_threads(void)
{
    es_queue *q = es_queue_new(3, NULL);
    GThread *t = g_thread_new("consumer", consumer, q);
    uintptr_t expect = 0;
    for (uintptr_t i = 1; i <= 10000; i++) {
        g_assert_true(es_queue_push(q, (void *)i, INT64_MAX));
        g_assert_cmpuint(es_queue_length(q), <=, 3);
        expect += i;
    }
    es_queue_close(q);
    g_assert_cmpuint((uintptr_t)g_thread_join(t), ==, expect);
    g_assert_false(es_queue_push(q, (void *)1, INT64_MAX));
    es_queue_free(q);
}

static void free_counted(void *item)
{
    (*(int *)item)++;
}

static void test_queue_free_items(void)
{
    int freed = 0;
    es_queue *q = es_queue_new(4, free_counted);
    es_queue_push(q, &freed, INT64_MAX);
    es_queue_push(q, &freed, INT64_MAX);
    es_queue_free(q);
    g_assert_cmpint(freed, ==, 2);
}

static void test_queue_kick(void)
{
    es_queue *q = es_queue_new(2, NULL);
    es_queue_kick(q);
    g_assert_null(es_queue_pop(q, INT64_MAX)); /* returns at once */
    es_queue_push(q, (void *)7, INT64_MAX);
    g_assert_cmpuint((uintptr_t)es_queue_pop(q, INT64_MAX), ==, 7);
    es_queue_free(q);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bulk/batch-items", test_batch_items);
    g_test_add_func("/bulk/seal-by-docs", test_seal_by_docs);
    g_test_add_func("/bulk/seal-by-bytes", test_seal_by_bytes);
    g_test_add_func("/bulk/seal-by-age", test_seal_by_age);
    g_test_add_func("/bulk/too-large", test_too_large);
    g_test_add_func("/bulk/full-queue-deadline", test_full_queue_deadline);
    g_test_add_func("/queue/threads", test_queue_threads);
    g_test_add_func("/queue/free-items", test_queue_free_items);
    g_test_add_func("/queue/kick", test_queue_kick);
    return g_test_run();
}
