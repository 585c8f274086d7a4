# SPDX-License-Identifier: GPL-2.0-or-later
"""What the wireshark-es command-line tools share: the node and credential
settings, spelled as the plugin spells them (es.node, es.user, ES_PASSWORD,
ES_API_KEY, es.secrets_file, es.ca_file, es.ca_fingerprint, es.tls_verify,
...), with the plugin's checks (Transport: used by every script), requests
to the cluster with errors that say what is wrong, and the server
detection of GET / that decides between dotted and underscore field names.
Standard library, and openssl(1) for --ca-fingerprint on Pythons before
3.13 (whose ssl module cannot give the peer's chain)."""

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import re
import ssl
import stat
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

# Exit codes shared by the tools.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CLUSTER = 0, 1, 2, 3


class UsageError(Exception):
    """A bad argument; the message names it."""


class ClusterError(Exception):
    """The cluster could not be asked: unreachable, TLS, credentials."""


SECRET_KEYS = ("user", "password", "api_key", "client_key_password")
# The settings of Transport, with the environment variables they default to.
ENVIRONMENT = {"user": "ES_USER", "password": "ES_PASSWORD", "api_key": "ES_API_KEY",
               "client_key_password": "ES_CLIENT_KEY_PASSWORD", "secrets_file": "ES_SECRETS_FILE",
               "ca_file": "ES_CA_FILE", "ca_dir": "ES_CA_DIR", "ca_fingerprint": "ES_CA_FINGERPRINT",
               "client_cert": "ES_CLIENT_CERT", "client_key": "ES_CLIENT_KEY"}
_FALSE, _TRUE = ("0", "false", "no", "off"), ("1", "true", "yes", "on")


def cloud_url(cloud_id):
    """Elastic Cloud: NAME:BASE64 of host[:port]$es_uuid$kibana_uuid."""
    try:
        host, es_uuid = base64.b64decode(cloud_id.rsplit(":", 1)[-1]).decode().strip().split("$")[:2]
    except ValueError:
        raise UsageError("cloud id: not an Elastic Cloud id; accepted: NAME:BASE64 as the Cloud console "
                         "shows it") from None
    host, _, port = host.partition(":")
    return f"https://{es_uuid}.{host}:{port or 443}"


def read_secrets(path):
    """KEY=VALUE lines (user, password, api_key, client_key_password) of a
    file only its owner may read; errors name the file and the fix, never a value."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise UsageError(f"ES_SECRETS_FILE: cannot read {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
        raise UsageError(f"ES_SECRETS_FILE: {path} can be read or written by other users "
                         f"(mode {st.st_mode & 0o7777:04o}); it must be a file only its owner can read: "
                         f"chmod 600 {path}")
    out = {}
    with open(path) as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        key = key.strip().removeprefix("es.")
        if not eq or key not in SECRET_KEYS:
            raise UsageError(f"ES_SECRETS_FILE: {path} line {n}: expected KEY=VALUE with KEY one of "
                             + ", ".join(SECRET_KEYS))
        out[key] = value.strip()
    return out


def is_loopback(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in ("localhost", "localhost.")


def parse_fingerprint(text):
    """The 32 bytes of a SHA-256 fingerprint: 64 hex digits, colons or spaces optional."""
    digits = re.sub(r"[:\s]", "", text or "")
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", digits):
        raise UsageError(f"ES_CA_FINGERPRINT: invalid value \"{text}\"; accepted: the SHA-256 fingerprint "
                         "of the CA certificate, 64 hex digits with or without colons")
    return bytes.fromhex(digits)


def settings_from_environment(env=None, **given):
    """Transport's settings: what is given (not None), else the environment,
    else the secrets file for the secrets; ES_TLS_VERIFY and
    ES_ALLOW_PLAIN_HTTP_AUTH for the two switches."""
    env = os.environ if env is None else env
    s = {k: given.get(k) or env.get(v) or None for k, v in ENVIRONMENT.items()}
    if s["secrets_file"]:
        filed = read_secrets(s["secrets_file"])
        for k in SECRET_KEYS:
            s[k] = s[k] or filed.get(k)
    verify = given.get("tls_verify")
    s["tls_verify"] = verify if verify is not None else env.get("ES_TLS_VERIFY", "").lower() not in _FALSE
    allow = given.get("allow_plain_http_auth")
    s["allow_plain_http_auth"] = allow or env.get("ES_ALLOW_PLAIN_HTTP_AUTH", "").lower() in _TRUE
    return s


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: followed, it would take the credentials to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def peer_chain(url, s):
    """The PEM certificates url's TLS server sends, from a handshake that
    sends no request (so no credentials) and verifies nothing: ssl's
    get_unverified_chain() on Python 3.13+, else openssl s_client."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname, parts.port or 443
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if hasattr(ssl.SSLSocket, "get_unverified_chain"):
        import socket
        with socket.create_connection((host, port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname=host) as tls:
            # DER bytes; early 3.13 releases gave certificate objects
            return [ssl.DER_cert_to_PEM_cert(c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER))
                    for c in tls.get_unverified_chain()]
    cmd = ["openssl", "s_client", "-connect", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
           "-showcerts"]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        cmd += ["-servername", host]    # SNI names hosts, not addresses
    if s["client_cert"]:
        cmd += ["-cert", s["client_cert"], "-key", s["client_key"] or s["client_cert"]]
    env = dict(os.environ)
    if s["client_key_password"]:
        env["WSES_KEY_PASSWORD"] = s["client_key_password"]   # not on the command line, where ps shows it
        cmd += ["-pass", "env:WSES_KEY_PASSWORD"]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise urllib.error.URLError(f"fetching its certificate chain for ES_CA_FINGERPRINT: {e}") from None
    chain = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", proc.stdout.decode(), re.S)
    if not chain and proc.returncode != 0:
        why = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no TLS handshake"])[-1]
        raise urllib.error.URLError(f"fetching its certificate chain for ES_CA_FINGERPRINT: openssl s_client: {why}")
    return chain


def pinned_ca(url, s):
    """The certificate of url's chain whose SHA-256 is ES_CA_FINGERPRINT; a
    URLError naming the chain's fingerprints when there is none."""
    pin = parse_fingerprint(s["ca_fingerprint"])
    seen = []
    for pem in peer_chain(url, s):
        digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()
        if digest == pin:
            return pem
        seen.append(":".join(f"{b:02X}" for b in digest))
    raise urllib.error.URLError(f"no certificate of its chain has the SHA-256 fingerprint ES_CA_FINGERPRINT "
                                f"gives; nothing was sent (its chain: {', '.join(seen) or 'none'})")


class Transport:
    """How every script reaches a cluster, with the plugin's settings and
    checks: an API key (encoded or id:key) or basic auth; credentials over
    plain http:// only to this machine unless allowed; a CA file or
    directory, or a pinned CA (the certificate of the node's chain with
    ES_CA_FINGERPRINT becomes its only trust anchor, host name still
    checked); a client certificate with an optional key passphrase;
    verification off only when asked, and said; redirects never followed.
    Nodes may be cloud:CLOUD_ID."""

    def __init__(self, nodes, s):
        self.nodes = [cloud_url(n[6:]) if n.startswith("cloud:") else n.rstrip("/") for n in nodes]
        self.s = s
        self.headers = {}
        key = s["api_key"]
        if key:
            key = base64.b64encode(key.encode()).decode() if ":" in key else key
            self.headers["Authorization"] = f"ApiKey {key}"
        elif s["user"]:
            token = base64.b64encode(f"{s['user']}:{s['password'] or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self._check()
        self._openers = {}

    def _check(self):
        s = self.s
        if s["ca_fingerprint"]:
            parse_fingerprint(s["ca_fingerprint"])
            if not s["tls_verify"]:
                raise UsageError("ES_CA_FINGERPRINT: the pinned CA verifies the nodes' certificates, which "
                                 "ES_TLS_VERIFY=false turns off; leave verification on")
        for url in self.nodes:
            if url.startswith("https://"):
                continue
            if s["ca_fingerprint"]:
                raise UsageError(f"ES_CA_FINGERPRINT: {url} is plain http://; a pin needs https:// nodes")
            if self.headers and not s["allow_plain_http_auth"] and not is_loopback(url):
                raise UsageError(f"{url} is not on this machine and the credentials would cross the network "
                                 "unencrypted; use https://, or set ES_ALLOW_PLAIN_HTTP_AUTH=true to send "
                                 "them anyway")
        if not s["tls_verify"] and any(n.startswith("https://") for n in self.nodes):
            print("WARNING: TLS verification is off: anyone on the network path can pose as the cluster "
                  "and read the credentials; use ES_CA_FILE or ES_CA_FINGERPRINT instead", file=sys.stderr)

    def _context(self, node):
        s = self.s
        if s["ca_fingerprint"]:
            ctx = ssl.create_default_context(cadata=pinned_ca(node, s))   # the pin only, not the system's
        else:
            ctx = ssl.create_default_context(cafile=s["ca_file"], capath=s["ca_dir"])
        if s["client_cert"]:
            ctx.load_cert_chain(s["client_cert"], s["client_key"], password=s["client_key_password"] or None)
        if not s["tls_verify"]:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def opener(self, node):
        """The node's opener, made (and its pin checked) at first use."""
        if node not in self._openers:
            handlers = [_NoRedirect]
            if node.startswith("https://"):
                handlers.append(urllib.request.HTTPSHandler(context=self._context(node)))
            self._openers[node] = urllib.request.build_opener(*handlers)
        return self._openers[node]

    def open(self, node, method, path, data=None, headers=None, timeout=120):
        """The response (urllib.error.HTTPError for an HTTP error, a 3xx included)."""
        req = urllib.request.Request(node + path, data=data, method=method,
                                     headers={**self.headers, **(headers or {})})
        return self.opener(node).open(req, timeout=timeout)


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
        elif item.startswith("cloud:"):
            url = cloud_url(item[6:])
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
    """The connection options, as the plugin's settings, with the
    environment variables of every script for the defaults and the
    secrets (which are never options: they would show in ps)."""
    g = parser.add_argument_group("cluster (as the plugin's es.node, es.user, es.secrets_file, es.ca_file, "
                                  "es.ca_dir, es.ca_fingerprint, es.client_cert, es.client_key, es.tls_verify)")
    g.add_argument("--node", metavar="URL", default=os.environ.get("ES_URL"),
                   help="http(s)://host:port[,...], host:port, host or cloud:CLOUD_ID (default: $ES_URL)")
    g.add_argument("--user", metavar="NAME",
                   help="basic-auth user (default: $ES_USER); the password comes from $ES_PASSWORD; "
                        "$ES_API_KEY is used instead when set")
    g.add_argument("--secrets-file", metavar="FILE",
                   help="KEY=VALUE lines (user, password, api_key, client_key_password) only its owner may "
                        "read (default: $ES_SECRETS_FILE)")
    g.add_argument("--ca-file", metavar="PEM", help="CA certificate file for https:// nodes ($ES_CA_FILE)")
    g.add_argument("--ca-dir", metavar="DIR", help="directory of hashed CA certificates ($ES_CA_DIR)")
    g.add_argument("--ca-fingerprint", metavar="SHA256",
                   help="trust only the certificate of the node's chain with this SHA-256 ($ES_CA_FINGERPRINT)")
    g.add_argument("--client-cert", metavar="PEM", help="client certificate, PKI ($ES_CLIENT_CERT); "
                   "an encrypted key's passphrase comes from $ES_CLIENT_KEY_PASSWORD or the secrets file")
    g.add_argument("--client-key", metavar="PEM", help="its key, if not in it ($ES_CLIENT_KEY)")
    g.add_argument("--no-tls-verify", action="store_true",
                   help="do not check the nodes' certificates and host names")
    g.add_argument("--allow-plain-http-auth", action="store_true",
                   help="send credentials over http:// to nodes not on this machine")


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
    def __init__(self, nodes, settings):
        self.transport = Transport(nodes, settings)
        self.nodes = self.transport.nodes
        self._server = None

    @classmethod
    def from_args(cls, args, node=None):
        names = ("user", "secrets_file", "ca_file", "ca_dir", "ca_fingerprint", "client_cert", "client_key")
        s = settings_from_environment(**{n: getattr(args, n) for n in names},
                                      tls_verify=False if args.no_tls_verify else None,
                                      allow_plain_http_auth=args.allow_plain_http_auth)
        return cls(parse_nodes(node or args.node), s)

    def request(self, method, path, body=None, timeout=60):
        """(status, parsed JSON or None) from the first node that answers;
        ClusterError when none does."""
        data, headers = None, {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        problems = []
        for node in self.nodes:
            try:
                with self.transport.open(node, method, path, data, headers, timeout) as resp:
                    return resp.status, _json(resp.read())
            except urllib.error.HTTPError as e:
                return e.code, _json(e.read())
            except (urllib.error.URLError, OSError, ssl.SSLError) as e:
                problems.append(f"{node}: {_transport_problem(e)}")
        raise ClusterError("cannot reach the cluster: " + "; ".join(problems))

    def server(self):
        """GET /, once; ClusterError naming what is wrong."""
        if self._server is None:
            status, body = self.request("GET", "/")
            if status in (401, 403):
                raise ClusterError(f"{self.nodes[0]} refused the credentials{self._who()} (HTTP {status}, "
                                   f"{error_summary(body)}): set --user and ES_PASSWORD, or ES_API_KEY")
            if status != 200 or not isinstance(body, dict) or "version" not in body:
                raise ClusterError(f"{self.nodes[0]}: unexpected answer to GET / (HTTP {status}): "
                                   "is this Elasticsearch or OpenSearch?")
            self._server = Server(body)
        return self._server


    def _who(self):
        return credentials_identity(self.transport.s)


def credentials_identity(s):
    """ of user "NAME" / of API key id "ID", for messages (never a secret)."""
    key = s["api_key"]
    if key:
        try:
            plain = key if ":" in key else base64.b64decode(key, validate=True).decode()
        except ValueError:
            plain = ""
        return f' of API key id "{plain.split(":", 1)[0]}"' if ":" in plain else " of the API key"
    return f' of user "{s["user"]}"' if s["user"] else ""


def _json(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _transport_problem(e):
    reason = getattr(e, "reason", e)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (f"TLS certificate not trusted ({reason.verify_message}): give --ca-file, --ca-fingerprint "
                "or --no-tls-verify")
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
