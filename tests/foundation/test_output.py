from __future__ import annotations

import io
import json
from pathlib import Path

from agentops.output import Output


def _out(json_mode: bool = False, env: dict[str, str] | None = None) -> tuple[Output, io.StringIO, io.StringIO]:
    o, e = io.StringIO(), io.StringIO()
    return Output(json_mode=json_mode, out=o, err=e, env=env or {}), o, e


def test_json_mode_prints_one_document_on_stdout_humans_on_stderr() -> None:
    out, o, e = _out(json_mode=True)
    out.info("working")
    out.emit({"a": 1, "b": ("x",)})
    assert json.loads(o.getvalue()) == {"a": 1, "b": ["x"]}
    assert "working" in e.getvalue()


def test_actions_annotations_escape_and_mask(tmp_path: Path) -> None:
    summary, gh_out = tmp_path / "summary.md", tmp_path / "output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(gh_out)}
    out, o, e = _out(env=env)
    out.mask("hunter2-secret")
    out.annotation("error", "bad 100%\nnext line hunter2-secret", file="a,b.py", line=3)
    text = o.getvalue()
    assert "::add-mask::hunter2-secret" in text
    assert "::error file=a%2Cb.py,line=3::bad 100%25%0Anext line [REDACTED]" in text
    out.summary("## Report")
    out.set_output("single", "v")
    out.set_output("multi", "a\nb")
    assert summary.read_text() == "## Report\n"
    lines = gh_out.read_text().splitlines()
    assert lines[0] == "single=v"
    assert lines[1].startswith("multi<<ghadelimiter_") and lines[2:4] == ["a", "b"] and lines[4] == lines[1][7:]


def test_outside_actions_no_workflow_commands() -> None:
    out, o, e = _out()
    out.warn("careful")
    out.mask("abcdefgh")
    assert o.getvalue() == ""
    assert "careful" in e.getvalue()
