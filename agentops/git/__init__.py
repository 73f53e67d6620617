"""All git work. Every git command runs through agentops.git.runner.git (hooks and fsmonitor off,
a minimal environment, credentials only on a push or fetch); nothing else in agentops runs git.

Submodules own one job each: runner.py (the one runner), sync.py (state commit/push with bounded
retry, merge driver registration), worktree.py (per-task worktrees and branches), checkout.py (pull
request checkouts for `test`), mirror.py (the private repository the publish phase pushes from),
bundle.py (the agent phase's output). Shared helpers live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentops.errors import AgentOpsError, BadInput
from agentops.git.runner import GitAuth, git


class GitFailed(AgentOpsError):
    """A git command failed in a way the caller did not expect (exit 1)."""


@dataclass(frozen=True)
class Repo:
    """A git work tree (or, for a bare repository, its git dir)."""

    working_tree_dir: str

    @property
    def path(self) -> Path:
        return Path(self.working_tree_dir)


def open_repo(path: str | Path) -> Repo:
    """The work tree containing `path`."""
    p = Path(path)
    if not p.exists():
        raise BadInput(f"{path}: not inside a git repository")
    res = git(["rev-parse", "--show-toplevel"], cwd=p if p.is_dir() else p.parent)
    if not res.ok or not res.stdout:
        raise BadInput(f"{path}: not inside a git repository")
    return Repo(res.stdout)


def run(repo: Repo, *args: str, check: bool = True) -> str:
    """`git <args>` in `repo`'s work tree; stdout stripped. A failure raises GitFailed."""
    res = git(args, cwd=repo.working_tree_dir)
    if not res.ok:
        if not check:
            return ""
        raise GitFailed(f"git {' '.join(args)} failed: {res.message()}")
    return res.stdout


def try_run(repo: Repo, *args: str, auth: GitAuth | None = None) -> tuple[int, str, str]:
    """(status, stdout, stderr) without raising, for commands whose failure is information.
    `auth` is for a network command only (see agentops.git.runner)."""
    res = git(args, cwd=repo.working_tree_dir, auth=auth)
    return (res.returncode if res.returncode is not None else 1), res.stdout, (res.error or res.stderr)


def origin_url(root: Path) -> str | None:
    """`remote.origin.url` of the repository at `root`, None outside a repository."""
    if not root.is_dir():
        return None
    res = git(["config", "--get", "remote.origin.url"], cwd=root, timeout=10)
    return res.stdout or None if res.ok else None


def version() -> tuple[bool, str]:
    """(works, `git --version` or why not)."""
    res = git(["--version"], cwd=None, timeout=15)
    return res.ok, (res.stdout if res.ok else res.message())
