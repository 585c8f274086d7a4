# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault proxy (faultproxy.py), in front of the fast sink: what it
forwards, what it withholds, and how it answers for what it withheld.
(tests/integration checks its answers against a real node's.)"""

import base64
import gzip
import http.client
import json
import pathlib
import socket
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from cluster import FastSink, FaultProxy  # noqa: E402
from faultproxy import has_field  # noqa: E402

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture(scope="module")
def sink():
    with FastSink() as s:
        yield s


@pytest.fixture
def proxy(sink):
    """proxy(**faults): a proxy in front of the sink, stopped after the test."""
    started = []

    def start(**faults):
        p = FaultProxy(sink, **faults).start()
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def bulk_body(index, ids, docs=None):
    lines = []
    for n, doc_id in enumerate(ids):
        lines += [{"create": {"_index": index, "_id": doc_id}}, (docs or {}).get(doc_id, {"n": n})]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def bulk(server, index, ids, docs=None, gzipped=False):
    body = bulk_body(index, ids, docs)
    headers = dict(NDJSON)
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return server.request("POST", "/_bulk", body, headers)


def answers(body):
    """[(_id, status, error type)] of a bulk answer."""
    out = []
    for item in body["items"]:
        (op, r), = item.items()
        out.append((r["_id"], r["status"], r.get("error", {}).get("type")))
    return out


def stored(sink, index):
    return sink.stats()["indices"].get(index, 0)


def test_passes_everything_through(proxy, sink):
    p = proxy()
    assert p.request("GET", "/") == sink.request("GET", "/")
    status, body = bulk(p, "p-pass", ["a", "b"])
    assert status == 200 and answers(body) == [("a", 201, None), ("b", 201, None)]
    assert stored(sink, "p-pass") == 2
    assert bulk(p, "p-pass", ["a"])[1]["items"][0]["create"]["status"] == 409   # the sink's own 409
    log = p.requests()
    assert [(r["method"], r["path"], r["status"], r["fault"]) for r in log] == [
        ("GET", "/", 200, ""), ("POST", "/_bulk", 200, ""), ("POST", "/_bulk", 200, "")]


def test_gzip_bodies_go_upstream_compressed(proxy, sink):
    p = proxy()
    before = sink.stats().get("gzip_requests", 0)
    status, body = bulk(p, "p-gzip", [str(i) for i in range(100)], gzipped=True)
    assert status == 200 and not body["errors"] and stored(sink, "p-gzip") == 100
    assert sink.stats()["gzip_requests"] == before + 1
    entry = p.requests(last=1)[0]
    assert entry["encoding"] == "gzip" and entry["bytes"] * 3 < entry["body_bytes"]


def test_keep_alive(proxy):
    p = proxy()
    conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
    sockets = set()
    for n in range(3):
        conn.request("POST", "/_bulk", bulk_body("p-keep", [str(n)]), NDJSON)
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["items"][0]["create"]["status"] == 201
        sockets.add(id(conn.sock))
    conn.close()
    assert len(sockets) == 1


def test_whole_bulk_429_with_retry_after(proxy, sink):
    p = proxy(bulk_429_ratio=1)
    conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
    conn.request("POST", "/_bulk", bulk_body("p-429", ["a"]), NDJSON)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 429 and resp.getheader("Retry-After") == "1"
    assert body["error"]["type"] == "es_rejected_execution_exception" and body["status"] == 429
    assert stored(sink, "p-429") == 0
    p.set_faults(retry_after_s=0)
    conn.request("POST", "/_bulk", bulk_body("p-429", ["a"]), NDJSON)
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 429 and resp.getheader("Retry-After") is None
    assert p.stats()["faults"] == {"bulk_429": 2}


def test_item_429s_withheld_and_merged_in_order(proxy, sink):
    ids = [f"i{n}" for n in range(40)]
    p = proxy(seed=3, item_429_ratio=0.5)
    status, body = bulk(p, "p-items", ids)
    got = answers(body)
    assert status == 200 and body["errors"] is True and list(body)[:2] == ["errors", "took"]
    assert [g[0] for g in got] == ids
    refused = [i for i, s, t in got if s == 429]
    assert all(t == "es_rejected_execution_exception" for _, s, t in got if s == 429)
    assert all(s == 201 for _, s, _ in got if s != 429)
    assert 0 < len(refused) < len(ids)
    assert stored(sink, "p-items") == len(ids) - len(refused)     # the withheld ones never went upstream
    stats = p.stats()
    assert (stats["items_withheld"], stats["items_forwarded"]) == (len(refused), len(ids) - len(refused))
    # The same seed withholds the same items; another seed others.
    again = answers(bulk(proxy(seed=3, item_429_ratio=0.5), "p-items-again", ids)[1])
    other = answers(bulk(proxy(seed=4, item_429_ratio=0.5), "p-items-other", ids)[1])
    assert [s for _, s, _ in again] == [s for _, s, _ in got]
    assert [s for _, s, _ in other] != [s for _, s, _ in got]


def test_item_faults_on_a_gzip_bulk(proxy, sink):
    p = proxy(seed=1, item_429_ratio=0.5)
    before = sink.stats().get("gzip_requests", 0)
    status, body = bulk(p, "p-items-gz", [str(i) for i in range(20)], gzipped=True)
    passed = sum(s == 201 for _, s, _ in answers(body))
    assert status == 200 and 0 < passed < 20 and stored(sink, "p-items-gz") == passed
    assert sink.stats()["gzip_requests"] == before + 1


def test_all_items_withheld_nothing_forwarded(proxy, sink):
    p = proxy(item_429_ratio=1)
    requests = sink.stats().get("bulk_requests", 0)
    status, body = bulk(p, "p-none", ["a", "b"])
    assert status == 200 and [s for _, s, _ in answers(body)] == [429, 429]
    status, body = p.request("POST", "/p-none/_bulk", b'{"create":{"_id":"c"}}\n{}\n', NDJSON)
    assert status == 200 and body["items"][0]["create"]["_index"] == "p-none"    # the index of the path
    assert sink.stats()["bulk_requests"] == requests


def send_raw(port, body):
    """One bulk on a fresh connection: (status, body), or the exception."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/_bulk", body, NDJSON)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (ConnectionError, http.client.HTTPException) as e:
        return e
    finally:
        conn.close()


def test_reset_before_the_bulk_reaches_upstream(proxy, sink):
    p = proxy(reset_ratio=1)
    outcome = send_raw(p.port, bulk_body("p-reset", ["a"]))
    assert isinstance(outcome, (ConnectionError, http.client.RemoteDisconnected)), outcome
    assert stored(sink, "p-reset") == 0
    assert p.requests(last=1)[0]["fault"] == "reset"


def test_reset_after_the_bulk_was_stored(proxy, sink):
    p = proxy(reset_ratio=1, reset_after_store=True)
    outcome = send_raw(p.port, bulk_body("p-stored", ["a"]))
    assert isinstance(outcome, (ConnectionError, http.client.RemoteDisconnected)), outcome
    assert stored(sink, "p-stored") == 1
    assert p.requests(last=1)[0]["fault"] == "reset_after_store"
    assert p.stats()["faults"] == {"reset": 1}


def test_unavailable_window(proxy, sink):
    p = proxy(unavailable_seconds=1.5)
    status, body = p.request("GET", "/")
    assert status == 503 and body["error"]["type"] == "cluster_block_exception"
    assert bulk(p, "p-503", ["a"])[0] == 503 and stored(sink, "p-503") == 0
    time.sleep(1.6)
    assert p.request("GET", "/")[0] == 200 and bulk(p, "p-503", ["a"])[0] == 200
    assert p.stats()["faults"] == {"unavailable": 2}


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_down_window_refuses_connections_then_listens_again(proxy):
    p = proxy()
    assert bulk(p, "p-down", ["a"])[0] == 200
    p.set_faults(down_seconds=1.5)
    assert refused(p.port)
    deadline = time.monotonic() + 10
    while refused(p.port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bulk(p, "p-down", ["b"])[0] == 200
    assert p.stats()["bulk_requests"] == 2           # the same proxy, on the same port


def test_down_from_the_start(proxy):
    p = proxy(down_seconds=1.5)
    assert refused(p.port)
    time.sleep(2)
    assert p.request("GET", "/")[0] == 200


def test_delay_slows_bulk_answers_only(proxy):
    p = proxy(delay_ms=400)
    t0 = time.monotonic()
    p.request("GET", "/")
    fast = time.monotonic() - t0
    t0 = time.monotonic()
    assert bulk(p, "p-slow", ["a"])[0] == 200
    assert time.monotonic() - t0 >= 0.4 > fast
    assert p.stats()["faults"] == {"delay": 1}


def test_read_only_index_block(proxy, sink):
    p = proxy(read_only_seconds=1.5)
    status, body = bulk(p, "p-ro", ["a", "b"])
    assert status == 200 and body["errors"] is True
    for item in body["items"]:
        error = item["create"]["error"]
        assert item["create"]["status"] == 429 and error["type"] == "cluster_block_exception"
        assert error["reason"].startswith("index [p-ro] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded "
                                          "flood-stage watermark, index has read-only-allow-delete block")
    assert stored(sink, "p-ro") == 0
    time.sleep(1.6)
    assert not bulk(p, "p-ro", ["a", "b"])[1]["errors"] and stored(sink, "p-ro") == 2


def test_read_only_cluster_block(proxy, sink):
    p = proxy(read_only_seconds=30, read_only_block="cluster")
    status, body = bulk(p, "p-ro-cluster", ["a"])
    assert status == 403
    assert body["error"]["reason"] == "blocked by: [FORBIDDEN/13/cluster read-only / allow delete (api)];"
    assert p.request("GET", "/")[0] == 200            # reads pass
    assert stored(sink, "p-ro-cluster") == 0


def test_rejected_field_in_any_spelling(proxy, sink):
    p = proxy(reject_field="a.b")
    docs = {"flat": {"a.b": 1}, "nested": {"a": {"b": "x"}}, "mixed": {"a": [{"c": 1}, {"b": 2}]},
            "other": {"a": {"c": 1}}, "prefix": {"a.bc": 1}}
    status, body = bulk(p, "p-field", list(docs), docs)
    got = {i: (s, t) for i, s, t in answers(body)}
    for doc_id in ("flat", "nested", "mixed"):
        assert got[doc_id] == (400, "document_parsing_exception")   # the sink says it is Elasticsearch 8.19
    assert got["other"] == got["prefix"] == (201, None)
    reason = body["items"][0]["create"]["error"]["reason"]
    assert "failed to parse field [a.b]" in reason and "document with id 'flat'" in reason
    assert stored(sink, "p-field") == 2
    p.set_faults(reject_field=None)
    assert not bulk(p, "p-field", ["flat"], docs)[1]["errors"]


def test_has_field():
    assert has_field({"a.b.c": 1}, "a.b.c") and has_field({"a": {"b.c": 1}}, "a.b.c")
    assert has_field({"a.b": {"c": [1]}}, "a.b.c") and has_field([{"x": 1}, {"a": {"b": 1}}], "a.b")
    assert not has_field({"a": {"b": 1}}, "a.b.c") and not has_field({"ab": 1}, "a.b")


def test_malformed_bulk_goes_upstream_untouched(proxy, sink):
    p = proxy(item_429_ratio=1)
    status, body = p.request("POST", "/_bulk", b'{"create":\n{}\n', NDJSON)
    assert status == 400 and "Malformed action/metadata line [1]" in body["error"]["reason"]   # the sink's words


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_security(proxy, sink):
    """401 as Elasticsearch with security answers it, unless the
    credentials are the ones required; then the request goes upstream."""
    p = proxy(user="elastic", password="right", api_key="k3y")
    cases = [({}, "missing authentication credentials for REST request [/_bulk]"),
             (basic("elastic", "wrong"), "unable to authenticate user [elastic] for REST request [/_bulk]"),
             ({"Authorization": "ApiKey nope"}, "unable to authenticate with provided credentials")]
    for headers, reason in cases:
        status, body = p.request("POST", "/_bulk", bulk_body("p-auth", ["a"]), {**NDJSON, **headers})
        assert status == 401 and body["error"]["type"] == "security_exception", body
        assert body["error"]["reason"].startswith(reason)
    assert stored(sink, "p-auth") == 0
    for headers in (basic("elastic", "right"), {"Authorization": "ApiKey k3y"}):
        assert p.request("GET", "/", headers=headers)[0] == 200
    conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
    conn.request("GET", "/")
    resp = conn.getresponse()
    resp.read()
    assert resp.getheader("WWW-Authenticate").startswith('Basic realm="security"')
    assert resp.getheader("X-elastic-product") is None
    assert p.stats()["faults"]["auth"] == 4


def test_control_api(proxy):
    p = proxy()
    assert p.request("POST", "/_proxy/faults", {"bulk_429": 1})[0] == 400
    status, body = p.request("POST", "/_proxy/faults", {"item_429_ratio": 2})
    assert status == 400 and "out of range" in body["error"]
    assert p.request("POST", "/_proxy/faults", {"read_only_block": "disk"})[0] == 400
    assert p.set_faults(reject_field="x")["reject_field"] == "x"
    assert p.set_faults(reject_field=None)["reject_field"] is None
    assert p.request("GET", "/_proxy/nothing")[0] == 404
    for n in range(3):
        p.request("GET", f"/?n={n}")
    assert [r["path"] for r in p.requests(last=2)] == ["/?n=1", "/?n=2"]
    assert set(p.requests(last=1)[0]) == {"method", "path", "status", "bytes", "encoding", "body_bytes", "fault",
                                          "ms"}


def test_upstream_gone_is_a_502():
    with FastSink() as gone:
        p = FaultProxy(gone).start()
    try:
        status, body = p.request("GET", "/")
        assert status == 502 and p.stats()["upstream_errors"] == 1
    finally:
        p.stop()
