"""GitHub-side trust for one run: who agentops is, who may steer it, who applied a label.

Each answer costs at most one request per run and none when nothing asks: agentops's own
login is looked up only when an object carrying a marker has to be judged, a user's permission
once per (repository, user), an issue's events once per issue. Commands get one instance per
run from `Context.trust`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from agentops.domain.approval import WRITE_PERMISSIONS, LabelEvent, latest_labeling
from agentops.domain.markers import Authors, ForeignMarker, Marker, find_markers, foreign_markers, own_marker
from agentops.errors import BadInput, NotFound
from agentops.github.port import GitHubPort

T = TypeVar("T")

# agentops's own login as the dispatcher knew it, passed to the read-only jobs of the code workflow
# (a workflow_dispatch input: set only by whoever may dispatch the workflow, i.e. write access).
# Those jobs read GitHub with the job's token, as github-actions[bot], and could not otherwise tell
# agentops's own markers from forgeries when AGENTOPS_TOKEN is a PAT or an App.
DISPATCHER_LOGIN_ENV = "AGENTOPS_DISPATCHER_LOGIN"
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


def is_login(text: str) -> bool:
    return _LOGIN.fullmatch(text) is not None


def dispatcher_login(env: Mapping[str, str]) -> str | None:
    """The dispatcher's login from the environment (None when unset or empty). Anything that is
    not a GitHub login is bad input: never widened, never guessed."""
    raw = env.get(DISPATCHER_LOGIN_ENV, "").strip()
    if not raw:
        return None
    if not is_login(raw):
        raise BadInput(f"{DISPATCHER_LOGIN_ENV}: {raw[:60]!r} is not a GitHub login",
                       hint="it is the `identity` input the dispatcher passes to the code workflow")
    return raw


class GitHubTrust:
    def __init__(self, gh: GitHubPort, *, also: Iterable[str] = (), marker_authors: Iterable[str] = ()) -> None:
        """`also`: further logins that are agentops (configured `claims.identities`).
        `marker_authors`: logins whose objects' markers count as agentops's own, and nothing else
        (not "us" for claims, events or steering): the dispatcher's login in a read-only job."""
        self._gh = gh
        self._also = tuple(also)
        self._marker_authors = tuple(marker_authors)
        self._me: Authors | None = None
        self._permissions: dict[tuple[str, str], str] = {}
        self._events: dict[tuple[str, int], list[LabelEvent]] = {}
        self._lock = threading.Lock()
        # Issues GitHub answered 404 for during this run: a dependency naming one is asked once.
        self.missing: set[str] = set()

    # -- identity and markers ---------------------------------------------------------------
    def me(self) -> Authors:
        """agentops's own login(s): the token's user, or the App's `<slug>[bot]`."""
        with self._lock:
            if self._me is not None:
                return self._me
        me = Authors.of([self._gh.whoami().login, *self._also])
        with self._lock:
            self._me = me
        return me

    def learn_self(self, login: str) -> None:
        """Our login as GitHub reported it on an object we just created (no request needed). It is
        authoritative: a remembered login that differs (an account renamed since) gives way."""
        if not login:
            return
        with self._lock:
            if self._me is None or not self._me.wrote(login):
                self._me = Authors.of([login, *self._also])
        self._gh.learned_login(login)

    def marker(self, text: str | None, author: str | None, kind: str, **want: object) -> Marker | None:
        """The marker of `kind` on an object only when agentops wrote the object."""
        if not any(m.matches(kind, **want) for m in find_markers(text)):
            return None  # nothing to judge: no identity look-up
        return own_marker(text, author, self._marker_me(), kind, **want)

    def foreign(self, text: str | None, author: str | None, where: str) -> list[ForeignMarker]:
        """Markers on an object someone else wrote (to report; they are never honoured)."""
        if not find_markers(text):
            return []
        return foreign_markers(text, author, self._marker_me(), where)

    def _marker_me(self) -> Authors:
        me = self.me()
        return Authors(me.logins | Authors.of(self._marker_authors).logins) if self._marker_authors else me

    def wrote(self, author: str | None) -> bool:
        return self.me().wrote(author)

    # -- write access ---------------------------------------------------------------------------
    def permission(self, repo: str, user: str) -> str:
        """admin | maintain | write | triage | read | none (a user GitHub does not know: none)."""
        key = (repo.lower(), user.lower())
        with self._lock:
            if key in self._permissions:
                return self._permissions[key]
        try:
            perm = self._gh.get_permission(repo, user)
        except NotFound:
            perm = "none"
        with self._lock:
            self._permissions[key] = perm
        return perm

    def has_write(self, repo: str, user: str) -> bool:
        return bool(user) and self.permission(repo, user) in WRITE_PERMISSIONS

    def maintainers_only(self, repo: str, items: Iterable[T], author: Callable[[T], str]) -> tuple[list[T], list[T]]:
        """(kept, ignored): items written by users with write access, and the rest. agentops's
        own objects are neither steering nor ignored: they are dropped from both."""
        kept: list[T] = []
        ignored: list[T] = []
        for item in items:
            who = author(item)
            if self.wrote(who):
                continue
            (kept if self.has_write(repo, who) else ignored).append(item)
        return kept, ignored

    # -- labels ------------------------------------------------------------------------------------
    def label_events(self, repo: str, number: int) -> list[LabelEvent]:
        key = (repo.lower(), number)
        with self._lock:
            if key in self._events:
                return self._events[key]
        events = [LabelEvent(e.id, e.event, e.label or "", e.actor, e.created_at)
                  for e in self._gh.list_issue_events(repo, number) if e.event in ("labeled", "unlabeled")]
        with self._lock:
            self._events[key] = events
        return events

    def labeling(self, repo: str, number: int, label: str) -> LabelEvent | None:
        """The event that put `label` on the issue as it is now (None when GitHub shows none)."""
        return latest_labeling(self.label_events(repo, number), label)
