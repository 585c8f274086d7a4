/* replay.h — the capture: matching documents back into packets on the fifo.
 *
 * Detects the server, reads the mapping, builds the query (widened to
 * whole conversations when asked), pages through the hits and writes each
 * as a packet (original bytes, length and nanosecond time, a comment
 * naming index and _id) in time order, or in the capture's own order when
 * one capture is replayed; then, with follow, polls for newly indexed
 * packets until stopped.  Every failure ends the run with a message on
 * stderr, which Wireshark shows, and a non-zero exit status.
 *
 *   volatile sig_atomic_t stop = 0;      // set by the SIGTERM handler
 *   int status = esd_replay(&opts, &stop);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_REPLAY_H
#define ESD_REPLAY_H

#include <signal.h>

#include "options.h"

/* Returns the process exit status: 0 when every matching packet was
 * written (or the run was stopped by the flag), 1 on an error. */
int esd_replay(const esd_opts *o, volatile sig_atomic_t *stop);

#endif
