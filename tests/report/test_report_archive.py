"""`report` counts the tasks finished in its window from the live queue and from the archive that
keeps the live queue small (months before the window are never opened)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from agentops.commands.report import ReportOptions, json_document, run
from agentops.context import Context
from agentops.output import Output
from agentops.settings import Config
from agentops.state import docs
from agentops.state.store import Store

NOW = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)


def test_report_reads_finished_tasks_from_the_archive(tmp_path: Path) -> None:
    state = tmp_path / "state"

    def at(day: int, month: int = 6) -> Store:
        return Store(state, writer="w", clock=lambda: dt.datetime(2026, month, day, tzinfo=dt.UTC))

    done = {"repo": "o/r", "state": "closed", "status": "done", "completed": True}
    at(2).put(docs.TASK_QUEUE, "o/r#1", {**done, "number": 1})  # finished in the window, archived below
    at(3).put(docs.TASK_QUEUE, "o/r#2", {**done, "number": 2})  # finished in the window, archived below
    at(10, month=3).put(docs.TASK_QUEUE, "o/r#3", {**done, "number": 3})  # before the window
    at(28).put(docs.TASK_QUEUE, "o/r#4", {**done, "number": 4})  # still in the live queue
    at(28).put(docs.TASK_QUEUE, "o/r#5", {"repo": "o/r", "state": "open", "status": "ready", "number": 5})
    at(29).put(docs.TASK_QUEUE, "x/y#6", {**done, "repo": "x/y", "number": 6})  # another repository
    store = Store(state, writer="w", clock=lambda: NOW)
    moved = store.archive(docs.TASK_QUEUE, docs.TASKS_ARCHIVE, before=NOW - dt.timedelta(days=7),
                          done=lambda _k, d: d.get("state") == "closed")
    assert moved == 3 and sorted(p.name for p in (state / "archive").glob("*.jsonl")) == ["tasks-2026-03.jsonl",
                                                                                     "tasks-2026-06.jsonl"]
    (state / "archive" / "tasks-2026-03.jsonl").write_text("not json\n")  # never opened: outside the window

    ctx = Context(env={}, cwd=tmp_path, output=Output(out=io.StringIO(), err=io.StringIO(), env={}),
                  clock=lambda: NOW, sleep=lambda s: None, config_override=Config(), store_override=store)
    res = run(ReportOptions(since="30d", repo="o/r", offline=True), ctx)
    assert (res.tasks.completed_in_window, res.tasks.from_archive) == (3, 2)
    assert json_document(res)["tasks"] == {"completed_in_window": 3, "from_archive": 2}
    everything = run(ReportOptions(since="30d", offline=True), ctx)
    assert everything.tasks.completed_in_window == 4
