"""Starts esserver.py in a subprocess for tests and talks to it.

    with start_server(mode="es8") as es:
        status, body = http("POST", es.url + "/_bulk", ndjson, {"Content-Type": "application/x-ndjson"})
        assert es.stats()["bulk_requests"] == 1
"""
from __future__ import annotations

import base64
import gzip
import http.client as httpclient
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "esserver.py")
PYTHON = "/usr/bin/python3"


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        return self.headers.get(name.lower())


def http(method, url, body=None, headers=None, timeout=30, gzip_body=False):
    """One request on a fresh connection. ``body`` may be bytes, str, or JSON-able data
    (sent compact, as application/json unless headers say otherwise). Returns a Reply; all response
    headers are lower-cased and repeated ones joined with ", "."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, separators=(",", ":"))
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if gzip_body and body is not None:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    parts = urllib.parse.urlsplit(url)
    conn = httpclient.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + ("?" + parts.query if parts.query else "")
        conn.request(method, target or "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        merged = {}
        for name, value in resp.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        if merged.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return Reply(resp.status, merged, data)
    finally:
        conn.close()


def basic_auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class Server:
    """A running esserver.py subprocess."""

    def __init__(self, proc, port, workdir):
        self.proc, self.port, self.workdir = proc, port, workdir
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _control(self, method, path, body=None):
        reply = http(method, self.url + path, body)
        if reply.status != 200:
            raise RuntimeError(f"{method} {path}: {reply.status} {reply.body[:500]!r}")
        return reply.json()

    def stats(self):
        return self._control("GET", "/_test/stats")

    def docs(self, index_pattern=None):
        query = "?" + urllib.parse.urlencode({"index": index_pattern}) if index_pattern else ""
        return self._control("GET", "/_test/docs" + query)

    def mappings(self):
        return self._control("GET", "/_test/mappings")

    def set_faults(self, **faults):
        return self._control("POST", "/_test/faults", faults)

    def reset(self):
        return self._control("POST", "/_test/reset")

    def requests(self):
        return self._control("GET", "/_test/requests")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _flags(opts):
    args = []
    for key, value in opts.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    return args


def start_server(port=0, mode="es8", startup_timeout=10, **opts):
    """Starts esserver.py on 127.0.0.1 (``port=0``: ephemeral) and waits until it listens.
    Keyword options become CLI flags: ``fast=True`` -> ``--fast``, ``bulk_429_ratio=0.5`` ->
    ``--bulk-429-ratio 0.5``."""
    workdir = tempfile.mkdtemp(prefix="esserver-")
    port_file = os.path.join(workdir, "port")
    cmd = [PYTHON, SERVER, "--host", "127.0.0.1", "--port", str(port), "--port-file", port_file,
           "--mode", mode] + _flags(opts)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "stderr"), "wb"))
    deadline = time.monotonic() + startup_timeout
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            with open(os.path.join(workdir, "stderr"), "rb") as f:
                sys.stderr.write(f.read().decode(errors="replace"))
            raise RuntimeError(f"esserver did not start: {cmd}")
        time.sleep(0.02)
    with open(port_file) as f:
        return Server(proc, int(f.read()), workdir)
