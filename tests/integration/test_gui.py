# SPDX-License-Identifier: GPL-2.0-or-later
"""The Wireshark GUI under Xvfb with the preference ticked: opening a capture
exports every frame."""

import os
import shutil
import subprocess
import time

import pytest

from conftest import SHARED
from helpers import capinfos_frames

CAPTURE = SHARED / "captures" / "dns-tcp.pcap"


@pytest.fixture
def gui_home(workdir, cluster):
    if not shutil.which("wireshark") or not shutil.which("xvfb-run"):
        pytest.skip("wireshark-qt and xvfb are needed")
    home = workdir / "gui-home"
    prefs = home / ".config" / "wireshark"
    prefs.mkdir(parents=True, exist_ok=True)
    (prefs / "preferences").write_text(
        "# written by the test, as the Preferences dialog would\n"
        "es.enabled: TRUE\n"
        f"es.node: {cluster.url}\n"
        "es.index: it-gui-%Y.%m.%d\n"
        "gui.update.enabled: FALSE\n")
    (prefs / "recent_common").write_text("privs.warn_if_elevated: FALSE\n")
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), "nobody")
    shutil.chown(home, "nobody")
    os.chmod(home, 0o700)
    return home


def test_gui_exports_opened_capture(tshark, cluster, gui_home, workdir):
    cluster.delete("it-gui-*")
    frames = capinfos_frames(CAPTURE)
    shot = workdir / "gui.png"
    script = (f"wireshark -r {CAPTURE} & pid=$!; sleep 12; "
              f"import -window root {shot} 2>/dev/null; kill $pid; wait $pid")
    gui = tshark.__class__(gui_home)
    proc = gui.popen(["-a", "-s", "-screen 0 1280x900x24", "sh", "-c", script], program="xvfb-run",
                     env={"XDG_RUNTIME_DIR": str(gui_home)},
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and cluster.count("it-gui-*") < frames:
            time.sleep(0.5)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    docs = cluster.docs("it-gui-*")
    assert len(docs) == frames
    assert sorted(d["_source"]["frame.number"] for d in docs) == list(range(1, frames + 1))
    assert {d["_source"]["es.capture"] for d in docs} == {CAPTURE.name}
