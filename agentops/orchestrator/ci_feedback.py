"""Read why an agent PR's head is red, the way a developer would: the failing jobs' log tails
(GitHub Actions), other apps' check-run output text, failing commit statuses, and every failing
check's annotations. Then decide whether the failure is worth a fix at all: a failure made only of
tests the test agent has seen flake (failed, then passed on re-run) gets its failed jobs re-run
once instead of a fix round.

Everything read here was printed by code under test, so it is redacted before it reaches a
prompt, and capped (ci_failure's limits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agentops.domain.ci_failure import FailedJob, Note, clean_log, feedback
from agentops.errors import AgentOpsError, NotFound
from agentops.github.models import CheckRun
from agentops.github.port import GitHubPort
from agentops.redact import Redactor

FAILING = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})
LOG_BYTES = 64 * 1024
# pytest's short summary ("FAILED tests/x.py::test_y - ..."), also under -rA and xdist.
_FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) (\S+::\S+)", re.MULTILINE)


@dataclass(frozen=True)
class CiFailure:
    sha: str
    text: str  # the prompt's feedback section ('' when nothing on the head is failing)
    failing_checks: tuple[str, ...]
    failing_tests: tuple[str, ...]  # test ids named in the logs
    run_ids: tuple[int, ...]  # workflow runs whose jobs failed (for a flaky re-run)
    unexplained: int = 0  # failing checks or statuses whose log named no failing test


    @property
    def red(self) -> bool:
        return bool(self.failing_checks)


def read_failure(gh: GitHubPort, repo: str, sha: str, redactor: Redactor) -> CiFailure:
    jobs: list[FailedJob] = []
    notes: list[Note] = []
    others: list[str] = []
    names: list[str] = []
    tests: list[str] = []
    unexplained = 0
    job_runs = _failed_job_runs(gh, repo, sha)
    for check in gh.list_check_runs(repo, sha):
        if check.status != "completed" or (check.conclusion or "") not in FAILING:
            continue
        names.append(check.name)
        if check.id in job_runs:  # an Actions job: its check run has the job's id
            job = _job_failure(gh, repo, check, redactor)
            jobs.append(job)
            named = _FAILED_TEST.findall(clean_log(job.log))
            tests.extend(named)
            unexplained += not named
        else:
            unexplained += 1
            text = "\n".join(x for x in (check.output_title, check.output_summary, check.output_text) if x)
            others.append(f"### Check `{check.name}`: {check.conclusion}\n{redactor.redact(text)[:4000]}".rstrip())
        notes.extend(_notes(gh, repo, check, redactor))
    for st in gh.get_combined_status(repo, sha).statuses:
        if st.state in ("failure", "error"):
            names.append(st.context)
            unexplained += 1
            others.append(f"### Status `{st.context}`: {st.state}\n{redactor.redact(st.description)}".rstrip())
    text = feedback(jobs, notes, others)
    run_ids = sorted({job_runs[c] for c in job_runs})
    return CiFailure(sha, text, tuple(names), tuple(dict.fromkeys(tests)), tuple(run_ids), unexplained)


def _failed_job_runs(gh: GitHubPort, repo: str, sha: str) -> dict[int, int]:
    """Failing Actions job id -> its run id, for the runs of `sha` that failed."""
    out: dict[int, int] = {}
    for run in gh.list_workflow_runs(repo, head_sha=sha, per_page=100).items or ():
        if run.status == "completed" and (run.conclusion or "") in FAILING:
            for job in gh.list_run_jobs(repo, run.id):
                if (job.conclusion or "") in FAILING:
                    out[job.id] = run.id
    return out


def _job_failure(gh: GitHubPort, repo: str, check: CheckRun, redactor: Redactor) -> FailedJob:
    try:
        log = gh.job_log_tail(repo, check.id, max_bytes=LOG_BYTES)
    except NotFound:
        return FailedJob(check.name, check.conclusion or "", "", check.html_url, "the log has expired or was deleted")
    except AgentOpsError as exc:
        return FailedJob(check.name, check.conclusion or "", "", check.html_url, str(exc)[:200])
    return FailedJob(check.name, check.conclusion or "", redactor.redact(log), check.html_url)


def _notes(gh: GitHubPort, repo: str, check: CheckRun, redactor: Redactor) -> list[Note]:
    try:
        found = gh.list_check_annotations(repo, check.id)
    except AgentOpsError:
        return []  # annotations are a help, not the failure itself
    return [Note(check.name, a.path, a.start_line, a.level, redactor.redact(a.message))
            for a in found if a.level in ("failure", "warning")]


def known_flaky(test_results: Mapping[str, Mapping[str, object]]) -> frozenset[str]:
    """Every test id the test agent has seen fail and then pass on re-run (its history)."""
    out: set[str] = set()
    for record in test_results.values():
        flaky = record.get("flaky")
        if isinstance(flaky, list):
            out.update(str(t) for t in flaky)
    return frozenset(out)


def is_flaky(failure: CiFailure, flaky: Iterable[str]) -> bool:
    """Only flaky tests failed: every failing test is a known flake, and every failing check
    is a job whose log named its tests (a lint or build failure is never 'flaky')."""
    known = set(flaky)
    return bool(failure.failing_tests) and bool(failure.run_ids) and failure.unexplained == 0 \
        and all(_matches(t, known) for t in failure.failing_tests)


def _matches(test_id: str, known: set[str]) -> bool:
    # JUnit ids ("tests.test_x.test_y" or "tests/test_x.py::test_y") and pytest node ids differ in form.
    if test_id in known:
        return True
    dotted = test_id.replace("/", ".").replace(".py::", ".").replace("::", ".")
    return dotted in known or any(k.endswith(dotted) or dotted.endswith(k) for k in known if "." in k)
