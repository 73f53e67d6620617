"""Import direction: typed config values live apart from the YAML loader.

Domain code and everything below the commands import `agentops.settings`; only the context (which
loads the file) and `init` (which validates what it writes) may import the loader `agentops.config`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "agentops"
# Modules whose job is to read agentops.yaml from disk.
LOADER_USERS = {"context.py", "commands/init.py", "config.py"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_only_loading_modules_import_the_yaml_loader() -> None:
    offenders = sorted(
        str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
        if str(p.relative_to(PKG)) not in LOADER_USERS and "agentops.config" in _imported_modules(p)
    )
    assert offenders == []


def test_settings_and_domain_do_not_import_the_loader() -> None:
    for path in [PKG / "settings.py", *sorted((PKG / "domain").glob("*.py"))]:
        assert "agentops.config" not in _imported_modules(path), path
    # settings is the bottom layer: it imports nothing from agentops.
    assert not {m for m in _imported_modules(PKG / "settings.py") if m.startswith("agentops")}
