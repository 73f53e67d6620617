"""GitHub's JSON shapes for users, repos, labels, issues and comments.

Every URL is absolute on the emulator's own base, because PyGithub follows them as given.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from agentops.sandbox.api import iso
from agentops.sandbox.model import Comment, Issue, IssueEvent, Label, Repo, User, rank
from agentops.sandbox.state import State


def q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def user_json(base: str, u: User) -> dict[str, Any]:
    api = f"{base}/users/{u.login}"
    return {
        "login": u.login, "id": u.id, "node_id": f"U_{u.id}", "avatar_url": f"{base}/avatars/{u.login}",
        "gravatar_id": "", "url": api, "html_url": f"{base}/{u.login}", "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}", "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs", "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events", "type": u.type, "user_view_type": "public",
        "site_admin": u.site_admin,
    }


def user_ref(state: State, base: str, login: str | None) -> dict[str, Any] | None:
    return None if login is None else user_json(base, state.user(login))


def user_full(state: State, base: str, u: User) -> dict[str, Any]:
    out = user_json(base, u)
    repos = [r for r in state.repos.values() if r.owner.lower() == u.login.lower()]
    out.update({"name": u.login, "company": None, "blog": "", "location": None, "email": None, "hireable": None,
                "bio": None, "twitter_username": None,
                "public_repos": sum(1 for r in repos if not r.private), "public_gists": 0, "followers": 0,
                "following": 0, "created_at": iso(u.created_at), "updated_at": iso(u.created_at)})
    return out


def perm_flags(level: str) -> dict[str, bool]:
    r = rank(level)
    return {"admin": r >= rank("admin"), "maintain": r >= rank("maintain"), "push": r >= rank("write"),
            "triage": r >= rank("triage"), "pull": r >= rank("read")}


def pushed_at(repo: Repo) -> dt.datetime:
    m = repo.bare.refs_mtime()
    if m is None:
        return repo.pushed_at
    return max(repo.pushed_at, dt.datetime.fromtimestamp(int(m), dt.UTC))


def repo_json(state: State, base: str, repo: Repo, viewer: str | None) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    out: dict[str, Any] = {
        "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
        "private": repo.private, "owner": user_json(base, state.user(repo.owner)),
        "html_url": f"{base}/{repo.full_name}", "description": repo.description, "fork": repo.fork,
        "url": api, "forks_url": f"{api}/forks", "issues_url": f"{api}/issues{{/number}}",
        "pulls_url": f"{api}/pulls{{/number}}", "labels_url": f"{api}/labels{{/name}}",
        "statuses_url": f"{api}/statuses/{{sha}}", "commits_url": f"{api}/commits{{/sha}}",
        "hooks_url": f"{api}/hooks", "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "created_at": iso(repo.created_at), "updated_at": iso(repo.updated_at), "pushed_at": iso(pushed_at(repo)),
        "git_url": repo.clone_url, "ssh_url": repo.clone_url, "clone_url": repo.clone_url, "svn_url": None,
        "homepage": None, "size": 0, "stargazers_count": 0, "watchers_count": 0, "language": None,
        "has_issues": True, "has_projects": False, "has_downloads": True, "has_wiki": False,
        "has_pages": False, "has_discussions": False, "forks_count": 0, "mirror_url": None,
        "archived": repo.archived, "disabled": repo.disabled, "open_issues_count": open_issues, "license": None,
        "allow_forking": True, "is_template": False, "web_commit_signoff_required": False, "topics": [],
        "visibility": "private" if repo.private else "public", "forks": 0, "open_issues": open_issues,
        "watchers": 0, "default_branch": repo.default_branch,
    }
    if viewer is not None:
        out["permissions"] = perm_flags(state.permission(repo, viewer))
    return out


_MINIMAL_DROP = ("open_issues_count", "open_issues", "forks_count", "forks", "stargazers_count", "watchers_count",
                 "watchers", "size", "pushed_at", "updated_at", "created_at", "permissions")


def minimal_repo_json(state: State, base: str, repo: Repo) -> dict[str, Any]:
    """The short repository object GitHub embeds in workflow runs and combined statuses: no counts
    or times, so a new issue or push does not change those answers (or their ETags)."""
    full = repo_json(state, base, repo, None)
    return {k: v for k, v in full.items() if k not in _MINIMAL_DROP}


def label_json(base: str, repo: Repo, lab: Label) -> dict[str, Any]:
    return {"id": lab.id, "node_id": f"LA_{lab.id}", "url": f"{base}/repos/{repo.full_name}/labels/{q(lab.name)}",
            "name": lab.name, "color": lab.color, "default": lab.default, "description": lab.description}


def issue_json(state: State, base: str, repo: Repo, issue: Issue) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/issues/{issue.number}"
    html = f"{base}/{repo.full_name}/{'pull' if issue.pull else 'issues'}/{issue.number}"
    assignees = [user_json(base, state.user(a)) for a in issue.assignees]
    labels = [label_json(base, repo, state.ensure_label(repo, n)) for n in issue.labels]
    out: dict[str, Any] = {
        "url": api, "repository_url": f"{base}/repos/{repo.full_name}", "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments", "events_url": f"{api}/events", "html_url": html, "id": issue.id,
        "node_id": f"I_{issue.id}", "number": issue.number, "title": issue.title,
        "user": user_json(base, state.user(issue.author)), "labels": labels, "state": issue.state,
        "locked": issue.locked, "assignee": assignees[0] if assignees else None, "assignees": assignees,
        "milestone": None, "comments": len(issue.comments), "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at), "closed_at": iso(issue.closed_at),
        "author_association": state.author_association(repo, issue.author), "active_lock_reason": None,
        "body": issue.body, "closed_by": user_ref(state, base, issue.closed_by),
        "state_reason": issue.state_reason, "timeline_url": f"{api}/timeline",
        "reactions": {"url": f"{api}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                      "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
    }
    if issue.pull is not None:
        pr = f"{base}/repos/{repo.full_name}/pulls/{issue.number}"
        out["pull_request"] = {"url": pr, "html_url": html, "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
                               "merged_at": iso(issue.pull.merged_at)}
        out["draft"] = issue.pull.draft
    return out


def comment_json(state: State, base: str, repo: Repo, issue: Issue, c: Comment) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    kind = "pull" if issue.pull else "issues"
    return {
        "url": f"{api}/issues/comments/{c.id}", "html_url": f"{base}/{repo.full_name}/{kind}/{issue.number}"
        f"#issuecomment-{c.id}", "issue_url": f"{api}/issues/{issue.number}", "id": c.id, "node_id": f"IC_{c.id}",
        "user": user_json(base, state.user(c.author)), "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at), "author_association": state.author_association(repo, c.author),
        "body": c.body, "performed_via_github_app": None,
        "reactions": {"url": f"{api}/issues/comments/{c.id}/reactions", "total_count": 0},
    }


def issue_event_json(state: State, base: str, repo: Repo, issue: Issue, ev: IssueEvent) -> dict[str, Any]:
    """GitHub's issue-event shape (labeled-issue-event and friends in the OpenAPI description)."""
    api = f"{base}/repos/{repo.full_name}/issues"
    out: dict[str, Any] = {
        "id": ev.id, "node_id": f"{'LE' if ev.label else 'E'}_{ev.id}", "url": f"{api}/events/{ev.id}",
        "actor": user_json(base, state.user(ev.actor)), "event": ev.event, "commit_id": None, "commit_url": None,
        "created_at": iso(ev.created_at), "performed_via_github_app": None,
    }
    if ev.label is not None:
        lab = state.ensure_label(repo, ev.label)
        out["label"] = {"name": lab.name, "color": lab.color}
    if ev.event == "closed":
        out["state_reason"] = ev.state_reason
    return out
