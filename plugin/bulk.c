/* bulk.c — bulk request batches and the batcher that fills them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bulk.h"

#include <glib.h>

es_batch *es_batch_new(size_t initial, size_t limit)
{
    es_batch *b = g_new0(es_batch, 1);
    esbuf_init(&b->body, initial, limit);
    b->cap_items = 256;
    b->items = g_new(uint32_t, b->cap_items);
    return b;
}

void es_batch_free(void *batch)
{
    es_batch *b = batch;
    if (!b)
        return;
    esbuf_free(&b->body);
    g_free(b->items);
    g_free(b);
}

bool es_batch_append(es_batch *b, const char *item, size_t len)
{
    if (len > b->body.limit - b->body.len || b->body.len > UINT32_MAX)
        return false;
    if (b->n_items == b->cap_items) {
        b->cap_items *= 2;
        b->items = g_renew(uint32_t, b->items, b->cap_items);
    }
    b->items[b->n_items++] = (uint32_t)b->body.len;
    esbuf_append(&b->body, item, len);
    return true;
}

void es_batch_item(const es_batch *b, uint32_t i, const char **p, size_t *len)
{
    size_t start = b->items[i];
    size_t end = i + 1 < b->n_items ? b->items[i + 1] : b->body.len;
    *p = b->body.data + start;
    *len = end - start;
}

struct es_batcher {
    GMutex lock; /* guards cur against the sender's timer */
    es_batch *cur;
    es_batcher_limits lim;
    es_queue *q;
};

es_batcher *es_batcher_new(const es_batcher_limits *lim, es_queue *q)
{
    es_batcher *b = g_new0(es_batcher, 1);
    g_mutex_init(&b->lock);
    b->lim = *lim;
    b->q = q;
    return b;
}

void es_batcher_free(es_batcher *b)
{
    if (!b)
        return;
    es_batch_free(b->cur);
    g_mutex_clear(&b->lock);
    g_free(b);
}

static es_batch *new_batch(const es_batcher *b, int64_t now_us)
{
    /* A batch is sealed before it passes max_bytes (but for one item
     * larger than that alone). */
    es_batch *batch = es_batch_new(b->lim.max_bytes, b->lim.max_bytes + b->lim.max_item);
    batch->created_us = now_us;
    return batch;
}

/* Queues a sealed batch; on failure frees it and counts its items in lost. */
static bool push_sealed(es_batcher *b, es_batch *sealed, int64_t deadline_us, unsigned *lost)
{
    unsigned n = sealed->n_items;
    if (es_queue_push(b->q, sealed, deadline_us))
        return true;
    es_batch_free(sealed);
    *lost += n;
    return false;
}

es_add_result es_batcher_add(es_batcher *b, const char *item, size_t len,
                             int64_t now_us, int64_t deadline_us, unsigned *lost)
{
    es_batch *full = NULL, *sealed = NULL;
    bool ok = true;

    if (len > b->lim.max_item)
        return ES_ADD_TOO_LARGE;

    g_mutex_lock(&b->lock);
    if (b->cur && (b->cur->body.len + len > b->lim.max_bytes ||
                   now_us - b->cur->created_us >= b->lim.max_age_us)) {
        full = b->cur;
        b->cur = NULL;
    }
    if (!b->cur)
        b->cur = new_batch(b, now_us);
    es_batch_append(b->cur, item, len);
    if (b->cur->n_items >= b->lim.max_docs || b->cur->body.len >= b->lim.max_bytes) {
        sealed = b->cur;
        b->cur = NULL;
    }
    g_mutex_unlock(&b->lock);

    /* Queue outside the lock: a full queue blocks this thread only. */
    if (full)
        ok = push_sealed(b, full, deadline_us, lost);
    if (sealed)
        ok = push_sealed(b, sealed, deadline_us, lost) && ok;
    if (!ok)
        return ES_ADD_CLOSED;
    return full || sealed ? ES_ADD_QUEUED : ES_ADD_OK;
}

es_batch *es_batcher_take(es_batcher *b, int64_t now_us, bool force)
{
    es_batch *out = NULL;
    if (force)
        g_mutex_lock(&b->lock);
    else if (!g_mutex_trylock(&b->lock))
        return NULL;
    if (b->cur && (force || now_us - b->cur->created_us >= b->lim.max_age_us)) {
        out = b->cur;
        b->cur = NULL;
    }
    g_mutex_unlock(&b->lock);
    return out;
}
