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
    try:
        time.sleep(3)   # capture starting
        send_udp(port, 100, "first")
        # near real time: the first batch is sealed by age (1 s)
        assert wait_for(lambda: cluster.count(f"{index}-*") >= 100, 10), "no documents while capturing"
        during = cluster.count(f"{index}-*")
        send_udp(port, 150, "second")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    s = summary(err)
    captured = int(re.search(rb"(\d+) packets? captured", err).group(1))
    assert captured == 250
    assert during >= 100
    assert s["frames"] == captured and s["indexed"] == captured and s["dropped"] == 0
    docs = cluster.docs(f"{index}-*")
    assert len(docs) == captured
    assert {d["_source"].get("frame.interface_name") for d in docs} == {"lo"}
    assert {d["_source"]["es.capture"] for d in docs} == {"lo"}
