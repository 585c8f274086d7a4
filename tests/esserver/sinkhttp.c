/* sinkhttp — see sinkhttp.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE /* strcasestr */
#include "sinkhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#define HEADER_MAX (64 * 1024)     /* longest request line or header */
#define BODY_MAX ((size_t)1 << 31) /* Elasticsearch's own limit is 100 MB */
#define IDLE_SECONDS 300           /* an idle connection ends */

struct sh_conn {
    int fd;
    char *buf; /* read, not consumed yet from pos to len */
    size_t pos, len, cap;
};

static bool loopback_address(const char *host, struct in_addr *addr)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return false;
    *addr = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return (ntohl(addr->s_addr) >> 24) == 127;
}

int sh_listen(const char *host, unsigned low, unsigned high, unsigned *port, char **err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (!loopback_address(host, &sa.sin_addr)) {
        *err = g_strdup_printf("refusing to listen on '%s': loopback only", host);
        return -1;
    }
    int last = 0;
    for (unsigned p = low; p <= high; p++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sa.sin_port = htons((uint16_t)p);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 128) == 0) {
            socklen_t n = sizeof sa;
            getsockname(fd, (struct sockaddr *)&sa, &n);
            *port = ntohs(sa.sin_port);
            return fd;
        }
        last = errno;
        if (fd >= 0)
            close(fd);
    }
    *err = g_strdup_printf("no free port in %u-%u: %s", low, high, g_strerror(last));
    return -1;
}

sh_conn *sh_conn_new(int fd)
{
    struct timeval idle = {.tv_sec = IDLE_SECONDS};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    sh_conn *c = g_new0(sh_conn, 1);
    c->fd = fd;
    c->cap = 128 * 1024;
    c->buf = g_malloc(c->cap);
    return c;
}

void sh_conn_free(sh_conn *c)
{
    if (!c)
        return;
    close(c->fd);
    g_free(c->buf);
    g_free(c);
}

/* Reads what the socket has into the buffer; false at its end or on an error. */
static bool read_more(sh_conn *c)
{
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == c->cap)
        c->buf = g_realloc(c->buf, c->cap *= 2);
    ssize_t n;
    do
        n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    return true;
}

/* The next line without its CR LF (or LF), NUL-terminated in the buffer,
 * valid until the next read. */
static char *read_line(sh_conn *c)
{
    char *nl;
    while (!(nl = memchr(c->buf + c->pos, '\n', c->len - c->pos))) {
        if (c->len - c->pos > HEADER_MAX || !read_more(c))
            return NULL;
    }
    char *line = c->buf + c->pos;
    c->pos = (size_t)(nl - c->buf) + 1;
    if (nl > line && nl[-1] == '\r')
        nl--;
    *nl = '\0';
    return line;
}

/* Exactly n bytes into dst, from the buffer first. */
static bool read_exactly(sh_conn *c, char *dst, size_t n)
{
    size_t have = MIN(n, c->len - c->pos);
    memcpy(dst, c->buf + c->pos, have);
    c->pos += have;
    while (have < n) {
        ssize_t got = recv(c->fd, dst + have, n - have, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        have += (size_t)got;
    }
    return true;
}

typedef struct headers {
    long long content_length; /* -1: none */
    bool chunked;
    char encoding[16];
    int keep_alive; /* 1 keep-alive, 0 close, -1 not said */
} headers;

static void parse_header(char *line, headers *h)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return;
    *colon = '\0';
    char *value = g_strstrip(colon + 1);
    if (!g_ascii_strcasecmp(line, "Content-Length"))
        h->content_length = g_ascii_strtoll(value, NULL, 10);
    else if (!g_ascii_strcasecmp(line, "Transfer-Encoding"))
        h->chunked = strcasestr(value, "chunked") != NULL;
    else if (!g_ascii_strcasecmp(line, "Content-Encoding"))
        g_strlcpy(h->encoding, value, sizeof h->encoding);
    else if (!g_ascii_strcasecmp(line, "Connection"))
        h->keep_alive = g_ascii_strcasecmp(value, "close") != 0;
}

static bool read_chunked(sh_conn *c, GByteArray *out)
{
    for (;;) {
        char *line = read_line(c);
        if (!line)
            return false;
        guint64 size = g_ascii_strtoull(line, NULL, 16);
        if (size == 0)
            break;
        if (out->len + size > BODY_MAX)
            return false;
        guint at = out->len;
        g_byte_array_set_size(out, at + (guint)size);
        if (!read_exactly(c, (char *)out->data + at, (size_t)size) || !read_line(c))
            return false;
    }
    char *trailer;
    while ((trailer = read_line(c)) && *trailer)
        ;
    return trailer != NULL;
}

/* The body as it came: raw, NUL-terminated past *len. */
static char *read_body(sh_conn *c, const headers *h, size_t *len)
{
    if (h->chunked) {
        GByteArray *out = g_byte_array_new();
        if (!read_chunked(c, out)) {
            g_byte_array_free(out, TRUE);
            return NULL;
        }
        *len = out->len;
        g_byte_array_append(out, (const guint8 *)"", 1);
        return (char *)g_byte_array_free(out, FALSE);
    }
    size_t n = h->content_length > 0 ? (size_t)h->content_length : 0;
    if (n > BODY_MAX)
        return NULL;
    char *body = g_malloc(n + 1);
    if (!read_exactly(c, body, n)) {
        g_free(body);
        return NULL;
    }
    body[n] = '\0';
    *len = n;
    return body;
}

/* raw inflated (gzip or zlib format), NUL-terminated past *len; NULL if it does not inflate. */
static char *inflated(const char *raw, size_t raw_len, bool gzip, size_t *len)
{
    z_stream z = {0};
    if (inflateInit2(&z, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
        return NULL;
    size_t cap = MIN(MAX(raw_len * 8, 4096), BODY_MAX), have = 0;
    char *out = g_malloc(cap);
    z.next_in = (Bytef *)raw;
    z.avail_in = (uInt)raw_len;
    int rc = Z_BUF_ERROR;
    do {
        if (cap - have < 4096) {
            if (cap >= BODY_MAX)
                break;
            out = g_realloc(out, cap *= 2);
        }
        z.next_out = (Bytef *)out + have;
        z.avail_out = (uInt)(cap - have - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        have = cap - 1 - z.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        g_free(out);
        return NULL;
    }
    out[have] = '\0';
    *len = have;
    return out;
}

/* A gzip body inflated by libdeflate (three times zlib's speed: the sink
 * shares the cores the benchmark measures), into the size its trailer
 * gives; zlib's if that does not do. */
static char *gunzipped(const char *raw, size_t raw_len, size_t *len)
{
    const unsigned char *tail = (const unsigned char *)raw + (raw_len >= 18 ? raw_len - 4 : 0);
    size_t size = 0; /* ISIZE: the inflated length, modulo 2^32 */
    for (int i = 3; raw_len >= 18 && i >= 0; i--)
        size = size << 8 | tail[i];
    if (size == 0 || size > BODY_MAX)
        return inflated(raw, raw_len, true, len);
    char *out = g_malloc(size + 1);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t used, actual;
    enum libdeflate_result rc = libdeflate_gzip_decompress_ex(d, raw, raw_len, out, size, &used, &actual);
    libdeflate_free_decompressor(d);
    if (rc != LIBDEFLATE_SUCCESS) {
        g_free(out);
        return inflated(raw, raw_len, true, len);
    }
    out[actual] = '\0';
    *len = actual;
    return out;
}

/* Undoes a gzip or deflate Content-Encoding; false if the body does not decode. */
static bool decode(sh_request *rq, const char *encoding)
{
    bool gzip = !g_ascii_strcasecmp(encoding, "gzip") || !g_ascii_strcasecmp(encoding, "x-gzip");
    if (rq->body_len == 0 || (!gzip && g_ascii_strcasecmp(encoding, "deflate")))
        return true;
    size_t len;
    char *plain = gzip ? gunzipped(rq->body, rq->body_len, &len) : inflated(rq->body, rq->body_len, false, &len);
    if (!plain)
        return false;
    g_free(rq->body);
    rq->body = plain;
    rq->body_len = len;
    rq->encoded = true;
    return true;
}

/* The request line and headers; false if the connection ended or they are malformed. */
static bool read_head(sh_conn *c, sh_request *rq, headers *h)
{
    char *line;
    while ((line = read_line(c)) && !*line)
        ; /* blank lines before a request are allowed */
    if (!line)
        return false;
    char **words = g_strsplit(line, " ", 4);
    bool ok = g_strv_length(words) == 3 && strlen(words[0]) < sizeof rq->method;
    if (ok) {
        g_strlcpy(rq->method, words[0], sizeof rq->method);
        rq->target = g_strdup(words[1]);
        rq->close = g_strcmp0(words[2], "HTTP/1.1") != 0; /* HTTP/1.0: unless it says keep-alive */
    }
    g_strfreev(words);
    while (ok && (line = read_line(c)) && *line)
        parse_header(line, h);
    return ok && line;
}

bool sh_read_request(sh_conn *c, sh_request *rq)
{
    memset(rq, 0, sizeof *rq);
    headers h = {.content_length = -1, .keep_alive = -1};
    bool ok = read_head(c, rq, &h) && (rq->body = read_body(c, &h, &rq->body_len)) != NULL;
    if (ok) {
        rq->wire_len = rq->body_len;
        rq->head = !strcmp(rq->method, "HEAD");
        if (h.keep_alive >= 0)
            rq->close = !h.keep_alive;
        ok = decode(rq, h.encoding);
    }
    if (!ok)
        sh_request_clear(rq);
    return ok;
}

void sh_request_clear(sh_request *rq)
{
    g_free(rq->target);
    g_free(rq->body);
    memset(rq, 0, sizeof *rq);
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        p += sent;
        n -= (size_t)sent;
    }
    return true;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    default: return "Internal Server Error";
    }
}

bool sh_send(sh_conn *c, int status, const char *body, size_t len, bool head)
{
    char top[256];
    int n = snprintf(top, sizeof top,
                     "HTTP/1.1 %d %s\r\nX-elastic-product: Elasticsearch\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     status, reason(status), len);
    return send_all(c->fd, top, (size_t)n) && (head || send_all(c->fd, body, len));
}
