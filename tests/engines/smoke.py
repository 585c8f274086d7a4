#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a running engine can do, checked over HTTP:

    tests/engines/smoke.py URL [--nodes N]

GET / and the node's modules; an index whose mapping uses long, keyword,
ip, date_nanos, unsigned_long, copy_to and alias (the field types the
plugin's templates use); a bulk request; searches on each field; a point
in time paged with search_after (OpenSearch's _search/point_in_time or
Elasticsearch's _pit); best_compression; a data stream; then probes of
more field types and APIs.  Prints one line per feature.  Exits 1 when
something every engine must do fails; a field type or API the engine
lacks is reported, not fatal."""
import json
import sys
import urllib.error
import urllib.request

INDEX = "smoke-engine"
OPTIONAL_TYPES = {"unsigned_long": {"type": "unsigned_long"}, "date_nanos": {"type": "date_nanos"}}
# Field types only probed: does a mapping with them pass?
PROBED_TYPES = {
    "constant_keyword": {"type": "constant_keyword", "value": "x"},
    "flattened": {"type": "flattened"},
    "flat_object": {"type": "flat_object"},
    "wildcard": {"type": "wildcard"},
    "match_only_text": {"type": "match_only_text"},
    "scaled_float": {"type": "scaled_float", "scaling_factor": 100},
    "version": {"type": "version"},
}
# APIs only probed: the status of a GET.
PROBED_APIS = ["/_data_stream", "/_resolve/index/*", "/_ilm/policy", "/_plugins/_ism/policies",
               "/_license", "/_xpack", "/_component_template"]


def call(base, method, path, body=None, ndjson=False):
    data = None
    headers = {}
    if body is not None:
        data = body.encode() if ndjson else json.dumps(body).encode()
        headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except OSError as e:
        return 599, {"error": f"{method} {path}: {e}"}


class Report:
    def __init__(self):
        self.fatal = False

    def line(self, ok, what, detail=""):
        print(f"{'ok ' if ok else 'NO '} {what}{': ' + detail if detail else ''}")

    def must(self, ok, what, detail=""):
        self.line(ok, what, detail)
        self.fatal |= not ok
        return ok


def error_of(body):
    err = body.get("error", body)
    if isinstance(err, dict):
        err = err.get("root_cause", [err])[0].get("reason", err)
    return str(err)[:160]


def mapping(types):
    props = {
        "n": {"type": "long"},
        "k": {"type": "keyword", "copy_to": "all"},
        "all": {"type": "text"},
        "ip": {"type": "ip"},
        "ts": {"type": "date"},
        "k_alias": {"type": "alias", "path": "k"},
    }
    props.update({name: spec for name, spec in OPTIONAL_TYPES.items() if name in types})
    return {"settings": {"number_of_replicas": 0}, "mappings": {"properties": props}}


def create_index(base, rep):
    call(base, "DELETE", "/" + INDEX)
    usable = []
    for name in OPTIONAL_TYPES:
        status, body = call(base, "PUT", "/" + INDEX, mapping([name]))
        rep.line(status == 200, f"field type {name}", "" if status == 200 else error_of(body))
        if status == 200:
            usable.append(name)
        call(base, "DELETE", "/" + INDEX)
    status, body = call(base, "PUT", "/" + INDEX, mapping(usable))
    rep.must(status == 200, "index with long, keyword, ip, date, copy_to, alias" + "".join(", " + u for u in usable),
             "" if status == 200 else error_of(body))
    return usable


def bulk(base, rep, usable):
    lines = []
    for i in range(5):
        doc = {"n": i, "k": f"key-{i}", "ip": f"10.0.0.{i}", "ts": f"2024-01-0{i + 1}T00:00:00Z"}
        if "unsigned_long" in usable:
            doc["unsigned_long"] = 18446744073709551615 - i
        if "date_nanos" in usable:
            doc["date_nanos"] = f"2024-01-01T00:00:00.12345678{i}Z"
        lines += [json.dumps({"index": {"_index": INDEX, "_id": str(i)}}), json.dumps(doc)]
    status, body = call(base, "POST", "/_bulk?refresh=true", "\n".join(lines) + "\n", ndjson=True)
    rep.must(status == 200 and not body.get("errors"), "bulk of 5 documents",
             "" if status == 200 and not body.get("errors") else str(body)[:200])


def hits(base, query, sort=None):
    body = {"query": query, "size": 10}
    if sort:
        body["sort"] = sort
    status, res = call(base, "POST", f"/{INDEX}/_search", body)
    return status, res.get("hits", {}).get("hits", []), res


def searches(base, rep, usable):
    checks = [
        ("term on keyword", {"term": {"k": "key-3"}}, None, ["3"]),
        ("range on long", {"range": {"n": {"gte": 3}}}, [{"n": "asc"}], ["3", "4"]),
        ("ip range (CIDR)", {"term": {"ip": "10.0.0.0/31"}}, [{"n": "asc"}], ["0", "1"]),
        ("match on the copy_to field", {"match": {"all": {"query": "key-2", "operator": "and"}}}, None, ["2"]),
        ("term on the alias field", {"term": {"k_alias": "key-4"}}, None, ["4"]),
    ]
    if "unsigned_long" in usable:
        checks.append(("range on unsigned_long above 2^63", {"range": {"unsigned_long": {"gte": 18446744073709551614}}},
                       [{"n": "asc"}], ["0", "1"]))
    if "date_nanos" in usable:
        checks.append(("date_nanos sort", {"match_all": {}}, [{"date_nanos": "desc"}], ["4", "3", "2", "1", "0"]))
    for what, query, sort, want in checks:
        status, found, res = hits(base, query, sort)
        ids = [h["_id"] for h in found]
        rep.must(status == 200 and ids == want, what, "" if ids == want else f"got {ids} {error_of(res)}")


def modules_at_work(base, rep):
    body = {"query": {"term": {"k": "key-1"}},
            "script_fields": {"twice": {"script": {"lang": "painless", "source": "doc['n'].value * 2"}}}}
    status, res = call(base, "POST", f"/{INDEX}/_search", body)
    found = res.get("hits", {}).get("hits", [])
    got = found[0].get("fields", {}).get("twice") if found else None
    rep.line(got == [2], "painless script field", "" if got == [2] else error_of(res))
    pipeline = {"pipeline": {"processors": [{"grok": {"field": "m", "patterns": ["%{IP:client} %{WORD:verb}"]}}]},
                "docs": [{"_source": {"m": "10.1.2.3 GET"}}]}
    status, res = call(base, "POST", "/_ingest/pipeline/_simulate", pipeline)
    doc = (res.get("docs") or [{}])[0].get("doc", {}).get("_source", {})
    rep.line(doc.get("client") == "10.1.2.3", "ingest pipeline with grok", "" if doc.get("client") else error_of(res))


def best_compression(base, rep):
    # Elasticsearch 8.16 and later store such indices with zstd, a native
    # library a distribution ships in lib/platform.
    name = INDEX + "-zstd"
    call(base, "DELETE", "/" + name)
    status, body = call(base, "PUT", "/" + name,
                        {"settings": {"number_of_replicas": 0, "index.codec": "best_compression"}})
    if status == 200:
        status, body = call(base, "PUT", f"/{name}/_doc/1?refresh=true", {"m": "x" * 1000})
    if status in (200, 201):
        status, body = call(base, "POST", f"/{name}/_flush")
    if status == 200:
        status, body = call(base, "GET", f"/{name}/_doc/1")
    ok = status == 200 and body.get("_source", {}).get("m") == "x" * 1000
    rep.line(ok, "index.codec best_compression (written, flushed, read)", "" if ok else error_of(body))
    call(base, "DELETE", "/" + name)


def probes(base, rep):
    name = INDEX + "-probe"
    for field, spec in PROBED_TYPES.items():
        call(base, "DELETE", "/" + name)
        status, body = call(base, "PUT", "/" + name, {"mappings": {"properties": {"f": spec}}})
        rep.line(status == 200, f"field type {field}", "" if status == 200 else error_of(body))
    call(base, "DELETE", "/" + name)
    for path in PROBED_APIS:
        status, body = call(base, "GET", path)
        rep.line(status == 200, f"GET {path}", "" if status == 200 else f"{status} {error_of(body)}")


def data_stream(base, rep):
    # Without the _data_stream API (Elastic's data-streams module) a data
    # stream made here stays: the name is fixed so that it is made once.
    name = INDEX + "-ds"
    template = {"index_patterns": [name + "*"], "data_stream": {}, "priority": 500,
                "template": {"settings": {"number_of_replicas": 0}}}
    status, body = call(base, "PUT", "/_index_template/" + name, template)
    if status == 200:
        doc = json.dumps({"@timestamp": "2024-01-01T00:00:00Z", "n": 1})
        status, body = call(base, "POST", f"/{name}/_bulk?refresh=true", '{"create":{}}\n' + doc + "\n", ndjson=True)
        status = 201 if status == 200 and not body.get("errors") else status
    if status == 201:
        status, body = call(base, "GET", f"/{name}/_count")
    ok = status == 200 and body.get("count", 0) >= 1
    rep.line(ok, "data stream through an index template and bulk create", "" if ok else error_of(body))
    call(base, "DELETE", "/_data_stream/" + name)
    call(base, "DELETE", "/_index_template/" + name)


def open_pit(base):
    status, body = call(base, "POST", f"/{INDEX}/_search/point_in_time?keep_alive=1m")
    if status == 200 and "pit_id" in body:
        return "OpenSearch _search/point_in_time", body["pit_id"], lambda: call(
            base, "DELETE", "/_search/point_in_time", {"pit_id": [body["pit_id"]]})
    status2, body2 = call(base, "POST", f"/{INDEX}/_pit?keep_alive=1m")
    if status2 == 200 and "id" in body2:
        return "Elasticsearch _pit", body2["id"], lambda: call(base, "DELETE", "/_pit", {"id": body2["id"]})
    return None, f"{error_of(body)} / {error_of(body2)}", None


def point_in_time(base, rep):
    kind, pit, close = open_pit(base)
    if kind is None:
        rep.line(False, "point in time", pit)
        return
    seen, after = [], None
    for _ in range(5):
        body = {"size": 2, "pit": {"id": pit, "keep_alive": "1m"}, "sort": [{"n": "asc"}]}
        if after:
            body["search_after"] = after
        status, res = call(base, "POST", "/_search", body)
        page = res.get("hits", {}).get("hits", [])
        if status != 200 or not page:
            break
        seen += [h["_id"] for h in page]
        after = page[-1]["sort"]
        pit = res.get("pit_id", pit)
    status, _ = close()
    rep.must(seen == ["0", "1", "2", "3", "4"] and status == 200, f"point in time ({kind}) with search_after",
             "" if seen == ["0", "1", "2", "3", "4"] else f"pages gave {seen}")


def about(base, rep, nodes):
    status, root = call(base, "GET", "/")
    version = root.get("version", {})
    rep.must(status == 200 and "number" in version, "GET /",
             f"{version.get('distribution', 'elasticsearch')} {version.get('number')}, tagline {root.get('tagline')!r}")
    status, health = call(base, "GET", f"/_cluster/health?wait_for_nodes={nodes}&timeout=30s")
    rep.must(health.get("number_of_nodes") == nodes, "cluster nodes", f"{health.get('number_of_nodes')} of {nodes}")
    status, info = call(base, "GET", "/_nodes/_local/plugins")
    node = next(iter(info.get("nodes", {}).values()), {})
    modules = [m["name"] for m in node.get("modules", [])] + [p["name"] for p in node.get("plugins", [])]
    rep.line(bool(modules), "modules", " ".join(modules))


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    base = args[0].rstrip("/")
    nodes = int(args[args.index("--nodes") + 1]) if "--nodes" in args else 1
    rep = Report()
    about(base, rep, nodes)
    usable = create_index(base, rep)
    if not rep.fatal:
        bulk(base, rep, usable)
        searches(base, rep, usable)
        modules_at_work(base, rep)
        best_compression(base, rep)
        data_stream(base, rep)
        probes(base, rep)
        point_in_time(base, rep)
    call(base, "DELETE", "/" + INDEX)
    sys.exit(1 if rep.fatal else 0)


if __name__ == "__main__":
    main()
