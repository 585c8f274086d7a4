/* progress.h — tshark's live progress line on a terminal.
 *
 * While tshark runs with the exporter and its standard error is a terminal,
 * one line there shows frames, frames per second (over the last second),
 * documents indexed, errors (rejected or dropped), retries (items and
 * whole requests sent again) and queued (handed over, not yet answered),
 * redrawn four times a second by a thread of its own.  Nothing is
 * written when standard error is not a terminal, in the GUI, or when tshark
 * prints packets on the same terminal.  Messages written through
 * es_progress_message() go above the line.  Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_PROGRESS_H
#define ES_PROGRESS_H

#include <stdbool.h>

#include <glib.h>

#include "stats.h"

typedef struct es_progress es_progress;

/* Whether a progress line belongs on standard error: it is a terminal
 * (not TERM=dumb) and standard output is not the same terminal, unless
 * packets_quiet (tshark -q / -Q: no packet lines there). */
bool es_progress_wanted(bool packets_quiet);

/* Starts the line for the counters st (which must outlive it). */
es_progress *es_progress_start(es_stats *st);

/* Stops the thread and clears the line; NULL is allowed. */
void es_progress_stop(es_progress *p);

/* The line's text for counters st and a rate in frames per second. */
void es_progress_format(es_stats *st, double rate, GString *out);

/* Writes one line (printf format, newline added) to standard error, above
 * the progress line when one is shown. */
void es_progress_message(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
