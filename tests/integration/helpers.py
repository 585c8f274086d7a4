# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the integration tests: running the exporter, reading
its summary line, comparing documents with `tshark -T fields`."""

import datetime
import json
import re
import subprocess
from decimal import Decimal, InvalidOperation

SUMMARY = re.compile(
    r"wireshark-es: (\d+) frames: (\d+) indexed, (\d+) already present, (\d+) rejected, "
    r"(\d+) dropped, (\d+) not exported")

# Fields compared with `tshark -T fields` for every frame of every capture.
FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "frame.time_relative", "frame.time_epoch",
    "eth.src", "eth.dst", "eth.type", "ip.src", "ip.dst", "ip.ttl", "ip.proto", "ip.id",
    "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.flags.syn",
    "tcp.seq", "tcp.stream", "tcp.len", "udp.srcport", "udp.dstport", "udp.length",
    "dns.qry.name", "dns.a", "dns.flags.response", "dns.count.answers",
    "http.host", "http.request.method", "http.response.code", "http.user_agent",
    "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.record.version",
    "smb2.cmd", "sctp.srcport", "icmp.type", "arp.opcode",
]
AGGREGATOR = "\x1f"


def summary(stderr):
    """The counters of the exporter's summary line in stderr (bytes)."""
    m = SUMMARY.search(stderr.decode(errors="replace"))
    assert m, "no summary line in stderr:\n" + stderr.decode(errors="replace")[-2000:]
    keys = ("frames", "indexed", "present", "rejected", "dropped", "skipped")
    return dict(zip(keys, map(int, m.groups())))


def capinfos_frames(path):
    out = subprocess.run(["capinfos", "-c", "-M", str(path)], capture_output=True, text=True)
    m = re.search(r"Number of packets:\s+(\d+)", out.stdout)
    assert m, f"capinfos could not read {path}: {out.stderr}"
    return int(m.group(1))


def strict_loads(text):
    """json.loads that refuses duplicate keys, as Elasticsearch 8 does."""
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise ValueError(f"duplicate key {k!r}")
            obj[k] = v
        return obj
    return json.loads(text, object_pairs_hook=pairs, parse_float=Decimal)


RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$")


def rfc3339_epoch(text):
    """Exact epoch seconds of an RFC 3339 UTC time (Wireshark 4.4+ types
    frame.time_epoch as an absolute time, which documents carry as text)."""
    m = RFC3339.match(text)
    if not m:
        return None
    y, mo, d, h, mi, sec = map(int, m.groups()[:6])
    days = (datetime.date(y, mo, d) - datetime.date(1970, 1, 1)).days
    frac = Decimal("0." + (m.group(7) or "0"))
    return Decimal(days * 86400 + h * 3600 + mi * 60 + sec) + frac


def normalize(value):
    """One comparable form for a value from tshark's text or from JSON."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    s = str(value)
    epoch = rfc3339_epoch(s)
    if epoch is not None:
        return epoch
    low = s.lower()
    if low in ("true", "false"):
        return 1 if low == "true" else 0
    try:
        if low.startswith(("0x", "-0x")):
            return Decimal(int(s, 16))
        return Decimal(s)
    except (InvalidOperation, ValueError):
        return s


def fields_table(tshark, capture, fields=FIELDS):
    """{frame number: {field: [values]}} from tshark -T fields."""
    args = ["-r", str(capture), "-T", "fields", "-E", "occurrence=a", "-E", f"aggregator={AGGREGATOR}",
            "-E", "separator=\t"]
    for f in fields:
        args += ["-e", f]
    out = tshark.run(args).stdout.decode("utf-8", errors="surrogateescape")
    table = {}
    for line in out.splitlines():
        cols = line.split("\t")
        num = int(cols[0])
        table[num] = {f: (c.split(AGGREGATOR) if c else []) for f, c in zip(fields, cols)}
    return table


# Fields the exporter maps as aliases of @timestamp instead of sending them
# (frame.time_epoch too on 4.0, where it is a relative time).
TIME_ALIASES = {"frame.time", "frame.time_utc", "frame.time_epoch"}


def doc_values(source, field):
    v = source.get(field)
    if v is None and field in TIME_ALIASES:
        v = source.get("@timestamp")
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def compare_fields(table, docs_by_frame, fields=FIELDS):
    """Mismatches between documents and tshark -T fields, as readable lines."""
    problems = []
    for num, row in table.items():
        src = docs_by_frame.get(num)
        if src is None:
            problems.append(f"frame {num}: no document")
            continue
        for f in fields:
            want = [normalize(v) for v in row[f]]
            got = [normalize(v) for v in doc_values(src, f)]
            if f in ("frame.time_relative", "frame.time_epoch"):
                ok = len(want) == len(got) and all(abs(a - b) < Decimal("1e-6") for a, b in zip(want, got))
            else:
                ok = want == got
            if not ok:
                problems.append(f"frame {num} {f}: tshark {row[f]} document {doc_values(src, f)}")
    return problems
