"""agentops.yaml values that parse but cannot work: each is exit 2 naming file:line and field, before
anything is written. Each case is (id, yaml, line, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.harness import files_under, run

_AGENT = "version: 1\nagents:\n  - name: a\n"
_GATE = "version: 1\ngates:\n  - name: t\n    run: [pytest]\n"
_ENV = "version: 1\nenvironments:\n  prod:\n    deploy: [./deploy.sh]\n"
_HC = _ENV + "    health_checks:\n      - url: http://svc/health\n"

CASES: list[tuple[str, str, int, str]] = [
    ("lease-zero", "version: 1\nclaims:\n  lease_minutes: 0\n", 3, "claims.lease_minutes"),
    ("lease-negative", "version: 1\nclaims:\n  lease_minutes: -5\n", 3, "claims.lease_minutes"),
    ("max-attempts-zero", "version: 1\nclaims:\n  max_attempts: 0\n", 3, "claims.max_attempts"),
    ("settle-negative", "version: 1\nclaims:\n  settle_seconds: -1\n", 3, "claims.settle_seconds"),
    ("backoff-negative", "version: 1\nclaims:\n  backoff_minutes: -1\n", 3, "claims.backoff_minutes"),
    ("max-turns-negative", _AGENT + "    max_turns: -1\n", 4, "agents[0].max_turns"),
    ("max-turns-zero", _AGENT + "    max_turns: 0\n", 4, "agents[0].max_turns"),
    ("agent-timeout-negative", _AGENT + "    timeout_s: -30\n", 4, "agents[0].timeout_s"),
    ("agent-cost-negative", _AGENT + "    max_cost_usd: -0.5\n", 4, "agents[0].max_cost_usd"),
    ("agent-cost-nan", _AGENT + "    max_cost_usd: .nan\n", 4, "agents[0].max_cost_usd"),
    ("agent-concurrency-zero", _AGENT + "    max_concurrent: 0\n", 4, "agents[0].max_concurrent"),
    ("agent-name-newline", "version: 1\nagents:\n  - name: \"a\\nb\"\n", 3, "agents[0].name"),
    ("agent-name-empty", "version: 1\nagents:\n  - name: ''\n", 3, "agents[0].name"),
    ("agent-name-blank", "version: 1\nagents:\n  - name: '   '\n", 3, "agents[0].name"),
    ("agent-name-tab", "version: 1\nagents:\n  - name: \"a\\tb\"\n", 3, "agents[0].name"),
    ("agent-command-empty-program", _AGENT + "    backend: command\n    command: ['', '{issue}']\n", 5,
     "agents[0].command"),
    ("budget-monthly-negative", "version: 1\nbudget:\n  monthly_usd: -10\n", 3, "budget.monthly_usd"),
    ("budget-task-negative", "version: 1\nbudget:\n  per_task_usd: -1\n", 3, "budget.per_task_usd"),
    ("budget-inf", "version: 1\nbudget:\n  monthly_usd: .inf\n", 3, "budget.monthly_usd"),
    ("min-coverage-500", "version: 1\nthresholds:\n  min_coverage: 500\n", 3, "thresholds.min_coverage"),
    ("min-coverage-negative", "version: 1\nthresholds:\n  min_coverage: -1\n", 3, "thresholds.min_coverage"),
    ("coverage-drop-200", "version: 1\nthresholds:\n  max_coverage_drop: 200\n", 3, "thresholds.max_coverage_drop"),
    ("max-failures-negative", "version: 1\nthresholds:\n  max_failures: -1\n", 3, "thresholds.max_failures"),
    ("scout-min-coverage-101", "version: 1\nscout:\n  min_coverage: 101\n", 3, "scout.min_coverage"),
    ("scout-concurrency-zero", "version: 1\nscout:\n  concurrency: 0\n", 3, "scout.concurrency"),
    ("scout-stale-zero", "version: 1\nscout:\n  stale_days: 0\n", 3, "scout.stale_days"),
    ("gate-run-empty-list", "version: 1\ngates:\n  - name: t\n    run: []\n", 4, "gates[0].run"),
    ("gate-run-empty-string", "version: 1\ngates:\n  - name: t\n    run: ''\n", 4, "gates[0].run"),
    ("gate-run-blank-program", "version: 1\ngates:\n  - name: t\n    run: ['  ', '-q']\n", 4, "gates[0].run"),
    ("gate-timeout-zero", _GATE + "    timeout_s: 0\n", 5, "gates[0].timeout_s"),
    ("gate-name-newline", "version: 1\ngates:\n  - name: \"t\\n::error::x\"\n    run: [pytest]\n", 3,
     "gates[0].name"),
    ("repo-gate-empty", "version: 1\nrepositories:\n  - name: o/r\n    gates:\n      - name: t\n        run: []\n",
     6, "repositories[0].gates[0].run"),
    ("test-history-zero", "version: 1\ntest:\n  history: 0\n", 3, "test.history"),
    ("test-reruns-negative", "version: 1\ntest:\n  flaky_reruns: -1\n", 3, "test.flaky_reruns"),
    ("worktrees-absolute", "version: 1\ncode:\n  worktrees: /tmp/elsewhere\n", 3, "code.worktrees"),
    ("worktrees-parent", "version: 1\ncode:\n  worktrees: ../outside\n", 3, "code.worktrees"),
    ("worktrees-sneaky-parent", "version: 1\ncode:\n  worktrees: a/../../b\n", 3, "code.worktrees"),
    ("worktrees-empty", "version: 1\ncode:\n  worktrees: ''\n", 3, "code.worktrees"),
    ("max-rounds-negative", "version: 1\ncode:\n  max_rounds: -1\n", 3, "code.max_rounds"),
    ("report-window-zero", "version: 1\nreport:\n  window_days: 0\n", 3, "report.window_days"),
    ("env-deploy-empty", "version: 1\nenvironments:\n  prod:\n    deploy: []\n", 4, "environments.prod.deploy"),
    ("env-timeout-negative", _ENV + "    timeout_s: -1\n", 5, "environments.prod.timeout_s"),
    ("env-rollback-blank", _ENV + "    rollback: ['']\n", 5, "environments.prod.rollback"),
    ("monitor-interval-zero", _ENV + "    monitor: {interval_s: 0}\n", 5, "environments.prod.monitor.interval_s"),
    ("monitor-duration-negative", _ENV + "    monitor:\n      duration_s: -1\n", 6,
     "environments.prod.monitor.duration_s"),
    ("health-timeout-zero", _HC + "        timeout_s: 0\n", 7, "environments.prod.health_checks[0].timeout_s"),
    ("health-status-999", _HC + "        expect_status: 999\n", 7,
     "environments.prod.health_checks[0].expect_status"),
    ("health-delay-negative", _HC + "        retry_delay_s: -2\n", 7,
     "environments.prod.health_checks[0].retry_delay_s"),
    ("version-2", "version: 2\n", 1, "version"),
    ("unknown-key", "version: 1\nclaims:\n  lease_minuts: 5\n", 3, "claims.lease_minuts"),
    ("wrong-type", "version: 1\nclaims:\n  lease_minutes: soon\n", 3, "claims.lease_minutes"),
    ("bool-as-int", "version: 1\nclaims:\n  lease_minutes: true\n", 3, "claims.lease_minutes"),
    ("yaml-tag", "version: !ref 1\n", 1, "version"),
    ("duplicate-agent", "version: 1\nagents:\n  - name: a\n  - name: a\n", 4, "agents[1].name"),
    ("repo-not-owner-name", "version: 1\nrepositories: [justaname]\n", 2, "repositories[0].name"),
]


@pytest.mark.parametrize(("text", "line", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_value_is_exit_2_naming_file_line_and_field(tmp_path: Path, text: str, line: int,
                                                            field: str) -> None:
    cfg = tmp_path / "agentops.yaml"
    cfg.write_text(text, encoding="utf-8")
    state = tmp_path / "state"
    out = run(["-c", str(cfg), "status", "--json"], cwd=tmp_path, env={"AGENTOPS_STATE_DIR": str(state)})
    assert out.code == 2, out.text
    assert f"{cfg}:{line}: {field}: " in out.stderr, out.stderr
    assert files_under(state) == []


# Files that are not a usable YAML document at all: exit 2 naming the file (and the line where YAML knows it).
WHOLE_FILE: list[tuple[str, bytes, str]] = [
    ("nested-1000-lists", b"version: " + b"[" * 1000 + b"]" * 1000 + b"\n", "nested too deeply"),
    ("nested-1000-maps", b"a:\n" + b"".join(b"  " * i + b"b:\n" for i in range(1, 1000)), "nested too deeply"),
    ("nested-flow-maps", b"{a: " * 1200 + b"1" + b"}" * 1200, "nested too deeply"),
    ("unclosed-bracket", b"version: [1\n", "invalid YAML"),
    ("tab-indent", b"claims:\n\tlease_minutes: 5\n", "invalid YAML"),
    ("not-utf8", b"version: 1\nagents: [\xff\xfe]\n", "cannot read"),
    ("root-is-list", b"- 1\n- 2\n", "expected a mapping"),
    ("root-is-scalar", b"just a string\n", "expected a mapping"),
    ("duplicate-top-key", b"version: 1\nversion: 1\n", "duplicate key"),
    ("unknown-tag-mapping", b"claims: !!python/object:os.system {}\n", "unsupported YAML"),
    ("alias-bomb", b"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b]\n",
     "unknown key"),
    ("nul-byte", b"version: 1\x00\n", "invalid YAML"),
]


@pytest.mark.parametrize(("data", "words"), [c[1:] for c in WHOLE_FILE], ids=[c[0] for c in WHOLE_FILE])
def test_unusable_config_file_is_exit_2_naming_it(tmp_path: Path, data: bytes, words: str) -> None:
    cfg = tmp_path / "agentops.yaml"
    cfg.write_bytes(data)
    state = tmp_path / "state"
    out = run(["-c", str(cfg), "status", "--json"], cwd=tmp_path, env={"AGENTOPS_STATE_DIR": str(state)})
    assert out.code == 2, out.text
    assert str(cfg) in out.stderr and words in out.stderr, out.stderr
    assert files_under(state) == []


def test_missing_config_named_with_c_is_exit_2(tmp_path: Path) -> None:
    out = run(["-c", str(tmp_path / "nope.yaml"), "status"], cwd=tmp_path,
              env={"AGENTOPS_STATE_DIR": str(tmp_path / "state")})
    assert out.code == 2 and "nope.yaml: config file not found" in out.stderr
