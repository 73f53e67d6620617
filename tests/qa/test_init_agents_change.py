"""agentops.yaml says "re-run `agentops init` after changing" the agents; doing so used to
report the generated issue form as a user-edited conflict (exit 1, --force needed). A form
init itself wrote is now brought up to date; a form the user edited still is not."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from agentops.commands.init import CONFLICT, ISSUE_FORM, UPDATED, InitOptions, run
from agentops.context import Context
from agentops.output import Output


def _ctx(cwd: Path) -> Context:
    return Context(env={}, cwd=cwd, output=Output(out=io.StringIO(), err=io.StringIO(), env={}),
                   sleep=lambda s: None)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    run(InitOptions(labels=False), _ctx(root))
    (root / "agentops.yaml").write_text(
        "version: 1\nagents:\n  - name: scripted\n    backend: command\n    command: [./fix.sh]\n")
    return root


def test_rerun_after_changing_agents_updates_the_generated_form(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    result = run(InitOptions(labels=False), _ctx(root))
    actions = {f.path: f.action for f in result.files}
    assert actions[ISSUE_FORM] == UPDATED
    assert not result.conflicts
    form = (root / ISSUE_FORM).read_text()
    assert '"scripted"' in form and '"claude"' not in form


def test_a_hand_edited_form_still_needs_force(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    path = root / ISSUE_FORM
    edited = path.read_text().replace("A work order for an agentops coding agent.", "Our own words.")
    path.write_text(edited)
    result = run(InitOptions(labels=False), _ctx(root))
    assert {f.path: f.action for f in result.files}[ISSUE_FORM] == CONFLICT
    assert path.read_text() == edited
