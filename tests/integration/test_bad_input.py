# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures that are empty, cut short or random: no crash, valid documents."""

import pathlib
import shutil
import subprocess

from conftest import SHARED
from helpers import strict_loads, summary


def export(tshark, capture, out):
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node=file:{out}"], check=False)
    assert proc.returncode in (0, 2), proc.stderr.decode()[-2000:]   # 2: tshark's "cut short" error
    assert b"Segmentation" not in proc.stderr and b"AddressSanitizer" not in proc.stderr
    s = summary(proc.stderr)
    # NDJSON lines end at "\n" only: str.splitlines() would also split at
    # U+2028, U+0085 and the like, which JSON strings may hold raw.
    lines = out.read_text().split("\n")[:-1] if out.stat().st_size else []
    assert len(lines) == 2 * s["indexed"]
    for line in lines:
        strict_loads(line)
    return s


def test_empty_capture(tshark, workdir):
    out = workdir / "empty.ndjson"
    s = export(tshark, SHARED / "captures" / "empty.pcap", out)
    assert s["frames"] == 0 and out.exists()


def test_truncated_capture(tshark, workdir):
    src = SHARED / "captures" / "smb-smbclient.pcap"
    cut = workdir / "cut.pcap"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    s = export(tshark, cut, workdir / "cut.ndjson")
    assert s["frames"] > 0 and s["dropped"] == 0


def test_random_packets(tshark, workdir):
    for kind in ("tcp", "dns", "giop", "ip", "sctp", "usb-linux", "syslog", "ncp2222"):
        pcap = workdir / f"rand-{kind}.pcap"
        subprocess.run(["randpkt", "-b", "1000", "-c", "300", "-t", kind, str(pcap)], check=True)
        shutil.chown(pcap, "nobody")
        # randpkt can write records wiretap refuses; count what tshark reads
        readable = len(tshark.run(["-r", str(pcap), "-T", "fields", "-e", "frame.number"],
                                  check=False).stdout.split())
        s = export(tshark, pcap, workdir / f"rand-{kind}.ndjson")
        assert readable > 250
        assert s["frames"] == readable and s["indexed"] == readable


def test_exception_inside_quoted_packet(tshark, workdir):
    """Frames whose dissection ends in an exception inside a quoted packet
    (here SCTP PKTDROP chunks) stay flagged as error packets when the frame
    tap runs: they must be exported too."""
    capture = pathlib.Path(__file__).resolve().parents[1] / "captures" / "sctp-pktdrop-error.pcap"
    s = export(tshark, capture, workdir / "pktdrop.ndjson")
    assert s["frames"] == 300 and s["indexed"] == 300
