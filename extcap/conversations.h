/* conversations.h — "whole conversations": a query widened to every frame
 * of the TCP and UDP streams its matches belong to, in the same capture.
 *
 * The streams are collected with a composite aggregation on (capture id,
 * tcp.stream) and (capture id, udp.stream), page by page; the widened
 * query is the original OR, per capture, its stream numbers.
 *
 *   char *wide = esd_conversations(&cluster, "packets-*", query, &err);  // g_free()
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_CONVERSATIONS_H
#define ESD_CONVERSATIONS_H

#include "cluster.h"

/* At most this many streams: past it the query is refused (narrow it). */
#define ESD_MAX_STREAMS 65536

/* NULL with *error when a request fails or there are too many streams. */
char *esd_conversations(esd_cluster *cl, const char *target, const char *query, char **error);

#endif
