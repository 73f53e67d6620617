"""Fixtures shared with tests/events: the router hub (an emulator repository wired for on-event)."""

from tests.events.conftest import hub as hub
