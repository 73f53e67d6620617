"""Units of the isolation: the secret scan's forms, the bundle parser's refusals, doctor's line,
and the reaper ending what a command left behind."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from agentops.domain.bundle import parse_code_bundle
from agentops.domain.secretscan import needles, scan
from agentops.errors import BadInput

SECRET = "s3cr3t-Value_with/odd+chars=1234"


@pytest.mark.parametrize("lead", [b"", b"x", b"xy", b"Authorization: basic "])
def test_every_encoded_form_is_found_at_every_alignment(lead: bytes) -> None:
    wanted = needles({"MY_TOKEN": SECRET})
    raw = lead + SECRET.encode() + b" tail"
    forms = {
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw),
        "hex": raw.hex().upper().encode(),
        "URL-encoded": quote(raw.decode(), safe="").encode(),
        "plain": raw,
    }
    for kind, data in forms.items():
        hits = scan("f", b"prefix " + data + b" suffix", wanted)
        # a base64url form without - or _ is the base64 form too: either name is right
        names = {f"MY_TOKEN ({kind})"} | ({"MY_TOKEN (base64)"} if kind == "base64url" else set())
        assert any(h.kind in names for h in hits), (kind, hits)
        assert all(SECRET not in h.kind for h in hits)


def test_token_shapes_plain_and_inside_base64() -> None:
    token = "ghp_" + "A" * 36
    assert [h.kind for h in scan("f", token.encode(), [])] == ["GitHub token (ghp_/gho_/ghu_/ghs_/ghr_)"]
    hidden = base64.b64encode(f"token={token}".encode())
    assert any(h.kind.endswith("(encoded)") for h in scan("f", hidden, []))
    assert not scan("f", b"an ordinary file about ghp tokens and sk- prefixes", [])


def _bundle(**over: object) -> bytes:
    data = {"schema_version": 1, "kind": "code", "repo": "o/r", "issue": 7, "branch": "agentops/7-x",
            "base_sha": "a" * 40, "head_sha": "b" * 40, "agent": "claude", "backend": "claude", "summary": "",
            "cost_usd": None, "turns": 3, "attempt": 1, **over}
    return json.dumps(data).encode()


@pytest.mark.parametrize(("field", "value"), [
    ("branch", "main"), ("branch", "agentops/8-x"), ("head_sha", "HEAD"), ("repo", "../x"),
    ("issue", -1), ("turns", "3"), ("cost_usd", True), ("schema_version", 2), ("agent", "a b"),
])
def test_a_hostile_bundle_is_refused_naming_the_field(field: str, value: object) -> None:
    assert parse_code_bundle("b.json", _bundle()).issue == 7
    with pytest.raises(BadInput) as err:
        parse_code_bundle("b.json", _bundle(**{field: value}))
    assert "b.json" in err.value.message
    with pytest.raises(BadInput):
        parse_code_bundle("b.json", b"[1, 2]")


def test_doctor_reports_the_isolation_in_effect(tmp_path: Path) -> None:
    from agentops.commands.doctor import _isolation
    from tests.fixtures.github import make_test_context

    check = _isolation(make_test_context(tmp_path, None, env={"AGENTOPS_SANDBOX": "process"}))  # type: ignore[arg-type]
    assert check.status == "warn" and check.detail.startswith("process:")
    assert "every capability dropped" in check.detail  # a root agent cannot read agentops's memory
    assert check.facts and check.facts["capabilities_dropped"] and check.facts["no_new_privs"], check.facts
    import shutil

    if shutil.which("bwrap"):
        auto = _isolation(make_test_context(tmp_path, None, env={}))  # type: ignore[arg-type]
        assert auto.detail.startswith(("bwrap:", "process:"))
    with pytest.raises(BadInput):
        _isolation(make_test_context(tmp_path, None, env={"AGENTOPS_SANDBOX": "none"}))  # type: ignore[arg-type]


def test_the_reaper_ends_a_daemon_the_command_left_behind(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    # The command returns only once its daemon is up (the pid file is the event): on a busy machine the
    # reaper could otherwise end the daemon before it wrote its pid, which proves nothing either way.
    daemon = ("import os, sys, time\n"
              "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              f"        open({str(pidfile) + '.tmp'!r}, 'w').write(str(os.getpid()))\n"
              f"        os.rename({str(pidfile) + '.tmp'!r}, {str(pidfile)!r})\n        time.sleep(600)\n"
              "    os._exit(0)\n"
              f"while not os.path.exists({str(pidfile)!r}):\n    time.sleep(0.01)\n")
    reaper = Path(__file__).resolve().parents[2] / "agentops" / "reaper.py"
    done = subprocess.run([sys.executable, str(reaper), "--", sys.executable, "-c", daemon],
                          timeout=600)  # a hang guard, not a timing
    assert done.returncode == 0
    pid = int(pidfile.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
