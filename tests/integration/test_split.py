# SPDX-License-Identifier: GPL-2.0-or-later
"""wireshark-es-index --split N: one capture indexed by N tshark processes
gives the documents of the single run — the same _ids, frame numbers,
capture id and name, frame times and frame-number fields — except the
fields README's "Indexing one capture on several cores" lists.  With -j 2
(the machine's cores), --split 2 streams the parts through pipes and
--split 3 writes them to files first.  Documents go to a real
Elasticsearch 8."""

import gzip
import os
import random
import re
import shutil
import struct
import subprocess

import pytest

from conftest import SHARED
from helpers import capinfos_frames, fields_table
from test_index_script import SCRIPT, documents, index, total, wrapper  # noqa: F401 (fixture)

CAPTURES = SHARED / "captures"
# TCP (HTTP, Modbus, IEC 104 ...), UDP (DNS), IPv4 and IPv6, several link
# types: one pcapng of two interfaces and more, merged in time order.
MIX = ["arkime_synthetic.pcap", "espcap-test_http.pcap", "espcap-test_dns.pcap", "modbus.pcap"]

# Numbered per process (conversations of the other parts are not seen);
# cotp.destref of class-0 data is the last COTP reference of any flow.
# tcp.stream and udp.stream are renumbered as the single run's (Streams).
RENUMBERED = {"quic.connection.number", "cotp.destref"}
# Captures whose stream indices a split run cannot give as the single run
# does, by Wireshark version: before 4.4 the SNMP dissector makes a
# conversation of its own for a request, so the next datagram of the same
# ports begins another UDP stream.
STREAMS_DIFFER = {(4, 0): {"snmpv3_synthetic.pcap"}, (4, 4): set()}
# Text that quotes another frame's part-local number.
QUOTING = {"_ws.col.info", "_ws.expert.message"}


@pytest.fixture(scope="module")
def mix(workdir):
    out = workdir / "split-mix.pcapng"
    subprocess.run(["mergecap", "-w", str(out), *[str(CAPTURES / n) for n in MIX],
                    str(SHARED / "bench" / "dns.pcapng")], check=True)
    out.chmod(0o644)
    return out


def run(cluster, wrapper, capture, name, split):  # noqa: F811
    cluster.delete(name)
    # A loaded machine makes the engine slow: let the end of the run wait for it.
    proc = index(["-v", "--force", "-j", "2", "--split", str(split), "-X", f"es.index={name}",
                  "-X", "es.flush_timeout_s=600", str(capture)],
                 wrapper, cluster.url)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, documents(cluster, name)


def differences(single, split):
    """{field: documents where it differs}, for fields not allowed to."""
    bad = {}
    for _id, doc in single.items():
        other = split[_id]
        for key in doc.keys() | other.keys():
            a, b = doc.get(key), other.get(key)
            if a == b or key in RENUMBERED:
                continue
            if key in QUOTING and a is not None and b is not None:
                continue
            bad.setdefault(key, []).append((_id, a, b))
    return bad


@pytest.mark.parametrize("parts", [2, 3])
def test_split_gives_the_single_runs_documents(cluster, wrapper, mix, parts):  # noqa: F811
    frames = capinfos_frames(mix)
    proc, single = run(cluster, wrapper, mix, "it-split-single", 1)
    assert len(single) == frames
    proc, split = run(cluster, wrapper, mix, f"it-split-{parts}", parts)
    files, counts = total(proc.stdout)
    assert files == {"files": 1, "indexed": 1, "skipped": 0, "failed": 0}
    # A request retried on a slow engine finds its items present: still indexed once.
    assert counts[0] == counts[1] + counts[2] == frames and counts[3:5] == (0, 0)
    assert f"split into {parts} parts" in proc.stdout
    assert ("while they were indexed" in proc.stdout) == (parts == 2)
    assert set(split) == set(single)
    assert differences(single, split) == {}
    # Frame numbers, times, capture id and name are the single run's.
    some = sorted(single)[::97]
    for _id in some:
        for key in ("frame.number", "frame.time_relative", "frame.time_delta", "es.capture_id", "es.capture",
                    "@timestamp"):
            assert split[_id].get(key) == single[_id].get(key), (_id, key)
    # Frame-number fields (dns.response_in, tcp.analysis.acks_frame, ...) point at the same frames.
    refs = [(i, k) for i, d in single.items() for k in d if k in ("dns.response_in", "dns.response_to",
                                                                    "tcp.analysis.acks_frame", "http.response_in")]
    assert refs and all(split[i][k] == single[i][k] for i, k in refs)


def test_split_pcap_and_gzip(cluster, wrapper, workdir):  # noqa: F811
    """A pcap (not pcapng), gzipped, split in 2: the same ids and frame times."""
    src = CAPTURES / "espcap-test_http.pcap"
    gz = workdir / "split-http.pcap.gz"
    subprocess.run(f"gzip -c {src} > {gz}", shell=True, check=True)
    gz.chmod(0o644)
    _, single = run(cluster, wrapper, gz, "it-split-gz-single", 1)
    _, split = run(cluster, wrapper, gz, "it-split-gz-2", 2)
    assert len(single) == capinfos_frames(src) and set(split) == set(single)
    assert differences(single, split) == {}


# --- the splitter alone (scripts/wireshark_es_split.py), on built frames ---

def ipv4(src, dst, proto, payload, ident=1, flags_offset=0):
    total = 20 + len(payload)
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, ident, flags_offset, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def ipv6(src, dst, nh, payload):
    return struct.pack(">IHBB16s16s", 6 << 28, len(payload), nh, 64, bytes(src), bytes(dst)) + payload


def ports(sport, dport, rest=b"\0" * 16):
    return struct.pack(">HH", sport, dport) + rest


def ether(payload, etype=0x0800, tags=()):
    head = b"\x02" * 6 + b"\x04" * 6
    for tpid, vid in tags:
        head += struct.pack(">HH", tpid, vid)
    return head + struct.pack(">H", etype) + payload


def write_pcap(path, link, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, link))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, 500, len(data), len(data)) + data)


def parts_of(tmp_path, path, n):
    """{original frame number: part} from the maps split() writes."""
    splitting = pytest.importorskip("wireshark_es_split")
    result, first = splitting.split(str(path), n, str(tmp_path))
    assert first == (1000, 500000)
    where = {}
    for k, (_, frame_map, frames) in enumerate(result):
        for number, prev_ns, prev_s, _, _ in map_records(frame_map, frames):
            where[number] = k
            assert (prev_s, prev_ns) == (1000 + max(number - 2, 0), 500000)  # the previous frame's time
    return where


def map_records(frame_map, frames):
    data = open(frame_map, "rb").read()
    assert len(data) == 24 * frames
    return [struct.unpack_from("<IIqII", data, o) for o in range(0, len(data), 24)]


def renumbered(part_table, records):
    """{original frame number: (tcp.stream, udp.stream values)} of a part,
    its indices mapped as the plugin maps them (es_frame_map_stream)."""
    known, out = ([], []), {}
    for (number, _, _, *elsewhere), row in zip(records, part_table.values()):
        values = []
        for kind, field in enumerate(("tcp.stream", "udp.stream")):
            for local in map(int, row[field]):
                while len(known[kind]) <= local:
                    known[kind].append((len(known[kind]) + elsewhere[kind]) & 0xFFFFFFFF)
            values.append([known[kind][int(v)] for v in row[field]])
        out[number] = tuple(values)
    return out


def tshark_version(tshark):
    found = re.search(r"(\d+)\.(\d+)\.\d+", tshark.run(["-v"]).stdout.decode())
    return int(found[1]), int(found[2])


def stream_differences(tshark, workdir, capture, n):
    """Frames whose stream indices a split into n parts gets wrong."""
    splitting = pytest.importorskip("wireshark_es_split")
    fields = ["frame.number", "tcp.stream", "udp.stream"]
    single = {k: tuple([int(v) for v in row[f]] for f in fields[1:])
              for k, row in fields_table(tshark, capture, fields).items()}
    out = workdir / "streams" / f"{capture.name}-{n}"
    out.mkdir(parents=True)
    result, _ = splitting.split(str(capture), n, str(out), tshark_version(tshark))
    split = {}
    for part, frame_map, frames in result:
        os.chmod(part, 0o644)    # tshark runs as nobody
        split.update(renumbered(fields_table(tshark, part, fields), map_records(frame_map, frames)))
    assert sorted(split) == sorted(single)
    return [k for k in single if split[k] != single[k]]


def test_splitter_counts_the_single_runs_streams(tshark, workdir, splitter_path):
    """Every capture of ../shared split in 2 (the bench captures in 3 too):
    each part's tcp.stream and udp.stream, as tshark numbers them, mapped
    through the counts of its frame map, are the single run's, frame by
    frame; except where a dissector makes conversations (STREAMS_DIFFER)."""
    captures = sorted(p for p in CAPTURES.iterdir() if p.suffix != ".md")
    bench = sorted((SHARED / "bench").glob("*.pcapng"))
    differ = {}
    for capture, n in [(c, 2) for c in captures + bench] + [(c, 3) for c in bench]:
        try:
            wrong = stream_differences(tshark, workdir, capture, n)
        except pytest.importorskip("wireshark_es_split").Unsplittable:
            continue
        if wrong:
            differ[capture.name] = wrong[:5]
    shutil.rmtree(workdir / "streams")
    version = tshark_version(tshark)
    assert set(differ) == STREAMS_DIFFER[max(v for v in STREAMS_DIFFER if v <= version)], differ


def tcp(sport, dport, seq, flags):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 65535, 0, 0)


def udp(sport, dport, payload=b"\0" * 12):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp_unreachable(quoted, length=8):
    """An ICMP port unreachable quoting quoted's IP header and length bytes."""
    return b"\x03\x03\0\0\0\0\0\0" + quoted[:20 + length]


def stream_frames():
    """Frames that begin streams every way the splitter counts them, across
    parts: flows, reused port pairs (and a SYN sent again, which begins
    none), SYNs and SYN/ACKs after a FIN/ACK or RST (new streams from
    Wireshark 4.4; not after a bare FIN, nor where the SYN's direction has
    no base yet), ICMP errors quoting new conversations and conversations
    of other parts (TCP: a whole header, not 8 bytes), and conversations in
    VXLAN, GRE and IP in IP."""
    D, E, F, G = [172, 16, 0, 1], [172, 16, 0, 2], [10, 9, 0, 1], [10, 9, 0, 2]
    frames = []
    for i in range(12):
        frames += [ether(ipv4(A, B, 6, tcp(1000 + i, 80, 100, 0x02))),
                   ether(ipv4(B, A, 6, tcp(80, 1000 + i, 900, 0x12))),
                   ether(ipv4(C, B, 17, udp(5000 + i, 53)))]
    for i in range(12):
        frames.append(ether(ipv4(A, B, 6, tcp(1000 + i, 80, 7000 if i % 2 else 100, 0x02))))
        frames.append(ether(ipv4(B, C, 1, icmp_unreachable(ipv4(C, B, 17, udp(5000 + i, 53))))))
        frames.append(ether(ipv4(B, A, 1, icmp_unreachable(ipv4(A, B, 17, udp(6000 + i, 161))))))
    for i in range(6):
        inner = ether(ipv4(F, G, 17, udp(7000 + i, 9999)))
        frames.append(ether(ipv4(D, E, 17, udp(40000 + i % 2, 4789, b"\x08\0\0\0\0\0\x01\0" + inner))))
        frames.append(ether(ipv4(D, E, 47, b"\0\0\x08\0" + ipv4(F, G, 6, tcp(8000 + i, 443, 1, 0x02)))))
        frames.append(ether(ipv4(E, D, 4, ipv4(G, F, 17, udp(9000 + i, 123)))))
        frames.append(ether(ipv4(A, C, 6, tcp(3000 + i, 22, 5, 0x02))))
    for i in range(8):     # after the first loop's SYN, SYN/ACK and the reused pairs' SYNs
        closing = (0x11, 0x04)[i % 2]
        frames.append(ether(ipv4(B, A, 6, tcp(80, 1000 + i, 901, closing)) if i % 4 < 2 else
                            ipv4(A, B, 6, tcp(1000 + i, 80, 101, closing))))
        frames.append(ether(ipv4(C, B, 17, udp(5100 + i, 53))))
    for i in range(8):
        frames.append(ether(ipv4(A, B, 6, tcp(1000 + i, 80, 7000 if i % 2 else 100, 0x02))))
        frames.append(ether(ipv4(B, A, 6, tcp(80, 1000 + i, 900 + 50 * (i % 3), 0x12))))
    for i in range(6):
        frames.append(ether(ipv4(A, C, 6, tcp(2000 + i, 25, 40, 0x02))))
        frames.append(ether(ipv4(A, C, 6, tcp(2000 + i, 25, 41, 0x01))))          # a bare FIN
        frames.append(ether(ipv4(C, A, 6, tcp(25, 2100 + i, 70, 0x04))))          # a RST first
        frames.append(ether(ipv4(B, A, 1, icmp_unreachable(ipv4(A, B, 6, tcp(2200 + i, 443, 9, 0x02)),
                                                            20 if i % 2 else 8))))
    for i in range(6):
        frames.append(ether(ipv4(A, C, 6, tcp(2000 + i, 25, 40, 0x02))))
        frames.append(ether(ipv4(A, C, 6, tcp(2100 + i, 25, 5, 0x02))))
        frames.append(ether(ipv4(A, B, 6, tcp(2200 + i, 443, 9, 0x02))))
    for i in range(12):    # streams in every part after all that: a miscount above shows in them
        frames.append(ether(ipv4(A, B, 6, tcp(4000 + i, 80, 1, 0x02))))
        frames.append(ether(ipv4(C, A, 17, udp(4000 + i, 53))))
    return frames


def test_splitter_counts_built_streams(tshark, workdir, splitter_path):
    """The built frames split in 2 and 3: every frame's tcp.stream and
    udp.stream mapped through the counts are the single run's."""
    path = workdir / "streams.pcap"
    write_pcap(path, 1, stream_frames())
    path.chmod(0o644)
    for n in (2, 3):
        assert stream_differences(tshark, workdir, path, n) == []


@pytest.fixture
def splitter_path(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))


A, B, C = [10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 9]
A6, B6 = [0x20, 1] + [0] * 13 + [1], [0x20, 1] + [0] * 13 + [2]


def test_splitter_keeps_conversations_whole(tmp_path, splitter_path):
    """Both directions of a flow, with and without VLAN/QinQ tags, the
    fragments of a datagram and the flow's unfragmented frames, IPv6 —
    each whole in one part; many flows spread over every part; ARP in 0."""
    flows = [(A, B, 6, 1000 + i, 80) for i in range(40)]
    frames, groups = [], []
    for src, dst, proto, sp, dp in flows:
        group = []
        for tags in ((), ((0x8100, 5),), ((0x88a8, 7), (0x8100, 5))):
            frames.append(ether(ipv4(src, dst, proto, ports(sp, dp)), tags=tags))
            frames.append(ether(ipv4(dst, src, proto, ports(dp, sp)), tags=tags))
            group += [len(frames) - 1, len(frames)]
        groups.append(group)
    # UDP datagram in two fragments (the second without ports), then the flow unfragmented
    frames.append(ether(ipv4(A, C, 17, ports(5353, 53), ident=77, flags_offset=0x2000)))
    frames.append(ether(ipv4(A, C, 17, b"x" * 24, ident=77, flags_offset=3)))
    frames.append(ether(ipv4(C, A, 17, ports(53, 5353))))
    groups.append([len(frames) - 2, len(frames) - 1, len(frames)])
    frames.append(ether(ipv6(A6, B6, 6, ports(443, 5000)), etype=0x86DD))
    frames.append(ether(ipv6(B6, A6, 6, ports(5000, 443)), etype=0x86DD))
    groups.append([len(frames) - 1, len(frames)])
    frames.append(ether(b"\0\1\x08\0\6\4\0\1" + b"\0" * 20, etype=0x0806))   # ARP
    path = tmp_path / "built.pcap"
    write_pcap(path, 1, frames)
    where = parts_of(tmp_path, path, 3)
    assert sorted(where) == list(range(1, len(frames) + 1))
    for group in groups:
        assert len({where[n] for n in group}) == 1, group
    assert where[len(frames)] == 0
    assert len({where[g[0]] for g in groups}) == 3


def test_splitter_link_types(tmp_path, splitter_path):
    """Linux SLL and raw IP: a flow's two directions together, and flows
    spread; an unknown link type all in part 0."""
    for link, wrap in ((113, lambda ip: b"\0\0\0\1\0\6" + b"\2" * 8 + b"\x08\x00" + ip), (101, lambda ip: ip),
                       (147, lambda ip: ip)):
        frames = []
        for i in range(30):
            frames += [wrap(ipv4(A, B, 17, ports(2000 + i, 53))), wrap(ipv4(B, A, 17, ports(53, 2000 + i)))]
        path = tmp_path / f"link{link}.pcap"
        write_pcap(path, link, frames)
        (tmp_path / f"l{link}").mkdir()
        where = parts_of(tmp_path / f"l{link}", path, 2)
        assert all(where[n] == where[n + 1] for n in range(1, len(frames), 2))
        assert set(where.values()) == ({0} if link == 147 else {0, 1})


def pcapng_block(btype, body):
    return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def test_first_time_reads_the_head(tmp_path, splitter_path):
    """first_time() finds the first frame's time in the capture's head, so
    streaming starts at once (it read the whole capture, a second for the
    10x bench capture): a gzipped pcap cut short after its head still gives
    it; a pcapng whose simple packet block (no time stamp) comes after the
    head is refused before any part starts."""
    splitting = pytest.importorskip("wireshark_es_split")
    noise = random.Random(7)
    frames = [ether(ipv4(A, B, 17, ports(2000 + i, 53, noise.randbytes(1000)))) for i in range(400)]
    pcap = tmp_path / "long.pcap"
    write_pcap(pcap, 1, frames)
    packed = gzip.compress(pcap.read_bytes())
    cut = tmp_path / "cut.pcap.gz"
    cut.write_bytes(packed[:len(packed) * 9 // 10])
    assert len(packed) * 8 // 10 > splitting.HEAD
    assert splitting.first_time(str(cut)) == (1000, 500000)
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = pcapng_block(1, struct.pack("<HHI", 1, 0, 65535))
    epbs = b"".join(pcapng_block(6, struct.pack("<IIIII", 0, 0, 1000000 * (1000 + i), len(d), len(d))
                                 + d + b"\0" * (-len(d) % 4)) for i, d in enumerate(frames))
    spb = pcapng_block(3, struct.pack("<I", 60) + b"\0" * 60)
    late = tmp_path / "late-spb.pcapng"
    late.write_bytes(shb + idb + epbs + spb)
    assert len(shb + idb + epbs) > splitting.HEAD
    with pytest.raises(splitting.Unsplittable, match="block type 0x3"):
        splitting.first_time(str(late))
    late.write_bytes(shb + idb + epbs)
    assert splitting.first_time(str(late)) == (1000, 0)


def test_c_splitter_writes_the_references_bytes(tmp_path, splitter_path):
    """wireshark-es-split (splitter/, what split() and stream() run) writes
    the bytes this module's own splitter writes: every part and frame map,
    the frames per part and the first frame's time, or refuses the same
    captures; every capture of ../shared, the built stream frames and a
    gzipped one, in 2 and 3 parts, by the rules of 4.0, 4.4 and 4.6."""
    splitting = pytest.importorskip("wireshark_es_split")
    assert splitting.splitter_binary(), "wireshark-es-split is not built"
    built = tmp_path / "streams.pcap"
    write_pcap(built, 1, stream_frames())
    packed = tmp_path / "streams.pcap.gz"
    packed.write_bytes(gzip.compress(built.read_bytes()))
    captures = sorted(p for p in CAPTURES.iterdir() if p.suffix != ".md")
    captures += sorted((SHARED / "bench").glob("*.pcapng")) + [built, packed]
    compared = 0
    for capture in captures:
        for version in ((4, 0), (4, 4), (4, 6)):
            for n in (2, 3):
                here, there = tmp_path / "here", tmp_path / "there"
                for d in (here, there):
                    shutil.rmtree(d, ignore_errors=True)
                    d.mkdir()
                try:
                    want = splitting.split_here(str(capture), n, str(here), version)
                except splitting.Unsplittable:
                    with pytest.raises(splitting.Unsplittable):
                        splitting.split(str(capture), n, str(there), version)
                    continue
                got = splitting.split(str(capture), n, str(there), version)
                assert [f for _, _, f in got[0]] == [f for _, _, f in want[0]] and got[1] == want[1], capture
                for (a, am, _), (b, bm, _) in zip(want[0], got[0]):
                    assert open(a, "rb").read() == open(b, "rb").read(), (capture, version, n)
                    assert open(am, "rb").read() == open(bm, "rb").read(), (capture, version, n)
                compared += 1
    assert compared > 500, compared
