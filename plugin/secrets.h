/* secrets.h — credentials, Elastic Cloud ids and certificate pins.
 *
 * The parts of securing a connection that need neither curl nor epan, so
 * the plugin's http.c and esdump share them and they are unit-tested and
 * fuzzed on their own: decoding a cloud id into a node URL, normalising an
 * API key into the value of its Authorization header, reading a secrets
 * file only its owner can read, comparing a certificate with the SHA-256
 * fingerprint Elasticsearch prints at set-up, telling loopback URLs apart,
 * and scrubbing secrets from text a server sent.  Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SECRETS_H
#define ES_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* Elastic Cloud: "NAME:BASE64" (NAME: optional), BASE64 encoding
 * "host[:port]$es_uuid$kibana_uuid", gives "https://es_uuid.host:port"
 * (port 443 unless given).  NULL with a message naming es.cloud_id if it
 * is not a cloud id. */
char *es_cloud_id_url(const char *cloud_id, GError **err);

/* The value for "Authorization: ApiKey VALUE": the encoded form
 * Elasticsearch returns (base64 of id:key) as it is, "id:key" encoded.
 * NULL with a message (never quoting the key) if it is neither. */
char *es_api_key_encoded(const char *key, GError **err);

/* The id of an API key in either form, for messages; NULL if unknown. */
char *es_api_key_id(const char *key);

/* Who the requests authenticate as, for messages: `user "NAME"`,
 * `API key id "ID"`, or NULL without credentials.  Never a secret. */
char *es_credentials_identity(const char *user, const char *api_key);

typedef struct es_secrets {
    char *user, *password, *api_key; /* NULL when the file does not set them */
    char *client_key_password;       /* passphrase of an encrypted es.client_key */
} es_secrets;

/* Parses key=value lines (user, password, api_key, client_key_password;
 * "es." prefix allowed;
 * '#' comments, blank lines).  Errors name the file and line, never a
 * value. */
bool es_secrets_parse(const char *text, size_t len, const char *path, es_secrets *out, GError **err);

/* Reads a secrets file; refuses one that is not a regular file or that its
 * group or others may read or write, naming the file and the fix. */
bool es_secrets_read(const char *path, es_secrets *out, GError **err);

/* Overwrites and frees the secrets. */
void es_secrets_clear(es_secrets *s);

#define ES_SHA256_LEN 32

/* A SHA-256 fingerprint as 64 hex digits, with or without ':' (or spaces)
 * between the bytes. */
bool es_fingerprint_parse(const char *text, uint8_t out[ES_SHA256_LEN]);

/* "AA:BB:..." for messages. */
char *es_fingerprint_format(const uint8_t fp[ES_SHA256_LEN]);

/* The SHA-256 of the first certificate in PEM text (of its DER bytes, as
 * Elasticsearch and openssl x509 -fingerprint compute it); false if the
 * text holds no certificate. */
bool es_pem_sha256(const char *pem, uint8_t out[ES_SHA256_LEN]);

/* The host of an http(s) URL without brackets ("::1"), NULL if none. */
char *es_url_host(const char *url);

/* True for URLs whose host is this machine's loopback: localhost,
 * 127.0.0.0/8, ::1. */
bool es_url_is_loopback(const char *url);

/* True if the URL has user information ("user:pass@") before its host. */
bool es_url_has_userinfo(const char *url);

/* Every form in which the credentials could come back in a server's text:
 * the password, base64 of user:password (the Basic header), the encoded
 * API key and its key part.  NULL-terminated; free with g_strfreev(). */
char **es_secret_forms(const char *user, const char *password, const char *api_key);

/* Replaces every occurrence of each non-empty string of the NULL-terminated
 * secrets in text by "[redacted]" (text from a server that echoes what it
 * was sent). */
void es_redact(GString *text, char *const *secrets);

#endif
