/* flows.h — which part of a split capture each frame goes to, and the
 * TCP and UDP streams Wireshark begins.
 *
 * The rules of scripts/wireshark_es_split.py (its Splitter and Streams,
 * the reference this follows byte for byte): every frame of a TCP, UDP or
 * SCTP flow goes to the part a CRC-32 of its conversation (protocol,
 * addresses and ports, either way round) picks, other IP frames by their
 * address pair, fragments where their datagram's first fragment went,
 * everything else to part 0.  Beside the part, es_flows counts the
 * streams (tcp.stream, udp.stream) the single run and each part's run
 * begin, so each frame's map record can carry how many more the single run
 * began before it (plugin/framemap.h): a conversation's first frame; a TCP
 * SYN with a new sequence number on a used port pair (from Wireshark 4.4
 * also a SYN/ACK, and either after a RST or FIN/ACK); conversations quoted
 * in ICMP errors or carried in IP-in-IP, GRE, VXLAN, VXLAN-GPE, Geneve
 * and GTP-U.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SPLIT_FLOWS_H
#define ES_SPLIT_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#define ES_SPLIT_MAX_PARTS 64

enum { ES_SPLIT_TCP,
       ES_SPLIT_UDP,
       ES_SPLIT_KINDS };

typedef struct es_flows es_flows;

/* n parts (1 to ES_SPLIT_MAX_PARTS) for the tshark of version
 * major.minor, whose stream numbering rules it follows. */
es_flows *es_flows_new(unsigned n, unsigned major, unsigned minor);
void es_flows_free(es_flows *f);

/* The part of a frame of link type link (a pcap LINKTYPE). */
unsigned es_flows_part(es_flows *f, unsigned link, const uint8_t *data, size_t len);

/* For the frame just given to es_flows_part(): how many more streams of
 * kind the single run has begun than part's run, modulo 2^32 (the map
 * record's count). */
uint32_t es_flows_elsewhere(const es_flows *f, int kind, unsigned part);

/* After the frame's record: the counts a frame that began another part's
 * conversation set for itself alone are put back. */
void es_flows_frame_done(es_flows *f);

#endif
