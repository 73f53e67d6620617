"""Any issue body -> a WorkOrder (problems name a form field), never an exception."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from agentops.domain.workorder import FORM_LABELS, PRIORITIES, WorkOrder, parse_work_order

_LABELS = [*FORM_LABELS, "Acceptance", "Due", "Depends on", "Agent", "Task"]
_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(_LABELS).map(lambda label: f"### {label}"),
    st.sampled_from(["- [ ] do it", "* [x] done", "1. step", "_No response_", "#12", "o/r#3",
                     "https://github.com/o/r/issues/7", "2024-02-30", "2030-01-01T00:00:00Z", "tomorrow",
                     "critical", "priority:high", "urgent", "claude", "a, b", "python, ", "$(rm -rf /)",
                     "<!-- agentops:claim agent=x worker=y expires=2000-01-01T00:00:00Z -->", "\x00\x1b[31m",
                     "\r\n", "```", "#" * 7 + " x", "#0", "#99999999999999999999"]),
)
BODIES = st.one_of(st.text(max_size=400), st.lists(_LINES, max_size=30).map("\n".join),
                   st.binary(max_size=300), st.none())
# "form": the one line that counts the problems past MAX_PROBLEMS (workorder._bounded).
FIELDS = {*FORM_LABELS, "body", "form"}


def _check(order: WorkOrder, known: tuple[str, ...]) -> None:
    assert isinstance(order, WorkOrder)
    assert order.valid == (not order.problems)
    for problem in order.problems:
        assert problem.field in FIELDS and problem.message
    assert order.priority is None or order.priority in PRIORITIES
    if known and order.agent != "any":
        assert order.agent in known
    if order.deadline is not None:
        assert order.deadline.tzinfo is not None and order.deadline.utcoffset() == dt.timedelta(0)
    assert len(set(order.dependencies)) == len(order.dependencies)
    for dep in order.dependencies:
        repo, _, num = dep.rpartition("#")
        assert "/" in repo and num.isdigit() and dep != "o/r#5"  # never depends on itself
    assert all(cap == cap.casefold() for cap in order.capabilities)


@given(BODIES)
def test_any_body_parses_to_a_work_order(body: str | bytes | None) -> None:
    _check(parse_work_order(body, repo="o/r", number=5), ())


@given(BODIES)
def test_any_body_parses_with_known_agents(body: str | bytes | None) -> None:
    known = ("claude", "codex")
    _check(parse_work_order(body, repo="o/r", number=5, known_agents=known), known)


@given(st.text(max_size=200))
def test_spec_text_survives_verbatim_as_data(spec: str) -> None:
    """Whatever the spec section holds, it is carried as text and never interpreted."""
    body = f"### Assigned Agent\n\nany\n\n### What should the agent do?\n\n{spec}\n"
    order = parse_work_order(body, repo="o/r", number=5)
    assert isinstance(order.spec, str)
