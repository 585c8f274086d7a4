"""The Debian package: builds with CPack, installs into Wireshark's global
plugin folder, indexes a capture, and purges cleanly."""

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
    try:
        subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
        listed = subprocess.run(["tshark", "-G", "plugins"], capture_output=True, text=True).stdout
        assert any(line.startswith("wireshark-es.so") and "0.1.0" in line and plugin in line
                   for line in listed.splitlines()), listed
        ndjson = workdir / "deb.ndjson"
        proc = subprocess.run(["tshark", "-r", str(SAMPLE), "-q", "-X", f"es.node=file:{ndjson}"],
                              capture_output=True, check=True)
        assert summary(proc.stderr)["indexed"] == 44
        assert len(ndjson.read_text().split("\n")) == 2 * 44 + 1
    finally:
        subprocess.run(["dpkg", "--purge", "wireshark-es"], check=True, capture_output=True)
    assert not pathlib.Path(plugin).exists()
    assert subprocess.run(["dpkg", "-s", "wireshark-es"], capture_output=True).returncode != 0
