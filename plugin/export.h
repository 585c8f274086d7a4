/* export.h — the exporter's life cycle and its tap listener.
 *
 * The tap sees every dissected frame (with a full, visible tree), writes
 * its bulk item (action line and document) and hands it to the batcher; it
 * never waits on the network.  The delivery pipeline (batcher, queue,
 * sender) starts with the first frame and stops at shutdown, after
 * flushing, with a one-line summary on stderr.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_EXPORT_H
#define ES_EXPORT_H

#include <stdbool.h>

#include "sender.h"
#include "settings.h"
#include "stats.h"

/* Remembers the process's arguments (source of the capture, GUI or not). */
void es_export_init(char **argv);

/* The one way a setting or start-up error ends: tshark prints it and
 * exits; Wireshark reports it in a dialog and export stays off. */
void es_export_fail(const char *msg);

/* Applies the effective settings: registers the tap when enabled, removes it
 * when not; a running pipeline with different settings is flushed and
 * restarted with the new ones.  Settings must already be validated. */
void es_export_configure(const es_settings *s, bool enabled);

/* The exporter as a status display shows it (GUI thread).  The pointers
 * stay valid until the next call into this module. */
typedef struct es_export_state {
    bool enabled;                /* the preferences (or -X) turn export on */
    const es_settings *settings; /* what the running pipeline, else the next one, uses */
    es_stats *stats;             /* NULL before the first frame */
    es_sender *sender;           /* NULL for a pipeline that could not start */
    double seconds;              /* since the pipeline started */
    const char *capture;         /* the capture's name, NULL before its first frame */
    const char *capture_id;
} es_export_state;

void es_export_state_get(es_export_state *out);

/* Exports the open capture now (Tools > Elasticsearch > Export now): the
 * tap runs with settings s (validated) for one pass of retap(ud), which
 * re-dissects every frame.  Frames already exported this session are
 * skipped; afterwards the previous settings apply again, and a pipeline
 * started for the pass keeps delivering until they change. */
void es_export_now(const es_settings *s, void (*retap)(void *ud), void *ud);

/* Init routine: a capture file was opened (identity to be recomputed). */
void es_export_file_opened(void);

/* Shutdown routine: flushes, stops the sender, prints the summary. */
void es_export_shutdown(void);

#endif
