"""A signal that interrupts `proc.run` (Ctrl-C, or `work`'s SIGTERM handler raising) ends the
child's whole process group: it runs in its own session, so nothing else would, and an
orphaned coding agent would keep editing a worktree whose claim was just released."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from agentops import proc


class _Stop(Exception):
    pass


@pytest.fixture
def raising_usr1() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    old = signal.signal(signal.SIGUSR1, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGUSR1, old)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its state letter in /proc says it is gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_interrupted_run_kills_the_child_group(tmp_path: Path, raising_usr1: None) -> None:
    pids = tmp_path / "pids"
    script = tmp_path / "agent.py"
    # The child starts a grandchild (as an agent CLI would) and records both pids.
    script.write_text(
        "import os, subprocess, sys, time\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{g.pid}}')\n"
        "time.sleep(600)\n"
    )

    def interrupt_when_started() -> None:
        while not (pids.exists() and pids.read_text()):  # the event: both processes are up
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGUSR1)

    threading.Thread(target=interrupt_when_started, daemon=True).start()
    # _Stop (not a timeout) proves the signal ended the run; the timeout only guards against a hang.
    with pytest.raises(_Stop):
        proc.run([sys.executable, str(script)], timeout=600)
    child, grandchild = (int(p) for p in pids.read_text().split())
    deadline = time.monotonic() + 120  # a guard for a failing run, far beyond any reaping delay
    while (_alive(child) or _alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the agent process outlived the interrupted run"
    assert not _alive(grandchild), "the agent's own child outlived the interrupted run"
