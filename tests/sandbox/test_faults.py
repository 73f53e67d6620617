"""Fault injection, admin routes and request counting."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import github
import pytest
import requests

from agentops.sandbox.server import Emulator
from tests.fixtures.emulator import pygithub_client

REPO = "agentops-bot/demo"
ISSUES = "/repos/{owner}/{repo}/issues"


def test_status_fault_for_next_n_then_recovers(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    repo = emulator_github.get_repo(REPO)
    emulator.faults.add(method="GET", path=r"/issues$", status=502, count=2)
    for _ in range(2):
        with pytest.raises(github.GithubException) as exc:
            list(repo.get_issues())
        assert exc.value.status == 502
    assert list(repo.get_issues()) == []
    assert {(c["status"], c["count"]) for c in emulator.counts() if c["route"] == ISSUES} == {(502, 2), (200, 1)}


def test_secondary_rate_limit_with_retry_after_and_429(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    repo = emulator_github.get_repo(REPO)
    emulator.faults.add(method="POST", path=r"/issues$", status=403, retry_after=7)
    with pytest.raises(github.GithubException) as exc:
        repo.create_issue("t")
    assert exc.value.status == 403
    assert exc.value.headers["retry-after"] == "7"
    assert "secondary rate limit" in exc.value.data["message"]
    emulator.faults.add(method="POST", path=r"/issues$", status=429, retry_after=1)
    with pytest.raises(github.GithubException) as exc:
        repo.create_issue("t")
    assert exc.value.status == 429
    assert emulator.state.repo(REPO).issues == {}  # a plain fault answers before acting


def test_after_action_fault_acts_then_fails(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    repo = emulator_github.get_repo(REPO)
    emulator.faults.add(method="POST", path=r"/issues$", status=502, after_action=True)
    with pytest.raises(github.GithubException) as exc:
        repo.create_issue("created anyway")
    assert exc.value.status == 502
    assert [i.title for i in repo.get_issues()] == ["created anyway"]


def test_dropped_connection(emulator: Emulator, emulator_github: Any) -> None:
    emulator.state.create_repo(REPO)
    repo = emulator_github.get_repo(REPO)
    emulator.faults.add(method="POST", path=r"/comments$", drop=True, status=None)
    number = emulator.state.create_issue(REPO, "t")
    issue = repo.get_issue(number)
    with pytest.raises(requests.exceptions.ConnectionError):
        issue.create_comment("lost")
    assert emulator.state.repo(REPO).issues[number].comments == []
    emulator.faults.add(method="POST", path=r"/comments$", drop=True, status=None, after_action=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        issue.create_comment("kept")
    assert [c.body for c in emulator.state.repo(REPO).issues[number].comments] == ["kept"]
    assert any(c["status"] == 0 and c["count"] == 2 for c in emulator.counts())


def test_pygithub_default_retry_repeats_post_after_5xx(emulator: Emulator) -> None:
    # The hazard agentops' own retry policy exists for: a 5xx after the server acted, then a blind retry.
    emulator.state.create_repo(REPO)
    client = pygithub_client(emulator, retry=github.GithubRetry(total=2, backoff_factor=0))
    emulator.faults.add(method="POST", path=r"/issues$", status=502, after_action=True)
    client.get_repo(REPO).create_issue("dup")
    assert [i.title for i in emulator.state.repo(REPO).issues.values()] == ["dup", "dup"]


def _admin(emu: Emulator, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(emu.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def test_admin_routes(emulator: Emulator, emulator_github: Any) -> None:
    seeded = _admin(emulator, "POST", "/_emulator/seed", {
        "users": [{"login": "alice", "token": "tok-alice"}], "repos": [{"full_name": "alice/app"}],
        "issues": [{"repo": "alice/app", "title": "seeded", "author": "alice", "comments": ["hi"]}]})
    assert seeded["tokens"] == {"alice": "tok-alice"}
    alice = pygithub_client(emulator, token="tok-alice")
    assert [i.title for i in alice.get_repo("alice/app").get_issues()] == ["seeded"]
    _admin(emulator, "POST", "/_emulator/faults", {"method": "GET", "path": "/issues$", "status": 500})
    assert _admin(emulator, "GET", "/_emulator/faults")["faults"][0]["status"] == 500
    _admin(emulator, "DELETE", "/_emulator/faults")
    assert _admin(emulator, "GET", "/_emulator/faults")["faults"] == []
    _admin(emulator, "POST", "/_emulator/rate-limit", {"limit": 50, "remaining": 3})
    assert emulator_github.get_rate_limit().resources.core.remaining == 3
    counts = _admin(emulator, "GET", "/_emulator/counts")
    assert counts["total"] == emulator.total_requests() and counts["total"] > 0
    assert all(not c["route"].startswith("/_emulator") for c in counts["counts"])
    _admin(emulator, "POST", "/_emulator/counts/reset")
    assert emulator.total_requests() == 0
    dump = _admin(emulator, "GET", "/_emulator/state")
    assert [r["full_name"] for r in dump["repos"]] == ["alice/app"]
    assert dump["repos"][0]["issues"][0]["comments"][0]["body"] == "hi"
