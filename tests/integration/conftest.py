# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures for the integration tests: tshark with the plugin from the
build tree, the real engines (or a real cluster given by ES_URL), the fault
proxy in front of a real engine, and the captures in ../shared."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "esserver"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from cluster import Cluster, FaultProxy  # noqa: E402
from engines import Engine, available, from_environment  # noqa: E402

BUILD = pathlib.Path(os.environ.get("ES_BUILD_DIR", ROOT / "build"))
SHARED = pathlib.Path(os.environ.get("ES_SHARED_DIR", ROOT.parent / "shared"))
PLUGIN_DIR = BUILD / "plugins"


def captures():
    """Every capture in ../shared/captures and ../shared/bench."""
    files = sorted((SHARED / "captures").glob("*.pcap*")) + sorted((SHARED / "bench").glob("*.pcap*"))
    return [f for f in files if f.is_file()]


@pytest.fixture(scope="session")
def workdir():
    """A scratch directory the unprivileged tshark can write to."""
    d = tempfile.mkdtemp(prefix="wireshark-es-test-")
    os.chmod(d, 0o777)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


class Tshark:
    """Runs tshark (or another Wireshark program) with the plugin loaded.

    Running as root, Wireshark ignores WIRESHARK_PLUGIN_DIR and personal
    plugin folders, so as root the program runs as 'nobody' unless the
    plugin is installed system-wide (ES_PLUGIN_INSTALLED=1)."""

    def __init__(self, home):
        self.home = home

    def command(self, args, program="tshark"):
        env = [f"HOME={self.home}", f"XDG_CONFIG_HOME={self.home}/.config"]
        if os.environ.get("ES_ASAN_RUNTIME"):
            # The plugin of a sanitizer build needs the runtime loaded first;
            # Wireshark's own leaks at exit are not ours to report.
            env += [f"LD_PRELOAD={os.environ['ES_ASAN_RUNTIME']}",
                    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1",
                    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"]
        if os.environ.get("ES_PLUGIN_INSTALLED") == "1":
            return ["env", *env, program, *args]
        env.append(f"WIRESHARK_PLUGIN_DIR={PLUGIN_DIR}")
        if os.geteuid() == 0:
            return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", *env, program, *args]
        return ["env", *env, program, *args]

    def run(self, args, check=True, timeout=600, env=None, program="tshark"):
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.run(self.command(args, program), capture_output=True, timeout=timeout, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(f"{program} {' '.join(map(str, args))} exited {proc.returncode}:\n"
                                 f"{proc.stderr.decode(errors='replace')[-3000:]}")
        return proc

    def popen(self, args, env=None, program="tshark", **kw):
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.Popen(self.command(args, program), env=full_env, **kw)


@pytest.fixture(scope="session")
def tshark(workdir):
    if not (PLUGIN_DIR).exists() and os.environ.get("ES_PLUGIN_INSTALLED") != "1":
        pytest.fail(f"plugin not built: {PLUGIN_DIR} missing (build first, or set ES_BUILD_DIR)")
    home = workdir / "home"
    home.mkdir(mode=0o777, exist_ok=True)
    os.chmod(home, 0o777)
    return Tshark(home)


_engines = {}


@pytest.fixture(scope="session")
def engine(workdir):
    """engine(name): the session's real engine of that name (es8, es7, os2,
    ...), started on first use and stopped at the end; skipped where
    tests/engines has no such engine."""

    def get(name):
        if name not in _engines:
            if not available(name):
                pytest.skip(f"no {name} engine in tests/engines")
            _engines[name] = Engine(name, workdir).start()
        return _engines[name]

    yield get
    for e in _engines.values():
        e.stop()
    _engines.clear()


@pytest.fixture(scope="session")
def cluster(engine):
    """The cluster documents go to: ES_URL if set, else a real
    Elasticsearch 8 node for the whole session."""
    return from_environment() or engine("es8")


@pytest.fixture
def faulty(engine):
    """faulty(seed=0, **faults): the fault proxy (tests/esserver/faultproxy.py)
    in front of the session's real Elasticsearch 8 node (its .upstream),
    stopped after the test."""
    started = []

    def start(**faults):
        proxy = FaultProxy(engine("es8"), **faults).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def prefix(request, engine):
    """An index prefix of this test's own, from its name: indices named
    PREFIX-..., cleaned from the session's Elasticsearch 8 node before and
    after the test."""
    name = "it-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    node = engine("es8")
    node.clean(name + "-")
    yield name
    node.clean(name + "-")


FIGURES = []


@pytest.fixture(scope="session")
def figures():
    """figures(line): a measured figure, printed at the end of the run (the
    numbers the README and the issues quote come from there)."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
