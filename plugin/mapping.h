/* mapping.h — the Elasticsearch mapping of each Wireshark field type.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_MAPPING_H
#define ES_MAPPING_H

#include <wireshark.h>
#include <epan/ftypes/ftypes.h>

#include "schema.h"

/* How values of a field type are mapped (ES_MAP_NONE: no value). */
es_map_class es_map_class_of(enum ftenum type);

#endif
