#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the Kibana saved objects (packets.ndjson, dotted field names, for
Elasticsearch 8.3+) and the OpenSearch Dashboards ones
(packets-opensearch.ndjson, underscore names, as the plugin writes them
there) from one description: a data view on packets-*, a "Packets" saved
search with Wireshark's packet-list columns and a "Packets" dashboard of
legacy aggregation-based visualizations, which both import.

  ui/kibana/generate.py            # rewrites both files beside this script
  ui/kibana/generate.py --check    # exit 1 if a committed file differs"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DATA_VIEW = "wireshark-es-packets"

# Kibana 8 migrates objects from these versions; OpenSearch Dashboards
# (Kibana 7.10's format) from migrationVersion.
KIBANA_MIGRATION = {"index-pattern": "8.0.0", "visualization": "8.5.0", "search": "8.0.0",
                    "dashboard": "8.7.0"}
OSD_MIGRATION = {"index-pattern": "7.6.0", "visualization": "7.10.0", "search": "7.9.3",
                 "dashboard": "7.9.3"}

COLUMNS = ["frame.number", "ip.src", "ip.dst", "_ws.col.protocol", "frame.len", "_ws.col.info"]

COUNT = {"id": "1", "type": "count", "schema": "metric", "params": {}}


def date_histogram(agg_id="2"):
    return {"id": agg_id, "type": "date_histogram", "schema": "segment",
            "params": {"field": "@timestamp", "interval": "auto", "min_doc_count": 1}}


def terms(agg_id, field, size=10, schema="bucket", order_by="1"):
    return {"id": agg_id, "type": "terms", "schema": schema,
            "params": {"field": field, "size": size, "order": "desc", "orderBy": order_by}}


def table(aggs):
    return {"type": "table", "aggs": aggs, "params": {"perPage": 10, "showTotal": True}}


def pie(field):
    return {"type": "pie", "aggs": [COUNT, terms("2", field, 10, "segment")],
            "params": {"isDonut": True, "addLegend": True, "legendPosition": "right"}}


def histogram(aggs, chart="line"):
    return {"type": chart, "aggs": aggs, "params": {"addTooltip": True, "addLegend": True}}


# (id, title, vis, query): the dashboard's panels, in order.
PANELS = [
    ("frames-over-time", "Frames over time", histogram([COUNT, date_histogram()]), ""),
    ("bytes-over-time", "Bytes over time",
     histogram([{"id": "1", "type": "sum", "schema": "metric", "params": {"field": "frame.len"}},
                date_histogram()], "area"), ""),
    ("protocols", "Protocols (Wireshark's Protocol column)", pie("_ws.col.protocol"), ""),
    ("top-talkers", "Top talkers (frames, bytes)",
     table([COUNT, {"id": "3", "type": "sum", "schema": "metric", "params": {"field": "frame.len"}},
            terms("2", "ip.src", 20)]), ""),
    ("conversations", "Conversations",
     table([COUNT, {"id": "4", "type": "sum", "schema": "metric", "params": {"field": "frame.len"}},
            terms("2", "ip.src", 20), terms("3", "ip.dst", 5)]), ""),
    ("tcp-problems", "TCP retransmissions and resets (expert info)",
     histogram([COUNT, date_histogram(), terms("3", "_ws.expert.message", 5, "group")], "histogram"),
     '_ws.expert.message:"This frame is a (suspected) retransmission" OR '
     '_ws.expert.message:"Connection reset (RST)"'),
    ("dns-queries", "DNS queries", table([COUNT, terms("2", "dns.qry.name", 20)]), "dns.flags.response:false"),
    ("dns-rcodes", "DNS response codes", pie("dns.flags.rcode.name"), "dns.flags.response:true"),
    ("http-hosts", "HTTP hosts", table([COUNT, terms("2", "http.host", 20)]), ""),
    ("http-status", "HTTP status codes", pie("http.response.code"), ""),
    ("tls-server-names", "TLS server names",
     table([COUNT, terms("2", "tls.handshake.extensions_server_name", 20)]), ""),
]


def style(name, underscore):
    return name.replace(".", "_") if underscore and name != "@timestamp" else name


def restyle(obj, underscore):
    """The vis with its field names (and query) in the index's name style."""
    if not underscore:
        return obj
    text = json.dumps(obj)
    for field in sorted(fields_of(obj), key=len, reverse=True):
        text = text.replace(f'"{field}"', f'"{style(field, True)}"')
    return json.loads(text)


def fields_of(vis):
    return {a["params"]["field"] for a in vis["aggs"] if "field" in a.get("params", {})}


def restyle_query(query, underscore):
    if not underscore:
        return query
    words = []
    for word in query.split(" "):
        name, colon, rest = word.partition(":")
        words.append(style(name, True) + colon + rest if colon else word)
    return " ".join(words)


def search_source(query, underscore):
    src = {"query": {"query": restyle_query(query, underscore), "language": "kuery"}, "filter": [],
           "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {"searchSourceJSON": json.dumps(src)}


def data_view_ref():
    return [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": DATA_VIEW}]


def stamp(obj, underscore):
    if underscore:
        obj["migrationVersion"] = {obj["type"]: OSD_MIGRATION[obj["type"]]}
    else:
        obj["coreMigrationVersion"] = "8.8.0"
        obj["typeMigrationVersion"] = KIBANA_MIGRATION[obj["type"]]
    return obj


def objects(underscore):
    out = [stamp({"type": "index-pattern", "id": DATA_VIEW, "references": [],
                  "attributes": {"title": "packets-*", "timeFieldName": "@timestamp"}}, underscore)]
    cols = [style(c, underscore) for c in COLUMNS]
    out.append(stamp({"type": "search", "id": "wireshark-es-packet-list", "references": data_view_ref(),
                      "attributes": {
                          "title": "Packets (Wireshark's packet list)",
                          "description": "No., Time, Source, Destination, Protocol, Length, Info. "
                                         "Protocol and Info need es.columns (on by default).",
                          "columns": cols, "sort": [["@timestamp", "asc"]],
                          "kibanaSavedObjectMeta": search_source("", underscore)}}, underscore))
    panels, refs = [], []
    for i, (vid, title, vis, query) in enumerate(PANELS):
        vis = restyle(dict(vis, title=title), underscore)
        out.append(stamp({"type": "visualization", "id": f"wireshark-es-{vid}", "references": data_view_ref(),
                          "attributes": {"title": title, "description": "", "version": 1,
                                         "uiStateJSON": "{}", "visState": json.dumps(vis),
                                         "kibanaSavedObjectMeta": search_source(query, underscore)}},
                         underscore))
        panels.append({"panelIndex": str(i + 1), "panelRefName": f"panel_{i}", "version": "8.8.0",
                       "embeddableConfig": {},
                       "gridData": {"x": 24 * (i % 2), "y": 15 * (i // 2), "w": 24, "h": 15, "i": str(i + 1)}})
        refs.append({"name": f"panel_{i}", "type": "visualization", "id": f"wireshark-es-{vid}"})
    out.append(stamp({"type": "dashboard", "id": "wireshark-es-packets-dashboard", "references": refs,
                      "attributes": {"title": "Packets", "description": "wireshark-es: packets indexed by "
                                     "the Wireshark plugin", "timeRestore": False, "version": 1,
                                     "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
                                     "panelsJSON": json.dumps(panels),
                                     "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                                         {"query": {"query": "", "language": "kuery"}, "filter": []})}}},
                     underscore))
    return out


def render(underscore):
    return "".join(json.dumps(o, sort_keys=True) + "\n" for o in objects(underscore))


FILES = {"packets.ndjson": False, "packets-opensearch.ndjson": True}


def main(argv):
    check = "--check" in argv
    stale = []
    for name, underscore in FILES.items():
        path, text = HERE / name, render(underscore)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run ui/kibana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
