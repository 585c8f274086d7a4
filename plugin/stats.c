/* stats.c — counters of what happened to every frame, and the summary line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "stats.h"

#include <stdbool.h>
#include <string.h>

void es_stats_init(es_stats *s)
{
    memset(s, 0, sizeof *s);
    g_mutex_init(&s->lock);
}

void es_stats_clear(es_stats *s)
{
    for (unsigned i = 0; i < s->n_reasons; i++)
        g_free(s->reasons[i]);
    g_free(s->dead_letter);
    g_free(s->spool);
    g_mutex_clear(&s->lock);
    memset(s, 0, sizeof *s);
}

void es_stats_reason(es_stats *s, const char *reason)
{
    g_mutex_lock(&s->lock);
    bool known = false;
    for (unsigned i = 0; i < s->n_reasons && !known; i++)
        known = strcmp(s->reasons[i], reason) == 0;
    if (!known && s->n_reasons < ES_STATS_REASONS)
        s->reasons[s->n_reasons++] = g_strndup(reason, 300);
    g_mutex_unlock(&s->lock);
}

void es_stats_summary(es_stats *s, double seconds, GString *out)
{
    uint64_t frames = es_stats_get(&s->frames);
    double mb = (double)es_stats_get(&s->bytes) / 1e6;
    g_string_append_printf(out,
                           "%" G_GUINT64_FORMAT " frames: %" G_GUINT64_FORMAT " indexed, %" G_GUINT64_FORMAT " already present, %" G_GUINT64_FORMAT " rejected, %" G_GUINT64_FORMAT " dropped, %" G_GUINT64_FORMAT " not exported; %" G_GUINT64_FORMAT " requests (%" G_GUINT64_FORMAT " failed, %" G_GUINT64_FORMAT " items retried), %.1f MB",
                           frames, es_stats_get(&s->indexed), es_stats_get(&s->present),
                           es_stats_get(&s->rejected), es_stats_get(&s->dropped),
                           es_stats_get(&s->skipped), es_stats_get(&s->requests),
                           es_stats_get(&s->failures), es_stats_get(&s->retried), mb);
    uint64_t wire = es_stats_get(&s->wire_bytes);
    if (wire && wire != es_stats_get(&s->bytes))
        g_string_append_printf(out, " (%.1f MB sent)", (double)wire / 1e6);
    g_string_append_printf(out, " in %.2f s, %.0f frames/s", seconds,
                           seconds > 0 ? (double)frames / seconds : 0.0);
    g_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->n_reasons; i++)
        g_string_append_printf(out, "%s%s", i ? "; " : "; first problems: ", s->reasons[i]);
    g_mutex_unlock(&s->lock);
    if (s->dead_letter)
        g_string_append_printf(out, "; %" G_GUINT64_FORMAT " rejected or dropped documents written "
                                    "with their reasons to %s",
                               s->dead_letters, s->dead_letter);
    if (s->spool)
        g_string_append_printf(out, "; %" G_GUINT64_FORMAT " documents wait in the spool %s: the next "
                                    "run to this node sends them (or scripts/resend-spool DIR URL)",
                               s->spooled, s->spool);
    if (s->dead_letters_lost)
        g_string_append_printf(out, "; %" G_GUINT64_FORMAT " could not be written to the dead-letter "
                                    "file (es.dead_letter_mib, es.dead_letter_dir)",
                               s->dead_letters_lost);
}
