# SPDX-License-Identifier: GPL-2.0-or-later
"""Live capture on the loopback interface: documents arrive while the capture
runs, and after Ctrl-C every captured frame is in the cluster."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from helpers import summary


def send_udp(port, n, tag):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(f"{tag} {i}".encode(), ("127.0.0.1", port))
        time.sleep(0.01)
    s.close()


def wait_for(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def interrupt(proc, timeout=60, sig=signal.SIGINT):
    """Ctrl-C (or another signal), then the capture's stderr, dumpcap's
    captured count and how long the exporter took to finish."""
    try:
        proc.send_signal(sig)
        t0 = time.time()
        _, err = proc.communicate(timeout=timeout)
        return err, int(re.search(rb"(\d+) packets? captured", err).group(1)), time.time() - t0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def can_capture(tshark):
    proc = tshark.run(["-D"], check=False)
    if b"lo" not in proc.stdout:
        pytest.skip("cannot capture on lo here (dumpcap needs cap_net_raw for 'nobody')")


def test_live_capture_streams_and_flushes(tshark, cluster, can_capture):
    port = 40000 + os.getpid() % 20000
    index = f"it-live-{os.getpid()}"
    cluster.delete(f"{index}-*")
    proc = tshark.popen(["-i", "lo", "-f", f"udp port {port}", "-q", "-X", f"es.node={cluster.url}",
                         "-X", f"es.index={index}-%Y.%m.%d"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)   # capture starting
    send_udp(port, 100, "first")
    # near real time: the first batch is sealed by age (1 s)
    during = cluster.count(f"{index}-*") if wait_for(lambda: cluster.count(f"{index}-*") >= 100, 10) else 0
    send_udp(port, 150, "second")
    time.sleep(0.3)
    err, captured, _ = interrupt(proc)
    s = summary(err)
    assert captured == 250
    assert during >= 100
    assert s["frames"] == captured and s["indexed"] == captured and s["dropped"] == 0
    docs = cluster.docs(f"{index}-*")
    assert len(docs) == captured
    assert {d["_source"].get("frame.interface_name") for d in docs} == {"lo"}
    assert {d["_source"]["es.capture"] for d in docs} == {"lo"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def spool_docs(spool):
    return sum(int(p.name.split("-")[1].split(".")[0]) for p in spool.glob("*.ndjson"))


@pytest.mark.parametrize("resend,sig", [("next-run", signal.SIGINT), ("script", signal.SIGTERM)])
def test_cluster_down_for_the_whole_live_capture(resend, sig, tshark, engine, prefix, workdir, can_capture):
    """Nothing answers at the node for the whole capture: the capture never
    waits, every frame goes to the spool, Ctrl-C (or SIGTERM) ends it at
    once and says so; once a cluster is up, the next run (or
    scripts/resend-spool) sends them all, each once."""
    port = 40000 + (os.getpid() + 7) % 20000
    spool = workdir / f"spool-{resend}"
    dead = f"http://127.0.0.1:{free_port()}"
    proc = tshark.popen(["-i", "lo", "-f", f"udp port {port}", "-q", "-X", f"es.node={dead}",
                         "-X", f"es.index={prefix}-%Y", "-X", f"es.spool_dir={spool}", "-X", "es.bulk_age_ms=200"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)
    send_udp(port, 300, "down")
    time.sleep(0.5)
    err, captured, stop_seconds = interrupt(proc, sig=sig)
    assert captured == 300
    s = summary(err)
    assert s["frames"] == captured and s["indexed"] == 0 and s["dropped"] == 0, err.decode()[-1500:]
    assert f"{captured} documents wait in the spool {spool}".encode() in err
    assert spool_docs(spool) == captured
    assert stop_seconds < 20                       # no waiting out the flush timeout

    node = engine("es8")
    if resend == "next-run":
        from conftest import SHARED
        from helpers import capinfos_frames
        capture = SHARED / "captures" / "http-simple-get.pcap"
        out = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={node.url}", "-X", f"es.index={prefix}-%Y",
                          "-X", f"es.spool_dir={spool}"])
        s = summary(out.stderr)
        assert b"sent first" in out.stderr
        expected = captured + capinfos_frames(capture)
        assert s["indexed"] == expected
    else:
        from conftest import ROOT
        res = subprocess.run([str(ROOT / "scripts" / "resend-spool"), str(spool), node.url],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert f"{captured} documents delivered, 0 rejected" in res.stdout
        expected = captured
    assert not list(spool.glob("*.ndjson"))
    ids = node.ids(f"{prefix}-*")
    assert len(ids) == expected and len(set(ids)) == expected


def test_ctrl_c_with_a_briefly_down_cluster(tshark, faulty, prefix, workdir, can_capture):
    """The cluster goes away for a few seconds in the middle of a live
    capture (the fault proxy in front of it stops listening): frames
    captured meanwhile wait in the spool and are sent when it is back;
    after Ctrl-C every captured frame is in it, once."""
    proxy = faulty()
    node = proxy.upstream
    port = 40000 + (os.getpid() + 13) % 20000
    spool = workdir / "spool-brief"
    proc = tshark.popen(["-i", "lo", "-f", f"udp port {port}", "-q", "-X", f"es.node={proxy.url}",
                         "-X", f"es.index={prefix}-%Y", "-X", f"es.spool_dir={spool}", "-X", "es.bulk_age_ms=200"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)
    send_udp(port, 100, "before")
    before = wait_for(lambda: node.count(f"{prefix}-*") >= 100, 10)
    proxy.set_faults(down_seconds=4)
    time.sleep(0.5)
    send_udp(port, 150, "during")
    time.sleep(5)                                  # back up
    send_udp(port, 50, "after")
    time.sleep(1)
    err, captured, _ = interrupt(proc, 90)
    assert before and captured == 300
    s = summary(err)
    assert s["frames"] == captured and s["dropped"] == 0 and s["rejected"] == 0, err.decode()[-1500:]
    assert s["indexed"] + s["present"] == captured
    ids = node.ids(f"{prefix}-*")
    assert len(ids) == captured and len(set(ids)) == captured
    assert b"spooling to" in err                      # the outage was met, not slept through
    assert not list(spool.glob("*.ndjson"))           # everything that waited went out
