"""Workflow jobs and their logs: what a CI remediation round reads on GitHub.

A job belongs to a workflow run and has a check run of the same id (GitHub's own layout), so a
failing job shows up on the commit's check runs like any other check. Its log is served the way
GitHub serves it: `GET .../actions/jobs/{id}/logs` answers 302 with a short-lived download URL
that needs no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref
from typing import Any

from agentops.sandbox.api import not_found
from agentops.sandbox.model import CheckRun, Job, Repo, WorkflowRun
from agentops.sandbox.state import State

BLOB_PREFIX = "/_emulator/blobs/job-logs/"


def add_job(state: State, full_name: str, run_id: int, *, name: str, conclusion: str | None = "success",
            log: str = "", steps: list[dict[str, Any]] | None = None,
            annotations: list[dict[str, Any]] | None = None) -> int:
    """A completed (or, with conclusion None, in-progress) job of run `run_id`, with its check run."""
    with state.lock:
        repo = state.repo(full_name)
        run = _run(repo, run_id)
        now = state.clock()
        status = "completed" if conclusion else "in_progress"
        output: dict[str, Any] = {"title": f"{name}: {conclusion}" if conclusion else None, "summary": None,
                                  "text": None, "annotations_count": len(annotations or ())}
        check = CheckRun(state.next_id("check"), run.head_sha, name, status, conclusion, now,
                         now if conclusion else None, None, None, output)
        repo.check_runs.append(check)
        if annotations:
            repo.annotations[check.id] = [dict(a) for a in annotations]
        job = Job(check.id, run.id, name, status, conclusion, run.head_sha, run.head_branch, now,
                  now if conclusion else None, log, list(steps or [_step(name, conclusion)]))
        repo.jobs.append(job)
        return job.id


def rerun_failed(state: State, repo: Repo, run: WorkflowRun, actor: str) -> None:
    """GitHub re-queues the failed jobs as a new attempt of the same run; here the run goes back
    to queued and the request is recorded so tests can see exactly one rerun happened."""
    run.status, run.conclusion, run.updated_at = "queued", None, state.clock()
    repo.reruns.append({"run_id": run.id, "actor": actor, "at": run.updated_at, "failed_only": True})


def _run(repo: Repo, run_id: int) -> WorkflowRun:
    for r in repo.workflow_runs:
        if r.id == run_id:
            return r
    raise not_found()


def _step(name: str, conclusion: str | None) -> dict[str, Any]:
    return {"name": name, "status": "completed" if conclusion else "in_progress", "conclusion": conclusion,
            "number": 1, "started_at": None, "completed_at": None}


def find_job(repo: Repo, job_id: str) -> Job:
    for j in repo.jobs:
        if str(j.id) == job_id:
            return j
    raise not_found()


# One signing key per emulator state: a download URL is good only for the server that issued it.
_KEYS: weakref.WeakKeyDictionary[State, bytes] = weakref.WeakKeyDictionary()


def blob_signature(state: State, repo: Repo, job: Job) -> str:
    key = _KEYS.setdefault(state, secrets.token_bytes(16))
    return hmac.new(key, f"{repo.id}:{job.id}".encode(), hashlib.sha256).hexdigest()[:32]


def blob_path(state: State, repo: Repo, job: Job) -> str:
    return f"{BLOB_PREFIX}{repo.owner}/{repo.name}/{job.id}?sig={blob_signature(state, repo, job)}"
