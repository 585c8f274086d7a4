# SPDX-License-Identifier: GPL-2.0-or-later
"""A small client for the cluster under test, through Elasticsearch's public
REST API only (a real Elasticsearch/OpenSearch: tests/engines or ES_URL),
and the servers of tests/esserver: the fault proxy and the fast sink."""

import base64
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
ESSERVER = ROOT / "tests" / "esserver"


class Cluster:
    def __init__(self, url, user=None, password=None, api_key=None):
        self.url = url.rstrip("/")
        self.headers = {}
        if api_key:
            self.headers["Authorization"] = f"ApiKey {api_key}"
        elif user:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def request(self, method, path, body=None, headers=None):
        data = None
        hdrs = dict(self.headers)
        hdrs.update(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def refresh(self, pattern):
        self.request("POST", f"/{pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true")

    def count(self, pattern):
        self.refresh(pattern)
        status, body = self.request("GET", f"/{pattern}/_count?ignore_unavailable=true&allow_no_indices=true")
        return body["count"] if status == 200 else 0

    def docs(self, pattern):
        """Every document as {"_index", "_id", "_source"}, sorted by capture
        and frame (search_after paging, so any number of documents)."""
        return [{"_index": h["_index"], "_id": h["_id"], "_source": h["_source"]} for h in self._hits(pattern)]

    def ids(self, pattern):
        """The _id of every document (sources stay on the server)."""
        return [h["_id"] for h in self._hits(pattern, source=False)]

    def _hits(self, pattern, source=True):
        self.refresh(pattern)
        after = None
        sort = [{f: {"order": "asc", "unmapped_type": "keyword" if "capture" in f else "long"}}
                for f in ("es.capture_id", "frame.number", "es_capture_id", "frame_number")]
        while True:
            body = {"size": 5000, "query": {"match_all": {}}, "sort": sort, "_source": source}
            if after:
                body["search_after"] = after
            status, res = self.request(
                "POST", f"/{pattern}/_search?ignore_unavailable=true&allow_no_indices=true", body)
            assert status == 200, res
            hits = res["hits"]["hits"]
            if not hits:
                return
            yield from hits
            after = hits[-1]["sort"]

    def mappings(self, pattern):
        status, body = self.request("GET", f"/{pattern}/_mapping")
        return body if status == 200 else {}

    def delete(self, pattern):
        """Deletes the indices of a pattern one by one (Elasticsearch 8
        refuses wildcard deletes by default)."""
        status, body = self.request("GET", f"/_cat/indices/{pattern}?format=json&h=index")
        if status != 200 or not isinstance(body, list):
            return
        for row in body:
            self.request("DELETE", f"/{row['index']}")


def server_ports():
    """The ports tests/esserver's servers may take: ES_TEST_PORTS (A-B)
    but the last ten (the engines', engines.py), else any free one."""
    text = os.environ.get("ES_TEST_PORTS")
    if not text:
        return "0"
    low, high = (int(n) for n in text.split("-"))
    return f"{low}-{high - 10}"


def flags(options):
    """Keyword options as command-line flags: delay_ms=300 -> --delay-ms 300."""
    out = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        elif value not in (None, False):
            out += [flag, str(value)]
    return out


class LocalServer(Cluster):
    """One of tests/esserver's servers, in a process of its own."""

    script = None

    def command(self):
        return [sys.executable, str(self.script)]

    def __init__(self, *args):
        self.args = list(args)
        self.proc = self.tmp = None
        super().__init__("http://127.0.0.1:0")

    def start(self):
        self.tmp = tmp = pathlib.Path(tempfile.mkdtemp(prefix="esserver-"))
        port_file, self.stderr = tmp / "port", tmp / "stderr"
        cmd = [*self.command(), "--port", server_ports(), "--port-file", str(port_file), *self.args]
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + 20
        while not port_file.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                err = self.stderr.read_text()[-2000:]
                self.stop()
                raise RuntimeError(f"{self.script.name} did not start:\n{err}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.tmp:
            err = self.stderr.read_text(errors="replace")
            if "Traceback" in err or "ERROR" in err:    # shown with the test's output
                print(f"{self.script.name} stderr:\n{err[-4000:]}")
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class FaultProxy(LocalServer):
    """tests/esserver/faultproxy.py in front of a real node (a Cluster):
    faults by keyword, as its flags (bulk_429_ratio=0.2, read_only_seconds=6,
    ...); credentials pass through."""

    script = ESSERVER / "faultproxy.py"

    def __init__(self, upstream, seed=0, **faults):
        super().__init__("--upstream", upstream.url, "--seed", str(seed), *flags(faults))
        self.upstream = upstream
        self.headers = dict(upstream.headers)

    def set_faults(self, **faults):
        """Changes faults (None: back to the default); *_seconds windows
        start now."""
        status, body = self.request("POST", "/_proxy/faults", faults)
        assert status == 200, body
        return body

    def stats(self):
        """requests, bulk_requests, items_forwarded, items_withheld,
        upstream_errors, faults {kind: count}, active (the faults now)."""
        return self.request("GET", "/_proxy/stats")[1]

    def requests(self, last=200):
        """The last requests: method, path, status, bytes (on the wire),
        encoding (Content-Encoding), body_bytes (decoded), fault, ms."""
        return self.request("GET", f"/_proxy/requests?last={last}")[1]


class FastSink(LocalServer):
    """tests/esserver/fastsink.c, built into the build tree (ES_BUILD_DIR,
    else build/): the benchmark's counting sink."""

    script = pathlib.Path(os.environ.get("ES_BUILD_DIR", ROOT / "build")) / "tests" / "fastsink"

    def command(self):
        if not os.access(self.script, os.X_OK):
            raise RuntimeError(f"{self.script} missing: build first (scripts/build)")
        return [str(self.script)]

    def stats(self):
        return self.request("GET", "/_sink/stats")[1]
