# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/wireshark-es-query: queries with Wireshark names find what
tshark's display filters find, in dotted and underscore documents; the
table, NDJSON, --count and --top outputs; errors and exit codes.  The
documents are in a real Elasticsearch 8."""

import collections
import importlib.machinery
import importlib.util
import json
import os
import subprocess

import pytest

from conftest import ROOT, SHARED
from helpers import summary

SCRIPT = ROOT / "scripts" / "wireshark-es-query"
FILES = ["6-4-gre-ppp-udp-4-dns.pcap", "arkime_synthetic.pcap", "espcap-test_dns.pcap",
         "http-simple-get.pcap", "dns-tcp.pcap"]


def load_script():
    loader = importlib.machinery.SourceFileLoader("wireshark_es_query", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


q = load_script()


def test_field_names_of_a_query_string():
    cases = {
        "dns.flags.rcode:3": ["dns.flags.rcode"],
        'http.host:"a:b" AND ip.src:10.0.0.1': ["http.host", "ip.src"],
        r"http.request.uri:\/a\:b tcp.port:80": ["http.request.uri", "tcp.port"],
        "@timestamp:[2020-01-01T00:00:00 TO *] -tcp.flags.syn:true": ["@timestamp", "tcp.flags.syn"],
        "(dns.qry.name:x OR NOT _exists_:tcp.analysis.retransmission)": ["dns.qry.name",
                                                                          "tcp.analysis.retransmission"],
        "dns.*:example +source.ip:10.0.0.0/8": ["dns.*", "source.ip"],
        "example.com": [],
    }
    for query, names in cases.items():
        assert [n for _, n in q.query_fields(query)] == names, query


def test_underscore_names_keep_ecs_and_sub_fields():
    assert q.underscore("tcp.flags.syn") == "tcp_flags_syn"
    assert q.underscore("source.ip") == "source.ip"
    assert q.underscore("@timestamp") == "@timestamp"
    assert q.underscore("http.user_agent.text") == "http_user_agent.text"
    assert q.underscore("es.capture_id") == "es_capture_id"


class FakeCluster:
    """GET / of an OpenSearch node and _field_caps over a set of fields."""

    def __init__(self, fields):
        self.fields = fields

    def server(self):
        return q.es.Server({"version": {"distribution": "opensearch", "number": "2.19.0"}})

    def request(self, method, path, body=None):
        return 200, {"fields": {f: {} for f in body["fields"] if f in self.fields}}


def test_names_follow_the_server_and_the_mapping():
    names = q.Names(FakeCluster({"tcp_flags_syn", "source.ip", "dns.qry.name"}), "packets-*")
    warnings = []
    text = q.translate("tcp.flags.syn:true AND source.ip:10.0.0.1 AND dns.qry.name:a AND x.y:1",
                       names, warnings.append)
    # OpenSearch: underscores first; a dotted name the indices have is kept.
    assert text == "tcp_flags_syn:true AND source.ip:10.0.0.1 AND dns.qry.name:a AND x_y:1"
    assert warnings == ["no field x.y in packets-*"]


def query(cluster, *args):
    env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    return subprocess.run([str(SCRIPT), "--node", cluster.url, *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module", params=["dotted", "underscore"])
def indexed(request, tshark, cluster):
    """FILES in one index per name style."""
    name = f"it-query-{request.param}"
    cluster.delete(name)
    for f in FILES:
        proc = tshark.run(["-r", str(SHARED / "captures" / f), "-q", "-X", f"es.node={cluster.url}",
                           "-X", f"es.index={name}", "-X", f"es.name_style={request.param}"])
        assert summary(proc.stderr)["rejected"] == 0
    cluster.refresh(name)
    return name


def tshark_values(tshark, dfilter, field):
    """(capture, frame, values of field) of the frames matching dfilter."""
    rows = []
    for f in FILES:
        out = tshark.run(["-r", str(SHARED / "captures" / f), "-Y", dfilter, "-T", "fields",
                          "-e", "frame.number", "-e", field, "-E", "occurrence=a"]).stdout.decode()
        rows += [(f, int(line.split("\t")[0]), line.split("\t")[1]) for line in out.splitlines()]
    return rows


def test_count_equals_the_display_filter(cluster, tshark, indexed):
    for qs, dfilter in [("dns.flags.rcode:3", "dns.flags.rcode == 3"),
                        ("tcp.flags.syn:true AND tcp.flags.ack:false", "tcp.flags.syn==1 && tcp.flags.ack==0"),
                        ("ip.addr:192.168.1.2 OR _exists_:http.host", "ip.addr==192.168.1.2 || http.host"),
                        ("dns.qry.name:*.com", 'dns.qry.name matches "\\\\.com$"')]:
        proc = query(cluster, "--index", indexed, "--count", qs)
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stderr == "", proc.stderr
        assert int(proc.stdout) == len(tshark_values(tshark, dfilter, "frame.len")), qs


def test_table_and_ndjson(cluster, tshark, indexed):
    want = tshark_values(tshark, "dns.flags.rcode == 3", "dns.qry.name")
    proc = query(cluster, "--index", indexed, "-n", "0", "-f", "es.capture,frame.number,dns.qry.name",
                 "--sort", "es.capture", "--sort", "frame.number", "dns.flags.rcode:3")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["es.capture", "frame.number", "dns.qry.name"]
    got = [(c, int(n), v) for c, n, v in (line.split() for line in lines[1:])]
    assert got == sorted(want)

    nd = query(cluster, "--index", indexed, "--ndjson", "-n", "0", "dns.flags.rcode:3")
    docs = [json.loads(line) for line in nd.stdout.splitlines()]
    number = "frame.number" if indexed.endswith("dotted") else "frame_number"
    assert sorted(d[number] for d in docs) == sorted(n for _, n, _ in want)

    default = query(cluster, "--index", indexed, "-n", "3")
    assert default.stdout.split("\n")[0].split() == ["No.", "Time", "Source", "Destination", "Protocol",
                                                     "Length", "Info"]
    assert len(default.stdout.splitlines()) == 4


def test_top_values(cluster, tshark, indexed):
    want = collections.Counter(v for _, _, vs in tshark_values(tshark, "dns.qry.name", "dns.qry.name")
                               for v in vs.split(","))
    proc = query(cluster, "--index", indexed, "--top", "dns.qry.name", "-n", "3", "_exists_:dns.qry.name")
    assert proc.returncode == 0, proc.stderr
    rows = [line.rsplit(None, 1) for line in proc.stdout.splitlines()[1:]]
    assert [int(c) for _, c in rows] == [c for _, c in want.most_common(3)]
    assert all(want[v.strip()] == int(c) for v, c in rows)


def test_errors_and_exit_codes(cluster, indexed):
    typo = query(cluster, "--index", indexed, "--count", "dns.qry.nmae:x")
    assert typo.returncode == 1 and f"no field dns.qry.nmae in {indexed}" in typo.stderr
    bad = query(cluster, "--index", indexed, "dns.flags.rcode:(")
    assert bad.returncode == 2 and "refused the query" in bad.stderr and "Failed to parse query" in bad.stderr
    none = query(cluster, "--index", indexed, "frame.number:999999")
    assert none.returncode == 1 and none.stdout == "" and "no document matches" in none.stderr
    assert query(cluster, "--index", indexed, "--top", "ip.src", "-n", "0").returncode == 2
    assert "--sort" in query(cluster, "--index", indexed, "--sort", "a:sideways").stderr
    down = subprocess.run([str(SCRIPT), "--node", "http://127.0.0.1:19699", "x:1"], capture_output=True, text=True)
    assert down.returncode == 3 and "connection refused" in down.stderr
    help_ = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True)
    assert help_.returncode == 0 and "--top" in help_.stdout and "ES_API_KEY" in help_.stdout
