/* sink.h — where documents go: es.node parsed into HTTP nodes, a file or
 * standard output.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SINK_H
#define ES_SINK_H

#include <stdbool.h>

#include <glib.h>

typedef enum { ES_SINK_HTTP,
               ES_SINK_FILE,
               ES_SINK_STDOUT } es_sink_kind;

typedef struct es_sink {
    es_sink_kind kind;
    char **urls; /* HTTP: base URLs without trailing '/', NULL-terminated */
    char *path;  /* FILE */
} es_sink;

/* Parses es.node: "http(s)://h:p[,...]", "h:p" or "h" (meaning http, port
 * 9200), "cloud:CLOUD_ID" (Elastic Cloud), "file:PATH" or "-".  A URL with
 * credentials in it is refused: it would show in messages and file names. */
bool es_sink_parse(const char *node, es_sink *out, GError **err);
void es_sink_clear(es_sink *s);
/* True when every HTTP node is on this machine (compression would only cost CPU). */
bool es_sink_is_loopback(const es_sink *s);

#endif
