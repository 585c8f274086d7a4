/* options.h — esdump's command line: the extcap protocol's options and the
 * capture options shown in Wireshark's interface-options dialog.
 *
 * One table describes each capture option once: the command-line option
 * it is parsed from, and the `arg` line --extcap-config prints for it
 * (with its dialog tab, type and default).  Wireshark stores an option
 * with save=true as the preference extcap.esdump.<option without dashes>,
 * which tshark also takes as `-o extcap.esdump.maxpackets:100`.
 *
 *   esd_opts o;
 *   char *err = NULL;
 *   if (!esd_opts_parse(&o, argc, argv, &err)) ...
 *   esd_opts_print_config(&o, stdout, targets);   // --extcap-config
 *   esd_opts_clear(&o);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_OPTIONS_H
#define ESD_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define ESD_IFACE "esdump"
#define ESD_DEFAULT_NODE "http://127.0.0.1:9200"
#define ESD_DEFAULT_INDEX "packets-*"

typedef struct esd_opts {
    /* the extcap protocol */
    bool interfaces, dlts, config, capture, help, version;
    char *extcap_version, *interface, *fifo, *capture_filter, *reload_option;
    char *control_in, *control_out;
    /* capture options */
    char *node, *index, *names, *query, *syntax, *replay, *from, *to;
    char *cloud_id, *user, *password, *api_key, *secrets_file, *client_key_password;
    char *ca_file, *ca_dir, *ca_fingerprint, *client_cert, *client_key;
    int max_packets, page_size;
    bool conversations, follow, insecure, allow_plain_http_auth;
    bool print_query;       /* print the query instead of capturing */
    char *connection_error; /* --extcap-config: why the cluster must not be asked (see esd_opts_parse) */
} esd_opts;

/* Parses argv (left as it is) into o, then fills the defaults.  As the
 * plugin: what the command line leaves empty comes from the secrets file
 * (--secrets-file or ES_SECRETS_FILE, refused if others may read it), then
 * from ES_USER, ES_PASSWORD, ES_API_KEY, ES_CLIENT_KEY_PASSWORD, ES_CA_FILE,
 * ES_CA_DIR, ES_CA_FINGERPRINT, ES_CLIENT_CERT and ES_CLIENT_KEY (an id:key
 * API key is encoded); --cloud-id and cloud:ID nodes become URLs; a pin
 * needs https:// and verification; credentials over plain http:// go only
 * to this machine unless --allow-plain-http-auth.  False with *error;
 * for --extcap-config and --extcap-reload-option a failed connection check
 * is o->connection_error instead, so the dialog opens to mend it. */
bool esd_opts_parse(esd_opts *o, int argc, char **argv, char **error);

struct esd_client_conf;
/* The connection settings of o, pointing into o. */
void esd_opts_client_conf(const esd_opts *o, struct esd_client_conf *cc);
void esd_opts_clear(esd_opts *o);

/* The answer to --extcap-config: an arg line per option, and the values
 * of the selectors (targets: indices offered for --index, may be NULL). */
void esd_opts_print_config(const esd_opts *o, FILE *out, char *const *targets);

/* The answer to --extcap-reload-option NAME for the index selector. */
void esd_opts_print_targets(const esd_opts *o, FILE *out, char *const *targets);

/* --help. */
void esd_opts_print_help(FILE *out);

#endif
