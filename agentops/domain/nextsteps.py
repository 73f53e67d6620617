"""What the workflows `init` writes need from the repository settings: two GitHub environments, the
secrets inside them, and variables, each with the exact `gh` command that sets it. Pure: the CLI prints the commands; `init --check` marks each one
set or missing from the names GitHub lists (values are never read: GitHub does not return them).

A secret's command carries no value: `gh secret set NAME` prompts for it, so it never lands in a
shell history or a process list.

Secrets are environment secrets: a job reads them only when it names the environment, so the
read-only agent jobs (environment `agentops`) hold the model keys and nothing else, and only the jobs
that write (environment `agentops-publish`) hold AGENTOPS_TOKEN.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

SECRET, VARIABLE, ENVIRONMENT = "secret", "variable", "environment"
AGENT_ENV = "agentops"  # the read-only jobs that run an agent: the model keys only
PUBLISH_ENV = "agentops-publish"  # the jobs that write: AGENTOPS_TOKEN
SET, MISSING, UNKNOWN = "set", "missing", "unknown"

# The workflows' own defaults (agentops/templates/workflows): a variable is needed only to change them.
DEFAULT_AGENT = "claude"
DEFAULT_DEPLOY_ENV = "production"
_CURRENT_REPO = "{owner}/{repo}"
KEY_FOR_BACKEND = {"claude": "ANTHROPIC_API_KEY", "codex": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class Requirement:
    kind: str  # environment | secret | variable
    name: str
    required: bool
    why: str
    value: str | None = None  # a variable's value to set
    environment: str | None = None  # a secret's environment

    def command(self, repo: str | None) -> str:
        where = f" --repo {shlex.quote(repo)}" if repo else ""
        if self.kind == ENVIRONMENT:
            # gh fills {owner}/{repo} from the current repository when none is named.
            path = f"repos/{repo or _CURRENT_REPO}/environments/{self.name}"
            return f"gh api --method PUT {shlex.quote(path)}"
        if self.kind == SECRET:
            env = f" --env {shlex.quote(self.environment)}" if self.environment else ""
            return f"gh secret set {self.name}{env}{where}"
        return f"gh variable set {self.name}{where} --body {shlex.quote(self.value or '')}"


@dataclass(frozen=True)
class NextStep:
    requirement: Requirement
    command: str
    status: str = UNKNOWN  # set | missing | unknown (not checked, or the token cannot list the names)


def requirements(*, agents: Sequence[tuple[str, str]], environments: Collection[str], dist_spec: str) -> list[Requirement]:
    """`agents`: (name, backend) from agentops.yaml; `environments`: its environment names."""
    reqs = [Requirement(ENVIRONMENT, PUBLISH_ENV, True, "the jobs that write (claim, publish, event router, tick, "
                        "scout, report) run in it: only they can read AGENTOPS_TOKEN"),
            Requirement(ENVIRONMENT, AGENT_ENV, True, "the read-only jobs that run an agent run in it: they can "
                        "read the model keys and no write token"),
            Requirement(SECRET, "AGENTOPS_TOKEN", True, "a fine-grained PAT or GitHub App token: pushes and PRs "
                        "made with the workflow's GITHUB_TOKEN start no CI, and it cannot read Dependabot alerts",
                        environment=PUBLISH_ENV)]
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
                                    + ("" if used else " (for agents other than the default one)"),
                                    environment=AGENT_ENV))
    if environments and DEFAULT_DEPLOY_ENV not in environments:
        first = sorted(environments)[0]
        reqs.append(Requirement(VARIABLE, "AGENTOPS_DEPLOY_ENV", True, f"the deploy workflow deploys to "
                                f"{DEFAULT_DEPLOY_ENV!r} unless told otherwise; agentops.yaml has no such "
                                "environment", first))
    reqs.append(Requirement(VARIABLE, "AGENTOPS_PIP_SPEC", False, f"only to install agentops from elsewhere "
                            f"than {dist_spec} (a git URL, a wheel)", dist_spec))
    return reqs


def steps(reqs: Sequence[Requirement], repo: str | None, *, secrets: Collection[str] | None = None,
          variables: Collection[str] | None = None, environments: Mapping[str, Collection[str]] | None = None
          ) -> tuple[NextStep, ...]:
    """Each requirement with its command; with the listed names, whether it is set (None = not known).
    `environments`: each environment's secret names. An environment's secret counts only inside it:
    a repository secret of the same name is readable by every job, which is what the environment is for."""
    out = []
    for r in reqs:
        if r.kind == ENVIRONMENT:
            status = UNKNOWN if environments is None else (SET if r.name in environments else MISSING)
        elif r.kind == SECRET and r.environment:
            names = None if environments is None else environments.get(r.environment, ())
            status = UNKNOWN if names is None else (SET if r.name in names else MISSING)
        else:
            names = secrets if r.kind == SECRET else variables
            status = UNKNOWN if names is None else (SET if r.name in names else MISSING)
        out.append(NextStep(r, r.command(repo), status))
    return tuple(out)


def exposed(reqs: Sequence[Requirement], secrets: Collection[str]) -> list[str]:
    """Secrets that belong in an environment but are (also) repository secrets: any job can read those."""
    return [r.name for r in reqs if r.kind == SECRET and r.environment and r.name in secrets]
