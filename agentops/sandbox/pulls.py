"""Pull-request logic on the real bare repo: open (with GitHub's 422s), keep the head in
step with pushes (and refs/pull/N/head), mergeability, and merging.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentops.sandbox.api import ApiError, validation
from agentops.sandbox.model import Issue, PullData, Repo

if TYPE_CHECKING:
    from agentops.sandbox.state import State


def split_head(repo: Repo, head: str) -> str:
    """'owner:branch' or 'branch' -> branch name (heads from forks are not emulated)."""
    owner, sep, branch = head.partition(":")
    if not sep:
        return head
    if owner.lower() != repo.owner.lower():
        raise validation({"resource": "PullRequest", "field": "head", "code": "invalid"})
    return branch


def open_pull(state: State, repo: Repo, *, title: str, head: str, base: str, body: str | None, author: str,
              draft: bool = False) -> Issue:
    branch = split_head(repo, head)
    head_sha = repo.bare.resolve(f"refs/heads/{branch}")
    if head_sha is None:
        raise validation({"resource": "PullRequest", "field": "head", "code": "invalid"})
    base_sha = repo.bare.resolve(f"refs/heads/{base}")
    if base_sha is None:
        raise validation({"resource": "PullRequest", "field": "base", "code": "invalid"})
    for other in repo.issues.values():
        if other.pull is not None and other.state == "open" and other.pull.head_ref == branch:
            raise validation({"resource": "PullRequest", "code": "custom",
                              "message": f"A pull request already exists for {repo.owner}:{branch}."})
    if repo.bare.is_ancestor(head_sha, base_sha):
        raise validation({"resource": "PullRequest", "code": "custom",
                          "message": f"No commits between {base} and {branch}"})
    issue = state.new_issue(repo, title, body, author)
    issue.pull = PullData(branch, base, head_sha, base_sha, draft=draft)
    repo.bare.set_ref(f"refs/pull/{issue.number}/head", head_sha)
    state.touch(repo)
    return issue


def sync_head(state: State, repo: Repo, issue: Issue) -> None:
    """Follow pushes to an open PR's branch, as GitHub does on `synchronize`."""
    pr = issue.pull
    if pr is None or issue.state != "open":
        return
    sha = repo.bare.resolve(f"refs/heads/{pr.head_ref}")
    if sha is not None and sha != pr.head_sha:
        pr.head_sha = sha
        repo.bare.set_ref(f"refs/pull/{issue.number}/head", sha)
        issue.updated_at = state.clock()
    base = repo.bare.resolve(f"refs/heads/{pr.base_ref}")
    if base is not None:
        pr.base_sha = base


def mergeable(repo: Repo, issue: Issue, *, read: bool = False) -> bool | None:
    """GitHub's `mergeable`: None for a closed PR, and None while GitHub is still working it out:
    with `repo.mergeable_lag` N, the first N single-PR reads (`read`) after the base or the head
    moved answer None, as GitHub's do until its background job is done."""
    pr = issue.pull
    if pr is None or pr.merged or issue.state != "open":
        return None
    if pr.mergeable_for != (pr.base_sha, pr.head_sha):
        pr.mergeable_for = (pr.base_sha, pr.head_sha)
        pr.mergeable_unknown_reads = repo.mergeable_lag
    if pr.mergeable_unknown_reads > 0:
        if read:
            pr.mergeable_unknown_reads -= 1
        return None
    if repo.bare.is_ancestor(pr.base_sha, pr.head_sha):
        return True
    return repo.bare.merge_tree(pr.base_sha, pr.head_sha) is not None


def merge(state: State, repo: Repo, issue: Issue, actor: str, *, method: str = "merge",
          title: str | None = None, message: str | None = None, expected_sha: str | None = None) -> str:
    pr = issue.pull
    assert pr is not None
    sync_head(state, repo, issue)
    if pr.merged or issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    if expected_sha and expected_sha != pr.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    if method not in ("merge", "squash", "rebase"):
        raise validation({"resource": "PullRequest", "field": "merge_method", "code": "invalid"})
    base, head = pr.base_sha, pr.head_sha
    # GitHub also closes issues named by closing keywords in commits that land on the default branch.
    messages = [c.message for c in repo.bare.commits_between(base, head)]
    fast_forward = repo.bare.is_ancestor(base, head)
    tree = repo.bare.tree_of(head) if fast_forward else repo.bare.merge_tree(base, head)
    if tree is None:
        raise ApiError(405, "Pull Request is not mergeable")
    text = (title or (f"Merge pull request #{issue.number} from {repo.owner}/{pr.head_ref}"
                      if method == "merge" else f"{issue.title} (#{issue.number})"))
    full = f"{text}\n\n{message}" if message else text
    if method == "merge":
        sha = repo.bare.commit_tree(tree, [base, head], full)
    elif method == "rebase" and fast_forward:
        sha = head
    else:
        sha = repo.bare.commit_tree(tree, [base], full)
    repo.bare.set_ref(f"refs/heads/{pr.base_ref}", sha)
    now = state.clock()
    pr.merged, pr.merged_at, pr.merged_by, pr.merge_commit_sha = True, now, actor, sha
    pr.base_sha = sha
    state.close(issue, actor, None)
    issue.closed_at = now
    if pr.base_ref == repo.default_branch:
        for target_repo, n in state.closing_targets(repo, "\n".join([issue.title, issue.body or "", *messages])):
            target = target_repo.issues.get(n)
            if target is not None and target.pull is None and target.state == "open":
                state.close(target, actor, "completed")
    repo.pushed_at = now
    state.touch(repo)
    return sha
