"""Fallback test gate for interpreters without pytest: run the sample's unittest tests and
write a JUnit XML report.

    python run_tests.py --junit REPORT.xml [--start-dir tests]
"""

from __future__ import annotations

import argparse
import sys
import time
import unittest
import xml.etree.ElementTree as ET
from typing import Any


class _Recorder(unittest.TextTestResult):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases: list[tuple[str, str, float, str | None, str]] = []
        self._t0 = 0.0

    def startTest(self, test: unittest.TestCase) -> None:
        self._t0 = time.monotonic()
        super().startTest(test)

    def _add(self, test: unittest.TestCase, kind: str | None, text: str) -> None:
        cls = type(test)
        self.cases.append((f"{cls.__module__}.{cls.__qualname__}", test._testMethodName,
                           time.monotonic() - self._t0, kind, text))

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self._add(test, None, "")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self._add(test, "failure", self.failures[-1][1])

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self._add(test, "error", self.errors[-1][1])

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self._add(test, "skipped", reason)


def write_junit(path: str, cases: list[tuple[str, str, float, str | None, str]], total_s: float) -> None:
    failures = sum(1 for c in cases if c[3] == "failure")
    errors = sum(1 for c in cases if c[3] == "error")
    skipped = sum(1 for c in cases if c[3] == "skipped")
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name="unittest", tests=str(len(cases)), failures=str(failures),
                          errors=str(errors), skipped=str(skipped), time=f"{total_s:.3f}")
    for classname, name, secs, kind, text in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{secs:.3f}")
        if kind is not None:
            ET.SubElement(case, kind, message=text.strip().splitlines()[-1] if text.strip() else kind).text = text
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--junit", required=True)
    p.add_argument("--start-dir", default="tests")
    args = p.parse_args(argv)
    sys.path.insert(0, ".")
    suite = unittest.defaultTestLoader.discover(args.start_dir, top_level_dir=".")
    t0 = time.monotonic()
    runner = unittest.TextTestRunner(resultclass=_Recorder, verbosity=2, stream=sys.stdout)
    result = runner.run(suite)
    assert isinstance(result, _Recorder)
    write_junit(args.junit, result.cases, time.monotonic() - t0)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
