/* corefields.h — the fields of es.profile=core (flatten's filter).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_COREFIELDS_H
#define ES_COREFIELDS_H

/* The field-name prefixes of the "core" profile (NULL-terminated). */
extern const char *const es_core_fields[];

#endif
