/* schema.h — the fields the exporter has written so far, with their mapping.
 *
 * Every member name is registered here, with its Elasticsearch type, before
 * the first document that carries it is queued.  The sender puts the fields
 * it has not mapped yet into the index template and the existing indices
 * before it sends that document, so nothing is left to dynamic mapping
 * (which would guess `long` for an unsigned 64-bit value, or lock a field to
 * the type of its first value).  Append-only and thread-safe: the dissection
 * thread adds, the sender reads.  Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SCHEMA_H
#define ES_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"

/* How a field is mapped; see es_map_property() for each one's mapping. */
typedef enum {
    ES_MAP_NONE,   /* no value (protocols, labels) */
    ES_MAP_LONG,   /* signed and unsigned integers up to 63 bits */
    ES_MAP_ULONG,  /* unsigned 64-bit integers */
    ES_MAP_DOUBLE, /* floats, relative times (seconds) */
    ES_MAP_BOOLEAN,
    ES_MAP_DATE,        /* absolute times, RFC 3339 with nanoseconds */
    ES_MAP_TIMESTAMP,   /* @timestamp: like DATE, always valid (data streams
                         refuse ignore_malformed on it) */
    ES_MAP_IP,          /* IPv4 and IPv6 addresses */
    ES_MAP_KEYWORD,     /* strings, MAC addresses, OIDs, GUIDs, ... */
    ES_MAP_SEARCH_TEXT, /* a keyword with a "text" sub-field for word search
                         (http.user_agent, dns.qry.name, ...) */
    ES_MAP_BYTES,       /* byte arrays as hex */
    ES_MAP_BINARY,      /* base64 (the raw frame) */
    ES_MAP_TIME_ALIAS,  /* another name for @timestamp (frame.time) */
    ES_MAP_CONSTANT,    /* one value for every document, kept in the mapping */
} es_map_class;

/* Mapping types and settings a cluster may lack (Elasticsearch without its
 * x-pack modules, OpenSearch before 2.8), found by the sender before the
 * first template.  What the schema writes instead:
 *   unsigned_long    -> double (range queries) with an "exact" keyword
 *                       sub-field holding every digit (field.exact:"1844...")
 *   constant_keyword -> keyword, the value then travels in each document
 *   ILM              -> no index.lifecycle.name (one message)
 *   data streams     -> a plain index of the stream's name, same template */
typedef enum {
    ES_LACKS_UNSIGNED_LONG = 1 << 0,
    ES_LACKS_CONSTANT_KEYWORD = 1 << 1,
    ES_LACKS_ILM = 1 << 2,
    ES_LACKS_DATA_STREAM = 1 << 3, /* Elasticsearch 7 without x-pack */
} es_lack;

/* The class of a field registered under several types: the one that
 * accepts every value of each. */
es_map_class es_map_merge(es_map_class a, es_map_class b);

/* Writes the mapping object of a class ({"type":"long"}, ...) for a cluster
 * lacking what the es_lack bits of lacks say. */
void es_map_property(jsonw *w, es_map_class c, unsigned lacks);

/* The class of a mapping read back from a cluster: field name, its "type",
 * whether it has "fields", its "ignore_above" (0 if none); ES_MAP_NONE for
 * a type the exporter does not write.  The inverse of es_map_property(). */
es_map_class es_map_class_of_mapping(const char *name, const char *type, bool has_fields, int64_t ignore_above);

typedef struct es_schema es_schema;

es_schema *es_schema_new(void);
void es_schema_free(es_schema *s);

/* Registers a field (copying name).  A field known already with this class
 * is left as it is (with its copy_to). */
void es_schema_add(es_schema *s, const char *name, es_map_class c);

/* Registers a field the installed template maps already, with its copy_to
 * and constant value (copied), unless the run registered it first: the
 * template and the indices are then never updated with less than they
 * had. */
void es_schema_seed(es_schema *s, const char *name, es_map_class c, char **copy_to, const char *value);

/* Registers a constant_keyword field whose value (copied) lives in the
 * mapping, so documents need not carry it. */
void es_schema_add_constant(es_schema *s, const char *name, const char *value);

/* Records that Elasticsearch is to copy from's values into to (both
 * registered): the exporter leaves out a field that only repeats another
 * one (ip.addr beside ip.src) and the mapping puts the values back at index
 * time, so the field stays searchable.  Re-registers from with its new
 * copy_to list; false if it was there already. */
bool es_schema_copy_to(es_schema *s, const char *from, const char *to);

/* What the cluster lacks (es_lack bits, 0 until known): es_schema_write()
 * writes the fallbacks. */
void es_schema_set_lacks(es_schema *s, unsigned lacks);
unsigned es_schema_lacks(es_schema *s);

/* Entries so far: a field whose definition changed has several, the
 * newest of which es_schema_write() writes. */
size_t es_schema_count(es_schema *s);

/* Distinct fields so far. */
size_t es_schema_fields(es_schema *s);

/* Writes the fields [from, to) as members "name":{mapping} of the object w
 * is in. */
void es_schema_write(es_schema *s, size_t from, size_t to, jsonw *w);

/* The same, leaving out the fields named in except (NULL-terminated, or
 * NULL). */
void es_schema_write_except(es_schema *s, size_t from, size_t to, const char *const *except, jsonw *w);

#endif
