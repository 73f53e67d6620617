"""Users, rate limit, repositories and permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, not_found, paginate, validation
from agentops.sandbox.model import Repo, rank
from agentops.sandbox.router import Routes
from agentops.sandbox.shapes import (
    commit_json,
    perm_flags,
    pushed_at,
    repo_json,
    user_full,
    user_json,
    user_private,
)

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add


def viewer(req: Request) -> str:
    assert req.user is not None
    return req.user


@route("GET", "/user")
def get_me(emu: Emulator, req: Request) -> Response:
    u = emu.state.user(viewer(req))
    return Response(200, user_private(emu.state, req.base_url, u), last_modified=u.created_at)


@route("GET", "/users/{user}")
def get_user(emu: Emulator, req: Request) -> Response:
    u = emu.state.users.get(req.params["user"].lower())
    if u is None:
        raise not_found()
    return Response(200, user_full(emu.state, req.base_url, u))


@route("GET", "/orgs/{org}")
def get_org(emu: Emulator, req: Request) -> Response:
    u = emu.state.users.get(req.params["org"].lower())
    if u is None or u.type != "Organization":
        raise not_found()
    api = f"{req.base_url}/orgs/{u.login}"
    person = user_full(emu.state, req.base_url, u)
    # organization-full: no person-only keys, and no nulls where the description wants a string
    keep = ("login", "id", "node_id", "avatar_url", "html_url", "name", "public_repos", "public_gists",
            "followers", "following", "type", "created_at", "updated_at", "events_url")
    return Response(200, {**{k: person[k] for k in keep}, "url": api, "repos_url": f"{api}/repos",
                          "members_url": f"{api}/members{{/member}}",
                          "public_members_url": f"{api}/public_members{{/member}}", "hooks_url": f"{api}/hooks",
                          "issues_url": f"{api}/issues", "description": None, "has_organization_projects": True,
                          "has_repository_projects": True, "archived_at": None, "is_verified": False})


@route("GET", "/rate_limit")
def rate_limit(emu: Emulator, req: Request) -> Response:
    now = emu.state.clock().timestamp()
    r = emu.rate
    core = {"limit": r.limit, "remaining": r.remaining, "reset": r.reset_at(now), "used": r.limit - r.remaining,
            "resource": "core"}
    other = {"limit": 30, "remaining": 30, "reset": int(now) + 60, "used": 0}
    return Response(200, {"resources": {"core": core, "search": {**other, "resource": "search"},
                                        "graphql": {**core, "resource": "graphql"}},
                          "rate": core})


# -- repos ----------------------------------------------------------------------------
def load_repo(emu: Emulator, req: Request) -> Repo:
    return emu.state.visible_repo(f"{req.params['owner']}/{req.params['repo']}", req.user)


@route("GET", "/repos/{owner}/{repo}")
def get_repo(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    return Response(200, repo_json(emu.state, req.base_url, repo, req.user), last_modified=repo.updated_at)


def _sorted_repos(req: Request, repos: list[Repo]) -> list[Repo]:
    sort = req.query.get("sort", "full_name")
    keys: dict[str, Any] = {"created": lambda r: r.created_at, "updated": lambda r: r.updated_at,
                            "pushed": pushed_at, "full_name": lambda r: r.full_name.lower()}
    if sort not in keys:
        raise validation({"resource": "Query", "field": "sort", "code": "invalid"})
    default_dir = "asc" if sort == "full_name" else "desc"
    return sorted(repos, key=keys[sort], reverse=req.query.get("direction", default_dir) == "desc")


def _list(emu: Emulator, req: Request, repos: list[Repo]) -> Response:
    visible = [r for r in repos if rank(emu.state.permission(r, req.user)) >= rank("read")]
    kind = req.query.get("type", "all")
    if kind in ("public", "private"):
        visible = [r for r in visible if r.private == (kind == "private")]
    elif kind == "forks":
        visible = [r for r in visible if r.fork]
    elif kind == "sources":
        visible = [r for r in visible if not r.fork]
    return paginate(req, [repo_json(emu.state, req.base_url, r, req.user) for r in _sorted_repos(req, visible)])


@route("GET", "/users/{user}/repos")
def list_user_repos(emu: Emulator, req: Request) -> Response:
    login = req.params["user"].lower()
    if login not in emu.state.users:
        raise not_found()
    return _list(emu, req, [r for r in emu.state.repos.values() if r.owner.lower() == login])


@route("GET", "/orgs/{org}/repos")
def list_org_repos(emu: Emulator, req: Request) -> Response:
    org = emu.state.users.get(req.params["org"].lower())
    if org is None or org.type != "Organization":
        raise not_found()
    return _list(emu, req, [r for r in emu.state.repos.values() if r.owner.lower() == org.login.lower()])


@route("GET", "/user/repos")
def list_my_repos(emu: Emulator, req: Request) -> Response:
    me = viewer(req).lower()
    affiliation = set(req.query.get("affiliation", "owner,collaborator,organization_member").split(","))
    picked = []
    for r in emu.state.repos.values():
        owner = r.owner.lower() == me
        collab = me in r.permissions and rank(r.permissions[me]) >= rank("read")
        member = me in emu.state.org_members.get(r.owner.lower(), set())
        if (owner and "owner" in affiliation) or (collab and "collaborator" in affiliation) or \
                (member and "organization_member" in affiliation):
            picked.append(r)
    vis = req.query.get("visibility", "all")
    if vis != "all":
        picked = [r for r in picked if r.private == (vis == "private")]
    return _list(emu, req, picked)


def _create(emu: Emulator, req: Request, owner: str) -> Response:
    data = req.json()
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise validation({"resource": "Repository", "field": "name", "code": "missing_field"})
    repo = emu.state.create_repo(
        f"{owner}/{name}", private=bool(data.get("private", False)), init=bool(data.get("auto_init", False)),
        description=data.get("description"), creator=viewer(req),
        default_branch=str(data.get("default_branch") or "main"))
    return Response(201, repo_json(emu.state, req.base_url, repo, req.user))


@route("POST", "/user/repos")
def create_my_repo(emu: Emulator, req: Request) -> Response:
    return _create(emu, req, emu.state.user(viewer(req)).login)


@route("POST", "/orgs/{org}/repos")
def create_org_repo(emu: Emulator, req: Request) -> Response:
    org = emu.state.users.get(req.params["org"].lower())
    if org is None or org.type != "Organization":
        raise not_found()
    if viewer(req).lower() not in emu.state.org_members.get(org.login.lower(), set()) \
            and not emu.state.user(viewer(req)).site_admin:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    return _create(emu, req, org.login)


@route("GET", "/repos/{owner}/{repo}/collaborators/{user}/permission")
def collaborator_permission(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    u = emu.state.users.get(req.params["user"].lower())
    if u is None:
        raise not_found()
    level = emu.state.permission(repo, u.login)
    legacy = {"maintain": "write", "triage": "read"}.get(level, level)
    body = {"permission": legacy, "role_name": level, "user": {**user_json(req.base_url, u),
                                                              "permissions": perm_flags(level),
                                                              "role_name": level}}
    return Response(200, body)


@route("GET", "/repos/{owner}/{repo}/branches/{branch}")
def get_branch(emu: Emulator, req: Request) -> Response:
    repo = load_repo(emu, req)
    sha = repo.bare.resolve(f"refs/heads/{req.params['branch']}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    api = f"{req.base_url}/repos/{repo.full_name}"
    info = repo.bare.commit(sha)
    if info is None:
        raise ApiError(404, "Branch not found")
    name = req.params["branch"]
    # No branch protection is emulated: the answer says so the way GitHub does for an unprotected branch.
    protection = {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": [],
                                                                "checks": []}}
    return Response(200, {"name": name, "commit": commit_json(emu.state, req.base_url, repo, info),
                          "protected": False, "protection": protection,
                          "protection_url": f"{api}/branches/{name}/protection",
                          "_links": {"self": f"{api}/branches/{name}",
                                     "html": f"{req.base_url}/{repo.full_name}/tree/{name}"}})
