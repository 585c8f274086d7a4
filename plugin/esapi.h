/* esapi.h — what the exporter knows of the Elasticsearch REST API.
 *
 * Parsing the answers it relies on (GET /, _bulk) and writing the bodies it
 * sends (index template).  Plain C + glib + json-glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_ESAPI_H
#define ES_ESAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "schema.h"
#include "settings.h"

typedef struct es_server_info {
    bool opensearch;
    int major, minor;
    char version[32];
} es_server_info;

/* Reads the answer of GET /. */
bool es_server_parse(const char *body, size_t len, es_server_info *out, GError **err);

/* Dotted names with subobjects:false need Elasticsearch 8.3 or later;
 * everything else gets underscore names. */
es_name_style es_server_name_style(const es_server_info *info);

/* Called for each item of a bulk response, in order: HTTP-like status, and
 * for failures the error type and reason (else NULL). */
typedef void (*es_bulk_item_cb)(void *ud, uint32_t index, int status,
                                const char *type, const char *reason);

/* Whether a _bulk response says every one of its n_items items succeeded
 * ("errors": false first, as Elasticsearch writes it, and n_items statuses):
 * the common case, answered without building a tree of thousands of items.
 * False means "parse it" (es_bulk_response_parse), not "failed". */
bool es_bulk_response_all_ok(const char *body, size_t len, uint32_t n_items);

/* Parses a _bulk response body; false unless it has exactly n_items items. */
bool es_bulk_response_parse(const char *body, size_t len, uint32_t n_items,
                            es_bulk_item_cb cb, void *ud, GError **err);

/* The query string the exporter adds to _bulk: only what it reads back. */
#define ES_BULK_PATH "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"

/* Whether an error response body is a cluster_block_exception (a read-only
 * cluster or index). */
bool es_error_is_block(const char *body, size_t len);

/* "type: reason" of an error response body, or a prefix of the body. */
char *es_error_summary(const char *body, size_t len);

/* The field a mapping conflict names ("mapper [F] cannot be changed from
 * type [long] to [double]", "Mapper for [F] conflicts with existing
 * mapper"), in an error reason or a whole error body; NULL if text is no
 * such conflict.  Another writer mapped F first: concurrent dynamic
 * mapping, or two runs into one index. */
char *es_mapping_conflict_field(const char *text, size_t len);

/* ECS event.dataset of every document. */
#define ES_DATASET "wireshark.packet"

/* Name and body of the index template for the settings' target (patterns:
 * the index pattern up to its first '%' followed by '*', or the data stream
 * name; a data-stream template for a data stream; the ILM policy on
 * Elasticsearch), mapping every field of schema.  An info of all zeroes
 * (server unknown) gives the template for current Elasticsearch. */
char *es_template_name(const char *index_pattern);
char *es_template_body(const es_server_info *info, es_name_style style, const es_settings *st,
                       es_schema *schema);

/* The body of POST /_index_template/_simulate that uses the features named
 * by the es_lack bits of features: 200 if the cluster has them all, 400
 * if it lacks one. */
#define ES_PROBE_PATH "/_index_template/_simulate"
char *es_probe_body(unsigned features);

/* Adds the fields of an installed template (the body of GET
 * _index_template/NAME) to schema with es_schema_seed(); false if the body
 * holds no template. */
bool es_template_seed(const char *body, size_t len, es_schema *schema);

/* POST <ES_SIMULATE_PATH><index>, without a body: the template a new index
 * of that name would get.  es_template_shadowed() reads the answer: true if
 * the template name is among the matching ones that lose, to a template of
 * higher priority whose mappings then apply instead. */
#define ES_SIMULATE_PATH "/_index_template/_simulate_index/"
bool es_template_shadowed(const char *body, size_t len, const char *name);

/* The indices of the pattern as a wildcard expression ("packets-*"). */
char *es_index_glob(const char *index_pattern);

/* {"properties":{...}} for the fields [from, to) of schema but those named
 * in except (NULL-terminated, or NULL): the body of PUT <indices>/_mapping.
 * Dotted style repeats "subobjects": false so the dotted names stay leaf
 * fields whatever the update is parsed against. */
char *es_mapping_body(es_schema *schema, size_t from, size_t to, es_name_style style,
                      const char *const *except);

/* Writes the metadata field name `name` (e.g. "raw") in the given style:
 * "es.raw" or "es_raw". */
const char *es_meta_key(es_name_style style, const char *name);

#endif
