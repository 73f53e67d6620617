"""`--json FIELD,FIELD`: which top-level fields each command's JSON document has, so an unknown
field is refused (exit 2, listing the available ones) BEFORE the command writes anything.

A command's document is its result dataclass (plus a few computed keys) or a literal dict; the
table names either. A command missing here is still checked, against its document when it is
printed (tests/foundation/test_cli_conventions.py keeps the table equal to the documents).
"""

from __future__ import annotations

import dataclasses
import importlib

# command path (after "agentops") -> ("module:Class" or None, extra keys the renderer adds)
FIELDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "status": ("agentops.commands.status:StatusResult", ()),
    "tasks": ("agentops.commands.tasks:TasksResult", ()),
    "plan": ("agentops.commands.plan:PlanResult", ()),
    "play": ("agentops.commands.play:PlayResult", ()),
    "claim": ("agentops.commands.claim:ClaimResult", ()),
    "release": ("agentops.commands.release:ReleaseResult", ()),
    "work": ("agentops.commands.work:WorkResult", ()),
    "test": ("agentops.commands.test:TestResult", ()),
    "report": ("agentops.commands.report:ReportResult", ()),
    "code": ("agentops.commands.code:CodeResult", ("ok",)),
    "deploy": ("agentops.commands.deploy:DeployResult", ("exit_code",)),
    "rollback": ("agentops.commands.deploy:DeployResult", ("exit_code",)),
    "demo": ("agentops.commands.demo:DemoResult", ("exit_code",)),
    "tick": (None, ("repos", "expired", "escalated", "requeued", "needs_human", "changes", "changed")),
    "doctor": (None, ("role", "ok", "checks")),
    "bootstrap": (None, ("role", "ok", "repo", "merge_driver", "gitattributes_changed", "notes", "checks")),
    "version": (None, ("version",)),
    "init": (None, ("root", "dry_run", "changed", "files", "conflicts", "merge_driver", "labels", "next_steps",
                     "next_steps_note")),
    "scout": (None, ("cycle", "checks", "stopped", "rate_remaining", "fail_on", "failing", "exit_code",
                     "findings", "repos", "issues")),
}


def known_fields(command_path: str) -> tuple[str, ...] | None:
    """The sorted top-level fields of `command_path`'s document, or None when not in the table."""
    entry = FIELDS.get(command_path)
    if entry is None:
        return None
    spec, extra = entry
    names = list(extra)
    if spec:
        module, _, cls = spec.partition(":")
        result_type = getattr(importlib.import_module(module), cls)
        names += [f.name for f in dataclasses.fields(result_type)]
    return tuple(sorted(set(names)))
