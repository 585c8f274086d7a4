/* floor.c — the dissection floor, for benchmarks only.
 *
 * A tap that asks for a full, visible protocol tree for every frame (as the
 * exporter does) and does nothing with it: `tshark -r f -q` with this plugin
 * measures what dissection alone costs.  Never installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/epan.h>
#include <epan/packet.h>
#include <epan/tap.h>

WS_DLL_PUBLIC_DEF const char plugin_version[] = "0.0.0";
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

static int token;

static tap_packet_status on_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt,
                                   const void *data, tap_flags_t flags)
{
    (void)tapdata;
    (void)pinfo;
    (void)edt;
    (void)data;
    (void)flags;
    return TAP_PACKET_DONT_REDRAW;
}

static void register_floor(void)
{
    GString *err = register_tap_listener("frame", &token, NULL, TL_REQUIRES_PROTO_TREE,
                                         NULL, on_packet, NULL, NULL);
    if (err)
        g_string_free(err, TRUE);
    epan_set_always_visible(TRUE);
}

static void nothing(void)
{
}

void plugin_register(void)
{
    static proto_plugin plug = {nothing, register_floor};
    proto_register_plugin(&plug);
}
