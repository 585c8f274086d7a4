# SPDX-License-Identifier: GPL-2.0-or-later
"""Every capture in ../shared into the cluster: every frame accepted exactly
once, no rejection, no duplicate key, and field values equal to what
`tshark -T fields` prints for the same frame."""

import re

import pytest

from conftest import captures
from helpers import FIELDS, capinfos_frames, compare_fields, fields_table, strict_loads, summary

CAPTURES = captures()


def slug(path):
    return re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture_into_cluster(capture, tshark, cluster):
    index = f"it-{slug(capture)}"
    cluster.delete(f"{index}-*")
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={cluster.url}",
                       "-X", f"es.index={index}-%Y.%m.%d"])
    s = summary(proc.stderr)
    assert s["frames"] == frames
    assert s["rejected"] == 0 and s["dropped"] == 0, proc.stderr.decode()[-2000:]
    assert s["indexed"] + s["present"] == frames

    docs = cluster.docs(f"{index}-*")
    assert len(docs) == frames
    assert len({d["_id"] for d in docs}) == frames
    by_frame = {}
    for d in docs:
        src = d["_source"]
        by_frame[src.get("frame.number", src.get("frame_number"))] = src
    assert sorted(by_frame) == list(range(1, frames + 1))
    if frames:
        problems = compare_fields(fields_table(tshark, capture), by_frame)
        assert not problems, "\n".join(problems[:30])


def read_ndjson(text):
    """Action/document pairs of a bulk body, checked line by line."""
    lines = text.split("\n")[:-1] if text else []   # not splitlines(): see test_bad_input
    assert len(lines) % 2 == 0
    pairs = []
    for i in range(0, len(lines), 2):
        action = strict_loads(lines[i])
        doc = strict_loads(lines[i + 1])
        assert list(action) == ["create"], action
        assert "_type" not in action["create"]
        pairs.append((action["create"], doc))
    return pairs


@pytest.mark.parametrize("sink", ["file", "stdout"])
@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture_to_ndjson(capture, sink, tshark, workdir):
    frames = capinfos_frames(capture)
    out = workdir / f"{slug(capture)}-{sink}.ndjson"
    node = f"file:{out}" if sink == "file" else "-"
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={node}"])
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["dropped"] == 0
    text = out.read_text() if sink == "file" else proc.stdout.decode()
    pairs = read_ndjson(text)
    assert len(pairs) == frames
    ids = [a["_id"] for a, _ in pairs]
    assert len(set(ids)) == frames
    by_frame = {d["frame.number"]: d for _, d in pairs}
    assert sorted(by_frame) == list(range(1, frames + 1))
    for action, doc in pairs:
        assert action["_id"].endswith(f"-{doc['frame.number']}")
        assert action["_index"].startswith("packets-")
        assert "@timestamp" in doc
        # An alias of @timestamp on every Wireshark (4.0 types it as a
        # relative time): an index shared by versions maps it one way.
        assert "frame.time_epoch" not in doc
    if frames and sink == "file":
        problems = compare_fields(fields_table(tshark, capture, FIELDS), by_frame)
        assert not problems, "\n".join(problems[:30])
