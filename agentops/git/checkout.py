"""Checkouts for the test agent: a pull request's head in a temporary standalone repository
(fetched as `pull/N/head`, which GitHub and the emulator both serve, else the head branch), or the
current checkout; plus the base commit and the diff that changed-lines coverage needs.

A pull request's gates are untrusted code, so its checkout shares nothing with a repository that
could hold a credential: the one credentialed fetch runs in agentops's private mirror (the token
only in that command's environment, git's own credential helpers switched off), and the gates get
a fresh repository filled from the mirror, whose `.git` holds only `git init`'s config: no remote,
no extraheader, no helper, no hooks.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentops.git import GitFailed, open_repo, run, try_run
from agentops.git.mirror import Mirror
from agentops.git.runner import git


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
def pull_request(mirror: Mirror, url: str, token: str | None, number: int, *, head_ref: str,
                 base_ref: str | None) -> Iterator[Checkout]:
    """Fetch PR `number` from `url` into `mirror` and check its head out in a fresh repository in a
    temporary folder, removed afterwards (see the note above)."""
    pr_ref = f"refs/agentops/pull/{number}/head"
    base_local = f"refs/agentops/pull/{number}/base"
    err = mirror.fetch_ref(url, token, f"refs/pull/{number}/head", pr_ref)
    if err is not None:
        err2 = mirror.fetch_ref(url, token, f"refs/heads/{head_ref}", pr_ref)
        if err2 is not None:
            raise GitFailed(f"cannot fetch pull request #{number}: {err or err2}")
    sha = mirror.rev_parse(pr_ref)
    has_base = bool(base_ref) and mirror.fetch_ref(url, token, f"refs/heads/{base_ref}", base_local) is None
    tmp = Path(tempfile.mkdtemp(prefix=f"agentops-test-pr{number}-"))
    try:
        base_sha = _fill(tmp, mirror, sha, pr_ref, base_local if has_base else None)
        yield Checkout(path=tmp, sha=sha, ref=head_ref, base_sha=base_sha, temporary=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fill(tmp: Path, mirror: Mirror, sha: str, pr_ref: str, base_ref: str | None) -> str | None:
    """A new repository at `tmp` with the PR (and base) history from the mirror, `sha` checked out;
    the merge base with the base branch, when known."""
    def step(*args: str) -> str:
        res = git(args, cwd=tmp)
        if not res.ok:
            raise GitFailed(f"cannot prepare the pull request checkout: git {args[0]}: {res.message()}")
        return res.stdout

    step("init", "-q", "--template=", str(tmp))  # --template=: not even sample hooks
    specs = [f"+{pr_ref}:refs/agentops/head", *([f"+{base_ref}:refs/agentops/base"] if base_ref else [])]
    step("fetch", "-q", "--no-tags", str(mirror.path), *specs)
    step("checkout", "-q", "--detach", sha)
    if base_ref is None:
        return None
    mb = git(["merge-base", "refs/agentops/base", sha], cwd=tmp)
    return mb.stdout if mb.ok and mb.stdout else None


def diff_unified0(path: Path, base: str, head: str) -> str:
    """`git diff --unified=0 base...head` (what the change added, relative to the merge base)."""
    repo = open_repo(path)
    # --no-textconv: the PR's .gitattributes must not pick a program for agentops's own diff
    return run(repo, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", f"{base}...{head}")
