/* shape.c — the flattener's walk over a tree, remembered per tree shape.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "shape.h"

#include <string.h>

#include <glib.h>

typedef struct slot {
    uint64_t hash;
    uint32_t epoch;
    bool used;
    uint64_t missed; /* hash of the last shape this slot missed */
    bool has_missed;
    es_shape_sig *sig; /* one block: sig, entries, checks */
    es_shape shape;
} slot;

struct es_shape_cache {
    slot slots[ES_SHAPE_SLOTS];
    uint64_t hits, misses;
};

es_shape_cache *es_shape_cache_new(void)
{
    return g_new0(es_shape_cache, 1);
}

void es_shape_cache_free(es_shape_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < ES_SHAPE_SLOTS; i++)
        g_free(c->slots[i].sig);
    g_free(c);
}

static slot *slot_of(es_shape_cache *c, uint64_t hash)
{
    return &c->slots[(hash >> 40 ^ hash >> 20 ^ hash) % ES_SHAPE_SLOTS];
}

const es_shape *es_shape_find(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig,
                              size_t n)
{
    slot *s = slot_of(c, hash);
    if (s->used && s->hash == hash && s->epoch == epoch && s->shape.n_nodes == n &&
        memcmp(s->sig, sig, n * sizeof *sig) == 0) {
        c->hits++;
        return &s->shape;
    }
    c->misses++;
    return NULL;
}

bool es_shape_miss(es_shape_cache *c, uint64_t hash)
{
    slot *s = slot_of(c, hash);
    bool again = s->has_missed && s->missed == hash;
    s->missed = hash;
    s->has_missed = true;
    return again;
}

bool es_shape_store(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig, size_t n,
                    const es_shape_entry *entries, size_t n_entries, const es_shape_check *checks,
                    size_t n_checks)
{
    if (n > ES_SHAPE_MAX_NODES || n_entries > n || n_checks > 2 * n)
        return false;
    slot *s = slot_of(c, hash);
    size_t sig_bytes = n * sizeof *sig, ent_bytes = n_entries * sizeof *entries;
    g_free(s->sig);
    s->sig = g_malloc(sig_bytes + ent_bytes + n_checks * sizeof *checks + 1);
    char *block = (char *)s->sig;
    memcpy(block, sig, sig_bytes);
    memcpy(block + sig_bytes, entries, ent_bytes);
    memcpy(block + sig_bytes + ent_bytes, checks, n_checks * sizeof *checks);
    s->shape.n_nodes = n;
    s->shape.n_entries = n_entries;
    s->shape.n_checks = n_checks;
    s->shape.entries = (const es_shape_entry *)(void *)(block + sig_bytes);
    s->shape.checks = (const es_shape_check *)(void *)(block + sig_bytes + ent_bytes);
    s->hash = hash;
    s->epoch = epoch;
    s->used = true;
    s->has_missed = false;
    return true;
}

void es_shape_counts(const es_shape_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}
