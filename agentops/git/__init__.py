"""All git work. This package is the only importer of GitPython (imported lazily).

Submodules own one job each: sync.py (state commit/push with bounded retry, merge driver
registration), worktree.py (per-task worktrees and branches). Shared helpers live here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentops.errors import AgentOpsError, BadInput


class GitFailed(AgentOpsError):
    """A git command failed in a way the caller did not expect (exit 1)."""


def open_repo(path: str | Path) -> Any:
    """A GitPython Repo for the work tree containing `path`."""
    import git  # GitPython

    try:
        return git.Repo(str(path), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise BadInput(f"{path}: not inside a git repository") from exc


def run(repo: Any, *args: str, check: bool = True) -> str:
    """`git <args>` in `repo`'s work tree; stdout stripped. GitCommandError -> GitFailed."""
    import git

    try:
        out: str = repo.git.execute(["git", *args], with_extended_output=False)
        return out.strip()
    except git.GitCommandError as exc:
        if not check:
            return ""
        stderr = (exc.stderr or "").strip()
        raise GitFailed(f"git {' '.join(args)} failed: {stderr or exc}") from exc


def try_run(repo: Any, *args: str) -> tuple[int, str, str]:
    """(status, stdout, stderr) without raising, for commands whose failure is information."""
    import git

    try:
        status, out, err = repo.git.execute(["git", *args], with_extended_output=True, with_exceptions=False)
        return int(status), str(out).strip(), str(err).strip()
    except git.GitCommandError as exc:
        status = exc.status if isinstance(exc.status, int) else 1
        return status, "", str(exc.stderr or exc)
