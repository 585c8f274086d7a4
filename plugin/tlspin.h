/* tlspin.h — the curl side of TLS settings shared by the plugin's http.c
 * and esdump's client.c (the HTTP layers of both; only they include this):
 * a client certificate with an optional key passphrase, and certificate
 * pinning by SHA-256 fingerprint.
 *
 * Pinning is two steps: es_tls_pin_fetch() makes a handshake that verifies
 * nothing and sends nothing (CONNECT_ONLY: no request, so no credentials)
 * to fetch the node's chain and returns the certificate of the chain whose
 * SHA-256 is the pin; es_tls_trust_only() then makes it the only trust
 * anchor of a handle, which verifies everything against it, host name
 * included.
 *
 *   char why[512]; bool refused;
 *   char *ca = es_tls_pin_fetch(url, pin, &client, "es.ca_fingerprint", why, sizeof why, &refused);
 *   if (ca) es_tls_trust_only(easy, ca);
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_TLSPIN_H
#define ES_TLSPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "secrets.h"

typedef struct es_tls_client {
    const char *cert, *key, *key_password; /* NULL or "" when not set */
} es_tls_client;

/* The client certificate, its key and the key's passphrase on e. */
void es_tls_client_apply(const es_tls_client *c, CURL *e);

/* The PEM of the certificate of url's chain whose SHA-256 is pin (free
 * with g_free()), or NULL with the reason in why; *refused is then true
 * when the chain came but no certificate matched (setting names the pin's
 * setting in that message, which lists the chain's fingerprints). */
char *es_tls_pin_fetch(const char *url, const uint8_t pin[ES_SHA256_LEN], const es_tls_client *client,
                       const char *setting, char *why, size_t why_len, bool *refused);

/* ca_pem as e's only trust anchor: neither a CA file nor the system's. */
void es_tls_trust_only(CURL *e, const char *ca_pem);

#endif
