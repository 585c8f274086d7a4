/* progress.c — tshark's live progress line on a terminal.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_US (G_USEC_PER_SEC / 4)
#define SAMPLES 5 /* one second of ticks: the rate's window */

struct es_progress {
    es_stats *st;
    GThread *thread;
    GMutex lock;
    GCond cond;
    bool stop;
    uint64_t frames[SAMPLES];
    int64_t at[SAMPLES];
    unsigned n; /* samples taken */
};

/* The line on the terminal, shared by the drawing thread and messages;
 * NULL when none is shown. */
static GMutex term_lock;
static GString *shown;

bool es_progress_wanted(bool packets_quiet)
{
    if (!isatty(STDERR_FILENO) || g_strcmp0(g_getenv("TERM"), "dumb") == 0)
        return false;
    if (packets_quiet || !isatty(STDOUT_FILENO))
        return true;
    /* Packet lines on another terminal do not disturb this one. */
    struct stat out, err;
    return fstat(STDOUT_FILENO, &out) == 0 && fstat(STDERR_FILENO, &err) == 0 &&
           out.st_rdev != err.st_rdev;
}

void es_progress_format(es_stats *st, double rate, GString *out)
{
    uint64_t indexed = es_stats_get(&st->indexed);
    uint64_t errors = es_stats_get(&st->rejected) + es_stats_get(&st->dropped);
    uint64_t answered = indexed + es_stats_get(&st->present) + errors;
    uint64_t docs = es_stats_get(&st->docs);
    /* What matters most first: a narrow terminal cuts the end. */
    g_string_printf(out, "wireshark-es: %" G_GUINT64_FORMAT " frames (%.0f/s), %" G_GUINT64_FORMAT " indexed, %" G_GUINT64_FORMAT " errors, %" G_GUINT64_FORMAT " retries, %" G_GUINT64_FORMAT " queued",
                    es_stats_get(&st->frames), rate, indexed, errors,
                    es_stats_get(&st->retried) + es_stats_get(&st->failures),
                    docs > answered ? docs - answered : 0);
}

/* Writes the line over the current one, cut to the terminal's width so it
 * never wraps (term_lock held). */
static void draw(const char *text)
{
    struct winsize ws;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1u : 79u;
    fprintf(stderr, "\r%.*s\x1b[K", (int)MIN(strlen(text), width), text);
    fflush(stderr);
}

/* Frames per second over the samples of the last second. */
static double sample(es_progress *p, int64_t now)
{
    unsigned i = p->n % SAMPLES;
    p->frames[i] = es_stats_get(&p->st->frames);
    p->at[i] = now;
    p->n++;
    if (p->n < 2)
        return 0.0;
    unsigned oldest = p->n < SAMPLES ? 0 : p->n % SAMPLES;
    double secs = (double)(now - p->at[oldest]) / G_USEC_PER_SEC;
    return secs > 0 ? (double)(p->frames[i] - p->frames[oldest]) / secs : 0.0;
}

static gpointer run(gpointer data)
{
    es_progress *p = data;
    GString *line = g_string_new(NULL);
    g_mutex_lock(&p->lock);
    while (!p->stop) {
        int64_t now = g_get_monotonic_time();
        es_progress_format(p->st, sample(p, now), line);
        g_mutex_lock(&term_lock);
        g_string_assign(shown, line->str);
        draw(shown->str);
        g_mutex_unlock(&term_lock);
        g_cond_wait_until(&p->cond, &p->lock, now + TICK_US);
    }
    g_mutex_unlock(&p->lock);
    g_string_free(line, TRUE);
    return NULL;
}

es_progress *es_progress_start(es_stats *st)
{
    g_mutex_lock(&term_lock);
    bool busy = shown != NULL;
    if (!busy)
        shown = g_string_new(NULL);
    g_mutex_unlock(&term_lock);
    if (busy)
        return NULL;
    es_progress *p = g_new0(es_progress, 1);
    p->st = st;
    g_mutex_init(&p->lock);
    g_cond_init(&p->cond);
    p->thread = g_thread_new("es-progress", run, p);
    return p;
}

void es_progress_stop(es_progress *p)
{
    if (!p)
        return;
    g_mutex_lock(&p->lock);
    p->stop = true;
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->lock);
    g_thread_join(p->thread);
    g_mutex_lock(&term_lock);
    fputs("\r\x1b[K", stderr);
    fflush(stderr);
    g_string_free(shown, TRUE);
    shown = NULL;
    g_mutex_unlock(&term_lock);
    g_cond_clear(&p->cond);
    g_mutex_clear(&p->lock);
    g_free(p);
}

void es_progress_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&term_lock);
    if (shown)
        fputs("\r\x1b[K", stderr);
    fprintf(stderr, "%s\n", msg);
    if (shown && shown->len)
        draw(shown->str);
    g_mutex_unlock(&term_lock);
    g_free(msg);
}
