"""The typed values agentops.yaml produces: frozen dataclasses with their defaults.

Domain code and commands import these; only agentops/config.py (the YAML loader) turns a file
into them, so nothing below the CLI depends on how the configuration is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Backend = Literal["claude", "codex", "aider", "command"]


@dataclass(frozen=True)
class AgentConfig:
    name: str
    backend: Backend = "claude"
    capabilities: tuple[str, ...] = ()
    max_concurrent: int = 1
    # command backend: argv with placeholders {prompt_file} {worktree} {issue} {repo} {branch}
    command: tuple[str, ...] = ()
    executable: str | None = None  # override the backend's executable (path or name)
    model: str | None = None
    max_turns: int = 40
    timeout_s: int = 1800
    max_cost_usd: float | None = None  # per run
    permission_mode: str = "acceptEdits"
    env_allow: tuple[str, ...] = ()  # environment variables passed through to the agent
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateConfig:
    name: str
    run: tuple[str, ...]
    timeout_s: int = 900
    required: bool = True
    junit: tuple[str, ...] = ()  # JUnit XML report paths (globs) relative to the worktree
    coverage: str | None = None  # coverage.xml | lcov.info | coverage.json
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ThresholdsConfig:
    min_coverage: float | None = None  # percent
    max_coverage_drop: float | None = None  # percentage points vs base
    max_failures: int = 0


@dataclass(frozen=True)
class TestConfig:
    approve: bool = False
    request_changes: bool = False
    history: int = 20
    flaky_reruns: int = 1
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
    expect_status: int = 200
    expect_json: Mapping[str, Any] = field(default_factory=dict)  # dotted path -> expected value
    body_regex: str | None = None
    timeout_s: float = 5.0
    retries: int = 3
    retry_delay_s: float = 2.0


@dataclass(frozen=True)
class MonitorConfig:
    duration_s: float = 0.0
    interval_s: float = 15.0
    max_failures: int = 0


@dataclass(frozen=True)
class FreezeWindow:
    start: str  # ISO-8601 datetime, or cron-like "Fri 16:00"
    end: str
    reason: str = ""


@dataclass(frozen=True)
class EnvironmentConfig:
    deploy: tuple[str, ...]
    rollback: tuple[str, ...] = ()  # empty: redeploy the previous successful sha with `deploy`
    health_checks: tuple[HealthCheckConfig, ...] = ()
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    required_checks: tuple[str, ...] = ()  # status contexts / check names that must be green
    freeze: tuple[FreezeWindow, ...] = ()
    timeout_s: int = 1800
    cwd: str | None = None
    env_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class BudgetConfig:
    monthly_usd: float | None = None
    per_task_usd: float | None = None


@dataclass(frozen=True)
class ClaimsConfig:
    lease_minutes: int = 60
    settle_seconds: float = 2.0
    approval_label: str = "agentops:approved"
    max_attempts: int = 3
    backoff_minutes: int = 15


@dataclass(frozen=True)
class ScoutConfig:
    checks: tuple[str, ...] = ("ci", "dependabot", "coverage", "stale-prs", "overdue-tasks")
    stale_days: int = 14
    comment_interval_hours: int = 24
    concurrency: int = 8
    min_coverage: float | None = None
    min_rate_remaining: int = 100
    include_forks: bool = False
    include_archived: bool = False


@dataclass(frozen=True)
class CodeConfig:
    worktrees: str = ".agentops/worktrees"
    max_rounds: int = 3
    reviewers: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ("AGENTS.md", "CLAUDE.md", "CONTRIBUTING.md")
    draft: bool = False
    secrets: tuple[str, ...] = ()  # env var names whose values are redacted everywhere


@dataclass(frozen=True)
class ReportConfig:
    window_days: int = 7
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
    scout: ScoutConfig = field(default_factory=ScoutConfig)
    code: CodeConfig = field(default_factory=CodeConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    path: str | None = None  # where it was loaded from (None: defaults)

    def agent(self, name: str) -> AgentConfig | None:
        return next((a for a in self.agents if a.name == name), None)

    def repository(self, name: str) -> RepositoryConfig | None:
        return next((r for r in self.repositories if r.name.lower() == name.lower()), None)
