"""The one place the versions of the real coding-agent CLIs are pinned.

Everything that installs or checks a CLI reads this module: `.ci/run` (which installs them for the
contract tests in tests/agents_contract), the dev containers and workflows (a test keeps their
install lines equal to these pins), and `doctor` (which warns when the installed version is outside
the tested range). Raise a pin only together with a green contract-test run against the new version.

`python -m agentops.agents.pins npm|pip|version BACKEND|path` prints what shell scripts need.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Pin:
    backend: str
    package: str
    manager: Literal["npm", "pip"]
    version: str
    executable: str
    # Lowest and highest versions the contract tests passed against; both the pin unless a
    # contract-test run against another version widened it.
    tested_min: str
    tested_max: str

    @property
    def spec(self) -> str:
        """What the package manager is given: `pkg@1.2.3` (npm) or `pkg==1.2.3` (pip)."""
        return f"{self.package}@{self.version}" if self.manager == "npm" else f"{self.package}=={self.version}"

    def in_tested_range(self, version: str) -> bool:
        v, lo, hi = version_tuple(version), version_tuple(self.tested_min), version_tuple(self.tested_max)
        return v is not None and lo is not None and hi is not None and lo <= v <= hi


def _pin(backend: str, package: str, manager: Literal["npm", "pip"], version: str, executable: str) -> Pin:
    return Pin(backend, package, manager, version, executable, tested_min=version, tested_max=version)


PINS: dict[str, Pin] = {p.backend: p for p in (
    _pin("claude", "@anthropic-ai/claude-code", "npm", "2.1.332", "claude"),
    _pin("codex", "@openai/codex", "npm", "0.171.0", "codex"),
    _pin("gemini", "@google/gemini-cli", "npm", "0.61.0", "gemini"),
    _pin("aider", "aider-chat", "pip", "0.86.2", "aider"),
)}

_VERSION_RE = re.compile(r"(?<![\d.])(\d+)\.(\d+)\.(\d+)(?![\d.])")


def version_tuple(text: str) -> tuple[int, int, int] | None:
    """The first plain X.Y.Z in `text` (`claude --version` prints "2.1.332 (Claude Code)", codex
    "codex-cli 0.171.0", aider "aider 0.86.2"); None when there is none."""
    m = _VERSION_RE.search(text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def version_text(text: str) -> str | None:
    v = version_tuple(text)
    return ".".join(map(str, v)) if v else None


def npm_specs() -> list[str]:
    return [p.spec for p in PINS.values() if p.manager == "npm"]


def pip_specs() -> list[str]:
    return [p.spec for p in PINS.values() if p.manager == "pip"]


def main(argv: list[str]) -> int:
    usage = "usage: python -m agentops.agents.pins npm | pip | spec BACKEND | version BACKEND"
    if argv == ["npm"]:
        print(" ".join(npm_specs()))
    elif argv == ["pip"]:
        print(" ".join(pip_specs()))
    elif len(argv) == 2 and argv[0] in ("spec", "version") and argv[1] in PINS:
        pin = PINS[argv[1]]
        print(pin.spec if argv[0] == "spec" else pin.version)
    else:
        print(usage, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
