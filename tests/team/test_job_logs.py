"""Job logs and re-runs through the real PyGithub adapter against the emulator, shaped as GitHub
serves them: a 302 to a pre-signed download that needs no token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agentops.errors import NotFound
from agentops.sandbox.jobs import add_job
from agentops.sandbox.server import Emulator

REPO = "acme/app"


def _run(emu: Emulator, *, log: str, conclusion: str = "failure") -> tuple[int, int]:
    emu.state.create_repo(REPO)
    emu.state.set_permission(REPO, emu.state.user_for_token(emu.token) or "", "write")
    sha = emu.state.repo(REPO).bare.commit_files("main", {"a.txt": "a"}, "c")
    run_id = emu.state.add_workflow_run(REPO, name="CI", head_branch="main", head_sha=sha, conclusion=conclusion)
    job_id = add_job(emu.state, REPO, run_id, name="tests", conclusion=conclusion, log=log,
                     annotations=[{"path": "tests/test_x.py", "start_line": 3, "message": "assert 1 == 2"}])
    return run_id, job_id


def test_job_log_tail_follows_the_redirect_and_keeps_the_end(emulator: Emulator, gh: Any) -> None:
    log = "".join(f"setup line {i}\n" for i in range(5000)) + "FAILED tests/test_x.py::test_add - assert 1 == 2\n"
    run_id, job_id = _run(emulator, log=log)
    jobs = gh.list_run_jobs(REPO, run_id)
    assert [(j.id, j.name, j.conclusion) for j in jobs] == [(job_id, "tests", "failure")]
    tail = gh.job_log_tail(REPO, job_id, max_bytes=200)
    assert tail.endswith("FAILED tests/test_x.py::test_add - assert 1 == 2\n")
    assert len(tail.encode()) <= 200
    # The failing job is also a failing check run on the commit, with its annotations.
    check = next(c for c in gh.list_check_runs(REPO, jobs[0].head_sha) if c.id == job_id)
    assert check.conclusion == "failure"
    notes = gh.list_check_annotations(REPO, job_id)
    assert [(a.path, a.start_line, a.message) for a in notes] == [("tests/test_x.py", 3, "assert 1 == 2")]


def test_the_download_url_needs_its_signature(emulator: Emulator) -> None:
    _, job_id = _run(emulator, log="secret-free log\n")
    api = httpx.get(f"{emulator.url}/repos/{REPO}/actions/jobs/{job_id}/logs",
                    headers={"Authorization": f"token {emulator.token}"}, follow_redirects=False)
    assert api.status_code == 302
    url = api.headers["location"]
    assert httpx.get(url).text == "secret-free log\n"  # no token needed
    forged = url.rsplit("sig=", 1)[0] + "sig=" + "0" * 32
    assert httpx.get(forged).status_code == 403


def test_rerun_failed_jobs_requeues_the_run_once(emulator: Emulator, gh: Any) -> None:
    run_id, _ = _run(emulator, log="x")
    gh.rerun_failed_jobs(REPO, run_id)
    repo = emulator.state.repo(REPO)
    assert [r["run_id"] for r in repo.reruns] == [run_id]
    assert next(r for r in repo.workflow_runs if r.id == run_id).status == "queued"


def test_unknown_job_is_not_found(emulator: Emulator, gh: Any) -> None:
    _run(emulator, log="x")
    with pytest.raises(NotFound):
        gh.job_log_tail(REPO, 999999, max_bytes=100)
