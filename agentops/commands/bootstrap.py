"""`agentops bootstrap --role ROLE`: the dev container's postCreate step.

Registers the state merge driver and the merge attributes in the current repository, then
runs the doctor checks for the role and says what is missing and how to fix it. A Codespace
must come up even when a tool is missing, so only `strict` turns a failed required check
into a failure (the CLI's exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agentops.commands import doctor
from agentops.context import Context
from agentops.domain.roles import ROLES
from agentops.errors import AgentOpsError


@dataclass(frozen=True)
class BootstrapOptions:
    role: str | None = None  # None: $AGENTOPS_ROLE (every generated dev container sets it), else "all"
    strict: bool = False
    offline: bool = False


@dataclass(frozen=True)
class BootstrapResult:
    role: str
    repo_root: str | None  # None: not inside a git repository
    merge_driver: str | None  # the registered driver command
    gitattributes_changed: bool
    checks: tuple[doctor.Check, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> tuple[doctor.Check, ...]:
        return tuple(c for c in self.checks if c.status in ("fail", "warn"))

    @property
    def ok(self) -> bool:
        """No required check failed (optional ones may have)."""
        return not any(c.status == "fail" and c.required for c in self.checks)


def resolve_role(option: str | None, env: Mapping[str, str]) -> str:
    """--role, else AGENTOPS_ROLE, else "all"; an unknown role is bad input naming where it came from."""
    from agentops.errors import BadInput

    source, role = ("--role", option) if option is not None else ("AGENTOPS_ROLE", env.get("AGENTOPS_ROLE", ""))
    if option is None and not role.strip():
        return "all"
    if role not in ROLES:
        raise BadInput(f"{source}: unknown role {role!r} (one of {', '.join(ROLES)})")
    return role


def run(options: BootstrapOptions, ctx: Context) -> BootstrapResult:
    # Validates the role before anything is written.
    role = resolve_role(options.role, ctx.env)
    notes: list[str] = []
    root = ctx.root
    driver: str | None = None
    changed = False
    if (root / ".git").exists():
        from agentops.git.sync import install_merge_driver, state_rel

        try:
            rel = state_rel(root, ctx.state_dir)
            info = install_merge_driver(root, rel)
            driver = str(info["driver"])
            changed = bool(info["gitattributes_changed"])
        except AgentOpsError as exc:
            notes.append(f"merge driver not registered: {exc.message}")
    else:
        notes.append(f"{root} is not a git repository: the state merge driver was not registered")
    report = doctor.run(doctor.DoctorOptions(role=role, offline=options.offline), ctx)
    return BootstrapResult(role=role, repo_root=str(root) if driver else None, merge_driver=driver,
                           gitattributes_changed=changed, checks=tuple(report.checks), notes=tuple(notes))
