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

#include "jsonw.h"
#include "settings.h"

struct _proto_node;

typedef struct es_flattener es_flattener;

/* A flattener for the given settings (protocols, exclude, max_bytes) and
 * field-name style (dotted or underscore). */
es_flattener *es_flattener_new(const es_settings *s, es_name_style style);
void es_flattener_free(es_flattener *f);

/* Writes the fields of tree as members of the object w is in. */
void es_flatten(es_flattener *f, struct _proto_node *tree, jsonw *w);

/* The member name of a field name in this flattener's style, encoded as a
 * JSON string (for the metadata members written beside the fields). */
const char *es_flattener_style_name(const es_flattener *f, const char *name, char *buf, size_t len);

#endif
