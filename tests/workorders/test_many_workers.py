"""16 worker processes claim from 40 ready tasks through one emulator: each task exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from agentops.domain.claims import CLAIMED_LABEL, live_claims
from agentops.domain.markers import Authors

# The worker: the real `agentops claim --agent aN --json` entry point in a loop (shared with the
# contention benchmark, so the figure and this test measure the same thing).
from benchmarks.claims import WORKER

from .conftest import REPO, form_body

N_WORKERS = 16
N_TASKS = 40


def test_sixteen_workers_claim_forty_tasks_exactly_once(emulator: Any, repo: str, tmp_path: Path) -> None:
    numbers = [emulator.state.create_issue(REPO, f"task {i}", form_body(), labels=("agent-task",))
               for i in range(N_TASKS)]
    agents = "\n".join(f"  - name: a{i}\n    max_concurrent: {N_TASKS}" for i in range(1, N_WORKERS + 1))
    config = tmp_path / "agentops.yaml"
    config.write_text(f"version: 1\nagents:\n{agents}\nclaims:\n  settle_seconds: 0.2\n", encoding="utf-8")
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    procs = []
    for i in range(1, N_WORKERS + 1):
        env = dict(os.environ)
        env.update({"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
                    "AGENTOPS_WORKER_ID": f"worker-{i}", "AGENTOPS_STATE_DIR": str(tmp_path / f"state-{i}"),
                    "AGENTOPS_CONFIG": str(config), "AGENTOPS_MUTATION_INTERVAL": "0"})
        out = tmp_path / f"out-{i}.json"
        procs.append((out, subprocess.Popen([sys.executable, str(script), f"a{i}", str(out)], env=env,
                                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    for _out, p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode(errors="replace")[-3000:]

    claimed: list[str] = []
    for out, _p in procs:
        for r in json.loads(out.read_text()):
            assert r["code"] in (0, 4), r
            if r["doc"].get("claimed"):
                claimed.append(r["doc"]["claimed"]["key"])
    lost = sum(len(r["doc"].get("lost") or ()) for out, _p in procs for r in json.loads(out.read_text())
               if r["code"] == 0)
    print(f"claims: {len(claimed)}, races lost and moved on: {lost}")
    counts = Counter(claimed)
    assert sorted(counts) == sorted(f"{REPO}#{n}" for n in numbers)
    assert max(counts.values()) == 1, [k for k, v in counts.items() if v > 1]

    # GitHub agrees: one live claim comment per issue, the claimed label on each.
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    for n in numbers:
        issue = emulator.state.issue(emulator.state.repo(REPO), n)
        live = live_claims([(c.id, c.body, c.author) for c in issue.comments], now, Authors.of(["agentops-bot"]))
        assert len(live) == 1, (n, [c.body for c in issue.comments])
        assert CLAIMED_LABEL in issue.labels
