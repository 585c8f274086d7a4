"""Tests of the Elasticsearch-compatible test server (run: /usr/bin/python3 -m pytest tests/esserver).

Expected bodies are the ones Elasticsearch 8.15 / 7.17 / OpenSearch 2.17 produce for the same
requests, as derived from their sources (see the comments in esserver.py)."""
from __future__ import annotations

import gzip
import json
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import basic_auth, http, start_server  # noqa: E402

ND = {"Content-Type": "application/x-ndjson"}
NEWLINE_REASON = "The bulk request must be terminated by a newline [\\n]"


def ndjson(*lines):
    return "".join((line if isinstance(line, str) else json.dumps(line, separators=(",", ":"))) + "\n"
                   for line in lines)


def bulk(server, *lines, path="/_bulk", headers=ND, **kw):
    return http("POST", server.url + path, ndjson(*lines), headers, **kw)


def items(reply):
    """[(op, item)] of a bulk response."""
    return [next(iter(i.items())) for i in reply.json()["items"]]


def error_body(type_, reason, status, **meta):
    """The body Elasticsearch sends for a single (root) exception."""
    cause = {"type": type_, "reason": reason, **meta}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def put_index(server, name, body=None):
    reply = http("PUT", server.url + "/" + name, body or {})
    assert reply.status == 200, reply.body
    return reply


@pytest.fixture(scope="module")
def servers():
    started = {}

    def get(name, **opts):
        if name not in started:
            started[name] = start_server(**opts)
        server = started[name]
        server.reset()
        return server

    yield get
    for server in started.values():
        server.stop()


@pytest.fixture
def es(servers):
    return servers("es8", mode="es8", seed=42)


@pytest.fixture
def es7(servers):
    return servers("es7", mode="es7")


@pytest.fixture
def os2(servers):
    return servers("os2", mode="os2")


@pytest.fixture
def fast(servers):
    return servers("fast", mode="es8", fast=True)


# --------------------------------------------------------------------------------------------
# Product identity
# --------------------------------------------------------------------------------------------


def test_root_es8(es):
    reply = http("GET", es.url + "/")
    body = reply.json()
    assert reply.status == 200
    assert reply.header("X-elastic-product") == "Elasticsearch"
    assert reply.header("content-type") == "application/json"
    assert set(body) == {"name", "cluster_name", "cluster_uuid", "version", "tagline"}
    assert body["tagline"] == "You Know, for Search"
    assert body["version"] == {
        "number": "8.15.3", "build_flavor": "default", "build_type": "docker",
        "build_hash": "f97532e680b555c3a05e73a74c28afb666923018",
        "build_date": "2024-10-09T22:08:00.328917561Z", "build_snapshot": False, "lucene_version": "9.11.1",
        "minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0"}
    head = http("HEAD", es.url + "/")
    assert (head.status, head.body) == (200, b"")


def test_root_es7_and_os2(es7, os2):
    v7 = http("GET", es7.url + "/").json()["version"]
    assert v7["number"] == "7.17.6" and v7["lucene_version"] == "8.11.1" and "distribution" not in v7
    reply = http("GET", os2.url + "/")
    body = reply.json()
    assert reply.header("X-elastic-product") is None
    assert body["tagline"] == "The OpenSearch Project: https://opensearch.org/"
    assert body["version"]["distribution"] == "opensearch"
    assert body["version"]["number"] == "2.17.0"


# --------------------------------------------------------------------------------------------
# Bulk request validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["es8", "os2"])
def test_type_in_action_rejected(servers, mode):
    server = servers(mode, mode=mode)
    reply = bulk(server, {"index": {"_index": "a", "_type": "_doc"}}, {"x": 1})
    assert reply.status == 400
    assert reply.json() == error_body("illegal_argument_exception",
                                      "Action/metadata line [1] contains an unknown parameter [_type]", 400)
    assert server.docs() == []


def test_type_in_action_accepted_es7(es7):
    reply = bulk(es7, {"index": {"_index": "a", "_type": "_doc", "_id": "1"}}, {"x": 1})
    assert reply.status == 200
    (op, item), = items(reply)
    assert op == "index"
    assert item == {"_index": "a", "_type": "_doc", "_id": "1", "_version": 1, "result": "created",
                    "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1,
                    "status": 201}
    assert list(reply.json())[:2] == ["took", "errors"]      # 7.x order; 8.x writes "errors" first


def test_missing_trailing_newline(es):
    reply = http("POST", es.url + "/_bulk", '{"index":{"_index":"a"}}\n{"x":1}', ND)
    assert reply.status == 400
    assert reply.json() == error_body("illegal_argument_exception", NEWLINE_REASON, 400)
    assert es.docs() == []


def test_content_type_checks(es):
    body = '{"index":{"_index":"a"}}\n{"x":1}\n'
    plain = http("POST", es.url + "/_bulk", body, {"Content-Type": "text/plain"})
    assert (plain.status, plain.json()) == (406, {"error": "Content-Type header [text/plain] is not supported",
                                                  "status": 406})
    missing = http("POST", es.url + "/_bulk", body)
    assert (missing.status, missing.json()) == (406, {"error": "Content-Type header is missing", "status": 406})
    for ctype in ("application/json; charset=UTF-8", "application/x-ndjson",
                  "application/vnd.elasticsearch+x-ndjson;compatible-with=8"):
        assert http("POST", es.url + "/_bulk", body, {"Content-Type": ctype}).status == 200, ctype


def test_empty_and_pointless_bodies(es):
    empty = http("POST", es.url + "/_bulk", b"", ND)
    assert empty.json() == error_body("parse_exception", "request body is required", 400)
    blank = http("POST", es.url + "/_bulk", "\n\n", ND)
    assert blank.json() == error_body("action_request_validation_exception",
                                      "Validation Failed: 1: no requests added;", 400)
    no_index = bulk(es, {"index": {}}, {"x": 1}, {"delete": {"_index": "a"}})
    assert no_index.json()["error"]["reason"] == "Validation Failed: 1: index is missing;2: id is missing;"


@pytest.mark.parametrize("lines, reason", [
    (['{"insert":{"_index":"a"}}', "{}"],
     "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [insert]"),
    (['{"index":{"_index":"a"}}', "{}", '{"index":{"_index":"a","foo":1}}', "{}"],
     "Action/metadata line [3] contains an unknown parameter [foo]"),
    (['{"index":{"_index":"a","_id":[1]}}', "{}"],
     "Malformed action/metadata line [1], expected a simple value for field [_id] but found [START_ARRAY]"),
    (['["index"]', "{}"], "Malformed action/metadata line [1], expected START_OBJECT but found [START_ARRAY]"),
    (['{"delete":{"_index":"a","_id":"1","dynamic_templates":{"f":"t"}}}'],
     "Delete request in line [1] does not accept dynamic_templates"),
])
def test_malformed_action_lines(es, lines, reason):
    reply = http("POST", es.url + "/_bulk", ndjson(*lines), ND)
    assert reply.status == 400
    assert reply.json() == error_body("illegal_argument_exception", reason, 400)


def test_unknown_query_parameter(es):
    reply = http("POST", es.url + "/_bulk?refres=true", ndjson({"index": {"_index": "a"}}, {}), ND)
    assert reply.json() == error_body(
        "illegal_argument_exception",
        "request [/_bulk] contains unrecognized parameter: [refres] -> did you mean [refresh]?", 400)


def test_duplicate_action_key_is_a_json_error(es):
    reply = http("POST", es.url + "/_bulk", '{"index":{"_id":"1","_id":"2"}}\n{}\n', ND)
    error = reply.json()["error"]
    assert reply.status == 400
    assert error["type"] == "x_content_parse_exception"
    assert error["reason"].startswith("[1:26] Duplicate field '_id'\n at [Source: (byte[])")
    assert error["caused_by"]["type"] == "json_parse_exception"


def test_default_index_from_path_and_auto_ids(es):
    reply = bulk(es, {"index": {}}, {"x": 1}, {"create": {"_index": "other"}}, {"x": 2}, path="/logs/_bulk")
    (op1, first), (op2, second) = items(reply)
    assert (op1, first["_index"], op2, second["_index"]) == ("index", "logs", "create", "other")
    assert len(first["_id"]) == 20 and first["_id"] != second["_id"]
    assert list(reply.json())[:2] == ["errors", "took"]
    assert [d["_source"] for d in es.docs()] == [{"x": 1}, {"x": 2}]


# --------------------------------------------------------------------------------------------
# Item semantics
# --------------------------------------------------------------------------------------------


def test_duplicate_keys_fail_only_their_item(es):
    reply = bulk(es, {"index": {"_index": "d", "_id": "1"}}, {"a": 1},
                 {"index": {"_index": "d", "_id": "2"}}, '{"a":1,"a":2}',
                 {"index": {"_index": "d", "_id": "3"}}, '{"o":{"x":1,"x":1}}',
                 {"index": {"_index": "d", "_id": "4"}}, {"a": 3})
    assert reply.status == 200 and reply.json()["errors"] is True
    statuses = [item["status"] for _, item in items(reply)]
    assert statuses == [201, 400, 400, 201]
    source = '(byte[])"{"a":1,"a":2}"'
    jackson = f"Duplicate field 'a'\n at [Source: {source}; line: 1, column: 11]"
    assert items(reply)[1][1]["error"] == {
        "type": "document_parsing_exception", "reason": f"[1:6] failed to parse: [1:11] {jackson}",
        "caused_by": {"type": "x_content_parse_exception", "reason": f"[1:11] {jackson}",
                      "caused_by": {"type": "json_parse_exception", "reason": jackson}}}
    assert items(reply)[2][1]["error"]["reason"].startswith("[1:11] failed to parse: [1:16] Duplicate field 'x'")
    assert [d["_id"] for d in es.docs()] == ["1", "4"]


def test_duplicate_keys_es7(es7):
    reply = bulk(es7, {"index": {"_index": "d", "_id": "1"}}, '{"a":1,"a":2}')
    assert items(reply)[0][1]["error"] == {
        "type": "mapper_parsing_exception", "reason": "failed to parse",
        "caused_by": {"type": "json_parse_exception",
                      "reason": "Duplicate field 'a'\n at [Source: (byte[])\"{\"a\":1,\"a\":2}\"; line: 1, "
                                "column: 11]"}}


@pytest.mark.parametrize("doc, reason, cause", [
    ('{"a": }', "[1:2] failed to parse: [1:8] Unexpected character ('}' (code 125)): expected a value",
     "x_content_parse_exception"),
    ('{"a":NaN}', "[1:2] failed to parse: [1:9] Non-standard token 'NaN': enable "
                  "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow", "x_content_parse_exception"),
    ('{"a":1', "[1:6] failed to parse: [1:7] Unexpected end of file", "x_content_e_o_f_exception"),
])
def test_unreadable_documents(es, doc, reason, cause):
    reply = bulk(es, {"index": {"_index": "j", "_id": "1"}}, doc)
    error = items(reply)[0][1]["error"]
    assert error["type"] == "document_parsing_exception"
    assert error["reason"].split("\n")[0] == reason
    assert error["caused_by"]["type"] == cause


def test_documents_must_be_objects(es):
    reply = bulk(es, {"index": {"_index": "j"}}, "[1,2]", {"index": {"_index": "j"}}, '{"a":1}{"b":2}',
                 {"index": {"_index": "j"}}, "")
    errors = [item["error"] for _, item in items(reply)]
    assert errors[0] == {"type": "document_parsing_exception", "reason": "Malformed content, must start with an object"}
    assert errors[1] == {"type": "illegal_argument_exception",
                         "reason": "Malformed content, found extra data after parsing: START_OBJECT"}
    assert errors[2] == {"type": "document_parsing_exception", "reason": "[0:0] failed to parse, document is empty"}


def test_create_twice_conflicts(es):
    first = bulk(es, {"create": {"_index": "c", "_id": "x1"}}, {"v": 1})
    assert items(first)[0][1]["status"] == 201
    again = bulk(es, {"create": {"_index": "c", "_id": "x1"}}, {"v": 2},
                 {"index": {"_index": "c", "_id": "x1", "op_type": "create"}}, {"v": 3})
    (op1, one), (op2, two) = items(again)
    uuid = http("GET", es.url + "/c/_settings").json()["c"]["settings"]["index"]["uuid"]
    expected = {"_index": "c", "_id": "x1", "status": 409, "error": {
        "type": "version_conflict_engine_exception",
        "reason": "[x1]: version conflict, document already exists (current version [1])",
        "index_uuid": uuid, "shard": "0", "index": "c"}}
    assert (op1, one) == ("create", expected)
    assert (op2, two) == ("create", expected)
    assert es.docs("c") == [{"_index": "c", "_id": "x1", "_source": {"v": 1}}]
    assert es.stats()["duplicates_prevented"] == 2


def test_index_overwrites_and_delete(es):
    bulk(es, {"index": {"_index": "o", "_id": "1"}}, {"v": 1})
    reply = bulk(es, {"index": {"_index": "o", "_id": "1"}}, {"v": 2}, {"delete": {"_index": "o", "_id": "1"}},
                 {"delete": {"_index": "o", "_id": "1"}}, {"delete": {"_index": "missing", "_id": "1"}})
    (_, updated), (_, deleted), (_, not_found), (_, no_index) = items(reply)
    assert (updated["result"], updated["_version"], updated["status"], updated["_seq_no"]) == ("updated", 2, 200, 1)
    assert (deleted["result"], deleted["_version"], deleted["status"]) == ("deleted", 3, 200)
    assert (not_found["result"], not_found["_version"], not_found["status"]) == ("not_found", 4, 404)
    assert "error" not in not_found and reply.json()["errors"] is True
    assert no_index["error"]["type"] == "index_not_found_exception" and no_index["status"] == 404


def test_update_merges_documents(es):
    bulk(es, {"index": {"_index": "u", "_id": "1"}}, {"a": {"b": 1, "c": 2}})
    reply = bulk(es, {"update": {"_index": "u", "_id": "1"}}, {"doc": {"a": {"c": 3}, "d": 4}},
                 {"update": {"_index": "u", "_id": "1"}}, {"doc": {"d": 4}},
                 {"update": {"_index": "u", "_id": "2"}}, {"doc": {"x": 1}},
                 {"update": {"_index": "u", "_id": "3"}}, {"doc": {"x": 1}, "doc_as_upsert": True})
    results = [(item.get("result"), item["status"]) for _, item in items(reply)]
    assert results == [("updated", 200), ("noop", 200), (None, 404), ("created", 201)]
    assert items(reply)[2][1]["error"]["type"] == "document_missing_exception"
    assert es.docs("u")[0]["_source"] == {"a": {"b": 1, "c": 3}, "d": 4}


# --------------------------------------------------------------------------------------------
# Dynamic mapping
# --------------------------------------------------------------------------------------------


def test_dynamic_mapping_types(es):
    doc = {"s": "text", "i": 7, "f": 1.5, "b": True, "d": "2024-05-01T12:00:00Z", "sd": "2024/05/01",
           "o": {"p": {"q": 1}}, "n": None, "e": [], "arr": [1, 2], "empty": {}}
    reply = bulk(es, {"index": {"_index": "m", "_id": "1"}}, doc)
    assert items(reply)[0][1]["status"] == 201
    assert es.mappings()["m"] == {"properties": {
        "arr": {"type": "long"}, "b": {"type": "boolean"}, "d": {"type": "date"}, "empty": {"type": "object"},
        "f": {"type": "float"}, "i": {"type": "long"},
        "o": {"properties": {"p": {"properties": {"q": {"type": "long"}}}}},
        "s": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "sd": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd"}}}


def test_failed_document_adds_no_mapping(es):
    reply = bulk(es, {"index": {"_index": "m2", "_id": "1"}}, {"good": 1, "big": 18446744073709551616})
    error = items(reply)[0][1]["error"]
    assert error["reason"] == ("[1:17] failed to parse field [big] of type [long] in document with id '1'. "
                               "Preview of field's value: '18446744073709551616'")
    assert error["caused_by"]["reason"].startswith(
        "[1:37] Numeric value (18446744073709551616) out of range of long "
        "(-9223372036854775808 - 9223372036854775807)\n at [Source:")
    assert error["caused_by"]["caused_by"]["type"] == "input_coercion_exception"
    assert es.mappings()["m2"] == {}


def test_dotted_names_and_subobjects_es8(es):
    bulk(es, {"index": {"_index": "so", "_id": "1"}}, {"a": 1, "x.y.z": "v"})
    assert es.mappings()["so"]["properties"]["x"] == {"properties": {"y": {"properties": {"z": {
        "type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}}}}
    reply = bulk(es, {"index": {"_index": "so", "_id": "2"}}, {"a.b": 2}, {"index": {"_index": "so", "_id": "3"}},
                 {"x": "flat"})
    (_, dotted), (_, concrete) = items(reply)
    assert dotted["error"] == {
        "type": "document_parsing_exception",
        "reason": "[1:8] failed to parse field [a] of type [long] in document with id '2'. "
                  "Preview of field's value: '{b=2}'",
        "caused_by": {"type": "illegal_argument_exception", "reason": "Cannot parse object as number"}}
    assert concrete["error"] == {"type": "document_parsing_exception",
                                 "reason": "[1:6] object mapping for [x] tried to parse field [x] as object, but "
                                           "found a concrete value"}
    put_index(es, "flat", {"mappings": {"subobjects": False}})
    flat = bulk(es, {"index": {"_index": "flat"}}, {"a": 1, "a.b": 2, "c": {"d": "x"}})
    assert items(flat)[0][1]["status"] == 201
    assert set(es.mappings()["flat"]["properties"]) == {"a", "a.b", "c.d"}


def test_dotted_name_on_concrete_field_es7(es7):
    bulk(es7, {"index": {"_index": "so", "_id": "1"}}, {"a": 1})
    reply = bulk(es7, {"index": {"_index": "so", "_id": "2"}}, {"a.b": 2})
    assert items(reply)[0][1]["error"] == {
        "type": "mapper_parsing_exception",
        "reason": "Could not dynamically add mapping for field [a.b]. Existing mapping for [a] must be of type "
                  "object but found [long]."}


@pytest.mark.parametrize("key, reason", [
    ("", "[1:2] failed to parse: field name cannot be an empty string"),
    ("a..b", "[1:2] failed to parse: field name cannot contain only whitespace: ['a..b']"),
    ("...", "[1:2] failed to parse: field name cannot contain only dots"),
    (" ", "[1:2] Field name cannot contain only whitespace: [ ]"),
])
def test_bad_field_names(es, key, reason):
    reply = bulk(es, {"index": {"_index": "fn"}}, {key: 1})
    assert items(reply)[0][1]["error"]["reason"] == reason


@pytest.mark.parametrize("mode", ["es7", "os2"])
def test_subobjects_rejected_without_support(servers, mode):
    server = servers(mode, mode=mode)
    reply = http("PUT", server.url + "/_index_template/t",
                 {"index_patterns": ["s-*"], "template": {"mappings": {"subobjects": False}}})
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["root_cause"] == [{"type": "illegal_argument_exception",
                                    "reason": "composable template [t] template after composition is invalid"}]
    assert error["caused_by"] == {
        "type": "illegal_argument_exception", "reason": "invalid composite mappings for [t]",
        "caused_by": {"type": "mapper_parsing_exception",
                      "reason": "Failed to parse mapping [_doc]: Root mapping definition has unsupported "
                                "parameters:  [subobjects : false]",
                      "caused_by": {"type": "mapper_parsing_exception",
                                    "reason": "Root mapping definition has unsupported parameters:  "
                                              "[subobjects : false]"}}}


def test_strict_and_false_dynamic(es):
    put_index(es, "st", {"mappings": {"dynamic": "strict", "properties": {
        "a": {"type": "keyword"}, "loose": {"type": "object", "dynamic": False}}}})
    reply = bulk(es, {"index": {"_index": "st"}}, '{"a":"x","zz":1}',
                 {"index": {"_index": "st"}}, {"a": "y", "loose": {"anything": 1}})
    (_, strict), (_, ok) = items(reply)
    assert strict["error"] == {"type": "strict_dynamic_mapping_exception",
                               "reason": "[1:15] mapping set to strict, dynamic introduction of [zz] within [_doc] "
                                         "is not allowed"}
    assert ok["status"] == 201
    assert es.mappings()["st"]["properties"]["loose"] == {"type": "object", "dynamic": False}


def test_dynamic_templates(es):
    put_index(es, "dt", {"mappings": {"dynamic_templates": [
        {"ports": {"path_match": "*.port", "mapping": {"type": "integer"}}},
        {"strings": {"match_mapping_type": "string", "unmatch": "msg*", "mapping": {"type": "keyword"}}},
        {"named": {"match": "n_*", "mapping": {"type": "{dynamic_type}", "meta": {"from": "{name}"}}}}]}})
    reply = bulk(es, {"index": {"_index": "dt"}},
                 {"tcp": {"port": 443}, "host": "h", "msg_text": "m", "n_val": 1.5})
    assert items(reply)[0][1]["status"] == 201
    props = es.mappings()["dt"]["properties"]
    assert props["tcp"] == {"properties": {"port": {"type": "integer"}}}
    assert props["host"] == {"type": "keyword"}
    assert props["msg_text"]["type"] == "text"
    assert props["n_val"] == {"type": "float", "meta": {"from": "n_val"}}


# --------------------------------------------------------------------------------------------
# Templates and index creation
# --------------------------------------------------------------------------------------------


def test_template_priority_and_auto_create(es):
    low = {"index_patterns": ["pkt-*"], "priority": 1,
           "template": {"settings": {"number_of_replicas": 0}, "mappings": {"properties": {"ip": {"type": "ip"}}}}}
    high = {"index_patterns": ["pkt-tcp*"], "priority": 5,
            "template": {"mappings": {"properties": {"port": {"type": "integer"}}}}}
    assert http("PUT", es.url + "/_index_template/low", low).json() == {"acknowledged": True}
    assert http("PUT", es.url + "/_index_template/high", high).json() == {"acknowledged": True}
    bulk(es, {"index": {"_index": "pkt-udp"}}, {"ip": "10.0.0.1"}, {"index": {"_index": "pkt-tcp-1"}}, {"port": 80})
    mappings = es.mappings()
    assert mappings["pkt-udp"] == {"properties": {"ip": {"type": "ip"}}}
    assert mappings["pkt-tcp-1"] == {"properties": {"port": {"type": "integer"}}}
    settings = http("GET", es.url + "/pkt-udp/_settings").json()["pkt-udp"]["settings"]["index"]
    assert settings["number_of_replicas"] == "0"
    listed = http("GET", es.url + "/_index_template").json()["index_templates"]
    assert [t["name"] for t in listed] == ["high", "low"]
    assert listed[0]["index_template"] == {"index_patterns": ["pkt-tcp*"], "template": {"mappings": {
        "properties": {"port": {"type": "integer"}}}}, "composed_of": [], "priority": 5}


def test_template_same_priority_overlap(es):
    http("PUT", es.url + "/_index_template/t1", {"index_patterns": ["t1-*"], "priority": 10})
    reply = http("PUT", es.url + "/_index_template/t2", {"index_patterns": ["t1-a*", "x"], "priority": 10})
    assert reply.json() == error_body(
        "illegal_argument_exception",
        "index template [t2] has index patterns [t1-a*, x] matching patterns from existing templates [t1] with "
        "patterns (t1 => [t1-*]) that have the same priority [10], multiple index templates may not match during "
        "index creation, please use a different priority", 400)


def test_template_mapping_validated(es):
    reply = http("PUT", es.url + "/_index_template/bad",
                 {"index_patterns": ["b-*"], "template": {"mappings": {"properties": {"x": {"type": "nosuch"}}}}})
    error = reply.json()["error"]
    assert reply.status == 400
    assert error["reason"] == "composable template [bad] template after composition is invalid"
    assert error["caused_by"]["caused_by"] == {
        "type": "mapper_parsing_exception", "reason": "Failed to parse mapping: No handler for type [nosuch] "
                                                      "declared on field [x]",
        "caused_by": {"type": "mapper_parsing_exception", "reason": "No handler for type [nosuch] declared on "
                                                                    "field [x]"}}
    unknown = http("PUT", es.url + "/_index_template/bad", {"index_patterns": ["b-*"], "foo": 1})
    assert unknown.json() == error_body("x_content_parse_exception", "[1:27] [index_template] unknown field [foo]", 400)
    missing = http("GET", es.url + "/_index_template/bad")
    assert missing.json() == error_body("resource_not_found_exception", "index template matching [bad] not found", 404)


def test_index_names_validated(es):
    reply = bulk(es, {"index": {"_index": "Upper"}}, {"x": 1}, {"index": {"_index": "_x"}}, {"x": 1},
                 {"index": {"_index": "a b"}}, {"x": 1})
    errors = [item["error"] for _, item in items(reply)]
    assert errors[0] == {"type": "invalid_index_name_exception", "reason": "Invalid index name [Upper], must be "
                                                                           "lowercase", "index_uuid": "_na_",
                         "index": "Upper"}
    assert errors[1]["reason"] == "Invalid index name [_x], must not start with '_', '-', or '+'"
    assert errors[2]["reason"] == ("Invalid index name [a b], must not contain the following characters "
                                   "['\\','/','*','?','\"','<','>','|',' ',',']")


def test_index_admin_apis(es):
    created = put_index(es, "adm", {"settings": {"index.number_of_replicas": 0},
                                    "mappings": {"properties": {"n": {"type": "long"}}}})
    assert created.json() == {"acknowledged": True, "shards_acknowledged": True, "index": "adm"}
    again = http("PUT", es.url + "/adm", {})
    assert again.json()["error"]["type"] == "resource_already_exists_exception"
    assert http("HEAD", es.url + "/adm").status == 200 and http("HEAD", es.url + "/nope").status == 404
    assert http("GET", es.url + "/nope").json() == error_body(
        "index_not_found_exception", "no such index [nope]", 404, **{"resource.type": "index_or_alias",
                                                                      "resource.id": "nope", "index_uuid": "_na_",
                                                                      "index": "nope"})
    conflict = http("PUT", es.url + "/adm/_mapping", {"properties": {"n": {"type": "keyword"}}})
    assert conflict.json() == error_body("illegal_argument_exception",
                                         "mapper [n] cannot be changed from type [long] to [keyword]", 400)
    assert http("PUT", es.url + "/adm/_mapping", {"properties": {"k": {"type": "keyword"}}}).status == 200
    bulk(es, {"index": {"_index": "adm", "_id": "1"}}, {"n": 5, "k": "a"}, path="/_bulk?refresh=true")
    cat = http("GET", es.url + "/_cat/indices?format=json").json()
    assert [(c["index"], c["health"], c["status"], c["docs.count"]) for c in cat] == [("adm", "green", "open", "1")]
    assert http("GET", es.url + "/adm/_count").json()["count"] == 1
    doc = http("GET", es.url + "/adm/_doc/1").json()
    assert doc == {"_index": "adm", "_id": "1", "_version": 1, "_seq_no": 0, "_primary_term": 1, "found": True,
                   "_source": {"n": 5, "k": "a"}}
    assert http("GET", es.url + "/adm/_doc/2").json() == {"_index": "adm", "_id": "2", "found": False}
    wildcard = http("DELETE", es.url + "/ad*")
    assert wildcard.json() == error_body("illegal_argument_exception",
                                         "Wildcard expressions or all indices are not allowed", 400)
    assert http("DELETE", es.url + "/adm").json() == {"acknowledged": True}


def test_data_streams(es):
    http("PUT", es.url + "/_index_template/ds", {"index_patterns": ["wire-*"], "data_stream": {}, "priority": 50})
    reply = bulk(es, {"create": {"_index": "wire-a"}}, {"@timestamp": "2024-05-01T00:00:00Z", "v": 1},
                 {"index": {"_index": "wire-a"}}, {"@timestamp": "2024-05-01T00:00:00Z"},
                 {"create": {"_index": "wire-a"}}, {"v": 2})
    (_, ok), (_, wrong_op), (_, no_stamp) = items(reply)
    backing = ok["_index"]
    assert backing.startswith(".ds-wire-a-") and backing.endswith("-000001") and ok["status"] == 201
    assert wrong_op["error"] == {"type": "illegal_argument_exception",
                                 "reason": "only write ops with an op_type of create are allowed in data streams"}
    assert no_stamp["error"] == {"type": "document_parsing_exception",
                                 "reason": "[1:7] failed to parse: data stream timestamp field [@timestamp] is missing",
                                 "caused_by": {"type": "illegal_argument_exception",
                                               "reason": "data stream timestamp field [@timestamp] is missing"}}
    assert es.mappings()[backing]["properties"]["@timestamp"] == {"type": "date"}
    assert [d["_source"]["v"] for d in es.docs("wire-a")] == [1]


# --------------------------------------------------------------------------------------------
# Limits and value validation
# --------------------------------------------------------------------------------------------


def test_total_fields_limit(es):
    put_index(es, "lim", {"settings": {"index.mapping.total_fields.limit": 3}})
    reply = bulk(es, {"index": {"_index": "lim", "_id": "1"}}, {"a": 1, "b": "x", "c": 2})
    assert items(reply)[0][1]["error"] == {
        "type": "document_parsing_exception",
        "reason": "[1:20] failed to parse: Limit of total fields [3] has been exceeded while adding new fields [4]",
        "caused_by": {"type": "illegal_argument_exception",
                      "reason": "Limit of total fields [3] has been exceeded while adding new fields [4]"}}
    put_index(es, "lim2", {"settings": {"index.mapping.total_fields.limit": 3,
                                        "index.mapping.total_fields.ignore_dynamic_beyond_limit": True}})
    ok = bulk(es, {"index": {"_index": "lim2", "_id": "1"}}, {"a": 1, "b": "x", "c": 2}, path="/_bulk?refresh=true")
    assert items(ok)[0][1]["status"] == 201
    assert set(es.mappings()["lim2"]["properties"]) == {"a", "b"}
    hit = http("POST", es.url + "/lim2/_search", {}).json()["hits"]["hits"][0]
    assert hit["_ignored"] == ["c"] and hit["_source"] == {"a": 1, "b": "x", "c": 2}


def test_limits_es7(es7):
    put_index(es7, "lim", {"settings": {"index.mapping.total_fields.limit": 2}})
    reply = bulk(es7, {"index": {"_index": "lim", "_id": "1"}}, {"a": 1, "b": "x"})
    assert items(reply)[0][1]["error"] == {"type": "illegal_argument_exception",
                                           "reason": "Limit of total fields [2] has been exceeded"}
    unknown = http("PUT", es7.url + "/lim2", {"settings": {
        "index.mapping.total_fields.ignore_dynamic_beyond_limit": True}})
    assert unknown.json()["error"]["type"] == "settings_exception"


def test_depth_limit(es):
    put_index(es, "deep", {"settings": {"index.mapping.depth.limit": 2}})
    reply = bulk(es, {"index": {"_index": "deep"}}, {"a": {"b": {"c": 1}}})
    assert items(reply)[0][1]["error"]["reason"] == (
        "[1:11] failed to parse: Limit of mapping depth [2] has been exceeded due to object field [a.b]")


@pytest.mark.parametrize("field, value, reason", [
    ("l", "abc", 'For input string: "abc"'),
    ("l", "1e30", "Value [1e30] is out of range for a long"),
    ("i", 3000000000, None),
    ("sh", 40000, "Value [40000] is out of range for a short"),
    ("ip", "999.1.1.1", "'999.1.1.1' is not an IP string literal."),
    ("ip", "fe80::1%eth0", "'fe80::1%eth0' is not an IP string literal."),
    ("dn", "1969-12-31T23:59:59Z", "date[1969-12-31T23:59:59Z] is before the epoch in 1970 and cannot be stored "
                                   "in nanosecond resolution"),
    ("dn", "2263-01-01T00:00:00.5Z", "date[2263-01-01T00:00:00.500Z] is after 2262-04-11T23:47:16.854775807 and "
                                     "cannot be stored in nanosecond resolution"),
    ("ul", -1, "Value [-1] is out of range for unsigned long."),
    ("ul", 18446744073709551616, "Value [18446744073709551616] is out of range for unsigned long"),
    ("bo", "yes", "Failed to parse value [yes] as only [true] or [false] are allowed."),
    ("d", "2024-02-30",
     "failed to parse date field [2024-02-30] with format [strict_date_optional_time||epoch_millis]"),
    ("f", 1e39, "[float] supports only finite values, but got [Infinity]"),
])
def test_mapped_type_validation(es, field, value, reason):
    put_index(es, "ty", {"mappings": {"properties": {
        "l": {"type": "long"}, "i": {"type": "integer"}, "sh": {"type": "short"}, "ip": {"type": "ip"},
        "dn": {"type": "date_nanos"}, "ul": {"type": "unsigned_long"}, "bo": {"type": "boolean"},
        "d": {"type": "date"}, "f": {"type": "float"}}}})
    reply = bulk(es, {"index": {"_index": "ty", "_id": "7"}}, {field: value})
    error = items(reply)[0][1]["error"]
    ftype = {"l": "long", "i": "integer", "sh": "short", "ip": "ip", "dn": "date_nanos", "ul": "unsigned_long",
             "bo": "boolean", "d": "date", "f": "float"}[field]
    preview = value if not isinstance(value, float) else "1.0E39"
    assert error["type"] == "document_parsing_exception"
    assert error["reason"] == (f"[1:{len(field) + 5}] failed to parse field [{field}] of type [{ftype}] in document "
                               f"with id '7'. Preview of field's value: '{preview}'")
    if reason is None:
        assert error["caused_by"]["type"] == "x_content_parse_exception"
        assert error["caused_by"]["reason"].startswith(
            "[1:16] Numeric value (3000000000) out of range of int (-2147483648 - 2147483647)")
    else:
        assert error["caused_by"]["reason"] == reason


def test_accepted_values(es):
    put_index(es, "ok", {"settings": {"index.mapping.ignore_malformed": True}, "mappings": {"properties": {
        "l": {"type": "long"}, "ip": {"type": "ip"}, "dn": {"type": "date_nanos"}, "ul": {"type": "unsigned_long"},
        "bo": {"type": "boolean"}, "k": {"type": "keyword", "ignore_above": 3}, "b64": {"type": "binary"},
        "strict_long": {"type": "long", "ignore_malformed": False}}}})
    doc = {"l": ["5", 6.9, ""], "ip": ["::1", "10.1.2.3"], "dn": "2024-01-01T00:00:00.123456789Z",
           "ul": 18446744073709551615, "bo": ["true", False, ""], "k": "long", "b64": "aGVsbG8=",
           "strict_long": 1}
    reply = bulk(es, {"index": {"_index": "ok", "_id": "1"}}, doc, {"index": {"_index": "ok", "_id": "2"}},
                 {"l": "junk", "strict_long": 2}, {"index": {"_index": "ok", "_id": "3"}}, {"strict_long": "junk"},
                 path="/_bulk?refresh=true")
    assert [item["status"] for _, item in items(reply)] == [201, 201, 400]
    hits = {h["_id"]: h for h in http("POST", es.url + "/ok/_search", {}).json()["hits"]["hits"]}
    assert hits["1"]["_ignored"] == ["k"] and hits["2"]["_ignored"] == ["l"]


# --------------------------------------------------------------------------------------------
# Transport details: gzip, chunked, size limit, auth
# --------------------------------------------------------------------------------------------


def test_gzip_request_and_response(es):
    body = ndjson({"index": {"_index": "gz"}}, {"x": 1})
    reply = http("POST", es.url + "/_bulk", body, {**ND, "Accept-Encoding": "gzip"}, gzip_body=True)
    assert reply.status == 200 and reply.header("content-encoding") == "gzip"
    assert items(reply)[0][1]["status"] == 201
    stats = es.stats()
    assert stats["gzip_requests"] == 1
    assert stats["bytes_decompressed"] == len(body) and stats["bytes_received"] == len(gzip.compress(body.encode()))


def test_chunked_request(es):
    body = ndjson({"index": {"_index": "ch", "_id": "1"}}, {"x": 1}).encode()
    with socket.create_connection(("127.0.0.1", es.port)) as sock:
        sock.sendall(b"POST /_bulk HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n"
                     + b"%x\r\n%s\r\n" % (10, body[:10]) + b"%x\r\n%s\r\n" % (len(body) - 10, body[10:]) + b"0\r\n\r\n")
        reply = b""
        while b'"status":201' not in reply:
            reply += sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert es.docs("ch") == [{"_index": "ch", "_id": "1", "_source": {"x": 1}}]


def test_request_size_limit():
    with start_server(max_content_length="1kb") as server:
        line = ndjson({"index": {"_index": "big"}}, {"pad": "x" * 100})
        too_big = http("POST", server.url + "/_bulk", line * 20, ND)
        assert (too_big.status, too_big.body, too_big.header("content-length")) == (413, b"", "0")
        zipped = http("POST", server.url + "/_bulk", line * 20, ND, gzip_body=True)
        assert zipped.status == 413                       # the limit applies to decompressed bytes
        assert http("POST", server.url + "/_bulk", line * 2, ND).status == 200
        assert server.docs() and len(server.docs()) == 2


def test_authentication():
    with start_server(user="elastic", password="changeme", api_key="aWQ6a2V5") as server:
        body = ndjson({"index": {"_index": "sec"}}, {"x": 1})
        challenge = {"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"', "ApiKey"]}
        missing = http("POST", server.url + "/_bulk?refresh=true", body, ND)
        assert missing.status == 401
        assert missing.header("www-authenticate") == 'Basic realm="security" charset="UTF-8", ApiKey'
        assert missing.json() == error_body(
            "security_exception", "missing authentication credentials for REST request [/_bulk?refresh=true]", 401,
            header=challenge)
        wrong = http("POST", server.url + "/_bulk", body, {**ND, **basic_auth("elastic", "nope")})
        assert wrong.json() == error_body(
            "security_exception", "unable to authenticate user [elastic] for REST request [/_bulk]", 401,
            header=challenge)
        bad_key = http("GET", server.url + "/", headers={"Authorization": "ApiKey other"})
        assert bad_key.status == 401
        assert bad_key.json()["error"]["reason"] == ("unable to authenticate with provided credentials and anonymous "
                                                     "access is not allowed for this request")
        assert http("POST", server.url + "/_bulk", body, {**ND, **basic_auth("elastic", "changeme")}).status == 200
        assert http("POST", server.url + "/_bulk", body, {**ND, "Authorization": "ApiKey aWQ6a2V5"}).status == 200
        assert server.stats()["auth_failures"] == 3
        assert len(server.docs()) == 2


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


def docs_body(n, index="f"):
    return ndjson(*[line for i in range(n) for line in ({"index": {"_index": index, "_id": str(i)}}, {"i": i})])


def test_bulk_429(es):
    es.set_faults(bulk_429_ratio=1)
    body = docs_body(2)
    reply = http("POST", es.url + "/_bulk", body, ND)
    assert reply.json() == error_body(
        "es_rejected_execution_exception",
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, "
        f"all_bytes=0, coordinating_operation_bytes={len(body)}, max_coordinating_and_primary_bytes=53687091]", 429)
    assert es.docs() == [] and es.stats()["faults"] == {"bulk_429": 1}


def test_item_429_is_deterministic(es):
    es.set_faults(item_429_ratio=0.5)
    first = [item for _, item in items(http("POST", es.url + "/_bulk", docs_body(12, "a"), ND))]
    es.set_faults(item_429_ratio=0.5)         # setting faults reseeds the generators
    second = [item for _, item in items(http("POST", es.url + "/_bulk", docs_body(12, "b"), ND))]
    statuses = [item["status"] for item in first]
    assert statuses == [item["status"] for item in second] and {201, 429} == set(statuses)
    rejected = next(item for item in first if item["status"] == 429)
    assert rejected["error"]["type"] == "es_rejected_execution_exception"
    assert rejected["error"]["reason"] == (
        "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, "
        "primary_operation_bytes=7, max_coordinating_and_primary_bytes=53687091]")
    assert len(es.docs("a")) == statuses.count(201)
    assert es.stats()["faults"] == {"item_429": 2 * statuses.count(429)}


def test_connection_reset(es):
    es.set_faults(reset_ratio=1)
    with pytest.raises(ConnectionError):
        http("POST", es.url + "/_bulk", docs_body(2, "r1"), ND)
    es.set_faults(reset_after_store=True)
    with pytest.raises(ConnectionError):
        http("POST", es.url + "/_bulk", docs_body(2, "r2"), ND)
    es.set_faults(reset_ratio=0)
    assert es.docs("r1") == [] and len(es.docs("r2")) == 2
    assert es.stats()["faults"] == {"reset": 2}


def test_unavailable(es):
    es.set_faults(unavailable_seconds=0.4)
    reply = http("GET", es.url + "/")
    assert reply.json() == error_body("cluster_block_exception",
                                      "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];", 503)
    assert http("POST", es.url + "/_bulk", docs_body(1), ND).status == 503
    time.sleep(0.5)
    assert http("GET", es.url + "/").status == 200
    assert es.stats()["faults"] == {"unavailable": 2}


def test_delay(es):
    es.set_faults(delay_ms=250)
    started = time.monotonic()
    assert http("POST", es.url + "/_bulk", docs_body(1), ND).status == 200
    assert time.monotonic() - started >= 0.25
    assert es.stats()["faults"] == {"delay": 1}


def test_reject_field_and_read_only(es):
    es.set_faults(reject_field="secret.key")
    reply = bulk(es, {"index": {"_index": "rf", "_id": "1"}}, {"ok": 1, "secret": {"key": "x"}},
                 {"index": {"_index": "rf", "_id": "2"}}, {"ok": 2})
    (_, rejected), (_, accepted) = items(reply)
    assert rejected["error"]["type"] == "document_parsing_exception"
    assert rejected["error"]["reason"] == ("[1:25] failed to parse field [secret.key] of type [unmapped] in document "
                                           "with id '1'. Preview of field's value: 'x'")
    assert accepted["status"] == 201
    es.set_faults(reject_field=None, read_only=True)
    blocked = bulk(es, {"index": {"_index": "rf", "_id": "3"}}, {"ok": 3}, {"delete": {"_index": "rf", "_id": "2"}})
    (_, write), (_, delete) = items(blocked)
    assert write["status"] == 429 and write["error"] == {
        "type": "cluster_block_exception",
        "reason": "index [rf] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has "
                  "read-only-allow-delete block];"}
    assert delete["status"] == 200                 # read-only-allow-delete still allows deletes
    assert es.stats()["faults"] == {"reject_field": 1, "read_only": 1}


def test_down_and_restart_on_fixed_port(es):
    es.set_faults(down_seconds=0.6)
    time.sleep(0.2)
    with pytest.raises(ConnectionError):
        http("GET", es.url + "/", timeout=2)
    time.sleep(0.8)
    assert http("GET", es.url + "/").status == 200
    assert es.stats()["faults"] == {"down": 1}


def test_fixed_port_start_later():
    with start_server() as probe:
        port = probe.port                      # a port known to be free once probe stops
    with pytest.raises(ConnectionError):
        http("GET", f"http://127.0.0.1:{port}/", timeout=2)
    with start_server(port=port) as server:
        assert server.port == port and http("GET", server.url + "/").status == 200


def test_unknown_fault_rejected(es):
    reply = http("POST", es.url + "/_test/faults", {"nope": 1})
    assert reply.status == 400 and reply.json()["error"]["reason"].startswith("unknown fault [nope]")


# --------------------------------------------------------------------------------------------
# filter_path
# --------------------------------------------------------------------------------------------


def test_filter_path(es):
    lines = ({"create": {"_index": "fp", "_id": "1"}}, {"x": 1})
    bulk(es, *lines)
    both = lines + ({"create": {"_index": "fp", "_id": "2"}}, {"x": 2})
    reply = bulk(es, *both, path="/_bulk?filter_path=errors,items.*.status,items.*.error.type")
    assert reply.json() == {"errors": True, "items": [
        {"create": {"status": 409, "error": {"type": "version_conflict_engine_exception"}}},
        {"create": {"status": 201}}]}
    ids = bulk(es, {"index": {"_index": "fp", "_id": "3"}}, {"x": 3}, path="/_bulk?filter_path=items.*._id")
    assert ids.json() == {"items": [{"index": {"_id": "3"}}]}
    errors_only = bulk(es, {"index": {"_index": "fp", "_id": "4"}}, {"x": 4}, path="/_bulk?filter_path=items.*.error")
    assert errors_only.json() == {}
    deep = bulk(es, {"index": {"_index": "fp", "_id": "5"}}, {"x": 5}, path="/_bulk?filter_path=**.result,took")
    assert set(deep.json()) == {"took", "items"} and deep.json()["items"] == [{"index": {"result": "created"}}]
    excluded = bulk(es, {"index": {"_index": "fp", "_id": "6"}}, {"x": 6},
                    path="/_bulk?filter_path=-took,-items.*._shards")
    assert set(excluded.json()) == {"errors", "items"} and "_shards" not in excluded.json()["items"][0]["index"]


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(es):
    lines = []
    for i in range(30):
        lines += [{"index": {"_index": "s", "_id": str(i)}},
                  {"n": i, "k": f"k{i % 3}", "t": f"Hello world {i}",
                   "@timestamp": f"2024-01-{i % 28 + 1:02d}T00:00:00Z"}]
    put_index(es, "s", {"mappings": {"properties": {"k": {"type": "keyword"}}}})
    bulk(es, *lines, path="/_bulk?refresh=true")
    return es


def search(server, body, index="s", params=""):
    reply = http("POST", f"{server.url}/{index}/_search{params}", body)
    assert reply.status == 200, reply.body
    return reply.json()


def test_search_term_sort_size(searchable):
    result = search(searchable, {"query": {"term": {"k": "k1"}}, "size": 2, "sort": [{"n": "desc"}]})
    assert result["hits"]["total"] == {"value": 10, "relation": "eq"}
    assert result["hits"]["max_score"] is None
    hits = result["hits"]["hits"]
    assert [(h["_id"], h["sort"], h["_score"]) for h in hits] == [("28", [28], None), ("25", [25], None)]
    assert hits[0]["_source"] == {"n": 28, "k": "k1", "t": "Hello world 28", "@timestamp": "2024-01-01T00:00:00Z"}
    assert set(result) == {"took", "timed_out", "_shards", "hits"}


def test_search_ids_range_bool_match(searchable):
    ids = search(searchable, {"query": {"ids": {"values": ["3", "5", "99"]}}})
    assert [h["_id"] for h in ids["hits"]["hits"]] == ["3", "5"]
    dates = search(searchable, {"query": {"range": {"@timestamp": {"gte": "2024-01-10", "lt": "2024-01-12"}}}})
    assert [h["_id"] for h in dates["hits"]["hits"]] == ["9", "10"]
    combined = search(searchable, {"query": {"bool": {"must": [{"match": {"t": "HELLO"}}],
                                                      "filter": [{"range": {"n": {"gte": 25}}}],
                                                      "must_not": [{"term": {"n": 27}}]}}})
    assert [h["_id"] for h in combined["hits"]["hits"]] == ["25", "26", "28", "29"]
    qs = search(searchable, {"query": {"query_string": {"query": "k:k2 AND n:>20"}}})
    assert [h["_id"] for h in qs["hits"]["hits"]] == ["23", "26", "29"]
    uri = http("GET", searchable.url + "/s/_search?q=k:k0&size=1&_source=false").json()
    assert uri["hits"]["total"]["value"] == 10 and "_source" not in uri["hits"]["hits"][0]
    count = http("POST", searchable.url + "/s/_count", {"query": {"exists": {"field": "t"}}}).json()
    assert count["count"] == 30


def test_search_after_and_source_filtering(searchable):
    page = search(searchable, {"sort": ["n"], "size": 3, "search_after": [5], "_source": ["n"]})
    assert [(h["sort"], h["_source"]) for h in page["hits"]["hits"]] == [([6], {"n": 6}), ([7], {"n": 7}),
                                                                          ([8], {"n": 8})]
    by_doc = search(searchable, {"sort": ["_doc"], "size": 2})
    after = search(searchable, {"sort": ["_doc"], "size": 2, "search_after": by_doc["hits"]["hits"][-1]["sort"]})
    assert [h["_id"] for h in by_doc["hits"]["hits"] + after["hits"]["hits"]] == ["0", "1", "2", "3"]


def test_search_errors(searchable):
    window = http("POST", searchable.url + "/s/_search", {"size": 10001}).json()
    assert window["status"] == 400
    assert window["error"]["type"] == "search_phase_execution_exception"
    assert window["error"]["root_cause"] == [{"type": "illegal_argument_exception", "reason": (
        "Result window is too large, from + size must be less than or equal to: [10000] but was [10001]. See the "
        "scroll api for a more efficient way to request large data sets. This limit can be set by changing the "
        "[index.max_result_window] index level setting.")}]
    unknown = http("POST", searchable.url + "/s/_search", {"query": {"foo": {}}}).json()
    assert unknown == error_body("parsing_exception", "unknown query [foo]", 400, line=1, col=17)
    text_sort = http("POST", searchable.url + "/s/_search", {"sort": ["t"]}).json()
    assert text_sort["error"]["root_cause"][0]["reason"].startswith("Text fields are not optimised")
    missing = http("POST", searchable.url + "/nope/_search", {}).json()
    assert missing["error"]["type"] == "index_not_found_exception"


def test_refresh_visibility(es):
    put_index(es, "vis", {"settings": {"index.refresh_interval": "-1"}})
    bulk(es, {"index": {"_index": "vis", "_id": "1"}}, {"x": 1})
    assert search(es, {}, "vis")["hits"]["total"]["value"] == 0
    assert http("GET", es.url + "/vis/_doc/1").json()["found"] is True          # GET is real-time
    assert http("POST", es.url + "/vis/_refresh").status == 200
    assert search(es, {}, "vis")["hits"]["total"]["value"] == 1


# --------------------------------------------------------------------------------------------
# --fast mode
# --------------------------------------------------------------------------------------------


def test_fast_mode_responses(fast):
    first = bulk(fast, {"create": {"_index": "fa", "_id": "1"}}, {"x": 1}, {"index": {"_index": "fa"}}, {"x": 2},
                 {"create": {"_index": "fa", "_id": "1"}}, {"x": 3})
    (op1, created), (op2, auto), (op3, conflict) = items(first)
    assert created == {"_index": "fa", "_id": "1", "_version": 1, "result": "created",
                       "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1,
                       "status": 201}
    assert (op2, auto["status"], len(auto["_id"]), auto["_seq_no"]) == ("index", 201, 20, 1)
    uuid = http("GET", fast.url + "/fa/_settings").json()["fa"]["settings"]["index"]["uuid"]
    assert (op3, conflict) == ("create", {"_index": "fa", "_id": "1", "status": 409, "error": {
        "type": "version_conflict_engine_exception",
        "reason": "[1]: version conflict, document already exists (current version [1])",
        "index_uuid": uuid, "shard": "0", "index": "fa"}})
    overwrite = items(bulk(fast, {"index": {"_index": "fa", "_id": "1"}}, {"x": 4}))[0][1]
    assert (overwrite["result"], overwrite["_version"], overwrite["status"]) == ("updated", 2, 200)
    assert fast.docs("fa") == [{"_index": "fa", "_id": "1", "_source": None},
                               {"_index": "fa", "_id": auto["_id"], "_source": None}]
    stats = fast.stats()
    assert stats["duplicates_prevented"] == 1 and stats["docs_stored"] == 2
    assert stats["bulk_items"] == {"create": {"201": 1, "409": 1}, "index": {"201": 1, "200": 1}}
    assert bulk(fast, {"index": {"_index": "fa", "_type": "_doc"}}, {"x": 1}).status == 400
    assert http("POST", fast.url + "/_bulk", '{"index":{}}\n{}', ND).json()["error"]["reason"] == NEWLINE_REASON


def test_fast_mode_throughput(fast):
    """Posts ~5 MB bulks of ~1.5 KB documents and reports the rate (run pytest -s to see it)."""
    payload = "p" * 1400

    def body(start):
        parts, size, i = [], 0, start
        while size < 5 * 1024 * 1024:
            line = ndjson({"create": {"_index": "bench", "_id": f"d{i}"}},
                          {"@timestamp": "2024-05-01T12:00:00Z", "frame": {"number": i}, "payload": payload})
            parts.append(line)
            size += len(line)
            i += 1
        return "".join(parts).encode(), i - start

    rates = []
    for round_ in range(3):
        data, n = body(round_ * 10000)
        started = time.perf_counter()
        reply = http("POST", fast.url + "/_bulk?filter_path=errors", data, ND, timeout=60)
        elapsed = time.perf_counter() - started
        assert reply.json() == {"errors": False}
        rates.append(n / elapsed)
    print(f"\n--fast bulk throughput: {max(rates):,.0f} docs/s (best of 3 x {n} docs, {len(data) / 1e6:.1f} MB)")
    assert max(rates) > 10_000


# --------------------------------------------------------------------------------------------
# Process
# --------------------------------------------------------------------------------------------


def test_sigterm_exits_cleanly():
    server = start_server()
    assert http("GET", server.url + "/").status == 200
    assert server.stop() == 0


def test_control_api(es):
    bulk(es, {"index": {"_index": "ctl", "_id": "1"}}, {"x": 1}, {"index": {"_index": "ctl", "_id": "2"}}, '{"x":')
    stats = es.stats()
    assert stats["bulk_requests"] == 1 and stats["bulk_items"] == {"index": {"201": 1, "400": 1}}
    assert stats["docs_per_index"] == {"ctl": 1} and stats["rejections"] == 1
    assert stats["rejection_reasons"][0].startswith("document_parsing_exception: ")
    assert stats["content_types"] == {"application/x-ndjson": 1}
    ndjson_docs = http("GET", es.url + "/_test/docs?format=ndjson")
    assert ndjson_docs.body == b'{"_index":"ctl","_id":"1","_source":{"x":1}}\n'
    assert es.requests()[-1]["path"] == "/_test/docs?format=ndjson"
    es.reset()
    assert es.docs() == [] and es.stats()["bulk_requests"] == 0
