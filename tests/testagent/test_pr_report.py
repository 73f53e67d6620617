
"""`agentops test --pr N` against the emulator: checkout by PR number, one sticky comment and one
status across re-runs, changed-lines coverage from the real diff, review fallback on 422."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops import settings as C
from agentops.commands.test import TestOptions, run
from agentops.domain.markers import find_marker
from agentops.settings import Config, GateConfig, RepositoryConfig
from agentops.state import docs
from tests.fixtures.github import make_test_context

REPO = "agentops-bot/proj"
COV_SCRIPT = '''import json, sys
json.dump({"files": {"pkg/mod.py": {"executed_lines": [1, 2], "missing_lines": [3]},
                     "pkg/old.py": {"executed_lines": [1, 2, 3, 4], "missing_lines": []}}}, open(sys.argv[1], "w"))
'''


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _setup(emulator: Any, tmp_path: Path, *, author: str = "agentops-bot", failing: bool = True) -> tuple[Path, int]:
    repo = emulator.state.create_repo(REPO, files={
        "pyproject.toml": "[tool.pytest.ini_options]\n", "tests/test_ok.py": "def test_ok():\n    assert True\n",
        "pkg/old.py": "a = 1\nb = 2\nc = 3\nd = 4\n", "cov.py": COV_SCRIPT,
    })
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.bare_path), str(clone)], check=True)
    _git(clone, "checkout", "-q", "-b", "feature")
    (clone / "pkg" / "mod.py").write_text("x = 1\ny = 2\nz = 3\n")
    body = "def test_new():\n    assert 1 == 2\n" if failing else "def test_new():\n    assert 2 == 2\n"
    (clone / "tests" / "test_new.py").write_text(body)
    _git(clone, "add", ".")
    _git(clone, "commit", "-qm", "feature")
    _git(clone, "push", "-q", "origin", "feature")
    _git(clone, "checkout", "-q", "main")  # the PR head must come from the fetch, not the local branch
    if author != "agentops-bot":
        emulator.state.add_user(author)
        emulator.state.set_permission(REPO, author, "write")
    number = emulator.state.create_pull(REPO, "Feature", head="feature", base="main", author=author)
    return clone, number


def _config(**test: Any) -> Config:
    gates = (
        GateConfig(name="pytest", run=(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                        "--junitxml={reports}/j.xml"), junit=("{reports}/j.xml",)),
        GateConfig(name="coverage", run=(sys.executable, "cov.py", "{reports}/coverage.json"),
                   coverage="{reports}/coverage.json"),
    )
    return Config(repositories=(RepositoryConfig(name=REPO, gates=gates),), test=C.TestConfig(**test))


def _markers(gh: Any, number: int) -> list[Any]:
    return [c for c in gh.list_comments(REPO, number) if find_marker(c.body, "test-report", pr=number)]


def test_pr_run_twice_keeps_one_comment_and_one_status(emulator: Any, gh: Any, tmp_path: Path) -> None:
    clone, number = _setup(emulator, tmp_path)
    ctx = make_test_context(tmp_path, gh, config=_config(flaky_reruns=0), repo=REPO)
    first = run(TestOptions(pr=number, path=str(clone)), ctx)
    pull = gh.get_pull(REPO, number)
    assert first.sha == pull.head_sha and first.ref == "feature" and first.base_sha == _git(clone, "rev-parse", "main")
    assert not first.passed and first.report.comment == "created" and first.report.status == "failure"
    by = {g.name: g for g in first.gates}
    assert by["pytest"].status == "failed" and by["pytest"].junit is not None
    assert (by["pytest"].junit.tests, by["pytest"].junit.failures) == (2, 1)
    cov = by["coverage"].coverage
    assert cov is not None and cov.changed is not None
    assert (cov.changed.lines, cov.changed.covered, cov.changed.uncovered) == (3, 2, ("pkg/mod.py:3",))
    # The temporary worktree is gone and the local checkout untouched.
    assert _git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert "agentops-test-pr" not in _git(clone, "worktree", "list")

    second = run(TestOptions(pr=number, path=str(clone)), ctx)
    assert second.report.comment in ("updated", "unchanged")
    assert second.report.comment_id == first.report.comment_id
    comments = _markers(gh, number)
    assert len(comments) == 1 and "❌ failed" in comments[0].body and "tests.test_new::test_new" in comments[0].body
    statuses = [s for s in gh.get_combined_status(REPO, pull.head_sha).statuses if s.context == "agentops/test"]
    assert len(statuses) == 1 and statuses[0].state == "failure"
    records = ctx.store.records(docs.test_results(REPO))
    assert list(records) == [f"pr-{number}@{pull.head_sha}"]
    assert records[f"pr-{number}@{pull.head_sha}"]["coverage"]["changed_percent"] == 66.67


def test_self_approval_refused_falls_back_to_status(emulator: Any, gh: Any, tmp_path: Path) -> None:
    clone, number = _setup(emulator, tmp_path, failing=False)
    ctx = make_test_context(tmp_path, gh, config=_config(approve=True), repo=REPO)
    result = run(TestOptions(pr=number, path=str(clone)), ctx)
    assert result.passed and result.exit_code == 0
    assert result.report.review == "refused"
    assert any("refused the APPROVE review (422" in n and "agentops/test" in n for n in result.report.notes)
    assert gh.list_reviews(REPO, number) == []
    statuses = gh.get_combined_status(REPO, result.sha).statuses
    assert [(s.context, s.state) for s in statuses] == [("agentops/test", "success")]


def test_request_changes_on_someone_elses_pr_once(emulator: Any, gh: Any, tmp_path: Path) -> None:
    clone, number = _setup(emulator, tmp_path, author="alice")
    ctx = make_test_context(tmp_path, gh, config=_config(request_changes=True, flaky_reruns=0), repo=REPO)
    first = run(TestOptions(pr=number, path=str(clone)), ctx)
    assert first.report.review == "changes-requested"
    second = run(TestOptions(pr=number, path=str(clone)), ctx)
    assert second.report.review == "already"
    reviews = gh.list_reviews(REPO, number)
    assert [r.state for r in reviews] == ["CHANGES_REQUESTED"]
    assert "tests.test_new::test_new" in reviews[0].body
