# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads pcap and pcapng files into (timestamp in ns, original length,
bytes, link type, comment) tuples, so replayed packets can be compared with
the original ones exactly (tshark's text output rounds times)."""

import struct

PCAP_MAGIC = {0xA1B2C3D4: ("<", 1000), 0xA1B23C4D: ("<", 1), 0xD4C3B2A1: (">", 1000), 0x4D3CB2A1: (">", 1)}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) >= 4 and struct.unpack("<I", data[:4])[0] == 0x0A0D0D0A:
        return list(_pcapng(data))
    return list(_pcap(data))


def _pcap(data):
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    order, scale = PCAP_MAGIC[magic]
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        yield (sec * 1_000_000_000 + frac * scale, orig, data[off:off + incl], linktype, None)
        off += incl


def _options(body, order):
    off = 0
    while off + 4 <= len(body):
        code, length = struct.unpack(order + "HH", body[off:off + 4])
        if code == 0:
            return
        yield code, body[off + 4:off + 4 + length]
        off += 4 + (length + 3) // 4 * 4


def _pcapng(data):
    order = "<"
    ifaces = []   # (linktype, ticks per second)
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(order + "II", data[off:off + 8])
        if btype == 0x0A0D0D0A:
            order = "<" if struct.unpack("<I", data[off + 8:off + 12])[0] == 0x1A2B3C4D else ">"
            blen = struct.unpack(order + "I", data[off + 4:off + 8])[0]
            ifaces = []
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            linktype = struct.unpack(order + "H", body[:2])[0]
            res = 10 ** 6
            for code, value in _options(body[8:], order):
                if code == 9:
                    v = value[0]
                    res = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
            ifaces.append((linktype, res))
        elif btype == 6:
            iface, hi, lo, cap, orig = struct.unpack(order + "IIIII", body[:20])
            linktype, res = ifaces[iface]
            ticks = (hi << 32) | lo
            comment = None
            pad = (cap + 3) // 4 * 4
            for code, value in _options(body[20 + pad:], order):
                if code == 1:
                    comment = value.decode(errors="replace")
            yield (ticks * 1_000_000_000 // res, orig, body[20:20 + cap], linktype, comment)
        off += blen
