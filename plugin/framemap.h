/* framemap.h — a part of a split capture mapped back to the original.
 *
 * wireshark-es-index --split runs tshark on parts of one capture; each part
 * comes with a frame map so its documents are those of the single run.  The
 * map holds one 24-byte little-endian record per frame of the part, in
 * order: uint32 original frame number, uint32 nanoseconds and int64 seconds
 * of the original's previous frame (the frame's own time for frame 1), for
 * frame.time_delta, then uint32 TCP and uint32 UDP streams the single run
 * began before this frame less those this part's run began, modulo 2^32,
 * for tcp.stream and udp.stream (see es_frame_map_stream()).  Numbers rise
 * strictly.  It is read as frames arrive, so it may be a pipe written while
 * tshark reads; the records read are kept (24 bytes a frame) for
 * frame-number fields that point back.
 * Plain C + glib: no epan headers, so it is unit-tested on its own.
 * The splitter's side: docs/internals/split.md.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_FRAMEMAP_H
#define ES_FRAMEMAP_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define ES_FRAMEMAP_RECORD 24

typedef enum { ES_STREAM_TCP,
               ES_STREAM_UDP,
               ES_STREAM_KINDS } es_stream_kind;

typedef struct es_frame_ref {
    uint32_t number;     /* in the original capture */
    uint32_t prev_nsecs; /* the original's previous frame's time */
    int64_t prev_secs;
    uint32_t streams_elsewhere[ES_STREAM_KINDS]; /* the single run's streams begun before it less the part's */
} es_frame_ref;

typedef struct es_frame_map es_frame_map;

/* Opens the map at path (a file or a pipe); NULL with *err set if it
 * cannot be opened. */
es_frame_map *es_frame_map_open(const char *path, GError **err);
void es_frame_map_free(es_frame_map *m);

/* The record of the part's frame n (from 1), reading up to it; false with
 * *err set (only the first time: later calls just fail) if the map ends
 * before it or holds an invalid record. */
bool es_frame_map_get(es_frame_map *m, uint32_t n, es_frame_ref *out, GError **err);

/* The original number of a frame already read (frame-number fields point
 * back); 0 if n is 0 or not read yet. */
uint32_t es_frame_map_number(const es_frame_map *m, uint32_t n);

/* The single run's index of the part's stream local (tcp.stream or
 * udp.stream as this part's Wireshark numbers it), seen in the frame whose
 * record is now.  Wireshark numbers a capture's streams 0, 1, ... in the
 * order they begin, so the single run's index of the part's stream L is L
 * plus the record's count at its first frame: learned the first time L is
 * seen (a stream never seen, between the last known and L, is given the
 * same count).  As exact as the splitter's counts (wireshark_es_split.py,
 * Streams). */
uint32_t es_frame_map_stream(es_frame_map *m, es_stream_kind kind, uint32_t local, const es_frame_ref *now);

/* Decodes records from buf (len bytes, whole records) into m, as reading
 * does; false with *err set at the first invalid one (exposed for tests). */
bool es_frame_map_feed(es_frame_map *m, const uint8_t *buf, size_t len, GError **err);
es_frame_map *es_frame_map_new_empty(void);

/* es.time_origin: "SECS[.FRACTION]" (seconds since 1970, 1 to 9 fraction
 * digits); false if malformed. */
bool es_time_origin_parse(const char *s, int64_t *secs, int32_t *nsecs);

/* es.capture_id: 16 lowercase hex digits, as es_capid_* produce. */
bool es_capture_id_valid(const char *s);

#endif
