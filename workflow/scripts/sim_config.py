"""Load the simulation config (peer key structure), validate it, and turn it into dbt vars.

Scalar keys the model reads are declared once in MODEL_KEYS with their bounds. The
structured plan sections (enrollment maps, match formulas and tiers, core schedules,
vesting) are read by `_read_plan`, which records every path it reads. Anything else in
the file is accepted and reported by `unused_keys` (never silently ignored).
"""
from __future__ import annotations

import hashlib
import json
import datetime
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A simulation config value is missing or out of range; the message names the key."""


@dataclass(frozen=True)
class Key:
    path: str                 # dotted path in the YAML
    kind: str                 # rate | number | int | year | mmdd | date | choice | level_map | bool
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
    # ---- DC plan: scalar keys (structured sections are read by _read_plan)
    Key("plan_eligibility.minimum_age", "int", 21, 0, 100, var="plan_eligibility_minimum_age"),
    Key("eligibility.new_hire_ineligible_pct", "rate", 0.0, 0, 1, var="new_hire_ineligible_pct"),
    Key("enrollment.auto_enrollment.enabled", "bool", True, var="auto_enrollment_enabled"),
    Key("enrollment.auto_enrollment.scope", "choice", "new_hires_only",
        choices=("new_hires_only", "all_eligible_employees"), var="auto_enrollment_scope"),
    Key("enrollment.auto_enrollment.window_days", "int", 45, 0, 3650, var="auto_enrollment_window_days"),
    Key("enrollment.auto_enrollment.default_deferral_rate", "rate", 0.06, 0, 1, var="auto_enrollment_default_rate"),
    Key("enrollment.auto_enrollment.hire_date_cutoff", "date", None, var="auto_enrollment_hire_date_cutoff"),
    Key("enrollment.auto_enrollment.opt_out_grace_period", "int", 30, 0, 3650,
        var="auto_enrollment_opt_out_grace_days"),
    Key("enrollment.proactive_enrollment.enabled", "bool", True, var="proactive_enrollment_enabled"),
    Key("enrollment.proactive_enrollment.timing_window.min_days", "int", 7, 0, 3650, var="proactive_min_days"),
    Key("enrollment.proactive_enrollment.timing_window.max_days", "int", 35, 0, 3650, var="proactive_max_days"),
    Key("enrollment.voluntary_enrollment.enabled", "bool", True, var="voluntary_enrollment_enabled"),
    Key("enrollment.voluntary_enrollment_rate", "number", 1.0, 0, 10, var="voluntary_enrollment_rate"),
    Key("enrollment.match_magnet.snap_probability", "rate", 0.45, 0, 1, var="match_magnet_snap_probability"),
    Key("enrollment.match_magnet.max_deferral_rate", "rate", 0.10, 0, 1, var="voluntary_max_deferral_rate"),
    Key("enrollment.year_over_year_conversion.enabled", "bool", True, var="year_over_year_enabled"),
    Key("deferral_auto_escalation.enabled", "bool", True, var="escalation_enabled"),
    Key("deferral_auto_escalation.effective_day", "mmdd", "01-01", var="escalation_effective_date"),
    Key("deferral_auto_escalation.increment_amount", "rate", 0.01, 0, 1, var="escalation_increment"),
    Key("deferral_auto_escalation.maximum_rate", "rate", 0.10, 0, 1, var="escalation_maximum_rate"),
    Key("deferral_auto_escalation.hire_date_cutoff", "date", None, var="escalation_hire_date_cutoff"),
    Key("deferral_auto_escalation.require_active_enrollment", "bool", True,
        var="escalation_require_active_enrollment"),
    Key("deferral_auto_escalation.first_escalation_delay_years", "int", 1, 0, 50,
        var="escalation_first_delay_years"),
    Key("employee_contributions.roth_share", "rate", 0.0, 0, 1, var="roth_share"),
    Key("employer_match.enabled", "bool", True, var="match_enabled"),
    Key("employer_core_contribution.enabled", "bool", True, var="core_enabled"),
    Key("irs_limits.projection_index", "number", 0.025, -0.1, 0.5, var="irs_limit_index"),
)

_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _valid_mmdd(value: Any) -> bool:
    if not isinstance(value, str) or not _MMDD.match(value):
        return False
    try:
        datetime.date(2000, int(value[:2]), int(value[3:]))  # a leap year: 02-29 is allowed
    except ValueError:
        return False
    return True


def _valid_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


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
    """(present, value) of a dotted path; an empty section counts as absent, a scalar section is an error."""
    node: Any = config
    parts = path.split(".")
    for index, part in enumerate(parts):
        if node is None:
            return False, None
        if not isinstance(node, dict):
            raise ConfigError(f"simulation config key '{'.'.join(parts[:index])}': must be a mapping of keys "
                              f"(got {node!r})")
        if part not in node:
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
        if not _valid_mmdd(value):
            raise fail("must be a month-day string like \"07-01\"")
        return value
    if key.kind == "date":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()  # an unquoted YAML date
        if not isinstance(value, str) or not _valid_date(value):
            raise fail("must be a date string like \"2020-01-01\" (or null)")
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


# ---------------------------------------------------------------------------
# DC plan: structured sections. _read_plan records every path it reads, so the
# leaves it does not read (non-selected formulas, schedules of another status,
# peer keys with no effect here) are listed by unused_keys.
# ---------------------------------------------------------------------------

AGE_BANDS = ("young", "mid_career", "mature", "senior")
INCOME_BANDS = ("low", "moderate", "high", "executive")
INCOME_ALIASES = {"low_income": "low"}  # the peer spells `low` as `low_income` in two of its maps
LEVEL_BANDS = ("individual", "senior", "manager", "executive")
TENURE_BANDS = ("new_employee", "established", "veteran")
DEFERRAL_SEGMENTS = tuple(f"{age}_{income}" for age in AGE_BANDS for income in INCOME_BANDS)

MATCH_FORMULA_TYPES = ("simple", "tiered", "stretch", "safe_harbor", "qaca")
MATCH_STATUSES = {  # peer employer_match_status -> dbt match_status
    "deferral_based": "deferral_based",
    "graded_by_service": "tenure_based",
    "tenure_based": "tenure_based",
    "tenure_graded": "tenure_based",
    "points_based": "points_based",
}
CORE_STATUSES = ("none", "flat", "graded_by_service", "points_based", "age_banded")
VESTING_TYPES = ("immediate", "cliff", "graded")

DEFAULT_OPT_OUT_BY_AGE = {"young": 0.10, "mid_career": 0.07, "mature": 0.05, "senior": 0.03}
DEFAULT_OPT_OUT_INCOME = {"low": 1.2, "moderate": 1.0, "high": 0.7, "executive": 0.5}
DEFAULT_PROACTIVE_BY_AGE = {"young": 0.25, "mid_career": 0.45, "mature": 0.65, "senior": 0.75}
DEFAULT_VOLUNTARY_BY_AGE = {"young": 0.30, "mid_career": 0.55, "mature": 0.70, "senior": 0.80}
DEFAULT_VOLUNTARY_INCOME = {"low": 0.70, "moderate": 1.00, "high": 1.15, "executive": 1.25}
DEFAULT_VOLUNTARY_LEVEL = {"individual": 0.90, "senior": 1.00, "manager": 1.10, "executive": 1.20}
DEFAULT_VOLUNTARY_DEFERRALS = dict(zip(DEFERRAL_SEGMENTS, (
    0.03, 0.03, 0.04, 0.06,
    0.04, 0.06, 0.08, 0.10,
    0.05, 0.08, 0.10, 0.12,
    0.06, 0.10, 0.12, 0.15,
)))
DEFAULT_YOY_BY_AGE = {"young": 0.03, "mid_career": 0.05, "mature": 0.07, "senior": 0.08}
DEFAULT_YOY_INCOME = {"low": 0.8, "moderate": 1.0, "high": 1.2, "executive": 1.3}
DEFAULT_YOY_TENURE = {"new_employee": 0.7, "established": 1.0, "veteran": 1.1}
DEFAULT_YOY_DEFERRALS = {"young": 0.03, "mid_career": 0.04, "mature": 0.05, "senior": 0.06}
# Used when the config has no employer_match.formulas at all (the dbt_project.yml default).
DEFAULT_MATCH_FORMULA_ID = "tiered_match"
DEFAULT_MATCH_TIERS = [
    {"employee_min": 0.0, "employee_max": 0.03, "match_rate": 1.0},
    {"employee_min": 0.03, "employee_max": 0.05, "match_rate": 0.5},
]
DEFAULT_MATCH_CAP = 0.04

IMMEDIATE_VESTING = [(0, 1.0)]
SIX_YEAR_GRADED_VESTING = [(0, 0.0), (2, 0.2), (3, 0.4), (4, 0.6), (5, 0.8), (6, 1.0)]
# Named schedules a match formula may give in `vesting_schedule` (the peer's set).
NAMED_VESTING = {
    "immediate": IMMEDIATE_VESTING,
    "cliff_2_year": [(0, 0.0), (2, 1.0)],
    "qaca_2_year": [(0, 0.0), (2, 1.0)],
    "cliff_3_year": [(0, 0.0), (3, 1.0)],
    "cliff_4_year": [(0, 0.0), (4, 1.0)],
    "graded_3_year": [(0, 0.0), (1, 0.3333), (2, 0.6667), (3, 1.0)],
    "graded_4_year": [(0, 0.0), (1, 0.25), (2, 0.50), (3, 0.75), (4, 1.0)],
    "graded_5_year": [(0, 0.0), (1, 0.20), (2, 0.40), (3, 0.60), (4, 0.80), (5, 1.0)],
}
TIER_LABELS = ("tier", "name", "description")  # accepted in list items, no effect


def _error(path: str, why: str, value: Any = ...) -> ConfigError:
    got = "" if value is ... else f" (got {value!r})"
    return ConfigError(f"simulation config key '{path}': {why}{got}")


def _steps(pairs: list) -> list[dict]:
    return [{"years": years, "vested_pct": float(pct)} for years, pct in pairs]


def _whole(number: float) -> int | float:
    return int(number) if float(number).is_integer() else float(number)


def _percent(path: str, value: Any, required: bool = True, allow_null: bool = False) -> float | None:
    """A share in [0, 1]; a value above 1 is a whole-number percent and is divided by 100 (as the peer)."""
    if value is None:
        if allow_null:
            return None
        raise _error(path, "is required" if required else "must not be empty")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(path, "must be a number", value)
    share = value / 100.0 if value > 1 else float(value)
    if not 0 <= share <= 1:
        raise _error(path, "must be between 0 and 1 (or a whole-number percent up to 100)", value)
    return share


def _number(path: str, value: Any, low: float, high: float, allow_null: bool = False) -> float | None:
    if value is None:
        if allow_null:
            return None
        raise _error(path, "is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(path, "must be a number", value)
    if not low <= value <= high:
        raise _error(path, f"must be between {low:g} and {high:g}", value)
    return _whole(value)


def _items(path: str, value: Any, fields: tuple[str, ...]) -> list[dict]:
    """A list of mappings whose keys are among `fields` (plus descriptive labels)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(path, "must be a list", value)
    items = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise _error(item_path, "must be a mapping", item)
        unknown = sorted(str(k) for k in item if k not in fields and k not in TIER_LABELS)
        if unknown:
            raise _error(item_path, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(fields)}")
        items.append(item)
    return items


def _contiguous(path: str, rows: list[dict], low: str, high: str, open_end: bool = False) -> None:
    """Intervals [low, high) contiguous from 0: each starts where the previous ends; only the last is open."""
    if not rows:
        raise _error(path, "must list at least one tier")
    for index, row in enumerate(rows):
        where = f"{path}[{index}]"
        if index == 0 and not math.isclose(row[low], 0.0, abs_tol=1e-9):
            raise _error(f"{where}.{low}", "the first tier must start at 0", row[low])
        if index > 0:
            previous = rows[index - 1][high]
            if previous is None:
                raise _error(f"{path}[{index - 1}].{high}", "only the last tier may be open (null)")
            if not math.isclose(row[low], previous, abs_tol=1e-9):
                raise _error(f"{where}.{low}", f"tiers must be contiguous: this tier must start where the "
                             f"previous one ends ({previous:g})", row[low])
        if row[high] is not None and not row[low] < row[high]:
            raise _error(f"{where}.{high}", f"must be greater than {low} ({row[low]:g})", row[high])
    if open_end and rows[-1][high] is not None:
        raise _error(f"{path}[{len(rows) - 1}].{high}", "the last tier must be open (null) so the tiers cover "
                     "[0, infinity)", rows[-1][high])


class _Reader:
    """Reads a raw config, validating values and recording the dotted paths it reads."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.used: set[str] = set()

    def lookup(self, path: str, use: bool = True) -> tuple[bool, Any]:
        if use:
            self.used.add(path)
        return _lookup(self.raw, path)

    def value(self, path: str, kind: str, default: Any = None, low: float | None = None,
              high: float | None = None, choices: tuple = ()) -> Any:
        present, value = self.lookup(path)
        return _check(Key(path, kind, default, low, high, choices), value if present else default)

    def mapping(self, path: str, use: bool = True) -> dict:
        present, value = self.lookup(path, use)
        if not present or value is None:
            return {}
        if not isinstance(value, dict):
            raise _error(path, "must be a mapping", value)
        return value

    def bands(self, path: str, bands: tuple[str, ...], defaults: dict, low: float, high: float,
              aliases: dict | None = None, flags: tuple[str, ...] = ()) -> dict:
        """A fixed set of named values (age bands, income bands, ...), defaults for missing ones."""
        node = self.mapping(path)
        aliases = aliases or {}
        out, seen = dict(defaults), {}
        for key, value in node.items():
            if key in flags:
                continue
            name = aliases.get(key, key)
            if name not in bands:
                raise _error(f"{path}.{key}", f"unknown key; expected {', '.join(bands)}")
            if name in seen:
                raise _error(f"{path}.{key}", f"given twice (also as '{seen[name]}')")
            seen[name] = key
            out[name] = float(_check(Key(f"{path}.{key}", "number", 0.0, low, high), value))
        return {band: out[band] for band in bands}


def _read_eligibility(r: _Reader, section: str, apply_path: str) -> dict:
    path = f"{section}.eligibility"
    r.mapping(path, use=False)
    tenure = r.value(f"{path}.minimum_tenure_years", "number", 0, 0, 100)
    return {
        "apply": r.value(apply_path, "bool", True),
        "minimum_tenure_years": _whole(tenure),
        "require_active_at_year_end": r.value(f"{path}.require_active_at_year_end", "bool", True),
        "minimum_hours_annual": _whole(r.value(f"{path}.minimum_hours_annual", "number", 1000, 0, 8784)),
        # the peer derives allow_new_hires from a zero minimum tenure when it is not given
        "allow_new_hires": r.value(f"{path}.allow_new_hires", "bool", tenure == 0),
        "allow_terminated_new_hires": r.value(f"{path}.allow_terminated_new_hires", "bool", False),
        "allow_experienced_terminations": r.value(f"{path}.allow_experienced_terminations", "bool", False),
    }


def _read_formula(r: _Reader) -> dict:
    """The active match formula -> id, type, tiers, cap and (if the formula fixes it) match vesting."""
    formulas = r.mapping("employer_match.formulas", use=False)
    present, active = r.lookup("employer_match.active_formula")
    if not formulas and (not present or active is None):
        return {"id": DEFAULT_MATCH_FORMULA_ID, "type": "tiered", "tiers": [dict(t) for t in DEFAULT_MATCH_TIERS],
                "cap": DEFAULT_MATCH_CAP, "vesting": None}
    available = ", ".join(str(name) for name in formulas) or "(none: employer_match.formulas is empty)"
    if active is None:
        raise _error("employer_match.active_formula", f"is required; available formulas: {available}")
    if active not in formulas:
        raise _error("employer_match.active_formula",
                     f"names no formula under employer_match.formulas; available: {available}", active)
    path = f"employer_match.formulas.{active}"
    r.used.add(path)  # the selected formula's whole subtree counts as used
    formula = formulas[active]
    if not isinstance(formula, dict):
        raise _error(path, "must be a mapping", formula)
    kind = formula.get("type")
    if kind not in MATCH_FORMULA_TYPES:
        raise _error(f"{path}.type", f"must be one of {', '.join(MATCH_FORMULA_TYPES)}", kind)
    cap_value = formula.get("max_match_percentage")
    if kind == "simple":
        if "tiers" in formula:
            raise _error(f"{path}.tiers", "a simple formula takes match_rate and max_match_percentage, not tiers")
        rate = _percent(f"{path}.match_rate", formula.get("match_rate"))
        ceiling = _percent(f"{path}.max_match_percentage", cap_value, allow_null=True)
        # r% of deferrals up to m% of pay: one tier [0, m) at r, so the match is capped at r x m
        tiers = [{"employee_min": 0.0, "employee_max": ceiling, "match_rate": rate}]
        cap = None if ceiling is None else round(rate * ceiling, 10)
    else:
        if "match_rate" in formula:
            raise _error(f"{path}.match_rate", f"a {kind} formula takes tiers, not a single match_rate")
        items = _items(f"{path}.tiers", formula.get("tiers"), ("employee_min", "employee_max", "match_rate"))
        tiers = []
        for index, item in enumerate(items):
            where = f"{path}.tiers[{index}]"
            tiers.append({
                "employee_min": _percent(f"{where}.employee_min", item.get("employee_min")),
                "employee_max": _percent(f"{where}.employee_max", item.get("employee_max"), allow_null=True),
                "match_rate": _percent(f"{where}.match_rate", item.get("match_rate")),
            })
        _contiguous(f"{path}.tiers", tiers, "employee_min", "employee_max")
        cap = _percent(f"{path}.max_match_percentage", cap_value, allow_null=True)
    vesting = None
    immediate = formula.get("immediate_vesting", False)
    if not isinstance(immediate, bool):
        raise _error(f"{path}.immediate_vesting", "must be true or false", immediate)
    named = formula.get("vesting_schedule")
    if named is not None and named not in NAMED_VESTING:
        raise _error(f"{path}.vesting_schedule", f"must be one of {', '.join(NAMED_VESTING)}", named)
    if immediate:
        vesting = _steps(IMMEDIATE_VESTING)
    elif named is not None:
        vesting = _steps(NAMED_VESTING[named])
    return {"id": str(active), "type": kind, "tiers": tiers, "cap": cap, "vesting": vesting}


def _read_service_tiers(r: _Reader, path: str, low: str, high: str) -> list[dict]:
    """Tenure or points match tiers: [low, high) contiguous from 0, match_rate and max_deferral_pct."""
    _, value = r.lookup(path)
    items = _items(path, value, (low, high, "match_rate", "max_deferral_pct"))
    tiers = []
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        tiers.append({
            low: _number(f"{where}.{low}", item.get(low), 0, 1000),
            high: _number(f"{where}.{high}", item.get(high), 0, 1000, allow_null=True),
            "match_rate": _percent(f"{where}.match_rate", item.get("match_rate")),
            "max_deferral_pct": _percent(f"{where}.max_deferral_pct", item.get("max_deferral_pct")),
        })
    _contiguous(path, tiers, low, high)
    return tiers


def _read_core_schedule(r: _Reader, status: str) -> dict:
    base = "employer_core_contribution"
    out = {"graded": [], "age": [], "points": []}
    if status == "graded_by_service":
        path = f"{base}.graded_schedule"
        _, value = r.lookup(path)
        items = _items(path, value, ("service_years_min", "service_years_max", "contribution_rate"))
        if not items:
            raise _error(path, "is required when status is graded_by_service")
        previous = None
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            low = _number(f"{where}.service_years_min", item.get("service_years_min"), 0, 100)
            high = _number(f"{where}.service_years_max", item.get("service_years_max"), 0, 100, allow_null=True)
            if index == 0 and low != 0:
                raise _error(f"{where}.service_years_min", "the first tier must start at 0", low)
            if previous is not None and low <= previous:
                raise _error(f"{where}.service_years_min", f"tiers must be sorted by service_years_min "
                             f"(previous tier starts at {previous:g})", low)
            if high is not None and high < low:
                raise _error(f"{where}.service_years_max", f"must not be below service_years_min ({low:g})", high)
            if high is None and index != len(items) - 1:
                raise _error(f"{where}.service_years_max", "only the last tier may be open (null)")
            previous = low
            out["graded"].append({"min_years": low, "rate": float(_check(
                Key(f"{where}.contribution_rate", "rate", 0.0, 0, 1), item.get("contribution_rate")))})
    elif status in ("age_banded", "points_based"):
        unit = "age" if status == "age_banded" else "points"
        path = f"{base}.{unit}_schedule"
        low, high = f"min_{unit}", f"max_{unit}"
        _, value = r.lookup(path)
        items = _items(path, value, (low, high, "contribution_rate"))
        rows = []
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            rows.append({
                low: _number(f"{where}.{low}", item.get(low), 0, 1000),
                high: _number(f"{where}.{high}", item.get(high), 0, 1000, allow_null=True),
                "rate": float(_check(Key(f"{where}.contribution_rate", "rate", 0.0, 0, 1),
                                     item.get("contribution_rate"))),
            })
        if not rows:
            raise _error(path, f"is required when status is {status}")
        _contiguous(path, rows, low, high, open_end=True)
        out[unit] = rows
    return out


def _read_vesting_schedule(path: str, value: Any) -> list[dict]:
    items = _items(path, value, ("years", "vested_pct"))
    if not items:
        raise _error(path, "must list at least one step")
    steps, previous = [], None
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        years = _number(f"{where}.years", item.get("years"), 0, 100)
        pct = float(_check(Key(f"{where}.vested_pct", "rate", 0.0, 0, 1), item.get("vested_pct")))
        if previous is not None:
            if years <= previous[0]:
                raise _error(f"{where}.years", f"steps must be sorted by years (previous step: {previous[0]:g})",
                             years)
            if pct < previous[1]:
                raise _error(f"{where}.vested_pct", f"must not decrease (previous step: {previous[1]:g})", pct)
        steps.append((years, pct))
        previous = (years, pct)
    if not math.isclose(steps[-1][1], 1.0):
        raise _error(f"{path}[{len(steps) - 1}].vested_pct", "the last step must vest 100% (1.0)", steps[-1][1])
    if steps[0][0] != 0:
        steps.insert(0, (0, 0.0))
    return _steps(steps)


def _read_vesting(r: _Reader, source: str) -> list[dict]:
    path = f"vesting.{source}"
    r.mapping(path, use=False)
    kind = r.value(f"{path}.type", "choice", "immediate", choices=VESTING_TYPES)
    if kind == "immediate":
        return _steps(IMMEDIATE_VESTING)
    if kind == "cliff":
        years = r.value(f"{path}.years", "int", 3, 0, 100)
        return _steps(IMMEDIATE_VESTING if years == 0 else [(0, 0.0), (years, 1.0)])
    present, schedule = r.lookup(f"{path}.schedule")
    if not present or schedule is None:
        return _steps(SIX_YEAR_GRADED_VESTING)
    return _read_vesting_schedule(f"{path}.schedule", schedule)


def _read_plan(r: _Reader, values: dict) -> dict:
    """The DC-plan dbt vars that need more than one scalar key (maps, fallbacks, formulas, schedules)."""
    plan: dict[str, Any] = {}

    # eligibility: the plan's waiting period, else the peer's general eligibility one
    if _lookup(r.raw, "plan_eligibility.waiting_period_days")[0]:
        path = "plan_eligibility.waiting_period_days"
    elif _lookup(r.raw, "eligibility.waiting_period_days")[0]:
        path = "eligibility.waiting_period_days"
    else:
        path = "plan_eligibility.waiting_period_days"
    plan["plan_eligibility_waiting_period_days"] = r.value(path, "int", 0, 0, 3650)

    # auto-enrollment opt-out
    auto = "enrollment.auto_enrollment"
    plan["opt_out_rates_by_age"] = r.bands(f"{auto}.opt_out_rates.by_age", AGE_BANDS, DEFAULT_OPT_OUT_BY_AGE, 0, 1)
    plan["opt_out_income_multipliers"] = r.bands(f"{auto}.opt_out_rates.by_income", INCOME_BANDS,
                                                 DEFAULT_OPT_OUT_INCOME, 0, 10, INCOME_ALIASES)

    # proactive enrollment
    proactive = "enrollment.proactive_enrollment"
    if values[f"{proactive}.timing_window.max_days"] < values[f"{proactive}.timing_window.min_days"]:
        raise _error(f"{proactive}.timing_window.max_days", "must not be below timing_window.min_days",
                     values[f"{proactive}.timing_window.max_days"])
    plan["proactive_probability_by_age"] = r.bands(f"{proactive}.probability_by_demographics", AGE_BANDS,
                                                   DEFAULT_PROACTIVE_BY_AGE, 0, 1)

    # voluntary enrollment and the match magnet
    voluntary = "enrollment.voluntary_enrollment"
    plan["voluntary_base_rates_by_age"] = r.bands(f"{voluntary}.base_rates_by_age", AGE_BANDS,
                                                  DEFAULT_VOLUNTARY_BY_AGE, 0, 1)
    plan["voluntary_income_multipliers"] = r.bands(f"{voluntary}.income_multipliers", INCOME_BANDS,
                                                   DEFAULT_VOLUNTARY_INCOME, 0, 10, INCOME_ALIASES)
    plan["voluntary_level_multipliers"] = r.bands(f"{voluntary}.job_level_multipliers", LEVEL_BANDS,
                                                  DEFAULT_VOLUNTARY_LEVEL, 0, 10)
    plan["voluntary_deferral_rates"] = r.bands(f"{voluntary}.deferral_rates.demographic_base_rates",
                                               DEFERRAL_SEGMENTS, DEFAULT_VOLUNTARY_DEFERRALS, 0, 1)
    if _lookup(r.raw, "enrollment.match_magnet.enabled")[0]:
        plan["match_magnet_enabled"] = r.value("enrollment.match_magnet.enabled", "bool", True)
    else:
        plan["match_magnet_enabled"] = r.value(f"{voluntary}.deferral_rates.match_optimization", "bool", True)

    # year-over-year conversion
    yoy = "enrollment.year_over_year_conversion"
    plan["yoy_base_rates_by_age"] = r.bands(f"{yoy}.base_rates_by_age", AGE_BANDS, DEFAULT_YOY_BY_AGE, 0, 1)
    plan["yoy_income_multipliers"] = r.bands(f"{yoy}.income_multipliers", INCOME_BANDS, DEFAULT_YOY_INCOME,
                                             0, 10, INCOME_ALIASES)
    plan["yoy_tenure_multipliers"] = r.bands(f"{yoy}.tenure_multipliers", TENURE_BANDS, DEFAULT_YOY_TENURE, 0, 10)
    month = r.value(f"{yoy}.timing.enrollment_month", "int", 6, 1, 12)
    day = r.value(f"{yoy}.timing.enrollment_day", "int", 15, 1, 31)
    if not _valid_mmdd(f"{month:02d}-{day:02d}"):
        raise _error(f"{yoy}.timing.enrollment_day", f"is not a day of month {month}", day)
    plan["yoy_enrollment_date"] = f"{month:02d}-{day:02d}"
    plan["yoy_deferral_rates"] = r.bands(f"{yoy}.deferral_rates", AGE_BANDS, DEFAULT_YOY_DEFERRALS, 0, 1,
                                         flags=("conservative",))
    r.value(f"{yoy}.deferral_rates.conservative", "bool", True)  # a label only: the rates above are used as given

    # employer match
    formula = _read_formula(r)
    plan["match_formula_id"] = formula["id"]
    plan["match_formula_type"] = formula["type"]
    plan["match_tiers"] = formula["tiers"]
    plan["match_cap_percent"] = formula["cap"]
    status = r.value("employer_match.employer_match_status", "choice", "deferral_based",
                     choices=tuple(MATCH_STATUSES))
    plan["match_status"] = MATCH_STATUSES[status]
    if plan["match_status"] != "deferral_based":
        plan["match_cap_percent"] = None  # the peer caps only the deferral-based formulas
    plan["tenure_match_tiers"] = []
    plan["points_match_tiers"] = []
    if plan["match_status"] == "tenure_based":
        plan["tenure_match_tiers"] = _read_service_tiers(r, "employer_match.tenure_match_tiers",
                                                         "min_years", "max_years")
    elif plan["match_status"] == "points_based":
        plan["points_match_tiers"] = _read_service_tiers(r, "employer_match.points_match_tiers",
                                                         "min_points", "max_points")
    plan["match_eligibility"] = _read_eligibility(r, "employer_match", "employer_match.apply_eligibility")

    # employer core
    core = "employer_core_contribution"
    integration = r.mapping(f"{core}.integration", use=False)
    if integration:
        enabled = r.value(f"{core}.integration.enabled", "bool", False)
        if enabled:
            raise _error(f"{core}.integration.enabled", "Social-Security integration (permitted disparity) is not "
                         "modelled; set it to false or remove the integration section")
        r.used.add(f"{core}.integration")  # disabled: its settings do not change results
    core_status = r.value(f"{core}.status", "choice", "flat", choices=CORE_STATUSES)
    plan["core_status"] = core_status
    if core_status == "flat":
        plan["core_rate"] = r.value(f"{core}.contribution_rate", "rate", 0.01, 0, 1)
    else:
        plan["core_rate"] = 0.0
    schedules = _read_core_schedule(r, core_status)
    plan["core_graded_schedule"] = schedules["graded"]
    plan["core_age_schedule"] = schedules["age"]
    plan["core_points_schedule"] = schedules["points"]
    plan["core_eligibility"] = _read_eligibility(r, core, f"{core}.apply_eligibility")

    # vesting: a match formula may fix it (safe harbor immediate, QACA 2-year cliff)
    plan["vesting_match_schedule"] = formula["vesting"] or _read_vesting(r, "match")
    plan["vesting_core_schedule"] = _read_vesting(r, "core")
    return plan


@dataclass(frozen=True)
class SimulationConfig:
    raw: dict
    values: dict  # key path -> validated value (MODEL_KEYS)
    plan_vars: dict = field(default_factory=dict)   # DC-plan dbt vars read from structured sections
    used_paths: frozenset = frozenset()             # dotted paths the model reads (a path covers its subtree)

    def get(self, path: str) -> Any:
        return self.values[path]

    def unused_keys(self) -> list[str]:
        """Dotted paths of the config's leaves that do not change results."""
        return _unused(self.raw, self.used_paths)

    def dbt_vars(self, **run_values: Any) -> dict:
        """The vars for every dbt invocation of one run (constant across its years)."""
        dbt_vars = {key.var: self.values[key.path] for key in MODEL_KEYS if key.var}
        dbt_vars.update(json.loads(json.dumps(self.plan_vars)))  # a copy, JSON values only
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
    reader = _Reader(raw)
    plan_vars = _read_plan(reader, values)
    used = frozenset(key.path for key in MODEL_KEYS) | frozenset(reader.used)
    return SimulationConfig(raw=raw, values=values, plan_vars=plan_vars, used_paths=used)


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


def _unused(raw: dict, used: frozenset) -> list[str]:
    def covered(path: str) -> bool:
        parts = path.split(".")
        return any(".".join(parts[:n]) in used for n in range(1, len(parts) + 1))

    return sorted(path for path in _leaf_paths(raw) if path and not covered(path))


def unused_keys(raw: dict | SimulationConfig) -> list[str]:
    """Dotted paths of the config's leaves that do not change results in the model: the leaves
    no part of the model reads (raises ConfigError if `raw` is not a valid config)."""
    config = raw if isinstance(raw, SimulationConfig) else validate(raw)
    return config.unused_keys()


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
