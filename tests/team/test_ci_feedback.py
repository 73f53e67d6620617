"""A CI-fix round reads the real failure: the failing job's log tail (a real pytest failure),
other apps' check output, failing statuses and annotations; a failure made only of known-flaky
tests is re-run instead of fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentops.orchestrator.ci_feedback import is_flaky, known_flaky, read_failure
from agentops.redact import Redactor
from agentops.sandbox.jobs import add_job
from agentops.sandbox.server import Emulator
from tests.team.ci_logs import actions_log, real_pytest_failure

REPO = "acme/app"
CANARY = "ghp_" + "C4n4ry" * 6


def _head(emu: Emulator) -> str:
    emu.state.create_repo(REPO)
    emu.state.set_permission(REPO, emu.state.user_for_token(emu.token) or "", "write")
    return emu.state.repo(REPO).bare.commit_files("agentops/1-fix", {"calc.py": "x"}, "agent change")


def test_the_agent_gets_the_real_pytest_failure_from_the_job_log(emulator: Emulator, gh: Any, tmp_path: Path) -> None:
    sha = _head(emulator)
    log = real_pytest_failure(tmp_path / "proj")
    run = emulator.state.add_workflow_run(REPO, name="CI", head_branch="agentops/1-fix", head_sha=sha,
                                          conclusion="failure", event="pull_request")
    add_job(emulator.state, REPO, run, name="lint", conclusion="success", log="all good\n")
    add_job(emulator.state, REPO, run, name="tests", conclusion="failure", log=log + f"token {CANARY}\n",
            annotations=[{"path": "test_calc.py", "start_line": 7, "message": "assert -1 == 3"}])
    emulator.state.add_check_run(REPO, sha, name="codecov/patch", conclusion="failure",
                                 output={"title": "62% of diff hit", "summary": "target 80%", "text": "calc.py: 0/3"})
    failure = read_failure(gh, REPO, sha, Redactor())
    assert failure.red and set(failure.failing_checks) == {"tests", "codecov/patch"}
    assert failure.failing_tests == ("test_calc.py::test_add",)
    assert failure.run_ids == (run,)
    text = failure.text
    assert "### Job `tests`: failure" in text and "def test_add" in text and "assert -1 == 3" in text
    assert "2026-12-01T10:00:00" not in text  # Actions timestamps stripped
    assert "### Job `lint`" not in text  # a passing job is not noise in the prompt
    assert "### Check `codecov/patch`: failure\n62% of diff hit\ntarget 80%\ncalc.py: 0/3" in text
    assert "- `test_calc.py:7` (failure, tests): assert -1 == 3" in text
    assert CANARY not in text  # a token the job printed never reaches the prompt


def test_a_green_head_has_nothing_to_fix(emulator: Emulator, gh: Any) -> None:
    sha = _head(emulator)
    emulator.state.add_workflow_run(REPO, name="CI", head_branch="agentops/1-fix", head_sha=sha)
    failure = read_failure(gh, REPO, sha, Redactor())
    assert not failure.red and failure.text == ""


def test_only_known_flaky_tests_failing_is_flaky_and_a_lint_failure_never_is(emulator: Emulator, gh: Any) -> None:
    sha = _head(emulator)
    run = emulator.state.add_workflow_run(REPO, name="CI", head_branch="agentops/1-fix", head_sha=sha,
                                          conclusion="failure")
    add_job(emulator.state, REPO, run, name="tests", conclusion="failure",
            log=actions_log(["FAILED tests/test_net.py::test_timeout - TimeoutError"]))
    history = {"pr-3-a": {"flaky": ["tests.test_net.test_timeout"]}, "pr-2-b": {"flaky": []}}
    failure = read_failure(gh, REPO, sha, Redactor())
    assert is_flaky(failure, known_flaky(history))
    assert not is_flaky(failure, known_flaky({"x": {"flaky": ["tests.test_other.test_y"]}}))
    add_job(emulator.state, REPO, run, name="lint", conclusion="failure", log=actions_log(["E501 line too long"]))
    emulator.state.add_check_run(REPO, sha, name="external-ci", conclusion="failure")
    both = read_failure(gh, REPO, sha, Redactor())
    assert both.failing_tests == ("tests/test_net.py::test_timeout",)
    assert both.unexplained == 2 and not is_flaky(both, known_flaky(history))
