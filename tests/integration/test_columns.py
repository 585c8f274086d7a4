# SPDX-License-Identifier: GPL-2.0-or-later
"""Wireshark's Info and Protocol columns (_ws.col.info, _ws.col.protocol)
and value names (FIELD.name) in the documents: equal to what tshark itself
shows, off when their settings say so, and searchable in a real
Elasticsearch 8."""

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import SHARED
from helpers import strict_loads, summary

CAPTURES = ["http-simple-get.pcap", "espcap-test_dns.pcap", "6-4-gre-ppp-udp-4-dns.pcap",
            "openssl-tls1_2.pcap", "dns-tcp.pcap", "v6-http.pcap", "http-tcp-seq-issue.pcap"]
NXDOMAIN = "6-4-gre-ppp-udp-4-dns.pcap"   # the one rcode 3 frame of the shared DNS captures


def export(tshark, workdir, capture, *settings):
    """The documents of capture (sink file:), by frame number."""
    out = workdir / f"columns-{capture}-{len(settings)}-{abs(hash(settings))}.ndjson"
    args = ["-r", str(SHARED / "captures" / capture), "-q", "-X", f"es.node=file:{out}"]
    for s in settings:
        args += ["-X", s]
    s = summary(tshark.run(args).stderr)
    assert s["dropped"] == 0 and s["rejected"] == 0
    docs = [strict_loads(line) for line in out.read_text().splitlines()[1::2]]
    number = "frame_number" if "es.name_style=underscore" in settings else "frame.number"
    return {d[number]: d for d in docs}


@pytest.fixture(scope="module")
def registry(tshark):
    """Every field name Wireshark registers."""
    out = tshark.run(["-G", "fields"]).stdout.decode(errors="replace")
    return {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}


@pytest.mark.parametrize("capture", CAPTURES)
def test_columns_equal_tsharks(capture, tshark, workdir):
    docs = export(tshark, workdir, capture)
    out = tshark.run(["-r", str(SHARED / "captures" / capture), "-T", "fields", "-E", "occurrence=f",
                      "-e", "frame.number", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"])
    rows = [line.split("\t") for line in out.stdout.decode(errors="replace").splitlines()]
    assert len(rows) == len(docs) > 0
    for number, protocol, info in rows:
        doc = docs[int(number)]
        assert doc.get("_ws.col.protocol", "") == protocol, f"frame {number}"
        assert doc.get("_ws.col.info", "") == info, f"frame {number}"


def pdml_shownames(tshark, capture):
    """For each frame: field name -> its PDML shownames, in tree order."""
    out = tshark.run(["-r", str(SHARED / "captures" / capture), "-T", "pdml"]).stdout
    frames = {}
    for packet in ET.fromstring(out).iter("packet"):
        names = {}
        for field in packet.iter("field"):
            names.setdefault(field.get("name"), []).append(field.get("showname") or "")
        frames[int(names["frame.number"][0].rsplit(" ", 1)[-1])] = names
    return frames


def as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("capture", ["http-simple-get.pcap", NXDOMAIN, "openssl-tls1_2.pcap"])
def test_value_names_equal_pdml(capture, tshark, workdir, registry):
    """Every FIELD.name that no Wireshark field is called holds names PDML
    shows for FIELD in that frame ("Label: NAME" or "Label: NAME (value)")."""
    docs = export(tshark, workdir, capture)
    pdml = pdml_shownames(tshark, capture)
    checked = 0
    for number, doc in docs.items():
        for member, names in doc.items():
            if not member.endswith(".name") or member in registry:
                continue
            field = member[:-len(".name")]
            assert field in registry and field in doc, member
            shown = pdml[number].get(field)
            if shown is None:   # hidden fields are not in PDML
                continue
            for name in as_list(names):
                assert any(re.search(r": " + re.escape(name) + r"( \(|$)", s) for s in shown), \
                    f"frame {number}: {member}={name!r} not in {shown}"
                checked += 1
    assert checked >= len(docs)   # at least one name per frame on average


def test_named_examples(tshark, workdir):
    """The issue's examples: rcode 3, checksum status 2, severity Chat."""
    dns = export(tshark, workdir, NXDOMAIN)
    nx = [d for d in dns.values() if d.get("dns.flags.rcode") == 3]
    assert nx and all(d["dns.flags.rcode.name"] == "No such name" for d in nx)
    assert any(d.get("udp.checksum.status") == 2 and d.get("udp.checksum.status.name") == "Unverified"
               for d in dns.values())
    http = export(tshark, workdir, "http-simple-get.pcap")
    assert any("Chat" in as_list(d.get("_ws.expert.severity.name", [])) for d in http.values())
    # a value with no string: no name member
    assert any("tcp.srcport" in d and "tcp.srcport.name" not in d for d in http.values())


def test_settings_turn_them_off(tshark, workdir):
    docs = export(tshark, workdir, "http-simple-get.pcap", "es.columns=false", "es.value_names=false")
    for doc in docs.values():
        assert not any(k.startswith("_ws.col.") for k in doc)
        assert "ip.proto.name" not in doc and "_ws.expert.severity.name" not in doc
    docs = export(tshark, workdir, "http-simple-get.pcap", "es.exclude=ip.proto.name")
    assert all("ip.proto" in d and "ip.proto.name" not in d for d in docs.values())
    assert any("tcp.checksum.status.name" in d for d in docs.values())
    docs = export(tshark, workdir, "http-simple-get.pcap", "es.name_style=underscore")
    assert all("_ws_col_info" in d and "_ws_col_protocol" in d for d in docs.values())
    assert any(d.get("ip_proto_name") == "TCP" for d in docs.values())


def test_rcode_name_query_in_es8(engine, tshark, prefix):
    node = engine("es8")
    capture = SHARED / "captures" / NXDOMAIN
    s = summary(tshark.run(["-r", str(capture), "-q", "-X", f"es.node={node.url}",
                            "-X", f"es.index={prefix}-x"]).stderr)
    assert s["indexed"] == s["frames"]
    node.request("POST", f"/{prefix}-*/_refresh")
    status, mapping = node.request("GET", f"/{prefix}-*/_mapping")
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["dns.flags.rcode.name"]["type"] == "keyword"
    assert props["_ws.col.protocol"]["type"] == "keyword"
    assert props["_ws.col.info"]["type"] == "keyword"
    assert props["_ws.col.info"]["fields"]["text"]["type"] == "text"
    want = {int(n) for n in tshark.run(["-r", str(capture), "-Y", "dns.flags.rcode == 3", "-T", "fields",
                                         "-e", "frame.number"]).stdout.split()}
    for query in ['dns.flags.rcode.name:"No such name"', '_ws.col.info.text:"No such name"']:
        status, res = node.request("POST", f"/{prefix}-*/_search",
                                   {"size": 100, "query": {"query_string": {"query": query}}})
        assert status == 200, res
        got = {h["_source"]["frame.number"] for h in res["hits"]["hits"]}
        assert want and got == want, query
