"""Native issue relations as GitHub keeps them: sub-issues (one parent, ordered children, limited
breadth and depth, same owner) and "blocked by" dependencies (any visible issue, limited count).
Issues are named by their global id, as the REST API does. Callers hold the State lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentops.sandbox.api import ApiError, validation
from agentops.sandbox.model import Issue, Repo

if TYPE_CHECKING:
    from agentops.sandbox.state import State

# GitHub's documented limits ("Adding sub-issues", "Creating issue dependencies").
MAX_SUB_ISSUES = 100
MAX_DEPTH = 8  # levels of nesting, the top issue included
MAX_DEPENDENCIES = 50  # per relationship type, per issue


def by_id(state: State, issue_id: int) -> tuple[Repo, Issue] | None:
    return state.issues_by_id.get(issue_id)


def related(state: State, ids: list[int]) -> list[tuple[Repo, Issue]]:
    return [pair for pair in (state.issues_by_id.get(i) for i in ids) if pair is not None]


def _invalid(field: str, message: str, resource: str = "Issue") -> ApiError:
    return validation({"resource": resource, "field": field, "code": "invalid", "message": message},
                      message=message)


def _ancestors(state: State, issue: Issue) -> list[Issue]:
    """issue's parent, grandparent, ... up to the top of its tree."""
    out: list[Issue] = []
    seen = {issue.id}
    while issue.parent_id is not None and issue.parent_id not in seen:
        pair = by_id(state, issue.parent_id)
        if pair is None:
            break
        issue = pair[1]
        seen.add(issue.id)
        out.append(issue)
    return out


def _height(state: State, issue: Issue) -> int:
    """Levels in issue's own subtree (a leaf is 1)."""
    children = [i for _, i in related(state, issue.sub_issue_ids)]
    return 1 + max((_height(state, c) for c in children), default=0)


def add_sub_issue(state: State, repo: Repo, parent: Issue, child_id: int, *, replace_parent: bool) -> None:
    pair = by_id(state, child_id)
    if pair is None:
        raise _invalid("sub_issue_id", "Sub-issue does not exist")
    child_repo, child = pair
    if child_repo.owner.lower() != repo.owner.lower():
        raise _invalid("sub_issue_id", "Sub-issue must belong to the same repository owner as the parent issue")
    if child.pull is not None:
        raise _invalid("sub_issue_id", "A pull request cannot be a sub-issue")
    if child.id == parent.id or child.id in {i.id for i in _ancestors(state, parent)}:
        raise _invalid("sub_issue_id", "An issue cannot be a sub-issue of itself or of its own sub-issues")
    if child.id in parent.sub_issue_ids:
        raise _invalid("sub_issue_id", "Issue may not contain duplicate sub-issues")
    if child.parent_id is not None and not replace_parent:
        raise _invalid("sub_issue_id", "Sub issue may only have one parent")
    if len(parent.sub_issue_ids) >= MAX_SUB_ISSUES:
        raise _invalid("sub_issue_id", f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues")
    if 1 + len(_ancestors(state, parent)) + _height(state, child) > MAX_DEPTH:
        raise _invalid("sub_issue_id", f"Sub-issues cannot be nested more than {MAX_DEPTH} levels deep")
    if child.parent_id is not None:
        old = by_id(state, child.parent_id)
        if old is not None:
            old[1].sub_issue_ids.remove(child.id)
    child.parent_id = parent.id
    parent.sub_issue_ids.append(child.id)
    parent.updated_at = child.updated_at = state.clock()


def remove_sub_issue(state: State, parent: Issue, child_id: int) -> None:
    if child_id not in parent.sub_issue_ids:
        raise ApiError(404, "Sub-issue not found")
    parent.sub_issue_ids.remove(child_id)
    pair = by_id(state, child_id)
    if pair is not None:
        pair[1].parent_id = None
        pair[1].updated_at = state.clock()
    parent.updated_at = state.clock()


def reprioritize(parent: Issue, child_id: int, *, after_id: int | None, before_id: int | None) -> None:
    """Move child_id next to another sub-issue; GitHub answers 422 (simple errors) otherwise."""
    def fail(message: str) -> ApiError:
        return ApiError(422, "Validation Failed", errors=[message])

    if (after_id is None) == (before_id is None):
        raise fail("Specify exactly one of after_id or before_id")
    anchor = after_id if after_id is not None else before_id
    assert anchor is not None
    ids = parent.sub_issue_ids
    if child_id not in ids or anchor not in ids:
        raise fail("Sub-issue is not a sub-issue of this issue")
    if anchor == child_id:
        raise fail("A sub-issue cannot be positioned relative to itself")
    ids.remove(child_id)
    at = ids.index(anchor)
    ids.insert(at + 1 if after_id is not None else at, child_id)


def add_blocked_by(state: State, blocked: Issue, blocker_id: int) -> None:
    pair = by_id(state, blocker_id)
    if pair is None:
        raise _invalid("issue_id", "Blocking issue does not exist", "IssueDependency")
    blocker = pair[1]
    if blocker.id == blocked.id:
        raise _invalid("issue_id", "An issue cannot be blocked by itself", "IssueDependency")
    if blocker.pull is not None or blocked.pull is not None:
        raise _invalid("issue_id", "Pull requests cannot have issue dependencies", "IssueDependency")
    if blocker.id in blocked.blocked_by_ids:
        raise _invalid("issue_id", "This dependency already exists", "IssueDependency")
    if len(blocked.blocked_by_ids) >= MAX_DEPENDENCIES or len(blocker.blocking_ids) >= MAX_DEPENDENCIES:
        raise _invalid("issue_id", f"An issue cannot have more than {MAX_DEPENDENCIES} dependencies of one type",
                       "IssueDependency")
    blocked.blocked_by_ids.append(blocker.id)
    blocker.blocking_ids.append(blocked.id)
    blocked.updated_at = state.clock()


def remove_blocked_by(state: State, blocked: Issue, blocker_id: int) -> None:
    if blocker_id not in blocked.blocked_by_ids:
        raise ApiError(404, "Dependency not found")
    blocked.blocked_by_ids.remove(blocker_id)
    pair = by_id(state, blocker_id)
    if pair is not None and blocked.id in pair[1].blocking_ids:
        pair[1].blocking_ids.remove(blocked.id)
    blocked.updated_at = state.clock()


def sub_issues_summary(state: State, issue: Issue) -> dict[str, int]:
    children = [i for _, i in related(state, issue.sub_issue_ids)]
    done = sum(1 for c in children if c.state == "closed")
    return {"total": len(children), "completed": done,
            "percent_completed": (100 * done // len(children)) if children else 0}


def dependencies_summary(state: State, issue: Issue) -> dict[str, int]:
    blockers = [i for _, i in related(state, issue.blocked_by_ids)]
    blocking = [i for _, i in related(state, issue.blocking_ids)]
    return {"blocked_by": sum(1 for i in blockers if i.state == "open"),
            "blocking": sum(1 for i in blocking if i.state == "open"),
            "total_blocked_by": len(blockers), "total_blocking": len(blocking)}
