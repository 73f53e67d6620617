"""`agentops sandbox serve`: the embedded GitHub emulator as a foreground server."""

from __future__ import annotations

import json as _json
import sys
from pathlib import Path
from typing import Annotated

import typer

from agentops.cli import JsonOpt, app, execute, make_context

sandbox_app = typer.Typer(help="The embedded GitHub emulator (loopback, for tests and demos).", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def serve_cmd(
    port: Annotated[int, typer.Option("--port", "-p", help="Port (0 picks a free one).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Interface; loopback only unless --allow-remote.")] = "127.0.0.1",
    seed: Annotated[Path | None, typer.Option("--seed", help="Seed file (JSON or YAML): users, orgs, repos, "
                                                             "permissions, issues.")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the bare git repos live "
                                                                     "(default: a temp dir removed on exit).")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Fixed token for agentops-bot "
                                                              "(default: a fresh random one).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a non-loopback --host.")] = False,
    json: JsonOpt = False,
) -> None:
    """Serve a stateful GitHub REST emulator until SIGINT/SIGTERM; prints its URL and a token."""
    from agentops.sandbox.serve import ServeOptions, Started, serve

    ctx = make_context(json_mode=json)

    def ready(s: Started) -> None:
        # Printed straight to stdout, not through Output: the token is the point of this
        # line, and Output would redact it as a GitHub-token look-alike.
        if json:
            sys.stdout.write(_json.dumps({"url": s.url, "token": s.token, "user": s.user}) + "\n")
        else:
            sys.stdout.write(f"GITHUB_API_URL={s.url}\nGH_TOKEN={s.token}\n")
            sys.stderr.write(f"GitHub emulator serving at {s.url} as {s.user} (repos in {s.data_dir}); "
                             "Ctrl-C to stop\n")
            for login, tok in s.seeded_tokens.items():
                sys.stderr.write(f"  seeded user {login}: token {tok}\n")
        sys.stdout.flush()
        sys.stderr.flush()

    options = ServeOptions(host=host, port=port, seed=seed, data_dir=data_dir, token=token, allow_remote=allow_remote)
    execute(ctx, lambda: serve(options, ready))
