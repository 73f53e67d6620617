"""Reading one repository for the scout, as cheaply as GitHub allows.

Cold: the repository (for its default branch), then issues (with pull requests), workflow
runs, the default branch's combined status and check runs (what an external CI reports),
Dependabot alerts and, when the issues list shows open PRs, the pull requests: six or seven
reads. Warm: issues, runs, statuses, check runs and alerts are asked with the stored
validators ("has anything changed?"); 304s cost no primary rate limit and reuse the stored
items. Pull requests are read again only when the issues list (which GitHub bumps on every
PR update) or the runs changed, so an unchanged repository costs five 304s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentops.errors import AgentOpsError, Forbidden, GitHubError, NotFound, RateLimited
from agentops.github.models import Fetched, Validators
from agentops.github.port import GitHubPort
from agentops.scout import snapshot as snap

PROBES: tuple[str, ...] = ("issues", "runs", "statuses", "checks", "alerts")


@dataclass
class RepoFetch:
    repo: str
    default_branch: str | None = None
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {etag, last_modified, items}
    errors: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # name -> 200 | 304 | cached | error
    fatal: str | None = None  # the repository itself could not be read
    fatal_kind: str | None = None  # not-found | forbidden | error

    def items(self, name: str) -> list[dict[str, Any]] | None:
        ep = self.endpoints.get(name)
        return None if ep is None else list(ep.get("items") or [])


def _validators(stored: Mapping[str, Any] | None) -> Validators | None:
    if not stored or stored.get("items") is None or not (stored.get("etag") or stored.get("last_modified")):
        return None
    return Validators(etag=stored.get("etag"), last_modified=stored.get("last_modified"))


def _branch_ci(gh: GitHubPort, repo: str, name: str, v: Validators | None, branch: str | None) -> Fetched[Any]:
    """The default branch's commit statuses or check runs: what an external CI reports, which
    the workflow runs do not show. A branch with no commit yet has none."""
    if not branch:
        return Fetched(items=())
    try:
        if name == "statuses":
            return gh.fetch_commit_statuses(repo, branch, validators=v)
        return gh.fetch_check_runs(repo, branch, validators=v)
    except NotFound:
        return Fetched(items=())
    except GitHubError as exc:
        if exc.status in (409, 422):  # an empty repository, or no commit on the branch
            return Fetched(items=())
        raise


def _read(gh: GitHubPort, repo: str, name: str, v: Validators | None, branch: str | None = None) -> Fetched[Any]:
    if name == "issues":
        # Pull requests included: the same request tells whether there are any open PRs.
        return gh.list_issues(repo, state="open", validators=v, include_pulls=True)
    if name == "runs":
        return gh.list_workflow_runs(repo, per_page=100, max_pages=1, validators=v)
    if name == "alerts":
        return gh.list_dependabot_alerts(repo, state="open", validators=v)
    if name in ("statuses", "checks"):
        return _branch_ci(gh, repo, name, v, branch)
    if name == "pulls":
        return gh.list_pulls(repo, state="open", validators=v)
    raise ValueError(name)


_CONVERT: dict[str, Callable[[Any], dict[str, Any]]] = {
    "issues": snap.issue_item, "runs": snap.run_item, "alerts": snap.alert_item, "pulls": snap.pull_item,
    "statuses": snap.status_item, "checks": snap.check_item}


def _why(name: str, exc: AgentOpsError) -> str:
    if name == "alerts" and isinstance(exc, Forbidden):
        return f"Dependabot alerts are disabled or not readable with this token ({exc.message})"
    return exc.message


def fetch_endpoint(gh: GitHubPort, out: RepoFetch, name: str, stored: Mapping[str, Any] | None) -> None:
    try:
        got = _read(gh, out.repo, name, _validators(stored), out.default_branch)
    except RateLimited:
        raise
    except AgentOpsError as exc:
        out.errors[name] = _why(name, exc)
        out.status[name] = "error"
        return
    if got.items is None:
        assert stored is not None
        out.endpoints[name] = {"etag": got.etag or stored.get("etag"),
                               "last_modified": got.last_modified or stored.get("last_modified"),
                               "items": list(stored.get("items") or [])}
        out.status[name] = "304"
        return
    out.endpoints[name] = {"etag": got.etag, "last_modified": got.last_modified,
                           "items": [_CONVERT[name](x) for x in got.items]}
    out.status[name] = "200"


def fetch_repo(gh: GitHubPort, repo: str, *, needs: set[str], previous: Mapping[str, Any] | None,
               default_branch: str | None = None) -> RepoFetch:
    """Raises RateLimited (the caller stops the scan); every other error lands in the result."""
    prev = previous or {}
    stored: Mapping[str, Any] = prev.get("endpoints") or {}
    out = RepoFetch(repo, default_branch=default_branch or prev.get("default_branch"))
    if out.default_branch is None:
        try:
            info = gh.get_repo(repo)
        except RateLimited:
            raise
        except NotFound as exc:
            out.fatal, out.fatal_kind = exc.message, "not-found"
            return out
        except Forbidden as exc:
            out.fatal, out.fatal_kind = exc.message, "forbidden"
            return out
        except AgentOpsError as exc:
            out.fatal, out.fatal_kind = exc.message, "error"
            return out
        out.default_branch = info.default_branch
    for name in PROBES:
        if name in needs:
            fetch_endpoint(gh, out, name, stored.get(name))
    if "pulls" in needs:
        unchanged = all(out.status.get(p) in (None, "304") for p in ("issues", "runs"))
        cached = stored.get("pulls")
        issues = out.items("issues")
        if issues is not None and not any(i.get("pr") for i in issues):
            out.endpoints["pulls"] = {"etag": None, "last_modified": None, "items": []}
            out.status["pulls"] = "none"
        elif unchanged and cached and cached.get("items") is not None:
            out.endpoints["pulls"] = dict(cached)
            out.status["pulls"] = "cached"
        else:
            fetch_endpoint(gh, out, "pulls", cached)
    if out.errors and all(s == "error" for s in out.status.values()):
        first = next(iter(out.errors.values()))
        if all("not found" in e for e in out.errors.values()):
            out.fatal, out.fatal_kind = first, "not-found"
    return out
