# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault proxy's HTTP plumbing (the fast sink is C: fastsink.c): a threaded
HTTP/1.1 server with keep-alive on a loopback port (or the first free one
of a range), request bodies, Elasticsearch's error shape, bulk bodies split
into items, and the command-line life cycle (port file, SIGTERM)."""

import http.server
import ipaddress
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import zlib


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Handler(http.server.BaseHTTPRequestHandler):
    """Keep-alive (every answer has a Content-Length); idle connections
    end after five minutes."""
    protocol_version = "HTTP/1.1"
    timeout = 300

    def log_message(self, fmt, *args):
        pass


def port_range(text):
    """"9200", "0" (any free port) or "19710-19799" (the first free one)."""
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)


def bind(handler, host, ports):
    """A server on the first port of the range that is free."""
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        sys.exit(f"refusing to listen on {host!r}: loopback only")
    for port in ports:
        try:
            return Server((host, port), handler)
        except OSError as e:
            last = e
    sys.exit(f"no free port in {ports.start}-{ports.stop - 1}: {last}")


def serve_in_thread(server):
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def announce_port(port, port_file):
    """Writes the bound port, atomically, for the process that started us."""
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(port_file + ".tmp", port_file)


def wait_for_signal():
    """Returns on SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def read_body(h):
    """The request body as it came on the wire (Content-Length or chunked)."""
    if "chunked" in h.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
    length = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(length) if length else b""


def decode(raw, encoding):
    """The body without its Content-Encoding (gzip or deflate)."""
    encoding = (encoding or "").strip().lower()
    if not raw or encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    return zlib.decompress(raw, 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)


def send(h, status, body=b"", headers=(), head_only=False):
    """One answer; headers is a sequence of (name, value)."""
    if isinstance(body, (dict, list)):
        body = compact(body)
        headers = [*headers, ("Content-Type", "application/json")]
    h.send_response_only(status)
    for name, value in headers:
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body and not head_only:
        h.wfile.write(body)
    h.wfile.flush()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def es_error(type_, reason, status):
    """A whole-request error as Elasticsearch words it."""
    cause = {"type": type_, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


class BulkItem:
    __slots__ = ("op", "meta", "action", "doc")

    def __init__(self, op, meta, action, doc):
        self.op, self.meta, self.action, self.doc = op, meta, action, doc

    def line_pair(self):
        return self.action + b"\n" + (self.doc + b"\n" if self.doc is not None else b"")


def bulk_items(body):
    """The items of an NDJSON bulk body, lines without their newline;
    ValueError names the first malformed action line."""
    lines = body.split(b"\n")
    items, i = [], 0
    while i < len(lines):
        action = lines[i].rstrip(b"\r")
        i += 1
        if not action.strip():
            continue
        op, meta = action_of(action, i)
        doc = None
        if op != "delete" and i < len(lines):
            doc = lines[i].rstrip(b"\r")
            i += 1
        items.append(BulkItem(op, meta, action, doc))
    return items


def action_of(line, number):
    """(operation, metadata) of an action line: ("create", {"_index": ...})."""
    try:
        parsed = json.loads(line)
        (op, meta), = parsed.items()
        if op not in ("create", "index", "update", "delete") or not isinstance(meta, dict):
            raise ValueError
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise ValueError(f"Malformed action/metadata line [{number}]") from None
    return op, meta
