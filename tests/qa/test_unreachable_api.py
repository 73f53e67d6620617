"""An unreachable GITHUB_API_URL (nothing listening, or a name that does not resolve) ends in
exit 3 quickly, with a short message naming the address and GITHUB_API_URL, not a 16 s
backoff ending in urllib3's repr."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agentops.errors import ExitCode, Unavailable


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_gives_up_after_one_retry() -> None:
    from agentops.github.adapter import connect

    sleeps: list[float] = []
    port = _closed_port()
    gh = connect({"GITHUB_API_URL": f"http://127.0.0.1:{port}", "GH_TOKEN": "ghp_" + "a" * 36},
                 sleep=sleeps.append, mutation_interval=0)
    with pytest.raises(Unavailable) as info:
        gh.rate_limit()
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    assert len(sleeps) == 1  # two attempts, one wait between them
    assert f"http://127.0.0.1:{port}: connection refused" in info.value.message
    assert "HTTPConnectionPool" not in info.value.message and "Max retries" not in info.value.message
    assert info.value.hint is not None and "GITHUB_API_URL" in info.value.hint


def test_dropped_connection_keeps_the_full_retry_budget() -> None:
    import requests

    from agentops.github.client import failure_from_exception

    dropped = requests.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))")
    failure = failure_from_exception(dropped)
    assert failure is not None and failure.is_transport and not failure.unreachable


# Runs the CLI (`python -m agentops`) with time.sleep recording what it is asked to wait: the
# backoff is measured as the CLI plans it, not as a wall clock a busy machine stretches.
SLEEP_RECORDER = """
import atexit, json, runpy, sys, time
slept, real = [], time.sleep
def sleep(s):
    slept.append(s)
    real(s)
time.sleep = sleep
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(slept)))
sys.argv = ["agentops", *sys.argv[2:]]
runpy.run_module("agentops", run_name="__main__")
"""


def test_cli_exits_3_fast_without_traceback(tmp_path: Path) -> None:
    port = _closed_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_API_URL": f"http://user:pw-canary@127.0.0.1:{port}",
           "GH_TOKEN": "ghp_" + "b" * 36, "GITHUB_REPOSITORY": "acme/app"}
    slept = tmp_path / "slept.json"
    proc = subprocess.run([sys.executable, "-c", SLEEP_RECORDER, str(slept), "tasks", "--json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "connection refused" in proc.stderr and "GITHUB_API_URL" in proc.stderr
    assert "pw-canary" not in proc.stderr + proc.stdout and "b" * 36 not in proc.stderr + proc.stdout
    assert json.loads(proc.stdout)["error"]["exit_code"] == 3
    waits = json.loads(slept.read_text())
    assert len(waits) == 1 and sum(waits) <= 2, waits  # one retry; was 1+2+4+8 s of backoff before giving up
