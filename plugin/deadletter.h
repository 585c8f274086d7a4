/* deadletter.h — the file where documents that did not reach the cluster go.
 *
 * Every frame ends in Elasticsearch exactly once or here, with the reason:
 * documents the cluster refused for good (mapping errors, other 4xx) and
 * documents lost on our side (flush timeout, authentication failure).  One
 * JSON object per line,
 *
 *   {"error":{"status":400,"type":"...","reason":"..."},"action":{...},"document":{...}}
 *
 * so `jq -c '.action, .document' FILE` gives a bulk body to send again.
 * The file is created at the first document and never grows beyond its
 * size limit; what does not fit is counted.  Used by the sender thread only.
 * Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_DEADLETTER_H
#define ES_DEADLETTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct es_deadletter es_deadletter;

/* A dead-letter file in dir (created if missing) named after the time of
 * the first document and the process, holding at most max_bytes. */
es_deadletter *es_deadletter_new(const char *dir, uint64_t max_bytes);
void es_deadletter_free(es_deadletter *d);

/* Writes one bulk item (its action line, newline, document line) with the
 * error; false (and counted) if it could not be written or would pass the
 * limit. */
bool es_deadletter_add(es_deadletter *d, const char *item, size_t len, int status, const char *type,
                       const char *reason);

/* The file's path once something was written, else NULL. */
const char *es_deadletter_path(const es_deadletter *d);
uint64_t es_deadletter_written(const es_deadletter *d);
uint64_t es_deadletter_lost(const es_deadletter *d);

/* The default directory: $XDG_STATE_HOME/wireshark-es/dead-letter (or
 * ~/.local/state/...), or under the temporary directory for users without a
 * writable home. */
char *es_deadletter_default_dir(void);

#endif
