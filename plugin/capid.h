/* capid.h — the identity of a capture, for deterministic document ids.
 *
 * A document's _id is the capture's identity plus the frame number, so
 * reading the same capture again (or Wireshark re-dissecting it) never
 * indexes a frame twice.  A file's identity comes from its content (size,
 * first and last MiB), so a copy or a renamed file keeps it; a live capture
 * gets a fresh identity per run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_CAPID_H
#define ES_CAPID_H

#include <stdbool.h>

#define ES_CAPID_LEN 16

/* 16 lowercase hex digits from the content of the file at path; false if it
 * is not a readable regular file. */
bool es_capid_file(const char *path, char out[ES_CAPID_LEN + 1]);

/* 16 hex digits unique to this run: host, source, process and start time. */
void es_capid_live(const char *source, char out[ES_CAPID_LEN + 1]);

#endif
