"""`state sync` in a CI job: the checkout holds no credential, so the push and the fetch carry the
push token themselves. A real `agentops state sync` against a loopback HTTPS git server that
records the Authorization header of every request (git sends an http.extraheader from the first
request on) and answers 404. The old hand-over (GIT_CONFIG_* in agentops's environment) never
reached git: the runner drops every inherited GIT_CONFIG_*."""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentops import proc
from agentops.git.pushauth import token_for
from agentops.state import docs
from agentops.state.store import Store
from tests.fixtures.gitrepo import git

PUSH = "push-tok-" + "a1b2c3d4e5f6"
GH = "gh-tok-" + "0f9e8d7c6b5a"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization") or ""))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def https_git(tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(base URL, requests seen) of a loopback HTTPS server git trusts through the (test) global
    config's http.sslCAInfo: the runner keeps GIT_CONFIG_GLOBAL, not GIT_SSL_* variables."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the loopback server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    git(tmp_path, "config", "--global", "http.sslCAInfo", str(cert))
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _sync(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    store = Store(repo / "state", writer="ci")
    store.put(docs.METRICS, "m", {"v": len(list((repo / "state").rglob("*")))})
    clean = {k: v for k, v in os.environ.items() if k not in proc.ALWAYS_SCRUBBED}
    return subprocess.run([sys.executable, "-m", "agentops", "state", "sync", "--retries", "2"], cwd=repo,
                          env={**clean, "PYTHONPATH": str(proc.package_root()), **env},
                          capture_output=True, text=True, timeout=120)


def _tokens(seen: list[tuple[str, str]]) -> set[str]:
    found = set()
    for _, header in seen:
        scheme, _, value = header.partition(" ")
        found.add(base64.b64decode(value).decode() if scheme.lower() == "basic" else header)
    return found


@pytest.mark.parametrize("env, expected", [
    ({"AGENTOPS_PUSH_TOKEN": PUSH, "GH_TOKEN": GH}, f"x-access-token:{PUSH}"),
    ({"GH_TOKEN": GH}, f"x-access-token:{GH}"),
])
def test_state_sync_pushes_and_fetches_with_the_token(clone: Callable[..., Path],
                                                      https_git: tuple[str, list[tuple[str, str]]],
                                                      env: dict[str, str], expected: str) -> None:
    base, seen = https_git
    repo = clone()
    git(repo, "remote", "set-url", "origin", f"{base}/o/r.git")
    done = _sync(repo, GITHUB_SERVER_URL=base, GITHUB_API_URL=f"{base}/api/v3", **env)
    assert done.returncode == 3, done.stdout + done.stderr  # the server answers 404: retryable
    services = {path.split("service=")[-1] for path, _ in seen}
    assert {"git-receive-pack", "git-upload-pack"} <= services, seen  # a push, then a fetch
    assert _tokens(seen) == {expected}, seen  # every request, the first one included
    assert PUSH not in done.stdout + done.stderr and GH not in done.stdout + done.stderr


def test_the_old_git_config_hand_over_never_reached_git(clone: Callable[..., Path],
                                                        https_git: tuple[str, list[tuple[str, str]]]) -> None:
    base, seen = https_git
    repo = clone()
    git(repo, "remote", "set-url", "origin", f"{base}/o/r.git")
    header = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{PUSH}".encode()).decode()
    done = _sync(repo, GITHUB_SERVER_URL=base, GIT_CONFIG_COUNT="1",
                 GIT_CONFIG_KEY_0=f"http.{base}/.extraheader", GIT_CONFIG_VALUE_0=header)
    assert done.returncode == 3, done.stdout + done.stderr
    assert seen and _tokens(seen) == {""}, seen


def test_no_token_goes_to_a_remote_off_the_github_server(clone: Callable[..., Path],
                                                         https_git: tuple[str, list[tuple[str, str]]]) -> None:
    base, seen = https_git
    repo = clone()
    git(repo, "remote", "set-url", "origin", f"{base}/o/r.git")
    done = _sync(repo, GITHUB_SERVER_URL="https://github.com", AGENTOPS_PUSH_TOKEN=PUSH, GH_TOKEN=GH)
    assert done.returncode == 3, done.stdout + done.stderr
    assert seen and _tokens(seen) == {""}, seen


def test_the_token_is_only_for_https_on_the_github_server() -> None:
    pick = token_for({"AGENTOPS_PUSH_TOKEN": PUSH}, lambda: GH)
    assert pick("https://github.com/o/r.git") == PUSH
    assert pick("https://x@GitHub.com:443/o/r") == PUSH
    for url in ("http://github.com/o/r.git", "https://github.com.evil.test/o/r", "https://github.com:8443/o/r",
                "ssh://git@github.com/o/r.git", "git@github.com:o/r.git", "/srv/r.git", "https://[bad/"):
        assert pick(url) is None, url
    ghes = token_for({"GITHUB_API_URL": "https://ghe.example.test/api/v3"}, lambda: GH)
    assert ghes("https://ghe.example.test/o/r.git") == GH and ghes("https://github.com/o/r.git") is None
