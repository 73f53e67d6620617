"""A gate (the pull request's code) cannot have agentops read a file for it: a JUnit or coverage
report that is a link out of the checkout and the reports folder (to a folder the sandbox hides,
such as the home folder) is not read, so nothing of it reaches the result or the PR comment."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest

from agentops.commands import test as testcmd
from agentops.settings import GateConfig, RepositoryConfig
from tests.security.conftest import REPO, Vault

SECRET = "linkcanary-4be1f0d2a9"
LINKER = r'''
import os, sys
target = sys.argv[1]
for name in ("junit.xml", "coverage.xml"):
    if os.path.lexists(name):
        os.unlink(name)
os.symlink(target, "junit.xml")
os.symlink(target.replace("junit", "coverage"), "coverage.xml")
sys.exit(1)
'''


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_report_links_out_of_the_checkout_are_not_followed(vault: Vault, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, sandbox: str) -> None:
    home = Path(os.environ["HOME"])  # hidden from the gate inside bubblewrap
    (home / "junit.xml").write_text(
        '<testsuite name="s" tests="1" failures="1"><testcase classname="t" name="leak">'
        f'<failure message="{SECRET}">{SECRET}</failure></testcase></testsuite>')
    (home / "coverage.xml").write_text(
        f'<coverage line-rate="0.5"><packages><package name="{SECRET}"><classes>'
        f'<class name="{SECRET}" filename="{SECRET}.py" line-rate="0.5"><lines><line number="1" hits="1"/>'
        '</lines></class></classes></package></packages></coverage>')
    (vault.checkout / "linker.py").write_text(LINKER)
    gate = GateConfig(name="linker", run=(sys.executable, str(vault.checkout / "linker.py"), str(home / "junit.xml")),
                      junit=("junit.xml",), coverage="coverage.xml")
    vault.config = dataclasses.replace(vault.config, repositories=(RepositoryConfig(name=REPO, gates=(gate,)),))
    ctx = vault.ctx(json_mode=True, AGENTOPS_SANDBOX=sandbox)
    result = testcmd.run(testcmd.TestOptions(repo=REPO, path=str(vault.checkout), report=False), ctx)
    ctx.output.emit(result)
    assert not result.passed
    [g] = result.gates
    assert g.junit is None and g.coverage is None, g
    assert SECRET not in json.dumps(dataclasses.asdict(result), default=str) and SECRET not in vault.captured()
