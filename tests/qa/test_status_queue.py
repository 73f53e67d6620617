"""`agentops status` lists tasks only: the task-queue document also holds `tasks`' sync
bookkeeping (`sync:owner/repo`, `deps:closed`), which used to show up as tasks with status
"unknown"."""

from __future__ import annotations

import io
from pathlib import Path

from agentops.commands import status
from agentops.context import Context
from agentops.orchestrator import records as tasks
from agentops.output import Output
from agentops.settings import Config
from agentops.state import docs
from agentops.state.store import Store


def test_status_skips_sync_records(tmp_path: Path) -> None:
    store = Store(tmp_path / "state", writer="qa")
    store.put(docs.TASK_QUEUE, "acme/app#1", {"status": "ready", "title": "fix add", "priority": "high"})
    store.put(docs.TASK_QUEUE, tasks.sync_key("acme/app"), {"etag": 'W/"abc"', "since": "2026-01-01T00:00:00Z"})
    store.put(docs.TASK_QUEUE, tasks.DEPS_KEY, {"closed": ["other/lib#3"]})
    out = Output(json_mode=True, out=io.StringIO(), err=io.StringIO(), env={})
    ctx = Context(env={}, cwd=tmp_path, output=out, config_override=Config(), store_override=store)

    result = status.run(status.StatusOptions(), ctx)

    assert [t["key"] for t in result.tasks] == ["acme/app#1"]
    assert result.task_counts == {"ready": 1}


def test_status_key_rule_matches_tasks() -> None:
    for key in ("acme/app#1", "sync:acme/app", "deps:closed", "o/r#12", "sync:o/r#1"):
        assert status._is_task_key(key) == tasks.is_task_key(key), key
