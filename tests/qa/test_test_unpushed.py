"""`agentops test` on a local commit not pushed yet (testing before pushing) reports the gates'
verdict with a note; it used to end in "GitHub answered 422: No commit found" (exit 1 for a
green run, and no gate results in --json)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.commands.test import TestOptions, run
from agentops.settings import Config, GateConfig, RepositoryConfig
from tests.fixtures.github import make_test_context

REPO = "agentops-bot/unpushed"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_unpushed_commit_is_tested_and_not_reported(emulator: Any, gh: Any, tmp_path: Path) -> None:
    repo = emulator.state.create_repo(REPO, files={"README.md": "hi\n"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.bare_path), str(clone)], check=True)
    _git(clone, "-c", "user.name=qa", "-c", "user.email=qa@example.com", "commit", "-q", "--allow-empty", "-m", "local")
    sha = _git(clone, "rev-parse", "HEAD")
    gates = (GateConfig(name="ok", run=(sys.executable, "-c", "print('fine')")),)
    ctx = make_test_context(tmp_path, gh, config=Config(repositories=(RepositoryConfig(name=REPO, gates=gates),)),
                            repo=REPO)

    result = run(TestOptions(path=str(clone)), ctx)

    assert result.passed and result.sha == sha
    assert result.report.status is None
    assert any("not on GitHub" in n for n in result.report.notes)
    # Once pushed, the same run posts the status as before.
    _git(clone, "push", "-q", "origin", "HEAD:main")
    again = run(TestOptions(path=str(clone)), ctx)
    assert again.report.status == "success"
    assert gh.get_combined_status(REPO, sha).state == "success"
