#!/usr/bin/env python3
"""Extract, from GitHub's OpenAPI description, the schemas of every route the emulator serves.

Fetches `@octokit/openapi` with npm (`npm pack` into a temporary folder), reads
`generated/api.github.com.deref.json` and writes tests/fixtures/openapi/emulator-routes.json:
for each emulator route, GitHub's operation (path, operationId), its request-body schema and the
response schema of every documented status. Schemas keep only the keywords that validate
(descriptions and examples go), and subtrees repeated across routes (Repository, Simple User...)
are stored once under "defs" and referenced as {"$ref": "#/defs/NAME"}, so the extract stays small.

    python scripts/extract_openapi.py                      # fetch the pinned version, rewrite
    python scripts/extract_openapi.py --version 23.0.2     # another version of the package
    python scripts/extract_openapi.py --from FILE.json     # an already-downloaded description

tests/sandbox/test_openapi_conformance.py validates the emulator against the extract and fails
when a route has no entry here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentops.sandbox.catalog import all_routes  # noqa: E402

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
MEMBER = "package/generated/api.github.com.deref.json"
OUT = ROOT / "tests" / "fixtures" / "openapi" / "emulator-routes.json"
# What the emulator itself checks request bodies against (agentops/sandbox/bodycheck.py).
BODIES = ROOT / "agentops" / "sandbox" / "request_bodies.json"
METHODS = ("get", "post", "put", "patch", "delete")

# Routes GitHub serves but no longer documents, answered as the documented route named here.
# PyGithub's Commit.get_statuses() calls the legacy form.
ALIASES = {
    "GET /repos/{owner}/{repo}/statuses/{ref}": "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
}

# Request forms GitHub accepts beyond what its description documents: adding or setting an
# issue's labels with a bare JSON array (PyGithub's Issue.add_to_labels/set_labels send that).
_LABEL_ARRAY = {"type": "array", "items": {"type": "string"}}
ALSO_ACCEPTED = {
    "POST /repos/{owner}/{repo}/issues/{number}/labels": [_LABEL_ARRAY],
    "PUT /repos/{owner}/{repo}/issues/{number}/labels": [_LABEL_ARRAY],
}

# Keywords that change what a schema accepts; everything else (description, example, title,
# readOnly, deprecated, discriminator, x-*) is documentation and is dropped.
_VALIDATING = {
    "type", "nullable", "enum", "required", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
    "minProperties", "maxProperties",
}
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("items", "not")
_DEF_MIN = 400  # characters: smaller repeated subtrees are cheaper inline than as references


def template_key(path: str) -> str:
    """'/repos/{owner}/{repo}/issues/{issue_number}' -> '/repos/{}/{}/issues/{}' (names differ)."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def fetch(version: str, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH (install Node.js to regenerate the extract)")
    subprocess.run([npm, "pack", "--silent", f"{PACKAGE}@{version}"], cwd=workdir, check=True,  # noqa: S603
                   stdout=subprocess.DEVNULL)
    tarball = next(workdir.glob("octokit-openapi-*.tgz"))
    with tarfile.open(tarball) as tar:
        member = tar.getmember(MEMBER)
        extracted = tar.extractfile(member)
        if extracted is None:
            raise SystemExit(f"{MEMBER} missing from {tarball.name}")
        out = workdir / "api.github.com.deref.json"
        out.write_bytes(extracted.read())
    return out


def errata(schema: Any) -> Any:
    """Known slips in the description, corrected: an account given as allOf(Simple User, Enterprise)
    (GET /app/installations) is one or the other, as the single-installation route says (anyOf)."""
    if isinstance(schema, list):
        return [errata(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: errata(v) for k, v in schema.items()}
    titles = {s.get("title") for s in schema.get("allOf", []) if isinstance(s, dict)}
    if titles == {"Simple User", "Enterprise"}:
        out["anyOf"] = out.pop("allOf")
    return out


def slim(schema: Any) -> Any:
    """A schema with only validating keywords, recursively."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {k: v for k, v in schema.items() if k in _VALIDATING}
    if "properties" in schema:
        out["properties"] = {name: slim(sub) for name, sub in schema["properties"].items()}
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = slim(schema["additionalProperties"])
    elif isinstance(schema.get("additionalProperties"), bool):
        out["additionalProperties"] = schema["additionalProperties"]
    for key in _SCHEMA_ONE:
        if key in schema:
            out[key] = slim(schema[key])
    for key in _SCHEMA_LISTS:
        if key in schema:
            out[key] = [slim(s) for s in schema[key]]
    return out


def json_schema_of(container: dict[str, Any] | None) -> Any:
    """The application/json schema of a request body or response, or None when it has no JSON body."""
    if not container:
        return None
    content = container.get("content") or {}
    media = content.get("application/json") or next(
        (v for k, v in content.items() if k.endswith("json")), None)
    if media is None or "schema" not in media:
        return None
    return slim(errata(media["schema"]))


def _children(schema: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) of every sub-schema position in a slim schema."""
    out: list[tuple[Any, Any]] = [(schema["properties"], name) for name in schema.get("properties", {})]
    if isinstance(schema.get("additionalProperties"), dict):
        out.append((schema, "additionalProperties"))
    out.extend((schema, key) for key in _SCHEMA_ONE if key in schema)
    for key in _SCHEMA_LISTS:
        out.extend((schema[key], i) for i in range(len(schema.get(key, []))))
    return out


def _canon(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


class Deduper:
    """Moves schemas repeated across the extract into named defs (named by their title in the
    description where it gives one). Walks schema positions only, so a property that happens to
    be called "type" or "items" is never mistaken for a schema."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.titles = titles
        self.counts: dict[str, int] = {}
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.used: set[str] = set()

    def count(self, schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        text = _canon(schema)
        self.counts[text] = self.counts.get(text, 0) + 1
        for container, key in _children(schema):
            self.count(container[key])

    def _name(self, text: str) -> str:
        if text not in self.names:
            title = self.titles.get(text)
            base = re.sub(r"[^a-z0-9]+", "-", (title or "schema").lower()).strip("-") or "schema"
            name = base if base not in self.used else f"{base}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
            self.names[text] = name
            self.used.add(name)
        return self.names[text]

    def replace(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        text = _canon(schema)
        out = json.loads(text)  # a copy whose sub-schemas are replaced in place
        for container, key in _children(out):
            container[key] = self.replace(container[key])
        if len(text) >= _DEF_MIN and self.counts.get(text, 0) > 1:
            name = self._name(text)
            self.defs.setdefault(name, out)
            return {"$ref": f"#/defs/{name}"}
        return out


def _titles(node: Any, out: dict[str, str]) -> None:
    """Canonical slim schema -> its title in the full description."""
    if isinstance(node, list):
        for n in node:
            _titles(n, out)
    elif isinstance(node, dict):
        if isinstance(node.get("title"), str) and ("type" in node or "allOf" in node):
            out.setdefault(_canon(slim(node)), node["title"])
        for v in node.values():
            _titles(v, out)


def extract(description: dict[str, Any], version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the test extract, the emulator's request-body table)."""
    index: dict[tuple[str, str], str] = {}
    for path, ops in description["paths"].items():
        for method in ops:
            if method in METHODS:
                index[(method.upper(), template_key(path))] = path
    routes: dict[str, Any] = {}
    bodies: dict[str, Any] = {}
    titles: dict[str, str] = {}
    for r in all_routes().routes:
        key = f"{r.method} {r.template}"
        method, template = ALIASES.get(key, key).split(" ", 1)
        path = index.get((method, template_key(template)))
        if path is None:
            raise SystemExit(f"{key}: GitHub's description has no such operation (add an alias or drop the route)")
        op = description["paths"][path][method.lower()]
        _titles(op, titles)
        request = json_schema_of(op.get("requestBody"))
        also = ALSO_ACCEPTED.get(key, [])
        if request is not None:
            schema = {"anyOf": [request, *also]} if also else request
            bodies[key] = {"required": bool(op["requestBody"].get("required")), "schema": schema}
        routes[key] = {
            "operation": f"{method} {path}", "operationId": op.get("operationId"),
            "request": request, "request_also_accepted": also or None,
            "responses": {status: json_schema_of(resp) for status, resp in sorted(op["responses"].items())},
        }
    generic = {"basic-error": slim(_component(description, "basic-error")),
               "validation-error": slim(_component(description, "validation-error"))}
    dedupe = Deduper(titles)
    positions = [(entry, "request") for entry in routes.values()]
    positions += [(entry["responses"], status) for entry in routes.values() for status in entry["responses"]]
    positions += [(entry["request_also_accepted"], i) for entry in routes.values()
                  for i in range(len(entry["request_also_accepted"] or []))]
    positions += [(generic, name) for name in generic]
    for container, key in positions:
        dedupe.count(container[key])
    for container, key in positions:
        container[key] = dedupe.replace(container[key])
    return {"source": {"package": PACKAGE, "version": version, "file": MEMBER.removeprefix("package/"),
                       "openapi": description.get("openapi"), "api_version": description["info"].get("version")},
            "regenerate": "python scripts/extract_openapi.py", "aliases": ALIASES, "generic": generic,
            "routes": routes, "defs": dict(sorted(dedupe.defs.items()))}, bodies


def _component(description: dict[str, Any], name: str) -> Any:
    """A shared error schema, found where the deref file inlines it (it has no components of its own)."""
    want = {"basic-error": "Basic Error", "validation-error": "Validation Error"}[name]
    for ops in description["paths"].values():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            for resp in op.get("responses", {}).values():
                schema = (resp.get("content") or {}).get("application/json", {}).get("schema")
                if isinstance(schema, dict) and schema.get("title") == want:
                    return schema
    raise SystemExit(f"no '{want}' schema in the description")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=VERSION, help=f"{PACKAGE} version (default {VERSION})")
    parser.add_argument("--from", dest="source", type=Path, help="use this api.github.com.deref.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agentops-openapi-") as tmp:
        source = args.source or fetch(args.version, Path(tmp))
        description = json.loads(source.read_text(encoding="utf-8"))
    doc, bodies = extract(description, args.version)
    BODIES.write_text(json.dumps(bodies, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One route per line: compact, and a regeneration diff shows which routes changed.
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        sep = "," if i < len(items) - 1 else ""
        if isinstance(value, dict) and key in ("routes", "defs"):
            inner = [f"  {json.dumps(k)}:{json.dumps(v, separators=(',', ':'), sort_keys=True)}"
                     for k, v in value.items()]
            lines.append(f"{json.dumps(key)}:{{\n" + ",\n".join(inner) + f"\n}}{sep}")
        else:
            lines.append(f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'), sort_keys=True)}{sep}")
    lines.append("}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
          f"{len(doc['routes'])} routes, {len(doc['defs'])} shared schemas, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
