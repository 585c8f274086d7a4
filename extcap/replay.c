/* replay.c — the capture: matching documents back into packets on the fifo.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "replay.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "client.h"
#include "cluster.h"
#include "conversations.h"
#include "follow.h"
#include "pcapng.h"
#include "query.h"
#include "search.h"
#include "timerange.h"

#define POLL_MS 250
/* How late a document may reach the index after its @timestamp and still
 * be followed: the exporter's batch age (1 s) plus a refresh (1 s), with
 * room to spare. */
#define FOLLOW_LAG_NS (5 * 1000000000LL)

typedef struct run {
    const esd_opts *o;
    volatile sig_atomic_t *stop;
    esd_client *client;
    esd_cluster cl;
    esd_fields *fields;
    char *query;
    FILE *out;
    pcapng_writer *pcap;
    GByteArray *frame;
    esd_seen *seen; /* follow only */
    guint64 written;
    char *error;
} run;

static bool limit_reached(const run *r)
{
    return r->o->max_packets > 0 && r->written >= (guint64)r->o->max_packets;
}

/* Decodes es.raw into r->frame, checking it against frame.cap_len. */
static bool decode_raw(run *r, const esd_hit *h)
{
    if (!h->raw) {
        r->error = g_strdup_printf("document %s/%s has no %s (indexed with es.raw=false?): its packet cannot "
                                   "be rebuilt",
                                   h->index, h->id, r->cl.names.raw);
        return false;
    }
    size_t n = strlen(h->raw);
    gint state = 0;
    guint save = 0;
    g_byte_array_set_size(r->frame, (guint)(n / 4 * 3 + 3));
    gsize len = g_base64_decode_step(h->raw, n, r->frame->data, &state, &save);
    g_byte_array_set_size(r->frame, (guint)len);
    if (h->cap_len >= 0 && (int64_t)len != h->cap_len) {
        r->error = g_strdup_printf("document %s/%s: %s holds %zu bytes but %s says %" G_GINT64_FORMAT,
                                   h->index, h->id, r->cl.names.raw, (size_t)len, r->cl.names.cap_len, h->cap_len);
        return false;
    }
    return true;
}

static bool write_hit(run *r, const esd_hit *h, int64_t ts)
{
    if (h->linktype < 0) {
        r->error = g_strdup_printf("document %s/%s has no %s", h->index, h->id, r->cl.names.linktype);
        return false;
    }
    char *comment = g_strdup_printf("wireshark-es: index %s, _id %s%s", h->index, h->id,
                                    h->timestamp ? "" : " (no @timestamp: time unknown)");
    pcapng_packet p = {
        .linktype = (uint32_t)h->linktype,
        .source = h->capture_id,
        .source_name = h->capture,
        .ts_ns = ts > 0 ? (uint64_t)ts : 0,
        .orig_len = (uint32_t)(h->frame_len >= 0 ? h->frame_len : r->frame->len),
        .data = r->frame->data,
        .cap_len = r->frame->len,
        .comment = comment,
    };
    bool ok = pcapng_writer_packet(r->pcap, &p);
    g_free(comment);
    if (!ok) {
        r->error = g_strdup_printf("writing to %s: %s", r->o->fifo, g_strerror(errno));
        return false;
    }
    r->written++;
    return true;
}

static bool on_hit(void *ud, const esd_hit *h)
{
    run *r = ud;
    int64_t ts = 0;
    if (*r->stop || limit_reached(r))
        return false;
    if (h->timestamp && !esd_time_rfc3339(h->timestamp, &ts)) {
        r->error = g_strdup_printf("document %s/%s: @timestamp '%s' is not RFC 3339", h->index, h->id, h->timestamp);
        return false;
    }
    if (r->seen && h->id && esd_seen_check(r->seen, h->id, ts))
        return true;
    return decode_raw(r, h) && write_hit(r, h, ts);
}

/* Every page of one search; false on an error (r->error). */
static bool drain(run *r, const esd_search_conf *conf, bool *any)
{
    esd_search *s = esd_search_open(&r->cl, conf, &r->error);
    if (!s)
        return false;
    int n;
    guint64 before = r->written;
    while ((n = esd_search_next(s, on_hit, r, &r->error)) > 0)
        if (!pcapng_writer_flush(r->pcap))
            break;
    esd_search_close(s);
    *any = r->written > before;
    if (n < 0 && !r->error && !*r->stop && !limit_reached(r))
        r->error = g_strdup("the search ended early");
    return !r->error;
}

static void sleep_unless_stopped(run *r, unsigned ms)
{
    for (unsigned t = 0; t < ms && !*r->stop; t += 50)
        g_usleep(50 * 1000);
}

/* Follow: poll for documents at or after the newest delivered minus the
 * lag, skipping those delivered already, until stopped. */
static bool follow(run *r)
{
    while (!*r->stop && !limit_reached(r)) {
        int64_t since = esd_seen_since(r->seen);
        char *q = since == INT64_MIN ? g_strdup(r->query) : esd_query_since(r->query, since);
        esd_search_conf conf = {.target = r->o->index, .query = q, .order = ESD_ORDER_TIME, .page_size = (unsigned)r->o->page_size, .no_pit = true};
        bool any;
        bool ok = drain(r, &conf, &any);
        g_free(q);
        if (!ok)
            return false;
        if (!any)
            sleep_unless_stopped(r, POLL_MS);
    }
    return true;
}

static bool prepare(run *r)
{
    const esd_opts *o = r->o;
    esd_client_conf cc;
    esd_opts_client_conf(o, &cc);
    if (o->insecure)
        fprintf(stderr, "esdump: WARNING: --insecure: the certificates of %s are not checked, so anyone on the "
                        "network path can pose as the cluster and read the credentials; use --ca-file or "
                        "--ca-fingerprint instead\n",
                o->node);
    esd_style style = strcmp(o->names, "dotted") == 0 ? ESD_STYLE_DOTTED : strcmp(o->names, "underscore") == 0 ? ESD_STYLE_UNDERSCORE :
                                                                                                                 ESD_STYLE_AUTO;
    r->client = esd_client_new(&cc, r->stop);
    if (!esd_cluster_detect(r->client, style, &r->cl, &r->error))
        return false;
    r->fields = esd_fields_fetch(&r->cl, o->index, o->follow, &r->error);
    if (!r->fields)
        return false;
    r->query = esd_query_build(o, &r->cl, r->fields, esd_time_now(), &r->error);
    if (r->query && o->conversations) {
        char *wide = esd_conversations(&r->cl, o->index, r->query, &r->error);
        g_free(r->query);
        r->query = wide;
    }
    return r->query != NULL;
}

/* The fifo is opened before anything can fail: dumpcap waits for its
 * writer, and a run that never opened it would leave the capture hanging
 * instead of showing the error. */
static bool open_fifo(run *r)
{
    const char *fifo = r->o->fifo;
    r->out = strcmp(fifo, "-") == 0 ? stdout : fopen(fifo, "wb");
    if (!r->out)
        r->error = g_strdup_printf("cannot open %s: %s", fifo, g_strerror(errno));
    return r->out != NULL;
}

static bool start_stream(run *r)
{
    r->pcap = pcapng_writer_new(r->out);
    if (!r->pcap || !pcapng_writer_flush(r->pcap)) {
        r->error = g_strdup_printf("writing to %s: %s", r->o->fifo, g_strerror(errno));
        return false;
    }
    return true;
}

static bool capture(run *r)
{
    if (r->o->print_query) {
        if (!prepare(r))
            return false;
        printf("%s\n", r->query);
        return true;
    }
    if (!open_fifo(r) || !prepare(r) || !start_stream(r))
        return false;
    esd_search_conf conf = {.target = r->o->index, .query = r->query, .page_size = (unsigned)r->o->page_size, .order = r->o->replay && *r->o->replay ? ESD_ORDER_CAPTURE : ESD_ORDER_TIME};
    bool any;
    if (r->o->follow)
        r->seen = esd_seen_new(FOLLOW_LAG_NS);
    if (!drain(r, &conf, &any))
        return false;
    if (r->o->follow)
        return follow(r);
    if (r->written == 0 && !*r->stop)
        fprintf(stderr, "esdump: no packet in '%s' matches\n", r->o->index);
    return true;
}

int esd_replay(const esd_opts *o, volatile sig_atomic_t *stop)
{
    run r = {.o = o, .stop = stop, .frame = g_byte_array_new()};
    bool ok = capture(&r);
    if (*stop)
        ok = true; /* stopped (SIGTERM): whatever was cut short is no error */
    if (r.pcap)
        ok = pcapng_writer_flush(r.pcap) && ok;
    if (r.out && r.out != stdout)
        fclose(r.out);
    if (!ok)
        fprintf(stderr, "esdump: %s\n", r.error ? r.error : "failed");
    pcapng_writer_free(r.pcap);
    esd_seen_free(r.seen);
    esd_fields_free(r.fields);
    esd_client_free(r.client);
    g_byte_array_free(r.frame, TRUE);
    g_free(r.query);
    g_free(r.error);
    return ok ? 0 : 1;
}
