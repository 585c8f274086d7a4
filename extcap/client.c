/* client.c — blocking HTTP requests to an Elasticsearch/OpenSearch cluster.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "client.h"

#include <curl/curl.h>
#include <string.h>

#include "secrets.h"
#include "tlspin.h"

struct esd_client {
    CURL *easy;
    char **nodes;
    guint n_nodes, current;
    char *nodes_text;
    char *user, *password, *ca_file, *ca_dir, *client_cert, *client_key, *client_key_password;
    char *who;
    char **secrets; /* es_secret_forms(): scrubbed from error answers, which get printed */
    char **ca_pem;  /* per node: the certificate of its chain the pin matched */
    bool pinned;
    uint8_t pin[ES_SHA256_LEN];
    struct curl_slist *headers;
    bool insecure;
    long timeout_s;
    volatile sig_atomic_t *stop;
    char errbuf[CURL_ERROR_SIZE];
};

void esd_client_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void esd_client_global_cleanup(void)
{
    curl_global_cleanup();
}

/* "host:9200" and "host" become http:// URLs; no trailing slash. */
static char *base_url(const char *node)
{
    char *n = g_strstrip(g_strdup(node));
    size_t len = strlen(n);
    while (len && n[len - 1] == '/')
        n[--len] = '\0';
    if (strstr(n, "://"))
        return n;
    char *url = g_strdup_printf("http://%s%s", n, strchr(n, ':') ? "" : ":9200");
    g_free(n);
    return url;
}

esd_client *esd_client_new(const esd_client_conf *conf, volatile sig_atomic_t *stop)
{
    esd_client *c = g_new0(esd_client, 1);
    char **parts = g_strsplit(conf->nodes && *conf->nodes ? conf->nodes : "http://127.0.0.1:9200", ",", -1);
    GPtrArray *urls = g_ptr_array_new();
    for (char **p = parts; *p; p++)
        if (*g_strstrip(*p))
            g_ptr_array_add(urls, base_url(*p));
    g_strfreev(parts);
    c->n_nodes = urls->len;
    g_ptr_array_add(urls, NULL);
    c->nodes = (char **)g_ptr_array_free(urls, FALSE);
    c->nodes_text = g_strjoinv(", ", c->nodes);
    c->easy = curl_easy_init();
    c->user = g_strdup(conf->user && *conf->user ? conf->user : NULL);
    c->password = g_strdup(conf->password ? conf->password : "");
    c->ca_file = g_strdup(conf->ca_file && *conf->ca_file ? conf->ca_file : NULL);
    c->ca_dir = g_strdup(conf->ca_dir && *conf->ca_dir ? conf->ca_dir : NULL);
    c->client_cert = g_strdup(conf->client_cert);
    c->client_key = g_strdup(conf->client_key);
    c->client_key_password = g_strdup(conf->client_key_password);
    c->pinned = conf->ca_fingerprint && es_fingerprint_parse(conf->ca_fingerprint, c->pin);
    c->ca_pem = g_new0(char *, c->n_nodes + 1);
    c->who = es_credentials_identity(c->user, conf->api_key);
    c->secrets = es_secret_forms(c->user, c->password, conf->api_key);
    c->insecure = conf->insecure;
    c->timeout_s = conf->timeout_s ? (long)conf->timeout_s : 120;
    c->stop = stop;
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (conf->api_key && *conf->api_key) {
        char *h = g_strdup_printf("Authorization: ApiKey %s", conf->api_key);
        c->headers = curl_slist_append(c->headers, h);
        g_free(h);
    }
    return c;
}

static void wipe(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    g_free(s);
}

void esd_client_free(esd_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    g_strfreev(c->nodes);
    g_free(c->nodes_text);
    g_free(c->user);
    wipe(c->password);
    wipe(c->client_key_password);
    g_free(c->ca_file);
    g_free(c->ca_dir);
    g_free(c->client_cert);
    g_free(c->client_key);
    g_free(c->who);
    for (char **p = c->secrets; *p; p++)
        memset(*p, 0, strlen(*p));
    g_strfreev(c->secrets);
    g_strfreev(c->ca_pem);
    g_free(c);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    g_string_append_len(ud, p, (gssize)(size * n));
    return size * n;
}

/* Non-zero aborts the transfer: SIGTERM must not wait for a slow search. */
static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const esd_client *cl = ud;
    return *cl->stop ? 1 : 0;
}

static void setup_tls(esd_client *c, CURL *e);

static void setup(esd_client *c, const char *method, const char *url, const char *body, GString *out)
{
    CURL *e = c->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (c->user) {
        curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
    }
    /* curl's defaults, said because they matter: a redirect is reported,
     * never followed (it could take the credentials to another host). */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    setup_tls(c, e);
}

static void setup_tls(esd_client *c, CURL *e)
{
    const char *ca_pem = c->ca_pem[c->current];
    if (ca_pem) {
        es_tls_trust_only(e, ca_pem);
    } else {
        if (c->ca_file)
            curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
        if (c->ca_dir)
            curl_easy_setopt(e, CURLOPT_CAPATH, c->ca_dir);
    }
    es_tls_client conf = {c->client_cert, c->client_key, c->client_key_password};
    es_tls_client_apply(&conf, e);
    if (c->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* --ca-fingerprint: the current node's chain is fetched once, by a
 * handshake that sends nothing (tlspin.h); false with the reason added to
 * errors if no certificate of it has the pin. */
static bool pin_node(esd_client *c, GString *errors)
{
    const char *node = c->nodes[c->current];
    if (!c->pinned || c->ca_pem[c->current] || !g_str_has_prefix(node, "https://"))
        return true;
    char why[512];
    bool refused;
    es_tls_client conf = {c->client_cert, c->client_key, c->client_key_password};
    c->ca_pem[c->current] = es_tls_pin_fetch(node, c->pin, &conf, "--ca-fingerprint", why, sizeof why, &refused);
    if (!c->ca_pem[c->current])
        g_string_append_printf(errors, "%s%s: %s", errors->len ? "; " : "", node, why);
    return c->ca_pem[c->current] != NULL;
}

bool esd_client_request(esd_client *c, const char *method, const char *path,
                        const char *body, esd_response *r)
{
    r->status = 0;
    r->node = NULL;
    r->body = r->body ? r->body : g_string_new(NULL);
    GString *errors = g_string_new(NULL);
    bool ok = false;
    r->who = c->who;
    for (guint tried = 0; tried < c->n_nodes && !*c->stop; tried++) {
        const char *node = c->nodes[c->current];
        if (!pin_node(c, errors))
            goto next;
        char *url = g_strconcat(node, path, NULL);
        g_string_truncate(r->body, 0);
        c->errbuf[0] = '\0';
        setup(c, method, url, body, r->body);
        CURLcode rc = curl_easy_perform(c->easy);
        g_free(url);
        if (rc == CURLE_OK) {
            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r->status);
            r->node = node;
            if (r->status >= 300) /* error answers end up in messages */
                es_redact(r->body, c->secrets);
            ok = true;
            goto out;
        }
        g_string_append_printf(errors, "%s%s: %s", errors->len ? "; " : "", node,
                               *c->errbuf ? c->errbuf : curl_easy_strerror(rc));
    next:
        c->current = (c->current + 1) % c->n_nodes;
    }
    g_string_assign(r->body, *c->stop ? "stopped" : errors->str);
out:
    g_string_free(errors, TRUE);
    return ok;
}

void esd_response_clear(esd_response *r)
{
    if (r->body)
        g_string_free(r->body, TRUE);
    r->body = NULL;
}

const char *esd_client_nodes(const esd_client *c)
{
    return c->nodes_text;
}
