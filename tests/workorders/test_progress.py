"""Progress on long steps: a rich bar or spinner on a terminal's stderr, nothing on a pipe (CI logs) and
nothing with -q; stdout stays the one JSON document."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

from agentops.output import Output

from .conftest import REPO, form_body


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_only() -> None:
    for stream, quiet, drawn in ((_Tty(), False, True), (io.StringIO(), False, False), (_Tty(), True, False)):
        out = Output(err=stream, env={"TERM": "xterm"}, quiet=quiet)
        with out.progress("creating labels", total=3) as tick:
            for name in ("agent-task", "incident", "needs-human"):
                tick.advance(description=f"label {name}")
        text = stream.getvalue()
        assert ("label needs-human" in text) is drawn, (quiet, text)
        if not drawn:
            assert text == ""


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run agentops with stderr on a pseudo-terminal (stdout a pipe): what a user's terminal shows."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "agentops", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=120)
    os.close(master)
    return code, stdout, b"".join(chunks).decode(errors="replace")


def test_tasks_shows_its_sync_on_a_terminal_and_not_in_a_pipe(emulator: Any, repo: str, tmp_path: Path) -> None:
    for i in range(3):
        emulator.state.create_issue(REPO, f"task {i}", form_body(), labels=("agent-task",))
    env = {**os.environ, "GITHUB_API_URL": emulator.url, "GH_TOKEN": emulator.token, "GITHUB_REPOSITORY": REPO,
           "AGENTOPS_STATE_DIR": str(tmp_path / "state"), "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    code, stdout, terminal = _on_a_terminal(["tasks", "--json", "repos"], tmp_path, env)
    assert code == 0, terminal
    assert stdout.strip() == '{\n  "repos": [\n    "octo/app"\n  ]\n}'
    assert f"syncing the issues of {REPO}" in terminal
    piped = subprocess.run([sys.executable, "-m", "agentops", "tasks"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 0 and "syncing" not in piped.stderr
