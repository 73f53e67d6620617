"""The emulator's world: users, orgs, repos (each backed by a real bare git repo), issues,
comments and CI records. Every public method takes the one lock, so handler threads and
test code can use it at the same time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, not_found, validation
from agentops.sandbox.gitbare import BareRepo
from agentops.sandbox.model import (
    PERMISSIONS,
    ActionsSetting,
    Alert,
    CheckRun,
    Comment,
    Environment,
    Issue,
    IssueEvent,
    Label,
    Repo,
    ReviewComment,
    User,
    Workflow,
    WorkflowRun,
    rank,
)

if TYPE_CHECKING:
    from agentops.sandbox.apps import App

DEFAULT_USER = "agentops-bot"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# GitHub's closing keywords: keyword, optional colon, then #N, owner/repo#N or an issue URL.
_CLOSES_RE = re.compile(r"(?<![A-Za-z0-9_])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?:\s*:\s*|\s+)"
                        r"(?:https?://[^\s/]+/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/|([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#)"
                        r"(\d+)\b", re.IGNORECASE)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class State:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.now: Callable[[], dt.datetime] = _utcnow
        self.users: dict[str, User] = {}  # key: lower-cased login
        self.tokens: dict[str, str] = {}  # token -> login
        self.org_members: dict[str, set[str]] = {}
        self.repos: dict[str, Repo] = {}  # key: lower-cased full name
        self.issues_by_id: dict[int, tuple[Repo, Issue]] = {}  # native relations name issues by id
        self._ids: dict[str, itertools.count[int]] = {}
        from agentops.sandbox.apps import Apps

        self.apps = Apps(self)

    def next_id(self, kind: str) -> int:
        with self.lock:
            counter = self._ids.setdefault(kind, itertools.count(1))
            return next(counter)

    def clock(self) -> dt.datetime:
        return self.now().astimezone(dt.UTC)

    # -- users and orgs -------------------------------------------------------------
    def add_user(self, login: str, *, token: str | None = None, site_admin: bool = False) -> str:
        with self.lock:
            if not _NAME_RE.match(login):
                raise ValueError(f"bad login {login!r}")
            tok = token or f"ghp_{secrets.token_hex(18)}"
            existing = self.users.get(login.lower())
            if existing:
                if existing.token:
                    self.tokens.pop(existing.token, None)
                existing.token = tok
                existing.site_admin = site_admin
            else:
                self.users[login.lower()] = User(self.next_id("user"), login, site_admin=site_admin, token=tok,
                                                 created_at=self.clock())
            self.tokens[tok] = login
            return tok

    def add_org(self, login: str, *, members: Iterable[str] = ()) -> None:
        with self.lock:
            if login.lower() not in self.users:
                self.users[login.lower()] = User(self.next_id("user"), login, type="Organization",
                                                 created_at=self.clock())
            self.org_members.setdefault(login.lower(), set()).update(m.lower() for m in members)

    def user(self, login: str) -> User:
        with self.lock:
            u = self.users.get(login.lower())
            if u is None:
                # Authors named by seeds or tests exist implicitly, as on a real instance.
                u = User(self.next_id("user"), login, created_at=self.clock())
                self.users[login.lower()] = u
            return u

    def add_app(self, app_id: int, key: str | bytes, *, slug: str | None = None, name: str | None = None,
                owner: str | None = None, permissions: dict[str, str] | None = None) -> App:
        """Register a GitHub App (see sandbox.apps); `key` is its PEM public or private key."""
        return self.apps.add(app_id, key, slug=slug, name=name, owner=owner, permissions=permissions)

    def install_app(self, app_id: int, account: str, *, repos: Iterable[str] | None = None,
                    permissions: dict[str, str] | None = None) -> int:
        """Install an App on `account` (all its repos, or just `repos`); returns the installation id."""
        return self.apps.install(app_id, account, repos=None if repos is None else list(repos),
                                 permissions=permissions)

    def user_for_token(self, token: str) -> str | None:
        with self.lock:
            return self.tokens.get(token)

    # -- repos ----------------------------------------------------------------------
    def create_repo(self, full_name: str, *, default_branch: str = "main", private: bool = False,
                    archived: bool = False, fork: bool = False, init: bool = True,
                    files: dict[str, str] | None = None, description: str | None = None,
                    creator: str | None = None) -> Repo:
        owner, _, name = full_name.partition("/")
        if not (_NAME_RE.match(owner) and _NAME_RE.match(name)):
            raise validation({"resource": "Repository", "field": "name", "code": "invalid"})
        with self.lock:
            if full_name.lower() in self.repos:
                raise validation({"resource": "Repository", "code": "custom", "field": "name",
                                  "message": "name already exists on this account"},
                                 message="Repository creation failed.")
            owner_user = self.user(owner)
            now = self.clock()
            rid = self.next_id("repo")
            bare = BareRepo(self.data_dir / "repos" / owner / f"{name}.git")
            bare.init(default_branch)
            repo = Repo(rid, owner_user.login, name, bare, now, now, now, default_branch=default_branch,
                        private=private, archived=archived, fork=fork, description=description)
            if creator and creator.lower() != owner.lower():
                repo.permissions[creator.lower()] = "admin"
            if init or files:
                bare.commit_files(default_branch, files or {"README.md": f"# {name}\n"}, "Initial commit")
            self.repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> Repo:
        with self.lock:
            r = self.repos.get(full_name.lower())
            if r is None:
                raise KeyError(full_name)
            return r

    def set_permission(self, full_name: str, login: str, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {PERMISSIONS}")
        with self.lock:
            self.user(login)
            self.repo(full_name).permissions[login.lower()] = permission

    def set_mergeable_lag(self, full_name: str, reads: int) -> None:
        """After the base or head of a PR moves, its next `reads` single-PR reads answer
        `mergeable: null` (GitHub still computing), as a busy GitHub does."""
        with self.lock:
            repo = self.repo(full_name)
            repo.mergeable_lag = max(0, reads)
            for issue in repo.issues.values():
                if issue.pull is not None:
                    issue.pull.mergeable_for = None  # worked out again from the next read on

    def permission(self, repo: Repo, login: str | None) -> str:
        with self.lock:
            if login is None:
                return "none" if repo.private else "read"
            key = login.lower()
            u = self.users.get(key)
            if u is not None and u.type == "Bot" and self.apps.by_bot(key) is not None:
                return self.apps.permission(repo, key)
            if key == repo.owner.lower() or (u is not None and u.site_admin):
                return "admin"
            explicit = repo.permissions.get(key)
            members = self.org_members.get(repo.owner.lower())
            inherited = "read" if members is not None and key in members else "none"
            best = max([explicit or "none", inherited], key=rank)
            if best == "none" and not repo.private:
                return "read"
            return best

    def author_association(self, repo: Repo, login: str) -> str:
        with self.lock:
            key = login.lower()
            if key == repo.owner.lower():
                return "OWNER"
            # As on GitHub, MEMBER and COLLABORATOR say nothing about the level: an org member or an
            # invited collaborator with read or triage access is reported the same as a maintainer.
            if key in self.org_members.get(repo.owner.lower(), set()):
                return "MEMBER"
            if repo.permissions.get(key, "none") != "none":
                return "COLLABORATOR"
            if any(i.author.lower() == login.lower() and i.pull is not None and i.pull.merged
                   for i in repo.issues.values()):
                return "CONTRIBUTOR"
            return "NONE"

    def visible_repo(self, full_name: str, login: str | None) -> Repo:
        """The repo if `login` may see it; private repos are 404 to everyone else, as on GitHub."""
        with self.lock:
            r = self.repos.get(full_name.lower())
            if r is None or rank(self.permission(r, login)) < rank("read"):
                raise not_found()
            return r

    def require(self, repo: Repo, login: str | None, level: str) -> None:
        if rank(self.permission(repo, login)) < rank(level):
            raise ApiError(403, "Resource not accessible by personal access token")
        if repo.archived:
            raise ApiError(403, "Repository was archived so is read-only.")

    def touch(self, repo: Repo) -> dt.datetime:
        now = self.clock()
        repo.updated_at = now
        return now

    # -- labels ---------------------------------------------------------------------
    def ensure_label(self, repo: Repo, name: str, color: str = "ededed", description: str | None = None) -> Label:
        with self.lock:
            lab = repo.labels.get(name.lower())
            if lab is None:
                lab = Label(self.next_id("label"), name, color, description)
                repo.labels[name.lower()] = lab
            return lab

    def label_name(self, repo: Repo, name: str) -> str:
        return self.ensure_label(repo, name).name

    # -- issues and comments ---------------------------------------------------------
    def new_issue(self, repo: Repo, title: str, body: str | None, author: str,
                  created_at: dt.datetime | None = None) -> Issue:
        with self.lock:
            now = created_at or self.clock()
            self.user(author)
            issue = Issue(self.next_id("issue"), repo.next_number, title, body, self.user(author).login, now, now)
            repo.issues[issue.number] = issue
            self.issues_by_id[issue.id] = (repo, issue)
            repo.next_number += 1
            return issue

    def create_issue(self, full_name: str, title: str, body: str = "", *, author: str = DEFAULT_USER,
                     labels: Iterable[str] = (), assignees: Iterable[str] = (), state: str = "open",
                     created_at: dt.datetime | None = None, milestone: str | None = None) -> int:
        with self.lock:
            repo = self.repo(full_name)
            issue = self.new_issue(repo, title, body, author, created_at)
            if milestone is not None:
                repo.milestones.setdefault(milestone, len(repo.milestones) + 1)
                issue.milestone = milestone
            self.set_labels(repo, issue, labels, author, replace=True)
            issue.updated_at = issue.created_at
            issue.assignees = [self.user(a).login for a in assignees]
            if state == "closed":
                self.close(issue, author, "completed")
            return issue.number

    def record_event(self, issue: Issue, event: str, actor: str, *, label: str | None = None,
                     state_reason: str | None = None) -> IssueEvent:
        with self.lock:
            ev = IssueEvent(self.next_id("issue_event"), event, self.user(actor).login, self.clock(), label,
                            state_reason)
            issue.events.append(ev)
            return ev

    def set_labels(self, repo: Repo, issue: Issue, names: Iterable[str], actor: str, *, replace: bool) -> None:
        """Labels as a user changes them (one `labeled`/`unlabeled` event per change, as on GitHub)."""
        with self.lock:
            current = [] if replace else list(issue.labels)
            for n in names:
                real = self.label_name(repo, n)
                if real.lower() not in (c.lower() for c in current):
                    current.append(real)
            before = {n.lower(): n for n in issue.labels}
            after = {n.lower(): n for n in current}
            for key, name in before.items():
                if key not in after:
                    self.record_event(issue, "unlabeled", actor, label=name)
            for key, name in after.items():
                if key not in before:
                    self.record_event(issue, "labeled", actor, label=name)
            issue.labels = current
            issue.updated_at = self.clock()

    def label_issue(self, full_name: str, number: int, labels: Iterable[str], *, actor: str = DEFAULT_USER) -> None:
        """Seeding helper: `actor` adds `labels` (recorded in the issue's events)."""
        with self.lock:
            repo = self.repo(full_name)
            self.set_labels(repo, self.issue(repo, number), labels, actor, replace=False)

    def unlabel_issue(self, full_name: str, number: int, label: str, *, actor: str = DEFAULT_USER) -> None:
        with self.lock:
            repo = self.repo(full_name)
            issue = self.issue(repo, number)
            self.set_labels(repo, issue, [n for n in issue.labels if n.lower() != label.lower()], actor, replace=True)

    def edit_issue_body(self, full_name: str, number: int, body: str) -> None:
        """Seeding helper: the body as its author (or a maintainer) edits it."""
        with self.lock:
            issue = self.issue(self.repo(full_name), number)
            issue.body = body
            issue.updated_at = self.clock()

    def issue(self, repo: Repo, number: int) -> Issue:
        with self.lock:
            i = repo.issues.get(number)
            if i is None:
                raise not_found()
            return i

    def close(self, issue: Issue, actor: str, reason: str | None) -> None:
        if issue.state != "closed":
            issue.state = "closed"
            issue.closed_at = self.clock()
            issue.closed_by = actor
            self.record_event(issue, "closed", actor, state_reason=reason)
        issue.state_reason = reason
        issue.updated_at = self.clock()

    def reopen(self, issue: Issue, actor: str = DEFAULT_USER) -> None:
        if issue.state != "open":
            self.record_event(issue, "reopened", actor)
            issue.state = "open"
            issue.closed_at = None
            issue.closed_by = None
            issue.state_reason = "reopened"
            issue.updated_at = self.clock()

    def add_comment(self, full_name: str, number: int, body: str, *, author: str = DEFAULT_USER,
                    created_at: dt.datetime | None = None) -> int:
        with self.lock:
            repo = self.repo(full_name)
            return self.comment_on(repo, self.issue(repo, number), body, author, created_at).id

    def comment_on(self, repo: Repo, issue: Issue, body: str, author: str,
                   created_at: dt.datetime | None = None) -> Comment:
        with self.lock:
            now = created_at or self.clock()
            c = Comment(self.next_id("comment"), issue.number, self.user(author).login, body, now, now)
            issue.comments.append(c)
            issue.updated_at = max(issue.updated_at, now)
            return c

    def add_sub_issue(self, full_name: str, parent: int, child: int, *, child_repo: str | None = None) -> None:
        """Make issue `child` (of child_repo, default the same repo) a sub-issue of `parent`."""
        from agentops.sandbox import relations

        with self.lock:
            repo = self.repo(full_name)
            kid = self.issue(self.repo(child_repo or full_name), child)
            relations.add_sub_issue(self, repo, self.issue(repo, parent), kid.id, replace_parent=False)

    def add_blocked_by(self, full_name: str, number: int, blocker: int, *, blocker_repo: str | None = None) -> None:
        """Record that issue `number` is blocked by issue `blocker` (of blocker_repo, default the same repo)."""
        from agentops.sandbox import relations

        with self.lock:
            blocked = self.issue(self.repo(full_name), number)
            relations.add_blocked_by(self, blocked, self.issue(self.repo(blocker_repo or full_name), blocker).id)

    def find_comment(self, repo: Repo, comment_id: int) -> tuple[Issue, Comment]:
        with self.lock:
            for issue in repo.issues.values():
                for c in issue.comments:
                    if c.id == comment_id:
                        return issue, c
            raise not_found()

    # -- pulls (seeding helpers; the HTTP route shares the logic) ----------------------
    def create_pull(self, full_name: str, title: str, *, head: str, base: str | None = None, body: str = "",
                    author: str = DEFAULT_USER, draft: bool = False) -> int:
        from agentops.sandbox.pulls import open_pull

        with self.lock:
            repo = self.repo(full_name)
            issue = open_pull(self, repo, title=title, head=head, base=base or repo.default_branch, body=body,
                              author=author, draft=draft)
            return issue.number

    def add_review_comment(self, full_name: str, number: int, body: str, *, author: str = DEFAULT_USER,
                           path: str = "README.md", line: int | None = 1) -> int:
        with self.lock:
            repo = self.repo(full_name)
            issue = self.issue(repo, number)
            if issue.pull is None:
                raise not_found()
            now = self.clock()
            rc = ReviewComment(self.next_id("review_comment"), self.user(author).login, body, path, line,
                               issue.pull.head_sha, None, now, now)
            issue.pull.review_comments.append(rc)
            return rc.id

    def closing_targets(self, repo: Repo, text: str | None) -> list[tuple[Repo, int]]:
        """(repository, issue number) for every closing reference in `text`, as GitHub resolves
        them on merge: `#N` in `repo`, `owner/name#N` and issue URLs in the repository they name."""
        out: list[tuple[Repo, int]] = []
        for url_repo, named, n in _CLOSES_RE.findall(text or ""):
            target = repo if not (url_repo or named) else self.repos.get((url_repo or named).lower())
            if target is not None:
                out.append((target, int(n)))
        return out

    # -- CI and security ------------------------------------------------------------
    def set_actions_secret(self, full_name: str, name: str, value: str = "") -> None:
        """What `gh secret set NAME` does (names are case-insensitive and stored upper-case)."""
        self._set_setting(self.repo(full_name).actions_secrets, name, value)

    def set_actions_variable(self, full_name: str, name: str, value: str) -> None:
        self._set_setting(self.repo(full_name).actions_variables, name, value)

    def create_environment(self, full_name: str, name: str) -> None:
        """What `gh api -X PUT repos/O/R/environments/NAME` does (a second call changes nothing)."""
        with self.lock:
            repo = self.repo(full_name)
            if name.lower() not in repo.environments:
                now = self.clock()
                repo.environments[name.lower()] = Environment(self.next_id("environment"), name, now, now)

    def set_environment_secret(self, full_name: str, environment: str, name: str, value: str = "") -> None:
        """What `gh secret set NAME --env ENVIRONMENT` does (the environment must exist)."""
        with self.lock:
            env = self.repo(full_name).environments[environment.lower()]
            self._set_setting(env.secrets, name, value)

    def _set_setting(self, table: dict[str, ActionsSetting], name: str, value: str) -> None:
        with self.lock:
            now = self.clock()
            old = table.get(name.upper())
            table[name.upper()] = ActionsSetting(name.upper(), value, old.created_at if old else now, now)

    def add_workflow(self, full_name: str, path: str, *, name: str | None = None) -> int:
        with self.lock:
            repo = self.repo(full_name)
            return self._workflow(repo, path, name).id

    def _workflow(self, repo: Repo, path: str, name: str | None) -> Workflow:
        for w in repo.workflows:
            if w.path == path or (name is not None and w.name == name):
                return w
        w = Workflow(self.next_id("workflow"), name or path.rsplit("/", 1)[-1], path, created_at=self.clock())
        repo.workflows.append(w)
        return w

    def workflows(self, repo: Repo) -> list[Workflow]:
        """Registered workflows plus any .github/workflows file on the default branch."""
        with self.lock:
            tip = repo.bare.resolve(f"refs/heads/{repo.default_branch}")
            if tip:
                for fname in repo.bare.list_files(tip, ".github/workflows"):
                    if fname.endswith((".yml", ".yaml")):
                        path = f".github/workflows/{fname}"
                        if not any(w.path == path for w in repo.workflows):
                            repo.workflows.append(Workflow(self.next_id("workflow"), fname, path,
                                                           created_at=self.clock()))
            return list(repo.workflows)

    def add_workflow_run(self, full_name: str, *, name: str, head_branch: str, head_sha: str,
                         status: str = "completed", conclusion: str | None = "success", event: str = "push",
                         created_at: dt.datetime | None = None, path: str | None = None,
                         actor: str = DEFAULT_USER) -> int:
        with self.lock:
            repo = self.repo(full_name)
            wf = self._workflow(repo, path or f".github/workflows/{name.lower().replace(' ', '-')}.yml", name)
            now = created_at or self.clock()
            number = sum(1 for r in repo.workflow_runs if r.workflow_id == wf.id) + 1
            run = WorkflowRun(self.next_id("run"), wf.id, name, head_branch, head_sha, event, status,
                              conclusion if status == "completed" else None, number, actor, now, now)
            repo.workflow_runs.append(run)
            return run.id

    def add_check_run(self, full_name: str, sha: str, *, name: str, status: str = "completed",
                      conclusion: str | None = "success", details_url: str | None = None,
                      output: dict[str, Any] | None = None, app_id: int | None = None) -> int:
        """`app_id`: the GitHub App (add_app) reporting it, as an external CI does; None: GitHub Actions."""
        with self.lock:
            repo = self.repo(full_name)
            now = self.clock()
            run = CheckRun(self.next_id("check"), sha, name, status, conclusion if status == "completed" else None,
                           now, now if status == "completed" else None, details_url, None, dict(output or {}),
                           app_id=app_id)
            repo.check_runs.append(run)
            return run.id

    def add_dependabot_alert(self, full_name: str, *, severity: str, package: str, ecosystem: str = "pip",
                             summary: str = "", state: str = "open", manifest_path: str = "requirements.txt",
                             vulnerable_version_range: str = "< 1.0", first_patched_version: str | None = "1.0",
                             cve_id: str | None = None) -> int:
        with self.lock:
            repo = self.repo(full_name)
            now = self.clock()
            number = len(repo.alerts) + 1
            ghsa = f"GHSA-{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}"
            repo.alerts.append(Alert(number, state, severity, package, ecosystem,
                                     summary or f"Vulnerability in {package}", manifest_path, ghsa, cve_id,
                                     vulnerable_version_range, first_patched_version, now, now))
            return number

    def set_dependabot_enabled(self, full_name: str, enabled: bool) -> None:
        with self.lock:
            self.repo(full_name).dependabot_enabled = enabled

    def dispatches(self, full_name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [{"workflow_id": d.workflow_id, "workflow": d.workflow_path, "ref": d.ref, "inputs": d.inputs,
                     "actor": d.actor, "at": d.at.isoformat()} for d in self.repo(full_name).dispatches]
