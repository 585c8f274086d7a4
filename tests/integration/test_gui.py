# SPDX-License-Identifier: GPL-2.0-or-later
"""The Wireshark GUI under Xvfb: with the preference ticked, opening a capture
exports every frame; the Tools › Elasticsearch menu, driven with xdotool,
exports a capture opened with export off, shows the server's numbers and
names a wrong node.  What a window shows is read the way a user copies it
(Ctrl+A, Ctrl+C in the window, then the X clipboard through xclip).  With
ES_SCREENSHOTS=DIR the tests save the README's screenshots there."""

import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest

from conftest import SHARED
from helpers import capinfos_frames

CAPTURE = SHARED / "captures" / "dns-tcp.pcap"

# Where Qt puts things on the 1280x900 Xvfb screen without a window manager:
# the main window at its default place, menus sorted by name.
TOOLS_MENU = (555, 30)
ELASTICSEARCH_ITEM = (606, 105)
MENU_ITEMS = {name: (778, 104 + 25 * i) for i, name in enumerate(["Export now", "Open in Kibana", "Status",
                                                                      "Test connection"])}


def write_prefs(home, prefs_text):
    prefs = home / ".config" / "wireshark"
    prefs.mkdir(parents=True, exist_ok=True)
    (prefs / "preferences").write_text("# written by the test, as the Preferences dialog would\n" +
                                       prefs_text + "gui.update.enabled: FALSE\n")
    (prefs / "recent_common").write_text("privs.warn_if_elevated: FALSE\n")
    for root, dirs, files in os.walk(home):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), "nobody")
    shutil.chown(home, "nobody")
    os.chmod(home, 0o700)
    return home


@pytest.fixture
def gui_home(workdir, cluster):
    if not shutil.which("wireshark") or not shutil.which("xvfb-run"):
        pytest.skip("wireshark-qt and xvfb are needed")
    return write_prefs(workdir / "gui-home", f"es.enabled: TRUE\nes.node: {cluster.url}\n"
                                             "es.index: it-gui-%Y.%m.%d\n")


def display_number():
    """An X display of this test run's own, from its port range."""
    low = int(os.environ.get("ES_TEST_PORTS", "19000-19099").split("-")[0])
    return 100 + low // 1000


class Gui:
    """Wireshark (as nobody) on an Xvfb display, driven with xdotool."""

    def __init__(self, tshark, home, capture, env=None):
        for tool in ("wireshark", "Xvfb", "xdotool", "xclip", "import"):
            if not shutil.which(tool):
                pytest.skip(f"{tool} is needed")
        self.display = f":{display_number()}"
        self.env = dict(os.environ, DISPLAY=self.display)
        self.xvfb = subprocess.Popen(["Xvfb", self.display, "-ac", "-screen", "0", "1280x900x24"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        self.home = home
        gui = tshark.__class__(home)
        self.log = open(home.parent / f"{home.name}.log", "wb")
        self.proc = gui.popen(["-r", str(capture)], program="wireshark",
                              env={"DISPLAY": self.display, "XDG_RUNTIME_DIR": str(home), **(env or {})},
                              stdout=self.log, stderr=subprocess.STDOUT)
        self.main = self.wait_window(capture.name)
        time.sleep(3)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.xvfb.terminate()
        self.xvfb.wait(timeout=10)
        self.log.close()

    def xdotool(self, *args):
        return subprocess.run(["xdotool", *map(str, args)], env=self.env, capture_output=True, text=True,
                              timeout=30).stdout

    def wait_window(self, name, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.xdotool("search", "--name", name).split()
            if found:
                return found[-1]
            time.sleep(0.5)
        raise AssertionError(f"no window named {name!r} appeared")

    def click(self, xy):
        # Qt menus follow the pointer: arrive, then click.
        self.xdotool("mousemove", xy[0] - 4, xy[1] - 2, "sleep", 0.3, "mousemove", *xy, "sleep", 0.3, "click", 1)
        time.sleep(0.5)

    def open_elasticsearch_menu(self):
        self.click(TOOLS_MENU)
        self.click(ELASTICSEARCH_ITEM)

    def choose(self, item):
        self.open_elasticsearch_menu()
        self.click(MENU_ITEMS[item])

    def geometry(self, window):
        out = self.xdotool("getwindowgeometry", window)
        x, y = map(int, re.search(r"Position: (\d+),(\d+)", out).groups())
        w, h = map(int, re.search(r"Geometry: (\d+)x(\d+)", out).groups())
        return x, y, w, h

    def window_text(self, window):
        """The text of a funnel text window, as Ctrl+A, Ctrl+C copies it."""
        x, y, w, h = self.geometry(window)
        subprocess.run(["xclip", "-selection", "clipboard", "-i", "/dev/null"], env=self.env, timeout=10)
        self.click((x + w // 2, y + h // 3))
        self.xdotool("key", "ctrl+a", "sleep", 0.2, "key", "ctrl+c")
        time.sleep(0.5)
        return subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=self.env, capture_output=True,
                              text=True, timeout=10).stdout

    def press_button(self, window, offset_from_right):
        """A button of a funnel text window's bottom row (Close: 52 px from the right)."""
        x, y, w, h = self.geometry(window)
        self.click((x + w - offset_from_right, y + h - 24))

    def screenshot(self, name, crop="940x640+0+0"):
        folder = os.environ.get("ES_SCREENSHOTS")
        if folder:
            path = pathlib.Path(folder).resolve() / name
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["import", "-window", "root", "-crop", crop, str(path)], env=self.env,
                           check=True, timeout=30)


@pytest.fixture
def gui(tshark, workdir, request):
    started = []

    def start(prefs_text, capture=CAPTURE, env=None):
        home = write_prefs(workdir / f"gui-{request.node.name}", prefs_text)
        started.append(Gui(tshark, home, capture, env))
        return started[-1]

    yield start
    for g in started:
        g.stop()


def field(text, label):
    m = re.search(rf"^{label}:\s+(\d+)", text, re.M)
    assert m, f"no {label!r} in the window:\n{text}"
    return int(m.group(1))


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


def test_gui_export_now_and_status(gui, cluster):
    """Export off: Export now sends the open capture; Status shows what the
    server holds; a second Export now duplicates nothing."""
    cluster.delete("wsgui-*")
    frames = capinfos_frames(CAPTURE)
    g = gui(f"es.enabled: FALSE\nes.node: {cluster.url}\nes.index: wsgui-%Y.%m.%d\n")
    time.sleep(2)
    assert cluster.count("wsgui-*") == 0, "export was off: nothing may be sent at opening"
    g.open_elasticsearch_menu()
    g.screenshot("tools-menu.png")
    g.click(MENU_ITEMS["Export now"])
    done = g.wait_window("export now")
    deadline = time.time() + 30
    while time.time() < deadline and cluster.count("wsgui-*") < frames:
        time.sleep(0.5)
    assert cluster.count("wsgui-*") == frames
    g.press_button(done, 52)

    g.choose("Status")
    status = g.wait_window("status")
    time.sleep(1)
    g.screenshot("status.png")
    text = g.window_text(status)
    assert "Export:           off" in text
    assert field(text, "Indexed") == cluster.count("wsgui-*") == frames
    assert field(text, "Exported") == frames
    assert field(text, "Rejected") == field(text, "Dropped") == field(text, "Queued") == 0
    assert "Server:           Elasticsearch" in text
    g.press_button(status, 52)

    g.choose("Export now")
    again = g.wait_window("export now")
    time.sleep(2)
    assert cluster.count("wsgui-*") == frames
    text = g.window_text(again)
    assert field(text, "Indexed") + field(text, "Already present") + field(text, "Queued") == frames
    assert field(text, "Indexed") == 0


def test_gui_test_connection_names_wrong_node(gui, cluster):
    low = int(os.environ.get("ES_TEST_PORTS", "19000-19099").split("-")[0])
    wrong = f"http://127.0.0.1:{low + 7}"   # in this run's range, nothing listens there
    # A template of the name the exporter would use, for other indices.
    status, _ = cluster.request("PUT", "/_index_template/wireshark-es-it-gui-conn",
                                {"index_patterns": ["it-other-conn-*"], "priority": 1})
    assert status == 200
    g = gui(f"es.enabled: FALSE\nes.node: {cluster.url},{wrong}\nes.index: it-gui-conn-%Y.%m.%d\n")
    started = time.time()
    g.choose("Test connection")
    window = g.wait_window("test connection")
    deadline = time.time() + 20
    text = ""
    while time.time() < deadline and wrong not in text:
        time.sleep(1)
        text = g.window_text(window)
    assert f"PROBLEM {wrong}: unreachable" in text, text
    assert re.search(rf"^OK {re.escape(cluster.url)}: Elasticsearch \d+\.\d+", text, re.M), text
    assert ("PROBLEM template wireshark-es-it-gui-conn differs: it applies to it-other-conn-*, documents go to "
            "it-gui-conn-*") in text, text
    cluster.request("DELETE", "/_index_template/wireshark-es-it-gui-conn")
    assert time.time() - started < 30
    x, y, w, h = g.geometry(window)
    g.click((x + w // 2, y + h // 3))   # clears the selection the copy made
    g.screenshot("test-connection.png")


def test_gui_preference_page(gui, cluster, tshark):
    """Every setting has a description (what Wireshark shows as the
    preference's tooltip and writes into its preferences file); the page
    under Edit › Preferences › Protocols › ES Export is the screenshot."""
    out = tshark.run(["-G", "defaultprefs"]).stdout.decode()
    blocks = re.findall(r"((?:^#.*\n)+?)^#?(es\.[a-z_]+):", out, re.M)
    assert len(blocks) >= 30
    for comment, name in blocks:
        description = comment.strip().splitlines()[0].lstrip("# ")
        assert len(description.split()) >= 4, f"{name}: {description!r}"

    g = gui(f"es.enabled: FALSE\nes.node: {cluster.url}\n")
    g.click((78, 30))                     # Edit
    g.click((134, 566))                   # Preferences…
    prefs = g.wait_window("Preferences")
    g.xdotool("windowsize", prefs, 1240, 860)
    time.sleep(1)
    g.click((64, 156))                    # Protocols
    g.xdotool("key", "Right", "sleep", 1, "type", "--delay", 40, "ES Export")
    time.sleep(1.5)
    g.xdotool("mousemove", 340, 85)       # the node setting: its description shows as a tooltip
    time.sleep(2.5)
    g.screenshot("preferences.png", crop="1240x860+0+0")


def apply_display_filter(g, text):
    g.click((300, 95))
    g.xdotool("key", "ctrl+a", "type", "--delay", 30, text)
    g.xdotool("key", "Return")
    time.sleep(2)


def test_gui_open_in_kibana(gui, cluster, tshark, workdir):
    """The browser (a fake xdg-open recording its argument) gets Discover
    with the capture's time range and the display filter as a query; a
    filter with no query equivalent is left out, and the window says so."""
    fakebin = workdir / "fakebin"
    fakebin.mkdir(exist_ok=True)
    urls = fakebin / "urls.txt"
    urls.write_text("")
    os.chmod(urls, 0o666)
    opener = fakebin / "xdg-open"
    opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> {urls}\n")
    opener.chmod(0o755)
    times = tshark.run(["-r", str(CAPTURE), "-T", "fields", "-e", "frame.time_epoch"]).stdout.split()
    first, last = float(times[0]), float(times[-1])
    g = gui(f"es.enabled: FALSE\nes.node: {cluster.url}\nes.index: it-gui-kb-%Y.%m.%d\n"
            "es.kibana_url: http://kibana.test:5601/\n",
            env={"PATH": f"{fakebin}:{os.environ['PATH']}"})
    apply_display_filter(g, "dns && ip.src == 10.2.95.39")
    g.choose("Open in Kibana")
    window = g.wait_window("open in Kibana")
    deadline = time.time() + 10
    while time.time() < deadline and not urls.read_text():
        time.sleep(0.5)
    url = urls.read_text().split()[0]
    start = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(first)) + f".{int(first * 1000) % 1000:03d}Z"
    assert url.startswith(f"http://kibana.test:5601/app/discover#/?_g=(time:(from:'{start}',to:'"), url
    assert "index:'it-gui-kb-*'" in url
    assert "type:custom" in url and "'ip.src':'10.2.95.39'" in url and "alias:'dns%20%26%26%20ip.src" in url, url
    assert url in g.window_text(window)
    g.press_button(window, 52)

    apply_display_filter(g, "frame[0:2] == 00:00")
    g.choose("Open in Kibana")
    window = g.wait_window("open in Kibana")
    time.sleep(2)
    url = urls.read_text().split()[-1]
    assert "filters" not in url and "index:'it-gui-kb-*'" in url, url
    text = g.window_text(window)
    assert "cannot be translated" in text and "frame[0:2]" in text, text
