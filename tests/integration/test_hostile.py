# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile or broken servers: an endless bulk response, malformed ones, an
answer that never finishes, a TLS port that drops the handshake, and one
that echoes the credentials back.  Small standard-library servers on
loopback; the exporter must stay bounded in memory, end in bounded time,
and count every frame."""

import base64
import json
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SHARED
from helpers import summary

CAPTURE = SHARED / "captures" / "http-simple-get.pcap"
FRAMES = 16
ROOT_BODY = json.dumps({"name": "hostile", "cluster_name": "x", "version": {
    "number": "8.19.9", "build_flavor": "default", "lucene_version": "9.12.0"}, "tagline": "You Know, for Search"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.auth.append(self.headers.get("Authorization"))
        if self.path == "/":
            self.answer(200, ROOT_BODY.encode())
        else:
            self.answer(404, b'{"error":"not found"}')

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(200, b'{"acknowledged":true}')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self.path.startswith("/_bulk"):
            self.answer(200, b'{"acknowledged":true}')
            return
        self.server.bulks += 1
        self.server.mode(self, body)


def endless(h, body):
    """A bulk answer without end: 1 MiB chunks until the client hangs up."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()
    chunk = b'{"errors":false,"items":[' + b" " * (1 << 20)
    try:
        while True:
            h.wfile.write(chunk)
            h.server.sent += len(chunk)
    except OSError:
        pass


def malformed(h, body):
    h.answer(200, b'{"errors":false,"items":[{"create":{"status":201}}')   # cut short, and 1 of 16


def never_finishes(h, body):
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b'{"errors":')
    h.wfile.flush()
    time.sleep(30)


def echoes(h, body):
    """Refuses every item with a reason that quotes the request headers."""
    n = body.count(b"\n") // 2
    reason = f"no: {h.headers.get('Authorization')}"
    items = [{"create": {"status": 400, "error": {"type": "x", "reason": reason}}}] * n
    h.answer(200, json.dumps({"errors": True, "items": items}).encode())


class Server:
    def __init__(self, mode, port):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.mode, self.httpd.bulks, self.httpd.sent, self.httpd.auth = mode, 0, 0, []
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run(tshark, workdir, node, *settings, env=None):
    """tshark into node, under GNU time: (process, peak RSS in MiB, seconds)."""
    args = ["-r", str(CAPTURE), "-q", "-X", f"es.node={node}", "-X", "es.index=hostile-%Y",
            "-X", "es.flush_timeout_s=4", "-X", "es.timeout_s=2", "-X", f"es.dead_letter_dir={workdir}/hostile-dead"]
    for s in settings:
        args += ["-X", s]
    t0 = time.time()
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kib=%M", *tshark.command(args)], capture_output=True,
                          timeout=120, env=env)
    rss = int(proc.stderr.rsplit(b"maxrss_kib=", 1)[1]) / 1024
    return proc, rss, time.time() - t0


def counted(proc):
    s = summary(proc.stderr)
    assert s["frames"] == FRAMES == s["indexed"] + s["present"] + s["rejected"] + s["dropped"] + s["skipped"], \
        proc.stderr.decode()[-2000:]
    return s


# Its servers' ports, in ES_TEST_PORTS when a run must keep to a range.
BASE = int(os.environ["ES_TEST_PORTS"].split("-")[0]) + 70 if os.environ.get("ES_TEST_PORTS") else 19820


@pytest.fixture
def baseline_rss(tshark, workdir):
    proc, rss, _ = run(tshark, workdir, f"file:{workdir}/hostile-baseline.ndjson")
    assert summary(proc.stderr)["indexed"] == FRAMES
    return rss


@pytest.mark.parametrize("mode,port,expect", [
    (endless, BASE, b"response larger than 64 MiB"),
    (malformed, BASE + 1, b"sending again"),
    (never_finishes, BASE + 2, b"Operation timed out"),
])
def test_broken_bulk_answers(mode, port, expect, tshark, workdir, baseline_rss):
    server = Server(mode, port)
    try:
        proc, rss, secs = run(tshark, workdir, server.url)
    finally:
        server.close()
    s = counted(proc)
    assert s["indexed"] == 0 and s["dropped"] == FRAMES          # the flush timeout ends it, all counted
    assert expect in proc.stderr, proc.stderr.decode()[-2000:]
    assert server.httpd.bulks >= 1 and secs < 60
    # What one response may hold (64 MiB) and no more, whatever was sent
    # (not under ASan, whose quarantine keeps freed buffers).
    if not os.environ.get("ES_ASAN_RUNTIME"):
        assert rss < baseline_rss + 64 + 48, (rss, baseline_rss, server.httpd.sent)
    if mode is endless:
        assert server.httpd.sent > 64 << 20


def tcp_server(port, behaviour):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    held = []

    def loop():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if behaviour == "drop":
                conn.recv(1024)
                conn.close()
            elif behaviour == "garbage":
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 200 OK\r\n\r\nnot TLS at all" * 10)
                conn.close()
            else:
                held.append(conn)        # "stall": the handshake never ends

    threading.Thread(target=loop, daemon=True).start()
    return sock, held


@pytest.mark.parametrize("behaviour,port", [("drop", BASE + 3), ("garbage", BASE + 4), ("stall", BASE + 5)])
def test_tls_handshake_dropped(behaviour, port, tshark, workdir):
    sock, held = tcp_server(port, behaviour)
    try:
        proc, _, secs = run(tshark, workdir, f"https://127.0.0.1:{port}", "es.flush_timeout_s=3")
    finally:
        sock.close()
        for c in held:
            c.close()
    s = counted(proc)
    assert s["dropped"] == FRAMES and secs < 60
    # Told once (rate-limited), however often it was tried.
    assert len([l for l in proc.stderr.splitlines() if b"cannot reach" in l]) == 1, proc.stderr.decode()


def test_echoed_secret_is_scrubbed(tshark, workdir):
    """A server that quotes our Authorization header in its error reasons:
    the reasons are kept (messages, dead letters) without the secret."""
    server = Server(echoes, BASE + 6)
    password = "Echo-Pw-4e1f9a"
    try:
        env = dict(os.environ, ES_PASSWORD=password)
        proc, _, _ = run(tshark, workdir, server.url, "es.user=elastic", env=env)
    finally:
        server.close()
    s = counted(proc)
    assert s["rejected"] == FRAMES
    basic = base64.b64encode(f"elastic:{password}".encode())
    assert server.httpd.auth[0] == "Basic " + basic.decode()     # it did get them
    assert b"no: Basic [redacted]" in proc.stderr
    dead = list((workdir / "hostile-dead").glob("*.ndjson"))
    texts = [proc.stderr] + [p.read_bytes() for p in dead]
    assert any(b"[redacted]" in t for t in texts[1:])
    assert not any(basic in t or password.encode() in t for t in texts)
