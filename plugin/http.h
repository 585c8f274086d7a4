/* http.h — the HTTP side of the sender: libcurl, nothing else.
 *
 * The only file in the project that includes curl.  It knows nothing about
 * bulk semantics: it runs requests against the configured nodes (round
 * robin, skipping a node that failed recently), optionally gzips bodies, and
 * reports status, body and transport errors.  Bulk requests run
 * concurrently on a curl multi handle driven by the sender thread; setup
 * requests (GET /, templates) run blocking.
 *
 * Security: certificates and host names are verified unless es.tls_verify
 * is off; es.ca_fingerprint pins the CA (see pin_node()); credentials go
 * as basic auth or an ApiKey header, redirects are never followed, and
 * secrets a server echoes are scrubbed from response bodies before anyone
 * reads them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_HTTP_H
#define ES_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "settings.h"

typedef struct es_http es_http;

/* A larger response is aborted and counted as a transport error: memory
 * stays bounded whatever a broken or hostile server sends. */
#define ES_HTTP_MAX_RESPONSE (64u << 20)

typedef struct es_http_result {
    bool transport_error;   /* no HTTP answer: connect failure, timeout, reset */
    bool refused;           /* a TLS check refused the node (certificate not
                             * trusted, pin not matched, unusable client
                             * certificate): trying again cannot help */
    char error[512];        /* description of a transport error */
    long status;            /* HTTP status when !transport_error */
    unsigned retry_after_s; /* Retry-After header, 0 if absent */
    char redirect[256];     /* where a 3xx pointed (never followed) */
    const char *node;       /* base URL the request went to */
    GString *body;          /* response body (owned by the es_http) */
} es_http_result;

/* Global libcurl set-up; call once from the main thread before any thread. */
void es_http_global_init(void);

/* A client for the HTTP nodes of sink, with at most max_inflight concurrent
 * bulk requests.  Copies what it needs from s (validated: es.api_key in
 * its encoded form) and sink. */
es_http *es_http_new(const es_settings *s, const es_sink *sink, unsigned max_inflight, bool gzip);
void es_http_free(es_http *h);

/* Runs one request to the next healthy node and waits for it (setup
 * requests; never on the dissection thread's hot path). */
void es_http_request(es_http *h, const char *method, const char *path,
                     const char *body, size_t len, unsigned timeout_s, es_http_result *res);

/* Starts a POST of body to path (relative to the node).  The body must stay
 * valid until the request completes; tag comes back with the result.  False
 * when max_inflight requests are already running. */
bool es_http_submit(es_http *h, const char *path, const char *body, size_t len,
                    const char *content_type, void *tag);

typedef void (*es_http_done_cb)(void *ud, void *tag, const es_http_result *res, size_t wire_bytes);

/* Drives the running requests, waiting at most timeout_ms for activity, and
 * calls done for each one that completed. */
void es_http_poll(es_http *h, int timeout_ms, es_http_done_cb done, void *ud);

/* Ends a wait in es_http_poll() early; callable from any thread. */
void es_http_wakeup(es_http *h);

unsigned es_http_inflight(const es_http *h);

/* Abandons every running request, handing each one's tag to cancelled. */
void es_http_cancel_all(es_http *h, void (*cancelled)(void *ud, void *tag), void *ud);

/* Makes the node of a failed request skipped for a while. */
void es_http_node_failed(es_http *h, const char *node);

#endif
