/* queue.h — bounded, blocking FIFO handing items between threads.
 *
 * Used to pass sealed bulk batches from the dissection thread to the sender
 * thread.  Bounded so memory stays bounded: a producer that finds the queue
 * full waits (back-pressure) rather than growing it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_QUEUE_H
#define ES_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct es_queue es_queue;

/* A queue of at most `capacity` items; free_item disposes of items still
 * queued when the queue is destroyed. */
es_queue *es_queue_new(size_t capacity, void (*free_item)(void *));

/* Frees the queue and, through free_item, every item still in it. */
void es_queue_free(es_queue *q);

/* Appends item, waiting while the queue is full, at most until the
 * monotonic time deadline_us (INT64_MAX: no deadline).  On success the queue
 * takes ownership of item and the caller must clear its reference.  On
 * failure (deadline passed, or queue closed) ownership stays with the
 * caller. */
bool es_queue_push(es_queue *q, void *item, int64_t deadline_us);

/* Removes the oldest item, waiting at most until deadline_us for one.  The
 * caller takes ownership of the returned item.  NULL when the deadline passed
 * or the queue is closed and empty. */
void *es_queue_pop(es_queue *q, int64_t deadline_us);

/* Wakes everyone; later pushes fail and pops return what is left, then
 * NULL. */
void es_queue_close(es_queue *q);

/* Wakes a thread blocked in es_queue_pop() without closing the queue; its
 * pop returns NULL once. */
void es_queue_kick(es_queue *q);

size_t es_queue_length(es_queue *q);

#endif
