# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/wireshark-es-index: parallel runs give the same documents as one
run, the total is the sum of the runs, files the cluster has are skipped,
failures are named and make the exit status non-zero, the progress line
appears only on a terminal.  Documents go to a real Elasticsearch 8."""

import gzip
import os
import re
import shutil
import signal
import struct
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, SHARED
from helpers import capinfos_frames
from cli import tshark_wrapper

SCRIPT = ROOT / "scripts" / "wireshark-es-index"
CAPTURES = SHARED / "captures"
# The script's total and the runs' lines (-v) share the plugin's format.
COUNTS = re.compile(r"(\d+) frames: (\d+) indexed, (\d+) already present, (\d+) rejected, (\d+) dropped, "
                    r"(\d+) not exported; (\d+) requests \((\d+) failed, (\d+) items retried\)")
TOTAL = re.compile(r"^wireshark-es-index: (\d+) files \((\d+) indexed, (\d+) skipped as already in the "
                   r"cluster or empty, (\d+) failed(?:, \d+ interrupted)?\): (.*)$", re.M)


def index(args, wrapper, node, timeout=900, env=None):
    cmd = [str(SCRIPT), "--tshark", str(wrapper), "--node", node, *args]
    full_env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)


def total(out):
    m = TOTAL.search(out)
    assert m, f"no total line in:\n{out[-3000:]}"
    files = dict(zip(("files", "indexed", "skipped", "failed"), map(int, m.groups()[:4])))
    return files, tuple(map(int, COUNTS.search(m.group(5)).groups()))


def per_file(out):
    """{path: counters} from the -v lines."""
    runs = {}
    for line in out.splitlines():
        m = COUNTS.search(line)
        if m and not line.startswith("wireshark-es-index:"):
            runs[line.split(": ", 1)[0]] = tuple(map(int, m.groups()))
    return runs


@pytest.fixture(scope="module")
def wrapper(tshark, workdir):
    return tshark_wrapper(tshark, workdir)


def readable_copy(workdir, name, files):
    """A directory the test user can read, with files {relative path: bytes}."""
    d = workdir / name
    shutil.rmtree(d, ignore_errors=True)
    for rel, data in files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for root, dirs, names in os.walk(d):
        os.chmod(root, 0o755)
        for n in names:
            os.chmod(os.path.join(root, n), 0o644)
    return d


def test_help_and_bad_arguments(wrapper):
    help_ = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True)
    assert help_.returncode == 0
    for word in ("--jobs", "--node", "ES_PASSWORD", "ES_API_KEY", "Exit status", "capture id"):
        assert word in help_.stdout
    cases = [
        (["-j", "0", str(CAPTURES)], "-j"),
        (["/nonexistent/captures"], "/nonexistent/captures"),
        (["--node", "ftp://h:21", str(CAPTURES)], "--node"),
        (["-X", "es.node=file:/tmp/x.ndjson", str(CAPTURES)], "es.node"),
        (["-X", "node=h:9200", str(CAPTURES)], "-X node=h:9200"),
        (["--tshark", "/no/tshark", str(CAPTURES)], "--tshark"),
    ]
    for args, named in cases:
        proc = index(args, wrapper, "http://127.0.0.1:19699")
        assert proc.returncode == 2, (args, proc.stderr)
        assert named in proc.stderr, (args, proc.stderr)
    env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    proc = subprocess.run([str(SCRIPT), "--tshark", str(wrapper), str(CAPTURES)], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 2 and "--node: no node given" in proc.stderr


def test_unreachable_cluster(wrapper):
    proc = index([str(CAPTURES)], wrapper, "http://127.0.0.1:19699")
    assert proc.returncode == 3
    assert "cannot reach the cluster" in proc.stderr and "connection refused" in proc.stderr


def documents(cluster, index_name):
    return {d["_id"]: d["_source"] for d in cluster.docs(index_name)}


def test_parallel_runs_give_the_same_documents(cluster, wrapper, record_property):
    """-j 1 and -j 2 over ../shared/captures: every frame indexed once, the
    same documents, the total equal to the sum of the runs; the times of
    both runs are printed (the speed-up on this machine's cores)."""
    expected = sum(capinfos_frames(p) for p in CAPTURES.glob("*.pcap*"))
    docs, times = {}, {}
    for jobs in (1, 2):
        name = f"it-index-j{jobs}"
        cluster.delete(name)
        started = time.monotonic()
        proc = index(["-v", "-j", str(jobs), "-X", f"es.index={name}", str(CAPTURES)], wrapper, cluster.url)
        times[jobs] = time.monotonic() - started
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        files, counts = total(proc.stdout)
        runs = per_file(proc.stdout)
        assert files["failed"] == 0 and files["indexed"] + files["skipped"] == files["files"]
        assert counts == tuple(map(sum, zip(*runs.values())))
        assert counts[0] == counts[1] == expected
        docs[jobs] = documents(cluster, name)
        assert len(docs[jobs]) == expected
    assert docs[1] == docs[2]
    print(f"\nwireshark-es-index over {CAPTURES} ({expected} frames): -j 1 {times[1]:.1f} s, "
          f"-j 2 {times[2]:.1f} s, speed-up {times[1] / times[2]:.2f}x on {os.cpu_count()} cores")
    record_property("index_seconds", times)


def test_capture_ids_are_the_plugins(cluster, wrapper):
    """The script's capture ids (which decide what is skipped) are those the
    plugin writes, for plain, gzipped and large (> 2 MiB) files."""
    big = SHARED / "bench" / "http50k.pcapng"
    d = readable_copy(wrapper.parent, "capid", {
        "a.pcapng.gz": gzip.compress((ROOT / "tests" / "captures" / "sample.pcapng").read_bytes()),
        "b.pcap": (CAPTURES / "dns-tcp.pcap").read_bytes(),
        "c.pcapng": big.read_bytes()[:1500000],
    })
    listed = index(["--dry-run", "-X", "es.index=it-index-capid", str(d)], wrapper, cluster.url)
    assert listed.returncode == 0, listed.stderr
    ids = {line.split()[-1]: line.split()[1] for line in listed.stdout.splitlines()}
    assert len(ids) == 3
    for path, capid in ids.items():
        out = subprocess.run([str(wrapper), "-r", path, "-c", "1", "-q", "-X", "es.node=-", "-X", "es.raw=false"],
                             capture_output=True, text=True, check=True).stdout
        assert f'"es.capture_id":"{capid}"' in out, (path, out[:500])


def delete_where(cluster, index_name, query):
    """Deletes the matching documents (by id: the engine has no
    _delete_by_query module)."""
    status, res = cluster.request("POST", f"/{index_name}/_search", {"size": 10000, "query": query, "_source": False})
    assert status == 200, res
    body = "".join(f'{{"delete":{{"_index":"{index_name}","_id":"{h["_id"]}"}}}}\n' for h in res["hits"]["hits"])
    status, res = cluster.request("POST", "/_bulk?refresh=true", body.encode(),
                                  headers={"Content-Type": "application/x-ndjson"})
    assert status == 200 and not res["errors"], res


def test_resume_skips_what_the_cluster_has(cluster, wrapper):
    name = "it-index-resume"
    cluster.delete(name)
    d = readable_copy(wrapper.parent, "resume", {
        p.name: p.read_bytes() for p in sorted(CAPTURES.glob("*.pcap"))[:12]})
    first = index(["-X", f"es.index={name}", str(d)], wrapper, cluster.url)
    assert first.returncode == 0, first.stderr
    files, counts = total(first.stdout)
    indexed = counts[1]

    again = index(["-X", f"es.index={name}", str(d)], wrapper, cluster.url)
    assert again.returncode == 0, again.stderr
    files, counts = total(again.stdout)
    assert files["skipped"] == files["files"] == 12 and counts[0] == 0

    # One capture removed, half of another: only those two run again.
    listing = index(["--dry-run", "-X", f"es.index={name}", str(d)], wrapper, cluster.url).stdout.splitlines()
    rows = [line.split() for line in listing if int(line.split()[2]) > 3]
    gone, half = rows[0], rows[1]
    delete_where(cluster, name, {"term": {"es.capture_id": gone[1]}})
    delete_where(cluster, name, {"bool": {"filter": [{"term": {"es.capture_id": half[1]}},
                                                     {"range": {"frame.number": {"gt": int(half[4]) // 2}}}]}})
    resumed = index(["-v", "-X", f"es.index={name}", str(d)], wrapper, cluster.url)
    assert resumed.returncode == 0, resumed.stderr
    files, counts = total(resumed.stdout)
    assert set(per_file(resumed.stdout)) == {gone[-1], half[-1]}
    assert counts[0] == int(gone[4]) + int(half[4])
    assert counts[2] == int(half[4]) // 2            # already present
    assert cluster.count(name) == indexed


def test_failures_are_named_and_fail_the_run(cluster, wrapper):
    """A damaged capture among good ones (one gzipped, in a subdirectory):
    the good ones are indexed, the bad one is named, the exit status is 1;
    files that are not captures are not picked up from directories."""
    name = "it-index-fail"
    cluster.delete(name)
    pcap_header = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    damaged = pcap_header + struct.pack("<IIII", 0, 0, 0xfffffff0, 60) + b"x" * 100
    d = readable_copy(wrapper.parent, "failing", {
        "sub/deeper/dns.pcap.gz": gzip.compress((CAPTURES / "dns-tcp.pcap").read_bytes()),
        "sub/http.pcap": (CAPTURES / "http-simple-get.pcap").read_bytes(),
        "damaged.pcap": damaged,
        "notes.txt": b"not a capture\n",
    })
    proc = index(["-X", f"es.index={name}", str(d)], wrapper, cluster.url)
    assert proc.returncode == 1
    assert f"{d / 'damaged.pcap'}: failed:" in proc.stderr and "damaged or corrupt" in proc.stderr
    files, counts = total(proc.stdout)
    assert files == {"files": 3, "indexed": 2, "skipped": 0, "failed": 1}
    good = capinfos_frames(CAPTURES / "dns-tcp.pcap") + capinfos_frames(CAPTURES / "http-simple-get.pcap")
    assert counts[1] == good and cluster.count(name) == good


def test_a_bad_setting_stops_the_run(cluster, wrapper):
    """Every run would fail the same way: the script stops after the first
    ones instead of failing each file."""
    proc = index(["-j", "2", "-X", "es.no_such_setting=1", str(CAPTURES)], wrapper, cluster.url)
    assert proc.returncode == 1
    assert "es.no_such_setting: unknown setting" in proc.stderr
    assert proc.stderr.count(": failed:") <= 2
    assert "files not indexed (run again to continue)" in proc.stderr


def test_progress_line_only_on_a_terminal(cluster, wrapper):
    name = "it-index-progress"
    cluster.delete(name)
    args = ["-j", "2", "-X", f"es.index={name}", "--force", str(CAPTURES)]
    quiet = index(args, wrapper, cluster.url)
    assert quiet.returncode == 0
    assert "\r" not in quiet.stderr and " running, " not in quiet.stderr
    # What every run says about the cluster comes once.
    assert all(quiet.stderr.count(line) == 1 for line in quiet.stderr.splitlines()), quiet.stderr

    cmd = " ".join([str(SCRIPT), "--tshark", str(wrapper), "--node", cluster.url, *args])
    log = wrapper.parent / "progress.typescript"
    tty = subprocess.run(["script", "-qec", cmd, str(log)], capture_output=True, timeout=900,
                         env={k: v for k, v in os.environ.items() if k != "ES_URL"})
    assert tty.returncode == 0
    screen = log.read_bytes().decode(errors="replace")
    lines = [s for s in screen.split("\r") if re.match(r"\d+/\d+ files, [\d.]+/[\d.]+ MB, \d+ indexed, "
                                                          r"\d+ running, \d+ failed, \d+:\d\d", s)]
    assert len(lines) >= 3, screen[-2000:]
    assert "\x1b[K" in screen                       # each redraw clears the rest of the line
    assert TOTAL.search(screen.replace("\x1b[K", "").replace("\r", "\n"))


def test_interrupt_ends_the_runs_and_reports(cluster, wrapper):
    """Ctrl-C (SIGINT to the script): the running tshark processes end
    cleanly, the total covers them, the exit status is 130.  Whether the
    first file was done by then depends on the machine (a file takes about
    3 s into an idle engine): the files still to do are counted from the
    total."""
    name = "it-index-interrupt"
    cluster.delete(name)
    big = SHARED / "bench" / "http50k.pcapng"
    d = readable_copy(wrapper.parent, "interrupt", {f"{i}.pcapng": big.read_bytes() for i in range(3)})
    proc = subprocess.Popen([str(SCRIPT), "--tshark", str(wrapper), "--node", cluster.url, "-j", "1",
                             "-X", f"es.index={name}", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    files, counts = total(out)
    assert counts[0] > 0 and counts[0] == counts[1] + counts[2]
    assert files["indexed"] < 3 and "1 interrupted)" in out, out
    assert f"stopped; {3 - files['indexed']} files not indexed (run again to continue)" in err, err


def test_interrupt_while_tshark_starts(cluster, wrapper):
    """Ctrl-C before the plugin can take it (tshark still registering its
    dissectors: it dies of the signal, with no summary): an interruption,
    status 130, the file left to run again, not a failed file."""
    name = "it-index-interrupt-start"
    cluster.delete(name)
    d = readable_copy(wrapper.parent, "interrupt-start", {"0.pcapng": (SHARED / "bench" / "dns.pcapng").read_bytes()})
    proc = subprocess.Popen([str(SCRIPT), "--tshark", str(wrapper), "--node", cluster.url, "-j", "1",
                             "-X", f"es.index={name}", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while subprocess.run(["pgrep", "-f", f"{d}/0.pcapng"], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline and proc.poll() is None, "tshark never started"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)  # the script's tshark is starting
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "failed" not in err, err
    assert "stopped; 1 files not indexed (run again to continue)" in err, err


def test_installed_script_finds_its_module(workdir):
    """Installed as CMake installs it (bin/ and share/wireshark-es/), the
    script runs from anywhere.  Only the tools' component: the plugin's
    destination is Wireshark's global folder whatever the prefix."""
    prefix = workdir / "prefix"
    subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(prefix), "--component", "tools"],
                   check=True, capture_output=True)
    proc = subprocess.run([str(prefix / "bin" / "wireshark-es-index"), "--help"], capture_output=True, text=True,
                          cwd="/")
    assert proc.returncode == 0 and "--jobs" in proc.stdout, proc.stderr
