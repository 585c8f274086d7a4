#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A fault-injecting HTTP proxy in front of a real Elasticsearch or
OpenSearch node: every request goes upstream unchanged unless a fault says
otherwise, so what is stored and every answer that is not a fault come
from the real engine.  What a real node cannot be made to do on demand is
injected here: 429s for whole bulks or single items, connections reset
after the bulk was stored, 503 or refused connections for a while, slow
answers, a read-only block, documents refused for one field, and
authentication (the engines here are built without security).

  faultproxy.py --upstream http://127.0.0.1:9200 --port 19710-19799 \\
      --port-file F [--seed 7] [--bulk-429-ratio 0.2 ...]

Faults are flags at start or `POST /_proxy/faults` (JSON) later;
`GET /_proxy/stats` counts them, `GET /_proxy/requests?last=N` lists the
last requests.  Python standard library only.  See README.md."""

import argparse
import base64
import collections
import http.client
import json
import random
import re
import socket
import struct
import threading
import time
import urllib.parse
import zlib

import wire

# name: (type, default).  *_seconds faults are windows that start when set.
FAULTS = {
    "bulk_429_ratio": (float, 0.0),      # whole bulk answered 429 (indexing pressure)
    "retry_after_s": (int, 1),           # Retry-After of those 429s (0: none)
    "item_429_ratio": (float, 0.0),      # single items answered 429, not forwarded
    "reset_ratio": (float, 0.0),         # bulk connection reset (RST) without an answer
    "reset_after_store": (bool, False),  # ... after upstream stored the bulk
    "unavailable_seconds": (float, 0.0),  # every request answered 503 (state not recovered)
    "down_seconds": (float, 0.0),        # not listening: connections refused
    "delay_ms": (float, 0.0),            # bulk answers delayed
    "read_only_seconds": (float, 0.0),   # bulks meet a read-only block
    "read_only_block": (str, "index"),   # index: items 429 flood stage; cluster: whole bulk 403
    "reject_field": (str, None),         # items whose document has this field: 400, not forwarded
    "race_field": (str, None),           # ... 400 "mapper [F] cannot be changed" (a lost dynamic
    "race_times": (int, 1),              # mapping race) the first race_times times an _id comes
    "user": (str, None),                 # security (the engines here have none): without
    "password": (str, None),             # ... these Basic credentials
    "api_key": (str, None),              # ... or this API key, every request is answered 401
}
WINDOWS = ("unavailable", "down", "read_only")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
              "upgrade", "expect", "host", "content-length"}


JSON_HEADERS = [("Content-Type", "application/json"), ("X-elastic-product", "Elasticsearch")]
UNAVAILABLE = wire.es_error("cluster_block_exception",
                            "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];", 503)
CLUSTER_READ_ONLY = wire.es_error("cluster_block_exception",
                                  "blocked by: [FORBIDDEN/13/cluster read-only / allow delete (api)];", 403)


CHALLENGES = ['Basic realm="security" charset="UTF-8"', 'Bearer realm="security"', "ApiKey"]


def security_exception(reason, **metadata):
    cause = {"type": "security_exception", "reason": reason, **metadata,
             "header": {"WWW-Authenticate": CHALLENGES}}
    return {"error": {"root_cause": [cause], **cause}, "status": 401}


def coordinating_rejection(size):
    """Indexing pressure refusing a whole bulk of size bytes."""
    return wire.es_error("es_rejected_execution_exception", "rejected execution of coordinating operation "
                         "[coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, "
                         f"coordinating_operation_bytes={size}, max_coordinating_and_primary_bytes=53687091]", 429)


def primary_rejection(size):
    """Indexing pressure refusing one item of size bytes on its shard."""
    return {"type": "es_rejected_execution_exception",
            "reason": "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, "
                      f"all_bytes=0, primary_operation_bytes={size}, max_coordinating_and_primary_bytes=53687091]"}


class Faults:
    """The current faults.  Every ratio draws from its own generator seeded
    from --seed and reseeded whenever faults change, so the same requests
    meet the same faults on every run."""

    def __init__(self, seed):
        self.seed = seed
        self.lock = threading.Lock()
        self.values = {name: default for name, (_, default) in FAULTS.items()}
        self.until = dict.fromkeys(WINDOWS, 0.0)
        self._reseed()

    def _reseed(self):
        self.rngs = {k: random.Random(f"{self.seed}:{k}") for k in ("bulk_429", "item_429", "reset")}

    def update(self, changes):
        parsed = {name: self._parse(name, value) for name, value in changes.items()}
        with self.lock:
            self.values.update(parsed)
            for window in WINDOWS:
                if window + "_seconds" in parsed:
                    self.until[window] = time.monotonic() + parsed[window + "_seconds"]
            self._reseed()
        return parsed

    @staticmethod
    def _parse(name, value):
        if name not in FAULTS:
            raise ValueError(f"unknown fault [{name}]; known: {', '.join(FAULTS)}")
        kind, default = FAULTS[name]
        if value is None:
            return default
        if kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"fault [{name}] must be true or false")
            return value
        try:
            parsed = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"fault [{name}] must be a {kind.__name__}") from None
        if kind is not str and (parsed < 0 or (name.endswith("_ratio") and parsed > 1)):
            raise ValueError(f"fault [{name}] out of range: {value}")
        if name == "read_only_block" and parsed not in ("index", "cluster"):
            raise ValueError("fault [read_only_block] must be index or cluster")
        return parsed

    def get(self, name):
        return self.values[name]

    def roll(self, kind):
        ratio = self.values[kind + "_ratio"]
        with self.lock:
            return ratio > 0 and self.rngs[kind].random() < ratio

    def active(self, window):
        return time.monotonic() < self.until[window]

    def snapshot(self):
        out = dict(self.values)
        for window in WINDOWS:
            out[window + "_remaining_s"] = round(max(0.0, self.until[window] - time.monotonic()), 3)
        return out


class Record:
    """Counters and the last requests, for the control API."""

    def __init__(self, size):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.faults = collections.Counter()
        self.recent = collections.deque(maxlen=size)

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def fault(self, kind, n=1):
        with self.lock:
            self.faults[kind] += n

    def note(self, entry):
        with self.lock:
            self.counts["requests"] += 1
            self.recent.append(entry)

    def snapshot(self):
        with self.lock:
            return {**self.counts, "faults": dict(self.faults)}

    def last(self, n):
        with self.lock:
            return list(self.recent)[-n:] if n else []


class Upstream:
    """One keep-alive connection to the real node, per client connection,
    as a load balancer would hold it."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 9200
        self.conn = None

    def exchange(self, method, target, headers, body):
        """(status, [(name, value)], body); a kept connection the node
        closed meanwhile is opened again once."""
        for attempt in (0, 1):
            reused = self.conn is not None
            if not reused:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                self.conn.request(method, target, body=body or None, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.getheaders(), resp.read()
            except (OSError, http.client.HTTPException):
                self.close()
                if not reused or attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Listener:
    """The listening socket; the down fault closes it (connections are
    refused) and opens it again on the same port."""

    def __init__(self, proxy, host, ports):
        self.proxy, self.host = proxy, host
        self.server = self._bind(ports)
        self.port = self.server.server_address[1]
        self.lock = threading.Lock()
        self.serving = False

    def _bind(self, ports):
        server = wire.bind(ProxyHandler, self.host, ports)
        server.proxy = self.proxy
        return server

    def serve(self):
        wire.serve_in_thread(self.server)
        self.serving = True

    def stop_listening(self):
        with self.lock:
            if self.server is not None:
                if self.serving:
                    self.server.shutdown()
                self.server.server_close()
                self.server = None
                self.serving = False

    def listen_again_in(self, seconds):
        def reopen():
            time.sleep(seconds)
            with self.lock:
                if self.server is None:
                    self.server = self._bind(range(self.port, self.port + 1))
                    self.serve()
        threading.Thread(target=reopen, daemon=True).start()


def has_field(obj, path):
    """Whether a document has the dotted field, written flat ("a.b": 1),
    nested ({"a": {"b": 1}}) or mixed, as Elasticsearch reads it."""
    if isinstance(obj, list):
        return any(has_field(o, path) for o in obj)
    if not isinstance(obj, dict):
        return False
    if path in obj:
        return True
    return any(path.startswith(key + ".") and has_field(value, path[len(key) + 1:])
               for key, value in obj.items())


def field_value(obj, path):
    if path in obj:
        return obj[path]
    for key, value in obj.items():
        if path.startswith(key + ".") and isinstance(value, dict) and has_field(value, path[len(key) + 1:]):
            return field_value(value, path[len(key) + 1:])
    return None


def bulk_index(path):
    """For a bulk path, its index ("" for /_bulk); None for other paths."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts[-1:] != ["_bulk"] or len(parts) > 2:
        return None
    return parts[0] if len(parts) == 2 else ""


def bulk_answer(status, headers, data, n_items):
    """Upstream's bulk answer, if it answered each of the n items."""
    try:
        answer = json.loads(wire.decode(data, header(headers, "content-encoding")))
        return answer if status == 200 and len(answer["items"]) == n_items else None
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


def merge(plan, upstream):
    """One bulk answer: upstream's items where items went upstream, the
    synthesized ones elsewhere; "errors" first, as Elasticsearch writes it."""
    answers = iter(upstream["items"])
    merged = {"errors": True, "took": upstream.get("took", 0)}
    merged.update((k, v) for k, v in upstream.items() if k not in merged)
    merged["items"] = [answer if answer is not None else next(answers) for _, answer in plan]
    return merged


class Proxy:
    def __init__(self, upstream, seed, log_size):
        self.upstream_url = upstream
        self.faults = Faults(seed)
        self.record = Record(log_size)
        self.listener = None
        self.connections = set()
        self.connections_lock = threading.Lock()
        self.version = None
        self.races = collections.Counter()  # _id -> mapping races it lost
        self.races_lock = threading.Lock()

    # -- connections -----------------------------------------------------------------------

    def track(self, sock, add):
        with self.connections_lock:
            (self.connections.add if add else self.connections.discard)(sock)

    def close_connections(self):
        with self.connections_lock:
            socks = list(self.connections)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def set_faults(self, changes):
        parsed = self.faults.update(changes)
        return parsed.get("down_seconds", 0)

    # -- what the real node is, for the wording of synthesized errors -----------------------

    def upstream_version(self):
        """(distribution, major, minor) of the node, asked once."""
        if self.version is None:
            try:
                _, _, body = Upstream(self.upstream_url).exchange("GET", "/", {}, b"")
                v = json.loads(body)["version"]
                numbers = [int(n) for n in re.findall(r"\d+", v["number"])[:2]]
                self.version = (v.get("distribution", "elasticsearch"), *numbers)
            except (OSError, ValueError, KeyError, http.client.HTTPException):
                return ("elasticsearch", 8, 19)
        return self.version

    def parsing_exception_type(self):
        """Elasticsearch 8.8 renamed mapper_parsing_exception for documents."""
        dist, major, minor = self.upstream_version()
        modern = dist == "elasticsearch" and (major, minor) >= (8, 8)
        return "document_parsing_exception" if modern else "mapper_parsing_exception"

    # -- requests --------------------------------------------------------------------------

    def handle(self, h, raw):
        t0 = time.monotonic()
        encoding = h.headers.get("Content-Encoding", "").strip().lower()
        try:
            body = wire.decode(raw, encoding)
        except zlib.error:
            body = None                     # upstream says what it thinks of it
        entry = {"method": h.command, "path": h.path, "status": None, "bytes": len(raw),
                 "encoding": encoding, "body_bytes": len(body if body is not None else raw), "fault": ""}
        try:
            self._answer(h, raw, body, entry)
        finally:
            entry["ms"] = round((time.monotonic() - t0) * 1000, 1)
            self.record.note(entry)

    def _answer(self, h, raw, body, entry):
        faults = self.faults
        refusal = self._authentication_refusal(h)
        if refusal is not None:
            return self._fault(h, entry, "auth", 401, refusal, [("WWW-Authenticate", v) for v in CHALLENGES],
                               product=False)       # Elasticsearch names itself to authenticated clients only
        if faults.active("unavailable"):
            return self._fault(h, entry, "unavailable", 503, UNAVAILABLE)
        if not (h.command in ("POST", "PUT") and bulk_index(h.path) is not None):
            return self._relay(h, entry, raw)
        self.record.count("bulk_requests")
        if faults.roll("bulk_429"):
            retry = faults.get("retry_after_s")
            return self._fault(h, entry, "bulk_429", 429, coordinating_rejection(len(body or raw)),
                               [("Retry-After", str(retry))] if retry else [])
        if faults.active("read_only") and faults.get("read_only_block") == "cluster":
            return self._fault(h, entry, "read_only", 403, CLUSTER_READ_ONLY)
        reset = faults.roll("reset")
        if reset and not faults.get("reset_after_store"):
            return self._reset(h, entry)
        status, headers, data = self._bulk(h, raw, body)
        if reset:
            return self._reset(h, entry)
        if faults.get("delay_ms") > 0:
            self.record.fault("delay")
            time.sleep(faults.get("delay_ms") / 1000)
        self._send(h, entry, status, headers, data)

    def _authentication_refusal(self, h):
        """Elasticsearch's 401 body when security is on and the request's
        credentials are not the ones required, else None."""
        user, password, api_key = (self.faults.get(k) for k in ("user", "password", "api_key"))
        if user is None and api_key is None:
            return None
        scheme, _, credentials = h.headers.get("Authorization", "").strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "apikey" and credentials:
            if api_key is not None and credentials == api_key:
                return None
            return security_exception("unable to authenticate with provided credentials and anonymous access is "
                                      "not allowed for this request",
                                      additional_unsuccessful_credentials="API key: invalid ApiKey value")
        if scheme == "basic" and credentials:
            try:
                given_user, _, given_password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                given_user = given_password = None
            if user is not None and (given_user, given_password) == (user, password or ""):
                return None
            return security_exception(f"unable to authenticate user [{given_user}] for REST request [{h.path}]")
        return security_exception(f"missing authentication credentials for REST request [{h.path}]")

    def _bulk(self, h, raw, body):
        """Upstream's answer to the items no fault withheld, with a
        synthesized item for each withheld one, in order."""
        plan = self._item_faults(body, bulk_index(h.path))
        if plan is None:
            return self._exchange(h, raw)
        forwarded = [item for item, answer in plan if answer is None]
        self.record.count("items_forwarded", len(forwarded))
        self.record.count("items_withheld", len(plan) - len(forwarded))
        if not forwarded:
            return 200, JSON_HEADERS, wire.compact(merge(plan, {"took": 0, "items": []}))
        payload = b"".join(item.line_pair() for item in forwarded)
        if h.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
            payload = gzip_fast(payload)    # upstream sees what the client sent
        status, headers, data = self._exchange(h, payload)
        upstream = bulk_answer(status, headers, data, len(forwarded))
        if upstream is None:                # the whole request failed: say so, as upstream did
            return status, headers, data
        headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        return 200, headers, wire.compact(merge(plan, upstream))

    def _item_faults(self, body, default_index):
        """[(item, synthesized answer or None)], or None when no item fault
        applies (the body goes upstream untouched)."""
        faults = self.faults
        read_only = faults.active("read_only") and faults.get("read_only_block") == "index"
        field = faults.get("reject_field")
        if body is None or not (read_only or field or faults.get("race_field") or faults.get("item_429_ratio") > 0):
            return None
        try:
            items = wire.bulk_items(body)
        except ValueError:
            return None                     # a malformed body: the real node's error, not ours
        for item in items:
            item.meta.setdefault("_index", default_index)
        return [(item, self._item_fault(item, read_only, field)) for item in items]

    def _item_fault(self, item, read_only, field):
        """The synthesized answer for one item, or None to forward it."""
        if read_only and item.op != "delete":
            return self._item_error(item, "read_only", 429, self._read_only_error(item))
        if field and item.doc is not None and item.op != "update":
            answer = self._rejected_field(item, field)
            if answer is not None:
                return answer
        race = self.faults.get("race_field")
        if race and item.doc is not None and item.op != "update":
            answer = self._lost_race(item, race)
            if answer is not None:
                return answer
        if self.faults.roll("item_429"):
            return self._item_error(item, "item_429", 429, primary_rejection(len(item.doc or b"")))
        return None

    def _item_error(self, item, kind, status, error):
        self.record.fault(kind)
        meta = item.meta
        return {item.op: {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": status, "error": error}}

    def _read_only_error(self, item):
        """Elasticsearch's flood-stage answer (the one sender.c recognises
        by its type, cluster_block_exception)."""
        dist, major, minor = self.upstream_version()
        more = ("; for more information, see https://www.elastic.co/guide/en/elasticsearch/reference/"
                f"{major}.{minor}/fix-watermark-errors.html" if dist == "elasticsearch" and major >= 8 else "")
        return {"type": "cluster_block_exception",
                "reason": f"index [{item.meta.get('_index')}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded "
                          f"flood-stage watermark, index has read-only-allow-delete block{more}];"}

    @staticmethod
    def _doc_with(item, field):
        """The item's document if it has the field, else None."""
        try:
            doc = json.loads(item.doc)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) and has_field(doc, field) else None

    def _rejected_field(self, item, field):
        doc = self._doc_with(item, field)
        if doc is None:
            return None
        column = item.doc.find(b'"' + field.rsplit(".", 1)[-1].encode()) + 1 or 1
        preview = json.dumps(field_value(doc, field), ensure_ascii=False)[:20]
        return self._item_error(item, "reject_field", 400, {
            "type": self.parsing_exception_type(),
            "reason": f"[1:{column}] failed to parse field [{field}] of type [keyword] in document with id "
                      f"'{item.meta.get('_id')}'. Preview of field's value: '{preview}'",
            "caused_by": {"type": "illegal_argument_exception",
                          "reason": f"field [{field}] is refused by the fault proxy (reject_field)"}})

    def _lost_race(self, item, field):
        """Elasticsearch's answer to a document whose dynamic mapping update
        met another one's for the same field."""
        if self._doc_with(item, field) is None:
            return None
        key = (item.meta.get("_index"), item.meta.get("_id"))
        with self.races_lock:
            self.races[key] += 1
            if self.races[key] > self.faults.get("race_times"):
                return None
        return self._item_error(item, "race_field", 400, {
            "type": "illegal_argument_exception",
            "reason": f"mapper [{field}] cannot be changed from type [long] to [double]"})

    # -- answers ---------------------------------------------------------------------------

    def _exchange(self, h, body):
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        try:
            return h.upstream.exchange(h.command, h.path, headers, body)
        except (OSError, http.client.HTTPException) as e:
            self.record.count("upstream_errors")
            return 502, [], wire.compact(wire.es_error("proxy_exception", f"upstream {self.upstream_url}: {e}", 502))

    def _relay(self, h, entry, raw):
        self._send(h, entry, *self._exchange(h, raw))

    def _send(self, h, entry, status, headers, data):
        entry["status"] = status
        if status == 502 and not headers:
            headers = [("Content-Type", "application/json")]
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        try:
            wire.send(h, status, data, kept, head_only=h.command == "HEAD")
        except OSError:
            h.close_connection = True

    def _fault(self, h, entry, kind, status, body, headers=(), product=True):
        self.record.fault(kind)
        entry["fault"] = kind
        common = JSON_HEADERS if product else JSON_HEADERS[:1]
        self._send(h, entry, status, [*common, *headers], wire.compact(body))

    def _reset(self, h, entry):
        """Closes the client connection with an RST, without an answer."""
        kind = "reset_after_store" if self.faults.get("reset_after_store") else "reset"
        self.record.fault("reset")
        entry["fault"] = kind
        try:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
        except OSError:
            pass
        h.close_connection = True

    # -- control API -----------------------------------------------------------------------

    def control(self, h, raw):
        path, _, query = h.path.partition("?")
        if path == "/_proxy/faults" and h.command in ("POST", "PUT"):
            return self._post_faults(h, raw)
        if path == "/_proxy/faults" and h.command == "GET":
            return wire.send(h, 200, self.faults.snapshot())
        if path == "/_proxy/stats" and h.command == "GET":
            return wire.send(h, 200, {**self.record.snapshot(), "active": self.faults.snapshot()})
        if path == "/_proxy/requests" and h.command == "GET":
            last = urllib.parse.parse_qs(query).get("last", ["200"])[0]
            return wire.send(h, 200, self.record.last(int(last)))
        wire.send(h, 404, {"error": f"no proxy endpoint {h.command} {path}"})

    def _post_faults(self, h, raw):
        try:
            changes = json.loads(raw or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("faults must be a JSON object")
            down = self.set_faults(changes)
        except ValueError as e:
            return wire.send(h, 400, {"error": str(e)})
        if down:                            # refused from the moment the answer arrives
            self.listener.stop_listening()
        wire.send(h, 200, self.faults.snapshot())
        if down:
            h.close_connection = True
            self.close_connections()
            self.listener.listen_again_in(down)


def gzip_fast(data):
    c = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name), "")


class ProxyHandler(wire.Handler):
    def setup(self):
        super().setup()
        self.upstream = Upstream(self.server.proxy.upstream_url)
        self.server.proxy.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.upstream.close()
            self.server.proxy.track(self.connection, False)

    def dispatch(self):
        proxy = self.server.proxy
        try:
            raw = wire.read_body(self)
        except (OSError, ValueError):
            self.close_connection = True
            return
        if self.path.startswith("/_proxy/"):
            proxy.control(self, raw)
        else:
            proxy.handle(self, raw)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = dispatch


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="the real node, e.g. http://127.0.0.1:9200")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=wire.port_range, default=wire.port_range("0"),
                   help="port, or a range A-B (the first free one); 0: any")
    p.add_argument("--port-file", help="where to write the port once listening")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault ratios")
    p.add_argument("--log-size", type=int, default=200, help="requests kept for /_proxy/requests")
    for name, (kind, _) in FAULTS.items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            p.add_argument(flag, action="store_true", default=None)
        else:
            p.add_argument(flag, type=kind)
    return p.parse_args()


def main():
    args = arguments()
    proxy = Proxy(args.upstream, args.seed, args.log_size)
    initial = {name: getattr(args, name) for name in FAULTS if getattr(args, name) is not None}
    try:
        down = proxy.set_faults(initial)
    except ValueError as e:
        raise SystemExit(f"faultproxy: {e}")
    proxy.listener = listener = Listener(proxy, args.host, args.port)
    if down:                                # the port is known, and refuses from the start
        listener.stop_listening()
        listener.listen_again_in(down)
    else:
        listener.serve()
    wire.announce_port(listener.port, args.port_file)
    wire.wait_for_signal()


if __name__ == "__main__":
    main()
