/* cluster.h — what esdump learns from the cluster before searching.
 *
 * The server and its field-name style (GET /, parsed by the exporter's own
 * es_server_parse(): Elasticsearch 8.3+ dotted, Elasticsearch 7 and
 * OpenSearch underscore), the mapped type of every field of the indices
 * searched (for the display-filter translator), the indices and data
 * streams to offer in the interface options, and readable messages for
 * failed requests.
 *
 *   esd_cluster cl;
 *   char *err = NULL;
 *   if (!esd_cluster_detect(client, ESD_STYLE_AUTO, &cl, &err)) ...
 *   esd_fields *f = esd_fields_fetch(&cl, "packets-*", &err);
 *   df_type t = esd_fields_type(f, "tcp.port");
 *   esd_fields_free(f);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_CLUSTER_H
#define ESD_CLUSTER_H

#include <stdbool.h>

#include "client.h"
#include "dfilter2dsl.h"
#include "esapi.h"

/* Document member names in one style. */
typedef struct esd_names {
    const char *raw, *frame_len, *cap_len, *linktype, *capture, *capture_id;
    const char *frame_number, *tcp_stream, *udp_stream;
} esd_names;

typedef enum { ESD_STYLE_AUTO,
               ESD_STYLE_DOTTED,
               ESD_STYLE_UNDERSCORE } esd_style;

typedef struct esd_cluster {
    esd_client *client; /* borrowed */
    es_server_info info;
    bool underscore;
    esd_names names;
} esd_cluster;

/* Asks GET / which server this is; style forces a name style. */
bool esd_cluster_detect(esd_client *client, esd_style style, esd_cluster *out, char **error);

/* A message for a request that failed (no answer, or an HTTP error):
 * what was being done, the node's answer, and what to check. */
char *esd_problem(const esd_response *r, const char *what);

typedef struct esd_fields esd_fields;

/* The fields mapped in the indices of target (an index, pattern, alias or
 * data stream).  NULL with *error when the request fails, the target does
 * not exist, or (unless allow_none) no index matches it. */
esd_fields *esd_fields_fetch(esd_cluster *cl, const char *target, bool allow_none, char **error);
void esd_fields_free(esd_fields *f);

/* A df_lookup: the type of name (in the index's style). */
df_type esd_fields_type(void *fields, const char *name);

/* Targets to offer: a pattern for each family of dated indices
 * ("packets-*"), data streams, then the indices and aliases themselves,
 * without system and hidden ones.  NULL-terminated, g_strfreev(). */
char **esd_cluster_targets(esd_cluster *cl, char **error);

#endif
