from agentops import __version__
from agentops.cli import JsonOpt, app, execute, make_context


@app.command("version")
def version_cmd(json: JsonOpt = False) -> None:
    """Print the agentops version."""
    ctx = make_context(json_mode=json)

    def render(v: str) -> None:
        if json:
            ctx.output.emit({"version": v})
        else:
            print(f"agentops {v}")

    execute(ctx, lambda: __version__, render)
