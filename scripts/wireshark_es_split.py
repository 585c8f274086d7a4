# SPDX-License-Identifier: GPL-2.0-or-later
"""One capture split into N parts by conversation, for N tshark processes
(wireshark-es-index --split N).

Every frame of a TCP, UDP or SCTP flow goes to the part a symmetric hash of
its protocol, addresses and ports picks; other IP frames by their address
pair; fragments follow their datagram's first fragment; frames that are not
IP (ARP, ...) and every frame of a link type not listed in LINK go to part
0.  pcapng blocks that are not frames (section and interface descriptions,
name resolution, decryption secrets, statistics) are copied to every part,
so interface numbers stay.  Each part comes with a frame map (see
plugin/framemap.h): per frame, its number in the original and the
original's previous frame time, so the plugin writes the original's
frame.number, _id and frame.time_delta."""

import gzip
import os
import struct
import zlib

CHUNK = 8 << 20
WRITE_BUFFER = 1 << 20
MAP_RECORD = struct.Struct("<IIq")
CACHE_MAX = 1 << 20    # flows remembered; the cache is emptied when full
FRAGMENTS_MAX = 1 << 16


class Unsplittable(Exception):
    """A capture this module cannot split (its frames then run whole)."""


# Link type -> how to find the IP header: ("eth", 0), ("ethertype_at", offset
# of the EtherType, header length), ("ip", offset of the IP header).
LINK = {1: ("eth",), 113: ("ethertype", 14, 16), 276: ("ethertype", 0, 20),
        101: ("ip", 0), 228: ("ip", 0), 229: ("ip", 0), 12: ("ip", 0), 14: ("ip", 0),
        0: ("ip", 4), 108: ("ip", 4)}
VLAN_TYPES = (0x8100, 0x88a8, 0x9100)
PORT_PROTOCOLS = (6, 17, 132)
IPV6_EXTENSIONS = (0, 43, 60)


class Splitter:
    """Picks each frame's part from its bytes; the flows' parts are cached."""

    def __init__(self, n):
        self.n = n
        self.flows = {}
        self.fragments = {}

    def part(self, link, data):
        """The part of a frame (bytes or memoryview) of link type link."""
        kind = LINK.get(link)
        if kind is None or len(data) < 20:
            return 0
        if kind[0] == "ip":
            return self.ip_part(data, kind[1])
        if kind[0] == "eth":
            off = 12
            (etype,) = struct.unpack_from(">H", data, off)
            while etype in VLAN_TYPES and len(data) >= off + 6:
                off += 4
                (etype,) = struct.unpack_from(">H", data, off)
            off += 2
        else:
            (etype,) = struct.unpack_from(">H", data, kind[1])
            off = kind[2]
        return self.ip_part(data, off) if etype in (0x0800, 0x86DD) else 0

    def ip_part(self, data, off):
        if len(data) < off + 20:
            return 0
        version = data[off] >> 4
        if version == 4:
            return self.ipv4_part(data, off)
        if version == 6 and len(data) >= off + 40:
            return self.ipv6_part(data, off)
        return 0

    def ipv4_part(self, data, off):
        ihl = (data[off] & 15) * 4
        proto = data[off + 9]
        (frag,) = struct.unpack_from(">H", data, off + 6)
        addrs = bytes(data[off + 12:off + 20])
        if frag & 0x3FFF:     # more fragments, or an offset: a fragment
            ident = bytes(data[off + 4:off + 6])
            first = not frag & 0x1FFF
            return self.fragment_part((4, addrs, proto, ident), first, data, off + ihl, proto, addrs, 4)
        return self.flow_part(data, off + ihl, proto, addrs, 4)

    def ipv6_part(self, data, off):
        nh = data[off + 6]
        addrs = bytes(data[off + 8:off + 40])
        l4 = off + 40
        while nh in IPV6_EXTENSIONS and len(data) >= l4 + 8:
            nh, l4 = data[l4], l4 + 8 + data[l4 + 1] * 8
        if nh == 44 and len(data) >= l4 + 8:     # fragment header
            (frag,) = struct.unpack_from(">H", data, l4 + 2)
            ident = bytes(data[l4 + 4:l4 + 8])
            proto = data[l4]
            return self.fragment_part((6, addrs, proto, ident), not frag & 0xFFF8, data, l4 + 8, proto,
                                      addrs, 16)
        return self.flow_part(data, l4, nh, addrs, 16)

    def fragment_part(self, key, first, data, l4, proto, addrs, alen):
        """A datagram's fragments go where its first fragment went (the one
        with the ports, when it comes first; else by address pair)."""
        part = self.fragments.get(key)
        if part is None:
            if len(self.fragments) >= FRAGMENTS_MAX:
                self.fragments.clear()
            part = self.flow_part(data, l4, proto, addrs, alen) if first else self.pair_part(addrs, alen)
            self.fragments[key] = part
        return part

    def flow_part(self, data, l4, proto, addrs, alen):
        if proto not in PORT_PROTOCOLS or len(data) < l4 + 4:
            return self.pair_part(addrs, alen)
        key = addrs + bytes(data[l4:l4 + 4]) + bytes((proto,))
        part = self.flows.get(key)
        if part is None:
            a, b = addrs[:alen] + key[2 * alen:2 * alen + 2], addrs[alen:] + key[2 * alen + 2:2 * alen + 4]
            part = zlib.crc32(bytes((proto,)) + min(a, b) + max(a, b)) % self.n
            if len(self.flows) >= CACHE_MAX:
                self.flows.clear()
            self.flows[key] = part
        return part

    def pair_part(self, addrs, alen):
        a, b = addrs[:alen], addrs[alen:]
        return zlib.crc32(min(a, b) + max(a, b)) % self.n


class Parts:
    """The N part files and their frame maps, written through buffers."""

    def __init__(self, directory, stem, n, suffix):
        self.paths = [os.path.join(directory, f"{stem}.part{i}{suffix}") for i in range(n)]
        self.maps = [p + ".map" for p in self.paths]
        self.files = [open(p, "wb", buffering=WRITE_BUFFER) for p in self.paths]
        self.map_files = [open(p, "wb", buffering=WRITE_BUFFER) for p in self.maps]
        self.frames = [0] * n

    def to_all(self, block):
        for f in self.files:
            f.write(block)

    def frame(self, part, block, number, prev):
        self.files[part].write(block)
        self.map_files[part].write(MAP_RECORD.pack(number, prev[1], prev[0]))
        self.frames[part] += 1

    def close(self):
        for f in self.files + self.map_files:
            f.close()


def _reader(path):
    f = open(path, "rb")
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")
    f.seek(0)
    return f


def _blocks(f, header_len, length_of):
    """(buffer, offset, length) of each record: length_of(buffer, offset)
    gives a record's length from its first header_len bytes."""
    buf, pos = b"", 0
    while True:
        if len(buf) - pos < header_len or len(buf) - pos < length_of(buf, pos):
            chunk = f.read(CHUNK)
            if not chunk:
                return
            buf, pos = buf[pos:] + chunk, 0
            continue
        n = length_of(buf, pos)
        yield buf, pos, n
        pos += n


PCAP_MAGICS = {0xa1b2c3d4: (16, 1000), 0xa1b23c4d: (16, 1), 0xa1b2cd34: (24, 1000)}


def split_pcap(f, head, splitter, parts):
    order = "<" if struct.unpack("<I", head[:4])[0] in PCAP_MAGICS else ">"
    hdr, scale = PCAP_MAGICS[struct.unpack(order + "I", head[:4])[0]]
    link = struct.unpack(order + "I", head[20:24])[0] & 0x0FFFFFFF
    parts.to_all(head)
    rec = struct.Struct(order + "III")
    number, prev, first = 0, None, None
    for buf, pos, n in _blocks(f, hdr, lambda b, p: hdr + rec.unpack_from(b, p)[2]):
        secs, frac, _ = rec.unpack_from(buf, pos)
        ts = (secs, frac * scale)
        number += 1
        part = splitter.part(link, memoryview(buf)[pos + hdr:pos + n])
        parts.frame(part, memoryview(buf)[pos:pos + n], number, prev or ts)
        prev, first = ts, first or ts
    return first


class Section:
    """A pcapng section's byte order and interfaces (link type, time units)."""

    def __init__(self, order):
        self.order = order
        self.interfaces = []

    def add_interface(self, block):
        (link,) = struct.unpack_from(self.order + "H", block, 8)
        units, offset, pos = 10 ** 6, 0, 16
        while pos + 4 <= len(block) - 4:
            code, length = struct.unpack_from(self.order + "HH", block, pos)
            if code == 0:
                break
            if code == 9 and length >= 1:
                v = block[pos + 4]
                units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
            elif code == 14 and length >= 8:
                (offset,) = struct.unpack_from(self.order + "q", block, pos + 4)
            pos += 4 + (length + 3) // 4 * 4
        self.interfaces.append((link, units, offset))

    def time(self, interface, high, low):
        _, units, offset = self.interfaces[interface]
        ticks = high << 32 | low
        return ticks // units + offset, (ticks % units) * 10 ** 9 // units


FRAME_BLOCKS = {2, 6}
UNSPLITTABLE_BLOCKS = {3, 0x204, 0x208}   # frames without an interface's time stamp


def split_pcapng(f, splitter, parts):
    section = Section("<")
    number, prev, first = 0, None, None

    def length_of(b, p):
        if b[p:p + 4] == b"\x0a\x0d\x0d\x0a":
            order = "<" if b[p + 8:p + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            return struct.unpack_from(order + "I", b, p + 4)[0]
        return struct.unpack_from(section.order + "I", b, p + 4)[0]

    for buf, pos, n in _blocks(f, 12, length_of):
        block = memoryview(buf)[pos:pos + n]
        (btype,) = struct.unpack_from(section.order + "I", buf, pos)
        if buf[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
            section = Section("<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">")
        elif btype == 1:
            section.add_interface(block)
        elif btype in UNSPLITTABLE_BLOCKS:
            raise Unsplittable(f"pcapng block type {btype:#x} (a frame without an interface time stamp)")
        if btype not in FRAME_BLOCKS:
            parts.to_all(block)
            continue
        if btype == 6:
            iface, high, low, caplen = struct.unpack_from(section.order + "IIII", buf, pos + 8)
        else:
            iface, high, low, caplen = struct.unpack_from(section.order + "HxxIII", buf, pos + 8)
        if iface >= len(section.interfaces):
            raise Unsplittable(f"frame {number + 1} names interface {iface}, which is not described")
        ts = section.time(iface, high, low)
        number += 1
        part = splitter.part(section.interfaces[iface][0], block[28:28 + min(caplen, n - 32)])
        parts.frame(part, block, number, prev or ts)
        prev, first = ts, first or ts
    return first


def split(path, n, directory):
    """Splits the capture at path (pcap or pcapng, gzipped or not) into n
    parts in directory: ([(part path, map path, frames)], first frame time
    (secs, nsecs) or None).  Raises Unsplittable for other formats."""
    stem = os.path.basename(path)
    with _reader(path) as f:
        head = f.read(24)
        magic_le = struct.unpack("<I", head[:4])[0] if len(head) >= 4 else 0
        magic_be = struct.unpack(">I", head[:4])[0] if len(head) >= 4 else 0
        if head[:4] == b"\x0a\x0d\x0d\x0a":
            kind = "pcapng"
        elif len(head) == 24 and (magic_le in PCAP_MAGICS or magic_be in PCAP_MAGICS):
            kind = "pcap"
        else:
            raise Unsplittable("not a pcap or pcapng file")
        parts = Parts(directory, stem, n, "." + kind)
        try:
            if kind == "pcap":
                first = split_pcap(f, head, Splitter(n), parts)
            else:
                f.seek(0)
                first = split_pcapng(f, Splitter(n), parts)
        finally:
            parts.close()
    return list(zip(parts.paths, parts.maps, parts.frames)), first
