"""JUnit XML reports: counts, slowest tests and failures, parsed as a stream.

The parser drives expat directly (the engine under ElementTree.iterparse) and builds no
element tree at all, so a 50,000-testcase file costs time, not memory. Reports come from
the code under test, which may be hostile: a DOCTYPE (and so any ENTITY declaration) is
refused before expat can expand anything, and captured failure text is capped.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

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


@dataclass(frozen=True)
class JUnitSummary:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time_s: float = 0.0
    slowest: tuple[TestTime, ...] = ()
    failed: tuple[TestFailure, ...] = ()  # at most MAX_FAILURES_KEPT

    @property
    def passed(self) -> int:
        return max(self.tests - self.failures - self.errors - self.skipped, 0)

    @property
    def failed_total(self) -> int:
        return self.failures + self.errors


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


class _JUnitHandler:
    def __init__(self) -> None:
        self.tests = self.failures = self.errors = self.skipped = 0
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
        if tag == "testcase":
            self.case = attrs
            self.case_time = _float(attrs.get("time"))
            self.outcome = None
            self.outcome_attrs = {}
        elif self.case is not None and tag in ("failure", "error", "skipped"):
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

    def _finish_case(self, case: dict[str, str]) -> None:
        self.tests += 1
        self.time_s += self.case_time
        classname = case.get("classname", "")
        name = case.get("name", "")
        test_id = f"{classname}::{name}" if classname else name
        item = (self.case_time, self.tests, test_id)
        if len(self.slow) < SLOWEST_KEPT:
            heapq.heappush(self.slow, item)
        elif item > self.slow[0]:
            heapq.heapreplace(self.slow, item)
        if self.outcome == "skipped":
            self.skipped += 1
        elif self.outcome in ("failure", "error"):
            if self.outcome == "failure":
                self.failures += 1
            else:
                self.errors += 1
            if len(self.failed) < MAX_FAILURES_KEPT:
                self.failed.append(self._failure(case, classname, name, test_id, self.outcome))

    def _failure(self, case: dict[str, str], classname: str, name: str, test_id: str, kind: str) -> TestFailure:
        attrs = self.outcome_attrs
        text = attrs.get("__text__", "").strip()
        message = attrs.get("message") or (text.splitlines()[-1] if text else kind)
        file, line = case.get("file") or None, _int(case.get("line"))
        if line is None:
            tfile, tline = failure_location(text)
            if tline is not None:
                file, line = tfile, tline
        return TestFailure(id=test_id, classname=classname, name=name, kind=kind, message=message[:500],
                           file=file, line=line, text=text)

    def summary(self) -> JUnitSummary:
        slow = tuple(TestTime(t, round(s, 3)) for s, _n, t in sorted(self.slow, key=lambda x: (-x[0], x[1])))
        return JUnitSummary(tests=self.tests, failures=self.failures, errors=self.errors, skipped=self.skipped,
                            time_s=round(self.time_s, 3), slowest=slow, failed=tuple(self.failed))


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
