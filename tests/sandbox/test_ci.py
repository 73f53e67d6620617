"""Statuses, check runs, workflow runs, dispatches and Dependabot alerts via PyGithub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import github
import pytest
import requests

from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client
from tests.sandbox.gitutil import clone, commit_and_push

REPO = "agentops-bot/demo"


def test_statuses_and_combined_status(emulator: Emulator, emulator_github: Any, tmp_path: Path) -> None:
    r = emulator.state.create_repo(REPO)
    sha = commit_and_push(clone(r.clone_url, tmp_path / "w"), "agentops/7-fix", {"x": "1"})
    repo = emulator_github.get_repo(REPO)
    commit = repo.get_commit("agentops/7-fix")  # a ref with a slash resolves like on GitHub
    assert commit.sha == sha
    assert commit.get_combined_status().state == "pending"  # no statuses yet
    commit.create_status("pending", context="agentops/test")
    commit.create_status("success", context="agentops/test", description="green")
    commit.create_status("success", context="lint")
    combined = repo.get_commit(sha).get_combined_status()
    assert combined.state == "success" and combined.total_count == 2
    assert {s.context: s.state for s in combined.statuses} == {"agentops/test": "success", "lint": "success"}
    assert [s.state for s in commit.get_statuses()] == ["success", "success", "pending"]
    commit.create_status("failure", context="lint")
    assert repo.get_commit(sha).get_combined_status().state == "failure"
    with pytest.raises(github.GithubException) as exc:
        commit.create_status("bogus")
    assert exc.value.status == 422


def test_check_runs_and_workflow_runs(emulator: Emulator, emulator_github: Any) -> None:
    r = emulator.state.create_repo(REPO)
    sha = r.bare.resolve("refs/heads/main")
    assert sha is not None
    emulator.state.add_check_run(REPO, sha, name="tests", conclusion="failure")
    repo = emulator_github.get_repo(REPO)
    repo.create_check_run(name="lint", head_sha=sha, status="completed", conclusion="success",
                          output={"title": "ok", "summary": "fine"})
    runs = {c.name: c for c in repo.get_commit(sha).get_check_runs()}
    assert runs["tests"].conclusion == "failure" and runs["lint"].output.title == "ok"
    assert [c.name for c in repo.get_commit(sha).get_check_runs(check_name="lint")] == ["lint"]
    emulator.state.add_workflow_run(REPO, name="CI", head_branch="main", head_sha=sha)
    emulator.state.add_workflow_run(REPO, name="CI", head_branch="feature", head_sha=sha, conclusion="failure")
    emulator.state.add_workflow_run(REPO, name="CI", head_branch="main", head_sha=sha, status="in_progress")
    assert repo.get_workflow_runs().totalCount == 3
    assert [w.head_branch for w in repo.get_workflow_runs(branch="feature")] == ["feature"]
    assert [w.conclusion for w in repo.get_workflow_runs(status="failure")] == ["failure"]
    assert [w.status for w in repo.get_workflow_runs(status="in_progress")] == ["in_progress"]


def test_dispatch_is_recorded(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO, files={".github/workflows/deploy.yml":
                                            "on: {workflow_dispatch: {inputs: {environment: {type: string}}}}\n"})
    repo = emulator_github.get_repo(REPO)
    wf = repo.get_workflow("deploy.yml")
    assert wf.path == ".github/workflows/deploy.yml"
    assert [w.name for w in repo.get_workflows()] == ["deploy.yml"]
    assert wf.create_dispatch("main", {"environment": "prod"}) is True
    assert emulator.state.dispatches(REPO)[0]["inputs"] == {"environment": "prod"}
    assert emulator.state.dispatches(REPO)[0]["workflow"] == ".github/workflows/deploy.yml"
    with pytest.raises(github.UnknownObjectException):
        repo.get_workflow("nope.yml")


DECLARED = """name: code
on:
  workflow_dispatch:
    inputs:
      issue: {required: true, type: number}
      mode: {required: false, type: string, default: code}
      agent: {required: true, type: string, default: any}
"""


@pytest.mark.parametrize(("text", "inputs", "message"), [
    (DECLARED, {"issue": "1", "identity": "me"}, 'Unexpected inputs provided: ["identity"]'),
    (DECLARED, {"mode": "code"}, "Required input 'issue' not provided"),
    ("on: {push: {}}\n", {}, "Workflow does not have 'workflow_dispatch' trigger"),
    ("on: [push]\n", {}, "Workflow does not have 'workflow_dispatch' trigger"),
    ("on: {{{ not yaml\n", {}, "Workflow does not have 'workflow_dispatch' trigger"),
])
def test_dispatch_checks_the_workflow_file_at_the_ref(emulator: Emulator, emulator_github: Any, text: str,
                                                      inputs: dict[str, str], message: str) -> None:
    # GitHub refuses (422, no run) what the workflow file on the ref does not accept; an older file
    # on the branch than the dispatcher expects is exactly this.
    emulator.state.create_repo(REPO, files={".github/workflows/code.yml": text})
    resp = requests.post(f"{emulator.url}/repos/{REPO}/actions/workflows/code.yml/dispatches",
                         headers={"Authorization": f"token {emulator.token}"}, json={"ref": "main", "inputs": inputs},
                         timeout=30)
    assert resp.status_code == 422 and resp.json()["message"] == message, resp.text
    assert emulator.state.dispatches(REPO) == []
    assert emulator_github.get_repo(REPO).get_workflow("code.yml").create_dispatch("main", inputs) is False


def test_dispatch_with_declared_inputs_starts(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO, files={".github/workflows/code.yml": DECLARED})
    wf = emulator_github.get_repo(REPO).get_workflow("code.yml")
    assert wf.create_dispatch("main", {"issue": "3"}) is True  # agent has a default; mode is optional
    assert [d["inputs"] for d in emulator.state.dispatches(REPO)] == [{"issue": "3"}]


def test_dependabot_alerts_filters_and_disabled(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    emulator.state.add_dependabot_alert(REPO, severity="high", package="requests")
    emulator.state.add_dependabot_alert(REPO, severity="low", package="idna", state="dismissed")
    repo = emulator_github.get_repo(REPO)
    alerts = list(repo.get_dependabot_alerts())
    assert [a.dependency.package.name for a in alerts] == ["idna", "requests"]
    assert [a.number for a in repo.get_dependabot_alerts(state="open")] == [1]
    assert [a.security_advisory.severity for a in repo.get_dependabot_alerts(severity="high")] == ["high"]
    emulator.state.set_dependabot_enabled(REPO, False)
    with pytest.raises(github.GithubException) as exc:
        list(repo.get_dependabot_alerts())
    assert exc.value.status == 403 and "Dependabot alerts are disabled" in exc.value.data["message"]
    reader = pygithub_client(emulator, token=emulator.state.add_user("reader"))
    emulator.state.set_dependabot_enabled(REPO, True)
    with pytest.raises(github.GithubException) as exc:
        list(reader.get_repo(REPO).get_dependabot_alerts())
    assert exc.value.status == 403
