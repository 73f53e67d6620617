"""What the workflows `init` writes need from the repository settings: secrets and variables, each with
the exact `gh` command that sets it. Pure: the CLI prints the commands; `init --check` marks each one
set or missing from the names GitHub lists (values are never read: GitHub does not return them).

A secret's command carries no value: `gh secret set NAME` prompts for it, so it never lands in a
shell history or a process list.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from dataclasses import dataclass

SECRET, VARIABLE = "secret", "variable"
SET, MISSING, UNKNOWN = "set", "missing", "unknown"

# The workflows' own defaults (agentops/templates/workflows): a variable is needed only to change them.
DEFAULT_AGENT = "claude"
DEFAULT_DEPLOY_ENV = "production"
KEY_FOR_BACKEND = {"claude": "ANTHROPIC_API_KEY", "codex": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class Requirement:
    kind: str  # secret | variable
    name: str
    required: bool
    why: str
    value: str | None = None  # a variable's value to set

    def command(self, repo: str | None) -> str:
        where = f" --repo {shlex.quote(repo)}" if repo else ""
        if self.kind == SECRET:
            return f"gh secret set {self.name}{where}"
        return f"gh variable set {self.name}{where} --body {shlex.quote(self.value or '')}"


@dataclass(frozen=True)
class NextStep:
    requirement: Requirement
    command: str
    status: str = UNKNOWN  # set | missing | unknown (not checked, or the token cannot list the names)


def requirements(*, agents: Sequence[tuple[str, str]], environments: Collection[str], dist_spec: str) -> list[Requirement]:
    """`agents`: (name, backend) from agentops.yaml; `environments`: its environment names."""
    reqs = [Requirement(SECRET, "AGENTOPS_TOKEN", True, "a fine-grained PAT or GitHub App token: pushes and PRs "
                        "made with the workflow's GITHUB_TOKEN start no CI, and it cannot read Dependabot alerts")]
    names = [n for n, _b in agents]
    code_agent = DEFAULT_AGENT if not names or DEFAULT_AGENT in names else names[0]
    if code_agent != DEFAULT_AGENT:
        reqs.append(Requirement(VARIABLE, "AGENTOPS_AGENT", True, f"the code workflow runs the agent named "
                                f"{DEFAULT_AGENT!r} unless told otherwise; agentops.yaml has no such agent",
                                code_agent))
    backends = {b for _n, b in agents} or {DEFAULT_AGENT}
    for backend in sorted(backends):
        key = KEY_FOR_BACKEND.get(backend)
        if key:
            used = backend == dict(agents).get(code_agent, DEFAULT_AGENT)
            reqs.append(Requirement(SECRET, key, used, f"the {backend} coding agent's API key"
                                    + ("" if used else " (for agents other than the default one)")))
    if environments and DEFAULT_DEPLOY_ENV not in environments:
        first = sorted(environments)[0]
        reqs.append(Requirement(VARIABLE, "AGENTOPS_DEPLOY_ENV", True, f"the deploy workflow deploys to "
                                f"{DEFAULT_DEPLOY_ENV!r} unless told otherwise; agentops.yaml has no such "
                                "environment", first))
    reqs.append(Requirement(VARIABLE, "AGENTOPS_PIP_SPEC", False, f"only to install agentops from elsewhere "
                            f"than {dist_spec} (a git URL, a wheel)", dist_spec))
    return reqs


def steps(reqs: Sequence[Requirement], repo: str | None, *, secrets: Collection[str] | None = None,
          variables: Collection[str] | None = None) -> tuple[NextStep, ...]:
    """Each requirement with its command; with the listed names, whether it is set (None = not known)."""
    out = []
    for r in reqs:
        names = secrets if r.kind == SECRET else variables
        status = UNKNOWN if names is None else (SET if r.name in names else MISSING)
        out.append(NextStep(r, r.command(repo), status))
    return tuple(out)
