/* mapping.c — the Elasticsearch mapping of each Wireshark field type.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "mapping.h"

es_map_class es_map_class_of(enum ftenum type)
{
    switch (type) {
    case FT_NONE:
    case FT_PROTOCOL:
        return ES_MAP_NONE;
    case FT_BOOLEAN:
        return ES_MAP_BOOLEAN;
    case FT_CHAR:
    case FT_UINT8:
    case FT_UINT16:
    case FT_UINT24:
    case FT_UINT32:
    case FT_UINT40:
    case FT_UINT48:
    case FT_UINT56:
    case FT_INT8:
    case FT_INT16:
    case FT_INT24:
    case FT_INT32:
    case FT_INT40:
    case FT_INT48:
    case FT_INT56:
    case FT_INT64:
    case FT_FRAMENUM:
    case FT_IPXNET:
        return ES_MAP_LONG;
    case FT_UINT64:
        return ES_MAP_ULONG;
    case FT_FLOAT:
    case FT_DOUBLE:
    case FT_RELATIVE_TIME:
    case FT_IEEE_11073_SFLOAT:
    case FT_IEEE_11073_FLOAT:
        return ES_MAP_DOUBLE;
    case FT_ABSOLUTE_TIME:
        return ES_MAP_DATE;
    case FT_IPv4:
    case FT_IPv6:
        return ES_MAP_IP;
    case FT_BYTES:
    case FT_UINT_BYTES:
        return ES_MAP_BYTES;
    default:
        /* strings, ETHER, EUI64, GUID, OID, REL_OID, SYSTEM_ID, FCWWN,
         * AX25, VINES: text */
        return ES_MAP_KEYWORD;
    }
}
