"""agentops.yaml: load, validate with file:line:field errors, defaults for everything.

Sections are frozen dataclasses; the loader walks the YAML node tree (so it knows line
numbers) and converts each value by the dataclass field's type. Unknown keys are errors:
a typo must not silently turn a safety limit off.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from agentops.errors import ConfigError
from agentops.settings import Config, RepositoryConfig

CONFIG_NAME = "agentops.yaml"

# --------------------------------------------------------------------------------------------
def find_config_path(root: Path | None, explicit: str | None, env: Mapping[str, str]) -> Path | None:
    if explicit:
        return Path(explicit)
    if env.get("AGENTOPS_CONFIG"):
        return Path(env["AGENTOPS_CONFIG"])
    candidate = (root or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.exists() else None


def load_config(path: Path | None, *, required: bool = False) -> Config:
    if path is None:
        return Config()
    if not path.exists():
        if required:
            raise ConfigError(str(path), "config file not found", hint="run `agentops init` to create one")
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read: {exc}") from exc
    return parse_config(text, str(path))


def parse_config(text: str, source: str = CONFIG_NAME) -> Config:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ConfigError(source, "invalid YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(source, f"invalid YAML: {exc.problem or exc}", line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(source, f"invalid YAML: {exc}") from exc
    if node is None:
        return Config(path=source)
    conv = _Converter(source)
    try:
        cfg = conv.convert(node, Config, "")
    except RecursionError:
        raise ConfigError(source, "nested too deeply") from None
    assert isinstance(cfg, Config)
    cfg = dataclasses.replace(cfg, path=source)
    _check_semantics(cfg, conv, node)
    return cfg


def _check_semantics(cfg: Config, conv: _Converter, root: Any) -> None:
    if cfg.version != 1:
        raise ConfigError(conv.source, f"unsupported version {cfg.version} (this agentops reads version 1)",
                          field="version", line=conv.line_of(root, "version"))
    seen: set[str] = set()
    for i, a in enumerate(cfg.agents):
        where = f"agents[{i}]"
        if a.name in seen:
            raise ConfigError(conv.source, f"duplicate agent name {a.name!r}", field=f"{where}.name",
                              line=conv.lines.get(f"{where}.name"))
        seen.add(a.name)
        if a.backend == "command" and not a.command:
            raise ConfigError(conv.source, "backend 'command' needs a `command` argv list",
                              field=f"{where}.command", line=conv.lines.get(where))
        if a.max_concurrent < 1:
            raise ConfigError(conv.source, "must be at least 1", field=f"{where}.max_concurrent",
                              line=conv.lines.get(f"{where}.max_concurrent"))
    for stage in ("author", "review", "ci_fix", "conflicts"):
        name = getattr(cfg.pipeline, stage)
        if name is not None and name not in seen:
            raise ConfigError(conv.source, f"no agent named {name!r} in `agents`", field=f"pipeline.{stage}",
                              line=conv.lines.get(f"pipeline.{stage}"))
    if not re.fullmatch(r"[A-Za-z0-9_.-]+\.ya?ml", cfg.dispatch.workflow):
        raise ConfigError(conv.source, f"expected a workflow file name like agentops-code.yml, got "
                          f"{cfg.dispatch.workflow!r}", field="dispatch.workflow",
                          line=conv.lines.get("dispatch.workflow"))
    for i, r in enumerate(cfg.repositories):
        if r.name.count("/") != 1 or not all(r.name.split("/")):
            raise ConfigError(conv.source, f"{r.name!r} is not OWNER/NAME", field=f"repositories[{i}].name",
                              line=conv.lines.get(f"repositories[{i}].name") or conv.lines.get(f"repositories[{i}]"))
    worktrees = PurePosixPath(cfg.code.worktrees.replace("\\", "/"))
    if not cfg.code.worktrees.strip() or worktrees.is_absolute() or ".." in worktrees.parts:
        # Worktrees hold untrusted agent output and are deleted by `code --cleanup`: keep them inside the repo.
        raise ConfigError(conv.source, f"must be a folder inside the repository, got {cfg.code.worktrees!r}",
                          field="code.worktrees", line=conv.lines.get("code.worktrees"))
    for name, env in cfg.environments.items():
        if env.health_checks or env.freeze:
            # Checked at load, not first at deploy time, so the error carries its line.
            from agentops.domain import deploy as dom

            where = f"environments.{name}"
            for i, hc in enumerate(env.health_checks):
                # A typo here would fail the smoke check after a real deploy and roll it back.
                at = f"{where}.health_checks[{i}]"
                if not re.match(r"^https?://[^/\s]+", hc.url):
                    raise ConfigError(conv.source, f"expected an http(s):// URL, got {hc.url!r}", field=f"{at}.url",
                                      line=conv.lines.get(f"{at}.url"))
            try:
                dom.check_freeze_windows(env.freeze, field=f"{where}.freeze")
                dom.check_health_config(env.health_checks, field=f"{where}.health_checks")
            except dom.PlanError as exc:
                line = conv.lines.get(exc.field) or conv.lines.get(exc.field.rpartition(".")[0])
                raise ConfigError(conv.source, exc.message, field=exc.field, line=line) from exc


# The tags of plain YAML data (the resolver's own, after `tag:yaml.org,2002:`).
_PLAIN_TAGS = frozenset({"str", "int", "float", "bool", "null", "map", "seq", "timestamp"})

# Fields holding an argv list (run without a shell).
_ARGV_FIELDS = frozenset({"command", "run", "deploy", "rollback"})


class _Converter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}

    def fail(self, node: Any, where: str, message: str) -> ConfigError:
        return ConfigError(self.source, message, line=node.start_mark.line + 1, field=where or None)

    def line_of(self, node: Any, key: str) -> int | None:
        import yaml

        if isinstance(node, yaml.MappingNode):
            for k, _v in node.value:
                if k.value == key:
                    return int(k.start_mark.line) + 1
        return None

    def convert(self, node: Any, tp: Any, where: str) -> Any:
        import yaml

        self.lines.setdefault(where, node.start_mark.line + 1)
        if node.tag.rpartition(":")[2] not in _PLAIN_TAGS:  # `!ref 1`, `!!python/object:...`: not data we read
            raise self.fail(node, where, f"unsupported YAML tag {node.tag!r}")
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
                if type(None) in args:
                    return None
            if len(non_none) == 1:
                return self.convert(node, non_none[0], where)
            raise self.fail(node, where, "unsupported union")  # not used by the schema
        if origin is Literal:
            val = self.scalar(node, where, str)
            if val not in args:
                raise self.fail(node, where, f"must be one of {', '.join(map(str, args))} (got {val!r})")
            return val
        if dataclasses.is_dataclass(tp):
            return self.dataclass(node, tp, where)
        if origin is tuple:
            item_tp = args[0]
            if isinstance(node, yaml.ScalarNode) and item_tp is str and node.tag == "tag:yaml.org,2002:str":
                if where.rpartition(".")[2] in _ARGV_FIELDS and len(node.value.split()) > 1:
                    # Commands run without a shell: "./deploy.sh prod" would be one program name.
                    raise self.fail(node, where, f"write the command as a list of arguments, e.g. "
                                                 f"[{', '.join(node.value.split())}] (no shell is used)")
                return (node.value,)  # a single string where a list is expected: accept it
            if not isinstance(node, yaml.SequenceNode):
                raise self.fail(node, where, f"expected a list, got {_kind(node)}")
            return tuple(self.convert(n, item_tp, f"{where}[{i}]") for i, n in enumerate(node.value))
        if origin in (Mapping, dict) or tp is Mapping:
            key_tp, val_tp = args if args else (str, Any)
            if not isinstance(node, yaml.MappingNode):
                raise self.fail(node, where, f"expected a mapping, got {_kind(node)}")
            out: dict[str, Any] = {}
            for k, v in node.value:
                key = self.scalar(k, where, str)
                sub = f"{where}.{key}" if where else key
                out[key] = self.convert(v, val_tp, sub)
            return out
        if tp is Any:
            return self.plain(node, where)
        if tp in (str, int, float, bool):
            return self.scalar(node, where, tp)
        raise self.fail(node, where, f"unsupported type {tp!r}")

    def scalar(self, node: Any, where: str, tp: type) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, where, f"expected {tp.__name__}, got {_kind(node)}")
        value = self.plain(node, where)
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if tp is str and isinstance(value, (int, float)) and not isinstance(value, bool) and where.endswith("name"):
            return str(value)
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise self.fail(node, where, f"expected {tp.__name__}, got {type(value).__name__} {value!r}")
        return value

    def plain(self, node: Any, where: str) -> Any:
        """The node as plain data; a tag safe YAML has no constructor for (`!ref 1`) is an error here."""
        import yaml

        try:
            return yaml.safe_load(yaml.serialize(node))
        except yaml.YAMLError as exc:
            raise self.fail(node, where, f"unsupported YAML ({getattr(exc, 'problem', None) or exc})") from None

    def dataclass(self, node: Any, tp: Any, where: str) -> Any:
        import yaml

        fields = {f.name: f for f in dataclasses.fields(tp) if f.name != "path" or tp is not Config}
        hints = typing.get_type_hints(tp)
        # A bare string is shorthand for the first field (e.g. repositories: [owner/name]).
        if isinstance(node, yaml.ScalarNode) and tp is RepositoryConfig:
            return RepositoryConfig(name=self.scalar(node, f"{where}.name", str))
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, f"expected a mapping, got {_kind(node)}")
        kwargs: dict[str, Any] = {}
        for knode, vnode in node.value:
            key = self.scalar(knode, where, str)
            sub = f"{where}.{key}" if where else key
            if key not in fields:
                known = ", ".join(sorted(fields))
                raise ConfigError(self.source, f"unknown key (known: {known})", line=knode.start_mark.line + 1,
                                  field=sub)
            if key in kwargs:
                raise ConfigError(self.source, "duplicate key", line=knode.start_mark.line + 1, field=sub)
            self.lines[sub] = knode.start_mark.line + 1
            kwargs[key] = self.convert(vnode, hints[key], sub)
            _check_field(fields[key], kwargs[key], _Failer(self, vnode, sub))
        for name, f in fields.items():
            if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(self.source, "required field is missing", line=node.start_mark.line + 1,
                                  field=f"{where}.{name}" if where else name)
        return tp(**kwargs)


@dataclasses.dataclass(frozen=True)
class _Failer:
    conv: _Converter
    node: Any
    where: str

    def __call__(self, message: str) -> ConfigError:
        return self.conv.fail(self.node, self.where, message)


def _check_field(f: dataclasses.Field[Any], value: Any, fail: _Failer) -> None:
    """The ranges and shapes settings.py declares on its fields (metadata), checked where the line is known."""
    meta = f.metadata
    if value is None or not meta:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"expected a finite number, got {value}")
    if meta.get("ge") is not None and value < meta["ge"]:
        raise fail(f"must be at least {_num(meta['ge'])} (got {value})")
    if meta.get("gt") is not None and value <= meta["gt"]:
        raise fail(f"must be greater than {_num(meta['gt'])} (got {value})")
    if meta.get("le") is not None and value > meta["le"]:
        raise fail(f"must be at most {_num(meta['le'])} (got {value})")
    if meta.get("name") and (not value.strip() or not value.isprintable()):
        # A name lands in markers, branch names and log lines: a newline would forge a second line.
        raise fail(f"must be one non-empty line of printable characters (got {value!r})")
    if meta.get("argv") == "required" and not value:
        raise fail("needs a non-empty argv list")
    if meta.get("argv") and value and not value[0].strip():
        raise fail("the program name (first item) is empty")


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _kind(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}"
