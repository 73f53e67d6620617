from __future__ import annotations

import io

import pytest

from agentops.domain.coverage import (
    detect_format,
    parse_cobertura,
    parse_coverage,
    parse_coverage_json,
    parse_lcov,
    parse_unified_diff,
)
from agentops.domain.junit import ReportError, merge, parse_junit, pytest_node_id

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
 <testcase classname="tests.test_a" name="test_ok" time="0.010"/>
 <testcase classname="tests.test_a" name="test_slow" time="2.500"/>
 <testcase classname="tests.test_a.TestK" name="test_bad[1]" time="0.100">
   <failure message="AssertionError: assert 1 == 2">def test_bad():
&gt;       assert 1 == 2
E       assert 1 == 2

tests/test_a.py:12: AssertionError</failure>
   <error message="teardown boom">teardown</error>
 </testcase>
 <testcase classname="tests.test_b" name="test_err" file="tests/test_b.py" line="7" time="0.2">
   <error message="fixture missing">E   fixture 'db' not found</error></testcase>
 <testcase classname="tests.test_b" name="test_skip" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""


def test_junit_counts_slowest_and_failure_locations() -> None:
    s = parse_junit(io.BytesIO(JUNIT))
    assert (s.tests, s.failures, s.errors, s.skipped, s.passed) == (5, 1, 1, 1, 2)
    assert s.slowest[0].id == "tests.test_a::test_slow" and s.slowest[0].time_s == 2.5
    bad, err = s.failed
    assert (bad.id, bad.kind, bad.file, bad.line) == ("tests.test_a.TestK::test_bad[1]", "failure", "tests/test_a.py", 12)
    assert bad.message == "AssertionError: assert 1 == 2"
    assert (err.kind, err.file, err.line, err.message) == ("error", "tests/test_b.py", 7, "fixture missing")
    both = merge([s, s])
    assert both.tests == 10 and both.failed_total == 4


def test_single_testsuite_root_and_nested_suites() -> None:
    xml = b'<testsuite><testsuite><testcase name="a"/></testsuite><testcase name="b"><failure/></testcase></testsuite>'
    s = parse_junit(io.BytesIO(xml))
    assert (s.tests, s.failures) == (2, 1)
    assert s.failed[0].message == "failure"


# pytest 9.2's own report (trimmed texts) for: a test with three subtests of which two fail (the
# `subtests` fixture adds "contains 2 failed subtests" as the test's own failure), a test whose two
# subtests pass, a plain pass and a plain failure. Its terminal line: "4 failed, 2 passed,
# 3 subtests passed".
PYTEST9_SUBTESTS = b"""<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest"
 errors="0" failures="4" skipped="0" tests="9" time="0.116">
<testcase classname="test_s" name="test_two_failing" time="0.072"><failure message="assert 1 == 0">E assert 1 == 0

test_s.py:4: AssertionError</failure><failure message="assert 2 == 0">test_s.py:4: AssertionError</failure><failure
 message="contains 2 failed subtests">contains 2 failed subtests</failure></testcase>
<testcase classname="test_s" name="test_ok" time="0.008" /><testcase classname="test_s" name="test_plain" time="0.000" />
<testcase classname="test_s" name="test_plainfail" time="0.000"><failure message="assert 0">test_s.py:15</failure></testcase>
</testsuite></testsuites>"""


def test_pytest9_subtests_counted_as_pytest_counts_them() -> None:
    s = parse_junit(io.BytesIO(PYTEST9_SUBTESTS))
    assert (s.tests, s.subtests, s.tests + s.subtests) == (4, 5, 9)  # JUnit tests="9"
    assert (s.failures, s.failed_subtests, s.errors, s.skipped) == (4, 2, 0, 0)  # JUnit failures="4"
    assert s.passed == 2 + 3  # "2 passed, 3 subtests passed"
    assert s.failed_cases == len(s.failed) == 2
    two = s.failed[0]
    assert (two.id, two.results, two.message) == ("test_s::test_two_failing", 3, "assert 1 == 0")
    both = merge([s, s])
    assert (both.subtests, both.failures, both.failed_subtests, both.passed) == (10, 8, 4, 10)


def test_subtests_only_from_leaf_suites_and_declared_totals_that_parse() -> None:
    # The outer suite declares its children's tests too: comparing it would invent subtests.
    nested = (b'<testsuites tests="7"><testsuite tests="3"><testsuite tests="2"><testcase name="a"/>'
              b'<testcase name="b"/></testsuite><testcase name="c"/></testsuite></testsuites>')
    assert (parse_junit(io.BytesIO(nested)).tests, parse_junit(io.BytesIO(nested)).subtests) == (3, 0)
    for declared in (b"abc", b"-5", b"1e9", b"9" * 5000, b"1"):
        s = parse_junit(io.BytesIO(b'<testsuite tests="' + declared + b'"><testcase name="a"/></testsuite>'))
        assert (s.tests, s.subtests, s.passed) == (1, 0, 1), declared
    # A unittest subTest failing in a passing test: one failure, which counts as the case's own.
    sub = parse_junit(io.BytesIO(b'<testsuite tests="3"><testcase name="t"><failure message="1 != 0"/></testcase>'
                                 b'</testsuite>'))
    assert (sub.tests, sub.subtests, sub.failures, sub.failed_subtests, sub.passed) == (1, 2, 1, 0, 2)


@pytest.mark.parametrize("data, reason", [
    (b"", "no element found"),
    (b"<testsuites><testcase name='x'>", "malformed"),
    (b"not xml at all", "malformed"),
    (b"<html><body/></html>", "not a JUnit"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b"<testsuites><testcase name='&lol2;'/></testsuites>", "DOCTYPE"),
    (b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><testsuites/>', "DOCTYPE"),
])
def test_junit_bad_reports_raise_report_error(data: bytes, reason: str) -> None:
    with pytest.raises(ReportError, match=reason):
        parse_junit(io.BytesIO(data))


def test_pytest_node_id_from_classname() -> None:
    files = {"tests/test_a.py", "pkg/tests/test_c.py"}
    assert pytest_node_id("tests.test_a.TestK", "test_bad[1]", files.__contains__) == "tests/test_a.py::TestK::test_bad[1]"
    assert pytest_node_id("pkg.tests.test_c", "test_x", files.__contains__) == "pkg/tests/test_c.py::test_x"
    assert pytest_node_id("nowhere.mod", "t", files.__contains__) is None


COBERTURA = b"""<?xml version="1.0" ?>
<coverage version="7.4" line-rate="0.6" lines-valid="5" lines-covered="3">
 <sources><source>/repo/src</source></sources>
 <packages><package name="pkg"><classes>
  <class name="a.py" filename="pkg/a.py">
   <methods><method name="f"><lines><line number="1" hits="1"/></lines></method></methods>
   <lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="4"/></lines>
  </class>
  <class name="b.py" filename="pkg/b.py"><methods/><lines><line number="1" hits="0"/><line number="2" hits="1"/></lines></class>
 </classes></package></packages>
</coverage>
"""


def test_cobertura_totals_per_file_and_changed_lines() -> None:
    changed = {"src/pkg/a.py": frozenset({2, 3, 10}), "README.md": frozenset({1})}
    c = parse_cobertura(io.BytesIO(COBERTURA), changed)
    assert (c.lines, c.covered, c.percent) == (5, 3, 60.0)
    files = {f.path: (f.lines, f.covered) for f in c.files}
    assert files == {"pkg/a.py": (3, 2), "pkg/b.py": (2, 1)}  # method lines not double counted
    assert c.changed is not None
    assert (c.changed.lines, c.changed.covered, c.changed.uncovered) == (2, 1, ("pkg/a.py:2",))


@pytest.mark.parametrize("data, reason", [
    (b"", "malformed"),
    (b"<coverage><packages>", "malformed"),
    (b"<testsuites/>", "not a Cobertura"),
    (b'<!DOCTYPE c [<!ENTITY a "aaaa">]><coverage>&a;</coverage>', "DOCTYPE"),
    (b'<coverage><packages><package><classes><class filename="x"><lines><line number="1" hits="x"/>'
     b"</lines></class></classes></package></packages></coverage>", "bad <line>"),
])
def test_cobertura_bad_reports(data: bytes, reason: str) -> None:
    with pytest.raises(ReportError, match=reason):
        parse_cobertura(io.BytesIO(data))


def test_lcov_and_coverage_json() -> None:
    lcov = "TN:\nSF:/w/pkg/a.py\nDA:1,1\nDA:2,0\nDA:3,5\nLF:3\nLH:2\nend_of_record\nSF:pkg/b.py\nDA:1,0\nend_of_record\n"
    c = parse_lcov(io.StringIO(lcov), {"pkg/a.py": frozenset({2, 3})})
    assert (c.lines, c.covered, c.percent) == (4, 2, 50.0)
    assert c.changed is not None and (c.changed.lines, c.changed.covered) == (2, 1)
    with pytest.raises(ReportError, match="DA before SF"):
        parse_lcov(io.StringIO("DA:1,1\n"))
    with pytest.raises(ReportError, match="no lcov records"):
        parse_lcov(io.StringIO("garbage\n"))
    doc = b'{"files": {"pkg/a.py": {"executed_lines": [1, 3], "missing_lines": [2]}}, "totals": {}}'
    j = parse_coverage_json(io.BytesIO(doc), {"pkg/a.py": frozenset({2})})
    assert (j.lines, j.covered, j.percent) == (3, 2, 66.67)
    assert j.changed is not None and j.changed.uncovered == ("pkg/a.py:2",)
    for bad in (b"{not json", b"[]", b'{"files": {"a": {"executed_lines": 3}}}'):
        with pytest.raises(ReportError):
            parse_coverage_json(io.BytesIO(bad))
    assert parse_coverage(io.BytesIO(lcov.encode()), "lcov").lines == 4
    with pytest.raises(ReportError, match="UTF-8"):
        parse_coverage(io.BytesIO(b"SF:\xff\xfe\nDA:1,1\n"), "lcov")


def test_detect_format() -> None:
    assert detect_format("coverage.xml", b"") == "cobertura"
    assert detect_format("lcov.info", b"") == "lcov"
    assert detect_format("coverage.json", b"") == "coverage-json"
    assert detect_format("report", b"  <coverage") == "cobertura"
    assert detect_format("report", b"TN:\nSF:a") == "lcov"
    assert detect_format("report", b"???") is None


def test_unified_diff_changed_lines() -> None:
    diff = """diff --git a/pkg/a.py b/pkg/a.py
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -1,0 +2,3 @@ def f():
+x
+y
+z
@@ -10 +12 @@
-old
+new
@@ -20,2 +21,0 @@
-gone
diff --git a/old.py b/old.py
--- a/old.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a
"""
    assert parse_unified_diff(diff) == {"pkg/a.py": frozenset({2, 3, 4, 12})}
