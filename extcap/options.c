/* options.c — esdump's command line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "options.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "client.h"
#include "secrets.h"

/* A capture option: parsed from --call, shown as an arg line. */
typedef struct opt_desc {
    const char *call; /* without the dashes */
    const char *display;
    const char *type;  /* extcap argument type */
    const char *group; /* dialog tab */
    const char *def;   /* default, NULL for none */
    const char *more;  /* further attributes, as extcap text */
    const char *tooltip;
    size_t offset; /* member of esd_opts */
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
    {"cloud-id", "Elastic Cloud ID", "string", "Security", NULL, NULL,
     "The Cloud ID of an Elastic Cloud deployment (NAME:BASE64); replaces the nodes (same as node cloud:ID)",
     OFF(cloud_id)},
    {"user", "User", "string", "Security", NULL, NULL, "Basic authentication user (or ES_USER)", OFF(user)},
    {"password", "Password", "password", "Security", NULL, NULL,
     "Its password (or ES_PASSWORD, or the secrets file)", OFF(password)},
    {"api-key", "API key", "password", "Security", NULL, NULL,
     "An API key, encoded or id:key (or ES_API_KEY, or the secrets file)", OFF(api_key)},
    {"secrets-file", "Secrets file", "fileselect", "Security", NULL, "{mustexist=true}",
     "File of KEY=VALUE lines (user, password, api_key, client_key_password) only its owner may read "
     "(chmod 600); fills what the options leave empty (or ES_SECRETS_FILE)",
     OFF(secrets_file)},
    {"ca-file", "CA file", "fileselect", "Security", NULL, "{mustexist=true}",
     "PEM file of the certificate authority of https:// nodes (or ES_CA_FILE)", OFF(ca_file)},
    {"ca-dir", "CA directory", "string", "Security", NULL, NULL,
     "Directory of CA certificates in PEM named by their hash, openssl rehash (or ES_CA_DIR)", OFF(ca_dir)},
    {"ca-fingerprint", "CA fingerprint", "string", "Security", NULL, NULL,
     "SHA-256 fingerprint of the CA certificate as Elasticsearch prints it at set-up: the certificate of "
     "the node's chain with it is trusted, nothing else (or ES_CA_FINGERPRINT)",
     OFF(ca_fingerprint)},
    {"client-cert", "Client certificate", "fileselect", "Security", NULL, "{mustexist=true}",
     "PEM certificate this client presents, PKI authentication (or ES_CLIENT_CERT)", OFF(client_cert)},
    {"client-key", "Client key", "fileselect", "Security", NULL, "{mustexist=true}",
     "PEM private key of the client certificate; empty: it is in that file (or ES_CLIENT_KEY)", OFF(client_key)},
    {"client-key-password", "Client key passphrase", "password", "Security", NULL, NULL,
     "Passphrase of an encrypted client key (or ES_CLIENT_KEY_PASSWORD, or the secrets file)",
     OFF(client_key_password)},
    {"insecure", "Do not verify certificates", "boolflag", "Security", NULL, NULL,
     "Accept any certificate and host name (testing only)", OFF(insecure)},
    {"allow-plain-http-auth", "Allow credentials over plain HTTP", "boolflag", "Security", NULL, NULL,
     "Send credentials over http:// to nodes not on this machine (they cross the network readable)",
     OFF(allow_plain_http_auth)},
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
    const struct {
        char **value;
        const char *def;
    } defaults[] = {
        {&o->node, ESD_DEFAULT_NODE},
        {&o->index, ESD_DEFAULT_INDEX},
        {&o->names, "auto"},
        {&o->syntax, "auto"},
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

/* An empty option takes value (which may be NULL). */
static void fill(char **option, const char *value)
{
    if ((!*option || !**option) && value) {
        g_free(*option);
        *option = g_strdup(value);
    }
}

/* A GError of the shared code (which names the plugin's setting) as
 * esdump's message, naming the option. */
static char *option_error(GError *gerr, const char *setting, const char *option)
{
    const char *m = gerr->message;
    char *out = g_str_has_prefix(m, setting) ? g_strconcat(option, m + strlen(setting), NULL) : g_strdup_printf("%s: %s", option, m);
    g_error_free(gerr);
    return out;
}

/* --secrets-file (or ES_SECRETS_FILE) fills what the command line leaves
 * empty, as the plugin's es.secrets_file, before the environment. */
static bool secrets_from_file(esd_opts *o, char **error)
{
    fill(&o->secrets_file, g_getenv("ES_SECRETS_FILE"));
    if (!o->secrets_file || !*o->secrets_file)
        return true;
    es_secrets f;
    GError *gerr = NULL;
    if (!es_secrets_read(o->secrets_file, &f, &gerr)) {
        *error = option_error(gerr, "es.secrets_file", "--secrets-file");
        return false;
    }
    fill(&o->user, f.user);
    fill(&o->password, f.password);
    fill(&o->api_key, f.api_key);
    fill(&o->client_key_password, f.client_key_password);
    es_secrets_clear(&f);
    return true;
}

/* The environment variables the exporter and the scripts read; an API key
 * given as "id:key" is encoded (the plugin's es_api_key_encoded()). */
static bool settings_from_environment(esd_opts *o, char **error)
{
    const struct {
        char **value;
        const char *env;
    } vars[] = {
        {&o->user, "ES_USER"},
        {&o->password, "ES_PASSWORD"},
        {&o->api_key, "ES_API_KEY"},
        {&o->client_key_password, "ES_CLIENT_KEY_PASSWORD"},
        {&o->ca_file, "ES_CA_FILE"},
        {&o->ca_dir, "ES_CA_DIR"},
        {&o->ca_fingerprint, "ES_CA_FINGERPRINT"},
        {&o->client_cert, "ES_CLIENT_CERT"},
        {&o->client_key, "ES_CLIENT_KEY"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
        fill(vars[i].value, g_getenv(vars[i].env));
    if (!o->api_key || !*o->api_key)
        return true;
    GError *gerr = NULL;
    char *encoded = es_api_key_encoded(o->api_key, &gerr);
    if (!encoded) {
        *error = option_error(gerr, "es.api_key", "--api-key");
        return false;
    }
    g_free(o->api_key);
    o->api_key = encoded;
    return true;
}

/* One node as a URL: cloud:ID decoded; credentials in it refused (they
 * would show in messages); "host[:port]" is http://, as client.c reads it. */
static char *node_url(const char *item, char **error)
{
    GError *gerr = NULL;
    char *url = NULL;
    if (g_str_has_prefix(item, "cloud:") && item[6 + strspn(item + 6, "0123456789")] != '\0') {
        if (!(url = es_cloud_id_url(item + 6, &gerr)))
            *error = option_error(gerr, "es.cloud_id", "--cloud-id");
    } else if (es_url_has_userinfo(item)) {
        *error = g_strdup_printf("--node: \"...@%s\" has credentials in it, which would show in messages; "
                                 "give --user and the password (ES_PASSWORD or --secrets-file) or --api-key",
                                 strrchr(item, '@') + 1);
    } else {
        url = strstr(item, "://") ? g_strdup(item) : g_strdup_printf("http://%s%s", item, strchr(item, ':') ? "" : ":9200");
    }
    return url;
}

/* A pin needs https:// and verification; credentials cross the network
 * only encrypted unless allowed (the plugin's check_transport()). */
static bool check_node(const esd_opts *o, const char *url, char **error)
{
    bool creds = (o->user && *o->user) || (o->api_key && *o->api_key);
    bool plain = !g_str_has_prefix(url, "https://");
    if (o->ca_fingerprint && *o->ca_fingerprint && plain)
        *error = g_strdup_printf("--ca-fingerprint: %s is plain http://; a pin needs https:// nodes", url);
    else if (creds && plain && !o->allow_plain_http_auth && !es_url_is_loopback(url))
        *error = g_strdup_printf("--node: %s is not on this machine and the credentials (%s) would cross the "
                                 "network unencrypted; use https://, or give --allow-plain-http-auth to send "
                                 "them anyway",
                                 url, o->api_key && *o->api_key ? "the API key" : "user and password");
    return *error == NULL;
}

/* The TLS files are readable, said before any connection (as the plugin's
 * check_files()). */
static bool check_files(const esd_opts *o, char **error)
{
    const struct {
        const char *option, *path;
        bool dir;
    } files[] = {
        {"--ca-file", o->ca_file, false},
        {"--ca-dir", o->ca_dir, true},
        {"--client-cert", o->client_cert, false},
        {"--client-key", o->client_key, false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        const char *p = files[i].path;
        if (!p || !*p || (g_access(p, R_OK) == 0 && g_file_test(p, files[i].dir ? G_FILE_TEST_IS_DIR : G_FILE_TEST_IS_REGULAR)))
            continue;
        *error = g_strdup_printf("%s: cannot read %s: %s", files[i].option, p,
                                 g_access(p, R_OK) != 0 ? g_strerror(errno) : files[i].dir ? "not a directory" :
                                                                                             "not a regular file");
        return false;
    }
    return true;
}

/* --cloud-id or cloud:ID nodes become URLs; every node is checked. */
static bool check_connection(esd_opts *o, char **error)
{
    uint8_t pin[ES_SHA256_LEN];
    if (o->ca_fingerprint && *o->ca_fingerprint && !es_fingerprint_parse(o->ca_fingerprint, pin)) {
        *error = g_strdup_printf("--ca-fingerprint: invalid value \"%s\"; accepted: the SHA-256 fingerprint "
                                 "of the CA certificate, 64 hex digits with or without colons",
                                 o->ca_fingerprint);
        return false;
    }
    if (o->ca_fingerprint && *o->ca_fingerprint && o->insecure) {
        *error = g_strdup("--ca-fingerprint: the pinned CA verifies the nodes' certificates, which --insecure "
                          "turns off; leave --insecure out");
        return false;
    }
    if (o->cloud_id && *o->cloud_id) {
        g_free(o->node);
        o->node = g_strconcat("cloud:", o->cloud_id, NULL);
    }
    char **items = g_strsplit(o->node, ",", -1);
    GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);
    for (char **it = items; *it && !*error; it++) {
        char *item = g_strstrip(*it);
        char *url = *item ? node_url(item, error) : NULL;
        if (url && check_node(o, url, error))
            g_ptr_array_add(urls, url);
        else
            g_free(url);
    }
    g_ptr_array_add(urls, NULL);
    if (!*error) {
        g_free(o->node);
        o->node = g_strjoinv(",", (char **)urls->pdata);
    }
    g_ptr_array_free(urls, TRUE);
    g_strfreev(items);
    return *error == NULL;
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
    char *why = NULL;
    if (ok && !(secrets_from_file(o, &why) && settings_from_environment(o, &why) && check_files(o, &why) &&
                check_connection(o, &why))) {
        /* The dialog still opens, to mend the setting, without asking the cluster. */
        if (o->config || o->reload_option) {
            o->connection_error = why;
        } else {
            *error = why;
            ok = false;
        }
    }
    g_option_context_free(ctx);
    g_free(args);
    return ok;
}

void esd_opts_clear(esd_opts *o)
{
    char **strings[] = {&o->extcap_version, &o->interface, &o->fifo, &o->capture_filter, &o->reload_option,
                        &o->control_in, &o->control_out, &o->node, &o->index, &o->names, &o->query,
                        &o->syntax, &o->replay, &o->from, &o->to, &o->cloud_id, &o->user, &o->secrets_file,
                        &o->ca_file, &o->ca_dir, &o->ca_fingerprint, &o->client_cert, &o->client_key,
                        &o->connection_error};
    char **secrets[] = {&o->password, &o->api_key, &o->client_key_password};
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
        g_clear_pointer(strings[i], g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
        if (*secrets[i])
            memset(*secrets[i], 0, strlen(*secrets[i]));
        g_clear_pointer(secrets[i], g_free);
    }
}

void esd_opts_client_conf(const esd_opts *o, esd_client_conf *cc)
{
    *cc = (esd_client_conf){.nodes = o->node, .user = o->user, .password = o->password, .api_key = o->api_key, .ca_file = o->ca_file, .ca_dir = o->ca_dir, .ca_fingerprint = o->ca_fingerprint, .client_cert = o->client_cert, .client_key = o->client_key, .client_key_password = o->client_key_password, .insecure = o->insecure};
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
                 "ES_PASSWORD and ES_API_KEY, or a secrets file (--secrets-file, ES_SECRETS_FILE); the TLS\n"
                 "options from ES_CA_FILE, ES_CA_DIR, ES_CA_FINGERPRINT, ES_CLIENT_CERT, ES_CLIENT_KEY and\n"
                 "ES_CLIENT_KEY_PASSWORD.  --node also takes cloud:CLOUD_ID.\n");
}
