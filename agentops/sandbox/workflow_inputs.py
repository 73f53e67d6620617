"""What GitHub checks before it starts a `workflow_dispatch` run: the workflow file at the ref
must have the trigger, every input sent must be declared there, and every required input without a
default must be sent. Each refusal is a 422 with GitHub's own message, and no run starts; so a
repository whose workflow file is older than the dispatcher (an input it does not declare yet)
is refused here as on GitHub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml


def _triggers(doc: Any) -> Any:
    if not isinstance(doc, dict):
        return None
    # YAML 1.1 reads a bare `on` key as the boolean true; GitHub reads it as "on".
    return doc.get("on", doc.get(True))


def _dispatch_inputs(text: str) -> dict[str, Any] | None:
    """The declared inputs of the file's workflow_dispatch trigger; None when it has none."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    on = _triggers(doc)
    if on == "workflow_dispatch" or (isinstance(on, list) and "workflow_dispatch" in on):
        return {}
    if not isinstance(on, dict) or "workflow_dispatch" not in on:
        return None
    spec = on["workflow_dispatch"]
    inputs = spec.get("inputs") if isinstance(spec, dict) else None
    return dict(inputs) if isinstance(inputs, dict) else {}


def refusal(text: str, inputs: Mapping[str, Any]) -> str | None:
    """GitHub's 422 message for dispatching the workflow `text` with `inputs`; None when it starts."""
    declared = _dispatch_inputs(text)
    if declared is None:
        return "Workflow does not have 'workflow_dispatch' trigger"
    unexpected = [k for k in inputs if k not in declared]
    if unexpected:
        return f"Unexpected inputs provided: {json.dumps(unexpected)}"
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if spec.get("required") is True and "default" not in spec and name not in inputs:
            return f"Required input '{name}' not provided"
    return None
