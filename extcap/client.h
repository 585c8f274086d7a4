/* client.h — blocking HTTP requests to an Elasticsearch/OpenSearch cluster.
 *
 * The only file of esdump that includes curl.  Requests go to the first
 * node that answers: a node that fails at the transport level gives way to
 * the next one, which then serves the following requests.  Basic or API-key
 * authentication, a CA file or directory, a client certificate, a pinned
 * CA fingerprint (plugin/tlspin.h, shared with the plugin), certificate
 * checks that only an explicit setting turns off, and redirects never
 * followed.  A request in progress is abandoned as soon as the
 * stop flag given at creation becomes non-zero (SIGTERM).
 *
 *   esd_client *c = esd_client_new(&conf, &stop);
 *   esd_client_global_init();                 // once, before any client
 *   esd_response r = {0};
 *   if (esd_client_request(c, "GET", "/", NULL, &r) && r.status == 200) ... r.body ...
 *   esd_response_clear(&r);
 *   esd_client_free(c);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_CLIENT_H
#define ESD_CLIENT_H

#include <signal.h>
#include <stdbool.h>

#include <glib.h>

typedef struct esd_client esd_client;

typedef struct esd_client_conf {
    const char *nodes; /* comma-separated base URLs; "host:port" means http:// */
    const char *user;  /* basic auth (with password), may be NULL */
    const char *password;
    const char *api_key; /* "Authorization: ApiKey ..." when set */
    const char *ca_file, *ca_dir;
    const char *ca_fingerprint;                                 /* SHA-256 pin of a certificate of the nodes' chains (tlspin.h) */
    const char *client_cert, *client_key, *client_key_password; /* PKI authentication */
    bool insecure;                                              /* no certificate or host name checks */
    unsigned timeout_s;                                         /* whole request; 0: 120 */
} esd_client_conf;

typedef struct esd_response {
    long status;      /* HTTP status; 0 when no node answered */
    GString *body;    /* response body, or the transport error text */
    const char *node; /* base URL that answered (owned by the client) */
    const char *who;  /* who the requests authenticate as, NULL if anonymous (owned by the client) */
} esd_response;

/* libcurl's process-wide set-up and tear-down. */
void esd_client_global_init(void);
void esd_client_global_cleanup(void);

/* Copies what it needs from conf; stop is read by every request. */
esd_client *esd_client_new(const esd_client_conf *conf, volatile sig_atomic_t *stop);
void esd_client_free(esd_client *c);

/* Runs method path (with an optional JSON body) on the first node that
 * answers and fills r (the caller clears it with esd_response_clear()).
 * False when no node answered or the stop flag ended it; r->body then
 * says why. */
bool esd_client_request(esd_client *c, const char *method, const char *path,
                        const char *body, esd_response *r);

void esd_response_clear(esd_response *r);

/* The configured nodes, for messages. */
const char *esd_client_nodes(const esd_client *c);

#endif
