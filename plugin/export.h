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

#include "settings.h"

/* Remembers the process's arguments (source of the capture, GUI or not). */
void es_export_init(char **argv);

/* The one way a setting or start-up error ends: tshark prints it and
 * exits; Wireshark reports it in a dialog and export stays off. */
void es_export_fail(const char *msg);

/* Applies the effective settings: registers the tap when enabled, removes it
 * when not; a running pipeline with different settings is flushed and
 * restarted with the new ones.  Settings must already be validated. */
void es_export_configure(const es_settings *s, bool enabled);

/* Init routine: a capture file was opened (identity to be recomputed). */
void es_export_file_opened(void);

/* Shutdown routine: flushes, stops the sender, prints the summary. */
void es_export_shutdown(void);

#endif
