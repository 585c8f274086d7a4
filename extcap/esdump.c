/* esdump.c — an extcap that brings packets indexed by wireshark-es back
 * from Elasticsearch or OpenSearch: Wireshark and tshark list it as the
 * capture interface "esdump" (Elasticsearch).
 *
 * This file answers the extcap protocol; replay.c does the capture.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "client.h"
#include "cluster.h"
#include "dfilter2dsl.h"
#include "options.h"
#include "replay.h"
#include "version.h"

#define HELP_URL "https://github.com/wireshark-es/wireshark-es#bringing-packets-back-esdump"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGTERM is how Wireshark stops an extcap: finish the current packet,
 * close the fifo, exit 0.  A closed fifo shows as a write error instead of
 * killing the process. */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int list_interfaces(void)
{
    printf("extcap {version=%s}{help=%s}\n", ES_PLUGIN_VERSION, HELP_URL);
    printf("interface {value=%s}{display=Elasticsearch}\n", ESD_IFACE);
    return 0;
}

static int list_dlts(void)
{
    /* Announced once; every packet keeps its own link type from es.linktype
     * (one interface block per type in the pcapng stream). */
    printf("dlt {number=1}{name=EN10MB}{display=Indexed packets (each with the link type it was captured with)}\n");
    return 0;
}

/* The indices to offer, or NULL when the cluster cannot be asked now: the
 * dialog still opens, with the current value. */
static char **targets(const esd_opts *o)
{
    if (o->connection_error)
        return NULL;
    esd_client_conf cc;
    esd_opts_client_conf(o, &cc);
    cc.timeout_s = 5;
    esd_client *c = esd_client_new(&cc, &stop_requested);
    esd_cluster cl;
    char *err = NULL;
    char **out = esd_cluster_detect(c, ESD_STYLE_AUTO, &cl, &err) ? esd_cluster_targets(&cl, &err) : NULL;
    g_free(err);
    esd_client_free(c);
    return out;
}

static int config(const esd_opts *o)
{
    char **t = targets(o);
    if (o->reload_option) {
        if (strcmp(o->reload_option, "index") != 0) {
            fprintf(stderr, "esdump: only the option 'index' can be reloaded, not '%s'\n", o->reload_option);
            g_strfreev(t);
            return 1;
        }
        esd_opts_print_targets(o, stdout, t);
    } else {
        esd_opts_print_config(o, stdout, t);
    }
    g_strfreev(t);
    return 0;
}

/* Wireshark's capture-filter check: exit 0 when the text can be used (a
 * query string is checked by the cluster only). */
static int check_filter(const esd_opts *o)
{
    char *err = NULL;
    bool filter = strcmp(o->syntax, "display-filter") == 0 ||
                  (strcmp(o->syntax, "auto") == 0 && df_is_filter(o->capture_filter));
    if (filter && !df_syntax_ok(o->capture_filter, &err)) {
        fprintf(stderr, "esdump: %s\n", err);
        g_free(err);
        return 1;
    }
    return 0;
}

static int dispatch(const esd_opts *o)
{
    if (o->help) {
        esd_opts_print_help(stdout);
        return 0;
    }
    if (o->version) {
        printf("esdump %s\n", ES_PLUGIN_VERSION);
        return 0;
    }
    if (o->interfaces)
        return list_interfaces();
    if (!o->interface || strcmp(o->interface, ESD_IFACE) != 0) {
        fprintf(stderr, "esdump: give --extcap-interface=%s (not '%s'), or see --help\n", ESD_IFACE,
                o->interface ? o->interface : "");
        return 1;
    }
    if (o->dlts)
        return list_dlts();
    if (o->config || o->reload_option)
        return config(o);
    if (o->capture) {
        if (!o->fifo) {
            fprintf(stderr, "esdump: --capture needs --fifo PATH\n");
            return 1;
        }
        return esd_replay(o, &stop_requested);
    }
    if (o->capture_filter)
        return check_filter(o);
    fprintf(stderr, "esdump: nothing to do: see --help\n");
    return 1;
}

int main(int argc, char **argv)
{
    esd_opts o;
    char *err = NULL;
    install_signals();
    esd_client_global_init();
    int status = 1;
    if (!esd_opts_parse(&o, argc, argv, &err)) {
        fprintf(stderr, "esdump: %s (see --help)\n", err);
        g_free(err);
    } else {
        status = dispatch(&o);
    }
    esd_opts_clear(&o);
    esd_client_global_cleanup();
    return status;
}
