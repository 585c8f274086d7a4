/* stats.h — counters of what happened to every frame, and the summary line.
 *
 * Every frame the tap sees ends in exactly one of: indexed, already present,
 * rejected, dropped, or not exported (filtered out / already exported this
 * session).  Counters are atomics, updated from the dissection and sender
 * threads.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_STATS_H
#define ES_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include <glib.h>

#define ES_STATS_REASONS 5

typedef struct es_stats {
    atomic_uint_fast64_t frames;     /* frames seen by the tap */
    atomic_uint_fast64_t skipped;    /* frames not exported (already exported this session) */
    atomic_uint_fast64_t docs;       /* documents handed to the batcher */
    atomic_uint_fast64_t indexed;    /* created by the server (or written by a file sink) */
    atomic_uint_fast64_t present;    /* 409: the document was already there */
    atomic_uint_fast64_t rejected;   /* refused by the server for good */
    atomic_uint_fast64_t dropped;    /* lost on our side (counted, reported) */
    atomic_uint_fast64_t retried;    /* items sent again after a retryable failure */
    atomic_uint_fast64_t requests;   /* bulk requests completed (any outcome) */
    atomic_uint_fast64_t failures;   /* requests that failed as a whole */
    atomic_uint_fast64_t bytes;      /* bulk body bytes, before compression */
    atomic_uint_fast64_t wire_bytes; /* bulk body bytes as sent */

    /* Set by the sender when it stops: */
    char *dead_letter; /* dead-letter file, NULL if none */
    uint64_t dead_letters, dead_letters_lost;
    char *spool;      /* spool directory, NULL if nothing waits there */
    uint64_t spooled; /* documents waiting in it at exit */

    GMutex lock;                     /* guards reasons */
    char *reasons[ES_STATS_REASONS]; /* first distinct rejection/drop reasons */
    unsigned n_reasons;
} es_stats;

void es_stats_init(es_stats *s);
void es_stats_clear(es_stats *s);

static inline void es_stats_add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t es_stats_get(atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Remembers reason if it is one of the first distinct ones. */
void es_stats_reason(es_stats *s, const char *reason);

/* Appends the one-line summary (no newline) for a run of `seconds`. */
void es_stats_summary(es_stats *s, double seconds, GString *out);

#endif
