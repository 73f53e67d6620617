"""Markdown output: GitHub tables with consistent columns and escaped pipes, Mermaid blocks that
follow the chart grammar we emit (checked by a small validator), sparklines."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from agentops.domain.agent_metrics import compute_agent_report
from agentops.domain.dora import compute_dora, dora_trend, fold_incidents, parse_deployment
from agentops.domain.report_render import (
    EnvironmentReport,
    FullReport,
    md_table,
    mermaid_pie,
    mermaid_xychart,
    render_markdown,
    sparkline,
    terminal_trends,
)
from tests.report import test_agent_metrics as am
from tests.report import test_dora as td

_NUM = r"-?\d+(?:\.\d+)?"
_STR = r'"[^"\n]*"'


def _split_list(inner: str, item: str) -> list[str]:
    inner = inner.strip()
    if not inner:
        return []
    parts = [p.strip() for p in inner.split(",")] if item == _NUM else re.findall(rf"{_STR}|[^,]+", inner)
    parts = [p.strip() for p in parts if p.strip()]
    for p in parts:
        assert re.fullmatch(item, p), f"bad list item {p!r}"
    return parts


def validate_mermaid(block: str) -> str:
    """Checks a ```mermaid block against the grammar of `xychart-beta` and `pie` we emit."""
    lines = block.splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```", block
    body = [ln.strip() for ln in lines[1:-1] if ln.strip()]
    head = body[0]
    if head == "xychart-beta":
        labels: list[str] | None = None
        series: list[list[str]] = []
        y_seen = False
        for ln in body[1:]:
            if re.fullmatch(rf"title {_STR}", ln):
                continue
            if m := re.fullmatch(r"x-axis \[(.*)\]", ln):
                assert labels is None, "two x-axis lines"
                labels = _split_list(m.group(1), _STR)
            elif m := re.fullmatch(rf"y-axis {_STR}(?: ({_NUM}) --> ({_NUM}))?", ln):
                y_seen = True
                if m.group(1) is not None:
                    assert float(m.group(1)) < float(m.group(2))
            elif m := re.fullmatch(r"(bar|line) \[(.*)\]", ln):
                series.append(_split_list(m.group(2), _NUM))
            else:
                raise AssertionError(f"not xychart grammar: {ln!r}")
        assert labels, "xychart needs a non-empty x-axis"
        assert y_seen and series
        for s in series:
            assert len(s) == len(labels), f"{len(s)} values for {len(labels)} labels"
        return "xychart"
    if head.startswith("pie"):
        assert re.fullmatch(r"pie(?: title [^\n\"]+)?", head), head
        assert len(body) > 1
        for ln in body[1:]:
            m = re.fullmatch(rf"{_STR} : ({_NUM})", ln)
            assert m and float(m.group(1)) > 0, f"bad pie slice {ln!r}"
        return "pie"
    raise AssertionError(f"unknown chart type {head!r}")


def _cells(row: str) -> list[str]:
    """Split a GFM row on pipes not escaped by an odd number of backslashes."""
    assert row.startswith("|") and row.endswith("|"), row
    cells, cur, i = [], "", 1
    while i < len(row) - 1:
        ch = row[i]
        if ch == "\\":
            cur += row[i:i + 2]
            i += 2
            continue
        if ch == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    cells.append(cur)
    return [c.strip() for c in cells]


def validate_tables(markdown: str) -> int:
    """Every table: header, delimiter row, body rows with the same number of cells."""
    tables = 0
    block: list[str] = []
    for ln in [*markdown.splitlines(), ""]:
        if ln.startswith("|"):
            block.append(ln)
            continue
        if block:
            width = len(_cells(block[0]))
            assert len(block) >= 2 and re.fullmatch(r"\|(?:-{3,}\|)+", block[1]), block[:2]
            assert block[1].count("|") - 1 == width
            for r in block[2:]:
                assert len(_cells(r)) == width, f"row {r!r} has {len(_cells(r))} cells, header {width}"
            tables += 1
            block = []
    return tables


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n.*?\n```", markdown, flags=re.S)


def full_report(env: str = "production") -> FullReport:
    deploys = [d for e in td.DEPLOYS if (d := parse_deployment(e)) is not None]
    if env != "production":
        deploys = [d.__class__(**{**{s: getattr(d, s) for s in d.__slots__}, "environment": env}) for d in deploys]
    incidents = fold_incidents(td.INCIDENTS)
    window = am.W
    agents = am.report()
    return FullReport(
        generated_at=td.NOW, window_start=window.start, window_end=window.end, window_days=7, repos=("o/r",),
        environments=(EnvironmentReport(compute_dora(deploys, incidents, window, env),
                                        dora_trend(deploys, incidents, window.end, 2, env)),),
        agents=agents, pr_source="github")


def test_markdown_tables_and_charts_are_valid() -> None:
    md = render_markdown(full_report())
    assert validate_tables(md) == 4  # DORA, summary, per agent, pipeline
    blocks = mermaid_blocks(md)
    kinds = [validate_mermaid(b) for b in blocks]
    # deploys/week, lead time/week, tasks+PRs/week, coverage/week, spend/week, spend pie
    assert kinds == ["xychart"] * 5 + ["pie"]
    assert md.count("```") == 2 * len(blocks)  # no stray fences
    # hand-computed figures appear (see test_dora / test_agent_metrics)
    assert "| Deployment frequency | 0.86/day (6.0/week, 6 deploys) | high |" in md
    assert "4.0 h / p90 4.2 d (6 commits) | elite" in md
    assert "33.3% (2/6) | low" in md
    assert "1.2 h (2 incidents) | high" in md or "1.3 h (2 incidents) | high" in md
    assert "Open incidents (not counted as restored): o/r#12" in md
    assert "| Cost per merged PR | $1.75 |" in md
    assert 'bar [2, 6]' in md  # deploys per week


def test_pipes_and_newlines_are_escaped() -> None:
    md = render_markdown(full_report(env='prod|eu\n"x"'))
    assert validate_tables(md) == 4
    assert "### DORA · prod\\|eu" in md
    for b in mermaid_blocks(md):
        validate_mermaid(b)
    assert md_table(("a", "b"), [["x|y", "1\\|2"]]).splitlines()[2] == "| x\\|y | 1\\\\\\|2 |"
    assert len(_cells(md_table(("a", "b"), [["x|y", "1\\|2"]]).splitlines()[2])) == 2
    with pytest.raises(ValueError):
        md_table(("a", "b"), [["only one"]])


def test_no_data_report_renders_no_data_not_zero() -> None:
    empty = FullReport(generated_at=td.NOW, window_start=am.W.start, window_end=am.W.end, window_days=7, repos=(),
                       environments=(), agents=compute_agent_report(am.W), pr_source="none")
    md = render_markdown(empty)
    validate_tables(md)
    for b in mermaid_blocks(md):
        validate_mermaid(b)
    assert "| Autonomous completion rate | no data |" in md
    assert "| Cost per merged PR | no data |" in md
    assert "| Agent PRs merged | no data |" in md
    assert "pie" not in md  # nothing spent: no empty pie


def test_chart_helpers_and_validator_catch_mistakes() -> None:
    ok = mermaid_xychart('A "quoted" title', ["a", "b"], [("bar", [1, 2.5]), ("line", [0, 3])], "y")
    assert validate_mermaid(ok) == "xychart"
    assert 'title "A \'quoted\' title"' in ok
    with pytest.raises(ValueError):
        mermaid_xychart("t", ["a", "b"], [("bar", [1])], "y")
    with pytest.raises(ValueError):
        mermaid_xychart("t", [], [], "y")
    bad = ok.replace("line [0, 3]", "line [0, 3, 4]")
    with pytest.raises(AssertionError):
        validate_mermaid(bad)
    with pytest.raises(AssertionError):
        validate_mermaid(re.sub(r"bar \[[^\]]*\]", "bar [1, null]", ok))
    assert mermaid_pie("t", [("a", 0.0)]) is None
    pie = mermaid_pie("Spend", [("a", 1.5), ("b", 0.0), ("c", 2)])
    assert pie is not None and validate_mermaid(pie) == "pie" and '"b"' not in pie


def test_sparkline_and_terminal_rows() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([None, 2, 2]) == " ▄▄"
    assert sparkline([None, None]) == "  "
    rows = terminal_trends(full_report())
    assert rows[0] == ("deploys/week · production", "▁█", "6")
    assert ("tasks completed/week", "▁█", "2") in rows


def test_json_shape_has_null_for_no_data() -> None:
    from agentops.output import to_jsonable

    empty = FullReport(generated_at=td.NOW, window_start=am.W.start, window_end=am.W.end, window_days=7, repos=(),
                       environments=(), agents=compute_agent_report(am.W), pr_source="none")
    data = to_jsonable(empty)
    assert data["agents"]["cost"]["cost_per_merged_pr_usd"] is None
    assert data["window_start"] == "2024-05-08T00:00:00Z"
    _ = dt  # keep the import for readers: times are aware UTC throughout
