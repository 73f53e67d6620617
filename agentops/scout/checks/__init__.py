"""The scout's checks, by name. Each module has NAME, NEEDS (the GitHub endpoints it reads)
and `evaluate(inputs, cctx) -> Outcome`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from agentops.scout.checks import ci, coverage, dependabot, local_audit, overdue_tasks, stale_prs
from agentops.scout.checks.base import CheckContext, Outcome
from agentops.scout.snapshot import RepoInputs

MODULES: tuple[ModuleType, ...] = (ci, dependabot, coverage, stale_prs, overdue_tasks, local_audit)
BY_NAME: dict[str, ModuleType] = {m.NAME: m for m in MODULES}
NAMES: tuple[str, ...] = tuple(BY_NAME)

Evaluate = Callable[[RepoInputs, CheckContext], Outcome]


def needs(names: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for n in names:
        out.update(BY_NAME[n].NEEDS)
    return out


__all__ = ["BY_NAME", "NAMES", "CheckContext", "Outcome", "needs"]
