"""Hostile state files and logs: `status` and `state check` exit 2 naming the file, never a traceback, and the
file is left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.harness import run

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000

CASES: list[tuple[str, str, bytes, str]] = [
    ("queue-deep-array", "orchestrator/task-queue.json", b'{"schema_version": 1, "records": ' + DEEP_ARRAY + b"}",
     "nested too deeply"),
    ("queue-deep-top", "orchestrator/task-queue.json", DEEP_OBJECT, "nested too deeply"),
    ("agents-deep", "orchestrator/agent-status.json", DEEP_ARRAY, "nested too deeply"),
    ("log-deep-line", "logs/deployments.jsonl", DEEP_OBJECT + b"\n", "corrupt log line"),
    ("log-deep-second-line", "logs/incidents.jsonl", b'{"id": "i1"}\n' + DEEP_OBJECT + b"\n", ":2:"),
    ("queue-not-json", "orchestrator/task-queue.json", b"{not json", "not valid JSON"),
    ("queue-a-list", "orchestrator/task-queue.json", b"[1, 2]", "expected a JSON object"),
    ("queue-empty", "orchestrator/task-queue.json", b"   ", "empty file"),
    ("log-array-line", "logs/deployments.jsonl", b"[1]\n", "corrupt log line"),
]


@pytest.mark.parametrize(("rel", "data", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", [["status"], ["state", "check"]], ids=["status", "state-check"])
def test_hostile_state_file_is_exit_2_naming_it(tmp_path: Path, rel: str, data: bytes, words: str,
                                                command: list[str]) -> None:
    state = tmp_path / "state"
    target = state / rel
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    out = run(command, cwd=tmp_path, env={"AGENTOPS_STATE_DIR": str(state)})
    assert out.code == 2, out.text
    assert str(target) in out.stderr and words in out.stderr, out.stderr
    assert target.read_bytes() == data
