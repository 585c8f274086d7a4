/* fuzz_secrets.c — cloud ids, API keys, secrets files, fingerprints,
 * certificates, URLs and redaction from arbitrary text.  Byte 0 picks the
 * parser; each checks what it promises: an API key encodes once, a
 * fingerprint survives formatting, a redacted secret is gone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "secrets.h"

static void api_key(const char *text)
{
    char *enc = es_api_key_encoded(text, NULL);
    if (!enc)
        return;
    char *again = es_api_key_encoded(enc, NULL);
    if (!again || strcmp(again, enc) != 0)
        abort();
    char *a = es_api_key_id(text), *b = es_api_key_id(enc);
    if (g_strcmp0(a, b) != 0)
        abort();
    g_free(a);
    g_free(b);
    g_free(again);
    g_free(enc);
}

static void fingerprint(const char *text)
{
    uint8_t fp[ES_SHA256_LEN], back[ES_SHA256_LEN];
    if (!es_fingerprint_parse(text, fp))
        return;
    char *hex = es_fingerprint_format(fp);
    if (!es_fingerprint_parse(hex, back) || memcmp(fp, back, sizeof fp) != 0)
        abort();
    g_free(hex);
}

/* text = SECRET '\t' TEXT: afterwards the secret is not in the text (when
 * it cannot be made of the mark's own characters). */
static void redact(const char *text, size_t len)
{
    const char *tab = memchr(text, '\t', len);
    if (!tab)
        return;
    char *secret = g_strndup(text, (gsize)(tab - text));
    char *secrets[] = {secret, NULL};
    GString *s = g_string_new_len(tab + 1, (gssize)(len - (size_t)(tab + 1 - text)));
    es_redact(s, secrets);
    size_t n = strlen(secret);
    if (n && !strpbrk(secret, "[]") && !strstr("redacted", secret) && memmem(s->str, s->len, secret, n))
        abort();
    g_string_free(s, TRUE);
    g_free(secret);
}

static void url(const char *text)
{
    char *host = es_url_host(text);
    if (host && !*host)
        abort();
    g_free(host);
    es_url_is_loopback(text);
    es_url_has_userinfo(text);
    char *u = es_cloud_id_url(text, NULL);
    host = u ? es_url_host(u) : NULL;
    if (u && (!g_str_has_prefix(u, "https://") || !host))
        abort();
    g_free(host);
    g_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    char *text = g_strndup((const char *)data + 1, size - 1);
    size_t len = size - 1;
    es_secrets s;
    uint8_t fp[ES_SHA256_LEN];
    switch (data[0] % 6) {
    case 0: api_key(text); break;
    case 1: fingerprint(text); break;
    case 2: redact((const char *)data + 1, len); break;
    case 3: url(text); break;
    case 4:
        if (es_secrets_parse((const char *)data + 1, len, "F", &s, NULL))
            es_secrets_clear(&s);
        break;
    default: es_pem_sha256(text, fp); break;
    }
    char **forms = es_secret_forms(text, text, text);
    g_strfreev(forms);
    g_free(text);
    return 0;
}
