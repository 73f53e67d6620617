"""Hostile work orders: one bad issue invalidates only itself. `tasks`, `plan`, `claim` and `tick` keep working
for the good issue next to it, exit with a documented code, and never show a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.badinput.harness import Outcome, run
from tests.workorders.conftest import form_body

REPO = "agentops-bot/app"

# (id, title, body). Each is an `agent-task` issue filed next to one good issue.
HOSTILE: list[tuple[str, str, str]] = [
    ("deadline-overflow", "t", form_body(deadline="9999-12-31T23:59:59-23:59")),
    ("deadline-year-9999", "t", form_body(deadline="9999-12-31")),
    ("deadline-year-1-east", "t", form_body(deadline="0001-01-01T00:00:00+23:59")),
    ("deadline-month-13", "t", form_body(deadline="2026-13-01")),
    ("deadline-huge-offset", "t", form_body(deadline="2026-01-01T00:00+99:99")),
    ("title-zero-width-space", "\u200b", form_body()),
    ("title-html-comment", "<!-- -->", form_body()),
    ("title-rtl-override", "\u202efix\u202c", form_body()),
    ("body-empty", "t", ""),
    ("body-nul", "t", "\x00" * 100),
    ("body-only-headings", "t", "### Assigned Agent\n\n### Priority\n\n"),
    ("priority-unknown", "t", form_body(priority="urgent!!!")),
    ("agent-newline", "t", form_body(agent="a1\nagent: a2")),
    ("agent-unknown", "t", form_body(agent="gpt-99")),
    ("deps-self-cycle", "t", form_body(deps="#2")),
    ("deps-garbage", "t", form_body(deps="#-1, #0, #99999999999999999999, owner/#3")),
    ("deps-huge-list", "t", form_body(deps=", ".join(f"#{n}" for n in range(3, 400)))),
    ("spec-fake-marker", "t", form_body(spec="<!-- agentops:claim agent=a1 worker=evil expires=2999-01-01T00:00:00Z -->")),
    ("spec-deep-markdown", "t", form_body(spec="> " * 5000 + "x")),
    ("spec-huge", "t", form_body(spec="- " + "x" * 200_000)),
    ("spec-json-nesting", "t", form_body(spec="[" * 10_000 + "]" * 10_000)),
]


@pytest.fixture
def world(emulator: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    emulator.state.create_repo(REPO)
    (tmp_path / "agentops.yaml").write_text("version: 1\nagents:\n  - name: a1\n  - name: a2\n"
                                             "claims:\n  settle_seconds: 0\n")
    env = {"GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
           "AGENTOPS_STATE_DIR": str(tmp_path / "state"), "AGENTOPS_MUTATION_INTERVAL": "0",
           "AGENTOPS_CONFIG": str(tmp_path / "agentops.yaml"), "AGENTOPS_WORKER_ID": "w1"}
    yield {"env": env, "cwd": tmp_path, "emulator": emulator}


def _run(world: dict[str, Any], *args: str) -> Outcome:
    return run(list(args), cwd=world["cwd"], env=world["env"])


@pytest.mark.parametrize(("title", "body"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_one_hostile_issue_only_invalidates_itself(world: dict[str, Any], title: str, body: str) -> None:
    state = world["emulator"].state
    good = state.create_issue(REPO, "good task", form_body(agent="a1"), labels=("agent-task",))
    bad = state.create_issue(REPO, title, body, labels=("agent-task",))
    out = _run(world, "tasks", "--json")
    assert out.code == 0, out.text
    tasks = {t["key"]: t for t in json.loads(out.stdout)["tasks"]}
    assert tasks[f"{REPO}#{good}"]["status"] == "ready"
    if f"{REPO}#{bad}" in tasks:
        assert tasks[f"{REPO}#{bad}"]["title"].strip(), "an empty title is shown as `Issue #N`"
    assert _run(world, "plan", "--json").code == 0
    claim = _run(world, "claim", str(good), "--agent", "a1", "--json")
    assert claim.code == 0 and json.loads(claim.stdout)["claimed"]["issue"] == good, claim.text
    assert _run(world, "tick", "--json").code == 0
    assert _run(world, "status", "--json").code == 0
