/* queue.c — bounded, blocking FIFO handing items between threads.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "queue.h"

#include <glib.h>

struct es_queue {
    GMutex lock;
    GCond not_empty;
    GCond not_full;
    void **ring;
    size_t capacity, head, len;
    bool closed;
    bool kicked;
    void (*free_item)(void *);
};

es_queue *es_queue_new(size_t capacity, void (*free_item)(void *))
{
    es_queue *q = g_new0(es_queue, 1);
    g_mutex_init(&q->lock);
    g_cond_init(&q->not_empty);
    g_cond_init(&q->not_full);
    q->capacity = capacity ? capacity : 1;
    q->ring = g_new0(void *, q->capacity);
    q->free_item = free_item;
    return q;
}

void es_queue_free(es_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->len; i++) {
        void *item = q->ring[(q->head + i) % q->capacity];
        if (q->free_item)
            q->free_item(item);
    }
    g_free(q->ring);
    g_cond_clear(&q->not_empty);
    g_cond_clear(&q->not_full);
    g_mutex_clear(&q->lock);
    g_free(q);
}

bool es_queue_push(es_queue *q, void *item, int64_t deadline_us)
{
    bool ok = false;
    g_mutex_lock(&q->lock);
    while (!q->closed && q->len == q->capacity) {
        if (deadline_us == INT64_MAX)
            g_cond_wait(&q->not_full, &q->lock);
        else if (!g_cond_wait_until(&q->not_full, &q->lock, deadline_us))
            goto out;
    }
    if (q->closed)
        goto out;
    q->ring[(q->head + q->len) % q->capacity] = item;
    q->len++;
    g_cond_signal(&q->not_empty);
    ok = true;
out:
    g_mutex_unlock(&q->lock);
    return ok;
}

void *es_queue_pop(es_queue *q, int64_t deadline_us)
{
    void *item = NULL;
    g_mutex_lock(&q->lock);
    while (q->len == 0 && !q->closed && !q->kicked) {
        if (deadline_us == INT64_MAX)
            g_cond_wait(&q->not_empty, &q->lock);
        else if (!g_cond_wait_until(&q->not_empty, &q->lock, deadline_us))
            goto out;
    }
    q->kicked = false;
    if (q->len == 0)
        goto out;
    item = q->ring[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->len--;
    g_cond_signal(&q->not_full);
out:
    g_mutex_unlock(&q->lock);
    return item;
}

void es_queue_close(es_queue *q)
{
    g_mutex_lock(&q->lock);
    q->closed = true;
    g_cond_broadcast(&q->not_empty);
    g_cond_broadcast(&q->not_full);
    g_mutex_unlock(&q->lock);
}

void es_queue_kick(es_queue *q)
{
    g_mutex_lock(&q->lock);
    q->kicked = true;
    g_cond_broadcast(&q->not_empty);
    g_mutex_unlock(&q->lock);
}

size_t es_queue_length(es_queue *q)
{
    g_mutex_lock(&q->lock);
    size_t n = q->len;
    g_mutex_unlock(&q->lock);
    return n;
}
