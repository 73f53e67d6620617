"""Per-task worktrees and branches, the task commit, and the authenticated push.

One worktree and one branch (`agentops/<issue>-<slug>`) per task, reused on every re-run:
never a `-try2` branch. Tokens reach git only through the environment of the single
command that needs them (GIT_CONFIG_COUNT + http.extraheader), never in a URL or a config file.
"""

from __future__ import annotations

import base64
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentops.errors import BadInput
from agentops.git import GitFailed, open_repo

NETWORK_TIMEOUT_S = 300.0
BOT_NAME = "agentops"
BOT_EMAIL = "agentops@users.noreply.github.com"


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base_sha: str  # the default branch tip the task branch started from
    head_sha: str
    created: bool  # False when an existing worktree/branch was reused


def slugify(title: str, *, max_len: int = 40) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "task"


def branch_name(issue: int, title: str) -> str:
    return f"agentops/{issue}-{slugify(title)}"


def auth_env(url: str, token: str | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment additions that authenticate one git command to an https remote.

    The header is scoped to this process only; existing GIT_CONFIG_COUNT entries are kept."""
    extra: dict[str, str] = {"GIT_TERMINAL_PROMPT": "0"}
    if not token or not url.lower().startswith("https://"):
        return extra
    environ = os.environ if base is None else base
    try:
        n = int(environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        n = 0
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    extra.update({"GIT_CONFIG_COUNT": str(n + 1), f"GIT_CONFIG_KEY_{n}": "http.extraheader",
                  f"GIT_CONFIG_VALUE_{n}": f"AUTHORIZATION: basic {basic}"})
    return extra


def _git(repo: Any, args: Sequence[str], *, env: Mapping[str, str] | None = None,
         timeout: float | None = None, check: bool = True) -> tuple[int, str, str]:
    import git

    try:
        status, out, err = repo.git.execute(["git", *args], with_extended_output=True, with_exceptions=False,
                                            env=dict(env) if env else None, kill_after_timeout=timeout)
    except git.GitCommandError as exc:
        status, out, err = exc.status if isinstance(exc.status, int) else 1, "", str(exc.stderr or exc)
    status, out, err = int(status), str(out).strip(), str(err).strip()
    if check and status != 0:
        raise GitFailed(f"git {args[0]} failed: {err or out or f'exit {status}'}")
    return status, out, err


def fetch_base(root: Path, url: str, default_branch: str, branch: str, *, token: str | None = None) -> str:
    """Fetch the default branch (and the task branch, if it exists remotely); returns the base sha."""
    repo = open_repo(root)
    env = auth_env(url, token)
    _git(repo, ["fetch", "--no-tags", url, f"+refs/heads/{default_branch}:refs/remotes/origin/{default_branch}"],
         env=env, timeout=NETWORK_TIMEOUT_S)
    _git(repo, ["fetch", "--no-tags", url, f"+refs/heads/{branch}:refs/remotes/origin/{branch}"],
         env=env, timeout=NETWORK_TIMEOUT_S, check=False)
    return _git(repo, ["rev-parse", f"refs/remotes/origin/{default_branch}^{{commit}}"])[1]


def _ref_exists(repo: Any, ref: str) -> bool:
    return _git(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)[0] == 0


def _registered_worktrees(repo: Any) -> dict[Path, str | None]:
    out = _git(repo, ["worktree", "list", "--porcelain"])[1]
    found: dict[Path, str | None] = {}
    current: Path | None = None
    for line in out.splitlines():
        if line.startswith("worktree "):
            current = Path(line[len("worktree "):]).resolve()
            found[current] = None
        elif line.startswith("branch ") and current is not None:
            found[current] = line[len("branch "):].removeprefix("refs/heads/")
    return found


def ensure_worktree(root: Path, path: Path, branch: str, default_branch: str, base_sha: str) -> Worktree:
    """The task's worktree at `path` on `branch`, created from origin/<default> if new, else reused."""
    repo = open_repo(root)
    _git(repo, ["worktree", "prune"], check=False)
    path = path.resolve()
    registered = _registered_worktrees(repo)
    if path in registered and path.exists():
        if registered[path] != branch:
            raise GitFailed(f"{path} is a worktree on {registered[path]!r}, expected {branch!r}")
        wt = open_repo(path)
        return Worktree(path, branch, base_sha, _git(wt, ["rev-parse", "HEAD"])[1], created=False)
    for other, other_branch in registered.items():
        if other_branch == branch and other != path:
            # The branch is checked out elsewhere (e.g. moved worktrees folder): reuse by moving it.
            _git(repo, ["worktree", "move", str(other), str(path)])
            return Worktree(path, branch, base_sha, _git(open_repo(path), ["rev-parse", "HEAD"])[1], created=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _ref_exists(repo, f"refs/heads/{branch}"):
        _git(repo, ["worktree", "add", str(path), branch])
        created = False
    elif _ref_exists(repo, f"refs/remotes/origin/{branch}"):
        _git(repo, ["worktree", "add", "-b", branch, str(path), f"refs/remotes/origin/{branch}"])
        created = False
    else:
        _git(repo, ["worktree", "add", "--no-track", "-b", branch, str(path), base_sha])
        created = True
    return Worktree(path, branch, base_sha, _git(open_repo(path), ["rev-parse", "HEAD"])[1], created=created)


def head(path: Path) -> str:
    return _git(open_repo(path), ["rev-parse", "HEAD"])[1]


def is_dirty(path: Path) -> bool:
    return bool(_git(open_repo(path), ["status", "--porcelain", "--untracked-files=all"])[1])


def changed_since(path: Path, sha: str) -> bool:
    """True when the worktree differs from `sha` (uncommitted edits or commits made by the agent)."""
    return is_dirty(path) or head(path) != sha


def reset_clean(path: Path, sha: str) -> None:
    """Drop every edit and commit made since `sha`: a failed run leaves nothing behind."""
    wt = open_repo(path)
    _git(wt, ["reset", "--hard", sha])
    _git(wt, ["clean", "-fd"])


def commit_all(path: Path, since: str, message: str, *, env: Mapping[str, str] | None = None) -> str:
    """One commit with everything changed since `since` (agent commits are folded in), by agentops."""
    wt = open_repo(path)
    if head(path) != since:
        _git(wt, ["reset", "--soft", since])
    _git(wt, ["add", "--all"])
    ident = {"GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
             "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL, **(env or {})}
    _git(wt, ["-c", "commit.gpgsign=false", "commit", "--no-verify", "-q", "-m", message], env=ident)
    return head(path)


def remote_head(root: Path, url: str, branch: str, *, token: str | None = None) -> str | None:
    status, out, _ = _git(open_repo(root), ["ls-remote", url, f"refs/heads/{branch}"],
                          env=auth_env(url, token), timeout=NETWORK_TIMEOUT_S, check=False)
    if status != 0:
        raise GitFailed(f"cannot read {branch} from the remote")
    return out.split()[0] if out else None


def push(path: Path, url: str, branch: str, *, token: str | None = None) -> None:
    """Push HEAD to refs/heads/<branch> (fast-forward only: someone else's commits are never lost)."""
    _git(open_repo(path), ["push", "--porcelain", url, f"HEAD:refs/heads/{branch}"], env=auth_env(url, token),
         timeout=NETWORK_TIMEOUT_S)


def catch_up(path: Path, branch: str) -> str:
    """Fast-forward the task branch to what the remote has (a human may have pushed to the PR);
    a local branch with unpushed commits is left as it is. Returns HEAD."""
    wt = open_repo(path)
    remote = f"refs/remotes/origin/{branch}"
    if _ref_exists(wt, remote) and not is_dirty(path):
        if _git(wt, ["merge-base", "--is-ancestor", "HEAD", remote], check=False)[0] == 0:
            _git(wt, ["reset", "--hard", remote])
    return head(path)


def remove_worktree(root: Path, path: Path, branch: str | None = None) -> bool:
    """Remove a task worktree (and its local branch). False when there was nothing to remove."""
    repo = open_repo(root)
    removed = False
    if path.exists():
        _git(repo, ["worktree", "remove", "--force", str(path)], check=False)
        removed = True
    _git(repo, ["worktree", "prune"], check=False)
    if branch and _ref_exists(repo, f"refs/heads/{branch}"):
        _git(repo, ["branch", "-D", branch], check=False)
        removed = True
    return removed


def clone(url: str, dest: Path, *, token: str | None = None) -> None:
    """A local clone of the target repository, when agentops does not run inside one."""
    import git

    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **auth_env(url, token)}
    try:
        git.Repo.clone_from(url, str(dest), env=env, no_checkout=True)
    except git.GitCommandError as exc:
        raise GitFailed(f"cannot clone the repository: {(exc.stderr or '').strip() or exc}") from exc


def origin_url(root: Path) -> str | None:
    try:
        repo = open_repo(root)
    except BadInput:  # not a git checkout: no origin
        return None
    status, out, _ = _git(repo, ["config", "--get", "remote.origin.url"], check=False)
    return out or None if status == 0 else None


def worktree_root(path: Path) -> Path:
    """The main checkout a linked worktree belongs to."""
    common = Path(_git(open_repo(path), ["rev-parse", "--path-format=absolute", "--git-common-dir"])[1])
    return common.parent if common.name == ".git" else common


def has_trailer(path: Path, trailer: str) -> bool:
    message = _git(open_repo(path), ["log", "-1", "--format=%B"])[1]
    return any(line.strip() == trailer for line in message.splitlines())
