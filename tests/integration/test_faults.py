"""Delivery under a misbehaving cluster: whole bulks answered 429, items
rejected with 429, connections reset (before and after the bulk was
stored), and a cluster that answers 503 for its first 10 seconds.  Every
frame must end up in the cluster exactly once."""

import pytest

from conftest import SHARED
from helpers import capinfos_frames, summary

CAPTURES = [SHARED / "bench" / "http50k.pcapng", SHARED / "captures" / "smb-smbclient.pcap",
            SHARED / "captures" / "dns-tcp.pcap"]


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_everything_once_despite_faults(capture, tshark, local_server):
    server = local_server(mode="es8", seed=7, bulk_429_ratio=0.2, item_429_ratio=0.1,
                          reset_ratio=0.1, reset_after_store=True, unavailable_seconds=10)
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}",
                       "-X", "es.index=faults-%Y", "-X", "es.bulk_docs=2000",
                       "-X", "es.flush_timeout_s=300"], timeout=900)
    s = summary(proc.stderr)
    assert s["rejected"] == 0 and s["dropped"] == 0, proc.stderr.decode()[-2000:]
    assert s["indexed"] + s["present"] == frames
    docs = server.docs("faults-*")
    ids = [d["_id"] for d in docs]
    assert len(ids) == frames and len(set(ids)) == frames
    faults = server.stats()["faults"]
    assert faults.get("unavailable", 0) > 0          # the first requests met the 503 window
    if frames > 10000:                                # enough requests for every kind of fault
        for kind in ("bulk_429", "item_429", "reset"):
            assert faults.get(kind, 0) > 0, faults
