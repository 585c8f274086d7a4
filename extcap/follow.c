/* follow.c — which documents follow mode has delivered already.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "follow.h"

#include <glib.h>

typedef struct entry {
    char *id;
    int64_t ts;
} entry;

struct esd_seen {
    int64_t lag, newest;
    GHashTable *ids; /* id (owned by the entry) -> entry */
    GQueue order;    /* entries in the order delivered */
};

esd_seen *esd_seen_new(int64_t lag_ns)
{
    esd_seen *s = g_new0(esd_seen, 1);
    s->lag = lag_ns;
    s->newest = INT64_MIN;
    s->ids = g_hash_table_new(g_str_hash, g_str_equal);
    g_queue_init(&s->order);
    return s;
}

static void entry_free(gpointer p)
{
    entry *e = p;
    g_free(e->id);
    g_free(e);
}

void esd_seen_free(esd_seen *s)
{
    if (!s)
        return;
    g_hash_table_destroy(s->ids);
    g_queue_clear_full(&s->order, entry_free);
    g_free(s);
}

/* Forgets entries older than the window from the front; delivery is in
 * time order within a poll, so the front holds the oldest. */
static void forget_old(esd_seen *s)
{
    entry *e;
    while ((e = g_queue_peek_head(&s->order)) && e->ts < s->newest - s->lag) {
        g_queue_pop_head(&s->order);
        g_hash_table_remove(s->ids, e->id);
        entry_free(e);
    }
}

bool esd_seen_check(esd_seen *s, const char *id, int64_t ts_ns)
{
    if (g_hash_table_contains(s->ids, id))
        return true;
    entry *e = g_new(entry, 1);
    e->id = g_strdup(id);
    e->ts = ts_ns;
    g_queue_push_tail(&s->order, e);
    g_hash_table_insert(s->ids, e->id, e);
    if (ts_ns > s->newest) {
        s->newest = ts_ns;
        forget_old(s);
    }
    return false;
}

int64_t esd_seen_since(const esd_seen *s)
{
    return s->newest == INT64_MIN ? INT64_MIN : s->newest - s->lag;
}

unsigned esd_seen_size(const esd_seen *s)
{
    return g_hash_table_size(s->ids);
}
