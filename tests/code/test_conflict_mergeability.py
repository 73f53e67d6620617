"""`code --pr N --resolve-conflicts` when GitHub has not worked out `mergeable` yet (null): it
re-reads a bounded number of times, and never says "no merge conflicts" about a PR it could not see.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agentops.commands.code import CodeOptions, run
from agentops.errors import Unavailable
from agentops.orchestrator.mergeability import MERGEABLE_READS
from agentops.state import docs
from tests.code.conftest import REPO, CodeEnv
from tests.fixtures.gitrepo import git


def _open_pr(env: CodeEnv) -> int:
    env.fakes.script(edits={"feature.txt": "on\n"})
    opened = run(CodeOptions(issue=env.issue(), agent="claude", repo=REPO), env.ctx())
    assert opened.status == "pr-opened" and opened.pr is not None, opened.reason
    return opened.pr


def _conflict_on_main(env: CodeEnv, tmp: Path) -> None:
    """Someone lands a different feature.txt on main: the PR no longer merges."""
    other = tmp / "other"
    git(tmp, "clone", "-q", env.bare.as_uri(), str(other))
    (other / "feature.txt").write_text("off\n")
    git(other, "add", "feature.txt")
    git(other, "-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-qm", "feature off")
    git(other, "push", "-q", "origin", "HEAD:main")


def test_mergeable_still_null_is_unknown_and_retryable_never_no_conflicts(code_env: CodeEnv, tmp_path: Path) -> None:
    pr = _open_pr(code_env)
    code_env.emulator.state.set_mergeable_lag(REPO, 100)  # GitHub is slow to work it out
    waits: list[float] = []
    ctx = dataclasses.replace(code_env.ctx(), sleep=waits.append)
    calls = len(code_env.fakes.calls())
    with pytest.raises(Unavailable) as raised:
        run(CodeOptions(pr=pr, resolve_conflicts=True, repo=REPO), ctx)
    assert raised.value.exit_code == 3
    assert "mergeable" in raised.value.message and "null" in raised.value.message
    assert len(waits) == MERGEABLE_READS - 1 and waits == sorted(waits)  # bounded, backing off
    assert len(code_env.fakes.calls()) == calls  # no agent ran, no round was counted
    assert not any((rec.get("rounds") or {}).get(str(pr)) for rec in ctx.store.records(docs.progress(REPO)).values())


def test_a_conflict_github_reports_after_a_few_reads_gets_its_round(code_env: CodeEnv, tmp_path: Path) -> None:
    pr = _open_pr(code_env)
    _conflict_on_main(code_env, tmp_path)
    code_env.emulator.state.set_mergeable_lag(REPO, MERGEABLE_READS - 1)  # known on the last read
    waits: list[float] = []
    ctx = dataclasses.replace(code_env.ctx(), sleep=waits.append)
    code_env.fakes.script(edits={"feature.txt": "on\n"})
    r = run(CodeOptions(pr=pr, resolve_conflicts=True, repo=REPO), ctx)
    assert r.status != "skipped", r.reason
    assert len(waits) == MERGEABLE_READS - 1
    assert "has merge conflicts" in code_env.fakes.calls()[-1]["prompt"]


def test_a_clean_pr_is_no_conflict_once_github_knows(code_env: CodeEnv) -> None:
    pr = _open_pr(code_env)
    code_env.emulator.state.set_mergeable_lag(REPO, 1)
    r = run(CodeOptions(pr=pr, resolve_conflicts=True, repo=REPO), code_env.ctx())
    assert r.status == "skipped" and "no merge conflicts" in (r.reason or "")
