/* indexname.h — index names from es.index patterns, and their checks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_INDEXNAME_H
#define ES_INDEXNAME_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/* Formats the index pattern for a UTC time; false if the result is not a
 * valid Elasticsearch index name. */
bool es_index_format(const char *pattern, gint64 secs, char *out, size_t outlen);

/* Whether es.index gives valid index names and es.data_stream (if set) is
 * a valid stream name; the error names the setting and what is accepted. */
bool es_index_names_check(const char *index, const char *data_stream, GError **err);

#endif
