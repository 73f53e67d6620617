"""The composite action hands `state sync` its push token as AGENTOPS_PUSH_TOKEN. No agent or gate
may ever see it: it is scrubbed from every untrusted environment (whatever the caller asks) and
shed from the exec-time environ of a process that runs untrusted code."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from agentops import proc

PRIVILEGED = r'''
import os, sys
from agentops import proc
proc.shed_credentials()
assert proc.held_credentials().get("AGENTOPS_PUSH_TOKEN"), "held in memory for state sync"
assert "AGENTOPS_PUSH_TOKEN" not in os.environ
with open("/proc/self/environ", "rb") as fh:
    assert b"AGENTOPS_PUSH_TOKEN" not in fh.read()
argv = proc.untrusted_argv([sys.executable, "-c", "import os; print(sorted(os.environ))"], writable=(),
                           env={"AGENTOPS_SANDBOX": sys.argv[1]})
res = proc.run(argv, env=proc.scrub_env({**os.environ, **proc.held_credentials()}), timeout=120)
print(res.output)
sys.exit(0 if res.ok else 1)
'''


def test_the_push_token_is_scrubbed_even_when_secrets_are_kept() -> None:
    env = proc.scrub_env({"AGENTOPS_PUSH_TOKEN": "x", "AGENTOPS_TOKEN": "y", "PATH": "/bin"}, drop_secrets=False)
    assert env == {"PATH": "/bin"}


def test_a_sandboxed_child_never_sees_the_push_token(tmp_path: Path) -> None:
    canary = "pushcanary-" + secrets.token_hex(12)
    script = tmp_path / "privileged.py"
    script.write_text(PRIVILEGED)
    for mode in ("auto", "process"):
        done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=180,
                              env={"PATH": os.environ["PATH"], "AGENTOPS_PUSH_TOKEN": canary,
                                   "PYTHONPATH": str(proc.package_root())})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "PATH" in done.stdout and "AGENTOPS_PUSH_TOKEN" not in done.stdout
        assert canary not in done.stdout + done.stderr
