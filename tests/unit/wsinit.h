/* wsinit.h — epan for unit programs: every dissector registered, none run.
 *
 * The one place the programs differ by Wireshark version in setting epan
 * up (configuration_init() lost its namespace argument in 4.6).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_TEST_WSINIT_H
#define ES_TEST_WSINIT_H

#include <epan/epan.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>

#include "compat.h"

/* Initialises wiretap and epan without plugins; a session with no packet
 * provider (trees are built by hand).  Aborts the program on failure. */
static inline epan_t *es_test_epan_init(const char *argv0)
{
    static const struct packet_provider_funcs no_provider = {0};
    init_process_policies();
#if ES_WSV >= 40600
    char *err = configuration_init(argv0);
#else
    char *err = configuration_init(argv0, NULL);
#endif
    if (err)
        g_error("configuration_init: %s", err);
    wtap_init(FALSE);
    if (!epan_init(NULL, NULL, FALSE))
        g_error("epan_init failed");
    return epan_new(NULL, &no_provider);
}

static inline void es_test_epan_cleanup(epan_t *session)
{
    epan_free(session);
    epan_cleanup();
    wtap_cleanup();
}

#endif
