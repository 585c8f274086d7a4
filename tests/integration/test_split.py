# SPDX-License-Identifier: GPL-2.0-or-later
"""wireshark-es-index --split N: one capture indexed by N tshark processes
gives the documents of the single run — the same _ids, frame numbers,
capture id and name, frame times and frame-number fields — except the
fields README's "Indexing one capture on several cores" lists.  With -j 2
(the machine's cores), --split 2 streams the parts through pipes and
--split 3 writes them to files first.  Documents go to a real
Elasticsearch 8."""

import subprocess

import pytest

from conftest import SHARED
from helpers import capinfos_frames
from test_index_script import SCRIPT, documents, index, total, wrapper  # noqa: F401 (fixture)

CAPTURES = SHARED / "captures"
# TCP (HTTP, Modbus, IEC 104 ...), UDP (DNS), IPv4 and IPv6, several link
# types: one pcapng of two interfaces and more, merged in time order.
MIX = ["arkime_synthetic.pcap", "espcap-test_http.pcap", "espcap-test_dns.pcap", "modbus.pcap"]

# Numbered per process (conversations of the other parts are not seen);
# cotp.destref of class-0 data is the last COTP reference of any flow.
RENUMBERED = {"tcp.stream", "udp.stream", "quic.connection.number", "cotp.destref"}
# Text that quotes another frame's part-local number.
QUOTING = {"_ws.col.info", "_ws.expert.message"}
# Combined fields (ip.addr, tcp.port, ...) written as arrays by each run's
# first frames, until the exporter has learned their copy_to.
LEARNED = (".addr", ".port", ".host")


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
            if key.endswith(LEARNED) and (a is None or b is None):
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
    # The fields that differ did differ: the parts were really separate runs.
    assert any(split[i].get("tcp.stream") != single[i].get("tcp.stream") for i in single)
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
