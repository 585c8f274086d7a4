/* secrets.c — credentials, Elastic Cloud ids and certificate pins.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* memmem */
#include "secrets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"

#define SECRETS_FILE_MAX (64 * 1024)

static bool is_base64(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr("+/=", *s))
            return false;
    return true;
}

/* Decodes base64 text into a NUL-terminated string; NULL if the text is not
 * base64 or decodes to something with a NUL or invalid UTF-8. */
static char *base64_text(const char *b64)
{
    if (!is_base64(b64))
        return NULL;
    gsize n = 0;
    guchar *raw = g_base64_decode(b64, &n);
    char *text = g_strndup((const char *)raw, n);
    g_free(raw);
    if (strlen(text) != n || !g_utf8_validate(text, -1, NULL)) {
        g_free(text);
        return NULL;
    }
    return text;
}

/* Overwrites a secret before freeing it. */
static void wipe(char **s)
{
    if (*s)
        memset(*s, 0, strlen(*s));
    g_free(*s);
    *s = NULL;
}

static bool host_chars(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '-' && *s != '.')
            return false;
    return true;
}

static bool cloud_error(GError **err)
{
    g_set_error(err, ES_SETTINGS_ERROR, 1,
                "es.cloud_id: not an Elastic Cloud id; accepted: the Cloud ID of the deployment "
                "(NAME:BASE64, as the Elastic Cloud console shows it)");
    return false;
}

char *es_cloud_id_url(const char *cloud_id, GError **err)
{
    /* Base64 has no ':': the last one ends the deployment name. */
    const char *colon = strrchr(cloud_id, ':');
    char *text = base64_text(colon ? colon + 1 : cloud_id);
    char **parts = text ? g_strsplit(g_strstrip(text), "$", 4) : NULL;
    char *url = NULL;
    if (parts && parts[0] && parts[1] && host_chars(parts[1])) {
        char *host = parts[0], *port = strrchr(host, ':');
        guint64 p = 443;
        bool port_ok = true;
        if (port) {
            *port++ = '\0';
            port_ok = g_ascii_string_to_unsigned(port, 10, 1, 65535, &p, NULL);
        }
        if (port_ok && host_chars(host))
            url = g_strdup_printf("https://%s.%s:%u", parts[1], host, (unsigned)p);
    }
    g_strfreev(parts);
    g_free(text);
    if (!url)
        cloud_error(err);
    return url;
}

char *es_api_key_encoded(const char *key, GError **err)
{
    char *k = g_strstrip(g_strdup(key));
    char *out = NULL;
    const char *colon = strchr(k, ':');
    if (colon && colon != k && colon[1])
        out = g_base64_encode((const guchar *)k, strlen(k));
    else if (!colon && is_base64(k))
        out = g_strdup(k);
    g_free(k);
    if (!out)
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.api_key: not an API key; accepted: the \"encoded\" value Elasticsearch returns "
                    "when the key is created (base64), or id:key");
    return out;
}

char *es_api_key_id(const char *key)
{
    char *k = g_strstrip(g_strdup(key)); /* as es_api_key_encoded() reads it */
    char *plain = strchr(k, ':') ? g_strdup(k) : base64_text(k);
    wipe(&k);
    /* Either form, the same answer: no id that is not text (fuzz_secrets). */
    if (plain && !g_utf8_validate(plain, -1, NULL))
        wipe(&plain);
    char *colon = plain ? strchr(plain, ':') : NULL;
    char *id = colon && colon != plain ? g_strndup(plain, (gsize)(colon - plain)) : NULL;
    wipe(&plain);
    return id;
}

char *es_credentials_identity(const char *user, const char *api_key)
{
    if (api_key && *api_key) {
        char *id = es_api_key_id(api_key);
        char *out = id ? g_strdup_printf("API key id \"%s\"", id) : g_strdup("the API key");
        g_free(id);
        return out;
    }
    if (user && *user)
        return g_strdup_printf("user \"%s\"", user);
    return NULL;
}

/* The field of out a secrets-file key sets, or NULL. */
static char **secrets_field(es_secrets *out, const char *key)
{
    if (g_str_has_prefix(key, "es."))
        key += 3;
    if (strcmp(key, "user") == 0)
        return &out->user;
    if (strcmp(key, "password") == 0)
        return &out->password;
    if (strcmp(key, "api_key") == 0)
        return &out->api_key;
    if (strcmp(key, "client_key_password") == 0)
        return &out->client_key_password;
    return NULL;
}

bool es_secrets_parse(const char *text, size_t len, const char *path, es_secrets *out, GError **err)
{
    memset(out, 0, sizeof *out);
    char *copy = g_strndup(text, len);
    char **lines = g_strsplit(copy, "\n", -1);
    bool ok = true;
    for (unsigned i = 0; ok && lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq)
            *eq = '\0';
        char **field = eq ? secrets_field(out, g_strstrip(line)) : NULL;
        if (!field) {
            g_set_error(err, ES_SETTINGS_ERROR, 1,
                        "es.secrets_file: %s line %u: expected KEY=VALUE with KEY one of user, password, "
                        "api_key, client_key_password",
                        path, i + 1);
            ok = false;
            continue;
        }
        g_free(*field);
        *field = g_strdup(g_strstrip(eq + 1));
    }
    memset(copy, 0, len);
    g_free(copy);
    for (unsigned i = 0; lines[i]; i++)
        memset(lines[i], 0, strlen(lines[i]));
    g_strfreev(lines);
    if (!ok)
        es_secrets_clear(out);
    return ok;
}

bool es_secrets_read(const char *path, es_secrets *out, GError **err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.secrets_file: cannot read %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    const char *why = !S_ISREG(st.st_mode) ? "is not a regular file" : (st.st_mode & 077)        ? "can be read or written by other users" :
                                                                   st.st_size > SECRETS_FILE_MAX ? "is larger than 64 KiB" :
                                                                                                   NULL;
    if (why) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.secrets_file: %s %s (mode %04o); it must be a file only "
                                               "its owner can read: chmod 600 %s",
                    path, why, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return false;
    }
    char buf[SECRETS_FILE_MAX];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.secrets_file: cannot read %s: %s", path, g_strerror(errno));
        return false;
    }
    bool ok = es_secrets_parse(buf, (size_t)n, path, out, err);
    memset(buf, 0, sizeof buf);
    return ok;
}

void es_secrets_clear(es_secrets *s)
{
    wipe(&s->user);
    wipe(&s->password);
    wipe(&s->api_key);
    wipe(&s->client_key_password);
}

bool es_fingerprint_parse(const char *text, uint8_t out[ES_SHA256_LEN])
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ':' || *p == ' ')
            continue;
        int v = g_ascii_xdigit_value(*p);
        if (v < 0 || n >= 2 * ES_SHA256_LEN)
            return false;
        if (n % 2 == 0)
            out[n / 2] = (uint8_t)(v << 4);
        else
            out[n / 2] |= (uint8_t)v;
        n++;
    }
    return n == 2 * ES_SHA256_LEN;
}

char *es_fingerprint_format(const uint8_t fp[ES_SHA256_LEN])
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < ES_SHA256_LEN; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", fp[i]);
    return g_string_free(s, FALSE);
}

bool es_pem_sha256(const char *pem, uint8_t out[ES_SHA256_LEN])
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    const char *b = strstr(pem, begin);
    if (!b)
        return false;
    /* The end marker after the begin marker, not inside its dashes
     * ("-----BEGIN CERTIFICATE-------END ...": found by fuzz_secrets). */
    b += sizeof begin - 1;
    const char *e = strstr(b, end);
    if (!e)
        return false;
    /* g_base64_decode_step skips the line breaks between the lines. */
    gsize cap = (gsize)(e - b) / 4 * 3 + 3, n;
    guchar *der = g_malloc(cap);
    gint state = 0;
    guint save = 0;
    n = g_base64_decode_step(b, (gsize)(e - b), der, &state, &save);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, der, n);
    gsize len = ES_SHA256_LEN;
    g_checksum_get_digest(sum, out, &len);
    g_checksum_free(sum);
    g_free(der);
    return n > 0;
}

char *es_url_host(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return NULL;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = g_strrstr_len(p, (gssize)auth, "@");
    if (at) {
        auth -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t n;
    if (*p == '[') {
        const char *close = memchr(p, ']', auth);
        if (!close)
            return NULL;
        p++;
        n = (size_t)(close - p);
    } else {
        n = strcspn(p, ":/?#");
        n = MIN(n, auth);
    }
    return n ? g_strndup(p, n) : NULL;
}

bool es_url_is_loopback(const char *url)
{
    char *host = es_url_host(url);
    if (!host)
        return false;
    struct in_addr a4;
    struct in6_addr a6;
    bool local = g_ascii_strcasecmp(host, "localhost") == 0 || g_ascii_strcasecmp(host, "localhost.") == 0;
    if (!local && inet_pton(AF_INET, host, &a4) == 1)
        local = (ntohl(a4.s_addr) >> 24) == 127;
    else if (!local && inet_pton(AF_INET6, host, &a6) == 1)
        local = IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    g_free(host);
    return local;
}

bool es_url_has_userinfo(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t auth = strcspn(p, "/?#");
    return memchr(p, '@', auth) != NULL;
}

char **es_secret_forms(const char *user, const char *password, const char *api_key)
{
    GPtrArray *out = g_ptr_array_new();
    if (password && *password) {
        g_ptr_array_add(out, g_strdup(password));
        char *pair = g_strdup_printf("%s:%s", user ? user : "", password);
        g_ptr_array_add(out, g_base64_encode((const guchar *)pair, strlen(pair)));
        wipe(&pair);
    }
    if (api_key && *api_key) {
        g_ptr_array_add(out, g_strdup(api_key));
        char *plain = strchr(api_key, ':') ? g_strdup(api_key) : base64_text(api_key);
        char *colon = plain ? strchr(plain, ':') : NULL;
        if (colon && colon[1])
            g_ptr_array_add(out, g_strdup(colon + 1));
        if (strchr(api_key, ':'))
            g_ptr_array_add(out, g_base64_encode((const guchar *)api_key, strlen(api_key)));
        wipe(&plain);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

void es_redact(GString *text, char *const *secrets)
{
    static const char mark[] = "[redacted]";
    for (; *secrets; secrets++) {
        size_t n = strlen(*secrets);
        if (!n)
            continue;
        gsize from = 0;
        char *hit;
        /* memmem: a NUL the server put before the secret must not hide it. */
        while (from < text->len && (hit = memmem(text->str + from, text->len - from, *secrets, n))) {
            gsize at = (gsize)(hit - text->str);
            g_string_erase(text, (gssize)at, (gssize)n);
            g_string_insert(text, (gssize)at, mark);
            from = at + sizeof mark - 1;
        }
    }
}
