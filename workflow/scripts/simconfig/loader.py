"""Read a simulation config (and a scenario overlay): unknown keys are errors with a
suggestion, keys of the peer's schema that the model does not implement are set aside
for one notice, and every value is validated by the model (errors name the file and key)."""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simconfig import peer_schema
from simconfig.base import KeyError_
from simconfig.model import SimulationConfig


class ConfigError(ValueError):
    """A simulation config is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class LoadedConfig:
    model: SimulationConfig
    sources: tuple[str, ...]                       # the files it was read from, base first
    unmodelled: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file -> peer keys with no effect
    # The base file alone: the plan in force today, against which a scenario's design change is
    # measured (participants respond to the change of match).
    reference: SimulationConfig | None = None

    def unmodelled_keys(self) -> list[str]:
        return sorted({key for keys in self.unmodelled.values() for key in keys})


def load_yaml(path: Path | str) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"simulation config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def load(path: Path | str, overlay: Path | str | None = None) -> LoadedConfig:
    """The config at `path`, with the scenario overlay file on top (mappings merge)."""
    files = [(str(path), load_yaml(path))]
    if overlay is not None:
        files.append((str(overlay), load_yaml(overlay)))
    return validate_files(files)


def validate(raw: dict, source: str = "simulation config") -> LoadedConfig:
    return validate_files([(source, raw)])


def validate_files(files: list[tuple[str, dict]]) -> LoadedConfig:
    merged: dict = {}
    unmodelled: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for source, raw in files:
        walk = _Walk()
        clean = walk.mapping(raw, SimulationConfig, "")
        problems += [f"{source}: {problem}" for problem in walk.problems]
        if walk.unmodelled:
            unmodelled[source] = tuple(walk.unmodelled)
        merged = deep_merge(merged, clean)
    if problems:
        raise ConfigError("\n".join(problems))
    model = _validated(merged, files)
    reference = model if len(files) == 1 else _validated(_Walk().mapping(files[0][1], SimulationConfig, ""),
                                                          files[:1])
    return LoadedConfig(model=model, sources=tuple(s for s, _ in files), unmodelled=unmodelled, reference=reference)


def _validated(raw: dict, files: list[tuple[str, dict]]) -> SimulationConfig:
    try:
        return SimulationConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("\n".join(_describe(e, files) for e in error.errors(include_url=False))) from None


def deep_merge(base: dict, overlay: dict) -> dict:
    """A copy of base with overlay's values on top (mappings merge, everything else replaces)."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def flatten(node: dict, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as {dotted.key: value}; lists stay values; an empty mapping is kept as a value."""
    flat: dict[str, Any] = {}
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


# ---- the walk over the raw YAML ---------------------------------------------------------------

def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_names(model: type[BaseModel]) -> dict[str, str]:
    """Every key a model accepts -> its field name (aliases included)."""
    names = {}
    for name, info in model.model_fields.items():
        names[name] = name
        if isinstance(info.validation_alias, str):
            names[info.validation_alias] = name
    return names


class _Walk:
    """Walks raw YAML along the model: drops peer keys (recorded), records unknown keys."""

    def __init__(self):
        self.problems: list[str] = []
        self.unmodelled: list[str] = []

    def mapping(self, node: dict, model: type[BaseModel], path: str) -> dict:
        names = _field_names(model)
        clean, seen = {}, {}
        for raw_key, value in node.items():
            name = printable(str(raw_key))
            where = f"{path}.{name}" if path else name
            field_name = names.get(name)
            if field_name is None:
                if peer_schema.is_peer_key(where):
                    self.unmodelled += _leaf_paths(value, where)
                else:
                    self.problems.append(_unknown_key_message(where, name, names, path))
                continue
            if field_name in seen:
                self.problems.append(f"key '{where}' is given twice (also as '{seen[field_name]}')")
                continue
            seen[field_name] = name
            annotation = _unwrap(model.model_fields[field_name].annotation)
            if value is None and _is_model(annotation):
                continue  # an empty section counts as absent
            clean[raw_key] = self.value(annotation, value, where)
        return clean

    def value(self, annotation: Any, value: Any, path: str) -> Any:
        annotation = _unwrap(annotation)
        if _is_model(annotation) and isinstance(value, dict):
            return self.mapping(value, annotation, path)
        origin = typing.get_origin(annotation)
        if origin is dict and isinstance(value, dict):
            item = typing.get_args(annotation)[1]
            return {k: self.value(item, v, f"{path}.{printable(str(k))}") for k, v in value.items()}
        if origin is list and isinstance(value, list):
            item = typing.get_args(annotation)[0]
            return [self.value(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value


def _leaf_paths(node: Any, prefix: str) -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaf_paths(value, f"{prefix}.{key}")]
    return [prefix]


@lru_cache(maxsize=None)
def _all_key_paths() -> tuple[str, ...]:
    """Every modelled key path, lists and maps as [] and *."""
    paths: list[str] = []

    def visit(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            paths.append(path)
            annotation = _unwrap(info.annotation)
            origin = typing.get_origin(annotation)
            if _is_model(annotation):
                visit(annotation, path)
            elif origin is dict and _is_model(_unwrap(typing.get_args(annotation)[1])):
                visit(_unwrap(typing.get_args(annotation)[1]), f"{path}.*")
            elif origin is list and _is_model(_unwrap(typing.get_args(annotation)[0])):
                visit(_unwrap(typing.get_args(annotation)[0]), f"{path}[]")

    visit(SimulationConfig, "")
    return tuple(paths)


def printable(text: str) -> str:
    """A key as a message can show it: control characters (a newline, a carriage return) escaped,
    so every problem stays on one line."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _unknown_key_message(where: str, name: str, names: dict[str, str], parent: str) -> str:
    suggestion = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    if suggestion:
        hint = f"{parent}.{suggestion[0]}" if parent else suggestion[0]
    else:
        # the right key in another section? (e.g. workforce.cola_rate -> compensation.cola_rate)
        leaves = {p.rsplit(".", 1)[-1]: p for p in _all_key_paths() if "*" not in p and "[]" not in p}
        close = difflib.get_close_matches(name, list(leaves), n=1, cutoff=0.8)
        hint = leaves[close[0]] if close else None
    message = f"unknown key '{where}'"
    if hint:
        return f"{message} (did you mean '{hint}'?)"
    keys = ", ".join(sorted(names)) if parent else ", ".join(sorted(SimulationConfig.model_fields))
    return f"{message}; the keys {'of ' + repr(parent) if parent else 'at the top level'} are: {keys}"


# ---- pydantic errors as one line each -------------------------------------------------------------

def _join(parts: tuple) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith("["):
            path += str(part)
        elif part != "":
            path += f".{printable(str(part))}" if path else printable(str(part))
    return path


def _describe(error: dict, files: list[tuple[str, dict]]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p and "(" in p))  # union tags
    path = _join(loc)
    exception = ctx.get("error")
    show_value = True
    if isinstance(exception, KeyError_):
        path = _join((*loc, *re.split(r"\.(?![^\[]*\])", exception.subpath))) if exception.subpath else path
        text, show_value = str(exception), False
    elif kind == "value_error":
        text = str(exception) if exception else error["msg"]
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()))
        words = {"greater_than_equal": "at least", "greater_than": "greater than",
                 "less_than_equal": "at most", "less_than": "less than"}[kind]
        text = f"must be {words} {bound:g}"
    elif kind in ("float_type", "int_type", "int_from_float", "bool_type", "string_type", "dict_type",
                  "list_type", "model_type", "model_attributes_type", "finite_number"):
        text = {"float_type": "must be a number", "int_type": "must be a whole number",
                "int_from_float": "must be a whole number", "bool_type": "must be true or false",
                "string_type": "must be text", "dict_type": "must be a mapping", "list_type": "must be a list",
                "model_type": "must be a mapping of keys", "model_attributes_type": "must be a mapping of keys",
                "finite_number": "must be a finite number"}[kind]
    elif kind == "literal_error":
        text = f"must be one of {ctx.get('expected', '')}".replace("'", "")
    elif kind == "missing":
        text, show_value = "is required", False
    elif kind == "extra_forbidden":
        text = "is not a key of this section"
    else:
        text = error["msg"][0].lower() + error["msg"][1:]
    if show_value and "(got" not in text and not isinstance(value, (dict, list)):
        text += f" (got {value!r})"
    return f"{_source_of(loc, files)}: key '{path}': {text}"


def _source_of(loc: tuple, files: list[tuple[str, dict]]) -> str:
    """The last file that sets the key; the base file when none does (a default)."""
    for source, raw in reversed(files):
        node: Any = raw
        for part in loc:
            if isinstance(node, dict) and str(part) in {str(k) for k in node}:
                node = next(v for k, v in node.items() if str(k) == str(part))
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                break
        else:
            return source
    return files[0][0]
