"""Checkouts for the test agent: a pull request's head in a temporary worktree (fetched as
`pull/N/head`, which GitHub and the emulator both serve, else the head branch), or the current
checkout; plus the base commit and the diff that changed-lines coverage needs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentops.git import GitFailed, open_repo, run, try_run


@dataclass(frozen=True)
class Checkout:
    path: Path
    sha: str | None  # None: not a git work tree
    ref: str | None  # branch name when known
    base_sha: str | None  # merge base with the target branch, when known
    temporary: bool = False


def _is_git(path: Path) -> bool:
    return any((p / ".git").exists() for p in (path.resolve(), *path.resolve().parents))


def current(path: Path, *, base_branch: str | None = None) -> Checkout:
    """The work tree at `path` as it is (no fetch). The base is the merge base with
    origin/<base_branch> when that ref exists locally and differs from HEAD."""
    if not _is_git(path):
        return Checkout(path=path, sha=None, ref=None, base_sha=None)
    repo = open_repo(path)
    code, sha, _ = try_run(repo, "rev-parse", "HEAD")
    if code != 0:
        return Checkout(path=path, sha=None, ref=None, base_sha=None)
    _, ref, _ = try_run(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    base = None
    if base_branch:
        code, base_tip, _ = try_run(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{base_branch}^{{commit}}")
        if code == 0 and base_tip and base_tip != sha:
            code, mb, _ = try_run(repo, "merge-base", base_tip, sha)
            base = mb if code == 0 and mb and mb != sha else None
    return Checkout(path=path, sha=sha, ref=ref or None, base_sha=base)


@contextmanager
def pull_request(local: Path, number: int, *, head_ref: str, base_ref: str | None) -> Iterator[Checkout]:
    """Fetch PR `number` into `local`'s repository and check its head out in a temporary
    worktree, removed afterwards. `local` must be a clone whose `origin` is the GitHub repo."""
    repo = open_repo(local)
    pr_ref = f"refs/agentops/pull/{number}/head"
    code, _, err = try_run(repo, "fetch", "--no-tags", "--quiet", "origin", f"+refs/pull/{number}/head:{pr_ref}")
    if code != 0:
        code, _, err2 = try_run(repo, "fetch", "--no-tags", "--quiet", "origin", f"+refs/heads/{head_ref}:{pr_ref}")
        if code != 0:
            raise GitFailed(f"cannot fetch pull request #{number}: {err.strip() or err2.strip()}")
    sha = run(repo, "rev-parse", f"{pr_ref}^{{commit}}")
    base_sha = None
    if base_ref:
        base_local = f"refs/agentops/pull/{number}/base"
        code, _, _ = try_run(repo, "fetch", "--no-tags", "--quiet", "origin", f"+refs/heads/{base_ref}:{base_local}")
        if code == 0:
            code, mb, _ = try_run(repo, "merge-base", base_local, sha)
            base_sha = mb if code == 0 and mb else None
    tmp = Path(tempfile.mkdtemp(prefix=f"agentops-test-pr{number}-"))
    try:
        run(repo, "worktree", "add", "--detach", "--force", str(tmp), sha)
        yield Checkout(path=tmp, sha=sha, ref=head_ref, base_sha=base_sha, temporary=True)
    finally:
        try_run(repo, "worktree", "remove", "--force", str(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        try_run(repo, "worktree", "prune")


def diff_unified0(path: Path, base: str, head: str) -> str:
    """`git diff --unified=0 base...head` (what the change added, relative to the merge base)."""
    repo = open_repo(path)
    return run(repo, "diff", "--unified=0", "--no-color", "--no-ext-diff", f"{base}...{head}")
