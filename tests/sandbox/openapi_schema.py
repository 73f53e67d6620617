"""GitHub's OpenAPI extract (tests/fixtures/openapi/emulator-routes.json) as jsonschema validators.

The extract keeps GitHub's OpenAPI 3.0 schemas as published; here they become JSON Schema
(draft 4, which OpenAPI 3.0's schema object follows): `nullable: true` adds null to the type
(or wraps a type-less schema in anyOf null), and shared subtrees resolve through "#/defs/...".
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

EXTRACT = Path(__file__).resolve().parent.parent / "fixtures" / "openapi" / "emulator-routes.json"
URI = "urn:agentops:github-openapi-extract"


def convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema (recursively; property names are never keywords)."""
    if isinstance(node, list):
        return [convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urllib.parse.urlsplit(value).scheme)


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time", raises=ValueError)(_date_time)
FORMATS.checks("uri")(_uri)


@functools.cache
def extract() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXTRACT.read_text(encoding="utf-8"))
    return data


@functools.cache
def _registry() -> Registry[Any]:
    converted = convert(extract())
    return Registry().with_resource(URI, Resource.from_contents(converted, default_specification=DRAFT4))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validator(*path: str) -> jsonschema.Draft4Validator:
    """A validator for the schema at `path` inside the extract, e.g. ("routes", KEY, "responses", "200")."""
    return jsonschema.Draft4Validator({"$ref": f"{URI}#/{_pointer(*path)}"}, registry=_registry(),
                                      format_checker=FORMATS)


def _describe(e: jsonschema.ValidationError, depth: int = 0) -> list[str]:
    where = "/".join(map(str, e.absolute_path)) or "(root)"
    if not e.context:
        shown = e.message if len(e.message) < 200 else f"{e.validator} {e.validator_value!r:.120}"
        return [f"{'  ' * depth}{where}: {shown}"]
    # oneOf/anyOf: say why each alternative failed (a few reasons each), not the whole instance.
    out = [f"{'  ' * depth}{where}: no {e.validator} alternative matches"]
    by_alt: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in e.context:
        by_alt.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    for alt, subs in sorted(by_alt.items(), key=lambda kv: str(kv[0])):
        out.append(f"{'  ' * (depth + 1)}alternative {alt}:")
        for sub in subs[:6]:
            out.extend(_describe(sub, depth + 2))
    return out


def errors(instance: Any, *path: str) -> list[str]:
    """Every way `instance` fails the schema at `path` (empty: it conforms)."""
    found = sorted(validator(*path).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return ["\n".join(_describe(e)) for e in found]


def operation_schema(route_key: str, status: str) -> tuple[str, ...] | None:
    """Where the response schema of `status` for `route_key` lives, or None when undocumented."""
    entry = extract()["routes"][route_key]
    if status not in entry["responses"]:
        return None
    return ("routes", route_key, "responses", status)
