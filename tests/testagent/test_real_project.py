
"""`agentops test` on a real small Python project: its counts equal pytest's own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

TESTS = '''
import os, pathlib, pytest

def test_add():
    assert 1 + 1 == 2

def test_sub():
    assert 3 - 1 == 2

class TestMul:
    def test_mul(self):
        assert 2 * 3 == 6

    def test_mul_wrong(self):
        assert 2 * 3 == 7

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_flaky():
    counter = pathlib.Path(os.environ["FLAKY_COUNTER"])
    n = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(n + 1))
    assert n > 0, "fails the first time only"
'''


def _make_project(root: Path) -> Path:
    proj = root / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '0'\n\n[tool.pytest.ini_options]\n"
                                         "testpaths = ['tests']\n")
    (proj / "tests" / "test_math.py").write_text(TESTS)
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    subprocess.run(["git", "-C", str(proj), "add", "."], check=True)
    subprocess.run(["git", "-C", str(proj), "commit", "-qm", "init"], check=True)
    return proj


def _env(tmp_path: Path, counter: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["FLAKY_COUNTER"] = str(tmp_path / counter)
    env["AGENTOPS_SANDBOX_WRITABLE"] = str(tmp_path)  # the counter sits outside the sandboxed checkout
    env["AGENTOPS_STATE_DIR"] = str(tmp_path / "state")
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _pytest_counts(summary: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary)}


def test_counts_equal_pytests_own_and_flaky_is_reported(tmp_path: Path) -> None:
    proj = _make_project(tmp_path)
    own = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=proj,
                         env=_env(tmp_path, "own-counter"), capture_output=True, text=True, timeout=120)
    counts = _pytest_counts(own.stdout.strip().splitlines()[-1])
    assert counts == {"failed": 3, "passed": 4, "skipped": 1}, own.stdout

    done = subprocess.run([sys.executable, "-m", "agentops", "test", "--path", str(proj), "--repo", "o/r",
                           "--json", "--no-report"], cwd=proj, env=_env(tmp_path, "agentops-counter"),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    (gate,) = result["gates"]
    assert gate["name"] == "pytest" and gate["detected"]
    j = gate["junit"]
    assert (j["failures"], j["tests"] - j["failures"] - j["errors"] - j["skipped"], j["skipped"]) == \
        (counts["failed"], counts["passed"], counts["skipped"])
    assert gate["flaky"] == ["tests.test_math::test_flaky"]
    assert gate["status"] == "failed"  # two real failures remain after the re-run
    failed = {f["id"]: (f["file"], f["line"]) for f in j["failed"]}
    line = next(i for i, text in enumerate(TESTS.splitlines(), 1) if "2 * 3 == 7" in text)
    assert failed["tests.test_math.TestMul::test_mul_wrong"] == ("tests/test_math.py", line)
    assert set(failed) == {"tests.test_math.TestMul::test_mul_wrong", "tests.test_math::test_param[2]",
                           "tests.test_math::test_flaky"}
    assert result["flaky"] == ["tests.test_math::test_flaky"] and result["passed"] is False
    head = subprocess.run(["git", "-C", str(proj), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert result["sha"] == head and result["record_key"] == head
    state = json.loads((tmp_path / "state" / "agents" / "o" / "r" / "test-results.json").read_text())
    assert head in json.dumps(state)
    assert "FAILED tests.test_math::test_param[2]" in done.stderr


SUBTESTS = '''
import unittest

def test_two_failing_subtests(subtests):
    for i in range(3):
        with subtests.test(i=i):
            assert i == 0

def test_passing_subtests(subtests):
    for i in range(4):
        with subtests.test(i=i):
            assert i < 4

def test_plain():
    assert True

class TestUnit(unittest.TestCase):
    def test_subtest_loop(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)
'''


def _junit_totals(xml: Path) -> dict[str, int]:
    head = xml.read_text()
    suite = re.search(r"<testsuite\b[^>]*>", head)
    assert suite is not None, head[:300]
    return {k: int(v) for k, v in re.findall(r'\b(tests|failures|errors|skipped)="(\d+)"', suite.group(0))}


def test_subtests_counts_equal_pytests_junit_totals_and_summary(tmp_path: Path) -> None:
    """pytest 9 subtests: agentops reports test cases and subtests apart, and its totals are
    pytest's own (JUnit `tests`, `failures`; the terminal's failed / passed / subtests passed)."""
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "tests" / "test_sub.py").write_text(SUBTESTS)
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    subprocess.run(["git", "-C", str(proj), "add", "."], check=True)
    subprocess.run(["git", "-C", str(proj), "commit", "-qm", "init"], check=True)
    env = {**_env(tmp_path, "unused"), "COLUMNS": "200"}  # the table's Tests cell uncut

    xml = tmp_path / "own.xml"
    own = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"],
                         cwd=proj, env=env, capture_output=True, text=True, timeout=120)
    line = own.stdout.strip().splitlines()[-1]
    said = {w: int(n) for n, w in re.findall(r"(\d+) (failed|passed|subtests passed)", line)}
    # Two failing subtests of the fixture plus the test they fail ("contains 2 failed subtests"),
    # one failing unittest subTest: pytest's 4 failures.
    assert said == {"failed": 4, "passed": 3, "subtests passed": 7}, own.stdout
    totals = _junit_totals(xml)
    assert totals == {"tests": 14, "failures": 4, "errors": 0, "skipped": 0}, totals

    done = subprocess.run([sys.executable, "-m", "agentops", "test", "--path", str(proj), "--repo", "o/r",
                           "--json", "--no-report"], cwd=proj, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    (gate,) = json.loads(done.stdout)["gates"]
    j = gate["junit"]
    assert (j["tests"], j["subtests"]) == (4, 10)
    assert j["tests"] + j["subtests"] == totals["tests"]
    assert (j["failures"], j["errors"], j["skipped"]) == (totals["failures"], totals["errors"], totals["skipped"])
    assert j["failures"] == said["failed"]
    assert j["passed"] == said["passed"] + said["subtests passed"]
    assert j["failed_subtests"] == 2  # the fixture's two (the unittest one counts as its test's own)
    two = next(f for f in j["failed"] if f["name"] == "test_two_failing_subtests")
    assert two["results"] == 3
    assert "10/14 passed (4 tests + 10 subtests)" in done.stderr
