/* tlspin.c — client certificates and certificate pinning, for http.c and
 * esdump's client.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tlspin.h"

#include <string.h>

#include <glib.h>

void es_tls_client_apply(const es_tls_client *c, CURL *e)
{
    if (c->cert && *c->cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
    if (c->key && *c->key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
    if (c->key_password && *c->key_password)
        curl_easy_setopt(e, CURLOPT_KEYPASSWD, c->key_password);
}

/* The chain's certificate matching the pin; the others' fingerprints in seen. */
static char *matching_cert(const struct curl_certinfo *ci, const uint8_t pin[ES_SHA256_LEN], GString *seen)
{
    for (int i = 0; ci && i < ci->num_of_certs; i++) {
        for (const struct curl_slist *l = ci->certinfo[i]; l; l = l->next) {
            uint8_t fp[ES_SHA256_LEN];
            if (!g_str_has_prefix(l->data, "Cert:") || !es_pem_sha256(l->data + 5, fp))
                continue;
            if (memcmp(fp, pin, sizeof fp) == 0)
                return g_strdup(l->data + 5);
            char *hex = es_fingerprint_format(fp);
            g_string_append_printf(seen, "%s%s", seen->len ? ", " : "", hex);
            g_free(hex);
        }
    }
    return NULL;
}

char *es_tls_pin_fetch(const char *url, const uint8_t pin[ES_SHA256_LEN], const es_tls_client *client,
                       const char *setting, char *why, size_t why_len, bool *refused)
{
    CURL *e = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    es_tls_client_apply(client, e); /* a node that wants one may end the handshake without it */
    CURLcode rc = curl_easy_perform(e);
    struct curl_certinfo *ci = NULL;
    if (rc == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci);
    GString *seen = g_string_new(NULL);
    char *pem = rc == CURLE_OK ? matching_cert(ci, pin, seen) : NULL;
    *refused = rc == CURLE_OK && !pem;
    if (rc != CURLE_OK)
        g_strlcpy(why, errbuf[0] ? errbuf : curl_easy_strerror(rc), why_len);
    else if (!pem)
        g_snprintf(why, why_len, "no certificate of its chain has the SHA-256 fingerprint %s gives; nothing "
                                 "was sent (its chain: %s)",
                   setting, seen->len ? seen->str : "none");
    g_string_free(seen, TRUE);
    curl_easy_cleanup(e);
    return pem;
}

void es_tls_trust_only(CURL *e, const char *ca_pem)
{
    struct curl_blob ca = {(void *)ca_pem, strlen(ca_pem), CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
}
