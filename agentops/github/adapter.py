"""The PyGithub-backed GitHubPort.

PyGithub supplies authentication (tokens, App installation tokens that refresh
themselves), the connection and GitHub's error classes; its own retry and throttles are
switched off because it repeats POSTs after a 5xx. Requests go through its Requester
directly (client.RestClient), so each operation costs exactly the requests it needs and
every response's status and headers are seen (304s, rate limits, Retry-After).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from agentops.domain.timeutil import iso
from agentops.errors import BadInput, Forbidden, GitHubError, NotFound, Unavailable
from agentops.github import convert, identity_cache
from agentops.github.auth import AppJwtAuth, Credentials, InstallationAuth, resolve
from agentops.github.client import MutationSpacer, Response, RestClient, failure_from_exception, translate
from agentops.github.models import (
    Annotation,
    CheckRun,
    CombinedStatus,
    Comment,
    CommitStatus,
    DependabotAlert,
    Fetched,
    Identity,
    Issue,
    IssueEvent,
    Job,
    PullRequest,
    RateLimit,
    RepoInfo,
    Review,
    ReviewComment,
    Validators,
    WorkflowRun,
)
from agentops.github.retry import DEFAULT_ATTEMPTS, DEFAULT_MAX_WAIT, FailedAttempt, Retrier, give_up_error
from agentops.output import Output

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.github.com"
DEFAULT_MUTATION_INTERVAL = 1.0
DEFAULT_TIMEOUT = 30
LOOKUP_PAGES = 3


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name}: {raw!r} is not a number of seconds") from None
    if value < 0:
        raise BadInput(f"{name}: must not be negative (got {raw})")
    return value


def _r(repo: str) -> str:
    owner, _, name = repo.partition("/")
    if not owner or not name:
        raise BadInput(f"repository {repo!r} is not OWNER/NAME")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def _with_marker(body: str, marker: str | None) -> str:
    if not marker or marker in body:
        return body
    return f"{body.rstrip()}\n\n{marker}" if body.strip() else marker


class GitHubAdapter:
    def __init__(self, client: RestClient, *, creds: Credentials, env: Mapping[str, str],
                 sleep: Callable[[float], None], clock: Callable[[], float], integration: Any = None,
                 api_url: str = DEFAULT_BASE_URL) -> None:
        self._client = client
        self._api_url = api_url
        self._creds = creds
        self._env = env
        self._sleep = sleep
        self._clock = clock
        self._integration = integration
        self._identity: Identity | None = None
        self._lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self._creds.kind

    def _get(self, url: str, what: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self._client.call("GET", url, what, params=params).data

    def _list(self, url: str, what: str, *, params: Mapping[str, Any] | None = None, key: str | None = None,
              max_pages: int | None = None) -> list[Any]:
        page = self._client.pages(url, what, params=params, key=key, max_pages=max_pages)
        return page.items or []

    def _fetched(self, url: str, what: str, conv: Callable[[Any], T], *, params: Mapping[str, Any] | None = None,
                 key: str | None = None, validators: Validators | None = None, max_pages: int | None = None,
                 per_page: int | None = None, keep: Callable[[Any], bool] | None = None) -> Fetched[T]:
        page = self._client.pages(url, what, params=params, key=key, validators=validators,
                                  max_pages=max_pages, per_page=per_page)
        if page.items is None:
            return Fetched(items=None, etag=page.etag, last_modified=page.last_modified)
        items = tuple(conv(x) for x in page.items if keep is None or keep(x))
        return Fetched(items=items, etag=page.etag, last_modified=page.last_modified)

    def _create(self, what: str, post: Callable[[], Response], find: Callable[[], T | None] | None,
                conv: Callable[[Any], T], *, already_exists: bool = False) -> T:
        """A create that is never blindly repeated. Without `find` it is tried once. With it,
        after a failure where the server may have acted (5xx, dropped connection) the
        object is looked up first and returned if it exists; only then is the POST repeated.
        `already_exists`: a 422 saying so is answered by the look-up (pull requests)."""
        retrier = self._client.retrier
        attempts = retrier.attempts if find is not None else 1
        last: tuple[Any, Any] | None = None
        for attempt in range(1, attempts + 1):
            try:
                return conv(post().data)
            except FailedAttempt as exc:
                failure = exc.failure
                if find is None:
                    raise translate(failure, what) from None
                if already_exists and failure.status == 422 and "already exists" in failure.message.lower():
                    found = find()
                    if found is not None:
                        return found
                    raise translate(failure, what) from None
                decision = retrier.check(failure, attempt, what)
                last = (failure, decision)
                if decision.rate_limited:
                    # Refused before acting: nothing to look for, just wait and repeat.
                    if attempt < attempts:
                        self._sleep(decision.wait)
                    continue
                self._sleep(decision.wait)
                found = find()
                if found is not None:
                    return found
        assert last is not None
        raise give_up_error(last[0], last[1], what, attempts=attempts, max_wait=retrier.max_wait)

    # -- identity, repositories, limits ---------------------------------------------------
    def git_token(self) -> str | None:
        if self._creds.token:
            return self._creds.token
        if isinstance(self._creds.auth, InstallationAuth):
            # PyGithub's installation auth fetches (and refreshes near expiry) on access; our
            # subclass masks each new token as it arrives.
            token: str = self._creds.auth.token
            return token
        return None

    def whoami(self) -> Identity:
        with self._lock:
            if self._identity is not None:
                return self._identity
        ident = self._whoami()
        with self._lock:
            self._identity = ident
        return ident

    def _whoami(self) -> Identity:
        kind = self._creds.kind
        if kind == "github-actions":
            # The Actions token cannot read /user; its actor is fixed.
            return Identity(login="github-actions[bot]", kind=kind)
        if kind == "app":
            return Identity(login=f"{self._app_slug()}[bot]", kind=kind)
        key = self._identity_key()
        if key is not None:
            # A worker runs many commands: the token's login is asked once, then remembered.
            known = identity_cache.lookup(self._env, key)
            if known is not None:
                return known
        try:
            resp = self._client.call("GET", "/user", "whoami (GET /user)")
        except Forbidden:
            if self._env.get("GITHUB_ACTIONS") == "true":
                return Identity(login="github-actions[bot]", kind="github-actions")
            raise
        scopes_header = resp.header("x-oauth-scopes") or ""
        scopes = tuple(s.strip() for s in scopes_header.split(",") if s.strip())
        ident = Identity(login=str((resp.data or {}).get("login") or ""), kind="token", scopes=scopes)
        if key is not None:
            identity_cache.remember(self._env, key, ident)
        return ident

    def _identity_key(self) -> str | None:
        token = self._creds.token if self._creds.kind == "token" else None
        return identity_cache.fingerprint(self._api_url, token) if token else None

    def learned_login(self, login: str) -> None:
        """GitHub named `login` as the author of an object this token just created: that is our
        identity, whatever was remembered (an account renamed since), so the memory follows it."""
        if not identity_cache.valid_login(login):
            return
        with self._lock:
            current = self._identity
        if current is not None and current.login.lower() == login.lower():
            return
        if current is not None and current.kind != "token":
            return
        ident = Identity(login=login, kind="token", scopes=current.scopes if current is not None else ())
        key = self._identity_key()
        if key is None:
            return
        with self._lock:
            self._identity = ident
        identity_cache.remember(self._env, key, ident)

    def _app_slug(self) -> str:
        integration = self._integration

        def fetch() -> str:
            try:
                return str(integration.get_app().slug)
            except Exception as exc:
                failure = failure_from_exception(exc)
                if failure is None:
                    raise
                raise FailedAttempt(failure) from None

        return self._client.retrier.call(fetch, "whoami (GET /app)")

    def _mine(self, user: Any) -> bool:
        """Whether `user` (a login or a user object) is our own identity: a create's look-up after
        a failure adopts only an object we wrote, never one someone planted with our marker."""
        login = user.get("login") if isinstance(user, dict) else user
        return str(login or "").lower() == self.whoami().login.lower()

    def get_repo(self, repo: str) -> RepoInfo:
        return convert.repo_info(self._get(_r(repo), f"repository {repo}"))

    def list_repos(self, owner: str, *, owner_type: str | None = None,
                   validators: Validators | None = None) -> Fetched[RepoInfo]:
        o = quote(owner, safe="")
        what = f"repositories of {owner}"
        org = (f"/orgs/{o}/repos", {"type": "all"})
        user = (f"/users/{o}/repos", {"type": "owner"})
        if owner_type is not None:
            url, params = org if owner_type == "Organization" else user
            return self._fetched(url, what, convert.repo_info, params=params, validators=validators)
        try:
            return self._fetched(org[0], what, convert.repo_info, params=org[1], validators=validators)
        except NotFound:
            return self._fetched(user[0], what, convert.repo_info, params=user[1], validators=validators)

    def create_repo(self, name: str, *, org: str | None = None, private: bool = False,
                    description: str = "") -> RepoInfo:
        url = f"/orgs/{quote(org, safe='')}/repos" if org else "/user/repos"
        body = {"name": name, "private": private, "description": description}
        what = f"create repository {org + '/' if org else ''}{name}"
        return self._create(what, lambda: self._client.once("POST", url, body=body), None, convert.repo_info)

    def get_permission(self, repo: str, user: str) -> str:
        data = self._get(f"{_r(repo)}/collaborators/{quote(user, safe='')}/permission",
                         f"permission of {user} on {repo}")
        role = str((data or {}).get("role_name") or "")
        if role in ("maintain", "triage"):
            return role
        return str((data or {}).get("permission") or "none")

    def rate_limit(self) -> RateLimit:
        return convert.rate_limit_from_body(self._get("/rate_limit", "rate limit"))

    @property
    def last_rate_limit(self) -> RateLimit | None:
        return self._client.last_rate_limit

    # -- issues --------------------------------------------------------------------------
    def get_issue(self, repo: str, number: int) -> Issue:
        return convert.issue(self._get(f"{_r(repo)}/issues/{number}", f"issue {repo}#{number}"), repo)

    def list_issues(self, repo: str, *, state: str = "open", labels: Sequence[str] = (),
                    since: dt.datetime | None = None, assignee: str | None = None,
                    sort: str = "updated", direction: str = "desc",
                    validators: Validators | None = None, include_pulls: bool = False) -> Fetched[Issue]:
        params: dict[str, Any] = {"state": state, "sort": sort, "direction": direction}
        if labels:
            params["labels"] = ",".join(labels)
        if since is not None:
            params["since"] = iso(since, timespec="seconds")
        if assignee is not None:
            params["assignee"] = assignee
        return self._fetched(f"{_r(repo)}/issues", f"issues of {repo}", lambda d: convert.issue(d, repo),
                             params=params, validators=validators,
                             keep=None if include_pulls else (lambda d: not d.get("pull_request")))

    def create_issue(self, repo: str, title: str, body: str, *, labels: Sequence[str] = (),
                     assignees: Sequence[str] = (), marker: str | None = None) -> Issue:
        payload: dict[str, Any] = {"title": title, "body": _with_marker(body, marker)}
        if labels:
            payload["labels"] = list(labels)
        if assignees:
            payload["assignees"] = list(assignees)
        url = f"{_r(repo)}/issues"

        def find() -> Issue | None:
            # The newest issues, by creation: ours is among them if the server acted. No
            # `since` window, so clock skew between here and the server cannot hide it.
            assert marker is not None
            params = {"state": "all", "sort": "created", "direction": "desc"}
            for d in self._list(url, f"issues of {repo}", params=params, max_pages=LOOKUP_PAGES):
                if not d.get("pull_request") and marker in str(d.get("body") or "") and self._mine(d.get("user")):
                    return convert.issue(d, repo)
            return None

        return self._create(f"create issue in {repo}", lambda: self._client.once("POST", url, body=payload),
                            find if marker else None, lambda d: convert.issue(d, repo))

    def update_issue(self, repo: str, number: int, *, title: str | None = None, body: str | None = None,
                     state: str | None = None, state_reason: str | None = None,
                     labels: Sequence[str] | None = None) -> Issue:
        payload: dict[str, Any] = {}
        for k, v in (("title", title), ("body", body), ("state", state), ("state_reason", state_reason)):
            if v is not None:
                payload[k] = v
        if labels is not None:
            payload["labels"] = list(labels)
        resp = self._client.call("PATCH", f"{_r(repo)}/issues/{number}", f"update issue {repo}#{number}",
                                 body=payload)
        return convert.issue(resp.data, repo)

    def add_labels(self, repo: str, number: int, labels: Sequence[str]) -> None:
        if not labels:
            return
        self._client.call("POST", f"{_r(repo)}/issues/{number}/labels", f"label {repo}#{number}",
                          body={"labels": list(labels)})

    def remove_label(self, repo: str, number: int, label: str) -> None:
        try:
            self._client.call("DELETE", f"{_r(repo)}/issues/{number}/labels/{quote(label, safe='')}",
                              f"remove label {label!r} from {repo}#{number}")
        except NotFound:
            pass

    def add_assignees(self, repo: str, number: int, assignees: Sequence[str]) -> None:
        if assignees:
            self._client.call("POST", f"{_r(repo)}/issues/{number}/assignees", f"assign {repo}#{number}",
                              body={"assignees": list(assignees)})

    def remove_assignees(self, repo: str, number: int, assignees: Sequence[str]) -> None:
        if assignees:
            self._client.call("DELETE", f"{_r(repo)}/issues/{number}/assignees", f"unassign {repo}#{number}",
                              body={"assignees": list(assignees)})

    def list_labels(self, repo: str) -> list[str]:
        return [str(d.get("name", "")) for d in self._list(f"{_r(repo)}/labels", f"labels of {repo}")]

    def list_secret_names(self, repo: str) -> list[str]:
        return [str(d.get("name", "")) for d in self._list(f"{_r(repo)}/actions/secrets", f"secrets of {repo}",
                                                           key="secrets")]

    def list_variable_names(self, repo: str) -> list[str]:
        return [str(d.get("name", "")) for d in self._list(f"{_r(repo)}/actions/variables",
                                                           f"variables of {repo}", key="variables")]

    def list_environment_names(self, repo: str) -> list[str]:
        return [str(d.get("name", "")) for d in self._list(f"{_r(repo)}/environments", f"environments of {repo}",
                                                           key="environments")]

    def list_environment_secret_names(self, repo: str, environment: str) -> list[str]:
        from urllib.parse import quote

        return [str(d.get("name", "")) for d in self._list(f"{_r(repo)}/environments/{quote(environment, safe='')}/secrets",
                                                           f"secrets of environment {environment} in {repo}",
                                                           key="secrets")]

    def ensure_label(self, repo: str, name: str, *, color: str = "ededed", description: str = "") -> bool:
        # A label name is unique per repository, so repeating this POST cannot duplicate:
        # a second try after a lost answer is refused with 422 "already_exists".
        try:
            self._client.call("POST", f"{_r(repo)}/labels", f"create label {name!r} in {repo}",
                              body={"name": name, "color": color.lstrip("#"), "description": description})
        except GitHubError as exc:
            if exc.status == 422:
                return False
            raise
        return True

    def list_issue_events(self, repo: str, number: int) -> list[IssueEvent]:
        items = self._list(f"{_r(repo)}/issues/{number}/events", f"events of {repo}#{number}")
        return [convert.issue_event(d) for d in items]

    # -- native relations ---------------------------------------------------------------------
    def _issues_at(self, url: str, what: str) -> list[Issue]:
        return [convert.issue(d) for d in self._list(url, what)]

    def list_sub_issues(self, repo: str, number: int) -> list[Issue]:
        return self._issues_at(f"{_r(repo)}/issues/{number}/sub_issues", f"sub-issues of {repo}#{number}")

    def add_sub_issue(self, repo: str, number: int, sub_issue_id: int, *, replace_parent: bool = False) -> None:
        # Tried once: a repeat after a lost answer would be refused as a duplicate (422), which the
        # caller reads from the next listing anyway.
        body: dict[str, Any] = {"sub_issue_id": sub_issue_id}
        if replace_parent:
            body["replace_parent"] = True
        self._client.call("POST", f"{_r(repo)}/issues/{number}/sub_issues",
                          f"add sub-issue {sub_issue_id} to {repo}#{number}", body=body, retry=False)

    def remove_sub_issue(self, repo: str, number: int, sub_issue_id: int) -> None:
        try:
            self._client.call("DELETE", f"{_r(repo)}/issues/{number}/sub_issue",
                              f"remove sub-issue {sub_issue_id} from {repo}#{number}",
                              body={"sub_issue_id": sub_issue_id})
        except NotFound:
            pass

    def reprioritize_sub_issue(self, repo: str, number: int, sub_issue_id: int, *, after_id: int | None = None,
                               before_id: int | None = None) -> None:
        body: dict[str, Any] = {"sub_issue_id": sub_issue_id}
        if after_id is not None:
            body["after_id"] = after_id
        if before_id is not None:
            body["before_id"] = before_id
        self._client.call("PATCH", f"{_r(repo)}/issues/{number}/sub_issues/priority",
                          f"reorder sub-issues of {repo}#{number}", body=body)

    def list_blocked_by(self, repo: str, number: int) -> list[Issue]:
        return self._issues_at(f"{_r(repo)}/issues/{number}/dependencies/blocked_by",
                               f"blockers of {repo}#{number}")

    def list_blocking(self, repo: str, number: int) -> list[Issue]:
        return self._issues_at(f"{_r(repo)}/issues/{number}/dependencies/blocking",
                               f"issues blocked by {repo}#{number}")

    def add_blocked_by(self, repo: str, number: int, blocker_id: int) -> bool:
        what = f"mark {repo}#{number} blocked by issue id {blocker_id}"
        try:
            self._client.once("POST", f"{_r(repo)}/issues/{number}/dependencies/blocked_by",
                              body={"issue_id": blocker_id})
        except FailedAttempt as exc:
            if exc.failure.status == 422 and blocker_id in {
                    i.id for i in self.list_blocked_by(repo, number)}:
                return False  # already there (ours from an earlier run, or a person's)
            raise translate(exc.failure, what) from None
        return True

    def remove_blocked_by(self, repo: str, number: int, blocker_id: int) -> None:
        try:
            self._client.call("DELETE", f"{_r(repo)}/issues/{number}/dependencies/blocked_by/{blocker_id}",
                              f"remove dependency of {repo}#{number} on issue id {blocker_id}")
        except NotFound:
            pass

    # -- comments ----------------------------------------------------------------------------
    def list_comments(self, repo: str, number: int, *, since: dt.datetime | None = None) -> list[Comment]:
        params = {"since": iso(since, timespec="seconds")} if since is not None else None
        items = self._list(f"{_r(repo)}/issues/{number}/comments", f"comments of {repo}#{number}", params=params)
        return [convert.comment(d) for d in items]

    def create_comment(self, repo: str, number: int, body: str, *, marker: str | None = None) -> Comment:
        url = f"{_r(repo)}/issues/{number}/comments"
        payload = {"body": _with_marker(body, marker)}

        def find() -> Comment | None:
            assert marker is not None
            for c in self.list_comments(repo, number):
                if marker in c.body and self._mine(c.author):
                    return c
            return None

        return self._create(f"comment on {repo}#{number}", lambda: self._client.once("POST", url, body=payload),
                            find if marker else None, convert.comment)

    def edit_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        resp = self._client.call("PATCH", f"{_r(repo)}/issues/comments/{comment_id}",
                                 f"edit comment {comment_id} in {repo}", body={"body": body})
        return convert.comment(resp.data)

    def delete_comment(self, repo: str, comment_id: int) -> None:
        try:
            self._client.call("DELETE", f"{_r(repo)}/issues/comments/{comment_id}",
                              f"delete comment {comment_id} in {repo}")
        except NotFound:
            pass

    # -- pull requests ---------------------------------------------------------------------------
    def get_pull(self, repo: str, number: int) -> PullRequest:
        return convert.pull(self._get(f"{_r(repo)}/pulls/{number}", f"pull request {repo}#{number}"), repo)

    def list_pulls(self, repo: str, *, state: str = "open", head: str | None = None, base: str | None = None,
                   sort: str = "updated", direction: str = "desc",
                   validators: Validators | None = None) -> Fetched[PullRequest]:
        params: dict[str, Any] = {"state": state, "sort": sort, "direction": direction, "head": head, "base": base}
        return self._fetched(f"{_r(repo)}/pulls", f"pull requests of {repo}", lambda d: convert.pull(d, repo),
                             params=params, validators=validators)

    def create_pull(self, repo: str, *, title: str, body: str, head: str, base: str,
                    draft: bool = False) -> PullRequest:
        url = f"{_r(repo)}/pulls"
        payload = {"title": title, "body": body, "head": head, "base": base, "draft": draft}
        head_full = head if ":" in head else f"{repo.split('/', 1)[0]}:{head}"

        def find() -> PullRequest | None:
            found = self.list_pulls(repo, state="open", head=head_full).items or ()
            for pr in found:
                if pr.base_ref == base or not base:
                    return pr
            return found[0] if found else None

        return self._create(f"open pull request {head} -> {base} in {repo}",
                            lambda: self._client.once("POST", url, body=payload), find,
                            lambda d: convert.pull(d, repo), already_exists=True)

    def update_pull(self, repo: str, number: int, *, title: str | None = None, body: str | None = None,
                    state: str | None = None) -> PullRequest:
        payload = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        resp = self._client.call("PATCH", f"{_r(repo)}/pulls/{number}", f"update pull request {repo}#{number}",
                                 body=payload)
        return convert.pull(resp.data, repo)

    def merge_pull(self, repo: str, number: int, *, method: str = "merge",
                   commit_title: str | None = None) -> str:
        payload: dict[str, Any] = {"merge_method": method}
        if commit_title is not None:
            payload["commit_title"] = commit_title
        what = f"merge pull request {repo}#{number}"
        try:
            resp = self._client.call("PUT", f"{_r(repo)}/pulls/{number}/merge", what, body=payload)
        except GitHubError as exc:
            # A retried merge whose first answer was lost is refused as "not mergeable":
            # if the PR is merged, that merge was ours.
            if exc.status in (405, 409):
                pr = self.get_pull(repo, number)
                if pr.merged and pr.merge_commit_sha:
                    return pr.merge_commit_sha
            raise
        return str((resp.data or {}).get("sha") or "")

    def list_reviews(self, repo: str, number: int) -> list[Review]:
        items = self._list(f"{_r(repo)}/pulls/{number}/reviews", f"reviews of {repo}#{number}")
        return [convert.review(d) for d in items]

    def create_review(self, repo: str, number: int, *, event: str, body: str = "",
                      commit_id: str | None = None, comments: Sequence[Mapping[str, object]] = (),
                      marker: str | None = None) -> Review:
        payload: dict[str, Any] = {"event": event, "body": _with_marker(body, marker)}
        if commit_id:
            payload["commit_id"] = commit_id
        if comments:
            payload["comments"] = [dict(c) for c in comments]
        url = f"{_r(repo)}/pulls/{number}/reviews"

        def find() -> Review | None:
            assert marker is not None
            return next((r for r in self.list_reviews(repo, number) if marker in r.body), None)

        return self._create(f"review {event} on {repo}#{number}", lambda: self._client.once("POST", url, body=payload),
                            find if marker else None, convert.review)

    def list_review_comments(self, repo: str, number: int) -> list[ReviewComment]:
        items = self._list(f"{_r(repo)}/pulls/{number}/comments", f"review comments of {repo}#{number}")
        return [convert.review_comment(d) for d in items]

    def request_reviewers(self, repo: str, number: int, reviewers: Sequence[str]) -> None:
        if reviewers:
            self._client.call("POST", f"{_r(repo)}/pulls/{number}/requested_reviewers",
                              f"request reviewers on {repo}#{number}", body={"reviewers": list(reviewers)})

    # -- statuses, checks, workflows, alerts ------------------------------------------------------
    def create_status(self, repo: str, sha: str, *, state: str, context: str, description: str = "",
                      target_url: str | None = None) -> None:
        payload: dict[str, Any] = {"state": state, "context": context, "description": description[:140]}
        if target_url:
            payload["target_url"] = target_url
        # Same sha + context overwrites: safe to repeat.
        self._client.call("POST", f"{_r(repo)}/statuses/{quote(sha, safe='')}",
                          f"status {context!r} on {repo}@{sha[:12]}", body=payload)

    def get_combined_status(self, repo: str, ref: str) -> CombinedStatus:
        data = self._get(f"{_r(repo)}/commits/{quote(ref, safe='')}/status", f"combined status of {repo}@{ref}",
                         params={"per_page": 100})
        return convert.combined_status(data or {}, ref)

    def list_check_runs(self, repo: str, ref: str) -> list[CheckRun]:
        items = self._list(f"{_r(repo)}/commits/{quote(ref, safe='')}/check-runs", f"check runs of {repo}@{ref}",
                           key="check_runs")
        return [convert.check_run(d) for d in items]

    def fetch_commit_statuses(self, repo: str, ref: str, *,
                              validators: Validators | None = None) -> Fetched[CommitStatus]:
        return self._fetched(f"{_r(repo)}/commits/{quote(ref, safe='')}/status", f"combined status of {repo}@{ref}",
                             convert.commit_status, key="statuses", validators=validators, max_pages=1,
                             per_page=100)

    def fetch_check_runs(self, repo: str, ref: str, *, validators: Validators | None = None) -> Fetched[CheckRun]:
        return self._fetched(f"{_r(repo)}/commits/{quote(ref, safe='')}/check-runs", f"check runs of {repo}@{ref}",
                             convert.check_run, key="check_runs", validators=validators, max_pages=1, per_page=100)

    def list_workflow_runs(self, repo: str, *, branch: str | None = None, status: str | None = None,
                           event: str | None = None, per_page: int = 30, max_pages: int | None = 1,
                           validators: Validators | None = None,
                           head_sha: str | None = None) -> Fetched[WorkflowRun]:
        params = {"branch": branch, "status": status, "event": event, "head_sha": head_sha}
        return self._fetched(f"{_r(repo)}/actions/runs", f"workflow runs of {repo}", convert.workflow_run,
                             params=params, key="workflow_runs", validators=validators, max_pages=max_pages,
                             per_page=per_page)

    def dispatch_workflow(self, repo: str, workflow: str, *, ref: str,
                          inputs: Mapping[str, str] | None = None) -> None:
        url = f"{_r(repo)}/actions/workflows/{quote(workflow, safe='')}/dispatches"
        payload: dict[str, Any] = {"ref": ref, "inputs": dict(inputs or {})}
        # Each dispatch starts a run: tried once, never repeated.
        self._client.call("POST", url, f"dispatch workflow {workflow} on {repo}", body=payload, retry=False)

    def list_run_jobs(self, repo: str, run_id: int) -> list[Job]:
        items = self._list(f"{_r(repo)}/actions/runs/{run_id}/jobs", f"jobs of run {run_id} in {repo}", key="jobs")
        return [convert.job(d) for d in items]

    def job_log_tail(self, repo: str, job_id: int, *, max_bytes: int) -> str:
        what = f"log of job {job_id} in {repo}"
        resp = self._client.call("GET", f"{_r(repo)}/actions/jobs/{job_id}/logs", what)
        location = resp.header("location")
        if resp.status not in (301, 302, 307) or not location:
            raise GitHubError(f"{what}: GitHub answered {resp.status} without a download location")
        from agentops.http import download_tail

        result = download_tail(location, max_bytes=max_bytes, timeout_s=60)
        if result.error is not None or result.status != 200:
            raise Unavailable(f"{what}: download failed ({result.error or result.status})")
        return result.body

    def list_check_annotations(self, repo: str, check_run_id: int) -> list[Annotation]:
        items = self._list(f"{_r(repo)}/check-runs/{check_run_id}/annotations",
                           f"annotations of check run {check_run_id} in {repo}")
        return [convert.annotation(d) for d in items]

    def rerun_failed_jobs(self, repo: str, run_id: int) -> None:
        # A re-run starts new jobs: tried once, never repeated.
        self._client.call("POST", f"{_r(repo)}/actions/runs/{run_id}/rerun-failed-jobs",
                          f"re-run failed jobs of run {run_id} in {repo}", retry=False)

    def list_dependabot_alerts(self, repo: str, *, state: str = "open",
                               validators: Validators | None = None) -> Fetched[DependabotAlert]:
        return self._fetched(f"{_r(repo)}/dependabot/alerts", f"Dependabot alerts of {repo}",
                             convert.dependabot_alert, params={"state": state}, validators=validators)


def connect(env: Mapping[str, str] | None = None, *, output: Output | None = None,
            sleep: Callable[[float], None] = time.sleep, mutation_interval: float | None = None,
            max_wait: float | None = None, clock: Callable[[], float] = time.time,
            attempts: int = DEFAULT_ATTEMPTS, timeout: int = DEFAULT_TIMEOUT) -> GitHubAdapter:
    """A GitHubPort from the environment (GITHUB_API_URL, GH_TOKEN / GITHUB_TOKEN / App)."""
    env = dict(os.environ) if env is None else env
    base_url = (env.get("GITHUB_API_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise BadInput(f"GITHUB_API_URL: {base_url!r} is not an http(s) URL")
    interval = (mutation_interval if mutation_interval is not None
                else _env_float(env, "AGENTOPS_MUTATION_INTERVAL", DEFAULT_MUTATION_INTERVAL))
    wait_bound = max_wait if max_wait is not None else _env_float(env, "AGENTOPS_MAX_RATE_WAIT", DEFAULT_MAX_WAIT)
    retrier = Retrier(sleep=sleep, clock=clock, translate=translate, max_wait=wait_bound, attempts=attempts)

    from github import Github, GithubIntegration
    from github.GithubException import GithubException

    # retry=None and no throttles: agentops owns retries and spacing (see module doc).
    lib_kwargs: dict[str, Any] = {"base_url": base_url, "timeout": timeout, "retry": None,
                                  "seconds_between_requests": None, "seconds_between_writes": None}

    def find_installation(app_auth: AppJwtAuth, repo: str) -> int:
        owner, _, name = repo.partition("/")
        integration = GithubIntegration(auth=app_auth, **lib_kwargs)

        def fetch() -> int:
            try:
                return int(integration.get_repo_installation(owner, name).id)
            except Exception as exc:
                refused = app_auth.refused(exc, f"the installation look-up on {repo}") \
                    if isinstance(exc, GithubException) else None
                if refused is not None:
                    raise refused from None
                if isinstance(exc, GithubException) and exc.status == 404:
                    raise BadInput(f"GITHUB_REPOSITORY: GitHub App {app_auth.app_id} is not installed on {repo}",
                                   hint="install the App on the repository (or set AGENTOPS_APP_INSTALLATION_ID)"
                                   ) from None
                failure = failure_from_exception(exc)
                if failure is None:
                    raise
                raise FailedAttempt(failure) from None

        return retrier.call(fetch, f"find the GitHub App installation on {repo}")

    creds = resolve(env, find_installation=find_installation, clock=clock)
    if output is not None and creds.token:
        output.mask(creds.token)
    if output is not None and isinstance(creds.auth, InstallationAuth):
        creds.auth.on_token = output.mask

    gh = Github(auth=creds.auth, lazy=True, per_page=100, **lib_kwargs)
    integration = GithubIntegration(auth=creds.app_auth, **lib_kwargs) if creds.app_auth is not None else None

    spacer = MutationSpacer(interval, sleep=sleep)
    client = RestClient(gh.requester, retrier=retrier, spacer=spacer)
    return GitHubAdapter(client, creds=creds, env=env, sleep=sleep, clock=clock, integration=integration,
                         api_url=base_url)


if TYPE_CHECKING:
    from agentops.github.port import GitHubPort

    def _implements_port(adapter: GitHubAdapter) -> GitHubPort:
        return adapter  # mypy checks the adapter against the Protocol here
