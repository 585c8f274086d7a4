# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmark's counting sink (fastsink.c, built as build/tests/fastsink): per-item bulk answers as
Elasticsearch 8 gives them, without parsing documents."""

import gzip
import json
import pathlib
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from cluster import FastSink  # noqa: E402

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(*lines):
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()


def raw_bulk(sink, body, headers=NDJSON):
    """The answer's bytes, as they came."""
    req = urllib.request.Request(sink.url + "/_bulk", data=body, method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read()


def create(index, doc_id, doc=None):
    return [{"create": {"_index": index, "_id": doc_id}}, doc if doc is not None else {"n": doc_id}]


@pytest.fixture(scope="module")
def sink():
    with FastSink() as s:
        yield s


def test_answers_get_root_as_elasticsearch_8(sink):
    status, body = sink.request("GET", "/")
    assert status == 200
    assert body["version"]["number"].startswith("8.") and body["tagline"] == "You Know, for Search"


def test_every_item_answered_in_order(sink):
    lines = create("s-order", "a") + create("s-order", "b") + [{"index": {"_index": "s-order", "_id": "a"}}, {}]
    status, body = sink.request("POST", "/_bulk", ndjson(*lines), NDJSON)
    assert status == 200 and body["errors"] is False
    got = [(op, i["_id"], i["status"], i.get("result")) for op, i in (next(iter(x.items())) for x in body["items"])]
    assert got == [("create", "a", 201, "created"), ("create", "b", 201, "created"), ("index", "a", 200, "updated")]
    assert [i[op]["_version"] for i, op in zip(body["items"], ("create", "create", "index"))] == [1, 1, 2]


def test_errors_comes_first(sink):
    """The exporter's fast path reads `{"errors":false` at the start."""
    assert raw_bulk(sink, ndjson(*create("s-first", "x"))).startswith(b'{"errors":false,')


def test_repeated_create_is_a_conflict(sink):
    body = ndjson(*create("s-dup", "1"), *create("s-dup", "2"))
    sink.request("POST", "/_bulk", body, NDJSON)
    status, again = sink.request("POST", "/_bulk", body, NDJSON)
    assert status == 200 and again["errors"] is True
    for item in again["items"]:
        assert item["create"]["status"] == 409
        assert item["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert sink.stats()["indices"]["s-dup"] == 2


def test_documents_are_not_parsed(sink):
    """A document line that is not JSON is still counted: only ids are kept."""
    status, body = sink.request("POST", "/_bulk", ndjson({"create": {"_index": "s-raw", "_id": "1"}}, "not json"),
                                NDJSON)
    assert status == 200 and body["items"][0]["create"]["status"] == 201


def test_operations_without_documents_are_refused_per_item(sink):
    status, body = sink.request("POST", "/_bulk", ndjson({"delete": {"_index": "s-del", "_id": "1"}}, *create(
        "s-del", "2")), NDJSON)
    assert status == 200 and body["errors"] is True
    assert body["items"][0]["delete"]["status"] == 400 and body["items"][1]["create"]["status"] == 201


def test_gzip_bodies(sink):
    body = ndjson(*create("s-gz", "1", {"text": "abc" * 1000}))
    packed = gzip.compress(body)
    before = sink.stats()
    raw = raw_bulk(sink, packed, {**NDJSON, "Content-Encoding": "gzip"})
    assert json.loads(raw)["items"][0]["create"]["status"] == 201
    after = sink.stats()
    assert after["gzip_requests"] == before.get("gzip_requests", 0) + 1
    assert (after["bytes"] - before["bytes"], after["body_bytes"] - before["body_bytes"]) == (len(packed), len(body))


def test_index_from_the_path(sink):
    status, body = sink.request("POST", "/s-path/_bulk", ndjson({"create": {"_id": "1"}}, {}), NDJSON)
    assert status == 200 and body["items"][0]["create"]["_index"] == "s-path"


@pytest.mark.parametrize("body,reason", [
    (b"", "no requests added"),
    (ndjson({"create": {"_id": "1"}}, {}), "index is missing"),
    (ndjson('{"create":', "{}"), "Malformed action/metadata line [1]"),
])
def test_bad_bulks_are_refused_whole(sink, body, reason):
    status, res = sink.request("POST", "/_bulk", body, NDJSON)
    assert status == 400 and reason in res["error"]["reason"]


def test_template_and_mapping_requests(sink):
    """What the exporter asks before sending: a missing template, the
    feature probe, the template and the mappings."""
    assert sink.request("GET", "/_index_template/wireshark-es-x")[0] == 404
    assert sink.request("POST", "/_index_template/_simulate", {"index_patterns": ["x*"]})[0] == 200
    assert sink.request("PUT", "/_index_template/wireshark-es-x", {"index_patterns": ["x*"]}) == (
        200, {"acknowledged": True})
    assert sink.request("PUT", "/x*/_mapping?allow_no_indices=true", {"properties": {}})[0] == 200


def test_fast_enough_not_to_be_measured(sink):
    """50 000 items of a bulk of 25 MB answered within seconds (the plugin
    sends more than 50 000 documents per second into it on loopback)."""
    doc = json.dumps({"payload": "x" * 500})
    body = "".join(f'{{"create":{{"_index":"s-fast","_id":"{i}"}}}}\n{doc}\n' for i in range(50000)).encode()
    t0 = time.perf_counter()
    status, res = sink.request("POST", "/_bulk", body, NDJSON)
    seconds = time.perf_counter() - t0
    print(f"fast sink: {50000 / seconds:.0f} items/s")
    assert status == 200 and res["errors"] is False and len(res["items"]) == 50000
    assert seconds < 10


def test_store_keeps_created_documents(tmp_path):
    """--store: each created item's document line, by _id, in its index's
    file; a refused create and an update over one add none."""
    with FastSink("--store", str(tmp_path)) as s:
        lines = (create("s-store", "a", {"x": 1}) + create("s-store", "a", {"x": 2})
                 + [{"index": {"_index": "s-store", "_id": "a"}}, {"x": 3}]
                 + [{"create": {"_index": "s-store", "_id": "b"}}, '{"y":"\\t"}'])
        status, body = s.request("POST", "/_bulk", ndjson(*lines), NDJSON)
        assert status == 200 and body["errors"] is True
        kept = (tmp_path / "s-store.ndjson").read_bytes().splitlines()
    assert kept == [b'a\t{"x": 1}', b'b\t{"y":"\\t"}']


def test_chunked_and_deflate_bodies(sink):
    """Bodies as curl and other clients send them: chunked, deflate (zlib)."""
    import http.client
    import zlib
    body = ndjson(*create("s-chunk", "1"), *create("s-chunk", "2"))
    conn = http.client.HTTPConnection("127.0.0.1", sink.port, timeout=10)
    conn.putrequest("POST", "/_bulk")
    conn.putheader("Content-Type", "application/x-ndjson")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for i in range(0, len(body), 7):
        conn.send(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]))
    conn.send(b"0\r\n\r\n")
    answer = json.loads(conn.getresponse().read())
    assert [i["create"]["status"] for i in answer["items"]] == [201, 201]
    conn.close()
    raw = raw_bulk(sink, zlib.compress(ndjson(*create("s-chunk", "3"))), {**NDJSON, "Content-Encoding": "deflate"})
    assert json.loads(raw)["items"][0]["create"]["_id"] == "3"


def test_names_that_need_escaping(sink):
    """Action lines that are not the exporter's are parsed as JSON; names
    come back as JSON strings, a numeric _id as its digits."""
    status, body = sink.request("POST", "/_bulk", ndjson({"create": {"_index": 's-"é', "_id": "a\tb"}}, {},
                                                         {"index": {"_index": "s-num", "_id": 7}}, {}), NDJSON)
    assert status == 200
    assert body["items"][0]["create"]["_index"] == 's-"é' and body["items"][0]["create"]["_id"] == "a\tb"
    assert body["items"][1]["index"]["_id"] == "7"


def test_head_and_unknown_paths(sink):
    req = urllib.request.Request(sink.url + "/", method="HEAD")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and int(resp.headers["Content-Length"]) > 0 and resp.read() == b""
    status, body = sink.request("GET", "/nothing/here?x=1")
    assert status == 400 and body["error"] == "no handler found for uri [/nothing/here?x=1] and method [GET]"
