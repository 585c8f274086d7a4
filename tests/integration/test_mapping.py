# SPDX-License-Identifier: GPL-2.0-or-later
"""Index management: every capture in ../shared into one index per server
mode (Elasticsearch 8 with dotted names and subobjects:false, Elasticsearch 7
and OpenSearch 2 with underscore names): every document accepted, no mapping
conflict, well past 1,000 distinct fields, and every mapped field's type
equal to the one derived here, independently, from its Wireshark type
(`tshark -G fields`).  Then the targets (fixed index, data stream), the
template merge, the template export, ECS and the core profile."""

import collections
import concurrent.futures
import json
import subprocess

import pytest

from conftest import ROOT, SHARED, captures
from helpers import capinfos_frames, summary

# Wireshark type -> Elasticsearch type, as the README's mapping table says.
FT_ES = {
    "FT_BOOLEAN": "boolean",
    "FT_UINT64": "unsigned_long",
    "FT_FLOAT": "double", "FT_DOUBLE": "double", "FT_RELATIVE_TIME": "double",
    "FT_IEEE_11073_SFLOAT": "double", "FT_IEEE_11073_FLOAT": "double",
    "FT_ABSOLUTE_TIME": "date_nanos",
    "FT_IPv4": "ip", "FT_IPv6": "ip",
    "FT_BYTES": "bytes", "FT_UINT_BYTES": "bytes",
}
for t in ("CHAR", "UINT8", "UINT16", "UINT24", "UINT32", "UINT40", "UINT48", "UINT56", "INT8", "INT16",
          "INT24", "INT32", "INT40", "INT48", "INT56", "INT64", "FRAMENUM", "IPXNET"):
    FT_ES["FT_" + t] = "long"
VALUELESS = {"FT_NONE", "FT_PROTOCOL"}
NUMERIC = {"long", "unsigned_long", "double"}


def json_kind(es_type):
    return "number" if es_type in NUMERIC else "bool" if es_type == "boolean" else "string"


def family_type(ftypes):
    """The type of a name registered under several field types: one that
    accepts every value, and keyword when they would give JSON values of
    different kinds (then all are written as strings)."""
    types = [FT_ES.get(t, "keyword") for t in ftypes if t not in VALUELESS]
    if not types:
        return None
    if len({json_kind(t) for t in types}) > 1:
        return "keyword"
    out = types[0]
    for t in types[1:]:
        if t != out:
            out = "double" if out in NUMERIC and t in NUMERIC else "keyword"
    return out


def es_type(t):
    return "keyword" if t == "bytes" else t


# A name Wireshark registers more than once (icmpv6.opt.linkaddr as bytes and
# as a MAC address, tcp.options.mss as a label and as bytes) is mapped to the
# type that holds every registration's values; `tshark -G fields` lists only
# the first registration, so for those names the test accepts exactly the
# types that generalise it.
WIDER = {"long": {"double", "keyword"}, "unsigned_long": {"double", "keyword"}, "double": {"keyword"},
         "ip": {"keyword"}, "date_nanos": {"keyword"}, "boolean": {"keyword"}, "bytes": {"keyword"}}


class Registry(dict):
    """{field name: [field types]}, and the names that give each underscore
    member (looked up per mapped field: a scan of the 180,000 names each
    time took minutes per underscore-style engine)."""

    def __init__(self, fields):
        super().__init__(fields)
        self.underscored = collections.defaultdict(list)
        for name in fields:
            self.underscored[name.replace(".", "_")].append(name)


@pytest.fixture(scope="module")
def registry():
    """The Registry of this Wireshark."""
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True).stdout
    fields = collections.defaultdict(list)
    for line in out.splitlines():
        cols = line.split("\t")
        if cols[0] == "F" and len(cols) > 3:
            fields[cols[2]].append(cols[3])
    return Registry(fields)


# Members the exporter adds itself, and their types.
META = {
    "@timestamp": "date_nanos", "es.capture": "keyword", "es.capture_id": "keyword",
    "es.linktype": "long", "es.raw": "binary", "frame.number": "long", "frame.cap_len": "long",
    "observer.hostname": "keyword", "network.type": "keyword", "network.transport": "keyword",
    "network.protocol": "keyword", "network.bytes": "long", "event.dataset": "keyword",
    "source.ip": "ip", "destination.ip": "ip", "source.port": "long", "destination.port": "long",
    "_ws.col.info": "keyword", "_ws.col.protocol": "keyword",
}
DOTTED_META = {"es_capture": "keyword", "es_capture_id": "keyword", "es_linktype": "long",
               "es_raw": "binary", "frame_number": "long", "frame_cap_len": "long",
               "_ws_col_info": "keyword", "_ws_col_protocol": "keyword"}


def leaves(props, prefix=""):
    """{dotted path: definition} of the leaf fields of a mapping."""
    out = {}
    for name, d in props.items():
        path = f"{prefix}{name}"
        if "properties" in d:
            out.update(leaves(d["properties"], path + "."))
        else:
            out[path] = d
    return out


def registered(name, registry, underscore):
    """The Wireshark names that give this member name."""
    if not underscore:
        return [name] if name in registry else []
    return registry.underscored.get(name, [])


INTEGERS = {f"FT_{s}INT{n}" for s in ("U", "") for n in (8, 16, 24, 32, 40, 48, 56, 64)} | {"FT_CHAR"}


def is_value_name(name, registry, underscore):
    """FIELD.name (or FIELD.value_name) of a Wireshark integer field that no
    Wireshark field is called (es.value_names)."""
    sep = "_" if underscore else "."
    for suffix in (f"{sep}name", f"{sep}value_name"):
        if name.endswith(suffix) and not registered(name, registry, underscore):
            bases = registered(name[:-len(suffix)], registry, underscore)
            if any(t in INTEGERS for b in bases for t in registry[b]):
                return True
    return False


def expected_types(name, registry, underscore):
    """The types the exporter may give a mapped name."""
    if name in META:
        return {META[name], "constant_keyword"} if name == "event.dataset" else {META[name]}
    if underscore and name in DOTTED_META:
        return {DOTTED_META[name]}
    if is_value_name(name, registry, underscore):
        return {"keyword"}
    if not underscore:
        t = family_type(registry.get(name, []))
        return {es_type(t)} if t else set()
    # Underscore names: every Wireshark name that gives this one; two names
    # meeting under one member are written as strings.
    candidates = registry.underscored.get(name, [])
    types = {es_type(family_type(registry[n])) for n in candidates if family_type(registry[n])}
    if len(candidates) > 1:
        types |= {es_type(t) for t in types} | {"keyword"}
    return types


def want_raw(name, registry, underscore):
    if underscore:
        return {family_type(registry[n]) for n in registry.underscored.get(name, [])}
    return {family_type(registry.get(name, []))}


# unsigned_long on a cluster without it (x-pack): every digit in .exact.
ULONG_FALLBACK = {"type": "double", "fields": {"exact": {"type": "keyword"}}}
MODES = {"es8": False, "es9": False, "es7": True, "os2": True, "os3": True}
TIME_ALIASES = {"frame.time", "frame.time_utc", "frame.time_epoch", "frame_time", "frame_time_utc",
                "frame_time_epoch"}


def index_lane(tshark, server, lane, index):
    """Indexes one lane's captures one after the other; its own index
    pattern (so its own template) keeps the lanes from racing on one."""
    frames = 0
    for capture in lane:
        n = capinfos_frames(capture)
        frames += n
        # The other lane's mapping updates queue on the same master: waiting
        # for them may take longer than the default 30 s under load.
        proc = tshark.run(["-r", str(capture), "-q", "-X", f"es.node={server.url}", "-X", f"es.index={index}",
                           "-X", "es.flush_timeout_s=600"])
        s = summary(proc.stderr)
        err = proc.stderr.decode(errors="replace")
        assert s["frames"] == n and s["rejected"] == 0 and s["dropped"] == 0, f"{capture.name}: {err[-1500:]}"
        assert s["indexed"] + s["present"] == n
        assert "could not" not in err and "conflict" not in err, err[-1500:]
    return frames


def lanes(files, n):
    """files in n lanes of about equal work, biggest first: a tshark start
    costs about as much as 200 kB of capture."""
    out = [[] for _ in range(n)]
    work = [0] * n
    for f in sorted(files, key=lambda f: -f.stat().st_size):
        i = work.index(min(work))
        out[i].append(f)
        work[i] += 200_000 + f.stat().st_size
    return out


@pytest.mark.parametrize("mode", list(MODES))
def test_every_capture_into_one_index(mode, registry, tshark, engine, figures):
    server = engine(mode)
    server.clean("all-")
    # Two tshark processes at a time: the suite's longest test, on two cores.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(index_lane, tshark, server, lane, f"all-{tag}-%Y")
                for tag, lane in zip("ab", lanes(captures(), 2))]
        frames = sum(r.result() for r in runs)
    assert server.count("all-*") == frames
    n_captures = len(captures())

    # One definition per name in a lane's indices; across lanes the same but
    # for the copy_to each learned from the hidden fields its captures had.
    fields, in_lane = {}, {}
    for index_name, index in server.mappings("all-*").items():
        lane = index_name.split("-")[1]
        for name, d in leaves(index["mappings"]["properties"]).items():
            seen = in_lane.setdefault((lane, name), d)
            assert seen == d, f"{name}: {d} in {index_name}, {seen} in another index of its lane"
            bare = {k: v for k, v in d.items() if k != "copy_to"}
            other = {k: v for k, v in fields.setdefault(name, d).items() if k != "copy_to"}
            assert bare == other, f"{name}: {d} in {index_name}, {fields[name]} in the other lane"
    assert len(fields) > 1000, len(fields)
    wrong, generalised = [], []
    for name, d in sorted(fields.items()):
        if d["type"] == "alias":
            assert d["path"] == "@timestamp" and name in TIME_ALIASES, (name, d)
            continue
        want = expected_types(name, registry, MODES[mode])
        if "unsigned_long" in want and d == ULONG_FALLBACK:
            continue
        raw = want_raw(name, registry, MODES[mode])
        exact = d["type"] in want and not (d["type"] == "keyword" and raw == {"bytes"} and
                                           d.get("ignore_above") != 1024)
        if exact:
            continue
        wider = set().union(*(WIDER.get(t, set()) for t in raw if t)) if any(raw) else {d["type"]}
        if d["type"] in wider:
            generalised.append(name)
        else:
            wrong.append(f"{name}: mapped {d}, Wireshark type gives {sorted(want) or 'no value'}")
    assert not wrong, f"{len(wrong)} of {len(fields)} fields:\n" + "\n".join(wrong[:40])
    # Only the few names registered twice with different types (radius
    # dictionary attributes, icmpv6 link-layer addresses, TCP option labels).
    assert len(generalised) < len(fields) // 50, generalised
    figures(f"{mode} {server.version()['number']}: {n_captures} captures, {frames} frames indexed and "
          f"counted, {len(fields)} distinct fields mapped, {len(generalised)} generalised")

    # Documents carry only mapped fields (nothing left to dynamic mapping).
    status, res = server.request("POST", "/all-*/_search", {"size": 3000, "query": {"match_all": {}}})
    assert status == 200
    for hit in res["hits"]["hits"]:
        extra = set(hit["_source"]) - set(fields)
        assert not extra, extra


HTTP = SHARED / "captures" / "http-simple-get.pcap"
DNS = SHARED / "captures" / "dns-dnskey.pcap"


def index_into(tshark, server, capture, *settings):
    args = ["-r", str(capture), "-q", "-X", f"es.node={server.url}"]
    for s in settings:
        args += ["-X", s]
    proc = tshark.run(args)
    s = summary(proc.stderr)
    assert s["rejected"] == 0 and s["dropped"] == 0, proc.stderr.decode()[-1500:]
    return proc


def test_fixed_index(tshark, engine):
    server = engine("es8")
    server.clean("lab-pcaps")
    index_into(tshark, server, HTTP, "es.index=lab-pcaps")
    assert server.count("lab-pcaps") == capinfos_frames(HTTP)
    status, body = server.request("GET", "/_index_template/wireshark-es-lab-pcaps")
    assert status == 200
    assert body["index_templates"][0]["index_template"]["index_patterns"] == ["lab-pcaps*"]


@pytest.mark.parametrize("mode", ["es8", "es7"])
def test_data_stream_with_ilm_policy(mode, tshark, engine):
    server = engine(mode)
    server.clean("logs-wireshark-")
    proc = index_into(tshark, server, HTTP, "es.data_stream=logs-wireshark-default", "es.ilm_policy=pcap-30d")
    frames = capinfos_frames(HTTP)
    # _resolve is in the server itself (the _data_stream API is a module).
    status, body = server.request("GET", "/_resolve/index/logs-wireshark-default")
    assert status == 200, body
    if "no data streams" in proc.stderr.decode():
        # Elasticsearch 7 without x-pack: one index of that name, typed by
        # the same template (without data_stream), said once.
        assert proc.stderr.decode().count("no data streams") == 1
        assert [i["name"] for i in body["indices"]] == ["logs-wireshark-default"]
        assert server.count("logs-wireshark-default") == frames
        status, body = server.request("GET", "/_index_template/wireshark-es-logs-wireshark-default")
        assert status == 200 and "data_stream" not in body["index_templates"][0]["index_template"]
        return
    stream = body["data_streams"][0]
    assert stream["name"] == "logs-wireshark-default"
    assert stream["backing_indices"][0].startswith(".ds-logs-wireshark-default-")
    assert server.count("logs-wireshark-default") == frames
    status, body = server.request("GET", "/_index_template/wireshark-es-logs-wireshark-default")
    tmpl = body["index_templates"][0]["index_template"]
    assert "data_stream" in tmpl
    status, _ = server.request("POST", "/_index_template/_simulate", {
        "index_patterns": ["probe-*"], "template": {"settings": {"index.lifecycle.name": "x"}}})
    if status == 200:
        assert tmpl["template"]["settings"]["index"]["lifecycle"]["name"] == "pcap-30d"
    else:
        # A cluster without ILM: said once, the template without the setting.
        assert proc.stderr.decode().count("es.ilm_policy is not applied") == 1
        assert "lifecycle" not in tmpl["template"].get("settings", {}).get("index", {})
    # Re-reading the capture: every frame already there (create + the same _id).
    proc = index_into(tshark, server, HTTP, "es.data_stream=logs-wireshark-default")
    assert summary(proc.stderr)["present"] == frames
    assert server.count("logs-wireshark-default") == frames


def template_properties(server, name):
    status, body = server.request("GET", f"/_index_template/{name}")
    assert status == 200, body
    return leaves(body["index_templates"][0]["index_template"]["template"]["mappings"]["properties"])


def test_template_only_grows(tshark, engine):
    """A second run with other protocols keeps the first run's fields (and
    their copy_to) in the template: it is never replaced by a narrower one."""
    server = engine("es8")
    server.clean("grow-")
    index_into(tshark, server, HTTP, "es.index=grow-%Y")
    first = template_properties(server, "wireshark-es-grow")
    assert "http.request.method" in first and "ip.addr" in first[("ip.src")].get("copy_to", [])
    index_into(tshark, server, DNS, "es.index=grow-%Y")
    second = template_properties(server, "wireshark-es-grow")
    assert "dns.qry.name" in second
    for name, d in first.items():
        assert second[name] == d, (name, d, second[name])


def test_index_mapped_otherwise_keeps_the_rest(tshark, engine):
    """An index that maps one of the fields otherwise already (another
    writer's documents came first) keeps that field's mapping, said once,
    and every other field is still mapped by the exporter, not left to
    dynamic mapping by one refused update."""
    server = engine("es8")
    server.clean("otherwise-")
    status, body = server.request("PUT", "/otherwise-pcaps", {
        "mappings": {"subobjects": False, "properties": {"ip.ttl": {"type": "keyword"}}}})
    assert status == 200, body
    proc = index_into(tshark, server, HTTP, "es.index=otherwise-pcaps")
    err = proc.stderr.decode()
    assert err.count("maps ip.ttl otherwise already") == 1, err[-1500:]
    assert "could not add" not in err, err[-1500:]
    assert server.count("otherwise-pcaps") == capinfos_frames(HTTP)
    props = leaves(server.mappings("otherwise-pcaps")["otherwise-pcaps"]["mappings"]["properties"])
    assert props["ip.ttl"]["type"] == "keyword"
    assert props["ip.src"]["type"] == "ip"
    assert props["tcp.srcport"]["type"] == "long"
    assert props["http.request.method"]["type"] == "keyword"


def test_template_of_higher_priority_said(tshark, engine):
    """A template of higher priority over the same indices wins (templates do
    not merge): new indices get its mappings, not the exporter's.  Said
    once, naming what to change; none said when ours applies."""
    server = engine("es8")
    server.clean("hp-")
    status, body = server.request("PUT", "/_index_template/user-hp", {
        "index_patterns": ["hp-*"], "priority": 500,
        "template": {"mappings": {"properties": {"note": {"type": "keyword"}}}}})
    assert status == 200, body
    try:
        proc = tshark.run(["-r", str(HTTP), "-q", "-X", f"es.node={server.url}", "-X", "es.index=hp-%Y"])
        err = proc.stderr.decode()
        assert err.count("an index template of higher priority than wireshark-es-hp (200) matches hp-*") == 1, \
            err[-1500:]
        # What it warns of: the exporter's mapping is not the index's.
        mapping = server.mappings("hp-*").popitem()[1]["mappings"]
        assert "note" in mapping["properties"] and mapping.get("subobjects", True) is True
    finally:
        server.request("DELETE", "/_index_template/user-hp")
    server.clean("hp-")
    err = index_into(tshark, server, HTTP, "es.index=hp-%Y").stderr.decode()
    assert "higher priority" not in err, err[-1500:]


def test_dump_template_and_put_template(tshark, engine, workdir):
    """es.dump_template writes what the exporter would install; the script
    installs it by hand; documents written to a file then index as well."""
    out, tmpl = workdir / "dump.ndjson", workdir / "template.json"
    proc = tshark.run(["-r", str(HTTP), "-q", "-X", f"es.node=file:{out}", "-X", "es.index=manual-%Y",
                       "-X", f"es.dump_template={tmpl}"])
    assert f"written to {tmpl}" in proc.stderr.decode()
    body = json.loads(tmpl.read_text())
    assert body["index_patterns"] == ["manual-*"]
    props = body["template"]["mappings"]["properties"]
    assert props["ip.src"]["type"] == "ip" and props["frame.time"] == {"type": "alias", "path": "@timestamp"}
    server = engine("es8")
    server.clean("manual-")
    put = subprocess.run([str(ROOT / "scripts" / "put-template"), str(tmpl), server.url],
                         capture_output=True, text=True)
    assert put.returncode == 0, put.stdout + put.stderr
    assert "wireshark-es-manual" in put.stdout
    status, res = server.request("POST", "/_bulk", out.read_bytes(), {"Content-Type": "application/x-ndjson"})
    assert status == 200 and not res["errors"]
    mapped = leaves(server.mappings("manual-*")[next(iter(server.mappings("manual-*")))]["mappings"]["properties"])
    assert mapped["tcp.srcport"]["type"] == "long" and mapped["es.raw"]["type"] == "binary"


def test_ecs_fields(tshark, engine):
    server = engine("es8")
    server.clean("ecs-")
    server.clean("noecs-")
    index_into(tshark, server, HTTP, "es.index=ecs-%Y")
    docs = [d["_source"] for d in server.docs("ecs-*")]
    first = docs[0]
    assert first["network.type"] == "ipv4" and first["network.transport"] == "tcp"
    assert first["observer.hostname"] and "es.host" not in first
    assert {d["network.protocol"] for d in docs} >= {"tcp", "http"}
    props = leaves(next(iter(server.mappings("ecs-*").values()))["mappings"]["properties"])
    assert "source.ip" in props["ip.src"]["copy_to"] and "destination.port" in props["tcp.dstport"]["copy_to"]
    assert "network.bytes" in props["frame.len"]["copy_to"]
    if props["event.dataset"]["type"] == "keyword":
        # A cluster without constant_keyword (x-pack): in every document.
        assert {d["event.dataset"] for d in docs} == {"wireshark.packet"}
    else:
        assert props["event.dataset"] == {"type": "constant_keyword", "value": "wireshark.packet"}
    # Off: none of it.
    index_into(tshark, server, DNS, "es.index=noecs-%Y", "es.ecs=false")
    doc = server.docs("noecs-*")[0]["_source"]
    assert not any(k.split(".")[0] in ("network", "observer", "event", "source", "destination") for k in doc)
    assert doc["es.host"]


def test_ecs_udp_underscore_style(tshark, engine):
    server = engine("os2")
    server.clean("ecsu-")
    index_into(tshark, server, DNS, "es.index=ecsu-%Y")
    doc = server.docs("ecsu-*")[0]["_source"]
    assert doc["network.transport"] == "udp" and doc["network.protocol"] == "dns"
    assert doc["event.dataset"] == "wireshark.packet"       # no constant_keyword on OpenSearch
    assert "ip_src" in doc


def test_core_profile(tshark, engine, workdir):
    full, core = workdir / "full.ndjson", workdir / "core.ndjson"
    for path, profile in ((full, "full"), (core, "core")):
        tshark.run(["-r", str(HTTP), "-q", "-X", f"es.node=file:{path}", "-X", f"es.profile={profile}"])
    size = {p: len(p.read_bytes()) for p in (full, core)}
    assert size[core] * 2 < size[full], size
    docs = [json.loads(line) for line in core.read_text().splitlines()[1::2]]
    keys = set().union(*docs)
    assert {"ip.src", "tcp.srcport", "tcp.flags.syn", "http.request.method", "frame.number"} <= keys
    assert not any(k.startswith(("tcp.analysis", "tcp.options", "eth.lg", "_ws.expert.group")) for k in keys)
    server = engine("es8")
    server.clean("core-")
    index_into(tshark, server, HTTP, "es.index=core-%Y", "es.profile=core")
    assert server.count("core-*") == capinfos_frames(HTTP)


def test_text_sub_field_for_long_strings(tshark, engine):
    """http.user_agent: a keyword for exact match and aggregations, and a
    text sub-field for word search."""
    server = engine("es8")
    server.clean("txt-")
    index_into(tshark, server, HTTP, "es.index=txt-%Y")
    props = leaves(next(iter(server.mappings("txt-*").values()))["mappings"]["properties"])
    assert props["http.user_agent"]["type"] == "keyword"
    assert props["http.user_agent"]["fields"] == {"text": {"type": "text"}}
    assert "fields" not in props["http.request.method"]
