/* bulk.h — bulk request batches and the batcher that fills them.
 *
 * A batch is the body of one `_bulk` request: a sequence of items, each an
 * action line and a document line.  The batcher appends items to the current
 * batch and seals it when it reaches the configured size in bytes, number of
 * documents, or age; sealed batches go to the sender through a bounded
 * queue.  An item that does not fit in the current batch is not split: the
 * batch is sealed and the item starts the next one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_BULK_H
#define ES_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "queue.h"

typedef struct es_batch {
    esbuf body;
    uint32_t *items; /* byte offset of each item in body */
    uint32_t n_items;
    uint32_t cap_items;
    int64_t created_us;    /* monotonic time of the first item */
    unsigned attempt;      /* send attempts so far */
    int64_t not_before_us; /* earliest monotonic time of the next attempt */
    uint64_t spool_id;     /* the spool file it was read from, or 0 */
} es_batch;

/* A batch whose body may grow to `limit` bytes, with room for `initial`
 * from the start: a batch that fills to its expected size is never copied
 * to grow (a 5 MiB batch from 1 MiB was 7 MiB of copies). */
es_batch *es_batch_new(size_t initial, size_t limit);
void es_batch_free(void *batch);

/* Appends one item (action and document lines, each ending in '\n');
 * false, with the batch unchanged, if it would pass the batch's limit. */
bool es_batch_append(es_batch *b, const char *item, size_t len);

/* Item i as a pointer into the body and its length. */
void es_batch_item(const es_batch *b, uint32_t i, const char **p, size_t *len);

typedef struct es_batcher_limits {
    size_t max_bytes;   /* seal once the body reaches this size */
    unsigned max_docs;  /* seal at this many items */
    int64_t max_age_us; /* seal when the first item is this old */
    size_t max_item;    /* largest single item accepted */
} es_batcher_limits;

typedef struct es_batcher es_batcher;

/* The batcher pushes sealed batches to q; it does not own q. */
es_batcher *es_batcher_new(const es_batcher_limits *lim, es_queue *q);
void es_batcher_free(es_batcher *b);

typedef enum {
    ES_ADD_OK,        /* added to the current batch */
    ES_ADD_QUEUED,    /* added, and a sealed batch went to the queue */
    ES_ADD_TOO_LARGE, /* item larger than max_item: not added */
    ES_ADD_CLOSED,    /* queue closed (or deadline passed): item and batch lost */
} es_add_result;

/* Adds one item; when that seals the current batch, pushes it to the queue,
 * waiting at most until deadline_us while the queue is full.  Called from
 * one producer thread. *lost counts items lost with a batch that could not
 * be queued. */
es_add_result es_batcher_add(es_batcher *b, const char *item, size_t len,
                             int64_t now_us, int64_t deadline_us, unsigned *lost);

/* Seals and returns the current batch if its first item is older than the
 * age limit (or if force), without queueing it; the caller takes ownership.
 * Never blocks: used by the sender's timer, which sends the batch itself. */
es_batch *es_batcher_take(es_batcher *b, int64_t now_us, bool force);

#endif
