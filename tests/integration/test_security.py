# SPDX-License-Identifier: GPL-2.0-or-later
"""TLS, authentication and secrets through a real secured front: nginx from
Debian as an HTTPS reverse proxy (tests/integration/tlsfront.py) in front of
a real Elasticsearch 8 node, and a plain-HTTP host in a network namespace
for the refusal to send credentials in clear text.  Every run ends with
every frame counted; the last test greps every output and every file
written for the secrets."""

import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

import helpers
import tlsfront
from conftest import ROOT, SHARED
from engines import Engine
from helpers import summary

CAPTURE = SHARED / "captures" / "http-simple-get.pcap"
FRAMES = 16
ES_PORT = 19800
# Every output of every run in this module, for the secrets grep.
OUTPUTS = []

pytestmark = pytest.mark.skipif(not tlsfront.available(), reason="needs nginx and openssl (scripts/deps --test)")


@pytest.fixture(scope="module")
def es(workdir):
    e = Engine("es8", workdir, port=ES_PORT).start()
    yield e
    e.clean("sec-")
    e.stop()


@pytest.fixture(scope="module")
def front(es, workdir):
    f = tlsfront.Front(workdir / "tls-front", ES_PORT).start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def secdir(workdir):
    """Where this module's runs write (dead letters, spools, templates)."""
    d = workdir / "security"
    d.mkdir(mode=0o777, exist_ok=True)
    os.chmod(d, 0o777)
    return d


def export(tshark, secdir, node, *settings, env=None, name="run", source=("-r", str(CAPTURE)), netns=None):
    """tshark over CAPTURE (or another source) into node with -X settings;
    the process result."""
    dead = secdir / f"dead-{name}"
    args = [*source, "-q", "-X", f"es.node={node}", "-X", "es.index=sec-%Y",
            "-X", "es.flush_timeout_s=10", "-X", f"es.dead_letter_dir={dead}"]
    for s in settings:
        args += ["-X", s]
    cmd = tshark.command(args)
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ES_")}
    full_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, timeout=300, env=full_env)
    OUTPUTS.append(proc.stdout + proc.stderr)
    return proc


def dead_letters(secdir, name):
    files = list((secdir / f"dead-{name}").glob("*.ndjson"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def messages(proc, fragment):
    """The lines of stderr with fragment, but the summary (which repeats the first problems)."""
    return [l for l in proc.stderr.decode(errors="replace").splitlines()
            if fragment in l and not helpers.SUMMARY.search(l)]


def all_dropped(proc, secdir, name):
    """Nothing got in, every frame is counted and dead-lettered."""
    s = summary(proc.stderr)
    assert s["frames"] == FRAMES and s["dropped"] == FRAMES and s["indexed"] == 0, proc.stderr.decode()
    assert len(dead_letters(secdir, name)) == FRAMES


def ca(front, name="ca.pem"):
    return f"es.ca_file={front.path(name)}"


def test_verified_tls(tshark, front, secdir):
    for node in (front.url("tls"), front.url("tls", "127.0.0.1")):   # host name and IP address
        proc = export(tshark, secdir, node, ca(front), name="verified")
        s = summary(proc.stderr)
        assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()


@pytest.mark.parametrize("case", ["wrong-ca", "system-cas", "host-name"])
def test_untrusted_certificate_fails_once_clearly(case, tshark, front, secdir):
    """Verification is on by default: another CA, the system's CAs only, or
    a host name the certificate does not name all fail at once, once."""
    node, settings = {
        "wrong-ca": (front.url("tls"), [ca(front, "other-ca.pem")]),
        "system-cas": (front.url("tls"), []),
        "host-name": (front.url("tls", tlsfront.ELSEWHERE), [ca(front)]),
    }[case]
    proc = export(tshark, secdir, node, *settings, name=case)
    lines = messages(proc, "not trying again")
    assert len(lines) == 1, proc.stderr.decode()
    assert node in lines[0] and ("certificate" in lines[0] or "SSL" in lines[0]), lines[0]
    all_dropped(proc, secdir, case)


def test_tls_verify_off_is_warned_loudly_once(tshark, front, secdir):
    proc = export(tshark, secdir, front.url("tls"), "es.tls_verify=false", name="noverify")
    assert len(messages(proc, "WARNING: es.tls_verify is off")) == 1
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES


@pytest.mark.parametrize("form", ["colons", "plain-lowercase"])
def test_pinned_ca(form, tshark, front, secdir):
    """es.ca_fingerprint alone (no CA file): the chain's CA of that SHA-256
    is trusted, and the host name is still checked."""
    fp = tlsfront.fingerprint(front.path("ca.pem"))
    if form == "plain-lowercase":
        fp = fp.replace(":", "").lower()
    proc = export(tshark, secdir, front.url("tls"), f"es.ca_fingerprint={fp}", name=f"pin-{form}")
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()
    proc = export(tshark, secdir, front.url("tls", tlsfront.ELSEWHERE), f"es.ca_fingerprint={fp}",
                  name=f"pin-host-{form}")
    assert len(messages(proc, "not trying again")) == 1, proc.stderr.decode()


def test_wrong_pin_fails_before_anything_is_sent(tshark, front, secdir):
    before = len(front.access_log("basic"))
    fp = tlsfront.fingerprint(front.path("other-ca.pem"))
    proc = export(tshark, secdir, front.url("basic"), f"es.ca_fingerprint={fp}", "es.user=elastic",
                  env={"ES_PASSWORD": front.password}, name="wrong-pin")
    lines = messages(proc, "SHA-256 fingerprint")
    assert len(lines) == 1 and "nothing was sent" in lines[0], proc.stderr.decode()
    assert tlsfront.fingerprint(front.path("ca.pem")) in lines[0]     # the chain's, to help
    assert len(front.access_log("basic")) == before                   # not one request
    all_dropped(proc, secdir, "wrong-pin")


def test_client_certificate(tshark, front, secdir):
    proc = export(tshark, secdir, front.url("pki"), ca(front), f"es.client_cert={front.path('client.pem')}",
                  f"es.client_key={front.path('client.key')}", name="pki")
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()
    proc = export(tshark, secdir, front.url("pki"), ca(front), name="pki-missing")
    lines = messages(proc, "not trying again")
    assert len(lines) == 1 and "No required SSL certificate" in lines[0], proc.stderr.decode()
    all_dropped(proc, secdir, "pki-missing")


def write_secrets(secdir, name, text, mode=0o600):
    path = secdir / name
    path.write_text(text)
    os.chown(path, *_nobody())
    os.chmod(path, mode)
    return path


def _nobody():
    import pwd
    p = pwd.getpwnam("nobody")
    return p.pw_uid, p.pw_gid


@pytest.mark.parametrize("source", ["environment", "secrets-file"])
def test_basic_auth(source, tshark, front, secdir):
    env, settings = {}, ["es.user=elastic"]
    if source == "environment":
        env["ES_PASSWORD"] = front.password
    else:
        f = write_secrets(secdir, "basic.secrets", f"# for tshark\npassword = {front.password}\n")
        settings.append(f"es.secrets_file={f}")
    proc = export(tshark, secdir, front.url("basic"), ca(front), *settings, env=env, name=f"basic-{source}")
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()


@pytest.mark.parametrize("form", ["id:key", "encoded"])
def test_api_key(form, tshark, front, secdir):
    key = f"{front.key_id}:{front.key}" if form == "id:key" else front.api_key
    if form == "id:key":
        proc = export(tshark, secdir, front.url("apikey"), ca(front), env={"ES_API_KEY": key}, name="key-env")
    else:
        f = write_secrets(secdir, "key.secrets", f"api_key={key}\n")
        proc = export(tshark, secdir, front.url("apikey"), ca(front), f"es.secrets_file={f}", name="key-file")
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()


def test_readable_secrets_file_is_refused(tshark, front, secdir):
    f = write_secrets(secdir, "open.secrets", f"password={front.password}\n", mode=0o644)
    proc = export(tshark, secdir, front.url("basic"), ca(front), "es.user=elastic", f"es.secrets_file={f}",
                  name="open-secrets")
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert str(f) in err and f"chmod 600 {f}" in err and "0644" in err


@pytest.mark.parametrize("case", ["basic", "apikey"])
def test_wrong_credentials_fail_once_clearly(case, tshark, front, secdir):
    """One message naming the node and who (never the secret), one request
    refused (no retry storm), every document in the dead-letter file."""
    before = [l for l in front.access_log(case) if l.startswith("401")]
    if case == "basic":
        proc = export(tshark, secdir, front.url(case), ca(front), "es.user=elastic",
                      env={"ES_PASSWORD": "not-" + front.password}, name=f"wrong-{case}")
        who = 'user "elastic"'
    else:
        proc = export(tshark, secdir, front.url(case), ca(front),
                      env={"ES_API_KEY": f"{front.key_id}:not-{front.key}"}, name=f"wrong-{case}")
        who = f'API key id "{front.key_id}"'
    lines = messages(proc, "refused the credentials")
    assert len(lines) == 1, proc.stderr.decode()
    assert front.url(case) in lines[0] and who in lines[0] and "HTTP 401" in lines[0]
    after = [l for l in front.access_log(case) if l.startswith("401")]
    assert len(after) - len(before) == 1
    all_dropped(proc, secdir, f"wrong-{case}")
    assert all("refused the credentials" in d["error"]["reason"] for d in dead_letters(secdir, f"wrong-{case}"))


def test_redirect_is_not_followed(tshark, front, secdir):
    proc = export(tshark, secdir, front.url("redirect"), ca(front), "es.user=elastic",
                  env={"ES_PASSWORD": front.password}, name="redirect")
    lines = messages(proc, "redirects are not followed")
    assert len(lines) == 1 and f"{tlsfront.ELSEWHERE}:{tlsfront.PORTS['elsewhere']}" in lines[0]
    assert front.access_log("elsewhere") == []
    all_dropped(proc, secdir, "redirect")


RECORDER = textwrap.dedent("""
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(sys.argv[2], "a") as log:
                log.write(self.headers.get("Authorization", "-") + "\\n")
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
        do_POST = do_PUT = do_HEAD = do_GET
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("10.213.13.2", int(sys.argv[1])), H).serve_forever()
""")


@pytest.fixture(scope="module")
def netns(workdir):
    """Two network namespaces of this test, joined by a veth pair: the
    client's 10.213.13.1 and a plain-HTTP host at 10.213.13.2 that records
    the Authorization header of each request."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("needs root and ip(8) for network namespaces")
    client, server = "wses13c", "wses13s"
    ip = lambda *a, check=True: subprocess.run(["ip", *a], check=check, capture_output=True)
    for ns in (client, server):
        ip("netns", "del", ns, check=False)
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", client, "link", "add", "wses13a", "type", "veth", "peer", "name", "wses13b", "netns", server)
    ip("-n", client, "addr", "add", "10.213.13.1/24", "dev", "wses13a")
    ip("-n", server, "addr", "add", "10.213.13.2/24", "dev", "wses13b")
    ip("-n", client, "link", "set", "wses13a", "up")
    ip("-n", server, "link", "set", "wses13b", "up")
    log = workdir / "netns-auth.log"
    log.write_text("")
    rec = subprocess.Popen(["ip", "netns", "exec", server, sys.executable, "-c", RECORDER, "19808", str(log)])
    time.sleep(1)
    yield client, "http://10.213.13.2:19808", log
    rec.terminate()
    rec.wait(10)
    for ns in (client, server):
        ip("netns", "del", ns, check=False)


def test_plain_http_credentials_to_another_host_are_refused(tshark, front, secdir, netns):
    client, url, log = netns
    for settings, env in ((["es.user=elastic"], {"ES_PASSWORD": front.password}),
                          ([], {"ES_API_KEY": front.api_key})):
        proc = export(tshark, secdir, url, *settings, env=env, netns=client, name="plain")
        assert proc.returncode != 0
        err = proc.stderr.decode()
        assert f"es.node: {url} is not on this machine" in err and "es.allow_plain_http_auth=TRUE" in err, err
    assert log.read_text() == ""                       # nothing reached the host
    # The host is there: allowed explicitly, the credentials do reach it.
    proc = export(tshark, secdir, url, "es.user=elastic", "es.allow_plain_http_auth=true",
                  env={"ES_PASSWORD": front.password}, netns=client, name="plain-allowed")
    basic = base64.b64encode(f"elastic:{front.password}".encode()).decode()
    assert log.read_text().splitlines() == [f"Basic {basic}"]
    all_dropped(proc, secdir, "plain-allowed")


def run_script(name, *args, env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ES_")}
    full_env.update(env)
    proc = subprocess.run([str(ROOT / "scripts" / name), *map(str, args)], capture_output=True, env=full_env,
                          timeout=300)
    OUTPUTS.append(proc.stdout + proc.stderr)
    return proc


def test_scripts_use_the_same_settings_and_checks(front, netns, secdir, es):
    """put-template, resend-spool and check-index: CA file, basic auth, API
    key (id:key too) and a secrets file through the front; an open secrets
    file, plain HTTP credentials to another host and a redirect refused."""
    tls = {"ES_CA_FILE": str(front.path("ca.pem"))}
    check = ("check-index", CAPTURE, "sec-%Y")
    ok = [(front.url("basic"), {"ES_USER": "elastic", "ES_PASSWORD": front.password}),
          (front.url("apikey"), {"ES_API_KEY": f"{front.key_id}:{front.key}"}),
          (front.url("pki"), {"ES_CLIENT_CERT": str(front.path("client.pem")),
                              "ES_CLIENT_KEY": str(front.path("client.key"))})]
    f = secdir / "scripts.secrets"
    f.write_text(f"user=elastic\npassword={front.password}\n")
    os.chmod(f, 0o600)
    ok.append((front.url("basic"), {"ES_SECRETS_FILE": str(f)}))
    for url, env in ok:
        proc = run_script(check[0], url, *check[1:], env={**tls, **env})
        assert proc.returncode == 0 and b"-> OK" in proc.stdout, proc.stderr
    os.chmod(f, 0o640)
    proc = run_script(check[0], front.url("basic"), *check[1:], env={**tls, "ES_SECRETS_FILE": str(f)})
    assert proc.returncode != 0 and f"chmod 600 {f}".encode() in proc.stderr
    proc = run_script(check[0], front.url("tls"), *check[1:], env={})          # verified by default
    assert proc.returncode != 0 and b"CERTIFICATE_VERIFY_FAILED" in proc.stderr
    proc = run_script(check[0], front.url("redirect"), *check[1:], env={**tls, "ES_PASSWORD": front.password,
                                                                       "ES_USER": "elastic"})
    assert proc.returncode != 0 and b"HTTP 302" in proc.stderr and front.access_log("elsewhere") == []
    client, url, log = netns
    before = log.read_text()
    cmd = ["ip", "netns", "exec", client, str(ROOT / "scripts" / "check-index"), url, str(CAPTURE)]
    proc = subprocess.run(cmd, capture_output=True, env={**os.environ, "ES_API_KEY": front.api_key}, timeout=60)
    OUTPUTS.append(proc.stdout + proc.stderr)
    assert proc.returncode != 0 and b"is not on this machine" in proc.stderr and log.read_text() == before


def test_no_secret_in_any_output_or_file(tshark, front, secdir, es):
    """Runs that write everything the plugin and the scripts write (dumped
    template, dead letters, a spool and its template, the scripts' output),
    with every kind of credentials; then not one form of a secret in any
    output of this module or any file under its directories and the home
    directory."""
    password = {"ES_PASSWORD": front.password}
    template = secdir / "dumped.template.json"
    proc = export(tshark, secdir, front.url("basic"), ca(front), "es.user=elastic",
                  f"es.dump_template={template}", env=password, name="grep-ok")
    assert summary(proc.stderr)["dropped"] == 0
    export(tshark, secdir, front.url("basic"), ca(front), "es.user=elastic",
           env={"ES_PASSWORD": front.password[:-1]}, name="grep-wrong")
    export(tshark, secdir, front.url("apikey"), ca(front), env={"ES_API_KEY": front.api_key[:-4]},
           name="grep-wrong-key")
    # A spool: what a live capture leaves when the cluster is away.
    spool = secdir / "spool"
    # (Not under ASan: dumpcap, started by tshark with the runtime preloaded, hangs.)
    if not os.environ.get("ES_ASAN_RUNTIME") and b"lo" in tshark.run(["-D"], check=False, timeout=60).stdout:
        sender = subprocess.Popen([sys.executable, "-c", "import socket, time\n"
                                   "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                   "for i in range(40):\n time.sleep(0.1); s.sendto(b'x', ('127.0.0.1', 19898))"])
        export(tshark, secdir, "https://localhost:19899", ca(front), "es.user=elastic", f"es.spool_dir={spool}",
               "es.bulk_age_ms=100", env=password, name="grep-spool",
               source=("-i", "lo", "-f", "udp port 19898", "-a", "duration:6"))
        sender.wait(30)
        assert list(spool.glob("*.ndjson")) and list(spool.glob("*.template.json"))
    tls = {"ES_CA_FILE": str(front.path("ca.pem"))}
    scripts_env = {"ES_USER": "elastic", "ES_PASSWORD": front.password, **tls}
    assert run_script("put-template", template, front.url("basic"), env=scripts_env).returncode == 0
    assert run_script("check-index", front.url("basic"), CAPTURE, "sec-%Y", env=scripts_env).returncode == 0
    if list(spool.glob("*.ndjson")):
        proc = run_script("resend-spool", spool, front.url("plain_basic", "127.0.0.1"), env=scripts_env)
        assert proc.returncode == 0, proc.stderr
    run_script("check-index", front.url("apikey"), CAPTURE, "sec-%Y", env={"ES_API_KEY": front.api_key[:-2], **tls})

    files = [p for d in (secdir, tshark.home) for p in pathlib.Path(d).rglob("*") if p.is_file()]
    assert template.exists() and any("dead-grep-wrong" in str(p) for p in files)
    hits = []
    for secret in front.secrets():
        needle = secret.encode()
        hits += [f"output {i}" for i, out in enumerate(OUTPUTS) if needle in out]
        hits += [str(p) for p in files if p.suffix != ".secrets" and needle in p.read_bytes()]
    assert hits == [], hits
    assert len(OUTPUTS) >= 6 and len(files) >= 3     # its own runs at least
