/* http.c — the HTTP side of the sender: libcurl, nothing else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "http.h"

#include <curl/curl.h>
#include <string.h>
#include <libdeflate.h>

#include "secrets.h"
#include "tlspin.h"

#define NODE_QUARANTINE_US (10 * G_USEC_PER_SEC)
#define KEEP_RESPONSE_BUFFER (1u << 20) /* a larger one is not kept for the next request */

typedef struct node {
    char *url;
    int64_t down_until_us;
    char *ca_pem; /* es.ca_fingerprint: the certificate of its chain that matched */
} node;

typedef struct slot {
    CURL *easy;
    bool busy;
    void *tag;
    GString *resp;
    bool too_large; /* the response passed ES_HTTP_MAX_RESPONSE */
    unsigned retry_after_s;
    char errbuf[CURL_ERROR_SIZE];
    char early[512]; /* why the request was not sent (pin), reported by the next poll */
    bool early_refused;
    GByteArray *gz; /* compressed body, reused */
    size_t wire_bytes;
    node *node;
    struct curl_slist *headers;
} slot;

struct es_http {
    CURLM *multi;
    node *nodes;
    unsigned n_nodes, next_node;
    slot *slots;
    unsigned n_slots, inflight;
    struct libdeflate_compressor *gzip; /* NULL: bodies go uncompressed */
    unsigned timeout_s;
    char *user, *password, *api_key_header, *ca_file, *ca_dir, *client_cert, *client_key;
    char *client_key_password;
    bool tls_verify, pinned;
    uint8_t pin[ES_SHA256_LEN];
    char **secrets; /* es_secret_forms(): scrubbed from response bodies */
};

void es_http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    slot *s = ud;
    size_t len = size * n;
    /* Kept below the limit, the string's power-of-two buffer never passes
     * it; returning less than len aborts the transfer. */
    if (s->resp->len + len >= ES_HTTP_MAX_RESPONSE) {
        s->too_large = true;
        return 0;
    }
    g_string_append_len(s->resp, p, (gssize)len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    slot *s = ud;
    size_t len = size * n;
    if (len > 12 && g_ascii_strncasecmp(p, "retry-after:", 12) == 0)
        s->retry_after_s = (unsigned)g_ascii_strtoull(p + 12 + strspn(p + 12, " "), NULL, 10);
    return len;
}

/* A client certificate for PKI authentication. */
static void client_tls(const es_http *h, CURL *e)
{
    es_tls_client c = {h->client_cert, h->client_key, h->client_key_password};
    es_tls_client_apply(&c, e);
}

static void setup_tls(const es_http *h, CURL *e, const node *n)
{
    if (n->ca_pem) {
        es_tls_trust_only(e, n->ca_pem);
    } else {
        if (*h->ca_file)
            curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
        if (*h->ca_dir)
            curl_easy_setopt(e, CURLOPT_CAPATH, h->ca_dir);
    }
    client_tls(h, e);
    if (!h->tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void setup_easy(es_http *h, slot *s, unsigned timeout_s)
{
    CURL *e = s->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)timeout_s);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    /* curl's defaults, said because they matter: a redirect is reported,
     * never followed (it could take the credentials to another host). */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (*h->user && !h->api_key_header) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, h->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, h->password);
    }
    setup_tls(h, e, s->node);
    if (s->resp->allocated_len > KEEP_RESPONSE_BUFFER) {
        g_string_free(s->resp, TRUE);
        s->resp = g_string_new(NULL);
    }
    g_string_truncate(s->resp, 0);
    s->too_large = false;
    s->retry_after_s = 0;
    s->errbuf[0] = '\0';
    s->early[0] = '\0';
}

es_http *es_http_new(const es_settings *st, const es_sink *sink, unsigned max_inflight, bool gzip)
{
    es_http *h = g_new0(es_http, 1);
    h->multi = curl_multi_init();
    for (char **u = sink->urls; *u; u++)
        h->n_nodes++;
    h->nodes = g_new0(node, h->n_nodes);
    for (unsigned i = 0; i < h->n_nodes; i++)
        h->nodes[i].url = g_strdup(sink->urls[i]);
    h->n_slots = max_inflight + 1; /* one more for blocking setup requests */
    h->slots = g_new0(slot, h->n_slots);
    for (unsigned i = 0; i < h->n_slots; i++) {
        h->slots[i].easy = curl_easy_init();
        h->slots[i].resp = g_string_new(NULL);
        h->slots[i].gz = g_byte_array_new();
    }
    /* Level 1: about 10:1 on packet documents at twice zlib's speed, which
     * keeps the sender ahead of dissection on a small machine. */
    h->gzip = gzip ? libdeflate_alloc_compressor(1) : NULL;
    h->timeout_s = st->timeout_s;
    h->user = g_strdup(st->user);
    h->password = g_strdup(st->password);
    h->api_key_header = *st->api_key ? g_strdup_printf("Authorization: ApiKey %s", st->api_key) : NULL;
    h->ca_file = g_strdup(st->ca_file);
    h->ca_dir = g_strdup(st->ca_dir);
    h->client_cert = g_strdup(st->client_cert);
    h->client_key = g_strdup(st->client_key);
    h->client_key_password = g_strdup(st->client_key_password);
    h->tls_verify = st->tls_verify;
    h->pinned = *st->ca_fingerprint && es_fingerprint_parse(st->ca_fingerprint, h->pin);
    h->secrets = es_secret_forms(st->user, st->password, st->api_key);
    return h;
}

static void wipe(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    g_free(s);
}

void es_http_free(es_http *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->n_slots; i++) {
        slot *s = &h->slots[i];
        if (s->busy)
            curl_multi_remove_handle(h->multi, s->easy);
        curl_easy_cleanup(s->easy);
        curl_slist_free_all(s->headers);
        g_string_free(s->resp, TRUE);
        g_byte_array_free(s->gz, TRUE);
    }
    curl_multi_cleanup(h->multi);
    if (h->gzip)
        libdeflate_free_compressor(h->gzip);
    for (unsigned i = 0; i < h->n_nodes; i++) {
        g_free(h->nodes[i].url);
        g_free(h->nodes[i].ca_pem);
    }
    g_free(h->nodes);
    g_free(h->slots);
    g_free(h->user);
    wipe(h->password);
    wipe(h->api_key_header);
    for (char **p = h->secrets; *p; p++)
        memset(*p, 0, strlen(*p));
    g_strfreev(h->secrets);
    g_free(h->ca_file);
    g_free(h->ca_dir);
    g_free(h->client_cert);
    g_free(h->client_key);
    wipe(h->client_key_password);
    g_free(h);
}

/* Round robin over the nodes, preferring those not failed recently. */
static node *pick_node(es_http *h)
{
    int64_t now = g_get_monotonic_time();
    for (unsigned i = 0; i < h->n_nodes; i++) {
        node *n = &h->nodes[(h->next_node + i) % h->n_nodes];
        if (n->down_until_us <= now) {
            h->next_node = (h->next_node + i + 1) % h->n_nodes;
            return n;
        }
    }
    return &h->nodes[h->next_node++ % h->n_nodes];
}

/* es.ca_fingerprint (tlspin.h): the node's chain is fetched once, and
 * the certificate of the pin becomes its only CA.  False with the reason
 * in s->early if none matched or the chain could not be fetched. */
static bool pin_node(es_http *h, slot *s, node *n)
{
    es_tls_client c = {h->client_cert, h->client_key, h->client_key_password};
    n->ca_pem = es_tls_pin_fetch(n->url, h->pin, &c, "es.ca_fingerprint", s->early, sizeof s->early,
                                 &s->early_refused);
    return n->ca_pem != NULL;
}

void es_http_node_failed(es_http *h, const char *url)
{
    for (unsigned i = 0; i < h->n_nodes; i++)
        if (h->nodes[i].url == url)
            h->nodes[i].down_until_us = g_get_monotonic_time() + NODE_QUARANTINE_US;
}

static bool gzip_body(struct libdeflate_compressor *z, GByteArray *out, const char *body, size_t len)
{
    g_byte_array_set_size(out, (guint)libdeflate_gzip_compress_bound(z, len));
    size_t n = libdeflate_gzip_compress(z, body, len, out->data, out->len);
    g_byte_array_set_size(out, (guint)n);
    return n > 0;
}

/* False if the request must not be sent (a pin that did not match). */
static bool prepare(es_http *h, slot *s, const char *method, const char *path,
                    const char *body, size_t len, const char *content_type, unsigned timeout_s)
{
    s->node = pick_node(h);
    s->early_refused = false;
    setup_easy(h, s, timeout_s);
    if (h->pinned && !s->node->ca_pem && g_str_has_prefix(s->node->url, "https://")) {
        if (!pin_node(h, s, s->node))
            return false;
        setup_tls(h, s->easy, s->node);
    }
    char *url = g_strconcat(s->node->url, path, NULL);
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    g_free(url);

    curl_slist_free_all(s->headers);
    s->headers = curl_slist_append(NULL, "Expect:");
    if (h->api_key_header)
        s->headers = curl_slist_append(s->headers, h->api_key_header);
    s->wire_bytes = len;
    if (body) {
        char *ct = g_strdup_printf("Content-Type: %s", content_type);
        s->headers = curl_slist_append(s->headers, ct);
        g_free(ct);
        if (h->gzip && len > 1024 && gzip_body(h->gzip, s->gz, body, len)) {
            s->headers = curl_slist_append(s->headers, "Content-Encoding: gzip");
            body = (const char *)s->gz->data;
            len = s->gz->len;
            s->wire_bytes = len;
        }
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    return true;
}

/* Errors no retry can mend: the node's certificate or ours. */
static bool is_refusal(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR;
}

static void fill_result(es_http *h, slot *s, CURLcode rc, es_http_result *res)
{
    memset(res, 0, sizeof *res);
    res->node = s->node->url;
    res->body = s->resp;
    res->retry_after_s = s->retry_after_s;
    es_redact(s->resp, h->secrets);
    if (s->early[0] || rc != CURLE_OK) {
        res->transport_error = true;
        res->refused = s->early[0] ? s->early_refused : is_refusal(rc);
        if (s->early[0])
            g_strlcpy(res->error, s->early, sizeof res->error);
        else if (s->too_large)
            g_snprintf(res->error, sizeof res->error, "response larger than %u MiB, not read",
                       ES_HTTP_MAX_RESPONSE >> 20);
        else
            g_strlcpy(res->error, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc), sizeof res->error);
        return;
    }
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &res->status);
    char *location = NULL;
    curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_URL, &location);
    if (location)
        g_strlcpy(res->redirect, location, sizeof res->redirect);
}

void es_http_request(es_http *h, const char *method, const char *path,
                     const char *body, size_t len, unsigned timeout_s, es_http_result *res)
{
    slot *s = &h->slots[h->n_slots - 1];
    CURLcode rc = CURLE_OK;
    if (prepare(h, s, method, path, body, len, "application/json", timeout_s))
        rc = curl_easy_perform(s->easy);
    fill_result(h, s, rc, res);
}

bool es_http_submit(es_http *h, const char *path, const char *body, size_t len,
                    const char *content_type, void *tag)
{
    for (unsigned i = 0; i + 1 < h->n_slots; i++) {
        slot *s = &h->slots[i];
        if (s->busy)
            continue;
        bool send = prepare(h, s, "POST", path, body, len, content_type, h->timeout_s);
        s->tag = tag;
        s->busy = true;
        h->inflight++;
        if (send)
            curl_multi_add_handle(h->multi, s->easy);
        return true;
    }
    return false;
}

/* Requests that were never sent (s->early): done at once. */
static bool report_early(es_http *h, es_http_done_cb done, void *ud)
{
    bool any = false;
    for (unsigned i = 0; i + 1 < h->n_slots; i++) {
        slot *s = &h->slots[i];
        if (!s->busy || !s->early[0])
            continue;
        es_http_result res;
        fill_result(h, s, CURLE_OK, &res);
        s->busy = false;
        h->inflight--;
        any = true;
        done(ud, s->tag, &res, 0);
    }
    return any;
}

void es_http_poll(es_http *h, int timeout_ms, es_http_done_cb done, void *ud)
{
    if (report_early(h, done, ud))
        return;
    int running = 0;
    curl_multi_perform(h->multi, &running);
    curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
    curl_multi_perform(h->multi, &running);

    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        slot *s = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(h->multi, s->easy);
        es_http_result res;
        fill_result(h, s, rc, &res);
        s->busy = false;
        h->inflight--;
        done(ud, s->tag, &res, s->wire_bytes);
    }
}

void es_http_wakeup(es_http *h)
{
    curl_multi_wakeup(h->multi);
}

unsigned es_http_inflight(const es_http *h)
{
    return h->inflight;
}

void es_http_cancel_all(es_http *h, void (*cancelled)(void *ud, void *tag), void *ud)
{
    for (unsigned i = 0; i + 1 < h->n_slots; i++) {
        slot *s = &h->slots[i];
        if (!s->busy)
            continue;
        if (!s->early[0])
            curl_multi_remove_handle(h->multi, s->easy);
        s->busy = false;
        h->inflight--;
        cancelled(ud, s->tag);
    }
}
