# SPDX-License-Identifier: GPL-2.0-or-later
"""What the wireshark-es command-line tools share: the node and credential
settings, spelled as the plugin spells them (es.node, es.user, ES_PASSWORD,
ES_API_KEY, es.ca_file, es.tls_verify), requests to the cluster with errors
that say what is wrong, and the server detection of GET / that decides
between dotted and underscore field names.  Standard library only."""

import argparse
import base64
import json
import os
import re
import ssl
import urllib.error
import urllib.request

# Exit codes shared by the tools.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CLUSTER = 0, 1, 2, 3


class UsageError(Exception):
    """A bad argument; the message names it."""


class ClusterError(Exception):
    """The cluster could not be asked: unreachable, TLS, credentials."""


def parse_nodes(text, what="--node"):
    """The base URLs of es.node's HTTP syntax: "http(s)://h:p[,...]", "h:p"
    (http) or "h" (http, port 9200), as the plugin reads them."""
    urls = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if "://" in item:
            url = item
        elif (":" in item and not item.startswith("[")) or (item.startswith("[") and "]:" in item):
            url = "http://" + item
        else:
            url = f"http://{item}:9200"
        if not re.match(r"^https?://[^/:]", url):
            raise UsageError(f"{what}: \"{item}\" is not an HTTP node; accepted: "
                             "http(s)://host:port[,...], host:port or host")
        urls.append(url.rstrip("/"))
    if not urls:
        raise UsageError(f"{what}: no node given; accepted: http(s)://host:port[,...], host:port "
                         "or host (or set ES_URL)")
    return urls


def add_connection_options(parser):
    """--node, --user, --ca-file, --no-tls-verify, with the plugin's
    environment variables for the defaults and the secrets."""
    g = parser.add_argument_group("cluster (as the plugin's es.node, es.user, es.ca_file, es.tls_verify)")
    g.add_argument("--node", metavar="URL", default=os.environ.get("ES_URL"),
                   help="http(s)://host:port[,...], host:port or host (default: $ES_URL)")
    g.add_argument("--user", metavar="NAME", default=os.environ.get("ES_USER"),
                   help="basic-auth user (default: $ES_USER); the password comes from $ES_PASSWORD; "
                        "$ES_API_KEY is used instead when set")
    g.add_argument("--ca-file", metavar="PEM", help="CA certificate file for https:// nodes")
    g.add_argument("--no-tls-verify", action="store_true",
                   help="do not check the nodes' certificates and host names")


class Server:
    """What GET / says the cluster is."""

    def __init__(self, body):
        version = body.get("version", {})
        self.opensearch = version.get("distribution") == "opensearch"
        self.version = version.get("number", "")
        m = re.match(r"(\d+)\.(\d+)", self.version)
        self.major, self.minor = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        # As the plugin decides (esapi.c: es_server_name_style).
        self.dotted = not self.opensearch and (self.major, self.minor) >= (8, 3)

    def name(self, field):
        """A Wireshark field name as documents on this server carry it."""
        return field if self.dotted else field.replace(".", "_")

    def __str__(self):
        return f"{'OpenSearch' if self.opensearch else 'Elasticsearch'} {self.version}"


class Cluster:
    def __init__(self, nodes, user=None, password=None, api_key=None, ca_file=None, verify=True):
        self.nodes = list(nodes)
        self.headers = {}
        if api_key:
            self.headers["Authorization"] = "ApiKey " + api_key
        elif user:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self.context = None
        if any(n.startswith("https://") for n in self.nodes):
            self.context = ssl.create_default_context(cafile=ca_file)
            if not verify:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE
        self._server = None

    @classmethod
    def from_args(cls, args, node=None):
        return cls(parse_nodes(node or args.node), user=args.user, password=os.environ.get("ES_PASSWORD"),
                   api_key=os.environ.get("ES_API_KEY"), ca_file=args.ca_file,
                   verify=not args.no_tls_verify)

    def request(self, method, path, body=None, timeout=60):
        """(status, parsed JSON or None) from the first node that answers;
        ClusterError when none does."""
        data, headers = None, dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        problems = []
        for node in self.nodes:
            req = urllib.request.Request(node + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=timeout, context=self.context) as resp:
                    return resp.status, _json(resp.read())
            except urllib.error.HTTPError as e:
                return e.code, _json(e.read())
            except (urllib.error.URLError, OSError) as e:
                problems.append(f"{node}: {_transport_problem(e)}")
        raise ClusterError("cannot reach the cluster: " + "; ".join(problems))

    def server(self):
        """GET /, once; ClusterError naming what is wrong."""
        if self._server is None:
            status, body = self.request("GET", "/")
            if status in (401, 403):
                raise ClusterError(f"{self.nodes[0]} refused the credentials (HTTP {status}, "
                                   f"{error_summary(body)}): set --user and ES_PASSWORD, or ES_API_KEY")
            if status != 200 or not isinstance(body, dict) or "version" not in body:
                raise ClusterError(f"{self.nodes[0]}: unexpected answer to GET / (HTTP {status}): "
                                   "is this Elasticsearch or OpenSearch?")
            self._server = Server(body)
        return self._server


def _json(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _transport_problem(e):
    reason = getattr(e, "reason", e)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({reason.verify_message}): give --ca-file or --no-tls-verify"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason}): is the node https://?"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    return str(reason)


def error_summary(body):
    """"type: reason" of an Elasticsearch error body, from its first failed
    shard where there is one (the top level then only says "all shards
    failed"), with the innermost cause's first line."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return str(body)[:300] if body else "no body"
    err = body["error"]
    shards = err.get("failed_shards") or []
    if shards and isinstance(shards[0].get("reason"), dict):
        err = shards[0]["reason"]
    text = f"{err.get('type')}: {err.get('reason')}"
    cause = err.get("caused_by")
    while isinstance(cause, dict) and isinstance(cause.get("caused_by"), dict):
        cause = cause["caused_by"]
    if isinstance(cause, dict):
        text += f" ({str(cause.get('reason', '')).splitlines()[0]})"
    return text


def index_glob(pattern):
    """The indices of an es.index pattern as a wildcard expression (the
    part before its first strftime conversion, then '*'); a name or a
    wildcard expression stays as it is."""
    return pattern.split("%", 1)[0] + "*" if "%" in pattern else pattern


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"\"{text}\" is not a whole number of at least 1")
    return value
