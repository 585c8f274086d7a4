/* version.h — the plugin's semantic version (also in CMakeLists.txt).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_VERSION_H
#define ES_VERSION_H

#define ES_PLUGIN_VERSION "0.1.0"

#endif
