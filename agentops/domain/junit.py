"""JUnit XML reports: counts, slowest tests and failures, parsed as a stream.

The parser drives expat directly (the engine under ElementTree.iterparse) and builds no
element tree at all, so a 50,000-testcase file costs time, not memory. Reports come from
the code under test, which may be hostile: a DOCTYPE (and so any ENTITY declaration) is
refused before expat can expand anything, and captured failure text is capped.

Subtests (pytest 9's `subtests` fixture, unittest's `subTest`): pytest writes one <testcase>
per test and puts every failing or skipped subtest in it as one more <failure>/<skipped>
element; a passing subtest leaves no element at all, only a unit in the suite's `tests`
attribute. So the suite's `tests` minus its <testcase> elements is the number of subtests,
and counting elements (not test cases) gives pytest's own `failures` and `skipped` totals.
Only the passing-subtest figure rests on an attribute the report declares; every failure
that decides a gate is an element that was actually written. Which of a case's failures is
the test's own and which a subtest's, JUnit does not say: the totals are exact, the split
(`failed_subtests`) is exact for pytest's `subtests` fixture and one short for a unittest
subTest that fails inside a passing test.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, ClassVar

MAX_FAILURES_KEPT = 50  # failures listed in detail; the counts stay exact
MAX_TEXT = 4000  # characters of failure text kept per failure
SLOWEST_KEPT = 10

# pytest and most runners end a failure text with "path/to/file.py:LINE: ExceptionType".
_LOCATION_RE = re.compile(r"^\s*([^\s:\"'<>|]+\.[A-Za-z0-9]+):(\d+)(?::|$)", re.MULTILINE)


class ReportError(Exception):
    """A report that cannot be read: malformed, truncated, or refused as unsafe."""


@dataclass(frozen=True)
class TestTime:
    __test__ = False  # not a pytest test class

    id: str
    time_s: float


@dataclass(frozen=True)
class TestFailure:
    __test__ = False

    id: str  # classname::name, or name alone
    classname: str
    name: str
    kind: str  # failure | error
    message: str
    file: str | None = None
    line: int | None = None
    text: str = ""
    results: int = 1  # failing results this test case holds: itself plus its failing subtests


@dataclass(frozen=True)
class JUnitSummary:
    """Counts as pytest reports them: `tests + subtests` is the JUnit `tests` total; `failures`,
    `errors` and `skipped` are the JUnit totals (pytest's "N failed" counts failing subtests too)."""

    tests: int = 0  # test cases (<testcase> elements)
    failures: int = 0  # failing results, failing subtests included
    errors: int = 0  # test cases in error (a teardown error after a failure is not a second one)
    skipped: int = 0  # skipped results, skipped subtests included
    time_s: float = 0.0
    slowest: tuple[TestTime, ...] = ()
    failed: tuple[TestFailure, ...] = ()  # failing test cases, at most MAX_FAILURES_KEPT
    subtests: int = 0  # subtest results inside the test cases, whatever their outcome
    # Failures a test case holds beyond its first: failing subtests. Exact for pytest's `subtests`
    # fixture (the case's own failure says "contains N failed subtests"); a unittest subTest that
    # fails in a passing test leaves no such failure, so its case's one failure counts as the case's.
    failed_subtests: int = 0

    JSON_PROPERTIES: ClassVar[tuple[str, ...]] = ("passed",)

    @property
    def passed(self) -> int:
        """Passing results, subtests included: pytest's "N passed" plus "M subtests passed"."""
        return max(self.tests + self.subtests - self.failures - self.errors - self.skipped, 0)

    @property
    def failed_total(self) -> int:
        """Failing results, subtests included: what pytest's summary counts as failed or errors."""
        return self.failures + self.errors

    @property
    def failed_cases(self) -> int:
        """Test cases with a failure or error: what `failed` lists when it is not capped."""
        return self.failures - self.failed_subtests + self.errors


def merge(summaries: list[JUnitSummary]) -> JUnitSummary:
    """Several report files of one gate as one summary."""
    if not summaries:
        return JUnitSummary()
    slow = heapq.nlargest(SLOWEST_KEPT, (t for s in summaries for t in s.slowest), key=lambda t: t.time_s)
    failed = tuple(f for s in summaries for f in s.failed)[:MAX_FAILURES_KEPT]
    return JUnitSummary(
        tests=sum(s.tests for s in summaries), failures=sum(s.failures for s in summaries),
        errors=sum(s.errors for s in summaries), skipped=sum(s.skipped for s in summaries),
        time_s=round(sum(s.time_s for s in summaries), 3), slowest=tuple(slow), failed=failed,
        subtests=sum(s.subtests for s in summaries), failed_subtests=sum(s.failed_subtests for s in summaries),
    )


def failure_location(text: str) -> tuple[str | None, int | None]:
    """The last file:line mentioned in a failure text (the innermost frame)."""
    found = _LOCATION_RE.findall(text)
    if not found:
        return None, None
    path, line = found[-1]
    return path, int(line)


def _float(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def secure_parser(start: Callable[[str, dict[str, str]], None], end: Callable[[str], None],
                  data: Callable[[str], None] | None = None) -> object:
    """An expat parser that refuses DOCTYPE/ENTITY declarations (XML bombs, external entities)."""
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def refuse_doctype(*_args: object) -> None:
        raise ReportError("DOCTYPE declarations are refused (possible XML bomb)")

    def refuse_entity(*_args: object) -> None:
        raise ReportError("ENTITY declarations are refused (possible XML bomb)")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = lambda *_a: 0
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    parser.buffer_text = True
    parser.buffer_size = 65536
    return parser


class _RootSeen(Exception):
    pass


def refuse_doctype(stream: IO[bytes], chunk: int = 1 << 16) -> None:
    """Vet the prolog of a seekable XML stream, then rewind it. A DOCTYPE may only appear before
    the root element and entities may only be declared inside one, so a clean prolog means the
    document cannot declare an entity for any parser to expand."""
    def root(*_args: object) -> None:
        raise _RootSeen

    parser = secure_parser(root, lambda _tag: None)
    try:
        parse_xml_stream(parser, stream, chunk)
    except _RootSeen:
        pass
    stream.seek(0)


def parse_xml_stream(parser: object, stream: IO[bytes], chunk: int = 1 << 20) -> None:
    from xml.parsers import expat

    p: expat.XMLParserType = parser  # type: ignore[assignment]
    try:
        while True:
            block = stream.read(chunk)
            if not block:
                p.Parse(b"", True)
                return
            p.Parse(block, False)
    except expat.ExpatError as exc:
        raise ReportError(f"malformed XML: {exc}") from exc


class _Suite:
    """A <testsuite> being read: what it declares and what it holds."""

    __slots__ = ("cases", "declared", "nested")

    def __init__(self, declared: int | None) -> None:
        self.declared = declared
        self.cases = 0
        self.nested = False


class _JUnitHandler:
    def __init__(self) -> None:
        self.tests = self.failures = self.errors = self.skipped = 0
        self.failed_subtests = self.skipped_subtests = 0  # elements beyond a test case's first
        self.undeclared = 0  # results a leaf suite declares beyond its <testcase> elements: subtests
        self.suites: list[_Suite] = []
        self.n_failure = self.n_skipped = 0  # elements of the current test case
        self.time_s = 0.0
        self.slow: list[tuple[float, int, str]] = []  # min-heap of the slowest
        self.failed: list[TestFailure] = []
        self.seen_root = False
        self.root_ok = False
        self.case: dict[str, str] | None = None
        self.case_time = 0.0
        self.outcome: str | None = None  # failure | error | skipped
        self.outcome_attrs: dict[str, str] = {}
        self.capture: list[str] | None = None
        self.captured = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.seen_root:
            self.seen_root = True
            self.root_ok = tag in ("testsuites", "testsuite", "testrun")
        if tag == "testsuite":
            if self.suites:
                self.suites[-1].nested = True
            self.suites.append(_Suite(_int(attrs.get("tests"))))
        elif tag == "testcase":
            self.case = attrs
            self.case_time = _float(attrs.get("time"))
            self.outcome = None
            self.outcome_attrs = {}
            self.n_failure = self.n_skipped = 0
        elif self.case is not None and tag in ("failure", "error", "skipped"):
            if tag == "failure":
                self.n_failure += 1
            elif tag == "skipped":
                self.n_skipped += 1
            # A teardown error after a failure must not turn one test into two outcomes.
            if self.outcome is None or (self.outcome == "skipped" and tag != "skipped"):
                self.outcome = tag
                self.outcome_attrs = attrs
                if tag != "skipped":
                    self.capture, self.captured = [], 0

    def data(self, text: str) -> None:
        if self.capture is not None and self.captured < MAX_TEXT:
            piece = text[: MAX_TEXT - self.captured]
            self.capture.append(piece)
            self.captured += len(piece)

    def end(self, tag: str) -> None:
        if tag in ("failure", "error"):
            if self.capture is not None:
                self.outcome_attrs = {**self.outcome_attrs, "__text__": "".join(self.capture)}
            self.capture = None
        elif tag == "testcase" and self.case is not None:
            self._finish_case(self.case)
            self.case = None
            if self.suites:
                self.suites[-1].cases += 1
        elif tag == "testsuite" and self.suites:
            suite = self.suites.pop()
            # Only a leaf suite's figure is compared: an outer one declares its children's tests too.
            if not suite.nested and suite.declared is not None:
                self.undeclared += max(suite.declared - suite.cases, 0)

    def _finish_case(self, case: dict[str, str]) -> None:
        self.tests += 1
        # The case's own outcome is one element; every further <failure> or <skipped> is a
        # subtest's (pytest 9 adds one per failing or skipped subtest to the test's case).
        failing = self.outcome in ("failure", "error")
        sub_failed = self.n_failure - (1 if self.outcome == "failure" else 0)
        self.failures += self.n_failure
        self.failed_subtests += sub_failed
        self.skipped += self.n_skipped
        self.skipped_subtests += self.n_skipped - (1 if self.outcome == "skipped" else 0)
        self.time_s += self.case_time
        classname = case.get("classname", "")
        name = case.get("name", "")
        test_id = f"{classname}::{name}" if classname else name
        item = (self.case_time, self.tests, test_id)
        if len(self.slow) < SLOWEST_KEPT:
            heapq.heappush(self.slow, item)
        elif item > self.slow[0]:
            heapq.heapreplace(self.slow, item)
        if failing:
            if self.outcome == "error":
                self.errors += 1
            if len(self.failed) < MAX_FAILURES_KEPT:
                self.failed.append(self._failure(case, classname, name, test_id, str(self.outcome),
                                                 1 + sub_failed))

    def _failure(self, case: dict[str, str], classname: str, name: str, test_id: str, kind: str,
                 results: int) -> TestFailure:
        attrs = self.outcome_attrs
        text = attrs.get("__text__", "").strip()
        message = attrs.get("message") or (text.splitlines()[-1] if text else kind)
        file, line = case.get("file") or None, _int(case.get("line"))
        if line is None:
            tfile, tline = failure_location(text)
            if tline is not None:
                file, line = tfile, tline
        return TestFailure(id=test_id, classname=classname, name=name, kind=kind, message=message[:500],
                           file=file, line=line, text=text, results=results)

    def summary(self) -> JUnitSummary:
        slow = tuple(TestTime(t, round(s, 3)) for s, _n, t in sorted(self.slow, key=lambda x: (-x[0], x[1])))
        # A failing or skipped subtest is a subtest even where the suite declares no total.
        subtests = max(self.undeclared, self.failed_subtests + self.skipped_subtests)
        return JUnitSummary(tests=self.tests, failures=self.failures, errors=self.errors, skipped=self.skipped,
                            time_s=round(self.time_s, 3), slowest=slow, failed=tuple(self.failed),
                            subtests=subtests, failed_subtests=self.failed_subtests)


def parse_junit(stream: IO[bytes]) -> JUnitSummary:
    """Parse one JUnit XML report. Raises ReportError when it is malformed, empty or unsafe."""
    handler = _JUnitHandler()
    parser = secure_parser(handler.start, handler.end, handler.data)
    parse_xml_stream(parser, stream)
    if not handler.seen_root:
        raise ReportError("empty report")
    if not handler.root_ok:
        raise ReportError("not a JUnit report (root element is not <testsuites> or <testsuite>)")
    return handler.summary()


def pytest_node_id(classname: str, name: str, exists: Callable[[str], bool]) -> str | None:
    """pytest's node id for a JUnit testcase: the longest dotted prefix of `classname` that is a
    file under the root is the module; the rest are classes. None when no module file matches."""
    parts = classname.split(".") if classname else []
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if exists(path):
            return "::".join([path, *parts[cut:], name])
    return None
