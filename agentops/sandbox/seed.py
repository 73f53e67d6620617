"""Seed files (JSON or YAML) that populate an emulator, and a JSON dump of its state.

    users: [{login, token?, site_admin?}]
    orgs: [name | {login, members: [..]}]
    repos: [{full_name, private?, default_branch?, init?, files?, archived?, fork?, description?,
             dependabot_enabled?}]
    permissions: [{repo, user, permission}]
    issues: [{repo, title, body?, author?, labels?, assignees?, state?, comments?: [{body, author?}]}]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentops.sandbox.api import iso
from agentops.sandbox.state import DEFAULT_USER, State


class SeedError(ValueError):
    pass


def load_seed_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path}: cannot read: {exc}") from None
    if path.suffix in (".yml", ".yaml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SeedError(f"{path}: not valid YAML: {exc}") from None
        except RecursionError:
            raise SeedError(f"{path}: not valid YAML: nested too deeply") from None
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise SeedError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed file is a mapping with users/orgs/repos/permissions/issues")
    return data


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise SeedError(f"seed: {key}: expected a list")
    return value


def apply_seed(state: State, data: dict[str, Any]) -> dict[str, str]:
    """Apply a seed; returns {login: token} for the users it created."""
    unknown = set(data) - {"users", "orgs", "repos", "permissions", "issues"}
    if unknown:
        raise SeedError(f"seed: unknown keys {sorted(unknown)}")
    tokens: dict[str, str] = {}
    try:
        for u in _list(data, "users"):
            u = {"login": u} if isinstance(u, str) else u
            tokens[u["login"]] = state.add_user(u["login"], token=u.get("token"),
                                                site_admin=bool(u.get("site_admin", False)))
        for o in _list(data, "orgs"):
            o = {"login": o} if isinstance(o, str) else o
            state.add_org(o["login"], members=o.get("members", []))
        for r in _list(data, "repos"):
            r = {"full_name": r} if isinstance(r, str) else r
            state.create_repo(r["full_name"], default_branch=r.get("default_branch", "main"),
                              private=bool(r.get("private", False)), archived=bool(r.get("archived", False)),
                              fork=bool(r.get("fork", False)), init=bool(r.get("init", True)), files=r.get("files"),
                              description=r.get("description"))
            if r.get("dependabot_enabled") is False:
                state.set_dependabot_enabled(r["full_name"], False)
        for p in _list(data, "permissions"):
            state.set_permission(p["repo"], p["user"], p["permission"])
        for i in _list(data, "issues"):
            number = state.create_issue(i["repo"], i["title"], i.get("body", ""), author=i.get("author", DEFAULT_USER),
                                        labels=i.get("labels", []), assignees=i.get("assignees", []),
                                        state=i.get("state", "open"))
            for c in i.get("comments", []):
                c = {"body": c} if isinstance(c, str) else c
                state.add_comment(i["repo"], number, c["body"], author=c.get("author", DEFAULT_USER))
    except (KeyError, TypeError, AttributeError) as exc:
        raise SeedError(f"seed: missing or malformed field: {exc}") from exc
    return tokens


def dump_state(state: State) -> dict[str, Any]:
    with state.lock:
        repos = []
        for r in state.repos.values():
            repos.append({
                "full_name": r.full_name, "private": r.private, "archived": r.archived, "fork": r.fork,
                "default_branch": r.default_branch, "clone_url": r.clone_url, "permissions": dict(r.permissions),
                "labels": [lab.name for lab in r.labels.values()],
                "issues": [{"number": i.number, "title": i.title, "author": i.author, "state": i.state,
                            "labels": list(i.labels), "assignees": list(i.assignees), "is_pull": i.pull is not None,
                            "merged": bool(i.pull and i.pull.merged), "created_at": iso(i.created_at),
                            "comments": [{"id": c.id, "author": c.author, "body": c.body} for c in i.comments]}
                           for i in r.issues.values()],
                "statuses": [{"sha": s.sha, "context": s.context, "state": s.state} for s in r.statuses],
                "dispatches": state.dispatches(r.full_name),
                "dependabot_enabled": r.dependabot_enabled,
            })
        users = [{"login": u.login, "type": u.type, "site_admin": u.site_admin} for u in state.users.values()]
        return {"users": users, "orgs": {k: sorted(v) for k, v in state.org_members.items()}, "repos": repos}
