"""Canary secrets planted in the environment, configured secrets, agent output, deploy output and
issue text never reach state/, any GitHub write the emulator recorded, or captured stdout/stderr,
across code -> test -> deploy -> report run through the real commands."""

from __future__ import annotations

from agentops.commands import code, deploy, report
from agentops.commands import test as testcmd
from tests.security.conftest import (
    CANARIES,
    CONFIGURED_CANARY,
    DEPLOY_CANARY,
    GH_CANARY,
    PLAIN_CANARY,
    REPO,
    Vault,
)

ISSUE = f"""### Assigned Agent

claude

### What should the agent do?

Add a status page. (Someone pasted a secret here by mistake: {CONFIGURED_CANARY} and {GH_CANARY})

### Acceptance criteria

- status.txt exists
"""


def _assert_clean(vault: Vault, *, issue: int) -> None:
    leaks: list[str] = []
    for path, text in vault.state_files().items():
        leaks += [f"{path}: {c}" for c in CANARIES if c in text]
    for i, text in enumerate(vault.github_writes(exclude_issues=(issue,))):
        leaks += [f"github write #{i}: {c}" for c in CANARIES if c in text]
    out = vault.captured()
    leaks += [f"stdout/stderr: {c}" for c in CANARIES if c in out]
    assert not leaks, "\n".join(leaks)


def test_canaries_never_leak_across_code_test_deploy_report(vault: Vault) -> None:
    vault.fakes.script(edits={"status.txt": "ok\n"}, commit=False,
                       stdout=f"debug: {CONFIGURED_CANARY} {GH_CANARY} {PLAIN_CANARY}",
                       summary=f"Done; the secret was {CONFIGURED_CANARY} and {DEPLOY_CANARY}",
                       print_env=["GH_TOKEN", "GITHUB_TOKEN", "CANARY_SECRET", "DEPLOY_TOKEN", "SERVICE_API_TOKEN"])
    n = vault.issue("Add a status page", ISSUE)

    made = code.run(code.CodeOptions(issue=n, agent="claude", repo=REPO), vault.ctx(json_mode=True))
    assert made.status == "pr-opened" and made.pr, made
    [call] = vault.fakes.calls()
    agent_env = call["env"]
    # The agent never holds the GitHub or deploy tokens; a configured secret it may hold, but redacted on the way out.
    assert vault.emulator.token not in agent_env.values() and GH_CANARY not in agent_env.values()
    assert DEPLOY_CANARY not in agent_env.values()
    assert CONFIGURED_CANARY not in call["prompt"] and GH_CANARY not in call["prompt"]

    tctx = vault.ctx(json_mode=True)
    tested = testcmd.run(testcmd.TestOptions(pr=made.pr, repo=REPO, path=str(vault.checkout)), tctx)
    tctx.output.emit(tested)
    assert tested.pr == made.pr

    # merge the PR's work to main so the deploy ships it
    pull = vault.gh.get_pull(REPO, made.pr)
    from tests.fixtures.gitrepo import git

    git(vault.checkout, "fetch", "-q", "origin", f"pull/{made.pr}/head")
    git(vault.checkout, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{made.pr} from {pull.head_ref}",
        "FETCH_HEAD")
    git(vault.checkout, "push", "-q", "origin", "HEAD:main")
    # CI on main reported green on the merge (deploy pre-flight refuses a sha no CI reported on).
    vault.emulator.state.add_check_run(REPO, git(vault.checkout, "rev-parse", "HEAD").strip(), name="CI")
    dctx = vault.ctx(json_mode=True)
    shipped = deploy.run(deploy.DeployOptions(env="prod"), dctx)
    dctx.output.emit(shipped)
    assert shipped.status == "succeeded", shipped
    assert any("[REDACTED]" in s.output for s in shipped.steps)  # the script really printed the token

    rctx = vault.ctx(json_mode=True)
    rctx.output.emit(report.run(report.ReportOptions(repo=REPO), rctx))

    _assert_clean(vault, issue=n)
    everything = "".join(vault.state_files().values())
    assert "[REDACTED]" in everything  # the planted output did flow into state, redacted


def test_the_scanner_sees_a_planted_leak(vault: Vault) -> None:
    """Guards the check above against passing vacuously: a canary written anywhere it looks is found."""
    n = vault.issue("clean", "nothing here")
    vault.emulator.state.add_comment(REPO, n, f"oops {DEPLOY_CANARY}")
    (vault.checkout / "state").mkdir()
    (vault.checkout / "state" / "x.json").write_text(PLAIN_CANARY)
    try:
        _assert_clean(vault, issue=0)
    except AssertionError as exc:
        assert DEPLOY_CANARY in str(exc) and PLAIN_CANARY in str(exc)
    else:
        raise AssertionError("planted canaries went unnoticed")
