"""Local checkout mode: pip-audit and npm audit, when installed and when the checkout has
something for them to read, run through agentops.proc; their JSON becomes findings (one
per vulnerable package). Parsing is pure (`parse_pip_audit`, `parse_npm_audit`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentops import proc
from agentops.domain.scout import SEVERITIES, Finding, inline
from agentops.scout.checks.base import CheckContext, Outcome
from agentops.scout.snapshot import RepoInputs

NAME = "local"
NEEDS: tuple[str, ...] = ()
TIMEOUT_S = 600.0
_NPM_SEVERITY = {"info": "low", "low": "low", "moderate": "medium", "high": "high", "critical": "critical"}


def _first_json(text: str) -> Any:
    """The first JSON document in the output (warnings may come before it on stderr)."""
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                return decoder.raw_decode(text[i:])[0]
            except ValueError:
                continue
    raise ValueError("no JSON document in the output")


def parse_pip_audit(data: Any, repo: str) -> list[Finding]:
    deps = data.get("dependencies", []) if isinstance(data, Mapping) else data
    findings = []
    for dep in deps if isinstance(deps, list) else []:
        if not isinstance(dep, Mapping) or not dep.get("vulns"):
            continue
        name, version = str(dep.get("name") or ""), str(dep.get("version") or "")
        vulns = [v for v in dep["vulns"] if isinstance(v, Mapping)]
        ids = sorted(str(v.get("id") or "") for v in vulns)
        fixes = sorted({str(x) for v in vulns for x in v.get("fix_versions") or ()})
        findings.append(Finding(
            repo=repo, check=NAME, subject=f"pip:{name.lower()}", severity="high",
            title=f"pip-audit: {inline(name, 80)} {inline(version, 40)} has {len(ids)} known vulnerabilit"
                  f"{'y' if len(ids) == 1 else 'ies'}",
            details=tuple(f"{inline(v.get('id') or '', 40)}: {inline(v.get('description') or '', 160)}"
                          for v in vulns),
            fixable=True,
            steps=(f"Upgrade {inline(name, 80)} to a fixed version ({', '.join(fixes) or 'see the advisories'})",),
            acceptance=(f"pip-audit reports no vulnerability for {inline(name, 80)}",),
            data={"version": version, "ids": ids, "fix_versions": fixes}))
    return findings


def parse_npm_audit(data: Any, repo: str) -> list[Finding]:
    vulns = data.get("vulnerabilities") if isinstance(data, Mapping) else None
    findings = []
    for name, v in sorted((vulns or {}).items()):
        if not isinstance(v, Mapping):
            continue
        severity = _NPM_SEVERITY.get(str(v.get("severity") or ""), "medium")
        via = [x.get("title") if isinstance(x, Mapping) else str(x) for x in v.get("via") or ()]
        findings.append(Finding(
            repo=repo, check=NAME, subject=f"npm:{name}", severity=severity if severity in SEVERITIES else "medium",
            title=f"npm audit: {inline(name, 80)} is vulnerable ({severity})",
            details=tuple(inline(x or "", 160) for x in via if x) or (f"range {inline(v.get('range') or '', 60)}",),
            fixable=True,
            steps=(f"Upgrade {inline(name, 80)} (or the package that pulls it in) to a fixed version",),
            acceptance=(f"npm audit reports no vulnerability for {inline(name, 80)}",),
            data={"range": str(v.get("range") or "")}))
    return findings


def _commands(path: Path) -> list[tuple[str, list[str]]]:
    plans: list[tuple[str, list[str]]] = []
    if shutil.which("pip-audit"):
        if (path / "requirements.txt").is_file():
            plans.append(("pip-audit", ["pip-audit", "--format", "json", "--progress-spinner", "off",
                                        "--requirement", "requirements.txt"]))
        elif (path / "pyproject.toml").is_file():
            plans.append(("pip-audit", ["pip-audit", "--format", "json", "--progress-spinner", "off", "."]))
    if shutil.which("npm") and (path / "package-lock.json").is_file():
        plans.append(("npm", ["npm", "audit", "--json"]))
    return plans


def run_tools(path: Path, repo: str, env: Mapping[str, str]) -> Outcome:
    if not path.is_dir():
        return Outcome(ok=False, note=f"local: {path} is not a directory")
    plans = _commands(path)
    if not plans:
        return Outcome(note="local: neither pip-audit (with requirements.txt/pyproject.toml) nor npm "
                            "(with package-lock.json) applies here")
    findings: list[Finding] = []
    notes: list[str] = []
    ok = True
    for tool, argv in plans:
        res = proc.run(argv, cwd=path, env=proc.scrub_env(env), timeout=TIMEOUT_S)
        if res.error or res.timed_out:
            ok = False
            notes.append(f"{tool}: {res.error or 'timed out'}")
            continue
        try:
            data = _first_json(res.output)
        except ValueError:
            ok = False
            notes.append(f"{tool}: exit {res.returncode}, no JSON report: {inline(res.tail(3), 200)}")
            continue
        findings += parse_pip_audit(data, repo) if tool == "pip-audit" else parse_npm_audit(data, repo)
        notes.append(f"{tool}: ran")
    return Outcome(tuple(findings), ok=ok, note="local: " + "; ".join(notes))


def evaluate(inputs: RepoInputs, cctx: CheckContext, env: Mapping[str, str] | None = None) -> Outcome:
    if cctx.local_path is None:
        return Outcome(note="local: no --local PATH given")
    return run_tools(cctx.local_path, inputs.repo, env or {})

