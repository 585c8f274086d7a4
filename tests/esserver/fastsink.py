#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A counting sink for benchmarks (scripts/bench): answers like one
Elasticsearch 8 node, fast enough not to be what is measured.  Bulk action
lines are read and every item gets a real per-item answer (201 created,
409 for a `create` whose _id the index already has, 200 for `index` over
one), but document lines are neither parsed nor stored: only ids are kept.
`GET /` says Elasticsearch 8.19.9 (the exporter's server detection), index
template and mapping requests are acknowledged, `GET /_sink/stats` counts.
With --store DIR the document of every created item is appended to
DIR/INDEX.ndjson as a line "_id<TAB>document" (scripts/bench-split
--compare reads them), each request's written before it is answered.

  fastsink.py --port 19710-19799 --port-file F [--store DIR]

Anything that needs the documents (mappings, search) is for a real engine:
scripts/engine.  Python standard library only."""

import argparse
import collections
import json
import re
import threading
import time
import zlib

import wire

ROOT = {"name": "fastsink", "cluster_name": "wireshark-es", "cluster_uuid": "fastsink-0000000000000",
        "version": {"number": "8.19.9", "build_flavor": "default", "build_type": "tar",
                    "build_hash": "f60dd5fdef48c4b6cf97721154cd49b3b4794fb0", "build_date": "2025-12-16T22:07:42Z",
                    "build_snapshot": False, "lucene_version": "9.12.2",
                    "minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0"},
        "tagline": "You Know, for Search"}
PRODUCT = [("X-elastic-product", "Elasticsearch")]
CREATED = (b'{"%s":{"_index":%s,"_id":%s,"_version":%d,"result":"%s","_shards":{"total":2,"successful":1,'
           b'"failed":0},"_seq_no":%d,"_primary_term":1,"status":%d}}')
CONFLICT = (b'{"create":{"_index":%s,"_id":%s,"status":409,"error":{"type":"version_conflict_engine_exception",'
            b'"reason":"[%s]: version conflict, document already exists (current version [%d])","shard":"0",'
            b'"index":%s}}}')
# The exporter's action lines, read without a JSON parser: names that need
# no escaping, so they go into the answer as they are.
PLAIN_ACTION = re.compile(rb'\{"(create|index)":\{"_index":"([^"\\\x00-\x1f]+)","_id":"([^"\\\x00-\x1f]+)"\}\}\r?')


def quoted(text):
    return json.dumps(text, ensure_ascii=False).encode()


def actions(body, default_index):
    """(operation, index, quoted index, quoted _id, document line or None)
    of every item; document lines are not parsed.  ValueError names a
    malformed action line."""
    lines = body.split(b"\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        plain = PLAIN_ACTION.fullmatch(line)
        if plain:
            i += 1
            op, index, doc_id = plain.groups()
            yield op, index, b'"' + index + b'"', b'"' + doc_id + b'"', lines[i - 1] if i <= n else None
            continue
        if not line.strip():
            continue
        op, meta = wire.action_of(line, i)
        doc = None
        if op != "delete":
            doc = lines[i] if i < n else None
            i += 1
        index, doc_id = meta.get("_index", default_index), meta.get("_id")
        yield (op.encode(), index and index.encode(), index and quoted(index),
               doc_id if doc_id is None else quoted(str(doc_id)), doc)


class Index:
    """What the sink keeps of an index: the version of each _id."""

    def __init__(self):
        self.versions = {}
        self.seq_no = -1


class Sink:
    def __init__(self, store=None):
        self.lock = threading.Lock()
        self.indices = {}
        self.stats = collections.Counter()
        self.auto_ids = 0
        self.store = store     # directory for the documents, or None
        self.files = {}

    def bulk(self, body, default_index):
        """(status, answer): one answer per item, in order."""
        t0 = time.monotonic()
        try:
            items = list(actions(body, default_index))
        except ValueError as e:
            return 400, wire.es_error("illegal_argument_exception", str(e), 400)
        if not items:
            return 400, wire.es_error("action_request_validation_exception",
                                      "Validation Failed: 1: no requests added;", 400)
        if any(index is None for _, index, _, _, _ in items):
            return 400, wire.es_error("action_request_validation_exception",
                                      "Validation Failed: 1: index is missing;", 400)
        with self.lock:
            self.stats["bulk_requests"] += 1
            answers = [self._item(*item) for item in items]
            for f in self.files.values():
                f.flush()
        errors = any(b'"error"' in a for a in answers)
        took = int((time.monotonic() - t0) * 1000)
        return 200, b'{"errors":%s,"took":%d,"items":[%s]}' % (b"true" if errors else b"false", took,
                                                             b",".join(answers))

    def _item(self, op, name, quoted_index, quoted_id, doc):
        if op not in (b"create", b"index"):
            return self._refused(op.decode(), name.decode(), quoted_id and json.loads(quoted_id))
        index = self.indices.get(name) or self.indices.setdefault(name, Index())
        if quoted_id is None:
            self.auto_ids += 1
            quoted_id = b'"fastsink%012d"' % self.auto_ids
        current = index.versions.get(quoted_id)
        if current is not None and op == b"create":
            self.stats["conflicts"] += 1
            return CONFLICT % (quoted_index, quoted_id, quoted_id[1:-1], current, quoted_index)
        version = (current or 0) + 1
        index.versions[quoted_id] = version
        if self.store and current is None and doc is not None:
            self._keep(name, quoted_id, doc)
        index.seq_no += 1
        self.stats["created" if current is None else "updated"] += 1
        return CREATED % (op, quoted_index, quoted_id, version, b"created" if current is None else b"updated",
                          index.seq_no, 201 if current is None else 200)

    def _keep(self, name, quoted_id, doc):
        f = self.files.get(name)
        if f is None:
            safe = re.sub(rb"[^A-Za-z0-9._-]", b"_", name).decode()
            f = self.files[name] = open(f"{self.store}/{safe}.ndjson", "ab")
        f.write(json.loads(quoted_id).encode() + b"\t" + doc.rstrip(b"\r") + b"\n")

    def _refused(self, op, index, doc_id):
        self.stats["unsupported"] += 1
        error = {"type": "illegal_argument_exception",
                 "reason": f"the fast sink keeps no documents: [{op}] is for a real engine"}
        return wire.compact({op: {"_index": index, "_id": doc_id, "status": 400, "error": error}})

    def snapshot(self):
        with self.lock:
            return {**self.stats, "indices": {name.decode(): len(i.versions) for name, i in self.indices.items()}}


class SinkHandler(wire.Handler):
    def dispatch(self):
        try:
            raw = wire.read_body(self)
            body = wire.decode(raw, self.headers.get("Content-Encoding"))
        except (OSError, ValueError, zlib.error):
            self.close_connection = True
            return
        sink = self.server.sink
        with sink.lock:
            sink.stats["requests"] += 1
            sink.stats["bytes"] += len(raw)
            sink.stats["body_bytes"] += len(body)
            sink.stats["gzip_requests"] += body is not raw
        status, answer = self.route(sink, self.path.split("?", 1)[0], body)
        headers = [*PRODUCT, ("Content-Type", "application/json")] if isinstance(answer, bytes) else PRODUCT
        wire.send(self, status, answer, headers, head_only=self.command == "HEAD")

    def route(self, sink, path, body):
        parts = [p for p in path.split("/") if p]
        method = self.command
        if not parts and method in ("GET", "HEAD"):
            return 200, ROOT
        if parts[-1:] == ["_bulk"] and len(parts) <= 2 and method in ("POST", "PUT"):
            return sink.bulk(body, parts[0] if len(parts) == 2 else None)
        if parts == ["_index_template", "_simulate"] and method == "POST":
            return 200, {"template": {"settings": {}, "mappings": {}, "aliases": {}}, "overlapping": []}
        if parts[:1] == ["_index_template"] and len(parts) == 2:
            if method in ("PUT", "POST"):
                return 200, {"acknowledged": True}
            return 404, wire.es_error("resource_not_found_exception",
                                      f"index template matching [{parts[1]}] not found", 404)
        if len(parts) == 2 and parts[1] == "_mapping" and method in ("PUT", "POST"):
            return 200, {"acknowledged": True}
        if parts == ["_sink", "stats"]:
            return 200, sink.snapshot()
        return 400, {"error": f"no handler found for uri [{self.path}] and method [{method}]", "status": 400}

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = dispatch


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=wire.port_range, default=wire.port_range("0"),
                   help="port, or a range A-B (the first free one); 0: any")
    p.add_argument("--port-file", help="where to write the port once listening")
    p.add_argument("--store", metavar="DIR", help="keep the documents of created items in DIR/INDEX.ndjson")
    args = p.parse_args()
    server = wire.bind(SinkHandler, args.host, args.port)
    server.sink = Sink(args.store)
    wire.serve_in_thread(server)
    wire.announce_port(server.server_address[1], args.port_file)
    wire.wait_for_signal()


if __name__ == "__main__":
    main()
