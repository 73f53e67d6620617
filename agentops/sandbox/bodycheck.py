"""Request bodies checked against GitHub's own request schemas, as GitHub does before a handler
runs: a body its description rejects is answered 422 ("Invalid request."), whatever the route.

The schemas come from GitHub's OpenAPI description (request_bodies.json, written by
scripts/extract_openapi.py next to the test extract). The checker knows the keywords those
schemas use; `oneOf`/`anyOf` accept a value when any alternative does (GitHub's validator is
no stricter there, and the emulator must never refuse what GitHub accepts).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from agentops.sandbox.api import ApiError

TABLE = Path(__file__).with_name("request_bodies.json")

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
    "object": (dict,),
}


@functools.cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return data


def _type_ok(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES.get(name, (object,)))


def problem(value: Any, schema: dict[str, Any], where: str) -> str | None:
    """The first reason `value` fails `schema`, or None."""
    if value is None:
        alternatives = schema.get("oneOf") or schema.get("anyOf")
        if schema.get("nullable") or (alternatives and any(problem(None, s, where) is None for s in alternatives)) \
                or (not alternatives and "type" not in schema):
            return None
        return f"For '{where}', nil is not allowed."
    for key in ("oneOf", "anyOf"):
        if key in schema and all(problem(value, s, where) for s in schema[key]):
            return f"For '{where}', {json.dumps(value)} is not one of the allowed forms."
    for sub in schema.get("allOf", []):
        found = problem(value, sub, where)
        if found:
            return found
    kind = schema.get("type")
    if kind is not None and not _type_ok(value, kind):
        return f"For '{where}', {json.dumps(value)} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind}."
    if "enum" in schema and value not in schema["enum"]:
        return f"For '{where}', {json.dumps(value)} is not a member of {schema['enum']}."
    return _sized(value, schema, where) or _object(value, schema, where) or _array(value, schema, where)


def _sized(value: Any, schema: dict[str, Any], where: str) -> str | None:
    size = len(value) if isinstance(value, (str, list, dict)) else None
    limits = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems"),
              "object": ("minProperties", "maxProperties")}
    kind = "string" if isinstance(value, str) else "array" if isinstance(value, list) else "object"
    low, high = limits[kind]
    if size is not None and (size < schema.get(low, 0) or size > schema.get(high, size)):
        return f"For '{where}', {json.dumps(value)} has the wrong length."
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return f"For '{where}', {value} is out of range."
    return None


def _object(value: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, dict):
        return None
    for name in schema.get("required", []):
        if name not in value:
            return f"\"{name}\" wasn't supplied."
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        sub = props.get(name, extra if isinstance(extra, dict) else None)
        if sub is None and extra is False:
            return f"For '{where}', \"{name}\" is not a permitted key."
        found = problem(item, sub, f"{where}/{name}") if sub is not None else None
        if found:
            return found
    return None


def _array(value: Any, schema: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, list) or "items" not in schema:
        return None
    for i, item in enumerate(value):
        found = problem(item, schema["items"], f"{where}/{i}")
        if found:
            return found
    return None


def check(method: str, template: str, raw_body: bytes) -> None:
    """Raise GitHub's 400/422 for a body the route's request schema rejects."""
    entry = _table().get(f"{method} {template}")
    if entry is None:
        return
    if not raw_body.strip():
        if entry["required"]:
            raise ApiError(422, "Invalid request.\n\nNo body was supplied.")
        return
    try:
        value = json.loads(raw_body)
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        raise ApiError(400, "Problems parsing JSON") from None
    found = problem(value, entry["schema"], "properties")
    if found:
        raise ApiError(422, f"Invalid request.\n\n{found}")
