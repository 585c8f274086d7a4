/* test_shape.c — the shape cache: what it finds, when it stores, its bounds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "shape.h"

/* A shape of n nodes whose fields start at first; its hash. */
static uint64_t make_sig(es_shape_sig *sig, size_t n, int32_t first)
{
    uint64_t h = ES_SHAPE_SEED;
    for (size_t i = 0; i < n; i++) {
        sig[i].field = first + (int32_t)i;
        sig[i].bits = i + 1 == n;
        h = es_shape_mix(h, &sig[i]);
    }
    return h;
}

static const es_shape_entry entries[] = {{0, 7, 1, 1}, {2, 7, -1, 0}};
static const es_shape_check checks[] = {{1, 0, 2, 1}};

static void test_store_on_second_miss(void)
{
    es_shape_sig sig[3];
    uint64_t h = make_sig(sig, 3, 10);
    es_shape_cache *c = es_shape_cache_new();
    g_assert_null(es_shape_find(c, h, 1, sig, 3));
    g_assert_false(es_shape_miss(c, h)); /* seen once: not worth a copy */
    g_assert_null(es_shape_find(c, h, 1, sig, 3));
    g_assert_true(es_shape_miss(c, h));
    /* a shape missed again after another one (of its set or not) */
    es_shape_sig other[3];
    uint64_t ho = make_sig(other, 3, 20);
    g_assert_false(es_shape_miss(c, ho));
    g_assert_true(es_shape_miss(c, h));
    g_assert_true(es_shape_store(c, h, 1, sig, 3, entries, 2, checks, 1));
    const es_shape *s = es_shape_find(c, h, 1, sig, 3);
    g_assert_nonnull(s);
    g_assert_cmpuint(s->n_nodes, ==, 3);
    g_assert_cmpuint(s->n_entries, ==, 2);
    g_assert_cmpint(s->entries[1].node, ==, 2);
    g_assert_cmpuint(s->n_checks, ==, 1);
    g_assert_cmpint(s->checks[0].b, ==, 2);
    uint64_t hits, misses;
    es_shape_counts(c, &hits, &misses);
    g_assert_cmpuint(hits, ==, 1);
    g_assert_cmpuint(misses, ==, 2);
    es_shape_cache_free(c);
}

/* Found only for the same nodes, length and epoch: a hash is not proof. */
static void test_find_compares(void)
{
    es_shape_sig sig[4], other[4];
    uint64_t h = make_sig(sig, 4, 10);
    make_sig(other, 4, 10);
    es_shape_cache *c = es_shape_cache_new();
    g_assert_true(es_shape_store(c, h, 5, sig, 4, entries, 2, NULL, 0));
    g_assert_nonnull(es_shape_find(c, h, 5, other, 4));
    other[3].bits ^= 2;
    g_assert_null(es_shape_find(c, h, 5, other, 4)); /* same hash, other nodes */
    g_assert_null(es_shape_find(c, h, 5, sig, 3));
    g_assert_null(es_shape_find(c, h, 6, sig, 4)); /* another epoch */
    g_assert_null(es_shape_find(c, h ^ 1, 5, sig, 4));
    es_shape_cache_free(c);
}

/* At most ES_SHAPE_SLOTS shapes are kept, the least recently used go
 * first (a shape found after every store stays), and shapes past the
 * bounds are not stored. */
static void test_bounds(void)
{
    enum { MANY = 4 * ES_SHAPE_SLOTS };
    es_shape_sig a[2], many[MANY][2], *big = g_new(es_shape_sig, ES_SHAPE_MAX_NODES + 1);
    uint64_t ha = make_sig(a, 2, 1), hashes[MANY];
    es_shape_cache *c = es_shape_cache_new();
    g_assert_true(es_shape_store(c, ha, 1, a, 2, entries, 2, NULL, 0));
    for (int i = 0; i < MANY; i++) {
        hashes[i] = make_sig(many[i], 2, 1000 + 10 * i);
        g_assert_true(es_shape_store(c, hashes[i], 1, many[i], 2, entries, 1, NULL, 0));
        g_assert_nonnull(es_shape_find(c, hashes[i], 1, many[i], 2));
        g_assert_nonnull(es_shape_find(c, ha, 1, a, 2));
    }
    unsigned kept = 0;
    for (int i = 0; i < MANY; i++)
        kept += es_shape_find(c, hashes[i], 1, many[i], 2) != NULL;
    g_assert_cmpuint(kept, <, ES_SHAPE_SLOTS);
    g_assert_cmpuint(kept, >, ES_SHAPE_SLOTS / 4);
    uint64_t hbig = make_sig(big, ES_SHAPE_MAX_NODES + 1, 1);
    g_assert_false(es_shape_store(c, hbig, 1, big, ES_SHAPE_MAX_NODES + 1, entries, 2, NULL, 0));
    g_assert_null(es_shape_find(c, hbig, 1, big, ES_SHAPE_MAX_NODES + 1));
    g_assert_false(es_shape_store(c, ha, 1, a, 2, entries, 2, checks, 5)); /* more checks than 2 a node */
    es_shape_cache_free(c);
    g_free(big);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/shape/store-on-second-miss", test_store_on_second_miss);
    g_test_add_func("/shape/find-compares", test_find_compares);
    g_test_add_func("/shape/bounds", test_bounds);
    return g_test_run();
}
