/* http.c — the HTTP side of the sender: libcurl, nothing else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "http.h"

#include <curl/curl.h>
#include <string.h>
#include <libdeflate.h>

#define NODE_QUARANTINE_US (10 * G_USEC_PER_SEC)

typedef struct node {
    char *url;
    int64_t down_until_us;
} node;

typedef struct slot {
    CURL *easy;
    bool busy;
    void *tag;
    GString *resp;
    unsigned retry_after_s;
    char errbuf[CURL_ERROR_SIZE];
    GByteArray *gz;          /* compressed body, reused */
    size_t wire_bytes;
    const char *node;
    struct curl_slist *headers;
} slot;

struct es_http {
    CURLM *multi;
    node *nodes;
    unsigned n_nodes, next_node;
    slot *slots;
    unsigned n_slots, inflight;
    struct libdeflate_compressor *gzip;   /* NULL: bodies go uncompressed */
    unsigned timeout_s;
    char *user, *password, *api_key_header, *ca_file;
    bool tls_verify;
};

void es_http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    g_string_append_len(ud, p, (gssize)(size * n));
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    slot *s = ud;
    size_t len = size * n;
    if (len > 12 && g_ascii_strncasecmp(p, "retry-after:", 12) == 0)
        s->retry_after_s = (unsigned)g_ascii_strtoull(p + 12 + strspn(p + 12, " "), NULL, 10);
    return len;
}

static void setup_easy(es_http *h, slot *s, unsigned timeout_s)
{
    CURL *e = s->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s->resp);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)timeout_s);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    if (*h->user) {
        curl_easy_setopt(e, CURLOPT_USERNAME, h->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, h->password);
    }
    if (*h->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (!h->tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    s->resp = s->resp ? s->resp : g_string_new(NULL);
    g_string_truncate(s->resp, 0);
    s->retry_after_s = 0;
    s->errbuf[0] = '\0';
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
    h->tls_verify = st->tls_verify;
    return h;
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
    for (unsigned i = 0; i < h->n_nodes; i++)
        g_free(h->nodes[i].url);
    g_free(h->nodes);
    g_free(h->slots);
    g_free(h->user);
    g_free(h->password);
    g_free(h->api_key_header);
    g_free(h->ca_file);
    g_free(h);
}

/* Round robin over the nodes, preferring those not failed recently. */
static const char *pick_node(es_http *h)
{
    int64_t now = g_get_monotonic_time();
    for (unsigned i = 0; i < h->n_nodes; i++) {
        node *n = &h->nodes[(h->next_node + i) % h->n_nodes];
        if (n->down_until_us <= now) {
            h->next_node = (h->next_node + i + 1) % h->n_nodes;
            return n->url;
        }
    }
    return h->nodes[h->next_node++ % h->n_nodes].url;
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

static void prepare(es_http *h, slot *s, const char *method, const char *path,
                    const char *body, size_t len, const char *content_type, unsigned timeout_s)
{
    setup_easy(h, s, timeout_s);
    s->node = pick_node(h);
    char *url = g_strconcat(s->node, path, NULL);
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
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(s->easy, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
}

static void fill_result(slot *s, CURLcode rc, es_http_result *res)
{
    memset(res, 0, sizeof *res);
    res->node = s->node;
    res->body = s->resp;
    res->retry_after_s = s->retry_after_s;
    if (rc != CURLE_OK) {
        res->transport_error = true;
        g_strlcpy(res->error, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc), sizeof res->error);
        return;
    }
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &res->status);
}

void es_http_request(es_http *h, const char *method, const char *path,
                     const char *body, size_t len, unsigned timeout_s, es_http_result *res)
{
    slot *s = &h->slots[h->n_slots - 1];
    prepare(h, s, method, path, body, len, "application/json", timeout_s);
    CURLcode rc = curl_easy_perform(s->easy);
    fill_result(s, rc, res);
}

bool es_http_submit(es_http *h, const char *path, const char *body, size_t len,
                    const char *content_type, void *tag)
{
    for (unsigned i = 0; i + 1 < h->n_slots; i++) {
        slot *s = &h->slots[i];
        if (s->busy)
            continue;
        prepare(h, s, "POST", path, body, len, content_type, h->timeout_s);
        s->tag = tag;
        s->busy = true;
        h->inflight++;
        curl_multi_add_handle(h->multi, s->easy);
        return true;
    }
    return false;
}

void es_http_poll(es_http *h, int timeout_ms, es_http_done_cb done, void *ud)
{
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
        fill_result(s, rc, &res);
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
        curl_multi_remove_handle(h->multi, s->easy);
        s->busy = false;
        h->inflight--;
        cancelled(ud, s->tag);
    }
}
