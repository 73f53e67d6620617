"""Workflow jobs, job logs (302 to a download URL, as GitHub does), check-run annotations and
re-runs of failed jobs: what CI remediation reads and does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import Request, Response, iso, not_found, paginate
from agentops.sandbox.jobs import blob_path, find_job
from agentops.sandbox.jobs import rerun_failed as _rerun_failed
from agentops.sandbox.model import Job, Repo
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_core import load_repo, viewer

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add
REPO = "/repos/{owner}/{repo}"


def job_json(base: str, repo: Repo, j: Job, run_name: str, workflow_name: str) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    return {"id": j.id, "run_id": j.run_id, "run_url": f"{api}/actions/runs/{j.run_id}", "run_attempt": j.run_attempt,
            "node_id": f"CR_{j.id}", "head_sha": j.head_sha, "head_branch": j.head_branch,
            "url": f"{api}/actions/jobs/{j.id}", "html_url": f"{base}/{repo.full_name}/actions/runs/{j.run_id}/job/{j.id}",
            "status": j.status, "conclusion": j.conclusion, "created_at": iso(j.started_at),
            "started_at": iso(j.started_at), "completed_at": iso(j.completed_at), "name": j.name,
            "steps": [{**s, "started_at": iso(j.started_at), "completed_at": iso(j.completed_at)} for s in j.steps],
            "check_run_url": f"{api}/check-runs/{j.id}", "labels": ["ubuntu-latest"], "runner_id": 1,
            "runner_name": "GitHub Actions 1", "runner_group_id": 1, "runner_group_name": "GitHub Actions",
            "workflow_name": workflow_name, "display_title": run_name}


def _names(repo: Repo, run_id: int) -> tuple[str, str]:
    for r in repo.workflow_runs:
        if r.id == run_id:
            wf = next((w for w in repo.workflows if w.id == r.workflow_id), None)
            return r.name, wf.name if wf else r.name
    raise not_found()


@route("GET", REPO + "/actions/runs/{run_id}/jobs")
def list_jobs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    run_name, wf_name = _names(repo, int(req.params["run_id"]) if req.params["run_id"].isdigit() else -1)
    jobs = [j for j in repo.jobs if str(j.run_id) == req.params["run_id"]]
    return paginate(req, [job_json(req.base_url, repo, j, run_name, wf_name) for j in jobs], wrap="jobs")


@route("GET", REPO + "/actions/jobs/{job_id}")
def get_job(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    job = find_job(repo, req.params["job_id"])
    run_name, wf_name = _names(repo, job.run_id)
    return Response(200, job_json(req.base_url, repo, job, run_name, wf_name))


@route("GET", REPO + "/actions/jobs/{job_id}/logs")
def job_logs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    job = find_job(repo, req.params["job_id"])
    return Response(302, None, {"Location": req.base_url + blob_path(emu.state, repo, job)})


@route("POST", REPO + "/actions/runs/{run_id}/rerun-failed-jobs")
def rerun_failed_jobs(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    run = next((r for r in repo.workflow_runs if str(r.id) == req.params["run_id"]), None)
    if run is None:
        raise not_found()
    _rerun_failed(emu.state, repo, run, viewer(req))
    return Response(201, {})


@route("GET", REPO + "/check-runs/{check_run_id}/annotations")
def list_annotations(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    cid = req.params["check_run_id"]
    if not any(str(c.id) == cid for c in repo.check_runs):
        raise not_found()
    items = [{"path": a.get("path", ""), "start_line": a.get("start_line", 1), "end_line": a.get("end_line", 1),
              "start_column": a.get("start_column"), "end_column": a.get("end_column"),
              "annotation_level": a.get("annotation_level", "failure"), "title": a.get("title"),
              "message": a.get("message", ""), "raw_details": a.get("raw_details"),
              "blob_href": f"{req.base_url}/{repo.full_name}/blob/{a.get('path', '')}"}
             for a in repo.annotations.get(int(cid), [])]
    return paginate(req, items)
