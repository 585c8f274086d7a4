/* capture.h — a pcap or pcapng file (gzipped or not), block by block.
 *
 * es_capture_read() walks the file in 8 MiB chunks and hands each frame
 * (with its link type and time) and each other block (the pcap file
 * header; pcapng section and interface descriptions, name resolution,
 * secrets, statistics) to the caller, which splits them
 * (wireshark-es-split).  It stops, with a reason, at what a split cannot
 * keep: a pcapng frame without an interface time stamp (simple packet
 * blocks and their kin), a block of impossible length, a frame naming an
 * interface not described.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SPLIT_CAPTURE_H
#define ES_SPLIT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct es_capture_frame {
    unsigned link;        /* pcap LINKTYPE */
    const uint8_t *data;  /* the packet bytes */
    size_t len;           /* captured length */
    int64_t secs;         /* arrival time */
    uint64_t nsecs;       /* below 10^9 in pcapng; a pcap's fraction scaled to ns */
    const uint8_t *block; /* the record as it is in the file (header and data) */
    size_t block_len;
} es_capture_frame;

typedef struct es_capture_handler {
    /* A block that is not a frame, copied to every part; false: stop. */
    bool (*other)(void *data, const uint8_t *block, size_t len);
    /* A frame; false: stop (the reason in *why, static text). */
    bool (*frame)(void *data, const es_capture_frame *fr, const char **why);
    void *data;
} es_capture_handler;

typedef enum {
    ES_CAPTURE_OK,
    ES_CAPTURE_UNSPLITTABLE, /* *why says what */
    ES_CAPTURE_IO,           /* *why says what; errno set */
    ES_CAPTURE_STOPPED,      /* a handler said stop */
} es_capture_result;

/* Reads the capture at path to its end.  why: a message for the first two
 * results, valid until the next call. */
es_capture_result es_capture_read(const char *path, const es_capture_handler *h, const char **why);

#endif
