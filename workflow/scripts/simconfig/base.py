"""Building blocks of the simulation-config model: the section base class, value types
with their checks, and the metadata every key carries (description, dbt var, when it
has an effect)."""
from __future__ import annotations

import datetime
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model


class Section(BaseModel):
    """A mapping of the config: unknown keys are rejected, values are not coerced
    ("0.5" is not a number, 1 is not true), NaN and infinities are rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, validate_default=True,
                              frozen=True, populate_by_name=True)


class KeyError_(ValueError):
    """A cross-field check that names the key it is about, relative to the model that raises it."""

    def __init__(self, subpath: str, message: str):
        super().__init__(message)
        self.subpath = subpath


def key(default: Any = ..., description: str = "", *, var: str | None = None, applies_when: str | None = None,
        test_overlay: dict | None = None, perturb: Any = None, default_factory=None, **bounds) -> Any:
    """A config key: its default, bounds (ge/le/...), one-line description and metadata.

    var: the dbt var that carries the value to the SQL (docs list the models reading it);
    applies_when: the condition under which the key has an effect (documented);
    test_overlay: {other key: value} that meets that condition, for the test that perturbs
    every key (".key" is a sibling); perturb: the value that test sets instead of the generic one."""
    extra = {k: v for k, v in (("dbt_var", var), ("applies_when", applies_when), ("test_overlay", test_overlay),
                                ("perturb", perturb)) if v is not None}
    if default_factory is not None:
        return Field(default_factory=default_factory, description=description, json_schema_extra=extra or None,
                     **bounds)
    return Field(default, description=description, json_schema_extra=extra or None, **bounds)


# ---- value types -----------------------------------------------------------------------------

Rate = Annotated[float, Field(ge=0, le=1)]

_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _month_day(value: str) -> str:
    if not _MMDD.match(value):
        raise ValueError('must be a month-day string like "07-01"')
    try:
        datetime.date(2001, int(value[:2]), int(value[3:]))
    except ValueError:
        if value == "02-29":  # the date falls in every simulated year, and most have no Feb 29
            raise ValueError('"02-29" is not a day of most years; use "02-28" or "03-01"') from None
        raise ValueError("is not a day of the year") from None
    return value


MonthDay = Annotated[str, AfterValidator(_month_day)]


def _iso_date(value: Any) -> Any:
    """An unquoted YAML date, or text like "2020-01-01"; returned as that text."""
    if isinstance(value, datetime.datetime):
        raise ValueError('must be a date like "2020-01-01", not a date and time')
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            raise ValueError('must be a date like "2020-01-01"')
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a calendar date") from None
    return value


IsoDate = Annotated[str, BeforeValidator(_iso_date)]


def _whole_percent(value: Any) -> Any:
    """A share in [0, 1]; a number above 1 is a whole-number percent (50 -> 0.50), as the peer reads it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 1:
        return value / 100.0
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


Percent = Annotated[float, BeforeValidator(_whole_percent), Field(ge=0, le=1)]
# A match rate per dollar deferred: above 100 % is possible, written as a whole-number percent (150 = 1.50).
MatchRate = Annotated[float, BeforeValidator(_whole_percent), Field(ge=0, le=10)]


def _level_keys(value: Any) -> Any:
    """Job levels as whole numbers, whether YAML gives them as 1 or "1"."""
    if not isinstance(value, dict):
        return value
    levels = {}
    for level, level_value in value.items():
        if isinstance(level, bool):
            raise ValueError(f"level {level!r} is not a whole number")
        try:
            number = int(level)
        except (TypeError, ValueError):
            raise ValueError(f"level {level!r} is not a whole number") from None
        if str(number) != str(level).strip():
            raise ValueError(f"level {level!r} is not a whole number")
        levels[number] = level_value
    return levels


def level_map(low: float, high: float) -> Any:
    """{job level: number in [low, high]}."""
    return Annotated[dict[int, Annotated[float, Field(ge=low, le=high)]], BeforeValidator(_level_keys)]


class BandTable(Section):
    """A table of named values (by age band, pay band, ...): every entry is a number."""


def bands(name: str, defaults: dict[str, float], low: float, high: float, doc: str,
          aliases: dict[str, str] | None = None) -> type[BandTable]:
    """A section of named values (age bands, income bands, ...) with per-use defaults:
    keys left out keep their default."""
    aliases = aliases or {}
    fields = {}
    for band, default in defaults.items():
        alias = next((a for a, target in aliases.items() if target == band), None)
        extra = {"validation_alias": alias} if alias else {}
        fields[band] = (float, Field(default, ge=low, le=high, description=f"{doc}: {band.replace('_', ' ')}",
                                     **extra))
    model = create_model(name, __base__=BandTable, **fields)
    model.__doc__ = doc
    return model
