/* kibana.h — the Kibana Discover address for a capture.
 *
 * Discover on the data view whose ID is the index pattern (packets-*),
 * over the capture's time range, with the display filter as a custom
 * filter holding its query DSL (translated by extcap/dfilter2dsl).
 * Kibana's URL state is rison (JSON with a URL-friendly syntax), written
 * here from the DSL's JSON.  Plain C + glib + json-glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_KIBANA_H
#define ES_KIBANA_H

#include <stdint.h>

/* JSON text as rison, or NULL if json is not valid JSON.  g_free(). */
char *es_rison_from_json(const char *json);

/* The Discover URL under base (es.kibana_url).  from_s/to_s: the
 * capture's first and last frame times (seconds since 1970, UTC); dsl: a
 * query DSL object (JSON) and filter_text its display filter, or both
 * NULL for none.  g_free(). */
char *es_kibana_discover_url(const char *base, const char *data_view, double from_s, double to_s,
                             const char *dsl, const char *filter_text);

#endif
