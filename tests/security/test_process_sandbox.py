"""Without bubblewrap, a root agent is still root: CAP_SYS_PTRACE lets it read a non-dumpable
process's /proc/PID/environ and /proc/PID/mem. The sandbox drops every capability (and sets
no_new_privs) before untrusted code starts, so a hostile root agent gets nothing from agentops's
processes, in either sandbox mode. The privileged side here is a real process that sheds its
credentials exactly as the CLI does (agentops.proc.shed_credentials) and keeps them in memory."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agentops import proc

HOSTILE = r'''
import json, os, sys
evidence, privileged = sys.argv[1], int(sys.argv[2])
report = {"read": [], "denied": []}
loot = bytearray()

def grab(pid, what):
    try:
        if what == "environ":
            with open(f"/proc/{pid}/environ", "rb") as fh:
                data = fh.read()
        else:
            data = bytearray()
            with open(f"/proc/{pid}/maps") as fh:
                regions = [ln.split() for ln in fh]
            with open(f"/proc/{pid}/mem", "rb", 0) as mem:
                for r in regions:
                    if "rw" not in r[1]:
                        continue
                    lo, hi = (int(x, 16) for x in r[0].split("-"))
                    try:
                        mem.seek(lo)
                        data += mem.read(min(hi - lo, 64 << 20))
                    except (OSError, OverflowError, ValueError):
                        continue
        report["read"].append(f"{what} {pid}")
        loot.extend(data)
    except OSError as exc:
        report["denied"].append(f"{what} {pid}: {exc.errno}")

ancestors, pid = [], os.getpid()
while pid > 1:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            pid = int(fh.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        break
    ancestors.append(pid)
for pid in dict.fromkeys([privileged, *ancestors[:2]]):
    grab(pid, "environ")
    grab(pid, "mem")
for entry in os.listdir("/proc"):
    if entry.isdigit():
        grab(int(entry), "environ")
with open(evidence + ".loot", "wb") as fh:
    fh.write(bytes(loot))
with open(evidence, "w") as fh:
    json.dump(report, fh)
'''

PRIVILEGED = r'''
import os, sys
from agentops import proc
proc.shed_credentials()  # as `agentops code` / `agentops test` do: re-exec, non-dumpable
held = proc.held_credentials()
assert held.get("SERVICE_TOKEN"), "the credential must be held in memory"
hostile, evidence, mode = sys.argv[1:4]
argv = proc.untrusted_argv([sys.executable, hostile, evidence, str(os.getpid())],
                           writable=(os.path.dirname(evidence),), env={"AGENTOPS_SANDBOX": mode})
res = proc.run(argv, env=proc.scrub_env(os.environ), timeout=120)
print(res.output)
sys.exit(0 if res.ok else 1)
'''


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_a_root_agent_reads_nothing_of_agentops_processes(tmp_path: Path, sandbox: str) -> None:
    canary = "procanary-" + secrets.token_hex(12)
    hostile = tmp_path / "hostile.py"
    hostile.write_text(HOSTILE)
    privileged = tmp_path / "privileged.py"
    privileged.write_text(PRIVILEGED)
    evidence = tmp_path / "evidence.json"
    env = {"PATH": os.environ["PATH"], "SERVICE_TOKEN": canary, "PYTHONPATH": str(proc.package_root())}
    done = subprocess.run([sys.executable, str(privileged), str(hostile), str(evidence), sandbox],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(evidence.read_text())
    assert report["read"], report  # the hostile side did read what it may (its own environ at least)
    loot = (tmp_path / "evidence.json.loot").read_bytes()
    assert canary.encode() not in loot, [r for r in report["read"] if "mem" in r or "environ" in r][:20]
    assert canary.encode() not in (done.stdout + done.stderr).encode()


def test_the_process_sandbox_starts_nothing_with_a_capability(tmp_path: Path) -> None:
    argv = proc.untrusted_argv([sys.executable, "-c", "print(open('/proc/self/status').read())"], writable=(),
                               env={"AGENTOPS_SANDBOX": "process"})
    res = proc.run(argv, env={"PATH": os.environ["PATH"]}, timeout=60)
    fields = dict(line.split(":\t", 1) for line in res.output.splitlines() if ":\t" in line)
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(fields[key], 16) == 0, (key, fields[key])
    assert fields["NoNewPrivs"].strip() == "1"
