"""Issues, issue comments, labels and assignees."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, not_found, paginate, validation
from agentops.sandbox.model import Issue, Repo, rank
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_core import load_repo, viewer
from agentops.sandbox.shapes import comment_json, issue_event_json, issue_json, label_json

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add
ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = ISSUES + "/{number}"


def load_issue(emu: Emulator, req: Request) -> tuple[Repo, Issue]:
    repo = load_repo(emu, req)
    try:
        number = int(req.params["number"])
    except ValueError:
        raise not_found() from None
    return repo, emu.state.issue(repo, number)


def can_triage(emu: Emulator, repo: Repo, login: str | None) -> bool:
    return rank(emu.state.permission(repo, login)) >= rank("triage")


def _names(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("labels", value.get("assignees", []))
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation({"resource": "Issue", "field": "labels", "code": "invalid"})
    out = []
    for v in value:
        name = v.get("name") if isinstance(v, dict) else v
        if not isinstance(name, str) or not name.strip():
            raise validation({"resource": "Label", "field": "name", "code": "invalid"})
        out.append(name.strip())
    return out


def _set_labels(emu: Emulator, repo: Repo, issue: Issue, names: list[str], *, replace: bool, actor: str) -> None:
    emu.state.set_labels(repo, issue, names, actor, replace=replace)


def _issue_response(emu: Emulator, req: Request, repo: Repo, issue: Issue, status: int = 200) -> Response:
    return Response(status, issue_json(emu.state, req.base_url, repo, issue), last_modified=issue.updated_at)


# -- issues ---------------------------------------------------------------------------
@route("GET", ISSUES)
def list_issues(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    state = req.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise validation({"resource": "Query", "field": "state", "code": "invalid"})
    wanted = [n.strip().lower() for n in req.query.get("labels", "").split(",") if n.strip()]
    since = req.q_time("since")
    assignee = req.query.get("assignee")
    creator = req.query.get("creator")
    # The listing's cost is what a page of 5,000 issues pays per issue: one call, cheap tests first.
    want_state = None if state == "all" else state
    need = set(wanted)
    who = assignee.lower() if assignee not in (None, "none", "*") else None
    by = creator.lower() if creator is not None else None

    def keep(i: Issue) -> bool:
        if want_state is not None and i.state != want_state:
            return False
        if since is not None and i.updated_at < since:
            return False
        if need and not need <= {n.lower() for n in i.labels}:
            return False
        if assignee == "none" and i.assignees or assignee == "*" and not i.assignees:
            return False
        if who is not None and who not in (a.lower() for a in i.assignees):
            return False
        return by is None or i.author.lower() == by

    picked = [i for i in repo.issues.values() if keep(i)]
    sort = req.query.get("sort", "created")
    keys: dict[str, Any] = {"created": lambda i: (i.created_at, i.number), "updated": lambda i: (i.updated_at, i.number),
                            "comments": lambda i: (len(i.comments), i.number)}
    if sort not in keys:
        raise validation({"resource": "Query", "field": "sort", "code": "invalid"})
    picked.sort(key=keys[sort], reverse=req.query.get("direction", "desc") == "desc")
    return paginate(req, picked, conv=lambda i: issue_json(emu.state, req.base_url, repo, i))


@route("POST", ISSUES)
def create_issue(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "read")
    data = req.json()
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation({"resource": "Issue", "field": "title", "code": "missing_field"})
    body = data.get("body")
    issue = emu.state.new_issue(repo, title, body if isinstance(body, str) else None, viewer(req))
    # As on GitHub, labels and assignees from users without triage access are silently dropped.
    if can_triage(emu, repo, req.user):
        _set_labels(emu, repo, issue, _names(data.get("labels")), replace=True, actor=viewer(req))
        assignees = _names(data.get("assignees")) + ([data["assignee"]] if isinstance(data.get("assignee"), str) else [])
        issue.assignees = list(dict.fromkeys(emu.state.user(a).login for a in assignees))
    emu.state.touch(repo)
    return _issue_response(emu, req, repo, issue, 201)


@route("GET", ISSUES + "/comments")
def list_repo_comments(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    since = req.q_time("since")
    pairs = [(i, c) for i in repo.issues.values() for c in i.comments if since is None or c.updated_at >= since]
    key = (lambda p: (p[1].updated_at, p[1].id)) if req.query.get("sort") == "updated" else (lambda p: p[1].id)
    pairs.sort(key=key, reverse=req.query.get("direction", "asc") == "desc")
    return paginate(req, pairs, conv=lambda p: comment_json(emu.state, req.base_url, repo, p[0], p[1]))


def _load_comment(emu: Emulator, req: Request) -> tuple[Repo, Issue, Any]:
    repo = load_repo(emu, req)
    try:
        cid = int(req.params["comment_id"])
    except ValueError:
        raise not_found() from None
    issue, c = emu.state.find_comment(repo, cid)
    return repo, issue, c


@route("GET", ISSUES + "/comments/{comment_id}")
def get_comment(emu: Emulator, req: Request) -> Response:
    repo, issue, c = _load_comment(emu, req)
    return Response(200, comment_json(emu.state, req.base_url, repo, issue, c), last_modified=c.updated_at)


def _may_edit(emu: Emulator, repo: Repo, author: str, login: str | None) -> None:
    if login is None or (author.lower() != login.lower() and not rank(emu.state.permission(repo, login)) >= rank("write")):
        raise ApiError(403, "Resource not accessible by personal access token")


@route("PATCH", ISSUES + "/comments/{comment_id}")
def edit_comment(emu: Emulator, req: Request) -> Response:
    repo, issue, c = _load_comment(emu, req)
    _may_edit(emu, repo, c.author, req.user)
    body = req.json().get("body")
    if not isinstance(body, str):
        raise validation({"resource": "IssueComment", "field": "body", "code": "missing_field"})
    c.body = body
    c.updated_at = emu.state.clock()
    return Response(200, comment_json(emu.state, req.base_url, repo, issue, c))


@route("DELETE", ISSUES + "/comments/{comment_id}")
def delete_comment(emu: Emulator, req: Request) -> Response:
    repo, issue, c = _load_comment(emu, req)
    _may_edit(emu, repo, c.author, req.user)
    issue.comments.remove(c)
    return Response(204)


@route("GET", ISSUE)
def get_issue(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    return _issue_response(emu, req, repo, issue)


@route("PATCH", ISSUE)
def edit_issue(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    _may_edit(emu, repo, issue.author, req.user)
    if repo.archived:
        raise ApiError(403, "Repository was archived so is read-only.")
    data = req.json()
    triage = can_triage(emu, repo, req.user)
    if isinstance(data.get("title"), str):
        issue.title = data["title"]
    if "body" in data:
        issue.body = data["body"] if isinstance(data["body"], str) else None
    state = data.get("state")
    if state == "closed":
        reason = data.get("state_reason") or "completed"
        if reason not in ("completed", "not_planned", "duplicate"):
            raise validation({"resource": "Issue", "field": "state_reason", "code": "invalid"})
        emu.state.close(issue, viewer(req), reason)
    elif state == "open":
        emu.state.reopen(issue, viewer(req))
    elif state is not None:
        raise validation({"resource": "Issue", "field": "state", "code": "invalid"})
    if triage and "labels" in data:
        _set_labels(emu, repo, issue, _names(data["labels"]), replace=True, actor=viewer(req))
    if triage and ("assignees" in data or "assignee" in data):
        names = _names(data.get("assignees")) if "assignees" in data else (
            [data["assignee"]] if isinstance(data.get("assignee"), str) else [])
        issue.assignees = list(dict.fromkeys(emu.state.user(a).login for a in names))
    issue.updated_at = emu.state.clock()
    return _issue_response(emu, req, repo, issue)


# -- comments on one issue ------------------------------------------------------------
@route("GET", ISSUE + "/comments")
def list_comments(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    since = req.q_time("since")
    items = [c for c in issue.comments if since is None or c.updated_at >= since]
    return paginate(req, [comment_json(emu.state, req.base_url, repo, issue, c) for c in items])


@route("POST", ISSUE + "/comments")
def create_comment(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    emu.state.require(repo, req.user, "read")
    if issue.locked and not can_triage(emu, repo, req.user):
        raise ApiError(403, "Unable to create comment because issue is locked.")
    body = req.json().get("body")
    if not isinstance(body, str) or not body:
        raise validation({"resource": "IssueComment", "field": "body", "code": "missing_field"})
    c = emu.state.comment_on(repo, issue, body, viewer(req))
    return Response(201, comment_json(emu.state, req.base_url, repo, issue, c))


# -- events of an issue ----------------------------------------------------------------
@route("GET", ISSUE + "/events")
def list_issue_events(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    return paginate(req, [issue_event_json(emu.state, req.base_url, repo, issue, ev) for ev in issue.events])


@route("GET", ISSUES + "/events/{event_id}")
def get_issue_event(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    for issue in repo.issues.values():
        for ev in issue.events:
            if str(ev.id) == req.params["event_id"]:
                return Response(200, issue_event_json(emu.state, req.base_url, repo, issue, ev))
    raise not_found()


# -- labels on an issue ---------------------------------------------------------------
def _labels_response(emu: Emulator, req: Request, repo: Repo, issue: Issue) -> Response:
    return Response(200, [label_json(req.base_url, repo, emu.state.ensure_label(repo, n)) for n in issue.labels])


def _triage_issue(emu: Emulator, req: Request) -> tuple[Repo, Issue]:
    repo, issue = load_issue(emu, req)
    emu.state.require(repo, req.user, "triage")
    return repo, issue


@route("GET", ISSUE + "/labels")
def list_issue_labels(emu: Emulator, req: Request) -> Response:
    repo, issue = load_issue(emu, req)
    return paginate(req, [label_json(req.base_url, repo, emu.state.ensure_label(repo, n)) for n in issue.labels])


@route("POST", ISSUE + "/labels")
def add_issue_labels(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    _set_labels(emu, repo, issue, _names(req.json_any()), replace=False, actor=viewer(req))
    return _labels_response(emu, req, repo, issue)


@route("PUT", ISSUE + "/labels")
def set_issue_labels(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    _set_labels(emu, repo, issue, _names(req.json_any()), replace=True, actor=viewer(req))
    return _labels_response(emu, req, repo, issue)


@route("DELETE", ISSUE + "/labels")
def clear_issue_labels(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    _set_labels(emu, repo, issue, [], replace=True, actor=viewer(req))
    return Response(204)


@route("DELETE", ISSUE + "/labels/{name}")
def remove_issue_label(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    name = req.params["name"].lower()
    if name not in (n.lower() for n in issue.labels):
        raise ApiError(404, "Label does not exist")
    _set_labels(emu, repo, issue, [n for n in issue.labels if n.lower() != name], replace=True, actor=viewer(req))
    return _labels_response(emu, req, repo, issue)


# -- assignees ------------------------------------------------------------------------
@route("POST", ISSUE + "/assignees")
def add_assignees(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    for a in _names(req.json().get("assignees")):
        login = emu.state.user(a).login
        if login.lower() not in (x.lower() for x in issue.assignees) and len(issue.assignees) < 10:
            issue.assignees.append(login)
    issue.updated_at = emu.state.clock()
    return _issue_response(emu, req, repo, issue, 201)


@route("DELETE", ISSUE + "/assignees")
def remove_assignees(emu: Emulator, req: Request) -> Response:
    repo, issue = _triage_issue(emu, req)
    gone = {a.lower() for a in _names(req.json().get("assignees"))}
    issue.assignees = [a for a in issue.assignees if a.lower() not in gone]
    issue.updated_at = emu.state.clock()
    return _issue_response(emu, req, repo, issue)


# -- repo labels ----------------------------------------------------------------------
LABELS = "/repos/{owner}/{repo}/labels"


@route("GET", LABELS)
def list_labels(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return paginate(req, [label_json(req.base_url, repo, lab) for lab in sorted(repo.labels.values(), key=lambda x: x.id)])


@route("POST", LABELS)
def create_label(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation({"resource": "Label", "field": "name", "code": "missing_field"})
    if name.lower() in repo.labels:
        raise validation({"resource": "Label", "code": "already_exists", "field": "name"})
    color = str(data.get("color") or "ededed").lstrip("#")
    lab = emu.state.ensure_label(repo, name.strip(), color, data.get("description"))
    return Response(201, label_json(req.base_url, repo, lab))


def _load_label(emu: Emulator, req: Request) -> tuple[Repo, Any]:
    repo = load_repo(emu, req)
    lab = repo.labels.get(req.params["name"].lower())
    if lab is None:
        raise not_found()
    return repo, lab


@route("GET", LABELS + "/{name}")
def get_label(emu: Emulator, req: Request) -> Response:
    repo, lab = _load_label(emu, req)
    return Response(200, label_json(req.base_url, repo, lab))


@route("PATCH", LABELS + "/{name}")
def edit_label(emu: Emulator, req: Request) -> Response:
    repo, lab = _load_label(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    new = data.get("new_name") or data.get("name")
    if isinstance(new, str) and new and new != lab.name:
        if new.lower() in repo.labels and new.lower() != lab.name.lower():
            raise validation({"resource": "Label", "code": "already_exists", "field": "name"})
        del repo.labels[lab.name.lower()]
        for issue in repo.issues.values():
            issue.labels = [new if n.lower() == lab.name.lower() else n for n in issue.labels]
        lab.name = new
        repo.labels[new.lower()] = lab
    if isinstance(data.get("color"), str):
        lab.color = data["color"].lstrip("#")
    if "description" in data:
        lab.description = data["description"]
    return Response(200, label_json(req.base_url, repo, lab))


@route("DELETE", LABELS + "/{name}")
def delete_label(emu: Emulator, req: Request) -> Response:
    repo, lab = _load_label(emu, req)
    emu.state.require(repo, req.user, "write")
    del repo.labels[lab.name.lower()]
    for issue in repo.issues.values():
        issue.labels = [n for n in issue.labels if n.lower() != lab.name.lower()]
    return Response(204)
