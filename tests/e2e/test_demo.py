"""`agentops demo` as a user runs it: the installed CLI in a subprocess, end to end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_S = 600  # a guard against a hang: a loaded 2-core machine may take minutes, never a timing
ALL_STEPS = ["setup", "issue", "scout", "tasks", "claim", "code", "test", "merge", "deploy", "report"]


def _demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentops", "demo", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT_S, env=dict(os.environ))


def _port_open(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (the demo folder: every process the
    demo starts runs a script from there or has it as an argument)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if text in cmd and "State:\tZ" not in status:
            found.append(f"{entry.name}: {cmd}")
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")
def test_demo_json_runs_every_step_and_leaves_nothing_running(tmp_path: Path) -> None:
    t0 = time.monotonic()
    res = _demo("--json", "--keep", "--workdir", str(tmp_path / "w"), cwd=tmp_path)
    wall = time.monotonic() - t0
    assert res.returncode == 0, res.stderr[-4000:]
    doc: dict[str, Any] = json.loads(res.stdout)  # exactly one JSON document on stdout
    steps = {s["name"]: s for s in doc["steps"]}
    assert [s["name"] for s in doc["steps"]] == ALL_STEPS
    assert doc["ok"] is True and doc["exit_code"] == 0
    for s in doc["steps"]:
        assert s["ok"] is True and s["status"] == "ok", s
    assert steps["setup"]["figures"]["baseline"].startswith("2 of 4 tests fail")
    assert steps["code"]["figures"]["status"] == "pr-opened"
    assert steps["code"]["figures"]["agent_kind"] == "scripted fix (demo backend, not an AI)"
    assert steps["test"]["figures"]["passed"] is True and steps["test"]["figures"]["failures"] == 0
    assert steps["test"]["figures"]["commit_status"] == "success"
    assert steps["merge"]["figures"]["merged"] is True
    assert steps["merge"]["figures"]["issue_state"] == "closed"
    assert steps["deploy"]["figures"]["status"] == "succeeded"
    assert steps["deploy"]["figures"]["service_mean_1_2_3"] == 2.0
    assert steps["report"]["figures"]["deployments"] == 1
    assert steps["report"]["figures"]["tasks_completed"] == 1
    assert steps["report"]["figures"]["prs_merged"] == 1
    # Labelled as scripted on the human channel, and no secret in either channel.
    assert "scripted fix (demo backend, not an AI)" in res.stderr
    assert "ghp_" not in res.stdout and "ghp_" not in res.stderr

    # Nothing left running: service and emulator ports closed, the service pid gone, no process
    # started from the demo folder.
    folder = Path(doc["folder"])
    assert doc["kept"] is True and folder.is_dir() and folder.parent == (tmp_path / "w").resolve()
    assert doc["cleanup"] == {"service_stopped": True, "emulator_stopped": True, "folder_removed": False,
                              "left_running": []}
    assert not _port_open(doc["service_url"])
    assert not _port_open(doc["emulator_url"])
    assert not _alive(int(steps["deploy"]["figures"]["service_pid"]))
    assert _processes_mentioning(str(folder)) == []

    # What it says to look at exists and is the record of the run.
    state = Path(doc["where_to_look"]["state"])
    assert (state / "orchestrator" / "task-queue.json").is_file()
    deploys = [json.loads(line) for line in (state / "logs" / "deployments.jsonl").read_text().splitlines()]
    assert [d["status"] for d in deploys] == ["succeeded"]
    assert (folder / "report.md").read_text().startswith("## Agent Ops report")
    print(f"demo wall time: {doc['wall_s']}s (process {wall:.1f}s)")


def test_demo_removes_its_folder_without_keep(tmp_path: Path) -> None:
    work = tmp_path / "w"
    res = _demo("--json", "--workdir", str(work), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    doc = json.loads(res.stdout)
    assert doc["kept"] is False and doc["cleanup"]["folder_removed"] is True
    assert not Path(doc["folder"]).exists()
    assert list(work.iterdir()) == []
    assert doc["folder"] in res.stderr  # it said where it was working


def _small_pipe() -> tuple[int, int]:
    """A pipe holding one page: a writer that gets 4 KiB ahead of its reader blocks."""
    import fcntl

    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)  # Linux; the minimum
    return r, w


def _read_line(fd: int) -> bytes:
    """One line, byte by byte: nothing past it is taken out of the pipe."""
    line = b""
    while not line.endswith(b"\n"):
        b = os.read(fd, 1)
        if not b:
            break
        line += b
    return line


# (line after which the signal is sent, signal). The demo writes into a one-page pipe the test stops
# reading at that line, so it blocks at most 4 KiB further on: the signal lands mid-run however busy
# the machine is (waiting on that event, not on time), in a step or in a print.
POINTS = [("==> [1/10]", signal.SIGTERM), ("✓ code:", signal.SIGTERM), ("✓ test:", signal.SIGINT),
          ("✓ deploy:", signal.SIGTERM), ("✓ deploy:", signal.SIGINT)]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc")
@pytest.mark.parametrize(("point", "sig"), POINTS, ids=[f"{p.split()[-1].strip(':')}-{s.name}" for p, s in POINTS])
def test_demo_interrupted_mid_run_stops_everything_and_says_each_line_once(tmp_path: Path, point: str,
                                                                           sig: signal.Signals) -> None:
    work = tmp_path / "w"
    work.mkdir()
    r, w = _small_pipe()
    p = subprocess.Popen([sys.executable, "-m", "agentops", "demo", "--workdir", str(work)], cwd=tmp_path,
                         stdout=subprocess.DEVNULL, stderr=w, env={**os.environ, "COLUMNS": "80"})
    os.close(w)
    raw = b""
    try:
        while True:
            line = _read_line(r)
            raw += line
            if not line or line.decode(errors="replace").startswith(point):
                break
        assert line, f"the demo ended before {point!r}:\n{raw.decode(errors='replace')[-4000:]}"
        p.send_signal(sig)
        while chunk := os.read(r, 65536):  # drain: the demo finishes its print, then stops
            raw += chunk
        p.wait(timeout=TIMEOUT_S)  # a guard against a hang, not a timing
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
            p.wait()
    err = raw.decode(errors="replace")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert p.returncode == 130, err[-3000:]
    # Each line once: no step header or result printed twice, nothing repeated back to back.
    steps = [ln for ln in lines if ln.startswith(("==> [", "✓ "))]
    assert len(steps) == len(set(steps)), err[-3000:]
    assert not [a for a, b in zip(lines, lines[1:], strict=False) if a == b], err[-3000:]
    assert lines.count("cleanup: service stopped, emulator stopped, folder removed") == 1, err[-3000:]
    assert lines.count("error: interrupted") == 1, err[-3000:]
    assert list(work.iterdir()) == []
    assert _processes_mentioning(str(work)) == []
