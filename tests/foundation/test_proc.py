from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from agentops import proc
from agentops.errors import BadInput
from agentops.redact import Redactor


def test_runs_argv_and_captures_output(tmp_path: Path) -> None:
    res = proc.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                   cwd=tmp_path, timeout=30)
    assert res.returncode == 3 and not res.ok
    assert "out" in res.output and "err" in res.output


def test_shell_string_refused() -> None:
    with pytest.raises(BadInput):
        proc.run("echo hi")  # type: ignore[arg-type]


def test_missing_executable_is_reported_not_raised() -> None:
    res = proc.run(["definitely-not-a-real-binary-xyz"])
    assert res.returncode is None and res.error and "definitely-not" in res.error


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').write('x')\n")
    parent = tmp_path / "parent.py"
    parent.write_text(f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(child)!r}])\ntime.sleep(60)\n")
    start = time.monotonic()
    res = proc.run([sys.executable, str(parent)], timeout=1.0)
    assert res.timed_out and res.returncode is None
    assert time.monotonic() - start < 10
    time.sleep(3.5)
    assert not marker.exists(), "the child survived the timeout"


def test_huge_output_is_bounded_head_and_tail_kept() -> None:
    code = "import sys\nsys.stdout.write('HEAD\\n')\nfor _ in range(50): sys.stdout.write('x' * (1 << 20))\nsys.stdout.write('\\nTAIL\\n')"
    res = proc.run([sys.executable, "-c", code], timeout=60, max_output=64 * 1024)
    assert res.ok
    assert res.output.startswith("HEAD") and res.output.rstrip().endswith("TAIL")
    assert len(res.output) < 70 * 1024
    assert res.truncated_bytes > 49 * (1 << 20)


def test_output_is_redacted() -> None:
    res = proc.run([sys.executable, "-c", "print('key=supersecretvalue')"], redactor=Redactor(["supersecretvalue"]))
    assert "supersecretvalue" not in res.output and "[REDACTED]" in res.output


def test_scrub_env_drops_tokens_and_secret_names_unless_allowed() -> None:
    env = {"PATH": "/bin", "GH_TOKEN": "t", "GITHUB_TOKEN": "t", "DEPLOY_SECRET": "s", "ANTHROPIC_API_KEY": "k",
           "HOME": "/h"}
    assert proc.scrub_env(env) == {"PATH": "/bin", "HOME": "/h"}
    assert proc.scrub_env(env, allow=["ANTHROPIC_API_KEY"]) == {"PATH": "/bin", "HOME": "/h", "ANTHROPIC_API_KEY": "k"}
