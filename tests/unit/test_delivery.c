/* test_delivery.c — the sender's decisions: what a bulk answer asks for,
 * the backoff, the halves of a batch too large, the retry queue's bound.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "delivery.h"

static void test_classify_waits(void)
{
    for (long st = 429; st <= 504; st++)
        if (st == 429 || (st >= 502 && st <= 504))
            g_assert_cmpint(es_classify_status(st, false, 10, 0), ==, ES_ANSWER_AWAY);
    /* However often it was sent: the cluster is away, not broken. */
    g_assert_cmpint(es_classify_status(503, false, 10, 99), ==, ES_ANSWER_AWAY);
    g_assert_cmpint(es_classify_status(200, false, 10, 3), ==, ES_ANSWER_OK);
}

static void test_classify_block_is_not_auth(void)
{
    /* A read-only block answers 403 or 429: waited out, never taken for
     * refused credentials. */
    g_assert_cmpint(es_classify_status(403, true, 10, 0), ==, ES_ANSWER_AWAY);
    g_assert_cmpint(es_classify_status(403, false, 10, 0), ==, ES_ANSWER_AUTH);
    g_assert_cmpint(es_classify_status(401, false, 10, 0), ==, ES_ANSWER_AUTH);
}

static void test_classify_split(void)
{
    g_assert_cmpint(es_classify_status(413, false, 2, 0), ==, ES_ANSWER_SPLIT);
    /* One document too large: halving cannot help. */
    g_assert_cmpint(es_classify_status(413, false, 1, 0), ==, ES_ANSWER_REJECT);
}

static void test_classify_server_errors(void)
{
    for (unsigned attempt = 0; attempt + 1 < ES_SERVER_ERROR_ATTEMPTS; attempt++)
        g_assert_cmpint(es_classify_status(500, false, 10, attempt), ==, ES_ANSWER_RETRY);
    g_assert_cmpint(es_classify_status(500, false, 10, ES_SERVER_ERROR_ATTEMPTS - 1), ==, ES_ANSWER_REJECT);
    g_assert_cmpint(es_classify_status(400, false, 10, 0), ==, ES_ANSWER_REJECT);
    g_assert_cmpint(es_classify_status(404, false, 10, 0), ==, ES_ANSWER_REJECT);
}

static void test_backoff_doubles_with_jitter(void)
{
    GRand *rand = g_rand_new_with_seed(7);
    for (unsigned attempt = 1; attempt <= 5; attempt++) {
        int64_t full = (int64_t)ES_BACKOFF_MIN_US << attempt;
        for (int i = 0; i < 100; i++) {
            int64_t d = es_backoff_us(attempt, 0, 3600, rand);
            g_assert_cmpint(d, >=, full / 2);
            g_assert_cmpint(d, <=, full);
        }
    }
    g_rand_free(rand);
}

static void test_backoff_capped_and_retry_after(void)
{
    GRand *rand = g_rand_new_with_seed(7);
    /* Far past the cap, and past where a 32-bit shift would overflow. */
    for (unsigned attempt = 10; attempt <= 40; attempt++) {
        int64_t d = es_backoff_us(attempt, 0, 30, rand);
        g_assert_cmpint(d, >=, 15 * G_USEC_PER_SEC);
        g_assert_cmpint(d, <=, 30 * G_USEC_PER_SEC);
    }
    /* The server asks for more than the backoff: it gets it. */
    g_assert_cmpint(es_backoff_us(1, 20, 30, rand), ==, 20 * G_USEC_PER_SEC);
    /* ... and for less: the backoff stands. */
    g_assert_cmpint(es_backoff_us(10, 1, 30, rand), >=, 15 * G_USEC_PER_SEC);
    g_rand_free(rand);
}

static void test_halves(void)
{
    es_batch *b = es_batch_new(64, 4096);
    char item[16];
    for (int i = 0; i < 5; i++) {
        g_snprintf(item, sizeof item, "a%d\nd%d\n", i, i);
        es_batch_append(b, item, strlen(item));
    }
    es_batch *h[2];
    es_batch_halves(b, h);
    g_assert_cmpuint(h[0]->n_items, ==, 2);
    g_assert_cmpuint(h[1]->n_items, ==, 3);
    g_assert_cmpuint(h[0]->body.len + h[1]->body.len, ==, b->body.len);
    g_assert_cmpuint(h[0]->body.limit, ==, b->body.limit);
    /* In order: the halves put together are the batch. */
    GString *joined = g_string_new_len(h[0]->body.data, h[0]->body.len);
    g_string_append_len(joined, h[1]->body.data, h[1]->body.len);
    g_assert_cmpmem(joined->str, joined->len, b->body.data, b->body.len);
    g_string_free(joined, TRUE);
    es_batch_free(h[0]);
    es_batch_free(h[1]);
    es_batch_free(b);
}

static void test_retry_bound(void)
{
    g_assert_false(es_retry_full(0, 4));
    g_assert_false(es_retry_full(3, 4));
    g_assert_true(es_retry_full(4, 4));
    g_assert_true(es_retry_full(9, 4));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/delivery/classify-waits", test_classify_waits);
    g_test_add_func("/delivery/classify-block-is-not-auth", test_classify_block_is_not_auth);
    g_test_add_func("/delivery/classify-split", test_classify_split);
    g_test_add_func("/delivery/classify-server-errors", test_classify_server_errors);
    g_test_add_func("/delivery/backoff-doubles-with-jitter", test_backoff_doubles_with_jitter);
    g_test_add_func("/delivery/backoff-capped-and-retry-after", test_backoff_capped_and_retry_after);
    g_test_add_func("/delivery/halves", test_halves);
    g_test_add_func("/delivery/retry-bound", test_retry_bound);
    return g_test_run();
}
