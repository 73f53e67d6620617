"""What an agent may run of the repository's gates, in each CLI's terms.

The gates (configured, or detected from the repository's files) are the checks `agentops test`
runs on the pull request; an agent that can run them before it finishes sends out verified work.
claude gets them as `Bash(...)` allow rules, gemini as policy rules, aider as --test-cmd/--lint-cmd.
Git read commands are allowed too, so the agent can see what it changed. Nothing here runs a
command: these are strings handed to the CLIs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from agentops.domain.gates import REPORTS, substitute
from agentops.settings import GateConfig

GIT_READ = ("git status", "git diff", "git log", "git show", "git ls-files", "git grep", "git blame",
            "git rev-parse")
_LINT_RE = re.compile(r"\b(lint|linter|ruff|flake8|pylint|eslint|mypy|pyright|clippy|golangci-lint|rubocop|"
                      r"shellcheck|black|prettier|biome|tsc)\b")


def is_lint(gate: GateConfig) -> bool:
    """A linter or type checker: aider runs these after each edit (--lint-cmd), not as the tests."""
    return _LINT_RE.search(" ".join((gate.name, *gate.run)).lower()) is not None


def command_line(gate: GateConfig, reports_dir: str) -> str:
    """The gate as one shell-quoted line (aider runs its --test-cmd through a shell)."""
    return shlex.join(substitute(a, reports_dir) for a in gate.run)


def command_prefix(argv: Sequence[str]) -> tuple[str, ...]:
    """The words that name the command: up to the first option or placeholder, keeping the
    `-m module` of `python -m pytest` (a rule for bare `python` would allow any script)."""
    words: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-m" and i + 1 < len(argv) and words:
            words += [arg, argv[i + 1]]
            i += 2
            continue
        if arg.startswith("-") or REPORTS in arg or "{" in arg:
            break
        words.append(arg)
        i += 1
    return tuple(words) or tuple(argv[:1])


def allowed_commands(gates: Sequence[GateConfig]) -> tuple[str, ...]:
    """Command prefixes the agent may run without asking: each gate's, then git's read commands."""
    found = [shlex.join(command_prefix(g.run)) for g in gates if g.run]
    return tuple(dict.fromkeys([*found, *GIT_READ]))


def bash_rules(commands: Sequence[str]) -> tuple[str, ...]:
    """claude rules: the command alone and with any arguments."""
    rules: list[str] = []
    for c in commands:
        rules += [f"Bash({c})", f"Bash({c} *)"]
    return tuple(rules)


def split_gates(gates: Sequence[GateConfig], reports_dir: str) -> tuple[str | None, tuple[str, ...]]:
    """(test command, lint commands) for aider: every non-lint gate chained with && (aider runs
    one --test-cmd and fixes until it passes), each lint gate as its own --lint-cmd."""
    tests = [command_line(g, reports_dir) for g in gates if g.run and not is_lint(g)]
    lints = tuple(command_line(g, reports_dir) for g in gates if g.run and is_lint(g))
    return (" && ".join(tests) if tests else None), lints


def commands_from_rules(rules: Sequence[str]) -> tuple[str, ...]:
    """The shell commands named by claude-style `Bash(cmd)` / `Bash(cmd *)` rules (for CLIs whose
    allow lists take command prefixes)."""
    found: list[str] = []
    for rule in rules:
        m = re.fullmatch(r"Bash\((.+?)(?:\s\*|:\*)?\)", rule.strip())
        if m and m[1].strip() not in ("", "*"):
            found.append(m[1].strip())
    return tuple(dict.fromkeys(found))
