"""The year-summary columns and how reports show them, read from the mart's YAML
(dbt/models/marts/fct_year_summary.yml, column `meta`): the one list of them."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

SUMMARY_YML = Path(__file__).resolve().parents[2] / "dbt" / "models" / "marts" / "fct_year_summary.yml"


@lru_cache(maxsize=None)
def _columns() -> tuple[dict, ...]:
    model = yaml.safe_load(SUMMARY_YML.read_text())["models"][0]
    return tuple({"name": c["name"], "description": c.get("description", ""), **(c.get("meta") or {})}
                 for c in model["columns"])


def columns() -> tuple[str, ...]:
    """The summary columns in report order."""
    return tuple(c["name"] for c in _columns())


def meta(column: str) -> dict:
    return next((c for c in _columns() if c["name"] == column), {"name": column})


def unit(column: str) -> str:
    """count | money | rate | year | text."""
    return meta(column).get("unit", "count")


def label(column: str) -> str:
    return meta(column).get("label", column.replace("_", " ").capitalize())


def group(name: str) -> tuple[str, ...]:
    """The columns of one table of the run report (workforce, plan), in order."""
    def groups(c: dict) -> list:
        value = c.get("group", [])
        return value if isinstance(value, list) else [value]
    return tuple(c["name"] for c in _columns() if name in groups(c))


def comparison_periods() -> dict[str, str]:
    """Metric -> how the comparison sums its years up (sum, mean, last)."""
    return {c["name"]: c["period"] for c in _columns() if "period" in c}


def comparison_charts() -> tuple[str, ...]:
    """The metrics the scenario comparison draws."""
    return tuple(c["name"] for c in _columns() if c.get("chart"))


def numeric_metrics() -> tuple[str, ...]:
    """Every count, money and rate column (seed ensembles summarise these)."""
    return tuple(c["name"] for c in _columns() if c.get("unit") in ("count", "money", "rate"))
