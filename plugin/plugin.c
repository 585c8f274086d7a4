/* plugin.c — registration: plugin symbols, the "es" protocol, preferences.
 *
 * The exporter registers a protocol only to own the preference module
 * "es" (Edit > Preferences > Protocols > Elasticsearch Export, and
 * `tshark -o es.NAME:VALUE`) and the filter-name prefix of its metadata
 * fields.  Settings also come from `-X es.NAME=VALUE`, which override the
 * preferences.  All logic lives in the other modules.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>

#include <epan/ex-opt.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <wsutil/report_message.h>

#include "cmdline.h"
#include "export.h"
#include "http.h"
#include "menu.h"
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

/* Storage for each preference, in the type its prefs_register_* wants. */
typedef union pref_var {
    es_pref_bool b;
    guint u;
    gint e;
    const char *s;
} pref_var;

static int proto_es = -1;
static pref_var pref_vars[ES_N_OPTS_MAX];
static char **argv_copy;
static es_settings cmdline_settings;   /* -X values over the defaults */
static bool cmdline_seen[ES_N_OPTS_MAX];          /* which settings -X gave */
static bool cmdline_node;              /* es.node (or es.cloud_id) given with -X or -o */

static void fatal(const char *msg)
{
    fprintf(stderr, "tshark: %s\n", msg);
    exit(1);
}

/* Reads -X es.* from the command line; an unknown setting or a bad value
 * stops the program with a message naming the setting and what it accepts. */
static void read_cmdline(void)
{
    es_settings_init(&cmdline_settings);
    GPtrArray *opts = es_cmdline_xopts(argv_copy);
    if (!argv_copy) {
        /* No argument list on this platform: only the -X es.NAME:VALUE
         * spelling can be read, through epan's ex_opt store. */
        for (size_t i = 0; i < es_n_opts; i++) {
            char *k = g_strdup_printf("es.%s", es_opts[i].name);
            for (gint n = 0; n < ex_opt_count(k); n++) {
                es_xopt *o = g_new0(es_xopt, 1);
                o->name = g_strdup(es_opts[i].name);
                o->value = g_strdup(ex_opt_get_nth(k, (guint)n));
                g_ptr_array_add(opts, o);
            }
            g_free(k);
        }
    }
    for (guint i = 0; i < opts->len; i++) {
        es_xopt *o = opts->pdata[i];
        const es_opt_desc *d = es_opt_find(o->name);
        GError *err = NULL;
        if (!d) {
            GString *known = g_string_new(NULL);
            for (size_t j = 0; j < es_n_opts; j++)
                g_string_append_printf(known, "%ses.%s", j ? ", " : "", es_opts[j].name);
            char *msg = g_strdup_printf("-X es.%s: unknown setting; known settings: %s",
                                        o->name, known->str);
            fatal(msg);
        }
        if (!es_settings_set(&cmdline_settings, d, o->value, &err))
            fatal(err->message);
        cmdline_seen[d - es_opts] = true;
        if (strcmp(d->name, "node") == 0 || strcmp(d->name, "cloud_id") == 0)
            cmdline_node = true;
    }
    es_xopts_free(opts);
    if (es_cmdline_sets_node(argv_copy))
        cmdline_node = true;
}

/* The effective settings: preferences, overridden by -X; false with a
 * message if a value is out of bounds. */
static bool effective_settings(es_settings *s, GError **err)
{
    es_settings_init(s);
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        if (cmdline_seen[i]) {
            es_settings_copy_opt(s, &cmdline_settings, d);
            continue;
        }
        bool ok = true;
        switch (d->type) {
        case ES_OPT_BOOL: ok = es_settings_set_number(s, d, pref_vars[i].b ? 1 : 0, err); break;
        case ES_OPT_UINT: ok = es_settings_set_number(s, d, pref_vars[i].u, err); break;
        case ES_OPT_ENUM: ok = es_settings_set_number(s, d, (unsigned)pref_vars[i].e, err); break;
        default: es_settings_set_string(s, d, pref_vars[i].s); break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* Applies preferences and -X: export runs when the checkbox is ticked or a
 * node was given on the command line.  A bad setting stops tshark; the GUI
 * reports it and leaves export off.  At hand-off the preferences are not
 * read yet: a node given with -o arrives with the later apply. */
static void apply_settings(bool at_handoff)
{
    es_settings s;
    GError *err = NULL;
    bool ok = effective_settings(&s, &err);
    bool enabled = ok && (s.enabled || cmdline_node) && (*s.node || *s.cloud_id || !at_handoff);
    if (enabled)
        ok = es_settings_validate(&s, &err);
    if (!ok) {
        if (!es_cmdline_is_gui(argv_copy))
            fatal(err->message);
        report_failure("Elasticsearch export: %s", err->message);
        g_error_free(err);
        enabled = false;
    }
    es_export_configure(&s, enabled);
    es_settings_clear(&s);
}

/* For the menu's actions: the settings as they are now, export on. */
static bool menu_settings(es_settings *s, GError **err)
{
    if (!effective_settings(s, err))
        return false;
    s->enabled = true;
    return es_settings_validate(s, err);
}

static void apply(void)
{
    apply_settings(false);
}

static void register_prefs(module_t *m)
{
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        pref_var *v = &pref_vars[i];
        switch (d->type) {
        case ES_OPT_BOOL:
            v->b = d->def != 0;
            prefs_register_bool_preference(m, d->name, d->title, d->help, &v->b);
            break;
        case ES_OPT_UINT:
            v->u = d->def;
            prefs_register_uint_preference(m, d->name, d->title, d->help, 10, &v->u);
            break;
        case ES_OPT_ENUM: {
            size_t n = 0;
            while (d->names[n])
                n++;
            enum_val_t *vals = g_new0(enum_val_t, n + 1);
            for (size_t j = 0; j < n; j++) {
                vals[j].name = d->names[j];
                vals[j].description = d->names[j];
                vals[j].value = (gint)j;
            }
            v->e = (gint)d->def;
            prefs_register_enum_preference(m, d->name, d->title, d->help, &v->e, vals, FALSE);
            break;
        }
        case ES_OPT_STRING:
            v->s = d->def_str;
            prefs_register_string_preference(m, d->name, d->title, d->help, &v->s);
            break;
        case ES_OPT_SECRET:
            v->s = d->def_str;
            prefs_register_password_preference(m, d->name, d->title, d->help, &v->s);
            break;
        }
    }
}

static void proto_register_es(void)
{
    /* "Elasticsearch" (and "elasticsearch") belong to Wireshark's dissector
     * of the ES transport protocol. */
    if (proto_get_id_by_filter_name("es") != -1) {
        report_failure("Elasticsearch export: the protocol name \"es\" is taken; export disabled");
        return;
    }
    g_assert(es_n_opts <= G_N_ELEMENTS(pref_vars));
    proto_es = proto_register_protocol("Elasticsearch Export", "ES Export", "es");
    /* A change of settings re-dissects in the GUI, so ticking the box
     * exports the file already open. */
    module_t *m = prefs_register_protocol(proto_es, apply);
    register_prefs(m);

    es_http_global_init();
    argv_copy = es_cmdline_argv();
    read_cmdline();
    es_export_init(argv_copy);
    register_init_routine(es_export_file_opened);
    register_shutdown_routine(es_export_shutdown);
    if (es_cmdline_is_gui(argv_copy))
        es_menu_register(menu_settings);
}

static void proto_reg_handoff_es(void)
{
    /* Preferences are not read yet; -X settings are known, and a tap
     * registered now is in place before tshark creates its tree. */
    if (proto_es != -1)
        apply_settings(true);
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
