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
plugin/framemap.h): per frame, its number in the original, the
original's previous frame time and how many more TCP and UDP streams the
single run began before it than the part's run (Streams), so the plugin
writes the original's frame.number, _id, frame.time_delta, tcp.stream and
udp.stream.

split() and stream() run the same splitter in C (splitter/, built as
wireshark-es-split) when it is there, about ten times faster: on two
cores, this module's own loop competed with the parts' tshark processes
for a second per 500,000 frames.  This module's splitter is the
reference: the C one writes the same bytes (tests/integration/test_split.py
compares them)."""

import errno
import fcntl
import gzip
import io
import os
import shutil
import struct
import subprocess
import time
import zlib

CHUNK = 8 << 20
BINARY = "wireshark-es-split"
BINARY_PARTS = 64    # its most parts (ES_SPLIT_MAX_PARTS)
HEAD = 256 << 10    # where first_time() looks for the first frame
WRITE_BUFFER = 1 << 20
MAP_RECORD = struct.Struct("<IIqII")
CACHE_MAX = 1 << 20    # flows remembered; the cache is emptied when full
PIPE_SIZE = 1 << 20    # Linux's limit for unprivileged processes (/proc/sys/fs/pipe-max-size)
FRAGMENTS_MAX = 1 << 16


class Unsplittable(Exception):
    """A capture this module cannot split (its frames then run whole)."""


class ReadersGone(Exception):
    """Every part's tshark has ended: streaming stops."""


# Link type -> how to find the IP header: ("eth", 0), ("ethertype_at", offset
# of the EtherType, header length), ("ip", offset of the IP header).
LINK = {1: ("eth",), 113: ("ethertype", 14, 16), 276: ("ethertype", 0, 20),
        101: ("ip", 0), 228: ("ip", 0), 229: ("ip", 0), 12: ("ip", 0), 14: ("ip", 0),
        0: ("ip", 4), 108: ("ip", 4)}
VLAN_TYPES = (0x8100, 0x88a8, 0x9100)
ICMP_ERRORS = {1: (3, 4, 5, 11, 12), 58: (1, 2, 3, 4)}   # types that quote a packet
CLOSING_RULES = (4, 4)    # Wireshark from which a SYN after FIN or RST, or a SYN/ACK, begins a TCP stream
SHORT_QUOTES = (4, 6)     # Wireshark from which 14 bytes of a TCP header quoted in an ICMP error number a stream
NEWEST = (4, 6)
NEVER_SLOW = bytes(256)
UDP_TUNNELS = {4789: "vxlan", 4790: "gpe", 6081: "geneve", 2152: "gtp"}
UDP_TUNNEL_PORTS = {struct.pack(">H", p) for p in UDP_TUNNELS}
PORT_PROTOCOLS = (6, 17, 132)
IPV6_EXTENSIONS = (0, 43, 60)


class Streams:
    """The TCP and UDP streams (tcp.stream, udp.stream) Wireshark begins,
    in the single run and in each part's run: elsewhere[kind][k] is how
    many more the single run has begun so far than part k's run, modulo
    2^32 (the record's count: the part's stream L is the single run's
    L + elsewhere at its first frame).  Wireshark begins a stream at the
    first frame of a conversation (protocol, addresses and ports, either
    way round) it has not seen, including one quoted in an ICMP error, and
    a TCP one again at a SYN whose sequence number is not the base of its
    direction (a port pair reused).  A part's run has not seen the
    conversations of other parts: a packet quoted from one of them begins
    a stream there only, which is the single run's stream of that
    conversation: for that frame the part's count is set so (and put back
    after its record, from fix).  Conversations are never forgotten, as in
    Wireshark.  wireshark: the (major, minor) version of the tshark that
    numbers them (their rules changed in 4.4)."""

    TCP, UDP = 0, 1

    def __init__(self, n, wireshark):
        self.closing = wireshark >= CLOSING_RULES
        # by TCP flags byte: 1 for a segment that may begin a stream (it goes past the caches)
        self.tcp_slow = bytes(1 if (f & 0x06 or f & 0x11 == 0x11 if self.closing else f & 0x12 == 0x02) else 0
                              for f in range(256))
        # the bytes of a TCP header an ICMP error must quote for Wireshark to number its stream
        self.tcp_quote = 14 if wireshark >= SHORT_QUOTES else 16
        self.elsewhere = ([0] * n, [0] * n)
        self.total = [0, 0]
        self.own = ([0] * n, [0] * n)
        self.fix = []    # (kind, part): counts to put back after this frame's record
        # key -> [bit mask of the parts that saw it, base seq each way, index, FIN or RST seen]
        self.conversations = {}

    def seen(self, kind, conversation, part):
        """The conversation's state, counted as begun where it is new."""
        state = self.conversations.get(conversation)
        own = self.own[kind]
        if state is None:
            state = self.conversations[conversation] = [1 << part, None, None, self.total[kind], False]
            self.total[kind] += 1
            own[part] += 1
            counts = self.elsewhere[kind]
            for k in range(len(counts)):
                counts[k] = (self.total[kind] - own[k]) & 0xFFFFFFFF
        elif not state[0] >> part & 1:    # a conversation of another part
            state[0] |= 1 << part
            self.elsewhere[kind][part] = (state[3] - own[part]) & 0xFFFFFFFF
            own[part] += 1
            self.fix.append((kind, part))
        return state

    def put_back(self):
        """The counts after a frame that began another part's stream."""
        for kind, part in self.fix:
            self.elsewhere[kind][part] = (self.total[kind] - self.own[kind][part]) & 0xFFFFFFFF
        del self.fix[:]

    def udp(self, conversation, part):
        self.seen(self.UDP, conversation, part)

    def tcp(self, conversation, way, header, part, quoted=False):
        """header: the TCP header's first 14 bytes; way: 0 or 1, the
        direction within the conversation; quoted: in an ICMP error (a
        SYN there may begin a stream too, but sets nothing).  A
        direction's base is its first SYN's sequence number, else one
        before its first segment's or the other way's first
        acknowledgement."""
        seq, ack = struct.unpack_from(">II", header, 4)
        flags = header[13]
        state = self.conversations.get(conversation)
        if state is not None and flags & 0x02 and self.reused(state, way, seq, flags):
            del self.conversations[conversation]
        state = self.seen(self.TCP, conversation, part)
        if quoted:
            return
        if state[1 + way] is None:
            state[1 + way] = seq if flags & 0x02 else (seq - 1) & 0xFFFFFFFF
        if flags & 0x10 and state[2 - way] is None:
            state[2 - way] = (ack - 1) & 0xFFFFFFFF
        if flags & 0x04 or flags & 0x11 == 0x11:    # RST, or FIN with ACK
            state[4] = True

    def reused(self, state, way, seq, flags):
        """Whether a SYN begins a new conversation on a known port pair:
        its direction has a base and its sequence number is not it; from
        Wireshark 4.4 a SYN/ACK too, and either at the base after a RST or
        a FIN/ACK either way."""
        base = state[1 + way]
        if base is None:
            return False
        if self.closing:
            return base != seq or state[4]
        return base != seq and not flags & 0x10


class Splitter:
    """Picks each frame's part from its bytes; the flows' parts are cached."""

    def __init__(self, n, wireshark=NEWEST):
        self.n = n
        self.flows = {}
        self.fragments = {}
        self.streams = Streams(n, wireshark)

    def part(self, link, data):
        """The part of a frame (bytes or memoryview) of link type link."""
        kind = LINK.get(link)
        if kind is None or len(data) < 20:
            return 0
        if kind[0] == "ip":
            return self.ip_part(data, kind[1])
        if kind[0] == "eth":
            off = ether_ip(data, 0)
            return 0 if off is None else self.ip_part(data, off)
        (etype,) = struct.unpack_from(">H", data, kind[1])
        return self.ip_part(data, kind[2]) if etype in (0x0800, 0x86DD) else 0

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
            part = self.pair_part(addrs, alen)
            self.carried(data, l4, proto, part, 0)
            return part
        key = addrs + bytes(data[l4:l4 + 4]) + bytes((proto,))
        part = self.flows.get(key)
        tunnel = proto == 17 and udp_tunnel(data, l4)
        if part is None or tunnel or (proto == 6 and len(data) > l4 + 13 and
                                      self.streams.tcp_slow[data[l4 + 13]]):
            conversation, a, b = conversation_key(proto, addrs, alen, data[l4:l4 + 4])
            if part is None:
                part = zlib.crc32(conversation) % self.n
                if len(self.flows) >= CACHE_MAX:
                    self.flows.clear()
                self.flows[key] = part
            self.begins(data, l4, proto, conversation, a > b, part)
            if tunnel:
                self.tunnelled(data, tunnel, part, 0)
        return part

    def begins(self, data, l4, proto, conversation, way, part):
        """A TCP or UDP header at l4: the stream it may begin."""
        if proto == 6 and len(data) >= l4 + 20:
            self.streams.tcp(conversation, way, data[l4:l4 + 14], part)
        elif proto == 17 and len(data) >= l4 + 8 and (data[l4 + 4] or data[l4 + 5] >= 8):
            self.streams.udp(conversation, part)

    def carried(self, data, l4, proto, part, depth):
        """The conversations of the packets a frame of part carries at l4
        (proto's payload): quoted by an ICMP error, or tunnelled (IP in IP,
        GRE, VXLAN, VXLAN-GPE, Geneve, GTP-U)."""
        if proto in ICMP_ERRORS:
            if len(data) > l4 and data[l4] in ICMP_ERRORS[proto]:
                self.inner(data, l4 + 8, part, depth, True)
            return
        if proto in (4, 41):
            off = l4
        elif proto == 47:
            off = gre_payload(data, l4)
        elif proto == 17:
            off = udp_tunnel(data, l4)
        else:
            return
        self.tunnelled(data, off, part, depth)

    def tunnelled(self, data, off, part, depth):
        """The packet a tunnel carries at off: an IP packet, or (off below
        0) an Ethernet frame at -off; 0: none."""
        if off < 0:
            off = ether_ip(data, -off)
        if off:
            self.inner(data, off, part, depth)

    def inner(self, data, off, part, depth, quote=False):
        """The conversations of the IP packet at off inside a frame of part
        (tunnelled, or quoted by an ICMP error: Wireshark dissects its
        headers only)."""
        ip = ip_header(data, off)
        if ip is None or depth > 4:
            return
        proto, addrs, l4, alen = ip
        if proto in (6, 17) and len(data) >= l4 + 8:
            conversation, a, b = conversation_key(proto, addrs, alen, data[l4:l4 + 4])
            if not quote or proto == 17:    # a quoted UDP header counts as any
                self.begins(data, l4, proto, conversation, a > b, part)
            elif len(data) >= l4 + self.streams.tcp_quote:
                self.streams.tcp(conversation, a > b, data[l4:l4 + 14], part, True)
        if not quote:
            self.carried(data, l4, proto, part, depth + 1)

    def pair_part(self, addrs, alen):
        a, b = addrs[:alen], addrs[alen:]
        return zlib.crc32(min(a, b) + max(a, b)) % self.n


def ether_ip(data, off):
    """The offset of the IPv4 or IPv6 packet in the Ethernet frame at off
    (802.1Q/QinQ tags skipped); None if it carries something else."""
    off += 12
    if len(data) < off + 2:
        return None
    (etype,) = struct.unpack_from(">H", data, off)
    while etype in VLAN_TYPES and len(data) >= off + 6:
        off += 4
        (etype,) = struct.unpack_from(">H", data, off)
    return off + 2 if etype in (0x0800, 0x86DD) else None


def ip_header(data, off):
    """(protocol, addresses, payload offset, address length) of the IP
    packet at off; None if there is none, or it is not a first fragment."""
    if len(data) < off + 20:
        return None
    version = data[off] >> 4
    if version == 4:
        if data[off + 6] & 0x1F or data[off + 7]:
            return None
        return data[off + 9], bytes(data[off + 12:off + 20]), off + (data[off] & 15) * 4, 4
    if version != 6 or len(data) < off + 40:
        return None
    nh, l4 = data[off + 6], off + 40
    while nh in IPV6_EXTENSIONS and len(data) >= l4 + 8:
        nh, l4 = data[l4], l4 + 8 + data[l4 + 1] * 8
    return (None if nh == 44 else nh), bytes(data[off + 8:off + 40]), l4, 16


def gre_payload(data, off):
    """Where a GRE packet's payload starts: an IP packet (the offset) or an
    Ethernet frame (minus the offset); 0 for other payloads."""
    if len(data) < off + 4:
        return 0
    flags, ptype = struct.unpack_from(">HH", data, off)
    if flags & 7:     # version 1 (PPTP) carries PPP
        return 0
    off += 4 + 4 * bin(flags & 0xB000).count("1")    # checksum, key, sequence number
    return off if ptype in (0x0800, 0x86DD) else -off if ptype == 0x6558 else 0


def udp_tunnel(data, l4):
    """For a UDP datagram at l4 to or from a tunnel's port (the lower port,
    as Wireshark tries it first, or the higher beside an unprivileged
    one): where the tunnelled IP packet (offset) or Ethernet frame (minus
    the offset) starts; 0 for other datagrams."""
    if len(data) < l4 + 16:
        return 0
    low, high = sorted(struct.unpack_from(">HH", data, l4))
    port = low if low in UDP_TUNNELS or low < 1024 else high
    kind, off = UDP_TUNNELS.get(port), l4 + 8
    if kind == "vxlan":
        return -(off + 8)
    if kind == "geneve":
        (ptype,) = struct.unpack_from(">H", data, off + 2)
        off += 8 + (data[off] & 0x3F) * 4
        return off if ptype in (0x0800, 0x86DD) else -off if ptype == 0x6558 else 0
    if kind == "gpe":
        return {1: off + 8, 2: off + 8, 3: -(off + 8)}.get(data[off + 3], 0)
    if kind == "gtp":
        return gtpu_payload(data, off)
    return 0


def gtpu_payload(data, off):
    """The offset of the IP packet a GTP-U (version 1) T-PDU carries, else 0."""
    flags = data[off]
    if flags >> 5 != 1 or data[off + 1] != 0xFF:
        return 0
    if not flags & 7:
        return off + 8
    if len(data) < off + 12:
        return 0
    ext, off = data[off + 11] if flags & 4 else 0, off + 12
    while ext and len(data) > off:    # extension headers, 4-byte units
        size = data[off] * 4
        if not size or len(data) < off + size:
            return 0
        ext, off = data[off + size - 1], off + size
    return off


def conversation_key(proto, addrs, alen, ports):
    """(key of the conversation either way round, this side, the other)."""
    a, b = addrs[:alen] + bytes(ports[:2]), addrs[alen:] + bytes(ports[2:4])
    return bytes((proto,)) + min(a, b) + max(a, b), a, b


def part_paths(directory, stem, n, suffix):
    return [os.path.join(directory, f"{stem}.part{i}{suffix}") for i in range(n)]


class Parts:
    """The N part files and their frame maps, written through buffers."""

    def __init__(self, directory, stem, n, suffix):
        self.paths = part_paths(directory, stem, n, suffix)
        self.maps = [p + ".map" for p in self.paths]
        self.files = [open(p, "wb", buffering=WRITE_BUFFER) for p in self.paths]
        self.map_files = [open(p, "wb", buffering=WRITE_BUFFER) for p in self.maps]
        self.frames = [0] * n

    flush_every = 0

    def to_all(self, block):
        for f in self.files:
            f.write(block)

    def flush(self, part):
        pass

    def close(self):
        for f in self.files + self.map_files:
            f.close()


class _Buffer(bytearray):
    write = bytearray.extend


class _Discard:
    def write(self, data):
        pass


class NullParts(Parts):
    """Frames counted, written nowhere (to find the first frame's time)."""

    def __init__(self, n):
        self.files = self.map_files = [_Discard()] * n
        self.frames = [0] * n

    def close(self):
        pass


class StreamParts(Parts):
    """The parts written into named pipes while their tshark processes read
    them.  A part's map records go out before its frames, 2048 frames at
    a time (48 KiB of map, less than a pipe holds), so a tshark never waits for
    a map record the splitter holds back while the splitter waits for it to
    read frames.  Each part's map pipe is opened before its capture pipe,
    the order the plugin opens them in; alive(k) says whether part k's
    reader may still come (False: its writes are dropped)."""

    flush_every = 2047

    def __init__(self, paths, maps, alive):
        self.paths, self.maps, self.alive = paths, maps, alive
        n = len(paths)
        self.files = [_Buffer() for _ in range(n)]
        self.map_files = [_Buffer() for _ in range(n)]
        self.frames = [0] * n
        self.fds = [(self._open(maps[k], k), self._open(paths[k], k)) for k in range(n)]

    def _open(self, path, k):
        while self.alive(k):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno != errno.ENXIO:    # no reader yet
                    raise
                time.sleep(0.01)
                continue
            os.set_blocking(fd, True)
            try:    # fewer hand-overs between the splitter and its tshark
                fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
            except OSError:
                pass
            return fd
        return None

    def to_all(self, block):
        for b in self.files:
            b.extend(block)

    def flush(self, part):
        for fd, buf in zip(self.fds[part], (self.map_files[part], self.files[part])):
            view = memoryview(buf)
            try:
                while fd is not None and view:
                    view = view[os.write(fd, view):]
            except BrokenPipeError:     # its tshark ended: the rest is not needed
                self.fds[part] = (None, None)
            view.release()
            del buf[:]
        if not any(fd is not None for fds in self.fds for fd in fds):
            raise ReadersGone()

    def close(self):
        for k in range(len(self.fds)):
            try:
                self.flush(k)
            except ReadersGone:
                pass
            for fd in self.fds[k]:
                if fd is not None:
                    os.close(fd)


def _reader(path):
    f = open(path, "rb")
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")
    f.seek(0)
    return f


def _chunks(f, size=CHUNK):
    """The file in big chunks: send() it the unread tail of the chunk it
    gave, which then leads the next one."""
    tail = b""
    while True:
        chunk = f.read(size)
        if not chunk:
            return
        tail = yield tail + chunk


def quick_key(buf, d, caplen, tcp_slow):
    """For the common frame (Ethernet, IPv4 without options or fragments,
    or IPv6 without extension headers, carrying TCP, UDP or SCTP), a key of
    its flow (protocol, addresses, ports), to cache its part; else None.
    A TCP segment whose flags tcp_slow marks has none (it may begin a
    stream: Streams), nor a datagram of a UDP tunnel (it may carry new
    conversations)."""
    if caplen < 58:
        return None
    etype = buf[d + 12:d + 14]
    if etype == b"\x08\x00" and buf[d + 14] == 0x45 and not buf[d + 20] & 0x3F and not buf[d + 21] \
            and buf[d + 23] in PORT_PROTOCOLS:
        if buf[d + 23] == 6 and tcp_slow[buf[d + 47]] or buf[d + 23] == 17 and \
                (buf[d + 34:d + 36] in UDP_TUNNEL_PORTS or buf[d + 36:d + 38] in UDP_TUNNEL_PORTS):
            return None
        return buf[d + 23:d + 24] + buf[d + 26:d + 38]
    if etype == b"\x86\xdd" and buf[d + 20] in PORT_PROTOCOLS:
        if buf[d + 20] == 6 and caplen > 67 and tcp_slow[buf[d + 67]] or buf[d + 20] == 17 and \
                (buf[d + 54:d + 56] in UDP_TUNNEL_PORTS or buf[d + 56:d + 58] in UDP_TUNNEL_PORTS):
            return None
        return buf[d + 20:d + 21] + buf[d + 22:d + 58]
    return None


class Writer:
    """Frames into their parts; the state the loops of split_pcap and
    split_pcapng share (written inline there: a call a frame costs)."""

    def __init__(self, splitter, parts, chunk):
        self.splitter, self.parts, self.chunk = splitter, parts, chunk
        self.cache = {}
        self.first = None

    def slow_part(self, link, buf, d, caplen, key):
        """The part of a frame the quick key's cache does not know, or of a
        TCP segment that may begin a stream (of a known flow: its stream
        counted straight from its key)."""
        if key is None and link == 1:
            flow = quick_key(buf, d, caplen, NEVER_SLOW)
            part = self.cache.get(flow) if flow and flow[0] == 6 else None
            if part is not None:
                alen = 4 if len(flow) == 13 else 16
                l4 = d + (34 if alen == 4 else 54)
                if caplen >= l4 - d + 20:
                    conversation, a, b = conversation_key(6, flow[1:1 + 2 * alen], alen, flow[1 + 2 * alen:])
                    self.splitter.streams.tcp(conversation, a > b, buf[l4:l4 + 14], part)
                return part
        part = self.splitter.part(link, memoryview(buf)[d:d + caplen])
        if key:
            if len(self.cache) >= CACHE_MAX:
                self.cache.clear()
            self.cache[key] = part
        return part

    def loop(self):
        """What a loop needs, as locals; after every frame, when
        frames[part] & every is 0 (every: 0 never), flush(part)."""
        streams = self.splitter.streams
        return (self.cache.get, self.slow_part, [f.write for f in self.parts.files],
                [f.write for f in self.parts.map_files], MAP_RECORD.pack, self.parts.flush_every,
                self.parts.flush, streams.elsewhere, streams.fix, streams.put_back, streams.tcp_slow)

    def end(self, frames, first):
        self.first = self.first or first
        for i, n in enumerate(frames):
            self.parts.frames[i] += n


PCAP_MAGICS = {0xa1b2c3d4: (16, 1000), 0xa1b23c4d: (16, 1), 0xa1b2cd34: (24, 1000)}


def split_pcap(f, head, writer):
    order = "<" if struct.unpack("<I", head[:4])[0] in PCAP_MAGICS else ">"
    hdr, scale = PCAP_MAGICS[struct.unpack(order + "I", head[:4])[0]]
    link = struct.unpack(order + "I", head[20:24])[0] & 0xFFFF   # above: FCS length
    writer.parts.to_all(head)
    rec = struct.Struct(order + "III").unpack_from
    cached, slow, write, write_map, pack, every, flush, (tcp, udp), fix, put_back, tcp_slow = writer.loop()
    number, frames, prev_s, prev_ns, first = 0, [0] * len(write), None, 0, None
    chunks = _chunks(f, writer.chunk)
    buf = next(chunks, b"")
    while buf:
        pos, end, mv = 0, len(buf), memoryview(buf)
        while pos + hdr <= end:
            secs, frac, incl = rec(buf, pos)
            if pos + hdr + incl > end:
                break
            d = pos + hdr
            key = quick_key(buf, d, incl, tcp_slow) if link == 1 else None
            part = cached(key) if key else None
            if part is None:
                part = slow(link, buf, d, incl, key)
            number += 1
            ns = frac * scale
            if prev_s is None:
                prev_s, prev_ns, first = secs, ns, (secs, ns)
            write_map[part](pack(number, prev_ns, prev_s, tcp[part], udp[part]))
            if fix:
                put_back()
            write[part](mv[pos:d + incl])
            frames[part] += 1
            if every and not frames[part] & every:
                flush(part)
            prev_s, prev_ns, pos = secs, ns, d + incl
        buf = _next(chunks, buf[pos:])
    writer.end(frames, first)
    return writer.first


def _next(chunks, rest):
    try:
        return chunks.send(rest)
    except StopIteration:
        return b""


class Section:
    """A pcapng section's byte order and interfaces (link type, time units)."""

    def __init__(self, order):
        self.order = order
        self.interfaces = []
        self.epb = struct.Struct(order + "IIIIII").unpack_from

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


FRAME_BLOCKS = {2, 6}
UNSPLITTABLE_BLOCKS = {3, 0x204, 0x208}   # frames without an interface's time stamp


def split_pcapng(f, writer):
    section = None
    cached, slow, write, write_map, pack, every, flush, (tcp, udp), fix, put_back, tcp_slow = writer.loop()
    number, frames, prev_s, prev_ns, first = 0, [0] * len(write), None, 0, None
    chunks = _chunks(f, writer.chunk)
    buf = next(chunks, b"")
    while buf:
        pos, end, mv = 0, len(buf), memoryview(buf)
        while pos + 28 <= end:
            if buf[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
                section = Section("<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">")
            if section is None:
                raise Unsplittable("no section header block first")
            btype, blen, iface, high, low, caplen = section.epb(buf, pos)
            if blen < 12 or blen % 4:
                raise Unsplittable(f"a block of length {blen}")
            if pos + blen > end:
                break
            if btype in FRAME_BLOCKS:
                if btype == 2:
                    iface &= 0xFFFF if section.order == "<" else 0xFFFF0000
                if iface >= len(section.interfaces):
                    raise Unsplittable(f"frame {number + 1} names interface {iface}, not described")
                link, units, offset = section.interfaces[iface]
                ticks = high << 32 | low
                secs, ns = ticks // units + offset, (ticks % units) * 1000000000 // units
                caplen = min(caplen, blen - 32)
                key = quick_key(buf, pos + 28, caplen, tcp_slow) if link == 1 else None
                part = cached(key) if key else None
                if part is None:
                    part = slow(link, buf, pos + 28, caplen, key)
                number += 1
                if prev_s is None:
                    prev_s, prev_ns, first = secs, ns, (secs, ns)
                write_map[part](pack(number, prev_ns, prev_s, tcp[part], udp[part]))
                if fix:
                    put_back()
                write[part](mv[pos:pos + blen])
                frames[part] += 1
                if every and not frames[part] & every:
                    flush(part)
                prev_s, prev_ns = secs, ns
            else:
                if btype == 1:
                    section.add_interface(memoryview(buf)[pos:pos + blen])
                elif btype in UNSPLITTABLE_BLOCKS:
                    raise Unsplittable(f"pcapng block type {btype:#x} (a frame without an interface time stamp)")
                writer.parts.to_all(memoryview(buf)[pos:pos + blen])
            pos += blen
        buf = _next(chunks, buf[pos:])
    writer.end(frames, first)
    return writer.first


def capture_kind(path):
    """"pcap" or "pcapng" (gzipped or not); Unsplittable for other formats."""
    with _reader(path) as f:
        head = f.read(24)
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return "pcapng"
    if len(head) == 24 and (struct.unpack("<I", head[:4])[0] in PCAP_MAGICS
                            or struct.unpack(">I", head[:4])[0] in PCAP_MAGICS):
        return "pcap"
    raise Unsplittable("not a pcap or pcapng file")


def _run(path, parts, n, chunk=CHUNK, wireshark=NEWEST, head=None):
    """Splits the capture at path (only its first head bytes, if given)
    into parts; the first frame's time."""
    kind = capture_kind(path)
    try:
        with _reader(path) as f:
            if head:
                f = io.BytesIO(f.read(head))
            writer = Writer(Splitter(n, wireshark), parts, chunk)
            if kind == "pcap":
                return split_pcap(f, f.read(24), writer)
            return split_pcapng(f, writer)
    finally:
        parts.close()


def check_blocks(path):
    """Raises Unsplittable where split_pcapng would stop (a frame without
    an interface time stamp, a broken block length, a frame of an interface
    not described), looking at the blocks' headers only."""
    with _reader(path) as f:
        chunks = _chunks(f)
        buf = next(chunks, b"")
        order, interfaces = None, 0
        while buf:
            pos, end = 0, len(buf)
            while pos + 28 <= end:
                if buf[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
                    order, interfaces = "<" if buf[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">", 0
                if order is None:
                    raise Unsplittable("no section header block first")
                btype, blen, iface = struct.unpack_from(order + "III", buf, pos)
                if blen < 12 or blen % 4:
                    raise Unsplittable(f"a block of length {blen}")
                if pos + blen > end:
                    break
                if btype == 2:
                    iface &= 0xFFFF if order == "<" else 0xFFFF0000
                if btype in FRAME_BLOCKS and iface >= interfaces:
                    raise Unsplittable(f"a frame names interface {iface}, not described")
                if btype in UNSPLITTABLE_BLOCKS:
                    raise Unsplittable(f"pcapng block type {btype:#x} (a frame without an interface time stamp)")
                interfaces += btype == 1
                pos += blen
            buf = _next(chunks, buf[pos:])


def first_time(path):
    """The capture's first frame time (secs, nsecs), from its first HEAD
    bytes (None if no frame starts there); Unsplittable, before any part's
    tshark starts, for a pcapng file the splitter would stop in."""
    first = _run(path, NullParts(1), 1, chunk=HEAD, head=HEAD)
    if capture_kind(path) == "pcapng":
        check_blocks(path)
    return first


def splitter_binary():
    """The splitter in C (wireshark-es-split, built and installed with the
    plugin; it splits as this module does, byte for byte, ten times
    faster): $WIRESHARK_ES_SPLIT, the build of the source tree this module
    is in, the bin/ of its installation, or PATH; None: this module splits."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.environ.get("WIRESHARK_ES_SPLIT"), os.path.join(here, "..", "build", BINARY),
                      os.path.join(here, "..", "..", "bin", BINARY), shutil.which(BINARY)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _split_with(binary, path, outputs, wireshark, pass_fds=()):
    """Runs the C splitter; (frames per part, first frame time or None)."""
    command = [binary, "--wireshark", "%d.%d" % wireshark, path, *outputs]
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pass_fds)
    finally:
        for fd in pass_fds:    # the readers see the end when the splitter closes its copies
            os.close(fd)
    out, err = proc.communicate()
    why = err.decode(errors="replace").strip().removeprefix("wireshark-es-split: ")
    if proc.returncode == 3:
        raise Unsplittable(why)
    if proc.returncode == 4:
        raise ReadersGone()
    if proc.returncode != 0:
        raise OSError(why or f"wireshark-es-split exited with status {proc.returncode}")
    lines = dict(line.split(" ", 1) for line in out.decode().splitlines())
    first = None if lines["first"] == "none" else tuple(map(int, lines["first"].split()))
    return [int(x) for x in lines["frames"].split()], first


def split_here(path, n, directory, wireshark=NEWEST):
    """split() by this module."""
    suffix = "." + capture_kind(path)
    parts = Parts(directory, os.path.basename(path), n, suffix)
    first = _run(path, parts, n, wireshark=wireshark)
    return list(zip(parts.paths, parts.maps, parts.frames)), first


def split(path, n, directory, wireshark=NEWEST):
    """Splits the capture at path (pcap or pcapng, gzipped or not) into n
    parts in directory, for the tshark of version wireshark ((major,
    minor): see Streams): ([(part path, map path, frames)], first frame
    time (secs, nsecs) or None).  Raises Unsplittable for other formats."""
    binary = splitter_binary()
    if binary is None or n > BINARY_PARTS:
        return split_here(path, n, directory, wireshark)
    paths = part_paths(directory, os.path.basename(path), n, "." + capture_kind(path))
    maps = [p + ".map" for p in paths]
    frames, first = _split_with(binary, path, ["--files", *(x for pair in zip(paths, maps) for x in pair)],
                                wireshark)
    return list(zip(paths, maps, frames)), first


def stream(path, paths, maps, alive, wireshark=NEWEST):
    """Splits the capture at path into the named pipes paths (with their
    maps), read as it goes, for the tshark of version wireshark; the frames
    each part got."""
    parts = StreamParts(paths, maps, alive)
    binary = splitter_binary()
    if binary is None or len(paths) > BINARY_PARTS:
        _run(path, parts, len(paths), wireshark=wireshark)
        return parts.frames
    outputs = ["--fds"]
    for map_fd, capture_fd in parts.fds:
        outputs += [str(-1 if capture_fd is None else capture_fd), str(-1 if map_fd is None else map_fd)]
    fds = [fd for pair in parts.fds for fd in pair if fd is not None]
    return _split_with(binary, path, outputs, wireshark, pass_fds=fds)[0]
