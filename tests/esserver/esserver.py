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
import gc
import json
import json.scanner
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

    def __init__(self, type_, reason, status=400, *, cause=None, meta=None, es=True, headers=None, roots=None):
        super().__init__(reason)
        self.type, self.reason, self.status = type_, reason, status
        self.cause, self.meta, self.es = cause, meta or {}, es
        self.headers = headers or {}
        self.roots = roots        # explicit root causes (SearchPhaseExecutionException: the shard failures)

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
        if self.roots is not None:
            return [r._flat() for r in self.roots]
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


_RAW_MARKER = re.compile(r'"\\u0000RAW(\d+)\\u0000"')


def dumps(obj, pretty=False, spliced=False):
    """Serializes a response; ``spliced`` bodies contain Raw sources to insert verbatim."""
    options = {"indent": 2, "separators": (",", " : ")} if pretty else {"separators": (",", ":")}
    if not spliced:
        return json.dumps(obj, ensure_ascii=False, **options)
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

    text = json.dumps(swap(obj), ensure_ascii=False, **options)
    # One pass over the text: replacing marker by marker is quadratic in the
    # number of documents.
    return _RAW_MARKER.sub(lambda m: raws[int(m.group(1))], text)


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
        # open containers: [kind "{" or "[", start offset, field names seen, state], the state being
        # what comes next: "first" entry, a "value" after a name, a "comma", or an entry "after_comma"
        self.stack = []

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
                msg = ("Unexpected end-of-input in field name" if field_name
                       else "Unexpected end-of-input: was expecting closing quote for a string value")
                raise JsonSyntaxError(msg, self.n, self.last, eof=True)
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
                    raise JsonSyntaxError("Unexpected end-of-input in character escape sequence", self.n, self.last,
                                          eof=True)
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
            if m is None:                                  # a lone minus sign
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


def xcontent_error(raw, err):
    """A whole-request JSON error (JsonXContentParser wraps Jackson exceptions)."""
    ln, col = line_col(raw, err.ptr)
    suffix = f"\n at [Source: {source_description(raw)}; line: {ln}, column: {col}]"
    return EsError("x_content_parse_exception", f"[{ln}:{col}] {err.message}{suffix}", 400, es=False,
                   cause=EsError("json_e_o_f_exception" if err.eof else "json_parse_exception", err.message + suffix,
                                 es=False))


def parse_body_json(raw):
    """A JSON request body, read with Jackson's strictness; syntax errors fail the request."""
    if not raw:
        return None
    try:
        return loads_strict(raw)
    except (ValueError, _Duplicate, UnicodeDecodeError, RecursionError):
        pass
    try:
        scan_tree(raw)
    except JsonSyntaxError as err:
        raise xcontent_error(raw, err) from None
    raise iae("Malformed request body")


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
        """(line, col) of a value's first token ("start"), its last token ("last": the closing
        bracket of an object or array), the reader position just after it ("after"), or its
        field name ("key")."""
        node = self.node(jpath)
        if where == "start":
            off = node.start
        elif where == "key":
            off = node.key_start if node.key_start is not None else node.start
        elif where == "after":
            off = node.end
        else:
            off = node.end - 1 if node.children is not None else node.start
        return line_col(self.raw, off)

    def text(self, jpath):
        node = self.node(jpath)
        return self.raw[node.start:node.end].decode("utf-8")

    def suffix(self, line, col):
        return f"\n at [Source: {source_description(self.raw)}; line: {line}, column: {col}]"


# --------------------------------------------------------------------------------------------
# Dates (java.time semantics for the formats Elasticsearch uses by default)
# --------------------------------------------------------------------------------------------

DEFAULT_DATE_FORMAT = "strict_date_optional_time||epoch_millis"
DYNAMIC_DATE_FORMATS = ["strict_date_optional_time", "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd"]
_ISO = re.compile(r"([+-]?\d{4,9})-(\d{2})-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?"
                  r"(Z|[+-]\d{2}(?::?\d{2})?)?)?")
_EPOCH = re.compile(r"-?\d+(?:\.\d{1,6})?")
# named ISO-8601 formats, all read like strict_date_optional_time
_NAMED_FORMATS = {"strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
                  "strict_date_time", "date_time", "strict_date_time_no_millis", "date_time_no_millis",
                  "strict_date", "date"}
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


def java_to_integer(text, long_type):
    """AbstractXContentParser.toLong / toInt with coercion (decimals are truncated)."""
    lo, hi = LONG_RANGE if long_type else INT_RANGE
    if re.fullmatch(r"[+-]?\d+", text) and lo <= int(text) <= hi:
        return int(text)
    if not _BIG_DECIMAL.fullmatch(text):
        raise iae(f'For input string: "{text}"')
    d = decimal.Decimal(text)
    if d < lo or d > hi:
        raise iae(f"Value [{text}] is out of range for {'a long' if long_type else 'an integer'}")
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
                    raise EsError("mapper_parsing_exception", f"No field type matched on [{mmt}], possible "
                                  f"values are {_java_list(MATCH_MAPPING_TYPES)}")
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
                parent = full.rsplit(".", 1)[0] if "." in full else "_doc"
                raise iae(f"Tried to add subobject [{name}] to object [{parent}] which does not support subobjects")
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
            raise iae(f"mapper [{full}] cannot be changed from type [{old.get('type')}] to "
                      f"[{new.get('type', 'object')}]")
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

    def __init__(self, index, profile, doc_id, raw, templates_param=None, reject_field=None, on_reject=None):
        self.index, self.profile, self.id, self.raw = index, profile, doc_id, raw
        self.loc = Locator(raw)
        self.templates_param = templates_param or {}
        self.reject_field, self.on_reject = reject_field, on_reject
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

    def _expected_text(self, jpath, value):
        # a dotted name's synthetic START_OBJECT sits where the name is (DotExpandingXContentParser)
        line, col = self.loc.at(jpath, "key" if isinstance(value, Expanded) else "start")
        return Malformed(iae(f"Expected text at {line}:{col} but found START_OBJECT"), ignorable=False)

    def _field_error(self, full, ftype, value, jpath, cause):
        preview = java_value(value.as_dict() if isinstance(value, Expanded) else value)
        # reading the preview leaves the parser on the value's last token
        # (FieldMapper.rethrowAsDocumentParsingException)
        where = "last" if isinstance(value, (dict, Expanded)) else "start"
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
        if self.index.data_stream:
            self._check_timestamp(source)
        self._check_mapping_update()
        return self

    def _check_timestamp(self, source):
        """DataStreamTimestampFieldMapper.postParse: exactly one @timestamp value."""
        stamps = values_at(source, "@timestamp")
        if len(stamps) != 1:
            problem = "is missing" if not stamps else "encountered multiple values"
            raise self._failed(f"data stream timestamp field [@timestamp] {problem}", (), "last")

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
            self.on_reject()
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
            fdef = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
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
                raise self._expected_text(jpath, value)
            if isinstance(value, str) and value not in ("true", "false", ""):
                raise Malformed(iae(f"Failed to parse value [{value}] as only [true] or [false] are allowed."))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                token = "VALUE_NUMBER_FLOAT" if isinstance(value, float) else "VALUE_NUMBER_INT"
                raise Malformed(self._jackson("json_parse_exception", f"Current token ({token}) not of boolean type",
                                              jpath))
        elif ftype == "ip":
            if is_object:
                raise self._expected_text(jpath, value)
            text = self._text_of(value, jpath)
            if not _valid_ip(text):
                raise Malformed(iae(f"'{text}' is not an IP string literal."))
        elif ftype in TEXTUAL_TYPES:
            if is_object:
                raise self._expected_text(jpath, value)
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
                    n = java_to_integer(value, long_type)
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
            raise self._expected_text(jpath, value)
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
            raise self._expected_text(jpath, value)
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


# --------------------------------------------------------------------------------------------
# Indices, templates, data streams
# --------------------------------------------------------------------------------------------


def new_uuid():
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()[:22]


def _setting_str(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_setting_str(v) for v in value]
    return str(value)


def normalize_settings(settings, prefix=""):
    """Flattens settings to "index.x.y" keys with string values (Settings.Builder semantics)."""
    out = {}
    for key, value in (settings or {}).items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(normalize_settings(value, full + "."))
        else:
            out[full] = _setting_str(value)
    if not prefix:
        out = {(k if k.startswith("index.") else "index." + k): v for k, v in out.items()}
    return out


def nest_settings(flat):
    out = {}
    for key, value in sorted(flat.items()):
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


INT_SETTINGS = {"index.number_of_shards": 1, "index.number_of_replicas": 0, "index.mapping.total_fields.limit": 0,
                "index.mapping.depth.limit": 1, "index.mapping.field_name_length.limit": 1,
                "index.max_result_window": 1}
BOOL_SETTINGS = {"index.mapping.ignore_malformed", "index.mapping.coerce", "index.hidden",
                 "index.mapping.total_fields.ignore_dynamic_beyond_limit"}


def validate_settings(flat, profile):
    if not profile.dynamic_beyond_limit and "index.mapping.total_fields.ignore_dynamic_beyond_limit" in flat:
        raise EsError("settings_exception", "unknown setting [index.mapping.total_fields.ignore_dynamic_beyond_limit] "
                      "please check that any required plugins are installed, or check the breaking changes "
                      "documentation for removed settings", 400)
    for key, minimum in INT_SETTINGS.items():
        if key in flat:
            value = flat[key]
            if not re.fullmatch(r"-?\d+", str(value)):
                raise iae(f"Failed to parse value [{value}] for setting [{key}]",
                          EsError("number_format_exception", f'For input string: "{value}"', es=False))
            if int(value) < minimum:
                raise iae(f"Failed to parse value [{value}] for setting [{key}] must be >= {minimum}")
    for key in BOOL_SETTINGS:
        if key in flat and flat[key] not in ("true", "false"):
            raise iae(f"Failed to parse value [{flat[key]}] as only [true] or [false] are allowed.")


def parse_time_value(text, name):
    """TimeValue.parseTimeValue -> seconds (None for -1)."""
    if text in ("-1",):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)", str(text).strip())
    if not m:
        if re.fullmatch(r"-\d+.*", str(text)):
            raise iae(f"failed to parse setting [{name}] with value [{text}] as a time value: negative durations are "
                      "not supported")
        raise iae(f"failed to parse setting [{name}] with value [{text}] as a time value: unit is missing or "
                  "unrecognized")
    scale = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * scale


class Doc:
    __slots__ = ("raw", "source", "version", "seq_no", "t", "order", "ignored")

    def __init__(self, raw, source, version, seq_no, order, ignored):
        self.raw, self.source, self.version, self.seq_no = raw, source, version, seq_no
        self.t, self.order, self.ignored = time.monotonic(), order, ignored


class Index:
    def __init__(self, name, settings, mapping, profile, data_stream=None):
        self.name, self.uuid, self.data_stream = name, new_uuid(), data_stream
        self.created = int(time.time() * 1000)
        self.settings = {"index.number_of_shards": "1", "index.number_of_replicas": "1", **settings,
                         "index.uuid": self.uuid, "index.creation_date": str(self.created),
                         "index.provided_name": name, "index.version.created": profile.index_version}
        self.mapping = mapping
        self.docs = {}                # _id -> Doc (normal mode)
        self.versions = {}            # _id -> (version, seq_no) in --fast mode, which keeps no sources
        self.tombstones = {}          # _id -> version of deleted documents
        self.seq_no = -1
        self.refreshed_at = time.monotonic()
        self.refresh_fields()

    def refresh_fields(self):
        self.objects, self.leaves, self.multi = {}, {}, {}

        def walk(props, prefix):
            for name, fdef in props.items():
                full = f"{prefix}.{name}" if prefix else name
                if is_object_def(fdef):
                    self.objects[full] = fdef
                    walk(fdef.get("properties", {}), full)
                else:
                    self.leaves[full] = fdef
                    for sub, sdef in fdef.get("fields", {}).items():
                        self.multi[f"{full}.{sub}"] = (full, sdef)

        walk(self.mapping.get("properties", {}), "")
        self.runtime = self.mapping.get("runtime", {})
        self.total_fields = mapping_total_fields(self.mapping)

    def lookup(self, full):
        if full in self.leaves:
            return "leaf", self.leaves[full]
        if full in self.objects:
            return "object", self.objects[full]
        if full in self.runtime:
            return "runtime", self.runtime[full]
        return None

    def field_def(self, field):
        """(source path, definition) of a searchable field, multi-fields included."""
        if field in self.leaves:
            return field, self.leaves[field]
        if field in self.multi:
            return self.multi[field]
        if field in self.runtime:
            return field, self.runtime[field]
        return field, None

    def _int(self, key, default):
        return int(self.settings.get(key, default))

    @property
    def total_fields_limit(self):
        return self._int("index.mapping.total_fields.limit", 1000)

    @property
    def ignore_dynamic_beyond_limit(self):
        return self.settings.get("index.mapping.total_fields.ignore_dynamic_beyond_limit") == "true"

    @property
    def depth_limit(self):
        return self._int("index.mapping.depth.limit", 20)

    @property
    def field_name_length_limit(self):
        return self._int("index.mapping.field_name_length.limit", 2 ** 63 - 1)

    @property
    def ignore_malformed(self):
        return self.settings.get("index.mapping.ignore_malformed", "false")

    @property
    def coerce(self):
        return self.settings.get("index.mapping.coerce", "true")

    @property
    def max_result_window(self):
        return self._int("index.max_result_window", 10000)

    @property
    def hidden(self):
        return self.settings.get("index.hidden") == "true"

    def shards(self):
        return {"total": 1 + self._int("index.number_of_replicas", 1), "successful": 1, "failed": 0}

    def health(self):
        return "green" if self._int("index.number_of_replicas", 1) == 0 else "yellow"

    def doc_count(self):
        return len(self.docs) if self.docs else len(self.versions)

    def refresh(self):
        self.refreshed_at = time.monotonic()

    def searchable(self):
        """(id, doc) pairs a search sees: written before the last refresh, explicit or periodic."""
        interval = parse_time_value(self.settings.get("index.refresh_interval", "1s"), "index.refresh_interval")
        cutoff = self.refreshed_at
        if interval is not None:
            cutoff = max(cutoff, time.monotonic() - interval)
        return [(doc_id, d) for doc_id, d in self.docs.items() if d.t <= cutoff]

    def render(self):
        out = {"aliases": {}, "mappings": render_mapping(self.mapping), "settings": nest_settings(self.settings)}
        if self.data_stream:
            out["data_stream"] = self.data_stream
        return out


INVALID_NAME_CHARS = ["\\", "/", "*", "?", '"', "<", ">", "|", " ", ","]


def validate_index_name(name, profile):
    """MetadataCreateIndexService.validateIndexOrAliasName + validateIndexName."""
    if any(c in name for c in INVALID_NAME_CHARS):
        if profile.mode == "es8":
            chars = "[" + ",".join(f"'{c}'" for c in INVALID_NAME_CHARS) + "]"
        else:
            chars = '[ , ", *, \\, <, |, ,, >, /, ?]'
        reason = f"must not contain the following characters {chars}"
    elif "#" in name:
        reason = "must not contain '#'"
    elif ":" in name:
        reason = "must not contain ':'"
    elif name[:1] in ("_", "-", "+"):
        reason = "must not start with '_', '-', or '+'"
    elif len(name.encode()) > 255:
        reason = f"index name is too long, ({len(name.encode())} > 255)"
    elif name in (".", ".."):
        reason = "must not be '.' or '..'"
    elif name.lower() != name:
        reason = "must be lowercase"
    else:
        return
    raise EsError("invalid_index_name_exception", f"Invalid index name [{name}], {reason}", 400,
                  meta={"index_uuid": "_na_", "index": name})


def _glob_intersect(a, b):
    """Whether two '*'-wildcard patterns can match a common string."""
    if not a or not b:
        return a.strip("*") == "" and b.strip("*") == ""
    if a[0] == "*":
        return _glob_intersect(a[1:], b) or _glob_intersect(a, b[1:])
    if b[0] == "*":
        return _glob_intersect(a, b[1:]) or _glob_intersect(a[1:], b)
    return a[0] == b[0] and _glob_intersect(a[1:], b[1:])


def _java_list(items):
    return "[" + ", ".join(items) + "]"


TEMPLATE_KEYS = {"index_patterns", "template", "composed_of", "priority", "version", "_meta", "data_stream",
                 "allow_auto_create", "ignore_missing_component_templates", "deprecated"}
TEMPLATE_BODY_KEYS = {"settings", "mappings", "aliases", "lifecycle"}


class Cluster:
    """All cluster state, guarded by one lock."""

    def __init__(self, profile):
        self.profile = profile
        self.lock = threading.RLock()
        self.cluster_uuid, self.node_name = new_uuid(), "esserver-0"
        self.order = itertools.count()
        self.mappings = MappingParser(profile)
        self.reset()

    def reset(self):
        self.indices = {}
        self.data_streams = {}        # name -> {"template", "indices": [backing index names]}
        self.templates, self.legacy_templates, self.components = {}, {}, {}

    # -- index resolution --------------------------------------------------------------------

    def resolve(self, expression, allow_missing=False):
        """Concrete indices an expression names (comma lists, wildcards, data streams, _all)."""
        out = []
        for part in (expression or "_all").split(","):
            if part in ("_all", ""):
                part = "*"
            if "*" in part:
                hidden_ok = part.startswith(".")
                out += [i for n, i in self.indices.items() if simple_match(part, n) and (hidden_ok or not i.hidden)]
                for name, ds in self.data_streams.items():
                    if simple_match(part, name):
                        out += [self.indices[n] for n in ds["indices"]]
                continue
            if part in self.data_streams:
                out += [self.indices[n] for n in self.data_streams[part]["indices"]]
            elif part in self.indices:
                out.append(self.indices[part])
            elif not allow_missing:
                raise index_not_found(part)
        seen, unique = set(), []
        for idx in out:
            if idx.name not in seen:
                seen.add(idx.name)
                unique.append(idx)
        return unique

    def write_target(self, name, op):
        """The index a bulk operation writes to, auto-creating it from templates (TransportBulkAction)."""
        ds = self.data_streams.get(name)
        if ds is not None:
            if op != "create":
                raise iae("only write ops with an op_type of create are allowed in data streams")
            return self.indices[ds["indices"][-1]]
        idx = self.indices.get(name)
        if idx is not None:
            if idx.data_stream and op in ("index", "create"):
                raise iae(f"index request with op_type={op} targeting backing indices is disallowed, target "
                          f"corresponding data stream [{idx.data_stream}] instead")
            return idx
        if op == "delete":
            raise index_not_found(name)
        validate_index_name(name, self.profile)
        template = self.find_template(name)
        if template is not None and "data_stream" in self.templates[template]:
            if op != "create":
                raise iae("only write ops with an op_type of create are allowed in data streams")
            return self.create_data_stream(name, template)
        return self.create_index(name, {}, auto=True)

    # -- templates ---------------------------------------------------------------------------

    def find_template(self, name):
        """Highest-priority composable template matching an index name (findV2Template)."""
        best = None
        for tname, t in sorted(self.templates.items()):
            if any(simple_match(p, name) for p in t["index_patterns"]):
                if best is None or t.get("priority", 0) > self.templates[best].get("priority", 0):
                    best = tname
        return best

    def composed(self, tname):
        """(settings, mappings) of a composable template with its component templates."""
        t = self.templates[tname]
        settings, mapping = {}, {}
        parts = [self.components[c]["template"] for c in t.get("composed_of", []) if c in self.components]
        for part in parts + [t.get("template", {})]:
            settings.update(normalize_settings(part.get("settings")))
            if part.get("mappings"):
                mapping = merge_mapping(mapping, part["mappings"], "template")
        return settings, mapping

    def template_settings_mappings(self, name):
        tname = self.find_template(name)
        if tname is not None:
            return tname, *self.composed(tname)
        settings, mapping = {}, {}
        for _, t in sorted(self.legacy_templates.items(), key=lambda kv: (kv[1].get("order", 0), kv[0])):
            if any(simple_match(p, name) for p in t["index_patterns"]):
                settings.update(normalize_settings(t.get("settings")))
                if t.get("mappings"):
                    mapping = merge_mapping(mapping, t["mappings"], "template")
        return None, settings, mapping

    def _parse_mapping(self, mapping):
        try:
            return self.mappings.parse(mapping)
        except EsError as e:
            raise EsError("mapper_parsing_exception", self.profile.mapping_error_prefix + e.reason, cause=e) from None

    def put_index_template(self, name, body, locator, create=False):
        if not isinstance(body, dict):
            raise iae("Required [index_patterns]")
        for key in body:
            if key not in TEMPLATE_KEYS:
                line, col = locator.at((key,), "key")
                raise EsError("x_content_parse_exception", f"[{line}:{col}] [index_template] unknown field [{key}]",
                              es=False)
        for key in body.get("template") or {}:
            if key not in TEMPLATE_BODY_KEYS:
                line, col = locator.at(("template", key), "key")
                tl, tc = locator.at(("template",), "next")
                raise EsError("x_content_parse_exception", f"[{tl}:{tc}] [index_template] failed to parse field "
                              "[template]", es=False, cause=EsError(
                                  "x_content_parse_exception", f"[{line}:{col}] [template] unknown field [{key}]",
                                  es=False))
        if "index_patterns" not in body:
            raise iae("Required [index_patterns]")
        if create and name in self.templates:
            raise iae(f"index template [{name}] already exists")
        errors = []
        if name.lower() != name:
            errors.append("name must be lower cased")
        patterns = _as_list(body["index_patterns"])
        errors += [f"index_pattern [{p}] must not start with '_'" for p in patterns if p.startswith("_")]
        if errors:
            raise EsError("invalid_index_template_exception", f"index_template [{name}] invalid, cause "
                          f"[{validation_error(errors).reason}]", 400)
        priority = body.get("priority")
        if priority is not None and int(priority) < 0:
            raise validation_error(["index template priority must be >= 0"])
        missing = [c for c in body.get("composed_of", []) if c not in self.components]
        if missing:
            raise EsError("invalid_index_template_exception", f"index_template [{name}] invalid, cause [index template "
                          f"[{name}] specifies component templates {_java_list(missing)} that do not exist]", 400)
        template = dict(body, index_patterns=patterns)
        if priority is not None:
            template["priority"] = int(priority)
        self._check_overlap(name, template)
        template["template"] = self._validated_template(name, template, body.get("composed_of", []))
        self.templates[name] = template

    def _check_overlap(self, name, template):
        priority = template.get("priority", 0)
        clashes = {}
        for other, t in sorted(self.templates.items()):
            if other != name and t.get("priority", 0) == priority:
                if any(_glob_intersect(a, b) for a in template["index_patterns"] for b in t["index_patterns"]):
                    clashes[other] = t["index_patterns"]
        if clashes:
            details = ",".join(f"{n} => {_java_list(p)}" for n, p in clashes.items())
            raise iae(f"index template [{name}] has index patterns {_java_list(template['index_patterns'])} matching "
                      f"patterns from existing templates [{','.join(clashes)}] with patterns ({details}) that have the "
                      f"same priority [{priority}], multiple index templates may not match during index creation, "
                      "please use a different priority")

    def _validated_template(self, name, template, composed_of):
        """Validates the template's mappings as composed (MetadataIndexTemplateService.validateCompositeTemplate)."""
        body = dict(template.get("template") or {})
        if "settings" in body:
            body["settings"] = normalize_settings(body["settings"])
            validate_settings(body["settings"], self.profile)
        try:
            mapping = {}
            for part in [self.components[c]["template"] for c in composed_of] + [body]:
                if part.get("mappings"):
                    mapping = merge_mapping(mapping, self._parse_mapping(part["mappings"]), "template")
        except EsError as e:
            with_components = f"with component templates {_java_list(composed_of)} " if composed_of else ""
            raise iae(f"composable template [{name}] template after composition {with_components}is invalid",
                      iae(f"invalid composite mappings for [{name}]", e)) from None
        if "mappings" in body:
            body["mappings"] = self._parse_mapping(body["mappings"])
        return body

    def render_template(self, name):
        t = self.templates[name]
        out = {"index_patterns": t["index_patterns"]}
        body = t.get("template") or {}
        if body:
            rendered = {}
            if "settings" in body:
                rendered["settings"] = nest_settings(body["settings"])
            if "mappings" in body:
                rendered["mappings"] = render_mapping(body["mappings"])
            if "aliases" in body:
                rendered["aliases"] = body["aliases"]
            out["template"] = rendered
        out["composed_of"] = t.get("composed_of", [])
        for key in ("priority", "version", "_meta", "allow_auto_create"):
            if key in t:
                out[key] = t[key]
        if "data_stream" in t:
            out["data_stream"] = {"hidden": False, "allow_custom_routing": False}
        return out

    def put_legacy_template(self, name, body):
        patterns = body.get("index_patterns", body.get("template"))
        if not patterns:
            raise validation_error(["index patterns are missing"])
        mappings = body.get("mappings")
        if mappings:
            mappings = self._parse_mapping(mappings)
        self.legacy_templates[name] = {
            "order": int(body.get("order", 0)), "index_patterns": _as_list(patterns),
            "settings": normalize_settings(body.get("settings")), "mappings": mappings or {},
            "aliases": body.get("aliases", {}), **({"version": body["version"]} if "version" in body else {})}

    def put_component_template(self, name, body):
        if not isinstance(body, dict) or "template" not in body:
            raise iae("Required [template]")
        template = dict(body["template"])
        if template.get("mappings"):
            template["mappings"] = self._parse_mapping(template["mappings"])
        if "settings" in template:
            template["settings"] = normalize_settings(template["settings"])
            validate_settings(template["settings"], self.profile)
        self.components[name] = dict(body, template=template)

    # -- index creation ----------------------------------------------------------------------

    def create_index(self, name, body, auto=False, data_stream=None, extra_mapping=None, template=None):
        if not auto:
            validate_index_name(name, self.profile)
        if name in self.indices:
            idx = self.indices[name]
            raise EsError("resource_already_exists_exception", f"index [{name}/{idx.uuid}] already exists", 400,
                          meta={"index_uuid": idx.uuid, "index": name})
        for key in body:
            if key not in ("settings", "mappings", "aliases"):
                raise EsError("parse_exception", f"unknown key [{key}] for create index", 400)
        # A backing index takes its data stream's template, matched by the stream's name.
        if template is not None:
            tname, (settings, mapping) = template, self.composed(template)
        else:
            tname, settings, mapping = self.template_settings_mappings(name)
        if not auto and tname is not None and "data_stream" in self.templates[tname]:
            raise iae(f"cannot create index with name [{name}], because it matches with template [{tname}] that "
                      "creates data streams only, use create data stream api instead")
        settings.update(normalize_settings(body.get("settings")))
        validate_settings(settings, self.profile)
        if body.get("mappings"):
            mapping = merge_mapping(mapping, self._parse_mapping(body["mappings"]), "template")
        if extra_mapping:
            mapping = merge_mapping(extra_mapping, mapping, "template")
        idx = Index(name, settings, mapping, self.profile, data_stream)
        self.indices[name] = idx
        return idx

    def create_data_stream(self, name, tname):
        backing = f".ds-{name}-{time.strftime('%Y.%m.%d', time.gmtime())}-000001"
        snippet = {"_data_stream_timestamp": {"enabled": True}, "properties": {"@timestamp": {"type": "date"}}}
        idx = self.create_index(backing, {"settings": {"index.hidden": True}}, auto=True, data_stream=name,
                                extra_mapping=snippet, template=tname)
        self.data_streams[name] = {"template": tname, "indices": [backing]}
        return idx

    def delete_indices(self, expression):
        if self.profile.destructive_requires_name and any(
                "*" in p or p == "_all" for p in expression.split(",")):
            raise iae("Wildcard expressions or all indices are not allowed")
        targets = self.resolve(expression)
        for idx in targets:
            ds = self.data_streams.get(idx.data_stream or "")
            if ds and ds["indices"][-1] == idx.name:
                raise iae(f"index [{idx.name}] is the write index for data stream [{idx.data_stream}] and cannot be "
                          "deleted")
        for idx in targets:
            del self.indices[idx.name]


# --------------------------------------------------------------------------------------------
# Fault injection and statistics
# --------------------------------------------------------------------------------------------


class Faults:
    """Runtime-settable faults; every ratio draws from its own RNG seeded from --seed, reseeded
    whenever faults change, so a sequence of requests meets the same faults on every run."""
    FIELDS = {"bulk_429_ratio": float, "item_429_ratio": float, "reset_ratio": float, "reset_after_store": bool,
              "unavailable_seconds": float, "delay_ms": float, "reject_field": str, "read_only": bool,
              "down_seconds": float}

    def __init__(self, seed):
        self.seed = seed
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.values = {"bulk_429_ratio": 0.0, "item_429_ratio": 0.0, "reset_ratio": 0.0,
                           "reset_after_store": False, "unavailable_seconds": 0.0, "delay_ms": 0.0,
                           "reject_field": None, "read_only": False, "down_seconds": 0.0}
            self.unavailable_until = 0.0
            self._reseed()

    def _reseed(self):
        self.rngs = {k: random.Random(f"{self.seed}:{k}") for k in ("bulk_429", "item_429", "reset")}

    def update(self, changes):
        if not isinstance(changes, dict):
            raise iae("faults must be a JSON object")
        parsed = {}
        for key, value in changes.items():
            kind = self.FIELDS.get(key)
            if kind is None:
                raise iae(f"unknown fault [{key}], known faults: {sorted(self.FIELDS)}")
            if value is None:
                parsed[key] = None if kind is str else kind()
            elif kind is bool:
                if value not in (True, False, "true", "false"):
                    raise iae(f"fault [{key}] must be a boolean")
                parsed[key] = value in (True, "true")
            else:
                try:
                    parsed[key] = kind(value)
                except (TypeError, ValueError):
                    raise iae(f"fault [{key}] must be a {kind.__name__}") from None
                if kind is float and not (0 <= parsed[key] and (not key.endswith("ratio") or parsed[key] <= 1)):
                    raise iae(f"fault [{key}] is out of range")
        with self.lock:
            self.values.update(parsed)
            if "unavailable_seconds" in parsed:
                self.unavailable_until = time.monotonic() + parsed["unavailable_seconds"]
            self._reseed()
        return self.snapshot()

    def get(self, key):
        return self.values[key]

    def roll(self, kind):
        ratio = self.values[kind + "_ratio"]
        if ratio <= 0:
            return False
        with self.lock:
            return self.rngs[kind].random() < ratio

    def unavailable(self):
        return time.monotonic() < self.unavailable_until

    def snapshot(self):
        with self.lock:
            out = dict(self.values)
            out["unavailable_remaining_seconds"] = round(max(0.0, self.unavailable_until - time.monotonic()), 3)
            return out


class Stats:
    MAX_REASONS = 20

    def __init__(self):
        self.lock = threading.Lock()
        self.recent = []
        self.reset()

    def reset(self):
        with self.lock:
            self.requests_total = 0
            self.requests_by_class = {}
            self.bulk_requests = 0
            self.bulk_items = {}           # op -> status -> count
            self.docs_written = 0
            self.duplicates_prevented = 0
            self.rejections = 0
            self.rejection_reasons = []
            self.faults = {}
            self.bytes_raw = 0
            self.bytes_decoded = 0
            self.gzip_requests = 0
            self.auth_failures = 0
            self.content_types = {}
            self.recent = []

    def request(self, path_class, content_type, raw, decoded, compressed):
        with self.lock:
            self.requests_total += 1
            self.requests_by_class[path_class] = self.requests_by_class.get(path_class, 0) + 1
            if content_type:
                self.content_types[content_type] = self.content_types.get(content_type, 0) + 1
            self.bytes_raw += raw
            self.bytes_decoded += decoded
            self.gzip_requests += compressed

    def items(self, outcomes, reasons):
        """Records bulk item results: {(op, status): count} and the reasons of failed items."""
        with self.lock:
            for (op, status), n in outcomes.items():
                per_op = self.bulk_items.setdefault(op, {})
                per_op[str(status)] = per_op.get(str(status), 0) + n
                if status in (200, 201) and op != "delete":
                    self.docs_written += n
                if status == 409:
                    self.duplicates_prevented += n
            for reason in reasons:
                self._reject(reason)

    def _reject(self, reason):
        self.rejections += 1
        if len(self.rejection_reasons) < self.MAX_REASONS:
            self.rejection_reasons.append(reason)

    def reject(self, reason):
        with self.lock:
            self._reject(reason)

    def fault(self, kind):
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def count(self, attr):
        with self.lock:
            setattr(self, attr, getattr(self, attr) + 1)

    def note(self, summary):
        with self.lock:
            self.recent.append(summary)
            del self.recent[:-200]

    def snapshot(self, cluster):
        with cluster.lock:
            per_index = {name: idx.doc_count() for name, idx in cluster.indices.items()}
        with self.lock:
            return {
                "requests_total": self.requests_total, "requests_by_class": dict(self.requests_by_class),
                "bulk_requests": self.bulk_requests,
                "bulk_items": {op: dict(v) for op, v in self.bulk_items.items()},
                "docs_written": self.docs_written, "docs_stored": sum(per_index.values()),
                "docs_per_index": per_index, "duplicates_prevented": self.duplicates_prevented,
                "rejections": self.rejections, "rejection_reasons": list(self.rejection_reasons),
                "faults": dict(self.faults), "bytes_received": self.bytes_raw,
                "bytes_decompressed": self.bytes_decoded, "gzip_requests": self.gzip_requests,
                "auth_failures": self.auth_failures, "content_types": dict(self.content_types)}


# --------------------------------------------------------------------------------------------
# Bulk (action/bulk/BulkRequestParser.java, TransportBulkAction, TransportShardBulkAction)
# --------------------------------------------------------------------------------------------

ACTIONS = ("create", "delete", "index", "update")
ACTION_PARAMS = {"_index", "_id", "routing", "op_type", "version", "version_type", "if_seq_no", "if_primary_term",
                 "retry_on_conflict", "pipeline", "require_alias", "require_data_stream", "list_executed_pipelines"}
OBJECT_PARAMS_IN_ACTION = {"_source", "dynamic_templates"}
UPDATE_KEYS = {"doc", "upsert", "doc_as_upsert", "script", "scripted_upsert", "detect_noop", "_source", "lang"}
SCALAR_KINDS = {"VALUE_STRING", "VALUE_NUMBER_INT", "VALUE_NUMBER_FLOAT", "VALUE_TRUE", "VALUE_FALSE"}


_SCAN_JSON = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner: fast path for action lines


class BulkItem:
    __slots__ = ("action", "op", "index", "id", "line", "params", "doc", "update", "source", "error")

    def __init__(self, action, params, line, default_index):
        self.action, self.params, self.line = action, params, line
        self.index = params.get("_index", default_index)
        self.id = params.get("_id")
        create = action == "create" or (action == "index" and params.get("op_type") == "create")
        self.op = "create" if create else action
        self.doc = self.update = self.source = self.error = None


class BulkParser:
    def __init__(self, profile, default_index):
        self.profile, self.default_index = profile, default_index
        self.scalar_params = ACTION_PARAMS | ({"_type"} if profile.typed else set())

    def parse(self, body):
        lines = body.split(b"\n")
        tail = lines.pop()              # non-empty when the body does not end with a newline
        items, i, n = [], 0, len(lines)

        def unterminated():
            return iae("The bulk request must be terminated by a newline [\\n]")

        while i < n:
            line = lines[i]
            i += 1
            item = self._action(line, i)
            if item is None:
                continue
            if item.action != "delete":
                if i >= n:
                    if tail:
                        raise unterminated()
                    break                # an action without a document line is dropped
                doc = lines[i]
                i += 1
                item.doc = doc[:-1] if doc.endswith(b"\r") else doc
                if item.action == "update":
                    item.update = parse_update_body(item.doc)
            items.append(item)
        if tail:
            raise unterminated()
        return items

    def _action(self, line, lineno):
        try:
            text = line.decode()
            action, end = _SCAN_JSON(text, 0)
        except (UnicodeDecodeError, StopIteration, ValueError):
            return self._action_exact(line, lineno)
        if end != len(text) or type(action) is not dict or len(action) != 1:
            return self._action_exact(line, lineno)
        (name, meta), = action.items()
        if name not in ACTIONS or type(meta) is not dict or line.count(b":") != 1 + len(meta):
            return self._action_exact(line, lineno)   # rare shapes and possible duplicate keys
        params = {}
        for key, value in meta.items():
            kind = type(value)
            if key not in self.scalar_params or kind not in (str, int, bool):
                if value is None and key in self.scalar_params:
                    continue
                return self._action_exact(line, lineno)
            params[key] = value if kind is str else ("true" if value is True else "false" if value is False
                                                     else str(value))
        return self._item(name, params, lineno)

    def _action_exact(self, line, lineno):
        """Token by token, as BulkRequestParser reads an action line."""
        toks = JsonTokens(line)

        def malformed(msg):
            return iae(f"Malformed action/metadata line [{lineno}], {msg}")

        try:
            tok = toks.next()
            if tok is None:
                return None
            if tok.kind != "START_OBJECT":
                raise malformed(f"expected START_OBJECT but found [{tok.kind}]")
            tok = toks.next()
            if tok.kind != "FIELD_NAME":
                raise malformed(f"expected FIELD_NAME but found [{tok.kind}]")
            action = tok.name
            if action not in ACTIONS:
                raise malformed(f"expected field [create], [delete], [index] or [update] but found [{action}]")
            tok = toks.next()
            params = {}
            if tok.kind == "START_OBJECT":
                while True:
                    tok = toks.next()
                    if tok.kind == "END_OBJECT":
                        break
                    key = tok.name
                    value = toks.next()
                    if value.kind in SCALAR_KINDS:
                        if key not in self.scalar_params:
                            raise iae(f"Action/metadata line [{lineno}] contains an unknown parameter [{key}]")
                        text = line[value.start:value.end]
                        params[key] = json.loads(text) if value.kind == "VALUE_STRING" else text.decode()
                    elif value.kind == "START_OBJECT" and key in OBJECT_PARAMS_IN_ACTION:
                        depth = 1
                        while depth:
                            inner = toks.next()
                            depth += {"START_OBJECT": 1, "START_ARRAY": 1, "END_OBJECT": -1,
                                      "END_ARRAY": -1}.get(inner.kind, 0)
                        params[key] = json.loads(line[value.start:inner.end])
                    elif value.kind != "VALUE_NULL":
                        raise malformed(f"expected a simple value for field [{key}] but found [{value.kind}]")
            elif tok.kind != "END_OBJECT":
                raise malformed(f"expected START_OBJECT or END_OBJECT but found [{tok.kind}]")
        except JsonSyntaxError as err:
            raise xcontent_error(line, err) from None
        try:
            # checkBulkActionIsProperlyClosed: with the 8.x REST API an unclosed action, extra keys or
            # trailing content only log a deprecation; unreadable JSON still fails
            if toks.next() is not None:
                toks.next()
        except JsonSyntaxError as err:
            if not err.eof:
                raise xcontent_error(line, err) from None
        return self._item(action, params, lineno)

    def _item(self, action, params, lineno):
        if "_type" in params and not self.profile.typed:
            raise iae(f"Action/metadata line [{lineno}] contains an unknown parameter [_type]")
        if action == "delete" and params.get("dynamic_templates"):
            raise iae(f"Delete request in line [{lineno}] does not accept dynamic_templates")
        if action == "update":
            if "version" in params or "version_type" in params:
                raise iae("Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` "
                          "instead")
            if params.get("require_data_stream") == "true":
                raise iae("Update requests do not support the `require_data_stream` flag, as data streams do not "
                          "support update operations")
            if params.get("dynamic_templates"):
                raise iae(f"Update request in line [{lineno}] does not accept dynamic_templates")
        return BulkItem(action, params, lineno, self.default_index)


def parse_update_body(doc):
    """An update action's document line (UpdateRequest.fromXContent)."""
    body = parse_body_json(doc)
    if not isinstance(body, dict):
        raise EsError("x_content_parse_exception", "[1:1] [UpdateRequest] Expected START_OBJECT but was: "
                      + ("START_ARRAY" if isinstance(body, list) else "VALUE_STRING"), es=False)
    for key in body:
        if key not in UPDATE_KEYS:
            line, col = Locator(doc).at((key,), "key")
            raise EsError("x_content_parse_exception", f"[{line}:{col}] [UpdateRequest] unknown field [{key}]",
                          es=False)
    return body


def validate_bulk(items):
    """BulkRequest.validate: whole-request validation errors."""
    errors = [] if items else ["no requests added"]
    for item in items:
        if item.index is None:
            errors.append("index is missing")
        if item.action in ("delete", "update") and not item.id:
            errors.append("id is missing")
        if item.id is not None and len(item.id.encode()) > 512:
            errors.append(f"id [{item.id}] is too long, must be no longer than 512 bytes but was: "
                          f"{len(item.id.encode())}")
        if item.action in ("index", "create") and "version" in item.params and \
                item.params.get("version_type", "internal") == "internal":
            errors.append("internal versioning can not be used for optimistic concurrency control. Please use "
                          "`if_seq_no` and `if_primary_term` instead")
        if item.action == "update" and item.update is not None and not (
                "doc" in item.update or "script" in item.update):
            errors.append("script or doc is missing")
    if errors:
        raise validation_error(errors)


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f-\uffff]').search
_ID_PREFIX = os.urandom(6)
_ID_COUNTER = itertools.count()


def auto_id():
    """A 20-character URL-safe id, like Elasticsearch's time-based UUIDs."""
    n = next(_ID_COUNTER)
    raw = int(time.time() * 1000).to_bytes(6, "big") + _ID_PREFIX + (n & 0xFFFFFF).to_bytes(3, "big")
    return base64.urlsafe_b64encode(raw).decode()


def _deep_merge(base, update):
    out = dict(base)
    for k, v in update.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def values_at(source, path):
    """All leaf values at a dotted path, whether the source nests objects or uses dotted keys."""
    out = []

    def walk(node, rest):
        if isinstance(node, list):
            for element in node:
                walk(element, rest)
            return
        if not rest:
            if node is not None:
                out.append(node)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key == rest:
                walk(value, "")
            elif rest.startswith(key + "."):
                walk(value, rest[len(key) + 1:])

    walk(source, path)
    return out


# --------------------------------------------------------------------------------------------
# filter_path (XContent filtering: "*" within a name, "**" across levels, "-" to exclude)
# --------------------------------------------------------------------------------------------


def _filter_segment(pattern, name):
    return pattern == name or ("*" in pattern and simple_match(pattern, name))


def _filter_include(node, patterns):
    if isinstance(node, list):
        kept = [_filter_include(v, patterns) if isinstance(v, (dict, list)) else v for v in node]
        return [v for v in kept if v not in ({}, [])]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        whole, deeper = False, []
        for p in patterns:
            if p[0] == "**":
                if len(p) == 1:
                    whole = True
                deeper.append(p)
                if len(p) > 1 and _filter_segment(p[1], key):
                    if len(p) == 2:
                        whole = True
                    else:
                        deeper.append(p[2:])
            elif _filter_segment(p[0], key):
                if len(p) == 1:
                    whole = True
                else:
                    deeper.append(p[1:])
        if whole:
            out[key] = value
        elif deeper and isinstance(value, (dict, list)):
            kept = _filter_include(value, deeper)
            if kept not in ({}, []):
                out[key] = kept
    return out


def _filter_exclude(node, patterns):
    if isinstance(node, list):
        return [_filter_exclude(v, patterns) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        deeper, drop = [], False
        for p in patterns:
            if p[0] == "**":
                deeper.append(p)
                if len(p) == 2 and _filter_segment(p[1], key):
                    drop = True
                elif len(p) > 2 and _filter_segment(p[1], key):
                    deeper.append(p[2:])
            elif _filter_segment(p[0], key):
                if len(p) == 1:
                    drop = True
                else:
                    deeper.append(p[1:])
        if not drop:
            out[key] = _filter_exclude(value, deeper) if deeper else value
    return out


def apply_filter_path(obj, spec):
    includes, excludes = [], []
    for expr in (e.strip() for e in spec.split(",")):
        if expr:
            (excludes if expr.startswith("-") else includes).append(expr.lstrip("-").split("."))
    if includes:
        obj = _filter_include(obj, includes)
    if excludes:
        obj = _filter_exclude(obj, excludes)
    return obj


# --------------------------------------------------------------------------------------------
# Search: a compiled subset of the query DSL over stored sources
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
_DATE_MATH = re.compile(r"now(?:([+-])(\d+)([smhdwMy]))?(?:/([smhdwMy]))?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}


def analyze(text):
    """A standard-analyzer approximation: lowercased word tokens."""
    return _TOKEN.findall(str(text).lower())


def _date_value(value, fmt):
    if isinstance(value, str):
        m = _DATE_MATH.fullmatch(value)
        if m:
            now = time.time()
            if m.group(1):
                now += (1 if m.group(1) == "+" else -1) * int(m.group(2)) * _UNIT_SECONDS[m.group(3)]
            if m.group(4):
                now -= now % _UNIT_SECONDS[m.group(4)]
            return int(now * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return date_millis(value, fmt or DEFAULT_DATE_FORMAT)


def field_values(idx, field, source, doc_id):
    """(type, normalized values) of a field in one document; type None when unmapped."""
    if field == "_id":
        return "keyword", [doc_id]
    if field == "_index":
        return "keyword", [idx.name]
    path, fdef = idx.field_def(field)
    if fdef is None:
        if field in idx.objects:
            return "object", values_at(source, field)
        return None, []
    ftype = fdef.get("type")
    return ftype, [v for v in (normalize(ftype, fdef, x) for x in values_at(source, path)) if v is not None]


def normalize(ftype, fdef, value):
    """The comparable form of a value for a field type (None if the value cannot be one)."""
    if isinstance(value, (dict, list)):
        return None
    try:
        if ftype in NUMERIC_TYPES:
            if isinstance(value, bool):
                return None
            return float(value) if ftype in ("double", "float", "half_float", "scaled_float") else int(float(value))
        if ftype in ("date", "date_nanos"):
            return _date_value(value, fdef.get("format") if fdef else None)
        if ftype == "boolean":
            return {True: True, False: False, "true": True, "false": False}.get(value)
        if ftype == "ip":
            return ipaddress.ip_address(str(value))
    except (ValueError, TypeError, OverflowError):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


class QueryCompiler:
    """Compiles a query into a predicate(doc_id, source) for one index; reports malformed or unknown
    queries as parsing_exception with the query's location in the request body."""

    def __init__(self, idx, locator):
        self.idx, self.loc = idx, locator

    def _error(self, msg, jpath):
        # the location of the query's START_OBJECT (AbstractQueryBuilder.parseInnerQueryBuilder)
        try:
            line, col = self.loc.at(jpath, "start")
        except (KeyError, IndexError, TypeError, AttributeError):
            line, col = 1, 1
        return EsError("parsing_exception", msg, 400, meta={"line": line, "col": col})

    def compile(self, query, jpath=("query",)):
        if not isinstance(query, dict) or len(query) != 1:
            raise self._error("[_na] query malformed, must start with start_object", jpath)
        (name, spec), = query.items()
        method = getattr(self, "q_" + name, None)
        if method is None:
            raise self._error(f"unknown query [{name}]", jpath + (name,))
        try:
            return method(spec, jpath + (name,))
        except (AttributeError, TypeError, ValueError, KeyError):
            raise self._error(f"[{name}] query malformed, no start_object after query name", jpath + (name,)) from None

    @staticmethod
    def _field_spec(spec, value_key="value"):
        (field, body), = spec.items()
        return field, body.get(value_key) if isinstance(body, dict) else body, body if isinstance(body, dict) else {}

    def _values(self, field):
        idx = self.idx
        return lambda doc_id, src: field_values(idx, field, src, doc_id)

    def q_match_all(self, spec, jpath):
        return lambda doc_id, src: True

    def q_match_none(self, spec, jpath):
        return lambda doc_id, src: False

    def q_ids(self, spec, jpath):
        ids = set(map(str, spec["values"]))
        return lambda doc_id, src: doc_id in ids

    def _term_test(self, field, wanted):
        get = self._values(field)

        def test(doc_id, src):
            ftype, values = get(doc_id, src)
            if ftype is None:
                return False
            if ftype in ("text", "match_only_text"):
                tokens = {t for v in values for t in analyze(v)}
                return str(wanted) in tokens
            if ftype == "ip" and isinstance(wanted, str) and "/" in wanted:
                net = ipaddress.ip_network(wanted, strict=False)
                return any(v in net for v in values if v.version == net.version)
            target = normalize(ftype, self.idx.field_def(field)[1], wanted)
            return target is not None and target in values

        return test

    def q_term(self, spec, jpath):
        field, value, _ = self._field_spec(spec)
        return self._term_test(field, value)

    def q_terms(self, spec, jpath):
        (field, values), = ((k, v) for k, v in spec.items() if k != "boost")
        tests = [self._term_test(field, v) for v in values]
        return lambda doc_id, src: any(t(doc_id, src) for t in tests)

    def q_match(self, spec, jpath):
        field, text, options = self._field_spec(spec, "query")
        operator = options.get("operator", "or").lower()
        idx = self.idx
        _, fdef = idx.field_def(field)
        if fdef is not None and fdef.get("type") in ("text", "match_only_text"):
            wanted = analyze(text)
            get = self._values(field)

            def test(doc_id, src):
                tokens = {t for v in get(doc_id, src)[1] for t in analyze(v)}
                hits = [w in tokens for w in wanted]
                return bool(wanted) and (all(hits) if operator == "and" else any(hits))

            return test
        return self._term_test(field, text)

    def q_match_phrase(self, spec, jpath):
        field, text, _ = self._field_spec(spec, "query")
        wanted = analyze(text)
        get = self._values(field)

        def test(doc_id, src):
            for value in get(doc_id, src)[1]:
                tokens = analyze(value)
                if any(tokens[i:i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1)):
                    return True
            return False

        return test

    def q_prefix(self, spec, jpath):
        field, prefix, _ = self._field_spec(spec)
        get = self._values(field)
        return lambda doc_id, src: any(str(v).startswith(prefix) for v in get(doc_id, src)[1])

    def q_wildcard(self, spec, jpath):
        field, pattern, _ = self._field_spec(spec)
        regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)
        get = self._values(field)
        return lambda doc_id, src: any(regex.fullmatch(str(v)) for v in get(doc_id, src)[1])

    def q_exists(self, spec, jpath):
        field = spec["field"]
        get = self._values(field)
        return lambda doc_id, src: bool(get(doc_id, src)[1])

    def q_range(self, spec, jpath):
        (field, bounds), = spec.items()
        _, fdef = self.idx.field_def(field)
        ftype = fdef.get("type") if fdef else None
        if fdef is not None and bounds.get("format"):
            fdef = dict(fdef, format=bounds["format"])
        limits = []
        for op in ("gt", "gte", "lt", "lte", "from", "to"):
            if bounds.get(op) is not None:
                limits.append((op, normalize(ftype, fdef, bounds[op]) if ftype else bounds[op]))
        checks = {"gt": lambda v, b: v > b, "gte": lambda v, b: v >= b, "lt": lambda v, b: v < b,
                  "lte": lambda v, b: v <= b, "from": lambda v, b: v >= b, "to": lambda v, b: v <= b}
        get = self._values(field)

        def test(doc_id, src):
            kind, values = get(doc_id, src)
            if kind is None:
                return False
            return any(all(checks[op](v, b) for op, b in limits) for v in values)

        return test

    def q_bool(self, spec, jpath):
        clauses = {}
        for key in ("must", "filter", "should", "must_not"):
            items = spec.get(key, [])
            items = items if isinstance(items, list) else [items]
            clauses[key] = [self.compile(q, jpath + (key,) + ((i,) if isinstance(spec[key], list) else ()))
                            for i, q in enumerate(items)]
        required = clauses["must"] + clauses["filter"]
        msm = spec.get("minimum_should_match", 0 if required else (1 if clauses["should"] else 0))
        msm = int(str(msm).rstrip("%")) if not isinstance(msm, int) else msm

        def test(doc_id, src):
            if not all(c(doc_id, src) for c in required):
                return False
            if any(c(doc_id, src) for c in clauses["must_not"]):
                return False
            return sum(1 for c in clauses["should"] if c(doc_id, src)) >= msm

        return test

    def q_constant_score(self, spec, jpath):
        return self.compile(spec["filter"], jpath + ("filter",))

    def q_query_string(self, spec, jpath):
        return QueryString(self, spec.get("query", ""), spec.get("default_field"),
                           spec.get("default_operator", "or").lower()).compile()

    q_simple_query_string = q_query_string


class QueryString:
    """A small query_string grammar: field:value, field:"phrase", field:[a TO b], field:>n,
    wildcards, AND/OR/NOT, +/-, and parentheses. Bare terms search every text/keyword field."""
    _LEX = re.compile(r'\s*(\(|\)|"[^"]*"|\[[^\]]*\]|[^\s()"]+(?:"[^"]*")?)')

    def __init__(self, compiler, text, default_field, default_operator):
        self.c, self.default_field, self.operator = compiler, default_field, default_operator
        self.tokens = [t for t in self._LEX.findall(text) if t]
        self.pos = 0

    def compile(self):
        if not self.tokens:
            return lambda doc_id, src: False
        return self._expr()

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _expr(self):
        parts = [self._unary()]
        ops = []
        while self._peek() not in (None, ")"):
            op = self._peek()
            if op in ("AND", "OR", "&&", "||"):
                self.pos += 1
                ops.append("and" if op in ("AND", "&&") else "or")
            else:
                ops.append(self.operator)
            parts.append(self._unary())
        result = parts[0]
        for op, nxt in zip(ops, parts[1:]):
            left = result
            result = ((lambda a, b: lambda d, s: a(d, s) and b(d, s)) if op == "and"
                      else (lambda a, b: lambda d, s: a(d, s) or b(d, s)))(left, nxt)
        return result

    def _unary(self):
        tok = self._peek()
        if tok in ("NOT", "!") or (tok and tok.startswith("-") and len(tok) > 1):
            if tok in ("NOT", "!"):
                self.pos += 1
            else:
                self.tokens[self.pos] = tok[1:]
            inner = self._unary()
            return lambda d, s: not inner(d, s)
        if tok and tok.startswith("+") and len(tok) > 1:
            self.tokens[self.pos] = tok[1:]
        return self._primary()

    def _primary(self):
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok == "(":
            inner = self._expr()
            self.pos += 1
            return inner
        field, sep, value = tok.partition(":")
        if not sep or field.startswith('"'):
            field, value = self.default_field, tok
        if value == "" and self._peek() is not None:
            value = self.tokens[self.pos]
            self.pos += 1
        return self._clause(field, value)

    def _clause(self, field, value):
        c = self.c
        fields = [field] if field not in (None, "*") else [
            f for f, d in c.idx.leaves.items() if d.get("type") in TEXTUAL_TYPES]
        if value.startswith("[") and " TO " in value:
            low, high = (v.strip() for v in value[1:-1].split(" TO "))
            bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v != "*"}
            tests = [c.q_range({f: bounds}, ()) for f in fields]
        elif value[:1] in "<>":
            op = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[value[:2] if value[1:2] == "=" else value[:1]]
            tests = [c.q_range({f: {op: value.lstrip("<>=")}}, ()) for f in fields]
        elif value.startswith('"'):
            tests = [c.q_match_phrase({f: value.strip('"')}, ()) for f in fields]
        elif "*" in value or "?" in value:
            tests = [c.q_wildcard({f: value}, ()) for f in fields]
        else:
            tests = [c.q_match({f: value}, ()) for f in fields]
        return lambda d, s: any(t(d, s) for t in tests)


def filter_source(source, spec):
    """_source filtering with includes/excludes wildcard paths."""
    if spec in (None, True):
        return source
    if isinstance(spec, (str, list)):
        includes, excludes = _as_list(spec), []
    else:
        includes, excludes = _as_list(spec.get("includes", spec.get("include"))), _as_list(
            spec.get("excludes", spec.get("exclude")))

    def keep(path, obj):
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                sub = f"{path}.{key}" if path else key
                kept = keep(sub, value)
                if kept is not _DROP:
                    out[key] = kept
            if not out and obj and path:
                return _DROP
            return out
        included = not includes or any(simple_match(p, path) or simple_match(p + ".*", path) for p in includes)
        excluded = any(simple_match(p, path) or simple_match(p + ".*", path) for p in excludes)
        return obj if included and not excluded else _DROP

    result = keep("", source)
    return {} if result is _DROP else result


_DROP = object()


# --------------------------------------------------------------------------------------------
# REST layer
# --------------------------------------------------------------------------------------------

GLOBAL_PARAMS = {"pretty", "human", "error_trace", "filter_path"}
BULK_PARAMS = {"refresh", "pipeline", "timeout", "wait_for_active_shards", "routing", "_source", "_source_includes",
               "_source_excludes", "require_alias", "require_data_stream", "list_executed_pipelines"}
DOC_PARAMS = {"refresh", "pipeline", "timeout", "wait_for_active_shards", "routing", "op_type", "version",
              "version_type", "if_seq_no", "if_primary_term", "require_alias", "require_data_stream"}
# Content types RestController accepts for a body (RestRequest.parseContentType); browser-safelisted
# types are refused explicitly (RestController.isContentTypeDisallowed)
JSON_MEDIA_TYPES = {"application/json", "application/x-ndjson", "application/vnd.elasticsearch+json",
                    "application/vnd.elasticsearch+x-ndjson"}
SAFELISTED_MEDIA_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def lucene_levenshtein(a, b):
    """org.apache.lucene.search.spell.LevenshteinDistance.getDistance (1 = identical)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    prev = list(range(len(a) + 1))
    for j, cb in enumerate(b, 1):
        cur = [j] + [0] * len(a)
        for i, ca in enumerate(a, 1):
            cur[i] = min(cur[i - 1] + 1, prev[i] + 1, prev[i - 1] + (ca != cb))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def check_params(path, params, allowed):
    """BaseRestHandler: unconsumed request parameters are an error."""
    candidates = allowed | GLOBAL_PARAMS
    invalid = sorted(k for k in params if k not in candidates)
    if not invalid:
        return
    parts = []
    for name in invalid:
        scored = sorted(((lucene_levenshtein(name, c), c) for c in candidates if lucene_levenshtein(name, c) > 0.5),
                        key=lambda t: (-t[0], t[1]))
        text = f"[{name}]"
        if scored:
            keys = [c for _, c in scored]
            text += " -> did you mean " + (f"[{keys[0]}]" if len(keys) == 1 else "any of " + _java_list(keys)) + "?"
        parts.append(text)
    raise iae(f"request [{path}] contains unrecognized parameter{'s' if len(invalid) > 1 else ''}: " + ", ".join(parts))


def parse_refresh(value):
    """WriteRequest.RefreshPolicy.parse: "" and "true" refresh immediately."""
    if value is None or value == "false":
        return None
    if value in ("", "true"):
        return "true"
    if value == "wait_for":
        return "wait_for"
    raise iae(f"Unknown value for refresh: [{value}].")


def human_bytes(n):
    for unit in ("b", "kb", "mb", "gb"):
        if n < 1024 or unit == "gb":
            return f"{n}{unit}" if unit == "b" else (f"{n:.1f}".rstrip("0").rstrip(".") + unit)
        n /= 1024


class Request:
    def __init__(self, method, target, headers, body):
        self.method, self.target, self.headers, self.body = method, target, headers, body
        split = urllib.parse.urlsplit(target)
        self.path = split.path or "/"
        self.params = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        self._json = None

    def json(self):
        if self._json is None:
            self._json = parse_body_json(self.body)
        return self._json


class Response:
    """``body`` is JSON data (``spliced`` if it holds Raw sources), a Raw JSON text, plain text, or None."""
    __slots__ = ("status", "body", "headers", "after", "content_type", "spliced")

    def __init__(self, status=200, body=None, headers=None, content_type="application/json", spliced=False):
        self.status, self.body, self.headers, self.after = status, body, headers or {}, None
        self.content_type, self.spliced = content_type, spliced


ACK = {"acknowledged": True}


class Routes:
    """PathTrie-like routing: literal segments win over {placeholders}; a path whose handlers
    do not take the method gets 405 with the allowed methods."""

    def __init__(self):
        self.routes = []

    def add(self, pattern, methods, handler, path_class):
        segs = [s for s in pattern.split("/") if s]
        self.routes.append((segs, set(methods.split()), handler, path_class))

    def match(self, method, path):
        segs = [urllib.parse.unquote(s) for s in path.split("/") if s]
        found = []
        for pattern, methods, handler, path_class in self.routes:
            if len(pattern) != len(segs):
                continue
            args = {}
            for p, s in zip(pattern, segs):
                if p.startswith("{"):
                    args[p[1:-1]] = s
                elif p != s:
                    break
            else:
                found.append((tuple(p.startswith("{") for p in pattern), methods, handler, path_class, args))
        found.sort(key=lambda f: f[0])
        for _, methods, handler, path_class, args in found:
            if method in methods:
                return handler, path_class, args
        if found:
            allowed = sorted(set().union(*(f[1] for f in found)))
            raise SimpleError(405, f"Incorrect HTTP method for uri [{path}] and method [{method}], allowed: "
                                   f"[{', '.join(allowed)}]", headers={"Allow": [",".join(allowed)]})
        raise SimpleError(400, f"no handler found for uri [{path}] and method [{method}]", with_status=False)


class App:
    def __init__(self, profile, options):
        self.profile = profile
        self.fast = options.fast
        self.cluster = Cluster(profile)
        self.faults = Faults(options.seed)
        self.stats = Stats()
        self.user, self.password, self.api_key = options.user, options.password, options.api_key
        self.max_content_length = options.max_content_length
        self.log = open(options.log, "a", buffering=1) if options.log else None
        self.listener = None
        self.connections = set()
        self.connections_lock = threading.Lock()
        self.routes = self._routes()

    def _routes(self):
        r = Routes()
        r.add("/", "GET HEAD", self.root, "root")
        r.add("/_bulk", "POST PUT", self.bulk, "bulk")
        r.add("/{index}/_bulk", "POST PUT", self.bulk, "bulk")
        r.add("/_index_template", "GET", self.get_index_template, "template")
        r.add("/_index_template/{name}", "GET HEAD PUT POST DELETE", self.index_template, "template")
        r.add("/_template", "GET", self.get_legacy_template, "template")
        r.add("/_template/{name}", "GET HEAD PUT POST DELETE", self.legacy_template, "template")
        r.add("/_component_template", "GET", self.get_component_template, "template")
        r.add("/_component_template/{name}", "GET PUT POST DELETE", self.component_template, "template")
        r.add("/{index}", "GET HEAD PUT DELETE", self.index_admin, "index")
        r.add("/_mapping", "GET", self.get_mapping, "index")
        r.add("/{index}/_mapping", "GET PUT POST", self.mapping, "index")
        r.add("/_settings", "GET", self.get_settings, "index")
        r.add("/{index}/_settings", "GET PUT", self.settings, "index")
        r.add("/_refresh", "GET POST", self.refresh, "index")
        r.add("/{index}/_refresh", "GET POST", self.refresh, "index")
        r.add("/_cat/indices", "GET", self.cat_indices, "cat")
        r.add("/_cat/indices/{index}", "GET", self.cat_indices, "cat")
        r.add("/_cluster/health", "GET", self.cluster_health, "cluster")
        r.add("/_cluster/health/{index}", "GET", self.cluster_health, "cluster")
        r.add("/_data_stream", "GET", self.data_stream, "index")
        r.add("/_data_stream/{name}", "GET PUT DELETE", self.data_stream, "index")
        r.add("/_count", "GET POST", self.count, "search")
        r.add("/{index}/_count", "GET POST", self.count, "search")
        r.add("/_search", "GET POST", self.search, "search")
        r.add("/{index}/_search", "GET POST", self.search, "search")
        r.add("/_mget", "GET POST", self.mget, "doc")
        r.add("/{index}/_mget", "GET POST", self.mget, "doc")
        r.add("/{index}/_doc", "POST", self.doc_write, "doc")
        r.add("/{index}/_doc/{id}", "GET HEAD PUT POST DELETE", self.doc, "doc")
        r.add("/{index}/_create/{id}", "PUT POST", self.doc_write, "doc")
        r.add("/{index}/_update/{id}", "POST", self.doc_update, "doc")
        r.add("/_test/stats", "GET", lambda req, a: Response(body=self.stats.snapshot(self.cluster)), "test")
        r.add("/_test/docs", "GET", self.test_docs, "test")
        r.add("/_test/mappings", "GET", self.test_mappings, "test")
        r.add("/_test/reset", "POST", self.test_reset, "test")
        r.add("/_test/faults", "GET POST PUT", self.test_faults, "test")
        r.add("/_test/requests", "GET", lambda req, a: Response(body=list(self.stats.recent)), "test")
        return r

    # -- HTTP plumbing -----------------------------------------------------------------------

    def handle(self, h):
        t0 = time.monotonic()
        target, method = h.path, h.command
        if h.too_large_early:
            self._send(h, Response(413, headers={"Connection": ["close"]}), method)
            h.close_connection = True
            return
        try:
            raw, too_large = self._read_body(h)
        except ValueError:                          # a malformed chunked body: give up on the connection
            h.close_connection = True
            return
        body, compressed, problem = raw, False, None
        encoding = h.headers.get("Content-Encoding", "").strip().lower()
        if raw and encoding in ("gzip", "x-gzip", "deflate"):
            compressed = True
            try:
                body, too_large = self._decompress(raw, encoding, too_large)
            except zlib.error:
                problem = SimpleError(400, "Unable to decompress the request body")
        req = Request(method, target, h.headers, body)
        try:
            handler, path_class, args = self.routes.match(method, req.path)
        except SimpleError as e:
            handler, path_class, args, routing_error = None, "other", {}, e
        else:
            routing_error = None
        self.stats.request(path_class, h.headers.get("Content-Type"), len(raw), len(body), compressed)
        if path_class != "test":                    # faults and security never touch the control API
            if too_large:
                problem = Response(413)
            elif problem is None and self.faults.unavailable():
                self.stats.fault("unavailable")
                problem = EsError("cluster_block_exception",
                                  "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];", 503)
            elif problem is None and self.faults.roll("reset"):
                self.stats.fault("reset")
                if self.faults.get("reset_after_store") and handler == self.bulk:
                    self._dispatch(req, handler, args)
                self._reset(h)
                return
            problem = problem or self._check_auth(req) or routing_error or self._check_content_type(req, raw)
        else:
            problem = problem or routing_error
        if isinstance(problem, Response):
            response = problem
        elif problem is not None:
            response = self._error_response(problem)
        else:
            response = self._dispatch(req, handler, args)
            if handler == self.bulk and self.faults.get("delay_ms") > 0:
                self.stats.fault("delay")
                time.sleep(self.faults.get("delay_ms") / 1000.0)
        self._send(h, response, method, req)
        elapsed = round((time.monotonic() - t0) * 1000, 2)
        self.stats.note({"method": method, "path": target, "status": response.status, "bytes": len(raw),
                         "encoding": encoding, "body_bytes": len(body or b""), "ms": elapsed})
        if self.log:
            self.log.write(f"{time.strftime('%H:%M:%S')} {method} {target} {response.status} {len(raw)}b {elapsed}ms\n")
        if response.after is not None:
            response.after()

    def _read_body(self, h):
        limit, rfile = self.max_content_length, h.rfile
        if "chunked" in h.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = rfile.read(size)
                rfile.readline()
                total += size
                if total <= limit:
                    chunks.append(data)
            return b"".join(chunks), total > limit
        length = int(h.headers.get("Content-Length") or 0)
        if length > limit:
            while length > 0:                       # drain, then answer 413 on a usable connection
                length -= len(rfile.read(min(length, 1 << 20)) or b"x" * length)
            return b"", True
        return (rfile.read(length) if length else b""), False

    def _decompress(self, raw, encoding, too_large):
        """Netty's HttpContentDecompressor runs before the size check, so the limit is on decoded bytes."""
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        try:
            d = zlib.decompressobj(wbits)
            out = d.decompress(raw, self.max_content_length + 1)
        except zlib.error:
            if "gzip" in encoding:
                raise
            d = zlib.decompressobj(-zlib.MAX_WBITS)
            out = d.decompress(raw, self.max_content_length + 1)
        return out, too_large or len(out) > self.max_content_length

    def _reset(self, h):
        """Closes the connection with an RST, without answering."""
        sock = h.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass
        h.close_connection = True

    def _send(self, h, response, method, req=None):
        body, spliced = response.body, response.spliced
        pretty = req is not None and "pretty" in req.params and req.params["pretty"] != "false"
        filter_path = req.params.get("filter_path") if req is not None else None
        if isinstance(body, Raw):
            if not (pretty or filter_path):
                body = body.text
            else:
                body, spliced = json.loads(body.text), False
        if isinstance(body, (dict, list)):
            if filter_path:
                body, spliced = apply_filter_path(resolve_raw(body) if spliced else body, filter_path), False
            data = dumps(body, pretty, spliced).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        headers = {}
        if self.profile.product_header and response.status != 413:   # Netty answers 413 by itself
            headers["X-elastic-product"] = ["Elasticsearch"]
        if data or response.content_type != "application/json":
            ctype = response.content_type
            accept = (req.headers.get("Accept") or "") if req else ""
            if ctype == "application/json" and "compatible-with" in accept:
                ctype = "application/vnd.elasticsearch+json;compatible-with=" + accept.rsplit("=", 1)[-1].strip()
            headers["content-type"] = [ctype]
        if data and req is not None and "gzip" in (req.headers.get("Accept-Encoding") or "").lower():
            data = gzip_bytes(data)
            headers["content-encoding"] = ["gzip"]
        headers.update(response.headers)
        try:
            h.send_response_only(response.status)
            for name, values in headers.items():
                for value in values:
                    h.send_header(name, value)
            h.send_header("content-length", str(len(data)))
            h.end_headers()
            if method != "HEAD" and data:
                h.wfile.write(data)
        except OSError:
            h.close_connection = True

    @staticmethod
    def _error_response(error):
        return Response(error.status, error.body(), dict(error.headers))

    def _dispatch(self, req, handler, args):
        try:
            return handler(req, args)
        except (EsError, SimpleError) as e:
            if isinstance(e, EsError) and e.status >= 400 and e.status != 404:
                self.stats.reject(f"{e.type}: {e.reason}")
            return self._error_response(e)
        except Exception as e:     # a server bug must still produce an answer
            traceback.print_exc()
            return self._error_response(EsError("exception", f"test server error: {e!r}", 500))

    def _check_auth(self, req):
        if not (self.user or self.api_key):
            return None
        header = req.headers.get("Authorization") or ""
        scheme, _, credentials = header.strip().partition(" ")
        challenge = {"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"', "ApiKey"]}
        reason, meta = f"missing authentication credentials for REST request [{req.target}]", {}
        if scheme.lower() == "basic" and credentials:
            try:
                user, _, password = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user = password = None
            if self.user and user == self.user and password == self.password:
                return None
            reason = f"unable to authenticate user [{user}] for REST request [{req.target}]"
        elif scheme.lower() == "apikey" and credentials:
            if self.api_key and credentials.strip() == self.api_key:
                return None
            reason = ("unable to authenticate with provided credentials and anonymous access is not allowed for "
                      "this request")
            meta = {"additional_unsuccessful_credentials": "API key: invalid ApiKey value"}
        self.stats.count("auth_failures")
        return EsError("security_exception", reason, 401, meta=meta, headers=challenge)

    def _check_content_type(self, req, raw):
        """RestController.dispatchRequest: a body needs a supported Content-Type (406 otherwise)."""
        if not raw:
            return None
        values = req.headers.get_all("Content-Type")
        if not values:
            return SimpleError(406, "Content-Type header is missing")
        media = values[0].split(";")[0].strip().lower()
        if media in SAFELISTED_MEDIA_TYPES or media not in JSON_MEDIA_TYPES:
            return SimpleError(406, f"Content-Type header [{', '.join(values)}] is not supported")
        return None

    def track(self, sock, add):
        with self.connections_lock:
            (self.connections.add if add else self.connections.discard)(sock)

    def close_connections(self):
        with self.connections_lock:
            socks = list(self.connections)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- cluster info ------------------------------------------------------------------------

    def root(self, req, args):
        return Response(body={"name": self.cluster.node_name, "cluster_name": "wireshark-es",
                              "cluster_uuid": self.cluster.cluster_uuid, "version": self.profile.version,
                              "tagline": self.profile.tagline})

    def cluster_health(self, req, args):
        with self.cluster.lock:
            indices = self.cluster.resolve(args.get("index"))
            unassigned = sum(idx._int("index.number_of_replicas", 1) for idx in indices)
            active = len(indices)
        status = "yellow" if unassigned else "green"
        return Response(body={
            "cluster_name": "wireshark-es", "status": status, "timed_out": False, "number_of_nodes": 1,
            "number_of_data_nodes": 1, "active_primary_shards": active, "active_shards": active,
            "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": unassigned,
            "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 * active / max(active + unassigned, 1)})

    # -- bulk --------------------------------------------------------------------------------

    def bulk(self, req, args):
        check_params(req.path, req.params, BULK_PARAMS | ({"type"} if self.profile.typed else set()))
        refresh = parse_refresh(req.params.get("refresh"))
        if "timeout" in req.params:
            parse_time_value(req.params["timeout"], "timeout")
        if not req.body:
            raise EsError("parse_exception", "request body is required", 400)
        items = BulkParser(self.profile, args.get("index")).parse(req.body)
        validate_bulk(items)
        self.stats.count("bulk_requests")
        if self.faults.roll("bulk_429"):
            self.stats.fault("bulk_429")
            raise EsError("es_rejected_execution_exception",
                          "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
                          f"replica_bytes=0, all_bytes=0, coordinating_operation_bytes={len(req.body)}, "
                          "max_coordinating_and_primary_bytes=53687091]", 429)
        t0 = time.monotonic()
        for item in items:
            if item.id is None and item.action in ("index", "create"):
                item.id = auto_id()
            if not self.fast and item.action in ("index", "create"):
                item.source, item.error = parse_source(item.doc, self.profile)
        outcomes, reasons = {}, []
        with self.cluster.lock:
            if self.fast:
                parts, errors = self._fast_items(items, refresh, outcomes, reasons)
            else:
                results = [{item.op: self._bulk_item(item, refresh, outcomes, reasons)} for item in items]
                errors = any("error" in next(iter(r.values())) for r in results)
        self.stats.items(outcomes, reasons)
        took = int((time.monotonic() - t0) * 1000)
        head = [("errors", errors), ("took", took)]
        if not self.profile.errors_first:
            head.reverse()
        if self.fast:
            return Response(body=Raw("{" + ",".join(f'"{k}":{json.dumps(v)}' for k, v in head)
                                     + ',"items":[' + ",".join(parts) + "]}"))
        return Response(body={**dict(head), "items": results})

    def _fast_items(self, items, refresh, outcomes, reasons):
        """--fast: the common create/index items answered from preformatted fragments; every other
        case (faults, data streams, versioning, conflicts, errors) goes through _bulk_item."""
        faults = self.faults
        special = (refresh or self.profile.typed or faults.get("read_only") or faults.get("reject_field")
                   or faults.get("item_429_ratio") > 0)
        fragment = ('{"%s":{"_index":%s,"_id":%s,"_version":%d,"result":"%s","_shards":%s,"_seq_no":%d,'
                    '"_primary_term":1,"status":%d}}')
        conflict = ('{"create":{"_index":%s,"_id":"%s","status":409,"error":{'
                    '"type":"version_conflict_engine_exception","reason":"%s","index_uuid":"%s","shard":"0",'
                    '"index":%s}}}')
        parts, errors, targets, ok = [], False, {}, {}
        for item in items:
            target = None
            if not special and item.action in ("index", "create") and len(item.params) <= 3 and not (
                    set(item.params) - {"_index", "_id", "op_type"}):
                target = targets.get(item.index)
                if target is None:
                    try:
                        idx = self.cluster.write_target(item.index, item.op)
                        target = targets[item.index] = (idx, json.dumps(idx.name), json.dumps(idx.shards()))
                    except EsError:
                        pass
            idx = target[0] if target is not None else None
            current = idx.versions.get(item.id) if idx is not None else None
            if idx is None or idx.data_stream or not item.id or _NEEDS_ESCAPE(item.id):
                entry = self._bulk_item(item, refresh, outcomes, reasons)
                errors = errors or "error" in entry
                parts.append(json.dumps({item.op: entry}, ensure_ascii=False, separators=(",", ":")))
                continue
            if current is not None and item.op == "create":
                reason = f"[{item.id}]: version conflict, document already exists (current version [{current[0]}])"
                parts.append(conflict % (target[1], item.id, reason, idx.uuid, target[1]))
                reasons.append("version_conflict_engine_exception: " + reason)
                ok[("create", 409)] = ok.get(("create", 409), 0) + 1
                errors = True
                continue
            version = current[0] + 1 if current is not None else idx.tombstones.pop(item.id, 0) + 1
            idx.seq_no += 1
            idx.versions[item.id] = (version, idx.seq_no)
            status = 201 if current is None else 200
            parts.append(fragment % (item.op, target[1], '"' + item.id + '"', version,
                                     "created" if current is None else "updated", target[2], idx.seq_no, status))
            ok[(item.op, status)] = ok.get((item.op, status), 0) + 1
        for key, n in ok.items():
            outcomes[key] = outcomes.get(key, 0) + n
        return parts, errors

    def _bulk_item(self, item, refresh, outcomes, reasons):
        try:
            status, body = self._write(item, refresh)
        except EsError as e:
            name = item.index
            ds = self.cluster.data_streams.get(name)
            if ds is not None and e.type != "illegal_argument_exception":
                name = ds["indices"][-1]
            entry = {"_index": name}
            if self.profile.typed:
                entry["_type"] = "_doc"
            entry.update({"_id": item.id, "status": e.status, "error": e.render()})
            outcomes[(item.op, e.status)] = outcomes.get((item.op, e.status), 0) + 1
            reasons.append(f"{e.type}: {e.reason}")
            return entry
        outcomes[(item.op, status)] = outcomes.get((item.op, status), 0) + 1
        return body

    def _item_body(self, idx, item, version, result, status, seq_no, refresh, shards=None):
        body = {"_index": idx.name}
        if self.profile.typed:
            body["_type"] = "_doc"
        body.update({"_id": item.id, "_version": version, "result": result})
        if refresh == "true":
            body["forced_refresh"] = True
        body.update({"_shards": shards or idx.shards(), "_seq_no": seq_no, "_primary_term": 1, "status": status})
        return status, body

    def _conflict(self, idx, doc_id, reason):
        return EsError("version_conflict_engine_exception", f"[{doc_id}]: version conflict, {reason}", 409,
                       meta={"index_uuid": idx.uuid, "shard": "0", "index": idx.name})

    def _write(self, item, refresh):
        """Executes one write operation under the cluster lock; raises EsError for item failures."""
        cluster, faults = self.cluster, self.faults
        op = "update" if item.action == "update" else item.op
        idx = cluster.write_target(item.index, op)
        if faults.get("read_only") and item.action != "delete":
            self.stats.fault("read_only")
            raise EsError("cluster_block_exception", f"index [{idx.name}] blocked by: [TOO_MANY_REQUESTS/12/disk usage "
                          "exceeded flood-stage watermark, index has read-only-allow-delete block];", 429)
        if faults.roll("item_429"):
            self.stats.fault("item_429")
            raise EsError("es_rejected_execution_exception",
                          "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, "
                          f"all_bytes=0, primary_operation_bytes={len(item.doc or b'')}, "
                          "max_coordinating_and_primary_bytes=53687091]", 429)
        if item.id == "":
            raise iae("if _id is specified it must not be empty")
        if item.action == "delete":
            return self._delete(idx, item, refresh)
        if item.action == "update":
            return self._update(idx, item, refresh)
        return self._index(idx, item, refresh)

    def _current(self, idx, doc_id):
        """(version, seq_no) of a live document, or None."""
        if self.fast:
            return idx.versions.get(doc_id)
        doc = idx.docs.get(doc_id)
        return None if doc is None else (doc.version, doc.seq_no)

    def _check_versions(self, idx, item, current):
        """Optimistic concurrency (if_seq_no/if_primary_term) and external versioning; returns the new version."""
        params, doc_id = item.params, item.id
        if "if_seq_no" in params:
            seq, term = params["if_seq_no"], params.get("if_primary_term", "0")
            if current is None:
                raise self._conflict(idx, doc_id, f"required seqNo [{seq}], primary term [{term}]. but no document "
                                                  "was found")
            if int(seq) != current[1] or int(term) != 1:
                raise self._conflict(idx, doc_id, f"required seqNo [{seq}], primary term [{term}]. current document "
                                                  f"has seqNo [{current[1]}] and primary term [1]")
        base = current[0] if current else idx.tombstones.get(doc_id, 0)
        vtype = params.get("version_type", "internal")
        if vtype in ("external", "external_gte") and "version" in params:
            wanted = int(params["version"])
            if current is not None and (wanted <= base if vtype == "external" else wanted < base):
                relation = "higher or equal to" if vtype == "external" else "higher than"
                raise self._conflict(idx, doc_id, f"current version [{base}] is {relation} the one provided [{wanted}]")
            return wanted
        return base + 1

    def _store(self, idx, item, source, raw, version, ignored, refresh):
        idx.seq_no += 1
        if self.fast:
            idx.versions[item.id] = (version, idx.seq_no)
        else:
            existing = idx.docs.get(item.id)
            order = existing.order if existing else next(self.cluster.order)
            idx.docs[item.id] = Doc(raw, source, version, idx.seq_no, order, ignored)
        idx.tombstones.pop(item.id, None)
        if refresh:
            idx.refresh()
        return idx.seq_no

    def _parse_document(self, idx, item, source, raw):
        """Runs the document parser; commits the dynamic mapping update, even if the write then conflicts."""
        parser = DocParser(idx, self.profile, item.id, raw, item.params.get("dynamic_templates"),
                           self.faults.get("reject_field"), lambda: self.stats.fault("reject_field"))
        parser.parse(source)
        parser.commit()
        return tuple(parser.ignored)

    def _index(self, idx, item, refresh):
        ignored = ()
        if self.fast:
            field = self.faults.get("reject_field")
            if field and f'"{field}"'.encode() in item.doc:
                self.stats.fault("reject_field")
                raise EsError(self.profile.doc_error, f"failed to parse field [{field}] of type [unmapped] in document "
                              f"with id '{item.id}'", cause=iae(f"field [{field}] is rejected by the test server "
                                                                "(reject_field fault)"))
        else:
            if item.error is not None:
                raise item.error
            ignored = self._parse_document(idx, item, item.source, item.doc)
        current = self._current(idx, item.id)
        if item.op == "create" and current is not None:
            raise self._conflict(idx, item.id, f"document already exists (current version [{current[0]}])")
        version = self._check_versions(idx, item, current)
        seq_no = self._store(idx, item, item.source, item.doc, version, ignored, refresh)
        created = current is None
        return self._item_body(idx, item, version, "created" if created else "updated", 201 if created else 200,
                               seq_no, refresh)

    def _delete(self, idx, item, refresh):
        current = self._current(idx, item.id)
        version = self._check_versions(idx, item, current)
        if current is not None:
            (idx.versions if self.fast else idx.docs).pop(item.id)
        idx.seq_no += 1
        idx.tombstones[item.id] = version
        if refresh:
            idx.refresh()
        found = current is not None
        return self._item_body(idx, item, version, "deleted" if found else "not_found", 200 if found else 404,
                               idx.seq_no, refresh)

    def _update(self, idx, item, refresh):
        body = item.update
        current = self._current(idx, item.id)
        if "script" in body:
            raise iae("scripted updates are not supported by the test server")
        if current is None:
            if body.get("doc_as_upsert") in (True, "true"):
                source = body["doc"]
            elif "upsert" in body:
                source = body["upsert"]
            else:
                raise EsError("document_missing_exception", f"[{item.id}]: document missing", 404,
                              meta={"index_uuid": idx.uuid, "shard": "0", "index": idx.name})
        elif self.fast:
            source = None
        else:
            old = idx.docs[item.id].source
            source = _deep_merge(old, body["doc"])
            if source == old and body.get("detect_noop", True) not in (False, "false"):
                return self._item_body(idx, item, current[0], "noop", 200, current[1], refresh,
                                       {"total": 0, "successful": 0, "failed": 0})
        raw = json.dumps(source, ensure_ascii=False, separators=(",", ":")).encode() if source is not None else b""
        ignored = () if self.fast else self._parse_document(idx, item, source, raw)
        version = self._check_versions(idx, item, current)
        seq_no = self._store(idx, item, source, raw, version, ignored, refresh)
        created = current is None
        return self._item_body(idx, item, version, "created" if created else "updated", 201 if created else 200,
                               seq_no, refresh)

    # -- single-document APIs ----------------------------------------------------------------

    def _single(self, req, index, doc_id, action, allowed=DOC_PARAMS):
        check_params(req.path, req.params, allowed)
        refresh = parse_refresh(req.params.get("refresh"))
        if action != "delete" and not req.body:
            raise EsError("parse_exception", "request body is required", 400)
        params = {k: v for k, v in req.params.items() if k in ACTION_PARAMS}
        params["_index"] = index
        if doc_id is not None:
            params["_id"] = doc_id
        op_type = req.params.get("op_type")
        if op_type is not None and op_type.lower() not in ("create", "index"):
            raise iae(f"opType must be 'create' or 'index', found: [{op_type}]")
        if op_type is not None:
            params["op_type"] = op_type.lower()
        item = BulkItem(action, params, 1, index)
        if item.id is None:
            item.id = auto_id()
        item.doc = req.body
        if action == "update":
            item.update = parse_update_body(req.body)
        elif action != "delete":
            item.source, item.error = parse_source(req.body, self.profile)
        validate_bulk([item])
        with self.cluster.lock:
            status, body = self._write(item, refresh)
        self.stats.items({(item.op, status): 1}, [])
        body.pop("status")
        return Response(status, body)

    def doc_write(self, req, args):
        action = "create" if "/_create/" in req.path else "index"
        return self._single(req, args["index"], args.get("id"), action)

    def doc_update(self, req, args):
        return self._single(req, args["index"], args["id"], "update", DOC_PARAMS | {"retry_on_conflict"})

    def doc(self, req, args):
        if req.method in ("PUT", "POST"):
            return self._single(req, args["index"], args["id"], "index")
        if req.method == "DELETE":
            return self._single(req, args["index"], args["id"], "delete")
        with self.cluster.lock:
            found = self._get_doc(args["index"], args["id"])
        return Response(200 if found.get("found") else 404, found, spliced=True)

    def _get_doc(self, index, doc_id):
        for idx in self.cluster.resolve(index):
            doc = idx.docs.get(doc_id)
            if doc is not None:
                out = {"_index": idx.name}
                if self.profile.typed:
                    out["_type"] = "_doc"
                out.update({"_id": doc_id, "_version": doc.version, "_seq_no": doc.seq_no, "_primary_term": 1,
                            "found": True, "_source": Raw(doc.raw.decode())})
                return out
        return {"_index": index, **({"_type": "_doc"} if self.profile.typed else {}), "_id": doc_id, "found": False}

    def mget(self, req, args):
        body = req.json() or {}
        wanted = [(d.get("_index", args.get("index")), str(d["_id"])) for d in body.get("docs", [])]
        wanted += [(args.get("index"), str(i)) for i in body.get("ids", [])]
        docs = []
        with self.cluster.lock:
            for index, doc_id in wanted:
                try:
                    docs.append(self._get_doc(index, doc_id))
                except EsError as e:
                    docs.append({"_index": index, "_id": doc_id, "error": e.render()})
        return Response(body={"docs": docs}, spliced=True)

    # -- index administration ----------------------------------------------------------------

    def index_admin(self, req, args):
        name = args["index"]
        with self.cluster.lock:
            if req.method == "PUT":
                body = req.json() or {}
                self.cluster.create_index(name, body)
                return Response(body={"acknowledged": True, "shards_acknowledged": True, "index": name})
            if req.method == "DELETE":
                self.cluster.delete_indices(name)
                return Response(body=ACK)
            if req.method == "HEAD":
                return Response(200 if self.cluster.resolve(name, allow_missing=True) else 404)
            return Response(body={idx.name: idx.render() for idx in self.cluster.resolve(name)})

    def get_mapping(self, req, args):
        return self.mapping(req, {"index": None})

    def mapping(self, req, args):
        with self.cluster.lock:
            indices = self.cluster.resolve(args.get("index"))
            if req.method == "GET":
                return Response(body={i.name: {"mappings": render_mapping(i.mapping)} for i in indices})
            update = self.cluster.mappings.parse(req.json() or {})
            merged = {}
            for idx in indices:
                candidate = merge_mapping(idx.mapping, update)
                total = mapping_total_fields(candidate)
                if total > idx.total_fields_limit:
                    raise iae(f"Limit of total fields [{idx.total_fields_limit}] has been exceeded")
                merged[idx.name] = candidate
            for idx in indices:
                idx.mapping = merged[idx.name]
                idx.refresh_fields()
        return Response(body=ACK)

    def get_settings(self, req, args):
        return self.settings(req, {"index": None})

    def settings(self, req, args):
        with self.cluster.lock:
            indices = self.cluster.resolve(args.get("index"))
            if req.method == "GET":
                return Response(body={i.name: {"settings": nest_settings(i.settings)} for i in indices})
            update = normalize_settings(req.json() or {})
            validate_settings(update, self.profile)
            static = sorted(k for k in update if k in ("index.number_of_shards", "index.uuid", "index.creation_date"))
            if static:
                names = ", ".join(f"[{i.name}/{i.uuid}]" for i in indices)
                raise iae(f"Can't update non dynamic settings [[{', '.join(static)}]] for open indices [{names}]")
            for idx in indices:
                idx.settings.update(update)
        return Response(body=ACK)

    def refresh(self, req, args):
        with self.cluster.lock:
            indices = self.cluster.resolve(args.get("index"))
            for idx in indices:
                idx.refresh()
            total = sum(idx.shards()["total"] for idx in indices)
        return Response(body={"_shards": {"total": total, "successful": len(indices), "failed": 0}})

    def cat_indices(self, req, args):
        with self.cluster.lock:
            rows = []
            for idx in sorted(self.cluster.resolve(args.get("index")), key=lambda i: i.name):
                size = human_bytes(sum(len(d.raw) for d in idx.docs.values()))
                rows.append({"health": idx.health(), "status": "open", "index": idx.name, "uuid": idx.uuid,
                             "pri": "1", "rep": str(idx._int("index.number_of_replicas", 1)),
                             "docs.count": str(idx.doc_count()), "docs.deleted": "0", "store.size": size,
                             "pri.store.size": size, **({"dataset.size": size} if self.profile.mode == "es8" else {})})
        if "h" in req.params:
            columns = req.params["h"].split(",")
            rows = [{c: r.get(c) for c in columns} for r in rows]
        if req.params.get("format") == "json":
            return Response(body=rows)
        if not rows:
            return Response(body="", content_type="text/plain; charset=UTF-8")
        columns = list(rows[0])
        table = ([columns] if "v" in req.params else []) + [[str(r[c]) for c in columns] for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
        text = "".join(" ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n" for row in table)
        return Response(body=text, content_type="text/plain; charset=UTF-8")

    def data_stream(self, req, args):
        cluster = self.cluster
        name = args.get("name")
        with cluster.lock:
            if req.method == "PUT":
                if name in cluster.data_streams:
                    raise EsError("resource_already_exists_exception", f"data_stream [{name}] already exists", 400)
                tname = cluster.find_template(name)
                if tname is None or "data_stream" not in cluster.templates[tname]:
                    raise iae(f"no matching index template found for data stream [{name}]")
                cluster.create_data_stream(name, tname)
                return Response(body=ACK)
            names = [n for n in cluster.data_streams if name is None or simple_match(name, n)]
            if name and "*" not in name and not names:
                raise index_not_found(name)
            if req.method == "DELETE":
                for n in names:
                    for backing in cluster.data_streams.pop(n)["indices"]:
                        cluster.indices.pop(backing, None)
                return Response(body=ACK)
            streams = []
            for n in names:
                ds = cluster.data_streams[n]
                streams.append({"name": n, "timestamp_field": {"name": "@timestamp"},
                                "indices": [{"index_name": b, "index_uuid": cluster.indices[b].uuid}
                                            for b in ds["indices"]],
                                "generation": len(ds["indices"]), "status": "YELLOW", "template": ds["template"],
                                "hidden": False, "system": False, "allow_custom_routing": False, "replicated": False})
        return Response(body={"data_streams": streams})

    # -- templates ---------------------------------------------------------------------------

    def get_index_template(self, req, args):
        return self.index_template(req, {"name": None})

    def index_template(self, req, args):
        cluster, name = self.cluster, args.get("name")
        with cluster.lock:
            if req.method in ("PUT", "POST"):
                body = req.json()
                cluster.put_index_template(name, body, Locator(req.body or b"{}"),
                                           req.params.get("create") == "true")
                return Response(body=ACK)
            names = sorted(n for n in cluster.templates if name is None or simple_match(name, n))
            if req.method == "DELETE":
                if name not in cluster.templates:
                    raise EsError("index_template_missing_exception", f"index_template [{name}] missing", 404)
                del cluster.templates[name]
                return Response(body=ACK)
            if req.method == "HEAD":
                return Response(200 if names else 404)
            if not names and name is not None:
                if "*" in name:
                    return Response(404, {"index_templates": []})
                raise EsError("resource_not_found_exception", f"index template matching [{name}] not found", 404)
            return Response(body={"index_templates": [{"name": n, "index_template": cluster.render_template(n)}
                                                      for n in names]})

    def get_legacy_template(self, req, args):
        return self.legacy_template(req, {"name": None})

    def legacy_template(self, req, args):
        cluster, name = self.cluster, args.get("name")
        with cluster.lock:
            if req.method in ("PUT", "POST"):
                if req.params.get("create") == "true" and name in cluster.legacy_templates:
                    raise iae(f"index_template [{name}] already exists")
                cluster.put_legacy_template(name, req.json() or {})
                return Response(body=ACK)
            if req.method == "DELETE":
                if name not in cluster.legacy_templates:
                    raise EsError("index_template_missing_exception", f"index_template [{name}] missing", 404)
                del cluster.legacy_templates[name]
                return Response(body=ACK)
            found = {n: {"order": t["order"], **({"version": t["version"]} if "version" in t else {}),
                         "index_patterns": t["index_patterns"], "settings": nest_settings(t["settings"]),
                         "mappings": render_mapping(t["mappings"]), "aliases": t["aliases"]}
                     for n, t in sorted(cluster.legacy_templates.items()) if name is None or simple_match(name, n)}
        if req.method == "HEAD":
            return Response(200 if found else 404)
        return Response(200 if found or name is None else 404, found)

    def get_component_template(self, req, args):
        return self.component_template(req, {"name": None})

    def component_template(self, req, args):
        cluster, name = self.cluster, args.get("name")
        with cluster.lock:
            if req.method in ("PUT", "POST"):
                cluster.put_component_template(name, req.json())
                return Response(body=ACK)
            if req.method == "DELETE":
                if name not in cluster.components:
                    raise EsError("index_template_missing_exception", f"index_template [{name}] missing", 404)
                users = sorted(t for t, body in cluster.templates.items() if name in body.get("composed_of", []))
                if users:
                    raise iae(f"component templates [{name}] cannot be removed as they are still in use by index "
                              f"templates [{', '.join(users)}]")
                del cluster.components[name]
                return Response(body=ACK)
            names = sorted(n for n in cluster.components if name is None or simple_match(name, n))
            if name is not None and not names:
                raise EsError("resource_not_found_exception", f"component template matching [{name}] not found", 404)
            out = []
            for n in names:
                c = dict(cluster.components[n])
                t = dict(c["template"])
                if "settings" in t:
                    t["settings"] = nest_settings(t["settings"])
                if "mappings" in t:
                    t["mappings"] = render_mapping(t["mappings"])
                c["template"] = t
                out.append({"name": n, "component_template": c})
        return Response(body={"component_templates": out})

    # -- search ------------------------------------------------------------------------------

    def _shard_failure(self, idx, error):
        return EsError("search_phase_execution_exception", "all shards failed", error.status,
                       meta={"phase": "query", "grouped": True,
                             "failed_shards": [{"shard": 0, "index": idx.name, "node": self.cluster.cluster_uuid,
                                                "reason": error.render()}]}, cause=error, roots=[error])

    def _matching(self, req, args):
        body = req.json() or {}
        if not isinstance(body, dict):
            raise EsError("parsing_exception", "Unknown key for a START_ARRAY in [null].", 400)
        indices = self.cluster.resolve(args.get("index"))
        query = body.get("query")
        if query is None and "q" in req.params:
            query = {"query_string": {"query": req.params["q"], "default_field": req.params.get("df")}}
        query = query or {"match_all": {}}
        locator = Locator(req.body or b"{}")
        hits = []
        for position, idx in enumerate(indices):
            test = QueryCompiler(idx, locator).compile(query)
            for doc_id, doc in idx.searchable():
                if test(doc_id, doc.source):
                    hits.append((position, idx, doc_id, doc))
        return body, indices, hits

    def count(self, req, args):
        with self.cluster.lock:
            _, indices, hits = self._matching(req, args)
        return Response(body={"count": len(hits), "_shards": {"total": len(indices), "successful": len(indices),
                                                              "skipped": 0, "failed": 0}})

    def search(self, req, args):
        t0 = time.monotonic()
        with self.cluster.lock:
            body, indices, hits = self._matching(req, args)
            size = int(body.get("size", req.params.get("size", 10)))
            start = int(body.get("from", req.params.get("from", 0)))
            for idx in indices:
                if start + size > idx.max_result_window:
                    raise self._shard_failure(idx, iae(
                        f"Result window is too large, from + size must be less than or equal to: "
                        f"[{idx.max_result_window}] but was [{start + size}]. See the scroll api for a more efficient "
                        "way to request large data sets. This limit can be set by changing the "
                        "[index.max_result_window] index level setting."))
            sort = self._sort_spec(body.get("sort", req.params.get("sort")))
            keyed = [(self._sort_values(idx, doc_id, doc, position, sort), idx, doc_id, doc)
                     for position, idx, doc_id, doc in hits]
            if sort:
                keyed.sort(key=lambda k: SortKey(k[0], sort))
            if body.get("search_after") is not None:
                after = SortKey(list(body["search_after"]), sort)
                keyed = [k for k in keyed if SortKey(k[0], sort) > after]
            page = keyed[start:start + size]
            source_spec = body.get("_source", req.params.get("_source", True))
            if source_spec in ("false", "true"):
                source_spec = source_spec == "true"
            rendered = []
            for values, idx, doc_id, doc in page:
                hit = {"_index": idx.name}
                if self.profile.typed:
                    hit["_type"] = "_doc"
                hit.update({"_id": doc_id, "_score": None if sort else 1.0})
                if doc.ignored:
                    hit["_ignored"] = sorted(set(doc.ignored))
                if source_spec is not False:
                    hit["_source"] = Raw(doc.raw.decode()) if source_spec is True else filter_source(doc.source,
                                                                                                  source_spec)
                if sort:
                    hit["sort"] = values
                rendered.append(hit)
        track = body.get("track_total_hits", True if req.params.get("track_total_hits") == "true" else 10000)
        hits_obj = {}
        if track is not False:
            limit = len(hits) if track is True else int(track)
            hits_obj["total"] = {"value": min(len(hits), limit), "relation": "eq" if len(hits) <= limit else "gte"}
        hits_obj["max_score"] = None if sort or not page else 1.0
        hits_obj["hits"] = rendered
        return Response(body={"took": int((time.monotonic() - t0) * 1000), "timed_out": False,
                              "_shards": {"total": len(indices), "successful": len(indices), "skipped": 0, "failed": 0},
                              "hits": hits_obj}, spliced=True)

    @staticmethod
    def _sort_spec(spec):
        if spec is None:
            return []
        out = []
        for entry in (spec if isinstance(spec, list) else [spec]):
            if isinstance(entry, str):
                field, _, order = entry.partition(":")
                out.append((field, order or ("desc" if field == "_score" else "asc"), {}))
            else:
                (field, opts), = entry.items()
                opts = opts if isinstance(opts, dict) else {"order": opts}
                out.append((field, opts.get("order", "desc" if field == "_score" else "asc"), opts))
        return out

    def _sort_values(self, idx, doc_id, doc, position, sort):
        values = []
        for field, order, opts in sort:
            if field == "_doc":
                values.append(position * 2 ** 32 + doc.order)
                continue
            if field == "_score":
                values.append(1.0)
                continue
            path, fdef = idx.field_def(field)
            if fdef is None and "unmapped_type" not in opts:
                raise self._shard_failure(idx, EsError("query_shard_exception",
                                                       f"No mapping found for [{field}] in order to sort on", 400,
                                                       meta={"index_uuid": idx.uuid, "index": idx.name}))
            ftype = (fdef or {}).get("type", opts.get("unmapped_type"))
            if ftype in ("text", "match_only_text"):
                raise self._shard_failure(idx, iae(
                    "Text fields are not optimised for operations that require per-document field data like "
                    "aggregations and sorting, so these operations are disabled by default. Please use a keyword "
                    f"field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by "
                    "uninverting the inverted index. Note that this can use significant memory."))
            found = [normalize(ftype, fdef, v) for v in values_at(doc.source, path)]
            found = [v for v in found if v is not None]
            if isinstance(found[0] if found else None, bool):
                found = [int(v) for v in found]
            if isinstance(found[0] if found else None, ipaddress._BaseAddress):
                found = [str(v) for v in sorted(found)]
            if found:
                values.append(min(found) if order == "asc" else max(found))
            elif ftype in ("long", "integer", "short", "byte", "date", "date_nanos", "unsigned_long"):
                values.append(LONG_RANGE[1] if order == "asc" else LONG_RANGE[0])
            else:
                values.append(None)
        return values

    # -- control API -------------------------------------------------------------------------

    def test_docs(self, req, args):
        pattern = req.params.get("index")
        out = []
        with self.cluster.lock:
            for idx in self.cluster.indices.values():
                if pattern and not (simple_match(pattern, idx.name) or simple_match(pattern, idx.data_stream or "")):
                    continue
                if self.fast:
                    out += [(i, {"_index": idx.name, "_id": doc_id, "_source": None})
                            for i, doc_id in enumerate(idx.versions)]
                else:
                    out += [(d.order, {"_index": idx.name, "_id": doc_id, "_source": Raw(d.raw.decode())})
                            for doc_id, d in idx.docs.items()]
        docs = [d for _, d in sorted(out, key=lambda t: t[0])]
        if req.params.get("format") == "ndjson":
            return Response(body="".join(dumps(d, spliced=True) + "\n" for d in docs),
                            content_type="application/x-ndjson")
        return Response(body=docs, spliced=True)

    def test_mappings(self, req, args):
        with self.cluster.lock:
            return Response(body={n: render_mapping(i.mapping) for n, i in self.cluster.indices.items()})

    def test_reset(self, req, args):
        with self.cluster.lock:
            self.cluster.reset()
        self.faults.reset()
        self.stats.reset()
        return Response(body=ACK)

    def test_faults(self, req, args):
        if req.method == "GET":
            return Response(body=self.faults.snapshot())
        changes = req.json() or {}
        snapshot = self.faults.update(changes)
        response = Response(body=snapshot)
        down = changes.get("down_seconds")
        if down and self.listener is not None:
            self.stats.fault("down")
            response.after = lambda: self.listener.go_down(float(down))
        return response


class SortKey:
    """Orders hits by a sort specification (missing values last in either direction)."""
    __slots__ = ("values", "sort")

    def __init__(self, values, sort):
        self.values, self.sort = values, sort

    def __lt__(self, other):
        for a, b, (_, order, _) in zip(self.values, other.values, self.sort):
            if a == b:
                continue
            if a is None or b is None:
                return b is None
            if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
                a, b = str(a), str(b)
            return a < b if order == "asc" else a > b
        return False

    def __gt__(self, other):
        return other < self

    def __eq__(self, other):
        return not self < other and not other < self


def gzip_bytes(data):
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


# --------------------------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300

    def setup(self):
        super().setup()
        self.too_large_early = False
        self.server.app.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.app.track(self.connection, False)

    def handle_one_request(self):
        self.too_large_early = False
        super().handle_one_request()

    def handle_expect_100(self):
        """Netty answers an oversized "Expect: 100-continue" request with 413 instead of 100."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.app.max_content_length:
            self.too_large_early = True
            return True
        return super().handle_expect_100()

    def _dispatch(self):
        self.server.app.handle(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def log_message(self, fmt, *args):
        pass


class ThreadedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Listener:
    """The listening socket; the "down" fault closes it and reopens it on the same port."""

    def __init__(self, app, host, port):
        self.app, self.host, self.port = app, host, port
        self.lock = threading.Lock()
        self.httpd = None
        self.start()

    def start(self):
        httpd = ThreadedServer((self.host, self.port), Handler)
        httpd.app = self.app
        self.port = httpd.server_address[1]
        self.httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def go_down(self, seconds):
        def cycle():
            with self.lock:
                self.stop()
                self.app.close_connections()
                time.sleep(seconds)
                self.start()

        threading.Thread(target=cycle, daemon=True).start()


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*(b|kb|mb|gb)?", str(text).strip().lower())
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size [{text}]")
    return int(m.group(1)) * {None: 1, "b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}[m.group(2)]


def build_arg_parser():
    p = argparse.ArgumentParser(description="Elasticsearch-compatible test server for wireshark-es")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9200, help="port, 0 for an ephemeral one (default 9200)")
    p.add_argument("--port-file", help="write the bound port to this file once listening")
    p.add_argument("--mode", choices=sorted(PROFILES), default="es8")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--api-key", help="accepted verbatim as 'Authorization: ApiKey <value>'")
    p.add_argument("--fast", action="store_true", help="do not parse or keep document sources (benchmarks)")
    p.add_argument("--seed", type=int, default=0, help="seed for the fault ratios")
    p.add_argument("--log", help="append one line per request to this file")
    p.add_argument("--max-content-length", type=parse_size, default=100 * 1024 ** 2,
                   help="http.max_content_length (default 100mb)")
    for name, kind in Faults.FIELDS.items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            p.add_argument(flag, action="store_true", default=None)
        else:
            p.add_argument(flag, type=kind)
    return p


def main(argv=None):
    options = build_arg_parser().parse_args(argv)
    try:
        loopback = ipaddress.ip_address(socket.gethostbyname(options.host)).is_loopback
    except (OSError, ValueError):
        loopback = False
    if not loopback:
        sys.exit(f"esserver: refusing to bind non-loopback host {options.host!r}")
    if bool(options.user) != bool(options.password):
        sys.exit("esserver: --user and --password go together")
    app = App(PROFILES[options.mode], options)
    # a bulk request allocates tens of thousands of short-lived objects; with the default
    # generation-0 threshold (700) collections dominate the --fast path
    gc.set_threshold(100_000, 50, 1000)
    gc.freeze()
    initial = {k: getattr(options, k) for k in Faults.FIELDS if getattr(options, k) is not None and k != "down_seconds"}
    if initial:
        app.faults.update(initial)
    listener = Listener(app, options.host, options.port)
    app.listener = listener
    if options.port_file:
        tmp = options.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(listener.port))
        os.replace(tmp, options.port_file)
    if options.down_seconds:
        listener.go_down(options.down_seconds)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    listener.stop()
    app.close_connections()
    return 0


if __name__ == "__main__":
    sys.exit(main())
