"""A small client for the cluster under test, through Elasticsearch's public
REST API only, so the suite runs against the project's test server or a real
Elasticsearch/OpenSearch (ES_URL=...)."""

import base64
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "esserver" / "esserver.py"


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
        self.refresh(pattern)
        out, after = [], None
        sort = [{f: {"order": "asc", "unmapped_type": "keyword" if "capture" in f else "long"}}
                for f in ("es.capture_id", "frame.number", "es_capture_id", "frame_number")]
        while True:
            body = {"size": 5000, "query": {"match_all": {}}, "sort": sort}
            if after:
                body["search_after"] = after
            status, res = self.request(
                "POST", f"/{pattern}/_search?ignore_unavailable=true&allow_no_indices=true", body)
            assert status == 200, res
            hits = res["hits"]["hits"]
            if not hits:
                return out
            out.extend({"_index": h["_index"], "_id": h["_id"], "_source": h["_source"]} for h in hits)
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


class LocalCluster(Cluster):
    """The project's test server, started in its own process."""

    def __init__(self, mode="es8", port=0, **opts):
        self.mode = mode
        self.port = port
        self.opts = opts
        self.proc = None
        super().__init__("http://127.0.0.1:0", user=opts.get("user"), password=opts.get("password"),
                         api_key=opts.get("api_key"))

    def start(self):
        tmp = tempfile.mkdtemp(prefix="esserver-")
        port_file = os.path.join(tmp, "port")
        cmd = [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", str(self.port),
               "--port-file", port_file, "--mode", self.mode]
        for k, v in self.opts.items():
            flag = "--" + k.replace("_", "-")
            if v is True:
                cmd.append(flag)
            elif v not in (None, False):
                cmd += [flag, str(v)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("test server exited: " + self.proc.stderr.read().decode())
            time.sleep(0.05)
        else:
            raise RuntimeError("test server did not start")
        self.port = int(open(port_file).read().strip())
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stats(self):
        return self.request("GET", "/_test/stats")[1]

    def requests(self):
        """The last 200 requests: method, path, status, bytes on the wire,
        Content-Encoding, decoded body bytes."""
        return self.request("GET", "/_test/requests")[1]

    def set_faults(self, **faults):
        status, body = self.request("POST", "/_test/faults", faults)
        assert status == 200, body

    def docs(self, pattern):
        status, body = self.request("GET", f"/_test/docs?index={pattern}")
        assert status == 200, body
        if isinstance(body, (bytes, str)):
            text = body.decode() if isinstance(body, bytes) else body
            return [json.loads(line) for line in text.split("\n") if line.strip()]
        if isinstance(body, dict):
            return body.get("docs", [])
        return body
