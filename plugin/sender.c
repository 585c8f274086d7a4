/* sender.c — the thread that delivers sealed bulk batches.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "sender.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "deadletter.h"
#include "delivery.h"
#include "http.h"
#include "secrets.h"
#include "progress.h"
#include "spool.h"

#define TICK_US (100 * 1000)
#define SETUP_TIMEOUT_S 5
/* Mapping conflicts taken out of one index mapping update, one a request. */
#define ES_MAPPING_CONFLICTS_MAX 32
#define WARN_INTERVAL_US (300 * G_USEC_PER_SEC)

struct es_sender {
    es_settings settings;
    es_sink sink;
    es_queue *q;
    es_batcher *batcher;
    es_schema *schema;
    es_stats *stats;
    char *target;

    es_http *http;       /* HTTP sinks */
    es_deadletter *dead; /* HTTP sinks: what did not get in, and why */
    es_spool *spool;     /* HTTP sinks: batches waiting on disk */
    bool live;           /* live capture: never hold the tap, spool instead */
    FILE *out;           /* file and stdout sinks */
    bool prepared;       /* cluster inspected */
    es_server_info info;
    size_t mapped;         /* schema fields already in the template and indices */
    GPtrArray *conflicts;  /* fields the indices map otherwise (char *, NULL-terminated) */
    bool template_checked; /* whether new indices get it was asked */
    es_name_style style;
    int64_t prepare_not_before_us;
    bool fatal;        /* e.g. authentication refused: stop trying */
    char *stop_reason; /* why, for the dead letters and the summary */

    GQueue retry;        /* es_batch*, waiting for their not_before_us */
    es_batch *lookahead; /* popped while waiting (file sinks) */

    GThread *thread;
    GMutex lock; /* guards stopping and deadline */
    bool stopping;
    int64_t deadline_us;
    int64_t last_warn_us;
    char *last_warn; /* the last message, repeated only after WARN_INTERVAL_US */
    GRand *rand;

    /* What es_sender_state_get() reads from other threads: the sender's own
     * fields are copied here under state_lock (publish_state(), warn()). */
    GMutex state_lock;
    es_sender_state pub;
};

static void warn(es_sender *s, bool rate_limited, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Equal but for numbers ("timed out after 5001 ms" twice is one condition). */
static bool same_but_numbers(const char *a, const char *b)
{
    while (*a && *b) {
        if (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            while (g_ascii_isdigit(*a))
                a++;
            while (g_ascii_isdigit(*b))
                b++;
        } else if (*a++ != *b++) {
            return false;
        }
    }
    return *a == *b;
}

static void warn(es_sender *s, bool rate_limited, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One line, and no terminal escapes from a hostile server's text. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    /* A condition that lasts (an outage) is told once, not every retry. */
    int64_t now = g_get_monotonic_time();
    if (rate_limited && s->last_warn && same_but_numbers(s->last_warn, msg) &&
        now - s->last_warn_us < WARN_INTERVAL_US) {
        g_free(msg);
        return;
    }
    es_progress_message("wireshark-es: %s", msg);
    s->last_warn_us = now;
    g_free(s->last_warn);
    s->last_warn = msg;
    g_mutex_lock(&s->state_lock);
    g_free(s->pub.last_error);
    s->pub.last_error = g_strdup(msg);
    g_mutex_unlock(&s->state_lock);
}

/* Copies what a status display shows; the sender thread's fields change
 * under it, so readers see only this copy. */
static void publish_state(es_sender *s)
{
    const char *dead = s->dead && es_deadletter_written(s->dead) ? es_deadletter_path(s->dead) : NULL;
    g_mutex_lock(&s->state_lock);
    s->pub.info = s->info;
    s->pub.style = s->style;
    s->pub.connected = s->prepared;
    s->pub.spooled = s->spool ? es_spool_docs(s->spool) : 0;
    s->pub.dead_letters = s->dead ? es_deadletter_written(s->dead) : 0;
    if (g_strcmp0(dead, s->pub.dead_letter) != 0) {
        g_free(s->pub.dead_letter);
        s->pub.dead_letter = g_strdup(dead);
    }
    g_mutex_unlock(&s->state_lock);
}

void es_sender_state_get(es_sender *snd, es_sender_state *out)
{
    g_mutex_lock(&snd->state_lock);
    *out = snd->pub;
    out->last_error = g_strdup(snd->pub.last_error);
    out->dead_letter = g_strdup(snd->pub.dead_letter);
    g_mutex_unlock(&snd->state_lock);
    out->spool_dir = snd->spool ? g_strdup(es_spool_dir(snd->spool)) : NULL;
}

void es_sender_state_clear(es_sender_state *st)
{
    g_free(st->last_error);
    g_free(st->dead_letter);
    g_free(st->spool_dir);
    memset(st, 0, sizeof *st);
}

static int64_t backoff_us(es_sender *s, unsigned attempt, unsigned retry_after_s)
{
    return es_backoff_us(attempt, retry_after_s, s->settings.retry_max_s, s->rand);
}

/* Writes every item of b to the dead-letter file with the error. */
static void dead_letters(es_sender *s, const es_batch *b, int status, const char *type, const char *reason)
{
    for (uint32_t i = 0; s->dead && i < b->n_items; i++) {
        const char *p;
        size_t len;
        es_batch_item(b, i, &p, &len);
        es_deadletter_add(s->dead, p, len, status, type, reason);
    }
}

static void drop_batch(es_sender *s, es_batch *b, const char *reason)
{
    es_stats_add(&s->stats->dropped, b->n_items);
    es_stats_reason(s->stats, reason);
    dead_letters(s, b, 0, "not_delivered", reason);
    es_batch_free(b);
}

/* A live capture does not wait for the cluster: its batches go to disk. */
static bool spooling(const es_sender *s)
{
    return s->spool && s->live;
}

/* Puts a batch the cluster could not take now into the spool (a batch
 * read from the spool just stays there), or drops it if the spool is full. */
static void spool_or_drop(es_sender *s, es_batch *b)
{
    if (b->spool_id) {
        es_spool_release(s->spool, b->spool_id);
        es_batch_free(b);
    } else if (es_spool_put(s->spool, b)) {
        es_batch_free(b);
    } else {
        warn(s, true, "the spool %s is full (es.spool_mib): frames are dropped", es_spool_dir(s->spool));
        drop_batch(s, b, "spool full (es.spool_mib) while the cluster could not be reached");
    }
}

/* The cluster went away: probe it again later, spool meanwhile. */
static void cluster_away(es_sender *s, es_batch *b, unsigned retry_after_s);

/* Keeps b for sending again.  The retry queue holds es.queue batches: a
 * live capture, which must not wait, puts what is past that into the
 * spool; otherwise next_batch() takes no new batch until there is room. */
static void hold_for_retry(es_sender *s, es_batch *b)
{
    if (spooling(s) && es_retry_full(s->retry.length, s->settings.queue))
        spool_or_drop(s, b);
    else
        g_queue_push_tail(&s->retry, b);
}

static void schedule_retry(es_sender *s, es_batch *b, unsigned retry_after_s)
{
    b->attempt++;
    b->not_before_us = g_get_monotonic_time() + backoff_us(s, b->attempt, retry_after_s);
    hold_for_retry(s, b);
}

/* Ends delivery for good after the message just told (warn()). */
static void stop_delivery(es_sender *s)
{
    s->fatal = true;
    if (!s->stop_reason)
        s->stop_reason = g_strdup(s->last_warn);
}

/* 401/403: told once, naming who the requests authenticate as (never the
 * secret); delivery stops and the documents go to the dead-letter file. */
static void auth_refused(es_sender *s, const es_http_result *res)
{
    if (s->fatal)
        return;
    char *why = es_error_summary(res->body->str, res->body->len);
    char *who = es_credentials_identity(s->settings.user, s->settings.api_key);
    if (!who)
        warn(s, false, "%s wants credentials (HTTP %ld, %s): set es.user with its password (ES_PASSWORD or "
                       "es.secrets_file), or es.api_key (ES_API_KEY); delivery stopped",
             res->node, res->status, why);
    else if (res->status == 401)
        warn(s, false, "%s refused the credentials of %s (HTTP 401, %s): check the password (ES_PASSWORD, "
                       "es.secrets_file) or the API key (ES_API_KEY); delivery stopped",
             res->node, who, why);
    else
        warn(s, false, "%s refused a request of %s (HTTP 403, %s): it lacks a privilege (create_doc, "
                       "manage_index_templates, monitor); delivery stopped",
             res->node, who, why);
    g_free(who);
    g_free(why);
    stop_delivery(s);
}

/* The HTTP status of a template simulation using features (es_lack bits),
 * or 0 if the cluster could not be reached. */
static long probe(es_sender *s, unsigned features, unsigned timeout_s)
{
    es_http_result res;
    char *body = es_probe_body(features);
    es_http_request(s->http, "POST", ES_PROBE_PATH, body, strlen(body), timeout_s, &res);
    g_free(body);
    return res.transport_error ? 0 : res.status;
}

/* Finds which of the mapping types and settings the exporter would use
 * the cluster lacks (a cluster without x-pack, OpenSearch before 2.8), so
 * that the template uses fallbacks instead of being refused whole.  One
 * request when it has them all. */
static unsigned probe_lacks(es_sender *s, unsigned timeout_s)
{
    unsigned wanted = ES_LACKS_UNSIGNED_LONG;
    if (s->style == ES_NAMES_DOTTED)
        wanted |= ES_LACKS_CONSTANT_KEYWORD;
    if (*s->settings.ilm_policy && !s->info.opensearch)
        wanted |= ES_LACKS_ILM;
    if (*s->settings.data_stream)
        wanted |= ES_LACKS_DATA_STREAM;
    /* Anything but a refusal (an old cluster without _simulate): use all. */
    if (probe(s, wanted, timeout_s) != 400)
        return 0;
    unsigned lacks = 0;
    for (unsigned bit = 1; bit <= wanted; bit <<= 1)
        if ((wanted & bit) && probe(s, bit, timeout_s) == 400)
            lacks |= bit;
    if (lacks) {
        GString *what = g_string_new(NULL);
        if (lacks & ES_LACKS_UNSIGNED_LONG)
            g_string_append(what, "; no unsigned_long: 64-bit unsigned fields are mapped as double, "
                                  "every digit in FIELD.exact");
        if (lacks & ES_LACKS_CONSTANT_KEYWORD)
            g_string_append(what, "; no constant_keyword: event.dataset goes into each document");
        if (lacks & ES_LACKS_ILM)
            g_string_append(what, "; no ILM: es.ilm_policy is not applied");
        if (lacks & ES_LACKS_DATA_STREAM)
            g_string_append_printf(what, "; no data streams: documents go into an index named %s",
                                   s->settings.data_stream);
        warn(s, false, "%s %s lacks some x-pack features%s", s->info.opensearch ? "OpenSearch" : "Elasticsearch",
             s->info.version, what->str);
        g_string_free(what, TRUE);
    }
    return lacks;
}

/* Answers to GET / that asking again cannot mend: an untrusted
 * certificate, refused credentials, a redirect (never followed: it could
 * take the credentials to another host), another 4xx.  Told once; delivery
 * stops and the documents go to the dead-letter file. */
static bool answer_is_final(es_sender *s, const es_http_result *res)
{
    if (res->transport_error && res->refused) {
        warn(s, false, "%s: %s; not trying again (see es.ca_file, es.ca_dir, es.ca_fingerprint, "
                       "es.client_cert, es.client_key_password)",
             res->node, res->error);
    } else if (res->status == 401 || res->status == 403) {
        auth_refused(s, res);
    } else if (res->transport_error || res->status < 300 || res->status >= 500 || res->status == 408 ||
               res->status == 429) {
        return false;
    } else if (*res->redirect) {
        warn(s, false, "%s redirects to %s (HTTP %ld); redirects are not followed: set es.node to "
                       "the address that answers",
             res->node, res->redirect, res->status);
    } else {
        char *why = es_error_summary(res->body->str, res->body->len);
        warn(s, false, "%s answered GET / with HTTP %ld (%s); not trying again", res->node, res->status, why);
        g_free(why);
    }
    stop_delivery(s);
    return true;
}

/* Asks the cluster what it is and installs the template.  False if the
 * cluster could not be reached (try again later). */
static bool prepare_cluster(es_sender *s, unsigned timeout_s)
{
    es_http_result res;
    es_http_request(s->http, "GET", "/", NULL, 0, timeout_s, &res);
    if (answer_is_final(s, &res))
        return false;
    if (res.transport_error) {
        warn(s, true, "cannot reach %s: %s; documents are kept and sent once it answers",
             res.node, res.error);
        es_http_node_failed(s->http, res.node);
        return false;
    }
    es_server_info info;
    GError *err = NULL;
    if (res.status != 200 || !es_server_parse(res.body->str, res.body->len, &info, &err)) {
        warn(s, true, "%s: unexpected answer to GET / (HTTP %ld%s%s)", res.node, res.status,
             err ? ", " : "", err ? err->message : "");
        g_clear_error(&err);
        return false;
    }
    es_name_style detected = es_server_name_style(&info);
    if (s->settings.name_style == ES_NAMES_AUTO)
        s->style = detected;
    else if (s->style == ES_NAMES_DOTTED && detected != ES_NAMES_DOTTED)
        warn(s, false, "%s %s does not support dotted names with subobjects:false; "
                       "documents may be rejected (set es.name_style to underscore)",
             info.opensearch ? "OpenSearch" : "Elasticsearch", info.version);

    s->info = info;
    if (s->settings.template)
        es_schema_set_lacks(s->schema, probe_lacks(s, timeout_s));
    s->prepared = true;
    return true;
}

static void warn_blocked(es_sender *s, const char *reason);

/* Whether a setup request met a condition to wait out (429, 502-504, a
 * read-only block): the mapping is then put again later, before any
 * document that needs it, instead of being given up. */
static bool must_wait(es_sender *s, const es_http_result *res)
{
    if (res->transport_error) {
        warn(s, true, "cannot reach %s: %s; documents are kept and sent once it answers",
             res->node, res->error);
        es_http_node_failed(s->http, res->node);
        return true;
    }
    bool blocked = es_error_is_block(res->body->str, res->body->len);
    if (!blocked && res->status != 429 && (res->status < 502 || res->status > 504))
        return false;
    char *why = es_error_summary(res->body->str, res->body->len);
    if (blocked)
        warn_blocked(s, why);
    else
        warn(s, true, "%s answered HTTP %ld (%s); mappings are put again later", res->node, res->status, why);
    g_free(why);
    return true;
}

/* Adds the fields of the installed template to the schema, read again
 * before every update: what earlier runs and concurrent ones (two tshark
 * into one index) put stays, the template is only ever updated with more
 * (fields, copy_to targets).  False if that must wait. */
static bool merge_installed_template(es_sender *s, const char *path)
{
    es_http_result res;
    es_http_request(s->http, "GET", path, NULL, 0, SETUP_TIMEOUT_S * 6, &res);
    bool done = !must_wait(s, &res);
    if (done && res.status == 200)
        es_template_seed(res.body->str, res.body->len, s->schema);
    return done;
}

/* PUT of body to path; false if it must be tried again later.  A refusal
 * for good is told (what) and given up, but for a mapping conflict when
 * conflict is given: the field it names is returned there. */
static bool setup_put(es_sender *s, const char *path, const char *body, const char *what, char **conflict)
{
    es_http_result res;
    es_http_request(s->http, "PUT", path, body, strlen(body), SETUP_TIMEOUT_S * 6, &res);
    if (must_wait(s, &res))
        return false;
    if (conflict && res.status == 400)
        *conflict = es_mapping_conflict_field(res.body->str, res.body->len);
    if (res.status != 200 && res.status != 404 && !(conflict && *conflict)) {
        char *why = es_error_summary(res.body->str, res.body->len);
        warn(s, false, "could not %s: %s", what, why);
        g_free(why);
    }
    return true;
}

/* Puts the fields [s->mapped, count) into the existing indices of the
 * pattern.  A field an index maps otherwise already (another writer's
 * documents mapped it first) keeps that mapping there and the rest is put
 * again: one conflict does not leave thousands of fields to dynamic
 * mapping.  False if that must wait. */
static bool put_index_mappings(es_sender *s, size_t count)
{
    char *glob = es_index_glob(es_settings_target(&s->settings));
    char *path = g_strdup_printf("/%s/_mapping?allow_no_indices=true&ignore_unavailable=true", glob);
    char *what = g_strdup_printf("add %zu field mappings to %s", count - s->mapped, glob);
    bool done = true;
    for (unsigned tries = 0; tries < ES_MAPPING_CONFLICTS_MAX; tries++) {
        char *body = es_mapping_body(s->schema, s->mapped, count, s->style,
                                     (const char *const *)s->conflicts->pdata);
        char *field = NULL;
        done = setup_put(s, path, body, what, tries + 1 < ES_MAPPING_CONFLICTS_MAX ? &field : NULL);
        g_free(body);
        if (!field)
            break;
        warn(s, false, "%s maps %s otherwise already (another writer's documents came first): "
                       "it keeps that mapping there",
             glob, field);
        g_ptr_array_add(s->conflicts, field);
    }
    g_free(what);
    g_free(path);
    g_free(glob);
    return done;
}

/* A template of higher priority matching the same indices wins: new
 * indices then get its mappings, not the exporter's, and the fields are
 * mapped dynamically.  Asked once a run, after the first template. */
static void check_template_applies(es_sender *s, const char *name)
{
    s->template_checked = true;
    char *glob = es_index_glob(es_settings_target(&s->settings));
    char *path = g_strdup_printf(ES_SIMULATE_PATH "%.*swireshark-es-check", (int)strlen(glob) - 1, glob);
    es_http_result res;
    es_http_request(s->http, "POST", path, NULL, 0, SETUP_TIMEOUT_S * 6, &res);
    if (!res.transport_error && res.status == 200 && es_template_shadowed(res.body->str, res.body->len, name))
        warn(s, false, "an index template of higher priority than %s (200) matches %s: new indices get its "
                       "mappings, not the exporter's, so fields are mapped dynamically (GET _index_template "
                       "lists them: lower its priority or narrow its index_patterns)",
             name, glob);
    g_free(path);
    g_free(glob);
}

/* Puts the fields of the schema not mapped yet into the index template
 * (new indices) and into the existing indices of the pattern, before any
 * document that carries them.  False if that must wait (cluster away or
 * read-only). */
static bool update_mappings(es_sender *s)
{
    size_t count = es_schema_count(s->schema);
    if (count == s->mapped || !s->settings.template) {
        s->mapped = count;
        return true;
    }
    char *name = es_template_name(es_settings_target(&s->settings));
    char *path = g_strdup_printf("/_index_template/%s", name);
    char *body = NULL, *what = NULL;
    bool done = merge_installed_template(s, path);
    if (!done)
        goto out;
    count = es_schema_count(s->schema);
    body = es_template_body(&s->info, s->style, &s->settings, s->schema);
    what = g_strdup_printf("install index template %s", name);
    done = setup_put(s, path, body, what, NULL);
    if (done && !s->template_checked)
        check_template_applies(s, name);
    done = done && put_index_mappings(s, count);
    if (done)
        s->mapped = count;
out:
    g_free(what);
    g_free(body);
    g_free(path);
    g_free(name);
    return done;
}

typedef struct bulk_outcome {
    es_sender *s;
    es_batch *batch;
    es_batch *retry; /* items to send again */
} bulk_outcome;

/* A read-only block (disk flood stage, or an operator's): the documents are
 * fine and wait until it is lifted, whatever the status (429 for an index
 * past the flood stage, 403 for a block set through the API). */
static void warn_blocked(es_sender *s, const char *reason)
{
    warn(s, true, "the cluster blocks writes (%s): free disk space on its nodes; Elasticsearch "
                  "lifts a flood-stage block once usage falls (or PUT <index>/_settings "
                  "{\"index.blocks.read_only_allow_delete\": null}, or the same under _cluster/settings "
                  "for cluster.blocks); documents are kept and retried",
         reason ? reason : "read-only");
}

static bool mapping_race(int status, const char *reason, unsigned attempt)
{
    if (status != 400 || attempt + 1 >= ES_MAPPING_RACE_ATTEMPTS)
        return false;
    char *field = es_mapping_conflict_field(reason, reason ? strlen(reason) : 0);
    g_free(field);
    return field != NULL;
}

static void on_item(void *ud, uint32_t i, int status, const char *type, const char *reason)
{
    bulk_outcome *o = ud;
    es_stats *st = o->s->stats;
    bool blocked = type && strcmp(type, "cluster_block_exception") == 0;
    if (status >= 200 && status < 300) {
        es_stats_add(&st->indexed, 1);
    } else if (status == 409) {
        es_stats_add(&st->present, 1);
    } else if (status == 429 || status >= 500 || blocked || mapping_race(status, reason, o->batch->attempt)) {
        if (blocked)
            warn_blocked(o->s, reason);
        if (!o->retry) {
            o->retry = es_batch_new(o->batch->body.len, o->batch->body.limit);
            o->retry->attempt = o->batch->attempt;
        }
        const char *p;
        size_t len;
        es_batch_item(o->batch, i, &p, &len);
        es_batch_append(o->retry, p, len);
    } else {
        es_stats_add(&st->rejected, 1);
        if (o->s->dead) {
            const char *p;
            size_t len;
            es_batch_item(o->batch, i, &p, &len);
            es_deadletter_add(o->s->dead, p, len, status, type, reason);
        }
        char *why = g_strdup_printf("HTTP %d %s: %s", status, type ? type : "error",
                                    reason ? reason : "");
        es_stats_reason(st, why);
        g_free(why);
    }
}

static void finish_bulk(es_sender *s, es_batch *b, const es_http_result *res)
{
    if (es_bulk_response_all_ok(res->body->str, res->body->len, b->n_items)) {
        es_stats_add(&s->stats->indexed, b->n_items);
        es_batch_free(b);
        return;
    }
    GError *err = NULL;
    bulk_outcome o = {s, b, NULL};
    if (!es_bulk_response_parse(res->body->str, res->body->len, b->n_items, on_item, &o, &err)) {
        /* Nothing can be known of the items: the deterministic _id makes a
         * resend safe (already indexed ones come back as 409). */
        warn(s, true, "%s: %s; sending again", res->node, err->message);
        g_error_free(err);
        es_batch_free(o.retry);
        schedule_retry(s, b, 0);
        return;
    }
    if (o.retry) {
        es_stats_add(&s->stats->retried, o.retry->n_items);
        schedule_retry(s, o.retry, res->retry_after_s);
    }
    es_batch_free(b);
}

/* Splits a batch the server found too large into two halves. */
static void split_batch(es_sender *s, es_batch *b)
{
    es_batch *halves[2];
    es_batch_halves(b, halves);
    hold_for_retry(s, halves[0]);
    hold_for_retry(s, halves[1]);
    es_batch_free(b);
}

static void cluster_away(es_sender *s, es_batch *b, unsigned retry_after_s)
{
    spool_or_drop(s, b);
    s->prepared = false;
    s->prepare_not_before_us = g_get_monotonic_time() + backoff_us(s, 2, retry_after_s);
}

static es_answer_kind classify_status(const es_http_result *res, const es_batch *b)
{
    /* A 200's body, a whole bulk response, is not searched for a block. */
    bool blocked = res->status != 200 && es_error_is_block(res->body->str, res->body->len);
    return es_classify_status(res->status, blocked, b->n_items, b->attempt);
}

/* No HTTP answer: refused for good (TLS, redirect), or try again later. */
static void on_transport_error(es_sender *s, es_batch *b, const es_http_result *res)
{
    es_stats_add(&s->stats->failures, 1);
    es_http_node_failed(s->http, res->node);
    if (res->refused) {
        if (!s->fatal)
            warn(s, false, "%s: %s; delivery stopped", res->node, res->error);
        stop_delivery(s);
        drop_batch(s, b, s->stop_reason);
    } else if (spooling(s) || b->spool_id) {
        warn(s, true, "%s: %s; spooling to %s until it answers", res->node, res->error,
             es_spool_dir(s->spool));
        cluster_away(s, b, 0);
    } else {
        warn(s, true, "%s: %s; retrying", res->node, res->error);
        schedule_retry(s, b, 0);
    }
}

static void reject_request(es_sender *s, es_batch *b, const es_http_result *res, const char *why)
{
    warn(s, true, "%s rejected a bulk request of %u documents: HTTP %ld %s", res->node,
         b->n_items, res->status, why);
    es_stats_add(&s->stats->rejected, b->n_items);
    char *reason = g_strdup_printf("HTTP %ld %s", res->status, why);
    es_stats_reason(s->stats, reason);
    dead_letters(s, b, (int)res->status, "request_rejected", why);
    g_free(reason);
    es_batch_free(b);
}

static void on_done(void *ud, void *tag, const es_http_result *res, size_t wire_bytes)
{
    es_sender *s = ud;
    es_batch *b = tag;
    es_stats_add(&s->stats->requests, 1);
    es_stats_add(&s->stats->wire_bytes, wire_bytes);
    if (res->transport_error) {
        on_transport_error(s, b, res);
        return;
    }
    es_answer_kind kind = classify_status(res, b);
    if (kind == ES_ANSWER_AWAY && (spooling(s) || b->spool_id)) {
        es_stats_add(&s->stats->failures, 1);
        warn(s, true, "%s answered HTTP %ld; spooling to %s until it takes documents again", res->node,
             res->status, es_spool_dir(s->spool));
        cluster_away(s, b, res->retry_after_s);
        return;
    }
    /* Whatever happens next, a spooled batch's file is dealt with. */
    if (b->spool_id) {
        es_spool_done(s->spool, b->spool_id);
        b->spool_id = 0;
    }
    if (kind == ES_ANSWER_OK) {
        finish_bulk(s, b, res);
        return;
    }
    es_stats_add(&s->stats->failures, 1);
    char *why = es_error_summary(res->body->str, res->body->len);
    if (kind == ES_ANSWER_AWAY && es_error_is_block(res->body->str, res->body->len))
        warn_blocked(s, why);
    else if (kind == ES_ANSWER_AWAY || kind == ES_ANSWER_RETRY)
        warn(s, true, "%s answered HTTP %ld (%s); retrying", res->node, res->status, why);
    if (kind == ES_ANSWER_AWAY || kind == ES_ANSWER_RETRY) {
        schedule_retry(s, b, res->retry_after_s);
    } else if (kind == ES_ANSWER_SPLIT) {
        split_batch(s, b);
    } else if (kind == ES_ANSWER_AUTH) {
        auth_refused(s, res);
        char *reason = g_strdup_printf("HTTP %ld %s", res->status, why);
        drop_batch(s, b, reason);
        g_free(reason);
    } else {
        reject_request(s, b, res, why);
    }
    g_free(why);
}

static bool write_batch(es_sender *s, es_batch *b)
{
    es_stats_add(&s->stats->requests, 1);
    es_stats_add(&s->stats->bytes, b->body.len);
    if (fwrite(b->body.data, 1, b->body.len, s->out) != b->body.len || fflush(s->out) != 0) {
        es_stats_add(&s->stats->failures, 1);
        warn(s, true, "writing %s failed: %s; retrying", s->target, g_strerror(errno));
        clearerr(s->out);
        return false;
    }
    es_stats_add(&s->stats->wire_bytes, b->body.len);
    es_stats_add(&s->stats->indexed, b->n_items);
    return true;
}

static bool is_stopping(es_sender *s, int64_t *deadline)
{
    g_mutex_lock(&s->lock);
    bool stopping = s->stopping;
    *deadline = s->deadline_us;
    g_mutex_unlock(&s->lock);
    return stopping;
}

/* The next batch to send now, without waiting: a retry that is due, then a
 * queued batch, then the batcher's batch if it is old enough (or any, when
 * stopping). */
static es_batch *next_batch(es_sender *s, int64_t now, bool stopping)
{
    es_batch *b = g_queue_peek_head(&s->retry);
    if (b && b->not_before_us <= now) {
        g_queue_pop_head(&s->retry);
        return b;
    }
    if (s->lookahead) {
        b = s->lookahead;
        s->lookahead = NULL;
        return b;
    }
    /* Bounded: with es.queue batches waiting to be sent again, new ones
     * wait in the queue (and reading waits) instead of piling up here; a
     * live capture spools the overflow instead (hold_for_retry). */
    if (!spooling(s) && es_retry_full(s->retry.length, s->settings.queue))
        return NULL;
    /* Older than anything queued: what waits in the spool. */
    if (s->spool && s->prepared && (b = es_spool_take(s->spool, 0)))
        return b;
    b = es_queue_pop(s->q, 0);
    if (b)
        return b;
    return es_batcher_take(s->batcher, now, stopping);
}

static int64_t next_due(es_sender *s, int64_t now)
{
    int64_t due = now + TICK_US;
    for (GList *l = s->retry.head; l; l = l->next) {
        es_batch *b = l->data;
        if (b->not_before_us < due)
            due = MAX(b->not_before_us, now);
    }
    return due;
}

static bool has_work(es_sender *s)
{
    return s->retry.length || s->lookahead || es_queue_length(s->q) ||
           (s->http && es_http_inflight(s->http)) || (s->spool && s->prepared && es_spool_pending(s->spool));
}

static void cancelled(void *ud, void *tag)
{
    es_sender *s = ud;
    es_batch *b = tag;
    if (spooling(s) || b->spool_id)
        spool_or_drop(s, b);
    else
        drop_batch(s, b, "not delivered before the flush timeout (es.flush_timeout_s)");
}

/* Live capture, cluster away: everything held in memory goes to the spool,
 * so the tap never waits and nothing is lost at exit. */
static void spool_everything(es_sender *s, bool with_batcher)
{
    es_batch *b;
    es_http_cancel_all(s->http, cancelled, s);
    while ((b = g_queue_pop_head(&s->retry)))
        spool_or_drop(s, b);
    if (s->lookahead) {
        spool_or_drop(s, s->lookahead);
        s->lookahead = NULL;
    }
    while ((b = es_queue_pop(s->q, 0)))
        spool_or_drop(s, b);
    if (with_batcher && (b = es_batcher_take(s->batcher, 0, true)))
        spool_or_drop(s, b);
}

static void drop_everything(es_sender *s, const char *reason)
{
    es_batch *b;
    if (s->http)
        es_http_cancel_all(s->http, cancelled, s);
    while ((b = g_queue_pop_head(&s->retry)))
        drop_batch(s, b, reason);
    if (s->lookahead) {
        drop_batch(s, s->lookahead, reason);
        s->lookahead = NULL;
    }
    while ((b = es_queue_pop(s->q, 0)))
        drop_batch(s, b, reason);
    if ((b = es_batcher_take(s->batcher, 0, true)))
        drop_batch(s, b, reason);
}

/* Fatal stop, flush deadline, cluster away during a live capture: what
 * must happen before anything is sent this turn.  True when the thread
 * is done. */
static bool handle_stops(es_sender *s, int64_t now, bool stopping, int64_t deadline)
{
    if (s->fatal) {
        drop_everything(s, s->stop_reason);
        if (stopping)
            return true;
    }
    if (stopping && now >= deadline) {
        if (spooling(s))
            spool_everything(s, true);
        else
            drop_everything(s, "not delivered before the flush timeout (es.flush_timeout_s)");
        return true;
    }
    if (s->http && !s->prepared && now >= s->prepare_not_before_us && !s->fatal &&
        !prepare_cluster(s, SETUP_TIMEOUT_S))
        s->prepare_not_before_us = now + backoff_us(s, 4, 0);
    if (spooling(s) && !s->prepared && !s->fatal) {
        /* Keep the queue empty so the capture never waits; at the end,
         * the batcher's last batch too. */
        spool_everything(s, stopping);
        if (stopping)
            return true;
        es_batch *old = es_batcher_take(s->batcher, now, false);
        if (old)
            spool_or_drop(s, old);
    }
    return false;
}

/* Sends (or writes) every batch that is ready, as far as requests in
 * flight allow.  True if any was. */
static bool send_ready(es_sender *s, int64_t now, bool stopping)
{
    bool sent_any = false;
    while (!s->fatal && (!s->http || (s->prepared && es_http_inflight(s->http) < s->settings.requests))) {
        es_batch *b = next_batch(s, now, stopping);
        if (!b)
            break;
        /* Every field of b is in the schema already: map before sending. */
        if (s->http && !update_mappings(s)) {
            s->lookahead = b;
            s->prepared = false;
            s->prepare_not_before_us = now + backoff_us(s, 4, 0);
            break;
        }
        sent_any = true;
        if (!s->http) {
            if (!write_batch(s, b))
                schedule_retry(s, b, 0);
            else
                es_batch_free(b);
        } else {
            es_stats_add(&s->stats->bytes, b->body.len);
            es_http_submit(s->http, ES_BULK_PATH, b->body.data, b->body.len, "application/x-ndjson", b);
        }
    }
    return sent_any;
}

/* Waits for answers, a due retry, a queued batch or the deadline. */
static void wait_for_work(es_sender *s, int64_t now, bool stopping, int64_t deadline)
{
    int64_t due = next_due(s, now);
    if (stopping && deadline < due)
        due = deadline;
    if (s->http)
        es_http_poll(s->http, (int)MAX((due - now) / 1000, 1), on_done, s);
    else if (!s->lookahead)
        s->lookahead = es_queue_pop(s->q, due);
}

static gpointer sender_main(gpointer data)
{
    es_sender *s = data;
    for (;;) {
        int64_t now = g_get_monotonic_time(), deadline;
        bool stopping = is_stopping(s, &deadline);
        if (handle_stops(s, now, stopping, deadline))
            break;
        if (send_ready(s, now, stopping) && !s->http)
            continue;
        if (stopping && !has_work(s) && !es_queue_length(s->q)) {
            es_batch *rest = es_batcher_take(s->batcher, now, true);
            if (!rest)
                break;
            s->lookahead = rest;
            continue;
        }
        publish_state(s);
        wait_for_work(s, now, stopping, deadline);
    }
    return NULL;
}

static void sender_free(es_sender *s)
{
    es_spool_close(s->spool);
    es_deadletter_free(s->dead);
    es_http_free(s->http);
    if (s->out && s->out != stdout)
        fclose(s->out);
    else if (s->out)
        fflush(s->out);
    es_settings_clear(&s->settings);
    es_sink_clear(&s->sink);
    g_free(s->target);
    g_rand_free(s->rand);
    g_ptr_array_free(s->conflicts, TRUE);
    g_free(s->last_warn);
    g_free(s->stop_reason);
    g_mutex_clear(&s->lock);
    es_sender_state_clear(&s->pub);
    g_mutex_clear(&s->state_lock);
    g_free(s);
}

/* The dead-letter file and the spool of an HTTP sink. */
static void open_http_files(es_sender *s, const es_settings *st, const es_sink *sink)
{
    char *dir = *st->dead_letter_dir ? g_strdup(st->dead_letter_dir) : es_deadletter_default_dir();
    s->dead = es_deadletter_new(dir, (uint64_t)st->dead_letter_mib << 20);
    g_free(dir);
    dir = *st->spool_dir ? g_strdup(st->spool_dir) : es_spool_default_dir(sink->urls[0]);
    char *why = NULL;
    s->spool = es_spool_open(dir, (uint64_t)st->spool_mib << 20, &why);
    if (!s->spool) {
        warn(s, false, "%s; a live capture waits for the cluster instead", why);
        g_free(why);
    } else if (es_spool_files(s->spool)) {
        warn(s, false, "%" G_GUINT64_FORMAT " documents left in the spool %s by an earlier run "
                       "are sent first",
             es_spool_docs(s->spool), dir);
    }
    g_free(dir);
}

static void open_http_sink(es_sender *s, const es_settings *st, const es_sink *sink, bool live)
{
    bool gzip = st->compression == ES_COMPRESS_GZIP ||
                (st->compression == ES_COMPRESS_AUTO && !es_sink_is_loopback(sink));
    s->http = es_http_new(st, sink, st->requests, gzip);
    open_http_files(s, st, sink);
    s->live = live;
    s->target = g_strjoinv(",", sink->urls);
    if (!st->tls_verify)
        warn(s, false, "WARNING: es.tls_verify is off: the certificates of %s are not checked, so anyone "
                       "on the network path can pose as the cluster and read the packets and the credentials; "
                       "use es.ca_file or es.ca_fingerprint instead",
             s->target);
    prepare_cluster(s, SETUP_TIMEOUT_S);
}

/* Opens the sink; false (err set) if a file sink cannot be written. */
static bool open_sink(es_sender *s, const es_settings *st, const es_sink *sink, bool live, GError **err)
{
    switch (sink->kind) {
    case ES_SINK_STDOUT:
        s->out = stdout;
        s->target = g_strdup("standard output");
        break;
    case ES_SINK_FILE:
        s->out = fopen(sink->path, "wb");
        s->target = g_strdup_printf("file %s", sink->path);
        if (!s->out) {
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "es.node: cannot write %s: %s", sink->path, g_strerror(errno));
            return false;
        }
        break;
    case ES_SINK_HTTP:
        open_http_sink(s, st, sink, live);
        break;
    }
    return true;
}

es_sender *es_sender_start(const es_settings *st, const es_sink *sink, bool live, es_queue *q,
                           es_batcher *b, es_schema *schema, es_stats *stats,
                           es_name_style *style, GError **err)
{
    es_sender *s = g_new0(es_sender, 1);
    es_settings_copy(&s->settings, st);
    s->sink.kind = sink->kind;
    s->sink.urls = g_strdupv(sink->urls);
    s->sink.path = g_strdup(sink->path);
    s->q = q;
    s->batcher = b;
    s->schema = schema;
    s->stats = stats;
    s->rand = g_rand_new();
    s->conflicts = g_ptr_array_new_null_terminated(0, g_free, TRUE); /* an except list as it is */
    g_mutex_init(&s->lock);
    g_mutex_init(&s->state_lock);
    g_queue_init(&s->retry);
    s->style = st->name_style == ES_NAMES_AUTO ? ES_NAMES_DOTTED : (es_name_style)st->name_style;
    if (!open_sink(s, st, sink, live, err)) {
        sender_free(s);
        return NULL;
    }
    *style = s->style;
    publish_state(s);
    s->thread = g_thread_new("es-sender", sender_main, s);
    return s;
}

void es_sender_notify(es_sender *snd)
{
    if (snd->http)
        es_http_wakeup(snd->http);
}

void es_sender_stop(es_sender *s, unsigned timeout_s, es_server_info *info)
{
    g_mutex_lock(&s->lock);
    s->stopping = true;
    s->deadline_us = g_get_monotonic_time() + (int64_t)timeout_s * G_USEC_PER_SEC;
    g_mutex_unlock(&s->lock);
    es_queue_close(s->q);
    es_queue_kick(s->q);
    es_sender_notify(s);
    g_thread_join(s->thread);
    *info = s->info;
    if (s->dead) {
        s->stats->dead_letter = g_strdup(es_deadletter_path(s->dead));
        s->stats->dead_letters = es_deadletter_written(s->dead);
        s->stats->dead_letters_lost = es_deadletter_lost(s->dead);
    }
    if (s->spool && es_spool_files(s->spool)) {
        s->stats->spool = g_strdup(es_spool_dir(s->spool));
        s->stats->spooled = es_spool_docs(s->spool);
        /* The mapping the spooled documents need, for scripts/resend-spool
         * (a later run installs its own). */
        char *name = es_template_name(es_settings_target(&s->settings));
        char *file = g_strdup_printf("%s/%s.template.json", es_spool_dir(s->spool), name);
        char *body = es_template_body(&s->info, s->style, &s->settings, s->schema);
        if (!g_file_set_contents(file, body, -1, NULL))
            warn(s, false, "cannot write %s", file);
        g_free(body);
        g_free(file);
        g_free(name);
    }
    sender_free(s);
}
