"""Delivery under a misbehaving cluster: whole bulks answered 429, items
rejected with 429, connections reset (before and after the bulk was
stored), and a cluster that answers 503 for its first 10 seconds.  Every
frame must end up in the cluster exactly once.  Documents the cluster
refuses for good go to the dead-letter file with their reason."""

import json

import pytest

from conftest import SHARED
from helpers import capinfos_frames, summary

CAPTURES = [SHARED / "bench" / "http50k.pcapng", SHARED / "captures" / "smb-smbclient.pcap",
            SHARED / "captures" / "dns-tcp.pcap"]


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_everything_once_despite_faults(capture, tshark, local_server, workdir):
    dead = workdir / f"dead-{capture.name}"
    server = local_server(mode="es8", seed=7, bulk_429_ratio=0.2, item_429_ratio=0.1,
                          reset_ratio=0.1, reset_after_store=True, unavailable_seconds=10)
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}",
                       "-X", "es.index=faults-%Y", "-X", "es.bulk_docs=2000",
                       "-X", "es.flush_timeout_s=300", "-X", f"es.dead_letter_dir={dead}"], timeout=900)
    s = summary(proc.stderr)
    assert s["rejected"] == 0 and s["dropped"] == 0, proc.stderr.decode()[-2000:]
    assert s["indexed"] + s["present"] == frames
    assert not dead.exists() or not any(dead.iterdir())       # nothing in the dead-letter file
    assert "dead-letter" not in proc.stderr.decode()
    docs = server.docs("faults-*")
    ids = [d["_id"] for d in docs]
    assert len(ids) == frames and len(set(ids)) == frames
    faults = server.stats()["faults"]
    assert faults.get("unavailable", 0) > 0          # the first requests met the 503 window
    if frames > 10000:                                # enough requests for every kind of fault
        for kind in ("bulk_429", "item_429", "reset"):
            assert faults.get(kind, 0) > 0, faults


def test_unmappable_documents_go_to_the_dead_letter_file(tshark, local_server, workdir):
    """The server refuses every document carrying one field: those land in
    the dead-letter file with the reason, every other one is indexed."""
    capture = SHARED / "captures" / "http-simple-get.pcap"
    frames = capinfos_frames(capture)
    server = local_server(mode="es8", reject_field="http.request.method")
    dead = workdir / "dead-reject"
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=rej-%Y",
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
    indexed = server.docs("rej-*")
    assert len(indexed) == s["indexed"]
    assert not any("http.request.method" in d["_source"] for d in indexed)
    # The file replays as a bulk body once the cause is gone.
    server.set_faults(reject_field=None)
    body = "".join(json.dumps(e["action"]) + "\n" + json.dumps(e["document"]) + "\n" for e in lines)
    status, res = server.request("POST", "/_bulk", body.encode(), {"Content-Type": "application/x-ndjson"})
    assert status == 200 and not res["errors"]
    assert server.count("rej-*") == frames


def test_read_only_cluster_said_once_then_delivered(tshark, local_server):
    """A flood-stage read-only block: items come back 429
    cluster_block_exception; the exporter says once what is wrong and what
    to do, keeps the documents, and delivers them when the block is lifted."""
    import threading
    capture = SHARED / "captures" / "smb-smbclient.pcap"
    frames = capinfos_frames(capture)
    server = local_server(mode="es8", read_only=True)
    threading.Timer(6.0, lambda: server.set_faults(read_only=False)).start()
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=ro-%Y",
                       "-X", "es.flush_timeout_s=120"], timeout=300)
    err = proc.stderr.decode()
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == 0 and s["dropped"] == 0, err[-1500:]
    assert err.count("the cluster blocks writes") == 1, err
    assert "free disk space" in err
    assert server.stats()["faults"].get("read_only", 0) > 0


def test_memory_bounded_under_a_slow_server(tshark, local_server, workdir):
    """The server takes 300 ms per bulk request: reading pauses instead of
    piling documents up, so tshark's peak RSS stays within the bound the
    settings give (queued + in-flight + retried batches)."""
    import re
    import subprocess
    capture = SHARED / "bench" / "http50k.pcapng"
    bulk_kib, queue, requests = 1024, 2, 2
    server = local_server(mode="es8", fast=True, delay_ms=300)

    def peak_mib(args):
        rss = workdir / "rss.txt"
        cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss), *tshark.command(args)]
        proc = subprocess.run(cmd, capture_output=True, timeout=600)
        assert proc.returncode == 0, proc.stderr.decode()[-1500:]
        return int(rss.read_text().split()[-1]) / 1024, proc

    base, _ = peak_mib(["-r", str(capture), "-q", "-X", "es.node=file:/dev/null"])
    slow, proc = peak_mib(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=slow-%Y",
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
    assert server.stats()["faults"].get("delay", 0) > 0
