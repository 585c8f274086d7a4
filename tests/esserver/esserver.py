#!/usr/bin/python3
"""Elasticsearch-compatible test server for wireshark-es.

A single-node, in-memory imitation of Elasticsearch 8.15 (``--mode es8``),
Elasticsearch 7.17 (``es7``) and OpenSearch 2.17 (``os2``), faithful where a
bulk client can observe it: request validation, per-item results, dynamic
mapping, value validation against mapped types, limits, templates, data
streams, and the exact error bodies.  It adds fault injection and a control
API under ``/_test/``.  Standard library only; see README.md.

Where a behaviour was taken from Elasticsearch's source, the comment names the
class it mirrors (server/src/main/java/org/elasticsearch/...).
"""
from __future__ import annotations

import argparse
import base64
import decimal
import http.server
import ipaddress
import itertools
import json
import math
import os
import random
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib
from dataclasses import dataclass

sys.setrecursionlimit(20000)
threading.stack_size(64 * 1024 * 1024)  # deep JSON nesting is rejected by depth, not by crashing

# --------------------------------------------------------------------------------------------
# Product profiles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    mode: str
    version: dict
    tagline: str
    index_version: str              # index.version.created
    product_header: bool            # X-elastic-product: Elasticsearch
    typed: bool                     # 7.x: accepts `_type` in bulk, echoes "_type":"_doc"
    subobjects: bool                # `subobjects` mapping parameter (ES 8.3+)
    doc_error: str                  # exception type of document parsing failures
    locations: bool                 # 8.x DocumentParsingException prefixes "[line:col] "
    errors_first: bool              # 8.x BulkResponse writes "errors" before "took"
    eager_field_limit: bool         # 8.x checks the field limit while parsing (DocumentParserContext)
    dynamic_beyond_limit: bool      # index.mapping.total_fields.ignore_dynamic_beyond_limit (8.13+)
    destructive_requires_name: bool  # action.destructive_requires_name defaults to true (8.0+)
    mapping_error_prefix: str       # MapperService.parseMapping wrapper
    dense_vectors: bool             # float arrays of 128..4096 map to dense_vector (8.11+)


PROFILES = {
    "es8": Profile(
        mode="es8",
        version={
            "number": "8.15.3", "build_flavor": "default", "build_type": "docker",
            "build_hash": "f97532e680b555c3a05e73a74c28afb666923018",
            "build_date": "2024-10-09T22:08:00.328917561Z", "build_snapshot": False,
            "lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"},
        tagline="You Know, for Search", index_version="8512000", product_header=True,
        typed=False, subobjects=True, doc_error="document_parsing_exception", locations=True,
        errors_first=True, eager_field_limit=True, dynamic_beyond_limit=True,
        destructive_requires_name=True, mapping_error_prefix="Failed to parse mapping: ",
        dense_vectors=True),
    "es7": Profile(
        mode="es7",
        version={
            "number": "7.17.6", "build_flavor": "default", "build_type": "docker",
            "build_hash": "f65e9d338dc1d07b642e14a27f338990148ee5b6",
            "build_date": "2022-08-23T11:08:48.893373482Z", "build_snapshot": False,
            "lucene_version": "8.11.1", "minimum_wire_compatibility_version": "6.8.0",
            "minimum_index_compatibility_version": "6.0.0-beta1"},
        tagline="You Know, for Search", index_version="7170699", product_header=True,
        typed=True, subobjects=False, doc_error="mapper_parsing_exception", locations=False,
        errors_first=False, eager_field_limit=False, dynamic_beyond_limit=False,
        destructive_requires_name=False, mapping_error_prefix="Failed to parse mapping [_doc]: ",
        dense_vectors=False),
    "os2": Profile(
        mode="os2",
        version={
            "distribution": "opensearch", "number": "2.17.0", "build_type": "tar",
            "build_hash": "8586481dc99b1740ca3c7c966aee15ad0fc7b412",
            "build_date": "2024-09-13T01:04:14.707418737Z", "build_snapshot": False,
            "lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0"},
        tagline="The OpenSearch Project: https://opensearch.org/", index_version="136387827",
        product_header=False, typed=False, subobjects=False, doc_error="mapper_parsing_exception",
        locations=False, errors_first=False, eager_field_limit=False, dynamic_beyond_limit=False,
        destructive_requires_name=False, mapping_error_prefix="Failed to parse mapping [_doc]: ",
        dense_vectors=False),
}

# --------------------------------------------------------------------------------------------
# Errors, rendered like ElasticsearchException.toXContent / BytesRestResponse
# --------------------------------------------------------------------------------------------


class EsError(Exception):
    """An exception chain as Elasticsearch renders it.

    ``es`` marks ElasticsearchException subclasses: root causes are guessed by
    walking down through them only (ElasticsearchException.guessRootCauses).
    """

    def __init__(self, type_, reason, status=400, *, cause=None, meta=None, es=True, headers=None):
        super().__init__(reason)
        self.type, self.reason, self.status = type_, reason, status
        self.cause, self.meta, self.es = cause, meta or {}, es
        self.headers = headers or {}

    def _flat(self):
        out = {"type": self.type, "reason": self.reason}
        out.update(self.meta)
        if self.headers:
            out["header"] = {k: (v[0] if len(v) == 1 else v) for k, v in self.headers.items()}
        return out

    def render(self):
        out = self._flat()
        if self.cause is not None:
            out["caused_by"] = self.cause.render()
        return out

    def root_causes(self):
        node = self
        if not node.es:
            # parsing exceptions are unwrapped to the innermost parsing/ES exception
            if (node.type == "x_content_parse_exception" and node.cause is not None
                    and (node.cause.es or node.cause.type == "x_content_parse_exception")):
                return node.cause.root_causes()
            return [node._flat()]
        while node.cause is not None and node.cause.es:
            node = node.cause
        return [node._flat()]

    def body(self):
        error = {"root_cause": self.root_causes()}
        error.update(self.render())
        return {"error": error, "status": self.status}


class SimpleError(Exception):
    """RestResponse.createSimpleErrorResponse: {"error": "...", "status": N}."""

    def __init__(self, status, message, headers=None, with_status=True):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}
        self.with_status = with_status

    def body(self):
        return {"error": self.message, "status": self.status} if self.with_status else {"error": self.message}


def iae(msg, cause=None):
    return EsError("illegal_argument_exception", msg, 400, cause=cause, es=False)


def validation_error(errors):
    reason = "Validation Failed: " + "".join(f"{i}: {e};" for i, e in enumerate(errors, 1))
    return EsError("action_request_validation_exception", reason, 400)


def index_not_found(name):
    return EsError("index_not_found_exception", f"no such index [{name}]", 404,
                   meta={"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_",
                         "index": name})


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------


class Raw:
    """Already-serialized JSON (a stored _source) spliced into a response verbatim."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def dumps(obj, pretty=False):
    raws = []

    def swap(o):
        if isinstance(o, Raw):
            raws.append(o.text)
            return f"\x00RAW{len(raws) - 1}\x00"
        if isinstance(o, dict):
            return {k: swap(v) for k, v in o.items()}
        if isinstance(o, list):
            return [swap(v) for v in o]
        return o

    text = json.dumps(swap(obj), ensure_ascii=False,
                      **({"indent": 2, "separators": (",", " : ")} if pretty else {"separators": (",", ":")}))
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0000RAW{i}\\u0000"', raw, 1)
    return text


def resolve_raw(obj):
    """Parses spliced sources back into objects (needed before filtering a response)."""
    if isinstance(obj, Raw):
        return json.loads(obj.text)
    if isinstance(obj, dict):
        return {k: resolve_raw(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [resolve_raw(v) for v in obj]
    return obj


def java_double(f):
    """Double.toString (Java), used wherever Elasticsearch prints a parsed double."""
    if f != f:
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0.0" if math.copysign(1.0, f) < 0 else "0.0"
    a = abs(f)
    if 1e-3 <= a < 1e7:
        s = repr(a)
        return ("-" if f < 0 else "") + (s if ("." in s or "e" in s) else s + ".0")
    _, digits, exp = decimal.Decimal(repr(a)).as_tuple()
    digits = "".join(map(str, digits))
    exp10 = exp + len(digits) - 1
    digits = digits.rstrip("0") or "0"
    return ("-" if f < 0 else "") + f"{digits[0]}.{digits[1:] or '0'}E{exp10}"


def java_value(v):
    """How a parsed JSON value prints in Java (Map.toString, Double.toString, ...)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return java_double(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={java_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(java_value(x) for x in v) + "]"
    return str(v)


# --------------------------------------------------------------------------------------------
# JSON input: a fast strict parse, and a Jackson-like tokenizer for positions and messages
# --------------------------------------------------------------------------------------------


class _Duplicate(Exception):
    pass


def _strict_pairs(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Duplicate()
    return d


def _no_constants(name):
    raise ValueError(name)


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_pairs, parse_constant=_no_constants)


def loads_strict(raw):
    """json.loads with Jackson's strictness (no duplicate keys, no NaN); raises on any doubt."""
    return _STRICT.decode(raw.decode("utf-8"))


MAX_SNIPPET = 500  # Jackson ErrorReportConfiguration.DEFAULT_MAX_RAW_CONTENT_LENGTH


def source_description(raw):
    """Jackson's "[Source: ...]" text for a byte[] parser (content included, as in Jackson 2.15)."""
    text = raw[:MAX_SNIPPET].decode("utf-8", "replace")
    more = f"[truncated {len(raw) - MAX_SNIPPET} bytes]" if len(raw) > MAX_SNIPPET else ""
    return f'(byte[])"{text}"{more}'


def line_col(raw, off):
    line = raw.count(b"\n", 0, off) + 1
    start = raw.rfind(b"\n", 0, off) + 1
    return line, off - start + 1


class JsonSyntaxError(Exception):
    """A Jackson JsonParseException: ``ptr`` is the reader position (its location),
    ``token`` the start of the last token returned (the parser's token location)."""

    def __init__(self, message, ptr, token, eof=False):
        super().__init__(message)
        self.message, self.ptr, self.token, self.eof = message, ptr, token, eof


def _char_desc(ch):
    """ParserMinimalBase._getCharDesc."""
    code = ord(ch)
    if code < 32 or 127 <= code < 160:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{ch}' (code {code} / 0x{code:x})"
    return f"'{ch}' (code {code})"


_VALUE_EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_IDENT = re.compile(r"[\w$]*")
MAX_NESTING = 1000  # Jackson StreamReadConstraints
MAX_NUMBER_LENGTH = 1000


class Token:
    __slots__ = ("kind", "start", "end", "name")

    def __init__(self, kind, start, end, name=None):
        self.kind, self.start, self.end, self.name = kind, start, end, name


class JsonTokens:
    """Streams tokens from UTF-8 JSON the way Jackson's UTF8StreamJsonParser does, including
    its error messages, duplicate-field detection and token/reader locations."""

    def __init__(self, raw):
        self.b, self.n, self.i = raw, len(raw), 0
        self.last = 0           # start offset of the last returned token
        self.stack = []         # [kind, start, names, state] with state in {first, name, comma}

    def _fail(self, msg, ptr):
        raise JsonSyntaxError(msg, ptr, self.last)

    def _ws(self):
        b, n, i = self.b, self.n, self.i
        while i < n and b[i] in b" \t\r\n":
            i += 1
        self.i = i

    def _char_at(self, i):
        """The (decoded) character starting at byte i, for error messages."""
        for width in (1, 2, 3, 4):
            try:
                return self.b[i:i + width].decode("utf-8")
            except UnicodeDecodeError:
                continue
        return chr(self.b[i])

    def _unexpected(self, what):
        ch = self._char_at(self.i)
        self._fail(f"Unexpected character ({_char_desc(ch)}): {what}", self.i + 1)

    def _eof(self):
        kind, start = self.stack[-1][0], self.stack[-1][1]
        ln, col = line_col(self.b, start)
        where = "Object" if kind == "{" else "Array"
        raise JsonSyntaxError(
            f"Unexpected end-of-input: expected close marker for {where} (start marker at "
            f"[Source: {source_description(self.b)}; line: {ln}, column: {col}])", self.n, self.last, eof=True)

    def _string(self, field_name):
        """Parses a string at self.i (an opening quote); returns (text, end offset)."""
        b, i = self.b, self.i + 1
        parts = []
        while True:
            m = _STRING_RUN.match(b, i)
            parts.append(b[i:m.end()])
            i = m.end()
            if i >= self.n:
                msg = "in field name" if field_name else ": was expecting closing quote for a string value"
                raise JsonSyntaxError(f"Unexpected end-of-input {msg}".replace(" :", ":"), self.n, self.last, eof=True)
            c = b[i]
            if c == 0x22:
                i += 1
                break
            if c == 0x5C:
                esc = b[i + 1:i + 2]
                if esc == b"u":
                    hexdigits = b[i + 2:i + 6]
                    if len(hexdigits) < 4 or not re.fullmatch(rb"[0-9a-fA-F]{4}", hexdigits):
                        self._fail("Unexpected character in character escape sequence", i + 2)
                    parts.append(b[i:i + 6])
                    i += 6
                elif esc and esc in b'"\\/bfnrt':
                    parts.append(b[i:i + 2])
                    i += 2
                elif not esc:
                    raise JsonSyntaxError("Unexpected end-of-input in character escape sequence", self.n, self.last, True)
                else:
                    ch = self._char_at(i + 1)
                    self._fail(f"Unrecognized character escape {_char_desc(ch)}", i + 2)
            else:
                self._fail(f"Illegal unquoted character ({_char_desc(chr(c))}): has to be escaped using "
                           f"backslash to be included in {'name' if field_name else 'string value'}", i + 1)
        try:
            text = json.loads(b'"' + b"".join(parts) + b'"')
        except (UnicodeDecodeError, ValueError):
            bad = next(j for j in range(self.i, i) if b[j] >= 0x80)
            self._fail(f"Invalid UTF-8 start byte 0x{b[bad]:x}", bad + 1)
        return text, i

    def _scalar(self):
        b, i = self.b, self.i
        c = b[i]
        if c == 0x22:
            _, end = self._string(False)
            return Token("VALUE_STRING", i, end)
        if c == 0x2D or 0x30 <= c <= 0x39:
            m = _NUMBER.match(b, i)
            if m is None or m.end() == i + (c == 0x2D):
                if c == 0x2D and b[i + 1:i + 2] in (b"I", b"N"):
                    word = _IDENT.match(b[i + 1:i + 40].decode("utf-8", "replace")).group()
                    if word in ("Infinity", "NaN"):
                        self._fail(f"Non-standard token '-{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` "
                                   "to allow", i + 1 + len(word))
                self.i = i + 1
                if self.i >= self.n:
                    raise JsonSyntaxError("Unexpected end-of-input in numeric value", self.n, self.last, True)
                self._unexpected("expected digit (0-9) to follow minus sign, for valid numeric value")
            end = m.end()
            body = m.group()
            if re.match(rb"-?0[0-9]", b[i:end + 1]):
                self._fail("Invalid numeric value: Leading zeroes not allowed", end + 1)
            if end < self.n and b[end] == 0x2E:
                self.i = end + 1
                self._unexpected("in numeric value: Decimal point not followed by a digit")
            if end < self.n and b[end] in b"eE":
                self.i = end + 1
                self._unexpected("in numeric value: Exponent indicator not followed by a digit")
            if len(body) > MAX_NUMBER_LENGTH:
                self._fail(f"Number value length ({len(body)}) exceeds the maximum allowed "
                           f"({MAX_NUMBER_LENGTH}, from `StreamReadConstraints.getMaxNumberLength()`)", end)
            kind = "VALUE_NUMBER_FLOAT" if (b"." in body or b"e" in body or b"E" in body) else "VALUE_NUMBER_INT"
            return Token(kind, i, end)
        text = b[i:i + 64].decode("utf-8", "replace")
        word = _IDENT.match(text).group()
        if not word:
            self._unexpected(f"expected a valid value {_VALUE_EXPECTED}")
        literals = {"true": "VALUE_TRUE", "false": "VALUE_FALSE", "null": "VALUE_NULL"}
        if word in literals:
            return Token(literals[word], i, i + len(word))
        if word in ("NaN", "Infinity"):
            self._fail(f"Non-standard token '{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow",
                       i + len(word))
        self._fail(f"Unrecognized token '{word}': was expecting {_VALUE_EXPECTED}",
                   min(self.n, i + len(word.encode()) + 1))

    def next(self):
        """Returns the next Token, or None at the end of input."""
        self._ws()
        stack = self.stack
        top = stack[-1] if stack else None
        if self.i >= self.n:
            if top is not None:
                self._eof()
            return None
        b = self.b
        c = b[self.i]
        if top is not None and top[3] == "value":           # after a field name
            if c != 0x3A:
                self._unexpected("was expecting a colon to separate field name and value")
            self.i += 1
            self._ws()
            if self.i >= self.n:
                self._eof()
            top[3] = "comma"
            return self._value()
        if top is not None and c in (0x7D, 0x5D) and top[3] != "after_comma":
            expected = 0x7D if top[0] == "{" else 0x5D
            if c != expected:
                ln, col = line_col(b, top[1])
                self._fail(f"Unexpected close marker '{chr(c)}': expected '{chr(expected)}' (for "
                           f"{'Object' if top[0] == '{' else 'Array'} starting at [Source: "
                           f"{source_description(b)}; line: {ln}, column: {col}])", self.i + 1)
            stack.pop()
            tok = Token("END_OBJECT" if c == 0x7D else "END_ARRAY", self.i, self.i + 1)
            self.i += 1
            self.last = tok.start
            if stack:
                stack[-1][3] = "comma"
            return tok
        if top is not None and top[3] == "comma":
            if c != 0x2C:
                self._unexpected("was expecting comma to separate "
                                 + ("Object entries" if top[0] == "{" else "Array entries"))
            self.i += 1
            self._ws()
            if self.i >= self.n:
                self._eof()
            top[3] = "after_comma"
            c = b[self.i]
        if top is not None and top[0] == "{":
            if c != 0x22:
                self._unexpected("was expecting double-quote to start field name")
            start = self.i
            name, end = self._string(True)
            if name in top[2]:
                self._fail(f"Duplicate field '{name}'", end)
            top[2].add(name)
            top[3] = "value"
            self.i = end
            self.last = start
            return Token("FIELD_NAME", start, end, name)
        if top is not None and c in (0x7D, 0x5D):            # "[1,]" or "{"a":1,}"
            self._unexpected("expected a value")
        return self._value()

    def _value(self):
        c = self.b[self.i]
        if c in (0x7B, 0x5B):
            if len(self.stack) >= MAX_NESTING:
                self._fail(f"Document nesting depth ({len(self.stack) + 1}) exceeds the maximum allowed "
                           f"({MAX_NESTING}, from `StreamReadConstraints.getMaxNestingDepth()`)", self.i + 1)
            tok = Token("START_OBJECT" if c == 0x7B else "START_ARRAY", self.i, self.i + 1)
            self.stack.append(["{" if c == 0x7B else "[", self.i, set(), "first"])
            self.i += 1
        elif c in (0x7D, 0x5D, 0x2C, 0x3A):
            self._unexpected("expected a value")
        else:
            tok = self._scalar()
            self.i = tok.end
        self.last = tok.start
        if self.stack and tok.kind not in ("START_OBJECT", "START_ARRAY"):
            self.stack[-1][3] = "comma"
        return tok


class Node:
    """Where one JSON value sits in the source (and where its children sit)."""
    __slots__ = ("start", "end", "children", "key_start")

    def __init__(self, start, key_start=None):
        self.start, self.end, self.children, self.key_start = start, start, None, key_start


def scan_tree(raw):
    """Builds the position tree of a whole document; raises JsonSyntaxError like Jackson would
    while reading it (trailing data after the root value is not read)."""
    toks = JsonTokens(raw)
    first = toks.next()
    if first is None:
        return None, toks

    def build(tok, key_start=None):
        node = Node(tok.start, key_start)
        if tok.kind == "START_OBJECT":
            node.children = {}
            while True:
                t = toks.next()
                if t.kind == "END_OBJECT":
                    node.end = t.end
                    return node
                node.children[t.name] = build(toks.next(), t.start)
        if tok.kind == "START_ARRAY":
            node.children = []
            while True:
                t = toks.next()
                if t.kind == "END_ARRAY":
                    node.end = t.end
                    return node
                node.children.append(build(t))
        node.end = tok.end
        return node

    return build(first), toks


class Locator:
    """Answers "where is this value" for error messages, scanning the source only on demand."""

    def __init__(self, raw):
        self.raw = raw
        self._tree = None

    def node(self, jpath):
        if self._tree is None:
            self._tree, _ = scan_tree(self.raw)
        node = self._tree
        for step in jpath:
            node = node.children[step]
        return node

    def at(self, jpath, where="start"):
        """(line, col) of: a value's first byte ("start"), the reader position after it
        ("after"), the token following it ("next"), or its field name ("key")."""
        node = self.node(jpath)
        if where == "start":
            off = node.start
        elif where == "key":
            off = node.key_start if node.key_start is not None else node.start
        elif where == "after":
            off = node.end
        else:
            off = node.end
            while off < len(self.raw) and self.raw[off] in b" \t\r\n":
                off += 1
        return line_col(self.raw, off)

    def text(self, jpath):
        node = self.node(jpath)
        return self.raw[node.start:node.end].decode("utf-8")

    def suffix(self, line, col):
        return f"\n at [Source: {source_description(self.raw)}; line: {line}, column: {col}]"

    def end_location(self):
        """Location of the root object's closing brace (the parser's last token)."""
        node = self.node(())
        return line_col(self.raw, max(node.end - 1, 0))


# --------------------------------------------------------------------------------------------
# Dates (java.time semantics for the formats Elasticsearch uses by default)
# --------------------------------------------------------------------------------------------

DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
DYNAMIC_DATE_FORMATS = ["strict_date_optional_time", "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd"]
_ISO = re.compile(r"([+-]?\d{4,9})-(\d{2})-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?"
                  r"(Z|[+-]\d{2}(?::?\d{2})?)?)?")
_EPOCH = re.compile(r"-?\d+(?:\.\d{1,6})?")
_NAMED_FORMATS = {"strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
                  "strict_date_time", "date_time", "strict_date_time_no_millis", "date_time_no_millis",
                  "strict_date", "date", "epoch_millis", "epoch_second"}
_PATTERN_TOKENS = re.compile(r"'[^']*'|y+|u+|M+|d+|H+|h+|m+|s+|S+|Z+|X+|x+|a|[^a-zA-Z']")


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _offset_seconds(zone):
    if not zone or zone == "Z":
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 18 or minutes > 59:
        raise ValueError(zone)
    return sign * (hours * 3600 + minutes * 60)


def _instant(y, mo, d, h=0, mi=0, s=0, frac="", zone=None):
    """(epoch seconds, nanos) with ResolverStyle.STRICT field checks, or None."""
    if not (1 <= mo <= 12 and 1 <= d <= _days_in_month(y, mo) and h <= 23 and mi <= 59 and s <= 59):
        return None
    try:
        off = _offset_seconds(zone)
    except ValueError:
        return None
    secs = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off
    return secs, int((frac or "0").ljust(9, "0")[:9])


def _parse_iso(text):
    m = _ISO.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    return _instant(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), frac or "", zone)


def _parse_epoch(text, unit):
    if not _EPOCH.fullmatch(text):
        return None
    value = decimal.Decimal(text) * (1 if unit == "s" else decimal.Decimal("0.001"))
    secs = int(value.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return secs, int((value - secs) * 1_000_000_000)


def _parse_pattern(text, pattern):
    """A small java.time pattern subset: yyyy MM dd HH mm ss SSS Z X and literals."""
    regex, fields = [], []
    for tok in _PATTERN_TOKENS.findall(pattern):
        ch = tok[0]
        if ch == "'":
            regex.append(re.escape(tok[1:-1]))
        elif ch in "yu":
            regex.append(r"(\d{4})" if len(tok) >= 4 else r"(\d{2})")
            fields.append("y")
        elif ch in "MdHhms":
            regex.append(r"(\d{2})" if len(tok) == 2 else r"(\d{1,2})")
            fields.append(ch)
        elif ch == "S":
            regex.append(r"(\d{%d})" % len(tok))
            fields.append("S")
        elif ch in "ZXx":
            regex.append(r"(Z|[+-]\d{2}:?\d{2})")
            fields.append("Z")
        else:
            regex.append(re.escape(tok))
    m = re.fullmatch("".join(regex), text)
    if not m:
        return None
    v = dict(zip(fields, m.groups()))
    return _instant(int(v.get("y", 1970)), int(v.get("M", 1)), int(v.get("d", 1)), int(v.get("H", v.get("h", 0))),
                    int(v.get("m", 0)), int(v.get("s", 0)), v.get("S", ""), v.get("Z"))


def parse_date(text, fmt):
    """Parses with an Elasticsearch format string ("a||b"); returns (secs, nanos) or None."""
    for part in fmt.split("||"):
        if part in ("epoch_millis", "epoch_second"):
            got = _parse_epoch(text, "ms" if part == "epoch_millis" else "s")
        elif part in _NAMED_FORMATS:
            got = _parse_iso(text)
        else:
            got = _parse_pattern(text, part)
        if got is not None:
            return got
    return None


def format_instant(secs, nanos):
    """Instant.toString (ISO_INSTANT)."""
    days, rem = divmod(secs, 86400)
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    mo = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (mo <= 2)
    year = f"{y:04d}" if 0 <= y <= 9999 else (f"+{y}" if y > 9999 else f"-{-y:04d}")
    frac = ""
    if nanos:
        frac = "." + (f"{nanos // 1_000_000:03d}" if nanos % 1_000_000 == 0
                      else f"{nanos // 1000:06d}" if nanos % 1000 == 0 else f"{nanos:09d}")
    return f"{year}-{mo:02d}-{d:02d}T{rem // 3600:02d}:{rem % 3600 // 60:02d}:{rem % 60:02d}{frac}Z"


def date_millis(value, fmt=DEFAULT_DATE_FORMAT):
    got = parse_date(str(value), fmt)
    return None if got is None else got[0] * 1000 + got[1] // 1_000_000


MAX_NANOS_INSTANT = (9223372036, 854775807)  # DateUtils.MAX_NANOSECOND_INSTANT

# --------------------------------------------------------------------------------------------
# Number conversions (AbstractXContentParser / NumberFieldMapper.NumberType)
# --------------------------------------------------------------------------------------------

LONG_RANGE = (-2 ** 63, 2 ** 63 - 1)
INT_RANGE = (-2 ** 31, 2 ** 31 - 1)
SMALL_RANGES = {"short": (-32768, 32767, "a short"), "byte": (-128, 127, "a byte")}
_BIG_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")


def java_to_integer(text, coerce, long_type):
    """AbstractXContentParser.toLong / toInt."""
    lo, hi = LONG_RANGE if long_type else INT_RANGE
    if re.fullmatch(r"[+-]?\d+", text) and lo <= int(text) <= hi:
        return int(text)
    if not _BIG_DECIMAL.fullmatch(text):
        raise iae(f'For input string: "{text}"')
    d = decimal.Decimal(text)
    if d < lo or d > hi:
        raise iae(f"Value [{text}] is out of range for {'a long' if long_type else 'an integer'}")
    if not coerce and d != d.to_integral_value():
        raise iae(f"Value [{text}] has a decimal part")
    return int(d)


def java_parse_double(text):
    """Double.parseDouble; raises the NumberFormatException Elasticsearch reports."""
    stripped = text.strip(" \t\n\r\x0b\x0c\x00")
    if not _JAVA_DOUBLE.fullmatch(stripped):
        raise EsError("number_format_exception", f'For input string: "{text}"' if text else "empty String", es=False)
    return float(stripped.rstrip("fFdD").replace("Infinity", "inf"))


def to_float32(x):
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


# --------------------------------------------------------------------------------------------
# Mapping definitions
# --------------------------------------------------------------------------------------------

FIELD_TYPES = {
    "text", "keyword", "constant_keyword", "wildcard", "match_only_text", "search_as_you_type", "version",
    "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long",
    "date", "date_nanos", "boolean", "binary", "ip", "object", "nested", "flattened", "geo_point", "geo_shape",
    "point", "shape", "dense_vector", "sparse_vector", "rank_feature", "rank_features", "completion", "alias",
    "integer_range", "float_range", "long_range", "double_range", "date_range", "ip_range", "token_count",
    "histogram", "aggregate_metric_double", "join", "percolator", "semantic_text", "passthrough", "murmur3",
}
MODE_EXCLUDED_TYPES = {
    "es8": set(),
    "es7": {"semantic_text", "passthrough", "sparse_vector"},
    "os2": {"flattened", "constant_keyword", "wildcard", "version", "aggregate_metric_double", "semantic_text",
            "passthrough", "sparse_vector", "dense_vector", "histogram", "shape", "point"},
}
NUMERIC_TYPES = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
TEXTUAL_TYPES = {"keyword", "text", "match_only_text", "wildcard", "constant_keyword", "search_as_you_type",
                 "version"}
OBJECT_TYPES = {"object", "nested"}
# leaf types whose value may legitimately be an object or a whole array
STRUCTURED_TYPES = {"geo_point", "geo_shape", "point", "shape", "sparse_vector", "rank_features", "flattened",
                    "completion", "join", "percolator", "histogram", "aggregate_metric_double", "integer_range",
                    "float_range", "long_range", "double_range", "date_range", "ip_range", "semantic_text",
                    "passthrough"}
ROOT_PARAMS = {"dynamic", "properties", "dynamic_templates", "date_detection", "numeric_detection",
               "dynamic_date_formats", "_source", "_meta", "_routing", "runtime", "enabled", "_field_names",
               "_data_stream_timestamp", "_size"}
OBJECT_PARAMS = {"type", "properties", "dynamic", "enabled", "include_in_parent", "include_in_root"}
METADATA_FIELDS = {"_id", "_index", "_routing", "_source", "_ignored", "_field_names", "_seq_no", "_version",
                   "_tier", "_data_stream_timestamp", "_nested_path", "_ignored_source"}
MATCH_MAPPING_TYPES = ["object", "string", "long", "double", "boolean", "date", "binary"]
STRING_DEFAULT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def is_object_def(d):
    """A definition without a type is an object (ObjectMapper.TypeParser)."""
    return d.get("type", "object") in OBJECT_TYPES


def count_fields(props):
    """Total fields as MappingLookup counts them: objects, leaves and multi-fields (not the root)."""
    total = 0
    for d in props.values():
        total += 1
        if is_object_def(d):
            total += count_fields(d.get("properties", {}))
        else:
            total += count_fields(d.get("fields", {}))
    return total


def mapping_total_fields(mapping):
    return count_fields(mapping.get("properties", {})) + len(mapping.get("runtime", {}))


def _remaining(extra):
    return "".join(f" [{k} : {java_value(v)}]" for k, v in extra.items())


class MappingParser:
    """Validates and normalizes mapping definitions (MappingParser / ObjectMapper.TypeParser)."""

    def __init__(self, profile):
        self.profile = profile
        self.types = FIELD_TYPES - MODE_EXCLUDED_TYPES[profile.mode]

    def parse(self, mapping):
        """Returns a normalized copy; raises a mapper_parsing_exception (unwrapped)."""
        if not isinstance(mapping, dict):
            raise EsError("mapper_parsing_exception", "Failed to parse mapping: expected an object")
        mapping = dict(mapping)
        if self.profile.mode == "es7" and set(mapping) == {"_doc"} and isinstance(mapping["_doc"], dict):
            mapping = dict(mapping["_doc"])  # 7.x still accepts the _doc type name
        elif self.profile.mode == "os2" and set(mapping) == {"_doc"}:
            raise iae("The mapping definition cannot be nested under a type [_doc] unless include_type_name is "
                      "set to true.")
        allowed = ROOT_PARAMS | ({"subobjects"} if self.profile.subobjects else set())
        extra = {k: v for k, v in mapping.items() if k not in allowed}
        if extra:
            raise EsError("mapper_parsing_exception", "Root mapping definition has unsupported parameters: "
                          + _remaining(extra))
        self._check_dynamic(mapping.get("dynamic"), "_doc")
        for tmpl in mapping.get("dynamic_templates", []) or []:
            self._check_template(tmpl)
        subobjects = self._subobjects(mapping)
        if "properties" in mapping:
            mapping["properties"] = self._properties(mapping["properties"], "", subobjects)
        return mapping

    @staticmethod
    def _check_dynamic(value, name):
        if value is not None and str(value).lower() not in ("true", "false", "strict", "runtime"):
            raise iae(f"Could not convert [{name}.dynamic] to boolean")

    def _check_template(self, tmpl):
        if not isinstance(tmpl, dict) or len(tmpl) != 1:
            raise EsError("mapper_parsing_exception", "A dynamic template must be defined with a name")
        (name, spec), = tmpl.items()
        for key in ("match_mapping_type", "unmatch_mapping_type"):
            for mmt in _as_list(spec.get(key)):
                if mmt != "*" and mmt not in MATCH_MAPPING_TYPES:
                    raise EsError("mapper_parsing_exception",
                                  f"No field type matched on [{mmt}], possible values are {MATCH_MAPPING_TYPES}"
                                  .replace("'", ""))
        if "mapping" not in spec and "runtime" not in spec:
            raise EsError("mapper_parsing_exception",
                          f"template [{name}] must have either mapping or runtime set")

    def _subobjects(self, node):
        if "subobjects" not in node:
            return True
        value = node["subobjects"]
        if value not in (True, False, "true", "false"):
            raise EsError("mapper_parsing_exception",
                          f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
        node["subobjects"] = value in (True, "true")
        return node["subobjects"]

    def _properties(self, props, prefix, subobjects):
        if not isinstance(props, dict):
            raise EsError("mapper_parsing_exception", f"Expected map for property [fields] on field [{prefix}]")
        out = {}
        for name, fdef in props.items():
            if not isinstance(fdef, dict):
                raise EsError("mapper_parsing_exception",
                              f"Expected map for property [fields] on field [{name}] but got a class java.lang.String")
            if subobjects and "." in name:
                # ObjectMapper.TypeParser expands "a.b" into objects a -> b
                head, rest = name.split(".", 1)
                fdef = {"properties": {rest: fdef}}
                name = head
            full = f"{prefix}.{name}" if prefix else name
            parsed = self._field(name, full, fdef, subobjects)
            if name in out and is_object_def(out[name]) and is_object_def(parsed):
                out[name].setdefault("properties", {}).update(parsed.get("properties", {}))
            else:
                out[name] = parsed
        return out

    def _field(self, name, full, fdef, parent_subobjects):
        fdef = dict(fdef)
        ftype = fdef.get("type")
        if ftype is not None and (not isinstance(ftype, str) or ftype not in self.types):
            raise EsError("mapper_parsing_exception", f"No handler for type [{ftype}] declared on field [{name}]")
        if ftype in (None, "object", "nested"):
            allowed = OBJECT_PARAMS | ({"subobjects"} if self.profile.subobjects else set())
            extra = {k: v for k, v in fdef.items() if k not in allowed}
            if extra:
                raise EsError("mapper_parsing_exception",
                              f"Mapping definition for [{name}] has unsupported parameters: " + _remaining(extra))
            if not parent_subobjects:
                raise iae(f"Tried to add subobject [{name}] to object [{full.rsplit('.', 1)[0] if '.' in full else '_doc'}]"
                          " which does not support subobjects")
            self._check_dynamic(fdef.get("dynamic"), name)
            subobjects = self._subobjects(fdef)
            if "properties" in fdef:
                fdef["properties"] = self._properties(fdef["properties"], full, subobjects)
            return fdef
        if "fields" in fdef:
            subs = {}
            for sub, sdef in fdef["fields"].items():
                subs[sub] = self._field(sub, f"{full}.{sub}", sdef, True)
            fdef["fields"] = subs
        if ftype == "scaled_float" and "scaling_factor" not in fdef:
            raise iae("Field [scaling_factor] is required")
        if ftype == "date" or ftype == "date_nanos":
            fmt = fdef.get("format", DEFAULT_DATE_FORMAT)
            if not isinstance(fmt, str) or not fmt:
                raise iae(f"Invalid format: [{fmt}]")
        return fdef


def _as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def merge_mapping(base, update, reason="update"):
    """Merges mapping ``update`` into a copy of ``base`` (MapperService.merge).

    With reason "template" later definitions replace earlier ones (index template composition);
    otherwise type changes are conflicts."""
    out = dict(base)
    for key, value in update.items():
        if key == "properties":
            out["properties"] = _merge_properties(base.get("properties", {}), value, "", reason)
        elif key == "runtime":
            out["runtime"] = {**base.get("runtime", {}), **value}
        elif key == "_meta" or key == "dynamic_templates":
            out[key] = value
        elif key == "subobjects" and key in base and base[key] != value and reason != "template":
            raise iae("the [subobjects] parameter can't be updated for the object mapping [_doc]")
        else:
            out[key] = value
    return out


def _merge_properties(base, update, prefix, reason):
    out = dict(base)
    for name, new in update.items():
        full = f"{prefix}.{name}" if prefix else name
        old = base.get(name)
        if old is None:
            out[name] = new
            continue
        old_obj, new_obj = is_object_def(old), is_object_def(new)
        if reason == "template":
            out[name] = merge_mapping(old, new, reason) if old_obj and new_obj else new
            continue
        if old_obj != new_obj:
            if old_obj:
                raise iae(f"can't merge a non object mapping [{full}] with an object mapping")
            raise iae(f"mapper [{full}] cannot be changed from type [{old.get('type')}] to [{new.get('type', 'object')}]")
        if old_obj:
            merged = dict(old)
            for k, v in new.items():
                if k == "properties":
                    merged["properties"] = _merge_properties(old.get("properties", {}), v, full, reason)
                elif k == "subobjects" and old.get(k, True) != v:
                    raise iae(f"the [subobjects] parameter can't be updated for the object mapping [{full}]")
                else:
                    merged[k] = v
            out[name] = merged
        else:
            if old.get("type") != new.get("type"):
                raise iae(f"mapper [{full}] cannot be changed from type [{old.get('type')}] to [{new.get('type')}]")
            out[name] = {**old, **new}
    return out


def render_mapping(mapping, root=True):
    """Serializes like Elasticsearch: properties sorted by name, and an object shows
    "type": "object" only while it has no sub-fields (ObjectMapper.toXContent)."""
    out = {}
    for k, v in mapping.items():
        if k in ("properties", "fields"):
            out[k] = {name: render_mapping(d, False) for name, d in sorted(v.items())}
        else:
            out[k] = v
    if not root and is_object_def(mapping) and mapping.get("type") != "nested":
        if out.get("properties"):
            out.pop("type", None)
        else:
            out.pop("properties", None)
            out = {"type": "object", **out}
    return out


# --------------------------------------------------------------------------------------------
# Document parsing: dynamic mapping and value validation (index/mapper/DocumentParser.java,
# DynamicFieldsBuilder.java, DocumentParserContext.java, the FieldMapper subclasses)
# --------------------------------------------------------------------------------------------


class Expanded:
    """What the dot-expanding parser makes of ``"a.b.c": v``: an object {"b": {"c": v}} under "a"."""
    __slots__ = ("parts", "value", "full")

    def __init__(self, parts, value, full):
        self.parts, self.value, self.full = parts, value, full

    def as_dict(self):
        inner = self.value
        for part in reversed(self.parts):
            inner = {part: inner}
        return inner


class Malformed(Exception):
    """A value the mapped field cannot take; ``ignorable`` if ignore_malformed may swallow it
    (every value token, never an object)."""

    def __init__(self, cause, ignorable=True):
        super().__init__(cause.reason)
        self.cause, self.ignorable = cause, ignorable


class ObjCtx:
    __slots__ = ("path", "node", "dynamic", "subobjects", "new")

    def __init__(self, path, node, dynamic, subobjects, new):
        self.path, self.node, self.dynamic, self.subobjects, self.new = path, node, dynamic, subobjects, new


def _dynamic_of(node, inherited):
    value = node.get("dynamic")
    return inherited if value is None else str(value).lower()


def _java_split_dots(key):
    parts = key.split(".")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def simple_match(pattern, text):
    """Regex.simpleMatch: '*' matches any sequence."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), text, re.S) is not None


def _substitute(value, name, dynamic_type):
    if isinstance(value, str):
        return value.replace("{name}", name).replace("{dynamic_type}", dynamic_type)
    if isinstance(value, dict):
        return {_substitute(k, name, dynamic_type): _substitute(v, name, dynamic_type) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, name, dynamic_type) for v in value]
    return value


RUNTIME_TYPES = {"string": "keyword", "long": "long", "double": "double", "boolean": "boolean", "date": "date"}
IGNORE_MALFORMED_TYPES = NUMERIC_TYPES | {"date", "date_nanos", "ip", "boolean", "geo_point", "geo_shape"}
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class DocParser:
    """Parses one source document against an index's mapping.

    New fields are collected privately and only committed (``commit``) once the whole
    document was accepted, as Elasticsearch applies a dynamic mapping update per document."""

    def __init__(self, index, profile, doc_id, raw, templates_param=None, reject_field=None):
        self.index, self.profile, self.id, self.raw = index, profile, doc_id, raw
        self.loc = Locator(raw)
        self.templates_param = templates_param or {}
        self.reject_field = reject_field
        self.pending = {}       # full path -> (kind, definition) of fields new in this document
        self.attach = []        # (existing parent node, name, definition) to add on commit
        self.runtime = {}
        self.new_fields = 0
        self.ignored = []       # the document's _ignored metadata field
        root = index.mapping
        self.templates = root.get("dynamic_templates") or []
        self.date_detection = root.get("date_detection", True) not in (False, "false")
        self.numeric_detection = root.get("numeric_detection", False) in (True, "true")
        self.date_formats = root.get("dynamic_date_formats", DYNAMIC_DATE_FORMATS)

    # -- errors ------------------------------------------------------------------------------

    def _loc(self, jpath, where="start"):
        if not self.profile.locations:
            return ""
        line, col = self.loc.at(jpath, where)
        return f"[{line}:{col}] "

    def _doc_error(self, reason, jpath, where="start", cause=None, type_=None):
        return EsError(type_ or self.profile.doc_error, self._loc(jpath, where) + reason, 400, cause=cause)

    def _failed(self, message, jpath, where="start"):
        """An exception thrown mid-parse, wrapped by DocumentParser.wrapInDocumentParsingException."""
        if self.profile.locations:
            return self._doc_error(f"failed to parse: {message}", jpath, where, cause=iae(message))
        return EsError(self.profile.doc_error, "failed to parse", 400, cause=iae(message))

    def _jackson(self, exc_type, message, jpath):
        """A Jackson exception raised while reading a value (JsonXContentParser wraps it in 8.x)."""
        line, col = self.loc.at(jpath, "after")
        suffix = self.loc.suffix(line, col)
        inner = EsError(exc_type, message + suffix, es=False)
        if self.profile.locations:
            return EsError("x_content_parse_exception", f"[{line}:{col}] {message}{suffix}", es=False, cause=inner)
        return inner

    def _expected_text(self, jpath):
        line, col = self.loc.at(jpath, "start")
        return Malformed(iae(f"Expected text at {line}:{col} but found START_OBJECT"), ignorable=False)

    def _field_error(self, full, ftype, value, jpath, cause):
        preview = java_value(value.as_dict() if isinstance(value, Expanded) else value)
        where = "next" if isinstance(value, (dict, Expanded)) else "start"
        return self._doc_error(f"failed to parse field [{full}] of type [{ftype}] in document with id "
                               f"'{self.id}'. Preview of field's value: '{preview}'", jpath, where, cause)

    # -- walking -----------------------------------------------------------------------------

    def parse(self, source):
        if not isinstance(source, dict):
            raise EsError(self.profile.doc_error, "Malformed content, must start with an object", 400)
        root = self.index.mapping
        subobjects = root.get("subobjects", True) if self.profile.subobjects else True
        ctx = ObjCtx("", root, _dynamic_of(root, "true"), subobjects, False)
        self._body(ctx, source, ())
        self._check_mapping_update()
        return self

    def _body(self, ctx, obj, jpath):
        if isinstance(obj, Expanded):
            value = obj.value if len(obj.parts) == 1 else Expanded(obj.parts[1:], obj.value, obj.full)
            self._field(ctx, obj.parts[0], value, jpath)
            return
        for key, value in obj.items():
            self._entry(ctx, key, value, jpath + (key,))

    def _entry(self, ctx, key, value, jpath):
        if ctx.subobjects:
            parts = self._split(key, jpath)
            if len(parts) > 1:
                full = f"{ctx.path}.{key}" if ctx.path else key
                self._field(ctx, parts[0], Expanded(parts[1:], value, full), jpath)
                return
            key = parts[0]
        if key == "":
            raise self._failed("Field name cannot be an empty string", jpath, "key")
        if key.isspace() and self.profile.mode == "es8":
            path = f"{ctx.path}.{key}" if ctx.path else key
            raise self._doc_error(f"Field name cannot contain only whitespace: [{path}]", jpath, "key")
        self._field(ctx, key, value, jpath)

    def _split(self, key, jpath):
        if self.profile.mode == "es8":    # DotExpandingXContentParser.splitAndValidatePath
            if key == "":
                raise self._failed("field name cannot be an empty string", jpath, "key")
            if "." not in key:
                return [key]
            parts = _java_split_dots(key)
            if not parts:
                raise self._failed("field name cannot contain only dots", jpath, "key")
            for part in parts:
                if part == "":
                    raise self._failed(f"field name cannot contain only whitespace: ['{key}']", jpath, "key")
                if part.isspace():
                    raise self._failed(f"field name starting or ending with a [.] makes object resolution "
                                       f"ambiguous: [{key}]", jpath, "key")
            return parts
        if "." not in key:                 # 7.x DocumentParser.splitAndValidatePath
            if key == "":
                raise self._failed("field name cannot be an empty string", jpath, "key")
            return [key]
        parts = _java_split_dots(key)
        if not parts:
            raise self._failed("field name cannot contain only dots", jpath, "key")
        for part in parts:
            if not part.strip():
                if part:
                    raise self._failed(f"object field cannot contain only whitespace: ['{key}']", jpath, "key")
                raise self._failed(f"object field starting or ending with a [.] makes object resolution "
                                   f"ambiguous: [{key}]", jpath, "key")
        return parts

    def _mapper(self, full):
        found = self.pending.get(full)
        return found if found is not None else self.index.lookup(full)

    def _field(self, ctx, name, value, jpath):
        full = f"{ctx.path}.{name}" if ctx.path else name
        if full == self.reject_field:
            found = self._mapper(full)
            ftype = found[1].get("type", "object") if found else "unmapped"
            raise self._field_error(full, ftype, value, jpath,
                                    iae(f"field [{full}] is rejected by the test server (reject_field fault)"))
        if not ctx.path and name in METADATA_FIELDS:
            raise self._field_error(full, name, value, jpath, iae(
                f"Field [{name}] is a metadata field and cannot be added inside a document. "
                "Use the index API request parameters."))
        if value is None:
            if self._mapper(full) is None:
                self._ensure_not_strict(ctx, name, jpath)
        elif isinstance(value, list):
            self._array(ctx, name, full, value, jpath)
        elif isinstance(value, (dict, Expanded)):
            self._object(ctx, name, full, value, jpath)
        else:
            self._scalar(ctx, name, full, value, jpath)

    def _ensure_not_strict(self, ctx, name, jpath):
        if ctx.dynamic == "strict":
            raise self._doc_error(f"mapping set to strict, dynamic introduction of [{name}] within "
                                  f"[{ctx.path or '_doc'}] is not allowed", jpath,
                                  type_="strict_dynamic_mapping_exception")

    def _scalar(self, ctx, name, full, value, jpath):
        found = self._mapper(full)
        if found is None:
            self._ensure_not_strict(ctx, name, jpath)
            if ctx.dynamic == "false":
                return
            found = self._new_leaf(ctx, name, full, value, jpath)
            if found is None:
                return
        kind, fdef = found
        if kind == "object":
            raise self._doc_error(f"object mapping for [{full}] tried to parse field [{name}] as object, but found "
                                  "a concrete value", jpath)
        if kind == "leaf":
            self._leaf(full, fdef, value, jpath)

    def _array(self, ctx, name, full, values, jpath):
        found = self._mapper(full)
        if found is not None and found[0] == "leaf" and found[1].get("type") in STRUCTURED_TYPES | {"dense_vector"}:
            self._leaf(full, found[1], values, jpath)
            return
        if found is None:
            self._ensure_not_strict(ctx, name, jpath)
            if ctx.dynamic == "false":
                return
            if (ctx.dynamic == "true" and self.profile.dense_vectors and 128 <= len(values) <= 4096
                    and all(type(v) is float for v in values) and self._template(name, full, "double", jpath) is None):
                fdef = {"type": "dense_vector", "dims": len(values), "index": True, "similarity": "cosine",
                        "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100}}
                if self._add_dynamic(ctx, name, full, fdef, jpath):
                    self._leaf(full, fdef, values, jpath)
                return
            if self._beyond_limit(1):
                self.ignored.append(full)
                return
        for i, element in enumerate(values):
            jp = jpath + (i,)
            if element is None:
                if self._mapper(full) is None:
                    self._ensure_not_strict(ctx, name, jp)
            elif isinstance(element, list):
                self._array(ctx, name, full, element, jp)
            elif isinstance(element, dict):
                self._object(ctx, name, full, element, jp)
            else:
                self._scalar(ctx, name, full, element, jp)

    def _object(self, ctx, name, full, value, jpath):
        found = self._mapper(full)
        if found is not None:
            kind, fdef = found
            if kind == "object":
                if fdef.get("enabled", True) in (False, "false"):
                    return
                sub = fdef.get("subobjects", True) if self.profile.subobjects else True
                child = ObjCtx(full, fdef, _dynamic_of(fdef, ctx.dynamic), sub, full in self.pending)
                self._body(child, value, jpath)
                return
            if kind == "runtime":
                return
            if not ctx.subobjects and fdef.get("type") not in STRUCTURED_TYPES:
                self._flatten(ctx, name, value, jpath)      # DocumentParser.shouldFlattenObject
                return
            if isinstance(value, Expanded) and not self.profile.locations:
                # 7.x resolves dotted names against the existing mapping first
                raise EsError(self.profile.doc_error,
                              f"Could not dynamically add mapping for field [{value.full}]. Existing mapping for "
                              f"[{full}] must be of type object but found [{fdef.get('type')}].", 400)
            self._leaf(full, fdef, value, jpath)
            return
        self._ensure_not_strict(ctx, name, jpath)
        if ctx.dynamic == "false":
            return
        if ctx.dynamic == "runtime":
            self._body(ObjCtx(full, {}, "runtime", True, True), value, jpath)
            return
        if not ctx.subobjects:
            self._flatten(ctx, name, value, jpath)
            return
        template = self._template(name, full, "object", jpath)
        fdef = {"properties": {}}
        if template is not None and "mapping" in template[1]:
            fdef = _substitute(template[1]["mapping"], name, "object")
            fdef.setdefault("properties", {})
        if not self._add_dynamic(ctx, name, full, fdef, jpath, is_object=True):
            return
        sub = fdef.get("subobjects", True) if self.profile.subobjects else True
        self._body(ObjCtx(full, fdef, _dynamic_of(fdef, ctx.dynamic), sub, True), value, jpath)

    def _flatten(self, ctx, name, value, jpath):
        """An object under subobjects:false contributes its leaves as dotted names."""
        if isinstance(value, Expanded):
            rest = ".".join(value.parts)
            self._field(ctx, f"{name}.{rest}", value.value, jpath)
            return
        for key, sub in value.items():
            self._field(ctx, f"{name}.{key}", sub, jpath + (key,))

    # -- dynamic mapping ---------------------------------------------------------------------

    def _beyond_limit(self, additional):
        return (self.index.ignore_dynamic_beyond_limit
                and self.index.total_fields + additional > self.index.total_fields_limit)

    def _add_dynamic(self, ctx, name, full, fdef, jpath, is_object=False):
        """DocumentParserContext.addDynamicMapper: eager depth and field-count checks."""
        index = self.index
        if is_object and full.count(".") + 2 > index.depth_limit and self.profile.eager_field_limit:
            raise self._failed(f"Limit of mapping depth [{index.depth_limit}] has been exceeded due to object "
                               f"field [{full}]", jpath)
        size = count_fields({name: fdef})
        additional = self.new_fields + size
        if self._beyond_limit(additional):
            self.ignored.append(full)
            return False
        if self.profile.eager_field_limit and index.total_fields + additional > index.total_fields_limit:
            raise self._failed(f"Limit of total fields [{index.total_fields_limit}] has been exceeded while adding "
                               f"new fields [{additional}]", jpath)
        self.new_fields = additional
        self.pending[full] = ("object" if is_object else "leaf", fdef)
        if ctx.new:
            ctx.node.setdefault("properties", {})[name] = fdef
        else:
            self.attach.append((ctx.node, name, fdef))
        return True

    def _detect(self, value):
        """(match_mapping_type, {dynamic_type}, date format) of a value (DynamicFieldsBuilder)."""
        if isinstance(value, bool):
            return "boolean", "boolean", None
        if isinstance(value, int):
            return "long", "long", None       # also beyond long range: mapped long, then rejected
        if isinstance(value, float):
            return "double", "float", None
        if self.date_detection:
            for fmt in self.date_formats:
                if parse_date(value, fmt) is not None:
                    return "date", "date", fmt
        if self.numeric_detection:
            if re.fullmatch(r"[+-]?\d+", value) and LONG_RANGE[0] <= int(value) <= LONG_RANGE[1]:
                return "long", "long", None
            try:
                if math.isfinite(java_parse_double(value)):
                    return "double", "float", None
            except EsError:
                pass
        return "string", "text", None

    def _template(self, name, full, kind, jpath):
        forced = self.templates_param.get(full)
        for entry in self.templates:
            (tname, spec), = entry.items()
            if forced is not None:
                if tname == forced:
                    return tname, spec
            elif self._template_matches(spec, name, full, kind):
                return tname, spec
        if forced is not None:
            raise self._doc_error(f"Can't find dynamic template for dynamic template name [{forced}] of field "
                                  f"[{full}]", jpath)
        return None

    @staticmethod
    def _template_matches(spec, name, full, kind):
        conditions = ("match", "unmatch", "path_match", "path_unmatch", "match_mapping_type", "unmatch_mapping_type")
        if not any(c in spec for c in conditions):
            return False               # usable only by name, through the bulk dynamic_templates parameter
        types = _as_list(spec.get("match_mapping_type"))
        if types:
            if "*" not in types and kind not in types:
                return False
        elif kind == "object":
            return False
        if kind in _as_list(spec.get("unmatch_mapping_type")):
            return False
        regex = spec.get("match_pattern") == "regex"

        def any_match(key, text):
            return any(re.fullmatch(p, text) if regex else simple_match(p, text) for p in _as_list(spec[key]))

        return ((("match" not in spec) or any_match("match", name))
                and not ("unmatch" in spec and any_match("unmatch", name))
                and (("path_match" not in spec) or any_match("path_match", full))
                and not ("path_unmatch" in spec and any_match("path_unmatch", full)))

    def _new_leaf(self, ctx, name, full, value, jpath):
        kind, dyn_type, fmt = self._detect(value)
        template = self._template(name, full, kind, jpath)
        if (template is None and ctx.dynamic == "runtime") or (template is not None and "runtime" in template[1]):
            rdef = dict(_substitute(template[1]["runtime"], name, RUNTIME_TYPES[kind])) if template else {}
            rdef.setdefault("type", RUNTIME_TYPES[kind])
            if fmt and fmt != "strict_date_optional_time":
                rdef.setdefault("format", fmt)
            if full not in self.runtime:
                if self._beyond_limit(self.new_fields + 1):
                    self.ignored.append(full)
                    return None
                if self.profile.eager_field_limit and (self.index.total_fields + self.new_fields + 1
                                                       > self.index.total_fields_limit):
                    raise self._failed(f"Limit of total fields [{self.index.total_fields_limit}] has been exceeded "
                                       f"while adding new fields [{self.new_fields + 1}]", jpath)
                self.new_fields += 1
                self.runtime[full] = rdef
            self.pending[full] = ("runtime", rdef)
            return None
        if template is not None:
            fdef = _substitute(template[1].get("mapping", {}), name, dyn_type)
            if "type" not in fdef:
                fdef["type"] = dyn_type
                if fmt and fmt != "strict_date_optional_time":
                    fdef["format"] = fmt
            try:
                fdef = MappingParser(self.profile)._field(name, full, fdef, True)
            except EsError as e:
                raise self._failed(e.reason, jpath) from None
        elif kind == "string":
            fdef = {"type": "text", "fields": {"keyword": dict(STRING_DEFAULT["fields"]["keyword"])}}
        elif kind == "date" and fmt != "strict_date_optional_time":
            fdef = {"type": "date", "format": fmt}
        else:
            fdef = {"type": dyn_type}
        if not self._add_dynamic(ctx, name, full, fdef, jpath):
            return None
        return "leaf", fdef

    def _check_mapping_update(self):
        """Checks the master applies to the merged mapping (MappingLookup.validate)."""
        index = self.index
        if not (self.attach or self.runtime):
            return
        if not self.profile.eager_field_limit and index.total_fields + self.new_fields > index.total_fields_limit:
            where = f" in index [{index.name}]" if self.profile.mode == "os2" else ""
            raise iae(f"Limit of total fields [{index.total_fields_limit}]{where} has been exceeded")
        limit = index.field_name_length_limit
        for full, (_, fdef) in self.pending.items():
            for name in [full.rsplit(".", 1)[-1]] + list(fdef.get("fields", {})):
                if len(name) > limit:
                    raise iae(f"Field name [{name}] is longer than the limit of [{limit}] characters")
        if not self.profile.eager_field_limit:
            for full, (kind, _) in self.pending.items():
                if kind == "object" and full.count(".") + 2 > index.depth_limit:
                    raise iae(f"Limit of mapping depth [{index.depth_limit}] has been exceeded due to object "
                              f"field [{full}]")

    def commit(self):
        for node, name, fdef in self.attach:
            node.setdefault("properties", {})[name] = fdef
        if self.runtime:
            self.index.mapping.setdefault("runtime", {}).update(self.runtime)
        if self.attach or self.runtime:
            self.index.refresh_fields()

    # -- value validation --------------------------------------------------------------------

    def _leaf(self, full, fdef, value, jpath):
        ftype = fdef.get("type")
        try:
            self._check_value(full, fdef, ftype, value, jpath)
        except Malformed as bad:
            ignore = fdef.get("ignore_malformed", self.index.ignore_malformed)
            if bad.ignorable and ftype in IGNORE_MALFORMED_TYPES and ignore in (True, "true"):
                self.ignored.append(full)
            else:
                raise self._field_error(full, ftype, value, jpath, bad.cause) from None
        else:
            if (ftype in ("keyword", "wildcard") and isinstance(value, str)
                    and len(value) > int(fdef.get("ignore_above", 2 ** 31 - 1))):
                self.ignored.append(full)
        for sub, sdef in fdef.get("fields", {}).items():
            self._leaf(f"{full}.{sub}", sdef, value, jpath)

    def _text_of(self, value, jpath):
        """parser.text() of a value token (numbers keep their source spelling)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return self.loc.text(jpath)
        return str(value)

    def _check_value(self, full, fdef, ftype, value, jpath):
        is_object = isinstance(value, (dict, Expanded))
        if ftype in NUMERIC_TYPES:
            self._check_number(fdef, ftype, value, jpath, is_object)
        elif ftype in ("date", "date_nanos"):
            self._check_date(fdef, ftype, value, jpath, is_object)
        elif ftype == "boolean":
            if is_object:
                raise self._expected_text(jpath)
            if isinstance(value, str) and value not in ("true", "false", ""):
                raise Malformed(iae(f"Failed to parse value [{value}] as only [true] or [false] are allowed."))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                token = "VALUE_NUMBER_FLOAT" if isinstance(value, float) else "VALUE_NUMBER_INT"
                raise Malformed(self._jackson("json_parse_exception", f"Current token ({token}) not of boolean type",
                                              jpath))
        elif ftype == "ip":
            if is_object:
                raise self._expected_text(jpath)
            text = self._text_of(value, jpath)
            if not _valid_ip(text):
                raise Malformed(iae(f"'{text}' is not an IP string literal."))
        elif ftype in TEXTUAL_TYPES:
            if is_object:
                raise self._expected_text(jpath)
            if ftype == "constant_keyword":
                expected = fdef.get("value")
                text = self._text_of(value, jpath)
                if expected is not None and text != expected:
                    raise Malformed(iae(f"[constant_keyword] field [{full}] only accepts values that are equal to the "
                                        f"value defined in the mappings [{expected}], but got [{text}]"), False)
        elif ftype == "binary":
            self._check_binary(value, jpath, is_object)
        elif ftype == "dense_vector":
            dims = len(value) if isinstance(value, list) else 1
            if is_object or dims != fdef.get("dims", dims):
                raise Malformed(iae(f"The [dense_vector] field [{full}] in doc [document with id '{self.id}'] has a "
                                    f"different number of dimensions [{dims}] than defined in the mapping "
                                    f"[{fdef.get('dims')}]"), False)

    def _check_number(self, fdef, ftype, value, jpath, is_object):
        coerce = fdef.get("coerce", self.index.coerce) in (True, "true")
        if is_object:
            raise Malformed(iae("Cannot parse object as number"), ignorable=False)
        if isinstance(value, bool):
            token = "VALUE_TRUE" if value else "VALUE_FALSE"
            raise Malformed(self._jackson("json_parse_exception",
                                          f"Current token ({token}) not numeric, can not use numeric value accessors",
                                          jpath))
        if ftype == "unsigned_long":
            self._check_unsigned(value)
            return
        if isinstance(value, str) and value == "" and coerce:
            return                      # NumberFieldMapper.value(): an empty string is null when coercing
        if ftype in ("long", "integer", "short", "byte"):
            long_type = ftype == "long"
            lo, hi = LONG_RANGE if long_type else INT_RANGE
            if isinstance(value, str):
                if not coerce:
                    raise Malformed(iae(f"{'Long' if long_type else 'Integer'} value passed as String"))
                try:
                    n = java_to_integer(value, coerce, long_type)
                except EsError as e:
                    raise Malformed(e) from None
            else:
                in_range = lo <= value <= hi if isinstance(value, int) else (math.isfinite(value) and lo <= value <= hi)
                if not in_range:
                    raise Malformed(self._jackson(
                        "input_coercion_exception", f"Numeric value ({self.loc.text(jpath)}) out of range of "
                        f"{'long' if long_type else 'int'} ({lo} - {hi})", jpath))
                if isinstance(value, float) and not coerce and value != math.trunc(value):
                    raise Malformed(iae(f"{java_double(value)} cannot be converted to "
                                        f"{'Long' if long_type else 'Integer'} without data loss"))
                n = math.trunc(value)
            if ftype in SMALL_RANGES:
                lo, hi, what = SMALL_RANGES[ftype]
                if not lo <= n <= hi:
                    raise Malformed(iae(f"Value [{n}] is out of range for {what}"))
            return
        if isinstance(value, str):
            if not coerce:
                java = "Float" if ftype in ("float", "half_float") else "Double"
                raise Malformed(iae(f"{java} value passed as String"))
            try:
                x = java_parse_double(value)
            except EsError as e:
                raise Malformed(e) from None
        else:
            try:
                x = float(value)
            except OverflowError:
                x = math.copysign(math.inf, value)
        if ftype == "scaled_float":
            if not math.isfinite(x):
                raise Malformed(iae(f"[scaled_float] only supports finite values, but got [{java_double(x)}]"))
            return
        if ftype in ("float", "half_float"):
            x = to_float32(x)
            if ftype == "half_float" and abs(x) >= 65520:
                x = math.copysign(math.inf, x)
        if not math.isfinite(x):
            raise Malformed(iae(f"[{ftype}] supports only finite values, but got [{java_double(x)}]"))

    @staticmethod
    def _check_unsigned(value):
        """UnsignedLongFieldMapper.parseUnsignedLong."""
        if isinstance(value, str):
            if value == "" or (re.fullmatch(r"\+?\d+", value) and int(value) <= 2 ** 64 - 1):
                return
            raise Malformed(iae(f'For input string: "{value}"'))
        if isinstance(value, float):
            raise Malformed(iae(f"For input string: [{java_double(value)}]."))
        if LONG_RANGE[0] <= value <= LONG_RANGE[1]:
            if value < 0:
                raise Malformed(iae(f"Value [{value}] is out of range for unsigned long."))
        elif value < 0 or value > 2 ** 64 - 1:
            raise Malformed(iae(f"Value [{value}] is out of range for unsigned long"))

    def _check_date(self, fdef, ftype, value, jpath, is_object):
        if is_object:
            raise self._expected_text(jpath)
        fmt = fdef.get("format", DEFAULT_DATE_FORMAT)
        text = self._text_of(value, jpath)
        if text == "":
            raise Malformed(iae("cannot parse empty datetime"))
        got = parse_date(text, fmt)
        if got is None:
            cause = EsError("date_time_parse_exception", "Failed to parse with all enclosed parsers" if "||" in fmt
                            else f"Text '{text}' could not be parsed at index 0", es=False)
            raise Malformed(iae(f"failed to parse date field [{text}] with format [{fmt}]", cause))
        if ftype == "date_nanos":
            if got[0] < 0:
                raise Malformed(iae(f"date[{format_instant(*got)}] is before the epoch in 1970 and cannot be stored "
                                    "in nanosecond resolution"))
            if got > MAX_NANOS_INSTANT:
                raise Malformed(iae(f"date[{format_instant(*got)}] is after 2262-04-11T23:47:16.854775807 and "
                                    "cannot be stored in nanosecond resolution"))

    def _check_binary(self, value, jpath, is_object):
        if is_object:
            raise self._expected_text(jpath)
        if not isinstance(value, str):
            token = {bool: "VALUE_TRUE" if value else "VALUE_FALSE", int: "VALUE_NUMBER_INT",
                     float: "VALUE_NUMBER_FLOAT"}[type(value)]
            raise Malformed(self._jackson("json_parse_exception", f"Current token ({token}) not VALUE_STRING or "
                                          "VALUE_EMBEDDED_OBJECT, can not access as binary", jpath))
        bad = next((c for c in value if not (c.isascii() and (c.isalnum() or c in "+/="))), None)
        if bad is not None:
            raise Malformed(self._jackson("json_parse_exception", "Failed to decode VALUE_STRING as base64 "
                                          f"(MIME-NO-LINEFEEDS): Illegal character {_char_desc(bad)} in base64 content",
                                          jpath))
        if not _BASE64.fullmatch(value) or len(value) % 4:
            raise Malformed(self._jackson("json_parse_exception", "Failed to decode VALUE_STRING as base64 "
                                          "(MIME-NO-LINEFEEDS): Unexpected end of base64-encoded String: base64 "
                                          "variant 'MIME-NO-LINEFEEDS' expects padding (one or more '=' characters) "
                                          "at the end", jpath))


def _valid_ip(text):
    """InetAddresses.forString: IPv4 dotted quads or IPv6 text, no scope ids."""
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def document_syntax_error(raw, profile, err):
    """The item error for a source Jackson could not read (or read with a duplicate key)."""
    ln, col = line_col(raw, err.ptr)
    suffix = f"\n at [Source: {source_description(raw)}; line: {ln}, column: {col}]"
    jackson = EsError("json_e_o_f_exception" if err.eof else "json_parse_exception", err.message + suffix, es=False)
    if not profile.locations:
        return EsError(profile.doc_error, "failed to parse", 400, cause=jackson)
    if err.eof:
        inner = EsError("x_content_e_o_f_exception", f"[{ln}:{col}] Unexpected end of file", es=False, cause=jackson)
    else:
        inner = EsError("x_content_parse_exception", f"[{ln}:{col}] {err.message}{suffix}", es=False, cause=jackson)
    tln, tcol = line_col(raw, err.token)
    return EsError(profile.doc_error, f"[{tln}:{tcol}] failed to parse: {inner.reason}", 400, cause=inner)


def parse_source(raw, profile):
    """Reads a document source: (object, None) or (None, EsError) as a shard would report it."""
    if not raw:
        msg = "failed to parse, document is empty"
        return None, EsError(profile.doc_error, ("[0:0] " if profile.locations else "") + msg, 400)
    try:
        return loads_strict(raw), None
    except (ValueError, _Duplicate, UnicodeDecodeError, RecursionError):
        pass
    try:
        tree, toks = scan_tree(raw)
        if tree is None or raw[tree.start] != 0x7B:
            return None, EsError(profile.doc_error, "Malformed content, must start with an object", 400)
        extra = toks.next()
    except JsonSyntaxError as err:
        return None, document_syntax_error(raw, profile, err)
    if extra is not None:       # DocumentParser.validateEnd
        return None, iae(f"Malformed content, found extra data after parsing: {extra.kind}")
    return None, EsError("illegal_state_exception", "source could not be read", 500, es=False)
