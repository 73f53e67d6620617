"""`agentops doctor`: is this machine ready to run agentops (for a role)?

Each check is a small function returning a Check; `bootstrap` reuses them per role.
Only checks the role needs are `required`; a failed required check makes the exit code 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentops.context import Context
from agentops.domain.roles import REQUIRED_CHECKS, ROLES
from agentops.errors import AgentOpsError


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    required: bool = False
    hint: str | None = None
    facts: dict[str, object] | None = None  # measured facts for --json (the isolation check's)


@dataclass(frozen=True)
class DoctorOptions:
    role: str = "all"
    offline: bool = False


@dataclass(frozen=True)
class DoctorResult:
    role: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" and c.required for c in self.checks)


def run(options: DoctorOptions, ctx: Context) -> DoctorResult:
    from agentops.errors import BadInput

    if options.role not in ROLES:
        raise BadInput(f"--role: unknown role {options.role!r} (one of {', '.join(ROLES)})")
    required = REQUIRED_CHECKS[options.role]
    checks: list[Check] = []
    steps: list[tuple[str, Callable[[Context], Check]]] = [
        ("python", _python), ("install", _install), ("git", _git), ("config", _config), ("state", _state),
        ("agents", _agents), ("isolation", _isolation), ("token", _token),
    ]
    for name, fn in steps:
        c = _guard(name, fn, ctx)
        checks.append(_with_required(c, name in required))
    if options.offline:
        checks.append(Check("api", "skip", "--offline", required=False))
    else:
        token_ok = any(c.name == "token" and c.status == "ok" for c in checks)
        c = _guard("api", _api, ctx) if token_ok else Check("api", "skip", "no token")
        checks.append(_with_required(c, "api" in required and token_ok or c.status == "fail" and "api" in required))
    return DoctorResult(role=options.role, checks=checks)


def _with_required(c: Check, required: bool) -> Check:
    return Check(c.name, c.status, c.detail, required=required, hint=c.hint, facts=c.facts)


def _guard(name: str, fn: Callable[[Context], Check], ctx: Context) -> Check:
    try:
        return fn(ctx)
    except AgentOpsError as exc:
        return Check(name, "fail", exc.message, hint=exc.hint)


def _install(ctx: Context) -> Check:
    """Which distribution this is. The PyPI name `agentops` is an unrelated SDK with the same import
    name: installed side by side, one overwrites the other's files."""
    from importlib import metadata

    from agentops import DIST_NAME, __version__

    try:
        ours: metadata.Distribution | None = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        ours = None
    try:
        other: metadata.Distribution | None = metadata.distribution("agentops")
    except metadata.PackageNotFoundError:
        other = None
    # An `agentops` with our own summary is this project installed before its rename: harmless.
    if other is not None and (ours is None or other.metadata["Summary"] != ours.metadata["Summary"]):
        return Check("install", "warn", f"the unrelated PyPI project `agentops` {other.version} is installed "
                     "here; it shares the import name `agentops` with this tool",
                     hint=f"install this tool on its own: pipx install {DIST_NAME}")
    where = f"{DIST_NAME} {ours.version}" if ours is not None else f"agentops {__version__} (not installed as " \
        f"{DIST_NAME}: a single file or a source checkout)"
    return Check("install", "ok", where)


def _python(ctx: Context) -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check("python", "ok" if ok else "fail", f"{v.major}.{v.minor}.{v.micro} at {sys.executable}",
                 hint=None if ok else "agentops needs Python 3.11 or newer")


def _git(ctx: Context) -> Check:
    from agentops.git import version

    works, detail = version()
    if not works:
        return Check("git", "fail", detail or "git failed", hint="install git (apt-get install git / brew install git)")
    return Check("git", "ok", detail)


def _isolation(ctx: Context) -> Check:
    """Which sandbox agents and gates get (agentops.proc.isolation)."""
    from agentops import proc

    facts = proc.confinement(ctx.env)
    caps = ("every capability dropped, no_new_privs" if facts["capabilities_dropped"] and facts["no_new_privs"]
            else "CAPABILITIES NOT DROPPED (a root agent could read agentops's memory)")
    detail = f"{facts['kind']}: {facts['detail']}; {caps}"
    if not facts["probe_ran"] or not facts["capabilities_dropped"]:
        return Check("isolation", "fail", detail if facts["probe_ran"] else f"{detail}; a sandboxed probe did not start",
                     facts=facts, hint="agents and gates would not start either: see AGENTOPS_SANDBOX in the README")
    if facts["kind"] == "bwrap":
        return Check("isolation", "ok", detail, facts=facts)
    return Check("isolation", "warn", detail, facts=facts,
                 hint="install bubblewrap (apt-get install bubblewrap) so agents and gates run in their own "
                      "PID namespace with the home folder hidden")


def _config(ctx: Context) -> Check:
    cfg = ctx.config
    if cfg.path is None:
        return Check("config", "ok", "no agentops.yaml: defaults in use", hint="`agentops init` writes one")
    return Check("config", "ok", f"{cfg.path}: {len(cfg.agents)} agents, {len(cfg.repositories)} repositories, "
                 f"{len(cfg.environments)} environments")


def _state(ctx: Context) -> Check:
    root = ctx.state_dir
    if not root.exists():
        return Check("state", "ok", f"{root}: not created yet")
    files = ctx.store.check()  # StateError (naming the file) on the first unreadable one
    return Check("state", "ok", f"{root}: {len(files)} files readable")


def _agents(ctx: Context) -> Check:
    cfg = ctx.config
    if not cfg.agents:
        return Check("agents", "ok", "no coding agents configured")
    from agentops.agents import check_backends

    missing = []
    found = []
    hints = []
    warnings = []
    for row in check_backends(cfg, ctx.env, versions=True):
        if row.found:
            version = f" {row.version}" if row.version else ""
            found.append(f"{row.agent} ({row.backend}: {row.executable}{version})")
            if row.version_warning:
                warnings.append(f"{row.agent}: {row.version_warning}")
                hints.append(row.hint)
        else:
            missing.append(f"{row.agent} ({row.backend}: {row.executable} not found)")
            if row.hint:
                hints.append(row.hint)
    hint = "; ".join(dict.fromkeys(hints)) or None
    if missing:
        return Check("agents", "fail", "; ".join(missing + found + warnings), hint=hint)
    if warnings:
        # Works, probably: but the argv agentops builds was contract-tested against the pinned version only.
        return Check("agents", "warn", "; ".join(found + warnings), hint=hint)
    return Check("agents", "ok", "; ".join(found))


def _token(ctx: Context) -> Check:
    env = ctx.env
    if env.get("AGENTOPS_APP_ID") and (env.get("AGENTOPS_APP_PRIVATE_KEY") or env.get("AGENTOPS_APP_PRIVATE_KEY_FILE")):
        key_file = env.get("AGENTOPS_APP_PRIVATE_KEY_FILE")
        if key_file and not Path(key_file).is_file():
            return Check("token", "fail", f"AGENTOPS_APP_PRIVATE_KEY_FILE={key_file}: no such file")
        return Check("token", "ok", f"GitHub App {env['AGENTOPS_APP_ID']} (installation token)")
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        value = env.get(name)
        if value:
            kind = _token_kind(value)
            note = ""
            if name == "GITHUB_TOKEN" and env.get("GITHUB_ACTIONS") == "true":
                note = "; pushes with GITHUB_TOKEN do not trigger CI on agent PRs (use a PAT or App token)"
            return Check("token", "ok" if not note else "warn", f"{name}: {kind}{note}")
    return Check("token", "fail", "no GitHub token found",
                 hint="set GH_TOKEN (or GITHUB_TOKEN), or AGENTOPS_APP_ID + AGENTOPS_APP_PRIVATE_KEY")


def _token_kind(value: str) -> str:
    prefixes = {"ghp_": "classic personal access token", "github_pat_": "fine-grained personal access token",
                "ghs_": "GitHub App / Actions installation token", "gho_": "OAuth token", "ghu_": "user-to-server token"}
    for p, kind in prefixes.items():
        if value.startswith(p):
            return kind
    return "token"


def _api(ctx: Context) -> Check:
    base = ctx.env.get("GITHUB_API_URL", "https://api.github.com")
    rl = ctx.github.rate_limit()
    status = "ok" if rl.remaining > 0 else "fail"
    return Check("api", status, f"{base}: rate limit {rl.remaining}/{rl.limit} remaining",
                 hint=None if status == "ok" else "rate limit exhausted; wait for the reset")
