# SPDX-License-Identifier: GPL-2.0-or-later
"""Real Elasticsearch and OpenSearch nodes for the suite, started with
scripts/engine (tests/engines): one per engine and session, on ports of
their own, with their data in the session's scratch directory."""

import os
import pathlib
import subprocess

from cluster import Cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "engine"
# Apart from the ports a user's own engines (scripts/engine's defaults) use.
PORTS = {"es8": 19250, "es9": 19251, "es7": 19252, "os2": 19253, "os3": 19254}


def default_port(name):
    """PORTS, or for runs that must keep to a range of their own
    (ES_TEST_PORTS=A-B) one of its last ten ports (cluster.server_ports
    takes the others).  The last, because scripts/engine binds the
    transport port 100 above: the less likely to be taken the better."""
    text = os.environ.get("ES_TEST_PORTS")
    if text:
        return int(text.split("-")[1]) - 9 + list(PORTS).index(name)
    return PORTS[name]


def available(name):
    return (ROOT / "tests" / "engines" / name / "pom.xml").exists()


class Engine(Cluster):
    """A real engine of one or more nodes; node i answers on port+i."""

    def __init__(self, name, workdir, port=None, nodes=1):
        self.name = name
        self.port = port or default_port(name)
        self.nodes = nodes
        self.data = pathlib.Path(workdir) / f"engine-{name}-{self.port}"
        super().__init__(f"http://127.0.0.1:{self.port}")

    def _script(self, verb, *args, check=True):
        return subprocess.run([str(SCRIPT), verb, self.name, "--port", str(self.port), *args],
                              capture_output=True, text=True, check=check, timeout=400)

    def start(self):
        proc = subprocess.run([str(SCRIPT), "start", self.name, "--port", str(self.port),
                               "--data", str(self.data), "--nodes", str(self.nodes)],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/engine start {self.name} failed:\n{proc.stderr[-3000:]}")
        return self

    def stop(self):
        self._script("stop", check=False)

    def stop_node(self, i):
        self._script("stop-node", "--node", str(i))

    def start_node(self, i):
        self._script("start-node", "--node", str(i))

    def node_url(self, i):
        return f"http://127.0.0.1:{self.port + i}"

    def version(self):
        return self.request("GET", "/")[1]["version"]

    def clean(self, prefix):
        """Deletes the indices, data streams and templates of one test."""
        status, body = self.request("GET", f"/_data_stream/{prefix}*")
        for ds in (body or {}).get("data_streams", []) if status == 200 else []:
            self.request("DELETE", f"/_data_stream/{ds['name']}")
        self.delete(f"{prefix}*")
        self.delete(f".ds-{prefix}*")
        status, body = self.request("GET", "/_index_template")
        for t in (body or {}).get("index_templates", []) if status == 200 else []:
            if any(p.startswith(prefix) for p in t["index_template"]["index_patterns"]):
                self.request("DELETE", f"/_index_template/{t['name']}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def from_environment():
    """The cluster of ES_URL (with ES_USER/ES_PASSWORD or ES_API_KEY), or None."""
    url = os.environ.get("ES_URL")
    if not url:
        return None
    return Cluster(url, user=os.environ.get("ES_USER"), password=os.environ.get("ES_PASSWORD"),
                   api_key=os.environ.get("ES_API_KEY"))
