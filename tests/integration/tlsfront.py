# SPDX-License-Identifier: GPL-2.0-or-later
"""A secured front made at test time, as many self-managed clusters are run:
nginx from Debian as an HTTPS reverse proxy in front of a real engine, with
a CA, a server certificate (localhost, 127.0.0.1) and a client certificate
made with openssl, and one port per check: TLS only, basic auth (htpasswd),
a required `Authorization: ApiKey` header, client certificates
(ssl_verify_client), basic auth over plain HTTP on loopback, and a redirect
to another host.  Each port has its own access log, so a test can tell
what reached it."""

import base64
import os
import pathlib
import pwd
import secrets
import shutil
import socket
import subprocess
import time

PORTS = {"tls": 19801, "basic": 19802, "apikey": 19803, "pki": 19804, "plain_basic": 19805,
         "redirect": 19806, "elsewhere": 19807}
# The redirect's target: another loopback address, so that what reaches it is seen.
ELSEWHERE = "127.0.0.2"


def available():
    return shutil.which("nginx") is not None and shutil.which("openssl") is not None


def openssl(cwd, *args, text=None):
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                          input=text, text=True).stdout


def fingerprint(pem):
    """The SHA-256 fingerprint openssl prints ("AA:BB:..."), as Elasticsearch does."""
    out = openssl(None, "x509", "-in", str(pem), "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


class Front:
    def __init__(self, root, upstream_port, ports=None):
        self.dir = pathlib.Path(root)
        self.upstream = upstream_port
        self.ports = ports or PORTS   # another test module's own ports: same names
        self.user = "elastic"
        self.password = "pw-" + secrets.token_urlsafe(12)
        self.key_id = "wses-key-" + secrets.token_hex(4)
        self.key = secrets.token_urlsafe(16)
        self.api_key = base64.b64encode(f"{self.key_id}:{self.key}".encode()).decode()
        self.proc = None

    def secrets(self):
        """Every form in which the credentials could leak."""
        basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return [self.password, basic, self.api_key, self.key]

    def url(self, name, host="localhost"):
        scheme = "http" if name == "plain_basic" else "https"
        return f"{scheme}://{host}:{self.ports[name]}"

    def path(self, name):
        return self.dir / name

    def access_log(self, name):
        p = self.dir / f"access-{name}.log"
        return p.read_text().splitlines() if p.exists() else []

    def _cert(self, name, cn, signer, ext):
        d = self.dir
        openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        (d / f"{name}.ext").write_text(ext)
        openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{signer}.pem", "-CAkey", f"{signer}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")

    def _ca(self, name, cn):
        openssl(self.dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={cn}", "-days", "2")

    def make_certs(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self._ca("ca", "wireshark-es test CA")
        self._ca("other-ca", "another CA")
        self._cert("server", "localhost", "ca",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        self._cert("client", "wireshark-es client", "ca", "extendedKeyUsage=clientAuth\n")
        # The chain the server presents: what a pin is looked up in.
        (self.dir / "fullchain.pem").write_text((self.dir / "server.pem").read_text() +
                                                (self.dir / "ca.pem").read_text())
        hashed = openssl(self.dir, "passwd", "-apr1", "-stdin", text=self.password).strip()
        (self.dir / "htpasswd").write_text(f"{self.user}:{hashed}\n")
        # tshark runs as 'nobody': it reads the CA and its client key.
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.dir, 0o755)
        for f in ("ca.pem", "other-ca.pem", "client.pem", "client.key"):
            os.chown(self.dir / f, nobody.pw_uid, nobody.pw_gid)

    def _config(self):
        d = self.dir
        proxy = (f"proxy_pass http://127.0.0.1:{self.upstream}; proxy_http_version 1.1; "
                 "proxy_set_header Connection \"\"; proxy_set_header Authorization \"\"; "
                 "proxy_read_timeout 120s;")

        def server(name, body, ssl=True, host="127.0.0.1"):
            return (f"server {{ listen {host}:{self.ports[name]}{' ssl' if ssl else ''}; "
                    f"access_log {d}/access-{name}.log wses; {body} }}\n")

        denied = '{"error":{"type":"security_exception","reason":"unable to authenticate with provided credentials"}}'
        return (
            "daemon off; master_process off; worker_processes 1;\n"
            f"pid {d}/nginx.pid; error_log {d}/error.log info;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "log_format wses '$status $request_method $request_uri auth=$http_authorization';\n"
            f"client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy; "
            f"fastcgi_temp_path {d}/tmp/fcgi; uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;\n"
            "client_max_body_size 0; default_type application/json; map_hash_bucket_size 256;\n"
            f"ssl_certificate {d}/fullchain.pem; ssl_certificate_key {d}/server.key;\n"
            f"map $http_authorization $apikey_ok {{ \"ApiKey {self.api_key}\" 1; default 0; }}\n"
            + server("tls", f"location / {{ {proxy} }}")
            + server("tls", f"location / {{ {proxy} }}", host=ELSEWHERE).replace(
                f"access-tls.log", "access-tls-elsewhere.log")
            + server("basic", f"auth_basic es; auth_basic_user_file {d}/htpasswd; location / {{ {proxy} }}")
            + server("apikey", f"location / {{ if ($apikey_ok = 0) {{ return 401 '{denied}'; }} {proxy} }}")
            + server("pki", f"ssl_client_certificate {d}/ca.pem; ssl_verify_client on; location / {{ {proxy} }}")
            + server("plain_basic", f"auth_basic es; auth_basic_user_file {d}/htpasswd; location / {{ {proxy} }}",
                     ssl=False)
            + server("redirect", f"location / {{ return 302 https://{ELSEWHERE}:{self.ports['elsewhere']}$request_uri; }}")
            + server("elsewhere", f"location / {{ {proxy} }}", host=ELSEWHERE)
            + "}\n")

    def start(self):
        if not (self.dir / "ca.pem").exists():
            self.make_certs()
        for t in ("body", "proxy", "fcgi", "uwsgi", "scgi"):
            (self.dir / "tmp" / t).mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(self._config())
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.proc.stderr.read().decode()
                                   + (self.dir / "error.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.ports["redirect"]), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
