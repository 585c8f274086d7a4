"""A real Elasticsearch 8 node for the tests that check what the server
holds (scripts/engine, tests/engines/es8), and a tshark wrapper the
command-line tools can run as the unprivileged test user.

    from realengine import es8   # a session fixture: a Cluster

ES8_URL=http://host:port uses a node that runs already."""

import os
import shlex
import shutil
import subprocess
import tempfile

import pytest

from cluster import Cluster
from conftest import ROOT

PORT = int(os.environ.get("ES8_PORT", "19650"))


@pytest.fixture(scope="session")
def es8():
    url = os.environ.get("ES8_URL")
    if url:
        yield Cluster(url)
        return
    if not shutil.which("java") and not os.path.isdir("/usr/lib/jvm"):
        pytest.skip("no Java for the real engine")
    data = tempfile.mkdtemp(prefix="es8-data-")
    engine = str(ROOT / "scripts" / "engine")
    start = subprocess.run([engine, "start", "es8", "--port", str(PORT), "--data", data],
                           capture_output=True, text=True, timeout=600)
    if start.returncode != 0:
        pytest.fail(f"scripts/engine start es8 failed:\n{start.stderr[-3000:]}")
    try:
        yield Cluster(start.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([engine, "stop", "es8", "--port", str(PORT)], capture_output=True, timeout=120)
        shutil.rmtree(data, ignore_errors=True)


def tshark_wrapper(tshark, directory):
    """An executable that runs tshark as the tests' Tshark fixture does
    (as 'nobody' with the plugin of the build tree when root)."""
    path = directory / "tshark-as-test-user"
    path.write_text("#!/bin/sh\nexec " + shlex.join(tshark.command([])) + ' "$@"\n')
    path.chmod(0o755)
    return path
