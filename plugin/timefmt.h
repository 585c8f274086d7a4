/* timefmt.h — RFC 3339 time text, UTC, nanoseconds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_TIMEFMT_H
#define ES_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include <wsutil/nstime.h>

/* Writes "2026-11-22T07:59:52.000001000Z" to out; returns its length, or 0
 * if the time cannot be written (out of range). */
size_t es_rfc3339(char *out, size_t outlen, const nstime_t *t);

#endif
