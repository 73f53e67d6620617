"""The outgoing-diff checks: before any push, every commit the remote does not have is read from the
publish mirror (message, author and committer, and every file it adds or changes, binary files
included) and scanned for secrets (agentops.domain.secretscan), and none may touch a file that runs
with the repository's credentials."""

from __future__ import annotations

from collections.abc import Sequence

from agentops.domain.secretscan import Hit, Needle, scan
from agentops.git.mirror import Mirror

_SUBMODULE = "160000"
# Files that run outside any sandbox, with the repository's credentials: Actions workflows (on a
# pull request GitHub runs the PR's own copy, write token included), the actions they use, the
# lockfile the agent jobs install from, dev containers (Codespaces runs their commands with the
# user's secrets) and a root composite action. An agent's change to one waits for a human.
PROTECTED_PREFIXES = (".github/workflows/", ".github/actions/", ".github/agentops/", ".devcontainer/")
PROTECTED_FILES = (".devcontainer.json", "action.yml", "action.yaml")
PROTECTED_KIND = "runs with the repository's credentials (workflow, action or dev container): a human makes this change"


def protected_changes(mirror: Mirror, head: str) -> list[Hit]:
    """Outgoing changes to files that run with credentials, one hit per path."""
    paths = {p for commit in mirror.outgoing(head) for p in mirror.changed_paths(commit)}
    return [Hit(p, PROTECTED_KIND) for p in sorted(paths)
            if p.startswith(PROTECTED_PREFIXES) or p in PROTECTED_FILES]


def scan_outgoing(mirror: Mirror, head: str, wanted: Sequence[Needle]) -> list[Hit]:
    hits: list[Hit] = []
    commits = mirror.outgoing(head)
    for commit, raw in zip(commits, mirror.cat_objects(commits), strict=True):
        hits += scan(f"commit {commit[:12]} (message and identity)", raw, wanted)
        blobs = [(path, sha) for path, sha, mode in mirror.changed_blobs(commit) if mode != _SUBMODULE]
        for (path, _sha), data in zip(blobs, mirror.cat_objects([sha for _p, sha in blobs]), strict=True):
            hits += scan(path, data, wanted)
    unique: dict[tuple[str, str], Hit] = {(h.where, h.kind): h for h in hits}
    return list(unique.values())
