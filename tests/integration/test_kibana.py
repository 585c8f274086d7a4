# SPDX-License-Identifier: GPL-2.0-or-later
"""The saved objects of ui/kibana: their structure as the saved-objects
export format has it (every line an object, ids unique, every reference
resolving, panels and searches pointing at the data view), the committed
files equal to their generator's output, every field a visualisation uses
mapped with the type its aggregation needs in a real engine after the
shared captures are indexed (es8 for Kibana's file, os2 for OpenSearch
Dashboards'), and scripts/wireshark-es-kibana's import request.  No Kibana
runs here: a small local HTTP server stands in for it and checks the
multipart request the script sends."""

import http.server
import json
import re
import subprocess
import threading

import pytest

from conftest import ROOT, SHARED
from helpers import summary

KIBANA = ROOT / "ui" / "kibana"
FILES = {"packets.ndjson": "es8", "packets-opensearch.ndjson": "os2"}
# DNS with an NXDOMAIN answer, HTTP hosts and codes with a reset, a TCP
# retransmission, a TLS server name
CAPTURES = ["6-4-gre-ppp-udp-4-dns.pcap", "http-xff.pcap", "http-tcp-seq-issue.pcap", "tls-alpn-h2.pcap"]
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "unsigned_long", "scaled_float"}
NEEDS = {"terms": NUMERIC | {"keyword", "ip", "boolean"}, "sum": NUMERIC,
         "date_histogram": {"date", "date_nanos"}}
QUERY_FIELD = re.compile(r"([A-Za-z_@][\w.@]*):")


def load(name):
    return [json.loads(line) for line in (KIBANA / name).read_text().splitlines()]


def used_fields(objects):
    """(aggregation type, field) of every visualisation's aggregations, and
    the fields its query and the saved search's columns name."""
    aggs, named = set(), set()
    for o in objects:
        a = o["attributes"]
        if o["type"] == "visualization":
            for agg in json.loads(a["visState"])["aggs"]:
                if "field" in agg["params"]:
                    aggs.add((agg["type"], agg["params"]["field"]))
        if "kibanaSavedObjectMeta" in a:
            query = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
            named |= set(QUERY_FIELD.findall(query))
        named |= set(a.get("columns", []))
    return aggs, named


@pytest.mark.parametrize("name", FILES)
def test_structure(name):
    objects = load(name)
    by_id = {(o["type"], o["id"]): o for o in objects}
    assert len(by_id) == len(objects), "ids not unique"
    opensearch = "opensearch" in name
    for o in objects:
        assert set(o) >= {"type", "id", "attributes", "references"}
        if opensearch:
            assert o["migrationVersion"] == {o["type"]: o["migrationVersion"][o["type"]]}
        else:
            assert o["coreMigrationVersion"] and o["typeMigrationVersion"]
        for ref in o["references"]:
            assert (ref["type"], ref["id"]) in by_id, f"{o['id']}: reference {ref} does not resolve"
        refs = {r["name"] for r in o["references"]}
        meta = o["attributes"].get("kibanaSavedObjectMeta")
        if meta and o["type"] != "dashboard":
            src = json.loads(meta["searchSourceJSON"])
            assert src["indexRefName"] in refs
        if o["type"] == "dashboard":
            panels = json.loads(o["attributes"]["panelsJSON"])
            assert len(panels) >= 10 and {p["panelRefName"] for p in panels} == refs
    views = [o for o in objects if o["type"] == "index-pattern"]
    assert [v["attributes"]["title"] for v in views] == ["packets-*"]
    assert views[0]["attributes"]["timeFieldName"] == "@timestamp"
    dashboards = [o for o in objects if o["type"] == "dashboard"]
    assert [d["attributes"]["title"] for d in dashboards] == ["Packets"]
    (search,) = [o for o in objects if o["type"] == "search"]
    info, proto = ("_ws_col_info", "_ws_col_protocol") if opensearch else ("_ws.col.info", "_ws.col.protocol")
    number, length = ("frame_number", "frame_len") if opensearch else ("frame.number", "frame.len")
    assert search["attributes"]["columns"][0] == number and info in search["attributes"]["columns"]
    assert {proto, length} <= set(search["attributes"]["columns"])
    aggs, _ = used_fields(objects)
    assert {t for t, _ in aggs} == set(NEEDS)
    assert all(("." in f) != opensearch or f == "@timestamp" for _, f in aggs)


def test_files_equal_generator():
    proc = subprocess.run([str(KIBANA / "generate.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def flat_properties(props, prefix=""):
    out = {}
    for k, v in props.items():
        if "properties" in v:
            out.update(flat_properties(v["properties"], f"{prefix}{k}."))
        else:
            out[prefix + k] = v.get("type", "object")
    return out


@pytest.mark.parametrize("name", FILES)
def test_fields_in_real_mapping(name, engine, tshark):
    node = engine(FILES[name])
    index = "kibana-fields"
    node.clean(index)
    for capture in CAPTURES:
        s = summary(tshark.run(["-r", str(SHARED / "captures" / capture), "-q", "-X", f"es.node={node.url}",
                                "-X", f"es.index={index}"]).stderr)
        assert s["indexed"] == s["frames"] > 0
    status, mapping = node.request("GET", f"/{index}/_mapping")
    assert status == 200, mapping
    types = flat_properties(mapping[index]["mappings"]["properties"])
    aggs, named = used_fields(load(name))
    for agg, field in sorted(aggs):
        assert types.get(field) in NEEDS[agg], f"{agg} on {field}: mapped as {types.get(field)}"
    missing = sorted(f for f in named if f not in types)
    assert not missing, f"not in the mapping: {missing}"
    node.clean(index)


class FakeKibana(http.server.BaseHTTPRequestHandler):
    """Records the request; answers with the class's status and body."""
    answer = (200, {"success": True, "successCount": 14, "errors": []})
    requests = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeKibana.requests.append((self.path, self.headers, body))
        status, answer = FakeKibana.answer
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def kibana():
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeKibana.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def run_script(*args, env=None):
    return subprocess.run([str(ROOT / "scripts" / "wireshark-es-kibana"), *args], capture_output=True,
                          text=True, timeout=60, env=env)


def test_script_multipart_import(kibana, monkeypatch):
    env = {"PATH": "/usr/bin:/bin", "ES_API_KEY": "aWQ6a2V5"}
    FakeKibana.answer = (200, {"success": True, "successCount": 14, "errors": []})
    proc = run_script(kibana, "--space", "soc", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "imported 14 objects from packets.ndjson" in proc.stdout
    (path, headers, body), = FakeKibana.requests
    assert path == "/s/soc/api/saved_objects/_import?overwrite=true"
    assert headers["kbn-xsrf"] == "true" and headers["osd-xsrf"] == "true"
    assert headers["Authorization"] == "ApiKey aWQ6a2V5"
    boundary = re.match(r"multipart/form-data; boundary=(\S+)$", headers["Content-Type"]).group(1)
    parts = body.split(f"--{boundary}".encode())
    assert parts[0] == b"" and parts[-1] == b"--\r\n" and len(parts) == 3
    head, _, content = parts[1].partition(b"\r\n\r\n")
    assert b'Content-Disposition: form-data; name="file"; filename="packets.ndjson"' in head
    assert content == (KIBANA / "packets.ndjson").read_bytes() + b"\r\n"

    FakeKibana.requests.clear()
    proc = run_script(kibana, "--opensearch", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and b'filename="packets-opensearch.ndjson"' in FakeKibana.requests[0][2]
    assert FakeKibana.requests[0][0] == "/api/saved_objects/_import?overwrite=true"
    assert "Authorization" not in FakeKibana.requests[0][1]


def test_script_errors(kibana):
    env = {"PATH": "/usr/bin:/bin"}
    FakeKibana.answer = (200, {"success": False, "successCount": 13, "errors": [
        {"type": "dashboard", "id": "x", "title": "Packets", "error": {"type": "missing_references"}}]})
    proc = run_script(kibana, env=env)
    assert proc.returncode == 1 and "missing_references" in proc.stderr and "1 refused" in proc.stdout
    FakeKibana.answer = (401, {"statusCode": 401, "error": "Unauthorized"})
    proc = run_script(kibana, env=env)
    assert proc.returncode == 3 and "credentials were refused" in proc.stderr
    FakeKibana.answer = (404, {"statusCode": 404})
    proc = run_script(kibana, env=env)
    assert proc.returncode == 3 and "is this Kibana" in proc.stderr
    proc = run_script("http://127.0.0.1:1", env=env)
    assert proc.returncode == 3 and "connection refused" in proc.stderr
    assert run_script("kibana:5601", env=env).returncode == 2
    assert run_script(kibana, "--space", "a/b", env=env).returncode == 2
    assert run_script(kibana, "--file", "/nonexistent.ndjson", env=env).returncode == 2
    proc = run_script("--help", env=env)
    assert proc.returncode == 0 and "saved_objects/_import" in proc.stdout
