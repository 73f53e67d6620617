"""A default branch made red by an external CI is a finding, as GitHub's branch view shows it:
commit statuses (the combined status) and check runs from apps other than GitHub Actions,
read through the emulator's REST routes like GitHub's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from agentops.domain import scout as S
from tests.fixtures.apps import make_key, public_pem
from tests.scout.helpers import context, open_issues, scan, seed_repo

REPO = "agentops-bot/a"


def _tip(emulator: Any) -> str:
    sha = emulator.state.repo(REPO).bare.resolve("refs/heads/main")
    assert sha is not None
    return str(sha)


def _external_app_token(emulator: Any) -> str:
    """An installation token of a CI vendor's GitHub App (it reports check runs)."""
    st = emulator.state
    app = st.add_app(77, public_pem(make_key()), slug="vendor-ci",
                     permissions={"metadata": "read", "checks": "write", "statuses": "write"})
    inst = st.apps.installations[st.install_app(77, "agentops-bot", repos=[REPO])]
    return str(st.apps.issue_token(app, inst).token)


def _post(emulator: Any, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(f"{emulator.url}/repos/{REPO}/{path}", json=body, timeout=30,
                      headers={"Authorization": f"token {token}", "Accept": "application/vnd.github+json"})
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_external_ci_red_on_the_default_branch_is_a_finding_until_green(emulator: Any, gh: Any,
                                                                        tmp_path: Path) -> None:
    seed_repo(emulator, REPO, failing_ci=False, alert=False)  # its Actions workflow is green
    sha = _tip(emulator)
    vendor = _external_app_token(emulator)
    _post(emulator, emulator.token, f"statuses/{sha}",
          {"state": "failure", "context": "ci/jenkins", "description": "3 tests failed",
           "target_url": "https://jenkins.example/job/1"})
    run = _post(emulator, vendor, "check-runs", {"name": "vendor/build", "head_sha": sha, "status": "completed",
                                                 "conclusion": "failure"})
    assert run["app"]["slug"] == "vendor-ci"
    # A GitHub Actions job's failing check run is its workflow's (read as runs): no second finding.
    emulator.state.add_check_run(REPO, sha, name="test (actions job)", conclusion="failure")

    ctx = context(tmp_path, gh)
    first = scan(ctx, repos=(REPO,), fail_on="high")
    subjects = sorted(f.subject for f in first.findings)
    assert subjects == ["check:vendor-ci/vendor/build", "status:ci/jenkins"], first.findings
    assert first.exit_code == 1 and first.failing == 2
    status = next(f for f in first.findings if f.subject.startswith("status:"))
    assert status.url == "https://jenkins.example/job/1" and "3 tests failed" in status.details[0]
    assert sorted(i.title for i in open_issues(emulator, REPO)) == [
        "[scout] CI check vendor/build fails on main", "[scout] CI status ci/jenkins fails on main"]

    # Green again (a newer status on the context, a newer check run of the name): both resolved.
    _post(emulator, emulator.token, f"statuses/{sha}", {"state": "success", "context": "ci/jenkins"})
    _post(emulator, vendor, "check-runs", {"name": "vendor/build", "head_sha": sha, "status": "completed",
                                           "conclusion": "success"})
    emulator.state.add_check_run(REPO, sha, name="test (actions job)", conclusion="success")
    second = scan(ctx, repos=(REPO,), fail_on="high")
    assert second.findings == () and second.exit_code == 0
    assert sorted(c.action for c in second.issues) == ["closed", "closed"]
    assert open_issues(emulator, REPO) == []


def test_unreadable_external_ci_resolves_nothing_and_still_reports_what_it_read(emulator: Any, gh: Any,
                                                                                tmp_path: Path) -> None:
    seed_repo(emulator, REPO, failing_ci=False, alert=False)
    sha = _tip(emulator)
    _post(emulator, emulator.token, f"statuses/{sha}", {"state": "error", "context": "ci/external"})
    ctx = context(tmp_path, gh)
    assert [f.subject for f in scan(ctx, repos=(REPO,)).findings] == ["status:ci/external"]
    # The status turns green, but the check runs cannot be read: the finding stays, its issue open.
    _post(emulator, emulator.token, f"statuses/{sha}", {"state": "success", "context": "ci/external"})
    emulator.faults.add(method="GET", path=r"/check-runs", status=502, count=20)  # every retry
    partial = scan(ctx, repos=(REPO,))
    (report,) = partial.repos
    assert report.status == "partial" and "checks" in (report.message or "")
    assert [f.subject for f in partial.findings] == ["status:ci/external"]
    assert [c for c in partial.issues if c.action == "closed"] == []
    assert len(open_issues(emulator, REPO)) == 1
    assert any(S.check_of(f.fingerprint) == "ci" for f in partial.findings)
