/* plugin.c — registration: plugin symbols, the "es" protocol, preferences.
 *
 * The exporter registers a protocol only to own the preference module
 * "es" (Edit > Preferences > Protocols > Elasticsearch Export, and
 * `tshark -o es.NAME:VALUE`) and the filter-name prefix of its metadata
 * fields; prefs.c merges the preferences and `-X es.NAME=VALUE`.  Only
 * registration lives here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include "compat.h"

#include <epan/packet.h>
#include <epan/prefs.h>
#include <wsutil/report_message.h>

#include "cmdline.h"
#include "export.h"
#include "http.h"
#include "menu.h"
#include "prefs.h"
#include "settings.h"
#include "version.h"

#if ES_WSV >= 40400
#include <wsutil/plugins.h>
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = ES_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#if ES_WSV >= 40400
WS_DLL_PUBLIC uint32_t plugin_describe(void);
#endif

static int proto_es = -1;

/* For the menu's actions: the settings as they are now, export on. */
static bool menu_settings(es_settings *s, GError **err)
{
    if (!es_prefs_effective(s, err))
        return false;
    s->enabled = true;
    return es_settings_validate(s, err);
}

static void apply(void)
{
    es_prefs_apply(false);
}

static void proto_register_es(void)
{
    /* "Elasticsearch" (and "elasticsearch") belong to Wireshark's dissector
     * of the ES transport protocol. */
    if (proto_get_id_by_filter_name("es") != -1) {
        report_failure("Elasticsearch export: the protocol name \"es\" is taken; export disabled");
        return;
    }
    proto_es = proto_register_protocol("Elasticsearch Export", "ES Export", "es");
    /* A change of settings re-dissects in the GUI, so ticking the box
     * exports the file already open. */
    es_prefs_register(prefs_register_protocol(proto_es, apply));

    es_http_global_init();
    char **argv = es_cmdline_argv();
    es_export_init(argv); /* first: es_export_fail() knows GUI from tshark */
    es_prefs_read_cmdline(argv);
    register_init_routine(es_export_file_opened);
    register_shutdown_routine(es_export_shutdown);
    if (es_cmdline_is_gui(argv))
        es_menu_register(menu_settings);
}

static void proto_reg_handoff_es(void)
{
    /* Preferences are not read yet; -X settings are known, and a tap
     * registered now is in place before tshark creates its tree. */
    if (proto_es != -1)
        es_prefs_apply(true);
}

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_es;
    plug.register_handoff = proto_reg_handoff_es;
    proto_register_plugin(&plug);
}

#if ES_WSV >= 40400
uint32_t plugin_describe(void)
{
    return WS_PLUGIN_DESC_EPAN | WS_PLUGIN_DESC_TAP_LISTENER;
}
#endif
