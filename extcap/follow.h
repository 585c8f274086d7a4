/* follow.h — which documents follow mode has delivered already.
 *
 * Follow polls for documents whose @timestamp is at least the newest one
 * delivered minus a lag (documents from sensors reach the index up to a
 * few seconds after their time), so a poll sees some documents again.  This
 * remembers the _id of every document delivered within the lag of the
 * newest, forgetting older ones: memory is bounded by the packet rate
 * times the lag, never by the length of the run.  Plain C + glib.
 *
 *   esd_seen *s = esd_seen_new(5 * 1000000000LL);
 *   if (!esd_seen_check(s, id, ts_ns)) ... deliver: it was not seen ...
 *   int64_t since = esd_seen_since(s);       // where the next poll starts
 *   esd_seen_free(s);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_FOLLOW_H
#define ESD_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct esd_seen esd_seen;

esd_seen *esd_seen_new(int64_t lag_ns);
void esd_seen_free(esd_seen *s);

/* True if id was delivered already; otherwise records it (with its time)
 * and returns false. */
bool esd_seen_check(esd_seen *s, const char *id, int64_t ts_ns);

/* The time the next poll starts from: newest delivered minus the lag
 * (INT64_MIN before anything was delivered). */
int64_t esd_seen_since(const esd_seen *s);

/* Documents remembered. */
unsigned esd_seen_size(const esd_seen *s);

#endif
