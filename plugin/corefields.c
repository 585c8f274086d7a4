/* corefields.c — the fields of es.profile=core (corefields.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "corefields.h"

#include <stddef.h>

/* The fields most searches need, after espcap's hand-mapped list, widened to
 * the protocols people index packets for.  Prefixes: tcp.flags brings its
 * bits. */
const char *const es_core_fields[] = {
    "frame.len", "frame.protocols", "frame.interface_name",
    "eth.src", "eth.dst", "eth.type", "vlan.id", "sll.pkttype",
    "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
    "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.len", "ip.id", "ip.flags",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim", "ipv6.plen",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.ack", "tcp.flags",
    "tcp.window_size",
    "udp.srcport", "udp.dstport", "udp.stream", "udp.length", "sctp.srcport", "sctp.dstport",
    "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.qry.type", "dns.resp.name",
    "dns.a", "dns.aaaa", "dns.cname",
    "http.request.method", "http.request.uri", "http.host", "http.user_agent", "http.response.code",
    "http.content_type", "http.server",
    "tls.record.version", "tls.handshake.type", "tls.handshake.version",
    "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
    "dhcp.option.hostname", "dhcp.ip.client", "dhcp.ip.your", "ntp.stratum",
    "smb2.cmd", "smb2.filename", "kerberos.CNameString", "ssh.protocol",
    "_ws.expert.message", "_ws.expert.severity",
    NULL,
};
