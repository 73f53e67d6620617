"""Every route the emulator serves, in matching order: the server's table, and what the
OpenAPI extract (scripts/extract_openapi.py) and its conformance test enumerate.
"""

from __future__ import annotations

from agentops.sandbox.router import Routes


def all_routes() -> Routes:
    from agentops.sandbox import (
        routes_apps,
        routes_ci,
        routes_core,
        routes_issues,
        routes_jobs,
        routes_pulls,
        routes_relations,
    )

    routes = Routes()
    for mod in (routes_core, routes_relations, routes_issues, routes_pulls, routes_ci, routes_jobs, routes_apps):
        routes.extend(mod.ROUTES)
    return routes
