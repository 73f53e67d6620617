"""Where agent runs happen on this machine: the clone worktrees hang off, the worktrees folder,
the private publish mirror (every credentialed git command), and the transcripts folder.
Shared by every command that runs an agent on a repository (code, review).
"""

from __future__ import annotations

from pathlib import Path

from agentops.context import Context, repo_from_remote_url
from agentops.git import worktree as wt
from agentops.git.mirror import Mirror
from agentops.github.models import RepoInfo


def worktrees_root(ctx: Context) -> Path:
    root = (ctx.root / ctx.config.code.worktrees).resolve()
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        # Worktrees live inside the checkout; keep them out of its `git status`.
        ignore.write_text("*\n", encoding="utf-8")
    return root


def transcripts(ctx: Context, repo: str) -> Path:
    path = ctx.state_dir / "agents" / repo / "transcripts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def mirror(ctx: Context, repo: str) -> Mirror:
    """The private repository every credentialed git command runs in (see agentops.git.mirror)."""
    return Mirror(worktrees_root(ctx) / ".mirrors" / f"{repo}.git").ensure()


def local_repo(ctx: Context, repo: str, info: RepoInfo, token: str | None) -> Path:
    """The clone the worktrees hang off: the configured path, this checkout when its origin is the
    target repository, else a clone kept under the worktrees folder."""
    configured = ctx.config.repository(repo)
    if configured is not None and configured.path:
        return (ctx.root / configured.path).resolve()
    origin = wt.origin_url(ctx.root)
    if origin and (origin == info.clone_url or (repo_from_remote_url(origin) or "").lower() == repo.lower()):
        return ctx.root
    cache = worktrees_root(ctx) / ".clones" / repo
    if not (cache / ".git").exists():
        wt.clone(info.clone_url, cache, token=token)
    return cache
