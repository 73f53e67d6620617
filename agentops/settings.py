"""The typed values agentops.yaml produces: frozen dataclasses with their defaults.

Domain code and commands import these; only agentops/config.py (the YAML loader) turns a file
into them, so nothing below the CLI depends on how the configuration is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

Backend = Literal["claude", "codex", "aider", "gemini", "command"]
_T = TypeVar("_T")

# Field metadata the loader checks (it knows each field's line). NAME: a name that ends up in markers,
# branch names and log lines, so one non-empty printable line. ARGV: a command run without a shell,
# so a non-empty program name; OPTIONAL_ARGV: the same, but may be left empty.
NAME: Mapping[str, Any] = {"name": True}
ARGV: Mapping[str, Any] = {"argv": "required"}
OPTIONAL_ARGV: Mapping[str, Any] = {"argv": "optional"}


def bounded(default: _T, *, ge: float | None = None, gt: float | None = None, le: float | None = None) -> _T:
    """A numeric field with its allowed range, checked by the loader (which knows the line)."""
    result: _T = field(default=default, metadata={"ge": ge, "gt": gt, "le": le})
    return result


@dataclass(frozen=True)
class AgentConfig:
    name: str = field(metadata=NAME)
    backend: Backend = "claude"
    capabilities: tuple[str, ...] = ()
    max_concurrent: int = bounded(1, ge=1)
    # command backend: argv with placeholders {prompt_file} {worktree} {issue} {repo} {branch}
    command: tuple[str, ...] = field(default=(), metadata=OPTIONAL_ARGV)
    executable: str | None = None  # override the backend's executable (path or name)
    model: str | None = None
    max_turns: int = bounded(40, ge=1)
    timeout_s: int = bounded(1800, ge=1)
    max_cost_usd: float | None = bounded(None, ge=0)  # per run
    permission_mode: str = "acceptEdits"
    env_allow: tuple[str, ...] = ()  # environment variables passed through to the agent
    extra_args: tuple[str, ...] = ()
    # claude: tools allowed without asking (print mode denies everything else). None: the repository's
    # gate commands and git read commands as Bash(...) rules; gemini gets the same as policy rules.
    allowed_tools: tuple[str, ...] | None = None
    sandbox_mode: Literal["read-only", "workspace-write", "danger-full-access"] = "workspace-write"  # codex
    approval_mode: Literal["default", "auto_edit", "yolo", "plan"] = "auto_edit"  # gemini


@dataclass(frozen=True)
class PriceConfig:
    """USD per million tokens, for backends that report tokens instead of dollars (codex, gemini)."""

    input: float
    output: float
    cached_input: float | None = None  # None: billed as input


@dataclass(frozen=True)
class GateConfig:
    name: str = field(metadata=NAME)
    run: tuple[str, ...] = field(metadata=ARGV)
    timeout_s: int = bounded(900, ge=1)
    required: bool = True
    junit: tuple[str, ...] = ()  # JUnit XML report paths (globs) relative to the worktree
    coverage: str | None = None  # coverage.xml | lcov.info | coverage.json
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ThresholdsConfig:
    min_coverage: float | None = bounded(None, ge=0, le=100)  # percent
    max_coverage_drop: float | None = bounded(None, ge=0, le=100)  # percentage points vs base
    max_failures: int = bounded(0, ge=0)


@dataclass(frozen=True)
class TestConfig:
    approve: bool = False
    request_changes: bool = False
    history: int = bounded(20, ge=1)
    flaky_reruns: int = bounded(1, ge=0)
    status_context: str = "agentops/test"


@dataclass(frozen=True)
class RepositoryConfig:
    name: str  # owner/name
    default_branch: str | None = None
    gates: tuple[GateConfig, ...] = ()
    thresholds: ThresholdsConfig | None = None
    path: str | None = None  # local checkout, for scout --local and test


@dataclass(frozen=True)
class HealthCheckConfig:
    url: str
    method: str = "GET"
    expect_status: int = bounded(200, ge=100, le=599)
    expect_json: Mapping[str, Any] = field(default_factory=dict)  # dotted path -> expected value
    body_regex: str | None = None
    timeout_s: float = bounded(5.0, gt=0)
    retries: int = bounded(3, ge=0)
    retry_delay_s: float = bounded(2.0, ge=0)


@dataclass(frozen=True)
class MonitorConfig:
    duration_s: float = bounded(0.0, ge=0)
    interval_s: float = bounded(15.0, gt=0)
    max_failures: int = bounded(0, ge=0)


@dataclass(frozen=True)
class FreezeWindow:
    start: str  # ISO-8601 datetime, or cron-like "Fri 16:00"
    end: str
    reason: str = ""


@dataclass(frozen=True)
class EnvironmentConfig:
    deploy: tuple[str, ...] = field(metadata=ARGV)
    rollback: tuple[str, ...] = field(default=(), metadata=OPTIONAL_ARGV)  # empty: redeploy the previous successful sha with `deploy`
    health_checks: tuple[HealthCheckConfig, ...] = ()
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    # Status contexts / check names that must be green. Unset: every reported one must be green and at least
    # one must exist (a sha no CI ever saw is refused); an explicit [] deploys without CI, with a warning.
    required_checks: tuple[str, ...] | None = None
    freeze: tuple[FreezeWindow, ...] = ()
    timeout_s: int = bounded(1800, ge=1)
    cwd: str | None = None
    env_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class BudgetConfig:
    monthly_usd: float | None = bounded(None, ge=0)
    per_task_usd: float | None = bounded(None, ge=0)


@dataclass(frozen=True)
class ClaimsConfig:
    lease_minutes: int = bounded(60, ge=1)
    settle_seconds: float = bounded(2.0, ge=0)
    approval_label: str = "agentops:approved"
    max_attempts: int = bounded(3, ge=1)
    backoff_minutes: int = bounded(15, ge=0)
    # Other logins that are agentops too, when workers run under different identities (the App's
    # `<slug>[bot]` in Actions, a developer's token in a Codespace): markers those logins wrote count
    # as agentops's own, so their claims are seen (no double claim across identities).
    identities: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatchConfig:
    """How ready tasks fan out to workflow runs (one `workflow_dispatch` run per task)."""
    max_parallel: int = bounded(4, ge=1)  # tasks claimed or dispatched at once, per repository
    workflow: str = "agentops-code.yml"  # file name under .github/workflows
    ref: str | None = None  # branch the runs start on (default: the repository's default branch)


@dataclass(frozen=True)
class ScoutConfig:
    checks: tuple[str, ...] = ("ci", "dependabot", "coverage", "stale-prs", "overdue-tasks")
    stale_days: int = bounded(14, ge=1)
    comment_interval_hours: int = bounded(24, ge=0)
    concurrency: int = bounded(8, ge=1)
    min_coverage: float | None = bounded(None, ge=0, le=100)
    min_rate_remaining: int = bounded(100, ge=0)
    include_forks: bool = False
    include_archived: bool = False


@dataclass(frozen=True)
class CodeConfig:
    worktrees: str = ".agentops/worktrees"
    max_rounds: int = bounded(3, ge=0)
    reviewers: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ("AGENTS.md", "CLAUDE.md", "CONTRIBUTING.md")
    draft: bool = False
    secrets: tuple[str, ...] = ()  # env var names whose values are redacted everywhere


@dataclass(frozen=True)
class PipelineConfig:
    """Which agent holds each stage of a task's pipeline. Unset stages keep the single-agent
    behaviour: the authoring agent fixes CI and conflicts itself, and no agent reviews."""
    author: str | None = None  # None: routed (Assigned Agent, else capability/load/success)
    review: str | None = None  # None: no review agent; people review
    ci_fix: str | None = None  # None: the author
    conflicts: str | None = None  # None: the author

    def agent_for(self, stage: str, author: str) -> str | None:
        """The agent for `stage` (author | review | ci_fix | conflicts) of a task `author` wrote."""
        if stage == "review":
            return self.review
        chosen: str | None = getattr(self, stage, None) if stage in ("author", "ci_fix", "conflicts") else None
        return chosen or author


@dataclass(frozen=True)
class ReportConfig:
    window_days: int = bounded(7, ge=1)
    environment: str | None = None


@dataclass(frozen=True)
class Config:
    version: int = 1
    agents: tuple[AgentConfig, ...] = ()
    repositories: tuple[RepositoryConfig, ...] = ()
    gates: tuple[GateConfig, ...] = ()
    thresholds: ThresholdsConfig = field(default_factory=ThresholdsConfig)
    test: TestConfig = field(default_factory=TestConfig)
    environments: Mapping[str, EnvironmentConfig] = field(default_factory=dict)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    claims: ClaimsConfig = field(default_factory=ClaimsConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    scout: ScoutConfig = field(default_factory=ScoutConfig)
    code: CodeConfig = field(default_factory=CodeConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    prices: Mapping[str, PriceConfig] = field(default_factory=dict)  # model name -> price; adds to the defaults
    path: str | None = None  # where it was loaded from (None: defaults)

    def agent(self, name: str) -> AgentConfig | None:
        return next((a for a in self.agents if a.name == name), None)

    def repository(self, name: str) -> RepositoryConfig | None:
        return next((r for r in self.repositories if r.name.lower() == name.lower()), None)
