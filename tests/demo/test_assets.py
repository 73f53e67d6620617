"""The demo's pieces on their own: the issue-form rendering and the scripted fix."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from agentops.demo import sample
from agentops.demo.form import NO_RESPONSE, render_submission
from agentops.domain.workorder import FORM_LABELS, parse_work_order, render_agent_task_form


def test_rendered_form_parses_back_to_the_answers() -> None:
    form = render_agent_task_form([sample.AGENT_NAME])
    prefix, body, labels = render_submission(form, sample.TASK_ANSWERS)
    assert prefix == "[Agent Task]: " and labels == ["agent-task"]
    # GitHub's rendering: every submitted field as `### label`, empty ones as _No response_.
    assert body.count("### ") == len(FORM_LABELS)
    assert f"### Deadline\n\n{NO_RESPONSE}" in body
    order = parse_work_order(body, repo="o/r", number=1, known_agents=[sample.AGENT_NAME])
    assert order.problems == ()
    assert order.agent == sample.AGENT_NAME and order.priority == "high"
    assert order.capabilities == ("python",)
    assert order.steps[-2:] == ("Fix the denominator in `calc/stats.py` `mean`", "Keep the empty-sequence ValueError")
    assert len(order.acceptance) == 2


def test_form_rendering_refuses_unknown_fields_and_options() -> None:
    form = render_agent_task_form([sample.AGENT_NAME])
    with pytest.raises(ValueError, match="does not have"):
        render_submission(form, {"Colour": "blue"})
    with pytest.raises(ValueError, match="not among the options"):
        render_submission(form, {"Assigned Agent": "somebody-else"})
    _, body, _ = render_submission(form, {"Assigned Agent": "", "What should the agent do?": "- x"})
    assert "### Assigned Agent\n\nNone" in body  # an unanswered dropdown, as GitHub writes it


def _fix(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "scripted_fix.py"
    script.write_text(files("agentops.demo.assets").joinpath("scripted_fix.py").read_text())
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=600)


def test_scripted_fix_repairs_the_sample_bug_and_says_it_is_scripted(tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    (wt / "calc").mkdir(parents=True)
    (wt / sample.BUGGY_FILE).write_text(sample.FILES[sample.BUGGY_FILE])
    prompt = tmp_path / "prompt.md"
    prompt.write_text("You are a coding agent\n")
    res = _fix(tmp_path, str(wt), str(prompt))
    assert res.returncode == 0, res.stderr
    fixed = (wt / sample.BUGGY_FILE).read_text()
    assert "(len(values) + 1)" not in fixed and "return sum(values) / len(values)" in fixed
    last = json.loads(res.stdout.strip().splitlines()[-1])
    assert last["result"].startswith("scripted fix (demo backend, not an AI)")
    assert last["num_turns"] == 1 and last["total_cost_usd"] == 0.0
    # A second run changes nothing and still succeeds.
    again = _fix(tmp_path, str(wt))
    assert again.returncode == 0 and (wt / sample.BUGGY_FILE).read_text() == fixed


def test_scripted_fix_refuses_code_it_does_not_know(tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    (wt / "calc").mkdir(parents=True)
    (wt / sample.BUGGY_FILE).write_text("def mean(values):\n    return 0\n")
    res = _fix(tmp_path, str(wt))
    assert res.returncode == 1 and "refusing to guess" in res.stderr
    assert (wt / sample.BUGGY_FILE).read_text() == "def mean(values):\n    return 0\n"
