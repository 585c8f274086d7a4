/* sinkhttp — the HTTP/1.1 server side of the fast sink (fastsink.c):
 * a loopback listener on the first free port of a range, and requests read
 * off a keep-alive connection with their bodies (Content-Length or
 * chunked, then gzip or deflate undone).  Blocking I/O, one thread a
 * connection: the sink answers one client, the exporter, on loopback.
 *
 *   int fd = sh_listen("127.0.0.1", 19710, 19799, &port, &err);
 *   sh_conn *c = sh_conn_new(accept(fd, NULL, NULL));
 *   sh_request rq;
 *   while (sh_read_request(c, &rq)) {
 *       ... sh_send(c, 200, body, len, rq.head) ...
 *       bool again = !rq.close;
 *       sh_request_clear(&rq);
 *       if (!again) break;
 *   }
 *   sh_conn_free(c);   (closes the socket)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SINKHTTP_H
#define SINKHTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

typedef struct sh_conn sh_conn;

typedef struct sh_request {
    char method[16];
    char *target; /* path and query, as sent */
    char *body;   /* decoded; NUL-terminated past body_len */
    size_t body_len;
    size_t wire_len; /* bytes of the body on the wire, before decoding */
    bool encoded;    /* had a gzip or deflate Content-Encoding */
    bool head;       /* HEAD: answer without a body */
    bool close;      /* the connection ends after the answer */
} sh_request;

/* A listening socket on host (an IPv4 loopback address or name) and the
 * first port of low..high that binds (0..0: any free port); *port gets it.
 * -1 with *err set (to be g_free()d) if host is not loopback or no port
 * binds. */
int sh_listen(const char *host, unsigned low, unsigned high, unsigned *port, char **err);

/* Takes fd; sh_conn_free() closes it. */
sh_conn *sh_conn_new(int fd);
void sh_conn_free(sh_conn *c);

/* The next request, body read and decoded.  false at the end of the
 * connection, on a read error, a malformed request or a body that does not
 * decode (the connection is then to be closed without an answer); rq is
 * then empty. */
bool sh_read_request(sh_conn *c, sh_request *rq);
void sh_request_clear(sh_request *rq);

/* One answer: status line, X-elastic-product, Content-Type
 * application/json, Content-Length, then body unless head.  false if the
 * client has gone. */
bool sh_send(sh_conn *c, int status, const char *body, size_t len, bool head);

#endif
