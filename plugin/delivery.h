/* delivery.h — the sender's decisions, apart from its thread and sockets.
 *
 * What a whole bulk request's answer asks for, how long to wait before
 * sending again, how a batch too large for the server is halved, and when
 * the retry queue is full.  Pure functions of their arguments (the jitter
 * comes from the GRand given), so unit programs can check every branch;
 * sender.c acts on them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_DELIVERY_H
#define ES_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "bulk.h"

/* 5xx answers other than 502-504 are tried this many times in all. */
#define ES_SERVER_ERROR_ATTEMPTS 5
#define ES_BACKOFF_MIN_US (250 * 1000)

/* A document refused for a mapping conflict (es_mapping_conflict_field():
 * another writer's dynamic mapping of one of its fields won a race) is sent
 * this many times in all: by then the field is mapped and it goes in. */
#define ES_MAPPING_RACE_ATTEMPTS 3

/* What a whole-request answer asks for. */
typedef enum {
    ES_ANSWER_OK,
    ES_ANSWER_AWAY,   /* 429, 502-504, a read-only block: wait (or spool) and send again */
    ES_ANSWER_RETRY,  /* another 5xx: a few more attempts */
    ES_ANSWER_SPLIT,  /* 413: too large, send in halves */
    ES_ANSWER_AUTH,   /* 401, 403: credentials or privileges */
    ES_ANSWER_REJECT, /* refused for good */
} es_answer_kind;

/* The answer to a bulk request of n_items documents, sent attempt times
 * before; blocked: its body is a read-only block (es_error_is_block). */
es_answer_kind es_classify_status(long status, bool blocked, uint32_t n_items, unsigned attempt);

/* Wait before attempt number attempt (1 = the first retry): doubling from
 * ES_BACKOFF_MIN_US up to retry_max_s, the upper half of it random
 * (jitter), never less than the server's Retry-After. */
int64_t es_backoff_us(unsigned attempt, unsigned retry_after_s, unsigned retry_max_s, GRand *rand);

/* The items of b in two new batches of its limit: the first n_items/2, and
 * the rest.  b is left as it is. */
void es_batch_halves(const es_batch *b, es_batch *halves[2]);

/* Whether retries waiting (batches) leave no room: the sender then takes
 * no batch from the queue, which fills, and reading waits, as for
 * es.queue; a live capture, which must not wait, spools what is past it.
 * The bound is es.queue batches. */
bool es_retry_full(unsigned waiting, unsigned queue_setting);

#endif
