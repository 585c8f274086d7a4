/* statedir.h — where the exporter keeps files between runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_STATEDIR_H
#define ES_STATEDIR_H

/* ~/.local/state/wireshark-es/KIND[/LEAF] (XDG_STATE_HOME), created mode
 * 0700; where that cannot be made or written (a home on a read-only
 * mount, user nobody), $TMPDIR/wireshark-es-UID/KIND[/LEAF], not created.
 * leaf may be NULL.  Free with g_free(). */
char *es_state_dir(const char *kind, const char *leaf);

#endif
