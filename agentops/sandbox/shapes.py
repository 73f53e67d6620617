"""GitHub's JSON shapes for users, repos, labels, issues and comments.

Every URL is absolute on the emulator's own base, because PyGithub follows them as given.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from agentops.sandbox import relations
from agentops.sandbox.api import iso
from agentops.sandbox.gitbare import CommitInfo
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
    """GitHub's public-user (the shape of GET /users/{user}; no other keys allowed)."""
    out = user_json(base, u)
    repos = [r for r in state.repos.values() if r.owner.lower() == u.login.lower()]
    out.update({"name": u.login, "company": None, "blog": "", "location": None, "email": None, "hireable": None,
                "bio": None, "twitter_username": None,
                "public_repos": sum(1 for r in repos if not r.private), "public_gists": 0, "followers": 0,
                "following": 0, "created_at": iso(u.created_at), "updated_at": iso(u.created_at)})
    return out


def user_private(state: State, base: str, u: User) -> dict[str, Any]:
    """GitHub's private-user: what GET /user tells the authenticated user about themselves."""
    owned = [r for r in state.repos.values() if r.owner.lower() == u.login.lower() and r.private]
    return {**user_full(state, base, u), "private_gists": 0, "total_private_repos": len(owned),
            "owned_private_repos": len(owned), "disk_usage": 0, "collaborators": 0,
            "two_factor_authentication": False}


def perm_flags(level: str) -> dict[str, bool]:
    r = rank(level)
    return {"admin": r >= rank("admin"), "maintain": r >= rank("maintain"), "push": r >= rank("write"),
            "triage": r >= rank("triage"), "pull": r >= rank("read")}


def pushed_at(repo: Repo) -> dt.datetime:
    m = repo.bare.refs_mtime()
    if m is None:
        return repo.pushed_at
    return max(repo.pushed_at, dt.datetime.fromtimestamp(int(m), dt.UTC))


_REPO_URLS = {
    "forks_url": "/forks", "keys_url": "/keys{/key_id}", "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams", "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
    "events_url": "/events", "assignees_url": "/assignees{/user}", "branches_url": "/branches{/branch}",
    "tags_url": "/tags", "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}", "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages", "stargazers_url": "/stargazers", "contributors_url": "/contributors",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}", "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}", "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}", "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}", "downloads_url": "/downloads", "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}", "deployments_url": "/deployments",
}


def repo_urls(api: str) -> dict[str, str]:
    """The hypermedia URL templates every repository object carries."""
    return {key: api + tail for key, tail in _REPO_URLS.items()}


def repo_json(state: State, base: str, repo: Repo, viewer: str | None) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    html = f"{base}/{repo.full_name}"
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    out: dict[str, Any] = {
        "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
        "private": repo.private, "owner": user_json(base, state.user(repo.owner)),
        "html_url": html, "description": repo.description, "fork": repo.fork, "url": api, **repo_urls(api),
        "created_at": iso(repo.created_at), "updated_at": iso(repo.updated_at), "pushed_at": iso(pushed_at(repo)),
        "git_url": repo.clone_url, "ssh_url": repo.clone_url, "clone_url": repo.clone_url, "svn_url": html,
        "homepage": None, "size": 0, "stargazers_count": 0, "watchers_count": 0, "language": None,
        "has_issues": True, "has_projects": False, "has_downloads": True, "has_wiki": False,
        "has_pages": False, "has_discussions": False, "forks_count": 0, "mirror_url": None,
        "archived": repo.archived, "disabled": repo.disabled, "open_issues_count": open_issues, "license": None,
        "allow_forking": True, "is_template": False, "web_commit_signoff_required": False, "topics": [],
        "visibility": "private" if repo.private else "public", "forks": 0, "open_issues": open_issues,
        "watchers": 0, "default_branch": repo.default_branch, "network_count": 0, "subscribers_count": 0,
    }
    if viewer is not None:
        out["permissions"] = perm_flags(state.permission(repo, viewer))
    return out


_MINIMAL_DROP = ("open_issues_count", "open_issues", "forks_count", "forks", "stargazers_count", "watchers_count",
                 "watchers", "size", "pushed_at", "updated_at", "created_at", "permissions", "network_count",
                 "subscribers_count")


def minimal_repo_json(state: State, base: str, repo: Repo) -> dict[str, Any]:
    """The short repository object GitHub embeds in workflow runs and combined statuses: no counts
    or times, so a new issue or push does not change those answers (or their ETags)."""
    full = repo_json(state, base, repo, None)
    return {k: v for k, v in full.items() if k not in _MINIMAL_DROP}


def label_json(base: str, repo: Repo, lab: Label) -> dict[str, Any]:
    return {"id": lab.id, "node_id": f"LA_{lab.id}", "url": f"{base}/repos/{repo.full_name}/labels/{q(lab.name)}",
            "name": lab.name, "color": lab.color, "default": lab.default, "description": lab.description}


def reactions_json(url: str) -> dict[str, Any]:
    return {"url": url, "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0,
            "rocket": 0, "eyes": 0}


def parent_url(state: State, base: str, issue: Issue) -> str | None:
    pair = relations.by_id(state, issue.parent_id) if issue.parent_id is not None else None
    return None if pair is None else f"{base}/repos/{pair[0].full_name}/issues/{pair[1].number}"


def milestone_json(state: State, base: str, repo: Repo, title: str | None) -> dict[str, Any] | None:
    if title is None or title not in repo.milestones:
        return None
    number = repo.milestones[title]
    api = f"{base}/repos/{repo.full_name}/milestones/{number}"
    issues = [i for i in repo.issues.values() if i.milestone == title and i.pull is None]
    owner = user_json(base, state.user(repo.owner))
    return {"url": api, "html_url": f"{base}/{repo.full_name}/milestone/{number}", "labels_url": f"{api}/labels",
            "id": repo.id * 1000 + number, "node_id": f"MI_{repo.id}_{number}", "number": number, "state": "open",
            "title": title, "description": None, "creator": owner,
            "open_issues": sum(1 for i in issues if i.state == "open"),
            "closed_issues": sum(1 for i in issues if i.state == "closed"),
            "created_at": iso(repo.created_at), "updated_at": iso(repo.updated_at), "closed_at": None,
            "due_on": None}


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
        "milestone": milestone_json(state, base, repo, issue.milestone), "comments": len(issue.comments),
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at), "closed_at": iso(issue.closed_at),
        "author_association": state.author_association(repo, issue.author), "active_lock_reason": None,
        "body": issue.body, "closed_by": user_ref(state, base, issue.closed_by),
        "state_reason": issue.state_reason, "timeline_url": f"{api}/timeline",
        "reactions": reactions_json(f"{api}/reactions"),
        "sub_issues_summary": relations.sub_issues_summary(state, issue),
        "issue_dependencies_summary": relations.dependencies_summary(state, issue),
        "parent_issue_url": parent_url(state, base, issue),
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
        "reactions": reactions_json(f"{api}/issues/comments/{c.id}/reactions"),
    }


def commit_json(state: State, base: str, repo: Repo, c: CommitInfo) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    return {
        "sha": c.sha, "node_id": f"C_{c.sha[:12]}", "url": f"{api}/commits/{c.sha}",
        "html_url": f"{base}/{repo.full_name}/commit/{c.sha}", "comments_url": f"{api}/commits/{c.sha}/comments",
        "commit": {"author": {"name": c.author_name, "email": c.author_email, "date": c.author_date},
                   "committer": {"name": c.committer_name, "email": c.committer_email, "date": c.committer_date},
                   "message": c.message, "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
                   "url": f"{api}/git/commits/{c.sha}", "comment_count": 0,
                   "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                                    "verified_at": None}},
        "author": None, "committer": None,
        "parents": [{"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{base}/{repo.full_name}/commit/{p}"}
                    for p in c.parents],
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
