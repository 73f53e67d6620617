"""Randomized emulator faults across the whole loop (scout -> claim -> code -> test -> deploy ->
report), one fixed seed per case so every failure reproduces. A faulted pass is followed by a
clean pass (the next scheduled run). Asserts: no duplicate issue, comment or PR; no state record
or log event ever lost; every command ended with a documented exit code and none crashed."""

from __future__ import annotations

import importlib
import random
import re
from collections import Counter
from typing import Any

import pytest

from agentops.commands import claim, code, deploy, report
from agentops.commands import test as testcmd
from tests.fixtures.gitrepo import git
from tests.resilience.conftest import DOCUMENTED_EXIT_CODES, REPO, Loop

pytestmark = pytest.mark.resilience

SEEDS = (1, 2, 3, 5, 8, 13, 21, 34)
PATHS = (r"/issues$", r"/issues/\d+/comments$", r"/issues/comments/\d+$", r"/pulls$", r"/pulls/\d+$",
         r"/labels", r"/issues/\d+$", r"/statuses/", r"/reviews", r"/commits/", r".")
CREATES = (r"/issues$", r"/issues/\d+/comments$", r"/pulls$", r"/statuses/", r"/reviews$")
MARKER = re.compile(r"<!--\s*agentops:[^>]*-->")


def _inject(loop: Loop, rng: random.Random, n: int) -> list[str]:
    added = []
    for _ in range(n):
        kind = rng.choice(("5xx", "retry-after", "latency", "drop", "after-create"))
        count = rng.randint(1, 2)
        if kind == "5xx":
            f = loop.emulator.faults.add(method=rng.choice(("GET", "POST", "PATCH", None)), path=rng.choice(PATHS),
                                         status=rng.choice((500, 502, 503)), count=count)
        elif kind == "retry-after":
            f = loop.emulator.faults.add(method=rng.choice(("GET", "POST", None)), path=rng.choice(PATHS),
                                         status=rng.choice((403, 429)), retry_after=rng.choice((1, 3, 30)),
                                         count=count)
        elif kind == "latency":
            f = loop.emulator.faults.add(method=None, path=rng.choice(PATHS), status=None,
                                         latency=rng.uniform(0.01, 0.08), count=rng.randint(1, 5))
        elif kind == "drop":
            f = loop.emulator.faults.add(method=rng.choice(("GET", "POST", None)), path=rng.choice(PATHS),
                                         status=None, drop=True, count=1)
        else:
            f = loop.emulator.faults.add(method="POST", path=rng.choice(CREATES), status=rng.choice((500, 502)),
                                         after_action=True, count=1)
        added.append(str(f.describe()))
    return added


def _snapshot(loop: Loop) -> tuple[dict[str, set[str]], dict[str, int]]:
    store = loop.store
    records: dict[str, set[str]] = {}
    lines: dict[str, int] = {}
    for kind, name, path in store.files():
        if kind == "doc":
            records[name] = set(store.load(name).raw())
        else:
            lines[name] = sum(1 for line in path.read_text().splitlines() if line.strip())
    return records, lines


def _duplicates(loop: Loop) -> list[str]:
    dups: list[str] = []
    st = loop.emulator.state
    with st.lock:
        repo = st.repo(REPO)
        issue_markers: Counter[str] = Counter()
        heads: Counter[str] = Counter()
        closes: Counter[int] = Counter()
        for issue in repo.issues.values():
            if issue.pull is not None:
                heads[issue.pull.head_ref] += 1
                closes.update(int(n) for n in re.findall(r"(?i)closes #(\d+)", issue.body or ""))
            else:
                issue_markers.update(MARKER.findall(issue.body or ""))
            per_thread = Counter(m for c in issue.comments for m in MARKER.findall(c.body))
            dups += [f"#{issue.number}: comment marker {m} x{k}" for m, k in per_thread.items() if k > 1]
            if issue.pull is not None:
                reviews = Counter(m for r in issue.pull.reviews for m in MARKER.findall(r.body or ""))
                dups += [f"#{issue.number}: review marker {m} x{k}" for m, k in reviews.items() if k > 1]
        dups += [f"issue marker {m} x{k}" for m, k in issue_markers.items() if k > 1]
        dups += [f"PRs from {h} x{k}" for h, k in heads.items() if k > 1]
        dups += [f"PRs closing #{n} x{k}" for n, k in closes.items() if k > 1]
    return dups


def _merge(loop: Loop, pr: int) -> None:
    """A human merges the PR (merge commit on main, as GitHub writes it)."""
    git(loop.checkout, "fetch", "-q", "origin", f"pull/{pr}/head", "main")
    git(loop.checkout, "checkout", "-q", "main")
    git(loop.checkout, "reset", "-q", "--hard", "origin/main")
    git(loop.checkout, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr} from agentops-bot/task", "FETCH_HEAD")
    git(loop.checkout, "push", "-q", "origin", "HEAD:main")


def _scout() -> Any:
    try:
        return importlib.import_module("agentops.commands.scout")
    except ImportError:
        return None


def _pass(loop: Loop, rng: random.Random | None, claimed: set[int], prs: dict[int, int],
          history: list[tuple[dict[str, set[str]], dict[str, int]]]) -> None:
    scout = _scout()

    def step(name: str, fn: Any) -> Any:
        if rng is not None:
            _inject(loop, rng, 3)
        out = loop.step(name, fn)
        history.append(_snapshot(loop))
        return out

    if scout is not None and hasattr(scout, "ScoutOptions"):
        step("scout", lambda c: scout.run(scout.ScoutOptions(repos=(REPO,)), c)
             if "repos" in scout.ScoutOptions.__dataclass_fields__ else scout.run(scout.ScoutOptions(), c))
    got = step("claim", lambda c: claim.run(claim.ClaimOptions(agent="claude", repo=REPO), c))
    if got is not None and got.claimed is not None:
        claimed.add(got.claimed.issue)
    for issue in sorted(claimed):
        made = step(f"code #{issue}", lambda c, i=issue: code.run(code.CodeOptions(issue=i, agent="claude", repo=REPO), c))
        if made is not None and made.pr:
            prs[issue] = made.pr
    for pr in sorted(prs.values()):
        step(f"test PR #{pr}", lambda c, p=pr: testcmd.run(testcmd.TestOptions(pr=p, repo=REPO,
                                                                               path=str(loop.checkout)), c))
        if rng is None:
            _merge(loop, pr)
    step("deploy", lambda c: deploy.run(deploy.DeployOptions(env="prod"), c))
    step("report", lambda c: report.run(report.ReportOptions(repo=REPO), c))


@pytest.mark.parametrize("seed", SEEDS)
def test_fault_campaign(loop: Loop, gh_sleeps: list[float], seed: int) -> None:
    rng = random.Random(seed)
    loop.fakes.script(edits={f"work-{seed}.txt": "done\n"})
    claimed: set[int] = set()
    prs: dict[int, int] = {}
    history: list[tuple[dict[str, set[str]], dict[str, int]]] = []
    _pass(loop, rng, claimed, prs, history)
    loop.emulator.faults.clear()
    _pass(loop, None, claimed, prs, history)

    report_lines = [f"{s.name}: exit {s.exit_code} ({s.detail[:120]})" for s in loop.steps]
    assert not loop.crashes, "\n".join(loop.crashes)
    assert all(s.exit_code in DOCUMENTED_EXIT_CODES for s in loop.steps), report_lines
    assert not _duplicates(loop), _duplicates(loop)
    for before, after in zip(history, history[1:], strict=False):
        for doc, keys in before[0].items():
            assert keys <= after[0].get(doc, set()), f"records lost from {doc}: {keys - after[0].get(doc, set())}"
        for log, n in before[1].items():
            assert after[1].get(log, 0) >= n, f"events lost from {log}"
    loop.store.check()  # every state file still reads
    # the clean pass recovered: every claimed task has its one PR, tested and shipped
    assert claimed and set(prs) == claimed, report_lines
    clean = loop.steps[len(loop.steps) // 2:]
    assert [s for s in clean if s.name.startswith(("code", "test", "deploy")) and s.exit_code not in (0, 1)] == [], \
        report_lines
    assert all(w <= 60 for w in gh_sleeps)  # waits were asked of the injected sleep, never slept for real
