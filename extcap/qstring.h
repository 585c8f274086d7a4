/* qstring.h — a query string (Lucene syntax, as in Kibana) written with
 * Wireshark's field names, made ready for the index.
 *
 * Field names (before ':', and the field of _exists_:NAME) get the
 * index's style (tcp.flags.syn -> tcp_flags_syn on OpenSearch and
 * Elasticsearch 7; a trailing .text or .exact sub-field stays dotted), an
 * address block's '/' is escaped so that ip.addr:10.0.0.0/8 is a CIDR
 * rather than the start of a regular expression, and 1/0 given to a
 * boolean field become true/false, as a display filter writes them.
 * Everything else passes unchanged.  Plain C + glib.
 *
 *   char *q = qs_rewrite("ip.addr:10.0.0.0/8 AND tcp.flags.syn:1", true, lookup, ud);
 *   // "ip_addr:10.0.0.0\/8 AND tcp_flags_syn:true"; g_free()
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_QSTRING_H
#define ESD_QSTRING_H

#include <stdbool.h>

#include "dfilter2dsl.h"

/* lookup may be NULL (no boolean rewriting). */
char *qs_rewrite(const char *query, bool underscore, df_lookup lookup, void *ud);

#endif
