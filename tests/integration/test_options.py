# SPDX-License-Identifier: GPL-2.0-or-later
"""The three spellings of the settings on the command line, and the errors
that stop tshark with a message naming the setting."""

import json

import pytest

from conftest import SHARED
from helpers import capinfos_frames, summary

CAPTURE = SHARED / "captures" / "http-simple-get.pcap"
FRAMES = 16


def first_action(path):
    return json.loads(path.read_text().split("\n")[0])["create"]


@pytest.mark.parametrize("form", ["-X es.node={}", "-X es.node:{}", "-o es.node:{}"])
def test_node_spellings(form, tshark, workdir):
    out = workdir / f"spelling-{form[:2]}-{form[5]}{len(form)}.ndjson"
    flag, value = form.format(f"file:{out}").split(" ", 1)
    proc = tshark.run(["-r", str(CAPTURE), "-q", flag, value, "-X", "es.index=spell-%Y"])
    assert summary(proc.stderr)["indexed"] == FRAMES
    assert first_action(out)["_index"] == "spell-2013"


def test_equals_form_keeps_colons(tshark, workdir):
    """-X es.node=http://h:9200 must reach the plugin whole even though
    Wireshark itself splits -X at the first ':'."""
    out = workdir / "eq.ndjson"
    proc = tshark.run(["-r", str(CAPTURE), "-q", "-X", f"es.node=file:{out}",
                       "-X", "es.index=a:b", "-X", "es.bulk_docs=3"], check=False)
    assert proc.returncode != 0
    assert b"es.index" in proc.stderr


def test_no_node_no_export(tshark):
    proc = tshark.run(["-r", str(CAPTURE), "-q"])
    assert b"wireshark-es" not in proc.stderr


def test_unknown_setting_stops_tshark(tshark):
    proc = tshark.run(["-r", str(CAPTURE), "-q", "-X", "es.nod=localhost:9200"], check=False)
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert "es.nod" in err and "unknown setting" in err and "es.node" in err


@pytest.mark.parametrize("arg,fragment", [
    ("es.bulk_docs=0", "es.bulk_docs: invalid value \"0\"; accepted: a whole number from 1 to 100000"),
    ("es.raw=perhaps", "es.raw: invalid value \"perhaps\"; accepted: TRUE or FALSE"),
    ("es.compression=zstd", "accepted: one of auto, off, gzip"),
    ("es.node=ftp://h", "es.node: unsupported scheme"),
    ("es.index=Packets", "es.index:"),
])
def test_invalid_value_stops_tshark(arg, fragment, tshark):
    args = ["-r", str(CAPTURE), "-q", "-X", arg]
    if not arg.startswith("es.node"):
        args += ["-X", "es.node=-"]
    proc = tshark.run(args, check=False)
    assert proc.returncode != 0
    assert fragment in proc.stderr.decode()


def test_bad_display_filter_stops_tshark(tshark):
    proc = tshark.run(["-r", str(CAPTURE), "-q", "-X", "es.node=-", "-X", "es.filter=tcp.port =="],
                      check=False)
    assert proc.returncode != 0
    assert "es.filter" in proc.stderr.decode()


def test_filter_protocols_exclude_raw(tshark, workdir):
    out = workdir / "select.ndjson"
    proc = tshark.run(["-r", str(CAPTURE), "-q", "-X", f"es.node=file:{out}",
                       "-X", "es.filter=http", "-X", "es.protocols=ip,http",
                       "-X", "es.exclude=ip.checksum,http.request", "-X", "es.raw=false"])
    s = summary(proc.stderr)
    lines = out.read_text().split("\n")[:-1]
    docs = [json.loads(line) for line in lines[1::2]]
    assert s["frames"] == len(docs) == 2         # the HTTP request and response
    for d in docs:
        assert "es.raw" not in d
        assert "ip.src" in d and "http" not in d
        assert d["frame.number"] > 0 and d["frame.cap_len"] > 0   # always: the frame's identity
        assert not any(k.startswith(("tcp.", "eth.", "frame.")) for k in d
                       if k not in ("frame.number", "frame.cap_len"))
        assert not any(k.startswith("ip.checksum") for k in d)
        assert not any(k == "http.request" or k.startswith("http.request.") for k in d)
    assert any("http.response.code" in d for d in docs)


def test_password_from_environment_not_command_line(tshark, workdir):
    """Secrets come from ES_PASSWORD / ES_API_KEY: -o cannot set password
    preferences, and command lines are visible to other users."""
    out = workdir / "secret.ndjson"
    proc = tshark.run(["-r", str(CAPTURE), "-q", "-X", f"es.node=file:{out}"],
                      env={"ES_PASSWORD": "s3cret"})
    assert summary(proc.stderr)["indexed"] == FRAMES
    assert "s3cret" not in out.read_text()


@pytest.mark.parametrize("compression", ["gzip", "off", "auto"])
def test_compression(compression, tshark, faulty, prefix):
    """gzip bodies reach the cluster compressed (the fault proxy's request
    log, no faults) and the real node takes them; auto means off for a node
    on this machine (the CPU costs more than the loopback saves)."""
    proxy = faulty()
    capture = SHARED / "captures" / "espcap-test_http.pcap"
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={proxy.url}",
                       "-X", f"es.compression={compression}", "-X", f"es.index={prefix}-%Y"])
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == s["dropped"] == 0
    assert len(set(proxy.upstream.ids(f"{prefix}-*"))) == frames
    bulks = [r for r in proxy.requests() if r["path"].startswith("/_bulk")]
    assert bulks and all(r["status"] == 200 for r in bulks)
    if compression == "gzip":
        assert all(r["encoding"] == "gzip" and r["bytes"] * 3 < r["body_bytes"] for r in bulks)
    else:
        assert all(r["encoding"] == "" for r in bulks)
