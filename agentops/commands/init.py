"""`agentops init`: adopt agentops in a repository.

Writes the starter agentops.yaml, the state/ skeleton, the state merge attributes, the
work-order issue form, the workflows and the per-role dev containers; registers the state
merge driver; creates the labels on GitHub. Every step compares before it writes, so a
second run reports "unchanged" everywhere. A file that differs from what init would write
is never overwritten without `force`: it is reported as a conflict with a unified diff
(the CLI exits 1, "work not done"), while every other file is still brought up to date.

The canonical templates are package data under agentops/templates/ (so a wheel or the
single-file .pyz carries them); the agentops repository's own devcontainers/ and
.github/workflows/ are byte-identical copies (scripts/sync_templates.py keeps them so).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from agentops.context import Context, parse_repo, repo_from_remote_url
from agentops.domain.nextsteps import SET, NextStep
from agentops.errors import AuthMissing, BadInput, Forbidden, NotFound

if TYPE_CHECKING:
    from agentops.settings import Config

# Where each template folder lands in a target repository. Codespaces only finds
# `.devcontainer/<folder>/devcontainer.json` one level deep, hence `.devcontainer/<role>/`.
TEMPLATE_TARGETS: tuple[tuple[str, str], ...] = (
    ("workflows", ".github/workflows"),
    ("actions", ".github/actions"),
    # The coding-agent CLIs the code workflow installs with `npm ci`: a lockfile pins every package
    # and its integrity hash (an ad-hoc `npm install pkg@v` would resolve the dependencies afresh).
    ("agent-clis", ".github/agentops/agent-clis"),
    ("devcontainers", ".devcontainer"),
)
CONFIG_FILE = "agentops.yaml"
ISSUE_FORM = ".github/ISSUE_TEMPLATE/agent-task.yml"
# Created once, then the user's: init never compares or rewrites these.
STATE_SKELETON: tuple[tuple[str, str], ...] = (
    ("state/.gitignore", "*.lock\n*.tmp\n"),
    ("state/logs/.gitkeep", ""),
)

CREATED, UPDATED, UNCHANGED, CONFLICT, KEPT = "created", "updated", "unchanged", "conflict", "kept"


@dataclass(frozen=True)
class InitOptions:
    path: str | None = None
    force: bool = False
    dry_run: bool = False
    labels: bool = True
    repo: str | None = None
    # Verify the secrets and variables the workflows need on GitHub (writes nothing; exit 1 when one
    # that is required is missing or cannot be checked).
    check: bool = False
    tick_every: int | None = None  # minutes between tick runs (None: keep the current choice)


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the target, POSIX
    action: str  # created | updated | unchanged | conflict | kept
    diff: str = ""


@dataclass(frozen=True)
class LabelsOutcome:
    repo: str | None = None
    created: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()
    skipped: str | None = None  # why labels were not touched


@dataclass(frozen=True)
class InitResult:
    root: str
    dry_run: bool
    files: tuple[FileChange, ...] = ()
    merge_driver: str = "skipped"  # registered | unchanged | skipped
    merge_driver_note: str = ""
    labels: LabelsOutcome = field(default_factory=LabelsOutcome)
    next_steps: tuple[NextStep, ...] = ()
    next_steps_note: str = ""  # why the steps were not (fully) checked

    @property
    def unmet(self) -> tuple[NextStep, ...]:
        """Required settings --check found missing or could not see."""
        return tuple(s for s in self.next_steps if s.requirement.required and s.status != SET)

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.action == CONFLICT)

    @property
    def changed(self) -> bool:
        return (any(f.action in (CREATED, UPDATED) for f in self.files) or self.merge_driver == "registered"
                or bool(self.labels.created))


def templates_root() -> Traversable:
    return resources.files("agentops") / "templates"


def template_files() -> Iterator[tuple[str, bytes]]:
    """(target path, content) for every workflow and dev container template."""
    root = templates_root()
    for folder, target in TEMPLATE_TARGETS:
        yield from _walk(root / folder, target)


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name.startswith(".") or child.name == "__pycache__":
            continue
        rel = f"{prefix}/{child.name}"
        if child.is_dir():
            yield from _walk(child, rel)
        else:
            yield rel, child.read_bytes()


def starter_config() -> bytes:
    return (templates_root() / CONFIG_FILE).read_bytes()


def run(options: InitOptions, ctx: Context) -> InitResult:
    if options.tick_every is not None:  # bad input is refused before anything is written
        from agentops.domain.cadence import CRONS

        if options.tick_every not in CRONS:
            raise BadInput(f"--tick-every: {options.tick_every} is not one of {', '.join(map(str, CRONS))} "
                           "(minutes)")
    if options.check:
        from dataclasses import replace

        options = replace(options, dry_run=True)  # a check writes nothing
    root = Path(options.path) if options.path else ctx.cwd
    root = root if root.is_absolute() else ctx.cwd / root
    if root.exists() and not root.is_dir():
        raise BadInput(f"--path: {root} is not a folder")
    if not root.exists() and not options.dry_run:
        root.mkdir(parents=True)

    files: list[FileChange] = []
    # The user's: written once.
    files.append(_create_only(root, CONFIG_FILE, starter_config(), options.dry_run))
    for rel, text in STATE_SKELETON:
        files.append(_create_only(root, rel, text.encode(), options.dry_run))
    files.append(_gitattributes(root, options.dry_run))
    # Ours: kept identical to what this agentops version writes.
    agents = _agent_names(root, ctx)
    from agentops.domain.workorder import render_agent_task_form

    form = render_agent_task_form(agents).encode()
    files.append(_managed(root, ISSUE_FORM, form, options, ours=_generated_form(_read(root / ISSUE_FORM))))
    for rel, content in template_files():
        ours = False
        if rel == TICK_WORKFLOW:
            content, ours = _tick_cadence(root, content, options)
        files.append(_managed(root, rel, content, options, ours=ours))

    driver, note = _merge_driver(root, options.dry_run)
    labels = _labels(root, options, ctx)
    steps, steps_note = _next_steps(root, options, ctx, labels.repo)
    return InitResult(root=str(root), dry_run=options.dry_run, files=tuple(files), merge_driver=driver,
                      merge_driver_note=note, labels=labels, next_steps=steps, next_steps_note=steps_note)


# -- files -------------------------------------------------------------------------------
def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write(path: Path, content: bytes) -> None:
    from agentops.state.atomicio import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, content)


def _create_only(root: Path, rel: str, content: bytes, dry_run: bool) -> FileChange:
    current = _read(root / rel)
    if current is None:
        if not dry_run:
            _write(root / rel, content)
        return FileChange(rel, CREATED)
    return FileChange(rel, UNCHANGED if current == content else KEPT)


def _managed(root: Path, rel: str, content: bytes, options: InitOptions, *, ours: bool = False) -> FileChange:
    """`ours`: the current file is exactly what some run of init wrote, so updating it
    loses no edit of the user's (and needs no --force)."""
    path = root / rel
    current = _read(path)
    if current == content:
        return FileChange(rel, UNCHANGED)
    if current is None:
        if not options.dry_run:
            _write(path, content)
        return FileChange(rel, CREATED)
    diff = unified_diff(rel, current, content)
    if not options.force and not ours:
        return FileChange(rel, CONFLICT, diff)
    if not options.dry_run:
        _write(path, content)
    return FileChange(rel, UPDATED, diff)


TICK_WORKFLOW = ".github/workflows/agentops-tick.yml"


def _tick_cadence(root: Path, template: bytes, options: InitOptions) -> tuple[bytes, bool]:
    """The tick workflow with the cadence asked for, and whether the current file is one init wrote
    (the template with some cadence: replacing it loses no edit). Without --tick-every the cadence an
    earlier init wrote is kept, so re-running init is no conflict."""
    from agentops.domain.cadence import cron_for, cron_of, with_cron

    text = template.decode("utf-8")
    current = _read(root / TICK_WORKFLOW)
    chosen = cron_of(current.decode("utf-8", errors="replace")) if current else None
    ours = bool(chosen) and current == with_cron(text, chosen or "").encode("utf-8")
    if options.tick_every is not None:
        return with_cron(text, cron_for(options.tick_every)).encode("utf-8"), ours
    if ours and current is not None:
        return current, True
    return template, False


def _generated_form(current: bytes | None) -> bool:
    """The issue form as init rendered it for some agent list: agentops.yaml's comment tells
    users to re-run init after changing agents, which must not then need --force."""
    if current is None:
        return False
    import yaml

    from agentops.domain.workorder import ANY_AGENT, render_agent_task_form

    try:
        doc = yaml.safe_load(current.decode("utf-8"))
        field = next(f for f in doc["body"] if isinstance(f, dict) and f.get("id") == "agent")
        names = [str(o) for o in field["attributes"]["options"] if str(o) != ANY_AGENT]
    except (yaml.YAMLError, UnicodeDecodeError, TypeError, KeyError, StopIteration):
        return False
    return render_agent_task_form(names).encode() == current


def unified_diff(rel: str, old: bytes, new: bytes) -> str:
    """Yours (a/) against what init would write (b/)."""
    a = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    b = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{rel}", tofile=f"b/{rel}")
    return "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)


def _gitattributes(root: Path, dry_run: bool) -> FileChange:
    from agentops.git.sync import attribute_lines, ensure_gitattributes

    rel = ".gitattributes"
    existed = (root / rel).exists()
    if dry_run:
        text = (root / rel).read_text(encoding="utf-8") if existed else ""
        have = {ln.strip() for ln in text.splitlines()}
        missing = [ln for ln in attribute_lines() if ln not in have]
        return FileChange(rel, UNCHANGED if not missing else (UPDATED if existed else CREATED))
    if not ensure_gitattributes(root):
        return FileChange(rel, UNCHANGED)
    return FileChange(rel, UPDATED if existed else CREATED)


def _agent_names(root: Path, ctx: Context) -> list[str]:
    """Agents for the issue form: the target's agentops.yaml (as written by now), else the starter's."""
    return [a.name for a in _target_config(root, ctx).agents]


# -- git ---------------------------------------------------------------------------------
def _merge_driver(root: Path, dry_run: bool) -> tuple[str, str]:
    if not (root / ".git").exists():
        return "skipped", f"{root} is not a git repository: run `agentops state merge-driver install` after `git init`"
    from agentops.git import open_repo, try_run
    from agentops.git.sync import DRIVER_NAME, driver_command, register_merge_driver

    status, current, _ = try_run(open_repo(root), "config", "--local", f"merge.{DRIVER_NAME}.driver")
    wanted = driver_command()
    if status == 0 and current == wanted:
        return "unchanged", wanted
    if dry_run:
        return "registered", f"would register: {wanted}"
    return "registered", register_merge_driver(root)


# -- labels ------------------------------------------------------------------------------
def _has_token(ctx: Context) -> bool:
    env = ctx.env
    return bool(ctx.github_override is not None or env.get("GH_TOKEN") or env.get("GITHUB_TOKEN")
                or env.get("AGENTOPS_APP_ID"))


def _target_repo(root: Path, options: InitOptions, ctx: Context) -> str | None:
    if options.repo:
        return parse_repo(options.repo)
    if ctx.env.get("GITHUB_REPOSITORY"):
        return parse_repo(ctx.env["GITHUB_REPOSITORY"], source="GITHUB_REPOSITORY")
    if not (root / ".git").exists():
        return None
    from agentops.git import origin_url

    url = origin_url(root)
    return repo_from_remote_url(url) if url else None


def _labels(root: Path, options: InitOptions, ctx: Context) -> LabelsOutcome:
    if not options.labels:
        return LabelsOutcome(skipped="--no-labels")
    if not _has_token(ctx):
        return LabelsOutcome(skipped="no GitHub token: set GH_TOKEN and run `agentops init` again to create the labels")
    repo = _target_repo(root, options, ctx)
    if repo is None:
        return LabelsOutcome(skipped="no repository: pass --repo OWNER/NAME or add a GitHub `origin` remote")
    from agentops.domain.labels import label_set

    approval = ctx.config.claims.approval_label if ctx.config_override is not None else _approval_label(root, ctx)
    gh = ctx.github
    have = {name.casefold() for name in gh.list_labels(repo)}
    created: list[str] = []
    existing: list[str] = []
    specs = label_set(approval)
    with ctx.output.progress(f"labels on {repo}", total=len(specs)) as tick:
        for spec in specs:
            tick.advance(description=f"label {spec.name}")
            if spec.name.casefold() in have:
                existing.append(spec.name)
            elif options.dry_run:
                created.append(spec.name)
            else:
                try:
                    made = gh.ensure_label(repo, spec.name, color=spec.color, description=spec.description)
                except Forbidden as exc:
                    # The files are still worth having; a maintainer can run init again.
                    return LabelsOutcome(repo=repo, created=tuple(created), existing=tuple(existing),
                                         skipped=f"the token may not create labels in {repo} ({exc.message}); "
                                         "run `agentops init` again with a maintainer's token")
                (created if made else existing).append(spec.name)
    return LabelsOutcome(repo=repo, created=tuple(created), existing=tuple(existing))


# -- next steps: the repository settings the workflows need ------------------------------------
def _next_steps(root: Path, options: InitOptions, ctx: Context, repo: str | None) -> tuple[tuple[NextStep, ...], str]:
    from agentops import DIST_NAME, __version__
    from agentops.domain.nextsteps import requirements, steps

    cfg = _target_config(root, ctx)
    reqs = requirements(agents=[(a.name, a.backend) for a in cfg.agents], environments=list(cfg.environments),
                        dist_spec=f"{DIST_NAME}=={__version__}")
    repo = repo or _target_repo(root, options, ctx)
    if not options.check:
        return steps(reqs, repo), ""
    if repo is None:
        raise BadInput("--check: no repository", hint="pass --repo OWNER/NAME or add a GitHub `origin` remote")
    if not _has_token(ctx):
        raise AuthMissing(hint="--check reads the names of the repository's secrets: set GH_TOKEN")
    gh = ctx.github
    from agentops.domain.nextsteps import ENVIRONMENT, exposed

    wanted = [r.name for r in reqs if r.kind == ENVIRONMENT]
    try:
        with ctx.output.progress(f"checking the environments, secrets and variables of {repo}",
                                 total=3 + len(wanted)) as tick:
            secrets = set(gh.list_secret_names(repo))
            tick.advance()
            variables = set(gh.list_variable_names(repo))
            tick.advance()
            have = set(gh.list_environment_names(repo))
            tick.advance()
            environments: dict[str, set[str]] = {}
            for name in wanted:
                if name in have:
                    environments[name] = set(gh.list_environment_secret_names(repo, name))
                tick.advance()
    except (Forbidden, NotFound) as exc:
        return steps(reqs, repo), (f"this token cannot list the secrets of {repo} ({exc.message}): it needs "
                                   "admin access, or the fine-grained permissions Secrets and Variables: read")
    loose = exposed(reqs, secrets)
    note = ("" if not loose else "also repository secrets, which every job of every workflow can read: "
            + ", ".join(loose) + " (keep them in their environment only: "
            + "; ".join(f"gh secret delete {n} --repo {repo}" for n in loose) + ")")
    return steps(reqs, repo, secrets=secrets, variables=variables, environments=environments), note


def _target_config(root: Path, ctx: Context) -> Config:
    from agentops.config import load_config, parse_config

    path = Path(ctx.config_path) if ctx.config_path else root / CONFIG_FILE
    return load_config(path, required=True) if path.exists() else \
        parse_config(starter_config().decode("utf-8"), CONFIG_FILE)


def _approval_label(root: Path, ctx: Context) -> str:
    from agentops.config import load_config

    path = Path(ctx.config_path) if ctx.config_path else root / CONFIG_FILE
    return load_config(path).claims.approval_label if path.exists() else "agentops:approved"
