"""`agentops sandbox serve` as a subprocess, answered through the real PyGithub client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import github

CLI = [sys.executable, "-m", "agentops"]


def test_serve_prints_url_and_token_and_stops_on_sigterm(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("users:\n  - {login: alice, token: tok-alice}\nrepos:\n  - full_name: alice/app\n"
                    "issues:\n  - {repo: alice/app, title: hello, author: alice, labels: [agent-task]}\n")
    proc = subprocess.Popen([*CLI, "sandbox", "serve", "--json", "--seed", str(seed),
                             "--data-dir", str(tmp_path / "data")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["user"] == "agentops-bot"
        bot = github.Github(base_url=info["url"], auth=github.Auth.Token(info["token"]),
                            seconds_between_requests=None, seconds_between_writes=None, retry=None)
        assert bot.get_user().login == "agentops-bot"
        alice = github.Github(base_url=info["url"], auth=github.Auth.Token("tok-alice"),
                              seconds_between_requests=None, seconds_between_writes=None, retry=None)
        issues = list(alice.get_repo("alice/app").get_issues(labels=["agent-task"]))
        assert [i.title for i in issues] == ["hello"]
        assert (tmp_path / "data" / "repos" / "alice" / "app.git" / "HEAD").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=600)  # a hang guard
    assert proc.returncode == 0, err
    assert out == ""  # exactly one JSON line on stdout


def test_serve_refuses_non_loopback_host_without_allow_remote() -> None:
    res = subprocess.run([*CLI, "sandbox", "serve", "--host", "0.0.0.0"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 2
    assert "not a loopback address" in res.stderr and "--allow-remote" in res.stderr


def test_serve_bad_seed_is_exit_2(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"repos": [{"private": true}]}')
    res = subprocess.run([*CLI, "sandbox", "serve", "--seed", str(seed)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and "seed" in res.stderr
