"""One pass over the queue: sync, evaluate and (optionally) mirror on GitHub."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentops.context import Context

from .mirror import reflect
from .readiness import evaluate
from .relations import close_finished_epics, mirror_dependencies
from .sync import SyncStats, sync_repo


def refresh(ctx: Context, repos: Sequence[str], *, full: bool = False, sync: bool = True,
            write: bool = False) -> tuple[dict[str, dict[str, Any]], tuple[SyncStats, ...], dict[str, list[str]]]:
    out = ctx.output
    synced = []
    if sync:
        with out.progress("syncing issues", total=len(repos)) as tick:  # a spinner on a terminal only
            for r in repos:
                tick.advance(0, description=f"syncing the issues of {r}")
                synced.append(sync_repo(ctx, r, full=full))
                tick.advance()
    with out.progress("checking tasks: trust, dependencies, readiness"):
        tasks = evaluate(ctx, repos, write=write)
    changes: dict[str, list[str]] = {}
    if write:
        for key, done in mirror_dependencies(ctx, tasks).items():
            changes.setdefault(key, []).extend(done)
        with out.progress("labels and comments on GitHub", total=len(tasks)) as tick:
            for key in sorted(tasks):
                tick.advance(description=f"labels and comments: {key}")
                done = reflect(ctx, key, tasks[key])
                if done:
                    changes.setdefault(key, []).extend(done)
        for key, done in close_finished_epics(ctx, tasks).items():
            changes.setdefault(key, []).extend(done)
    return tasks, tuple(synced), changes

