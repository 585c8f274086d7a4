/* compat.h — every difference between the Wireshark versions we build for.
 *
 * One plugin source builds against Wireshark 4.0, 4.2, 4.4 and 4.6; the API
 * differences that matter (field value accessors, the bool preference type)
 * are confined to this header.  A binary still loads only in the
 * major.minor it was built for.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_COMPAT_H
#define ES_COMPAT_H

#include <wireshark.h>
#include <epan/proto.h>
#include <epan/ftypes/ftypes.h>

#define ES_WSV (WIRESHARK_VERSION_MAJOR * 10000 + WIRESHARK_VERSION_MINOR * 100 + \
                WIRESHARK_VERSION_MICRO)

/* The bool preference variable: gboolean (int) before 4.4, bool after. */
#if ES_WSV >= 40400
typedef bool es_pref_bool;
#else
typedef gboolean es_pref_bool;
#endif

/* The result of a funnel text-window button callback changed the same way. */
typedef es_pref_bool es_funnel_bool;

/* field_info embeds its fvalue_t in 4.0 and points to it from 4.2. */
#if ES_WSV >= 40200
#define ES_FI_FV(fi) ((fi)->value)
#else
#define ES_FI_FV(fi) (&(fi)->value)
#endif

/* An unsigned integer field's value: 32 bits (FT_UINT8 to FT_UINT32,
 * FT_CHAR, FT_FRAMENUM, FT_IPXNET) or 64 (FT_UINT40 to FT_UINT64,
 * FT_BOOLEAN, FT_EUI64).  4.0 declares fvalue_t in its headers, so the
 * value is read without fvalue_get_uinteger()'s two calls (about a quarter
 * of a document's members are read here); later versions hide it. */
static inline uint32_t es_fv_uint32(fvalue_t *fv)
{
#if ES_WSV >= 40200
    return fvalue_get_uinteger(fv);
#else
    return fv->value.uinteger;
#endif
}

static inline uint64_t es_fv_uint64(fvalue_t *fv)
{
#if ES_WSV >= 40200
    return fvalue_get_uinteger64(fv);
#else
    return fv->value.uinteger64;
#endif
}

/* A time field's value (absolute or relative). */
static inline const nstime_t *es_fv_time(fvalue_t *fv)
{
#if ES_WSV >= 40200
    return fvalue_get_time(fv);
#else
    return &fv->value.time;
#endif
}

/* IPv4 address in host byte order. */
static inline uint32_t es_fv_ipv4(fvalue_t *fv)
{
#if ES_WSV >= 40400
    return fvalue_get_ipv4(fv)->addr;
#elif ES_WSV >= 40200
    return g_ntohl(fvalue_get_uinteger(fv)); /* network order before 4.4 */
#else
    return fv->value.ipv4.addr;
#endif
}

/* The 16 bytes of an IPv6 address. */
static inline const uint8_t *es_fv_ipv6(fvalue_t *fv)
{
#if ES_WSV >= 40400
    return fvalue_get_ipv6(fv)->addr.bytes;
#elif ES_WSV >= 40200
    return fvalue_get_ipv6(fv)->bytes;
#else
    return fvalue_get_bytes(fv);
#endif
}

/* Bytes of a byte-array field (BYTES, ETHER, ...). */
static inline const uint8_t *es_fv_bytes(fvalue_t *fv, size_t *len)
{
#if ES_WSV >= 40200
    *len = fvalue_get_bytes_size(fv);
    return fvalue_get_bytes_data(fv);
#else
    *len = fv->value.bytes ? fv->value.bytes->len : 0;
    return fv->value.bytes ? fv->value.bytes->data : NULL;
#endif
}

/* A string field's value with its length (it may hold NUL bytes). */
static inline const char *es_fv_string(fvalue_t *fv, size_t *len)
{
#if ES_WSV >= 40200
    const wmem_strbuf_t *sb = fvalue_get_strbuf(fv);
#else
    const wmem_strbuf_t *sb = fv->value.strbuf;
#endif
    if (!sb) {
        *len = 0;
        return "";
    }
    *len = wmem_strbuf_get_len(sb);
    return wmem_strbuf_get_str(sb);
}

#endif
