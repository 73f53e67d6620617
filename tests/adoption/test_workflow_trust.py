"""The trust boundary in the generated workflows: whatever runs an agent or a pull request's code runs
in a read-only job holding no write credential (the model key only, for agents), and the job with
write permission publishes from its artifact and runs nothing from the repository. Secrets live in
GitHub environments: the model keys in `agentops`, the write token in `agentops-publish`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentops.agents.pins import PINS

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / "agentops" / "templates" / "workflows").glob("*.yml"))
LOCKED = REPO / "agentops" / "templates" / "agent-clis"
MODEL_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
# Runs a deploy command with write permission by design: it is the privileged step itself, gated by
# its own GitHub environment's protection rules (the deploy job's `environment`).
PRIVILEGED_BY_DESIGN = {("agentops-deploy.yml", "deploy")}


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            out.append((path.name, name, job))
    return out


def _writes(job: dict[str, Any]) -> bool:
    return any(v == "write" for v in (job.get("permissions") or {}).values())


def _args(job: dict[str, Any]) -> list[str]:
    return [str(s.get("with", {}).get("args", "")) for s in job["steps"] if "args" in s.get("with", {})]


def _runs_untrusted(job: dict[str, Any]) -> bool:
    """The job runs an agent (it gets a model key) or a pull request's gates (`test --phase run`)."""
    text = json.dumps(job)
    return any(k in text for k in MODEL_KEYS) or any("--phase run" in a or "--phase agent" in a for a in _args(job))


def _environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


# Shell steps a writing job may have: they read agentops's own output, nothing of the repository.
HARMLESS_SHELL = {'cat "$REPORT" >> "$GITHUB_STEP_SUMMARY"'}
JOBS = _jobs()
UNTRUSTED = [(f, n, j) for f, n, j in JOBS if _runs_untrusted(j)]
WRITERS = [(f, n, j) for f, n, j in JOBS if _writes(j)]


def test_the_classification_sees_every_agent_and_publish_job() -> None:
    assert {(f, n) for f, n, _ in UNTRUSTED} == {
        ("agentops-code.yml", "agent"), ("agentops-code.yml", "review-agent"), ("agentops-code.yml", "round-agent"),
        ("agentops-test.yml", "run")}
    assert {("agentops-code.yml", "publish"), ("agentops-code.yml", "review-publish"),
            ("agentops-code.yml", "round-publish"), ("agentops-test.yml", "publish")} <= {(f, n) for f, n, _ in WRITERS}


@pytest.mark.parametrize("job", UNTRUSTED, ids=lambda j: f"{j[0]}:{j[1]}")
def test_a_job_that_runs_an_agent_or_pr_code_can_write_nothing(job: tuple[str, str, dict[str, Any]]) -> None:
    _f, _n, j = job
    assert j["permissions"].get("contents") == "read"
    assert set(j["permissions"].values()) == {"read"}, j["permissions"]
    text = json.dumps(j)
    assert "AGENTOPS_TOKEN" not in text, "no write secret in an untrusted job"
    # A push token here can only be the job's own read-only token (fetching a private repository).
    assert all(s["with"]["push-token"] == "${{ github.token }}" for s in j["steps"] if "push-token" in s.get("with", {}))
    assert "DEPLOY_TOKEN" not in text
    assert all(v in ("${{ github.token }}",) for k, v in j.get("env", {}).items() if k in ("GH_TOKEN", "GITHUB_TOKEN"))
    secrets = set(re.findall(r"secrets\.(\w+)", text))
    assert secrets <= set(MODEL_KEYS), secrets
    if secrets:
        assert _environment(j) == "agentops", "the model keys live in the `agentops` environment"
    assert any(a.split()[0] in ("code", "review", "test") for a in _args(j))
    assert all("--phase agent" in a or "--phase run" in a for a in _args(j) if a.split()[0] in ("code", "review", "test"))


@pytest.mark.parametrize("job", UNTRUSTED, ids=lambda j: f"{j[0]}:{j[1]}")
def test_every_untrusted_job_hands_over_to_a_publish_job(job: tuple[str, str, dict[str, Any]]) -> None:
    f, n, j = job
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in j["steps"])
    publishers = [(pn, pj) for pf, pn, pj in WRITERS if pf == f and n in (
        [pj["needs"]] if isinstance(pj.get("needs"), str) else pj.get("needs") or [])]
    assert publishers, f"{f}:{n} has no publish job that needs it"
    for _pn, pj in publishers:
        assert any(s.get("uses", "").startswith("actions/download-artifact@") for s in pj["steps"])


@pytest.mark.parametrize("job", [j for j in WRITERS if (j[0], j[1]) not in PRIVILEGED_BY_DESIGN],
                         ids=lambda j: f"{j[0]}:{j[1]}")
def test_a_job_that_writes_runs_nothing_from_the_repository(job: tuple[str, str, dict[str, Any]]) -> None:
    _f, _n, j = job
    text = json.dumps(j)
    shell = [s["run"].strip() for s in j["steps"] if "run" in s]
    assert set(shell) <= HARMLESS_SHELL, f"no shell step in a job that can write: {shell}"
    assert not any(k in text for k in MODEL_KEYS), "no agent runs where a write token is"
    for a in _args(j):
        if a.split()[0] in ("code", "review", "test"):
            assert "--phase publish" in a, a  # publishing verifies a bundle; it runs no agent, no gate
    for s in j["steps"]:
        uses = s.get("uses", "")
        assert "run" in s or uses.startswith(("actions/checkout@", "actions/download-artifact@", "$/.github/actions/agentops")), uses
        if uses.startswith("actions/checkout@"):
            assert "ref" not in s.get("with", {}), "a writer checks out the workflow's own commit, never a PR head"


@pytest.mark.parametrize("job", JOBS, ids=lambda j: f"{j[0]}:{j[1]}")
def test_secrets_are_read_only_inside_their_environment(job: tuple[str, str, dict[str, Any]]) -> None:
    f, n, j = job
    secrets = set(re.findall(r"secrets\.(\w+)", json.dumps(j)))
    if not secrets:
        return
    env = _environment(j)
    assert env, f"{f}:{n} reads {secrets} outside a GitHub environment"
    if "AGENTOPS_TOKEN" in secrets and (f, n) not in PRIVILEGED_BY_DESIGN:
        assert env == "agentops-publish" and _writes(j)
    if secrets & set(MODEL_KEYS):
        assert env == "agentops" and not _writes(j)
    if env in ("agentops", "agentops-publish"):
        assert j["environment"].get("deployment") is False, "an environment for secrets, not a deployment record"


def test_the_agent_clis_come_from_the_committed_lockfile() -> None:
    pkg = json.loads((LOCKED / "package.json").read_text())
    lock = json.loads((LOCKED / "package-lock.json").read_text())
    npm_pins = {p.package: p.version for p in PINS.values() if p.manager == "npm"}
    assert pkg["dependencies"] == npm_pins == lock["packages"][""]["dependencies"]
    for package, version in npm_pins.items():
        entry = lock["packages"][f"node_modules/{package}"]
        assert entry["version"] == version and entry["integrity"].startswith("sha512-")
    assert all(e.get("integrity") for k, e in lock["packages"].items() if k)
    for f, n, j in UNTRUSTED:
        installs = [s["run"] for s in j["steps"] if "npm" in s.get("run", "")]
        if f == "agentops-code.yml":
            assert installs and all("npm ci --prefix .github/agentops/agent-clis" in r for r in installs), n
        assert not any(re.search(r"npm (install|i|add) ", r) for r in installs)


DISPATCHER_LOGIN = "AGENTOPS_DISPATCHER_LOGIN"


def test_the_dispatchers_login_reaches_only_the_read_only_agent_jobs_from_the_dispatch_input() -> None:
    """agentops's login (trusted for markers in the job) comes only from the workflow_dispatch input
    (set by whoever may dispatch: write access), never from an event payload or issue text, and
    only jobs that can write nothing get it."""
    readers = set()
    for path in WORKFLOWS:
        text = path.read_text()
        doc = yaml.safe_load(text)
        for name, job in doc["jobs"].items():
            for where in [job, *job["steps"]]:
                value = (where.get("env") or {}).get(DISPATCHER_LOGIN)
                if value is None:
                    continue
                assert value == "${{ inputs.identity }}", (path.name, name)
                assert not _writes(job), (path.name, name)
                readers.add((path.name, name))
        if DISPATCHER_LOGIN in text:
            triggers = doc.get("on", doc.get(True))
            assert set(triggers) == {"workflow_dispatch"}, path.name  # inputs exist only there
            assert "identity" in triggers["workflow_dispatch"]["inputs"]
    assert readers == {("agentops-code.yml", "agent"), ("agentops-code.yml", "review-agent"),
                       ("agentops-code.yml", "round-agent")}
