from typing import Annotated

import typer

from agentops.cli import JsonOpt, RepoOpt, app, execute, make_context


@app.command("code")
def code_cmd(
    issue: Annotated[int | None, typer.Argument(help="Issue number of the work order.", show_default=False)] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a", help="Agent name from agentops.yaml "
                                              "(default: the work order's assigned agent, else the first).")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="Override the agent's backend: "
                                                "claude | codex | aider | command.")] = None,
    pr: Annotated[int | None, typer.Option("--pr", help="Pull request to remediate.", show_default=False)] = None,
    address_review: Annotated[bool, typer.Option("--address-review", help="With --pr: feed the unresolved "
                                                 "review comments to the agent and push a fix.")] = False,
    fix_ci: Annotated[bool, typer.Option("--fix-ci", help="With --pr: feed the failing checks to the agent "
                                         "and push a fix.")] = False,
    resolve_conflicts: Annotated[bool, typer.Option("--resolve-conflicts", help="With --pr: have the agent merge "
                                                    "the base branch in and resolve the conflicts.")] = False,
    cleanup: Annotated[bool, typer.Option("--cleanup", help="Remove worktrees of finished tasks "
                                          "(PR merged or closed, task done).")] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Wall-clock limit for the agent, seconds "
                                                  "(default: the agent's timeout_s).")] = None,
    phase: Annotated[str | None, typer.Option("--phase", help="agent: run the agent (for an issue or a --pr round) with no write credential and "
                                              "write a bundle; publish: verify, scan and push a bundle, open the PR "
                                              "(default: both, isolated from each other).")] = None,
    bundle: Annotated[str | None, typer.Option("--bundle", help="With --phase: the bundle folder.",
                                               show_default=False)] = None,
    repo: RepoOpt = None,
    json: JsonOpt = False,
) -> None:
    """Run a coding agent on a work order in its own worktree and open (or update) the pull request."""
    from agentops import proc
    from agentops.commands import code as cmd
    if phase != "publish" and not cleanup:
        proc.shed_credentials()  # the agent runs below: no credential stays in this process's environ
    ctx = make_context(json_mode=json, repo=repo)
    options = cmd.CodeOptions(issue=issue, agent=agent, repo=repo, backend=backend, pr=pr,
                              address_review=address_review, fix_ci=fix_ci, resolve_conflicts=resolve_conflicts,
                              cleanup=cleanup, timeout_s=timeout, phase=phase, bundle=bundle)

    def render(r: cmd.CodeResult) -> int:
        out = ctx.output
        if json:
            out.emit(r.to_json())
        elif r.status == "cleaned":
            out.success(f"removed {len(r.cleaned)} worktree(s)" + (": " + ", ".join(r.cleaned) if r.cleaned else ""))
        elif r.ok:
            cost = "unknown" if r.cost_usd is None else f"${r.cost_usd:.2f}"
            what = f"PR #{r.pr}" if r.pr else "nothing to do"
            out.success(f"{r.status}: {what} ({r.branch}; turns {r.turns if r.turns is not None else '?'}, "
                        f"cost {cost})" + (f" - {r.reason}" if r.reason else ""))
        else:
            out.error(f"{r.status}: {r.reason}", hint=f"transcript: {r.transcript}" if r.transcript else None)
        return 0 if r.ok else 1

    execute(ctx, lambda: cmd.run(options, ctx), render)
