"""The outgoing-diff checks: before any push, every commit the remote does not have is read from the
publish mirror (message, author and committer, and every file it adds or changes, binary files
included) and scanned for secrets (agentops.domain.secretscan), and none may touch a file that runs
with the repository's credentials.

The agent chooses what it commits, so the scan is bounded: a file over MAX_FILE_BYTES, or more than
MAX_TOTAL_BYTES in all, is not read but reported as a finding ("too large to scan"), which refuses
the push like a secret would: what was not scanned is never pushed. Files are read a few at a
time, never all at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentops.domain.secretscan import Hit, Needle, scan
from agentops.git.mirror import Mirror

_SUBMODULE = "160000"
MAX_FILE_BYTES = 50 * 1024 * 1024  # GitHub itself warns above 50 MiB and refuses above 100 MiB
MAX_TOTAL_BYTES = 512 * 1024 * 1024
_BATCH_BYTES = 64 * 1024 * 1024
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
    budget = MAX_TOTAL_BYTES
    for commit, raw in zip(commits, mirror.cat_objects(commits), strict=True):
        hits += scan(f"commit {commit[:12]} (message and identity)", raw, wanted)
        blobs = [(path, sha) for path, sha, mode in mirror.changed_blobs(commit) if mode != _SUBMODULE]
        sizes = mirror.object_sizes([sha for _p, sha in blobs])
        readable: list[tuple[str, str, int]] = []
        for (path, sha), size in zip(blobs, sizes, strict=True):
            if size > MAX_FILE_BYTES:
                hits.append(Hit(path, f"file too large to scan for secrets ({size} bytes, limit {MAX_FILE_BYTES})"))
            elif size > budget:
                hits.append(Hit(path, f"outgoing commits too large to scan for secrets (over {MAX_TOTAL_BYTES} bytes)"))
            else:
                budget -= size
                readable.append((path, sha, size))
        for batch in _batches(readable):
            for (path, _sha, _size), data in zip(batch, mirror.cat_objects([sha for _p, sha, _s in batch]),
                                                 strict=True):
                hits += scan(path, data, wanted)
    unique: dict[tuple[str, str], Hit] = {(h.where, h.kind): h for h in hits}
    return list(unique.values())


def _batches(items: list[tuple[str, str, int]]) -> list[list[tuple[str, str, int]]]:
    out: list[list[tuple[str, str, int]]] = []
    size = 0
    for item in items:
        if not out or size + item[2] > _BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(item)
        size += item[2]
    return out
