/* delivery.c — the sender's decisions (see delivery.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "delivery.h"

es_answer_kind es_classify_status(long status, bool blocked, uint32_t n_items, unsigned attempt)
{
    if (status == 200)
        return ES_ANSWER_OK;
    if (status == 429 || status == 502 || status == 503 || status == 504)
        return ES_ANSWER_AWAY;
    /* A cluster made read-only answers 403 too: not a credentials problem. */
    if (blocked)
        return ES_ANSWER_AWAY;
    if (status == 413 && n_items > 1)
        return ES_ANSWER_SPLIT;
    if (status == 401 || status == 403)
        return ES_ANSWER_AUTH;
    if (status >= 500 && attempt + 1 < ES_SERVER_ERROR_ATTEMPTS)
        return ES_ANSWER_RETRY;
    return ES_ANSWER_REJECT;
}

int64_t es_backoff_us(unsigned attempt, unsigned retry_after_s, unsigned retry_max_s, GRand *rand)
{
    int64_t d = (int64_t)ES_BACKOFF_MIN_US << MIN(attempt, 16u);
    int64_t max = (int64_t)retry_max_s * G_USEC_PER_SEC;
    if (d > max)
        d = max;
    d = d / 2 + g_rand_int_range(rand, 0, (gint32)(d / 2) + 1); /* jitter */
    if ((int64_t)retry_after_s * G_USEC_PER_SEC > d)
        d = (int64_t)retry_after_s * G_USEC_PER_SEC;
    return d;
}

void es_batch_halves(const es_batch *b, es_batch *halves[2])
{
    uint32_t half = b->n_items / 2;
    for (int part = 0; part < 2; part++) {
        halves[part] = es_batch_new(b->body.len / 2 + 1, b->body.limit);
        for (uint32_t i = part ? half : 0; i < (part ? b->n_items : half); i++) {
            const char *p;
            size_t len;
            es_batch_item(b, i, &p, &len);
            es_batch_append(halves[part], p, len);
        }
    }
}

bool es_retry_full(unsigned waiting, unsigned queue_setting)
{
    return waiting >= queue_setting;
}
