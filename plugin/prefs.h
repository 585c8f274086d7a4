/* prefs.h — the "es" preferences and -X es.*, merged into the settings.
 *
 * Each setting of the table (settings.h) is a Wireshark preference of the
 * "es" module; -X es.NAME=VALUE overrides it.  Export runs when the
 * checkbox is ticked or a node was given on tshark's command line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_PREFS_H
#define ES_PREFS_H

#include <stdbool.h>

#include <glib.h>
#include <epan/prefs.h>

#include "settings.h"

/* Registers one preference per setting in m. */
void es_prefs_register(module_t *m);

/* Reads -X es.* from argv (NULL: from epan's -X store, where the argument
 * list is unknown); an unknown setting or a bad value is fatal
 * (es_export_fail). */
void es_prefs_read_cmdline(char **argv);

/* The effective settings: preferences, overridden by -X; false with a
 * message if a value is out of bounds. */
bool es_prefs_effective(es_settings *s, GError **err);

/* Applies preferences and -X to the exporter.  A bad setting is fatal
 * (es_export_fail): tshark stops, the GUI reports it and leaves export
 * off.  At hand-off the preferences are not read yet: a node given with -o
 * arrives with the later apply. */
void es_prefs_apply(bool at_handoff);

#endif
