"""The sample project the demo repairs: a small Python package whose `mean` has an off-by-one
bug, tests that catch it, and the Agent Task that asks for the fix.

Tests are unittest classes so the same files run under pytest (the usual gate) and under the
stdlib fallback runner when the interpreter has no pytest.
"""

from __future__ import annotations

from collections.abc import Mapping

REPO_NAME = "calc-demo"
AGENT_NAME = "demo-fixer"
ENVIRONMENT = "demo"
BUGGY_FILE = "calc/stats.py"

FILES: Mapping[str, str] = {
    "README.md": """# calc-demo

A tiny statistics package used by `agentops demo`. `calc.stats.mean` has a bug that the
tests catch; an agent (here a scripted one) fixes it through an Agent Task issue.
""",
    "AGENTS.md": """# Conventions for agents

- Keep changes minimal and covered by the existing tests.
- Run `python -m pytest` before committing.
""",
    ".gitignore": """__pycache__/
*.pyc
.agentops/
state/
""",
    "pyproject.toml": """[project]
name = "calc-demo"
version = "0.1.0"
requires-python = ">=3.11"

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    "calc/__init__.py": '"""Small statistics helpers."""\n',
    "calc/stats.py": '''"""Descriptive statistics."""

from __future__ import annotations

from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean of `values` (which must not be empty)."""
    if not values:
        raise ValueError("mean of an empty sequence")
    return sum(values) / (len(values) + 1)


def spread(values: Sequence[float]) -> float:
    """max - min."""
    if not values:
        raise ValueError("spread of an empty sequence")
    return max(values) - min(values)
''',
    "tests/__init__.py": "",
    "tests/test_stats.py": '''import unittest

from calc.stats import mean, spread


class TestMean(unittest.TestCase):
    def test_mean_of_three(self) -> None:
        self.assertEqual(mean([1, 2, 3]), 2)

    def test_mean_of_one(self) -> None:
        self.assertEqual(mean([5]), 5)

    def test_empty_is_an_error(self) -> None:
        with self.assertRaises(ValueError):
            mean([])


class TestSpread(unittest.TestCase):
    def test_spread(self) -> None:
        self.assertEqual(spread([3, 1, 4]), 3)
''',
}

TASK_TITLE = "Fix calc.stats.mean: it divides by n+1"
TASK_ANSWERS: Mapping[str, str] = {
    "Assigned Agent": AGENT_NAME,
    "What should the agent do?": (
        "`calc.stats.mean([1, 2, 3])` returns 1.5 instead of 2.\n\n"
        "- Fix the denominator in `calc/stats.py` `mean`\n"
        "- Keep the empty-sequence ValueError"
    ),
    "Acceptance criteria": "- `python -m pytest` passes\n- `mean([1, 2, 3]) == 2`",
    "Deadline": "",
    "Dependencies": "",
    "Priority": "high",
    "Required capabilities": "python",
}
