"""The distribution has a PyPI name of its own (`agentops-gh`): pyproject, README install lines, the
install spec of every workflow and dev container, and doctor all use it; command and package stay
`agentops`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from agentops import DIST_NAME, __version__
from agentops.commands.init import template_files

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_names_the_distribution_and_keeps_the_command() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cfg["project"]["name"] == DIST_NAME == "agentops-gh"
    assert cfg["project"]["scripts"] == {"agentops": "agentops.cli:main"}
    assert cfg["project"]["version"] == __version__


def test_readme_installs_the_distribution_name() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"pipx install {DIST_NAME}" in readme
    assert not re.search(r"(pipx|pip) install agentops(\s|$|`)", readme)


def test_every_install_spec_pins_this_version_of_the_distribution() -> None:
    pinned = f"{DIST_NAME}=={__version__}"
    checked = 0
    for rel, content in template_files():
        text = content.decode()
        if rel.endswith(".yml") and "pip install" in text or rel.endswith("devcontainer.json"):
            assert pinned in text, rel
            # The repository itself is recognised by its distribution name, not the old one.
            assert f'^name = \\"{DIST_NAME}\\"' in text or f"^name = \"{DIST_NAME}\"" in text, rel
            assert '^name = "agentops"' not in text and '^name = \\"agentops\\"' not in text, rel
            checked += 1
    # The workflows install through the one composite action (.github/actions/agentops): it and the
    # five dev containers carry the pin.
    assert checked >= 6


def test_doctor_names_the_distribution_and_warns_about_the_unrelated_sdk(tmp_path: Path) -> None:
    env = {**os.environ, "AGENTOPS_STATE_DIR": str(tmp_path / "state")}

    def install_check() -> dict[str, str]:
        res = subprocess.run([sys.executable, "-m", "agentops", "doctor", "--offline", "--json", "checks"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        return next(c for c in json.loads(res.stdout)["checks"] if c["name"] == "install")

    check = install_check()
    assert check["status"] == "ok" and DIST_NAME in check["detail"]
    # The unrelated PyPI `agentops` installed alongside: same import name, so doctor warns.
    site = tmp_path / "site"
    meta = site / "agentops-0.4.21.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: agentops\nVersion: 0.4.21\n"
                                   "Summary: Observability and DevTool Platform for AI Agents\n")
    env["PYTHONPATH"] = str(site)
    check = install_check()
    assert check["status"] == "warn" and "unrelated" in check["detail"]
    assert f"pipx install {DIST_NAME}" in check["hint"]
