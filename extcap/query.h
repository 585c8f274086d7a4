/* query.h — the Elasticsearch query of one esdump run.
 *
 * Every condition of the options, all of which must hold: the query and
 * the capture filter (each a display filter, translated by dfilter2dsl, or
 * a query string, made ready by qstring), the time range on @timestamp,
 * and the capture to replay (its es.capture_id or es.capture).
 *
 *   char *q = esd_query_build(&opts, &cluster, fields, esd_time_now(), &err);   // JSON text, g_free()
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_QUERY_H
#define ESD_QUERY_H

#include <stdint.h>

#include "cluster.h"
#include "options.h"

/* NULL with *error (naming the option and the part of it) when an option
 * cannot be used. */
char *esd_query_build(const esd_opts *o, const esd_cluster *cl, esd_fields *fields, int64_t now_ns,
                      char **error);

/* One user query (a --query or capture filter value) as a query object:
 * syntax is "auto", "display-filter" or "query-string". */
char *esd_query_user(const char *text, const char *syntax, const esd_cluster *cl, esd_fields *fields,
                     char **error);

/* query AND @timestamp >= from_ns, as JSON text (follow's polls). */
char *esd_query_since(const char *query, int64_t from_ns);

#endif
