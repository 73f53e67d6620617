"""Per-task worktrees and branches, the task commit, and the authenticated push.

One worktree and one branch (`agentops/<issue>-<slug>`) per task, reused on every re-run:
never a `-try2` branch. Tokens reach git only through the environment of the single
command that needs them (GIT_CONFIG_COUNT + http.extraheader), never in a URL or a config file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentops.git import GitFailed, open_repo
from agentops.git import origin_url as origin_url
from agentops.git.runner import GitAuth, git

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


def _git(path: Path, args: Sequence[str], *, auth: GitAuth | None = None, env: Mapping[str, str] | None = None,
         check: bool = True) -> tuple[int, str, str]:
    res = git(args, cwd=path, auth=auth, env=env)
    status = res.returncode if res.returncode is not None else 1
    if check and not res.ok:
        raise GitFailed(f"git {args[0]} failed: {res.message()}")
    return status, res.stdout, res.error or res.stderr


def fetch_base(root: Path, source: str | Path, default_branch: str, branch: str) -> str:
    """Bring the default branch (and the task branch, if the source has it) into `root` as
    refs/remotes/origin/*; returns the base sha. `source` is the private mirror (see
    agentops.git.mirror): the repository an agent works in never runs a credentialed command."""
    src = str(source)
    _git(root, ["fetch", "--no-tags", src, f"+refs/remotes/origin/{default_branch}:refs/remotes/origin/{default_branch}"])
    if _ref_exists(Path(src), f"refs/remotes/origin/{branch}"):
        _git(root, ["fetch", "--no-tags", src, f"+refs/remotes/origin/{branch}:refs/remotes/origin/{branch}"])
    return _git(root, ["rev-parse", f"refs/remotes/origin/{default_branch}^{{commit}}"])[1]


def _ref_exists(path: Path, ref: str) -> bool:
    return _git(path, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)[0] == 0


def _registered_worktrees(root: Path) -> dict[Path, str | None]:
    out = _git(root, ["worktree", "list", "--porcelain"])[1]
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
    root = open_repo(root).path
    _git(root, ["worktree", "prune"], check=False)
    path = path.resolve()
    registered = _registered_worktrees(root)
    if path in registered and path.exists():
        if registered[path] != branch:
            raise GitFailed(f"{path} is a worktree on {registered[path]!r}, expected {branch!r}")
        return Worktree(path, branch, base_sha, head(path), created=False)
    for other, other_branch in registered.items():
        if other_branch == branch and other != path:
            # The branch is checked out elsewhere (e.g. moved worktrees folder): reuse by moving it.
            _git(root, ["worktree", "move", str(other), str(path)])
            return Worktree(path, branch, base_sha, head(path), created=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _ref_exists(root, f"refs/heads/{branch}"):
        _git(root, ["worktree", "add", str(path), branch])
        created = False
    elif _ref_exists(root, f"refs/remotes/origin/{branch}"):
        _git(root, ["worktree", "add", "-b", branch, str(path), f"refs/remotes/origin/{branch}"])
        created = False
    else:
        _git(root, ["worktree", "add", "--no-track", "-b", branch, str(path), base_sha])
        created = True
    return Worktree(path, branch, base_sha, head(path), created=created)


def head(path: Path) -> str:
    return _git(path, ["rev-parse", "HEAD"])[1]


def is_dirty(path: Path) -> bool:
    return bool(_git(path, ["status", "--porcelain", "--untracked-files=all"])[1])


def changed_since(path: Path, sha: str) -> bool:
    """True when the worktree differs from `sha` (uncommitted edits or commits made by the agent)."""
    return is_dirty(path) or head(path) != sha


def reset_clean(path: Path, sha: str) -> None:
    """Drop every edit and commit made since `sha`: a failed run leaves nothing behind."""
    _git(path, ["reset", "--hard", sha])
    _git(path, ["clean", "-fd"])


def commit_all(path: Path, since: str, message: str, *, env: Mapping[str, str] | None = None) -> str:
    """One commit with everything changed since `since` (agent commits are folded in), by agentops."""
    if head(path) != since:
        _git(path, ["reset", "--soft", since])
    _git(path, ["add", "--all"])
    ident = {"GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
             "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL, **(env or {})}
    _git(path, ["commit", "--no-verify", "-q", "-m", message], env=ident)
    return head(path)


def catch_up(path: Path, branch: str) -> str:
    """Fast-forward the task branch to what the remote has (a human may have pushed to the PR);
    a local branch with unpushed commits is left as it is. Returns HEAD."""
    remote = f"refs/remotes/origin/{branch}"
    if _ref_exists(path, remote) and not is_dirty(path):
        if _git(path, ["merge-base", "--is-ancestor", "HEAD", remote], check=False)[0] == 0:
            _git(path, ["reset", "--hard", remote])
    return head(path)


def remove_worktree(root: Path, path: Path, branch: str | None = None) -> bool:
    """Remove a task worktree (and its local branch). False when there was nothing to remove."""
    root = open_repo(root).path
    removed = False
    if path.exists():
        _git(root, ["worktree", "remove", "--force", str(path)], check=False)
        removed = True
    _git(root, ["worktree", "prune"], check=False)
    if branch and _ref_exists(root, f"refs/heads/{branch}"):
        _git(root, ["branch", "-D", branch], check=False)
        removed = True
    return removed


def clone(url: str, dest: Path, *, token: str | None = None) -> None:
    """A local clone of the target repository, when agentops does not run inside one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    res = git(["clone", "--no-checkout", "-q", url, str(dest)], cwd=dest.parent, auth=GitAuth(url, token))
    if not res.ok:
        raise GitFailed(f"cannot clone the repository: {res.message()}")


def worktree_root(path: Path) -> Path:
    """The main checkout a linked worktree belongs to."""
    common = Path(_git(path, ["rev-parse", "--path-format=absolute", "--git-common-dir"])[1])
    return common.parent if common.name == ".git" else common


def common_dir(path: Path) -> Path:
    """The git dir holding objects and refs for the worktree at `path`."""
    return Path(_git(path, ["rev-parse", "--path-format=absolute", "--git-common-dir"])[1])


def has_trailer(path: Path, trailer: str) -> bool:
    message = _git(path, ["log", "-1", "--format=%B"])[1]
    return any(line.strip() == trailer for line in message.splitlines())


def detached_worktree(root: Path, path: Path, source: str | Path, ref: str, sha: str) -> Path:
    """A read-only look at `sha` (fetched from `source`'s `ref`, the private mirror) at `path`: a
    detached worktree, created or reset to exactly `sha` with nothing else in it. For agents that
    read a pull request without writing to its branch (the review agent)."""
    root = open_repo(root).path
    _git(root, ["fetch", "--no-tags", str(source), f"+{ref}:refs/agentops/look/{sha}"])
    _git(root, ["worktree", "prune"], check=False)
    path = path.resolve()
    if path in _registered_worktrees(root) and path.exists():
        _git(path, ["checkout", "-q", "--detach", "--force", sha])
        reset_clean(path, sha)
        _git(path, ["clean", "-fdx"])
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        _git(root, ["worktree", "add", "-q", "--detach", str(path), sha])
    _git(root, ["update-ref", "-d", f"refs/agentops/look/{sha}"], check=False)
    return path


def unresolved(path: Path) -> list[str]:
    """Files still in conflict, or still carrying conflict markers, in a worktree after a merge."""
    out = set(_git(path, ["diff", "--name-only", "--diff-filter=U"])[1].splitlines())
    untracked = _git(path, ["grep", "-l", "-I", "-E", "--untracked", "-e", "^(<<<<<<<|>>>>>>>) "], check=False)
    out.update(untracked[1].splitlines() if untracked[0] == 0 else ())
    return sorted(p for p in out if p)


def commit_merge(path: Path, since: str, base: str, message: str) -> str:
    """Commit a merge of `base` into the branch (the agent resolved it): a real merge commit, so the
    PR's branch moves forward with no force-push and reviewers keep their history. A merge the
    agent committed itself is kept as it is."""
    merging = _git(path, ["rev-parse", "-q", "--verify", "MERGE_HEAD"], check=False)[0] == 0
    if not merging and head(path) != since and is_ancestor(path, base, "HEAD"):
        return head(path)
    if not merging:
        raise GitFailed(f"no merge of {base[:12]} was made in the worktree")
    if head(path) != since:
        raise GitFailed("the agent committed in the middle of the merge")
    _git(path, ["add", "--all"])
    ident = {"GIT_AUTHOR_NAME": BOT_NAME, "GIT_AUTHOR_EMAIL": BOT_EMAIL,
             "GIT_COMMITTER_NAME": BOT_NAME, "GIT_COMMITTER_EMAIL": BOT_EMAIL}
    _git(path, ["commit", "--no-verify", "-q", "-m", message], env=ident)
    return head(path)


def is_ancestor(path: Path, a: str, b: str) -> bool:
    return _git(path, ["merge-base", "--is-ancestor", a, b], check=False)[0] == 0

