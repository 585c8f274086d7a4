# SPDX-License-Identifier: GPL-2.0-or-later
"""What only a real engine can show: real `_search` queries with Wireshark's
names return exactly the frames tshark's display filter selects; re-reading
a capture adds nothing; gzip bodies; two nodes with one of them down; a
three-node cluster losing a node in the middle of a run."""

import subprocess
import threading
import time

import pytest

from conftest import SHARED
from engines import Engine, from_environment
from helpers import capinfos_frames, summary

QUERY_CAPTURES = ["http-simple-get.pcap", "dns-tcp.pcap", "espcap-test_dns.pcap", "v6-http.pcap",
                  "6-4-gre-ppp-udp-4-dns.pcap", "espcap-test_http.pcap"]

# (Elasticsearch query_string with Wireshark's names, the display filter that
# selects the same frames).
QUERIES = [
    ("tcp.flags.syn:true AND tcp.flags.ack:false", "tcp.flags.syn == 1 && tcp.flags.ack == 0"),
    ("frame.len:[100 TO 500]", "frame.len >= 100 && frame.len <= 500"),
    ("frame.time_relative:[0.5 TO 3]", "frame.time_relative >= 0.5 && frame.time_relative <= 3"),
    ('ip.addr:"10.180.156.141"', "ip.addr == 10.180.156.141"),
    ('ip.addr:"10.0.0.0/8"', "ip.addr == 10.0.0.0/8"),
    ("dns.qry.name:*.google.com", 'dns.qry.name matches "\\\\.google\\\\.com$"'),
    ('source.ip:"10.0.0.2"', "ip.src == 10.0.0.2"),
    ("destination.port:53", "tcp.dstport == 53 || udp.dstport == 53 || sctp.dstport == 53"),
    ("tcp.port:80 AND NOT http.request.method:GET", "tcp.port == 80 && !(http.request.method == \"GET\")"),
    ("udp.srcport:>=5000", "udp.srcport >= 5000"),
]
ECS = ("source.", "destination.", "network.", "observer.", "event.")


def in_style(query, underscore):
    """The query with Wireshark's names in the index's style (ECS names stay
    dotted: they are objects there)."""
    if not underscore:
        return query
    words = []
    for word in query.split(" "):
        name, colon, rest = word.partition(":")
        if colon and not name.startswith(ECS):
            word = name.replace(".", "_") + colon + rest
        words.append(word)
    return " ".join(words)


def search_frames(server, index, query, style):
    frames = set()
    capture, number = ("es_capture", "frame_number") if style else ("es.capture", "frame.number")
    after = None
    while True:
        body = {"size": 1000, "query": {"query_string": {"query": query, "default_operator": "AND"}},
                "_source": [capture, number], "sort": [{number: "asc"}, {capture: "asc"}]}
        if after:
            body["search_after"] = after
        status, res = server.request("POST", f"/{index}/_search", body)
        assert status == 200, res
        hits = res["hits"]["hits"]
        if not hits:
            return frames
        frames |= {(h["_source"][capture], h["_source"][number]) for h in hits}
        after = hits[-1]["sort"]


def filter_frames(tshark, display_filter):
    frames = set()
    for name in QUERY_CAPTURES:
        proc = tshark.run(["-r", str(SHARED / "captures" / name), "-Y", display_filter, "-T", "fields",
                           "-e", "frame.number"], env={"TZ": "UTC"})
        frames |= {(name, int(n)) for n in proc.stdout.decode().split()}
    return frames


def index_captures(tshark, server, index, *settings):
    total = 0
    for name in QUERY_CAPTURES:
        capture = SHARED / "captures" / name
        args = ["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", f"es.index={index}"]
        for s in settings:
            args += ["-X", s]
        s = summary(tshark.run(args).stderr)
        assert s["rejected"] == 0 and s["dropped"] == 0
        total += capinfos_frames(capture)
    return total


@pytest.fixture(scope="module", params=["es8", "os2"])
def queried(request, engine, tshark):
    """A real engine with the query captures in index q-wireshark."""
    server = from_environment() or engine(request.param)
    server.clean("q-wireshark")
    frames = index_captures(tshark, server, "q-wireshark")
    assert server.count("q-wireshark") == frames
    status, root = server.request("GET", "/")
    version = tuple(int(x) for x in root["version"]["number"].split(".")[:2])
    underscore = root["version"].get("distribution") == "opensearch" or version < (8, 3)
    return server, underscore


@pytest.mark.parametrize("query,display_filter", QUERIES, ids=[q for q, _ in QUERIES])
def test_query_equals_display_filter(query, display_filter, queried, tshark, figures):
    server, underscore = queried
    want = filter_frames(tshark, display_filter)
    got = search_frames(server, "q-wireshark", in_style(query, underscore), underscore)
    assert want, f"{display_filter} selects nothing: the case proves nothing"
    assert got == want, f"only in Elasticsearch: {sorted(got - want)[:10]}, only in tshark: {sorted(want - got)[:10]}"
    figures(f"{server.version()['number']} query {query!r}: {len(got)} hits = tshark -Y {display_filter!r}")


def test_frame_time_alias_range(queried, tshark):
    """frame.time (an alias of @timestamp) in a range query selects what
    frame.time does in tshark."""
    server, underscore = queried
    name = "frame_time" if underscore else "frame.time"
    gte, lte = "2013-11-25T14:55:58.3Z", "2013-11-25T14:56:00Z"
    got = search_frames(server, "q-wireshark", f'{name}:["{gte}" TO "{lte}"]', underscore)
    want = filter_frames(tshark, 'frame.time >= "2013-11-25 14:55:58.3" && frame.time <= "2013-11-25 14:56:00"')
    assert want and got == want


def test_reindex_is_already_present(engine, tshark, figures):
    """create with the capture's deterministic _id: a second run adds no
    document, and says so."""
    server = from_environment() or engine("es8")
    server.clean("re-")
    capture = SHARED / "captures" / "smb-smbclient.pcap"
    frames = capinfos_frames(capture)
    for run in range(2):
        proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=re-%Y"])
        s = summary(proc.stderr)
        assert (s["indexed"], s["present"]) == ((frames, 0) if run == 0 else (0, frames))
    assert server.count("re-*") == frames
    figures(f"{server.version()['number']} re-index of {capture.name}: {frames} already present, "
            f"{server.count('re-*')} documents")


def test_gzip_bodies(engine, tshark):
    server = from_environment() or engine("es8")
    server.clean("gz-")
    capture = SHARED / "bench" / "http50k.pcapng"
    frames = capinfos_frames(capture)
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=gz-%Y",
                       "-X", "es.compression=gzip"])
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == 0
    assert server.count("gz-*") == frames


def test_two_nodes_one_down(engine, tshark):
    """A node that does not answer is skipped; everything goes to the other."""
    if from_environment():
        pytest.skip("needs a local engine")
    server = engine("es8")
    server.clean("two-")
    capture = SHARED / "captures" / "smb-smbclient.pcap"
    frames = capinfos_frames(capture)
    nodes = f"http://127.0.0.1:1,{server.url}"     # nothing listens on port 1
    proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={nodes}", "-X", "es.index=two-%Y"])
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == 0 and s["dropped"] == 0
    assert server.count("two-*") == frames


def test_cluster_node_stopped_mid_run(tshark, workdir):
    """Three nodes in one cluster, the exporter told all three; one stops
    while a 50,000-frame capture is indexed: every frame indexed once."""
    if from_environment():
        pytest.skip("needs a local engine")
    capture = SHARED / "bench" / "http50k.pcapng"
    frames = capinfos_frames(capture)
    with Engine("es8", workdir, port=19260, nodes=3) as cluster:
        # The exporter's template and index first, then one replica, so
        # that the stopped node's shards are promoted on the others.
        first = tshark.run(["-r", str(SHARED / "captures" / "http-simple-get.pcap"), "-q",
                            "-X", f"es.node={cluster.url}", "-X", "es.index=three"])
        assert summary(first.stderr)["rejected"] == 0
        status, body = cluster.request("PUT", "/three/_settings", {"index": {"number_of_replicas": 1}})
        assert status == 200, body
        status, body = cluster.request("GET", "/_cluster/health/three?wait_for_status=green&timeout=60s")
        assert body["status"] == "green", body
        nodes = ",".join(cluster.node_url(i) for i in range(3))
        run = tshark.popen(["-r", str(capture), "-q", "-X", f"es.node={nodes}", "-X", "es.index=three",
                            "-X", "es.bulk_docs=2000"], stderr=subprocess.PIPE)
        started = time.monotonic()
        stopper = threading.Timer(4.0, cluster.stop_node, args=(2,))
        stopper.start()
        _, err = run.communicate(timeout=900)
        elapsed = time.monotonic() - started
        stopper.join()
        assert elapsed > 6, f"the run ended {elapsed:.1f} s in: the node stopped after it"
        status, nodes_left = cluster.request("GET", "/_cat/nodes?format=json", None)
        assert status == 200 and len(nodes_left) == 2
        s = summary(err)
        assert run.returncode == 0, err.decode()[-2000:]
        assert s["indexed"] + s["present"] == frames and s["rejected"] == 0 and s["dropped"] == 0, err.decode()
        assert cluster.count("three") == frames + capinfos_frames(SHARED / "captures" / "http-simple-get.pcap")


def test_cluster_read_only_block_waited_out(engine, tshark):
    """A cluster made read-only through the API answers every write 403
    cluster_block_exception (not a credentials problem): the exporter says
    what is wrong, keeps the documents and the mappings they need, and
    delivers everything once the block is lifted."""
    if from_environment():
        pytest.skip("needs a local engine")
    server = engine("es8")
    server.clean("ro-")
    tshark.run(["-r", str(SHARED / "captures" / "http-simple-get.pcap"), "-q", "-X", f"es.node={server.url}",
                "-X", "es.index=ro-%Y"])
    block = {"persistent": {"cluster.blocks.read_only_allow_delete": True}}
    lift = {"persistent": {"cluster.blocks.read_only_allow_delete": None}}
    assert server.request("PUT", "/_cluster/settings", block)[0] == 200
    lifter = threading.Timer(8.0, server.request, args=("PUT", "/_cluster/settings", lift))
    lifter.start()
    try:
        capture = SHARED / "captures" / "smb-smbclient.pcap"
        frames = capinfos_frames(capture)
        proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", "es.index=ro-%Y",
                           "-X", "es.flush_timeout_s=120"], timeout=300)
    finally:
        lifter.join()
        server.request("PUT", "/_cluster/settings", lift)
    err = proc.stderr.decode()
    s = summary(proc.stderr)
    assert s["indexed"] == frames and s["rejected"] == 0 and s["dropped"] == 0, err[-2000:]
    assert "the cluster blocks writes" in err and "credentials" not in err and "stopped" not in err, err
    assert server.count("ro-*") == frames + capinfos_frames(SHARED / "captures" / "http-simple-get.pcap")
