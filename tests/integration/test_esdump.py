# SPDX-License-Identifier: GPL-2.0-or-later
"""esdump against real engines (scripts/engine): every capture in
../shared/captures indexed by the plugin into Elasticsearch 8 comes back byte
for byte; display filters and query strings select exactly what tshark -Y
selects, with dotted and underscore names on Elasticsearch 8 and on
OpenSearch 2 (its own point in time); whole conversations, follow, errors,
SIGTERM, the GUI, and the extcap conformance checks of Wireshark's own
suite."""

import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import pcapfile
import tlsfront
from cluster import FaultProxy
from conftest import BUILD, SHARED
from engines import Engine, available
from helpers import capinfos_frames, summary

# Ports of this file's own engines (transport on port + 100).
PORT = int(os.environ.get("ESDUMP_TEST_PORT", "19560"))
OS_PORT = PORT + 2
EXTCAP_DIR = BUILD / "extcap"
ESDUMP = EXTCAP_DIR / "esdump"
ALL = "esd-all"            # every capture, dotted names
UNDERSCORE = "esd-under"   # the filter captures, underscore names

CAPTURES = sorted(p for p in (SHARED / "captures").glob("*.pcap*") if p.is_file())
FILTER_CAPTURES = [SHARED / "captures" / n for n in (
    "http-simple-get.pcap", "dns-tcp.pcap", "espcap-test_dns.pcap", "espcap-test_http.pcap", "v6-http.pcap",
    "stun.pcap", "radius.pcap", "kafka.pcap", "vxlan.pcap", "sctp-www.pcap", "long-session.pcap", "nbns.pcap",
    "http-xff.pcap", "dns-https.pcap", "tftp_rrq.pcap", "smtp-html.pcap")]

# (display filter, query-string equivalent or None)
FILTERS = [
    ("ip.addr == 10.0.0.2", "ip.addr:10.0.0.2"),
    ("ip.addr == 192.168.0.0/16", "ip.addr:192.168.0.0/16"),
    ("tcp.port in {1..1023}", "tcp.port:[1 TO 1023]"),
    ("udp.dstport >= 1024 && udp.dstport <= 5000", "udp.dstport:[1024 TO 5000]"),
    ('dns.qry.name contains "google"', "dns.qry.name:*google*"),
    ("tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.syn:1 AND tcp.flags.ack:0"),
    ("udp.port in {53, 137, 4789}", "udp.port:(53 OR 137 OR 4789)"),
    ("!(ip.addr == 10.0.0.2)", "NOT ip.addr:10.0.0.2"),
    ("ip.src != 10.0.0.1", None),
    ("!(tcp.port in {80, 443}) && tcp", None),
    ('http.request.method == "GET" || dns.flags.response == 0', None),
    (r'dns.qry.name matches "^www\\.(google|youtube)\\.com$"', None),
    (r'dns.qry.name matches "^WWW\\.[b-z]+\\.COM$"', None),   # case-insensitive, a class range
    ("ipv6 && udp", None),
    ("eth.src == 00:0c:29:3c:27:19 or frame.len > 1000", None),
]


def run_esdump(*args, check=True, timeout=300):
    proc = subprocess.run([str(ESDUMP), "--extcap-interface", "esdump", *map(str, args)],
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"esdump {' '.join(map(str, args))}: exit {proc.returncode}: "
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


def start_engine(name, port, workdir):
    if not available(name):
        pytest.skip(f"no {name} engine in tests/engines")
    engine = Engine(name, workdir, port=port).start()
    status, health = engine.request("GET", "/_cluster/health?wait_for_status=green&timeout=120s")
    assert status == 200, health
    return engine


@pytest.fixture(scope="module")
def es8(workdir):
    engine = start_engine("es8", PORT, workdir)
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def os2(workdir, tshark):
    """OpenSearch 2 with the filter captures (underscore names, as the
    exporter chooses for OpenSearch)."""
    engine = start_engine("os2", OS_PORT, workdir)
    index_captures(tshark, engine.url, UNDERSCORE, FILTER_CAPTURES)
    engine.refresh(UNDERSCORE)
    yield engine
    engine.stop()


def index_captures(tshark, url, index, captures, *extra):
    """Indexes captures with the plugin, each one whole: the first alone
    (it creates the index), then two at a time."""
    def one(cap):
        proc = tshark.run(["-r", str(cap), "-q", "-X", f"es.node={url}", "-X", f"es.index={index}",
                           "-X", "es.flush_timeout_s=600", *extra])
        s = summary(proc.stderr)
        assert s["indexed"] + s["present"] == s["frames"] == capinfos_frames(cap), \
            (cap.name, s, proc.stderr.decode(errors="replace")[-1500:])
    one(captures[0])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(one, captures[1:]))


@pytest.fixture(scope="module")
def indexed(es8, tshark):
    index_captures(tshark, es8.url, ALL, CAPTURES)
    index_captures(tshark, es8.url, UNDERSCORE, FILTER_CAPTURES, "-X", "es.name_style=underscore")
    es8.refresh("esd-*")
    return es8


@pytest.fixture(scope="module")
def capture_ids(indexed):
    """es.capture_id -> file name."""
    body = {"size": 0, "aggs": {"c": {"terms": {"field": "es.capture_id", "size": 1000},
                                      "aggs": {"n": {"terms": {"field": "es.capture", "size": 1}}}}}}
    status, res = indexed.request("POST", f"/{ALL}/_search", body)
    assert status == 200, res
    return {b["key"]: b["n"]["buckets"][0]["key"] for b in res["aggregations"]["c"]["buckets"]}


def tshark_i(tshark, out, **options):
    """tshark -i esdump with -o extcap.esdump.NAME:VALUE options."""
    args = ["-i", "esdump", "-w", str(out)]
    for name, value in options.items():
        args += ["-o", f"extcap.esdump.{name}:{value}"]
    return tshark.run(args, env={"WIRESHARK_EXTCAP_DIR": str(EXTCAP_DIR)}, check=False)


def frames_of(path):
    return [(ts, orig, data, lt) for ts, orig, data, lt, _ in pcapfile.read(path)]


def test_round_trip_every_capture(indexed, tshark, workdir):
    """Replayed with tshark -i esdump, one capture at a time by file name:
    bytes, lengths, times (ns) and link types equal the original's, in
    the capture's order."""
    def one(cap):
        out = workdir / f"rt-{cap.name}.pcapng"
        proc = tshark_i(tshark, out, node=indexed.url, index=ALL, replay=cap.name)
        want = frames_of(cap)
        got = frames_of(out) if out.exists() else None
        return cap.name, want == got, len(want), proc.stderr.decode(errors="replace")[-500:]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, CAPTURES))
    bad = [(name, err) for name, same, _, err in results if not same]
    print(f"round trip: {len(results) - len(bad)}/{len(results)} captures identical, "
          f"{sum(n for _, _, n, _ in results)} frames")
    assert not bad, bad


def test_round_trip_on_opensearch(os2, workdir):
    """OpenSearch's point in time (_search/point_in_time), one capture at a
    time and all of them in time order."""
    for cap in FILTER_CAPTURES:
        out = workdir / f"os-{cap.name}.pcapng"
        run_esdump("--capture", "--fifo", out, "--node", os2.url, "--index", UNDERSCORE, "--replay", cap.name,
                   "--page-size", 7)
        assert frames_of(out) == frames_of(cap), cap.name
    out = workdir / "os-all.pcapng"
    run_esdump("--capture", "--fifo", out, "--node", os2.url, "--index", UNDERSCORE, "--page-size", 100)
    got = frames_of(out)
    assert len(got) == sum(len(frames_of(c)) for c in FILTER_CAPTURES)
    assert [f[0] for f in got] == sorted(f[0] for f in got)


def selected(tshark, cap, dfilter):
    out = tshark.run(["-r", str(cap), "-Y", dfilter, "-T", "fields", "-e", "frame.number"]).stdout.decode()
    return {(cap.name, int(n)) for n in out.split()}


def replayed(path, capture_ids, names):
    """(capture name, frame number) of each packet, from its comment."""
    got = []
    for _, _, _, _, comment in pcapfile.read(path):
        m = re.search(r"_id (\w+)-(\d+)", comment)
        name = capture_ids.get(m.group(1), "?")
        if name in names:
            got.append((name, int(m.group(2))))
    return got


@pytest.fixture(scope="module")
def expected(indexed, tshark):
    return {f: set().union(*(selected(tshark, c, f) for c in FILTER_CAPTURES)) for f, _ in FILTERS}


@pytest.mark.parametrize("dfilter,qstring", FILTERS, ids=[f for f, _ in FILTERS])
@pytest.mark.parametrize("style", ["dotted", "underscore", "opensearch"])
def test_filters_select_what_tshark_selects(request, indexed, expected, capture_ids, workdir, style, dfilter,
                                            qstring):
    """Elasticsearch 8 with dotted and with underscore names, and OpenSearch
    2 (underscore, detected from GET /); queries typed with dotted names."""
    names = {c.name for c in FILTER_CAPTURES}
    server = request.getfixturevalue("os2") if style == "opensearch" else indexed
    index = ALL if style == "dotted" else UNDERSCORE
    want = expected[dfilter]
    assert want, f"{dfilter} selects nothing in the test captures"
    for query in [dfilter] + ([qstring] if qstring else []):
        out = workdir / f"flt-{style}-{abs(hash(query))}.pcapng"
        run_esdump("--capture", "--fifo", out, "--node", server.url, "--index", index,
                   "--names", "auto" if style == "opensearch" else style, "--query", query)
        got = replayed(out, capture_ids, names)
        assert len(got) == len(set(got)), f"{query}: duplicates"
        assert set(got) == want, (f"{query} ({style}): {len(set(got) & want)}/{len(want)} of tshark's, "
                                  f"extra {sorted(set(got) - want)[:5]}, missing {sorted(want - set(got))[:5]}")


def test_capture_filter_field_takes_the_query(indexed, expected, capture_ids, tshark, workdir):
    dfilter = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
    out = workdir / "capture-filter.pcapng"
    proc = tshark.run(["-i", "esdump", "-f", dfilter, "-w", str(out), "-o", f"extcap.esdump.node:{indexed.url}",
                       "-o", f"extcap.esdump.index:{ALL}"], env={"WIRESHARK_EXTCAP_DIR": str(EXTCAP_DIR)})
    assert set(replayed(out, capture_ids, {c.name for c in FILTER_CAPTURES})) == expected[dfilter], proc.stderr


def test_untranslatable_filters_are_refused_by_name(indexed):
    for query, part in [("frame[0:2] == 00:0c", "slices"), ("tcp.flags & 0x02", "&"),
                        ("ip.src == ip.dst", "ip.src == ip.dst"), ('http.host matches "a(?=b)"', "look-around"),
                        ("tcp.port == http", "http")]:
        proc = run_esdump("--capture", "--fifo", "/dev/null", "--node", indexed.url, "--index", ALL,
                          "--query", query, check=False)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and part in err, (query, err)


def test_whole_conversation_of_one_http_request(indexed, tshark, workdir, capture_ids):
    cap = SHARED / "captures" / "espcap-test_http.pcap"
    stream = int(tshark.run(["-r", str(cap), "-Y", 'http.request.uri == "/"', "-T", "fields",
                             "-e", "tcp.stream"]).stdout.split()[0])
    want = selected(tshark, cap, f"tcp.stream == {stream}")
    out = workdir / "conversation.pcapng"
    tshark_i(tshark, out, node=indexed.url, index=ALL, replay=cap.name, query='http.request.uri == "/"',
             conversations="true")
    got = replayed(out, capture_ids, {cap.name})
    assert len(want) > 2 and got == sorted(want), (len(got), len(want))
    alone = workdir / "request-alone.pcapng"
    tshark_i(tshark, alone, node=indexed.url, index=ALL, replay=cap.name, query='http.request.uri == "/"')
    assert len(pcapfile.read(alone)) == 1


def test_time_range_and_max_packets(indexed, workdir):
    cap = SHARED / "captures" / "espcap-test_dns.pcap"
    frames = frames_of(cap)
    mid = frames[len(frames) // 2][0]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(mid // 10**9)) + f".{mid % 10**9:09d}Z"
    out = workdir / "range.pcapng"
    run_esdump("--capture", "--fifo", out, "--node", indexed.url, "--index", ALL, "--replay", cap.name,
               "--from", iso)
    assert frames_of(out) == [f for f in frames if f[0] >= mid]
    run_esdump("--capture", "--fifo", out, "--node", indexed.url, "--index", ALL, "--replay", cap.name,
               "--to", iso, "--max-packets", 3)
    assert frames_of(out) == [f for f in frames if f[0] <= mid][:3]


def test_time_order_across_captures(indexed, workdir):
    out = workdir / "ordered.pcapng"
    run_esdump("--capture", "--fifo", out, "--node", indexed.url, "--index", ALL, "--query", "udp")
    times = [f[0] for f in frames_of(out)]
    assert len(times) > 500 and times == sorted(times)
    assert len({f[3] for f in frames_of(out)}) > 1   # several link types, one interface block each


def shifted_copy(cap, out, to_ns):
    """cap with its first frame moved to to_ns (a new capture id)."""
    first = frames_of(cap)[0][0]
    shift = (to_ns - first) / 1e9
    subprocess.run(["editcap", "-t", f"{shift:.6f}", str(cap), str(out)], check=True, capture_output=True)
    os.chmod(out, 0o644)


def test_follow_brings_new_packets_within_2s(indexed, tshark, workdir):
    index = "esd-follow"
    old = workdir / "follow-old.pcap"
    shifted_copy(SHARED / "captures" / "dns-tcp.pcap", old, time.time_ns() - 3600 * 10**9)
    index_captures(tshark, indexed.url, index, [old])
    indexed.refresh(index)
    proc = tshark.popen(["-i", "esdump", "-l", "-T", "fields", "-e", "frame.comment",
                         "-o", f"extcap.esdump.node:{indexed.url}", "-o", f"extcap.esdump.index:{index}",
                         "-o", "extcap.esdump.follow:true"],
                        env={"WIRESHARK_EXTCAP_DIR": str(EXTCAP_DIR)}, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
    try:
        lines = []
        os.set_blocking(proc.stdout.fileno(), False)

        def read_until(n, timeout):
            deadline = time.time() + timeout
            while len(lines) < n and time.time() < deadline:
                chunk = proc.stdout.read()
                if chunk:
                    lines.extend(chunk.decode().splitlines())
                time.sleep(0.05)
            return time.time()
        read_until(20, 30)
        assert len(lines) == 20, lines
        new = workdir / "follow-new.pcap"
        shifted_copy(SHARED / "captures" / "http-simple-get.pcap", new, time.time_ns())
        index_captures(tshark, indexed.url, index, [new])
        indexed_at = time.time()
        seen_at = read_until(36, 10)
        latency = seen_at - indexed_at
        print(f"follow: 16 frames indexed, all shown {latency:.2f} s later")
        assert len(lines) == 36 and latency <= 2.0, (len(lines), latency)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_sigterm_ends_follow_cleanly(indexed, workdir):
    out = workdir / "sigterm.pcapng"
    proc = subprocess.Popen([str(ESDUMP), "--extcap-interface", "esdump", "--capture", "--fifo", str(out),
                             "--node", indexed.url, "--index", ALL, "--query", "dns", "--follow"],
                            stderr=subprocess.PIPE)
    time.sleep(3)
    t0 = time.time()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and time.time() - t0 < 2, err
    assert len(pcapfile.read(out)) > 100   # complete blocks only, readable


@pytest.mark.parametrize("case", ["unreachable", "no-index", "no-raw", "bad-filter", "bad-query-string",
                                  "bad-time"])
def test_errors_reach_stderr_and_exit_status(indexed, tshark, case, workdir):
    args = {"node": indexed.url, "index": ALL}
    if case == "unreachable":
        args["node"] = "http://127.0.0.1:19599"
        want = "no node answered"
    elif case == "no-index":
        args["index"] = "no-such-index"
        want = "no such index"
    elif case == "no-raw":
        index_captures(tshark, indexed.url, "esd-noraw", [SHARED / "captures" / "radius.pcap"], "-X", "es.raw=false")
        indexed.refresh("esd-noraw")
        args["index"] = "esd-noraw"
        want = "has no es.raw"
    elif case == "bad-filter":
        args["query"] = "tcp.port == 80 &&"
        want = "display filter"
    elif case == "bad-query-string":
        args["query"] = "tcp.port:(80"
        want = "HTTP 400"
    else:
        args["from"] = "yesterday-ish"
        want = "is not a time"
    proc = tshark_i(tshark, workdir / f"err-{case}.pcapng", **args)
    err = proc.stderr.decode(errors="replace")
    assert "Error by extcap pipe: esdump: " in err and want in err, err   # tshark's own status stays 0
    direct = run_esdump("--capture", "--fifo", workdir / "err.pcapng",
                        *[x for k, v in args.items() for x in (f"--{k}", v)], check=False)
    assert direct.returncode == 1 and want in direct.stderr.decode(), direct.stderr


def test_authentication_refused(workdir, es8):
    """401 from a cluster with security (the fault proxy's, in front of the
    node: the es8 build has no security module)."""
    with FaultProxy(es8, user="elastic", password="right") as proxy:
        proc = run_esdump("--capture", "--fifo", workdir / "auth.pcapng", "--node", proxy.url,
                          "--user", "elastic", "--password", "wrong", check=False)
    assert proc.returncode == 1 and b"HTTP 401" in proc.stderr and b"password" in proc.stderr, proc.stderr


def test_index_selector_is_filled_from_the_cluster(indexed):
    conf = run_esdump("--extcap-config", "--node", indexed.url).stdout.decode()
    values = re.findall(r"value \{arg=1\}\{value=([^}]*)\}", conf)
    assert ALL in values and UNDERSCORE in values and values[0] == "packets-*"
    reload = run_esdump("--extcap-reload-option", "index", "--node", indexed.url, "--index", ALL).stdout.decode()
    assert re.findall(r"\{value=([^}]*)\}\{display=[^}]*\}\{default=true\}", reload) == [ALL]


# ---- conformance, as Wireshark's test/suite_extcaps.py checks every extcap ----

ARG = re.compile(r"^arg \{number=(\d+)\}\{call=(--[a-z-]+)\}\{display=[^}]+\}\{type=(\w+)\}(\{\w+=[^}]*\})*$")
VALUE = re.compile(r"^value \{arg=(\d+)\}\{value=[^}]*\}\{display=[^}]*\}\{default=(true|false)\}$")
TYPES = {"integer", "unsigned", "long", "double", "string", "password", "boolean", "boolflag", "selector",
         "radio", "multicheck", "fileselect", "timestamp"}


def test_extcap_conformance():
    help_ = run_esdump("--help").stdout.decode()
    assert "--extcap-interfaces" in help_ and "--node" in help_
    ifaces = subprocess.run([str(ESDUMP), "--extcap-interfaces", "--extcap-version=4.0"], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    assert re.match(r"^extcap \{version=[0-9.]+\}\{help=[^}]+\}$", ifaces[0])
    names = [re.match(r"^interface \{value=(\w+)\}\{display=[^}]+\}$", line).group(1) for line in ifaces[1:]]
    assert names == ["esdump"]
    for name in names:
        dlts = run_esdump("--extcap-dlts").stdout.decode().splitlines()
        assert dlts and all(re.match(r"^dlt \{number=\d+\}\{name=\w+\}\{display=[^}]+\}$", d) for d in dlts)
        lines = run_esdump("--extcap-config", "--node", "http://127.0.0.1:19599").stdout.decode().splitlines()
        args = {}
        for line in lines:
            m = ARG.match(line) or VALUE.match(line)
            assert m, line
            if line.startswith("arg"):
                assert m.group(3) in TYPES and m.group(1) not in args
                args[m.group(1)] = m.group(2)
            else:
                assert m.group(1) in args
        assert len(args) >= 15
        assert run_esdump("--version").stdout.startswith(b"esdump ")
        assert run_esdump("--extcap-capture-filter", "tcp.port == 80", "--syntax", "display-filter").returncode == 0
        for syntax in ("display-filter", "auto"):
            bad = run_esdump("--extcap-capture-filter", "tcp.port ==", "--syntax", syntax, check=False)
            assert bad.returncode == 1 and b"display filter" in bad.stderr
        assert run_esdump("--extcap-capture-filter", "dns.qry.name:example.com").returncode == 0


def test_tshark_lists_the_interface(tshark):
    out = tshark.run(["-D"], env={"WIRESHARK_EXTCAP_DIR": str(EXTCAP_DIR)}).stdout.decode()
    assert re.search(r"^\d+\. esdump \(Elasticsearch\)$", out, re.M), out


def test_wireshark_gui_captures_from_esdump(indexed, tshark, workdir):
    """Wireshark under Xvfb: the interface is listed (wireshark -D) and a
    capture from it (-k -i esdump) shows the packets (written with -w)."""
    if not shutil.which("wireshark") or not shutil.which("xvfb-run"):
        pytest.skip("wireshark-qt and xvfb are needed")
    home = workdir / "esdump-gui-home"
    (home / ".config" / "wireshark").mkdir(parents=True, exist_ok=True)
    (home / ".config" / "wireshark" / "recent_common").write_text("privs.warn_if_elevated: FALSE\n")
    (home / ".config" / "wireshark" / "preferences").write_text("gui.update.enabled: FALSE\n")
    subprocess.run(["chown", "-R", "nobody", str(home)], check=True)
    gui = tshark.__class__(home)
    env = {"WIRESHARK_EXTCAP_DIR": str(EXTCAP_DIR), "XDG_RUNTIME_DIR": str(home)}
    listed = gui.run(["-a", "wireshark", "-D"], program="xvfb-run", env=env).stdout.decode()
    assert "esdump (Elasticsearch)" in listed, listed
    cap = SHARED / "captures" / "http-simple-get.pcap"
    out, shot = workdir / "gui-capture.pcapng", workdir / "esdump-gui.png"
    script = (f"wireshark -k -i esdump -w {out} -o extcap.esdump.node:{indexed.url} -o extcap.esdump.index:{ALL} "
              f"-o extcap.esdump.replay:{cap.name} & pid=$!; sleep 15; import -window root {shot}; "
              "kill $pid; wait $pid")
    proc = gui.run(["-a", "-s", "-screen 0 1280x900x24", "sh", "-c", script], program="xvfb-run", env=env,
                   check=False)
    assert frames_of(out) == frames_of(cap), proc.stderr.decode(errors="replace")[-2000:]
    assert shot.exists()


FRONT_PORTS = {"tls": PORT + 20, "basic": PORT + 21, "apikey": PORT + 22, "pki": PORT + 23,
               "plain_basic": PORT + 24, "redirect": PORT + 25, "elsewhere": PORT + 26}


@pytest.fixture(scope="module")
def front(indexed, workdir):
    """nginx over HTTPS in front of the es8 node (tests/integration/tlsfront.py)."""
    if not tlsfront.available():
        pytest.skip("needs nginx and openssl (scripts/deps --test)")
    f = tlsfront.Front(workdir / "esdump-front", PORT, ports=FRONT_PORTS).start()
    yield f
    f.stop()


@pytest.mark.parametrize("case", ["ca-file", "insecure", "no-ca", "basic", "basic-wrong", "api-key",
                                  "api-key-missing"])
def test_https_and_credentials(front, workdir, case):
    cap = SHARED / "captures" / "radius.pcap"
    ca = ["--ca-file", front.path("ca.pem")]
    env = dict(os.environ)
    args, refused = {
        "ca-file": (["--node", front.url("tls"), *ca], None),
        "insecure": (["--node", front.url("tls"), "--insecure"], None),
        "no-ca": (["--node", front.url("tls")], "certificate"),
        "basic": (["--node", front.url("basic"), *ca, "--user", front.user, "--password", front.password], None),
        "basic-wrong": (["--node", front.url("basic"), *ca, "--user", front.user, "--password", "nope"], "HTTP 401"),
        "api-key": (["--node", front.url("apikey"), *ca], None),
        "api-key-missing": (["--node", front.url("apikey"), *ca], "HTTP 401"),
    }[case]
    if case == "api-key":
        env["ES_API_KEY"] = f"{front.key_id}:{front.key}"   # the id:key form, encoded by esdump
    out = workdir / f"https-{case}.pcapng"
    proc = subprocess.run([str(ESDUMP), "--extcap-interface", "esdump", "--capture", "--fifo", str(out),
                           "--index", ALL, "--replay", cap.name, *map(str, args)],
                          capture_output=True, env=env, timeout=120)
    err = proc.stderr.decode(errors="replace")
    if refused:
        assert proc.returncode == 1 and refused in err, err
    else:
        assert proc.returncode == 0 and frames_of(out) == frames_of(cap), err
    for secret in front.secrets():
        assert secret not in err
