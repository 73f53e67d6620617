"""The emulator against GitHub's published OpenAPI description.

One scripted session drives every emulator route through every status the route documents and
the emulator can produce (success, 304, 400, 401, 403, 404, 405, 409, 422), and each answer's
body is validated against GitHub's schema for that status (tests/fixtures/openapi, extracted by
scripts/extract_openapi.py). Request bodies: what the session sends validates against GitHub's
request schema, and bodies the schema rejects are answered 422, as GitHub does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from agentops.sandbox.catalog import all_routes
from agentops.sandbox.jobs import add_job
from agentops.sandbox.server import Emulator
from tests.fixtures.apps import make_key, public_pem
from tests.sandbox.openapi_schema import errors, extract

ROOT = Path(__file__).resolve().parents[2]
OWNER = "agentops-bot"
REPO = f"{OWNER}/demo"
OLD = f"{OWNER}/old"  # archived after setup
ORG = "acme"
ROUTE_KEYS = [f"{r.method} {r.template}" for r in all_routes().routes]

# Statuses GitHub documents that the emulator does not produce, for every route.
NOT_EMULATED = {
    "301": "renamed or transferred repositories are not emulated",
    "410": "deleted issues and repositories with issues turned off are not emulated",
    "500": "server errors come only from fault injection (tests/sandbox/test_faults.py)",
    "503": "server errors come only from fault injection (tests/sandbox/test_faults.py)",
    "406": "diff and patch media types are not emulated",
}
# ... and for one route.
NOT_EMULATED_ON = {
    ("GET /repos/{owner}/{repo}", "403"): "repositories blocked by GitHub staff",
    ("GET /rate_limit", "404"): "GitHub Enterprise Server with rate limiting turned off",
    ("POST /user/repos", "404"): "not produced by the emulator (GitHub: token without the repo scope)",
    ("POST /user/repos", "304"): "a conditional create has no meaning in the emulator",
    ("GET /repos/{owner}/{repo}/dependabot/alerts", "400"): "cursor pagination (before/after) is not emulated",
    ("POST /app/installations/{installation_id}/access_tokens", "403"): "suspended installations",
    ("GET /repos/{owner}/{repo}/issues/events/{event_id}", "403"): "not produced by the emulator (every "
    "reader of a repository may read its issue events)",
}
# Statuses any route may answer although its description omits them (auth, visibility, shape).
NO_BODY = ("no body",)
UNIVERSAL = {"400": "basic-error", "401": "basic-error", "403": "basic-error", "404": "basic-error",
             "422": "validation-error"}


@dataclass
class Seen:
    route: str
    method: str
    path: str
    status: int
    body: Any
    sent: Any
    expected: int


@dataclass
class World:
    emu: Emulator
    tokens: dict[str, str]
    seen: list[Seen] = field(default_factory=list)
    matcher: Any = None

    def route_of(self, method: str, path: str) -> str:
        route, _, _ = self.matcher.match(method, path.split("?")[0])
        assert route is not None, f"{method} {path} matches no emulator route"
        return f"{route.method} {route.template}"

    def call(self, method: str, path: str, expect: int, body: Any = None, *, who: str = "owner",
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        hdrs = {"Authorization": f"token {self.tokens[who]}" if who != "jwt" else f"Bearer {self.jwt()}",
                "Accept": "application/vnd.github+json", **(headers or {})}
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        resp = requests.request(method, self.emu.url + path, data=data, headers=hdrs, timeout=30,
                                allow_redirects=False)
        parsed = resp.json() if resp.content else None
        self.seen.append(Seen(self.route_of(method, path), method, path, resp.status_code, parsed,
                              body if raw is None else raw, expect))
        return parsed

    def etag(self, path: str) -> str:
        resp = requests.get(self.emu.url + path, headers={"Authorization": f"token {self.tokens['owner']}"},
                            timeout=30)
        return resp.headers["ETag"]

    def jwt(self) -> str:
        now = int(self.emu.state.clock().timestamp())
        return jwt.encode({"iat": now - 60, "exp": now + 300, "iss": "42"}, self.tokens["app_key"],
                          algorithm="RS256")


def _setup(emu: Emulator) -> World:
    st = emu.state
    tokens = {"owner": emu.token, "reader": st.add_user("reader"), "bad": "ghp_not_a_token",
              "app_key": make_key()}
    st.add_org(ORG, members=[OWNER])
    st.create_repo(f"{ORG}/app")
    for name in (REPO, OLD):
        repo = st.create_repo(name, files={"a.txt": "one\n"})
        tip = repo.bare.resolve("refs/heads/main")
        assert tip is not None
        for branch in ("feat", "feat2", "feat3"):
            repo.bare.set_ref(f"refs/heads/{branch}", tip)
            repo.bare.commit_files(branch, {"a.txt": "one\n", f"{branch}.txt": f"{branch}\n"}, f"add {branch}")
    st.create_repo(f"{OWNER}/empty", init=False)
    sha = st.repo(REPO).bare.resolve("refs/heads/main")
    assert sha is not None
    run = st.add_workflow_run(REPO, name="CI", head_branch="main", head_sha=sha, conclusion="failure")
    add_job(st, REPO, run, name="test", conclusion="failure", log="FAILED test_x\n",
            annotations=[{"path": "a.txt", "start_line": 1, "end_line": 1, "annotation_level": "failure",
                          "message": "assert 1 == 2", "title": "test_x"}])
    st.add_dependabot_alert(REPO, severity="high", package="requests")
    st.set_actions_secret(REPO, "AGENTOPS_TOKEN", "ghp_never_served")
    st.set_actions_variable(REPO, "AGENTOPS_AGENT", "claude")
    st.add_app(42, public_pem(tokens["app_key"]), slug="agentops-ci")
    inst = st.install_app(42, OWNER, repos=[REPO])
    st.install_app(42, ORG)
    world = World(emu, tokens, matcher=emu._routes)
    token = world.call("POST", f"/app/installations/{inst}/access_tokens", 201, {}, who="jwt")
    tokens["installation"] = token["token"]
    tokens["installation_id"] = str(inst)
    # A CI vendor's App: its check runs name it (not GitHub Actions), as an external CI's do.
    vendor = st.add_app(43, public_pem(make_key()), slug="vendor-ci",
                        permissions={"metadata": "read", "checks": "write", "statuses": "write"})
    vendor_inst = st.apps.installations[st.install_app(43, OWNER, repos=[REPO])]
    tokens["vendor"] = st.apps.issue_token(vendor, vendor_inst).token
    return world


def _drive_core(w: World) -> None:
    w.call("GET", "/user", 200)
    w.call("GET", "/user", 304, headers={"If-None-Match": w.etag("/user")})
    w.call("GET", "/user", 401, who="bad")
    w.call("GET", "/user", 403, who="installation")
    w.call("GET", f"/users/{OWNER}", 200)
    w.call("GET", "/users/nobody-here", 404)
    w.call("GET", f"/orgs/{ORG}", 200)
    w.call("GET", "/orgs/nobody-here", 404)
    w.call("GET", "/rate_limit", 200)
    w.call("GET", "/rate_limit", 304, headers={"If-None-Match": w.etag("/rate_limit")})
    w.call("GET", f"/repos/{REPO}", 200)
    w.call("GET", f"/repos/{OWNER}/missing", 404)
    w.call("GET", f"/users/{OWNER}/repos", 200)
    w.call("GET", f"/orgs/{ORG}/repos", 200)
    w.call("GET", "/user/repos", 200)
    w.call("GET", "/user/repos", 304, headers={"If-None-Match": w.etag("/user/repos")})
    w.call("GET", "/user/repos?sort=sideways", 422)
    w.call("GET", "/user/repos", 401, who="bad")
    w.call("GET", "/user/repos", 403, who="installation")
    w.call("POST", "/user/repos", 201, {"name": "made", "description": "made here", "private": False})
    w.call("POST", "/user/repos", 422, {"name": "made"})
    w.call("POST", "/user/repos", 400, raw=b"{not json")
    w.call("POST", "/user/repos", 401, {"name": "x"}, who="bad")
    w.call("POST", "/user/repos", 403, {"name": "x"}, who="installation")
    w.call("POST", f"/orgs/{ORG}/repos", 201, {"name": "service"})
    w.call("POST", f"/orgs/{ORG}/repos", 422, {"name": "service"})
    w.call("POST", f"/orgs/{ORG}/repos", 403, {"name": "other"}, who="reader")
    w.call("GET", f"/repos/{REPO}/collaborators/reader/permission", 200)
    w.call("GET", f"/repos/{REPO}/collaborators/nobody-here/permission", 404)
    w.call("GET", f"/repos/{REPO}/branches/main", 200)
    w.call("GET", f"/repos/{REPO}/branches/nope", 404)
    w.emu.state.create_environment(REPO, "agentops-publish")
    w.emu.state.set_environment_secret(REPO, "agentops-publish", "AGENTOPS_TOKEN", "never-served")
    w.call("GET", f"/repos/{REPO}/environments", 200, who="reader")
    w.call("GET", f"/repos/{OWNER}/missing/environments", 404)
    w.call("GET", f"/repos/{REPO}/environments/agentops-publish/secrets", 200)
    w.call("GET", f"/repos/{REPO}/environments/agentops-publish/secrets", 403, who="reader")
    w.call("GET", f"/repos/{REPO}/environments/nope/secrets", 404)
    for kind in ("secrets", "variables"):
        w.call("GET", f"/repos/{REPO}/actions/{kind}", 200)
        w.call("GET", f"/repos/{REPO}/actions/{kind}", 403, who="reader")
        w.call("GET", f"/repos/{OWNER}/missing/actions/{kind}", 404)


def _drive_issues(w: World) -> dict[str, int]:
    base = f"/repos/{REPO}/issues"
    w.call("POST", f"/repos/{REPO}/labels", 201, {"name": "agent-task", "color": "00ff00", "description": "work"})
    w.call("POST", f"/repos/{REPO}/labels", 422, {"name": "agent-task"})
    w.call("POST", f"/repos/{OWNER}/missing/labels", 404, {"name": "x"})
    first = w.call("POST", base, 201, {"title": "First", "body": "text", "labels": ["agent-task"],
                                       "assignees": [OWNER]})
    second = w.call("POST", base, 201, {"title": "Second"})
    third = w.call("POST", base, 201, {"title": "Third"})
    w.call("POST", base, 422, {"body": "no title"})
    w.call("POST", base, 400, raw=b"[not json")
    w.call("POST", f"/repos/{OWNER}/missing/issues", 404, {"title": "x"})
    w.call("POST", f"/repos/{OLD}/issues", 201, {"title": "Before archiving"})
    w.call("GET", base, 200)
    w.call("GET", base + "?state=sideways", 422)
    w.call("GET", f"/repos/{OWNER}/missing/issues", 404)
    n1 = first["number"]
    comment = w.call("POST", f"{base}/{n1}/comments", 201, {"body": "hello"})
    w.call("POST", f"{base}/{n1}/comments", 422, {"body": ""})
    w.call("POST", f"{base}/999/comments", 404, {"body": "x"})
    w.call("GET", f"{base}/{n1}/comments", 200)
    w.call("GET", f"{base}/999/comments", 404)
    w.call("GET", f"{base}/comments", 200)
    w.call("GET", f"{base}/comments?since=yesterday", 422)
    w.call("GET", f"/repos/{OWNER}/missing/issues/comments", 404)
    cid = comment["id"]
    w.call("GET", f"{base}/comments/{cid}", 200)
    w.call("GET", f"{base}/comments/999999", 404)
    w.call("PATCH", f"{base}/comments/{cid}", 200, {"body": "edited"})
    w.call("PATCH", f"{base}/comments/{cid}", 422, {"body": 5})
    w.call("GET", f"{base}/{n1}", 200)
    w.call("GET", f"{base}/{n1}", 304, headers={"If-None-Match": w.etag(f"{base}/{n1}")})
    w.call("GET", f"{base}/999", 404)
    w.call("PATCH", f"{base}/{n1}", 200, {"title": "First (edited)", "labels": ["agent-task"], "milestone": None})
    w.call("PATCH", f"{base}/{n1}", 422, {"state": "sideways"})
    w.call("PATCH", f"{base}/999", 404, {"title": "x"})
    w.emu.state.repo(OLD).archived = True
    w.call("PATCH", f"/repos/{OLD}/issues/1", 403, {"title": "x"})
    w.call("POST", f"/repos/{OLD}/issues", 403, {"title": "after archiving"})
    w.call("POST", f"/repos/{OLD}/issues/1/comments", 403, {"body": "after archiving"})
    labels = f"{base}/{n1}/labels"
    w.call("GET", labels, 200)
    w.call("GET", f"{base}/999/labels", 404)
    w.call("POST", labels, 200, {"labels": ["bug"]})
    w.call("POST", labels, 200, ["priority:high"])
    w.call("POST", labels, 422, {"labels": "bug"})
    w.call("POST", f"{base}/999/labels", 404, {"labels": ["bug"]})
    w.call("PUT", labels, 200, {"labels": ["agent-task", "bug"]})
    w.call("PUT", labels, 422, {"labels": [5]})
    w.call("PUT", f"{base}/999/labels", 404, {"labels": ["bug"]})
    w.call("DELETE", f"{labels}/bug", 200)
    w.call("DELETE", f"{labels}/bug", 404)
    w.call("POST", f"{base}/{second['number']}/labels", 200, {"labels": ["bug"]})
    w.call("DELETE", f"{base}/{second['number']}/labels", 204)
    w.call("DELETE", f"{base}/999/labels", 404)
    w.call("POST", f"{base}/{n1}/assignees", 201, {"assignees": ["reader"]})
    w.call("DELETE", f"{base}/{n1}/assignees", 200, {"assignees": ["reader"]})
    w.call("GET", f"/repos/{REPO}/labels", 200)
    w.call("GET", f"/repos/{OWNER}/missing/labels", 404)
    w.call("GET", f"/repos/{REPO}/labels/agent-task", 200)
    w.call("GET", f"/repos/{REPO}/labels/nope", 404)
    w.call("POST", f"/repos/{REPO}/labels", 201, {"name": "old-name"})
    w.call("PATCH", f"/repos/{REPO}/labels/old-name", 200, {"new_name": "new-name", "color": "ff0000"})
    w.call("DELETE", f"/repos/{REPO}/labels/new-name", 204)
    w.call("DELETE", f"{base}/comments/{cid}", 204)
    events = w.call("GET", f"{base}/{n1}/events", 200)
    w.call("GET", f"{base}/999/events", 404)
    w.call("GET", f"{base}/events/{events[0]['id']}", 200)
    w.call("GET", f"{base}/events/999999", 404)
    return {"first": n1, "second": second["number"], "third": third["number"], "first_id": first["id"],
            "second_id": second["id"], "third_id": third["id"]}


def _drive_relations(w: World, ids: dict[str, int]) -> None:
    base = f"/repos/{REPO}/issues"
    epic = w.call("POST", base, 201, {"title": "Epic"})["number"]
    w.call("POST", f"{base}/{epic}/sub_issues", 201, {"sub_issue_id": ids["first_id"]})
    w.call("POST", f"{base}/{epic}/sub_issues", 201, {"sub_issue_id": ids["second_id"], "replace_parent": False})
    w.call("POST", f"{base}/{epic}/sub_issues", 201, {"sub_issue_id": ids["third_id"]})
    w.call("POST", f"{base}/{epic}/sub_issues", 422, {"sub_issue_id": ids["third_id"]})
    w.call("POST", f"{base}/{epic}/sub_issues", 422, {"sub_issue_id": "3"})
    w.call("POST", f"{base}/999/sub_issues", 404, {"sub_issue_id": ids["third_id"]})
    w.call("POST", f"{base}/{epic}/sub_issues", 403, {"sub_issue_id": ids["third_id"]}, who="reader")
    w.call("GET", f"{base}/{epic}/sub_issues", 200)
    w.call("GET", f"{base}/999/sub_issues", 404)
    w.call("PATCH", f"{base}/{epic}/sub_issues/priority", 200,
           {"sub_issue_id": ids["third_id"], "before_id": ids["first_id"]})
    w.call("PATCH", f"{base}/{epic}/sub_issues/priority", 200,
           {"sub_issue_id": ids["first_id"], "after_id": ids["second_id"]})
    w.call("PATCH", f"{base}/{epic}/sub_issues/priority", 422, {"sub_issue_id": ids["first_id"]})
    w.call("PATCH", f"{base}/999/sub_issues/priority", 404, {"sub_issue_id": 1, "after_id": 2})
    w.call("PATCH", f"{base}/{epic}/sub_issues/priority", 403,
           {"sub_issue_id": ids["first_id"], "after_id": ids["second_id"]}, who="reader")
    w.call("GET", f"{base}/{ids['first']}/parent", 200)
    w.call("GET", f"{base}/{epic}/parent", 404)
    w.call("DELETE", f"{base}/{epic}/sub_issue", 200, {"sub_issue_id": ids["third_id"]})
    w.call("DELETE", f"{base}/{epic}/sub_issue", 404, {"sub_issue_id": ids["third_id"]})
    w.call("DELETE", f"{base}/{epic}/sub_issue", 400, raw=b"{")
    w.call("DELETE", f"{base}/{epic}/sub_issue", 403, {"sub_issue_id": ids["first_id"]}, who="reader")
    blocked = f"{base}/{ids['second']}/dependencies/blocked_by"
    w.call("POST", blocked, 201, {"issue_id": ids["first_id"]})
    w.call("POST", blocked, 422, {"issue_id": ids["first_id"]})
    w.call("POST", blocked, 403, {"issue_id": ids["third_id"]}, who="reader")
    w.call("POST", f"{base}/999/dependencies/blocked_by", 404, {"issue_id": ids["first_id"]})
    w.call("GET", blocked, 200)
    w.call("GET", f"{base}/999/dependencies/blocked_by", 404)
    w.call("GET", f"{base}/{ids['first']}/dependencies/blocking", 200)
    w.call("GET", f"{base}/999/dependencies/blocking", 404)
    w.call("POST", blocked, 201, {"issue_id": ids["third_id"]})
    w.call("DELETE", f"{blocked}/{ids['third_id']}", 200)
    w.call("DELETE", f"{blocked}/{ids['third_id']}", 404)
    w.call("DELETE", f"{blocked}/not-an-id", 400)
    w.call("DELETE", f"{blocked}/{ids['first_id']}", 401, who="bad")
    w.call("DELETE", f"{blocked}/{ids['first_id']}", 403, who="reader")


def _drive_pulls(w: World) -> None:
    base = f"/repos/{REPO}/pulls"
    pr = w.call("POST", base, 201, {"title": "Feature", "head": "feat", "base": "main", "body": "Closes #1",
                                    "draft": False, "maintainer_can_modify": True})
    w.call("POST", base, 422, {"title": "Again", "head": "feat", "base": "main"})
    w.call("POST", base, 403, {"title": "Reader", "head": "feat2", "base": "main"}, who="reader")
    n = pr["number"]
    w.call("GET", base, 200)
    w.call("GET", base, 304, headers={"If-None-Match": w.etag(base)})
    w.call("GET", base + "?sort=sideways", 422)
    w.call("GET", f"{base}/{n}", 200)
    w.call("GET", f"{base}/{n}", 304, headers={"If-None-Match": w.etag(f"{base}/{n}")})
    w.call("GET", f"{base}/999", 404)
    w.call("PATCH", f"{base}/{n}", 200, {"title": "Feature (edited)", "body": "Closes #1"})
    w.call("PATCH", f"{base}/{n}", 422, {"base": "no-such-branch"})
    w.call("PATCH", f"{base}/{n}", 403, {"title": "x"}, who="reader")
    w.call("POST", f"{base}/{n}/requested_reviewers", 201, {"reviewers": ["reader"]})
    w.call("POST", f"{base}/{n}/requested_reviewers", 422, {"reviewers": [OWNER]})
    w.call("POST", f"{base}/{n}/requested_reviewers", 403, {"reviewers": ["reader"]}, who="reader")
    w.call("POST", f"{base}/{n}/reviews", 200, {"body": "Looks fine", "event": "COMMENT",
                                               "comments": [{"path": "feat.txt", "line": 1, "body": "nit"}]})
    w.call("POST", f"{base}/{n}/reviews", 200, {"body": "ok", "event": "APPROVE"}, who="reader")
    w.call("POST", f"{base}/{n}/reviews", 422, {"event": "APPROVE"})
    w.call("GET", f"{base}/{n}/reviews", 200)
    w.call("GET", f"{base}/{n}/comments", 200)
    w.call("GET", f"{base}/{n}/commits", 200)
    w.call("GET", f"{base}/{n}/merge", 404)
    w.call("PUT", f"{base}/{n}/merge", 409, {"sha": "0" * 40})
    w.call("PUT", f"{base}/{n}/merge", 422, {"merge_method": "octopus"})
    w.call("PUT", f"{base}/{n}/merge", 403, {}, who="reader")
    w.call("PUT", f"{base}/999/merge", 404, {})
    w.call("PUT", f"{base}/{n}/merge", 200, {"merge_method": "squash", "commit_title": "Feature"})
    w.call("PUT", f"{base}/{n}/merge", 405, {})
    w.call("GET", f"{base}/{n}/merge", 204)
    old = w.emu.state.repo(OLD)
    old.archived = False
    pr_old = w.call("POST", f"/repos/{OLD}/pulls", 201, {"title": "Old", "head": "feat", "base": "main"})
    old.archived = True
    w.call("POST", f"/repos/{OLD}/pulls/{pr_old['number']}/reviews", 403, {"body": "x", "event": "COMMENT"})


def _drive_ci(w: World) -> None:
    repo = f"/repos/{REPO}"
    sha = w.emu.state.repo(REPO).bare.resolve("refs/heads/main")
    w.call("POST", f"{repo}/statuses/{sha}", 201, {"state": "success", "context": "ci", "target_url": None,
                                                   "description": "passed"})
    w.call("POST", f"{repo}/statuses/{sha}", 422, {"state": "sideways"})
    w.call("GET", f"{repo}/commits/{sha}/statuses", 200)
    w.call("GET", f"{repo}/statuses/{sha}", 200)
    w.call("GET", f"{repo}/commits/{sha}/status", 200)
    w.call("GET", f"{repo}/commits/{'0' * 40}/status", 404)
    w.call("POST", f"{repo}/check-runs", 201, {"name": "agentops/test", "head_sha": sha, "status": "completed",
                                               "conclusion": "success",
                                               "output": {"title": "ok", "summary": "all green"}})
    w.call("POST", f"{repo}/check-runs", 201, {"name": "agentops/lint", "head_sha": sha})
    vendor = w.call("POST", f"{repo}/check-runs", 201, {"name": "vendor/build", "head_sha": sha,
                                                        "status": "completed", "conclusion": "failure"}, who="vendor")
    assert vendor["app"]["slug"] == "vendor-ci"
    listed = w.call("GET", f"{repo}/commits/{sha}/check-runs", 200)
    assert {c["name"]: c["app"]["slug"] for c in listed["check_runs"]}["vendor/build"] == "vendor-ci"
    workflows = w.call("GET", f"{repo}/actions/workflows", 200)
    wid = workflows["workflows"][0]["id"]
    w.call("GET", f"{repo}/actions/workflows/{wid}", 200)
    w.call("POST", f"{repo}/actions/workflows/{wid}/dispatches", 204, {"ref": "main", "inputs": {"issue": "1"}})
    w.call("POST", f"{repo}/actions/workflows/{wid}/dispatches", 200, {"ref": "main", "return_run_details": True})
    w.call("POST", f"{repo}/actions/workflows/{wid}/dispatches", 422, {"ref": "no-such-ref"})
    runs = w.call("GET", f"{repo}/actions/runs", 200)
    w.call("GET", f"{repo}/actions/workflows/{wid}/runs", 200)
    run_id = runs["workflow_runs"][-1]["id"]
    w.call("GET", f"{repo}/actions/runs/{run_id}", 200)
    jobs = w.call("GET", f"{repo}/actions/runs/{run_id}/jobs", 200)
    w.call("GET", f"{repo}/actions/runs/999999/jobs", 404)
    job = jobs["jobs"][0]["id"]
    w.call("GET", f"{repo}/actions/jobs/{job}", 200)
    w.call("GET", f"{repo}/actions/jobs/{job}/logs", 302)
    w.call("GET", f"{repo}/actions/jobs/999999", 404)
    w.call("POST", f"{repo}/actions/runs/{run_id}/rerun-failed-jobs", 201)
    w.call("GET", f"{repo}/check-runs/{job}/annotations", 200)
    w.call("GET", f"{repo}/check-runs/999999/annotations", 404)
    w.call("GET", f"{repo}/dependabot/alerts", 200)
    w.call("GET", f"{repo}/dependabot/alerts", 304, headers={"If-None-Match": w.etag(f"{repo}/dependabot/alerts")})
    w.call("GET", f"{repo}/dependabot/alerts", 403, who="reader")
    w.call("GET", f"{repo}/dependabot/alerts?severity=apocalyptic", 422)
    w.call("GET", f"/repos/{OWNER}/missing/dependabot/alerts", 404)
    w.call("GET", f"{repo}/commits/{sha}", 200)
    w.call("GET", f"{repo}/commits/{'0' * 40}", 422)
    w.call("GET", f"/repos/{OWNER}/missing/commits/main", 404)
    w.call("GET", f"/repos/{OWNER}/empty/commits/main", 409)


def _drive_apps(w: World) -> None:
    inst = w.tokens["installation_id"]
    w.call("GET", "/app", 200, who="jwt")
    w.call("GET", "/app/installations", 200, who="jwt")
    w.call("GET", f"/app/installations/{inst}", 200, who="jwt")
    w.call("GET", "/app/installations/999", 404, who="jwt")
    w.call("POST", f"/app/installations/{inst}/access_tokens", 201,
           {"repositories": ["demo"], "permissions": {"issues": "write"}}, who="jwt")
    w.call("POST", f"/app/installations/{inst}/access_tokens", 422, {"repositories": ["nope"]}, who="jwt")
    w.call("POST", "/app/installations/999/access_tokens", 404, {}, who="jwt")
    w.call("POST", f"/app/installations/{inst}/access_tokens", 401, {}, who="bad")
    w.call("GET", f"/repos/{REPO}/installation", 200, who="jwt")
    w.call("GET", f"/repos/{OWNER}/missing/installation", 404, who="jwt")
    w.call("GET", f"/orgs/{ORG}/installation", 200, who="jwt")
    w.call("GET", f"/users/{OWNER}/installation", 200, who="jwt")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    emu = Emulator(data_dir=tmp_path_factory.mktemp("conformance") / "emu")
    emu.start()
    try:
        world = _setup(emu)
        _drive_core(world)
        ids = _drive_issues(world)
        _drive_relations(world, ids)
        _drive_pulls(world)
        _drive_ci(world)
        _drive_apps(world)
        yield world
    finally:
        emu.stop()


def test_every_route_has_an_extract_entry() -> None:
    have = set(extract()["routes"])
    missing = [k for k in ROUTE_KEYS if k not in have]
    stale = sorted(have - set(ROUTE_KEYS))
    assert not missing, f"routes without GitHub schemas (run `python scripts/extract_openapi.py`): {missing}"
    assert not stale, f"extract entries for routes the emulator no longer serves: {stale}"


def _schema_path(route: str, status: int) -> tuple[str, ...] | None:
    documented = extract()["routes"][route]["responses"]
    if str(status) in documented and documented[str(status)] is None:  # documented without a body
        return ("generic", UNIVERSAL[str(status)]) if str(status) in UNIVERSAL else NO_BODY
    if str(status) in documented:
        return ("routes", route, "responses", str(status))
    if str(status) in UNIVERSAL:
        return ("generic", UNIVERSAL[str(status)])
    return None


@pytest.mark.parametrize("route", ROUTE_KEYS)
def test_route_conforms(session: World, route: str) -> None:
    seen = [s for s in session.seen if s.route == route]
    problems = [f"{s.method} {s.path}: expected {s.expected}, got {s.status}: {json.dumps(s.body)[:300]}"
                for s in seen if s.status != s.expected]
    for s in seen:
        where = _schema_path(route, s.status)
        if where is None:
            problems.append(f"{s.method} {s.path}: status {s.status} is not documented for this route")
        elif where == NO_BODY:
            if s.body is not None:
                problems.append(f"{s.method} {s.path} -> {s.status}: GitHub documents no body, got {s.body}")
        elif s.status not in (204, 304):
            problems.extend(f"{s.method} {s.path} -> {s.status}: {e}" for e in errors(s.body, *where))
    statuses = {str(s.status) for s in seen}
    assert any(s[0] in "23" for s in statuses), f"{route}: never answered with success"
    for status in extract()["routes"][route]["responses"]:
        if status not in statuses and status not in NOT_EMULATED and (route, status) not in NOT_EMULATED_ON:
            problems.append(f"documented status {status} never produced")
    assert not problems, "\n".join(problems)


def _sent_bodies(session: World) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for s in session.seen:
        if s.sent is not None and not isinstance(s.sent, bytes) and 200 <= s.status < 300:
            out.setdefault(s.route, []).append(s.sent)
    return out


def test_accepted_request_bodies_match_githubs_request_schemas(session: World) -> None:
    problems = []
    for route, bodies in _sent_bodies(session).items():
        entry = extract()["routes"][route]
        if entry["request"] is None:
            continue
        for body in bodies:
            found = errors(body, "routes", route, "request")
            also = entry.get("request_also_accepted") or []
            if found and not any(not errors(body, "routes", route, "request_also_accepted", str(i))
                                 for i in range(len(also))):
                problems.append(f"{route}: sent {body}: {found}")
    assert not problems, "\n".join(problems)


def _wrong_value(check: Any, good: dict[str, Any], name: str) -> Any:
    """A value for property `name` that makes the otherwise good body fail GitHub's schema."""
    for candidate in ({"unexpected": "object"}, [["nested"]], 12345, "a-string", True, None):
        if not check.is_valid({**good, name: candidate}):
            return candidate
    return None


def test_bodies_github_rejects_are_rejected_with_422(session: World) -> None:
    """For every route with a request schema: a missing required field, and each documented
    property given a value of the wrong type, are answered 422 (not accepted, not a 500)."""
    import jsonschema

    from tests.sandbox.openapi_schema import convert, validator

    paths = {s.route: (s.method, s.path) for s in reversed(session.seen) if 200 <= s.status < 300}
    sent = _sent_bodies(session)
    problems, tried = [], 0
    for route in ROUTE_KEYS:
        schema = extract()["routes"][route]["request"]
        if schema is None or route not in sent:
            continue
        method, path = paths[route]
        good = next((b for b in sent[route] if isinstance(b, dict)), None)
        check = validator("routes", route, "request")
        variants: list[Any] = []
        props = convert(schema).get("properties", {})
        for name in schema.get("required", []):
            if good is not None and name in good:
                variants.append({k: v for k, v in good.items() if k != name})
        for name, prop in props.items():
            if "$ref" in prop or good is None:
                continue
            value = _wrong_value(check, good, name)
            if value is not None:
                variants.append({**good, name: value})
        for body in variants:
            assert not check.is_valid(body), body
            tried += 1
            resp = requests.request(method, session.emu.url + path, data=json.dumps(body).encode(), timeout=30,
                                    headers={"Authorization": f"token {session.tokens['owner']}"}
                                    if not route.split(" ")[1].startswith("/app") else
                                    {"Authorization": f"Bearer {session.jwt()}"})
            if resp.status_code != 422:
                problems.append(f"{route} {body}: {resp.status_code} {resp.text[:200]}")
            else:
                found = list(jsonschema.Draft4Validator(convert(extract()["generic"]["basic-error"]))
                             .iter_errors(resp.json()))
                problems.extend(f"{route}: 422 body: {e.message}" for e in found)
    assert tried > 40, f"only {tried} invalid bodies tried"
    assert not problems, "\n".join(problems)


def test_readme_figure_counts_every_route() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"emulator routes conforming to GitHub's OpenAPI description\s*\|\s*(\d+) of (\d+)", readme)
    assert m is not None, "README Figures: the conformance row is missing"
    assert (int(m.group(1)), int(m.group(2))) == (len(ROUTE_KEYS), len(ROUTE_KEYS))

