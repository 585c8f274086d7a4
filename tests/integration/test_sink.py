# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmark's counting sink (tests/esserver/fastsink.c) takes what the
exporter sends as a real node would: it is detected as Elasticsearch 8, and
every frame is indexed, plain or gzip, so scripts/bench measures delivery."""

import pytest

from cluster import FastSink
from conftest import SHARED
from helpers import capinfos_frames, summary


@pytest.mark.parametrize("compression", ["off", "gzip"])
def test_every_frame_into_the_sink(compression, tshark):
    capture = SHARED / "captures" / "smb-smbclient.pcap"
    frames = capinfos_frames(capture)
    with FastSink() as sink:
        proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={sink.url}", "-X", "es.index=sink-%Y",
                           "-X", f"es.compression={compression}"])
        stats = sink.stats()
    s = summary(proc.stderr)
    err = proc.stderr.decode()
    assert s["indexed"] == frames and s["rejected"] == s["dropped"] == 0, err[-1500:]
    assert "could not" not in err and "unexpected answer" not in err, err[-1500:]
    assert sum(stats["indices"].values()) == stats["created"] == frames
    gzipped = stats.get("gzip_requests", 0)         # the bulks, the template and the mappings
    assert gzipped >= stats["bulk_requests"] > 0 if compression == "gzip" else gzipped == 0
