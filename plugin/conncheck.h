/* conncheck.h — "Test connection": what each configured node says.
 *
 * For every node of the settings: whether it answers (and if not, why:
 * refused, DNS, timeout, TLS), the server and version, whether the
 * credentials are accepted (naming the user or API key id, never the
 * secret), whether the cluster or the target indices are read-only, and
 * whether the index template is installed (present, missing, or for
 * other indices).  Uses http.h; no epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_CONNCHECK_H
#define ES_CONNCHECK_H

#include "settings.h"

/* The report, one paragraph per node, each starting with "OK" or
 * "PROBLEM".  s must be validated.  Blocks for at most a few requests of
 * timeout_s each per node: run it off the GUI thread. */
char *es_conncheck_run(const es_settings *s, unsigned timeout_s);

#endif
