/* pcapng.h — a streaming pcapng writer for rebuilt packets.
 *
 * Writes a section header, then one interface description block per
 * (link-layer type, source capture) the first time a packet of that pair
 * comes, then enhanced packet blocks with nanosecond timestamps
 * (if_tsresol = 9) and a packet comment.  Memory grows with the number of
 * interfaces, never with the number of packets.  Plain C + glib.
 *
 *   pcapng_writer *w = pcapng_writer_new(stdout);   // writes the SHB
 *   pcapng_packet p = {.linktype = 1, .source = "cap-id", .source_name = "x.pcap",
 *                      .ts_ns = ..., .orig_len = 78, .data = bytes, .cap_len = 78,
 *                      .comment = "packets-2024.01.01 abc-1"};
 *   if (!pcapng_writer_packet(w, &p) || !pcapng_writer_flush(w)) ... // write error
 *   pcapng_writer_free(w);                          // does not close the stream
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_PCAPNG_H
#define ESD_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pcapng_writer pcapng_writer;

typedef struct pcapng_packet {
    uint32_t linktype;       /* pcap LINKTYPE_* */
    const char *source;      /* key of the source capture (its capture id) */
    const char *source_name; /* if_name of a new interface (file name), may be NULL */
    uint64_t ts_ns;          /* nanoseconds since 1970 */
    uint32_t orig_len;       /* length on the wire */
    const uint8_t *data;
    uint32_t cap_len;
    const char *comment; /* opt_comment, may be NULL */
} pcapng_packet;

/* A writer on out (borrowed: the caller closes it); writes the section
 * header block.  NULL if that write failed. */
pcapng_writer *pcapng_writer_new(FILE *out);
void pcapng_writer_free(pcapng_writer *w);

/* Writes p's interface block if it is the first of its (linktype, source),
 * then the packet.  False on a write error (and on every call after one). */
bool pcapng_writer_packet(pcapng_writer *w, const pcapng_packet *p);

bool pcapng_writer_flush(pcapng_writer *w);

/* Interfaces described so far. */
unsigned pcapng_writer_interfaces(const pcapng_writer *w);

#endif
