/* options.c — esdump's command line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "options.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "secrets.h"

/* A capture option: parsed from --call, shown as an arg line. */
typedef struct opt_desc {
    const char *call;      /* without the dashes */
    const char *display;
    const char *type;      /* extcap argument type */
    const char *group;     /* dialog tab */
    const char *def;       /* default, NULL for none */
    const char *more;      /* further attributes, as extcap text */
    const char *tooltip;
    size_t offset;         /* member of esd_opts */
} opt_desc;

#define OFF(m) offsetof(esd_opts, m)

static const opt_desc capture_opts[] = {
    {"node", "Nodes", "string", "Cluster", ESD_DEFAULT_NODE, "{required=true}",
     "Elasticsearch or OpenSearch URL; several separated by commas (the next is tried when one fails)", OFF(node)},
    {"index", "Index or data stream", "selector", "Cluster", NULL, "{reload=true}{placeholder=Reload}",
     "Where the packets are: an index, a pattern such as packets-*, an alias or a data stream", OFF(index)},
    {"names", "Field names", "selector", "Cluster", NULL, NULL,
     "auto: as the exporter chose for this server (dotted on Elasticsearch 8.3+, underscore on 7 and OpenSearch)",
     OFF(names)},
    {"query", "Query", "string", "Query", NULL, "{placeholder=ip.addr == 10.0.0.0/8 && tcp.port == 443}",
     "A display filter, or a query string with Wireshark names (dns.qry.name:example.com AND ip.addr:10.0.0.0/8)",
     OFF(query)},
    {"syntax", "Query language", "selector", "Query", NULL, NULL,
     "auto: a display filter when the text parses as one, else a query string", OFF(syntax)},
    {"replay", "Replay one capture", "string", "Query", NULL, "{placeholder=capture id or file name}",
     "Every packet of one indexed capture, in its own order: its es.capture_id or file name", OFF(replay)},
    {"conversations", "Whole conversations", "boolflag", "Query", NULL, NULL,
     "Also bring every packet of the TCP and UDP streams of the matches (in the same capture)",
     OFF(conversations)},
    {"max-packets", "Maximum packets", "unsigned", "Query", "0", "{range=0,2147483647}",
     "Stop after this many packets (0: no limit)", OFF(max_packets)},
    {"from", "From", "string", "Time", NULL, "{placeholder=last 15 minutes}",
     "Start of the time range: 'last 15 minutes', 'now-2h', '2024-01-31 10:00:00' (local), RFC 3339",
     OFF(from)},
    {"to", "To", "string", "Time", NULL, "{placeholder=now}", "End of the time range (same forms)", OFF(to)},
    {"follow", "Follow", "boolflag", "Time", NULL, NULL,
     "After the matches, keep bringing newly indexed packets, like a live capture, until stopped", OFF(follow)},
    {"user", "User", "string", "Security", NULL, NULL, "Basic authentication user (or ES_USER)", OFF(user)},
    {"password", "Password", "password", "Security", NULL, NULL, "Its password (or ES_PASSWORD)", OFF(password)},
    {"api-key", "API key", "password", "Security", NULL, NULL, "An API key, encoded or id:key (or ES_API_KEY)", OFF(api_key)},
    {"ca-file", "CA file", "fileselect", "Security", NULL, "{mustexist=true}",
     "PEM file of the certificate authority of https:// nodes", OFF(ca_file)},
    {"insecure", "Do not verify certificates", "boolflag", "Security", NULL, NULL,
     "Accept any certificate and host name (testing only)", OFF(insecure)},
};

static const char *const syntax_values[] = {"auto", "display-filter", "query-string", NULL};
static const char *const names_values[] = {"auto", "dotted", "underscore", NULL};

static GOptionArg arg_kind(const char *type)
{
    if (strcmp(type, "boolflag") == 0)
        return G_OPTION_ARG_NONE;
    if (strcmp(type, "unsigned") == 0)
        return G_OPTION_ARG_INT;
    return strcmp(type, "fileselect") == 0 ? G_OPTION_ARG_FILENAME : G_OPTION_ARG_STRING;
}

static void add_protocol_entries(GOptionContext *ctx, esd_opts *o)
{
    const GOptionEntry proto[] = {
        {"extcap-interfaces", 0, 0, G_OPTION_ARG_NONE, &o->interfaces, "List the interfaces", NULL},
        {"extcap-version", 0, 0, G_OPTION_ARG_STRING, &o->extcap_version, "Wireshark's version", "V"},
        {"extcap-interface", 0, 0, G_OPTION_ARG_STRING, &o->interface, "The interface (" ESD_IFACE ")", "IF"},
        {"extcap-dlts", 0, 0, G_OPTION_ARG_NONE, &o->dlts, "List the interface's link-layer types", NULL},
        {"extcap-config", 0, 0, G_OPTION_ARG_NONE, &o->config, "List the interface's options", NULL},
        {"extcap-reload-option", 0, 0, G_OPTION_ARG_STRING, &o->reload_option, "Values of a selector", "NAME"},
        {"extcap-capture-filter", 0, 0, G_OPTION_ARG_STRING, &o->capture_filter, "Query (as --query)", "Q"},
        {"extcap-control-in", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &o->control_in, NULL, NULL},
        {"extcap-control-out", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &o->control_out, NULL, NULL},
        {"capture", 0, 0, G_OPTION_ARG_NONE, &o->capture, "Write the packets to --fifo", NULL},
        {"fifo", 0, 0, G_OPTION_ARG_FILENAME, &o->fifo, "Where the pcapng stream goes ('-': stdout)", "PATH"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version", NULL},
        {"help", 'h', 0, G_OPTION_ARG_NONE, &o->help, "Print this help", NULL},
        {"page-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &o->page_size, NULL, NULL},
        {"print-query", 0, 0, G_OPTION_ARG_NONE, &o->print_query, "With --capture: print the query, capture nothing",
         NULL},
        {NULL},
    };
    g_option_context_add_main_entries(ctx, proto, NULL);
}

static void add_capture_entries(GOptionContext *ctx, esd_opts *o, GOptionEntry *e)
{
    for (size_t i = 0; i < G_N_ELEMENTS(capture_opts); i++) {
        const opt_desc *d = &capture_opts[i];
        e[i] = (GOptionEntry){d->call, 0, 0, arg_kind(d->type), (char *)o + d->offset, d->tooltip,
                              strcmp(d->type, "boolflag") == 0 ? NULL : "V"};
    }
    e[G_N_ELEMENTS(capture_opts)] = (GOptionEntry){NULL};
    g_option_context_add_main_entries(ctx, e, NULL);
}

/* After parsing: GOption replaces a string without freeing it, so the
 * defaults only fill what the command line left unset. */
static void set_defaults(esd_opts *o)
{
    const struct { char **value; const char *def; } defaults[] = {
        {&o->node, ESD_DEFAULT_NODE}, {&o->index, ESD_DEFAULT_INDEX}, {&o->names, "auto"}, {&o->syntax, "auto"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++)
        if (!*defaults[i].value)
            *defaults[i].value = g_strdup(defaults[i].def);
}

static bool one_of(const char *v, const char *const *values)
{
    for (; *values; values++)
        if (strcmp(v, *values) == 0)
            return true;
    return false;
}

/* ES_USER, ES_PASSWORD, ES_API_KEY as the exporter reads them; an API key
 * given as "id:key" is encoded (the plugin's es_api_key_encoded()). */
static bool credentials_from_environment(esd_opts *o, char **error)
{
    const struct { char **value; const char *env; } vars[] = {
        {&o->user, "ES_USER"}, {&o->password, "ES_PASSWORD"}, {&o->api_key, "ES_API_KEY"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
        if ((!*vars[i].value || !**vars[i].value) && g_getenv(vars[i].env)) {
            g_free(*vars[i].value);
            *vars[i].value = g_strdup(g_getenv(vars[i].env));
        }
    if (!o->api_key || !*o->api_key)
        return true;
    GError *gerr = NULL;
    char *encoded = es_api_key_encoded(o->api_key, &gerr);
    if (!encoded) {
        *error = g_strdup_printf("--api-key: %s", gerr->message);
        g_error_free(gerr);
        return false;
    }
    g_free(o->api_key);
    o->api_key = encoded;
    return true;
}

bool esd_opts_parse(esd_opts *o, int argc, char **argv, char **error)
{
    memset(o, 0, sizeof *o);
    GOptionEntry entries[G_N_ELEMENTS(capture_opts) + 1];
    GOptionContext *ctx = g_option_context_new(NULL);
    g_option_context_set_help_enabled(ctx, FALSE);
    add_protocol_entries(ctx, o);
    add_capture_entries(ctx, o, entries);
    char **args = g_new0(char *, argc + 1);
    memcpy(args, argv, sizeof(char *) * (size_t)argc);
    int n = argc;
    char **pargs = args;
    GError *gerr = NULL;
    bool ok = g_option_context_parse(ctx, &n, &pargs, &gerr);
    set_defaults(o);
    if (!ok) {
        *error = g_strdup(gerr->message);
    } else if (n > 1) {
        *error = g_strdup_printf("unexpected argument '%s'", pargs[1]);
        ok = false;
    } else if (!one_of(o->syntax, syntax_values) || !one_of(o->names, names_values) || o->max_packets < 0) {
        *error = g_strdup_printf("--syntax takes %s; --names takes %s; --max-packets is not negative",
                                 "auto, display-filter, query-string", "auto, dotted, underscore");
        ok = false;
    }
    g_clear_error(&gerr);
    ok = ok && credentials_from_environment(o, error);
    g_option_context_free(ctx);
    g_free(args);
    return ok;
}

void esd_opts_clear(esd_opts *o)
{
    char **strings[] = {&o->extcap_version, &o->interface, &o->fifo, &o->capture_filter, &o->reload_option,
                        &o->control_in, &o->control_out, &o->node, &o->index, &o->names, &o->query,
                        &o->syntax, &o->replay, &o->from, &o->to, &o->user, &o->password, &o->api_key,
                        &o->ca_file};
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
        g_clear_pointer(strings[i], g_free);
}

static void print_values(FILE *out, unsigned arg, char *const *values, const char *current)
{
    for (unsigned i = 0; values && values[i]; i++)
        fprintf(out, "value {arg=%u}{value=%s}{display=%s}{default=%s}\n", arg, values[i], values[i],
                strcmp(values[i], current) == 0 ? "true" : "false");
}

/* The selector's values: the current one first if the cluster did not
 * list it (a pattern typed with -o, or no cluster reached). */
static void print_targets(const esd_opts *o, FILE *out, unsigned arg, char *const *targets)
{
    bool listed = targets && g_strv_contains((const char *const *)targets, o->index);
    if (!listed) {
        char *const current[] = {o->index, NULL};
        print_values(out, arg, current, o->index);
    }
    print_values(out, arg, targets, o->index);
}

void esd_opts_print_targets(const esd_opts *o, FILE *out, char *const *targets)
{
    print_targets(o, out, 1, targets);
}

void esd_opts_print_config(const esd_opts *o, FILE *out, char *const *targets)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(capture_opts); i++) {
        const opt_desc *d = &capture_opts[i];
        fprintf(out, "arg {number=%u}{call=--%s}{display=%s}{type=%s}{tooltip=%s}{group=%s}", i, d->call,
                d->display, d->type, d->tooltip, d->group);
        if (d->def)
            fprintf(out, "{default=%s}", d->def);
        fprintf(out, "%s\n", d->more ? d->more : "");
        if (d->offset == OFF(index))
            print_targets(o, out, i, targets);
        else if (d->offset == OFF(syntax))
            print_values(out, i, (char *const *)syntax_values, o->syntax);
        else if (d->offset == OFF(names))
            print_values(out, i, (char *const *)names_values, o->names);
    }
}

void esd_opts_print_help(FILE *out)
{
    fprintf(out, "esdump: brings packets indexed by wireshark-es back from Elasticsearch or OpenSearch.\n\n"
                 "Wireshark and tshark run it as the capture interface '" ESD_IFACE "':\n"
                 "  tshark -i " ESD_IFACE " -o extcap." ESD_IFACE ".node:http://es:9200 "
                 "-o 'extcap." ESD_IFACE ".query:tcp.port == 443' -w out.pcapng\n"
                 "Or directly:\n"
                 "  esdump --extcap-interface " ESD_IFACE " --capture --fifo out.pcapng --node http://es:9200 "
                 "--query 'dns.qry.name contains \"example\"'\n\n"
                 "Extcap protocol: --extcap-interfaces, --extcap-version=V, --extcap-interface=" ESD_IFACE ",\n"
                 "  --extcap-dlts, --extcap-config, --extcap-reload-option=index, --capture, --fifo=PATH,\n"
                 "  --extcap-capture-filter=Q (a query, as --query; both must match), --version, --help\n"
                 "  --print-query (with --capture: print the Elasticsearch query instead of capturing)\n\n"
                 "Capture options (tshark: -o extcap." ESD_IFACE ".<option without dashes>:VALUE):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(capture_opts); i++) {
        const opt_desc *d = &capture_opts[i];
        fprintf(out, "  --%-15s %s%s%s%s\n", d->call, d->tooltip, d->def ? " [" : "", d->def ? d->def : "",
                d->def ? "]" : "");
    }
    fprintf(out, "\nThe user, the password and the API key (encoded, or id:key) may also come from ES_USER,\n"
                 "ES_PASSWORD and ES_API_KEY.\n");
}
