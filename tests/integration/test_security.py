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
import warnings

import pytest

import cli
import helpers
import tlsfront
from conftest import BUILD, ROOT, SHARED
from engines import Engine
from helpers import capinfos_frames, summary

CAPTURE = SHARED / "captures" / "http-simple-get.pcap"
FRAMES = 16
# Its own ports (in ES_TEST_PORTS when a run must keep to a range): the
# engine, the front's seven after it, the plain-HTTP recorder, a UDP port
# and a port nothing listens on for the spool.
ES_PORT = int(os.environ["ES_TEST_PORTS"].split("-")[0]) + 50 if os.environ.get("ES_TEST_PORTS") else 19800
FRONT_PORTS = {name: ES_PORT + 1 + i for i, name in enumerate(tlsfront.PORTS)}
RECORDER_PORT, UDP_PORT, NOWHERE_PORT = ES_PORT + 8, ES_PORT + 18, ES_PORT + 19
# Every output of every run in this module, for the secrets grep.
OUTPUTS = []
ESDUMP = BUILD / "extcap" / "esdump"
# The passphrase of the encrypted copy of the client key (encrypted_key).
KEY_PASSPHRASE = "kp-" + base64.b32encode(os.urandom(10)).decode().lower()

pytestmark = pytest.mark.skipif(not tlsfront.available(), reason="needs nginx and openssl (scripts/deps --test)")


@pytest.fixture(scope="module")
def es(workdir):
    e = Engine("es8", workdir, port=ES_PORT).start()
    yield e
    e.clean("sec-")
    e.stop()


@pytest.fixture(scope="module")
def front(es, workdir):
    f = tlsfront.Front(workdir / "tls-front", ES_PORT, ports=FRONT_PORTS).start()
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
    assert len(lines) == 1 and f"{tlsfront.ELSEWHERE}:{FRONT_PORTS['elsewhere']}" in lines[0]
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
    rec = subprocess.Popen(["ip", "netns", "exec", server, sys.executable, "-c", RECORDER, str(RECORDER_PORT), str(log)])
    time.sleep(1)
    yield client, f"http://10.213.13.2:{RECORDER_PORT}", log
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


@pytest.fixture(scope="module")
def encrypted_key(front):
    """The client key encrypted with KEY_PASSPHRASE (AES-256, PKCS#8), for
    es.client_key_password and its equivalents."""
    path = front.path("client-encrypted.key")
    tlsfront.openssl(front.dir, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "client.key", "-out", path.name,
                     "-passout", "stdin", text=KEY_PASSPHRASE + "\n")
    assert b"ENCRYPTED" in path.read_bytes()
    os.chown(path, *_nobody())
    return path


def test_plugin_with_an_encrypted_client_key(tshark, front, secdir, encrypted_key):
    cert = f"es.client_cert={front.path('client.pem')}"
    proc = export(tshark, secdir, front.url("pki"), ca(front), cert, f"es.client_key={encrypted_key}",
                  env={"ES_CLIENT_KEY_PASSWORD": KEY_PASSPHRASE}, name="pki-encrypted")
    s = summary(proc.stderr)
    assert s["indexed"] + s["present"] == FRAMES and s["dropped"] == 0, proc.stderr.decode()
    f = write_secrets(secdir, "keypass.secrets", f"client_key_password = {KEY_PASSPHRASE}\n")
    proc = export(tshark, secdir, front.url("pki"), ca(front), cert, f"es.client_key={encrypted_key}",
                  f"es.secrets_file={f}", name="pki-encrypted-file")
    assert summary(proc.stderr)["dropped"] == 0, proc.stderr.decode()
    proc = export(tshark, secdir, front.url("pki"), ca(front), cert, f"es.client_key={encrypted_key}",
                  env={"ES_CLIENT_KEY_PASSWORD": "not-" + KEY_PASSPHRASE}, name="pki-wrong-pass")
    lines = messages(proc, "not trying again")
    assert len(lines) == 1 and "key" in lines[0], proc.stderr.decode()
    all_dropped(proc, secdir, "pki-wrong-pass")


# ---- esdump: the same settings and checks (extcap/options.c, client.c) ----

@pytest.fixture(scope="module")
def indexed(tshark, front, secdir, es):
    """CAPTURE in sec-*, for esdump to bring back."""
    proc = export(tshark, secdir, front.url("tls"), ca(front), name="for-esdump")
    assert summary(proc.stderr)["dropped"] == 0, proc.stderr.decode()
    es.request("POST", "/sec-*/_refresh")
    return CAPTURE


def esdump(secdir, name, *args, env=None, netns=None):
    """esdump bringing CAPTURE back into secdir/esdump-NAME.pcapng, with
    debug logging on; (process, output file)."""
    out = secdir / f"esdump-{name}.pcapng"
    cmd = [str(ESDUMP), "--extcap-interface", "esdump", "--capture", "--fifo", str(out), "--index", "sec-*",
           "--replay", CAPTURE.name, *map(str, args)]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ES_")}
    full_env.update({"G_MESSAGES_DEBUG": "all", **(env or {})})
    proc = subprocess.run(cmd, capture_output=True, timeout=120, env=full_env)
    OUTPUTS.append(proc.stdout + proc.stderr)
    return proc, out


def brought_back(proc, out):
    assert proc.returncode == 0, proc.stderr.decode()
    assert capinfos_frames(out) == FRAMES


def refused(proc, fragment):
    """Exit 1 and one line of stderr saying fragment."""
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1 and len([l for l in err.splitlines() if fragment in l]) == 1, err
    return err


def test_esdump_verified_tls(indexed, front, secdir):
    brought_back(*esdump(secdir, "ca-file", "--node", front.url("tls"), "--ca-file", front.path("ca.pem")))
    brought_back(*esdump(secdir, "ca-env", "--node", front.url("tls", "127.0.0.1"),
                         env={"ES_CA_FILE": str(front.path("ca.pem"))}))
    cas = secdir / "ca-dir"
    cas.mkdir(exist_ok=True)
    shutil.copy(front.path("ca.pem"), cas / "ca.pem")
    tlsfront.openssl(None, "rehash", str(cas))
    brought_back(*esdump(secdir, "ca-dir", "--node", front.url("tls"), "--ca-dir", cas))


@pytest.mark.parametrize("case", ["wrong-ca", "system-cas", "host-name"])
def test_esdump_untrusted_certificate_fails_clearly(case, indexed, front, secdir):
    node, args = {
        "wrong-ca": (front.url("tls"), ["--ca-file", front.path("other-ca.pem")]),
        "system-cas": (front.url("tls"), []),
        "host-name": (front.url("tls", tlsfront.ELSEWHERE), ["--ca-file", front.path("ca.pem")]),
    }[case]
    err = refused(esdump(secdir, case, "--node", node, *args)[0], "no node answered")
    assert node in err and ("certificate" in err or "SSL" in err), err


def test_esdump_insecure_is_warned_once(indexed, front, secdir):
    proc, out = esdump(secdir, "insecure", "--node", front.url("tls"), "--insecure")
    brought_back(proc, out)
    assert proc.stderr.decode().count("WARNING: --insecure") == 1


def test_esdump_pinned_ca(indexed, front, secdir):
    fp = tlsfront.fingerprint(front.path("ca.pem"))
    brought_back(*esdump(secdir, "pin", "--node", front.url("tls"), "--ca-fingerprint", fp))
    brought_back(*esdump(secdir, "pin-env", "--node", front.url("tls"),
                         env={"ES_CA_FINGERPRINT": fp.replace(":", "").lower()}))
    # The host name is still checked against the pinned CA's certificate.
    refused(esdump(secdir, "pin-host", "--node", front.url("tls", tlsfront.ELSEWHERE), "--ca-fingerprint", fp)[0],
            "no node answered")


def test_esdump_wrong_pin_sends_nothing(indexed, front, secdir):
    before = len(front.access_log("basic"))
    proc, _ = esdump(secdir, "wrong-pin", "--node", front.url("basic"), "--user", "elastic",
                     "--ca-fingerprint", tlsfront.fingerprint(front.path("other-ca.pem")),
                     env={"ES_PASSWORD": front.password})
    err = refused(proc, "SHA-256 fingerprint")
    assert "nothing was sent" in err and tlsfront.fingerprint(front.path("ca.pem")) in err
    assert len(front.access_log("basic")) == before


def test_esdump_client_certificate(indexed, front, secdir, encrypted_key):
    ca_ = ["--ca-file", front.path("ca.pem")]
    brought_back(*esdump(secdir, "pki", "--node", front.url("pki"), *ca_, "--client-cert", front.path("client.pem"),
                         "--client-key", front.path("client.key")))
    brought_back(*esdump(secdir, "pki-env", "--node", front.url("pki"), *ca_,
                         env={"ES_CLIENT_CERT": str(front.path("client.pem")), "ES_CLIENT_KEY": str(encrypted_key),
                              "ES_CLIENT_KEY_PASSWORD": KEY_PASSPHRASE}))
    f = write_secrets(secdir, "esdump-keypass.secrets", f"client_key_password={KEY_PASSPHRASE}\n")
    brought_back(*esdump(secdir, "pki-file", "--node", front.url("pki"), *ca_, "--secrets-file", f,
                         "--client-cert", front.path("client.pem"), "--client-key", encrypted_key))
    err = refused(esdump(secdir, "pki-missing", "--node", front.url("pki"), *ca_)[0], "HTTP 400")
    assert "No required SSL certificate" in err, err
    err = refused(esdump(secdir, "pki-wrong-pass", "--node", front.url("pki"), *ca_, "--client-cert",
                         front.path("client.pem"), "--client-key", encrypted_key,
                         env={"ES_CLIENT_KEY_PASSWORD": "not-" + KEY_PASSPHRASE})[0], "no node answered")
    assert "key" in err, err


def test_esdump_basic_auth_and_api_key(indexed, front, secdir):
    ca_ = ["--ca-file", front.path("ca.pem")]
    brought_back(*esdump(secdir, "basic", "--node", front.url("basic"), *ca_, "--user", "elastic",
                         env={"ES_PASSWORD": front.password}))
    f = write_secrets(secdir, "esdump-basic.secrets", f"user=elastic\npassword={front.password}\n")
    brought_back(*esdump(secdir, "basic-file", "--node", front.url("basic"), *ca_, "--secrets-file", f))
    brought_back(*esdump(secdir, "basic-file-env", "--node", front.url("basic"), *ca_,
                         env={"ES_SECRETS_FILE": str(f)}))
    brought_back(*esdump(secdir, "key", "--node", front.url("apikey"), *ca_, "--api-key", front.api_key))
    brought_back(*esdump(secdir, "key-env", "--node", front.url("apikey"), *ca_,
                         env={"ES_API_KEY": f"{front.key_id}:{front.key}"}))


@pytest.mark.parametrize("case", ["basic", "apikey"])
def test_esdump_wrong_credentials_fail_once_clearly(case, indexed, front, secdir):
    before = [l for l in front.access_log(case) if l.startswith("401")]
    if case == "basic":
        env, who = {"ES_USER": "elastic", "ES_PASSWORD": "not-" + front.password}, 'user "elastic"'
    else:
        env, who = {"ES_API_KEY": f"{front.key_id}:not-{front.key}"}, f'API key id "{front.key_id}"'
    proc, _ = esdump(secdir, f"wrong-{case}", "--node", front.url(case), "--ca-file", front.path("ca.pem"), env=env)
    err = refused(proc, "refused the credentials")
    assert front.url(case) in err and who in err and "HTTP 401" in err, err
    assert len([l for l in front.access_log(case) if l.startswith("401")]) - len(before) == 1


def test_esdump_refuses_a_readable_secrets_file(front, secdir):
    f = write_secrets(secdir, "esdump-open.secrets", f"password={front.password}\n", mode=0o644)
    proc, _ = esdump(secdir, "open-secrets", "--node", front.url("basic"), "--user", "elastic", "--secrets-file", f)
    err = refused(proc, f"chmod 600 {f}")
    assert f"--secrets-file: {f}" in err and "0644" in err


def test_esdump_redirect_is_not_followed(indexed, front, secdir):
    proc, _ = esdump(secdir, "redirect", "--node", front.url("redirect"), "--ca-file", front.path("ca.pem"),
                     "--user", "elastic", env={"ES_PASSWORD": front.password})
    refused(proc, "redirects are not followed")
    assert front.access_log("elsewhere") == []


def test_esdump_plain_http_credentials_to_another_host_are_refused(front, secdir, netns):
    client, url, log = netns
    before = log.read_text()
    for args, env in ((["--user", "elastic"], {"ES_PASSWORD": front.password}), ([], {"ES_API_KEY": front.api_key})):
        proc, _ = esdump(secdir, "plain", "--node", url, *args, env=env, netns=client)
        err = refused(proc, "is not on this machine")
        assert f"--node: {url}" in err and "--allow-plain-http-auth" in err, err
    assert log.read_text() == before


def test_esdump_extcap_config_shows_the_security_options(front, secdir):
    """Wireshark's dialog: the group Security, secrets as password fields;
    asked with every secret given, which it must not print."""
    proc = subprocess.run([str(ESDUMP), "--extcap-interface", "esdump", "--extcap-config", "--node",
                           front.url("basic"), "--ca-file", str(front.path("ca.pem")), "--user", "elastic",
                           "--password", front.password, "--client-key-password", KEY_PASSPHRASE],
                          capture_output=True, timeout=60, env={**os.environ, "G_MESSAGES_DEBUG": "all"})
    OUTPUTS.append(proc.stdout + proc.stderr)
    conf = proc.stdout.decode()
    for call, kind in (("--password", "password"), ("--api-key", "password"), ("--client-key-password", "password"),
                       ("--secrets-file", "fileselect"), ("--ca-dir", "string"), ("--ca-fingerprint", "string"),
                       ("--client-cert", "fileselect"), ("--client-key", "fileselect"), ("--cloud-id", "string")):
        assert f"{{call={call}}}" in conf and f"{{call={call}}}" + "{display=" in conf, call
        line = next(l for l in conf.splitlines() if f"{{call={call}}}" in l)
        assert f"{{type={kind}}}" in line and "{group=Security}" in line, line
    assert "sec-" in conf       # the cluster was asked, with the credentials, for the index selector


def test_scripts_pin_and_encrypted_client_key(indexed, front, secdir, encrypted_key):
    """check-index with ES_CA_FINGERPRINT alone, a wrong pin (nothing sent),
    and the client certificate with an encrypted key and its passphrase."""
    fp = tlsfront.fingerprint(front.path("ca.pem"))
    creds = {"ES_USER": "elastic", "ES_PASSWORD": front.password}
    proc = run_script("check-index", front.url("basic"), CAPTURE, "sec-%Y", env={"ES_CA_FINGERPRINT": fp, **creds})
    assert proc.returncode == 0 and b"-> OK" in proc.stdout, proc.stderr
    proc = run_script("wireshark-es-query", "--node", front.url("basic"), "--index", "sec-*", "--count",
                      env={"ES_CA_FINGERPRINT": fp.replace(":", "").lower(), **creds})
    assert proc.returncode == 0, proc.stderr
    before = len(front.access_log("basic"))
    proc = run_script("check-index", front.url("basic"), CAPTURE, "sec-%Y",
                      env={"ES_CA_FINGERPRINT": tlsfront.fingerprint(front.path("other-ca.pem")), **creds})
    assert proc.returncode != 0 and b"nothing was sent" in proc.stderr, proc.stderr
    assert fp.encode() in proc.stderr and len(front.access_log("basic")) == before
    pki = {"ES_CA_FILE": str(front.path("ca.pem")), "ES_CLIENT_CERT": str(front.path("client.pem")),
           "ES_CLIENT_KEY": str(encrypted_key)}
    proc = run_script("check-index", front.url("pki"), CAPTURE, "sec-%Y",
                      env={**pki, "ES_CLIENT_KEY_PASSWORD": KEY_PASSPHRASE})
    assert proc.returncode == 0 and b"-> OK" in proc.stdout, proc.stderr
    proc = run_script("check-index", front.url("pki"), CAPTURE, "sec-%Y",
                      env={**pki, "ES_CA_FILE": "", "ES_CA_FINGERPRINT": fp, "ES_CLIENT_KEY_PASSWORD": KEY_PASSPHRASE})
    assert proc.returncode == 0 and b"-> OK" in proc.stdout, proc.stderr


def test_index_script_passes_the_settings_to_tshark(indexed, tshark, front, secdir):
    """wireshark-es-index: its own requests and every tshark run it starts
    use the pin and the secrets file (user and password in it)."""
    wrapper = cli.tshark_wrapper(tshark, secdir)
    f = write_secrets(secdir, "index.secrets", f"user=elastic\npassword={front.password}\n")
    before = len(front.access_log("basic"))
    proc = run_script("wireshark-es-index", "--tshark", wrapper, "--node", front.url("basic"), "--force",
                      "--ca-fingerprint", tlsfront.fingerprint(front.path("ca.pem")), "--secrets-file", f,
                      "-X", "es.index=sec-%Y", CAPTURE, env={})
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0 and "(1 indexed, 0 skipped as already in the cluster or empty, 0 failed)" in out, out
    assert len([l for l in front.access_log("basic")[before:] if "_bulk" in l and l.startswith("200")]) >= 1


def test_no_secret_in_any_output_or_file(tshark, front, secdir, es, figures):
    """Runs that write everything the plugin, esdump and the scripts write
    (dumped template, dead letters, a spool and its template, esdump's
    pcapng files, extcap config and debug output, the scripts' output),
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
                                   f"for i in range(40):\n time.sleep(0.1); s.sendto(b'x', ('127.0.0.1', {UDP_PORT}))"])
        live = export(tshark, secdir, f"https://localhost:{NOWHERE_PORT}", ca(front), "es.user=elastic",
                      f"es.spool_dir={spool}", "es.bulk_age_ms=100", env=password, name="grep-spool",
                      source=("-i", "lo", "-f", f"udp port {UDP_PORT}", "-a", "duration:6"))
        sender.wait(30)
        if b"permission to capture" in live.stderr:   # dumpcap without CAP_NET_RAW (scripts/deps sets it)
            warnings.warn("no live capture as nobody: the spool is not part of this grep")
        else:
            assert list(spool.glob("*.ndjson")) and list(spool.glob("*.template.json")), live.stderr.decode()
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
    for secret in [*front.secrets(), KEY_PASSPHRASE]:
        needle = secret.encode()
        hits += [f"output {i}" for i, out in enumerate(OUTPUTS) if needle in out]
        hits += [str(p) for p in files if p.suffix != ".secrets" and needle in p.read_bytes()]
    pcapngs = [p for p in files if p.name.startswith("esdump-")]
    figures(f"secrets grep: {len(front.secrets()) + 1} secret forms in {len(OUTPUTS)} outputs and {len(files)} "
            f"files ({len(pcapngs)} esdump pcapng): {len(hits)} hits")
    assert hits == [], hits
    assert len(OUTPUTS) >= 6 and len(files) >= 3     # its own runs at least
