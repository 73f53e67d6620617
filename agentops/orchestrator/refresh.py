"""One pass over the queue: sync, evaluate and (optionally) mirror on GitHub."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentops.context import Context

from .mirror import reflect
from .readiness import evaluate
from .sync import SyncStats, sync_repo


def refresh(ctx: Context, repos: Sequence[str], *, full: bool = False, sync: bool = True,
            write: bool = False) -> tuple[dict[str, dict[str, Any]], tuple[SyncStats, ...], dict[str, list[str]]]:
    stats = tuple(sync_repo(ctx, r, full=full) for r in repos) if sync else ()
    tasks = evaluate(ctx, repos, write=write)
    changes: dict[str, list[str]] = {}
    if write:
        for key in sorted(tasks):
            done = reflect(ctx, key, tasks[key])
            if done:
                changes[key] = done
    return tasks, stats, changes

