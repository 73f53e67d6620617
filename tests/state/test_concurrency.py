"""Many processes, one document: no lost update, and no torn file after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from agentops.state import docs
from agentops.state.store import Store

WORKER = r"""
import sys
from agentops.state.store import Store

root, wid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(root, writer=wid)
print("ready", flush=True)
sys.stdin.readline()  # the gate: every worker starts writing when the test says "go"

def bump(d):
    c = d.get("counter") or {"n": 0, "by": {}}
    c["n"] += 1
    c["by"][wid] = c["by"].get(wid, 0) + 1
    d.put("counter", c)
    last = d.get(wid) or {"seen": []}
    d.put(wid, {"seen": last["seen"] + [i]})

for i in range(n):
    store.update("orchestrator/metrics", bump)
    store.append("agent-actions", {"worker": wid, "i": i})
"""

KILLED = r"""
import os, sys
from agentops.state.store import Store

store = Store(sys.argv[1], writer="k")
i = 0
while True:
    i += 1
    # A large, growing record makes each write long enough to be interrupted midway.
    store.put("orchestrator/task-queue", f"k{i % 50}", {"i": i, "pad": "x" * (i % 5000)})
    store.append("costs", {"i": i, "pad": "y" * (i % 3000)})
    if i < 64:  # a pipe-sized few events: the writer never blocks on its reader
        os.write(1, b"wrote\n")
"""


def _spawn(code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def test_eight_processes_lose_no_update(tmp_path: Path) -> None:
    root, procs, per = tmp_path / "state", 8, 100
    workers = [_spawn(WORKER, str(root), f"w{k}", str(per)) for k in range(procs)]
    for w in workers:  # each has imported and waits at the gate: the writes really overlap
        assert w.stdout is not None and w.stdout.readline().strip() == b"ready", w.communicate()
    for w in workers:
        assert w.stdin is not None
        w.stdin.write(b"go\n")
        w.stdin.flush()
    for w in workers:
        _, err = w.communicate(timeout=600)  # a guard against a hang, not a timing
        assert w.returncode == 0, err.decode()
    records = Store(root, writer="check").records(docs.METRICS)
    assert records["counter"]["n"] == procs * per
    assert records["counter"]["by"] == {f"w{k}": per for k in range(procs)}
    assert {k: v["seen"] for k, v in records.items() if k != "counter"} == {f"w{k}": list(range(per))
                                                                            for k in range(procs)}
    events = list(Store(root, writer="check").read_log(docs.AGENT_ACTIONS))
    assert len(events) == procs * per
    assert {(e["worker"], e["i"]) for e in events} == {(f"w{k}", i) for k in range(procs) for i in range(per)}


def test_sigkill_mid_write_never_leaves_an_unparseable_file(tmp_path: Path) -> None:
    root = tmp_path / "state"
    doc = root / "orchestrator" / "task-queue.json"
    for round_ in range(5):
        proc = _spawn(KILLED, str(root))
        assert proc.stdout is not None
        # Wait for events, not time: the writer's (1 + 3 * round)-th write landed. It keeps writing
        # while the kill is on its way, so each round ends at another point of its write loop.
        for _ in range(1 + 3 * round_):
            assert proc.stdout.readline() == b"wrote\n", proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=600)  # a guard against a hang, not a timing
        assert proc.returncode == -signal.SIGKILL
        raw = json.loads(doc.read_text())  # parses: the write was atomic
        assert raw["schema_version"] == 1 and raw["records"]
        store = Store(root, writer="check", warn=lambda _m: None)
        assert store.records(docs.TASK_QUEUE)
        list(store.read_log(docs.COSTS))  # a torn tail is skipped, never an error
    # The store keeps working after the crashes (stale lock files do not block: flock dies with the process).
    Store(root, writer="after", lock_timeout=2).put(docs.TASK_QUEUE, "after", {"ok": True})
    Store(root, writer="after", lock_timeout=2).append(docs.COSTS, {"after": True})
    assert list(Store(root, writer="c").read_log(docs.COSTS))[-1]["after"] is True
