"""Sub-issues and issue dependencies ("blocked by" / "blocking")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox import relations
from agentops.sandbox.api import ApiError, Request, Response, not_found, paginate, validation
from agentops.sandbox.model import Issue, Repo
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_issues import ISSUE, load_issue
from agentops.sandbox.shapes import issue_json

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add


def _writable_issue(emu: Emulator, req: Request) -> tuple[Repo, Issue]:
    repo, issue = load_issue(emu, req)
    emu.state.require(repo, req.user, "triage")
    return repo, issue


def _id(data: dict[str, Any], field: str, *, required: bool = True) -> int | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation({"resource": "Issue", "field": field, "code": "missing_field" if value is None
                          else "invalid"})
    return value


def _issues(emu: Emulator, req: Request, ids: list[int]) -> Response:
    visible = [(r, i) for r, i in relations.related(emu.state, ids)
               if emu.state.permission(r, req.user) != "none"]
    return paginate(req, [issue_json(emu.state, req.base_url, r, i) for r, i in visible])


def _issue(emu: Emulator, req: Request, repo: Repo, issue: Issue, status: int = 200) -> Response:
    return Response(status, issue_json(emu.state, req.base_url, repo, issue))


# -- sub-issues -----------------------------------------------------------------------
@route("GET", ISSUE + "/sub_issues")
def list_sub_issues(emu: Emulator, req: Request) -> Response:
    _, issue = load_issue(emu, req)
    return _issues(emu, req, issue.sub_issue_ids)


@route("POST", ISSUE + "/sub_issues")
def add_sub_issue(emu: Emulator, req: Request) -> Response:
    repo, parent = _writable_issue(emu, req)
    data = req.json()
    child = _id(data, "sub_issue_id")
    assert child is not None
    relations.add_sub_issue(emu.state, repo, parent, child, replace_parent=data.get("replace_parent") is True)
    return _issue(emu, req, repo, parent, 201)


@route("DELETE", ISSUE + "/sub_issue")
def remove_sub_issue(emu: Emulator, req: Request) -> Response:
    repo, parent = _writable_issue(emu, req)
    child = _id(req.json(), "sub_issue_id")
    assert child is not None
    relations.remove_sub_issue(emu.state, parent, child)
    return _issue(emu, req, repo, parent)


@route("PATCH", ISSUE + "/sub_issues/priority")
def reprioritize_sub_issue(emu: Emulator, req: Request) -> Response:
    repo, parent = _writable_issue(emu, req)
    data = req.json()
    child = _id(data, "sub_issue_id")
    assert child is not None
    relations.reprioritize(parent, child, after_id=_id(data, "after_id", required=False),
                           before_id=_id(data, "before_id", required=False))
    parent.updated_at = emu.state.clock()
    return _issue(emu, req, repo, parent)


@route("GET", ISSUE + "/parent")
def get_parent(emu: Emulator, req: Request) -> Response:
    _, issue = load_issue(emu, req)
    pair = relations.by_id(emu.state, issue.parent_id) if issue.parent_id is not None else None
    if pair is None or emu.state.permission(pair[0], req.user) == "none":
        raise not_found()
    return _issue(emu, req, *pair)


# -- dependencies ---------------------------------------------------------------------
DEPENDENCIES = ISSUE + "/dependencies"


@route("GET", DEPENDENCIES + "/blocked_by")
def list_blocked_by(emu: Emulator, req: Request) -> Response:
    _, issue = load_issue(emu, req)
    return _issues(emu, req, issue.blocked_by_ids)


@route("GET", DEPENDENCIES + "/blocking")
def list_blocking(emu: Emulator, req: Request) -> Response:
    _, issue = load_issue(emu, req)
    return _issues(emu, req, issue.blocking_ids)


@route("POST", DEPENDENCIES + "/blocked_by")
def add_blocked_by(emu: Emulator, req: Request) -> Response:
    repo, issue = _writable_issue(emu, req)
    blocker = _id(req.json(), "issue_id")
    assert blocker is not None
    pair = relations.by_id(emu.state, blocker)
    # A blocker the caller cannot see does not exist for them.
    if pair is not None and emu.state.permission(pair[0], req.user) == "none":
        blocker = -1
    relations.add_blocked_by(emu.state, issue, blocker)
    return _issue(emu, req, repo, issue, 201)


@route("DELETE", DEPENDENCIES + "/blocked_by/{issue_id}")
def remove_blocked_by(emu: Emulator, req: Request) -> Response:
    repo, issue = _writable_issue(emu, req)
    try:
        blocker = int(req.params["issue_id"])
    except ValueError:
        raise ApiError(400, "issue_id must be an integer") from None
    relations.remove_blocked_by(emu.state, issue, blocker)
    return _issue(emu, req, repo, issue)
