/* spool.h — sealed bulk batches kept on disk while the cluster is away.
 *
 * During a live capture the tap must never wait on the network: when the
 * cluster cannot be reached, the sender writes each sealed batch to the
 * spool directory instead of holding it in memory, and sends the files
 * again, oldest first, once the cluster answers.  Files left at exit are
 * sent by the next run to the same node (or scripts/resend-spool).  The
 * directory is bounded: a batch that would pass the limit is not written
 * (the sender counts its frames as dropped).  One file per batch,
 * <sequence>-<documents>.ndjson, written to a temporary name and renamed,
 * so a crash never leaves half a batch.  Used by the sender thread only.
 * Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SPOOL_H
#define ES_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "bulk.h"

typedef struct es_spool es_spool;

/* Opens (creating it if needed) a spool directory holding at most
 * max_bytes, with the files earlier runs left; NULL with a message in err
 * if the directory cannot be used. */
es_spool *es_spool_open(const char *dir, uint64_t max_bytes, char **err);
void es_spool_close(es_spool *sp);

/* Writes a batch as the newest file; false if it would pass the limit or
 * could not be written. */
bool es_spool_put(es_spool *sp, const es_batch *b);

/* The oldest file not handed out yet, as a batch whose spool_id names it
 * (items split again); NULL if none.  limit: the batch's byte limit. */
es_batch *es_spool_take(es_spool *sp, size_t limit);

/* Whether a handed-out file was delivered (removed) or must be sent again
 * (handed out again, before any newer file). */
void es_spool_done(es_spool *sp, uint64_t spool_id);
void es_spool_release(es_spool *sp, uint64_t spool_id);

/* Whether a file waits to be handed out. */
bool es_spool_pending(const es_spool *sp);

/* Files and documents in the spool (handed out or not). */
unsigned es_spool_files(const es_spool *sp);
uint64_t es_spool_docs(const es_spool *sp);
const char *es_spool_dir(const es_spool *sp);

/* The default spool directory for a node URL:
 * $XDG_STATE_HOME/wireshark-es/spool/<node>, or under the temporary
 * directory for users without a writable home. */
char *es_spool_default_dir(const char *node_url);

#endif
