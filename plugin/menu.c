/* menu.c — Wireshark's Tools › Elasticsearch menu.
 *
 * Funnel menus land under Tools (REGISTER_TOOLS_GROUP_UNSORTED; "A/B" makes
 * the submenu A) in every Qt version we build for, and their callbacks run on
 * the GUI thread, as do the dissection and the tap there.  Each window is a
 * funnel text window; what it shows is plain text.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "menu.h"

#include "compat.h"
#include <cfile.h>
#include <epan/frame_data_sequence.h>
#include <epan/funnel.h>
#include <epan/plugin_if.h>
#include <epan/proto.h>

#include "conncheck.h"
#include "dfilter2dsl.h"
#include "esapi.h"
#include "export.h"
#include "kibana.h"
#include "mapping.h"
#include "sender.h"
#include "stats.h"

#define CONNCHECK_TIMEOUT_S 3

static es_menu_settings_fn menu_settings;

static const char *const style_names[] = {"auto", "dotted (ip.src)", "underscore (ip_src)"};

static funnel_text_window_t *open_window(const char *title)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (!ops || !ops->new_text_window || !ops->set_text)
        return NULL;
    return ops->new_text_window(ops->ops_id, title);
}

static void show_text(funnel_text_window_t *tw, const char *text)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (tw && ops && ops->set_text)
        ops->set_text(tw, text);
}

/* The settings export would use now; on failure the reason is in msg. */
static bool usable_settings(es_settings *s, GString *msg)
{
    GError *err = NULL;
    es_settings_init(s);
    if (menu_settings(s, &err))
        return true;
    g_string_append_printf(msg, "The settings cannot be used: %s\n"
                                "Fix them in Edit › Preferences › Protocols › Elasticsearch Export.\n",
                           err->message);
    g_error_free(err);
    es_settings_clear(s);
    return false;
}

static void append_server(GString *out, es_sender *snd)
{
    es_sender_state st;
    es_sender_state_get(snd, &st);
    if (st.info.major)
        g_string_append_printf(out, "Server:           %s %s\n", st.info.opensearch ? "OpenSearch" : "Elasticsearch",
                               st.info.version);
    else
        g_string_append(out, "Server:           not reached yet\n");
    g_string_append_printf(out, "Field names:      %s\n", style_names[st.style]);
    g_string_append_printf(out, "Spooled:          %" G_GUINT64_FORMAT "%s%s\n", st.spooled,
                           st.spooled ? " documents in " : "", st.spooled ? st.spool_dir : "");
    g_string_append_printf(out, "Last warning:     %s\n", st.last_error ? st.last_error : "none");
    if (st.dead_letter)
        g_string_append_printf(out, "Dead-letter file: %s (%" G_GUINT64_FORMAT " documents)\n", st.dead_letter,
                               st.dead_letters);
    else
        g_string_append(out, "Dead-letter file: none\n");
    es_sender_state_clear(&st);
}

static void append_counts(GString *out, const es_export_state *ex)
{
    es_stats *c = ex->stats;
    uint64_t settled = es_stats_get(&c->indexed) + es_stats_get(&c->present) + es_stats_get(&c->rejected) +
                       es_stats_get(&c->dropped);
    uint64_t docs = es_stats_get(&c->docs), frames = es_stats_get(&c->frames);
    g_string_append_printf(out, "Capture:          %s (id %s)\n", ex->capture ? ex->capture : "none yet",
                           ex->capture_id ? ex->capture_id : "-");
    g_string_append_printf(out, "Frames seen:      %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " skipped: already exported)\n", frames, es_stats_get(&c->skipped));
    g_string_append_printf(out, "Exported:         %" G_GUINT64_FORMAT "\n", docs);
    g_string_append_printf(out, "Indexed:          %" G_GUINT64_FORMAT "\n", es_stats_get(&c->indexed));
    g_string_append_printf(out, "Already present:  %" G_GUINT64_FORMAT "\n", es_stats_get(&c->present));
    g_string_append_printf(out, "Rejected:         %" G_GUINT64_FORMAT "\n", es_stats_get(&c->rejected));
    g_string_append_printf(out, "Dropped:          %" G_GUINT64_FORMAT "\n", es_stats_get(&c->dropped));
    g_string_append_printf(out, "Queued:           %" G_GUINT64_FORMAT "\n", docs > settled ? docs - settled : 0);
    g_string_append_printf(out, "Rate:             %.0f frames/s over %.1f s\n",
                           ex->seconds > 0 ? (double)frames / ex->seconds : 0.0, ex->seconds);
}

static char *status_text(void)
{
    es_export_state ex;
    es_export_state_get(&ex);
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "Export:           %s\n", ex.enabled ? "on" : "off (Tools › Elasticsearch › Export now sends the open capture)");
    g_string_append_printf(out, "Node(s):          %s\n", *ex.settings->cloud_id ? ex.settings->cloud_id : *ex.settings->node ? ex.settings->node :
                                                                                                                                "not set (es.node)");
    g_string_append_printf(out, "Index:            %s\n", es_settings_target(ex.settings));
    if (ex.stats)
        append_counts(out, &ex);
    else
        g_string_append(out, "Frames seen:      0 (nothing exported in this session)\n");
    if (ex.sender)
        append_server(out, ex.sender);
    return g_string_free(out, FALSE);
}

static es_funnel_bool refresh_status(funnel_text_window_t *tw, void *data)
{
    (void)data;
    char *text = status_text();
    show_text(tw, text);
    g_free(text);
    return TRUE;
}

static void on_status(gpointer data)
{
    (void)data;
    funnel_text_window_t *tw = open_window("Elasticsearch export: status");
    if (!tw)
        return;
    refresh_status(tw, NULL);
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (ops->add_button) {
        funnel_bt_t *bt = g_new0(funnel_bt_t, 1);
        bt->tw = tw;
        bt->func = refresh_status;
        bt->free_fcn = g_free;
        ops->add_button(tw, bt, "Refresh");
    }
}

/* A connection test runs on its own thread; its window may be closed
 * before it ends.  Both ends run on the GUI thread (the close callback and
 * the idle source), so the two flags need no lock; the last one frees. */
typedef struct conncheck_job {
    es_settings settings;
    funnel_text_window_t *tw;
    char *report;
    bool closed, done;
} conncheck_job;

static void conncheck_job_free(conncheck_job *job)
{
    es_settings_clear(&job->settings);
    g_free(job->report);
    g_free(job);
}

static void conncheck_closed(void *data)
{
    conncheck_job *job = data;
    job->closed = true;
    if (job->done)
        conncheck_job_free(job);
}

static gboolean conncheck_show(gpointer data)
{
    conncheck_job *job = data;
    job->done = true;
    if (job->closed)
        conncheck_job_free(job);
    else
        show_text(job->tw, job->report);
    return G_SOURCE_REMOVE;
}

static gpointer conncheck_main(gpointer data)
{
    conncheck_job *job = data;
    job->report = es_conncheck_run(&job->settings, CONNCHECK_TIMEOUT_S);
    g_idle_add(conncheck_show, job);
    return NULL;
}

static void on_test_connection(gpointer data)
{
    (void)data;
    funnel_text_window_t *tw = open_window("Elasticsearch export: test connection");
    if (!tw)
        return;
    conncheck_job *job = g_new0(conncheck_job, 1);
    GString *msg = g_string_new(NULL);
    if (!usable_settings(&job->settings, msg)) {
        show_text(tw, msg->str);
        g_string_free(msg, TRUE);
        g_free(job);
        return;
    }
    g_string_append_printf(msg, "Testing %s (at most %u s per request)…\n", job->settings.node, CONNCHECK_TIMEOUT_S);
    show_text(tw, msg->str);
    g_string_free(msg, TRUE);
    job->tw = tw;
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (ops->set_close_cb)
        ops->set_close_cb(tw, conncheck_closed, job);
    else
        job->closed = true; /* no way to learn of the close: never touch the window */
    g_thread_unref(g_thread_new("es-conncheck", conncheck_main, job));
}

static void retap(void *ud)
{
    const funnel_ops_t *ops = ud;
    ops->retap_packets(ops->ops_id);
}

static void on_export_now(gpointer data)
{
    (void)data;
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (!ops || !ops->retap_packets)
        return;
    es_settings s;
    GString *msg = g_string_new(NULL);
    if (usable_settings(&s, msg)) {
        es_export_now(&s, retap, (void *)ops);
        char *status = status_text();
        g_string_append_printf(msg, "The open capture was exported to %s.\n"
                                    "Frames exported before are skipped; documents already in the index are "
                                    "not duplicated (answered as already present).\n\n%s",
                               s.node, status);
        g_free(status);
        es_settings_clear(&s);
    }
    funnel_text_window_t *tw = open_window("Elasticsearch export: export now");
    show_text(tw, msg->str);
    g_string_free(msg, TRUE);
}

/* How the exporter maps a Wireshark field, for the translator (names in
 * the index's style; underscore names are looked up with dots). */
static df_type field_type(void *ud, const char *name)
{
    (void)ud;
    header_field_info *hf = proto_registrar_get_byname(name);
    if (!hf) {
        char *dotted = g_strdelimit(g_strdup(name), "_", '.');
        hf = proto_registrar_get_byname(dotted);
        g_free(dotted);
    }
    if (!hf)
        return DF_ABSENT;
    if (hf->type == FT_PROTOCOL)
        return DF_PROTOCOL;
    switch (es_map_class_of(hf->type)) {
    case ES_MAP_LONG:
    case ES_MAP_ULONG: return DF_LONG;
    case ES_MAP_DOUBLE: return DF_DOUBLE;
    case ES_MAP_BOOLEAN: return DF_BOOLEAN;
    case ES_MAP_DATE: return DF_DATE;
    case ES_MAP_IP: return DF_IP;
    case ES_MAP_KEYWORD: return DF_KEYWORD;
    case ES_MAP_BYTES: return DF_BYTES;
    default: return DF_OTHER;
    }
}

typedef struct time_span {
    double from, to;
    bool known;
} time_span;

static double ts_seconds(const nstime_t *t)
{
    return (double)t->secs + t->nsecs / 1e9;
}

static void *capture_span(capture_file *cf, void *data)
{
    time_span *span = data;
    frame_data *first = cf->provider.frames ? frame_data_sequence_find(cf->provider.frames, 1) : NULL;
    frame_data *last = first ? frame_data_sequence_find(cf->provider.frames, cf->count) : NULL;
    if (first && last) {
        span->from = ts_seconds(&first->abs_ts);
        span->to = ts_seconds(&last->abs_ts);
        span->known = true;
    }
    return span;
}

/* The display filter as query DSL; NULL (and why in msg) if it has none or
 * it cannot be translated. */
static char *filter_dsl(const funnel_ops_t *ops, const es_settings *s, GString *msg)
{
    const char *filter = ops->get_filter ? ops->get_filter(ops->ops_id) : NULL;
    if (!filter || !*filter)
        return NULL;
    bool underscore = s->name_style == ES_NAMES_UNDERSCORE;
    char *dsl = NULL, *err = NULL;
    if (df_translate(filter, underscore, field_type, NULL, &dsl, &err))
        return dsl;
    g_string_append_printf(msg, "The display filter \"%s\" cannot be translated into a query (%s): "
                                "Discover shows the capture's whole time range without it.\n",
                           filter, err);
    g_free(err);
    return NULL;
}

/* Discover for the open capture's time range (the last day without one)
 * and display filter; what could not be translated is said in msg. */
static char *kibana_url(const funnel_ops_t *ops, const es_settings *s, GString *msg)
{
    time_span span = {0};
    plugin_if_get_capture_file(capture_span, &span);
    double now = (double)g_get_real_time() / G_USEC_PER_SEC;
    char *dsl = filter_dsl(ops, s, msg);
    char *view = es_index_glob(es_settings_target(s));
    char *url = es_kibana_discover_url(s->kibana_url, view, span.known ? span.from : now - 86400,
                                       span.known ? span.to : now, dsl, dsl ? ops->get_filter(ops->ops_id) : NULL);
    g_free(view);
    g_free(dsl);
    return url;
}

static void on_open_kibana(gpointer data)
{
    (void)data;
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (!ops || !ops->browser_open_url)
        return;
    es_settings s;
    GString *msg = g_string_new(NULL);
    if (usable_settings(&s, msg)) {
        GString *notes = g_string_new(NULL);
        char *url = kibana_url(ops, &s, notes);
        bool opened = ops->browser_open_url(url);
        g_string_append_printf(msg, "%s\n%s\n\n%s", opened ? "Opened in the browser:" : "The browser could not be started; the address:", url, notes->str);
        g_string_free(notes, TRUE);
        g_free(url);
        es_settings_clear(&s);
    }
    show_text(open_window("Elasticsearch export: open in Kibana"), msg->str);
    g_string_free(msg, TRUE);
}

void es_menu_register(es_menu_settings_fn settings)
{
    menu_settings = settings;
    funnel_register_menu("Elasticsearch/Status", REGISTER_TOOLS_GROUP_UNSORTED, on_status, NULL, NULL, FALSE);
    funnel_register_menu("Elasticsearch/Test connection", REGISTER_TOOLS_GROUP_UNSORTED, on_test_connection,
                         NULL, NULL, FALSE);
    funnel_register_menu("Elasticsearch/Open in Kibana", REGISTER_TOOLS_GROUP_UNSORTED, on_open_kibana, NULL, NULL,
                         FALSE);
    funnel_register_menu("Elasticsearch/Export now", REGISTER_TOOLS_GROUP_UNSORTED, on_export_now, NULL, NULL,
                         FALSE);
}
