/* shape.h — the flattener's walk over a tree, remembered per tree shape.
 *
 * Frames of one traffic mix mostly have trees of the same shape: the same
 * fields in the same places under the same parents, hidden or generated
 * alike.  What the flattener's walk makes of a tree (which fields become
 * members, which repeats it folds, how repeated names group into arrays)
 * follows from that shape and from a few comparisons of one field's bytes or
 * value with another's.  A shape remembers the walk's result (its entries)
 * and the comparisons the walk made (its checks); a later frame of the same
 * shape whose checks come out the same gets the same entries without the
 * walk.
 *
 *   es_shape_cache *c = es_shape_cache_new();
 *   uint64_t h = ES_SHAPE_SEED;
 *   for each node, in preorder: sig[i] = {field, bits}; h = es_shape_mix(h, &sig[i]);
 *   const es_shape *s = es_shape_find(c, h, epoch, sig, n);
 *   if (s && its checks hold) use s->entries;
 *   else if (es_shape_miss(c, h)) walk, then es_shape_store(c, h, epoch, ...);
 *
 * The cache knows nothing of trees: a node is an opaque field pointer and
 * bits, a check is three numbers and its result.  The caller's epoch says
 * which shapes are still true: a shape stored under another epoch is never
 * found (the caller moves to a new epoch whenever what its walk decides for
 * a shape may have changed).
 *
 * Bounded: ES_SHAPE_SLOTS shapes (two ways a set) of at most
 * ES_SHAPE_MAX_NODES nodes; a new shape replaces the least recently used of
 * its set.  A shape is stored once its set has missed it twice (among its
 * last two misses), so frames of a shape seen once cost no copy.
 *
 * Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SHAPE_H
#define ES_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ES_SHAPE_SLOTS 64
#define ES_SHAPE_MAX_NODES 2048 /* a slot holds at most 2048 * (8 + 16 + 2 * 16) bytes */
#define ES_SHAPE_SEED UINT64_C(0x9e3779b97f4a7c15)

/* One node of a tree in preorder: its field (the caller's number, -1 for
 * none) and the caller's bits (flags, has children, last of its siblings).
 * Compared as bytes. */
typedef struct es_shape_sig {
    int32_t field;
    uint32_t bits;
} es_shape_sig;

/* One entry of the walk's result: the node it takes its field from, the
 * member key, the next entry of the same key (-1: none), whether it is the
 * key's first. */
typedef struct es_shape_entry {
    int32_t node;
    int32_t key;
    int32_t next;
    int32_t first;
} es_shape_entry;

/* A comparison the walk made: of kind (the caller's), between nodes a and b,
 * and what it gave. */
typedef struct es_shape_check {
    uint32_t kind;
    int32_t a, b;
    uint32_t result;
} es_shape_check;

typedef struct es_shape {
    size_t n_nodes, n_entries, n_checks;
    const es_shape_entry *entries;
    const es_shape_check *checks;
} es_shape;

typedef struct es_shape_cache es_shape_cache;

static inline uint64_t es_shape_mix(uint64_t h, const es_shape_sig *s)
{
    return (h + ((uint64_t)(uint32_t)s->field << 32 | s->bits)) * UINT64_C(0xff51afd7ed558ccd);
}

es_shape_cache *es_shape_cache_new(void);
void es_shape_cache_free(es_shape_cache *c);

/* The shape stored under hash and epoch whose nodes are sig[0..n), or NULL.
 * Counts a hit or a miss.  The shape stays the cache's and is valid until the
 * next es_shape_store(). */
const es_shape *es_shape_find(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig,
                              size_t n);

/* After a miss: whether a shape of this hash should be stored once walked
 * (its set missed it one of the last two times too). */
bool es_shape_miss(es_shape_cache *c, uint64_t hash);

/* Stores a copy of the shape (nodes sig, its entries and checks) under hash
 * and epoch in hash's set, replacing its least recently used shape.  False (nothing
 * stored) if it has more than ES_SHAPE_MAX_NODES nodes. */
bool es_shape_store(es_shape_cache *c, uint64_t hash, uint32_t epoch, const es_shape_sig *sig, size_t n,
                    const es_shape_entry *entries, size_t n_entries, const es_shape_check *checks,
                    size_t n_checks);

/* Lookups that found a shape, and that did not. */
void es_shape_counts(const es_shape_cache *c, uint64_t *hits, uint64_t *misses);

#endif
