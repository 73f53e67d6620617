"""Commit statuses, check runs, workflows and runs, dispatches, Dependabot alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, iso, not_found, paginate, validation
from agentops.sandbox.model import (
    Alert,
    CheckRun,
    Dispatch,
    Environment,
    Repo,
    Status,
    User,
    Workflow,
    WorkflowRun,
    rank,
)
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_apps import app_json
from agentops.sandbox.routes_core import load_repo, viewer
from agentops.sandbox.shapes import commit_json, minimal_repo_json, user_json
from agentops.sandbox.state import State
from agentops.sandbox.workflow_inputs import refusal

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add
REPO = "/repos/{owner}/{repo}"
STATES = ("error", "failure", "pending", "success")


def _sha(repo: Repo, ref: str, status: int = 422) -> str:
    sha = repo.bare.resolve_ref(ref)
    if sha is None:
        raise ApiError(status, f"No commit found for SHA: {ref}")
    return sha


# -- statuses -------------------------------------------------------------------------
def status_json(state: State, base: str, repo: Repo, s: Status) -> dict[str, Any]:
    return {"url": f"{base}/repos/{repo.full_name}/statuses/{s.sha}", "avatar_url": None, "id": s.id,
            "node_id": f"SC_{s.id}", "state": s.state, "description": s.description, "target_url": s.target_url,
            "context": s.context, "created_at": iso(s.created_at), "updated_at": iso(s.created_at),
            "creator": user_json(base, state.user(s.creator))}


@route("POST", REPO + "/statuses/{sha}")
def create_status(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    if data.get("state") not in STATES:
        raise validation({"resource": "Status", "field": "state", "code": "invalid"})
    sha = _sha(repo, req.params["sha"])
    s = Status(emu.state.next_id("status"), sha, data["state"], str(data.get("context") or "default"),
               data.get("description"), data.get("target_url"), viewer(req), emu.state.clock())
    repo.statuses.append(s)
    return Response(201, status_json(emu.state, req.base_url, repo, s))


def _statuses_for(repo: Repo, sha: str) -> list[Status]:
    return sorted((s for s in repo.statuses if s.sha == sha), key=lambda s: s.id, reverse=True)


@route("GET", REPO + "/statuses/{ref}")
@route("GET", REPO + "/commits/{ref}/statuses")
def list_statuses(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    sha = _sha(repo, req.params["ref"])
    return paginate(req, [status_json(emu.state, req.base_url, repo, s) for s in _statuses_for(repo, sha)])


@route("GET", REPO + "/commits/{ref}/status")
def combined_status(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    sha = _sha(repo, req.params["ref"], 404)
    latest: dict[str, Status] = {}
    for s in _statuses_for(repo, sha):
        latest.setdefault(s.context, s)
    states = {s.state for s in latest.values()}
    if states & {"error", "failure"}:
        overall = "failure"
    elif "pending" in states or not states:
        overall = "pending"
    else:
        overall = "success"
    api = f"{req.base_url}/repos/{repo.full_name}"
    items = sorted(latest.values(), key=lambda s: s.id)
    return Response(200, {"state": overall, "statuses": [status_json(emu.state, req.base_url, repo, s) for s in items],
                          "sha": sha, "total_count": len(items), "repository": minimal_repo_json(emu.state, req.base_url, repo),
                          "commit_url": f"{api}/commits/{sha}", "url": f"{api}/commits/{sha}/status"})


# -- check runs -----------------------------------------------------------------------
# The GitHub Actions app, as check runs and suites name it (owner: the "github" organization).
_ACTIONS_APP_OWNER = User(9919, "github", type="Organization")
_ACTIONS_APP_PERMISSIONS = {"actions": "write", "checks": "write", "contents": "write", "deployments": "write",
                            "issues": "write", "metadata": "read", "packages": "write", "pull_requests": "write",
                            "statuses": "write"}
_ACTIONS_APP_EVENTS = ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "push", "status",
                       "workflow_dispatch", "workflow_run"]


def actions_app_json(base: str) -> dict[str, Any]:
    return {"id": 15368, "slug": "github-actions", "client_id": "Iv1.05c79e9ad1f6bdfa", "node_id": "MDM6QXBwMTUzNjg=",
            "owner": user_json(base, _ACTIONS_APP_OWNER), "name": "GitHub Actions",
            "description": "Automate your workflow from idea to production",
            "external_url": f"{base}/features/actions", "html_url": f"{base}/apps/github-actions",
            "created_at": "2018-07-30T09:30:17Z", "updated_at": "2024-04-10T20:33:16Z",
            "permissions": dict(_ACTIONS_APP_PERMISSIONS), "events": list(_ACTIONS_APP_EVENTS)}


def _check_app(emu: Emulator, base: str, c: CheckRun) -> dict[str, Any]:
    app = emu.state.apps.apps.get(c.app_id) if c.app_id is not None else None
    return actions_app_json(base) if app is None else app_json(emu, base, app)


def check_json(base: str, repo: Repo, c: CheckRun, app: dict[str, Any] | None = None) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    out = {"title": None, "summary": None, "text": None, "annotations_count": 0,
           "annotations_url": f"{api}/check-runs/{c.id}/annotations", **c.output}
    return {"id": c.id, "head_sha": c.head_sha, "node_id": f"CR_{c.id}", "external_id": c.external_id or "",
            "url": f"{api}/check-runs/{c.id}", "html_url": f"{base}/{repo.full_name}/runs/{c.id}",
            "details_url": c.details_url, "status": c.status, "conclusion": c.conclusion,
            "started_at": iso(c.started_at), "completed_at": iso(c.completed_at), "output": out, "name": c.name,
            "check_suite": {"id": c.id}, "app": app or actions_app_json(base), "pull_requests": []}


@route("GET", REPO + "/commits/{ref}/check-runs")
def list_check_runs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    sha = _sha(repo, req.params["ref"])
    name = req.query.get("check_name")
    status = req.query.get("status")
    runs = [c for c in repo.check_runs if c.head_sha == sha and (name is None or c.name == name)
            and (status is None or c.status == status)]
    if req.query.get("filter", "latest") == "latest":
        newest: dict[str, CheckRun] = {}
        for c in runs:
            if c.name not in newest or c.id > newest[c.name].id:
                newest[c.name] = c
        runs = sorted(newest.values(), key=lambda c: c.id)
    return paginate(req, [check_json(req.base_url, repo, c, _check_app(emu, req.base_url, c)) for c in runs],
                    wrap="check_runs")


@route("POST", REPO + "/check-runs")
def create_check_run(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    if not isinstance(data.get("name"), str) or not isinstance(data.get("head_sha"), str):
        raise validation({"resource": "CheckRun", "field": "name", "code": "missing_field"})
    sha = _sha(repo, data["head_sha"])
    conclusion = data.get("conclusion")
    status = "completed" if conclusion else str(data.get("status") or "queued")
    if status == "completed" and not conclusion:
        raise validation({"resource": "CheckRun", "field": "conclusion", "code": "missing_field"})
    output = data.get("output") if isinstance(data.get("output"), dict) else {}
    # An installation token's check run is its App's (an external CI); any other caller's is
    # shown as GitHub Actions', as the runs the emulated workflows report.
    app = emu.state.apps.by_bot(req.user) if req.user else None
    cid = emu.state.add_check_run(repo.full_name, sha, name=data["name"], status=status, conclusion=conclusion,
                                  details_url=data.get("details_url"), output=output,
                                  app_id=app.id if app is not None else None)
    run = next(c for c in repo.check_runs if c.id == cid)
    run.external_id = data.get("external_id")
    return Response(201, check_json(req.base_url, repo, run, _check_app(emu, req.base_url, run)))


# -- workflows and runs ---------------------------------------------------------------
def workflow_json(base: str, repo: Repo, w: Workflow) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/actions/workflows/{w.id}"
    return {"id": w.id, "node_id": f"W_{w.id}", "name": w.name, "path": w.path, "state": w.state,
            "created_at": iso(w.created_at), "updated_at": iso(w.created_at), "url": api,
            "html_url": f"{base}/{repo.full_name}/blob/{repo.default_branch}/{w.path}",
            "badge_url": f"{base}/{repo.full_name}/workflows/{w.name}/badge.svg"}


def run_json(state: State, base: str, repo: Repo, r: WorkflowRun) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/actions/runs/{r.id}"
    actor = user_json(base, state.user(r.actor))
    wf = next((w for w in repo.workflows if w.id == r.workflow_id), None)
    return {"id": r.id, "name": r.name, "node_id": f"WFR_{r.id}", "head_branch": r.head_branch,
            "head_sha": r.head_sha, "path": wf.path if wf else "", "display_title": r.name,
            "run_number": r.run_number, "event": r.event, "status": r.status, "conclusion": r.conclusion,
            "workflow_id": r.workflow_id, "check_suite_id": r.id, "url": api,
            "html_url": f"{base}/{repo.full_name}/actions/runs/{r.id}", "pull_requests": [],
            "created_at": iso(r.created_at), "updated_at": iso(r.updated_at), "actor": actor,
            "triggering_actor": actor, "run_attempt": 1, "run_started_at": iso(r.created_at),
            "jobs_url": f"{api}/jobs", "logs_url": f"{api}/logs", "check_suite_url": f"{api}/check-suite",
            "artifacts_url": f"{api}/artifacts", "cancel_url": f"{api}/cancel", "rerun_url": f"{api}/rerun",
            "workflow_url": f"{base}/repos/{repo.full_name}/actions/workflows/{r.workflow_id}",
            # No author or committer: naming them would cost a git read per run in every listing.
            "head_commit": {"id": r.head_sha, "tree_id": "", "message": "", "timestamp": iso(r.created_at),
                            "author": None, "committer": None},
            "repository": minimal_repo_json(state, base, repo), "head_repository": minimal_repo_json(state, base, repo)}


# -- Actions secrets and variables (names only: GitHub never serves a secret's value) ----------------
def _admin(emu: Emulator, req: Request) -> Repo:
    repo = load_repo(emu, req)
    if rank(emu.state.permission(repo, req.user)) < rank("admin"):
        raise ApiError(403, "Resource not accessible by personal access token")
    return repo


@route("GET", REPO + "/actions/secrets")
def list_secrets(emu: Emulator, req: Request) -> Response:
    repo = _admin(emu, req)
    items = sorted(repo.actions_secrets.values(), key=lambda s: s.name)
    return paginate(req, [{"name": s.name, "created_at": iso(s.created_at), "updated_at": iso(s.updated_at)}
                          for s in items], wrap="secrets")


@route("GET", REPO + "/actions/variables")
def list_variables(emu: Emulator, req: Request) -> Response:
    repo = _admin(emu, req)
    items = sorted(repo.actions_variables.values(), key=lambda s: s.name)
    return paginate(req, [{"name": v.name, "value": v.value, "created_at": iso(v.created_at),
                           "updated_at": iso(v.updated_at)} for v in items], wrap="variables")


def environment_json(base: str, repo: Repo, env: Environment) -> dict[str, Any]:
    return {"id": env.id, "node_id": f"EN_{env.id}", "name": env.name,
            "url": f"{base}/repos/{repo.full_name}/environments/{env.name}",
            "html_url": f"{base}/{repo.full_name}/deployments/activity_log?environments_filter={env.name}",
            "created_at": iso(env.created_at), "updated_at": iso(env.updated_at), "protection_rules": [],
            "deployment_branch_policy": None}


@route("GET", REPO + "/environments")
def list_environments(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)  # anyone who can read the repository
    items = sorted(repo.environments.values(), key=lambda e: e.name.lower())
    return paginate(req, items, wrap="environments", conv=lambda e: environment_json(req.base_url, repo, e))


@route("GET", REPO + "/environments/{environment_name}/secrets")
def list_environment_secrets(emu: Emulator, req: Request) -> Response:
    repo = _admin(emu, req)
    env = repo.environments.get(req.params["environment_name"].lower())
    if env is None:
        raise not_found()
    items = sorted(env.secrets.values(), key=lambda s: s.name)
    return paginate(req, [{"name": s.name, "created_at": iso(s.created_at), "updated_at": iso(s.updated_at)}
                          for s in items], wrap="secrets")


@route("GET", REPO + "/actions/workflows")
def list_workflows(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return paginate(req, [workflow_json(req.base_url, repo, w) for w in emu.state.workflows(repo)], wrap="workflows")


def _workflow(emu: Emulator, repo: Repo, key: str) -> Workflow:
    for w in emu.state.workflows(repo):
        if str(w.id) == key or w.path.rsplit("/", 1)[-1] == key:
            return w
    raise not_found()


@route("GET", REPO + "/actions/workflows/{workflow}")
def get_workflow(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return Response(200, workflow_json(req.base_url, repo, _workflow(emu, repo, req.params["workflow"])))


@route("POST", REPO + "/actions/workflows/{workflow}/dispatches")
def dispatch(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    wf = _workflow(emu, repo, req.params["workflow"])
    data = req.json()
    ref = data.get("ref")
    if not isinstance(ref, str) or repo.bare.resolve_ref(ref) is None:
        raise validation({"resource": "WorkflowDispatch", "field": "ref", "code": "invalid"},
                         message=f"No ref found for: {ref}")
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise validation({"resource": "WorkflowDispatch", "field": "inputs", "code": "invalid"})
    # The workflow file as the ref has it (a workflow only registered in the emulator has none).
    text = repo.bare.file_at(repo.bare.resolve_ref(ref) or "", wf.path)
    why = refusal(text, inputs) if text is not None else None
    if why is not None:
        raise validation(message=why)
    repo.dispatches.append(Dispatch(wf.id, wf.path, ref, inputs, viewer(req), emu.state.clock()))
    if data.get("return_run_details") is not True:
        return Response(204)
    # Asked for the run: it exists at once, queued, as on GitHub since return_run_details.
    sha = repo.bare.resolve_ref(ref) or ""
    run_id = emu.state.add_workflow_run(repo.full_name, name=wf.name, head_branch=ref, head_sha=sha,
                                        status="queued", conclusion=None, event="workflow_dispatch", path=wf.path,
                                        actor=viewer(req))
    api = f"{req.base_url}/repos/{repo.full_name}/actions/runs/{run_id}"
    return Response(200, {"workflow_run_id": run_id, "run_url": api,
                          "html_url": f"{req.base_url}/{repo.full_name}/actions/runs/{run_id}"})


def _runs(emu: Emulator, req: Request, repo: Repo, workflow_id: int | None) -> Response:
    q = req.query
    runs = [r for r in repo.workflow_runs if (workflow_id is None or r.workflow_id == workflow_id)
            and ("branch" not in q or r.head_branch == q["branch"])
            and ("event" not in q or r.event == q["event"])
            and ("head_sha" not in q or r.head_sha == q["head_sha"])
            and ("actor" not in q or r.actor.lower() == q["actor"].lower())
            and ("status" not in q or q["status"] in (r.status, r.conclusion))]
    runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return paginate(req, [run_json(emu.state, req.base_url, repo, r) for r in runs], wrap="workflow_runs")


@route("GET", REPO + "/actions/runs")
def list_runs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return _runs(emu, req, repo, None)


@route("GET", REPO + "/actions/workflows/{workflow}/runs")
def list_workflow_runs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return _runs(emu, req, repo, _workflow(emu, repo, req.params["workflow"]).id)


@route("GET", REPO + "/actions/runs/{run_id}")
def get_run(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    for r in repo.workflow_runs:
        if str(r.id) == req.params["run_id"]:
            return Response(200, run_json(emu.state, req.base_url, repo, r))
    raise not_found()


# -- Dependabot -----------------------------------------------------------------------
def alert_json(base: str, repo: Repo, a: Alert) -> dict[str, Any]:
    pkg = {"ecosystem": a.ecosystem, "name": a.package}
    patched = {"identifier": a.first_patched_version} if a.first_patched_version else None
    vuln = {"package": pkg, "severity": a.severity, "vulnerable_version_range": a.vulnerable_version_range,
            "first_patched_version": patched}
    identifiers = [{"value": a.ghsa_id, "type": "GHSA"}] + ([{"value": a.cve_id, "type": "CVE"}] if a.cve_id else [])
    return {
        "number": a.number, "state": a.state,
        "dependency": {"package": pkg, "manifest_path": a.manifest_path, "scope": "runtime", "relationship": "direct"},
        "security_advisory": {"ghsa_id": a.ghsa_id, "cve_id": a.cve_id, "summary": a.summary,
                              "description": a.summary, "vulnerabilities": [vuln], "severity": a.severity,
                              "cvss": {"vector_string": None, "score": 0.0}, "cwes": [],
                              "identifiers": identifiers, "references": [],
                              "published_at": iso(a.created_at), "updated_at": iso(a.updated_at),
                              "withdrawn_at": None},
        "security_vulnerability": vuln,
        "url": f"{base}/repos/{repo.full_name}/dependabot/alerts/{a.number}",
        "html_url": f"{base}/{repo.full_name}/security/dependabot/{a.number}",
        "created_at": iso(a.created_at), "updated_at": iso(a.updated_at), "dismissed_at": None, "dismissed_by": None,
        "dismissed_reason": None, "dismissed_comment": None, "fixed_at": None, "auto_dismissed_at": None,
    }


def _choices(req: Request, name: str, allowed: tuple[str, ...]) -> set[str]:
    """A comma-separated filter; GitHub answers 422 for a value it does not know."""
    picked = set(req.query.get(name, "").split(",")) - {""}
    if picked - set(allowed):
        raise ApiError(422, "Validation Failed", errors=[f"Invalid {name}: {sorted(picked - set(allowed))}"])
    return picked


@route("GET", REPO + "/dependabot/alerts")
def list_alerts(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    # Alerts are visible to people with write access (or security managers), never to readers.
    if emu.state.permission(repo, req.user) not in ("write", "maintain", "admin"):
        raise ApiError(403, "Resource not accessible by personal access token")
    if not repo.dependabot_enabled:
        raise ApiError(403, "Dependabot alerts are disabled for this repository.")
    states = _choices(req, "state", ("auto_dismissed", "dismissed", "fixed", "open"))
    sev = _choices(req, "severity", ("low", "medium", "high", "critical"))
    eco = set(req.query.get("ecosystem", "").split(",")) - {""}
    items = [a for a in repo.alerts if (not states or a.state in states) and (not sev or a.severity in sev)
             and (not eco or a.ecosystem in eco)]
    items.sort(key=lambda a: a.number, reverse=req.query.get("direction", "desc") == "desc")
    return paginate(req, [alert_json(req.base_url, repo, a) for a in items])


# Registered last: {ref} may contain slashes, so the more specific commit routes must win.
@route("GET", REPO + "/commits/{ref}")
def get_commit(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    if repo.bare.resolve(f"refs/heads/{repo.default_branch}") is None:
        raise ApiError(409, "Git Repository is empty.")
    sha = repo.bare.resolve_ref(req.params["ref"])
    info = repo.bare.commit(sha) if sha else None
    if info is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['ref']}")
    return Response(200, {**commit_json(emu.state, req.base_url, repo, info), "files": [],
                          "stats": {"total": 0, "additions": 0, "deletions": 0}})
