/* settings.c — every setting of the exporter, in one struct and one table.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "framemap.h"
#include "indexname.h"
#include "secrets.h"

/* The quark's name is stringified: clang-format's spaces would change it. */
/* clang-format off */
G_DEFINE_QUARK(es-settings-error-quark, es_settings_error)
/* clang-format on */

static const char *const compression_names[] = {"auto", "off", "gzip", NULL};
static const char *const name_style_names[] = {"auto", "dotted", "underscore", NULL};
static const char *const profile_names[] = {"full", "core", NULL};

#define F(field) offsetof(es_settings, field)

const es_opt_desc es_opts[] = {
    {"enabled", "Export to Elasticsearch",
     "Send every frame Wireshark reads or captures to Elasticsearch. tshark also "
     "exports when es.node is given on its command line.",
     ES_OPT_BOOL, F(enabled), 0, 0, 1, NULL, NULL},
    {"node", "Elasticsearch node(s)",
     "Where documents go: http(s)://host:port (several, comma-separated: requests are spread over "
     "them), host:port (http), cloud:CLOUD_ID, file:PATH (write the bulk NDJSON to a file) or - "
     "(standard output)",
     ES_OPT_STRING, F(node), 0, 0, 0, "", NULL},
    {"index", "Index name pattern",
     "The index documents go to; strftime conversions (%Y %m %d %H ...) use the frame's own time in "
     "UTC, so packets-%Y.%m.%d makes one index per day",
     ES_OPT_STRING, F(index), 0, 0, 0, "packets-%Y.%m.%d", NULL},
    {"data_stream", "Data stream",
     "Send documents to this data stream instead of es.index (a data-stream template is installed "
     "for it), e.g. logs-wireshark-default",
     ES_OPT_STRING, F(data_stream), 0, 0, 0, "", NULL},
    {"ilm_policy", "ILM policy",
     "Name of an index lifecycle policy the template attaches to new indices (Elasticsearch only)",
     ES_OPT_STRING, F(ilm_policy), 0, 0, 0, "", NULL},
    {"bulk_kib", "Bulk request size (KiB)",
     "A bulk request is sent once its body reaches this size",
     ES_OPT_UINT, F(bulk_kib), 5120, 16, 102400, NULL, NULL},
    {"bulk_docs", "Documents per bulk request",
     "A bulk request is sent once it holds this many documents",
     ES_OPT_UINT, F(bulk_docs), 10000, 1, 100000, NULL, NULL},
    {"bulk_age_ms", "Bulk request age (ms)",
     "A bulk request is sent at the latest this long after its first document",
     ES_OPT_UINT, F(bulk_age_ms), 1000, 10, 60000, NULL, NULL},
    {"compression", "Compression",
     "gzip request bodies: auto (only for nodes that are not on this machine), off, gzip",
     ES_OPT_ENUM, F(compression), ES_COMPRESS_AUTO, 0, 2, NULL, compression_names},
    {"requests", "Concurrent requests",
     "Bulk requests in flight at the same time",
     ES_OPT_UINT, F(requests), 2, 1, 16, NULL, NULL},
    {"queue", "Queued requests",
     "Sealed bulk requests waiting for the sender; when the queue is full, reading the capture "
     "waits, so memory stays bounded",
     ES_OPT_UINT, F(queue), 4, 1, 64, NULL, NULL},
    {"filter", "Display filter",
     "Export only frames matching this display filter (empty: all frames)",
     ES_OPT_STRING, F(filter), 0, 0, 0, "", NULL},
    {"protocols", "Protocols to include",
     "Comma-separated protocol filter names whose fields are exported (empty: all)",
     ES_OPT_STRING, F(protocols), 0, 0, 0, "", NULL},
    {"exclude", "Fields to leave out",
     "Comma-separated field-name prefixes left out with their subtrees, e.g. _ws.expert,tcp.analysis. "
     "The default leaves out the frame fields that describe the viewer's state, not the packet",
     ES_OPT_STRING, F(exclude), 0, 0, 0,
     "frame.marked,frame.ignored,frame.offset_shift,frame.time_delta_displayed", NULL},
    {"profile", "Field profile",
     "full (every field of the tree) or core (about 80 fields most searches need: addresses, ports, "
     "flags, DNS names, HTTP and TLS basics) for small indices",
     ES_OPT_ENUM, F(profile), ES_PROFILE_FULL, 0, 1, NULL, profile_names},
    {"ecs", "ECS fields",
     "Also index the Elastic Common Schema fields Kibana's network views and SIEM rules use: "
     "source.ip/port, destination.ip/port, network.*, observer.hostname, event.dataset",
     ES_OPT_BOOL, F(ecs), 1, 0, 1, NULL, NULL},
    {"raw", "Include raw frame bytes",
     "Add the frame's bytes (base64) so packets can be rebuilt from Elasticsearch",
     ES_OPT_BOOL, F(raw), 1, 0, 1, NULL, NULL},
    {"resolved", "Include resolved names",
     "Also send the text fields that only render another field of the same bytes as a name: "
     "eth.src_resolved, eth.src.oui_resolved, ip.src_host, ip.host, tcp.flags.str, ...",
     ES_OPT_BOOL, F(resolved), 0, 0, 1, NULL, NULL},
    {"columns", "Info and Protocol columns",
     "Add Wireshark's Info and Protocol columns (_ws.col.info, _ws.col.protocol) to each document",
     ES_OPT_BOOL, F(columns), 1, 0, 1, NULL, NULL},
    {"value_names", "Value names",
     "Beside an integer field Wireshark shows by name, add the name as FIELD.name "
     "(dns.flags.rcode.name: \"No such name\")",
     ES_OPT_BOOL, F(value_names), 1, 0, 1, NULL, NULL},
    {"max_bytes", "Bytes per field",
     "Byte-array field values are cut to this many bytes (0 leaves byte fields out)",
     ES_OPT_UINT, F(max_bytes), 1024, 0, 1048576, NULL, NULL},
    {"name_style", "Field-name style",
     "auto (dotted names with subobjects:false on Elasticsearch 8.3+, else underscores), "
     "dotted (tcp.flags.syn), underscore (tcp_flags_syn)",
     ES_OPT_ENUM, F(name_style), ES_NAMES_AUTO, 0, 2, NULL, name_style_names},
    {"template", "Install index template",
     "Create or update the index template for the index pattern before sending",
     ES_OPT_BOOL, F(template), 1, 0, 1, NULL, NULL},
    {"dump_template", "Write the index template to",
     "At the end of the run, write the index template (with every field of the run) to this file, "
     "to install it by hand (scripts/put-template)",
     ES_OPT_STRING, F(dump_template), 0, 0, 0, "", NULL},
    {"cloud_id", "Elastic Cloud ID",
     "The Cloud ID of an Elastic Cloud deployment (NAME:BASE64, from the Cloud console); replaces es.node "
     "(same as es.node=cloud:ID)",
     ES_OPT_STRING, F(cloud_id), 0, 0, 0, "", NULL},
    {"user", "User name", "User for HTTP basic authentication (its password: es.password, ES_PASSWORD or es.secrets_file)",
     ES_OPT_STRING, F(user), 0, 0, 0, "", NULL},
    {"password", "Password",
     "Password for basic authentication (or ES_PASSWORD, or es.secrets_file)",
     ES_OPT_SECRET, F(password), 0, 0, 0, "", NULL},
    {"api_key", "API key",
     "Elasticsearch API key: the encoded value returned when it was created, or id:key "
     "(or ES_API_KEY, or es.secrets_file)",
     ES_OPT_SECRET, F(api_key), 0, 0, 0, "", NULL},
    {"secrets_file", "Secrets file",
     "File of KEY=VALUE lines (user, password, api_key, client_key_password) that only its owner may "
     "read (chmod 600); "
     "fills in what the settings leave empty, before ES_PASSWORD / ES_API_KEY",
     ES_OPT_STRING, F(secrets_file), 0, 0, 0, "", NULL},
    {"ca_file", "CA certificate file", "PEM file of the CA(s) that signed the nodes' certificates",
     ES_OPT_STRING, F(ca_file), 0, 0, 0, "", NULL},
    {"ca_dir", "CA certificate directory",
     "Directory of CA certificates in PEM named by their hash (openssl rehash)",
     ES_OPT_STRING, F(ca_dir), 0, 0, 0, "", NULL},
    {"ca_fingerprint", "CA certificate fingerprint",
     "SHA-256 fingerprint of the CA certificate, as Elasticsearch prints it at set-up (hex, colons "
     "optional): the certificate of that fingerprint in the node's chain is trusted, nothing else",
     ES_OPT_STRING, F(ca_fingerprint), 0, 0, 0, "", NULL},
    {"client_cert", "Client certificate", "PEM certificate this client presents (PKI authentication)",
     ES_OPT_STRING, F(client_cert), 0, 0, 0, "", NULL},
    {"client_key", "Client key", "PEM private key of es.client_cert (empty: it is in es.client_cert)",
     ES_OPT_STRING, F(client_key), 0, 0, 0, "", NULL},
    {"client_key_password", "Client key passphrase",
     "Passphrase of an encrypted es.client_key (or ES_CLIENT_KEY_PASSWORD, or es.secrets_file)",
     ES_OPT_SECRET, F(client_key_password), 0, 0, 0, "", NULL},
    {"tls_verify", "Verify TLS certificates",
     "Check the nodes' certificates and host names; FALSE lets anyone on the path read the packets "
     "and the credentials",
     ES_OPT_BOOL, F(tls_verify), 1, 0, 1, NULL, NULL},
    {"allow_plain_http_auth", "Allow credentials over plain HTTP",
     "Send credentials over http:// to nodes not on this machine (they cross the network readable)",
     ES_OPT_BOOL, F(allow_plain_http_auth), 0, 0, 1, NULL, NULL},
    {"timeout_s", "Request timeout (s)", "A request that takes longer than this is abandoned and retried",
     ES_OPT_UINT, F(timeout_s), 60, 1, 3600, NULL, NULL},
    {"retry_max_s", "Longest pause between retries (s)",
     "Retries back off exponentially (with jitter) from 0.25 s up to this; a Retry-After may ask for more",
     ES_OPT_UINT, F(retry_max_s), 30, 1, 3600, NULL, NULL},
    {"flush_timeout_s", "Flush timeout at exit (s)",
     "At the end of a capture, wait at most this long for queued documents to be sent",
     ES_OPT_UINT, F(flush_timeout_s), 30, 0, 86400, NULL, NULL},
    {"dead_letter_dir", "Dead-letter directory",
     "Documents the cluster refused for good, or that could not be delivered, are written here "
     "with the reason (empty: ~/.local/state/wireshark-es/dead-letter)",
     ES_OPT_STRING, F(dead_letter_dir), 0, 0, 0, "", NULL},
    {"dead_letter_mib", "Dead-letter file limit (MiB)",
     "A run's dead-letter file grows to at most this size; documents past it are counted",
     ES_OPT_UINT, F(dead_letter_mib), 1024, 1, 1048576, NULL, NULL},
    {"spool_dir", "Spool directory",
     "While the cluster cannot be reached during a live capture, sealed bulk requests wait here and "
     "are sent in order when it is back (empty: ~/.local/state/wireshark-es/spool/<node>)",
     ES_OPT_STRING, F(spool_dir), 0, 0, 0, "", NULL},
    {"spool_mib", "Spool limit (MiB)",
     "The spool holds at most this much; frames past it are dropped and counted",
     ES_OPT_UINT, F(spool_mib), 4096, 1, 1048576, NULL, NULL},
    {"kibana_url", "Kibana URL",
     "Where Tools > Elasticsearch > Open in Kibana points the browser: Discover with the capture's "
     "time range and the display filter (its data view's ID must be the index pattern, e.g. packets-*)",
     ES_OPT_STRING, F(kibana_url), 0, 0, 0, "http://localhost:5601", NULL},
    {"capture_id", "Capture ID",
     "Use this capture id (16 lowercase hex digits) instead of the one derived from the file's "
     "content (empty): wireshark-es-index --split gives each part its capture's",
     ES_OPT_STRING, F(capture_id), 0, 0, 0, "", NULL},
    {"capture_name", "Capture name",
     "Write this as es.capture instead of the file's name (empty: the file's name)",
     ES_OPT_STRING, F(capture_name), 0, 0, 0, "", NULL},
    {"frame_map", "Frame map",
     "File (or pipe) of the original frame numbers of a part of a split capture, 24 bytes a frame "
     "(see plugin/framemap.h): frame.number, _id, frame-number fields, tcp.stream and udp.stream are "
     "the original's",
     ES_OPT_STRING, F(frame_map), 0, 0, 0, "", NULL},
    {"time_origin", "Time origin",
     "The original capture's first frame time, SECS[.FRACTION] since 1970, for frame.time_relative "
     "(empty: this file's first frame)",
     ES_OPT_STRING, F(time_origin), 0, 0, 0, "", NULL},
};
#undef F

const size_t es_n_opts = G_N_ELEMENTS(es_opts);

const es_opt_desc *es_opt_find(const char *name)
{
    for (size_t i = 0; i < es_n_opts; i++)
        if (strcmp(es_opts[i].name, name) == 0)
            return &es_opts[i];
    return NULL;
}

#define FIELD(s, d, type) ((type *)((char *)(s) + (d)->offset))

void es_settings_init(es_settings *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        switch (d->type) {
        case ES_OPT_BOOL: *FIELD(s, d, bool) = d->def != 0; break;
        case ES_OPT_UINT: *FIELD(s, d, unsigned) = d->def; break;
        case ES_OPT_ENUM: *FIELD(s, d, int) = (int)d->def; break;
        case ES_OPT_STRING:
        case ES_OPT_SECRET: *FIELD(s, d, char *) = g_strdup(d->def_str ? d->def_str : ""); break;
        }
    }
}

void es_settings_clear(es_settings *s)
{
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        if (d->type == ES_OPT_STRING || d->type == ES_OPT_SECRET)
            g_free(*FIELD(s, d, char *));
    }
    memset(s, 0, sizeof *s);
}

void es_settings_copy(es_settings *dst, const es_settings *src)
{
    *dst = *src;
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        if (d->type == ES_OPT_STRING || d->type == ES_OPT_SECRET)
            *FIELD(dst, d, char *) = g_strdup(*FIELD(src, d, char *const));
    }
}

void es_settings_copy_opt(es_settings *dst, const es_settings *src, const es_opt_desc *d)
{
    switch (d->type) {
    case ES_OPT_BOOL: *FIELD(dst, d, bool) = *FIELD(src, d, const bool); break;
    case ES_OPT_UINT: *FIELD(dst, d, unsigned) = *FIELD(src, d, const unsigned); break;
    case ES_OPT_ENUM: *FIELD(dst, d, int) = *FIELD(src, d, const int); break;
    case ES_OPT_STRING:
    case ES_OPT_SECRET: es_settings_set_string(dst, d, *FIELD(src, d, char *const)); break;
    }
}

bool es_settings_equal(const es_settings *a, const es_settings *b)
{
    for (size_t i = 0; i < es_n_opts; i++) {
        const es_opt_desc *d = &es_opts[i];
        const char *pa = (const char *)a + d->offset, *pb = (const char *)b + d->offset;
        switch (d->type) {
        case ES_OPT_BOOL:
            if (*(const bool *)pa != *(const bool *)pb) return false;
            break;
        case ES_OPT_UINT:
            if (*(const unsigned *)pa != *(const unsigned *)pb) return false;
            break;
        case ES_OPT_ENUM:
            if (*(const int *)pa != *(const int *)pb) return false;
            break;
        default:
            if (g_strcmp0(*(char *const *)pa, *(char *const *)pb) != 0) return false;
        }
    }
    return true;
}

char *es_opt_accepted(const es_opt_desc *d)
{
    switch (d->type) {
    case ES_OPT_BOOL:
        return g_strdup("TRUE or FALSE");
    case ES_OPT_UINT:
        return g_strdup_printf("a whole number from %u to %u", d->min, d->max);
    case ES_OPT_ENUM: {
        char *names = g_strjoinv(", ", (char **)d->names);
        char *out = g_strdup_printf("one of %s", names);
        g_free(names);
        return out;
    }
    default:
        return g_strdup("any text");
    }
}

static bool fail(GError **err, const es_opt_desc *d, const char *text)
{
    char *acc = es_opt_accepted(d);
    g_set_error(err, ES_SETTINGS_ERROR, 1, "es.%s: invalid value \"%s\"; accepted: %s",
                d->name, text, acc);
    g_free(acc);
    return false;
}

bool es_settings_set_number(es_settings *s, const es_opt_desc *d, unsigned v, GError **err)
{
    if (v < d->min || v > d->max) {
        char num[16];
        g_snprintf(num, sizeof num, "%u", v);
        return fail(err, d, num);
    }
    switch (d->type) {
    case ES_OPT_BOOL: *FIELD(s, d, bool) = v != 0; return true;
    case ES_OPT_UINT: *FIELD(s, d, unsigned) = v; return true;
    case ES_OPT_ENUM: *FIELD(s, d, int) = (int)v; return true;
    default: return fail(err, d, "");
    }
}

void es_settings_set_string(es_settings *s, const es_opt_desc *d, const char *v)
{
    char **field = FIELD(s, d, char *);
    g_free(*field);
    *field = g_strdup(v ? v : "");
}

bool es_settings_set(es_settings *s, const es_opt_desc *d, const char *text, GError **err)
{
    switch (d->type) {
    case ES_OPT_BOOL: {
        static const char *const yes[] = {"true", "1", "yes", "on"};
        static const char *const no[] = {"false", "0", "no", "off"};
        for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
            if (g_ascii_strcasecmp(text, yes[i]) == 0)
                return es_settings_set_number(s, d, 1, err);
            if (g_ascii_strcasecmp(text, no[i]) == 0)
                return es_settings_set_number(s, d, 0, err);
        }
        return fail(err, d, text);
    }
    case ES_OPT_UINT: {
        char *end;
        errno = 0;
        unsigned long v = strtoul(text, &end, 10);
        if (!g_ascii_isdigit(text[0]) || *end || errno || v > G_MAXUINT)
            return fail(err, d, text);
        return es_settings_set_number(s, d, (unsigned)v, err);
    }
    case ES_OPT_ENUM:
        for (unsigned i = 0; d->names[i]; i++)
            if (g_ascii_strcasecmp(text, d->names[i]) == 0)
                return es_settings_set_number(s, d, i, err);
        return fail(err, d, text);
    case ES_OPT_STRING:
    case ES_OPT_SECRET:
        es_settings_set_string(s, d, text);
        return true;
    }
    return false;
}

const char *es_settings_target(const es_settings *s)
{
    return *s->data_stream ? s->data_stream : s->index;
}

/* Secrets the settings leave empty: from es.secrets_file, then from the
 * environment. */
static bool fill_secrets(es_settings *s, GError **err)
{
    if (*s->secrets_file) {
        es_secrets f;
        if (!es_secrets_read(s->secrets_file, &f, err))
            return false;
        const char *const names[] = {"user", "password", "api_key", "client_key_password"};
        char *const values[] = {f.user, f.password, f.api_key, f.client_key_password};
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            const es_opt_desc *d = es_opt_find(names[i]);
            if (values[i] && !**FIELD(s, d, char *))
                es_settings_set_string(s, d, values[i]);
        }
        es_secrets_clear(&f);
    }
    if (!*s->password && g_getenv("ES_PASSWORD"))
        es_settings_set_string(s, es_opt_find("password"), g_getenv("ES_PASSWORD"));
    if (!*s->client_key_password && g_getenv("ES_CLIENT_KEY_PASSWORD"))
        es_settings_set_string(s, es_opt_find("client_key_password"), g_getenv("ES_CLIENT_KEY_PASSWORD"));
    if (!*s->api_key && g_getenv("ES_API_KEY"))
        es_settings_set_string(s, es_opt_find("api_key"), g_getenv("ES_API_KEY"));
    if (!*s->api_key)
        return true;
    char *encoded = es_api_key_encoded(s->api_key, err);
    if (encoded)
        es_settings_set_string(s, es_opt_find("api_key"), encoded);
    g_free(encoded);
    return encoded != NULL;
}

static bool check_files(const es_settings *s, GError **err)
{
    const struct {
        const char *name, *path;
        bool dir;
    } files[] = {
        {"ca_file", s->ca_file, false},
        {"ca_dir", s->ca_dir, true},
        {"client_cert", s->client_cert, false},
        {"client_key", s->client_key, false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        const char *p = files[i].path;
        int e = !*p || access(p, R_OK) == 0 ? 0 : errno;
        if (!*p || (!e && g_file_test(p, files[i].dir ? G_FILE_TEST_IS_DIR : G_FILE_TEST_IS_REGULAR)))
            continue;
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.%s: cannot read %s: %s; accepted: %s", files[i].name, p,
                    e ? g_strerror(e) : files[i].dir ? "not a directory" :
                                                       "not a regular file",
                    files[i].dir ? "a readable directory of certificates" : "a readable PEM file");
        return false;
    }
    return true;
}

/* Credentials cross the network only encrypted (unless allowed); a pin
 * needs TLS to pin. */
static bool check_transport(const es_settings *s, const es_sink *sink, GError **err)
{
    uint8_t fp[ES_SHA256_LEN];
    bool pin = *s->ca_fingerprint;
    if (pin && !es_fingerprint_parse(s->ca_fingerprint, fp)) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.ca_fingerprint: invalid value \"%s\"; accepted: the "
                                               "SHA-256 fingerprint of the CA certificate, 64 hex digits with or without colons",
                    s->ca_fingerprint);
        return false;
    }
    if (pin && !s->tls_verify) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.ca_fingerprint: the pinned CA verifies the nodes' "
                                               "certificates, which es.tls_verify=FALSE turns off; leave es.tls_verify TRUE");
        return false;
    }
    bool creds = *s->user || *s->api_key;
    for (char **u = sink->kind == ES_SINK_HTTP ? sink->urls : NULL; u && *u; u++) {
        if (!g_str_has_prefix(*u, "http://"))
            continue;
        if (pin) {
            g_set_error(err, ES_SETTINGS_ERROR, 1, "es.ca_fingerprint: %s is plain http://; a pin needs "
                                                   "https:// nodes",
                        *u);
            return false;
        }
        if (creds && !s->allow_plain_http_auth && !es_url_is_loopback(*u)) {
            g_set_error(err, ES_SETTINGS_ERROR, 1, "es.node: %s is not on this machine and the credentials "
                                                   "(%s) would cross the network unencrypted; use https://, or set "
                                                   "es.allow_plain_http_auth=TRUE to send them anyway",
                        *u,
                        *s->api_key ? "es.api_key" : "es.user and its password");
            return false;
        }
    }
    return true;
}

/* The split-capture settings (wireshark-es-index --split). */
static bool check_split(const es_settings *s, GError **err)
{
    int64_t secs;
    int32_t ns;
    if (*s->capture_id && !es_capture_id_valid(s->capture_id)) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.capture_id: invalid value \"%s\"; accepted: 16 "
                                               "lowercase hex digits (a capture id as the plugin derives it), or empty",
                    s->capture_id);
        return false;
    }
    if (*s->time_origin && !es_time_origin_parse(s->time_origin, &secs, &ns)) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.time_origin: invalid value \"%s\"; accepted: "
                                               "SECS[.FRACTION], seconds since 1970 with up to 9 fraction digits, or empty",
                    s->time_origin);
        return false;
    }
    if (*s->frame_map && access(s->frame_map, R_OK) != 0) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.frame_map: cannot read %s: %s; accepted: a readable "
                                               "frame map (file or pipe), or empty",
                    s->frame_map, g_strerror(errno));
        return false;
    }
    return true;
}

bool es_settings_validate(es_settings *s, GError **err)
{
    if (!es_index_names_check(s->index, s->data_stream, err) || !check_split(s, err))
        return false;
    if (*s->cloud_id) {
        char *node = g_strconcat("cloud:", s->cloud_id, NULL);
        es_settings_set_string(s, es_opt_find("node"), node);
        g_free(node);
    }
    es_sink sink;
    if (!fill_secrets(s, err) || !check_files(s, err) || !es_sink_parse(s->node, &sink, err))
        return false;
    bool ok = check_transport(s, &sink, err);
    es_sink_clear(&sink);
    return ok;
}
