"""`agentops play`: one pass that starts a backlog (all ready tasks, a label's, a milestone's) up to
the configured parallelism, never twice, and shows each task's pipeline stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentops.commands.play import PlayOptions, PlayResult
from agentops.commands.play import run as play
from agentops.errors import BadInput
from agentops.state import docs

from .conftest import MAINTAINER, REPO, Hub, config, form


def _play(hub: Hub, **kw: Any) -> PlayResult:
    return play(PlayOptions(repo=REPO, **kw), hub.ctx())


def _issue(hub: Hub, title: str, *, labels: tuple[str, ...] = (), milestone: str | None = None,
           **form_kw: Any) -> int:
    return int(hub.state.create_issue(REPO, title, form(**form_kw), author=MAINTAINER,
                                      labels=["agent-task", *labels], milestone=milestone))


def _code_runs(hub: Hub) -> list[tuple[int, int]]:
    return [(int(d["inputs"]["issue"]), int(d["inputs"]["attempt"])) for d in hub.dispatches()
            if d["inputs"].get("mode") == "code"]


def test_play_dispatches_up_to_parallelism_in_wave_then_priority_order_once(hub: Hub) -> None:
    hub.cfg = config(max_parallel=2)
    low = hub.task("low", priority="low")
    crit = hub.task("crit", priority="critical")
    high = hub.task("high", priority="high")
    dep = hub.task("after crit", priority="critical", deps=f"#{crit}")
    r = _play(hub)
    assert [d.issue for d in r.dispatched] == [crit, high]  # dep waits for crit (a later wave); low for a slot
    assert _code_runs(hub) == [(crit, 1), (high, 1)]
    rows = {t.number: t for t in r.tasks}
    assert [t.number for t in r.tasks] == [low, crit, high, dep]
    assert rows[crit].stage == rows[high].stage == "authoring" and rows[crit].agent in ("a1", "a2")
    assert rows[low].stage == "queued" and rows[dep].stage == "blocked"
    assert r.waiting == (f"{REPO}#{low}",) and r.stages == {"authoring": 2, "queued": 1, "blocked": 1}

    again = _play(hub)
    assert again.dispatched == () and again.in_flight == 2
    assert _code_runs(hub) == [(crit, 1), (high, 1)]  # nothing new: one run per task + attempt


def test_label_selects_the_backlog_and_in_flight_work_elsewhere_still_counts(hub: Hub) -> None:
    hub.cfg = config(max_parallel=2)
    other = hub.task("other", priority="critical")
    hub.deliver("issues", hub.issue_payload("opened", other))  # the router started it: one slot taken
    a = _issue(hub, "a", labels=("sprint-1",), priority="low")
    b = _issue(hub, "b", labels=("sprint-1", "backend"), priority="high")
    c = _issue(hub, "c", priority="critical")
    r = _play(hub, labels=("Sprint-1",))  # label names match as GitHub does, case aside
    assert [d.issue for d in r.dispatched] == [b]  # one free slot, the higher priority first
    assert {t.number for t in r.tasks} == {a, b} and c not in _dict_issues(_code_runs(hub))
    both = _play(hub, labels=("sprint-1", "backend"))
    assert [t.number for t in both.tasks] == [b] and both.dispatched == ()


def _dict_issues(runs: list[tuple[int, int]]) -> set[int]:
    return {n for n, _ in runs}


def test_milestone_selects_the_backlog(hub: Hub) -> None:
    a = _issue(hub, "a", milestone="v1.0")
    _issue(hub, "b", milestone="v2.0")
    c = _issue(hub, "c")
    r = _play(hub, milestone="v1.0")
    assert [t.number for t in r.tasks] == [a] and [d.issue for d in r.dispatched] == [a]
    assert hub.ctx().store.get(docs.TASK_QUEUE, f"{REPO}#{a}")["milestone"] == "v1.0"
    assert c not in _dict_issues(_code_runs(hub))


@pytest.mark.parametrize("kw, named", [
    ({"labels": ("no-such-label",)}, "--label 'no-such-label'"),
    ({"milestone": "v9"}, "--milestone 'v9'"),
    ({"labels": ("sprint-1",), "milestone": "v9"}, "--milestone 'v9'"),
    ({"labels": ("",)}, "--label"),
    ({"milestone": "two\nlines"}, "--milestone"),
])
def test_selection_matching_nothing_is_bad_input_and_dispatches_nothing(hub: Hub, kw: dict[str, Any],
                                                                        named: str) -> None:
    _issue(hub, "a", labels=("sprint-1",), milestone="v1.0")
    with pytest.raises(BadInput) as err:
        _play(hub, **kw)
    assert named in err.value.message
    assert hub.dispatches() == []


def test_stage_follows_the_pr_and_its_rounds(hub: Hub) -> None:
    n = hub.task("t")
    _play(hub)
    ctx = hub.ctx()
    ctx.store.put(docs.progress(REPO), str(n), {"pr": 40, "status": "pr-opened"})
    ctx.store.put(docs.progress(REPO), "pr-40", {"pr": 40, "head_sha": "abc",
                                                 "rounds_log": [{"kind": "ci", "trigger": "workflow_run:9"}]})

    def add_round(doc: Any) -> None:
        rec = doc.get(f"{REPO}#{n}")
        rec["rounds"] = {"fix-ci:abc": {"pr": 40, "mode": "fix-ci"}, "review:abc": {"pr": 40, "mode": "review"}}
        doc.put(f"{REPO}#{n}", rec)

    ctx.store.update(docs.TASK_QUEUE, add_round)
    [row] = _play(hub).tasks
    assert (row.stage, row.pr, row.rounds, row.max_rounds) == ("fixing CI", 40, 1, 3)


def _env(hub: Hub) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "AGENTOPS_"))}
    (hub.tmp / "agentops.yaml").write_text(
        "version: 1\nagents:\n  - name: a1\n    max_concurrent: 5\nclaims:\n  settle_seconds: 0\n"
        "dispatch:\n  max_parallel: 1\n  workflow: agentops-code.yml\n", encoding="utf-8")
    env.update({"GITHUB_API_URL": hub.emulator.url, "GH_TOKEN": hub.emulator.token, "GITHUB_REPOSITORY": REPO,
                "AGENTOPS_STATE_DIR": str(hub.tmp / "cli-state"), "AGENTOPS_CONFIG": str(hub.tmp / "agentops.yaml"),
                "COLUMNS": "80"})
    return env


def _run(hub: Hub, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentops", *args], env=_env(hub), cwd=hub.tmp, text=True,
                          capture_output=True, timeout=120, check=False)


def test_cli_json_table_and_exit_codes(hub: Hub, tmp_path: Path) -> None:
    a = hub.task("Refactor the configuration loader so every error names its file, line and field")
    b = hub.task("second")
    p = _run(hub, "play", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [d["issue"] for d in doc["dispatched"]] == [a] and doc["max_parallel"] == 1
    assert [(t["number"], t["stage"]) for t in doc["tasks"]] == [(a, "authoring"), (b, "queued")]
    assert set(doc["tasks"][0]) >= {"key", "stage", "agent", "pr", "rounds", "max_rounds"}

    p = _run(hub, "play")
    assert p.returncode == 0, p.stderr
    assert "nothing new to dispatch" in p.stderr and all(len(line) <= 80 for line in p.stderr.splitlines() if line[:1] in "┏┃┡│└")
    assert any(f"#{a} │ Refactor" in line and "authoring" in line for line in p.stderr.splitlines())

    p = _run(hub, "play", "--milestone", "nope", "--json")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--milestone 'nope'" in json.loads(p.stdout)["error"]["message"]
    assert len(hub.dispatches()) == 1


def test_plan_shows_each_tasks_stage(hub: Hub) -> None:
    from agentops.commands.plan import PlanOptions
    from agentops.commands.plan import run as plan

    a = hub.task("a", priority="critical")
    b = hub.task("b", deps=f"#{a}")
    _play(hub)
    r = plan(PlanOptions(repos=(REPO,)), hub.ctx())
    stages = {t.key: t.stage for w in r.waves for t in w}
    assert stages == {f"{REPO}#{a}": "authoring", f"{REPO}#{b}": "blocked"}
