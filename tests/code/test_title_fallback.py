"""An issue title with nothing visible once cleaned (only U+200B, only an HTML comment) used to crash `code`
after the agent ran, on every retry. The PR title and commit subject fall back to `Issue #N`."""

from __future__ import annotations

import pytest

from agentops.commands.code import _title_line


@pytest.mark.parametrize("title", ["\u200b", "<!-- -->", "", "   ", "\u200b\u200d\ufeff", "<!-- a -->\n<!-- b -->"])
def test_invisible_title_falls_back_to_issue_number(title: str) -> None:
    assert _title_line(title, "Issue #12") == "Issue #12"


def test_visible_title_keeps_its_first_line() -> None:
    assert _title_line("  Fix mean()  \nsecond line", "Issue #12") == "Fix mean()"
