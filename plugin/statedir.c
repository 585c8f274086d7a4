/* statedir.c — where the exporter keeps files between runs (statedir.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "statedir.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

char *es_state_dir(const char *kind, const char *leaf)
{
    char *dir = g_build_filename(g_get_user_state_dir(), "wireshark-es", kind, leaf, NULL);
    if (g_mkdir_with_parents(dir, 0700) == 0 && access(dir, W_OK) == 0)
        return dir;
    g_free(dir);
    char *user = g_strdup_printf("wireshark-es-%u", (unsigned)getuid());
    dir = g_build_filename(g_get_tmp_dir(), user, kind, leaf, NULL);
    g_free(user);
    return dir;
}
