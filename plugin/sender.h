/* sender.h — the thread that delivers sealed bulk batches.
 *
 * Takes batches from the bounded queue (and batches that aged out of the
 * batcher) and delivers them to the sink: an HTTP cluster (through http.h),
 * a file, or standard output.  For HTTP it parses every bulk response item by
 * item: created and 409 (already there) count as delivered, 429 and 5xx items
 * are sent again after an exponential backoff with jitter, anything else is
 * counted as rejected with its reason.  Nothing is dropped without being
 * counted in es_stats.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SENDER_H
#define ES_SENDER_H

#include <glib.h>

#include "bulk.h"
#include "esapi.h"
#include "queue.h"
#include "schema.h"
#include "settings.h"
#include "stats.h"

typedef struct es_sender es_sender;

/* Starts delivering to sink.  For an HTTP sink it first asks the cluster
 * what it is (GET /), waiting a few seconds at most; *style receives the
 * field-name style to write documents in.  Before sending a batch it maps
 * the schema's new fields (index template and existing indices).  The
 * sender uses q, b, schema and st but does not own them; they must outlive
 * it. */
es_sender *es_sender_start(const es_settings *s, const es_sink *sink, bool live, es_queue *q,
                           es_batcher *b, es_schema *schema, es_stats *st,
                           es_name_style *style, GError **err);

/* Wakes the sender after a batch was queued; callable from any thread. */
void es_sender_notify(es_sender *snd);

/* Sends everything queued or still in the batcher, waiting at most
 * timeout_s, then stops the thread.  Whatever could not be delivered by then
 * is counted as dropped.  Fills info with what the cluster said it is (all
 * zeroes if it never answered, or for file sinks).  Frees snd. */
void es_sender_stop(es_sender *snd, unsigned timeout_s, es_server_info *info);

/* What the sender knows now, for a status display. */
typedef struct es_sender_state {
    es_server_info info;   /* all zeroes until the cluster answered GET / */
    es_name_style style;   /* the field names documents are written with */
    bool connected;        /* cluster inspected, template in place */
    uint64_t spooled;      /* documents waiting in the spool */
    uint64_t dead_letters; /* documents written to the dead-letter file */
    char *last_error;      /* the last warning, NULL if none */
    char *dead_letter;     /* the dead-letter file, NULL until one is written */
    char *spool_dir;       /* NULL without a spool */
} es_sender_state;

/* Copies the sender's state; callable from any thread while snd runs.
 * Free with es_sender_state_clear(). */
void es_sender_state_get(es_sender *snd, es_sender_state *out);
void es_sender_state_clear(es_sender_state *st);

#endif
