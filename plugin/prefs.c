/* prefs.c — the "es" preferences and -X es.*, merged into the settings
 * (prefs.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "compat.h"

#include <string.h>

#include <epan/ex-opt.h>
#include <epan/prefs.h>

#include "cmdline.h"
#include "export.h"
#include "prefs.h"

/* Storage for each preference, in the type its prefs_register_* wants. */
typedef union pref_var {
    es_pref_bool b;
    guint u;
    gint e;
    const char *s;
} pref_var;

static pref_var pref_vars[ES_N_OPTS_MAX];
static char **argv_copy;                 /* the process's arguments, NULL where unknown */
static es_settings cmdline_settings;     /* -X values over the defaults */
static bool cmdline_seen[ES_N_OPTS_MAX]; /* which settings -X gave */
static bool cmdline_node;                /* es.node (or es.cloud_id) given with -X or -o */

/* No argument list on this platform: only the -X es.NAME:VALUE spelling
 * can be read, through epan's ex_opt store. */
static void add_ex_opts(GPtrArray *opts)
{
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

static void unknown_setting(const char *name)
{
    GString *known = g_string_new(NULL);
    for (size_t j = 0; j < es_n_opts; j++)
        g_string_append_printf(known, "%ses.%s", j ? ", " : "", es_opts[j].name);
    char *msg = g_strdup_printf("-X es.%s: unknown setting; known settings: %s", name, known->str);
    es_export_fail(msg);
    g_free(msg);
    g_string_free(known, TRUE);
}

/* An unknown setting or a bad value: a message naming the setting and
 * what it accepts. */
void es_prefs_read_cmdline(char **argv)
{
    argv_copy = argv;
    es_settings_init(&cmdline_settings);
    GPtrArray *opts = es_cmdline_xopts(argv_copy);
    if (!argv_copy)
        add_ex_opts(opts);
    for (guint i = 0; i < opts->len; i++) {
        es_xopt *o = opts->pdata[i];
        const es_opt_desc *d = es_opt_find(o->name);
        GError *err = NULL;
        if (!d) {
            unknown_setting(o->name);
            continue;
        }
        if (!es_settings_set(&cmdline_settings, d, o->value, &err)) {
            es_export_fail(err->message);
            g_error_free(err);
            continue;
        }
        cmdline_seen[d - es_opts] = true;
        if (strcmp(d->name, "node") == 0 || strcmp(d->name, "cloud_id") == 0)
            cmdline_node = true;
    }
    es_xopts_free(opts);
    if (es_cmdline_sets_node(argv_copy))
        cmdline_node = true;
}

bool es_prefs_effective(es_settings *s, GError **err)
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

void es_prefs_apply(bool at_handoff)
{
    es_settings s;
    GError *err = NULL;
    bool ok = es_prefs_effective(&s, &err);
    bool enabled = ok && (s.enabled || cmdline_node) && (*s.node || *s.cloud_id || !at_handoff);
    if (enabled)
        ok = es_settings_validate(&s, &err);
    if (!ok) {
        es_export_fail(err->message);
        g_error_free(err);
        enabled = false;
    }
    es_export_configure(&s, enabled);
    es_settings_clear(&s);
}

void es_prefs_register(module_t *m)
{
    g_assert(es_n_opts <= G_N_ELEMENTS(pref_vars));
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
