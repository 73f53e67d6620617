"""`agentops state show` with a mistyped document name is exit 2 naming what exists (it used
to print `{}` and exit 0, as if the document were empty); a known document not written yet
is still shown empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agentops.state import docs
from agentops.state.store import Store


def _show(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_", "AGENTOPS_"))}
    env["AGENTOPS_STATE_DIR"] = str(tmp_path / "state")
    return subprocess.run([sys.executable, "-m", "agentops", "state", "show", *args, "--json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)


def test_typo_is_bad_input_listing_documents(tmp_path: Path) -> None:
    Store(tmp_path / "state", writer="qa").put(docs.TASK_QUEUE, "acme/app#1", {"status": "ready"})
    proc = _show(tmp_path, "orchestrator/task-queu")
    assert proc.returncode == 2
    err = json.loads(proc.stdout)["error"]
    assert "orchestrator/task-queu" in err["message"] and "orchestrator/task-queue" in err["hint"]
    assert "Traceback" not in proc.stderr


def test_a_log_name_points_at_the_log(tmp_path: Path) -> None:
    proc = _show(tmp_path, "deployments")
    assert proc.returncode == 2
    assert "logs/deployments.jsonl" in json.loads(proc.stdout)["error"]["hint"]


def test_known_documents_show_empty_and_present_ones_their_records(tmp_path: Path) -> None:
    empty = _show(tmp_path, docs.METRICS)
    assert empty.returncode == 0 and json.loads(empty.stdout)["records"] == {}
    Store(tmp_path / "state", writer="qa").put(docs.TASK_QUEUE, "acme/app#1", {"status": "ready"})
    full = _show(tmp_path, docs.TASK_QUEUE)
    assert full.returncode == 0 and json.loads(full.stdout)["records"]["acme/app#1"]["status"] == "ready"
