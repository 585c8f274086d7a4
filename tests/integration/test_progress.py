# SPDX-License-Identifier: GPL-2.0-or-later
"""tshark's live progress line: on a terminal (a pseudo-terminal made by
script(1)) it is redrawn a few times a second and cleared before the
summary; without a terminal, or when packets are printed on the same
terminal, or with TERM=dumb, there is none."""

import os
import re
import shlex
import subprocess

from conftest import SHARED

BIG = SHARED / "bench" / "http50k.pcapng"
LINE = re.compile(r"wireshark-es: (\d+) frames \((\d+)/s\), (\d+) indexed, (\d+) errors, (\d+) retries, "
                  r"(\d+) queued\x1b\[K")


def on_terminal(tshark, args, workdir, env=None, columns=200):
    """tshark's output on a pseudo-terminal of that width, as the terminal
    received it."""
    log = workdir / "progress.typescript"
    cmd = f"stty cols {columns} rows 40; exec " + shlex.join(tshark.command(args))
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run(["script", "-qec", cmd, str(log)], capture_output=True, timeout=600, env=full_env)
    assert proc.returncode == 0, log.read_text(errors="replace")[-2000:]
    return log.read_bytes().decode(errors="replace")


def test_progress_line_on_a_terminal(tshark, cluster, workdir):
    cluster.delete("it-progress")
    screen = on_terminal(tshark, ["-r", str(BIG), "-q", "-X", f"es.node={cluster.url}",
                                  "-X", "es.index=it-progress"], workdir)
    lines = [tuple(map(int, m.groups())) for m in LINE.finditer(screen)]
    assert len(lines) >= 3, screen[-2000:]
    frames = [line[0] for line in lines]
    assert frames == sorted(frames) and frames[-1] > 0
    assert any(line[2] > 0 for line in lines)                 # documents came in while it ran
    assert all(line[3] == 0 and line[4] == 0 for line in lines)
    # Each redraw starts at the line's beginning; the line is cleared
    # before the summary, which is whole.
    assert screen.count("\rwireshark-es: ") >= len(lines)
    assert re.search(r"\r\x1b\[Kwireshark-es: 50000 frames: 50000 indexed", screen), screen[-1000:]


def test_progress_line_fits_a_narrow_terminal(tshark, cluster, workdir):
    screen = on_terminal(tshark, ["-r", str(BIG), "-q", "-X", f"es.node={cluster.url}",
                                  "-X", "es.index=it-progress"], workdir, columns=50)
    drawn = re.findall(r"\r(wireshark-es: \d+ frames[^\r\x1b]*)\x1b\[K", screen)
    assert len(drawn) >= 3 and all(len(d) == 49 for d in drawn[1:]), drawn[:5]


def test_no_progress_line_without_a_terminal(tshark, workdir):
    out = workdir / "no-tty.ndjson"
    proc = tshark.run(["-r", str(BIG), "-q", "-X", f"es.node=file:{out}"])
    err = proc.stderr.decode()
    assert "\r" not in err and "\x1b" not in err and " frames (" not in err
    assert err.startswith("wireshark-es: 50000 frames: 50000 indexed") and err.count("\n") == 1


def test_no_progress_line_among_packet_lines_or_on_a_dumb_terminal(tshark, workdir):
    small = SHARED / "captures" / "dns-tcp.pcap"
    out = workdir / "tty.ndjson"
    # tshark prints its packet list on the same terminal: no line there.
    screen = on_terminal(tshark, ["-r", str(small), "-X", f"es.node=file:{out}"], workdir)
    assert "Standard query" in screen and not LINE.search(screen)
    screen = on_terminal(tshark, ["-r", str(BIG), "-q", "-X", f"es.node=file:{out}"], workdir,
                         env={"TERM": "dumb"})
    assert not LINE.search(screen) and "wireshark-es: 50000 frames: 50000 indexed" in screen
