"""The assumptions of a run by config key, with their units and descriptions, read from the
simulation-config model (workflow/scripts/simconfig/): one row per leaf key of the config."""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from annotated_types import Ge, Le
from pydantic import BaseModel

from simconfig import SimulationConfig, flatten

UNITS = {"%": "percent", "$": "dollars", "days": "days", "years": "years", "hours": "hours", "x": "multiplier",
         "": ""}


@dataclass(frozen=True)
class Assumption:
    key: str
    value: object
    unit: str          # one of UNITS
    description: str
    display: str | None = None  # the text, where it is not format_value(value, unit) (lists of tiers)

    def text(self) -> str:
        return format_value(self.value, self.unit) if self.display is None else self.display


def _parts(annotation) -> tuple[object, list]:
    """(the bare type, every metadata item) of an annotation, through Optional and Annotated."""
    metadata: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                metadata += list(item.metadata) if hasattr(item, "metadata") else [item]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, metadata
            annotation = args[0]
        else:
            return annotation, metadata


def _bounds(metadata: list) -> tuple[float | None, float | None]:
    low = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, Le)), None)
    return low, high


def unit_of(name: str, bare: object, metadata: list, description: str) -> str:
    """The unit of a key from its name, type, bounds and description (% for shares and rates)."""
    if bare is bool or bare is str:
        return ""
    words = f"{name} {description}".lower()
    if name.endswith("days") or description.startswith("Days"):
        return "days"
    if name.endswith("_years") or name == "years" or name.endswith("_age") or name == "age":
        return "years"
    if "hours" in name and "per_week" not in name:
        return "hours"
    if "multiplier" in words:
        return "x"
    low, high = _bounds(metadata)
    # Shares and rates (growth and indices may be negative): shown as percentages.
    if bare is float and low is not None and low >= -1 and high is not None and high <= 10 and (
            high <= 1 or any(w in name for w in ("rate", "pct", "percentage", "index"))):
        return "%"
    if any(w in name for w in ("amount", "compensation", "salary", "balance", "limit")) and bare in (int, float):
        return "$"
    return ""


def _field(model: type[BaseModel], path: list[str]) -> tuple[str, object, list, str] | None:
    """(name, bare type, metadata, description) of the key at `path` below `model`; None if not in the model."""
    field = None
    for i, name in enumerate(path):
        if model is None:
            return None
        field = model.model_fields.get(name)
        if field is None:
            return None
        bare, metadata = _parts(field.annotation)
        metadata = list(field.metadata) + metadata
        if i == len(path) - 1:
            return name, bare, metadata, field.description or ""
        if typing.get_origin(bare) is dict:  # formulas: {id: MatchFormula}; skip the id
            value_type = typing.get_args(bare)[1]
            model = _parts(value_type)[0]
            rest = path[i + 2:]
            if not rest:
                return name, dict, metadata, field.description or ""
            found = _field(model, rest)
            return found
        model = bare if isinstance(bare, type) and issubclass(bare, BaseModel) else None
    return None


def _list_item_model(model: type[BaseModel], path: list[str]) -> type[BaseModel] | None:
    found = _field(model, path)
    if found is None:
        return None
    bare = found[1]
    if typing.get_origin(bare) is list:
        item = _parts(typing.get_args(bare)[0])[0]
        return item if isinstance(item, type) and issubclass(item, BaseModel) else None
    return None


def format_value(value: object, unit: str, item_units: dict[str, str] | None = None) -> str:
    """Display text of a config value in its unit: 0.06 % -> '6 %', True -> 'yes', None -> 'none'."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return "none"
        if all(isinstance(v, dict) for v in value):
            units = item_units or {}
            return "; ".join(", ".join(f"{k} {format_value(v, units.get(k, ''))}" for k, v in item.items())
                             for item in value)
        return ", ".join(format_value(v, unit) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {format_value(v, '')}" for k, v in value.items()) or "none"
    if isinstance(value, (int, float)):
        if unit == "%":
            return f"{round(value * 100, 4):g} %"
        if unit == "$":
            return f"${value:,.0f}"
        if unit == "x":
            return f"{value:g}x"
        if unit in ("days", "years", "hours"):
            return f"{value:,g} {unit[:-1] if value == 1 else unit}"
        return str(value) if isinstance(value, int) else f"{value:g}"
    return str(value)


def assumption(dotted: str, value: object) -> Assumption:
    """One config key with its unit, meaning and text (lists of tiers written out with their units)."""
    path = dotted.split(".")
    found = _field(SimulationConfig, path)
    if found is None:
        return Assumption(dotted, value, "", "")
    name, bare, metadata, description = found
    unit = unit_of(name, bare, metadata, description)
    item_model = _list_item_model(SimulationConfig, path) if isinstance(value, list) else None
    if item_model is None:
        return Assumption(dotted, value, unit, description)
    item_units = {}
    for field_name, field in item_model.model_fields.items():
        item_bare, item_meta = _parts(field.annotation)
        item_units[field_name] = unit_of(field_name, item_bare, list(field.metadata) + item_meta,
                                         field.description or "")
    return Assumption(dotted, value, unit, description, format_value(value, unit, item_units))


def assumptions(config: dict) -> list[Assumption]:
    """Every leaf key of the config (formulas other than the active one left out), in config order."""
    active = config.get("employer_match", {}).get("active_formula")
    return [assumption(dotted, value) for dotted, value in flatten(config).items()
            if not (dotted.startswith("employer_match.formulas.") and dotted.split(".")[2] != active)]


def other_formulas(config: dict) -> list[str]:
    """The match formulas defined but not in force."""
    match = config.get("employer_match", {})
    return [name for name in (match.get("formulas") or {}) if name != match.get("active_formula")]
