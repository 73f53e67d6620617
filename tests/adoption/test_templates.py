"""The adoption templates: valid for GitHub's schemas, zizmor-clean, pinned, least-privilege,
and the agentops repository's own copies byte-identical to the packaged ones."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from agentops.commands.init import template_files, templates_root
from agentops.domain.workorder import render_agent_task_form

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"  # vendored copy of shared/schemas
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO / "agentops" / "templates" / "workflows").glob("*.yml"))
ACTIONS = [REPO / "agentops" / "templates" / "actions" / "agentops" / "action.yml", REPO / "action.yml"]
# GitHub's self-repository syntax: the action at the workflow's own commit, never a file a
# previous step put in the workspace (zizmor's self-repository audit).
LOCAL_ACTION = "$/.github/actions/agentops"
PERSONAS = ("regular", "pedantic", "auditor")
COMMITTED = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DEVCONTAINERS = sorted((REPO / "agentops" / "templates" / "devcontainers").glob("*/devcontainer.json"))
ROLES = {"orchestrator", "repo-scout", "code-agent", "test-agent", "deploy-agent"}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("check-jsonschema"), *args], capture_output=True, text=True, timeout=120)


def _load(path: Path) -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_the_expected_templates_exist() -> None:
    assert {p.name for p in WORKFLOWS} == {"agentops-scout.yml", "agentops-tick.yml", "agentops-code.yml",
                                           "agentops-test.yml", "agentops-deploy.yml", "agentops-report.yml",
                                           "agentops-on-event.yml"}
    assert ACTIONS[0].read_bytes() == ACTIONS[1].read_bytes(), "the root action.yml is the packaged template"
    assert {p.parent.name for p in DEVCONTAINERS} == ROLES


def test_workflows_validate_against_the_github_schema() -> None:
    res = _check_jsonschema("--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert res.returncode == 0, res.stdout + res.stderr


def _zizmor(persona: str, *paths: Path, ignores: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("zizmor"), "--offline", "--format", "plain", "--persona", persona,
                           "--min-severity", "informational", *([] if ignores else ["--no-ignores"]),
                           *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_the_composite_action_validates_and_is_zizmor_clean() -> None:
    res = _check_jsonschema("--builtin-schema", "vendor.github-actions", *map(str, ACTIONS))
    assert res.returncode == 0, res.stdout + res.stderr
    for persona in PERSONAS:
        res = _zizmor(persona, *ACTIONS)
        assert res.returncode == 0 and "No findings" in res.stdout, persona + res.stdout + res.stderr


@pytest.mark.parametrize("persona", PERSONAS)
def test_workflows_have_no_zizmor_finding_for_any_persona(persona: str) -> None:
    """Nothing at any severity, auditor included: every job that reads a secret runs in a GitHub
    environment (secrets-outside-env), the action is referenced as `$/...` (self-repository), every
    permission says why, every job has a name, the agent CLIs come from a lockfile (adhoc-packages)."""
    res = _zizmor(persona, *WORKFLOWS, *COMMITTED, *ACTIONS)
    # zizmor exits 0 with no findings, 1x with findings (the code encodes the worst severity).
    assert res.returncode == 0 and "No findings" in res.stdout, persona + res.stdout + res.stderr


def test_the_one_ignore_comment_is_the_justified_one() -> None:
    """Without ignore comments zizmor finds exactly one thing: the on-event workflow's issue_comment
    trigger (dangerous-triggers). It is a true false positive, justified where it is written: that
    workflow checks out the default branch, runs only agentops, and takes commands only from
    maintainers."""
    res = _zizmor("auditor", *WORKFLOWS, *ACTIONS, ignores=False)
    kinds = re.findall(r"^(?:error|warning|help|info)\[([\w-]+)\]", res.stdout, re.M)
    assert kinds == ["dangerous-triggers"], res.stdout
    assert "agentops-on-event.yml" in res.stdout
    ignores = [ln for p in [*WORKFLOWS, *ACTIONS] for ln in p.read_text().splitlines() if "zizmor: ignore" in ln]
    assert len(ignores) == 1 and "maintainers" in ignores[0]


def test_zizmor_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n"
                   "    steps:\n      - name: s\n        env:\n          K: ${{ secrets.K }}\n        run: echo hi\n")
    res = _zizmor("auditor", bad)
    assert res.returncode != 0 and "secrets-outside-env" in res.stdout


def test_every_workflow_step_runs_agentops_through_the_one_action() -> None:
    for path in WORKFLOWS:
        for name, job in _load(path)["jobs"].items():
            for step in job["steps"]:
                assert "agentops " not in step.get("run", ""), f"{path.name}/{name}: {step.get('name')}"
                assert "pip install" not in step.get("run", ""), f"{path.name}/{name}: {step.get('name')}"
            assert any(s.get("uses") == LOCAL_ACTION for s in job["steps"]), f"{path.name}/{name}"


def test_issue_forms_validate(tmp_path: Path) -> None:
    forms = [REPO / ".github" / "ISSUE_TEMPLATE" / "agent-task.yml"]
    generated = tmp_path / "agent-task.yml"
    generated.write_text(render_agent_task_form(["claude", "codex", "my-agent"]))
    forms.append(generated)
    res = _check_jsonschema("--builtin-schema", "vendor.github-issue-forms", *map(str, forms))
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: nope\n")
    assert _check_jsonschema("--builtin-schema", "vendor.github-workflows", str(bad)).returncode != 0


def test_devcontainers_validate_against_the_devcontainer_schema() -> None:
    schema = SCHEMAS / "devContainer.base.schema.json"
    res = _check_jsonschema("--force-filetype", "json5", "--schemafile", str(schema), *map(str, DEVCONTAINERS))
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_devcontainer_schema_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "devcontainer.json"
    bad.write_text('{"image": "x", "hostRequirements": {"cpus": "four"}}')
    res = _check_jsonschema("--force-filetype", "json5", "--schemafile",
                            str(SCHEMAS / "devContainer.base.schema.json"), str(bad))
    assert res.returncode != 0


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_hardening(path: Path) -> None:
    text = path.read_text()
    wf = _load(path)
    assert wf["permissions"] == {}, "top-level permissions must grant nothing"
    assert "pull_request_target" not in wf["on"] and "workflow_run" not in wf["on"]
    groups = [wf.get("concurrency", {}).get("group", "")]
    for name, job in wf["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: timeout-minutes"
        assert isinstance(job.get("permissions"), dict) and job["permissions"], f"{name}: job permissions"
        assert "write-all" not in str(job["permissions"])
        groups.append(job.get("concurrency", {}).get("group", ""))
        for step in job["steps"]:
            if "uses" in step and step["uses"] != LOCAL_ACTION:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            if "run" in step:
                # Event text (titles, bodies, branch names) reaches scripts only through env.
                assert "${{" not in step["run"], f"{name}: expression inside run: {step['run']!r}"
    groups = [g for g in groups if g]
    assert groups, "every workflow is serialized by a concurrency group"
    for g in groups:
        assert "github.workflow" in g and "run_id" not in g
    assert "github.event.issue.title" not in text and "github.event.issue.body" not in text


def test_schedules_avoid_the_top_of_the_hour_except_the_weekly_report() -> None:
    crons = {p.name: [s["cron"] for s in _load(p)["on"].get("schedule", [])] for p in WORKFLOWS}
    assert crons["agentops-scout.yml"] == ["17 */4 * * *"]
    assert crons["agentops-report.yml"] == ["0 9 * * 1"]
    for name in ("agentops-scout.yml", "agentops-tick.yml"):
        for cron in crons[name]:
            assert all(int(m) % 2 == 1 for m in cron.split()[0].split(","))


def test_devcontainers_bootstrap_their_own_role() -> None:
    import json

    for path in DEVCONTAINERS:
        role = path.parent.name
        data = json.loads(path.read_text())
        assert data["containerEnv"]["AGENTOPS_ROLE"] == role
        assert data["postCreateCommand"].endswith(f"agentops bootstrap --role {role}")
        assert "AGENTOPS_PIP_SPEC" in data["secrets"] and "GH_TOKEN" in data["secrets"]
        assert all(s.get("description") for s in data["secrets"].values())
        if role in ("code-agent", "test-agent"):
            assert data["hostRequirements"]["cpus"] >= 4
    code = json.loads((REPO / "agentops/templates/devcontainers/code-agent/devcontainer.json").read_text())
    assert "ANTHROPIC_API_KEY" in code["secrets"] and any("node" in f for f in code["features"])


def test_the_post_create_command_never_fails_without_a_pip_spec(tmp_path: Path) -> None:
    import json

    data = json.loads(DEVCONTAINERS[0].read_text())
    # PIP_NO_INDEX: the install of agentops-gh fails here (offline), as it would on a broken index.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1"}
    res = subprocess.run(["sh", "-c", data["postCreateCommand"]], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0
    assert "AGENTOPS_PIP_SPEC" in res.stdout


def test_this_repository_uses_the_packaged_templates_byte_for_byte() -> None:
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "sync_templates.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    for rel, content in template_files():
        assert (REPO / rel).read_bytes() == content, rel
        if rel.startswith(".devcontainer/"):
            assert (REPO / "devcontainers" / rel.removeprefix(".devcontainer/")).read_bytes() == content


def test_this_repository_runs_agentops_on_itself() -> None:
    from agentops.config import load_config

    cfg = load_config(REPO / "agentops.yaml", required=True)
    form = (REPO / ".github" / "ISSUE_TEMPLATE" / "agent-task.yml").read_text()
    assert form == render_agent_task_form([a.name for a in cfg.agents])
    assert "state/**/*.json merge=agentops" in (REPO / ".gitattributes").read_text()
    assert (REPO / "state" / ".gitignore").exists()


def test_templates_are_package_data() -> None:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "templates/**/*" in cfg["tool"]["setuptools"]["package-data"]["agentops"]
    assert (templates_root() / "agentops.yaml").is_file()
