/* search.h — every hit of a query, page by page, in constant memory.
 *
 * Pages through the hits of a query in sort order with a point in time and
 * search_after (Elasticsearch `_pit`, OpenSearch `_search/point_in_time`),
 * so the result is one consistent snapshot however long the replay takes;
 * where the server has no point in time (Elasticsearch before 7.10,
 * OpenSearch before 2.4), with search_after alone on the same sort, whose
 * last keys (capture id, frame number) make every document's position
 * unique.  Only one page is held at a time.
 *
 *   esd_search *s = esd_search_open(&cl, &conf, &err);     // NULL: *err
 *   int n;
 *   while ((n = esd_search_next(s, on_hit, ud, &err)) > 0) ...
 *   if (n < 0) ... *err ...
 *   esd_search_close(s);                                    // frees the PIT
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_SEARCH_H
#define ESD_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"

/* One hit; every pointer is valid during the callback only.  Absent
 * numbers are -1, absent strings NULL. */
typedef struct esd_hit {
    const char *index, *id;
    const char *raw; /* base64 frame bytes */
    int64_t frame_len, cap_len, linktype, frame_number;
    const char *timestamp; /* RFC 3339 */
    const char *capture, *capture_id;
} esd_hit;

/* Return false to stop (esd_search_next() then returns -1 with no
 * error message). */
typedef bool (*esd_hit_cb)(void *ud, const esd_hit *hit);

typedef enum { ESD_ORDER_TIME,
               ESD_ORDER_CAPTURE } esd_order;

/* Hits per page: each request costs the cluster a query phase of about the
 * same time whatever its size, so pages are large (about 7 MB of answer,
 * the peak of esdump's memory), and stay below index.max_result_window. */
#define ESD_PAGE_SIZE 5000

typedef struct esd_search_conf {
    const char *target; /* index, pattern, alias or data stream */
    const char *query;  /* query object as JSON text */
    esd_order order;    /* by @timestamp, or by capture and frame number */
    unsigned page_size; /* 0: ESD_PAGE_SIZE */
    bool no_pit;        /* search_after alone, even where a PIT exists */
} esd_search_conf;

typedef struct esd_search esd_search;

esd_search *esd_search_open(esd_cluster *cl, const esd_search_conf *conf, char **error);

/* Fetches the next page and calls cb for each of its hits, in order.
 * Returns the number of hits (0 at the end), or -1 on an error (with
 * *error, unless cb stopped it). */
int esd_search_next(esd_search *s, esd_hit_cb cb, void *ud, char **error);

/* Whether the search runs on a point in time. */
bool esd_search_has_pit(const esd_search *s);

/* Deletes the point in time; s may be NULL. */
void esd_search_close(esd_search *s);

/* The sort of an order, as JSON text (also for follow's polls). */
char *esd_sort_json(const esd_names *names, esd_order order);

#endif
