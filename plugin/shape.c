/* shape.c — the flattener's walk over a tree, remembered per tree shape.
 *
 * Two ways a set: two frequent shapes whose hashes share a set (a request
 * and its response) both stay.  A set also remembers the last two hashes it
 * missed, so a shape seen again after another one is still stored.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "shape.h"

#include <string.h>

#include <glib.h>

#define WAYS 2
#define SETS (ES_SHAPE_SLOTS / WAYS)

typedef struct slot {
    bool used;
    uint64_t hash;
    uint32_t epoch;
    uint64_t used_at;  /* the cache's clock at its last store or hit */
    es_shape_sig *sig; /* one block: sig, entries, checks */
    es_shape shape;
} slot;

typedef struct set {
    slot way[WAYS];
    uint64_t missed[2]; /* the last two hashes missed, newest first */
    unsigned n_missed;
} set;

struct es_shape_cache {
    set sets[SETS];
    uint64_t clock;
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
    for (size_t i = 0; i < SETS; i++)
        for (size_t w = 0; w < WAYS; w++)
            g_free(c->sets[i].way[w].sig);
    g_free(c);
}

/* The callers' hash mixes by multiplying, which never carries a high bit
 * down: the set is chosen from the hash with its high bits folded in. */
static set *set_of(es_shape_cache *c, uint64_t hash)
{
    hash ^= hash >> 33;
    hash *= UINT64_C(0xc4ceb9fe1a85ec53);
    hash ^= hash >> 29;
    return &c->sets[hash % SETS];
}

const es_shape *es_shape_find(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig,
                              size_t n)
{
    set *st = set_of(c, hash);
    for (size_t w = 0; w < WAYS; w++) {
        slot *s = &st->way[w];
        if (s->used && s->hash == hash && s->epoch == epoch && s->shape.n_nodes == n &&
            memcmp(s->sig, sig, n * sizeof *sig) == 0) {
            c->hits++;
            s->used_at = ++c->clock;
            return &s->shape;
        }
    }
    c->misses++;
    return NULL;
}

bool es_shape_miss(es_shape_cache *c, uint64_t hash)
{
    set *st = set_of(c, hash);
    bool again = false;
    for (unsigned i = 0; i < st->n_missed; i++)
        again = again || st->missed[i] == hash;
    st->missed[1] = st->missed[0];
    st->missed[0] = hash;
    st->n_missed = MIN(st->n_missed + 1, 2);
    return again;
}

/* The way a new shape replaces: an unused one, or the least recently used. */
static slot *victim(set *st)
{
    slot *v = &st->way[0];
    for (size_t w = 0; w < WAYS; w++) {
        if (!st->way[w].used)
            return &st->way[w];
        if (st->way[w].used_at < v->used_at)
            v = &st->way[w];
    }
    return v;
}

bool es_shape_store(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig, size_t n,
                    const es_shape_entry *entries, size_t n_entries, const es_shape_check *checks,
                    size_t n_checks)
{
    if (n > ES_SHAPE_MAX_NODES || n_entries > n || n_checks > 2 * n)
        return false;
    slot *s = victim(set_of(c, hash));
    size_t sig_bytes = n * sizeof *sig, ent_bytes = n_entries * sizeof *entries;
    g_free(s->sig);
    s->sig = g_malloc(sig_bytes + ent_bytes + n_checks * sizeof *checks + 1);
    char *block = (char *)s->sig;
    memcpy(block, sig, sig_bytes);
    if (n_entries)
        memcpy(block + sig_bytes, entries, ent_bytes);
    if (n_checks)
        memcpy(block + sig_bytes + ent_bytes, checks, n_checks * sizeof *checks);
    s->shape.n_nodes = n;
    s->shape.n_entries = n_entries;
    s->shape.n_checks = n_checks;
    s->shape.entries = (const es_shape_entry *)(void *)(block + sig_bytes);
    s->shape.checks = (const es_shape_check *)(void *)(block + sig_bytes + ent_bytes);
    s->hash = hash;
    s->epoch = epoch;
    s->used = true;
    s->used_at = ++c->clock;
    return true;
}

void es_shape_counts(const es_shape_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}
