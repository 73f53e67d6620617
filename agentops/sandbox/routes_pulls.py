"""Pull requests, their commits, reviews, review comments and requested reviewers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, iso, not_found, paginate, validation
from agentops.sandbox.model import Issue, Repo, Review, ReviewComment
from agentops.sandbox.pulls import merge, mergeable, open_pull, split_head, sync_head
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_core import load_repo, viewer
from agentops.sandbox.shapes import commit_json, label_json, reactions_json, repo_json, user_json, user_ref
from agentops.sandbox.state import State

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add
PULLS = "/repos/{owner}/{repo}/pulls"
PULL = PULLS + "/{number}"


def _ref(state: State, base: str, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": user_json(base, state.user(repo.owner)),
            "repo": repo_json(state, base, repo, None)}


def pull_json(state: State, base: str, repo: Repo, issue: Issue, *, read: bool = False) -> dict[str, Any]:
    """`read`: a single-PR GET, the read that makes GitHub work out `mergeable` (pulls.mergeable)."""
    pr = issue.pull
    assert pr is not None
    sync_head(state, repo, issue)
    api = f"{base}/repos/{repo.full_name}"
    url = f"{api}/pulls/{issue.number}"
    html = f"{base}/{repo.full_name}/pull/{issue.number}"
    assignees = [user_json(base, state.user(a)) for a in issue.assignees]
    can_merge = mergeable(repo, issue, read=read)
    commits = len(repo.bare.commits_between(pr.base_sha, pr.head_sha)) if not pr.merged else 0
    return {
        "url": url, "id": issue.id, "node_id": f"PR_{issue.id}", "html_url": html, "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch", "issue_url": f"{api}/issues/{issue.number}", "number": issue.number,
        "state": issue.state, "locked": issue.locked, "title": issue.title,
        "user": user_json(base, state.user(issue.author)), "body": issue.body,
        "created_at": iso(issue.created_at), "updated_at": iso(issue.updated_at), "closed_at": iso(issue.closed_at),
        "merged_at": iso(pr.merged_at), "merge_commit_sha": pr.merge_commit_sha,
        "assignee": assignees[0] if assignees else None, "assignees": assignees,
        "requested_reviewers": [user_json(base, state.user(r)) for r in pr.requested_reviewers],
        "requested_teams": [], "labels": [label_json(base, repo, state.ensure_label(repo, n)) for n in issue.labels],
        "milestone": None, "draft": pr.draft, "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments", "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{issue.number}/comments", "statuses_url": f"{api}/statuses/{pr.head_sha}",
        "head": _ref(state, base, repo, pr.head_ref, pr.head_sha),
        "base": _ref(state, base, repo, pr.base_ref, pr.base_sha),
        "_links": {"self": {"href": url}, "html": {"href": html}, "issue": {"href": f"{api}/issues/{issue.number}"},
                   "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                   "comments": {"href": f"{api}/issues/{issue.number}/comments"},
                   "review_comments": {"href": f"{url}/comments"}, "commits": {"href": f"{url}/commits"},
                   "statuses": {"href": f"{api}/statuses/{pr.head_sha}"}},
        "author_association": state.author_association(repo, issue.author), "auto_merge": None,
        "active_lock_reason": None, "merged": pr.merged, "mergeable": can_merge, "rebaseable": can_merge,
        "mergeable_state": "unknown" if can_merge is None else ("clean" if can_merge else "dirty"),
        "merged_by": user_ref(state, base, pr.merged_by), "comments": len(issue.comments),
        "review_comments": len(pr.review_comments), "maintainer_can_modify": pr.maintainer_can_modify,
        "commits": commits, "additions": 0, "deletions": 0, "changed_files": 0,
    }


def _load_pull(emu: Emulator, req: Request) -> tuple[Repo, Issue]:
    repo = load_repo(emu, req)
    try:
        number = int(req.params["number"])
    except ValueError:
        raise not_found() from None
    issue = repo.issues.get(number)
    if issue is None or issue.pull is None:
        raise not_found()
    return repo, issue


@route("GET", PULLS)
def list_pulls(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    state = req.query.get("state", "open")
    head = req.query.get("head")
    head_branch = split_head(repo, head) if head else None
    base = req.query.get("base")
    picked = [i for i in repo.issues.values() if i.pull is not None
              and (state == "all" or i.state == state)
              and (head_branch is None or i.pull.head_ref == head_branch)
              and (base is None or i.pull.base_ref == base)]
    sort = req.query.get("sort", "created")
    keys: dict[str, Any] = {"created": lambda i: (i.created_at, i.number), "updated": lambda i: (i.updated_at, i.number),
                            "popularity": lambda i: (len(i.comments), i.number),
                            "long-running": lambda i: (i.created_at, i.number)}
    if sort not in keys:
        raise validation({"resource": "Query", "field": "sort", "code": "invalid"})
    picked.sort(key=keys[sort], reverse=req.query.get("direction", "desc") == "desc")
    return paginate(req, [pull_json(emu.state, req.base_url, repo, i) for i in picked])


@route("POST", PULLS)
def create_pull(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    for field in ("title", "head", "base"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise validation({"resource": "PullRequest", "field": field, "code": "missing_field"})
    issue = open_pull(emu.state, repo, title=data["title"], head=data["head"], base=data["base"],
                      body=data.get("body"), author=viewer(req), draft=bool(data.get("draft", False)))
    if isinstance(data.get("maintainer_can_modify"), bool) and issue.pull is not None:
        issue.pull.maintainer_can_modify = data["maintainer_can_modify"]
    return Response(201, pull_json(emu.state, req.base_url, repo, issue))


@route("GET", PULL)
def get_pull(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    body = pull_json(emu.state, req.base_url, repo, issue, read=True)
    return Response(200, body, last_modified=issue.updated_at)


@route("PATCH", PULL)
def edit_pull(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    if viewer(req).lower() != issue.author.lower():
        emu.state.require(repo, req.user, "write")
    data = req.json()
    assert issue.pull is not None
    if isinstance(data.get("title"), str):
        issue.title = data["title"]
    if "body" in data:
        issue.body = data["body"] if isinstance(data["body"], str) else None
    if isinstance(data.get("base"), str):
        if repo.bare.resolve(f"refs/heads/{data['base']}") is None:
            raise validation({"resource": "PullRequest", "field": "base", "code": "invalid"})
        issue.pull.base_ref = data["base"]
    if data.get("state") == "closed":
        emu.state.close(issue, viewer(req), None)
    elif data.get("state") == "open":
        if issue.pull.merged:
            raise validation({"resource": "PullRequest", "code": "custom",
                              "message": "Cannot reopen a merged pull request"})
        emu.state.reopen(issue, viewer(req))
        issue.state_reason = None
    issue.updated_at = emu.state.clock()
    sync_head(emu.state, repo, issue)
    repo.bare.set_ref(f"refs/pull/{issue.number}/head", issue.pull.head_sha)
    return Response(200, pull_json(emu.state, req.base_url, repo, issue))


@route("PUT", PULL + "/merge")
def merge_pull(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    emu.state.require(repo, req.user, "write")
    data = req.json()
    sha = merge(emu.state, repo, issue, viewer(req), method=str(data.get("merge_method") or "merge"),
                title=data.get("commit_title"), message=data.get("commit_message"), expected_sha=data.get("sha"))
    return Response(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


@route("GET", PULL + "/merge")
def is_merged(emu: Emulator, req: Request) -> Response:
    _, issue = _load_pull(emu, req)
    assert issue.pull is not None
    if not issue.pull.merged:
        raise not_found()
    return Response(204)


@route("GET", PULL + "/commits")
def pull_commits(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    assert issue.pull is not None
    sync_head(emu.state, repo, issue)
    pr = issue.pull
    base = pr.base_sha
    if pr.merged and pr.merge_commit_sha:
        base = repo.bare.merge_base(pr.merge_commit_sha + "^1", pr.head_sha) or base
    commits = repo.bare.commits_between(base, pr.head_sha)
    return paginate(req, [commit_json(emu.state, req.base_url, repo, c) for c in commits])


# -- reviews --------------------------------------------------------------------------
def review_json(state: State, base: str, repo: Repo, issue: Issue, r: Review) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/pulls/{issue.number}"
    html = f"{base}/{repo.full_name}/pull/{issue.number}#pullrequestreview-{r.id}"
    return {"id": r.id, "node_id": f"PRR_{r.id}", "user": user_json(base, state.user(r.author)), "body": r.body,
            "state": r.state, "html_url": html, "pull_request_url": url,
            "author_association": state.author_association(repo, r.author),
            "_links": {"html": {"href": html}, "pull_request": {"href": url}},
            "submitted_at": iso(r.submitted_at), "commit_id": r.commit_id}


@route("GET", PULL + "/reviews")
def list_reviews(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    assert issue.pull is not None
    return paginate(req, [review_json(emu.state, req.base_url, repo, issue, r) for r in issue.pull.reviews])


_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


@route("POST", PULL + "/reviews")
def create_review(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    pr = issue.pull
    assert pr is not None
    emu.state.require(repo, req.user, "read")
    data = req.json()
    event = data.get("event")
    if event is not None and event not in _EVENTS:
        raise validation({"resource": "PullRequestReview", "field": "event", "code": "invalid"})
    me = viewer(req)
    if me.lower() == issue.author.lower() and event in ("APPROVE", "REQUEST_CHANGES"):
        what = "approve" if event == "APPROVE" else "request changes on"
        raise ApiError(422, "Unprocessable Entity", errors=[f"Can not {what} your own pull request"])
    body = data.get("body") or ""
    if event in ("REQUEST_CHANGES", "COMMENT") and not body and not data.get("comments"):
        raise ApiError(422, "Unprocessable Entity",
                       errors=[f"Review Can not {event.lower().replace('_', ' ')} without a body"])
    sync_head(emu.state, repo, issue)
    now = emu.state.clock()
    review = Review(emu.state.next_id("review"), emu.state.user(me).login, body,
                    _EVENTS[event] if event else "PENDING", str(data.get("commit_id") or pr.head_sha),
                    now if event else None)
    pr.reviews.append(review)
    for c in data.get("comments") or []:
        pr.review_comments.append(ReviewComment(emu.state.next_id("review_comment"), review.author,
                                                str(c.get("body", "")), str(c.get("path", "")), c.get("line"),
                                                review.commit_id, review.id, now, now))
    if me.lower() in (r.lower() for r in pr.requested_reviewers):
        pr.requested_reviewers = [r for r in pr.requested_reviewers if r.lower() != me.lower()]
    issue.updated_at = now
    return Response(200, review_json(emu.state, req.base_url, repo, issue, review))


def review_comment_json(state: State, base: str, repo: Repo, issue: Issue, c: ReviewComment) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/pulls"
    html = f"{base}/{repo.full_name}/pull/{issue.number}#discussion_r{c.id}"
    out: dict[str, Any] = {
        "url": f"{api}/comments/{c.id}", "pull_request_review_id": c.review_id, "id": c.id,
        "node_id": f"PRRC_{c.id}", "diff_hunk": "", "path": c.path, "position": c.line,
        "original_position": c.line, "commit_id": c.commit_id, "original_commit_id": c.commit_id,
        "user": user_json(base, state.user(c.author)), "body": c.body,
        "created_at": iso(c.created_at), "updated_at": iso(c.updated_at), "html_url": html,
        "pull_request_url": f"{api}/{issue.number}", "author_association": state.author_association(repo, c.author),
        "_links": {"self": {"href": f"{api}/comments/{c.id}"}, "html": {"href": html},
                   "pull_request": {"href": f"{api}/{issue.number}"}},
        "start_line": None, "original_start_line": None, "start_side": None, "line": c.line,
        "original_line": c.line, "side": "RIGHT", "subject_type": "line",
        "reactions": reactions_json(f"{api}/comments/{c.id}/reactions"),
    }
    if c.in_reply_to_id is not None:  # GitHub leaves the key out (never null) on a thread's first comment
        out["in_reply_to_id"] = c.in_reply_to_id
    return out


@route("GET", PULL + "/comments")
def list_review_comments(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    assert issue.pull is not None
    since = req.q_time("since")
    items = [c for c in issue.pull.review_comments if since is None or c.updated_at >= since]
    return paginate(req, [review_comment_json(emu.state, req.base_url, repo, issue, c) for c in items])


@route("POST", PULL + "/requested_reviewers")
def request_reviewers(emu: Emulator, req: Request) -> Response:
    repo, issue = _load_pull(emu, req)
    assert issue.pull is not None
    emu.state.require(repo, req.user, "triage")
    wanted = req.json().get("reviewers") or []
    if not isinstance(wanted, list):
        raise validation({"resource": "PullRequest", "field": "reviewers", "code": "invalid"})
    for login in wanted:
        if str(login).lower() == issue.author.lower():
            raise validation({"resource": "PullRequest", "code": "custom",
                              "message": "Review cannot be requested from pull request author."},
                             message="Reviews may only be requested from collaborators. One or more of the users "
                                     "or teams you specified is not a collaborator of the "
                                     f"{repo.full_name} repository.")
        name = emu.state.user(str(login)).login
        if name not in issue.pull.requested_reviewers:
            issue.pull.requested_reviewers.append(name)
    return Response(201, pull_json(emu.state, req.base_url, repo, issue))
