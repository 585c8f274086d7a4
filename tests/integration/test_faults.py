# SPDX-License-Identifier: GPL-2.0-or-later
"""Delivery under a misbehaving cluster: whole bulks answered 429, items
rejected with 429, connections reset (before and after the bulk was
stored), and a cluster that answers 503 for its first 10 seconds.  Every
frame must end up in the cluster exactly once.  Documents the cluster
refuses for good go to the dead-letter file with their reason.  The
cluster is the session's real Elasticsearch 8 node; the faults come from
the fault proxy in front of it (tests/esserver/faultproxy.py), whose
synthesized answers are checked against the real node's own."""

import json
import re

import pytest

from conftest import SHARED
from faultproxy import has_field
from helpers import capinfos_frames, summary

CAPTURES = [SHARED / "bench" / "http50k.pcapng", SHARED / "captures" / "smb-smbclient.pcap",
            SHARED / "captures" / "dns-tcp.pcap"]


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_everything_once_despite_faults(capture, tshark, faulty, prefix, workdir):
    dead = workdir / f"dead-{capture.name}"
    proxy = faulty(seed=7, bulk_429_ratio=0.2, item_429_ratio=0.1, reset_ratio=0.1, reset_after_store=True,
                   unavailable_seconds=10)
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}",
                       "-X", f"es.index={prefix}-%Y", "-X", "es.bulk_docs=2000",
                       "-X", "es.flush_timeout_s=300", "-X", f"es.dead_letter_dir={dead}"], timeout=900)
    s = summary(proc.stderr)
    assert s["rejected"] == 0 and s["dropped"] == 0, proc.stderr.decode()[-2000:]
    assert s["indexed"] + s["present"] == frames
    assert not dead.exists() or not any(dead.iterdir())       # nothing in the dead-letter file
    assert "dead-letter" not in proc.stderr.decode()
    ids = proxy.upstream.ids(f"{prefix}-*")
    assert len(ids) == frames and len(set(ids)) == frames
    faults = proxy.stats()["faults"]
    assert faults.get("unavailable", 0) > 0          # the first requests met the 503 window
    if frames > 10000:                                # enough requests for every kind of fault
        for kind in ("bulk_429", "item_429", "reset"):
            assert faults.get(kind, 0) > 0, faults


def test_unmappable_documents_go_to_the_dead_letter_file(tshark, faulty, prefix, workdir):
    """The cluster refuses every document carrying one field: those land in
    the dead-letter file with the reason, every other one is indexed."""
    capture = SHARED / "captures" / "http-simple-get.pcap"
    frames = capinfos_frames(capture)
    proxy = faulty(reject_field="http.request.method")
    dead = workdir / "dead-reject"
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}", "-X", f"es.index={prefix}-%Y",
                       "-X", f"es.dead_letter_dir={dead}"])
    s = summary(proc.stderr)
    files = list(dead.iterdir())
    assert len(files) == 1 and str(files[0]) in proc.stderr.decode()
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert s["rejected"] == len(lines) > 0 and s["dropped"] == 0
    assert s["indexed"] + s["rejected"] == frames
    for entry in lines:
        assert entry["error"]["status"] == 400
        assert "http.request.method" in entry["error"]["reason"]
        assert "http.request.method" in entry["document"]
        assert entry["action"]["create"]["_id"].endswith(f"-{entry['document']['frame.number']}")
    indexed = proxy.upstream.docs(f"{prefix}-*")
    assert len(indexed) == s["indexed"] > 0
    assert not any(has_field(d["_source"], "http.request.method") for d in indexed)
    # The file replays as a bulk body once the cause is gone.
    proxy.set_faults(reject_field=None)
    body = "".join(json.dumps(e["action"]) + "\n" + json.dumps(e["document"]) + "\n" for e in lines)
    status, res = proxy.request("POST", "/_bulk", body.encode(), {"Content-Type": "application/x-ndjson"})
    assert status == 200 and not res["errors"], res
    assert proxy.upstream.count(f"{prefix}-*") == frames


@pytest.mark.parametrize("times", [1, 5])
def test_lost_mapping_race_sent_again(tshark, faulty, prefix, times):
    """Documents refused because another writer's dynamic mapping of one of
    their fields won a race ("mapper [ip.ttl] cannot be changed") are sent
    again, at most 3 times in all: once the race is over they go in; a
    conflict that lasts is rejected in the end, with its reason."""
    capture = SHARED / "captures" / "http-simple-get.pcap"
    frames = capinfos_frames(capture)
    proxy = faulty(race_field="ip.ttl", race_times=times)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}", "-X", f"es.index={prefix}-%Y"])
    err = proc.stderr.decode()
    s = summary(proc.stderr)
    lost = proxy.stats()["faults"]["race_field"]
    if times == 1:
        assert s["indexed"] == frames and s["rejected"] == 0, err[-1500:]
        assert 0 < lost <= frames and f"{lost} items retried" in err
    else:
        assert s["rejected"] > 0 and s["indexed"] + s["rejected"] == frames, err[-1500:]
        assert lost == 3 * s["rejected"]
        assert "mapper [ip.ttl] cannot be changed" in err
    assert proxy.upstream.count(f"{prefix}-*") == s["indexed"]


def test_read_only_cluster_said_once_then_delivered(tshark, faulty, prefix):
    """A flood-stage read-only block for 6 s: items come back 429
    cluster_block_exception; the exporter says once what is wrong and what
    to do, keeps the documents, and delivers them when the block is lifted."""
    capture = SHARED / "captures" / "smb-smbclient.pcap"
    frames = capinfos_frames(capture)
    proxy = faulty(read_only_seconds=6)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}", "-X", f"es.index={prefix}-%Y",
                       "-X", "es.flush_timeout_s=120"], timeout=300)
    err = proc.stderr.decode()
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == 0 and s["dropped"] == 0, err[-1500:]
    assert err.count("the cluster blocks writes") == 1, err
    assert "free disk space" in err
    assert proxy.stats()["faults"].get("read_only", 0) > 0
    assert proxy.upstream.count(f"{prefix}-*") == frames


def test_memory_bounded_under_a_slow_server(tshark, faulty, prefix, workdir):
    """The cluster takes 300 ms more per bulk request: reading pauses instead of
    piling documents up, so tshark's peak RSS stays within the bound the
    settings give (queued + in-flight + retried batches)."""
    import subprocess
    capture = SHARED / "bench" / "http50k.pcapng"
    bulk_kib, queue, requests = 1024, 2, 2
    proxy = faulty(delay_ms=300)

    def peak_mib(args):
        rss = workdir / "rss.txt"
        cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss), *tshark.command(args)]
        proc = subprocess.run(cmd, capture_output=True, timeout=600)
        assert proc.returncode == 0, proc.stderr.decode()[-1500:]
        return int(rss.read_text().split()[-1]) / 1024, proc

    base, _ = peak_mib(["-r", str(capture), "-q", "-X", "es.node=file:/dev/null"])
    slow, proc = peak_mib(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}", "-X", f"es.index={prefix}-%Y",
                           "-X", f"es.bulk_kib={bulk_kib}", "-X", f"es.queue={queue}",
                           "-X", f"es.requests={requests}"])
    s = summary(proc.stderr)
    assert s["indexed"] == capinfos_frames(capture) and s["dropped"] == 0
    # Batches alive at once: queued, in flight, the one filling, one retried
    # or split; each with its body and its response.
    bound = (queue + requests + 2) * 2 * bulk_kib / 1024 + 16
    print(f"peak RSS: file sink {base:.0f} MiB, slow server {slow:.0f} MiB "
          f"(+{slow - base:.0f} MiB, bound +{bound:.0f} MiB)")
    assert slow - base < bound, (base, slow, bound)
    assert proxy.stats()["faults"].get("delay", 0) > 0


def bulk(cluster, *lines):
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return cluster.request("POST", "/_bulk", body, {"Content-Type": "application/x-ndjson"})


def test_proxy_blocks_are_worded_as_the_real_ones(faulty, prefix):
    """The proxy's read-only blocks answer what the real node answers for
    its own: an index's flood-stage block item by item, a cluster-wide
    block for the whole request."""
    proxy = faulty()
    node, real, proxied = proxy.upstream, f"{prefix}-real", f"{prefix}-proxied"
    assert bulk(node, {"create": {"_index": real, "_id": "1"}}, {"n": 1})[0] == 200
    node.request("PUT", f"/{real}/_settings", {"index.blocks.read_only_allow_delete": True})
    try:
        _, want = bulk(node, {"create": {"_index": real, "_id": "2"}}, {"n": 2})
    finally:
        node.request("PUT", f"/{real}/_settings", {"index.blocks.read_only_allow_delete": None})
    proxy.set_faults(read_only_seconds=60)
    _, got = bulk(proxy, {"create": {"_index": proxied, "_id": "2"}}, {"n": 2})
    assert got["errors"] is want["errors"] is True
    assert got["items"][0] == json.loads(json.dumps(want["items"][0]).replace(real, proxied))

    proxy.set_faults(read_only_block="cluster")
    got = bulk(proxy, {"create": {"_index": proxied, "_id": "3"}}, {"n": 3})
    node.request("PUT", "/_cluster/settings", {"transient": {"cluster.blocks.read_only_allow_delete": True}})
    try:
        want = bulk(node, {"create": {"_index": real, "_id": "3"}}, {"n": 3})
    finally:
        node.request("PUT", "/_cluster/settings", {"transient": {"cluster.blocks.read_only_allow_delete": None}})
    assert got == want and got[0] == 403
    assert node.count(f"{proxied}*") == 0               # nothing went through the blocks


def test_proxy_refuses_a_field_as_the_real_node_refuses_a_document(faulty, prefix):
    """reject_field answers as the real node answers a document it cannot
    parse (a mapping conflict here), and forwards nothing of it."""
    proxy = faulty(reject_field="x")
    node, real, proxied = proxy.upstream, f"{prefix}-real", f"{prefix}-proxied"
    bulk(node, {"create": {"_index": real, "_id": "1"}}, {"x": 1})
    _, want = bulk(node, {"create": {"_index": real, "_id": "2"}}, {"x": {"a": 1}})
    _, got = bulk(proxy, {"create": {"_index": proxied, "_id": "2"}}, {"x": {"a": 1}},
                  {"create": {"_index": proxied, "_id": "3"}}, {"y": 1})
    want_item, (got_item, passed) = want["items"][0]["create"], [i["create"] for i in got["items"]]
    assert got["errors"] is want["errors"] is True
    assert got_item["status"] == want_item["status"] == 400
    assert got_item["error"]["type"] == want_item["error"]["type"] == "document_parsing_exception"
    words = re.compile(r"\[1:\d+\] failed to parse field \[x\] of type \[\w+\] in document with id '2'\. "
                       r"Preview of field's value: '.+'")
    assert words.fullmatch(got_item["error"]["reason"]) and words.fullmatch(want_item["error"]["reason"])
    assert passed["status"] == 201 and node.ids(f"{proxied}*") == ["3"]


def test_refused_credentials_said_once_and_nothing_lost_silently(tshark, faulty, prefix, workdir):
    """A cluster with security (the proxy's: the engine has none) refuses
    the password: the exporter says what to set, once, and every frame is
    counted as dropped and written to the dead-letter file; with the right
    password (ES_PASSWORD) all of them are indexed."""
    capture = SHARED / "captures" / "http-simple-get.pcap"
    frames = capinfos_frames(capture)
    proxy = faulty(user="elastic", password="right")
    dead = workdir / "dead-auth"
    args = ["-r", str(capture), "-q", "-X", f"es.node={proxy.url}", "-X", "es.user=elastic",
            "-X", f"es.index={prefix}-%Y", "-X", f"es.dead_letter_dir={dead}"]
    wrong = tshark.run(args, env={"ES_PASSWORD": "wrong"}, check=False)
    err = wrong.stderr.decode()
    s = summary(wrong.stderr)
    assert s["dropped"] == frames and s["indexed"] == 0, err[-1500:]
    # Said once (the summary line names it again as the first problem).
    told = [line for line in err.splitlines() if "refused the credentials" in line and " frames: " not in line]
    assert len(told) == 1 and "ES_PASSWORD" in err, err[-1500:]
    files = list(dead.iterdir())
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == frames
    assert proxy.stats()["faults"]["auth"] > 0 and proxy.upstream.count(f"{prefix}-*") == 0
    right = tshark.run(args, env={"ES_PASSWORD": "right"})
    assert summary(right.stderr)["indexed"] == frames
    assert proxy.upstream.count(f"{prefix}-*") == frames
