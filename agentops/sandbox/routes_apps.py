"""GitHub App routes: the authenticated App, its installations, and installation access
tokens (all JWT-only; apps.Apps.authenticate enforces that before a handler runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentops.sandbox.api import ApiError, Request, Response, iso, not_found, paginate, validation
from agentops.sandbox.apps import App, Installation
from agentops.sandbox.router import Routes
from agentops.sandbox.routes_core import viewer
from agentops.sandbox.shapes import repo_json, user_json

if TYPE_CHECKING:
    from agentops.sandbox.server import Emulator

ROUTES = Routes()
route = ROUTES.add
INSTALLATION = "/app/installations/{installation_id}"


def _app(emu: Emulator, req: Request) -> App:
    app = emu.state.apps.by_bot(viewer(req))
    if app is None:  # an installation or user token cannot get here (JWT-only routes)
        raise ApiError(401, "A JSON web token could not be decoded")
    return app


def app_json(emu: Emulator, base: str, app: App) -> dict[str, Any]:
    return {"id": app.id, "slug": app.slug, "client_id": app.client_id, "node_id": f"A_{app.id}",
            "owner": user_json(base, emu.state.user(app.owner)), "name": app.name, "description": "",
            "external_url": f"{base}/apps/{app.slug}", "html_url": f"{base}/apps/{app.slug}",
            "created_at": iso(app.created_at), "updated_at": iso(app.created_at),
            "permissions": dict(app.permissions), "events": list(app.events),
            "installations_count": len(emu.state.apps.installations_of(app))}


def installation_json(emu: Emulator, base: str, app: App, inst: Installation) -> dict[str, Any]:
    account = emu.state.user(inst.account)
    return {"id": inst.id, "account": user_json(base, account), "repository_selection": inst.repository_selection,
            "access_tokens_url": f"{base}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{base}/installation/repositories",
            "html_url": f"{base}/settings/installations/{inst.id}", "app_id": app.id, "app_slug": app.slug,
            "client_id": app.client_id, "target_id": account.id, "target_type": account.type,
            "permissions": dict(inst.permissions), "events": list(app.events),
            "created_at": iso(inst.created_at), "updated_at": iso(inst.created_at),
            "single_file_name": None, "has_multiple_single_files": False, "single_file_paths": [],
            "suspended_by": None, "suspended_at": None}


def _installation_response(emu: Emulator, req: Request, app: App, inst: Installation | None) -> Response:
    if inst is None:
        raise not_found()
    return Response(200, installation_json(emu, req.base_url, app, inst))


@route("GET", "/app")
def get_app(emu: Emulator, req: Request) -> Response:
    return Response(200, app_json(emu, req.base_url, _app(emu, req)))


@route("GET", "/app/installations")
def list_installations(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    return paginate(req, [installation_json(emu, req.base_url, app, i) for i in emu.state.apps.installations_of(app)])


def _own_installation(emu: Emulator, req: Request, app: App) -> Installation:
    try:
        inst = emu.state.apps.installations.get(int(req.params["installation_id"]))
    except ValueError:
        raise not_found() from None
    if inst is None or inst.app_id != app.id:
        raise not_found()
    return inst


@route("GET", INSTALLATION)
def get_installation(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    return _installation_response(emu, req, app, _own_installation(emu, req, app))


@route("POST", INSTALLATION + "/access_tokens")
def create_access_token(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    inst = _own_installation(emu, req, app)
    data = req.json()
    permissions = data.get("permissions") or None
    if permissions is not None and not (isinstance(permissions, dict)
                                        and all(isinstance(v, str) for v in permissions.values())):
        raise validation({"resource": "Installation", "field": "permissions", "code": "invalid"})
    names = data.get("repositories")
    ids = data.get("repository_ids")
    if ids is not None:
        by_id = {r.id: r.name for r in emu.state.repos.values()}
        names = list(names or []) + [by_id.get(i, f"#{i}") for i in ids]
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise validation({"resource": "Installation", "field": "repositories", "code": "invalid"})
    token = emu.state.apps.issue_token(app, inst, permissions=permissions, repositories=names)
    body: dict[str, Any] = {"token": token.token, "expires_at": iso(token.expires_at),
                            "permissions": dict(token.permissions),
                            "repository_selection": "selected" if token.repositories is not None else "all"}
    if token.repositories is not None:
        body["repositories"] = [repo_json(emu.state, req.base_url, emu.state.repo(n), None)
                                for n in token.repositories]
    return Response(201, body)


@route("GET", "/repos/{owner}/{repo}/installation")
def get_repo_installation(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    repo = emu.state.repos.get(f"{req.params['owner']}/{req.params['repo']}".lower())
    inst = None
    if repo is not None:
        inst = next((i for i in emu.state.apps.installations_of(app) if i.covers(repo)), None)
    return _installation_response(emu, req, app, inst)


@route("GET", "/orgs/{org}/installation")
def get_org_installation(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    org = emu.state.users.get(req.params["org"].lower())
    if org is None or org.type != "Organization":
        raise not_found()
    return _installation_response(emu, req, app, emu.state.apps.installation_on(app, org.login))


@route("GET", "/users/{user}/installation")
def get_user_installation(emu: Emulator, req: Request) -> Response:
    app = _app(emu, req)
    return _installation_response(emu, req, app, emu.state.apps.installation_on(app, req.params["user"]))
