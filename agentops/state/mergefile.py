"""The git merge driver's body: merge three versions of one document file into OURS.

git runs `agentops state merge %O %A %B %P` for paths with `merge=agentops`. An empty
file is how git hands over a side that does not exist (e.g. BASE of an add/add), so it
reads as an empty document; anything unreadable raises StateError (exit 2), which git
reports as a conflict while keeping both sides intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentops.errors import StateError
from agentops.state import schema
from agentops.state.atomicio import atomic_write_bytes
from agentops.state.merge import merge


@dataclass(frozen=True)
class MergeResult:
    kind: str
    path: str
    records: int
    from_ours: int
    from_theirs: int


def _read(path: Path, label: str) -> tuple[str | None, schema.Records]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StateError(str(path), f"{label}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        return None, {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StateError(str(path), f"{label}: not UTF-8 text") from None
    kind, records = schema.decode(text, where=f"{path} ({label})", kind=None)
    return kind or None, records


def kind_from_path(repo_path: str | None) -> str | None:
    """`state/orchestrator/task-queue.json` -> `orchestrator/task-queue` (for old files without a kind)."""
    if not repo_path:
        return None
    p = repo_path.replace("\\", "/")
    if p.endswith(".json"):
        p = p[: -len(".json")]
    marker = "state/"
    idx = p.rfind(marker) if p.startswith(marker) or f"/{marker}" in p else -1
    if idx >= 0:
        p = p[idx + len(marker):]
    return p or None


def merge_files(base: Path, ours: Path, theirs: Path, repo_path: str | None = None) -> MergeResult:
    k_base, r_base = _read(base, "base")
    k_ours, r_ours = _read(ours, "ours")
    k_theirs, r_theirs = _read(theirs, "theirs")
    kinds = {k for k in (k_ours, k_theirs, k_base) if k}
    if len(kinds) > 1:
        raise StateError(str(ours), f"the versions disagree on the document kind: {sorted(kinds)}")
    kind = next(iter(kinds), None) or kind_from_path(repo_path) or ""
    merged = merge(r_base, r_ours, r_theirs)
    atomic_write_bytes(ours, schema.encode(kind, merged))
    from_theirs = sum(1 for k, v in merged.items() if r_theirs.get(k) == v and r_ours.get(k) != v)
    return MergeResult(kind=kind, path=repo_path or str(ours), records=len(merged),
                       from_ours=len(merged) - from_theirs, from_theirs=from_theirs)
