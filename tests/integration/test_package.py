# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package: builds with CPack, installs the plugin and esdump into
Wireshark's global plugin and extcap folders, indexes a capture, and purges
cleanly."""

import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT
from helpers import summary

SAMPLE = ROOT / "tests" / "captures" / "sample.pcapng"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("dpkg"), reason="needs root and dpkg")
def test_deb_install_index_purge(workdir):
    out = workdir / "deb"
    out.mkdir()
    subprocess.run(["cpack", "-G", "DEB", "-B", str(out)], cwd=BUILD, check=True, capture_output=True)
    deb = next(out.glob("wireshark-es_*.deb"))
    files = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    plugin = next("/" + line.split()[-1].lstrip("./") for line in files.splitlines()
                  if line.endswith("/epan/wireshark-es.so"))
    extcap = next("/" + line.split()[-1].lstrip("./") for line in files.splitlines()
                  if line.endswith("/extcap/esdump"))
    try:
        subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
        listed = subprocess.run(["tshark", "-G", "plugins"], capture_output=True, text=True).stdout
        assert any(line.startswith("wireshark-es.so") and "0.1.0" in line and plugin in line
                   for line in listed.splitlines()), listed
        interfaces = subprocess.run(["tshark", "-D"], capture_output=True, text=True).stdout
        assert "esdump (Elasticsearch)" in interfaces, interfaces
        ndjson = workdir / "deb.ndjson"
        proc = subprocess.run(["tshark", "-r", str(SAMPLE), "-q", "-X", f"es.node=file:{ndjson}"],
                              capture_output=True, check=True)
        assert summary(proc.stderr)["indexed"] == 44
        assert len(ndjson.read_text().split("\n")) == 2 * 44 + 1
    finally:
        subprocess.run(["dpkg", "--purge", "wireshark-es"], check=True, capture_output=True)
    assert not pathlib.Path(plugin).exists() and not pathlib.Path(extcap).exists()
    assert subprocess.run(["dpkg", "-s", "wireshark-es"], capture_output=True).returncode != 0


def test_personal_install(workdir):
    """The documented per-user install: the .so copied into the personal
    plugin folder (as 'nobody', since root ignores personal folders)."""
    if os.geteuid() != 0:
        pytest.skip("runs tshark as 'nobody' from root")
    built = next((BUILD / "plugins").glob("*/epan/wireshark-es.so"))
    series = built.parent.parent.name
    home = workdir / "personal-home"
    target = home / ".local" / "lib" / "wireshark" / "plugins" / series / "epan"
    target.mkdir(parents=True)
    shutil.copy(built, target)
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), "nobody")
    shutil.chown(home, "nobody")
    run = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", f"HOME={home}", "tshark"]
    folders = subprocess.run(run + ["-G", "folders"], capture_output=True, text=True).stdout
    assert str(home / ".local" / "lib" / "wireshark" / "plugins") in folders
    listed = subprocess.run(run + ["-G", "plugins"], capture_output=True, text=True).stdout
    assert any(line.startswith("wireshark-es.so") and str(target) in line for line in listed.splitlines()), listed
    sample = workdir / "personal-sample.pcapng"
    shutil.copy(SAMPLE, sample)
    os.chmod(sample, 0o644)
    proc = subprocess.run(run + ["-r", str(sample), "-q", "-X", "es.node=-"], capture_output=True)
    assert summary(proc.stderr)["indexed"] == 44
