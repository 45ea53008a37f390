"""Load the simulation config (peer key structure), validate it, and turn it into dbt vars.

Every key the model reads is declared once in MODEL_KEYS with its bounds; anything
else in the file is accepted and reported by `unused_keys` (never silently ignored).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A simulation config value is missing or out of range; the message names the key."""


@dataclass(frozen=True)
class Key:
    path: str                 # dotted path in the YAML
    kind: str                 # rate | number | int | year | mmdd | choice | level_map | bool
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    var: str | None = None    # dbt var name (None: used by Python only)


MODEL_KEYS: tuple[Key, ...] = (
    Key("simulation.start_year", "year", 2025, 1900, 2200, var="start_year"),
    Key("simulation.end_year", "year", 2029, 1900, 2200, var="end_year"),
    Key("simulation.random_seed", "int", 42, 0, 2**62, var="random_seed"),
    Key("simulation.target_growth_rate", "number", 0.03, -0.99, 1.0, var="target_growth_rate"),
    Key("workforce.total_termination_rate", "rate", 0.12, 0, 1, var="total_termination_rate"),
    Key("workforce.new_hire_termination_rate", "rate", 0.25, 0, 0.99, var="new_hire_termination_rate"),
    Key("workforce.part_time_new_hire_pct", "rate", 0.0, 0, 1, var="part_time_new_hire_pct"),
    Key("workforce.part_time_hours_per_week", "number", 20, 1, 40, var="part_time_hours_per_week"),
    Key("compensation.cola_rate", "number", 0.02, -0.1, 0.5, var="cola_rate"),
    Key("compensation.merit_budget", "number", None, 0, 0.5, var="merit_budget"),
    Key("compensation.promotion_rate_multiplier", "number", 1.0, 0, 100, var="promotion_rate_multiplier"),
    Key("compensation.promotion_effective_date", "mmdd", "02-01", var="promotion_effective_date"),
    Key("compensation.promotion_compensation.base_increase_pct", "rate", 0.20, 0, 1,
        var="promotion_base_increase_pct"),
    Key("compensation.promotion_compensation.distribution_range", "rate", 0.05, 0, 1,
        var="promotion_distribution_range"),
    Key("compensation.promotion_compensation.max_cap_pct", "rate", 0.30, 0, 1, var="promotion_max_cap_pct"),
    Key("compensation.promotion_compensation.max_cap_amount", "number", 500000, 0, 1e9,
        var="promotion_max_cap_amount"),
    Key("compensation.promotion_compensation.distribution_type", "choice", "uniform",
        choices=("uniform", "normal", "deterministic"), var="promotion_distribution_type"),
    Key("compensation.promotion_compensation.advanced.normal_std_dev", "rate", 0.02, 0, 1,
        var="promotion_normal_std_dev"),
    Key("compensation.promotion_compensation.level_overrides", "level_map", {}, 0, 1,
        var="promotion_level_overrides"),
    Key("new_hire_compensation.percentile_strategy.default_percentile", "rate", 0.40, 0, 1,
        var="new_hire_default_percentile"),
    Key("new_hire_compensation.percentile_strategy.level_overrides", "level_map", {}, 0, 1,
        var="new_hire_level_percentiles"),
    Key("new_hire_compensation.percentile_strategy.variance_enabled", "bool", True),
    Key("new_hire_compensation.percentile_strategy.variance_std_dev", "rate", 0.05, 0, 1),
    Key("new_hire_compensation.market_adjustments.enabled", "bool", True),
    Key("new_hire_compensation.market_adjustments.base_adjustment", "number", 1.0, 0.1, 10,
        var="new_hire_market_base_adjustment"),
    Key("new_hire_compensation.market_adjustments.level_adjustments", "level_map", {}, 0.1, 10,
        var="new_hire_market_level_adjustments"),
    Key("new_hire_compensation.level_mix", "level_map", {}, 0, 1, var="new_hire_level_mix"),
    Key("raise_timing.methodology", "choice", "fixed",
        choices=("fixed", "realistic", "legacy", "calendar_driven", "custom"), var="raise_timing_methodology"),
    Key("raise_timing.effective_date", "mmdd", "07-01", var="raise_effective_date"),
)

_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"simulation config not found: {path}")
    with path.open() as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def deep_merge(base: dict, overlay: dict) -> dict:
    """A copy of base with overlay's values on top (mappings merge, everything else replaces)."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _lookup(config: dict, path: str) -> tuple[bool, Any]:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _check(key: Key, value: Any) -> Any:
    def fail(why: str) -> ConfigError:
        return ConfigError(f"simulation config key '{key.path}': {why} (got {value!r})")

    if value is None:
        if key.default is None:
            return None
        raise fail("must not be empty")
    if key.kind in ("rate", "number", "int", "year"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("must be a number")
        if key.kind in ("int", "year") and int(value) != value:
            raise fail("must be a whole number")
        if key.low is not None and value < key.low or key.high is not None and value > key.high:
            raise fail(f"must be between {key.low:g} and {key.high:g}")
        return int(value) if key.kind in ("int", "year") else float(value)
    if key.kind == "bool":
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if key.kind == "mmdd":
        if not isinstance(value, str) or not _MMDD.match(value):
            raise fail("must be a month-day string like \"07-01\"")
        return value
    if key.kind == "choice":
        if value not in key.choices:
            raise fail(f"must be one of {', '.join(key.choices)}")
        return value
    if key.kind == "level_map":
        if not isinstance(value, dict):
            raise fail("must map job levels to values")
        checked = {}
        for level, level_value in value.items():
            try:
                level_id = int(level)
            except (TypeError, ValueError):
                raise fail(f"level '{level}' is not a whole number") from None
            if isinstance(level_value, bool) or not isinstance(level_value, (int, float)):
                raise fail(f"level {level_id} must map to a number")
            if not key.low <= level_value <= key.high:
                raise fail(f"level {level_id} must be between {key.low:g} and {key.high:g}")
            checked[str(level_id)] = float(level_value)
        return checked
    raise AssertionError(key.kind)


@dataclass(frozen=True)
class SimulationConfig:
    raw: dict
    values: dict  # key path -> validated value

    def get(self, path: str) -> Any:
        return self.values[path]

    def dbt_vars(self, **run_values: Any) -> dict:
        """The vars for every dbt invocation of one run (constant across its years)."""
        dbt_vars = {key.var: self.values[key.path] for key in MODEL_KEYS if key.var}
        if not self.values["new_hire_compensation.percentile_strategy.variance_enabled"]:
            dbt_vars["new_hire_percentile_std_dev"] = 0.0
        else:
            dbt_vars["new_hire_percentile_std_dev"] = self.values[
                "new_hire_compensation.percentile_strategy.variance_std_dev"]
        if not self.values["new_hire_compensation.market_adjustments.enabled"]:
            dbt_vars["new_hire_market_base_adjustment"] = 1.0
            dbt_vars["new_hire_market_level_adjustments"] = {}
        if dbt_vars["raise_timing_methodology"] != "realistic":
            dbt_vars["raise_timing_methodology"] = "fixed"
        dbt_vars.update(run_values)
        return dbt_vars


def validate(raw: dict) -> SimulationConfig:
    values = {}
    for key in MODEL_KEYS:
        present, value = _lookup(raw, key.path)
        values[key.path] = _check(key, value if present else key.default)
    if values["simulation.end_year"] < values["simulation.start_year"]:
        raise ConfigError(
            "simulation config key 'simulation.end_year' must not be before 'simulation.start_year' "
            f"({values['simulation.end_year']} < {values['simulation.start_year']})")
    mix = values["new_hire_compensation.level_mix"]
    if mix and abs(sum(mix.values()) - 1.0) > 1e-6:
        raise ConfigError("simulation config key 'new_hire_compensation.level_mix': shares must sum to 1 "
                          f"(got {sum(mix.values()):g})")
    return SimulationConfig(raw=raw, values=values)


def load(path: str | Path, overlay: dict | None = None) -> SimulationConfig:
    raw = load_yaml(path)
    if overlay:
        raw = deep_merge(raw, overlay)
    return validate(raw)


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        paths = []
        for key, value in node.items():
            paths.extend(_leaf_paths(value, f"{prefix}.{key}" if prefix else str(key)))
        return paths
    return [prefix]


def unused_keys(raw: dict) -> list[str]:
    """Dotted paths of the config's leaves that no part of the model reads."""
    used = [key.path for key in MODEL_KEYS]
    return sorted(
        path for path in _leaf_paths(raw)
        if not any(path == u or path.startswith(u + ".") for u in used)
    )


def unused_keys_warning(raw: dict, source: str) -> str | None:
    keys = unused_keys(raw)
    if not keys:
        return None
    return (f"{source}: {len(keys)} key(s) are accepted but not used by the model: "
            + ", ".join(keys))


def fingerprint(data: Any) -> str:
    """A stable hash of any JSON-able value (config hash stamped on outputs)."""
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
