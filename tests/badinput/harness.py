"""The bad-input campaign's one way to run agentops: in-process through the real Typer app (fast enough
for a hundred inputs on a busy 2-core machine), with the checks every case shares."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from agentops.cli import app

# Exit codes the README documents: 0 ok, 1 work failed, 2 bad input, 3 outside unavailable, 4 lost race.
DOCUMENTED = {0, 1, 2, 3, 4}


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run(args: list[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> Outcome:
    """Run `agentops ARGS` in `cwd`; fail the test on a traceback or an undocumented exit code."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(app, args, env=dict(env or {}), catch_exceptions=True)
    finally:
        os.chdir(old)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"agentops {args} raised {res.exception!r}") from res.exception
    out = Outcome(res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in out.text, out.text
    assert out.code in DOCUMENTED, (out.code, out.text)
    return out


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
