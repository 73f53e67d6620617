"""The outgoing-diff secret scan: before any push, every commit the remote does not have is read
from the publish mirror (message, author and committer, and every file it adds or changes,
binary files included) and scanned for secrets (agentops.domain.secretscan)."""

from __future__ import annotations

from collections.abc import Sequence

from agentops.domain.secretscan import Hit, Needle, scan
from agentops.git.mirror import Mirror

_SUBMODULE = "160000"


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
