"""Coverage reports (Cobertura XML, lcov, coverage.py JSON): totals, per-file figures and
coverage of the lines a change touched. Streams are parsed as they are read; line data is
looked at only for changed files and never kept.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Literal

from agentops.domain.junit import ReportError, refuse_doctype

CoverageFormat = Literal["cobertura", "lcov", "coverage-json"]
MAX_UNCOVERED_LISTED = 100

_HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class FileCoverage:
    path: str
    lines: int
    covered: int
    percent: float | None


@dataclass(frozen=True)
class ChangedCoverage:
    lines: int  # changed lines that are measurable (code, not comments/blank)
    covered: int
    percent: float | None
    uncovered: tuple[str, ...] = ()  # "path:line", at most MAX_UNCOVERED_LISTED


@dataclass(frozen=True)
class CoverageSummary:
    format: str
    lines: int
    covered: int
    percent: float | None
    files: tuple[FileCoverage, ...] = ()
    changed: ChangedCoverage | None = None


def percent(covered: int, total: int) -> float | None:
    return round(100.0 * covered / total, 2) if total else None


# -- changed lines ------------------------------------------------------------------------
def parse_unified_diff(text: str) -> dict[str, frozenset[int]]:
    """Added/modified line numbers per new-side path from `git diff --unified=0`."""
    out: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = line[4:].strip()
            if target.startswith('"') and target.endswith('"'):
                target = target[1:-1]
            if target == "/dev/null":
                current = None
                continue
            if target.startswith("b/"):
                target = target[2:]
            current = out.setdefault(target, set())
        elif line.startswith("@@") and current is not None:
            m = _HUNK_RE.match(line)
            if m:
                start = int(m.group(1))
                count = int(m.group(2)) if m.group(2) is not None else 1
                current.update(range(start, start + count))
    return {path: frozenset(lines) for path, lines in out.items() if lines}


class ChangedIndex:
    """Finds the changed lines of a report's file path. Report paths may be absolute or relative
    to a source folder, diff paths are repo-relative: a path-suffix match joins them."""

    def __init__(self, changed: Mapping[str, frozenset[int]]) -> None:
        self._by_base: dict[str, list[tuple[str, frozenset[int]]]] = {}
        for path, lines in changed.items():
            self._by_base.setdefault(posixpath.basename(path), []).append((path, lines))
        self._cache: dict[str, frozenset[int] | None] = {}

    def lookup(self, report_path: str) -> frozenset[int] | None:
        if report_path in self._cache:
            return self._cache[report_path]
        norm = report_path.replace("\\", "/")
        found: frozenset[int] | None = None
        for path, lines in self._by_base.get(posixpath.basename(norm), ()):
            if norm == path or norm.endswith("/" + path) or path.endswith("/" + norm):
                found = lines
                break
        self._cache[report_path] = found
        return found


class _Tally:
    def __init__(self, changed: Mapping[str, frozenset[int]] | None) -> None:
        self.files: dict[str, list[int]] = {}
        self.index = ChangedIndex(changed) if changed is not None else None
        self.ch_lines = 0
        self.ch_covered = 0
        self.uncovered: list[str] = []

    def file(self, path: str) -> tuple[list[int], frozenset[int] | None]:
        counts = self.files.get(path)
        if counts is None:
            counts = self.files[path] = [0, 0]
        return counts, self.index.lookup(path) if self.index is not None else None

    def changed_line(self, path: str, number: int, hit: bool) -> None:
        self.ch_lines += 1
        if hit:
            self.ch_covered += 1
        elif len(self.uncovered) < MAX_UNCOVERED_LISTED:
            self.uncovered.append(f"{path}:{number}")

    def summary(self, fmt: str, total: tuple[int, int] | None = None) -> CoverageSummary:
        files = tuple(FileCoverage(p, c[0], c[1], percent(c[1], c[0])) for p, c in sorted(self.files.items()))
        lines, covered = total if total is not None else (sum(f.lines for f in files), sum(f.covered for f in files))
        changed = None
        if self.index is not None:
            changed = ChangedCoverage(self.ch_lines, self.ch_covered, percent(self.ch_covered, self.ch_lines),
                                      tuple(self.uncovered))
        return CoverageSummary(fmt, lines, covered, percent(covered, lines), files, changed)


# -- Cobertura ------------------------------------------------------------------------------
def _cobertura_class(el: Any, tally: _Tally) -> None:
    path = el.get("filename") or el.get("name") or "?"
    counts, changed = tally.file(path)
    # Only the class's own <lines>: those under <methods> repeat them.
    lines_el = el.find("lines")
    if lines_el is None:
        return
    try:
        if changed is None:
            hits = [line.get("hits", "0") for line in lines_el]
            total = len(hits)
            covered = sum(1 for h in hits if h != "0" and int(h) > 0)
        else:
            total = covered = 0
            for line in lines_el:
                hit = int(line.get("hits", "0")) > 0
                number = int(line.get("number"))
                if number in changed:
                    tally.changed_line(path, number, hit)
                total += 1
                covered += hit
    except (TypeError, ValueError) as exc:
        raise ReportError(f"bad <line> hits/number in {path}") from exc
    counts[0] += total
    counts[1] += covered


def parse_cobertura(stream: IO[bytes], changed: Mapping[str, frozenset[int]] | None = None) -> CoverageSummary:
    """ElementTree's C pull parser, each <class> cleared once counted (twice as fast as expat
    callbacks on 500,000 <line> elements). The prolog is vetted first: no DOCTYPE, no entities."""
    import xml.etree.ElementTree as ET

    refuse_doctype(stream)
    tally = _Tally(changed)
    parser: Any = ET.XMLPullParser(events=("end",))
    last: Any = None
    try:
        while True:
            block = stream.read(1 << 20)
            if block:
                parser.feed(block)
            else:
                parser.close()
            for _event, item in parser.read_events():
                el: Any = item
                tag = el.tag
                if tag == "class":
                    _cobertura_class(el, tally)
                    el.clear()
                elif tag == "package":
                    el.clear()
                last = el
            if not block:
                break
    except ET.ParseError as exc:
        raise ReportError(f"malformed XML: {exc}") from exc
    if last is None:
        raise ReportError("empty report")
    if last.tag != "coverage":  # the last element to end is the root
        raise ReportError("not a Cobertura report (root element is not <coverage>)")
    root_totals: tuple[int, int] | None = None
    valid, cov = last.get("lines-valid"), last.get("lines-covered")
    if valid and cov and valid.isdigit() and cov.isdigit():
        root_totals = (int(valid), int(cov))
    return tally.summary("cobertura", root_totals)


# -- lcov -------------------------------------------------------------------------------------
def parse_lcov(lines: Iterable[str], changed: Mapping[str, frozenset[int]] | None = None) -> CoverageSummary:
    tally = _Tally(changed)
    path: str | None = None
    counts: list[int] = [0, 0]
    ch: frozenset[int] | None = None
    records = 0
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith("SF:"):
            path = line[3:]
            counts, ch = tally.file(path)
        elif line.startswith("DA:"):
            if path is None:
                raise ReportError(f"line {lineno}: DA before SF")
            fields = line[3:].split(",")
            try:
                number, hit = int(fields[0]), int(float(fields[1])) > 0
            except (IndexError, ValueError) as exc:
                raise ReportError(f"line {lineno}: bad DA record {line[:80]!r}") from exc
            counts[0] += 1
            if hit:
                counts[1] += 1
            if ch is not None and number in ch:
                tally.changed_line(path, number, hit)
        elif line == "end_of_record":
            records += 1
            path, ch = None, None
    if records == 0 and not tally.files:
        raise ReportError("no lcov records (SF:/end_of_record) found")
    return tally.summary("lcov")


# -- coverage.py JSON ---------------------------------------------------------------------------
def parse_coverage_json(stream: IO[bytes], changed: Mapping[str, frozenset[int]] | None = None) -> CoverageSummary:
    try:
        doc = json.load(stream)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"malformed JSON: {exc}") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        raise ReportError("not a coverage.py JSON report (no \"files\" object)")
    tally = _Tally(changed)
    for path, data in files.items():
        if not isinstance(data, dict):
            raise ReportError(f"files.{path}: expected an object")
        executed = data.get("executed_lines", [])
        missing = data.get("missing_lines", [])
        if not isinstance(executed, list) or not isinstance(missing, list):
            raise ReportError(f"files.{path}: executed_lines/missing_lines must be lists")
        counts, ch = tally.file(str(path))
        counts[0] += len(executed) + len(missing)
        counts[1] += len(executed)
        if ch is not None:
            for n in sorted(ch.intersection(executed)):
                tally.changed_line(str(path), n, True)
            for n in sorted(ch.intersection(missing)):
                tally.changed_line(str(path), n, False)
    return tally.summary("coverage-json")


# -- dispatch ---------------------------------------------------------------------------------
def detect_format(name: str, head: bytes) -> CoverageFormat | None:
    lower = name.lower()
    if lower.endswith(".xml"):
        return "cobertura"
    if lower.endswith(".info") or "lcov" in posixpath.basename(lower):
        return "lcov"
    if lower.endswith(".json"):
        return "coverage-json"
    start = head.lstrip()
    if start.startswith(b"<"):
        return "cobertura"
    if start.startswith(b"{"):
        return "coverage-json"
    if start.startswith((b"TN:", b"SF:")):
        return "lcov"
    return None


def parse_coverage(stream: IO[bytes], fmt: CoverageFormat,
                   changed: Mapping[str, frozenset[int]] | None = None) -> CoverageSummary:
    if fmt == "cobertura":
        return parse_cobertura(stream, changed)
    if fmt == "lcov":
        try:
            return parse_lcov(io.TextIOWrapper(stream, encoding="utf-8", errors="strict"), changed)
        except UnicodeDecodeError as exc:
            raise ReportError(f"lcov report is not UTF-8: {exc}") from exc
    return parse_coverage_json(stream, changed)
