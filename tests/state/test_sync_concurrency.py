"""`state sync` while another agentops process of the same clone writes state, a state left
locked, and per-run files from two machines."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from agentops.errors import ExitCode, Unavailable
from agentops.git.sync import install_merge_driver, sync_state
from agentops.state import docs
from agentops.state.lock import locked
from agentops.state.store import Store
from tests.fixtures.gitrepo import git

# Rewrites the task queue (and appends to a log) as fast as it can until told to stop.
WRITER = r"""
import sys
from pathlib import Path
from agentops.state.store import Store

root, stop = Path(sys.argv[1]), Path(sys.argv[2])
store = Store(root, writer="busy")
n = 0
while not stop.exists():
    n += 1
    store.put("orchestrator/task-queue", "busy", {"n": n})
    store.append("agent-actions", {"action": "busy", "n": n})
    if n == 1:
        print("ready", flush=True)
print(n, flush=True)
"""


def no_sleep(_s: float) -> None:
    pass


@pytest.fixture
def pair(clone: Callable[..., Path]) -> tuple[Path, Path]:
    a, b = clone(name="a"), clone(name="b")
    install_merge_driver(a)
    Store(a / "state", writer="a").put(docs.TASK_QUEUE, "t", {"v": 0})
    git(a, "add", ".gitattributes", "state/.gitignore")
    git(a, "commit", "-q", "-m", "agentops merge attributes")
    sync_state(a, a / "state", sleep=no_sleep)
    git(b, "pull", "-q", "--no-rebase")
    install_merge_driver(b)
    return a, b


def test_sync_while_another_process_writes_the_same_clone(pair: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = pair
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(a / "state"), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        for round_ in range(4):
            # The remote moves on (another machine), so every sync has to merge into the busy clone.
            Store(b / "state", writer="b").put(docs.TASK_QUEUE, f"from-b-{round_}", {"v": round_})
            sync_state(b, b / "state", sleep=no_sleep)
            res = sync_state(a, a / "state", sleep=no_sleep, retries=8)
            assert res.pushed and res.merges >= 1
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0
    final = int(out.strip().splitlines()[-1])
    sync_state(a, a / "state", sleep=no_sleep)
    recs = Store(a / "state", writer="check").records(docs.TASK_QUEUE)
    assert recs["busy"] == {"n": final}  # no write of the busy process was lost
    assert all(recs[f"from-b-{i}"] == {"v": i} for i in range(4))
    assert git(a, "status", "--porcelain", "--untracked-files=no", "--", "state") == ""


def test_sync_exits_3_when_the_state_stays_locked(pair: tuple[Path, Path]) -> None:
    a, _ = pair
    store = Store(a / "state", writer="a")
    store.put(docs.TASK_QUEUE, "t", {"v": 1})
    with locked(store.path(docs.TASK_QUEUE)), pytest.raises(Unavailable) as err:
        sync_state(a, a / "state", sleep=no_sleep, lock_timeout=0.3)
    assert err.value.exit_code == ExitCode.UNAVAILABLE
    assert "task-queue.json.lock" in str(err.value)
    assert sync_state(a, a / "state", sleep=no_sleep).pushed  # retry once the writer is done


def test_two_machines_writing_a_run_file_of_the_same_name_still_sync(pair: tuple[Path, Path]) -> None:
    """Per-run files carry the worker id; any other state path merges by union, never conflicts."""
    a, b = pair
    for clone_, worker in ((a, "alpha"), (b, "beta")):
        folder = clone_ / "state" / "agents" / "o" / "r" / "transcripts"
        folder.mkdir(parents=True)
        (folder / f"{docs.run_file_stem('1-1', worker)}.log").write_text(f"{worker} ran\n")
        (folder / "notes.txt").write_text(f"{worker} notes\n")  # same path on both: union, no conflict
    sync_state(a, a / "state", sleep=no_sleep)
    res = sync_state(b, b / "state", sleep=no_sleep)
    assert res.pushed and res.merges == 1
    folder = b / "state" / "agents" / "o" / "r" / "transcripts"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{docs.run_file_stem('1-1', 'alpha')}.log", f"{docs.run_file_stem('1-1', 'beta')}.log", "notes.txt"])
    assert sorted((folder / "notes.txt").read_text().splitlines()) == ["alpha notes", "beta notes"]
