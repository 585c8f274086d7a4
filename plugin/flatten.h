/* flatten.h — one frame's protocol tree as flat, typed JSON members.
 *
 * Walks the tree depth-first and writes one member per display-filter field
 * name, in tree order.  A name that occurs more than once becomes one array
 * (values in tree order), so an object never has a duplicate key.  Values
 * are typed from the field's type, never parsed from its display text.
 * Member names are encoded once per field and reused for every frame.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_FLATTEN_H
#define ES_FLATTEN_H

#include <stdbool.h>

#include <wsutil/nstime.h>

#include "corefields.h"
#include "framemap.h"
#include "jsonw.h"
#include "schema.h"
#include "settings.h"

struct _proto_node;

typedef struct es_flattener es_flattener;

/* Wireshark's Info and Protocol columns, under the names 4.2+ registers for
 * them; written by the exporter (es.columns), never from the tree. */
#define ES_COL_INFO "_ws.col.info"
#define ES_COL_PROTOCOL "_ws.col.protocol"

/* A flattener for the given settings (protocols, exclude, max_bytes) and
 * field-name style (dotted or underscore).  Each member name is added to
 * schema (not owned) before the first document that carries it. */
es_flattener *es_flattener_new(const es_settings *s, es_name_style style, es_schema *schema);
void es_flattener_free(es_flattener *f);

/* Registers the ECS fields the flattener copies Wireshark's into
 * (source.ip, ...): called before the first frame when es.ecs is on. */
void es_flatten_register_ecs(es_schema *schema);

/* For a part of a split capture (es.frame_map): frame-number fields are
 * written as the original's numbers through map, tcp.stream and udp.stream
 * as the original's indices (es_frame_map_stream() with ref, the frame's
 * record), frame.time_relative and frame.time_delta as relative and delta
 * (each NULL: the tree's value); the pointers stay the caller's and must
 * live through es_flatten().  A NULL map turns it off. */
void es_flatten_split(es_flattener *f, es_frame_map *map, const es_frame_ref *ref, const nstime_t *relative,
                      const nstime_t *delta);

/* Writes the fields of tree as members of the object w is in. */
void es_flatten(es_flattener *f, struct _proto_node *tree, jsonw *w);

/* Frames whose tree shape was remembered (their walk skipped, shape.h) and
 * frames walked. */
void es_flatten_shape_counts(const es_flattener *f, uint64_t *remembered, uint64_t *walked);

#endif
