"""`agentops on-event`: do what a GitHub event means (the routing table: agentops/events/rules.py).

In Actions the event comes from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; `--event NAME
--payload FILE` replays one (tests, debugging). An event no rule matches exits 0 saying it was
ignored; a payload that is not JSON, or lacks a field its rule needs, exits 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentops.context import Context
from agentops.errors import BadInput
from agentops.events.payload import load_event
from agentops.events.router import Router, RouteResult

from .tick import TickOptions
from .tick import run as tick_run

__all__ = ["OnEventOptions", "RouteResult", "run"]


@dataclass(frozen=True)
class OnEventOptions:
    event: str | None = None
    payload: str | None = None


def run(options: OnEventOptions, ctx: Context) -> RouteResult:
    name = options.event or ctx.env.get("GITHUB_EVENT_NAME")
    path = options.payload or ctx.env.get("GITHUB_EVENT_PATH")
    if not name:
        raise BadInput("no event: pass --event NAME, or set GITHUB_EVENT_NAME (Actions does)")
    if not path:
        raise BadInput("no payload: pass --payload FILE, or set GITHUB_EVENT_PATH (Actions does)")
    ev = load_event(name, path)

    def tick(repos: Sequence[str]) -> object:
        return tick_run(TickOptions(tuple(repos)), ctx)

    return Router(ctx, tick=tick).handle(ev)
