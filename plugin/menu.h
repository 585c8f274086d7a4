/* menu.h — Wireshark's Tools › Elasticsearch menu.
 *
 * Status, Test connection, Export now and Open in Kibana, through epan's
 * funnel API (the menus Lua plugins get): no Qt code.  The only file with
 * GUI glue.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_MENU_H
#define ES_MENU_H

#include <glib.h>

#include "settings.h"

/* Fills s with the effective settings (preferences, then -X) with export
 * turned on, validated; false with a message if they are not usable. */
typedef bool (*es_menu_settings_fn)(es_settings *s, GError **err);

/* Registers the menu; call at protocol registration (before Wireshark
 * collects funnel menus, which it does with the tap listeners). */
void es_menu_register(es_menu_settings_fn settings);

#endif
