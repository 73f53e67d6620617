#!/usr/bin/env python3
"""Keep this repository's own adoption files byte-identical to the packaged templates.

agentops/templates/ is canonical (package data: what `agentops init` writes elsewhere).
This copies it to devcontainers/<role>/ (the design card's top-level folder),
.devcontainer/<role>/ (where Codespaces looks) and .github/workflows/.

    python scripts/sync_templates.py          # copy
    python scripts/sync_templates.py --check  # exit 1 listing the files that differ
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentops.commands.init import template_files  # noqa: E402


def expected() -> dict[Path, bytes]:
    files: dict[Path, bytes] = {}
    for rel, content in template_files():
        files[ROOT / rel] = content
        if rel.startswith(".devcontainer/"):
            files[ROOT / "devcontainers" / rel.removeprefix(".devcontainer/")] = content
        if rel == ".github/actions/agentops/action.yml":
            files[ROOT / "action.yml"] = content  # the published action (`uses: OWNER/agentops@vX`)
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = [p for p, content in expected().items() if not p.exists() or p.read_bytes() != content]
    if check:
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(expected()[p])
        print(f"wrote {p.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
