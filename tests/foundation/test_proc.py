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


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # a zombie is dead
    except OSError:
        return True


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    parent = tmp_path / "parent.py"
    # The parent starts a child (its own grandchild for proc.run), records its pid, then hangs.
    parent.write_text("import subprocess, sys, time\n"
                      "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                      f"open({str(pidfile)!r}, 'w').write(str(c.pid))\ntime.sleep(600)\n")
    timeout = 2.0
    while True:  # a busy machine may not even start the child before the timeout: then wait longer
        res = proc.run([sys.executable, str(parent)], timeout=timeout)
        assert res.timed_out and res.returncode is None
        if pidfile.exists() and pidfile.read_text():
            break
        assert timeout < 300, "the parent never started its child"
        timeout *= 2
    child = int(pidfile.read_text())
    # The event: the child is gone (killed with its group), whatever the time it takes to be reaped.
    deadline = time.monotonic() + 120  # a guard for a failing run, far beyond any reaping delay
    while not _gone(child):
        assert time.monotonic() < deadline, "the child survived the timeout"
        time.sleep(0.05)


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
