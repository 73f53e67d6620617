"""The root group lists commands from a table and imports a command's module only to run it.
These tests keep that table honest and prove the laziness, without timing anything."""

from __future__ import annotations

import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import agentops.cli as cli


def test_table_matches_every_command_module_and_docstring() -> None:
    modules = {m.name for m in pkgutil.iter_modules(cli.__path__) if not m.name.startswith("_")}
    assert {mod for mod, _help in cli.COMMANDS.values()} == modules, "a cli module is missing from COMMANDS"
    for name, (_mod, short) in cli.COMMANDS.items():
        command = _load(name)
        first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
        assert first == short, f"COMMANDS[{name!r}] differs from the command's own help"


def _load(name: str) -> Any:
    from typer.main import get_command

    return get_command(cli.app).load(name)  # type: ignore[attr-defined]


def test_help_and_status_import_no_heavy_library(tmp_path: Path) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['agentops'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('agentops', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('github', 'git', 'httpx', 'yaml', 'requests', 'agentops.commands.deploy',\n"
        "                     'agentops.commands.code', 'agentops.sandbox.server') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    for args in (["--help"], ["status", "--json"]):
        res = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=tmp_path,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AGENTOPS_STATE_DIR": str(tmp_path)},
                             timeout=60)
        assert "HEAVY []" in res.stderr, (args, res.stderr[-2000:])


def test_unknown_command_suggests_the_closest(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "agentops", "stauts"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)
    assert res.returncode == 2 and "Did you mean 'status'" in res.stderr
