"""Names of the state documents and logs, and the schema family each document belongs to.

A document name is a slash-separated path under the state root without the `.json`
suffix; a log name is a bare name under `logs/` without `.jsonl`.
"""

from __future__ import annotations

import re

from agentops.errors import BadInput

TASK_QUEUE = "orchestrator/task-queue"
AGENT_STATUS = "orchestrator/agent-status"
METRICS = "orchestrator/metrics"
PULLS = "orchestrator/pulls"  # the report's cache of agent PR facts, kept apart from the small METRICS
SCAN_RESULTS = "repo-scout/scan-results"
ISSUE_TRACKER = "repo-scout/issue-tracker"

AGENT_ACTIONS = "agent-actions"
DEPLOYMENTS = "deployments"
INCIDENTS = "incidents"
COSTS = "costs"

LOGS = (AGENT_ACTIONS, DEPLOYMENTS, INCIDENTS, COSTS)
LOG_DIR = "logs"
# Records moved out of a live document: `archive/<prefix>-YYYY-MM.jsonl`, one record a line.
ARCHIVE_DIR = "archive"
TASKS_ARCHIVE = "tasks"

_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_DOC_RE = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})*$")
_LOG_RE = re.compile(rf"^{_SEGMENT}$")
_REPO_RE = re.compile(rf"^{_SEGMENT}/{_SEGMENT}$")


def progress(repo: str) -> str:
    return f"agents/{_repo(repo)}/progress"


def test_results(repo: str) -> str:
    return f"agents/{_repo(repo)}/test-results"


def _repo(repo: str) -> str:
    if not _REPO_RE.match(repo):
        raise BadInput(f"{repo!r} is not OWNER/NAME")
    return repo


def check_doc_name(name: str) -> str:
    """Reject names that could escape the state root or collide with the log folder."""
    if not _DOC_RE.match(name) or name.split("/", 1)[0] in (LOG_DIR, ARCHIVE_DIR) or name.endswith(".lock"):
        raise BadInput(f"{name!r} is not a valid state document name")
    return name


def check_log_name(name: str) -> str:
    if not _LOG_RE.match(name):
        raise BadInput(f"{name!r} is not a valid state log name")
    return name


def family(name: str) -> str:
    """The schema family of a document: per-repository documents share one schema."""
    parts = name.split("/")
    if len(parts) == 4 and parts[0] == "agents":
        return f"agents/*/*/{parts[3]}"
    return name


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def run_file_stem(name: str, worker: str) -> str:
    """A per-run file name that two machines never both create: the run's own name plus the
    worker id (so `transcripts/1-1.log` from two clones cannot meet as an add/add conflict)."""
    safe = _UNSAFE.sub("_", worker).strip("._") or "worker"
    return f"{name}-{safe[:80]}"
